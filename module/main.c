// SPDX-License-Identifier: GPL-2.0
/*
 * zeropage: the shared zero page under the administrator's control.
 *
 * Load order: the capability table may refuse; then the fault hooks; then
 * the sysfs interface.  Unload runs it backwards, and only after every hook
 * is gone and every diverted fault has returned is anything freed.
 */
#include <linux/module.h>
#include <linux/moduleparam.h>

#include "zeropage.h"
#include "zeropage_arch.h"
#include "zp_hooks.h"
#include "zp_modes.h"
#include "zp_policy.h"

static int zp_mode_param_set(const char *val, const struct kernel_param *kp)
{
	int mode = zp_parse_mode(val, strlen(val));

	if (mode < 0)
		return mode;
	WRITE_ONCE(zp_mode, mode);
	return 0;
}

static int zp_mode_param_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", zp_mode_name(READ_ONCE(zp_mode)));
}

static const struct kernel_param_ops zp_mode_param_ops = {
	.set = zp_mode_param_set,
	.get = zp_mode_param_get,
};
module_param_cb(mode, &zp_mode_param_ops, NULL, 0444);
MODULE_PARM_DESC(mode, "always|never: mode at load (default always)");

static int zp_around_param_set(const char *val, const struct kernel_param *kp)
{
	unsigned int bytes;
	int ret = zp_check_fault_around(val, strlen(val), &bytes);

	if (!ret)
		WRITE_ONCE(zp_fault_around_bytes, bytes);
	return ret;
}

static const struct kernel_param_ops zp_around_param_ops = {
	.set = zp_around_param_set,
	.get = param_get_uint,
};
module_param_cb(fault_around_bytes, &zp_around_param_ops,
		&zp_fault_around_bytes, 0444);
MODULE_PARM_DESC(fault_around_bytes,
		 "zero-page fault-around window at load, a power of two from 4096 (off) to one page table's span");

static char *hook = "auto";
static int zp_hook_param_set(const char *val, const struct kernel_param *kp)
{
	static const char * const names[] = {
		"auto", "do_anonymous_page", "__handle_mm_fault", "handle_mm_fault",
	};
	int i;

	for (i = 0; i < ARRAY_SIZE(names); i++)
		if (sysfs_streq(val, names[i]))
			return param_set_charp(names[i], kp);
	return -EINVAL;
}

static const struct kernel_param_ops zp_hook_param_ops = {
	.set = zp_hook_param_set,
	.get = param_get_charp,
	.free = param_free_charp,
};
module_param_cb(hook, &zp_hook_param_ops, &hook, 0444);
MODULE_PARM_DESC(hook, "auto|do_anonymous_page|__handle_mm_fault|handle_mm_fault: fault hook to attach (default auto)");

static int __init zp_init(void)
{
	int ret;

	ret = zp_arch_check();
	if (ret)
		return ret;
	ret = zp_hooks_attach(hook);
	if (ret)
		return ret;
	ret = zp_sysfs_init();
	if (ret) {
		zp_hooks_detach();
		return ret;
	}
	pr_info("loaded, mode %s\n", zp_mode_name(READ_ONCE(zp_mode)));
	return 0;
}

static void __exit zp_exit(void)
{
	zp_sysfs_exit();
	zp_hooks_detach();
	zp_policies_exit();
	pr_info("unloaded\n");
}

module_init(zp_init);
module_exit(zp_exit);
MODULE_LICENSE("GPL");
MODULE_AUTHOR("zeropage developers");
MODULE_DESCRIPTION("The shared zero page under the administrator's control");
MODULE_VERSION(ZP_VERSION);
