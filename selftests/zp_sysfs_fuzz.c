// SPDX-License-Identifier: GPL-2.0
/*
 * Hostile input for the zeropage module, run inside the test guests.
 *
 *   zp_sysfs_fuzz sysfs N SEED    N random and structured byte strings to
 *                                 each writable sysfs file (module loaded),
 *                                 cgroups included (MODE PATH lines)
 *   zp_sysfs_fuzz params N SEED   N loads with random and structured
 *                                 parameter strings (module not loaded)
 *   zp_sysfs_fuzz unpriv          as a non-root user: every read works,
 *                                 every write, load and unload is refused
 *
 * An oracle written from the parser's contract (SPEC §2.1, modes.c: one
 * word, at most one trailing newline, no NUL) predicts every outcome; the
 * state read back after each attempt must be what the last valid one set.
 * sysfs and params also read /dev/kmsg from their start: nothing above
 * pr_info may appear but the kernel's own parameter rejections (and the
 * timing complaints of a kernel running under TCG).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/zp.h"

#define MAX_LEN 8192
#define SYSFS_WRITE_MAX 4096		/* kernfs hands a store at most a page */
#define PRINT_MAX 5

#define ZP_DIR "/sys/kernel/mm/zeropage"
#define PARAM_DIR "/sys/module/zeropage/parameters"
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

struct knob {
	const char *name;		/* sysfs file or module parameter */
	const char *const *words;	/* the valid words */
	unsigned int nwords;
	bool numeric;			/* fault_around_bytes: any decimal form */
	char state[32];			/* the model's value */
};

static const char *const mode_words[] = { "always", "never" };
static const char *const audit_words[] = { "0", "1" };
static const char *const around_words[] = {
	"4096", "8192", "16384", "32768", "65536", "131072", "262144", "524288",
	"1048576", "2097152",
};
static const char *const hook_words[] = { "auto", "do_anonymous_page", "__handle_mm_fault",
					   "handle_mm_fault" };

enum { K_ENABLED, K_AUDIT, K_AROUND, K_MODE, K_HOOK };
#define KNOB(n, w, num) { n, w, ARRAY_SIZE(w), num, "" }
static struct knob knobs[] = {
	[K_ENABLED] = KNOB("enabled", mode_words, false),
	[K_AUDIT] = KNOB("audit", audit_words, false),
	[K_AROUND] = KNOB("fault_around_bytes", around_words, true),
	[K_MODE] = KNOB("mode", mode_words, false),
	[K_HOOK] = KNOB("hook", hook_words, false),
};
/* The writable sysfs files, and the module parameters. */
static const unsigned int sysfs_knobs[] = { K_ENABLED, K_AUDIT, K_AROUND };
static const unsigned int param_knobs[] = { K_MODE, K_AROUND, K_HOOK };

static uint64_t rng;

static unsigned int pick(unsigned int n)
{
	return rnd(&rng) % n;
}

/* ---- The oracle ---- */

/*
 * Does @buf[0..@len) set @k, and to what word?  One word of the knob's
 * set, optionally followed by one newline; fault_around_bytes takes the
 * decimal form of a power of two from 4096 to 2 MiB in under 16 digits
 * (leading zeros allowed).
 */
static bool valid(const struct knob *k, const char *buf, size_t len, char *word)
{
	unsigned long long val = 0;
	size_t i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (!len || memchr(buf, '\0', len))
		return false;
	if (k->numeric) {
		if (len >= 16)
			return false;
		for (i = 0; i < len; i++) {
			if (buf[i] < '0' || buf[i] > '9')
				return false;
			val = val * 10 + buf[i] - '0';
		}
		if (val < 4096 || val > 2097152 || (val & (val - 1)))
			return false;
		sprintf(word, "%llu", val);
		return true;
	}
	for (i = 0; i < k->nwords; i++) {
		if (strlen(k->words[i]) == len && !memcmp(buf, k->words[i], len)) {
			strcpy(word, k->words[i]);
			return true;
		}
	}
	return false;
}

/* ---- Generating input ---- */

static const char garbage[] = " \t\n\r\0xZ9#-+.=\"\\\x7f\xff";

static size_t put(char *buf, size_t at, const char *s, size_t n)
{
	if (at + n > MAX_LEN)
		n = MAX_LEN - at;
	memcpy(buf + at, s, n);
	return at + n;
}

static size_t put_str(char *buf, size_t at, const char *s)
{
	return put(buf, at, s, strlen(s));
}

/* @n bytes drawn from the @len bytes of @set (NULs included). */
static size_t put_any(char *buf, size_t at, size_t n, const char *set, size_t len)
{
	while (n-- && at < MAX_LEN)
		buf[at++] = set[pick(len)];
	return at;
}

/* Lengths spread over 0 .. MAX_LEN on a log scale. */
static size_t some_length(void)
{
	return pick(2U << pick(13)) % (MAX_LEN + 1);
}

/* Near misses of the numeric forms, and other ways of writing numbers. */
static const char *const odd_numbers[] = {
	"0", "1", "4095", "4097", "3000", "6144", "4194304", "2097153", "1048577",
	"4294967296", "4294971392", "18446744073709551616", "18446744073709555712",
	"-4096", "+4096", "0x1000", "010000", "4096.0", "4e3", "4 096", "4_096",
	"\xd9\xa4\xd9\xa0\xd9\xa9\xd9\xa6",	/* 4096 in Arabic-Indic digits */
};

/* A byte string aimed at @k: valid, nearly valid, or plain hostile. */
static size_t generate(const struct knob *k, char *buf)
{
	const char *w = k->words[pick(k->nwords)];
	size_t wl = strlen(w), n = 0, at;

	switch (pick(8)) {
	case 0:		/* a valid word, as echo or printf writes it */
		n = put_str(buf, 0, w);
		if (pick(2))
			n = put_str(buf, n, "\n");
		break;
	case 1:		/* a word with trailing garbage */
		n = put_any(buf, put_str(buf, 0, w), 1 + pick(16), garbage, sizeof(garbage) - 1);
		break;
	case 2:		/* a partial word, or one with a byte changed */
		n = put(buf, 0, w, pick(2) ? pick(wl) : wl);
		if (n == wl)
			buf[pick(wl)] ^= 1 << pick(8);
		if (pick(2))
			n = put_str(buf, n, "\n");
		break;
	case 3:		/* a NUL somewhere in or around a word */
		at = pick(wl + 1);
		n = put(buf, 0, w, at);
		n = put(buf, n, "\0", 1);
		n = put(buf, n, w + at, wl - at);
		if (pick(2))
			n = put_str(buf, n, "\n");
		break;
	case 4:		/* whitespace before and after a word */
		n = put_any(buf, 0, pick(3), " \t\r\n", 4);
		n = put_str(buf, n, w);
		n = put_any(buf, n, pick(3), " \t\r\n", 4);
		break;
	case 5:		/* numbers: very long, zero-padded valid ones, near misses */
		switch (pick(3)) {
		case 0:
			n = put_any(buf, 0, 1 + some_length(), "0123456789", 10);
			break;
		case 1:
			n = put(buf, 0, "000000000000000000", pick(18));
			n = put_str(buf, n, around_words[pick(ARRAY_SIZE(around_words))]);
			break;
		default:
			n = put_str(buf, 0, odd_numbers[pick(ARRAY_SIZE(odd_numbers))]);
		}
		if (pick(2))
			n = put_str(buf, n, "\n");
		break;
	case 6:		/* a word repeated, or two different ones */
		n = put_str(buf, 0, w);
		n = put(buf, n, " \n,", 1 + pick(2));
		n = put_str(buf, n, k->words[pick(k->nwords)]);
		break;
	default:	/* random bytes */
		n = some_length();
		for (at = 0; at < n; at++)
			buf[at] = rnd(&rng);
	}
	return n;
}

/* ---- Kernel log ---- */

/*
 * What was logged above pr_info since kmsg_open(): records matching
 * @allowed are expected, a TCG guest's timing complaints are noise, the
 * rest (the first few described) are unexpected.  Drained as the test
 * goes, so that the ring buffer never drops a record unread.
 */
struct kmsg {
	int fd;
	regex_t allowed, noise;
	unsigned long expected, unexpected;
};

static void kmsg_open(struct kmsg *k, const char *allowed)
{
	k->fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (k->fd < 0 || lseek(k->fd, 0, SEEK_END) < 0)
		die("/dev/kmsg");
	if (regcomp(&k->allowed, allowed, REG_EXTENDED | REG_NOSUB) ||
	    regcomp(&k->noise, "^(hrtimer: interrupt took|clocksource: |sched_clock: )",
		    REG_EXTENDED | REG_NOSUB))
		die("regcomp");
	k->expected = k->unexpected = 0;
}

static void kmsg_drain(struct kmsg *k)
{
	char rec[8192], *msg;		/* escaped, a record can take 4 KiB */
	ssize_t n;
	int level;

	for (;;) {
		n = read(k->fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) {	/* overwritten before we read it */
			tap_diag("kmsg: records lost");
			k->unexpected++;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0)
			die("read /dev/kmsg");
		rec[n] = '\0';
		msg = strchr(rec, ';');
		level = atoi(rec) & 7;
		if (!msg || level > 5)
			continue;
		*strchrnul(++msg, '\n') = '\0';
		if (!regexec(&k->allowed, msg, 0, NULL, 0))
			k->expected++;
		else if (regexec(&k->noise, msg, 0, NULL, 0) && k->unexpected++ < PRINT_MAX)
			tap_diag("kmsg <%d>: %.200s", level, msg);
	}
}

static void kmsg_close(struct kmsg *k)
{
	kmsg_drain(k);
	regfree(&k->allowed);
	regfree(&k->noise);
	close(k->fd);
}

/* ---- sysfs ---- */

static bool read_sysfs(const char *dir, const char *name, char *buf, size_t size)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	n = read(fd, buf, size - 1);
	close(fd);
	/* An empty file (cgroups with no policy) is read all the same. */
	if (n < 0)
		return false;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return true;
}

/* What sysfs file @k shows for the model's value. */
static void shown(const struct knob *k, char *buf)
{
	if (k == &knobs[K_ENABLED])
		strcpy(buf, strcmp(k->state, "always") ? "always [never]" : "[always] never");
	else
		strcpy(buf, k->state);
}

static void hexdump(char *out, size_t size, const char *buf, size_t len)
{
	size_t i, n = 0;

	for (i = 0; i < len && n + 4 < size; i++)
		n += snprintf(out + n, size - n, "%02x", (unsigned char)buf[i]);
	if (i < len)
		snprintf(out + n, size - n, "...");
}

/* The model's value from what sysfs file @k shows. */
static void adopt(struct knob *k, const char *got)
{
	strcpy(k->state, k != &knobs[K_ENABLED] ? got : strstr(got, "[never]") ? "never" : "always");
}

/*
 * One write; false (and a description, the first few times) if it went
 * wrong, and then the model follows the file, so that one fault is not
 * counted again on every write after it.
 */
static bool sysfs_write_ok(struct knob *k, const char *buf, size_t len, unsigned long *bad)
{
	char path[128], word[32], want[32], got[64], dump[80];
	bool ok = valid(k, buf, len > SYSFS_WRITE_MAX ? SYSFS_WRITE_MAX : len, word);
	ssize_t n;
	int fd, err;

	snprintf(path, sizeof(path), ZP_DIR "/%s", k->name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		die("open %s", path);
	n = write(fd, buf, len);
	err = errno;
	close(fd);
	if (ok)
		strcpy(k->state, word);
	shown(k, want);
	if (!read_sysfs(ZP_DIR, k->name, got, sizeof(got)))
		die("read %s", path);
	/* An empty write never reaches the store: it returns 0. */
	if ((ok ? n == (ssize_t)len : len ? n < 0 && err == EINVAL : n == 0) && !strcmp(got, want))
		return true;
	if ((*bad)++ < PRINT_MAX) {
		hexdump(dump, sizeof(dump), buf, len);
		tap_diag("%s: %zu bytes %s: write returned %zd (%s), shows '%s', want %s '%s'",
			 k->name, len, dump, n, n < 0 ? strerror(err) : "-", got,
			 ok ? "accepted," : "refused,", want);
	}
	adopt(k, got);
	return false;
}

/* ---- cgroups: MODE PATH lines ---- */

/* The cgroups the lines aim at, canonical; the model's mode of each. */
static const char *const fuzz_cgs[] = { "/zpf-a", "/zpf-b", "/zpf-a/c" };
static const char *const policy_words[] = { "always", "never", "inherit" };
static const char *fuzz_cg_mode[ARRAY_SIZE(fuzz_cgs)];

/*
 * The canonical form of @path, as the kernel walks it (kernfs_walk_ns():
 * empty components skipped, "." and ".." plain names), if it names a
 * cgroup directory; NULL otherwise.
 */
static const char *cgroup_at(const char *path, char *canon, size_t size)
{
	char copy[SYSFS_WRITE_MAX + 1], *c, *save = NULL, full[PATH_MAX];
	struct stat st;
	size_t n = 0;

	snprintf(copy, sizeof(copy), "%s", path);
	canon[0] = '\0';
	for (c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, ".") || !strcmp(c, "..") || n + strlen(c) + 2 > size)
			return NULL;
		n += snprintf(canon + n, size - n, "/%s", c);
	}
	if (!n)
		snprintf(canon, size, "/");
	if (snprintf(full, sizeof(full), CG_ROOT "%s", canon) >= (int)sizeof(full) ||
	    stat(full, &st) || !S_ISDIR(st.st_mode))
		return NULL;
	return canon;
}

/*
 * The outcome of writing @buf[0..@len) to cgroups: 0 and, in @canon and
 * *@mode, the entry it sets (mode NULL: removes), or the errno.
 */
static int policy_oracle(const char *buf, size_t len, char *canon, size_t size,
			 const char **mode)
{
	char line[SYSFS_WRITE_MAX + 1];
	const char *space, *path;
	unsigned int i;

	if (len && buf[len - 1] == '\n')
		len--;
	if (memchr(buf, '\0', len) || memchr(buf, '\n', len) || !(space = memchr(buf, ' ', len)))
		return EINVAL;
	memcpy(line, buf, len);
	line[len] = '\0';
	line[space - buf] = '\0';
	for (i = 0; i < ARRAY_SIZE(policy_words) && strcmp(line, policy_words[i]); i++)
		;
	path = line + (space - buf) + 1;
	if (i == ARRAY_SIZE(policy_words) || path[0] != '/')
		return EINVAL;
	if (!cgroup_at(path, canon, size))
		return ENOENT;
	*mode = i == 2 ? NULL : policy_words[i];
	return 0;
}

/* A line aimed at the cgroups file: valid, nearly valid, or hostile. */
static size_t generate_policy(char *buf)
{
	static const char *const odd_paths[] = {
		"/", "//zpf-a", "/zpf-a/", "/zpf-a//c/", "/zpf-a/./c", "/zpf-a/../zpf-b",
		"/zpf-none", "/cgroup.procs", "/zpf-a/cgroup.procs/x", "zpf-a", "", "/zpf-a b",
	};
	const char *w = policy_words[pick(ARRAY_SIZE(policy_words))];
	size_t n, at;

	n = put_str(buf, 0, w);
	switch (pick(6)) {
	case 0:
	case 1:		/* a valid line */
		n = put_str(buf, n, " ");
		n = put_str(buf, n, fuzz_cgs[pick(ARRAY_SIZE(fuzz_cgs))]);
		break;
	case 2:		/* odd paths */
		n = put_str(buf, n, " ");
		n = put_str(buf, n, odd_paths[pick(ARRAY_SIZE(odd_paths))]);
		break;
	case 3:		/* a byte changed, or the line cut short */
		n = put_str(buf, n, " ");
		n = put_str(buf, n, fuzz_cgs[pick(ARRAY_SIZE(fuzz_cgs))]);
		at = pick(n);
		if (pick(2))
			buf[at] ^= 1 << pick(8);
		else
			n = at;
		break;
	case 4:		/* garbage, whitespace or a second line after it */
		n = put_str(buf, n, pick(2) ? " " : "  ");
		n = put_str(buf, n, fuzz_cgs[pick(ARRAY_SIZE(fuzz_cgs))]);
		n = put_any(buf, n, 1 + pick(8), " \t\n\0/.", 6);
		break;
	default:	/* random bytes after the mode, long ones too */
		at = some_length() % (SYSFS_WRITE_MAX - n);
		while (at--)
			buf[n++] = rnd(&rng);
	}
	if (pick(2))
		n = put_str(buf, n, "\n");
	return n;
}

/* Does the cgroups file list exactly the model's entries? */
static bool policies_listed_as_model(void)
{
	char line[300], want[300];
	unsigned int i, listed = 0, expected = 0;
	FILE *f = fopen(ZP_DIR "/cgroups", "r");
	bool ok = true;

	if (!f)
		die("open cgroups");
	while (fgets(line, sizeof(line), f)) {
		listed++;
		for (i = 0; i < ARRAY_SIZE(fuzz_cgs); i++) {
			snprintf(want, sizeof(want), "%s %s\n", fuzz_cg_mode[i], fuzz_cgs[i]);
			if (fuzz_cg_mode[i] && !strcmp(line, want))
				break;
		}
		ok &= i < ARRAY_SIZE(fuzz_cgs);
	}
	fclose(f);
	for (i = 0; i < ARRAY_SIZE(fuzz_cgs); i++)
		expected += !!fuzz_cg_mode[i];
	return ok && listed == expected;
}

/* Write "inherit @cg": a policy outside the model goes at once. */
static void policy_remove(const char *cg)
{
	char line[300];

	snprintf(line, sizeof(line), "inherit %s\n", cg);
	if (zp_write("cgroups", line, strlen(line)))
		die("remove the policy of %s", cg);
}

/* The model's entry for the canonical path @canon; NULL outside it. */
static const char **model_entry(const char *canon)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fuzz_cgs); i++)
		if (!strcmp(canon, fuzz_cgs[i]))
			return &fuzz_cg_mode[i];
	return NULL;
}

/* @count lines to cgroups, each judged by the oracle and the listing. */
static void fuzz_policies(unsigned int count, unsigned long *writes, unsigned long *valid_writes,
			  unsigned long *bad)
{
	static char buf[SYSFS_WRITE_MAX + 1];
	char dump[80], canon[256], dir[128];
	const char *mode = NULL, **entry;
	unsigned int i;
	int want, got, fd;
	ssize_t n;

	for (i = 0; i < ARRAY_SIZE(fuzz_cgs); i++) {
		snprintf(dir, sizeof(dir), CG_ROOT "%s", fuzz_cgs[i]);
		cg_make(dir);
	}
	if (!policies_listed_as_model())
		die("cgroups: policies were set before the fuzzing");
	for (i = 0; i < count; i++, ++*writes) {
		size_t len = generate_policy(buf);

		/* An empty write never reaches the store: it returns 0. */
		want = len ? policy_oracle(buf, len, canon, sizeof(canon), &mode) : -1;
		fd = open(ZP_DIR "/cgroups", O_WRONLY);
		if (fd < 0)
			die("open cgroups");
		n = write(fd, buf, len);
		got = n == (ssize_t)len ? len ? 0 : -1 : n < 0 ? errno : -2;
		close(fd);
		entry = want ? NULL : model_entry(canon);
		if (entry)
			*entry = mode;
		else if (!want && !got && mode)
			policy_remove(canon);
		*valid_writes += !want;
		if (got == want && policies_listed_as_model())
			continue;
		if ((*bad)++ < PRINT_MAX) {
			hexdump(dump, sizeof(dump), buf, len);
			tap_diag("cgroups: %zu bytes %s: got %d, want %d (an errno; 0 set, -1 nothing), or the listing is not the model's",
				 len, dump, got, want);
		}
	}
	for (i = ARRAY_SIZE(fuzz_cgs); i-- > 0;) {
		if (fuzz_cg_mode[i])
			policy_remove(fuzz_cgs[i]);
		snprintf(dir, sizeof(dir), CG_ROOT "%s", fuzz_cgs[i]);
		cg_remove(dir);
	}
}

static int fuzz_sysfs(unsigned int count)
{
	static char buf[MAX_LEN];
	unsigned long writes = 0, valid_writes = 0, bad = 0;
	struct kmsg kmsg;
	double t0 = now_s();
	char got[64], word[32];
	unsigned int i, j;
	struct knob *k;

	if (!zp_module_loaded())
		die("sysfs: module must be loaded");
	kmsg_open(&kmsg, "^$");		/* no record is allowed */
	for (j = 0; j < ARRAY_SIZE(sysfs_knobs); j++) {
		k = &knobs[sysfs_knobs[j]];
		/* The model starts from what the file shows. */
		if (!read_sysfs(ZP_DIR, k->name, got, sizeof(got)))
			die("read %s", k->name);
		adopt(k, got);
		for (i = 0; i < count; i++, writes++) {
			size_t len = generate(k, buf);

			valid_writes += valid(k, buf, len > SYSFS_WRITE_MAX ? SYSFS_WRITE_MAX : len, word);
			sysfs_write_ok(k, buf, len, &bad);
		}
		kmsg_drain(&kmsg);
	}
	fuzz_policies(count, &writes, &valid_writes, &bad);
	tap_result(!bad, "fuzz sysfs: %lu writes (%lu valid) to %zu files, outcome and state as the contract says: %lu wrong; %.1f s",
		   writes, valid_writes, ARRAY_SIZE(sysfs_knobs) + 1, bad, now_s() - t0);
	kmsg_close(&kmsg);
	tap_result(!kmsg.unexpected && !kmsg.expected,
		   "fuzz sysfs: nothing logged above pr_info (%lu records)",
		   kmsg.unexpected + kmsg.expected);
	return zp_failures ? 1 : 0;
}

/* ---- Module parameters at load ---- */

static const char *const bogus_names[] = {
	"bogus", "modes", "mode_", "Mode", "fault_around", "hook2", "x",
};

/* The kernel's parameq(): '-' and '_' are the same. */
static bool param_eq(const char *a, const char *b)
{
	for (; *a || *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') && (*b == '-' || *b == '_')))
			return false;
	return true;
}

/* Bytes that would split or quote a parameter (kernel isspace() has NBSP). */
static bool param_special(unsigned char c)
{
	return !c || strchr(" \t\n\v\f\r\"", c) || c == 0xa0;
}

/* A forced hook's place in the module's chain; auto: any kernel has it. */
static unsigned int hook_rank(const char *hook)
{
	unsigned int i;

	for (i = 1; i < ARRAY_SIZE(hook_words); i++)
		if (!strcmp(hook, hook_words[i]))
			return i;
	return ARRAY_SIZE(hook_words);
}

/*
 * A parameter string of known meaning: one to three name[=value] words.
 * Sets the model in knobs[] and returns whether the load must succeed.
 */
static bool gen_params(char *s, const char *native)
{
	static char val[MAX_LEN];
	unsigned int t, ntok = 1 + pick(3), j;
	size_t n = 0, len, i;
	struct knob *k;
	const char *name;
	char word[32];
	bool ok = true;

	for (j = 0; j < ARRAY_SIZE(param_knobs); j++)
		strcpy(knobs[param_knobs[j]].state, knobs[param_knobs[j]].words[0]);
	for (t = 0; t < ntok; t++) {
		k = &knobs[param_knobs[pick(ARRAY_SIZE(param_knobs))]];
		name = pick(4) ? k->name : bogus_names[pick(ARRAY_SIZE(bogus_names))];
		if (k->numeric && pick(4) == 0)
			name = "fault-around-bytes";
		n += sprintf(s + n, "%s%s", t ? " " : "", name);
		len = generate(k, val);
		for (i = 0; i < len; i++)
			if (param_special(val[i]))
				val[i] = 'x';
		switch (pick(10)) {
		case 0:				/* no value */
			len = 0;
			break;
		case 1:				/* an empty value */
			len = 0;
			/* fall through */
		default:
			s[n++] = '=';
			memcpy(s + n, val, len);
			n += len;
		}
		s[n] = '\0';
		if (!param_eq(name, k->name))
			continue;		/* unknown: ignored, with a warning */
		if (s[n - len - 1] != '=' || !valid(k, s + n - len, len, word))
			ok = false;
		else
			strcpy(k->state, word);
	}
	/* The forced hook must exist here: it is native, or comes after it. */
	return ok && hook_rank(knobs[K_HOOK].state) >= hook_rank(native);
}

/* Anything at all but NUL: only consistency can be judged. */
static void gen_raw(char *s)
{
	static const char alphabet[] = "mode=fault_around_bytes hook\" -_";
	size_t n = 1 + pick(512), i;

	for (i = 0; i < n; i++)
		s[i] = pick(4) ? alphabet[pick(sizeof(alphabet) - 1)] : (char)(1 + pick(255));
	s[n] = '\0';
}

/*
 * After a load: the parameters read back as the model (@exact), or at
 * least as valid values, and sysfs shows what they set.
 */
static bool loaded_state_ok(bool exact, const char *native)
{
	char got[64], want[64], word[32];
	struct knob *k;
	bool ok = true;
	unsigned int j;

	for (j = 0; j < ARRAY_SIZE(param_knobs); j++) {
		k = &knobs[param_knobs[j]];
		if (!read_sysfs(PARAM_DIR, k->name, got, sizeof(got)))
			return false;
		if (exact)
			ok &= !strcmp(got, k->state);
		else if (valid(k, got, strlen(got), word))
			strcpy(k->state, word);
		else
			ok = false;
	}
	strcpy(knobs[K_ENABLED].state, knobs[K_MODE].state);
	shown(&knobs[K_ENABLED], want);
	ok &= read_sysfs(ZP_DIR, "enabled", got, sizeof(got)) && !strcmp(got, want);
	ok &= read_sysfs(ZP_DIR, "fault_around_bytes", got, sizeof(got)) &&
	      !strcmp(got, knobs[K_AROUND].state);
	snprintf(want, sizeof(want), "%s ftrace-ipmodify",
		 strcmp(knobs[K_HOOK].state, "auto") ? knobs[K_HOOK].state : native);
	ok &= read_sysfs(ZP_DIR, "hook", got, sizeof(got)) && !strcmp(got, want);
	return ok;
}

static int fuzz_params(unsigned int count)
{
	static char s[3 * (MAX_LEN + 32)];
	const char *native = "handle_mm_fault";
	unsigned long loads = 0, raw = 0, bad = 0;
	struct kmsg kmsg;
	int err;
	double t0 = now_s();
	char line[256];
	unsigned int i;
	bool exact, ok;
	FILE *f;

	if (zp_module_loaded())
		die("params: module must not be loaded");
	/* Kernel messages are cut at about 1 KiB: match on their beginning. */
	kmsg_open(&kmsg, "^zeropage: (`|unknown parameter '|Unknown parameter `|"
		  "refusing to load: |parameters '.*' after `--' ignored)|"
		  "taints kernel|module verification failed");
	f = fopen("/proc/kallsyms", "r");
	while (f && fgets(line, sizeof(line), f)) {
		if (strstr(line, " do_anonymous_page\n"))
			native = "do_anonymous_page";
		else if (strstr(line, " __handle_mm_fault\n") &&
			 hook_rank(native) > hook_rank("__handle_mm_fault"))
			native = "__handle_mm_fault";
	}
	if (f)
		fclose(f);
	for (i = 0; i < count; i++) {
		exact = pick(5);
		if (exact)
			ok = gen_params(s, native);
		else
			gen_raw(s);
		raw += !exact;
		err = zp_module_load(s);
		ok = exact ? ok == !err : true;
		if (!err) {
			loads++;
			ok &= loaded_state_ok(exact, native);
			if (zp_module_unload())
				die("unload after '%s'", s);
		}
		ok &= !zp_module_loaded() && access(ZP_DIR, F_OK);
		if (!ok && bad++ < PRINT_MAX)
			tap_diag("params '%.100s'%s: load %s", s, strlen(s) > 100 ? "..." : "",
				 err ? strerror(-err) : "succeeded");
		kmsg_drain(&kmsg);
	}
	tap_result(!bad, "fuzz params: %u loads tried (%lu raw), %lu loaded, outcome and state as the contract says: %lu wrong; %.1f s",
		   count, raw, loads, bad, now_s() - t0);
	kmsg_close(&kmsg);
	tap_result(!kmsg.unexpected,
		   "fuzz params: nothing above pr_info logged but %lu parameter rejections (%lu others)",
		   kmsg.expected, kmsg.unexpected);
	return zp_failures ? 1 : 0;
}

/* ---- Unprivileged access ---- */

static const char *const unpriv_dirs[] = { ZP_DIR, ZP_DIR "/stats", PARAM_DIR };

static int unpriv(void)
{
	unsigned long files = 0, read_ok = 0, refused = 0;
	char path[512], buf[256], before[6][64], after[6][64];
	const char *const snap[] = { "enabled", "audit", "fault_around_bytes", "hook", "arch",
				     "cgroups" };
	struct dirent *de;
	unsigned int d, j;
	int fd, fails = 0;
	DIR *dir;

	if (!getuid())
		die("unpriv: run as a non-root user");
	for (j = 0; j < 5; j++)
		read_sysfs(unpriv_dirs[0], snap[j], before[j], sizeof(before[j]));
	for (d = 0; d < ARRAY_SIZE(unpriv_dirs); d++) {
		dir = opendir(unpriv_dirs[d]);
		if (!dir)
			die("opendir %s", unpriv_dirs[d]);
		while ((de = readdir(dir))) {
			if (de->d_type != DT_REG)
				continue;
			files++;
			read_ok += read_sysfs(unpriv_dirs[d], de->d_name, buf, sizeof(buf));
			snprintf(path, sizeof(path), "%s/%s", unpriv_dirs[d], de->d_name);
			fd = open(path, O_WRONLY);
			if (fd >= 0) {
				tap_diag("unpriv: %s opened for writing", path);
				if (write(fd, "never\n", 6) == 6)
					tap_diag("unpriv: %s accepted a write", path);
				close(fd);
			} else {
				refused += errno == EACCES;
			}
		}
		closedir(dir);
	}
	for (j = 0; j < 5; j++) {
		read_sysfs(unpriv_dirs[0], snap[j], after[j], sizeof(after[j]));
		fails += strcmp(before[j], after[j]) != 0;
	}
	tap_result(files >= 15 && read_ok == files, "unpriv: uid %u reads all %lu files (%lu read)",
		   getuid(), files, read_ok);
	tap_result(refused == files && !fails, "unpriv: every open for writing refused with EACCES (%lu/%lu), state unchanged",
		   refused, files);
	fd = open(ZP_KO, O_RDONLY);
	tap_result(fd >= 0 && syscall(SYS_finit_module, fd, "", 0) && errno == EPERM &&
		   syscall(SYS_delete_module, "zeropage", O_NONBLOCK) && errno == EPERM &&
		   zp_module_loaded(), "unpriv: load and unload refused with EPERM");
	return zp_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	unsigned int n = argc > 3 ? strtoul(argv[2], NULL, 0) : 0;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rng = argc > 3 ? strtoull(argv[3], NULL, 0) | 1 : 1;
	if (!strcmp(what, "sysfs") && n)
		return fuzz_sysfs(n);
	if (!strcmp(what, "params") && n)
		return fuzz_params(n);
	if (!strcmp(what, "unpriv"))
		return unpriv();
	fprintf(stderr, "usage: zp_sysfs_fuzz sysfs|params N SEED | unpriv\n");
	return 2;
}
