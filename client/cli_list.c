/* SPDX-License-Identifier: MIT
 * cli_list.c -- dansync's lists and detail views of every entity, and
 * finding a record by its short id. Lists are aligned columns within 100
 * characters, typed text escaped; --json gives every value intact. */
#include <stdio.h>
#include <string.h>

#include <sqlite3.h>

#include "client/cli_int.h"
#include "client/history.h"
#include "common/db.h"
#include "common/hex.h"
#include "common/json.h"
#include "common/query.h"
#include "common/schema.h"
#include "common/textout.h"
#include "common/vnenum.h"

void cli_short_id(char out[9], const uint8_t rid[ID_LEN]) {
  char hex[ID_HEX_LEN + 1];
  hex_encode(hex, rid, ID_LEN);
  memcpy(out, hex + ID_HEX_LEN - 8, 9);
}

int cli_resolve(struct store *st, int ent, const char *text,
                uint8_t rid[ID_LEN]) {
  char list[6 * (ID_HEX_LEN + 2)];
  int rc = query_resolve(st, ent, text, rid, list, sizeof(list));
  if (rc == DS_EINVAL)
    return cli_failf(EXIT_ERROR, MSG_BAD_ID, text);
  if (rc == DS_ENOENT)
    return cli_failf(EXIT_ERROR, MSG_NO_SUCH_ID,
                     ent >= 0 ? cli_ent_name(ent) : "", text);
  if (rc == DS_EAMBIGUOUS)
    return cli_failf(EXIT_ERROR, MSG_AMBIGUOUS_ID, text, list);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : 0;
}

/* A list's columns: the view's column, its heading, its width (the last
 * takes the rest of 100 characters), and whether it is an enum to label. */
struct column {
  const char *name;
  enum msg_id head;
  int width;
  bool label;
};

static const struct column meeting_cols[] = {
    {"held_on", MSG_COL_DATE, 10, false},
    {"kind", MSG_COL_KIND, 24, true},
    {"attendees", MSG_COL_ATTENDEES, 9, false},
    {"hamlet", MSG_COL_HAMLET, 39, false},
    {NULL, 0, 0, false}};
static const struct column survey_cols[] = {
    {"taken_on", MSG_COL_DATE, 10, false},
    {"service", MSG_COL_SERVICE, 16, true},
    {"overall", MSG_COL_OVERALL, 7, false},
    {"comment", MSG_COL_TEXT, 49, false},
    {NULL, 0, 0, false}};
static const struct column visit_cols[] = {
    {"visited_on", MSG_COL_DATE, 10, false},
    {"situation", MSG_COL_SITUATION, 18, true},
    {"gift_vnd", MSG_COL_GIFT, 12, false},
    {"household", MSG_COL_HOUSEHOLD, 42, false},
    {NULL, 0, 0, false}};

static int list_line(struct buf *b, const struct column *cols, int ncols,
                     const char *const *cells, const char *id) {
  int rc = textout_cell(b, id, strlen(id), 8, 1);
  for (int i = 0; i < ncols && !rc; i++) {
    const char *v = cells[i] ? cells[i] : "";
    if (cols[i].label && cells[i])
      v = vnenum_label(v);
    rc = buf_printf(b, "  ");
    rc = rc || textout_cell(b, v, strlen(v), cols[i].width, i + 1 < ncols);
  }
  return rc || buf_putc(b, '\n');
}

static int list_other(struct device *dev, int ent, bool json, struct buf *out) {
  const struct column *cols = ent == ENT_MEETING  ? meeting_cols
                              : ent == ENT_SURVEY ? survey_cols
                                                  : visit_cols;
  const struct entity_def *e = schema_entity(ent);
  struct buf sql;
  sqlite3_stmt *s = NULL;
  int ncols = 0, rc, k = 0, more = 0;

  while (cols[ncols].name)
    ncols++;
  buf_init(&sql, 0);
  rc = buf_printf(&sql, "SELECT lower(hex(rid)), commune");
  for (int f = 0; f < e->nfields && !rc; f++)
    if (f != e->commune_field)
      rc = buf_printf(&sql, ", %s", e->fields[f].name);
  rc = rc || buf_printf(&sql, " FROM %s", e->name);
  if (!rc && schema_field_find(e, "voided", 6) >= 0)
    rc = buf_printf(&sql, " WHERE coalesce(voided, 0) = 0");
  rc = rc || buf_printf(&sql, " ORDER BY %s, rid", cols[0].name);
  rc = rc || buf_cstr(&sql);
  /* A list that cannot be read is an error, never an empty list. */
  if (!rc)
    rc = db_prepare(store_sqlite(dev->st), (char *)sql.data, &s);
  if (!rc && json)
    rc = buf_putc(out, '[');
  if (!rc && !json) {
    const char *heads[8];
    for (int i = 0; i < ncols; i++)
      heads[i] = msg(cols[i].head);
    rc = list_line(out, cols, ncols, heads, msg(MSG_COL_ID));
  }
  while (!rc && (more = db_step(s)) == 1) {
    const char *cells[8];
    if (json) {
      rc = buf_printf(out, "%s\n  {\"id\": ", k ? "," : "");
      for (int c = 1, f = 0; c < sqlite3_column_count(s) && !rc; c++) {
        const char *t = (const char *)sqlite3_column_text(s, c);
        rc = buf_printf(out, "\"%s\": ", sqlite3_column_name(s, c));
        rc = rc || (t ? json_str(out, t, strlen(t)) : buf_printf(out, "null"));
        rc = rc || buf_printf(out, "%s",
                              c + 1 < sqlite3_column_count(s) ? ", " : "}");
        (void)f;
      }
      k++;
      continue;
    }
    for (int i = 0; i < ncols; i++) {
      cells[i] = NULL;
      for (int c = 0; c < sqlite3_column_count(s); c++)
        if (!strcmp(sqlite3_column_name(s, c), cols[i].name))
          cells[i] = (const char *)sqlite3_column_text(s, c);
    }
    rc = list_line(out, cols, ncols, cells,
                   (const char *)sqlite3_column_text(s, 0) + ID_HEX_LEN - 8);
    k++;
  }
  if (!rc && more < 0)
    rc = more;
  if (!rc && json)
    rc = buf_printf(out, k ? "\n]\n" : "]\n");
  sqlite3_finalize(s);
  buf_cleanup(&sql);
  return rc;
}

static int list_petitions(struct device *dev, const struct args *a, bool json) {
  static const enum msg_id heads_id[] = {
      MSG_COL_ID, MSG_COL_DATE, MSG_COL_STATUS, MSG_COL_CATEGORY, MSG_COL_TEXT};
  const char *heads[5];
  struct query_filter flt;
  char err[DS_ERRBUF_LEN], today[11], from[11], to[11], meeting[ID_HEX_LEN + 1];
  const char *v;
  uint8_t rid[ID_LEN];
  int rc, k;

  query_filter_from_args(&flt, a, today);
  for (int i = 0; i < 5; i++)
    heads[i] = msg(heads_id[i]);
  flt.heads = heads;
  flt.open = args_has(a, "open");
  flt.hamlet = args_get(a, "hamlet");
  if ((v = args_get(a, "status"))) {
    if ((k = vnenum_parse(schema_status_names, v)) < 0)
      return cli_failf(EXIT_ERROR, MSG_BAD_CHOICE, "status", v,
                       "received, in_progress, escalated, answered, resolved");
    flt.status = schema_status_names[k];
  }
  if ((v = args_get(a, "category")) &&
      (k = vnenum_parse(schema_category_names, v)) >= 0)
    flt.category = schema_category_names[k];
  if (((v = args_get(a, "from")) && !query_date_parse(v, from)) ||
      ((v = args_get(a, "to")) && !query_date_parse(v, to)))
    return cli_failf(EXIT_ERROR, MSG_BAD_DATE,
                     args_get(a, "from") == v ? "from" : "to", v);
  flt.from = args_get(a, "from") ? from : NULL;
  flt.to = args_get(a, "to") ? to : NULL;
  if (flt.from && flt.to && strcmp(flt.from, flt.to) > 0)
    return cli_fail(EXIT_ERROR, msg(MSG_REVERSED_PERIOD));
  if ((v = args_get(a, "meeting"))) {
    if (cli_resolve(dev->st, ENT_MEETING, v, rid))
      return EXIT_ERROR;
    hex_encode(meeting, rid, ID_LEN);
    flt.meeting = meeting;
  }
  rc = query_petitions(dev->st, &flt, json, stdout, err);
  if (rc == DS_EBADOP)
    return cli_fail(EXIT_ERROR, err);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : 0;
}

int cmd_list(const struct args *a, int ent, const char *cmd) {
  static const char *const pet_allowed[] = {
      "status", "category", "overdue", "search", "json",    "commune",
      "open",   "hamlet",   "from",    "to",     "meeting", NULL};
  static const char *const allowed[] = {"json", NULL};
  bool json = args_has(a, "json");
  struct device dev;
  struct buf out;
  int rc;

  rc = cli_only(a, cmd, ent == ENT_PETITION ? pet_allowed : allowed);
  if (rc || (rc = cli_extra(a, cmd, 2)))
    return rc;
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  if (ent == ENT_PETITION) {
    rc = list_petitions(&dev, a, json);
    local_close(&dev);
    return rc;
  }
  buf_init(&out, 0);
  rc = list_other(&dev, ent, json, &out);
  local_close(&dev);
  if (!rc)
    fwrite(out.data, 1, out.len, stdout);
  buf_cleanup(&out);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : EXIT_OK;
}

/* The history's text, each line's typed text escaped (history_write cuts
 * values at 40 bytes, which can split a character: that shows as \xHH). */
static int print_history(const struct buf *hist, FILE *out) {
  const char *p = (const char *)hist->data, *end = p + hist->len;
  struct buf b;
  int rc = 0;
  buf_init(&b, 0);
  while (p < end && !rc) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    rc = textout_escaped(&b, p, n);
    rc = rc || (nl && buf_putc(&b, '\n'));
    p += n + (nl ? 1 : 0);
  }
  if (!rc && b.len)
    fwrite(b.data, 1, b.len, out);
  buf_cleanup(&b);
  return rc;
}

int cmd_show(const struct args *a, int ent, const char *cmd) {
  static const char *const allowed[] = {"json", NULL};
  bool json = args_has(a, "json");
  char m[256];
  struct device dev;
  uint8_t rid[ID_LEN];
  struct buf hist;
  int rc;

  rc = cli_only(a, cmd, allowed);
  if (rc || (rc = cli_extra(a, cmd, 3)))
    return rc;
  if (a->npos != 3) {
    msg_fmt(m, sizeof(m), MSG_NEEDS_ID, cli_ent_name(ent));
    return cli_usage(cmd, m);
  }
  rc = cli_open(&dev, a);
  if (rc)
    return rc;
  rc = cli_resolve(dev.st, ent, a->pos[2], rid);
  if (rc) {
    local_close(&dev);
    return rc;
  }
  buf_init(&hist, 0);
  rc = history_write(dev.st, rid, json, &hist);
  if (!rc)
    rc = query_record(dev.st, rid, json, json ? (char *)hist.data : NULL,
                      stdout);
  if (!rc && !json)
    rc = print_history(&hist, stdout);
  buf_cleanup(&hist);
  local_close(&dev);
  return rc ? cli_fail(EXIT_ERROR, msg(MSG_STORE_READ)) : EXIT_OK;
}
