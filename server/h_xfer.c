/*
 * h_xfer.c: the data transfer commands and ABOR, MLST.
 *
 * Every transfer follows one path:
 *   prepare (thread pool: open the file, or build the listing; errors here
 *   are answered before any 150) -> 150 -> the data connection becomes ready
 *   (accepted or connected, TLS handshake and checks passed) -> pump ->
 *   226, or the error.
 * A file to be written is created (or truncated) only once the data
 * connection is ready, so a refused connection leaves no empty file behind.
 * An upload that fails part-way keeps what arrived, so the client can resume
 * with REST and STOR, or APPE.
 */
#include <inttypes.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cmdtab.h"
#include "err.h"
#include "listfmt.h"
#include "log.h"
#include "metrics.h"
#include "replycodes.h"
#include "seclog.h"
#include "server.h"
#include "session.h"

static const char *kind_verb(enum ftpd_xfer_kind k) {
  static const char *const names[] = {"RETR", "STOR", "APPE", "STOU",
                                      "LIST", "NLST", "MLSD"};
  return names[k];
}

static int is_upload(enum ftpd_xfer_kind k) {
  return k == XFER_STOR || k == XFER_APPE || k == XFER_STOU;
}

static int is_listing(enum ftpd_xfer_kind k) {
  return k == XFER_LIST || k == XFER_NLST || k == XFER_MLSD;
}

/* --- the jobs of this file ------------------------------------------------ */

/* RETR, STOR, APPE, STOU before the 150: open the file, or check that it
 * may be written. */
struct xfer_open_job {
  struct ftpd_job job;
  struct ftp_fs fs;            /* the session's, copied */
  enum ftpd_xfer_kind kind;
  int64_t rest;                /* the REST offset the command took */
  char path[FTP_PATH_MAX];     /* the argument ("" for STOU without one) */
  int fd;                      /* RETR, STOU: the file opened; else -1 */
  uint64_t size;               /* RETR: its size */
  char vpath[FTP_PATH_MAX];    /* the file's virtual path */
};

/* LIST, NLST, MLSD before the 150, and MLST: the listing, built. */
struct listing_job {
  struct ftpd_job job;
  struct ftp_fs fs;            /* the session's, copied */
  enum ftpd_xfer_kind kind;    /* LIST, NLST or MLSD (MLST: XFER_MLSD) */
  struct ftp_listfmt_opts opts;
  char path[FTP_PATH_MAX];
  struct ftp_buf out;
};

/* STOR, APPE once the data connection is ready: create or truncate. */
struct upload_open_job {
  struct ftpd_job job;
  struct ftp_fs fs;            /* the session's, copied */
  char vpath[FTP_PATH_MAX];
  int append;                  /* APPE without REST: O_APPEND */
  int64_t offset;              /* STOR after REST: the bytes kept */
  int fd;                      /* the file opened, or -1 */
};

static struct xfer_open_job *xfer_open_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_XFER_OPEN);
}

static struct listing_job *listing_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_LISTING);
}

static struct upload_open_job *upload_open_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_UPLOAD_OPEN);
}

static void close_fd(int *fd) {
  uv_fs_t req;

  if (*fd < 0)
    return;
  uv_fs_close(NULL, &req, *fd, NULL);
  uv_fs_req_cleanup(&req);
  *fd = -1;
}

static void xfer_open_release(struct ftpd_job *job) { close_fd(&xfer_open_job(job)->fd); }
static void listing_release(struct ftpd_job *job) { ftp_buf_free(&listing_job(job)->out); }
static void upload_open_release(struct ftpd_job *job) { close_fd(&upload_open_job(job)->fd); }

/* --- the transfer log (xferlog(5), as wu-ftpd and vsftpd write it) -------- */

struct log_write {
  uv_fs_t req;
  char line[FTP_PATH_MAX + 512];
};

static void log_written(uv_fs_t *req) {
  uv_fs_req_cleanup(req);
  free(req->data);
}

static void xferlog(struct ftpd_session *s, const struct ftpd_xfer *x,
                    uint64_t bytes, int complete) {
  struct log_write *w;
  char when[64], name[FTP_PATH_MAX];
  time_t now = time(NULL);
  struct tm tm;
  uint64_t secs = (ftpd_now_ms(s) - x->start_ms + 500) / 1000;
  size_t i;
  uv_buf_t b;
  int n;

  if (s->srv->xferlog < 0 || is_listing(x->kind))
    return;
  if ((w = malloc(sizeof(*w))) == NULL)
    return;
  localtime_r(&now, &tm);
  strftime(when, sizeof(when), "%a %b %e %H:%M:%S %Y", &tm);
  /* Fields are blank-separated: blanks in a name would shift them. */
  snprintf(name, sizeof(name), "%s", x->vpath);
  for (i = 0; name[i] != 0; i++)
    if (name[i] == ' ' || name[i] == '\n' || name[i] == '\r')
      name[i] = '_';
  n = snprintf(w->line, sizeof(w->line),
               "%s %" PRIu64 " %s %" PRIu64 " %s %c _ %c %c %s ftp 0 * %c\n",
               when, secs > 0 ? secs : 1, s->peer_str, bytes, name,
               x->ascii ? 'a' : 'b', is_upload(x->kind) ? 'i' : 'o',
               s->anonymous ? 'a' : 'r', s->user, complete ? 'c' : 'i');
  if (n < 0 || (size_t)n >= sizeof(w->line)) {
    free(w);
    return;
  }
  w->req.data = w;
  b = uv_buf_init(w->line, (unsigned)n);
  if (uv_fs_write(s->srv->loop, &w->req, s->srv->xferlog, &b, 1, -1, log_written) != 0)
    free(w);
}

/* --- start, end ----------------------------------------------------------- */

static struct ftpd_xfer *xfer_new(struct ftpd_session *s, enum ftpd_xfer_kind kind,
                                  const char *vpath, int64_t offset) {
  struct ftpd_xfer *x = calloc(1, sizeof(*x));

  if (x == NULL)
    return NULL;
  x->kind = kind;
  x->fd = -1;
  x->ascii = s->type_ascii && !is_listing(kind);
  x->offset = offset;
  x->start_ms = ftpd_now_ms(s);
  snprintf(x->vpath, sizeof(x->vpath), "%s", vpath);
  ftp_buf_init(&x->listing, FTP_LISTING_MAX);
  return x;
}

static void xfer_free(struct ftpd_session *s, struct ftpd_xfer *x) {
  if (x->fd >= 0) {
    uv_fs_t req;
    uv_fs_close(s->srv->loop, &req, x->fd, NULL);
    uv_fs_req_cleanup(&req);
  }
  ftp_buf_free(&x->listing);
  free(x);
}

static void reply_failure(struct ftpd_session *s, const struct ftpd_xfer *x, int status) {
  const char *text;
  int code;

  if (!x->ready && !ftp_dataconn_is_refusal(status) && status != FTP_E_ABORTED) {
    /* RFC 959: 425 when the data connection could not be opened. */
    ftp_err_reply(status, &text);
    ftpd_reply(s, FTP_R_CANT_OPEN_DATA, "Can't open data connection: %s",
               status == UV_ETIMEDOUT ? "timed out" : text);
    return;
  }
  code = ftp_err_reply(status, &text);
  if (code == FTP_R_TRANSFER_ABORTED || code == FTP_R_EXT_UNSUPPORTED)
    ftpd_reply(s, code, "%s", text);
  else
    ftpd_reply(s, code, "%s: %s", x->vpath, text);
}

/* The metrics of a transfer that ends with status after bytes. */
static void count_transfer(const struct ftpd_xfer *x, int status, uint64_t bytes) {
  int base = is_upload(x->kind)    ? FTPD_M_UPLOAD_OK
             : is_listing(x->kind) ? FTPD_M_LISTING_OK
                                   : FTPD_M_DOWNLOAD_OK;

  /* The rows of one direction are ok, failed, aborted (metrics.h). */
  ftpd_metrics_count(base + (status == 0 ? 0 : status == FTP_E_ABORTED ? 2 : 1));
  ftpd_metrics_add(is_upload(x->kind) ? FTPD_M_RECEIVED_BYTES : FTPD_M_SENT_BYTES, bytes);
  if (!x->ready && status != 0 && status != FTP_E_ABORTED) {
    ftpd_metrics_data_refusal(status);
    if (status == FTP_E_TLS)
      ftpd_metrics_count(FTPD_M_TLS_DATA_FAILED);
  }
}

/* The transfer ends: one reply, the logs, the data connection goes. */
static void xfer_end(struct ftpd_session *s, int status) {
  struct ftpd_xfer *x = ftpd_data_xfer(s);
  uint64_t bytes = ftpd_data_bytes(s);
  char desc[96] = "clear";

  if (x == NULL)
    return;
  if (ftpd_data_conn(s) != NULL)
    ftp_dataconn_describe(ftpd_data_conn(s), desc, sizeof(desc));
  if (status == FTP_E_TLS_TRUNCATED && is_upload(x->kind)) {
    if (s->conf->tlsclosenotify == FTP_TLSCLOSENOTIFY_OPTIONAL) {
      slog_warn(s, "%s %s: upload ended without TLS close_notify; accepted "
                   "(TLSCLOSENOTIFY OPTIONAL)", kind_verb(x->kind), x->vpath);
      status = 0;
    } else {
      slog_warn(s, "%s %s: upload ended without TLS close_notify: truncated?",
                kind_verb(x->kind), x->vpath);
    }
  }
  if (status == 0) {
    if (x->kind == XFER_STOU)
      ftpd_reply(s, FTP_R_TRANSFER_OK, "Transfer complete (unique file name: %s).", x->vpath);
    else
      ftpd_reply(s, FTP_R_TRANSFER_OK, "Transfer complete.");
  } else {
    reply_failure(s, x, status);
    ftpd_seclog_data_error(s, status);
  }
  slog_info(s, "%s %s: %" PRIu64 " bytes in %.3f s, %s: %s", kind_verb(x->kind),
            x->vpath, bytes, (double)(ftpd_now_ms(s) - x->start_ms) / 1000.0, desc,
            status == 0 ? "complete" : ftp_strerror(status));
  xferlog(s, x, bytes, status == 0);
  count_transfer(x, status, bytes);
  ftpd_data_take_xfer(s);
  xfer_free(s, x);
  ftpd_data_reset(s);
  ftpd_command_done(s);
}

/* data.c: the session ends with x still running (ftpd_data_reset). */
static void xfer_abandon(struct ftpd_session *s, struct ftpd_xfer *x) {
  slog_info(s, "%s %s abandoned: the session ended", kind_verb(x->kind), x->vpath);
  xferlog(s, x, ftpd_data_bytes(s), 0);
  xfer_free(s, x);
}

static void xfer_done(struct ftp_dataconn *dc, int status) {
  xfer_end(ftp_dataconn_data(dc), status);
}

static void upload_open_work(struct ftpd_job *job);
static void upload_open_after(struct ftpd_job *job);

static void xfer_ready(struct ftp_dataconn *dc, int status) {
  struct ftpd_session *s = ftp_dataconn_data(dc);
  struct ftpd_xfer *x = ftpd_data_xfer(s);
  struct upload_open_job *up;
  struct ftpd_job *job;
  int r = 0;

  if (status != 0) {
    xfer_end(s, status);
    return;
  }
  x->ready = 1;
  if (ftp_dataconn_session(dc) != NULL)
    ftpd_metrics_count(ftp_tls_is_resumed(ftp_dataconn_session(dc)) ? FTPD_M_TLS_DATA_RESUMED
                                                                    : FTPD_M_TLS_DATA_FULL);
  switch (x->kind) {
  case XFER_RETR:
    r = ftp_dataconn_send_file(dc, x->fd, x->offset, x->ascii, xfer_done);
    x->fd = -1; /* the connection's now */
    break;
  case XFER_STOU:
    r = ftp_dataconn_recv_file(dc, x->fd, 0, x->ascii, xfer_done);
    x->fd = -1;
    break;
  case XFER_STOR:
  case XFER_APPE:
    if ((job = ftpd_job_new(s, FTPD_JOB_UPLOAD_OPEN, sizeof(struct upload_open_job),
                            upload_open_release)) == NULL) {
      r = FTP_E_NOMEM;
      break;
    }
    up = upload_open_job(job);
    up->fs = s->fs;
    up->fd = -1;
    snprintf(up->vpath, sizeof(up->vpath), "%s", x->vpath);
    up->append = x->kind == XFER_APPE && x->offset == 0;
    up->offset = x->offset;
    /* The job is alive until its after() returns: a later transfer's job
     * can never have its address meanwhile. */
    if (ftpd_job_start(job, upload_open_work, upload_open_after) == 0)
      ftpd_xfer_await(x, job);
    return;
  default:
    r = ftp_dataconn_send_buf(dc, &x->listing, xfer_done);
    break;
  }
  if (r != 0)
    xfer_end(s, r);
}

/* Reply 150, make the data connection (active mode) and wait for it. */
static void xfer_open(struct ftpd_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void xfer_open(struct ftpd_session *s, const char *fmt, ...) {
  char text[FTP_PATH_MAX + 128];
  va_list ap;
  int r;

  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  s->busy = 1;
  ftpd_reply(s, FTP_R_FILE_OK_OPENING, "%s", text);
  ftpd_session_touch(s); /* no INACTIVE during a transfer */
  if ((r = ftpd_data_open(s, xfer_ready)) != 0)
    xfer_end(s, r);
}

/* Refuse a transfer command that has no data connection set up. */
static int data_set_up(struct ftpd_session *s) {
  if (ftpd_data_is_set_up(s))
    return 1;
  ftpd_reply(s, FTP_R_CANT_OPEN_DATA, "Use PORT, EPRT, PASV or EPSV first.");
  return 0;
}

/* The start of every transfer command: it takes the REST offset, and
 * needs a data connection set up.  RETURNS: 1 to go on, 0 when refused. */
static int transfer_begins(struct ftpd_session *s, int64_t *rest) {
  /* RFC 959 REST: the offset is for the transfer command that follows it,
   * whether or not that command succeeds; left behind, it would shift a
   * later upload. */
  *rest = s->rest;
  s->rest = 0;
  return data_set_up(s);
}

/* Start an xfer_open job for a transfer command. */
static void prepare(struct ftpd_session *s, enum ftpd_xfer_kind kind, const char *arg,
                    ftpd_job_fn *work, ftpd_job_fn *after) {
  struct xfer_open_job *o;
  struct ftpd_job *job;
  int64_t rest;

  if (!transfer_begins(s, &rest))
    return;
  if ((job = ftpd_job_new(s, FTPD_JOB_XFER_OPEN, sizeof(*o), xfer_open_release)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  o = xfer_open_job(job);
  o->fs = s->fs;
  o->kind = kind;
  o->rest = rest;
  o->fd = -1;
  snprintf(o->path, sizeof(o->path), "%s", arg);
  ftpd_job_start(job, work, after);
}

/*
 * The end of a transfer command's preparation job: on failure, reply (with
 * context naming what failed) and end the command; otherwise make the
 * transfer, take the job's open file (*fd, may be -1), and install it.
 * NULL when the command is over.
 */
static struct ftpd_xfer *prepared(struct ftpd_job *job, enum ftpd_xfer_kind kind,
                                  const char *context, const char *vpath,
                                  int64_t rest, int *fd) {
  struct ftpd_session *s = job->s;
  struct ftpd_xfer *x;

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, context);
    ftpd_command_done(s);
    return NULL;
  }
  if ((x = xfer_new(s, kind, vpath, rest)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    ftpd_command_done(s);
    return NULL;
  }
  x->fd = *fd;
  *fd = -1;
  ftpd_data_set_xfer(s, x, xfer_abandon);
  return x;
}

/* --- RETR ----------------------------------------------------------------- */

static void retr_work(struct ftpd_job *job) {
  struct xfer_open_job *o = xfer_open_job(job);
  uv_fs_t req;

  if ((job->result = ftp_fs_open(&o->fs, o->path, O_RDONLY, &o->fd)) != 0)
    return;
  job->result = uv_fs_fstat(NULL, &req, o->fd, NULL);
  if (job->result == 0)
    o->size = (uint64_t)req.statbuf.st_size;
  uv_fs_req_cleanup(&req);
  if (job->result == 0)
    job->result = ftp_fs_vpath(&o->fs, o->path, o->vpath, sizeof(o->vpath));
}

static void retr_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct xfer_open_job *o = xfer_open_job(job);
  struct ftpd_xfer *x = prepared(job, XFER_RETR, o->path, o->vpath, o->rest, &o->fd);

  if (x == NULL)
    return;
  x->size = o->size;
  xfer_open(s, "Opening %s mode data connection for %s (%" PRIu64 " bytes).",
            x->ascii ? "ASCII" : "BINARY", o->path, x->size);
}

void handle_retr(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_RETR, arg, retr_work, retr_after);
}

/* --- STOR, APPE, STOU ----------------------------------------------------- */

/* Before 150: the target may be written (a read-only session, a directory
 * or a missing parent are refused here, not after the client sent data). */
static void upload_check_work(struct ftpd_job *job) {
  struct xfer_open_job *o = xfer_open_job(job);
  char name[FTP_PATH_MAX];
  struct stat st;
  int dirfd = -1;

  if (o->fs.readonly) {
    job->result = UV_EACCES;
    return;
  }
  if (ftp_fs_stat(&o->fs, o->path, &st) == 0 && S_ISDIR(st.st_mode)) {
    job->result = UV_EISDIR;
    return;
  }
  job->result = ftp_fs_open_parent(&o->fs, o->path, &dirfd, name, sizeof(name));
  close_fd(&dirfd);
  if (job->result == 0)
    job->result = ftp_fs_vpath(&o->fs, o->path, o->vpath, sizeof(o->vpath));
}

static void upload_check_after(struct ftpd_job *job) {
  struct xfer_open_job *o = xfer_open_job(job);

  if (prepared(job, o->kind, o->path, o->vpath, o->rest, &o->fd) != NULL)
    xfer_open(job->s, "Ok to send data.");
}

/* After the data connection is ready: create or truncate the file now. */
static void upload_open_work(struct ftpd_job *job) {
  struct upload_open_job *up = upload_open_job(job);
  uv_fs_t req;

  job->result = ftp_fs_open(&up->fs, up->vpath,
                            O_WRONLY | O_CREAT | (up->append ? O_APPEND : 0), &up->fd);
  if (job->result == 0 && !up->append) {
    /* STOR replaces the file; after REST n the first n bytes are kept. */
    job->result = uv_fs_ftruncate(NULL, &req, up->fd, up->offset, NULL);
    uv_fs_req_cleanup(&req);
  }
}

static void upload_open_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct upload_open_job *up = upload_open_job(job);
  struct ftpd_xfer *x = ftpd_xfer_claim(s, job);
  int r;

  if (x == NULL)
    return; /* its transfer ended meanwhile; release closes the file */
  if (job->result != 0) {
    xfer_end(s, job->result);
    return;
  }
  x->file_created = 1;
  r = ftp_dataconn_recv_file(ftpd_data_conn(s), up->fd, up->append ? -1 : x->offset, x->ascii,
                             xfer_done);
  up->fd = -1; /* the connection's now, even on failure */
  if (r != 0)
    xfer_end(s, r);
}

void handle_stor(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_STOR, arg, upload_check_work, upload_check_after);
}

void handle_appe(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_APPE, arg, upload_check_work, upload_check_after);
}

static void stou_work(struct ftpd_job *job) {
  struct xfer_open_job *o = xfer_open_job(job);

  if (o->fs.readonly) {
    job->result = UV_EACCES;
    return;
  }
  job->result = ftp_fs_unique_name(&o->fs, o->path[0] ? o->path : NULL, &o->fd,
                                   o->vpath, sizeof(o->vpath));
}

static void stou_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct xfer_open_job *o = xfer_open_job(job);
  const char *base;

  if (prepared(job, XFER_STOU, o->path[0] ? o->path : NULL, o->vpath, 0, &o->fd) == NULL)
    return;
  base = strrchr(o->vpath, '/');
  /* RFC 1123 4.1.2.9: the 150 reply names the file. */
  xfer_open(s, "FILE: %s", base != NULL ? base + 1 : o->vpath);
}

void handle_stou(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_STOU, arg, stou_work, stou_after);
}

/* --- listings ------------------------------------------------------------- */

/* RFC 3659 7.9: MLSD and MLST send only the facts OPTS MLST selected. */
static unsigned hidden_facts(const struct ftpd_session *s) {
  return s->mlst_set ? FTP_LISTFMT_FACTS_ALL & ~s->mlst_facts : 0;
}

/* A listing job for path with the session's filesystem and options, or
 * NULL after replying that memory ran out. */
static struct listing_job *listing_job_new(struct ftpd_session *s, enum ftpd_xfer_kind kind,
                                           const char *path) {
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_LISTING, sizeof(struct listing_job),
                                      listing_release);
  struct listing_job *l;

  if (job == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return NULL;
  }
  l = listing_job(job);
  l->fs = s->fs;
  l->kind = kind;
  l->opts.readonly = s->fs.readonly;
  l->opts.listsubdir = s->conf->listsubdir;
  l->opts.hide_facts = hidden_facts(s);
  l->opts.now = time(NULL);
  ftp_buf_init(&l->out, FTP_LISTING_MAX);
  snprintf(l->path, sizeof(l->path), "%s", path);
  return l;
}

static void listing_work(struct ftpd_job *job) {
  struct listing_job *l = listing_job(job);

  switch (l->kind) {
  case XFER_LIST:
    job->result = ftp_listfmt_list(&l->fs, l->path, &l->opts, &l->out);
    break;
  case XFER_NLST:
    job->result = ftp_listfmt_nlst(&l->fs, l->path, &l->opts, &l->out);
    break;
  default:
    job->result = ftp_listfmt_mlsd(&l->fs, l->path, &l->opts, &l->out);
    break;
  }
}

static void listing_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct listing_job *l = listing_job(job);
  const char *what = l->path[0] ? l->path : s->fs.cwd;
  int no_fd = -1;
  struct ftpd_xfer *x = prepared(job, l->kind, what, what, 0, &no_fd);

  if (x == NULL)
    return;
  /* The listing moves into the transfer. */
  x->listing = l->out;
  ftp_buf_init(&l->out, FTP_LISTING_MAX);
  xfer_open(s, "Here comes the directory listing.");
}

static void list_command(struct ftpd_session *s, enum ftpd_xfer_kind kind, const char *arg) {
  struct listing_job *l;
  int64_t rest;

  if (!transfer_begins(s, &rest) || (l = listing_job_new(s, kind, arg)) == NULL)
    return;
  ftpd_job_start(&l->job, listing_work, listing_after);
}

void handle_list(struct ftpd_session *s, const char *arg) {
  list_command(s, XFER_LIST, arg);
}

void handle_nlst(struct ftpd_session *s, const char *arg) {
  list_command(s, XFER_NLST, arg);
}

void handle_mlsd(struct ftpd_session *s, const char *arg) {
  list_command(s, XFER_MLSD, arg);
}

/* --- MLST, ABOR ----------------------------------------------------------- */

static void mlst_work(struct ftpd_job *job) {
  struct listing_job *l = listing_job(job);
  job->result = ftp_listfmt_mlst(&l->fs, l->path, &l->opts, &l->out);
}

static void mlst_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct listing_job *l = listing_job(job);
  const char *facts;
  size_t n;

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, l->path[0] ? l->path : s->fs.cwd);
  } else {
    facts = ftp_buf_cstr(&l->out, NULL);
    n = strcspn(facts, "\r\n");
    /* RFC 3659 7.2: the fact line starts with one space. */
    ftpd_reply(s, FTP_R_FILE_ACTION_OK, "Listing %s\n%s%.*s\nEnd",
               l->path[0] ? l->path : s->fs.cwd, facts[0] == ' ' ? "" : " ",
               (int)n, facts);
  }
  ftpd_command_done(s);
}

void handle_mlst(struct ftpd_session *s, const char *arg) {
  struct listing_job *l = listing_job_new(s, XFER_MLSD, arg);

  if (l != NULL)
    ftpd_job_start(&l->job, mlst_work, mlst_after);
}

void handle_abor(struct ftpd_session *s, const char *arg) {
  const struct ftpd_xfer *x = ftpd_data_xfer(s);

  (void)arg;
  if (x != NULL) {
    slog_info(s, "ABOR during %s %s", kind_verb(x->kind), x->vpath);
    /* RFC 959 4.1.3: 426 for the transfer, then 226 for ABOR. */
    xfer_end(s, FTP_E_ABORTED);
    ftpd_reply(s, FTP_R_TRANSFER_OK, "ABOR successful.");
    return;
  }
  ftpd_data_reset(s);
  ftpd_reply(s, FTP_R_DATA_OPEN, "No transfer to ABOR.");
}
