/* SPDX-License-Identifier: GPL-2.0 */
/*
 * zp_test is one program in a few files, split by concern: zp_test.c (the
 * mode contracts, main), zp_test_vm.c (mappings and kernel features the
 * module must respect), zp_test_uffd.c (userfaultfd), zp_test_around.c
 * (fault-around, audit), zp_test_softdirty.c (soft-dirty tracking),
 * zp_test_states.c (kernel states set up on purpose, some by zp_testmod),
 * zp_test_cgroup.c (per-cgroup policies).
 */
#ifndef ZP_TEST_H
#define ZP_TEST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "lib/zp.h"

/* RssAnon may move by a few pages of the test's own (stdio, stack). */
#define RSS_SLACK_KB ((long)(16 * PAGE / 1024))

/* Bytes mapped by one page table (zp_table_span()), set in main(). */
extern unsigned long span;
/* How many page tables the @n pages at @p fall in. */
size_t tables_spanned(const char *p, size_t n);

/* The module's counters before a step, and how much each grew since. */
struct zp_delta {
	long v[ZP_NR_COUNTERS];
};
void delta_start(struct zp_delta *d);
/* Turn @d into the growth since delta_start(); returns @d->v. */
long *delta_end(struct zp_delta *d);

/* A write to @p raises SIGSEGV. */
bool write_faults(char *p);
/* @bytes of private anonymous memory aligned to @align (NOHUGEPAGE). */
char *map_aligned(size_t bytes, size_t align);
/* /dev/zp_testmod (selftests/kmod), open; dies without it. */
int testmod_open(void);

/*
 * A userfaultfd over @n fresh pages, registered with @mode, served by a
 * thread until uffd_stop(): missing faults get UFFDIO_ZEROPAGE, wp faults
 * UFFDIO_WRITEPROTECT off.  The thread never gives up on an idle wait.
 */
struct uffd_ctx {
	int uffd, stop[2];
	char *area;
	size_t n;
	pthread_t th;
	int faults, wp_faults, err;
	bool saw_write;
};
/* false (and errno) where userfaultfd or a @features bit is missing. */
bool uffd_start(struct uffd_ctx *c, size_t n, int mode, unsigned long long features);
void uffd_stop(struct uffd_ctx *c);
/* UFFDIO_WRITEPROTECT of @len bytes at @p on or off; errno or 0. */
int uffd_wp(struct uffd_ctx *c, char *p, size_t len, bool on);

void test_userfaultfd(void);
void test_uffd_wp(void);
void test_common(void);
void test_mode_vm(bool never);
void test_around(unsigned long bytes);
void test_audit(void);
void test_softdirty(void);
void test_unstable(void);
void test_audit_violation(void);
void test_unload_waits(void);
void test_unload_parked(void);
void test_unload_rtlock(void);
void test_squatted(void);
void test_cgroup(void);

#endif
