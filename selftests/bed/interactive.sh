#!/usr/bin/env bash
# interactive.sh demo|shell KERNEL: one guest of the bed, for people.
# KERNEL: a name from kernels.sh's table (6.1, 6.12, 6.12-trixie, 7.3, ...).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
what=$1 want=$2
"$here/deps.sh"
line=$("$here/kernels.sh" "$want") || exit 1
[ "$(wc -l <<<"$line")" = 1 ] || die "'$want' is a set of kernels: name one"
read -r name release root <<<"$line"
make -s -C "$ZP_TOP/selftests" OUT="$ZP_OUT/guest-bin"
out=$ZP_OUT/$what-$name
mkdir -p "$out"
"$here/build-module.sh" "$release" "$root" "$out"
log "booting $release"
if [ "$what" = shell ]; then
	exec "$here/guest.sh" "$release" "$root" "$out/zeropage.ko" shell "$out/guest" interactive
fi
ZP_GUEST_CPUS=1 "$here/guest.sh" "$release" "$root" "$out/zeropage.ko" demo "$out/guest"
cat "$out/guest/report.log"
