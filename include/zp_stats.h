/* SPDX-License-Identifier: GPL-2.0 */
/* stats.c: the module's counters, per CPU, summed when read. */
#ifndef ZP_STATS_H
#define ZP_STATS_H

#include <linux/irqflags.h>	/* ppc64's this_cpu ops need it first */
#include <linux/percpu.h>

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

/* @stat's count over every CPU. */
unsigned long zp_stat_sum(enum zp_stat stat);

#endif /* ZP_STATS_H */
