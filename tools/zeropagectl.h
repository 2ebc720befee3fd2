/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zeropagectl: shared declarations of the command-line parser (args.c), the
 * commands (zeropagectl.c), the process scanner (ps.c), the per-cgroup
 * policies (cgroup.c), the policies of a file (apply.c) and the run command
 * (run.c).
 */
#ifndef ZEROPAGECTL_H
#define ZEROPAGECTL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

/* Exit status; keep in step with --help and zeropagectl(8). */
enum {
	ZP_EXIT_OK,
	ZP_EXIT_ERROR,		/* runtime error */
	ZP_EXIT_USAGE,		/* bad command line */
	ZP_EXIT_NOT_LOADED,	/* /sys/kernel/mm/zeropage missing */
	ZP_EXIT_PERM,		/* permission denied: needs root */
};

enum zp_cmd {
	ZP_CMD_HELP,
	ZP_CMD_STATUS,
	ZP_CMD_SET,
	ZP_CMD_WATCH,
	ZP_CMD_PS,
	ZP_CMD_CGROUP,		/* only until its subcommand is parsed */
	ZP_CMD_RUN,
	ZP_CMD_CGROUP_SET,	/* the subcommands: not words of argv[1] */
	ZP_CMD_CGROUP_LIST,
	ZP_CMD_CGROUP_APPLY,
	ZP_NR_CMDS,
};

enum zp_sort {
	ZP_SORT_PID,
	ZP_SORT_COMM,
	ZP_SORT_ANON,
	ZP_SORT_ZERO,
	ZP_SORT_HZERO,
	ZP_SORT_SAVED,
	ZP_NR_SORTS,
};

struct zp_args {
	enum zp_cmd cmd;
	bool json;		/* status, ps, cgroup list */
	bool huge;		/* set */
	bool human;		/* ps */
	bool in_place;		/* run */
	const char *mode;	/* set, run: "always" or "never"; cgroup set: or "inherit" */
	const char *cgroup;	/* cgroup set: PATH as given */
	const char *file;	/* cgroup apply: FILE; NULL: the default */
	char *const *command;	/* run: COMMAND [ARG]..., NULL-terminated */
	double interval;	/* watch: seconds */
	unsigned long count;	/* watch: lines to print, 0 = until killed */
	enum zp_sort sort;	/* ps */
	pid_t *pids;		/* ps: PIDs given, malloc'd; caller frees */
	int nr_pids;
	char err[160];		/* why parsing failed */
};

/* 0, or -1 with a->err set.  No I/O: the fuzz harness calls it too. */
int zp_parse_args(int argc, char *const argv[], struct zp_args *a);
/*
 * One line of a cgroup apply file, changed in place: a->mode and a->cgroup
 * as cgroup set takes them, or both NULL for a blank line or a comment.
 * 0, or -1 with a->err set (naming the command a->cmd).  No I/O either.
 */
int zp_parse_policy_line(char *line, struct zp_args *a);

/* Print "zeropagectl: ..." on stderr, return @code. */
int zp_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* First line of @path, without its newline, into @buf; NULL if unreadable. */
char *zp_read_line(const char *path, char *buf, size_t len);
/* The bracketed choice of a "[always] never" file; the raw text if none. */
char *zp_read_choice(const char *path, char *buf, size_t len);
void zp_json_string(const char *s);
void zp_json_string_or_null(const char *s);
const char *zp_env_or(const char *name, const char *def);
const char *zp_proc_root(void);
const char *zp_root_hint(void);
/* ZEROPAGECTL_SYSTEMD, else whether systemd is PID 1; -1 if it is bad. */
int zp_use_systemd(void);

/* @file in the module's sysfs directory, in a static buffer. */
const char *zp_mm_path(const char *dir, const char *file);
#define zp_path(file) zp_mm_path("zeropage", file)
/* 0 if the module is loaded, else its error (exit status 3). */
int zp_need_module(void);
/* Write @val to @path: 0 or an errno. */
int zp_write(const char *path, const char *val);
/*
 * Report a failed write of @val to @path, after "@who: " unless @who is
 * NULL; the exit status for @err.
 */
int zp_write_error(const char *who, const char *path, const char *val, int err);

int zp_ps(const struct zp_args *a);

/* cgroup.c: the policy entries of zeropage/cgroups, with their counters. */
struct zp_policy {
	char mode[8];
	char *path;			/* from the cgroup2 root */
	bool counted;			/* seen in cgroup_stats */
	unsigned long long zero, priv, passed;
};

struct zp_policies {
	struct zp_policy *p;
	size_t nr;
	char global_buf[64];
	const char *global;		/* the global mode; NULL: unknown */
};

/* 0, or -errno with @t empty; zp_policies_free() either way. */
int zp_policies_read(struct zp_policies *t);
void zp_policies_free(struct zp_policies *t);
/* @pid's mode (NULL: unknown) and, in *from, an entry's path or "global". */
const char *zp_policy_of(const struct zp_policies *t, pid_t pid, const char **from);
/* @pid's (0: this process's) cgroup v2 path, malloc'd; NULL if unknown. */
char *zp_proc_cgroup(pid_t pid);
/* 0 if the module takes policies, else its error. */
int zp_need_policies(void);
/* Write "MODE PATH" to zeropage/cgroups; 0 or an exit status, reported. */
int zp_policy_write(const char *who, const char *mode, const char *path);
/* zp_policy_write(), and on success say so on standard output. */
int zp_policy_set(const char *who, const char *mode, const char *path);
/*
 * PATH as cgroup set gives it, as the module takes it: a directory under a
 * cgroup2 mount becomes its path from the cgroup2 root; anything else is
 * taken as one already.  Malloc'd; NULL if out of memory.
 */
char *zp_module_path(const char *path);
/* The directory of @cgroup under the first cgroup2 mount, malloc'd; or NULL. */
char *zp_cgroup_dir(const char *cgroup);
/*
 * A new cgroup @name under the first cgroup2 mount: its directory, and its
 * path from the cgroup2 root, malloc'd.  0, or -ENOENT if cgroup2 is not
 * mounted.
 */
int zp_cgroup2_new(const char *name, char **dir, char **cgroup);
int zp_cgroup_set(const struct zp_args *a);
int zp_cgroup_list(const struct zp_args *a);

/* apply.c */
int zp_cgroup_apply(const struct zp_args *a);

/* run.c */
int zp_run(const struct zp_args *a);
/*
 * Wait for child @pid: its exit status, 128+N if signal N killed it; if
 * waitpid fails, 1, reported for @who.
 */
int zp_wait(const char *who, pid_t pid);

#endif
