# Shared helpers for the test-bed scripts (sourced, not run).
ZP_TOP=${ZP_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
ZP_CACHE=${ZP_CACHE:-$ZP_TOP/.cache}
ZP_OUT=${ZP_OUT:-$ZP_TOP/out}

log() { printf '[%s] %s\n' "$(date +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }
