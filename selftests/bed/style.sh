#!/usr/bin/env bash
# style.sh KERNELS_LIST: checkpatch --strict (from Debian's linux-source-6.1)
# and sparse (make C=2) over the module sources and the test bed's
# zp_testmod.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
list=$1
cp_dir=$ZP_CACHE/checkpatch

fetch_checkpatch() {
	local deb
	[ -x "$cp_dir/scripts/checkpatch.pl" ] && return 0
	deb=$(linux_source_deb) || return 1
	mkdir -p "$cp_dir"
	dpkg-deb --fsys-tarfile "$deb" |
		tar -xO --wildcards './usr/src/linux-source-6.1.tar.xz' |
		tar -xJ -C "$cp_dir" --strip-components=1 linux-source-6.1/scripts/checkpatch.pl \
			linux-source-6.1/scripts/spelling.txt linux-source-6.1/scripts/const_structs.checkpatch
}

files=$(cd "$ZP_TOP" && ls module/*.c include/*.h selftests/kmod/*.[ch])
if fetch_checkpatch; then
	out=$(cd "$ZP_TOP" && perl "$cp_dir/scripts/checkpatch.pl" --strict --no-tree --terse \
		--show-types --ignore SPDX_LICENSE_TAG -f $files 2>&1 | grep -E 'ERROR|WARNING|CHECK')
	if [ -z "$out" ]; then echo "ok - checkpatch --strict clean"; else
		echo "not ok - checkpatch --strict clean"; echo "$out" | sed 's/^/# /'; fi
else
	echo "not ok - checkpatch --strict clean (could not fetch linux-source-6.1)"
fi

while read -r name release root; do
	case $name in 6.1|6.12) ;; *) continue ;; esac
	dir=$ZP_OUT/sparse-$name
	if "$(dirname "$0")/build-module.sh" "$release" "$root" "$dir" C=2 CHECK="sparse" 2>/dev/null; then
		echo "ok - $name: sparse (make C=2) clean"
	else
		echo "not ok - $name: sparse (make C=2) clean"
		grep -E 'warning:|error:' "$dir/build.log" | head -n 10 | sed 's/^/# /'
	fi
done <"$list"
echo "# end of suite: style"
