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
#include "metrics.h"
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
  if (s->pam != NULL)
    BUG("session #%lu freed with its PAM transaction open", s->id);
  ftpd_creds_unref(s->creds);
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
  if (s->pam != NULL) {
    /* PAM's session ends too (pam_close_session), on the thread pool; the
     * job keeps s alive until then. */
    ftpd_session_pam_end(s, s->pam, NULL);
    s->pam = NULL;
  }
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
  if (s->creds != NULL)
    job->creds = ftpd_creds_ref(s->creds);
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
  ftpd_creds_unref(job->creds);
  free(job);
}

/* Security: a job acts as its session's user, and the thread is back at
 * its base credentials before it takes other work (creds.h). */
static void job_work(uv_work_t *req) {
  struct ftpd_job *job = req->data;
  int r;

  if (job->creds == NULL) {
    job->work(job);
    return;
  }
  if ((r = ftpd_creds_enter(job->creds)) != 0) {
    job->result = r;
    return;
  }
  job->work(job);
  ftpd_creds_leave();
}

static void serial_next(struct ftpd_server *srv);

static void job_after(uv_work_t *req, int status) {
  struct ftpd_job *job = req->data;
  struct ftpd_session *s = job->s;
  struct ftpd_server *srv = s->srv;
  int serial = srv->serial_running == job;

  if (!s->closing && status == 0)
    job->after(job);
  job_free(job);
  /* The job may have started a transfer: lines that arrived while it ran
   * were read but not framed (the session was busy), and ABOR or STAT
   * among them must be answered now, during the transfer (RFC 959 4.1.3),
   * not once the data connection has timed out. */
  if (!s->closing && s->xfer != NULL)
    process(s);
  session_unref(s);
  if (serial) {
    srv->serial_running = NULL;
    serial_next(srv);
  }
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

/* Queue the next serial job, if any; one that cannot be queued (the loop
 * is closing) ends as a failed job. */
static void serial_next(struct ftpd_server *srv) {
  struct ftpd_job *job;
  int r;

  while (srv->serial_running == NULL && (job = srv->serial_head) != NULL) {
    srv->serial_head = job->serial_next;
    if (srv->serial_head == NULL)
      srv->serial_tail = NULL;
    srv->serial_running = job;
    if ((r = uv_queue_work(srv->loop, &job->req, job_work, job_after)) != 0) {
      job->result = r;
      job_after(&job->req, r); /* clears serial_running, loops here */
    }
  }
}

int ftpd_job_start_serial(struct ftpd_job *job, ftpd_job_fn *work, ftpd_job_fn *after) {
  struct ftpd_session *s = job->s;
  struct ftpd_server *srv = s->srv;

  job->work = work;
  job->after = after;
  job->req.data = job;
  s->busy = 1;
  s->refs++;
  job->serial_next = NULL;
  if (srv->serial_tail != NULL)
    srv->serial_tail->serial_next = job;
  else
    srv->serial_head = job;
  srv->serial_tail = job;
  serial_next(srv);
  return 0;
}

/* --- the end of a PAM transaction ----------------------------------------- */

struct pam_end_job {
  struct ftpd_job job;
  struct ftpd_pam *pam;
  ftpd_job_fn *then;
};

static struct pam_end_job *pam_end_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_PAM_END);
}

/* Root's credentials for PAM, as for the login (pam.h). */
static void pam_end_work(struct ftpd_job *job) {
  struct pam_end_job *p = pam_end_job(job);

  if (ftpd_creds_enter_root() != 0) {
    ftpd_pam_end(p->pam); /* as the base: modules log what they cannot do */
  } else {
    ftpd_pam_end(p->pam);
    ftpd_creds_leave();
  }
  p->pam = NULL;
}

static void pam_end_after(struct ftpd_job *job) {
  struct pam_end_job *p = pam_end_job(job);

  if (p->then != NULL)
    p->then(job);
}

/* Never left open: a job that did not run ends it here. */
static void pam_end_release(struct ftpd_job *job) {
  struct pam_end_job *p = pam_end_job(job);

  if (p->pam != NULL) {
    log_warn("PAM transaction ended on the loop thread");
    ftpd_pam_end(p->pam);
  }
}

void ftpd_session_pam_end(struct ftpd_session *s, struct ftpd_pam *pam,
                          ftpd_job_fn *then) {
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_PAM_END, sizeof(struct pam_end_job),
                                      pam_end_release);

  if (job == NULL) {
    log_warn("[#%lu] out of memory: PAM transaction ended on the loop thread", s->id);
    ftpd_pam_end(pam);
    if (then != NULL)
      ftpd_command_done(s);
    return;
  }
  /* Root's credentials, not the user's: the job is PAM's. */
  ftpd_creds_unref(job->creds);
  job->creds = NULL;
  pam_end_job(job)->pam = pam;
  pam_end_job(job)->then = then;
  ftpd_job_start_serial(job, pam_end_work, pam_end_after);
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

  if (ftpd_server_banned(s->srv, &s->peer)) {
    slog_info(s, "address banned: ending the session");
    ftpd_reply(s, FTP_R_UNAVAILABLE, "Too many failed logins from your address: "
                                     "closing control connection");
    ftpd_session_end(s);
    return;
  }
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
  uint64_t spent = ftpd_now_ms(s) - s->pass_ms;

  /* Security: a delay per failure slows password guessing.  It runs from
   * PASS, not from the end of the check, so that a failure costs the same
   * time whether the check hashed a password (a wrong one) or stopped
   * early (an unknown user, a listed one), as long as the check is
   * shorter than the delay; the reply is the same text either way. */
  s->failed_logins++;
  s->busy = 1;
  ftpd_server_login_failed(s->srv, &s->peer, s->id, s->peer_str);
  uv_timer_start(&s->timer, login_delay_done,
                 spent < LOGIN_DELAY_MS ? LOGIN_DELAY_MS - spent : 0, 0);
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
  if (cmd == NULL && s->login != LOGIN_DONE && strcmp(verb, "PROXY") == 0) {
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
    ftpd_metrics_count(FTPD_M_TLS_CONTROL_FAILED);
    ftpd_session_close(s, "TLS handshake failed");
    return;
  }
  s->pol.tls_ctrl = 1;
  s->pol.secured = 1;
  ftpd_metrics_count(ftp_tls_is_resumed(ftp_chan_session(s->ctrl)) ? FTPD_M_TLS_CONTROL_RESUMED
                                                                   : FTPD_M_TLS_CONTROL_FULL);
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

static int set_socket_options(struct ftp_chan *ch, const struct ftp_conf *c) {
  ftp_chan_set_nodelay(ch, 1);
  if (c->ftpkeepalive > 0)
    ftp_chan_set_keepalive(ch, c->ftpkeepalive);
  /* Telnet Synch (RFC 854) sends its DM byte as TCP urgent data; keep it
   * in the stream so the command reader can strip it before ABOR. */
  ftp_chan_set_oobinline(ch);
  return 0;
}

void ftpd_session_start(struct ftpd_listener *l, struct ftp_chan *ch,
                        const struct ftpd_client *c) {
  struct ftpd_server *srv = l->srv;
  struct ftpd_config *cfg = srv->cfg;
  struct ftpd_session *s;
  char via[FTP_ADDR_STRLEN] = "";
  int r;

  if ((s = calloc(1, sizeof(*s))) == NULL) {
    ftp_chan_close(ch, NULL);
    return;
  }
  s->srv = srv;
  s->cfg = ftpd_config_ref(cfg);
  s->conf = &s->cfg->conf;
  s->id = ++srv->next_id;
  s->refs = 2; /* the control channel and the timer */
  s->ctrl = ch;
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
  s->pol.tls_available = (s->conf->extensions & FTP_EXT_AUTH_TLS) != 0;
  s->pol.have_cert = ftp_tls_ctx_has_cert(cfg->tls);
  ftp_chan_set_data(ch, s);
  ftpd_server_add_session(srv, s);
  set_socket_options(ch, s->conf);
  if (c->proxied)
    ftp_addr_to_string(&c->via, via, sizeof(via));
  slog_info(s, "connected on %s%s%s", l->name, via[0] ? " via balancer " : "", via);
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
  if (s->dc != NULL)
    ftpd_metrics_add(FTPD_M_DATA_ADDRESS, ftp_dataconn_strays(s->dc));
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
