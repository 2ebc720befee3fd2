# Helpers of the cross-architecture harness (sourced, not run).
# shellcheck source=../bed/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../bed/lib.sh"
ZP_ARCH_DIR=$ZP_TOP/selftests/arch
ZP_ARCH_OUT=${ZP_ARCH_OUT:-$ZP_OUT/arch}

# arch_rows [NAME...]: the rows of the flavour table, fields trimmed,
# '|'-separated, suite "main" as lib.sh main_suite reads it; only the named
# rows when names are given.
arch_rows() {
	local want=" $* " main
	main=$(main_suite)
	sed -e 's/#.*//' -e 's/[[:space:]]*|[[:space:]]*/|/g' -e 's/^[[:space:]]*//' \
		-e 's/[[:space:]]*$//' -e "s/^\([^|]*|[^|]*\)|main|/\1|$main|/" \
		"$ZP_ARCH_DIR/flavours" | grep -v '^$' |
	while IFS= read -r row; do
		if [ $# -eq 0 ] || [[ $want == *" ${row%%|*} "* ]]; then echo "$row"; fi
	done
}

# bed_suite NAME: "suite metapackage" of an amd64 kernel of the test bed.
bed_suite() {
	case $1 in
	6.1) echo "main linux-image-amd64" ;;
	6.1-rt) echo "main linux-image-rt-amd64" ;;
	6.1-cloud) echo "main linux-image-cloud-amd64" ;;
	6.12) echo "bookworm-backports linux-image-amd64" ;;
	6.12-rt) echo "bookworm-backports linux-image-rt-amd64" ;;
	*) die "unknown bed kernel $1" ;;
	esac
}

# ftrace_without_regs ROOT RELEASE KARCH: does this kernel's ftrace hand
# callbacks their arguments but no registers, so that the module cannot
# rewrite __handle_mm_fault's flags there and must pass over that hook?
# Mirrors include/zeropage_compat.h's ZP_FTRACE_ARGS outside x86 (x86's
# ftrace_regs is a pt_regs): CONFIG_DYNAMIC_FTRACE_WITH_ARGS and the
# accessor that Kbuild's FTRACE_REGS_ARGUMENT probes look for.
ftrace_without_regs() {
	local headers=$1/usr/src/linux-headers-$2 srctree
	[ "$3" != x86 ] && grep -q '^CONFIG_DYNAMIC_FTRACE_WITH_ARGS=y' "$headers/.config" || return 1
	srctree=$(sed -n 's|^include \(.*\)/Makefile$|\1|p' "$headers/Makefile")
	[ -n "$srctree" ] || srctree=$headers
	grep -s -q -E 'define ftrace_regs_get_argument' "$srctree/include/linux/ftrace_regs.h" ||
		grep -s -q -E 'ftrace_regs_get_argument' "$srctree/arch/$3/include/asm/ftrace.h"
}
