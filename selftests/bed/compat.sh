#!/usr/bin/env bash
# compat.sh KERNELS_LIST: the compat header's fail-closed probes.  For each
# probe whose miss would be unsafe, the build of a kernel that has the
# feature, with that probe made to miss (Kbuild's ZP_PROBE_MISS), must stop
# at the header's #error.  Prints TAP.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
list=$1

# probe kernel #error-text: the probe, the kernel it must fail closed on.
CASES="PTE_OFFSET_MAP 6.12 PTE tables would be walked outside RCU
PMD_DEVMAP 6.1 DAX PMDs walked as tables"

while read -r probe name text; do
	read -r _ release root < <(grep "^$name " "$list")
	dir=$ZP_OUT/compat-$probe
	if ZP_NO_TESTMOD=1 "$(dirname "$0")/build-module.sh" "$release" "$root" "$dir" \
		ZP_PROBE_MISS="$probe" 2>/dev/null; then
		echo "not ok - compat: a missed $probe probe fails closed on $name (it built; see $dir/build.log)"
	elif grep -q "#error \"zeropage: .*$text" "$dir/build.log"; then
		echo "ok - compat: a missed $probe probe fails closed on $name"
	else
		echo "not ok - compat: a missed $probe probe fails closed on $name (no #error; see $dir/build.log)"
	fi
done <<<"$CASES"
echo "# end of suite: compat"
