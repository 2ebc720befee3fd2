#!/usr/bin/env bash
# Install, with apt-get, the Debian packages the test bed needs and this
# machine lacks.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PACKAGES="gcc-12 make libc6-dev qemu-system-x86 busybox-static cpio xz-utils
dwarves bc kmod sparse perl python3 clang libclang-rt-dev debian-archive-keyring"

# shellcheck disable=SC2086
apt_install_missing "$ZP_OUT/apt-install.log" $PACKAGES ||
	die "apt-get install failed (see $ZP_OUT/apt-install.log)"
