#!/usr/bin/env bash
# provision.sh [NAME...]: everything the cross-architecture matrix needs.
#
# 1. Host packages (apt-get install, amd64 only): the gcc-12 cross compilers,
#    libc6-dev-<arch>-cross where the selftests run, the QEMU system
#    emulators.
# 2. Foreign-architecture kernels: a private apt state (lists and cache under
#    $ZP_CACHE/arch/apt) that reuses this machine's own apt sources with every
#    kernel architecture enabled -- dpkg's architecture list is not touched
#    and nothing is installed.  Each flavour's ABI is resolved through its
#    metapackage; image, headers, common headers, the amd64 linux-kbuild and
#    busybox-static of the guest architecture are downloaded and unpacked with
#    dpkg-deb -x.  (apt-get install of foreign headers would remove the
#    host's gcc: their dependency on gcc-12 is not Multi-Arch foreign.)
# 3. amd64 rows come from the test bed's kernels.sh.
#
# Prints one line per row: "NAME RELEASE ROOT" (ROOT holds usr/src/... and
# boot/).  Without NAMEs, every row of the table.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

A=$ZP_CACHE/arch
mkdir -p "$A/debs" "$A/kernels" "$A/apt/lists/partial" "$A/apt/cache/archives/partial"

# ---- 1. host packages ----
host_packages() {
	local pkgs="cpio xz-utils busybox-static" name debarch cross qemu expect
	while IFS='|' read -r name debarch _ _ cross qemu _ _ expect _ _; do
		[ "$cross" = - ] || pkgs+=" gcc-12-${cross%-}"
		if [ "$expect" = load ] && [ "$debarch" != amd64 ]; then
			pkgs+=" libc6-dev-$debarch-cross"
		fi
		case $qemu in
		qemu-system-x86_64|qemu-system-i386) pkgs+=" qemu-system-x86" ;;
		qemu-system-arm|qemu-system-aarch64) pkgs+=" qemu-system-arm" ;;
		qemu-system-mips*) pkgs+=" qemu-system-mips" ;;
		qemu-system-ppc64) pkgs+=" qemu-system-ppc" ;;
		qemu-system-s390x) pkgs+=" qemu-system-misc" ;;
		esac
	done < <(arch_rows "$@")
	# shellcheck disable=SC2086
	printf '%s\n' $pkgs | sort -u
}

# shellcheck disable=SC2046
apt_install_missing "$A/install.log" $(host_packages "$@") ||
	die "apt-get install failed (see $A/install.log)"

# ---- 2. foreign kernels through a private apt state ----
aptx_opts() {
	local a
	printf '%s ' -o "Dir::State::Lists=$A/apt/lists" -o "Dir::Cache=$A/apt/cache" \
		-o "Dir::Cache::pkgcache=$A/apt/cache/pkgcache.bin" \
		-o "Dir::Cache::srcpkgcache=$A/apt/cache/srcpkgcache.bin" \
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root
	for a in amd64 $(arch_rows | cut -d'|' -f2 | sort -u); do
		printf -- '-o APT::Architectures::=%s ' "$a"
	done
}

update_lists() {
	[ -f "$A/apt/stamp" ] && [ -n "$(find "$A/apt/stamp" -mmin -720)" ] && return
	log "apt-get update (private state, foreign architectures)"
	rm -f "$A/apt/cache/"*.bin
	# An index of one suite may be stale on the mirror ("File has unexpected
	# size"): apt then resolves from the suites it could read.
	# shellcheck disable=SC2046
	apt-get $(aptx_opts) -q update >"$A/apt/update.log" 2>&1 ||
		log "apt-get update reported errors (see $A/apt/update.log); using what it fetched"
	touch "$A/apt/stamp"
}

# deb_of PKG:ARCH: the downloaded package file, if any.
deb_of() {
	local pkg=${1%%:*} arch=${1#*:}
	ls "$A/debs/${pkg}_"*"_$arch.deb" 2>/dev/null | sort -V | tail -n 1
}

# download PKG:ARCH...: the ones not downloaded yet, in one apt-get call.
download() {
	local want=() p
	for p in "$@"; do [ -n "$(deb_of "$p")" ] || want+=("$p"); done
	[ ${#want[@]} -gt 0 ] || return 0
	log "downloading ${#want[@]} packages: ${want[*]}"
	# shellcheck disable=SC2046
	(cd "$A/debs" && apt-get $(aptx_opts) -q download "${want[@]}" >"$A/debs/.log" 2>&1) ||
		die "apt-get download failed (see $A/debs/.log)"
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
	fi
	touch "$stamp"
}

# depends_of REGEX PKG:ARCH...: "PKG:ARCH DEP:ARCH" for each dependency of
# the PKGs matching REGEX ("all" for architecture-independent ones).
depends_of() {
	local re=$1
	shift
	# shellcheck disable=SC2046
	apt-cache $(aptx_opts) depends "$@" 2>/dev/null | awk -v re="$re" '
		/^[^ ]/ { pkg = $1; arch = pkg; sub(/^[^:]*:?/, "", arch); if (arch == "") { arch = "amd64"; pkg = pkg ":amd64" } }
		$1 == "Depends:" {
			d = $2; gsub(/[<>]/, "", d); sub(/:.*/, "", d)
			if (d !~ re) next
			print pkg, d ":" (d ~ /-common(-rt)?$/ ? "all" : d ~ /^linux-kbuild-/ ? "amd64" : arch)
		}'
}

foreign=() metas=()
while IFS='|' read -r name debarch meta _ _ qemu _; do
	case $meta in bed:*) continue ;; esac
	foreign+=("$name|$debarch|$meta|$qemu")
	metas+=("$meta:$debarch")
done < <(arch_rows "$@")

declare -A image_of deps_of
if [ ${#foreign[@]} -gt 0 ]; then
	update_lists
	# Every flavour's ABI through its metapackage, in one call.
	while read -r meta img; do
		[ -n "${image_of[$meta]:-}" ] || image_of[$meta]=${img%%:*}
	done < <(depends_of '^linux-image-[0-9]' "${metas[@]}")
	hdrs=() pkgs=()
	for row in "${foreign[@]}"; do
		IFS='|' read -r name debarch meta qemu <<<"$row"
		img=${image_of[$meta:$debarch]:-}
		[ -n "$img" ] || die "cannot resolve $meta:$debarch"
		rel=${img#linux-image-}
		hdrs+=("linux-headers-$rel:$debarch")
		pkgs+=("linux-headers-$rel:$debarch" "busybox-static:$debarch")
		[ "$qemu" = - ] || pkgs+=("$img:$debarch")
	done
	# The headers need the common headers (all) and linux-kbuild: the
	# amd64 one, whose tools run here and cross-handle every target.
	while read -r hdr dep; do
		deps_of[$hdr]="${deps_of[$hdr]:-} $dep"
		pkgs+=("$dep")
	done < <(depends_of '^linux-(headers|kbuild)-' "${hdrs[@]}")
	# shellcheck disable=SC2046
	download $(printf '%s\n' "${pkgs[@]}" | sort -u)

	jobs=()
	for row in "${foreign[@]}"; do
		IFS='|' read -r name debarch meta qemu <<<"$row"
		img=${image_of[$meta:$debarch]}
		rel=${img#linux-image-}
		root=$A/kernels/$rel
		[ -f "$root/.complete" ] || {
			for dep in "linux-headers-$rel:$debarch" ${deps_of[linux-headers-$rel:$debarch]}; do
				jobs+=("tree $(deb_of "$dep") $root")
			done
			[ "$qemu" = - ] || jobs+=("image $(deb_of "$img:$debarch") $root")
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
		busybox) extract "$1" "$2" ./bin/busybox ;;
		*) extract "$1" "$2" ;;
		esac' || die "unpacking failed"
	for row in "${foreign[@]}"; do
		IFS='|' read -r name debarch meta qemu <<<"$row"
		rel=${image_of[$meta:$debarch]#linux-image-}
		root=$A/kernels/$rel
		if [ ! -f "$root/.complete" ]; then
			# The flavour's Makefile includes the common part by absolute path.
			sed -i "s#^include /usr/src/#include $root/usr/src/#" \
				"$root/usr/src/linux-headers-$rel/Makefile"
			touch "$root/.complete"
		fi
	done
fi

while IFS='|' read -r name debarch meta _; do
	case $meta in
	bed:*)
		line=$(ZP_FLAVOURS="${meta#bed:} $(bed_suite "${meta#bed:}")" "$ZP_TOP/selftests/bed/kernels.sh")
		echo "$name ${line#* }"
		;;
	*) echo "$name ${image_of[$meta:$debarch]#linux-image-} $A/kernels/${image_of[$meta:$debarch]#linux-image-}" ;;
	esac
done < <(arch_rows "$@")
