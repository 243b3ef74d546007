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

/* Run fn on arg (and arg2) in the thread pool; after() replies. */
static void fs_job(struct ftpd_session *s, const char *arg, const char *arg2,
                   ftpd_job_fn *work, ftpd_job_fn *after) {
  struct ftpd_job *job = ftpd_job_new(s);

  if (job == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  snprintf(job->arg, sizeof(job->arg), "%s", arg);
  if (arg2 != NULL)
    snprintf(job->arg2, sizeof(job->arg2), "%s", arg2);
  ftpd_job_start(job, work, after);
}

/* Reply "done" or the error with the argument as context. */
static void reply_simple(struct ftpd_job *job, int code, const char *text) {
  if (job->result != 0)
    ftpd_reply_err(job->s, job->result, job->arg);
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
  job->result = ftp_fs_chdir(&job->s->fs, job->arg);
}

static void cwd_after(struct ftpd_job *job) {
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
  job->result = ftp_fs_mkdir(&job->s->fs, job->arg, job->vpath, sizeof(job->vpath));
}

static void mkd_after(struct ftpd_job *job) {
  if (job->result != 0)
    ftpd_reply_err(job->s, job->result, job->arg);
  else
    reply_path(job->s, FTP_R_PATH_CREATED, job->vpath, "created");
  ftpd_command_done(job->s);
}

void handle_mkd(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, mkd_work, mkd_after);
}

static void rmd_work(struct ftpd_job *job) {
  job->result = ftp_fs_rmdir(&job->s->fs, job->arg);
}

static void rmd_after(struct ftpd_job *job) {
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Remove directory operation successful.");
}

void handle_rmd(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, rmd_work, rmd_after);
}

static void dele_work(struct ftpd_job *job) {
  job->result = ftp_fs_unlink(&job->s->fs, job->arg);
}

static void dele_after(struct ftpd_job *job) {
  reply_simple(job, FTP_R_FILE_ACTION_OK, "Delete operation successful.");
}

void handle_dele(struct ftpd_session *s, const char *arg) {
  fs_job(s, arg, NULL, dele_work, dele_after);
}

/* --- RNFR, RNTO ----------------------------------------------------------- */

static void rnfr_work(struct ftpd_job *job) {
  const struct ftp_fs *fs = &job->s->fs;

  if (fs->readonly) {
    job->result = UV_EACCES;
    return;
  }
  job->result = ftp_fs_stat(fs, job->arg, &job->st);
  if (job->result == 0)
    job->result = ftp_fs_vpath(fs, job->arg, job->vpath, sizeof(job->vpath));
}

static void rnfr_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, job->arg);
  } else if ((s->rnfr = strdup(job->vpath)) == NULL) {
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
  job->result = ftp_fs_rename(&job->s->fs, job->arg2, job->arg);
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
  job->result = ftp_fs_stat(&job->s->fs, job->arg, &job->st);
}

static void size_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;

  if (job->result != 0)
    ftpd_reply_err(s, job->result, job->arg);
  else if (!S_ISREG(job->st.st_mode))
    ftpd_reply(s, FTP_R_FILE_UNAVAILABLE, "%s: not a plain file", job->arg);
  else
    ftpd_reply(s, FTP_R_FILE_STATUS, "%lld", (long long)job->st.st_size);
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
  char when[32];

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, job->arg);
  } else if (!S_ISREG(job->st.st_mode)) {
    ftpd_reply(s, FTP_R_FILE_UNAVAILABLE, "%s: not a plain file", job->arg);
  } else {
    format_time(job->st.st_mtime, when, sizeof(when));
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
  job->result = ftp_fs_set_mtime(&job->s->fs, job->arg, &job->ts);
}

static void mfmt_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  char when[32];

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, job->arg);
  } else {
    format_time(job->ts.tv_sec, when, sizeof(when));
    /* draft-somers-ftp-mfxx: "213 Modify=<time>; <path>" */
    ftpd_reply(s, FTP_R_FILE_STATUS, "Modify=%s; %s", when, job->arg);
  }
  ftpd_command_done(s);
}

void handle_mfmt(struct ftpd_session *s, const char *arg) {
  const char *path = strchr(arg, ' ');
  struct ftpd_job *job;
  struct timespec ts;

  if (path == NULL || parse_time_val(arg, (size_t)(path - arg), &ts) != 0 ||
      path[1] == 0) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Usage: MFMT YYYYMMDDHHMMSS path");
    return;
  }
  if ((job = ftpd_job_new(s)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  job->ts = ts;
  snprintf(job->arg, sizeof(job->arg), "%s", path + 1);
  ftpd_job_start(job, mfmt_work, mfmt_after);
}
