# TAP helpers for the guest-side test scripts (sourced by busybox sh).
# Every result is one line: "ok - NAME", "not ok - NAME", or
# "ok - NAME # SKIP why"; the host counts them and prefixes the kernel name.
# A suite ends with tap_end: the host fails a run whose suites did not all
# say "# end of suite: NAME".
ZP_SYS=/sys/kernel/mm/zeropage

tap_ok() { echo "ok - $*"; }
tap_fail() { echo "not ok - $*"; }
tap_skip() { name=$1; shift; echo "ok - $name # SKIP $*"; }
tap_diag() { echo "# $*"; }

# tap_end NAME: the suite ran to its last line.
tap_end() {
	echo "# end of suite: $1"
	exit 0
}

# tap_check NAME COMMAND...: pass when COMMAND exits 0; on failure say its
# exit status and what it printed.
tap_check() {
	name=$1; shift
	if "$@" >/tmp/tap_check.out 2>&1; then
		tap_ok "$name"
	else
		tap_fail "$name (exit $?${*:+: $*}$(head -c 300 /tmp/tap_check.out | tr '\n' ' ' | sed 's/^./; output: &/'))"
	fi
}

# tap_eq NAME GOT WANT
tap_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1 (got '$2', want '$3')"; fi
}

# tap_prog PROGRAM ARGS...: a test program (found on PATH, not a function)
# prints its own TAP and exits 0, or 1 after its "not ok" lines -- counted
# here, not taken on its word: a 1 with none noted (a helper that could
# not drop privileges, a die() before the first result) is a failure of
# its own, as is a signal (SIGBUS, SIGSEGV: what a broken fault path
# gives) or any other status.  The programs note each "not ok" in
# $ZP_TAP_FAILURES (selftests/lib/zp.c), one byte each: a tee reading
# their output would be a process faulting beside them, inside the
# windows where they count the system's faults (one vCPU: +1 seen).
tap_prog() {
	fails=$(mktemp)
	chmod 666 "$fails"	# the unprivileged phases note theirs too
	env ZP_TAP_FAILURES="$fails" "$@"
	rc=$? bad=$(stat -c %s "$fails")
	rm -f "$fails"
	if [ "$rc" = 0 ] || { [ "$rc" = 1 ] && [ "$bad" -gt 0 ]; }; then
		return "$rc"
	elif [ "$rc" -gt 128 ]; then
		tap_fail "$*: killed by SIG$(kill -l $((rc - 128)))"
	else
		tap_fail "$*: exited with status $rc after $bad not ok lines"
	fi
	return "$rc"
}

# The test programs, always judged by tap_prog: "zp_test load" (its status
# is an errno) and "zp_test geometry" (its output is a value) excepted.
zp_test() {
	case $1 in
	load | geometry) command zp_test "$@" ;;
	*) tap_prog zp_test "$@" ;;
	esac
}
# page_size: the guest's page size, as the kernel gives it (zp_test geometry).
page_size() { zp_test geometry | cut -d' ' -f1; }
zp_stress() { tap_prog zp_stress "$@"; }
zp_sysfs_fuzz() { tap_prog zp_sysfs_fuzz "$@"; }
zp_readfault() { tap_prog zp_readfault "$@"; }

zp_load() { insmod /lib/modules/zeropage.ko "$@"; }
zp_unload() { rmmod zeropage; }
zp_stat() { cat "$ZP_SYS/stats/$1"; }
