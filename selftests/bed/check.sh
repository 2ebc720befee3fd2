#!/usr/bin/env bash
# make check: build zeropage for every stock kernel of the bed, boot each in
# QEMU TCG, run the guest suites, judge the consoles, print one summary line.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

results_begin "$ZP_OUT/results.tap" ""

"$here/deps.sh" || exit 1
phase "host tools"
if [ -n "${ZP_KERNELS:-}" ]; then	# a ready list, e.g. the debug kernel's
	cp "$ZP_KERNELS" "$ZP_OUT/kernels.list"
else
	"$here/kernels.sh" >"$ZP_OUT/kernels.list" || { log "kernel download failed"; exit 1; }
fi
while read -r name release _; do log "kernel $name: $release"; done <"$ZP_OUT/kernels.list"
phase "kernel packages"
guest_programs || exit 1
phase "guest programs"

"$here/style.sh" "$ZP_OUT/kernels.list" | tee -a "$results"
phase "style (checkpatch, sparse)"

# zeropagectl on the host: its own tests (they must reach their plan), then
# a bounded fuzz of its parser.
host_tap=$ZP_OUT/zeropagectl-host.tap
make -s -C "$ZP_TOP/tools" check >"$host_tap" 2>&1
rc=$?
sed -n -E 's/^(not ok|ok) [0-9]+ - /\1 - zeropagectl: /p' "$host_tap" | tee -a "$results"
plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$host_tap")
count=$(grep -c -E '^(not )?ok [0-9]+ - ' "$host_tap")
[ "$rc" = 0 ] && [ "$plan" = "$count" ]
tap "zeropagectl: host tests ran to their plan" $? "exit $rc, plan ${plan:-none}, $count results; see $host_tap"
make -s -C "$ZP_TOP/tools" fuzz FUZZ_SECONDS="${ZP_FUZZ_SECONDS:-30}" >"$ZP_OUT/fuzz.log" 2>&1
tap "zeropagectl: argument parser survives ${ZP_FUZZ_SECONDS:-30} s of libFuzzer" $? "see $ZP_OUT/fuzz.log"
phase "zeropagectl host tests and fuzzing"

while read -r name release root; do
	kstart=$(date +%s)
	kernel_suites "$name" "$release" "$root" "$ZP_OUT/$name" check stress-main stress-cycle
	log "kernel $name: $(( $(date +%s) - kstart )) s"
done <"$ZP_OUT/kernels.list"
phase "guests"

# Packaging and the arch matrix: stock kernels only, and not in the long
# stress mode (make stress), which is about the stress boots.
if [ -z "${ZP_KERNELS:-}" ] && [ -z "${ZP_STRESS_LONG:-}" ]; then
	"$ZP_TOP/selftests/dkms/run.sh" | tee -a "$results"
	phase "dkms packaging (selftests/dkms/run.sh)"
	# Every Debian architecture, quick pass: loads or refuses as the
	# capability table says, one read fault where it loads.
	"$ZP_TOP/selftests/arch/run.sh" quick >"$ZP_OUT/arch-quick.out"
	grep -E '^(not )?ok - ' "$ZP_OUT/arch-quick.out" | tee -a "$results"
	grep -q -E '^[0-9]+ passed, ' "$ZP_OUT/arch-quick.out"
	tap "arch: the quick pass ran to its summary" $? "see $ZP_OUT/arch-quick.out"
	phase "every Debian architecture (selftests/arch/run.sh quick)"
fi

summary
