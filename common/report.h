/* SPDX-License-Identifier: MIT
 * report.h -- the district report (DESIGN §9) as a document: the figures of
 * common/repfig.h printed as Vietnamese text, JSON, CSV (Excel-safe), one
 * self-contained printable HTML page in the official layout, or the same
 * document as a .docx. */
#ifndef DS_COMMON_REPORT_H
#define DS_COMMON_REPORT_H
#include <stdio.h>

#include "common/err.h"

struct repfig;

enum report_format {
  REPORT_TEXT,
  REPORT_JSON,
  REPORT_CSV,
  REPORT_HTML,
  REPORT_DOCX
};

/* The document's fields; NULL ones are left blank (dotted) to fill by
 * hand. */
struct report_doc {
  const char *issuer;   /* "ỦY BAN NHÂN DÂN HUYỆN PHỤNG HIỆP" */
  const char *number;   /* "12/BC-UBND" */
  const char *place;    /* "Phụng Hiệp" */
  const char *date;     /* YYYY-MM-DD, the document's date */
  const char *signer;   /* "Nguyễn Văn A" */
  const char *position; /* "CHỦ TỊCH" */
};

/* The format named |s| ("text", "json", "csv", "html", "docx"); -1 if
 * none. */
int report_format_parse(const char *s);

/* Writes |f| in |format| to |out|. DS_ENOMEM, DS_EIO (|errbuf| says). */
DS_NODISCARD int report_write(const struct repfig *f,
                              const struct report_doc *doc,
                              enum report_format format, FILE *out,
                              char *errbuf);
#endif
