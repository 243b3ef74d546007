/*
 * session.h: one control connection of ftpd, and the services that command
 * handlers use (replies, thread-pool jobs, the end of a command, timers,
 * the security phase, closing): session.c.  Reading, framing and
 * dispatching commands is control.c's (control.h); the data side is
 * data.c's (data.h).
 *
 * Commands run one at a time, in order.  A handler either replies and
 * returns, or starts something asynchronous (a thread-pool job, a data
 * transfer) and marks the session busy; the command ends with
 * ftpd_command_done(), and the next queued line is then processed.  While a
 * transfer runs, ABOR and STAT are still answered at once (RFC 959 4.1.3).
 */
#ifndef FTPD_SESSION_H
#define FTPD_SESSION_H

#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <uv.h>

#include "buf.h"
#include "chan.h"
#include "cmd.h"
#include "config.h"
#include "creds.h"
#include "data.h"
#include "fs.h"
#include "ftp_limits.h"
#include "pam.h"
#include "policy.h"
#include "tls.h"
#include "users.h"

struct ftpd_server;
struct ftpd_listener;
struct ftpd_session;

/*
 * Thread-pool jobs.  Each kind of job is a struct of its own, private to the
 * file that runs it, that embeds struct ftpd_job as its first member and
 * holds the job's inputs, copied in on the loop thread (the filesystem, the
 * path, the listing options, ...) and its results.  A field therefore has
 * one meaning, and a worker touches only its job and the filesystem, never
 * the session, which the loop thread goes on changing (STAT and ABOR are
 * answered during a transfer).
 */
enum ftpd_job_kind {
  FTPD_JOB_LOGIN,       /* h_login.c: check a password, open the user's root */
  FTPD_JOB_PATH,        /* h_fs.c: one namespace command (CWD ... MFMT) */
  FTPD_JOB_CHMOD,       /* h_info.c: SITE CHMOD */
  FTPD_JOB_STAT_LIST,   /* h_info.c: STAT path */
  FTPD_JOB_XFER_OPEN,   /* h_xfer.c: RETR, STOR, APPE, STOU before the 150 */
  FTPD_JOB_LISTING,     /* h_xfer.c: LIST, NLST, MLSD before the 150; MLST */
  FTPD_JOB_UPLOAD_OPEN, /* h_xfer.c: create the file of STOR, APPE */
  FTPD_JOB_PAM_END      /* session.c: end a PAM transaction */
};

struct ftpd_job;
typedef void ftpd_job_fn(struct ftpd_job *job);

/* The header every job starts with. */
struct ftpd_job {
  uv_work_t req;
  struct ftpd_session *s;  /* for after() and release(); never a worker's */
  enum ftpd_job_kind kind;
  ftpd_job_fn *work;       /* a worker thread: the job and the filesystem */
  ftpd_job_fn *after;      /* the loop thread, unless the session closed */
  ftpd_job_fn *release;    /* the loop thread, always, last: free what the
                            * job still holds (a descriptor, a buffer) */
  int result;              /* work()'s: 0 or an error */
  /* Security: the identity work() runs as (creds.h): the session's user,
   * taken when the job is made; NULL: the thread's base credentials. */
  struct ftpd_creds *creds;
  struct ftpd_job *serial_next; /* ftpd_job_start_serial's queue */
};

/* What a session tells the layers above session.c, which calls none of
 * them: they hand these in when the session is made. */
typedef void ftpd_session_fn(struct ftpd_session *s);

struct ftpd_session {
  struct ftpd_server *srv;
  struct ftpd_config *cfg;
  const struct ftp_conf *conf;     /* &cfg->conf */
  struct ftpd_session *next, *prev;  /* server.c's session list */
  unsigned long id;
  int refs;                        /* the session, plus one per job */
  struct ftp_chan *ctrl;
  struct ftp_cmd_reader rd;
  struct sockaddr_storage peer;    /* the client (behind a balancer: the
                                    * PROXY header's source) */
  struct sockaddr_storage local;   /* our end of the control connection */
  struct sockaddr_storage front;   /* what the client connected to (behind a
                                    * balancer: the header's destination) */
  char peer_str[64];
  uv_timer_t timer;                /* INACTIVE; the failed-login delay */
  ftpd_session_fn *run_queued;     /* control.c: a command ended, run the
                                    * lines that wait */
  ftpd_session_fn *on_free;        /* server.c: the session is freed */

  /* command processing */
  int busy;
  int closing;
  int quit_pending;
  int in_dispatch;
  int have_held;                   /* a framed command waits for busy == 0 */
  struct ftp_buf held;             /* "VERB\0arg" (may hold a password) */
  int held_err;                    /* or, instead, a refused line's error */
  char verb[FTP_CMD_VERB_MAX + 1]; /* the command being executed */

  /* security: pol changes only through ftpd_session_set_security; it
   * holds whether the session came in on TLSPORT (implicit) and whether
   * a user is logged in (logged_in). */
  struct ftp_policy_state pol;
  struct ftp_tls_resume *resume;
  int have_cert;
  int cert_trusted;
  unsigned char cert_sha256[32];
  char cert_dn[512];

  /* login */
  int user_given;                  /* USER was accepted; PASS may follow */
  char user[FTP_USER_MAX + 1];
  int anonymous;
  int cert_login;                  /* USER answered 232: no PASS needed */
  unsigned failed_logins;
  const struct ftp_user *uent;     /* in cfg->users, kept by our cfg ref */
  int system_user;                 /* USER named no USERFILE user: PAM */
  uint64_t pass_ms;                /* when PASS came: the failure delay */
  struct ftpd_creds *creds;        /* the logged-in user's identity, whose
                                    * permissions the kernel checks; NULL:
                                    * the daemon's (RUNAS) */
  struct ftpd_pam *pam;            /* a system account's PAM session */

  /* filesystem and transfer parameters */
  struct ftp_fs fs;
  int fs_open;
  int type_ascii;
  int64_t rest;
  char *rnfr;                      /* virtual path after RNFR */
  unsigned idle_secs;              /* INACTIVE, or SITE IDLE */
  unsigned mlst_facts;
  unsigned char mlst_set;

  /* data side: data.c's */
  struct ftpd_data data;
};

/*
 * Replies.  text may contain '\n' for a multi-line reply (RFC 959 4.2).
 * ftpd_reply_err maps an error to its reply (ftp_err_reply) and adds the
 * context ("file.txt: No such file or directory").
 */
void ftpd_reply(struct ftpd_session *s, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ftpd_reply_err(struct ftpd_session *s, int err, const char *context);
void ftpd_reply_verdict(struct ftpd_session *s, struct ftp_verdict v);

/* ftpd_command_done: the running command has replied for good. */
void ftpd_command_done(struct ftpd_session *s);

/*
 * ftpd_job_new: a zeroed job of kind for s, size bytes: the size of the
 * kind's struct, which embeds struct ftpd_job as its first member.
 * release (may be NULL) frees what the job holds once it is over, whether
 * or not after() ran.  RETURNS: the header, or NULL when out of memory.
 */
struct ftpd_job *ftpd_job_new(struct ftpd_session *s, enum ftpd_job_kind kind,
                              size_t size, ftpd_job_fn *release);

/*
 * ftpd_job_payload: job as the struct of its kind.  BUG() when job is of
 * another kind: a work or after function given the wrong job is a broken
 * invariant, never a guess.
 */
void *ftpd_job_payload(struct ftpd_job *job, enum ftpd_job_kind kind);

/*
 * ftpd_job_start: run work() on the thread pool, then after() here (never
 * before this call returns).  The session is busy meanwhile.  The job is
 * released and freed after after() returns (or, if the session closed
 * meanwhile, instead of it).
 * RETURNS: 0; or an error, when the job could not be queued: it is freed
 * already, and the command answered and ended.
 */
int ftpd_job_start(struct ftpd_job *job, ftpd_job_fn *work, ftpd_job_fn *after);

/*
 * ftpd_job_start_serial: as ftpd_job_start, but the job runs only when
 * every serial job started before it, by any session, has ended: serial
 * jobs run one at a time, in order.  The waiting ones wait on the loop
 * thread, in a queue, and hold no pool thread.  For libraries that are
 * not thread-safe (PAM: pam.h).
 */
int ftpd_job_start_serial(struct ftpd_job *job, ftpd_job_fn *work, ftpd_job_fn *after);

/*
 * ftpd_session_pam_end: end pam (a system account's PAM transaction) in a
 * serial job on s's behalf; then, unless s has closed meanwhile, then(job)
 * runs on the loop thread (may be NULL; the session is busy until the job
 * ends, so then() ends the command).  Takes pam over.  Without memory the
 * transaction is ended here, on the loop thread.
 */
void ftpd_session_pam_end(struct ftpd_session *s, struct ftpd_pam *pam,
                          ftpd_job_fn *then);

/* ftpd_session_close: end the session now (fatal error, shutdown). */
void ftpd_session_close(struct ftpd_session *s, const char *why);

/* ftpd_session_end: end the session once the reply just sent has been
 * written (QUIT, 421). */
void ftpd_session_end(struct ftpd_session *s);

/* The control connection's TLS handshake ended (AUTH or implicit TLS). */
void ftpd_ctrl_secured(struct ftpd_session *s, int status);

/* A control-connection handshake started: it must end within INACTIVE
 * (0: no bound), or the session is closed.  ftpd_ctrl_secured stops it. */
void ftpd_session_handshake_timer(struct ftpd_session *s);

/* A failed login: counted against the client's address (bans, ban.h);
 * answer 530 once LOGIN_DELAY has passed since PASS, whatever the check
 * cost (no user enumeration by timing); end the session after
 * LOGINATTEMPTS failures, or at once (421) when the address is banned. */
void ftpd_login_failed(struct ftpd_session *s);

/* Restart the INACTIVE timer (not during a transfer). */
void ftpd_session_touch(struct ftpd_session *s);

/*
 * ftpd_session_tls_scope: the session's TLS resumption scope, made on first
 * use (AUTH, implicit TLS).  RETURNS: 0 or FTP_E_NOMEM.
 * ftpd_session_tls_principal: after every login state change: a logged-in
 * session's scope gets its principal (user, client address), any other
 * loses it (tls.h: which sessions bind which data connections).
 */
int ftpd_session_tls_scope(struct ftpd_session *s);
void ftpd_session_tls_principal(struct ftpd_session *s);

/*
 * ftpd_session_set_security: the security phase becomes next (a copy of
 * s->pol with the facts that changed): the one place pol is written, so
 * that every change is logged, old -> new, at debug level.
 */
void ftpd_session_set_security(struct ftpd_session *s, const struct ftp_policy_state *next);

/* ftpd_logged_in: a user is logged in (pol.logged_in, its one home). */
static inline int ftpd_logged_in(const struct ftpd_session *s) { return s->pol.logged_in; }

/* Session-scoped log lines: "[#12 demo@127.0.0.1] ..." */
#define slog_info(s, fmt, ...) \
  log_info("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_warn(s, fmt, ...) \
  log_warn("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_debug(s, fmt, ...) \
  log_debug("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
/* The same with an error code, whose name and message end the line. */
#define slog_info_r(s, r, fmt, ...) \
  log_info_r(r, "[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_warn_r(s, r, fmt, ...) \
  log_warn_r(r, "[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_debug_r(s, r, fmt, ...) \
  log_debug_r(r, "[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)

/* Milliseconds on a monotonic clock. */
uint64_t ftpd_now_ms(const struct ftpd_session *s);

#endif
