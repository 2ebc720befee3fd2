# Shared helpers for the test-bed scripts (sourced, not run).
ZP_TOP=${ZP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZP_CACHE=${ZP_CACHE:-$ZP_TOP/.cache}
ZP_OUT=${ZP_OUT:-$ZP_TOP/out}

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

# collect NAME DIR RUN QEMU-RC [SUITE...]: a guest's TAP (from
# DIR/report.log, as "NAME: test"); whether RUN's script ended with status
# 0; whether each suite it runs (default: RUN) said it reached its end.
collect() {
	local name=$1 dir=$2 run=$3 qrc=$4 suite end
	shift 4
	sed -n -E 's/^(not ok|ok) - /\1 - '"$results_prefix$name"': /p' "$dir/report.log" 2>/dev/null |
		tee -a "$results"
	end=$(grep -a -o "zp: guest finished: $run, .*" "$dir/console.log" 2>/dev/null | tr -d '\r')
	[ "$end" = "zp: guest finished: $run, exit status 0" ]
	tap "$name: $run guest ran to the end" $? "${end:-no end}, qemu rc $qrc, console $dir/console.log"
	for suite in "${@:-$run}"; do
		grep -a -q -E "^# end of suite: $suite"$'\r?$' "$dir/report.log" 2>/dev/null
		tap "$name: suite $suite reached its end" $? "report $dir/report.log"
	done
}

# judge_console NAME DIR RUN: no Oops/WARNING/... line in DIR/console.log.
judge_console() {
	local bad
	bad=$(grep -E "$BAD_CONSOLE" "$2/console.log" 2>&1 | head -n 3 | tr "\n" " ")
	tap "$1: $3 console free of Oops/BUG/WARNING/lockdep/KASAN" "$([ -z "$bad" ]; echo $?)" \
		"$bad; console $2/console.log"
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
