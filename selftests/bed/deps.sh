#!/usr/bin/env bash
# Install, with apt-get, the Debian packages the test bed needs and this
# machine lacks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES="gcc-12 make libc6-dev qemu-system-x86 busybox-static cpio xz-utils
dwarves bc kmod sparse perl python3 clang libclang-rt-14-dev debian-archive-keyring"

missing=()
for pkg in $PACKAGES; do
	dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null | grep -q 'ok installed' ||
		missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null
	apt-get -q -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
