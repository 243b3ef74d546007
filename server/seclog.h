/*
 * seclog.h: ftpd's security events, one log line each, in a stable format
 * that fail2ban filters and log searches can rely on.
 *
 * FORMAT.  With syslog (ftpd -d, or under systemd) the message is, at
 * facility authpriv:
 *
 *   security: EVENT session=ID client=ADDRESS[ FIELD=VALUE...]
 *
 * On stderr the same text follows the usual "time ftpd[pid]: level: "
 * prefix.  EVENT, session= and client= always come first and in this
 * order; the fields after them appear only where they apply, in this
 * order:
 *
 *   user="NAME"       the name the client gave (USER)
 *   method=METHOD     how a login was (to be) authenticated: password,
 *                     certificate, anonymous, pam (a system account)
 *   command=VERB      the refused command
 *   reason="TEXT"     why, for people
 *
 * ID is the session number of the other log lines ("[#ID ...]"), or "-"
 * before there is a session; ADDRESS is the client's IP address.  Quoted
 * values have '"', '\' and every byte outside printable ASCII written as
 * \xHH, so a line never breaks and a value never fakes a field: what a
 * client chose (its user name) always comes after client=.
 *
 * EVENTS (level):
 *   login-ok            (notice)  a user logged in
 *   login-failed        (warning) wrong password or unknown user, or a
 *                                 login that failed after the check (home
 *                                 directory); what fail2ban counts
 *   login-refused       (warning) the security policy refused the login
 *                                 (SECURE_LOGIN: no, untrusted or unmapped
 *                                 client certificate)
 *   tls-failed          (warning) a TLS handshake failed or timed out, or a
 *                                 data connection's TLS did not match its
 *                                 control connection
 *   policy-refused      (warning) a command refused by the security policy
 *                                 (SECURE_FTP, SECURE_DATACONN, CCC,
 *                                 PORT to another host, ...), and a PROXY
 *                                 header from an address PROXYPROTOCOL
 *                                 does not list (command=PROXY)
 *   connection-refused  (warning) MAXSESSIONS or MAXSESSIONSPERIP (behind
 *                                 a balancer: the PROXY header's client)
 *   banned              (warning) BANFAILURES failed logins banned the
 *                                 address (ban.h); the session is the one
 *                                 whose failure started the ban.  The
 *                                 connections refused during the ban are
 *                                 not logged as events (a guesser would
 *                                 fill the log), and fail2ban's filter
 *                                 does not count this line.
 */
#ifndef FTPD_SECLOG_H
#define FTPD_SECLOG_H

#include <stddef.h>

struct ftpd_session;

enum ftpd_sec_event {
  FTPD_SEC_LOGIN_OK,
  FTPD_SEC_LOGIN_FAILED,
  FTPD_SEC_LOGIN_REFUSED,
  FTPD_SEC_TLS_FAILED,
  FTPD_SEC_POLICY_REFUSED,
  FTPD_SEC_CONNECTION_REFUSED,
  FTPD_SEC_BANNED
};

enum ftpd_sec_method {
  FTPD_SEC_M_NONE,
  FTPD_SEC_M_PASSWORD,
  FTPD_SEC_M_CERTIFICATE,
  FTPD_SEC_M_ANONYMOUS,
  FTPD_SEC_M_PAM
};

/* One event; NULL (or FTPD_SEC_M_NONE, session 0) leaves a field out. */
struct ftpd_sec_line {
  enum ftpd_sec_event event;
  unsigned long session;       /* 0: "-" */
  const char *client;
  const char *user;
  enum ftpd_sec_method method;
  const char *command;
  const char *reason;
};

/*
 * ftpd_seclog_format: the text of one event (without "security: "), in
 * out (NUL-terminated, cut at n-1 bytes).  No I/O: unit-tested.
 * RETURNS: the length written.
 */
size_t ftpd_seclog_format(const struct ftpd_sec_line *l, char *out, size_t n);

/* ftpd_seclog_write: format l and log it (ftp_log_security). */
void ftpd_seclog_write(const struct ftpd_sec_line *l);

/*
 * ftpd_seclog: an event of session s: its id, client address and user
 * name (when one was given) are filled in.  command and reason may be NULL.
 */
void ftpd_seclog(const struct ftpd_session *s, enum ftpd_sec_event ev,
                 enum ftpd_sec_method method, const char *command,
                 const char *reason);

/* ftpd_seclog_is_security_reply: a refusal with this reply code is a
 * security refusal (RFC 2228's 53z, 521/522 data protection, 536). */
int ftpd_seclog_is_security_reply(int code);

/* ftpd_seclog_data_error: a transfer ended with status: when that is a TLS
 * or binding failure of the data connection, log it as an event. */
void ftpd_seclog_data_error(const struct ftpd_session *s, int status);

#endif
