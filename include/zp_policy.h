/* SPDX-License-Identifier: GPL-2.0 */
/*
 * cgroup_policy.c: a zero-page mode for a cgroup v2 subtree, with the
 * counters its faults add to (those before ZP_STAT_COW_FROM_ZERO).
 */
#ifndef ZP_POLICY_H
#define ZP_POLICY_H

#include <linux/jump_label.h>
#include <linux/list.h>
#include <linux/percpu.h>

#include "zp_modes.h"
#include "zp_stats.h"

struct cgroup;
struct mm_struct;

struct zp_policy_counts {
	unsigned long count[ZP_STAT_COW_FROM_ZERO];
};

struct zp_policy {
	struct hlist_node node;		/* in the table, under RCU */
	struct hlist_node dead;		/* awaiting its grace period */
	struct cgroup *cgroup;		/* held until the entry is freed */
	u64 id;				/* the cgroup's */
	int mode;
	struct zp_policy_counts __percpu *counts;
	char path[];			/* from the cgroup2 root */
};

DECLARE_STATIC_KEY_FALSE(zp_cgroup_policies);

/* Does any cgroup have a policy?  A patched-out branch while none does. */
static __always_inline bool zp_policies_set(void)
{
	return static_branch_unlikely(&zp_cgroup_policies);
}

/*
 * The policy for faults on @mm, also remote ones (/proc/PID/mem, ptrace):
 * the nearest listed ancestor of its owner's cgroup (the task memcg
 * charges @mm to), or NULL; under rcu_read_lock().
 */
struct zp_policy *zp_policy_of(struct mm_struct *mm);
/* The `cgroups` file: a write ("MODE PATH"), a listing (or `cgroup_stats`'). */
ssize_t zp_policy_store(const char *buf, size_t count);
ssize_t zp_policy_show(char *buf, bool stats);
/* At unload, after the hooks are gone: free every entry. */
void zp_policies_exit(void);

/* The mode a fault of @policy's (NULL: no policy) gets. */
static __always_inline int zp_mode_for(const struct zp_policy *policy)
{
	return policy ? READ_ONCE(policy->mode) : READ_ONCE(zp_mode);
}

/* Count @stat globally and, with a policy, for its entry. */
static __always_inline void zp_count_for(enum zp_stat stat,
					 struct zp_policy *policy)
{
	zp_count(stat);
	if (policy)
		this_cpu_inc(policy->counts->count[stat]);
}

/*
 * A fault the module will answer with the zero page counts for its entry
 * when decided, with the entry the decision looked up (valid only in that
 * RCU section): one look-up per fault.  stats/zero_mapped counts the PTE
 * once installed.
 */
static __always_inline void zp_policy_count_zero(struct zp_policy *policy)
{
	if (policy)
		this_cpu_inc(policy->counts->count[ZP_STAT_ZERO_MAPPED]);
}

#endif /* ZP_POLICY_H */
