#!/bin/sh
# The DKMS suite, inside one guest (selftests/dkms/run.sh): the module tree
# DKMS installed (lib/modules/<release>/updates/dkms, modules.dep from
# depmod) and /etc/modprobe.d/zeropage.conf are in the initramfs.  Load it
# the way a system does, by name with modprobe, and check that the options
# file took effect.  zp.version=V on the command line: the version expected.
. /tests/tap.sh

rel=$(uname -r)
want_version=
for word in $(cat /proc/cmdline); do
	case $word in
	zp.version=*) want_version=${word#zp.version=} ;;
	esac
done
tap_diag "kernel $rel"

dep=$(grep -E '^[^:]*/zeropage\.ko(\.[a-z]+)?:' /lib/modules/$rel/modules.dep | cut -d: -f1)
tap_check "modules.dep lists zeropage under updates/dkms ($dep)" \
	sh -c "case '$dep' in updates/dkms/zeropage.ko*) true ;; *) false ;; esac"
tap_check "modprobe.d: zeropage.conf sets mode=never" \
	grep -q '^options zeropage mode=never' /etc/modprobe.d/zeropage.conf
tap_check "modprobe zeropage" modprobe zeropage
tap_check "module is live" test -d $ZP_SYS
tap_eq "module version" "$(cat /sys/module/zeropage/version 2>/dev/null)" "$want_version"
ko=/lib/modules/$rel/$dep
if [ -n "$dep" ] && [ -f "$ko" ]; then
	tap_eq "the loaded module is the DKMS-built one (srcversion)" \
		"$(cat /sys/module/zeropage/srcversion 2>/dev/null)" "$(modinfo -F srcversion "$ko")"
fi
tap_eq "parameter mode from modprobe.d" "$(cat /sys/module/zeropage/parameters/mode 2>/dev/null)" never
tap_eq "sysfs: enabled shows never" "$(cat $ZP_SYS/enabled 2>/dev/null)" "always [never]"
if [ -d $ZP_SYS ]; then
	zp_test never
fi
tap_check "modprobe -r zeropage" modprobe -r zeropage
tap_check "module gone after modprobe -r" test ! -d /sys/module/zeropage
tap_end dkms
