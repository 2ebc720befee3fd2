// SPDX-License-Identifier: GPL-2.0
/*
 * zpctl-pages Z P U [H]: a process with known page counts, for testing
 * "zeropagectl ps".  One MADV_NOHUGEPAGE mapping of Z+P+U pages: the first Z
 * read-faulted (the zero page), the next P write-faulted (private pages), the
 * last U untouched; then H 2 MiB-aligned MADV_HUGEPAGE regions, each
 * read-faulted once (the huge zero page, where THP allows it).  Prints
 * "ready" and sleeps until killed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define HUGE_SIZE (2UL << 20)

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
		/* Over-map by one huge page to align the start. */
		uintptr_t raw = (uintptr_t)map((huge + 1) * HUGE_SIZE);

		p = (char *)((raw + HUGE_SIZE - 1) & ~(HUGE_SIZE - 1));
		if (madvise((void *)p, huge * HUGE_SIZE, MADV_HUGEPAGE))
			die("madvise(MADV_HUGEPAGE)");
		for (unsigned long i = 0; i < huge; i++)
			sum += p[i * HUGE_SIZE];
	}
	printf("ready %lu\n", sum);
	fflush(stdout);
	for (;;)
		pause();
}
