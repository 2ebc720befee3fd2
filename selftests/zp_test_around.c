// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test: fault-around (what the window may and may not fill) and the
 * vm_normal_page audit over the mm operations that copy or move PTEs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zp_test.h"

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif

char *map_aligned(size_t bytes, size_t align)
{
	char *p = map_anon(bytes + align, PROT_READ | PROT_WRITE);

	return (char *)(((uintptr_t)p + align - 1) & ~(align - 1));
}

static size_t count_present(const char *p, size_t n)
{
	size_t i, present = 0;

	for (i = 0; i < n; i++)
		present += region_present(p + i * PAGE);
	return present;
}

static void test_around_fill(unsigned long bytes)
{
	size_t n = 2048, per = bytes / PAGE, i, bad = 0, tables;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	long flt, around0 = zp_stat("around_mapped"), rss0 = rss_anon_kb();

	/*
	 * Populate the page tables first so only the window decides -- but
	 * 7.x's CONFIG_PT_RECLAIM frees a table MADV_DONTNEED empties: then
	 * each table's first fault is the kernel's, one page.  So at most a
	 * fault per window plus one per table.
	 */
	tables = tables_spanned(p, n);
	for (i = 0; i < n; i += span / PAGE)
		p[i * PAGE] = 1;
	p[(n - 1) * PAGE] = 1;
	madvise(p, n * PAGE, MADV_DONTNEED);
	flt = min_faults();
	touch_read(p, n);
	flt = min_faults() - flt;
	tap_result(flt <= (long)(n / per + tables), "around %lu: %zu reads took few faults (want <= %zu, got %ld)",
		   bytes, n, n / per + tables, flt);
	tap_result(count_zero_pfns(p, n) == n && rss_anon_kb() - rss0 < RSS_SLACK_KB,
		   "around %lu: every PFN is a zero page, RSS unchanged (want %zu, < %ld kB; got %zu, %+ld kB)",
		   bytes, n, RSS_SLACK_KB, count_zero_pfns(p, n), rss_anon_kb() - rss0);
	tap_result(zp_stat("around_mapped") - around0 >= (long)(n - n / per - tables),
		   "around %lu: around_mapped grew (want >= %zu, got %ld)", bytes,
		   n - n / per - tables, zp_stat("around_mapped") - around0);
	for (i = 0; i < n; i++)
		p[i * PAGE + 1] = (char)i;
	for (i = 0; i < n; i++)
		bad += p[i * PAGE + 1] != (char)i || p[i * PAGE];
	tap_result(!bad, "around %lu: writes COW per page (want 0 bad, got %zu)", bytes, bad);
	munmap(p, n * PAGE);
}

/* Fault-around must never touch what is not its own. */
static void test_around_edges(unsigned long bytes)
{
	size_t per = bytes / PAGE, i, kept = 0, out = 0, wrong = 0;
	char *p = map_aligned(4 * per * PAGE, bytes);
	uint64_t pfn;

	/* A written page in the window keeps its content and PFN. */
	p[per * PAGE] = 1;			/* page table, and the window's first page */
	p[per * PAGE + 3 * PAGE] = 'w';
	pfn = pfn_of(p + per * PAGE + 3 * PAGE);
	touch_read(p + per * PAGE + PAGE, 1);
	tap_result(p[per * PAGE + 3 * PAGE] == 'w' && pfn_of(p + per * PAGE + 3 * PAGE) == pfn &&
		   is_zero_pfn(pfn_of(p + per * PAGE + 2 * PAGE)),
		   "around %lu: a written neighbour keeps content and PFN (content %#x, want 0x77; PFN %s)",
		   bytes, (unsigned char)p[per * PAGE + 3 * PAGE],
		   pfn_of(p + per * PAGE + 3 * PAGE) == pfn ? "kept" : "changed");

	/*
	 * Swapped-out neighbours stay swapped and read back.  Where swap is
	 * on (check.sh's zram), MADV_PAGEOUT must really have swapped them
	 * (pagemap's bit 62): a failure, not a skip.
	 */
	for (i = 0; i < per; i++)
		p[2 * per * PAGE + i * PAGE] = (char)(i + 1);
	if (!swap_on()) {
		tap_skip("around: swapped-out neighbours stay swapped", "no swap in this guest");
	} else {
		int err = madvise(p + 2 * per * PAGE + PAGE, (per - 1) * PAGE, MADV_PAGEOUT) ? errno : 0;

		for (i = 1; i < per; i++)
			out += pagemap_bit(p + 2 * per * PAGE + i * PAGE, PM_SWAP);
		madvise(p + 2 * per * PAGE, PAGE, MADV_DONTNEED);
		touch_read(p + 2 * per * PAGE, 1);
		for (i = 1; i < per; i++)
			kept += pagemap_bit(p + 2 * per * PAGE + i * PAGE, PM_SWAP);
		tap_result(!err && out == per - 1 && kept == per - 1,
			   "around %lu: swapped-out neighbours stay swapped (want %zu swapped before the fault and after; got %zu, %zu; MADV_PAGEOUT errno %d)",
			   bytes, per - 1, out, kept, err);
		for (i = 1; i < per; i++)
			wrong += p[2 * per * PAGE + i * PAGE] != (char)(i + 1);
		tap_result(wrong == 0, "around %lu: swapped-out neighbours read back (want 0 wrong, got %zu)",
			   bytes, wrong);
	}
	munmap(p, 4 * per * PAGE);

}

/*
 * The window stops at the VMA, at its end and at its start: the faulting
 * VMA is the lower or upper half of a window, the other half a PROT_READ
 * VMA of its own, which gets no PTE.
 */
static void test_around_clip(unsigned long bytes, bool at_start)
{
	size_t per = bytes / PAGE, half = per / 2, own = at_start ? per - half : half, other, zero;
	char *p = map_aligned(2 * per * PAGE, bytes), *w = p + per * PAGE;
	char *mine = at_start ? w + half * PAGE : w, *theirs = at_start ? w : w + half * PAGE;

	mine[0] = 1;		/* the window's page table, then empty it */
	madvise(mine, PAGE, MADV_DONTNEED);
	mprotect(theirs, (per - own) * PAGE, PROT_READ);
	touch_read(mine, 1);
	other = count_present(theirs, per - own);
	zero = count_zero_pfns(mine, own);
	tap_result(!other && zero == own,
		   "around %lu: the window stops at the VMA's %s (want 0 PTEs beyond, %zu zero PFNs within; got %zu, %zu)",
		   bytes, at_start ? "start" : "end", own, other, zero);
	munmap(p, 2 * per * PAGE);
}

/* An mlocked (MLOCK_ONFAULT) range gets no fault-around: locked pages are charged. */
static void test_around_mlock(unsigned long bytes)
{
	size_t per = bytes / PAGE, present;
	char *w = map_aligned(per * PAGE, bytes);
	long around;

	if (syscall(SYS_mlock2, w, per * PAGE, MLOCK_ONFAULT)) {
		tap_result(false, "around %lu: mlock2(MLOCK_ONFAULT) (errno %d)", bytes, errno);
		return;
	}
	w[(per - 1) * PAGE] = 1;	/* the window's page table */
	around = zp_stat("around_mapped");
	touch_read(w, 1);
	around = zp_stat("around_mapped") - around;
	present = count_present(w, per);
	tap_result(present == 2 && !around && is_zero_pfn(pfn_of(w)),
		   "around %lu: VM_LOCKED gets no fault-around (want 2 PTEs in the window, around_mapped +0, a zero page read; got %zu, %+ld, %s)",
		   bytes, present, around, is_zero_pfn(pfn_of(w)) ? "zero" : "not zero");
	munmap(w, per * PAGE);
}

/* A userfaultfd range gets no fault-around: every read reaches the handler. */
static void test_around_uffd(unsigned long bytes)
{
	size_t n = 2 * bytes / PAGE;
	struct uffd_ctx c;

	if (!uffd_start(&c, n, UFFDIO_REGISTER_MODE_MISSING, 0)) {
		tap_skip("around: userfaultfd range not filled", "no userfaultfd");
		return;
	}
	touch_read(c.area, n);
	tap_result(c.faults == (int)n,
		   "around %lu: every read of a userfaultfd range reaches the handler (want %zu, got %d)",
		   bytes, n, c.faults);
	uffd_stop(&c);
}

/*
 * What fault-around costs a userfaultfd registered later (documented
 * beside fault_around_bytes): the window maps pages the program never
 * touched, so a MISSING registration made afterwards finds them mapped,
 * as after a read of each: UFFDIO_COPY into one fails with EEXIST, while
 * a page past the window is still missing.
 */
static void test_around_late_uffd(unsigned long bytes)
{
	size_t per = bytes / PAGE;
	char *p = map_aligned(2 * per * PAGE, bytes), *src = map_anon(PAGE, PROT_READ | PROT_WRITE);
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { (uintptr_t)p, 2 * per * PAGE }, .mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_copy copy = { .src = (uintptr_t)src, .len = PAGE };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK), inside, past;

	if (fd < 0 || ioctl(fd, UFFDIO_API, &api)) {
		tap_skip("around: a later userfaultfd registration", "no userfaultfd");
		return;
	}
	p[0] = 1;			/* the page table, outside the read below */
	touch_read(p + PAGE, 1);	/* fills the rest of the first window */
	if (ioctl(fd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER");
	copy.dst = (uintptr_t)(p + 2 * PAGE);
	inside = ioctl(fd, UFFDIO_COPY, &copy) ? errno : 0;
	copy.dst = (uintptr_t)(p + per * PAGE);
	past = ioctl(fd, UFFDIO_COPY, &copy) ? errno : 0;
	tap_result(is_zero_pfn(pfn_of(p + 2 * PAGE)) && inside == EEXIST && !past,
		   "around %lu: a userfaultfd registered after the window was filled finds its untouched pages mapped (UFFDIO_COPY: want EEXIST inside the window, success past it; got %s, %s)",
		   bytes, inside ? strerror(inside) : "success", past ? strerror(past) : "success");
	close(fd);
}

void test_around(unsigned long bytes)
{
	test_around_fill(bytes);
	test_around_edges(bytes);
	test_around_clip(bytes, false);
	test_around_clip(bytes, true);
	test_around_mlock(bytes);
	test_around_uffd(bytes);
	test_around_late_uffd(bytes);
}

/*
 * vm_normal_page auditing (audit=1): walkers meet the zero-page PTEs
 * (walker_zero grows) and never one without the special bit, also after
 * the mm operations that rewrite, move or copy PTEs: mprotect, mremap,
 * fork, and MADV_PAGEOUT with swap (which must leave zero pages alone).
 */
void test_audit(void)
{
	size_t n = 256, i, zero[5], out = 0, bad = 0;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE), *q;
	char *buf = malloc(n * PAGE);
	struct iovec local = { buf, n * PAGE }, remote = { p, n * PAGE };
	long walk0 = zp_stat("walker_zero"), walk;
	int status;
	pid_t pid;

	touch_read(p, n);
	process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	mprotect(p, n * PAGE, PROT_READ);
	zero[0] = count_zero_pfns(p, n);
	mprotect(p, n * PAGE, PROT_READ | PROT_WRITE);
	zero[1] = count_zero_pfns(p, n);
	q = mremap(p, n * PAGE, 2 * n * PAGE, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		die("mremap");
	zero[2] = count_zero_pfns(q, n);
	/* A written page gives the VMA an anon_vma: fork copies its PTEs. */
	q[(2 * n - 1) * PAGE] = 1;
	fflush(stdout);
	pid = fork();
	if (pid == 0)
		_exit(count_zero_pfns(q, n) == n && all_bytes(q, n * PAGE, 0) ? 0 : 1);
	waitpid(pid, &status, 0);
	zero[3] = WIFEXITED(status) && !WEXITSTATUS(status) ? n : 0;
	/* The second half written, then everything paged out. */
	for (i = n; i < 2 * n; i++)
		q[i * PAGE] = (char)(i | 1);
	madvise(q, 2 * n * PAGE, MADV_PAGEOUT);
	zero[4] = count_zero_pfns(q, n);
	for (i = n; i < 2 * n; i++) {
		out += pagemap_bit(q + i * PAGE, PM_SWAP);
		bad += q[i * PAGE] != (char)(i | 1);
	}
	walk = zp_stat("walker_zero") - walk0;
	tap_result(zero[0] == n && zero[1] == n && zero[2] == n && zero[3] == n && zero[4] == n,
		   "audit: zero PFNs after mprotect RO, RW, mremap, in a fork child, after MADV_PAGEOUT (want %zu each; got %zu %zu %zu %zu %zu)",
		   n, zero[0], zero[1], zero[2], zero[3], zero[4]);
	/* Where swap is on, MADV_PAGEOUT must have swapped every written page. */
	tap_result(!bad && (out == n || !swap_on()),
		   "audit: written pages read back after MADV_PAGEOUT (want %zu swapped%s, 0 bad; got %zu, %zu)",
		   n, swap_on() ? "" : " or no swap", out, bad);
	tap_result(walk >= (long)(6 * n),
		   "audit: walker_zero counts zero-page PTEs met by walkers (want >= %zu, got %ld)",
		   6 * n, walk);
	tap_result(zp_stat("audit_violations") == 0,
		   "audit: no zero pfn without the special bit (audit_violations: want 0, got %ld)",
		   zp_stat("audit_violations"));
	munmap(q, 2 * n * PAGE);
	free(buf);
}
