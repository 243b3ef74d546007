/*
 * seclog.c: format and log ftpd's security events (seclog.h).
 */
#include "seclog.h"

#include "metrics.h"

#include <stdio.h>
#include <string.h>

#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "session.h"

static const char *const event_names[] = {
    [FTPD_SEC_LOGIN_OK] = "login-ok",
    [FTPD_SEC_LOGIN_FAILED] = "login-failed",
    [FTPD_SEC_LOGIN_REFUSED] = "login-refused",
    [FTPD_SEC_TLS_FAILED] = "tls-failed",
    [FTPD_SEC_POLICY_REFUSED] = "policy-refused",
    [FTPD_SEC_CONNECTION_REFUSED] = "connection-refused",
    [FTPD_SEC_BANNED] = "banned",
};

static const char *const method_names[] = {
    [FTPD_SEC_M_NONE] = NULL,
    [FTPD_SEC_M_PASSWORD] = "password",
    [FTPD_SEC_M_CERTIFICATE] = "certificate",
    [FTPD_SEC_M_ANONYMOUS] = "anonymous",
    [FTPD_SEC_M_PAM] = "pam",
};

/* Appends to out[*len..n-1], always NUL-terminated; stops quietly at n. */
static void put(char *out, size_t n, size_t *len, const char *s, size_t slen) {
  if (*len + 1 >= n)
    return;
  if (slen > n - 1 - *len)
    slen = n - 1 - *len;
  memcpy(out + *len, s, slen);
  *len += slen;
  out[*len] = 0;
}

static void put_str(char *out, size_t n, size_t *len, const char *s) {
  put(out, n, len, s, strlen(s));
}

/* Security: a value the client chose is quoted and escaped, so that it can
 * neither end the line nor look like another field to a log parser. */
static void put_quoted(char *out, size_t n, size_t *len, const char *key,
                       const char *v) {
  char esc[8];

  put_str(out, n, len, " ");
  put_str(out, n, len, key);
  put_str(out, n, len, "=\"");
  for (; *v != 0; v++) {
    unsigned char c = (unsigned char)*v;
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') {
      snprintf(esc, sizeof(esc), "\\x%02x", c);
      put_str(out, n, len, esc);
    } else
      put(out, n, len, v, 1);
  }
  put_str(out, n, len, "\"");
}

size_t ftpd_seclog_format(const struct ftpd_sec_line *l, char *out, size_t n) {
  char head[128];
  size_t len = 0;

  if (n == 0)
    return 0;
  out[0] = 0;
  if (l->session != 0)
    snprintf(head, sizeof(head), "%s session=%lu client=", event_names[l->event],
             l->session);
  else
    snprintf(head, sizeof(head), "%s session=- client=", event_names[l->event]);
  put_str(out, n, &len, head);
  /* The address is ours (from the socket), never the client's text. */
  put_str(out, n, &len, l->client != NULL && l->client[0] != 0 ? l->client : "-");
  if (l->user != NULL && l->user[0] != 0)
    put_quoted(out, n, &len, "user", l->user);
  if (l->method != FTPD_SEC_M_NONE) {
    put_str(out, n, &len, " method=");
    put_str(out, n, &len, method_names[l->method]);
  }
  if (l->command != NULL && l->command[0] != 0) {
    put_str(out, n, &len, " command=");
    put_str(out, n, &len, l->command); /* a verb from our command table */
  }
  if (l->reason != NULL && l->reason[0] != 0)
    put_quoted(out, n, &len, "reason", l->reason);
  return len;
}

void ftpd_seclog_write(const struct ftpd_sec_line *l) {
  char line[1024];

  ftpd_seclog_format(l, line, sizeof(line));
  ftp_log_security(l->event == FTPD_SEC_LOGIN_OK ? FTP_LOG_NOTICE : FTP_LOG_WARN,
                   "%s", line);
}

void ftpd_seclog(const struct ftpd_session *s, enum ftpd_sec_event ev,
                 enum ftpd_sec_method method, const char *command,
                 const char *reason) {
  struct ftpd_sec_line l = {ev, s->id, s->peer_str, s->user, method, command, reason};

  ftpd_seclog_write(&l);
  ftpd_metrics_login(ev, method);
}

int ftpd_seclog_is_security_reply(int code) {
  switch (code) {
  case FTP_R_PROT_REFUSED:
  case FTP_R_EXT_UNSUPPORTED:
  case FTP_R_NEED_CLIENT_CERT:
  case FTP_R_CMD_PROT_DENIED:
  case FTP_R_POLICY_DENIED:
  case FTP_R_PROT_UNSUPPORTED:
    return 1;
  default:
    return 0;
  }
}

void ftpd_seclog_data_error(const struct ftpd_session *s, int status) {
  switch (status) {
  case FTP_E_TLS:
  case FTP_E_TLS_VERIFY:
  case FTP_E_TLS_NOT_RESUMED:
  case FTP_E_TLS_CERT_MISMATCH:
    ftpd_seclog(s, FTPD_SEC_TLS_FAILED, FTPD_SEC_M_NONE, s->verb,
                ftp_strerror(status));
    break;
  case FTP_E_REFUSED:
    ftpd_seclog(s, FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_NONE, s->verb,
                "data connections came from other addresses");
    break;
  default:
    break;
  }
}
