// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer harness for zp_parse_args(): the input, split at NUL bytes, is
 * argv[1..].  Its first part is also a line of a cgroup apply file, for
 * zp_parse_policy_line().  Besides crashes and sanitizer reports, it checks
 * that what a successful parse returns is something the commands can rely
 * on.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zeropagectl.h"

#define MAX_ARGS 64

static bool global_mode(const char *mode)
{
	return mode && (!strcmp(mode, "always") || !strcmp(mode, "never"));
}

/* What cgroup set writes must be one "MODE PATH" line the module takes. */
static bool cgroup_line(const struct zp_args *a)
{
	return a->mode && (global_mode(a->mode) || !strcmp(a->mode, "inherit")) &&
	       a->cgroup && a->cgroup[0] == '/' && !strchr(a->cgroup, '\n');
}

/* Every error must be one non-empty line. */
static bool error_ok(const struct zp_args *a)
{
	return a->err[0] && !memchr(a->err, '\n', sizeof(a->err));
}

/* What cgroup apply takes from @line; it parses a copy, in place. */
static void policy_line(const char *line)
{
	struct zp_args a = { .cmd = ZP_CMD_CGROUP_APPLY };
	char *copy = strdup(line);

	if (!copy)
		return;
	if (!zp_parse_policy_line(copy, &a)) {
		/* Both, for a policy; neither, for a blank line or a comment. */
		if ((a.mode || a.cgroup) && !cgroup_line(&a))
			abort();
	} else if (!error_ok(&a)) {
		abort();
	}
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *argv[MAX_ARGS + 1];
	struct zp_args a;
	int argc = 1;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = "zeropagectl";
	for (char *p = buf; p <= buf + size && argc < MAX_ARGS; p += strlen(p) + 1)
		argv[argc++] = p;
	argv[argc] = NULL;
	policy_line(buf);

	if (!zp_parse_args(argc, argv, &a)) {
		if (a.cmd >= ZP_NR_CMDS || a.cmd == ZP_CMD_CGROUP || a.sort >= ZP_NR_SORTS ||
		    a.nr_pids < 0 || a.nr_pids > argc ||
		    (a.nr_pids && a.cmd != ZP_CMD_PS && a.cmd != ZP_CMD_HELP) ||
		    ((a.cmd == ZP_CMD_SET || a.cmd == ZP_CMD_RUN) && !global_mode(a.mode)) ||
		    (a.cmd == ZP_CMD_CGROUP_SET && !cgroup_line(&a)) ||
		    (a.cmd == ZP_CMD_RUN && (!a.command || !a.command[0])) ||
		    !(a.interval >= 0.01 && a.interval <= 86400))
			abort();
		for (int i = 0; i < a.nr_pids; i++)
			if (a.pids[i] <= 0)
				abort();
	} else if (!error_ok(&a)) {
		abort();
	}
	free(a.pids);
	free(buf);
	return 0;
}
