/* SPDX-License-Identifier: MIT
 * backup_bench.c -- which way of copying a live store keeps the writer's
 * latency lower (issue #16): SQLite's online backup API in one step, as
 * `dansyncd backup` does, or `VACUUM INTO`.
 *
 * A store shaped like the district's (16 KiB pages, WAL, synchronous=FULL,
 * records of ~480 bytes keyed by a 16-byte id) is filled with --rows
 * records; a writer thread then commits --batch new records per
 * transaction without pause, as serve's group commit does under load, while
 * the main thread copies the store from its own connection, first idle
 * (no copy), then with each method in turn: the backup API with SQLite's
 * defaults for the new file, the backup API writing the new file with no
 * journal and no syncs until the end, and VACUUM INTO; each copy is synced
 * to disk before its time is taken. Every copy is checked
 * (`PRAGMA quick_check` and its record count at least the count when the
 * copy began); a bad copy fails the program. Prints `name value unit`
 * lines: the writer's commit latency (p50, p99, max) in each phase, and
 * each method's median copy time.
 *
 *   backup_bench [--dir DIR] [--rows N] [--batch N] [--idle-commits N]
 *                [--rounds N]
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#define ROW_BYTES 480
#define MAX_LAT 2000000

enum phase {
  PH_IDLE,
  PH_BACKUP_API,
  PH_BACKUP_API_UNJOURNALLED,
  PH_VACUUM_INTO,
  PH_STOP,
  PH_N = PH_STOP
};
static const char *const phase_name[PH_N] = {
    "idle", "backup_api", "backup_api_unjournalled", "vacuum_into"};

struct lat {
  double *ms;
  size_t n, cap;
};

static struct lat lats[PH_N];
static _Atomic int phase = PH_IDLE;
static _Atomic long commits_total;
static char db_path[512];
static int batch = 100;
static uint64_t next_key;

static _Noreturn void die(const char *what, sqlite3 *db) {
  fprintf(stderr, "backup_bench: %s%s%s\n", what, db ? ": " : "",
          db ? sqlite3_errmsg(db) : "");
  exit(1);
}

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void lat_add(struct lat *l, double ms) {
  if (l->n == l->cap) {
    l->cap = l->cap ? 2 * l->cap : 1024;
    if (l->cap > MAX_LAT || !(l->ms = realloc(l->ms, l->cap * sizeof(double))))
      die("out of memory for latencies", NULL);
  }
  l->ms[l->n++] = ms;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double pct(struct lat *l, double p) {
  size_t i;
  if (!l->n)
    return 0;
  i = (size_t)(p * (double)(l->n - 1) + 0.5);
  return l->ms[i];
}

static sqlite3 *open_db(const char *path) {
  sqlite3 *db;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL) != SQLITE_OK)
    die("cannot open the store", db);
  sqlite3_busy_timeout(db, 10000);
  if (sqlite3_exec(db,
                   "PRAGMA page_size = 16384; PRAGMA journal_mode = WAL;"
                   " PRAGMA synchronous = FULL; PRAGMA cache_size = -2048;"
                   " PRAGMA wal_autocheckpoint = 4096;",
                   NULL, NULL, NULL))
    die("cannot set the store's pragmas", db);
  return db;
}

/* |n| records in one transaction, keys from a counter (as UUIDv7s rise). */
static void insert_batch(sqlite3 *db, sqlite3_stmt *ins, int n) {
  static uint8_t val[ROW_BYTES];
  uint8_t key[16] = {0};

  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL))
    die("cannot begin", db);
  for (int i = 0; i < n; i++) {
    uint64_t k = next_key++;
    for (int b = 0; b < 8; b++)
      key[b] = (uint8_t)(k >> (56 - 8 * b));
    memcpy(key + 8, &k, sizeof(k));
    memcpy(val, &k, sizeof(k));
    sqlite3_bind_blob(ins, 1, key, sizeof(key), SQLITE_STATIC);
    sqlite3_bind_int(ins, 2, (int)(k % 7));
    sqlite3_bind_blob(ins, 3, val, sizeof(val), SQLITE_STATIC);
    if (sqlite3_step(ins) != SQLITE_DONE)
      die("cannot insert", db);
    sqlite3_reset(ins);
  }
  if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
    die("cannot commit", db);
}

static sqlite3_stmt *prepare_insert(sqlite3 *db) {
  sqlite3_stmt *s = NULL;
  if (sqlite3_exec(db,
                   "CREATE TABLE IF NOT EXISTS rec(rid BLOB PRIMARY KEY,"
                   " ent INTEGER NOT NULL, st BLOB NOT NULL) WITHOUT ROWID",
                   NULL, NULL, NULL) ||
      sqlite3_prepare_v2(db, "INSERT INTO rec(rid, ent, st) VALUES (?1,?2,?3)",
                         -1, &s, NULL))
    die("cannot make the table", db);
  return s;
}

static void *writer(void *arg) {
  sqlite3 *db = arg;
  sqlite3_stmt *ins = prepare_insert(db);
  int ph;

  while ((ph = atomic_load(&phase)) != PH_STOP) {
    double t0 = now_ms();
    insert_batch(db, ins, batch);
    /* A commit counts for the phase it began in. */
    lat_add(&lats[ph], now_ms() - t0);
    atomic_fetch_add(&commits_total, 1);
  }
  sqlite3_finalize(ins);
  return NULL;
}

static int64_t count_rows(sqlite3 *db) {
  sqlite3_stmt *s;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db, "SELECT count(*) FROM rec", -1, &s, NULL))
    die("cannot count", db);
  if (sqlite3_step(s) == SQLITE_ROW)
    n = sqlite3_column_int64(s, 0);
  sqlite3_finalize(s);
  return n;
}

/* The copy must be a sound store holding at least |floor| records. */
static void check_copy(const char *path, int64_t floor) {
  sqlite3 *db;
  sqlite3_stmt *s = NULL;
  bool ok;

  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) ||
      sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &s, NULL))
    die("cannot open the copy", db);
  ok = sqlite3_step(s) == SQLITE_ROW &&
       !strcmp((const char *)sqlite3_column_text(s, 0), "ok");
  sqlite3_finalize(s);
  if (!ok || count_rows(db) < floor)
    die("the copy is not a sound store", NULL);
  sqlite3_close(db);
}

/* The copy on disk before it counts as made: every method ends so. */
static void sync_file(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0 || fsync(fd) || close(fd))
    die("cannot sync the copy", NULL);
}

/* The copy through the backup API. With |unjournalled| the new file is
 * written with no rollback journal and no syncs until the end (a copy cut
 * short is thrown away, not recovered); without, with SQLite's defaults for
 * a new file (a rollback journal, synchronous=FULL). */
static double copy_backup_api(sqlite3 *src, const char *out,
                              bool unjournalled) {
  sqlite3 *dst;
  sqlite3_backup *bk;
  double t0 = now_ms();

  if (sqlite3_open_v2(out, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                      NULL))
    die("cannot create the copy", dst);
  if (unjournalled && sqlite3_exec(dst,
                                   "PRAGMA journal_mode = OFF;"
                                   " PRAGMA synchronous = OFF",
                                   NULL, NULL, NULL))
    die("cannot set the copy's pragmas", dst);
  if (!(bk = sqlite3_backup_init(dst, "main", src, "main")))
    die("cannot start the backup", dst);
  if (sqlite3_backup_step(bk, -1) != SQLITE_DONE)
    die("the backup failed", dst);
  sqlite3_backup_finish(bk);
  if (sqlite3_close(dst))
    die("cannot close the copy", NULL);
  sync_file(out);
  return now_ms() - t0;
}

static double copy_vacuum_into(sqlite3 *src, const char *out) {
  sqlite3_stmt *s;
  double t0 = now_ms();

  if (sqlite3_prepare_v2(src, "VACUUM INTO ?1", -1, &s, NULL) ||
      sqlite3_bind_text(s, 1, out, -1, SQLITE_STATIC) ||
      sqlite3_step(s) != SQLITE_DONE)
    die("VACUUM INTO failed", src);
  sqlite3_finalize(s);
  sync_file(out);
  return now_ms() - t0;
}

static long arg_long(const char *flag, const char *v) {
  char *end;
  long n;
  errno = 0;
  n = v ? strtol(v, &end, 10) : 0;
  if (!v || errno || *end || n <= 0) {
    fprintf(stderr, "backup_bench: %s takes a positive number\n", flag);
    exit(1);
  }
  return n;
}

int main(int argc, char **argv) {
  char dirbuf[] = "/tmp/backup-bench.XXXXXX", out[600];
  const char *dir = NULL;
  long rows = 150000, idle_commits = 300, rounds = 5;
  struct lat copies[PH_N] = {{0}};
  int64_t floor;
  sqlite3 *wdb, *rdb;
  sqlite3_stmt *ins;
  pthread_t th;

  for (int i = 1; i < argc; i++) {
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(argv[i], "--dir"))
      dir = v, i++;
    else if (!strcmp(argv[i], "--rows"))
      rows = arg_long(argv[i], v), i++;
    else if (!strcmp(argv[i], "--batch"))
      batch = (int)arg_long(argv[i], v), i++;
    else if (!strcmp(argv[i], "--rounds"))
      rounds = arg_long(argv[i], v), i++;
    else if (!strcmp(argv[i], "--idle-commits"))
      idle_commits = arg_long(argv[i], v), i++;
    else {
      fprintf(stderr, "usage: backup_bench [--dir DIR] [--rows N] [--batch N] "
                      "[--idle-commits N] [--rounds N]\n");
      return 1;
    }
  }
  if (!dir && !(dir = mkdtemp(dirbuf)))
    die("cannot make a directory", NULL);
  snprintf(db_path, sizeof(db_path), "%s/store.db", dir);
  unlink(db_path);

  /* The store, filled in batches of 10,000. */
  wdb = open_db(db_path);
  ins = prepare_insert(wdb);
  for (long done = 0; done < rows; done += 10000)
    insert_batch(wdb, ins, rows - done < 10000 ? (int)(rows - done) : 10000);
  sqlite3_finalize(ins);
  if (sqlite3_exec(wdb, "PRAGMA wal_checkpoint(TRUNCATE)", NULL, NULL, NULL))
    die("cannot checkpoint", wdb);
  rdb = open_db(db_path);

  if (pthread_create(&th, NULL, writer, wdb))
    die("cannot start the writer", NULL);
  /* Idle: the writer alone for --idle-commits commits. */
  while (atomic_load(&commits_total) < idle_commits)
    sched_yield();
  /* The methods in turn, --rounds times, so the machine's phases of load
   * fall on each alike. */
  for (long r = 0; r < rounds; r++)
    for (int ph = PH_BACKUP_API; ph < PH_STOP; ph++) {
      snprintf(out, sizeof(out), "%s/copy-%s.db", dir, phase_name[ph]);
      unlink(out);
      floor = count_rows(rdb);
      atomic_store(&phase, ph);
      lat_add(
          &copies[ph],
          ph == PH_VACUUM_INTO
              ? copy_vacuum_into(rdb, out)
              : copy_backup_api(rdb, out, ph == PH_BACKUP_API_UNJOURNALLED));
      atomic_store(&phase, PH_IDLE);
      check_copy(out, floor);
      unlink(out);
    }
  atomic_store(&phase, PH_STOP);
  pthread_join(th, NULL);
  sqlite3_close(rdb);
  sqlite3_close(wdb);

  printf("store_rows %ld rows\nwriter_batch %d rows\ncopy_rounds %ld\n", rows,
         batch, rounds);
  for (int ph = 0; ph < PH_N; ph++) {
    struct lat *l = &lats[ph];
    qsort(l->ms, l->n, sizeof(double), cmp_double);
    printf("writer_commits_%s %zu commits\n", phase_name[ph], l->n);
    printf("writer_commit_ms_p50_%s %.2f ms\n", phase_name[ph], pct(l, 0.5));
    printf("writer_commit_ms_p99_%s %.2f ms\n", phase_name[ph], pct(l, 0.99));
    printf("writer_commit_ms_max_%s %.2f ms\n", phase_name[ph],
           l->n ? l->ms[l->n - 1] : 0);
    if (ph != PH_IDLE) {
      qsort(copies[ph].ms, copies[ph].n, sizeof(double), cmp_double);
      printf("copy_ms_p50_%s %.1f ms\n", phase_name[ph], pct(&copies[ph], 0.5));
    }
    free(l->ms);
    free(copies[ph].ms);
  }
  unlink(db_path);
  return 0;
}
