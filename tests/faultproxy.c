/* SPDX-License-Identifier: MIT
 * faultproxy -- a TCP proxy for tests that makes the network misbehave the
 * way a commune's 3G link does: connections dropped mid-request and
 * mid-response, chunks truncated, delays, a thin pipe, a server that never
 * answers. SIGUSR1 cuts the network (every connection closes, new ones are
 * refused); SIGUSR2 brings it back.
 *
 * usage: faultproxy --target HOST:PORT --port-file FILE [--seed N]
 *                   [--drop PERMILLE] [--truncate PERMILLE] [--delay-ms N]
 *                   [--garble N] [--close-after-answer 1]
 *                   [--bw BYTES_PER_S] [--silent 1] [--log FILE]
 * Faults are drawn per chunk forwarded, from a seeded generator. --garble N
 * replaces the body of the first N 200 answers with bytes of the same
 * length that are not msgpack (the answer arrives whole, but garbled);
 * --close-after-answer closes each client connection once an answer has
 * gone out, as a daemon closing an idle kept-alive connection does. --bw
 * caps each direction of each connection, reading no faster than it
 * forwards (so the sender feels it, as on a 3G link). --silent accepts
 * connections and reads what comes but never connects on or answers (a
 * captive portal, a dying cell). --log appends a line "accept" per
 * connection accepted. */
#define _GNU_SOURCE /* memmem */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uv.h>

#define container_of(ptr, type, member) \
  ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

struct proxy {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_signal_t usr1, usr2, term;
  struct sockaddr_in target;
  uint64_t rng;
  unsigned drop, truncate, delay_ms, garble, bw, silent;
  const char *log;
  int down, close_after_answer;
  struct pair *pairs;
};

struct side {
  uv_tcp_t tcp;
  struct pair *pair;
  int open;
  uint64_t release; /* when the last chunk toward this side goes out */
};

struct pair {
  struct proxy *p;
  struct side client, server;
  uv_connect_t connect;
  struct pair *next;
  int closing, handles;
  int chunks;   /* delayed or in-flight chunks still pointing at this pair */
  int answered; /* --close-after-answer: close once this chunk is out */
};

struct chunk {
  uv_write_t w;
  uv_timer_t timer;
  struct side *to, *from;
  char *data;
  size_t len;
};

static unsigned rnd(struct proxy *p, unsigned n) {
  p->rng ^= p->rng >> 12;
  p->rng ^= p->rng << 25;
  p->rng ^= p->rng >> 27;
  return (unsigned)((p->rng * 2685821657736338717ull) >> 33) % n;
}

/* Frees |pr| once both sockets are closed and no chunk refers to it. */
static void pair_release(struct pair *pr) {
  struct pair **pp;
  if (pr->handles > 0 || pr->chunks > 0)
    return;
  for (pp = &pr->p->pairs; *pp; pp = &(*pp)->next)
    if (*pp == pr) {
      *pp = pr->next;
      break;
    }
  free(pr);
}

static void on_side_close(uv_handle_t *h) {
  struct side *s = h->data;
  s->pair->handles--;
  pair_release(s->pair);
}

static void pair_close(struct pair *pr) {
  if (pr->closing)
    return;
  pr->closing = 1;
  uv_close((uv_handle_t *)&pr->client.tcp, on_side_close);
  uv_close((uv_handle_t *)&pr->server.tcp, on_side_close);
}

static void chunk_free(uv_handle_t *h) {
  struct chunk *c = h->data;
  struct pair *pr = c->to->pair;
  free(c->data);
  free(c);
  pr->chunks--;
  pair_release(pr);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b);

static void on_written(uv_write_t *w, int status) {
  struct chunk *c = container_of(w, struct chunk, w);
  struct pair *pr = c->to->pair;
  (void)status;
  if (c->to == &pr->client && pr->answered) {
    pair_close(pr);
  } else if (pr->p->bw && !pr->closing) {
    /* With --bw the sender's side was paused until this chunk went out. */
    uv_read_start((uv_stream_t *)&c->from->tcp, alloc_cb, on_read);
  }
  uv_close((uv_handle_t *)&c->timer, chunk_free);
}

static void send_chunk(struct chunk *c) {
  struct pair *pr = c->to->pair;
  uv_buf_t b = uv_buf_init(c->data, (unsigned)c->len);
  if (pr->closing ||
      uv_write(&c->w, (uv_stream_t *)&c->to->tcp, &b, 1, on_written))
    uv_close((uv_handle_t *)&c->timer, chunk_free);
}

static void on_delay(uv_timer_t *t) {
  send_chunk(t->data);
}

static void alloc_cb(uv_handle_t *h, size_t hint, uv_buf_t *b) {
  (void)h;
  b->base = malloc(hint);
  b->len = b->base ? hint : 0;
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  struct side *from = s->data;
  struct pair *pr = from->pair;
  struct proxy *p = pr->p;
  struct side *to = from == &pr->client ? &pr->server : &pr->client;
  struct chunk *c;

  if (n <= 0 || pr->closing || p->down) {
    free(b->base);
    if (n != 0)
      pair_close(pr);
    return;
  }
  if (p->drop && rnd(p, 1000) < p->drop) {
    free(b->base);
    pair_close(pr); /* the link drops: mid-request or mid-response */
    return;
  }
  if (to == &pr->client && n > 12 && !memcmp(b->base, "HTTP/1.1 ", 9)) {
    char *end = memmem(b->base, (size_t)n, "\r\n\r\n", 4);
    if (p->garble && !memcmp(b->base + 9, "200", 3) && end) {
      p->garble--;
      memset(end + 4, 0xc1, (size_t)(b->base + n - (end + 4)));
    }
    pr->answered = p->close_after_answer;
  }
  c = calloc(1, sizeof(*c));
  pr->chunks++;
  c->to = to;
  c->from = from;
  c->data = b->base;
  c->len = (size_t)n;
  uv_timer_init(&p->loop, &c->timer);
  c->timer.data = c;
  if (p->truncate && rnd(p, 1000) < p->truncate) {
    c->len = (size_t)rnd(p, (unsigned)n);
    send_chunk(c);
    pair_close(pr);
    return;
  }
  if (p->bw) {
    /* The pipe is busy until the chunk before has gone; this one takes
     * len / bw more. Reading stops until it is out. */
    uint64_t now = uv_now(&p->loop);
    uint64_t at =
        (to->release > now ? to->release : now) + (uint64_t)n * 1000 / p->bw;
    to->release = at;
    uv_read_stop(s);
    uv_timer_start(&c->timer, on_delay, at - now, 0);
  } else if (p->delay_ms) {
    /* Delayed, but never reordered: a TCP stream keeps its order, so each
     * chunk leaves no earlier than the one before it. */
    uint64_t now = uv_now(&p->loop);
    uint64_t at = now + rnd(p, p->delay_ms + 1);
    if (at < to->release)
      at = to->release;
    to->release = at;
    uv_timer_start(&c->timer, on_delay, at - now, 0);
  } else {
    send_chunk(c);
  }
}

static void on_upstream(uv_connect_t *req, int status) {
  struct pair *pr = container_of(req, struct pair, connect);
  if (status < 0 || pr->closing) {
    pair_close(pr);
    return;
  }
  uv_read_start((uv_stream_t *)&pr->client.tcp, alloc_cb, on_read);
  uv_read_start((uv_stream_t *)&pr->server.tcp, alloc_cb, on_read);
}

/* --silent: what the client sends is read and dropped. */
static void on_silent_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b) {
  struct side *from = s->data;
  free(b->base);
  if (n < 0)
    pair_close(from->pair);
}

static void on_conn(uv_stream_t *l, int status) {
  struct proxy *p = container_of(l, struct proxy, listener);
  struct pair *pr;
  if (status < 0)
    return;
  if (p->log) {
    FILE *f = fopen(p->log, "a");
    if (f) {
      fputs("accept\n", f);
      fclose(f);
    }
  }
  pr = calloc(1, sizeof(*pr));
  pr->p = p;
  pr->handles = 2;
  pr->client.pair = pr->server.pair = pr;
  uv_tcp_init(&p->loop, &pr->client.tcp);
  uv_tcp_init(&p->loop, &pr->server.tcp);
  pr->client.tcp.data = &pr->client;
  pr->server.tcp.data = &pr->server;
  pr->next = p->pairs;
  p->pairs = pr;
  if (uv_accept(l, (uv_stream_t *)&pr->client.tcp) || p->down) {
    pair_close(pr); /* network down: the connection is refused */
    return;
  }
  if (p->bw)
    uv_recv_buffer_size((uv_handle_t *)&pr->client.tcp, &(int){16384});
  if (p->silent) {
    uv_read_start((uv_stream_t *)&pr->client.tcp, alloc_cb, on_silent_read);
    return;
  }
  if (uv_tcp_connect(&pr->connect, &pr->server.tcp,
                     (struct sockaddr *)&p->target, on_upstream))
    pair_close(pr);
}

static void on_signal(uv_signal_t *s, int sig) {
  struct proxy *p = s->data;
  if (sig == SIGUSR1) {
    p->down = 1;
    for (struct pair *pr = p->pairs; pr; pr = pr->next)
      pair_close(pr);
  } else if (sig == SIGUSR2) {
    p->down = 0;
  } else {
    uv_stop(&p->loop);
  }
}

int main(int argc, char **argv) {
  struct proxy p;
  const char *target = NULL, *port_file = NULL;
  struct sockaddr_in any;
  struct sockaddr_storage bound;
  int len = sizeof(bound);

  memset(&p, 0, sizeof(p));
  p.rng = 88172645463325252ull;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--target"))
      target = argv[i + 1];
    else if (!strcmp(argv[i], "--port-file"))
      port_file = argv[i + 1];
    else if (!strcmp(argv[i], "--seed"))
      p.rng ^= strtoull(argv[i + 1], NULL, 10) * 0x9e3779b97f4a7c15ull;
    else if (!strcmp(argv[i], "--drop"))
      p.drop = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--truncate"))
      p.truncate = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--delay-ms"))
      p.delay_ms = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--garble"))
      p.garble = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--close-after-answer"))
      p.close_after_answer = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--bw"))
      p.bw = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--silent"))
      p.silent = (unsigned)atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--log"))
      p.log = argv[i + 1];
  }
  if (!target || !port_file || !strchr(target, ':')) {
    fprintf(stderr, "usage: faultproxy --target HOST:PORT --port-file FILE "
                    "[--seed N] [--drop PERMILLE] [--truncate PERMILLE] "
                    "[--delay-ms N] [--garble N] [--close-after-answer 1] "
                    "[--bw BYTES_PER_S] [--silent 1] [--log FILE]\n");
    return 2;
  }
  {
    char host[64];
    size_t n = (size_t)(strchr(target, ':') - target);
    snprintf(host, sizeof(host), "%.*s", (int)n, target);
    if (uv_ip4_addr(host, atoi(strchr(target, ':') + 1), &p.target))
      return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  uv_loop_init(&p.loop);
  uv_tcp_init(&p.loop, &p.listener);
  uv_ip4_addr("127.0.0.1", 0, &any);
  if (uv_tcp_bind(&p.listener, (struct sockaddr *)&any, 0) ||
      uv_listen((uv_stream_t *)&p.listener, 128, on_conn))
    return 1;
  /* The signals are taken before the port file says the proxy is there:
   * a test may cut the network the moment it has read it. */
  uv_signal_init(&p.loop, &p.usr1);
  uv_signal_init(&p.loop, &p.usr2);
  uv_signal_init(&p.loop, &p.term);
  p.usr1.data = p.usr2.data = p.term.data = &p;
  uv_signal_start(&p.usr1, on_signal, SIGUSR1);
  uv_signal_start(&p.usr2, on_signal, SIGUSR2);
  uv_signal_start(&p.term, on_signal, SIGTERM);
  uv_tcp_getsockname(&p.listener, (struct sockaddr *)&bound, &len);
  {
    char tmp[4096];
    FILE *f;
    snprintf(tmp, sizeof(tmp), "%s.tmp", port_file);
    f = fopen(tmp, "w");
    if (!f)
      return 1;
    fprintf(f, "%d\n", ntohs(((struct sockaddr_in *)&bound)->sin_port));
    fclose(f);
    rename(tmp, port_file);
  }
  uv_run(&p.loop, UV_RUN_DEFAULT);
  return 0;
}
