/*
 * err.h: the project's error codes.
 *
 * Functions return 0 on success and a negative code on failure.  libuv's
 * codes (UV_E*, negated errno on Unix) pass through unchanged; the project's
 * own codes live in a separate range starting at FTP_E__BASE, far from both
 * errno values and libuv's UV__EAI_* range.  Names and messages come from the
 * one table below.
 */
#ifndef FTP_ERR_H
#define FTP_ERR_H

#define FTP_E__BASE (-30000)

/* X(NAME, message) */
#define FTP_ERR_MAP(X)                                                        \
  X(NOMEM, "out of memory")                                                   \
  X(TOOBIG, "size limit exceeded")                                            \
  X(LINE_TOO_LONG, "line too long")                                           \
  X(NUL_IN_LINE, "NUL byte in line")                                          \
  X(CR_IN_LINE, "CR or LF inside a line")                                     \
  X(SYNTAX, "syntax error")                                                   \
  X(BAD_VERB, "command not recognized")                                       \
  X(BAD_ARG, "invalid argument")                                              \
  X(AF_UNSUPPORTED, "network protocol not supported")                         \
  X(BAD_REPLY, "malformed reply")                                             \
  X(CONF, "configuration error")                                              \
  X(REFUSED, "refused by policy")                                             \
  X(PROTO, "protocol error")                                                  \
  X(TLS, "TLS error")                                                         \
  X(TLS_VERIFY, "certificate verification failed")                            \
  X(TLS_TRUNCATED, "TLS stream ended without close_notify")                   \
  X(TLS_NOT_RESUMED, "TLS session not resumed from the control connection")   \
  X(TLS_SESSION_UNKNOWN, "TLS session not issued to a live control connection") \
  X(TLS_SESSION_OTHER_USER, "TLS session issued to another user")             \
  X(TLS_SESSION_OTHER_ADDRESS, "TLS session issued to another client address") \
  X(TLS_CERT_MISMATCH, "client certificate differs from the control one")     \
  X(ABORTED, "transfer aborted")                                              \
  X(ESCAPE, "path leaves the user's root")                                    \
  X(LOGIN, "login incorrect")                                                 \
  X(PROXY_HEADER, "missing or malformed PROXY protocol header")

enum ftp_err {
  FTP_E__FIRST = FTP_E__BASE,
#define FTP_ERR_ENUM(name, msg) FTP_E_##name,
  FTP_ERR_MAP(FTP_ERR_ENUM)
#undef FTP_ERR_ENUM
  FTP_E__LAST
};

/*
 * ftp_err_name: the symbolic name of an error ("FTP_E_NOMEM", "ENOENT").
 * ftp_strerror: a human-readable message.
 * Both accept any negative code: ours, libuv's, or an unknown one.
 * Return: a static string; never NULL.
 */
const char *ftp_err_name(int r);
const char *ftp_strerror(int r);

/*
 * ftp_err_is_ours: true when r lies in the project's own range.
 */
int ftp_err_is_ours(int r);

/*
 * GnuTLS's own errors (GNUTLS_E_*: small negative numbers that overlap the
 * errno values) travel in a range of their own, so that a log line can
 * carry one through log_*_r: ftp_err_name gives GnuTLS's name
 * ("GNUTLS_E_UNEXPECTED_PACKET_LENGTH"), ftp_strerror its message.  Such a
 * code is for logs; ftp_err_reply maps it to 451 like any unknown error.
 * ftp_err_gnutls: the code carrying GnuTLS error g (0 stays 0; a value
 * outside GnuTLS's range becomes FTP_E_TLS).
 */
#define FTP_E__GNUTLS_BASE (-40000)
#define FTP_E__GNUTLS_SPAN 1000
int ftp_err_gnutls(int g);

/*
 * ftp_err_reply: map an error to the FTP reply that reports it (RFC 959
 * section 4.2 codes), so that command handlers never invent codes inline.
 *
 * PARAMETERS: r, a negative error code; text, where a short static reply text
 * is stored (may be NULL).
 * RETURNS: the three-digit reply code.  Unknown errors map to 451 (local
 * error in processing).
 */
int ftp_err_reply(int r, const char **text);

#endif
