/* SPDX-License-Identifier: MIT
 * vnenum.c -- typed enum values and their Vietnamese labels. */
#include "common/vnenum.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* DESIGN §3's labels, one table: a slug shared by two enums ("land",
 * "other", "social_protection") has the same label in both. */
static const struct {
  const char *slug, *label;
} labels[] = {
    {"received", "đã tiếp nhận"},
    {"in_progress", "đang xử lý"},
    {"escalated", "đã chuyển cấp trên"},
    {"answered", "đã trả lời"},
    {"resolved", "đã giải quyết"},
    {"economy", "kinh tế"},
    {"culture", "văn hóa"},
    {"environment", "môi trường"},
    {"rural_transport", "giao thông nông thôn"},
    {"irrigation", "thủy lợi"},
    {"electricity", "điện"},
    {"water", "nước sinh hoạt"},
    {"agriculture", "sản xuất nông nghiệp"},
    {"merit_policy", "chế độ chính sách người có công"},
    {"social_protection", "bảo trợ xã hội"},
    {"social_security", "an sinh xã hội"},
    {"health_insurance", "bảo hiểm y tế"},
    {"public_order", "an ninh trật tự"},
    {"land", "đất đai"},
    {"civil_servant_attitude", "thái độ phục vụ của công chức"},
    {"administrative_procedure", "thủ tục hành chính"},
    {"housing", "nhà ở"},
    {"other", "khác"},
    {"monthly_listening", "sinh hoạt \"nghe dân nói\" hằng tháng"},
    {"dialogue", "đối thoại"},
    {"citizen_reception", "tiếp công dân"},
    {"civil_registration", "hộ tịch"},
    {"construction", "xây dựng"},
    {"business", "kinh doanh"},
    {"policy_family", "gia đình chính sách"},
    {"poor_household", "hộ nghèo"},
    {"elderly_alone", "người già neo đơn"},
    {"student_hardship", "học sinh khó khăn"},
    {"poor_patient", "bệnh nhân nghèo"},
};

/* Latin letters with diacritics (U+00C0..U+024F, U+1EA0..U+1EFF) and the
 * base letter each folds to, sorted by code point (made from Unicode's
 * canonical decompositions; đ/Đ added, which have none). */
static const struct fold {
  uint16_t cp;
  char base;
} folds[] = {
    {0x00c0, 'a'}, {0x00c1, 'a'}, {0x00c2, 'a'}, {0x00c3, 'a'}, {0x00c4, 'a'},
    {0x00c5, 'a'}, {0x00c7, 'c'}, {0x00c8, 'e'}, {0x00c9, 'e'}, {0x00ca, 'e'},
    {0x00cb, 'e'}, {0x00cc, 'i'}, {0x00cd, 'i'}, {0x00ce, 'i'}, {0x00cf, 'i'},
    {0x00d1, 'n'}, {0x00d2, 'o'}, {0x00d3, 'o'}, {0x00d4, 'o'}, {0x00d5, 'o'},
    {0x00d6, 'o'}, {0x00d9, 'u'}, {0x00da, 'u'}, {0x00db, 'u'}, {0x00dc, 'u'},
    {0x00dd, 'y'}, {0x00e0, 'a'}, {0x00e1, 'a'}, {0x00e2, 'a'}, {0x00e3, 'a'},
    {0x00e4, 'a'}, {0x00e5, 'a'}, {0x00e7, 'c'}, {0x00e8, 'e'}, {0x00e9, 'e'},
    {0x00ea, 'e'}, {0x00eb, 'e'}, {0x00ec, 'i'}, {0x00ed, 'i'}, {0x00ee, 'i'},
    {0x00ef, 'i'}, {0x00f1, 'n'}, {0x00f2, 'o'}, {0x00f3, 'o'}, {0x00f4, 'o'},
    {0x00f5, 'o'}, {0x00f6, 'o'}, {0x00f9, 'u'}, {0x00fa, 'u'}, {0x00fb, 'u'},
    {0x00fc, 'u'}, {0x00fd, 'y'}, {0x00ff, 'y'}, {0x0100, 'a'}, {0x0101, 'a'},
    {0x0102, 'a'}, {0x0103, 'a'}, {0x0104, 'a'}, {0x0105, 'a'}, {0x0106, 'c'},
    {0x0107, 'c'}, {0x0108, 'c'}, {0x0109, 'c'}, {0x010a, 'c'}, {0x010b, 'c'},
    {0x010c, 'c'}, {0x010d, 'c'}, {0x010e, 'd'}, {0x010f, 'd'}, {0x0110, 'd'},
    {0x0111, 'd'}, {0x0112, 'e'}, {0x0113, 'e'}, {0x0114, 'e'}, {0x0115, 'e'},
    {0x0116, 'e'}, {0x0117, 'e'}, {0x0118, 'e'}, {0x0119, 'e'}, {0x011a, 'e'},
    {0x011b, 'e'}, {0x011c, 'g'}, {0x011d, 'g'}, {0x011e, 'g'}, {0x011f, 'g'},
    {0x0120, 'g'}, {0x0121, 'g'}, {0x0122, 'g'}, {0x0123, 'g'}, {0x0124, 'h'},
    {0x0125, 'h'}, {0x0128, 'i'}, {0x0129, 'i'}, {0x012a, 'i'}, {0x012b, 'i'},
    {0x012c, 'i'}, {0x012d, 'i'}, {0x012e, 'i'}, {0x012f, 'i'}, {0x0130, 'i'},
    {0x0134, 'j'}, {0x0135, 'j'}, {0x0136, 'k'}, {0x0137, 'k'}, {0x0139, 'l'},
    {0x013a, 'l'}, {0x013b, 'l'}, {0x013c, 'l'}, {0x013d, 'l'}, {0x013e, 'l'},
    {0x0143, 'n'}, {0x0144, 'n'}, {0x0145, 'n'}, {0x0146, 'n'}, {0x0147, 'n'},
    {0x0148, 'n'}, {0x014c, 'o'}, {0x014d, 'o'}, {0x014e, 'o'}, {0x014f, 'o'},
    {0x0150, 'o'}, {0x0151, 'o'}, {0x0154, 'r'}, {0x0155, 'r'}, {0x0156, 'r'},
    {0x0157, 'r'}, {0x0158, 'r'}, {0x0159, 'r'}, {0x015a, 's'}, {0x015b, 's'},
    {0x015c, 's'}, {0x015d, 's'}, {0x015e, 's'}, {0x015f, 's'}, {0x0160, 's'},
    {0x0161, 's'}, {0x0162, 't'}, {0x0163, 't'}, {0x0164, 't'}, {0x0165, 't'},
    {0x0168, 'u'}, {0x0169, 'u'}, {0x016a, 'u'}, {0x016b, 'u'}, {0x016c, 'u'},
    {0x016d, 'u'}, {0x016e, 'u'}, {0x016f, 'u'}, {0x0170, 'u'}, {0x0171, 'u'},
    {0x0172, 'u'}, {0x0173, 'u'}, {0x0174, 'w'}, {0x0175, 'w'}, {0x0176, 'y'},
    {0x0177, 'y'}, {0x0178, 'y'}, {0x0179, 'z'}, {0x017a, 'z'}, {0x017b, 'z'},
    {0x017c, 'z'}, {0x017d, 'z'}, {0x017e, 'z'}, {0x01a0, 'o'}, {0x01a1, 'o'},
    {0x01af, 'u'}, {0x01b0, 'u'}, {0x01cd, 'a'}, {0x01ce, 'a'}, {0x01cf, 'i'},
    {0x01d0, 'i'}, {0x01d1, 'o'}, {0x01d2, 'o'}, {0x01d3, 'u'}, {0x01d4, 'u'},
    {0x01d5, 'u'}, {0x01d6, 'u'}, {0x01d7, 'u'}, {0x01d8, 'u'}, {0x01d9, 'u'},
    {0x01da, 'u'}, {0x01db, 'u'}, {0x01dc, 'u'}, {0x01de, 'a'}, {0x01df, 'a'},
    {0x01e0, 'a'}, {0x01e1, 'a'}, {0x01e6, 'g'}, {0x01e7, 'g'}, {0x01e8, 'k'},
    {0x01e9, 'k'}, {0x01ea, 'o'}, {0x01eb, 'o'}, {0x01ec, 'o'}, {0x01ed, 'o'},
    {0x01f0, 'j'}, {0x01f4, 'g'}, {0x01f5, 'g'}, {0x01f8, 'n'}, {0x01f9, 'n'},
    {0x01fa, 'a'}, {0x01fb, 'a'}, {0x0200, 'a'}, {0x0201, 'a'}, {0x0202, 'a'},
    {0x0203, 'a'}, {0x0204, 'e'}, {0x0205, 'e'}, {0x0206, 'e'}, {0x0207, 'e'},
    {0x0208, 'i'}, {0x0209, 'i'}, {0x020a, 'i'}, {0x020b, 'i'}, {0x020c, 'o'},
    {0x020d, 'o'}, {0x020e, 'o'}, {0x020f, 'o'}, {0x0210, 'r'}, {0x0211, 'r'},
    {0x0212, 'r'}, {0x0213, 'r'}, {0x0214, 'u'}, {0x0215, 'u'}, {0x0216, 'u'},
    {0x0217, 'u'}, {0x0218, 's'}, {0x0219, 's'}, {0x021a, 't'}, {0x021b, 't'},
    {0x021e, 'h'}, {0x021f, 'h'}, {0x0226, 'a'}, {0x0227, 'a'}, {0x0228, 'e'},
    {0x0229, 'e'}, {0x022a, 'o'}, {0x022b, 'o'}, {0x022c, 'o'}, {0x022d, 'o'},
    {0x022e, 'o'}, {0x022f, 'o'}, {0x0230, 'o'}, {0x0231, 'o'}, {0x0232, 'y'},
    {0x0233, 'y'}, {0x1ea0, 'a'}, {0x1ea1, 'a'}, {0x1ea2, 'a'}, {0x1ea3, 'a'},
    {0x1ea4, 'a'}, {0x1ea5, 'a'}, {0x1ea6, 'a'}, {0x1ea7, 'a'}, {0x1ea8, 'a'},
    {0x1ea9, 'a'}, {0x1eaa, 'a'}, {0x1eab, 'a'}, {0x1eac, 'a'}, {0x1ead, 'a'},
    {0x1eae, 'a'}, {0x1eaf, 'a'}, {0x1eb0, 'a'}, {0x1eb1, 'a'}, {0x1eb2, 'a'},
    {0x1eb3, 'a'}, {0x1eb4, 'a'}, {0x1eb5, 'a'}, {0x1eb6, 'a'}, {0x1eb7, 'a'},
    {0x1eb8, 'e'}, {0x1eb9, 'e'}, {0x1eba, 'e'}, {0x1ebb, 'e'}, {0x1ebc, 'e'},
    {0x1ebd, 'e'}, {0x1ebe, 'e'}, {0x1ebf, 'e'}, {0x1ec0, 'e'}, {0x1ec1, 'e'},
    {0x1ec2, 'e'}, {0x1ec3, 'e'}, {0x1ec4, 'e'}, {0x1ec5, 'e'}, {0x1ec6, 'e'},
    {0x1ec7, 'e'}, {0x1ec8, 'i'}, {0x1ec9, 'i'}, {0x1eca, 'i'}, {0x1ecb, 'i'},
    {0x1ecc, 'o'}, {0x1ecd, 'o'}, {0x1ece, 'o'}, {0x1ecf, 'o'}, {0x1ed0, 'o'},
    {0x1ed1, 'o'}, {0x1ed2, 'o'}, {0x1ed3, 'o'}, {0x1ed4, 'o'}, {0x1ed5, 'o'},
    {0x1ed6, 'o'}, {0x1ed7, 'o'}, {0x1ed8, 'o'}, {0x1ed9, 'o'}, {0x1eda, 'o'},
    {0x1edb, 'o'}, {0x1edc, 'o'}, {0x1edd, 'o'}, {0x1ede, 'o'}, {0x1edf, 'o'},
    {0x1ee0, 'o'}, {0x1ee1, 'o'}, {0x1ee2, 'o'}, {0x1ee3, 'o'}, {0x1ee4, 'u'},
    {0x1ee5, 'u'}, {0x1ee6, 'u'}, {0x1ee7, 'u'}, {0x1ee8, 'u'}, {0x1ee9, 'u'},
    {0x1eea, 'u'}, {0x1eeb, 'u'}, {0x1eec, 'u'}, {0x1eed, 'u'}, {0x1eee, 'u'},
    {0x1eef, 'u'}, {0x1ef0, 'u'}, {0x1ef1, 'u'}, {0x1ef2, 'y'}, {0x1ef3, 'y'},
    {0x1ef4, 'y'}, {0x1ef5, 'y'}, {0x1ef6, 'y'}, {0x1ef7, 'y'}, {0x1ef8, 'y'},
    {0x1ef9, 'y'},
};

static int fold_cmp(const void *k, const void *e) {
  uint32_t a = *(const uint32_t *)k, b = ((const struct fold *)e)->cp;
  return a < b ? -1 : a > b;
}

/* Decodes one code point of valid UTF-8 at |p|; its length in |*len|. */
static uint32_t decode(const uint8_t *p, size_t n, size_t *len) {
  if (p[0] < 0x80 || n < 2) {
    *len = 1;
    return p[0];
  }
  if ((p[0] & 0xe0) == 0xc0) {
    *len = 2;
    return (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
  }
  if ((p[0] & 0xf0) == 0xe0 && n >= 3) {
    *len = 3;
    return (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
           (p[2] & 0x3f);
  }
  *len = 1;
  return p[0];
}

int vnenum_fold(struct buf *out, const char *s, size_t n) {
  const uint8_t *p = (const uint8_t *)s;
  bool space = true; /* drops leading spaces */
  size_t i = 0, len, start = out->len;
  int rc = 0;

  while (i < n && !rc) {
    uint32_t c = decode(p + i, n - i, &len);
    const struct fold *f =
        c >= 0x80 ? bsearch(&c, folds, sizeof(folds) / sizeof(folds[0]),
                            sizeof(folds[0]), fold_cmp)
                  : NULL;
    if (c == ' ' || c == '\t' || c == '_' || c == '-') {
      if (!space)
        rc = buf_putc(out, ' ');
      space = true;
    } else if (f) {
      rc = buf_putc(out, (uint8_t)f->base);
      space = false;
    } else if (c < 0x80) {
      rc = buf_putc(out, (uint8_t)(c >= 'A' && c <= 'Z' ? c + 32 : c));
      space = false;
    } else {
      rc = buf_append(out, p + i, len);
      space = false;
    }
    i += len;
  }
  if (!rc && out->len > start && out->data[out->len - 1] == ' ')
    out->len--;
  return rc ? rc : buf_cstr(out);
}

const char *vnenum_label(const char *name) {
  for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
    if (!strcmp(labels[i].slug, name))
      return labels[i].label;
  return name;
}

static bool same_folded(const char *a, const char *folded, struct buf *tmp) {
  bool same;
  buf_reset(tmp);
  if (vnenum_fold(tmp, a, strlen(a)))
    return false;
  same = !strcmp((const char *)tmp->data, folded);
  return same;
}

int vnenum_parse(const char *const *names, const char *typed) {
  struct buf want, tmp;
  int found = -1;

  buf_init(&want, 0);
  buf_init(&tmp, 0);
  if (vnenum_fold(&want, typed, strlen(typed)) == 0)
    for (int i = 0; names[i] && found < 0; i++)
      if (same_folded(names[i], (const char *)want.data, &tmp) ||
          same_folded(vnenum_label(names[i]), (const char *)want.data, &tmp))
        found = i;
  buf_cleanup(&want);
  buf_cleanup(&tmp);
  return found;
}

int vnenum_choices(struct buf *out, const char *const *names) {
  int rc = 0;
  for (int i = 0; names[i] && !rc; i++)
    rc = buf_printf(out, "%s%s (%s)", i ? ", " : "", names[i],
                    vnenum_label(names[i]));
  return rc;
}
