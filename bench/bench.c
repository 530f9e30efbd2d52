/* SPDX-License-Identifier: MIT
 * bench -- the performance figures of DESIGN §10, measured in one run and
 * printed as `name value unit`. Sizes are flags, so CI runs a small version
 * as a smoke test; any digest that differs fails the run (exit 1), never a
 * time.
 *
 *   bench [--devices 15] [--petitions 10000] [--replay-ops 1000000]
 *         [--incremental-runs 100] [--dir DIR] [--plain]
 *         [--initial-only]  (only the baseline and the initial sync)
 *   BENCH_PERF_CTL=FIFO: perf's control FIFO, enabled for the initial sync
 *
 * Device stores are filled in bulk through the same library calls the
 * client's local_change makes (edit, merge, encode, queue); the measured
 * syncs run the real dansync and dansyncd binaries over loopback. */
#define _DEFAULT_SOURCE /* wait4: the child's own peak RSS */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <openssl/ssl.h>
#include <sqlite3.h>

#include "bench/bench_proc.h"
#include "common/clock.h"
#include "common/db.h"
#include "common/edit.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/repfig.h"
#include "common/report.h"
#include "common/token.h"
#include "common/store.h"
#include "daemon/audit.h"
#include "daemon/district.h"
#include "daemon/ingest.h"
#include "daemon/tls.h"
#include "proto/codec.h"

static const char *const communes[] = {
    "cay-duong",  "kinh-cung", "bung-tau",   "binh-thanh",     "hiep-hung",
    "hoa-an",     "hoa-my",    "long-thanh", "phung-hiep",     "phuong-binh",
    "phuong-phu", "tan-binh",  "tan-long",   "tan-phuoc-hung", "thanh-hoa"};

/* A petition's content: ~350 bytes of Vietnamese, like the real ones. */
static void content(char *out, size_t cap, int i) {
  snprintf(out, cap,
           "Kiến nghị số %d: đường giao thông nông thôn ấp %d xuống cấp "
           "nghiêm trọng sau mùa mưa, nhiều đoạn ngập sâu, học sinh đi học "
           "khó khăn; người dân đề nghị xã sớm khảo sát, lập dự toán sửa "
           "chữa và vận động nhân dân cùng đóng góp.",
           i, 1 + i % 9);
}

/* The district's TLS certificate for the run (bench_certs), and the pin
 * devices trust it by; all empty with --plain. */
static char tls_crt[600], tls_key[600], tls_pin_s[80];

static void bench_certs(const char *dir) {
  const char *hosts[] = {"localhost", "127.0.0.1"};
  char tdir[512], err[DS_ERRBUF_LEN];
  snprintf(tdir, sizeof(tdir), "%s/tls", dir);
  snprintf(tls_crt, sizeof(tls_crt), "%s/district.crt", tdir);
  snprintf(tls_key, sizeof(tls_key), "%s/district.key", tdir);
  if (mkdir(tdir, 0700) || tls_make_cert(tdir, hosts, 2, 30, err) ||
      tls_pin(tls_crt, tls_pin_s, sizeof(tls_pin_s), err))
    die("cannot make the bench's TLS certificate");
}

/* Fills a device store as `dansync init` and n `petition add`s would. */
static void make_device(const char *path, const char *commune,
                        const char *server, const char *token, int n) {
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  uint8_t node[ID_LEN];
  char err[DS_ERRBUF_LEN], text[600], citizen[64];
  struct edit_arena arena;
  struct store *st = NULL;
  struct buf enc;

  struct token tok;
  if (token_decode(token, &tok, err) ||
      store_open(&st, path, STORE_CREATE | STORE_EXCL, err))
    die(err);
  crypto_sign_keypair(pk, sk);
  id_random(node);
  buf_init(&enc, 0);
  if (store_begin(st) ||
      store_meta_set(st, "commune", commune, strlen(commune)) ||
      store_meta_set(st, "server", server, strlen(server)) ||
      (tls_pin_s[0] &&
       store_meta_set(st, "pin", tls_pin_s, strlen(tls_pin_s))) ||
      store_meta_set(st, "token", tok.secret, strlen(tok.secret)) ||
      store_meta_set(st, "district_pk", tok.district_pk, 32) ||
      store_meta_set(st, "node", node, ID_LEN) ||
      store_meta_set(st, "pk", pk, sizeof(pk)) ||
      store_meta_set(st, "sk", sk, sizeof(sk)))
    die("cannot write a device store");
  for (int i = 0; i < n; i++) {
    struct edit_flag flags[5] = {{"received-on", "2024-03-15"},
                                 {"category", "rural_transport"},
                                 {"content", text},
                                 {"citizen", citizen},
                                 {"due-on", "2024-04-15"}};
    struct mresult res;
    uint8_t rid[ID_LEN];
    struct op op;
    content(text, sizeof(text), i);
    snprintf(citizen, sizeof(citizen), "Nguyễn Văn Dân %d", i);
    memset(&op, 0, sizeof(op));
    memcpy(op.node, node, ID_LEN);
    id_uuidv7(rid, clock_now_ms());
    op.seq = (uint64_t)i + 1;
    buf_reset(&enc);
    if (store_hlc_tick(st, &op.hlc) ||
        edit_build(st, &op, ENT_PETITION, rid, true, commune, flags, 5, &arena,
                   err) ||
        store_apply(st, &op, &res) || proto_op_encode(&enc, &op, false) ||
        store_outbox_add(st, op.seq, op.hlc, rid, enc.data, enc.len))
      die("cannot record a petition");
    if (i % 2000 == 1999 && (store_commit(st) || store_begin(st)))
      die("cannot commit");
  }
  if (store_commit(st))
    die("cannot commit");
  buf_cleanup(&enc);
  store_close(st);
}

/* 1. The baseline: the same petition rows upserted into a WAL SQLite file
 * with a prepared statement in large transactions, no protocol. */
static double bench_sqlite(const char *dir, int rows) {
  char path[512], text[600], citizen[64];
  sqlite3 *db;
  sqlite3_stmt *s;
  double t0, t;

  snprintf(path, sizeof(path), "%s/baseline.db", dir);
  if (sqlite3_open(path, &db))
    die("sqlite open");
  sqlite3_exec(db,
               "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;"
               "CREATE TABLE petition(rid BLOB PRIMARY KEY, commune TEXT,"
               " received_on TEXT, category TEXT, content TEXT, citizen TEXT,"
               " due_on TEXT, status TEXT, hlc INTEGER, node BLOB)",
               NULL, NULL, NULL);
  sqlite3_prepare_v2(db,
                     "INSERT INTO petition VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,"
                     " ?8, ?9, ?10) ON CONFLICT(rid) DO UPDATE SET commune ="
                     " ?2, received_on = ?3, category = ?4, content = ?5,"
                     " citizen = ?6, due_on = ?7, status = ?8, hlc = ?9, "
                     "node = ?10",
                     -1, &s, NULL);
  t0 = now_s();
  sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
  for (int i = 0; i < rows; i++) {
    uint8_t rid[ID_LEN], node[ID_LEN] = {1};
    id_uuidv7(rid, clock_now_ms());
    content(text, sizeof(text), i);
    snprintf(citizen, sizeof(citizen), "Nguyễn Văn Dân %d", i);
    sqlite3_bind_blob(s, 1, rid, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, communes[i % 15], -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, "2024-03-15", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, "rural_transport", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, text, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 6, citizen, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 7, "2024-04-15", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 8, "received", -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 9, i);
    sqlite3_bind_blob(s, 10, node, ID_LEN, SQLITE_STATIC);
    if (sqlite3_step(s) != SQLITE_DONE)
      die("baseline insert");
    sqlite3_reset(s);
    if (i % 5000 == 4999) {
      sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
      sqlite3_exec(db, "BEGIN", NULL, NULL, NULL);
    }
  }
  sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
  t = now_s() - t0;
  sqlite3_finalize(s);
  sqlite3_close(db);
  return rows / t;
}

struct daemon_proc {
  pid_t pid;
  int port;
  char url[64];
};

static void start_daemon_tls(struct daemon_proc *d, const char *dir,
                             const char *db, const char *crt, const char *key) {
  char portfile[512], log[512];
  const char *argv[] = {DANSYNCD_BIN,  "--db",      db,
                        "serve",       "--listen",  "127.0.0.1:0",
                        "--port-file", portfile,    crt ? "--tls-cert" : NULL,
                        crt,           "--tls-key", key,
                        NULL};
  snprintf(portfile, sizeof(portfile), "%s/daemon.port", dir);
  snprintf(log, sizeof(log), "%s/daemon.log", dir);
  unlink(portfile);
  d->pid = spawn_service(argv, log);
  for (int i = 0; i < 1000; i++) {
    FILE *f = fopen(portfile, "r");
    int port;
    if (f && fscanf(f, "%d", &port) == 1) {
      fclose(f);
      snprintf(d->url, sizeof(d->url), "%s://127.0.0.1:%d",
               crt ? "https" : "http", port);
      d->port = port;
      return;
    }
    if (f)
      fclose(f);
    {
      struct timespec ts = {0, 10000000L};
      nanosleep(&ts, NULL); /* polling for the port file */
    }
  }
  die("the daemon did not start");
}

/* With TLS unless the run is --plain. */
static void start_daemon(struct daemon_proc *d, const char *dir,
                         const char *db) {
  start_daemon_tls(d, dir, db, tls_pin_s[0] ? tls_crt : NULL,
                   tls_pin_s[0] ? tls_key : NULL);
}

/* A new TLS connection's handshake and one GET /v1/health over it, as a
 * device's first request of a sync pays it: |n| of them, in ms. */
static void bench_tls(const char *dir, const char *db, int n) {
  double *ms = calloc((size_t)n, sizeof(double));
  struct daemon_proc d;
  SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());

  if (!ms || !ctx)
    die("cannot set up TLS for the bench");
  if (!tls_pin_s[0])
    bench_certs(dir);
  start_daemon_tls(&d, dir, db, tls_crt, tls_key);
  for (int i = 0; i < n; i++) {
    static const char get[] = "GET /v1/health HTTP/1.1\r\nConnection: "
                              "close\r\n\r\n";
    struct sockaddr_in a = {0};
    char resp[256];
    int fd = socket(AF_INET, SOCK_STREAM, 0), got = 0, r;
    SSL *ssl = SSL_new(ctx);
    double t0 = now_s();
    a.sin_family = AF_INET;
    a.sin_port = htons((uint16_t)d.port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || !ssl || connect(fd, (struct sockaddr *)&a, sizeof(a)))
      die("cannot connect for TLS");
    SSL_set_fd(ssl, fd);
    if (SSL_connect(ssl) != 1 ||
        SSL_write(ssl, get, sizeof(get) - 1) != (int)sizeof(get) - 1)
      die("TLS handshake failed");
    while ((r = SSL_read(ssl, resp + got, (int)sizeof(resp) - 1 - got)) > 0)
      got += r;
    resp[got] = '\0';
    ms[i] = (now_s() - t0) * 1000;
    if (!strstr(resp, "\r\n\r\nok"))
      die("no answer over TLS");
    SSL_free(ssl);
    close(fd);
  }
  print_percentiles("tls_handshake_ms", ms, n);
  kill(d.pid, SIGTERM);
  waitpid(d.pid, NULL, 0);
  SSL_CTX_free(ctx);
  free(ms);
}

int main(int argc, char **argv) {
  int ndev = 15, npet = 10000, runs = 100;
  long replay_ops = 1000000;
  char dir[256] = "", db[512], path[512];
  struct daemon_proc d;
  int failures = 0;
  bool plain = false, initial_only = false;
  double t0, t, ccpu = 0, start_ms = 0;

  /* As both programs configure SQLite, so the baseline is like for like. */
  if (db_init_process())
    die("SQLite was configured too late");
  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : "";
    if (!strcmp(argv[i], "--plain")) {
      plain = true;
      continue;
    }
    if (!strcmp(argv[i], "--initial-only")) {
      initial_only = true;
      continue;
    }
    if (!strcmp(argv[i], "--devices"))
      ndev = atoi(v);
    else if (!strcmp(argv[i], "--petitions"))
      npet = atoi(v);
    else if (!strcmp(argv[i], "--replay-ops"))
      replay_ops = atol(v);
    else if (!strcmp(argv[i], "--incremental-runs"))
      runs = atoi(v);
    else if (!strcmp(argv[i], "--dir"))
      snprintf(dir, sizeof(dir), "%s", v);
    else
      ndev = 0; /* an unknown word: the usage below */
    i++;
  }
  if (ndev < 1 || ndev > 15 || npet < 1 || runs < 1 || replay_ops < 5000)
    die("usage: bench [--devices 1..15] [--petitions N] [--replay-ops N>=5000]"
        " [--incremental-runs N] [--dir DIR] [--plain] [--initial-only]");
  if (sodium_init() < 0)
    die("libsodium");
  if (!dir[0]) {
    snprintf(dir, sizeof(dir), "/tmp/dansync-bench-XXXXXX");
    if (!mkdtemp(dir))
      die("mkdtemp");
  }
  if (!plain)
    bench_certs(dir);
  printf("# bench: %d devices x %d petitions, replay of %ld ops, %d "
         "incremental runs, %s, in %s\n",
         ndev, npet, replay_ops, runs,
         plain ? "plain HTTP" : "TLS with a pinned certificate", dir);
  printf("tls %s\n", plain ? "no" : "yes"); /* DESIGN §10 */
  fflush(stdout);

  /* 1. Baseline. */
  double base = bench_sqlite(dir, ndev * npet);
  printf("sqlite_upsert_rows_per_s %.0f rows/s\n", base);
  fflush(stdout);

  /* 2. Initial sync: every device pushes concurrently. */
  snprintf(db, sizeof(db), "%s/district.db", dir);
  {
    struct store *st;
    char err[DS_ERRBUF_LEN];
    if (district_create(&st, db, NULL, err))
      die(err);
    store_close(st);
  }
  start_daemon(&d, dir, db);
  for (int k = 0; k < ndev; k++) {
    const char *ea[] = {DANSYNCD_BIN, "--db",      db,  "enroll",
                        "--commune",  communes[k], NULL};
    char token[TOKEN_TEXT_MAX];
    if (run(ea, token, sizeof(token)) != 0)
      die("enroll failed");
    token[strcspn(token, "\n")] = '\0';
    snprintf(path, sizeof(path), "%s/dev%d.db", dir, k);
    make_device(path, communes[k], d.url, token, npet);
  }
  {
    pid_t pids[15];
    double dcpu = proc_cpu_s(d.pid);
    perf_ctl("enable");
    t0 = now_s();
    start_ms = (double)clock_now_ms();
    for (int k = 0; k < ndev; k++) {
      char p[512];
      const char *sa[] = {DANSYNC_BIN, "--db", p,   "sync",
                          "--batch",   "1000", NULL};
      snprintf(p, sizeof(p), "%s/dev%d.db", dir, k);
      pids[k] = spawn(sa, NULL);
    }
    for (int k = 0; k < ndev; k++) {
      struct rusage ru;
      int status;
      wait4(pids[k], &status, 0, &ru);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        die("a device's sync failed");
      ccpu += ru_cpu_s(&ru);
    }
    t = now_s() - t0;
    perf_ctl("disable");
    dcpu = proc_cpu_s(d.pid) - dcpu;
    /* Where the time went: both sides share the machine's cores. */
    printf("initial_sync_client_cpu_s %.2f s\n", ccpu);
    printf("initial_sync_daemon_cpu_s %.2f s\n", dcpu);
  }
  {
    double ops = (double)ndev * npet;
    printf("initial_sync_ops_per_s %.0f ops/s\n", ops / t);
    printf("initial_sync_vs_sqlite_ratio %.2f x\n", ops / t / base);
    printf("initial_sync_seconds %.2f s\n", t);
    printf("daemon_peak_rss_kib %ld KiB\n", vm_hwm_kib(d.pid));
  }
  /* Correctness: every device's commune digest equals the daemon's. */
  for (int k = 0; k < ndev; k++) {
    char want[128], got[128], p[512];
    const char *da[] = {DANSYNCD_BIN, "--db",      db,  "digest",
                        "--commune",  communes[k], NULL};
    const char *ca[] = {DANSYNC_BIN, "--db",      p,   "digest",
                        "--commune", communes[k], NULL};
    snprintf(p, sizeof(p), "%s/dev%d.db", dir, k);
    run(da, want, sizeof(want));
    run(ca, got, sizeof(got));
    if (strcmp(want, got) != 0 || strlen(want) != 65) {
      fprintf(stderr, "bench: digest of %s differs\n", communes[k]);
      failures++;
    }
  }
  daemon_side(dir, db, (double)ndev * npet, start_ms);
  if (initial_only) {
    kill(d.pid, SIGTERM);
    waitpid(d.pid, NULL, 0);
    goto out;
  }
  /* 5. Bytes on the wire per petition op, against its values' own size. */
  {
    struct store *dst;
    char err[DS_ERRBUF_LEN];
    sqlite3 *h;
    sqlite3_stmt *s;
    double body = 0, nreq = 0, vals = 0, nops = 0;
    /* Through the store: its views need its SQL functions. */
    if (store_open(&dst, db, 0, err))
      die(err);
    h = store_sqlite(dst);
    sqlite3_prepare_v2(h, "SELECT sum(length(body)), count(*) FROM synclog", -1,
                       &s, NULL);
    if (sqlite3_step(s) == SQLITE_ROW) {
      body = sqlite3_column_double(s, 0);
      nreq = sqlite3_column_double(s, 1);
    }
    sqlite3_finalize(s);
    /* The values' own size: text bytes, 16 per id, 8 per integer. */
    sqlite3_prepare_v2(h,
                       "SELECT sum(length(CAST(commune AS BLOB)) + "
                       "length(CAST(received_on AS BLOB)) + "
                       "length(CAST(category AS BLOB)) + "
                       "length(CAST(content AS BLOB)) + "
                       "length(CAST(citizen AS BLOB)) + "
                       "length(CAST(due_on AS BLOB)) + "
                       "length(CAST(status AS BLOB)) + 8), count(*) FROM "
                       "petition",
                       -1, &s, NULL);
    if (sqlite3_step(s) == SQLITE_ROW) {
      vals = sqlite3_column_double(s, 0);
      nops = sqlite3_column_double(s, 1);
    }
    sqlite3_finalize(s);
    store_close(dst);
    /* Each request also carries ~300 bytes of HTTP headers. */
    printf("wire_bytes_per_op %.1f bytes\n", (body + nreq * 300) / nops);
    printf("op_value_bytes %.1f bytes\n", vals / nops);
    printf("wire_vs_values_ratio %.2f x\n", (body + nreq * 300) / vals);
  }
  /* 5b. The district report (DESIGN §9) over the whole district: every
   * figure computed and the text printed, as `dansyncd report` does. */
  {
    struct repfig_opts ro = {
        .from = "2024-01-01", .to = "2024-12-31", .as_of = "2024-12-31"};
    struct report_doc doc = {
        "ỦY BAN NHÂN DÂN HUYỆN", NULL, NULL, NULL, NULL, NULL};
    struct repfig *fig = NULL;
    struct store *rst;
    char err[DS_ERRBUF_LEN];
    FILE *sink = fopen("/dev/null", "w");
    double best = 1e9;
    if (!sink || store_open(&rst, db, 0, err))
      die("cannot open the district store for the report");
    for (int r = 0; r < 3; r++) {
      t0 = now_s();
      if (repfig_compute(rst, &ro, &fig, err) ||
          report_write(fig, &doc, REPORT_TEXT, sink, err))
        die(err);
      t = now_s() - t0;
      if (t < best)
        best = t;
      if (fig->cur.received != (int64_t)ndev * npet) {
        fprintf(stderr, "bench: the report counts %lld petitions\n",
                (long long)fig->cur.received);
        failures++;
      }
      repfig_free(fig);
    }
    store_close(rst);
    fclose(sink);
    printf("report_ms %.1f ms\n", best * 1000);
  }
  /* 6. Client peak RSS during a 10,000-op sync (or all the ops it has). */
  {
    char token[TOKEN_TEXT_MAX], p[512];
    const char *ea[] = {DANSYNCD_BIN, "--db",   db,  "enroll",
                        "--commune",  "hoa-an", NULL};
    const char *sa[] = {DANSYNC_BIN, "--db", p, "sync", NULL};
    struct rusage ru;
    int status;
    pid_t pid;
    run(ea, token, sizeof(token));
    token[strcspn(token, "\n")] = '\0';
    snprintf(p, sizeof(p), "%s/rss.db", dir);
    make_device(p, "hoa-an", d.url, token, npet < 10000 ? npet : 10000);
    pid = spawn(sa, NULL);
    wait4(pid, &status, 0, &ru);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
      die("the RSS sync failed");
    printf("client_peak_rss_kib %ld KiB\n", ru.ru_maxrss);
  }
  /* 3. Incremental sync: one device, 10 changed records, round trip. */
  {
    double *ms = calloc((size_t)runs, sizeof(double));
    long logged = file_size(dir, "daemon.log");
    char p[512];
    snprintf(p, sizeof(p), "%s/rss.db", dir);
    for (int r = 0; r < runs; r++) {
      const char *sa[] = {DANSYNC_BIN, "--db", p, "sync", NULL};
      struct store *st;
      sqlite3_stmt *s;
      char err[DS_ERRBUF_LEN];
      /* Ten changes, queued as a person would make them. */
      if (store_open(&st, p, 0, err))
        die(err);
      sqlite3_prepare_v2(store_sqlite(st),
                         "SELECT lower(hex(rid)) FROM rec ORDER BY random() "
                         "LIMIT 10",
                         -1, &s, NULL);
      while (sqlite3_step(s) == SQLITE_ROW) {
        const char *ua[] = {DANSYNC_BIN,
                            "--db",
                            p,
                            "petition",
                            "update",
                            (const char *)sqlite3_column_text(s, 0),
                            "--response",
                            "Đã tiếp nhận, đang xử lý",
                            NULL};
        if (run(ua, NULL, 0) != 0)
          die("update failed");
      }
      sqlite3_finalize(s);
      store_close(st);
      t0 = now_s();
      if (run(sa, NULL, 0) != 0)
        die("incremental sync failed");
      ms[r] = (now_s() - t0) * 1000;
    }
    print_percentiles("incremental_sync_ms", ms, runs);
    daemon_request_ms(dir, logged);
    free(ms);
  }
  kill(d.pid, SIGTERM);
  waitpid(d.pid, NULL, 0);
  fflush(stdout);

  /* 3b. TLS: what a new connection costs, on the same district. */
  bench_tls(dir, db, runs);

  /* 4. Replay of a log of |replay_ops| ops. The log is made through the
   * same ingestion as serve: signed 5000-op requests of one device. */
  {
    char rdb[512], into[512], err[DS_ERRBUF_LEN], live[65], got[65];
    uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
    struct ingest *ing;
    struct ingest_res rs;
    struct store *st;
    struct buf body, ops;
    struct it {
      uint8_t node[ID_LEN];
    } dev;
    sqlite3_stmt *s;
    int64_t replayed;
    uint64_t seq = 0, hlc = HLC_FROM_MS(clock_now_ms() - 3600 * 1000);
    char text[600], citizen[64];

    snprintf(rdb, sizeof(rdb), "%s/replay-src.db", dir);
    snprintf(into, sizeof(into), "%s/replay-into.db", dir);
    if (district_create(&st, rdb, NULL, err))
      die(err);
    crypto_sign_keypair(pk, sk);
    id_random(dev.node);
    sqlite3_prepare_v2(store_sqlite(st),
                       "INSERT INTO node(node, pubkey, commune, enrolled_ms) "
                       "VALUES (?1, ?2, 'hoa-an', 0)",
                       -1, &s, NULL);
    sqlite3_bind_blob(s, 1, dev.node, ID_LEN, SQLITE_STATIC);
    sqlite3_bind_blob(s, 2, pk, sizeof(pk), SQLITE_STATIC);
    sqlite3_step(s);
    sqlite3_finalize(s);
    if (ingest_open(&ing, st))
      die("ingest_open");
    ingest_res_init(&rs);
    buf_init(&body, 0);
    buf_init(&ops, 0);
    while ((long)seq < replay_ops) {
      struct proto_req hdr = {0};
      struct ingest_req rq = {0};
      uint32_t n = 0;
      buf_reset(&ops);
      for (; n < PROTO_MAX_OPS && (long)seq < replay_ops; n++) {
        uint8_t rid[ID_LEN];
        struct op op;
        memset(&op, 0, sizeof(op));
        id_uuidv7(rid, clock_now_ms());
        content(text, sizeof(text), (int)seq);
        snprintf(citizen, sizeof(citizen), "Trần Thị Dân %llu",
                 (unsigned long long)seq);
        op.ent = ENT_PETITION;
        memcpy(op.rid, rid, ID_LEN);
        memcpy(op.node, dev.node, ID_LEN);
        op.seq = ++seq;
        op.hlc = ++hlc;
        {
          const struct entity_def *e = schema_entity(ENT_PETITION);
          const char *names[] = {"category", "citizen", "commune", "content",
                                 "received_on"};
          const char *vals[] = {"land", citizen, "hoa-an", text, "2024-03-15"};
          for (int f = 0; f < 5; f++) {
            struct op_field *of = &op.set[op.nset++];
            of->field = schema_field_find(e, names[f], strlen(names[f]));
            of->val.type = VAL_STR;
            of->val.s = vals[f];
            of->val.n = strlen(vals[f]);
          }
        }
        if (proto_op_encode(&ops, &op, false))
          die("encode");
      }
      memcpy(hdr.node, dev.node, ID_LEN);
      hdr.hlc = hlc;
      hdr.limit = 1;
      buf_reset(&body);
      if (proto_req_encode(&body, &hdr, ops.data, ops.len, n))
        die("encode");
      rq.body = body.data;
      rq.len = body.len;
      rq.has_node = rq.has_sig = true;
      memcpy(rq.node, dev.node, ID_LEN);
      crypto_sign_detached(rq.sig, NULL, body.data, body.len, sk);
      rq.received_ms = clock_now_ms();
      rq.max_skew_ms = 2 * 3600 * 1000; /* its clock starts an hour back */
      if (ingest_sync(ing, &rq, &rs) || rs.status != 200)
        die("building the replay log failed");
    }
    ingest_res_cleanup(&rs);
    ingest_close(ing);
    buf_cleanup(&body);
    buf_cleanup(&ops);
    if (store_digest(st, NULL, live))
      die("digest");
    store_close(st);
    t0 = now_s();
    if (audit_log_replay(rdb, into, -1, NULL, NULL, &replayed, err))
      die(err);
    t = now_s() - t0;
    printf("replay_ops_per_s %.0f ops/s\n", (double)replayed / t);
    printf("replay_ops %lld ops\n", (long long)replayed);
    /* The digest that checks it, timed on its own. */
    if (store_open(&st, into, 0, err))
      die(err);
    t0 = now_s();
    if (store_digest(st, NULL, got))
      die("digest");
    printf("replay_digest_seconds %.2f s\n", now_s() - t0);
    store_close(st);
    if (strcmp(live, got) != 0) {
      fprintf(stderr, "bench: the replayed digest differs from the live one\n");
      failures++;
    }
  }
out : {
  char rm[600];
  const char *ra[] = {"/bin/rm", "-rf", dir, NULL};
  snprintf(rm, sizeof(rm), "%s", dir);
  if (!getenv("BENCH_KEEP"))
    run(ra, NULL, 0);
}
  printf("digests_equal %s\n", failures ? "no" : "yes");
  return failures ? 1 : 0;
}
