/*
 * log.h: logging for both programs.
 *
 * Every line carries the level, the function that logged it and, for the
 * *_r variants, the error's name and message:
 *   ftpd[812]: error: data_accept_cb: accept: ECONNABORTED (software caused...)
 * Lines go to stderr until ftp_log_use_syslog() is called (ftpd -d).
 */
#ifndef FTP_LOG_H
#define FTP_LOG_H

/* The values are syslog priorities. */
enum ftp_log_level {
  FTP_LOG_ERR = 3,
  FTP_LOG_WARN = 4,
  FTP_LOG_NOTICE = 5,
  FTP_LOG_INFO = 6,
  FTP_LOG_DEBUG = 7
};

/*
 * ftp_log_init: name the program in every line and set the most verbose
 * level that is written.  May be called again to change either.
 */
void ftp_log_init(const char *ident, int level);

/* ftp_log_use_syslog: from now on, log to syslog (daemon facility). */
void ftp_log_use_syslog(void);

/* ftp_log_enabled: would a line at this level be written?  Lets callers skip
 * building expensive messages. */
int ftp_log_enabled(int level);

/*
 * ftp__log: write one line.  func is the caller's __func__; r, when
 * non-zero, is an error code whose name and message end the line.
 * Use the macros below rather than calling this directly.
 */
void ftp__log(int level, const char *func, int r, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * ftp_log_security: one line for the security log: to syslog with facility
 * authpriv (auth.log), or to stderr like every other line, in both cases
 * as "security: <text>" where other lines name their function.  Used by
 * ftpd for its security events (server/seclog.h documents their format).
 */
void ftp_log_security(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#define log_err(...) ftp__log(FTP_LOG_ERR, __func__, 0, __VA_ARGS__)
#define log_warn(...) ftp__log(FTP_LOG_WARN, __func__, 0, __VA_ARGS__)
#define log_notice(...) ftp__log(FTP_LOG_NOTICE, __func__, 0, __VA_ARGS__)
#define log_info(...) ftp__log(FTP_LOG_INFO, __func__, 0, __VA_ARGS__)
#define log_debug(...) ftp__log(FTP_LOG_DEBUG, __func__, 0, __VA_ARGS__)
#define log_err_r(r, ...) ftp__log(FTP_LOG_ERR, __func__, (r), __VA_ARGS__)
#define log_warn_r(r, ...) ftp__log(FTP_LOG_WARN, __func__, (r), __VA_ARGS__)
#define log_info_r(r, ...) ftp__log(FTP_LOG_INFO, __func__, (r), __VA_ARGS__)
#define log_debug_r(r, ...) ftp__log(FTP_LOG_DEBUG, __func__, (r), __VA_ARGS__)

/*
 * BUG: a broken invariant.  Logs where and aborts: a process that has lost
 * track of its own state must not go on serving.
 */
#define BUG(...) ftp__bug(__FILE__, __LINE__, __func__, __VA_ARGS__)
void ftp__bug(const char *file, int line, const char *func, const char *fmt, ...)
    __attribute__((format(printf, 4, 5), noreturn));

#endif
