/*
 * config.c: load a member and everything it names, or refuse it as a whole.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "file.h"
#include "ftp_limits.h"
#include "log.h"

/* Diagnostics go to the log: stderr in the foreground, syslog with -d. */
static void conf_diag(void *arg, int severity, const char *line) {
  (void)arg;
  if (severity == FTP_CONF_ERROR)
    log_err("%s", line);
  else
    log_warn("%s", line);
}

static void users_diag(void *arg, const char *msg) {
  (void)arg;
  log_err("%s", msg);
}

/*
 * BANNER and LOGINMSG texts, read whole at start-up and on SIGHUP, before
 * any session uses them.  At most FTP_MSG_LINES_MAX lines are kept, as
 * z/OS does; CRs and NULs, which would break a reply, become blanks.
 */
static int read_message(const char *path, char **out) {
  struct ftp_buf b;
  size_t len, lines = 0, i;
  char *text;
  int r;

  *out = NULL;
  ftp_buf_init(&b, FTP_MSG_FILE_MAX);
  if ((r = ftp_file_read(path, &b, NULL)) != 0) {
    ftp_buf_free(&b);
    return r == FTP_E_REFUSED ? UV_EINVAL : r;
  }
  len = ftp_buf_len(&b);
  if ((text = malloc(len + 1)) == NULL) {
    ftp_buf_free(&b);
    return FTP_E_NOMEM;
  }
  if (len > 0)
    memcpy(text, ftp_buf_ptr(&b), len);
  ftp_buf_free(&b);
  for (i = 0; i < len; i++) {
    if (text[i] == '\r' || text[i] == '\0')
      text[i] = ' ';
    if (text[i] == '\n' && ++lines == FTP_MSG_LINES_MAX) {
      len = i;
      break;
    }
  }
  while (len > 0 && text[len - 1] == '\n')
    len--;
  text[len] = 0;
  *out = text;
  return 0;
}

static int load_message(const struct ftp_conf *c, const char *keyword,
                        const char *path, char **out) {
  int r;

  if (path == NULL) {
    *out = strdup("");
    return *out == NULL ? FTP_E_NOMEM : 0;
  }
  if ((r = read_message(path, out)) != 0) {
    log_err_r(r, "%s:%u: %s: %s", c->member != NULL ? c->member : "(defaults)",
              ftp_conf_line(c, keyword), keyword, path);
    return FTP_E_CONF;
  }
  return 0;
}

static int load_tls(struct ftpd_config *cfg) {
  const struct ftp_conf *c = &cfg->conf;
  struct ftp_tls_config tc = {0};
  char err[512];

  if (!(c->extensions & FTP_EXT_AUTH_TLS) && c->tlsport == 0)
    return 0;
  if (c->keyring == NULL) {
    /* AUTH TLS is then answered 431; conf refused members that need TLS. */
    return 0;
  }
  tc.server = 1;
  tc.keyring = c->keyring;
  tc.cafile = c->cafile;
  tc.ciphers = c->ciphersuite.v;
  tc.nciphers = c->ciphersuite.n;
  tc.request_client_cert = c->secure_login != FTP_SECURE_LOGIN_NO_CLIENT_AUTH;
  tc.session_lifetime = c->tlstimeout;
  if (ftp_tls_ctx_new(&tc, &cfg->tls, err, sizeof(err)) != 0) {
    log_err("%s:%u: %s", c->member != NULL ? c->member : "(defaults)",
            ftp_conf_line(c, strncmp(err, "CAFILE", 6) == 0      ? "CAFILE"
                             : strncmp(err, "CIPHERSUITE", 11) == 0 ? "CIPHERSUITE"
                                                                    : "KEYRING"),
            err);
    return FTP_E_CONF;
  }
  return 0;
}

static int load_users(struct ftpd_config *cfg) {
  const struct ftp_conf *c = &cfg->conf;
  int r = ftp_users_load(c->userfile, users_diag, NULL, &cfg->users);

  if (r == UV_ENOENT) {
    /* No USERFILE: only anonymous logins (if enabled) are possible. */
    log_warn("USERFILE %s does not exist: no named user can log in",
             c->userfile);
    cfg->users = NULL;
    return 0;
  }
  return r == 0 ? 0 : FTP_E_CONF;
}

/* "file:line: KEYWORD: " for a run-time check of a statement. */
static void stmt_error(const struct ftp_conf *c, const char *kw, const char *msg,
                       const char *arg) {
  log_err("%s:%u: %s: %s: %s", c->member != NULL ? c->member : "(defaults)",
          ftp_conf_line(c, kw), kw, arg, msg);
}

/* System accounts: what the statements name must be there. */
static int check_system_accounts(const struct ftp_conf *c) {
  char path[FTP_PATH_MAX];
  struct stat st;

  if (c->pamroot != NULL && (stat(c->pamroot, &st) != 0 || !S_ISDIR(st.st_mode))) {
    stmt_error(c, "PAMROOT", "not a directory", c->pamroot);
    return FTP_E_CONF;
  }
  /* The default /etc/ftpusers may be absent (it denies no one then); a
   * file the member names must exist: a typo must not deny no one. */
  if (ftp_conf_line(c, "FTPUSERS") != 0 && stat(c->ftpusers, &st) != 0) {
    stmt_error(c, "FTPUSERS", strerror(errno), c->ftpusers);
    return FTP_E_CONF;
  }
  if (c->pamservice == NULL)
    return 0;
  snprintf(path, sizeof(path), "/etc/pam.d/%s", c->pamservice);
  if (stat(path, &st) != 0) {
    snprintf(path, sizeof(path), "/usr/lib/pam.d/%s", c->pamservice);
    if (stat(path, &st) != 0)
      log_warn("%s:%u: PAMSERVICE: %s: no /etc/pam.d/%s: PAM will use the service "
               "\"other\" (on Debian: deny every login)",
               c->member != NULL ? c->member : "(defaults)",
               ftp_conf_line(c, "PAMSERVICE"), c->pamservice, c->pamservice);
  }
  return 0;
}

static int load_bans(struct ftpd_config *cfg) {
  const struct ftp_conf *c = &cfg->conf;
  int r = ftpd_ban_policy_init(&cfg->ban, c->banfailures, c->banwindow, c->bantime,
                               c->banexempt.v, c->banexempt.n);

  /* conf checked every value, so only memory can fail here. */
  return r == 0 ? 0 : r == FTP_E_NOMEM ? r : FTP_E_CONF;
}

/* PROXYPROTOCOL's networks, checked by the member parser already. */
static int load_balancers(struct ftpd_config *cfg) {
  const struct ftp_conf_list *l = &cfg->conf.proxyprotocol;
  size_t i;

  for (i = 0; i < l->n && i < FTP_CONF_LIST_MAX; i++)
    if (ftp_cidr_parse(l->v[i], strlen(l->v[i]), &cfg->balancers[i]) != 0)
      return FTP_E_CONF;
  cfg->nbalancers = i;
  return 0;
}

int ftpd_config_is_balancer(const struct ftpd_config *cfg,
                            const struct sockaddr_storage *addr) {
  return ftp_cidr_match_any(cfg->balancers, cfg->nbalancers, addr);
}

int ftpd_config_load(const char *path, unsigned port_override,
                     struct ftpd_config **out) {
  struct ftpd_config *cfg;
  int r;

  *out = NULL;
  if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
    return FTP_E_NOMEM;
  cfg->refs = 1;
  ftp_conf_init(&cfg->conf, FTP_CONF_SERVER);
  if (path != NULL) {
    if ((cfg->member = strdup(path)) == NULL) {
      r = FTP_E_NOMEM;
      goto fail;
    }
    if ((r = ftp_conf_load(&cfg->conf, path, conf_diag, NULL)) != 0) {
      r = r == FTP_E_NOMEM ? r : FTP_E_CONF;
      goto fail;
    }
  }
  if (port_override != 0)
    cfg->conf.port = port_override;
  if ((r = load_balancers(cfg)) != 0 || (r = load_tls(cfg)) != 0 ||
      (r = load_users(cfg)) != 0 || (r = load_bans(cfg)) != 0 ||
      (r = check_system_accounts(&cfg->conf)) != 0 ||
      (r = load_message(&cfg->conf, "BANNER", cfg->conf.banner, &cfg->banner)) != 0 ||
      (r = load_message(&cfg->conf, "LOGINMSG", cfg->conf.loginmsg, &cfg->loginmsg)) != 0)
    goto fail;
  *out = cfg;
  return 0;
fail:
  ftpd_config_unref(cfg);
  return r;
}

void ftpd_config_check_rereadable(const struct ftpd_config *cfg) {
  const struct ftp_conf *c = &cfg->conf;
  const char *what[] = {"member", "KEYRING", "CAFILE", "USERFILE", "BANNER", "LOGINMSG"};
  const char *path[] = {cfg->member, c->keyring, c->cafile, c->userfile, c->banner,
                        c->loginmsg};
  size_t i;

  /* AT_EACCESS: with the filesystem ids SIGHUP will read with (RUNAS's,
   * also when ftpd keeps uid 0 to act as each user). */
  for (i = 0; i < sizeof(what) / sizeof(what[0]); i++)
    if (path[i] != NULL && faccessat(AT_FDCWD, path[i], R_OK, AT_EACCESS) != 0 &&
        errno != ENOENT)
      log_warn("%s %s: not readable by the account ftpd runs as (%s): "
               "SIGHUP will not be able to reload it", what[i], path[i],
               strerror(errno));
}

int ftpd_config_per_user(const struct ftpd_config *cfg) {
  return cfg->conf.pamservice != NULL || ftp_users_have_ids(cfg->users);
}

struct ftpd_config *ftpd_config_ref(struct ftpd_config *cfg) {
  cfg->refs++;
  return cfg;
}

void ftpd_config_unref(struct ftpd_config *cfg) {
  if (cfg == NULL || --cfg->refs > 0)
    return;
  ftp_tls_ctx_unref(cfg->tls);
  ftp_users_unref(cfg->users);
  ftpd_ban_policy_free(&cfg->ban);
  ftp_conf_free(&cfg->conf);
  free(cfg->banner);
  free(cfg->loginmsg);
  free(cfg->member);
  free(cfg);
}
