// SPDX-License-Identifier: GPL-2.0
/*
 * zeropagectl cgroup set|list, and what apply, ps and run need of the
 * per-cgroup policies: zeropage/cgroups lists "MODE PATH" and
 * zeropage/cgroup_stats "ZERO PRIVATE PASSED PATH", PATH from the cgroup2
 * root.  The module reads each file apart, in hash order: entries are
 * joined by path, and one added between the two reads has no counters.
 *
 * The cgroup2 mount comes from /proc/self/mountinfo, so that a directory
 * under it can be given instead of a path from the cgroup2 root, and run
 * knows where to make its cgroup.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zeropagectl.h"

/* The part of @path below directory @dir ("" for @dir), or NULL. */
static const char *below(const char *path, const char *dir)
{
	size_t len = strlen(dir);

	while (len && dir[len - 1] == '/')
		len--;
	if (strncmp(path, dir, len) || (path[len] && path[len] != '/'))
		return NULL;
	return path + len;
}

/* One "MODE PATH" line of zeropage/cgroups; PATH may hold spaces. */
static int add_policy(struct zp_policies *t, const char *line)
{
	const char *space = strchr(line, ' ');
	struct zp_policy *p;

	if (!space || (size_t)(space - line) >= sizeof(p->mode))
		return 0;	/* not a line of this format: a newer module's */
	p = realloc(t->p, (t->nr + 1) * sizeof(*p));
	if (!p)
		return -ENOMEM;
	t->p = p;
	p += t->nr;
	*p = (struct zp_policy){ 0 };
	memcpy(p->mode, line, space - line);
	p->path = strdup(space + 1);
	if (!p->path)
		return -ENOMEM;
	t->nr++;
	return 0;
}

/* One "ZERO PRIVATE PASSED PATH" line of zeropage/cgroup_stats. */
static int add_counts(struct zp_policies *t, const char *line)
{
	unsigned long long zero, priv, passed;
	int off = 0;

	if (sscanf(line, "%llu %llu %llu %n", &zero, &priv, &passed, &off) != 3 || !off)
		return 0;
	for (size_t i = 0; i < t->nr; i++) {
		struct zp_policy *p = &t->p[i];

		if (!strcmp(p->path, line + off)) {
			p->zero = zero;
			p->priv = priv;
			p->passed = passed;
			p->counted = true;
		}
	}
	return 0;
}

/* @fn on each line of zeropage/@file: 0 or -errno. */
static int each_line(struct zp_policies *t, const char *file,
		     int (*fn)(struct zp_policies *t, const char *line))
{
	FILE *f = fopen(zp_path(file), "r");
	char *line = NULL;
	size_t len = 0;
	int err = 0;

	if (!f)
		return -errno;
	while (!err && getline(&line, &len, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		err = fn(t, line);
	}
	if (!err && ferror(f))
		err = -EIO;
	free(line);
	fclose(f);
	return err;
}

void zp_policies_free(struct zp_policies *t)
{
	for (size_t i = 0; i < t->nr; i++)
		free(t->p[i].path);
	free(t->p);
	t->p = NULL;
	t->nr = 0;
}

int zp_policies_read(struct zp_policies *t)
{
	int err;

	*t = (struct zp_policies){ 0 };
	t->global = zp_read_choice(zp_path("enabled"), t->global_buf,
				   sizeof(t->global_buf));
	err = each_line(t, "cgroups", add_policy);
	/* Without counters the entries still say which mode applies where. */
	if (!err)
		each_line(t, "cgroup_stats", add_counts);
	else
		zp_policies_free(t);
	return err;
}

char *zp_proc_cgroup(pid_t pid)
{
	char path[PATH_MAX], *line = NULL, *cgroup = NULL;
	size_t len = 0;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "%s/%d/cgroup", zp_proc_root(), pid);
	else
		snprintf(path, sizeof(path), "%s/self/cgroup", zp_proc_root());
	f = fopen(path, "r");
	if (!f)
		return NULL;
	/* v1 hierarchies have lines of their own; v2's is "0::PATH". */
	while (!cgroup && getline(&line, &len, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		if (!strncmp(line, "0::", 3))
			cgroup = strdup(line + 3);
	}
	free(line);
	fclose(f);
	return cgroup;
}

const char *zp_policy_of(const struct zp_policies *t, pid_t pid, const char **from)
{
	const struct zp_policy *best = NULL;
	char *cgroup = t->nr ? zp_proc_cgroup(pid) : NULL;

	/* The nearest ancestor with an entry: the longest path above. */
	for (size_t i = 0; cgroup && i < t->nr; i++)
		if (below(cgroup, t->p[i].path) &&
		    (!best || strlen(t->p[i].path) > strlen(best->path)))
			best = &t->p[i];
	free(cgroup);
	*from = best ? best->path : "global";
	return best ? best->mode : t->global;
}

/* A cgroup2 mount: its directory, and the cgroup it shows there. */
struct zp_mount {
	char *dir;
	char *root;
};

static void free_mount(struct zp_mount *m)
{
	free(m->dir);
	free(m->root);
	*m = (struct zp_mount){ 0 };
}

/* Undo the octal escapes mountinfo writes (\040 for a space), in place. */
static void unescape(char *s)
{
	char *out = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' &&
		    s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*out++ = (s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0');
			s += 3;
		} else {
			*out++ = *s;
		}
	}
	*out = '\0';
}

/* @m from a line of mountinfo, if it is a cgroup2 mount. */
static bool parse_mount(const char *line, struct zp_mount *m)
{
	/* The optional fields end at " - ", before the file system type. */
	const char *sep = strstr(line, " - ");
	char type[16];

	*m = (struct zp_mount){ 0 };
	if (!sep || sscanf(sep + 3, "%15s", type) != 1 || strcmp(type, "cgroup2"))
		return false;
	if (sscanf(line, "%*s %*s %*s %ms %ms", &m->root, &m->dir) != 2) {
		free_mount(m);
		return false;
	}
	unescape(m->root);
	unescape(m->dir);
	return true;
}

/* ZEROPAGECTL_CGROUP, for tests: a directory standing for the root cgroup. */
static int env_mount(const char *dir, const char *path, struct zp_mount *m)
{
	m->dir = realpath(dir, NULL);
	m->root = strdup("/");
	if (m->dir && m->root && (!path || below(path, m->dir)))
		return 0;
	free_mount(m);
	return -ENOENT;
}

/*
 * The deepest cgroup2 mount above @path, or with @path NULL the first one:
 * 0, or -ENOENT if there is none.
 */
static int find_cgroup2(const char *path, struct zp_mount *found)
{
	const char *env = zp_env_or("ZEROPAGECTL_CGROUP", NULL);
	char mountinfo[PATH_MAX], *line = NULL;
	struct zp_mount m;
	size_t len = 0;
	FILE *f;

	*found = (struct zp_mount){ 0 };
	if (env)
		return env_mount(env, path, found);
	snprintf(mountinfo, sizeof(mountinfo), "%s/self/mountinfo", zp_proc_root());
	f = fopen(mountinfo, "r");
	if (!f)
		return -ENOENT;
	while (!(found->dir && !path) && getline(&line, &len, f) > 0) {
		if (!parse_mount(line, &m))
			continue;
		/* Of two on one directory, the later hides the earlier. */
		if ((path && !below(path, m.dir)) ||
		    (found->dir && strlen(found->dir) > strlen(m.dir))) {
			free_mount(&m);
			continue;
		}
		free_mount(found);
		*found = m;
	}
	free(line);
	fclose(f);
	return found->dir ? 0 : -ENOENT;
}

/* The cgroup at @rest under mount @m, from the cgroup2 root; malloc'd. */
static char *cgroup_at(const struct zp_mount *m, const char *rest)
{
	const char *root = strcmp(m->root, "/") ? m->root : "";
	char *path;

	if (asprintf(&path, "%s%s", root, *root || *rest ? rest : "/") < 0)
		return NULL;
	return path;
}

int zp_cgroup2_new(const char *name, char **dir, char **cgroup)
{
	struct zp_mount m;
	char *rest = NULL;
	int err = find_cgroup2(NULL, &m);

	*dir = *cgroup = NULL;
	if (err)
		return err;
	if (asprintf(&rest, "/%s", name) >= 0) {
		*cgroup = cgroup_at(&m, rest);
		if (asprintf(dir, "%s%s", m.dir, rest) < 0)
			*dir = NULL;
		free(rest);
	}
	free_mount(&m);
	if (*dir && *cgroup)
		return 0;
	free(*dir);
	free(*cgroup);
	return -ENOMEM;
}

char *zp_module_path(const char *path)
{
	char *real = realpath(path, NULL), *cgroup = NULL;
	struct zp_mount m;

	if (real && !find_cgroup2(real, &m)) {
		cgroup = cgroup_at(&m, below(real, m.dir));
		free_mount(&m);
	}
	free(real);
	return cgroup ? cgroup : strdup(path);
}

char *zp_cgroup_dir(const char *cgroup)
{
	const char *rest;
	struct zp_mount m;
	char *dir = NULL;

	if (find_cgroup2(NULL, &m))
		return NULL;
	/* A mount of a cgroup below the root shows only what is below it. */
	rest = below(cgroup, m.root);
	if (rest && asprintf(&dir, "%s%s", m.dir, rest) < 0)
		dir = NULL;
	free_mount(&m);
	return dir;
}

int zp_need_policies(void)
{
	int ret = zp_need_module();

	if (!ret && access(zp_path("cgroups"), F_OK))
		ret = zp_error(ZP_EXIT_ERROR,
			       "this zeropage module has no cgroup policies (%s missing): load a newer one",
			       zp_path("cgroups"));
	return ret;
}

int zp_policy_write(const char *who, const char *mode, const char *path)
{
	char *line;
	int err, ret;

	if (asprintf(&line, "%s %s", mode, path) < 0)
		return zp_error(ZP_EXIT_ERROR, "out of memory");
	err = zp_write(zp_path("cgroups"), line);
	if (!err)
		ret = 0;
	else if (err == ENOENT)
		ret = zp_error(ZP_EXIT_ERROR, "%s: %s is not a cgroup v2 directory",
			       who, path);
	else if (err == ENOSPC)
		ret = zp_error(ZP_EXIT_ERROR,
			       "%s: too many cgroup policies (at most 64, fewer with long paths); remove one with 'zeropagectl cgroup set PATH inherit'",
			       who);
	else if (err == EINVAL)
		ret = zp_error(ZP_EXIT_ERROR, "%s: the module rejected '%s' as invalid",
			       who, line);
	else
		ret = zp_write_error(who, zp_path("cgroups"), line, err);
	free(line);
	return ret;
}

int zp_policy_set(const char *who, const char *mode, const char *path)
{
	int ret = zp_policy_write(who, mode, path);

	if (!ret && !strcmp(mode, "inherit"))
		printf("zeropage: cgroup %s: no mode of its own, inherits\n", path);
	else if (!ret)
		printf("zeropage: cgroup %s: mode %s\n", path, mode);
	return ret;
}

int zp_cgroup_set(const struct zp_args *a)
{
	int ret = zp_need_policies();
	char *path;

	if (ret)
		return ret;
	path = zp_module_path(a->cgroup);
	if (!path)
		return zp_error(ZP_EXIT_ERROR, "out of memory");
	ret = zp_policy_set("cgroup set", a->mode, path);
	free(path);
	return ret;
}

static int cmp_policy(const void *a, const void *b)
{
	const struct zp_policy *p = a, *q = b;

	return strcmp(p->path, q->path);
}

#define LIST_ROW "%-7s %10s %10s %10s  %s\n"

/* One counter's text: @none where the entry has no counters. */
static const char *count(char *buf, size_t len, const struct zp_policy *p,
			 unsigned long long val, const char *none)
{
	if (!p->counted)
		return none;
	snprintf(buf, len, "%llu", val);
	return buf;
}

static void print_policy(const struct zp_policy *p, bool json)
{
	const char *none = json ? "null" : "-", *zero, *priv, *passed;
	char buf[3][24];

	zero = count(buf[0], sizeof(buf[0]), p, p->zero, none);
	priv = count(buf[1], sizeof(buf[1]), p, p->priv, none);
	passed = count(buf[2], sizeof(buf[2]), p, p->passed, none);
	if (!json) {
		printf(LIST_ROW, p->mode, zero, priv, passed, p->path);
		return;
	}
	printf("{\"mode\":");
	zp_json_string(p->mode);
	printf(",\"path\":");
	zp_json_string(p->path);
	printf(",\"zero_mapped\":%s,\"private_mapped\":%s,\"passed\":%s}",
	       zero, priv, passed);
}

int zp_cgroup_list(const struct zp_args *a)
{
	struct zp_policies t;
	int ret = zp_need_policies();

	if (ret)
		return ret;
	ret = -zp_policies_read(&t);
	if (ret)
		return zp_error(ZP_EXIT_ERROR, "cgroup list: cannot read %s: %s",
				zp_path("cgroups"), strerror(ret));
	if (t.nr)
		qsort(t.p, t.nr, sizeof(*t.p), cmp_policy);
	if (a->json)
		putchar('[');
	else
		printf(LIST_ROW, "MODE", "ZERO", "PRIVATE", "PASSED", "CGROUP");
	for (size_t i = 0; i < t.nr; i++) {
		if (a->json && i)
			putchar(',');
		print_policy(&t.p[i], a->json);
	}
	if (a->json)
		printf("]\n");
	zp_policies_free(&t);
	return ZP_EXIT_OK;
}
