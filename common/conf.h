/*
 * conf.h: FTPDATA members, the z/OS FTP.DATA-style configuration of ftpd and
 * ftp.
 *
 * A member is plain text, one `KEYWORD value` statement per line, `;` starts
 * a comment.  One keyword table (conf_table.c) drives parsing, validation,
 * defaults and printing; ftp.data(5) documents every keyword.  Unlike z/OS,
 * every unknown keyword or bad value is an error that stops start-up, and all
 * of them are reported in one run as "file:line: KEYWORD: message".
 *
 * The parser works on a buffer it is handed (ftp_conf_parse) and does no
 * I/O; ftp_conf_load is the thin wrapper that reads a member from disk.
 */
#ifndef FTP_CONF_H
#define FTP_CONF_H

#include <stddef.h>

#include "buf.h"
#include "ftp_limits.h"

/* Which program reads the member.  The values are bits so that the keyword
 * table can say "both" as FTP_CONF_SERVER | FTP_CONF_CLIENT. */
enum ftp_conf_side { FTP_CONF_SERVER = 1, FTP_CONF_CLIENT = 2 };

/* Severity of a diagnostic passed to ftp_conf_diag_fn. */
enum ftp_conf_severity { FTP_CONF_ERROR = 1, FTP_CONF_WARNING = 2 };

/*
 * Enumerated keyword values: FTP_<KEYWORD>_<VALUE>.  The fields of struct
 * ftp_conf that hold them are plain ints.
 */
enum ftp_secure_mechanism {
  FTP_SECURE_MECHANISM_NONE = 0, /* the default: the client sends no AUTH */
  FTP_SECURE_MECHANISM_TLS
};
enum ftp_secure_ftp { FTP_SECURE_FTP_ALLOWED = 0, FTP_SECURE_FTP_REQUIRED };
enum ftp_secure_login {
  FTP_SECURE_LOGIN_NO_CLIENT_AUTH = 0,
  FTP_SECURE_LOGIN_REQUIRED,
  FTP_SECURE_LOGIN_VERIFY_USER
};
enum ftp_secure_password {
  FTP_SECURE_PASSWORD_REQUIRED = 0,
  FTP_SECURE_PASSWORD_OPTIONAL
};
enum ftp_secure_ctrlconn {
  FTP_SECURE_CTRLCONN_CLEAR = 0,
  FTP_SECURE_CTRLCONN_PRIVATE,
  FTP_SECURE_CTRLCONN_SAFE
};
enum ftp_secure_dataconn {
  FTP_SECURE_DATACONN_CLEAR = 0,
  FTP_SECURE_DATACONN_NEVER,
  FTP_SECURE_DATACONN_PRIVATE,
  FTP_SECURE_DATACONN_SAFE
};
enum ftp_secure_hostname {
  FTP_SECURE_HOSTNAME_OPTIONAL = 0,
  FTP_SECURE_HOSTNAME_REQUIRED
};
enum ftp_secure_session_reuse {
  FTP_SECURE_SESSION_REUSE_ALLOWED = 0,
  FTP_SECURE_SESSION_REUSE_REQUIRED,
  FTP_SECURE_SESSION_REUSE_NONE /* client only */
};
enum ftp_tlsrfclevel {
  FTP_TLSRFCLEVEL_DRAFT = 0,
  FTP_TLSRFCLEVEL_RFC4217,
  FTP_TLSRFCLEVEL_CCCNONOTIFY
};
/* TLSMECHANISM ATTLS is accepted with a warning and stored as FTP: TLS is
 * always done by the program itself. */
enum ftp_tlsmechanism { FTP_TLSMECHANISM_FTP = 0 };
enum ftp_tlsclosenotify {
  FTP_TLSCLOSENOTIFY_REQUIRED = 0,
  FTP_TLSCLOSENOTIFY_OPTIONAL
};
enum ftp_passivedataconn {
  FTP_PASSIVEDATACONN_UNRESTRICTED = 0,
  FTP_PASSIVEDATACONN_NOREDIRECT
};
enum ftp_portcommand { FTP_PORTCOMMAND_ACCEPT = 0, FTP_PORTCOMMAND_REJECT };
enum ftp_portcommandipaddr {
  FTP_PORTCOMMANDIPADDR_UNRESTRICTED = 0,
  FTP_PORTCOMMANDIPADDR_NOREDIRECT
};
enum ftp_portcommandport {
  FTP_PORTCOMMANDPORT_UNRESTRICTED = 0,
  FTP_PORTCOMMANDPORT_NOLOWPORTS
};
/* STARTDIRECTORY MVS is accepted with a warning and stored as HFS. */
enum ftp_startdirectory { FTP_STARTDIRECTORY_HFS = 0 };

/* EXTENSIONS: a bit mask. */
enum ftp_ext {
  FTP_EXT_AUTH_TLS = 1u << 0,
  FTP_EXT_SIZE = 1u << 1,
  FTP_EXT_MDTM = 1u << 2,
  FTP_EXT_UTF8 = 1u << 3,
  FTP_EXT_REST_STREAM = 1u << 4
};

/* A list of strings (LISTENADDRESS, CIPHERSUITE), in member order.  The
 * strings belong to the struct ftp_conf; callers only read them. */
struct ftp_conf_list {
  const char *const *v;
  size_t n;
};

/* PASSIVEDATAPORTS: set is 0 when the statement was not coded. */
struct ftp_conf_ports {
  unsigned low, high;
  int set;
};

/*
 * The effective configuration.  Each field is named after its keyword in
 * lower case.  Booleans are 0/1 ints, enumerations ints holding the
 * FTP_<KEYWORD>_<VALUE> constants above, times in seconds.  Strings are NULL
 * when unset; they and the lists belong to the struct and are released by
 * ftp_conf_free.  Fields of keywords meant for the other program hold their
 * defaults.
 */
struct ftp_conf {
  enum ftp_conf_side side;

  /* TLS and login security */
  unsigned extensions; /* FTP_EXT_* */
  int secure_mechanism;
  int secure_ftp;
  int secure_login;
  int secure_password;
  int secure_ctrlconn;
  int secure_dataconn;
  int secure_hostname;
  int secure_session_reuse;
  unsigned secure_pbsz;
  int tlsrfclevel;
  int tlsmechanism;
  unsigned tlsport; /* server: 0 = no implicit TLS listener */
  int secureimplicitzos;
  const char *keyring;
  const char *cafile;
  struct ftp_conf_list ciphersuite; /* canonical names, ciphers.h */
  unsigned tlstimeout;
  int tlscertcrosscheck;
  int tlsclosenotify;

  /* data connections, NAT and firewalls */
  int epsv4;
  int fwfriendly;
  int passiveignoreaddr;
  struct ftp_conf_ports passivedataports;
  int passivedataconn;
  const char *passiveaddress;
  int portcommand;
  int portcommandipaddr;
  int portcommandport;

  /* timers (seconds; 0 = never where the keyword allows it) */
  unsigned inactive;
  unsigned datatimeout;
  unsigned inacttime;
  unsigned datacttime;
  unsigned cconntime;
  unsigned myopentime;
  unsigned ftpkeepalive;
  unsigned datakeepalive;

  /* the daemon */
  unsigned port;
  struct ftp_conf_list listenaddress; /* IPv4 and IPv6 literals */
  const char *runas;
  const char *userfile;
  const char *xferlog;
  const char *pidfile;
  unsigned loginattempts;
  unsigned maxsessions;
  unsigned maxsessionsperip;
  unsigned banfailures;        /* 0: no bans */
  unsigned banwindow;
  unsigned bantime;
  struct ftp_conf_list banexempt; /* addresses and prefixes */
  const char *pamservice;      /* NULL: no system accounts */
  const char *pamroot;         /* NULL: each system account's home */
  const char *ftpusers;
  const char *banner;
  const char *loginmsg;
  int anonymous;              /* 1: anonymous login enabled */
  const char *anonymous_user; /* the account it maps to, NULL if disabled */
  int startdirectory;
  int replysecuritylevel; /* 0 or 1 */

  /* several instances behind a balancer */
  struct ftp_conf_list proxyprotocol; /* "addr" or "addr/bits" */
  int proxyprotocoldata;
  const char *tlsticketkey;
  unsigned metricsport;               /* 0: no metrics endpoint */
  const char *metricsaddress;
  unsigned draintimeout;              /* seconds */

  /* files and listings */
  unsigned umask;
  int listsubdir;

  int suppressignorewarnings;

  /* The member name given to ftp_conf_parse, NULL until then. */
  const char *member;
  /* Private: for each table row, the member line that set it (0: default). */
  unsigned priv_origin[FTP_CONF_KEYWORDS_MAX];
};

/*
 * ftp_conf_diag_fn: receives one diagnostic.  severity is FTP_CONF_ERROR or
 * FTP_CONF_WARNING; line is the formatted text without a newline:
 *   "file:line: KEYWORD: message"            an error in a statement
 *   "file:line: KEYWORD: warning: message"   a warning
 *   "file:KEYWORD: message"                  a rule no single line breaks
 *   "file: message"                          the member as a whole
 * The string is valid only during the call.
 */
typedef void ftp_conf_diag_fn(void *arg, int severity, const char *line);

/* ftp_conf_diag_stderr: a diag function that writes the line and a newline
 * to stderr; arg is unused. */
void ftp_conf_diag_stderr(void *arg, int severity, const char *line);

/*
 * ftp_conf_init: fill c with the defaults of the given side.  Allocates
 * nothing (default strings are static), so it cannot fail; ftp_conf_free is
 * still the way to release c after a parse.
 */
void ftp_conf_init(struct ftp_conf *c, enum ftp_conf_side side);

/*
 * ftp_conf_parse: apply the member text[0..len) to c, which ftp_conf_init
 * prepared (text may be NULL when len is 0; it need not be NUL-terminated
 * and may hold any bytes).  name, non-NULL, is the member's name used in
 * diagnostics (copied).  Every
 * problem of the member is reported through diag (NULL: report nothing),
 * then the cross-keyword rules are applied.  A conf takes one member: a
 * second call on the same c returns FTP_E_BAD_ARG.
 *
 * RETURNS: 0 (warnings may have been reported); FTP_E_CONF when at least
 * one error was reported; FTP_E_NOMEM (parsing stopped, not reported).  On
 * any failure c holds a partial configuration: do not use it, free it.
 */
int ftp_conf_parse(struct ftp_conf *c, const char *name, const char *text,
                   size_t len, ftp_conf_diag_fn *diag, void *arg);

/*
 * ftp_conf_load: read the member at path and ftp_conf_parse it.  The file is
 * read synchronously with libuv on a private loop, created and closed here.
 * A member that cannot be read (missing, unreadable, not a regular file,
 * larger than FTP_CONF_MEMBER_MAX) is reported through diag as
 * "path: message".
 *
 * RETURNS: as ftp_conf_parse; or the libuv code of a failed open/read
 * (e.g. UV_ENOENT, UV_EACCES); FTP_E_CONF for a file that is too large or
 * not a regular file.
 */
int ftp_conf_load(struct ftp_conf *c, const char *path, ftp_conf_diag_fn *diag,
                  void *arg);

/*
 * ftp_conf_find_member: which member to read.  Lookup order, first existing
 * file wins:
 *   client: explicit_path (-f FILE), $HOME/ftp.data, SYSCONFDIR/ftp.data
 *   server: explicit_path (-f FILE), SYSCONFDIR/ftpd/ftpd.data,
 *           SYSCONFDIR/ftp.data
 * (ftp_paths.h; SYSCONFDIR is /etc unless the build says otherwise).
 * An explicit path (non-NULL) is returned as is, whether or not it exists,
 * so that ftp_conf_load reports it.  A candidate that exists but cannot be
 * examined (stat fails other than with ENOENT/ENOTDIR) is returned too: a
 * member that is there must never be skipped silently.
 *
 * RETURNS: 0 with the NUL-terminated path in out; UV_ENOENT when no member
 * exists (the caller then runs on defaults); FTP_E_TOOBIG when the path does
 * not fit in outlen bytes.
 */
int ftp_conf_find_member(enum ftp_conf_side side, const char *explicit_path,
                         char *out, size_t outlen);

/*
 * ftp_conf_print: append the effective configuration of c's side to out:
 * every keyword of that side, in table order, one per line ending in "\n":
 *   KEYWORD value ; default
 *   KEYWORD value ; file:line
 * Lists are shown in parentheses, "(a,b)"; unset strings, lists and port
 * ranges as "(none)".
 * RETURNS: 0, or the ftp_buf error (FTP_E_TOOBIG, FTP_E_NOMEM); out may then
 * hold part of the text.
 */
int ftp_conf_print(const struct ftp_conf *c, struct ftp_buf *out);

/*
 * ftp_conf_line: the member line on which keyword (any case) was last coded,
 * or 0 when it has its default or is not a keyword.  Lets the programs point
 * at the statement behind a run-time failure (e.g. a KEYRING that does not
 * load).
 */
unsigned ftp_conf_line(const struct ftp_conf *c, const char *keyword);

/*
 * ftp_conf_free: release every string and list of c.  c must be
 * re-initialised before reuse.  Accepts NULL.
 */
void ftp_conf_free(struct ftp_conf *c);

#endif
