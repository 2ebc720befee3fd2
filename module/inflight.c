// SPDX-License-Identifier: GPL-2.0
/*
 * Faults diverted to a replacement that may sleep and not yet returned
 * from it (ZP_ANON_TAKES_REF says which), so that unload waits for them to
 * drain, not merely for RCU-tasks.
 */
#include <linux/completion.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>

#include "zeropage_arch.h"
#include "zp_inflight.h"

#ifndef ZP_NO_HOOKS

struct percpu_ref zp_inflight;
static DECLARE_COMPLETION(zp_inflight_drained);

static void zp_inflight_release(struct percpu_ref *ref)
{
	complete(&zp_inflight_drained);
}

int zp_inflight_init(void)
{
	return percpu_ref_init(&zp_inflight, zp_inflight_release, 0, GFP_KERNEL);
}

void zp_inflight_put(void)
{
	percpu_ref_put(&zp_inflight);
}

/* Once the hooks are gone, so that no new diversion begins. */
void zp_inflight_drain(void)
{
	/* ... then wait for the diverted faults still running ... */
	percpu_ref_kill(&zp_inflight);
	wait_for_completion(&zp_inflight_drained);
	/*
	 * ... and for tasks preempted between their last reference drop and
	 * the return out of this module's text: RCU-tasks waits for every
	 * task to pass a voluntary schedule or user mode.
	 */
	synchronize_rcu_tasks();
	percpu_ref_exit(&zp_inflight);
}

void zp_inflight_exit(void)
{
	percpu_ref_exit(&zp_inflight);
}

#else /* ZP_NO_HOOKS */

void zp_inflight_put(void)
{
}

#endif /* ZP_NO_HOOKS */
