#!/usr/bin/env bash
# make check: build zeropage for every stock kernel of the bed, boot each in
# QEMU TCG, run the guest suites, judge the consoles, print one summary line.
# ZP_BED_SET=more (make check-kernels): the bed's other kernels (rt, cloud,
# testing's 7.x), their guests only; results in results-more.tap.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/chroot.sh"
# Nothing the run mounted stays mounted under the cache when it ends (a
# chroot's /proc, a build's bind mounts): whoever removes the tree next
# must not reach through a mount into the host.
trap 'chroot_umount_all "$ZP_CACHE" || log "still mounted under $ZP_CACHE"' EXIT

set=${ZP_BED_SET:-check}
tap_file=$ZP_OUT/results.tap list=$ZP_OUT/kernels.list
[ "$set" = check ] || tap_file=$ZP_OUT/results-$set.tap list=$ZP_OUT/kernels-$set.list
results_begin "$tap_file" ""

# kernel_row NAME RELEASE KOUT: this kernel's row of the kernel table in
# docs/kernels.md: its suite, the hook the module attached (from the
# functional guest's console), and its results in this run.
kernel_row() {
	local suite hook ok skip bad
	suite=$("$here/kernels.sh" --table | awk -v n="$1" '$1 == n { print ($2 == "main" ? "bookworm" : $2) }')
	hook=$(sed -n 's/.*zeropage: hooked \([^ ]*\) (\([^)]*\)).*/\1 \2/p' "$3/guest/console.log" 2>/dev/null | head -n 1)
	ok=$(awk -v p="ok - $1: " 'index($0, p) == 1 && !/# SKIP/' "$results" | wc -l)
	skip=$(awk -v p="ok - $1: " 'index($0, p) == 1 && /# SKIP/' "$results" | wc -l)
	bad=$(awk -v p="not ok - $1: " 'index($0, p) == 1' "$results" | wc -l)
	printf '| %s | %s | %s | %s | **%s** | %s passed, %s failed, %s skipped |\n' "$1" "$2" \
		"${suite:--}" "${hook:--}" "$([ "$bad" = 0 ] && [ "$ok" -gt 0 ] && echo pass || echo FAIL)" \
		"$ok" "$bad" "$skip" >>"$ZP_OUT/kernels-$set.rows"
}

"$here/deps.sh" || exit 1
: >"$ZP_OUT/kernels-$set.rows"
# The packaging tests, the arch matrix and the Secure Boot boot: stock
# kernels of make check only, and not in the long stress mode (make
# stress), which is about the stress boots.
whole_check=
[ -n "${ZP_KERNELS:-}" ] || [ "$set" != check ] || [ -n "${ZP_STRESS_LONG:-}" ] || whole_check=1
if [ -n "$whole_check" ]; then
	# The Debian 12 system image of the Secure Boot boot at the end,
	# built meanwhile (debootstrap and dpkg: mostly the mirror and the
	# disk; at once when cached).  run.sh reports how it went.
	. "$ZP_TOP/selftests/system/deps.sh"
	system_deps "$ZP_OUT/system"
	"$ZP_TOP/selftests/system/image.sh" bookworm >/dev/null 2>"$ZP_OUT/system-image.log" &
	image_pid=$!
fi
phase "host tools"
if [ -n "${ZP_KERNELS:-}" ]; then
	# A ready list, e.g. the debug kernel's: read where it is, so that
	# out/kernels.list stays the bed's.
	list=$ZP_KERNELS
else
	"$here/kernels.sh" "$set" >"$list" || { log "kernel download failed"; exit 1; }
fi
while read -r name release _; do log "kernel $name: $release"; done <"$list"
phase "kernel packages"
guest_programs || exit 1
phase "guest programs"

if [ "$set" = check ]; then	# the host's part: once, in make check
	"$here/links.sh" "$ZP_OUT/links.tap" >/dev/null
	grep -E '^(not )?ok - ' "$ZP_OUT/links.tap" | tee -a "$results"
	grep -q '^# end of suite: links$' "$ZP_OUT/links.tap"
	tap "links: the docs' links and make targets were checked to the end" $? "see $ZP_OUT/links.tap"
	phase "docs: links and make targets"
	"$here/style.sh" "$list" >"$ZP_OUT/style.tap"
	grep -E '^(not )?ok - ' "$ZP_OUT/style.tap" | tee -a "$results"
	grep -q '^# end of suite: style$' "$ZP_OUT/style.tap"
	tap "style: checkpatch and sparse ran to their end" $? "see $ZP_OUT/style.tap"
	phase "style (checkpatch, sparse)"
	"$here/compat.sh" "$list" >"$ZP_OUT/compat.tap"
	grep -E '^(not )?ok - ' "$ZP_OUT/compat.tap" | tee -a "$results"
	grep -q '^# end of suite: compat$' "$ZP_OUT/compat.tap"
	tap "compat: the fail-closed probe checks ran to their end" $? "see $ZP_OUT/compat.tap"
	phase "compat header: probes fail closed"
	"$here/layers.sh" "$list" >"$ZP_OUT/layers.tap"
	grep -E '^(not )?ok - ' "$ZP_OUT/layers.tap" | tee -a "$results"
	grep -q '^# end of suite: layers$' "$ZP_OUT/layers.tap"
	tap "layers: the floor checks ran to their end" $? "see $ZP_OUT/layers.tap"
	phase "layers: no call up a floor, no circle"

	# zeropagectl on the host: its own tests (they must exit 0 and reach
	# the fixed plan in lib.sh, not the one they print), then a bounded
	# fuzz of its parser.
	host_tap=$ZP_OUT/zeropagectl-host.tap
	make -s -C "$ZP_TOP/tools" check >"$host_tap" 2>&1
	rc=$?
	sed -n -E 's/^(not ok|ok) [0-9]+ - /\1 - zeropagectl: /p' "$host_tap" | tee -a "$results"
	tap "zeropagectl: host tests exited 0" "$rc" "see $host_tap"
	plan_tap zeropagectl zeropagectl-host "$(grep -c -E '^(not )?ok [0-9]+ - ' "$host_tap")" "see $host_tap"
	make -s -C "$ZP_TOP/tools" fuzz FUZZ_SECONDS="${ZP_FUZZ_SECONDS:-30}" >"$ZP_OUT/fuzz.log" 2>&1
	tap "zeropagectl: argument parser survives ${ZP_FUZZ_SECONDS:-30} s of libFuzzer" $? "see $ZP_OUT/fuzz.log"
	phase "zeropagectl host tests and fuzzing"
fi

# Debian's syscall fuzzer (the trinity suite): a short run on one kernel in
# make check (about 1 minute of guest time), the long one on every kernel in
# make stress.
trinity_kernel=6.1
while read -r name release root; do
	kstart=$(date +%s)
	fuzz=
	[ -z "${ZP_STRESS_LONG:-}" ] && [ "$name" != "$trinity_kernel" ] || fuzz=trinity
	kernel_suites "$name" "$release" "$root" "$ZP_OUT/$name" check stress-main stress-cycle $fuzz
	kernel_row "$name" "$release" "$ZP_OUT/$name"
	log "kernel $name: $(( $(date +%s) - kstart )) s"
done <"$list"
phase "guests"

# The kernel table, from this run (docs/kernels.md, "amd64 kernels").
{
	echo "<!-- generated by selftests/bed/check.sh ($set) on $(date -u +%F); do not edit -->"
	echo "| name | kernel | suite | hook | verdict | tests (W=1 build, 3 boots; 4 with trinity) |"
	echo "|---|---|---|---|---|---|"
	cat "$ZP_OUT/kernels-$set.rows"
} >"$ZP_OUT/kernels-$set.md"
log "kernel table in $ZP_OUT/kernels-$set.md"

if [ -n "$whole_check" ]; then
	"$ZP_TOP/selftests/dkms/run.sh" | tee -a "$results"
	tap "dkms: the packaging tests exited 0" "${PIPESTATUS[0]}" "see $ZP_OUT/dkms/"
	phase "dkms packaging (selftests/dkms/run.sh)"
	# Every Debian architecture, quick pass: loads or refuses as the
	# capability table says, one read fault where it loads.
	"$ZP_TOP/selftests/arch/run.sh" quick >"$ZP_OUT/arch-quick.out"
	grep -E '^(not )?ok - ' "$ZP_OUT/arch-quick.out" | tee -a "$results"
	grep -q -E '^[0-9]+ passed, ' "$ZP_OUT/arch-quick.out"
	tap "arch: the quick pass ran to its summary" $? "see $ZP_OUT/arch-quick.out"
	phase "every Debian architecture (selftests/arch/run.sh quick)"
	# One boot of a Debian 12 system under Secure Boot, the DKMS-built and
	# MOK-signed module (make check-system has the rest).
	wait "$image_pid"
	"$ZP_TOP/selftests/system/run.sh" quick >"$ZP_OUT/system-quick.out"
	grep -E '^(not )?ok - ' "$ZP_OUT/system-quick.out" | tee -a "$results"
	grep -q -E '^[0-9]+ passed, ' "$ZP_OUT/system-quick.out"
	tap "system: the Secure Boot boot ran to its summary" $? "see $ZP_OUT/system-quick.out"
	phase "Secure Boot system boot (selftests/system/run.sh quick)"
fi

summary
