/* SPDX-License-Identifier: MIT
 * hlc.h -- hybrid logical clock (DESIGN §4): top 48 bits Unix milliseconds,
 * low 16 bits a counter. Pure functions; the caller persists |last|. */
#ifndef DS_COMMON_HLC_H
#define DS_COMMON_HLC_H
#include <stdint.h>

#define HLC_FROM_MS(ms) ((uint64_t)(ms) << 16)
#define HLC_MS(h) ((uint64_t)(h) >> 16)

/* The clock value for a local event: max(now, last + 1). */
uint64_t hlc_tick(uint64_t last, uint64_t now_ms);
/* The clock after receiving |remote|: max(last, remote). */
uint64_t hlc_adopt(uint64_t last, uint64_t remote);
#endif
