// SPDX-License-Identifier: GPL-2.0
/*
 * The fault path: which anonymous read faults the module answers, and how.
 *
 * mode always: the module itself installs pte_mkspecial(zero pfn) under the
 * PTE lock, with the re-checks do_anonymous_page() makes.
 * mode never: the read fault is turned into a write fault before the kernel
 * handles it, so the kernel allocates a private zeroed page at once (not
 * where that would hide writes from soft-dirty tracking).
 *
 * Anything the module cannot do cheaply and exactly like the kernel (no page
 * table yet, huge PMD, userfaultfd, uffd-wp markers, mm forbidding the zero
 * page) is left to the kernel and counted in stats/passed.
 */
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/oom.h>
#include <linux/pgtable.h>
#include <linux/rcupdate.h>
#include <linux/userfaultfd_k.h>
#include <asm/mmu_context.h>

#include "zeropage_arch.h"
#include "zeropage_compat.h"
#include "zp_fault.h"
#include "zp_inflight.h"
#include "zp_modes.h"
#include "zp_policy.h"
#include "zp_stats.h"
#include "zp_symbols.h"

/* A PMD entry pointing to a PTE table, as gup_fast's gup_pmd_range() sees it. */
static inline bool zp_pmd_points_to_table(pmd_t pmdval)
{
	return pmd_present(pmdval) && !pmd_trans_huge(pmdval) && !zp_pmd_devmap(pmdval);
}

/* A PTE table the module may lock and write to: not corrupt either. */
static inline bool zp_pmd_is_table(pmd_t pmdval)
{
	return zp_pmd_points_to_table(pmdval) && !pmd_bad(pmdval);
}

static inline pte_t zp_zero_pte(struct vm_area_struct *vma, unsigned long addr)
{
	return pte_mkspecial(pfn_pte(zp_zero_pfn(addr), vma->vm_page_prot));
}

/*
 * Fault-around: fill the none PTEs of the naturally aligned window around
 * @addr, clipped to the VMA and to this page table, with the zero page.
 * Caller holds the PTE lock of @ptep (the PTE of @addr).
 */
static unsigned long zp_fault_around(struct vm_area_struct *vma,
				     unsigned long addr, pte_t *ptep)
{
	unsigned long window = READ_ONCE(zp_fault_around_bytes);
	unsigned long start, end, a, filled = 0;
	pte_t *pte;

	if (window <= PAGE_SIZE || (vma->vm_flags & VM_LOCKED))
		return 0;
	start = max3(ALIGN_DOWN(addr, window), vma->vm_start, addr & PMD_MASK);
	end = min3(ALIGN_DOWN(addr, window) + window, vma->vm_end,
		   (addr & PMD_MASK) + PMD_SIZE);
	pte = ptep - ((addr - start) >> PAGE_SHIFT);
	for (a = start; a < end; a += PAGE_SIZE, pte++) {
		if (a == addr || !pte_none(ptep_get(pte)))
			continue;
		set_pte_at(vma->vm_mm, a, pte, zp_zero_pte(vma, a));
		update_mmu_cache(vma, a, pte);
		filled++;
	}
	return filled;
}

enum zp_pte {
	ZP_PTE_INSTALLED,	/* the module mapped the zero page */
	ZP_PTE_PRESENT,		/* the PTE is populated (someone was first) */
	ZP_PTE_NO_TABLE,	/* no page table (any more): the kernel's job */
	ZP_PTE_UNSTABLE,	/* the OOM reaper is tearing the mm down */
	ZP_PTE_BUSY,		/* the PTE lock was held: the kernel's job */
};

/*
 * Take the PTE lock of a fault the module answers itself.  The in-place
 * route runs in a kprobe handler with interrupts off, and must never spin
 * there: the lock's holder may be waiting, in ptep_clear_flush(), for a
 * TLB-flush IPI this CPU cannot take (ARM's erratum 798181 broadcast,
 * powerpc's radix flush): a hard lockup.  It only tries; a busy lock
 * leaves the fault to the kernel, which takes it with interrupts on.
 */
static __always_inline bool zp_pte_lock(spinlock_t *ptl)
{
#ifdef ZP_HOOK_INPLACE
	return spin_trylock(ptl);
#else
	spin_lock(ptl);
	return true;
#endif
}

/* The PTE of @addr in the table @pmdval points to; in zp_pte_table_enter(). */
static inline pte_t *zp_pte_map(pmd_t pmdval, unsigned long addr)
{
#ifdef CONFIG_HIGHPTE
	return (pte_t *)kmap_local_page(pmd_page(pmdval)) + pte_index(addr);
#else
	return pte_offset_kernel(&pmdval, addr);
#endif
}

static inline void zp_pte_unmap(pte_t *ptep)
{
#ifdef CONFIG_HIGHPTE
	kunmap_local(ptep);
#endif
}

/*
 * Under the PTE lock of @addr, do what the zero-page branch of
 * do_anonymous_page() does: same checks, same PTE.  The table is mapped and
 * locked as __pte_offset_map_lock() (not exported) does it: page tables may
 * be retracted under us (since 6.5), so read the PMD once, lock, and
 * confirm it did not change.
 */
static enum zp_pte zp_pte_locked(struct vm_area_struct *vma, pmd_t *pmdp,
				 unsigned long addr)
{
	unsigned long around = 0;
	enum zp_pte ret;
	spinlock_t *ptl;		/* the PTE table's lock */
	pmd_t pmdval;
	pte_t *ptep;

	zp_pte_table_enter();
	pmdval = zp_pmdp_get_lockless(pmdp);
	if (!zp_pmd_is_table(pmdval)) {
		ret = ZP_PTE_NO_TABLE;
		goto out;
	}
	ptep = zp_pte_map(pmdval, addr);
	ptl = pte_lockptr(vma->vm_mm, &pmdval);
	if (!zp_pte_lock(ptl)) {
		ret = ZP_PTE_BUSY;
		goto unmap;
	}
	if (unlikely(!pmd_same(pmdval, zp_pmdp_get_lockless(pmdp)))) {
		ret = ZP_PTE_NO_TABLE;
	} else if (!pte_none(ptep_get(ptep))) {
		update_mmu_tlb(vma, addr, ptep);
		ret = ZP_PTE_PRESENT;
	} else if (check_stable_address_space(vma->vm_mm)) {
		ret = ZP_PTE_UNSTABLE;
	} else {
		set_pte_at(vma->vm_mm, addr, ptep, zp_zero_pte(vma, addr));
		/* No need to invalidate: it was non-present before. */
		update_mmu_cache(vma, addr, ptep);
		around = zp_fault_around(vma, addr, ptep);
		ret = ZP_PTE_INSTALLED;
	}
	spin_unlock(ptl);
unmap:
	zp_pte_unmap(ptep);
out:
	zp_pte_table_exit();
	if (ret == ZP_PTE_INSTALLED) {
		zp_count(ZP_STAT_ZERO_MAPPED);
		if (around)
			zp_count_add(ZP_STAT_AROUND_MAPPED, around);
	}
	return ret;
}

/*
 * userfaultfd_armed() as the plain flags test it is up to 6.x: gcc-14 does
 * not inline 7.x's VMA-flags bitmap version, and the call costs the fault
 * path a stack frame.
 */
static __always_inline bool zp_uffd_armed(struct vm_area_struct *vma)
{
#ifdef CONFIG_USERFAULTFD
	return vma->vm_flags & __VM_UFFD_FLAGS;
#else
	return false;
#endif
}

/* Read faults do_anonymous_page() would see that are the module's at all. */
static inline bool zp_private_anon(struct vm_area_struct *vma)
{
	return vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED) &&
	       !zp_uffd_armed(vma);
}

/*
 * Mode never maps a private page only where a write fault would be allowed:
 * a VM_WRITE mapping whose protection key permits writes.  A PROT_READ
 * mapping keeps the zero page: nothing can dirty a private page there.
 */
static __always_inline bool zp_write_allowed(struct vm_area_struct *vma)
{
	return (vma->vm_flags & VM_WRITE) &&
	       arch_vma_access_permitted(vma, true, false, false);
}

/*
 * Soft-dirty tracking is on for a VMA once clear_refs took VM_SOFTDIRTY
 * away (mirrors the kernel's vma_soft_dirty_enabled()).  A private page
 * mapped for a read fault there would be mapped dirty, so reported as
 * written: mode never leaves such faults to the kernel's zero page, and the
 * first write faults and is recorded.
 */
static inline bool zp_soft_dirty_tracked(struct vm_area_struct *vma)
{
	return zp_soft_dirty_supported() && !(vma->vm_flags & VM_SOFTDIRTY);
}

/* Mode never gives this VMA's read faults a private page. */
static __always_inline bool zp_never_maps_private(struct vm_area_struct *vma)
{
	return zp_write_allowed(vma) && !zp_soft_dirty_tracked(vma);
}

/* ---- Route 1: do_anonymous_page() is a symbol (e.g. Debian 6.12). ---- */

/* The decision for a fault whose task has @policy (NULL: none). */
static __always_inline bool zp_anon_decide(struct vm_fault *vmf,
					   struct zp_policy *policy)
{
	struct vm_area_struct *vma = vmf->vma;

	if (vma->vm_flags & VM_SHARED)
		return false;
	if (zp_uffd_armed(vma))
		goto pass;

	if (zp_mode_for(policy) == ZP_MODE_NEVER) {
		if (!zp_never_maps_private(vma))
			goto pass;
		vmf->flags |= FAULT_FLAG_WRITE;
		zp_count_for(ZP_STAT_PRIVATE_MAPPED, policy);
		return false;
	}

	/*
	 * A PTE marker (uffd-wp) in orig_pte must be carried into the new
	 * PTE, and allocating a page table is the kernel's business.
	 */
	if (mm_forbids_zeropage(vma->vm_mm) ||
	    ((vmf->flags & FAULT_FLAG_ORIG_PTE_VALID) && !pte_none(vmf->orig_pte)) ||
	    !zp_pmd_is_table(zp_pmdp_get_lockless(vmf->pmd)))
		goto pass;
	zp_policy_count_zero(policy);
	return true;
pass:
	zp_count_for(ZP_STAT_PASSED, policy);
	return false;
}

/* Out of line: no stack frame on the path without policies. */
static noinline bool zp_anon_decide_cg(struct vm_fault *vmf)
{
	bool divert;

	rcu_read_lock();
	divert = zp_anon_decide(vmf, zp_policy_of(vmf->vma->vm_mm));
	rcu_read_unlock();
	return divert;
}

bool zp_anon_fault_route(struct vm_fault *vmf)
{
	if (zp_policies_set())
		return zp_anon_decide_cg(vmf);
	return zp_anon_decide(vmf, NULL);
}

/* Replacement for do_anonymous_page() on the faults routed above. */
vm_fault_t zp_do_anonymous_page(struct vm_fault *vmf)
{
	vm_fault_t ret = 0;

	/*
	 * Every outcome but a dying mm returns 0, as the kernel does: a
	 * vanished page table just makes the access fault again.
	 */
	if (zp_pte_locked(vmf->vma, vmf->pmd, vmf->address) == ZP_PTE_UNSTABLE)
		ret = VM_FAULT_SIGBUS;
	zp_diversion_end(ZP_ANON_TAKES_REF);
	return ret;
}

/* ---- Route 2: do_anonymous_page() is inlined (e.g. Debian 6.1). ---- */

bool zp_mm_fault_route(struct vm_area_struct *vma, unsigned int flags)
{
	return zp_is_read_fault(flags) && zp_private_anon(vma);
}

/*
 * The PMD entry covering @addr, or NULL where a level above it is missing
 * or a leaf.  The checks of the kernel's lockless walk (gup_pgd_range() and
 * below in gup_fast), which leaves corrupt entries to the locked walk: the
 * fault's mmap or VMA lock keeps these levels in place.
 */
static pmd_t *zp_find_pmd(struct mm_struct *mm, unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud, pudval;

	if (pgd_none(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (p4d_none(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (!pud_present(pudval) || pud_leaf(pudval))
		return NULL;
	return pmd_offset(pud, addr);
}

/* What the early routes find at a fault's address (see zp_peek()). */
enum zp_slot {
	ZP_SLOT_NO_TABLE,	/* no PTE table: the kernel's to allocate */
	ZP_SLOT_EMPTY,		/* a table whose entry is none: a missing page */
	ZP_SLOT_USED,		/* present, swap or marker: not a missing page */
	ZP_SLOT_OTHER,		/* a huge or changing PMD: not a 4 KiB fault */
};

/*
 * @addr's slot and its PMD entry (*@pmdpp; NULL where a level above is
 * missing), read once and without locks: a hint for a decision that the
 * kernel or zp_pte_locked() makes again under the PTE lock.
 */
static enum zp_slot zp_peek(struct mm_struct *mm, unsigned long addr,
			    pmd_t **pmdpp)
{
	pmd_t *pmdp = zp_find_pmd(mm, addr);
	enum zp_slot slot;
	pmd_t pmdval;
	pte_t *ptep;

	*pmdpp = pmdp;
	if (!pmdp)
		return ZP_SLOT_NO_TABLE;
	zp_pte_table_enter();
	pmdval = zp_pmdp_get_lockless(pmdp);
	if (pmd_none(pmdval)) {
		slot = ZP_SLOT_NO_TABLE;
	} else if (!zp_pmd_points_to_table(pmdval)) {
		slot = ZP_SLOT_OTHER;
	} else {
		ptep = zp_pte_map(pmdval, addr);
		slot = pte_none(ptep_get(ptep)) ? ZP_SLOT_EMPTY : ZP_SLOT_USED;
		zp_pte_unmap(ptep);
	}
	zp_pte_table_exit();
	return slot;
}

#ifdef ZP_THP_FLAGS_DECIDE
/* transparent_hugepage_flags (not exported), found at attach; NULL: unknown. */
static unsigned long *zp_thp_flags;

void zp_find_thp_flags(void)
{
	/* A data symbol: kallsyms knows it only with CONFIG_KALLSYMS_ALL. */
	WRITE_ONCE(zp_thp_flags,
		   (unsigned long *)zp_kernel_function("transparent_hugepage_flags"));
	if (!zp_thp_flags)
		pr_info("THP settings unknown: in mode never, a read fault without a page table where THP could apply is left to the kernel\n");
}

/*
 * The sysfs half of 6.1's hugepage_vma_check(): THP "always", or "madvise"
 * on a MADV_HUGEPAGE range.  Flags unknown: say yes.
 */
static bool zp_thp_enabled_for(struct vm_area_struct *vma)
{
	unsigned long *thp_flags = READ_ONCE(zp_thp_flags);
	unsigned long flags;

	if (!thp_flags)
		return true;
	flags = READ_ONCE(*thp_flags);
	return (flags & BIT(TRANSPARENT_HUGEPAGE_FLAG)) ||
	       ((flags & BIT(TRANSPARENT_HUGEPAGE_REQ_MADV_FLAG)) &&
		(vma->vm_flags & VM_HUGEPAGE));
}
#else
void zp_find_thp_flags(void)
{
}

/* No THP, or per-size THP (6.8+) with more knobs than these flags. */
static inline bool zp_thp_enabled_for(struct vm_area_struct *vma)
{
	return true;
}
#endif

/*
 * Could __handle_mm_fault() take the huge-PMD path at @addr?  The cheap,
 * conservative part of hugepage_vma_check() and transhuge_vma_suitable():
 * when in doubt, say yes and leave the fault alone.
 */
static bool zp_thp_possible(struct vm_area_struct *vma, unsigned long addr)
{
#ifdef CONFIG_TRANSPARENT_HUGEPAGE
	unsigned long haddr = addr & HPAGE_PMD_MASK;

	if ((vma->vm_flags & VM_NOHUGEPAGE) ||
	    zp_mm_thp_disabled(vma) ||
	    !zp_thp_enabled_for(vma))
		return false;
	return haddr >= vma->vm_start && haddr + HPAGE_PMD_SIZE <= vma->vm_end;
#else
	return false;
#endif
}

/*
 * Mode never: turn the read fault into a write fault where the PTE is
 * missing and a write is allowed.  Where the kernel may take the huge path,
 * the global mode leaves the fault to it (its use_zero_page decides), while
 * a never cgroup gets what a write would: a huge page, or a small one if
 * the kernel falls back, counted here once (zp_huge_read_fault() then sees
 * a write).
 */
static unsigned int zp_never_flags(struct vm_area_struct *vma, enum zp_slot slot,
				   unsigned long addr, unsigned int flags,
				   struct zp_policy *policy)
{
	if (slot == ZP_SLOT_USED)
		return flags;		/* not a missing-page fault */
	if (slot == ZP_SLOT_NO_TABLE && !policy && zp_thp_possible(vma, addr))
		goto pass;
	if (!zp_never_maps_private(vma))
		goto pass;
	zp_count_for(ZP_STAT_PRIVATE_MAPPED, policy);
	return flags | FAULT_FLAG_WRITE;
pass:
	zp_count_for(ZP_STAT_PASSED, policy);
	return flags;
}

/*
 * The module's part of a private anonymous read fault, before the kernel's
 * walk: mode never returns the flags to use (*@flags); mode always returns
 * the PMD entry whose table should get the zero page, if any.
 */
static __always_inline pmd_t *zp_early_decide(struct vm_area_struct *vma,
					      unsigned long address,
					      unsigned int *flags,
					      struct zp_policy *policy)
{
	pmd_t *pmdp;
	enum zp_slot slot = zp_peek(vma->vm_mm, address, &pmdp);

	if (slot == ZP_SLOT_OTHER)
		return NULL;
	if (zp_mode_for(policy) == ZP_MODE_NEVER) {
		*flags = zp_never_flags(vma, slot, address, *flags, policy);
		return NULL;
	}
	if (slot == ZP_SLOT_NO_TABLE || mm_forbids_zeropage(vma->vm_mm)) {
		zp_count_for(ZP_STAT_PASSED, policy);
		return NULL;
	}
	/* Swap-in, NUMA hinting, a spurious fault: not a missing page. */
	if (slot == ZP_SLOT_USED)
		return NULL;
	zp_policy_count_zero(policy);
	return pmdp;
}

/* Out of line: no stack frame on the path without policies. */
static noinline pmd_t *zp_early_decide_cg(struct vm_area_struct *vma,
					  unsigned long address,
					  unsigned int *flags)
{
	pmd_t *pmdp;

	rcu_read_lock();
	pmdp = zp_early_decide(vma, address, flags, zp_policy_of(vma->vm_mm));
	rcu_read_unlock();
	return pmdp;
}

static pmd_t *zp_early(struct vm_area_struct *vma, unsigned long address,
		       unsigned int *flags)
{
	if (zp_policies_set())
		return zp_early_decide_cg(vma, address, flags);
	return zp_early_decide(vma, address, flags, NULL);
}

/*
 * Route 2, before the kernel's handle_mm_fault() (a kprobe, or a diversion
 * to the replacement below): install the zero page (mode always), or
 * return the flags to use (mode never).
 */
unsigned int zp_mm_fault_prepare(struct vm_area_struct *vma, unsigned long address,
				 unsigned int flags)
{
	pmd_t *pmdp = zp_early(vma, address, &flags);

	if (pmdp)
		zp_pte_locked(vma, pmdp, address);
	return flags;
}

/*
 * Replacement for handle_mm_fault() on private anonymous read faults.  It
 * does its part first, then calls the real handle_mm_fault() (our ftrace
 * callback lets calls from this module through), which finds the PTE
 * already present, or the flags already changed, and does all the
 * accounting a fault needs.
 */
vm_fault_t zp_handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			      unsigned int flags, struct pt_regs *regs)
{
	vm_fault_t ret;

	flags = zp_mm_fault_prepare(vma, address, flags);
	ret = handle_mm_fault(vma, address, flags, regs);
	zp_diversion_end(true);
	return ret;
}

/*
 * ---- Route 3: __handle_mm_fault(), the kernel's walk (e.g. Debian 6.1,
 * where do_anonymous_page() is inlined into it). ----
 *
 * It runs after handle_mm_fault() counted the fault and before
 * mm_account_fault(), so a fault the module finishes itself keeps the
 * kernel's accounting.  In the callback: mode never changes the flags
 * (ZP_EARLY_FLAGS); mode always diverts a fault whose table exists and
 * whose PTE reads none (ZP_EARLY_DIVERT, *@pmdpp its PMD entry) to
 * zp_finish_read_fault().
 */
enum zp_early zp_inner_fault_route(struct vm_area_struct *vma, unsigned long address,
				   unsigned int *flags, pmd_t **pmdpp)
{
	unsigned int was = *flags;
	pmd_t *pmdp;

	if (!zp_mm_fault_route(vma, was))
		return ZP_EARLY_NONE;
	pmdp = zp_early(vma, address, flags);
	if (pmdp) {
		*pmdpp = pmdp;
		return ZP_EARLY_DIVERT;
	}
	return *flags != was ? ZP_EARLY_FLAGS : ZP_EARLY_NONE;
}

/*
 * Replacement for __handle_mm_fault(vma, address, flags) on the faults
 * routed above, called with the PMD entry the callback found in place of
 * the flags, which the zero page does not need: no second walk.  The
 * entry stays valid as the kernel's own would: the fault's mmap or VMA
 * lock keeps the PMD table.  The zero-page branch of do_anonymous_page(),
 * and nothing of the kernel's after it, so it never sleeps (but for the PTE
 * lock on PREEMPT_RT).  Every outcome but a dying mm returns 0, as the
 * kernel does.
 */
vm_fault_t zp_finish_read_fault(struct vm_area_struct *vma, unsigned long address,
				pmd_t *pmdp)
{
	vm_fault_t ret = 0;

	if (zp_pte_locked(vma, pmdp, address) == ZP_PTE_UNSTABLE)
		ret = VM_FAULT_SIGBUS;
	zp_diversion_end(ZP_ANON_TAKES_REF);
	return ret;
}

/*
 * ---- The huge path: do_huge_pmd_anonymous_page(vmf), before its
 * huge-zero-page branch. ----
 *
 * Only a cgroup's policy acts here (the global mode leaves THP to the
 * kernel's use_zero_page): in a never cgroup a read fault gets what a
 * write would, a huge page where THP gives one, so read-then-write
 * pre-touch keeps its huge pages.  Runs in a kprobe handler.
 */
void zp_huge_read_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct zp_policy *policy;

	if (!zp_policies_set() || !zp_is_read_fault(vmf->flags) ||
	    zp_uffd_armed(vma))
		return;
	rcu_read_lock();
	policy = zp_policy_of(vma->vm_mm);
	if (policy && READ_ONCE(policy->mode) == ZP_MODE_NEVER &&
	    zp_never_maps_private(vma)) {
		vmf->flags |= FAULT_FLAG_WRITE;
		zp_count_for(ZP_STAT_PRIVATE_MAPPED, policy);
	}
	rcu_read_unlock();
}
