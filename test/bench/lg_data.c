/*
 * lg_data.c: one data connection of the load generator.
 *
 * Connect from the session's source address, run a TLS handshake that
 * resumes the control session (as curl, lftp and our client do), then:
 * LIST and RETR read to the server's close_notify (RETR compares every byte
 * with the expected file and its length) and answer with ours; STOR writes
 * the upload in pieces, waiting for the queue to drain, and ends with
 * close_notify and FIN.  The session hears of the end once, on a later loop
 * iteration than lg_data_open.
 */
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "loadgen.h"

/* Upload pieces, and how much ciphertext may wait for the socket. */
#define STOR_PIECE (64 * 1024)
#define STOR_QUEUE_HIGH (256 * 1024)

struct lg_data {
  struct lg_sess *sess;      /* NULL once closed by the session */
  struct lg_run *run;
  struct ftp_chan *ch;
  enum lg_action act;
  size_t pos;                /* bytes received or queued */
  unsigned reported : 1;
  unsigned closing : 1;
};

static void report(struct lg_data *d, int status) {
  if (d->reported || d->sess == NULL)
    return;
  d->reported = 1;
  lg__sess_data_done(d->sess, status);
}

static void data_closed(struct ftp_chan *ch) { free(ftp_chan_data(ch)); }

void lg_data_close(struct lg_data *d) {
  if (d == NULL || d->closing)
    return;
  d->closing = 1;
  d->sess = NULL;
  ftp_chan_close(d->ch, data_closed);
}

/* --- receiving (LIST, RETR) --------------------------------------------- */

static void data_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct lg_data *d = ftp_chan_data(ch);
  (void)suggested;
  *buf = uv_buf_init((char *)d->run->rbuf, sizeof(d->run->rbuf));
}

/* RETR: the bytes must be the next ones of the expected file. */
static int compare(struct lg_data *d, const unsigned char *p, size_t n) {
  const struct lg_blob *want = &d->run->retr;

  if (n > want->n - d->pos) {
    lg__run_error(d->run, lg__sess_id(d->sess), "RETR: more than the %zu bytes "
                  "of the file", want->n);
    return FTP_E_PROTO;
  }
  if (memcmp(want->p + d->pos, p, n) != 0) {
    lg__run_error(d->run, lg__sess_id(d->sess), "RETR: bytes %zu-%zu differ "
                  "from the file", d->pos, d->pos + n - 1);
    return FTP_E_PROTO;
  }
  return 0;
}

/* The download already ended with the server's close_notify: ours is a
 * courtesy, and a server that closed at once (Pure-FTPd) makes it fail
 * with ENOTCONN or EPIPE, which says nothing about the transfer. */
static void shut_cb(struct ftp_chan *ch, int status) {
  (void)status;
  report(ftp_chan_data(ch), 0);
}

static void on_end_of_stream(struct lg_data *d) {
  if (d->act == LG_ACT_STOR) {
    /* The server closed after our close_notify: nothing to check here,
     * the 226 is its verdict. */
    return;
  }
  if (d->act == LG_ACT_RETR && d->pos != d->run->retr.n) {
    lg__run_error(d->run, lg__sess_id(d->sess), "RETR: %zu bytes of %zu",
                  d->pos, d->run->retr.n);
    report(d, FTP_E_PROTO);
    return;
  }
  /* Answer the server's close_notify with ours, as curl does. */
  if (ftp_chan_shutdown(d->ch, shut_cb) != 0)
    report(d, 0);
}

static void data_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct lg_data *d = ftp_chan_data(ch);
  int r;

  if (d->sess == NULL || nread == 0)
    return;
  if (nread > 0) {
    if (d->act == LG_ACT_RETR &&
        (r = compare(d, (const unsigned char *)buf->base, (size_t)nread)) != 0) {
      report(d, r);
      return;
    }
    d->pos += (size_t)nread;
    d->run->bytes_down += (uint64_t)nread;
    return;
  }
  if (nread == UV_EOF || (d->act == LG_ACT_STOR && nread == FTP_E_TLS_TRUNCATED))
    on_end_of_stream(d);
  else
    report(d, (int)nread);
}

/* --- sending (STOR) ------------------------------------------------------ */

static void send_more(struct lg_data *d);

static void drained_cb(struct ftp_chan *ch, int status) {
  struct lg_data *d = ftp_chan_data(ch);

  if (status != 0)
    report(d, status);
  else
    send_more(d);
}

static void stor_shut_cb(struct ftp_chan *ch, int status) {
  struct lg_data *d = ftp_chan_data(ch);

  if (status == 0)
    d->run->bytes_up += d->run->stor.n;
  report(d, status);
}

static void send_more(struct lg_data *d) {
  const struct lg_blob *up = &d->run->stor;
  size_t n;
  int r;

  while (d->pos < up->n && ftp_chan_queued(d->ch) < STOR_QUEUE_HIGH) {
    n = up->n - d->pos < STOR_PIECE ? up->n - d->pos : STOR_PIECE;
    if ((r = ftp_chan_write(d->ch, up->p + d->pos, n)) != 0) {
      report(d, r);
      return;
    }
    d->pos += n;
  }
  if (d->pos < up->n) {
    ftp_chan_on_drain(d->ch, STOR_QUEUE_HIGH / 2, drained_cb);
    return;
  }
  /* close_notify, then FIN once everything is written. */
  if ((r = ftp_chan_shutdown(d->ch, stor_shut_cb)) != 0)
    report(d, r);
}

/* --- connecting ------------------------------------------------------------ */

static void handshake_cb(struct ftp_chan *ch, int status) {
  struct lg_data *d = ftp_chan_data(ch);
  int r;

  if (d->sess == NULL)
    return;
  if (status != 0) {
    report(d, status);
    return;
  }
  if (gnutls_session_is_resumed(ftp_chan_session(ch)))
    d->run->data_resumed++;
  else
    d->run->data_full++;
  if ((r = ftp_chan_read_start(ch, data_alloc, data_read)) != 0) {
    report(d, r);
    return;
  }
  if (d->act == LG_ACT_STOR)
    send_more(d);
}

static void connect_cb(struct ftp_chan *ch, int status) {
  struct lg_data *d = ftp_chan_data(ch);
  gnutls_session_t ts;
  int r;

  if (d->sess == NULL)
    return;
  if (status != 0) {
    report(d, status);
    return;
  }
  r = ftp_tls_client_session(d->run->tls, d->run->cfg.host, 1, 1,
                             lg__sess_tls(d->sess), &ts);
  if (r == 0 && (r = ftp_chan_tls_start(d->ch, ts, NULL, 0, handshake_cb)) != 0)
    gnutls_deinit(ts);
  if (r != 0)
    report(d, r);
}

int lg_data_open(struct lg_sess *s, enum lg_action act, unsigned port,
                 struct lg_data **out) {
  struct lg_run *run = lg__sess_run(s);
  struct sockaddr_storage target = run->server;
  struct sockaddr_storage src = *lg__sess_src(s);
  struct ftp_chan_opts o;
  struct lg_data *d;
  int r;

  if ((d = calloc(1, sizeof(*d))) == NULL)
    return FTP_E_NOMEM;
  d->sess = s;
  d->run = run;
  d->act = act;
  lg__chan_opts(&o, 1);
  if ((r = ftp_chan_new(run->loop, &o, &d->ch)) != 0) {
    free(d);
    return r;
  }
  ftp_chan_set_data(d->ch, d);
  ((struct sockaddr_in *)&target)->sin_port = htons((uint16_t)port);
  if ((r = ftp_chan_bind(d->ch, (struct sockaddr *)&src)) != 0 ||
      (r = ftp_chan_connect(d->ch, (struct sockaddr *)&target, connect_cb)) != 0) {
    lg_data_close(d);
    return r;
  }
  *out = d;
  return 0;
}
