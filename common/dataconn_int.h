/*
 * dataconn_int.h: between a data connection (dataconn.c) and the transfer
 * that runs on it (dataconn_send.c, dataconn_recv.c); not for the programs.
 *
 * The connection owns the channel, the timers and the readiness; a
 * transfer owns its buffers, its file and its thread-pool requests.  The
 * connection knows a transfer only through struct ftp__dc_xfer and its two
 * operations, so the transfer files call dataconn.c and never the reverse.
 *
 * Life of a transfer: its file allocates it and hands it to
 * ftp__dc_begin, which makes the connection its owner (even when begin
 * fails).  It moves bytes, reporting each piece with ftp__dc_progress, and
 * ends with ftp__dc_end_send, ftp__dc_end_recv or ftp__dc_finish.  When the
 * connection's transfer ends for any reason (also an abort or a stall),
 * ops->stop runs; once the connection is freed and its channel closed,
 * ops->release hands the transfer back to its file, which frees it when no
 * request of its own is in flight.
 */
#ifndef FTP_DATACONN_INT_H
#define FTP_DATACONN_INT_H

#include <stddef.h>
#include <uv.h>

#include "chan.h"
#include "dataconn.h"

struct ftp__dc_xfer;

struct ftp__dc_xfer_ops {
  /* The transfer ended: start no more I/O on the channel.  Requests in
   * flight complete; their callbacks find ftp__dc_running() false.  May be
   * NULL. */
  void (*stop)(struct ftp__dc_xfer *x);
  /* The connection is gone (x->dc is NULL from now on) and its channel
   * closed: free x, its buffers and its file once no request of its own
   * is in flight. */
  void (*release)(struct ftp__dc_xfer *x);
};

/* Embedded first in each transfer's own struct. */
struct ftp__dc_xfer {
  const struct ftp__dc_xfer_ops *ops;
  struct ftp_dataconn *dc; /* the owner; NULL once released */
};

/*
 * ftp__dc_begin: make dc the owner of x and start the transfer: dc must be
 * ready and carry no transfer yet.  done runs once when it ends.
 * RETURNS: 0; else the connection's failure or UV_EINVAL, done never runs,
 * and x is owned (and released) by dc all the same, or released at once
 * when dc already has a transfer.
 */
int ftp__dc_begin(struct ftp_dataconn *dc, struct ftp__dc_xfer *x,
                  ftp_dataconn_cb *done);

/* ftp__dc_running: the transfer has not ended yet. */
int ftp__dc_running(const struct ftp_dataconn *dc);

/* The connection's transfer (for the channel's callbacks, which find dc
 * in ftp_chan_data), its channel (NULL once closed) and its loop. */
struct ftp__dc_xfer *ftp__dc_xfer(const struct ftp_dataconn *dc);
struct ftp_chan *ftp__dc_chan(const struct ftp_dataconn *dc);
uv_loop_t *ftp__dc_loop(const struct ftp_dataconn *dc);

/* ftp__dc_progress: n more bytes moved (file side); the stall timer
 * restarts. */
void ftp__dc_progress(struct ftp_dataconn *dc, size_t n);

/* ftp__dc_finish: the transfer ends now with status (0 or an error). */
void ftp__dc_finish(struct ftp_dataconn *dc, int status);

/* ftp__dc_end_send: every byte is queued: our close_notify (under TLS)
 * and FIN, then done(0) once they are written, or done(error). */
void ftp__dc_end_send(struct ftp_dataconn *dc);

/* ftp__dc_end_recv: the peer's stream ended with status (0: clean) and
 * everything is written: under TLS a clean end is answered with our
 * close_notify before done(0). */
void ftp__dc_end_recv(struct ftp_dataconn *dc, int status);

/*
 * ftp__dc_blocks_take: a transfer about to allocate its two file blocks
 * learns their size (a power of two, FTP_DATA_BLOCK_MIN to
 * FTP_DATA_BLOCK_MAX: the budget's share, see dataconn_blocks.c) and counts
 * as a holder until ftp__dc_blocks_give, once it freed them.
 */
size_t ftp__dc_blocks_take(void);
void ftp__dc_blocks_give(void);

#endif
