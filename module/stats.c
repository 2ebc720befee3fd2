// SPDX-License-Identifier: GPL-2.0
/* The module's counters: per CPU, written with this_cpu ops, summed when read. */
#include <linux/percpu.h>

#include "zp_stats.h"

DEFINE_PER_CPU(struct zp_stats, zp_stats);

unsigned long zp_stat_sum(enum zp_stat stat)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu(zp_stats, cpu).count[stat];
	return sum;
}
