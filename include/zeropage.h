/* SPDX-License-Identifier: GPL-2.0 */
/* zeropage: what the module's parts share. */
#ifndef ZEROPAGE_H
#define ZEROPAGE_H

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
 * Must unload wait for each fault diverted to the do_anonymous_page()
 * replacement, or does RCU-tasks do?  RCU-tasks waits for every task
 * preempted in a replacement, not for one that sleeps there voluntarily;
 * that replacement never does, but on PREEMPT_RT its PTE lock can block,
 * and an rtlock wait counts as a voluntary switch (nvcsw).  The
 * handle_mm_fault() replacement runs the kernel's fault handler, which
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
				   unsigned int *flags);
vm_fault_t zp_finish_read_fault(struct vm_area_struct *vma, unsigned long address,
				unsigned int flags);

/* sysfs.c */
int zp_sysfs_init(void);
void zp_sysfs_exit(void);

#endif /* ZEROPAGE_H */
