/*
 * conf_file.c: find an FTPDATA member on disk and read it.  This is the only
 * part of the conf module that does I/O; the parser (conf.c) works on the
 * buffer read here.
 *
 * libuv does the file I/O, as everywhere in the project, synchronously (no
 * callback) on a private loop: configuration is read once at start-up,
 * before the program's own loop exists, and a private loop keeps this call
 * free of any caller state.
 */
#include "conf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "err.h"
#include "ftp_limits.h"

#define SYSTEM_MEMBER "/etc/ftp.data"

static void file_diag(ftp_conf_diag_fn *diag, void *arg, const char *path,
                      const char *text) {
  char line[FTP_PATH_MAX + 256];

  if (diag == NULL)
    return;
  snprintf(line, sizeof(line), "%s: %s", path, text);
  diag(arg, FTP_CONF_ERROR, line);
}

/* Read the whole regular file fd into *text (malloc'ed), refusing more
 * than FTP_CONF_MEMBER_MAX bytes even if the file grows while read. */
static int read_all(uv_loop_t *loop, uv_file fd, size_t hint, char **text,
                    size_t *len) {
  uv_fs_t req;
  uv_buf_t b;
  size_t cap = hint + 1, n = 0;
  char *p = NULL, *np;
  int r;

  for (;;) {
    if (p == NULL || n == cap) {
      if (p != NULL)
        cap = cap > FTP_CONF_MEMBER_MAX / 2 ? FTP_CONF_MEMBER_MAX + 1 : cap * 2;
      if ((np = realloc(p, cap)) == NULL) {
        r = FTP_E_NOMEM;
        break;
      }
      p = np;
    }
    b = uv_buf_init(p + n, (unsigned)(cap - n));
    r = uv_fs_read(loop, &req, fd, &b, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (r <= 0)
      break;
    n += (size_t)r;
    if (n > FTP_CONF_MEMBER_MAX) {
      r = FTP_E_TOOBIG;
      break;
    }
  }
  if (r < 0) {
    free(p);
    return r;
  }
  *text = p;
  *len = n;
  return 0;
}

int ftp_conf_load(struct ftp_conf *c, const char *path, ftp_conf_diag_fn *diag,
                  void *arg) {
  char msg[64];
  uv_loop_t loop;
  uv_fs_t req;
  uv_file fd = -1;
  char *text = NULL;
  size_t len = 0, size;
  int r;

  if ((r = uv_loop_init(&loop)) != 0) {
    file_diag(diag, arg, path, uv_strerror(r));
    return r;
  }
  /* O_NONBLOCK: opening a FIFO must not hang start-up; the type check
   * below then refuses it. */
  r = uv_fs_open(&loop, &req, path, O_RDONLY | O_NONBLOCK | O_NOCTTY, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0) {
    file_diag(diag, arg, path, uv_strerror(r));
    goto out;
  }
  fd = r;
  r = uv_fs_fstat(&loop, &req, fd, NULL);
  size = r == 0 ? (size_t)req.statbuf.st_size : 0;
  if (r == 0 && !S_ISREG(req.statbuf.st_mode))
    r = FTP_E_BAD_ARG;
  uv_fs_req_cleanup(&req);
  if (r == FTP_E_BAD_ARG) {
    file_diag(diag, arg, path, "not a regular file");
    r = FTP_E_CONF;
    goto out;
  }
  if (r < 0) {
    file_diag(diag, arg, path, uv_strerror(r));
    goto out;
  }
  if (size > FTP_CONF_MEMBER_MAX)
    r = FTP_E_TOOBIG;
  else
    r = read_all(&loop, fd, size, &text, &len);
  if (r == FTP_E_TOOBIG) {
    snprintf(msg, sizeof(msg), "member is larger than %d bytes",
             FTP_CONF_MEMBER_MAX);
    file_diag(diag, arg, path, msg);
    r = FTP_E_CONF;
    goto out;
  }
  if (r < 0) {
    if (r != FTP_E_NOMEM)
      file_diag(diag, arg, path, uv_strerror(r));
    goto out;
  }
  r = ftp_conf_parse(c, path, text, len, diag, arg);

out:
  if (fd >= 0) {
    uv_fs_close(&loop, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (text != NULL) {
    /* Security: ANONYMOUS user/password puts a password in the member. */
    explicit_bzero(text, len);
    free(text);
  }
  uv_loop_close(&loop);
  return r;
}

/* 1 when path should be used: it exists, or stat fails for a reason other
 * than "not there" (the load then reports why). */
static int member_exists(uv_loop_t *loop, const char *path) {
  uv_fs_t req;
  int r;

  r = uv_fs_stat(loop, &req, path, NULL);
  uv_fs_req_cleanup(&req);
  return r != UV_ENOENT && r != UV_ENOTDIR;
}

static int copy_path(char *out, size_t outlen, const char *a, const char *b) {
  int n = snprintf(out, outlen, "%s%s", a, b);

  return n < 0 || (size_t)n >= outlen ? FTP_E_TOOBIG : 0;
}

int ftp_conf_find_member(enum ftp_conf_side side, const char *explicit_path,
                         char *out, size_t outlen) {
  uv_loop_t loop;
  const char *home;
  int r;

  if (explicit_path != NULL)
    return copy_path(out, outlen, explicit_path, "");
  if ((r = uv_loop_init(&loop)) != 0)
    return r;
  r = UV_ENOENT;
  home = getenv("HOME");
  if (side == FTP_CONF_CLIENT && home != NULL && home[0] != '\0') {
    if ((r = copy_path(out, outlen, home, "/ftp.data")) == 0)
      r = member_exists(&loop, out) ? 0 : UV_ENOENT;
  }
  if (r == UV_ENOENT) {
    if ((r = copy_path(out, outlen, SYSTEM_MEMBER, "")) == 0)
      r = member_exists(&loop, out) ? 0 : UV_ENOENT;
  }
  uv_loop_close(&loop);
  return r;
}
