/* SPDX-License-Identifier: GPL-2.0 */
/*
 * ftrace_attach.c: an ftrace_ops on a kernel function's entry, and, inline,
 * what its callback may do with the call: read an argument, change one,
 * divert the call to another function.
 */
#ifndef ZP_FTRACE_ATTACH_H
#define ZP_FTRACE_ATTACH_H

#include <linux/ftrace.h>

#include "zeropage_arch.h"
#include "zeropage_compat.h"

#ifdef ZP_HOOK_DIVERT

/* Attach @ops, calling @func, to the ftrace site at the entry of @name. */
int zp_ftrace_attach(struct ftrace_ops *ops, const char *name, ftrace_func_t func);
/* Once this returns, no callback of @ops runs (ftrace waits for them). */
void zp_ftrace_detach(struct ftrace_ops *ops);
/* Is ftrace off (sysctl kernel.ftrace_enabled=0)? */
bool zp_ftrace_off(void);

#ifdef ZP_FTRACE_ARGS
static inline unsigned long zp_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return zp_fregs_argument(fregs, n);
}

static inline void zp_divert(struct ftrace_regs *fregs, void *to)
{
	zp_fregs_set_ip(fregs, (unsigned long)to);
}

#ifdef ZP_FREGS_PT_REGS
/* The trampoline reloads the argument registers from here. */
#define ZP_CAN_SET_ARG
static inline void zp_set_arg(struct ftrace_regs *fregs, unsigned int n, unsigned long val)
{
	*zp_regs_argp(zp_fregs_pt_regs(fregs), n) = val;
}
#endif
#else
static inline unsigned long zp_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return zp_regs_arg(ftrace_get_regs(fregs), n);
}

static inline void zp_divert(struct ftrace_regs *fregs, void *to)
{
	instruction_pointer_set(ftrace_get_regs(fregs), (unsigned long)to);
}

#define ZP_CAN_SET_ARG
static inline void zp_set_arg(struct ftrace_regs *fregs, unsigned int n, unsigned long val)
{
	*zp_regs_argp(ftrace_get_regs(fregs), n) = val;
}
#endif

#else /* !ZP_HOOK_DIVERT */

/* No ftrace_ops of the module's: kernel.ftrace_enabled does not matter. */
static inline bool zp_ftrace_off(void)
{
	return false;
}

#endif /* ZP_HOOK_DIVERT */

#endif /* ZP_FTRACE_ATTACH_H */
