// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test: unloading while a diverted fault is parked inside the module's
 * replacement, on something the test controls: a swap-in from an NBD
 * device whose server is this program, holding the read until the test
 * has seen rmmod wait; and, on PREEMPT_RT, a sleep on a PTE lock that
 * zp_testmod.ko holds.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/nbd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/socket.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmod/zp_testmod.h"
#include "zp_test.h"

#define NBD_DEV "/dev/nbd0"
#define NBD_PAGES 512		/* the swap device: 2 MiB of 4 KiB pages */
#define TEST_PAGES 16
#define ENABLED_FUNCTIONS "/sys/kernel/debug/tracing/enabled_functions"

/* The swap device's blocks, served from memory over a socket. */
struct nbd_server {
	int sock, dev;
	char *disk;
	size_t size;
	pthread_t serve, doit;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;		/* park reads until released */
	int held;		/* reads parked so far */
	int writes;
};

static bool full_io(int fd, void *buf, size_t len, bool wr)
{
	char *p = buf;

	while (len) {
		ssize_t n = wr ? write(fd, p, len) : read(fd, p, len);

		if (n <= 0)
			return false;
		p += n;
		len -= n;
	}
	return true;
}

/* The kernel's NBD client's requests, one at a time, until it disconnects. */
static void *nbd_serve(void *arg)
{
	struct nbd_server *s = arg;
	struct nbd_request rq;
	struct nbd_reply rp = { .magic = htonl(NBD_REPLY_MAGIC) };

	while (full_io(s->sock, &rq, sizeof(rq), false)) {
		uint64_t from = be64toh(rq.from);
		uint32_t len = ntohl(rq.len), type = ntohl(rq.type) & 0xffff;
		bool in_range = from <= s->size && len <= s->size - from;

		memcpy(rp.handle, rq.handle, sizeof(rp.handle));
		rp.error = htonl(in_range ? 0 : EIO);
		if (type == NBD_CMD_DISC)
			break;
		if (type == NBD_CMD_WRITE) {
			char scratch[4096];
			uint32_t left = len;

			while (left && !in_range && full_io(s->sock, scratch, MIN(left, sizeof(scratch)), false))
				left -= MIN(left, sizeof(scratch));
			if (in_range && !full_io(s->sock, s->disk + from, len, false))
				break;
			pthread_mutex_lock(&s->lock);
			s->writes++;
			pthread_mutex_unlock(&s->lock);
		}
		if (type == NBD_CMD_READ) {
			pthread_mutex_lock(&s->lock);
			if (s->hold) {
				s->held++;
				while (s->hold)
					pthread_cond_wait(&s->cond, &s->lock);
			}
			pthread_mutex_unlock(&s->lock);
		}
		if (!full_io(s->sock, &rp, sizeof(rp), true) ||
		    (type == NBD_CMD_READ && in_range &&
		     !full_io(s->sock, s->disk + from, len, true)))
			break;
	}
	shutdown(s->sock, SHUT_RDWR);	/* NBD_DO_IT returns once its socket ends */
	return NULL;
}

static void *nbd_doit(void *arg)
{
	struct nbd_server *s = arg;

	ioctl(s->dev, NBD_DO_IT);	/* until the server's socket ends */
	return NULL;
}

/* A swap area on NBD_DEV, formatted here as mkswap would (version 1). */
static bool nbd_start(struct nbd_server *s)
{
	int sv[2];

	memset(s, 0, sizeof(*s));
	s->size = (size_t)NBD_PAGES * PAGE;
	s->disk = calloc(1, s->size);
	if (!s->disk)
		die("calloc");
	*(uint32_t *)(s->disk + 1024) = 1;			/* version */
	*(uint32_t *)(s->disk + 1028) = NBD_PAGES - 1;		/* last_page */
	memcpy(s->disk + PAGE - 10, "SWAPSPACE2", 10);
	pthread_mutex_init(&s->lock, NULL);
	pthread_cond_init(&s->cond, NULL);
	s->dev = open(NBD_DEV, O_RDWR | O_CLOEXEC);
	if (s->dev < 0)
		return false;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		die("socketpair");
	s->sock = sv[1];
	if (ioctl(s->dev, NBD_SET_BLKSIZE, (unsigned long)PAGE) ||
	    ioctl(s->dev, NBD_SET_SIZE_BLOCKS, (unsigned long)NBD_PAGES) ||
	    ioctl(s->dev, NBD_SET_SOCK, sv[0]))
		die("NBD setup");
	close(sv[0]);
	if (pthread_create(&s->serve, NULL, nbd_serve, s) ||
	    pthread_create(&s->doit, NULL, nbd_doit, s))
		die("pthread_create");
	return true;
}

static void nbd_stop(struct nbd_server *s)
{
	if (ioctl(s->dev, NBD_DISCONNECT))
		die("NBD_DISCONNECT");
	pthread_join(s->doit, NULL);
	pthread_join(s->serve, NULL);
	ioctl(s->dev, NBD_CLEAR_SOCK);
	close(s->dev);
	close(s->sock);
	free(s->disk);
}

static void nbd_hold(struct nbd_server *s, bool hold)
{
	pthread_mutex_lock(&s->lock);
	s->hold = hold;
	pthread_cond_broadcast(&s->cond);
	pthread_mutex_unlock(&s->lock);
}

/* One of the server's counts (held, writes), watched for a change. */
struct nbd_watch {
	struct nbd_server *s;
	int *count, was;
};

static struct nbd_watch nbd_watch(struct nbd_server *s, int *count)
{
	return (struct nbd_watch){ .s = s, .count = count, .was = *count };
}

static bool nbd_moved(void *arg)
{
	struct nbd_watch *w = arg;
	bool moved;

	pthread_mutex_lock(&w->s->lock);
	moved = *w->count != w->was;
	pthread_mutex_unlock(&w->s->lock);
	return moved;
}

/* ---- the fault ---- */

/*
 * The thread that faults: one read of *p per byte on go[1].  Started,
 * like the rmmod thread, before the memory is locked: a thread created
 * later would link itself into glibc's list through the others' stacks.
 */
struct reader {
	volatile char *p;
	volatile pid_t tid;
	volatile bool returned;
	char got;
	int go[2];
	pthread_t th;
};

static void *reader_thread(void *arg)
{
	struct reader *r = arg;
	char go;

	r->tid = syscall(SYS_gettid);
	while (read(r->go[0], &go, 1) == 1) {
		r->got = r->p[0];
		r->returned = true;
	}
	return NULL;
}

static bool reader_returned(void *arg)
{
	return ((struct reader *)arg)->returned;
}

/* /proc/self/task/@tid/@name into @buf (without stdio: see has_line). */
static void read_task_file(pid_t tid, const char *name, char *buf, size_t size)
{
	char path[64];
	int fd, n;

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", tid, name);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, size - 1);
	if (fd >= 0)
		close(fd);
	buf[n > 0 ? n : 0] = '\0';
}

/* @tid's kernel stack, its frames on one line. */
static const char *task_stack(pid_t tid)
{
	static char stack[4096];
	char *c;

	read_task_file(tid, "stack", stack, sizeof(stack));
	for (c = stack; *c; c++)
		if (*c == '\n')
			*c = ' ';
	return stack;
}

/* Does @tid's kernel stack run through the module's code? */
static bool stack_in_module(pid_t tid)
{
	return strstr(task_stack(tid), "[zeropage]");
}

/*
 * Does @path have a line starting with @prefix?  Without stdio: while the
 * fault is parked, its thread holds the mmap lock, and a malloc() that
 * grows the heap would wait for it.
 */
static bool has_line(const char *path, const char *prefix)
{
	static char buf[32768];
	int fd = open(path, O_RDONLY), n = 0, got;
	char *line;

	while (fd >= 0 && n < (int)sizeof(buf) - 1 &&
	       (got = read(fd, buf + n, sizeof(buf) - 1 - n)) > 0)
		n += got;
	if (fd >= 0)
		close(fd);
	buf[n] = '\0';
	for (line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (!strncmp(line, prefix, strlen(prefix)))
			return true;
	}
	return false;
}

#define CG CG_ROOT "/zp-parked"

/*
 * Page @p out to the NBD swap, and out of the swap cache too (a swap-cache
 * hit reads nothing): the cgroup's proactive reclaim finds it clean once
 * its write has reached the server.  Then fault it in from a thread: true
 * once the server holds its read, the thread parked in the swap-in.
 */
static bool park_swapin(struct nbd_server *s, struct reader *r, char *p)
{
	struct nbd_watch written = nbd_watch(s, &s->writes), parked;
	int fd;

	if (madvise(p, PAGE, MADV_PAGEOUT) || !pagemap_bit(p, PM_SWAP))
		return false;
	wait_for(nbd_moved, &written, 5);
	fd = open(CG "/memory.reclaim", O_WRONLY);
	if (fd < 0 || write(fd, "1M", 2) < 0)
		tap_diag("memory.reclaim: %s", strerror(errno));	/* EAGAIN: less than asked */
	if (fd >= 0)
		close(fd);
	r->p = p;
	r->returned = false;
	nbd_hold(s, true);
	parked = nbd_watch(s, &s->held);
	if (write(r->go[1], "", 1) != 1)
		die("start the reader");
	if (wait_for(nbd_moved, &parked, 10))
		return true;
	nbd_hold(s, false);
	if (!wait_for(reader_returned, r, 30))
		die("a read that reached no server never returned");
	return false;
}

/*
 * rmmod from a thread started before the fault parks: neither fork() nor a
 * new thread's stack can be had then (both need the mmap lock).
 */
struct unloader {
	pthread_t th;
	int go[2];
	volatile int err;
	volatile bool done;
	char hook[64];		/* "FUNCTION ", as ftrace's listing starts */
	double started, detached;	/* detached: when ftrace stopped listing it */
	double attached_for;	/* give up waiting for the detach after it */
};

static void *unload_thread(void *arg)
{
	struct unloader *u = arg;
	char go;

	if (read(u->go[0], &go, 1) == 1)
		u->err = zp_module_unload();
	u->done = true;
	return NULL;
}

/* Start rmmod; the hook it detaches is the one sysfs names now. */
static void unloader_start(struct unloader *u, double attached_for)
{
	int fd = open("/sys/kernel/mm/zeropage/hook", O_RDONLY), n;

	n = fd < 0 ? -1 : read(fd, u->hook, sizeof(u->hook) - 1);
	if (fd >= 0)
		close(fd);
	if (n <= 0 || !strchr(u->hook, ' '))
		die("/sys/kernel/mm/zeropage/hook");
	strchr(u->hook, ' ')[1] = '\0';
	u->attached_for = attached_for;
	u->started = now_s();
	if (write(u->go[1], "", 1) != 1)
		die("start rmmod");
}

/*
 * rmmod returned, or it has been past the detach for 2 s (ftrace no longer
 * lists the hook: what is left of the unload is the drain), or still not
 * past it after attached_for seconds.
 */
static bool unloader_settled(void *arg)
{
	struct unloader *u = arg;

	if (u->done)
		return true;
	if (!u->detached && !has_line(ENABLED_FUNCTIONS, u->hook))
		u->detached = now_s();
	if (u->detached)
		return now_s() - u->detached > 2;
	return now_s() - u->started > u->attached_for;
}

/*
 * The unload's drain judged from outside the module.  On the
 * handle_mm_fault route every private anonymous read fault runs inside the
 * module's replacement, which calls the kernel's handler: a swap-in parked
 * there on this program's NBD server stays until the server answers, the
 * thread's kernel stack naming [zeropage].  rmmod must not return while
 * it is parked, the module still listed; answered, the fault returns
 * through the module's code (an Oops had that been freed) and only then
 * rmmod completes.  Unloads the module.
 */
void test_unload_parked(void)
{
	const char *what = "unload-parked: rmmod waits for a swap-in parked on the test's NBD server";
	struct unloader u = { 0 };
	struct nbd_server s;
	struct reader r = { 0 };
	bool inside, listed, parked = false;
	long cluster = read_long("/proc/sys/vm/page-cluster");
	char val[32], *p;
	int i;

	bool hooked = has_line(ENABLED_FUNCTIONS, "handle_mm_fault ");

	if (!hooked || !nbd_start(&s)) {
		tap_skip(what, hooked ? "no " NBD_DEV : "no " ENABLED_FUNCTIONS " listing the hook");
		if (zp_module_unload())
			die("rmmod zeropage");
		return;
	}
	/*
	 * Nothing but the test's pages may go to this swap: were the server's
	 * own memory swapped out, its fault-in would queue behind the read it
	 * holds.  Locked now; the pages to swap come after, in a cgroup.
	 */
	r.p = NULL;
	if (pipe(r.go) || pthread_create(&r.th, NULL, reader_thread, &r) ||
	    pipe(u.go) || pthread_create(&u.th, NULL, unload_thread, &u))
		die("the threads");
	if (mlockall(MCL_CURRENT))
		die("mlockall");
	cg_make(CG);
	write_file(CG "/cgroup.procs", "0");
	/* One page a read, and it waits in swap_readpage(), under the mmap lock. */
	write_file("/proc/sys/vm/page-cluster", "0");
	if (swapon(NBD_DEV, SWAP_FLAG_PREFER | SWAP_FLAG_PRIO_MASK))
		die("swapon " NBD_DEV);
	p = map_anon(TEST_PAGES * PAGE, PROT_READ | PROT_WRITE);
	for (i = 0; i < TEST_PAGES; i++)
		p[i * PAGE] = (char)(i + 1);
	for (i = 0; i < TEST_PAGES && !parked; i++)
		parked = park_swapin(&s, &r, p + i * PAGE);
	tap_result(parked, "unload-parked: a swap-in is parked on the test's NBD server (page %d of %d, %d writes served)",
		   i, TEST_PAGES, s.writes);
	if (!parked)
		die("no swap-in reached the NBD server");
	inside = stack_in_module(r.tid);
	unloader_start(&u, 60);
	wait_for(unloader_settled, &u, 90);
	listed = has_line("/proc/modules", "zeropage ");
	tap_result(inside, "unload-parked: the parked fault runs in the module (its kernel stack names [zeropage])");
	tap_result(!u.done && u.detached && listed,
		   "unload-parked: rmmod waits while the fault is parked (want running, past the detach, module listed; got %s, %s, %s)",
		   u.done ? "returned" : "running", u.detached ? "detached" : "still attached",
		   listed ? "listed" : "gone");
	nbd_hold(&s, false);
	watchdog(60, "unload-parked: the fault and rmmod return once the read is answered");
	pthread_join(u.th, NULL);
	wait_for(reader_returned, &r, 60);
	watchdog(0, NULL);
	tap_result(r.returned && r.got == (char)i,
		   "unload-parked: the answered fault reads the page back (want %d, got %d)", i, r.got);
	tap_result(!u.err && !has_line("/proc/modules", "zeropage "),
		   "unload-parked: then rmmod succeeds and the module is gone (%s)", strerror(-u.err));
	munmap(p, TEST_PAGES * PAGE);
	if (swapoff(NBD_DEV))
		die("swapoff " NBD_DEV);
	snprintf(val, sizeof(val), "%ld", cluster);
	write_file("/proc/sys/vm/page-cluster", val);
	write_file(CG_ROOT "/cgroup.procs", "0");
	cg_remove(CG);
	munlockall();
	nbd_stop(&s);
	close(r.go[1]);
	pthread_join(r.th, NULL);
	close(r.go[0]);
	close(u.go[0]);
	close(u.go[1]);
}

/* ---- PREEMPT_RT: unloading while a replacement sleeps on a PTE lock ---- */

struct ptl_holder {
	int fd;
	char *addr;
	pthread_t th;
};

/* Pin @th to @cpu. */
static void pin(pthread_t th, int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (pthread_setaffinity_np(th, sizeof(set), &set))
		die("pin to CPU %d", cpu);
}

static void *hold_ptl(void *arg)
{
	struct ptl_holder *h = arg;

	pin(pthread_self(), 0);
	if (ioctl(h->fd, ZPT_PTL_HOLD, h->addr))
		die("ZPT_PTL_HOLD");
	return NULL;
}

static bool ptl_held(void *arg)
{
	return ioctl(((struct ptl_holder *)arg)->fd, ZPT_PTL_HELD) == 1;
}

/* Is task @tid of this process asleep in an uninterruptible wait (D)? */
static bool task_in_d(pid_t tid)
{
	char stat[512], *s;

	read_task_file(tid, "stat", stat, sizeof(stat));
	s = strrchr(stat, ')');
	return s && s[1] == ' ' && s[2] == 'D';
}

static bool sleeps_in_module(void *arg)
{
	pid_t tid = ((struct reader *)arg)->tid;

	return task_in_d(tid) && stack_in_module(tid);
}

/*
 * On PREEMPT_RT the PTE lock is a sleeping lock, so every replacement can
 * sleep in the module's text; only the in-flight reference every diversion
 * then takes (ZP_ANON_TAKES_REF) makes unload wait for it.  zp_testmod
 * holds the PTE lock of a table from one thread while another read-faults
 * an empty PTE of it in mode always: the module's replacement sleeps on
 * the lock (state D, [zeropage] on its kernel stack).  Both on CPU 0, so
 * that the fault finds the holder off its CPU and sleeps rather than
 * spinning (an rtmutex spins while its owner runs: an RCU-tasks holdout
 * that unload would wait for anyway); the test and rmmod on CPU 1.  rmmod
 * must not return while the fault sleeps, and must once the lock is
 * released and the fault has mapped the zero page.  Unloads the module.
 */
void test_unload_rtlock(void)
{
	struct ptl_holder h = { .fd = testmod_open() };
	struct unloader u = { 0 };
	struct reader r = { 0 };
	bool asleep, listed;
	char *p = map_aligned(2 * PAGE, 2 * PAGE);

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		die("unload-rtlock needs two CPUs");
	pin(pthread_self(), 1);		/* and the rmmod thread, created after */
	p[PAGE] = 1;			/* the table, and the PTE the holder locks */
	h.addr = p + PAGE;
	r.p = p;
	/* Threads first: the holder keeps the mmap lock for the whole hold. */
	if (pipe(r.go) || pthread_create(&r.th, NULL, reader_thread, &r) ||
	    pipe(u.go) || pthread_create(&u.th, NULL, unload_thread, &u))
		die("the threads");
	if (pthread_create(&h.th, NULL, hold_ptl, &h))
		die("the holder");
	if (!wait_for(ptl_held, &h, 10))
		die("zp_testmod never held the PTE lock");
	pin(r.th, 0);
	if (write(r.go[1], "", 1) != 1)
		die("start the reader");
	asleep = wait_for(sleeps_in_module, &r, 3);
	tap_diag("the reader's kernel stack: %s", task_stack(r.tid));
	tap_result(asleep, "unload-rtlock: the read fault sleeps in the module on the PTE lock zp_testmod holds (D state, [zeropage] on its stack)");
	/*
	 * Where RCU-tasks begins with synchronize_rcu() (6.1), the detach
	 * itself waits for the holder, whose RT spinlock is an RCU read-side
	 * section; where it does not, rmmod gets to the drain.  Either way it
	 * must not return.
	 */
	unloader_start(&u, 4);
	wait_for(unloader_settled, &u, 30);
	listed = has_line("/proc/modules", "zeropage ");
	tap_result(asleep && !u.done && listed,
		   "unload-rtlock: rmmod waits while it sleeps (want running, module listed; got %s, %s; %s)",
		   u.done ? "returned" : "running", listed ? "listed" : "gone",
		   u.detached ? "past the detach, in the drain" : "still in the detach");
	watchdog(60, "unload-rtlock: the fault and rmmod return once the lock is released");
	if (ioctl(h.fd, ZPT_PTL_RELEASE))
		die("ZPT_PTL_RELEASE");
	pthread_join(h.th, NULL);
	pthread_join(u.th, NULL);
	wait_for(reader_returned, &r, 60);
	watchdog(0, NULL);
	tap_result(r.returned && !r.got && is_zero_pfn(pfn_of(p)),
		   "unload-rtlock: the fault then maps the zero page (read %d, pfn %#llx)",
		   r.got, (unsigned long long)pfn_of(p));
	tap_result(!u.err && !has_line("/proc/modules", "zeropage "),
		   "unload-rtlock: then rmmod succeeds and the module is gone (%s)", strerror(-u.err));
	close(r.go[1]);
	pthread_join(r.th, NULL);
	close(r.go[0]);
	close(u.go[0]);
	close(u.go[1]);
	close(h.fd);
}
