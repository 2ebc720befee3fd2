/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The test module's ioctls on /dev/zp_testmod (selftests/kmod/), shared by
 * the module and zp_test.  Each argument is a user address in the caller's
 * own mm.
 */
#ifndef ZP_TESTMOD_H
#define ZP_TESTMOD_H

#include <linux/ioctl.h>

#define ZP_TESTMOD_DEV "/dev/zp_testmod"

/* Mark the caller's mm as the OOM reaper does (MMF_UNSTABLE); no argument. */
#define ZPT_MM_UNSTABLE		_IO('z', 1)
/* Map the zero page at the address without the special bit, read-only. */
#define ZPT_MAP_PLAIN_ZERO	_IO('z', 2)
/* Clear the PTE ZPT_MAP_PLAIN_ZERO set, before the mapping goes away. */
#define ZPT_CLEAR_PTE		_IO('z', 3)
/*
 * Hold redirecting ftrace ops (as a live patch does) on every fault
 * function the module can hook, until the file is closed; no argument.
 */
#define ZPT_SQUAT		_IO('z', 4)
/*
 * PREEMPT_RT only: hold the PTE lock of the address's page table (busy,
 * preemptible) until ZPT_PTL_RELEASE or 15 s, then return; a present PTE
 * at the address keeps the table.  ZPT_PTL_HELD returns 1 while it holds.
 */
#define ZPT_PTL_HOLD		_IO('z', 5)
#define ZPT_PTL_RELEASE		_IO('z', 6)
#define ZPT_PTL_HELD		_IO('z', 7)

#endif
