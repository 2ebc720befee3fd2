// SPDX-License-Identifier: GPL-2.0
/*
 * zp_demo MiB: read-fault a fresh private anonymous region (4 KiB path),
 * then write it, and print one line of what that cost and what it did.
 * zero_pfns is the kernel's word: the pages that pagemap and kpageflags
 * (KPF_ZERO_PAGE) show mapped to the zero page after the read (root only).
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>

#include "lib/zp.h"

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
	size_t mib = argc > 1 ? strtoul(argv[1], NULL, 0) : 256;
	size_t pages = mib << 8;
	char *p = map_anon(pages * PAGE, PROT_READ | PROT_WRITE);
	long rss0 = rss_anon_kb(), flt0 = min_faults(), zero0 = zp_stat("zero_mapped");
	long priv0 = zp_stat("private_mapped"), rss_read, flt_read, flt_write;
	size_t zero_pfns;
	double t0, t_read, t_write;

	t0 = now_us();
	touch_read(p, pages);
	t_read = now_us() - t0;
	rss_read = rss_anon_kb() - rss0;
	flt_read = min_faults() - flt0;
	zero_pfns = count_zero_pfns(p, pages);
	t0 = now_us();
	touch_write(p, pages, 1);
	t_write = now_us() - t0;
	flt_write = min_faults() - flt0 - flt_read;
	printf("read_us_per_page=%.2f rss_after_read_mib=%.1f read_faults=%ld zero_pfns=%zu write_us_per_page=%.2f write_faults=%ld zero_mapped=%ld private_mapped=%ld\n",
	       t_read / pages, rss_read / 1024.0, flt_read, zero_pfns, t_write / pages, flt_write,
	       zero0 < 0 ? 0 : zp_stat("zero_mapped") - zero0,
	       priv0 < 0 ? 0 : zp_stat("private_mapped") - priv0);
	return 0;
}
