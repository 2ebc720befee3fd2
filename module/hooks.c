// SPDX-License-Identifier: GPL-2.0
/*
 * Hook resolution and attachment.
 *
 * The fault hooks are ftrace callbacks with IPMODIFY, the mechanism
 * livepatch uses: the callback (which may not sleep) only decides, and a
 * fault the module wants is diverted to a replacement function that runs in
 * the faulting task's own context, where the PTE lock may be taken even on
 * PREEMPT_RT, where spinlocks sleep.  A kprobe pre-handler could not do that.
 *
 * Targets are resolved by name with a probe-only kprobe: it fails with
 * -ENOENT where the function was inlined and -EINVAL where it is
 * blacklisted, and tells whether it sits on an ftrace site.
 *
 * The counting probes (cow_from_zero, audit) only read their arguments:
 * cow_from_zero a plain ftrace callback where ftrace has arguments, else,
 * like audit, a kprobe (ftrace-based where the kernel can).
 *
 * Every ftrace_ops is PERMANENT, as livepatch's are: while the module is
 * loaded, sysctl kernel.ftrace_enabled=0 fails with EBUSY instead of
 * detaching the hooks behind the module's back, and with ftrace off the
 * module refuses to load.
 *
 * Where ftrace cannot send a function on to this module (no ftrace with
 * registers, as on mips; the mcount call after the prologue, as on 32-bit
 * arm; a TOC-switching ABI, as on 64-bit powerpc), a kprobe on
 * handle_mm_fault() does the module's part in place, before the kernel's
 * fault handler runs: only outside PREEMPT_RT, since it takes the PTE lock
 * in the probe handler.
 */
#include <linux/completion.h>
#include <linux/ftrace.h>
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu-refcount.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#endif

#include "zeropage.h"
#include "zeropage_arch.h"
#include "zeropage_compat.h"

#ifndef ZP_NO_HOOKS

/* Argument @n of a probed function, at its first instruction. */
static unsigned long zp_regs_arg(struct pt_regs *regs, unsigned int n)
{
#ifdef CONFIG_X86
	return regs_get_kernel_argument(regs, n);
#else
	return *zp_regs_argp(regs, n);
#endif
}

#if defined(CONFIG_DYNAMIC_FTRACE) && !defined(CONFIG_KPROBES_ON_FTRACE)
#define ZP_PROBE_SKIP_MAX 32	/* past a patchable entry's NOPs */
#else
#define ZP_PROBE_SKIP_MAX 0
#endif

/*
 * Register @kp (symbol_name set) on its function's entry, with @flags
 * (KPROBE_FLAG_DISABLED: a probe that only resolves, never armed, so it
 * touches no ftrace site).  Where a kprobe
 * cannot sit on an ftrace site (no KPROBES_ON_FTRACE: riscv's patchable
 * entry), on the first instruction after it: only NOPs ran before it, so
 * the arguments are still in their registers.  A probe inside an
 * instruction is refused too, hence the 2-byte steps; a function that is
 * not there (-ENOENT) is not there at any offset.
 */
static int zp_register_entry_kprobe(struct kprobe *kp, u32 flags)
{
	unsigned int skip;
	int ret;

	for (skip = 0; ; skip += 2) {
		kp->addr = NULL;
		kp->flags = flags;
		kp->offset = skip;
		ret = register_kprobe(kp);
		if (!ret || ret == -ENOENT || skip >= ZP_PROBE_SKIP_MAX)
			return ret;
	}
}

/*
 * The start of the kernel function @name, exported or not: where a probe
 * on it sits (the local entry point on powerpc, past ENDBR with IBT),
 * moved back by its offset in the symbol.  0 if there is none.
 */
static unsigned long zp_symbol_start(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	char sym[KSYM_SYMBOL_LEN];
	unsigned long addr, off;
	size_t len = strlen(name);

	if (zp_register_entry_kprobe(&kp, KPROBE_FLAG_DISABLED))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	sprint_symbol(sym, addr);	/* "name+0x8/0x1a0" */
	if (strncmp(sym, name, len) || sym[len] != '+' ||
	    sscanf(sym + len, "+%lx/", &off) != 1 || off > addr)
		return 0;
	return addr - off;
}

/*
 * May the module call the kernel function at @addr through a pointer?
 * With IBT (x86 CONFIG_X86_KERNEL_IBT), an indirect call must land on
 * ENDBR64.  objtool lists the functions whose address is never taken,
 * kallsyms_lookup_name() among them, and on a CPU with IBT enabled
 * apply_seal_endbr() (arch/x86/kernel/alternative.c) overwrites their
 * ENDBR with a 4-byte NOP: calling one through a pointer raises a control
 * protection fault, "Missing ENDBR", and the kernel BUGs.  So call only a
 * function that begins with ENDBR64 itself; not is_endbr(), which also
 * accepts the sealing NOP (it serves kprobes and ftrace, which skip it).
 * Without IBT in the kernel, nothing is sealed and the CPU checks nothing.
 */
static bool zp_may_call(unsigned long addr)
{
#if defined(ZP_TEST_IBT_SEALED)
	/* The test bed's second build: as if an IBT CPU had sealed it. */
	return false;
#elif defined(CONFIG_X86_KERNEL_IBT)
	u32 insn;

	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return false;
	return insn == gen_endbr();
#else
	return true;
#endif
}

unsigned long zp_kernel_function(const char *name)
{
	static unsigned long lookup;
	static bool resolved;

	/* Only at load, from the module's init: no concurrent caller. */
	if (!resolved) {
		resolved = true;
		lookup = zp_symbol_start("kallsyms_lookup_name");
		if (lookup && !zp_may_call(lookup)) {
			pr_info("kallsyms_lookup_name() was sealed for IBT (no ENDBR): not calling it; the kernel symbols it would find stay unknown\n");
			lookup = 0;
		}
	}
	if (!lookup)
		return 0;
	return ((unsigned long (*)(const char *))lookup)(name);
}

/*
 * Faults diverted to a replacement that may sleep and not yet returned
 * from it (ZP_ANON_TAKES_REF says which), so that unload waits for them to
 * drain, not merely for RCU-tasks.
 */
static struct percpu_ref zp_inflight;
static DECLARE_COMPLETION(zp_inflight_drained);

static void zp_inflight_release(struct percpu_ref *ref)
{
	complete(&zp_inflight_drained);
}

void zp_inflight_put(void)
{
	percpu_ref_put(&zp_inflight);
}

#ifdef ZP_HOOK_DIVERT

/* The callback's half: may this fault be diverted (@ref: taking a reference)? */
static bool zp_hook_enter(bool ref)
{
	if (ref && !percpu_ref_tryget_live(&zp_inflight))
		return false;
	zp_count(ZP_STAT_DIVERTED);
	return true;
}

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

static unsigned long zp_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return zp_fregs_argument(fregs, n);
}

static void zp_divert(struct ftrace_regs *fregs, void *to)
{
	zp_fregs_set_ip(fregs, (unsigned long)to);
}

#ifdef ZP_FREGS_PT_REGS
/* The trampoline reloads the argument registers from here. */
#define ZP_CAN_SET_ARG
static void zp_set_arg(struct ftrace_regs *fregs, unsigned int n, unsigned long val)
{
	*zp_regs_argp(zp_fregs_pt_regs(fregs), n) = val;
}
#endif
#else
#define ZP_FTRACE_FLAGS (FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY | \
			 FTRACE_OPS_FL_RECURSION | FTRACE_OPS_FL_PERMANENT)

static unsigned long zp_arg(struct ftrace_regs *fregs, unsigned int n)
{
	return zp_regs_arg(ftrace_get_regs(fregs), n);
}

static void zp_divert(struct ftrace_regs *fregs, void *to)
{
	instruction_pointer_set(ftrace_get_regs(fregs), (unsigned long)to);
}

#define ZP_CAN_SET_ARG
static void zp_set_arg(struct ftrace_regs *fregs, unsigned int n, unsigned long val)
{
	*zp_regs_argp(ftrace_get_regs(fregs), n) = val;
}
#endif

static void notrace zp_anon_page_thunk(unsigned long ip, unsigned long parent_ip,
				       struct ftrace_ops *ops,
				       struct ftrace_regs *fregs)
{
	struct vm_fault *vmf = (struct vm_fault *)zp_arg(fregs, 0);

	/* Most faults end here: written ones, without a call. */
	if (!zp_is_read_fault(vmf->flags))
		return;
	if (zp_anon_fault_route(vmf) && zp_hook_enter(ZP_ANON_TAKES_REF))
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
	if (zp_mm_fault_route(vma, zp_arg(fregs, 2)) && zp_hook_enter(true))
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
		if (zp_hook_enter(ZP_ANON_TAKES_REF)) {
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

static void notrace zp_nop_thunk(unsigned long ip, unsigned long parent_ip,
				 struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
}

/*
 * Is ftrace off (sysctl kernel.ftrace_enabled=0)?  Asked when the fault
 * hook's permanent ops was refused with EBUSY, which another IPMODIFY user
 * causes too: a permanent ops without IPMODIFY is refused only while
 * ftrace is off, before ftrace touches any site.  Nothing armed may come
 * before: a kprobe on an ftrace site armed and removed while ftrace is off
 * leaves the site's FTRACE_FL_REGS behind (ftrace_shutdown() skips the
 * update that clears it), and the next removal of ftrace's last ops, once
 * it is on again, finds it and kills ftrace (seen on 6.1: a WARN in
 * ftrace_shutdown(), then a kprobe that cannot be disarmed).  Hence the
 * resolving probes are registered disabled.
 */
static bool zp_ftrace_off(void)
{
	static struct ftrace_ops probe = {
		.func = zp_nop_thunk,
		.flags = FTRACE_OPS_FL_PERMANENT,
	};
	unsigned char target[] = "handle_mm_fault";
	int ret;

	if (ftrace_set_filter(&probe, target, strlen(target), 1))
		return false;	/* not traceable: the strategies will say */
	ret = register_ftrace_function(&probe);
	if (!ret)
		unregister_ftrace_function(&probe);
	ftrace_free_filter(&probe);
	return ret == -EBUSY;
}

#ifdef CONFIG_KPROBES_ON_FTRACE
#define zp_kprobe_on_ftrace(kp) kprobe_ftrace(kp)
#else
/* Without kprobes on ftrace, ftrace_set_filter_ip() is the judge. */
#define zp_kprobe_on_ftrace(kp) true
#endif

/* Where would a probe on @name sit?  Also proves it is an ftrace site. */
static int zp_resolve(const char *name, unsigned long *addr)
{
	struct kprobe kp = { .symbol_name = name, .flags = KPROBE_FLAG_DISABLED };
	bool on_ftrace;
	int ret;

#if ZP_PROBE_SKIP_MAX
	/* No probe may sit on the entry: ftrace_set_filter_ip() judges alone. */
	*addr = zp_symbol_start(name);
	if (*addr)
		return 0;
#endif
	ret = register_kprobe(&kp);
	if (ret)
		return ret;
	on_ftrace = zp_kprobe_on_ftrace(&kp);
	*addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	return on_ftrace ? 0 : -ENXIO;
}

/* Attach @ops, calling @func, to the ftrace site at the entry of @name. */
static int zp_ftrace_attach(struct ftrace_ops *ops, const char *name,
			    ftrace_func_t func)
{
	unsigned long addr;
	int ret;

	ret = zp_resolve(name, &addr);
	if (ret)
		return ret;
	if (!func)
		return -EOPNOTSUPP;	/* the strategy needs what ftrace lacks here */
	ops->func = func;
	ret = ftrace_set_filter_ip(ops, addr, 0, 0);
#ifndef CONFIG_KPROBES_ON_FTRACE
	if (ret == -EINVAL)
		ret = -ENXIO;	/* not an ftrace location */
#endif
	if (ret)
		return ret;
	ret = register_ftrace_function(ops);
	if (ret)
		ftrace_set_filter_ip(ops, addr, 1, 0);
	return ret;
}

/* Once this returns, no callback of @ops runs (ftrace waits for them). */
static void zp_ftrace_detach(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

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

/* No ftrace_ops of the module's: kernel.ftrace_enabled does not matter. */
static bool zp_ftrace_off(void)
{
	return false;
}

#endif /* ZP_HOOK_INPLACE */

static const struct zp_strategy *zp_attached;
static bool zp_cow_probed;
static bool zp_huge_probed;
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

/* ---- Counting probes ---- */

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

int zp_hooks_attach(const char *strategy)
{
	char passed_over[160] = "";	/* why auto took a later strategy */
	size_t len = 0;
	int i, ret;
	bool forced = strcmp(strategy, "auto");

	ret = zp_arch_ready();
	if (ret)
		return ret;
	ret = percpu_ref_init(&zp_inflight, zp_inflight_release, 0, GFP_KERNEL);
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
			percpu_ref_exit(&zp_inflight);
			return -EBUSY;
		}
		len += scnprintf(passed_over + len, sizeof(passed_over) - len, "; not %s: %s",
				 s->target, zp_attach_error(ret));
	}
	if (ret) {
		if (!forced)
			strategy = "tried do_anonymous_page, __handle_mm_fault, handle_mm_fault";
		pr_err("refusing to load: no usable fault hook (%s): %s\n",
		       strategy, zp_attach_error(ret));
		percpu_ref_exit(&zp_inflight);
		return ret;
	}

	if (strcmp(zp_attached->target, "do_anonymous_page"))
		zp_mm_fault_init();	/* until then, the conservative answers */
	zp_huge_probed = !zp_register_entry_kprobe(&zp_huge_probe, 0);
	if (!zp_huge_probed && IS_ENABLED(CONFIG_TRANSPARENT_HUGEPAGE))
		pr_info("do_huge_pmd_anonymous_page cannot be probed: huge read faults ignore cgroup policies\n");
	zp_cow_probed = !zp_wp_attach();
	if (!zp_cow_probed)
		pr_info("do_wp_page cannot be probed: stats/cow_from_zero stays 0\n");
	snprintf(zp_hook_desc, sizeof(zp_hook_desc), "%s " ZP_HOOK_KIND,
		 zp_attached->target);
	/* One line: an expected fallback is no failure. */
	if (zp_cow_probed)
		pr_info("hooked %s (" ZP_HOOK_KIND "), do_wp_page (%s)%s\n",
			zp_attached->target, ZP_WP_KIND, passed_over);
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
	zp_audit_set(false);
	if (zp_cow_probed)
		zp_wp_detach();
	if (zp_huge_probed)
		unregister_kprobe(&zp_huge_probe);
	zp_detach_fault();
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

unsigned long zp_kernel_function(const char *name)
{
	return 0;
}

void zp_hooks_detach(void)
{
}

const char *zp_hooks_describe(void)
{
	return "none";
}

void zp_inflight_put(void)
{
}

int zp_audit_set(bool on)
{
	return on ? -EOPNOTSUPP : 0;
}

bool zp_audit_enabled(void)
{
	return false;
}

#endif /* ZP_NO_HOOKS */
