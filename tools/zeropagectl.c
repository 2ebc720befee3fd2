// SPDX-License-Identifier: GPL-2.0
/*
 * zeropagectl: show and set the zeropage module's state (SPEC §2.1), watch
 * its counters, count the zero pages processes map (ps.c), and set the mode
 * of cgroups (cgroup.c; from a file at boot, apply.c) and of one command
 * (run.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "zeropagectl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char usage[] =
"Usage: zeropagectl COMMAND [OPTION]...\n"
"Control and observe the zeropage kernel module (/sys/kernel/mm/zeropage).\n"
"\n"
"Commands:\n"
"  status [--json]             whether the module is loaded, its mode, hook,\n"
"                              arch verdict, settings and counters, beside the\n"
"                              kernel's THP settings (huge zero page)\n"
"  set always|never [--huge]   set the mode (root); --huge also sets\n"
"                              transparent_hugepage/use_zero_page to 1|0\n"
"  watch [-i SECONDS] [-n COUNT]\n"
"                              counters as rates per second, one line per\n"
"                              interval (default 1 second, until interrupted);\n"
"                              also --interval=SECONDS, --count=COUNT\n"
"  ps [PID]... [--sort=FIELD] [--json] [-H|--human]\n"
"                              per process (default: all with anonymous memory):\n"
"                              private anonymous pages, pages mapping the 4 KiB\n"
"                              and the huge zero page, memory saved (root);\n"
"                              FIELD: pid comm anon zero hzero saved; POLICY\n"
"                              is the mode in effect and where it comes from\n"
"  cgroup set PATH always|never|inherit\n"
"                              the mode of a cgroup v2 and all below it (root);\n"
"                              inherit removes it; PATH from the cgroup2 root\n"
"                              (/db.slice) or its directory (/sys/fs/cgroup/...)\n"
"  cgroup list [--json]        the cgroups with a mode, and their counters\n"
"  cgroup apply [FILE]         cgroup set for each 'MODE PATH' line of FILE\n"
"                              (default /etc/zeropage/cgroups.conf, if any),\n"
"                              starting a missing NAME.slice first where\n"
"                              systemd runs (root); what the unit\n"
"                              zeropage-cgroups.service runs at boot\n"
"  run --mode always|never [--in-place] [--] COMMAND [ARG]...\n"
"                              run COMMAND in a cgroup of its own with that\n"
"                              mode (root): a systemd scope when systemd runs,\n"
"                              else a transient cgroup; exit with its status;\n"
"                              --in-place: set the mode on this process's own\n"
"                              cgroup and exec COMMAND (what the scope runs)\n"
"  help, -h, --help            show this text\n"
"\n"
"Environment:\n"
"  ZEROPAGECTL_SYSFS   directory holding zeropage/ and transparent_hugepage/\n"
"                      (default /sys/kernel/mm)\n"
"  ZEROPAGECTL_PROC    proc file system (default /proc)\n"
"  ZEROPAGECTL_CGROUP  where cgroup2 is mounted (default: from mountinfo)\n"
"  ZEROPAGECTL_SYSTEMD 1 or 0: systemd is PID 1 or not: run in a scope,\n"
"                      cgroup apply starts slices (default: 1 if\n"
"                      /run/systemd/system exists)\n"
"  ZEROPAGECTL_CONF    the file cgroup apply reads without FILE\n"
"                      (default /etc/zeropage/cgroups.conf)\n"
"\n"
"Exit status:\n"
"  0 success, 1 runtime error, 2 usage error, 3 module not loaded,\n"
"  4 permission denied (not root); run: COMMAND's status (128+N if killed\n"
"  by signal N; 126 not executable, 127 not found); cgroup apply: 2 if a\n"
"  line is malformed, else 1 if one failed\n";

/* Counters under stats/, with their column headings in watch. */
static const struct zp_stat {
	const char *name;
	const char *column;
} zp_stats[] = {
	{ "zero_mapped", "zero/s" },
	{ "private_mapped", "priv/s" },
	{ "passed", "passed/s" },
	{ "cow_from_zero", "cow/s" },
	{ "around_mapped", "around/s" },
	{ "walker_zero", "walker/s" },
	{ "audit_violations", "viol/s" },
};

#define NR_STATS ARRAY_SIZE(zp_stats)

int zp_error(int code, const char *fmt, ...)
{
	va_list ap;

	fputs("zeropagectl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return code;
}

const char *zp_env_or(const char *name, const char *def)
{
	const char *val = getenv(name);

	return val && *val ? val : def;
}

const char *zp_proc_root(void)
{
	return zp_env_or("ZEROPAGECTL_PROC", "/proc");
}

const char *zp_mm_path(const char *dir, const char *file)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/%s%s%s",
		 zp_env_or("ZEROPAGECTL_SYSFS", "/sys/kernel/mm"), dir,
		 *file ? "/" : "", file);
	return path;
}

#define thp_path(file) zp_mm_path("transparent_hugepage", file)

static bool module_loaded(void)
{
	struct stat st;

	return !stat(zp_path(""), &st) && S_ISDIR(st.st_mode);
}

static int not_loaded(void)
{
	return zp_error(ZP_EXIT_NOT_LOADED,
			"zeropage module not loaded (%s missing; try 'modprobe zeropage')",
			zp_path(""));
}

int zp_need_module(void)
{
	return module_loaded() ? 0 : not_loaded();
}

char *zp_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	char *line;

	if (!f)
		return NULL;
	line = fgets(buf, len, f);
	fclose(f);
	if (line)
		line[strcspn(line, "\n")] = '\0';
	return line;
}

char *zp_read_choice(const char *path, char *buf, size_t len)
{
	char *open, *close;

	if (!zp_read_line(path, buf, len))
		return NULL;
	open = strchr(buf, '[');
	close = open ? strchr(open, ']') : NULL;
	if (!close)
		return buf;
	*close = '\0';
	return open + 1;
}

static bool read_number(const char *path, unsigned long long *val)
{
	char buf[32];

	if (!zp_read_line(path, buf, sizeof(buf)) || !*buf ||
	    buf[strspn(buf, "0123456789")])
		return false;
	*val = strtoull(buf, NULL, 10);
	return true;
}

/* For permission errors: suggest root only to those who are not. */
const char *zp_root_hint(void)
{
	return geteuid() ? " (run as root)" : "";
}

int zp_use_systemd(void)
{
	const char *env = zp_env_or("ZEROPAGECTL_SYSTEMD", NULL);

	if (!env)
		return !access("/run/systemd/system", F_OK);
	if (strcmp(env, "0") && strcmp(env, "1"))
		return -1;
	return *env == '1';
}

int zp_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t len = strlen(val), done;
	int err = 0;

	if (fd < 0)
		return errno;
	/* sysfs answers a rejected value with the write's error. */
	done = write(fd, val, len);
	if (done < 0)
		err = errno;
	else if (done != len)
		err = EIO;
	if (close(fd) && !err)
		err = errno;
	return err;
}

int zp_write_error(const char *who, const char *path, const char *val, int err)
{
	bool perm = err == EACCES || err == EPERM;

	return zp_error(perm ? ZP_EXIT_PERM : ZP_EXIT_ERROR, "%s%scannot write '%s' to %s: %s%s",
			who ? who : "", who ? ": " : "", val, path, strerror(err),
			perm ? zp_root_hint() : "");
}

static int write_attr(const char *path, const char *val)
{
	int err = zp_write(path, val);

	return err ? zp_write_error(NULL, path, val, err) : 0;
}

/* Bytes outside printable ASCII become \u00XX, so any comm is valid JSON. */
void zp_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		unsigned char c = *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

void zp_json_string_or_null(const char *s)
{
	if (s)
		zp_json_string(s);
	else
		fputs("null", stdout);
}

/* The kernel's THP settings, which decide what never reaches the module. */
struct zp_thp {
	char enabled_buf[64];
	const char *enabled;	/* NULL: no THP in this kernel */
	bool have_use_zero;
	unsigned long long use_zero;
};

static void read_thp(struct zp_thp *t)
{
	t->enabled = zp_read_choice(thp_path("enabled"), t->enabled_buf,
				 sizeof(t->enabled_buf));
	t->have_use_zero = read_number(thp_path("use_zero_page"), &t->use_zero);
}

static bool thp_on(const struct zp_thp *t)
{
	return t->enabled && strcmp(t->enabled, "never");
}

static bool huge_zero_on(const struct zp_thp *t)
{
	return thp_on(t) && t->have_use_zero && t->use_zero == 1;
}

static const char *thp_note(const struct zp_thp *t)
{
	if (!thp_on(t))
		return "THP is off: every anonymous read fault takes the 4 KiB path the module handles";
	if (huge_zero_on(t))
		return "read faults on huge-eligible ranges take the huge zero page path and never reach the module, which handles the 4 KiB path only";
	return "read faults on huge-eligible ranges get a huge page (use_zero_page is 0) and never reach the module, which handles the 4 KiB path only";
}

/* What status shows from zeropage/ besides the counters. */
static const struct zp_attr {
	const char *file;
	bool number;
} zp_attrs[] = {
	{ "hook", false },
	{ "arch", false },
	{ "audit", true },
	{ "fault_around_bytes", true },
};

struct zp_status {
	bool loaded;
	char mode_buf[64];
	const char *mode;
	char text[ARRAY_SIZE(zp_attrs)][256];
	bool have[ARRAY_SIZE(zp_attrs)];
	unsigned long long stat[NR_STATS];
	bool have_stat[NR_STATS];
	struct zp_thp thp;
};

static void read_stats(unsigned long long *val, bool *have)
{
	char name[64];

	for (size_t i = 0; i < NR_STATS; i++) {
		snprintf(name, sizeof(name), "stats/%s", zp_stats[i].name);
		have[i] = read_number(zp_path(name), &val[i]);
	}
}

static void read_status(struct zp_status *s)
{
	s->loaded = module_loaded();
	read_thp(&s->thp);
	if (!s->loaded)
		return;
	s->mode = zp_read_choice(zp_path("enabled"), s->mode_buf, sizeof(s->mode_buf));
	for (size_t i = 0; i < ARRAY_SIZE(zp_attrs); i++) {
		unsigned long long val;
		const char *path = zp_path(zp_attrs[i].file);

		if (!zp_attrs[i].number)
			s->have[i] = zp_read_line(path, s->text[i], sizeof(s->text[i]));
		else if ((s->have[i] = read_number(path, &val)))
			snprintf(s->text[i], sizeof(s->text[i]), "%llu", val);
	}
	read_stats(s->stat, s->have_stat);
}

static void print_field(const char *label, const char *val)
{
	char key[32];

	snprintf(key, sizeof(key), "%s:", label);
	printf("%-20s %s\n", key, val);
}

static void print_status_text(const struct zp_status *s)
{
	const char *na = "unavailable";

	if (s->loaded) {
		print_field("zeropage module", "loaded");
		print_field("mode", s->mode ? s->mode : na);
		for (size_t i = 0; i < ARRAY_SIZE(zp_attrs); i++)
			print_field(zp_attrs[i].file, s->have[i] ? s->text[i] : na);
		printf("stats:\n");
		for (size_t i = 0; i < NR_STATS; i++) {
			if (s->have_stat[i])
				printf("  %-18s %llu\n", zp_stats[i].name, s->stat[i]);
			else
				printf("  %-18s %s\n", zp_stats[i].name, na);
		}
	} else {
		printf("%-20s not loaded (%s missing)\n", "zeropage module:",
		       zp_path(""));
	}
	printf("kernel THP settings (the huge zero page, outside the module):\n");
	printf("  %-34s %s\n", "transparent_hugepage/enabled",
	       s->thp.enabled ? s->thp.enabled : na);
	if (s->thp.have_use_zero)
		printf("  %-34s %llu\n", "transparent_hugepage/use_zero_page",
		       s->thp.use_zero);
	else
		printf("  %-34s %s\n", "transparent_hugepage/use_zero_page", na);
	printf("note: %s\n", thp_note(&s->thp));
}

static void print_status_json(const struct zp_status *s)
{
	printf("{\"loaded\":%s", s->loaded ? "true" : "false");
	if (s->loaded) {
		printf(",\"mode\":");
		zp_json_string_or_null(s->mode);
		for (size_t i = 0; i < ARRAY_SIZE(zp_attrs); i++) {
			printf(",\"%s\":", zp_attrs[i].file);
			if (!s->have[i])
				fputs("null", stdout);
			else if (zp_attrs[i].number)
				fputs(s->text[i], stdout);
			else
				zp_json_string(s->text[i]);
		}
		printf(",\"stats\":{");
		for (size_t i = 0; i < NR_STATS; i++) {
			printf("%s\"%s\":", i ? "," : "", zp_stats[i].name);
			if (s->have_stat[i])
				printf("%llu", s->stat[i]);
			else
				fputs("null", stdout);
		}
		putchar('}');
	}
	printf(",\"thp\":{\"enabled\":");
	zp_json_string_or_null(s->thp.enabled);
	printf(",\"use_zero_page\":");
	if (s->thp.have_use_zero)
		printf("%llu", s->thp.use_zero);
	else
		fputs("null", stdout);
	printf("},\"note\":");
	zp_json_string(thp_note(&s->thp));
	printf("}\n");
}

static int cmd_status(const struct zp_args *a)
{
	struct zp_status s = { 0 };

	read_status(&s);
	if (a->json)
		print_status_json(&s);
	else
		print_status_text(&s);
	return s.loaded ? ZP_EXIT_OK : ZP_EXIT_NOT_LOADED;
}

static int cmd_set(const struct zp_args *a)
{
	bool never = !strcmp(a->mode, "never");
	struct zp_thp thp;
	int ret;

	ret = zp_need_module();
	if (ret)
		return ret;
	ret = write_attr(zp_path("enabled"), a->mode);
	if (ret)
		return ret;
	printf("zeropage: mode set to %s\n", a->mode);
	if (a->huge && access(thp_path("use_zero_page"), F_OK)) {
		printf("this kernel has no transparent huge pages: --huge has nothing to set\n");
		return ZP_EXIT_OK;
	}
	if (a->huge) {
		ret = write_attr(thp_path("use_zero_page"), never ? "0" : "1");
		if (ret)
			return ret;
		printf("transparent_hugepage/use_zero_page set to %s: huge zero page %s\n",
		       never ? "0" : "1", never ? "off" : "on");
		return ZP_EXIT_OK;
	}
	read_thp(&thp);
	if (never && huge_zero_on(&thp))
		zp_error(ZP_EXIT_OK,
			 "warning: THP is enabled (%s) and transparent_hugepage/use_zero_page is 1: huge-eligible read faults still map the huge zero page (add --huge to turn it off)",
			 thp.enabled);
	return ZP_EXIT_OK;
}

static double seconds(const struct timespec *t)
{
	return t->tv_sec + t->tv_nsec / 1e9;
}

static int cmd_watch(const struct zp_args *a)
{
	unsigned long long prev[NR_STATS], cur[NR_STATS];
	bool had[NR_STATS], have[NR_STATS];
	struct timespec deadline, then, now;
	char buf[64];
	const char *mode;
	int ret = zp_need_module();

	if (ret)
		return ret;
	/* The first reading, then the header: what follows it is counted. */
	read_stats(prev, had);
	clock_gettime(CLOCK_MONOTONIC, &then);
	for (size_t i = 0; i < NR_STATS; i++)
		printf("%10s", zp_stats[i].column);
	printf("  mode\n");
	fflush(stdout);

	deadline = then;
	for (unsigned long n = 0; !a->count || n < a->count; n++) {
		double dt;

		/* An absolute deadline keeps the lines from drifting. */
		deadline.tv_sec += (time_t)a->interval;
		deadline.tv_nsec += (long)((a->interval - (time_t)a->interval) * 1e9);
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, NULL) == EINTR)
			;
		if (!module_loaded())
			return not_loaded();
		read_stats(cur, have);
		clock_gettime(CLOCK_MONOTONIC, &now);
		dt = seconds(&now) - seconds(&then);
		for (size_t i = 0; i < NR_STATS; i++) {
			/* A counter that went down means the module was reloaded. */
			unsigned long long d = cur[i] >= prev[i] ? cur[i] - prev[i] : cur[i];

			if (have[i] && had[i])
				printf("%10.0f", d / dt);
			else
				printf("%10s", "-");
		}
		mode = zp_read_choice(zp_path("enabled"), buf, sizeof(buf));
		printf("  %s\n", mode ? mode : "-");
		fflush(stdout);
		memcpy(prev, cur, sizeof(prev));
		memcpy(had, have, sizeof(had));
		then = now;
	}
	return ZP_EXIT_OK;
}

/* What each command runs; help (and "cgroup" alone, never parsed) none. */
static int (*const zp_cmd_fns[ZP_NR_CMDS])(const struct zp_args *a) = {
	[ZP_CMD_STATUS] = cmd_status,
	[ZP_CMD_SET] = cmd_set,
	[ZP_CMD_WATCH] = cmd_watch,
	[ZP_CMD_PS] = zp_ps,
	[ZP_CMD_CGROUP_SET] = zp_cgroup_set,
	[ZP_CMD_CGROUP_LIST] = zp_cgroup_list,
	[ZP_CMD_CGROUP_APPLY] = zp_cgroup_apply,
	[ZP_CMD_RUN] = zp_run,
};

int main(int argc, char **argv)
{
	struct zp_args a;
	int ret;

	if (zp_parse_args(argc, argv, &a)) {
		ret = zp_error(ZP_EXIT_USAGE, "%s", a.err);
	} else if (zp_cmd_fns[a.cmd]) {
		ret = zp_cmd_fns[a.cmd](&a);
	} else {
		fputs(usage, stdout);
		ret = ZP_EXIT_OK;
	}
	free(a.pids);
	return ret;
}
