/*
 * check_dataconn.c: data connections over real loopback TCP, in clear and
 * under real TLS: files both ways (sendfile in clear, encrypted blocks under
 * TLS), REST offsets, TYPE A, the resumption requirement and whose sessions
 * it accepts (TLS 1.2 and 1.3, a real control connection issuing them), a
 * stranger on the passive port, abort, and an upload cut without
 * close_notify.
 *
 * The "server" end listens (passive mode) and the "client" end connects;
 * each test runs on a fresh loop and requires uv_loop_close() to succeed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "addr.h"
#include "buf.h"
#include "chan.h"
#include "dataconn.h"
#include "dataconn_int.h"
#include "err.h"
#include "ftp_limits.h"
#include "tls.h"
#include "tls_fixture.h"

static struct tls_fixture fx;
static char dir[256];

static void setup(void) {
  const char *tmp = getenv("TMPDIR");

  /* As both programs do: a write to a peer that is gone reports EPIPE
   * (sendfile(2) cannot be asked not to raise the signal). */
  signal(SIGPIPE, SIG_IGN);
  tls_fixture_make(&fx);
  snprintf(dir, sizeof(dir), "%s/chkdcXXXXXX", tmp != NULL ? tmp : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void) {
  char cmd[400];

  tls_fixture_remove(&fx);
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

struct side {
  struct ftp_dataconn *dc;
  int ready;       /* 1 while pending, else the status */
  int done;        /* 1 while pending, else the status */
  struct ftp_buf got;
};

struct rig {
  uv_loop_t loop;
  uv_timer_t watchdog;
  int expired;
  struct ftp_tls_ctx *sctx, *cctx;
  struct ftp_tls_issuer *issuer;
  struct ftp_tls_resume *scope;   /* the data connections' control session */
  struct side srv, cli;
  int srv_may_wait;               /* connect_pair: the server may wait on a login */
  unsigned srv_timeout_ms;        /* connect_pair: the server side's (10 s) */
};

/* The loop of the running test: a callback that may satisfy run_until's
 * condition stops the iteration, so that uv_run never waits in poll after
 * the last event (a data connection settled from outside the loop). */
static uv_loop_t *cur_loop;

static void watchdog_cb(uv_timer_t *t) {
  struct rig *g = t->data;
  g->expired = 1;
  uv_stop(&g->loop);
}

static void run_until(struct rig *g, int (*cond)(struct rig *)) {
  uv_timer_start(&g->watchdog, watchdog_cb, 20000, 0);
  while (!cond(g) && !g->expired)
    uv_run(&g->loop, UV_RUN_ONCE);
  uv_timer_stop(&g->watchdog);
  ck_assert_msg(!g->expired, "timed out");
}

/* tls12: the server offers TLS 1.2 only. */
static void rig_open_version(struct rig *g, int tls12) {
  static const char *const v12[] = {"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"};
  struct ftp_tls_config sc = {0}, cc = {0};
  struct sockaddr_storage peer;
  char err[256];

  memset(g, 0, sizeof(*g));
  ck_assert_int_eq(uv_loop_init(&g->loop), 0);
  cur_loop = &g->loop;
  uv_timer_init(&g->loop, &g->watchdog);
  g->watchdog.data = g;
  sc.server = 1;
  sc.keyring = fx.server;
  sc.session_lifetime = 3600;
  if (tls12) {
    sc.ciphers = v12;
    sc.nciphers = 1;
  }
  ck_assert_msg(ftp_tls_ctx_new(&sc, &g->sctx, err, sizeof(err)) == 0, "%s", err);
  cc.cafile = fx.ca;
  ck_assert_msg(ftp_tls_ctx_new(&cc, &g->cctx, err, sizeof(err)) == 0, "%s", err);
  ck_assert_int_eq(ftp_tls_issuer_new(&g->issuer), 0);
  ck_assert_int_eq(ftp_tls_resume_new(g->issuer, &g->scope, 3600), 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 40000, &peer), 0);
  ck_assert_int_eq(ftp_tls_resume_set_principal(g->scope, "alice", 0, &peer), 0);
  g->srv.ready = g->srv.done = g->cli.ready = g->cli.done = 1;
  ftp_buf_init(&g->srv.got, 64 << 20);
  ftp_buf_init(&g->cli.got, 64 << 20);
}

static void rig_open(struct rig *g) { rig_open_version(g, 0); }

static void rig_close(struct rig *g) {
  ftp_dataconn_free(g->srv.dc);
  ftp_dataconn_free(g->cli.dc);
  uv_close((uv_handle_t *)&g->watchdog, NULL);
  /* Lingering connections end by themselves (a uv_stop from a callback
   * ends one run early: run again until nothing is left). */
  while (uv_run(&g->loop, UV_RUN_DEFAULT) != 0)
    ;
  ck_assert_int_eq(uv_loop_close(&g->loop), 0);
  ftp_tls_ctx_unref(g->sctx);
  ftp_tls_ctx_unref(g->cctx);
  ftp_tls_resume_free(g->scope);
  ftp_tls_issuer_free(g->issuer);
  ftp_buf_free(&g->srv.got);
  ftp_buf_free(&g->cli.got);
}

static struct side *side_of(struct ftp_dataconn *dc) { return ftp_dataconn_data(dc); }
static void ready_cb(struct ftp_dataconn *dc, int st) {
  side_of(dc)->ready = st;
  uv_stop(cur_loop);
}
static void done_cb(struct ftp_dataconn *dc, int st) {
  side_of(dc)->done = st;
  uv_stop(cur_loop);
}

static int sink_cb(struct ftp_dataconn *dc, const void *p, size_t n) {
  return ftp_buf_put(&side_of(dc)->got, p, n);
}

static int both_ready(struct rig *g) { return g->srv.ready != 1 && g->cli.ready != 1; }
static int cli_ready(struct rig *g) { return g->cli.ready != 1; }
static int srv_ready(struct rig *g) { return g->srv.ready != 1; }
static int both_done(struct rig *g) { return g->srv.done != 1 && g->cli.done != 1; }

/* Server listens on 127.0.0.1; the client connects.  tls: PROT P.
 * ctrl: the client's session to resume (NULL: none). */
static void connect_pair(struct rig *g, int tls, gnutls_session_t ctrl,
                         struct ftp_tls_resume *scope) {
  struct ftp_dataconn_opts so = {0}, co = {0};
  struct sockaddr_storage any, target;
  unsigned port = 0;

  so.loop = co.loop = &g->loop;
  so.role = FTP_DATACONN_SERVER;
  co.role = FTP_DATACONN_CLIENT;
  so.timeout_ms = co.timeout_ms = 10000;
  if (g->srv_timeout_ms != 0)
    so.timeout_ms = g->srv_timeout_ms;
  so.tls = co.tls = tls;
  so.tls_ctx = g->sctx;
  so.server.resume = scope;
  so.require_resume = ctrl != NULL;
  co.tls_ctx = g->cctx;
  co.client.ctrl_session = ctrl;
  co.client.host = "localhost";
  co.client.verify = co.client.verify_host = 1;
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 0, &any), 0);
  ck_assert_int_eq(ftp_dataconn_listen(&so, &any, 0, 0, &g->srv.dc, &port), 0);
  ftp_dataconn_set_data(g->srv.dc, &g->srv);
  ck_assert_int_gt(port, 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", port, &target), 0);
  ck_assert_int_eq(ftp_dataconn_connect(&co, &target, &g->cli.dc), 0);
  ftp_dataconn_set_data(g->cli.dc, &g->cli);
  ftp_dataconn_when_ready(g->srv.dc, ready_cb);
  ftp_dataconn_when_ready(g->cli.dc, ready_cb);
  run_until(g, g->srv_may_wait ? cli_ready : both_ready);
}

static int make_file(const char *name, size_t size, unsigned seed, char *out) {
  unsigned char *data = malloc(size + 1);
  size_t i;
  int fd;

  for (i = 0; i < size; i++)
    data[i] = (unsigned char)rand_r(&seed);
  snprintf(out, 300, "%s/%s", dir, name);
  fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, size), (ssize_t)size);
  close(fd);
  free(data);
  return open(out, O_RDONLY);
}

static void assert_same_as_file(const struct ftp_buf *b, const char *path, off_t from) {
  struct stat st;
  unsigned char *data;
  int fd = open(path, O_RDONLY);

  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert_int_eq(ftp_buf_len(b), (size_t)(st.st_size - from));
  data = malloc((size_t)st.st_size + 1);
  ck_assert_int_eq(read(fd, data, (size_t)st.st_size), (ssize_t)st.st_size);
  close(fd);
  ck_assert(ftp_buf_len(b) == 0 || memcmp(ftp_buf_ptr(b), data + from, ftp_buf_len(b)) == 0);
  free(data);
}

/* Download: the server sends a file, the client sinks it. */
static void download(int tls, size_t size, int64_t offset) {
  struct rig g;
  char path[300];
  int fd;

  rig_open(&g);
  fd = make_file("src", size, 42, path);
  connect_pair(&g, tls, NULL, g.scope);
  ck_assert_int_eq(g.srv.ready, 0);
  ck_assert_int_eq(g.cli.ready, 0);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, offset, 0, done_cb), 0);
  ck_assert_int_eq(ftp_dataconn_recv_sink(g.cli.dc, 0, sink_cb, done_cb), 0);
  run_until(&g, both_done);
  ck_assert_int_eq(g.srv.done, 0);
  ck_assert_int_eq(g.cli.done, 0);
  assert_same_as_file(&g.cli.got, path, offset);
  ck_assert_int_eq(ftp_dataconn_bytes(g.srv.dc), size - (size_t)offset);
  rig_close(&g);
}

START_TEST(test_download_clear_sendfile) { download(0, 3u << 20, 0); }
END_TEST
START_TEST(test_download_clear_empty) { download(0, 0, 0); }
END_TEST
START_TEST(test_download_tls) { download(1, (5u << 20) + 17, 0); }
END_TEST
START_TEST(test_download_tls_one_byte) { download(1, 1, 0); }
END_TEST
START_TEST(test_download_tls_rest_offset) { download(1, 100000, 99999); }
END_TEST
START_TEST(test_download_clear_rest_offset) { download(0, 100000, 12345); }
END_TEST

/* Upload: the client sends a file, the server writes it at an offset. */
static void upload(int tls, size_t size) {
  struct rig g;
  char src[300], dst[300];
  int in, out;

  rig_open(&g);
  in = make_file("src", size, 7, src);
  snprintf(dst, sizeof(dst), "%s/dst", dir);
  out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  connect_pair(&g, tls, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_recv_file(g.srv.dc, out, 0, 0, done_cb), 0);
  ck_assert_int_eq(ftp_dataconn_send_file(g.cli.dc, in, 0, 0, done_cb), 0);
  run_until(&g, both_done);
  ck_assert_int_eq(g.cli.done, 0);
  ck_assert_int_eq(g.srv.done, 0);
  rig_close(&g); /* closes both files */
  {
    struct stat a, b;
    ck_assert_int_eq(stat(src, &a), 0);
    ck_assert_int_eq(stat(dst, &b), 0);
    ck_assert_int_eq(a.st_size, b.st_size);
  }
  {
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", src, dst);
    ck_assert_int_eq(system(cmd), 0);
  }
}

START_TEST(test_upload_clear) { upload(0, (3u << 20) + 5); }
END_TEST
START_TEST(test_upload_tls) { upload(1, (3u << 20) + 5); }
END_TEST

/* TYPE A: LF on disk becomes CRLF on the wire and back. */
START_TEST(test_ascii_both_ways) {
  struct rig g;
  char src[300];
  static const char text[] = "one\ntwo\r\nthree\n\rfour\r";
  int fd, wfd;

  rig_open(&g);
  snprintf(src, sizeof(src), "%s/text", dir);
  wfd = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_eq(write(wfd, text, sizeof(text) - 1), (ssize_t)sizeof(text) - 1);
  close(wfd);
  fd = open(src, O_RDONLY);
  connect_pair(&g, 1, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, 0, 1, done_cb), 0);
  /* The client receives in binary: it sees the wire form. */
  ck_assert_int_eq(ftp_dataconn_recv_sink(g.cli.dc, 0, sink_cb, done_cb), 0);
  run_until(&g, both_done);
  ck_assert_int_eq(g.srv.done, 0);
  ck_assert_int_eq(ftp_buf_len(&g.cli.got), strlen("one\r\ntwo\r\nthree\r\n\rfour\r"));
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&g.cli.got), "one\r\ntwo\r\nthree\r\n\rfour\r",
                          ftp_buf_len(&g.cli.got)), 0);
  rig_close(&g);
}
END_TEST

/* The block budget: one transfer alone gets the largest blocks, many get
 * the smallest, and the sizes come back as transfers end. */
START_TEST(test_block_sizes) {
  size_t prev = FTP_DATA_BLOCK_MAX, size;
  unsigned i;

  ck_assert_uint_eq(ftp__dc_blocks_take(), FTP_DATA_BLOCK_MAX);
  for (i = 2; i <= 1000; i++) {
    size = ftp__dc_blocks_take();
    ck_assert(size <= prev && size >= FTP_DATA_BLOCK_MIN);
    ck_assert_uint_eq(size & (size - 1), 0); /* a power of two */
    ck_assert(2 * size * i <= FTP_DATA_BLOCKS_BUDGET || size == FTP_DATA_BLOCK_MIN);
    prev = size;
  }
  ck_assert_uint_eq(prev, FTP_DATA_BLOCK_MIN);
  for (i = 0; i < 1000; i++)
    ftp__dc_blocks_give();
  ck_assert_uint_eq(ftp__dc_blocks_take(), FTP_DATA_BLOCK_MAX);
}
END_TEST

/* Transfers while many others hold blocks: the smallest blocks, many
 * block boundaries, and TYPE A's pieces sized to fit them. */
static void hold_many_blocks(void) {
  unsigned i;
  for (i = 0; i < 1000; i++)
    ftp__dc_blocks_take();
}

START_TEST(test_small_blocks_tls_both_ways) {
  hold_many_blocks();
  upload(1, (1u << 20) + 17);
  download(1, (1u << 20) + 17, 0);
}
END_TEST

START_TEST(test_small_blocks_ascii_upload) {
  struct rig g;
  char src[300], dst[300];
  struct ftp_buf text;
  int in, out;
  unsigned i;

  hold_many_blocks();
  rig_open(&g);
  ftp_buf_init(&text, 1u << 20);
  for (i = 0; ftp_buf_len(&text) < 5 * FTP_DATA_BLOCK_MIN; i++) {
    char line[64];
    int n = snprintf(line, sizeof(line), "line %u%s\n", i, i % 7 ? "" : " with more text");
    ck_assert_int_eq(ftp_buf_put(&text, line, (size_t)n), 0);
  }
  snprintf(src, sizeof(src), "%s/text-src", dir);
  snprintf(dst, sizeof(dst), "%s/text-dst", dir);
  in = open(src, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_eq(write(in, ftp_buf_ptr(&text), ftp_buf_len(&text)), (ssize_t)ftp_buf_len(&text));
  close(in);
  in = open(src, O_RDONLY);
  out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  connect_pair(&g, 1, NULL, g.scope);
  /* LF -> CRLF on the wire, CRLF -> LF on disk: the same bytes arrive. */
  ck_assert_int_eq(ftp_dataconn_recv_file(g.srv.dc, out, 0, 1, done_cb), 0);
  ck_assert_int_eq(ftp_dataconn_send_file(g.cli.dc, in, 0, 1, done_cb), 0);
  run_until(&g, both_done);
  ck_assert_int_eq(g.cli.done, 0);
  ck_assert_int_eq(g.srv.done, 0);
  rig_close(&g);
  {
    char cmd[700];
    snprintf(cmd, sizeof(cmd), "cmp -s '%s' '%s'", src, dst);
    ck_assert_int_eq(system(cmd), 0);
  }
  ftp_buf_free(&text);
}
END_TEST

/* SECURE_SESSION_REUSE REQUIRED: a data connection that does not resume
 * the control session's TLS session is refused; nothing is transferred. */
START_TEST(test_unresumed_data_connection_refused) {
  struct rig g;
  gnutls_session_t fake_ctrl;

  rig_open(&g);
  /* A client session that never talked to this server: nothing to resume. */
  ck_assert_int_eq(ftp_tls_client_session(g.cctx, "localhost", 1, 1, NULL, &fake_ctrl), 0);
  connect_pair(&g, 1, fake_ctrl, g.scope);
  ck_assert_int_eq(g.srv.ready, FTP_E_TLS_NOT_RESUMED);
  gnutls_deinit(fake_ctrl);
  rig_close(&g);
}
END_TEST

/* --- whose sessions a data connection may resume ------------------------- */

/* A real control connection: a server session in a scope, a client session
 * that reads the server's tickets (TLS 1.3 sends them after the handshake). */
struct ctrl {
  uv_tcp_t listener;
  struct ftp_chan *srv, *cli;
  int srv_hs, cli_hs, got;
  char buf[64];
};

static void ctrl_hs_cb(struct ftp_chan *ch, int status) {
  struct ctrl *c = ftp_chan_data(ch);
  *(ch == c->srv ? &c->srv_hs : &c->cli_hs) = status;
}

static void ctrl_alloc(struct ftp_chan *ch, size_t s, uv_buf_t *b) {
  struct ctrl *c = ftp_chan_data(ch);
  (void)s;
  *b = uv_buf_init(c->buf, sizeof(c->buf));
}

static void ctrl_read(struct ftp_chan *ch, ssize_t n, const uv_buf_t *b) {
  struct ctrl *c = ftp_chan_data(ch);
  (void)b;
  if (n > 0)
    c->got += (int)n;
}

static struct ctrl *ctrl_of;
static int ctrl_accepted(struct rig *g) { (void)g; return ctrl_of->srv != NULL; }
static int ctrl_handshaken(struct rig *g) {
  (void)g;
  return ctrl_of->srv_hs != 1 && ctrl_of->cli_hs != 1;
}
static int ctrl_read_reply(struct rig *g) { (void)g; return ctrl_of->got >= 4; }

static void ctrl_conn_cb(uv_stream_t *l, int status) {
  struct ftp_chan_opts o = {64 << 10, 1 << 20, 0};

  ck_assert_int_eq(status, 0);
  ck_assert_int_eq(ftp_chan_new(l->loop, &o, &ctrl_of->srv), 0);
  ftp_chan_set_data(ctrl_of->srv, ctrl_of);
  ck_assert_int_eq(ftp_chan_accept(ctrl_of->srv, l), 0);
}

static void ctrl_connect_cb(struct ftp_chan *ch, int status) {
  (void)ch;
  ck_assert_int_eq(status, 0);
}

/* Open a control connection in scope res; its client session is then
 * ftp_chan_session(c->cli), holding a ticket (1.3) or session (1.2). */
static void ctrl_open(struct rig *g, struct ctrl *c, struct ftp_tls_resume *res) {
  struct ftp_chan_opts o = {64 << 10, 1 << 20, 0};
  struct sockaddr_storage sa;
  gnutls_session_t ss, cs;
  int len = sizeof(sa);

  memset(c, 0, sizeof(*c));
  ctrl_of = c;
  c->srv_hs = c->cli_hs = 1;
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 0, &sa), 0);
  ck_assert_int_eq(uv_tcp_init(&g->loop, &c->listener), 0);
  ck_assert_int_eq(uv_tcp_bind(&c->listener, (struct sockaddr *)&sa, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&c->listener, 1, ctrl_conn_cb), 0);
  ck_assert_int_eq(uv_tcp_getsockname(&c->listener, (struct sockaddr *)&sa, &len), 0);
  ck_assert_int_eq(ftp_chan_new(&g->loop, &o, &c->cli), 0);
  ftp_chan_set_data(c->cli, c);
  ck_assert_int_eq(ftp_chan_connect(c->cli, (struct sockaddr *)&sa, ctrl_connect_cb), 0);
  run_until(g, ctrl_accepted);
  ck_assert_int_eq(ftp_tls_server_session(g->sctx, res, NULL, &ss), 0);
  ck_assert_int_eq(ftp_tls_client_session(g->cctx, "localhost", 1, 1, NULL, &cs), 0);
  ck_assert_int_eq(ftp_chan_tls_start(c->srv, ss, NULL, 0, ctrl_hs_cb), 0);
  ck_assert_int_eq(ftp_chan_tls_start(c->cli, cs, NULL, 0, ctrl_hs_cb), 0);
  run_until(g, ctrl_handshaken);
  ck_assert_int_eq(c->srv_hs, 0);
  ck_assert_int_eq(c->cli_hs, 0);
  ftp_tls_control_secured(ftp_chan_session(c->srv));
  /* A reply read by the client: the TLS 1.3 tickets are processed. */
  ck_assert_int_eq(ftp_chan_read_start(c->cli, ctrl_alloc, ctrl_read), 0);
  ck_assert_int_eq(ftp_chan_write(c->srv, "200\n", 4), 0);
  run_until(g, ctrl_read_reply);
}

static void ctrl_close(struct ctrl *c) {
  ftp_chan_close(c->srv, NULL);
  ftp_chan_close(c->cli, NULL);
  uv_close((uv_handle_t *)&c->listener, NULL);
}

/*
 * A data connection of g->scope (alice at 127.0.0.1) resumes the session of
 * a control connection in a scope with principal (user, addr); ended: that
 * control session is over first.  want: the server side's ready status.
 */
static void binding_case(int tls12, const char *user, const char *addr, int ended,
                         int want) {
  struct rig g;
  struct ctrl c;
  struct ftp_tls_resume *other = NULL;
  struct sockaddr_storage a;
  int own = user == NULL;

  rig_open_version(&g, tls12);
  if (!own) {
    ck_assert_int_eq(ftp_tls_resume_new(g.issuer, &other, 3600), 0);
    ck_assert_int_eq(ftp_addr_from_string(addr, 50000, &a), 0);
    if (user[0] != 0)
      ck_assert_int_eq(ftp_tls_resume_set_principal(other, user, 0, &a), 0);
  }
  ctrl_open(&g, &c, own ? g.scope : other);
  if (ended) {
    ftp_tls_resume_free(other);
    other = NULL;
  }
  connect_pair(&g, 1, ftp_chan_session(c.cli), g.scope);
  ck_assert_int_eq(g.srv.ready, want);
  if (want == 0) {
    char desc[96];
    ftp_dataconn_describe(g.srv.dc, desc, sizeof(desc));
    ck_assert_str_eq(desc, tls12 ? "TLS1.2 AES-128-GCM, resumed" : "TLS1.3 AES-128-GCM, resumed");
  }
  ctrl_close(&c);
  ftp_tls_resume_free(other);
  rig_close(&g);
}

START_TEST(test_binding_own) { binding_case(_i, NULL, NULL, 0, 0); }
END_TEST
START_TEST(test_binding_sibling) { binding_case(_i, "alice", "127.0.0.1", 0, 0); }
END_TEST
START_TEST(test_binding_other_user) {
  binding_case(_i, "bob", "127.0.0.1", 0, FTP_E_TLS_SESSION_OTHER_USER);
}
END_TEST
/*
 * The control connection the session was issued to has not logged in yet
 * when the data connection's handshake ends: the data connection waits,
 * and that login decides.  how: 0 logs in as alice (accepted), 1 as bob,
 * 2 the control session ends instead.
 */
static void pending_case(int tls12, int how) {
  static const int want[] = {0, FTP_E_TLS_SESSION_OTHER_USER, FTP_E_TLS_SESSION_UNKNOWN};
  struct rig g;
  struct ctrl c;
  struct ftp_tls_resume *other;
  struct sockaddr_storage a;
  int i;

  rig_open_version(&g, tls12);
  ck_assert_int_eq(ftp_tls_resume_new(g.issuer, &other, 3600), 0);
  ctrl_open(&g, &c, other);
  g.srv_may_wait = 1;
  connect_pair(&g, 1, ftp_chan_session(c.cli), g.scope);
  ck_assert_int_eq(g.cli.ready, 0);
  /* However long it runs, the server side waits. */
  for (i = 0; i < 20; i++)
    uv_run(&g.loop, UV_RUN_NOWAIT);
  ck_assert_int_eq(g.srv.ready, 1);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 50000, &a), 0);
  if (how == 2) {
    ftp_tls_resume_free(other);
    other = NULL;
  } else {
    ck_assert_int_eq(ftp_tls_resume_set_principal(other, how == 0 ? "alice" : "bob", 0, &a), 0);
  }
  run_until(&g, srv_ready);
  ck_assert_int_eq(g.srv.ready, want[how]);
  ctrl_close(&c);
  ftp_tls_resume_free(other);
  rig_close(&g);
}

START_TEST(test_binding_pending_then_sibling) { pending_case(_i, 0); }
END_TEST
START_TEST(test_binding_pending_then_other_user) { pending_case(_i, 1); }
END_TEST
START_TEST(test_binding_pending_then_ended) { pending_case(_i, 2); }
END_TEST

/* A login that never comes: the data connection's own timeout refuses it. */
START_TEST(test_binding_pending_times_out) {
  struct rig g;
  struct ctrl c;
  struct ftp_tls_resume *other;

  rig_open_version(&g, _i);
  ck_assert_int_eq(ftp_tls_resume_new(g.issuer, &other, 3600), 0);
  ctrl_open(&g, &c, other);
  g.srv_may_wait = 1;
  g.srv_timeout_ms = 3000; /* the handshake takes milliseconds, the wait all */
  connect_pair(&g, 1, ftp_chan_session(c.cli), g.scope);
  run_until(&g, srv_ready);
  ck_assert_int_eq(g.srv.ready, FTP_E_TLS_SESSION_OTHER_USER);
  ctrl_close(&c);
  ftp_tls_resume_free(other);
  rig_close(&g);
}
END_TEST
START_TEST(test_binding_other_address) {
  binding_case(_i, "alice", "127.0.0.2", 0, FTP_E_TLS_SESSION_OTHER_ADDRESS);
}
END_TEST
START_TEST(test_binding_ended) {
  binding_case(_i, "alice", "127.0.0.1", 1, FTP_E_TLS_SESSION_UNKNOWN);
}
END_TEST

/* Another issuer (another ftpd process): its ticket does not even decrypt
 * here, the handshake is a full one. */
START_TEST(test_binding_other_issuer) {
  struct rig g;
  struct ctrl c;
  struct ftp_tls_issuer *iss2;
  struct ftp_tls_resume *res2;

  rig_open_version(&g, _i);
  ck_assert_int_eq(ftp_tls_issuer_new(&iss2), 0);
  ck_assert_int_eq(ftp_tls_resume_new(iss2, &res2, 3600), 0);
  ctrl_open(&g, &c, res2);
  connect_pair(&g, 1, ftp_chan_session(c.cli), g.scope);
  ck_assert_int_eq(g.srv.ready, FTP_E_TLS_NOT_RESUMED);
  ctrl_close(&c);
  ftp_tls_resume_free(res2);
  ftp_tls_issuer_free(iss2);
  rig_close(&g);
}
END_TEST

/* A stranger's raw socket, watched by the loop: closed is 1 once the peer
 * closed it (EOF or reset), -1 if data arrived, 0 while it is open. */
struct stranger {
  uv_poll_t poll;
  int fd;
  int closed;
};

static void stranger_cb(uv_poll_t *h, int status, int events) {
  struct stranger *st = h->data;
  char b[16];
  ssize_t n;

  (void)events;
  n = status < 0 ? 0 : recv(st->fd, b, sizeof(b), MSG_DONTWAIT);
  if (n > 0)
    st->closed = -1;
  else if (n == 0 || errno == ECONNRESET)
    st->closed = 1;
  if (st->closed != 0)
    uv_poll_stop(h);
}

static struct stranger *the_stranger;

static int stranger_or_srv(struct rig *g) {
  return the_stranger->closed != 0 || g->srv.ready != 1;
}

/* PASSIVEDATACONN NOREDIRECT: a connection from another address (127.0.0.2)
 * is closed at once, without a byte, and the listener goes on waiting: the
 * expected peer (127.0.0.1) connects afterwards and is the one served. */
START_TEST(test_stranger_dropped_listener_kept) {
  struct rig g;
  struct ftp_dataconn_opts so = {0}, co = {0};
  struct sockaddr_storage any, target, from;
  struct stranger st = {.fd = -1};
  unsigned port = 0;

  rig_open(&g);
  so.loop = co.loop = &g.loop;
  so.role = FTP_DATACONN_SERVER;
  co.role = FTP_DATACONN_CLIENT;
  so.timeout_ms = co.timeout_ms = 5000;
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 0, &any), 0);
  so.expect_peer = &any;
  ck_assert_int_eq(ftp_dataconn_listen(&so, &any, 0, 0, &g.srv.dc, &port), 0);
  ftp_dataconn_set_data(g.srv.dc, &g.srv);
  ftp_dataconn_when_ready(g.srv.dc, ready_cb);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", port, &target), 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.2", 0, &from), 0);
  /* The stranger: a blocking connect completes in the kernel's backlog. */
  st.fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(st.fd, 0);
  ck_assert_int_eq(bind(st.fd, (struct sockaddr *)&from, sizeof(struct sockaddr_in)), 0);
  ck_assert_int_eq(connect(st.fd, (struct sockaddr *)&target, sizeof(struct sockaddr_in)), 0);
  ck_assert_int_eq(uv_poll_init(&g.loop, &st.poll, st.fd), 0);
  st.poll.data = &st;
  ck_assert_int_eq(uv_poll_start(&st.poll, UV_READABLE | UV_DISCONNECT, stranger_cb), 0);
  the_stranger = &st;
  run_until(&g, stranger_or_srv);
  ck_assert_msg(st.closed == 1, "the stranger's connection was %s",
                st.closed < 0 ? "sent data" : "kept");
  ck_assert_int_eq(g.srv.ready, 1); /* still waiting, neither ready nor failed */
  uv_close((uv_handle_t *)&st.poll, NULL);
  /* The expected peer, after the stranger: it is the one served. */
  ck_assert_int_eq(ftp_dataconn_connect(&co, &target, &g.cli.dc), 0);
  ftp_dataconn_set_data(g.cli.dc, &g.cli);
  ftp_dataconn_when_ready(g.cli.dc, ready_cb);
  run_until(&g, both_ready);
  ck_assert_int_eq(g.srv.ready, 0);
  ck_assert_int_eq(g.cli.ready, 0);
  close(st.fd);
  rig_close(&g);
}
END_TEST

/* Abort a download of size bytes, under TLS or in clear (sendfile), to a
 * client that does not read: done gets FTP_E_ABORTED at once, and
 * everything is released when the rig closes. */
static void abort_during_download(int tls, size_t size) {
  struct rig g;
  char path[300];
  int fd;

  rig_open(&g);
  fd = make_file("src", size, 3, path);
  connect_pair(&g, tls, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, 0, 0, done_cb), 0);
  /* The client does not read: the sender fills the socket and waits. */
  for (int i = 0; i < 20; i++)
    uv_run(&g.loop, UV_RUN_NOWAIT);
  ftp_dataconn_abort(g.srv.dc);
  ck_assert_int_eq(g.srv.done, FTP_E_ABORTED);
  rig_close(&g);
}

START_TEST(test_abort_during_download) { abort_during_download(1, 8u << 20); }
END_TEST

static int srv_done(struct rig *g) { return g->srv.done != 1; }

/* An upload whose sender vanishes without close_notify is a truncation;
 * what arrived is in the file. */
START_TEST(test_upload_cut_without_close_notify) {
  struct rig g;
  char dst[300];
  int out;
  struct stat st;

  rig_open(&g);
  snprintf(dst, sizeof(dst), "%s/dst", dir);
  out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  connect_pair(&g, 1, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_recv_file(g.srv.dc, out, 0, 0, done_cb), 0);
  /* The client side sends nothing and is freed before any shutdown: its
   * TCP connection closes without close_notify. */
  ftp_dataconn_free(g.cli.dc);
  g.cli.dc = NULL;
  run_until(&g, srv_done);
  ck_assert_int_eq(g.srv.done, FTP_E_TLS_TRUNCATED);
  rig_close(&g);
  ck_assert_int_eq(stat(dst, &st), 0);
  ck_assert_int_eq(st.st_size, 0);
}
END_TEST

/* The role decides the TLS role and the checks: it must be given. */
START_TEST(test_role_required) {
  struct rig g;
  struct ftp_dataconn_opts o = {0};
  struct sockaddr_storage any;
  struct ftp_dataconn *dc = NULL;
  unsigned port = 0;

  rig_open(&g);
  o.loop = &g.loop;
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 0, &any), 0);
  ck_assert_int_eq(ftp_dataconn_listen(&o, &any, 0, 0, &dc, &port), UV_EINVAL);
  ck_assert_ptr_null(dc);
  ck_assert_int_eq(ftp_dataconn_connect(&o, &any, &dc), UV_EINVAL);
  ck_assert_ptr_null(dc);
  rig_close(&g);
}
END_TEST

/* The same in clear, where the channel sends with sendfile. */
START_TEST(test_abort_during_clear_download) { abort_during_download(0, 32u << 20); }
END_TEST

/* A download the peer stops reading stalls: done gets UV_ETIMEDOUT, and
 * the file is no longer sent. */
START_TEST(test_clear_download_stalls) {
  struct rig g;
  char path[300];
  uint64_t at;
  int fd;

  /* The file first: the loop's clock starts with the rig. */
  fd = make_file("src", 32u << 20, 9, path);
  rig_open(&g);
  g.srv_timeout_ms = 1000;
  connect_pair(&g, 0, NULL, g.scope);
  ck_assert_int_eq(g.srv.ready, 0);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, 0, 0, done_cb), 0);
  run_until(&g, srv_done);
  ck_assert_int_eq(g.srv.done, UV_ETIMEDOUT);
  at = ftp_dataconn_bytes(g.srv.dc);
  ck_assert(at < 32u << 20);
  for (int i = 0; i < 20; i++)
    uv_run(&g.loop, UV_RUN_NOWAIT);
  ck_assert(ftp_dataconn_bytes(g.srv.dc) == at);
  rig_close(&g);
}
END_TEST

/* A connection carries one transfer: a second is refused, and its file is
 * closed all the same. */
START_TEST(test_second_transfer_refused) {
  struct rig g;
  char path[300];
  int fd, again;

  rig_open(&g);
  fd = make_file("src", 1000, 11, path);
  connect_pair(&g, 0, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, 0, 0, done_cb), 0);
  ck_assert_int_eq(ftp_dataconn_recv_sink(g.cli.dc, 0, sink_cb, done_cb), 0);
  run_until(&g, both_done);
  ck_assert_int_eq(g.srv.done, 0);
  again = open(path, O_RDONLY);
  ck_assert_int_ge(again, 0);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, again, 0, 0, done_cb), UV_EINVAL);
  ck_assert_int_eq(fcntl(again, F_GETFD), -1);
  rig_close(&g);
}
END_TEST

static Suite *dataconn_suite(void) {
  Suite *s = suite_create("dataconn");
  TCase *tc = tcase_create("loopback");

  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_download_clear_sendfile);
  tcase_add_test(tc, test_download_clear_empty);
  tcase_add_test(tc, test_download_clear_rest_offset);
  tcase_add_test(tc, test_download_tls);
  tcase_add_test(tc, test_download_tls_one_byte);
  tcase_add_test(tc, test_download_tls_rest_offset);
  tcase_add_test(tc, test_upload_clear);
  tcase_add_test(tc, test_upload_tls);
  tcase_add_test(tc, test_ascii_both_ways);
  tcase_add_test(tc, test_block_sizes);
  tcase_add_test(tc, test_small_blocks_tls_both_ways);
  tcase_add_test(tc, test_small_blocks_ascii_upload);
  tcase_add_test(tc, test_unresumed_data_connection_refused);
  tcase_add_test(tc, test_stranger_dropped_listener_kept);
  tcase_add_test(tc, test_abort_during_download);
  tcase_add_test(tc, test_upload_cut_without_close_notify);
  tcase_add_test(tc, test_role_required);
  tcase_add_test(tc, test_abort_during_clear_download);
  tcase_add_test(tc, test_clear_download_stalls);
  tcase_add_test(tc, test_second_transfer_refused);
  suite_add_tcase(s, tc);

  /* Loop index _i: 0 TLS 1.3, 1 TLS 1.2. */
  tc = tcase_create("binding");
  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 60);
  tcase_add_loop_test(tc, test_binding_own, 0, 2);
  tcase_add_loop_test(tc, test_binding_sibling, 0, 2);
  tcase_add_loop_test(tc, test_binding_other_user, 0, 2);
  tcase_add_loop_test(tc, test_binding_pending_then_sibling, 0, 2);
  tcase_add_loop_test(tc, test_binding_pending_then_other_user, 0, 2);
  tcase_add_loop_test(tc, test_binding_pending_then_ended, 0, 2);
  tcase_add_loop_test(tc, test_binding_pending_times_out, 0, 2);
  tcase_add_loop_test(tc, test_binding_other_address, 0, 2);
  tcase_add_loop_test(tc, test_binding_ended, 0, 2);
  tcase_add_loop_test(tc, test_binding_other_issuer, 0, 2);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(dataconn_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
