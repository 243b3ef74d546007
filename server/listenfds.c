/*
 * listenfds.c: parse and check LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES.
 */
#include "listenfds.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "log.h"

/* sd_listen_fds(3): the first passed descriptor. */
#define LISTEN_FDS_START 3

static int parse_count(const char *v, unsigned long max, unsigned long *out) {
  char *end;

  errno = 0;
  *out = strtoul(v, &end, 10);
  return v[0] != 0 && *end == 0 && errno == 0 && *out <= max ? 0 : UV_EINVAL;
}

/* Name number i of the colon-separated list (NULL list: every name is
 * "unknown", as systemd writes for unnamed sockets). */
static void nth_name(const char *names, unsigned i, char *out, size_t outlen) {
  const char *p = names, *colon;
  size_t len;

  snprintf(out, outlen, "unknown");
  if (names == NULL)
    return;
  for (; i > 0 && p != NULL; i--)
    p = (colon = strchr(p, ':')) != NULL ? colon + 1 : NULL;
  if (p == NULL)
    return;
  colon = strchr(p, ':');
  len = colon != NULL ? (size_t)(colon - p) : strlen(p);
  if (len >= outlen)
    len = outlen - 1;
  memcpy(out, p, len);
  out[len] = 0;
}

static unsigned count_names(const char *names) {
  unsigned n = 1;

  for (; *names != 0; names++)
    n += *names == ':';
  return n;
}

/* The descriptor must be a listening TCP (stream, IPv4 or IPv6) socket. */
static int check_socket(int fd, const char *name) {
  int type = 0, listening = 0;
  struct sockaddr_storage sa;
  socklen_t len = sizeof(type), salen = sizeof(sa);

  if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0 ||
      getsockname(fd, (struct sockaddr *)&sa, &salen) != 0) {
    log_err("LISTEN_FDS: descriptor %d (%s): not a socket", fd, name);
    return UV_EINVAL;
  }
  len = sizeof(listening);
  if (type != SOCK_STREAM || (sa.ss_family != AF_INET && sa.ss_family != AF_INET6) ||
      getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || !listening) {
    log_err("LISTEN_FDS: descriptor %d (%s): not a listening TCP socket "
            "(ListenStream= in the socket unit)", fd, name);
    return UV_EINVAL;
  }
  return 0;
}

static int take(int fd, const char *name, struct ftpd_listenfd *out) {
  int r;

  if (strcmp(name, "ftp") == 0)
    out->implicit = 0;
  else if (strcmp(name, "ftps") == 0)
    out->implicit = 1;
  else {
    log_err("LISTEN_FDS: descriptor %d is named \"%s\": name each socket "
            "\"ftp\" (explicit) or \"ftps\" (implicit TLS) with "
            "FileDescriptorName= in its socket unit", fd, name);
    return UV_EINVAL;
  }
  if ((r = check_socket(fd, name)) != 0)
    return r;
  /* Security: nothing ftpd might start inherits the listeners. */
  if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
    return uv_translate_sys_error(errno);
  out->fd = fd;
  return 0;
}

static void forget_environment(void) {
  unsetenv("LISTEN_PID");
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_FDNAMES");
}

int ftpd_listenfds_get(struct ftpd_listenfd *out, unsigned *n) {
  const char *pid_s = getenv("LISTEN_PID"), *fds_s = getenv("LISTEN_FDS");
  const char *names = getenv("LISTEN_FDNAMES");
  unsigned long pid, count;
  char name[256];
  unsigned i;
  int r = 0;

  *n = 0;
  if (pid_s == NULL || fds_s == NULL)
    return 0;
  if (parse_count(pid_s, (unsigned long)-1, &pid) != 0 || pid != (unsigned long)getpid()) {
    /* Meant for another process (we inherited the variables). */
    forget_environment();
    return 0;
  }
  if (parse_count(fds_s, FTPD_LISTENFDS_MAX, &count) != 0 ||
      (names != NULL && count > 0 && count_names(names) != count)) {
    log_err("LISTEN_FDS=%s LISTEN_FDNAMES=%s: a count of at most %d sockets, "
            "one name each, was expected", fds_s, names != NULL ? names : "",
            FTPD_LISTENFDS_MAX);
    forget_environment();
    return UV_EINVAL;
  }
  for (i = 0; i < count && r == 0; i++) {
    nth_name(names, i, name, sizeof(name));
    r = take(LISTEN_FDS_START + (int)i, name, &out[i]);
  }
  forget_environment();
  if (r == 0)
    *n = (unsigned)count;
  return r;
}
