/*
 * file.c: read a small file whole, through libuv, safely.
 */
#include "file.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "err.h"
#include "ftp_limits.h"

static int read_all(uv_loop_t *loop, uv_file fd, struct ftp_buf *b) {
  unsigned char *dst;
  uv_fs_t req;
  uv_buf_t ub;
  char probe;
  size_t want;
  int r;

  for (;;) {
    want = ftp_buf_room(b);
    if (want == 0) {
      /* Full: the file grew since fstat; one more byte means too large. */
      ub = uv_buf_init(&probe, 1);
    } else {
      if (want > FTP_FILE_READ_PIECE)
        want = FTP_FILE_READ_PIECE;
      if ((r = ftp_buf_reserve(b, want, &dst)) != 0)
        return r;
      ub = uv_buf_init((char *)dst, (unsigned)want);
    }
    r = uv_fs_read(loop, &req, fd, &ub, 1, -1, NULL);
    uv_fs_req_cleanup(&req);
    if (r == UV_EINTR)
      continue;
    if (r <= 0)
      return r;
    if (want == 0)
      return FTP_E_TOOBIG;
    ftp_buf_commit(b, (size_t)r);
  }
}

int ftp_file_read(const char *path, struct ftp_buf *b, uv_stat_t *st) {
  uv_loop_t loop;
  uv_fs_t req;
  uv_stat_t sb;
  uv_file fd = -1;
  int r;

  if ((r = uv_loop_init(&loop)) != 0)
    return r;
  r = uv_fs_open(&loop, &req, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
                 0, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0)
    goto out;
  fd = r;
  r = uv_fs_fstat(&loop, &req, fd, NULL);
  sb = req.statbuf;
  uv_fs_req_cleanup(&req);
  if (r != 0)
    goto out;
  if (st != NULL)
    *st = sb;
  if (!S_ISREG(sb.st_mode)) {
    r = FTP_E_REFUSED;
    goto out;
  }
  if (sb.st_size > ftp_buf_max(b)) {
    r = FTP_E_TOOBIG;
    goto out;
  }
  r = read_all(&loop, fd, b);
out:
  if (fd >= 0) {
    uv_fs_close(&loop, &req, fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  /* Nothing was started on the loop, so closing it cannot fail. */
  uv_loop_close(&loop);
  return r;
}
