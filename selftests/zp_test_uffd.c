// SPDX-License-Identifier: GPL-2.0
/*
 * zp_test: userfaultfd.  A registered range is the kernel's: missing-mode
 * reads reach the handler as reads; a write-protected range keeps its wp
 * state (PTE markers included) through read faults, so every write still
 * reaches the handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zp_test.h"

#ifndef UFFD_FEATURE_WP_UNPOPULATED
#define UFFD_FEATURE_WP_UNPOPULATED (1 << 13)	/* 6.4 */
#endif

static void *uffd_handler(void *arg)
{
	struct uffd_ctx *c = arg;
	struct pollfd pfd[2] = {
		{ .fd = c->uffd, .events = POLLIN }, { .fd = c->stop[0], .events = POLLIN },
	};
	struct uffd_msg msg;

	/* No timeout: a slow TCG step must not leave a fault unserved. */
	while (poll(pfd, 2, -1) > 0 && !(pfd[1].revents & POLLIN)) {
		if (read(c->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
		    msg.event != UFFD_EVENT_PAGEFAULT)
			continue;
		char *page = (char *)(uintptr_t)(msg.arg.pagefault.address & ~(PAGE - 1));

		if (msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP) {
			c->wp_faults++;
			c->err = uffd_wp(c, page, PAGE, false) ?: c->err;
			continue;
		}
		c->faults++;
		c->saw_write |= msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WRITE;
		struct uffdio_zeropage zp = { .range = { (uintptr_t)page, PAGE } };

		if (ioctl(c->uffd, UFFDIO_ZEROPAGE, &zp))
			c->err = errno;
	}
	return NULL;
}

/*
 * A userfaultfd with @features, registering in @mode: -1 where the kernel
 * lacks either (write-protect needs the architecture's uffd-wp PTE bit,
 * which 6.1 has only on x86: the API then does not report
 * UFFD_FEATURE_PAGEFAULT_FLAG_WP).
 */
static int uffd_open(unsigned long long features, int mode)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	int fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd >= 0 && (ioctl(fd, UFFDIO_API, &api) ||
			((mode & UFFDIO_REGISTER_MODE_WP) &&
			 !(api.features & UFFD_FEATURE_PAGEFAULT_FLAG_WP)))) {
		close(fd);
		return -1;
	}
	return fd;
}

bool uffd_start(struct uffd_ctx *c, size_t n, int mode, unsigned long long features)
{
	struct uffdio_register reg = { .mode = mode };

	memset(c, 0, sizeof(*c));
	c->uffd = uffd_open(features, mode);
	if (c->uffd < 0)
		return false;
	c->n = n;
	c->area = map_anon(n * PAGE, PROT_READ | PROT_WRITE);
	reg.range.start = (uintptr_t)c->area;
	reg.range.len = n * PAGE;
	if (ioctl(c->uffd, UFFDIO_REGISTER, &reg))
		die("UFFDIO_REGISTER mode %d", mode);
	if (pipe(c->stop))
		die("pipe");
	pthread_create(&c->th, NULL, uffd_handler, c);
	return true;
}

void uffd_stop(struct uffd_ctx *c)
{
	if (write(c->stop[1], "", 1) != 1)
		die("stop the userfaultfd handler");
	pthread_join(c->th, NULL);
	close(c->uffd);
	close(c->stop[0]);
	close(c->stop[1]);
	munmap(c->area, c->n * PAGE);
}

int uffd_wp(struct uffd_ctx *c, char *p, size_t len, bool on)
{
	struct uffdio_writeprotect wp = {
		.range = { (uintptr_t)p, len }, .mode = on ? UFFDIO_WRITEPROTECT_MODE_WP : 0,
	};

	return ioctl(c->uffd, UFFDIO_WRITEPROTECT, &wp) ? errno : 0;
}

void test_userfaultfd(void)
{
	struct uffd_ctx c;
	struct zp_delta delta;
	size_t n = 32;
	unsigned long sum;
	long *d;

	if (!uffd_start(&c, n, UFFDIO_REGISTER_MODE_MISSING, 0)) {
		tap_skip("userfaultfd: reads reach the handler as reads", "no userfaultfd");
		return;
	}
	delta_start(&delta);
	sum = touch_read(c.area, n);
	d = delta_end(&delta);
	tap_result(sum == 0 && c.faults == (int)n && !c.saw_write && !c.err,
		   "userfaultfd: reads reach the handler as reads (want %zu faults, write 0; got %d, %d; handler errno %d)",
		   n, c.faults, c.saw_write, c.err);
	tap_result(count_zero_pfns(c.area, n) == n,
		   "userfaultfd: UFFDIO_ZEROPAGE maps the zero page (want %zu, got %zu)",
		   n, count_zero_pfns(c.area, n));
	tap_result(!d[ZP_ZERO] && !d[ZP_PRIVATE],
		   "userfaultfd: the module left the range alone (want zero_mapped +0, private_mapped +0; got %+ld, %+ld)",
		   d[ZP_ZERO], d[ZP_PRIVATE]);
	uffd_stop(&c);
}

/*
 * uffd-wp: a read of a write-protected range is the kernel's, which keeps
 * the wp bit on the zero-page PTE it maps (from the PTE marker where
 * UFFD_FEATURE_WP_UNPOPULATED puts one in every empty PTE); every write
 * then still reaches the handler as a wp fault.
 */
void test_uffd_wp(void)
{
	struct uffd_ctx c;
	struct zp_delta delta;
	size_t n = 32, marked = n, zero, wp;
	bool markers = true;
	long *d;
	int err;

	if (!uffd_start(&c, n, UFFDIO_REGISTER_MODE_WP, UFFD_FEATURE_WP_UNPOPULATED)) {
		markers = false;
		if (!uffd_start(&c, n, UFFDIO_REGISTER_MODE_WP, 0)) {
			tap_skip("uffd-wp: reads left to the kernel", "no uffd-wp");
			return;
		}
	}
	/* Markers in the empty PTEs, or (without) the zero pages protected. */
	if (markers) {
		err = uffd_wp(&c, c.area, n * PAGE, true);
		marked = count_pagemap_bit(c.area, n, PM_UFFD_WP);
	}
	/* A module that takes the marker for a mapped PTE retries forever. */
	watchdog(60, "uffd-wp: reads of write-protected PTEs");
	delta_start(&delta);
	touch_read(c.area, n);
	d = delta_end(&delta);
	watchdog(0, NULL);
	if (!markers)
		err = uffd_wp(&c, c.area, n * PAGE, true);
	zero = count_zero_pfns(c.area, n);
	wp = count_pagemap_bit(c.area, n, PM_UFFD_WP);
	tap_result(!err && marked == n && zero == n && wp == n && !d[ZP_ZERO] && !d[ZP_PRIVATE],
		   "uffd-wp%s: reads left to the kernel (want %zu marked, %zu zero, %zu wp, counters +0; got %zu, %zu, %zu, zero %+ld private %+ld; errno %d)",
		   markers ? " markers" : "", n, n, n, marked, zero, wp, d[ZP_ZERO], d[ZP_PRIVATE], err);
	touch_write(c.area, n, 'w');
	tap_result(c.wp_faults == (int)n && !c.faults && !c.err && all_bytes(c.area, 1, 'w'),
		   "uffd-wp%s: every write reaches the handler (want %zu wp faults, 0 missing; got %d, %d; handler errno %d)",
		   markers ? " markers" : "", n, c.wp_faults, c.faults, c.err);
	uffd_stop(&c);
}
