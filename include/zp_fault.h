/* SPDX-License-Identifier: GPL-2.0 */
/*
 * fault.c: the decisions and the replacements.  The *_route functions run
 * in the hook's callback (may not sleep, may be preempted) and say whether
 * to divert the call to the replacement, which runs in the faulting task's
 * context and ends the diversion (zp_diversion_end()) as it returns.
 */
#ifndef ZP_FAULT_H
#define ZP_FAULT_H

#include <linux/mm.h>

/* A fault that reads (the only kind the module takes). */
static inline bool zp_is_read_fault(unsigned int flags)
{
	return !(flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE));
}

/* Route 1, do_anonymous_page(vmf): for read faults. */
bool zp_anon_fault_route(struct vm_fault *vmf);
vm_fault_t zp_do_anonymous_page(struct vm_fault *vmf);

/* Route 2, handle_mm_fault(). */
bool zp_mm_fault_route(struct vm_area_struct *vma, unsigned int flags);
vm_fault_t zp_handle_mm_fault(struct vm_area_struct *vma, unsigned long address,
			      unsigned int flags, struct pt_regs *regs);
/*
 * The module's part of a private anonymous read fault before
 * handle_mm_fault() runs; returns the flags to run it with.
 */
unsigned int zp_mm_fault_prepare(struct vm_area_struct *vma, unsigned long address,
				 unsigned int flags);
/*
 * Routes 2 and 3: find the THP settings (transparent_hugepage_flags) mode
 * never's early decision reads; until then, the conservative answers.
 */
void zp_find_thp_flags(void);

/* Route 3, __handle_mm_fault(). */
enum zp_early {
	ZP_EARLY_NONE,		/* the kernel's fault, as it came */
	ZP_EARLY_FLAGS,		/* the kernel's, with the flags changed */
	ZP_EARLY_DIVERT,	/* the module's: divert to the replacement */
};

enum zp_early zp_inner_fault_route(struct vm_area_struct *vma, unsigned long address,
				   unsigned int *flags, pmd_t **pmdpp);
vm_fault_t zp_finish_read_fault(struct vm_area_struct *vma, unsigned long address,
				pmd_t *pmdp);

/* A huge-PMD read fault, before the kernel's huge-zero-page check. */
void zp_huge_read_fault(struct vm_fault *vmf);

#endif /* ZP_FAULT_H */
