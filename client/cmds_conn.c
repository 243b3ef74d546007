/*
 * cmds_conn.c: open, user, close, quit, and what they share with URL mode:
 * the TLS mode, credentials from the URL, netrc or a prompt that does not
 * echo.
 *
 * Security: passwords are read from /dev/tty with echo off, never from the
 * command stream of a batch run; they live in stack buffers that are wiped
 * after use; the engine shows them as "****".
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#include "cmdtab.h"
#include "err.h"
#include "netrc.h"

/* --- the terminal --------------------------------------------------------- */

/*
 * Read one line from the controlling terminal, without echo unless echo.
 * RETURNS: 0, or -1 when there is no terminal or the read failed.
 */
int ftpc__tty_read(const char *prompt, char *buf, size_t n, int echo) {
  struct termios old, t;
  size_t len = 0;
  int fd, restored = 0;
  char ch;
  ssize_t r;

  if (n == 0 || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
    return -1;
  if (tcgetattr(fd, &old) == 0 && !echo) {
    t = old;
    t.c_lflag &= ~(tcflag_t)ECHO;
    t.c_lflag |= ECHONL;
    restored = tcsetattr(fd, TCSAFLUSH, &t) == 0;
  }
  if (write(fd, prompt, strlen(prompt)) < 0) {
    /* the read below still works */
  }
  while ((r = read(fd, &ch, 1)) == 1 || (r < 0 && errno == EINTR)) {
    if (r < 0)
      continue;
    if (ch == '\n' || ch == '\r')
      break;
    if (len + 1 < n)
      buf[len++] = ch;
  }
  buf[len] = 0;
  if (restored)
    tcsetattr(fd, TCSAFLUSH, &old);
  close(fd);
  explicit_bzero(&ch, sizeof(ch));
  return r < 0 ? -1 : 0;
}

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
  return ftpc__tty_read(strcmp(prompt, "Password:") == 0 ? "Password: " : "Account: ", buf, n, 0);
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
    if (ftpc__tty_read(prompt, name, sizeof(name), 1) != 0) {
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

/* --- the commands --------------------------------------------------------- */

int ftpc_cmd_open(struct ftpc_shell *sh, int argc, char **argv) {
  unsigned port = 21;
  char *end;

  if (ftpc_connected(sh->c))
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "already connected to %s; use close first",
                        ftpc_host(sh->c));
  if (argc > 2) {
    unsigned long v = strtoul(argv[2], &end, 10);
    if (*end != 0 || v == 0 || v > 65535)
      return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: not a port number", argv[2]);
    port = (unsigned)v;
  }
  return ftpc_sh_connect(sh, argv[1], port, ftpc_sh_tls_mode(sh), NULL, NULL,
                         sh->autologin);
}

int ftpc_cmd_user(struct ftpc_shell *sh, int argc, char **argv) {
  int r = ftpc_sh_login(sh, argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);

  /* The password was typed on the command line: do not keep it. */
  if (argc > 2)
    explicit_bzero(argv[2], strlen(argv[2]));
  return r;
}

int ftpc_cmd_close(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  ftpc_quit(sh->c);
  return 0;
}

int ftpc_cmd_quit(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  sh->quit = 1;
  return 0;
}
