/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-architecture capability table.
 *
 * Linus' rule from 2009: map the shared zero page with a special PTE only
 * where the architecture has pte_special, and not at all where the data
 * cache is virtually indexed and aliases (one zero page cannot serve every
 * cache colour).  pte_special is a property of the kernel build
 * (CONFIG_ARCH_HAS_PTE_SPECIAL, which some architectures select only
 * conditionally); aliasing is sometimes a property of the CPU and is then
 * asked at load time.
 */
#ifndef ZEROPAGE_ARCH_H
#define ZEROPAGE_ARCH_H

#include <linux/ptrace.h>
#include <linux/types.h>
#ifdef ZP_HAVE_CPU_DCACHE_IS_ALIASING
#include <linux/cacheinfo.h>
#endif
#if defined(CONFIG_ARM)
#include <asm/cachetype.h>
#elif defined(CONFIG_MIPS)
#include <asm/cpu-features.h>
#elif defined(CONFIG_SH)
#include <asm/processor.h>
#elif defined(CONFIG_SPARC64)
#include <asm/page.h>
#endif

enum zp_alias {
	ZP_ALIAS_NEVER,		/* PIPT, or VIPT that cannot alias */
	ZP_ALIAS_ALWAYS,	/* virtually indexed, aliasing data cache */
	ZP_ALIAS_CPU,		/* depends on the CPU: asked at load */
};

struct zp_arch_cap {
	const char *arch;	/* directory under arch/ */
	const char *pte_special; /* when the arch selects ARCH_HAS_PTE_SPECIAL */
	enum zp_alias alias;
	const char *reason;	/* what decides the verdict, in a user's words */
};

/* Every architecture of Linux 6.1 and 6.12 (ia64 left in 6.7). */
#define ZP_ARCH_TABLE {							\
	{ "alpha", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "arc", "always", ZP_ALIAS_CPU,				\
	  "ARCompact VIPT-aliasing D-cache (6.1 CONFIG_ARC_CACHE_VIPT_ALIASING)" }, \
	{ "arm", "with LPAE", ZP_ALIAS_CPU,				\
	  "LPAE kernel; data cache checked at load (ARMv5/v6 VIVT or aliasing VIPT refused)" }, \
	{ "arm64", "always", ZP_ALIAS_NEVER, "PIPT data cache" },	\
	{ "csky", "never", ZP_ALIAS_ALWAYS,				\
	  "no pte_special; abiv1 VIPT D-cache aliases" },		\
	{ "hexagon", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "ia64", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "loongarch", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "m68k", "never", ZP_ALIAS_ALWAYS, "no pte_special; aliasing caches" }, \
	{ "microblaze", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "mips", "unless 32-bit with RIXI", ZP_ALIAS_CPU,		\
	  "data cache checked at load (cpu_has_dc_aliases: a way larger than a page aliases)" }, \
	{ "nios2", "never", ZP_ALIAS_ALWAYS, "no pte_special; D-cache larger than a page" }, \
	{ "openrisc", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "parisc", "always", ZP_ALIAS_ALWAYS, "VIPT data cache with equivalent aliasing" }, \
	{ "powerpc", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "riscv", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "s390", "always", ZP_ALIAS_NEVER,				\
	  "PIPT; several coloured zero pages, KVM guests may forbid them" }, \
	{ "sh", "always", ZP_ALIAS_CPU, "D-cache aliases when n_aliases > 0" }, \
	{ "sparc", "sparc64 only", ZP_ALIAS_ALWAYS,			\
	  "sparc64 L1 D-cache larger than a page aliases; sparc32 lacks pte_special" }, \
	{ "um", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "x86", "always", ZP_ALIAS_NEVER, "PIPT data cache" },		\
	{ "xtensa", "never", ZP_ALIAS_CPU, "no pte_special; D-cache way larger than a page" }, \
}

#if defined(CONFIG_X86)
#define ZP_THIS_ARCH "x86"
#elif defined(CONFIG_ARM64)
#define ZP_THIS_ARCH "arm64"
#elif defined(CONFIG_ARM)
#define ZP_THIS_ARCH "arm"
#elif defined(CONFIG_MIPS)
#define ZP_THIS_ARCH "mips"
#elif defined(CONFIG_PPC)
#define ZP_THIS_ARCH "powerpc"
#elif defined(CONFIG_S390)
#define ZP_THIS_ARCH "s390"
#elif defined(CONFIG_RISCV)
#define ZP_THIS_ARCH "riscv"
#elif defined(CONFIG_LOONGARCH)
#define ZP_THIS_ARCH "loongarch"
#elif defined(CONFIG_SPARC)
#define ZP_THIS_ARCH "sparc"
#elif defined(CONFIG_PARISC)
#define ZP_THIS_ARCH "parisc"
#elif defined(CONFIG_SUPERH)
#define ZP_THIS_ARCH "sh"
#elif defined(CONFIG_ARC)
#define ZP_THIS_ARCH "arc"
#elif defined(CONFIG_M68K)
#define ZP_THIS_ARCH "m68k"
#elif defined(CONFIG_ALPHA)
#define ZP_THIS_ARCH "alpha"
#elif defined(CONFIG_CSKY)
#define ZP_THIS_ARCH "csky"
#elif defined(CONFIG_HEXAGON)
#define ZP_THIS_ARCH "hexagon"
#elif defined(CONFIG_IA64)
#define ZP_THIS_ARCH "ia64"
#elif defined(CONFIG_MICROBLAZE)
#define ZP_THIS_ARCH "microblaze"
#elif defined(CONFIG_NIOS2)
#define ZP_THIS_ARCH "nios2"
#elif defined(CONFIG_OPENRISC)
#define ZP_THIS_ARCH "openrisc"
#elif defined(CONFIG_UML)
#define ZP_THIS_ARCH "um"
#elif defined(CONFIG_XTENSA)
#define ZP_THIS_ARCH "xtensa"
#else
#error "zeropage: add this architecture to the capability table"
#endif

/*
 * Does this CPU's data cache alias?  Mirrors cpu_dcache_is_aliasing()
 * (6.9+) and, before it, each architecture's own test.
 */
static inline bool zp_dcache_aliases(enum zp_alias table_says)
{
#ifdef ZP_HAVE_CPU_DCACHE_IS_ALIASING
	return cpu_dcache_is_aliasing();
#elif defined(CONFIG_ARM)
	return cache_is_vivt() || cache_is_vipt_aliasing();
#elif defined(CONFIG_MIPS)
	return cpu_has_dc_aliases;
#elif defined(CONFIG_SUPERH)
	return boot_cpu_data.dcache.n_aliases != 0;
#elif defined(CONFIG_ARC)
	return IS_ENABLED(CONFIG_ARC_CACHE_VIPT_ALIASING);
#elif defined(DCACHE_ALIASING_POSSIBLE)
	return true;
#else
	return table_says == ZP_ALIAS_ALWAYS;
#endif
}

/*
 * Where a probed function's argument @n (from 0) lives at its first
 * instruction, for the probes that read, or for the kprobe strategy also
 * change, an argument.  (regs_get_kernel_argument() is missing on some
 * architectures, arm, mips and powerpc in 6.1, and calls an unexported
 * function on s390.)
 */
#if defined(CONFIG_X86) || defined(CONFIG_ARM64) || defined(CONFIG_ARM) || \
	defined(CONFIG_MIPS) || defined(CONFIG_LOONGARCH) || defined(CONFIG_PPC) || \
	defined(CONFIG_S390) || defined(CONFIG_RISCV)
#define ZP_ARCH_ARG_REGS
static inline unsigned long *zp_regs_argp(struct pt_regs *regs, unsigned int n)
{
#if defined(CONFIG_X86_64)
	unsigned long *r[] = { &regs->di, &regs->si, &regs->dx, &regs->cx };

	return r[n];
#elif defined(CONFIG_X86_32)
	unsigned long *r[] = { &regs->ax, &regs->dx, &regs->cx };	/* regparm(3) */

	return r[n];
#elif defined(CONFIG_ARM64)
	return (unsigned long *)&regs->regs[n];
#elif defined(CONFIG_ARM)
	return &regs->uregs[n];
#elif defined(CONFIG_MIPS) || defined(CONFIG_LOONGARCH)
	return &regs->regs[4 + n];	/* a0... */
#elif defined(CONFIG_PPC)
	return &regs->gpr[3 + n];
#elif defined(CONFIG_S390)
	return &regs->gprs[2 + n];
#else
	return &regs->a0 + n;		/* riscv */
#endif
}

/* Argument @n of a probed function, at its first instruction. */
static inline unsigned long zp_regs_arg(struct pt_regs *regs, unsigned int n)
{
#ifdef CONFIG_X86
	return regs_get_kernel_argument(regs, n);
#else
	return *zp_regs_argp(regs, n);
#endif
}
#endif

/*
 * May a kprobe pre-handler skip the single step?  On mips the handlers run
 * with interrupts on, and an interrupt that frees a task in between
 * (kprobe_flush_task() from an RCU callback clears the running kprobe)
 * makes the single step oops ("Break instruction in kernel code").  The
 * probes here sit on function entries, which open a stack frame with one
 * (d)addiu sp, sp, -N: the handler does that itself and resumes after it,
 * as kprobes allows a pre-handler that moves the PC (returning 1).
 */
#ifdef CONFIG_MIPS
#include <linux/kprobes.h>
#include <asm/inst.h>
static inline int zp_kprobe_done(struct kprobe *kp, struct pt_regs *regs)
{
	union mips_instruction insn = kp->opcode;

	if ((insn.i_format.opcode != addiu_op && insn.i_format.opcode != daddiu_op) ||
	    insn.i_format.rs != 29 || insn.i_format.rt != 29)
		return 0;
	regs->regs[29] += (long)insn.i_format.simmediate;
	regs->cp0_epc += 4;
	return 1;
}
#else
#define zp_kprobe_done(kp, regs) 0
#endif

/*
 * Can an ftrace callback send a traced kernel function on to a function of
 * this module?  Not on 32-bit arm: gcc's mcount call follows the function's
 * prologue, so the replacement would return with the traced function's
 * frame still on the stack.  Not on 64-bit powerpc without livepatch's
 * TOC-switching stub: the module's code would run with the kernel's TOC
 * pointer, and return to the kernel with its own.
 */
#if defined(CONFIG_ARM) || (defined(CONFIG_PPC64) && !defined(CONFIG_LIVEPATCH_64))
#define ZP_ARCH_NO_DIVERT
#endif

/*
 * Where ftrace has arguments but not registers, its trampoline still
 * returns to the instruction pointer the callback leaves in ftrace_regs, so
 * it diverts, as livepatch would.  riscv needs it: a kprobe cannot sit on a
 * function's entry, the patchable ftrace site (no KPROBES_ON_FTRACE), so no
 * hook could act in place.  arm64 (6.12 on, where WITH_REGS went): the
 * in-place kprobe takes the PTE lock in its handler, which PREEMPT_RT
 * forbids.
 */
#if (defined(CONFIG_RISCV) || defined(CONFIG_ARM64)) && \
	defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS)
#define ZP_ARCH_DIVERT_WITH_ARGS
#endif

/*
 * How this kernel's fault path can be hooked (hooks.c attaches; fault.c
 * must know where its code runs): an ftrace IPMODIFY diversion to a
 * replacement run in the faulting task's context; else, outside
 * PREEMPT_RT, a kprobe on handle_mm_fault() acting in its handler, with
 * interrupts off; else nothing.
 */
#if !defined(CONFIG_KPROBES) || !defined(CONFIG_HAVE_REGS_AND_STACK_ACCESS_API) || \
	!defined(ZP_ARCH_ARG_REGS)
#define ZP_NO_HOOKS
#elif (defined(CONFIG_DYNAMIC_FTRACE_WITH_REGS) || defined(ZP_ARCH_DIVERT_WITH_ARGS)) && \
	!defined(ZP_ARCH_NO_DIVERT)
#define ZP_HOOK_DIVERT		/* ftrace IPMODIFY to a replacement */
#elif !defined(CONFIG_PREEMPT_RT)
#define ZP_HOOK_INPLACE		/* a kprobe acting before the function */
#else
#define ZP_NO_HOOKS
#endif

/*
 * arch.c: the capability-table verdict for this machine; zp_arch_check()
 * refuses the load (pr_err() and an error) where the table says no.
 */
int zp_arch_check(void);
const char *zp_arch_verdict(void);

/*
 * pte_glue.c: at load, check that mprotect() keeps zero-page PTEs special,
 * and find the kernel helpers that this architecture keeps out of line and
 * unexported but the PTE writes need; pr_err() and an error refuse the load.
 */
int zp_arch_ready(void);

#endif /* ZEROPAGE_ARCH_H */
