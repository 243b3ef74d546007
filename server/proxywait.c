/*
 * proxywait.c: read a balancer's PROXY protocol header off a new control
 * connection, then hand the connection to admission as its client's.
 */
#include "proxywait.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"
#include "metrics.h"
#include "proxyproto.h"
#include "server.h" /* struct ftpd_listener, ftpd_client: fields only */

struct proxywait {
  struct ftpd_listener *l;
  struct ftp_chan *ch;            /* NULL once handed over or closed */
  struct sockaddr_storage peer;   /* the balancer */
  char peer_str[FTP_ADDR_STRLEN];
  struct ftp_proxy_reader rd;
  uv_timer_t timer;
  int refs;                       /* the timer, plus the channel while ours */
  ftpd_proxywait_cb *done;        /* NULL once called */
};

static void unref(struct proxywait *w) {
  struct ftpd_listener *l = w->l;
  ftpd_proxywait_cb *done = w->done;

  if (--w->refs > 0)
    return;
  free(w);
  if (done != NULL)
    done(l, NULL, NULL); /* closed here */
}

static void timer_closed(uv_handle_t *h) { unref(h->data); }
static void chan_closed(struct ftp_chan *ch) { unref(ftp_chan_data(ch)); }

/* The connection is done with here: closed, or handed over. */
static void finish(struct proxywait *w, int close_chan) {
  struct ftp_chan *ch = w->ch;

  w->ch = NULL;
  uv_close((uv_handle_t *)&w->timer, timer_closed);
  if (ch == NULL)
    return;
  if (close_chan) {
    ftp_chan_close(ch, chan_closed);
  } else {
    ftp_chan_read_stop(ch);
    unref(w); /* the channel is the session's now */
  }
}

static void refuse(struct proxywait *w, const char *why) {
  log_warn("connection from balancer %s on %s closed: %s", w->peer_str, w->l->name, why);
  ftpd_metrics_count(FTPD_M_REFUSED_PROXY_HEADER);
  finish(w, 1);
}

static void timeout_cb(uv_timer_t *t) {
  struct proxywait *w = t->data;

  refuse(w, "no PROXY protocol header in time");
}

static void hand_over(struct proxywait *w, const struct ftp_proxy_hdr *h) {
  struct ftpd_client c;
  struct ftpd_listener *l = w->l;
  struct ftp_chan *ch = w->ch;

  memset(&c, 0, sizeof(c));
  c.via = w->peer;
  c.proxied = 1;
  ftp_chan_local(ch, &c.local);
  if (h->command == FTP_PROXY_CMD_PROXY) {
    c.addr = h->src;
    c.front = h->dst;
  } else {
    /* Section 2.1/2.2: UNKNOWN or an unsupported family: the real
     * endpoints, as if there were no header. */
    log_info("balancer %s sent PROXY %s: its own address is the client's",
             w->peer_str, h->version == 1 ? "UNKNOWN" : "for a non-TCP family");
    c.addr = w->peer;
    c.front = c.local;
  }
  ftpd_proxywait_cb *done = w->done;

  w->done = NULL;
  finish(w, 0);
  done(l, ch, &c);
}

static void wait_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct proxywait *w = ftp_chan_data(ch);
  void *p;
  size_t n;

  (void)suggested;
  ftp_proxy_reader_want(&w->rd, &p, &n);
  *buf = uv_buf_init(p, (unsigned)n);
}

static void wait_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct proxywait *w = ftp_chan_data(ch);
  struct ftp_proxy_hdr h;
  int r;

  (void)buf;
  if (nread == 0)
    return;
  if (nread < 0) {
    refuse(w, nread == UV_EOF ? "closed before a PROXY protocol header"
                              : ftp_strerror((int)nread));
    return;
  }
  r = ftp_proxy_reader_got(&w->rd, (size_t)nread, &h);
  if (r == FTP_PROXY_MORE)
    return;
  if (r != 0) {
    refuse(w, "malformed PROXY protocol header");
    return;
  }
  if (h.command == FTP_PROXY_CMD_LOCAL) {
    /* A health check: the balancer only wants to know we answer. */
    log_debug("health check from balancer %s (PROXY v2 LOCAL)", w->peer_str);
    ftpd_metrics_count(FTPD_M_HEALTH_CHECKS);
    finish(w, 1);
    return;
  }
  hand_over(w, &h);
}

int ftpd_proxywait_start(struct ftpd_listener *l, struct ftp_chan *ch,
                          const struct sockaddr_storage *peer, ftpd_proxywait_cb *done) {
  struct proxywait *w = calloc(1, sizeof(*w));

  if (w == NULL) {
    ftp_chan_close(ch, NULL);
    return FTP_E_NOMEM;
  }
  w->l = l;
  w->ch = ch;
  w->peer = *peer;
  w->refs = 2;
  w->done = done;
  ftp_addr_to_string(peer, w->peer_str, sizeof(w->peer_str));
  ftp_proxy_reader_init(&w->rd);
  ftp_chan_set_data(ch, w);
  uv_timer_init(l->srv->loop, &w->timer);
  w->timer.data = w;
  uv_timer_start(&w->timer, timeout_cb, FTP_PROXY_WAIT_MS, 0);
  if (ftp_chan_read_start(ch, wait_alloc, wait_read) != 0)
    refuse(w, "cannot read");
  return 0;
}
