#!/bin/sh
# arch-guest.sh quick|full load|refuse: one guest of the cross-architecture
# matrix.  Prints TAP, plus "VERDICT: ..." (the sysfs arch line, or the
# refusal line) and "HOOK: ..." for the host's table.
. /tests/tap.sh
run=$1 expect=$2
KPROBES=/sys/kernel/debug/kprobes/list
FTRACE=/sys/kernel/debug/tracing/enabled_functions

# The capability table's name for this machine.
case $(uname -m) in
x86_64|i?86) ZP_ARCH=x86 ;;
aarch64) ZP_ARCH=arm64 ;;
riscv*) ZP_ARCH=riscv ;;
arm*) ZP_ARCH=arm ;;
mips*) ZP_ARCH=mips ;;
ppc*) ZP_ARCH=powerpc ;;
s390*) ZP_ARCH=s390 ;;
*) ZP_ARCH=$(uname -m) ;;
esac
export ZP_ARCH
tap_diag "kernel $(uname -r) on $(uname -m), capability table entry '$ZP_ARCH'"
grep -m 4 -i -E '^(cpu model|model name|cpu|Processor)[[:space:]]*:' /proc/cpuinfo | sed 's/^/# /'

# Nothing of the module may stay behind: no sysfs, no module, no probe, no
# ftrace user, no symbol.
nothing_left() {
	tap_check "$1: /sys/kernel/mm/zeropage absent" test ! -e $ZP_SYS
	tap_check "$1: module not in /proc/modules" sh -c '! grep -q "^zeropage " /proc/modules'
	if [ -r $KPROBES ]; then
		tap_check "$1: no kprobe left (list as before insmod)" cmp -s /tmp/kprobes.before $KPROBES ||
			sed 's/^/# kprobes: /' $KPROBES
	else
		tap_skip "$1: no kprobe left (list as before insmod)" "no $KPROBES"
	fi
	if [ -r $FTRACE ]; then
		tap_check "$1: no function traced (as before insmod)" cmp -s /tmp/ftrace.before $FTRACE ||
			sed 's/^/# traced: /' $FTRACE
	else
		tap_skip "$1: no function traced (as before insmod)" "no $FTRACE"
	fi
	tap_check "$1: no zeropage symbol in /proc/kallsyms" sh -c '! grep -q "\[zeropage\]" /proc/kallsyms'
}

cat $KPROBES >/tmp/kprobes.before 2>/dev/null
cat $FTRACE >/tmp/ftrace.before 2>/dev/null
dmesg -c >/dev/null
insmod /lib/modules/zeropage.ko 2>/tmp/insmod.err
rc=$?
tap_diag "insmod exit status $rc: $(cat /tmp/insmod.err)"

if [ $rc -ne 0 ]; then
	# busybox insmod tries finit_module, then init_module: a failing init
	# runs twice and says the same thing twice.
	lines=$(dmesg | sed -n 's/^.*zeropage: //p' | grep -v -E 'taints kernel|verification failed' | sort -u)
	echo "VERDICT: refused: $(echo "$lines" | head -n 1)"
	[ "$expect" = refuse ] && tap_ok "insmod refused" || tap_fail "insmod refused, but this flavour should load"
	tap_eq "refusal: one distinct message" "$(echo "$lines" | grep -c .)" 1
	tap_check "refusal: it is a pr_err naming the architecture" \
		sh -c "dmesg -r | grep -q '^<3>.*zeropage: refusing to load on $ZP_ARCH: '"
	nothing_left refusal
	tap_end arch
fi

hook=$(cat $ZP_SYS/hook)
echo "VERDICT: $(cat $ZP_SYS/arch)"
echo "HOOK: $hook"
[ "$expect" = load ] && tap_ok "insmod loads" || tap_fail "insmod loaded, but this flavour should refuse"
tap_check "load: arch verdict says supported" grep -q "^$ZP_ARCH: supported" $ZP_SYS/arch
tap_check "load: no error logged" sh -c '! dmesg -r | grep "^<[0-3]>"'
if [ "$run" = full ]; then
	# The functional suite of the amd64 bed, told which kind of hook to
	# expect here.
	tap_check "unload before the suite" rmmod zeropage
	ZP_HOOK_KIND=${hook#* } sh /tests/check.sh
else
	zp_readfault
	tap_check "unload: rmmod succeeds" rmmod zeropage
fi
nothing_left unload
tap_end arch
