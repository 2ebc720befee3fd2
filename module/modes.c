// SPDX-License-Identifier: GPL-2.0
/*
 * The global settings and the words that set them.
 *
 * Every write is parsed strictly: one word, optionally followed by a single
 * newline (what echo adds), no NUL bytes; anything else is -EINVAL and
 * changes nothing.
 */
#include <linux/ctype.h>
#include <linux/kstrtox.h>
#include <linux/log2.h>
#include <linux/string.h>

#include "zp_modes.h"

int zp_mode = ZP_MODE_ALWAYS;
unsigned int zp_fault_around_bytes = PAGE_SIZE;

static const char * const zp_mode_names[] = {
	[ZP_MODE_ALWAYS] = "always",
	[ZP_MODE_NEVER] = "never",
};

/* Length of the word in @buf, or -EINVAL if it is empty or holds a NUL. */
static ssize_t zp_word_len(const char *buf, size_t count)
{
	if (count && buf[count - 1] == '\n')
		count--;
	if (!count || memchr(buf, '\0', count))
		return -EINVAL;
	return count;
}

int zp_match_word(const char *buf, size_t count,
		  const char * const *words, int nr)
{
	ssize_t len = zp_word_len(buf, count);
	int i;

	if (len < 0)
		return len;
	for (i = 0; i < nr; i++)
		if (strlen(words[i]) == len && !memcmp(buf, words[i], len))
			return i;
	return -EINVAL;
}

const char *zp_mode_name(int mode)
{
	return zp_mode_names[mode];
}

int zp_parse_mode(const char *buf, size_t count)
{
	return zp_match_word(buf, count, zp_mode_names, ARRAY_SIZE(zp_mode_names));
}

int zp_parse_policy_mode(const char *buf, size_t count)
{
	static const char * const words[] = {
		[ZP_MODE_ALWAYS] = "always",
		[ZP_MODE_NEVER] = "never",
		[ZP_POLICY_INHERIT] = "inherit",
	};

	return zp_match_word(buf, count, words, ARRAY_SIZE(words));
}

int zp_check_fault_around(const char *buf, size_t count, unsigned int *bytes)
{
	ssize_t len = zp_word_len(buf, count);
	char word[16];
	unsigned int val;

	/* kstrtouint() would let a second trailing newline through. */
	if (len < 0 || len >= sizeof(word) || !isdigit(buf[0]) || memchr(buf, '\n', len))
		return -EINVAL;
	memcpy(word, buf, len);
	word[len] = '\0';
	if (kstrtouint(word, 10, &val) || !is_power_of_2(val) ||
	    val < PAGE_SIZE || val > ZP_FAULT_AROUND_MAX)
		return -EINVAL;
	*bytes = val;
	return 0;
}
