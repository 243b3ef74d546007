/*
 * chan_sendfile.c: a file sent to a socket by the kernel, for chan's
 * cleartext downloads (chan_sendfile.h says how and why).
 */
#include "chan_sendfile.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/sendfile.h>
#include <unistd.h>

#include "err.h"
#include "ftp_limits.h"

/* A run's status when it reached the end of the file. */
#define SF_EOF 1

struct ftp__sendfile {
  uv_loop_t *loop;
  uv_work_t work;
  uv_poll_t poll;          /* waits for room on sock */
  int sock;                /* the duplicate of the socket */
  uv_file fd;
  int64_t off;             /* the next byte of the file to send */
  size_t sent;             /* by the last run */
  int status;              /* of the last run: 0, SF_EOF or an error */
  ftp__sendfile_progress_fn *progress;
  ftp__sendfile_done_fn *done;
  void *arg;
  ftp__sendfile_closed_fn *closed;
  void *closed_arg;
  unsigned queued : 1;     /* a run is on the thread pool */
  unsigned active : 1;     /* sending: done has not run, nor stop */
  unsigned poll_open : 1;
  unsigned closing : 1;
};

int ftp__sendfile_busy(const struct ftp__sendfile *sf) {
  return sf->active || sf->queued;
}

/* Thread pool: send until the socket is full, the file ends, or one run's
 * budget is spent (so other work in the pool gets its turn). */
static void run_work(uv_work_t *w) {
  struct ftp__sendfile *sf = w->data;
  off_t off = (off_t)sf->off;
  size_t total = 0;

  sf->status = 0;
  while (total < FTP_DATA_SENDFILE_RUN) {
    ssize_t n = sendfile(sf->sock, sf->fd, &off, FTP_DATA_SENDFILE_RUN - total);
    if (n > 0) {
      total += (size_t)n;
    } else if (n == 0) {
      sf->status = SF_EOF;
      break;
    } else if (errno != EINTR) {
      sf->status = uv_translate_sys_error(errno);
      break;
    }
  }
  sf->sent = total;
}

/* Freed only from a callback (the poll handle's close, or a run's after),
 * never inside a call of the owner's: the owner's callbacks may close. */
static void maybe_free(struct ftp__sendfile *sf) {
  if (!sf->closing || sf->poll_open || sf->queued)
    return;
  /* Security: the duplicate goes only now, with no run left on the thread
   * pool.  Closed any earlier, its number could be reused by the next
   * connection or file before a queued run starts, and the file would go
   * there. */
  close(sf->sock);
  if (sf->closed != NULL)
    sf->closed(sf->closed_arg);
  free(sf);
}

static void end(struct ftp__sendfile *sf, int status) {
  sf->active = 0;
  uv_poll_stop(&sf->poll);
  sf->done(sf->arg, status);
}

static void after_work(uv_work_t *w, int status);

static int queue_run(struct ftp__sendfile *sf) {
  int r = uv_queue_work(sf->loop, &sf->work, run_work, after_work);

  if (r == 0)
    sf->queued = 1;
  return r;
}

static void next_run(struct ftp__sendfile *sf) {
  int r = queue_run(sf);

  if (r != 0)
    end(sf, r);
}

static void writable_cb(uv_poll_t *p, int status, int events) {
  struct ftp__sendfile *sf = p->data;

  (void)events;
  uv_poll_stop(p);
  if (!sf->active)
    return;
  if (status < 0)
    end(sf, status);
  else
    next_run(sf);
}

static void after_work(uv_work_t *w, int status) {
  struct ftp__sendfile *sf = w->data;

  sf->queued = 0;
  if (sf->closing) {
    maybe_free(sf);
    return;
  }
  if (!sf->active)
    return;
  if (status != 0) {
    end(sf, status);
    return;
  }
  if (sf->sent > 0) {
    sf->off += (int64_t)sf->sent;
    sf->progress(sf->arg, sf->sent);
    if (!sf->active)
      return; /* stopped or closed by the owner */
  }
  if (sf->status == SF_EOF)
    end(sf, 0);
  else if (sf->status == UV_EAGAIN)
    uv_poll_start(&sf->poll, UV_WRITABLE, writable_cb);
  else if (sf->status == 0)
    next_run(sf);
  else
    end(sf, sf->status);
}

int ftp__sendfile_new(uv_loop_t *loop, uv_os_fd_t sock, struct ftp__sendfile **out) {
  struct ftp__sendfile *sf;
  int r;

  *out = NULL;
  if ((sf = calloc(1, sizeof(*sf))) == NULL)
    return FTP_E_NOMEM;
  sf->loop = loop;
  sf->work.data = sf;
  sf->poll.data = sf;
  if ((sf->sock = dup(sock)) < 0) {
    r = uv_translate_sys_error(errno);
    free(sf);
    return r;
  }
  if ((r = uv_poll_init_socket(loop, &sf->poll, sf->sock)) != 0) {
    close(sf->sock);
    free(sf);
    return r;
  }
  sf->poll_open = 1;
  *out = sf;
  return 0;
}

int ftp__sendfile_start(struct ftp__sendfile *sf, uv_file fd, int64_t offset,
                        ftp__sendfile_progress_fn *progress,
                        ftp__sendfile_done_fn *done, void *arg) {
  int r;

  if (ftp__sendfile_busy(sf) || sf->closing)
    return UV_EBUSY;
  sf->fd = fd;
  sf->off = offset;
  sf->progress = progress;
  sf->done = done;
  sf->arg = arg;
  if ((r = queue_run(sf)) != 0)
    return r;
  sf->active = 1;
  return 0;
}

void ftp__sendfile_stop(struct ftp__sendfile *sf) {
  if (!sf->active)
    return;
  sf->active = 0;
  uv_poll_stop(&sf->poll);
}

static void poll_closed(uv_handle_t *h) {
  struct ftp__sendfile *sf = h->data;

  sf->poll_open = 0;
  maybe_free(sf);
}

void ftp__sendfile_close(struct ftp__sendfile *sf, ftp__sendfile_closed_fn *closed,
                         void *arg) {
  if (sf->closing)
    return;
  ftp__sendfile_stop(sf);
  sf->closing = 1;
  sf->closed = closed;
  sf->closed_arg = arg;
  uv_close((uv_handle_t *)&sf->poll, poll_closed);
}
