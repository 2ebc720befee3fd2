/* SPDX-License-Identifier: GPL-2.0 */
/*
 * modes.c: the global settings (the mode, the fault-around window), the
 * mode names, and the strict parsing of every word the module is written:
 * one word, optionally followed by a single newline (what echo adds), no
 * NUL bytes; anything else is -EINVAL.
 */
#ifndef ZP_MODES_H
#define ZP_MODES_H

#include <linux/mm.h>
#include <linux/types.h>

enum zp_mode {
	ZP_MODE_ALWAYS,
	ZP_MODE_NEVER,
};

/* Runtime knobs (sysfs.c and the parameters set them, fault.c reads them). */
extern int zp_mode;
extern unsigned int zp_fault_around_bytes;
#define ZP_FAULT_AROUND_MAX	(PTRS_PER_PTE * PAGE_SIZE)

const char *zp_mode_name(int mode);
/* The index in @words of the word written in @buf, or -EINVAL. */
int zp_match_word(const char *buf, size_t count, const char * const *words, int nr);
/* A mode's word: its zp_mode, or -EINVAL. */
int zp_parse_mode(const char *buf, size_t count);
/* A fault_around_bytes value: 0 and *@bytes set, or -EINVAL. */
int zp_check_fault_around(const char *buf, size_t count, unsigned int *bytes);
/* A cgroups line's word: a mode, or ZP_POLICY_INHERIT (none). */
#define ZP_POLICY_INHERIT	(ZP_MODE_NEVER + 1)
int zp_parse_policy_mode(const char *buf, size_t count);

#endif /* ZP_MODES_H */
