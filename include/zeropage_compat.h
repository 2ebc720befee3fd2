/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every difference between the kernels the module builds for, in one place.
 *
 * Kbuild decides each one with a feature probe of the target kernel's
 * headers (ZP_HAVE_*), never with a version number: distributions backport.
 * The rest of the module uses only the zp_* names below.
 *
 *   probe (Kbuild)                 where the kernel changed    zp_ name
 *   ZP_HAVE_PMDP_GET_LOCKLESS      6.2: pmdp_get_lockless()   zp_pmdp_get_lockless()
 *   ZP_HAVE_PMD_DEVMAP             7.x: pmd_devmap() gone     zp_pmd_devmap()
 *   ZP_HAVE_PTE_OFFSET_MAP         6.5: PTE tables mapped     zp_pte_table_enter(),
 *                                  under RCU, freed after a   zp_pte_table_exit()
 *                                  grace period
 *   ZP_HAVE_ZERO_PFN_FN            7.x: my_zero_pfn() became  zp_zero_pfn()
 *                                  zero_pfn()
 *   ZP_HAVE_MM_FLAGS_TEST          7.x: mm->flags opaque,     zp_mm_flag()
 *                                  read with mm_flags_test()
 *   ZP_HAVE_MMF_DISABLE_THP_SPLIT  7.x: MMF_DISABLE_THP split zp_mm_thp_disabled()
 *                                  in COMPLETELY and
 *                                  EXCEPT_ADVISED
 *   ZP_HAVE_PER_SIZE_THP           6.8: per-size THP          ZP_THP_FLAGS_DECIDE
 *   ZP_HAVE_PTEP_SET_PTE_AT        s390 7.x: set_ptes() no    ZP_S390_PTEP_SET_PTE_AT
 *                                  longer calls it
 *   ZP_HAVE_SET_PTES               arm, powerpc 6.6:          ZP_SET_PTES_OUT_OF_LINE
 *                                  set_pte_at() is the
 *                                  out-of-line set_ptes()
 *   ZP_HAVE_UPDATE_MMU_CACHE_RANGE arm 6.6: update_mmu_cache() (pte_glue.c)
 *                                  is update_mmu_cache_range()
 *   ZP_HAVE_MTE_SYNC_TAGS_NR       arm64: set_ptes() calls    (pte_glue.c)
 *                                  mte_sync_tags(pte, nr)
 *   ZP_HAVE_CPU_DCACHE_IS_ALIASING 6.9: cpu_dcache_is_aliasing() (zeropage_arch.h)
 *   ZP_HAVE_FTRACE_REGS_ARGUMENT   ftrace_regs_get_argument() zp_fregs_argument(),
 *                                  (before: x86's ftrace_regs ZP_FTRACE_ARGS
 *                                  is a pt_regs)
 *   ZP_HAVE_FTRACE_REGS_SET_IP     ftrace_instruction_        zp_fregs_set_ip()
 *                                  pointer_set() renamed
 *   ZP_HAVE_ARCH_FTRACE_REGS       6.12: __arch_ftrace_regs   zp_fregs_pt_regs()
 *   (pgtable_supports_soft_dirty   7.x: soft-dirty decided    zp_soft_dirty_supported()
 *   is a macro: no probe)          at boot (riscv)
 *   (CONFIG_MEMCG: config)         mm->owner only with memcg  zp_mm_owner()
 */
#ifndef ZEROPAGE_COMPAT_H
#define ZEROPAGE_COMPAT_H

#include <linux/version.h>

/*
 * Probes whose miss would be unsafe fail closed, checked against a second,
 * independent sign of the same kernel change (selftests/bed/compat.sh
 * proves each #error fires when its probe misses):
 * - PTE tables freed under RCU (6.5): without ZP_HAVE_PTE_OFFSET_MAP the
 *   module would walk them outside an RCU section, a use-after-free once
 *   a table is freed under it (PT_RECLAIM).  No config says so: the
 *   version does (the module's one version test, a cross-check of the
 *   probe, never a substitute for it).
 * - device-map PMDs (CONFIG_ARCH_HAS_PTE_DEVMAP, gone with pmd_devmap() in
 *   7.x): without ZP_HAVE_PMD_DEVMAP a DAX huge PMD would be walked as a
 *   page table.
 */
#if !defined(ZP_HAVE_PTE_OFFSET_MAP) && \
	(LINUX_VERSION_MAJOR > 6 || (LINUX_VERSION_MAJOR == 6 && LINUX_VERSION_PATCHLEVEL >= 5))
#error "zeropage: __pte_offset_map() probe missed on 6.5+: PTE tables would be walked outside RCU"
#endif
#if !defined(ZP_HAVE_PMD_DEVMAP) && defined(CONFIG_ARCH_HAS_PTE_DEVMAP)
#error "zeropage: pmd_devmap() probe missed with device-map PMDs: DAX PMDs walked as tables"
#endif

#include <linux/ftrace.h>
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#ifndef ZP_HAVE_MMF_DISABLE_THP_SPLIT
#include <linux/sched/coredump.h>
#endif

/*
 * The PMD, read once without the page-table lock.  Where a PMD is two words
 * (i386 PAE: CONFIG_GUP_GET_PXX_LOW_HIGH, CONFIG_GUP_GET_PTE_LOW_HIGH before
 * 6.2) both halves must come from one value, or a table PMD being replaced
 * could pair one PMD's low word with another's high word and send the walk
 * into a page that is not a page table.  pmdp_get_lockless() does it where
 * the kernel has it; 6.1's pmd_read_atomic() is only good for a pmd_none()
 * or pmd_trans_huge() test, so there the loop of 6.2's pmdp_get_lockless()
 * (include/linux/pgtable.h) is done here.
 */
static inline pmd_t zp_pmdp_get_lockless(pmd_t *pmdp)
{
#if defined(ZP_HAVE_PMDP_GET_LOCKLESS)
	return pmdp_get_lockless(pmdp);
#elif defined(CONFIG_GUP_GET_PTE_LOW_HIGH) && CONFIG_PGTABLE_LEVELS > 2
	u32 *half = (u32 *)pmdp;
	u32 low, high;

	do {
		low = READ_ONCE(half[0]);
		smp_rmb();	/* the low word before the high word ... */
		high = READ_ONCE(half[1]);
		smp_rmb();	/* ... and the high word before the low again */
	} while (unlikely(low != READ_ONCE(half[0])));
	return __pmd(((pmdval_t)high << 32) | low);
#else
	return pmd_read_atomic(pmdp);
#endif
}

/*
 * Since 6.5 a PTE table may be freed, after an RCU grace period, under a
 * fault that holds only the mmap or VMA lock: the kernel maps tables under
 * rcu_read_lock() (__pte_offset_map()), and so must the module.  Before,
 * the lock the fault holds keeps the table, and with PREEMPT_RCU the
 * section would cost every fault two calls for nothing.
 */
static __always_inline void zp_pte_table_enter(void)
{
#ifdef ZP_HAVE_PTE_OFFSET_MAP
	rcu_read_lock();
#endif
}

static __always_inline void zp_pte_table_exit(void)
{
#ifdef ZP_HAVE_PTE_OFFSET_MAP
	rcu_read_unlock();
#endif
}

/* Device-map PMDs (DAX): 7.x has none, and __pte_offset_map() stopped asking. */
static inline bool zp_pmd_devmap(pmd_t pmd)
{
#ifdef ZP_HAVE_PMD_DEVMAP
	return pmd_devmap(pmd);
#else
	return false;
#endif
}

/* The zero page's PFN for @addr (one of several coloured ones on s390, mips). */
#ifdef ZP_HAVE_ZERO_PFN_FN
#define zp_zero_pfn(addr)	zero_pfn(addr)
#else
#define zp_zero_pfn(addr)	my_zero_pfn(addr)
#endif

/* Is MMF_* @flag set in @mm's flags? */
static inline bool zp_mm_flag(int flag, struct mm_struct *mm)
{
#ifdef ZP_HAVE_MM_FLAGS_TEST
	return mm_flags_test(flag, mm);
#else
	return test_bit(flag, &mm->flags);
#endif
}

/*
 * Has the process turned THP off for @vma (prctl(PR_SET_THP_DISABLE))?
 * 7.x's vma_thp_disabled() asks two flags: off for every VMA, or off except
 * where MADV_HUGEPAGE asked for it.  (VM_NOHUGEPAGE is the caller's.)
 */
static inline bool zp_mm_thp_disabled(struct vm_area_struct *vma)
{
#ifdef ZP_HAVE_MMF_DISABLE_THP_SPLIT
	return zp_mm_flag(MMF_DISABLE_THP_COMPLETELY, vma->vm_mm) ||
	       (!(vma->vm_flags & VM_HUGEPAGE) &&
		zp_mm_flag(MMF_DISABLE_THP_EXCEPT_ADVISED, vma->vm_mm));
#else
	return zp_mm_flag(MMF_DISABLE_THP, vma->vm_mm);
#endif
}

/*
 * Can this machine track soft-dirty PTEs?  Where the kernel asks itself
 * (pgtable_supports_soft_dirty(), a macro: 7.x's riscv decides at boot, by
 * the Svrsw60t59b extension, and without it sets VM_SOFTDIRTY on no VMA),
 * its answer; before, the config's.
 */
static inline bool zp_soft_dirty_supported(void)
{
#ifdef pgtable_supports_soft_dirty
	return pgtable_supports_soft_dirty();
#else
	return IS_ENABLED(CONFIG_MEM_SOFT_DIRTY);
#endif
}

/*
 * The task whose cgroup an mm belongs to: mm->owner, the task memcg charges
 * the mm's pages to (get_mem_cgroup_from_mm()), whoever faults them.
 * Without memcg there is no owner: the faulting task, for its own mm only.
 * Under rcu_read_lock(); NULL where there is none.
 */
static inline struct task_struct *zp_mm_owner(struct mm_struct *mm)
{
#ifdef CONFIG_MEMCG
	return rcu_dereference(mm->owner);
#else
	return mm == current->mm ? current : NULL;
#endif
}

/*
 * THP at the PMD level decided by transparent_hugepage_flags alone: before
 * per-size THP (6.8), which adds a setting per folio order.
 */
#if defined(CONFIG_TRANSPARENT_HUGEPAGE) && !defined(ZP_HAVE_PER_SIZE_THP)
#define ZP_THP_FLAGS_DECIDE
#endif

/*
 * s390: set_pte_at() calls the out-of-line, unexported ptep_set_pte_at()
 * for mms with PGSTEs; 7.x's set_ptes() no longer does, so the module has
 * nothing to stand in for there (pte_glue.c).
 */
#if defined(CONFIG_S390) && defined(ZP_HAVE_PTEP_SET_PTE_AT)
#define ZP_S390_PTEP_SET_PTE_AT
#endif

/*
 * arm and powerpc: set_pte_at() is out of line and unexported, and from 6.6
 * a macro for set_ptes(), which is; pte_glue.c stands in for whichever the
 * headers call.
 */
#if (defined(CONFIG_ARM) || defined(CONFIG_PPC)) && defined(ZP_HAVE_SET_PTES)
#define ZP_SET_PTES_OUT_OF_LINE
#endif

/*
 * ftrace with arguments (CONFIG_DYNAMIC_FTRACE_WITH_ARGS): a callback that
 * reads its arguments and changes the instruction pointer through
 * ftrace_regs needs no SAVE_REGS trampoline.  Before the accessors, x86's
 * ftrace_regs is a pt_regs whose argument registers the trampoline saves.
 */
#if defined(CONFIG_DYNAMIC_FTRACE_WITH_ARGS) && \
	(defined(ZP_HAVE_FTRACE_REGS_ARGUMENT) || defined(CONFIG_X86))
#define ZP_FTRACE_ARGS

static inline unsigned long zp_fregs_argument(struct ftrace_regs *fregs, unsigned int n)
{
#ifdef ZP_HAVE_FTRACE_REGS_ARGUMENT
	return ftrace_regs_get_argument(fregs, n);
#else
	return regs_get_kernel_argument(&fregs->regs, n);
#endif
}

static inline void zp_fregs_set_ip(struct ftrace_regs *fregs, unsigned long ip)
{
#ifdef ZP_HAVE_FTRACE_REGS_SET_IP
	ftrace_regs_set_instruction_pointer(fregs, ip);
#else
	ftrace_instruction_pointer_set(fregs, ip);
#endif
}

/*
 * x86's ftrace_regs is a pt_regs whose saved argument registers the
 * trampoline reloads after the callback, so an argument can be changed
 * there (no accessor does that).  6.12 wraps it in __arch_ftrace_regs.
 */
#ifdef CONFIG_X86
#define ZP_FREGS_PT_REGS
static inline struct pt_regs *zp_fregs_pt_regs(struct ftrace_regs *fregs)
{
#ifdef ZP_HAVE_ARCH_FTRACE_REGS
	return &arch_ftrace_regs(fregs)->regs;
#else
	return &fregs->regs;
#endif
}
#endif
#endif

#endif /* ZEROPAGE_COMPAT_H */
