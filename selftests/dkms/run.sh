#!/usr/bin/env bash
# selftests/dkms/run.sh (make check-dkms): the DKMS and packaging tests.
#
#   0. host: the versions agree; make deb builds the packages; lintian.
#   1. Debian 12 chroot (debootstrap): with the 6.1 headers present (the
#      amd64, cloud and rt flavours, as the test bed boots them), apt
#      installs zeropage-dkms; DKMS builds and installs zeropage.ko (dkms
#      status, modinfo vermagic/version/signer).
#   4. then the bookworm-backports 6.12 headers (amd64, rt; they bring their
#      images): DKMS's kernel hooks build the module for them on their own.
#   2. each of those kernels boots in QEMU with the installed module tree,
#      modules.dep from depmod and the package's /etc/modprobe.d/zeropage.conf
#      enabled with mode=never; the guest (selftests/guest/dkms.sh) loads it
#      with modprobe and checks the mode and a read fault.  zeropage-tools'
#      zeropagectl (with the libraries it links), /etc/zeropage/cgroups.conf
#      and zeropage-cgroups.service come along: the guest runs the unit's
#      ExecStart on a cgroups.conf of its own and checks the policy.
#   3. the same in a Debian 13 chroot with its own 6.12 headers and gcc-14;
#      then, as in 4., the trixie-backports 7.3 amd64 headers, with their
#      image (7.x's headers do not bring it; without it dkms 3.2 skips
#      depmod; it is a metapackage over linux-binary-*, linux-modules-* and
#      linux-base-*, vmlinuz under /usr/lib/modules/RELEASE); each kernel
#      boots with the module the chroot built.  Skipped while
#      trixie-backports has no linux-headers-amd64 newer than trixie's.
#   5. apt-get remove --purge leaves no module, DKMS tree or source behind
#      (both chroots); then docs/install.md's "from a checkout" recipe
#      (dkms add/build/install) works and dkms remove cleans up (Debian 12).
#
# TAP ("ok - dkms: ...") on stdout and in $ZP_OUT/dkms/results.tap; logs and
# per-phase times on stderr; details under $ZP_OUT/dkms/.  The chroots, and
# the kernels they download, are cached in $ZP_CACHE/dkms/ and reused; each
# run first returns them to their base state (no zeropage packages, only the
# base kernel's headers; the backports kernels' images stay).  Installs what
# it needs on the host with apt-get.
# Environment: ZP_DKMS_SUITES (default "bookworm trixie"); the Debian 12
# flavours, as the test bed's: ZP_DKMS_FLAVOURS (6.1, default "amd64
# cloud-amd64 rt-amd64") and ZP_DKMS_BPO_FLAVOURS (6.12 from backports,
# default "amd64 rt-amd64").
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../bed/lib.sh"
. "$here/../bed/chroot.sh"

D=$ZP_CHROOTS
O=$ZP_OUT/dkms
SUITES=${ZP_DKMS_SUITES:-bookworm trixie}
FLAVOURS=${ZP_DKMS_FLAVOURS:-amd64 cloud-amd64 rt-amd64}
BPO_FLAVOURS=${ZP_DKMS_BPO_FLAVOURS:-amd64 rt-amd64}
mkdir -p "$D"
results_begin "$O/results.tap" "dkms: "

# check NAME COMMAND...: pass when COMMAND exits 0.
check() {
	local name=$1
	shift
	"$@"
	tap "$name" $?
}

cleanup() {
	local m
	for m in "$D"/*/proc "$D"/*/sys; do
		mountpoint -q "$m" 2>/dev/null && umount -l "$m"
	done
	jobs -p | xargs -r kill 2>/dev/null
}
trap cleanup EXIT
trap "exit 130" INT TERM

# ---- chroots (selftests/bed/chroot.sh: shared with the test bed) ----
# prepare_chroot SUITE [PACKAGE...]: the cached chroot, up to date, with DKMS
# and what a real machine has beside it: openssl (DKMS signs with its MOK
# key), kmod (modinfo, depmod); and PACKAGEs.
prepare_chroot() {
	chroot_prepare "$1" "$O" dkms openssl kmod "${@:2}"
}

installed() { # ROOT PACKAGE
	[ "$(in_chroot "$1" dpkg-query -W -f='${db:Status-Status}' "$2" 2>/dev/null)" = installed ]
}

# headers_release ROOT [DEFAULT-RELEASE [FLAVOUR]]: the release the
# linux-headers-FLAVOUR metapackage (default amd64) points at.
headers_release() {
	local opts=()
	[ -z "${2:-}" ] || opts=(-o "APT::Default-Release=$2")
	in_chroot "$1" apt-cache "${opts[@]}" depends "linux-headers-${3:-amd64}" |
		awk '/Depends: linux-headers-[0-9]/ { sub("linux-headers-", "", $2); print $2; exit }'
}

# reset_chroot ROOT KEEP...: back to the base state: no zeropage packages
# (nor anything a failed run left), and no kernel packages but the KEEP
# releases' (not an older ABI).  KEEP_IMAGES: releases whose image stays
# but whose headers go (test 4 installs them again; installing and purging
# a kernel image each run would double this step's time).
reset_chroot() {
	local root=$1 pkgs p rel keep
	shift
	keep=" $* "
	pkgs=""
	for p in zeropage-dkms zeropage-tools; do installed "$root" $p && pkgs+=" $p"; done
	for p in $(in_chroot "$root" dpkg-query -W -f='${binary:Package} ${db:Status-Status}\n' \
		'linux-image-[0-9]*' 'linux-headers-[0-9]*' 2>/dev/null | awk '$2 == "installed" { print $1 }'); do
		rel=${p#linux-image-}
		rel=${rel#linux-headers-}
		case $rel in *-common | *-common-rt) continue ;; esac
		case $keep in *" $rel "*) continue ;; esac
		case "$p ${KEEP_IMAGES:-}" in "linux-image-$rel "*" $rel "*) continue ;; esac
		pkgs+=" $p"
	done
	if [ -n "$pkgs" ]; then
		capt "$root" purge $pkgs >"$O/reset-$(basename "$root").log" 2>&1 ||
			log "dkms: reset of $(basename "$root"): purge$pkgs failed"
	fi
	if [ -e "$root/var/lib/dkms/zeropage" ] || ls -d "$root"/usr/src/zeropage-* >/dev/null 2>&1 ||
		[ -n "$(find "$root/lib/modules" -name 'zeropage.ko*' 2>/dev/null)" ]; then
		log "dkms: $(basename "$root"): removing zeropage leftovers of an earlier run"
		rm -rf "$root/var/lib/dkms/zeropage" "$root"/usr/src/zeropage-*
		find "$root/lib/modules" -name 'zeropage.ko*' -delete 2>/dev/null
	fi
	rm -rf "$root/tmp/zp" "$root/etc/modules-load.d/zeropage.conf"
}

# kernel_root ROOT RELEASE: a directory with boot/vmlinuz-RELEASE and
# lib/modules/RELEASE: the test bed's unpacked kernel, the chroot itself when
# the image is installed there (6.12 headers depend on the image), or the
# image downloaded with the chroot's apt and unpacked into the cache (7.x:
# with the linux-binary, linux-modules and linux-base packages it depends
# on, laid out as selftests/bed/kernels.sh does; modules.dep from depmod,
# which image packages leave to their installation).
kernel_root() {
	local root=$1 rel=$2 k=$D/kernels/$2 deb pkgs umod=$D/kernels/$2/usr/lib/modules/$2
	if [ -f "$ZP_CACHE/kernels/$rel/.complete" ]; then
		echo "$ZP_CACHE/kernels/$rel"
	elif [ -f "$root/boot/vmlinuz-$rel" ] && [ -d "$root/lib/modules/$rel/kernel" ]; then
		echo "$root"
	elif [ -f "$k/.complete" ]; then
		echo "$k"
	else
		rm -rf "$root/tmp/zp-dl" "$k" && mkdir -p "$root/tmp/zp-dl" "$k"
		pkgs="linux-image-$rel $(in_chroot "$root" apt-cache depends "linux-image-$rel" |
			awk '/Depends: linux-(binary|modules|base)-[0-9]/ { printf " %s", $2 }')"
		in_chroot "$root" sh -c "cd /tmp/zp-dl && apt-get -q -o APT::Sandbox::User=root download $pkgs" \
			>"$O/download-$rel.log" 2>&1 || return 1
		for deb in "$root"/tmp/zp-dl/*.deb; do dpkg-deb -x "$deb" "$k" || return 1; done
		if [ ! -e "$k/boot/vmlinuz-$rel" ] && [ -f "$umod/vmlinuz" ]; then
			mkdir -p "$k/boot" "$k/lib/modules"
			ln -s "../usr/lib/modules/$rel/vmlinuz" "$k/boot/vmlinuz-$rel"
			[ -e "$k/lib/modules/$rel" ] || ln -s "../../usr/lib/modules/$rel" "$k/lib/modules/$rel"
		fi
		[ -f "$k/boot/vmlinuz-$rel" ] && depmod -b "$k" "$rel" >>"$O/download-$rel.log" 2>&1 &&
			rm -rf "$root/tmp/zp-dl" && touch "$k/.complete" && echo "$k"
	fi
}

# check_built LABEL ROOT RELEASE KROOT: DKMS built and installed zeropage for
# RELEASE in the chroot; modinfo agrees with the kernel's own modules.
check_built() {
	local label=$1 root=$2 rel=$3 kroot=$4 status ko ref want got mlog
	status=$(in_chroot "$root" dkms status -m zeropage -v "$V" -k "$rel" 2>&1)
	tap "$label: dkms status says installed for $rel" "$(grep -q ': installed' <<<"$status"; echo $?)" "$status"
	ko=$(cd "$root" && ls lib/modules/"$rel"/updates/dkms/zeropage.ko* 2>/dev/null | head -n 1)
	tap "$label: $rel: zeropage.ko installed in /lib/modules/$rel/updates/dkms" "$([ -n "$ko" ]; echo $?)"
	[ -n "$ko" ] || return 0
	ref=$(cd "$kroot" && find "lib/modules/$rel/kernel" -name 'zram.ko*' | head -n 1)
	want=$([ -n "$ref" ] && modinfo -F vermagic "$kroot/$ref")
	got=$(in_chroot "$root" modinfo -F vermagic "/$ko")
	tap "$label: $rel: modinfo vermagic matches the kernel's own modules ($got)" \
		"$([ -n "$want" ] && [ "$got" = "$want" ] && [ "${got%% *}" = "$rel" ]; echo $?)" "want '$want'"
	got=$(in_chroot "$root" modinfo -F version "/$ko")
	tap "$label: $rel: modinfo version $got" "$([ "$got" = "$V" ]; echo $?)" "want $V"
	# The compiler: the one the kernel was built with (gcc-12 for Debian 12's
	# kernels, gcc-14 for Debian 13's), as recorded in the headers' .config.
	case $ko in
	*.xz) xz -dc "$root/$ko" ;;
	*.zst) zstd -qdc "$root/$ko" ;;
	*) cat "$root/$ko" ;;
	esac >"$O/$label-$rel.ko"
	want=$(sed -n 's/^CONFIG_CC_VERSION_TEXT=".* \([0-9]*\)\.[0-9.]*"$/\1/p' "$root/usr/src/linux-headers-$rel/.config")
	got=$(readelf -p .comment "$O/$label-$rel.ko" 2>/dev/null | grep -o 'GCC: .*' | sort -u)
	tap "$label: $rel: built by gcc-$want, the kernel's compiler ($got)" \
		"$([ -n "$want" ] && [ "$(wc -l <<<"$got")" = 1 ] && [[ $got =~ \ $want\.[0-9.]*$ ]]; echo $?)"
	mlog=$root/var/lib/dkms/zeropage/$V/$rel/$(uname -m)/log/make.log
	tap "$label: $rel: DKMS make.log shows no compiler warnings" \
		"$([ -f "$mlog" ] && ! grep -q -E 'warning:|error:' "$mlog"; echo $?)" "$mlog"
	got=$(in_chroot "$root" modinfo -F signer "/$ko")
	tap "$label: $rel: signed with the DKMS MOK key (/var/lib/dkms/mok.pub)" \
		"$([ "$got" = "DKMS module signing key" ] && [ -f "$root/var/lib/dkms/mok.pub" ]; echo $?)" "signer '$got'"
}

# boot LABEL ROOT RELEASE KROOT: the installed module tree, modules.dep and
# the package's modprobe.d file (enabled: mode=never) in a QEMU guest.
boot() {
	local label=$1 root=$2 rel=$3 kroot=$4 out=$O/$1-$3 stage ko
	stage=$out/extra
	rm -rf "$out" && mkdir -p "$stage/lib/modules/$rel" "$stage/etc/modprobe.d"
	cp -a "$root/lib/modules/$rel/updates" "$stage/lib/modules/$rel/"
	find "$root/lib/modules/$rel" -maxdepth 1 -type f -name 'modules.*' -exec cp {} "$stage/lib/modules/$rel/" \;
	cp "$root/etc/modprobe.d/zeropage.conf" "$stage/etc/modprobe.d/"
	stage_tools "$root" "$stage" || tap "$label $rel: zeropage-tools' files staged for the guest" 1
	ko=$(ls "$stage/lib/modules/$rel/updates/dkms/"zeropage.ko* | head -n 1)
	case $ko in
	*.xz) xz -dc "$ko" >"$out/zeropage.ko" ;;
	*.zst) zstd -qdc "$ko" >"$out/zeropage.ko" ;;
	*.gz) gzip -dc "$ko" >"$out/zeropage.ko" ;;
	*) cp "$ko" "$out/zeropage.ko" ;;
	esac
	ZP_GUEST_EXTRA=$stage ZP_GUEST_APPEND="zp.version=$V" \
		boot_judge "$label $rel" "$rel" "$kroot" "$out/zeropage.ko" dkms "$out/guest"
}

# unit_path ROOT: where zeropage-tools installed zeropage-cgroups.service.
unit_path() {
	in_chroot "$1" dpkg-query -L zeropage-tools | grep -m 1 '/systemd/system/zeropage-cgroups\.service$'
}

# stage_tools ROOT STAGE: into STAGE, at the paths zeropage-tools installed
# them: /etc/zeropage/cgroups.conf, zeropage-cgroups.service, zeropagectl and
# the shared libraries it links (the guest has none).  Each is resolved
# inside the chroot, whose symbolic links may be absolute.
stage_tools() {
	local root=$1 stage=$2 unit f real libs
	unit=$(unit_path "$root") && libs=$(in_chroot "$root" ldd /usr/sbin/zeropagectl) || return 1
	for f in /etc/zeropage/cgroups.conf "$unit" /usr/sbin/zeropagectl $(grep -o '/[^ ]*' <<<"$libs"); do
		real=$(in_chroot "$root" readlink -e "$f") && mkdir -p "$stage${f%/*}" &&
			cp "$root$real" "$stage$f" || return 1
	done
}

# K[RELEASE]: the kernel's root (kernel_root), once found.
declare -A K=()

# built LABEL ROOT RELEASE: find the kernel (K) and check what DKMS built for it.
built() {
	local label=$1 root=$2 rel=$3
	K[$rel]=$(kernel_root "$root" "$rel") || tap "$label: kernel image $rel" 1
	check_built "$label" "$root" "$rel" "${K[$rel]}"
}

# new_kernels LABEL ROOT SUITE RELEASE...: test 4: kernels newer than the
# package arrive from SUITE, headers and image (as apt-get -t SUITE install
# linux-image-amd64 linux-headers-amd64 brings them: 6.12's headers depend on
# their image, 7.x's do not, and without the image dkms 3.2 skips depmod);
# DKMS's kernel hook builds and installs zeropage for each on its own (dkms
# 3.0 and 3.2 word it differently).
new_kernels() {
	local label=$1 root=$2 suite=$3 log=$O/headers-$1-new.log rel
	shift 3
	capt "$root" -t "$suite" install "${@/#/linux-image-}" "${@/#/linux-headers-}" >"$log" 2>&1
	tap "$label: then the backports headers install: $*" $? "see $log"
	for rel in "$@"; do
		grep -q -F -e "autoinstall for kernel: $rel" -e "Autoinstall of module zeropage/$V for kernel $rel " "$log" &&
			grep -q -F -e "Installing to /lib/modules/$rel/updates/dkms" \
				-e "Installing /lib/modules/$rel/updates/dkms/zeropage.ko" "$log"
		tap "$label: DKMS's kernel hook ran autoinstall for $rel and installed zeropage" $? "see $log"
		built "$label" "$root" "$rel"
	done
	phase "$label: new kernels $*, DKMS autoinstall"
}

# boot_each LABEL ROOT RELEASE...: test 2 for each kernel that was found.
boot_each() {
	local label=$1 root=$2 rel
	shift 2
	for rel in "$@"; do
		[ -z "${K[$rel]:-}" ] || boot "$label" "$root" "$rel" "${K[$rel]}"
		phase "$label: boot $rel"
	done
}

# install_packages LABEL ROOT: apt installs both packages from their files.
install_packages() {
	local label=$1 root=$2 log=$O/$1-install.log
	mkdir -p "$root/tmp/zp"
	cp "$DEB_DKMS" "$DEB_TOOLS" "$root/tmp/zp/"
	capt "$root" install "/tmp/zp/${DEB_DKMS##*/}" "/tmp/zp/${DEB_TOOLS##*/}" >"$log" 2>&1
	tap "$label: apt-get install ./zeropage-dkms_${V}_all.deb ./zeropage-tools_*.deb" $? "see $log"
	in_chroot "$root" zeropagectl --help >/dev/null
	tap "$label: zeropage-tools: zeropagectl --help runs" $?
	check "$label: zeropage-tools: modules-load.d snippet names the module" \
		grep -qx zeropage "$root/usr/share/zeropage-tools/modules-load.d/zeropage.conf"
	# deb-systemd-helper enables it whether or not systemd runs.
	check "$label: zeropage-tools: zeropage-cgroups.service enabled (multi-user.target.wants)" \
		test -L "$root/etc/systemd/system/multi-user.target.wants/zeropage-cgroups.service"
	# Enable the shipped example's mode=never, as docs/install.md says.
	sed -i 's/^#options zeropage mode=never$/options zeropage mode=never/' "$root/etc/modprobe.d/zeropage.conf"
	check "$label: the example /etc/modprobe.d/zeropage.conf, uncommented, parses (mode=never)" \
		sh -c "chroot '$root' modprobe --showconfig 2>/dev/null | grep -qx 'options zeropage mode=never'"
}

# purge LABEL ROOT RELEASE...: test 5.
purge() {
	local label=$1 root=$2 log=$O/$1-purge.log left rel
	shift 2
	capt "$root" remove --purge zeropage-dkms zeropage-tools >"$log" 2>&1
	tap "$label: apt-get remove --purge zeropage-dkms zeropage-tools" $? "see $log"
	check "$label: purge: neither package left in dpkg's database" \
		sh -c "! chroot '$root' dpkg-query -W zeropage-dkms zeropage-tools >/dev/null 2>&1"
	left=$(cd "$root" && find lib/modules -name 'zeropage.ko*' 2>/dev/null | head -n 3)
	tap "$label: purge: no zeropage.ko left under /lib/modules" "$([ -z "$left" ]; echo $?)" "$left"
	check "$label: purge: no DKMS tree (/var/lib/dkms/zeropage)" test ! -e "$root/var/lib/dkms/zeropage"
	check "$label: purge: no source (/usr/src/zeropage-$V)" test ! -e "$root/usr/src/zeropage-$V"
	check "$label: purge: dkms status knows no zeropage" \
		sh -c "[ -z \"\$(chroot '$root' dkms status zeropage 2>&1)\" ]"
	for rel in "$@"; do
		check "$label: purge: modules.dep of $rel no longer lists zeropage" \
			sh -c "! grep -q zeropage '$root/lib/modules/$rel/modules.dep' 2>/dev/null"
	done
	check "$label: purge: /etc/modprobe.d/zeropage.conf removed" test ! -e "$root/etc/modprobe.d/zeropage.conf"
	check "$label: purge: /etc/zeropage removed, zeropage-cgroups.service no longer enabled" sh -c \
		"[ ! -e '$root/etc/zeropage' ] && [ ! -L '$root/etc/systemd/system/multi-user.target.wants/zeropage-cgroups.service' ]"
}

# from_checkout LABEL ROOT RELEASE: docs/install.md, "From a checkout with
# DKMS", for one kernel; then dkms remove --all leaves nothing.
from_checkout() {
	local label=$1 root=$2 rel=$3 log=$O/$1-checkout.log ok=0
	mkdir -p "$root/usr/src/zeropage-$V"
	cp -r "$ZP_TOP"/{dkms.conf,Kbuild,module,include} "$root/usr/src/zeropage-$V/"
	find "$root/usr/src/zeropage-$V" \( -name '*.o' -o -name '.*.cmd' \) -exec rm -f {} +
	{
		in_chroot "$root" dkms add "zeropage/$V" &&
			in_chroot "$root" dkms build "zeropage/$V" -k "$rel" &&
			in_chroot "$root" dkms install "zeropage/$V" -k "$rel"
	} >"$log" 2>&1 || ok=1
	tap "$label: from a checkout: dkms add, build -k $rel, install" $ok "see $log"
	in_chroot "$root" dkms status -m zeropage -v "$V" -k "$rel" | grep -q ': installed'
	tap "$label: from a checkout: dkms status says installed for $rel" $?
	in_chroot "$root" dkms remove "zeropage/$V" --all >>"$log" 2>&1
	rm -rf "$root/usr/src/zeropage-$V"
	check "$label: from a checkout: dkms remove --all leaves no module and no DKMS tree" \
		sh -c "[ -z \"\$(find '$root/lib/modules' -name 'zeropage.ko*')\" ] && [ ! -e '$root/var/lib/dkms/zeropage' ]"
}

# ---- 0. host ----
host_tools() {
	apt_install_missing "$O/apt-install.log" debootstrap debhelper dh-dkms dpkg-dev \
		lintian fakeroot build-essential qemu-system-x86 busybox-static cpio xz-utils \
		kmod debian-archive-keyring
}
host_tools || { tap "host tools installed" 1; exit 1; }
make -s -C "$ZP_TOP/selftests" OUT="$ZP_OUT/guest-bin" "$ZP_OUT/guest-bin/zp_test" >/dev/null || { tap "guest programs build" 1; exit 1; }
phase "host tools"

V=$(zp_version)
dkms_v=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' "$ZP_TOP/dkms.conf")
deb_v=$(cd "$ZP_TOP" && dpkg-parsechangelog -S Version)
tap "versions agree: include/zeropage.h ZP_VERSION $V, dkms.conf $dkms_v, debian/changelog $deb_v" \
	"$([ -n "$V" ] && [ "$dkms_v" = "$V" ] && [ "$deb_v" = "$V" ]; echo $?)"

# BUILD_EXCLUSIVE_ARCH against the capability table: architectures (as
# `uname -m` names them) that may load the module, and those that never can.
arch_exclusive() {
	local m bad=""
	eval "$(grep '^BUILD_EXCLUSIVE_ARCH=' "$ZP_TOP/dkms.conf")"
	for m in x86_64 i686 aarch64 armv7l riscv64 ppc64le ppc64 s390x loongarch64 mips64 mips arc sh4; do
		[[ $m =~ $BUILD_EXCLUSIVE_ARCH ]] || bad+=" $m(excluded)"
	done
	for m in alpha parisc parisc64 sparc sparc64 m68k csky hexagon ia64 microblaze nios2 openrisc or1k xtensa; do
		[[ $m =~ $BUILD_EXCLUSIVE_ARCH ]] && bad+=" $m(admitted)"
	done
	[ -z "$bad" ] || { echo "BUILD_EXCLUSIVE_ARCH:$bad" >&2; return 1; }
}
check "dkms.conf: BUILD_EXCLUSIVE_ARCH admits the arches the capability table may load on, excludes the rest" \
	arch_exclusive

# Debian 13 is independent of what follows on the host: bootstrap it meanwhile.
trixie_pid=
rm -f "$O/trixie.release"
case " $SUITES " in *" trixie "*)
	(prepare_chroot trixie && rel=$(headers_release "$D/trixie") && [ -n "$rel" ] &&
		capt "$D/trixie" install "linux-headers-$rel" >"$O/headers-trixie.log" 2>&1 &&
		echo "$rel" >"$O/trixie.release") >"$O/prepare-trixie.log" 2>&1 &
	trixie_pid=$!
	;;
esac

# The packages install on Debian 12 and 13, so Debian 12 builds them (on
# Debian 13 they would depend on its libc and dkms): this host when it is
# Debian 12, else the bookworm chroot, which then runs lintian too.
debs=$ZP_TOP/out/deb
lint=() lint_dir=$debs
if host_is_debian12; then
	make -s -C "$ZP_TOP" deb >"$O/make-deb.log" 2>&1
	tap "make deb (dpkg-buildpackage -us -uc)" $? "see $O/make-deb.log, $debs/build.log"
else
	B=$D/bookworm lint_dir=/tmp/zp-deb
	lint=(in_chroot "$B")
	rm -rf "$debs" && mkdir -p "$debs"
	prepare_chroot bookworm debhelper dh-dkms dpkg-dev fakeroot build-essential lintian \
		>"$O/prepare-deb.log" 2>&1 &&
		"$ZP_TOP/scripts/build-deb.sh" "$B/tmp/zp-deb" "$B" >"$O/make-deb.log" 2>&1 &&
		cp "$B"/tmp/zp-deb/*.deb "$debs/"
	tap "make deb in the bookworm chroot (dpkg-buildpackage -us -uc)" $? \
		"see $O/make-deb.log, $B/tmp/zp-deb/build.log"
fi
DEB_DKMS=$debs/zeropage-dkms_${V}_all.deb
DEB_TOOLS=$(find "$debs" -maxdepth 1 -name "zeropage-tools_${V}_*.deb" | head -n 1)
check "make deb: zeropage-dkms_${V}_all.deb and zeropage-tools_${V}_<arch>.deb" \
	test -f "$DEB_DKMS" -a -f "$DEB_TOOLS"
[ -f "$DEB_DKMS" ] && [ -f "$DEB_TOOLS" ] || exit 1
# has_files DEB PATH...: the package ships every PATH.
has_files() {
	local deb=$1 f list
	shift
	list=$(dpkg-deb -c "$deb" | awk '{ print $6 }')
	for f in "$@"; do grep -qx "./$f" <<<"$list" || { echo "missing $f" >&2; return 1; }; done
}
check "zeropage-dkms: /usr/src/zeropage-$V has dkms.conf, Kbuild, module/, include/" \
	has_files "$DEB_DKMS" usr/src/zeropage-$V/{dkms.conf,Kbuild,module/main.c,include/zeropage.h}
check "zeropage-dkms: Architecture all, depends on dkms" \
	sh -c "[ \"\$(dpkg-deb -f '$DEB_DKMS' Architecture)\" = all ] && dpkg-deb -f '$DEB_DKMS' Depends | grep -q dkms"
check "zeropage-tools: zeropagectl, its man page, /etc/modprobe.d/zeropage.conf, modules-load.d snippet, /etc/zeropage/cgroups.conf" \
	has_files "$DEB_TOOLS" usr/sbin/zeropagectl usr/share/man/man8/zeropagectl.8.gz \
	etc/modprobe.d/zeropage.conf usr/share/zeropage-tools/modules-load.d/zeropage.conf \
	etc/zeropage/cgroups.conf
conffiles=$(dpkg-deb --ctrl-tarfile "$DEB_TOOLS" | tar -xOf - ./conffiles)
for f in /etc/modprobe.d/zeropage.conf /etc/zeropage/cgroups.conf; do
	check "zeropage-tools: $f is a conffile" grep -qx "$f" <<<"$conffiles"
done
# dh_installsystemd puts it in lib/ or usr/lib/, as its version has it.
# (grep reads to the end: dpkg-deb complains of a pipe closed early.)
check "zeropage-tools: zeropage-cgroups.service, in the unit directory" \
	sh -c "dpkg-deb -c '$DEB_TOOLS' | grep ' \./\(usr/\)\?lib/systemd/system/zeropage-cgroups\.service\$' >/dev/null"
check "zeropage-tools: its postinst enables zeropage-cgroups.service" \
	sh -c "dpkg-deb --ctrl-tarfile '$DEB_TOOLS' | tar -xOf - ./postinst | grep \"deb-systemd-helper enable 'zeropage-cgroups.service'\" >/dev/null"
# shellcheck disable=SC2016	# expanded where lintian runs
lintian_out=$("${lint[@]}" sh -c 'lintian -I -E --pedantic "$1"/zeropage_"$2"_*.changes' \
	sh "$lint_dir" "$V" 2>/dev/null)
rc=$?
echo "$lintian_out" >"$O/lintian.log"
tap "lintian --pedantic -I -E: no tags on the source and binary packages" \
	"$([ $rc = 0 ] && [ -z "$lintian_out" ]; echo $?)" "$(head -n 3 <<<"$lintian_out")"
phase "packages and lintian"

# ---- Debian 12: tests 1, 4, 2, 5 ----
if [[ " $SUITES " = *" bookworm "* ]]; then
	B=$D/bookworm
	if prepare_chroot bookworm >"$O/prepare-bookworm.log" 2>&1; then
		OLD=() NEW=()
		for f in $FLAVOURS; do OLD+=("$(headers_release "$B" "" "$f")"); done
		for f in $BPO_FLAVOURS; do NEW+=("$(headers_release "$B" bookworm-backports "$f")"); done
		log "dkms: bookworm kernels: ${OLD[*]}; then from backports: ${NEW[*]}"
		KEEP_IMAGES=" ${NEW[*]} " reset_chroot "$B" "${OLD[@]}"
		capt "$B" install "${OLD[@]/#/linux-headers-}" >"$O/headers-bookworm-old.log" 2>&1
		tap "bookworm: headers installed: ${OLD[*]}" $? "see $O/headers-bookworm-old.log"
		phase "bookworm chroot"

		# 1. the package, with those headers present.
		install_packages bookworm "$B"
		for rel in "${OLD[@]}"; do built bookworm "$B" "$rel"; done
		phase "bookworm: package install, DKMS builds for ${OLD[*]}"

		# 4. new kernels after the package.
		new_kernels bookworm "$B" bookworm-backports "${NEW[@]}"

		# 2. boot each.
		boot_each bookworm "$B" "${OLD[@]}" "${NEW[@]}"

		# 5.
		purge bookworm "$B" "${OLD[@]}" "${NEW[@]}"
		phase "bookworm: purge"

		from_checkout bookworm "$B" "${OLD[0]}"
		phase "bookworm: dkms add/build/install from a checkout"
	else
		tap "bookworm: chroot prepared" 1 "see $O/prepare-bookworm.log"
	fi
fi

# ---- Debian 13: tests 3, 4, 5 ----
if [ -n "$trixie_pid" ]; then
	T=$D/trixie
	wait "$trixie_pid"
	phase "trixie chroot (waited for it)"
	R3=$(cat "$O/trixie.release" 2>/dev/null)
	if [ -n "$R3" ]; then
		NEW3=()
		rel=$(headers_release "$T" trixie-backports)
		[ -z "$rel" ] || [ "$rel" = "$R3" ] || NEW3=("$rel")
		log "dkms: trixie kernel: $R3; then from backports: ${NEW3[*]:-none}"
		KEEP_IMAGES=" ${NEW3[*]} " reset_chroot "$T" "$R3"
		tap "trixie: linux-headers-$R3 installed, with gcc-14" \
			"$(installed "$T" "linux-headers-$R3" && installed "$T" gcc-14; echo $?)"
		install_packages trixie "$T"
		built trixie "$T" "$R3"
		phase "trixie: package install, DKMS build for $R3"
		if [ ${#NEW3[@]} -gt 0 ]; then
			new_kernels trixie "$T" trixie-backports "${NEW3[@]}"
		else
			tap "trixie: then the backports headers install # SKIP trixie-backports has no linux-headers-amd64 newer than $R3" 0
		fi
		boot_each trixie "$T" "$R3" "${NEW3[@]}"
		purge trixie "$T" "$R3" "${NEW3[@]}"
		phase "trixie: purge"
	else
		tap "trixie: chroot prepared with linux-headers-amd64" 1 "see $O/prepare-trixie.log"
	fi
fi

# Summary on stderr: the caller's own summary line must stay the last.
summary >&2
