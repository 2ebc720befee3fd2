#!/usr/bin/env bash
# deps.sh: the host packages make check-system needs (sourced by run.sh
# and image.sh after selftests/bed/lib.sh; installs only what is missing).
# python3-virt-firmware (virt-fw-vars) is in bookworm-backports only: its
# .deb is downloaded through the bed's private bookworm-backports apt
# configuration and installed with the host's own apt, which takes its
# dependencies from the host's release.
system_deps() {
	local logs opts deb
	mkdir -p "$1" && logs=$(cd "$1" && pwd)
	apt_install_missing "$logs/apt-install-system.log" \
		qemu-system-x86 qemu-utils ovmf shim-signed grub-efi-amd64-signed \
		mtools dosfstools gdisk e2fsprogs debootstrap debian-archive-keyring \
		debhelper dh-dkms openssl || die "host packages (see $logs/apt-install-system.log)"
	command -v virt-fw-vars >/dev/null && return 0
	opts=$(apt_opts_for bookworm-backports) || die "no bookworm-backports apt configuration"
	mkdir -p "$ZP_CACHE/system/debs"
	# shellcheck disable=SC2086
	(cd "$ZP_CACHE/system/debs" && apt-get $opts -o APT::Sandbox::User=root -q download \
		python3-virt-firmware >"$logs/virt-firmware-download.log" 2>&1) ||
		die "apt-get download python3-virt-firmware failed (see $logs/virt-firmware-download.log)"
	deb=$(ls "$ZP_CACHE"/system/debs/python3-virt-firmware_*.deb | sort -V | tail -n 1)
	log "installing $(basename "$deb")"
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=900 install -y \
		--no-install-recommends "$deb" >>"$logs/apt-install-system.log" 2>&1 ||
		die "installing $deb failed (see $logs/apt-install-system.log)"
}
