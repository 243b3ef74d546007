/*
 * dataconn_send.c: the sending direction of a data connection: a file
 * (RETR, the client's put) or a memory block (a listing) to the peer.
 *
 * A file goes one of two ways.  In clear and without TYPE A, the kernel
 * moves it: ftp_chan_sendfile.  Otherwise it is read ahead in two blocks:
 * while the loop encrypts (or converts) and queues one, the thread pool
 * reads the next into the other, so the disk and the socket work at the
 * same time and the loop never waits for the disk.  Either way the write
 * queue is kept below one block (their size: dataconn_blocks.c).
 *
 * The end: once every byte is queued, ftp__dc_end_send sends our
 * close_notify (under TLS) and FIN, and done runs once they are written.
 */
#include <stdlib.h>

#include "ascii.h"
#include "buf.h"
#include "chan.h"
#include "dataconn.h"
#include "dataconn_int.h"
#include "err.h"
#include "ftp_limits.h"

struct send {
  struct ftp__dc_xfer base;
  uv_loop_t *loop;
  uv_file fd;              /* the file, or -1 (a memory block) */
  int64_t off;             /* read ahead: the next byte of the file to read */
  int ascii;               /* TYPE A: LF -> CRLF */
  struct ftp_ascii conv;
  unsigned char *blk[2];   /* read ahead: blk_size each */
  size_t blk_size;         /* 0 until the blocks are taken */
  size_t fill[2];          /* bytes read into each block, not yet queued */
  int cur;                 /* the block queued next */
  size_t queued;           /* how much of it is queued already */
  int reading;             /* the block being read, or -1 */
  int read_eof;            /* the file is read to its end */
  unsigned char *wire;     /* TYPE A: a block converted for the wire */
  struct ftp_buf mem;      /* a memory block, consumed as it is queued */
  uv_fs_t req;
  int sendfile;            /* the channel sends the file */
};

#define SEND_OF(x) ((struct send *)(x))

static struct send *send_of_chan(struct ftp_chan *ch) {
  return SEND_OF(ftp__dc_xfer(ftp_chan_data(ch)));
}

/* --- life ----------------------------------------------------------------- */

static void send_free(struct send *sd) {
  if (sd->fd >= 0) {
    /* Only now: no thread-pool request (ours, or the channel's sendfile)
     * can still be using it. */
    uv_fs_t req;
    uv_fs_close(sd->loop, &req, sd->fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  free(sd->blk[0]);
  free(sd->blk[1]);
  if (sd->blk_size > 0)
    ftp__dc_blocks_give();
  free(sd->wire);
  ftp_buf_free(&sd->mem);
  free(sd);
}

static void send_stop(struct ftp__dc_xfer *x) {
  struct send *sd = SEND_OF(x);
  struct ftp_chan *ch = ftp__dc_chan(x->dc);

  if (sd->sendfile && ch != NULL)
    ftp_chan_sendfile_stop(ch);
}

static void send_release(struct ftp__dc_xfer *x) {
  struct send *sd = SEND_OF(x);

  if (sd->reading == -1)
    send_free(sd);
  /* else file_read_cb frees it */
}

static const struct ftp__dc_xfer_ops send_ops = {send_stop, send_release};

/* A new sender; the file (fd >= 0) is its own from now on, even when this
 * fails (it is closed then). */
static struct send *send_new(struct ftp_dataconn *dc, uv_file fd) {
  struct send *sd = calloc(1, sizeof(*sd));
  uv_fs_t req;

  if (sd == NULL) {
    if (fd >= 0) {
      uv_fs_close(ftp__dc_loop(dc), &req, fd, NULL);
      uv_fs_req_cleanup(&req);
    }
    return NULL;
  }
  sd->base.ops = &send_ops;
  sd->loop = ftp__dc_loop(dc);
  sd->fd = fd;
  sd->reading = -1;
  sd->req.data = sd;
  ftp_buf_init(&sd->mem, FTP_LISTING_MAX);
  return sd;
}

/* --- reading ahead -------------------------------------------------------- */

static void file_read_cb(uv_fs_t *req);

static void file_read_start(struct send *sd, int i) {
  uv_buf_t b = uv_buf_init((char *)sd->blk[i], (unsigned)sd->blk_size);
  int r = uv_fs_read(sd->loop, &sd->req, sd->fd, &b, 1, sd->off, file_read_cb);

  if (r != 0) {
    ftp__dc_finish(sd->base.dc, r);
    return;
  }
  sd->reading = i;
}

static void read_ahead(struct send *sd) {
  if (sd->reading != -1 || sd->read_eof || !ftp__dc_running(sd->base.dc))
    return;
  if (sd->fill[sd->cur] == 0)
    file_read_start(sd, sd->cur);
  else if (sd->fill[sd->cur ^ 1] == 0)
    file_read_start(sd, sd->cur ^ 1);
}

static void send_drained(struct ftp_chan *ch, int status);

/* The file is read and queued to its end: TYPE A's last CR, then the end. */
static void blocks_done(struct send *sd) {
  struct ftp_dataconn *dc = sd->base.dc;
  unsigned char cr;
  int r;

  if (!ftp__dc_running(dc) || !sd->read_eof || sd->reading != -1 ||
      sd->fill[0] != 0 || sd->fill[1] != 0)
    return;
  /* TYPE A: a CR that ended the file was not half of a CRLF. */
  if (sd->ascii && ftp_ascii_flush(&sd->conv, &cr, 1) == 1 &&
      (r = ftp_chan_write(ftp__dc_chan(dc), &cr, 1)) != 0) {
    ftp__dc_finish(dc, r);
    return;
  }
  ftp__dc_end_send(dc);
}

/* Queue the blocks that are ready, in order, while the socket keeps up:
 * half a block at a time, and only while less than a quarter block waits,
 * so that the channel's queue (ciphertext included) stays below one block
 * and its buffers never grow past it. */
static void send_blocks(struct send *sd) {
  struct ftp_dataconn *dc = sd->base.dc;
  struct ftp_chan *ch = ftp__dc_chan(dc);
  size_t low = sd->blk_size / 4;
  int r;

  while (ftp__dc_running(dc) && sd->fill[sd->cur] > 0) {
    const unsigned char *p = sd->blk[sd->cur] + sd->queued;
    size_t len = sd->fill[sd->cur] - sd->queued;

    if (ftp_chan_queued(ch) >= low) {
      ftp_chan_on_drain(ch, low, send_drained);
      return;
    }
    if (len > sd->blk_size / 2)
      len = sd->blk_size / 2;
    sd->queued += len;
    if (sd->ascii) {
      size_t used = 0;
      len = ftp_ascii_to_net(&sd->conv, p, len, sd->wire,
                             FTP_ASCII_OUT_MAX(sd->blk_size), &used);
      p = sd->wire;
    }
    if ((r = ftp_chan_write(ch, p, len)) != 0) {
      ftp__dc_finish(dc, r);
      return;
    }
    if (sd->queued == sd->fill[sd->cur]) {
      sd->fill[sd->cur] = 0;
      sd->queued = 0;
      sd->cur ^= 1;
      read_ahead(sd);
    }
  }
  blocks_done(sd);
}

static void send_drained(struct ftp_chan *ch, int status) {
  struct send *sd = send_of_chan(ch);

  if (!ftp__dc_running(sd->base.dc))
    return;
  if (status != 0)
    ftp__dc_finish(sd->base.dc, status);
  else
    send_blocks(sd);
}

static void file_read_cb(uv_fs_t *req) {
  struct send *sd = req->data;
  ssize_t n = req->result;
  int i = sd->reading;

  uv_fs_req_cleanup(req);
  sd->reading = -1;
  if (sd->base.dc == NULL) {
    send_free(sd); /* released while the read ran */
    return;
  }
  if (!ftp__dc_running(sd->base.dc))
    return;
  if (n < 0) {
    ftp__dc_finish(sd->base.dc, (int)n);
    return;
  }
  if (n == 0) {
    sd->read_eof = 1;
  } else {
    sd->fill[i] = (size_t)n;
    sd->off += n;
    ftp__dc_progress(sd->base.dc, (size_t)n);
    read_ahead(sd);
  }
  send_blocks(sd);
}

/* --- sendfile ------------------------------------------------------------- */

static void sendfile_progress(struct ftp_chan *ch, size_t n) {
  ftp__dc_progress(ftp_chan_data(ch), n);
}

static void sendfile_done(struct ftp_chan *ch, int status) {
  struct ftp_dataconn *dc = ftp_chan_data(ch);

  if (!ftp__dc_running(dc))
    return;
  if (status != 0)
    ftp__dc_finish(dc, status);
  else
    ftp__dc_end_send(dc);
}

/* --- the API -------------------------------------------------------------- */

int ftp_dataconn_send_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done) {
  struct ftp_chan *ch;
  struct send *sd;
  int r;

  if ((sd = send_new(dc, fd)) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp__dc_begin(dc, &sd->base, done)) != 0)
    return r;
  sd->off = offset;
  sd->ascii = ascii;
  ftp_ascii_init(&sd->conv);
  ch = ftp__dc_chan(dc);
  if (!ftp_chan_is_tls(ch) && !ascii) {
    sd->sendfile = 1;
    if ((r = ftp_chan_sendfile(ch, fd, offset, sendfile_progress, sendfile_done)) != 0)
      ftp__dc_finish(dc, r);
    return 0;
  }
  sd->blk_size = ftp__dc_blocks_take();
  sd->blk[0] = malloc(sd->blk_size);
  sd->blk[1] = malloc(sd->blk_size);
  if (ascii)
    sd->wire = malloc(FTP_ASCII_OUT_MAX(sd->blk_size));
  if (sd->blk[0] == NULL || sd->blk[1] == NULL || (ascii && sd->wire == NULL)) {
    ftp__dc_finish(dc, FTP_E_NOMEM);
    return 0;
  }
  read_ahead(sd);
  return 0;
}

/* A memory block (a listing) is already whole in memory: it is queued as
 * a file's smallest blocks are (send_blocks). */
#define MEM_PIECE (FTP_DATA_BLOCK_MIN / 2)
#define MEM_QUEUE_HIGH (FTP_DATA_BLOCK_MIN / 4)

static void mem_send_next(struct ftp_chan *ch, int status) {
  struct send *sd = send_of_chan(ch);
  struct ftp_dataconn *dc = sd->base.dc;
  int r;

  if (!ftp__dc_running(dc))
    return;
  if (status != 0) {
    ftp__dc_finish(dc, status);
    return;
  }
  while (ftp_buf_len(&sd->mem) > 0 && ftp_chan_queued(ch) < MEM_QUEUE_HIGH) {
    size_t n = ftp_buf_len(&sd->mem);
    if (n > MEM_PIECE)
      n = MEM_PIECE;
    if ((r = ftp_chan_write(ch, ftp_buf_ptr(&sd->mem), n)) != 0) {
      ftp__dc_finish(dc, r);
      return;
    }
    ftp_buf_consume(&sd->mem, n);
    ftp__dc_progress(dc, n);
  }
  if (ftp_buf_len(&sd->mem) > 0)
    ftp_chan_on_drain(ch, MEM_QUEUE_HIGH, mem_send_next);
  else
    ftp__dc_end_send(dc);
}

int ftp_dataconn_send_buf(struct ftp_dataconn *dc, struct ftp_buf *data,
                          ftp_dataconn_cb *done) {
  struct send *sd;
  int r;

  if ((sd = send_new(dc, -1)) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp__dc_begin(dc, &sd->base, done)) != 0)
    return r;
  ftp_buf_free(&sd->mem);
  sd->mem = *data;
  ftp_buf_init(data, ftp_buf_max(&sd->mem));
  /* Start on a later iteration: done must not run inside this call. */
  ftp_chan_on_drain(ftp__dc_chan(dc), MEM_QUEUE_HIGH, mem_send_next);
  return 0;
}
