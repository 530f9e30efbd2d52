/* SPDX-License-Identifier: MIT
 * it_util.h -- integration-test harness: run the real binaries, start and
 * stop the real daemon on a loopback port, and talk HTTP to it. */
#ifndef DS_TESTS_IT_UTIL_H
#define DS_TESTS_IT_UTIL_H
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/buf.h"
#include "common/op.h"

/* Paths of the binaries under test (set by CMake). */
#ifndef DANSYNCD_BIN
#define DANSYNCD_BIN "dansyncd"
#endif

/* A fresh temporary directory for one test; removed by it_tmp_cleanup. */
const char *it_tmpdir(void);
void it_tmp_cleanup(void);
/* Runs argv (NULL-terminated) with stdout captured into |out| (may be
 * NULL); returns the exit code, or -1. */
int it_run(const char *const *argv, struct buf *out);

struct it_daemon {
  pid_t pid;
  int port;
  char db[512];
  char url[64];
  char log[512]; /* when set before start: the daemon's stderr goes here */
  char pin[80];  /* when set: it_post speaks HTTPS, pinned to this key */
};
/* Starts `dansyncd --db DB serve --listen 127.0.0.1:0` with |extra| args and
 * waits until it has written its port. */
void it_daemon_start(struct it_daemon *d, const char *db,
                     const char *const *extra);
/* Makes the district's certificate in |dir| with `dansyncd tls init`, and
 * sets d->pin from `dansyncd tls pin`; |crt| and |key| (|cap| bytes each)
 * get the files' paths for --tls-cert and --tls-key. */
void it_tls_cert(struct it_daemon *d, const char *dir, char *crt, char *key,
                 size_t cap);
/* SIGTERM (or SIGKILL with |kill9|) and wait; returns the exit status. */
int it_daemon_stop(struct it_daemon *d, bool kill9);

/* A device identity made by the test: key pair and node id, enrolled. */
struct it_device {
  uint8_t node[ID_LEN];
  uint8_t pk[32], sk[64];
  char token[65];          /* the secret of its enrolment token */
  uint8_t district_pk[32]; /* from the token: checks answers */
  bool send_token;
  uint64_t seq;
};
void it_device_new(struct it_device *dev, const char *db, const char *commune);

/* Signs |body| as |dev| and POSTs it; returns the HTTP status (0 if the
 * connection failed) with the response body in |resp|. */
long it_post(const struct it_daemon *d, const struct it_device *dev,
             const void *body, size_t len, struct buf *resp);
/* Encodes a request from |dev| carrying |ops| (their node set to dev's). */
void it_request(struct buf *out, const struct it_device *dev, struct op *ops,
                int nops, uint64_t cursor);
/* Sends raw bytes on a new connection (it_conn_open's: TLS pinned to
 * d->pin when that is set) and reads until the peer closes or nothing
 * comes for |timeout_ms|; returns the bytes read in |resp|. */
void it_raw(const struct it_daemon *d, const void *bytes, size_t len,
            bool half_close, int timeout_ms, struct buf *resp);
/* The daemon store's digest (read through dansyncd digest). */
void it_digest(const char *db, const char *commune, char hex[65]);
/* Decodes an error body's code; "" if it is not one. */
void it_error_code(const struct buf *body, char *code, size_t cap);

/* A TCP connection to the daemon, from loopback address |from| (any of
 * 127/8; NULL: the kernel's choice); -1 if it is refused. */
int it_connect(const struct it_daemon *d, const char *from);
/* Sends all of |bytes|; false if the peer is gone. */
bool it_send_all(int fd, const void *bytes, size_t len);
/* Reads (into |got| when not NULL) until the peer closes; returns the ms it
 * took, or -1 if it did not close within |timeout_ms|. */
int it_wait_closed(int fd, int timeout_ms, struct buf *got);
/* A connection as a device makes it: TLS when d->pin is set (the handshake
 * done and the district's key checked against the pin: the SHA-256 of the
 * certificate's DER public key, as curl's CURLOPT_PINNEDPUBLICKEY checks
 * it), plain TCP otherwise. |from| as for it_connect. */
struct it_conn {
  int fd;
  struct ssl_st *ssl; /* NULL when plain */
};
/* False if the connection is refused, or the handshake or the pin fails. */
bool it_conn_open(struct it_conn *c, const struct it_daemon *d,
                  const char *from);
/* Sends all of |bytes| (encrypted when TLS); false if the peer is gone. */
bool it_conn_send(struct it_conn *c, const void *bytes, size_t len);
/* One read (blocking): decrypted bytes when TLS; 0 once the connection is
 * over (end of file, close_notify or a TLS error). */
ssize_t it_conn_recv(struct it_conn *c, void *b, size_t cap);
/* Ends the sending side: close_notify (TLS), then a TCP half close. */
void it_conn_shutdown(struct it_conn *c);
/* Reads (decrypted, into |got| when not NULL) until the peer closes; with
 * |idle|, |timeout_ms| bounds each wait for more bytes, else the whole.
 * Returns the ms it took, or -1 on a timeout. */
int it_conn_wait_closed(struct it_conn *c, int timeout_ms, bool idle,
                        struct buf *got);
void it_conn_close(struct it_conn *c);
/* A metric's value from GET /metrics (the full name with any labels, e.g.
 * "dansync_connections_cut_total{deadline=\"head\"}"); -1 if absent. */
long it_metric(const struct it_daemon *d, const char *name);
/* A field of /proc/PID/status in KiB ("VmRSS", "VmHWM"); -1 if absent. */
long it_rss_kib(pid_t pid, const char *field);
#endif
