// SPDX-License-Identifier: GPL-2.0
/*
 * Functional selftests of the zeropage module, run inside the test guests.
 * Every check reads what the kernel did: PFNs from pagemap, KPF_ZERO_PAGE
 * and KPF_ANON from kpageflags, soft-dirty bits, RssAnon, minor faults,
 * memory.current, and the module's own counters; and prints what it
 * expected beside what it got.
 *
 *   zp_test always|never   the mode's read-fault contract
 *   zp_test never-thp-off [flags-unknown]
 *                          mode never where THP is off (madvise/never)
 *   zp_test thp            THP "always": huge-eligible ranges are the
 *                          kernel's (also THP "madvise" with MADV_HUGEPAGE),
 *                          small ones and prctl-disabled ones the module's
 *   zp_test never-mthp KB  mode never with only KB-KiB per-size THP on
 *   zp_test common         behaviour that must not depend on the mode
 *   zp_test softdirty      soft-dirty tracking over read faults
 *   zp_test toggle         a mode write takes effect on the next fault
 *   zp_test cgroup         per-cgroup policies: interface, siblings in both
 *                          modes, inheritance, the root, removal, limits,
 *                          huge path (also PROT_READ)
 *   zp_test audit          vm_normal_page auditing (audit must be 1)
 *   zp_test audit-violation  the audit reports a plain zero PTE made by
 *                          zp_testmod.ko (audit must be 1)
 *   zp_test unstable       a read fault in an mm marked as the OOM reaper
 *                          marks it (zp_testmod.ko): SIGBUS
 *   zp_test unload-waits   unload while a diverted fault sleeps in the
 *                          kernel (hook=handle_mm_fault; unloads it)
 *   zp_test unload-parked  unload while a diverted swap-in is parked on
 *                          the test's NBD server (hook=handle_mm_fault;
 *                          unloads it)
 *   zp_test unload-rtlock  PREEMPT_RT: unload while a replacement sleeps
 *                          on a PTE lock zp_testmod.ko holds (unloads it)
 *   zp_test around BYTES   fault-around (fault_around_bytes must be BYTES)
 *   zp_test geometry       print the page size, the page-table span and
 *                          whether a PTE is wider than a register (0/1)
 *   zp_test load KO ARGS   finit_module(KO, ARGS); exit status is the errno
 *   zp_test twin KO OUT    write KO renamed "zeropag2" to OUT: a second
 *                          module that wants the same ftrace hooks
 *   zp_test hold PATH      read-fault, touch PATH.ready, wait for PATH.go,
 *                          then check the pages (survives a module unload)
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/param.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kmod/zp_testmod.h"
#include "zp_test.h"

#define N_PAGES ((size_t)1024)

unsigned long span;

int testmod_open(void)
{
	int fd = open(ZP_TESTMOD_DEV, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		die("open %s (is zp_testmod.ko loaded?)", ZP_TESTMOD_DEV);
	return fd;
}

void delta_start(struct zp_delta *d)
{
	if (!zp_counters(d->v))
		die("module counters");
}

long *delta_end(struct zp_delta *d)
{
	long now[ZP_NR_COUNTERS];
	int i;

	delta_start((struct zp_delta *)now);
	for (i = 0; i < ZP_NR_COUNTERS; i++)
		d->v[i] = now[i] - d->v[i];
	return d->v;
}

size_t tables_spanned(const char *p, size_t n)
{
	uintptr_t first = (uintptr_t)p / span;
	uintptr_t last = ((uintptr_t)p + n * PAGE - 1) / span;

	return last - first + 1;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Read-fault N_PAGES fresh pages: the counters' growth over the reads alone
 * (stdio's first output would fault in a heap page of its own, and be
 * counted), and a check that they read as zero.
 */
static long *fresh_read(struct zp_delta *delta, const char *p, const char *mode)
{
	unsigned long sum;
	long *d;

	delta_start(delta);
	sum = touch_read(p, N_PAGES);
	d = delta_end(delta);
	tap_result(sum == 0, "%s: fresh pages read as zero (byte sum %lu)", mode, sum);
	return d;
}

static void test_always(void)
{
	char *p = map_anon(N_PAGES * PAGE, PROT_READ | PROT_WRITE);
	size_t tables = tables_spanned(p, N_PAGES), i, bad = 0, zpfn;
	long rss0 = rss_anon_kb(), *d, cow0;
	struct zp_delta delta;

	d = fresh_read(&delta, p, "always");
	zpfn = count_zero_pfns(p, N_PAGES);
	tap_result(zpfn == N_PAGES, "always: every PFN is a zero page (KPF_ZERO_PAGE: want %zu, got %zu)",
		   N_PAGES, zpfn);
	tap_result(rss_anon_kb() - rss0 < RSS_SLACK_KB,
		   "always: RssAnon unchanged (want < %ld kB, got %+ld kB)", RSS_SLACK_KB,
		   rss_anon_kb() - rss0);
	tap_result(d[ZP_ZERO] + d[ZP_PASSED] == (long)N_PAGES && !d[ZP_PRIVATE],
		   "always: zero_mapped + passed grew by %zu (zero %ld, passed %ld), private_mapped by 0 (%ld)",
		   N_PAGES, d[ZP_ZERO], d[ZP_PASSED], d[ZP_PRIVATE]);
	tap_result(d[ZP_ZERO] >= (long)(N_PAGES - tables),
		   "always: the module installed every PTE whose table existed (want >= %zu, got %ld)",
		   N_PAGES - tables, d[ZP_ZERO]);

	cow0 = zp_stat("cow_from_zero");
	for (i = 0; i < N_PAGES; i++)
		p[i * PAGE + 7] = (char)(i | 1);
	for (i = 0; i < N_PAGES; i++) {
		char *pg = p + i * PAGE;

		if (pg[7] != (char)(i | 1) || !all_bytes(pg, 7, 0) ||
		    !all_bytes(pg + 8, PAGE - 8, 0) || is_zero_pfn(pfn_of(pg)))
			bad++;
	}
	tap_result(!bad, "always: writes after reads give private pages (want 0 bad, got %zu)", bad);
	tap_result(zp_stat("cow_from_zero") - cow0 >= (long)N_PAGES,
		   "always: cow_from_zero grew by >= %zu (%ld)", N_PAGES,
		   zp_stat("cow_from_zero") - cow0);
	munmap(p, N_PAGES * PAGE);
}

static void test_never(void)
{
	char *p = map_anon(N_PAGES * PAGE, PROT_READ | PROT_WRITE);
	long rss0 = rss_anon_kb(), flt, *d;
	uint64_t *pfns = calloc(N_PAGES, sizeof(*pfns));
	size_t i, distinct = 0, zero = 0;
	struct zp_delta delta;

	d = fresh_read(&delta, p, "never");
	for (i = 0; i < N_PAGES; i++) {
		pfns[i] = pfn_of(p + i * PAGE);
		zero += !pfns[i] || is_zero_pfn(pfns[i]);
	}
	qsort(pfns, N_PAGES, sizeof(*pfns), cmp_u64);
	for (i = 0; i < N_PAGES; i++)
		distinct += !i || pfns[i] != pfns[i - 1];
	tap_result(!zero, "never: no PFN is a zero page or missing (want 0, got %zu)", zero);
	tap_result(distinct == N_PAGES, "never: distinct PFNs (want %zu, got %zu)",
		   N_PAGES, distinct);
	/* RSS counters are cached per task on 6.1: up to 64 pages behind. */
	tap_result(rss_anon_kb() - rss0 >= (long)((N_PAGES - 64) * PAGE / 1024),
		   "never: RssAnon grew by the region (want >= %zu kB, got %ld kB)",
		   (size_t)((N_PAGES - 64) * PAGE / 1024), rss_anon_kb() - rss0);
	tap_result(d[ZP_PRIVATE] == (long)N_PAGES && !d[ZP_ZERO],
		   "never: private_mapped grew by %zu (%ld), zero_mapped by 0 (%ld)",
		   N_PAGES, d[ZP_PRIVATE], d[ZP_ZERO]);
	tap_result(all_bytes(p, N_PAGES * PAGE, 0), "never: contents all zero (byte sum of first bytes %lu)",
		   touch_read(p, N_PAGES));
	flt = min_faults();
	touch_write(p, N_PAGES, 1);
	flt = min_faults() - flt;
	tap_result(flt <= 2, "never: writing after reading takes no fault (want <= 2, got %ld)", flt);
	free(pfns);
	munmap(p, N_PAGES * PAGE);
}

/*
 * Mode never where THP is off for the range (the caller set THP "madvise" or
 * "never"): a read fault with no page table yet is no huge-page candidate,
 * so it too must get a private page -- the first page of each table as
 * well as the others.  With @flags_unknown (the handle_mm_fault hook cannot
 * read the THP settings: check.sh derives it from /proc/kallsyms) exactly
 * those first pages are left to the kernel.
 */
static void test_never_thp_off(bool flags_unknown)
{
	size_t n = 2 * span / PAGE, left = flags_unknown ? 2 : 0, zero;
	char *raw = mmap(NULL, 3 * span, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)raw + span - 1) & ~(span - 1));
	struct zp_delta delta;
	long *d;

	if (raw == MAP_FAILED)
		die("mmap");
	delta_start(&delta);
	touch_read(p, n);
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	tap_result(zero == left, "never, THP off%s: zero pages in 2 fresh page tables (want %zu, got %zu)",
		   flags_unknown ? ", THP settings unknown" : "", left, zero);
	tap_result(d[ZP_PRIVATE] == (long)(n - left) && d[ZP_PASSED] == (long)left,
		   "never, THP off: private_mapped grew by %zu (%ld), passed by %zu (%ld)",
		   n - left, d[ZP_PRIVATE], left, d[ZP_PASSED]);
	munmap(raw, 3 * span);
}

/*
 * Mode never with per-size THP (6.8+): the caller enabled folios of @kb
 * KiB only (hugepages-<kb>kB/enabled "always", PMD-size THP "never").  The
 * read fault, made a write fault, reaches do_anonymous_page()'s
 * alloc_anon_folio(), which maps a whole folio of that size: one read
 * fault, @kb KiB of private zeroed memory.  (The stock kernel, and mode
 * always, map the zero page: a read fault never allocates a folio.)
 */
static void test_never_mthp(unsigned long kb)
{
	size_t fpages = kb * 1024 / PAGE, nf = 16, n = nf * fpages, i, j, whole = 0;
	char *raw = mmap(NULL, (n + fpages) * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)raw + fpages * PAGE - 1) & ~(fpages * PAGE - 1));
	long priv0 = zp_stat("private_mapped"), flt;

	if (raw == MAP_FAILED)
		die("mmap");
	flt = min_faults();
	for (i = 0; i < nf; i++)
		(void)*(volatile char *)(p + i * fpages * PAGE);
	flt = min_faults() - flt;
	for (i = 0; i < nf; i++) {
		uint64_t first = pfn_of(p + i * fpages * PAGE);
		bool ok = first && !is_zero_pfn(first) && first % fpages == 0;

		for (j = 1; ok && j < fpages; j++)
			ok = pfn_of(p + (i * fpages + j) * PAGE) == first + j;
		whole += ok;
	}
	tap_result(whole == nf,
		   "never, %lu kB THP: each read fault mapped a whole %lu kB folio of private pages (%zu/%zu)",
		   kb, kb, whole, nf);
	tap_result(flt <= (long)nf + 2, "never, %lu kB THP: one fault per folio (%ld for %zu)",
		   kb, flt, nf);
	tap_result(zp_stat("private_mapped") - priv0 == (long)nf,
		   "never, %lu kB THP: private_mapped grew by %zu (%ld)", kb, nf,
		   zp_stat("private_mapped") - priv0);
	tap_result(all_bytes(p, n * PAGE, 0), "never, %lu kB THP: contents all zero", kb);
	munmap(raw, (n + fpages) * PAGE);
}

/*
 * @n_huge huge pages of fresh private anonymous memory, in a VMA of their
 * own that starts and ends on a PMD boundary (MADV_HUGEPAGE with @advise):
 * the last huge page fits the VMA exactly.
 */
static char *map_huge_exact(unsigned long thp, size_t n_huge, bool advise)
{
	size_t len = n_huge * thp;
	char *raw = mmap(NULL, len + thp, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *p = (char *)(((uintptr_t)raw + thp - 1) & ~(thp - 1));

	if (raw == MAP_FAILED || (p > raw && munmap(raw, p - raw)) ||
	    munmap(p + len, raw + thp - p))
		die("mmap");
	if (advise && madvise(p, len, MADV_HUGEPAGE))
		die("madvise(MADV_HUGEPAGE)");
	return p;
}

/*
 * Read 2 huge pages' worth in a VMA of exactly that size, where THP applies
 * (@what): the kernel's, as huge zero pages; the module maps none of it.
 */
static void thp_read_kernels(unsigned long thp, const char *what, bool advise)
{
	size_t n = 2 * thp / PAGE, zero, huge;
	char *p = map_huge_exact(thp, 2, advise);
	struct zp_delta delta;
	long *d;

	delta_start(&delta);
	touch_read(p, n);
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	huge = ((kpageflags(pfn_of(p)) >> KPF_THP) & 1) +
	       ((kpageflags(pfn_of(p + thp)) >> KPF_THP) & 1);
	tap_result(zero == n && huge == 2 && !d[ZP_ZERO] && !d[ZP_PRIVATE],
		   "thp %s: %s read: huge zero pages (want %zu zero PFNs, 2 huge; got %zu, %zu), zero_mapped +0 (%ld), private_mapped +0 (%ld)",
		   zp_get_mode(), what, n, zero, huge, d[ZP_ZERO], d[ZP_PRIVATE]);
	munmap(p, 2 * thp);
}

/*
 * prctl(PR_SET_THP_DISABLE): no huge page in this process, so a huge-
 * aligned range gets the module's 4 KiB treatment, the first page of each
 * table too (the early hooks must not leave it to the kernel's THP path):
 * zero pages in mode always, private pages in mode never.
 */
static void thp_read_prctl_off(unsigned long thp, bool never)
{
	size_t n = 2 * thp / PAGE, zero;
	long rss0 = rss_anon_kb(), rss;
	/* RSS counters are cached per task on 6.1: up to 64 pages behind. */
	long want_kb = (long)((n - 64) * PAGE / 1024);
	char *p;

	if (prctl(PR_SET_THP_DISABLE, 1, 0, 0, 0))
		die("prctl(PR_SET_THP_DISABLE)");
	p = map_huge_exact(thp, 2, false);
	touch_read(p, n);
	zero = count_zero_pfns(p, n);
	rss = rss_anon_kb() - rss0;
	if (prctl(PR_SET_THP_DISABLE, 0, 0, 0, 0))
		die("prctl(PR_SET_THP_DISABLE, 0)");
	if (never)
		tap_result(!zero && rss >= want_kb,
			   "thp never, THP disabled by prctl: every page private (want 0 zero PFNs, RssAnon >= %ld kB; got %zu, %+ld kB)",
			   want_kb, zero, rss);
	else	/* RssAnon, up to 64 pages behind, would not tell. */
		tap_result(zero == n,
			   "thp always, THP disabled by prctl: every page the zero page (want %zu zero PFNs, got %zu)",
			   n, zero);
	munmap(p, 2 * thp);
}

/*
 * THP "always" (set by the caller), in both modes: a huge-eligible aligned
 * range is the kernel's (the huge zero page on a read; the handle_mm_fault
 * hook must see that the kernel may go huge there), also under THP
 * "madvise" on a MADV_HUGEPAGE range, while a range too small for a huge
 * page, or where prctl turned THP off, gets the module's 4 KiB treatment.
 */
static void test_thp(void)
{
	unsigned long thp = thp_size();
	static const char * const modes[] = { "always", "never" };
	const char *was = zp_get_mode();
	/* small: a quarter of a huge page at most (64 KiB pages: 8). */
	size_t small = MIN(64, thp / PAGE / 4), zero;
	struct thp_saved thp_was;
	struct zp_delta delta;
	char *raw, *q;
	long *d;
	int m;

	if (!thp) {
		tap_skip("thp: huge-eligible range left to the kernel", "kernel without THP");
		return;
	}
	for (m = 0; m < 2; m++) {
		bool never = m == 1;

		zp_set_mode(modes[m]);
		thp_read_kernels(thp, "aligned huge range ending its VMA", false);
		thp_push(&thp_was, "madvise", "madvise", "1");
		thp_read_kernels(thp, "THP madvise, MADV_HUGEPAGE range", true);
		thp_pop(&thp_was);
		thp_read_prctl_off(thp, never);

		/* A small VMA of its own, at the start of an empty table. */
		raw = mmap(NULL, 2 * thp, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		q = (char *)(((uintptr_t)raw + thp - 1) & ~(thp - 1));
		if (raw == MAP_FAILED ||
		    mmap(q, small * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0) != q)
			die("mmap");
		delta_start(&delta);
		touch_read(q, small);
		d = delta_end(&delta);
		zero = count_zero_pfns(q, small);
		if (never)
			tap_result(!zero && d[ZP_PRIVATE] == (long)small,
				   "thp never: %zu pages too few for a huge page: private (want 0 zero PFNs, private_mapped +%zu; got %zu, %+ld)",
				   small, small, zero, d[ZP_PRIVATE]);
		else
			tap_result(zero == small && d[ZP_ZERO] == (long)small - 1 &&
				   d[ZP_PASSED] == 1,
				   "thp always: %zu pages too few for a huge page: zero pages, the module's but the first (want %zu zero PFNs, zero_mapped +%zu, passed +1; got %zu, %+ld, %+ld)",
				   small, small, small - 1, zero, d[ZP_ZERO], d[ZP_PASSED]);
		munmap(raw, 2 * thp);
	}
	zp_set_mode(was);
}

static void test_toggle(void)
{
	char *p = map_anon(4 * PAGE, PROT_READ | PROT_WRITE);
	bool z0, z1, z3;

	p[2 * PAGE] = 1;	/* the page table exists from here on */
	zp_set_mode("always");
	touch_read(p, 1);
	zp_set_mode("never");
	touch_read(p + PAGE, 1);
	zp_set_mode("always");
	touch_read(p + 3 * PAGE, 1);
	z0 = is_zero_pfn(pfn_of(p));
	z1 = is_zero_pfn(pfn_of(p + PAGE)) || !pfn_of(p + PAGE);
	z3 = is_zero_pfn(pfn_of(p + 3 * PAGE));
	tap_result(z0 && !z1 && z3,
		   "toggle: each fault follows the mode of its moment (zero page: want 1 0 1, got %d %d %d)",
		   z0, z1, z3);
	munmap(p, 4 * PAGE);
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

/* Rename every "zeropage" NUL-terminated at the end of @what in @sec. */
static int rename_in(char *sec, size_t len, const char *what)
{
	size_t wlen = strlen(what) + 1;
	char *at;
	int n = 0;

	for (at = sec; (at = memmem(at, len - (at - sec), what, wlen)); at += wlen, n++)
		at[wlen - 2] = '2';
	return n;
}

/*
 * The module's copy under another name (struct module's name and modinfo
 * name=, both in place): the kernel loads it as a separate module, whose
 * init then meets our own IPMODIFY hooks -- the one other IPMODIFY user a
 * stock guest without livepatch modules can have.
 */
static int make_twin(const char *ko, const char *out)
{
	int fd = open(ko, O_RDONLY), renamed = 0, i;
	off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
	char *img = size > 0 ? malloc(size) : NULL;
	ElfW(Ehdr) *eh = (ElfW(Ehdr) *)img;
	ElfW(Shdr) *sh;
	const char *names;

	if (!img || pread(fd, img, size, 0) != size)
		die("read %s", ko);
	close(fd);
	sh = (ElfW(Shdr) *)(img + eh->e_shoff);
	names = img + sh[eh->e_shstrndx].sh_offset;
	for (i = 0; i < eh->e_shnum; i++) {
		char *sec = img + sh[i].sh_offset;

		if (!strcmp(names + sh[i].sh_name, ".gnu.linkonce.this_module"))
			renamed += rename_in(sec, sh[i].sh_size, "zeropage");
		else if (!strcmp(names + sh[i].sh_name, ".modinfo"))
			renamed += rename_in(sec, sh[i].sh_size, "name=zeropage");
	}
	fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || write(fd, img, size) != size)
		die("write %s", out);
	close(fd);
	free(img);
	printf("# %s: %d names changed\n", out, renamed);
	return renamed ? 0 : 1;
}

static bool file_exists(void *path)
{
	return !access(path, F_OK);
}

static int hold(const char *path)
{
	/* At most one table's span (64 KiB pages: 32 pages), so two tables. */
	size_t n = MIN(256, zp_table_span() / PAGE), i, bad = 0;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE), name[256];
	long zero;

	/* Both ends written: both page tables the range spans exist. */
	p[0] = 1;
	p[(n - 1) * PAGE] = 1;
	zero = zp_stat("zero_mapped");
	touch_read(p + PAGE, n - 2);
	zero = zp_stat("zero_mapped") - zero;
	tap_result(zero >= (long)(n - 2),
		   "hold: the module mapped the pages held across the unload (want zero_mapped >= +%zu, got %+ld)",
		   n - 2, zero);
	snprintf(name, sizeof(name), "%s.ready", path);
	close(open(name, O_CREAT | O_WRONLY, 0600));
	snprintf(name, sizeof(name), "%s.go", path);
	if (!wait_for(file_exists, name, 120)) {
		printf("# hold: no %s within 120 s\n", name);
		return 1;
	}
	for (i = 1; i < n - 1; i++)
		bad += !is_zero_pfn(pfn_of(p + i * PAGE)) || !all_bytes(p + i * PAGE, PAGE, 0);
	touch_write(p, n, 3);
	for (i = 0; i < n; i++)
		bad += p[i * PAGE] != 3;
	if (bad)
		printf("# hold: %zu pages not zero before, or wrong after, the unload\n", bad);
	return bad ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";

	if (!strcmp(what, "hold") && argc > 2)
		return hold(argv[2]);
	if (!strcmp(what, "load") && argc > 2)
		return load_module(argv[2], argc - 3, argv + 3);
	if (!strcmp(what, "twin") && argc > 3)
		return make_twin(argv[2], argv[3]);
	if (!strcmp(what, "squatted")) {	/* loads the module itself */
		test_squatted();
		return zp_failures ? 1 : 0;
	}
	span = zp_table_span();
	if (!strcmp(what, "geometry")) {
		printf("%lu %lu %d\n", PAGE, span, PAGE / (span / PAGE) > sizeof(long));
		return 0;
	}
	if (!zp_module_loaded())
		die("the module is not loaded");
	if (!strcmp(what, "always")) {
		test_always();
		test_mode_vm(false);
	} else if (!strcmp(what, "never")) {
		test_never();
		test_mode_vm(true);
	} else if (!strcmp(what, "never-mthp") && argc > 2) {
		test_never_mthp(strtoul(argv[2], NULL, 0));
	} else if (!strcmp(what, "never-thp-off")) {
		test_never_thp_off(argc > 2 && !strcmp(argv[2], "flags-unknown"));
	} else if (!strcmp(what, "thp")) {
		test_thp();
	} else if (!strcmp(what, "common")) {
		test_common();
	} else if (!strcmp(what, "softdirty")) {
		test_softdirty();
	} else if (!strcmp(what, "toggle")) {
		test_toggle();
	} else if (!strcmp(what, "cgroup")) {
		test_cgroup();
	} else if (!strcmp(what, "audit")) {
		test_audit();
	} else if (!strcmp(what, "unstable")) {
		test_unstable();
	} else if (!strcmp(what, "audit-violation")) {
		test_audit_violation();
	} else if (!strcmp(what, "unload-waits")) {
		test_unload_waits();
	} else if (!strcmp(what, "unload-parked")) {
		test_unload_parked();
	} else if (!strcmp(what, "unload-rtlock")) {
		test_unload_rtlock();
	} else if (!strcmp(what, "around") && argc > 2) {
		test_around(strtoul(argv[2], NULL, 0));
	} else {
		fprintf(stderr, "usage: zp_test always|never|never-thp-off [flags-unknown]|never-mthp KB|thp|common|softdirty|toggle|cgroup|audit|audit-violation|unstable|unload-waits|unload-parked|unload-rtlock|squatted|around BYTES|geometry|load KO ARGS|twin KO OUT|hold PATH\n");
		return 2;
	}
	return zp_failures ? 1 : 0;
}
