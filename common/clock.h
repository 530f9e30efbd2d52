/* SPDX-License-Identifier: MIT
 * clock.h -- wall-clock milliseconds, overridable for tests through the
 * DANSYNC_FAKE_NOW_MS environment variable (read once per call). */
#ifndef DS_COMMON_CLOCK_H
#define DS_COMMON_CLOCK_H
#include <stdint.h>

/* Unix time in milliseconds. If DANSYNC_FAKE_NOW_MS holds a plain number,
 * that number; if it starts with '+' or '-', the real clock plus that offset
 * (tests use it to put a device's clock an hour ahead). */
uint64_t clock_now_ms(void);
#endif
