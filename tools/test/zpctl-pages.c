// SPDX-License-Identifier: GPL-2.0
/*
 * zpctl-pages Z P U [H]: a process with known page counts, for testing
 * "zeropagectl ps".  One MADV_NOHUGEPAGE mapping of Z+P+U pages: the first Z
 * read-faulted (the zero page), the next P write-faulted (private pages), the
 * last U untouched; then H aligned MADV_HUGEPAGE regions of the kernel's
 * huge page size, each read-faulted once (the huge zero page, where THP
 * allows it).  Prints
 * "ready" and sleeps until killed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void die(const char *what)
{
	fprintf(stderr, "zpctl-pages: %s: %s\n", what, strerror(errno));
	exit(1);
}

static unsigned long arg(const char *s)
{
	char *end;
	unsigned long val = strtoul(s, &end, 10);

	if (!*s || *end) {
		fprintf(stderr, "usage: zpctl-pages ZERO PRIVATE UNTOUCHED [HUGE]\n");
		exit(2);
	}
	return val;
}

/* The PMD size THP uses (2 MiB on x86; 32 MiB with 16 KiB pages). */
static unsigned long huge_size(void)
{
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size", "r");
	unsigned long size = 0;

	if (!f || fscanf(f, "%lu", &size) != 1 || !size)
		size = 2UL << 20;
	if (f)
		fclose(f);
	return size;
}

static char *map(size_t bytes)
{
	char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap");
	return p;
}

int main(int argc, char **argv)
{
	unsigned long zero, priv, untouched, huge = 0, sum = 0;
	long page = sysconf(_SC_PAGESIZE);
	volatile char *p;

	if (argc != 4 && argc != 5)
		arg("");
	zero = arg(argv[1]);
	priv = arg(argv[2]);
	untouched = arg(argv[3]);
	if (argc == 5)
		huge = arg(argv[4]);

	if (zero + priv + untouched) {
		p = map((zero + priv + untouched) * page);
		/* EINVAL: no THP in this kernel (-rt), nothing to turn off. */
		if (madvise((void *)p, (zero + priv + untouched) * page, MADV_NOHUGEPAGE) &&
		    errno != EINVAL)
			die("madvise(MADV_NOHUGEPAGE)");
		for (unsigned long i = 0; i < zero; i++)
			sum += p[i * page];
		for (unsigned long i = zero; i < zero + priv; i++)
			p[i * page] = 1;
	}
	if (huge) {
		unsigned long size = huge_size();
		/* Over-map by one huge page to align the start. */
		uintptr_t raw = (uintptr_t)map((huge + 1) * size);

		p = (char *)((raw + size - 1) & ~(size - 1));
		if (madvise((void *)p, huge * size, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE)");
		for (unsigned long i = 0; i < huge; i++)
			sum += p[i * size];
	}
	printf("ready %lu\n", sum);
	fflush(stdout);
	for (;;)
		pause();
}
