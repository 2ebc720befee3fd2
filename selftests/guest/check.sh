#!/bin/sh
# The functional suite, inside one guest: load, sysfs ABI, both modes,
# refusals and bad input.  Prints TAP; the host counts and judges it.
. /tests/tap.sh

# The hook to expect, from the kernel's symbols: the first of
# do_anonymous_page and __handle_mm_fault (diversions: ftrace-ipmodify
# only) that the kernel has as a traceable function, else handle_mm_fault.
FILTERS=/sys/kernel/debug/tracing/available_filter_functions
traceable() {
	grep -qw "$1" /proc/kallsyms && { [ ! -r $FILTERS ] || grep -q "^$1\( \|\$\)" $FILTERS; }
}
# no_regs HOOK: HOOK needs ftrace with registers, which this kernel lacks.
# The __handle_mm_fault hook rewrites the flags argument; outside x86, an
# ftrace that hands callbacks arguments but no registers (arm64 6.12 on,
# riscv, s390 7.x) cannot, and only there may the module pass over that
# hook.  The host decides it from the kernel's config and headers
# (selftests/arch/lib.sh ftrace_without_regs).
no_regs() {
	[ "$1" = __handle_mm_fault ] && [ -e /tests/ftrace-without-regs ]
}
native=handle_mm_fault
if [ "${ZP_HOOK_KIND:-ftrace-ipmodify}" = ftrace-ipmodify ]; then
	for f in do_anonymous_page __handle_mm_fault; do
		traceable $f && native=$f && break
	done
fi
KPROBES=/sys/kernel/debug/kprobes/list
# no_probe PATTERN: the kprobe list exists and names no PATTERN.
no_probe() { [ -r $KPROBES ] && ! grep -q "$1" $KPROBES; }
thp=/sys/kernel/mm/transparent_hugepage/enabled
# The handle_mm_fault hook reads the THP setting from the kernel's
# transparent_hugepage_flags -- a data symbol, so in kallsyms only with
# CONFIG_KALLSYMS_ALL -- and only where THP has no per-size settings
# (6.8+, huge_anon_orders_always): elsewhere it must treat THP as possible.
thp_flags_unknown() {
	grep -qw transparent_hugepage_flags /proc/kallsyms &&
		! grep -qw huge_anon_orders_always /proc/kallsyms || echo flags-unknown
}
# with_thp SETTING COMMAND...: run COMMAND with THP set so, then restore it.
with_thp() {
	thp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $thp)
	echo $1 >$thp
	shift
	"$@"
	echo "$thp_was" >$thp
}

# ---- load and the sysfs ABI ----
tap_check "load: insmod succeeds" zp_load
! no_regs $native || native=handle_mm_fault
tap_diag "kernel $(uname -r), expected hook $native"
tap_check "load: /sys/kernel/mm/zeropage appears" test -d $ZP_SYS
for f in enabled audit fault_around_bytes hook arch stats/zero_mapped \
	stats/private_mapped stats/passed stats/cow_from_zero stats/around_mapped \
	stats/walker_zero stats/audit_violations; do
	tap_check "sysfs: $f readable" cat $ZP_SYS/$f
done >/tmp/sysfs.out
cat /tmp/sysfs.out | grep -E '^(not )?ok'
tap_eq "sysfs: enabled defaults to always" "$(cat $ZP_SYS/enabled)" "[always] never"
# Other architectures (selftests/arch) say which table entry and hook kind.
tap_eq "sysfs: hook names the attached strategy" "$(cat $ZP_SYS/hook)" "$native ${ZP_HOOK_KIND:-ftrace-ipmodify}"
tap_check "sysfs: arch verdict says supported" grep -q "^${ZP_ARCH:-x86}: supported" $ZP_SYS/arch
tap_eq "sysfs: audit off by default" "$(cat $ZP_SYS/audit)" 0
# The page size, the span of one page table (fault_around_bytes' range) and
# whether a PTE is wider than a register: from the kernel, not the module.
set -- $(zp_test geometry)
page=$1 span=$2 pte_wide=$3
tap_diag "page size $page, page-table span $span, PTE wider than a register: $pte_wide"
tap_eq "sysfs: fault_around_bytes defaults to the page size" "$(cat $ZP_SYS/fault_around_bytes)" $page
tap_check "sysfs: fault_around_bytes accepts one page table's span ($span)" sh -c \
	"echo $span >$ZP_SYS/fault_around_bytes && grep -qx $span $ZP_SYS/fault_around_bytes && echo $page >$ZP_SYS/fault_around_bytes"
tap_check "sysfs: no kprobe on vm_normal_page while audit is off" no_probe vm_normal_page

# ---- the test bed's helper module (selftests/kmod): states to test in ----
# The arch matrix does not build it: there its tests are skipped.
if [ -e /lib/modules/zp_testmod.ko ]; then
	tap_check "zp_testmod: insmod succeeds" insmod /lib/modules/zp_testmod.ko
elif [ -z "${ZP_ARCH:-}" ]; then
	tap_fail "zp_testmod: zp_testmod.ko is in the guest (build-module.sh builds it)"
fi
# with_testmod NAME ZP_TEST_ARGS...: zp_test ARGS where the module is loaded.
with_testmod() {
	name=$1
	shift
	if grep -q '^zp_testmod ' /proc/modules; then
		zp_test "$@"
	else
		tap_skip "$name" "no zp_testmod.ko in this guest"
	fi
}

# ---- zram: swap for later, and a block device for O_DIRECT ----
# (and nbd, for unload-parked)
for m in $(cat /lib/modules/extra/order 2>/dev/null); do	# none: built in
	insmod /lib/modules/extra/$m.ko
done
zram_dev() { # N SIZE: /dev/zramN of SIZE
	[ -e /sys/block/zram$1 ] || cat /sys/class/zram-control/hot_add >/dev/null
	echo lzo-rle >/sys/block/zram$1/comp_algorithm
	echo $2 >/sys/block/zram$1/disksize
}
zram_dev 0 64M && mkswap /dev/zram0 >/dev/null
zram_dev 1 16M && export ZP_DIO_DEV=/dev/zram1

# ---- the two modes ----
zp_test always
zp_test softdirty
zp_test common
with_testmod "unstable mm (mode always)" unstable
echo never >$ZP_SYS/enabled
tap_eq "sysfs: enabled shows never" "$(cat $ZP_SYS/enabled)" "always [never]"
zp_test never
zp_test softdirty
zp_test common
with_testmod "unstable mm (mode never)" unstable
# never_thp_off [flags-unknown]: mode never with THP off (madvise, never).
never_thp_off() {
	for setting in madvise never; do
		with_thp $setting zp_test never-thp-off $1
	done
}
if [ -e $thp ]; then
	# Only the hooks before the kernel's walk decide for its THP path.
	never_thp_off $([ $native != do_anonymous_page ] && thp_flags_unknown)
	with_thp always zp_test thp
	# Per-size THP (6.8+): 64 KiB folios only.  With 4 KiB pages.
	mthp=${thp%/enabled}/hugepages-64kB/enabled
	if [ -e $mthp ] && [ "$page" = 4096 ]; then
		mthp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $mthp)
		echo always >$mthp
		with_thp never zp_test never-mthp 64
		echo "$mthp_was" >$mthp
	else
		tap_skip "never, 64 kB THP" "no per-size THP (hugepages-64kB) in this kernel"
	fi
fi
echo always >$ZP_SYS/enabled
zp_test toggle
# ---- per-cgroup policies (cgroups, cgroup_stats) ----
zp_test cgroup

# ---- audit (with zram swap, for MADV_PAGEOUT) ----
# Where the bed sets swap up (the amd64 bed; the arch matrix's guests have
# no zram), a swapon that fails is a failure, and the checks that need
# swapped pages (audit's MADV_PAGEOUT, fault-around's swapped neighbours)
# assert that pages were swapped.
if [ -e /tests/swap-provided ]; then
	tap_check "swap: swapon /dev/zram0" swapon /dev/zram0
else
	tap_skip "swap: swapon /dev/zram0" "this guest has no zram (the arch matrix)"
fi
if echo 1 2>/dev/null >$ZP_SYS/audit; then
	tap_check "audit: kprobe on vm_normal_page while on" grep -q vm_normal_page $KPROBES
	zp_test audit
	with_testmod "audit violation" audit-violation
	echo 0 >$ZP_SYS/audit
	tap_check "audit: probe removed when off" no_probe vm_normal_page
elif [ "$pte_wide" = 1 ]; then
	# A PTE wider than a register (x86 PAE, arm LPAE) cannot be audited.
	tap_skip "audit" "refused: this kernel's PTE does not fit one argument register"
else
	tap_fail "audit: echo 1 >audit refused, with PTEs that fit a register"
fi

# ---- fault-around (with zram swap, for swapped-out neighbours) ----
for bytes in $((4 * page)) $((16 * page)) $span; do
	echo $bytes >$ZP_SYS/fault_around_bytes
	zp_test around $bytes
done
zp_test common
echo $page >$ZP_SYS/fault_around_bytes
[ ! -e /tests/swap-provided ] || swapoff /dev/zram0

# ---- bad input: -EINVAL and nothing changes ----
bad_write() { # FILE VALUE(printf format)
	before=$(cat $ZP_SYS/$1)
	# An empty write never reaches the module: only the value can be judged.
	if printf "$2" >$ZP_SYS/$1 2>/dev/null && [ -n "$2" ]; then
		tap_fail "bad input: '$2' accepted by $1"
	else
		tap_eq "bad input: '$2' refused by $1, value kept" "$(cat $ZP_SYS/$1)" "$before"
	fi
}
for v in '' '\n' 'sometimes' 'always\n\n' 'always x' ' always' 'ALWAYS' 'always\0' 'alway' 'never\0junk'; do
	bad_write enabled "$v"
done
for v in '' '2' '01' 'yes' '1 ' '1\0'; do
	bad_write audit "$v"
done
for v in '' '0' $((page / 2)) '4095' '6000' '8192x' $((2 * span)) '-4096' '0x1000' '+4096' '99999999999999999999'; do
	bad_write fault_around_bytes "$v"
done
head -c 4096 /dev/urandom >/tmp/garbage
for f in enabled audit fault_around_bytes; do
	before=$(cat $ZP_SYS/$f)
	cat /tmp/garbage >$ZP_SYS/$f 2>/dev/null && tap_fail "bad input: 4 KiB of garbage accepted by $f" ||
		tap_eq "bad input: 4 KiB of garbage refused by $f" "$(cat $ZP_SYS/$f)" "$before"
done
for f in hook arch stats/zero_mapped; do
	echo x 2>/dev/null >$ZP_SYS/$f && tap_fail "read-only $f accepted a write" || tap_ok "read-only $f refuses writes"
done
# Each file gets a value root may write (never, 1, four pages): only the
# permission can refuse it.
for f in enabled=never audit=1 fault_around_bytes=$((4 * page)); do
	value=${f#*=} f=${f%%=*}
	before=$(cat $ZP_SYS/$f)
	zpctl-asuser 65534 sh -c "echo $value >$ZP_SYS/$f" 2>/dev/null &&
		tap_fail "non-root write to $f accepted" ||
		tap_eq "non-root write to $f refused" "$(cat $ZP_SYS/$f)" "$before"
	tap_check "non-root can read $f" zpctl-asuser 65534 cat $ZP_SYS/$f
done >/tmp/perm.out 2>&1
grep -E '^(not )?ok' /tmp/perm.out
tap_check "good input: echo never, then always" sh -c \
	"echo never >$ZP_SYS/enabled && grep -q '\[never\]' $ZP_SYS/enabled && echo always >$ZP_SYS/enabled"

# ---- loading twice, unloading under a live mapping ----
zp_load 2>/dev/null && tap_fail "second insmod succeeded" || tap_ok "second insmod refused"
# Another IPMODIFY user of the hooked function: our own module renamed,
# told to hook the same function (auto would fall back to another).
# In-place kprobes (other arches) stack: no owner to refuse to.
if [ "${ZP_HOOK_KIND:-ftrace-ipmodify}" != ftrace-ipmodify ]; then
	tap_skip "refusal: a second IPMODIFY user fails with EBUSY" "hook kind $ZP_HOOK_KIND"
elif zp_test twin /lib/modules/zeropage.ko /tmp/zp-twin.ko; then
	dmesg -c >/dev/null
	zp_test load /tmp/zp-twin.ko hook=$native
	tap_eq "refusal: a second IPMODIFY user of $native fails with EBUSY" $? 16
	tap_check "refusal: one pr_err names the other ftrace user" sh -c \
		"dmesg | grep -q 'zeropage: refusing to load: .*another ftrace user'"
	tap_check "refusal: the twin is not listed" sh -c '! grep -q "^zeropag2 " /proc/modules'
else
	tap_fail "refusal: a renamed copy of the module could be made"
fi
tap_check "first instance still works" grep -q always $ZP_SYS/enabled

# ---- nothing outside the module detaches its hooks silently ----
# kernel.ftrace_enabled=0 would detach every ftrace hook: while the module
# is loaded the sysctl must fail (its ops are permanent), and the kernel's
# evidence (mode never's private pages) must show the hooks still act.
# With ftrace off, the module must refuse to load, saying so.
ftrace_sysctl=/proc/sys/kernel/ftrace_enabled
if [ "${ZP_HOOK_KIND:-ftrace-ipmodify}" != ftrace-ipmodify ] || [ ! -e $ftrace_sysctl ]; then
	tap_skip "ftrace_enabled" "hook kind ${ZP_HOOK_KIND:-ftrace-ipmodify}, or no $ftrace_sysctl"
else
	echo 0 2>/dev/null >$ftrace_sysctl && tap_fail "ftrace_enabled=0 accepted while loaded" ||
		tap_ok "ftrace_enabled=0 refused while loaded"
	tap_eq "ftrace_enabled still 1" "$(cat $ftrace_sysctl)" 1
	echo never >$ZP_SYS/enabled
	zp_test never
	echo always >$ZP_SYS/enabled
	zp_unload
	off_err=$(sh -c "echo 0 >$ftrace_sysctl" 2>&1)
	case $off_err in
	*"not supported"*)
		# 7.x: the sysctl can no longer turn ftrace off at all.
		tap_skip "ftrace off: the module refuses to load" "this kernel refuses ftrace_enabled=0 itself ($off_err)"
		zp_load
		;;
	*)
		tap_eq "ftrace_enabled=0 accepted once unloaded" "$off_err" ""
		dmesg -c >/dev/null
		zp_test load /lib/modules/zeropage.ko
		tap_eq "ftrace off: insmod fails with EBUSY" $? 16
		tap_check "ftrace off: one pr_err says ftrace is off" sh -c \
			"dmesg | grep -q 'zeropage: refusing to load: ftrace is off (sysctl kernel.ftrace_enabled=0)'"
		tap_check "ftrace off: nothing left behind" test ! -e $ZP_SYS
		echo 1 >$ftrace_sysctl
		tap_check "ftrace back on: insmod succeeds" zp_load
		;;
	esac
fi
zp_test hold /tmp/hold &
holder=$!
for i in $(seq 600); do [ -e /tmp/hold.ready ] || ! kill -0 $holder 2>/dev/null && break; sleep 0.1; done
tap_check "unload: a process holds module-mapped zero pages" test -e /tmp/hold.ready
# Unloading with audit on must take its probe along (where audit works).
audit_on=$(echo 1 2>/dev/null >$ZP_SYS/audit && echo yes)
tap_check "unload: rmmod succeeds" zp_unload
tap_check "unload: sysfs directory gone" test ! -e $ZP_SYS
tap_check "unload: module not listed" sh -c '! grep -q "^zeropage " /proc/modules'
[ -z "$audit_on" ] || tap_check "unload with audit on: no probe left on vm_normal_page" no_probe vm_normal_page
touch /tmp/hold.go
tap_check "unload: zero pages mapped before unload stay valid" wait $holder

# ---- module parameters ----
tap_check "mode=never at load" zp_load mode=never
tap_eq "mode=never honoured" "$(cat $ZP_SYS/enabled)" "always [never]"
zp_test never
zp_unload
tap_check "fault_around_bytes=$((16 * page)) at load" zp_load fault_around_bytes=$((16 * page))
tap_eq "fault_around_bytes parameter honoured" "$(cat $ZP_SYS/fault_around_bytes)" $((16 * page))
zp_unload
for p in mode=bogus mode= fault_around_bytes=3000 fault_around_bytes=$((2 * span)) hook=nope; do
	zp_test load /lib/modules/zeropage.ko $p
	rc=$?
	[ $rc = 0 ] && zp_unload
	tap_eq "bad parameter $p fails with EINVAL" $rc 22
	tap_check "bad parameter $p leaves nothing behind" test ! -e $ZP_SYS
done
# The later hooks of the chain, forced: the fallbacks where the kernel
# inlined an earlier target.
case $native in
do_anonymous_page) fallbacks="__handle_mm_fault handle_mm_fault" ;;
__handle_mm_fault) fallbacks=handle_mm_fault ;;
*) fallbacks= ;;
esac
for hook in $fallbacks; do
	if ! traceable $hook; then
		tap_skip "forced fallback hook=$hook" "no traceable $hook in this kernel"
		continue
	fi
	zp_test load /lib/modules/zeropage.ko hook=$hook
	rc=$?
	if [ $rc != 0 ] && no_regs $hook; then
		tap_eq "forced fallback hook=$hook: refused, no ftrace registers here: EOPNOTSUPP" $rc 95
		continue
	fi
	tap_eq "forced fallback hook=$hook loads" $rc 0
	tap_eq "fallback: hook says $hook" "$(cat $ZP_SYS/hook)" "$hook ftrace-ipmodify"
	zp_test always
	# Each route has its own answer to a dying mm (zp_finish_read_fault()).
	with_testmod "unstable mm (hook=$hook)" unstable
	echo never >$ZP_SYS/enabled
	zp_test never
	zp_test softdirty
	if [ -e $thp ]; then
		never_thp_off $(thp_flags_unknown)
		with_thp always zp_test thp
	fi
	zp_unload
done
if ! grep -qw do_anonymous_page /proc/kallsyms; then
	dmesg -c >/dev/null
	zp_test load /lib/modules/zeropage.ko hook=do_anonymous_page
	tap_eq "refusal: hook=do_anonymous_page where it is inlined fails with ENOENT" $? 2
	tap_check "refusal: one clear pr_err line" sh -c "dmesg | grep -q 'zeropage: refusing to load: no usable fault hook (do_anonymous_page)'"
	tap_check "refusal: sysfs directory absent" test ! -e $ZP_SYS
	tap_check "refusal: module not listed" sh -c '! grep -q "^zeropage " /proc/modules'
	tap_check "refusal: no probe left behind" no_probe "zeropage\|do_wp_page"
fi
# Every candidate redirected by another ftrace user (zp_testmod's squat,
# as a live patch would): hook=auto refuses, naming each with its reason.
if [ "${ZP_HOOK_KIND:-ftrace-ipmodify}" = ftrace-ipmodify ]; then
	with_testmod "squatted" squatted
else
	tap_skip "squatted" "hook kind $ZP_HOOK_KIND: a kprobe does not conflict with another ftrace user"
fi

# ---- unloading while a diverted fault sleeps in the kernel ----
if [ "${ZP_HOOK_KIND:-ftrace-ipmodify}" != ftrace-ipmodify ]; then
	tap_skip "unload-waits" "hook kind $ZP_HOOK_KIND diverts no fault to wait for"
	tap_skip "unload-parked" "hook kind $ZP_HOOK_KIND diverts no fault to wait for"
else
	if [ ! -e $thp ]; then
		tap_skip "unload-waits" "no THP in this kernel: no throttled THP fault to sleep in"
	else
		tap_check "unload-waits: loads with hook=handle_mm_fault" zp_load hook=handle_mm_fault
		zp_test unload-waits
		[ ! -e $ZP_SYS ] || zp_unload
	fi
	tap_check "unload-parked: loads with hook=handle_mm_fault" zp_load hook=handle_mm_fault
	zp_test unload-parked
	[ ! -e $ZP_SYS ] || zp_unload
fi

# ---- PREEMPT_RT: unloading while a replacement sleeps on a PTE lock ----
# Elsewhere the PTE lock spins and RCU-tasks alone covers a replacement.
if ! uname -v | grep -q PREEMPT_RT; then
	tap_skip "unload-rtlock" "not PREEMPT_RT: the PTE lock does not sleep"
elif ! grep -q '^zp_testmod ' /proc/modules; then
	tap_skip "unload-rtlock" "no zp_testmod.ko in this guest"
else
	tap_check "unload-rtlock: loads" zp_load
	zp_test unload-rtlock
	[ ! -e $ZP_SYS ] || zp_unload
fi

# ---- IBT: the test build that finds kallsyms_lookup_name() sealed ----
# On a CPU with IBT the kernel seals functions never called through a
# pointer; the module must then not call it (a "Missing ENDBR" BUG), load
# anyway and treat the THP settings as unknown.  QEMU has no IBT: where the
# module would call it (no per-size THP), the host builds a variant that
# takes it for sealed (ZP_TEST_IBT_SEALED).
sealed=/lib/modules/zeropage-ibt-sealed.ko
if [ -e $sealed ] && [ -e $thp ]; then
	dmesg -c >/dev/null
	tap_check "ibt: sealed build loads with hook=handle_mm_fault" insmod $sealed hook=handle_mm_fault
	tap_check "ibt: sealed build does not call kallsyms_lookup_name() and says so" \
		sh -c "dmesg | grep -q 'zeropage: kallsyms_lookup_name() was sealed for IBT'"
	tap_check "ibt: sealed build: THP settings unknown" sh -c "dmesg | grep -q 'zeropage: THP settings unknown'"
	echo never >$ZP_SYS/enabled
	thp_was=$(sed 's/.*\[\(.*\)\].*/\1/' $thp)
	echo madvise >$thp
	zp_test never-thp-off flags-unknown
	echo "$thp_was" >$thp
	zp_unload
	tap_check "ibt: sealed build unloads, nothing left" test ! -e $ZP_SYS
else
	tap_skip "ibt: sealed build" "this kernel has per-size THP or no THP: the module calls no kernel function through a pointer"
fi

# ---- zeropagectl against the real module (starts and ends unloaded) ----
sh /tests/zeropagectl.sh

# ---- the benchmark runs and its numbers are sane (no timing thresholds) ----
sh /tests/bench.sh quick

# ---- debug kernels: what kmemleak found over the whole run ----
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	tap_eq "kmemleak: no leaks suspected" "$leaks" 0
	[ "$leaks" = 0 ] || cat /sys/kernel/debug/kmemleak >/dev/console
fi
tap_end check
