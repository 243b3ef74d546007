/*
 * session.c: the services of a session that command handlers use:
 * replies, thread-pool jobs, the end of a command, timers, the failed-login
 * delay, the security phase, the control connection's TLS, closing.
 *
 * The bottom of the session layers (CONTRIBUTING): it calls no handler,
 * nor cmdtab.c, control.c or server.c; what they must hear of (a command
 * ended, the session is freed) goes through the hooks they handed in
 * (s->run_queued, s->on_free).
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
#include "ban.h"
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

uint64_t ftpd_now_ms(const struct ftpd_session *s) {
  return uv_now(s->srv->loop);
}

/* --- life and death ------------------------------------------------------- */

static void session_unref(struct ftpd_session *s) {
  if (--s->refs > 0)
    return;
  if (s->on_free != NULL)
    s->on_free(s);
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
  ftpd_data_reset(s); /* abandons a running transfer */
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
    slog_debug_r(s, r, "reply %d not sent", code);
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
  if (!s->closing && ftpd_data_xfer(s) != NULL)
    s->run_queued(s);
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
  if (ftpd_data_xfer(s) != NULL || s->busy || s->closing)
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
  if (ftpd_data_xfer(s) != NULL || s->idle_secs == 0)
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

  /* The server's current policy (SIGHUP may have changed it), as at
   * admission. */
  if (ftpd_bans_check(s->srv->bans, &s->srv->cfg->ban, &s->peer, ftpd_now_ms(s), NULL)) {
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

/* The failure counts against the client's address: a ban once BANFAILURES
 * within BANWINDOW (ban.h), a security event and a metric when it starts.
 * The bans are the server's (they outlive SIGHUP), kept in ban.c. */
static void count_failure(struct ftpd_session *s) {
  const struct ftpd_config *cfg = s->srv->cfg; /* the current policy */
  const struct ftp_conf *c = &cfg->conf;
  char what[64], why[160];
  struct ftpd_sec_line l = {FTPD_SEC_BANNED, s->id, s->peer_str, NULL, FTPD_SEC_M_NONE,
                            NULL, why};

  if (ftpd_bans_fail(s->srv->bans, &cfg->ban, &s->peer, ftpd_now_ms(s)) != FTPD_BAN_NEW)
    return;
  ftpd_ban_describe(&s->peer, what, sizeof(what));
  snprintf(why, sizeof(why), "%u failed logins within %u s: %s refused for %u s",
           c->banfailures, c->banwindow, what, c->bantime);
  ftpd_seclog_write(&l);
  ftpd_metrics_count(FTPD_M_BANS);
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
  count_failure(s);
  uv_timer_start(&s->timer, login_delay_done,
                 spent < LOGIN_DELAY_MS ? LOGIN_DELAY_MS - spent : 0, 0);
}

/* --- the end of a command ------------------------------------------------- */

void ftpd_command_done(struct ftpd_session *s) {
  s->busy = 0;
  s->verb[0] = 0;
  if (s->closing)
    return;
  if (s->quit_pending && ftpd_data_xfer(s) == NULL) {
    ftpd_reply(s, FTP_R_CLOSING, "Goodbye.");
    ftpd_session_end(s);
    return;
  }
  ftpd_session_touch(s);
  s->run_queued(s);
}

/* --- the control connection's TLS ---------------------------------------- */

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
  struct ftp_policy_state next;
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
  next = s->pol;
  next.tls_ctrl = 1;
  next.secured = 1;
  ftpd_session_set_security(s, &next);
  ftpd_metrics_count(ftp_tls_is_resumed(ftp_chan_session(s->ctrl)) ? FTPD_M_TLS_CONTROL_RESUMED
                                                                   : FTPD_M_TLS_CONTROL_FULL);
  ftp_tls_control_secured(ftp_chan_session(s->ctrl));
  ftp_tls_describe(ftp_chan_session(s->ctrl), desc, sizeof(desc));
  slog_info(s, "control connection secured: %s", desc);
  ftp_tls_handshake_summary(ftp_chan_session(s->ctrl), desc, sizeof(desc));
  slog_debug(s, "control connection handshake: %s", desc);
  fetch_client_cert(s);
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
  if (!ftpd_logged_in(s)) {
    ftp_tls_resume_clear_principal(s->resume);
    return;
  }
  /* Security: the name the session logged in with and the control
   * connection's peer: what a sibling's data connection must share. */
  if (ftp_tls_resume_set_principal(s->resume, s->user, s->anonymous, &s->peer) != 0)
    slog_warn(s, "TLS sessions of this control connection bind no other");
}

/* --- the security phase --------------------------------------------------- */

/* One "name old -> new" per fact that changes, for the debug log. */
static void describe_change(struct ftp_buf *b, const char *name, int old, int now) {
  if (old != now)
    ftp_buf_putf(b, " %s %d -> %d", name, old, now);
}

void ftpd_session_set_security(struct ftpd_session *s, const struct ftp_policy_state *next) {
  const struct ftp_policy_state *o = &s->pol;
  struct ftp_buf b;

  if (ftp_log_enabled(FTP_LOG_DEBUG)) {
    ftp_buf_init(&b, 512);
    describe_change(&b, "tls_ctrl", o->tls_ctrl, next->tls_ctrl);
    describe_change(&b, "secured", o->secured, next->secured);
    describe_change(&b, "implicit", o->implicit, next->implicit);
    describe_change(&b, "ccc_done", o->ccc_done, next->ccc_done);
    describe_change(&b, "logged_in", o->logged_in, next->logged_in);
    describe_change(&b, "prot_private", o->prot_private, next->prot_private);
    describe_change(&b, "epsv_all", o->epsv_all, next->epsv_all);
    describe_change(&b, "tls_available", o->tls_available, next->tls_available);
    describe_change(&b, "have_cert", o->have_cert, next->have_cert);
    if (ftp_buf_len(&b) > 0)
      slog_debug(s, "security:%s", ftp_buf_cstr(&b, NULL));
    ftp_buf_free(&b);
  }
  s->pol = *next;
}
