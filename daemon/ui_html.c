/* SPDX-License-Identifier: MIT
 * ui_html.c -- the dashboard's writing helpers: HTML escaping (every value
 * a person typed goes through ui_esc), form decoding, and the assets
 * (stylesheet, script) compiled into the binary: no CDN, no build step. */
#include <stdio.h>
#include <string.h>

#include "common/hex.h"
#include "daemon/ui_int.h"

int ui_esc_n(struct buf *b, const char *s, size_t n) {
  int rc = 0;
  for (size_t i = 0; i < n && !rc; i++) {
    unsigned char ch = (unsigned char)s[i];
    switch (ch) {
    case '&': rc = buf_append(b, "&amp;", 5); break;
    case '<': rc = buf_append(b, "&lt;", 4); break;
    case '>': rc = buf_append(b, "&gt;", 4); break;
    case '"': rc = buf_append(b, "&quot;", 6); break;
    case '\'': rc = buf_append(b, "&#39;", 5); break;
    default:
      /* Control characters are shown, never obeyed: C0 other than newline
       * and tab, DEL, and C1 (U+0080..U+009F, C2 80..C2 9F in UTF-8). */
      if ((ch < 0x20 && ch != '\n' && ch != '\t') || ch == 0x7f) {
        rc = buf_printf(b, "\\x%02x", ch);
      } else if (ch == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
                 (unsigned char)s[i + 1] <= 0x9f) {
        rc = buf_printf(b, "\\u%04x", (unsigned char)s[i + 1]);
        i++;
      } else {
        rc = buf_putc(b, ch);
      }
    }
  }
  return rc;
}

int ui_esc(struct buf *b, const char *s) {
  return s ? ui_esc_n(b, s, strlen(s)) : 0;
}

bool ui_form_get(const char *q, const char *name, char *out, size_t cap) {
  size_t nl = strlen(name);
  const char *p = q;

  while (p && *p) {
    if (!strncmp(p, name, nl) && p[nl] == '=') {
      size_t n = 0;
      for (p += nl + 1; *p && *p != '&'; p++) {
        int c = (unsigned char)*p;
        if (c == '+') {
          c = ' ';
        } else if (c == '%' && hex_digit(p[1]) >= 0 && hex_digit(p[2]) >= 0) {
          c = hex_digit(p[1]) * 16 + hex_digit(p[2]);
          p += 2;
        }
        if (n + 1 >= cap)
          return false;
        out[n++] = (char)c;
      }
      out[n] = '\0';
      return strlen(out) == n; /* a NUL byte typed in is refused */
    }
    p = strchr(p, '&');
    if (p)
      p++;
  }
  return false;
}

const char *ui_query(const char *url) {
  const char *q = strchr(url, '?');
  return q ? q + 1 : "";
}

static const char css[] =
    ":root{--fg:#1b2430;--muted:#5b6675;--line:#d5dbe3;--bg:#f5f7fa;"
    "--accent:#0b5cad;--warn:#b3261e;--ok:#1e7d32}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:15px/1.45 'Liberation Sans',Arial,sans-serif;"
    "color:var(--fg);background:var(--bg)}\n"
    "header{background:#123a63;color:#fff;padding:.5rem 1rem;display:flex;"
    "flex-wrap:wrap;align-items:center;gap:.4rem 1rem}\n"
    "header a{color:#fff;text-decoration:none}\n"
    "header .brand{font-weight:bold;margin-right:auto}\n"
    "nav{display:flex;flex-wrap:wrap;gap:.2rem .9rem}\n"
    "nav a.on{text-decoration:underline}\n"
    "header form{margin:0}\n"
    "header button{background:none;border:1px solid #fff;color:#fff;"
    "padding:.15rem .5rem;border-radius:3px;cursor:pointer}\n"
    "main{padding:1rem;max-width:1200px;margin:0 auto}\n"
    "h1{font-size:1.35rem;margin:.2rem 0 .8rem}\n"
    "h2{font-size:1.1rem;margin:1.2rem 0 .5rem}\n"
    ".card{background:#fff;border:1px solid var(--line);border-radius:6px;"
    "padding:.8rem;margin-bottom:1rem}\n"
    ".scroll{overflow-x:auto}\n"
    "table{border-collapse:collapse;width:100%;background:#fff}\n"
    "th,td{border-bottom:1px solid var(--line);padding:.35rem .5rem;"
    "text-align:left;vertical-align:top}\n"
    "th{background:#eef2f7;font-weight:600;white-space:nowrap}\n"
    "td.n,th.n{text-align:right;white-space:nowrap}\n"
    ".stale{color:var(--warn);font-weight:bold}\n"
    ".muted{color:var(--muted)}\n"
    ".msg{padding:.6rem .8rem;border-radius:4px;margin-bottom:1rem;"
    "background:#fdecea;color:var(--warn);border:1px solid #f5c2bd}\n"
    ".msg.ok{background:#e8f5e9;color:var(--ok);border-color:#b9dfbc}\n"
    "form.filters{display:flex;flex-wrap:wrap;gap:.5rem;align-items:flex-end}"
    "\n"
    "label{display:flex;flex-direction:column;font-size:.85rem;"
    "color:var(--muted);gap:.15rem}\n"
    "input,select,textarea{font:inherit;padding:.3rem .4rem;"
    "border:1px solid #aab4c0;border-radius:4px;background:#fff;"
    "max-width:100%}\n"
    "textarea{width:100%;min-height:5rem}\n"
    "button.primary,a.button{background:var(--accent);color:#fff;"
    "border:0;padding:.4rem .9rem;border-radius:4px;cursor:pointer;"
    "text-decoration:none;display:inline-block}\n"
    "button.danger{background:var(--warn);color:#fff;border:0;"
    "padding:.3rem .7rem;border-radius:4px;cursor:pointer}\n"
    ".pre{white-space:pre-wrap;overflow-wrap:anywhere}\n"
    "td{overflow-wrap:anywhere}\n"
    ".pager{display:flex;gap:1rem;margin:.6rem 0}\n"
    ".grid{display:grid;grid-template-columns:repeat(auto-fit,"
    "minmax(150px,1fr));gap:.6rem;margin-bottom:1rem}\n"
    ".stat{background:#fff;border:1px solid var(--line);border-radius:6px;"
    "padding:.6rem}\n"
    ".stat b{display:block;font-size:1.4rem}\n"
    "svg.chart{width:100%;height:auto;max-width:720px}\n"
    ".login{max-width:360px;margin:3rem auto}\n"
    ".login form{display:flex;flex-direction:column;gap:.7rem}\n"
    "dl.kv{display:grid;grid-template-columns:max-content 1fr;"
    "gap:.3rem .8rem;margin:0}\n"
    "dl.kv dt{color:var(--muted)}dl.kv dd{margin:0}\n"
    "@media (max-width:600px){main{padding:.5rem}"
    "th,td{padding:.3rem}body{font-size:14px}"
    "dl.kv{grid-template-columns:1fr}dl.kv dd{margin-bottom:.4rem}}\n"
    "@media print{header,form,.pager,.noprint{display:none!important}"
    "body{background:#fff}main{max-width:none;padding:0}"
    ".card{border:0;padding:0}}\n";

static const char js[] =
    "'use strict';\n"
    "/* Filters apply as soon as a choice changes; dangerous buttons ask "
    "first; the report prints. */\n"
    "document.addEventListener('DOMContentLoaded', function () {\n"
    "  document.querySelectorAll('form.filters select').forEach("
    "function (s) {\n"
    "    s.addEventListener('change', function () { s.form.submit(); });\n"
    "  });\n"
    "  document.querySelectorAll('[data-confirm]').forEach(function (b) {\n"
    "    b.addEventListener('click', function (e) {\n"
    "      if (!window.confirm(b.getAttribute('data-confirm')))\n"
    "        e.preventDefault();\n"
    "    });\n"
    "  });\n"
    "  var p = document.getElementById('print');\n"
    "  if (p) p.addEventListener('click', function () { window.print(); "
    "});\n"
    "});\n";

static const struct {
  const char *path, *type, *data;
  size_t len;
} assets[] = {
    {"/assets/app.css", "text/css; charset=utf-8", css, sizeof(css) - 1},
    {"/assets/app.js", "text/javascript; charset=utf-8", js, sizeof(js) - 1},
};

const char *ui_asset(const char *path, size_t *len, const char **type) {
  /* Exact names only: nothing is read from the disk, so "../" or "%2e%2e"
   * can only fail to match. */
  for (size_t i = 0; i < sizeof(assets) / sizeof(assets[0]); i++)
    if (!strcmp(path, assets[i].path)) {
      *len = assets[i].len;
      *type = assets[i].type;
      return assets[i].data;
    }
  return NULL;
}
