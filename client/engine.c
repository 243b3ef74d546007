/*
 * engine.c: the state table, and the facade calls that are not a login or
 * a transfer: the engine's life and settings, connecting (resolution, TCP
 * connect address by address), plain commands, FEAT and QUIT.
 *
 * The table names, for every state, the handlers of a complete reply, of
 * the operation's timer and of Ctrl-C (engine_int.h); machine.c runs them.
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
static ftpc_event_fn on_quit_timeout;
static ftpc_event_fn on_connecting_interrupt;

/* Besides the rows' own handlers, the defaults of machine.c: a timeout
 * closes the connection; the first Ctrl-C waits for the reply, the second
 * closes the connection. */
static const struct ftpc_state_def states[FTPC_ST__COUNT] = {
  /* name, on_reply, on_timeout, on_interrupt */
  [FTPC_ST_DISCONNECTED] = {"DISCONNECTED", NULL, NULL, NULL},
  [FTPC_ST_RESOLVING] = {"RESOLVING", NULL, NULL, on_connecting_interrupt},
  [FTPC_ST_CONNECTING] = {"CONNECTING", NULL, NULL, on_connecting_interrupt},
  [FTPC_ST_IMPLICIT_TLS] = {"IMPLICIT_TLS", NULL, NULL, on_connecting_interrupt},
  [FTPC_ST_GREETING] = {"GREETING", ftpc__on_greeting_reply, NULL, on_connecting_interrupt},
  [FTPC_ST_IDLE] = {"IDLE", NULL, NULL, NULL},
  [FTPC_ST_AUTH] = {"AUTH", ftpc__on_auth_reply, NULL, NULL},
  [FTPC_ST_FEAT_AUTH] = {"FEAT_AUTH", ftpc__on_feat_auth_reply, NULL, NULL},
  [FTPC_ST_AUTH_SSL] = {"AUTH_SSL", ftpc__on_auth_ssl_reply, NULL, NULL},
  [FTPC_ST_HANDSHAKE] = {"HANDSHAKE", NULL, NULL, NULL},
  [FTPC_ST_USER] = {"USER", ftpc__on_user_reply, NULL, NULL},
  [FTPC_ST_PASS] = {"PASS", ftpc__on_pass_reply, NULL, NULL},
  [FTPC_ST_ACCT] = {"ACCT", ftpc__on_acct_reply, NULL, NULL},
  [FTPC_ST_PBSZ] = {"PBSZ", ftpc__on_pbsz_reply, NULL, NULL},
  [FTPC_ST_PROT] = {"PROT", ftpc__on_prot_reply, NULL, NULL},
  [FTPC_ST_COMMAND] = {"COMMAND", on_command_reply, NULL, NULL},
  [FTPC_ST_FEAT] = {"FEAT", on_feat_reply, NULL, NULL},
  [FTPC_ST_CCC] = {"CCC", ftpc__on_ccc_reply, NULL, NULL},
  /* A transfer being set up stops at its next step (data.c). */
  [FTPC_ST_TYPE] = {"TYPE", ftpc__on_type_reply, NULL, ftpc__on_setup_interrupt},
  [FTPC_ST_EPSV] = {"EPSV", ftpc__on_epsv_reply, NULL, ftpc__on_setup_interrupt},
  [FTPC_ST_PASV] = {"PASV", ftpc__on_pasv_reply, NULL, ftpc__on_setup_interrupt},
  [FTPC_ST_EPRT] = {"EPRT", ftpc__on_eprt_reply, NULL, ftpc__on_setup_interrupt},
  [FTPC_ST_PORT] = {"PORT", ftpc__on_port_reply, NULL, ftpc__on_setup_interrupt},
  [FTPC_ST_REST] = {"REST", ftpc__on_rest_reply, NULL, ftpc__on_setup_interrupt},
  /* A running transfer is aborted (ABOR). */
  [FTPC_ST_XFER_CMD] = {"XFER_CMD", ftpc__on_xfer_cmd_reply, ftpc__on_xfer_timeout,
                        ftpc__on_xfer_interrupt},
  [FTPC_ST_XFER] = {"XFER", ftpc__on_xfer_reply, ftpc__on_xfer_timeout,
                    ftpc__on_xfer_interrupt},
  [FTPC_ST_ABOR] = {"ABOR", ftpc__on_abor_reply, ftpc__on_abor_timeout,
                    ftpc__on_abor_interrupt},
  [FTPC_ST_QUIT] = {"QUIT", on_quit_reply, on_quit_timeout, NULL},
};

static void on_connecting_interrupt(struct ftpc *c) {
  ftpc__fatal(c, FTP_E_ABORTED, "interrupted");
}

/* --- TLS context ---------------------------------------------------------- */

static int tls_ctx(struct ftpc *c) {
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
  if (ftpc__read_start(c) != 0) {
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
  ftp_chan_close(c->ctrl, NULL);
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
    ftp_chan_close(c->ctrl, NULL);
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
  if (tls != FTPC_TLS_OFF && (r = tls_ctx(c)) != 0) {
    c->lost = 1;
    return r;
  }
  memset(&hints, 0, sizeof(hints));
  hints.ai_family = c->set.family;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_protocol = IPPROTO_TCP;
  snprintf(portstr, sizeof(portstr), "%u", port);
  ftpc__op_begin(c, FTPC_ST_RESOLVING, c->set.conf->myopentime, NULL);
  c->gai.data = c;
  if ((r = uv_getaddrinfo(&c->loop, &c->gai, resolved_cb, host, portstr, &hints)) != 0) {
    ftpc__fatal(c, r, "%s: %s", host, ftp_strerror(r));
    return r;
  }
  return ftpc__run(c);
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
  ftpc__op_begin(c, st, c->set.conf->inacttime, NULL);
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

static void on_quit_timeout(struct ftpc *c) {
  ftpc__fatal(c, UV_ETIMEDOUT, "no reply to QUIT within CCONNTIME; connection closed");
}

int ftpc_quit(struct ftpc *c) {
  int r;

  if (c->ctrl == NULL)
    return 0;
  if (ftpc__settle(c) != 0)
    return 0;
  ftpc__op_begin(c, FTPC_ST_QUIT, c->set.conf->cconntime, NULL);
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
  ftpc__machine_init(c, states);
  ftpc__xfer_init(c);
  ftp_buf_init(&c->feat, FTP_REPLY_MAX);
  c->prot_server = 'C';
  *out = c;
  return 0;
}

void ftpc_free(struct ftpc *c) {
  int r;

  if (c == NULL)
    return;
  ftpc_disconnect(c);
  ftpc__machine_close(c);
  ftpc__xfer_close(c);
  /* Lingering data connections, closing channels and thread-pool requests
   * all end here. */
  uv_run(&c->loop, UV_RUN_DEFAULT);
  if ((r = uv_loop_close(&c->loop)) != 0)
    log_warn_r(r, "the loop still had handles at exit");
  ftp_tls_ctx_unref(c->tls_ctx);
  ftp_buf_free(&c->feat);
  explicit_bzero(c->secret, sizeof(c->secret));
  free(c);
}

/* --- settings and facts --------------------------------------------------- */

const struct ftpc_settings *ftpc_settings(const struct ftpc *c) { return &c->set; }
void ftpc_set_passive(struct ftpc *c, int on) { c->set.passive = on != 0; }
void ftpc_set_epsv4(struct ftpc *c, int on) { c->set.epsv4 = on != 0; }
void ftpc_set_verbosity(struct ftpc *c, int verbosity) { c->set.verbosity = verbosity; }
void ftpc_set_show_replies(struct ftpc *c, int on) { c->set.show_replies = on != 0; }

uv_loop_t *ftpc_loop(struct ftpc *c) { return &c->loop; }
int ftpc_connected(const struct ftpc *c) { return c->ctrl != NULL; }
int ftpc_logged_in(const struct ftpc *c) { return c->ctrl != NULL && c->logged_in; }
int ftpc_tls(const struct ftpc *c) { return c->ctrl != NULL && c->tls_on; }
const char *ftpc_host(const struct ftpc *c) { return c->host; }
const struct ftp_reply *ftpc_reply(const struct ftpc *c) { return &c->reply; }
int ftpc_interrupted(const struct ftpc *c) { return c->interrupts; }
