/* SPDX-License-Identifier: MIT
 * csync.c -- the device side of DESIGN §6. Every response is applied in one
 * transaction (acks, rejections, pulled ops, cursor, clock), so a sync cut
 * off at any point resumes without loss or duplication. */
#include "client/csync.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "client/bodysig.h"
#include "client/chead.h"
#include "client/local.h"
#include "client/msg.h"
#include "client/restamp.h"
#include "client/trust.h"
#include "client/xport.h"
#include "common/alloc.h"
#include "common/clock.h"
#include "common/device.h"
#include "common/hex.h"
#include "common/hlc.h"
#include "common/json.h"
#include "common/meta.h"
#include "common/store.h"
#include "proto/codec.h"

#define DEFAULT_BATCH 500 /* ~250 KB: a few seconds on a weak 3G link */
/* A request also stops growing at this many bytes of ops, well under the
 * daemon's 8 MiB cap (500 petitions of 4,000 characters would pass it). */
#define BATCH_MAX_BYTES (4u * 1024u * 1024u)
#define SYNC_CACHE_KIB 1024  /* SQLite's page cache during a sync */
#define PULL_PAGE 500        /* ops asked for in one answer, as a batch */
#define PULL_LIMIT 1000      /* --pull-limit's most (the daemon's page) */
#define DEFAULT_TIMEOUT_S 30 /* DESIGN §8: per round */
/* After a round times out its batch is halved; this many good rounds in a
 * row double it again, up to --batch. */
#define GROW_AFTER 4

struct sync {
  struct device dev;
  struct xport *x;
  char server[512], token[200], pin[512], cacert[4096];
  uint8_t pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
  bool tty;
  bool line_open;       /* the progress line is drawn and not yet ended */
  bool unsigned_answer; /* an answer failed trust_check_answer */
  /* The district's signed head (client/chead.c): checked on network
   * answers only; what the request in flight carried. */
  bool network, lost_sent, lost_said;
  uint32_t req_nops;
  uint64_t req_last, lost_now;
  int64_t batch, batch_max;
  int good_rounds;    /* in a row, since the batch last shrank or grew */
  int64_t pull_limit; /* most ops asked for in one answer */
  /* Totals for the summary. */
  uint64_t pushed, pulled, conflicts, rejected, bytes_up, bytes_down;
  uint64_t queued_at_start;
  /* Kept from one round to the next: fresh half-megabyte buffers each
   * round cost more in page faults than building the request does. */
  struct buf body, rbody;
};

/* Ends the progress line, if one is drawn, before a line of text. */
static void end_line(struct sync *s) {
  if (s->line_open)
    fputc('\n', stderr);
  s->line_open = false;
}

static int say(int code, const char *sentence) {
  fprintf(stderr, "dansync: %s\n", sentence);
  return code;
}

static int fail(int code, enum msg_id id) {
  return say(code, msg(id));
}

/* What the district's refusal |code| means, in Vietnamese: the daemon's
 * own sentence |text| is English, and is what DANSYNC_LANG=en shows. */
static const char *refusal_text(const char *code, const char *text) {
  static const struct {
    const char *code;
    enum msg_id id;
  } known[] = {
      {PROTO_E_UNAUTHORIZED, MSG_REFUSAL_UNAUTHORIZED},
      {PROTO_E_SKEW, MSG_REFUSAL_SKEW},
      {PROTO_E_STALE, MSG_REFUSAL_STALE},
      {PROTO_E_TOO_LARGE, MSG_REFUSAL_TOO_LARGE},
      {PROTO_E_VERSION, MSG_REFUSAL_VERSION},
      {PROTO_E_BAD_REQUEST, MSG_REFUSAL_BAD_REQUEST},
  };
  if (msg_english())
    return text;
  for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
    if (!strcmp(code, known[i].code))
      return msg(known[i].id);
  return text;
}

/* The TTY progress line: totals so far plus the round under way. */
static void progress(void *arg, size_t up, size_t down) {
  struct sync *s = arg;
  s->line_open = true;
  msg_print(stderr, MSG_SYNC_PROGRESS, (unsigned long long)s->pushed,
            (unsigned long long)s->queued_at_start,
            (unsigned long long)s->pulled, (double)(s->bytes_up + up) / 1000.0,
            (double)(s->bytes_down + down) / 1000.0);
}

/* Builds a request with the queued ops after |acked| (at most s->batch).
 * The ops are read straight into |body| after room for its head, which is
 * put in front once their count is known: the batch is held once. */
static int build_request(struct sync *s, uint64_t acked, struct buf *body,
                         uint32_t *nops, uint64_t *last_seq) {
  static const uint8_t room[PROTO_REQ_HEAD_MAX];
  struct store *st = s->dev.st;
  struct proto_req hdr = {0};
  struct device_iter *it;
  struct device_row row;
  struct buf head;
  size_t ops_len = 0;
  int rc, more;

  *nops = 0;
  *last_seq = acked;
  buf_reset(body);
  rc = buf_append(body, room, sizeof(room));
  if (rc)
    return rc;
  /* A scan that cannot start is an error, never an empty batch. */
  rc = device_iter_open(st, DEVICE_OUTBOX_AFTER, acked, s->batch, NULL, &it);
  if (rc) {
    buf_reset(body);
    return rc;
  }
  while (!rc && (more = device_iter_next(it, &row)) == 1) {
    if (row.seq != *last_seq + 1)
      break; /* the outbox has no gaps; stop rather than send one */
    if (*nops > 0 && ops_len + row.len > BATCH_MAX_BYTES)
      break;
    rc = buf_append(body, row.op, row.len);
    ops_len += row.len;
    *last_seq = row.seq;
    (*nops)++;
  }
  if (!rc && more < 0)
    rc = more;
  device_iter_close(it);
  memcpy(hdr.node, s->dev.node, ID_LEN);
  hdr.ts = clock_now_ms();
  /* Each attempt stamped anew (DESIGN §11: the district refuses a request
   * older than its window); the clock itself moves only with new ops. */
  if (!rc)
    rc = store_hlc_get(st, &hdr.hlc);
  if (!rc)
    hdr.hlc = hlc_tick(hdr.hlc, clock_now_ms());
  hdr.cursor = (uint64_t)meta_int_or_0(st, META_CURSOR);
  hdr.has_cursor_hash =
      hdr.cursor > 0 && meta_get_exact(st, META_CURSOR_HASH, hdr.cursor_hash,
                                       PROTO_HASH_LEN) == 0;
  hdr.limit = (uint64_t)s->pull_limit;
  chead_pending(st, &hdr);
  s->lost_sent = hdr.has_lost_head;
  buf_init(&head, PROTO_REQ_HEAD_MAX); /* capped: it fits the room */
  if (!rc)
    rc = proto_req_head(&head, &hdr, *nops);
  if (!rc) {
    memmove(body->data + head.len, body->data + PROTO_REQ_HEAD_MAX, ops_len);
    memcpy(body->data, head.data, head.len);
    body->len = head.len + ops_len;
  }
  buf_cleanup(&head);
  if (rc)
    buf_reset(body);
  return rc;
}

/* Applies one 200 response in one transaction, and says in |*more| whether
 * another round is needed; when none is, the sync's time is recorded in the
 * same transaction. */
static int apply_response(struct sync *s, const struct proto_resp *resp,
                          uint64_t acked_before, uint64_t *acked_after,
                          bool *more, char *err) {
  uint64_t next = 1;
  struct store *st = s->dev.st;
  uint64_t seen = 0;
  struct buf enc;
  int rc;

  buf_init(&enc, 0);
  *acked_after = acked_before;
  rc = store_begin(st);
  if (rc)
    return msg_fail(err, rc, MSG_LOCAL_BUSY);
  /* Before the cursor moves: the answer against the head this request
   * carried. A bundle's answers each answer its export's cursor, not the
   * head now held. */
  if (s->network)
    rc = chead_check(st, resp, &s->lost_now);
  for (uint32_t i = 0; i < resp->nrejected && !rc; i++) {
    struct proto_rejected r;
    char code[32], msg[512];
    if (proto_resp_rejected(resp, i, &r))
      continue;
    snprintf(code, sizeof(code), "%.*s", (int)r.error_len,
             r.error ? r.error : "");
    snprintf(msg, sizeof(msg), "%.*s", (int)r.message_len,
             r.message ? r.message : "");
    rc = store_outbox_reject(st, r.seq, code, msg);
    s->rejected++;
  }
  for (uint32_t i = 0; i < resp->nops && !rc; i++) {
    struct mresult res;
    struct op op;
    rc = proto_resp_op(resp, i, &op, err);
    if (rc) {
      rc = DS_EPROTO;
      break;
    }
    rc = store_apply(st, &op, &res);
    if (rc)
      break;
    buf_reset(&enc);
    rc = proto_op_encode(&enc, &op, true);
    if (rc)
      break;
    rc = device_inbox_add(st, op.rid, op.hlc, op.node, op.seq, enc.data,
                          enc.len);
    if (op.hlc > seen)
      seen = op.hlc;
    s->conflicts += res.conflicts;
  }
  /* The daemon's acked may be below ours after a restore from backup: then
   * we send again from its acked + 1 and the district loses nothing. */
  *acked_after = resp->acked;
  if (!rc)
    rc = meta_set_int(st, META_ACKED, (int64_t)resp->acked);
  if (!rc && resp->acked > acked_before)
    s->pushed += resp->acked - acked_before;
  /* A request with new ops enters the district's sync log: the lost head
   * it carried is recorded there. */
  if (!rc && s->network && s->lost_sent && s->req_nops &&
      resp->acked >= s->req_last)
    rc = chead_delivered(st);
  if (!rc)
    rc = meta_set_int(st, META_CURSOR, (int64_t)resp->cursor);
  if (!rc)
    rc = resp->has_cursor_hash
             ? meta_set(st, META_CURSOR_HASH, resp->cursor_hash, PROTO_HASH_LEN)
             : meta_set(st, META_CURSOR_HASH, NULL, 0);
  if (resp->hlc > seen)
    seen = resp->hlc;
  if (!rc)
    rc = store_hlc_adopt(st, seen);
  if (!rc && seen > (uint64_t)meta_int_or_0(st, META_HLC_SEEN))
    rc = meta_set_int(st, META_HLC_SEEN, (int64_t)seen);
  if (!rc)
    rc = meta_set_int(st, META_ENROLLED, 1);
  if (!rc)
    rc = trust_enrolled(st); /* confirmed: the token is forgotten */
  if (!rc)
    rc = store_next_seq(st, &next);
  *more = resp->more || next - 1 > resp->acked;
  if (!rc && !*more)
    rc = meta_set_int(st, META_LAST_SYNC_MS, (int64_t)clock_now_ms());
  if (!rc)
    rc = store_commit(st);
  else
    store_rollback(st);
  buf_cleanup(&enc);
  if (!rc)
    s->pulled += resp->nops;
  return rc;
}

enum outcome {
  OUT_DONE,
  OUT_AGAIN,
  OUT_OFFLINE,
  OUT_TIMEOUT, /* offline, but the batch may have been too big for the link */
  OUT_IDENTITY,
  OUT_REFUSED,
  OUT_ERROR
};

/* One request/response round. */
static enum outcome round_trip(struct sync *s, bool *more, char *why,
                               size_t msgcap) {
  struct store *st = s->dev.st;
  char err[DS_ERRBUF_LEN], node_hdr[64], sig_hdr[128], tok_hdr[256],
      key_hdr[128], nodehex[ID_HEX_LEN + 1], keyhex[65], sigb64[100];
  const char *headers[8];
  uint8_t sig[crypto_sign_BYTES];
  uint64_t acked = (uint64_t)meta_int_or_0(st, META_ACKED), last_seq;
  uint64_t after = 0;
  int64_t sent_before = meta_int_or_0(st, META_SENT_MAX);
  struct proto_resp resp;
  struct buf *body = &s->body, *rbody = &s->rbody;
  uint32_t nops;
  long status = 0;
  int rc, h = 0;
  enum outcome out = OUT_ERROR;

  rc = build_request(s, acked, body, &nops, &last_seq);
  s->req_nops = nops;
  s->req_last = last_seq;
  if (rc) {
    msg_fmt(why, msgcap, MSG_OUTBOX_READ);
    goto done;
  }
  /* From here the ops may reach the district: they count as sent, which
   * --restamp must not touch, until a definite refusal says otherwise. */
  if ((int64_t)last_seq > sent_before &&
      meta_set_int(st, META_SENT_MAX, (int64_t)last_seq)) {
    msg_fmt(why, msgcap, MSG_LOCAL_WRITE);
    goto done;
  }
  bodysig_sign(s->sk, body->data, body->len, sig);
  hex_encode(nodehex, s->dev.node, ID_LEN);
  sodium_bin2base64(sigb64, sizeof(sigb64), sig, sizeof(sig),
                    sodium_base64_VARIANT_ORIGINAL);
  snprintf(node_hdr, sizeof(node_hdr), "Dansync-Node: %s", nodehex);
  snprintf(sig_hdr, sizeof(sig_hdr), "Dansync-Signature: %s", sigb64);
  headers[h++] = "Content-Type: application/msgpack";
  headers[h++] = node_hdr;
  headers[h++] = sig_hdr;
  headers[h++] = "Expect:";
  hex_encode(keyhex, s->pk, sizeof(s->pk));
  snprintf(key_hdr, sizeof(key_hdr), "Dansync-Key: %s", keyhex);
  if (!meta_int_or_0(st, META_ENROLLED)) {
    snprintf(tok_hdr, sizeof(tok_hdr), "Dansync-Token: %s", s->token);
    headers[h++] = tok_hdr;
    headers[h++] = key_hdr;
  } else {
    /* Presented always: a district restored from an older backup does not
     * know this node and re-registers it from the receipt. */
    trust_receipt_header(st, tok_hdr, sizeof(tok_hdr));
    if (tok_hdr[0]) {
      headers[h++] = tok_hdr;
      headers[h++] = key_hdr;
    }
  }
  headers[h] = NULL;
  rc = xport_post(s->x, "/v1/sync", body->data, body->len, headers, &status,
                  rbody, err);
  if (rc == DS_EIDENTITY) {
    /* Only the TLS handshake left the device: nothing was sent. */
    if (meta_set_int(st, META_SENT_MAX, sent_before) == 0)
      out = OUT_IDENTITY;
    snprintf(why, msgcap, "%s", err);
    goto done;
  }
  if (rc == DS_EIO || rc == DS_ETIMEDOUT) {
    snprintf(why, msgcap, "%s", err);
    out = rc == DS_ETIMEDOUT && nops > 1 ? OUT_TIMEOUT : OUT_OFFLINE;
    if (out == OUT_TIMEOUT)
      s->batch = nops / 2;
    goto done;
  }
  if (rc) {
    msg_fmt(why, msgcap, MSG_NO_MEMORY);
    goto done;
  }
  s->bytes_up += body->len;
  s->bytes_down += rbody->len;
  if (status != 200) {
    char code[32] = "", text[512] = "";
    bool has_exp = false;
    uint64_t exp = 0;
    /* A refused request changes nothing at the district. */
    if (meta_set_int(st, META_SENT_MAX, sent_before))
      goto done;
    if (proto_error_decode(rbody->data, rbody->len, code, sizeof(code), text,
                           sizeof(text), &has_exp, &exp))
      msg_fmt(text, sizeof(text), MSG_SYNC_HTTP, status);
    if (status == 409 && !strcmp(code, PROTO_E_GAP) && has_exp && exp >= 1 &&
        exp - 1 < acked) {
      /* The district holds less than we thought (a restore): resend. */
      if (meta_set_int(st, META_ACKED, (int64_t)(exp - 1)) == 0)
        out = OUT_AGAIN;
      goto done;
    }
    if (status >= 500) {
      out = OUT_OFFLINE; /* transient: storage failing at the district */
      msg_fmt(why, msgcap, MSG_SYNC_UNAVAILABLE, text);
    } else {
      out = OUT_REFUSED;
      msg_fmt(why, msgcap, MSG_SYNC_REFUSED, *code ? code : "error",
              refusal_text(code, text));
    }
    goto done;
  }
  rc = proto_resp_decode(&resp, rbody->data, rbody->len, err);
  if (rc) {
    /* Garbled on the way (a broken link or middlebox): nothing was applied
     * here, and the district's side is idempotent, so it is retried like
     * any transport failure. */
    msg_fmt(why, msgcap, MSG_SYNC_GARBLED, err);
    out = OUT_OFFLINE;
    goto done;
  }
  /* A well-formed answer: the district's signature, before anything of it
   * is applied. */
  if (trust_check_answer(st, s->x, body, rbody, err)) {
    proto_resp_cleanup(&resp);
    s->unsigned_answer = true;
    snprintf(why, msgcap, "%s", err);
    out = OUT_IDENTITY;
    goto done;
  }
  rc = apply_response(s, &resp, acked, &after, more, err);
  proto_resp_cleanup(&resp);
  if (!rc)
    rc = trust_keep_receipt(st, s->x);
  if (rc) {
    msg_fmt(why, msgcap, MSG_SYNC_APPLY,
            rc == DS_EPROTO ? err : msg(MSG_LOCAL_ERROR));
    goto done;
  }
  out = *more ? OUT_AGAIN : OUT_DONE;
  if (s->lost_now && !s->lost_said) {
    end_line(s);
    msg_print(stderr, MSG_SYNC_LOST_HEAD, (unsigned long long)s->lost_now);
    s->lost_said = true;
  }
  if (nops && ++s->good_rounds >= GROW_AFTER && s->batch < s->batch_max) {
    s->batch = s->batch * 2 < s->batch_max ? s->batch * 2 : s->batch_max;
    s->good_rounds = 0;
  }
  if (s->tty)
    progress(s, 0, 0); /* the true totals, now that they are applied */
  if (!s->tty && (nops || out == OUT_AGAIN))
    msg_print(stderr, MSG_SYNC_ROUND, nops, (unsigned long long)after,
              (unsigned long long)s->pulled);
done:
  return out;
}

static void backoff(int attempt) {
  /* Exponential backoff with full jitter: 0.5 s doubling, capped at 30 s. */
  uint64_t cap = 500ull << (attempt < 6 ? attempt : 6);
  struct timespec ts;
  if (cap > 30000)
    cap = 30000;
  cap = randombytes_uniform((uint32_t)cap + 1);
  ts.tv_sec = (time_t)(cap / 1000);
  ts.tv_nsec = (long)(cap % 1000) * 1000000L;
  nanosleep(&ts, NULL);
}

int csync_main(const struct args *a, uint64_t *rejected) {
  char err[DS_ERRBUF_LEN], why[768] = "", path[4096];
  long retries = 3, timeout = DEFAULT_TIMEOUT_S;
  bool wait = args_has(a, "wait"), more = true;
  struct sync s;
  const char *v;
  uint64_t next = 1, started = clock_now_ms();
  int64_t inbox0 = 0;
  int attempt = 0, code = EXIT_OK;

  memset(&s, 0, sizeof(s));
  s.network = true;
  buf_init(&s.body, 0);
  buf_init(&s.rbody, 4 * PROTO_MAX_BODY);
  /* --wait retries until the server is reached, unless --retries bounds
   * it. */
  if (wait && !args_get(a, "retries"))
    retries = -1;
  if ((v = args_get(a, "retries")) &&
      ((retries = strtol(v, NULL, 10)) < 0 || retries > 1000))
    return fail(EXIT_ERROR, MSG_SYNC_BAD_RETRIES);
  if ((v = args_get(a, "timeout")) &&
      ((timeout = strtol(v, NULL, 10)) < 1 || timeout > 3600))
    return fail(EXIT_ERROR, MSG_SYNC_BAD_TIMEOUT);
  s.batch = DEFAULT_BATCH;
  if ((v = args_get(a, "batch")) &&
      ((s.batch = strtol(v, NULL, 10)) < 1 || s.batch > PROTO_MAX_OPS))
    return fail(EXIT_ERROR, MSG_SYNC_BAD_BATCH);
  s.pull_limit = PULL_PAGE;
  if ((v = args_get(a, "pull-limit")) &&
      ((s.pull_limit = strtol(v, NULL, 10)) < 1 || s.pull_limit > PULL_LIMIT))
    return fail(EXIT_ERROR, MSG_SYNC_BAD_PULL);
  s.batch_max = s.batch;
  if (local_db_path(path, sizeof(path), a->db, false))
    return fail(EXIT_ERROR, MSG_STORE_PATH_LONG);
  if (local_open(&s.dev, path, err))
    return say(EXIT_ERROR, err);
  /* The outbox is read once, in order, a batch at a time: a small page
   * cache loses nothing and keeps a 10,000-op sync inside DESIGN §10's
   * 16 MiB (the store's default of 2 MiB filled up reading it). */
  store_set_cache_kib(s.dev.st, SYNC_CACHE_KIB);
  if (meta_get_str(s.dev.st, META_SERVER, s.server, sizeof(s.server)) ||
      meta_get_exact(s.dev.st, META_PK, s.pk, sizeof(s.pk)) ||
      meta_get_exact(s.dev.st, META_SK, s.sk, sizeof(s.sk))) {
    local_close(&s.dev);
    return fail(EXIT_ERROR, MSG_SYNC_NO_KEYS);
  }
  /* Where this sync's pulled ops will start, for 'status'. */
  if (device_inbox_last(s.dev.st, &inbox0)) {
    local_close(&s.dev);
    return fail(EXIT_ERROR, MSG_STORE_READ);
  }
  trust_token_secret(s.dev.st, s.token, sizeof(s.token));
  /* Absent in stores made before pins, and when the system CA store is
   * trusted. */
  if (meta_get_str(s.dev.st, META_PIN, s.pin, sizeof(s.pin)))
    s.pin[0] = '\0';
  if (meta_get_str(s.dev.st, META_CACERT, s.cacert, sizeof(s.cacert)))
    s.cacert[0] = '\0';
  if (args_has(a, "restamp")) {
    uint64_t n;
    if (restamp_unsent(&s.dev, &n, err)) {
      local_close(&s.dev);
      return say(EXIT_ERROR, err);
    }
    msg_print(stderr, MSG_SYNC_RESTAMPED, (unsigned long long)n);
  }
  if (store_next_seq(s.dev.st, &next) == 0)
    s.queued_at_start =
        next - 1 - (uint64_t)meta_int_or_0(s.dev.st, META_ACKED);
  s.tty = isatty(2);
  {
    struct xport_cfg cfg = {
        s.server, s.pin[0] ? s.pin : NULL, s.cacert[0] ? s.cacert : NULL,
        timeout,  s.tty ? progress : NULL, &s};
    if (xport_open(&s.x, &cfg, why)) {
      local_close(&s.dev);
      return say(EXIT_ERROR, why);
    }
  }
  while (more) {
    enum outcome o = round_trip(&s, &more, why, sizeof(why));
    if (o == OUT_DONE)
      break;
    if (o == OUT_AGAIN) {
      attempt = 0;
      more = true;
      continue;
    }
    if (o == OUT_TIMEOUT)
      s.good_rounds = 0;
    /* Every failed round counts against --retries, a timed-out one too
     * (it also halved the batch): a silent server costs at most
     * (retries + 1) x --timeout plus the backoff. */
    if ((o == OUT_OFFLINE || o == OUT_TIMEOUT) &&
        (retries < 0 || attempt < retries)) {
      end_line(&s);
      msg_print(stderr, MSG_SYNC_RETRYING, why,
                o == OUT_TIMEOUT ? msg(MSG_SYNC_SMALLER) : "",
                retries < 0 ? msg(MSG_SYNC_UNTIL) : "");
      backoff(attempt++);
      more = true;
      continue;
    }
    code = o == OUT_OFFLINE || o == OUT_TIMEOUT ? EXIT_OFFLINE
           : o == OUT_IDENTITY                  ? EXIT_IDENTITY
           : o == OUT_REFUSED                   ? EXIT_REFUSED
                                                : EXIT_ERROR;
    break;
  }
  end_line(&s); /* each answer redrew the line once applied: it is final */
  if (code == EXIT_OK) {
    /* Only what 'status' shows depends on the note: a failed write is
     * harmless, and an unchanged one is not written again. */
    int64_t noted = -1;
    if ((meta_get_int(s.dev.st, META_BROUGHT_FROM, &noted) ||
         noted != inbox0) &&
        meta_set_int(s.dev.st, META_BROUGHT_FROM, inbox0))
      store_rollback(s.dev.st);
    msg_print(stdout, MSG_SYNC_DONE, (unsigned long long)s.pushed,
              (unsigned long long)s.pulled, (unsigned long long)s.conflicts,
              (unsigned long long)s.rejected,
              (double)(clock_now_ms() - started) / 1000.0);
  } else {
    unsigned long long queued = 0;
    char line[1024];
    if (store_next_seq(s.dev.st, &next) == 0)
      queued = next - 1 - (uint64_t)meta_int_or_0(s.dev.st, META_ACKED);
    if (code == EXIT_IDENTITY && !s.unsigned_answer)
      msg_fmt(line, sizeof(line), MSG_SYNC_NOT_SENT, why, queued);
    else if (code == EXIT_OFFLINE)
      msg_fmt(line, sizeof(line), MSG_SYNC_OFFLINE, s.server, why, queued);
    else
      msg_fmt(line, sizeof(line), MSG_SYNC_QUEUED, why, queued);
    (void)say(code, line);
  }
  *rejected = s.rejected;
  sodium_memzero(s.sk, sizeof(s.sk));
  xport_close(s.x);
  local_close(&s.dev);
  buf_cleanup(&s.body);
  buf_cleanup(&s.rbody);
  return code;
}

int csync_request(struct device *dev, uint64_t after, int64_t batch,
                  int64_t pull_limit, struct buf *body, uint32_t *nops,
                  uint64_t *last_seq) {
  struct sync s;
  memset(&s, 0, sizeof(s));
  s.dev = *dev;
  s.batch = batch;
  s.pull_limit = pull_limit;
  return build_request(&s, after, body, nops, last_seq);
}

int csync_apply(struct device *dev, const struct proto_resp *resp, bool *more,
                struct csync_totals *t, char *err) {
  uint64_t after = 0;
  struct sync s;
  int rc;
  memset(&s, 0, sizeof(s));
  s.dev = *dev;
  rc = apply_response(&s, resp, (uint64_t)meta_int_or_0(dev->st, META_ACKED),
                      &after, more, err);
  t->pushed += s.pushed;
  t->pulled += s.pulled;
  t->conflicts += s.conflicts;
  t->rejected += s.rejected;
  return rc;
}
