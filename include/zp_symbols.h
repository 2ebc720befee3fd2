/* SPDX-License-Identifier: GPL-2.0 */
/*
 * symbols.c: finding kernel functions, exported or not, by name.
 *
 * A probe-only kprobe tells where a function starts (and fails with
 * -ENOENT where it was inlined, -EINVAL where it is blacklisted);
 * kallsyms_lookup_name(), found that way, gives what a kprobe cannot.
 */
#ifndef ZP_SYMBOLS_H
#define ZP_SYMBOLS_H

#include <linux/types.h>

struct kprobe;

/*
 * Where a kprobe cannot sit on an ftrace site (dynamic ftrace without
 * KPROBES_ON_FTRACE: riscv's patchable entry), how far past a function's
 * entry a probe may be moved: past the patchable entry's NOPs.
 */
#if defined(CONFIG_DYNAMIC_FTRACE) && !defined(CONFIG_KPROBES_ON_FTRACE)
#define ZP_PROBE_SKIP_MAX 32
#else
#define ZP_PROBE_SKIP_MAX 0
#endif

/* Register @kp (symbol_name set) on its function's entry, with @flags. */
int zp_register_entry_kprobe(struct kprobe *kp, u32 flags);

/* The start of the kernel function @name; 0 if there is none. */
unsigned long zp_symbol_start(const char *name);

/*
 * The address of the kernel symbol @name, exported or not, through
 * kallsyms_lookup_name() where the module may call it; 0 if unknown.
 * Only at load, from the module's init.
 */
unsigned long zp_kernel_function(const char *name);

#endif /* ZP_SYMBOLS_H */
