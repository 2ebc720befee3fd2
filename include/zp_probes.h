/* SPDX-License-Identifier: GPL-2.0 */
/*
 * probes.c: the probes that only read what the kernel does: copy-on-write
 * faults on the zero page (stats/cow_from_zero), what page-table walkers
 * see (audit), and the huge path, where cgroup policies act.
 */
#ifndef ZP_PROBES_H
#define ZP_PROBES_H

#include <linux/types.h>

/* At load, once a fault hook is attached; each says when it cannot attach. */
void zp_probes_attach(void);
/* At unload, before the fault hook goes: audit off, every probe gone. */
void zp_probes_detach(void);
/* How do_wp_page() is probed ("ftrace", "kprobe-ftrace", ...); NULL: not. */
const char *zp_cow_probe_kind(void);

/* The `audit` file: the vm_normal_page() probe on or off. */
int zp_audit_set(bool on);
bool zp_audit_enabled(void);

#endif /* ZP_PROBES_H */
