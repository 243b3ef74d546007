/*
 * fs.c: the confined filesystem of one session.  Every path is normalised
 * into a virtual path, then resolved by the kernel beneath the session's
 * root descriptor with openat2(RESOLVE_IN_ROOT); operations on a last
 * component act on its parent's descriptor with the *at() calls.
 */
#include "fs.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"

/* glibc 2.36 knows neither fchmodat2 (Linux 6.6) nor its number, which is
 * the same on every architecture (the unified table starting at 424). */
#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452
#endif

/* Security: RESOLVE_IN_ROOT makes the root descriptor "/" for the whole
 * resolution, symlink targets included; RESOLVE_NO_MAGICLINKS refuses the
 * /proc/<pid>/fd style links, which would otherwise jump to any open file
 * of the daemon if a procfs were ever reachable inside a root. */
#define FTP_FS_RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

/* How often a resolution that the kernel aborted because of a concurrent
 * rename (EAGAIN), or an open that found a different file than its check
 * (a swap between the two), is tried again before giving up. */
#define FTP_FS_RETRIES 8

/* STOU: suffixes tried after base, and random names tried without base. */
#define FTP_FS_STOU_SUFFIX_MAX 999
#define FTP_FS_STOU_RANDOM_TRIES 64

/* Flags ftp_fs_open accepts from its caller. */
#define FTP_FS_OPEN_FLAGS (O_ACCMODE | O_CREAT | O_EXCL | O_APPEND)

int ftp_fs_supported(void) {
  struct open_how how;
  long fd;

  memset(&how, 0, sizeof(how));
  how.flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
  how.resolve = FTP_FS_RESOLVE;
  fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof(how));
  if (fd < 0)
    return 0;
  close((int)fd);
  return 1;
}

int ftp_fs_init(struct ftp_fs *fs, const char *root_dir, unsigned umask,
                int readonly) {
  memset(fs, 0, sizeof(*fs));
  fs->root_fd = -1;
  fs->cwd[0] = '/';
  fs->cwd[1] = '\0';
  fs->umask = umask & 0777;
  fs->readonly = readonly != 0;
  fs->root_fd = open(root_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fs->root_fd < 0)
    return -errno;
  return 0;
}

void ftp_fs_close(struct ftp_fs *fs) {
  if (fs == NULL || fs->root_fd < 0)
    return;
  close(fs->root_fd);
  fs->root_fd = -1;
}

static void close_fd(int fd) {
  int saved = errno;

  if (fd >= 0)
    close(fd);
  errno = saved;
}

/* Append "/" and one component to the path being built in out. */
static int vpath_push(char *out, size_t n, size_t *len, const char *comp,
                      size_t clen) {
  if (clen > n || *len + 1 + clen + 1 > n)
    return UV_ENAMETOOLONG;
  out[(*len)++] = '/';
  memcpy(out + *len, comp, clen);
  *len += clen;
  out[*len] = '\0';
  return 0;
}

/* Add the components of p to out: "" and "." vanish, ".." drops the last
 * component.  The check of ".." is lexical on purpose: the kernel never sees
 * a ".." that came from a client, so what PWD shows is what was resolved. */
static int vpath_add(char *out, size_t n, size_t *len, const char *p) {
  const char *s, *e;
  size_t clen;
  int r;

  for (s = p; *s != '\0'; s = e) {
    while (*s == '/')
      s++;
    for (e = s; *e != '\0' && *e != '/'; e++)
      ;
    clen = (size_t)(e - s);
    if (clen == 0 || (clen == 1 && s[0] == '.'))
      continue;
    if (clen == 2 && s[0] == '.' && s[1] == '.') {
      while (*len > 0 && out[*len - 1] != '/')
        (*len)--;
      if (*len > 0)
        (*len)--;
      out[*len] = '\0';
      continue;
    }
    if ((r = vpath_push(out, n, len, s, clen)) != 0)
      return r;
  }
  return 0;
}

int ftp_fs_vpath(const struct ftp_fs *fs, const char *arg, char *out,
                 size_t n) {
  size_t len = 0;
  int r;

  if (n < 2)
    return UV_ENAMETOOLONG;
  if (n > FTP_PATH_MAX)
    n = FTP_PATH_MAX;
  if (strnlen(arg, FTP_PATH_MAX) >= FTP_PATH_MAX)
    return UV_ENAMETOOLONG;
  out[0] = '\0';
  if (arg[0] != '/' && (r = vpath_add(out, n, &len, fs->cwd)) != 0)
    return r;
  if ((r = vpath_add(out, n, &len, arg)) != 0)
    return r;
  if (len == 0) {
    out[0] = '/';
    out[1] = '\0';
  }
  return 0;
}

/* Resolve a virtual path beneath the root and open it with flags. */
static int resolve(const struct ftp_fs *fs, const char *vpath, int flags,
                   mode_t mode, int *fd) {
  struct open_how how;
  const char *rel;
  long r;
  int i;

  *fd = -1;
  memset(&how, 0, sizeof(how));
  how.flags = (uint64_t)(unsigned)(flags | O_CLOEXEC);
  how.mode = (flags & O_CREAT) != 0 ? mode : 0;
  how.resolve = FTP_FS_RESOLVE;
  /* A virtual path always starts with "/"; the kernel would take the
   * absolute form relative to the root too, but the relative form states
   * the intent. */
  rel = vpath[1] == '\0' ? "." : vpath + 1;
  for (i = 0; i < FTP_FS_RETRIES; i++) {
    r = syscall(SYS_openat2, fs->root_fd, rel, &how, sizeof(how));
    if (r >= 0) {
      *fd = (int)r;
      return 0;
    }
    /* EAGAIN: a rename or mount raced with a ".." inside a symlink target
     * and the kernel could not prove the walk stayed inside; try again. */
    if (errno != EAGAIN)
      break;
  }
  /* Security: with RESOLVE_IN_ROOT, EXDEV means the walk would have left
   * the root; report it as an escape so that the caller can log it. */
  if (errno == EXDEV)
    return FTP_E_ESCAPE;
  return -errno;
}

static int stat_fd(int fd, struct stat *st) {
  return fstat(fd, st) == 0 ? 0 : -errno;
}

/* Split a virtual path in place into its parent ("/" for a top-level name)
 * and its last component.  vpath must not be "/". */
static const char *vpath_split(char *vpath, const char **parent) {
  char *slash = strrchr(vpath, '/');

  *slash = '\0';
  *parent = slash == vpath ? "/" : vpath;
  return slash + 1;
}

static int is_root(const char *vpath) { return vpath[1] == '\0'; }

/* Resolve the parent of vpath (modified in place) as an O_PATH directory
 * and point *name at the last component. */
static int parent_of(const struct ftp_fs *fs, char *vpath, int *pfd,
                     const char **name) {
  const char *parent;

  *name = vpath_split(vpath, &parent);
  return resolve(fs, parent, O_PATH | O_DIRECTORY, 0, pfd);
}

/* The virtual path of arg and its parent descriptor, for the calls that act
 * on a last component.  The root has no parent: root_err says what to
 * return for it. */
static int vpath_parent(const struct ftp_fs *fs, const char *arg,
                        char *vpath, int root_err, int *pfd,
                        const char **name) {
  int r;

  *pfd = -1;
  if ((r = ftp_fs_vpath(fs, arg, vpath, FTP_PATH_MAX)) != 0)
    return r;
  if (is_root(vpath))
    return root_err;
  return parent_of(fs, vpath, pfd, name);
}

/* Open one entry of a directory as O_PATH without following it.
 * Security: name is one component (no slash, never "." or ".."), so with
 * O_NOFOLLOW the result is that very entry of pfd, which is inside the
 * root. */
static int open_entry(int pfd, const char *name, int *fd) {
  *fd = openat(pfd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
  return *fd < 0 ? -errno : 0;
}

/* chmod through a descriptor, O_PATH ones included.  fchmodat2 takes the
 * descriptor itself (AT_EMPTY_PATH); before Linux 6.6, the /proc link of
 * the descriptor leads the kernel to exactly the same inode. */
static int chmod_fd(int fd, mode_t mode) {
  char proc[64];

  if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno != ENOSYS)
    return -errno;
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  if (chmod(proc, mode) == 0)
    return 0;
  return errno == ENOENT ? UV_ENOSYS : -errno;
}

/* utimensat through a descriptor, with the same fallback: kernels before
 * 5.8 reject AT_EMPTY_PATH here with EINVAL. */
static int utimes_fd(int fd, const struct timespec ts[2]) {
  char proc[64];

  if (utimensat(fd, "", ts, AT_EMPTY_PATH) == 0)
    return 0;
  if (errno != EINVAL)
    return -errno;
  snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
  if (utimensat(AT_FDCWD, proc, ts, 0) == 0)
    return 0;
  return errno == ENOENT ? UV_EINVAL : -errno;
}

/* Give a just-created object exactly the mode the session asked for: the
 * kernel also applied the process umask, which is process-wide state this
 * module does not own.  A directory keeps a setgid bit it inherited.  A
 * failure leaves the stricter mode the kernel chose, which is safe, so it
 * is not reported.  Security: anything but a directory or a regular file
 * (a symlink swapped in after mkdirat) is left alone. */
static void fix_mode(int fd, mode_t want) {
  struct stat st;

  if (fstat(fd, &st) != 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
    return;
  if (S_ISDIR(st.st_mode))
    want |= st.st_mode & S_ISGID;
  if ((st.st_mode & 07777) != want)
    (void)chmod_fd(fd, want);
}

/* Only regular files carry data. */
static int check_regular(const struct stat *st) {
  if (S_ISDIR(st->st_mode))
    return UV_EISDIR;
  if (!S_ISREG(st->st_mode))
    return UV_EPERM;
  return 0;
}

/* Open an existing regular file.  Security: the object is first looked at
 * through an O_PATH descriptor, which opens nothing, so a FIFO or a device
 * is refused before any open(2) that could block or act on it.  The real
 * open then resolves the path again, non-blocking and without acquiring a
 * controlling terminal, and must find the same inode, still regular. */
static int open_existing(const struct ftp_fs *fs, const char *vpath,
                         int flags, int *fd) {
  struct stat pre, post;
  int pfd = -1, f = -1, fl, r;

  *fd = -1;
  if ((r = resolve(fs, vpath, O_PATH, 0, &pfd)) != 0 ||
      (r = stat_fd(pfd, &pre)) != 0 || (r = check_regular(&pre)) != 0)
    goto out;
  if ((r = resolve(fs, vpath, flags | O_NONBLOCK | O_NOCTTY, 0, &f)) != 0 ||
      (r = stat_fd(f, &post)) != 0 || (r = check_regular(&post)) != 0)
    goto out;
  if (pre.st_dev != post.st_dev || pre.st_ino != post.st_ino) {
    r = UV_EAGAIN;
    goto out;
  }
  /* The data path expects a blocking descriptor. */
  if ((fl = fcntl(f, F_GETFL)) < 0 || fcntl(f, F_SETFL, fl & ~O_NONBLOCK) < 0) {
    r = -errno;
    goto out;
  }
  *fd = f;
  f = -1;
  r = 0;
out:
  close_fd(pfd);
  close_fd(f);
  return r;
}

/* Create a new regular file.  O_EXCL never follows a symlink in the last
 * component, so a dangling link is not written through (EEXIST). */
static int create_new(const struct ftp_fs *fs, const char *vpath, int flags,
                      int *fd) {
  mode_t mode = 0666 & ~(mode_t)fs->umask;
  int r;

  flags = (flags & (O_ACCMODE | O_APPEND)) | O_CREAT | O_EXCL | O_NOCTTY;
  if ((r = resolve(fs, vpath, flags, mode, fd)) != 0)
    return r;
  fix_mode(*fd, mode);
  return 0;
}

int ftp_fs_open(const struct ftp_fs *fs, const char *arg, int flags,
                int *fd) {
  char vpath[FTP_PATH_MAX];
  int acc = flags & O_ACCMODE;
  int i, r;

  *fd = -1;
  if ((flags & ~FTP_FS_OPEN_FLAGS) != 0 || acc == O_RDWR ||
      (acc == O_RDONLY && (flags & ~O_ACCMODE) != 0) ||
      ((flags & O_EXCL) != 0 && (flags & O_CREAT) == 0))
    return UV_EINVAL;
  if (acc != O_RDONLY && fs->readonly)
    return UV_EACCES;
  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0)
    return r;
  if (acc == O_RDONLY || (flags & O_CREAT) == 0)
    return open_existing(fs, vpath, flags, fd);
  if ((flags & O_EXCL) != 0)
    return create_new(fs, vpath, flags, fd);
  /* Open what exists, else create; a file appearing or vanishing between
   * the two sends us round again. */
  for (i = 0; i < FTP_FS_RETRIES; i++) {
    r = open_existing(fs, vpath, flags & ~O_CREAT, fd);
    if (r != UV_ENOENT)
      return r;
    r = create_new(fs, vpath, flags, fd);
    if (r != UV_EEXIST)
      return r;
  }
  /* Still EEXIST: the name is a dangling symlink, which is not followed. */
  return r;
}

int ftp_fs_stat(const struct ftp_fs *fs, const char *arg, struct stat *st) {
  char vpath[FTP_PATH_MAX];
  int fd = -1, r;

  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0 ||
      (r = resolve(fs, vpath, O_PATH, 0, &fd)) != 0 ||
      (r = stat_fd(fd, st)) != 0)
    goto out;
  r = 0;
out:
  close_fd(fd);
  return r;
}

int ftp_fs_opendir(const struct ftp_fs *fs, const char *arg, int *dirfd) {
  char vpath[FTP_PATH_MAX];
  int r;

  *dirfd = -1;
  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0)
    return r;
  return resolve(fs, vpath, O_RDONLY | O_DIRECTORY, 0, dirfd);
}

int ftp_fs_chdir(struct ftp_fs *fs, const char *arg) {
  char vpath[FTP_PATH_MAX];
  int fd = -1, r;

  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0 ||
      (r = resolve(fs, vpath, O_PATH | O_DIRECTORY, 0, &fd)) != 0)
    goto out;
  memcpy(fs->cwd, vpath, strlen(vpath) + 1);
  r = 0;
out:
  close_fd(fd);
  return r;
}

int ftp_fs_open_parent(const struct ftp_fs *fs, const char *arg, int *dirfd,
                       char *name, size_t n) {
  char vpath[FTP_PATH_MAX];
  const char *last = NULL;
  size_t len;
  int r;

  *dirfd = -1;
  if ((r = vpath_parent(fs, arg, vpath, UV_EPERM, dirfd, &last)) != 0)
    return r;
  len = strlen(last);
  if (len >= n) {
    close_fd(*dirfd);
    *dirfd = -1;
    return UV_ENAMETOOLONG;
  }
  memcpy(name, last, len + 1);
  return 0;
}

/* Copy a virtual path to a caller's buffer, if it wants one. */
static int copy_out(const char *vpath, char *out, size_t n) {
  size_t len = strlen(vpath);

  if (out == NULL || n == 0)
    return 0;
  if (len >= n)
    return UV_ENAMETOOLONG;
  memcpy(out, vpath, len + 1);
  return 0;
}

int ftp_fs_mkdir(const struct ftp_fs *fs, const char *arg, char *vpath_out,
                 size_t n) {
  char vpath[FTP_PATH_MAX];
  const char *name = NULL;
  mode_t mode = 0777 & ~(mode_t)fs->umask;
  int pfd = -1, fd = -1, r;

  if (fs->readonly)
    return UV_EACCES;
  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0 ||
      (r = copy_out(vpath, vpath_out, n)) != 0)
    goto out;
  if (is_root(vpath)) {
    r = UV_EEXIST;
    goto out;
  }
  if ((r = parent_of(fs, vpath, &pfd, &name)) != 0)
    goto out;
  if (mkdirat(pfd, name, mode) != 0) {
    r = -errno;
    goto out;
  }
  if (open_entry(pfd, name, &fd) == 0)
    fix_mode(fd, mode);
  r = 0;
out:
  close_fd(pfd);
  close_fd(fd);
  return r;
}

/* rmdir and unlink: unlinkat never follows the last component. */
static int remove_entry(const struct ftp_fs *fs, const char *arg, int flag) {
  char vpath[FTP_PATH_MAX];
  const char *name = NULL;
  int pfd = -1, r;

  if (fs->readonly)
    return UV_EACCES;
  if ((r = vpath_parent(fs, arg, vpath, UV_EPERM, &pfd, &name)) != 0)
    goto out;
  r = unlinkat(pfd, name, flag) == 0 ? 0 : -errno;
out:
  close_fd(pfd);
  return r;
}

int ftp_fs_rmdir(const struct ftp_fs *fs, const char *arg) {
  return remove_entry(fs, arg, AT_REMOVEDIR);
}

int ftp_fs_unlink(const struct ftp_fs *fs, const char *arg) {
  return remove_entry(fs, arg, 0);
}

int ftp_fs_rename(const struct ftp_fs *fs, const char *from, const char *to) {
  char vfrom[FTP_PATH_MAX], vto[FTP_PATH_MAX];
  const char *nfrom = NULL, *nto = NULL;
  int pfrom = -1, pto = -1, r;

  if (fs->readonly)
    return UV_EACCES;
  if ((r = vpath_parent(fs, from, vfrom, UV_EPERM, &pfrom, &nfrom)) != 0 ||
      (r = vpath_parent(fs, to, vto, UV_EPERM, &pto, &nto)) != 0)
    goto out;
  /* EXDEV from renameat itself is a genuine cross-device rename between
   * two filesystems mounted inside the root, not an escape. */
  r = renameat(pfrom, nfrom, pto, nto) == 0 ? 0 : -errno;
out:
  close_fd(pfrom);
  close_fd(pto);
  return r;
}

/* The object chmod or set_mtime acts on: the root itself, or the last
 * component opened O_PATH without following it; a symlink is refused. */
static int open_target(const struct ftp_fs *fs, const char *arg, int *fd) {
  char vpath[FTP_PATH_MAX];
  const char *name = NULL;
  struct stat st;
  int pfd = -1, r;

  *fd = -1;
  if ((r = ftp_fs_vpath(fs, arg, vpath, sizeof(vpath))) != 0)
    return r;
  if (is_root(vpath))
    return resolve(fs, vpath, O_PATH | O_DIRECTORY, 0, fd);
  if ((r = parent_of(fs, vpath, &pfd, &name)) != 0 ||
      (r = open_entry(pfd, name, fd)) != 0 || (r = stat_fd(*fd, &st)) != 0)
    goto out;
  /* Security: a symlink's own mode means nothing on Linux, and acting on
   * its target would let a link lend its name to the change. */
  r = S_ISLNK(st.st_mode) ? UV_EPERM : 0;
out:
  close_fd(pfd);
  if (r != 0) {
    close_fd(*fd);
    *fd = -1;
  }
  return r;
}

int ftp_fs_chmod(const struct ftp_fs *fs, const char *arg, unsigned mode) {
  int fd = -1, r;

  if (mode > 07777)
    return UV_EINVAL;
  if (fs->readonly)
    return UV_EACCES;
  /* Security: see the header; ftpd may own every file as root. */
  if ((mode & (S_ISUID | S_ISGID)) != 0)
    return UV_EPERM;
  if ((r = open_target(fs, arg, &fd)) != 0 ||
      (r = chmod_fd(fd, (mode_t)mode)) != 0)
    goto out;
  r = 0;
out:
  close_fd(fd);
  return r;
}

int ftp_fs_set_mtime(const struct ftp_fs *fs, const char *arg,
                     const struct timespec *mtime) {
  struct timespec ts[2];
  int fd = -1, r;

  if (fs->readonly)
    return UV_EACCES;
  ts[0].tv_sec = 0;
  ts[0].tv_nsec = UTIME_OMIT;
  ts[1] = *mtime;
  if (ts[1].tv_nsec < 0 || ts[1].tv_nsec > 999999999)
    return UV_EINVAL;
  if ((r = open_target(fs, arg, &fd)) != 0 || (r = utimes_fd(fd, ts)) != 0)
    goto out;
  r = 0;
out:
  close_fd(fd);
  return r;
}

/* One STOU candidate: create it exclusively and report its path. */
static int try_unique(const struct ftp_fs *fs, const char *cand, int *fd,
                      char *vpath_out, size_t n) {
  int r;

  if (strlen(cand) >= n)
    return UV_ENAMETOOLONG;
  if ((r = create_new(fs, cand, O_WRONLY, fd)) != 0)
    return r;
  memcpy(vpath_out, cand, strlen(cand) + 1);
  return 0;
}

/* STOU without a base: a random name in the cwd.  Random rather than
 * counted so that a busy directory does not need a long probe. */
static int unique_random(const struct ftp_fs *fs, int *fd, char *vpath_out,
                         size_t n) {
  char cand[FTP_PATH_MAX], name[32];
  uint32_t rnd;
  int i, r = UV_EEXIST;

  for (i = 0; i < FTP_FS_STOU_RANDOM_TRIES && r == UV_EEXIST; i++) {
    if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
      return UV_EIO;
    snprintf(name, sizeof(name), "stou.%08x", (unsigned)rnd);
    if ((r = ftp_fs_vpath(fs, name, cand, sizeof(cand))) != 0)
      return r;
    r = try_unique(fs, cand, fd, vpath_out, n);
  }
  return r;
}

int ftp_fs_unique_name(const struct ftp_fs *fs, const char *base, int *fd,
                       char *vpath_out, size_t n) {
  char vbase[FTP_PATH_MAX], cand[FTP_PATH_MAX];
  int i, len, r;

  *fd = -1;
  if (fs->readonly)
    return UV_EACCES;
  if (base == NULL || base[0] == '\0')
    return unique_random(fs, fd, vpath_out, n);
  if ((r = ftp_fs_vpath(fs, base, vbase, sizeof(vbase))) != 0)
    return r;
  if (is_root(vbase))
    return UV_EPERM;
  r = try_unique(fs, vbase, fd, vpath_out, n);
  for (i = 1; i <= FTP_FS_STOU_SUFFIX_MAX && r == UV_EEXIST; i++) {
    len = snprintf(cand, sizeof(cand), "%s.%d", vbase, i);
    if (len < 0 || (size_t)len >= sizeof(cand))
      return UV_ENAMETOOLONG;
    r = try_unique(fs, cand, fd, vpath_out, n);
  }
  return r;
}
