/* SPDX-License-Identifier: MIT
 * test_xport.c -- the checks `dansync init` and `set-server` apply to a
 * server address and its trust (issue 15), and xport_open's refusals. The
 * transport itself is tested against real servers in it_weak.sh. */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <string.h>

#include "client/xport.h"
#include "common/err.h"

#define PIN "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="
#define PIN2 "sha256//AAAAKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE="

static void test_xport_check_accepts(void **state) {
  char err[DS_ERRBUF_LEN];
  (void)state;
  assert_int_equal(xport_check("https://10.0.0.2:8443", NULL, NULL, false, err),
                   0);
  assert_int_equal(
      xport_check("https://district.example/dansync/", PIN, NULL, false, err),
      0);
  assert_int_equal(
      xport_check("https://[2001:db8::2]:8443", PIN ";" PIN2, NULL, false, err),
      0);
  assert_int_equal(
      xport_check("https://10.0.0.2", NULL, "/etc/ca.pem", false, err), 0);
  /* Plain http: loopback, or when the officer insists. */
  assert_int_equal(xport_check("http://127.0.0.1:8080", NULL, NULL, false, err),
                   0);
  assert_int_equal(xport_check("http://[::1]:8080", NULL, NULL, false, err), 0);
  assert_int_equal(xport_check("http://localhost:8080", NULL, NULL, false, err),
                   0);
  assert_int_equal(xport_check("http://10.0.0.2:8080", NULL, NULL, true, err),
                   0);
}

static void test_xport_check_refuses_addresses(void **state) {
  static const char *const bad[] = {
      "10.0.0.2:8080",       "ftp://10.0.0.2",    "https://",
      "https://:8443",       "https://[::1",      "https://10.0.0.2:70000",
      "https://10.0.0.2:0x", "gopher://10.0.0.2", "",
  };
  char err[DS_ERRBUF_LEN];
  (void)state;
  for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
    err[0] = '\0';
    assert_int_equal(xport_check(bad[i], NULL, NULL, true, err), DS_EINVAL);
    assert_non_null(strstr(err, "address"));
  }
  assert_int_equal(xport_check("http://10.0.0.2:8080", NULL, NULL, false, err),
                   DS_EINVAL);
  assert_non_null(strstr(err, "--insecure-http"));
  assert_int_equal(xport_check("http://128.0.0.1", NULL, NULL, false, err),
                   DS_EINVAL);
  assert_int_equal(
      xport_check("http://127.example.org", NULL, NULL, false, err), DS_EINVAL);
  assert_int_equal(xport_check("http://127.1.2.3:80", NULL, NULL, false, err),
                   0);
}

static void test_xport_check_refuses_trust(void **state) {
  static const char *const bad_pins[] = {
      "YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",          /* no prefix */
      "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE",   /* short */
      "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE==", /* long */
      "sha256//YhKJ=SzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMwE=",  /* '=' */
      "sha256//YhKJKSzoTt2b5FP18fvpHo7fJYqQCjAa3HWY3tvRMw!=",  /* '!' */
      PIN ";",
      PIN ",",
      "",
  };
  char err[DS_ERRBUF_LEN];
  (void)state;
  for (size_t i = 0; i < sizeof(bad_pins) / sizeof(bad_pins[0]); i++)
    assert_int_equal(
        xport_check("https://10.0.0.2", bad_pins[i], NULL, false, err),
        DS_EINVAL);
  assert_int_equal(
      xport_check("https://10.0.0.2", PIN, "/etc/ca.pem", false, err),
      DS_EINVAL);
  assert_non_null(strstr(err, "not both"));
  assert_int_equal(xport_check("http://127.0.0.1", PIN, NULL, false, err),
                   DS_EINVAL);
  assert_non_null(strstr(err, "https://"));
  assert_int_equal(xport_check("https://10.0.0.2", NULL, "", false, err),
                   DS_EINVAL);
}

static void test_xport_open_checks_its_config(void **state) {
  struct xport_cfg cfg = {
      "https://10.0.0.2", "sha256//x", NULL, 30, NULL, NULL};
  struct xport *x = (struct xport *)&cfg; /* must stay untouched */
  char err[DS_ERRBUF_LEN];
  (void)state;
  assert_int_equal(xport_open(&x, &cfg, err), DS_EINVAL);
  assert_ptr_equal(x, (struct xport *)&cfg);
  cfg.pin = PIN;
  cfg.timeout_s = 0;
  assert_int_equal(xport_open(&x, &cfg, err), DS_EINVAL);
  cfg.timeout_s = 1;
  assert_int_equal(xport_open(&x, &cfg, err), 0);
  assert_ptr_not_equal(x, (struct xport *)&cfg);
  xport_close(x);
  xport_close(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_xport_check_accepts),
      cmocka_unit_test(test_xport_check_refuses_addresses),
      cmocka_unit_test(test_xport_check_refuses_trust),
      cmocka_unit_test(test_xport_open_checks_its_config),
  };
  return cmocka_run_group_tests_name("xport", tests, NULL, NULL);
}
