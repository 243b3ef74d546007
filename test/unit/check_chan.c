/*
 * check_chan.c: the byte channel over real loopback TCP, in clear and under
 * real TLS (GnuTLS on both ends): handshake, data both ways, close_notify,
 * truncation, injected bytes after AUTH, CCC, backpressure, ALPN, and the
 * per-control-session resumption scope.
 *
 * Each test owns a fresh uv_loop_t, counts what happened, closes every
 * handle and requires uv_loop_close() to succeed.
 */
#include <check.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "addr.h"
#include "buf.h"
#include "chan.h"
#include "err.h"
#include "tls.h"
#include "tls_fixture.h"

static struct tls_fixture fx;

/* As both programs do: a write to a peer that is gone reports EPIPE
 * (sendfile(2) cannot be asked not to raise the signal). */
static void no_sigpipe(void) { signal(SIGPIPE, SIG_IGN); }

static void fixture_up(void) { tls_fixture_make(&fx); }
static void fixture_down(void) { tls_fixture_remove(&fx); }

/* One end of a connection and everything it saw. */
struct end {
  struct ftp_chan *ch;
  struct ftp_buf got;
  char rbuf[64 * 1024];
  ssize_t final;       /* the last, negative, read status; 0 while open */
  int hs_status;       /* handshake result; 1 while running */
  int shut_status;     /* shutdown result; 1 while running */
  int drained;
  int closed;
  int paused_after;    /* stop reading after this many bytes (0: never) */
  uint64_t sent;       /* ftp_chan_sendfile: progress so far */
  int sf_status;       /* ... and its result; 1 while running */
};

struct pair {
  uv_loop_t loop;
  uv_tcp_t listener;
  uv_timer_t watchdog;
  struct end a;        /* connecting side (the FTP client) */
  struct end b;        /* accepting side (the FTP server) */
  int connected;
  int accepted;
  int expired;
};

static void watchdog_cb(uv_timer_t *t) {
  struct pair *p = t->data;
  p->expired = 1;
  uv_stop(&p->loop);
}

/* Run the loop until cond holds; fail the test after 10 s. */
static void run_until(struct pair *p, int (*cond)(struct pair *)) {
  uv_timer_start(&p->watchdog, watchdog_cb, 10000, 0);
  while (!cond(p) && !p->expired)
    uv_run(&p->loop, UV_RUN_ONCE);
  uv_timer_stop(&p->watchdog);
  ck_assert_msg(!p->expired, "timed out waiting for the loop");
}

static void end_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct end *e = ftp_chan_data(ch);
  (void)suggested;
  *buf = uv_buf_init(e->rbuf, sizeof(e->rbuf));
}

static void end_read(struct ftp_chan *ch, ssize_t n, const uv_buf_t *buf) {
  struct end *e = ftp_chan_data(ch);

  if (n > 0) {
    ck_assert_int_eq(ftp_buf_put(&e->got, buf->base, (size_t)n), 0);
    if (e->paused_after > 0 && ftp_buf_len(&e->got) >= (size_t)e->paused_after)
      ftp_chan_read_stop(ch);
  } else if (n < 0) {
    e->final = n;
  }
}

static void end_closed(struct ftp_chan *ch) {
  struct end *e = ftp_chan_data(ch);
  e->closed = 1;
}

static struct ftp_chan_opts chan_opts(void) {
  struct ftp_chan_opts o;
  o.in_max = 256 * 1024;
  o.out_max = 64 * 1024 * 1024;
  o.release_idle = 1;
  return o;
}

static void accept_cb(uv_stream_t *server, int status) {
  struct pair *p = server->data;
  struct ftp_chan_opts o = chan_opts();

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(ftp_chan_new(&p->loop, &o, &p->b.ch), 0);
  ftp_chan_set_data(p->b.ch, &p->b);
  ck_assert_int_eq(ftp_chan_accept(p->b.ch, server), 0);
  p->accepted = 1;
}

static void connect_cb(struct ftp_chan *ch, int status) {
  struct pair *p = (struct pair *)((char *)ftp_chan_data(ch) - offsetof(struct pair, a));
  ck_assert_int_eq(status, 0);
  p->connected = 1;
}

static int same_end(const struct sockaddr_storage *a, const struct sockaddr_storage *b) {
  return ftp_addr_same_host(a, b) && ftp_addr_port(a) == ftp_addr_port(b);
}

/* The socket under a channel, found by its two addresses: the tests that
 * put raw bytes under the TLS layer need it, and the channel lends its
 * handle to no one. */
static int raw_socket(struct ftp_chan *ch) {
  struct sockaddr_storage want_local, want_peer, local, peer;
  socklen_t len;
  int fd;

  ck_assert_int_eq(ftp_chan_local(ch, &want_local), 0);
  ck_assert_int_eq(ftp_chan_peer(ch, &want_peer), 0);
  for (fd = 3; fd < 1024; fd++) {
    len = sizeof(local);
    if (getsockname(fd, (struct sockaddr *)&local, &len) != 0)
      continue;
    len = sizeof(peer);
    if (getpeername(fd, (struct sockaddr *)&peer, &len) != 0)
      continue;
    ftp_addr_normalize(&local);
    ftp_addr_normalize(&peer);
    if (same_end(&local, &want_local) && same_end(&peer, &want_peer))
      return fd;
  }
  ck_abort_msg("no socket under the channel");
  return -1;
}

static int both_up(struct pair *p) { return p->connected && p->accepted; }

static void pair_open(struct pair *p) {
  struct sockaddr_in sa;
  struct ftp_chan_opts o = chan_opts();
  int len = sizeof(sa);

  memset(p, 0, sizeof(*p));
  ck_assert_int_eq(uv_loop_init(&p->loop), 0);
  uv_timer_init(&p->loop, &p->watchdog);
  p->watchdog.data = p;
  uv_tcp_init(&p->loop, &p->listener);
  p->listener.data = p;
  uv_ip4_addr("127.0.0.1", 0, &sa);
  ck_assert_int_eq(uv_tcp_bind(&p->listener, (struct sockaddr *)&sa, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&p->listener, 4, accept_cb), 0);
  uv_tcp_getsockname(&p->listener, (struct sockaddr *)&sa, &len);
  ck_assert_int_eq(ftp_chan_new(&p->loop, &o, &p->a.ch), 0);
  ftp_chan_set_data(p->a.ch, &p->a);
  ck_assert_int_eq(ftp_chan_connect(p->a.ch, (struct sockaddr *)&sa, connect_cb), 0);
  ftp_buf_init(&p->a.got, 64 * 1024 * 1024);
  ftp_buf_init(&p->b.got, 64 * 1024 * 1024);
  p->a.hs_status = p->b.hs_status = 1;
  p->a.shut_status = p->b.shut_status = 1;
  run_until(p, both_up);
}

static int both_closed(struct pair *p) {
  return (p->a.ch == NULL || p->a.closed) && (p->b.ch == NULL || p->b.closed);
}

static void pair_close(struct pair *p) {
  if (p->a.ch != NULL && !p->a.closed)
    ftp_chan_close(p->a.ch, end_closed);
  if (p->b.ch != NULL && !p->b.closed)
    ftp_chan_close(p->b.ch, end_closed);
  run_until(p, both_closed);
  uv_close((uv_handle_t *)&p->listener, NULL);
  uv_close((uv_handle_t *)&p->watchdog, NULL);
  uv_run(&p->loop, UV_RUN_DEFAULT);
  ck_assert_int_eq(uv_loop_close(&p->loop), 0);
  ftp_buf_free(&p->a.got);
  ftp_buf_free(&p->b.got);
}

/* --- TLS set-up ----------------------------------------------------------- */

struct ctxs {
  struct ftp_tls_ctx *server;
  struct ftp_tls_ctx *client;
  struct ftp_tls_issuer *issuer;
  struct ftp_tls_resume *scope;
};

/* --- sendfile ------------------------------------------------------------- */

/* A file of size bytes in $TMPDIR, already unlinked; data gets its
 * contents when not NULL. */
static int temp_file(size_t size, unsigned char **data) {
  const char *tmp = getenv("TMPDIR");
  char path[300];
  unsigned char *d = malloc(size);
  size_t i;
  int fd;

  snprintf(path, sizeof(path), "%s/chkchanXXXXXX", tmp != NULL ? tmp : "/tmp");
  ck_assert_int_ge(fd = mkstemp(path), 0);
  unlink(path);
  for (i = 0; i < size; i++)
    d[i] = (unsigned char)(i * 7 + i / 4096);
  ck_assert_int_eq(write(fd, d, size), (ssize_t)size);
  if (data != NULL)
    *data = d;
  else
    free(d);
  return fd;
}

static void sf_progress(struct ftp_chan *ch, size_t n) {
  struct end *e = ftp_chan_data(ch);
  e->sent += n;
}

static void sf_done(struct ftp_chan *ch, int status) {
  struct end *e = ftp_chan_data(ch);
  e->sf_status = status;
}

static int a_sent_some(struct pair *p) { return p->a.sent > 0; }

static void ctxs_make(struct ctxs *c, int client_cert) {
  struct ftp_tls_config sc = {0}, cc = {0};
  char err[256];

  sc.server = 1;
  sc.keyring = fx.server;
  sc.cafile = fx.ca;
  sc.request_client_cert = 1;
  sc.session_lifetime = 3600;
  ck_assert_msg(ftp_tls_ctx_new(&sc, &c->server, err, sizeof(err)) == 0, "%s", err);
  cc.server = 0;
  cc.cafile = fx.ca;
  cc.keyring = client_cert ? fx.client : NULL;
  ck_assert_msg(ftp_tls_ctx_new(&cc, &c->client, err, sizeof(err)) == 0, "%s", err);
  ck_assert_int_eq(ftp_tls_issuer_new(&c->issuer), 0);
  ck_assert_int_eq(ftp_tls_resume_new(c->issuer, &c->scope, 3600), 0);
}

static void ctxs_free(struct ctxs *c) {
  ftp_tls_ctx_unref(c->server);
  ftp_tls_ctx_unref(c->client);
  ftp_tls_resume_free(c->scope);
  ftp_tls_issuer_free(c->issuer);
}

static void hs_cb(struct ftp_chan *ch, int status) {
  struct end *e = ftp_chan_data(ch);
  e->hs_status = status;
}

static int both_handshaken(struct pair *p) {
  return p->a.hs_status != 1 && p->b.hs_status != 1;
}

/* Start TLS on both ends: a is the client, b the server. */
static void start_tls(struct pair *p, struct ctxs *c, struct ftp_tls_resume *scope,
                      gnutls_session_t resume_from, const char *host) {
  gnutls_session_t cs, ss;

  ck_assert_int_eq(ftp_tls_server_session(c->server, scope, 0, &ss), 0);
  ck_assert_int_eq(ftp_tls_client_session(c->client, host, 1, 1, resume_from, &cs), 0);
  p->a.hs_status = p->b.hs_status = 1;
  ck_assert_int_eq(ftp_chan_tls_start(p->b.ch, ss, NULL, 0, hs_cb), 0);
  ck_assert_int_eq(ftp_chan_tls_start(p->a.ch, cs, NULL, 0, hs_cb), 0);
  run_until(p, both_handshaken);
}

static int b_got_eof(struct pair *p) { return p->b.final != 0; }

static void shut_cb(struct ftp_chan *ch, int status) {
  struct end *e = ftp_chan_data(ch);
  e->shut_status = status;
}

static int a_shut(struct pair *p) { return p->a.shut_status != 1; }

static int a_has_331(struct pair *p) { return ftp_buf_len(&p->a.got) >= 8; }

/* --- tests ---------------------------------------------------------------- */

START_TEST(test_clear_both_ways) {
  struct pair p;

  pair_open(&p);
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.a.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "USER demo\r\n", 11), 0);
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "331 ok\r\n", 8), 0);
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), 0);
  /* Writing after shutdown is refused. */
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "x", 1), UV_EPIPE);
  run_until(&p, b_got_eof);
  ck_assert_int_eq(p.b.final, UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), 11);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "USER demo\r\n", 11), 0);
  run_until(&p, a_has_331);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.a.got), "331 ok\r\n", 8), 0);
  ck_assert(!ftp_chan_is_tls(p.a.ch));
  run_until(&p, a_shut);
  ck_assert_int_eq(p.a.shut_status, 0);
  pair_close(&p);
}
END_TEST

static int b_has_4mib(struct pair *p) { return ftp_buf_len(&p->b.got) >= 4u << 20; }

START_TEST(test_tls_data_and_close_notify) {
  struct pair p;
  struct ctxs c;
  unsigned char *data = malloc(4u << 20);
  unsigned seed = 7;
  size_t i;

  for (i = 0; i < (4u << 20); i++)
    data[i] = (unsigned char)rand_r(&seed);
  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(p.a.hs_status, 0);
  ck_assert_int_eq(p.b.hs_status, 0);
  ck_assert(ftp_chan_is_tls(p.a.ch) && ftp_chan_is_tls(p.b.ch));
  ck_assert_int_eq(ftp_tls_check_alpn(ftp_chan_session(p.a.ch)), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.a.ch, end_alloc, end_read), 0);
  /* Odd piece sizes cross record boundaries. */
  for (i = 0; i < (4u << 20);) {
    size_t n = (4u << 20) - i < 77777 ? (4u << 20) - i : 77777;
    ck_assert_int_eq(ftp_chan_write(p.a.ch, data + i, n), 0);
    i += n;
  }
  run_until(&p, b_has_4mib);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), data, 4u << 20), 0);
  ck_assert_int_eq(p.b.final, 0);
  /* close_notify: the receiver sees a clean end, not a truncation. */
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), 0);
  run_until(&p, b_got_eof);
  ck_assert_int_eq(p.b.final, UV_EOF);
  run_until(&p, a_shut);
  ck_assert_int_eq(p.a.shut_status, 0);
  pair_close(&p);
  ctxs_free(&c);
  free(data);
}
END_TEST

START_TEST(test_tls_eof_without_close_notify_is_truncation) {
  struct pair p;
  struct ctxs c;

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "partial upload", 14), 0);
  /* Close the TCP connection with no close_notify: a cut upload. */
  ftp_chan_close(p.a.ch, end_closed);
  run_until(&p, b_got_eof);
  ck_assert_int_eq(p.b.final, FTP_E_TLS_TRUNCATED);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), 14);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* The header of an application_data record of 300 bytes, and 10 of them;
 * loop index _i: how many of these bytes arrive before the EOF (3: a cut
 * inside the header). */
static const size_t cut_at[] = {15, 3};

START_TEST(test_tls_peer_closes_mid_record) {
  struct pair p;
  struct ctxs c;
  static const unsigned char half[] = {23, 3, 3, 1, 44, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
  size_t n = cut_at[_i];

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  /* Write half a record straight to the socket, then close it. */
  ck_assert_int_eq(send(raw_socket(p.a.ch), half, n, 0), (ssize_t)n);
  ftp_chan_close(p.a.ch, end_closed);
  run_until(&p, b_got_eof);
  /* A cut, wherever it falls: never a mere "TLS error". */
  ck_assert_int_eq(p.b.final, FTP_E_TLS_TRUNCATED);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

static int b_hs_done(struct pair *p) { return p->b.hs_status != 1; }

/* After AUTH TLS, bytes that followed the AUTH line are ciphertext: a
 * pipelined "USER x" must fail the handshake, never reach the reader. */
START_TEST(test_preread_is_ciphertext_not_commands) {
  struct pair p;
  struct ctxs c;
  gnutls_session_t ss;
  static const char injected[] = "USER attacker\r\nPASS x\r\n";

  ctxs_make(&c, 0);
  pair_open(&p);
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_tls_server_session(c.server, c.scope, 0, &ss), 0);
  ck_assert_int_eq(ftp_chan_tls_start(p.b.ch, ss, injected, sizeof(injected) - 1, hs_cb), 0);
  /* GnuTLS refuses "USER ..." as a record header at once (or, for other
   * bytes, waits for the record they announce, until the peer goes): either
   * way the handshake fails and nothing was ever a command. */
  for (int i = 0; i < 20 && p.b.hs_status == 1; i++)
    uv_run(&p.loop, UV_RUN_NOWAIT);
  if (p.b.hs_status == 1)
    ftp_chan_close(p.a.ch, end_closed);
  run_until(&p, b_hs_done);
  ck_assert(p.b.hs_status == FTP_E_TLS || p.b.hs_status == UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

static int b_has(struct pair *p, size_t n) { return ftp_buf_len(&p->b.got) >= n; }
static int b_has_pwd(struct pair *p) { return b_has(p, 5); }
static int a_has_257(struct pair *p) { return ftp_buf_len(&p->a.got) >= 8; }
static int a_has_257_after_200(struct pair *p) { return ftp_buf_len(&p->a.got) >= 18; }

/* CCC: both ends leave TLS with close_notify; what follows is clear and
 * arrives intact, whichever end spoke first. */
START_TEST(test_ccc_back_to_clear) {
  struct pair p;
  struct ctxs c;

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.a.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p.b.ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p.a.ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
  ck_assert(!ftp_chan_is_tls(p.a.ch));
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "PWD\r\n", 5), 0);
  run_until(&p, b_has_pwd);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "PWD\r\n", 5), 0);
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "257 \"/\"\r\n", 9), 0);
  run_until(&p, a_has_257);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.a.got), "257 \"/\"\r\n", 9), 0);
  ck_assert_int_eq(p.a.final, 0);
  ck_assert_int_eq(p.b.final, 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* The client leaves TLS from inside its read callback, on the 200 that
 * answered CCC; the server's close_notify came in the same segment as
 * that 200 and must be taken as the end of TLS, not of the connection. */
static void ccc_on_200_read(struct ftp_chan *ch, ssize_t n, const uv_buf_t *buf) {
  struct end *e = ftp_chan_data(ch);

  end_read(ch, n, buf);
  if (n > 0 && ftp_chan_is_tls(ch) && ftp_buf_len(&e->got) >= 8)
    ck_assert_int_eq(ftp_chan_tls_stop(ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
}

static int a_has_200(struct pair *p) { return ftp_buf_len(&p->a.got) >= 8; }

START_TEST(test_ccc_inside_read_callback) {
  struct pair p;
  struct ctxs c;

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.a.ch, end_alloc, ccc_on_200_read), 0);
  /* One flush: the reply and the close_notify leave together. */
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "200 CCC\r\n", 9), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p.b.ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
  run_until(&p, a_has_200);
  ck_assert(!ftp_chan_is_tls(p.a.ch));
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "PWD\r\n", 5), 0);
  run_until(&p, b_has_pwd);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "PWD\r\n", 5), 0);
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "257 \"/\"\r\n", 9), 0);
  run_until(&p, a_has_257_after_200);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.a.got) + 9, "257 \"/\"\r\n", 9), 0);
  ck_assert_int_eq(p.a.final, 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* CCCNONOTIFY: nobody sends close_notify; cleartext follows at once. */
START_TEST(test_ccc_without_notify) {
  struct pair p;
  struct ctxs c;

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p.b.ch, FTP_CHAN_CCC_SILENT, 0), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p.a.ch, FTP_CHAN_CCC_SILENT, 0), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "PWD\r\n", 5), 0);
  run_until(&p, b_has_pwd);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "PWD\r\n", 5), 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* --- CCC as the server does it (FTP_CHAN_CCC_ANSWER) --------------------- *
 * The client end (a) stays in TLS and reads: a close_notify from the server
 * shows as a.final == UV_EOF (a clean end), never as truncation.  What a
 * client like lftp needs is that this end does not come with the 200. */

static int a_final(struct pair *p) { return p->a.final != 0; }

static void quiet_cb(uv_timer_t *t) { *(int *)t->data = 1; }

/* Run the loop for ms: whatever the server would send early, it sends. */
static void run_for(struct pair *p, unsigned ms) {
  uv_timer_t t;
  int done = 0;

  uv_timer_init(&p->loop, &t);
  t.data = &done;
  uv_timer_start(&t, quiet_cb, ms, 0);
  while (!done)
    uv_run(&p->loop, UV_RUN_ONCE);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(&p->loop, UV_RUN_NOWAIT);
}

/* Both ends in TLS, reading; the server has answered CCC with 200 and
 * stopped TLS with settle_ms; the client has read the 200. */
static void ccc_answer_setup(struct pair *p, struct ctxs *c, unsigned settle_ms) {
  ctxs_make(c, 0);
  pair_open(p);
  start_tls(p, c, c->scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_read_start(p->b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_read_start(p->a.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_write(p->b.ch, "200 CCC\r\n", 9), 0);
  ck_assert_int_eq(ftp_chan_tls_stop(p->b.ch, FTP_CHAN_CCC_ANSWER, settle_ms), 0);
  run_until(p, a_has_200);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p->a.got), "200 CCC\r\n", 9), 0);
}

/* lftp and curl --ftp-ssl-ccc-mode active: the client's close_notify comes
 * first; the server's answers it, and only it. */
START_TEST(test_ccc_answer_follows_client_close_notify) {
  struct pair p;
  struct ctxs c;

  /* A settle time no test run reaches: only the client's close_notify can
   * release the server's. */
  ccc_answer_setup(&p, &c, 600000);
  run_for(&p, 200);
  ck_assert_msg(p.a.final == 0, "the server's close_notify came with the 200");
  ck_assert_int_eq(ftp_buf_len(&p.a.got), 9);
  /* The client's close_notify (shutdown keeps reading; its FIN follows). */
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), 0);
  run_until(&p, a_final);
  ck_assert_int_eq(p.a.final, UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.a.got), 9);
  /* The server consumed the close_notify as the end of TLS, then the FIN. */
  run_until(&p, b_got_eof);
  ck_assert_int_eq(p.b.final, UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* curl --ftp-ssl-ccc-mode passive: the client sends nothing and waits for
 * the server's close_notify, which the settle time releases. */
START_TEST(test_ccc_answer_after_settle_time) {
  struct pair p;
  struct ctxs c;

  ccc_answer_setup(&p, &c, 50);
  run_until(&p, a_final);
  ck_assert_int_eq(p.a.final, UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.a.got), 9);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* A client that goes straight to clear text (our ftp at CCCNONOTIFY): the
 * server's close_notify leaves before the command is delivered, so every
 * answer to it follows the end of TLS. */
START_TEST(test_ccc_answer_before_peer_cleartext) {
  struct pair p;
  struct ctxs c;

  ccc_answer_setup(&p, &c, 600000);
  /* Clear text on the raw socket, under the client's TLS layer. */
  ck_assert_int_eq(send(raw_socket(p.a.ch), "PWD\r\n", 5, 0), 5);
  run_until(&p, b_has_pwd);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "PWD\r\n", 5), 0);
  run_until(&p, a_final);
  ck_assert_int_eq(p.a.final, UV_EOF);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* A server that writes in clear before the client spoke (a 421 on idle
 * timeout): its close_notify goes first. */
START_TEST(test_ccc_answer_before_own_cleartext) {
  struct pair p;
  struct ctxs c;

  ccc_answer_setup(&p, &c, 600000);
  run_for(&p, 100);
  ck_assert_int_eq(p.a.final, 0);
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "421 Timeout\r\n", 13), 0);
  run_until(&p, a_final);
  ck_assert_int_eq(p.a.final, UV_EOF);
  ck_assert_int_eq(ftp_buf_len(&p.a.got), 9);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* Our ftp against our ftpd: NOTIFY on the client, ANSWER on the server,
 * then clear text both ways. */
START_TEST(test_ccc_notify_meets_answer) {
  struct pair p;
  struct ctxs c;

  ccc_answer_setup(&p, &c, 600000);
  ck_assert_int_eq(ftp_chan_tls_stop(p.a.ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "PWD\r\n", 5), 0);
  run_until(&p, b_has_pwd);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "PWD\r\n", 5), 0);
  ck_assert_int_eq(ftp_chan_write(p.b.ch, "257 \"/\"\r\n", 9), 0);
  run_until(&p, a_has_257_after_200);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.a.got) + 9, "257 \"/\"\r\n", 9), 0);
  ck_assert_int_eq(p.a.final, 0);
  ck_assert_int_eq(p.b.final, 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

static int a_drained(struct pair *p) { return p->a.drained; }

static void drain_cb(struct ftp_chan *ch, int status) {
  struct end *e = ftp_chan_data(ch);
  ck_assert_int_eq(status, 0);
  e->drained = 1;
}

static int b_paused_full(struct pair *p) {
  return ftp_buf_len(&p->b.got) >= (size_t)p->b.paused_after;
}

/* A reader that stops reading makes the writer's queue grow; the drain
 * callback comes only once the reader resumes. */
START_TEST(test_backpressure_and_drain) {
  struct pair p;
  struct ctxs c;
  static char block[1 << 20];
  int i;

  memset(block, 'z', sizeof(block));
  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  p.b.paused_after = 1 << 20;
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  for (i = 0; i < 32; i++)
    ck_assert_int_eq(ftp_chan_write(p.a.ch, block, sizeof(block)), 0);
  run_until(&p, b_paused_full);
  /* Let the kernel buffers fill up, then look at the queue. */
  for (i = 0; i < 50; i++)
    uv_run(&p.loop, UV_RUN_NOWAIT);
  ck_assert(ftp_chan_queued(p.a.ch) > 0);
  ftp_chan_on_drain(p.a.ch, 1, drain_cb);
  for (i = 0; i < 50; i++)
    uv_run(&p.loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(p.a.drained, 0);
  p.b.paused_after = 0;
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  run_until(&p, a_drained);
  ck_assert_int_eq(ftp_chan_queued(p.a.ch), 0);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* A handshake in which the client offers `offer` (n protocols; n 0: no
 * ALPN extension at all).  The client session is made here, not by
 * ftp_tls_client_session: GnuTLS adds to a session's ALPN list on every
 * gnutls_alpn_set_protocols call (its count grows, the new names overwrite
 * the first entries), so replacing our "ftp" would send a malformed list,
 * and the server would refuse the ClientHello for that, not for ALPN.
 * The pair is left open, *cred is the caller's to free. */
static void alpn_handshake(struct pair *p, struct ctxs *c, const gnutls_datum_t *offer,
                           unsigned n, gnutls_certificate_credentials_t *cred) {
  gnutls_session_t cs, ss;

  ck_assert_int_eq(ftp_tls_server_session(c->server, c->scope, 0, &ss), 0);
  ck_assert_int_eq(gnutls_certificate_allocate_credentials(cred), 0);
  ck_assert_int_gt(gnutls_certificate_set_x509_trust_file(*cred, fx.ca, GNUTLS_X509_FMT_PEM), 0);
  ck_assert_int_eq(gnutls_init(&cs, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
  ck_assert_int_eq(gnutls_set_default_priority(cs), 0);
  ck_assert_int_eq(gnutls_credentials_set(cs, GNUTLS_CRD_CERTIFICATE, *cred), 0);
  gnutls_session_set_verify_cert(cs, "localhost", 0);
  if (n > 0)
    ck_assert_int_eq(gnutls_alpn_set_protocols(cs, offer, n, 0), 0);
  p->a.hs_status = p->b.hs_status = 1;
  ck_assert_int_eq(ftp_chan_tls_start(p->b.ch, ss, NULL, 0, hs_cb), 0);
  ck_assert_int_eq(ftp_chan_tls_start(p->a.ch, cs, NULL, 0, hs_cb), 0);
  run_until(p, both_handshaken);
}

/* ALPACA: a client that offers ALPN without "ftp" is refused by the server
 * for that reason (no_application_protocol, which the client receives);
 * one that offers "ftp" among others gets "ftp", one that offers nothing
 * is served. */
START_TEST(test_alpn_without_ftp_refused) {
  static const gnutls_datum_t http = {(unsigned char *)"http/1.1", 8};
  static const gnutls_datum_t both[] = {{(unsigned char *)"http/1.1", 8},
                                        {(unsigned char *)"ftp", 3}};
  gnutls_certificate_credentials_t cred;
  struct pair p;
  struct ctxs c;
  gnutls_datum_t sel;

  ctxs_make(&c, 0);
  pair_open(&p);
  alpn_handshake(&p, &c, &http, 1, &cred);
  ck_assert_int_eq(p.b.hs_status, FTP_E_TLS);
  ck_assert_str_eq(ftp_chan_tls_error(p.b.ch),
                   gnutls_strerror(GNUTLS_E_NO_APPLICATION_PROTOCOL));
  ck_assert_int_eq(p.a.hs_status, FTP_E_TLS);
  ck_assert_str_eq(ftp_chan_tls_error(p.a.ch),
                   gnutls_strerror(GNUTLS_E_FATAL_ALERT_RECEIVED));
  ck_assert_int_eq(gnutls_alert_get(ftp_chan_session(p.a.ch)),
                   GNUTLS_A_NO_APPLICATION_PROTOCOL);
  pair_close(&p);
  gnutls_certificate_free_credentials(cred);

  pair_open(&p);
  alpn_handshake(&p, &c, both, 2, &cred);
  ck_assert_int_eq(p.b.hs_status, 0);
  ck_assert_int_eq(p.a.hs_status, 0);
  ck_assert_int_eq(gnutls_alpn_get_selected_protocol(ftp_chan_session(p.a.ch), &sel), 0);
  ck_assert(sel.size == 3 && memcmp(sel.data, "ftp", 3) == 0);
  pair_close(&p);
  gnutls_certificate_free_credentials(cred);

  pair_open(&p);
  alpn_handshake(&p, &c, NULL, 0, &cred);
  ck_assert_int_eq(p.b.hs_status, 0);
  ck_assert_int_eq(p.a.hs_status, 0);
  ck_assert_int_lt(gnutls_alpn_get_selected_protocol(ftp_chan_session(p.b.ch), &sel), 0);
  pair_close(&p);
  gnutls_certificate_free_credentials(cred);
  ctxs_free(&c);
}
END_TEST

START_TEST(test_wrong_host_name_refused) {
  struct pair p;
  struct ctxs c;

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "wrong.example");
  ck_assert_int_eq(p.a.hs_status, FTP_E_TLS_VERIFY);
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

static int a_has_ticket_reply(struct pair *p) { return ftp_buf_len(&p->a.got) >= 4; }

/* One issuer's tickets resume in any of its scopes (which of them a data
 * connection may resume is the record's decision: check_dataconn); another
 * issuer's (another ftpd process) do not resume at all. */
START_TEST(test_resumption_is_bound_to_its_issuer) {
  struct pair ctrl, same, other, foreign;
  struct ctxs c;
  struct ftp_tls_resume *other_scope, *foreign_scope;
  struct ftp_tls_issuer *foreign_issuer;

  ctxs_make(&c, 0);
  ck_assert_int_eq(ftp_tls_resume_new(c.issuer, &other_scope, 3600), 0);
  ck_assert_int_eq(ftp_tls_issuer_new(&foreign_issuer), 0);
  ck_assert_int_eq(ftp_tls_resume_new(foreign_issuer, &foreign_scope, 3600), 0);
  pair_open(&ctrl);
  start_tls(&ctrl, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ctrl.a.hs_status, 0);
  /* The client reads a reply: that processes the TLS 1.3 tickets. */
  ck_assert_int_eq(ftp_chan_read_start(ctrl.a.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_tls_send_ticket(ftp_chan_session(ctrl.b.ch)), 0);
  ck_assert_int_eq(ftp_chan_write(ctrl.b.ch, "200\n", 4), 0);
  run_until(&ctrl, a_has_ticket_reply);

  pair_open(&same);
  start_tls(&same, &c, c.scope, ftp_chan_session(ctrl.a.ch), "localhost");
  ck_assert_int_eq(same.b.hs_status, 0);
  ck_assert(gnutls_session_is_resumed(ftp_chan_session(same.b.ch)));

  pair_open(&other);
  start_tls(&other, &c, other_scope, ftp_chan_session(ctrl.a.ch), "localhost");
  ck_assert_int_eq(other.b.hs_status, 0);
  ck_assert(gnutls_session_is_resumed(ftp_chan_session(other.b.ch)));

  pair_open(&foreign);
  start_tls(&foreign, &c, foreign_scope, ftp_chan_session(ctrl.a.ch), "localhost");
  ck_assert_int_eq(foreign.b.hs_status, 0);
  ck_assert(!gnutls_session_is_resumed(ftp_chan_session(foreign.b.ch)));

  pair_close(&foreign);
  pair_close(&other);
  pair_close(&same);
  pair_close(&ctrl);
  ftp_tls_resume_free(other_scope);
  ftp_tls_resume_free(foreign_scope);
  ftp_tls_issuer_free(foreign_issuer);
  ctxs_free(&c);
}
END_TEST

START_TEST(test_client_certificate_seen_by_server) {
  struct pair p;
  struct ctxs c;
  unsigned char id[32];
  char dn[256];

  ctxs_make(&c, 1);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(p.b.hs_status, 0);
  ck_assert_int_eq(ftp_tls_peer_cert_id(ftp_chan_session(p.b.ch), id, dn, sizeof(dn)), 0);
  /* RFC 4514 order, as USERFILE cert-dn is written (users.h). */
  ck_assert_str_eq(dn, "CN=alice,O=Example");
  ck_assert(ftp_tls_peer_verified(ftp_chan_session(p.b.ch), NULL));
  pair_close(&p);
  ctxs_free(&c);
}
END_TEST

/* The Telnet Synch before ABOR: the urgent bytes leave at once and, with
 * SO_OOBINLINE on the reader, stay in its stream, in order. */
static int b_has_abor(struct pair *p) { return ftp_buf_len(&p->b.got) >= 10; }

START_TEST(test_urgent_data_inline) {
  static const unsigned char synch[] = {0xff, 0xf4, 0xff};
  struct pair p;

  pair_open(&p);
  ck_assert_int_eq(ftp_chan_set_oobinline(p.b.ch), 0);
  ck_assert_int_eq(ftp_chan_set_nodelay(p.a.ch, 1), 0);
  ck_assert_int_eq(ftp_chan_set_keepalive(p.a.ch, 60), 0);
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_send_urgent(p.a.ch, synch, sizeof(synch)), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "\xf2" "ABOR\r\n", 7), 0);
  run_until(&p, b_has_abor);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), "\xff\xf4\xff\xf2" "ABOR\r\n", 10), 0);
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), 0);
  ck_assert_int_eq(ftp_chan_send_urgent(p.a.ch, synch, sizeof(synch)), UV_EPIPE);
  pair_close(&p);
}
END_TEST

static int b_has_file(struct pair *p) {
  return p->a.sf_status != 1 && ftp_buf_len(&p->b.got) >= (3u << 20) - 1000;
}

/* sendfile from an offset to the end of the file; the channel refuses
 * other output while it runs and takes it again once done. */
START_TEST(test_sendfile_clear) {
  size_t size = 3u << 20;
  unsigned char *data;
  struct pair p;
  int fd = temp_file(size, &data);

  pair_open(&p);
  p.a.sf_status = 1;
  ck_assert_int_eq(ftp_chan_read_start(p.b.ch, end_alloc, end_read), 0);
  ck_assert_int_eq(ftp_chan_sendfile(p.a.ch, fd, 1000, sf_progress, sf_done), 0);
  ck_assert_int_eq(ftp_chan_write(p.a.ch, "x", 1), UV_EBUSY);
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), UV_EBUSY);
  ck_assert_int_eq(ftp_chan_sendfile(p.a.ch, fd, 0, sf_progress, sf_done), UV_EBUSY);
  ck_assert_int_eq(ftp_chan_send_urgent(p.a.ch, "x", 1), UV_EAGAIN);
  run_until(&p, b_has_file);
  ck_assert_int_eq(p.a.sf_status, 0);
  ck_assert_int_eq(p.a.sent, size - 1000);
  ck_assert_int_eq(ftp_buf_len(&p.b.got), size - 1000);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&p.b.got), data + 1000, size - 1000), 0);
  ck_assert_int_eq(ftp_chan_shutdown(p.a.ch, shut_cb), 0);
  run_until(&p, b_got_eof);
  ck_assert_int_eq(p.b.final, UV_EOF);
  pair_close(&p);
  close(fd);
  free(data);
}
END_TEST

/* Closing while a file is being sent to a reader that does not read: the
 * close callback waits for the thread pool, and every handle goes. */
START_TEST(test_close_during_sendfile) {
  struct pair p;
  int fd = temp_file(32u << 20, NULL);

  pair_open(&p);
  p.a.sf_status = 1;
  ck_assert_int_eq(ftp_chan_sendfile(p.a.ch, fd, 0, sf_progress, sf_done), 0);
  run_until(&p, a_sent_some);
  pair_close(&p);
  /* Closing is no completion: done never ran. */
  ck_assert_int_eq(p.a.sf_status, 1);
  close(fd);
}
END_TEST

/* Under TLS, bytes must go through the record layer: no sendfile, no
 * urgent data. */
START_TEST(test_tls_refuses_sendfile_and_urgent) {
  struct pair p;
  struct ctxs c;
  int fd = temp_file(4096, NULL);

  ctxs_make(&c, 0);
  pair_open(&p);
  start_tls(&p, &c, c.scope, NULL, "localhost");
  ck_assert_int_eq(ftp_chan_sendfile(p.a.ch, fd, 0, sf_progress, sf_done), UV_EINVAL);
  ck_assert_int_eq(ftp_chan_send_urgent(p.a.ch, "x", 1), UV_EINVAL);
  pair_close(&p);
  ctxs_free(&c);
  close(fd);
}
END_TEST

static Suite *chan_suite(void) {
  Suite *s = suite_create("chan");
  TCase *clear = tcase_create("clear");
  TCase *tls = tcase_create("tls");

  tcase_add_checked_fixture(clear, no_sigpipe, NULL);
  tcase_add_test(clear, test_clear_both_ways);
  tcase_add_test(clear, test_urgent_data_inline);
  tcase_add_test(clear, test_sendfile_clear);
  tcase_add_test(clear, test_close_during_sendfile);
  suite_add_tcase(s, clear);
  tcase_add_unchecked_fixture(tls, fixture_up, fixture_down);
  tcase_set_timeout(tls, 30);
  tcase_add_test(tls, test_tls_data_and_close_notify);
  tcase_add_test(tls, test_tls_eof_without_close_notify_is_truncation);
  tcase_add_loop_test(tls, test_tls_peer_closes_mid_record, 0, 2);
  tcase_add_test(tls, test_preread_is_ciphertext_not_commands);
  tcase_add_test(tls, test_ccc_back_to_clear);
  tcase_add_test(tls, test_ccc_without_notify);
  tcase_add_test(tls, test_ccc_inside_read_callback);
  tcase_add_test(tls, test_ccc_answer_follows_client_close_notify);
  tcase_add_test(tls, test_ccc_answer_after_settle_time);
  tcase_add_test(tls, test_ccc_answer_before_peer_cleartext);
  tcase_add_test(tls, test_ccc_answer_before_own_cleartext);
  tcase_add_test(tls, test_ccc_notify_meets_answer);
  tcase_add_test(tls, test_backpressure_and_drain);
  tcase_add_test(tls, test_alpn_without_ftp_refused);
  tcase_add_test(tls, test_wrong_host_name_refused);
  tcase_add_test(tls, test_resumption_is_bound_to_its_issuer);
  tcase_add_test(tls, test_client_certificate_seen_by_server);
  tcase_add_test(tls, test_tls_refuses_sendfile_and_urgent);
  suite_add_tcase(s, tls);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(chan_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
