#!/usr/bin/env bash
# make bench: for each kernel (ZP_BENCH_KERNELS, default "6.1 6.12 7.3") and
# each clock (ZP_BENCH_CLOCKS, default "wall icount") boot one guest and
# measure every configuration there in interleaved rounds; write
# bench/results/<kernel>[-icount].md and .png and print the tables.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/selftests/bed/lib.sh"
bed=$top/selftests/bed
"$bed/deps.sh"
command -v gnuplot >/dev/null ||
	apt_install_missing "$ZP_OUT/apt-install.log" gnuplot-nox || die "cannot install gnuplot-nox"
mkdir -p "$ZP_OUT"
"$bed/kernels.sh" >"$ZP_OUT/kernels.list"
make -s -C "$top/selftests" OUT="$ZP_OUT/guest-bin"
make -s -C "$top/bench" OUT="$ZP_OUT/guest-bin"
mkdir -p "$top/bench/results"
# session NAME RELEASE ROOT wall|icount: one guest session, its results
# in bench/results/NAME[-icount].md and .png.  The icount session counts
# guest instructions on one vCPU: 3 rounds of 64 MiB suffice, since host
# load cannot move that clock.
session() {
	local name=$1 release=$2 root=$3 clock=$4 out=$ZP_OUT/bench-$1 res what cpus hook
	local -a env=(ZP_GUEST_MEM=2560 ZP_GUEST_TIMEOUT=3000)
	res=$top/bench/results/$name what="ns per 4 KiB page, median" cpus="2 vCPUs"
	if [ "$clock" = icount ]; then
		res=$res-icount what="guest instructions per 4 KiB page, median" cpus="1 vCPU, -icount"
		env+=(ZP_GUEST_ICOUNT=1 "ZP_GUEST_APPEND=zp.bench.rounds=3 zp.bench.mib=64")
	fi
	log "bench on $release, $clock clock (several minutes under TCG)"
	env "${env[@]}" "$bed/guest.sh" "$release" "$root" "$out/zeropage.ko" bench "$out/guest-$clock"
	grep -q '^raw ' "$out/guest-$clock/report.log" || die "no results: see $out/guest-$clock/console.log"
	! grep '^not ok' "$out/guest-$clock/report.log" || die "the bench failed: see $out/guest-$clock/report.log"
	hook=$(grep -o 'hooked [a-z_]*' "$out/guest-$clock/console.log" | head -n 1 | cut -d' ' -f2)
	python3 "$top/bench/report.py" "$out/guest-$clock/report.log" \
		"$release ($(date -u +%F), hook $hook, QEMU TCG, $cpus)" "$res" "$clock"
	gnuplot -e "set terminal pngcairo size 900,480; set output '$res.png';
		set title 'zeropage fault costs, $release ($what)';
		set style data histograms; set style histogram clustered gap 1;
		set style fill solid 0.8 border -1; set boxwidth 0.9; set key top left;
		set xtics rotate by -30; set logscale y; set ylabel 'per page (log)';
		plot for [i=2:5] '$res.dat' using i:xtic(1) title columnheader(i)" 2>/dev/null ||
		gnuplot -e "set terminal png size 900,480; set output '$res.png';
		set style data histograms; set style fill solid; set logscale y;
		plot for [i=2:5] '$res.dat' using i:xtic(1) title columnheader(i)"
	rm -f "$res.dat"
	log "wrote $res.md and $res.png"
}

for want in ${ZP_BENCH_KERNELS:-6.1 6.12 7.3}; do
	read -r name release root < <(grep "^$want " "$ZP_OUT/kernels.list") ||
		die "no kernel $want in the bed"
	"$bed/build-module.sh" "$release" "$root" "$ZP_OUT/bench-$name"
	for clock in ${ZP_BENCH_CLOCKS:-wall icount}; do
		session "$name" "$release" "$root" "$clock"
	done
done
