#!/usr/bin/env bash
# build-module.sh RELEASE ROOT OUTDIR [make args...]
# Build zeropage.ko against one unpacked kernel's headers, W=1, in a copy of
# the sources (so kernels do not share object files).  Fails on any warning.
# Environment: ZP_SRC, the tree to take Kbuild, module/ and include/ from
# (default: this one; make check-mutants points it at a mutated copy).
# With the compiler the kernel was built with (CONFIG_CC_VERSION_TEXT): where
# this host lacks it (gcc-14 for Debian 13's and 7.x kernels on Debian 12),
# the build runs in a Debian chroot that has it (chroot.sh: Debian 13, the
# one the DKMS tests use too, or testing), with the headers and OUTDIR
# bind-mounted at their own paths.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
release=$1 root=$2
mkdir -p "$3" && outdir=$(cd "$3" && pwd)
shift 3
src=$outdir/src
hdr=$root/usr/src/linux-headers-$release
rm -rf "$src" && mkdir -p "$src"
cp -r "${ZP_SRC:-$ZP_TOP}"/{Kbuild,module,include} "$src/"
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$hdr/.config")
build=(make -C "$hdr" M="$src" W=1 -j2 "$@" modules)
if [ -z "$cc" ] || command -v "$cc" >/dev/null; then
	"${build[@]}" >"$outdir/build.log" 2>&1 || { cat "$outdir/build.log" >&2; exit 1; }
else
	. "$(dirname "$0")/chroot.sh"
	suite=$(chroot_for_compiler "$cc") ||
		die "$release was built with $cc: neither this host nor any of $ZP_CHROOT_SUITES has it"
	chroot_prepare "$suite" "$ZP_OUT/chroot" "gcc-${cc##*gcc-}" $ZP_CHROOT_BUILD_PACKAGES ||
		die "the $suite chroot for $cc is not ready (logs in $ZP_OUT/chroot)"
	chroot_with_dirs "$ZP_CHROOTS/$suite" "$root" "$outdir" -- "${build[@]}" \
		>"$outdir/build.log" 2>&1 || { cat "$outdir/build.log" >&2; exit 1; }
fi
if grep -E 'warning:|error:' "$outdir/build.log" >&2; then
	exit 1
fi
cp "$src/zeropage.ko" "$outdir/zeropage.ko"
