/*
 * h_fs.c: the namespace commands: CWD CDUP PWD MKD RMD DELE RNFR RNTO SIZE
 * MDTM MFMT.  Each runs as a thread-pool job on the session's confined
 * filesystem (server/fs.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmdtab.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "session.h"

/* The job of one namespace command: its inputs, copied from the session
 * on the loop thread, and its results. */
struct path_job {
  struct ftpd_job job;
  struct ftp_fs fs;           /* the session's; CWD changes this copy */
  char path[FTP_PATH_MAX];    /* the argument */
  char from[FTP_PATH_MAX];    /* RNTO: the path RNFR named */
  struct timespec mtime;      /* MFMT: the time to set */
  char vpath[FTP_PATH_MAX];   /* MKD, RNFR: the virtual path made or found */
  struct stat st;             /* RNFR, SIZE, MDTM: what path is */
};

static struct path_job *path_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_PATH);
}

/* A job for path (and from) with a copy of s's filesystem, or NULL after
 * replying that memory ran out. */
static struct path_job *path_job_new(struct ftpd_session *s, const char *path,
                                     const char *from) {
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_PATH, sizeof(struct path_job), NULL);
  struct path_job *p;

  if (job == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return NULL;
  }
  p = path_job(job);
  p->fs = s->fs;
  snprintf(p->path, sizeof(p->path), "%s", path);
  if (from != NULL)
    snprintf(p->from, sizeof(p->from), "%s", from);
  return p;
}

/* Run work on path (and from) in the thread pool; after() replies. */
static void fs_job(struct ftpd_session *s, const char *path, const char *from,
                   ftpd_job_fn *work, ftpd_job_fn *after) {
  struct path_job *p = path_job_new(s, path, from);

  if (p != NULL)
    ftpd_job_start(&p->job, work, after);
}

/* Reply "done" or the error with the argument as context. */
static void reply_simple(struct ftpd_job *job, int code, const char *text) {
  if (job->result != 0)
    ftpd_reply_err(job->s, job->result, path_job(job)->path);
  else
    ftpd_reply(job->s, code, "%s", text);
  ftpd_command_done(job->s);
}

/* RFC 959 appendix II: a quote inside a quoted path name is doubled. */
static void reply_path(struct ftpd_session *s, int code, const char *path,
                       const char *suffix) {
  struct ftp_buf b;
  const char *p;

  ftp_buf_init(&b, 2 * FTP_PATH_MAX + 64);
  ftp_buf_putc(&b, '"');
  for (p = path; *p != 0; p++) {
    if (*p == '"')
      ftp_buf_putc(&b, '"');
    ftp_buf_putc(&b, *p);
  }
  ftp_buf_putf(&b, "\" %s", suffix);
  ftpd_reply(s, code, "%s", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}

/* --- CWD, CDUP, PWD ------------------------------------------------------- */

static void cwd_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_chdir(&p->fs, p->path);
}

static void cwd_after(struct ftpd_job *job) {
  struct path_job *p = path_job(job);

  /* The session takes the directory the job's copy moved to. */
  if (job->result == 0)
    memcpy(job->s->fs.cwd, p->fs.cwd, sizeof(p->fs.cwd));
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Directory successfully changed.");
}

void handle_cwd(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, cwd_work, cwd_after);
}

void handle_cdup(struct ftpd_session *s, const char *arg) {
  (void)arg;
  fs_job(s, "..", NULL, cwd_work, cwd_after);
}

void handle_pwd(struct ftpd_session *s, const char *arg) {
  (void)arg;
  reply_path(s, FTP_R_PATH_CREATED, s->fs.cwd, "is the current directory");
}

/* --- MKD, RMD, DELE ------------------------------------------------------- */

static void mkd_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_mkdir(&p->fs, p->path, p->vpath, sizeof(p->vpath));
}

static void mkd_after(struct ftpd_job *job) {
  struct path_job *p = path_job(job);

  if (job->result != 0)
    ftpd_reply_err(job->s, job->result, p->path);
  else
    reply_path(job->s, FTP_R_PATH_CREATED, p->vpath, "created");
  ftpd_command_done(job->s);
}

void handle_mkd(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, mkd_work, mkd_after);
}

static void rmd_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_rmdir(&p->fs, p->path);
}

static void rmd_after(struct ftpd_job *job) {
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Remove directory operation successful.");
}

void handle_rmd(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, rmd_work, rmd_after);
}

static void dele_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_unlink(&p->fs, p->path);
}

static void dele_after(struct ftpd_job *job) {
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Delete operation successful.");
}

void handle_dele(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, dele_work, dele_after);
}

/* --- RNFR, RNTO ----------------------------------------------------------- */

static void rnfr_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);

  if (p->fs.readonly) {
    job->result = UV_EACCES;
    return;
  }
  job->result = ftp_fs_stat(&p->fs, p->path, &p->st);
  if (job->result == 0)
    job->result = ftp_fs_vpath(&p->fs, p->path, p->vpath, sizeof(p->vpath));
}

static void rnfr_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct path_job *p = path_job(job);

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, p->path);
  } else if ((s->rnfr = strdup(p->vpath)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
  } else {
    ftpd_reply(s, FTP_R_PENDING, "Ready for RNTO.");
  }
  ftpd_command_done(s);
}

void handle_rnfr(struct ftpd_session *s, const char *arg) {
  free(s->rnfr);
  s->rnfr = NULL;
  fs_job(s, arg, NULL, rnfr_work, rnfr_after);
}

static void rnto_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_rename(&p->fs, p->from, p->path);
}

static void rnto_after(struct ftpd_job *job) {
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Rename successful.");
}

void handle_rnto(struct ftpd_session *s, const char *arg) {
  char from[FTP_PATH_MAX];

  if (s->rnfr == NULL) {
    ftpd_reply(s, FTP_R_BAD_SEQUENCE, "RNFR required first.");
    return;
  }
  snprintf(from, sizeof(from), "%s", s->rnfr);
  free(s->rnfr);
  s->rnfr = NULL;
  fs_job(s, arg, from, rnto_work, rnto_after);
}

/* --- SIZE, MDTM, MFMT ----------------------------------------------------- */

static void stat_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_stat(&p->fs, p->path, &p->st);
}

static void size_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct path_job *p = path_job(job);

  if (job->result != 0)
    ftpd_reply_err(s, job->result, p->path);
  else if (!S_ISREG(p->st.st_mode))
    ftpd_reply(s, FTP_R_FILE_UNAVAILABLE, "%s: not a plain file", p->path);
  else
    ftpd_reply(s, FTP_R_FILE_STATUS, "%lld", (long long)p->st.st_size);
  ftpd_command_done(s);
}

void handle_size(struct ftpd_session *s, const char *arg) {
  if (!(s->conf->extensions & FTP_EXT_SIZE)) {
    ftpd_reply(s, FTP_R_NOT_IMPLEMENTED, "SIZE not enabled (EXTENSIONS SIZE).");
    return;
  }
  fs_job(s, arg, NULL, stat_work, size_after);
}

/* RFC 3659 2.3: time-val is YYYYMMDDHHMMSS in UTC. */
static void format_time(time_t t, char *out, size_t n) {
  struct tm tm;
  gmtime_r(&t, &tm);
  strftime(out, n, "%Y%m%d%H%M%S", &tm);
}

static void mdtm_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct path_job *p = path_job(job);
  char when[32];

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, p->path);
  } else if (!S_ISREG(p->st.st_mode)) {
    ftpd_reply(s, FTP_R_FILE_UNAVAILABLE, "%s: not a plain file", p->path);
  } else {
    format_time(p->st.st_mtime, when, sizeof(when));
    ftpd_reply(s, FTP_R_FILE_STATUS, "%s", when);
  }
  ftpd_command_done(s);
}

void handle_mdtm(struct ftpd_session *s, const char *arg) {
  if (!(s->conf->extensions & FTP_EXT_MDTM)) {
    ftpd_reply(s, FTP_R_NOT_IMPLEMENTED, "MDTM not enabled (EXTENSIONS MDTM).");
    return;
  }
  fs_job(s, arg, NULL, stat_work, mdtm_after);
}

/* The decimal value of n digits at p (already checked to be digits). */
static int digits(const char *p, size_t n) {
  int v = 0;
  while (n-- > 0)
    v = v * 10 + (*p++ - '0');
  return v;
}

/* "YYYYMMDDHHMMSS[.sss]" (UTC) into a time; fractions are dropped. */
static int parse_time_val(const char *p, size_t n, struct timespec *ts) {
  struct tm tm;
  size_t i;
  time_t t;
  int mday, sec;

  if (n != 14 && !(n > 15 && p[14] == '.'))
    return FTP_E_SYNTAX;
  for (i = 0; i < n; i++)
    if (i != 14 && (p[i] < '0' || p[i] > '9'))
      return FTP_E_SYNTAX;
  memset(&tm, 0, sizeof(tm));
  tm.tm_year = digits(p, 4) - 1900;
  tm.tm_mon = digits(p + 4, 2) - 1;
  tm.tm_mday = digits(p + 6, 2);
  tm.tm_hour = digits(p + 8, 2);
  tm.tm_min = digits(p + 10, 2);
  tm.tm_sec = digits(p + 12, 2);
  if (tm.tm_mon < 0 || tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
      tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return FTP_E_SYNTAX;
  /* timegm() moves a day the month does not have (February 30) into the
   * next month: such a date is refused, not set.  The seconds are added
   * afterwards so that a leap second (:60) never changes the date. */
  mday = tm.tm_mday;
  sec = tm.tm_sec;
  tm.tm_sec = 0;
  if ((t = timegm(&tm)) == (time_t)-1 || tm.tm_mday != mday)
    return FTP_E_SYNTAX;
  ts->tv_sec = t + sec;
  ts->tv_nsec = 0;
  return 0;
}

static void mfmt_work(struct ftpd_job *job) {
  struct path_job *p = path_job(job);
  job->result = ftp_fs_set_mtime(&p->fs, p->path, &p->mtime);
}

static void mfmt_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct path_job *p = path_job(job);
  char when[32];

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, p->path);
  } else {
    format_time(p->mtime.tv_sec, when, sizeof(when));
    /* draft-somers-ftp-mfxx: "213 Modify=<time>; <path>" */
    ftpd_reply(s, FTP_R_FILE_STATUS, "Modify=%s; %s", when, p->path);
  }
  ftpd_command_done(s);
}

void handle_mfmt(struct ftpd_session *s, const char *arg) {
  const char *path = strchr(arg, ' ');
  struct path_job *p;
  struct timespec ts;

  if (path == NULL || parse_time_val(arg, (size_t)(path - arg), &ts) != 0 ||
      path[1] == 0) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Usage: MFMT YYYYMMDDHHMMSS path");
    return;
  }
  if ((p = path_job_new(s, path + 1, NULL)) == NULL)
    return;
  p->mtime = ts;
  ftpd_job_start(&p->job, mfmt_work, mfmt_after);
}
