// SPDX-License-Identifier: GPL-2.0
/*
 * The quick pass's read-fault check, for any page size: read-fault fresh
 * private anonymous pages whose page table exists, then ask the kernel what
 * got mapped.  Every PFN must carry KPF_ZERO_PAGE (MIPS and s390 have
 * several zero pages, so no single PFN is expected), RssAnon must not grow,
 * the module's zero_mapped counter must grow by exactly the page count, and
 * writes afterwards must give private pages.  Where /proc/kpageflags does
 * not cover the PFN (Debian's loongson-3 kernel reports nothing at all),
 * the pages must instead share at most eight PFNs (the zero page's colours).
 * Prints TAP.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define N_PAGES 256UL
#define KPF_ZERO_PAGE 24

static long page;
static int failures;
static bool kpf_missing;	/* kpageflags has nothing for a PFN we asked */

static void result(bool ok, const char *what, long detail)
{
	printf("%s - read fault: %s (%ld)\n", ok ? "ok" : "not ok", what, detail);
	failures += !ok;
}

/* Entry @index of a u64 array file; false at its end. */
static bool read_u64(const char *path, uint64_t index, uint64_t *val)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0) {
		printf("not ok - read fault: open %s: %s\n", path, strerror(errno));
		exit(1);
	}
	n = pread(fd, val, sizeof(*val), index * sizeof(*val));
	if (n < 0) {
		printf("not ok - read fault: read %s: %s\n", path, strerror(errno));
		exit(1);
	}
	close(fd);
	return n == sizeof(*val);
}

static uint64_t pfn_of(const char *addr)
{
	uint64_t e = 0;

	read_u64("/proc/self/pagemap", (uintptr_t)addr / page, &e);
	return e >> 63 ? e & ((1ULL << 55) - 1) : 0;
}

static bool is_zero_pfn(uint64_t pfn)
{
	uint64_t flags;

	if (!pfn)
		return false;
	if (!read_u64("/proc/kpageflags", pfn, &flags)) {
		kpf_missing = true;
		return false;
	}
	return (flags >> KPF_ZERO_PAGE) & 1;
}

/*
 * The number after @key in @path (the first number without a key).  No
 * stdio: a first malloc() may read-fault a fresh heap page, which the
 * module would count.
 */
static long file_long(const char *path, const char *key)
{
	char buf[4096], *at = buf;
	int fd = open(path, O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	if (key) {
		at = strstr(buf, key);
		if (!at)
			return -1;
		at += strlen(key);
	}
	return strtol(at, NULL, 10);
}

static long stat_of(const char *name)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/zeropage/stats/%s", name);
	return file_long(path, NULL);
}

int main(void)
{
	size_t i, zero = 0, distinct = 0, bad = 0;
	uint64_t pfns[9] = { 0 };
	long zero0, passed0, cow0, rss0;
	unsigned long sum = 0;
	char *p;

	page = sysconf(_SC_PAGESIZE);
	printf("# page size %ld\n", page);
	p = mmap(NULL, (N_PAGES + 2) * page, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED ||
	    (madvise(p, (N_PAGES + 2) * page, MADV_NOHUGEPAGE) && errno != EINVAL)) {
		printf("not ok - read fault: mmap: %s\n", strerror(errno));
		return 1;
	}
	/*
	 * Page tables first (written, then dropped), so the module answers all.
	 * A written page on either side keeps them: 7.x frees a page table
	 * MADV_DONTNEED empties (CONFIG_PT_RECLAIM), and the pages span at
	 * most two.
	 */
	for (i = 0; i < N_PAGES + 2; i++)
		p[i * page] = 1;
	p += page;
	madvise(p, N_PAGES * page, MADV_DONTNEED);

	rss0 = file_long("/proc/self/status", "RssAnon:");
	zero0 = stat_of("zero_mapped");
	passed0 = stat_of("passed");
	cow0 = stat_of("cow_from_zero");
	for (i = 0; i < N_PAGES; i++)
		sum += *(volatile char *)(p + i * page);
	result(sum == 0, "fresh pages read as zero", (long)sum);
	for (i = 0; i < N_PAGES; i++) {
		uint64_t pfn = pfn_of(p + i * page);
		size_t j;

		zero += is_zero_pfn(pfn);
		for (j = 0; j < distinct && pfns[j] != pfn; j++)
			;
		if (j == distinct && distinct < 9)
			pfns[distinct++] = pfn;
	}
	printf("# %s%zu distinct PFNs, first %#llx\n", distinct > 8 ? "more than " : "",
	       distinct > 8 ? 8 : distinct, (unsigned long long)pfns[0]);
	if (kpf_missing) {
		printf("# /proc/kpageflags has nothing for PFN %#llx on this kernel\n",
		       (unsigned long long)pfns[0]);
		result(distinct <= 8 && pfns[0],
		       "every page maps one of at most 8 shared PFNs (no kpageflags)",
		       (long)distinct);
	} else {
		result(zero == N_PAGES, "every PFN is a zero page (KPF_ZERO_PAGE)", (long)zero);
	}
	result(file_long("/proc/self/status", "RssAnon:") - rss0 < 64, "RssAnon unchanged (kB)",
	       file_long("/proc/self/status", "RssAnon:") - rss0);
	result(stat_of("zero_mapped") - zero0 == (long)N_PAGES,
	       "zero_mapped grew by the page count", stat_of("zero_mapped") - zero0);
	result(stat_of("passed") == passed0, "passed unchanged", stat_of("passed") - passed0);

	for (i = 0; i < N_PAGES; i++)
		p[i * page + 7] = (char)(i | 1);
	for (i = 0; i < N_PAGES; i++) {
		char *pg = p + i * page;
		uint64_t pfn;
		size_t j;
		long b;

		for (b = 0; b < page; b++)
			if (pg[b] != (b == 7 ? (char)(i | 1) : 0))
				break;
		pfn = pfn_of(pg);
		for (j = 0; j < distinct && j < 8 && pfns[j] != pfn; j++)
			;
		bad += b != page || is_zero_pfn(pfn) || (j < distinct && j < 8);
	}
	result(!bad, "writes after reads give private pages (bad pages)", (long)bad);
	result(stat_of("cow_from_zero") - cow0 >= (long)N_PAGES,
	       "cow_from_zero grew by >= the page count", stat_of("cow_from_zero") - cow0);
	munmap(p - page, (N_PAGES + 2) * page);
	return failures ? 1 : 0;
}
