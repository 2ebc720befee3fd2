// SPDX-License-Identifier: GPL-2.0
/*
 * The fault hooks: which of the kernel's fault functions to hook, the
 * callbacks that divert a fault into the fault path (fault.c), and the
 * order of attaching and detaching everything at load and unload.
 *
 * The fault hooks are ftrace callbacks with IPMODIFY, the mechanism
 * livepatch uses: the callback (which may not sleep) only decides, and a
 * fault the module wants is diverted to a replacement function that runs in
 * the faulting task's own context, where the PTE lock may be taken even on
 * PREEMPT_RT, where spinlocks sleep.  A kprobe pre-handler could not do that.
 *
 * Where ftrace cannot send a function on to this module (no ftrace with
 * registers, as on mips; the mcount call after the prologue, as on 32-bit
 * arm; a TOC-switching ABI, as on 64-bit powerpc), a kprobe on
 * handle_mm_fault() does the module's part in place, before the kernel's
 * fault handler runs: only outside PREEMPT_RT, since it takes the PTE lock
 * in the probe handler.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/string.h>

#include "zeropage_arch.h"
#include "zp_fault.h"
#include "zp_ftrace_attach.h"
#include "zp_hooks.h"
#include "zp_inflight.h"
#include "zp_probes.h"
#include "zp_stats.h"

#ifndef ZP_NO_HOOKS

#ifdef ZP_HOOK_DIVERT

#ifdef ZP_FTRACE_ARGS
/*
 * As livepatch does where the kernel has ftrace with arguments: the
 * trampoline saves only the argument registers, and the callback is called
 * without the recursion-assist wrapper (FTRACE_OPS_FL_RECURSION) or
 * disabled preemption.  It cannot recurse (it calls nothing that reaches a
 * hooked function) and does not mind preemption (per-CPU counters with
 * this_cpu ops; percpu_ref has its own RCU).
 */
#define ZP_FTRACE_FLAGS (FTRACE_OPS_FL_IPMODIFY | FTRACE_OPS_FL_PERMANENT)
#else
#define ZP_FTRACE_FLAGS (FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY | \
			 FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_PERMANENT)
#endif

static void notrace zp_anon_page_thunk(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct vm_fault *vmf = (struct vm_fault *)zp_arg(fregs, 0);

	/* Most faults end here: written ones, without a call. */
	if (!zp_is_read_fault(vmf->flags))
		return;
	if (zp_anon_fault_route(vmf) && zp_diversion_begin(ZP_ANON_TAKES_REF))
		zp_divert(fregs, zp_do_anonymous_page);
}

static void notrace zp_mm_fault_thunk(unsigned long ip, unsigned long parent_ip,
				      struct ftrace_ops *ops,
				      struct ftrace_regs *fregs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)zp_arg(fregs, 0);

	/* The replacement calls the real handle_mm_fault(): let it through. */
	if (within_module(parent_ip, THIS_MODULE))
		return;
	if (zp_mm_fault_route(vma, zp_arg(fregs, 2)) && zp_diversion_begin(true))
		zp_divert(fregs, zp_handle_mm_fault);
}

#ifdef ZP_CAN_SET_ARG
/* __handle_mm_fault(vma, address, flags): mode never's flags, or a diversion. */
static void notrace zp_inner_fault_thunk(unsigned long ip, unsigned long parent_ip,
					 struct ftrace_ops *ops,
					 struct ftrace_regs *fregs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)zp_arg(fregs, 0);
	unsigned int flags = zp_arg(fregs, 2);
	pmd_t *pmdp;

	if (!zp_is_read_fault(flags))
		return;		/* every fault passes here: writes without a call */
	switch (zp_inner_fault_route(vma, zp_arg(fregs, 1), &flags, &pmdp)) {
	case ZP_EARLY_DIVERT:
		if (zp_diversion_begin(ZP_ANON_TAKES_REF)) {
			/* The replacement takes the PMD entry for the flags. */
			zp_set_arg(fregs, 2, (unsigned long)pmdp);
			zp_divert(fregs, zp_finish_read_fault);
		}
		break;
	case ZP_EARLY_FLAGS:
		/* Only ever adds bits: the register's upper half stays as it was. */
		zp_set_arg(fregs, 2, zp_arg(fregs, 2) | flags);
		break;
	case ZP_EARLY_NONE:
		break;
	}
}
#else
#define zp_inner_fault_thunk NULL	/* mode never could not change the flags */
#endif

struct zp_strategy {
	const char *target;
	ftrace_func_t thunk;
};

#define ZP_HOOK_KIND "ftrace-ipmodify"
static const struct zp_strategy zp_strategies[] = {
	{ "do_anonymous_page", zp_anon_page_thunk },
	{ "__handle_mm_fault", zp_inner_fault_thunk },
	{ "handle_mm_fault", zp_mm_fault_thunk },
};

static struct ftrace_ops zp_fault_ops = {
	.flags = ZP_FTRACE_FLAGS,
};

static int zp_attach_fault(const struct zp_strategy *s)
{
	return zp_ftrace_attach(&zp_fault_ops, s->target, s->thunk);
}

static void zp_detach_fault(void)
{
	/* No new diversions once this returns ... */
	zp_ftrace_detach(&zp_fault_ops);
}

#else /* ZP_HOOK_INPLACE */

/*
 * handle_mm_fault(vma, address, flags, regs): the module's part of a private
 * anonymous read fault, done in the probe handler; a changed flags word goes
 * back into its argument register.
 */
static int zp_mm_fault_pre(struct kprobe *kp, struct pt_regs *regs)
{
	struct vm_area_struct *vma = (struct vm_area_struct *)zp_regs_arg(regs, 0);
	unsigned int flags = zp_regs_arg(regs, 2), to;

	if (zp_mm_fault_route(vma, flags)) {
		to = zp_mm_fault_prepare(vma, zp_regs_arg(regs, 1), flags);
		/* Only ever adds bits: the register's upper half stays as it was. */
		*zp_regs_argp(regs, 2) |= to & ~flags;
	}
	return zp_kprobe_done(kp, regs);
}

struct zp_strategy {
	const char *target;
	kprobe_pre_handler_t pre;
};

#define ZP_HOOK_KIND "kprobe-inplace"
static const struct zp_strategy zp_strategies[] = {
	{ "do_anonymous_page", NULL },	/* replacing it needs a diversion */
	{ "__handle_mm_fault", NULL },
	{ "handle_mm_fault", zp_mm_fault_pre },
};

static struct kprobe zp_fault_probe;

static int zp_attach_fault(const struct zp_strategy *s)
{
	if (!s->pre) {
		struct kprobe kp = { .symbol_name = s->target, .flags = KPROBE_FLAG_DISABLED };
		int ret = register_kprobe(&kp);

		if (ret)
			return ret;	/* -ENOENT: no such function */
		unregister_kprobe(&kp);
		return -EOPNOTSUPP;
	}
	memset(&zp_fault_probe, 0, sizeof(zp_fault_probe));
	zp_fault_probe.symbol_name = s->target;
	zp_fault_probe.pre_handler = s->pre;
	return register_kprobe(&zp_fault_probe);
}

static void zp_detach_fault(void)
{
	unregister_kprobe(&zp_fault_probe);
}

#endif /* ZP_HOOK_INPLACE */

static const struct zp_strategy *zp_attached;
static char zp_hook_desc[96];

static const char *zp_attach_error(int err)
{
	switch (err) {
	case -ENOENT:
		return "no such function in this kernel (inlined or renamed)";
	case -EINVAL:
		return "the function is blacklisted for kprobes";
	case -ENXIO:
		return "the function has no ftrace entry";
	case -EOPNOTSUPP:
		return "hooking it needs ftrace with registers, which this kernel lacks";
	case -EBUSY:
		return "another ftrace user (livepatch?) already redirects it";
	default:
		return "attaching failed";
	}
}

int zp_hooks_attach(const char *strategy)
{
	char passed_over[256] = "";	/* why auto took a later strategy */
	const char *cow_kind;
	size_t len = 0;
	int i, ret;
	bool forced = strcmp(strategy, "auto");

	ret = zp_arch_ready();
	if (ret)
		return ret;
	ret = zp_inflight_init();
	if (ret)
		return ret;
	ret = -ENOENT;
	for (i = 0; i < ARRAY_SIZE(zp_strategies); i++) {
		const struct zp_strategy *s = &zp_strategies[i];

		if (forced && strcmp(strategy, s->target))
			continue;
		ret = zp_attach_fault(s);
		if (!ret) {
			zp_attached = s;
			break;
		}
		if (ret == -EBUSY && zp_ftrace_off()) {
			pr_err("refusing to load: ftrace is off (sysctl kernel.ftrace_enabled=0), and the fault hooks need it\n");
			zp_inflight_exit();
			return -EBUSY;
		}
		len += scnprintf(passed_over + len, sizeof(passed_over) - len, "; not %s: %s",
				 s->target, zp_attach_error(ret));
	}
	if (ret) {
		/* auto: each candidate with its own reason, as on success */
		if (forced)
			pr_err("refusing to load: no usable fault hook (%s): %s\n",
			       strategy, zp_attach_error(ret));
		else
			pr_err("refusing to load: no usable fault hook:%s\n",
			       passed_over + 1);
		zp_inflight_exit();
		return ret;
	}

	if (strcmp(zp_attached->target, "do_anonymous_page"))
		zp_find_thp_flags();	/* until then, the conservative answers */
	zp_probes_attach();
	cow_kind = zp_cow_probe_kind();
	snprintf(zp_hook_desc, sizeof(zp_hook_desc), "%s " ZP_HOOK_KIND,
		 zp_attached->target);
	/* One line: an expected fallback is no failure. */
	if (cow_kind)
		pr_info("hooked %s (" ZP_HOOK_KIND "), do_wp_page (%s)%s\n",
			zp_attached->target, cow_kind, passed_over);
	else
		pr_info("hooked %s (" ZP_HOOK_KIND ")%s\n", zp_attached->target, passed_over);
	return 0;
}

void zp_hooks_detach(void)
{
	/*
	 * What unload waited for, the evidence the reliability tests look for
	 * that unloading raced with faults (percpu_ref keeps no count it would
	 * tell).  Diversions first, then returns: the difference is never more
	 * than were in flight as unloading began.
	 */
	unsigned long inflight = zp_stat_sum(ZP_STAT_DIVERTED);
	unsigned long returned = zp_stat_sum(ZP_STAT_RETURNED);

	inflight = inflight > returned ? inflight - returned : 0;
	zp_probes_detach();
	zp_detach_fault();
	zp_inflight_drain();
	pr_info("unload: %lu diverted faults returned while unloading, %lu of them in flight as it began\n",
		zp_stat_sum(ZP_STAT_RETURNED) - returned, inflight);
}

const char *zp_hooks_describe(void)
{
	return zp_hook_desc;
}

#else /* ZP_NO_HOOKS */

int zp_hooks_attach(const char *strategy)
{
	pr_err("refusing to load on %s: no fault hook: this kernel lacks kprobes, or is PREEMPT_RT without ftrace with registers\n",
	       ZP_THIS_ARCH);
	return -EOPNOTSUPP;
}

void zp_hooks_detach(void)
{
}

const char *zp_hooks_describe(void)
{
	return "none";
}

#endif /* ZP_NO_HOOKS */
