// SPDX-License-Identifier: GPL-2.0
/*
 * zp_testmod: puts a process into states the guest tests cannot reach from
 * user space alone, so that the module's answers to them can fail:
 *
 *  - an mm the OOM reaper is tearing down (MMF_UNSTABLE), where a read
 *    fault must raise SIGBUS, as the kernel's do_anonymous_page() does;
 *  - a zero-page PTE without the special bit, which the audit
 *    (vm_normal_page probe) must report;
 *  - another ftrace user redirecting every fault function the module can
 *    hook, as a live patch would: hook=auto must refuse, saying why for
 *    each candidate;
 *  - on PREEMPT_RT, a PTE lock held by another task, which a replacement
 *    of the module then sleeps on while the module unloads.
 *
 * Test bed only (selftests/kmod): it is never packaged.  The PTE it writes
 * is not counted in the mm's RSS and must be cleared with ZPT_CLEAR_PTE
 * before the mapping is unmapped, or zap_pte_range() would take the zero
 * page for a normal page.
 */
#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/jiffies.h>
#include <linux/ftrace.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#ifndef ZP_HAVE_MM_FLAGS_SET
#include <linux/sched/coredump.h>
#endif

#include "zp_testmod.h"

static int zpt_set_plain_zero(pte_t *ptep, unsigned long addr, void *data)
{
	struct vm_area_struct *vma = data;

	if (!pte_none(ptep_get(ptep)))
		return -EEXIST;
	set_pte_at(vma->vm_mm, addr, ptep,
		   pfn_pte(page_to_pfn(ZERO_PAGE(addr)), vma->vm_page_prot));
	return 0;
}

static int zpt_clear(pte_t *ptep, unsigned long addr, void *data)
{
	struct vm_area_struct *vma = data;

	/* A stale TLB entry maps only the zero page: the munmap flushes it. */
	ptep_get_and_clear(vma->vm_mm, addr, ptep);
	return 0;
}

static atomic_t zpt_ptl_held, zpt_ptl_release;

/*
 * Called with the PTE lock held (apply_to_page_range()).  On PREEMPT_RT
 * that section is preemptible: the spinning holder lets others run.
 */
static int zpt_hold_ptl(pte_t *ptep, unsigned long addr, void *data)
{
	unsigned long until = jiffies + 15 * HZ;	/* RCU stalls are reported at 21 s */

	atomic_set(&zpt_ptl_held, 1);
	while (!atomic_read(&zpt_ptl_release) && time_before(jiffies, until))
		cpu_relax();
	atomic_set(&zpt_ptl_held, 0);
	return 0;
}

/* Apply @fn to the PTE of @addr in an anonymous private VMA of the caller. */
static int zpt_on_pte(unsigned long addr, pte_fn_t fn)
{
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	int ret = -EINVAL;

	addr &= PAGE_MASK;
	mmap_read_lock(mm);
	vma = vma_lookup(mm, addr);
	if (vma && vma_is_anonymous(vma) && !(vma->vm_flags & VM_SHARED))
		ret = apply_to_page_range(mm, addr, PAGE_SIZE, fn, vma);
	mmap_read_unlock(mm);
	return ret;
}

static void notrace zpt_squat_func(unsigned long ip, unsigned long parent_ip,
				   struct ftrace_ops *ops, struct ftrace_regs *fregs)
{
}

static DEFINE_MUTEX(zpt_squat_lock);
static struct file *zpt_squatter;	/* the open file holding the ops */
static struct ftrace_ops *zpt_squat_ops;

/* A new ops each squat: ftrace_free_filter() leaves the ops unusable. */
static struct ftrace_ops *zpt_squat_ops_new(void)
{
	struct ftrace_ops *ops = kzalloc(sizeof(*ops), GFP_KERNEL);

	if (ops) {
		ops->func = zpt_squat_func;
		/* Redirecting (IPMODIFY): the module's fault ops get EBUSY. */
		ops->flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_IPMODIFY;
	}
	return ops;
}

static int zpt_squat(struct file *file)
{
	static const char *const targets[] = {
		"do_anonymous_page", "__handle_mm_fault", "handle_mm_fault",
	};
	struct ftrace_ops *ops;
	int i, found = 0, ret = -EBUSY;

	mutex_lock(&zpt_squat_lock);
	if (zpt_squatter)
		goto out;
	ret = -ENOMEM;
	ops = zpt_squat_ops_new();
	if (!ops)
		goto out;
	for (i = 0; i < ARRAY_SIZE(targets); i++)	/* absent where inlined */
		found += !ftrace_set_filter(ops, (unsigned char *)targets[i],
					    strlen(targets[i]), 0);
	ret = found ? register_ftrace_function(ops) : -ENOENT;
	if (ret) {
		ftrace_free_filter(ops);
		kfree(ops);
	} else {
		zpt_squatter = file;
		zpt_squat_ops = ops;
	}
out:
	mutex_unlock(&zpt_squat_lock);
	return ret;
}

static int zpt_release(struct inode *inode, struct file *file)
{
	mutex_lock(&zpt_squat_lock);
	if (zpt_squatter == file) {
		unregister_ftrace_function(zpt_squat_ops);
		ftrace_free_filter(zpt_squat_ops);
		kfree(zpt_squat_ops);
		zpt_squatter = NULL;
	}
	mutex_unlock(&zpt_squat_lock);
	return 0;
}

static long zpt_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case ZPT_MM_UNSTABLE:
#ifdef ZP_HAVE_MM_FLAGS_SET
		mm_flags_set(MMF_UNSTABLE, current->mm);
#else
		set_bit(MMF_UNSTABLE, &current->mm->flags);
#endif
		return 0;
	case ZPT_MAP_PLAIN_ZERO:
		return zpt_on_pte(arg, zpt_set_plain_zero);
	case ZPT_CLEAR_PTE:
		return zpt_on_pte(arg, zpt_clear);
	case ZPT_SQUAT:
		return zpt_squat(file);
	case ZPT_PTL_HOLD:
		if (!IS_ENABLED(CONFIG_PREEMPT_RT))
			return -EOPNOTSUPP;	/* a spinning lock: seconds of it stall a CPU */
		atomic_set(&zpt_ptl_release, 0);
		return zpt_on_pte(arg, zpt_hold_ptl);
	case ZPT_PTL_RELEASE:
		atomic_set(&zpt_ptl_release, 1);
		return 0;
	case ZPT_PTL_HELD:
		return atomic_read(&zpt_ptl_held);
	default:
		return -ENOTTY;
	}
}

static const struct file_operations zpt_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = zpt_ioctl,
	.release = zpt_release,
};

static struct miscdevice zpt_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "zp_testmod",
	.fops = &zpt_fops,
};

module_misc_device(zpt_dev);
MODULE_DESCRIPTION("zeropage test bed helper: states for the guest tests (never shipped)");
MODULE_LICENSE("GPL");
