/*
 * conf_file.c: find an FTPDATA member on disk and read it.  This is the only
 * part of the conf module that does I/O; the parser (conf.c) works on the
 * buffer read here.
 *
 * The member is read whole by ftp_file_read (common/file.c): through
 * libuv, synchronously, on a private loop, since configuration is read
 * before the program's own loop exists.
 */
#include "conf.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "err.h"
#include "file.h"
#include "ftp_limits.h"
#include "ftp_paths.h"

static void file_diag(ftp_conf_diag_fn *diag, void *arg, const char *path,
                      const char *text) {
  char line[FTP_PATH_MAX + 256];

  if (diag == NULL)
    return;
  snprintf(line, sizeof(line), "%s: %s", path, text);
  diag(arg, FTP_CONF_ERROR, line);
}

int ftp_conf_load(struct ftp_conf *c, const char *path, ftp_conf_diag_fn *diag,
                  void *arg) {
  struct ftp_buf text;
  char msg[64];
  int r;

  ftp_buf_init(&text, FTP_CONF_MEMBER_MAX);
  /* Security: ANONYMOUS user/password puts a password in the member. */
  ftp_buf_set_secret(&text);
  r = ftp_file_read(path, &text, NULL);
  if (r == FTP_E_TOOBIG) {
    snprintf(msg, sizeof(msg), "member is larger than %d bytes",
             FTP_CONF_MEMBER_MAX);
    file_diag(diag, arg, path, msg);
    r = FTP_E_CONF;
  } else if (r == FTP_E_REFUSED) {
    file_diag(diag, arg, path, "not a regular file");
    r = FTP_E_CONF;
  } else if (r != 0 && r != FTP_E_NOMEM) {
    file_diag(diag, arg, path, uv_strerror(r));
  } else if (r == 0) {
    r = ftp_conf_parse(c, path, ftp_buf_len(&text) == 0 ? "" : (const char *)ftp_buf_ptr(&text),
                       ftp_buf_len(&text), diag, arg);
  }
  ftp_buf_free(&text);
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
  if (side == FTP_CONF_SERVER) {
    if ((r = copy_path(out, outlen, FTP_SERVER_MEMBER, "")) == 0)
      r = member_exists(&loop, out) ? 0 : UV_ENOENT;
  }
  if (r == UV_ENOENT) {
    if ((r = copy_path(out, outlen, FTP_SYSTEM_MEMBER, "")) == 0)
      r = member_exists(&loop, out) ? 0 : UV_ENOENT;
  }
  uv_loop_close(&loop);
  return r;
}
