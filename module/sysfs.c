// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/mm/zeropage/: the knobs and the counters (SPEC §2.1).
 *
 * Every write is parsed strictly (modes.c): one word, optionally followed by
 * a single newline (what echo adds), no NUL bytes; anything else is -EINVAL
 * and changes nothing.
 */
#include <linux/kernfs.h>
#include <linux/kobject.h>
#include <linux/sysfs.h>

#include "zeropage.h"
#include "zeropage_arch.h"
#include "zp_hooks.h"
#include "zp_modes.h"
#include "zp_policy.h"
#include "zp_probes.h"
#include "zp_stats.h"

static ssize_t enabled_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	int mode = READ_ONCE(zp_mode);

	return sysfs_emit(buf, mode == ZP_MODE_ALWAYS ? "[always] never\n" :
			  "always [never]\n");
}

static ssize_t enabled_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	int mode = zp_parse_mode(buf, count);

	if (mode < 0)
		return mode;
	WRITE_ONCE(zp_mode, mode);
	return count;
}

static ssize_t audit_show(struct kobject *kobj, struct kobj_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", zp_audit_enabled());
}

static ssize_t audit_store(struct kobject *kobj, struct kobj_attribute *attr,
			   const char *buf, size_t count)
{
	static const char * const bits[] = { "0", "1" };
	int on = zp_match_word(buf, count, bits, ARRAY_SIZE(bits));
	int ret;

	if (on < 0)
		return on;
	ret = zp_audit_set(on);
	return ret ? ret : count;
}

static ssize_t fault_around_bytes_show(struct kobject *kobj,
				       struct kobj_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", READ_ONCE(zp_fault_around_bytes));
}

static ssize_t fault_around_bytes_store(struct kobject *kobj,
					struct kobj_attribute *attr,
					const char *buf, size_t count)
{
	unsigned int bytes;
	int ret = zp_check_fault_around(buf, count, &bytes);

	if (ret)
		return ret;
	WRITE_ONCE(zp_fault_around_bytes, bytes);
	return count;
}

static ssize_t hook_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", zp_hooks_describe());
}

static ssize_t arch_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%s\n", zp_arch_verdict());
}

static ssize_t cgroups_show(struct kobject *kobj, struct kobj_attribute *attr,
			    char *buf)
{
	return zp_policy_show(buf, false);
}

static ssize_t cgroups_store(struct kobject *kobj, struct kobj_attribute *attr,
			     const char *buf, size_t count)
{
	return zp_policy_store(buf, count);
}

static ssize_t cgroup_stats_show(struct kobject *kobj,
				 struct kobj_attribute *attr, char *buf)
{
	return zp_policy_show(buf, true);
}

static struct kobj_attribute enabled_attr = __ATTR_RW_MODE(enabled, 0644);
static struct kobj_attribute audit_attr = __ATTR_RW_MODE(audit, 0644);
static struct kobj_attribute fault_around_bytes_attr =
	__ATTR_RW_MODE(fault_around_bytes, 0644);
static struct kobj_attribute hook_attr = __ATTR_RO(hook);
static struct kobj_attribute arch_attr = __ATTR_RO(arch);
static struct kobj_attribute cgroups_attr = __ATTR_RW_MODE(cgroups, 0644);
static struct kobj_attribute cgroup_stats_attr = __ATTR_RO(cgroup_stats);

static struct attribute *zp_attrs[] = {
	&enabled_attr.attr,
	&audit_attr.attr,
	&fault_around_bytes_attr.attr,
	&hook_attr.attr,
	&arch_attr.attr,
	&cgroups_attr.attr,
	&cgroup_stats_attr.attr,
	NULL,
};

static const struct attribute_group zp_group = {
	.attrs = zp_attrs,
};

struct zp_stat_attr {
	struct kobj_attribute kattr;
	enum zp_stat stat;
};

static ssize_t stat_show(struct kobject *kobj, struct kobj_attribute *attr,
			 char *buf)
{
	struct zp_stat_attr *sa = container_of(attr, struct zp_stat_attr, kattr);

	return sysfs_emit(buf, "%lu\n", zp_stat_sum(sa->stat));
}

#define ZP_STAT_ATTR(_name, _stat)					\
	static struct zp_stat_attr _name##_attr = {			\
		.kattr = __ATTR(_name, 0444, stat_show, NULL),		\
		.stat = _stat,						\
	}

ZP_STAT_ATTR(zero_mapped, ZP_STAT_ZERO_MAPPED);
ZP_STAT_ATTR(private_mapped, ZP_STAT_PRIVATE_MAPPED);
ZP_STAT_ATTR(passed, ZP_STAT_PASSED);
ZP_STAT_ATTR(cow_from_zero, ZP_STAT_COW_FROM_ZERO);
ZP_STAT_ATTR(around_mapped, ZP_STAT_AROUND_MAPPED);
ZP_STAT_ATTR(walker_zero, ZP_STAT_WALKER_ZERO);
ZP_STAT_ATTR(audit_violations, ZP_STAT_AUDIT_VIOLATIONS);

static struct attribute *zp_stat_attrs[] = {
	&zero_mapped_attr.kattr.attr,
	&private_mapped_attr.kattr.attr,
	&passed_attr.kattr.attr,
	&cow_from_zero_attr.kattr.attr,
	&around_mapped_attr.kattr.attr,
	&walker_zero_attr.kattr.attr,
	&audit_violations_attr.kattr.attr,
	NULL,
};

static const struct attribute_group zp_stats_group = {
	.name = "stats",
	.attrs = zp_stat_attrs,
};

static const struct attribute_group *zp_groups[] = {
	&zp_group,
	&zp_stats_group,
	NULL,
};

static struct kobject *zp_kobj;

/*
 * /sys/kernel/mm's kobject, mm_kobj, is not exported on every kernel (6.12
 * dropped the export).  A sysfs directory's kernfs node carries its kobject
 * as private data (sysfs_create_dir_ns()), so find it from kernel_kobj.
 */
static struct kobject *zp_find_mm_kobj(void)
{
	struct kernfs_node *kn = kernfs_find_and_get(kernel_kobj->sd, "mm");
	struct kobject *kobj;

	if (!kn)
		return NULL;
	kobj = kn->priv;
	kernfs_put(kn);
	return kobj;
}

int zp_sysfs_init(void)
{
	struct kobject *mm = zp_find_mm_kobj();
	int ret;

	if (!mm) {
		pr_err("refusing to load: /sys/kernel/mm not found\n");
		return -ENOENT;
	}
	zp_kobj = kobject_create_and_add("zeropage", mm);
	if (!zp_kobj)
		return -ENOMEM;
	ret = sysfs_create_groups(zp_kobj, zp_groups);
	if (ret) {
		kobject_put(zp_kobj);
		return ret;
	}
	return 0;
}

void zp_sysfs_exit(void)
{
	sysfs_remove_groups(zp_kobj, zp_groups);
	kobject_put(zp_kobj);
}
