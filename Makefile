# zeropage — top-level targets.
#
#   make                build zeropage.ko for the running kernel (or KDIR=...)
#   make check          the test suite: the bed's main stock kernels, in QEMU,
#                       and one Secure Boot boot of a Debian 12 system
#   make check-kernels  the guest suites on the bed's other kernels (6.1-rt, 6.1-cloud,
#                       Debian 13's and 7.3's rt and cloud, 7.2)
#   make demo           boot a stock kernel and compare stock / always / never
#   make shell          an interactive guest with the module loaded
#   make bench          fault benchmarks, module vs stock (ZP_BENCH_KERNELS)
#   make check-debug    the suite on a lockdep/KASAN/kmemleak kernel built here
#   make stress         the guest suites with the long stress mode (1,000 load/unload cycles,
#                       trinity's long run on every kernel)
#   make check-mutants  break the module on purpose (selftests/mutants/), one
#                       way at a time: each must fail the suites (only=03: one)
#   make check-arch     every Debian architecture in QEMU, full suite (quick=1: load/refuse only)
#   make install        install the module into the running kernel's tree
#   make deb            Debian packages zeropage-dkms, zeropage-tools into out/deb/
#   make check-dkms     the DKMS/packaging tests (debootstrap chroots, QEMU)
#   make check-system   a Debian 12 system image under Secure Boot (OVMF, shim,
#                       GRUB, signed kernel, systemd): apt installs the debs,
#                       DKMS signs, MOK enrolled, reboot, the module loads;
#                       db.slice via the unit; kernel and package upgrades; purge
KERNELRELEASE ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KERNELRELEASE)/build
BED := selftests/bed
# Kernel for demo/shell: a name from the bed (selftests/bed/kernels.sh: 6.1,
# 6.1-rt, 6.1-cloud, 6.12, 6.12-rt, 6.12-trixie, 7.3, 7.2, ...).
ZP_KERNEL ?= 6.12

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install
	depmod -a $(KERNELRELEASE)

check:
	$(BED)/check.sh

check-kernels:
	ZP_BED_SET=more $(BED)/check.sh

demo:
	$(BED)/interactive.sh demo $(ZP_KERNEL)

shell:
	$(BED)/interactive.sh shell $(ZP_KERNEL)

bench:
	bench/run.sh

check-debug:
	selftests/debug/check-debug.sh

stress:
	ZP_STRESS_LONG=1 $(BED)/check.sh

check-mutants:
	$(BED)/mutants.sh $(only)

check-arch:
	selftests/arch/run.sh $(if $(quick),quick,full)

deb:
	scripts/build-deb.sh

check-dkms:
	selftests/dkms/run.sh

check-system:
	selftests/system/run.sh

.PHONY: deb check-dkms check-system

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf out

.PHONY: all module install check check-kernels check-debug check-mutants check-arch stress demo shell bench clean
