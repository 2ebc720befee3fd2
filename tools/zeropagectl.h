/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zeropagectl: shared declarations of the command-line parser (args.c), the
 * commands (zeropagectl.c) and the process scanner (ps.c).
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
	bool json;		/* status, ps */
	bool huge;		/* set */
	bool human;		/* ps */
	const char *mode;	/* set: "always" or "never" */
	double interval;	/* watch: seconds */
	unsigned long count;	/* watch: lines to print, 0 = until killed */
	enum zp_sort sort;	/* ps */
	pid_t *pids;		/* ps: PIDs given, malloc'd; caller frees */
	int nr_pids;
	char err[160];		/* why parsing failed */
};

/* 0, or -1 with a->err set.  No I/O: the fuzz harness calls it too. */
int zp_parse_args(int argc, char *const argv[], struct zp_args *a);

/* Print "zeropagectl: ..." on stderr, return @code. */
int zp_error(int code, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* First line of @path, without its newline, into @buf; NULL if unreadable. */
char *zp_read_line(const char *path, char *buf, size_t len);
void zp_json_string(const char *s);
const char *zp_proc_root(void);
const char *zp_root_hint(void);

int zp_ps(const struct zp_args *a);

#endif
