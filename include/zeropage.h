/* SPDX-License-Identifier: GPL-2.0 */
/* zeropage: what the module's parts share. */
#ifndef ZEROPAGE_H
#define ZEROPAGE_H

#include <linux/jump_label.h>
#include <linux/mm.h>
#include <linux/percpu.h>

#define ZP_VERSION "0.1.0"

enum zp_mode {
	ZP_MODE_ALWAYS,
	ZP_MODE_NEVER,
};

/* Order and names of stats/ files, then the counters only unload reports. */
enum zp_stat {
	ZP_STAT_ZERO_MAPPED,
	ZP_STAT_PRIVATE_MAPPED,
	ZP_STAT_PASSED,
	ZP_STAT_COW_FROM_ZERO,
	ZP_STAT_AROUND_MAPPED,
	ZP_STAT_WALKER_ZERO,
	ZP_STAT_AUDIT_VIOLATIONS,
	ZP_NR_STATS,
	ZP_STAT_DIVERTED = ZP_NR_STATS,	/* faults diverted to a replacement */
	ZP_STAT_RETURNED,		/* ... and returned from it */
	ZP_NR_COUNTERS,
};

struct zp_stats {
	unsigned long count[ZP_NR_COUNTERS];
};

DECLARE_PER_CPU(struct zp_stats, zp_stats);

static inline void zp_count(enum zp_stat stat)
{
	this_cpu_inc(zp_stats.count[stat]);
}

static inline void zp_count_add(enum zp_stat stat, unsigned long n)
{
	this_cpu_add(zp_stats.count[stat], n);
}

unsigned long zp_stat_sum(enum zp_stat stat);

/* Runtime knobs (sysfs.c owns their parsing, fault.c reads them). */
extern int zp_mode;
const char *zp_mode_name(int mode);
extern unsigned int zp_fault_around_bytes;
#define ZP_FAULT_AROUND_MAX	(PTRS_PER_PTE * PAGE_SIZE)
int zp_parse_mode(const char *buf, size_t count);
int zp_check_fault_around(const char *buf, size_t count, unsigned int *bytes);

/* arch.c: the capability-table verdict. */
int zp_arch_check(void);
const char *zp_arch_verdict(void);

/* hooks.c: attaching to the fault path. */
int zp_hooks_attach(const char *strategy);
void zp_hooks_detach(void);
const char *zp_hooks_describe(void);
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
void zp_inflight_put(void);

/*
 * A diverted fault returns; @ref: its diversion took an in-flight
 * reference.  Inline: it is on every diverted fault's path.
 */
static inline void zp_hook_exit(bool ref)
{
	zp_count(ZP_STAT_RETURNED);
	if (ref)
		zp_inflight_put();
}

/* A fault that reads (the only kind the module takes). */
static inline bool zp_is_read_fault(unsigned int flags)
{
	return !(flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE));
}

int zp_audit_set(bool on);
bool zp_audit_enabled(void);

/*
 * fault.c: the decisions.  The *_route functions run in the ftrace
 * callback (may not sleep, may be preempted) and say whether to divert
 * the call to the replacement, which runs in the faulting task's context.
 */
bool zp_anon_fault_route(struct vm_fault *vmf);	/* for read faults */
vm_fault_t zp_do_anonymous_page(struct vm_fault *vmf);
void zp_mm_fault_init(void);
bool zp_mm_fault_route(struct vm_area_struct *vma, unsigned int flags);
vm_fault_t zp_handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			      unsigned int flags, struct pt_regs *regs);

enum zp_early {
	ZP_EARLY_NONE,		/* the kernel's fault, as it came */
	ZP_EARLY_FLAGS,		/* the kernel's, with the flags changed */
	ZP_EARLY_DIVERT,	/* the module's: divert to the replacement */
};

enum zp_early zp_inner_fault_route(struct vm_area_struct *vma, unsigned long address,
				   unsigned int *flags, pmd_t **pmdpp);
vm_fault_t zp_finish_read_fault(struct vm_area_struct *vma, unsigned long address,
				pmd_t *pmdp);

/*
 * cgroup_policy.c: a zero-page mode for a cgroup v2 subtree, with the
 * counters its faults add to (those before ZP_STAT_COW_FROM_ZERO).
 */
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
/* A cgroups line's word (sysfs.c): a mode, or ZP_POLICY_INHERIT (none). */
#define ZP_POLICY_INHERIT	(ZP_MODE_NEVER + 1)
int zp_parse_policy_mode(const char *buf, size_t count);
ssize_t zp_policy_store(const char *buf, size_t count);
ssize_t zp_policy_show(char *buf, bool stats);
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

/* fault.c: a huge-PMD read fault, before the kernel's huge-zero-page check. */
void zp_huge_read_fault(struct vm_fault *vmf);

/* sysfs.c */
int zp_sysfs_init(void);
void zp_sysfs_exit(void);

#endif /* ZEROPAGE_H */
