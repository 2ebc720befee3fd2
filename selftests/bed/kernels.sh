#!/usr/bin/env bash
# kernels.sh [check|more|all|NAME...]: download and unpack the stock Debian
# kernels the test bed boots.  Without arguments: those of `make check`;
# "more": the rest (`make check-kernels`); "all"; or the kernels named.
# kernels.sh --table: the table below, nothing downloaded.
#
# For each one: resolve the newest ABI through Debian's metapackage in its
# suite, `apt-get download` the image and the packages it is made of (7.x:
# linux-binary-*, linux-modules-*, linux-base-*), the headers, common headers
# and kbuild, into $ZP_CACHE/debs, and unpack them together with `dpkg-deb
# -x` into $ZP_CACHE/kernels/<release>/ (relative symlinks between the header
# packages then resolve).  Every kernel is then laid out the same way:
# boot/vmlinuz-<release>, lib/modules/<release>/ (7.x ships both under
# /usr/lib/modules/<release>/).  Prints one line per kernel:
# "<name> <release> <root>".
#
# "main" is Debian 12 (lib.sh main_suite).  Suites other than the host's own
# come from a private apt configuration built from the mirror URI this
# machine's apt sources already use (lib.sh suite_apt_setup): no host name
# is written anywhere.
# ZP_FLAVOURS, lines of "name suite metapackage", replaces the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# name            suite               metapackage              set
TABLE="6.1               main                linux-image-amd64        check
6.12              bookworm-backports  linux-image-amd64        check
6.12-rt           bookworm-backports  linux-image-rt-amd64     check
6.12-trixie       trixie              linux-image-amd64        check
7.3               trixie-backports    linux-image-amd64        check
6.1-rt            main                linux-image-rt-amd64     more
6.1-cloud         main                linux-image-cloud-amd64  more
6.12-trixie-rt    trixie              linux-image-rt-amd64     more
6.12-trixie-cloud trixie              linux-image-cloud-amd64  more
7.3-rt            trixie-backports    linux-image-rt-amd64     more
7.3-cloud         trixie-backports    linux-image-cloud-amd64  more
7.2               forky               linux-image-amd64        more
7.2-rt            forky               linux-image-rt-amd64     more
7.2-cloud         forky               linux-image-cloud-amd64  more"

# names: the whole table's first column, for messages.
names() { awk '{ printf "%s%s", sep, $1; sep = " " }' <<<"$TABLE"; }

if [ "${1:-}" = --table ]; then	# the table itself, for check.sh's report
	echo "$TABLE"
	exit 0
elif [ -n "${ZP_FLAVOURS:-}" ]; then
	FLAVOURS=$ZP_FLAVOURS
else
	[ $# -gt 0 ] || set -- check
	FLAVOURS=""
	for want in "$@"; do
		case $want in
		check | more) sel=$(awk -v s="$want" '$4 == s { print $1, $2, $3 }' <<<"$TABLE") ;;
		all) sel=$(awk '{ print $1, $2, $3 }' <<<"$TABLE") ;;
		*) sel=$(awk -v n="$want" '$1 == n { print $1, $2, $3 }' <<<"$TABLE") ;;
		esac
		[ -n "$sel" ] || die "unknown kernel '$want' (check, more, all, $(names))"
		FLAVOURS+="$sel"$'\n'
	done
fi
mkdir -p "$ZP_CACHE/debs" "$ZP_CACHE/kernels"

# parts_of OPTS PKG: the versioned linux-* packages PKG is made of or builds
# with: headers, kbuild, and 7.x's binary, modules and base packages.
parts_of() {
	# shellcheck disable=SC2086
	apt-cache $1 depends "$2" |
		awk '/Depends: linux-(headers|kbuild|binary|modules|base)-[0-9]/ { print $2 }'
}

# layout ROOT RELEASE: boot/vmlinuz-RELEASE and lib/modules/RELEASE, where
# the packages put them under /usr/lib/modules/RELEASE (7.x).
layout() {
	local root=$1 rel=$2 umod=$1/usr/lib/modules/$2
	if [ ! -e "$root/lib/modules/$rel" ] && [ -d "$umod" ]; then
		mkdir -p "$root/lib/modules"
		ln -s "../../usr/lib/modules/$rel" "$root/lib/modules/$rel"
	fi
	if [ ! -e "$root/boot/vmlinuz-$rel" ] && [ -f "$umod/vmlinuz" ]; then
		mkdir -p "$root/boot"
		ln -s "../usr/lib/modules/$rel/vmlinuz" "$root/boot/vmlinuz-$rel"
	fi
	[ -f "$root/boot/vmlinuz-$rel" ] || die "no kernel image for $rel in its packages"
}

fetch_one() {
	local name=$1 suite=$2 meta=$3 opts image release root debs pkg
	opts=$(apt_opts_for "$suite")
	# shellcheck disable=SC2086
	image=$(apt-cache $opts depends "$meta" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$image" ] || die "cannot resolve $meta in suite $suite"
	release=${image#linux-image-}
	root=$ZP_CACHE/kernels/$release
	if [ ! -f "$root/.complete" ]; then
		# shellcheck disable=SC2046	# one package a word
		debs=$(printf '%s\n' "$image" $(parts_of "$opts" "$image") "linux-headers-$release" \
			$(parts_of "$opts" "linux-headers-$release") | awk '!seen[$0]++')
		rm -rf "$root" && mkdir -p "$root"
		for pkg in $debs; do
			if [ -z "$(cached_deb "$pkg")" ]; then
				log "downloading $pkg"
				# shellcheck disable=SC2086
				(cd "$ZP_CACHE/debs" && apt-get $opts -o APT::Sandbox::User=root -q download "$pkg" >/dev/null) ||
					die "apt-get download $pkg failed"
			fi
			dpkg-deb -x "$(cached_deb "$pkg")" "$root"
		done
		layout "$root" "$release"
		touch "$root/.complete"
	fi
	# The headers' Makefile names its common part (and, 7.x, itself as
	# KBUILD_OUTPUT) by absolute path.
	sed -i -E "s#^(include |KBUILD_OUTPUT=)/usr/src/#\1$root/usr/src/#" \
		"$root/usr/src/linux-headers-$release/Makefile"
	# Image packages leave modules.dep to depmod at install time.
	[ -f "$root/lib/modules/$release/modules.dep" ] || depmod -b "$root" "$release"
	echo "$name $release $root"
}

while read -r name suite meta; do
	[ -n "$name" ] || continue
	fetch_one "$name" "$suite" "$meta"
done <<<"$FLAVOURS"
