/*
 * file.h: read a small file whole (FTPDATA members, USERFILE, netrc,
 * BANNER and LOGINMSG texts).
 */
#ifndef FTP_FILE_H
#define FTP_FILE_H

#include <uv.h>

#include "buf.h"

/*
 * ftp_file_read: read the regular file at path into b, whose maximum is the
 * size limit, synchronously through libuv on a private loop (so it works
 * before a program's loop exists, and from any thread).
 *
 * Security: the file is opened with O_NONBLOCK, so a FIFO put in its place
 * cannot block the caller; it is then refused as not a regular file.  st
 * (may be NULL) gets the status of the descriptor that was read, so that a
 * caller checks the owner and mode of the very file it read.  A buffer that
 * must hold a secret is marked with ftp_buf_set_secret() by the caller.
 *
 * RETURNS: 0; a libuv error (UV_ENOENT, UV_EACCES, ...); FTP_E_REFUSED for
 * something other than a regular file; FTP_E_TOOBIG when the file is larger
 * than ftp_buf_max(b); FTP_E_NOMEM.  On error b may hold part of the file.
 */
int ftp_file_read(const char *path, struct ftp_buf *b, uv_stat_t *st);

#endif
