# Shared helpers for the test-bed scripts (sourced, not run).
ZP_TOP=${ZP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZP_CACHE=${ZP_CACHE:-$ZP_TOP/.cache}
ZP_OUT=${ZP_OUT:-$ZP_TOP/out}
# Kernel parameters of every test guest (the bed's and the arch matrix's).
# proc_mem.force_override=always: /proc/PID/mem reads with FOLL_FORCE, as
# the tests of PROT_NONE memory need, also where the kernel's default is
# ptrace-only (Debian's 7.x; kernels before 6.12 ignore the parameter).
ZP_GUEST_PARAMS="panic=-1 loglevel=7 proc_mem.force_override=always"

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# apt_install_missing LOG PACKAGE...: apt-get install the packages this
# machine lacks (output in LOG); the package lists are refreshed only when
# a first try fails.
apt_install_missing() {
	local log=$1 p missing=()
	shift
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -gt 0 ] || return 0
	log "installing: ${missing[*]} (log: $log)"
	mkdir -p "$(dirname "$log")"
	export DEBIAN_FRONTEND=noninteractive
	apt-get -q -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}" >"$log" 2>&1 || {
		apt-get -q -o DPkg::Lock::Timeout=900 update >>"$log" 2>&1 || true
		apt-get -q -o DPkg::Lock::Timeout=900 install -y --no-install-recommends "${missing[@]}" >>"$log" 2>&1
	}
}

# apt_has_candidate PACKAGE [APT-OPTIONS...]: this machine's apt sources
# (or those the options name) offer PACKAGE.
apt_has_candidate() {
	local policy	# read whole: grep -q would cut apt-cache off (pipefail)
	policy=$(apt-cache "${@:2}" policy "$1" 2>/dev/null)
	[[ $policy =~ Candidate:\ [^\(] ]]
}

# Lines of a guest console that fail the run whatever the tests said.
# (lockdep and RCU reports begin with WARNING: or BUG:; plain "lockdep" or
# "stall" would match boot banners.)  A user program killed by a fault
# the kernel reports ("segfault at", "traps:", arm64's "unexpected fatal
# signal") fails it too: the tests catch the signals they provoke.
BAD_CONSOLE='Oops|\bBUG\b|WARNING|Call Trace|suspicious RCU usage|KASAN|general protection|soft lockup|hung_task|blocked for more than|detected stall|Kernel panic|Bad page|bad pte|list_(add|del) corruption|sleeping function called|suspected memory leak|Unable to handle kernel|segfault at|traps: |invalid opcode|unexpected fatal signal|Unhandled fault'

# ---- results: TAP lines in one file, phases timed on stderr ----
# results_begin FILE PREFIX: start a results file; tap() puts PREFIX before
# each test name, phase() before each phase.
results_begin() {
	results=$1 results_prefix=$2
	mkdir -p "$(dirname "$results")"
	: >"$results"
	results_start=$(date +%s)
	phase_start=$results_start
}

# tap NAME STATUS [DETAIL]: record one result; DETAIL only on failure.
tap() {
	if [ "$2" = 0 ]; then
		echo "ok - $results_prefix$1"
	else
		echo "not ok - $results_prefix$1${3:+ ($3)}"
	fi | tee -a "$results"
}

phase() {
	local now
	now=$(date +%s)
	log "${results_prefix}phase done: $1 ($((now - phase_start)) s)"
	phase_start=$now
}

# ---- plans: how many results each suite must report ----
# Fixed here, never counted by the suite itself: a suite that silently runs
# fewer checks (or more) is red.  Rows: SUITE NAME COUNT; NAME a bed
# kernel's name or * (any kernel, also dkms/run.sh's "SUITE RELEASE"
# names); the first matching row counts; a run without one fails.  COUNT
# is every "ok"/"not ok" line, skips included (a skip prints its line).
# check: the functional guest with its zeropagectl and bench-quick passes
# (it differs per kernel: hook routes, THP sizes, RT); zeropagectl: that
# suite's guest alone; stress-*: the stress guest's parts (lib.sh
# kernel_suites); trinity: the fuzzer's guest, the same count short or
# long; zeropagectl-host: make -C tools check (bed/check.sh).
# The rows of 6.1-rt, 6.1-cloud, 6.12-rt and 6.12-trixie are those of
# make check at ff50d5e plus the swapon check; debug's is 6.1's plus
# kmemleak's check, until a make check-debug run confirms it.  Issue 26's
# tests added +5 on every kernel (a policy on /), and where there is THP
# +1 (a PROT_READ huge read in a never cgroup) and +4 per zp_test thp run
# (2 on 6.1, 3 on 6.12 and 7.3); +2 per forced fallback hook (the unstable
# test: 1 on 6.1, 2 on 6.12 and 7.3).  Every row but debug was booted with
# them at 3d5d79f.  unload-parked: +6 on every kernel; unload-rtlock: +5 on
# the -rt kernels, +1 (its skip) on the others.  The rows of make
# check-kernels' Debian 13, 7.3 and 7.2 flavours are the counts of its
# run of 2026-12-08 at b7f9e68, every other result of it ok (they had no
# row before, so that run failed each on its plan alone).
ZP_PLANS='
check            6.1          596
check            6.1-rt       563
check            6.1-cloud    596
check            6.12         642
check            6.12-rt      599
check            6.12-trixie  642
check            6.12-trixie-rt    599
check            6.12-trixie-cloud 642
check            7.3          638
check            7.3-rt       595
check            7.3-cloud    638
check            7.2          642
check            7.2-rt       599
check            7.2-cloud    642
check            debug        597
zeropagectl      *            83
stress-main      *            38
stress-cycle     *            9
trinity          *            18
dkms             *            30
zeropagectl-host *            160
'

# plan_of SUITE NAME: the results SUITE must report on NAME ("" if no row).
plan_of() {
	awk -v s="$1" -v n="$2" '$1 == s && ($2 == n || $2 == "*") { print $3; exit }' <<<"$ZP_PLANS"
}

# plan_tap NAME SUITE COUNT DETAIL: record whether COUNT results are
# SUITE's plan on NAME.
plan_tap() {
	local want
	want=$(plan_of "$2" "$1")
	[ -n "$want" ] && [ "$3" = "$want" ]
	tap "$1: $2 ran to its fixed plan" $? "$3 results, want ${want:-a row in ZP_PLANS, lib.sh}; $4"
}

# collect NAME DIR RUN QEMU-RC [PLAN]: a guest's TAP (from DIR/report.log,
# as "NAME: test"); whether RUN's script ended with status 0; whether each
# suite it runs said it reached its end (check runs zeropagectl and the
# bench's quick pass too); whether it reported its plan's number of
# results (plan_of PLAN, default RUN).
collect() {
	local name=$1 dir=$2 run=$3 qrc=$4 plan=${5:-$3} suite end
	case $run in
	check) set -- check zeropagectl bench-quick ;;
	*) set -- "$run" ;;
	esac
	# Control bytes a broken test may print (a NUL) would make the results
	# a binary file to grep.
	sed -n -E 's/^(not ok|ok) - /\1 - '"$results_prefix$name"': /p' "$dir/report.log" 2>/dev/null |
		tr -d '\000-\010\013-\037' | tee -a "$results"
	end=$(grep -a -o "zp: guest finished: $run, .*" "$dir/console.log" 2>/dev/null | tr -d '\r')
	[ "$end" = "zp: guest finished: $run, exit status 0" ]
	tap "$name: $run guest ran to the end" $? "${end:-no end}, qemu rc $qrc, console $dir/console.log"
	for suite in "$@"; do
		grep -a -q -E "^# end of suite: $suite"$'\r?$' "$dir/report.log" 2>/dev/null
		tap "$name: suite $suite reached its end" $? "report $dir/report.log"
	done
	plan_tap "$name" "$plan" "$(grep -a -c -E '^(not ok|ok) - ' "$dir/report.log" 2>/dev/null)" \
		"report $dir/report.log"
}

# console_bad FILE: the lines of a guest console that fail its run (an
# Oops, WARNING, ...: BAD_CONSOLE), but for the report of the audit WARN a
# test provokes on purpose (zp_test audit-violation): a "cut here" ...
# "end trace" block carrying the audit's message, between the test's two
# markers.
console_bad() {
	awk '/zp: an audit warning follows, on purpose/ { window = 1; next }
		/zp: the audit warning on purpose is over/ { window = 0; next }
		window && /-+\[ cut here \]-+/ { block = 1; n = 0; audit = 0 }
		block {
			held[++n] = $0
			if (/zeropage: zero pfn mapped without the special bit/)
				audit = 1
			if (/---\[ end trace/) {
				for (i = 1; i <= n && !audit; i++)
					print held[i]
				block = 0
			}
			next
		}
		{ print }
		END { for (i = 1; i <= n && block; i++) print held[i] }' "$1" 2>&1 |
		grep -E "$BAD_CONSOLE"
}

# judge_console NAME DIR RUN: no Oops/WARNING/... line in DIR/console.log.
judge_console() {
	local bad
	bad=$(console_bad "$2/console.log" | head -n 3 | tr "\n" " ")
	tap "$1: $3 console free of Oops/BUG/WARNING/lockdep/KASAN" "$([ -z "$bad" ]; echo $?)" \
		"$bad; console $2/console.log"
}

# boot_judge NAME RELEASE ROOT KO RUN DIR [LABEL]: boot one guest that runs
# /tests/RUN.sh (guest.sh, same environment), collect its TAP and judge its
# console (LABEL names the console line and the plan, default RUN).
boot_judge() {
	"$ZP_TOP/selftests/bed/guest.sh" "$2" "$3" "$4" "$5" "$6"
	collect "$1" "$6" "$5" $? "${7:-$5}"
	judge_console "$1" "$6" "${7:-$5}"
}

# guest_programs [OUT [CC]]: the static programs every guest carries, in OUT
# (default $ZP_OUT/guest-bin), built with CC (default: make's).
guest_programs() {
	local out=${1:-$ZP_OUT/guest-bin} cc=(${2:+CC=$2})
	make -s -C "$ZP_TOP/selftests" "${cc[@]}" OUT="$out" &&
		make -s -C "$ZP_TOP/tools" static "${cc[@]}" OUT="$out" &&
		make -s -C "$ZP_TOP/bench" "${cc[@]}" OUT="$out"
}

# kernel_suites NAME RELEASE ROOT KOUT SUITE...: build zeropage.ko for one
# kernel of the bed (from $ZP_SRC, default the tree) into KOUT, then boot
# one guest per SUITE and judge it:
#   check         the functional suite (with zeropagectl and the bench pass)
#   zeropagectl   zeropagectl against the real module, alone
#   stress-main   the stress suite's main part (storm, OOM, uffd, fuzzers)
#   stress-cycle  load/unload cycles under the storm, 2 vCPUs taking turns
#   trinity       Debian's syscall fuzzer, stock against each mode
# Fails when the build fails; with ZP_STOP_ON_FAIL set, also as soon as a
# guest failed (guest.sh stops it there; the remaining suites are not booted).
kernel_suites() {
	local name=$1 release=$2 root=$3 kout=$4 suite cycles extra long=${ZP_STRESS_LONG:+zp.stress=long}
	shift 4
	mkdir -p "$kout"
	if "$ZP_TOP/selftests/bed/build-module.sh" "$release" "$root" "$kout" 2>"$kout/build.err"; then
		tap "$name: module builds with W=1, no warnings" 0
	else
		tap "$name: module builds with W=1, no warnings" 1 "see $kout/build.log"
		return 1
	fi
	# Where the module calls kallsyms_lookup_name() (x86: for the THP
	# flags, kernels without per-size THP), also the build that takes it
	# for sealed by IBT; the functional guest loads it too
	# (selftests/guest/check.sh, "ibt:").
	extra=
	if grep -q '^CONFIG_TRANSPARENT_HUGEPAGE=y' "$root/usr/src/linux-headers-$release/.config" &&
		! grep -qs huge_anon_orders_always "$root"/usr/src/linux-headers-*-common*/include/linux/huge_mm.h; then
		extra=$kout/ibt-sealed/extra
		"$ZP_TOP/selftests/bed/build-module.sh" "$release" "$root" "$kout/ibt-sealed" \
			KCFLAGS=-DZP_TEST_IBT_SEALED 2>"$kout/ibt-sealed.err"
		tap "$name: the IBT-sealed test build builds" $? "see $kout/ibt-sealed.err"
		mkdir -p "$extra/lib/modules"
		cp "$kout/ibt-sealed/zeropage.ko" "$extra/lib/modules/zeropage-ibt-sealed.ko" 2>/dev/null
	fi
	# Load/unload cycles on 2 vCPUs under single-threaded TCG: the vCPUs
	# take turns on one host thread, so an unload on one races the storm's
	# faults on the other, while multi-threaded TCG crashes even the stock
	# kernel when kprobe/ftrace text is patched under a fault load.  Quick
	# mode cycles fewer times on the slower kernels.
	case $name in
	6.1 | 6.12 | debug) cycles=200 ;;
	*-rt) cycles=25 ;;
	*) cycles=50 ;;
	esac
	[ -z "$long" ] || cycles=1000
	for suite in "$@"; do
		case $suite in
		check)
			ZP_GUEST_EXTRA=$extra \
				boot_judge "$name" "$release" "$root" "$kout/zeropage.ko" check "$kout/guest" ;;
		zeropagectl)
			boot_judge "$name" "$release" "$root" "$kout/zeropage.ko" zeropagectl "$kout/$suite" ;;
		stress-main)
			ZP_GUEST_APPEND="zp.stress.part=main $long" ZP_GUEST_TIMEOUT=${long:+1500} \
				boot_judge "$name" "$release" "$root" "$kout/zeropage.ko" stress "$kout/$suite" "$suite" ;;
		stress-cycle)
			ZP_GUEST_CPUS=2 ZP_GUEST_ACCEL=tcg,thread=single ZP_GUEST_TIMEOUT=${long:+2400} \
				ZP_GUEST_APPEND="preempt=full zp.stress.part=cycle zp.stress.cycles=$cycles $long" \
				boot_judge "$name" "$release" "$root" "$kout/zeropage.ko" stress "$kout/$suite" "$suite" ;;
		trinity)
			trinity_stage "$kout/trinity-extra"
			tap "$name: Debian's trinity is staged for the guest" $? "see $ZP_CACHE/debs"
			ZP_GUEST_EXTRA=$kout/trinity-extra ZP_GUEST_APPEND="$long ${ZP_TRINITY_APPEND:-}" \
				ZP_GUEST_TIMEOUT=${long:+1800} \
				boot_judge "$name" "$release" "$root" "$kout/zeropage.ko" trinity "$kout/$suite" ;;
		*) die "unknown suite $suite" ;;
		esac
		[ -z "${ZP_STOP_ON_FAIL:-}" ] || ! grep -q '^not ok - ' "$results" || return 1
	done
	return 0
}

# summary: the failures, then the one line "N passed, N failed, N skipped";
# true only when something passed and nothing failed.
summary() {
	local passed skipped failed
	passed=$(grep -c '^ok - ' "$results")
	skipped=$(grep -c '^ok - .*# SKIP' "$results")
	failed=$(grep -c '^not ok - ' "$results")
	passed=$((passed - skipped))
	if [ "$failed" -gt 0 ]; then
		echo "failures:"
		grep '^not ok - ' "$results"
	fi
	log "${results_prefix}total $(($(date +%s) - results_start)) s; results in $results"
	echo "$passed passed, $failed failed, $skipped skipped"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}

# ---- the Debian mirror this machine's apt sources use (never written down) ----
# apt_source_uri main|security: the first URI of that kind of source.
apt_source_uri() {
	local match='!~' uri
	[ "$1" = security ] && match='~'
	uri=$(awk '/^URIs:/ && $0 '"$match"' /security/ { print $2; exit }' \
		/etc/apt/sources.list.d/*.sources 2>/dev/null || true)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $0 '"$match"' /security/ {
		for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' \
		/etc/apt/sources.list 2>/dev/null || true)
	echo "$uri"
}

mirror_uri() {
	local uri
	uri=$(apt_source_uri main)
	[ -n "$uri" ] || die "no Debian mirror found in this machine's apt sources"
	echo "$uri"
}

# ---- Debian 12, the test bed's reference release ----
# Suite "main" in the kernel tables is Debian 12: this machine's own apt
# sources on a Debian 12 host, the bed's private bookworm state (below) on
# any other, such as a Debian 13 workstation.

# host_is_debian12: whether this machine runs Debian 12.
host_is_debian12() {
	[ "$(. /etc/os-release && echo "${VERSION_CODENAME:-}")" = bookworm ]
}

# main_suite: the suite that serves "main" here (main itself on Debian 12).
main_suite() {
	if host_is_debian12; then echo main; else echo bookworm; fi
}

# apt_opts_for SUITE: the apt-get/apt-cache options that read SUITE ("main"
# included), its package lists refreshed when stale or missing.
apt_opts_for() {
	local suite=$1
	[ "$suite" != main ] || suite=$(main_suite)
	if [ "$suite" = main ]; then
		apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get -q update >/dev/null
	else
		suite_apt_setup "$suite"
		suite_apt_opts "$suite"
	fi
}

# zp_version: the module's version (ZP_VERSION in include/zeropage.h).
zp_version() { sed -n 's/^#define ZP_VERSION "\(.*\)"$/\1/p' "$ZP_TOP/include/zeropage.h"; }

# cached_deb PACKAGE: the newest .deb of PACKAGE in $ZP_CACHE/debs.
cached_deb() { ls "$ZP_CACHE/debs/$1"_*.deb 2>/dev/null | sort -V | tail -n 1; }

# main_deb PACKAGE: Debian 12's PACKAGE, downloaded into $ZP_CACHE/debs once;
# prints the path of its .deb.
main_deb() {
	local opts
	mkdir -p "$ZP_CACHE/debs"
	if [ -z "$(cached_deb "$1")" ]; then
		opts=$(apt_opts_for main) || return 1
		# shellcheck disable=SC2086
		(cd "$ZP_CACHE/debs" && apt-get $opts -o APT::Sandbox::User=root -q download \
			"$1" >/dev/null) || return 1
	fi
	cached_deb "$1"
}

# linux_source_deb: Debian 12's linux-source-6.1 package (checkpatch, the
# debug kernel's sources).
linux_source_deb() { main_deb linux-source-6.1; }

# trinity_stage DIR: Debian 12's trinity, the kernel's syscall fuzzer, laid
# out under DIR for a guest's ZP_GUEST_EXTRA: the binary in /tests, the
# shared libraries it links (this Debian 12 host's, as ldd finds them) where
# its loader looks for them.
trinity_stage() {
	local dir=$1 deb lib
	deb=$(main_deb trinity) || return 1
	rm -rf "$dir" "$dir.deb"
	mkdir -p "$dir/tests"
	dpkg-deb -x "$deb" "$dir.deb" && cp "$dir.deb/usr/bin/trinity" "$dir/tests/" || return 1
	for lib in $(ldd "$dir/tests/trinity" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'); do
		mkdir -p "$dir$(dirname "$lib")" && cp -L "$lib" "$dir$lib" || return 1
	done
}

# ---- private apt configurations, one per suite, in $ZP_CACHE/apt/SUITE ----
# The host's own apt configuration knows only its own release; other suites
# get a configuration of their own, built from the mirror URIs above.  A stable
# suite brings its -security suite along (kernels are updated there); a
# backports suite stands alone, so its kernels are the candidates.

# suite_apt_opts SUITE: the apt-get/apt-cache options for SUITE.
suite_apt_opts() {
	local d=$ZP_CACHE/apt/$1
	echo "-o Dir::Etc::SourceList=$d/sources.list -o Dir::Etc::SourceParts=/dev/null" \
	     "-o Dir::State::Lists=$d/lists -o Dir::Cache=$d/cache -o Debug::NoLocking=1"
}

# suite_apt_setup SUITE: write SUITE's sources and refresh its package lists
# (every 12 h).
suite_apt_setup() {
	local suite=$1 d=$ZP_CACHE/apt/$1 key=/usr/share/keyrings/debian-archive-keyring.gpg sec
	[ -f "$d/stamp" ] && [ -n "$(find "$d/stamp" -mmin -720)" ] && return 0
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	{
		echo "deb [signed-by=$key] $(mirror_uri) $suite main"
		sec=$(apt_source_uri security)
		case $suite in
		bookworm | trixie) [ -z "$sec" ] || echo "deb [signed-by=$key] $sec $suite-security main" ;;
		esac
	} >"$d/sources.list"
	# shellcheck disable=SC2046
	apt-get $(suite_apt_opts "$suite") -q update >"$d/update.log" 2>&1 ||
		die "apt-get update for $suite failed (see $d/update.log)"
	touch "$d/stamp"
}
