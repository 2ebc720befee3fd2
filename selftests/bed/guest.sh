#!/usr/bin/env bash
# guest.sh RELEASE ROOT KO RUN OUTDIR [interactive]
# Build an initramfs (static busybox, the module, the selftest binaries) for
# one kernel and boot it under QEMU TCG; the guest runs /tests/RUN.sh.  The
# console goes to OUTDIR/console.log, what RUN.sh prints (TAP) to
# OUTDIR/report.log.
# Environment: ZP_GUEST_APPEND (more kernel command line, e.g. zp.stress=long),
# ZP_GUEST_EXTRA (a directory copied over the initramfs root),
# ZP_GUEST_TIMEOUT (s), ZP_GUEST_CPUS, ZP_GUEST_MEM (MiB).
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
# zram (swap inside the guest) and what it depends on, from the image's
# tree; lib/modules/extra/order lists them in load order.
mods=$root/lib/modules/$release
deps=$(awk -F': *' '$1 ~ /\/zram\.ko/ { n = split($2, d, " "); for (i = n; i > 0; i--) print d[i]; print $1 }' \
	"$mods/modules.dep")
for f in $deps; do
	m=$(basename "${f%%.ko*}")
	case $f in
	*.xz) xz -dc "$mods/$f" >"$stage/lib/modules/extra/$m.ko" ;;
	*) cp "$mods/$f" "$stage/lib/modules/extra/$m.ko" ;;
	esac
	echo "$m" >>"$stage/lib/modules/extra/order"
done
[ -z "${ZP_GUEST_EXTRA:-}" ] || cp -a "$ZP_GUEST_EXTRA"/. "$stage/"
(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$outdir/initramfs.gz"

cmdline="console=ttyS0 panic=-1 zp.run=$run loglevel=7 mitigations=off ${ZP_GUEST_APPEND:-}"
qemu=(qemu-system-x86_64 -nodefaults -display none -no-reboot -machine q35
	-cpu max -smp "${ZP_GUEST_CPUS:-2}" -m "${ZP_GUEST_MEM:-1024}"
	-kernel "$root/boot/vmlinuz-$release" -initrd "$outdir/initramfs.gz")
if [ "$mode" = interactive ]; then
	exec "${qemu[@]}" -append "$cmdline" -serial mon:stdio -serial "file:$outdir/report.log"
fi
# A TCG guest now and then hangs early in boot, before /init and long before
# the module: give a boot 120 s to reach /init, and try such a boot twice.
for attempt in 1 2; do
	rc=0
	timeout "$timeout_s" "${qemu[@]}" -append "$cmdline" \
		-serial "file:$outdir/console.log" -serial "file:$outdir/report.log" </dev/null &
	qpid=$!
	for _ in $(seq 120); do
		grep -q 'Run /init' "$outdir/console.log" 2>/dev/null && break
		kill -0 $qpid 2>/dev/null || break
		sleep 1
	done
	if grep -q 'Run /init' "$outdir/console.log" 2>/dev/null || ! kill -0 $qpid 2>/dev/null; then
		wait $qpid || rc=$?
		break
	fi
	log "guest $release hung before /init (attempt $attempt); console $outdir/console.log"
	kill $qpid 2>/dev/null
	wait $qpid
	rc=124
	cp "$outdir/console.log" "$outdir/console-hung-$attempt.log"
done
exit "$rc"
