// SPDX-License-Identifier: GPL-2.0
/* The capability-table verdict for the machine the module is loading on. */
#include <linux/kernel.h>
#include <linux/string.h>

#include "zeropage_arch.h"

static const struct zp_arch_cap zp_arch_table[] = ZP_ARCH_TABLE;

static const char zp_no_special[] =
	"this kernel has no pte_special: a zero-page PTE would look like a normal one";
static const char zp_aliasing[] =
	"this CPU's data cache aliases: one zero page cannot serve every cache colour";
static char zp_verdict[160];

static const struct zp_arch_cap *zp_this_arch(void)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(zp_arch_table); i++)
		if (!strcmp(zp_arch_table[i].arch, ZP_THIS_ARCH))
			return &zp_arch_table[i];
	return NULL;
}

int zp_arch_check(void)
{
	const struct zp_arch_cap *cap = zp_this_arch();
	const char *why = NULL;

	if (!cap)
		why = "it is missing from the capability table";
	else if (!IS_ENABLED(CONFIG_ARCH_HAS_PTE_SPECIAL))
		why = zp_no_special;
	else if (zp_dcache_aliases(cap->alias))
		why = zp_aliasing;

	if (why) {
		snprintf(zp_verdict, sizeof(zp_verdict), "%s: refused: %s", ZP_THIS_ARCH, why);
		pr_err("refusing to load on %s: %s\n", ZP_THIS_ARCH, why);
		return -EOPNOTSUPP;
	}
	snprintf(zp_verdict, sizeof(zp_verdict), "%s: supported: pte_special, %s",
		 ZP_THIS_ARCH, cap->reason);
	return 0;
}

const char *zp_arch_verdict(void)
{
	return zp_verdict;
}
