/* SPDX-License-Identifier: MIT
 * bundle.h -- the district's side of sneakernet bundles (DESIGN §12):
 * `dansyncd bundle import FILE --answer OUT` puts each request of a
 * device's export bundle through ingest_sync, as if it had come over the
 * network (freshness excepted), and writes the answers, signed by the
 * district key and sealed to the device. It runs beside `serve` as the
 * other admin commands do. It owns the table bundle_import. */
#ifndef DS_DAEMON_BUNDLE_H
#define DS_DAEMON_BUNDLE_H
#include <stdint.h>

#include "common/id.h"

struct args;
struct store;

/* Runs `dansyncd bundle VERB`; returns the process exit code. */
int bundle_cmd(const struct args *a, const char *verb);
/* When |node| last synced by bundle (ms), 0 if never. */
int64_t bundle_last_import(struct store *st, const uint8_t node[ID_LEN]);
#endif
