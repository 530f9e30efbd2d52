/* SPDX-License-Identifier: MIT
 * test_ui.c -- the dashboard's pieces that need no socket: the escaper,
 * form decoding, the assets' exact-name look-up, sessions and the login
 * slow-down (issue #19). */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "common/alloc.h"
#include "daemon/ui_int.h"

static char *esc(const char *s) {
  static char out[256];
  struct buf b;
  buf_init(&b, 0);
  assert_int_equal(ui_esc(&b, s), 0);
  assert_int_equal(buf_cstr(&b), 0);
  snprintf(out, sizeof(out), "%s", (char *)b.data);
  buf_cleanup(&b);
  return out;
}

static void test_ui_escape_markup(void **state) {
  (void)state;
  assert_string_equal(esc("<script>alert(\"x\")</script>"),
                      "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
  assert_string_equal(esc("O'Brien & co"), "O&#39;Brien &amp; co");
  assert_string_equal(esc("Nguyễn Văn A"), "Nguyễn Văn A");
}

static void test_ui_escape_controls(void **state) {
  (void)state;
  assert_string_equal(esc("a\x1b[2Jb"), "a\\x1b[2Jb");
  assert_string_equal(esc("tab\tnew\nline"), "tab\tnew\nline");
  assert_string_equal(esc("del\x7f"), "del\\x7f");
  assert_string_equal(esc("c1\xc2\x9b"
                          "x"),
                      "c1\\u009bx"); /* U+009B CSI */
}

static void test_ui_form_decoding(void **state) {
  char v[16];
  (void)state;
  assert_true(ui_form_get("a=1&user=l%C3%A0n+x&b=2", "user", v, sizeof(v)));
  assert_string_equal(v, "làn x");
  assert_false(ui_form_get("xuser=1", "user", v, sizeof(v)));
  assert_true(ui_form_get("user=", "user", v, sizeof(v)));
  assert_string_equal(v, "");
  assert_false(ui_form_get("user=0123456789abcdefg", "user", v, sizeof(v)));
  assert_false(ui_form_get("user=a%00b", "user", v, sizeof(v))); /* NUL */
  assert_string_equal(ui_query("/petitions?q=x"), "q=x");
  assert_string_equal(ui_query("/petitions"), "");
}

static void test_ui_assets_exact_names(void **state) {
  size_t len;
  const char *type;
  (void)state;
  assert_non_null(ui_asset("/assets/app.css", &len, &type));
  assert_true(len > 100);
  assert_string_equal(type, "text/css; charset=utf-8");
  assert_null(ui_asset("/assets/../app.css", &len, &type));
  assert_null(ui_asset("/assets/app.css/", &len, &type));
  assert_null(ui_asset("/assets/%2e%2e/etc/passwd", &len, &type));
}

static void peer_of(struct peer *p, const char *ip) {
  struct sockaddr_in sa;
  memset(&sa, 0, sizeof(sa));
  sa.sin_family = AF_INET;
  inet_pton(AF_INET, ip, &sa.sin_addr);
  peer_set(p, (struct sockaddr *)&sa);
}

static void test_ui_sessions(void **state) {
  struct ui_sessions *ss = ds_calloc(1, sizeof(*ss));
  struct session *s;
  char token[UI_TOKEN_HEX + 1];
  (void)state;
  ss->idle_ms = UI_IDLE_MS;
  s = session_new(ss, "lan");
  assert_int_equal(strlen(s->token), UI_TOKEN_HEX);
  assert_int_equal(strlen(s->csrf), UI_TOKEN_HEX);
  assert_string_not_equal(s->token, s->csrf);
  memcpy(token, s->token, sizeof(token));
  assert_ptr_equal(session_find(ss, token), s);
  token[0] = token[0] == 'a' ? 'b' : 'a';
  assert_null(session_find(ss, token));
  assert_null(session_find(ss, "short"));
  s->last_ms -= UI_IDLE_MS + 1; /* idle past the limit */
  assert_null(session_find(ss, s->token));
  assert_string_equal(s->token, ""); /* and forgotten */
  ds_free(ss);
}

static void test_ui_slowdown_never_locks(void **state) {
  struct ui_sessions *ss = ds_calloc(1, sizeof(*ss));
  struct peer a, b;
  (void)state;
  peer_of(&a, "192.0.2.1");
  peer_of(&b, "192.0.2.2");
  for (int i = 0; i < 4; i++) {
    throttle_fail(ss, &a);
    assert_int_equal(throttle_wait(ss, &a), 0);
  }
  throttle_fail(ss, &a); /* the fifth */
  assert_int_equal(throttle_wait(ss, &a), 1);
  throttle_fail(ss, &a);
  assert_int_equal(throttle_wait(ss, &a), 2);
  for (int i = 0; i < 20; i++)
    throttle_fail(ss, &a);
  assert_int_equal(throttle_wait(ss, &a), 60); /* capped */
  assert_int_equal(throttle_wait(ss, &b), 0);  /* per address */
  throttle_ok(ss, &a);
  assert_int_equal(throttle_wait(ss, &a), 0);
  ds_free(ss);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ui_escape_markup),
      cmocka_unit_test(test_ui_escape_controls),
      cmocka_unit_test(test_ui_form_decoding),
      cmocka_unit_test(test_ui_assets_exact_names),
      cmocka_unit_test(test_ui_sessions),
      cmocka_unit_test(test_ui_slowdown_never_locks),
  };
  return cmocka_run_group_tests_name("ui", tests, NULL, NULL);
}
