/* SPDX-License-Identifier: MIT
 * restamp.h -- `dansync sync --restamp` (DESIGN §5): the ops this device
 * never put on the wire get fresh clock values, and the records they touch
 * are rebuilt from every op the device holds, so its state matches what the
 * district will merge. Ops that may have reached the district (up to the
 * device's sent_max) are never touched. */
#ifndef DS_CLIENT_RESTAMP_H
#define DS_CLIENT_RESTAMP_H
#include <stdint.h>

#include "common/err.h"

struct device;

/* Restamps in one transaction; |*count| is how many ops were. Returns 0,
 * or a DS_E* code with |err| (DS_ERRBUF_LEN bytes) saying why; nothing
 * changes then. */
DS_NODISCARD int restamp_unsent(struct device *dev, uint64_t *count, char *err);
#endif
