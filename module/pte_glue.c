// SPDX-License-Identifier: GPL-2.0
/*
 * Architecture glue for the PTE writes in fault.c: stand-ins for kernel
 * helpers some architectures keep out of line and unexported, and the
 * load-time check that mprotect() keeps a zero-page PTE special.
 */
#include <linux/mm.h>
#include <linux/pgtable.h>
#include <asm/mmu_context.h>

#include "zeropage_arch.h"
#include "zeropage_compat.h"

/*
 * Kernel helpers behind set_pte_at() and update_mmu_cache() that some
 * architectures keep out of line and do not export.  A definition of the
 * same name here satisfies the inline callers in the headers and calls the
 * kernel's own function, found at load.
 */
struct zp_kernel_helper {
	const char *name;
	unsigned long *addr;
};

#if defined(CONFIG_ARM)
static unsigned long zp_k_set_pte_at;
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pteval)
{
	((void (*)(struct mm_struct *, unsigned long, pte_t *, pte_t))zp_k_set_pte_at)
		(mm, addr, ptep, pteval);
}

#if __LINUX_ARM_ARCH__ < 6
static unsigned long zp_k_update_mmu_cache;
void update_mmu_cache(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	((void (*)(struct vm_area_struct *, unsigned long, pte_t *))zp_k_update_mmu_cache)
		(vma, addr, ptep);
}
#endif

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "set_pte_at", &zp_k_set_pte_at },
#if __LINUX_ARM_ARCH__ < 6
	{ "update_mmu_cache", &zp_k_update_mmu_cache },
#endif
};
#elif defined(CONFIG_MIPS)
static unsigned long zp_k_update_cache, zp_k_update_tlb;
void __update_cache(unsigned long address, pte_t pte)
{
	((void (*)(unsigned long, pte_t))zp_k_update_cache)(address, pte);
}

void __update_tlb(struct vm_area_struct *vma, unsigned long address, pte_t pte)
{
	((void (*)(struct vm_area_struct *, unsigned long, pte_t))zp_k_update_tlb)
		(vma, address, pte);
}

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "__update_cache", &zp_k_update_cache },
	{ "__update_tlb", &zp_k_update_tlb },
};
#elif defined(CONFIG_PPC)
static unsigned long zp_k_set_pte_at;
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{
	((void (*)(struct mm_struct *, unsigned long, pte_t *, pte_t))zp_k_set_pte_at)
		(mm, addr, ptep, pte);
}

#ifdef CONFIG_PPC_BOOK3S
static unsigned long zp_k_update_mmu_cache;
void __update_mmu_cache(struct vm_area_struct *vma, unsigned long address, pte_t *ptep)
{
	((void (*)(struct vm_area_struct *, unsigned long, pte_t *))zp_k_update_mmu_cache)
		(vma, address, ptep);
}
#endif

#ifdef CONFIG_PPC64
static unsigned long zp_k_pmd_page;
struct page *pmd_page(pmd_t pmd)
{
	return ((struct page *(*)(pmd_t))zp_k_pmd_page)(pmd);
}
#endif

#ifdef CONFIG_PPC_MEM_KEYS
static unsigned long zp_k_access_permitted;
bool arch_vma_access_permitted(struct vm_area_struct *vma, bool write, bool execute,
			       bool foreign)
{
	return ((bool (*)(struct vm_area_struct *, bool, bool, bool))zp_k_access_permitted)
		(vma, write, execute, foreign);
}
#endif

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "set_pte_at", &zp_k_set_pte_at },
#ifdef CONFIG_PPC_BOOK3S
	{ "__update_mmu_cache", &zp_k_update_mmu_cache },
#endif
#ifdef CONFIG_PPC64
	{ "pmd_page", &zp_k_pmd_page },
#endif
#ifdef CONFIG_PPC_MEM_KEYS
	{ "arch_vma_access_permitted", &zp_k_access_permitted },
#endif
};
#elif defined(ZP_S390_PTEP_SET_PTE_AT)
/* Only for mms with PGSTEs, which forbid the zero page: never reached. */
static unsigned long zp_k_ptep_set_pte_at;
void ptep_set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t entry)
{
	((void (*)(struct mm_struct *, unsigned long, pte_t *, pte_t))zp_k_ptep_set_pte_at)
		(mm, addr, ptep, entry);
}

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "ptep_set_pte_at", &zp_k_ptep_set_pte_at },
};
#else
#define ZP_KERNEL_HELPERS_NONE
#endif

/*
 * Does mprotect() keep a zero-page PTE special?  Not where pte_modify()
 * drops the bit (Debian 6.1's mips: _PAGE_CHG_MASK lacks _PAGE_SPECIAL):
 * the PTE then looks like a normal page, and unmapping it corrupts the
 * zero page's mapcount.  The kernel's own zero-page PTEs suffer the same.
 */
static bool zp_pte_modify_keeps_special(void)
{
#ifdef CONFIG_X86
	/* It does (_PAGE_CHG_MASK); pte_modify() uses the unexported cc_mask. */
	return true;
#else
	pte_t pte = pte_mkspecial(pfn_pte(zp_zero_pfn(0), vm_get_page_prot(VM_READ | VM_WRITE)));

	return pte_special(pte_modify(pte, vm_get_page_prot(VM_READ)));
#endif
}

int zp_arch_ready(void)
{
#ifndef ZP_KERNEL_HELPERS_NONE
	int i;
#endif

	if (!zp_pte_modify_keeps_special()) {
		pr_err("refusing to load on %s: this kernel's pte_modify() drops the special bit: mprotect() would turn a zero-page PTE into a normal one\n",
		       ZP_THIS_ARCH);
		return -EOPNOTSUPP;
	}
#ifndef ZP_KERNEL_HELPERS_NONE
	for (i = 0; i < ARRAY_SIZE(zp_kernel_helpers); i++) {
		*zp_kernel_helpers[i].addr = zp_kernel_function(zp_kernel_helpers[i].name);
		if (!*zp_kernel_helpers[i].addr) {
			pr_err("refusing to load on %s: cannot find the kernel's %s()\n",
			       ZP_THIS_ARCH, zp_kernel_helpers[i].name);
			return -ENOENT;
		}
	}
#endif
	return 0;
}
