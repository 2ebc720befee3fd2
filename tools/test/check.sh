#!/usr/bin/env bash
# Host tests for zeropagectl, run by "make check" in tools/: status, set and
# watch against a fake sysfs tree, ps against a fake /proc.  Nothing here
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
chmod -R a+rX "$sys"
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

echo "# usage"
for args in "" "frob" "status --huge" "status extra" "set" "set always never" \
	"watch -i 0" "watch -i 1e3" "watch -n 0" "watch -n" "ps 0" "ps 12x" \
	"ps --sort=size" "ps --json=yes" "ps -X"; do
	# shellcheck disable=SC2086
	run zeropagectl $args
	check "usage error '$args': exit 2, one line" [ "$rc" = 2 -a "$(wc -l <<<"$err")" = 1 -a \
		-z "$out" -a "${err#zeropagectl: }" != "$err" ]
done
run zeropagectl "$(printf 'st\natus')"
check "usage error, newline in the argument: exit 2, one line" [ "$rc" = 2 -a "$(wc -l <<<"$err")" = 1 ]
run zeropagectl --help
check "--help: exit 0, all commands, exit codes" [ "$rc" = 0 -a -z "$err" -a \
	"$(grep -cE '^  (status|set|watch|ps|help)' <<<"$out")" = 5 -a "$(grep -c 'module not loaded' <<<"$out")" = 1 ]
missing=
for opt in $(grep -oE -- '--[a-z]+|-[a-zA-Z]\b' <<<"$out" | sort -u) ZEROPAGECTL_SYSFS ZEROPAGECTL_PROC; do
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
# its own, 4243 with PFNs hidden as from a non-root reader.
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
export ZEROPAGECTL_PROC=$tmp/proc
run zeropagectl ps 4242
check "ps fake: anon 4, zero 5, hzero 512, saved 517" [ "$rc" = 0 -a \
	"$(tail -n 1 <<<"$out")" = "   4242          4          5        512        517  fake" ]
run zeropagectl ps
check "ps fake, all: kernel thread left out, total row" [ "$rc" = 0 -a \
	"$(awk 'NR > 1 { print $1 }' <<<"$out" | tr '\n' ' ')" = "4242 4245 - " ]
run zeropagectl ps --sort=comm -H
check "ps --sort=comm -H" [ "$rc" = 0 -a \
	"$(awk 'NR > 1 { print $1, $2, $3, $4, $6 }' <<<"$out" | tr '\n' ' ')" = "4242 16K 20K 2.0M fake 4245 4.0K 0B 0B other - 20K 20K 2.0M (total) " ]
run zeropagectl ps --sort=anon --json
check "ps --json fake: valid" json_ok
check "ps --json fake: values" pyjson '[p["pid"] for p in d["processes"]] == [4242, 4245] and d["processes"][0]["huge_zero_pages"] == 512 and d["total"]["saved_bytes"] == 517 * 4096 and d["total"]["anon_pages"] == 5'
ZEROPAGECTL_PROC=$tmp/proc-nopfn run zeropagectl ps 4243
check "ps, PFNs hidden: exit 4, says root is needed" [ "$rc" = 4 -a -z "$out" ]
check "ps, PFNs hidden: one error line" one_error 'needs root'
run zeropagectl ps 4242 4246
check "ps, one PID missing: exit 1, others shown" [ "$rc" = 1 -a "$(wc -l <<<"$out")" = 2 ]
check "ps, PID missing: one error line" one_error 'no such process: 4246'
unset ZEROPAGECTL_PROC

echo "1..$n"
[ "$failed" = 0 ]
