/*
 * h_login.c: USER, PASS, ACCT, REIN, QUIT.
 *
 * Security: replies never say whether a user exists; a password is checked
 * (or a dummy hash computed) on the thread pool either way, and each failure
 * costs a delay counted from PASS, which also hides a PAM check that stops
 * early for an unknown account; all login state is reset on every USER.
 * A name the USERFILE does not know goes to PAM when PAMSERVICE is coded
 * (login_sys.h); the identity a login yields (creds.h) is the session's.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdtab.h"
#include "err.h"
#include "log.h"
#include "login_sys.h"
#include "replycodes.h"
#include "seclog.h"
#include "server.h"
#include "session.h"

static int is_anonymous_name(const char *name) {
  return strcasecmp(name, "anonymous") == 0 || strcasecmp(name, "ftp") == 0;
}

/* No user: none given, none logged in (USER, REIN). */
static void reset_login(struct ftpd_session *s) {
  struct ftp_policy_state next = s->pol;

  next.logged_in = 0;
  ftpd_session_set_security(s, &next);
  s->user_given = 0;
  s->user[0] = 0;
  s->anonymous = 0;
  s->cert_login = 0;
  s->uent = NULL;
  s->system_user = 0;
  ftpd_session_tls_principal(s);
}

static enum ftpd_sec_method login_method(const struct ftpd_session *s) {
  return s->anonymous ? FTPD_SEC_M_ANONYMOUS
         : s->cert_login ? FTPD_SEC_M_CERTIFICATE
         : s->system_user ? FTPD_SEC_M_PAM
                          : FTPD_SEC_M_PASSWORD;
}

static void logged_in(struct ftpd_session *s, struct ftp_fs *fs, int code) {
  struct ftp_policy_state next = s->pol;

  s->fs = *fs;
  s->fs_open = 1;
  next.logged_in = 1;
  ftpd_session_set_security(s, &next);
  s->user_given = 0;
  s->failed_logins = 0;
  ftpd_session_tls_principal(s);
  slog_info(s, "logged in%s%s", s->anonymous ? " (anonymous)" : "",
            s->cert_login ? " by client certificate" : "");
  ftpd_seclog(s, FTPD_SEC_LOGIN_OK, login_method(s), NULL, NULL);
  if (code == FTP_R_LOGGED_IN_SECURITY)
    ftpd_reply(s, code, "User logged in, authorized by security data exchange.");
  else if (!s->anonymous && s->cfg->loginmsg[0] != 0)
    ftpd_reply(s, code, "%s\nLogin successful.", s->cfg->loginmsg);
  else
    ftpd_reply(s, code, "Login successful.");
}

/* A login: what the worker needs, copied from the session, and the
 * filesystem it opens.  users and uent belong to the session's
 * configuration, which never changes once parsed and which the session
 * (kept alive by the job) holds a reference to. */
struct login_job {
  struct ftpd_job job;
  int code;                        /* the reply on success: 230 or 232 */
  int anonymous;
  int cert_login;                  /* the certificate logged in: no password */
  const struct ftp_users *users;
  const struct ftp_user *uent;     /* NULL: unknown user (a dummy hash) */
  char account[FTP_USER_MAX + 1];  /* anonymous: the system account it
                                    * maps to; PAM: the account PAM logged
                                    * in */
  unsigned umask;
  int readonly;
  char password[FTP_PASS_MAX + 1]; /* wiped as soon as it is checked */
  char home[FTP_PATH_MAX];         /* the root: found, or that failed */
  struct ftp_fs fs;                /* the user's filesystem, opened */
  int fs_open;
  /* System identities (login_sys.h): a system account through PAM, or a
   * USERFILE user's user= or uid=,gid=. */
  int system;                      /* PAMSERVICE: the session's user */
  /* The configuration's values the worker needs (its strings belong to
   * the session's configuration, like users). */
  const char *pamservice;
  const char *pamroot;
  const char *ftpusers;
  char user[FTP_USER_MAX + 1];
  char rhost[64];
  struct ftpd_creds *creds;        /* the identity, NULL: RUNAS */
  struct ftpd_pam *pam;            /* PAM: the open transaction */
  char why[256];                   /* a refusal's reason, for the log */
};

static struct login_job *login_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_LOGIN);
}

/* A failed or abandoned login leaves nothing open, and no password. */
static void login_release(struct ftpd_job *job) {
  struct login_job *l = login_job(job);

  if (l->fs_open)
    ftp_fs_close(&l->fs);
  explicit_bzero(l->password, sizeof(l->password));
  ftpd_creds_unref(l->creds);
  /* The session closed while PAM logged it in: PAM's session ends too. */
  if (l->pam != NULL)
    ftpd_session_pam_end(job->s, l->pam, NULL);
}

/* The anonymous account's home: the system account's, as vsftpd's ftp
 * user (a USERFILE entry of that name wins). */
static int anonymous_home(struct login_job *l) {
  const struct ftp_user *u = l->users != NULL ? ftp_users_find(l->users, l->account) : NULL;
  struct passwd pw, *res = NULL;
  char tmp[4096];

  if (u != NULL) {
    snprintf(l->home, sizeof(l->home), "%s", u->home);
    return 0;
  }
  if (getpwnam_r(l->account, &pw, tmp, sizeof(tmp), &res) != 0 || res == NULL)
    return UV_ENOENT;
  snprintf(l->home, sizeof(l->home), "%s", pw.pw_dir);
  return 0;
}

static unsigned user_umask(const struct ftpd_session *s) {
  if (s->uent != NULL && s->uent->umask >= 0)
    return (unsigned)s->uent->umask;
  return s->conf->umask;
}

/* A USERFILE user's identity, if it has one (user=, uid=,gid=). */
static int userfile_identity(struct login_job *l) {
  const struct ftp_user *u = l->uent;

  if (u->sysuser != NULL)
    return ftpd_sys_identity(l->ftpusers, u->sysuser, &l->creds, l->why,
                             sizeof(l->why));
  if (u->uid != -1)
    return ftpd_creds_new((uid_t)u->uid, (gid_t)u->gid, NULL, 0, &l->creds);
  return 0;
}

/* A system account (login_sys.h): in a serial job. */
static int system_login(struct login_job *l) {
  struct ftpd_sys_login sl = {.service = l->pamservice,
                              .ftpusers = l->ftpusers,
                              .root = l->pamroot,
                              .user = l->user,
                              .password = l->password,
                              .rhost = l->rhost,
                              .umask = l->umask};
  int r = ftpd_sys_login_pam(&sl);

  snprintf(l->why, sizeof(l->why), "%s", sl.why);
  if (r != 0)
    return r;
  l->pam = sl.pam;
  l->creds = sl.creds;
  l->fs = sl.fs;
  l->fs_open = 1;
  snprintf(l->account, sizeof(l->account), "%s", sl.account);
  snprintf(l->home, sizeof(l->home), "%s", sl.home);
  return 0;
}

/* Thread pool: check the password (or not, for anonymous and certificate
 * logins) and open the user's root, as the user. */
static void login_work(struct ftpd_job *job) {
  struct login_job *l = login_job(job);
  int r = 0;

  if (l->system) {
    job->result = system_login(l);
    explicit_bzero(l->password, sizeof(l->password));
    return;
  }
  if (l->anonymous)
    r = anonymous_home(l);
  else if (!l->cert_login)
    r = ftp_users_check_password(l->users, l->uent, l->password);
  explicit_bzero(l->password, sizeof(l->password));
  if (r != 0) {
    job->result = FTP_E_LOGIN;
    return;
  }
  if (!l->anonymous) {
    snprintf(l->home, sizeof(l->home), "%s", l->uent->home);
    if ((job->result = userfile_identity(l)) != 0)
      return;
  }
  job->result = ftpd_sys_open_root(l->creds, l->home, l->umask, l->readonly, &l->fs);
  l->fs_open = job->result == 0;
}

/* The login failed: the log says why, the client only "530". */
static void login_refused(struct ftpd_session *s, struct login_job *l, int r) {
  if (r == FTP_E_LOGIN) {
    slog_info(s, "login failed%s%s", l->why[0] ? ": " : "", l->why);
    ftpd_seclog(s, FTPD_SEC_LOGIN_FAILED, login_method(s), NULL,
                "wrong password or unknown user");
  } else if (r == FTP_E_REFUSED) {
    slog_info(s, "login refused: %s", l->why);
    ftpd_seclog(s, FTPD_SEC_LOGIN_REFUSED, login_method(s), NULL, l->why);
  } else {
    log_err_r(r, "[#%lu] login of %s: %s", s->id, s->user, l->why[0] ? l->why : l->home);
    ftpd_seclog(s, FTPD_SEC_LOGIN_FAILED, login_method(s), NULL,
                l->why[0] ? l->why : "home directory cannot be used");
  }
  ftpd_login_failed(s);
}

static void login_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct login_job *l = login_job(job);

  if (job->result != 0) {
    login_refused(s, l, job->result);
    return;
  }
  /* The filesystem, the identity and PAM's session become the
   * session's. */
  l->fs_open = 0;
  s->creds = l->creds;
  l->creds = NULL;
  s->pam = l->pam;
  l->pam = NULL;
  if (l->system && strcmp(l->account, s->user) != 0) {
    slog_info(s, "PAM logged %s in as the account %s", s->user, l->account);
    snprintf(s->user, sizeof(s->user), "%s", l->account);
  }
  logged_in(s, &l->fs, l->code);
  ftpd_command_done(s);
}

static void start_login(struct ftpd_session *s, const char *password, int code) {
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_LOGIN, sizeof(struct login_job),
                                      login_release);
  struct login_job *l;

  if (job == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  l = login_job(job);
  l->code = code;
  l->anonymous = s->anonymous;
  l->cert_login = s->cert_login;
  l->users = s->cfg->users;
  l->uent = s->uent;
  if (s->anonymous && s->conf->anonymous_user != NULL)
    snprintf(l->account, sizeof(l->account), "%s", s->conf->anonymous_user);
  l->umask = user_umask(s);
  l->readonly = s->anonymous || (s->uent != NULL && s->uent->readonly);
  snprintf(l->password, sizeof(l->password), "%s", password);
  l->pamservice = s->conf->pamservice;
  l->pamroot = s->conf->pamroot;
  l->ftpusers = s->conf->ftpusers;
  l->system = s->system_user;
  snprintf(l->user, sizeof(l->user), "%s", s->user);
  snprintf(l->rhost, sizeof(l->rhost), "%s", s->peer_str);
  s->pass_ms = ftpd_now_ms(s);
  /* PAM is not thread-safe (pam.h): one PAM login at a time. */
  if (l->system)
    ftpd_job_start_serial(job, login_work, login_after);
  else
    ftpd_job_start(job, login_work, login_after);
}

void handle_user(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v;
  int maps = 0;

  if (ftpd_logged_in(s)) {
    ftpd_reply(s, FTP_R_NOT_LOGGED_IN, "Can't change to another user.");
    return;
  }
  reset_login(s);
  if (strlen(arg) > FTP_USER_MAX) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "User name too long.");
    return;
  }
  snprintf(s->user, sizeof(s->user), "%s", arg);
  s->anonymous = s->conf->anonymous && is_anonymous_name(arg);
  if (!s->anonymous && s->cfg->users != NULL)
    s->uent = ftp_users_find(s->cfg->users, arg);
  /* A name the USERFILE does not know is PAM's, when PAMSERVICE is
   * coded: the machine's own accounts. */
  s->system_user = !s->anonymous && s->uent == NULL && s->conf->pamservice != NULL;
  if (s->have_cert && s->cert_trusted && s->uent != NULL)
    maps = ftp_user_check_cert(s->uent, s->cert_sha256, s->cert_dn) == 0;
  /* SECURE_LOGIN REQUIRED / VERIFY_USER: decided here, at USER, so that a
   * client without a certificate gets a clear 531, not a failed handshake. */
  v = ftp_policy_login_cert(s->conf, &s->pol, s->have_cert, s->cert_trusted, maps);
  if (v.code != 0) {
    slog_info(s, "login refused: %s", v.text);
    ftpd_seclog(s, FTPD_SEC_LOGIN_REFUSED, FTPD_SEC_M_CERTIFICATE, NULL, v.text);
    reset_login(s);
    ftpd_reply(s, v.code, "%s", v.text);
    return;
  }
  s->user_given = 1;
  if (s->anonymous) {
    ftpd_reply(s, FTP_R_NEED_PASSWORD, "Anonymous login ok, send your email address as password.");
    return;
  }
  if (maps && !ftp_policy_password_needed(s->conf, maps)) {
    /* RFC 2228: 232, the certificate authenticated the user. */
    s->cert_login = 1;
    start_login(s, "", FTP_R_LOGGED_IN_SECURITY);
    return;
  }
  ftpd_reply(s, FTP_R_NEED_PASSWORD, "Please specify the password.");
}

void handle_pass(struct ftpd_session *s, const char *arg) {
  if (ftpd_logged_in(s)) {
    ftpd_reply(s, FTP_R_LOGGED_IN, "Already logged in.");
    return;
  }
  if (!s->user_given) {
    ftpd_reply(s, FTP_R_BAD_SEQUENCE, "Login with USER first.");
    return;
  }
  if (strlen(arg) > FTP_PASS_MAX) {
    s->pass_ms = ftpd_now_ms(s);
    ftpd_seclog(s, FTPD_SEC_LOGIN_FAILED, login_method(s), NULL, "password too long");
    ftpd_login_failed(s);
    return;
  }
  start_login(s, arg, FTP_R_LOGGED_IN);
}

void handle_acct(struct ftpd_session *s, const char *arg) {
  (void)arg;
  ftpd_reply(s, FTP_R_SUPERFLUOUS, "ACCT not needed.");
}

static void rein_reply(struct ftpd_session *s) {
  ftpd_reply(s, FTP_R_READY, "Service ready for new user.");
}

/* After PAM's session of the user has ended. */
static void rein_pam_ended(struct ftpd_job *job) {
  rein_reply(job->s);
  ftpd_command_done(job->s);
}

void handle_rein(struct ftpd_session *s, const char *arg) {
  struct ftpd_pam *pam = s->pam;
  struct ftp_policy_state next;

  (void)arg;
  /* RFC 959: flush the user and the transfer parameters, keep the
   * connection.  TLS on the control connection stays (it cannot be
   * renegotiated); data protection goes back to its initial level.
   * EPSV ALL stays too: RFC 2428 section 4 binds the rest of the
   * connection, which firewalls and NATs rely on. */
  ftpd_data_reset(s);
  if (s->fs_open) {
    ftp_fs_close(&s->fs);
    s->fs_open = 0;
  }
  if (ftpd_logged_in(s))
    slog_info(s, "logged out (REIN)");
  reset_login(s);
  ftpd_creds_unref(s->creds);
  s->creds = NULL;
  s->pam = NULL;
  next = s->pol;
  next.prot_private = next.implicit;
  ftpd_session_set_security(s, &next);
  s->type_ascii = 1;
  s->rest = 0;
  s->idle_secs = s->conf->inactive;
  /* A system account's PAM session ends before the reply. */
  if (pam != NULL)
    ftpd_session_pam_end(s, pam, rein_pam_ended);
  else
    rein_reply(s);
}

void handle_quit(struct ftpd_session *s, const char *arg) {
  (void)arg;
  if (ftpd_data_xfer(s) != NULL) {
    /* RFC 959: the transfer finishes, its reply goes, then 221. */
    s->quit_pending = 1;
    return;
  }
  ftpd_reply(s, FTP_R_CLOSING, "Goodbye.");
  ftpd_session_end(s);
}
