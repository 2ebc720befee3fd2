#!/bin/sh
# guest.sh MNT: the check-system payload, run inside the booted system
# image by zp-system-test.service with the payload disk mounted at MNT.
# MNT/stage names the boot:
#   install  Secure Boot and lockdown are on; apt installs MNT/debs/*.deb;
#            DKMS builds and signs the module; its key (/var/lib/dkms/mok.pub,
#            copied to MNT/mok.pub for the host to enrol) is not enrolled
#            yet, so the module is refused; the modules-load.d snippet is
#            enabled for the next boot.
#   verify   (after the host enrolled MNT/mok.pub with virt-fw-vars
#            --add-mok) the module was loaded at boot, signature verified;
#            zeropagectl status; a read workload maps the zero page; the
#            same module signed with a key that is not enrolled, and
#            unsigned, is refused; with lockdown raised to confidentiality
#            at runtime the module unloads, loads and works; the next
#            boot gets lockdown=confidentiality (EFI/BOOT/zp-cmdline.cfg
#            on the ESP, which the image's grub.cfg sources).
#   confidentiality  booted with lockdown=confidentiality: the module was
#            loaded at boot and maps the zero page.
# TAP on the second serial port (ttyS1) and in MNT/report.log; command
# output in MNT/*.log.
mnt=$1
stage=$(cat "$mnt/stage")
rel=$(uname -r)
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

# read_workload NAME: 64 MiB of fresh private anonymous memory read
# (MADV_NOHUGEPAGE: the 4 KiB path) maps the zero page: the module's
# zero_mapped counter moves by nearly every page (the few faults that need
# a new page table are the kernel's), RSS does not grow.
read_workload() {
	demo=$("$mnt/bin/zp_demo" 64 2>&1)
	echo "$demo" >>"$mnt/zp_demo.log"
	zero=$(echo "$demo" | sed -n 's/.*zero_mapped=\([0-9]*\).*/\1/p')
	rss=$(echo "$demo" | sed -n 's/.*rss_after_read_mib=\([0-9.]*\).*/\1/p')
	[ "${zero:-0}" -ge 14000 ] && [ "${rss%.*}" = 0 ]
	tap "$1 (zero_mapped $zero of 16384, RSS after reading $rss MiB)" $? "$demo"
}

case $stage in
install)
	t0=$(date +%s)
	(cd "$mnt/debs" && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		./zeropage-dkms_*.deb ./zeropage-tools_*.deb) >"$mnt/apt.log" 2>&1
	tap "install: apt install ./zeropage-dkms_*.deb ./zeropage-tools_*.deb ($(($(date +%s) - t0)) s)" $? "see apt.log"
	st=$(dkms status zeropage 2>&1)
	echo "$st" >"$mnt/dkms-status.log"
	case $st in *"$rel"*installed*) r=0 ;; *) r=1 ;; esac
	tap "install: DKMS built and installed the module for $rel" $r "$st"
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
	;;
verify)
	mokutil --test-key /var/lib/dkms/mok.pub >"$mnt/mok-test-key.log" 2>&1
	tap "verify: mokutil --test-key: the DKMS key is enrolled" "$(grep -q 'is already enrolled' "$mnt/mok-test-key.log"; echo $?)" \
		"$(cat "$mnt/mok-test-key.log")"
	# By syslog identifier: its early messages carry no unit field (-u
	# finds none of them).
	journalctl -b -t systemd-modules-load --no-pager >"$mnt/modules-load.log" 2>&1
	[ -d /sys/module/zeropage ] && grep -q "Inserted module 'zeropage'" "$mnt/modules-load.log"
	tap "verify: systemd-modules-load loaded zeropage at boot" $? "see modules-load.log"
	taint=$(cat /sys/module/zeropage/taint 2>&1)
	dmesg >"$mnt/dmesg.log" 2>&1
	case $taint in *E*) r=1 ;; *) r=0 ;; esac
	[ -d /sys/module/zeropage ] && ! grep -q 'module verification failed' "$mnt/dmesg.log" && [ $r = 0 ]
	tap "verify: signature verified (module taint '$taint', no verification failure)" $? "taint '$taint'"
	hook=$(cat /sys/kernel/mm/zeropage/hook 2>&1)
	zeropagectl status >"$mnt/zeropagectl-status.log" 2>&1
	tap "verify: zeropagectl status (hook: $hook)" $? "see zeropagectl-status.log"
	read_workload "verify: reading 64 MiB maps the zero page"
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
	journalctl -b -t systemd-modules-load --no-pager >"$mnt/modules-load.log" 2>&1
	[ -d /sys/module/zeropage ] && grep -q "Inserted module 'zeropage'" "$mnt/modules-load.log"
	tap "confidentiality: systemd-modules-load loaded zeropage at boot" $? "see modules-load.log"
	hook=$(cat /sys/kernel/mm/zeropage/hook 2>&1)
	zeropagectl status >"$mnt/zeropagectl-status.log" 2>&1
	tap "confidentiality: zeropagectl status (hook: $hook)" $? "see zeropagectl-status.log"
	read_workload "confidentiality: reading 64 MiB maps the zero page"
	;;
*) tap "payload stage '$stage' known" 1 ;;
esac
journalctl -b --no-pager >"$mnt/journal.log" 2>&1
out "# end of stage: $stage"
exit 0
