// SPDX-License-Identifier: GPL-2.0
/*
 * zeropagectl cgroup apply [FILE]: cgroup set for each "MODE PATH" line of
 * a file, /etc/zeropage/cgroups.conf by default; what the unit
 * zeropage-cgroups.service runs at boot, since the module keeps its
 * policies only while it is loaded.
 *
 * Every line is tried: one that is malformed or fails is reported as
 * FILE:LINE and the later ones are still applied, so that one stale line
 * does not cost the others their policies.  Only a permission error stops
 * the run, as no later line could be written either.
 *
 * A systemd slice has a cgroup only while it is active, and at boot one
 * whose units have not started yet has none: where systemd is PID 1, a
 * missing PATH whose last component is NAME.slice gets "systemctl start
 * NAME.slice" first.
 */
#include <errno.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zeropagectl.h"

#define SLICE_SUFFIX ".slice"

static const char *default_file(void)
{
	return zp_env_or("ZEROPAGECTL_CONF", "/etc/zeropage/cgroups.conf");
}

/* Whether cgroup @cgroup is known not to exist (not merely unknown). */
static bool cgroup_missing(const char *cgroup)
{
	char *dir = zp_cgroup_dir(cgroup);
	bool missing = dir && access(dir, F_OK) && errno == ENOENT;

	free(dir);
	return missing;
}

/*
 * The slice unit to start before @mode goes on @cgroup: its last component,
 * if that is NAME.slice and missing, under systemd; else NULL.  Not for
 * inherit: a cgroup that does not exist has no mode to take away.
 */
static const char *slice_to_start(const char *mode, const char *cgroup)
{
	const char *name = strrchr(cgroup, '/');
	size_t len;

	if (!name || !strcmp(mode, "inherit") || zp_use_systemd() != 1)
		return NULL;
	len = strlen(++name);
	if (len <= strlen(SLICE_SUFFIX) ||
	    strcmp(name + len - strlen(SLICE_SUFFIX), SLICE_SUFFIX))
		return NULL;
	return cgroup_missing(cgroup) ? name : NULL;
}

/* systemctl start @unit, and wait for it: 0, or its failure reported. */
static int start_slice(const char *who, const char *unit)
{
	/* "--": a unit name from the file is never taken as an option. */
	char *const argv[] = { "systemctl", "start", "--", (char *)unit, NULL };
	pid_t pid;
	int err;

	fflush(stdout);		/* what was said so far, before what it says */
	err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);
	if (err)
		return zp_error(ZP_EXIT_ERROR, "%s: cannot run systemctl: %s", who,
				strerror(err));
	err = zp_wait(who, pid);
	if (err)
		return zp_error(ZP_EXIT_ERROR, "%s: 'systemctl start %s' failed (exit status %d)",
				who, unit, err);
	return 0;
}

/* One line's policy, as cgroup set sets it: 0 or an exit status, reported. */
static int apply_policy(const char *who, const char *mode, const char *given)
{
	char *path = zp_module_path(given);
	const char *unit = path ? slice_to_start(mode, path) : NULL;
	int ret;

	if (unit) {
		ret = start_slice(who, unit);
		free(path);
		if (ret)
			return ret;
		/* A directory under the cgroup2 mount resolves now. */
		path = zp_module_path(given);
	}
	if (!path)
		return zp_error(ZP_EXIT_ERROR, "%s: out of memory", who);
	ret = zp_policy_set(who, mode, path);
	free(path);
	return ret;
}

/*
 * Every line of @f: 0 if all went well; 4 if permission was denied, which
 * ends the run; else 2 if a line was malformed, else 1 if one failed.
 */
static int apply_lines(FILE *f, const char *file)
{
	struct zp_args line_args = { .cmd = ZP_CMD_CGROUP_APPLY };
	char who[PATH_MAX + 32], *line = NULL;
	unsigned long nr = 0;
	int ret = 0, status;
	size_t len = 0;

	while (ret != ZP_EXIT_PERM && getline(&line, &len, f) > 0) {
		snprintf(who, sizeof(who), "%s:%lu", file, ++nr);
		if (zp_parse_policy_line(line, &line_args)) {
			ret = zp_error(ZP_EXIT_USAGE, "%s: %s", who, line_args.err);
			continue;
		}
		if (!line_args.mode)
			continue;	/* blank, or a comment */
		status = apply_policy(who, line_args.mode, line_args.cgroup);
		if (status && (!ret || status == ZP_EXIT_PERM))
			ret = status;
	}
	if (ferror(f))
		ret = zp_error(ZP_EXIT_ERROR, "cgroup apply: cannot read %s: %s", file,
			       strerror(errno));
	free(line);
	return ret;
}

int zp_cgroup_apply(const struct zp_args *a)
{
	const char *file = a->file ? a->file : default_file();
	FILE *f = fopen(file, "r");
	int ret;

	/* The package ships the default file; without it, nothing is asked. */
	if (!f && errno == ENOENT && !a->file) {
		printf("zeropage: no %s: no cgroup policies to apply\n", file);
		return ZP_EXIT_OK;
	}
	if (!f)
		return zp_error(ZP_EXIT_ERROR, "cgroup apply: cannot open %s: %s", file,
				strerror(errno));
	if (zp_use_systemd() < 0)
		ret = zp_error(ZP_EXIT_USAGE, "cgroup apply: ZEROPAGECTL_SYSTEMD must be 0 or 1");
	else
		ret = zp_need_policies();
	if (!ret)
		ret = apply_lines(f, file);
	fclose(f);
	return ret;
}
