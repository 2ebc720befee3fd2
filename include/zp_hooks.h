/* SPDX-License-Identifier: GPL-2.0 */
/*
 * hooks.c: attaching the module to the fault path at load (the capability
 * checks of pte_glue.c, a fault hook, the probes), detaching it at unload.
 */
#ifndef ZP_HOOKS_H
#define ZP_HOOKS_H

/* @strategy: "auto", or the one fault function to hook. */
int zp_hooks_attach(const char *strategy);
/* Once this returns, no hook runs and no diverted fault is left. */
void zp_hooks_detach(void);
/* The `hook` file: the function hooked and how. */
const char *zp_hooks_describe(void);

#endif /* ZP_HOOKS_H */
