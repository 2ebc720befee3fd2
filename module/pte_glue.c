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
#include "zp_symbols.h"

/*
 * Kernel helpers behind set_pte_at(), update_mmu_cache() and the page-table
 * walk that some architectures keep out of line and do not export.  A
 * definition of the same name here satisfies the inline callers in the
 * headers and calls the kernel's own function, found at load.
 */
struct zp_kernel_helper {
	const char *name;
	unsigned long *addr;
};

#if defined(CONFIG_ARM) || defined(CONFIG_PPC)
#ifdef ZP_SET_PTES_OUT_OF_LINE
static unsigned long zp_k_set_ptes;
void set_ptes(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte, unsigned int nr)
{
	((void (*)(struct mm_struct *, unsigned long, pte_t *, pte_t, unsigned int))zp_k_set_ptes)
		(mm, addr, ptep, pte, nr);
}

#define ZP_SET_PTE_HELPER { "set_ptes", &zp_k_set_ptes }
#else
static unsigned long zp_k_set_pte_at;
void set_pte_at(struct mm_struct *mm, unsigned long addr, pte_t *ptep, pte_t pte)
{
	((void (*)(struct mm_struct *, unsigned long, pte_t *, pte_t))zp_k_set_pte_at)
		(mm, addr, ptep, pte);
}

#define ZP_SET_PTE_HELPER { "set_pte_at", &zp_k_set_pte_at }
#endif
#endif

#if defined(CONFIG_ARM)
#if __LINUX_ARM_ARCH__ < 6 && defined(ZP_HAVE_UPDATE_MMU_CACHE_RANGE)
static unsigned long zp_k_update_mmu_cache;
void update_mmu_cache_range(struct vm_fault *vmf, struct vm_area_struct *vma,
			    unsigned long addr, pte_t *ptep, unsigned int nr)
{
	((void (*)(struct vm_fault *, struct vm_area_struct *, unsigned long, pte_t *,
		   unsigned int))zp_k_update_mmu_cache)(vmf, vma, addr, ptep, nr);
}

#define ZP_UPDATE_MMU_CACHE_HELPER { "update_mmu_cache_range", &zp_k_update_mmu_cache },
#elif __LINUX_ARM_ARCH__ < 6
static unsigned long zp_k_update_mmu_cache;
void update_mmu_cache(struct vm_area_struct *vma, unsigned long addr, pte_t *ptep)
{
	((void (*)(struct vm_area_struct *, unsigned long, pte_t *))zp_k_update_mmu_cache)
		(vma, addr, ptep);
}

#define ZP_UPDATE_MMU_CACHE_HELPER { "update_mmu_cache", &zp_k_update_mmu_cache },
#else
#define ZP_UPDATE_MMU_CACHE_HELPER
#endif

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	ZP_SET_PTE_HELPER,
	ZP_UPDATE_MMU_CACHE_HELPER
};
#elif defined(CONFIG_ARM64) && defined(CONFIG_ARM64_MTE) && defined(ZP_HAVE_MTE_SYNC_TAGS_NR)
/* Only for tagged PTEs that are not special: never reached from here. */
static unsigned long zp_k_mte_sync_tags;
void mte_sync_tags(pte_t pte, unsigned int nr_pages)
{
	((void (*)(pte_t, unsigned int))zp_k_mte_sync_tags)(pte, nr_pages);
}

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "mte_sync_tags", &zp_k_mte_sync_tags },
};
#elif defined(CONFIG_RISCV)
/* The page-table walk's p4d and pud steps, and set_pte_at()'s icache flush. */
static unsigned long zp_k_p4d_offset, zp_k_pud_offset, zp_k_flush_icache_pte;
p4d_t *p4d_offset(pgd_t *pgd, unsigned long address)
{
	return ((p4d_t *(*)(pgd_t *, unsigned long))zp_k_p4d_offset)(pgd, address);
}

pud_t *pud_offset(p4d_t *p4d, unsigned long address)
{
	return ((pud_t *(*)(p4d_t *, unsigned long))zp_k_pud_offset)(p4d, address);
}

void flush_icache_pte(struct mm_struct *mm, pte_t pte)
{
	((void (*)(struct mm_struct *, pte_t))zp_k_flush_icache_pte)(mm, pte);
}

static const struct zp_kernel_helper zp_kernel_helpers[] = {
	{ "p4d_offset", &zp_k_p4d_offset },
	{ "pud_offset", &zp_k_pud_offset },
	{ "flush_icache_pte", &zp_k_flush_icache_pte },
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
	ZP_SET_PTE_HELPER,
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
