// SPDX-License-Identifier: GPL-2.0
/*
 * zp_bench: the cost of anonymous faults, per 4 KiB page, in one process.
 *
 *   zp_bench [-m MiB] CASE...
 *
 * Cases: read, write, rtw (read then write), shared-read (MAP_SHARED
 * anonymous), file-read (private file mapping), munmap (of a read-faulted
 * region), rand-read (pages in random order), read-mt2 and rtw-mt2 (two
 * threads), rss1g (read-touch 1 GiB: RSS and page-table growth).
 * Single-threaded cases run pinned to CPU 0.  One output line per case:
 *   case=NAME ns=NS_PER_PAGE flt=FAULTS_PER_PAGE rss=RSS_GROWTH_MiB
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/zp.h"

enum backing { PRIVATE, SHARED, FILE_PRIVATE };

struct result {
	double ns, faults, rss_mib;
};

static size_t npages = 256UL << 8;

/* Run on @cpu only, or anywhere when @cpu is -1. */
static void pin(int cpu)
{
	long i, ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	cpu_set_t set;

	CPU_ZERO(&set);
	for (i = 0; i < ncpu; i++)
		if (cpu < 0 || i == cpu)
			CPU_SET(i, &set);
	sched_setaffinity(0, sizeof(set), &set);
}

static char *fresh(size_t pages, enum backing how)
{
	size_t len = pages * PAGE;
	char *p;
	int fd;

	switch (how) {
	case SHARED:
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		break;
	case FILE_PRIVATE:
		fd = open("/tmp/zp-bench", O_RDWR | O_CREAT | O_TRUNC, 0600);
		if (fd < 0 || ftruncate(fd, len))
			die("bench file");
		p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
		close(fd);
		unlink("/tmp/zp-bench");
		break;
	default:
		return map_anon(len, PROT_READ | PROT_WRITE);
	}
	if (p == MAP_FAILED)
		die("mmap");
	madvise(p, len, MADV_NOHUGEPAGE);
	return p;
}

static void shuffle(size_t *idx, size_t n)
{
	unsigned long long x = 88172645463325252ULL;
	size_t i, j, t;

	for (i = 0; i < n; i++)
		idx[i] = i;
	for (i = n - 1; i > 0; i--) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		j = x % (i + 1);
		t = idx[i];
		idx[i] = idx[j];
		idx[j] = t;
	}
}

/* Touch pages [from, to) of @p: read, write, or read then write. */
struct span {
	char *p;
	size_t from, to;
	bool read, write;
	const size_t *order;
};

static void *touch_span(void *arg)
{
	struct span *s = arg;
	size_t i, pg;

	for (i = s->from; i < s->to; i++) {
		pg = s->order ? s->order[i] : i;
		if (s->read)
			(void)*(volatile char *)(s->p + pg * PAGE);
		if (s->write)
			*(volatile char *)(s->p + pg * PAGE) = 1;
	}
	return NULL;
}

static struct result run_touch(enum backing how, bool read, bool write,
			       int threads, bool random)
{
	char *p = fresh(npages, how);
	size_t *order = NULL;
	struct span spans[2];
	pthread_t th[2];
	long rss0 = rss_anon_kb(), flt0 = min_faults();
	struct result r;
	double t0;
	int i;

	if (random) {
		order = malloc(npages * sizeof(*order));
		shuffle(order, npages);
	}
	for (i = 0; i < threads; i++)
		spans[i] = (struct span){ p, npages * i / threads, npages * (i + 1) / threads,
					  read, write, order };
	t0 = now_s() * 1e9;
	if (threads == 1) {
		touch_span(&spans[0]);
	} else {
		for (i = 0; i < threads; i++)
			pthread_create(&th[i], NULL, touch_span, &spans[i]);
		for (i = 0; i < threads; i++)
			pthread_join(th[i], NULL);
	}
	r.ns = (now_s() * 1e9 - t0) / npages;
	r.faults = (double)(min_faults() - flt0) / npages;
	r.rss_mib = (rss_anon_kb() - rss0) / 1024.0;
	munmap(p, npages * PAGE);
	free(order);
	return r;
}

static struct result run_munmap(void)
{
	char *p = fresh(npages, PRIVATE);
	struct result r = { 0 };
	double t0;

	touch_read(p, npages);
	t0 = now_s() * 1e9;
	munmap(p, npages * PAGE);
	r.ns = (now_s() * 1e9 - t0) / npages;
	return r;
}

/* Read-touch 1 GiB; rss= is RssAnon growth, flt= page-table growth in MiB. */
static struct result run_rss1g(void)
{
	size_t saved = npages;
	long pt0 = meminfo_kb("PageTables:");
	struct result r;
	char *p;
	long rss0;

	npages = 1UL << 18;
	p = fresh(npages, PRIVATE);
	rss0 = rss_anon_kb();
	r.ns = now_s() * 1e9;
	touch_read(p, npages);
	r.ns = (now_s() * 1e9 - r.ns) / npages;
	r.rss_mib = (rss_anon_kb() - rss0) / 1024.0;
	r.faults = (meminfo_kb("PageTables:") - pt0) / 1024.0;
	munmap(p, npages * PAGE);
	npages = saved;
	return r;
}

static struct result run_case(const char *name)
{
	static const struct {
		const char *name;
		enum backing how;
		bool read, write, random;
		int threads;
	} touch[] = {
		{ "read", PRIVATE, true, false, false, 1 },
		{ "write", PRIVATE, false, true, false, 1 },
		{ "rtw", PRIVATE, true, true, false, 1 },
		{ "shared-read", SHARED, true, false, false, 1 },
		{ "file-read", FILE_PRIVATE, true, false, false, 1 },
		{ "rand-read", PRIVATE, true, false, true, 1 },
		{ "read-mt2", PRIVATE, true, false, false, 2 },
		{ "rtw-mt2", PRIVATE, true, true, false, 2 },
	};
	size_t i;

	for (i = 0; i < sizeof(touch) / sizeof(touch[0]); i++)
		if (!strcmp(name, touch[i].name)) {
			pin(touch[i].threads == 1 ? 0 : -1);
			return run_touch(touch[i].how, touch[i].read, touch[i].write,
					 touch[i].threads, touch[i].random);
		}
	if (!strcmp(name, "munmap"))
		return run_munmap();
	if (!strcmp(name, "rss1g"))
		return run_rss1g();
	fprintf(stderr, "zp_bench: unknown case '%s'\n", name);
	exit(2);
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-m")) {
		npages = strtoul(argv[2], NULL, 0) << 8;
		i = 3;
	}
	if (i >= argc || !npages) {
		fprintf(stderr, "usage: zp_bench [-m MiB] CASE...\n");
		return 2;
	}
	for (; i < argc; i++) {
		struct result r = run_case(argv[i]);

		printf("case=%s ns=%.0f flt=%.3f rss=%.1f\n", argv[i], r.ns, r.faults, r.rss_mib);
		fflush(stdout);
	}
	return 0;
}
