#!/bin/sh
# The DKMS suite, inside one guest (selftests/dkms/run.sh): the module tree
# DKMS installed (lib/modules/<release>/updates/dkms, modules.dep from
# depmod) and /etc/modprobe.d/zeropage.conf are in the initramfs.  Load it
# the way a system does, by name with modprobe, and check that the options
# file took effect.  zp.version=V on the command line: the version expected.
# zeropage-tools' zeropagectl, /etc/zeropage/cgroups.conf and
# zeropage-cgroups.service are there too, where the package put them: run
# the unit's ExecStart as systemd would at boot (there is no systemd here,
# so no slice is started) on a cgroups.conf of the test's, and check that
# the module took its policy.
. /tests/tap.sh

CONF=/etc/zeropage/cgroups.conf
CG=/sys/fs/cgroup

rel=$(uname -r)
want_version=
for word in $(cat /proc/cmdline); do
	case $word in
	zp.version=*) want_version=${word#zp.version=} ;;
	esac
done
tap_diag "kernel $rel"

unit=$(ls /lib/systemd/system/zeropage-cgroups.service /usr/lib/systemd/system/zeropage-cgroups.service \
	2>/dev/null | head -n 1)
tap_check "zeropage-tools: $CONF installed, comments only" \
	sh -c "test -f $CONF && ! grep -qvE '^[[:space:]]*(#|\$)' $CONF"
tap_check "zeropage-tools: zeropage-cgroups.service installed ($unit)" test -n "$unit"
# What systemd would run: ExecStart without its prefixes (such as "-").
exec_start=$(sed -n 's/^ExecStart=[-@:+!]*//p' "$unit" 2>/dev/null)
condition=$(sed -n 's/^ConditionPathExists=//p' "$unit" 2>/dev/null)
tap_check "zeropage-cgroups.service: ConditionPathExists=$condition false without the module" \
	sh -c "[ -n '$condition' ] && [ ! -e '$condition' ]"

# run_unit [VAR=VALUE]...: the unit's ExecStart, with those variables.
run_unit() {
	[ -n "$exec_start" ] && env "$@" $exec_start
}

# The unit at boot: with the config as installed, nothing to do; with one
# line of the test's, its policy.  Leaves no policy, cgroup or mount.
unit_checks() {
	tap_check "zeropage-cgroups.service: ConditionPathExists=$condition holds with the module" \
		test -e "$condition"
	tap_check "zeropage-cgroups.service: ExecStart=$exec_start, $CONF as installed: exit 0" run_unit
	tap_eq "zeropage-cgroups.service, $CONF as installed: no policy" "$(cat $ZP_SYS/cgroups)" ""
	cg_mounted=
	if ! grep -q " $CG cgroup2 " /proc/mounts && mount -t cgroup2 cgroup2 $CG; then
		cg_mounted=1
	fi
	mkdir $CG/zp-boot
	printf '# a comment\n  never /zp-boot\n' >/tmp/zp-boot.conf
	tap_check "zeropage-cgroups.service: ExecStart with ZEROPAGECTL_CONF=/tmp/zp-boot.conf: exit 0" \
		run_unit ZEROPAGECTL_CONF=/tmp/zp-boot.conf
	tap_check "zeropage-cgroups.service: the module lists never /zp-boot" \
		grep -qx "never /zp-boot" $ZP_SYS/cgroups
	echo "inherit /zp-boot" >$ZP_SYS/cgroups
	rmdir $CG/zp-boot
	tap_eq "zeropage-cgroups.service: the policy removed" "$(cat $ZP_SYS/cgroups)" ""
	[ -z "$cg_mounted" ] || umount $CG
	rm -f /tmp/zp-boot.conf
}

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
	unit_checks
fi
tap_check "modprobe -r zeropage" modprobe -r zeropage
tap_check "module gone after modprobe -r" test ! -d /sys/module/zeropage
tap_end dkms
