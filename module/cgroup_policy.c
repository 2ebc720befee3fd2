// SPDX-License-Identifier: GPL-2.0
/*
 * Zero-page policy per cgroup v2: always or never for a cgroup and
 * everything below it; the nearest listed ancestor of the cgroup that owns
 * the faulting mm decides, else the global mode.
 *
 * An entry holds a reference on its cgroup and is keyed by the cgroup's id,
 * which the kernel never reuses: the policy follows the cgroup, not its
 * path.  A removed cgroup's entry drops out of the listings at once (the
 * cgroup is offline) and is freed by the next write to `cgroups` or at
 * unload.  Reading never changes anything: the listings walk the table
 * under RCU, with no lock and no grace period, from any namespace.
 *
 * Paths are stored and listed from the cgroup2 root (as a process in the
 * initial cgroup namespace sees them in /proc/PID/cgroup).  A writer inside
 * another cgroup namespace would name cgroups from its own root, so its
 * writes are refused (EPERM) rather than stored under one meaning and
 * listed under another.
 *
 * The fault path only reads the hash table under RCU, behind a static key
 * that is off while no entry exists, so a machine without policies pays a
 * patched-out branch.
 */
#include <linux/cgroup.h>
#include <linux/hashtable.h>
#include <linux/mutex.h>
#include <linux/nsproxy.h>
#include <linux/percpu.h>
#include <linux/rculist.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/sysfs.h>

#include "zeropage_compat.h"
#include "zp_modes.h"
#include "zp_policy.h"

#ifndef CONFIG_CGROUPS
#error "zeropage needs CONFIG_CGROUPS"
#endif

#define ZP_POLICY_MAX		64
/* Every listing, with a line per entry, must fit the page sysfs gives. */
#define ZP_POLICY_LINE_EXTRA	64	/* counters, mode, separators */

DEFINE_STATIC_KEY_FALSE(zp_cgroup_policies);

static DEFINE_HASHTABLE(zp_policy_table, 6);
static DEFINE_MUTEX(zp_policy_lock);	/* writers; readers use RCU */
static unsigned int zp_policy_nr;
static size_t zp_policy_bytes;		/* what the listings need, at most */

/* Under rcu_read_lock() (faults, listings) or zp_policy_lock (writers). */
static struct zp_policy *zp_policy_find(u64 id)
{
	struct zp_policy *p;

	hash_for_each_possible_rcu(zp_policy_table, p, node, id,
				   lockdep_is_held(&zp_policy_lock))
		if (p->id == id)
			return p;
	return NULL;
}

struct zp_policy *zp_policy_of(struct mm_struct *mm)
{
	struct task_struct *owner = zp_mm_owner(mm);
	struct cgroup *cg;
	struct zp_policy *p;

	if (!owner)
		return NULL;
	for (cg = task_dfl_cgroup(owner); cg; cg = cgroup_parent(cg)) {
		p = zp_policy_find(cgroup_id(cg));
		if (p)
			return p;
	}
	return NULL;
}

static size_t zp_policy_cost(const struct zp_policy *p)
{
	return strlen(p->path) + ZP_POLICY_LINE_EXTRA;
}

/* Unhash @p; the caller frees it after a grace period. */
static void zp_policy_unlink(struct zp_policy *p, struct hlist_head *dead)
{
	hash_del_rcu(&p->node);
	zp_policy_nr--;
	zp_policy_bytes -= zp_policy_cost(p);
	hlist_add_head(&p->dead, dead);
	if (!zp_policy_nr)
		static_branch_disable(&zp_cgroup_policies);
}

/* Free what zp_policy_unlink() took out, once no reader can still see it. */
static void zp_policy_free_dead(struct hlist_head *dead)
{
	struct hlist_node *tmp;
	struct zp_policy *p;

	if (hlist_empty(dead))
		return;
	synchronize_rcu();
	hlist_for_each_entry_safe(p, tmp, dead, dead) {
		cgroup_put(p->cgroup);
		free_percpu(p->counts);
		kfree(p);
	}
}

/*
 * Has @p's cgroup been removed (rmdir)?  Mirrors cgroup_is_dead()
 * (kernel/cgroup/cgroup-internal.h): cgroup_destroy_locked() takes
 * CSS_ONLINE off the cgroup's own css, the same way on every kernel.
 */
static bool zp_policy_removed(const struct zp_policy *p)
{
	return !(READ_ONCE(p->cgroup->self.flags) & CSS_ONLINE);
}

/* Drop the entries of removed cgroups; under zp_policy_lock. */
static void zp_policy_prune(struct hlist_head *dead)
{
	struct hlist_node *tmp;
	struct zp_policy *p;
	int bkt;

	hash_for_each_safe(zp_policy_table, bkt, tmp, p, node)
		if (zp_policy_removed(p))
			zp_policy_unlink(p, dead);
}

/*
 * Does the writer name cgroups from the cgroup2 root?  Its cgroup
 * namespace's root is the root cgroup (the initial namespace, or one made
 * there).
 */
static bool zp_writer_sees_cgroup2_root(void)
{
	return !cgroup_parent(current->nsproxy->cgroup_ns->root_cset->dfl_cgrp);
}

/* The cgroup at @path (from the cgroup2 root) with a reference. */
static struct cgroup *zp_cgroup_at(const char *path)
{
	struct cgroup *cg;

	if (path[0] != '/')
		return ERR_PTR(-EINVAL);
	cg = cgroup_get_from_path(path);
	if (IS_ERR(cg))
		return ERR_PTR(-ENOENT);	/* also a file, not a directory */
	return cg;
}

/* A new entry for @cg, taking over the caller's reference on it. */
static int zp_policy_add(struct cgroup *cg, int mode)
{
	char *path = kmalloc(PATH_MAX, GFP_KERNEL);
	struct zp_policy *p;
	int len;

	if (!path)
		return -ENOMEM;
	/* The canonical path: no doubled or trailing slashes. */
	len = cgroup_path(cg, path, PATH_MAX);
	if (len < 0 || len >= PATH_MAX) {
		kfree(path);
		return -ENAMETOOLONG;
	}
	if (zp_policy_nr >= ZP_POLICY_MAX ||
	    zp_policy_bytes + len + ZP_POLICY_LINE_EXTRA > PAGE_SIZE) {
		kfree(path);
		return -ENOSPC;
	}
	p = kzalloc(struct_size(p, path, len + 1), GFP_KERNEL);
	if (p)
		p->counts = alloc_percpu(struct zp_policy_counts);
	if (!p || !p->counts) {
		kfree(p);
		kfree(path);
		return -ENOMEM;
	}
	p->cgroup = cg;
	p->id = cgroup_id(cg);
	p->mode = mode;
	memcpy(p->path, path, len + 1);
	kfree(path);
	hash_add_rcu(zp_policy_table, &p->node, p->id);
	zp_policy_nr++;
	zp_policy_bytes += zp_policy_cost(p);
	static_branch_enable(&zp_cgroup_policies);
	return 0;
}

/* "MODE PATH": MODE always, never or inherit (removes the entry). */
ssize_t zp_policy_store(const char *buf, size_t count)
{
	size_t len = count;
	HLIST_HEAD(dead);
	struct zp_policy *p;
	const char *space;
	struct cgroup *cg;
	char *path;
	int mode, ret;

	if (len && buf[len - 1] == '\n')
		len--;
	space = memchr(buf, ' ', len);
	if (!space || memchr(buf, '\0', len) || memchr(buf, '\n', len))
		return -EINVAL;
	mode = zp_parse_policy_mode(buf, space - buf);
	if (mode < 0)
		return mode;
	if (!zp_writer_sees_cgroup2_root())
		return -EPERM;
	path = kmemdup_nul(space + 1, buf + len - space - 1, GFP_KERNEL);
	if (!path)
		return -ENOMEM;
	cg = zp_cgroup_at(path);
	kfree(path);
	if (IS_ERR(cg))
		return PTR_ERR(cg);

	mutex_lock(&zp_policy_lock);
	zp_policy_prune(&dead);
	p = zp_policy_find(cgroup_id(cg));
	ret = 0;
	if (p && mode == ZP_POLICY_INHERIT) {
		zp_policy_unlink(p, &dead);
	} else if (p) {
		WRITE_ONCE(p->mode, mode);
	} else if (mode != ZP_POLICY_INHERIT) {
		ret = zp_policy_add(cg, mode);
		if (!ret)
			cg = NULL;	/* the entry holds the reference now */
	}
	mutex_unlock(&zp_policy_lock);
	if (cg)
		cgroup_put(cg);
	zp_policy_free_dead(&dead);
	return ret ? ret : count;
}

static unsigned long zp_policy_sum(const struct zp_policy *p, enum zp_stat stat)
{
	unsigned long sum = 0;
	int cpu;

	for_each_possible_cpu(cpu)
		sum += per_cpu_ptr(p->counts, cpu)->count[stat];
	return sum;
}

/*
 * The listing of `cgroups` (@stats false) or `cgroup_stats` into @buf, a
 * page.  Writers keep every listing within a page, but a listing that
 * races with them may meet an entry being removed and its replacement:
 * a line that would not fit is left out rather than cut.
 */
ssize_t zp_policy_show(char *buf, bool stats)
{
	struct zp_policy *p;
	size_t len = 0;
	int bkt, n;

	rcu_read_lock();
	hash_for_each_rcu(zp_policy_table, bkt, p, node) {
		if (zp_policy_removed(p))
			continue;
		if (stats)
			n = snprintf(buf + len, PAGE_SIZE - len, "%lu %lu %lu %s\n",
				     zp_policy_sum(p, ZP_STAT_ZERO_MAPPED),
				     zp_policy_sum(p, ZP_STAT_PRIVATE_MAPPED),
				     zp_policy_sum(p, ZP_STAT_PASSED), p->path);
		else
			n = snprintf(buf + len, PAGE_SIZE - len, "%s %s\n",
				     zp_mode_name(READ_ONCE(p->mode)), p->path);
		if (n >= PAGE_SIZE - len)
			break;
		len += n;
	}
	rcu_read_unlock();
	buf[len] = '\0';
	return len;
}

/* At unload, after the hooks are gone: nothing can look entries up. */
void zp_policies_exit(void)
{
	HLIST_HEAD(dead);
	struct hlist_node *tmp;
	struct zp_policy *p;
	int bkt;

	mutex_lock(&zp_policy_lock);
	hash_for_each_safe(zp_policy_table, bkt, tmp, p, node)
		zp_policy_unlink(p, &dead);
	mutex_unlock(&zp_policy_lock);
	zp_policy_free_dead(&dead);
}
