#!/bin/sh
# Guest side of make bench: every configuration in interleaved rounds in this
# one guest session, raw lines "raw cfg=C round=R case=... ns=... flt=... rss=...".
# "bench.sh quick" (or zp.bench=quick on the kernel command line): one small
# round, judged as TAP (sanity only, no timing thresholds).
. /tests/tap.sh
# zp.bench.rounds=N and zp.bench.mib=N on the kernel command line change
# the full mode's 5 rounds of 256 MiB.
mode=full ROUNDS=5 MIB=256
for word in $(cat /proc/cmdline); do
	case $word in
	zp.bench=quick) mode=quick ;;
	zp.bench.rounds=*) ROUNDS=${word#*=} ;;
	zp.bench.mib=*) MIB=${word#*=} ;;
	esac
done
[ "${1:-}" = quick ] && mode=quick
if [ $mode = quick ]; then
	ROUNDS=1 MIB=16 CFGS="stock always never fa64k cg5"
else
	CFGS="stock always never stock2 fa16k fa64k fa256k fa2m cg1 cg5"
fi
CASES="read write rtw shared-read file-read rand-read munmap read-mt2 rtw-mt2"

# in_policy DEPTH: move this shell (and so zp_bench) into a cgroup DEPTH
# levels below /zpb, which has the policy "always": the fault path's
# lookup walks DEPTH levels up before it finds it.
in_policy() {
	[ -e /sys/fs/cgroup/cgroup.controllers ] || mount -t cgroup2 none /sys/fs/cgroup || return 1
	zpb_leaf=/sys/fs/cgroup/zpb
	mkdir -p $zpb_leaf || return 1
	i=0
	while [ $i -lt $1 ]; do
		i=$((i + 1))
		mkdir $zpb_leaf/l$i || return 1
		zpb_leaf=$zpb_leaf/l$i
	done
	echo always /zpb >/sys/kernel/mm/zeropage/cgroups && echo $$ >$zpb_leaf/cgroup.procs
}

# out_of_policy: back to the root cgroup; the cgroups go (the policy with them).
out_of_policy() {
	[ -d /sys/fs/cgroup/zpb ] || return 0
	echo $$ >/sys/fs/cgroup/cgroup.procs
	d=$zpb_leaf
	while case $d in /sys/fs/cgroup/zpb*) true ;; *) false ;; esac; do
		rmdir $d
		d=${d%/*}
	done
}

setup() {
	case $1 in
	always) zp_load ;;
	cg1) zp_load && in_policy 1 ;;
	cg5) zp_load && in_policy 5 ;;
	never) zp_load mode=never ;;
	fa16k) zp_load fault_around_bytes=16384 ;;
	fa64k) zp_load fault_around_bytes=65536 ;;
	fa256k) zp_load fault_around_bytes=262144 ;;
	fa2m) zp_load fault_around_bytes=2097152 ;;
	esac
}

cases_for() {
	case $1 in
	fa*) echo read rand-read munmap ;;
	cg*) echo read write rtw ;;
	*) echo $CASES ;;
	esac
}

# measure CFG ROUND ZP_BENCH-ARGS...: one configuration's raw lines on
# stdout, failures on fd 3.  A module that does not load is a failure, never
# the stock kernel measured under the configuration's name.
measure() {
	cfg=$1 round=$2
	shift 2
	if ! setup $cfg; then
		out_of_policy
		tap_fail "bench: configuration $cfg: the module loads" >&3
		return
	fi
	zp_bench "$@" >/tmp/bench.one
	rc=$?
	[ $rc = 0 ] || tap_fail "bench: zp_bench $* ($cfg) exited with status $rc" >&3
	sed "s/^/raw cfg=$cfg round=$round /" /tmp/bench.one
	out_of_policy
	grep -q '^zeropage ' /proc/modules && zp_unload
}

exec 3>&1
tap_diag "bench: $(uname -r), $mode, $ROUNDS rounds of $MIB MiB, configurations $CFGS"
# A first pass the kernel has never seen (cold slab caches, page cache,
# page-table pages) is an outlier, whatever the clock: warm up, unrecorded.
[ $mode = quick ] || measure stock 0 -m $MIB $CASES >/dev/null
for round in $(seq $ROUNDS); do
	for cfg in $CFGS; do
		measure $cfg $round -m $MIB $(cases_for $cfg)
	done
	tap_diag "bench: round $round done"
done >/tmp/bench.raw
if [ $mode = full ]; then
	for cfg in stock always never; do
		measure $cfg 1 rss1g
	done >>/tmp/bench.raw
	cat /tmp/bench.raw
	tap_end bench
fi

# quick: the numbers must be sane and the RSS behaviour as designed.
val() { awk -v c="cfg=$1" -v k="case=$2" -v f="$3" '$2 == c && $4 == k {
	for (i = 5; i <= NF; i++) { split($i, kv, "="); if (kv[1] == f) print kv[2] } }' /tmp/bench.raw; }
for cfg in $CFGS; do
	for c in $(cases_for $cfg); do
		ns=$(val $cfg $c ns)
		[ -n "$ns" ] && [ "$ns" -gt 0 ] 2>/dev/null && tap_ok "bench quick: $cfg $c ran ($ns ns/page)" ||
			tap_fail "bench quick: $cfg $c ran (ns '$ns')"
	done
done
awk_true() { awk "BEGIN { exit !($1) }"; }
tap_check "bench quick: stock read keeps RSS flat" awk_true "$(val stock read rss) < 1"
tap_check "bench quick: always read keeps RSS flat" awk_true "$(val always read rss) < 1"
tap_check "bench quick: always read 5 cgroups below the policy keeps RSS flat" awk_true "$(val cg5 read rss) < 1"
tap_check "bench quick: never read grows RSS by the region" awk_true "$(val never read rss) >= $MIB - 1"
tap_check "bench quick: stock read-then-write takes 2 faults/page" awk_true "$(val stock rtw flt) >= 1.9"
tap_check "bench quick: never read-then-write takes 1 fault/page" awk_true "$(val never rtw flt) <= 1.1"
# A 64 KiB window holds 65536/PAGE pages: at most twice the ideal share of
# faults (4 KiB pages: 1/8 fault a page).
page=$(page_size)
if [ "$page" -lt 65536 ]; then
	tap_check "bench quick: fault-around 64 KiB takes <= twice the ideal faults/page ($page/65536)" \
		awk_true "$(val fa64k read flt) <= 2 * $page / 65536"
else
	tap_skip "bench quick: fault-around 64 KiB" "a 64 KiB window is one $page-byte page"
fi
tap_end bench-quick
