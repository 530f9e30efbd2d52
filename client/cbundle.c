/* SPDX-License-Identifier: MIT
 * cbundle.c -- the device's bundles; see cbundle.h. An export is read from
 * the store and changes nothing there but the note of what was exported;
 * an answer is checked whole (seal, frames, the district's signature, its
 * device) before the first response of it is applied. */
#include "client/cbundle.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "client/bodysig.h"
#include "client/cli_int.h"
#include "client/csync.h"
#include "common/args.h"
#include "common/bundle.h"
#include "common/clock.h"
#include "common/cmsg.h"
#include "common/dsig.h"
#include "common/hex.h"
#include "common/meta.h"
#include "common/store.h"
#include "proto/bundle.h"
#include "proto/codec.h"

#define BATCH 500       /* ops per request, as sync */
#define PULL_LIMIT 1000 /* the last request's page: sync's most */

struct dev_keys {
  struct device dev;
  uint8_t pk[32], sk[64], district_pk[32];
  uint8_t x_pk[32], x_sk[32]; /* the device's X25519 pair */
};

static int usage(const char *sentence) {
  fprintf(stderr, "dansync: %s\n%s\n", sentence, msg(MSG_BUNDLE_USAGE));
  return EXIT_USAGE;
}

static int fail(int code, const char *sentence) {
  fprintf(stderr, "dansync: %s\n", sentence);
  return code;
}

/* A meta value of exactly |len| bytes. */

static void when_text(int64_t ms, char *out, size_t cap) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  localtime_r(&t, &tm);
  strftime(out, cap, "%Y-%m-%d %H:%M:%S", &tm);
}

static int open_keys(struct dev_keys *k, const struct args *a, char *err) {
  char path[4096];
  memset(k, 0, sizeof(*k));
  if (local_db_path(path, sizeof(path), a->db, false))
    return msg_fail(err, DS_EINVAL, MSG_STORE_PATH_LONG);
  if (local_open(&k->dev, path, err))
    return DS_EINVAL;
  if (meta_get_exact(k->dev.st, META_PK, k->pk, 32) ||
      meta_get_exact(k->dev.st, META_SK, k->sk, 64)) {
    local_close(&k->dev);
    return msg_fail(err, DS_EINVAL, MSG_BUNDLE_NO_KEYS);
  }
  if (meta_get_exact(k->dev.st, META_DISTRICT_PK, k->district_pk, 32) ||
      bundle_x25519(k->pk, k->sk, k->x_pk, k->x_sk)) {
    local_close(&k->dev);
    return msg_fail(err, DS_EINVAL, MSG_BUNDLE_NO_DISTRICT_KEY);
  }
  return 0;
}

static void close_keys(struct dev_keys *k) {
  sodium_memzero(k->sk, sizeof(k->sk));
  sodium_memzero(k->x_sk, sizeof(k->x_sk));
  local_close(&k->dev);
}

/* ---- export ---- */

static int put_request(struct bundle_writer *w, struct dev_keys *k,
                       struct buf *body, struct buf *frame) {
  uint8_t sig[64];
  bodysig_sign(k->sk, body->data, body->len, sig);
  buf_reset(frame);
  return proto_bundle_req_encode(frame, body->data, body->len, sig) ||
                 bundle_writer_put(w, frame->data, frame->len, false)
             ? DS_EIO
             : 0;
}

static int write_export(struct bundle_writer *w, struct dev_keys *k,
                        const uint8_t id[ID_LEN], uint64_t *last,
                        uint32_t *nreq, char *err) {
  struct store *st = k->dev.st;
  struct proto_bundle_frame head;
  uint64_t after = (uint64_t)meta_int_or_0(st, META_ACKED);
  struct buf body, frame;
  uint32_t nops = 1;
  int rc;

  memset(&head, 0, sizeof(head));
  memcpy(head.node, k->dev.node, ID_LEN);
  memcpy(head.id, id, ID_LEN);
  head.made_ms = clock_now_ms();
  if (store_hlc_get(st, &head.hlc))
    head.hlc = 0;
  if (!meta_int_or_0(st, META_ENROLLED)) {
    /* Before the first answer: what sync's first request carries in its
     * headers (DESIGN §5), inside the seal. */
    struct buf t;
    buf_init(&t, 0);
    if (meta_get(st, META_TOKEN, &t) == 0 && t.len <= PROTO_BUNDLE_TOKEN_MAX)
      memcpy(head.token, t.data, t.len);
    buf_cleanup(&t);
    head.has_key = true;
    memcpy(head.key, k->pk, 32);
  }
  buf_init(&body, 0);
  buf_init(&frame, 0);
  *nreq = 0;
  rc = proto_bundle_head_encode(&frame, &head) ||
               bundle_writer_put(w, frame.data, frame.len, false)
           ? DS_EIO
           : 0;
  /* Requests with ops ask for one op back: the pull rides on the last,
   * op-less request, so the answer holds each pulled op once. */
  while (!rc && nops > 0) {
    rc = csync_request(&k->dev, after, BATCH, 1, &body, &nops, &after);
    if (!rc && nops > 0) {
      rc = put_request(w, k, &body, &frame);
      (*nreq)++;
    }
  }
  if (!rc)
    rc = csync_request(&k->dev, after, BATCH, PULL_LIMIT, &body, &nops, &after);
  if (!rc)
    rc = put_request(w, k, &body, &frame);
  if (!rc) {
    (*nreq)++;
    buf_reset(&frame);
    rc = proto_bundle_end_encode(&frame, *nreq + 1, NULL) ||
                 bundle_writer_put(w, frame.data, frame.len, true)
             ? DS_EIO
             : 0;
  }
  *last = after;
  buf_cleanup(&body);
  buf_cleanup(&frame);
  return rc ? msg_fail(err, rc, MSG_BUNDLE_WRITE) : 0;
}

static int cmd_export(const struct args *a) {
  static const char *const allowed[] = {"out", NULL};
  const char *out = args_get(a, "out");
  char err[DS_ERRBUF_LEN];
  uint8_t id[ID_LEN], x_district[32];
  struct bundle_writer *w = NULL;
  struct dev_keys k;
  uint64_t last = 0;
  int64_t acked;
  uint32_t nreq = 0;
  int rc;

  if (cli_only(a, "bundle export", allowed))
    return EXIT_USAGE;
  if (!out || a->npos != 2)
    return usage(msg(out ? MSG_TOO_MANY : MSG_BUNDLE_NEEDS_OUT));
  if (open_keys(&k, a, err))
    return fail(EXIT_ERROR, err);
  acked = meta_int_or_0(k.dev.st, META_ACKED);
  randombytes_buf(id, sizeof(id));
  rc = bundle_x25519(k.district_pk, NULL, x_district, NULL);
  if (!rc)
    rc = bundle_writer_open(&w, out, BUNDLE_KIND_EXPORT, x_district, err);
  if (!rc) {
    rc = write_export(w, &k, id, &last, &nreq, err);
    if (rc)
      bundle_writer_abort(w);
    else
      rc = bundle_writer_close(w, err);
  }
  /* The note `status` shows; the queue itself is untouched. */
  if (!rc && !(rc = store_begin(k.dev.st))) {
    rc = meta_set(k.dev.st, META_BUNDLE_OUT_ID, id, ID_LEN);
    rc = rc ||
         meta_set_int(k.dev.st, META_BUNDLE_OUT_MS, (int64_t)clock_now_ms());
    rc = rc ||
         meta_set_int(k.dev.st, META_BUNDLE_OUT_OPS, (int64_t)last - acked);
    rc = rc || meta_set_int(k.dev.st, META_BUNDLE_OUT_SEQ, (int64_t)last);
    if (!rc)
      rc = store_commit(k.dev.st);
    else
      store_rollback(k.dev.st);
    if (rc)
      msg_fmt(err, sizeof(err), MSG_BUNDLE_NOT_NOTED);
  }
  if (!rc)
    msg_print(stdout, MSG_BUNDLE_EXPORTED, out,
              (unsigned long long)((int64_t)last - acked), nreq);
  close_keys(&k);
  return rc ? fail(EXIT_ERROR, err) : EXIT_OK;
}

/* ---- import ---- */

/* The first pass over an answer: every frame opens and parses, the head
 * is an answer, the end frame counts the frames and carries the district's
 * signature over them. */
struct check {
  struct dev_keys *k;
  const char *path;
  struct proto_bundle_frame head; /* its scalars; priv released */
  uint64_t n;
  bool signed_ok;
};

static int check_frame(void *arg, const uint8_t *frame, size_t len, bool last,
                       const uint8_t digest[32], char *err) {
  struct check *c = arg;
  struct proto_bundle_frame f;
  unsigned long long at = (unsigned long long)++c->n;
  int rc = 0;

  rc = proto_bundle_decode(&f, frame, len, NULL);
  if (rc)
    return rc == DS_ENOMEM
               ? msg_fail(err, rc, MSG_NO_MEMORY)
               : msg_fail(err, DS_EPROTO, MSG_BUNDLE_BAD_FRAME, c->path, at);
  if (at == 1 && (f.type != PROTO_BUNDLE_HEAD || !f.answer || last))
    rc = msg_fail(err, DS_EPROTO, MSG_BUNDLE_NOT_ANSWER, c->path);
  else if (at == 1)
    c->head = f;
  else if (last && (f.type != PROTO_BUNDLE_END || f.count != at - 1))
    rc = msg_fail(err, DS_EPROTO, MSG_BUNDLE_BAD_FRAME, c->path, at);
  else if (last &&
           (!f.has_sig || !dsig_bundle_ok(c->k->district_pk, digest, f.sig)))
    rc = msg_fail(err, DS_EIDENTITY, MSG_BUNDLE_BAD_SIG, c->path);
  else if (last)
    c->signed_ok = true;
  else if (f.type != PROTO_BUNDLE_RESP)
    rc = msg_fail(err, DS_EPROTO, MSG_BUNDLE_BAD_FRAME, c->path, at);
  else if (f.status == 200) {
    struct proto_resp resp;
    if (proto_resp_decode(&resp, f.body, f.len, NULL))
      rc = msg_fail(err, DS_EPROTO, MSG_BUNDLE_BAD_FRAME, c->path, at);
    else
      proto_resp_cleanup(&resp);
  }
  proto_bundle_cleanup(&f); /* the head's scalars stay in c->head */
  return rc;
}

static int check_answer(struct dev_keys *k, const char *path,
                        struct proto_bundle_frame *head, char *err) {
  struct check c;
  int rc;
  memset(&c, 0, sizeof(c));
  c.k = k;
  c.path = path;
  rc = bundle_read_all(path, BUNDLE_KIND_ANSWER, k->x_pk, k->x_sk,
                       cmsg(CM_THIS_DEVICE), check_frame, &c, err);
  /* Only an end frame the district signed vouches for the rest. */
  if (!rc && !c.signed_ok)
    rc = msg_fail(err, DS_EIDENTITY, MSG_BUNDLE_BAD_SIG, path);
  /* The signature checked, the device it names. */
  if (!rc && memcmp(c.head.node, k->dev.node, ID_LEN) != 0) {
    char hex[ID_HEX_LEN + 1];
    hex_encode(hex, c.head.node, ID_LEN);
    rc = msg_fail(err, DS_EINVAL, MSG_BUNDLE_OTHER_DEVICE, path, hex);
  }
  c.head.priv = NULL;
  *head = c.head;
  return rc;
}

/* One non-200 response: a gap after a district restore lowers acked, as
 * sync does; any other refusal stops the import. */
static int apply_refusal(struct dev_keys *k, const struct proto_bundle_frame *f,
                         uint32_t i, char *err) {
  char code[32] = "", text[256] = "";
  bool has_exp = false;
  uint64_t exp = 0;
  int64_t acked = meta_int_or_0(k->dev.st, META_ACKED);
  if (proto_error_decode(f->body, f->len, code, sizeof(code), text,
                         sizeof(text), &has_exp, &exp))
    msg_fmt(text, sizeof(text), MSG_HTTP_STATUS, f->status);
  if (f->status == 409 && !strcmp(code, PROTO_E_GAP) && has_exp && exp >= 1 &&
      (int64_t)exp - 1 < acked) {
    if (meta_set_int(k->dev.st, META_ACKED, (int64_t)exp - 1))
      return msg_fail(err, DS_EIO, MSG_LOCAL_WRITE);
    return msg_fail(err, DS_EGAP, MSG_BUNDLE_GAP);
  }
  return msg_fail(err, DS_EAUTH, MSG_BUNDLE_REFUSED, i, *code ? code : "error",
                  text);
}

/* The second pass: each response applied as sync applies it. */
struct apply {
  struct dev_keys *k;
  struct csync_totals *t;
  uint32_t i;
};

static int apply_frame(void *arg, const uint8_t *frame, size_t len, bool last,
                       const uint8_t digest[32], char *err) {
  struct apply *ap = arg;
  struct proto_bundle_frame f;
  struct proto_resp resp;
  bool more = false;
  int rc = 0;

  (void)last;
  (void)digest;
  /* The first pass read it whole: a failure is a file changed since. */
  if (proto_bundle_decode(&f, frame, len, err))
    return DS_EPROTO;
  if (f.type == PROTO_BUNDLE_RESP && f.status != 200) {
    rc = apply_refusal(ap->k, &f, ++ap->i, err);
  } else if (f.type == PROTO_BUNDLE_RESP) {
    ap->i++;
    rc = proto_resp_decode(&resp, f.body, f.len, err);
    if (!rc) {
      rc = csync_apply(&ap->k->dev, &resp, &more, ap->t, err);
      proto_resp_cleanup(&resp);
    }
  }
  proto_bundle_cleanup(&f);
  return rc;
}

static int apply_answer(struct dev_keys *k, const char *path,
                        struct csync_totals *t, char *err) {
  struct apply ap = {k, t, 0};
  return bundle_read_all(path, BUNDLE_KIND_ANSWER, k->x_pk, k->x_sk,
                         cmsg(CM_THIS_DEVICE), apply_frame, &ap, err);
}

static int note_applied(struct store *st, const struct proto_bundle_frame *h) {
  uint8_t out_id[ID_LEN];
  int rc = store_begin(st);
  if (rc)
    return rc;
  rc = meta_set_int(st, META_BUNDLE_IN_HLC, (int64_t)h->hlc);
  rc = rc || meta_set_int(st, META_BUNDLE_IN_MS, (int64_t)h->made_ms);
  /* The answer to the last export: nothing is waiting any more. */
  if (!rc && meta_get_exact(st, META_BUNDLE_OUT_ID, out_id, ID_LEN) == 0 &&
      memcmp(out_id, h->id, ID_LEN) == 0)
    rc = meta_set_int(st, META_BUNDLE_OUT_MS, 0);
  if (!rc)
    return store_commit(st);
  store_rollback(st);
  return rc;
}

static int cmd_import(const struct args *a) {
  static const char *const allowed[] = {NULL};
  const char *path = a->npos == 3 ? a->pos[2] : NULL;
  struct proto_bundle_frame head;
  struct csync_totals t = {0, 0, 0, 0};
  char err[DS_ERRBUF_LEN], when[32];
  struct dev_keys k;
  int rc, code = EXIT_OK;

  if (cli_only(a, "bundle import", allowed))
    return EXIT_USAGE;
  if (!path)
    return usage(msg(a->npos > 3 ? MSG_TOO_MANY : MSG_BUNDLE_NEEDS_FILE));
  if (open_keys(&k, a, err))
    return fail(EXIT_ERROR, err);
  memset(&head, 0, sizeof(head));
  rc = check_answer(&k, path, &head, err);
  if (rc) {
    close_keys(&k);
    return fail(rc == DS_EIDENTITY ? EXIT_IDENTITY : EXIT_ERROR, err);
  }
  if (head.hlc <= (uint64_t)meta_int_or_0(k.dev.st, META_BUNDLE_IN_HLC)) {
    when_text(meta_int_or_0(k.dev.st, META_BUNDLE_IN_MS), when, sizeof(when));
    msg_print(stdout, MSG_BUNDLE_STALE, path, when);
    close_keys(&k);
    return EXIT_OK;
  }
  rc = apply_answer(&k, path, &t, err);
  if (!rc || rc == DS_EGAP || rc == DS_EAUTH)
    if (note_applied(k.dev.st, &head))
      rc = msg_fail(err, DS_EIO, MSG_LOCAL_WRITE);
  if (!rc)
    msg_print(stdout, MSG_BUNDLE_APPLIED, (unsigned long long)t.pushed,
              (unsigned long long)t.pulled, (unsigned long long)t.conflicts,
              (unsigned long long)t.rejected);
  /* A gap is the district restored from a backup: applied as sync does,
   * and the next export sends the ops again. */
  code = rc == DS_EAUTH        ? EXIT_REFUSED
         : rc && rc != DS_EGAP ? EXIT_ERROR
                               : EXIT_OK;
  if (rc)
    fprintf(stderr, "dansync: %s\n", err);
  else if (t.rejected)
    code = EXIT_REFUSED; /* as sync: 'dansync status' names them */
  close_keys(&k);
  return code;
}

int cbundle_main(const struct args *a, const char *verb) {
  if (verb && !strcmp(verb, "export"))
    return cmd_export(a);
  if (verb && !strcmp(verb, "import"))
    return cmd_import(a);
  return usage(msg(MSG_BUNDLE_UNKNOWN));
}

int cbundle_status(struct store *st, bool json, struct buf *out) {
  int64_t ms = meta_int_or_0(st, META_BUNDLE_OUT_MS);
  int64_t ops = meta_int_or_0(st, META_BUNDLE_OUT_OPS);
  char when[32];
  /* Ops a network sync acked since are no longer waiting for an answer. */
  if (ops > 0 &&
      meta_int_or_0(st, META_ACKED) >= meta_int_or_0(st, META_BUNDLE_OUT_SEQ))
    ms = 0;
  if (ms <= 0)
    return json ? buf_printf(out, ", \"bundle_unanswered\": null") : 0;
  when_text(ms, when, sizeof(when));
  if (json)
    return buf_printf(out,
                      ", \"bundle_unanswered\": {\"exported\": \"%s\", "
                      "\"ops\": %lld}",
                      when, (long long)ops);
  {
    char line[256];
    msg_fmt(line, sizeof(line), MSG_BUNDLE_STATUS, when, (long long)ops);
    return buf_printf(out, "%s", line);
  }
}
