/* SPDX-License-Identifier: MIT
 * lookup.c -- the client's reads of the entity views; see lookup.h. */
#include "client/lookup.h"

#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "common/buf.h"
#include "common/db.h"
#include "common/schema.h"
#include "common/store.h"

int lookup_field(struct store *st, int ent, const uint8_t rid[ID_LEN],
                 const char *field, char *out, size_t cap) {
  const struct entity_def *e = schema_entity(ent);
  sqlite3_stmt *s;
  struct buf sql;
  int rc;

  out[0] = '\0';
  /* The names come from the schema, never from input. */
  if (!e || schema_field_find(e, field, strlen(field)) < 0)
    return DS_EINVAL;
  buf_init(&sql, 0);
  rc = buf_printf(&sql, "SELECT %s FROM %s WHERE rid = ?1", field, e->name);
  rc = rc || buf_cstr(&sql);
  if (!rc)
    rc = db_prepare(store_sqlite(st), (const char *)sql.data, &s);
  buf_cleanup(&sql);
  if (rc)
    return rc;
  sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
  rc = db_step(s);
  if (rc == 1 && sqlite3_column_text(s, 0))
    snprintf(out, cap, "%s", (const char *)sqlite3_column_text(s, 0));
  sqlite3_finalize(s);
  return rc < 0 ? rc : 0;
}

int lookup_duplicate(struct store *st, const char *commune,
                     const char *received_on, const char *citizen,
                     const char *content, uint8_t rid[ID_LEN]) {
  sqlite3_stmt *s;
  int rc = db_prepare(store_sqlite(st),
                      "SELECT rid FROM petition WHERE commune = ?1 AND "
                      "received_on = ?2 AND coalesce(citizen, '') = ?3 AND "
                      "content = ?4 AND coalesce(voided, 0) = 0 LIMIT 1",
                      &s);
  if (rc)
    return rc;
  sqlite3_bind_text(s, 1, commune, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 2, received_on, -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 3, citizen ? citizen : "", -1, SQLITE_STATIC);
  sqlite3_bind_text(s, 4, content, -1, SQLITE_STATIC);
  rc = db_step(s);
  if (rc == 1) {
    if (sqlite3_column_bytes(s, 0) == ID_LEN)
      memcpy(rid, sqlite3_column_blob(s, 0), ID_LEN);
    else
      rc = DS_ECORRUPT;
  }
  sqlite3_finalize(s);
  return rc;
}
