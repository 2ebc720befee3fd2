#!/usr/bin/env bash
# build-module.sh RELEASE ROOT OUTDIR [make args...]
# Build zeropage.ko against one unpacked kernel's headers, W=1, in a copy of
# the sources (so kernels do not share object files).  Fails on any warning.
# Environment: ZP_SRC, the tree to take Kbuild, module/ and include/ from
# (default: this one; make check-mutants points it at a mutated copy).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
release=$1 root=$2
mkdir -p "$3" && outdir=$(cd "$3" && pwd)
shift 3
src=$outdir/src
rm -rf "$src" && mkdir -p "$src"
cp -r "${ZP_SRC:-$ZP_TOP}"/{Kbuild,module,include} "$src/"
make -C "$root/usr/src/linux-headers-$release" M="$src" W=1 -j2 "$@" modules \
	>"$outdir/build.log" 2>&1 || { cat "$outdir/build.log" >&2; exit 1; }
if grep -E 'warning:|error:' "$outdir/build.log" >&2; then
	exit 1
fi
cp "$src/zeropage.ko" "$outdir/zeropage.ko"
