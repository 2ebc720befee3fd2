#!/usr/bin/env bash
# image.sh [SUITE]: the system image of make check-system, built once and
# cached: $ZP_CACHE/system/SUITE-KEY/disk.raw, KEY a hash of the inputs
# (this script, the guest unit, the package list, and the versions of the
# kernel the host's apt offers and of the shim, GRUB and OVMF packages it
# has installed), its root filesystem cached apart (rootfs-SUITE-KEY/, see
# below).  Prints the image's directory.
#
# The image is a GPT disk: partition 1 an EFI system partition (vfat, made
# with mkfs.vfat and filled with mtools: shim as EFI/BOOT/BOOTX64.EFI,
# MokManager, signed GRUB and its grub.cfg, all from this host's Debian
# packages), partition 2 the root filesystem (ext4, made with mkfs.ext4 -d
# from a debootstrapped directory).  No loop mounts: the partitions are
# written into the disk file at their offsets with dd.  The only mounts are
# /proc and /sys in the chroot while packages are installed.
#
# GRUB's configuration is written here, not by update-grub: it boots the
# /vmlinuz and /initrd.img symlinks Debian's kernel packages keep in the
# root, so a kernel installed in the guest is the one the next boot runs.
# Only Debian 12 (bookworm) for now.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../bed/lib.sh
. "$here/../bed/lib.sh"
# shellcheck source=../bed/chroot.sh
. "$here/../bed/chroot.sh"
. "$here/deps.sh"

suite=${1:-bookworm}
[ "$suite" = bookworm ] || die "image.sh: only bookworm so far"
# What the image carries: a bootable Debian with systemd, the stock kernel
# and its headers, and what DKMS needs to build and sign a module; dbus
# and zstd, which a standard install has through recommends (systemd-run
# --wait needs the bus; initramfs-tools compresses with zstd).
packages="systemd systemd-sysv udev dbus apt kmod initramfs-tools zstd e2fsprogs procps
	linux-image-amd64 linux-headers-amd64 dkms openssl mokutil
	build-essential libc6-dev make gcc"
root_uuid=5a3b0c1e-7d2f-4e6a-9b1c-2f0e5d8a7c31
esp_mib=64
root_mib=6144

logs=$ZP_OUT/system/image
mkdir -p "$logs"
system_deps "$logs"

installed() { dpkg-query -W -f='${Version}' "$1"; }

# build_rootfs DIR: debootstrap SUITE with PACKAGES, set it up as a system
# (fstab, hostname, the test unit), and make DIR/root.img (ext4, mkfs -d).
build_rootfs() {
	local out=$1 work=$ZP_CACHE/system/build-$suite root
	root=$work/root
	chroot_umount_all "$root" || die "cannot unmount what is mounted under $root"
	rm -rf "$work"
	mkdir -p "$work" "$ZP_CACHE/system/debootstrap-cache"
	log "debootstrap $suite into $root (log: $logs/debootstrap.log)"
	debootstrap --variant=minbase --cache-dir="$ZP_CACHE/system/debootstrap-cache" \
		--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
		"$suite" "$root" "$(mirror_uri)" >"$logs/debootstrap.log" 2>&1 ||
		die "debootstrap failed, see $logs/debootstrap.log"
	# Packages: no services started in the chroot while installing.
	printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
	chmod 755 "$root/usr/sbin/policy-rc.d"
	mount -t proc proc "$root/proc"
	mount -t sysfs sys "$root/sys"
	trap 'chroot_umount_all "$root" || true' EXIT
	chroot_write_sources "$root" "$suite"
	log "installing the image's packages (log: $logs/packages.log)"
	# shellcheck disable=SC2086
	{ in_chroot "$root" apt-get -q update && capt "$root" install $packages; } >"$logs/packages.log" 2>&1 ||
		die "installing packages in the image failed, see $logs/packages.log"
	capt "$root" clean >/dev/null
	rm -f "$root/usr/sbin/policy-rc.d"
	# The system: root by UUID, a name, a root with no password on the
	# serial console (a throwaway test guest with no network), the test unit.
	cat >"$root/etc/fstab" <<EOT
UUID=$root_uuid / ext4 errors=remount-ro 0 1
EOT
	echo zp-system >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\tzp-system\n' >"$root/etc/hosts"
	in_chroot "$root" passwd -d root >/dev/null
	install -m 644 "$here/zp-system-test.service" "$root/etc/systemd/system/zp-system-test.service"
	install -m 755 "$here/zp-system-test" "$root/usr/local/sbin/zp-system-test"
	in_chroot "$root" systemctl enable zp-system-test.service >>"$logs/packages.log" 2>&1
	# Nothing periodic runs during a test boot.
	in_chroot "$root" systemctl mask apt-daily.timer apt-daily-upgrade.timer \
		e2scrub_all.timer fstrim.timer >>"$logs/packages.log" 2>&1 || true
	: >"$root/etc/machine-id"
	chroot_umount_all "$root" || die "cannot unmount what is mounted under $root"
	trap - EXIT
	[ -e "$root/vmlinuz" ] && [ -e "$root/initrd.img" ] || die "no /vmlinuz or /initrd.img in the image"
	log "mkfs.ext4 -d: root filesystem, $root_mib MiB"
	mkfs.ext4 -q -F -L zp-root -U "$root_uuid" -d "$root" "$work/root.img" "${root_mib}M" >"$logs/mkfs.log" 2>&1 ||
		die "mkfs.ext4 -d failed, see $logs/mkfs.log"
	rm -rf "$out"
	mkdir -p "$out"
	find "$root/lib/modules" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -V | tail -n 1 >"$out/release"
	in_chroot "$root" dpkg-query -W >"$out/packages.list"
	mv "$work/root.img" "$out/root.img"
	rm -rf "$work"
	touch "$out/.complete"
}

# Two cached stages: the root filesystem (keyed by what goes into it: the
# suite, the packages and the kernel's version, build_rootfs itself, the
# unit), then the disk (keyed by the root filesystem's key, this whole
# script, and the versions of shim, GRUB and OVMF on this host).
opts=$(apt_opts_for main)
rootfs_key=$( {
	echo "$suite $packages $root_uuid $root_mib"
	declare -f build_rootfs
	cat "$here/zp-system-test.service" "$here/zp-system-test"
	# shellcheck disable=SC2086
	echo "kernel $(apt-cache $opts policy linux-image-amd64 linux-headers-amd64 | awk '/Candidate:/ { print $2 }')"
} | sha256sum | cut -c1-16)
key=$( {
	echo "$rootfs_key"
	cat "$0"
	for p in shim-signed grub-efi-amd64-signed ovmf; do echo "$p $(installed $p)"; done
} | sha256sum | cut -c1-16)
dir=$ZP_CACHE/system/$suite-$key
if [ -f "$dir/disk.raw" ] && [ -f "$dir/.complete" ]; then
	echo "$dir"
	exit 0
fi
t0=$(date +%s)
rootfs=$ZP_CACHE/system/rootfs-$suite-$rootfs_key
[ -f "$rootfs/.complete" ] || build_rootfs "$rootfs"
release=$(cat "$rootfs/release")
work=$ZP_CACHE/system/build-$suite-disk
rm -rf "$work"
mkdir -p "$work"

# The EFI system partition: shim (the fallback path's BOOTX64.EFI, which
# loads grubx64.efi beside it), MokManager, signed GRUB, grub.cfg where the
# signed GRUB looks for it (its prefix /EFI/debian, and beside itself).
cat >"$work/grub.cfg" <<EOT
set timeout=0
set default=0
serial --unit=0 --speed=115200
terminal_input serial console
terminal_output serial console
# A test may add kernel parameters for the next boots: EFI/BOOT/zp-cmdline.cfg
# on this partition, "set zp_cmdline=...".
set zp_cmdline=
if [ -f \$cmdpath/zp-cmdline.cfg ]; then
	source \$cmdpath/zp-cmdline.cfg
fi
search --no-floppy --fs-uuid --set=root $root_uuid
menuentry 'Debian GNU/Linux (zeropage check-system)' {
	linux /vmlinuz root=UUID=$root_uuid ro console=ttyS0,115200 panic=-1 \$zp_cmdline
	initrd /initrd.img
}
EOT
esp=$work/esp.img
rm -f "$esp"
mkfs.vfat -C -F 32 -n ZPESP "$esp" $((esp_mib * 1024)) >/dev/null
mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/debian
mcopy -i "$esp" /usr/lib/shim/shimx64.efi.signed ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$esp" /usr/lib/shim/mmx64.efi.signed ::/EFI/BOOT/mmx64.efi
mcopy -i "$esp" /usr/lib/grub/x86_64-efi-signed/grubx64.efi.signed ::/EFI/BOOT/grubx64.efi
mcopy -i "$esp" "$work/grub.cfg" ::/EFI/BOOT/grub.cfg
mcopy -i "$esp" "$work/grub.cfg" ::/EFI/debian/grub.cfg

# The GPT disk: 1 MiB, the ESP, the root, 1 MiB for the backup GPT.
disk=$work/disk.raw
rm -f "$disk"
truncate -s $(((1 + esp_mib + root_mib + 1) * 1024 * 1024)) "$disk"
sgdisk -n 1:2048:+${esp_mib}M -t 1:ef00 -c 1:ESP \
	-n 2:$((2048 + esp_mib * 2048)):+${root_mib}M -t 2:8300 -c 2:root "$disk" >"$logs/sgdisk.log" 2>&1 ||
	die "sgdisk failed, see $logs/sgdisk.log"
dd if="$esp" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootfs/root.img" of="$disk" bs=1M seek=$((1 + esp_mib)) conv=notrunc,sparse status=none
rm -f "$esp"
[ "$(sgdisk -p "$disk" | grep -c -E '^ +[12] ')" = 2 ] || die "no partitions 1 and 2 in $disk (see $logs/sgdisk.log)"

rm -rf "$dir"
mkdir -p "$dir"
mv "$disk" "$dir/disk.raw"
cp "$rootfs/release" "$rootfs/packages.list" "$dir/"
rm -rf "$work"
touch "$dir/.complete"
# Earlier images and root filesystems of this suite are stale now.
find "$ZP_CACHE/system" -mindepth 1 -maxdepth 1 -type d \( -name "$suite-*" -o -name "rootfs-$suite-*" \) \
	! -path "$dir" ! -path "$rootfs" -exec rm -rf {} +
log "image $dir built ($(($(date +%s) - t0)) s; kernel $release)"
echo "$dir"
