#!/usr/bin/env bash
# provision.sh [NAME...]: everything the cross-architecture matrix needs.
#
# 1. Host packages (apt-get install, amd64 only): the gcc-12 cross compilers
#    the host's release has, libc6-dev-<arch>-cross where the selftests run,
#    the QEMU system emulators.
# 2. Foreign-architecture kernels: a private apt state per suite (lists and
#    cache under $ZP_CACHE/arch/apt, and .../apt/SUITE) that reuses this
#    machine's own apt sources ("main", on a Debian 12 host), or the test
#    bed's sources of another suite (lib.sh suite_apt_setup), with every
#    kernel architecture enabled -- dpkg's architecture list is not touched
#    and nothing is installed.  Each flavour's ABI is resolved through its
#    metapackage; image, headers, common headers, the amd64 linux-kbuild and
#    busybox-static of the guest architecture are downloaded and unpacked with
#    dpkg-deb -x.  (apt-get install of foreign headers would remove the
#    host's gcc: their dependency on gcc-12 is not Multi-Arch foreign.)
# 3. amd64 rows come from the test bed's kernels.sh.
#
# Prints one line per row: "NAME RELEASE ROOT" (ROOT holds usr/src/... and
# boot/); "NAME - -" where no kernel of the flavour downloads (a mirror that
# does not carry that architecture of that suite).  Without NAMEs, every row of the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

A=$ZP_CACHE/arch
mkdir -p "$A/debs" "$A/kernels" "$A/apt/lists/partial" "$A/apt/cache/archives/partial"

# ---- 1. host packages ----
host_packages() {
	local pkgs="cpio xz-utils busybox-static" name debarch cross qemu expect
	while IFS='|' read -r name debarch _ _ _ cross qemu _ _ expect _ _; do
		# A cross compiler this host's release lacks (Debian 13 has no
		# gcc-12 for mips): build-module.sh builds in a chroot that has it.
		if [ "$cross" != - ] && apt_has_candidate "gcc-12-${cross%-}"; then
			pkgs+=" gcc-12-${cross%-}"
		fi
		if [ "$expect" = load ] && [ "$debarch" != amd64 ]; then
			pkgs+=" libc6-dev-$debarch-cross"
		fi
		case $qemu in
		qemu-system-x86_64|qemu-system-i386) pkgs+=" qemu-system-x86" ;;
		qemu-system-arm|qemu-system-aarch64) pkgs+=" qemu-system-arm" ;;
		qemu-system-mips*) pkgs+=" qemu-system-mips" ;;
		qemu-system-ppc64) pkgs+=" qemu-system-ppc" ;;
		qemu-system-s390x | qemu-system-riscv64) pkgs+=" qemu-system-misc" ;;
		esac
	done < <(arch_rows "$@")
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs | sort -u
}

# shellcheck disable=SC2046
apt_install_missing "$A/install.log" $(host_packages "$@") ||
	die "apt-get install failed (see $A/install.log)"

# ---- 2. foreign kernels through a private apt state per suite ----
# An apt state is "main" (this machine's own sources), a SUITE (the test
# bed's sources of it, lib.sh suite_apt_setup) or SUITE-own (the same without
# its security updates).
# apt_dir STATE: where that state's sources, lists and cache are.
apt_dir() {
	if [ "$1" = main ]; then echo "$A/apt"; else echo "$A/apt/$1"; fi
}

# aptx_opts STATE: apt options for STATE with every architecture enabled.
aptx_opts() {
	local d a
	d=$(apt_dir "$1")
	[ "$1" = main ] || printf '%s ' -o "Dir::Etc::SourceList=$d/sources.list" \
		-o Dir::Etc::SourceParts=/dev/null
	printf '%s ' -o "Dir::State::Lists=$d/lists" -o "Dir::Cache=$d/cache" \
		-o "Dir::Cache::pkgcache=$d/cache/pkgcache.bin" \
		-o "Dir::Cache::srcpkgcache=$d/cache/srcpkgcache.bin" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
	for a in amd64 $(arch_rows | cut -d'|' -f2 | sort -u); do
		printf -- '-o APT::Architectures::=%s ' "$a"
	done
}

update_lists() {
	local state=$1 suite=${1%-own} d
	d=$(apt_dir "$state")
	mkdir -p "$d/lists/partial" "$d/cache/archives/partial"
	if [ "$state" != main ]; then
		suite_apt_setup "$suite"
		grep -v -E "$([ "$state" = "$suite" ] && echo '^$' || echo ' [^ ]*-security ')" \
			"$ZP_CACHE/apt/$suite/sources.list" >"$d/sources.list.new"
		cmp -s "$d/sources.list.new" "$d/sources.list" || rm -f "$d/stamp"
		mv "$d/sources.list.new" "$d/sources.list"
	fi
	[ -f "$d/stamp" ] && [ -n "$(find "$d/stamp" -mmin -720)" ] && return
	log "apt-get update (private state $state, foreign architectures)"
	rm -f "$d/cache/"*.bin "$d/missing"
	# An index of one suite may be stale on the mirror ("File has unexpected
	# size"): apt then resolves from the suites it could read.
	# shellcheck disable=SC2046
	apt-get $(aptx_opts "$state") -q update >"$d/update.log" 2>&1 ||
		log "apt-get update reported errors (see $d/update.log); using what it fetched"
	touch "$d/stamp"
}

# deb_of PKG:ARCH: the downloaded package file, if any.
deb_of() {
	local pkg=${1%%:*} arch=${1#*:}
	ls "$A/debs/${pkg}_"*"_$arch.deb" 2>/dev/null | sort -V | tail -n 1
}

# download STATE PKG:ARCH...: the ones not downloaded yet, in one apt-get
# call; fails if any does not download.
download() {
	local suite=$1 want=() p
	shift
	for p in "$@"; do [ -n "$(deb_of "$p")" ] || want+=("$p"); done
	[ ${#want[@]} -gt 0 ] || return 0
	log "downloading ${#want[@]} packages: ${want[*]}"
	# shellcheck disable=SC2046
	(cd "$A/debs" && apt-get $(aptx_opts "$suite") -q download "${want[@]}" >"$A/debs/.log" 2>&1)
}

# extract DEB DIR [TAR ARGS...]: unpack once (a stamp per package file).
extract() {
	local deb=$1 root=$2 stamp
	shift 2
	stamp=$root/.x-$(basename "$deb")
	[ -f "$stamp" ] && return
	mkdir -p "$root"
	if [ $# -eq 0 ]; then
		dpkg-deb -x "$deb" "$root"
	else
		dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$root" "$@"
	fi || return 1
	touch "$stamp"
}

# depends_of STATE REGEX PKG:ARCH...: "PKG:ARCH DEP:ARCH" for each dependency
# of the PKGs matching REGEX ("all" for architecture-independent ones).
depends_of() {
	local suite=$1 re=$2
	shift 2
	# shellcheck disable=SC2046
	apt-cache $(aptx_opts "$suite") depends "$@" 2>/dev/null | awk -v re="$re" '
		/^[^ ]/ { pkg = $1; arch = pkg; sub(/^[^:]*:?/, "", arch); if (arch == "") { arch = "amd64"; pkg = pkg ":amd64" } }
		$1 == "Depends:" {
			d = $2; gsub(/[<>]/, "", d); sub(/:.*/, "", d)
			if (d !~ re) next
			print pkg, d ":" (d ~ /-common(-rt)?$/ ? "all" : d ~ /^linux-kbuild-/ ? "amd64" : arch)
		}'
}

foreign=()
while IFS='|' read -r name debarch suite meta _ _ qemu _; do
	case $meta in bed:*) continue ;; esac
	foreign+=("$name|$debarch|$suite|$meta|$qemu")
done < <(arch_rows "$@")

# images_of STATE META:ARCH: the image packages of every version of META
# that STATE's lists know, newest first.
images_of() {
	# shellcheck disable=SC2046
	apt-cache $(aptx_opts "$1") show "$2" 2>/dev/null |
		sed -n 's/^Depends:.*\(linux-image-[0-9][^ ,]*\).*/\1/p' | sort -u -V -r
}

# image_of[SUITE/META:ARCH]: the flavour's image package, the newest whose
# files all download.  A security mirror may list a foreign architecture's
# packages without serving them, and apt does not then try the suite's own
# copy: the suite without its security updates is asked next.  A flavour
# none of whose kernels downloads is remembered until the lists are next
# refreshed (SUITE's state, file "missing").
# deps_of[HEADERS:ARCH]: the common headers and kbuild they need (7.x: and
# linux-base-*, the config); binary_of[IMAGE:ARCH]: 7.x's linux-binary-*,
# which holds the kernel the image package only depends on.
declare -A image_of deps_of binary_of

# resolve_row ROW: image_of and deps_of for one row, downloading.
resolve_row() {
	local name debarch suite meta qemu key state img rel deps bin missing
	IFS='|' read -r name debarch suite meta qemu <<<"$1"
	key=$suite/$meta:$debarch missing=$(apt_dir "$suite")/missing
	grep -q -x -F "$key" "$missing" 2>/dev/null && return 1
	for state in "$suite" $([ "$suite" = main ] || echo "$suite-own"); do
		update_lists "$state"
		for img in $(images_of "$state" "$meta:$debarch"); do
			rel=${img#linux-image-}
			# The headers need the common headers (all) and
			# linux-kbuild: the amd64 one, whose tools run here and
			# cross-handle every target.
			deps=$(depends_of "$state" '^linux-(headers|kbuild|base)-[0-9]' \
				"linux-headers-$rel:$debarch" | cut -d' ' -f2 | tr '\n' ' ')
			bin=
			[ "$qemu" = - ] || bin="$img:$debarch $(depends_of "$state" '^linux-binary-' \
				"$img:$debarch" | cut -d' ' -f2)"
			# shellcheck disable=SC2086
			if download "$state" "linux-headers-$rel:$debarch" $deps \
				"busybox-static:$debarch" $bin; then
				image_of[$key]=$img deps_of[linux-headers-$rel:$debarch]=$deps
				binary_of[$img:$debarch]=${bin#* }
				return 0
			fi
			log "$img: not every package downloads ($state)"
		done
	done
	echo "$key" >>"$missing"
	return 1
}

# newest_packages ROW: the packages of the row's newest ABI (newest[] and
# needs[] of its suite), one a line.
newest_packages() {
	local name debarch s meta qemu img hdr
	IFS='|' read -r name debarch s meta qemu <<<"$1"
	img=${newest[$meta:$debarch]} hdr=linux-headers-${newest[$meta:$debarch]#linux-image-}
	# shellcheck disable=SC2086
	printf '%s\n' "$hdr:$debarch" ${needs[$hdr:$debarch]:-} "busybox-static:$debarch"
	# shellcheck disable=SC2086
	[ "$qemu" = - ] || printf '%s\n' "$img:$debarch" ${needs[$img:$debarch]:-}
}

if [ ${#foreign[@]} -gt 0 ]; then
	for suite in $(printf '%s\n' "${foreign[@]}" | cut -d'|' -f3 | sort -u); do
		# The newest ABI of every flavour in one call: rows whose kernel
		# is unpacked already need nothing else.
		update_lists "$suite"
		metas=()
		for row in "${foreign[@]}"; do
			IFS='|' read -r name debarch s meta qemu <<<"$row"
			[ "$s" = "$suite" ] && metas+=("$meta:$debarch")
		done
		declare -A newest=()
		while read -r meta img; do
			[ -n "${newest[$meta]:-}" ] || newest[$meta]=${img%%:*}
		done < <(depends_of "$suite" '^linux-image-[0-9]' "${metas[@]}")
		todo=() hdrs=() imgs=()
		for row in "${foreign[@]}"; do
			IFS='|' read -r name debarch s meta qemu <<<"$row"
			[ "$s" = "$suite" ] || continue
			img=${newest[$meta:$debarch]:-}
			if [ -n "$img" ] && [ -f "$A/kernels/${img#linux-image-}/.complete" ] &&
				[ -x "$A/busybox/$debarch/bin/busybox" ]; then
				image_of[$suite/$meta:$debarch]=$img
			elif grep -q -x -F "$suite/$meta:$debarch" "$(apt_dir "$suite")/missing" 2>/dev/null; then
				log "no $meta:$debarch kernel downloads from $suite (known): row $name left out"
			elif [ -n "$img" ]; then
				todo+=("$row")
				hdrs+=("linux-headers-${img#linux-image-}:$debarch")
				[ "$qemu" = - ] || imgs+=("$img:$debarch")
			elif ! resolve_row "$row"; then
				log "no $meta:$debarch kernel downloads from $suite: row $name left out"
			fi
		done
		# The rest: the newest ABI's packages of every row in one
		# download; a row some of whose packages do not download is
		# resolved again alone.
		declare -A needs=()
		if [ ${#todo[@]} -gt 0 ]; then
			while read -r pkg dep; do
				needs[$pkg]="${needs[$pkg]:-} $dep"
			done < <(depends_of "$suite" '^linux-(headers|kbuild|base)-[0-9]' "${hdrs[@]}"
				[ ${#imgs[@]} -eq 0 ] || depends_of "$suite" '^linux-binary-' "${imgs[@]}")
			# shellcheck disable=SC2046
			download "$suite" $(for row in "${todo[@]}"; do newest_packages "$row"; done | sort -u) ||
				log "not every package downloads ($suite): resolving row by row"
		fi
		for row in "${todo[@]}"; do
			IFS='|' read -r name debarch s meta qemu <<<"$row"
			img=${newest[$meta:$debarch]} hdr=linux-headers-${newest[$meta:$debarch]#linux-image-}
			got=1
			for pkg in $(newest_packages "$row"); do
				[ -n "$(deb_of "$pkg")" ] || got=0
			done
			if [ $got = 1 ]; then
				image_of[$suite/$meta:$debarch]=$img
				deps_of[$hdr:$debarch]=${needs[$hdr:$debarch]:-}
				[ "$qemu" = - ] || binary_of[$img:$debarch]=${needs[$img:$debarch]:-}
			elif [ -z "${image_of[$suite/$meta:$debarch]:-}" ] && ! resolve_row "$row"; then
				log "no $meta:$debarch kernel downloads from $suite: row $name left out"
			fi
		done
	done

	jobs=()
	for row in "${foreign[@]}"; do
		IFS='|' read -r name debarch suite meta qemu <<<"$row"
		img=${image_of[$suite/$meta:$debarch]:-}
		[ -n "$img" ] || continue
		rel=${img#linux-image-}
		root=$A/kernels/$rel
		[ -f "$root/.complete" ] || {
			for dep in "linux-headers-$rel:$debarch" ${deps_of[linux-headers-$rel:$debarch]}; do
				jobs+=("tree $(deb_of "$dep") $root")
			done
			[ "$qemu" = - ] || jobs+=("image $(deb_of "$img:$debarch") $root")
			# shellcheck disable=SC2086
			[ -z "${binary_of[$img:$debarch]:-}" ] ||
				jobs+=("tree $(deb_of ${binary_of[$img:$debarch]}) $root")
		}
		[ -x "$A/busybox/$debarch/bin/busybox" ] ||
			jobs+=("busybox $(deb_of "busybox-static:$debarch") $A/busybox/$debarch")
	done
	# Unpack two at a time (the images are big xz archives); the image
	# without its module tree.
	export -f extract
	printf '%s\n' "${jobs[@]}" | sort -u | xargs -r -P 2 -L 1 bash -c '
		case $0 in
		image) extract "$1" "$2" --exclude=./lib/modules --exclude=./usr/lib/modules ;;
		busybox)	# /bin/busybox, or /usr/bin/busybox from Debian 13 on
			extract "$1" "$2" --wildcards "*/bin/busybox" &&
				{ [ -e "$2/bin/busybox" ] || { mkdir -p "$2/bin" && mv "$2/usr/bin/busybox" "$2/bin/"; }; } ;;
		*) extract "$1" "$2" ;;
		esac' || die "unpacking failed"
	for row in "${foreign[@]}"; do
		IFS='|' read -r name debarch suite meta qemu <<<"$row"
		rel=${image_of[$suite/$meta:$debarch]:-}
		rel=${rel#linux-image-}
		root=$A/kernels/$rel
		if [ -n "$rel" ] && [ ! -f "$root/.complete" ]; then
			# The flavour's Makefile names its common part (and, 7.x,
			# itself as KBUILD_OUTPUT) by absolute path.
			sed -i -E "s#^(include |KBUILD_OUTPUT=)/usr/src/#\1$root/usr/src/#" \
				"$root/usr/src/linux-headers-$rel/Makefile"
			# 7.x: the kernel is /usr/lib/modules/RELEASE/vmlinuz.
			[ -e "$root/boot/vmlinuz-$rel" ] || [ ! -f "$root/usr/lib/modules/$rel/vmlinuz" ] ||
				{ mkdir -p "$root/boot" && ln -s "../usr/lib/modules/$rel/vmlinuz" "$root/boot/vmlinuz-$rel"; }
			touch "$root/.complete"
		fi
	done
fi

while IFS='|' read -r name debarch suite meta _; do
	case $meta in
	bed:*)
		line=$(ZP_FLAVOURS="${meta#bed:} $(bed_suite "${meta#bed:}")" "$ZP_TOP/selftests/bed/kernels.sh")
		echo "$name ${line#* }"
		;;
	*)
		rel=${image_of[$suite/$meta:$debarch]:-}
		rel=${rel#linux-image-}
		echo "$name ${rel:--} $([ -n "$rel" ] && echo "$A/kernels/$rel" || echo -)"
		;;
	esac
done < <(arch_rows "$@")
