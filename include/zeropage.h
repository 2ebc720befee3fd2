/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zeropage: the module as a whole, its version and its top floor.
 *
 * The module's files stand on each other in floors; each file uses only
 * its own floor and those below it, never a file above it, and no two
 * files use each other (selftests/bed/layers.sh checks both):
 *
 *   5 interface  main.c (parameters, init and exit), sysfs.c
 *                (/sys/kernel/mm/zeropage); this header
 *   4 hooks      hooks.c (which fault function to hook, the callbacks
 *                that divert into the fault path, load and unload order),
 *                probes.c (counting probes, audit, the huge path's
 *                probe), ftrace_attach.c (an ftrace_ops on a function's
 *                entry); zp_hooks.h, zp_probes.h, zp_ftrace_attach.h
 *   3 fault      fault.c (which read faults the module answers, and how);
 *                zp_fault.h
 *   2 state      stats.c (counters), modes.c (the global settings, their
 *                words), inflight.c (diverted faults not yet returned),
 *                cgroup_policy.c (per-cgroup modes); zp_stats.h,
 *                zp_modes.h, zp_inflight.h, zp_policy.h
 *   1 kernel     symbols.c (finding kernel functions), arch.c (the
 *                capability table's verdict), pte_glue.c (stand-ins for
 *                unexported PTE helpers); zeropage_compat.h (every kernel
 *                version difference), zeropage_arch.h, zp_symbols.h
 */
#ifndef ZEROPAGE_H
#define ZEROPAGE_H

#define ZP_VERSION "0.1.0"

/* sysfs.c: /sys/kernel/mm/zeropage/ */
int zp_sysfs_init(void);
void zp_sysfs_exit(void);

#endif /* ZEROPAGE_H */
