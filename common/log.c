/*
 * log.c: one line per event, to stderr or syslog.
 *
 * The logging configuration is the one piece of process-wide state in
 * common/: a program has one log, and every module writes to it.
 */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "err.h"
#include "ftp_limits.h"

static const char *log_ident = "ftp";
static int log_level = FTP_LOG_INFO;
static int log_syslog;

void ftp_log_init(const char *ident, int level) {
  log_ident = ident;
  log_level = level;
}

void ftp_log_use_syslog(void) {
  openlog(log_ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
  log_syslog = 1;
}

int ftp_log_enabled(int level) { return level <= log_level; }

static const char *level_name(int level) {
  switch (level) {
  case FTP_LOG_ERR:
    return "error";
  case FTP_LOG_WARN:
    return "warning";
  case FTP_LOG_NOTICE:
    return "notice";
  case FTP_LOG_INFO:
    return "info";
  default:
    return "debug";
  }
}

static void vlog(int level, int facility, const char *func, int r,
                 const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* facility: 0 for the program's own (daemon), or a syslog facility such as
 * LOG_AUTHPRIV for lines meant for the security log. */
static void vlog(int level, int facility, const char *func, int r, const char *fmt,
                 va_list ap) {
  char msg[FTP_LOG_LINE_MAX];
  int n;

  n = vsnprintf(msg, sizeof(msg), fmt, ap);
  if (n < 0)
    return;
  if (r != 0 && (size_t)n < sizeof(msg))
    snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s (%s)", ftp_err_name(r),
             ftp_strerror(r));
  if (log_syslog) {
    syslog(level | facility, "%s: %s", func, msg);
    return;
  }
  {
    char when[32];
    struct timespec ts;
    struct tm tm;

    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
    fprintf(stderr, "%s.%03ldZ %s[%ld]: %s: %s: %s\n", when,
            ts.tv_nsec / 1000000, log_ident, (long)getpid(),
            level_name(level), func, msg);
  }
}

void ftp__log(int level, const char *func, int r, const char *fmt, ...) {
  va_list ap;

  if (level > log_level)
    return;
  va_start(ap, fmt);
  vlog(level, 0, func, r, fmt, ap);
  va_end(ap);
}

void ftp_log_security(int level, const char *fmt, ...) {
  va_list ap;

  if (level > log_level)
    return;
  va_start(ap, fmt);
  vlog(level, LOG_AUTHPRIV, "security", 0, fmt, ap);
  va_end(ap);
}

void ftp__bug(const char *file, int line, const char *func, const char *fmt,
              ...) {
  va_list ap;
  char msg[1024];

  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  ftp__log(FTP_LOG_ERR, func, 0, "BUG at %s:%d: %s", file, line, msg);
  abort();
}
