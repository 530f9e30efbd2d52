/* SPDX-License-Identifier: MIT
 * hlc.c -- hybrid logical clock arithmetic. */
#include "common/hlc.h"

uint64_t hlc_tick(uint64_t last, uint64_t now_ms) {
  uint64_t now = HLC_FROM_MS(now_ms);
  return now > last ? now : last + 1;
}

uint64_t hlc_adopt(uint64_t last, uint64_t remote) {
  return remote > last ? remote : last;
}
