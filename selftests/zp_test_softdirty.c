// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test softdirty: read faults on private anonymous memory under
 * soft-dirty tracking (CRIU's incremental dumps).  A read must not make a
 * page look written.  Where tracking is on (clear_refs cleared the VMA's
 * VM_SOFTDIRTY), a read maps the zero page in both modes -- mode never
 * leaves it to the kernel, counted as passed -- and only the write that
 * follows dirties the PTE.  Without clear_refs the VMA is all soft-dirty
 * anyway and mode never gives private pages, so the write takes no fault.
 * Mode always is the stock kernel's behaviour.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "zp_test.h"

static void softdirty_case(const char *how, bool track, bool populate, bool never)
{
	size_t n = 64, zero, dirty, want_zero = never && !track ? 0 : n;
	char *p = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	struct zp_delta delta;
	long flt, *d;

	if (track)
		clear_soft_dirty();
	delta_start(&delta);
	if (!populate)
		touch_read(p, n);
	else if (madvise(p, n * PAGE, MADV_POPULATE_READ))
		die("MADV_POPULATE_READ");
	d = delta_end(&delta);
	zero = count_zero_pfns(p, n);
	dirty = count_pagemap_bit(p, n, PM_SOFT_DIRTY);
	tap_result(zero == want_zero && dirty == (track ? 0 : n),
		   "softdirty %s: read %s (want %zu zero PFNs, %zu soft-dirty; got %zu, %zu)",
		   how, track ? "after clear_refs" : "untracked", want_zero, track ? 0 : n, zero, dirty);
	if (never && track)
		tap_result(!d[ZP_PRIVATE] && d[ZP_PASSED] == (long)n,
			   "softdirty %s: tracked reads left to the kernel (want passed +%zu, private_mapped +0; got %+ld, %+ld)",
			   how, n, d[ZP_PASSED], d[ZP_PRIVATE]);
	else if (never)
		tap_result(d[ZP_PRIVATE] == (long)n,
			   "softdirty %s: untracked reads get private pages (want private_mapped +%zu, got %+ld)",
			   how, n, d[ZP_PRIVATE]);
	else
		tap_result(!d[ZP_PRIVATE] && d[ZP_ZERO] + d[ZP_PASSED] == (long)n,
			   "softdirty %s: zero_mapped + passed +%zu, private_mapped +0 (got %+ld, %+ld)",
			   how, n, d[ZP_ZERO] + d[ZP_PASSED], d[ZP_PRIVATE]);
	flt = min_faults();
	touch_write(p, n, 1);
	flt = min_faults() - flt;
	dirty = count_pagemap_bit(p, n, PM_SOFT_DIRTY);
	if (!want_zero)
		tap_result(flt <= 2 && dirty == n,
			   "softdirty %s: the write takes no fault, pages soft-dirty (want <= 2 faults, %zu dirty; got %ld, %zu)",
			   how, n, flt, dirty);
	else
		tap_result(flt >= (long)n && dirty == n && !count_zero_pfns(p, n),
			   "softdirty %s: each write faults, the page becomes private and soft-dirty (want >= %zu faults, %zu dirty, 0 zero; got %ld, %zu, %zu)",
			   how, n, n, flt, dirty, count_zero_pfns(p, n));
	munmap(p, n * PAGE);
}

/*
 * Does this kernel track soft-dirty at all (CONFIG_MEM_SOFT_DIRTY)?  A page
 * a new VMA gets by a write is soft-dirty wherever it does; the write is the
 * kernel's own fault, not one the module handles.
 */
static bool kernel_tracks_soft_dirty(void)
{
	char *p = map_anon(PAGE, PROT_READ | PROT_WRITE);
	bool tracks;

	touch_write(p, 1, 1);
	tracks = count_pagemap_bit(p, 1, PM_SOFT_DIRTY) == 1;
	munmap(p, PAGE);
	return tracks;
}

void test_softdirty(void)
{
	bool never = !strcmp(zp_get_mode(), "never");
	int status;
	pid_t pid;

	if (!kernel_tracks_soft_dirty()) {
		tap_skip("softdirty", "this kernel has no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)");
		return;
	}
	tap_diag("softdirty: mode %s", never ? "never" : "always");
	/* Untracked first: clear_refs write-protects this process's own pages. */
	softdirty_case("touch", false, false, never);
	softdirty_case("MADV_POPULATE_READ", false, true, never);
	softdirty_case("touch", true, false, never);
	softdirty_case("MADV_POPULATE_READ", true, true, never);
	pid = fork();
	if (pid == 0) {
		softdirty_case("fork child", true, false, never);
		_exit(zp_failures ? 1 : 0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		tap_result(false, "softdirty: the fork child's checks (exit status 0x%x)", status);
}
