/*
 * dataconn.c: open, secure, pump and close one data connection.
 *
 * Life of a connection:
 *   LISTENING / CONNECTING -> HANDSHAKE (PROT P) -> READY -> XFER -> DONE
 * with FAILED reachable from every state before DONE.  The owner calls
 * ftp_dataconn_free() whenever it is finished with the connection; memory
 * goes only when every libuv handle is closed and no file request is still
 * running in the thread pool (those cannot be cancelled once started).
 */
#include "dataconn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "addr.h"
#include "ascii.h"
#include "chan.h"
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

/* Write-queue marks for the senders: keep about a megabyte in flight, which
 * fills a loopback socket and any real path's bandwidth-delay product. */
#define QUEUE_HIGH (2 * 1024 * 1024)
#define QUEUE_LOW (1024 * 1024)

/* One sendfile run on the thread pool sends at most this much. */
#define SENDFILE_CHUNK (64 * 1024 * 1024)

/* TYPE A input is read into a scratch buffer and converted into the file
 * block: CRLF -> LF shrinks data, but a CR held back from the previous piece
 * can make the output one byte longer than the input. */
#define ASCII_SCRATCH (64 * 1024)

/* Connections from strangers a listener drops before it gives up. */
#define MAX_STRAYS 16

/* How long a finished sender waits for the peer to close. */
#define LINGER_MS 2000

struct ftp_dataconn {
  struct ftp_dataconn_opts opts;
  struct sockaddr_storage expect;
  char host[256];
  uv_loop_t *loop;
  void *data;

  enum dc_state state;
  int status;             /* why it failed */
  int strays;
  uv_tcp_t listener;
  uv_connect_t creq;
  uv_timer_t timer;       /* timeouts, stall, linger */
  uv_timer_t defer;       /* deliver a decided result on a later iteration */
  struct ftp_chan *ch;

  ftp_dataconn_cb *ready_cb;
  ftp_dataconn_cb *done_cb;
  ftp_dataconn_sink_cb *sink;

  /* transfer */
  uv_file fd;
  int64_t off;
  int ascii;
  struct ftp_ascii conv;
  uint64_t bytes;
  unsigned char *blk[2];
  size_t fill[2];
  int cur;                /* the block being filled (recv) or sent next (send) */
  int writing;            /* receiving: the block being written, or -1 */
  int reading;            /* sending: the block being read, or -1 */
  int read_eof;           /* sending: the file is read to its end */
  int paused;             /* receiving: both blocks busy */
  int end_status;         /* receiving: how the stream ended, 1 while open */
  int file_err;
  unsigned char *convbuf; /* sending TYPE A: converted block */
  struct ftp_buf mem;     /* sending a listing */
  uv_fs_t freq;
  uv_work_t sfwork;       /* sendfile run on the thread pool */
  size_t sf_sent;
  int sf_status;
  int fs_busy;

  /* sendfile in clear */
  uv_poll_t poll;
  int sock_dup;

  int open_handles;
  unsigned listener_open : 1;
  unsigned poll_open : 1;
  unsigned chan_open : 1;
  unsigned sent_ok : 1;
  unsigned freed : 1;
  unsigned lingering : 1;
  unsigned secured : 1;   /* PROT P: the handshake and its checks passed */
  unsigned awaiting_login : 1; /* server: the session's issuer logs in */
  unsigned accept_held : 1;    /* a connection waits while a header is read */
  struct ftp_proxy_reader *proxy; /* a balancer's header being read, or NULL */
  struct sockaddr_storage proxy_peer; /* that balancer */
  struct ftp_tls_probe probe;     /* server: what the handshake offered */
};

static void fail(struct ftp_dataconn *dc, int status);
static void finish(struct ftp_dataconn *dc, int status);
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

  if ((dc = calloc(1, sizeof(*dc))) == NULL)
    return FTP_E_NOMEM;
  dc->opts = *opts;
  dc->loop = opts->loop;
  if (opts->expect_peer != NULL) {
    dc->expect = *opts->expect_peer;
    dc->opts.expect_peer = &dc->expect;
  }
  if (opts->host != NULL) {
    snprintf(dc->host, sizeof(dc->host), "%s", opts->host);
    dc->opts.host = dc->host;
  }
  dc->sock_dup = -1;
  dc->fd = -1;
  dc->writing = -1;
  dc->reading = -1;
  dc->end_status = 1;
  ftp_buf_init(&dc->mem, FTP_LISTING_MAX);
  uv_timer_init(dc->loop, &dc->timer);
  uv_timer_init(dc->loop, &dc->defer);
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
    log_info("data connection refused (SECURE_SESSION_REUSE REQUIRED): %s",
             ftp_tlsbind_verdict_text(FTP_TLSBIND_PENDING));
    fail(dc, ftp_tlsbind_verdict_error(FTP_TLSBIND_PENDING));
    return;
  }
  if (dc->state == DC_XFER) {
    log_info("data connection stalled for %u ms", dc->opts.timeout_ms);
    ftp_chan_read_stop(dc->ch);
    finish(dc, UV_ETIMEDOUT);
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

  co.in_max = 512 * 1024;
  co.out_max = 4 * 1024 * 1024;
  co.release_idle = 0;
  if ((r = ftp_chan_new(dc->loop, &co, &dc->ch)) != 0)
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
    finish(dc, status);
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
  log_info("data connection refused (SECURE_SESSION_REUSE REQUIRED): %s",
           ftp_tlsbind_verdict_text(v));
  return ftp_tlsbind_verdict_error(v);
}

/* RFC 4217 section 7: whoever connected, the FTP server is the TLS server
 * and the FTP client the TLS client on the data connection. */
static int check_server_session(struct ftp_dataconn *dc, gnutls_session_t s) {
  int resumed = ftp_tls_is_resumed(s);
  unsigned char id[32];
  int r;

  if (dc->opts.cert_crosscheck && dc->opts.have_ctrl_cert) {
    r = ftp_tls_peer_cert_id(s, id, NULL, 0);
    if (r == 0 && memcmp(id, dc->opts.ctrl_cert_sha256, sizeof(id)) != 0)
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
      log_info("data connection TLS handshake failed: %s", ftp_chan_tls_error(dc->ch));
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

  if (!dc->opts.tls_server)
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
  char sum[96];

  if (status == 0 && dc->opts.tls_server) {
    ftp_tls_handshake_summary(s, sum, sizeof(sum));
    log_debug("data connection handshake: %s", sum);
  }
  if (status == 0 && (status = check_reuse(dc, s)) == 1)
    return;
  if (status == 0)
    status = dc->opts.tls_server ? check_server_session(dc, s) : ftp_tls_check_alpn(s);
  secured(dc, status);
}

static void connection_up(struct ftp_dataconn *dc) {
  gnutls_session_t s = NULL;
  int r;

  uv_tcp_nodelay(ftp_chan_tcp(dc->ch), 1);
  if (dc->opts.keepalive > 0)
    ftp_chan_set_keepalive(dc->ch, dc->opts.keepalive);
  if (!dc->opts.tls) {
    become_ready(dc);
    return;
  }
  dc->state = DC_HANDSHAKE;
  if (dc->opts.tls_server)
    r = ftp_tls_server_session(dc->opts.tls_ctx, dc->opts.resume, &dc->probe, &s);
  else
    r = ftp_tls_client_session(dc->opts.tls_ctx, dc->opts.host, dc->opts.verify,
                               dc->opts.verify_host, dc->opts.ctrl_session, &s);
  if (r == 0)
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
  if (++dc->strays > MAX_STRAYS) {
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
  return ftp_cidr_match_any(dc->opts.balancers, dc->opts.nbalancers, peer);
}

/* The connection's client is client (the peer, or a balancer's header's
 * source): it is ours, or a stray. */
static void accept_client(struct ftp_dataconn *dc, const struct sockaddr_storage *client) {
  char who[64] = "?";

  if (dc->opts.expect_peer != NULL && !ftp_addr_same_host(client, dc->opts.expect_peer)) {
    /* Security: a connection from anyone else is dropped without ending
     * the wait for the real client (data-connection theft). */
    ftp_addr_to_string(client, who, sizeof(who));
    if (!dc->opts.proxy_header && from_balancer(dc, client))
      log_warn("data connection from balancer %s refused: PASSIVEDATACONN NOREDIRECT "
               "compares it with the client's address; code PROXYPROTOCOLDATA TRUE "
               "or PASSIVEDATACONN UNRESTRICTED", who);
    else
      log_warn("data connection from %s refused: not the control peer", who);
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
  log_warn("data connection from balancer %s dropped: %s", who, why);
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
  if ((r = new_chan(dc)) != 0 ||
      (r = uv_accept(server, (uv_stream_t *)ftp_chan_tcp(dc->ch))) != 0) {
    close_chan(dc);
    fail(dc, r);
    return;
  }
  if (ftp_chan_peer(dc->ch, &peer) != 0) {
    drop_stray(dc);
    return;
  }
  if (dc->opts.proxy_header && from_balancer(dc, &peer)) {
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
  tries = n < 1000 ? n : 1000;
  for (i = 0; i < tries; i++) {
    ftp_addr_set_port(&sa, n == 1 && lo == 0 ? 0 : lo + (start + i) % n);
    r = uv_tcp_bind(&dc->listener, (struct sockaddr *)&sa, 0);
    if (r == 0)
      r = uv_listen((uv_stream_t *)&dc->listener, 4, connection_cb);
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
  if ((r = uv_tcp_init(dc->loop, &dc->listener)) != 0) {
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

static void connect_cb(uv_connect_t *req, int status) {
  struct ftp_dataconn *dc = DC_OF(req, creq);

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
  if ((r = new_chan(dc)) != 0 ||
      (r = uv_tcp_connect(&dc->creq, ftp_chan_tcp(dc->ch),
                          (const struct sockaddr *)target, connect_cb)) != 0) {
    dc->state = DC_FAILED;
    ftp_dataconn_free(dc);
    return r;
  }
  dc->state = DC_CONNECTING;
  arm_timeout(dc);
  *out = dc;
  return 0;
}

/* --- transfers: common ---------------------------------------------------- */

static int begin(struct ftp_dataconn *dc, ftp_dataconn_cb *done) {
  if (dc->state != DC_READY)
    return dc->state == DC_FAILED ? dc->status : UV_EINVAL;
  dc->state = DC_XFER;
  dc->done_cb = done;
  arm_timeout(dc);
  return 0;
}

static void progress(struct ftp_dataconn *dc, size_t n) {
  dc->bytes += n;
  arm_timeout(dc); /* the stall timer restarts on every piece */
}

static void finish(struct ftp_dataconn *dc, int status) {
  ftp_dataconn_cb *cb = dc->done_cb;

  if (dc->state != DC_XFER)
    return;
  dc->state = DC_DONE;
  dc->status = status;
  dc->done_cb = NULL;
  uv_timer_stop(&dc->timer);
  if (dc->poll_open)
    uv_poll_stop(&dc->poll);
  if (cb != NULL && !dc->freed)
    cb(dc, status);
}

/* --- sending a file or a buffer ------------------------------------------- */

static void sent_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  dc->sent_ok = status == 0;
  finish(dc, status);
}

static void end_send(struct ftp_dataconn *dc) {
  int r = ftp_chan_shutdown(dc->ch, sent_cb);
  if (r != 0)
    finish(dc, r);
}

/*
 * Reading ahead: two blocks.  While the loop encrypts and queues one, the
 * thread pool reads the next into the other, so the file and the socket
 * work at the same time and the loop never waits for the disk.
 */
static void file_read_cb(uv_fs_t *req);

static void file_read_start(struct ftp_dataconn *dc, int i) {
  uv_buf_t b = uv_buf_init((char *)dc->blk[i], FTP_DATA_BLOCK);
  int r = uv_fs_read(dc->loop, &dc->freq, dc->fd, &b, 1, dc->off, file_read_cb);

  if (r != 0) {
    finish(dc, r);
    return;
  }
  dc->reading = i;
  dc->fs_busy++;
}

static void read_ahead(struct ftp_dataconn *dc) {
  if (dc->reading != -1 || dc->read_eof || dc->state != DC_XFER)
    return;
  if (dc->fill[dc->cur] == 0)
    file_read_start(dc, dc->cur);
  else if (dc->fill[dc->cur ^ 1] == 0)
    file_read_start(dc, dc->cur ^ 1);
}

static void send_drained(struct ftp_chan *ch, int status);

/* Queue the blocks that are ready, in order, while the socket keeps up. */
static void send_blocks(struct ftp_dataconn *dc) {
  unsigned char cr;
  int r;

  while (dc->state == DC_XFER && dc->fill[dc->cur] > 0) {
    const unsigned char *p = dc->blk[dc->cur];
    size_t len = dc->fill[dc->cur];

    if (ftp_chan_queued(dc->ch) >= QUEUE_HIGH) {
      ftp_chan_on_drain(dc->ch, QUEUE_LOW, send_drained);
      return;
    }
    if (dc->ascii) {
      size_t used = 0;
      len = ftp_ascii_to_net(&dc->conv, p, len, dc->convbuf,
                             FTP_ASCII_OUT_MAX(FTP_DATA_BLOCK), &used);
      p = dc->convbuf;
    }
    if ((r = ftp_chan_write(dc->ch, p, len)) != 0) {
      finish(dc, r);
      return;
    }
    dc->fill[dc->cur] = 0;
    dc->cur ^= 1;
    read_ahead(dc);
  }
  if (dc->state != DC_XFER || !dc->read_eof || dc->reading != -1 ||
      dc->fill[0] != 0 || dc->fill[1] != 0)
    return;
  /* TYPE A: a CR that ended the file was not half of a CRLF. */
  if (dc->ascii && ftp_ascii_flush(&dc->conv, &cr, 1) == 1 &&
      (r = ftp_chan_write(dc->ch, &cr, 1)) != 0) {
    finish(dc, r);
    return;
  }
  end_send(dc);
}

static void send_drained(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  if (dc->state != DC_XFER)
    return;
  if (status != 0)
    finish(dc, status);
  else
    send_blocks(dc);
}

static void file_read_cb(uv_fs_t *req) {
  struct ftp_dataconn *dc = DC_OF(req, freq);
  ssize_t n = req->result;
  int i = dc->reading;

  uv_fs_req_cleanup(req);
  dc->fs_busy--;
  dc->reading = -1;
  if (dc->freed) {
    maybe_release(dc);
    return;
  }
  if (dc->state != DC_XFER)
    return;
  if (n < 0) {
    dc->file_err = (int)n;
    finish(dc, (int)n);
    return;
  }
  if (n == 0) {
    dc->read_eof = 1;
  } else {
    dc->fill[i] = (size_t)n;
    dc->off += n;
    progress(dc, (size_t)n);
    read_ahead(dc);
  }
  send_blocks(dc);
}

/*
 * In clear, the kernel moves the file to the socket: sendfile(2), run on
 * libuv's thread pool (uv_queue_work) because reading a file that is not in
 * the page cache blocks.  Not uv_fs_sendfile: libuv 1.44 tries
 * copy_file_range first, which refuses a socket with EINVAL, and then falls
 * back to a read/write emulation in 40 KiB pieces.  The socket is
 * non-blocking: a run sends until the socket is full (EAGAIN), then we wait
 * for room with a poll handle on a duplicate of its descriptor, because the
 * uv_tcp_t's own watcher cannot serve a second purpose.
 */
#define SF_EOF 1

static void sendfile_next(struct ftp_dataconn *dc);

static void writable_cb(uv_poll_t *p, int status, int events) {
  struct ftp_dataconn *dc = DC_OF(p, poll);

  (void)events;
  uv_poll_stop(p);
  if (dc->state != DC_XFER)
    return;
  if (status < 0)
    finish(dc, status);
  else
    sendfile_next(dc);
}

/* Thread pool: send until the socket is full, the file ends, or one run's
 * budget is spent (so other work in the pool gets its turn). */
static void sendfile_work(uv_work_t *w) {
  struct ftp_dataconn *dc = DC_OF(w, sfwork);
  off_t off = (off_t)dc->off;
  size_t total = 0;

  dc->sf_status = 0;
  while (total < SENDFILE_CHUNK) {
    ssize_t n = sendfile(dc->sock_dup, dc->fd, &off, SENDFILE_CHUNK - total);
    if (n > 0) {
      total += (size_t)n;
    } else if (n == 0) {
      dc->sf_status = SF_EOF;
      break;
    } else if (errno != EINTR) {
      dc->sf_status = uv_translate_sys_error(errno);
      break;
    }
  }
  dc->sf_sent = total;
}

static void sendfile_after(uv_work_t *w, int status) {
  struct ftp_dataconn *dc = DC_OF(w, sfwork);

  dc->fs_busy--;
  if (dc->freed) {
    maybe_release(dc);
    return;
  }
  if (dc->state != DC_XFER)
    return;
  if (status != 0) {
    finish(dc, status);
    return;
  }
  if (dc->sf_sent > 0) {
    dc->off += (int64_t)dc->sf_sent;
    progress(dc, dc->sf_sent);
  }
  if (dc->sf_status == SF_EOF)
    end_send(dc);
  else if (dc->sf_status == UV_EAGAIN)
    uv_poll_start(&dc->poll, UV_WRITABLE, writable_cb);
  else if (dc->sf_status == 0)
    sendfile_next(dc);
  else
    finish(dc, dc->sf_status);
}

static void sendfile_next(struct ftp_dataconn *dc) {
  int r = uv_queue_work(dc->loop, &dc->sfwork, sendfile_work, sendfile_after);

  if (r != 0) {
    finish(dc, r);
    return;
  }
  dc->fs_busy++;
}

static int sendfile_start(struct ftp_dataconn *dc) {
  uv_os_fd_t fd;
  int r;

  if ((r = uv_fileno((uv_handle_t *)ftp_chan_tcp(dc->ch), &fd)) != 0)
    return r;
  if ((dc->sock_dup = dup(fd)) < 0)
    return uv_translate_sys_error(errno);
  if ((r = uv_poll_init_socket(dc->loop, &dc->poll, dc->sock_dup)) != 0) {
    close(dc->sock_dup);
    dc->sock_dup = -1;
    return r;
  }
  dc->poll_open = 1;
  dc->open_handles++;
  sendfile_next(dc);
  return 0;
}

/* The start of a file transfer.  The descriptor becomes ours first, so
 * that it is closed even when the transfer cannot start. */
static int begin_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                      int ascii, ftp_dataconn_cb *done) {
  int r;

  dc->fd = fd;
  if ((r = begin(dc, done)) != 0)
    return r;
  dc->off = offset;
  dc->ascii = ascii;
  ftp_ascii_init(&dc->conv);
  return 0;
}

int ftp_dataconn_send_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done) {
  int r;

  if ((r = begin_file(dc, fd, offset, ascii, done)) != 0)
    return r;
  if (!ftp_chan_is_tls(dc->ch) && !ascii) {
    if ((r = sendfile_start(dc)) != 0)
      finish(dc, r);
    return 0;
  }
  dc->blk[0] = malloc(FTP_DATA_BLOCK);
  dc->blk[1] = malloc(FTP_DATA_BLOCK);
  if (ascii)
    dc->convbuf = malloc(FTP_ASCII_OUT_MAX(FTP_DATA_BLOCK));
  if (dc->blk[0] == NULL || dc->blk[1] == NULL || (ascii && dc->convbuf == NULL)) {
    finish(dc, FTP_E_NOMEM);
    return 0;
  }
  read_ahead(dc);
  return 0;
}

static void mem_send_next(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  int r;

  if (dc->state != DC_XFER)
    return;
  if (status != 0) {
    finish(dc, status);
    return;
  }
  while (ftp_buf_len(&dc->mem) > 0 && ftp_chan_queued(ch) < QUEUE_HIGH) {
    size_t n = ftp_buf_len(&dc->mem);
    if (n > FTP_DATA_BLOCK)
      n = FTP_DATA_BLOCK;
    if ((r = ftp_chan_write(ch, ftp_buf_ptr(&dc->mem), n)) != 0) {
      finish(dc, r);
      return;
    }
    ftp_buf_consume(&dc->mem, n);
    progress(dc, n);
  }
  if (ftp_buf_len(&dc->mem) > 0)
    ftp_chan_on_drain(ch, QUEUE_LOW, mem_send_next);
  else
    end_send(dc);
}

int ftp_dataconn_send_buf(struct ftp_dataconn *dc, struct ftp_buf *data,
                          ftp_dataconn_cb *done) {
  int r;

  if ((r = begin(dc, done)) != 0)
    return r;
  ftp_buf_free(&dc->mem);
  dc->mem = *data;
  ftp_buf_init(data, ftp_buf_max(&dc->mem));
  /* Start on a later iteration: done must not run inside this call. */
  ftp_chan_on_drain(dc->ch, QUEUE_HIGH, mem_send_next);
  return 0;
}

/* --- receiving ------------------------------------------------------------ */

static void end_recv(struct ftp_dataconn *dc);
static void submit_write(struct ftp_dataconn *dc, int i);
static int block_full(const struct ftp_dataconn *dc, int i);
static void recv_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf);
static void recv_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf);

static void file_write_cb(uv_fs_t *req) {
  struct ftp_dataconn *dc = DC_OF(req, freq);
  ssize_t n = req->result;
  int i = dc->writing;

  uv_fs_req_cleanup(req);
  dc->fs_busy--;
  if (dc->freed) {
    maybe_release(dc);
    return;
  }
  dc->writing = -1;
  if (n < 0) {
    dc->file_err = (int)n;
    ftp_chan_read_stop(dc->ch);
    end_recv(dc);
    return;
  }
  if ((size_t)n < dc->fill[i]) {
    /* A short write: keep the rest and write it again. */
    memmove(dc->blk[i], dc->blk[i] + n, dc->fill[i] - (size_t)n);
    dc->fill[i] -= (size_t)n;
    submit_write(dc, i);
    return;
  }
  dc->fill[i] = 0;
  if (dc->end_status != 1 || dc->state != DC_XFER) {
    end_recv(dc);
    return;
  }
  if (block_full(dc, dc->cur)) {
    submit_write(dc, dc->cur);
    dc->cur ^= 1;
  }
  if (dc->paused) {
    dc->paused = 0;
    ftp_chan_read_start(dc->ch, recv_alloc, recv_read);
  }
}

static void submit_write(struct ftp_dataconn *dc, int i) {
  uv_buf_t b = uv_buf_init((char *)dc->blk[i], (unsigned)dc->fill[i]);
  int64_t at = dc->off;
  int r;

  if (dc->off >= 0)
    dc->off += (int64_t)dc->fill[i];
  dc->writing = i;
  r = uv_fs_write(dc->loop, &dc->freq, dc->fd, &b, 1, at, file_write_cb);
  if (r != 0) {
    dc->writing = -1;
    dc->file_err = r;
    ftp_chan_read_stop(dc->ch);
    return;
  }
  dc->fs_busy++;
}

/* A block is full when the next read might not fit in it. */
static int block_full(const struct ftp_dataconn *dc, int i) {
  size_t need = dc->ascii ? ASCII_SCRATCH + 1 : 1;
  return FTP_DATA_BLOCK - dc->fill[i] < need;
}

static void recv_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  int i = dc->cur;

  (void)suggested;
  if (block_full(dc, i)) {
    if (dc->writing != -1) {
      /* Both blocks busy: stop reading until the disk catches up. */
      dc->paused = 1;
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    submit_write(dc, i);
    dc->cur = i = i ^ 1;
  }
  if (dc->ascii)
    *buf = uv_buf_init((char *)dc->convbuf, ASCII_SCRATCH);
  else
    *buf = uv_buf_init((char *)dc->blk[i] + dc->fill[i],
                       (unsigned)(FTP_DATA_BLOCK - dc->fill[i]));
}

static void recv_shut_cb(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  /* Our answering close_notify is a courtesy: the upload is complete
   * whether or not the peer, already gone, receives it. */
  if (status != 0)
    log_debug("answering close_notify: %s", ftp_strerror(status));
  finish(dc, 0);
}

static void end_recv(struct ftp_dataconn *dc) {
  unsigned char cr;

  if (dc->state != DC_XFER || dc->writing != -1)
    return;
  if (dc->file_err == 0 && dc->fill[dc->cur] > 0) {
    submit_write(dc, dc->cur);
    if (dc->writing != -1)
      return;
  }
  if (dc->file_err == 0 && dc->ascii && dc->blk[dc->cur] != NULL &&
      ftp_ascii_flush(&dc->conv, &cr, 1) == 1) {
    /* A CR that ended the stream was not the first half of a CRLF. */
    dc->blk[dc->cur][0] = cr;
    dc->fill[dc->cur] = 1;
    submit_write(dc, dc->cur);
    if (dc->writing != -1)
      return;
  }
  if (dc->file_err != 0) {
    finish(dc, dc->file_err);
    return;
  }
  if (dc->end_status == 0 && ftp_chan_is_tls(dc->ch) &&
      ftp_chan_shutdown(dc->ch, recv_shut_cb) == 0)
    return;
  finish(dc, dc->end_status);
}

static void recv_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  size_t n;

  if (dc->state != DC_XFER)
    return;
  if (nread > 0) {
    n = (size_t)nread;
    progress(dc, n);
    if (dc->ascii) {
      size_t used = 0, at = dc->fill[dc->cur];
      n = ftp_ascii_to_local(&dc->conv, (unsigned char *)buf->base, n,
                             dc->blk[dc->cur] + at, FTP_DATA_BLOCK - at, &used);
    }
    dc->fill[dc->cur] += n;
    if (block_full(dc, dc->cur) && dc->writing == -1) {
      submit_write(dc, dc->cur);
      dc->cur ^= 1;
    }
    return;
  }
  if (nread == 0)
    return;
  dc->end_status = nread == UV_EOF ? 0 : (int)nread;
  end_recv(dc);
}

int ftp_dataconn_recv_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done) {
  int r;

  if ((r = begin_file(dc, fd, offset, ascii, done)) != 0)
    return r;
  dc->blk[0] = malloc(FTP_DATA_BLOCK);
  dc->blk[1] = malloc(FTP_DATA_BLOCK);
  if (ascii)
    dc->convbuf = malloc(ASCII_SCRATCH);
  if (dc->blk[0] == NULL || dc->blk[1] == NULL || (ascii && dc->convbuf == NULL))
    r = FTP_E_NOMEM;
  else
    r = ftp_chan_read_start(dc->ch, recv_alloc, recv_read);
  if (r != 0)
    finish(dc, r);
  return 0;
}

static void sink_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  (void)suggested;
  *buf = uv_buf_init((char *)dc->blk[0], ASCII_SCRATCH);
}

static void sink_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);
  size_t n;
  int r;

  if (dc->state != DC_XFER)
    return;
  if (nread > 0) {
    const void *p = buf->base;
    n = (size_t)nread;
    progress(dc, n);
    if (dc->ascii) {
      size_t used = 0;
      n = ftp_ascii_to_local(&dc->conv, (unsigned char *)buf->base, n,
                             dc->convbuf, ASCII_SCRATCH + 1, &used);
      p = dc->convbuf;
    }
    if (n > 0 && (r = dc->sink(dc, p, n)) != 0) {
      ftp_chan_read_stop(ch);
      finish(dc, r);
    }
    return;
  }
  if (nread == 0)
    return;
  {
    unsigned char cr;
    if (dc->ascii && ftp_ascii_flush(&dc->conv, &cr, 1) == 1 &&
        (r = dc->sink(dc, &cr, 1)) != 0) {
      finish(dc, r);
      return;
    }
  }
  dc->end_status = nread == UV_EOF ? 0 : (int)nread;
  if (dc->end_status == 0 && ftp_chan_is_tls(ch) &&
      ftp_chan_shutdown(ch, recv_shut_cb) == 0)
    return;
  finish(dc, dc->end_status);
}

int ftp_dataconn_recv_sink(struct ftp_dataconn *dc, int ascii,
                           ftp_dataconn_sink_cb *sink, ftp_dataconn_cb *done) {
  int r;

  if ((r = begin(dc, done)) != 0)
    return r;
  dc->sink = sink;
  dc->ascii = ascii;
  dc->blk[0] = malloc(ASCII_SCRATCH);
  if (ascii)
    dc->convbuf = malloc(ASCII_SCRATCH + 1);
  if (dc->blk[0] == NULL || (ascii && dc->convbuf == NULL))
    r = FTP_E_NOMEM;
  else
    r = ftp_chan_read_start(dc->ch, sink_alloc, sink_read);
  if (r != 0)
    finish(dc, r);
  return 0;
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
    finish(dc, FTP_E_ABORTED);
  } else {
    fail(dc, FTP_E_ABORTED);
  }
}

static void handle_closed(uv_handle_t *h) {
  struct ftp_dataconn *dc = h->data;

  if (h == (uv_handle_t *)&dc->poll)
    dc->poll_open = 0;
  dc->open_handles--;
  maybe_release(dc);
}

static void maybe_release(struct ftp_dataconn *dc) {
  if (!dc->freed || dc->open_handles > 0 || dc->chan_open || dc->fs_busy > 0)
    return;
  if (dc->fd >= 0) {
    /* Only now: no thread-pool request can still be using it. */
    uv_fs_t req;
    uv_fs_close(dc->loop, &req, dc->fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  /* Security: the same for the socket a queued sendfile writes to.  Closed
   * any earlier, its number could be reused by the next connection or file
   * before the request runs, and the file would go there. */
  if (dc->sock_dup >= 0)
    close(dc->sock_dup);
  /* The TLS session is gone with the channel: its probe may let go. */
  ftp_tls_probe_clear(&dc->probe);
  free(dc->blk[0]);
  free(dc->blk[1]);
  free(dc->convbuf);
  free(dc->proxy);
  ftp_buf_free(&dc->mem);
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
  if (dc->poll_open && !uv_is_closing((uv_handle_t *)&dc->poll)) {
    dc->poll.data = dc;
    uv_close((uv_handle_t *)&dc->poll, handle_closed);
  }
  maybe_release(dc);
}

static void linger_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  static char discard[4096]; /* contents never read: shared is fine */
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
    uv_timer_start(&dc->timer, linger_timeout, LINGER_MS, 0);
    return;
  }
  close_all(dc);
}
