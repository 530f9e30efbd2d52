/* SPDX-License-Identifier: MIT
 * meta.h -- a store's key/value metadata by typed key: the one list of the
 * keys the programs keep (a misspelt key is a compile error, not a value
 * that is never found). Device keys, district keys and the clock. */
#ifndef DS_COMMON_META_H
#define DS_COMMON_META_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/err.h"

struct sqlite3;
struct store;

enum meta_key {
  /* A device: its identity and how it reaches the district. */
  META_COMMUNE,
  META_NODE,
  META_PK,
  META_SK,
  META_SERVER,
  META_TOKEN,
  META_PIN,
  META_CACERT,
  /* A device: how far its sync has got (DESIGN §6). */
  META_ACKED,
  META_SENT_MAX,
  META_CURSOR,
  META_CURSOR_HASH,
  META_HLC_SEEN,
  META_ENROLLED,
  META_LAST_SYNC_MS,
  /* A device: whom it trusts (issue #15): the district's key, and the
   * district's receipt of its enrolment. */
  META_DISTRICT_PK,
  META_RECEIPT,
  /* A device: a head the district's log was found not to hold, carried in
   * requests until the district has logged it (DESIGN §11); what the last
   * sync brought, for status. */
  META_LOST_HEAD,
  META_BROUGHT_FROM,
  /* A device: the last bundle exported (id, when, ops, last seq) and the
   * newest answer bundle imported (its HLC and when it was made). */
  META_BUNDLE_OUT_ID,
  META_BUNDLE_OUT_MS,
  META_BUNDLE_OUT_OPS,
  META_BUNDLE_OUT_SEQ,
  META_BUNDLE_IN_HLC,
  META_BUNDLE_IN_MS,
  /* The district: its node id and signing key, the report's issuer, the
   * announcement of its last key rotation. */
  META_DISTRICT_NODE,
  META_DISTRICT_SK,
  META_ISSUER,
  META_KEY_ROTATION,
  META_COUNT
};

/* The key's name in the meta table (for SQL that must name it). */
const char *meta_name(enum meta_key k);

/* As store_meta_get_int / _set_int / _get / _set, by typed key. Getters
 * return DS_ENOENT when the key is absent. */
DS_NODISCARD int meta_get_int(struct store *st, enum meta_key k, int64_t *out);
DS_NODISCARD int meta_set_int(struct store *st, enum meta_key k, int64_t v);
DS_NODISCARD int meta_get(struct store *st, enum meta_key k, struct buf *out);
DS_NODISCARD int meta_set(struct store *st, enum meta_key k, const void *p,
                          size_t n);
/* Removes key |k| (absent already: 0). A translated SQLite code. */
DS_NODISCARD int meta_delete(struct store *st, enum meta_key k);
/* The integer value, or 0 when it is absent or unreadable. */
int64_t meta_int_or_0(struct store *st, enum meta_key k);
/* A value of exactly |len| bytes into |out|: DS_ECORRUPT for another
 * length, DS_ENOENT when absent. */
DS_NODISCARD int meta_get_exact(struct store *st, enum meta_key k, void *out,
                                size_t len);
/* meta_get_exact on the meta table of schema |schema| attached to |db|
 * (another district store a replay reads; the name is the program's). */
DS_NODISCARD int meta_get_exact_in(struct sqlite3 *db, const char *schema,
                                   enum meta_key k, void *out, size_t len);
/* A text value into |out| (|cap| bytes, NUL-terminated, cut to fit). */
DS_NODISCARD int meta_get_str(struct store *st, enum meta_key k, char *out,
                              size_t cap);
#endif
