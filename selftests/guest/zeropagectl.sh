#!/bin/sh
# zeropagectl against the real module: status and set, the documented exit
# codes (2 usage, 3 not loaded, 4 not root), watch, ps counts on a helper
# with known pages, and JSON validity.  Starts and ends with the module
# unloaded; restores the THP setting it changes.
. /tests/tap.sh

NOBODY=65534
THP=/sys/kernel/mm/transparent_hugepage
out=/tmp/zpctl.out
err=/tmp/zpctl.err
Z=64 P=32 U=32

# run CMD...: exit status in $rc, stdout in $out, stderr in $err.
run() {
	"$@" >$out 2>$err
	rc=$?
}

# one_error NAME PATTERN: stderr is one line, "zeropagectl: ...PATTERN...".
one_error() {
	if [ "$(wc -l <$err)" -eq 1 ] && grep -q "^zeropagectl: .*$2" $err; then
		tap_ok "$1"
	else
		tap_fail "$1 (stderr: $(cat $err))"
	fi
}

has() { grep -q "$1" $out; }
sysfs_mode() { sed 's/.*\[\(.*\)\].*/\1/' $ZP_SYS/enabled; }
status_mode() { zeropagectl status | awk '$1 == "mode:" { print $2 }'; }

# start_helper Z P U: a process with known pages, in $hpid once ready.
start_helper() {
	# A stale "ready" from the last helper would be believed at once.
	rm -f /tmp/zpctl-helper.out
	zpctl-pages "$@" >/tmp/zpctl-helper.out &
	hpid=$!
	for i in $(seq 100); do
		grep -q ready /tmp/zpctl-helper.out && return 0
		sleep 0.1
	done
	return 1
}

stop_helper() {
	kill $hpid
	wait $hpid 2>/dev/null
}

# ps_helper: ps on the helper; its ANON and ZERO in $anon and $zero.
ps_helper() {
	run zeropagectl ps $hpid
	set -- $(tail -n 1 $out)
	anon=$2 zero=$3
}

tap_diag "zeropagectl: module not loaded"
run zeropagectl status
tap_eq "zeropagectl status, not loaded: exit 3" $rc 3
tap_check "zeropagectl status, not loaded: says so" has '^zeropage module: *not loaded'
run zeropagectl set never
tap_eq "zeropagectl set, not loaded: exit 3" $rc 3
one_error "zeropagectl set, not loaded: one error line" 'not loaded'

if ! zp_load; then
	tap_fail "zeropagectl: insmod zeropage.ko"
	tap_skip "zeropagectl with the module loaded" "module did not load"
	tap_end zeropagectl
fi

tap_diag "zeropagectl: module loaded"
run zeropagectl status
tap_eq "zeropagectl status: exit 0" $rc 0
tap_check "zeropagectl status: loaded" has '^zeropage module: *loaded$'
tap_eq "zeropagectl status: mode as in sysfs" "$(status_mode)" "$(sysfs_mode)"
tap_check "zeropagectl status: hook shown" has '^hook: *[^ ]'
tap_check "zeropagectl status: THP note" has '^note: '
zeropagectl status --json >$out
tap_check "zeropagectl status --json: valid JSON" zpctl-jsoncheck <$out
run zpctl-asuser $NOBODY zeropagectl status
tap_eq "zeropagectl status as nobody: exit 0" $rc 0

run zeropagectl set never
tap_eq "zeropagectl set never: exit 0" $rc 0
tap_eq "zeropagectl set never: sysfs" "$(cat $ZP_SYS/enabled)" "always [never]"
tap_eq "zeropagectl set never: status shows never" "$(status_mode)" never
thp=$(sed 's/.*\[\(.*\)\].*/\1/' $THP/enabled 2>/dev/null)
use_zero=$(cat $THP/use_zero_page 2>/dev/null)
if [ "$thp" != never ] && [ "$use_zero" = 1 ]; then
	one_error "zeropagectl set never: warns about the huge zero page" 'warning: THP is enabled'
else
	tap_skip "zeropagectl set never: huge zero page warning" \
		"$([ -n "$thp" ] && echo "THP $thp, use_zero_page $use_zero" || echo "kernel without THP")"
fi
run zeropagectl set never --huge
tap_eq "zeropagectl set never --huge: exit 0" $rc 0
if [ -e $THP/use_zero_page ]; then
	tap_eq "zeropagectl set never --huge: use_zero_page 0" "$(cat $THP/use_zero_page)" 0
else
	tap_check "zeropagectl set never --huge: says the kernel has no THP" grep -q 'no transparent huge pages' $out
fi
[ -e $THP/use_zero_page ] && echo "$use_zero" >$THP/use_zero_page

run zeropagectl set bogus
tap_eq "zeropagectl set bogus: exit 2" $rc 2
one_error "zeropagectl set bogus: one error line" "unknown mode 'bogus'"
tap_eq "zeropagectl set bogus: mode unchanged" "$(sysfs_mode)" never
run zpctl-asuser $NOBODY zeropagectl set always
tap_eq "zeropagectl set as nobody: exit 4" $rc 4
one_error "zeropagectl set as nobody: one error line" 'Permission denied'
tap_eq "zeropagectl set as nobody: mode unchanged" "$(sysfs_mode)" never

run zeropagectl watch -i 0.5 -n 2
tap_eq "zeropagectl watch -n 2: exit 0" $rc 0
tap_eq "zeropagectl watch -n 2: header and 2 lines" "$(wc -l <$out)" 3

# Fault-around would map the zero page beside the pages read: keep it off
# (one page).
echo "$(zp_test geometry | cut -d' ' -f1)" >$ZP_SYS/fault_around_bytes
zeropagectl set always >/dev/null
if start_helper $Z $P $U; then
	ps_helper
	tap_eq "zeropagectl ps, mode always: exit 0" $rc 0
	tap_eq "zeropagectl ps, mode always: zero pages" "$zero" $Z
	tap_check "zeropagectl ps, mode always: >= $P private ($anon)" [ "$anon" -ge $P ]
	zeropagectl ps --json $hpid >$out
	tap_check "zeropagectl ps --json: valid JSON" zpctl-jsoncheck <$out
	tap_check "zeropagectl ps --json: zero_pages" grep -q "\"zero_pages\":$Z," $out
	run zpctl-asuser $NOBODY zeropagectl ps $hpid
	tap_eq "zeropagectl ps as nobody: exit 4" $rc 4
	one_error "zeropagectl ps as nobody: one error line" 'run as root'
	stop_helper
else
	tap_fail "zeropagectl ps: helper did not start"
fi
if start_helper 256 0 0; then
	run zeropagectl ps -H $hpid
	tap_eq "zeropagectl ps -H: 1 MiB of zero pages, 1 MiB saved" \
		"$(tail -n 1 $out | awk '{ print $3, $5 }')" "1.0M 1.0M"
	stop_helper
else
	tap_fail "zeropagectl ps -H: helper did not start"
fi
# The huge zero page, where THP and its zero page are on: 2 of them.
if [ -n "$thp" ] && [ "$thp" != never ] && [ "$use_zero" = 1 ]; then
	if start_helper 0 0 0 2; then
		run zeropagectl ps $hpid
		tap_eq "zeropagectl ps: 2 huge zero pages counted as 1024 hzero" \
			"$(tail -n 1 $out | awk '{ print $3, $4 }')" "0 1024"
		stop_helper
	else
		tap_fail "zeropagectl ps: huge-page helper did not start"
	fi
else
	tap_skip "zeropagectl ps: huge zero pages" "THP ${thp:-absent}, use_zero_page ${use_zero:-absent}"
fi
run zeropagectl ps 2147483647
tap_eq "zeropagectl ps, no such PID: exit 1" $rc 1
one_error "zeropagectl ps, no such PID: one error line" 'no such process'
zeropagectl set never >/dev/null 2>&1
if start_helper $Z $P $U; then
	ps_helper
	tap_eq "zeropagectl ps, mode never: no zero pages" "$zero" 0
	tap_check "zeropagectl ps, mode never: >= $((Z + P)) private ($anon)" [ "$anon" -ge $((Z + P)) ]
	stop_helper
else
	tap_fail "zeropagectl ps: helper did not start"
fi

zp_unload
tap_diag "zeropagectl: module unloaded"
run zeropagectl status
tap_eq "zeropagectl status, unloaded: exit 3" $rc 3
tap_check "zeropagectl status, unloaded: says not loaded" has 'not loaded'
zeropagectl status --json >$out
tap_check "zeropagectl status --json, unloaded: valid JSON" zpctl-jsoncheck <$out
run zeropagectl watch -n 1
tap_eq "zeropagectl watch, unloaded: exit 3" $rc 3
run zeropagectl ps $$
tap_eq "zeropagectl ps without the module: exit 0" $rc 0
tap_end zeropagectl
