# Debian chroots shared by the test bed and the DKMS tests (sourced, after
# lib.sh).  One chroot per suite in $ZP_CHROOTS/SUITE, debootstrapped once
# and reused: the DKMS tests install packages in it; the test bed builds
# modules there for kernels whose compiler this host lacks (Debian 13's and
# 7.x's gcc-14), against the kernel's unpacked headers bind-mounted in.
ZP_CHROOTS=$ZP_CACHE/dkms
# Suites whose chroot may build a module for a kernel whose compiler this
# host lacks, first match wins: Debian 13 (gcc-14), then testing (forky's
# 7.x kernels: gcc-16), then Debian 12 (the gcc-12 cross compilers for mips
# that Debian 13 dropped, for a Debian 13 host).  The build needs the
# compiler and what the kernel's kbuild tools (fixdep, modpost, objtool,
# resolve_btfids, kernel-doc) need; the -dev packages bring each suite's own
# names of those libraries.
ZP_CHROOT_SUITES="trixie forky bookworm"
ZP_CHROOT_BUILD_PACKAGES="make libc6-dev bc pahole perl kmod xz-utils libelf-dev libssl-dev zlib1g-dev"

# compiler_package CC: the package of CC as a kernel names it: gcc-N for an
# x86_64 compiler (x86_64-linux-gnu-gcc-14), gcc-N-TRIPLET for a cross one.
compiler_package() {
	local pkg=gcc-${1##*gcc-} triplet=${1%-gcc-*}
	[ "$triplet" = "$1" ] || [ "$triplet" = x86_64-linux-gnu ] || pkg+=-$triplet
	echo "$pkg"
}

# chroot_for_compiler CC: the first suite of ZP_CHROOT_SUITES that has CC's
# package (not counting what this host has installed).
chroot_for_compiler() {
	local s pkg
	pkg=$(compiler_package "$1")
	for s in $ZP_CHROOT_SUITES; do
		suite_apt_setup "$s"
		# shellcheck disable=SC2046
		if apt_has_candidate "$pkg" $(suite_apt_opts "$s") -o Dir::State::status=/dev/null; then
			echo "$s"
			return 0
		fi
	done
	return 1
}

# in_chroot ROOT COMMAND...: run in the chroot with a clean environment.
in_chroot() {
	local root=$1
	shift
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
		LC_ALL=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"
}

# capt ROOT ARGS...: apt-get in the chroot, non-interactive.
capt() {
	local root=$1
	shift
	in_chroot "$root" apt-get -q -y --no-install-recommends \
		-o Dpkg::Options::=--force-confold -o Dpkg::Options::=--force-confdef "$@"
}

# chroot_write_sources ROOT SUITE: the suite and, for a stable release, its
# updates, security and backports suites, from this machine's mirrors.
chroot_write_sources() {
	local root=$1 suite=$2 m s
	m=$(mirror_uri) s=$(apt_source_uri security)
	{
		echo "deb $m $suite main"
		case $suite in
		bookworm | trixie)	# stable releases; testing has only main here
			echo "deb $m $suite-updates main"
			[ -z "$s" ] || echo "deb $s $suite-security main"
			echo "deb $m $suite-backports main"
			;;
		esac
	} >"$root/etc/apt/sources.list.new"
	if ! cmp -s "$root/etc/apt/sources.list.new" "$root/etc/apt/sources.list"; then
		mv "$root/etc/apt/sources.list.new" "$root/etc/apt/sources.list"
		rm -f "$root/.zp-updated"
	else
		rm -f "$root/etc/apt/sources.list.new"
	fi
}

# chroot_prepare SUITE LOGDIR PACKAGE...: debootstrap once, then bring the
# cached chroot up to date: sources, package lists (every 12 h), PACKAGES.
# Serialised on a lock: the bed and the DKMS tests may both ask.
chroot_prepare() {
	local suite=$1 logs=$2 root=$ZP_CHROOTS/$1 t0 fd rc=0 script
	shift 2
	t0=$(date +%s)
	mkdir -p "$ZP_CHROOTS" "$logs"
	exec {fd}>"$ZP_CHROOTS/$suite.lock"
	flock "$fd"
	apt_install_missing "$logs/apt-install-chroot.log" debootstrap debian-archive-keyring || rc=1
	if [ $rc = 0 ] && [ ! -f "$root/.zp-complete" ]; then
		chroot_umount_all "$root" || die "cannot unmount what is mounted under $root"
		rm -rf "$root"
		mkdir -p "$ZP_CHROOTS/debootstrap-cache/$suite"
		log "debootstrap $suite into $root"
		# Debian 12's debootstrap predates testing's name: sid's script
		# serves it (as it does in later debootstraps).
		script=/usr/share/debootstrap/scripts/$suite
		[ -e "$script" ] || script=/usr/share/debootstrap/scripts/sid
		if debootstrap --variant=minbase --cache-dir="$ZP_CHROOTS/debootstrap-cache/$suite" \
			--keyring=/usr/share/keyrings/debian-archive-keyring.gpg \
			"$suite" "$root" "$(mirror_uri)" "$script" >"$logs/debootstrap-$suite.log" 2>&1; then
			# No services in a chroot; no initramfs either: QEMU boots
			# the test bed's own, and nothing here is booted from /boot.
			printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
			chmod 755 "$root/usr/sbin/policy-rc.d"
			in_chroot "$root" dpkg-divert --local --rename \
				--divert /usr/sbin/update-initramfs.zp-real --add /usr/sbin/update-initramfs >/dev/null
			printf '#!/bin/sh\n# zeropage test chroot: no initramfs\nexit 0\n' >"$root/usr/sbin/update-initramfs"
			chmod 755 "$root/usr/sbin/update-initramfs"
			touch "$root/.zp-complete"
		else
			log "debootstrap $suite failed, see $logs/debootstrap-$suite.log"
			rc=1
		fi
	fi
	if [ $rc = 0 ]; then
		# A throwaway root: dpkg need not fsync every file.
		echo force-unsafe-io >"$root/etc/dpkg/dpkg.cfg.d/zp-unsafe-io"
		# Testing's Release files are valid for a week only; a mirror
		# that is a snapshot serves them expired, and apt in the chroot
		# would refuse them (debootstrap does not check).
		echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99zp-valid-until"
		mountpoint -q "$root/proc" || mount -t proc proc "$root/proc"
		chroot_write_sources "$root" "$suite"
		if [ ! -f "$root/.zp-updated" ] || [ -z "$(find "$root/.zp-updated" -mmin -720)" ]; then
			if in_chroot "$root" apt-get -q update >"$logs/apt-update-$suite.log" 2>&1; then
				touch "$root/.zp-updated"
			else
				log "apt-get update in the $suite chroot failed"
				rc=1
			fi
		fi
	fi
	if [ $rc = 0 ]; then
		in_chroot "$root" dpkg --configure -a >/dev/null 2>&1 # after an interrupted run
		# The DKMS tests install a stable suite's backports kernels, and
		# with them backports' libraries (libelf1): a -dev package must
		# then come from backports too.
		capt "$root" install "$@" >"$logs/packages-$suite.log" 2>&1 ||
			{ grep -q -- "-backports " "$root/etc/apt/sources.list" &&
				capt "$root" -t "$suite-backports" install "$@" >>"$logs/packages-$suite.log" 2>&1; } ||
			{ log "installing $* in the $suite chroot failed"; rc=1; }
	fi
	[ $rc != 0 ] || log "$suite chroot ready ($(($(date +%s) - t0)) s)"
	exec {fd}>&-
	return $rc
}

# chroot_umount_all ROOT: unmount everything mounted under ROOT (proc, and
# bind mounts an interrupted build left), deepest first: a later rm -rf of
# ROOT must not reach through a bind mount into the host's directories.
chroot_umount_all() {
	local m
	for m in $(awk -v r="$1/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m"
	done
	! awk -v r="$1/" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/mounts
}

# chroot_with_dirs ROOT DIR... -- COMMAND...: run COMMAND in the chroot with
# each DIR of the host bind-mounted at the same path (read-write), so
# absolute paths in build trees hold inside.
chroot_with_dirs() {
	local root=$1 d mounted=() rc=0
	shift
	while [ "$1" != -- ]; do
		mkdir -p "$root$1"
		mountpoint -q "$root$1" && umount "$root$1"	# left by an interrupted build
		mount --bind "$1" "$root$1" && mounted+=("$root$1") || rc=1
		shift
	done
	shift
	[ $rc != 0 ] || in_chroot "$root" "$@" || rc=$?
	for d in "${mounted[@]}"; do umount "$d" || umount -l "$d"; done
	return $rc
}
