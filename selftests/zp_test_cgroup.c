// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test cgroup: the per-cgroup policies (the cgroups and cgroup_stats
 * files).  Each workload runs in a child moved into its cgroup, and what
 * the guest kernel did is read there: zero PFNs, RssAnon, the cgroup's
 * memory.current, minor faults, AnonHugePages.  Leaves the global mode
 * always and no policy behind.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zp_test.h"

#define CG_PAGES ((size_t)1024)
/*
 * Write faults that give no page another frame: the kernel re-validating a
 * PTE that is already private and writable.  armhf-LPAE 7.2 takes up to 12
 * per 1024 pages after a never read (issue 29: same frame before and after,
 * no vmstat migration or reclaim); x86 takes none.  A page that stayed on
 * the zero page or was copied moves, and is counted apart.
 */
#define CG_REVALIDATED_MAX 16L
#define CG_MAX 65	/* one more than the limit on entries (test_limit) */
#define NEVER_CG "/zp-never"
#define ALWAYS_CG "/zp-always"
#define CHILD_CG NEVER_CG "/child"

/* What one workload saw, written by the child into shared memory. */
struct cg_seen {
	long read_faults, write_faults, rss_kb, mem_bytes, huge_kb;
	long counted;	/* the deciding entry's three counters over the reads; -1: none */
	long moved;	/* pages the write pass gave another frame */
	size_t zero;
	int done;
};

static char *cg_dir(const char *cg)
{
	static char dir[4][128];
	static int next;
	char *d = dir[next++ % 4];

	snprintf(d, sizeof(dir[0]), CG_ROOT "%s", cg);
	return d;
}

/* @cg's memory.current; 0 where it has no memory controller. */
static long mem_current(const char *cg)
{
	char path[160];

	snprintf(path, sizeof(path), "%s/memory.current", cg_dir(cg));
	return access(path, F_OK) ? 0 : cg_read(cg_dir(cg), "memory.current", NULL);
}

/* Write "MODE PATH" to the cgroups file: 0 or -errno. */
static int policy_set(const char *mode, const char *cg)
{
	char line[256];

	snprintf(line, sizeof(line), "%s %s\n", mode, cg);
	return zp_write("cgroups", line, strlen(line));
}

/*
 * @file's whole listing into @buf (a page and a NUL); its length, or -errno.
 * No stdio: a workload reads it beside its own fault counts.
 */
static ssize_t listing(const char *file, char *buf)
{
	char path[128];
	ssize_t n, len = 0;
	int fd;

	snprintf(path, sizeof(path), "/sys/kernel/mm/zeropage/%s", file);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf + len, 4096 - len)) > 0)
		len += n;
	close(fd);
	buf[len] = '\0';
	return n < 0 ? -errno : len;
}

/*
 * Does the listing of @file have a line ending in " @cg"; its text in @line.
 * No stdio (listing()): workloads ask it beside their own fault counts.
 */
static bool listed(const char *file, const char *cg, char *line, size_t size)
{
	static char buf[4097];
	size_t n = strlen(cg);
	char *l, *end;

	if (listing(file, buf) < 0)
		die("read %s", file);
	for (l = buf; *l; l = end + 1) {
		end = strchrnul(l, '\n');
		if (end - l > (long)n && l[end - l - n - 1] == ' ' && !strncmp(end - n, cg, n)) {
			if (line)
				snprintf(line, size, "%.*s", (int)(end - l), l);
			return true;
		}
		if (!*end)
			break;
	}
	return false;
}

/*
 * The counters (0 zero, 1 private, 2 passed) of @cg's cgroup_stats line
 * into @v; false if it has none.
 */
static bool policy_counts(const char *cg, long v[3])
{
	char line[256];

	return listed("cgroup_stats", cg, line, sizeof(line)) &&
	       sscanf(line, "%ld %ld %ld", &v[0], &v[1], &v[2]) == 3;
}

/* The counter @i (0 zero, 1 private, 2 passed) of @cg's cgroup_stats line. */
static long policy_stat(const char *cg, int i)
{
	long v[3];

	return policy_counts(cg, v) ? v[i] : -1;
}

/* The sum of @cg's three counters; -1 if it has no line. */
static long policy_total(const char *cg)
{
	long v[3];

	return policy_counts(cg, v) ? v[0] + v[1] + v[2] : -1;
}

static void expect_errno(int want, const char *line, const char *why)
{
	int got = zp_write("cgroups", line, strlen(line));

	tap_result(got == -want, "cgroup: %s is refused with %s (got %s)", why,
		   strerror(want), got ? strerror(-got) : "success");
}

static void test_interface(void)
{
	expect_errno(EINVAL, "sometimes " NEVER_CG "\n", "an unknown mode");
	expect_errno(EINVAL, "never\n", "a line without a path");
	expect_errno(EINVAL, "never zp-never\n", "a relative path");
	expect_errno(EINVAL, "never  " NEVER_CG "\n", "two spaces");
	expect_errno(EINVAL, "never " NEVER_CG "\n\n", "two newlines");
	expect_errno(ENOENT, "never /zp-no-such-cgroup\n", "a missing cgroup");
	expect_errno(ENOENT, "never /cgroup.procs\n", "a file, not a cgroup");
	tap_result(!policy_set("never", NEVER_CG "//") && listed("cgroups", NEVER_CG, NULL, 0),
		   "cgroup: a set path is listed in its canonical form");
	tap_result(!policy_set("inherit", NEVER_CG) && !listed("cgroups", NEVER_CG, NULL, 0),
		   "cgroup: inherit removes the entry");
	tap_result(!policy_set("inherit", NEVER_CG),
		   "cgroup: inherit on a cgroup without a policy succeeds");
}

/* fork(); the child moves itself into @cg first.  Returns as fork() does. */
static pid_t fork_into(const char *cg)
{
	char procs[160];
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg_dir(cg));
		write_file(procs, "0");
	}
	return pid;
}

/* The listed cgroup whose entry decides for @cg (the nearest listed ancestor). */
static const char *deciding_entry(const char *cg)
{
	return strcmp(cg, CHILD_CG) ? cg : NEVER_CG;
}

/*
 * In a child moved into @cg: map CG_PAGES small pages (or @huge bytes of
 * THP-eligible memory), wait for @go, read them all, then write them all.
 */
static pid_t workload(const char *cg, size_t huge, int go, struct cg_seen *seen)
{
	pid_t pid = fork_into(cg);

	if (pid == 0) {
		size_t n = huge ? huge / PAGE : CG_PAGES, i;
		long f0, f1, f2, f3, rss0, mem0, counted0;
		uint64_t *frame;
		char *p, c;

		p = huge ? map_anon_thp(huge) : map_anon(n * PAGE, PROT_READ | PROT_WRITE);
		/* Written now: its faults stay out of the counted passes. */
		frame = (uint64_t *)map_anon(n * sizeof(*frame), PROT_READ | PROT_WRITE);
		memset(frame, 0xff, n * sizeof(*frame));
		if (read(go, &c, 1) != 1)
			_exit(3);
		/*
		 * Each pass's faults are counted around it alone: the
		 * measurements between them (stdio, the shared results)
		 * take copy-on-write faults of their own after the fork.
		 */
		mem0 = mem_current(cg);
		rss0 = rss_anon_kb();
		counted0 = policy_total(deciding_entry(cg));
		f0 = min_faults();
		touch_read(p, n);
		f1 = min_faults();
		seen->counted = counted0 < 0 ? -1 : policy_total(deciding_entry(cg)) - counted0;
		seen->rss_kb = rss_anon_kb() - rss0;
		seen->mem_bytes = mem_current(cg) - mem0;
		/* Each page's frame after the reads: zero pages, and what moves. */
		for (i = 0, seen->zero = 0; i < n; i++) {
			frame[i] = pfn_of(p + i * PAGE);
			seen->zero += is_zero_pfn(frame[i]);
		}
		f2 = min_faults();
		touch_write(p, n, 1);
		f3 = min_faults();
		for (i = 0, seen->moved = 0; i < n; i++)
			seen->moved += pfn_of(p + i * PAGE) != frame[i];
		seen->read_faults = f1 - f0;
		seen->write_faults = f3 - f2;
		seen->huge_kb = rollup_kb("AnonHugePages:");
		seen->done = 1;
		_exit(0);
	}
	return pid;
}

/*
 * Run one workload per cgroup of @cgs (two at most) at the same time, into
 * @seen; false if one died.
 */
static bool run_together(const char *const *cgs, int n, size_t huge, struct cg_seen *seen)
{
	struct cg_seen *shared = mmap(NULL, 2 * sizeof(*shared), PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], i, status;
	pid_t pid[2];
	bool ok = true;

	if (shared == MAP_FAILED || pipe(go))
		die("shared memory, pipe");
	for (i = 0; i < n; i++)
		pid[i] = workload(cgs[i], huge, go[0], &shared[i]);
	if (write(go[1], "gg", n) != n)
		die("start the workloads");
	for (i = 0; i < n; i++) {
		if (waitpid(pid[i], &status, 0) != pid[i])
			die("wait");
		seen[i] = shared[i];
		if (!WIFEXITED(status) || WEXITSTATUS(status) || !seen[i].done) {
			tap_result(false, "cgroup: the workload in %s ran to its end (status %#x)",
				   cgs[i], status);
			ok = false;
		}
	}
	close(go[0]);
	close(go[1]);
	munmap(shared, 2 * sizeof(*shared));
	return ok;
}

/*
 * Counters add up: the deciding entry's zero, private and passed moved by
 * the read faults the kernel counted (each counted once, one look-up).
 */
static void expect_counted(const char *what, const struct cg_seen *s)
{
	if (s->counted < 0)
		return;		/* no entry decides: the global mode */
	tap_result(s->counted == s->read_faults,
		   "cgroup %s: the entry's counters add up to the kernel's read faults (want %ld, got %ld)",
		   what, s->read_faults, s->counted);
}

/* The never contract: one fault per page, charged and resident on read. */
static void expect_never(const char *what, const struct cg_seen *s, bool memcg)
{
	/* RSS counters are cached per task on 6.1: up to 64 pages behind. */
	long want_kb = (long)((CG_PAGES - 64) * PAGE / 1024);

	tap_result(s->zero == 0, "cgroup %s: no read page is the zero page (got %zu)", what, s->zero);
	tap_result(s->rss_kb >= want_kb, "cgroup %s: RssAnon grew on read (want >= %ld kB, got %ld kB)",
		   what, want_kb, s->rss_kb);
	if (memcg)
		tap_result(s->mem_bytes >= (long)(CG_PAGES * PAGE * 9 / 10),
			   "cgroup %s: memory.current grew on read (want >= %zu, got %ld)", what,
			   (size_t)(CG_PAGES * PAGE * 9 / 10), s->mem_bytes);
	tap_result(s->read_faults == (long)CG_PAGES && s->moved == 0 &&
		   s->write_faults <= CG_REVALIDATED_MAX,
		   "cgroup %s: one fault per page, on read (want %zu read, 0 pages moved on write, write faults <= %ld; got %ld, %ld, %ld)",
		   what, CG_PAGES, CG_REVALIDATED_MAX, s->read_faults, s->moved, s->write_faults);
	expect_counted(what, s);
}

/* The always contract: the zero page on read, two faults per page. */
static void expect_always(const char *what, const struct cg_seen *s, bool memcg)
{
	tap_result(s->zero == CG_PAGES, "cgroup %s: every read page is the zero page (want %zu, got %zu)",
		   what, CG_PAGES, s->zero);
	tap_result(s->rss_kb < RSS_SLACK_KB, "cgroup %s: RssAnon flat on read (want < %ld kB, got %ld kB)",
		   what, RSS_SLACK_KB, s->rss_kb);
	if (memcg)
		tap_result(s->mem_bytes < (long)(CG_PAGES * PAGE / 8),
			   "cgroup %s: memory.current flat on read (want < %zu, got %ld)", what,
			   (size_t)(CG_PAGES * PAGE / 8), s->mem_bytes);
	tap_result(s->read_faults == (long)CG_PAGES && s->moved == (long)CG_PAGES &&
		   s->write_faults >= s->moved && s->write_faults - s->moved <= CG_REVALIDATED_MAX,
		   "cgroup %s: two faults per page (want %zu read, %zu pages moved on write, as many write faults + <= %ld; got %ld, %ld, %ld)",
		   what, CG_PAGES, CG_PAGES, CG_REVALIDATED_MAX, s->read_faults, s->moved, s->write_faults);
	expect_counted(what, s);
}

static void test_siblings(void)
{
	const char *const cgs[] = { NEVER_CG, ALWAYS_CG };
	struct cg_seen seen[2];
	long private0, zero0, passed0;
	size_t tables;

	/* The global mode is never: the always policy must override it. */
	zp_set_mode("never");
	if (policy_set("never", NEVER_CG) || policy_set("always", ALWAYS_CG))
		die("set the sibling policies");
	private0 = policy_stat(NEVER_CG, 1);
	zero0 = policy_stat(ALWAYS_CG, 0);
	tap_result(private0 == 0 && zero0 == 0, "cgroup: new entries count from 0 (%ld, %ld)",
		   private0, zero0);
	if (run_together(cgs, 2, 0, seen)) {
		expect_never("never sibling", &seen[0], true);
		expect_always("always sibling (global never)", &seen[1], true);
	}
	tap_result(policy_stat(NEVER_CG, 1) >= (long)CG_PAGES,
		   "cgroup: cgroup_stats counts the never entry's private pages (want >= %zu, got %ld)",
		   CG_PAGES, policy_stat(NEVER_CG, 1));
	/* A page whose table is not there yet is the kernel's: passed. */
	tables = CG_PAGES * PAGE / span + 1;
	zero0 = policy_stat(ALWAYS_CG, 0);
	passed0 = policy_stat(ALWAYS_CG, 2);
	tap_result(zero0 >= (long)(CG_PAGES - tables) && zero0 + passed0 >= (long)CG_PAGES,
		   "cgroup: cgroup_stats counts the always entry's zero pages (want >= %zu, and with passed >= %zu; got %ld and %ld)",
		   CG_PAGES - tables, CG_PAGES, zero0, zero0 + passed0);
	zp_set_mode("always");
}

/* Drop to uid/gid 65534 with no supplementary groups; false on failure. */
static bool become_nobody(void)
{
	return !setgroups(0, NULL) && !setgid(65534) && !setuid(65534) && geteuid() == 65534;
}

/* What the process in a cgroup namespace saw (shared memory). */
struct ns_seen {
	int write_errno[2];	/* its writes as root: "never /", "inherit NEVER_CG" */
	int nobody;		/* it dropped to uid 65534 */
	ssize_t len[2];		/* its reads as 65534: cgroups, cgroup_stats */
	char cgroups[4097], stats[4097];
	int done;
};

/*
 * A reader in a cgroup namespace (a container's view): a process in
 * CHILD_CG makes a new cgroup namespace, so "/" is CHILD_CG to it.  As
 * root its writes are refused (EPERM: a path it writes would name another
 * cgroup than the one listed); as uid 65534 it reads both listings.  It
 * must see the host's listing, and its reads must change nothing: the
 * policies stay listed and a read fault in the never cgroup still gets a
 * private page.
 */
static void test_namespace_reader(void)
{
	const char *child[] = { CHILD_CG };
	struct ns_seen *ns = mmap(NULL, sizeof(*ns), PROT_READ | PROT_WRITE,
				  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	static char before[4097], after[4097];
	struct cg_seen seen;
	int status, i;
	pid_t pid;

	if (ns == MAP_FAILED)
		die("shared memory");
	if (policy_set("never", NEVER_CG) || policy_set("always", ALWAYS_CG))
		die("set the policies");
	if (mkdir(cg_dir(CHILD_CG), 0755))
		die("mkdir %s", cg_dir(CHILD_CG));
	if (listing("cgroups", before) < 0)
		die("read cgroups");
	pid = fork_into(CHILD_CG);
	if (pid == 0) {
		if (unshare(CLONE_NEWCGROUP))
			_exit(3);
		ns->write_errno[0] = -policy_set("never", "/");
		ns->write_errno[1] = -policy_set("inherit", NEVER_CG);
		ns->nobody = become_nobody();
		ns->len[0] = listing("cgroups", ns->cgroups);
		ns->len[1] = listing("cgroup_stats", ns->stats);
		ns->done = 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("wait");
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status) && ns->done,
		   "cgroup namespace: the reader ran to its end (status %#x)", status);
	for (i = 0; i < 2; i++)
		tap_result(ns->write_errno[i] == EPERM,
			   "cgroup namespace: a root write from inside (%s) is refused with EPERM (got %s)",
			   i ? "inherit " NEVER_CG : "never /",
			   ns->write_errno[i] ? strerror(ns->write_errno[i]) : "success");
	tap_result(ns->nobody, "cgroup namespace: the reader dropped to uid 65534");
	tap_result(ns->len[0] > 0 && !strcmp(ns->cgroups, before),
		   "cgroup namespace: the reader sees the host's listing, paths from the cgroup2 root (got %zd bytes, want %zu)",
		   ns->len[0], strlen(before));
	tap_result(ns->len[1] > 0 && strstr(ns->stats, " " NEVER_CG "\n") &&
		   strstr(ns->stats, " " ALWAYS_CG "\n"),
		   "cgroup namespace: the reader's cgroup_stats lists both entries");
	tap_result(listing("cgroups", after) > 0 && !strcmp(after, before),
		   "cgroup namespace: the host's listing is unchanged after the reads (%zu bytes, were %zu)",
		   strlen(after), strlen(before));
	/* The kernel's word: the never policy still acts. */
	if (run_together(child, 1, 0, &seen))
		expect_never("never, after a namespace reader", &seen, false);
	cg_remove(cg_dir(CHILD_CG));
	munmap(ns, sizeof(*ns));
}

#define REMOTE_BYTES ((size_t)64 << 20)

/* A process in @cg that maps REMOTE_BYTES and waits; its address in *@addr. */
static pid_t remote_target(const char *cg, uintptr_t *addr, int ready[2], int go[2])
{
	pid_t pid = fork_into(cg);
	char c;

	if (pid == 0) {
		uintptr_t p = (uintptr_t)map_anon(REMOTE_BYTES, PROT_READ | PROT_WRITE);

		if (write(ready[1], &p, sizeof(p)) != sizeof(p) || read(go[0], &c, 1) != 1)
			_exit(3);
		_exit(0);
	}
	if (read(ready[0], addr, sizeof(*addr)) != sizeof(*addr))
		die("the remote target did not start");
	return pid;
}

/*
 * In a child moved into @cg, read @target's REMOTE_BYTES at @addr: the
 * first half through /proc/PID/mem, the second through process_vm_readv().
 * Exit 0 when every byte came back and was zero.
 */
static pid_t remote_reader(const char *cg, pid_t target, uintptr_t addr)
{
	static char buf[65536];
	size_t off, half = REMOTE_BYTES / 2;
	pid_t pid = fork_into(cg);

	if (pid == 0) {
		char path[64];
		struct iovec local = { buf, sizeof(buf) }, remote;
		int fd;

		snprintf(path, sizeof(path), "/proc/%d/mem", (int)target);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			_exit(3);
		for (off = 0; off < half; off += sizeof(buf))
			if (pread(fd, buf, sizeof(buf), addr + off) != sizeof(buf) ||
			    !all_bytes(buf, sizeof(buf), 0))
				_exit(4);
		close(fd);
		for (off = half; off < REMOTE_BYTES; off += sizeof(buf)) {
			remote.iov_base = (void *)(addr + off);
			remote.iov_len = sizeof(buf);
			if (process_vm_readv(target, &local, 1, &remote, 1, 0) != sizeof(buf) ||
			    !all_bytes(buf, sizeof(buf), 0))
				_exit(5);
		}
		_exit(0);
	}
	return pid;
}

/*
 * A policy belongs to the memory: a process in @reader_cg reads the
 * untouched memory of a process in @target_cg, with the global mode set
 * against the target's policy (@never: the target's is never).  The
 * target's pages, RssAnon and memory.current must follow the target's
 * policy, as the kernel shows them.
 */
static void remote_case(const char *target_cg, const char *reader_cg, bool never)
{
	size_t n = REMOTE_BYTES / PAGE, zero;
	int ready[2], go[2], status;
	long rss0, mem0, rss, mem;
	uintptr_t addr;
	pid_t target, reader;
	char what[96];

	snprintf(what, sizeof(what), "remote read of %s's memory from %s", target_cg, reader_cg);
	zp_set_mode(never ? "always" : "never");
	if (pipe(ready) || pipe(go))
		die("pipe");
	target = remote_target(target_cg, &addr, ready, go);
	rss0 = rss_anon_kb_of(target);
	mem0 = mem_current(target_cg);
	reader = remote_reader(reader_cg, target, addr);
	if (waitpid(reader, &status, 0) != reader)
		die("wait");
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status),
		   "cgroup %s: every byte read back as zero (status %#x)", what, status);
	rss = rss_anon_kb_of(target) - rss0;
	mem = mem_current(target_cg) - mem0;
	zero = count_zero_pfns_of(target, addr, n);
	if (never) {
		tap_result(zero == 0, "cgroup %s: no page is the zero page (got %zu of %zu)",
			   what, zero, n);
		long want_kb = (long)((n - 64) * PAGE / 1024);

		tap_result(rss >= want_kb,
			   "cgroup %s: the target's RssAnon grew (want >= %ld kB, got %ld kB)",
			   what, want_kb, rss);
		tap_result(mem >= (long)(REMOTE_BYTES * 9 / 10),
			   "cgroup %s: the target's memory.current grew (want >= %zu, got %ld)",
			   what, REMOTE_BYTES * 9 / 10, mem);
	} else {
		tap_result(zero == n, "cgroup %s: every page is the zero page (want %zu, got %zu)",
			   what, n, zero);
		tap_result(rss < RSS_SLACK_KB,
			   "cgroup %s: the target's RssAnon stayed flat (want < %ld kB, got %ld kB)",
			   what, RSS_SLACK_KB, rss);
		tap_result(mem < (long)(REMOTE_BYTES / 16),
			   "cgroup %s: the target's memory.current stayed flat (want < %zu, got %ld)",
			   what, REMOTE_BYTES / 16, mem);
	}
	if (write(go[1], "g", 1) != 1 || waitpid(target, &status, 0) != target)
		die("end the remote target");
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status),
		   "cgroup %s: the target ran to its end (status %#x)", what, status);
	close(ready[0]);
	close(ready[1]);
	close(go[0]);
	close(go[1]);
	zp_set_mode("always");
}

static void test_remote(void)
{
	if (policy_set("never", NEVER_CG) || policy_set("always", ALWAYS_CG))
		die("set the policies");
	remote_case(ALWAYS_CG, NEVER_CG, false);
	remote_case(NEVER_CG, ALWAYS_CG, true);
}

static void test_inherit_and_remove(void)
{
	const char *child[] = { CHILD_CG }, *parent[] = { NEVER_CG };
	struct cg_seen seen;

	if (mkdir(cg_dir(CHILD_CG), 0755))
		die("mkdir %s", cg_dir(CHILD_CG));
	/* Global always: the child gets its parent's never. */
	if (run_together(child, 1, 0, &seen))
		expect_never("child of never (inherited)", &seen, false);
	cg_remove(cg_dir(CHILD_CG));
	if (policy_set("inherit", NEVER_CG))
		die("remove the never policy");
	tap_result(!listed("cgroups", NEVER_CG, NULL, 0) && !listed("cgroup_stats", NEVER_CG, NULL, 0),
		   "cgroup: a removed policy is listed nowhere");
	if (run_together(parent, 1, 0, &seen))
		expect_always("never removed (global always)", &seen, true);
}

/*
 * A policy on the root cgroup decides for every cgroup without a nearer
 * one: the walk up from the workload's cgroup (NEVER_CG, whose own policy
 * test_inherit_and_remove() removed) must reach "/".
 */
static void test_root_policy(void)
{
	const char *const cg[] = { NEVER_CG };
	struct cg_seen seen;
	char line[64] = "";

	if (policy_set("never", "/"))
		die("set a policy on /");
	tap_result(listed("cgroups", "/", line, sizeof(line)) && !strcmp(line, "never /"),
		   "cgroup: a policy on the root cgroup is listed as \"never /\" (got \"%s\")", line);
	if (run_together(cg, 1, 0, &seen))
		expect_never("without a policy, under a never root (global always)", &seen, true);
	if (policy_set("inherit", "/"))
		die("remove the policy on /");
}

static void test_deleted_cgroup(void)
{
	const char *cg = "/zp-gone";

	if (mkdir(cg_dir(cg), 0755) || policy_set("never", cg))
		die("a policy on %s", cg);
	tap_result(listed("cgroups", cg, NULL, 0), "cgroup: the policy on %s is listed", cg);
	cg_remove(cg_dir(cg));
	tap_result(!listed("cgroups", cg, NULL, 0) && !listed("cgroup_stats", cg, NULL, 0),
		   "cgroup: a deleted cgroup's policy drops out of both listings");
	if (mkdir(cg_dir(cg), 0755))
		die("mkdir %s", cg_dir(cg));
	tap_result(!listed("cgroups", cg, NULL, 0),
		   "cgroup: a new cgroup at the same path has no policy");
	cg_remove(cg_dir(cg));
}

static const char *limit_cg(int i)
{
	static char cg[32];

	snprintf(cg, sizeof(cg), "/zp-limit-%d", i);
	return cg;
}

/*
 * The limit: 64 policies, and no more than a page of the worst-case
 * cgroup_stats listing, whose line is three counters of up to 20 digits,
 * three spaces, the path and a newline.  From the listing it starts with,
 * the test works out exactly how many of its cgroups must be taken: one
 * entry over (or under) either limit is a failure.
 */
#define CG_POLICIES_MAX 64
#define CG_LINE_WORST(path_len) ((path_len) + 3 * 20 + 3 + 1)

static void test_limit(void)
{
	int i, set = 0, err = 0, listed_now = 0, had = 0, want;
	size_t bytes = 0;
	char line[256], *path;
	FILE *f;

	/* The policies there already (ALWAYS_CG): "MODE PATH" lines. */
	f = fopen("/sys/kernel/mm/zeropage/cgroups", "r");
	while (f && fgets(line, sizeof(line), f) && (path = strchr(line, ' '))) {
		had++;
		bytes += CG_LINE_WORST(strcspn(path + 1, "\n"));
	}
	if (f)
		fclose(f);
	for (want = 0; had + want < CG_POLICIES_MAX && bytes + CG_LINE_WORST(strlen(limit_cg(want))) <= PAGE; want++)
		bytes += CG_LINE_WORST(strlen(limit_cg(want)));
	for (i = 0; i < CG_MAX && !err; i++) {
		if (mkdir(cg_dir(limit_cg(i)), 0755))
			die("mkdir %s", limit_cg(i));
		err = policy_set("never", limit_cg(i));
		set += !err;
	}
	f = fopen("/sys/kernel/mm/zeropage/cgroups", "r");
	while (f && fgets(line, sizeof(line), f))
		listed_now++;
	if (f)
		fclose(f);
	tap_result(set == want && err == -ENOSPC && listed_now == had + set,
		   "cgroup: past the limit a policy is refused with ENOSPC (want %d more of %d, then ENOSPC; got %d, then %s; %d listed)",
		   want, had, set, err ? strerror(-err) : "success", listed_now);
	while (i--) {
		policy_set("inherit", limit_cg(i));
		cg_remove(cg_dir(limit_cg(i)));
	}
}

/*
 * A never cgroup's huge read fault on PROT_READ memory, where nothing can
 * dirty a private page: it keeps the huge zero page, like mode never's
 * small faults there, and nothing is charged.
 */
static void huge_read_only(size_t huge)
{
	struct cg_seen *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	size_t n = huge / PAGE;
	int status;
	pid_t pid;

	if (s == MAP_FAILED)
		die("shared memory");
	pid = fork_into(NEVER_CG);
	if (pid == 0) {
		char *p = map_anon_thp(huge);
		long rss0, mem0;

		if (mprotect(p, huge, PROT_READ))
			_exit(3);
		mem0 = mem_current(NEVER_CG);
		rss0 = rss_anon_kb();
		touch_read(p, n);
		s->rss_kb = rss_anon_kb() - rss0;
		s->mem_bytes = mem_current(NEVER_CG) - mem0;
		s->zero = count_zero_pfns(p, n);
		s->done = 1;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("wait");
	/* A huge page would add @huge; a fork child's own COW faults, a few pages. */
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status) && s->done && s->zero == n &&
		   s->rss_kb < (long)(huge / 8 / 1024) && s->mem_bytes < (long)(huge / 8),
		   "cgroup never, THP, PROT_READ: reads keep the huge zero page (status %#x; want %zu zero PFNs, RssAnon < %zu kB, memory.current < %zu; got %zu, %+ld kB, %+ld)",
		   status, n, huge / 8 / 1024, huge / 8, s->zero, s->rss_kb, s->mem_bytes);
	munmap(s, sizeof(*s));
}

/*
 * The huge path: with THP on, a read fault on a huge-eligible range takes
 * the huge zero page before the module's hooks.  Read-then-write in a never
 * cgroup keeps huge pages; an always cgroup keeps the huge zero page on
 * read (a write to it splits it up to 6.12, and gets a huge page on 7.x).
 */
static void test_huge(void)
{
	const char *const cgs[] = { NEVER_CG, ALWAYS_CG };
	size_t huge = 4 * thp_size();
	struct thp_saved was;
	struct cg_seen seen[2];

	if (!thp_size()) {
		tap_skip("cgroup: huge path", "no THP in this kernel");
		return;
	}
	thp_push(&was, "always", "always", "1");
	if (policy_set("never", NEVER_CG))
		die("set the never policy");
	if (run_together(cgs, 2, huge, seen)) {
		tap_result(seen[0].zero == 0 && seen[0].huge_kb >= (long)(huge / 1024),
			   "cgroup never, THP: read-then-write keeps its huge pages (zero PFNs %zu; AnonHugePages want >= %zu kB, got %ld kB)",
			   seen[0].zero, huge / 1024, seen[0].huge_kb);
		expect_counted("never, THP", &seen[0]);
		/* What a write to the huge zero page gives is the kernel's choice. */
		tap_result(seen[1].zero == huge / PAGE,
			   "cgroup always, THP: reads map the huge zero page (want %zu zero PFNs, got %zu; AnonHugePages after the writes: %ld kB)",
			   (size_t)(huge / PAGE), seen[1].zero, seen[1].huge_kb);
	}
	huge_read_only(huge);
	policy_set("inherit", NEVER_CG);
	thp_pop(&was);
}

void test_cgroup(void)
{
	cg_make(cg_dir(NEVER_CG));
	cg_make(cg_dir(ALWAYS_CG));
	zp_set_mode("always");
	test_interface();
	test_siblings();
	test_namespace_reader();
	test_remote();
	test_inherit_and_remove();
	test_root_policy();
	test_deleted_cgroup();
	test_limit();
	test_huge();
	policy_set("inherit", ALWAYS_CG);
	tap_result(!listed("cgroups", ALWAYS_CG, NULL, 0), "cgroup: no policy left behind");
	cg_remove(cg_dir(NEVER_CG));
	cg_remove(cg_dir(ALWAYS_CG));
}
