/*
 * files.c: ftpcert's file I/O, through libuv's synchronous calls on a
 * private loop (like common/file.c).
 */
#include "files.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "file.h"

#define READ_MAX (1024 * 1024)

static uv_loop_t *loop(void) {
  static uv_loop_t l;
  static int ready;

  if (!ready && uv_loop_init(&l) == 0)
    ready = 1;
  return &l;
}

/* The end of one synchronous libuv call: release req, return r. */
static int done(uv_fs_t *req, int r) {
  uv_fs_req_cleanup(req);
  return r;
}

int ftpcert_path(char *out, size_t outlen, const char *dir, const char *name) {
  int n = snprintf(out, outlen, "%s/%s", dir, name);

  if (n < 0 || (size_t)n >= outlen) {
    fprintf(stderr, "ftpcert: %s/%s: path too long\n", dir, name);
    return -1;
  }
  return 0;
}

int ftpcert_mkdir(const char *dir) {
  uv_fs_t req;
  int r = done(&req, uv_fs_mkdir(loop(), &req, dir, 0755, NULL));

  if (r != 0 && r != UV_EEXIST) {
    fprintf(stderr, "ftpcert: %s: %s\n", dir, ftp_strerror(r));
    return FTPCERT_EXIT_ERROR;
  }
  return FTPCERT_EXIT_OK;
}

int ftpcert_check_absent(const struct ftpcert_out *o, const char *path) {
  uv_fs_t req;
  int r = done(&req, uv_fs_lstat(loop(), &req, path, NULL));

  if (r == 0 && !o->force) {
    fprintf(stderr, "ftpcert: %s exists: not replaced (use --force)\n", path);
    return FTPCERT_EXIT_EXISTS;
  }
  return FTPCERT_EXIT_OK;
}

/* Make a temporary file beside path; its name goes to tmp. */
static int make_temp(const char *path, char *tmp, size_t tmplen) {
  uv_fs_t req;
  int n = snprintf(tmp, tmplen, "%s.XXXXXX", path), r;

  if (n < 0 || (size_t)n >= tmplen)
    return UV_ENAMETOOLONG;
  r = uv_fs_mkstemp(loop(), &req, tmp, NULL);
  if (r >= 0)
    snprintf(tmp, tmplen, "%s", req.path);
  uv_fs_req_cleanup(&req);
  return r;
}

static int fill(const struct ftpcert_out *o, int fd, const void *data, size_t len,
                int mode) {
  uv_buf_t b = uv_buf_init((char *)data, (unsigned)len);
  uv_fs_t req;
  int r;

  /* Security: the mode (and owner) are set while the file is still empty. */
  if ((r = done(&req, uv_fs_fchmod(loop(), &req, fd, mode, NULL))) != 0)
    return r;
  if (o->chown && (r = done(&req, uv_fs_fchown(loop(), &req, fd, o->uid, o->gid, NULL))) != 0)
    return r;
  r = done(&req, uv_fs_write(loop(), &req, fd, &b, 1, 0, NULL));
  if (r >= 0 && (size_t)r != len)
    r = UV_EIO;
  if (r < 0)
    return r;
  return done(&req, uv_fs_fsync(loop(), &req, fd, NULL));
}

int ftpcert_write(const struct ftpcert_out *o, const char *path, const void *data,
                  size_t len, int mode) {
  char tmp[4096];
  uv_fs_t req;
  int fd, r;

  if ((fd = make_temp(path, tmp, sizeof(tmp))) < 0) {
    fprintf(stderr, "ftpcert: %s: %s\n", path, ftp_strerror(fd));
    return FTPCERT_EXIT_ERROR;
  }
  r = fill(o, fd, data, len, mode);
  done(&req, uv_fs_close(loop(), &req, fd, NULL));
  if (r == 0 && o->force)
    r = done(&req, uv_fs_rename(loop(), &req, tmp, path, NULL));
  else if (r == 0)
    r = done(&req, uv_fs_link(loop(), &req, tmp, path, NULL));
  done(&req, uv_fs_unlink(loop(), &req, tmp, NULL));
  if (r == UV_EEXIST) {
    fprintf(stderr, "ftpcert: %s exists: not replaced (use --force)\n", path);
    return FTPCERT_EXIT_EXISTS;
  }
  if (r != 0) {
    fprintf(stderr, "ftpcert: %s: %s\n", path, ftp_strerror(r));
    return FTPCERT_EXIT_ERROR;
  }
  return FTPCERT_EXIT_OK;
}

int ftpcert_read(const char *path, gnutls_datum_t *out) {
  struct ftp_buf b;
  int r;

  out->data = NULL;
  out->size = 0;
  ftp_buf_init(&b, READ_MAX);
  ftp_buf_set_secret(&b);
  if ((r = ftp_file_read(path, &b, NULL)) == 0 &&
      (out->data = gnutls_malloc(ftp_buf_len(&b) + 1)) == NULL)
    r = FTP_E_NOMEM;
  if (r == 0) {
    memcpy(out->data, ftp_buf_ptr(&b), ftp_buf_len(&b));
    out->size = (unsigned)ftp_buf_len(&b);
    out->data[out->size] = 0;
  }
  ftp_buf_free(&b);
  if (r != 0) {
    fprintf(stderr, "ftpcert: %s: %s\n", path, ftp_strerror(r));
    return FTPCERT_EXIT_ERROR;
  }
  return FTPCERT_EXIT_OK;
}

void ftpcert_datum_free(gnutls_datum_t *d) {
  if (d->data != NULL) {
    gnutls_memset(d->data, 0, d->size);
    gnutls_free(d->data);
  }
  d->data = NULL;
  d->size = 0;
}
