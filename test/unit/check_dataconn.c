/*
 * check_dataconn.c: data connections over real loopback TCP, in clear and
 * under real TLS: files both ways (sendfile in clear, encrypted blocks under
 * TLS), REST offsets, TYPE A, the resumption requirement, a stranger on the
 * passive port, abort, and an upload cut without close_notify.
 *
 * The "server" end listens (passive mode) and the "client" end connects;
 * each test runs on a fresh loop and requires uv_loop_close() to succeed.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
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
#include "err.h"
#include "tls.h"
#include "tls_fixture.h"

static struct tls_fixture fx;
static char dir[256];

static void setup(void) {
  const char *tmp = getenv("TMPDIR");

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
  struct ftp_tls_resume *scope;
  struct side srv, cli;
};

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

static void rig_open(struct rig *g) {
  struct ftp_tls_config sc = {0}, cc = {0};
  char err[256];

  memset(g, 0, sizeof(*g));
  ck_assert_int_eq(uv_loop_init(&g->loop), 0);
  uv_timer_init(&g->loop, &g->watchdog);
  g->watchdog.data = g;
  sc.server = 1;
  sc.keyring = fx.server;
  sc.session_lifetime = 3600;
  ck_assert_msg(ftp_tls_ctx_new(&sc, &g->sctx, err, sizeof(err)) == 0, "%s", err);
  cc.cafile = fx.ca;
  ck_assert_msg(ftp_tls_ctx_new(&cc, &g->cctx, err, sizeof(err)) == 0, "%s", err);
  ck_assert_int_eq(ftp_tls_resume_new(&g->scope, 3600), 0);
  g->srv.ready = g->srv.done = g->cli.ready = g->cli.done = 1;
  ftp_buf_init(&g->srv.got, 64 << 20);
  ftp_buf_init(&g->cli.got, 64 << 20);
}

static void rig_close(struct rig *g) {
  ftp_dataconn_free(g->srv.dc);
  ftp_dataconn_free(g->cli.dc);
  uv_close((uv_handle_t *)&g->watchdog, NULL);
  uv_run(&g->loop, UV_RUN_DEFAULT); /* lingering connections end by themselves */
  ck_assert_int_eq(uv_loop_close(&g->loop), 0);
  ftp_tls_ctx_unref(g->sctx);
  ftp_tls_ctx_unref(g->cctx);
  ftp_tls_resume_free(g->scope);
  ftp_buf_free(&g->srv.got);
  ftp_buf_free(&g->cli.got);
}

static struct side *side_of(struct ftp_dataconn *dc) { return ftp_dataconn_data(dc); }
static void ready_cb(struct ftp_dataconn *dc, int st) { side_of(dc)->ready = st; }
static void done_cb(struct ftp_dataconn *dc, int st) { side_of(dc)->done = st; }

static int sink_cb(struct ftp_dataconn *dc, const void *p, size_t n) {
  return ftp_buf_put(&side_of(dc)->got, p, n);
}

static int both_ready(struct rig *g) { return g->srv.ready != 1 && g->cli.ready != 1; }
static int both_done(struct rig *g) { return g->srv.done != 1 && g->cli.done != 1; }

/* Server listens on 127.0.0.1; the client connects.  tls: PROT P.
 * ctrl: the client's session to resume (NULL: none). */
static void connect_pair(struct rig *g, int tls, gnutls_session_t ctrl,
                         struct ftp_tls_resume *scope) {
  struct ftp_dataconn_opts so = {0}, co = {0};
  struct sockaddr_storage any, target;
  unsigned port = 0;

  so.loop = co.loop = &g->loop;
  so.timeout_ms = co.timeout_ms = 10000;
  so.tls = co.tls = tls;
  so.tls_ctx = g->sctx;
  so.tls_server = 1;
  so.resume = scope;
  so.require_resume = ctrl != NULL;
  co.tls_ctx = g->cctx;
  co.ctrl_session = ctrl;
  co.host = "localhost";
  co.verify = co.verify_host = 1;
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", 0, &any), 0);
  ck_assert_int_eq(ftp_dataconn_listen(&so, &any, 0, 0, &g->srv.dc, &port), 0);
  ftp_dataconn_set_data(g->srv.dc, &g->srv);
  ck_assert_int_gt(port, 0);
  ck_assert_int_eq(ftp_addr_from_string("127.0.0.1", port, &target), 0);
  ck_assert_int_eq(ftp_dataconn_connect(&co, &target, &g->cli.dc), 0);
  ftp_dataconn_set_data(g->cli.dc, &g->cli);
  ftp_dataconn_when_ready(g->srv.dc, ready_cb);
  ftp_dataconn_when_ready(g->cli.dc, ready_cb);
  run_until(g, both_ready);
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

/* SECURE_SESSION_REUSE REQUIRED: a data connection that does not resume
 * the control session's TLS session is refused; nothing is transferred. */
START_TEST(test_unresumed_data_connection_refused) {
  struct rig g;
  struct ftp_tls_resume *other;
  gnutls_session_t fake_ctrl;

  rig_open(&g);
  /* A client session that never talked to this scope: nothing to resume. */
  ck_assert_int_eq(ftp_tls_resume_new(&other, 3600), 0);
  ck_assert_int_eq(ftp_tls_client_session(g.cctx, "localhost", 1, 1, NULL, &fake_ctrl), 0);
  connect_pair(&g, 1, fake_ctrl, g.scope);
  ck_assert_int_eq(g.srv.ready, FTP_E_TLS_NOT_RESUMED);
  gnutls_deinit(fake_ctrl);
  ftp_tls_resume_free(other);
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

/* Abort during a download: done gets FTP_E_ABORTED at once. */
START_TEST(test_abort_during_download) {
  struct rig g;
  char path[300];
  int fd;

  rig_open(&g);
  fd = make_file("src", 8u << 20, 3, path);
  connect_pair(&g, 1, NULL, g.scope);
  ck_assert_int_eq(ftp_dataconn_send_file(g.srv.dc, fd, 0, 0, done_cb), 0);
  /* The client does not read: the sender fills the socket and waits. */
  for (int i = 0; i < 20; i++)
    uv_run(&g.loop, UV_RUN_NOWAIT);
  ftp_dataconn_abort(g.srv.dc);
  ck_assert_int_eq(g.srv.done, FTP_E_ABORTED);
  rig_close(&g);
}
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
  tcase_add_test(tc, test_unresumed_data_connection_refused);
  tcase_add_test(tc, test_stranger_dropped_listener_kept);
  tcase_add_test(tc, test_abort_during_download);
  tcase_add_test(tc, test_upload_cut_without_close_notify);
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
