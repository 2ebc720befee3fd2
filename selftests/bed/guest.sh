#!/usr/bin/env bash
# guest.sh RELEASE ROOT KO RUN OUTDIR [interactive]
# Build an initramfs (static busybox, the module, the test module
# zp_testmod.ko where build-module.sh put one beside it, the selftest
# binaries) for one kernel and boot it under QEMU TCG; the guest runs
# /tests/RUN.sh.  The console goes to OUTDIR/console.log, what RUN.sh
# prints (TAP) to OUTDIR/report.log.
# Environment: ZP_GUEST_APPEND (more kernel command line, e.g. zp.stress=long),
# ZP_GUEST_EXTRA (a directory copied over the initramfs root),
# ZP_GUEST_TIMEOUT (s), ZP_GUEST_CPUS, ZP_GUEST_MEM (MiB), ZP_GUEST_ACCEL
# (QEMU's -accel, default tcg: one host thread per vCPU), ZP_GUEST_ICOUNT=1
# (the guest clock counts executed instructions, 1 ns each: a clock that
# host load cannot move; one vCPU), ZP_STOP_ON_FAIL (set: stop QEMU at the
# guest's first "not ok" or bad console line; make check-mutants needs only
# the first failure).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

release=$1 root=$2 ko=$3 run=$4 outdir=$5 mode=${6:-batch}
timeout_s=${ZP_GUEST_TIMEOUT:-300}
mkdir -p "$outdir"
stage=$outdir/initramfs
rm -rf "$stage"
mkdir -p "$stage"/{bin,dev,proc,sys,tmp,tests,lib/modules/extra}
cp /bin/busybox "$stage/bin/busybox"
cp "$ZP_TOP/selftests/guest/init" "$stage/init"
cp "$ZP_TOP"/selftests/guest/*.sh "$ZP_TOP"/bench/bench.sh "$stage/tests/"
cp -r "$ZP_OUT"/guest-bin/. "$stage/tests/"
cp "$ko" "$stage/lib/modules/zeropage.ko"
testmod=$(dirname "$ko")/zp_testmod.ko
[ ! -e "$testmod" ] || cp "$testmod" "$stage/lib/modules/"
# zram (swap inside the guest) and what it depends on, from the image's
# tree, with its default compressor where that is a module (lzo-rle on the
# cloud kernel: zram cannot ask for it), and nbd (a swap device whose reads
# a test serves: unload-parked); lib/modules/extra/order lists them in
# load order.
mods=$root/lib/modules/$release
deps=$(awk -F': *' '$1 ~ /\/(lzo-rle|zram|nbd)\.ko/ { n = split($2, d, " "); for (i = n; i > 0; i--) print d[i]; print $1 }' \
	"$mods/modules.dep")
for f in $deps; do
	m=$(basename "${f%%.ko*}")
	case $f in
	*.xz) xz -dc "$mods/$f" >"$stage/lib/modules/extra/$m.ko" ;;
	*) cp "$mods/$f" "$stage/lib/modules/extra/$m.ko" ;;
	esac
	echo "$m" >>"$stage/lib/modules/extra/order"
done
# This bed gives its guests zram swap: check.sh fails where it does not work.
touch "$stage/tests/swap-provided"
[ -z "${ZP_GUEST_EXTRA:-}" ] || cp -a "$ZP_GUEST_EXTRA"/. "$stage/"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$outdir/initramfs.gz"

cmdline="console=ttyS0 $ZP_GUEST_PARAMS zp.run=$run mitigations=off ${ZP_GUEST_APPEND:-}"
qemu=(qemu-system-x86_64 -nodefaults -display none -no-reboot -machine q35
	-accel "${ZP_GUEST_ACCEL:-tcg}" -cpu max -smp "${ZP_GUEST_CPUS:-2}" -m "${ZP_GUEST_MEM:-1024}"
	-kernel "$root/boot/vmlinuz-$release" -initrd "$outdir/initramfs.gz")
[ -z "${ZP_GUEST_ICOUNT:-}" ] || qemu+=(-icount shift=0,align=off,sleep=off -smp 1)
if [ "$mode" = interactive ]; then
	exec "${qemu[@]}" -append "$cmdline" -serial mon:stdio -serial "file:$outdir/report.log"
fi
# early_boot_trouble QEMU-PID: what went wrong before /init, while only the
# stock kernel has run: "hung before /init", "failed before /init" (an Oops
# or the like, or QEMU gone: a panic reboots, and -no-reboot ends it), or
# nothing once /init runs.
early_boot_trouble() {
	local console=$outdir/console.log
	for _ in $(seq 120); do
		if grep -q 'Run /init' "$console" 2>/dev/null; then
			if sed '/Run \/init/q' "$console" | grep -q -E "$BAD_CONSOLE"; then
				echo "failed before /init"
			fi
			return 0
		fi
		if ! kill -0 "$1" 2>/dev/null; then
			grep -q 'Run /init' "$console" 2>/dev/null || echo "failed before /init"
			return 0
		fi
		sleep 1
	done
	echo "hung before /init"
}

# stop_on_failure QEMU-PID: stop QEMU once the guest reported a failure.
stop_on_failure() {
	while kill -0 "$1" 2>/dev/null; do
		if grep -q '^not ok - ' "$outdir/report.log" 2>/dev/null ||
			console_bad "$outdir/console.log" >/dev/null; then
			sleep 2	# the rest of a console report
			log "guest $release: stopped at its first failure"
			kill "$1" 2>/dev/null
			return
		fi
		sleep 1
	done
}

# Multi-threaded TCG now and then hangs or oopses a stock kernel in early
# boot (seen: a hang after "Switched to clocksource", an int3 Oops on
# 6.12-rt), long before the module: such a boot is tried once more.  The
# second try is judged as it comes.
for attempt in 1 2; do
	rc=0
	rm -f "$outdir/console.log" "$outdir/report.log"
	timeout "$timeout_s" "${qemu[@]}" -append "$cmdline" \
		-serial "file:$outdir/console.log" -serial "file:$outdir/report.log" </dev/null &
	qpid=$!
	trouble=$(early_boot_trouble $qpid)
	if [ -z "$trouble" ] || [ "$attempt" = 2 ]; then
		[ -z "${ZP_STOP_ON_FAIL:-}" ] || stop_on_failure $qpid
		wait $qpid || rc=$?
		break
	fi
	cp "$outdir/console.log" "$outdir/console-early-$attempt.log"
	log "guest $release $trouble (attempt $attempt), booting again; console kept in $outdir/console-early-$attempt.log"
	kill $qpid 2>/dev/null || true	# gone already, when it panicked
	wait $qpid || true
done
exit "$rc"
