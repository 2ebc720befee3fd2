#!/usr/bin/env bash
# interactive.sh demo|shell KERNEL: one guest of the bed, for people.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
what=$1 want=$2
"$here/deps.sh"
line=$(ZP_FLAVOURS="$(grep "^$want " <<'EOT'
6.1 main linux-image-amd64
6.1-rt main linux-image-rt-amd64
6.1-cloud main linux-image-cloud-amd64
6.12 bpo linux-image-amd64
6.12-rt bpo linux-image-rt-amd64
EOT
)" "$here/kernels.sh") || die "unknown kernel '$want' (6.1, 6.1-rt, 6.1-cloud, 6.12, 6.12-rt)"
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
