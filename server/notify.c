/*
 * notify.c: the sd_notify datagram protocol, without libsystemd.
 *
 * Why not libsystemd: the protocol is a documented, stable interface of a
 * few lines (one datagram on an AF_UNIX socket), and linking libsystemd
 * would add a dependency, with its own dependencies, for one function.
 *
 * Why not libuv: a uv_udp_t speaks only AF_INET and AF_INET6; libuv has no
 * AF_UNIX datagram handle.  Each notification is one sendto() on a socket
 * made for it and closed at once, as sd_notify() does.  A local datagram
 * socket never blocks the loop for long: the receiver is systemd (or a
 * test) reading its socket, and a full queue fails at once with EAGAIN
 * because the socket is non-blocking.
 */
#include "notify.h"

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"

static struct sockaddr_un notify_addr;
static socklen_t notify_len; /* 0: no NOTIFY_SOCKET */

int ftpd_notify_init(void) {
  const char *v = getenv("NOTIFY_SOCKET");
  size_t n;

  notify_len = 0;
  if (v == NULL || v[0] == 0)
    return 0;
  n = strlen(v);
  /* A path, or "@name" for Linux's abstract namespace (a leading NUL). */
  if ((v[0] != '/' && v[0] != '@') || n >= sizeof(notify_addr.sun_path)) {
    log_err("NOTIFY_SOCKET %s: not an AF_UNIX socket address", v);
    unsetenv("NOTIFY_SOCKET");
    return UV_EINVAL;
  }
  memset(&notify_addr, 0, sizeof(notify_addr));
  notify_addr.sun_family = AF_UNIX;
  memcpy(notify_addr.sun_path, v, n);
  if (v[0] == '@')
    notify_addr.sun_path[0] = 0;
  /* A path ends at its NUL; an abstract name is exactly its n bytes. */
  notify_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (v[0] == '/'));
  unsetenv("NOTIFY_SOCKET");
  return 0;
}

static const char *state_line(enum ftpd_notify_state state) {
  switch (state) {
  case FTPD_NOTIFY_READY:
    return "READY=1";
  case FTPD_NOTIFY_RELOADING:
    return "RELOADING=1";
  default:
    return "STOPPING=1";
  }
}

int ftpd_notify(enum ftpd_notify_state state, const char *status) {
  char msg[512];
  struct timespec ts;
  int fd, n, r = 0;

  if (notify_len == 0)
    return 0;
  n = snprintf(msg, sizeof(msg), "%s\n", state_line(state));
  /* systemd 253 and later want the time of a reload's start, on the
   * monotonic clock, to order it against the reload request; older
   * versions ignore the line. */
  if (state == FTPD_NOTIFY_RELOADING && clock_gettime(CLOCK_MONOTONIC, &ts) == 0)
    n += snprintf(msg + n, sizeof(msg) - (size_t)n, "MONOTONIC_USEC=%llu\n",
                  (unsigned long long)ts.tv_sec * 1000000ULL +
                      (unsigned long long)ts.tv_nsec / 1000ULL);
  if (status != NULL && (size_t)n < sizeof(msg))
    n += snprintf(msg + n, sizeof(msg) - (size_t)n, "STATUS=%s\n", status);
  if ((size_t)n >= sizeof(msg))
    n = (int)sizeof(msg) - 1;
  fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 ||
      sendto(fd, msg, (size_t)n, MSG_NOSIGNAL, (struct sockaddr *)&notify_addr,
             notify_len) != (ssize_t)n) {
    r = uv_translate_sys_error(errno);
    log_warn_r(r, "notifying the service manager (%s)", state_line(state));
  }
  if (fd >= 0)
    close(fd);
  return r;
}

int ftpd_notify_stderr_is_journal(void) {
  const char *v = getenv("JOURNAL_STREAM");
  unsigned long long dev, ino;
  struct stat st;

  if (v == NULL || sscanf(v, "%llu:%llu", &dev, &ino) != 2 ||
      fstat(STDERR_FILENO, &st) != 0)
    return 0;
  return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}
