/*
 * pam.c: a PAM transaction for one login of a system account (pam.h).
 * The only file that talks to libpam.
 */
#include "pam.h"

#include <security/pam_appl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "err.h"
#include "ftp_limits.h"

/* "ftp", as vsftpd and ProFTPD set it: modules that look a terminal up
 * (pam_unix's session log, pam_securetty) get a name that is no device. */
#define FTPD_PAM_TTY "ftp"

struct ftpd_pam {
  pam_handle_t *h;
  struct pam_conv conv;           /* its appdata_ptr is this struct */
  const char *password;           /* during ftpd_pam_login only */
  char said[256];                 /* the first message a module gave */
  char user[FTP_USER_MAX + 1];    /* PAM_USER after authentication */
  int cred, session;              /* what ftpd_pam_end must undo */
  int last;                       /* the last PAM status, for pam_end */
};

/* Keep a module's message for the log: printable ASCII only. */
static void remember(struct ftpd_pam *p, const char *msg) {
  size_t i;

  if (p->said[0] != '\0' || msg == NULL)
    return;
  for (i = 0; msg[i] != '\0' && i < sizeof(p->said) - 1; i++)
    p->said[i] = msg[i] >= 0x20 && msg[i] < 0x7f ? msg[i] : '?';
  p->said[i] = '\0';
}

static void free_responses(struct pam_response *r, int n) {
  int i;

  for (i = 0; i < n; i++) {
    if (r[i].resp != NULL) {
      explicit_bzero(r[i].resp, strlen(r[i].resp));
      free(r[i].resp);
    }
  }
  free(r);
}

/* The conversation (pam.h): the PASS argument for each echo-off prompt. */
static int conv_fn(int n, const struct pam_message **msg, struct pam_response **resp,
                   void *appdata) {
  struct ftpd_pam *p = appdata;
  struct pam_response *r;
  int i;

  *resp = NULL;
  if (n <= 0 || n > PAM_MAX_NUM_MSG || (r = calloc((size_t)n, sizeof(*r))) == NULL)
    return PAM_CONV_ERR;
  for (i = 0; i < n; i++) {
    switch (msg[i]->msg_style) {
    case PAM_PROMPT_ECHO_OFF:
      if (p->password == NULL || (r[i].resp = strdup(p->password)) == NULL) {
        free_responses(r, n);
        return PAM_CONV_ERR;
      }
      break;
    case PAM_ERROR_MSG:
    case PAM_TEXT_INFO:
      remember(p, msg[i]->msg);
      break;
    default:
      free_responses(r, n);
      return PAM_CONV_ERR;
    }
  }
  *resp = r;
  return PAM_SUCCESS;
}

/* PAM_FAIL_DELAY (pam.h): ftpd's own delay applies, on the loop. */
static void no_delay(int status, unsigned usec, void *appdata) {
  (void)status;
  (void)usec;
  (void)appdata;
}

/* why gets PAM's words for status, and a module's message if there was
 * one. */
static void explain(struct ftpd_pam *p, int status, char *why, size_t n) {
  if (n == 0)
    return;
  snprintf(why, n, "%s%s%s", pam_strerror(p->h, status), p->said[0] ? ": " : "",
           p->said);
}

static int start(const char *service, const char *confdir, const char *user,
                 const char *rhost, struct ftpd_pam *p) {
  int s;

  p->conv.conv = conv_fn;
  p->conv.appdata_ptr = p;
  s = confdir != NULL ? pam_start_confdir(service, user, &p->conv, confdir, &p->h)
                      : pam_start(service, user, &p->conv, &p->h);
  if (s != PAM_SUCCESS)
    return s;
  if ((s = pam_set_item(p->h, PAM_RHOST, rhost)) != PAM_SUCCESS ||
      (s = pam_set_item(p->h, PAM_TTY, FTPD_PAM_TTY)) != PAM_SUCCESS)
    return s;
  return pam_set_item(p->h, PAM_FAIL_DELAY, (const void *)no_delay);
}

/* The ftpd error for a PAM status of authentication. */
static int map_status(int s) {
  switch (s) {
  case PAM_SUCCESS:
    return 0;
  case PAM_AUTH_ERR:
  case PAM_USER_UNKNOWN:
  case PAM_MAXTRIES:
  case PAM_CRED_INSUFFICIENT:
    return FTP_E_LOGIN;
  case PAM_PERM_DENIED:
    return FTP_E_REFUSED;
  case PAM_BUF_ERR:
    return FTP_E_NOMEM;
  default:
    return UV_EIO;
  }
}

int ftpd_pam_login(const char *service, const char *confdir, const char *user,
                   const char *password, const char *rhost,
                   struct ftpd_pam **out, char *why, size_t n) {
  struct ftpd_pam *p;
  const void *item = NULL;
  int s, r, acct_failed = 0;

  *out = NULL;
  if (n > 0)
    why[0] = '\0';
  if ((p = calloc(1, sizeof(*p))) == NULL)
    return FTP_E_NOMEM;
  p->password = password;
  if ((s = start(service, confdir, user, rhost, p)) == PAM_SUCCESS &&
      (s = pam_authenticate(p->h, PAM_DISALLOW_NULL_AUTHTOK)) == PAM_SUCCESS) {
    s = pam_acct_mgmt(p->h, PAM_DISALLOW_NULL_AUTHTOK);
    /* Whatever code the account stack ends with (Debian's common-account
     * turns pam_unix's PAM_ACCT_EXPIRED into pam_deny's PAM_AUTH_ERR),
     * the password was right: the account is refused. */
    acct_failed = s != PAM_SUCCESS && s != PAM_BUF_ERR;
  }
  p->password = NULL;
  p->last = s;
  if (s == PAM_SUCCESS && (s = pam_get_item(p->h, PAM_USER, &item)) == PAM_SUCCESS &&
      (item == NULL || strlen(item) >= sizeof(p->user)))
    s = PAM_USER_UNKNOWN;
  if ((r = acct_failed ? FTP_E_REFUSED : map_status(s)) != 0) {
    if (p->h != NULL)
      explain(p, s, why, n);
    else
      snprintf(why, n, "pam_start: %s", pam_strerror(NULL, s));
    ftpd_pam_end(p);
    return r;
  }
  memcpy(p->user, item, strlen(item) + 1);
  *out = p;
  return 0;
}

const char *ftpd_pam_user(const struct ftpd_pam *p) { return p->user; }

int ftpd_pam_open_session(struct ftpd_pam *p, char *why, size_t n) {
  int s;

  if ((s = pam_setcred(p->h, PAM_ESTABLISH_CRED)) == PAM_SUCCESS) {
    p->cred = 1;
    if ((s = pam_open_session(p->h, 0)) == PAM_SUCCESS)
      p->session = 1;
  }
  p->last = s;
  if (s == PAM_SUCCESS)
    return 0;
  explain(p, s, why, n);
  return UV_EIO;
}

void ftpd_pam_end(struct ftpd_pam *p) {
  if (p == NULL)
    return;
  if (p->h != NULL) {
    if (p->session)
      pam_close_session(p->h, 0);
    if (p->cred)
      pam_setcred(p->h, PAM_DELETE_CRED);
    pam_end(p->h, p->last);
  }
  explicit_bzero(p, sizeof(*p));
  free(p);
}
