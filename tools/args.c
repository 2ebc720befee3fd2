// SPDX-License-Identifier: GPL-2.0
/*
 * Command-line parsing for zeropagectl.  Pure (no I/O, no exit()), so that
 * fuzz/args_fuzz.c can drive it directly.
 *
 * zeropagectl COMMAND [ARG|OPTION]...: options may come in any order after
 * the command; "--name=value", "--name value" and "-x value" all work.
 * "cgroup" takes its subcommand as its first argument; "run" takes
 * everything from its first argument (or after "--") as the command to run,
 * so that the command's own options stay its own.
 *
 * Lines of a cgroup apply file are parsed here too, with the same words.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "zeropagectl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define CMD(c) (1u << (c))

enum zp_opt_id {
	OPT_HELP,
	OPT_JSON,
	OPT_HUGE,
	OPT_INTERVAL,
	OPT_COUNT,
	OPT_SORT,
	OPT_HUMAN,
	OPT_MODE,
	OPT_IN_PLACE,
};

static const struct zp_opt {
	const char *name;	/* long form, without "--" */
	char letter;		/* short form, or 0 */
	bool has_arg;
	unsigned int cmds;	/* commands that take it */
	enum zp_opt_id id;
} zp_opts[] = {
	{ "help", 'h', false, ~0u, OPT_HELP },
	{ "json", 0, false, CMD(ZP_CMD_STATUS) | CMD(ZP_CMD_PS) | CMD(ZP_CMD_CGROUP_LIST),
	  OPT_JSON },
	{ "huge", 0, false, CMD(ZP_CMD_SET), OPT_HUGE },
	{ "interval", 'i', true, CMD(ZP_CMD_WATCH), OPT_INTERVAL },
	{ "count", 'n', true, CMD(ZP_CMD_WATCH), OPT_COUNT },
	{ "sort", 0, true, CMD(ZP_CMD_PS), OPT_SORT },
	{ "human", 'H', false, CMD(ZP_CMD_PS), OPT_HUMAN },
	{ "mode", 0, true, CMD(ZP_CMD_RUN), OPT_MODE },
	{ "in-place", 0, false, CMD(ZP_CMD_RUN), OPT_IN_PLACE },
};

static const char *const zp_cmd_names[ZP_NR_CMDS] = {
	[ZP_CMD_HELP] = "help",
	[ZP_CMD_STATUS] = "status",
	[ZP_CMD_SET] = "set",
	[ZP_CMD_WATCH] = "watch",
	[ZP_CMD_PS] = "ps",
	[ZP_CMD_CGROUP] = "cgroup",
	[ZP_CMD_RUN] = "run",
	[ZP_CMD_CGROUP_SET] = "cgroup set",
	[ZP_CMD_CGROUP_LIST] = "cgroup list",
	[ZP_CMD_CGROUP_APPLY] = "cgroup apply",
};

/* The subcommands of "cgroup", in the order of enum zp_cmd. */
static const char *const zp_cgroup_cmds[] = { "set", "list", "apply" };

static const char *const zp_sort_names[ZP_NR_SORTS] = {
	[ZP_SORT_PID] = "pid",
	[ZP_SORT_COMM] = "comm",
	[ZP_SORT_ANON] = "anon",
	[ZP_SORT_ZERO] = "zero",
	[ZP_SORT_HZERO] = "hzero",
	[ZP_SORT_SAVED] = "saved",
};

/*
 * The words /sys/kernel/mm/zeropage/enabled accepts (the first two), and
 * zeropage/cgroups besides them.
 */
static const char *const zp_modes[] = { "always", "never", "inherit" };
#define NR_GLOBAL_MODES 2

#define INTERVAL_MIN 0.01
#define INTERVAL_MAX 86400.0

static int fail(struct zp_args *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Errors quote arguments: mask control characters to keep them one line. */
static int fail(struct zp_args *a, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(a->err, sizeof(a->err), fmt, ap);
	va_end(ap);
	for (char *c = a->err; *c; c++)
		if (iscntrl((unsigned char)*c))
			*c = '?';
	return -1;
}

static int lookup(const char *word, const char *const *names, int nr)
{
	for (int i = 0; i < nr; i++)
		if (!strcmp(word, names[i]))
			return i;
	return -1;
}

/* Plain decimal only: strtoul() alone would take signs, spaces and "0x". */
static bool parse_ulong(const char *s, unsigned long max, unsigned long *val)
{
	char *end;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	*val = strtoul(s, &end, 10);
	return !*end && !errno && *val <= max;
}

/* Decimal seconds; strtod() alone would take "inf", "nan", hex, exponents. */
static bool parse_seconds(const char *s, double *val)
{
	char *end;

	if (!*s || s[strspn(s, "0123456789.")])
		return false;
	*val = strtod(s, &end);
	return !*end && *val >= INTERVAL_MIN && *val <= INTERVAL_MAX;
}

/* a->mode from @word, one of the first @nr modes. */
static int set_mode(struct zp_args *a, const char *word, int nr)
{
	int mode = lookup(word, zp_modes, nr);

	if (mode < 0)
		return fail(a, "%s: unknown mode '%s' (%s)", zp_cmd_names[a->cmd], word,
			    nr == NR_GLOBAL_MODES ? "always or never" : "always, never or inherit");
	a->mode = zp_modes[mode];
	return 0;
}

/* The option @arg names, with its "=value" part (if any) in *val. */
static const struct zp_opt *find_opt(const char *arg, const char **val)
{
	*val = NULL;
	if (arg[1] == '-') {
		const char *name = arg + 2, *eq = strchr(name, '=');
		size_t len = eq ? (size_t)(eq - name) : strlen(name);

		if (eq)
			*val = eq + 1;
		for (size_t i = 0; i < ARRAY_SIZE(zp_opts); i++)
			if (strlen(zp_opts[i].name) == len &&
			    !strncmp(name, zp_opts[i].name, len))
				return &zp_opts[i];
	} else if (arg[1] && !arg[2]) {
		for (size_t i = 0; i < ARRAY_SIZE(zp_opts); i++)
			if (zp_opts[i].letter == arg[1])
				return &zp_opts[i];
	}
	return NULL;
}

static int apply_opt(struct zp_args *a, const struct zp_opt *o, const char *val,
		     bool *help)
{
	int sort;

	switch (o->id) {
	case OPT_HELP:
		*help = true;
		break;
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_HUGE:
		a->huge = true;
		break;
	case OPT_HUMAN:
		a->human = true;
		break;
	case OPT_IN_PLACE:
		a->in_place = true;
		break;
	case OPT_MODE:
		return set_mode(a, val, NR_GLOBAL_MODES);
	case OPT_INTERVAL:
		if (!parse_seconds(val, &a->interval))
			return fail(a, "watch: bad interval '%s' (seconds, %g to %g)",
				    val, INTERVAL_MIN, INTERVAL_MAX);
		break;
	case OPT_COUNT:
		if (!parse_ulong(val, ULONG_MAX, &a->count) || !a->count)
			return fail(a, "watch: bad count '%s' (a positive integer)", val);
		break;
	case OPT_SORT:
		sort = lookup(val, zp_sort_names, ZP_NR_SORTS);
		if (sort < 0)
			return fail(a, "ps: unknown sort field '%s' (pid, comm, anon, zero, hzero or saved)",
				    val);
		a->sort = sort;
		break;
	}
	return 0;
}

/* What the kernel takes after "MODE ": one line, from the cgroup2 root. */
static int set_cgroup(struct zp_args *a, const char *path)
{
	if (path[0] != '/' || strchr(path, '\n'))
		return fail(a, "%s: bad PATH '%s' (a cgroup from the cgroup2 root, such as /db.slice, or its directory under the cgroup2 mount)",
			    zp_cmd_names[a->cmd], path);
	a->cgroup = path;
	return 0;
}

static int add_cgroup_cmd(struct zp_args *a, const char *word)
{
	int sub = lookup(word, zp_cgroup_cmds, ARRAY_SIZE(zp_cgroup_cmds));

	if (sub < 0)
		return fail(a, "cgroup: unknown subcommand '%s' (set, list or apply)", word);
	a->cmd = ZP_CMD_CGROUP_SET + sub;
	return 0;
}

static int add_positional(struct zp_args *a, const char *arg, int argc)
{
	unsigned long pid;

	switch (a->cmd) {
	case ZP_CMD_SET:
		if (a->mode)
			return fail(a, "set: unexpected argument '%s'", arg);
		return set_mode(a, arg, NR_GLOBAL_MODES);
	case ZP_CMD_CGROUP:
		return add_cgroup_cmd(a, arg);
	case ZP_CMD_CGROUP_SET:
		if (!a->cgroup)
			return set_cgroup(a, arg);
		if (a->mode)
			return fail(a, "cgroup set: unexpected argument '%s'", arg);
		return set_mode(a, arg, ARRAY_SIZE(zp_modes));
	case ZP_CMD_CGROUP_APPLY:
		if (a->file)
			return fail(a, "cgroup apply: unexpected argument '%s'", arg);
		a->file = arg;
		return 0;
	case ZP_CMD_PS:
		if (!parse_ulong(arg, INT_MAX, &pid) || !pid)
			return fail(a, "ps: bad PID '%s'", arg);
		if (!a->pids) {
			a->pids = calloc(argc, sizeof(*a->pids));
			if (!a->pids)
				return fail(a, "out of memory");
		}
		a->pids[a->nr_pids++] = pid;
		return 0;
	default:
		return fail(a, "%s: unexpected argument '%s'", zp_cmd_names[a->cmd], arg);
	}
}

/* What each command cannot do without. */
static int check_complete(struct zp_args *a)
{
	switch (a->cmd) {
	case ZP_CMD_SET:
		return a->mode ? 0 : fail(a, "set: missing mode (always or never)");
	case ZP_CMD_CGROUP:
		return fail(a, "cgroup: missing subcommand (set, list or apply)");
	case ZP_CMD_CGROUP_SET:
		if (!a->cgroup)
			return fail(a, "cgroup set: missing PATH and mode (always, never or inherit)");
		return a->mode ? 0 : fail(a, "cgroup set: missing mode (always, never or inherit)");
	case ZP_CMD_RUN:
		if (!a->mode)
			return fail(a, "run: missing --mode (always or never)");
		return a->command && a->command[0] ? 0 : fail(a, "run: missing COMMAND");
	default:
		return 0;
	}
}

int zp_parse_args(int argc, char *const argv[], struct zp_args *a)
{
	bool help = false;
	int cmd;

	*a = (struct zp_args){ .interval = 1, .sort = ZP_SORT_PID };
	if (argc < 2)
		return fail(a, "no command given (try 'zeropagectl --help')");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return 0;
	/* Only the commands before the subcommands are words of argv[1]. */
	cmd = lookup(argv[1], zp_cmd_names, ZP_CMD_CGROUP_SET);
	if (cmd < 0)
		return fail(a, "unknown command '%s' (try 'zeropagectl --help')", argv[1]);
	a->cmd = cmd;

	for (int i = 2; i < argc; i++) {
		const char *arg = argv[i], *val;
		const struct zp_opt *o;

		if (a->cmd == ZP_CMD_RUN && (arg[0] != '-' || !strcmp(arg, "--"))) {
			a->command = &argv[i + (arg[0] == '-')];
			break;
		}
		if (arg[0] != '-') {
			if (add_positional(a, arg, argc))
				return -1;
			continue;
		}
		o = find_opt(arg, &val);
		if (!o || !(o->cmds & CMD(a->cmd)))
			return fail(a, "%s: unknown option '%s'", zp_cmd_names[a->cmd], arg);
		if (!o->has_arg && val)
			return fail(a, "%s: option --%s takes no value",
				    zp_cmd_names[a->cmd], o->name);
		if (o->has_arg && !val) {
			if (++i == argc)
				return fail(a, "%s: option '%s' needs a value",
					    zp_cmd_names[a->cmd], arg);
			val = argv[i];
		}
		if (apply_opt(a, o, val, &help))
			return -1;
	}

	if (help)
		a->cmd = ZP_CMD_HELP;
	return help ? 0 : check_complete(a);
}

/* What a file may hold around and between the words (getline's newline too). */
#define BLANKS " \t\n\r\v\f"

int zp_parse_policy_line(char *line, struct zp_args *a)
{
	char *end, *path;

	a->mode = NULL;
	a->cgroup = NULL;
	line += strspn(line, BLANKS);
	end = line + strlen(line);
	while (end > line && strchr(BLANKS, end[-1]))
		*--end = '\0';
	/* Only whole lines are comments: a cgroup's name may hold a '#'. */
	if (!*line || *line == '#')
		return 0;
	path = line + strcspn(line, BLANKS);
	if (!*path)
		return fail(a, "%s: '%s' has no PATH (MODE PATH, such as 'never /db.slice')",
			    zp_cmd_names[a->cmd], line);
	*path++ = '\0';
	path += strspn(path, BLANKS);
	if (set_mode(a, line, ARRAY_SIZE(zp_modes)))
		return -1;
	return set_cgroup(a, path);
}
