// SPDX-License-Identifier: GPL-2.0
/*
 * zpctl-jsoncheck < FILE: exit 0 if standard input is one JSON value
 * (RFC 8259), else say where it went wrong and exit 1.  Tiny and static, for
 * the guests, which have no python.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64

static const char *text, *pos;

static void ws(void)
{
	pos += strspn(pos, " \t\r\n");
}

static bool lit(const char *word)
{
	size_t len = strlen(word);

	if (strncmp(pos, word, len))
		return false;
	pos += len;
	return true;
}

static bool string(void)
{
	if (*pos++ != '"')
		return false;
	while (*pos != '"') {
		unsigned char c = *pos++;

		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		c = *pos++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++)
				if (!isxdigit((unsigned char)*pos++))
					return false;
		} else if (!c || !strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
	pos++;
	return true;
}

static bool digits(void)
{
	const char *start = pos;

	while (isdigit((unsigned char)*pos))
		pos++;
	return pos > start;
}

static bool number(void)
{
	if (*pos == '-')
		pos++;
	if (*pos == '0')
		pos++;
	else if (!digits())
		return false;
	if (*pos == '.') {
		pos++;
		if (!digits())
			return false;
	}
	if (*pos == 'e' || *pos == 'E') {
		pos++;
		if (*pos == '+' || *pos == '-')
			pos++;
		if (!digits())
			return false;
	}
	return true;
}

static bool value(int depth);

/* An object ({"k":v,...}) or an array ([v,...]), per @close. */
static bool container(int depth, char close)
{
	pos++;
	ws();
	if (*pos == close) {
		pos++;
		return true;
	}
	for (;;) {
		ws();
		if (close == '}') {
			if (!string())
				return false;
			ws();
			if (*pos++ != ':')
				return false;
		}
		if (!value(depth + 1))
			return false;
		ws();
		if (*pos == close) {
			pos++;
			return true;
		}
		if (*pos++ != ',')
			return false;
	}
}

static bool value(int depth)
{
	if (depth > MAX_DEPTH)
		return false;
	ws();
	switch (*pos) {
	case '{':
		return container(depth, '}');
	case '[':
		return container(depth, ']');
	case '"':
		return string();
	case 't':
		return lit("true");
	case 'f':
		return lit("false");
	case 'n':
		return lit("null");
	default:
		return number();
	}
}

int main(void)
{
	size_t len = 0, cap = 0, got;
	char *buf = NULL;

	do {
		if (len + 4096 + 1 > cap) {
			cap = 2 * cap + 4096 + 1;
			buf = realloc(buf, cap);
			if (!buf) {
				fprintf(stderr, "zpctl-jsoncheck: out of memory\n");
				return 1;
			}
		}
		got = fread(buf + len, 1, 4096, stdin);
		len += got;
	} while (got);
	buf[len] = '\0';
	text = pos = buf;
	if (strlen(buf) != len || !value(0) || (ws(), *pos)) {
		fprintf(stderr, "zpctl-jsoncheck: invalid JSON at byte %td\n", pos - text);
		return 1;
	}
	return 0;
}
