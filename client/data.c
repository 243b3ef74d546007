/*
 * data.c: one transfer: TYPE, data protection, the data connection (EPSV,
 * PASV, EPRT, PORT; RFC 959 and RFC 2428), REST (RFC 3659 section 5), the
 * transfer command, the data itself through common/dataconn, and ABOR.
 *
 * A transfer has two ends that may come in either order: the data stream
 * (dataconn's done callback) and the server's final reply.  Success needs
 * both to be good: a stream that ended cleanly (close_notify under TLS) and
 * a 2xx reply.  Anything else is a failure, whatever the other end said, so
 * that a truncated download never looks complete.
 *
 * This file owns two timers of its own: the progress tick while data flows
 * and the drain of an aborted download; the operation's timer is
 * machine.c's.  What a timeout or Ctrl-C does in each transfer state is
 * named in the state table (engine.c) and done by the handlers below.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "text.h"

/* Progress callbacks per second during a transfer. */
#define TICK_MS 100

static void finish(struct ftpc *c);
static void send_transfer_command(struct ftpc *c);
static void xfer_continue(struct ftpc *c);

static const char *kind_verb(int kind) {
  static const char *const verbs[] = {"RETR", "STOR", "APPE", "LIST", "NLST", "MLSD"};
  return kind >= 0 && kind <= FTPC_XFER_MLSD ? verbs[kind] : "?";
}

static int is_upload(int kind) { return kind == FTPC_XFER_STOR || kind == FTPC_XFER_APPE; }
static int is_file(int kind) { return kind <= FTPC_XFER_APPE; }

/* --- the passive address decision ----------------------------------------- */

int ftpc_pasv_target(const struct sockaddr_storage *ctrl_peer,
                     const struct sockaddr_storage *pasv, int ignore_addr,
                     struct sockaddr_storage *out) {
  const struct sockaddr_in *sin = (const struct sockaddr_in *)pasv;
  int replace = ignore_addr;

  /* 0.0.0.0 means "where you are connected" to some servers. */
  if (pasv->ss_family == AF_INET && sin->sin_addr.s_addr == 0)
    replace = 1;
  /* Security and NAT: a server behind NAT that does not know its public
   * address advertises a private one (lftp's ftp:fix-pasv-address); a
   * public server pointing us into our own private network is worse. */
  if (ftp_addr_is_private(pasv) && !ftp_addr_is_private(ctrl_peer))
    replace = 1;
  if (pasv->ss_family != ctrl_peer->ss_family)
    replace = 1;
  if (!replace) {
    *out = *pasv;
    return 0;
  }
  *out = *ctrl_peer;
  ftp_addr_set_port(out, ftp_addr_port(pasv));
  return 1;
}

/* --- set-up steps --------------------------------------------------------- */

static void xfer_fail(struct ftpc *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void xfer_fail(struct ftpc *c, int status, const char *fmt, ...) {
  char msg[sizeof(c->err)];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ftpc__fail(c, status, "%s", msg);
}

static void data_opts(struct ftpc *c, struct ftp_dataconn_opts *o) {
  const struct ftp_conf *conf = c->set.conf;

  memset(o, 0, sizeof(*o));
  o->loop = &c->loop;
  o->role = FTP_DATACONN_CLIENT;
  o->timeout_ms = conf->datacttime * 1000;
  o->keepalive = conf->datakeepalive;
  o->tls = c->prot_server == 'P';
  o->tls_ctx = c->tls_ctx;
  /* Each data connection resumes the control connection's session, taken
   * now (it holds the newest TLS 1.3 ticket), and checks the certificate
   * against the control connection's host name, wherever PASV pointed. */
  if (conf->secure_session_reuse != FTP_SECURE_SESSION_REUSE_NONE && c->ctrl != NULL)
    o->client.ctrl_session = ftp_chan_session(c->ctrl);
  /* SECURE_SESSION_REUSE REQUIRED: common/dataconn refuses a data
   * connection on which the server did not resume that session. */
  o->require_resume = o->tls &&
                      conf->secure_session_reuse == FTP_SECURE_SESSION_REUSE_REQUIRED;
  o->client.host = c->host;
  o->client.verify = c->set.verify;
  o->client.verify_host =
      c->set.verify && conf->secure_hostname == FTP_SECURE_HOSTNAME_REQUIRED;
}

static void send_or_fatal(struct ftpc *c, enum ftpc_state st, const char *verb,
                          const char *arg) {
  int r;

  ftpc__set_state(c, st);
  ftpc__arm_timer(c, c->set.conf->inacttime);
  if ((r = ftpc__send(c, verb, arg)) != 0)
    ftpc__fatal(c, r, "%s: %s", verb, ftp_strerror(r));
}

static void start_passive(struct ftpc *c) {
  int v6 = c->peer.ss_family == AF_INET6;

  /* RFC 2428: EPSV carries no address, so it works through NAT and under
   * TLS; PASV only for IPv4 servers that refuse it. */
  if ((v6 || c->set.epsv4) && !c->epsv_refused) {
    send_or_fatal(c, FTPC_ST_EPSV, "EPSV", NULL);
    return;
  }
  if (v6) {
    xfer_fail(c, FTP_E_PROTO, "the server refused EPSV, and PASV cannot carry IPv6");
    return;
  }
  send_or_fatal(c, FTPC_ST_PASV, "PASV", NULL);
}

static void send_port(struct ftpc *c, unsigned port, int extended) {
  struct sockaddr_storage sa = c->local;
  struct ftp_buf arg;
  int r;

  ftp_addr_set_port(&sa, port);
  ftp_buf_init(&arg, 128);
  r = extended ? ftp_addr_format_eprt(&sa, &arg) : ftp_addr_format_port(&sa, &arg);
  if (r != 0)
    xfer_fail(c, r, "cannot describe the local address: %s", ftp_strerror(r));
  else
    send_or_fatal(c, extended ? FTPC_ST_EPRT : FTPC_ST_PORT,
                  extended ? "EPRT" : "PORT", ftp_buf_cstr(&arg, NULL));
  ftp_buf_free(&arg);
}

static void start_active(struct ftpc *c) {
  struct ftp_dataconn_opts o;
  int v6 = c->local.ss_family == AF_INET6;
  unsigned port = 0;
  int r;

  if (c->dc == NULL) {
    data_opts(c, &o);
    /* Security: only the server may connect to our port. */
    o.expect_peer = &c->peer;
    if ((r = ftp_dataconn_listen(&o, &c->local, 0, 0, &c->dc, &port)) != 0) {
      xfer_fail(c, r, "cannot listen for the data connection: %s", ftp_strerror(r));
      return;
    }
    ftp_dataconn_set_data(c->dc, c);
    c->active_port = port;
  }
  if ((v6 || c->set.epsv4) && !c->eprt_refused) {
    send_port(c, c->active_port, 1);
    return;
  }
  if (v6) {
    xfer_fail(c, FTP_E_PROTO, "the server refused EPRT, and PORT cannot carry IPv6");
    return;
  }
  send_port(c, c->active_port, 0);
}

static char type_wanted(const struct ftpc_xfer *x) { return x->ascii ? 'A' : 'I'; }

/* The next step of the transfer, from wherever it stands. */
static void xfer_continue(struct ftpc *c) {
  struct ftpc_xfer *x = c->xfer;
  char arg[2] = {0, 0};

  if (c->interrupts > 0) {
    xfer_fail(c, FTP_E_ABORTED, "interrupted");
    return;
  }
  if (c->tls_on && ftpc__prot_wanted(c) != c->prot_server) {
    ftpc__start_prot(c, xfer_continue);
    return;
  }
  if (is_file(x->kind) && c->type_server != type_wanted(x)) {
    arg[0] = type_wanted(x);
    send_or_fatal(c, FTPC_ST_TYPE, "TYPE", arg);
    return;
  }
  if (c->dc == NULL && c->set.passive) {
    start_passive(c);
    return;
  }
  if (c->dc == NULL) {
    start_active(c);
    return;
  }
  if (x->rest > 0 && c->state != FTPC_ST_REST) {
    char off[32];
    snprintf(off, sizeof(off), "%lld", (long long)x->rest);
    send_or_fatal(c, FTPC_ST_REST, "REST", off);
    return;
  }
  send_transfer_command(c);
}

void ftpc__on_type_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (!FTPC_OK(rep->code)) {
    ftpc__reply_error(c, FTP_E_REFUSED, "TYPE refused", rep);
    return;
  }
  c->type_server = type_wanted(c->xfer);
  xfer_continue(c);
}

static void connect_data(struct ftpc *c, const struct sockaddr_storage *target) {
  struct ftp_dataconn_opts o;
  int r;

  data_opts(c, &o);
  if ((r = ftp_dataconn_connect(&o, target, &c->dc)) != 0) {
    xfer_fail(c, r, "data connection: %s", ftp_strerror(r));
    return;
  }
  ftp_dataconn_set_data(c->dc, c);
  xfer_continue(c);
}

/* RFC 2428 section 3: a server that does not know EPSV (or this form of
 * it) says so with 500, 501, 502, 504 or 522; a 229 we cannot read counts
 * the same (as the z/OS client does). */
static int ext_refused(int code) {
  return code == FTP_R_SYNTAX || code == FTP_R_SYNTAX_ARG ||
         code == FTP_R_NOT_IMPLEMENTED || code == FTP_R_NOT_IMPL_PARAM ||
         code == FTP_R_EXT_UNSUPPORTED;
}

void ftpc__on_epsv_reply(struct ftpc *c, const struct ftp_reply *rep) {
  struct sockaddr_storage target;
  unsigned port;

  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code == FTP_R_EPSV &&
      ftp_addr_parse_epsv_reply(ftp_reply_text((struct ftp_reply *)rep), &port) == 0) {
    /* RFC 2428 section 3: the data connection goes to the control
     * connection's address. */
    target = c->peer;
    ftp_addr_set_port(&target, port);
    connect_data(c, &target);
    return;
  }
  if (rep->code == FTP_R_EPSV || ext_refused(rep->code)) {
    log_info("EPSV refused (%d): falling back to PASV", rep->code);
    c->epsv_refused = 1;
    start_passive(c);
    return;
  }
  ftpc__reply_error(c, FTP_E_REFUSED, "EPSV", rep);
}

void ftpc__on_pasv_reply(struct ftpc *c, const struct ftp_reply *rep) {
  struct sockaddr_storage pasv, target;
  char who[FTP_ADDR_STRLEN];

  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code != FTP_R_PASV) {
    ftpc__reply_error(c, FTP_E_REFUSED, "PASV", rep);
    return;
  }
  if (ftp_addr_parse_pasv_reply(ftp_reply_text((struct ftp_reply *)rep), &pasv) != 0) {
    ftpc__reply_error(c, FTP_E_BAD_REPLY, "PASV reply not understood", rep);
    return;
  }
  if (ftpc_pasv_target(&c->peer, &pasv, c->set.conf->passiveignoreaddr, &target) &&
      !c->set.conf->passiveignoreaddr) {
    ftp_addr_to_string(&pasv, who, sizeof(who));
    log_info("PASV address %s ignored: using the control connection's address", who);
  }
  connect_data(c, &target);
}

void ftpc__on_eprt_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (FTPC_OK(rep->code)) {
    xfer_continue(c);
    return;
  }
  if (ext_refused(rep->code)) {
    c->eprt_refused = 1;
    start_active(c);
    return;
  }
  ftpc__reply_error(c, FTP_E_REFUSED, "EPRT", rep);
}

void ftpc__on_port_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (FTPC_OK(rep->code)) {
    xfer_continue(c);
    return;
  }
  ftpc__reply_error(c, FTP_E_REFUSED, "PORT", rep);
}

void ftpc__on_rest_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code != FTP_R_PENDING) {
    ftpc__reply_error(c, FTP_E_REFUSED, "REST refused (cannot resume)", rep);
    return;
  }
  send_transfer_command(c);
}

static void send_transfer_command(struct ftpc *c) {
  struct ftpc_xfer *x = c->xfer;

  c->xfer_start = uv_hrtime();
  send_or_fatal(c, FTPC_ST_XFER_CMD, kind_verb(x->kind), x->remote);
}

/* --- the data ------------------------------------------------------------- */

static void tick_cb(uv_timer_t *t) {
  struct ftpc *c = t->data;

  if (c->xfer != NULL && c->dc != NULL && c->xfer->progress != NULL)
    c->xfer->progress(c->xfer->progress_arg, ftp_dataconn_bytes(c->dc), 0);
}

static void note_data_end(struct ftpc *c, int status) {
  struct ftpc_xfer *x = c->xfer;

  c->data_done = 1;
  c->data_status = status;
  if (c->dc != NULL) {
    x->bytes = ftp_dataconn_bytes(c->dc);
    ftp_dataconn_describe(c->dc, x->desc, sizeof(x->desc));
  }
  x->seconds = (double)(uv_hrtime() - c->xfer_start) / 1e9;
  uv_timer_stop(&c->tick);
  uv_timer_stop(&c->drain); /* nothing left to drain */
}

static void abort_transfer(struct ftpc *c, int status, int drain);

/*
 * A broken stream and no final reply REPLY_GRACE_MS later: the server may
 * never learn (a path cut in the middle leaves its end open, and it waits
 * for its own data timeout), so ABOR asks it to end the transfer.  The
 * drain timer is free once the data side has ended.
 */
#define REPLY_GRACE_MS 2000

static void reply_grace_cb(uv_timer_t *t) {
  struct ftpc *c = t->data;

  if (c->xfer != NULL && c->final_code == 0 && c->state != FTPC_ST_ABOR)
    abort_transfer(c, c->data_status, 0);
}

static void data_done_cb(struct ftp_dataconn *dc, int status) {
  struct ftpc *c = ftp_dataconn_data(dc);

  if (c->dc != dc || c->xfer == NULL)
    return;
  note_data_end(c, status);
  if (c->final_code != 0 && c->state != FTPC_ST_ABOR) {
    finish(c);
    return;
  }
  if (c->dc != NULL) {
    /* The stream is over either way, so our end closes now, before the
     * final reply.  After a failure, the server fails the transfer at
     * once (426) rather than wait for its own timeout.  After a clean
     * end, some servers (ProFTPD under PROT C) send 226 only once we have
     * closed: waiting for the 226 first would stall both until a timeout.
     * An upload's connection lingers in dataconn until the server closes.
     * The .part is still renamed only once the 2xx arrives (finish). */
    ftp_dataconn_free(c->dc);
    c->dc = NULL;
  }
  if (c->state == FTPC_ST_ABOR)
    return;
  ftpc__arm_timer(c, c->set.conf->inacttime);
  if (status != 0)
    uv_timer_start(&c->drain, reply_grace_cb, REPLY_GRACE_MS, 0);
}

static int start_pump(struct ftpc *c) {
  struct ftpc_xfer *x = c->xfer;
  int r;

  if (is_upload(x->kind))
    r = ftp_dataconn_send_file(c->dc, x->fd, 0, x->ascii, data_done_cb);
  else
    r = ftp_dataconn_recv_file(c->dc, x->fd, x->in_order ? -1 : x->rest, x->ascii,
                               data_done_cb);
  x->fd = -1; /* the connection's now, even on failure */
  return r;
}

static int sink_cb(struct ftp_dataconn *dc, const void *p, size_t n) {
  struct ftpc *c = ftp_dataconn_data(dc);
  struct ftpc_xfer *x = c->xfer;

  if (x == NULL || x->sink == NULL)
    return 0;
  return x->sink(x->sink_arg, p, n);
}

static int start_sink(struct ftpc *c) {
  struct ftpc_xfer *x = c->xfer;
  /* Listings travel as TYPE A text (RFC 959 section 4.1.3): their CR LF
   * become LF here, whatever TYPE is set. */
  return ftp_dataconn_recv_sink(c->dc, x->ascii || !is_file(x->kind), sink_cb,
                                data_done_cb);
}

static void data_ready_cb(struct ftp_dataconn *dc, int status) {
  struct ftpc *c = ftp_dataconn_data(dc);
  int r;

  if (c->dc != dc || c->xfer == NULL || c->state == FTPC_ST_ABOR)
    return;
  if (status != 0) {
    /* Security: a data connection we refuse is closed now, so that nothing
     * more is read from it and the server learns at once. */
    ftp_dataconn_abort(dc);
    note_data_end(c, status);
    abort_transfer(c, status, 0);
    return;
  }
  r = c->xfer->fd < 0 && !is_upload(c->xfer->kind) ? start_sink(c) : start_pump(c);
  if (r != 0) {
    note_data_end(c, r);
    abort_transfer(c, r, 0);
    return;
  }
  c->pump_running = 1;
}

void ftpc__on_xfer_cmd_reply(struct ftpc *c, const struct ftp_reply *rep) {
  struct ftpc_xfer *x = c->xfer;

  if (FTPC_NEG(rep->code)) {
    ftpc__reply_error(c, FTP_E_REFUSED, NULL, rep);
    return;
  }
  if (FTPC_OK(rep->code)) {
    /* A final reply without a 1xx: the server moved no data. */
    c->final_code = rep->code;
    note_data_end(c, 0);
    finish(c);
    return;
  }
  if (!FTPC_PRELIM(rep->code)) {
    ftpc__reply_error(c, FTP_E_BAD_REPLY, "unexpected reply", rep);
    return;
  }
  x->size_hint = ftpc_text_reply_size(ftp_reply_text((struct ftp_reply *)rep));
  ftpc__set_state(c, FTPC_ST_XFER);
  /* From now on the data connection's own timer (DATACTTIME) bounds the
   * wait; the control connection may rightly stay silent. */
  ftpc__stop_timer(c);
  if (x->progress != NULL)
    uv_timer_start(&c->tick, tick_cb, TICK_MS, TICK_MS);
  ftp_dataconn_when_ready(c->dc, data_ready_cb);
}

void ftpc__on_xfer_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  c->final_code = rep->code;
  ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), c->final_text,
                       sizeof(c->final_text));
  if (c->data_done) {
    finish(c);
    return;
  }
  if (FTPC_NEG(rep->code) && c->dc != NULL) {
    /* The server gave up: so do we (done runs now, and finishes). */
    ftp_dataconn_abort(c->dc);
    return;
  }
  /* 2xx before our end of the stream: the rest may still be in flight. */
}

/* --- ending --------------------------------------------------------------- */

static void finish(struct ftpc *c) {
  int code = c->final_code;

  uv_timer_stop(&c->tick);
  if (c->interrupts > 0) {
    xfer_fail(c, FTP_E_ABORTED, "interrupted: transfer aborted");
    return;
  }
  /* Our own refusal first: the server's 426 or 425 only follows from it. */
  if (c->data_status == FTP_E_TLS_NOT_RESUMED) {
    xfer_fail(c, FTP_E_TLS_NOT_RESUMED,
              "the data connection did not resume the control connection's "
              "TLS session (SECURE_SESSION_REUSE REQUIRED)");
    return;
  }
  if (code != 0 && FTPC_NEG(code)) {
    xfer_fail(c, FTP_E_REFUSED, "%d %s", code, c->final_text);
    return;
  }
  if (c->data_status == FTP_E_TLS_TRUNCATED) {
    xfer_fail(c, FTP_E_TLS_TRUNCATED,
              "the data stream ended without TLS close_notify: truncated, "
              "not accepted (server said %d)", code);
    return;
  }
  if (c->data_status != 0) {
    xfer_fail(c, c->data_status, "data connection: %s", ftp_strerror(c->data_status));
    return;
  }
  ftpc__op_end(c, 0);
}

/* How long an interrupted download keeps reading, waiting for the server
 * to close the data connection on ABOR, before closing it itself. */
#define DRAIN_MS 2000

static void drain_cb(uv_timer_t *t) {
  struct ftpc *c = t->data;

  if (c->dc != NULL && !c->data_done)
    ftp_dataconn_abort(c->dc);
}

/*
 * Send ABOR (Telnet IP and Synch first) and wait for its replies.
 * drain: a download was interrupted: as BSD ftp does, the data connection
 * stays open, read to its end, while the server reacts to ABOR (it closes
 * the data connection, then answers); only after DRAIN_MS is it cut.
 * Cutting it at once makes some servers fail a write on it, and ProFTPD
 * 1.3.8 ends the whole session on such a failure.
 */
static void abort_transfer(struct ftpc *c, int status, int drain) {
  int r;

  if (c->state == FTPC_ST_ABOR)
    return;
  if (c->dc != NULL && !c->data_done) {
    if (drain && c->pump_running && !is_upload(c->xfer->kind)) {
      uv_timer_stop(&c->tick); /* the bar stops where the user stopped it */
      uv_timer_start(&c->drain, drain_cb, DRAIN_MS, 0);
    } else {
      ftp_dataconn_abort(c->dc);
    }
  }
  if (c->op_done)
    return; /* the abort's done callback finished the transfer */
  if (c->data_status == 0)
    c->data_status = status;
  if (c->final_code != 0) {
    finish(c);
    return;
  }
  ftpc__set_state(c, FTPC_ST_ABOR);
  ftpc__arm_timer(c, c->set.conf->inacttime < 15 ? c->set.conf->inacttime : 15);
  if ((r = ftpc__send_abor(c)) != 0)
    ftpc__fatal(c, r, "ABOR: %s", ftp_strerror(r));
}

void ftpc__on_abor_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  /* RFC 959 section 4.1.3: the transfer command's own reply (426, or 226
   * if it had ended) comes first, then ABOR's (225 or 226).  A transfer
   * command answered before the abort leaves only ABOR's reply. */
  if (c->final_code == 0) {
    c->final_code = rep->code;
    ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), c->final_text,
                         sizeof(c->final_text));
    /* The server gave the transfer up: stop draining. */
    if (FTPC_NEG(rep->code) && c->dc != NULL && !c->data_done)
      ftp_dataconn_abort(c->dc);
    return;
  }
  finish(c);
}

/* --- timeouts and Ctrl-C (the state table names them) --------------------- */

/* TYPE, EPSV, PASV, EPRT, PORT, REST: the pending reply comes, then the
 * next step sees c->interrupts and stops the transfer. */
void ftpc__on_setup_interrupt(struct ftpc *c) { (void)c; }

/* XFER_CMD, XFER: abort the transfer (ABOR); a download drains. */
void ftpc__on_xfer_interrupt(struct ftpc *c) {
  fputs("\n", stderr);
  abort_transfer(c, FTP_E_ABORTED, 1);
}

void ftpc__on_xfer_timeout(struct ftpc *c) {
  ftpc__fatal(c, UV_ETIMEDOUT, "%s: no reply from the server within INACTTIME "
                               "(%u s): connection closed",
              c->xfer != NULL ? kind_verb(c->xfer->kind) : "transfer",
              c->set.conf->inacttime);
}

/* ABOR sent and Ctrl-C again: the user gives the server up. */
void ftpc__on_abor_interrupt(struct ftpc *c) {
  ftpc__fatal(c, FTP_E_ABORTED, "interrupted: connection closed");
}

/* No reply to ABOR: the transfer ends as it stands (failed). */
void ftpc__on_abor_timeout(struct ftpc *c) {
  log_info_r(UV_ETIMEDOUT, "no reply to ABOR in time");
  finish(c);
}

/* --- the end of the operation --------------------------------------------- */

/* The transfer operation's release (ftpc__op_begin): whatever ended it. */
static void release(struct ftpc *c) {
  struct ftpc_xfer *x = c->xfer;

  uv_timer_stop(&c->tick);
  uv_timer_stop(&c->drain);
  if (c->dc != NULL) {
    if (x != NULL && !c->data_done) {
      x->bytes = ftp_dataconn_bytes(c->dc);
      ftp_dataconn_describe(c->dc, x->desc, sizeof(x->desc));
    }
    ftp_dataconn_free(c->dc);
    c->dc = NULL;
  }
  if (x == NULL)
    return;
  c->xfer = NULL;

  if (x->fd >= 0) {
    uv_fs_t req;
    uv_fs_close(&c->loop, &req, x->fd, NULL);
    uv_fs_req_cleanup(&req);
    x->fd = -1;
  }
  if (x->seconds == 0 && c->xfer_start != 0)
    x->seconds = (double)(uv_hrtime() - c->xfer_start) / 1e9;
  if (x->progress != NULL)
    x->progress(x->progress_arg, x->bytes, 1);
  if (c->final_code != 0 && c->set.show_replies && c->set.verbosity == FTPC_NORMAL) {
    fflush(stderr);
    printf("%d %s\n", c->final_code, c->final_text);
    fflush(stdout);
  }
}

/* --- the facade ----------------------------------------------------------- */

static int refuse_early(struct ftpc *c, struct ftpc_xfer *x, int status,
                        const char *msg) {
  snprintf(c->err, sizeof(c->err), "%s", msg);
  if (x->fd >= 0) {
    uv_fs_t req;
    uv_fs_close(&c->loop, &req, x->fd, NULL);
    uv_fs_req_cleanup(&req);
    x->fd = -1;
  }
  return status;
}

int ftpc_transfer(struct ftpc *c, struct ftpc_xfer *x) {
  x->bytes = x->size_hint = 0;
  x->seconds = 0;
  snprintf(x->desc, sizeof(x->desc), "clear");
  if (ftpc__settle(c) != 0) {
    char why[sizeof(c->err)];
    snprintf(why, sizeof(why), "%s", c->err);
    return refuse_early(c, x, UV_ENOTCONN, why);
  }
  if (c->set.prot == FTPC_PROT_PRIVATE && c->prot_server != 'P' && !c->tls_on)
    return refuse_early(c, x, FTP_E_PROTO,
                        "data protection PRIVATE needs TLS: no data in clear");
  if (c->prot_refused && ftpc__prot_wanted(c) == 'P')
    return refuse_early(c, x, FTP_E_TLS,
                        "the server refused PROT P: no data in clear (\"clear\" allows it)");
  c->xfer = x;
  c->dc = NULL;
  c->data_done = 0;
  c->data_status = 0;
  c->final_code = 0;
  c->final_text[0] = 0;
  c->xfer_start = 0;
  c->pump_running = 0;
  ftpc__op_begin(c, FTPC_ST_IDLE, c->set.conf->inacttime, release);
  xfer_continue(c);
  return ftpc__run(c);
}

/* --- the timers ----------------------------------------------------------- */

void ftpc__xfer_init(struct ftpc *c) {
  uv_timer_init(&c->loop, &c->tick);
  uv_timer_init(&c->loop, &c->drain);
  c->tick.data = c->drain.data = c;
}

void ftpc__xfer_close(struct ftpc *c) {
  uv_close((uv_handle_t *)&c->tick, NULL);
  uv_close((uv_handle_t *)&c->drain, NULL);
}
