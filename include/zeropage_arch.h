/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per-architecture capability table.
 *
 * Linus' rule from 2009: map the shared zero page with a special PTE only
 * where the architecture has pte_special, and not at all where the data
 * cache is virtually indexed and aliases (one zero page cannot serve every
 * cache colour).  pte_special is a property of the kernel build
 * (CONFIG_ARCH_HAS_PTE_SPECIAL, which some architectures select only
 * conditionally); aliasing is sometimes a property of the CPU and is then
 * asked at load time.
 */
#ifndef ZEROPAGE_ARCH_H
#define ZEROPAGE_ARCH_H

#include <linux/types.h>
#ifdef ZP_HAVE_CPU_DCACHE_IS_ALIASING
#include <linux/cacheinfo.h>
#endif
#if defined(CONFIG_ARM)
#include <asm/cachetype.h>
#elif defined(CONFIG_MIPS)
#include <asm/cpu-features.h>
#elif defined(CONFIG_SH)
#include <asm/processor.h>
#elif defined(CONFIG_SPARC64)
#include <asm/page.h>
#endif

enum zp_alias {
	ZP_ALIAS_NEVER,		/* PIPT, or VIPT that cannot alias */
	ZP_ALIAS_ALWAYS,	/* virtually indexed, aliasing data cache */
	ZP_ALIAS_CPU,		/* depends on the CPU: asked at load */
};

struct zp_arch_cap {
	const char *arch;	/* directory under arch/ */
	const char *pte_special; /* when the arch selects ARCH_HAS_PTE_SPECIAL */
	enum zp_alias alias;
	const char *reason;	/* what decides the verdict, in a user's words */
};

/* Every architecture of Linux 6.1 and 6.12 (ia64 left in 6.7). */
#define ZP_ARCH_TABLE {							\
	{ "alpha", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "arc", "always", ZP_ALIAS_CPU,				\
	  "ARCompact VIPT-aliasing D-cache (6.1 CONFIG_ARC_CACHE_VIPT_ALIASING)" }, \
	{ "arm", "with LPAE", ZP_ALIAS_CPU,				\
	  "pte_special needs LPAE; VIVT/aliasing-VIPT caches (ARMv5/v6) alias" }, \
	{ "arm64", "always", ZP_ALIAS_NEVER, "PIPT data cache" },	\
	{ "csky", "never", ZP_ALIAS_ALWAYS,				\
	  "no pte_special; abiv1 VIPT D-cache aliases" },		\
	{ "hexagon", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "ia64", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "loongarch", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "m68k", "never", ZP_ALIAS_ALWAYS, "no pte_special; aliasing caches" }, \
	{ "microblaze", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "mips", "unless 32-bit with RIXI", ZP_ALIAS_CPU,		\
	  "cpu_has_dc_aliases when the D-cache way exceeds a page" },	\
	{ "nios2", "never", ZP_ALIAS_ALWAYS, "no pte_special; D-cache larger than a page" }, \
	{ "openrisc", "never", ZP_ALIAS_NEVER, "no pte_special" },	\
	{ "parisc", "always", ZP_ALIAS_ALWAYS, "VIPT data cache with equivalent aliasing" }, \
	{ "powerpc", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "riscv", "always", ZP_ALIAS_NEVER, "non-aliasing data cache" }, \
	{ "s390", "always", ZP_ALIAS_NEVER,				\
	  "PIPT; several coloured zero pages, KVM guests may forbid them" }, \
	{ "sh", "always", ZP_ALIAS_CPU, "D-cache aliases when n_aliases > 0" }, \
	{ "sparc", "sparc64 only", ZP_ALIAS_ALWAYS,			\
	  "sparc64 L1 D-cache larger than a page aliases; sparc32 lacks pte_special" }, \
	{ "um", "never", ZP_ALIAS_NEVER, "no pte_special" },		\
	{ "x86", "always", ZP_ALIAS_NEVER, "PIPT data cache" },		\
	{ "xtensa", "never", ZP_ALIAS_CPU, "no pte_special; D-cache way larger than a page" }, \
}

#if defined(CONFIG_X86)
#define ZP_THIS_ARCH "x86"
#elif defined(CONFIG_ARM64)
#define ZP_THIS_ARCH "arm64"
#elif defined(CONFIG_ARM)
#define ZP_THIS_ARCH "arm"
#elif defined(CONFIG_MIPS)
#define ZP_THIS_ARCH "mips"
#elif defined(CONFIG_PPC)
#define ZP_THIS_ARCH "powerpc"
#elif defined(CONFIG_S390)
#define ZP_THIS_ARCH "s390"
#elif defined(CONFIG_RISCV)
#define ZP_THIS_ARCH "riscv"
#elif defined(CONFIG_LOONGARCH)
#define ZP_THIS_ARCH "loongarch"
#elif defined(CONFIG_SPARC)
#define ZP_THIS_ARCH "sparc"
#elif defined(CONFIG_PARISC)
#define ZP_THIS_ARCH "parisc"
#elif defined(CONFIG_SUPERH)
#define ZP_THIS_ARCH "sh"
#elif defined(CONFIG_ARC)
#define ZP_THIS_ARCH "arc"
#elif defined(CONFIG_M68K)
#define ZP_THIS_ARCH "m68k"
#elif defined(CONFIG_ALPHA)
#define ZP_THIS_ARCH "alpha"
#elif defined(CONFIG_CSKY)
#define ZP_THIS_ARCH "csky"
#elif defined(CONFIG_HEXAGON)
#define ZP_THIS_ARCH "hexagon"
#elif defined(CONFIG_IA64)
#define ZP_THIS_ARCH "ia64"
#elif defined(CONFIG_MICROBLAZE)
#define ZP_THIS_ARCH "microblaze"
#elif defined(CONFIG_NIOS2)
#define ZP_THIS_ARCH "nios2"
#elif defined(CONFIG_OPENRISC)
#define ZP_THIS_ARCH "openrisc"
#elif defined(CONFIG_UML)
#define ZP_THIS_ARCH "um"
#elif defined(CONFIG_XTENSA)
#define ZP_THIS_ARCH "xtensa"
#else
#error "zeropage: add this architecture to the capability table"
#endif

/*
 * Does this CPU's data cache alias?  Mirrors cpu_dcache_is_aliasing()
 * (6.9+) and, before it, each architecture's own test.
 */
static inline bool zp_dcache_aliases(enum zp_alias table_says)
{
#ifdef ZP_HAVE_CPU_DCACHE_IS_ALIASING
	return cpu_dcache_is_aliasing();
#elif defined(CONFIG_ARM)
	return cache_is_vivt() || cache_is_vipt_aliasing();
#elif defined(CONFIG_MIPS)
	return cpu_has_dc_aliases;
#elif defined(CONFIG_SUPERH)
	return boot_cpu_data.dcache.n_aliases != 0;
#elif defined(CONFIG_ARC)
	return IS_ENABLED(CONFIG_ARC_CACHE_VIPT_ALIASING);
#elif defined(DCACHE_ALIASING_POSSIBLE)
	return true;
#else
	return table_says == ZP_ALIAS_ALWAYS;
#endif
}

#endif /* ZEROPAGE_ARCH_H */
