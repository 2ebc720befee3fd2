// SPDX-License-Identifier: GPL-2.0
/*
 * Attaching an ftrace_ops to a kernel function's entry: the mechanism of
 * the fault hooks (with IPMODIFY, as livepatch's) and of the counting
 * probe on do_wp_page() where ftrace has arguments.
 *
 * The site is found with a probe-only kprobe, which also tells whether it
 * is an ftrace site.  Every ftrace_ops is PERMANENT, as livepatch's are:
 * while the module is loaded, sysctl kernel.ftrace_enabled=0 fails with
 * EBUSY instead of detaching the hooks behind the module's back, and with
 * ftrace off the module refuses to load.
 */
#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "zeropage_arch.h"
#include "zp_ftrace_attach.h"
#include "zp_symbols.h"

#ifdef ZP_HOOK_DIVERT

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
bool zp_ftrace_off(void)
{
	unsigned char target[] = "handle_mm_fault";
	struct ftrace_ops *probe;
	int ret;

	/*
	 * A new ops each time: ftrace_free_filter() frees the filter but
	 * leaves the ops pointing at it, so a second ftrace_set_filter() on
	 * the same ops would free it again (hook=auto asks once per EBUSY).
	 */
	probe = kzalloc(sizeof(*probe), GFP_KERNEL);
	if (!probe)
		return false;
	probe->func = zp_nop_thunk;
	probe->flags = FTRACE_OPS_FL_PERMANENT;
	ret = ftrace_set_filter(probe, target, strlen(target), 1);
	if (!ret) {
		ret = register_ftrace_function(probe);
		if (!ret)
			unregister_ftrace_function(probe);
	}	/* else not traceable: the strategies will say */
	ftrace_free_filter(probe);
	kfree(probe);
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

int zp_ftrace_attach(struct ftrace_ops *ops, const char *name,
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

void zp_ftrace_detach(struct ftrace_ops *ops)
{
	unregister_ftrace_function(ops);
	ftrace_free_filter(ops);
}

#endif /* ZP_HOOK_DIVERT */
