/*
 * dataconn_recv.c: the receiving direction of a data connection: the
 * peer's stream into a file (STOR, APPE, STOU; the client's get) or into a
 * sink (the client's ls and dir), with TYPE A conversion.
 *
 * Into a file: write-behind in two blocks (their size: dataconn_blocks.c).
 * The channel reads into one
 * block while the thread pool writes the other, so the network and the
 * disk work at the same time and the loop never waits for the disk; when
 * both blocks are busy, reading pauses until the write completes.  Under
 * TYPE A the channel reads into a piece (net) that is converted into the
 * block.
 *
 * The end of the stream: only a clean end (close_notify under TLS, EOF in
 * clear) is success, and it is answered with our close_notify under TLS
 * (ftp__dc_end_recv).  Whatever arrived before any end is written to the
 * file first, so a cut upload keeps what did arrive and reports the cut.
 */
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "chan.h"
#include "dataconn.h"
#include "dataconn_int.h"
#include "err.h"
#include "ftp_limits.h"

struct recv {
  struct ftp__dc_xfer base;
  uv_loop_t *loop;
  int ascii;               /* TYPE A: CRLF -> LF */
  struct ftp_ascii conv;
  unsigned char *net;      /* TYPE A, or a sink: where received bytes land
                            * (FTP_DATA_NET_PIECE) */
  /* into a file */
  uv_file fd;              /* the file, or -1 (a sink) */
  int64_t off;             /* where the next block goes; -1: append */
  unsigned char *blk[2];   /* write behind: blk_size each */
  size_t blk_size;         /* 0 until the blocks are taken */
  size_t piece;            /* TYPE A: what one read into net may bring */
  size_t fill[2];          /* bytes in each block, not yet written */
  int cur;                 /* the block being filled */
  int writing;             /* the block being written, or -1 */
  int paused;              /* reading stopped: both blocks busy */
  int end_status;          /* 1 while the stream is open; then 0 (a clean
                            * end) or how it was cut */
  int file_err;            /* a write failed */
  uv_fs_t req;
  /* into a sink */
  ftp_dataconn_sink_cb *sink;
  unsigned char *local;    /* TYPE A: net converted (FTP_DATA_NET_PIECE + 1) */
};

#define RECV_OF(x) ((struct recv *)(x))

static struct recv *recv_of_chan(struct ftp_chan *ch) {
  return RECV_OF(ftp__dc_xfer(ftp_chan_data(ch)));
}

/* --- life ----------------------------------------------------------------- */

static void recv_free(struct recv *rv) {
  if (rv->fd >= 0) {
    /* Only now: no thread-pool request can still be using it. */
    uv_fs_t req;
    uv_fs_close(rv->loop, &req, rv->fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  free(rv->blk[0]);
  free(rv->blk[1]);
  if (rv->blk_size > 0)
    ftp__dc_blocks_give();
  free(rv->net);
  free(rv->local);
  free(rv);
}

static void recv_release(struct ftp__dc_xfer *x) {
  struct recv *rv = RECV_OF(x);

  if (rv->writing == -1)
    recv_free(rv);
  /* else file_write_cb frees it */
}

static const struct ftp__dc_xfer_ops recv_ops = {NULL, recv_release};

/* A new receiver; the file (fd >= 0) is its own from now on, even when
 * this fails (it is closed then). */
static struct recv *recv_new(struct ftp_dataconn *dc, uv_file fd, int ascii) {
  struct recv *rv = calloc(1, sizeof(*rv));
  uv_fs_t req;

  if (rv == NULL) {
    if (fd >= 0) {
      uv_fs_close(ftp__dc_loop(dc), &req, fd, NULL);
      uv_fs_req_cleanup(&req);
    }
    return NULL;
  }
  rv->base.ops = &recv_ops;
  rv->loop = ftp__dc_loop(dc);
  rv->fd = fd;
  rv->ascii = ascii;
  ftp_ascii_init(&rv->conv);
  rv->writing = -1;
  rv->end_status = 1;
  rv->req.data = rv;
  return rv;
}

/* The channel may be closed already (an abort) when a write completes. */
static void read_stop(struct recv *rv) {
  struct ftp_chan *ch = ftp__dc_chan(rv->base.dc);

  if (ch != NULL)
    ftp_chan_read_stop(ch);
}

/* --- into a file ---------------------------------------------------------- */

static void end_file(struct recv *rv);
static void file_write_cb(uv_fs_t *req);
static void file_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf);
static void file_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf);

static void submit_write(struct recv *rv, int i) {
  uv_buf_t b = uv_buf_init((char *)rv->blk[i], (unsigned)rv->fill[i]);
  int64_t at = rv->off;
  int r;

  if (rv->off >= 0)
    rv->off += (int64_t)rv->fill[i];
  rv->writing = i;
  r = uv_fs_write(rv->loop, &rv->req, rv->fd, &b, 1, at, file_write_cb);
  if (r != 0) {
    rv->writing = -1;
    rv->file_err = r;
    read_stop(rv);
  }
}

/* A block is full when the next read might not fit in it. */
static int block_full(const struct recv *rv, int i) {
  size_t need = rv->ascii ? rv->piece + 1 : 1;
  return rv->blk_size - rv->fill[i] < need;
}

/* A write completed: the next full block goes, and reading resumes. */
static void written(struct recv *rv) {
  struct ftp_dataconn *dc = rv->base.dc;

  if (rv->end_status != 1 || !ftp__dc_running(dc)) {
    end_file(rv);
    return;
  }
  if (block_full(rv, rv->cur)) {
    submit_write(rv, rv->cur);
    rv->cur ^= 1;
  }
  if (rv->paused) {
    rv->paused = 0;
    ftp_chan_read_start(ftp__dc_chan(dc), file_alloc, file_read);
  }
}

static void file_write_cb(uv_fs_t *req) {
  struct recv *rv = req->data;
  ssize_t n = req->result;
  int i = rv->writing;

  uv_fs_req_cleanup(req);
  rv->writing = -1;
  if (rv->base.dc == NULL) {
    recv_free(rv); /* released while the write ran */
    return;
  }
  if (n < 0) {
    rv->file_err = (int)n;
    read_stop(rv);
    end_file(rv);
    return;
  }
  if ((size_t)n < rv->fill[i]) {
    /* A short write: keep the rest and write it again. */
    memmove(rv->blk[i], rv->blk[i] + n, rv->fill[i] - (size_t)n);
    rv->fill[i] -= (size_t)n;
    submit_write(rv, i);
    return;
  }
  rv->fill[i] = 0;
  written(rv);
}

static void file_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct recv *rv = recv_of_chan(ch);
  int i = rv->cur;

  (void)suggested;
  if (block_full(rv, i)) {
    if (rv->writing != -1) {
      /* Both blocks busy: stop reading until the disk catches up. */
      rv->paused = 1;
      *buf = uv_buf_init(NULL, 0);
      return;
    }
    submit_write(rv, i);
    rv->cur = i = i ^ 1;
  }
  if (rv->ascii)
    *buf = uv_buf_init((char *)rv->net, (unsigned)rv->piece);
  else
    *buf = uv_buf_init((char *)rv->blk[i] + rv->fill[i],
                       (unsigned)(rv->blk_size - rv->fill[i]));
}

/* The stream ended (or the file failed): what is buffered is written
 * first, TYPE A's last CR too, then the end. */
static void end_file(struct recv *rv) {
  struct ftp_dataconn *dc = rv->base.dc;
  unsigned char cr;

  if (!ftp__dc_running(dc) || rv->writing != -1)
    return;
  if (rv->file_err == 0 && rv->fill[rv->cur] > 0) {
    submit_write(rv, rv->cur);
    if (rv->writing != -1)
      return;
  }
  if (rv->file_err == 0 && rv->ascii && rv->blk[rv->cur] != NULL &&
      ftp_ascii_flush(&rv->conv, &cr, 1) == 1) {
    /* A CR that ended the stream was not the first half of a CRLF. */
    rv->blk[rv->cur][0] = cr;
    rv->fill[rv->cur] = 1;
    submit_write(rv, rv->cur);
    if (rv->writing != -1)
      return;
  }
  if (rv->file_err != 0)
    ftp__dc_finish(dc, rv->file_err);
  else
    ftp__dc_end_recv(dc, rv->end_status);
}

static void file_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct recv *rv = recv_of_chan(ch);
  size_t n;

  if (!ftp__dc_running(rv->base.dc))
    return;
  if (nread > 0) {
    n = (size_t)nread;
    ftp__dc_progress(rv->base.dc, n);
    if (rv->ascii) {
      size_t used = 0, at = rv->fill[rv->cur];
      n = ftp_ascii_to_local(&rv->conv, (unsigned char *)buf->base, n,
                             rv->blk[rv->cur] + at, rv->blk_size - at, &used);
    }
    rv->fill[rv->cur] += n;
    if (block_full(rv, rv->cur) && rv->writing == -1) {
      submit_write(rv, rv->cur);
      rv->cur ^= 1;
    }
    return;
  }
  if (nread == 0)
    return;
  rv->end_status = nread == UV_EOF ? 0 : (int)nread;
  end_file(rv);
}

int ftp_dataconn_recv_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done) {
  struct recv *rv;
  int r;

  if ((rv = recv_new(dc, fd, ascii)) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp__dc_begin(dc, &rv->base, done)) != 0)
    return r;
  rv->off = offset;
  rv->blk_size = ftp__dc_blocks_take();
  /* TYPE A: a converted piece (one byte longer at most) always fits. */
  rv->piece = rv->blk_size / 4 < FTP_DATA_NET_PIECE ? rv->blk_size / 4 : FTP_DATA_NET_PIECE;
  rv->blk[0] = malloc(rv->blk_size);
  rv->blk[1] = malloc(rv->blk_size);
  if (ascii)
    rv->net = malloc(rv->piece);
  if (rv->blk[0] == NULL || rv->blk[1] == NULL || (ascii && rv->net == NULL))
    r = FTP_E_NOMEM;
  else
    r = ftp_chan_read_start(ftp__dc_chan(dc), file_alloc, file_read);
  if (r != 0)
    ftp__dc_finish(dc, r);
  return 0;
}

/* --- into a sink ---------------------------------------------------------- */

static void sink_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct recv *rv = recv_of_chan(ch);

  (void)suggested;
  *buf = uv_buf_init((char *)rv->net, FTP_DATA_NET_PIECE);
}

/* The stream ended: TYPE A's last CR goes to the sink, then the end. */
static void sink_end(struct recv *rv, ssize_t nread) {
  struct ftp_dataconn *dc = rv->base.dc;
  unsigned char cr;
  int r;

  if (rv->ascii && ftp_ascii_flush(&rv->conv, &cr, 1) == 1 &&
      (r = rv->sink(dc, &cr, 1)) != 0) {
    ftp__dc_finish(dc, r);
    return;
  }
  rv->end_status = nread == UV_EOF ? 0 : (int)nread;
  ftp__dc_end_recv(dc, rv->end_status);
}

static void sink_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct recv *rv = recv_of_chan(ch);
  struct ftp_dataconn *dc = rv->base.dc;
  const void *p = buf->base;
  size_t n;
  int r;

  if (!ftp__dc_running(dc) || nread == 0)
    return;
  if (nread < 0) {
    sink_end(rv, nread);
    return;
  }
  n = (size_t)nread;
  ftp__dc_progress(dc, n);
  if (rv->ascii) {
    size_t used = 0;
    n = ftp_ascii_to_local(&rv->conv, (unsigned char *)buf->base, n, rv->local,
                           FTP_DATA_NET_PIECE + 1, &used);
    p = rv->local;
  }
  if (n > 0 && (r = rv->sink(dc, p, n)) != 0) {
    ftp_chan_read_stop(ch);
    ftp__dc_finish(dc, r);
  }
}

int ftp_dataconn_recv_sink(struct ftp_dataconn *dc, int ascii,
                           ftp_dataconn_sink_cb *sink, ftp_dataconn_cb *done) {
  struct recv *rv;
  int r;

  if ((rv = recv_new(dc, -1, ascii)) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp__dc_begin(dc, &rv->base, done)) != 0)
    return r;
  rv->sink = sink;
  rv->net = malloc(FTP_DATA_NET_PIECE);
  if (ascii)
    rv->local = malloc(FTP_DATA_NET_PIECE + 1);
  if (rv->net == NULL || (ascii && rv->local == NULL))
    r = FTP_E_NOMEM;
  else
    r = ftp_chan_read_start(ftp__dc_chan(dc), sink_alloc, sink_read);
  if (r != 0)
    ftp__dc_finish(dc, r);
  return 0;
}
