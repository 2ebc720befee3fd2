/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-side test helpers: TAP output, and reading what the kernel really
 * did (pagemap PFNs, kpageflags, RSS, fault counts, module counters).
 */
#ifndef ZP_SELFTEST_H
#define ZP_SELFTEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* The page size, from sysconf(_SC_PAGESIZE) before main() runs. */
extern unsigned long zp_page;
#define PAGE zp_page
#define ZP_KO "/lib/modules/zeropage.ko"
#define KPF_ANON 12
#define KPF_THP 22
#define KPF_ZERO_PAGE 24
/* pagemap bits: soft-dirty, uffd-wp (PTE or marker), swapped, present. */
#define PM_SOFT_DIRTY 55
#define PM_UFFD_WP 57
#define PM_SWAP 62

extern int zp_failures;

void tap_result(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void tap_skip(const char *name, const char *why);
void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

/* Private anonymous memory, small pages only (MADV_NOHUGEPAGE). */
char *map_anon(size_t bytes, int prot);
/* The THP size (hpage_pmd_size), 0 without THP; memory aligned to it. */
unsigned long thp_size(void);
char *map_anon_thp(size_t bytes);
/*
 * The THP settings a test changes (/sys/kernel/mm/transparent_hugepage/
 * enabled, defrag, use_zero_page): thp_push() saves them into @was and
 * sets them, thp_pop() puts back what was saved.
 */
struct thp_saved {
	char enabled[128], defrag[128], use_zero_page[128];
};
void thp_push(struct thp_saved *was, const char *enabled, const char *defrag,
	      const char *use_zero_page);
void thp_pop(const struct thp_saved *was);
/* A "KEY: N kB" line of /proc/self/smaps_rollup (AnonHugePages). */
long rollup_kb(const char *key);

/* pagemap: the raw entry, and the PFN of @addr (0 if not present). */
uint64_t pagemap_entry(const void *addr);
uint64_t pfn_of(const void *addr);
uint64_t kpageflags(uint64_t pfn);
bool is_zero_pfn(uint64_t pfn);
bool region_present(const void *addr);
/* pagemap bit @bit of @addr (PM_SOFT_DIRTY, PM_UFFD_WP, PM_SWAP). */
bool pagemap_bit(const void *addr, int bit);
/* How many of @n pages from @p map the zero page; have pagemap bit @bit. */
size_t count_zero_pfns(const char *p, size_t n);
/* The same for the @n pages from @addr of process @pid (0: this one). */
size_t count_zero_pfns_of(pid_t pid, uintptr_t addr, size_t n);
size_t count_pagemap_bit(const char *p, size_t n, int bit);
/* echo 4 >/proc/self/clear_refs: PTEs and VMAs of this mm not soft-dirty. */
void clear_soft_dirty(void);
bool all_bytes(const char *p, size_t len, char val);
/* Write @val to @path; die on failure. */
/* The number in @path, -1 if it cannot be read. */
long read_long(const char *path);
void write_file(const char *path, const char *val);
/*
 * cgroup v2 (mounted on /sys/fs/cgroup if need be): make @cg with the
 * memory controller, read a number from one of its files (the whole file,
 * or the line "KEY N"), remove it once its last task is gone.
 */
#define CG_ROOT "/sys/fs/cgroup"
void cg_make(const char *cg);
long cg_read(const char *cg, const char *file, const char *key);
void cg_remove(const char *cg);
/*
 * A step that may hang (a fault the kernel retries forever): after
 * @seconds print "not ok - @what: no progress ..." and exit 1; 0 disarms.
 */
void watchdog(unsigned int seconds, const char *what);
/*
 * Wait up to @timeout_s seconds for @cond(@arg), polling every 10 ms:
 * true once it holds, false on timeout.
 */
bool wait_for(bool (*cond)(void *arg), void *arg, double timeout_s);

long rss_anon_kb(void);
long rss_anon_kb_of(pid_t pid);	/* 0: this process */
long mem_free_kb(void);
long meminfo_kb(const char *key);
long min_faults(void);
double now_s(void);
/* Swap is on; the CPU flag @flag of /proc/cpuinfo is set (x86: pku, ospke). */
bool swap_on(void);
bool cpu_has(const char *flag);

/* xorshift64*: cheap per-thread randomness; *state must not start at 0. */
uint64_t rnd(uint64_t *state);

/* /sys/kernel/mm/zeropage: a file's number (-1 if absent), a counter. */
long zp_read(const char *file);
long zp_stat(const char *name);
int zp_write(const char *file, const char *val, size_t len);
void zp_set_mode(const char *mode);
/* The current mode, "always" or "never"; NULL if the module is not loaded. */
const char *zp_get_mode(void);
/*
 * The bytes of one PTE and the span of one page table (PTRS_PER_PTE pages,
 * the largest fault_around_bytes), derived from the kernel, not the module.
 */
unsigned long zp_pte_bytes(void);
unsigned long zp_table_span(void);

/* The stats/ counters the stress tests report, in zp_counter_names order. */
enum { ZP_ZERO, ZP_PRIVATE, ZP_PASSED, ZP_COW, ZP_AROUND, ZP_NR_COUNTERS };
extern const char *const zp_counter_names[ZP_NR_COUNTERS];
/* Read them all into @v; false (and @v zeroed) if the module is not loaded. */
bool zp_counters(long *v);

/* finit_module(ZP_KO, @params) and delete_module(): 0 or -errno. */
int zp_module_load(const char *params);
int zp_module_unload(void);
/* The unload's report: faults returned while unloading, in flight as it began. */
bool zp_unload_report(int kmsg, unsigned long *returned, unsigned long *inflight);
/*
 * The last kernel message from @kmsg (/dev/kmsg opened non-blocking, read
 * up to its end) containing @text, from @text on, into @out.
 */
bool kmsg_find(int kmsg, const char *text, char *out, size_t len);
bool zp_module_loaded(void);

/* Read @n pages from @p, return the sum of the first byte of each. */
unsigned long touch_read(const char *p, size_t n);
void touch_write(char *p, size_t n, char val);

#endif
