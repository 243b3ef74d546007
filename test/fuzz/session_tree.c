/*
 * session_tree.c: the throwaway tree of fuzz_session and its confinement
 * checks (see session_tree.h).
 */
#include "session_tree.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

/* The canary's fixed mtime: 2001-02-03 04:05:06 UTC. */
#define CANARY_MTIME 981173106

/* What changes a tree; beside the root, also any open or read. */
#define CHANGES                                                               \
  (IN_ATTRIB | IN_CREATE | IN_DELETE | IN_DELETE_SELF | IN_MODIFY |           \
   IN_MOVED_FROM | IN_MOVED_TO | IN_MOVE_SELF | IN_CLOSE_WRITE)
#define TOUCHES (CHANGES | IN_OPEN | IN_ACCESS)

static char top[256];
static char root[300];
static char outside[300];
static int ino = -1;                 /* the inotify descriptor */
static int wd_top = -1, wd_outside = -1, wd_canary = -1;
static int sealed;                   /* events in D are breaches from now */
static int dirty = 1;                /* the root must be rebuilt */

static void die(const char *what, const char *path) {
  fprintf(stderr, "session_tree: %s %s: %s\n", what, path, strerror(errno));
  abort();
}

static void write_file(int dirfd, const char *name, const void *p, size_t n,
                       unsigned mode) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);

  if (fd < 0 || write(fd, p, n) != (ssize_t)n || fchmod(fd, mode) != 0)
    die("cannot write", name);
  close(fd);
}

/* Remove everything beneath the directory fd (which it closes).  Modes are
 * reset first: a session may have made a directory unreadable. */
static void wipe_dir(int fd) {
  DIR *d = fdopendir(fd);
  struct dirent *e;
  struct stat st;
  int sub;

  if (d == NULL)
    die("cannot read", "a directory");
  while ((e = readdir(d)) != NULL) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    if (fstatat(fd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      die("cannot stat", e->d_name);
    if (S_ISDIR(st.st_mode)) {
      fchmodat(fd, e->d_name, 0700, 0);
      sub = openat(fd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sub < 0)
        die("cannot open", e->d_name);
      wipe_dir(sub);
      if (unlinkat(fd, e->d_name, AT_REMOVEDIR) != 0)
        die("cannot remove", e->d_name);
    } else if (unlinkat(fd, e->d_name, 0) != 0) {
      die("cannot remove", e->d_name);
    }
  }
  closedir(d);
}

static void make_canary(void) {
  char buf[FUZZ_CANARY_SIZE];
  struct timeval tv[2] = {{CANARY_MTIME, 0}, {CANARY_MTIME, 0}};
  char path[400];

  memset(buf, 'c', sizeof(buf));
  snprintf(path, sizeof(path), "%s/canary", outside);
  if (mkdir(outside, 0700) != 0)
    die("cannot make", outside);
  write_file(AT_FDCWD, path, buf, sizeof(buf), 0600);
  if (utimes(path, tv) != 0)
    die("cannot set the time of", path);
}

const char *tree_setup(void) {
  const char *tmp = getenv("TMPDIR");

  snprintf(top, sizeof(top), "%s/fuzz_session.XXXXXX",
           tmp != NULL && tmp[0] == '/' ? tmp : "/tmp");
  if (mkdtemp(top) == NULL)
    die("cannot make", top);
  snprintf(root, sizeof(root), "%s/root", top);
  snprintf(outside, sizeof(outside), "%s/outside", top);
  make_canary();
  if (mkdir(root, 0755) != 0)
    die("cannot make", root);
  if ((ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC)) < 0)
    die("inotify for", top);
  return top;
}

const char *tree_root(void) { return root; }

/* Read every pending event; RETURNS: 1 if the root changed.  Events
 * beside the root abort once the harness has sealed D. */
static int drain(void) {
  char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
  const struct inotify_event *e;
  ssize_t n;
  char *p;
  int changed = 0;

  while ((n = read(ino, buf, sizeof(buf))) > 0) {
    for (p = buf; p < buf + n; p += sizeof(*e) + e->len) {
      e = (const struct inotify_event *)p;
      if (e->mask & IN_Q_OVERFLOW) {
        changed = 1; /* cannot tell: rebuild, and check the canary below */
        continue;
      }
      if (!sealed || e->mask & IN_IGNORED)
        continue;
      if ((e->wd == wd_top && !(e->len > 0 && strcmp(e->name, "root") == 0)) ||
          e->wd == wd_outside || e->wd == wd_canary) {
        fprintf(stderr, "session_tree: %s beside the root: event %#x on %s%s%s\n",
                top, e->mask, e->wd == wd_top ? top : e->wd == wd_outside ? outside : "the canary",
                e->len > 0 ? "/" : "", e->len > 0 ? e->name : "");
        abort();
      }
      changed = 1;
    }
  }
  return changed;
}

static void watch(const char *path, uint32_t mask) {
  if (inotify_add_watch(ino, path, mask) < 0)
    die("cannot watch", path);
}

static void build(void) {
  static const char hello[] = "Hello, world!\r\nSecond line\n";
  unsigned char bin[256];
  int fd, i;

  fchmodat(AT_FDCWD, root, 0755, 0);
  if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    die("cannot open", root);
  wipe_dir(fd);
  if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    die("cannot open", root);
  for (i = 0; i < 256; i++)
    bin[i] = (unsigned char)i;
  write_file(fd, "hello.txt", hello, sizeof(hello) - 1, 0644);
  write_file(fd, "data.bin", bin, sizeof(bin), 0644);
  write_file(fd, "ro.txt", hello, 5, 0444);
  write_file(fd, "name with spaces.txt", "x\n", 2, 0644);
  if (mkdirat(fd, "dir", 0755) != 0 || mkdirat(fd, "dir/sub", 0755) != 0 ||
      mkdirat(fd, "empty", 0755) != 0 || mkdirat(fd, "locked", 0755) != 0)
    die("cannot make directories in", root);
  write_file(fd, "dir/sub/deep.txt", hello, sizeof(hello) - 1, 0600);
  write_file(fd, "dir/notes.md", "# notes\n", 8, 0644);
  write_file(fd, "locked/secret", "s\n", 2, 0600);
  if (fchmodat(fd, "locked", 0, 0) != 0 || mkfifoat(fd, "fifo", 0644) != 0 ||
      symlinkat("hello.txt", fd, "link-in") != 0 ||
      symlinkat("dir", fd, "link-dir") != 0 ||
      symlinkat("../outside", fd, "escape") != 0 ||
      symlinkat("../outside/canary", fd, "escape-file") != 0 ||
      symlinkat("/etc/passwd", fd, "abs-escape") != 0 ||
      symlinkat("loop", fd, "loop") != 0)
    die("cannot populate", root);
  close(fd);
}

void tree_reset(void) {
  static const char *const dirs[] = {"", "/dir", "/dir/sub", "/empty", "/locked"};
  char path[400];
  size_t i;

  if (!dirty)
    return;
  build();
  for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
    snprintf(path, sizeof(path), "%s%s", root, dirs[i]);
    watch(path, CHANGES);
  }
  /* What build() did is not news; a breach cannot happen meanwhile. */
  sealed = 0;
  drain();
  sealed = 1;
  dirty = 0;
}

static void check_canary(void) {
  char path[400];
  struct stat st;

  snprintf(path, sizeof(path), "%s/canary", outside);
  if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
      st.st_size != FUZZ_CANARY_SIZE || (st.st_mode & 07777) != 0600 ||
      st.st_mtime != CANARY_MTIME) {
    fprintf(stderr, "session_tree: the canary %s was changed\n", path);
    abort();
  }
}

void tree_seal(void) {
  char path[400];

  snprintf(path, sizeof(path), "%s/canary", outside);
  wd_top = inotify_add_watch(ino, top, CHANGES);
  wd_outside = inotify_add_watch(ino, outside, TOUCHES);
  wd_canary = inotify_add_watch(ino, path, TOUCHES);
  if (wd_top < 0 || wd_outside < 0 || wd_canary < 0)
    die("cannot watch", top);
  drain();
  sealed = 1;
}

void tree_check(void) {
  if (drain())
    dirty = 1;
  if (dirty)
    check_canary(); /* also after a lost event (IN_Q_OVERFLOW) */
}

void tree_remove(void) {
  int fd;

  if (ino >= 0)
    close(ino);
  ino = -1;

  if (top[0] == '\0' || (fd = open(top, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
    return;
  fchmodat(AT_FDCWD, root, 0755, 0);
  wipe_dir(fd);
  rmdir(top);
  top[0] = '\0';
}
