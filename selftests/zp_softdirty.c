// SPDX-License-Identifier: GPL-2.0
/*
 * Soft-dirty and the zeropage module, run inside the test guests.
 *
 *   zp_softdirty stock|always|never
 *
 * Memory that was only read must not be reported as written (pagemap bit
 * 55) once tracking is on (clear_refs), and no write after clear_refs may
 * go unrecorded.  Mode never leaves read faults under tracking to the
 * kernel's zero page; without tracking it keeps read-then-write at one
 * fault per page.  stock and always expect the kernel's own behaviour.
 * Each case runs in the process and again in a fork()ed child.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/zp.h"

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22
#endif

#define PAGES 64
#define PM_SOFT_DIRTY 55

enum access { READ, POPULATE_READ, READ_THEN_WRITE };
static const char *const access_names[] = { "read", "MADV_POPULATE_READ", "read then write" };

static bool never;		/* the module in mode never */
static const char *who = "";	/* "" or "child: " */

static void clear_soft_dirty(void)
{
	int fd = open("/proc/self/clear_refs", O_WRONLY);

	if (fd < 0 || write(fd, "4", 1) != 1)
		die("clear_refs");
	close(fd);
}

static size_t count_soft_dirty(const char *p)
{
	size_t i, n = 0;

	for (i = 0; i < PAGES; i++)
		n += (pagemap_entry(p + i * PAGE) >> PM_SOFT_DIRTY) & 1;
	return n;
}

static size_t count_zero(const char *p)
{
	size_t i, n = 0;

	for (i = 0; i < PAGES; i++)
		n += is_zero_pfn(pfn_of(p + i * PAGE));
	return n;
}

/* One access kind on a fresh range, with tracking on (@tracked) or off. */
static void check_case(enum access how, bool tracked)
{
	char *p = map_anon(PAGES * PAGE, PROT_READ | PROT_WRITE);
	const char *name = access_names[how];
	const char *state = tracked ? "after clear_refs" : "tracking off";
	/* Mode never maps private pages only where no tracking is on. */
	size_t want_zero = never && !tracked ? 0 : PAGES;
	size_t dirty, zero;
	long flt;

	if (tracked)
		clear_soft_dirty();
	if (how == POPULATE_READ) {
		if (madvise(p, PAGES * PAGE, MADV_POPULATE_READ))
			die("MADV_POPULATE_READ");
	} else if (touch_read(p, PAGES)) {
		tap_result(false, "%ssoft-dirty %s, %s: fresh pages read as zero", who, name, state);
	}
	dirty = count_soft_dirty(p);
	zero = count_zero(p);
	/* A fresh VMA is soft-dirty as a whole until clear_refs. */
	tap_result(dirty == (tracked ? 0 : PAGES),
		   "%ssoft-dirty %s, %s: %zu of %d pages soft-dirty (want %d)", who, name, state,
		   dirty, PAGES, tracked ? 0 : PAGES);
	tap_result(zero == want_zero, "%ssoft-dirty %s, %s: %zu zero pages (want %zu)",
		   who, name, state, zero, want_zero);
	if (how == READ_THEN_WRITE) {
		flt = min_faults();
		touch_write(p, PAGES, 1);
		flt = min_faults() - flt;
		dirty = count_soft_dirty(p);
		tap_result(dirty == PAGES,
			   "%ssoft-dirty %s, %s: every written page soft-dirty (%zu of %d)",
			   who, name, state, dirty, PAGES);
		/* One write fault per page read as zero page, none on a private one. */
		tap_result(flt >= (long)want_zero && flt <= (long)want_zero + 2,
			   "%ssoft-dirty %s, %s: the writes took %ld faults (want %zu)",
			   who, name, state, flt, want_zero);
	}
	munmap(p, PAGES * PAGE);
}

static void check_all(void)
{
	enum access how;

	for (how = READ; how <= READ_THEN_WRITE; how++) {
		check_case(how, false);
		check_case(how, true);
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	int status;
	pid_t pid;

	if (strcmp(mode, "stock") && strcmp(mode, "always") && strcmp(mode, "never")) {
		fprintf(stderr, "usage: zp_softdirty stock|always|never\n");
		return 2;
	}
	never = !strcmp(mode, "never");
	check_all();
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		die("fork");
	if (pid == 0) {
		who = "child: ";
		check_all();
		_exit(zp_failures ? 1 : 0);
	}
	if (waitpid(pid, &status, 0) != pid)
		die("waitpid");
	tap_result(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		   "soft-dirty: the fork()ed child passed (status %#x)", status);
	return zp_failures ? 1 : 0;
}
