#!/usr/bin/env bash
# Build the debug kernel of make check-debug from Debian's linux-source-6.1
# (cached in .cache/debug-kernel; the build takes long on 2 cores) and lay
# it out like an unpacked Debian kernel: boot/vmlinuz-R, lib/modules/R,
# usr/src/linux-headers-R.  Prints "debug RELEASE ROOT".
set -euo pipefail
. "$(dirname "$0")/../bed/lib.sh"
dir=$ZP_CACHE/debug-kernel
src=$dir/linux-source-6.1
root=$dir/root
mkdir -p "$dir" "$ZP_CACHE/debs"
for pkg in flex bison libelf-dev libssl-dev; do
	dpkg-query -W -f='${Status}\n' $pkg 2>/dev/null | grep -q 'ok installed' || need="${need:-} $pkg"
done
[ -z "${need:-}" ] || DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 \
	install -y --no-install-recommends $need >/dev/null
if [ ! -f "$src/Makefile" ]; then
	deb=$(linux_source_deb) || die "cannot download linux-source-6.1"
	log "unpacking linux-source-6.1"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-6.1.tar.xz' | tar -xJ -C "$dir"
fi
cfg=$(dirname "$0")/debug.config
if ! cmp -s "$cfg" "$dir/debug.config.used"; then
	make -C "$src" -s x86_64_defconfig
	"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$cfg" >/dev/null
	make -C "$src" -s olddefconfig
	cp "$cfg" "$dir/debug.config.used"
fi
log "building the debug kernel (long on 2 cores; cached afterwards)"
nice make -C "$src" -s -j"$(nproc)" bzImage modules >"$dir/build.log" 2>&1 ||
	{ tail -n 30 "$dir/build.log" >&2; die "debug kernel build failed"; }
release=$(make -C "$src" -s kernelrelease)
rm -rf "$root" && mkdir -p "$root/boot" "$root/usr/src"
cp "$src/arch/x86/boot/bzImage" "$root/boot/vmlinuz-$release"
make -C "$src" -s INSTALL_MOD_PATH="$root" modules_install >/dev/null
ln -s "$src" "$root/usr/src/linux-headers-$release"
echo "debug $release $root"
