#!/usr/bin/env bash
# make bench: for each kernel (ZP_BENCH_KERNELS, default "6.1 6.12") boot one
# guest and measure every configuration there in interleaved rounds; write
# bench/results/<kernel>.md and .png and print the tables.
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
for want in ${ZP_BENCH_KERNELS:-6.1 6.12}; do
	read -r name release root < <(grep "^$want " "$ZP_OUT/kernels.list") ||
		die "no kernel $want in the bed"
	out=$ZP_OUT/bench-$name
	"$bed/build-module.sh" "$release" "$root" "$out"
	log "bench on $release (several minutes under TCG)"
	ZP_GUEST_MEM=2560 ZP_GUEST_TIMEOUT=3000 \
		"$bed/guest.sh" "$release" "$root" "$out/zeropage.ko" bench "$out/guest"
	grep -q '^raw ' "$out/guest/report.log" || die "no results: see $out/guest/console.log"
	! grep '^not ok' "$out/guest/report.log" || die "the bench failed: see $out/guest/report.log"
	hook=$(grep -o 'hooked [a-z_]*' "$out/guest/console.log" | head -n 1 | cut -d' ' -f2)
	res=$top/bench/results/$name
	python3 "$top/bench/report.py" "$out/guest/report.log" \
		"$release ($(date -u +%F), hook $hook, QEMU TCG, 2 vCPUs)" "$res"
	gnuplot -e "set terminal pngcairo size 900,480; set output '$res.png';
		set title 'zeropage fault costs, $release (ns per 4 KiB page, median)';
		set style data histograms; set style histogram clustered gap 1;
		set style fill solid 0.8 border -1; set boxwidth 0.9; set key top left;
		set xtics rotate by -30; set logscale y; set ylabel 'ns/page (log)';
		plot for [i=2:5] '$res.dat' using i:xtic(1) title columnheader(i)" 2>/dev/null ||
		gnuplot -e "set terminal png size 900,480; set output '$res.png';
		set style data histograms; set style fill solid; set logscale y;
		plot for [i=2:5] '$res.dat' using i:xtic(1) title columnheader(i)"
	rm -f "$res.dat"
	log "wrote $res.md and $res.png"
done
