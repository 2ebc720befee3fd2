#!/bin/sh
# The stress and hostile-input suite, inside one guest: the fault storm with
# mode toggles, OOM in a small memory cgroup, userfaultfd on stock and in
# each mode, the sysfs and parameter fuzzers, unprivileged access (part
# "main"), and the storm under load/unload cycles (part "cycle").  Kernel
# command line: zp.stress=long for the long version (default: quick, for
# CI), zp.stress.part=main|cycle|all (default all), zp.stress.cycles=N.
# Starts and ends with the module unloaded.  Prints TAP; each test's first
# line carries its report (iterations, pages verified, counters, duration).
. /tests/tap.sh

LONG=0 PART=all CYCLES=
for word in $(cat /proc/cmdline); do
	case $word in
	zp.stress=long) LONG=1 ;;
	zp.stress.part=*) PART=${word#*=} ;;
	zp.stress.cycles=*) CYCLES=${word#*=} ;;
	esac
done
# FUZZ_N writes go to each of the three writable files.
if [ $LONG = 1 ]; then
	STORM_S=120 OOM_ROUNDS=10 UFFD_ROUNDS=50 FUZZ_N=50000 PARAM_N=1000
	CYCLES=${CYCLES:-1000}
else
	STORM_S=10 OOM_ROUNDS=2 UFFD_ROUNDS=5 FUZZ_N=3400 PARAM_N=100
	CYCLES=${CYCLES:-200}
fi
SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
tap_diag "kernel $(uname -r), $(nproc) CPUs, part $PART, seed $SEED"

# What must never appear in the kernel log (the host scans the console too).
BAD='Oops|BUG|WARNING|Call Trace|lockdep|possible circular|KASAN|general protection|soft lockup|hung_task|stall|Kernel panic|Bad page|bad pte|list_(add|del) corruption|sleeping function called|segfault at|traps: |invalid opcode|unexpected fatal signal'

# The OOM-killer's own report (from "invoked oom-killer" to its "Killed
# process" line) carries a stack dump: there only the headline of another
# report fails (lockdep and RCU reports begin with WARNING: or BUG:; a
# stack frame may name a lockdep function).
OOM_BAD=$(echo "$BAD" | sed 's/|Call Trace|lockdep|/|/; s/|stall|/|detected stall|/')

# kernel_clean NAME [OOM-KILLS]: nothing bad logged since the last call,
# judged from dmesg (the OOM phase lowers the console's loglevel, so the
# host's console scan cannot see it): BAD outside the OOM-killer's
# reports, OOM_BAD inside them.  With OOM-KILLS, at least that many
# reports must be there (the window was really looked at).
kernel_clean() {
	dmesg -c >/tmp/kmsg
	awk '/invoked oom-killer/ { oom = 1 } !oom { print } /Killed process/ { oom = 0 }' /tmp/kmsg |
		grep -E "$BAD" >/tmp/bad
	awk '/invoked oom-killer/ { oom = 1 } oom { print } /Killed process/ { oom = 0 }' /tmp/kmsg |
		grep -E "$OOM_BAD" >>/tmp/bad
	reports=$(grep -c 'invoked oom-killer' /tmp/kmsg)
	if [ -s /tmp/bad ] || [ "$reports" -lt "${2:-0}" ]; then
		tap_fail "$1: kernel log clean ($reports OOM-killer reports${2:+, want >= $2})"
		sed 's/^/# /' /tmp/bad | head -n 20
	else
		tap_ok "$1: kernel log clean"
	fi
}

# phase NAME PROGRAM ARGS...: run one test program (judged by tap_prog),
# note how long it took.
phase() {
	name=$1; shift
	t0=$(date +%s)
	tap_prog "$@"
	tap_diag "$name: $(( $(date +%s) - t0 )) s"
}

# load PHASE / unload PHASE: the module in and out around a phase, each a
# check: a phase run without the module would pass on the stock kernel.
load() { tap_check "stress $1: the module loads" zp_load; }
unload() { tap_check "stress $1: the module unloads" zp_unload; }

dmesg -c >/dev/null
tap_check "stress: starts with the module unloaded" sh -c '! grep -q "^zeropage " /proc/modules'

part_main() {
	load storm
	phase storm zp_stress storm $STORM_S
	unload storm
	kernel_clean "stress storm"

	# The OOM reports go to the log only: on the console their stack
	# dumps would read as failures (kernel_clean judges the log, the
	# reports' windows included; quick and long: one kill per round).
	read -r printk _ </proc/sys/kernel/printk
	echo 3 >/proc/sys/kernel/printk
	load oom
	phase oom zp_stress oom $OOM_ROUNDS
	unload oom
	echo "$printk" >/proc/sys/kernel/printk
	kernel_clean "stress oom" $OOM_ROUNDS

	phase uffd-stock zp_stress uffd $UFFD_ROUNDS
	load uffd
	phase uffd-always zp_stress uffd $UFFD_ROUNDS
	echo never >$ZP_SYS/enabled
	phase uffd-never zp_stress uffd $UFFD_ROUNDS
	unload uffd
	kernel_clean "stress uffd"

	load fuzz
	phase fuzz-sysfs zp_sysfs_fuzz sysfs $FUZZ_N $SEED
	phase unpriv zpctl-asuser 65534 zp_sysfs_fuzz unpriv
	unload fuzz
	phase fuzz-params zp_sysfs_fuzz params $PARAM_N $SEED
	kernel_clean "fuzz"
}

part_cycle() {
	phase cycle zp_stress cycle $CYCLES
	kernel_clean "stress load/unload"
}

case $PART in
main | cycle) part_$PART ;;
*) part_main; part_cycle ;;
esac

tap_check "stress: ends with the module unloaded" sh -c '! grep -q "^zeropage " /proc/modules'
tap_end stress
