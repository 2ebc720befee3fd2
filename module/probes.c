// SPDX-License-Identifier: GPL-2.0
/*
 * The counting probes and the huge path's.
 *
 * The counting probes (cow_from_zero, audit) only read their arguments:
 * cow_from_zero a plain ftrace callback where ftrace has arguments, else,
 * like audit, a kprobe (ftrace-based where the kernel can).  The huge
 * path's kprobe hands do_huge_pmd_anonymous_page()'s fault to fault.c
 * before the kernel's huge-zero-page check.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/string.h>

#include "zeropage_arch.h"
#include "zp_fault.h"
#include "zp_ftrace_attach.h"
#include "zp_probes.h"
#include "zp_stats.h"
#include "zp_symbols.h"

#ifndef ZP_NO_HOOKS

static bool zp_cow_probed;
static bool zp_huge_probed;

/* do_wp_page(vmf): a write fault on a zero-page PTE, about to copy it. */
static __always_inline void zp_wp_count(struct vm_fault *vmf)
{
	if ((vmf->flags & FAULT_FLAG_WRITE) && is_zero_pfn(pte_pfn(vmf->orig_pte)))
		zp_count(ZP_STAT_COW_FROM_ZERO);
}

#if defined(ZP_HOOK_DIVERT) && defined(ZP_FTRACE_ARGS)
/*
 * Every copy-on-write fault passes do_wp_page(), and counting needs only
 * its argument: a plain ftrace callback, as cheap as the fault hook's entry,
 * where a kprobe would add the SAVE_REGS trampoline and the kprobe handler
 * to each of them.
 */
#define ZP_WP_KIND "ftrace"

static void notrace zp_wp_thunk(unsigned long ip, unsigned long parent_ip,
				struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
	zp_wp_count((struct vm_fault *)zp_arg(fregs, 0));
}

static struct ftrace_ops zp_wp_ops = {
	.flags = FTRACE_OPS_FL_PERMANENT,
};

static int zp_wp_attach(void)
{
	return zp_ftrace_attach(&zp_wp_ops, "do_wp_page", zp_wp_thunk);
}

static void zp_wp_detach(void)
{
	zp_ftrace_detach(&zp_wp_ops);
}
#else
static int zp_wp_pre(struct kprobe *kp, struct pt_regs *regs)
{
	zp_wp_count((struct vm_fault *)zp_regs_arg(regs, 0));
	return zp_kprobe_done(kp, regs);
}

static struct kprobe zp_wp_probe = {
	.symbol_name = "do_wp_page",
	.pre_handler = zp_wp_pre,
};

#define ZP_WP_KIND (kprobe_ftrace(&zp_wp_probe) ? "kprobe-ftrace" : "kprobe")

static int zp_wp_attach(void)
{
	return zp_register_entry_kprobe(&zp_wp_probe, 0);
}

static void zp_wp_detach(void)
{
	unregister_kprobe(&zp_wp_probe);
}
#endif

/*
 * A pte_t argument (zp_audit_set() checks it fits a register): the register
 * holds pte_t's bits, which differ from pte_val() where pte_t is stored
 * big-endian (powerpc64 little-endian), so __pte() would not rebuild it.
 */
static pte_t zp_regs_pte(struct pt_regs *regs, unsigned int n)
{
	unsigned long raw = zp_regs_arg(regs, n);
	pte_t pte = __pte(0);

	memcpy(&pte, &raw, min(sizeof(pte), sizeof(raw)));
	return pte;
}

static int zp_normal_page_pre(struct kprobe *kp, struct pt_regs *regs)
{
	pte_t pte = zp_regs_pte(regs, 2);

	if (is_zero_pfn(pte_pfn(pte))) {
		zp_count(ZP_STAT_WALKER_ZERO);
		if (!pte_special(pte)) {
			zp_count(ZP_STAT_AUDIT_VIOLATIONS);
			WARN_ONCE(1, "zeropage: zero pfn mapped without the special bit\n");
		}
	}
	return zp_kprobe_done(kp, regs);
}

/* do_huge_pmd_anonymous_page(vmf): cgroup policies on the huge path. */
static int zp_huge_pre(struct kprobe *kp, struct pt_regs *regs)
{
	zp_huge_read_fault((struct vm_fault *)zp_regs_arg(regs, 0));
	return zp_kprobe_done(kp, regs);
}

static struct kprobe zp_huge_probe = {
	.symbol_name = "do_huge_pmd_anonymous_page",
	.pre_handler = zp_huge_pre,
};

static struct kprobe zp_audit_probe = {
	.symbol_name = "vm_normal_page",
	.pre_handler = zp_normal_page_pre,
};

static DEFINE_MUTEX(zp_audit_lock);
static bool zp_audit_on;

int zp_audit_set(bool on)
{
	int ret = 0;

	/* The PTE must arrive whole in one argument register. */
	if (sizeof(pte_t) > sizeof(unsigned long))
		return -EOPNOTSUPP;
	mutex_lock(&zp_audit_lock);
	if (on && !zp_audit_on)
		ret = zp_register_entry_kprobe(&zp_audit_probe, 0);
	else if (!on && zp_audit_on)
		unregister_kprobe(&zp_audit_probe);
	if (!ret)
		zp_audit_on = on;
	mutex_unlock(&zp_audit_lock);
	return ret;
}

bool zp_audit_enabled(void)
{
	return READ_ONCE(zp_audit_on);
}

void zp_probes_attach(void)
{
	zp_huge_probed = !zp_register_entry_kprobe(&zp_huge_probe, 0);
	if (!zp_huge_probed && IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		pr_info("do_huge_pmd_anonymous_page cannot be probed: huge read faults ignore cgroup policies\n");
	zp_cow_probed = !zp_wp_attach();
	if (!zp_cow_probed)
		pr_info("do_wp_page cannot be probed: stats/cow_from_zero stays 0\n");
}

const char *zp_cow_probe_kind(void)
{
	return zp_cow_probed ? ZP_WP_KIND : NULL;
}

void zp_probes_detach(void)
{
	zp_audit_set(false);
	if (zp_cow_probed)
		zp_wp_detach();
	if (zp_huge_probed)
		unregister_kprobe(&zp_huge_probe);
}

#else /* ZP_NO_HOOKS */

int zp_audit_set(bool on)
{
	return on ? -EOPNOTSUPP : 0;
}

bool zp_audit_enabled(void)
{
	return false;
}

#endif /* ZP_NO_HOOKS */
