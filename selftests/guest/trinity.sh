#!/bin/sh
# A peer's fuzzer: Debian's trinity, the kernel's syscall fuzzer, in its
# "vm" group (mmap, mprotect, madvise, mremap, mlock, mbind, vmsplice, ...),
# as an unprivileged user, the same seeds on the stock kernel and with the
# module loaded in each mode, fault-around on.  A module run fails on a
# kernel message no stock run printed, on taint, on a module that does not
# unload, and on counters that moved no more than trinity's start-up alone
# moves them (the fuzzer's memory syscalls never reached the module).
# Kernel command line: zp.stress=long for more seeds and syscalls;
# zp.trinity.seed=N for the first seed (default random).
. /tests/tap.sh

LONG=0 SEED=
for word in $(cat /proc/cmdline); do
	case $word in
	zp.stress=long) LONG=1 ;;
	zp.trinity.seed=*) SEED=${word#*=} ;;
	esac
done
# About 100 syscalls a second under TCG (one child), 2 s of start-up each.
if [ $LONG = 1 ]; then SEEDS=2 N=8000; else SEEDS=1 N=1500; fi
SEED=${SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
seeds=$SEED i=1
while [ $i -lt $SEEDS ]; do seeds="$seeds $((SEED + i))" i=$((i + 1)); done
NOBODY=65534 AROUND=65536 WORK=/tmp/trinity VICTIMS=/tmp/trinity-victims
# O (out-of-tree) and E (unsigned): what loading the module taints.
MODULE_TAINT=$((4096 | 8192))
tap_diag "kernel $(uname -r), $(nproc) CPUs, seeds $seeds, $N syscalls each"

# A fuzzer's children die of the faults they provoke: keep the kernel from
# logging each (x86's "segfault at", "traps:"), which would fail the run
# on the console.
trace_was=$(cat /proc/sys/debug/exception-trace)
echo 0 >/proc/sys/debug/exception-trace
echo 0 >/proc/sys/kernel/print-fatal-signals
# The same seed makes the same syscalls only with one child and without
# address-space randomization (two children interleave as the vCPUs
# please); once-only warnings (pr_warn_once) are re-armed before each run,
# or only the first run to reach one would print it.
aslr_was=$(cat /proc/sys/kernel/randomize_va_space)
REARM=/sys/kernel/debug/clear_warn_once

# What the emulator's pace makes the kernel say, whenever the host starves
# the guest's clock (TCG beside other work): once-a-boot warnings that the
# first slow interrupt prints, whichever run it falls in.  Not compared;
# each run lists those it printed.
PACE='hrtimer: interrupt took|perf: interrupt took too long|sched: RT throttling activated|clocksource: .*(unstable|skew)'

# fuzz LABEL SEED [COUNT]: one trinity run of COUNT (default N) syscalls in
# a scratch directory of its own (it creates files in its cwd), its output
# in $WORK/LABEL-SEED.out, the kernel messages it caused, normalized, in
# $WORK/LABEL-SEED.kmsg; prints the number of syscalls it made, and fails
# unless it ended normally.  Its files to map are two of ours (-V), not the
# 18,000 of /proc, /sys and /dev: start-up in 2 s rather than 5; sockets,
# perf and drm fds add nothing to the vm group's syscalls.
fuzz() {
	dir=$WORK/$1-$2
	mkdir -p "$dir" && chown $NOBODY:$NOBODY "$dir"
	echo 1 >$REARM
	dmesg -c >/dev/null
	(cd "$dir" && zpctl-asuser $NOBODY trinity -q -l off -g vm -N "${3:-$N}" -s "$2" -C 1 \
		-V $VICTIMS --disable-fds=sockets,perf,drm >"$dir.out" 2>&1)
	rc=$?
	# Timestamps, pids, addresses and sizes differ from run to run.
	dmesg -c | sed -E 's/^\[ *[0-9.]+\] //; s/0x[0-9a-f]+/X/g; s/[0-9]+/N/g' | sort -u >"$dir.all"
	grep -v -E "$PACE" "$dir.all" >"$dir.kmsg"
	grep -E "$PACE" "$dir.all" | sed "s/^/# $1, seed $2, the emulator's pace: /" >&2
	count=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' "$dir.out" | tail -n 1)
	echo "${count:-0}"
	[ "$rc" = 0 ] && [ "${count:-0}" -gt 0 ]
}

# counters: the module's fault counters, one line.
counters() {
	for c in zero_mapped private_mapped passed cow_from_zero around_mapped; do
		printf '%s=%s ' $c "$(zp_stat $c)"
	done
}

# moved BEFORE AFTER: the counters that moved, "c=+delta ...", then their
# sum.
moved() {
	echo "$1 $2" | awk '{
		for (i = 1; i <= NF / 2; i++) {
			split($i, a, "="); split($(i + NF / 2), b, "=")
			if (b[2] != a[2]) printf "%s=+%d ", a[1], b[2] - a[2]
			sum += b[2] - a[2]
		}
		print sum
	}'
}

# runs MODE: every seed once; one result for the runs, one for the taint.
runs() {
	taint0=$(cat /proc/sys/kernel/tainted) bad=0 total=0 counts=
	for seed in $seeds; do
		t0=$(date +%s)
		n=$(fuzz "$1" "$seed") || { bad=$((bad + 1)); sed 's/^/# /' "$WORK/$1-$seed.out" | tail -n 20; }
		tap_diag "trinity $1, seed $seed: $n syscalls, $(( $(date +%s) - t0 )) s;" \
			"$(grep -o 'Ran .*' "$WORK/$1-$seed.out" | tail -n 1)"
		total=$((total + n)) counts="$counts $n"
	done
	tap_eq "trinity $1: $SEEDS runs ended normally and made syscalls ($total:$counts)" $bad 0
	tap_eq "trinity $1: taint unchanged by the runs" "$(cat /proc/sys/kernel/tainted)" "$taint0"
}

dmesg -c >/dev/null
mkdir -p $WORK $VICTIMS
echo zeropage >$VICTIMS/small
head -c 65536 /dev/urandom >$VICTIMS/random
chmod -R a+rwX $VICTIMS
taint_stock=$(cat /proc/sys/kernel/tainted)
tap_check "trinity: starts with the module unloaded" sh -c '! grep -q "^zeropage " /proc/modules'
tap_check "trinity: runs made repeatable (ASLR off, once-only warnings re-armed)" sh -c \
	"echo 0 >/proc/sys/kernel/randomize_va_space && test -w $REARM"

runs stock
cat $WORK/stock-*.kmsg | sort -u >$WORK/stock.kmsg
tap_diag "trinity stock: $(wc -l <$WORK/stock.kmsg) distinct kernel messages"

for mode in always never; do
	tap_check "trinity $mode: the module loads, fault_around_bytes $AROUND" sh -c \
		"insmod /lib/modules/zeropage.ko mode=$mode && echo $AROUND >$ZP_SYS/fault_around_bytes"
	# What trinity's start-up and exit alone move: a 1-syscall run.
	before=$(counters)
	fuzz $mode-startup "$SEED" 1 >/dev/null
	startup=$(moved "$before" "$(counters)")
	before=$(counters)
	runs $mode
	delta=$(moved "$before" "$(counters)")
	cat $WORK/$mode-*.kmsg | sort -u | awk 'NR == FNR { stock[$0]; next } !($0 in stock)' \
		$WORK/stock.kmsg - >$WORK/$mode.new
	tap_eq "trinity $mode: no kernel message the stock runs did not print" \
		"$(head -n 3 $WORK/$mode.new | tr '\n' '|')" ""
	sed 's/^/# new: /' $WORK/$mode.new
	# The runs' faults at least twice start-up's, per run: the syscalls'.
	tap_check "trinity $mode: the fuzzer moved the module's counters ($delta; start-up: $startup)" \
		sh -c "[ ${delta##* } -gt 0 ] && [ ${delta##* } -ge $((2 * SEEDS * ${startup##* })) ]"
	tap_check "trinity $mode: the module unloads" zp_unload
done

echo "$trace_was" >/proc/sys/debug/exception-trace
echo "$aslr_was" >/proc/sys/kernel/randomize_va_space
tap_eq "trinity: no taint but loading the module's (O, E)" \
	$(( $(cat /proc/sys/kernel/tainted) & ~MODULE_TAINT )) $((taint_stock & ~MODULE_TAINT))
tap_check "trinity: ends with the module unloaded" sh -c '! grep -q "^zeropage " /proc/modules'
tap_end trinity
