#!/usr/bin/env bash
# make check-debug: the whole guest suite on a debug kernel (lockdep,
# atomic-sleep checks, DEBUG_VM, KASAN, KFENCE, kmemleak, page-table check)
# built from Debian's linux-source-6.1.  Not part of make check: the first
# build takes long on 2 cores.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../bed/lib.sh"
mkdir -p "$ZP_OUT"
"$here/../bed/deps.sh"
"$here/build-kernel.sh" >"$ZP_OUT/debug-kernel.list"
ZP_KERNELS=$ZP_OUT/debug-kernel.list ZP_GUEST_MEM=${ZP_GUEST_MEM:-2048} \
	ZP_GUEST_TIMEOUT=${ZP_GUEST_TIMEOUT:-3600} exec "$here/../bed/check.sh"
