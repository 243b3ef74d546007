/*
 * connect.c: connecting and logging in (connect.h).
 */
#include "connect.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "ask.h"
#include "cmdctx.h"
#include "err.h"
#include "netrc.h"

static int is_anonymous(const char *user) {
  return strcasecmp(user, "anonymous") == 0 || strcasecmp(user, "ftp") == 0;
}

struct ask_ctx {
  struct ftpc_shell *sh;
  const char *user;
};

/* The engine asks when the server wants a password or account we lack. */
static int ask_secret(void *arg, const char *prompt, char *buf, size_t n) {
  struct ask_ctx *a = arg;

  if (strcmp(prompt, "Password:") == 0 && is_anonymous(a->user)) {
    /* RFC 1635: the anonymous password is a courtesy, not a secret. */
    snprintf(buf, n, "anonymous@");
    return 0;
  }
  fflush(stdout);
  return ftpc_ask_line(strcmp(prompt, "Password:") == 0 ? "Password: " : "Account: ", buf, n, 0);
}

/* --- TLS mode and login --------------------------------------------------- */

int ftpc_sh_tls_mode(const struct ftpc_shell *sh) {
  const struct ftp_conf *conf = sh->conf;

  if (sh->opts->tls == FTPC_OPT_TLS_REQUIRE)
    return FTPC_TLS_REQUIRE;
  if (sh->opts->tls == FTPC_OPT_TLS_ATTEMPT)
    return FTPC_TLS_ATTEMPT;
  /* z/OS: SECURE_MECHANISM TLS asks for AUTH TLS, SECURE_FTP REQUIRED
   * makes it mandatory; REQUIRED alone also means TLS, never clear. */
  if (conf->secure_ftp == FTP_SECURE_FTP_REQUIRED)
    return FTPC_TLS_REQUIRE;
  if (conf->secure_mechanism == FTP_SECURE_MECHANISM_TLS)
    return FTPC_TLS_ATTEMPT;
  return FTPC_TLS_OFF;
}

int ftpc_sh_login(struct ftpc_shell *sh, const char *user, const char *password,
                  const char *account) {
  struct ask_ctx a = {sh, user};
  struct ftpc_creds cr;
  int r;

  cr.user = user;
  cr.password = password;
  cr.account = account;
  cr.ask = ask_secret;
  cr.ask_arg = &a;
  if ((r = ftpc_login(sh->c, &cr)) != 0)
    return ftpc_sh_engine_fail(sh, r);
  return 0;
}

static const char *netrc_path(const struct ftpc_shell *sh, char *buf, size_t n) {
  const char *p = sh->opts->netrc != NULL ? sh->opts->netrc : getenv("NETRC");
  const char *home = getenv("HOME");

  if (p != NULL && p[0] != 0)
    return p;
  if (home == NULL || home[0] == 0)
    return NULL;
  snprintf(buf, n, "%s/.netrc", home);
  return buf;
}

static void local_user(char *buf, size_t n) {
  struct passwd *pw = getpwuid(getuid());
  const char *u = getenv("USER");

  snprintf(buf, n, "%s", pw != NULL ? pw->pw_name : u != NULL ? u : "anonymous");
}

/* Credentials from netrc, then a prompt (interactive) or anonymous. */
static int auto_login(struct ftpc_shell *sh, const char *host, const char *user,
                      const char *password) {
  struct ftp_netrc_entry e = {0};
  struct ftp_buf msg;
  char path[4096], name[256], deflt[256];
  const char *np = netrc_path(sh, path, sizeof(path));
  const char *account = NULL;
  int r = UV_ENOENT;

  ftp_buf_init(&msg, 1024);
  if (password == NULL && np != NULL)
    r = ftp_netrc_load(np, host, user, &e, &msg);
  if (r != 0 && r != UV_ENOENT) {
    r = ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "netrc: %s",
                     ftp_buf_len(&msg) > 0 ? ftp_buf_cstr(&msg, NULL) : ftp_strerror(r));
    goto out;
  }
  if (r == 0) {
    if (user == NULL)
      user = e.login;
    if (user != NULL && e.login != NULL && strcmp(user, e.login) == 0)
      password = e.password;
    else if (user != NULL && e.login == NULL)
      password = e.password;
    account = e.account;
  }
  if (user == NULL && sh->interactive) {
    local_user(deflt, sizeof(deflt));
    char prompt[600];
    snprintf(prompt, sizeof(prompt), "Name (%s:%s): ", host, deflt);
    if (ftpc_ask_line(prompt, name, sizeof(name), 1) != 0) {
      r = ftpc_sh_fail(sh, FTPC_EXIT_LOGIN, "no user name");
      goto out;
    }
    user = name[0] != 0 ? name : deflt;
  }
  if (user == NULL)
    user = "anonymous";
  r = ftpc_sh_login(sh, user, password, account);
out:
  ftp_netrc_entry_free(&e);
  ftp_buf_free(&msg);
  explicit_bzero(name, sizeof(name));
  return r;
}

int ftpc_sh_connect(struct ftpc_shell *sh, const char *host, unsigned port,
                    int tls, const char *user, const char *password, int autologin) {
  int r;

  if ((r = ftpc_open(sh->c, host, port, tls)) != 0)
    return ftpc_sh_engine_fail(sh, r);
  if (sh->interactive && ftpc_settings(sh->c)->verbosity > FTPC_QUIET &&
      !ftpc_settings(sh->c)->show_replies)
    printf("Connected to %s%s.\n", host, ftpc_tls(sh->c) ? " (TLS)" : "");
  if (!autologin)
    return 0;
  return auto_login(sh, host, user, password);
}
