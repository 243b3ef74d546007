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
#include "replycodes.h"
#include "server.h"
#include "session.h"

static unsigned long xfer_serial;

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
  x->serial = ++xfer_serial;
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

/* The transfer ends: one reply, the logs, the data connection goes. */
static void xfer_end(struct ftpd_session *s, int status) {
  struct ftpd_xfer *x = s->xfer;
  uint64_t bytes = s->dc != NULL ? ftp_dataconn_bytes(s->dc) : 0;
  char desc[96] = "clear";

  if (x == NULL)
    return;
  if (s->dc != NULL)
    ftp_dataconn_describe(s->dc, desc, sizeof(desc));
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
  }
  slog_info(s, "%s %s: %" PRIu64 " bytes in %.3f s, %s: %s", kind_verb(x->kind),
            x->vpath, bytes, (double)(ftpd_now_ms(s) - x->start_ms) / 1000.0, desc,
            status == 0 ? "complete" : ftp_strerror(status));
  xferlog(s, x, bytes, status == 0);
  s->xfer = NULL;
  xfer_free(s, x);
  ftpd_data_reset(s);
  ftpd_command_done(s);
}

void ftpd_xfer_abandon(struct ftpd_session *s) {
  struct ftpd_xfer *x = s->xfer;

  if (x == NULL)
    return;
  slog_info(s, "%s %s abandoned: the session ended", kind_verb(x->kind), x->vpath);
  xferlog(s, x, s->dc != NULL ? ftp_dataconn_bytes(s->dc) : 0, 0);
  s->xfer = NULL;
  xfer_free(s, x);
}

static void xfer_done(struct ftp_dataconn *dc, int status) {
  xfer_end(ftp_dataconn_data(dc), status);
}

static void upload_open_work(struct ftpd_job *job);
static void upload_open_after(struct ftpd_job *job);

static void xfer_ready(struct ftp_dataconn *dc, int status) {
  struct ftpd_session *s = ftp_dataconn_data(dc);
  struct ftpd_xfer *x = s->xfer;
  struct ftpd_job *job;
  int r = 0;

  if (status != 0) {
    xfer_end(s, status);
    return;
  }
  x->ready = 1;
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
    if ((job = ftpd_job_new(s)) == NULL) {
      r = FTP_E_NOMEM;
      break;
    }
    job->kind = (int)x->serial;
    snprintf(job->arg, sizeof(job->arg), "%s", x->vpath);
    job->flags = x->kind;
    job->st.st_size = x->offset;
    ftpd_job_start(job, upload_open_work, upload_open_after);
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
  struct ftp_dataconn_opts o;
  char text[FTP_PATH_MAX + 128];
  va_list ap;
  int r;

  va_start(ap, fmt);
  vsnprintf(text, sizeof(text), fmt, ap);
  va_end(ap);
  s->busy = 1;
  ftpd_reply(s, FTP_R_FILE_OK_OPENING, "%s", text);
  ftpd_session_touch(s); /* no INACTIVE during a transfer */
  if (s->dc == NULL) {
    ftpd_data_opts(s, &o);
    if ((r = ftp_dataconn_connect(&o, &s->port_target, &s->dc)) != 0) {
      xfer_end(s, r);
      return;
    }
    ftp_dataconn_set_data(s->dc, s);
  }
  ftp_dataconn_when_ready(s->dc, xfer_ready);
}

/* Refuse a transfer command that has no data connection set up. */
static int data_set_up(struct ftpd_session *s) {
  if (s->dc != NULL || s->port_set)
    return 1;
  ftpd_reply(s, FTP_R_CANT_OPEN_DATA, "Use PORT, EPRT, PASV or EPSV first.");
  return 0;
}

/* Start a thread-pool job for a transfer command and make its xfer. */
static void prepare(struct ftpd_session *s, enum ftpd_xfer_kind kind, const char *arg,
                    ftpd_job_fn *work, ftpd_job_fn *after) {
  struct ftpd_job *job;
  int64_t rest = s->rest;

  /* RFC 959 REST: the offset is for the transfer command that follows it,
   * whether or not that command succeeds; left behind, it would shift a
   * later upload. */
  s->rest = 0;
  if (!data_set_up(s))
    return;
  if ((job = ftpd_job_new(s)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  job->kind = kind;
  job->rest = rest;
  snprintf(job->arg, sizeof(job->arg), "%s", arg);
  ftpd_job_start(job, work, after);
}

/*
 * The end of a transfer command's preparation job: on failure, reply (with
 * context naming what failed) and end the command; otherwise make the
 * transfer, take the job's open file, and install it.  NULL when the
 * command is over.
 */
static struct ftpd_xfer *prepared(struct ftpd_job *job, enum ftpd_xfer_kind kind,
                                  const char *context, const char *vpath,
                                  int64_t rest) {
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
  x->fd = job->fd;
  job->fd = -1;
  s->xfer = x;
  return x;
}

/* --- RETR ----------------------------------------------------------------- */

static void retr_work(struct ftpd_job *job) {
  const struct ftp_fs *fs = &job->s->fs;
  uv_fs_t req;
  int fd = -1;

  if ((job->result = ftp_fs_open(fs, job->arg, O_RDONLY, &fd)) != 0)
    return;
  job->result = uv_fs_fstat(NULL, &req, fd, NULL);
  if (job->result == 0)
    job->st.st_size = (off_t)req.statbuf.st_size;
  uv_fs_req_cleanup(&req);
  job->fd = fd;
  if (job->result == 0)
    job->result = ftp_fs_vpath(fs, job->arg, job->vpath, sizeof(job->vpath));
}

static void retr_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct ftpd_xfer *x = prepared(job, XFER_RETR, job->arg, job->vpath, job->rest);

  if (x == NULL)
    return;
  x->size = (uint64_t)job->st.st_size;
  xfer_open(s, "Opening %s mode data connection for %s (%" PRIu64 " bytes).",
            x->ascii ? "ASCII" : "BINARY", job->arg, x->size);
}

void handle_retr(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_RETR, arg, retr_work, retr_after);
}

/* --- STOR, APPE, STOU ----------------------------------------------------- */

/* Before 150: the target may be written (a read-only session, a directory
 * or a missing parent are refused here, not after the client sent data). */
static void upload_check_work(struct ftpd_job *job) {
  const struct ftp_fs *fs = &job->s->fs;
  char name[FTP_PATH_MAX];
  uv_fs_t req;
  int dirfd = -1;

  if (fs->readonly) {
    job->result = UV_EACCES;
    return;
  }
  if (ftp_fs_stat(fs, job->arg, &job->st) == 0 && S_ISDIR(job->st.st_mode)) {
    job->result = UV_EISDIR;
    return;
  }
  job->result = ftp_fs_open_parent(fs, job->arg, &dirfd, name, sizeof(name));
  if (dirfd >= 0) {
    uv_fs_close(NULL, &req, dirfd, NULL);
    uv_fs_req_cleanup(&req);
  }
  if (job->result == 0)
    job->result = ftp_fs_vpath(fs, job->arg, job->vpath, sizeof(job->vpath));
}

static void upload_check_after(struct ftpd_job *job) {
  if (prepared(job, (enum ftpd_xfer_kind)job->kind, job->arg, job->vpath, job->rest) != NULL)
    xfer_open(job->s, "Ok to send data.");
}

/* After the data connection is ready: create or truncate the file now. */
static void upload_open_work(struct ftpd_job *job) {
  const struct ftp_fs *fs = &job->s->fs;
  int64_t rest = (int64_t)job->st.st_size;
  int append = job->flags == XFER_APPE && rest == 0;
  uv_fs_t req;
  int fd = -1;

  job->result = ftp_fs_open(fs, job->arg, O_WRONLY | O_CREAT | (append ? O_APPEND : 0), &fd);
  job->fd = fd;
  if (job->result == 0 && !append) {
    /* STOR replaces the file; after REST n the first n bytes are kept. */
    job->result = uv_fs_ftruncate(NULL, &req, fd, rest, NULL);
    uv_fs_req_cleanup(&req);
  }
}

static void upload_open_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct ftpd_xfer *x = s->xfer;
  int r;

  if (x == NULL || x->serial != (unsigned long)job->kind)
    return; /* aborted meanwhile; the job closes the file */
  if (job->result != 0) {
    xfer_end(s, job->result);
    return;
  }
  x->file_created = 1;
  r = ftp_dataconn_recv_file(s->dc, job->fd,
                             (job->flags == XFER_APPE && x->offset == 0) ? -1 : x->offset,
                             x->ascii, xfer_done);
  job->fd = -1;
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
  const struct ftp_fs *fs = &job->s->fs;
  int fd = -1;

  if (fs->readonly) {
    job->result = UV_EACCES;
    return;
  }
  job->result = ftp_fs_unique_name(fs, job->arg[0] ? job->arg : NULL, &fd,
                                   job->vpath, sizeof(job->vpath));
  job->fd = fd;
}

static void stou_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  const char *base;

  if (prepared(job, XFER_STOU, job->arg[0] ? job->arg : NULL, job->vpath, 0) == NULL)
    return;
  base = strrchr(job->vpath, '/');
  /* RFC 1123 4.1.2.9: the 150 reply names the file. */
  xfer_open(s, "FILE: %s", base != NULL ? base + 1 : job->vpath);
}

void handle_stou(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_STOU, arg, stou_work, stou_after);
}

/* --- listings ------------------------------------------------------------- */

/* RFC 3659 7.9: MLSD and MLST send only the facts OPTS MLST selected. */
static unsigned hidden_facts(const struct ftpd_session *s) {
  return s->mlst_set ? FTP_LISTFMT_FACTS_ALL & ~s->mlst_facts : 0;
}

static void listing_work(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct ftp_listfmt_opts o = {0};

  o.readonly = s->fs.readonly;
  o.listsubdir = s->conf->listsubdir;
  o.hide_facts = hidden_facts(s);
  o.now = time(NULL);
  switch (job->kind) {
  case XFER_LIST:
    job->result = ftp_listfmt_list(&s->fs, job->arg, &o, &job->out);
    break;
  case XFER_NLST:
    job->result = ftp_listfmt_nlst(&s->fs, job->arg, &o, &job->out);
    break;
  default:
    job->result = ftp_listfmt_mlsd(&s->fs, job->arg, &o, &job->out);
    break;
  }
}

static void listing_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  const char *what = job->arg[0] ? job->arg : s->fs.cwd;
  struct ftpd_xfer *x = prepared(job, (enum ftpd_xfer_kind)job->kind, what, what, 0);

  if (x == NULL)
    return;
  /* The listing moves into the transfer. */
  x->listing = job->out;
  ftp_buf_init(&job->out, FTP_LISTING_MAX);
  xfer_open(s, "Here comes the directory listing.");
}

void handle_list(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_LIST, arg, listing_work, listing_after);
}

void handle_nlst(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_NLST, arg, listing_work, listing_after);
}

void handle_mlsd(struct ftpd_session *s, const char *arg) {
  prepare(s, XFER_MLSD, arg, listing_work, listing_after);
}

/* --- MLST, ABOR ----------------------------------------------------------- */

static void mlst_work(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct ftp_listfmt_opts o = {0};

  o.readonly = s->fs.readonly;
  o.hide_facts = hidden_facts(s);
  o.now = time(NULL);
  job->result = ftp_listfmt_mlst(&s->fs, job->arg, &o, &job->out);
}

static void mlst_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  const char *facts;
  size_t n;

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, job->arg[0] ? job->arg : s->fs.cwd);
  } else {
    facts = ftp_buf_cstr(&job->out, NULL);
    n = strcspn(facts, "\r\n");
    /* RFC 3659 7.2: the fact line starts with one space. */
    ftpd_reply(s, FTP_R_FILE_ACTION_OK, "Listing %s\n%s%.*s\nEnd",
               job->arg[0] ? job->arg : s->fs.cwd, facts[0] == ' ' ? "" : " ",
               (int)n, facts);
  }
  ftpd_command_done(s);
}

void handle_mlst(struct ftpd_session *s, const char *arg) {
  struct ftpd_job *job = ftpd_job_new(s);

  if (job == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  snprintf(job->arg, sizeof(job->arg), "%s", arg);
  ftpd_job_start(job, mlst_work, mlst_after);
}

void handle_abor(struct ftpd_session *s, const char *arg) {
  (void)arg;
  if (s->xfer != NULL) {
    slog_info(s, "ABOR during %s %s", kind_verb(s->xfer->kind), s->xfer->vpath);
    /* RFC 959 4.1.3: 426 for the transfer, then 226 for ABOR. */
    xfer_end(s, FTP_E_ABORTED);
    ftpd_reply(s, FTP_R_TRANSFER_OK, "ABOR successful.");
    return;
  }
  ftpd_data_reset(s);
  ftpd_reply(s, FTP_R_DATA_OPEN, "No transfer to ABOR.");
}
