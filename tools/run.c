// SPDX-License-Identifier: GPL-2.0
/*
 * zeropagectl run: COMMAND in a cgroup v2 of its own that has a mode, so
 * that the mode covers COMMAND and all it starts, and nothing else.
 *
 * Under systemd (PID 1) the cgroup is a transient scope: systemd owns the
 * cgroup tree and wants others to make cgroups only where it delegates.
 * "systemd-run --scope" runs "zeropagectl run --in-place" in the new scope,
 * which sets the mode on its own cgroup and execs COMMAND.  Nothing is left
 * to clean up: systemd removes the scope once COMMAND and what it started
 * are gone, and the module drops the entry of a removed cgroup.
 *
 * Without systemd: a cgroup zeropage-run.PID at the cgroup2 root, with the
 * mode set before COMMAND enters it, removed once COMMAND has ended.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "zeropagectl.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define RMDIR_TRIES	1000	/* 10 ms apart */

/* Exec @argv; if that fails, say so and return env(1)'s status for it. */
static int exec_command(char *const argv[])
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	return zp_error(err == ENOENT ? 127 : 126, "run: cannot run '%s': %s",
			argv[0], strerror(err));
}

/* "run: cannot WHAT PATH: ..."; a permission error is exit status 4. */
static int run_error(const char *what, const char *path, int err)
{
	bool perm = err == EACCES || err == EPERM;

	return zp_error(perm ? ZP_EXIT_PERM : ZP_EXIT_ERROR, "run: cannot %s %s: %s%s",
			what, path, strerror(err), perm ? zp_root_hint() : "");
}

static int run_in_place(const struct zp_args *a)
{
	char *cgroup = zp_proc_cgroup(0);
	int ret;

	if (!cgroup)
		return zp_error(ZP_EXIT_ERROR, "run: no cgroup v2 in %s/self/cgroup",
				zp_proc_root());
	if (!strcmp(cgroup, "/"))
		ret = zp_error(ZP_EXIT_ERROR,
			       "run --in-place: this process is in the root cgroup, whose mode would be every process's");
	else
		ret = zp_policy_write("run", a->mode, cgroup);
	free(cgroup);
	return ret ? ret : exec_command(a->command);
}

static int run_in_scope(const struct zp_args *a)
{
	char self[PATH_MAX], unit[64];
	const char *head[] = {
		"systemd-run", "--scope", "--quiet", "--collect", unit, "--",
		self, "run", "--mode", a->mode, "--in-place", "--",
	};
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	size_t nr = 0;
	char **argv;
	int ret;

	if (len < 0)
		return run_error("find", "/proc/self/exe", errno);
	self[len] = '\0';
	snprintf(unit, sizeof(unit), "--unit=zeropage-run-%d", (int)getpid());
	while (a->command[nr])
		nr++;
	argv = calloc(ARRAY_SIZE(head) + nr + 1, sizeof(*argv));
	if (!argv)
		return zp_error(ZP_EXIT_ERROR, "out of memory");
	memcpy(argv, head, sizeof(head));
	memcpy(argv + ARRAY_SIZE(head), a->command, nr * sizeof(*argv));
	ret = exec_command(argv);
	free(argv);
	return ret;
}

static const int run_signals[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM };
static struct sigaction saved_actions[ARRAY_SIZE(run_signals)];
static volatile sig_atomic_t command_pid;

static void pass_on(int sig)
{
	if (command_pid > 0)
		kill(command_pid, sig);
}

/*
 * Until COMMAND ends, so that its cgroup is still removed: SIGINT and
 * SIGQUIT, which the terminal sends COMMAND too, are ignored; SIGHUP and
 * SIGTERM, which may come to zeropagectl alone, are passed on.
 */
static void hold_signals(void)
{
	struct sigaction sa = { 0 };

	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < ARRAY_SIZE(run_signals); i++) {
		int sig = run_signals[i];

		sa.sa_handler = sig == SIGINT || sig == SIGQUIT ? SIG_IGN : pass_on;
		sigaction(sig, &sa, &saved_actions[i]);
	}
}

/* What COMMAND inherits: as zeropagectl found them, ignored ones too. */
static void restore_signals(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_signals); i++)
		sigaction(run_signals[i], &saved_actions[i], NULL);
}

int zp_wait(const char *who, pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return zp_error(ZP_EXIT_ERROR, "%s: waitpid: %s", who, strerror(errno));
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

/* COMMAND in cgroup directory @dir; its exit status. */
static int start_command(const struct zp_args *a, const char *dir)
{
	char procs[PATH_MAX];
	pid_t pid;
	int err;

	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	hold_signals();
	pid = fork();
	if (pid < 0)
		return zp_error(ZP_EXIT_ERROR, "run: fork: %s", strerror(errno));
	if (!pid) {
		restore_signals();
		/* Entering before the exec: nothing of COMMAND's runs outside. */
		err = zp_write(procs, "0");
		_exit(err ? run_error("move into", dir, err) : exec_command(a->command));
	}
	command_pid = pid;
	return zp_wait("run", pid);
}

/* Processes in cgroup directory @dir?  (Exiting ones are not listed.) */
static bool has_processes(const char *dir)
{
	char path[PATH_MAX], pid[16];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	return zp_read_line(path, pid, sizeof(pid)) != NULL;
}

/*
 * rmdir @dir: 0 or an errno.  A reaped COMMAND can still hold its cgroup
 * for a moment (EBUSY with no process left): that is waited out.
 */
static int remove_dir(const char *dir)
{
	const struct timespec tick = { .tv_nsec = 10 * 1000 * 1000 };

	for (int i = 0; rmdir(dir); i++) {
		if (errno != EBUSY || i == RMDIR_TRIES)
			return errno;
		nanosleep(&tick, NULL);
	}
	return 0;
}

/*
 * Remove the cgroup and its entry, unless processes COMMAND started are
 * still in it: then both stay, so that those processes keep the mode.
 */
static void remove_cgroup(const char *dir, const char *cgroup, const char *mode)
{
	int err;

	if (has_processes(dir)) {
		zp_error(ZP_EXIT_OK,
			 "run: warning: %s is left, with mode %s: processes COMMAND started are still in it",
			 dir, mode);
		return;
	}
	zp_policy_write("run", "inherit", cgroup);
	err = remove_dir(dir);
	if (err)
		run_error("remove", dir, err);
}

static int run_in_cgroup(const struct zp_args *a)
{
	char name[64], *dir, *cgroup;
	int ret;

	snprintf(name, sizeof(name), "zeropage-run.%d", (int)getpid());
	ret = zp_cgroup2_new(name, &dir, &cgroup);
	if (ret == -ENOENT)
		return zp_error(ZP_EXIT_ERROR, "run: no cgroup2 file system mounted (%s/self/mountinfo)",
				zp_proc_root());
	if (ret)
		return zp_error(ZP_EXIT_ERROR, "out of memory");
	if (mkdir(dir, 0755)) {
		ret = run_error("create", dir, errno);
	} else {
		ret = zp_policy_write("run", a->mode, cgroup);
		if (!ret) {
			ret = start_command(a, dir);
			remove_cgroup(dir, cgroup, a->mode);
		} else {
			rmdir(dir);
		}
	}
	free(dir);
	free(cgroup);
	return ret;
}

int zp_run(const struct zp_args *a)
{
	int systemd = zp_use_systemd(), ret;

	if (systemd < 0 && !a->in_place)
		return zp_error(ZP_EXIT_USAGE, "run: ZEROPAGECTL_SYSTEMD must be 0 or 1");
	ret = zp_need_policies();
	if (ret)
		return ret;
	if (a->in_place)
		return run_in_place(a);
	return systemd ? run_in_scope(a) : run_in_cgroup(a);
}
