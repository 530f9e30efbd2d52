/* SPDX-License-Identifier: MIT
 * hostile -- for the soak test: cycles through what a stranger or a bad
 * link does to dansyncd, from one loopback address, until its time is up.
 * usage: hostile PORT SECONDS [FIRST_ADDR [N_ADDRS]]
 * Each round, from the next of N_ADDRS loopback addresses (default
 * 127.0.0.2 and 4 of them): idle connections held, pipelined requests
 * closed with a reset, slowloris heads left trickling, unauthenticated
 * large bodies cut off half-way, refusals whose body keeps coming
 * (draining), pipelined answers never read, garbage, and half requests.
 * Prints how many rounds it ran.
 * Every address is loopback; every loop is bounded in time. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define HELD_MAX 200

static int port;
static char from[INET_ADDRSTRLEN] = "127.0.0.2";
static struct in_addr first;
static int naddrs = 4;
static int held[HELD_MAX], nheld;

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A non-blocking connection from |from|; -1 if refused. */
static int dial(void) {
  struct sockaddr_in a = {0}, b = {0};
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct timeval tv = {1, 0};
  if (fd < 0)
    return -1;
  b.sin_family = AF_INET;
  inet_pton(AF_INET, from, &b.sin_addr);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  if (bind(fd, (struct sockaddr *)&b, sizeof(b)) ||
      connect(fd, (struct sockaddr *)&a, sizeof(a))) {
    close(fd);
    return -1;
  }
  return fd;
}

static void put(int fd, const void *p, size_t n) {
  (void)send(fd, p, n, MSG_NOSIGNAL);
}

static void reset_close(int fd) {
  struct linger l = {1, 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  close(fd);
}

/* Keeps |fd| open for later rounds; the oldest goes when full. */
static void hold(int fd) {
  if (fd < 0)
    return;
  if (nheld == HELD_MAX) {
    close(held[0]);
    memmove(held, held + 1, sizeof(held[0]) * (HELD_MAX - 1));
    nheld--;
  }
  held[nheld++] = fd;
}

static void round_idle(void) {
  for (int i = 0; i < 40; i++)
    hold(dial());
}

static void round_pipelined(void) {
  static const char m[] = "GET /metrics HTTP/1.1\r\n\r\n";
  char buf[20 * sizeof(m)], in[256];
  int fd = dial();
  if (fd < 0)
    return;
  for (int i = 0; i < 20; i++)
    memcpy(buf + i * (sizeof(m) - 1), m, sizeof(m) - 1);
  put(fd, buf, 20 * (sizeof(m) - 1));
  (void)recv(fd, in, sizeof(in), 0);
  reset_close(fd);
}

static void round_slowloris(void) {
  for (int i = 0; i < 5; i++) {
    int fd = dial();
    if (fd >= 0)
      put(fd, "POST /v1/sync HTTP/1.1\r\nHo", 26);
    hold(fd);
  }
}

static void round_big_body(void) {
  static char junk[64 * 1024];
  char head[512], sig[87];
  unsigned char id[16];
  int fd = dial(), n;
  if (fd < 0)
    return;
  for (size_t i = 0; i < sizeof(id); i++)
    id[i] = (unsigned char)rand();
  memset(sig, 'A', 86); /* 64 zero bytes: decodes, never verifies */
  sig[86] = '\0';
  n = snprintf(head, sizeof(head),
               "POST /v1/sync HTTP/1.1\r\nHost: x\r\nDansync-Node: "
               "%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x%02x"
               "%02x\r\nDansync-Signature: %s==\r\nContent-Length: "
               "8283750\r\n\r\n",
               id[0], id[1], id[2], id[3], id[4], id[5], id[6], id[7], id[8],
               id[9], id[10], id[11], id[12], id[13], id[14], id[15], sig);
  put(fd, head, (size_t)n);
  memset(junk, 0x83, sizeof(junk));
  for (int i = 0; i < 16; i++)
    put(fd, junk, sizeof(junk));
  close(fd);
}

static void round_garbage(void) {
  char g[512];
  int fd = dial();
  if (fd < 0)
    return;
  for (size_t i = 0; i < sizeof(g); i++)
    g[i] = (char)rand();
  put(fd, g, sizeof(g));
  (void)recv(fd, g, sizeof(g), 0);
  close(fd);
}

static void round_drain(void) {
  static const char h[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nab";
  int fd = dial();
  if (fd < 0)
    return;
  put(fd, h, sizeof(h) - 1);
  hold(fd);
}

static void round_unread(void) {
  static const char m[] = "GET /metrics HTTP/1.1\r\n\r\n";
  static char many[500 * (sizeof(m) - 1)];
  int fd = dial();
  if (fd < 0)
    return;
  for (int i = 0; i < 500; i++)
    memcpy(many + i * (sizeof(m) - 1), m, sizeof(m) - 1);
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
  (void)send(fd, many, sizeof(many), MSG_NOSIGNAL);
  hold(fd);
}

static void round_half(void) {
  static const char h[] =
      "POST /v1/sync HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nab";
  int fd = dial();
  if (fd < 0)
    return;
  put(fd, h, sizeof(h) - 1);
  shutdown(fd, SHUT_WR);
  close(fd);
}

int main(int argc, char **argv) {
  void (*rounds[])(void) = {round_idle,     round_pipelined, round_slowloris,
                            round_big_body, round_drain,     round_unread,
                            round_garbage,  round_half};
  long long end;
  long n = 0;

  if (argc < 3) {
    fprintf(stderr, "usage: hostile PORT SECONDS [FIRST_ADDR [N_ADDRS]]\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  port = atoi(argv[1]);
  end = now_ms() + atoll(argv[2]) * 1000;
  inet_pton(AF_INET, argc > 3 ? argv[3] : "127.0.0.2", &first);
  if (argc > 4)
    naddrs = atoi(argv[4]) > 0 ? atoi(argv[4]) : 1;
  srand(7);
  while (now_ms() < end) {
    struct in_addr a = {htonl(ntohl(first.s_addr) + (uint32_t)(n % naddrs))};
    inet_ntop(AF_INET, &a, from, sizeof(from));
    rounds[n % (long)(sizeof(rounds) / sizeof(rounds[0]))]();
    n++;
    poll(NULL, 0, 20); /* the attacker's pace */
  }
  for (int i = 0; i < nheld; i++)
    close(held[i]);
  printf("%ld\n", n);
  return 0;
}
