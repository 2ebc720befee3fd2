// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "zp.h"

int zp_failures;
unsigned long zp_page;
static const char *tap_failures;	/* $ZP_TAP_FAILURES (tap.sh's tap_prog) */

static void __attribute__((constructor)) zp_page_init(void)
{
	zp_page = sysconf(_SC_PAGESIZE);
	tap_failures = getenv("ZP_TAP_FAILURES");
}

/* One byte in $ZP_TAP_FAILURES per "not ok" printed; async-signal-safe. */
static void tap_note_failure(void)
{
	int fd;

	if (!tap_failures)
		return;
	fd = open(tap_failures, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return;		/* tap_prog then finds too few: a failure */
	if (write(fd, "x", 1) != 1)
		tap_failures = NULL;
	close(fd);
}

void tap_result(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s - ", ok ? "ok" : "not ok");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (!ok) {
		zp_failures++;
		tap_note_failure();
	}
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

void tap_skip(const char *name, const char *why)
{
	printf("ok - %s # SKIP %s\n", name, why);
	fflush(stdout);
}

void die(const char *fmt, ...)
{
	va_list ap;

	printf("not ok - fatal: ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", strerror(errno));
	tap_note_failure();
	exit(1);
}

char *map_anon(size_t bytes, int prot)
{
	char *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap %zu", bytes);
	/* EINVAL: a kernel without THP (the -rt flavours) has nothing to turn off. */
	if (madvise(p, bytes, MADV_NOHUGEPAGE) && errno != EINVAL)
		die("madvise NOHUGEPAGE");
	return p;
}

/* The start of @path as a string in @buf; false if it cannot be opened. */
static bool read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t len;

	if (fd < 0)
		return false;
	len = read(fd, buf, size - 1);
	buf[len > 0 ? len : 0] = '\0';
	close(fd);
	return true;
}

long read_long(const char *path)
{
	char buf[32];

	return read_text(path, buf, sizeof(buf)) ? strtol(buf, NULL, 10) : -1;
}

unsigned long thp_size(void)
{
	long size = read_long("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size");

	return size > 0 ? size : 0;
}

char *map_anon_thp(size_t bytes)
{
	size_t huge = thp_size();
	char *p = mmap(NULL, bytes + huge, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		die("mmap thp");
	p = (char *)(((uintptr_t)p + huge - 1) & ~(huge - 1));
	madvise(p, bytes, MADV_HUGEPAGE);
	return p;
}

static uint64_t pread_u64(const char *path, uint64_t index)
{
	uint64_t val = 0;
	int fd = open(path, O_RDONLY);

	if (fd < 0)
		die("open %s", path);
	if (pread(fd, &val, sizeof(val), index * sizeof(val)) != sizeof(val))
		die("pread %s", path);
	close(fd);
	return val;
}

/* /proc/@pid/@file, "self" for pid 0. */
static const char *proc_file(pid_t pid, const char *file)
{
	static char path[64];

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, file);
	else
		snprintf(path, sizeof(path), "/proc/self/%s", file);
	return path;
}

static uint64_t pagemap_entry_of(pid_t pid, uintptr_t addr)
{
	return pread_u64(proc_file(pid, "pagemap"), addr / PAGE);
}

uint64_t pagemap_entry(const void *addr)
{
	return pagemap_entry_of(0, (uintptr_t)addr);
}

static uint64_t pfn_of_pid(pid_t pid, uintptr_t addr)
{
	uint64_t e = pagemap_entry_of(pid, addr);

	return (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
}

uint64_t pfn_of(const void *addr)
{
	return pfn_of_pid(0, (uintptr_t)addr);
}

bool region_present(const void *addr)
{
	return pagemap_entry(addr) >> 63;
}

uint64_t kpageflags(uint64_t pfn)
{
	return pread_u64("/proc/kpageflags", pfn);
}

bool is_zero_pfn(uint64_t pfn)
{
	return pfn && ((kpageflags(pfn) >> KPF_ZERO_PAGE) & 1);
}

static long status_kb(const char *path, const char *key)
{
	char line[256];
	long val = -1;
	FILE *f = fopen(path, "r");

	if (!f)
		die("open %s", path);
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)))
			val = strtol(line + strlen(key), NULL, 10);
	fclose(f);
	return val;
}

long rss_anon_kb_of(pid_t pid)
{
	return status_kb(proc_file(pid, "status"), "RssAnon:");
}

long rss_anon_kb(void)
{
	return rss_anon_kb_of(0);
}

/* MemFree plus the pages parked on per-CPU free lists, which it omits. */
long mem_free_kb(void)
{
	char line[256];
	long pcp = 0;
	FILE *f = fopen("/proc/zoneinfo", "r");

	if (!f)
		die("open /proc/zoneinfo");
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "              count:", 20))
			pcp += strtol(line + 20, NULL, 10);
	fclose(f);
	return status_kb("/proc/meminfo", "MemFree:") + pcp * (PAGE / 1024);
}

long min_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

long zp_read(const char *file)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/kernel/mm/zeropage/%s", file);
	return read_long(path);
}

long zp_stat(const char *name)
{
	char file[64];

	snprintf(file, sizeof(file), "stats/%s", name);
	return zp_read(file);
}

int zp_write(const char *file, const char *val, size_t len)
{
	char path[128];
	int fd, ret = 0;

	snprintf(path, sizeof(path), "/sys/kernel/mm/zeropage/%s", file);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	if (write(fd, val, len) != (ssize_t)len)
		ret = -errno;
	close(fd);
	return ret;
}

void zp_set_mode(const char *mode)
{
	if (zp_write("enabled", mode, strlen(mode)))
		die("set mode %s", mode);
}

const char *zp_get_mode(void)
{
	char buf[32];

	if (!read_text("/sys/kernel/mm/zeropage/enabled", buf, sizeof(buf)))
		return NULL;
	return strstr(buf, "[never]") ? "never" : "always";
}

/*
 * A 64-bit kernel's PTE is 8 bytes; a 32-bit one's is 8 with PAE/LPAE, which
 * Debian builds as their own flavours named so (686-pae, armmp-lpae): the
 * release string is the one place a stock kernel says it, without a config.
 */
unsigned long zp_pte_bytes(void)
{
	struct utsname u;

	if (sizeof(long) == 8)
		return 8;
	return !uname(&u) && strstr(u.release, "pae") ? 8 : 4;
}

/*
 * A PMD entry maps one page table, so the kernel's own hpage_pmd_size is
 * its span wherever THP exists (also on arches whose tables are not one
 * page); without THP, a page of PTEs, but for s390, whose tables hold 256
 * entries (THP needs EDAT, which QEMU's TCG s390x lacks).
 */
unsigned long zp_table_span(void)
{
	unsigned long huge = thp_size();
	struct utsname u;

	if (huge)
		return huge;
	if (!uname(&u) && !strcmp(u.machine, "s390x"))
		return 256 * PAGE;
	return PAGE * (PAGE / zp_pte_bytes());
}

unsigned long touch_read(const char *p, size_t n)
{
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < n; i++)
		sum += *(volatile const char *)(p + i * PAGE);
	return sum;
}

void touch_write(char *p, size_t n, char val)
{
	size_t i;

	for (i = 0; i < n; i++)
		*(volatile char *)(p + i * PAGE) = val;
}

bool pagemap_bit(const void *addr, int bit)
{
	return (pagemap_entry(addr) >> bit) & 1;
}

size_t count_zero_pfns_of(pid_t pid, uintptr_t addr, size_t n)
{
	size_t i, zero = 0;

	for (i = 0; i < n; i++)
		zero += is_zero_pfn(pfn_of_pid(pid, addr + i * PAGE));
	return zero;
}

size_t count_zero_pfns(const char *p, size_t n)
{
	return count_zero_pfns_of(0, (uintptr_t)p, n);
}

size_t count_pagemap_bit(const char *p, size_t n, int bit)
{
	size_t i, set = 0;

	for (i = 0; i < n; i++)
		set += pagemap_bit(p + i * PAGE, bit);
	return set;
}

void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("write %s to %s", val, path);
	close(fd);
}

void cg_make(const char *cg)
{
	if (access(CG_ROOT "/cgroup.controllers", F_OK) &&
	    mount("cgroup2", CG_ROOT, "cgroup2", 0, NULL))
		die("mount cgroup2");
	write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	if (mkdir(cg, 0755))
		die("mkdir %s", cg);
}

long cg_read(const char *cg, const char *file, const char *key)
{
	char path[128], line[128];
	size_t klen = key ? strlen(key) : 0;
	long val = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", cg, file);
	f = fopen(path, "r");
	if (!f)
		die("open %s", path);
	while (fgets(line, sizeof(line), f))
		if (!key || (!strncmp(line, key, klen) && line[klen] == ' '))
			val = strtol(line + (key ? klen + 1 : 0), NULL, 10);
	fclose(f);
	return val;
}

static bool cg_gone(void *cg)
{
	return !rmdir(cg) || errno != EBUSY;
}

void cg_remove(const char *cg)
{
	/* The last task's exit is reaped before its cgroup lets go of it. */
	if (!wait_for(cg_gone, (void *)cg, 60))
		die("rmdir %s: still busy after 60 s", cg);
}

#define THP_DIR "/sys/kernel/mm/transparent_hugepage/"

/* The selected word of a THP setting ("[always] madvise never"), or a 0/1. */
static void thp_get(const char *file, char *buf, size_t size)
{
	char path[128], line[128], *b, *e;
	FILE *f;

	snprintf(path, sizeof(path), THP_DIR "%s", file);
	f = fopen(path, "r");
	if (!f || !fgets(line, sizeof(line), f))
		die("read %s", path);
	fclose(f);
	b = strchr(line, '[');
	b = b ? b + 1 : line;
	e = b + strcspn(b, "]\n");
	*e = '\0';
	snprintf(buf, size, "%s", b);
}

static void thp_set(const char *file, const char *val)
{
	char path[128];

	snprintf(path, sizeof(path), THP_DIR "%s", file);
	write_file(path, val);
}

void thp_push(struct thp_saved *was, const char *enabled, const char *defrag,
	      const char *use_zero_page)
{
	thp_get("enabled", was->enabled, sizeof(was->enabled));
	thp_get("defrag", was->defrag, sizeof(was->defrag));
	thp_get("use_zero_page", was->use_zero_page, sizeof(was->use_zero_page));
	thp_set("enabled", enabled);
	thp_set("defrag", defrag);
	thp_set("use_zero_page", use_zero_page);
}

void thp_pop(const struct thp_saved *was)
{
	thp_set("use_zero_page", was->use_zero_page);
	thp_set("defrag", was->defrag);
	thp_set("enabled", was->enabled);
}

long rollup_kb(const char *key)
{
	return status_kb("/proc/self/smaps_rollup", key);
}

void clear_soft_dirty(void)
{
	write_file("/proc/self/clear_refs", "4");
}

bool all_bytes(const char *p, size_t len, char val)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != val)
			return false;
	return true;
}

static const char *watchdog_what;
static unsigned int watchdog_seconds;

static void watchdog_fired(int sig __attribute__((unused)))
{
	char line[256];
	int len = snprintf(line, sizeof(line), "not ok - %s: no progress within %u s\n",
			   watchdog_what, watchdog_seconds);

	if (write(STDOUT_FILENO, line, len) < 0)
		_exit(2);
	tap_note_failure();
	_exit(1);
}

void watchdog(unsigned int seconds, const char *what)
{
	watchdog_what = what;
	watchdog_seconds = seconds;
	fflush(stdout);
	signal(SIGALRM, watchdog_fired);
	alarm(seconds);
}

bool wait_for(bool (*cond)(void *arg), void *arg, double timeout_s)
{
	double end = now_s() + timeout_s;

	while (!cond(arg)) {
		if (now_s() > end)
			return false;
		usleep(10000);
	}
	return true;
}

long meminfo_kb(const char *key)
{
	return status_kb("/proc/meminfo", key);
}

/* Some swap device or file is on (/proc/swaps lists one). */
bool swap_on(void)
{
	char buf[512];

	return read_text("/proc/swaps", buf, sizeof(buf)) && strchr(buf, '\n') &&
	       strchr(buf, '\n')[1];
}

/* The first CPU's "flags" line in /proc/cpuinfo has the word @flag. */
bool cpu_has(const char *flag)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096], *word, *save;
	bool found = false;

	while (f && !found && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) || !strchr(line, ':'))
			continue;
		for (word = strtok_r(strchr(line, ':') + 1, " \t\n", &save); word && !found;
		     word = strtok_r(NULL, " \t\n", &save))
			found = !strcmp(word, flag);
		break;
	}
	if (f)
		fclose(f);
	return found;
}

double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

uint64_t rnd(uint64_t *state)
{
	*state ^= *state >> 12;
	*state ^= *state << 25;
	*state ^= *state >> 27;
	return *state * 0x2545F4914F6CDD1DULL;
}

const char *const zp_counter_names[ZP_NR_COUNTERS] = {
	[ZP_ZERO] = "zero_mapped",
	[ZP_PRIVATE] = "private_mapped",
	[ZP_PASSED] = "passed",
	[ZP_COW] = "cow_from_zero",
	[ZP_AROUND] = "around_mapped",
};

bool zp_counters(long *v)
{
	int i;

	for (i = 0; i < ZP_NR_COUNTERS; i++) {
		v[i] = zp_stat(zp_counter_names[i]);
		if (v[i] < 0) {
			memset(v, 0, ZP_NR_COUNTERS * sizeof(*v));
			return false;
		}
	}
	return true;
}

int zp_module_load(const char *params)
{
	int fd = open(ZP_KO, O_RDONLY | O_CLOEXEC), ret = 0;

	if (fd < 0)
		die("open %s", ZP_KO);
	if (syscall(SYS_finit_module, fd, params, 0))
		ret = -errno;
	close(fd);
	return ret;
}

int zp_module_unload(void)
{
	int tries;

	/* A module still settling after its load reports busy: retry briefly. */
	for (tries = 0; tries < 1000; tries++) {
		if (!syscall(SYS_delete_module, "zeropage", O_NONBLOCK))
			return 0;
		if (errno != EAGAIN && errno != EBUSY)
			break;
		usleep(1000);
	}
	return -errno;
}

/*
 * What the module said of its last unload: how many diverted faults
 * returned while it unloaded, and how many of them were in flight as it
 * began.  From @kmsg (/dev/kmsg opened before the unload), read up to its
 * end; false if no such line came.
 */
bool zp_unload_report(int kmsg, unsigned long *returned, unsigned long *inflight)
{
	char msg[256];

	return kmsg_find(kmsg, "zeropage: unload: ", msg, sizeof(msg)) &&
	       sscanf(msg, "zeropage: unload: %lu diverted faults returned while unloading, %lu of them",
		      returned, inflight) == 2;
}

bool kmsg_find(int kmsg, const char *text, char *out, size_t len)
{
	char rec[1024], *msg, *end;
	bool found = false;
	ssize_t n;

	while ((n = read(kmsg, rec, sizeof(rec) - 1)) > 0 || (n < 0 && errno == EPIPE)) {
		if (n < 0)
			continue;	/* records overwritten before we read them */
		rec[n] = '\0';
		msg = strstr(rec, text);
		if (!msg)
			continue;
		end = strchr(msg, '\n');
		if (end)
			*end = '\0';
		snprintf(out, len, "%s", msg);
		found = true;
	}
	return found;
}

bool zp_module_loaded(void)
{
	return !access("/sys/module/zeropage/initstate", F_OK);
}
