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
