/*
 * data.c: the data side of a session (data.h): passive listener, PORT
 * target, data connection, transfer.  The only file that writes them.
 */
#include "data.h"

#include <string.h>

#include "log.h"
#include "metrics.h"
#include "server.h"
#include "session.h"

void ftpd_data_reset(struct ftpd_session *s) {
  struct ftpd_data *d = &s->data;
  struct ftpd_xfer *x = d->xfer;

  if (x != NULL) {
    /* Still attached: nothing ended it, the session is closing. */
    d->xfer = NULL;
    if (d->abandon != NULL)
      d->abandon(s, x);
  }
  d->abandon = NULL;
  if (d->conn != NULL)
    ftpd_metrics_add(FTPD_M_DATA_ADDRESS, ftp_dataconn_strays(d->conn));
  ftp_dataconn_free(d->conn);
  d->conn = NULL;
  d->port_set = 0;
}

void ftpd_data_opts(struct ftpd_session *s, struct ftp_dataconn_opts *o) {
  const struct ftp_conf *c = s->conf;

  memset(o, 0, sizeof(*o));
  o->loop = s->srv->loop;
  o->role = FTP_DATACONN_SERVER;
  o->timeout_ms = c->datatimeout * 1000;
  o->keepalive = c->datakeepalive;
  if (c->passivedataconn == FTP_PASSIVEDATACONN_NOREDIRECT)
    o->expect_peer = &s->peer;
  /* Behind a balancer: which peers are balancers, and whether their data
   * connections start with a PROXY header naming the client. */
  o->server.balancers = s->cfg->balancers;
  o->server.nbalancers = s->cfg->nbalancers;
  o->server.proxy_header = c->proxyprotocoldata;
  o->tls = s->pol.prot_private;
  o->tls_ctx = s->cfg->tls;
  o->server.resume = s->resume;
  /* After CCC the control connection can carry no new session ticket, and
   * clients (lftp) drop the TLS session with the control TLS: a data
   * connection then resumes if it can, but is not refused for a full
   * handshake (ProFTPD's choice too, its Bug#3465).  SECURE_CTRLCONN
   * PRIVATE refuses CCC where that binding must hold for the whole
   * session; PASSIVEDATACONN NOREDIRECT still ties the data connection to
   * the client's address. */
  o->require_resume = c->secure_session_reuse == FTP_SECURE_SESSION_REUSE_REQUIRED &&
                      !s->pol.ccc_done;
  o->server.cert_crosscheck = c->tlscertcrosscheck;
  o->server.have_ctrl_cert = s->have_cert;
  memcpy(o->server.ctrl_cert_sha256, s->cert_sha256, sizeof(o->server.ctrl_cert_sha256));
}

int ftpd_data_listen(struct ftpd_session *s, unsigned lo, unsigned hi, unsigned *port) {
  struct ftp_dataconn_opts o;
  int r;

  ftpd_data_reset(s);
  ftpd_data_opts(s, &o);
  if ((r = ftp_dataconn_listen(&o, &s->local, lo, hi, &s->data.conn, port)) != 0) {
    slog_warn_r(s, r, "passive listener");
    return r;
  }
  ftp_dataconn_set_data(s->data.conn, s);
  return 0;
}

void ftpd_data_set_port(struct ftpd_session *s, const struct sockaddr_storage *target) {
  ftpd_data_reset(s);
  s->data.port_target = *target;
  s->data.port_set = 1;
}

int ftpd_data_is_set_up(const struct ftpd_session *s) {
  return s->data.conn != NULL || s->data.port_set;
}

int ftpd_data_open(struct ftpd_session *s, ftp_dataconn_cb *ready) {
  struct ftpd_data *d = &s->data;
  struct ftp_dataconn_opts o;
  int r;

  if (d->conn == NULL) {
    ftpd_data_opts(s, &o);
    if ((r = ftp_dataconn_connect(&o, &d->port_target, &d->conn)) != 0)
      return r;
    ftp_dataconn_set_data(d->conn, s);
  }
  ftp_dataconn_when_ready(d->conn, ready);
  return 0;
}

struct ftp_dataconn *ftpd_data_conn(const struct ftpd_session *s) { return s->data.conn; }

uint64_t ftpd_data_bytes(const struct ftpd_session *s) {
  return s->data.conn != NULL ? ftp_dataconn_bytes(s->data.conn) : 0;
}

struct ftpd_xfer *ftpd_data_xfer(const struct ftpd_session *s) { return s->data.xfer; }

void ftpd_data_set_xfer(struct ftpd_session *s, struct ftpd_xfer *x,
                        ftpd_xfer_abandon_fn *abandon) {
  if (s->data.xfer != NULL)
    BUG("session #%lu: a second transfer", s->id);
  s->data.xfer = x;
  s->data.abandon = abandon;
}

struct ftpd_xfer *ftpd_data_take_xfer(struct ftpd_session *s) {
  struct ftpd_xfer *x = s->data.xfer;

  s->data.xfer = NULL;
  s->data.abandon = NULL;
  return x;
}

void ftpd_xfer_await(struct ftpd_xfer *x, const struct ftpd_job *job) {
  x->opening = job;
}

struct ftpd_xfer *ftpd_xfer_claim(struct ftpd_session *s, const struct ftpd_job *job) {
  struct ftpd_xfer *x = s->data.xfer;

  if (x == NULL || x->opening != job)
    return NULL;
  x->opening = NULL;
  return x;
}
