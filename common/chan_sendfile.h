/*
 * chan_sendfile.h: the inside of chan (ftp_chan_sendfile): a file sent to a
 * socket by the kernel.  Not for the programs.
 *
 * sendfile(2) runs on libuv's thread pool (uv_queue_work), because reading
 * a file that is not in the page cache blocks.  Not uv_fs_sendfile: libuv
 * 1.44 tries copy_file_range first, which refuses a socket with EINVAL, and
 * then falls back to a read/write emulation in 40 KiB pieces.  The socket
 * is non-blocking: a run sends until the socket is full (EAGAIN) or
 * FTP_DATA_SENDFILE_RUN bytes went, then the sender waits for room with a
 * poll handle on a duplicate of the socket's descriptor, because the
 * uv_tcp_t's own watcher cannot serve a second purpose.
 *
 * The sender knows nothing of the channel: it calls back through the
 * function pointers it is given, so chan.c calls this file and never the
 * reverse.  Callbacks run on the loop thread, never inside the call that
 * armed them; after ftp__sendfile_stop or ftp__sendfile_close, only the
 * closed callback runs.
 */
#ifndef FTP_CHAN_SENDFILE_H
#define FTP_CHAN_SENDFILE_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

struct ftp__sendfile;

typedef void ftp__sendfile_progress_fn(void *arg, size_t n);
typedef void ftp__sendfile_done_fn(void *arg, int status);
typedef void ftp__sendfile_closed_fn(void *arg);

/*
 * ftp__sendfile_new: a sender to the socket sock on loop.  It works on a
 * duplicate of sock, closed only when the sender is freed.
 * RETURNS: 0, FTP_E_NOMEM, or a system error.
 */
int ftp__sendfile_new(uv_loop_t *loop, uv_os_fd_t sock, struct ftp__sendfile **out);

/*
 * ftp__sendfile_start: send fd from offset to its end: progress(arg, n)
 * after each piece sent, done(arg, 0) at the end of the file or
 * done(arg, error).  The caller keeps fd open until done ran or the sender
 * is closed (its closed callback ran).
 * RETURNS: 0; UV_EBUSY while a file is being sent or a run is still on the
 * thread pool; or libuv's error.  No callback runs on an error.
 */
int ftp__sendfile_start(struct ftp__sendfile *sf, uv_file fd, int64_t offset,
                        ftp__sendfile_progress_fn *progress,
                        ftp__sendfile_done_fn *done, void *arg);

/* ftp__sendfile_stop: stop sending; no callback runs again for this file.
 * A run already on the thread pool completes unseen. */
void ftp__sendfile_stop(struct ftp__sendfile *sf);

/* ftp__sendfile_busy: a file is being sent, or a run is on the pool. */
int ftp__sendfile_busy(const struct ftp__sendfile *sf);

/*
 * ftp__sendfile_close: stop, and free the sender once its poll handle is
 * closed and no run is on the thread pool, on a later iteration; then
 * closed(arg).  sf is not to be used again.
 */
void ftp__sendfile_close(struct ftp__sendfile *sf, ftp__sendfile_closed_fn *closed,
                         void *arg);

#endif
