/*
 * session.h: one control connection of ftpd, and the helpers that command
 * handlers use (replies, thread-pool jobs, the end of a command).
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
#include "dataconn.h"
#include "fs.h"
#include "ftp_limits.h"
#include "policy.h"
#include "tls.h"
#include "users.h"

struct ftpd_server;
struct ftpd_listener;
struct ftpd_session;

enum ftpd_login { LOGIN_NONE, LOGIN_USER_GIVEN, LOGIN_DONE };

/* Kinds of transfer, for replies and the transfer log. */
enum ftpd_xfer_kind {
  XFER_RETR, XFER_STOR, XFER_APPE, XFER_STOU, XFER_LIST, XFER_NLST, XFER_MLSD
};

/* A thread-pool job: work() runs on a worker thread and may only touch the
 * job and the session's (read-only while busy) filesystem; after() runs on
 * the loop thread, unless the session closed meanwhile. */
struct ftpd_job;
typedef void ftpd_job_fn(struct ftpd_job *job);

struct ftpd_job {
  uv_work_t req;
  struct ftpd_session *s;
  ftpd_job_fn *work;
  ftpd_job_fn *after;
  int result;
  int fd;
  int flags;
  unsigned mode;
  int kind;
  int64_t rest;           /* the REST offset a transfer command took */
  struct stat st;
  struct timespec ts;
  struct ftp_fs fs;       /* PASS: the user's filesystem, opened off-loop */
  struct ftp_buf out;
  char arg[FTP_PATH_MAX];
  char arg2[FTP_PATH_MAX];
  char vpath[FTP_PATH_MAX];
};

/* The transfer running (or about to run) on the data connection. */
struct ftpd_xfer {
  enum ftpd_xfer_kind kind;
  char vpath[FTP_PATH_MAX];
  uv_file fd;            /* -1 for listings */
  int64_t offset;
  uint64_t size;         /* RETR: the file's size */
  uint64_t start_ms;
  int ascii;
  struct ftp_buf listing;
  int file_created;      /* STOR/APPE/STOU opened the file */
  int ready;             /* the data connection became ready */
  unsigned long serial;  /* tells a late job its transfer is gone */
};

struct ftpd_session {
  struct ftpd_server *srv;
  struct ftpd_config *cfg;
  const struct ftp_conf *conf;     /* &cfg->conf */
  struct ftpd_session *next, *prev;
  unsigned long id;
  int refs;                        /* the session, plus one per job */
  struct ftp_chan *ctrl;
  struct ftp_cmd_reader rd;
  struct sockaddr_storage peer;
  struct sockaddr_storage local;
  char peer_str[64];
  uv_timer_t timer;                /* INACTIVE; the failed-login delay */
  int implicit;                    /* came in on TLSPORT */

  /* command processing */
  int busy;
  int closing;
  int quit_pending;
  int in_dispatch;
  int have_held;                   /* a framed command waits for busy == 0 */
  struct ftp_buf held;             /* "VERB\0arg" (may hold a password) */
  int held_err;                    /* or, instead, a refused line's error */
  char verb[FTP_CMD_VERB_MAX + 1]; /* the command being executed */

  /* security */
  struct ftp_policy_state pol;
  struct ftp_tls_resume *resume;
  int have_cert;
  int cert_trusted;
  unsigned char cert_sha256[32];
  char cert_dn[512];

  /* login */
  enum ftpd_login login;
  char user[FTP_USER_MAX + 1];
  int anonymous;
  int cert_login;                  /* USER answered 232: no PASS needed */
  unsigned failed_logins;
  const struct ftp_user *uent;     /* in cfg->users, kept by our cfg ref */

  /* filesystem and transfer parameters */
  struct ftp_fs fs;
  int fs_open;
  int type_ascii;
  int64_t rest;
  char *rnfr;                      /* virtual path after RNFR */
  unsigned idle_secs;              /* INACTIVE, or SITE IDLE */
  unsigned mlst_facts;
  unsigned char mlst_set;

  /* data connection */
  struct ftp_dataconn *dc;
  int dc_passive;
  struct sockaddr_storage port_target;
  int port_set;
  struct ftpd_xfer *xfer;
};

/* Accept a new control connection on listener l: admission (MAXSESSIONS,
 * MAXSESSIONSPERIP, a stopping server), then ftpd_session_start. */
void ftpd_session_accept(struct ftpd_listener *l);

/*
 * ftpd_session_start: run a session on a control channel that is already
 * connected and admitted.
 * PARAMETERS: ch, taken over (closed with the session, or at once when the
 * session cannot be made); peer and local, the client's address and ours
 * on this connection (they decide PASV/EPSV binding and PORT checks);
 * implicit, TLS from the first byte (TLSPORT); via, the listener's name for
 * the log.  The greeting (or the implicit handshake) starts at once.
 * Besides ftpd_session_accept, only the dispatcher fuzz target
 * (test/fuzz/fuzz_session.c) calls it, with a channel on a socketpair.
 * RETURNS: 0 (the session now owns ch), or FTP_E_NOMEM (ch is closed).
 */
int ftpd_session_start(struct ftpd_server *srv, struct ftp_chan *ch,
                       const struct sockaddr_storage *peer,
                       const struct sockaddr_storage *local, int implicit,
                       const char *via);

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
 * ftpd_job_start: run work() on the thread pool, then after() here.  The
 * session is busy meanwhile.  job must come from ftpd_job_new; it is freed
 * after after() returns.
 */
struct ftpd_job *ftpd_job_new(struct ftpd_session *s);
void ftpd_job_start(struct ftpd_job *job, ftpd_job_fn *work, ftpd_job_fn *after);

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

/* A transfer is abandoned because the session ends: log it, release it. */
void ftpd_xfer_abandon(struct ftpd_session *s);

/* A failed login: answer 530 after a delay, end the session after
 * LOGINATTEMPTS failures. */
void ftpd_login_failed(struct ftpd_session *s);

/* ftpd_session_shutdown: graceful stop: idle sessions get 421 and close;
 * a running transfer finishes first. */
void ftpd_session_shutdown(struct ftpd_session *s);

/* Restart the INACTIVE timer (not during a transfer). */
void ftpd_session_touch(struct ftpd_session *s);

/* Data connections: drop the current one (ABOR, new PASV/PORT, REIN). */
void ftpd_data_reset(struct ftpd_session *s);

/* Fill the data-connection options of this session (timeouts, TLS). */
void ftpd_data_opts(struct ftpd_session *s, struct ftp_dataconn_opts *o);

/* Session-scoped log lines: "[#12 demo@127.0.0.1] ..." */
#define slog_info(s, fmt, ...) \
  log_info("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_warn(s, fmt, ...) \
  log_warn("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)
#define slog_debug(s, fmt, ...) \
  log_debug("[#%lu %s@%s] " fmt, (s)->id, (s)->user[0] ? (s)->user : "-", (s)->peer_str, ##__VA_ARGS__)

/* Milliseconds on a monotonic clock. */
uint64_t ftpd_now_ms(const struct ftpd_session *s);

#endif
