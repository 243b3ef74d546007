/*
 * urlmode.c: downloads and uploads named by URLs.
 */
#include "urlmode.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdctx.h"
#include "connect.h"
#include "err.h"
#include "localfs.h"
#include "reply.h"
#include "text.h"
#include "transfer.h"
#include "url.h"

/* The connection the previous URL left open, and where it started. */
struct url_session {
  int scheme;
  char host[256];
  unsigned port;
  char user[FTP_USER_MAX + 1];
  char *home;   /* PWD after login, to come back to; NULL: do not reuse */
};

static void print_url(const struct ftp_url *u, char *out, size_t n) {
  struct ftp_buf b;

  ftp_buf_init(&b, FTP_URL_MAX + 64);
  if (ftp_url_format_redacted(u, &b) == 0)
    snprintf(out, n, "%s", ftp_buf_cstr(&b, NULL));
  else
    snprintf(out, n, "(URL)");
  ftp_buf_free(&b);
}

static int tls_for(const struct ftpc_shell *sh, const struct ftp_url *u) {
  if (u->scheme == FTP_URL_FTPS)
    return FTPC_TLS_IMPLICIT;
  if (u->scheme == FTP_URL_FTPES)
    return FTPC_TLS_REQUIRE;
  return ftpc_sh_tls_mode(sh);
}

static unsigned port_for(const struct ftpc_shell *sh, const struct ftp_url *u) {
  /* ftps:// without a port: TLSPORT, 990 unless the member says. */
  if (u->scheme == FTP_URL_FTPS && u->port == FTP_URL_PORT_FTPS)
    return sh->conf->tlsport;
  return u->port;
}

static int same_session(const struct url_session *s, const struct ftp_url *u,
                        unsigned port) {
  const char *user = u->user != NULL ? u->user : "";
  return s->home != NULL && s->scheme == u->scheme && s->port == port &&
         strcmp(s->host, u->host) == 0 && strcmp(s->user, user) == 0;
}

static void forget_session(struct url_session *s) {
  free(s->home);
  s->home = NULL;
}

/* The working directory from the 257 reply to PWD (common/reply); NULL
 * when there is none. */
static char *pwd_of(struct ftpc_shell *sh) {
  struct ftp_reply rep;
  struct ftp_buf path;
  char *out = NULL;

  ftp_reply_init(&rep);
  ftp_buf_init(&path, FTP_PATH_MAX);
  if (ftpc_command(sh->c, "PWD", NULL, &rep) == 0 &&
      ftp_reply_parse_path(ftp_reply_text(&rep), ftp_buf_len(&rep.text), &path) == 0)
    out = strndup((const char *)ftp_buf_ptr(&path), ftp_buf_len(&path));
  ftp_buf_free(&path);
  ftp_reply_free(&rep);
  return out;
}

/* Connected and logged in for u, reusing the last connection if it fits. */
static int session_for(struct ftpc_shell *sh, struct url_session *s, const struct ftp_url *u) {
  unsigned port = port_for(sh, u);
  int r;

  if (ftpc_connected(sh->c) && same_session(s, u, port)) {
    if (ftpc_command(sh->c, "CWD", s->home, NULL) == 0)
      return 0;
  }
  forget_session(s);
  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  if ((r = ftpc_sh_connect(sh, u->host, port, tls_for(sh, u), u->user, u->password, 1)) != 0)
    return r;
  s->scheme = u->scheme;
  s->port = port;
  snprintf(s->host, sizeof(s->host), "%s", u->host);
  snprintf(s->user, sizeof(s->user), "%s", u->user != NULL ? u->user : "");
  /* Only a later URL for the same server needs the way back. */
  s->home = sh->opts->mode == FTPC_MODE_GET && sh->opts->nargs > 1 ? pwd_of(sh) : NULL;
  return 0;
}

/* CWD into the first n components. */
static int walk(struct ftpc_shell *sh, const struct ftp_url *u, size_t n) {
  size_t i;
  int r;

  for (i = 0; i < n; i++)
    if ((r = ftpc_command(sh->c, "CWD", u->components[i], NULL)) != 0)
      return ftpc_sh_engine_fail(sh, r);
  return 0;
}

static int get_one(struct ftpc_shell *sh, struct url_session *s, const struct ftp_url *u) {
  const char *out = sh->opts->output;
  char local[256];
  int r;

  if ((r = session_for(sh, s, u)) != 0)
    return r;
  sh->ascii = u->type == FTP_URL_TYPE_A;
  if (u->is_dir || u->ncomponents == 0) {
    if ((r = walk(sh, u, u->ncomponents)) != 0)
      return r;
    return ftpc_sh_list(sh, FTPC_XFER_LIST, NULL, out, 0);
  }
  if ((r = walk(sh, u, u->ncomponents - 1)) != 0)
    return r;
  if (out == NULL) {
    if (ftpc_safe_name(u->components[u->ncomponents - 1], local, sizeof(local)) != 0)
      return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "no usable local file name: use -o");
    out = local;
  }
  return ftpc_sh_download(sh, u->components[u->ncomponents - 1], out, 0);
}

static int parse_all(struct ftpc_shell *sh, char **args, int n, struct ftp_url *urls) {
  const char *msg = NULL;
  int i;

  for (i = 0; i < n; i++) {
    if (ftp_url_parse(args[i], &urls[i], &msg) != 0) {
      /* Never echo the URL raw: it may hold a password. */
      fprintf(stderr, "ftp: URL %d: %s\n", i + 1, msg != NULL ? msg : "not a valid URL");
      return FTPC_EXIT_USAGE;
    }
  }
  (void)sh;
  return 0;
}

int ftpc_url_get(struct ftpc_shell *sh) {
  const struct ftpc_opts *o = sh->opts;
  struct ftp_url *urls = calloc((size_t)o->nargs, sizeof(*urls));
  struct url_session s = {0};
  char shown[FTP_URL_MAX + 64];
  int i, r, status = 0;

  if (urls == NULL)
    return FTPC_EXIT_FAIL;
  if ((status = parse_all(sh, o->args, o->nargs, urls)) == 0) {
    for (i = 0; i < o->nargs; i++) {
      sh->err[0] = 0;
      sh->err_shown = 0;
      if ((r = get_one(sh, &s, &urls[i])) != 0) {
        print_url(&urls[i], shown, sizeof(shown));
        ftpc_shell_report(sh, shown, r);
        if (status == 0)
          status = r;
      }
    }
  }
  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  forget_session(&s);
  for (i = 0; i < o->nargs; i++)
    ftp_url_free(&urls[i]);
  free(urls);
  return status;
}

static int put_all(struct ftpc_shell *sh, struct url_session *s, const struct ftp_url *u) {
  const struct ftpc_opts *o = sh->opts;
  size_t dirs = u->is_dir ? u->ncomponents : u->ncomponents > 0 ? u->ncomponents - 1 : 0;
  int i, r, status = 0;

  if (!u->is_dir && u->ncomponents > 0 && o->nargs > 1)
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE,
                        "several files need a directory URL (ending in /)");
  if ((r = session_for(sh, s, u)) != 0 || (r = walk(sh, u, dirs)) != 0)
    return r;
  sh->ascii = u->type == FTP_URL_TYPE_A;
  for (i = 0; i < o->nargs; i++) {
    const char *remote = u->is_dir || u->ncomponents == 0 ? ftpc_base_name(o->args[i])
                                                          : u->components[u->ncomponents - 1];
    if ((r = ftpc_sh_upload(sh, o->args[i], remote, 0)) != 0) {
      char clean[512];
      ftpc_text_clean(o->args[i], strlen(o->args[i]), clean, sizeof(clean), 0);
      ftpc_shell_report(sh, clean, r);
      sh->err[0] = 0;
      if (status == 0)
        status = r;
      if (!ftpc_connected(sh->c))
        break;
    }
  }
  return status;
}

int ftpc_url_put(struct ftpc_shell *sh) {
  struct ftp_url u;
  struct url_session s = {0};
  char shown[FTP_URL_MAX + 64];
  char *arg = (char *)sh->opts->upload_url;
  int status;

  memset(&u, 0, sizeof(u));
  if ((status = parse_all(sh, &arg, 1, &u)) != 0)
    return status;
  if ((status = put_all(sh, &s, &u)) != 0 && sh->err[0] != 0) {
    print_url(&u, shown, sizeof(shown));
    ftpc_shell_report(sh, shown, status);
  }
  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  forget_session(&s);
  ftp_url_free(&u);
  return status;
}
