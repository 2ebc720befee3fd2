#!/bin/sh
# zeropagectl against the real module: status and set, the documented exit
# codes (2 usage, 3 not loaded, 4 not root), watch, ps counts on a helper
# with known pages, and JSON validity; cgroup set and list, and run in a
# transient cgroup (not a systemd scope: the guest has no systemd).  Starts
# and ends with the module unloaded; restores the THP setting it changes,
# and unmounts cgroup2 if it mounted it.
. /tests/tap.sh

NOBODY=65534
THP=/sys/kernel/mm/transparent_hugepage
CG=/sys/fs/cgroup
out=/tmp/zpctl.out
err=/tmp/zpctl.err
Z=64 P=32 U=32
page=$(page_size)

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

# start_helper Z P U [H]: a process with known pages, in $hpid once ready;
# with $helper_cg set, in that cgroup directory from before its first fault.
start_helper() {
	# A stale "ready" from the last helper would be believed at once.
	rm -f /tmp/zpctl-helper.out
	if [ -n "$helper_cg" ]; then
		# shellcheck disable=SC2016
		sh -c 'echo $$ >"$0/cgroup.procs" && exec zpctl-pages "$@"' \
			"$helper_cg" "$@" >/tmp/zpctl-helper.out &
	else
		zpctl-pages "$@" >/tmp/zpctl-helper.out &
	fi
	hpid=$!
	for _ in $(seq 100); do
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
echo "$page" >$ZP_SYS/fault_around_bytes
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
if start_helper $((1048576 / page)) 0 0; then
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
		hzero=$((2 * $(cat $THP/hpage_pmd_size) / page))
		tap_eq "zeropagectl ps: 2 huge zero pages counted as $hzero hzero" \
			"$(tail -n 1 $out | awk '{ print $3, $4 }')" "0 $hzero"
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

# not_listed TEXT: zeropage/cgroups has no line with TEXT.
not_listed() { ! grep -q "$1" $ZP_SYS/cgroups; }

# zeropagectl run with the transient cgroup, as without systemd.
run_cg() { run env ZEROPAGECTL_SYSTEMD=0 zeropagectl run "$@"; }

# cgroup_checks: cgroup set, list, and run, with the global mode always.
cgroup_checks() {
	zeropagectl set always >/dev/null 2>&1
	mkdir $CG/zpctl-test
	run zeropagectl cgroup set $CG/zpctl-test never
	tap_eq "zeropagectl cgroup set DIRECTORY never: exit 0" $rc 0
	tap_check "zeropagectl cgroup set: the module lists it from the cgroup2 root" \
		grep -qx 'never /zpctl-test' $ZP_SYS/cgroups
	helper_cg=$CG/zpctl-test
	if start_helper $Z $P $U; then
		ps_helper
		tap_eq "zeropagectl ps, helper in a never cgroup, global always: no zero pages" "$zero" 0
		tap_check "zeropagectl ps: POLICY never(/zpctl-test)" grep -q ' never(/zpctl-test)  zpctl-pages$' $out
		zeropagectl ps --json $hpid >$out
		tap_check "zeropagectl ps --json: policy and policy_from" \
			grep -q '"policy":"never","policy_from":"/zpctl-test"' $out
		stop_helper
	else
		tap_fail "zeropagectl cgroup: helper did not start in /zpctl-test"
	fi
	helper_cg=
	run zeropagectl cgroup list
	tap_eq "zeropagectl cgroup list: exit 0" $rc 0
	tap_eq "zeropagectl cgroup list: header" "$(head -n 1 $out | tr -s ' ')" "MODE ZERO PRIVATE PASSED CGROUP"
	set -- $(awk '$5 == "/zpctl-test"' $out)
	tap_eq "zeropagectl cgroup list: /zpctl-test, mode never, no zero pages" "$1 $2" "never 0"
	tap_check "zeropagectl cgroup list: >= $Z private pages counted for it (${3:-none})" [ "${3:-0}" -ge $Z ]
	zeropagectl cgroup list --json >$out
	tap_check "zeropagectl cgroup list --json: valid JSON" zpctl-jsoncheck <$out
	tap_check "zeropagectl cgroup list --json: the entry" \
		grep -q '{"mode":"never","path":"/zpctl-test","zero_mapped":0,"private_mapped":[0-9]*,"passed":[0-9]*}' $out
	run zpctl-asuser $NOBODY zeropagectl cgroup list
	tap_eq "zeropagectl cgroup list as nobody: exit 0" $rc 0

	run zeropagectl cgroup set /zpctl-test inherit
	tap_eq "zeropagectl cgroup set PATH inherit: exit 0" $rc 0
	tap_check "zeropagectl cgroup set inherit: no longer listed" not_listed zpctl-test
	run zeropagectl cgroup list
	tap_eq "zeropagectl cgroup list, no entries: the header alone" "$(wc -l <$out)" 1
	rmdir $CG/zpctl-test
	for path in /zpctl-no-such $CG/zpctl-no-such; do
		run zeropagectl cgroup set $path never
		tap_eq "zeropagectl cgroup set $path (missing): exit 1" $rc 1
		one_error "zeropagectl cgroup set $path (missing): one error line" 'is not a cgroup v2 directory'
	done
	run zpctl-asuser $NOBODY zeropagectl cgroup set /zpctl-no-such never
	tap_eq "zeropagectl cgroup set as nobody: exit 4" $rc 4
	one_error "zeropagectl cgroup set as nobody: one error line" 'run as root'

	# The shell may exec its last command: ps may show itself, same cgroup.
	# shellcheck disable=SC2016
	run_cg --mode never -- sh -c 'cat /proc/self/cgroup $0/cgroups; zeropagectl ps $$' $ZP_SYS
	tap_eq "zeropagectl run --mode never: exit 0" $rc 0
	cg=$(sed -n 's/^0:://p' $out)
	tap_check "zeropagectl run: COMMAND in a cgroup of its own (${cg:-none})" \
		expr "$cg" : '/zeropage-run\.[0-9][0-9]*$'
	tap_check "zeropagectl run: its cgroup has mode never meanwhile" grep -qx "never $cg" $out
	tap_check "zeropagectl run: ps in COMMAND shows never($cg)" grep -q " never($cg)  " $out
	tap_check "zeropagectl run: the cgroup is gone afterwards" [ -n "$cg" -a ! -e "$CG$cg" ]
	tap_check "zeropagectl run: its mode too" not_listed zeropage-run
	run zeropagectl ps $$
	tap_check "zeropagectl ps: POLICY column" grep -q '^ *PID .* SAVED  POLICY  *COMMAND$' $out
	tap_check "zeropagectl ps: this shell gets the global mode, always(global)" grep -q "^ *$$ .* always(global)  " $out

	run_cg --mode always -- sh -c 'exit 3'
	tap_eq "zeropagectl run: COMMAND's exit status" $rc 3
	# shellcheck disable=SC2016
	run_cg --mode always -- sh -c 'kill -TERM $$'
	tap_eq "zeropagectl run, COMMAND killed by SIGTERM: 128+15" $rc 143
	run_cg --mode never -- /tests/zpctl-no-such-program
	tap_eq "zeropagectl run, no such COMMAND: exit 127" $rc 127
	one_error "zeropagectl run, no such COMMAND: one error line" "cannot run '/tests/zpctl-no-such-program'"
	run zpctl-asuser $NOBODY env ZEROPAGECTL_SYSTEMD=0 zeropagectl run --mode never -- true
	tap_eq "zeropagectl run as nobody: exit 4" $rc 4
	one_error "zeropagectl run as nobody: one error line" 'run as root'
	tap_check "zeropagectl run: no cgroup left behind" sh -c "! ls -d $CG/zeropage-run.* 2>/dev/null"

	# A process COMMAND leaves behind keeps the cgroup, and its mode.
	run_cg --mode never -- sh -c 'sleep 60 >/dev/null 2>&1 & echo $!'
	left=$(cat $out)
	tap_eq "zeropagectl run, a process left behind: exit 0" $rc 0
	one_error "zeropagectl run, a process left behind: one warning" 'warning: .*zeropage-run\.[0-9]* is left, with mode never'
	cg=$(sed -n 's/^0:://p' /proc/$left/cgroup 2>/dev/null)
	tap_check "zeropagectl run, a process left behind: its cgroup keeps mode never" grep -qx "never ${cg:-none}" $ZP_SYS/cgroups
	kill $left 2>/dev/null
	for _ in $(seq 100); do
		[ -n "$cg" ] && rmdir "$CG$cg" 2>/dev/null && break
		sleep 0.1
	done
	tap_check "zeropagectl run: the cgroup left behind removed by hand" sh -c "! ls -d $CG/zeropage-run.* 2>/dev/null"
}

tap_diag "zeropagectl: cgroup policies"
cg_mounted=
if ! grep -q " $CG cgroup2 " /proc/mounts && mount -t cgroup2 cgroup2 $CG; then
	cg_mounted=1
fi
if grep -q " $CG cgroup2 " /proc/mounts; then
	cgroup_checks
else
	tap_skip "zeropagectl cgroup and run" "cgroup2 not mounted on $CG, and cannot be"
fi
[ -n "$cg_mounted" ] && umount $CG

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
