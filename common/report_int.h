/* SPDX-License-Identifier: MIT
 * report_int.h -- what the report's format files (report.c: text and the
 * shared pieces; report_data.c: json, csv; report_html.c; report_docx.c)
 * share: a writer with a sticky error, Vietnamese numbers and dates, and
 * the sentences every document format prints. Private to these files. */
#ifndef DS_COMMON_REPORT_INT_H
#define DS_COMMON_REPORT_INT_H
#include <stddef.h>
#include <stdint.h>

#include "common/buf.h"
#include "common/repfig.h"
#include "common/report.h"

/* Output with a sticky error: the first failure is kept and reported once,
 * so the many small writes need no check each. */
struct out {
  struct buf b;
  int rc;
};
void report__outf(struct out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void report__outn(struct out *o, const char *s, size_t n);
#define P(...) report__outf(b, __VA_ARGS__)

/* A short string made by a formatter; several fit in one printf. */
struct num {
  char s[48];
};
struct num report__int(int64_t v);  /* 2174 -> "2.174" */
struct num report__dec(int64_t h);  /* hundredths -> "99,57", "100" */
struct num report__pct(int64_t bp); /* 9957 -> "99,57%" */
struct num report__share(int64_t part, int64_t whole);  /* "33,33%" */
struct num report__trieu(int64_t vnd);                  /* 26500000 -> "26,5" */
struct num report__mean(const struct repfig_rating *r); /* "3,67" */
struct num report__date(const char *d);  /* "2024-05-31" -> "31/05/2024" */
struct num report__time(int64_t ms);     /* local "dd/mm/yyyy hh:mm" */
struct num report__iso_time(int64_t ms); /* UTC ISO 8601, "" for 0 */
/* Bytes of the control character at |p| (C0, DEL, C1), or 0. */
size_t report__ctrl_len(const unsigned char *p);
/* |s| for a terminal: newline, tab, CR as a space, other controls \xNN. */
void report__put_text(struct out *b, const char *s);

extern const char *const report__share_keys[4];
const char *report__scope(const struct repfig *f);
const char *report__sat_name(const struct repfig *f,
                             const struct repfig_sat *s);
const char *report__status_text(const struct repfig_escalation *e);

/* The sentences: unescaped text (names from the store, no typed text). */
typedef void (*report_sentence_fn)(struct out *b, const struct repfig *f);
void report__period(struct out *b, const struct repfig *f);
void report__s_meetings(struct out *b, const struct repfig *f);
void report__s_other_meetings(struct out *b, const struct repfig *f);
void report__s_petitions(struct out *b, const struct repfig *f);
void report__s_share(struct out *b, const struct repfig *f);
void report__s_visits(struct out *b, const struct repfig *f);
/* "Phụng Hiệp, ngày 10 tháng 06 năm 2024". */
void report__doc_date(struct out *b, const struct report_doc *d);
/* The sentence |fn| as a C string in |tmp| (reset first; "" on error). */
const char *report__sentence(struct out *tmp, report_sentence_fn fn,
                             const struct repfig *f);

void report__json(struct out *b, const struct repfig *f,
                  const struct report_doc *d);
void report__csv(struct out *b, const struct repfig *f);
void report__html(struct out *b, struct out *tmp, const struct repfig *f,
                  const struct report_doc *d);
/* Appends the .docx file's bytes (a zip) to |b|. */
void report__docx(struct out *b, struct out *tmp, const struct repfig *f,
                  const struct report_doc *d);
#endif
