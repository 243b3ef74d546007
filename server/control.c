/*
 * control.c: a control connection's commands: the session's start
 * (greeting, implicit TLS), reading and framing lines, the dispatcher that
 * checks a command's row of the table (cmdtab.h) and calls its handler,
 * and the graceful stop.
 *
 * Above the handlers and session.c in the layer order (CONTRIBUTING):
 * session.c, which they all call, reaches back here only through the
 * session's run_queued hook, set below.
 */
#include "control.h"

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmdtab.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "seclog.h"
#include "server.h"
#include "session.h"

static void start_reading(struct ftpd_session *s);

/* --- the dispatcher ------------------------------------------------------- */

static int blank(const char *p) {
  while (*p == ' ')
    p++;
  return *p == 0;
}

/* Security: an HTTP request sent to an FTP port is a browser redirected
 * here (ALPACA, USENIX Security 2021): end the connection rather than
 * answer it line by line. */
static int is_http_method(const char *verb) {
  static const char *const methods[] = {"GET", "POST", "HEAD", "PUT",
                                        "OPTIONS", "CONNECT", "TRACE", "PATCH"};
  size_t i;

  for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
    if (strcmp(verb, methods[i]) == 0)
      return 1;
  return 0;
}

static void dispatch(struct ftpd_session *s, const char *verb, const char *arg) {
  const struct ftpd_cmd *cmd = ftpd_cmd_find(verb);
  struct ftp_verdict v;

  if (cmd == NULL && !ftpd_logged_in(s) && is_http_method(verb)) {
    slog_info(s, "HTTP request (%s) on the FTP port: connection closed", verb);
    ftpd_session_close(s, "HTTP request");
    return;
  }
  if (cmd == NULL && !ftpd_logged_in(s) && strcmp(verb, "PROXY") == 0) {
    /* Security: a PROXY protocol header from an address PROXYPROTOCOL does
     * not list is never believed (it would let anyone choose the address
     * limits, bans and logs see); it ends the connection. */
    slog_warn(s, "PROXY protocol header from an address PROXYPROTOCOL does not "
                 "list: connection closed");
    ftpd_seclog(s, FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_NONE, "PROXY",
                "PROXY header from an unlisted address");
    ftpd_session_close(s, "PROXY header from an unlisted address");
    return;
  }
  if (cmd == NULL) {
    slog_debug(s, "-> %s (unknown)", verb);
    /* Never echo what the client sent (ALPACA reflection). */
    ftpd_reply(s, FTP_R_NOT_IMPLEMENTED, "Command not implemented");
    return;
  }
  if (ftp_log_enabled(FTP_LOG_DEBUG))
    slog_debug(s, "-> %s%s%s", verb, arg[0] ? " " : "",
               (cmd->flags & CMD_SECRET) ? "****" : arg);
  if (cmd->arg == ARG_NONE && !blank(arg)) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "%s takes no argument", verb);
    return;
  }
  if (cmd->arg == ARG_REQUIRED && blank(arg)) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "%s needs an argument", verb);
    return;
  }
  v = ftp_policy_command(s->conf, &s->pol, cmd->cls);
  if (v.code != 0) {
    /* A refused USER or PASS is a login the policy stopped (SECURE_FTP
     * REQUIRED in clear) even though its reply is a plain 530. */
    if (ftpd_seclog_is_security_reply(v.code) || cmd->cls == FTP_CLASS_USER ||
        cmd->cls == FTP_CLASS_LOGIN)
      ftpd_seclog(s, FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_NONE, verb, v.text);
    ftpd_reply(s, v.code, "%s", v.text);
    return;
  }
  if (!(cmd->flags & CMD_KEEPS_RNFR) && s->rnfr != NULL) {
    free(s->rnfr);
    s->rnfr = NULL;
  }
  snprintf(s->verb, sizeof(s->verb), "%s", verb);
  cmd->handler(s, cmd->arg == ARG_NONE ? "" : arg);
}

/* A framed command (or a bad line) waits in s->held until the session may
 * run it: "VERB\0arg", or an empty verb and the error in held_err. */
static int hold(struct ftpd_session *s, const struct ftp_cmd *cmd, int err) {
  int r;

  ftp_buf_reset(&s->held);
  s->held_err = err;
  if (err != 0) {
    /* A refused line waits its turn too, so its reply stays in order. */
    s->have_held = 1;
    return 0;
  }
  if ((r = ftp_buf_put(&s->held, cmd->verb, strlen(cmd->verb) + 1)) != 0 ||
      (r = ftp_buf_put(&s->held, cmd->arg, cmd->arg_len + 1)) != 0)
    return r;
  s->have_held = 1;
  return 0;
}

static int held_may_run_now(const struct ftpd_session *s) {
  const struct ftpd_cmd *cmd;

  if (!s->busy)
    return 1;
  /* RFC 959 4.1.3: ABOR, STAT (and QUIT) during a transfer. */
  if (ftpd_data_xfer(s) == NULL || s->held_err != 0)
    return 0;
  cmd = ftpd_cmd_find((const char *)ftp_buf_ptr(&s->held));
  return cmd != NULL && (cmd->flags & CMD_DURING_XFER);
}

static void run_held(struct ftpd_session *s) {
  s->have_held = 0;
  /* Any line is activity, also one answered at once (NOOP, a 500): the
   * INACTIVE clock starts again. */
  ftpd_session_touch(s);
  if (s->held_err != 0) {
    ftpd_reply_err(s, s->held_err, NULL);
    s->held_err = 0;
  } else {
    const char *verb = (const char *)ftp_buf_ptr(&s->held);
    const char *arg = verb + strlen(verb) + 1;
    int was_busy = s->busy;
    char saved[FTP_CMD_VERB_MAX + 1];

    /* A command run during a transfer must not end the transfer's own
     * command state. */
    snprintf(saved, sizeof(saved), "%s", s->verb);
    dispatch(s, verb, arg);
    if (was_busy && s->busy)
      snprintf(s->verb, sizeof(s->verb), "%s", saved);
  }
  /* The line may have held a password. */
  ftp_buf_reset(&s->held);
}

static void process(struct ftpd_session *s) {
  struct ftp_cmd cmd;
  int r;

  if (s->in_dispatch)
    return;
  s->in_dispatch = 1;
  while (!s->closing) {
    if (!s->have_held) {
      if (s->busy && ftpd_data_xfer(s) == NULL)
        break; /* keep lines framed lazily: AUTH needs the raw rest */
      r = ftp_cmd_reader_next(&s->rd, &cmd);
      if (r == 0)
        break;
      if (hold(s, &cmd, r < 0 ? r : 0) != 0) {
        ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
        break;
      }
    }
    if (!held_may_run_now(s))
      break;
    run_held(s);
  }
  s->in_dispatch = 0;
  if (!s->closing)
    start_reading(s);
}

/* --- control reads -------------------------------------------------------- */

static void ctrl_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftpd_session *s = ftp_chan_data(ch);
  size_t room = ftp_cmd_reader_room(&s->rd);

  (void)suggested;
  if (room > sizeof(s->srv->scratch))
    room = sizeof(s->srv->scratch);
  /* A full backlog pauses reading: a client cannot make us buffer more
   * than FTP_CMD_BACKLOG_MAX of pipelined commands. */
  *buf = uv_buf_init(room == 0 ? NULL : (char *)s->srv->scratch, (unsigned)room);
}

static void ctrl_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftpd_session *s = ftp_chan_data(ch);

  if (nread > 0) {
    ftp_cmd_reader_feed(&s->rd, buf->base, (size_t)nread);
    process(s);
    return;
  }
  if (nread == 0)
    return;
  if (ftpd_data_xfer(s) != NULL)
    slog_info(s, "control connection lost during a transfer");
  ftpd_session_close(s, nread == UV_EOF ? "client closed the connection"
                        : nread == FTP_E_TLS_TRUNCATED ? "client closed without TLS close_notify"
                                                      : ftp_strerror((int)nread));
}

static void start_reading(struct ftpd_session *s) {
  if (ftp_cmd_reader_room(&s->rd) > 0)
    ftp_chan_read_start(s->ctrl, ctrl_alloc, ctrl_read);
}

/* --- the start ------------------------------------------------------------ */

static void greet(struct ftpd_session *s) {
  const char *banner = s->cfg->banner;
  const char *ready = s->conf->replysecuritylevel ? "Service ready."
                                                  : "ftpd ready.";

  if (banner[0] != 0)
    ftpd_reply(s, FTP_R_READY, "%s\n%s", banner, ready);
  else
    ftpd_reply(s, FTP_R_READY, "%s", ready);
}

static void implicit_handshake_cb(struct ftp_chan *ch, int status) {
  struct ftpd_session *s = ftp_chan_data(ch);

  ftpd_ctrl_secured(s, status);
  if (s->closing)
    return;
  if (!s->conf->secureimplicitzos)
    greet(s);
  ftpd_command_done(s);
}

/* Implicit TLS (TLSPORT): data protected by default; with SECUREIMPLICITZOS
 * TRUE the 220 greeting goes first, in clear, as z/OS does. */
static int start_implicit(struct ftpd_session *s) {
  struct ftp_policy_state next = s->pol;
  gnutls_session_t tls;
  int r;

  next.implicit = 1;
  next.prot_private = 1;
  ftpd_session_set_security(s, &next);
  if (s->conf->secureimplicitzos)
    greet(s);
  if ((r = ftpd_session_tls_scope(s)) != 0 ||
      (r = ftp_tls_server_session(s->cfg->tls, s->resume, NULL, &tls)) != 0)
    return r;
  s->busy = 1;
  if ((r = ftp_chan_tls_start(s->ctrl, tls, NULL, 0, implicit_handshake_cb)) != 0)
    return r;
  ftpd_session_handshake_timer(s);
  return 0;
}

static int set_socket_options(struct ftp_chan *ch, const struct ftp_conf *c) {
  ftp_chan_set_nodelay(ch, 1);
  if (c->ftpkeepalive > 0)
    ftp_chan_set_keepalive(ch, c->ftpkeepalive);
  /* Telnet Synch (RFC 854) sends its DM byte as TCP urgent data; keep it
   * in the stream so the command reader can strip it before ABOR. */
  ftp_chan_set_oobinline(ch);
  return 0;
}

struct ftpd_session *ftpd_session_new(struct ftpd_listener *l, struct ftp_chan *ch,
                                     const struct ftpd_client *c, ftpd_session_fn *on_free) {
  struct ftpd_server *srv = l->srv;
  struct ftpd_config *cfg = srv->cfg;
  struct ftp_policy_state pol = {0};
  struct ftpd_session *s;

  if ((s = calloc(1, sizeof(*s))) == NULL) {
    ftp_chan_close(ch, NULL);
    return NULL;
  }
  s->srv = srv;
  s->cfg = ftpd_config_ref(cfg);
  s->conf = &s->cfg->conf;
  s->id = ++srv->next_id;
  s->refs = 2; /* the control channel and the timer */
  s->ctrl = ch;
  s->run_queued = process;
  s->on_free = on_free;
  s->peer = c->addr;
  s->front = c->front;
  s->local = c->local;
  ftp_addr_to_string(&s->peer, s->peer_str, sizeof(s->peer_str));
  ftp_cmd_reader_init(&s->rd);
  ftp_buf_init(&s->held, FTP_CMD_LINE_MAX + FTP_CMD_VERB_MAX + 2);
  ftp_buf_set_secret(&s->held);
  uv_timer_init(srv->loop, &s->timer);
  s->timer.data = s;
  s->idle_secs = s->conf->inactive;
  s->type_ascii = 1; /* RFC 959 default; clients send TYPE I */
  pol.tls_available = (s->conf->extensions & FTP_EXT_AUTH_TLS) != 0;
  pol.have_cert = ftp_tls_ctx_has_cert(cfg->tls);
  ftpd_session_set_security(s, &pol);
  ftp_chan_set_data(ch, s);
  return s;
}

void ftpd_session_begin(struct ftpd_session *s, const struct ftpd_listener *l,
                        const struct ftpd_client *c) {
  char via[FTP_ADDR_STRLEN] = "";
  int r;

  set_socket_options(s->ctrl, s->conf);
  if (c->proxied)
    ftp_addr_to_string(&c->via, via, sizeof(via));
  slog_info(s, "connected on %s%s%s", l->name, via[0] ? " via balancer " : "", via);
  if (l->implicit) {
    if ((r = start_implicit(s)) != 0) {
      slog_warn_r(s, r, "implicit TLS");
      ftpd_session_close(s, "TLS set-up failed");
    }
    return;
  }
  greet(s);
  ftpd_session_touch(s);
  start_reading(s);
}

void ftpd_session_shutdown(struct ftpd_session *s) {
  if (s->closing)
    return;
  if (ftpd_data_xfer(s) != NULL) {
    /* Let the transfer finish; then the session ends. */
    s->quit_pending = 1;
    return;
  }
  ftpd_reply(s, FTP_R_UNAVAILABLE, "Service shutting down");
  ftpd_session_end(s);
}

