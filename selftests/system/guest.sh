#!/bin/sh
# guest.sh MNT: the check-system payload, run inside the booted system
# image by zp-system-test.service with the payload disk mounted at MNT.
# MNT/stage names the boot:
#   install  Secure Boot and lockdown are on; apt installs MNT/debs/*.deb;
#            DKMS builds and signs the module; its key (/var/lib/dkms/mok.pub,
#            copied to MNT/mok.pub for the host to enrol) is not enrolled
#            yet, so the module is refused; the modules-load.d snippet is
#            enabled and /etc/zeropage/cgroups.conf gets "never /db.slice"
#            for the next boot.
#   verify   (after the host enrolled MNT/mok.pub with virt-fw-vars
#            --add-mok) the module was loaded at boot, signature verified;
#            zeropagectl status; a read workload maps the zero page;
#            zeropage-cgroups.service applied cgroups.conf at boot: a
#            service started in db.slice gets private pages; zeropagectl
#            run --mode never goes through the real systemd-run --scope;
#            cgroups.conf edited, systemctl restart zeropage-cgroups
#            applies it; the same module signed with a key that is not
#            enrolled, and unsigned, is refused; with lockdown raised to
#            confidentiality at runtime the module unloads, loads and
#            works; the next boot gets lockdown=confidentiality
#            (EFI/BOOT/zp-cmdline.cfg on the ESP, which the image's
#            grub.cfg sources).
#   confidentiality  booted with lockdown=confidentiality: the module was
#            loaded at boot and maps the zero page.  Then the upgrades:
#            apt installs a newer kernel (release MNT/new-kernel, from the
#            apt repository MNT/repo) and DKMS builds the module for it; apt upgrades
#            the packages to MNT/debs-next/*.deb (version MNT/next-version,
#            higher) and DKMS rebuilds for both kernels.  The next boot
#            runs the new kernel, lockdown integrity again.
#   newkernel  the new kernel under Secure Boot: the upgraded module was
#            loaded at boot, signature verified, maps the zero page, and
#            the edited cgroups.conf survived the upgrade; then apt purge
#            leaves no module, DKMS tree, enabled unit or configuration.
#   quick    make check's one boot, on a machine whose DKMS key is enrolled
#            already (MNT/mok.key and MNT/mok.pub, put in the MokList by
#            the host before this boot, as after an earlier DKMS module's
#            enrolment): apt install, DKMS signs with that key, the module
#            loads, maps the zero page; a db.slice policy in cgroups.conf,
#            applied by zeropage-cgroups.service, holds for a service there.
# TAP on the second serial port (ttyS1) and in MNT/report.log; command
# output in MNT/*.log.
mnt=$1
stage=$(cat "$mnt/stage")
rel=$(uname -r)
version=$(cat "$mnt/version")	# the packages'
new=$(cat "$mnt/new-kernel" 2>/dev/null)	# the kernel the upgrade installs
next=$(cat "$mnt/next-version" 2>/dev/null)	# the packages' upgrade
out() { echo "$*" | tee -a "$mnt/report.log" >/dev/ttyS1; }
tap() {	# tap NAME STATUS [DETAIL]
	if [ "$2" = 0 ]; then out "ok - system: $1"; else out "not ok - system: $1${3:+ ($3)}"; fi
}
: >"$mnt/report.log"
out "# stage $stage, kernel $rel, $(date -u +%T)"

# Secure Boot on, lockdown integrity, systemd as PID 1: every boot.
sb=$(mokutil --sb-state 2>&1 | head -n 1)
[ "$sb" = "SecureBoot enabled" ]
tap "$stage: mokutil --sb-state says SecureBoot enabled" $? "$sb"
lockdown=$(cat /sys/kernel/security/lockdown 2>&1)
if [ "$stage" != confidentiality ]; then
	case $lockdown in *"[integrity]"*) r=0 ;; *) r=1 ;; esac
	tap "$stage: lockdown is [integrity]" $r "$lockdown"
fi
pid1=$(readlink /proc/1/exe)
case $pid1 in */systemd) r=0 ;; *) r=1 ;; esac
tap "$stage: systemd is PID 1" $r "$pid1"

# load_refused KO: insmod KO fails with the message docs/install.md promises.
load_refused() {
	msg=$(insmod "$1" 2>&1)
	r=$?
	echo "insmod $1: $msg" >>"$mnt/modules.log"
	[ $r != 0 ] && case $msg in *"Key was rejected by service"*) true ;; *) false ;; esac
}

# strip_sig IN OUT: IN without its appended signature (struct
# module_signature: 12 bytes ending in the big-endian signature length,
# then the 28-byte magic).
strip_sig() {
	size=$(stat -c %s "$1")
	siglen=$(tail -c 32 "$1" | head -c 4 | od -An -tu1 | awk '{ print $1 * 16777216 + $2 * 65536 + $3 * 256 + $4 }')
	head -c $((size - 28 - 12 - siglen)) "$1" >"$2"
}

ko_of() {	# the DKMS-installed module, uncompressed into $1
	f=$(ls /lib/modules/"$rel"/updates/dkms/zeropage.ko* 2>/dev/null | head -n 1)
	case $f in
	*.xz) xz -dc "$f" >"$1" ;;
	*.zst) zstd -dcq "$f" >"$1" ;;
	*.gz) gzip -dc "$f" >"$1" ;;
	?*) cp "$f" "$1" ;;
	*) return 1 ;;
	esac
}

# field KEY LINE: the value of KEY=VALUE in zp_demo's LINE.
field() { echo "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }

# judge_read NAME WANT OUTPUT: zp_demo's line in OUTPUT (64 MiB read) shows
# the region mapped as WANT, by the kernel's own evidence: "zero" (pagemap
# and kpageflags: at least 15 of 16 pages are the zero page; RSS flat) or
# "private" (none is; RSS grew by the region).
judge_read() {
	zpfn=$(field zero_pfns "$3")
	rss=$(field rss_after_read_mib "$3")
	rss=${rss%.*}
	case $2 in
	zero) [ "${zpfn:-0}" -ge 15360 ] && [ "${rss:-1}" = 0 ] ;;
	*) [ "${zpfn:-1}" = 0 ] && [ "${rss:-0}" -ge 63 ] ;;
	esac
	tap "$1 (kpageflags: $zpfn of 16384 pages are the zero page; RSS after reading ${rss:-?} MiB)" $? "$3"
}

# read_workload NAME: 64 MiB of fresh private anonymous memory read
# (MADV_NOHUGEPAGE: the 4 KiB path) maps the zero page, and the module's
# zero_mapped counter moved by nearly every page (the few faults that need
# a new page table are the kernel's).
read_workload() {
	demo=$("$mnt/bin/zp_demo" 64 2>&1)
	echo "$demo" >>"$mnt/zp_demo.log"
	zero=$(field zero_mapped "$demo")
	[ "${zero:-0}" -ge 14000 ]
	tap "$1: the module counted it (zero_mapped $zero of 16384)" $? "$demo"
	judge_read "$1" zero "$demo"
}

# zp-reader: what a test starts elsewhere (a service, zeropagectl run): it
# prints its cgroup, then zp_demo's line for 64 MiB.  Not in /run, which
# systemd mounts noexec.
reader=/usr/local/bin/zp-reader
printf '#!/bin/sh\ncat /proc/self/cgroup\nexec %s 64\n' "$mnt/bin/zp_demo" >"$reader"
chmod 755 "$reader"

# in_service UNIT SLICE: the reader as the transient service UNIT in
# SLICE (systemd-run --wait), its output in MNT/UNIT.log; prints that.
in_service() {
	systemd-run --wait --quiet --unit "$1" --slice "$2" -p StandardOutput=file:"$mnt/$1.log" \
		-p StandardError=inherit "$reader" >>"$mnt/systemd.log" 2>&1
	echo "systemd-run $1 in $2: exit status $?" >>"$mnt/systemd.log"
	cat "$mnt/$1.log" 2>/dev/null
}

# key_enrolled STAGE NAME: mokutil --test-key says DKMS's certificate is
# enrolled.
key_enrolled() {
	mokutil --test-key /var/lib/dkms/mok.pub >"$mnt/mok-test-key.log" 2>&1
	tap "$1: mokutil --test-key: $2" "$(grep -q 'is already enrolled' "$mnt/mok-test-key.log"; echo $?)" \
		"$(cat "$mnt/mok-test-key.log")"
}

# pkg_install STAGE DIR: apt installs DIR's zeropage-dkms and
# zeropage-tools, as a user installs downloaded packages.
pkg_install() {
	t0=$(date +%s)
	(cd "$2" && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		./zeropage-dkms_*.deb ./zeropage-tools_*.deb) >"$mnt/apt-$1.log" 2>&1
	tap "$1: apt install ${2#"$mnt"/}/zeropage-dkms_*.deb ${2#"$mnt"/}/zeropage-tools_*.deb ($(($(date +%s) - t0)) s)" \
		$? "see apt-$1.log"
}

# dkms_installed STAGE KERNEL VERSION: dkms status has VERSION installed
# for KERNEL, and the module file there is that version.
dkms_installed() {
	dkms status zeropage >"$mnt/dkms-status.log" 2>>"$mnt/dkms-status.err"
	got=$(modinfo -k "$2" -F version zeropage 2>&1)
	grep -q "zeropage/$3, $2, .*: installed" "$mnt/dkms-status.log" && [ "$got" = "$3" ]
	tap "$1: DKMS built and installed zeropage $3 for $2" $? "modinfo: $got; $(cat "$mnt/dkms-status.log")"
}

# signature_verified STAGE: the loaded module's signature was verified
# (no E taint, no "module verification failed" in the kernel log).
signature_verified() {
	taint=$(cat /sys/module/zeropage/taint 2>&1)
	dmesg >"$mnt/dmesg.log" 2>&1
	case $taint in *E*) r=1 ;; *) r=0 ;; esac
	[ -d /sys/module/zeropage ] && ! grep -q 'module verification failed' "$mnt/dmesg.log" && [ $r = 0 ]
	tap "$1: signature verified (module taint '$taint', no verification failure)" $? "taint '$taint'"
}

# loaded_at_boot STAGE: systemd-modules-load loaded the module at this
# boot (by syslog identifier: its early messages carry no unit field, -u
# finds none of them), signature verified; zeropagectl status works.
loaded_at_boot() {
	journalctl -b -t systemd-modules-load --no-pager >"$mnt/modules-load.log" 2>&1
	[ -d /sys/module/zeropage ] && grep -q "Inserted module 'zeropage'" "$mnt/modules-load.log"
	tap "$1: systemd-modules-load loaded zeropage at boot" $? "see modules-load.log"
	signature_verified "$1"
	status_works "$1"
}

# status_works STAGE: zeropagectl status, and the hook the module took.
status_works() {
	hook=$(cat /sys/kernel/mm/zeropage/hook 2>&1)
	zeropagectl status >"$mnt/zeropagectl-status.log" 2>&1
	tap "$1: zeropagectl status (hook: $hook)" $? "see zeropagectl-status.log"
}

# cgroups_has STAGE WHAT LINE: the module holds the policy LINE
# ("MODE PATH"), which WHAT set.
cgroups_has() {
	cgs=$(cat /sys/kernel/mm/zeropage/cgroups 2>&1)
	echo "$cgs" | grep -qx "$3"
	tap "$1: $2 ($3)" $? "cgroups: $cgs; unit: $(systemctl is-active zeropage-cgroups)"
}

# db_slice_never STAGE: with "never /db.slice" applied, a service started
# in db.slice runs there and its read maps private pages, which the
# policy's cgroup_stats count.
db_slice_never() {
	out=$(in_service "zp-db-never-$1" db.slice)
	echo "$out" | grep -qx "0::/db.slice/zp-db-never-$1.service"
	tap "$1: a service started with systemd-run --slice db.slice runs in /db.slice" $? "$out"
	judge_read "$1: db.slice, policy never: the service's read maps private pages" private "$out"
	priv=$(awk '$4 == "/db.slice" { print $2 }' /sys/kernel/mm/zeropage/cgroup_stats)
	[ "${priv:-0}" -ge 16000 ]
	tap "$1: cgroup_stats of /db.slice count them (private $priv)" $? "$(cat /sys/kernel/mm/zeropage/cgroup_stats)"
}

case $stage in
install)
	pkg_install install "$mnt/debs"
	dkms_installed install "$rel" "$version"
	signer=$(modinfo -F signer zeropage 2>&1)
	[ -n "$signer" ] && [ -s /var/lib/dkms/mok.key ] && [ -s /var/lib/dkms/mok.pub ]
	tap "install: DKMS signed it with its MOK key (signer: $signer)" $? "signer '$signer'"
	cp /var/lib/dkms/mok.pub "$mnt/mok.pub"
	mokutil --test-key /var/lib/dkms/mok.pub >"$mnt/mok-test-key.log" 2>&1
	tap "install: the DKMS key is not enrolled yet" "$(grep -q 'is not enrolled' "$mnt/mok-test-key.log"; echo $?)" \
		"$(cat "$mnt/mok-test-key.log")"
	msg=$(modprobe zeropage 2>&1)
	r=$?
	echo "modprobe zeropage: $msg" >>"$mnt/modules.log"
	[ $r != 0 ] && case $msg in *"Key was rejected by service"*) true ;; *) false ;; esac
	tap "install: the module signed by a key not enrolled is refused (Key was rejected by service)" $? "modprobe: rc $r, $msg"
	ln -sf /usr/share/zeropage-tools/modules-load.d/zeropage.conf /etc/modules-load.d/zeropage.conf
	tap "install: modules-load.d snippet enabled" "$([ -f /etc/modules-load.d/zeropage.conf ]; echo $?)"
	st=$(systemctl is-enabled zeropage-cgroups 2>&1)
	tap "install: the package enabled zeropage-cgroups.service" "$([ "$st" = enabled ]; echo $?)" "$st"
	echo 'never /db.slice' >>/etc/zeropage/cgroups.conf
	grep -qx 'never /db.slice' /etc/zeropage/cgroups.conf
	tap "install: /etc/zeropage/cgroups.conf gets 'never /db.slice' for the next boot" $?
	;;
verify)
	key_enrolled verify "the DKMS key is enrolled"
	loaded_at_boot verify
	read_workload "verify: reading 64 MiB maps the zero page"

	# systemd: at boot, zeropage-cgroups.service applied cgroups.conf
	# (never /db.slice); a service started in db.slice gets private pages
	# while this one, in system.slice, gets the zero page (just above).
	journalctl -b -u zeropage-cgroups --no-pager >"$mnt/zeropage-cgroups.log" 2>&1
	cgroups_has verify "zeropage-cgroups.service applied cgroups.conf at boot" 'never /db.slice'
	db_slice_never verify
	# zeropagectl run under systemd: the real systemd-run --scope.
	zeropagectl run --mode never -- "$reader" >"$mnt/run-never.log" 2>&1
	r=$?
	out=$(cat "$mnt/run-never.log")
	scope=$(echo "$out" | sed -n 's|^0::\(/.*\.scope\)$|\1|p')
	[ $r = 0 ] && [ -n "$scope" ]
	tap "verify: zeropagectl run --mode never runs the command in a systemd scope (${scope:-none})" $? "exit $r: $out"
	judge_read "verify: zeropagectl run --mode never: the command's read maps private pages" private "$out"
	# An edit, applied with systemctl restart: db.slice always, under a
	# global mode never, so that only the policy can give it zero pages.
	zeropagectl set never >>"$mnt/systemd.log" 2>&1
	sed -i 's|^never /db.slice$|always /db.slice|' /etc/zeropage/cgroups.conf
	systemctl restart zeropage-cgroups >>"$mnt/systemd.log" 2>&1
	cgroups_has verify "cgroups.conf edited: systemctl restart zeropage-cgroups applies it" 'always /db.slice'
	out=$(in_service zp-db-always db.slice)
	judge_read "verify: db.slice, policy always, global mode never: the service's read maps the zero page" zero "$out"
	zeropagectl set always >>"$mnt/systemd.log" 2>&1
	tap "verify: zeropagectl set always" $?

	# The same module with a key that is not enrolled, and unsigned.
	ko_of /tmp/zeropage-dkms.ko
	strip_sig /tmp/zeropage-dkms.ko /tmp/zeropage-unsigned.ko
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 30 -subj "/CN=zeropage test key, not enrolled/" \
		-outform DER -keyout /tmp/other.key -out /tmp/other.der >>"$mnt/modules.log" 2>&1
	cp /tmp/zeropage-unsigned.ko /tmp/zeropage-other.ko
	/lib/modules/"$rel"/build/scripts/sign-file sha256 /tmp/other.key /tmp/other.der /tmp/zeropage-other.ko \
		>>"$mnt/modules.log" 2>&1
	other=$(modinfo -F signer /tmp/zeropage-other.ko 2>&1)
	unsigned=$(modinfo -F signer /tmp/zeropage-unsigned.ko 2>&1)
	rmmod zeropage >>"$mnt/modules.log" 2>&1
	tap "verify: rmmod zeropage" $?
	load_refused /tmp/zeropage-other.ko
	tap "verify: the module signed by a key not enrolled ('$other') is refused: Key was rejected by service" $? "see modules.log"
	[ -z "$unsigned" ] && load_refused /tmp/zeropage-unsigned.ko
	tap "verify: the unsigned module is refused: Key was rejected by service" $? "signer '$unsigned', see modules.log"
	modprobe zeropage >>"$mnt/modules.log" 2>&1 && [ -d /sys/module/zeropage ]
	tap "verify: modprobe zeropage (DKMS-signed) loads again" $? "see modules.log"
	# Lockdown raised to confidentiality (it can only be raised at
	# runtime): the module unloads, loads again and works.  Last: it stays
	# for the rest of this boot.
	echo confidentiality 2>>"$mnt/modules.log" >/sys/kernel/security/lockdown
	lockdown=$(cat /sys/kernel/security/lockdown 2>&1)
	case $lockdown in *"[confidentiality]"*) r=0 ;; *) r=1 ;; esac
	tap "verify: lockdown raised to [confidentiality] at runtime" $r "$lockdown"
	rmmod zeropage >>"$mnt/modules.log" 2>&1 && modprobe zeropage >>"$mnt/modules.log" 2>&1 &&
		[ -d /sys/module/zeropage ]
	tap "verify: under lockdown confidentiality: rmmod and modprobe zeropage" $? "see modules.log"
	read_workload "verify: under lockdown confidentiality: reading 64 MiB maps the zero page"
	# The next boot with lockdown=confidentiality on the kernel command
	# line: grub.cfg sources EFI/BOOT/zp-cmdline.cfg from the ESP.
	mkdir -p /run/zp-esp
	mount -t vfat /dev/disk/by-partlabel/ESP /run/zp-esp &&
		echo 'set zp_cmdline="lockdown=confidentiality"' >/run/zp-esp/EFI/BOOT/zp-cmdline.cfg &&
		umount /run/zp-esp
	tap "verify: the next boot's kernel command line gets lockdown=confidentiality (ESP)" $?
	;;
confidentiality)
	grep -q 'lockdown=confidentiality' /proc/cmdline
	tap "confidentiality: booted with lockdown=confidentiality" $? "$(cat /proc/cmdline)"
	case $lockdown in *"[confidentiality]"*) r=0 ;; *) r=1 ;; esac
	tap "confidentiality: lockdown is [confidentiality] from boot" $r "$lockdown"
	loaded_at_boot confidentiality
	read_workload "confidentiality: reading 64 MiB maps the zero page"

	# A newer kernel, installed with apt: DKMS builds the module for it.
	# From MNT/repo, as from bookworm-backports: the guest has no network.
	echo "deb [trusted=yes] file:$mnt/repo ./" >/run/zp-repo.list
	mkdir -p /run/zp-repo.d
	repo="-o Dir::Etc::SourceList=/run/zp-repo.list -o Dir::Etc::SourceParts=/run/zp-repo.d"
	t0=$(date +%s)
	# shellcheck disable=SC2086
	{ apt-get $repo update && DEBIAN_FRONTEND=noninteractive apt-get $repo install -y \
		--no-install-recommends linux-image-amd64 linux-headers-amd64; } >"$mnt/apt-kernel.log" 2>&1
	tap "confidentiality: apt install linux-image-amd64 linux-headers-amd64 upgrades to $new ($(($(date +%s) - t0)) s)" \
		$? "see apt-kernel.log"
	dkms_installed confidentiality "$new" "$version"
	signer=$(modinfo -k "$new" -F signer zeropage 2>&1)
	tap "confidentiality: and signed it (signer: $signer)" "$([ -n "$signer" ]; echo $?)"
	[ "$(readlink -f /vmlinuz)" = "/boot/vmlinuz-$new" ]
	tap "confidentiality: /vmlinuz now names $new (the next boot's kernel)" $? "$(readlink -f /vmlinuz)"
	# A package upgrade: DKMS rebuilds for every installed kernel.
	pkg_install confidentiality "$mnt/debs-next"
	dkms_installed confidentiality "$rel" "$next"
	dkms_installed confidentiality "$new" "$next"
	old=$(grep -v "zeropage/$next," "$mnt/dkms-status.log")
	tap "confidentiality: no other version left in DKMS" "$([ -z "$old" ]; echo $?)" "$old"
	grep -qx 'always /db.slice' /etc/zeropage/cgroups.conf
	tap "confidentiality: the edited /etc/zeropage/cgroups.conf survived the upgrade" $?
	rmmod zeropage >>"$mnt/modules.log" 2>&1 && modprobe zeropage >>"$mnt/modules.log" 2>&1
	got=$(cat /sys/module/zeropage/version 2>&1)
	tap "confidentiality: the upgraded module loads (version $got)" "$([ "$got" = "$next" ]; echo $?)" "see modules.log"
	# Back to lockdown integrity for the new kernel's boot.
	mkdir -p /run/zp-esp
	mount -t vfat /dev/disk/by-partlabel/ESP /run/zp-esp &&
		rm -f /run/zp-esp/EFI/BOOT/zp-cmdline.cfg && umount /run/zp-esp
	tap "confidentiality: the next boot's kernel command line is the default again (ESP)" $?
	;;
newkernel)
	tap "newkernel: booted $new" "$([ "$rel" = "$new" ]; echo $?)" "uname -r: $rel"
	loaded_at_boot newkernel
	got=$(cat /sys/module/zeropage/version 2>&1)
	tap "newkernel: the loaded module is the upgrade ($got)" "$([ "$got" = "$next" ]; echo $?)"
	read_workload "newkernel: reading 64 MiB maps the zero page"
	cgroups_has newkernel "zeropage-cgroups.service applied the edited cgroups.conf at boot" 'always /db.slice'

	# Removal as docs/install.md says: unload, disable, purge.
	rmmod zeropage >>"$mnt/modules.log" 2>&1
	tap "newkernel: rmmod zeropage" $?
	rm -f /etc/modules-load.d/zeropage.conf
	DEBIAN_FRONTEND=noninteractive apt-get purge -y zeropage-dkms zeropage-tools >"$mnt/apt-purge.log" 2>&1
	tap "newkernel: apt purge zeropage-dkms zeropage-tools" $? "see apt-purge.log"
	left=$(find /lib/modules/ /usr/lib/modules/ -name 'zeropage.ko*' 2>/dev/null)
	tap "purge: no zeropage module left under /lib/modules (either kernel)" "$([ -z "$left" ]; echo $?)" "$left"
	left=$(ls -d /var/lib/dkms/zeropage /usr/src/zeropage-* 2>/dev/null)
	tap "purge: no DKMS tree or source left" "$([ -z "$left" ]; echo $?)" "$left"
	st=$(systemctl is-enabled zeropage-cgroups 2>&1)
	left=$(ls /etc/systemd/system/*.wants/zeropage-cgroups.service 2>/dev/null)
	[ -z "$left" ] && [ "$st" != enabled ]
	tap "purge: zeropage-cgroups.service gone, not enabled (is-enabled: $st)" $? "$left"
	left=$(ls -d /etc/zeropage /etc/modprobe.d/zeropage.conf 2>/dev/null)
	tap "purge: the conffiles are gone, the edited cgroups.conf too (Debian policy for purge)" \
		"$([ -z "$left" ]; echo $?)" "$left"
	msg=$(modprobe zeropage 2>&1)
	r=$?
	case $msg in *"not found"*) [ $r != 0 ] ;; *) false ;; esac
	tap "purge: modprobe zeropage finds no module" $? "rc $r: $msg"
	;;
quick)
	install -D -m 600 "$mnt/mok.key" /var/lib/dkms/mok.key &&
		install -m 644 "$mnt/mok.pub" /var/lib/dkms/mok.pub
	tap "quick: DKMS's signing key is the enrolled one (/var/lib/dkms/mok.key, mok.pub)" $?
	key_enrolled quick "it is enrolled"
	pkg_install quick "$mnt/debs"
	dkms_installed quick "$rel" "$version"
	signer=$(modinfo -F signer zeropage 2>&1)
	tap "quick: DKMS signed it with that key (signer: $signer)" "$([ "$signer" = "$(cat "$mnt/mok-signer")" ]; echo $?)"
	modprobe zeropage >>"$mnt/modules.log" 2>&1
	tap "quick: modprobe zeropage" $? "see modules.log"
	signature_verified quick
	status_works quick
	read_workload "quick: reading 64 MiB maps the zero page"
	echo 'never /db.slice' >>/etc/zeropage/cgroups.conf
	systemctl restart zeropage-cgroups >>"$mnt/systemd.log" 2>&1
	cgroups_has quick "cgroups.conf gets never /db.slice: systemctl restart zeropage-cgroups applies it" 'never /db.slice'
	db_slice_never quick
	;;
*) tap "payload stage '$stage' known" 1 ;;
esac
journalctl -b --no-pager >"$mnt/journal.log" 2>&1
out "# end of stage: $stage"
exit 0
