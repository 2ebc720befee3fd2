#!/usr/bin/env bash
# run.sh quick|full [NAME...]: the cross-architecture matrix (selftests/arch/flavours).
#
# For every row: provision (provision.sh), cross-build zeropage.ko with W=1
# against the flavour's own headers, and -- where QEMU has a machine for it --
# boot the stock Debian kernel under TCG with a static busybox initramfs and
# check that the module loads or refuses as the row expects:
#   refuse: insmod fails, one pr_err line names the architecture and the
#           reason, and nothing is left (sysfs, module, kprobes, ftrace,
#           kallsyms);
#   load:   the sysfs arch verdict says supported, then quick: one read-fault
#           check (zp_readfault) and a clean unload; full: the functional
#           suite of the amd64 bed (selftests/guest/check.sh).
# Rows without a QEMU machine are judged from their kernel config.
#
# quick (make check): rows marked quick; full (make check-arch): every row.
# Prints TAP ("ok - arch <name>: ..."), writes out/arch-verdicts.md (the
# verdict table) and ends with one line "N passed, N failed".  Consoles,
# build logs and guest reports stay in out/arch/<name>/.
# Environment: ZP_ARCH_TIMEOUT (s per guest), ZP_ARCH_OUT.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$ZP_TOP/selftests/bed/chroot.sh"
# The chroot builds mount its /proc under the cache: unmounted at the end,
# as make check does, so that removing the cache cannot reach the host.
trap 'chroot_umount_all "$ZP_CACHE" || log "still mounted under $ZP_CACHE"' EXIT

mode=${1:-quick}
shift || true
case $mode in quick|full) ;; *) die "usage: run.sh quick|full [NAME...]" ;; esac
mkdir -p "$ZP_ARCH_OUT"
table=$ZP_ARCH_OUT/verdicts.rows
: >"$table"
results_begin "$ZP_ARCH_OUT/results.tap" "arch "

# The rows to run.
if [ $# -gt 0 ]; then
	rows=$(arch_rows "$@")
elif [ "$mode" = quick ]; then
	rows=$(arch_rows | awk -F'|' '$12 == "y"')
else
	rows=$(arch_rows)
fi
[ -n "$rows" ] || die "no such rows: $*"
names=$(cut -d'|' -f1 <<<"$rows" | tr '\n' ' ')

# shellcheck disable=SC2086
"$here/provision.sh" $names >"$ZP_ARCH_OUT/kernels.list" || die "provisioning failed"
log "provisioned ($(( $(date +%s) - results_start )) s)"

# guest_bins DEBARCH CROSS: static test programs for that architecture
# (build log in out/arch/bin-DEBARCH.log).
guest_bins() {
	local debarch=$1 cc=gcc-12 dir=$ZP_ARCH_OUT/bin-$debarch log=$ZP_ARCH_OUT/bin-$1.log
	[ -z "$2" ] || cc=${2}gcc-12
	# Built again when the compiler line changes.
	[ "$(cat "$dir/.cc" 2>/dev/null)" = "$cc" ] || rm -rf "$dir"
	mkdir -p "$dir"
	echo "$cc" >"$dir/.cc"
	{
		[ "$dir/zp_readfault" -nt "$here/zp_readfault.c" ] ||
			$cc -O2 -Wall -Wextra -Werror -static -o "$dir/zp_readfault" "$here/zp_readfault.c" &&
		if [ "$mode" = full ]; then
			guest_programs "$dir" "$cc"
		fi
	} >"$log" 2>&1 || { cat "$log" >&2; return 1; }
	echo "$dir"
}

# boot NAME ROW...: one guest; its console in out/arch/NAME/console.log.
# Also reads the row's karch and cross.
boot() {
	local name=$1 debarch=$2 qemu=$3 machine=$4 append=$5 expect=$6 release=$7 root=$8
	local kout=$ZP_ARCH_OUT/$name stage bins busybox kernel timeout_s qpid
	stage=$kout/initramfs
	rm -rf "$stage"
	mkdir -p "$stage"/{bin,dev,proc,sys,tmp,tests,lib/modules}
	if [ "$debarch" = amd64 ]; then busybox=/bin/busybox; else busybox=$ZP_CACHE/arch/busybox/$debarch/bin/busybox; fi
	cp "$busybox" "$stage/bin/busybox"
	cp "$here/init" "$stage/init"
	cp "$here/arch-guest.sh" "$ZP_TOP"/selftests/guest/*.sh "$ZP_TOP"/bench/bench.sh "$stage/tests/"
	cp "$kout/zeropage.ko" "$stage/lib/modules/zeropage.ko"
	# What check.sh must expect of the __handle_mm_fault hook, decided here
	# from the kernel, not from what the module says in the guest.
	! ftrace_without_regs "$root" "$release" "$karch" || touch "$stage/tests/ftrace-without-regs"
	if [ "$expect" = load ]; then
		bins=$(guest_bins "$debarch" "$cross") || return 1
		cp -r "$bins"/. "$stage/tests/"
	fi
	# Debugging aids: another script in place of arch-guest.sh; more files.
	[ -z "${ZP_ARCH_GUEST:-}" ] || cp "$ZP_ARCH_GUEST" "$stage/tests/arch-guest.sh"
	[ -z "${ZP_ARCH_EXTRA:-}" ] || cp -a "$ZP_ARCH_EXTRA"/. "$stage/"
	(cd "$stage" && find . | cpio -o -H newc --quiet | gzip -1) >"$kout/initramfs.gz"

	kernel=$root/boot/vmlinuz-$release
	[ -e "$kernel" ] || kernel=$root/boot/vmlinux-$release
	machine=${machine//\{lib\}/$root/usr/lib/linux-image-$release}
	timeout_s=${ZP_ARCH_TIMEOUT:-$([ "$mode" = full ] && echo 1800 || echo 240)}
	rm -f "$kout/console.log"
	# shellcheck disable=SC2086
	timeout "$timeout_s" "$qemu" $machine -smp 1 -display none -monitor none -no-reboot \
		-serial "file:$kout/console.log" -kernel "$kernel" -initrd "$kout/initramfs.gz" \
		-append "$append $ZP_GUEST_PARAMS zp.run=$mode zp.expect=$expect" \
		</dev/null >"$kout/qemu.log" 2>&1 &
	qpid=$!
	# raspi machines do not stop on poweroff: stop QEMU at the marker.
	while kill -0 "$qpid" 2>/dev/null; do
		if grep -q 'zp: guest finished' "$kout/console.log" 2>/dev/null; then
			sleep 2
			kill "$qpid" 2>/dev/null
			break
		fi
		sleep 1
	done
	wait "$qpid" 2>/dev/null
	return 0
}

# judge NAME EXPECT WHY: the guest's report, verdict and console.
judge() {
	local name=$1 expect=$2 why=$3 kout=$ZP_ARCH_OUT/$1 verdict hook bad reason
	tr -d '\r' <"$kout/console.log" >"$kout/console.txt" 2>/dev/null
	sed -n '/^zp: tests begin/,/^zp: tests end/p' "$kout/console.txt" |
		grep -v -E '^(\[ *[0-9]+\.[0-9]+\]|zp: tests )' >"$kout/report.log"
	sed -n -E 's/^(not ok|ok) - /\1 - arch '"$name"': /p' "$kout/report.log" | tee -a "$results"
	verdict=$(sed -n 's/^VERDICT: //p' "$kout/report.log" | head -n 1)
	hook=$(sed -n 's/^HOOK: //p' "$kout/report.log" | head -n 1)
	grep -q 'zp: guest finished' "$kout/console.txt" &&
		grep -q -x 'zp: tests end, exit status 0' "$kout/console.txt"
	tap "$name: guest ran to the end" $? "$(grep -o 'zp: tests end.*' "$kout/console.txt" ||
		echo 'no end'), console $kout/console.log"
	for suite in arch $([ "$mode" = full ] && [ "$expect" = load ] && echo check zeropagectl bench-quick); do
		grep -q -x "# end of suite: $suite" "$kout/report.log"
		tap "$name: suite $suite reached its end" $? "report $kout/report.log"
	done
	# The kernel's log from the module's first word on: warnings and worse
	# printed while the tests ran, then the dmesg dump, up to the kernel's
	# power-down (raspi boards cannot power off: the poweroff task then
	# exits, and do_exit() warns, after the machine is down).
	bad=$( (grep -E 'Kernel panic' "$kout/console.txt"
		sed -n '/^zp: guest started/,/^zp: dmesg follows/p' "$kout/console.txt" |
			grep -E '^\[ *[0-9]+\.[0-9]+\]' | grep -E "$BAD_CONSOLE"
		sed -n '/^zp: dmesg follows/,/reboot: Power down/p' "$kout/console.txt" |
			sed -n '/zeropage/,$p' | grep -E "$BAD_CONSOLE") | head -n 5)
	tap "$name: kernel log free of Oops/BUG/WARNING/lockdep" "$([ -z "$bad" ]; echo $?)" \
		"$bad; console $kout/console.log"
	case $expect in
	load) grep -q -E "$why" <<<"$verdict" && [[ $verdict != refused:* ]] ;;
	refuse) [[ $verdict == refused:* ]] && grep -q -E "$why" <<<"$verdict" ;;
	esac
	tap "$name: verdict $expect as expected (${verdict:-none})" $? "want /$why/"
	case $verdict in
	refused:*) reason=${verdict#refused: }; reason=${reason#refusing to load on *: }; verdict=refuse ;;
	*supported*) reason=${verdict#*supported: }; verdict=load ;;
	*) reason="no verdict (see console)"; verdict=none ;;
	esac
	printf '%s|%s|%s|%s\n' "$name" "$verdict" "$reason" "${hook:--}" >>"$table"
}

while IFS='|' read -r name debarch _ meta karch cross qemu machine append expect why _; do
	kstart=$(date +%s)
	read -r _ release root < <(awk -v n="$name" '$1 == n' "$ZP_ARCH_OUT/kernels.list")
	kout=$ZP_ARCH_OUT/$name
	mkdir -p "$kout"
	if [ "$release" = - ]; then
		tap "$name: kernel # SKIP no $meta kernel downloads from the package mirror" 0
		printf '%s|%s|%s|%s\n' "$name" "none" "kernel not downloadable here" "-" >>"$table"
		continue
	fi
	[ "$cross" = - ] && cross=
	if ZP_NO_TESTMOD=1 "$ZP_TOP/selftests/bed/build-module.sh" "$release" "$root" "$kout" ARCH="$karch" \
		${cross:+CROSS_COMPILE=$cross} 2>"$kout/build.err"; then
		tap "$name: module builds with W=1, no warnings ($release)" 0
	else
		tap "$name: module builds with W=1, no warnings ($release)" 1 "see $kout/build.log"
		printf '%s|%s|%s|%s\n' "$name" "none" "does not build" "-" >>"$table"
		continue
	fi
	if [ "$qemu" = - ]; then
		# No machine to boot: the verdict the module would give, from the
		# kernel's config (pte_special is decided at compile time).
		config=$root/usr/src/linux-headers-$release/.config
		if ! grep -q '^CONFIG_ARCH_HAS_PTE_SPECIAL=y' "$config"; then
			verdict=refuse reason="this kernel has no pte_special (from its config; no QEMU machine)"
		else
			verdict=unknown reason="has pte_special; no QEMU machine to ask the CPU"
		fi
		[ "$verdict" = "$expect" ] && grep -q -E "$why" <<<"$reason"
		tap "$name: verdict $expect from the kernel config ($reason)" $? "want /$why/"
		grep -q -a 'this kernel has no pte_special' "$kout/zeropage.ko"
		tap "$name: the module carries the refusal message" $?
		printf '%s|%s|%s|%s\n' "$name" "$verdict" "$reason" "-" >>"$table"
		continue
	fi
	if ! boot "$name" "$debarch" "$qemu" "$machine" "$append" "$expect" "$release" "$root"; then
		tap "$name: guest programs build" 1
		printf '%s|%s|%s|%s\n' "$name" "none" "guest programs do not build" "-" >>"$table"
		continue
	fi
	judge "$name" "$expect" "$why"
	log "arch $name: $(( $(date +%s) - kstart )) s"
done <<<"$rows"

# The verdict table, from this run (docs/kernels.md, "Every Debian
# architecture").
{
	echo "<!-- generated by selftests/arch/run.sh $mode on $(date -u +%F); do not edit -->"
	echo "| arch | flavour | kernel | QEMU | verdict | expected | reason | hook |"
	echo "|---|---|---|---|---|---|---|---|"
	while IFS='|' read -r name verdict reason hook; do
		row=$(arch_rows "$name")
		IFS='|' read -r _ debarch suite meta _ _ qemu machine _ expect _ <<<"$row"
		release=$(awk -v n="$name" '$1 == n { print $2 }' "$ZP_ARCH_OUT/kernels.list")
		[ "$qemu" = - ] && machine="none (build only)"
		machine=$(sed -E 's/-m [0-9]+//; s/-dtb [^ ]*//; s/,cap-[^ ]*//g; s/ +/ /g; s/ $//' <<<"$machine")
		printf '| %s | %s | %s | `%s` | **%s** | %s | %s | %s |\n' "$debarch" \
			"$(sed "s/^bed:/amd64 /; s/^linux-image-//" <<<"$meta")$(
				case $suite in -|main) ;; *) echo " ($suite)" ;; esac)" "$release" "$machine" \
			"$verdict" "$(if [ "$verdict" = "$expect" ]; then echo yes
				elif [ "$release" = - ]; then echo "not run ($expect)"
				else echo "NO ($expect)"; fi)" \
			"$reason" "$hook"
	done <"$table"
} >"$ZP_OUT/arch-verdicts.md"

log "arch $mode: verdict table in $ZP_OUT/arch-verdicts.md"
summary
