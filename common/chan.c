/*
 * chan.c: a byte channel over a libuv TCP stream, in clear or under TLS.
 *
 * States of the TLS layer:
 *   NONE       clear: libuv reads straight into the consumer's buffer
 *   HANDSHAKE  GnuTLS handshake in progress; the channel reads for it
 *   OPEN       records are decrypted into the consumer's buffer
 *   CCC        after CCC: the peer's close_notify (if any) is consumed, then
 *              back to NONE; writes already go in clear, after our own
 *              close_notify if one is still owed (FTP_CHAN_CCC_ANSWER)
 *   FAILED     the handshake or the session failed; nothing more is read
 *
 * All work on buffered input happens in pump(), which is re-entrancy safe:
 * a callback that calls back into the channel only sets flags, and the pump
 * loop picks the change up.
 *
 * The channel owns its uv_tcp_t and everything done on the socket: accept,
 * connect, options, urgent data, and sendfile for cleartext downloads.
 */
#include "chan.h"

#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "chan_sendfile.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"

enum tls_state { TLS_NONE, TLS_HANDSHAKE, TLS_OPEN, TLS_CCC, TLS_FAILED };

struct ftp_chan {
  uv_tcp_t tcp;
  uv_timer_t kick;      /* deferred work: buffered input, drain notices */
  uv_write_t wreq;
  uv_shutdown_t sreq;
  uv_connect_t creq;
  struct ftp__sendfile *sf;  /* made by the first ftp_chan_sendfile */
  uv_loop_t *loop;
  void *data;
  struct ftp_chan_opts opts;

  ftp_chan_alloc_cb *alloc_cb;
  ftp_chan_read_cb *read_cb;
  ftp_chan_status_cb *hs_cb;
  ftp_chan_status_cb *drain_cb;
  ftp_chan_status_cb *shutdown_cb;
  ftp_chan_close_cb *close_cb;
  ftp_chan_status_cb *connect_cb;
  ftp_chan_sent_cb *sf_progress;
  ftp_chan_status_cb *sf_done;
  size_t drain_below;

  struct ftp_buf in;    /* ciphertext read, or cleartext left over */
  struct ftp_buf out;   /* bytes being queued */
  struct ftp_buf wout;  /* bytes handed to uv_write, in flight */

  gnutls_session_t tls;
  enum tls_state state;
  int tls_err;          /* last GnuTLS error */
  int net_err;          /* read error from libuv, other than EOF */
  int write_err;
  int open_handles;
  uint64_t ccc_deadline;    /* loop time our answering close_notify is due */
  unsigned ccc_settle_ms;

  unsigned want_read : 1;   /* the consumer is reading */
  unsigned uv_reading : 1;  /* libuv is reading the socket */
  unsigned eof : 1;         /* TCP EOF seen */
  unsigned read_done : 1;   /* the consumer got its final read */
  unsigned in_flight : 1;
  unsigned shut_pending : 1;
  unsigned shut_started : 1;
  unsigned shut_failed : 1;  /* uv_shutdown refused: report from kick */
  unsigned closing : 1;
  unsigned pumping : 1;
  unsigned repump : 1;
  unsigned ccc_owed : 1;      /* FTP_CHAN_CCC_ANSWER: our close_notify waits */
  unsigned ccc_counting : 1;  /* ... and the 200 is out: settle time runs */
};

/* Channels alive in this process (one loop per process: the loop
 * thread's alone). */
static unsigned live_chans;

static void pump(struct ftp_chan *ch);
static void flush(struct ftp_chan *ch);
static int sendfile_busy(const struct ftp_chan *ch);
static void ccc_notify(struct ftp_chan *ch);
static void kick_cb(uv_timer_t *t);
static void update_reading(struct ftp_chan *ch);

#define CHAN_OF(handle, field) \
  ((struct ftp_chan *)((char *)(handle) - offsetof(struct ftp_chan, field)))

/* --- set-up and accessors ------------------------------------------------- */

int ftp_chan_new(uv_loop_t *loop, const struct ftp_chan_opts *opts,
                 struct ftp_chan **out) {
  struct ftp_chan *ch;
  int r;

  *out = NULL;
  if ((ch = calloc(1, sizeof(*ch))) == NULL)
    return FTP_E_NOMEM;
  ch->loop = loop;
  ch->opts = *opts;
  ftp_buf_init(&ch->in, opts->in_max);
  ftp_buf_init(&ch->out, opts->out_max);
  ftp_buf_init(&ch->wout, opts->out_max);
  if ((r = uv_tcp_init(loop, &ch->tcp)) != 0) {
    free(ch);
    return r;
  }
  uv_timer_init(loop, &ch->kick);
  ch->open_handles = 2;
  live_chans++;
  *out = ch;
  return 0;
}

uv_loop_t *ftp_chan_loop(struct ftp_chan *ch) { return ch->loop; }
void ftp_chan_set_data(struct ftp_chan *ch, void *data) { ch->data = data; }
void *ftp_chan_data(const struct ftp_chan *ch) { return ch->data; }
gnutls_session_t ftp_chan_session(const struct ftp_chan *ch) { return ch->tls; }

int ftp_chan_is_tls(const struct ftp_chan *ch) {
  return ch->state == TLS_OPEN || ch->state == TLS_HANDSHAKE;
}

const char *ftp_chan_tls_error(const struct ftp_chan *ch) {
  return ch->tls_err != 0 ? gnutls_strerror(ch->tls_err) : "";
}

int ftp_chan_tls_err(const struct ftp_chan *ch) { return ftp_err_gnutls(ch->tls_err); }

static int get_name(const struct ftp_chan *ch, struct sockaddr_storage *ss,
                    int peer) {
  int len = sizeof(*ss);
  int r;

  memset(ss, 0, sizeof(*ss));
  r = peer ? uv_tcp_getpeername(&ch->tcp, (struct sockaddr *)ss, &len)
           : uv_tcp_getsockname(&ch->tcp, (struct sockaddr *)ss, &len);
  if (r == 0)
    ftp_addr_normalize(ss);
  return r;
}

int ftp_chan_peer(const struct ftp_chan *ch, struct sockaddr_storage *ss) {
  return get_name(ch, ss, 1);
}

int ftp_chan_local(const struct ftp_chan *ch, struct sockaddr_storage *ss) {
  return get_name(ch, ss, 0);
}

/* --- connecting and socket options ---------------------------------------- */

int ftp_chan_accept(struct ftp_chan *ch, uv_stream_t *listener) {
  if (ch->closing)
    return UV_EINVAL;
  return uv_accept(listener, (uv_stream_t *)&ch->tcp);
}

int ftp_chan_open(struct ftp_chan *ch, uv_os_sock_t sock) {
  if (ch->closing)
    return UV_EINVAL;
  return uv_tcp_open(&ch->tcp, sock);
}

int ftp_chan_bind(struct ftp_chan *ch, const struct sockaddr *addr) {
  if (ch->closing)
    return UV_EINVAL;
  return uv_tcp_bind(&ch->tcp, addr, 0);
}

static void connect_cb(uv_connect_t *req, int status) {
  struct ftp_chan *ch = CHAN_OF(req, creq);
  ftp_chan_status_cb *cb = ch->connect_cb;

  /* Closing cancels the request (UV_ECANCELED): the owner asked for that. */
  if (ch->closing || cb == NULL)
    return;
  ch->connect_cb = NULL;
  cb(ch, status);
}

int ftp_chan_connect(struct ftp_chan *ch, const struct sockaddr *addr,
                     ftp_chan_status_cb *cb) {
  int r;

  if (ch->closing || ch->connect_cb != NULL)
    return UV_EINVAL;
  if ((r = uv_tcp_connect(&ch->creq, &ch->tcp, addr, connect_cb)) != 0)
    return r;
  ch->connect_cb = cb;
  return 0;
}

int ftp_chan_set_nodelay(struct ftp_chan *ch, int on) {
  return uv_tcp_nodelay(&ch->tcp, on);
}

int ftp_chan_set_keepalive(struct ftp_chan *ch, unsigned seconds) {
  return uv_tcp_keepalive(&ch->tcp, seconds > 0, seconds);
}

int ftp_chan_set_oobinline(struct ftp_chan *ch) {
  uv_os_fd_t fd;
  int one = 1;
  int r;

  if ((r = uv_fileno((uv_handle_t *)&ch->tcp, &fd)) != 0)
    return r;
  if (setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one)) != 0)
    return uv_translate_sys_error(errno);
  return 0;
}

int ftp_chan_send_urgent(struct ftp_chan *ch, const void *p, size_t n) {
  uv_os_fd_t fd;
  ssize_t w;
  int r;

  if (ch->closing || ch->shut_pending)
    return UV_EPIPE;
  /* Security: urgent data bypasses TLS; after CCC our close_notify must
   * leave first. */
  if (ftp_chan_is_tls(ch) || ch->ccc_owed)
    return UV_EINVAL;
  if (ftp_chan_queued(ch) > 0 || sendfile_busy(ch))
    return UV_EAGAIN;
  if ((r = uv_fileno((uv_handle_t *)&ch->tcp, &fd)) != 0)
    return r;
  w = send(fd, p, n, MSG_OOB);
  if (w < 0)
    return uv_translate_sys_error(errno);
  return (size_t)w == n ? 0 : UV_EAGAIN;
}

size_t ftp_chan_queued(const struct ftp_chan *ch) {
  return ftp_buf_len(&ch->out) + ftp_buf_len(&ch->wout);
}

/* Run kick_cb within ms (sooner if it is already due sooner).  One timer
 * serves deferred work and the CCC settle time: kick_cb re-arms the latter. */
static void kick_at(struct ftp_chan *ch, uint64_t ms) {
  if (ch->closing)
    return;
  if (uv_is_active((uv_handle_t *)&ch->kick) && uv_timer_get_due_in(&ch->kick) <= ms)
    return;
  uv_timer_start(&ch->kick, kick_cb, ms, 0);
}

static void kick_soon(struct ftp_chan *ch) { kick_at(ch, 0); }

/* Buffers of control channels are returned to the allocator whenever they
 * empty, so that an idle session holds none. */
static void release_idle(struct ftp_chan *ch) {
  if (!ch->opts.release_idle)
    return;
  /* libuv asks for a read buffer (tcp_alloc_cb) only when bytes wait,
   * and is done with it when tcp_read_cb returns: an empty input buffer
   * may go even while the channel reads. */
  if (ftp_buf_len(&ch->in) == 0)
    ftp_buf_free(&ch->in);
  if (ftp_buf_len(&ch->out) == 0)
    ftp_buf_free(&ch->out);
  if (ftp_buf_len(&ch->wout) == 0 && !ch->in_flight)
    ftp_buf_free(&ch->wout);
}

/* --- GnuTLS transport ----------------------------------------------------- */

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len) {
  struct ftp_chan *ch = ptr;
  size_t n = ftp_buf_len(&ch->in);

  if (n == 0) {
    if (ch->net_err != 0) {
      gnutls_transport_set_errno(ch->tls, ECONNRESET);
      return -1;
    }
    if (ch->eof)
      return 0;
    gnutls_transport_set_errno(ch->tls, EAGAIN);
    return -1;
  }
  if (n > len)
    n = len;
  ftp_buf_get(&ch->in, data, n);
  return (ssize_t)n;
}

/* Never blocks: GnuTLS only asks "is there input now?". */
static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms) {
  struct ftp_chan *ch = ptr;
  (void)ms;
  return ftp_buf_len(&ch->in) > 0 || ch->eof || ch->net_err != 0;
}

/* Ciphertext goes to the output queue; flush() writes it out once per
 * caller-level write, so many records leave in one system call. */
static ssize_t tls_vec_push(gnutls_transport_ptr_t ptr, const giovec_t *iov,
                            int iovcnt) {
  struct ftp_chan *ch = ptr;
  size_t total = 0;
  int i;

  for (i = 0; i < iovcnt; i++)
    total += iov[i].iov_len;
  if (total > ftp_buf_room(&ch->out)) {
    gnutls_transport_set_errno(ch->tls, ENOBUFS);
    return -1;
  }
  for (i = 0; i < iovcnt; i++)
    ftp_buf_put(&ch->out, iov[i].iov_base, iov[i].iov_len);
  return (ssize_t)total;
}

/* --- writing -------------------------------------------------------------- */

static void start_shutdown_if_ready(struct ftp_chan *ch);
static void ccc_settle_start(struct ftp_chan *ch);

static void after_flush(struct ftp_chan *ch) {
  release_idle(ch);
  ccc_settle_start(ch);
  start_shutdown_if_ready(ch);
}

static void check_drain(struct ftp_chan *ch) {
  ftp_chan_status_cb *cb = ch->drain_cb;

  if (cb == NULL || ch->closing)
    return;
  if (ch->write_err == 0 && ftp_chan_queued(ch) >= ch->drain_below)
    return;
  ch->drain_cb = NULL;
  cb(ch, ch->write_err);
}

static void write_cb(uv_write_t *req, int status) {
  struct ftp_chan *ch = CHAN_OF(req, wreq);

  ch->in_flight = 0;
  ftp_buf_reset(&ch->wout);
  if (ch->closing)
    return;
  if (status < 0 && ch->write_err == 0)
    ch->write_err = status;
  flush(ch);
  check_drain(ch);
}

static void swap_out(struct ftp_chan *ch) {
  struct ftp_buf tmp = ch->out;
  ch->out = ch->wout;
  ch->wout = tmp;
}

static void flush(struct ftp_chan *ch) {
  uv_buf_t b;
  int r;

  if (ch->in_flight || ch->closing)
    return;
  if (ch->write_err != 0)
    ftp_buf_reset(&ch->out);
  if (ftp_buf_len(&ch->out) > 0) {
    b = uv_buf_init((char *)ftp_buf_ptr(&ch->out), (unsigned)ftp_buf_len(&ch->out));
    r = uv_try_write((uv_stream_t *)&ch->tcp, &b, 1);
    if (r > 0)
      ftp_buf_consume(&ch->out, (size_t)r);
    else if (r != UV_EAGAIN) {
      ch->write_err = r;
      ftp_buf_reset(&ch->out);
    }
    if (ftp_buf_len(&ch->out) > 0) {
      /* The rest waits in its own buffer while new bytes queue in the
       * other: uv_write keeps a pointer into it until write_cb. */
      swap_out(ch);
      b = uv_buf_init((char *)ftp_buf_ptr(&ch->wout), (unsigned)ftp_buf_len(&ch->wout));
      r = uv_write(&ch->wreq, (uv_stream_t *)&ch->tcp, &b, 1, write_cb);
      if (r != 0) {
        ch->write_err = r;
        ftp_buf_reset(&ch->wout);
      } else {
        ch->in_flight = 1;
      }
    }
  }
  if (!ch->in_flight)
    after_flush(ch);
}

int ftp_chan_write(struct ftp_chan *ch, const void *p, size_t n) {
  const unsigned char *src = p;
  int r;

  if (ch->closing || ch->shut_pending)
    return UV_EPIPE;
  if (sendfile_busy(ch))
    return UV_EBUSY;
  if (ch->write_err != 0)
    return ch->write_err;
  if (ch->state == TLS_HANDSHAKE || ch->state == TLS_FAILED)
    return FTP_E_PROTO;
  if (ch->state == TLS_CCC)
    ccc_notify(ch); /* our TLS stream ends before any cleartext of ours */
  if (ch->state == TLS_OPEN) {
    while (n > 0) {
      ssize_t w = gnutls_record_send(ch->tls, src, n);
      if (w < 0) {
        if (w == GNUTLS_E_AGAIN || w == GNUTLS_E_INTERRUPTED) {
          /* Only the push function can refuse: the queue is full. */
          flush(ch);
          return FTP_E_TOOBIG;
        }
        ch->tls_err = (int)w;
        return FTP_E_TLS;
      }
      src += w;
      n -= (size_t)w;
    }
  } else if ((r = ftp_buf_put(&ch->out, src, n)) != 0) {
    return r;
  }
  flush(ch);
  return 0;
}

void ftp_chan_on_drain(struct ftp_chan *ch, size_t below,
                       ftp_chan_status_cb *cb) {
  ch->drain_cb = cb;
  ch->drain_below = below;
  if (cb != NULL && (ftp_chan_queued(ch) < below || ch->write_err != 0))
    kick_soon(ch);
}

/* --- shutdown and close --------------------------------------------------- */

static void shutdown_cb(uv_shutdown_t *req, int status) {
  struct ftp_chan *ch = CHAN_OF(req, sreq);
  ftp_chan_status_cb *cb = ch->shutdown_cb;

  if (ch->closing)
    return;
  ch->shutdown_cb = NULL;
  if (cb != NULL)
    cb(ch, ch->write_err != 0 ? ch->write_err : status);
}

static void start_shutdown_if_ready(struct ftp_chan *ch) {
  int r;

  if (!ch->shut_pending || ch->shut_started || ch->in_flight ||
      ftp_buf_len(&ch->out) > 0)
    return;
  ch->shut_started = 1;
  r = uv_shutdown(&ch->sreq, (uv_stream_t *)&ch->tcp, shutdown_cb);
  if (r != 0) {
    /* Report on a later iteration, as the callback contract promises. */
    if (ch->write_err == 0)
      ch->write_err = r;
    ch->shut_failed = 1;
    kick_soon(ch);
  }
}

int ftp_chan_shutdown(struct ftp_chan *ch, ftp_chan_status_cb *cb) {
  int g;

  if (ch->closing || ch->shut_pending)
    return UV_EPIPE;
  if (sendfile_busy(ch))
    return UV_EBUSY;
  if (ch->state == TLS_CCC)
    ccc_notify(ch);
  ch->shutdown_cb = cb;
  ch->shut_pending = 1;
  if (ch->state == TLS_OPEN) {
    /* Our close_notify: after it, the peer knows the stream is complete. */
    g = gnutls_bye(ch->tls, GNUTLS_SHUT_WR);
    if (g < 0 && g != GNUTLS_E_AGAIN)
      ch->tls_err = g;
  }
  flush(ch);
  return 0;
}

/* The channel goes once its handles are closed and its sender is gone
 * (the sender waits for its own run on the thread pool). */
static void maybe_free(struct ftp_chan *ch) {
  if (ch->open_handles > 0)
    return;
  if (ch->close_cb != NULL)
    ch->close_cb(ch);
  if (ch->tls != NULL)
    gnutls_deinit(ch->tls);
  ftp_buf_free(&ch->in);
  ftp_buf_free(&ch->out);
  ftp_buf_free(&ch->wout);
  free(ch);
  /* The last connection is gone (a burst has ended): glibc keeps freed
   * memory in the middle of its heap; give it back to the system.  Costs
   * well under a millisecond on an idle heap. */
  if (--live_chans == 0)
    malloc_trim(0);
}

static void handle_closed(uv_handle_t *h) {
  struct ftp_chan *ch = h->data;

  ch->open_handles--;
  maybe_free(ch);
}

static void sender_closed(void *arg) {
  struct ftp_chan *ch = arg;

  ch->open_handles--;
  maybe_free(ch);
}

void ftp_chan_close(struct ftp_chan *ch, ftp_chan_close_cb *cb) {
  if (ch == NULL || ch->closing)
    return;
  ch->closing = 1;
  ch->close_cb = cb;
  ch->tcp.data = ch;
  ch->kick.data = ch;
  uv_close((uv_handle_t *)&ch->tcp, handle_closed);
  uv_close((uv_handle_t *)&ch->kick, handle_closed);
  if (ch->sf != NULL) {
    ch->open_handles++;
    ftp__sendfile_close(ch->sf, sender_closed, ch);
    ch->sf = NULL;
  }
}

/* --- reading -------------------------------------------------------------- */

/* Under TLS, what one read may add to the input: the input never holds
 * more than FTP_CHAN_READ_PIECE - 1 bytes, so that its buffer (with the
 * spare byte ftp_buf keeps) never grows past FTP_CHAN_READ_PIECE. */
static size_t tls_read_room(const struct ftp_chan *ch) {
  size_t len = ftp_buf_len(&ch->in), room = ftp_buf_room(&ch->in);
  size_t piece = (ch->opts.release_idle ? FTP_CHAN_IDLE_READ_PIECE
                                         : FTP_CHAN_READ_PIECE) - 1;

  if (len >= piece)
    return 0;
  return piece - len < room ? piece - len : room;
}

static void tcp_alloc_cb(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  struct ftp_chan *ch = CHAN_OF(h, tcp);
  unsigned char *p;
  size_t room;

  if (ch->state == TLS_NONE) {
    ch->alloc_cb(ch, suggested, buf);
    return;
  }
  room = tls_read_room(ch);
  if (room == 0 || ftp_buf_reserve(&ch->in, room, &p) != 0) {
    *buf = uv_buf_init(NULL, 0);
    return;
  }
  *buf = uv_buf_init((char *)p, (unsigned)room);
}

static void deliver_final(struct ftp_chan *ch, ssize_t status,
                          const uv_buf_t *buf) {
  ch->read_done = 1;
  update_reading(ch);
  ch->read_cb(ch, status, buf);
}

static void tcp_read_cb(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf) {
  struct ftp_chan *ch = CHAN_OF(s, tcp);

  if (ch->state == TLS_NONE) {
    if (nread == UV_ENOBUFS) {
      /* The consumer lent no buffer: it pauses. */
      ch->want_read = 0;
      update_reading(ch);
      return;
    }
    if (nread < 0) {
      if (nread == UV_EOF)
        ch->eof = 1;
      deliver_final(ch, nread, buf);
      return;
    }
    ch->read_cb(ch, nread, buf);
    return;
  }
  if (nread > 0)
    ftp_buf_commit(&ch->in, (size_t)nread);
  else if (nread == UV_EOF)
    ch->eof = 1;
  else if (nread < 0 && nread != UV_ENOBUFS)
    ch->net_err = (int)nread;
  pump(ch);
}

static void update_reading(struct ftp_chan *ch) {
  int need;

  if (ch->closing || ch->eof || ch->net_err != 0 || ch->read_done)
    need = 0;
  else if (ch->state == TLS_HANDSHAKE)
    need = 1;
  else if (ch->state == TLS_FAILED)
    need = 0;
  else if (ch->state == TLS_NONE)
    /* Bytes left over in the buffer go first, to keep the order. */
    need = ch->want_read && ftp_buf_len(&ch->in) == 0;
  else
    need = ch->want_read && tls_read_room(ch) > 0;
  if (need && !ch->uv_reading) {
    if (uv_read_start((uv_stream_t *)&ch->tcp, tcp_alloc_cb, tcp_read_cb) == 0)
      ch->uv_reading = 1;
  } else if (!need && ch->uv_reading) {
    uv_read_stop((uv_stream_t *)&ch->tcp);
    ch->uv_reading = 0;
  }
}

static void fail_handshake(struct ftp_chan *ch, int err) {
  ftp_chan_status_cb *cb = ch->hs_cb;

  ch->state = TLS_FAILED;
  ch->hs_cb = NULL;
  update_reading(ch);
  if (cb != NULL)
    cb(ch, err);
}

static void pump_handshake(struct ftp_chan *ch) {
  ftp_chan_status_cb *cb;
  int g = gnutls_handshake(ch->tls);

  flush(ch);
  if (g == GNUTLS_E_SUCCESS) {
    ch->state = TLS_OPEN;
    cb = ch->hs_cb;
    ch->hs_cb = NULL;
    update_reading(ch);
    if (cb != NULL)
      cb(ch, 0);
    ch->repump = 1; /* records may already be buffered */
    return;
  }
  if (g == GNUTLS_E_AGAIN || g == GNUTLS_E_INTERRUPTED) {
    if (ch->net_err != 0)
      fail_handshake(ch, ch->net_err);
    else if (ch->eof && ftp_buf_len(&ch->in) == 0)
      fail_handshake(ch, UV_EOF);
    return;
  }
  if (!gnutls_error_is_fatal(g)) {
    ch->repump = 1;
    return;
  }
  ch->tls_err = g;
  if (g != GNUTLS_E_PREMATURE_TERMINATION && g != GNUTLS_E_PULL_ERROR) {
    /* Tell the peer why (no_application_protocol for a foreign ALPN,
     * bad_certificate, ...): GnuTLS does not always send it itself. */
    gnutls_alert_send_appropriate(ch->tls, g);
    flush(ch);
  }
  fail_handshake(ch, g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ? FTP_E_TLS_VERIFY
                     : ch->eof && g == GNUTLS_E_PREMATURE_TERMINATION ? UV_EOF
                     : ch->net_err != 0 ? ch->net_err
                                        : FTP_E_TLS);
}

/* TCP EOF inside a record (its header included): GnuTLS says "unexpected
 * packet length", but the stream was cut, like an EOF between records. */
static int cut_mid_record(const struct ftp_chan *ch, int g) {
  return g == GNUTLS_E_UNEXPECTED_PACKET_LENGTH && ch->eof && ch->net_err == 0 &&
         ftp_buf_len(&ch->in) == 0;
}

static void pump_records(struct ftp_chan *ch) {
  while (ch->want_read && !ch->closing && !ch->read_done) {
    uv_buf_t b = uv_buf_init(NULL, 0);
    ssize_t g;

    size_t before = ftp_buf_len(&ch->in);

    ch->alloc_cb(ch, FTP_TLS_RECORD_MAX, &b);
    if (b.len == 0) {
      ch->want_read = 0;
      break;
    }
    g = gnutls_record_recv(ch->tls, b.base, b.len);
    if (g > 0) {
      ch->read_cb(ch, g, &b);
      if (ch->state != TLS_OPEN) {
        /* The consumer began CCC in its callback: what follows (the
         * peer's close_notify, then cleartext) is pump_ccc's. */
        ch->repump = 1;
        break;
      }
      continue;
    }
    if (g == 0) {
      /* close_notify: the peer's stream is complete. */
      deliver_final(ch, UV_EOF, &b);
      break;
    }
    if (g == GNUTLS_E_AGAIN) {
      ch->read_cb(ch, 0, &b);
      /* GnuTLS also says EAGAIN after it consumed a post-handshake message
       * (a TLS 1.3 session ticket): go on while it makes progress. */
      if (ftp_buf_len(&ch->in) < before)
        continue;
      break;
    }
    if (g == GNUTLS_E_REHANDSHAKE) {
      /* Security: no renegotiation.  It could change the peer's identity
       * under a running session; refuse it politely and go on. */
      ch->read_cb(ch, 0, &b);
      gnutls_alert_send(ch->tls, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
      flush(ch);
      continue;
    }
    if (g == GNUTLS_E_INTERRUPTED || !gnutls_error_is_fatal((int)g)) {
      ch->read_cb(ch, 0, &b);
      continue;
    }
    ch->tls_err = (int)g;
    if (g == GNUTLS_E_PREMATURE_TERMINATION || cut_mid_record(ch, (int)g))
      deliver_final(ch, FTP_E_TLS_TRUNCATED, &b);
    else if (g == GNUTLS_E_PULL_ERROR && ch->net_err != 0)
      deliver_final(ch, ch->net_err, &b);
    else
      deliver_final(ch, FTP_E_TLS, &b);
    break;
  }
}

/* A TLS record starts with a content type (20-23: change_cipher_spec,
 * alert, handshake, application_data; TLS 1.3 hides alerts in 23) and the
 * major version 3.  Cleartext FTP commands are ASCII letters. */
static int looks_like_tls(const unsigned char *p, size_t n) {
  if (n == 0 || p[0] < 20 || p[0] > 23)
    return 0;
  return n < 2 || p[1] == 3;
}

static void pump_ccc(struct ftp_chan *ch) {
  const unsigned char *p = ftp_buf_ptr(&ch->in);
  size_t n = ftp_buf_len(&ch->in);
  unsigned char scratch[FTP_CHAN_CCC_DISCARD];
  ssize_t g;

  if (n == 0 && !ch->eof && ch->net_err == 0)
    return;
  if (n > 0 && looks_like_tls(p, n)) {
    if (n < 2)
      return;
    g = gnutls_record_recv(ch->tls, scratch, sizeof(scratch));
    if (g == GNUTLS_E_AGAIN) {
      /* A session ticket was consumed: look at what follows it. */
      if (ftp_buf_len(&ch->in) < n)
        ch->repump = 1;
      return;
    }
    if (g > 0) {
      log_warn("discarded %zd bytes of TLS data sent after CCC", g);
      ch->repump = 1;
      return;
    }
    if (g < 0)
      ch->tls_err = (int)g;
  }
  /* The peer's close_notify arrived, it went straight to cleartext, or the
   * connection ended: our close_notify, if still owed, goes before we
   * deliver (and so before we answer) anything in clear. */
  if (ch->net_err == 0)
    ccc_notify(ch);
  ch->ccc_owed = 0;
  ch->state = TLS_NONE;
  ch->repump = 1;
}

static void pump_leftover(struct ftp_chan *ch) {
  while (ch->want_read && !ch->closing && !ch->read_done &&
         ftp_buf_len(&ch->in) > 0) {
    uv_buf_t b = uv_buf_init(NULL, 0);
    size_t n = ftp_buf_len(&ch->in);

    ch->alloc_cb(ch, n, &b);
    if (b.len == 0) {
      ch->want_read = 0;
      return;
    }
    if (n > b.len)
      n = b.len;
    ftp_buf_get(&ch->in, b.base, n);
    ch->read_cb(ch, (ssize_t)n, &b);
  }
  if (ch->want_read && !ch->closing && !ch->read_done &&
      ftp_buf_len(&ch->in) == 0 && (ch->eof || ch->net_err != 0)) {
    uv_buf_t b = uv_buf_init(NULL, 0);
    deliver_final(ch, ch->net_err != 0 ? ch->net_err : UV_EOF, &b);
  }
}

static void pump(struct ftp_chan *ch) {
  if (ch->pumping) {
    ch->repump = 1;
    return;
  }
  ch->pumping = 1;
  do {
    ch->repump = 0;
    switch (ch->state) {
    case TLS_HANDSHAKE:
      pump_handshake(ch);
      break;
    case TLS_OPEN:
      pump_records(ch);
      break;
    case TLS_CCC:
      pump_ccc(ch);
      break;
    case TLS_NONE:
      pump_leftover(ch);
      break;
    case TLS_FAILED:
      break;
    }
  } while (ch->repump && !ch->closing);
  ch->pumping = 0;
  if (!ch->closing) {
    update_reading(ch);
    release_idle(ch);
  }
}

static void kick_cb(uv_timer_t *t) {
  struct ftp_chan *ch = CHAN_OF(t, kick);

  if (ch->ccc_counting && uv_now(ch->loop) >= ch->ccc_deadline)
    ccc_notify(ch); /* settle time over: the peer waits for ours */
  if (ch->shut_failed && ch->shutdown_cb != NULL) {
    ftp_chan_status_cb *cb = ch->shutdown_cb;
    ch->shutdown_cb = NULL;
    cb(ch, ch->write_err);
    if (ch->closing)
      return;
  }
  pump(ch);
  if (ch->closing)
    return;
  check_drain(ch);
  if (ch->ccc_counting && !ch->closing) {
    uint64_t now = uv_now(ch->loop);
    kick_at(ch, ch->ccc_deadline > now ? ch->ccc_deadline - now : 0);
  }
}

int ftp_chan_read_start(struct ftp_chan *ch, ftp_chan_alloc_cb *alloc_cb,
                        ftp_chan_read_cb *read_cb) {
  if (ch->closing || ch->read_done)
    return UV_EINVAL;
  ch->alloc_cb = alloc_cb;
  ch->read_cb = read_cb;
  ch->want_read = 1;
  if (ftp_buf_len(&ch->in) > 0 || ch->eof || ch->net_err != 0 ||
      (ch->state == TLS_OPEN && gnutls_record_check_pending(ch->tls) > 0))
    kick_soon(ch);
  update_reading(ch);
  return 0;
}

void ftp_chan_read_stop(struct ftp_chan *ch) {
  ch->want_read = 0;
  if (!ch->pumping)
    update_reading(ch);
}

/* --- TLS start and stop --------------------------------------------------- */

int ftp_chan_tls_start(struct ftp_chan *ch, gnutls_session_t s,
                       const void *preread, size_t n, ftp_chan_status_cb *done) {
  int r;

  if (ch->closing || ch->state != TLS_NONE || ch->tls != NULL) {
    gnutls_deinit(s);
    return UV_EINVAL;
  }
  ch->tls = s;
  gnutls_transport_set_ptr(s, ch);
  gnutls_transport_set_pull_function(s, tls_pull);
  gnutls_transport_set_pull_timeout_function(s, tls_pull_timeout);
  gnutls_transport_set_vec_push_function(s, tls_vec_push);
  if (n > 0 && (r = ftp_buf_put(&ch->in, preread, n)) != 0)
    return r;
  ch->state = TLS_HANDSHAKE;
  ch->hs_cb = done;
  /* The client speaks first; a server waits for its ClientHello. */
  kick_soon(ch);
  update_reading(ch);
  return 0;
}

/* CCC: send our close_notify if it is still owed.  From then on our
 * output is cleartext. */
static void ccc_notify(struct ftp_chan *ch) {
  int g;

  if (!ch->ccc_owed)
    return;
  ch->ccc_owed = 0;
  ch->ccc_counting = 0;
  g = gnutls_bye(ch->tls, GNUTLS_SHUT_WR);
  if (g < 0 && g != GNUTLS_E_AGAIN)
    ch->tls_err = g;
  flush(ch);
}

/* FTP_CHAN_CCC_ANSWER: the settle time counts from the moment the 200 (and
 * whatever preceded it) has left, not from when it was queued. */
static void ccc_settle_start(struct ftp_chan *ch) {
  if (!ch->ccc_owed || ch->ccc_counting || ftp_chan_queued(ch) > 0)
    return;
  ch->ccc_counting = 1;
  ch->ccc_deadline = uv_now(ch->loop) + ch->ccc_settle_ms;
  kick_at(ch, ch->ccc_settle_ms);
}

int ftp_chan_tls_stop(struct ftp_chan *ch, enum ftp_chan_ccc how,
                      unsigned settle_ms) {
  if (ch->state != TLS_OPEN)
    return UV_EINVAL;
  ch->state = TLS_CCC;
  if (how != FTP_CHAN_CCC_SILENT) {
    ch->ccc_owed = 1;
    ch->ccc_settle_ms = settle_ms;
    if (how == FTP_CHAN_CCC_NOTIFY)
      ccc_notify(ch);
    else
      ccc_settle_start(ch);
  }
  kick_soon(ch);
  update_reading(ch);
  return 0;
}

/* --- sendfile -------------------------------------------------------------- */

/* The sender (chan_sendfile.c) calls back with the channel as its arg. */
static void sendfile_progress(void *arg, size_t n) {
  struct ftp_chan *ch = arg;
  ch->sf_progress(ch, n);
}

static void sendfile_done(void *arg, int status) {
  struct ftp_chan *ch = arg;
  ch->sf_done(ch, status);
}

static int sendfile_busy(const struct ftp_chan *ch) {
  return ch->sf != NULL && ftp__sendfile_busy(ch->sf);
}

int ftp_chan_sendfile(struct ftp_chan *ch, uv_file fd, int64_t offset,
                      ftp_chan_sent_cb *progress, ftp_chan_status_cb *done) {
  uv_os_fd_t sock;
  int r;

  if (ch->closing || ch->shut_pending)
    return UV_EPIPE;
  if (ch->state != TLS_NONE)
    return UV_EINVAL;
  if (sendfile_busy(ch) || ftp_chan_queued(ch) > 0)
    return UV_EBUSY;
  /* The sender, its duplicate socket and its poll handle are made once
   * per channel and kept until it closes. */
  if (ch->sf == NULL &&
      ((r = uv_fileno((uv_handle_t *)&ch->tcp, &sock)) != 0 ||
       (r = ftp__sendfile_new(ch->loop, sock, &ch->sf)) != 0))
    return r;
  ch->sf_progress = progress;
  ch->sf_done = done;
  return ftp__sendfile_start(ch->sf, fd, offset, sendfile_progress, sendfile_done, ch);
}

void ftp_chan_sendfile_stop(struct ftp_chan *ch) {
  if (ch->sf != NULL)
    ftp__sendfile_stop(ch->sf);
}
