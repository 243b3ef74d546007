/*
 * engine.c: the control connection, the reply wait, the state table and the
 * synchronous facade around them (engine.h).
 *
 * Every facade call starts an operation (ftpc__op_begin), runs the loop
 * until the operation ends (ftpc__run), and returns its status.  Replies are
 * parsed incrementally as bytes arrive (common/reply); each complete reply
 * is dispatched to the current state's handler through the table below.
 */
#include "engine.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "addr.h"
#include "cmd.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "text.h"

/* --- states --------------------------------------------------------------- */

static ftpc_reply_fn on_command_reply;
static ftpc_reply_fn on_feat_reply;
static ftpc_reply_fn on_quit_reply;

static const struct {
  const char *name;
  ftpc_reply_fn *on_reply; /* NULL: no reply is expected in this state */
} states[FTPC_ST__COUNT] = {
  [FTPC_ST_DISCONNECTED] = {"DISCONNECTED", NULL},
  [FTPC_ST_RESOLVING] = {"RESOLVING", NULL},
  [FTPC_ST_CONNECTING] = {"CONNECTING", NULL},
  [FTPC_ST_IMPLICIT_TLS] = {"IMPLICIT_TLS", NULL},
  [FTPC_ST_GREETING] = {"GREETING", ftpc__on_greeting_reply},
  [FTPC_ST_IDLE] = {"IDLE", NULL},
  [FTPC_ST_AUTH] = {"AUTH", ftpc__on_auth_reply},
  [FTPC_ST_FEAT_AUTH] = {"FEAT_AUTH", ftpc__on_feat_auth_reply},
  [FTPC_ST_AUTH_SSL] = {"AUTH_SSL", ftpc__on_auth_ssl_reply},
  [FTPC_ST_HANDSHAKE] = {"HANDSHAKE", NULL},
  [FTPC_ST_USER] = {"USER", ftpc__on_user_reply},
  [FTPC_ST_PASS] = {"PASS", ftpc__on_pass_reply},
  [FTPC_ST_ACCT] = {"ACCT", ftpc__on_acct_reply},
  [FTPC_ST_PBSZ] = {"PBSZ", ftpc__on_pbsz_reply},
  [FTPC_ST_PROT] = {"PROT", ftpc__on_prot_reply},
  [FTPC_ST_COMMAND] = {"COMMAND", on_command_reply},
  [FTPC_ST_FEAT] = {"FEAT", on_feat_reply},
  [FTPC_ST_CCC] = {"CCC", ftpc__on_ccc_reply},
  [FTPC_ST_TYPE] = {"TYPE", ftpc__on_type_reply},
  [FTPC_ST_EPSV] = {"EPSV", ftpc__on_epsv_reply},
  [FTPC_ST_PASV] = {"PASV", ftpc__on_pasv_reply},
  [FTPC_ST_EPRT] = {"EPRT", ftpc__on_eprt_reply},
  [FTPC_ST_PORT] = {"PORT", ftpc__on_port_reply},
  [FTPC_ST_REST] = {"REST", ftpc__on_rest_reply},
  [FTPC_ST_XFER_CMD] = {"XFER_CMD", ftpc__on_xfer_cmd_reply},
  [FTPC_ST_XFER] = {"XFER", ftpc__on_xfer_reply},
  [FTPC_ST_ABOR] = {"ABOR", ftpc__on_abor_reply},
  [FTPC_ST_QUIT] = {"QUIT", on_quit_reply},
};

const char *ftpc__state_name(enum ftpc_state st) {
  return st < FTPC_ST__COUNT ? states[st].name : "?";
}

void ftpc__set_state(struct ftpc *c, enum ftpc_state st) {
  if (st == c->state)
    return;
  log_debug("%s -> %s", ftpc__state_name(c->state), ftpc__state_name(st));
  c->state = st;
}

/* --- output --------------------------------------------------------------- */

/* Warnings that matter for security (clear text ahead) are shown even
 * with -q. */
void ftpc__say(struct ftpc *c, const char *fmt, ...) {
  va_list ap;

  (void)c;
  fflush(stdout);
  fputs("ftp: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void show_reply(struct ftpc *c, const struct ftp_reply *rep) {
  const char *text = ftp_reply_text((struct ftp_reply *)rep);
  int verbose = c->set.verbosity >= FTPC_VERBOSE;

  if (!verbose && !(c->set.show_replies && c->set.verbosity > FTPC_QUIET))
    return;
  /* Interactive BSD style shows final replies; -v shows every one.  A
   * transfer's final reply waits until its data is out (data.c). */
  if (!verbose && (FTPC_PRELIM(rep->code) || c->state == FTPC_ST_XFER ||
                   c->state == FTPC_ST_ABOR))
    return;
  /* -v output goes to stderr: stdout may be a file being downloaded. */
  FILE *f = verbose ? stderr : stdout;
  fflush(verbose ? stdout : stderr);
  fprintf(f, "%d ", rep->code);
  ftpc_text_print(f, text, strlen(text), 1);
  fputc('\n', f);
  fflush(f);
}

/* --- errors --------------------------------------------------------------- */

static void vset_err(struct ftpc *c, const char *fmt, va_list ap) {
  char raw[sizeof(c->err)];

  vsnprintf(raw, sizeof(raw), fmt, ap);
  ftpc_text_clean(raw, strlen(raw), c->err, sizeof(c->err), 0);
}

/* The operation fails, the connection stays. */
void ftpc__fail(struct ftpc *c, int status, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vset_err(c, fmt, ap);
  va_end(ap);
  ftpc__op_end(c, status);
}

void ftpc__reply_error(struct ftpc *c, int status, const char *what,
                       const struct ftp_reply *rep) {
  char line[512];

  ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), line, sizeof(line));
  if (what != NULL)
    ftpc__fail(c, status, "%s: %d %s", what, rep->code, line);
  else
    ftpc__fail(c, status, "%d %s", rep->code, line);
}

static void ctrl_closed(struct ftp_chan *ch) {
  struct ftpc *c = ftp_chan_data(ch);
  (void)c;
}

static void reset_session(struct ftpc *c) {
  c->tls_on = c->ccc_done = c->logged_in = c->auth_ssl = 0;
  c->pbsz_done = c->prot_refused = c->epsv_refused = c->eprt_refused = 0;
  c->feat_known = 0;
  c->prot_server = 'C';
  c->type_server = 0;
  ftp_buf_free(&c->feat);
  ftp_reply_parser_reset(&c->parser);
}

void ftpc_disconnect(struct ftpc *c) {
  ftpc__xfer_release(c);
  if (c->ctrl != NULL) {
    ftp_chan_close(c->ctrl, ctrl_closed);
    c->ctrl = NULL;
  }
  if (c->ai_list != NULL) {
    uv_freeaddrinfo(c->ai_list);
    c->ai_list = c->ai_next = NULL;
  }
  reset_session(c);
  ftpc__set_state(c, FTPC_ST_DISCONNECTED);
}

/* The connection is unusable: close it and fail the operation. */
void ftpc__fatal(struct ftpc *c, int status, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vset_err(c, fmt, ap);
  va_end(ap);
  c->lost = 1;
  ftpc_disconnect(c);
  ftpc__op_end(c, status);
}

const char *ftpc_error(const struct ftpc *c) { return c->err; }

int ftpc_exit_status(const struct ftpc *c, int err) {
  if (err == 0)
    return FTPC_EXIT_OK;
  if (err == FTP_E_TLS_VERIFY)
    return FTPC_EXIT_VERIFY;
  if (err == FTP_E_LOGIN)
    return FTPC_EXIT_LOGIN;
  if (err == FTP_E_TLS || err == FTP_E_TOOBIG || err == FTP_E_BAD_REPLY ||
      (c != NULL && c->lost))
    return FTPC_EXIT_CONN;
  return FTPC_EXIT_FAIL;
}

/* --- operations ----------------------------------------------------------- */

static void timeout_cb(uv_timer_t *t) {
  struct ftpc *c = t->data;

  if (c->state == FTPC_ST_XFER || c->state == FTPC_ST_XFER_CMD ||
      c->state == FTPC_ST_ABOR) {
    ftpc__xfer_timeout(c);
    return;
  }
  if (c->state == FTPC_ST_QUIT) {
    ftpc__fatal(c, UV_ETIMEDOUT, "no reply to QUIT within CCONNTIME; connection closed");
    return;
  }
  ftpc__fatal(c, UV_ETIMEDOUT, "timed out in state %s: the server did not answer",
              ftpc__state_name(c->state));
}

void ftpc__arm_timer(struct ftpc *c, unsigned seconds) {
  if (seconds == 0)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, timeout_cb, (uint64_t)seconds * 1000, 0);
}

void ftpc__stop_timer(struct ftpc *c) { uv_timer_stop(&c->timer); }

void ftpc__op_begin(struct ftpc *c, enum ftpc_state st, unsigned timeout_s) {
  c->op_done = 0;
  c->op_status = 0;
  c->interrupts = 0;
  c->lost = 0;
  c->err[0] = 0;
  ftpc__set_state(c, st);
  ftpc__arm_timer(c, timeout_s);
}

void ftpc__op_end(struct ftpc *c, int status) {
  if (c->op_done)
    return;
  c->op_done = 1;
  c->op_status = status;
  uv_timer_stop(&c->timer);
  if (c->xfer != NULL)
    ftpc__xfer_release(c);
  if (status != 0 && c->err[0] == 0)
    ftpc_text_clean(ftp_strerror(status), strlen(ftp_strerror(status)), c->err,
                    sizeof(c->err), 0);
  ftpc__set_state(c, c->ctrl != NULL ? FTPC_ST_IDLE : FTPC_ST_DISCONNECTED);
}

static void sigint_cb(uv_signal_t *h, int signum) {
  struct ftpc *c = h->data;

  (void)signum;
  if (c->op_done)
    return; /* between operations: the shell decides */
  c->interrupts++;
  switch (c->state) {
  case FTPC_ST_XFER_CMD:
  case FTPC_ST_XFER:
  case FTPC_ST_EPSV:
  case FTPC_ST_PASV:
  case FTPC_ST_EPRT:
  case FTPC_ST_PORT:
  case FTPC_ST_REST:
  case FTPC_ST_TYPE:
    ftpc__xfer_interrupt(c);
    return;
  case FTPC_ST_RESOLVING:
  case FTPC_ST_CONNECTING:
  case FTPC_ST_IMPLICIT_TLS:
  case FTPC_ST_GREETING:
    ftpc__fatal(c, FTP_E_ABORTED, "interrupted");
    return;
  default:
    break;
  }
  if (c->interrupts > 1) {
    ftpc__fatal(c, FTP_E_ABORTED, "interrupted: connection closed");
    return;
  }
  fputs("\nftp: interrupt: waiting for the server's reply "
        "(Ctrl-C again closes the connection)\n", stderr);
}

int ftpc__run(struct ftpc *c) {
  while (!c->op_done) {
    if (uv_run(&c->loop, UV_RUN_ONCE) == 0 && !c->op_done) {
      /* Nothing left that could end the operation: a broken invariant,
       * reported rather than spun on. */
      ftpc__fatal(c, FTP_E_PROTO, "internal error: the engine stalled in state %s",
                  ftpc__state_name(c->state));
    }
  }
  return c->op_status;
}

/* Replies or a close that came while no operation ran (a 421 timeout,
 * a late reply after an ABOR) are taken before the next command. */
int ftpc__settle(struct ftpc *c) {
  if (c->ctrl == NULL) {
    snprintf(c->err, sizeof(c->err), "not connected");
    return UV_ENOTCONN;
  }
  c->err[0] = 0;
  uv_run(&c->loop, UV_RUN_NOWAIT);
  if (c->ctrl == NULL) {
    /* A 421 or the close itself left the reason in err. */
    c->lost = 1;
    if (c->err[0] == 0)
      snprintf(c->err, sizeof(c->err), "the server closed the connection");
    return UV_ENOTCONN;
  }
  return 0;
}

/* --- sending -------------------------------------------------------------- */

static void show_command(struct ftpc *c, const char *verb, const char *arg) {
  int secret = strcasecmp(verb, "PASS") == 0 || strcasecmp(verb, "ACCT") == 0;
  char clean[512];

  if (c->set.verbosity < FTPC_VERBOSE)
    return;
  if (arg != NULL && !secret)
    ftpc_text_clean(arg, strlen(arg), clean, sizeof(clean), 0);
  fflush(stdout);
  fprintf(stderr, "---> %s%s%s\n", verb, arg != NULL ? " " : "",
          arg == NULL ? "" : secret ? "****" : clean);
}

int ftpc__send(struct ftpc *c, const char *verb, const char *arg) {
  struct ftp_buf out;
  int r;

  if (c->ctrl == NULL)
    return UV_ENOTCONN;
  ftp_buf_init(&out, FTP_CMD_LINE_MAX * 2);
  ftp_buf_set_secret(&out); /* it may hold a password */
  if ((r = ftp_cmd_format(&out, verb, arg)) == 0) {
    show_command(c, verb, arg);
    r = ftp_chan_write(c->ctrl, ftp_buf_ptr(&out), ftp_buf_len(&out));
  }
  ftp_buf_free(&out);
  return r;
}

/*
 * ABOR as BSD ftp sends it (RFC 959 section 4.1.3): Telnet IP, then the
 * Synch (IAC, with the DM byte as TCP urgent data), then the command.  Under
 * TLS urgent data cannot be protected, so the bytes go inline, inside TLS,
 * as lftp does (RFC 4217 section 14 notes the same limit).
 */
int ftpc__send_abor(struct ftpc *c) {
  static const unsigned char ip_synch[] = {0xff, 0xf4, 0xff};
  static const unsigned char dm = 0xf2;
  int r;

  if (c->ctrl == NULL)
    return UV_ENOTCONN;
  show_command(c, "ABOR", NULL);
  if (ftp_chan_send_urgent(c->ctrl, ip_synch, sizeof(ip_synch)) == 0) {
    if ((r = ftp_chan_write(c->ctrl, &dm, 1)) != 0)
      return r;
  } else if ((r = ftp_chan_write(c->ctrl, ip_synch, sizeof(ip_synch))) != 0 ||
             (r = ftp_chan_write(c->ctrl, &dm, 1)) != 0) {
    return r;
  }
  return ftp_chan_write(c->ctrl, "ABOR\r\n", 6);
}

/* --- receiving ------------------------------------------------------------ */

static void dispatch(struct ftpc *c) {
  ftpc_reply_fn *fn = states[c->state].on_reply;

  show_reply(c, &c->reply);
  if (fn == NULL) {
    if (c->reply.code == FTP_R_UNAVAILABLE) {
      ftpc__reply_error(c, UV_ECONNRESET, "the server closed the session", &c->reply);
      c->lost = 1;
      ftpc_disconnect(c);
      return;
    }
    log_debug("reply %d in state %s ignored", c->reply.code,
              ftpc__state_name(c->state));
    return;
  }
  /* RFC 959 section 4.2: 421 may answer any command when the server is
   * shutting down; nothing else will come. */
  if (c->reply.code == FTP_R_UNAVAILABLE && c->state != FTPC_ST_QUIT) {
    char line[512];
    ftpc_text_first_line(ftp_reply_text(&c->reply), line, sizeof(line));
    ftpc__fatal(c, UV_ECONNRESET, "%d %s", c->reply.code, line);
    return;
  }
  fn(c, &c->reply);
}

static void feed(struct ftpc *c, const char *p, size_t n) {
  size_t used;
  int r;

  while (n > 0 && c->ctrl != NULL) {
    r = ftp_reply_parse(&c->parser, p, n, &used, &c->reply);
    if (r < 0) {
      ftpc__fatal(c, r, r == FTP_E_TOOBIG
                            ? "reply longer than the limit (%d bytes per line, %d per reply)"
                            : "malformed reply from the server (%d, %d)",
                  FTP_REPLY_LINE_MAX, FTP_REPLY_MAX);
      return;
    }
    p += used;
    n -= used;
    if (r != FTP_REPLY_COMPLETE)
      return;
    c->after_reply = n;
    dispatch(c);
  }
}

static void ctrl_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftpc *c = ftp_chan_data(ch);
  (void)suggested;
  *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void ctrl_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftpc *c = ftp_chan_data(ch);

  if (nread > 0) {
    feed(c, buf->base, (size_t)nread);
    return;
  }
  if (nread == 0)
    return;
  if (c->state == FTPC_ST_QUIT) {
    ftpc_disconnect(c);
    ftpc__op_end(c, 0);
    return;
  }
  if (c->op_done) {
    /* Between operations: the next command learns it. */
    c->lost = 1;
    if (c->err[0] == 0)
      snprintf(c->err, sizeof(c->err), "the server closed the connection");
    ftpc_disconnect(c);
    return;
  }
  ftpc__fatal(c, nread == UV_EOF ? UV_EOF : (int)nread, "%s",
              nread == UV_EOF                ? "connection closed by the server"
              : nread == FTP_E_TLS_TRUNCATED ? "connection closed by the server without TLS close_notify"
                                             : ftp_strerror((int)nread));
}

/* --- connecting ----------------------------------------------------------- */

static void try_next_address(struct ftpc *c);

static void on_connected(struct ftpc *c) {
  struct ftp_chan *ch = c->ctrl;

  ftp_chan_peer(ch, &c->peer);
  ftp_chan_local(ch, &c->local);
  ftp_chan_set_nodelay(ch, 1);
  if (c->set.conf->ftpkeepalive > 0)
    ftp_chan_set_keepalive(ch, c->set.conf->ftpkeepalive);
  uv_freeaddrinfo(c->ai_list);
  c->ai_list = c->ai_next = NULL;
  if (ftp_chan_read_start(ch, ctrl_alloc, ctrl_read) != 0) {
    ftpc__fatal(c, FTP_E_PROTO, "cannot read the control connection");
    return;
  }
  if (c->tls_mode == FTPC_TLS_IMPLICIT && !c->set.conf->secureimplicitzos) {
    ftpc__start_tls(c, 1);
    return;
  }
  ftpc__set_state(c, FTPC_ST_GREETING);
}

static void connect_cb(struct ftp_chan *ch, int status) {
  struct ftpc *c = ftp_chan_data(ch);

  if (c->state != FTPC_ST_CONNECTING)
    return;
  if (status == 0) {
    on_connected(c);
    return;
  }
  c->connect_err = status;
  ftp_chan_close(c->ctrl, ctrl_closed);
  c->ctrl = NULL;
  try_next_address(c);
}

static void try_next_address(struct ftpc *c) {
  struct ftp_chan_opts co = {0};
  struct addrinfo *ai = c->ai_next;
  int r;

  co.in_max = FTP_CTRL_IN_MAX;
  co.out_max = FTP_CTRL_OUT_MAX_CLIENT;
  co.release_idle = 1;
  for (; ai != NULL; ai = ai->ai_next) {
    if (ai->ai_family != AF_INET && ai->ai_family != AF_INET6)
      continue;
    c->ai_next = ai->ai_next;
    if ((r = ftp_chan_new(&c->loop, &co, &c->ctrl)) != 0) {
      ftpc__fatal(c, r, "%s", ftp_strerror(r));
      return;
    }
    ftp_chan_set_data(c->ctrl, c);
    r = ftp_chan_connect(c->ctrl, ai->ai_addr, connect_cb);
    if (r == 0) {
      ftpc__set_state(c, FTPC_ST_CONNECTING);
      return;
    }
    c->connect_err = r;
    ftp_chan_close(c->ctrl, ctrl_closed);
    c->ctrl = NULL;
  }
  ftpc__fatal(c, c->connect_err != 0 ? c->connect_err : UV_EADDRNOTAVAIL,
              "cannot connect to %s port %u: %s", c->host, c->port,
              ftp_strerror(c->connect_err != 0 ? c->connect_err : UV_EADDRNOTAVAIL));
}

static void resolved_cb(uv_getaddrinfo_t *req, int status, struct addrinfo *res) {
  struct ftpc *c = req->data;

  if (c->state != FTPC_ST_RESOLVING) {
    uv_freeaddrinfo(res);
    return;
  }
  if (status != 0) {
    ftpc__fatal(c, status, "%s: %s", c->host, ftp_strerror(status));
    return;
  }
  c->ai_list = c->ai_next = res;
  c->connect_err = 0;
  try_next_address(c);
}

int ftpc_open(struct ftpc *c, const char *host, unsigned port, int tls) {
  struct addrinfo hints;
  char portstr[16];
  int r;

  if (c->ctrl != NULL)
    ftpc_disconnect(c);
  if (strlen(host) >= sizeof(c->host) || port == 0 || port > 65535) {
    snprintf(c->err, sizeof(c->err), "bad host or port");
    return FTP_E_BAD_ARG;
  }
  snprintf(c->host, sizeof(c->host), "%s", host);
  c->port = port;
  c->tls_mode = tls;
  if (tls != FTPC_TLS_OFF && (r = ftpc__tls_ctx(c)) != 0) {
    c->lost = 1;
    return r;
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = c->set.family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  snprintf(portstr, sizeof(portstr), "%u", port);
  ftpc__op_begin(c, FTPC_ST_RESOLVING, c->set.conf->myopentime);
  c->gai.data = c;
  if ((r = uv_getaddrinfo(&c->loop, &c->gai, resolved_cb, host, portstr, &hints)) != 0) {
    ftpc__fatal(c, r, "%s: %s", host, ftp_strerror(r));
    return r;
  }
  return ftpc__run(c);
}

/* --- TLS context ---------------------------------------------------------- */

int ftpc__tls_ctx(struct ftpc *c) {
  const struct ftp_conf *conf = c->set.conf;
  struct ftp_tls_config tc;
  char msg[512];
  int r;

  if (c->tls_ctx != NULL)
    return 0;
  memset(&tc, 0, sizeof(tc));
  tc.server = 0;
  tc.keyring = c->set.cert != NULL ? c->set.cert : conf->keyring;
  tc.key_file = c->set.key;
  tc.cafile = c->set.cafile != NULL ? c->set.cafile : conf->cafile;
  tc.ciphers = conf->ciphersuite.v;
  tc.nciphers = conf->ciphersuite.n;
  tc.session_lifetime = conf->tlstimeout;
  if ((r = ftp_tls_ctx_new(&tc, &c->tls_ctx, msg, sizeof(msg))) != 0) {
    snprintf(c->err, sizeof(c->err), "TLS set-up: %s", msg);
    return r == FTP_E_NOMEM ? r : FTP_E_TLS;
  }
  return 0;
}

/* --- plain commands ------------------------------------------------------- */

static void on_command_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (c->cmd_out != NULL) {
    ftp_reply_free(c->cmd_out);
    c->cmd_out->code = rep->code;
    c->cmd_out->nlines = rep->nlines;
    ftp_buf_put(&c->cmd_out->text, ftp_buf_ptr(&rep->text), ftp_buf_len(&rep->text));
  }
  if (FTPC_NEG(rep->code)) {
    ftpc__reply_error(c, FTP_E_REFUSED, NULL, rep);
    return;
  }
  ftpc__op_end(c, 0);
}

static int start_command(struct ftpc *c, const char *verb, const char *arg,
                         enum ftpc_state st) {
  int r;

  if ((r = ftpc__settle(c)) != 0)
    return r;
  if (!ftp_cmd_arg_is_safe(arg)) {
    snprintf(c->err, sizeof(c->err), "argument holds CR or LF: not sent");
    return FTP_E_BAD_ARG;
  }
  ftpc__op_begin(c, st, c->set.conf->inacttime);
  if ((r = ftpc__send(c, verb, arg)) != 0) {
    ftpc__fatal(c, r, "%s: %s", verb, ftp_strerror(r));
    return r;
  }
  return ftpc__run(c);
}

int ftpc_command(struct ftpc *c, const char *verb, const char *arg,
                 struct ftp_reply *rep) {
  int r;

  c->cmd_out = rep;
  r = start_command(c, verb, arg, FTPC_ST_COMMAND);
  c->cmd_out = NULL;
  return r;
}

static void on_feat_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  c->feat_known = 1;
  ftp_buf_reset(&c->feat);
  if (FTPC_OK(rep->code))
    ftp_buf_put(&c->feat, ftp_buf_ptr(&rep->text), ftp_buf_len(&rep->text));
  ftpc__op_end(c, 0);
}

int ftpc_server_has_feature(struct ftpc *c, const char *name) {
  const char *p, *end;
  size_t n = strlen(name);

  if (!c->feat_known && (c->ctrl == NULL || start_command(c, "FEAT", NULL, FTPC_ST_FEAT) != 0))
    return 0;
  p = (const char *)ftp_buf_ptr(&c->feat);
  if (p == NULL)
    return 0;
  end = p + ftp_buf_len(&c->feat);
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *q = p;
    if (nl == NULL)
      nl = end;
    while (q < nl && *q == ' ')
      q++;
    if ((size_t)(nl - q) >= n && strncasecmp(q, name, n) == 0 &&
        ((size_t)(nl - q) == n || q[n] == ' ' || q[n] == '\r'))
      return 1;
    p = nl + 1;
  }
  return 0;
}

/* --- quitting ------------------------------------------------------------- */

static void on_quit_reply(struct ftpc *c, const struct ftp_reply *rep) {
  (void)rep;
  ftpc_disconnect(c);
  ftpc__op_end(c, 0);
}

int ftpc_quit(struct ftpc *c) {
  int r;

  if (c->ctrl == NULL)
    return 0;
  if (ftpc__settle(c) != 0)
    return 0;
  ftpc__op_begin(c, FTPC_ST_QUIT, c->set.conf->cconntime);
  if ((r = ftpc__send(c, "QUIT", NULL)) != 0) {
    ftpc_disconnect(c);
    ftpc__op_end(c, 0);
    return 0;
  }
  return ftpc__run(c);
}

/* --- life ----------------------------------------------------------------- */

int ftpc_new(const struct ftpc_settings *s, struct ftpc **out) {
  struct ftpc *c;
  int r;

  *out = NULL;
  if ((c = calloc(1, sizeof(*c))) == NULL)
    return FTP_E_NOMEM;
  if ((r = uv_loop_init(&c->loop)) != 0) {
    free(c);
    return r;
  }
  c->set = *s;
  uv_timer_init(&c->loop, &c->timer);
  uv_timer_init(&c->loop, &c->tick);
  uv_signal_init(&c->loop, &c->sigint);
  c->timer.data = c->tick.data = c->sigint.data = c;
  c->handles_open = 3;
  c->op_done = 1;
  /* Ctrl-C belongs to the engine for its whole life (the shell lends it
   * to the prompt): an interrupt between two transfers of one mget is
   * seen by the next one. */
  uv_signal_start(&c->sigint, sigint_cb, SIGINT);
  ftp_reply_parser_init(&c->parser);
  ftp_reply_init(&c->reply);
  ftp_buf_init(&c->feat, FTP_REPLY_MAX);
  c->prot_server = 'C';
  c->state = FTPC_ST_DISCONNECTED;
  *out = c;
  return 0;
}

static void handle_closed(uv_handle_t *h) {
  struct ftpc *c = h->data;
  c->handles_open--;
}

void ftpc_free(struct ftpc *c) {
  if (c == NULL)
    return;
  ftpc_disconnect(c);
  uv_signal_stop(&c->sigint);
  uv_close((uv_handle_t *)&c->timer, handle_closed);
  uv_close((uv_handle_t *)&c->tick, handle_closed);
  uv_close((uv_handle_t *)&c->sigint, handle_closed);
  /* Lingering data connections, closing channels and thread-pool requests
   * all end here. */
  uv_run(&c->loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&c->loop) != 0)
    log_warn("the loop still had handles at exit");
  ftp_tls_ctx_unref(c->tls_ctx);
  ftp_reply_parser_free(&c->parser);
  ftp_reply_free(&c->reply);
  ftp_buf_free(&c->feat);
  explicit_bzero(c->secret, sizeof(c->secret));
  free(c);
}

struct ftpc_settings *ftpc_settings(struct ftpc *c) { return &c->set; }
uv_loop_t *ftpc_loop(struct ftpc *c) { return &c->loop; }
int ftpc_connected(const struct ftpc *c) { return c->ctrl != NULL; }
int ftpc_logged_in(const struct ftpc *c) { return c->ctrl != NULL && c->logged_in; }
int ftpc_tls(const struct ftpc *c) { return c->ctrl != NULL && c->tls_on; }
const char *ftpc_host(const struct ftpc *c) { return c->host; }
const struct ftp_reply *ftpc_reply(const struct ftpc *c) { return &c->reply; }
int ftpc_interrupted(const struct ftpc *c) { return c->interrupts; }
