/*
 * engine.h: the ftp client's protocol engine, behind a synchronous facade.
 *
 * One struct ftpc owns a private libuv loop, at most one control connection
 * (a struct ftp_chan, in clear or under TLS) and at most one data connection
 * (a struct ftp_dataconn) at a time.  Each facade call below writes what it
 * needs, then runs the loop (uv_run UV_RUN_ONCE) until its operation is
 * complete or its timer fires: INACTTIME for a reply, DATACTTIME for data,
 * MYOPENTIME for connecting, CCONNTIME for closing.  Between calls the loop
 * does not run, as in BSD ftp: the shell, batch mode and URL mode are plain
 * sequential code.
 *
 * Inside, the engine is an explicit state machine (engine_int.h): each reply
 * the incremental parser completes goes to one small function for the
 * current state (on_auth_reply, on_epsv_reply, ...), which sends the next
 * command or ends the operation; the state table also names what a timeout
 * and Ctrl-C do in each state.
 *
 * Errors: facade calls return 0 or a negative code (common/err.h, libuv's
 * codes unchanged).  FTP_E_REFUSED means the server answered 4xx/5xx; the
 * reply is in ftpc_reply().  After any failure ftpc_error() holds one line
 * for the user (a reply's text or what went wrong, with control characters
 * already replaced), and ftpc_exit_status() classifies the failure for the
 * program's exit status.
 *
 * Security: the engine never sends USER before TLS is established when TLS
 * is required; refuses replies that followed a 234 in the same read
 * (response injection); refuses any argument holding CR or LF; shows PASS
 * and ACCT as "****"; never lets a data connection run in clear when data
 * protection was asked for.
 */
#ifndef FTPC_ENGINE_H
#define FTPC_ENGINE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "conf.h"
#include "reply.h"

struct ftpc;

/* Exit statuses of ftp(1); ftp.1 documents them. */
enum ftpc_exit {
  FTPC_EXIT_OK = 0,
  FTPC_EXIT_FAIL = 1,    /* a command or transfer failed (server refused,
                          * file not found, .part file left) */
  FTPC_EXIT_USAGE = 2,   /* bad options, URL or member */
  FTPC_EXIT_CONN = 3,    /* connection or TLS failure, timeouts, TLS refused
                          * when required, data protection refused */
  FTPC_EXIT_VERIFY = 4,  /* the server certificate was refused */
  FTPC_EXIT_LOGIN = 5    /* login failed */
};

/* TLS on the control connection. */
enum ftpc_tls {
  FTPC_TLS_OFF = 0,  /* plain FTP: no AUTH */
  FTPC_TLS_ATTEMPT,  /* AUTH TLS; clear only if the server does not know
                      * AUTH (500, 502, 504), never after a TLS failure */
  FTPC_TLS_REQUIRE,  /* AUTH TLS must succeed before USER */
  FTPC_TLS_IMPLICIT  /* TLS from the first byte (ftps://) */
};

/* Data protection the user wants (SECURE_DATACONN, prot/private/clear). */
enum ftpc_prot {
  FTPC_PROT_AUTO = 0, /* PROT P whenever the control connection is TLS,
                       * and no data in clear if the server refuses it */
  FTPC_PROT_CLEAR,    /* data in clear (PROT C) */
  FTPC_PROT_PRIVATE,  /* PROT P, required: no TLS, no data */
  FTPC_PROT_NEVER     /* data always in clear; private is refused */
};

enum ftpc_verbosity {
  FTPC_QUIET = 0,   /* -q: only errors and what was asked for */
  FTPC_NORMAL = 1,  /* summaries; replies when interactive */
  FTPC_VERBOSE = 2  /* -v: every command sent and reply received */
};

/*
 * The engine's settings.  ftpc_new copies the struct; conf (the client
 * member, or defaults) must outlive the engine.  Afterwards the engine owns
 * them: ftpc_settings() shows them, and the run-time ones change only
 * through their setters (ftpc_set_passive, ftpc_set_epsv4, ftpc_set_prot,
 * ftpc_set_verbosity, ftpc_set_show_replies).
 */
struct ftpc_settings {
  const struct ftp_conf *conf;
  int family;        /* AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
  int verify;        /* 0: --insecure, no certificate verification */
  const char *cafile;  /* --ca-file, else CAFILE, else the system store */
  const char *cert;    /* --cert, else KEYRING */
  const char *key;     /* --key: the private key apart from cert */
  int passive;       /* 1: passive (FWFRIENDLY TRUE, -p); 0: active (-A) */
  int epsv4;         /* EPSV/EPRT also on IPv4 */
  int prot;          /* enum ftpc_prot */
  int verbosity;     /* enum ftpc_verbosity */
  int show_replies;  /* print every final reply (interactive BSD style) */
};

/*
 * ftpc_new: an engine with its own loop, not connected.
 * RETURNS: 0, FTP_E_NOMEM or a libuv error.  Free with ftpc_free.
 */
int ftpc_new(const struct ftpc_settings *s, struct ftpc **out);

/* ftpc_free: close everything, run the loop until every handle is closed,
 * close the loop, free.  Accepts NULL. */
void ftpc_free(struct ftpc *c);

/* The settings in effect (read only: change them with the setters). */
const struct ftpc_settings *ftpc_settings(const struct ftpc *c);

/* Setters of the run-time settings, in effect from the next command:
 * passive (1) or active (0) data connections; EPSV/EPRT also on IPv4;
 * enum ftpc_verbosity; whether final replies are printed (interactive
 * BSD style).  Data protection: ftpc_set_prot. */
void ftpc_set_passive(struct ftpc *c, int on);
void ftpc_set_epsv4(struct ftpc *c, int on);
void ftpc_set_verbosity(struct ftpc *c, int verbosity);
void ftpc_set_show_replies(struct ftpc *c, int on);

/* The engine's loop (the progress timer of the shell runs on it). */
uv_loop_t *ftpc_loop(struct ftpc *c);

/*
 * ftpc_open: connect to host:port (a name or an IP literal; host is also
 * the TLS server name and the name the certificate must match), read the
 * greeting, and with tls ATTEMPT or REQUIRE negotiate AUTH TLS (AUTH SSL
 * only when the server refused AUTH TLS with 500/504 and its FEAT lists
 * AUTH SSL).  Implicit TLS starts the handshake at once (SECUREIMPLICITZOS
 * TRUE: after the 220 greeting).
 * RETURNS: 0; FTP_E_TLS_VERIFY (certificate refused); FTP_E_TLS (handshake
 * failed, or TLS required and refused: nothing else was sent); a libuv
 * error (resolution, connection, UV_ETIMEDOUT); FTP_E_REFUSED (the
 * greeting was not 220).  On failure the engine is disconnected.
 */
int ftpc_open(struct ftpc *c, const char *host, unsigned port, int tls);

/* ftpc_connected: a control connection is up.  ftpc_logged_in: and login
 * succeeded.  ftpc_tls: the control connection is protected by TLS. */
int ftpc_connected(const struct ftpc *c);
int ftpc_logged_in(const struct ftpc *c);
int ftpc_tls(const struct ftpc *c);
const char *ftpc_host(const struct ftpc *c);

/*
 * Credentials for ftpc_login.  user is required; password and account may
 * be NULL, in which case ask() is called if the server wants them (prompt
 * is "Password:" or "Account:"); ask fills buf (size n) and returns 0, or
 * an error to give up.  The engine wipes its own copies; the caller wipes
 * its strings.
 */
struct ftpc_creds {
  const char *user;
  const char *password;
  const char *account;
  int (*ask)(void *arg, const char *prompt, char *buf, size_t n);
  void *ask_arg;
};

/*
 * ftpc_login: USER, PASS, ACCT as the server asks (RFC 959 section 5.4),
 * then, under TLS, PBSZ 0 and PROT as the data protection setting says.
 * RETURNS: 0; FTP_E_LOGIN (the server refused the login; the reply is in
 * ftpc_reply); FTP_E_TLS (logged in, but the server refused PROT P: no
 * data will be transferred in clear unless the user says "clear");
 * connection errors as for ftpc_open.
 */
int ftpc_login(struct ftpc *c, const struct ftpc_creds *cr);

/*
 * ftpc_command: send "verb arg" (arg NULL: no argument) and wait for its
 * final reply (1xx replies are shown and skipped).  rep, when not NULL,
 * receives a copy of the reply (free it with ftp_reply_free).
 * RETURNS: 0 for 2xx and 3xx; FTP_E_REFUSED for 4xx and 5xx; FTP_E_BAD_ARG
 * for an argument holding CR or LF (nothing sent); UV_ENOTCONN when not
 * connected; connection errors.
 */
int ftpc_command(struct ftpc *c, const char *verb, const char *arg,
                 struct ftp_reply *rep);

/* The last reply received (code 0 when none). */
const struct ftp_reply *ftpc_reply(const struct ftpc *c);

/*
 * ftpc_set_prot: change the data protection wanted (enum ftpc_prot).  When
 * logged in under TLS the PBSZ/PROT exchange happens now.
 * RETURNS: 0; FTP_E_REFUSED (PROT refused; the setting is kept and data
 * commands fail until it is changed); FTP_E_PROTO (after CCC, or NEVER
 * asked for private); connection errors.
 */
int ftpc_set_prot(struct ftpc *c, int prot);

/*
 * ftpc_ccc: clear the command channel (RFC 4217 section 6) when
 * TLSRFCLEVEL is RFC4217 (close_notify exchanged) or CCCNONOTIFY (not) and
 * SECURE_CTRLCONN is CLEAR.  Data protection is kept.
 * RETURNS: 0; FTP_E_REFUSED (the server refused); FTP_E_PROTO (the member
 * forbids it, or no TLS); connection errors.
 */
int ftpc_ccc(struct ftpc *c);

/* What a transfer does. */
enum ftpc_xfer_kind {
  FTPC_XFER_RETR = 0,
  FTPC_XFER_STOR,
  FTPC_XFER_APPE,
  FTPC_XFER_LIST,
  FTPC_XFER_NLST,
  FTPC_XFER_MLSD
};

/* Where received bytes go when not to a file; return 0 or an error. */
typedef int ftpc_sink_fn(void *arg, const void *p, size_t n);

/* Called about ten times a second during a transfer, and once at its end
 * (done 1). */
typedef void ftpc_progress_fn(void *arg, uint64_t bytes, int done);

/*
 * One transfer.  The caller fills the first block; the engine the second.
 * fd: the local file (written by downloads at offset rest, read by
 * uploads), or -1 with a sink.  The engine takes the descriptor: it is
 * closed in every case, once no thread-pool request can still use it.
 */
struct ftpc_xfer {
  int kind;             /* enum ftpc_xfer_kind */
  const char *remote;   /* the argument; NULL for a listing of "." */
  int ascii;            /* TYPE A (LF <-> CRLF), else TYPE I */
  int64_t rest;         /* REST offset; 0: none */
  uv_file fd;
  int in_order;         /* fd is a device or FIFO: written in order, no offsets */
  ftpc_sink_fn *sink;
  void *sink_arg;
  ftpc_progress_fn *progress;
  void *progress_arg;

  uint64_t bytes;       /* bytes moved (file side) */
  uint64_t size_hint;   /* from the 150 reply "(N bytes)", 0 if unknown */
  double seconds;
  char desc[96];        /* "TLS1.3 AES-128-GCM, resumed" or "clear" */
};

/*
 * ftpc_transfer: TYPE if it must change, PBSZ/PROT if the protection
 * setting changed, EPSV (PASV when EPSV is refused, IPv4 only) or in
 * active mode EPRT (PORT when refused, IPv4 only), REST when rest > 0, the
 * command, then the data.  Under PROT P the data connection resumes the
 * control connection's TLS session (SECURE_SESSION_REUSE) and is verified
 * against the control connection's host name.
 * RETURNS 0 only when the data stream ended cleanly (with close_notify
 * under TLS) and the server's final reply was 2xx.  FTP_E_ABORTED after
 * Ctrl-C (ABOR sent); FTP_E_REFUSED for a negative reply; FTP_E_PROTO when
 * data protection is required but not in effect (nothing sent); data
 * connection and connection errors.
 */
int ftpc_transfer(struct ftpc *c, struct ftpc_xfer *x);

/*
 * ftpc_quit: QUIT, wait (CCONNTIME) for the reply and close.  Always ends
 * disconnected.  RETURNS: 0, or UV_ETIMEDOUT / a connection error (the
 * connection is closed anyway).
 */
int ftpc_quit(struct ftpc *c);

/* ftpc_disconnect: close the control connection now, without QUIT. */
void ftpc_disconnect(struct ftpc *c);

/* The user-facing line describing the last failure ("" if none). */
const char *ftpc_error(const struct ftpc *c);

/* ftpc_exit_status: the exit status (enum ftpc_exit) for error err. */
int ftpc_exit_status(const struct ftpc *c, int err);

/* ftpc_server_has_feature: FEAT (sent once, when first needed) lists a
 * line starting with name (case-insensitive).  RETURNS: 1 or 0. */
int ftpc_server_has_feature(struct ftpc *c, const char *name);

/* Interrupts: the number of Ctrl-C presses seen by the last operation. */
int ftpc_interrupted(const struct ftpc *c);

/*
 * ftpc_pasv_target: where to connect after a 227 reply.  The 227 address
 * is replaced by the control connection's peer when ignore_addr
 * (PASSIVEIGNOREADDR), when it is unspecified (0.0.0.0), or when it is
 * private while the control peer is not (a server behind NAT that does not
 * know its public address).  The port is always the 227 port.
 * RETURNS: 1 when the 227 address was replaced, 0 when it is used.
 */
int ftpc_pasv_target(const struct sockaddr_storage *ctrl_peer,
                     const struct sockaddr_storage *pasv, int ignore_addr,
                     struct sockaddr_storage *out);

#endif
