#!/usr/bin/env bash
# Install, with apt-get, what the test bed needs and this machine lacks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

# command-or-file package
NEEDS="gcc-12:gcc-12 make:make qemu-system-x86_64:qemu-system-x86
/bin/busybox:busybox-static cpio:cpio xz:xz-utils pahole:dwarves bc:bc
sparse:sparse perl:perl /usr/share/keyrings/debian-archive-keyring.gpg:debian-archive-keyring
/usr/lib/x86_64-linux-gnu/libc.a:libc6-dev"

missing=()
for need in $NEEDS; do
	what=${need%%:*} pkg=${need#*:}
	case $what in
	/*) [ -e "$what" ] ;;
	*) command -v "$what" >/dev/null ;;
	esac || missing+=("$pkg")
done
# busybox-static is what we copy into the guests; a dynamic busybox will not do.
dpkg -s busybox-static >/dev/null 2>&1 || missing+=(busybox-static)
if [ ${#missing[@]} -gt 0 ]; then
	log "installing: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q update >/dev/null
	apt-get -q install -y --no-install-recommends "${missing[@]}" >/dev/null
fi
