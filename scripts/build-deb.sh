#!/usr/bin/env bash
# build-deb.sh [OUTDIR [ROOT]]: the Debian packages (make deb).
# Copies the tree's files (git's tracked and new ones, never ignored build
# output or caches) to OUTDIR/zeropage-<version>/ and runs
# dpkg-buildpackage -us -uc there, so the checkout stays clean and
# zeropage-dkms_<version>_all.deb, zeropage-tools_<version>_<arch>.deb and
# the source package land in OUTDIR (default out/deb).  Needs debhelper and
# dh-dkms (apt-get install debhelper dh-dkms).  With ROOT, a Debian chroot
# that holds OUTDIR, dpkg-buildpackage runs in it: the packages then depend
# on that release's libc and dkms, not this machine's.
# ZP_DEB_VERSION=V builds the same tree as version V (the copy's
# include/zeropage.h, dkms.conf and a new debian/changelog entry): a
# package upgrade for the tests, never a release.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/out/deb}
root=${2:-}
version=$(sed -n 's/^#define ZP_VERSION "\(.*\)"$/\1/p' "$top/include/zeropage.h")
[ -n "$version" ] || { echo "build-deb: no ZP_VERSION in include/zeropage.h" >&2; exit 1; }
src=$out/zeropage-$version
rm -rf "$out"
mkdir -p "$src"
out=$(cd "$out" && pwd) src=$out/zeropage-$version
[ -z "$root" ] || root=$(cd "$root" && pwd)
if git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	(cd "$top" && git ls-files -z --cached --others --exclude-standard |
		while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
		xargs -0 cp -a --parents -t "$src")
else
	tar -C "$top" --exclude=./.cache --exclude=./out --exclude-vcs --exclude-vcs-ignores -cf - . |
		tar -C "$src" -xf -
fi
if [ -n "${ZP_DEB_VERSION:-}" ]; then
	sed -i "s/^#define ZP_VERSION \".*\"$/#define ZP_VERSION \"$ZP_DEB_VERSION\"/" "$src/include/zeropage.h"
	sed -i "s/^PACKAGE_VERSION=\".*\"$/PACKAGE_VERSION=\"$ZP_DEB_VERSION\"/" "$src/dkms.conf"
	{
		echo "zeropage ($ZP_DEB_VERSION) unstable; urgency=medium"
		echo
		echo "  * Test build of version $version as $ZP_DEB_VERSION (ZP_DEB_VERSION): not a release."
		echo
		echo "$(grep -m 1 '^ -- ' "$src/debian/changelog" | sed 's/>  .*/>/')  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
	mv "$src" "$out/zeropage-$ZP_DEB_VERSION"
	src=$out/zeropage-$ZP_DEB_VERSION
fi
buildpackage='cd "$1" && dpkg-buildpackage -us -uc'
if [ -n "$root" ]; then
	build=(chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
		LC_ALL=C.UTF-8 sh -c "$buildpackage" sh "${src#"$root"}")
else
	build=(sh -c "$buildpackage" sh "$src")
fi
if ! "${build[@]}" >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" >&2
	echo "build-deb: dpkg-buildpackage failed, see $out/build.log" >&2
	exit 1
fi
ls "$out"/*.deb
