// SPDX-License-Identifier: GPL-2.0
/*
 * Symbol resolution: where a kernel function starts, and the address of a
 * kernel symbol that is not exported.
 *
 * Targets are resolved by name with a probe-only kprobe: it fails with
 * -ENOENT where the function was inlined and -EINVAL where it is
 * blacklisted.  kallsyms_lookup_name(), not exported, is found that way and
 * called only where the CPU lets the module call it (IBT).
 */
#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#endif

#include "zeropage_arch.h"
#include "zp_symbols.h"

#ifndef ZP_NO_HOOKS

/*
 * Register @kp (symbol_name set) on its function's entry, with @flags
 * (KPROBE_FLAG_DISABLED: a probe that only resolves, never armed, so it
 * touches no ftrace site).  Where a kprobe
 * cannot sit on an ftrace site (no KPROBES_ON_FTRACE: riscv's patchable
 * entry), on the first instruction after it: only NOPs ran before it, so
 * the arguments are still in their registers.  A probe inside an
 * instruction is refused too, hence the 2-byte steps; a function that is
 * not there (-ENOENT) is not there at any offset.
 */
int zp_register_entry_kprobe(struct kprobe *kp, u32 flags)
{
	unsigned int skip;
	int ret;

	for (skip = 0; ; skip += 2) {
		kp->addr = NULL;
		kp->flags = flags;
		kp->offset = skip;
		ret = register_kprobe(kp);
		if (!ret || ret == -ENOENT || skip >= ZP_PROBE_SKIP_MAX)
			return ret;
	}
}

/*
 * The start of the kernel function @name, exported or not: where a probe
 * on it sits (the local entry point on powerpc, past ENDBR with IBT),
 * moved back by its offset in the symbol.  0 if there is none.
 */
unsigned long zp_symbol_start(const char *name)
{
	struct kprobe kp = { .symbol_name = name };
	char sym[KSYM_SYMBOL_LEN];
	unsigned long addr, off;
	size_t len = strlen(name);

	if (zp_register_entry_kprobe(&kp, KPROBE_FLAG_DISABLED))
		return 0;
	addr = (unsigned long)kp.addr;
	unregister_kprobe(&kp);
	sprint_symbol(sym, addr);	/* "name+0x8/0x1a0" */
	if (strncmp(sym, name, len) || sym[len] != '+' ||
	    sscanf(sym + len, "+%lx/", &off) != 1 || off > addr)
		return 0;
	return addr - off;
}

/*
 * May the module call the kernel function at @addr through a pointer?
 * With IBT (x86 CONFIG_X86_KERNEL_IBT), an indirect call must land on
 * ENDBR64.  objtool lists the functions whose address is never taken,
 * kallsyms_lookup_name() among them, and on a CPU with IBT enabled
 * apply_seal_endbr() (arch/x86/kernel/alternative.c) overwrites their
 * ENDBR with a 4-byte NOP: calling one through a pointer raises a control
 * protection fault, "Missing ENDBR", and the kernel BUGs.  So call only a
 * function that begins with ENDBR64 itself; not is_endbr(), which also
 * accepts the sealing NOP (it serves kprobes and ftrace, which skip it).
 * Without IBT in the kernel, nothing is sealed and the CPU checks nothing.
 */
static bool zp_may_call(unsigned long addr)
{
#if defined(ZP_TEST_IBT_SEALED)
	/* The test bed's second build: as if an IBT CPU had sealed it. */
	return false;
#elif defined(CONFIG_X86_KERNEL_IBT)
	u32 insn;

	if (copy_from_kernel_nofault(&insn, (void *)addr, sizeof(insn)))
		return false;
	return insn == gen_endbr();
#else
	return true;
#endif
}

unsigned long zp_kernel_function(const char *name)
{
	static unsigned long lookup;
	static bool resolved;

	/* Only at load, from the module's init: no concurrent caller. */
	if (!resolved) {
		resolved = true;
		lookup = zp_symbol_start("kallsyms_lookup_name");
		if (lookup && !zp_may_call(lookup)) {
			pr_info("kallsyms_lookup_name() was sealed for IBT (no ENDBR): not calling it; the kernel symbols it would find stay unknown\n");
			lookup = 0;
		}
	}
	if (!lookup)
		return 0;
	return ((unsigned long (*)(const char *))lookup)(name);
}

#else /* ZP_NO_HOOKS */

unsigned long zp_kernel_function(const char *name)
{
	return 0;
}

#endif /* ZP_NO_HOOKS */
