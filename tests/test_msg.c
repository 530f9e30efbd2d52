/* SPDX-License-Identifier: MIT
 * test_msg.c -- the message catalogues (client/msg.def, daemon/dmsg.def,
 * common/cmsg.def):
 * every message exists in both languages with the same printf conversions,
 * the language follows DANSYNC_LANG and LANG (DESIGN §8), and the text
 * folding that enum labels are typed by. Issue #17. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "client/msg.h"
#include "client/trust.h"
#include "common/args.h"
#include "common/cmsg.h"
#include "common/cmsg.h"
#include "common/err.h"
#include "common/schema.h"
#include "common/token.h"
#include "common/textout.h"
#include "common/vnenum.h"
#include "daemon/dmsg.h"

/* The conversions of printf format |f| ("%s%lld%zu..."), in order, each
 * with its flags, width, precision and length (h l j z t L). */
static void conversions(const char *f, char *out, size_t cap) {
  size_t n = 0;
  for (; *f && n + 8 < cap; f++) {
    if (*f != '%')
      continue;
    f++;
    if (*f == '%')
      continue;
    out[n++] = '%';
    while (*f && strchr("-+ #0123456789.*hljztL", *f))
      out[n++] = *f++;
    if (*f)
      out[n++] = *f;
    else
      break;
  }
  out[n] = '\0';
}

/* Every message of |c| in both languages, different, with the same
 * conversions in the same order. */
static void check_catalogue(const struct msgcat *c, const char *name) {
  assert_true(c->count > 0);
  for (int i = 0; i < c->count; i++) {
    const char *vi = msgcat_in(c, i, false);
    const char *en = msgcat_in(c, i, true);
    char cv[64], ce[64];
    assert_non_null(vi);
    assert_non_null(en);
    if (!*vi || !*en)
      fail_msg("%s message %d is empty in a language", name, i);
    /* A text copied over untranslated is a missing translation. */
    if (!strcmp(vi, en))
      fail_msg("%s message %d is the same in both languages: %s", name, i, en);
    conversions(vi, cv, sizeof(cv));
    conversions(en, ce, sizeof(ce));
    if (strcmp(cv, ce))
      fail_msg("%s message %d: conversions [%s] in Vietnamese, [%s] in "
               "English",
               name, i, cv, ce);
  }
  assert_string_equal(msgcat_in(c, c->count, true), "");
}

static void test_msg_every_message_in_both_languages(void **state) {
  (void)state;
  check_catalogue(&msg_cat, "client");
}

/* dansyncd's catalogue (daemon/dmsg.def), the same checks. */
static void test_msg_daemon_catalogue(void **state) {
  (void)state;
  check_catalogue(&dmsg_cat, "dansyncd");
  setenv("DANSYNC_LANG", "en", 1);
  assert_string_equal(dmsg(DM_W_USAGE), "usage");
  setenv("DANSYNC_LANG", "vi", 1);
  assert_string_equal(dmsg(DM_W_USAGE), "cách dùng");
  unsetenv("DANSYNC_LANG");
  unsetenv("LANG");
  assert_string_equal(dmsg(DM_NEVER), "chưa bao giờ");
}

/* common/'s catalogue (common/cmsg.def): the refusals both programs say. */
static void test_msg_common_catalogue(void **state) {
  char err[DS_ERRBUF_LEN];
  (void)state;
  check_catalogue(&cmsg_cat, "common");
  setenv("DANSYNC_LANG", "vi", 1);
  assert_string_equal(cmsg_ent(ENT_SURVEY), "phiếu khảo sát");
  assert_string_equal(cmsg_ent(-1), "bản ghi");
  assert_string_equal(cmsg_ent_in(ENT_SURVEY, true), "survey");
  assert_int_equal(cmsg_fail(err, DS_EBADOP, CM_NEW_NEEDS,
                             cmsg_ent(ENT_PETITION), "content"),
                   DS_EBADOP);
  assert_string_equal(err, "kiến nghị mới cần --content");
  setenv("DANSYNC_LANG", "en", 1);
  assert_int_equal(cmsg_fail(err, DS_EBADOP, CM_NEW_NEEDS,
                             cmsg_ent(ENT_PETITION), "content"),
                   DS_EBADOP);
  assert_string_equal(err, "a new petition needs --content");
}

static void test_msg_vietnamese_by_default(void **state) {
  (void)state;
  unsetenv("DANSYNC_LANG");
  unsetenv("LANG");
  assert_false(msg_english());
  setenv("LANG", "C", 1);
  assert_false(msg_english());
  setenv("LANG", "C.UTF-8", 1);
  assert_false(msg_english());
  setenv("LANG", "vi_VN.UTF-8", 1);
  assert_false(msg_english());
  setenv("LANG", "en_US.UTF-8", 1);
  assert_true(msg_english());
  setenv("DANSYNC_LANG", "vi", 1);
  assert_false(msg_english());
  setenv("DANSYNC_LANG", "en", 1);
  assert_true(msg_english());
  assert_string_equal(msg(MSG_W_EXAMPLE), "Example");
  setenv("DANSYNC_LANG", "vi", 1);
  assert_string_equal(msg(MSG_W_EXAMPLE), "Ví dụ");
}

static void test_msg_enum_by_label_without_diacritics(void **state) {
  (void)state;
  assert_int_equal(vnenum_parse(schema_category_names, "điện"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "dien"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "ĐIỆN"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "electricity"), 5);
  assert_int_equal(vnenum_parse(schema_category_names, "Thủ tục hành chính"),
                   15);
  assert_int_equal(vnenum_parse(schema_status_names, "dang xu ly"), 1);
  assert_int_equal(vnenum_parse(schema_status_names, "in progress"), 1);
  assert_int_equal(vnenum_parse(schema_status_names, "đã chuyển cấp trên"), 2);
  assert_int_equal(vnenum_parse(schema_category_names, "điệ"), -1);
  assert_int_equal(vnenum_parse(schema_category_names, ""), -1);
}

static void test_msg_cells_cut_at_a_character(void **state) {
  struct buf b;
  (void)state;
  buf_init(&b, 0);
  /* 5 characters of 2-3 bytes each, cut to 4: 3 kept and "…". */
  assert_int_equal(textout_cell(&b, "ễễễễễ", strlen("ễễễễễ"), 4, 1), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "ễễễ…");
  buf_reset(&b);
  assert_int_equal(textout_cell(&b, "a\nb\x1b[2J\x07", 8, 20, 0), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "a⏎b\\x1b[2J\\x07");
  buf_reset(&b);
  assert_int_equal(textout_cell(&b, "ab", 2, 4, 1), 0);
  assert_int_equal(buf_cstr(&b), 0);
  assert_string_equal((char *)b.data, "ab  ");
  buf_cleanup(&b);
}

/* Whether |s| is whole UTF-8 (no sequence cut short). */
static bool valid_utf8(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  while (*p) {
    int n = *p < 0x80    ? 0
            : *p >= 0xf0 ? 3
            : *p >= 0xe0 ? 2
            : *p >= 0xc0 ? 1
                         : -1;
    if (n < 0)
      return false;
    p++;
    for (; n > 0; n--, p++)
      if ((*p & 0xc0) != 0x80)
        return false;
  }
  return true;
}

/* A sentence longer than DS_ERRBUF_LEN is cut at a character, never inside
 * one: each of 300 lengths of the argument moves the cut by a byte. */
static void test_msg_cut_between_characters(void **state) {
  char err[DS_ERRBUF_LEN], path[400], out[40];
  (void)state;
  setenv("DANSYNC_LANG", "vi", 1);
  for (int n = 0; n < 300; n++) {
    memset(path, 'a', (size_t)n);
    path[n] = '\0';
    assert_int_equal(msg_fail(err, DS_EINVAL, MSG_NOT_DEVICE_STORE, path),
                     DS_EINVAL);
    assert_true(strlen(err) < DS_ERRBUF_LEN);
    if (!valid_utf8(err))
      fail_msg("cut inside a character with a %d-byte path: %s", n, err);
    msg_fmt(out, sizeof(out) - (size_t)(n % 4), MSG_SYNC_OFFLINE, path, "x",
            1ull);
    assert_true(valid_utf8(out));
  }
  assert_int_equal(msg_fail(NULL, DS_EIO, MSG_LOCAL_WRITE), DS_EIO);
}

/* The client says a refused token in its own words (common/token.c's are
 * English): one sentence for each of token_decode's refusals. */
static void test_msg_token_refusals(void **state) {
  struct token t, back;
  char text[TOKEN_TEXT_MAX], err[DS_ERRBUF_LEN], arg[2 * TOKEN_TEXT_MAX];
  char *argv[] = {"dansync", "init", "--token", arg, NULL};
  struct args a;
  (void)state;
  setenv("DANSYNC_LANG", "vi", 1);
  memset(&t, 0, sizeof(t));
  memset(t.secret, 'a', sizeof(t.secret) - 1);
  memset(t.district_pk, 7, sizeof(t.district_pk));
  strcpy(t.commune, "hoa-an");
  assert_int_equal(token_encode(&t, text), 0);
  snprintf(arg, sizeof(arg), "%s", text);
  assert_int_equal(args_parse(&a, 4, argv, NULL, err), 0);
  assert_int_equal(trust_token_arg(&a, &back, err), 0);
  assert_string_equal(back.commune, "hoa-an");
  arg[strlen(arg) - 3] ^= 1; /* one character mistyped */
  assert_int_equal(trust_token_arg(&a, &back, err), DS_EINVAL);
  assert_string_equal(err, cmsg(CM_TOKEN_CHECK));
  snprintf(arg, sizeof(arg), "hello");
  assert_int_equal(trust_token_arg(&a, &back, err), DS_EINVAL);
  assert_string_equal(err, cmsg(CM_TOKEN_PREFIX));
  memset(arg, 'x', sizeof(arg) - 1);
  arg[sizeof(arg) - 1] = '\0';
  assert_int_equal(trust_token_arg(&a, &back, err), DS_EINVAL);
  assert_string_equal(err, cmsg(CM_TOKEN_LONG));
  setenv("DANSYNC_LANG", "en", 1);
  snprintf(arg, sizeof(arg), "%s", text);
  arg[strlen(arg) - 3] ^= 1;
  assert_int_equal(token_decode(arg, &back, err), DS_EINVAL);
  /* common/token.c's sentence, in English. */
  assert_string_equal(err, cmsg(CM_TOKEN_CHECK));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_msg_every_message_in_both_languages),
      cmocka_unit_test(test_msg_daemon_catalogue),
      cmocka_unit_test(test_msg_common_catalogue),
      cmocka_unit_test(test_msg_vietnamese_by_default),
      cmocka_unit_test(test_msg_enum_by_label_without_diacritics),
      cmocka_unit_test(test_msg_cells_cut_at_a_character),
      cmocka_unit_test(test_msg_cut_between_characters),
      cmocka_unit_test(test_msg_token_refusals),
  };
  return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
