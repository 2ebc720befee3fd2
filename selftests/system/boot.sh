#!/usr/bin/env bash
# boot.sh DISK VARS PAYLOAD DIR [TIMEOUT]: boot the system image DISK (a
# qcow2 overlay of the cached image) under QEMU TCG (no KVM) with Debian's
# Secure Boot OVMF (OVMF_CODE_4M.secboot.fd, read-only; VARS, this run's
# copy of OVMF_VARS_4M.ms.fd: the Microsoft keys enrolled, SMM on q35) and
# the payload disk PAYLOAD (virtio serial "zppayload": the image's
# zp-system-test.service runs it and powers off).  The serial console goes
# to DIR/console.log, the payload's TAP (ttyS1) to DIR/report.log.  Killed
# after TIMEOUT seconds (default 1200).  Exits with QEMU's status (124:
# timed out).
set -uo pipefail
disk=$1 vars=$2 payload=$3 dir=$4 timeout_s=${5:-1200}
code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
mkdir -p "$dir"
rm -f "$dir/console.log" "$dir/report.log"
timeout -k 10 "$timeout_s" qemu-system-x86_64 -nodefaults -display none -no-reboot \
	-machine q35,smm=on -accel tcg -cpu max -smp 2 -m 2048 \
	-global driver=cfi.pflash01,property=secure,value=on \
	-drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
	-drive if=pflash,format=raw,unit=1,file="$vars" \
	-drive file="$disk",if=none,id=root,format=qcow2 -device virtio-blk-pci,drive=root,bootindex=1 \
	-drive file="$payload",if=none,id=payload,format=raw -device virtio-blk-pci,drive=payload,serial=zppayload \
	-serial file:"$dir/console.log" -serial file:"$dir/report.log" \
	-nic none -monitor none >"$dir/qemu.log" 2>&1
