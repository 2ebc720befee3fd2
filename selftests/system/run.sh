#!/usr/bin/env bash
# run.sh [full|quick]: make check-system (full; Debian 12 so far), and
# make check's one Secure Boot boot (quick, below).
# A debootstrapped Debian 12 system image (image.sh, cached) boots under
# QEMU TCG with Secure Boot (boot.sh): OVMF with the Microsoft keys, shim,
# signed GRUB, the stock signed kernel, lockdown integrity, systemd.
#   boot 1 (install): apt installs this tree's zeropage-dkms and
#     zeropage-tools packages (make deb); DKMS builds the module and signs
#     it with its MOK key; the key is not enrolled, so the module is
#     refused; the modules-load.d snippet is enabled, cgroups.conf gets a
#     db.slice line.
#   host: the guest's /var/lib/dkms/mok.pub, read back from the payload
#     disk, is added to the MokList of this run's vars file with
#     virt-fw-vars --add-mok.  This stands in for MokManager's enrolment
#     screen (mokutil --import, reboot, confirm) only: no person here.
#   boot 2 (verify): the module was loaded at boot by systemd-modules-load,
#     signature verified; zeropagectl status; a 64 MiB read maps the zero
#     page (kpageflags); zeropage-cgroups.service applied db.slice's
#     policy at boot, a service in db.slice gets it; zeropagectl run
#     through the real systemd-run; an edit applied by systemctl restart;
#     the module re-signed with a key not enrolled, and unsigned, is
#     refused with "Key was rejected by service"; lockdown raised to
#     confidentiality at runtime, it unloads, loads and works again.
#   boot 3 (confidentiality): booted with lockdown=confidentiality, the
#     module was loaded at boot and maps the zero page; apt installs
#     bookworm-backports' kernel (the bed's 6.12, its signed image; from a
#     local repository on the payload disk: the guest has no network) and
#     DKMS builds for it; apt upgrades the packages to a higher version
#     built here from the same tree (ZP_DEB_VERSION) and DKMS rebuilds
#     for both kernels.
#   boot 4 (newkernel): the new kernel under Secure Boot loads the
#     upgraded module at boot; then apt purge removes everything.
# quick: one boot of the same image (stage quick in guest.sh): the host
#   makes a MOK key pair and enrols it before the boot, the guest makes it
#   DKMS's key (a machine whose DKMS key was enrolled for another module);
#   apt install, the module signed with it loads, maps the zero page, and a
#   db.slice policy applied by zeropage-cgroups.service holds.
# ZP_SYSTEM_ENROL=no skips the enrolment: the verify (quick) boot then
# shows red.
# TAP in out/system/results-MODE.tap, one line "N passed, N failed, N
# skipped".
# ZP_SYSTEM_TIMEOUT: seconds per boot (default 1500; twice that for the
# confidentiality boot, whose kernel install alone took 16 minutes here).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../bed/lib.sh
. "$here/../bed/lib.sh"
. "$here/deps.sh"

mode=${1:-full}
case $mode in full | quick) ;; *) die "usage: run.sh [full|quick]" ;; esac
suite=bookworm
timeout_s=${ZP_SYSTEM_TIMEOUT:-1500}
shim_guid=605dab50-e046-4300-abb6-3dd810dd8b23	# shim's vendor GUID, owner of the MokList entry
run=$ZP_OUT/system/$suite-$mode
results_begin "$ZP_OUT/system/results-$mode.tap" "system: "
rm -rf "$run"
mkdir -p "$run"
system_deps "$ZP_OUT/system"

t0=$(date +%s)
if img=$("$here/image.sh" "$suite" 2> >(tee "$run/image.err" >&2)); then
	tap "image: Debian 12 system image ($(cat "$img/release"); $(($(date +%s) - t0)) s, cached in ${img#"$ZP_TOP"/})" 0
else
	tap "image: Debian 12 system image" 1 "$(tail -n 3 "$run/image.err" | tr '\n' ' ')"
	summary
	exit 1
fi
phase image

"$ZP_TOP/scripts/build-deb.sh" "$run/deb" >"$run/deb.log" 2>&1
tap "packages: make deb builds zeropage-dkms and zeropage-tools" $? "see $run/deb.log"
make -s -C "$ZP_TOP/selftests" OUT="$run/bin" "$run/bin/zp_demo" >"$run/bin.log" 2>&1
tap "packages: the static read workload (zp_demo) builds" $? "see $run/bin.log"
version=$(zp_version)
next=$version.1 new_kernel=
if [ "$mode" = full ]; then
	ZP_DEB_VERSION=$next "$ZP_TOP/scripts/build-deb.sh" "$run/deb-next" >"$run/deb-next.log" 2>&1
	tap "packages: the same tree as version $next, for the upgrade (ZP_DEB_VERSION=$next make deb)" $? \
		"see $run/deb-next.log"
	# The kernel upgrade: what "apt install -t bookworm-backports
	# linux-image-amd64 linux-headers-amd64" fetches on a Debian 12 system
	# like the image (the bed's "6.12"), as a flat apt repository for the
	# guest: the metapackages, the signed image, headers, common headers and
	# kbuild, and what that kbuild needs that the image lacks (pahole, from
	# Debian 12 itself).
	read -r _ new_kernel _ < <("$ZP_TOP/selftests/bed/kernels.sh" 6.12 2>"$run/kernel.log")
	abi=${new_kernel%-amd64}
	repo=$run/repo
	mkdir -p "$repo"
	for p in "linux-image-$new_kernel" "linux-headers-$new_kernel" "linux-headers-$abi-common" "linux-kbuild-$abi"; do
		cp "$(cached_deb "$p")" "$repo/" 2>>"$run/kernel.log"
	done
	bpo=$(apt_opts_for bookworm-backports) main=$(apt_opts_for main)
	# shellcheck disable=SC2086
	(cd "$repo" && apt-get $bpo -o APT::Sandbox::User=root -q download linux-image-amd64 linux-headers-amd64 &&
		apt-get $main -o APT::Sandbox::User=root -q download pahole libbpf1 libdw1 &&
		dpkg-scanpackages . >Packages) >>"$run/kernel.log" 2>&1
	[ -n "$new_kernel" ] && [ "$(grep -c '^Package: ' "$repo/Packages" 2>/dev/null)" = 9 ]
	tap "packages: bookworm-backports kernel ${new_kernel:-?} and what it pulls in, as an apt repository (9 packages)" $? \
		"see $run/kernel.log"
fi
phase packages

# payload STAGE IMG: the payload disk for one boot (vfat, made with
# mtools); the upgrades' packages only for the boot that installs them.
payload() {
	local stage=$1 p=$2 mib=64
	[ "$stage" != confidentiality ] || mib=320
	rm -f "$p"
	mkfs.vfat -C -n ZPPAYLOAD "$p" $((mib * 1024)) >/dev/null
	echo "$stage" >"$run/stage"
	echo "$version" >"$run/version"
	echo "$new_kernel" >"$run/new-kernel"
	echo "$next" >"$run/next-version"
	mcopy -i "$p" "$run/stage" "$run/version" "$run/new-kernel" "$run/next-version" "$here/guest.sh" ::/
	[ "$stage" != quick ] || mcopy -i "$p" "$run/mok.key" "$run/mok.pub" "$run/mok-signer" ::/
	mmd -i "$p" ::/debs ::/bin
	mcopy -i "$p" "$run"/deb/zeropage-dkms_*.deb "$run"/deb/zeropage-tools_*.deb ::/debs/
	mcopy -i "$p" "$run/bin/zp_demo" ::/bin/
	[ "$stage" = confidentiality ] || return 0
	mmd -i "$p" ::/debs-next
	mcopy -i "$p" "$run"/deb-next/zeropage-dkms_*.deb "$run"/deb-next/zeropage-tools_*.deb ::/debs-next/
	mcopy -s -i "$p" "$repo" ::/
}

# boot STAGE: boot the image with STAGE's payload; collect the guest's TAP,
# its end, its console; copy the payload disk's files to $run/STAGE/files.
boot() {
	local stage=$1 d=$run/$1 rc t end bad limit=$timeout_s
	[ "$stage" != confidentiality ] || limit=$((2 * timeout_s))
	payload "$stage" "$run/payload-$stage.img"
	log "boot $stage (timeout $limit s; console $d/console.log)"
	t=$(date +%s)
	"$here/boot.sh" "$run/disk.qcow2" "$run/vars.fd" "$run/payload-$stage.img" "$d" "$limit" && rc=0 || rc=$?
	t=$(($(date +%s) - t))
	sed -n -E 's/^(not ok|ok) - /\1 - /p' "$d/report.log" 2>/dev/null | tr -d '\r' | tee -a "$results"
	mkdir -p "$d/files"
	mcopy -s -n -i "$run/payload-$stage.img" ::/ "$d/files/" 2>/dev/null || true
	grep -a -q 'EFI stub: UEFI Secure Boot is enabled' "$d/console.log"
	tap "$stage: shim, GRUB and the signed kernel booted with UEFI Secure Boot enabled" $? "console $d/console.log"
	end=$(grep -a -o 'zp: guest finished: .*' "$d/report.log" 2>/dev/null | tr -d '\r')
	grep -a -q "^# end of stage: $stage" "$d/report.log" 2>/dev/null && [ "$rc" = 0 ] &&
		[ "$end" = "zp: guest finished: exit status 0" ]
	tap "$stage: the payload ran to its end and the guest powered off ($t s)" $? \
		"${end:-no end}, qemu rc $rc, report $d/report.log"
	bad=$(console_bad "$d/console.log" | head -n 3 | tr '\n' ' ')
	tap "$stage: console free of Oops/BUG/WARNING/Call Trace" "$([ -z "$bad" ]; echo $?)" "$bad"
	phase "boot $stage"
}

# enrol CERT.pem: add CERT to the MokList of this run's vars file.
enrol() {
	virt-fw-vars --input "$run/vars.fd" --output "$run/vars-mok.fd" \
		--add-mok "$shim_guid" "$1" >>"$run/enrol.log" 2>&1 && mv "$run/vars-mok.fd" "$run/vars.fd"
}

qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$run/disk.qcow2"
cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$run/vars.fd"
if [ "$mode" = quick ]; then
	echo "zeropage check-system MOK" >"$run/mok-signer"
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=$(cat "$run/mok-signer")/" \
		-outform DER -keyout "$run/mok.key" -out "$run/mok.pub" >"$run/enrol.log" 2>&1 &&
		openssl x509 -inform DER -in "$run/mok.pub" -out "$run/mok.pem" 2>>"$run/enrol.log"
	tap "host: a MOK key pair for DKMS (openssl)" $? "see $run/enrol.log"
	if [ "${ZP_SYSTEM_ENROL:-yes}" = no ]; then
		log "ZP_SYSTEM_ENROL=no: the key is not enrolled; the quick boot must fail"
		tap "host: the key left out of the MokList on purpose (ZP_SYSTEM_ENROL=no)" 0
	else
		enrol "$run/mok.pem"
		tap "host: the key enrolled in the MokList (virt-fw-vars --add-mok)" $? "see $run/enrol.log"
	fi
	boot quick
	summary
	exit
fi
boot install

# Enrol the DKMS key as MokManager would have after mokutil --import.
# ZP_SYSTEM_ENROL=no leaves it out, to show the verify boot red: the module
# must then be refused at boot, and the run fails.
if [ "${ZP_SYSTEM_ENROL:-yes}" = no ]; then
	log "ZP_SYSTEM_ENROL=no: the DKMS key is not enrolled; the verify boot must fail"
	tap "host: the guest's DKMS key left out of the MokList on purpose (ZP_SYSTEM_ENROL=no)" 0
	boot verify
elif [ -s "$run/install/files/mok.pub" ] &&
	openssl x509 -inform DER -in "$run/install/files/mok.pub" -out "$run/mok.pem" 2>"$run/enrol.log" &&
	enrol "$run/mok.pem"; then
	tap "host: the guest's DKMS key enrolled in the MokList (virt-fw-vars --add-mok)" 0
	boot verify
	boot confidentiality
	boot newkernel
else
	tap "host: the guest's DKMS key enrolled in the MokList (virt-fw-vars --add-mok)" 1 "see $run/enrol.log"
fi
summary
