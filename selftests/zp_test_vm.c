// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test: the mappings and kernel features the module must respect --
 * shared and file mappings, PROT_READ/PROT_NONE, get_user_pages(), KSM,
 * mempolicy, protection keys, memory cgroups.  A module that turns a read into a write where it
 * must not leaves evidence: a soft-dirty PTE, an anonymous page where the
 * page cache's belongs, memory charged, a counter moved.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/mempolicy.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zp_test.h"

static sigjmp_buf segv_jmp;

static void on_segv(int sig __attribute__((unused)))
{
	siglongjmp(segv_jmp, 1);
}

bool write_faults(char *p)
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

/*
 * PROT_READ private anon: nothing can ever dirty a page there, so in both
 * modes a read maps the zero page and no private page is made; after
 * clear_refs the PTEs stay clean (a write fault would have dirtied them).
 */
static void test_prot_read(void)
{
	size_t n = 16, zero, dirty;
	char *p = map_anon(n * PAGE, PROT_READ);
	bool never = !strcmp(zp_get_mode(), "never");
	struct zp_delta delta;
	unsigned long sum;
	long *d;

	clear_soft_dirty();
	delta_start(&delta);
	sum = touch_read(p, n);
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	dirty = count_pagemap_bit(p, n, PM_SOFT_DIRTY);
	tap_result(sum == 0 && zero == n && !dirty,
		   "PROT_READ mapping read: zero pages, not soft-dirty (want %zu zero, 0 dirty; got %zu, %zu; byte sum %lu)",
		   n, zero, dirty, sum);
	if (never)
		tap_result(!d[ZP_PRIVATE] && !d[ZP_ZERO] && d[ZP_PASSED] == (long)n,
			   "PROT_READ never: passed +%zu (%ld), private_mapped +0 (%ld), zero_mapped +0 (%ld)",
			   n, d[ZP_PASSED], d[ZP_PRIVATE], d[ZP_ZERO]);
	else
		tap_result(!d[ZP_PRIVATE] && d[ZP_ZERO] + d[ZP_PASSED] + d[ZP_AROUND] == (long)n,
			   "PROT_READ always: zero_mapped + passed + around_mapped +%zu (%ld + %ld + %ld), private_mapped +0 (%ld)",
			   n, d[ZP_ZERO], d[ZP_PASSED], d[ZP_AROUND], d[ZP_PRIVATE]);
	tap_result(write_faults(p) && write_faults(p + 5 * PAGE),
		   "PROT_READ mapping stays unwritable (want SIGSEGV on writes, got %s)",
		   write_faults(p) ? "SIGSEGV" : "a written page");
	munmap(p, n * PAGE);
}

/*
 * FOLL_FORCE: /proc/self/mem reads PROT_NONE memory through GUP's read
 * fault.  Zeros, the zero page, and no private page in either mode (no
 * VM_WRITE: mode never has nothing to turn into a write).  The buffer is
 * shared memory: 6.1 folds a task's own RSS counts into RssAnon only every
 * 64 faults, so a private buffer's pages could arrive during the read.
 */
static void test_foll_force(void)
{
	size_t n = 64, zero;
	char *p = map_anon(n * PAGE, PROT_NONE);
	char *buf = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	long rss0, rss, *d;
	struct zp_delta delta;
	int fd = open("/proc/self/mem", O_RDONLY), err;
	ssize_t got;

	if (buf == MAP_FAILED || fd < 0)
		die("mmap or open /proc/self/mem");
	memset(buf, 0x55, n * PAGE);
	rss0 = rss_anon_kb();
	delta_start(&delta);
	got = pread(fd, buf, n * PAGE, (off_t)(uintptr_t)p);
	err = errno;
	d = delta_end(&delta);
	close(fd);
	tap_result(got == (ssize_t)(n * PAGE) && all_bytes(buf, n * PAGE, 0),
		   "FOLL_FORCE: /proc/self/mem reads PROT_NONE memory as zeros (want %zu bytes, got %zd, errno %d)",
		   (size_t)(n * PAGE), got, got < 0 ? err : 0);
	zero = count_zero_pfns(p, n);
	rss = rss_anon_kb() - rss0;
	tap_result(zero == n && rss < RSS_SLACK_KB && !d[ZP_PRIVATE],
		   "FOLL_FORCE: PROT_NONE read maps the zero page (want %zu zero PFNs, RssAnon < %ld kB, private_mapped +0; got %zu, %+ld kB, %+ld)",
		   n, RSS_SLACK_KB, zero, rss, d[ZP_PRIVATE]);
	munmap(buf, n * PAGE);
	munmap(p, n * PAGE);
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
		   "fork: child sees zeros and its own writes (want exit status 0, got 0x%x)", status);
	tap_result(all_bytes(p, 64 * PAGE, 0),
		   "fork: child's writes invisible to parent (want byte sum 0, got %lu)", touch_read(p, 64));
	touch_write(p, 64, 'p');
	pid = fork();
	if (pid == 0)
		_exit(p[3 * PAGE] == 'p' ? 0 : 1);
	waitpid(pid, &status, 0);
	tap_result(WIFEXITED(status) && !WEXITSTATUS(status),
		   "fork: parent's writes before fork visible to child (want exit status 0, got 0x%x)",
		   status);
	munmap(p, 64 * PAGE);
}

/*
 * Mappings the module must leave alone, with evidence independent of its
 * counters: after clear_refs a read fault leaves a PTE clean, a write fault
 * (the module adding FAULT_FLAG_WRITE) makes it soft-dirty; a private file
 * page that was only read is the page cache's, not an anonymous copy.
 */
static void test_not_ours(void)
{
	size_t n = 64, dirty, anon = 0, other = 0, i;
	char *shared, *file, *cache, *huge;
	unsigned long thp = thp_size();
	struct zp_delta delta;
	long *d;
	int fd;

	shared = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		die("mmap shared");
	madvise(shared, n * PAGE, MADV_NOHUGEPAGE);
	clear_soft_dirty();
	delta_start(&delta);
	touch_read(shared, n);
	d = delta_end(&delta);
	dirty = count_pagemap_bit(shared, n, PM_SOFT_DIRTY);
	tap_result(!dirty && !count_zero_pfns(shared, n) && !d[ZP_ZERO] && !d[ZP_PRIVATE] && !d[ZP_PASSED],
		   "MAP_SHARED|MAP_ANONYMOUS left to the kernel (want 0 soft-dirty, 0 zero PFNs, counters +0; got %zu, %zu, zero %+ld private %+ld passed %+ld)",
		   dirty, count_zero_pfns(shared, n), d[ZP_ZERO], d[ZP_PRIVATE], d[ZP_PASSED]);

	fd = open("/tmp/zp-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, n * PAGE))
		die("tmp file");
	file = mmap(NULL, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	cache = mmap(NULL, n * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	if (file == MAP_FAILED || cache == MAP_FAILED)
		die("mmap file");
	clear_soft_dirty();
	delta_start(&delta);
	touch_read(file, n);
	d = delta_end(&delta);
	touch_read(cache, n);
	for (i = 0; i < n; i++) {
		uint64_t pfn = pfn_of(file + i * PAGE);

		anon += (kpageflags(pfn) >> KPF_ANON) & 1;
		other += pfn != pfn_of(cache + i * PAGE);
	}
	dirty = count_pagemap_bit(file, n, PM_SOFT_DIRTY);
	tap_result(!anon && !other && !dirty,
		   "private file mapping read: the page cache's pages (want 0 KPF_ANON, 0 PFNs unlike the cache, 0 soft-dirty; got %zu, %zu, %zu)",
		   anon, other, dirty);
	tap_result(!d[ZP_ZERO] && !d[ZP_PRIVATE] && !d[ZP_PASSED],
		   "private file mapping left to the kernel (counters: want +0; got zero %+ld private %+ld passed %+ld)",
		   d[ZP_ZERO], d[ZP_PRIVATE], d[ZP_PASSED]);
	close(fd);
	unlink("/tmp/zp-file");

	if (!thp) {
		tap_skip("THP-eligible range left to the kernel", "kernel without THP");
		goto out;
	}
	huge = map_anon_thp(4 * thp);
	delta_start(&delta);
	touch_read(huge, 4 * thp / PAGE);
	d = delta_end(&delta);
	tap_result(!d[ZP_ZERO] && !d[ZP_PRIVATE],
		   "THP-eligible range left to the kernel (want zero_mapped +0, private_mapped +0; got %+ld, %+ld; huge zero page: %s)",
		   d[ZP_ZERO], d[ZP_PRIVATE],
		   (kpageflags(pfn_of(huge)) >> KPF_THP) & 1 ? "yes" : "no");
out:
	munmap(shared, n * PAGE);
	munmap(file, n * PAGE);
	munmap(cache, n * PAGE);
}

/* @got bytes copied from zero-page memory into @buf by @what: all zeros? */
static void check_copy(const char *what, size_t want, ssize_t got, const char *buf)
{
	int err = errno;

	tap_result(got == (ssize_t)want && all_bytes(buf, want, 0),
		   "%s of zero-page memory (want %zu zero bytes, got %zd, %s; errno %d)", what, want,
		   got, got > 0 && all_bytes(buf, got, 0) ? "all zero" : "not all zero",
		   got < 0 ? err : 0);
}

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
	check_copy("process_vm_readv", 64 * PAGE, n, buf);

	memset(buf, 0x55, 64 * PAGE);
	fd = open("/proc/self/mem", O_RDONLY);
	n = pread(fd, buf, 64 * PAGE, (off_t)(uintptr_t)p);
	check_copy("/proc/self/mem read", 64 * PAGE, n, buf);
	close(fd);

	if (pipe(pipefd))
		die("pipe");
	fcntl(pipefd[1], F_SETPIPE_SZ, 64 * PAGE);
	struct iovec v = { p, 16 * PAGE };

	n = vmsplice(pipefd[1], &v, 1, 0);
	memset(buf, 0x55, 16 * PAGE);
	check_copy("vmsplice", 16 * PAGE, n == (ssize_t)(16 * PAGE) ? read(pipefd[0], buf, n) : n, buf);

	fd = open("/tmp/zp-file", O_RDWR | O_CREAT | O_TRUNC, 0600);
	n = write(fd, p, 16 * PAGE);
	memset(buf, 0x55, 16 * PAGE);
	check_copy("write(2)", 16 * PAGE, n == (ssize_t)(16 * PAGE) ? pread(fd, buf, n, 0) : n, buf);
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
		check_copy("O_DIRECT write", 16 * PAGE,
			   n == (ssize_t)(16 * PAGE) ? pread(fd, dst, n, 0) : n, dst);
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
	int locked;

	touch_read(p, n);
	p[0] = 'x';
	madvise(p, n * PAGE, MADV_DONTNEED);
	tap_result(touch_read(p, n) == 0, "MADV_DONTNEED over zero pages (want byte sum 0, got %lu)",
		   touch_read(p, n));
	mprotect(p, n * PAGE, PROT_READ);
	tap_result(touch_read(p, n) == 0 && write_faults(p + PAGE),
		   "mprotect(PROT_READ) over zero pages (want byte sum 0 and SIGSEGV on write; got %lu)",
		   touch_read(p, n));
	mprotect(p, n * PAGE, PROT_READ | PROT_WRITE);
	p[PAGE] = 'y';
	tap_result(p[PAGE] == 'y' && p[0] == 0, "mprotect back to writable (want 0x79 0, got %#x %d)",
		   (unsigned char)p[PAGE], p[0]);
	q = mremap(p, n * PAGE, 2 * n * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		die("mremap");
	tap_result(q[PAGE] == 'y' && touch_read(q + 2 * PAGE, 2 * n - 2) == 0,
		   "mremap keeps zero pages and data (want 0x79, byte sum 0; got %#x, %lu)",
		   (unsigned char)q[PAGE], touch_read(q + 2 * PAGE, 2 * n - 2));
	locked = mlock(q, 2 * n * PAGE) ? errno : 0;
	tap_result(!locked && q[PAGE] == 'y' && touch_read(q + 2 * PAGE, 2 * n - 2) == 0,
		   "mlock over zero pages (errno %d; want 0x79, byte sum 0; got %#x, %lu)", locked,
		   (unsigned char)q[PAGE], touch_read(q + 2 * PAGE, 2 * n - 2));
	munlock(q, 2 * n * PAGE);
	munmap(q, 2 * n * PAGE);

	/*
	 * Nothing leaks: 64 MiB read-faulted (half of it then written) and
	 * unmapped, ten times: 245760 faults.  1 MiB of MemFree (the noise
	 * seen is under 300 kB): a leak of one page per fault (960 MiB), or
	 * even one in every 1000, exceeds it.
	 */
	free0 = mem_free_kb();
	for (int r = 0; r < 10; r++) {
		size_t big = (64UL << 20) / PAGE;

		p = map_anon(big * PAGE, PROT_READ | PROT_WRITE);
		touch_read(p, big);
		touch_write(p, big / 2, 1);
		munmap(p, big * PAGE);
	}
	tap_result(free0 - mem_free_kb() < 1024, "no memory leaked (MemFree: want > -1024 kB, got %+ld kB)",
		   mem_free_kb() - free0);
}

struct ksm_wait {
	long scans;
};

static long ksm_read(const char *knob)
{
	char path[96];
	FILE *f;
	long v = -1;

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", knob);
	f = fopen(path, "r");
	if (!f || fscanf(f, "%ld", &v) != 1)
		die("read %s", path);
	fclose(f);
	return v;
}

static void ksm_write(const char *knob, long v)
{
	char path[96], val[32];

	snprintf(path, sizeof(path), "/sys/kernel/mm/ksm/%s", knob);
	snprintf(val, sizeof(val), "%ld", v);
	write_file(path, val);
}

static bool ksm_scanned(void *arg)
{
	return ksm_read("full_scans") >= ((struct ksm_wait *)arg)->scans;
}

/*
 * KSM over zero-page memory (use_zero_pages: it merges zero-filled pages
 * into the zero page itself): the zero pages stay zero pages and readable
 * while ksmd scans them, and writes afterwards COW correctly.  Every KSM
 * setting changed is restored.
 */
static void test_ksm(void)
{
	static const char *const knobs[] = { "use_zero_pages", "sleep_millisecs", "pages_to_scan", "run" };
	static const long want[] = { 1, 1, 10000, 1 };
	size_t n = 256, half = n / 2, zero_before, zero, merged, bad = 0, i;
	long saved[4];
	struct ksm_wait w;
	bool scanned;
	char *p;
	int k;

	if (access("/sys/kernel/mm/ksm/run", F_OK)) {
		tap_skip("KSM: zero pages stay zero pages while ksmd runs", "no KSM");
		return;
	}
	for (k = 0; k < 4; k++)
		saved[k] = ksm_read(knobs[k]);
	p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	touch_read(p, half);
	/* Mode always: all of them; never: none (KSM may merge them later). */
	zero_before = count_zero_pfns(p, half);
	touch_write(p + half * PAGE, half, 1);
	touch_write(p + half * PAGE, half, 0);
	if (madvise(p, n * PAGE, MADV_MERGEABLE))
		die("MADV_MERGEABLE");
	ksm_write("run", 0);
	for (k = 0; k < 4; k++)
		ksm_write(knobs[k], want[k]);
	/* Two full scans: the second is the one that merges. */
	w.scans = ksm_read("full_scans") + 2;
	scanned = wait_for(ksm_scanned, &w, 120);
	zero = count_zero_pfns(p, half);
	merged = count_zero_pfns(p + half * PAGE, half);
	tap_result(scanned && zero >= zero_before && all_bytes(p, n * PAGE, 0),
		   "KSM: zero pages stay zero pages, all bytes zero (want 2 full scans, >= %zu zero PFNs; got %s, %zu)",
		   zero_before, scanned ? "yes" : "timeout", zero);
	tap_diag("KSM merged %zu of %zu zero-filled private pages into the zero page", merged, half);
	for (i = 0; i < n; i++)
		p[i * PAGE + 9] = (char)(i | 1);
	for (i = 0; i < n; i++)
		bad += p[i * PAGE + 9] != (char)(i | 1) || p[i * PAGE] || is_zero_pfn(pfn_of(p + i * PAGE));
	tap_result(!bad, "KSM: writes after the scans COW per page (want 0 bad, got %zu)", bad);
	madvise(p, n * PAGE, MADV_UNMERGEABLE);
	munmap(p, n * PAGE);
	ksm_write("run", 0);
	for (k = 0; k < 4; k++)
		ksm_write(knobs[k], saved[k]);
}

/* The mode-independent checks (zp_test common). */
void test_common(void)
{
#if defined(__x86_64__) || defined(__i386__)
	/* x86: one page of PTEs per table, which hpage_pmd_size must match. */
	tap_result(!thp_size() || span == PAGE * (PAGE / zp_pte_bytes()),
		   "page-table span: hpage_pmd_size %lu is a page of %lu-byte PTEs (%lu)",
		   thp_size(), zp_pte_bytes(), PAGE * (PAGE / zp_pte_bytes()));
#endif
	test_prot_read();
	test_foll_force();
	test_fork();
	test_not_ours();
	test_gup();
	test_vm_ops();
	test_userfaultfd();
	test_uffd_wp();
	test_ksm();
}

/*
 * The mode's result under a memory policy (MPOL_BIND to node 0, a VMA of
 * its own): zero pages in mode always, private pages on node 0 in never.
 */
static void test_mempolicy(bool never)
{
	size_t n = 64, zero, off_node = 0, i;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	unsigned long node0 = 1;
	struct zp_delta delta;
	long *d;

	if (syscall(SYS_mbind, p + PAGE, (n - 2) * PAGE, MPOL_BIND, &node0, 8 * sizeof(node0), 0)) {
		if (errno == ENOSYS)	/* a kernel without NUMA (Debian's s390x) */
			tap_skip("mempolicy", "no mbind() in this kernel (CONFIG_NUMA off)");
		else
			tap_result(false, "mempolicy: mbind(MPOL_BIND, node 0) (errno %d)", errno);
		munmap(p, n * PAGE);
		return;
	}
	p += PAGE;
	n -= 2;
	delta_start(&delta);
	touch_read(p, n);
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	for (i = 0; i < n; i++) {
		int node = -1;

		if (syscall(SYS_get_mempolicy, &node, NULL, 0, p + i * PAGE, MPOL_F_NODE | MPOL_F_ADDR))
			node = -errno;
		off_node += node != 0;
	}
	if (never)
		tap_result(!zero && !off_node && d[ZP_PRIVATE] == (long)n,
			   "mempolicy never: private pages on node 0 (want 0 zero PFNs, 0 off node 0, private_mapped +%zu; got %zu, %zu, %+ld)",
			   n, zero, off_node, d[ZP_PRIVATE]);
	else
		tap_result(zero == n && !d[ZP_PRIVATE] && d[ZP_ZERO] + d[ZP_PASSED] == (long)n,
			   "mempolicy always: zero pages (want %zu zero PFNs, zero_mapped + passed +%zu, private_mapped +0; got %zu, %+ld, %+ld)",
			   n, n, zero, d[ZP_ZERO] + d[ZP_PASSED], d[ZP_PRIVATE]);
	munmap(p - PAGE, (n + 2) * PAGE);
}

/*
 * Who pays: mode never's read faults are charged to the reader's memory
 * cgroup (memory.current grows by the region), mode always's are not.
 * memory.current counts the charges each CPU holds in stock for a cgroup,
 * up to a batch (MEMCG_CHARGE_BATCH, 64 pages), which another cgroup's
 * charge on that CPU gives back: a reading moves by that much either way.
 */
#define MEMCG_STOCK_SLACK (64 * (long)PAGE)
static void test_memcg(bool never)
{
	const char *cg = CG_ROOT "/zp-test";
	size_t n = (16UL << 20) / PAGE;
	long before, grew, region = n * PAGE;
	char *p;

	cg_make(cg);
	write_file(CG_ROOT "/zp-test/cgroup.procs", "0");
	p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	before = cg_read(cg, "memory.current", NULL);
	touch_read(p, n);
	grew = cg_read(cg, "memory.current", NULL) - before;
	munmap(p, n * PAGE);
	write_file(CG_ROOT "/cgroup.procs", "0");
	cg_remove(cg);
	if (never)
		tap_result(grew >= region - MEMCG_STOCK_SLACK,
			   "memcg never: memory.current grows by the region read (want >= %ld, got %+ld)",
			   region - MEMCG_STOCK_SLACK, grew);
	else
		tap_result(grew < region / 16,
			   "memcg always: memory.current stays (want < %ld, got %+ld)", region / 16, grew);
}

/*
 * Protection keys: a read fault where the thread's pkey denies writes must
 * not become a write (mode never leaves it to the kernel: the zero page).
 */
static void test_pkeys(bool never)
{
	size_t n = 32, zero;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	struct zp_delta delta;
	int pkey = pkey_alloc(0, PKEY_DISABLE_WRITE), err = pkey < 0 ? errno : 0;
	long *d;

	/* Where the CPU has PKU and the kernel enabled it, no skip. */
	if (pkey < 0 && cpu_has("pku") && cpu_has("ospke")) {
		tap_result(false, "pkeys %s: pkey_alloc succeeds on a CPU with pku and ospke (errno %d)",
			   never ? "never" : "always", err);
		munmap(p, n * PAGE);
		return;
	}
	if (pkey < 0) {
		tap_skip("pkeys: a write-disabled key keeps reads on the zero page",
			 "no protection keys (pkey_alloc failed, no pku/ospke CPU flags)");
		munmap(p, n * PAGE);
		return;
	}
	if (pkey_mprotect(p, n * PAGE, PROT_READ | PROT_WRITE, pkey))
		die("pkey_mprotect");
	delta_start(&delta);
	touch_read(p, n);
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	tap_result(zero == n && !d[ZP_PRIVATE] && (never ? d[ZP_PASSED] == (long)n : true),
		   "pkeys %s: a write-disabled key keeps reads on the zero page (want %zu zero PFNs, private_mapped +0%s; got %zu, %+ld, passed %+ld)",
		   never ? "never" : "always", n, never ? ", passed +n" : "", zero,
		   d[ZP_PRIVATE], d[ZP_PASSED]);
	pkey_set(pkey, 0);
	touch_write(p, n, 'k');
	zero = count_zero_pfns(p, n);
	tap_result(!zero && all_bytes(p, 1, 'k'),
		   "pkeys: writes once the key allows them give private pages (want 0 zero PFNs, got %zu)",
		   zero);
	munmap(p, n * PAGE);
	pkey_free(pkey);
}

/* The mode-specific checks beside test_always()/test_never(). */
void test_mode_vm(bool never)
{
	test_mempolicy(never);
	test_memcg(never);
	test_pkeys(never);
}
