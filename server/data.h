/*
 * data.h: the data side of a session: the passive listener or PORT target
 * set up by PASV/EPSV/PORT/EPRT, the data connection, and the transfer
 * running on it.  One struct, owned by data.c: the other files set it up,
 * read it and reset it through the functions below.
 *
 * Lies below every file that uses it (session.c, h_data.c, h_xfer.c,
 * h_info.c, h_login.c) and calls none of them: what a transfer does when
 * it is abandoned is a callback its starter hands in.
 */
#ifndef FTPD_DATA_H
#define FTPD_DATA_H

#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "buf.h"
#include "dataconn.h"
#include "ftp_limits.h"

struct ftpd_session;
struct ftpd_job;

/* Kinds of transfer, for replies and the transfer log. */
enum ftpd_xfer_kind {
  XFER_RETR, XFER_STOR, XFER_APPE, XFER_STOU, XFER_LIST, XFER_NLST, XFER_MLSD
};

/* The transfer running (or about to run) on the data connection. */
struct ftpd_xfer {
  enum ftpd_xfer_kind kind;
  char vpath[FTP_PATH_MAX];
  uv_file fd;            /* -1 for listings */
  int64_t offset;
  uint64_t size;         /* RETR: the file's size */
  uint64_t start_ms;
  int ascii;
  struct ftp_buf listing;
  int file_created;      /* STOR/APPE/STOU opened the file */
  int ready;             /* the data connection became ready */
  /* The job creating the upload's file, while it runs: the job itself is
   * the transfer's claim ticket (ftpd_xfer_claim).  No counter, so nothing
   * that can wrap into a false match. */
  const struct ftpd_job *opening;
};

/* A transfer the session drops without ending it (the session closes):
 * log it and free x.  The data connection is still there meanwhile. */
typedef void ftpd_xfer_abandon_fn(struct ftpd_session *s, struct ftpd_xfer *x);

/* The data side of one session (struct ftpd_session's `data`). */
struct ftpd_data {
  struct ftp_dataconn *conn;        /* passive listener or connection; NULL */
  struct sockaddr_storage port_target;
  int port_set;                     /* PORT/EPRT gave port_target */
  struct ftpd_xfer *xfer;           /* the transfer, or NULL */
  ftpd_xfer_abandon_fn *abandon;    /* xfer's, given with it */
};

/*
 * ftpd_data_reset: the one reset of the data side (ABOR, a new PASV/PORT,
 * REIN, a transfer's end, the session's close): a transfer still attached
 * is abandoned (its callback), the data connection or listener is freed,
 * and the PORT target forgotten.
 */
void ftpd_data_reset(struct ftpd_session *s);

/* Fill the data-connection options of this session (timeouts, TLS). */
void ftpd_data_opts(struct ftpd_session *s, struct ftp_dataconn_opts *o);

/*
 * ftpd_data_listen: after a reset, a passive listener on the control
 * connection's local address, on a port of [lo, hi] (0, 0: any).
 * RETURNS: 0 and *port, or an error (logged).
 */
int ftpd_data_listen(struct ftpd_session *s, unsigned lo, unsigned hi, unsigned *port);

/* ftpd_data_set_port: after a reset, connect to target at the next
 * transfer (PORT, EPRT; already checked by common/policy). */
void ftpd_data_set_port(struct ftpd_session *s, const struct sockaddr_storage *target);

/* ftpd_data_is_set_up: PASV/EPSV or PORT/EPRT came since the last reset. */
int ftpd_data_is_set_up(const struct ftpd_session *s);

/*
 * ftpd_data_open: the data connection of the transfer: made now towards
 * the PORT target (active mode) unless a passive one waits; ready(dc,
 * status) runs once it is usable or has failed.  Its data is s.
 * RETURNS: 0, or an error (no connection; ready will not run).
 */
int ftpd_data_open(struct ftpd_session *s, ftp_dataconn_cb *ready);

/* The data connection (or passive listener), or NULL. */
struct ftp_dataconn *ftpd_data_conn(const struct ftpd_session *s);

/* Bytes moved on the data connection so far; 0 without one. */
uint64_t ftpd_data_bytes(const struct ftpd_session *s);

/* The running transfer, or NULL. */
struct ftpd_xfer *ftpd_data_xfer(const struct ftpd_session *s);

/* ftpd_data_set_xfer: x becomes the session's transfer (there is none);
 * abandon (may be NULL) runs if a reset finds it still attached. */
void ftpd_data_set_xfer(struct ftpd_session *s, struct ftpd_xfer *x,
                        ftpd_xfer_abandon_fn *abandon);

/* ftpd_data_take_xfer: the transfer leaves the session (it ended): the
 * caller frees it.  RETURNS: it, or NULL. */
struct ftpd_xfer *ftpd_data_take_xfer(struct ftpd_session *s);

/*
 * ftpd_xfer_await: x waits for job (the creation of its upload file).
 * ftpd_xfer_claim: s's transfer, if it is the one waiting for job, which it
 * then stops waiting for; NULL when job belongs to a transfer that ended
 * (ABOR, a failure), whatever transfer runs now.  A job is alive until its
 * after() returns, so no other job can share its address meanwhile.
 */
void ftpd_xfer_await(struct ftpd_xfer *x, const struct ftpd_job *job);
struct ftpd_xfer *ftpd_xfer_claim(struct ftpd_session *s, const struct ftpd_job *job);

#endif
