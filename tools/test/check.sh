#!/usr/bin/env bash
# Host tests for zeropagectl, run by "make check" in tools/: status, set,
# watch and the cgroup policies against a fake sysfs tree, ps against a fake
# /proc, cgroup paths against fake mountinfo, run with a stand-in for
# systemd-run and a fake cgroup2 directory, cgroup apply with one for
# systemctl.  Nothing here
# reads the host kernel's memory: what zeropagectl reports of real processes
# is tested in the guests (selftests/guest/zeropagectl.sh), against the
# kernel under test.  Prints TAP, plan last.
set -u
tools=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
diag() { echo "# $*"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# Copies others can reach, for the tests that run as nobody.
chmod 755 "$tmp"
mkdir "$tmp/bin"
cp "$tools/zeropagectl" "$tools"/test/zpctl-{asuser,jsoncheck} "$tmp/bin/"
export PATH=$tmp/bin:$PATH
"$tmp/bin/zpctl-jsoncheck" </dev/null >/dev/null 2>&1
if [ $? = 126 ]; then
	skip "zeropagectl host tests" "cannot run programs from $tmp (noexec); set TMPDIR"
	echo "1..$n"
	exit 0
fi
NOBODY=65534
# as_nobody NAME: true if the tests run as nobody can (they need root to
# switch), else record NAME as skipped.
as_nobody() {
	[ "$(id -u)" = 0 ] && return 0
	skip "$1" "needs root to run as nobody"
	return 1
}

# run CMD...: exit status in $rc, stdout in $out, stderr in $err.
run() {
	"$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	out=$(cat "$tmp/out")
	err=$(cat "$tmp/err")
}

# check NAME COMMAND...: pass when COMMAND succeeds; show the last run if not.
check() {
	local name=$1
	shift
	if "$@"; then
		ok "$name"
	else
		not_ok "$name"
		diag "rc=$rc"
		sed 's/^/# out: /' "$tmp/out"
		sed 's/^/# err: /' "$tmp/err"
	fi
}

has() { grep -Eq -- "$2" <<<"$1"; }
# One line on stderr, "zeropagectl: " first, containing $1.
one_error() { [ "$(wc -l <<<"$err")" = 1 ] && has "$err" "^zeropagectl: .*$1"; }
json_ok() { zpctl-jsoncheck <"$tmp/out"; }
# pyjson EXPR: EXPR (python, over the JSON output as d) is true.
pyjson() { python3 -c "import json,sys; d=json.load(sys.stdin); sys.exit(not ($1))" <"$tmp/out"; }

# A loaded module's sysfs tree; stats/audit_violations left out.
sys=$tmp/sys
mkdir -p "$sys/zeropage/stats" "$sys/transparent_hugepage"
echo "[always] never" >"$sys/zeropage/enabled"
echo 0 >"$sys/zeropage/audit"
echo 4096 >"$sys/zeropage/fault_around_bytes"
echo "do_anonymous_page kprobe-ftrace" >"$sys/zeropage/hook"
echo "x86: pte_special, no cache aliasing: ok" >"$sys/zeropage/arch"
val=42
for s in zero_mapped private_mapped passed cow_from_zero around_mapped walker_zero; do
	echo $val >"$sys/zeropage/stats/$s"
	val=$((val + 1))
done
echo "always [madvise] never" >"$sys/transparent_hugepage/enabled"
echo 1 >"$sys/transparent_hugepage/use_zero_page"
# A module from before the cgroup policies: no cgroups, no cgroup_stats.
oldsys=$tmp/oldsys
cp -r "$sys" "$oldsys"
printf 'never /db.slice\nalways /a b\nnever /\n' >"$sys/zeropage/cgroups"
printf '0 5 0 /\n3 12 1 /db.slice\n' >"$sys/zeropage/cgroup_stats"
chmod -R a+rX "$sys" "$oldsys"
nosys=$tmp/nosys
mkdir -p "$nosys"
cp -r "$sys/transparent_hugepage" "$nosys/"
export ZEROPAGECTL_SYSFS=$sys

echo "# status"
run zeropagectl status
check "status: loaded, exit 0" [ "$rc" = 0 ]
check "status: mode" has "$out" '^mode: +always$'
check "status: hook" has "$out" '^hook: +do_anonymous_page kprobe-ftrace$'
check "status: arch" has "$out" '^arch: +x86: pte_special'
check "status: counters" has "$out" '^  zero_mapped +42$'
check "status: missing counter unavailable" has "$out" '^  audit_violations +unavailable$'
check "status: THP enabled" has "$out" 'transparent_hugepage/enabled +madvise$'
check "status: THP use_zero_page" has "$out" 'use_zero_page +1$'
check "status: note on the huge zero page" has "$out" '^note: .*huge zero page.*never reach the module'
run zeropagectl status --json
check "status --json: valid JSON" json_ok
check "status --json: values" pyjson 'd["loaded"] and d["mode"] == "always" and d["stats"]["zero_mapped"] == 42 and d["stats"]["walker_zero"] == 47 and d["stats"]["audit_violations"] is None and d["fault_around_bytes"] == 4096 and d["thp"] == {"enabled": "madvise", "use_zero_page": 1}'
ZEROPAGECTL_SYSFS=$nosys run zeropagectl status
check "status: not loaded, exit 3" [ "$rc" = 3 ]
check "status: says not loaded" has "$out" '^zeropage module: +not loaded'
check "status, not loaded: still shows THP" has "$out" 'use_zero_page +1$'
ZEROPAGECTL_SYSFS=$nosys run zeropagectl status --json
check "status --json: not loaded, valid" json_ok
check "status --json: loaded false" pyjson 'd["loaded"] is False and "mode" not in d'

echo "# set"
run zeropagectl set never
check "set never: exit 0, written" [ "$rc" = 0 -a "$(cat "$sys/zeropage/enabled")" = never ]
check "set never: warns about the huge zero page" one_error 'warning: THP is enabled.*--huge'
run zeropagectl status
check "status after set: mode never" has "$out" '^mode: +never$'
run zeropagectl set always --huge
check "set always --huge: use_zero_page 1" [ "$rc" = 0 -a "$(cat "$sys/transparent_hugepage/use_zero_page")" = 1 ]
check "set always --huge: says so" has "$out" 'use_zero_page set to 1'
run zeropagectl set never --huge
check "set never --huge: use_zero_page 0, no warning" [ "$rc" = 0 -a \
	"$(cat "$sys/transparent_hugepage/use_zero_page")" = 0 -a -z "$err" ]
run zeropagectl set always
run zeropagectl set bogus
check "set bogus: exit 2" [ "$rc" = 2 ]
check "set bogus: one error line" one_error "unknown mode 'bogus'"
check "set bogus: nothing written" [ "$(cat "$sys/zeropage/enabled")" = always ]
ZEROPAGECTL_SYSFS=$nosys run zeropagectl set never
check "set, not loaded: exit 3" [ "$rc" = 3 ]
check "set, not loaded: one error line" one_error 'not loaded'
if as_nobody "set as nobody"; then
	run zpctl-asuser $NOBODY zeropagectl set never
	check "set as nobody: exit 4" [ "$rc" = 4 ]
	check "set as nobody: one error line" one_error 'Permission denied \(run as root\)'
	check "set as nobody: nothing written" [ "$(cat "$sys/zeropage/enabled")" = always ]
fi

echo "# cgroup"
cgroups=$sys/zeropage/cgroups
run zeropagectl cgroup list
check "cgroup list: exit 0, sorted by path, counters joined, missing as -" [ "$rc" = 0 -a -z "$err" -a \
	"$(tr -s ' ' <<<"$out")" = "$(printf '%s\n' 'MODE ZERO PRIVATE PASSED CGROUP' 'never 0 5 0 /' \
		'always - - - /a b' 'never 3 12 1 /db.slice')" ]
run zeropagectl cgroup list --json
check "cgroup list --json: valid" json_ok
check "cgroup list --json: values" pyjson 'd == [{"mode": "never", "path": "/", "zero_mapped": 0, "private_mapped": 5, "passed": 0}, {"mode": "always", "path": "/a b", "zero_mapped": None, "private_mapped": None, "passed": None}, {"mode": "never", "path": "/db.slice", "zero_mapped": 3, "private_mapped": 12, "passed": 1}]'
if as_nobody "cgroup list as nobody"; then
	run zpctl-asuser $NOBODY zeropagectl cgroup list --json
	check "cgroup list as nobody: exit 0" [ "$rc" = 0 ]
fi
run zeropagectl cgroup set /db.slice never
check "cgroup set /db.slice never: exit 0, written" [ "$rc" = 0 -a "$(cat "$cgroups")" = "never /db.slice" ]
check "cgroup set: says so" has "$out" '^zeropage: cgroup /db.slice: mode never$'
run zeropagectl cgroup set '/a b' inherit
check "cgroup set PATH inherit: the line written, PATH with a space" [ "$rc" = 0 -a "$(cat "$cgroups")" = "inherit /a b" ]
# The cgroup2 mount from mountinfo: escaped, the deepest one above the
# path, its root joined on; ZEROPAGECTL_CGROUP instead of it.  Mountinfo
# has paths with no symbolic links in them, as the paths are compared.
mnt="$tmp/cg 2"
mkdir -p "$mnt/db.slice/app.service" "$mnt/inner/x" "$tmp/cgroot/db.slice" "$tmp/fakeself/self"
real=$(cd "$tmp" && pwd -P)
esc=${real// /\\040}/cg\\0402
cat >"$tmp/fakeself/self/mountinfo" <<EOF
22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/root rw
30 22 0:27 / ${esc%/*}/tmpfs rw,relatime shared:9 - tmpfs tmpfs rw,mode=755
31 22 0:28 / ${esc} rw,nosuid,nodev shared:10 master:2 - cgroup2 cgroup2 rw,nsdelegate
32 31 0:28 /ns/sub ${esc}/inner rw,nosuid,nodev shared:11 - cgroup2 cgroup2 rw
33 22 0:29 / ${esc%/*}/cgroot rw - cgroup cgroup rw,memory
EOF
ZEROPAGECTL_PROC=$tmp/fakeself run zeropagectl cgroup set "$mnt/db.slice//app.service/" never
check "cgroup set DIRECTORY: from the cgroup2 root (mountinfo, escaped)" [ "$rc" = 0 -a "$(cat "$cgroups")" = "never /db.slice/app.service" ]
ZEROPAGECTL_PROC=$tmp/fakeself run zeropagectl cgroup set "$mnt" always
check "cgroup set, the mount itself: /" [ "$rc" = 0 -a "$(cat "$cgroups")" = "always /" ]
ZEROPAGECTL_PROC=$tmp/fakeself run zeropagectl cgroup set "$mnt/inner/x" never
check "cgroup set, a mount of a cgroup below the root: its root joined on" [ "$rc" = 0 -a "$(cat "$cgroups")" = "never /ns/sub/x" ]
ZEROPAGECTL_PROC=$tmp/fakeself run zeropagectl cgroup set "$tmp/cgroot/db.slice" never
check "cgroup set, a directory of a cgroup v1 mount: left as it is" [ "$rc" = 0 -a "$(cat "$cgroups")" = "never $tmp/cgroot/db.slice" ]
ZEROPAGECTL_CGROUP=$tmp/cgroot run zeropagectl cgroup set "$tmp/cgroot/db.slice" inherit
check "cgroup set, ZEROPAGECTL_CGROUP: from it" [ "$rc" = 0 -a "$(cat "$cgroups")" = "inherit /db.slice" ]
# The kernel's ENOSPC, as /dev/full gives it.
fullsys=$tmp/fullsys
cp -r "$sys" "$fullsys"
ln -sf /dev/full "$fullsys/zeropage/cgroups"
ZEROPAGECTL_SYSFS=$fullsys run zeropagectl cgroup set /db.slice never
check "cgroup set, no room: exit 1" [ "$rc" = 1 ]
check "cgroup set, no room: one error line" one_error 'too many cgroup policies'
ZEROPAGECTL_SYSFS=$oldsys run zeropagectl cgroup set /db.slice never
check "cgroup set, module without policies: exit 1" [ "$rc" = 1 ]
check "cgroup set, module without policies: one error line" one_error 'no cgroup policies'
ZEROPAGECTL_SYSFS=$oldsys run zeropagectl cgroup list
check "cgroup list, module without policies: exit 1, one line" [ "$rc" = 1 -a "$(wc -l <<<"$err")" = 1 ]
for args in "cgroup set /db.slice never" "cgroup list" "run --mode never -- true"; do
	# shellcheck disable=SC2086
	ZEROPAGECTL_SYSFS=$nosys run zeropagectl $args
	check "$args, not loaded: exit 3, one line" [ "$rc" = 3 -a "$(wc -l <<<"$err")" = 1 ]
done
if as_nobody "cgroup set as nobody"; then
	echo "never /" >"$cgroups"
	run zpctl-asuser $NOBODY zeropagectl cgroup set /db.slice always
	check "cgroup set as nobody: exit 4" [ "$rc" = 4 ]
	check "cgroup set as nobody: one error line" one_error 'Permission denied \(run as root\)'
	check "cgroup set as nobody: nothing written" [ "$(cat "$cgroups")" = "never /" ]
fi

echo "# cgroup apply"
# A stand-in for systemctl: records its arguments; "start -- NAME.slice"
# makes the slice's cgroup in the fake cgroup2 root, as systemd does, but
# fails for broken.slice.
applycg=$tmp/applycg
mkdir -p "$applycg/db.slice"
cat >"$tmp/bin/systemctl" <<EOF
#!/bin/sh
echo "\$*" >>"$tmp/systemctl.calls"
[ "\$3" != broken.slice ] || exit 5
mkdir "$applycg/\$3"
EOF
chmod 755 "$tmp/bin/systemctl"
# apply TEXT [ARG...]: cgroup apply of a file holding TEXT (a printf format,
# ARGs its arguments), under systemd unless $systemd is 0; the fake sysfs's
# cgroups emptied first; what systemctl was asked in $calls.
apply() {
	local text=$1
	shift
	# shellcheck disable=SC2059
	printf -- "$text" "$@" >"$tmp/apply.conf"
	rm -f "$tmp/systemctl.calls"
	: >"$cgroups"
	ZEROPAGECTL_CGROUP=$applycg ZEROPAGECTL_SYSTEMD=${systemd:-1} \
		run zeropagectl cgroup apply "$tmp/apply.conf"
	calls=$(cat "$tmp/systemctl.calls" 2>/dev/null)
}
# said CGROUP...: stdout says each CGROUP was given its mode, in that order.
said() { [ "$(sed -n 's/^zeropage: cgroup \(.*\): \(mode\|no mode\).*$/\1/p' <<<"$out" | tr '\n' ' ')" = "$* " ]; }
apply '# comment\n\n   \n  never /db.slice  \n\t# indented comment\nalways\t /db.slice/app.service\r\ninherit /a b\n'
check "cgroup apply: comments, blank lines, blanks around and between: exit 0, quiet" [ "$rc" = 0 -a -z "$err" ]
check "cgroup apply: each line applied, in order" said /db.slice /db.slice/app.service '/a b'
check "cgroup apply: the last line written last, PATH with a space" [ "$(cat "$cgroups")" = "inherit /a b" ]
check "cgroup apply: an existing slice is not started" [ -z "$calls" ]
apply 'never /new.slice\nalways %s/dir.slice\n' "$applycg"
check "cgroup apply, missing NAME.slice under systemd: exit 0, applied" [ "$rc" = 0 -a -z "$err" ]
check "cgroup apply, missing NAME.slice: systemctl start -- NAME.slice first" \
	[ "$calls" = "$(printf 'start -- new.slice\nstart -- dir.slice')" ]
check "cgroup apply, a slice's directory: from the cgroup2 root once it exists" said /new.slice /dir.slice
systemd=0 apply 'never /other.slice\n'
check "cgroup apply, without systemd: no slice started, the line written" [ "$rc" = 0 -a -z "$calls" -a \
	"$(cat "$cgroups")" = "never /other.slice" ]
apply 'inherit /gone.slice\nnever /gone.service\n'
check "cgroup apply: no slice started for inherit, nor for a missing non-slice" [ "$rc" = 0 -a -z "$calls" ]
apply 'never /db.slice\nnever /broken.slice\nalways /new2.slice\n'
check "cgroup apply, a slice that fails to start: exit 1" [ "$rc" = 1 ]
check "cgroup apply, a slice that fails to start: one error line, FILE:LINE first" \
	one_error "$tmp/apply.conf:2: 'systemctl start broken.slice' failed \\(exit status 5\\)$"
check "cgroup apply, a line that fails: the lines after it still applied" said /db.slice /new2.slice
apply 'nevr /db.slice\nnever\nnever db.slice\nalways /new3.slice\nnever /broken.slice\n'
check "cgroup apply, malformed lines: exit 2, beside a failed line" [ "$rc" = 2 ]
check "cgroup apply, malformed lines: each reported with FILE:LINE" [ \
	"$(sed "s|^zeropagectl: $tmp/apply.conf:\([0-9]\): .*|\1|" <<<"$err" | tr '\n' ' ')" = "1 2 3 5 " ]
check "cgroup apply, malformed lines: say why" has "$(tr '\n' ' ' <<<"$err")" \
	"unknown mode 'nevr'.*'never' has no PATH.*bad PATH 'db.slice'"
check "cgroup apply, malformed lines: the others applied" said /new3.slice
ZEROPAGECTL_SYSFS=$fullsys apply 'never /db.slice\nalways /db.slice/x\n'
check "cgroup apply, every write refused: exit 1, an error for each line" [ "$rc" = 1 -a \
	"$(grep -c "^zeropagectl: $tmp/apply.conf:[12]: too many cgroup policies" <<<"$err")" = 2 ]
apply '# nothing\n'
check "cgroup apply, only comments: exit 0, nothing written" [ "$rc" = 0 -a -z "$err" -a ! -s "$cgroups" ]
ZEROPAGECTL_CONF=$tmp/no-such.conf run zeropagectl cgroup apply
check "cgroup apply, no default file (ZEROPAGECTL_CONF): exit 0" [ "$rc" = 0 -a -z "$err" ]
check "cgroup apply, no default file: says there is nothing to apply" \
	has "$out" "no $tmp/no-such.conf: no cgroup policies to apply"
ZEROPAGECTL_CONF=$tmp/no-such.conf ZEROPAGECTL_SYSFS=$nosys run zeropagectl cgroup apply
check "cgroup apply, no default file, module not loaded: exit 0" [ "$rc" = 0 -a -z "$err" ]
ZEROPAGECTL_CONF=$tmp/apply.conf run zeropagectl cgroup apply "$tmp/no-such.conf"
check "cgroup apply FILE, FILE missing: exit 1" [ "$rc" = 1 -a ! -s "$cgroups" ]
check "cgroup apply FILE, FILE missing: one error line" one_error "cannot open $tmp/no-such.conf"
ZEROPAGECTL_CONF=$tmp/apply.conf ZEROPAGECTL_SYSFS=$nosys run zeropagectl cgroup apply
check "cgroup apply, module not loaded: exit 3, one line" [ "$rc" = 3 -a "$(wc -l <<<"$err")" = 1 ]
ZEROPAGECTL_CONF=$tmp/apply.conf ZEROPAGECTL_SYSFS=$oldsys run zeropagectl cgroup apply
check "cgroup apply, module without policies: exit 1, one line" [ "$rc" = 1 -a "$(wc -l <<<"$err")" = 1 ]
ZEROPAGECTL_SYSTEMD=yes run zeropagectl cgroup apply "$tmp/apply.conf"
check "cgroup apply, ZEROPAGECTL_SYSTEMD=yes: exit 2" [ "$rc" = 2 ]
check "cgroup apply, ZEROPAGECTL_SYSTEMD=yes: one error line" one_error 'ZEROPAGECTL_SYSTEMD'
if as_nobody "cgroup apply as nobody"; then
	printf 'never /db.slice\nalways /db.slice/x\n' >"$tmp/apply.conf"
	chmod 644 "$tmp/apply.conf"
	: >"$cgroups"
	ZEROPAGECTL_SYSTEMD=0 run zpctl-asuser $NOBODY zeropagectl cgroup apply "$tmp/apply.conf"
	check "cgroup apply as nobody: exit 4, nothing written" [ "$rc" = 4 -a ! -s "$cgroups" ]
	check "cgroup apply as nobody: stops at the first line: one error line, FILE:LINE" \
		one_error "apply.conf:1: cannot write .*Permission denied \\(run as root\\)"
fi
# The example the package installs: nothing to apply as it is; each of its
# examples, uncommented, a line that applies (/sys/fs/cgroup: the fake one).
apply "$(sed 's/%/%%/g' "$tools/conf/cgroups.conf")"
check "tools/conf/cgroups.conf as shipped: exit 0, nothing applied" [ "$rc" = 0 -a -z "$err" -a ! -s "$cgroups" ]
mkdir -p "$applycg/hpc.slice" "$applycg/db.slice/db-batch.slice"
examples=$(sed -n 's/^#\(\(always\|never\|inherit\) .*\)/\1/p' "$tools/conf/cgroups.conf")
apply '%s\n' "${examples//\/sys\/fs\/cgroup/$applycg}"
check "tools/conf/cgroups.conf: its $(wc -l <<<"$examples") examples, uncommented: exit 0" [ "$rc" = 0 -a \
	-z "$err" -a "$(wc -l <<<"$examples")" -ge 2 ]
# shellcheck disable=SC2046
check "tools/conf/cgroups.conf: its examples, uncommented, all applied" \
	said $(sed 's|^[a-z]* ||; s|^/sys/fs/cgroup||' <<<"$examples")

echo "# run"
# A stand-in for systemd-run: records its arguments, runs what follows the
# first "--" (which, for a scope, runs in systemd-run's own process).
cat >"$tmp/bin/systemd-run" <<EOF
#!/bin/sh
printf '%s\n' "\$@" >"$tmp/systemd-run.args"
while [ \$# -gt 0 ] && [ "\$1" != -- ]; do shift; done
shift
exec "\$@"
EOF
chmod 755 "$tmp/bin/systemd-run"
mkdir -p "$tmp/scope/self" "$tmp/rootcg/self"
echo "0::/system.slice/zeropage-run-1.scope" >"$tmp/scope/self/cgroup"
printf '1:name=systemd:/\n0::/\n' >"$tmp/rootcg/self/cgroup"
: >"$cgroups"
ZEROPAGECTL_SYSTEMD=1 ZEROPAGECTL_PROC=$tmp/scope run zeropagectl run --mode never -- sh -c 'echo "ran $1"; exit 7' sh -x
check "run, systemd: the command's output and exit status" [ "$rc" = 7 -a "$out" = "ran -x" -a -z "$err" ]
check "run, systemd: the mode set on the scope's cgroup" [ "$(cat "$cgroups")" = "never /system.slice/zeropage-run-1.scope" ]
check "run, systemd: a scope named for zeropagectl's PID, running run --in-place" \
	has "$(tr '\n' ' ' <"$tmp/systemd-run.args")" \
	'^--scope --quiet --collect --unit=zeropage-run-[0-9]+ -- [^ ]*/zeropagectl run --mode never --in-place -- sh -c '
# (bash's "Terminated" to /dev/null: COMMAND is the process it waits for.)
ZEROPAGECTL_SYSTEMD=1 ZEROPAGECTL_PROC=$tmp/scope run zeropagectl run --mode always sh -c 'kill -TERM $$' 2>/dev/null
check "run, command killed by SIGTERM: exit 143" [ "$rc" = 143 -a "$(cat "$cgroups")" = "always /system.slice/zeropage-run-1.scope" ]
ZEROPAGECTL_SYSTEMD=1 ZEROPAGECTL_PROC=$tmp/scope run zeropagectl run --mode never -- "$tmp/no-such-command"
check "run, no such command: exit 127" [ "$rc" = 127 ]
check "run, no such command: one error line" one_error "cannot run '.*no-such-command'"
: >"$cgroups"
ZEROPAGECTL_PROC=$tmp/rootcg run zeropagectl run --mode never --in-place -- true
check "run --in-place in the root cgroup: exit 1, nothing set" [ "$rc" = 1 -a ! -s "$cgroups" ]
check "run --in-place in the root cgroup: one error line" one_error 'root cgroup'
ZEROPAGECTL_SYSTEMD=yes run zeropagectl run --mode never -- true
check "run, ZEROPAGECTL_SYSTEMD=yes: exit 2" [ "$rc" = 2 ]
check "run, ZEROPAGECTL_SYSTEMD=yes: one error line" one_error 'ZEROPAGECTL_SYSTEMD'
ZEROPAGECTL_SYSTEMD=0 ZEROPAGECTL_PROC=$tmp/rootcg run zeropagectl run --mode never -- true
check "run, no cgroup2 mounted: exit 1" [ "$rc" = 1 ]
check "run, no cgroup2 mounted: one error line" one_error 'no cgroup2'
# A plain directory for the cgroup2 root: its cgroup.procs is missing, so
# the command cannot enter its cgroup; what is made is still undone.
mkdir "$tmp/cgfake"
ZEROPAGECTL_SYSTEMD=0 ZEROPAGECTL_CGROUP=$tmp/cgfake run zeropagectl run --mode never -- true
check "run, transient cgroup that cannot be entered: exit 1" [ "$rc" = 1 ]
check "run, transient cgroup that cannot be entered: one error line" one_error 'cannot move into .*/zeropage-run\.[0-9]+'
check "run, transient cgroup: its mode removed" grep -qxE 'inherit /zeropage-run\.[0-9]+' "$cgroups"
check "run, transient cgroup: its directory removed" [ -z "$(ls -A "$tmp/cgfake")" ]

echo "# usage"
for args in "" "frob" "status --huge" "status extra" "set" "set always never" \
	"watch -i 0" "watch -i 1e3" "watch -n 0" "watch -n" "ps 0" "ps 12x" \
	"ps --sort=size" "ps --json=yes" "ps -X" "cgroup" "cgroup frob" "cgroup --json" \
	"cgroup set" "cgroup set /x" "cgroup set x never" "cgroup set /x bogus" \
	"cgroup set /x never extra" "cgroup list extra" "cgroup list --huge" "cgroup apply a b" \
	"cgroup apply --json" "run" "run true" \
	"run --mode never" "run --mode never --" "run --mode inherit true" "run --in-place true" \
	"run --huge --mode never true" "set never --mode=never"; do
	# shellcheck disable=SC2086
	run zeropagectl $args
	check "usage error '$args': exit 2, one line" [ "$rc" = 2 -a "$(wc -l <<<"$err")" = 1 -a \
		-z "$out" -a "${err#zeropagectl: }" != "$err" ]
done
run zeropagectl "$(printf 'st\natus')"
check "usage error, newline in the argument: exit 2, one line" [ "$rc" = 2 -a "$(wc -l <<<"$err")" = 1 ]
run zeropagectl cgroup set "$(printf '/x\nnever /y')" never
check "usage error, newline in a cgroup PATH: exit 2, one line" [ "$rc" = 2 -a "$(wc -l <<<"$err")" = 1 ]
run zeropagectl "cgroup set" /x never
check "usage error, 'cgroup set' as one word: exit 2" [ "$rc" = 2 ]
run zeropagectl --help
check "--help: exit 0, all commands, exit codes" [ "$rc" = 0 -a -z "$err" -a \
	"$(grep -cE '^  (status|set|watch|ps|cgroup set|cgroup list|cgroup apply|run|help)' <<<"$out")" = 9 -a \
	"$(grep -c 'module not loaded' <<<"$out")" = 1 ]
missing=
for opt in $(grep -oE -- '--[a-z-]+|-[a-zA-Z]\b' <<<"$out" | sort -u) ZEROPAGECTL_SYSFS ZEROPAGECTL_PROC \
	ZEROPAGECTL_CGROUP ZEROPAGECTL_SYSTEMD ZEROPAGECTL_CONF inherit; do
	grep -q -- "${opt//-/\\\\-}" "$tools/zeropagectl.8" || missing="$missing $opt"
done
check "man page documents every option in --help${missing:+ (missing:$missing)}" [ -z "$missing" ]
if command -v groff >/dev/null; then
	run groff -man -ww -z "$tools/zeropagectl.8"
	check "man page renders without warnings" [ "$rc" = 0 -a -z "$err" ]
fi

echo "# watch"
run zeropagectl watch -i 0.1 -n 2
check "watch -n 2: header and two lines" [ "$rc" = 0 -a "$(wc -l <<<"$out")" = 3 ]
check "watch: header" has "$out" '^ +zero/s +priv/s +passed/s'
check "watch: rates, missing counter as -, mode" has "$(tail -n 1 <<<"$out")" '^ +0 +0 +0 +0 +0 +0 +-  always$'
# The header comes once the first reading is taken: 100 more after it, in
# an interval of 1 s that a busy host may stretch (up to 2 s allowed here).
zeropagectl watch -i 1 -n 1 >"$tmp/watch" &
for _ in $(seq 100); do
	[ -s "$tmp/watch" ] && break
	sleep 0.05
done
echo 142 >"$sys/zeropage/stats/zero_mapped"
wait $!
rate=$(awk 'NR == 2 { print $1 }' "$tmp/watch")
check "watch: 100 new zero_mapped in one 1 s interval read as 50-100/s (got $rate)" \
	[ "${rate:-0}" -ge 50 -a "${rate:-0}" -le 100 ]
ZEROPAGECTL_SYSFS=$nosys run zeropagectl watch -n 1
check "watch, not loaded: exit 3, one line" [ "$rc" = 3 -a "$(wc -l <<<"$err")" = 1 ]

echo "# ps, fake /proc"
# Pid 4242: zero, private and huge zero pages in anonymous mappings of each
# kind, and present pages that must not count (file and inaccessible
# mappings); 4244 a kernel thread; 4245 one private page; and, in a tree of
# its own, 4243 with PFNs hidden as from a non-root reader.  Their
# cgroups: 4242's below /db.slice, 4245's beside it.
python3 - "$tmp/proc" "$tmp/proc-nopfn" <<'PY'
import os, struct, sys
proc, nopfn = sys.argv[1:]
PRESENT, ZERO, THP = 1 << 63, 1 << 24, 1 << 22
def task(root, pid, comm, maps, pages):
    d = f"{root}/{pid}"
    os.makedirs(d)
    open(f"{d}/comm", "w").write(comm + "\n")
    open(f"{d}/maps", "w").write("".join(l + "\n" for l in maps))
    with open(f"{d}/pagemap", "wb") as f:
        for vaddr, pfn in pages:
            f.seek(vaddr // 4096 * 8)
            f.write(struct.pack("<Q", PRESENT | pfn))
def kpageflags(root, flags):
    with open(f"{root}/kpageflags", "wb") as f:
        for pfn, fl in flags.items():
            f.seek(pfn * 8)
            f.write(struct.pack("<Q", fl))
task(proc, 4242, "fake", [
    "00010000-00020000 rw-p 00000000 00:00 0 ",
    "00020000-00030000 r--p 00000000 08:01 1234                       /usr/lib/libfoo.so",
    "00030000-00040000 ---p 00000000 00:00 0 ",
    "00040000-00050000 rw-p 00000000 00:00 0                          [heap]",
    "00200000-00400000 rw-p 00000000 00:00 0                          [anon:big]",
    "00400000-00410000 rw-p 00000000 00:05 6                          /dev/zero",
    "7ffd0000-7ffe0000 rw-p 00000000 00:00 0                          [stack]",
], [(0x10000 + i * 4096, 0x100) for i in range(4)] +
   [(0x14000, 0x500), (0x15000, 0x501), (0x20000, 0x100), (0x30000, 0x100),
    (0x40000, 0x100), (0x400000, 0x700), (0x7ffdf000, 0x100000)] +
   [(0x200000 + i * 4096, 0x1000 + i) for i in range(512)])
task(proc, 4244, "kthread", [], [])
task(proc, 4245, "other", ["00010000-00011000 rw-p 00000000 00:00 0 "],
     [(0x10000, 0x502)])
flags = {0x100: ZERO, 0x500: 0, 0x501: 0, 0x502: 0, 0x700: 0, 0x100000: 0}
flags.update({0x1000 + i: ZERO | THP for i in range(512)})
kpageflags(proc, flags)
task(nopfn, 4243, "hidden", ["00010000-00011000 rw-p 00000000 00:00 0 "],
     [(0x10000, 0)])
kpageflags(nopfn, {})
PY
printf '1:name=systemd:/db.slice/app.service\n0::/db.slice/app.service\n' >"$tmp/proc/4242/cgroup"
echo "0::/db.slice2" >"$tmp/proc/4245/cgroup"
printf 'never /db.slice\nalways /db.slice/other\nalways /db.slice/app.service/sub\n' >"$cgroups"
export ZEROPAGECTL_PROC=$tmp/proc
run zeropagectl ps 4242
check "ps fake: anon 4, zero 5, hzero 512, saved 517, policy of the nearest cgroup above" [ "$rc" = 0 -a \
	"$(tail -n 1 <<<"$out")" = "   4242          4          5        512        517  never(/db.slice)  fake" ]
run zeropagectl ps
check "ps fake, all: kernel thread left out, total row" [ "$rc" = 0 -a \
	"$(awk 'NR > 1 { print $1 }' <<<"$out" | tr '\n' ' ')" = "4242 4245 - " ]
check "ps fake: POLICY column, global mode where no cgroup above has one" [ \
	"$(awk '{ print $6 }' <<<"$out" | tr '\n' ' ')" = "POLICY never(/db.slice) always(global) - " ]
run zeropagectl ps --sort=comm -H
check "ps --sort=comm -H" [ "$rc" = 0 -a \
	"$(awk 'NR > 1 { print $1, $2, $3, $4, $7 }' <<<"$out" | tr '\n' ' ')" = "4242 16K 20K 2.0M fake 4245 4.0K 0B 0B other - 20K 20K 2.0M (total) " ]
run zeropagectl ps --sort=anon --json
check "ps --json fake: valid" json_ok
check "ps --json fake: values" pyjson '[p["pid"] for p in d["processes"]] == [4242, 4245] and d["processes"][0]["huge_zero_pages"] == 512 and d["total"]["saved_bytes"] == 517 * 4096 and d["total"]["anon_pages"] == 5'
check "ps --json fake: policy, policy_from" pyjson '[(p["policy"], p["policy_from"]) for p in d["processes"]] == [("never", "/db.slice"), ("always", "global")] and "policy" not in d["total"]'
ZEROPAGECTL_SYSFS=$oldsys run zeropagectl ps 4242
check "ps, module without policies: the global mode" has "$out" '  always\(global\)  fake$'
ZEROPAGECTL_SYSFS=$nosys run zeropagectl ps --json 4242
check "ps, module not loaded: policy unknown" pyjson 'd["processes"][0]["policy"] is None and d["processes"][0]["policy_from"] is None'
ZEROPAGECTL_PROC=$tmp/proc-nopfn run zeropagectl ps 4243
check "ps, PFNs hidden: exit 4, says root is needed" [ "$rc" = 4 -a -z "$out" ]
check "ps, PFNs hidden: one error line" one_error 'needs root'
run zeropagectl ps 4242 4246
check "ps, one PID missing: exit 1, others shown" [ "$rc" = 1 -a "$(wc -l <<<"$out")" = 2 ]
check "ps, PID missing: one error line" one_error 'no such process: 4246'
unset ZEROPAGECTL_PROC

echo "1..$n"
[ "$failed" = 0 ]
