// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "zp.h"

int zp_failures;
unsigned long zp_page;

static void __attribute__((constructor)) zp_page_init(void)
{
	zp_page = sysconf(_SC_PAGESIZE);
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
	if (!ok)
		zp_failures++;
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

/* The number in @path, -1 if it cannot be read. */
static long read_long(const char *path)
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

uint64_t pagemap_entry(const void *addr)
{
	return pread_u64("/proc/self/pagemap", (uintptr_t)addr / PAGE);
}

uint64_t pfn_of(const void *addr)
{
	uint64_t e = pagemap_entry(addr);

	return (e >> 63) & 1 ? e & ((1ULL << 55) - 1) : 0;
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

long rss_anon_kb(void)
{
	return status_kb("/proc/self/status", "RssAnon:");
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

unsigned long zp_table_span(void)
{
	long saved = zp_read("fault_around_bytes");
	unsigned long bytes, span = 0;
	char val[32];

	if (saved < 0)
		return 0;
	/* Bounded, so that a module accepting anything cannot loop forever. */
	for (bytes = PAGE; bytes <= 1UL << 30; bytes *= 2) {
		snprintf(val, sizeof(val), "%lu", bytes);
		if (zp_write("fault_around_bytes", val, strlen(val)))
			break;
		span = bytes;
	}
	snprintf(val, sizeof(val), "%ld", saved);
	if (zp_write("fault_around_bytes", val, strlen(val)))
		die("restore fault_around_bytes %s", val);
	return span;
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

long meminfo_kb(const char *key)
{
	return status_kb("/proc/meminfo", key);
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

bool zp_module_loaded(void)
{
	return !access("/sys/module/zeropage/initstate", F_OK);
}
