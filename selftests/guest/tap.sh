# TAP helpers for the guest-side test scripts (sourced by busybox sh).
# Every result is one line: "ok - NAME", "not ok - NAME", or
# "ok - NAME # SKIP why"; the host counts them and prefixes the kernel name.
ZP_SYS=/sys/kernel/mm/zeropage

tap_ok() { echo "ok - $*"; }
tap_fail() { echo "not ok - $*"; }
tap_skip() { name=$1; shift; echo "ok - $name # SKIP $*"; }
tap_diag() { echo "# $*"; }

# tap_check NAME COMMAND...: pass when COMMAND exits 0.
tap_check() {
	name=$1; shift
	if "$@"; then tap_ok "$name"; else tap_fail "$name"; fi
}

# tap_eq NAME GOT WANT
tap_eq() {
	if [ "$2" = "$3" ]; then tap_ok "$1"; else tap_fail "$1 (got '$2', want '$3')"; fi
}

zp_load() { insmod /lib/modules/zeropage.ko "$@"; }
zp_unload() { rmmod zeropage; }
zp_stat() { cat "$ZP_SYS/stats/$1"; }
