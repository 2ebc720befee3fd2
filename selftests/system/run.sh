#!/usr/bin/env bash
# run.sh: make check-system (first slice: Debian 12 only).
# A debootstrapped Debian 12 system image (image.sh, cached) boots under
# QEMU TCG with Secure Boot (boot.sh): OVMF with the Microsoft keys, shim,
# signed GRUB, the stock signed kernel, lockdown integrity, systemd.
#   boot 1 (install): apt installs this tree's zeropage-dkms and
#     zeropage-tools packages (make deb); DKMS builds the module and signs
#     it with its MOK key; the key is not enrolled, so the module is
#     refused; the modules-load.d snippet is enabled.
#   host: the guest's /var/lib/dkms/mok.pub, read back from the payload
#     disk, is added to the MokList of this run's vars file with
#     virt-fw-vars --add-mok.  This stands in for MokManager's enrolment
#     screen (mokutil --import, reboot, confirm) only: no person here.
#   boot 2 (verify): the module was loaded at boot by systemd-modules-load,
#     signature verified; zeropagectl status; a 64 MiB read maps the zero
#     page; the module re-signed with a key not enrolled, and unsigned, is
#     refused with "Key was rejected by service"; lockdown raised to
#     confidentiality at runtime, it unloads, loads and works again.
#   boot 3 (confidentiality): booted with lockdown=confidentiality, the
#     module was loaded at boot and maps the zero page.
# ZP_SYSTEM_ENROL=no skips the enrolment: the verify boot then shows red.
# TAP in out/system/results.tap, one line "N passed, N failed, N skipped".
# ZP_SYSTEM_TIMEOUT: seconds per boot (default 1500).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../bed/lib.sh
. "$here/../bed/lib.sh"
. "$here/deps.sh"

suite=bookworm
timeout_s=${ZP_SYSTEM_TIMEOUT:-1500}
shim_guid=605dab50-e046-4300-abb6-3dd810dd8b23	# shim's vendor GUID, owner of the MokList entry
run=$ZP_OUT/system/$suite
results_begin "$ZP_OUT/system/results.tap" "system: "
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
phase packages

# payload STAGE IMG: the payload disk for one boot (vfat, made with mtools).
payload() {
	local stage=$1 p=$2
	rm -f "$p"
	mkfs.vfat -C -n ZPPAYLOAD "$p" $((64 * 1024)) >/dev/null
	echo "$stage" >"$run/stage"
	mcopy -i "$p" "$run/stage" "$here/guest.sh" ::/
	mmd -i "$p" ::/debs ::/bin
	mcopy -i "$p" "$run"/deb/zeropage-dkms_*.deb "$run"/deb/zeropage-tools_*.deb ::/debs/
	mcopy -i "$p" "$run/bin/zp_demo" ::/bin/
}

# boot STAGE: boot the image with STAGE's payload; collect the guest's TAP,
# its end, its console; copy the payload disk's files to $run/STAGE/files.
boot() {
	local stage=$1 d=$run/$1 rc t end bad
	payload "$stage" "$run/payload-$stage.img"
	log "boot $stage (timeout $timeout_s s; console $d/console.log)"
	t=$(date +%s)
	"$here/boot.sh" "$run/disk.qcow2" "$run/vars.fd" "$run/payload-$stage.img" "$d" "$timeout_s" && rc=0 || rc=$?
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

qemu-img create -q -f qcow2 -F raw -b "$img/disk.raw" "$run/disk.qcow2"
cp /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$run/vars.fd"
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
	virt-fw-vars --input "$run/vars.fd" --output "$run/vars-mok.fd" \
		--add-mok "$shim_guid" "$run/mok.pem" >>"$run/enrol.log" 2>&1; then
	mv "$run/vars-mok.fd" "$run/vars.fd"
	tap "host: the guest's DKMS key enrolled in the MokList (virt-fw-vars --add-mok)" 0
	boot verify
	boot confidentiality
else
	tap "host: the guest's DKMS key enrolled in the MokList (virt-fw-vars --add-mok)" 1 "see $run/enrol.log"
fi
summary
