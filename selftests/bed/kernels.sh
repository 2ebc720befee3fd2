#!/usr/bin/env bash
# Download and unpack the stock Debian kernels the test bed boots.
#
# For each flavour below: resolve the newest ABI through Debian's metapackage,
# `apt-get download` the image, headers, common headers and kbuild packages
# into $ZP_CACHE/debs, and unpack them together with `dpkg-deb -x` into
# $ZP_CACHE/kernels/<release>/ (relative symlinks between the header packages
# then resolve).  Prints one line per kernel: "<name> <release> <root>".
#
# Backports come from a private apt configuration built from the mirror URI
# this machine's apt sources already use: no host name is written anywhere.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# name  suite  metapackage
FLAVOURS=${ZP_FLAVOURS:-"6.1 main linux-image-amd64
6.1-rt main linux-image-rt-amd64
6.1-cloud main linux-image-cloud-amd64
6.12 bpo linux-image-amd64
6.12-rt bpo linux-image-rt-amd64"}

bpo_dir=$ZP_CACHE/apt-bpo
mkdir -p "$ZP_CACHE/debs" "$ZP_CACHE/kernels"


bpo_apt_opts() {
	echo "-o Dir::Etc::SourceList=$bpo_dir/sources.list -o Dir::Etc::SourceParts=/dev/null" \
	     "-o Dir::State::Lists=$bpo_dir/lists -o Dir::Cache=$bpo_dir/cache -o Debug::NoLocking=1"
}

setup_bpo() {
	[ -f "$bpo_dir/stamp" ] && [ -n "$(find "$bpo_dir/stamp" -mmin -720)" ] && return
	mkdir -p "$bpo_dir/lists/partial" "$bpo_dir/cache/archives/partial"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $(mirror_uri) bookworm-backports main" \
		> "$bpo_dir/sources.list"
	# shellcheck disable=SC2046
	apt-get $(bpo_apt_opts) -q update >"$bpo_dir/update.log" 2>&1 ||
		die "apt-get update for bookworm-backports failed (see $bpo_dir/update.log)"
	touch "$bpo_dir/stamp"
}

ensure_main_lists() {
	apt-cache show linux-image-amd64 >/dev/null 2>&1 || apt-get -q update >/dev/null
}

# deps_of OPTS PKG: the linux-headers-*/linux-kbuild-* packages PKG depends on.
deps_of() {
	# shellcheck disable=SC2086
	apt-cache $1 depends "$2" | awk '/Depends: linux-(headers|kbuild)-/ { print $2 }'
}

fetch_one() {
	local name=$1 suite=$2 meta=$3 opts="" image release root debs pkg
	if [ "$suite" = bpo ]; then setup_bpo; opts=$(bpo_apt_opts); else ensure_main_lists; fi
	# shellcheck disable=SC2086
	image=$(apt-cache $opts depends "$meta" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
	[ -n "$image" ] || die "cannot resolve $meta in suite $suite"
	release=${image#linux-image-}
	root=$ZP_CACHE/kernels/$release
	if [ ! -f "$root/.complete" ]; then
		debs="$image linux-headers-$release $(deps_of "$opts" "linux-headers-$release")"
		rm -rf "$root" && mkdir -p "$root"
		for pkg in $debs; do
			if ! ls "$ZP_CACHE/debs/${pkg}_"*.deb >/dev/null 2>&1; then
				log "downloading $pkg"
				# shellcheck disable=SC2086
				(cd "$ZP_CACHE/debs" && apt-get $opts -o APT::Sandbox::User=root -q download "$pkg" >/dev/null) ||
					die "apt-get download $pkg failed"
			fi
			dpkg-deb -x "$(ls "$ZP_CACHE/debs/${pkg}_"*.deb | sort -V | tail -n 1)" "$root"
		done
		# The headers' Makefile includes its common part by absolute path.
		sed -i "s#^include /usr/src/#include $root/usr/src/#" \
			"$root/usr/src/linux-headers-$release/Makefile"
		touch "$root/.complete"
	fi
	# Image packages leave modules.dep to depmod at install time.
	[ -f "$root/lib/modules/$release/modules.dep" ] || depmod -b "$root" "$release"
	echo "$name $release $root"
}

while read -r name suite meta; do
	[ -n "$name" ] || continue
	fetch_one "$name" "$suite" "$meta"
done <<<"$FLAVOURS"
