/*
 * dataconn.c: open, secure and close one data connection; the transfer
 * that runs on it is dataconn_send.c's or dataconn_recv.c's.
 *
 * Life of a connection:
 *   LISTENING / CONNECTING -> HANDSHAKE (PROT P) -> READY -> XFER -> DONE
 * with FAILED reachable from every state before DONE.  The owner calls
 * ftp_dataconn_free() whenever it is finished with the connection; memory
 * goes only when every libuv handle and the channel are closed (the
 * channel waits for its own thread-pool work); the transfer, released
 * then, waits for its own.
 */
#include "dataconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "chan.h"
#include "dataconn_int.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"
#include "proxyproto.h"

enum dc_state {
  DC_LISTENING,
  DC_CONNECTING,
  DC_HANDSHAKE,
  DC_READY,
  DC_XFER,
  DC_DONE,
  DC_FAILED
};

struct ftp_dataconn {
  struct ftp_dataconn_opts opts; /* expect_peer and host point below */
  struct sockaddr_storage expect;
  char host[FTP_HOST_MAX];
  void *data;

  enum dc_state state;
  int status;             /* why it failed, or how the transfer ended */
  int strays;             /* connections from strangers dropped */
  uv_tcp_t listener;
  uv_timer_t timer;       /* open, handshake, login wait, stall, linger */
  uv_timer_t defer;       /* deliver a decided result on a later iteration */
  struct ftp_chan *ch;
  struct ftp_tls_probe probe; /* server: what the handshake offered */

  ftp_dataconn_cb *ready_cb;
  ftp_dataconn_cb *done_cb;
  struct ftp__dc_xfer *xfer;  /* the transfer, once one began */
  uint64_t bytes;             /* moved by the transfer (file side) */

  int open_handles;           /* timer, defer, and the listener if open */
  unsigned listener_open : 1;
  unsigned chan_open : 1;
  unsigned sent_ok : 1;       /* a send ended with everything written */
  unsigned freed : 1;
  unsigned lingering : 1;
  unsigned secured : 1;       /* PROT P: the handshake and its checks passed */
  unsigned awaiting_login : 1; /* server: the session's issuer logs in */
  unsigned accept_held : 1;    /* a connection waits while a header is read */
  struct ftp_proxy_reader *proxy; /* a balancer's header being read, or NULL */
  struct sockaddr_storage proxy_peer; /* that balancer */
};

static void fail(struct ftp_dataconn *dc, int status);
static void maybe_release(struct ftp_dataconn *dc);

int ftp_dataconn_is_refusal(int status) {
  return status == FTP_E_TLS_NOT_RESUMED || status == FTP_E_TLS_SESSION_UNKNOWN ||
         status == FTP_E_TLS_SESSION_OTHER_USER ||
         status == FTP_E_TLS_SESSION_OTHER_ADDRESS || status == FTP_E_TLS_CERT_MISMATCH;
}

void ftp_dataconn_set_data(struct ftp_dataconn *dc, void *data) { dc->data = data; }
void *ftp_dataconn_data(const struct ftp_dataconn *dc) { return dc->data; }
uint64_t ftp_dataconn_bytes(const struct ftp_dataconn *dc) { return dc->bytes; }
unsigned ftp_dataconn_strays(const struct ftp_dataconn *dc) { return (unsigned)dc->strays; }

gnutls_session_t ftp_dataconn_session(const struct ftp_dataconn *dc) {
  return dc->secured && dc->ch != NULL ? ftp_chan_session(dc->ch) : NULL;
}

#define DC_OF(handle, field) \
  ((struct ftp_dataconn *)((char *)(handle) - offsetof(struct ftp_dataconn, field)))

/* --- creation ------------------------------------------------------------- */

static int dc_new(const struct ftp_dataconn_opts *opts, struct ftp_dataconn **out) {
  struct ftp_dataconn *dc;

  if (opts->role != FTP_DATACONN_SERVER && opts->role != FTP_DATACONN_CLIENT)
    return UV_EINVAL;
  if ((dc = calloc(1, sizeof(*dc))) == NULL)
    return FTP_E_NOMEM;
  dc->opts = *opts;
  if (opts->expect_peer != NULL) {
    dc->expect = *opts->expect_peer;
    dc->opts.expect_peer = &dc->expect;
  }
  if (opts->role == FTP_DATACONN_CLIENT && opts->client.host != NULL) {
    snprintf(dc->host, sizeof(dc->host), "%s", opts->client.host);
    dc->opts.client.host = dc->host;
  }
  uv_timer_init(dc->opts.loop, &dc->timer);
  uv_timer_init(dc->opts.loop, &dc->defer);
  dc->open_handles = 2;
  *out = dc;
  return 0;
}

static void timeout_cb(uv_timer_t *t) {
  struct ftp_dataconn *dc = DC_OF(t, timer);

  if (dc->awaiting_login) {
    /* The control connection the session was issued to never logged in:
     * it vouches for no one. */
    dc->awaiting_login = 0;
    log_info_r(ftp_tlsbind_verdict_error(FTP_TLSBIND_PENDING),
               "data connection refused (SECURE_SESSION_REUSE REQUIRED): %s",
               ftp_tlsbind_verdict_text(FTP_TLSBIND_PENDING));
    fail(dc, ftp_tlsbind_verdict_error(FTP_TLSBIND_PENDING));
    return;
  }
  if (dc->state == DC_XFER) {
    log_info_r(UV_ETIMEDOUT, "data connection stalled for %u ms", dc->opts.timeout_ms);
    ftp_chan_read_stop(dc->ch);
    ftp__dc_finish(dc, UV_ETIMEDOUT);
  } else {
    fail(dc, UV_ETIMEDOUT);
  }
}

static void arm_timeout(struct ftp_dataconn *dc) {
  if (dc->opts.timeout_ms > 0 && !dc->freed)
    uv_timer_start(&dc->timer, timeout_cb, dc->opts.timeout_ms, 0);
}

static int new_chan(struct ftp_dataconn *dc) {
  struct ftp_chan_opts co = {0};
  int r;

  co.in_max = FTP_DATA_TLS_IN_MAX;
  co.out_max = FTP_DATA_QUEUE_MAX;
  co.release_idle = 0;
  if ((r = ftp_chan_new(dc->opts.loop, &co, &dc->ch)) != 0)
    return r;
  ftp_chan_set_data(dc->ch, dc);
  dc->chan_open = 1;
  return 0;
}

/* --- becoming ready ------------------------------------------------------- */

static void defer_cb(uv_timer_t *t) {
  struct ftp_dataconn *dc = DC_OF(t, defer);
  ftp_dataconn_cb *cb = dc->ready_cb;

  if (dc->freed || cb == NULL)
    return;
  if (dc->state == DC_READY) {
    dc->ready_cb = NULL;
    cb(dc, 0);
  } else if (dc->state == DC_FAILED) {
    dc->ready_cb = NULL;
    cb(dc, dc->status);
  }
}

void ftp_dataconn_when_ready(struct ftp_dataconn *dc, ftp_dataconn_cb *cb) {
  dc->ready_cb = cb;
  if (dc->state == DC_READY || dc->state == DC_FAILED)
    uv_timer_start(&dc->defer, defer_cb, 0, 0);
}

static void become_ready(struct ftp_dataconn *dc) {
  dc->state = DC_READY;
  uv_timer_stop(&dc->timer);
  if (dc->ready_cb != NULL)
    uv_timer_start(&dc->defer, defer_cb, 0, 0);
}

static void chan_closed(struct ftp_chan *ch) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  dc->chan_open = 0;
  dc->ch = NULL;
  maybe_release(dc);
}

static void close_chan(struct ftp_dataconn *dc) {
  if (dc->ch != NULL && !dc->lingering)
    ftp_chan_close(dc->ch, chan_closed);
}

static void listener_closed(uv_handle_t *h) {
  struct ftp_dataconn *dc = DC_OF(h, listener);

  dc->listener_open = 0;
  dc->open_handles--;
  maybe_release(dc);
}

static void close_listener(struct ftp_dataconn *dc) {
  if (dc->listener_open && !uv_is_closing((uv_handle_t *)&dc->listener))
    uv_close((uv_handle_t *)&dc->listener, listener_closed);
}

static void fail(struct ftp_dataconn *dc, int status) {
  if (dc->state == DC_FAILED || dc->state == DC_DONE)
    return;
  if (dc->state == DC_XFER) {
    ftp__dc_finish(dc, status);
    return;
  }
  dc->state = DC_FAILED;
  dc->status = status;
  uv_timer_stop(&dc->timer);
  close_listener(dc);
  close_chan(dc);
  if (dc->ready_cb != NULL)
    uv_timer_start(&dc->defer, defer_cb, 0, 0);
}

/* --- the checks of PROT P ------------------------------------------------- */

/* The verdict on the session as the result of the reuse check: 0 when it
 * binds the connection (or need not), else the refusal, logged. */
static int reuse_result(const struct ftp_dataconn *dc, enum ftp_tlsbind_verdict v) {
  if (!dc->opts.require_resume)
    return 0;
  if (ftp_tlsbind_accepts(v)) {
    if (v == FTP_TLSBIND_SIBLING)
      log_info("data connection accepted: %s", ftp_tlsbind_verdict_text(v));
    return 0;
  }
  log_info_r(ftp_tlsbind_verdict_error(v),
             "data connection refused (SECURE_SESSION_REUSE REQUIRED): %s",
             ftp_tlsbind_verdict_text(v));
  return ftp_tlsbind_verdict_error(v);
}

/* TLSCERTCROSSCHECK: the client certificate is the control connection's. */
static int check_server_session(struct ftp_dataconn *dc, gnutls_session_t s) {
  const struct ftp_dataconn_server_opts *so = &dc->opts.server;
  int resumed = ftp_tls_is_resumed(s);
  unsigned char id[32];
  int r;

  if (so->cert_crosscheck && so->have_ctrl_cert) {
    r = ftp_tls_peer_cert_id(s, id, NULL, 0);
    if (r == 0 && memcmp(id, so->ctrl_cert_sha256, sizeof(id)) != 0)
      return FTP_E_TLS_CERT_MISMATCH;
    /* A resumed session may not carry the certificate again; resumption
     * already ties it to the control session that had it. */
    if (r != 0 && !resumed)
      return FTP_E_TLS_CERT_MISMATCH;
  }
  return 0;
}

static void secured(struct ftp_dataconn *dc, int status) {
  char desc[96];

  if (status != 0) {
    if (status == FTP_E_TLS)
      log_info_r(ftp_chan_tls_err(dc->ch), "data connection TLS handshake failed");
    fail(dc, status);
    return;
  }
  dc->secured = 1;
  ftp_tls_describe(ftp_chan_session(dc->ch), desc, sizeof(desc));
  log_debug("data connection secured: %s", desc);
  become_ready(dc);
}

static void login_settled_cb(struct ftp_tls_probe *p, enum ftp_tlsbind_verdict v) {
  struct ftp_dataconn *dc = DC_OF(p, probe);
  int r;

  dc->awaiting_login = 0;
  if (dc->freed || dc->state != DC_HANDSHAKE)
    return;
  if ((r = reuse_result(dc, v)) == 0)
    r = check_server_session(dc, ftp_chan_session(dc->ch));
  secured(dc, r);
}

/*
 * SECURE_SESSION_REUSE REQUIRED, the one check both programs run.
 * Security: anyone can connect to a passive port (and answer an active
 * connection); only a resumed TLS session shows that the peer holds a
 * session we gave to this client.  The server asks whose session it was
 * (tlsresume.h, tlsbind.h): its own control session's, or a sibling's (same
 * user, same address, still connected), waiting for the issuer's login when
 * it has not logged in yet; the client offers nothing but its control
 * session's, so a resumption is that.
 * RETURNS: 0, a refusal, or 1: waiting for a login (login_settled_cb).
 */
static int check_reuse(struct ftp_dataconn *dc, gnutls_session_t s) {
  enum ftp_tlsbind_verdict v;

  if (dc->opts.role == FTP_DATACONN_CLIENT)
    return reuse_result(dc, ftp_tls_is_resumed(s) ? FTP_TLSBIND_OWN
                                                  : FTP_TLSBIND_NOT_RESUMED);
  v = ftp_tls_probe_verdict(&dc->probe, s);
  if (v == FTP_TLSBIND_PENDING && dc->opts.require_resume) {
    log_debug("data connection: %s; waiting for its login",
              ftp_tlsbind_verdict_text(v));
    dc->awaiting_login = 1;
    ftp_tls_probe_wait(&dc->probe, login_settled_cb);
    /* The wait is bounded: by the connection's own timeout when shorter. */
    if (dc->opts.timeout_ms == 0 || dc->opts.timeout_ms > FTP_TLS_LOGIN_WAIT_MS)
      uv_timer_start(&dc->timer, timeout_cb, FTP_TLS_LOGIN_WAIT_MS, 0);
    return 1;
  }
  return reuse_result(dc, v);
}

static void handshake_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  gnutls_session_t s = ftp_chan_session(ch);
  int server = dc->opts.role == FTP_DATACONN_SERVER;
  char sum[96];

  if (status == 0 && server) {
    ftp_tls_handshake_summary(s, sum, sizeof(sum));
    log_debug("data connection handshake: %s", sum);
  }
  if (status == 0 && (status = check_reuse(dc, s)) == 1)
    return;
  if (status == 0)
    status = server ? check_server_session(dc, s) : ftp_tls_check_alpn(s);
  secured(dc, status);
}

/* RFC 4217 section 7: whoever connected, the FTP server is the TLS server
 * and the FTP client the TLS client on the data connection. */
static int tls_session(struct ftp_dataconn *dc, gnutls_session_t *s) {
  const struct ftp_dataconn_client_opts *co = &dc->opts.client;

  if (dc->opts.role == FTP_DATACONN_SERVER)
    return ftp_tls_server_session(dc->opts.tls_ctx, dc->opts.server.resume,
                                  &dc->probe, s);
  return ftp_tls_client_session(dc->opts.tls_ctx, co->host, co->verify,
                                co->verify_host, co->ctrl_session, s);
}

static void connection_up(struct ftp_dataconn *dc) {
  gnutls_session_t s = NULL;
  int r;

  ftp_chan_set_nodelay(dc->ch, 1);
  if (dc->opts.keepalive > 0)
    ftp_chan_set_keepalive(dc->ch, dc->opts.keepalive);
  if (!dc->opts.tls) {
    become_ready(dc);
    return;
  }
  dc->state = DC_HANDSHAKE;
  if ((r = tls_session(dc, &s)) == 0)
    r = ftp_chan_tls_start(dc->ch, s, NULL, 0, handshake_cb);
  if (r != 0)
    fail(dc, r);
}

/* --- listening ------------------------------------------------------------ */

static void stray_closed(struct ftp_chan *ch) { (void)ch; }

static void connection_cb(uv_stream_t *server, int status);

/* Drop the connection just accepted and go on waiting for the client's. */
static void drop_stray(struct ftp_dataconn *dc) {
  ftp_chan_close(dc->ch, stray_closed);
  dc->ch = NULL;
  dc->chan_open = 0;
  if (++dc->strays > FTP_DATA_STRAYS_MAX) {
    fail(dc, FTP_E_REFUSED);
    return;
  }
  if (dc->accept_held) {
    /* libuv kept the next connection for us while a header was read. */
    dc->accept_held = 0;
    connection_cb((uv_stream_t *)&dc->listener, 0);
  }
}

static int from_balancer(const struct ftp_dataconn *dc, const struct sockaddr_storage *peer) {
  return ftp_cidr_match_any(dc->opts.server.balancers, dc->opts.server.nbalancers, peer);
}

/* The connection's client is client (the peer, or a balancer's header's
 * source): it is ours, or a stray. */
static void accept_client(struct ftp_dataconn *dc, const struct sockaddr_storage *client) {
  char who[64] = "?";

  if (dc->opts.expect_peer != NULL && !ftp_addr_same_host(client, dc->opts.expect_peer)) {
    /* Security: a connection from anyone else is dropped without ending
     * the wait for the real client (data-connection theft). */
    ftp_addr_to_string(client, who, sizeof(who));
    if (!dc->opts.server.proxy_header && from_balancer(dc, client))
      log_warn_r(FTP_E_REFUSED, "data connection from balancer %s refused: "
                 "PASSIVEDATACONN NOREDIRECT compares it with the client's address; "
                 "code PROXYPROTOCOLDATA TRUE or PASSIVEDATACONN UNRESTRICTED", who);
    else
      log_warn_r(FTP_E_REFUSED, "data connection from %s refused: not the control peer",
                 who);
    drop_stray(dc);
    return;
  }
  close_listener(dc);
  connection_up(dc);
}

/* --- a balancer's PROXY header (PROXYPROTOCOLDATA) ------------------------ */

static void proxy_done(struct ftp_dataconn *dc) {
  free(dc->proxy);
  dc->proxy = NULL;
  ftp_chan_read_stop(dc->ch);
  arm_timeout(dc);
}

static void proxy_refuse(struct ftp_dataconn *dc, const char *why) {
  char who[64] = "?";

  ftp_addr_to_string(&dc->proxy_peer, who, sizeof(who));
  log_warn_r(FTP_E_REFUSED, "data connection from balancer %s dropped: %s", who, why);
  proxy_done(dc);
  drop_stray(dc);
}

static void proxy_timeout_cb(uv_timer_t *t) {
  proxy_refuse(DC_OF(t, timer), "no PROXY protocol header in time");
}

static void proxy_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  void *p;
  size_t n;

  (void)suggested;
  ftp_proxy_reader_want(dc->proxy, &p, &n);
  *buf = uv_buf_init(p, (unsigned)n);
}

static void proxy_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  struct ftp_proxy_hdr h;
  int r = 0;

  (void)buf;
  if (nread == 0 || dc->state != DC_LISTENING)
    return;
  if (nread < 0 || (r = ftp_proxy_reader_got(dc->proxy, (size_t)nread, &h)) < 0) {
    proxy_refuse(dc, nread < 0 ? "closed before its PROXY protocol header"
                               : "malformed PROXY protocol header");
    return;
  }
  if (r == FTP_PROXY_MORE)
    return;
  proxy_done(dc);
  if (h.command == FTP_PROXY_CMD_LOCAL) {
    drop_stray(dc); /* a health check on a passive port */
    return;
  }
  /* UNKNOWN: the balancer's own address, as the specification says. */
  accept_client(dc, h.command == FTP_PROXY_CMD_PROXY ? &h.src : &dc->proxy_peer);
}

/* Only the header's bytes are read: a ClientHello or upload after it stays
 * in the socket. */
static int proxy_start(struct ftp_dataconn *dc, const struct sockaddr_storage *peer) {
  if ((dc->proxy = malloc(sizeof(*dc->proxy))) == NULL)
    return FTP_E_NOMEM;
  ftp_proxy_reader_init(dc->proxy);
  dc->proxy_peer = *peer;
  uv_timer_start(&dc->timer, proxy_timeout_cb, FTP_PROXY_WAIT_MS, 0);
  return ftp_chan_read_start(dc->ch, proxy_alloc, proxy_read);
}

static void connection_cb(uv_stream_t *server, int status) {
  struct ftp_dataconn *dc = DC_OF(server, listener);
  struct sockaddr_storage peer;
  int r;

  if (dc->state != DC_LISTENING)
    return;
  if (status < 0) {
    fail(dc, status);
    return;
  }
  if (dc->proxy != NULL) {
    /* One at a time: libuv holds this one until we accept it. */
    dc->accept_held = 1;
    return;
  }
  if ((r = new_chan(dc)) != 0 || (r = ftp_chan_accept(dc->ch, server)) != 0) {
    close_chan(dc);
    fail(dc, r);
    return;
  }
  if (ftp_chan_peer(dc->ch, &peer) != 0) {
    drop_stray(dc);
    return;
  }
  if (dc->opts.server.proxy_header && from_balancer(dc, &peer)) {
    if ((r = proxy_start(dc, &peer)) != 0)
      fail(dc, r);
    return;
  }
  accept_client(dc, &peer);
}

static unsigned random_below(unsigned n) {
  unsigned v = 0;

  if (n <= 1 || uv_random(NULL, NULL, &v, sizeof(v), 0, NULL) != 0)
    return 0;
  return v % n;
}

static int bind_in_range(struct ftp_dataconn *dc, const struct sockaddr_storage *bind_addr,
                         unsigned lo, unsigned hi, unsigned *port) {
  struct sockaddr_storage sa = *bind_addr;
  unsigned n, start, i, tries;
  int len = sizeof(sa);
  int r = UV_EADDRINUSE;

  if (lo == 0 && hi == 0) {
    lo = hi = 0;
    n = 1;
  } else {
    n = hi - lo + 1;
  }
  start = random_below(n);
  tries = n < FTP_DATA_BIND_TRIES ? n : FTP_DATA_BIND_TRIES;
  for (i = 0; i < tries; i++) {
    ftp_addr_set_port(&sa, n == 1 && lo == 0 ? 0 : lo + (start + i) % n);
    r = uv_tcp_bind(&dc->listener, (struct sockaddr *)&sa, 0);
    if (r == 0)
      r = uv_listen((uv_stream_t *)&dc->listener, FTP_DATA_BACKLOG, connection_cb);
    if (r != UV_EADDRINUSE)
      break;
  }
  if (r != 0)
    return r;
  if ((r = uv_tcp_getsockname(&dc->listener, (struct sockaddr *)&sa, &len)) != 0)
    return r;
  *port = ftp_addr_port(&sa);
  return 0;
}

int ftp_dataconn_listen(const struct ftp_dataconn_opts *opts,
                        const struct sockaddr_storage *bind_addr,
                        unsigned port_low, unsigned port_high,
                        struct ftp_dataconn **out, unsigned *port) {
  struct ftp_dataconn *dc;
  int r;

  *out = NULL;
  if ((r = dc_new(opts, &dc)) != 0)
    return r;
  if ((r = uv_tcp_init(dc->opts.loop, &dc->listener)) != 0) {
    ftp_dataconn_free(dc);
    return r;
  }
  dc->listener_open = 1;
  dc->open_handles++;
  dc->state = DC_LISTENING;
  if ((r = bind_in_range(dc, bind_addr, port_low, port_high, port)) != 0) {
    dc->state = DC_FAILED;
    ftp_dataconn_free(dc);
    return r;
  }
  arm_timeout(dc);
  *out = dc;
  return 0;
}

/* --- connecting ----------------------------------------------------------- */

static void connected_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  if (dc->state != DC_CONNECTING)
    return;
  if (status < 0) {
    fail(dc, status);
    return;
  }
  connection_up(dc);
}

int ftp_dataconn_connect(const struct ftp_dataconn_opts *opts,
                         const struct sockaddr_storage *target,
                         struct ftp_dataconn **out) {
  struct ftp_dataconn *dc;
  int r;

  *out = NULL;
  if ((r = dc_new(opts, &dc)) != 0)
    return r;
  /* The connection's timer bounds the connect: the channel sets none. */
  if ((r = new_chan(dc)) != 0 ||
      (r = ftp_chan_connect(dc->ch, (const struct sockaddr *)target, connected_cb)) != 0) {
    dc->state = DC_FAILED;
    ftp_dataconn_free(dc);
    return r;
  }
  dc->state = DC_CONNECTING;
  arm_timeout(dc);
  *out = dc;
  return 0;
}

/* --- the transfer's side -------------------------------------------------- */

int ftp__dc_begin(struct ftp_dataconn *dc, struct ftp__dc_xfer *x,
                  ftp_dataconn_cb *done) {
  if (dc->xfer != NULL) {
    x->dc = NULL;
    x->ops->release(x);
    return dc->state == DC_FAILED ? dc->status : UV_EINVAL;
  }
  dc->xfer = x;
  x->dc = dc;
  if (dc->state != DC_READY)
    return dc->state == DC_FAILED ? dc->status : UV_EINVAL;
  dc->state = DC_XFER;
  dc->done_cb = done;
  arm_timeout(dc);
  return 0;
}

int ftp__dc_running(const struct ftp_dataconn *dc) { return dc->state == DC_XFER; }
struct ftp__dc_xfer *ftp__dc_xfer(const struct ftp_dataconn *dc) { return dc->xfer; }
struct ftp_chan *ftp__dc_chan(const struct ftp_dataconn *dc) { return dc->ch; }
uv_loop_t *ftp__dc_loop(const struct ftp_dataconn *dc) { return dc->opts.loop; }

void ftp__dc_progress(struct ftp_dataconn *dc, size_t n) {
  dc->bytes += n;
  arm_timeout(dc); /* the stall timer restarts on every piece */
}

void ftp__dc_finish(struct ftp_dataconn *dc, int status) {
  ftp_dataconn_cb *cb = dc->done_cb;

  if (dc->state != DC_XFER)
    return;
  dc->state = DC_DONE;
  dc->status = status;
  dc->done_cb = NULL;
  uv_timer_stop(&dc->timer);
  if (dc->xfer->ops->stop != NULL)
    dc->xfer->ops->stop(dc->xfer);
  if (cb != NULL && !dc->freed)
    cb(dc, status);
}

static void sent_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  dc->sent_ok = status == 0;
  ftp__dc_finish(dc, status);
}

void ftp__dc_end_send(struct ftp_dataconn *dc) {
  int r = ftp_chan_shutdown(dc->ch, sent_cb);

  if (r != 0)
    ftp__dc_finish(dc, r);
}

static void recv_shut_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  /* Our answering close_notify is a courtesy: the upload is complete
   * whether or not the peer, already gone, receives it. */
  if (status != 0)
    log_debug_r(status, "answering close_notify");
  ftp__dc_finish(dc, 0);
}

void ftp__dc_end_recv(struct ftp_dataconn *dc, int status) {
  if (status == 0 && ftp_chan_is_tls(dc->ch) &&
      ftp_chan_shutdown(dc->ch, recv_shut_cb) == 0)
    return;
  ftp__dc_finish(dc, status);
}

/* --- information ---------------------------------------------------------- */

void ftp_dataconn_describe(const struct ftp_dataconn *dc, char *buf, size_t n) {
  gnutls_session_t s = dc->ch != NULL ? ftp_chan_session(dc->ch) : NULL;

  /* A PROT P connection that failed before its handshake and checks
   * passed carried nothing, and never in clear: do not call it "clear". */
  if (!dc->opts.tls)
    snprintf(buf, n, "clear");
  else if (!dc->secured)
    snprintf(buf, n, "TLS not established");
  else if (s != NULL)
    ftp_tls_describe(s, buf, n);
  else
    snprintf(buf, n, "TLS");
}

int ftp_dataconn_peer(const struct ftp_dataconn *dc, struct sockaddr_storage *ss) {
  if (dc->ch == NULL)
    return UV_ENOTCONN;
  return ftp_chan_peer(dc->ch, ss);
}

/* --- ending --------------------------------------------------------------- */

void ftp_dataconn_abort(struct ftp_dataconn *dc) {
  if (dc == NULL)
    return;
  if (dc->state == DC_XFER) {
    close_chan(dc);
    ftp__dc_finish(dc, FTP_E_ABORTED);
  } else {
    fail(dc, FTP_E_ABORTED);
  }
}

static void handle_closed(uv_handle_t *h) {
  struct ftp_dataconn *dc = h->data;

  dc->open_handles--;
  maybe_release(dc);
}

static void maybe_release(struct ftp_dataconn *dc) {
  struct ftp__dc_xfer *x = dc->xfer;

  if (!dc->freed || dc->open_handles > 0 || dc->chan_open)
    return;
  /* The channel is closed: nothing of it uses the transfer's file any
   * more.  The transfer goes when its own requests are done. */
  if (x != NULL) {
    x->dc = NULL;
    x->ops->release(x);
  }
  /* The TLS session is gone with the channel: its probe may let go. */
  ftp_tls_probe_clear(&dc->probe);
  free(dc->proxy);
  free(dc);
}

static void close_all(struct ftp_dataconn *dc) {
  dc->lingering = 0;
  close_listener(dc);
  close_chan(dc);
  dc->timer.data = dc;
  dc->defer.data = dc;
  if (!uv_is_closing((uv_handle_t *)&dc->timer))
    uv_close((uv_handle_t *)&dc->timer, handle_closed);
  if (!uv_is_closing((uv_handle_t *)&dc->defer))
    uv_close((uv_handle_t *)&dc->defer, handle_closed);
  maybe_release(dc);
}

static void linger_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  static char discard[FTP_DATA_LINGER_PIECE]; /* never read: shared is fine */
  (void)ch;
  (void)suggested;
  *buf = uv_buf_init(discard, sizeof(discard));
}

static void linger_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  (void)buf;
  if (nread < 0)
    close_all(dc);
}

static void linger_timeout(uv_timer_t *t) { close_all(DC_OF(t, timer)); }

void ftp_dataconn_free(struct ftp_dataconn *dc) {
  if (dc == NULL || dc->freed)
    return;
  dc->freed = 1;
  dc->ready_cb = NULL;
  dc->done_cb = NULL;
  uv_timer_stop(&dc->defer);
  if (dc->state == DC_DONE && dc->sent_ok && dc->ch != NULL &&
      ftp_chan_read_start(dc->ch, linger_alloc, linger_read) == 0) {
    /* We sent everything and our FIN: read until the peer closes too, so
     * our close never resets data it has not read yet. */
    dc->lingering = 1;
    uv_timer_start(&dc->timer, linger_timeout, FTP_DATA_LINGER_MS, 0);
    return;
  }
  close_all(dc);
}
