#!/usr/bin/env bash
# layers.sh KERNELS_LIST | layers.sh --objects BUILD_DIR...: the module's
# files stand on each other in floors (include/zeropage.h draws them).
# Each file may use its own floor and those below it, never a file above,
# and no files may use each other in a circle.  Drawn from the code, not
# from what the comments say:
# - includes: the #include "..." lines of module/*.c and include/*.h;
# - calls: the symbol tables of the built objects (nm module/*.o of a
#   build-module.sh output, its src/), a file's undefined (U) symbols
#   against the functions and data the other files define: also the calls
#   a header's inline functions make, charged to the file that includes it.
# KERNELS_LIST: the module is built (W=1, zeropage.ko alone) for the bed's
# 6.1 and 6.12 into $ZP_OUT/layers-NAME and both builds are checked; with
# --objects, the build directories given (e.g. a mutated tree's, or an
# arch row's).  Prints TAP, then "# end of suite: layers".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

# The floors, bottom to top: a unit is module/NAME.c, a header is named
# with its .h.  The one place the order is declared.
FLOORS=(
	"kernel: symbols arch pte_glue zeropage_compat.h zeropage_arch.h zp_symbols.h"
	"state: stats modes inflight cgroup_policy zp_stats.h zp_modes.h zp_inflight.h zp_policy.h"
	"fault: fault zp_fault.h"
	"hooks: ftrace_attach probes hooks zp_ftrace_attach.h zp_probes.h zp_hooks.h"
	"interface: sysfs main zeropage.h"
)

declare -A floor_of floor_name
for i in "${!FLOORS[@]}"; do
	name=${FLOORS[$i]%%:*}
	for f in ${FLOORS[$i]#*:}; do
		floor_of[$f]=$i floor_name[$f]=$name
	done
done

results_begin "$ZP_OUT/layers-results.tap" "layers: "

# unit PATH: the name FLOORS knows a file by.
unit() {
	local b=${1##*/}
	case $b in *.c | *.o) echo "${b%.*}" ;; *) echo "$b" ;; esac
}

# judge WHAT EDGES: EDGES are "from to" lines (files by unit name).  Every
# edge must go to the same floor or one below; tsort must find no circle.
# Prints the offending edges and circles as comments; returns 1 on any.
judge() {
	local what=$1 edges=$2 from to bad=0 loop
	while read -r from to; do
		[ -n "$from" ] || continue
		if [ "${floor_of[$to]}" -gt "${floor_of[$from]}" ]; then
			echo "# $what: $from (${floor_name[$from]}) uses $to (${floor_name[$to]}), a floor above"
			bad=1
		fi
	done <<<"$edges"
	loop=$( (echo "$edges" | awk 'NF == 2 && $1 != $2' | tsort >/dev/null) 2>&1)
	if [ -n "$loop" ]; then
		echo "# $what: a circle:"
		echo "$loop" | sed -e 's/^tsort: //' -e 's/^/#   /'
		bad=1
	fi
	return $bad
}

# Every file has a floor: a new file must be placed before it can be used.
missing=
for f in "$ZP_TOP"/module/*.c "$ZP_TOP"/include/*.h; do
	[ -n "${floor_of[$(unit "$f")]:-}" ] || missing="$missing ${f#"$ZP_TOP"/}"
done
[ -z "$missing" ]
tap "every file of module/ and include/ has a floor" $? "no floor:$missing"

# The include graph, from the sources.
edges=$(cd "$ZP_TOP" && for f in module/*.c include/*.h; do
	sed -n 's/^#include "\([^"]*\)".*/\1/p' "$f" | while read -r h; do
		[ -n "${floor_of[$h]:-}" ] && [ -n "${floor_of[$(unit "$f")]:-}" ] &&
			echo "$(unit "$f") $h"
	done
done | sort -u)
judge includes "$edges"
tap "includes follow the floors, without circles" $?

# calls DIR: "caller callee" for every symbol one object of DIR/src/module
# uses that another defines.
calls() {
	local o
	for o in "$1"/src/module/*.o; do
		nm "$o" | awk -v u="$(unit "$o")" '
			$1 == "U" { print "U", u, $2 }
			NF == 3 && $2 ~ /^[A-TV-Z]$/ { print "D", u, $3 }'
	done | awk '
		$1 == "D" { def[$3] = $2 }
		$1 == "U" { use[NR] = $2 " " $3 }
		END { for (i in use) { split(use[i], a, " ")
			if ((a[2] in def) && def[a[2]] != a[1]) print a[1], def[a[2]] } }' | sort -u
}

check_objects() {
	local dir=$1 label=$2 edges
	if ! ls "$dir"/src/module/*.o >/dev/null 2>&1; then
		tap "$label: calls follow the floors, without circles" 1 "no objects in $dir/src/module"
		return
	fi
	edges=$(calls "$dir")
	echo "$edges" | sed "s/^/# $label: /"
	judge "$label calls" "$edges"
	tap "$label: calls follow the floors, without circles" $?
}

if [ "${1:-}" = --objects ]; then
	shift
	for dir in "$@"; do check_objects "$dir" "${dir##*/}"; done
else
	while read -r name release root; do
		case $name in 6.1|6.12) ;; *) continue ;; esac
		dir=$ZP_OUT/layers-$name
		if ZP_NO_TESTMOD=1 "$here/build-module.sh" "$release" "$root" "$dir" 2>/dev/null; then
			check_objects "$dir" "$name"
		else
			tap "$name: calls follow the floors, without circles" 1 "the build failed; see $dir/build.log"
		fi
	done <"$1"
fi
echo "# end of suite: layers"
