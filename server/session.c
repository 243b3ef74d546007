/*
 * session.c: a control connection's life: accept, limits, greeting, reading
 * and framing commands, the dispatcher, replies, thread-pool jobs, timers,
 * closing.
 */
#include "session.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "cmdtab.h"
#include "err.h"
#include "log.h"
#include "reply.h"
#include "replycodes.h"
#include "seclog.h"
#include "server.h"

/* Replies never exceed this; a STAT listing is sent in pieces below it. */
#define REPLY_TEXT_MAX (64 * 1024)

/* How long a closing session waits for its last reply to leave. */
#define CLOSE_LINGER_MS 5000

/* A failed login costs this much before the 530 (and the next try). */
#define LOGIN_DELAY_MS 1000

static void process(struct ftpd_session *s);
static void start_reading(struct ftpd_session *s);

uint64_t ftpd_now_ms(const struct ftpd_session *s) {
  return uv_now(s->srv->loop);
}

/* --- life and death ------------------------------------------------------- */

static void session_unref(struct ftpd_session *s) {
  if (--s->refs > 0)
    return;
  ftpd_server_remove_session(s->srv, s);
  ftp_cmd_reader_free(&s->rd);
  ftp_buf_free(&s->held);
  ftp_tls_resume_free(s->resume);
  if (s->fs_open)
    ftp_fs_close(&s->fs);
  free(s->rnfr);
  ftpd_config_unref(s->cfg);
  explicit_bzero(s, sizeof(*s));
  free(s);
}

static void timer_closed(uv_handle_t *h) { session_unref(h->data); }

static void ctrl_closed(struct ftp_chan *ch) { session_unref(ftp_chan_data(ch)); }

void ftpd_session_close(struct ftpd_session *s, const char *why) {
  if (s->closing)
    return;
  s->closing = 1;
  slog_info(s, "session closed: %s", why);
  if (s->xfer != NULL)
    ftpd_xfer_abandon(s);
  ftpd_data_reset(s);
  s->timer.data = s;
  uv_close((uv_handle_t *)&s->timer, timer_closed);
  ftp_chan_close(s->ctrl, ctrl_closed);
}

/* Close after the last reply has been written (or after a bound). */
static void linger_done(struct ftp_chan *ch, int status) {
  struct ftpd_session *s = ftp_chan_data(ch);
  (void)status;
  ftpd_session_close(s, "ended");
}

static void linger_timeout(uv_timer_t *t) {
  ftpd_session_close(t->data, "peer did not read the last reply");
}

void ftpd_session_end(struct ftpd_session *s) {
  if (s->closing)
    return;
  s->busy = 1; /* nothing more is processed */
  ftp_chan_read_stop(s->ctrl);
  uv_timer_start(&s->timer, linger_timeout, CLOSE_LINGER_MS, 0);
  if (ftp_chan_shutdown(s->ctrl, linger_done) != 0)
    ftpd_session_close(s, "ended");
}

/* --- replies -------------------------------------------------------------- */

static void send_reply(struct ftpd_session *s, int code, const char *text) {
  struct ftp_buf out;
  int r;

  if (s->closing)
    return;
  ftp_buf_init(&out, REPLY_TEXT_MAX + 4096);
  if ((r = ftp_reply_format(&out, code, text)) == 0)
    r = ftp_chan_write(s->ctrl, ftp_buf_ptr(&out), ftp_buf_len(&out));
  if (r != 0)
    slog_debug(s, "reply %d not sent: %s", code, ftp_strerror(r));
  else if (ftp_log_enabled(FTP_LOG_DEBUG))
    slog_debug(s, "<- %d %.200s", code, text);
  ftp_buf_free(&out);
}

void ftpd_reply(struct ftpd_session *s, int code, const char *fmt, ...) {
  struct ftp_buf text;
  va_list ap;
  int r;

  ftp_buf_init(&text, REPLY_TEXT_MAX);
  va_start(ap, fmt);
  r = ftp_buf_vputf(&text, fmt, ap);
  va_end(ap);
  send_reply(s, code, r == 0 ? ftp_buf_cstr(&text, NULL) : "Reply too long");
  ftp_buf_free(&text);
}

void ftpd_reply_err(struct ftpd_session *s, int err, const char *context) {
  const char *text;
  int code = ftp_err_reply(err, &text);

  if (context != NULL && context[0] != 0)
    ftpd_reply(s, code, "%s: %s", context, text);
  else
    ftpd_reply(s, code, "%s", text);
}

void ftpd_reply_verdict(struct ftpd_session *s, struct ftp_verdict v) {
  if (ftpd_seclog_is_security_reply(v.code))
    ftpd_seclog(s, FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_NONE, s->verb, v.text);
  ftpd_reply(s, v.code, "%s", v.text);
}

/* --- jobs on the thread pool ---------------------------------------------- */

struct ftpd_job *ftpd_job_new(struct ftpd_session *s, enum ftpd_job_kind kind,
                              size_t size, ftpd_job_fn *release) {
  struct ftpd_job *job;

  if (size < sizeof(*job))
    BUG("job of kind %d: %zu bytes", (int)kind, size);
  if ((job = calloc(1, size)) == NULL)
    return NULL;
  job->s = s;
  job->kind = kind;
  job->release = release;
  return job;
}

void *ftpd_job_payload(struct ftpd_job *job, enum ftpd_job_kind kind) {
  if (job->kind != kind)
    BUG("job of kind %d used as kind %d", (int)job->kind, (int)kind);
  return job;
}

static void job_free(struct ftpd_job *job) {
  if (job->release != NULL)
    job->release(job);
  free(job);
}

static void job_work(uv_work_t *req) {
  struct ftpd_job *job = req->data;
  job->work(job);
}

static void job_after(uv_work_t *req, int status) {
  struct ftpd_job *job = req->data;
  struct ftpd_session *s = job->s;

  if (!s->closing && status == 0)
    job->after(job);
  job_free(job);
  session_unref(s);
}

int ftpd_job_start(struct ftpd_job *job, ftpd_job_fn *work, ftpd_job_fn *after) {
  struct ftpd_session *s = job->s;
  int r;

  job->work = work;
  job->after = after;
  job->req.data = job;
  s->busy = 1;
  s->refs++;
  r = uv_queue_work(s->srv->loop, &job->req, job_work, job_after);
  if (r != 0) {
    s->refs--;
    job_free(job);
    ftpd_reply_err(s, r, NULL);
    ftpd_command_done(s);
  }
  return r;
}

/* --- timers --------------------------------------------------------------- */

static void idle_timeout(uv_timer_t *t) {
  struct ftpd_session *s = t->data;

  /* A running command (a long listing job) is not idleness. */
  if (s->xfer != NULL || s->busy || s->closing)
    return;
  slog_info(s, "idle for %u seconds", s->idle_secs);
  ftpd_reply(s, FTP_R_UNAVAILABLE, "Timeout (%u seconds): closing control connection",
             s->idle_secs);
  ftpd_session_end(s);
}

void ftpd_session_touch(struct ftpd_session *s) {
  if (s->closing)
    return;
  /* INACTIVE never applies while a transfer runs. */
  if (s->xfer != NULL || s->idle_secs == 0)
    uv_timer_stop(&s->timer);
  else
    uv_timer_start(&s->timer, idle_timeout, (uint64_t)s->idle_secs * 1000, 0);
}

/* Security: a TLS handshake on the control connection (after AUTH, or on
 * TLSPORT) that does not finish within INACTIVE ends the session, as an
 * idle one does; otherwise a client that falls silent after AUTH, or says
 * nothing on TLSPORT, would hold its session and a MAXSESSIONSPERIP slot
 * for ever (the idle timer does not run while a command is busy). */
static void handshake_timeout(uv_timer_t *t) {
  struct ftpd_session *s = t->data;

  slog_info(s, "TLS handshake not finished after %u seconds", s->idle_secs);
  ftpd_seclog(s, FTPD_SEC_TLS_FAILED, FTPD_SEC_M_NONE, NULL,
              "handshake not finished within INACTIVE");
  ftpd_session_close(s, "TLS handshake timed out");
}

void ftpd_session_handshake_timer(struct ftpd_session *s) {
  if (s->closing)
    return;
  if (s->idle_secs == 0)
    uv_timer_stop(&s->timer);
  else
    uv_timer_start(&s->timer, handshake_timeout, (uint64_t)s->idle_secs * 1000, 0);
}

static void login_delay_done(uv_timer_t *t) {
  struct ftpd_session *s = t->data;

  if (s->failed_logins >= s->conf->loginattempts) {
    slog_info(s, "%u failed logins: ending the session", s->failed_logins);
    ftpd_reply(s, FTP_R_UNAVAILABLE, "Too many failed logins: closing control connection");
    ftpd_session_end(s);
    return;
  }
  ftpd_reply(s, FTP_R_NOT_LOGGED_IN, "Login incorrect.");
  ftpd_command_done(s);
}

void ftpd_login_failed(struct ftpd_session *s) {
  /* Security: a delay per failure slows password guessing; the reply is
   * the same whether or not the user exists. */
  s->failed_logins++;
  s->busy = 1;
  uv_timer_start(&s->timer, login_delay_done, LOGIN_DELAY_MS, 0);
}

/* --- the dispatcher ------------------------------------------------------- */

void ftpd_command_done(struct ftpd_session *s) {
  s->busy = 0;
  s->verb[0] = 0;
  if (s->closing)
    return;
  if (s->quit_pending && s->xfer == NULL) {
    ftpd_reply(s, FTP_R_CLOSING, "Goodbye.");
    ftpd_session_end(s);
    return;
  }
  ftpd_session_touch(s);
  process(s);
}

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

  if (cmd == NULL && s->login != LOGIN_DONE && is_http_method(verb)) {
    slog_info(s, "HTTP request (%s) on the FTP port: connection closed", verb);
    ftpd_session_close(s, "HTTP request");
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
  if (s->xfer == NULL || s->held_err != 0)
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
      if (s->busy && s->xfer == NULL)
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
  if (s->xfer != NULL)
    slog_info(s, "control connection lost during a transfer");
  ftpd_session_close(s, nread == UV_EOF ? "client closed the connection"
                        : nread == FTP_E_TLS_TRUNCATED ? "client closed without TLS close_notify"
                                                      : ftp_strerror((int)nread));
}

static void start_reading(struct ftpd_session *s) {
  if (ftp_cmd_reader_room(&s->rd) > 0)
    ftp_chan_read_start(s->ctrl, ctrl_alloc, ctrl_read);
}

/* --- accepting ------------------------------------------------------------ */

static void greet(struct ftpd_session *s) {
  const char *banner = s->cfg->banner;
  const char *ready = s->conf->replysecuritylevel ? "Service ready."
                                                  : "ftpd ready.";

  if (banner[0] != 0)
    ftpd_reply(s, FTP_R_READY, "%s\n%s", banner, ready);
  else
    ftpd_reply(s, FTP_R_READY, "%s", ready);
}

static void fetch_client_cert(struct ftpd_session *s) {
  gnutls_session_t tls = ftp_chan_session(s->ctrl);
  const char *why = NULL;

  s->have_cert = ftp_tls_peer_cert_id(tls, s->cert_sha256, s->cert_dn,
                                      sizeof(s->cert_dn)) == 0;
  if (!s->have_cert)
    return;
  s->cert_trusted = ftp_tls_peer_verified(tls, &why);
  slog_info(s, "client certificate %s (%s)", s->cert_dn,
            s->cert_trusted ? "trusted" : why);
}

/* Called when the control connection's TLS handshake ends (AUTH or
 * implicit TLS). */
void ftpd_ctrl_secured(struct ftpd_session *s, int status) {
  char desc[96];

  uv_timer_stop(&s->timer); /* the handshake timer */
  if (status != 0) {
    char why[256];

    snprintf(why, sizeof(why), "%s%s%s", ftp_strerror(status),
             ftp_chan_tls_error(s->ctrl)[0] ? ": " : "", ftp_chan_tls_error(s->ctrl));
    slog_info(s, "TLS handshake failed: %s", why);
    ftpd_seclog(s, FTPD_SEC_TLS_FAILED, FTPD_SEC_M_NONE, NULL, why);
    ftpd_session_close(s, "TLS handshake failed");
    return;
  }
  s->pol.tls_ctrl = 1;
  s->pol.secured = 1;
  ftp_tls_control_secured(ftp_chan_session(s->ctrl));
  ftp_tls_describe(ftp_chan_session(s->ctrl), desc, sizeof(desc));
  slog_info(s, "control connection secured: %s", desc);
  ftp_tls_handshake_summary(ftp_chan_session(s->ctrl), desc, sizeof(desc));
  slog_debug(s, "control connection handshake: %s", desc);
  fetch_client_cert(s);
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
  gnutls_session_t tls;
  int r;

  s->implicit = 1;
  s->pol.implicit = 1;
  s->pol.prot_private = 1;
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

static unsigned sessions_from(struct ftpd_server *srv,
                              const struct sockaddr_storage *peer) {
  const struct ftpd_session *s;
  unsigned n = 0;

  for (s = srv->sessions; s != NULL; s = s->next)
    if (!s->closing && ftp_addr_same_host(&s->peer, peer))
      n++;
  return n;
}

/* Refuse a connection beyond a limit with 421, in clear: an implicit-TLS
 * client would not understand it, so it is just closed there. */
static void refuse_cb(struct ftp_chan *ch) { (void)ch; }
static void refuse_written(struct ftp_chan *ch, int status) {
  (void)status;
  ftp_chan_close(ch, refuse_cb);
}

static void refuse(struct ftp_chan *ch, int implicit, const char *text) {
  struct ftp_buf out;

  ftp_buf_init(&out, 512);
  if (!implicit && ftp_reply_format(&out, FTP_R_UNAVAILABLE, text) == 0 &&
      ftp_chan_write(ch, ftp_buf_ptr(&out), ftp_buf_len(&out)) == 0 &&
      ftp_chan_shutdown(ch, refuse_written) == 0) {
    ftp_buf_free(&out);
    return;
  }
  ftp_buf_free(&out);
  ftp_chan_close(ch, refuse_cb);
}

static void refused_event(const char *who, const char *why) {
  struct ftpd_sec_line l = {FTPD_SEC_CONNECTION_REFUSED, 0, who, NULL, FTPD_SEC_M_NONE,
                            NULL, why};

  ftpd_seclog_write(&l);
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

void ftpd_session_accept(struct ftpd_listener *l) {
  struct ftpd_server *srv = l->srv;
  struct ftpd_config *cfg = srv->cfg;
  struct ftp_chan_opts co = {0};
  struct ftp_chan *ch;
  struct ftpd_session *s;
  struct sockaddr_storage peer;
  char who[64] = "?";
  int r;

  co.in_max = FTP_CTRL_IN_MAX;
  co.out_max = FTP_CTRL_OUT_MAX_SERVER;
  co.release_idle = 1;
  if (ftp_chan_new(srv->loop, &co, &ch) != 0)
    return;
  if ((r = ftp_chan_accept(ch, (uv_stream_t *)&l->tcp)) != 0 ||
      (r = ftp_chan_peer(ch, &peer)) != 0) {
    log_warn("accept on %s: %s", l->name, ftp_strerror(r));
    ftp_chan_close(ch, refuse_cb);
    return;
  }
  ftp_addr_to_string(&peer, who, sizeof(who));
  if (srv->stopping) {
    refuse(ch, l->implicit, "Service shutting down");
    return;
  }
  if (srv->nsessions >= cfg->conf.maxsessions) {
    log_notice("connection from %s refused: MAXSESSIONS %u reached", who,
               cfg->conf.maxsessions);
    refused_event(who, "MAXSESSIONS reached");
    refuse(ch, l->implicit, "Too many users, try again later");
    return;
  }
  if (sessions_from(srv, &peer) >= cfg->conf.maxsessionsperip) {
    log_notice("connection from %s refused: MAXSESSIONSPERIP %u reached", who,
               cfg->conf.maxsessionsperip);
    refused_event(who, "MAXSESSIONSPERIP reached");
    refuse(ch, l->implicit, "Too many connections from your address");
    return;
  }
  if ((s = calloc(1, sizeof(*s))) == NULL) {
    ftp_chan_close(ch, refuse_cb);
    return;
  }
  s->srv = srv;
  s->cfg = ftpd_config_ref(cfg);
  s->conf = &s->cfg->conf;
  s->id = ++srv->next_id;
  s->refs = 2; /* the control channel and the timer */
  s->ctrl = ch;
  s->peer = peer;
  ftp_chan_local(ch, &s->local);
  snprintf(s->peer_str, sizeof(s->peer_str), "%s", who);
  ftp_cmd_reader_init(&s->rd);
  ftp_buf_init(&s->held, FTP_CMD_LINE_MAX + FTP_CMD_VERB_MAX + 2);
  ftp_buf_set_secret(&s->held);
  uv_timer_init(srv->loop, &s->timer);
  s->timer.data = s;
  s->idle_secs = s->conf->inactive;
  s->type_ascii = 1; /* RFC 959 default; clients send TYPE I */
  s->pol.tls_available = (s->conf->extensions & FTP_EXT_AUTH_TLS) != 0;
  s->pol.have_cert = ftp_tls_ctx_has_cert(cfg->tls);
  ftp_chan_set_data(ch, s);
  ftpd_server_add_session(srv, s);
  set_socket_options(ch, s->conf);
  slog_info(s, "connected on %s", l->name);
  if (l->implicit) {
    if ((r = start_implicit(s)) != 0) {
      slog_warn(s, "implicit TLS: %s", ftp_strerror(r));
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
  if (s->xfer != NULL) {
    /* Let the transfer finish; then the session ends. */
    s->quit_pending = 1;
    return;
  }
  ftpd_reply(s, FTP_R_UNAVAILABLE, "Service shutting down");
  ftpd_session_end(s);
}

/* --- TLS resumption scope ------------------------------------------------ */

int ftpd_session_tls_scope(struct ftpd_session *s) {
  int r;

  if (s->resume != NULL)
    return 0;
  if ((r = ftp_tls_resume_new(s->srv->tls_issuer, &s->resume, s->conf->tlstimeout)) != 0)
    return r;
  ftp_tls_resume_set_peer(s->resume, &s->peer);
  ftpd_session_tls_principal(s);
  return 0;
}

void ftpd_session_tls_principal(struct ftpd_session *s) {
  if (s->resume == NULL)
    return;
  if (s->login != LOGIN_DONE) {
    ftp_tls_resume_clear_principal(s->resume);
    return;
  }
  /* Security: the name the session logged in with and the control
   * connection's peer: what a sibling's data connection must share. */
  if (ftp_tls_resume_set_principal(s->resume, s->user, s->anonymous, &s->peer) != 0)
    slog_warn(s, "TLS sessions of this control connection bind no other");
}

/* --- data connections ----------------------------------------------------- */

void ftpd_data_reset(struct ftpd_session *s) {
  ftp_dataconn_free(s->dc);
  s->dc = NULL;
  s->dc_passive = 0;
  s->port_set = 0;
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
