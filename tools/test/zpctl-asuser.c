// SPDX-License-Identifier: GPL-2.0
/*
 * zpctl-asuser UID COMMAND [ARG]...: run COMMAND as UID (group UID, no
 * supplementary groups), for the "not root" checks where no su exists.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	char *end;
	unsigned long id;

	if (argc < 3) {
		fprintf(stderr, "usage: zpctl-asuser UID COMMAND [ARG]...\n");
		return 2;
	}
	id = strtoul(argv[1], &end, 10);
	if (!*argv[1] || *end) {
		fprintf(stderr, "zpctl-asuser: bad UID '%s'\n", argv[1]);
		return 2;
	}
	if (setgroups(0, NULL) || setgid(id) || setuid(id)) {
		fprintf(stderr, "zpctl-asuser: cannot become %lu: %s\n", id, strerror(errno));
		return 1;
	}
	execvp(argv[2], argv + 2);
	fprintf(stderr, "zpctl-asuser: %s: %s\n", argv[2], strerror(errno));
	return 127;
}
