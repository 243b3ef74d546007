/*
 * dest.c: where a download goes: the target of LOCAL's links, and whether
 * it is written in place (a device, FIFO or socket) or through .part.
 */
#include "dest.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Links followed by hand (dangling ones), as the kernel's MAXSYMLINKS. */
#define LINKS_MAX 40

static int copy_path(char *out, const char *in) {
  int n = snprintf(out, FTPC_DEST_PATH_MAX, "%s", in);
  return n < 0 || n >= FTPC_DEST_PATH_MAX ? UV_ENAMETOOLONG : 0;
}

/* The path a link at link_path points to: its text, relative to the
 * link's own directory unless absolute.  lfd: O_PATH of the link. */
static int link_target(int lfd, const char *link_path, char *out) {
  char text[FTPC_DEST_PATH_MAX];
  const char *slash = strrchr(link_path, '/');
  int dir = slash != NULL ? (int)(slash - link_path) + 1 : 0;
  ssize_t len = readlinkat(lfd, "", text, sizeof(text) - 1);
  int n;

  if (len < 0)
    return -errno;
  if ((size_t)len >= sizeof(text) - 1)
    return UV_ENAMETOOLONG;
  text[len] = 0;
  n = text[0] == '/' ? snprintf(out, FTPC_DEST_PATH_MAX, "%s", text)
                     : snprintf(out, FTPC_DEST_PATH_MAX, "%.*s%s", dir, link_path, text);
  return n < 0 || n >= FTPC_DEST_PATH_MAX ? UV_ENAMETOOLONG : 0;
}

/* The kernel's own name of an open file. */
static int name_of_fd(int fd, char *out) {
  char proc[64];
  ssize_t len;

  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  if ((len = readlink(proc, out, FTPC_DEST_PATH_MAX - 1)) < 0)
    return -errno;
  if (len >= FTPC_DEST_PATH_MAX - 1)
    return UV_ENAMETOOLONG;
  out[len] = 0;
  return 0;
}

static int is_link(const char *path) {
  struct stat st;
  int fd = open(path, O_PATH | O_NOFOLLOW | O_CLOEXEC), r;

  if (fd < 0)
    return 0;
  r = fstat(fd, &st) == 0 && S_ISLNK(st.st_mode);
  close(fd);
  return r;
}

/*
 * Open cur (links followed by the kernel) as O_PATH into *pfd.  A link
 * whose target does not exist yet is followed by hand: cur becomes its
 * target, until a file exists (*pfd >= 0) or a name does not (*pfd == -1:
 * cur is the file to create).
 */
static int resolve(char *cur, int *pfd) {
  char next[FTPC_DEST_PATH_MAX];
  struct stat st;
  int links, lfd, r;

  for (links = 0; links <= LINKS_MAX; links++) {
    if ((*pfd = open(cur, O_PATH | O_CLOEXEC)) >= 0)
      return 0;
    /* Security: EACCES here may be protected_symlinks refusing a link in
     * a sticky directory; it is returned, never worked around. */
    if (errno != ENOENT)
      return -errno;
    if ((lfd = open(cur, O_PATH | O_NOFOLLOW | O_CLOEXEC)) < 0)
      return errno == ENOENT ? 0 : -errno;
    /* cur exists, its target does not: a dangling link (the kernel let us
     * follow it, or it would have said EACCES). */
    r = fstat(lfd, &st) != 0 ? -errno : !S_ISLNK(st.st_mode) ? UV_EAGAIN
                                                             : link_target(lfd, cur, next);
    close(lfd);
    if (r != 0)
      return r;
    memcpy(cur, next, sizeof(next));
  }
  return UV_ELOOP;
}

/* A special file: open it for writing through its O_PATH descriptor, so
 * that it is this very file, whatever its name points to by now. */
static int open_in_place(int pfd, const struct stat *st, uv_file *fd) {
  char proc[64];
  int f;

  if (S_ISSOCK(st->st_mode))
    return UV_ENOTSUP;
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", pfd);
  if ((f = open(proc, O_WRONLY | O_NOCTTY | O_CLOEXEC)) < 0)
    return -errno;
  *fd = f;
  return 0;
}

int ftpc_dest_open(const char *local, struct ftpc_dest *d, uv_file *fd) {
  struct stat st;
  int pfd = -1, r;

  *fd = -1;
  memset(d, 0, sizeof(*d));
  if ((r = copy_path(d->path, local)) != 0 || (r = resolve(d->path, &pfd)) != 0)
    return r;
  if (pfd < 0)
    return 0; /* a new file */
  if (fstat(pfd, &st) != 0)
    r = -errno;
  else if (S_ISDIR(st.st_mode))
    r = UV_EISDIR;
  else if (S_ISREG(st.st_mode))
    /* Through links, the .part file goes beside the file they end at. */
    r = is_link(d->path) ? name_of_fd(pfd, d->path) : 0;
  else if ((r = open_in_place(pfd, &st, fd)) == 0)
    d->in_place = 1;
  close(pfd);
  return r;
}
