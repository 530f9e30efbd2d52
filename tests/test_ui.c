/* SPDX-License-Identifier: MIT
 * test_ui.c -- the dashboard's pieces that need no socket: the escaper,
 * form decoding, the assets' exact-name look-up, sessions and the login
 * slow-down; the search's two ways of finding a page; the search index
 * refreshed in slices that stop while the writer works (issue #19). */
#include <stdarg.h> /* cmocka 1.1 needs these four first */
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/alloc.h"
#include "common/meta.h"
#include "daemon/ui_int.h"
#include "daemon/ui_views.h"
#include "tests/helpers.h"

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

/* ---- the search ---- */

static const uint8_t node_a[ID_LEN] = {0xa1};

static void rid_of(uint8_t rid[ID_LEN], int i) {
  memset(rid, 0, ID_LEN);
  rid[0] = 0x5e;
  rid[14] = (uint8_t)(i >> 8);
  rid[15] = (uint8_t)i;
}

/* Petition |i|: two communes, three statuses, words every petition holds
 * ("kiến nghị"), some ("đường" every 7th, a name every 5th), one rare
 * ("Lữ", behind a curly quote), and a hamlet searched too. */
static void seed_petition(struct store *st, int i) {
  static const char *const stat[] = {"received", "in_progress", "answered"};
  char content[200], citizen[64], hamlet[32];
  uint8_t rid[ID_LEN];
  struct op op;
  rid_of(rid, i);
  snprintf(content, sizeof(content), "Kiến nghị số %d: %s%s", i,
           i % 7 ? "điện chập chờn" : "đường xuống cấp",
           i == 123  ? ", ông “Lữ” đề nghị"
           : i == 77 ? ", 😡mất nước cả tuần, ❤️cảm ơn"
           : i == 88 ? ", ２４h：Mạnh？"
                     : "");
  snprintf(citizen, sizeof(citizen), "%s %d", i % 5 ? "Trần Thị" : "Nguyễn Văn",
           i);
  snprintf(hamlet, sizeof(hamlet), "Ấp %d", i % 4);
  th_op_init(&op, ENT_PETITION, rid, node_a, (uint64_t)(1000 + i) << 16, 1);
  th_set_str(&op, "commune", i % 3 ? "hoa-an" : "tan-phu");
  th_set_str(&op, "received_on", i % 2 ? "2024-03-15" : "2024-05-02");
  th_set_str(&op, "category", "electricity");
  th_set_str(&op, "content", content);
  th_set_str(&op, "citizen", citizen);
  th_set_str(&op, "hamlet", hamlet);
  th_set_status(&op, 0, stat[i % 3]);
  assert_int_equal(th_apply(st, &op), 0);
}

/* Petition |i|'s content changed after it was indexed (search_dirty). */
static void reword(struct store *st, int i, const char *content) {
  uint8_t rid[ID_LEN];
  struct op op;
  rid_of(rid, i);
  th_op_init(&op, ENT_PETITION, rid, node_a, (uint64_t)(5000 + i) << 16, 2);
  th_set_str(&op, "content", content);
  th_base(&op, (uint64_t)(1000 + i) << 16, node_a);
  assert_int_equal(th_apply(st, &op), 0);
}

struct ids {
  char id[60][ID_HEX_LEN + 1];
  int n;
};

static int keep_id(void *arg, const struct ui_pet *p) {
  struct ids *x = arg;
  if (x->n < 60)
    snprintf(x->id[x->n++], sizeof(x->id[0]), "%s", p->id);
  return 0;
}

/* The page of |words| (folded), filtered on |commune| and |status|, found
 * with the newest |scan| petitions matched row by row first. */
static int page_of(struct store *st, const char *words, const char *commune,
                   const char *status, int offset, const char *scan,
                   struct ids *out) {
  char fts[600];
  struct ui_list_filter f = {commune,      status,       "",           "",
                             "0000-00-00", "9999-12-31", "2026-12-02", words,
                             fts,          false,        offset,       50};
  ui_fts_prefix(words, fts, sizeof(fts));
  setenv("DANSYNCD_UI_SCAN_ROWS", scan, 1);
  memset(out, 0, sizeof(*out));
  return ui_views_list(st, &f, keep_id, out);
}

static void test_ui_search_ways_agree(void **state) {
  static const char *const words[] = {
      "kien nghi", "duong", "nguyen van", "lu",  "ap 2",   "chap",
      "zzz",       "dien",  "so 12",      "mat", "cam on", "manh"};
  static const char *const communes[] = {"", "tan-phu"};
  static const char *const statuses[] = {"", "answered"};
  char dir[] = "/tmp/test_ui_XXXXXX", path[64];
  struct store *st, *ro;
  char err[DS_ERRBUF_LEN];
  int checked = 0, rare = -1, common = -1;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/d.db", dir);
  assert_int_equal(store_open(&st, path, STORE_CREATE | STORE_DISTRICT, err),
                   0);
  /* Indexed, then some reworded (search_dirty), then more not yet
   * indexed (above the mark): all three kinds in every page. */
  for (int i = 1; i <= 240; i++)
    seed_petition(st, i);
  assert_int_equal(store_search_refresh(st), 0);
  reword(st, 200, "Đường nước bị vỡ");
  reword(st, 14, "Kiến nghị cũ, nay là chuyện đường");
  for (int i = 241; i <= 300; i++)
    seed_petition(st, i);
  assert_true(ui_views_open_ro(&ro, path));
  for (size_t w = 0; w < sizeof(words) / sizeof(words[0]); w++)
    for (int c = 0; c < 2; c++)
      for (int s = 0; s < 2; s++)
        for (int off = 0; off <= 100; off += 50) {
          struct ids idx, scan, mixed;
          int n1 =
              page_of(ro, words[w], communes[c], statuses[s], off, "0", &idx);
          int n2 = page_of(ro, words[w], communes[c], statuses[s], off,
                           "100000", &scan);
          int n3 = page_of(ro, words[w], communes[c], statuses[s], off, "40",
                           &mixed);
          assert_true(n1 >= 0);
          if (n1 != n2 || n1 != n3)
            fprintf(stderr, "%s|%s|%s|%d: %d %d %d\n", words[w], communes[c],
                    statuses[s], off, n1, n2, n3);
          assert_int_equal(n1, n2); /* the same "more" */
          assert_int_equal(n1, n3);
          assert_int_equal(idx.n, scan.n);
          assert_int_equal(idx.n, mixed.n);
          for (int i = 0; i < idx.n; i++) {
            assert_string_equal(idx.id[i], scan.id[i]);
            assert_string_equal(idx.id[i], mixed.id[i]);
          }
          if (!c && !s && !off && !strcmp(words[w], "lu"))
            rare = n1;
          if (!c && !s && !off &&
              (!strcmp(words[w], "mat") || !strcmp(words[w], "cam on") ||
               !strcmp(words[w], "manh")))
            assert_int_equal(idx.n, 1); /* behind an emoji, ❤️, ： */
          if (!c && !s && !off && !strcmp(words[w], "kien nghi"))
            common = n1;
          checked += idx.n;
        }
  /* Newest first: the reworded 200 no longer says "kiến nghị". */
  assert_int_equal(common, 51);
  assert_int_equal(rare, 1); /* behind the curly quote */
  assert_true(checked > 1000);
  store_close(ro);
  store_close(st);
  unlink(path);
  rmdir(dir);
  unsetenv("DANSYNCD_UI_SCAN_ROWS");
}

/* ---- the index refreshed in slices ---- */

static int64_t one(struct store *st, const char *sql) {
  return th_count(st, sql);
}

static void run_until_idle(uv_loop_t *loop, struct ui_index *x) {
  /* The loop runs the slice's work and its completion; it returns once
   * nothing more is scheduled. */
  uv_run(loop, UV_RUN_DEFAULT);
  assert_false(x->running);
}

static void test_ui_index_slices_yield(void **state) {
  char dir[] = "/tmp/test_ui_XXXXXX", path[64], err[DS_ERRBUF_LEN];
  uint8_t dn[ID_LEN] = {0xd1};
  struct store *st;
  struct ui_db db;
  struct ui_index x;
  uv_loop_t loop;
  uint64_t before;
  int64_t hw;
  (void)state;
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/d.db", dir);
  assert_int_equal(store_open(&st, path, STORE_CREATE | STORE_DISTRICT, err),
                   0);
  assert_int_equal(meta_set(st, META_DISTRICT_NODE, dn, ID_LEN), 0);
  for (int i = 1; i <= 95; i++)
    seed_petition(st, i);
  memset(&db, 0, sizeof(db));
  snprintf(db.path, sizeof(db.path), "%s", path);
  uv_mutex_init(&db.lock);
  uv_mutex_init(&db.rwlock);
  uv_loop_init(&loop);
  ui_index_init(&x, &loop, &db);
  x.slice = 10;
  x.idle_ms = 0;

  /* The writer takes work while a slice runs (the loop returns once one
   * has ended and the next is under way on a worker): the slice in
   * flight ends and no other starts, the index half done. */
  ui_index_kick(&x);
  while (!x.running)
    uv_run(&loop, UV_RUN_ONCE);
  ui_index_busy(&x);
  run_until_idle(&loop, &x);
  assert_true(x.more);
  before = x.slices;
  assert_true(before >= 1);
  hw = one(st, "SELECT v FROM meta WHERE k = 'search_hw'");
  assert_true(hw > 0 && hw < 95);
  /* The sync is served between slices: the store takes its commit at
   * once (no wait allowed), and the index has not moved. */
  store_set_busy_timeout(st, 0);
  seed_petition(st, 96);
  assert_int_equal(one(st, "SELECT v FROM meta WHERE k = 'search_hw'"), hw);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(x.slices, before);

  /* Idle again: slice after slice until the index is complete. */
  ui_index_kick(&x);
  run_until_idle(&loop, &x);
  assert_false(x.more);
  assert_int_equal(x.rc, 0);
  assert_true(x.slices >= 10);
  assert_int_equal(one(st, "SELECT v FROM meta WHERE k = 'search_hw'"),
                   one(st, "SELECT max(id) FROM rec"));
  assert_int_equal(one(st, "SELECT count(*) FROM search"), 96);
  /* The last petition, synced during the refresh, is found. */
  assert_int_equal(one(st, "SELECT count(*) FROM search WHERE search MATCH "
                           "'\"96\"' AND rowid = (SELECT max(id) FROM rec)"),
                   1);

  /* A reworded petition is indexed anew by the next refresh. */
  reword(st, 50, "Cầu khỉ gãy");
  ui_index_kick(&x);
  run_until_idle(&loop, &x);
  assert_int_equal(one(st, "SELECT count(*) FROM search_dirty"), 0);
  assert_int_equal(one(st, "SELECT count(*) FROM search WHERE search MATCH "
                           "'\"khi\"'"),
                   1);

  ui_index_stop(&x);
  uv_run(&loop, UV_RUN_DEFAULT);
  assert_int_equal(uv_loop_close(&loop), 0);
  store_close(db.rw);
  store_close(st);
  uv_mutex_destroy(&db.lock);
  uv_mutex_destroy(&db.rwlock);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ui_escape_markup),
      cmocka_unit_test(test_ui_escape_controls),
      cmocka_unit_test(test_ui_form_decoding),
      cmocka_unit_test(test_ui_assets_exact_names),
      cmocka_unit_test(test_ui_sessions),
      cmocka_unit_test(test_ui_slowdown_never_locks),
      cmocka_unit_test(test_ui_search_ways_agree),
      cmocka_unit_test(test_ui_index_slices_yield),
  };
  return cmocka_run_group_tests_name("ui", tests, NULL, NULL);
}
