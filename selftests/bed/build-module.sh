#!/usr/bin/env bash
# build-module.sh RELEASE ROOT OUTDIR [make args...]
# Build zeropage.ko against one unpacked kernel's headers, W=1, in a copy of
# the sources (so kernels do not share object files).  Fails on any warning.
# Also the test bed's helper module, zp_testmod.ko (selftests/kmod, always
# from this tree), into OUTDIR beside zeropage.ko.
# Environment: ZP_SRC, the tree to take Kbuild, module/ and include/ from
# (default: this one; make check-mutants points it at a mutated copy);
# ZP_NO_TESTMOD=1: zeropage.ko alone (the arch matrix: zp_testmod's
# set_pte_at() needs helpers some architectures do not export).
# With the compiler the kernel was built with (CONFIG_CC_VERSION_TEXT): where
# this host lacks it (gcc-14 for Debian 13's and 7.x kernels on Debian 12),
# the build runs in a Debian chroot that has it (chroot.sh: Debian 13, the
# one the DKMS tests use too, or testing), with the headers and OUTDIR
# bind-mounted at their own paths.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
release=$1 root=$2
mkdir -p "$3" && outdir=$(cd "$3" && pwd)
shift 3
src=$outdir/src
hdr=$root/usr/src/linux-headers-$release
rm -rf "$src" && mkdir -p "$src"
cp -r "${ZP_SRC:-$ZP_TOP}"/{Kbuild,module,include} "$src/"
cp -r "$ZP_TOP/selftests/kmod" "$src/testmod"
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$hdr/.config")
# Debian 12 builds its foreign kernels natively ("gcc-12"): here that is
# the cross compiler CROSS_COMPILE names.
for arg in "$@"; do
	case $cc:$arg in
	*-linux-gnu*:* | :*) ;;
	*:CROSS_COMPILE=*) cc=${arg#CROSS_COMPILE=}$cc ;;
	esac
done
# kbuild DIR ARGS...: the W=1 module build of the sources in DIR.
if [ -z "$cc" ] || command -v "$cc" >/dev/null; then
	kbuild() { make -C "$hdr" M="$1" W=1 -j2 "${@:2}" modules; }
else
	. "$(dirname "$0")/chroot.sh"
	suite=$(chroot_for_compiler "$cc") ||
		die "$release was built with $cc: neither this host nor any of $ZP_CHROOT_SUITES has it"
	chroot_prepare "$suite" "$ZP_OUT/chroot" "$(compiler_package "$cc")" $ZP_CHROOT_BUILD_PACKAGES ||
		die "the $suite chroot for $cc is not ready (logs in $ZP_OUT/chroot)"
	kbuild() {
		chroot_with_dirs "$ZP_CHROOTS/$suite" "$root" "$outdir" -- \
			make -C "$hdr" M="$1" W=1 -j2 "${@:2}" modules
	}
fi
{ kbuild "$src" "$@" && { [ -n "${ZP_NO_TESTMOD:-}" ] || kbuild "$src/testmod" "$@"; }; } >"$outdir/build.log" 2>&1 || { cat "$outdir/build.log" >&2; exit 1; }
if grep -E 'warning:|error:' "$outdir/build.log" >&2; then
	exit 1
fi
cp "$src/zeropage.ko" "$outdir/"
rm -f "$outdir/zp_testmod.ko"
[ -n "${ZP_NO_TESTMOD:-}" ] || cp "$src/testmod/zp_testmod.ko" "$outdir/"
