// SPDX-License-Identifier: GPL-2.0
/*
 * Functional selftests of the zeropage module, run inside the test guests.
 * Every check reads what the kernel did: PFNs from pagemap, KPF_ZERO_PAGE
 * from kpageflags, RssAnon, minor faults, and the module's own counters.
 *
 *   zp_test always|never   the mode's read-fault contract
 *   zp_test never-thp-off [flags-unknown]
 *                          mode never where THP is off (madvise/never)
 *   zp_test common         behaviour that must not depend on the mode
 *   zp_test toggle         a mode write takes effect on the next fault
 *   zp_test audit          vm_normal_page auditing (audit must be 1)
 *   zp_test around BYTES   fault-around (fault_around_bytes must be BYTES)
 *   zp_test geometry       print the page size and the page-table span
 *   zp_test load KO ARGS   finit_module(KO, ARGS); exit status is the errno
 *   zp_test hold PATH      read-fault, touch PATH.ready, wait for PATH.go,
 *                          then check the pages (survives a module unload)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/zp.h"

#define N_PAGES ((size_t)1024)
/* RssAnon may move by a few pages of the test's own (stdio, stack). */
#define RSS_SLACK_KB ((long)(16 * PAGE / 1024))

/* Bytes mapped by one page table (zp_table_span()), set in main(). */
static unsigned long span;

static size_t tables_spanned(const char *p, size_t n)
{
	uintptr_t first = (uintptr_t)p / span;
	uintptr_t last = ((uintptr_t)p + n * PAGE - 1) / span;

	return last - first + 1;
}

static size_t count_zero_pfns(const char *p, size_t n)
{
	size_t i, zero = 0;

	for (i = 0; i < n; i++)
		zero += is_zero_pfn(pfn_of(p + i * PAGE));
	return zero;
}

static bool all_bytes(const char *p, size_t len, char val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != val)
			return false;
	return true;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void test_always(void)
{
	char *p = map_anon(N_PAGES * PAGE, PROT_READ | PROT_WRITE);
	size_t tables = tables_spanned(p, N_PAGES), i, bad = 0;
	long rss0 = rss_anon_kb(), zero0, passed0, cow0, zero, passed;
	unsigned long sum;

	/*
	 * Only the reads between the counter reads: stdio's first output
	 * would fault in a heap page of its own, and be counted.
	 */
	zero0 = zp_stat("zero_mapped");
	passed0 = zp_stat("passed");
	sum = touch_read(p, N_PAGES);
	zero = zp_stat("zero_mapped") - zero0;
	passed = zp_stat("passed") - passed0;
	tap_result(sum == 0, "always: fresh pages read as zero");
	tap_result(count_zero_pfns(p, N_PAGES) == N_PAGES,
		   "always: every PFN is a zero page (KPF_ZERO_PAGE)");
	tap_result(rss_anon_kb() - rss0 < RSS_SLACK_KB, "always: RssAnon unchanged (%ld kB)",
		   rss_anon_kb() - rss0);
	tap_result(zero + passed == (long)N_PAGES,
		   "always: zero_mapped + passed grew by exactly %zu (zero %ld, passed %ld)",
		   N_PAGES, zero, passed);
	tap_result(zero >= (long)(N_PAGES - tables),
		   "always: the module installed every PTE whose table existed (%ld >= %zu)",
		   zero, N_PAGES - tables);

	cow0 = zp_stat("cow_from_zero");
	for (i = 0; i < N_PAGES; i++)
		p[i * PAGE + 7] = (char)(i | 1);
	for (i = 0; i < N_PAGES; i++) {
		char *pg = p + i * PAGE;

		if (pg[7] != (char)(i | 1) || !all_bytes(pg, 7, 0) ||
		    !all_bytes(pg + 8, PAGE - 8, 0) || is_zero_pfn(pfn_of(pg)))
			bad++;
	}
	tap_result(!bad, "always: writes after reads give private pages (%zu bad)", bad);
	tap_result(zp_stat("cow_from_zero") - cow0 >= (long)N_PAGES,
		   "always: cow_from_zero grew by >= %zu (%ld)", N_PAGES,
		   zp_stat("cow_from_zero") - cow0);
	munmap(p, N_PAGES * PAGE);
}

static void test_never(void)
{
	char *p = map_anon(N_PAGES * PAGE, PROT_READ | PROT_WRITE);
	long priv0 = zp_stat("private_mapped"), zero0 = zp_stat("zero_mapped");
	long rss0 = rss_anon_kb(), flt;
	uint64_t *pfns = calloc(N_PAGES, sizeof(*pfns));
	size_t i, distinct = 0;
	bool nonzero = true;

	tap_result(touch_read(p, N_PAGES) == 0, "never: fresh pages read as zero");
	for (i = 0; i < N_PAGES; i++) {
		pfns[i] = pfn_of(p + i * PAGE);
		nonzero &= pfns[i] && !is_zero_pfn(pfns[i]);
	}
	qsort(pfns, N_PAGES, sizeof(*pfns), cmp_u64);
	for (i = 0; i < N_PAGES; i++)
		distinct += !i || pfns[i] != pfns[i - 1];
	tap_result(nonzero, "never: no PFN is a zero page");
	tap_result(distinct == N_PAGES, "never: %zu distinct PFNs for %zu pages",
		   distinct, N_PAGES);
	/* RSS counters are cached per task on 6.1: up to 64 pages behind. */
	tap_result(rss_anon_kb() - rss0 >= (long)((N_PAGES - 64) * PAGE / 1024),
		   "never: RssAnon grew by the region (%ld kB)", rss_anon_kb() - rss0);
	tap_result(zp_stat("private_mapped") - priv0 >= (long)N_PAGES,
		   "never: private_mapped grew by >= %zu (%ld)", N_PAGES,
		   zp_stat("private_mapped") - priv0);
	tap_result(zp_stat("zero_mapped") == zero0, "never: zero_mapped unchanged");
	tap_result(all_bytes(p, N_PAGES * PAGE, 0), "never: contents all zero");
	flt = min_faults();
	touch_write(p, N_PAGES, 1);
	flt = min_faults() - flt;
	tap_result(flt <= 2, "never: writing after reading takes no fault (%ld)", flt);
	free(pfns);
	munmap(p, N_PAGES * PAGE);
}

/*
 * Mode never where THP is off for the range (the caller set THP "madvise" or
 * "never"): a read fault with no page table yet is no huge-page candidate,
 * so it too must get a private page -- the first page of each table as
 * well as the others.  With @flags_unknown (the module said it cannot read
 * the THP settings) exactly those first pages are left to the kernel.
 */
static void test_never_thp_off(bool flags_unknown)
{
	size_t n = 2 * span / PAGE, left = flags_unknown ? 2 : 0, zero;
	char *raw = mmap(NULL, 3 * span, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)raw + span - 1) & ~(span - 1));
	long priv0 = zp_stat("private_mapped"), passed0 = zp_stat("passed");
	long priv, passed;

	if (raw == MAP_FAILED)
		die("mmap");
	touch_read(p, n);
	priv = zp_stat("private_mapped") - priv0;
	passed = zp_stat("passed") - passed0;
	zero = count_zero_pfns(p, n);
	tap_result(zero == left, "never, THP off%s: %zu zero pages in 2 fresh page tables (%zu)",
		   flags_unknown ? ", THP settings unknown" : "", left, zero);
	tap_result(priv == (long)(n - left) && passed == (long)left,
		   "never, THP off: private_mapped grew by %zu (%ld), passed by %zu (%ld)",
		   n - left, priv, left, passed);
	munmap(raw, 3 * span);
}

static sigjmp_buf segv_jmp;

static void on_segv(int sig __attribute__((unused)))
{
	siglongjmp(segv_jmp, 1);
}

static bool write_faults(char *p)
{
	struct sigaction sa = { .sa_handler = on_segv }, old;
	bool faulted;

	sigaction(SIGSEGV, &sa, &old);
	faulted = sigsetjmp(segv_jmp, 1);
	if (!faulted)
		*(volatile char *)p = 1;
	sigaction(SIGSEGV, &old, NULL);
	return faulted;
}

static void test_prot_read(void)
{
	char *p = map_anon(16 * PAGE, PROT_READ);

	tap_result(touch_read(p, 16) == 0, "PROT_READ mapping reads zero");
	tap_result(write_faults(p) && write_faults(p + 5 * PAGE),
		   "PROT_READ mapping stays unwritable (SIGSEGV)");
	munmap(p, 16 * PAGE);
}

static void test_fork(void)
{
	char *p = map_anon(64 * PAGE, PROT_READ | PROT_WRITE);
	int status;
	pid_t pid;

	touch_read(p, 64);
	pid = fork();
	if (pid == 0) {
		bool ok = all_bytes(p, 64 * PAGE, 0);

		touch_write(p, 64, 'c');
		_exit(ok && p[PAGE] == 'c' ? 0 : 1);
	}
	waitpid(pid, &status, 0);
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status),
		   "fork: child sees zeros and its own writes");
	tap_result(all_bytes(p, 64 * PAGE, 0), "fork: child's writes invisible to parent");
	touch_write(p, 64, 'p');
	pid = fork();
	if (pid == 0)
		_exit(p[3 * PAGE] == 'p' ? 0 : 1);
	waitpid(pid, &status, 0);
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status),
		   "fork: parent's writes before fork visible to child");
	munmap(p, 64 * PAGE);
}

/* Mappings the module must leave alone: zero_mapped must not move. */
static void test_not_ours(void)
{
	char *shared, *file, *huge;
	long zero0 = zp_stat("zero_mapped");
	unsigned long thp = thp_size();
	int fd;

	shared = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	madvise(shared, 64 * PAGE, MADV_NOHUGEPAGE);
	touch_read(shared, 64);
	tap_result(zp_stat("zero_mapped") == zero0 && !is_zero_pfn(pfn_of(shared)),
		   "MAP_SHARED|MAP_ANONYMOUS left to the kernel");

	fd = open("/tmp/zp-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 64 * PAGE))
		die("tmp file");
	file = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	touch_read(file, 64);
	tap_result(zp_stat("zero_mapped") == zero0, "private file mapping left to the kernel");
	close(fd);
	unlink("/tmp/zp-file");

	if (!thp) {
		tap_skip("THP-eligible range left to the kernel", "kernel without THP");
		goto out;
	}
	/* A PMD maps either one huge page or one page table. */
	tap_result(thp == span, "THP size %lu is the page-table span %lu", thp, span);
	huge = map_anon_thp(4 * thp);
	touch_read(huge, 4 * thp / PAGE);
	tap_result(zp_stat("zero_mapped") == zero0,
		   "THP-eligible range left to the kernel (huge zero page: %s)",
		   (kpageflags(pfn_of(huge)) >> KPF_THP) & 1 ? "yes" : "no");
out:
	munmap(shared, 64 * PAGE);
	munmap(file, 64 * PAGE);
}

/* Paths through get_user_pages() over zero-page memory. */
static void test_gup(void)
{
	char *p = map_anon(64 * PAGE, PROT_READ | PROT_WRITE);
	char *buf = malloc(64 * PAGE);
	struct iovec local = { buf, 64 * PAGE }, remote = { p, 64 * PAGE };
	int fd, pipefd[2];
	ssize_t n;

	touch_read(p, 64);
	memset(buf, 0x55, 64 * PAGE);
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	tap_result(n == (ssize_t)(64 * PAGE) && all_bytes(buf, 64 * PAGE, 0),
		   "process_vm_readv of zero-page memory");

	memset(buf, 0x55, 64 * PAGE);
	fd = open("/proc/self/mem", O_RDONLY);
	n = pread(fd, buf, 64 * PAGE, (off_t)(uintptr_t)p);
	close(fd);
	tap_result(n == (ssize_t)(64 * PAGE) && all_bytes(buf, 64 * PAGE, 0),
		   "/proc/self/mem read of zero-page memory");

	if (pipe(pipefd))
		die("pipe");
	fcntl(pipefd[1], F_SETPIPE_SZ, 64 * PAGE);
	struct iovec v = { p, 16 * PAGE };

	n = vmsplice(pipefd[1], &v, 1, 0);
	memset(buf, 0x55, 16 * PAGE);
	tap_result(n == (ssize_t)(16 * PAGE) && read(pipefd[0], buf, 16 * PAGE) == n &&
		   all_bytes(buf, 16 * PAGE, 0), "vmsplice of zero-page memory");

	fd = open("/tmp/zp-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	n = write(fd, p, 16 * PAGE);
	memset(buf, 0x55, 16 * PAGE);
	tap_result(n == (ssize_t)(16 * PAGE) && pread(fd, buf, 16 * PAGE, 0) == n &&
		   all_bytes(buf, 16 * PAGE, 0), "write(2) from zero-page memory");
	close(fd);
	unlink("/tmp/zp-file");

	/* O_DIRECT pins the zero page for the device's DMA (a zram device). */
	fd = getenv("ZP_DIO_DEV") ? open(getenv("ZP_DIO_DEV"), O_RDWR | O_DIRECT) : -1;
	if (fd < 0) {
		tap_skip("O_DIRECT write from zero-page memory", "no block device (ZP_DIO_DEV)");
	} else {
		char *dst = map_anon(16 * PAGE, PROT_READ | PROT_WRITE);

		memset(dst, 0x55, 16 * PAGE);
		if (pwrite(fd, dst, 16 * PAGE, 0) != (ssize_t)(16 * PAGE))
			die("O_DIRECT prefill");
		n = pwrite(fd, p, 16 * PAGE, 0);
		tap_result(n == (ssize_t)(16 * PAGE) && pread(fd, dst, 16 * PAGE, 0) == n &&
			   all_bytes(dst, 16 * PAGE, 0),
			   "O_DIRECT write from zero-page memory");
		close(fd);
		munmap(dst, 16 * PAGE);
	}
	close(pipefd[0]);
	close(pipefd[1]);
	free(buf);
	munmap(p, 64 * PAGE);
}

static void test_vm_ops(void)
{
	size_t n = 256;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE), *q;
	long free0;

	touch_read(p, n);
	p[0] = 'x';
	madvise(p, n * PAGE, MADV_DONTNEED);
	tap_result(touch_read(p, n) == 0, "MADV_DONTNEED over zero pages");
	mprotect(p, n * PAGE, PROT_READ);
	tap_result(touch_read(p, n) == 0 && write_faults(p + PAGE),
		   "mprotect(PROT_READ) over zero pages");
	mprotect(p, n * PAGE, PROT_READ | PROT_WRITE);
	p[PAGE] = 'y';
	tap_result(p[PAGE] == 'y' && p[0] == 0, "mprotect back to writable");
	q = mremap(p, n * PAGE, 2 * n * PAGE, MREMAP_MAYMOVE);
	tap_result(q != MAP_FAILED && q[PAGE] == 'y' && touch_read(q + 2 * PAGE, 2 * n - 2) == 0,
		   "mremap keeps zero pages and data");
	tap_result(mlock(q, 2 * n * PAGE) == 0 && q[PAGE] == 'y' &&
		   touch_read(q + 2 * PAGE, 2 * n - 2) == 0, "mlock over zero pages");
	munlock(q, 2 * n * PAGE);
	munmap(q, 2 * n * PAGE);

	/* Nothing leaks: 64 MiB read-faulted and unmapped, ten times. */
	free0 = mem_free_kb();
	for (int r = 0; r < 10; r++) {
		size_t big = (64UL << 20) / PAGE;

		p = map_anon(big * PAGE, PROT_READ | PROT_WRITE);
		touch_read(p, big);
		touch_write(p, big / 2, 1);
		munmap(p, big * PAGE);
	}
	tap_result(free0 - mem_free_kb() < 8192, "no memory leaked (MemFree %+ld kB)",
		   mem_free_kb() - free0);
}

struct uffd_ctx {
	int uffd;
	char *area;
	bool saw_write;
	int faults;
};

static void *uffd_handler(void *arg)
{
	struct uffd_ctx *c = arg;
	struct uffd_msg msg;
	struct pollfd pfd = { .fd = c->uffd, .events = POLLIN };

	while (poll(&pfd, 1, 2000) > 0) {
		if (read(c->uffd, &msg, sizeof(msg)) != sizeof(msg))
			break;
		if (msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		c->faults++;
		c->saw_write |= msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE;
		struct uffdio_zeropage zp = {
			.range = { msg.arg.pagefault.address & ~(PAGE - 1), PAGE },
		};
		if (ioctl(c->uffd, UFFDIO_ZEROPAGE, &zp))
			break;
	}
	return NULL;
}

/* A missing-mode userfaultfd over @n fresh pages, served by uffd_handler. */
static bool uffd_start(struct uffd_ctx *c, size_t n, pthread_t *th)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	memset(c, 0, sizeof(*c));
	c->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (c->uffd < 0 || ioctl(c->uffd, UFFDIO_API, &api))
		return false;
	c->area = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	reg.range.start = (uintptr_t)c->area;
	reg.range.len = n * PAGE;
	if (ioctl(c->uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	pthread_create(th, NULL, uffd_handler, c);
	return true;
}

static void uffd_stop(struct uffd_ctx *c, size_t n, pthread_t th)
{
	close(c->uffd);
	pthread_join(th, NULL);
	munmap(c->area, n * PAGE);
}

static void test_userfaultfd(void)
{
	long zero0 = zp_stat("zero_mapped"), priv0 = zp_stat("private_mapped");
	struct uffd_ctx c;
	size_t n = 32;
	pthread_t th;

	if (!uffd_start(&c, n, &th)) {
		tap_skip("userfaultfd: reads reach the handler as reads", "no userfaultfd");
		return;
	}
	unsigned long sum = touch_read(c.area, n);

	tap_result(sum == 0 && c.faults == (int)n && !c.saw_write,
		   "userfaultfd: %zu reads reach the handler as reads (%d faults, write=%d)",
		   n, c.faults, c.saw_write);
	tap_result(is_zero_pfn(pfn_of(c.area)), "userfaultfd: UFFDIO_ZEROPAGE maps the zero page");
	tap_result(zp_stat("zero_mapped") == zero0 && zp_stat("private_mapped") == priv0,
		   "userfaultfd: the module left the range alone");
	uffd_stop(&c, n, th);
}

static void test_toggle(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);

	p[2 * PAGE] = 1;	/* the page table exists from here on */
	zp_set_mode("always");
	touch_read(p, 1);
	zp_set_mode("never");
	touch_read(p + PAGE, 1);
	zp_set_mode("always");
	touch_read(p + 3 * PAGE, 1);
	tap_result(is_zero_pfn(pfn_of(p)) && !is_zero_pfn(pfn_of(p + PAGE)) &&
		   pfn_of(p + PAGE) && is_zero_pfn(pfn_of(p + 3 * PAGE)),
		   "toggle: each fault follows the mode of its moment");
	munmap(p, 4 * PAGE);
}

static void test_audit(void)
{
	char *p = map_anon(64 * PAGE, PROT_READ | PROT_WRITE);
	char *buf = malloc(64 * PAGE);
	struct iovec local = { buf, 64 * PAGE }, remote = { p, 64 * PAGE };
	long walk0 = zp_stat("walker_zero");

	touch_read(p, 64);
	process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	munmap(p, 64 * PAGE);
	tap_result(zp_stat("walker_zero") - walk0 >= 64,
		   "audit: walker_zero counts zero-page PTEs met by walkers (%ld)",
		   zp_stat("walker_zero") - walk0);
	tap_result(zp_stat("audit_violations") == 0, "audit: no zero pfn without the special bit");
	free(buf);
}

static void test_around(unsigned long bytes)
{
	size_t n = 2048, per = bytes / PAGE, i, bad = 0;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	long flt, around0 = zp_stat("around_mapped"), rss0 = rss_anon_kb();

	/* Populate the page tables first so only the window decides. */
	for (i = 0; i < n; i += span / PAGE)
		p[i * PAGE] = 1;
	p[(n - 1) * PAGE] = 1;
	madvise(p, n * PAGE, MADV_DONTNEED);
	flt = min_faults();
	touch_read(p, n);
	flt = min_faults() - flt;
	tap_result(flt <= (long)(n / per + 4), "around %lu: %zu reads took %ld faults",
		   bytes, n, flt);
	tap_result(count_zero_pfns(p, n) == n && rss_anon_kb() - rss0 < RSS_SLACK_KB,
		   "around %lu: every PFN is a zero page, RSS unchanged", bytes);
	tap_result(zp_stat("around_mapped") - around0 >= (long)(n - n / per - 4),
		   "around %lu: around_mapped grew by %ld", bytes,
		   zp_stat("around_mapped") - around0);
	for (i = 0; i < n; i++)
		p[i * PAGE + 1] = (char)i;
	for (i = 0; i < n; i++)
		bad += p[i * PAGE + 1] != (char)i || p[i * PAGE];
	tap_result(!bad, "around %lu: writes COW per page", bytes);
	munmap(p, n * PAGE);
}

/* One finit_module() (busybox insmod retries with init_module): the errno. */
static int load_module(const char *ko, int nargs, char **args)
{
	char params[512] = "";
	int i, fd = open(ko, O_RDONLY | O_CLOEXEC);

	for (i = 0; i < nargs; i++)
		snprintf(params + strlen(params), sizeof(params) - strlen(params), "%s%s",
			 i ? " " : "", args[i]);
	if (fd < 0)
		die("open %s", ko);
	if (syscall(SYS_finit_module, fd, params, 0)) {
		printf("# finit_module(%s): %s\n", params, strerror(errno));
		return errno;
	}
	return 0;
}

static int hold(const char *path)
{
	size_t n = 256, i, bad = 0;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE), name[256];

	p[0] = 1;
	touch_read(p, n);
	snprintf(name, sizeof(name), "%s.ready", path);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	snprintf(name, sizeof(name), "%s.go", path);
	while (access(name, F_OK))
		usleep(10000);
	for (i = 1; i < n; i++)
		bad += !is_zero_pfn(pfn_of(p + i * PAGE)) || !all_bytes(p + i * PAGE, PAGE, 0);
	touch_write(p, n, 3);
	for (i = 0; i < n; i++)
		bad += p[i * PAGE] != 3;
	return bad ? 1 : 0;
}

static char *map_aligned(size_t bytes, size_t align)
{
	char *p = map_anon(bytes + align, PROT_READ | PROT_WRITE);

	return (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
}

static bool swapped(const void *addr)
{
	return (pagemap_entry(addr) >> 62) & 1;
}

/* Fault-around must never touch what is not its own. */
static void test_around_edges(unsigned long bytes)
{
	size_t per = bytes / PAGE, i, kept = 0;
	char *p = map_aligned(4 * per * PAGE, bytes);
	uint64_t pfn;

	/* A written page in the window keeps its content and PFN. */
	p[per * PAGE] = 1;			/* page table, and the window's first page */
	p[per * PAGE + 3 * PAGE] = 'w';
	pfn = pfn_of(p + per * PAGE + 3 * PAGE);
	touch_read(p + per * PAGE + PAGE, 1);
	tap_result(p[per * PAGE + 3 * PAGE] == 'w' && pfn_of(p + per * PAGE + 3 * PAGE) == pfn &&
		   is_zero_pfn(pfn_of(p + per * PAGE + 2 * PAGE)),
		   "around %lu: a written neighbour keeps content and PFN", bytes);

	/* Swapped-out neighbours stay swapped and read back. */
	for (i = 0; i < per; i++)
		p[2 * per * PAGE + i * PAGE] = (char)(i + 1);
	if (madvise(p + 2 * per * PAGE + PAGE, (per - 1) * PAGE, MADV_PAGEOUT) ||
	    !swapped(p + 2 * per * PAGE + PAGE)) {
		tap_skip("around: swapped-out neighbours stay swapped", "no swap in this guest");
	} else {
		madvise(p + 2 * per * PAGE, PAGE, MADV_DONTNEED);
		touch_read(p + 2 * per * PAGE, 1);
		for (i = 1; i < per; i++)
			kept += swapped(p + 2 * per * PAGE + i * PAGE);
		tap_result(kept == per - 1, "around %lu: swapped-out neighbours stay swapped (%zu/%zu)",
			   bytes, kept, per - 1);
		for (i = 1; i < per; i++)
			kept -= p[2 * per * PAGE + i * PAGE] == (char)(i + 1);
		tap_result(kept == 0, "around %lu: swapped-out neighbours read back", bytes);
	}
	munmap(p, 4 * per * PAGE);

	/* The window stops at the VMA: its neighbour VMA gets no PTE. */
	p = map_aligned(2 * per * PAGE, bytes);
	p[per * PAGE] = 1;	/* page table of the second window, then empty it */
	madvise(p + per * PAGE, PAGE, MADV_DONTNEED);
	mprotect(p + per * PAGE + per / 2 * PAGE, (per - per / 2) * PAGE, PROT_READ);
	touch_read(p + per * PAGE, 1);
	for (i = per / 2, kept = 0; i < per; i++)
		kept += region_present(p + per * PAGE + i * PAGE);
	tap_result(kept == 0 && is_zero_pfn(pfn_of(p + per * PAGE + PAGE)),
		   "around %lu: the window stops at the VMA's end", bytes);
	munmap(p, 2 * per * PAGE);
}

/* A userfaultfd range gets no fault-around: every read reaches the handler. */
static void test_around_uffd(unsigned long bytes)
{
	size_t n = 2 * bytes / PAGE;
	struct uffd_ctx c;
	pthread_t th;

	if (!uffd_start(&c, n, &th)) {
		tap_skip("around: userfaultfd range not filled", "no userfaultfd");
		return;
	}
	touch_read(c.area, n);
	tap_result(c.faults == (int)n,
		   "around %lu: every read of a userfaultfd range reaches the handler (%d/%zu)",
		   bytes, c.faults, n);
	uffd_stop(&c, n, th);
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "hold") && argc > 2)
		return hold(argv[2]);
	if (!strcmp(what, "load") && argc > 2)
		return load_module(argv[2], argc - 3, argv + 3);
	span = zp_table_span();
	if (!span)
		die("no page-table span: is the module loaded?");
	if (!strcmp(what, "geometry")) {
		printf("%lu %lu\n", PAGE, span);
		return 0;
	}
	if (!strcmp(what, "always")) {
		test_always();
	} else if (!strcmp(what, "never")) {
		test_never();
	} else if (!strcmp(what, "never-thp-off")) {
		test_never_thp_off(argc > 2 && !strcmp(argv[2], "flags-unknown"));
	} else if (!strcmp(what, "common")) {
		test_prot_read();
		test_fork();
		test_not_ours();
		test_gup();
		test_vm_ops();
		test_userfaultfd();
	} else if (!strcmp(what, "toggle")) {
		test_toggle();
	} else if (!strcmp(what, "audit")) {
		test_audit();
	} else if (!strcmp(what, "around") && argc > 2) {
		test_around(strtoul(argv[2], NULL, 0));
		test_around_edges(strtoul(argv[2], NULL, 0));
		test_around_uffd(strtoul(argv[2], NULL, 0));
	} else {
		fprintf(stderr, "usage: zp_test always|never|never-thp-off [flags-unknown]|common|toggle|audit|around BYTES|geometry|load KO ARGS|hold PATH\n");
		return 2;
	}
	return zp_failures ? 1 : 0;
}
