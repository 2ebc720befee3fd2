/* SPDX-License-Identifier: GPL-2.0 */
/*
 * inflight.c: the faults diverted to one of the module's replacements and
 * not yet returned from it, so that unload can wait for them.  The hooks
 * begin a diversion, the replacements (fault.c) end it.
 */
#ifndef ZP_INFLIGHT_H
#define ZP_INFLIGHT_H

#include <linux/percpu-refcount.h>

#include "zp_stats.h"

/*
 * Must unload wait for each fault diverted to a replacement that runs only
 * do_anonymous_page()'s zero-page branch (those of do_anonymous_page() and
 * __handle_mm_fault()), or does RCU-tasks do?  RCU-tasks waits for every
 * task preempted in a replacement, not for one that sleeps there
 * voluntarily; those replacements never do, but on PREEMPT_RT their PTE
 * lock can block, and an rtlock wait counts as a voluntary switch (nvcsw).
 * The handle_mm_fault() replacement runs the kernel's fault handler, which
 * can sleep anywhere: it always takes an in-flight reference.
 */
#define ZP_ANON_TAKES_REF IS_ENABLED(CONFIG_PREEMPT_RT)

/* The in-flight reference; live from zp_inflight_init() to unload. */
extern struct percpu_ref zp_inflight;

int zp_inflight_init(void);
void zp_inflight_put(void);
/* Unload: wait until no diverted fault is left in the module's text. */
void zp_inflight_drain(void);
/* Undo zp_inflight_init() (a load that failed after it). */
void zp_inflight_exit(void);

/*
 * In the hook's callback: may this fault be diverted (@ref: taking an
 * in-flight reference)?  Inline: it is on every diverted fault's path.
 */
static inline bool zp_diversion_begin(bool ref)
{
	if (ref && !percpu_ref_tryget_live(&zp_inflight))
		return false;
	zp_count(ZP_STAT_DIVERTED);
	return true;
}

/*
 * A diverted fault returns; @ref: its diversion took an in-flight
 * reference.  Inline: it is on every diverted fault's path.
 */
static inline void zp_diversion_end(bool ref)
{
	zp_count(ZP_STAT_RETURNED);
	if (ref)
		zp_inflight_put();
}

#endif /* ZP_INFLIGHT_H */
