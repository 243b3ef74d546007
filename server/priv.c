/*
 * priv.c: detaching and dropping privileges.
 */
#include "priv.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "err.h"
#include "log.h"

static int write_pidfile(uv_loop_t *loop, const char *path) {
  char line[32];
  uv_fs_t req;
  uv_buf_t b;
  int fd, r;

  fd = uv_fs_open(loop, &req, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                  0644, NULL);
  uv_fs_req_cleanup(&req);
  if (fd < 0) {
    log_err_r(fd, "PIDFILE %s", path);
    return fd;
  }
  b = uv_buf_init(line, (unsigned)snprintf(line, sizeof(line), "%ld\n", (long)getpid()));
  r = uv_fs_write(loop, &req, fd, &b, 1, -1, NULL);
  uv_fs_req_cleanup(&req);
  uv_fs_close(loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
  return r < 0 ? r : 0;
}

int ftpd_detach(uv_loop_t *loop, const char *pidfile) {
  pid_t pid;
  int fd, r;

  if ((pid = fork()) < 0)
    return uv_translate_sys_error(errno);
  if (pid > 0)
    _exit(0);
  if (setsid() < 0)
    return uv_translate_sys_error(errno);
  if ((r = uv_loop_fork(loop)) != 0)
    return r;
  if ((fd = open("/dev/null", O_RDWR | O_CLOEXEC)) >= 0) {
    dup2(fd, STDIN_FILENO);
    dup2(fd, STDOUT_FILENO);
    dup2(fd, STDERR_FILENO);
    if (fd > STDERR_FILENO)
      close(fd);
  }
  if (chdir("/") != 0)
    return uv_translate_sys_error(errno);
  ftp_log_use_syslog();
  if (pidfile != NULL && (r = write_pidfile(loop, pidfile)) != 0)
    return r;
  return 0;
}

int ftpd_drop_privileges(const char *account) {
  struct passwd pw, *res = NULL;
  char tmp[4096];

  if (geteuid() != 0)
    return 0;
  if (getpwnam_r(account, &pw, tmp, sizeof(tmp), &res) != 0 || res == NULL) {
    log_err("RUNAS %s: no such account", account);
    return UV_ENOENT;
  }
  if (pw.pw_uid == 0) {
    log_err("RUNAS %s: refusing to serve as root", account);
    return UV_EPERM;
  }
  if (setgroups(0, NULL) != 0 || setgid(pw.pw_gid) != 0 || setuid(pw.pw_uid) != 0) {
    int r = uv_translate_sys_error(errno);

    log_err_r(r, "switching to %s", account);
    return r;
  }
  /* Security: make sure the switch cannot be undone. */
  if (setuid(0) == 0 || seteuid(0) == 0) {
    log_err("switching to %s: root could be regained", account);
    return UV_EPERM;
  }
  log_info("running as %s (uid %ld)", account, (long)pw.pw_uid);
  return 0;
}
