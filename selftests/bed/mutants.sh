#!/usr/bin/env bash
# mutants.sh [ID...]: make check-mutants, mutation testing of the suites.
#
# Each selftests/mutants/NN-name.patch is a deliberate breakage of module/
# or include/ (a unified diff, -p1), whose first line says what it breaks
# and what should kill it:
#   mutant: <what it breaks> | kernels: <bed kernels> | suites: <suites>
# kernels: names from kernels.sh (6.12: the do_anonymous_page route, whose
# check run also covers the forced handle_mm_fault fallback; 6.1: the
# handle_mm_fault route), or "-".  suites: those of kernel_suites (lib.sh:
# check, zeropagectl, stress-main, stress-cycle, trinity), booted on every
# kernel named; arch:<row>, one row of the cross-architecture quick pass; compat,
# the compat header's fail-closed builds (compat.sh).
#
# For each mutant (only the IDs given, e.g. 03, when any): copy the sources
# to out/mutants/NN-name/src, apply the patch there, build for each kernel
# and boot its suites, stopping at the first failure (a "not ok", a guest
# that did not finish, an Oops/WARNING/... console line).  Prints per
# mutant "killed by: <first failing test>" or "SURVIVED", then
# "N of M mutants killed".  A patch that does not apply and a mutant that
# does not build are errors, never kills.
# Exit: 0 every mutant killed, 1 some survived, 2 an error.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

MUTANTS=$ZP_TOP/selftests/mutants
MOUT=$ZP_OUT/mutants
mkdir -p "$MOUT"

patches=()
if [ $# -eq 0 ]; then
	patches=("$MUTANTS"/[0-9]*.patch)
else
	for id in "$@"; do
		p=$(ls "$MUTANTS/$id"-*.patch 2>/dev/null | head -n 1)
		[ -n "$p" ] || die "no mutant $id in $MUTANTS"
		patches+=("$p")
	done
fi
[ -e "${patches[0]}" ] || die "no mutants in $MUTANTS"

"$here/deps.sh" || exit 2
"$here/kernels.sh" >"$MOUT/kernels.list" || die "kernel download failed"
guest_programs || die "guest programs do not build"

# header FIELD PATCH: one field of the patch's first line ("" if absent).
header() {
	head -n 1 "$2" | tr '|' '\n' | sed -n -E "s/^ *$1: *//p" | sed 's/ *$//'
}

# guest_suites SUITES: those of SUITES that kernel_suites boots (not the
# arch rows, not the host's compat builds), one a line.
guest_suites() {
	tr ' ' '\n' <<<"$1" | grep -v -E '^(arch:|compat$)'
}

# mutate PATCH SRC: a copy of the sources with PATCH applied; the patch
# must touch module/ or include/ only, and apply exactly (no fuzz).
mutate() {
	rm -rf "$2" && mkdir -p "$2"
	cp -r "$ZP_TOP"/{Kbuild,module,include} "$2/"
	if grep -E '^\+\+\+ ' "$1" | grep -v -q -E '^\+\+\+ b/(module|include)/'; then
		echo "the patch touches more than module/ and include/"
		return 1
	fi
	patch -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -d "$2" -i "$1" >/dev/null 2>&1 ||
		{ echo "the patch does not apply"; return 1; }
}

# run_mutant PATCH: prints the verdict line; its TAP in MDIR/results.tap.
# Returns 0 killed, 1 survived, 2 error.
run_mutant() {
	local p=$1 id what kernels suites mdir k s release root err first ran=()
	id=$(basename "$p" .patch)
	what=$(header mutant "$p")
	kernels=$(header kernels "$p")
	suites=$(header suites "$p")
	mdir=$MOUT/$id
	[ -n "$what" ] && [ -n "$kernels" ] && [ -n "$suites" ] ||
		{ echo "$id: ERROR: first line is not 'mutant: ... | kernels: ... | suites: ...'"; return 2; }
	err=$(mutate "$p" "$mdir/src") || { echo "$id: ERROR: $err"; return 2; }
	for k in $kernels; do
		[ "$k" = - ] || grep -q "^$k " "$MOUT/kernels.list" || { echo "$id: ERROR: no bed kernel $k"; return 2; }
	done
	results_begin "$mdir/results.tap" ""
	for k in $kernels; do
		[ "$k" != - ] || continue
		read -r _ release root < <(grep "^$k " "$MOUT/kernels.list")
		# shellcheck disable=SC2046
		ZP_SRC=$mdir/src ZP_STOP_ON_FAIL=1 \
			kernel_suites "$k" "$release" "$root" "$mdir/$k" $(guest_suites "$suites")
		ran+=("$k: $(guest_suites "$suites" | tr '\n' ' ')")
		grep -q '^not ok - ' "$results" && break
	done >"$mdir/run.log" 2>&1
	for s in $suites; do
		[[ $s == arch:* ]] && ! grep -q '^not ok - ' "$results" || continue
		ZP_SRC=$mdir/src ZP_OUT=$mdir ZP_ARCH_OUT=$mdir/arch \
			"$ZP_TOP/selftests/arch/run.sh" quick "${s#arch:}" >>"$mdir/run.log" 2>&1
		grep -E '^(not )?ok - ' "$mdir/arch/results.tap" >>"$results"
		ran+=("$s")
	done
	if [[ " $suites " == *" compat "* ]] && ! grep -q '^not ok - ' "$results"; then
		ZP_SRC=$mdir/src ZP_OUT=$mdir "$here/compat.sh" "$MOUT/kernels.list" 2>>"$mdir/run.log" |
			grep -E '^(not )?ok - ' >>"$results"
		ran+=(compat)
	fi
	if grep -q -E '^not ok - (arch )?[^ ]+: module builds' "$results"; then
		echo "$id: ERROR: the mutant does not build ($(ls "$mdir"/*/build.log "$mdir"/arch/*/build.log 2>/dev/null | head -n 1))"
		return 2
	fi
	# The first failure, a console line rather than "did not finish".
	first=$(grep '^not ok - ' "$results" | grep -v -m 1 ' guest ran to the end') ||
		first=$(grep -m 1 '^not ok - ' "$results")
	if [ -n "$first" ]; then
		echo "$id: killed by: ${first#not ok - }"
		return 0
	fi
	if ! grep -q '^ok - ' "$results"; then
		echo "$id: ERROR: no test ran (see $mdir/run.log)"
		return 2
	fi
	echo "$id: SURVIVED ($(grep -c '^ok - ' "$results") passed; ran ${ran[*]})"
	return 1
}

start=$(date +%s) killed=0 total=0 errors=0
: >"$MOUT/verdicts.txt"
for p in "${patches[@]}"; do
	t0=$(date +%s)
	log "mutant $(basename "$p" .patch): $(header mutant "$p")"
	verdict=$(run_mutant "$p")
	rc=$?
	total=$((total + 1))
	case $rc in
	0) killed=$((killed + 1)) ;;
	2) errors=$((errors + 1)) ;;
	esac
	echo "$verdict" | tee -a "$MOUT/verdicts.txt"
	log "mutant $(basename "$p" .patch): $(($(date +%s) - t0)) s"
done
log "mutants: $(($(date +%s) - start)) s; verdicts in $MOUT/verdicts.txt"
[ "$errors" -eq 0 ] || echo "$errors mutants in error (not counted as killed)"
echo "$killed of $total mutants killed"
[ "$errors" -eq 0 ] || exit 2
[ "$killed" -eq "$total" ]
