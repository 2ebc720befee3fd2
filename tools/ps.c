// SPDX-License-Identifier: GPL-2.0
/*
 * zeropagectl ps: for each process, how many resident pages of its anonymous
 * mappings are private, map the 4 KiB zero page, or map the huge zero page.
 *
 * /proc/PID/pagemap gives each virtual page's PFN (0 unless the reader has
 * CAP_SYS_ADMIN) and /proc/kpageflags each PFN's flags: KPF_ZERO_PAGE marks
 * the 4 KiB zero page and every page of the huge zero page, which alone also
 * has KPF_THP.  Both files are read in batches of up to 64Ki entries.
 *
 * Each process's policy is the mode its faults get: that of the nearest
 * cgroup above it with an entry in zeropage/cgroups, else the global one.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "zeropagectl.h"

#define PM_PRESENT	(1ULL << 63)
#define PM_PFN_MASK	((1ULL << 55) - 1)
#define KPF_THP		(1ULL << 22)
#define KPF_ZERO_PAGE	(1ULL << 24)

#define BATCH		65536	/* entries per pread() of either file */
#define PFN_GAP		64	/* reading over a smaller hole beats another pread() */

struct zp_proc {
	pid_t pid;
	char comm[64];
	unsigned long long anon, zero, hzero;	/* pages */
	const char *policy;			/* NULL: unknown */
	const char *policy_from;		/* a cgroup or "global" */
};

struct zp_scan {
	int kpageflags;
	uint64_t *pagemap;	/* BATCH entries each */
	uint64_t *pfns;
	uint64_t *flags;
	bool no_pfn;		/* a present page read as PFN 0 */
};

static long page_size;

/*
 * The zero pages only ever back anonymous VMAs: no file, [heap], [stack],
 * [anon:NAME], or a private /dev/zero mapping (which mmap makes anonymous).
 * Inaccessible ones are skipped: they are mostly large reservations, and
 * cannot take read faults.
 */
static bool anon_mapping(const char *perms, const char *path)
{
	if (!strncmp(perms, "---", 3))
		return false;
	return !*path || !strcmp(path, "[heap]") || !strncmp(path, "[stack", 6) ||
	       !strncmp(path, "[anon:", 6) ||
	       (perms[3] == 'p' && !strcmp(path, "/dev/zero"));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/* Count @nr present PFNs by their flags; one pread() per run of near PFNs. */
static int classify(struct zp_scan *s, size_t nr, struct zp_proc *p)
{
	size_t i = 0, j;

	qsort(s->pfns, nr, sizeof(*s->pfns), cmp_u64);
	while (i < nr) {
		uint64_t first = s->pfns[i];
		ssize_t got;

		for (j = i + 1; j < nr && s->pfns[j] - first < BATCH &&
		     s->pfns[j] - s->pfns[j - 1] <= PFN_GAP; j++)
			;
		got = pread(s->kpageflags, s->flags,
			    (s->pfns[j - 1] - first + 1) * sizeof(uint64_t),
			    first * sizeof(uint64_t));
		if (got < 0)
			return -errno;
		for (; i < j; i++) {
			uint64_t k = s->pfns[i] - first;
			uint64_t f = k < got / sizeof(uint64_t) ? s->flags[k] : 0;

			if (!(f & KPF_ZERO_PAGE))
				p->anon++;
			else if (f & KPF_THP)
				p->hzero++;
			else
				p->zero++;
		}
	}
	return 0;
}

static int scan_range(struct zp_scan *s, int pagemap, uint64_t start,
		      uint64_t end, struct zp_proc *p)
{
	uint64_t vpn = start / page_size, last = end / page_size;

	while (vpn < last) {
		size_t n = last - vpn < BATCH ? last - vpn : BATCH, nr = 0;
		ssize_t got = pread(pagemap, s->pagemap, n * sizeof(uint64_t),
				    vpn * sizeof(uint64_t));
		int err;

		if (got < 0)
			return -errno;
		n = got / sizeof(uint64_t);
		if (!n)
			break;
		for (size_t i = 0; i < n; i++) {
			uint64_t e = s->pagemap[i];

			if (!(e & PM_PRESENT))
				continue;
			if (!(e & PM_PFN_MASK)) {
				s->no_pfn = true;
				return 0;
			}
			s->pfns[nr++] = e & PM_PFN_MASK;
		}
		err = classify(s, nr, p);
		if (err)
			return err;
		vpn += n;
	}
	return 0;
}

/* Fill in @p for p->pid: 0 or -errno. */
static int scan_proc(struct zp_scan *s, struct zp_proc *p)
{
	const char *proc = zp_proc_root();
	char path[512], *line = NULL;
	size_t len = 0;
	FILE *maps;
	int pagemap, err = 0;

	snprintf(path, sizeof(path), "%s/%d/maps", proc, p->pid);
	maps = fopen(path, "r");
	if (!maps)
		return -errno;
	snprintf(path, sizeof(path), "%s/%d/pagemap", proc, p->pid);
	pagemap = open(path, O_RDONLY);
	if (pagemap < 0) {
		err = -errno;
		fclose(maps);
		return err;
	}
	while (!err && !s->no_pfn && getline(&line, &len, maps) > 0) {
		unsigned long long start, end;
		char perms[5];
		int off = 0;

		line[strcspn(line, "\n")] = '\0';
		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n",
			   &start, &end, perms, &off) == 3 && off &&
		    anon_mapping(perms, line + off))
			err = scan_range(s, pagemap, start, end, p);
	}
	free(line);
	close(pagemap);
	fclose(maps);

	snprintf(path, sizeof(path), "%s/%d/comm", proc, p->pid);
	if (!zp_read_line(path, p->comm, sizeof(p->comm)))
		strcpy(p->comm, "?");
	return err;
}

static int pid_error(pid_t pid, int err)
{
	if (err == ENOENT || err == ESRCH)
		return zp_error(ZP_EXIT_ERROR, "ps: no such process: %d", pid);
	if (err == EACCES || err == EPERM)
		return zp_error(ZP_EXIT_PERM, "ps: cannot read process %d: %s%s",
				pid, strerror(err), zp_root_hint());
	return zp_error(ZP_EXIT_ERROR, "ps: cannot read process %d: %s",
			pid, strerror(err));
}

struct zp_list {
	struct zp_proc *procs;
	size_t nr, cap;
};

static struct zp_proc *list_add(struct zp_list *l, pid_t pid)
{
	if (l->nr == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		struct zp_proc *procs = realloc(l->procs, cap * sizeof(*procs));

		if (!procs)
			return NULL;
		l->procs = procs;
		l->cap = cap;
	}
	l->procs[l->nr] = (struct zp_proc){ .pid = pid };
	return &l->procs[l->nr++];
}

/* The PIDs given, or every process with resident anonymous memory. */
static int collect(const struct zp_args *a, struct zp_scan *s, struct zp_list *l)
{
	struct dirent *de;
	int ret = ZP_EXIT_OK;
	DIR *dir;

	for (int i = 0; i < a->nr_pids; i++) {
		struct zp_proc *p = list_add(l, a->pids[i]);
		int err;

		if (!p)
			return zp_error(ZP_EXIT_ERROR, "out of memory");
		err = scan_proc(s, p);
		if (err) {
			ret = pid_error(p->pid, -err);
			l->nr--;
		}
	}
	if (a->nr_pids)
		return ret;

	dir = opendir(zp_proc_root());
	if (!dir)
		return zp_error(ZP_EXIT_ERROR, "ps: cannot list %s: %s",
				zp_proc_root(), strerror(errno));
	while ((de = readdir(dir)) && !s->no_pfn) {
		struct zp_proc *p;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0)
			continue;
		p = list_add(l, pid);
		if (!p) {
			ret = zp_error(ZP_EXIT_ERROR, "out of memory");
			break;
		}
		/* Kernel threads, and processes gone or unreadable, drop out. */
		if (scan_proc(s, p) || !(p->anon + p->zero + p->hzero))
			l->nr--;
	}
	closedir(dir);
	return ret;
}

static enum zp_sort sort_key;

static unsigned long long sort_value(const struct zp_proc *p)
{
	switch (sort_key) {
	case ZP_SORT_ANON:
		return p->anon;
	case ZP_SORT_ZERO:
		return p->zero;
	case ZP_SORT_HZERO:
		return p->hzero;
	default:
		return p->zero + p->hzero;
	}
}

/* PID and COMM ascending, counts largest first; ties by PID. */
static int cmp_proc(const void *a, const void *b)
{
	const struct zp_proc *p = a, *q = b;
	int c = 0;

	if (sort_key == ZP_SORT_COMM) {
		c = strcmp(p->comm, q->comm);
	} else if (sort_key != ZP_SORT_PID) {
		unsigned long long x = sort_value(p), y = sort_value(q);

		c = (x < y) - (x > y);
	}
	return c ? c : (p->pid > q->pid) - (p->pid < q->pid);
}

static void human_size(char *buf, size_t len, unsigned long long bytes)
{
	static const char units[] = "BKMGTPE";
	double v = bytes;
	int u = 0;

	while (v >= 1024 && units[u + 1]) {
		v /= 1024;
		u++;
	}
	snprintf(buf, len, u && v < 10 ? "%.1f%c" : "%.0f%c", v, units[u]);
}

static void find_policies(struct zp_list *l, const struct zp_policies *t)
{
	for (size_t i = 0; i < l->nr; i++) {
		struct zp_proc *p = &l->procs[i];

		p->policy = zp_policy_of(t, p->pid, &p->policy_from);
	}
}

/* The POLICY column's text: "MODE(FROM)", or "-". */
static int policy_width(const struct zp_proc *p)
{
	return p->policy ? strlen(p->policy) + strlen(p->policy_from) + 2 : 1;
}

static void print_row(bool human, int width, const char *pid,
		      const struct zp_proc *p)
{
	unsigned long long pages[] = { p->anon, p->zero, p->hzero, p->zero + p->hzero };
	int pad = width - policy_width(p);
	char buf[32];

	printf("%7s", pid);
	for (size_t i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		if (human)
			human_size(buf, sizeof(buf), pages[i] * page_size);
		else
			snprintf(buf, sizeof(buf), "%llu", pages[i]);
		printf(" %10s", buf);
	}
	if (p->policy)
		printf("  %s(%s)%*s", p->policy, p->policy_from, pad, "");
	else
		printf("  -%*s", pad, "");
	printf("  %s\n", p->comm);
}

static void print_policy_json(const struct zp_proc *p)
{
	const char *from = p->policy ? p->policy_from : NULL;

	printf("\"policy\":");
	zp_json_string_or_null(p->policy);
	printf(",\"policy_from\":");
	zp_json_string_or_null(from);
	putchar(',');
}

static void print_counts_json(const struct zp_proc *p)
{
	printf("\"anon_pages\":%llu,\"zero_pages\":%llu,\"huge_zero_pages\":%llu,\"saved_bytes\":%llu",
	       p->anon, p->zero, p->hzero, (p->zero + p->hzero) * page_size);
}

static void print_list(const struct zp_args *a, const struct zp_list *l)
{
	struct zp_proc total = { .comm = "(total)" };
	int width = strlen("POLICY");
	char pid[16];

	for (size_t i = 0; i < l->nr; i++)
		if (policy_width(&l->procs[i]) > width)
			width = policy_width(&l->procs[i]);
	if (a->json)
		printf("{\"page_size\":%ld,\"processes\":[", page_size);
	else
		printf("%7s %10s %10s %10s %10s  %-*s  %s\n", "PID", "ANON", "ZERO",
		       "HZERO", "SAVED", width, "POLICY", "COMMAND");
	for (size_t i = 0; i < l->nr; i++) {
		const struct zp_proc *p = &l->procs[i];

		total.anon += p->anon;
		total.zero += p->zero;
		total.hzero += p->hzero;
		if (a->json) {
			printf("%s{\"pid\":%d,\"comm\":", i ? "," : "", p->pid);
			zp_json_string(p->comm);
			putchar(',');
			print_policy_json(p);
			print_counts_json(p);
			putchar('}');
		} else {
			snprintf(pid, sizeof(pid), "%d", p->pid);
			print_row(a->human, width, pid, p);
		}
	}
	if (a->json) {
		printf("],\"total\":{");
		print_counts_json(&total);
		printf("}}\n");
	} else if (l->nr > 1) {
		print_row(a->human, width, "-", &total);
	}
}

int zp_ps(const struct zp_args *a)
{
	struct zp_scan s = { .kpageflags = -1 };
	struct zp_list l = { 0 };
	struct zp_policies t;
	char path[512];
	int ret, err;

	page_size = sysconf(_SC_PAGESIZE);
	snprintf(path, sizeof(path), "%s/kpageflags", zp_proc_root());
	s.kpageflags = open(path, O_RDONLY);
	if (s.kpageflags < 0) {
		err = errno;
		if (err == EACCES || err == EPERM)
			return zp_error(ZP_EXIT_PERM, "ps: cannot open %s: %s%s",
					path, strerror(err), zp_root_hint());
		return zp_error(ZP_EXIT_ERROR, "ps: cannot open %s: %s", path, strerror(err));
	}
	s.pagemap = malloc(BATCH * sizeof(uint64_t));
	s.pfns = malloc(BATCH * sizeof(uint64_t));
	s.flags = malloc(BATCH * sizeof(uint64_t));
	if (!s.pagemap || !s.pfns || !s.flags) {
		ret = zp_error(ZP_EXIT_ERROR, "out of memory");
		goto out;
	}

	ret = collect(a, &s, &l);
	if (s.no_pfn) {
		ret = zp_error(ZP_EXIT_PERM,
			       "ps: %s/PID/pagemap shows PFNs as 0: counting zero pages needs root (CAP_SYS_ADMIN)",
			       zp_proc_root());
		goto out;
	}
	sort_key = a->sort;
	if (l.nr)
		qsort(l.procs, l.nr, sizeof(*l.procs), cmp_proc);
	/* Without the module, or one without policies: unknown, or global. */
	zp_policies_read(&t);
	find_policies(&l, &t);
	print_list(a, &l);
	zp_policies_free(&t);
out:
	free(l.procs);
	free(s.flags);
	free(s.pfns);
	free(s.pagemap);
	close(s.kpageflags);
	return ret;
}
