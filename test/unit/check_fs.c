/*
 * check_fs.c: the confined session filesystem, against a real tree.
 *
 * Every test gets a fresh temporary directory holding
 *   root/      the session's root, with a few files, dirs and symlinks
 *   outside/   a sibling directory with a marker file that no operation of
 *              the session may read, write, list or delete
 * and the teardown checks that outside/ is exactly as it was created.
 *
 * Run one case with CK_RUN_CASE=hostile; slow machines can stretch the
 * timeouts with CK_TIMEOUT_MULTIPLIER.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "fs.h"

#define MARKER "MARKER: outside the root\n"
#define MARKER_MTIME 1000000000
#define DECOY "decoy inside the root\n"

/* Made by main() before the run and removed after it: a failed assertion
 * ends a forked test with _exit(), skipping its teardown, and whatever that
 * test left behind is removed with the run directory. */
static char run_dir[PATH_MAX];
static char tmp[PATH_MAX];
static char root[PATH_MAX];
static char outside[PATH_MAX];
static struct ftp_fs fs;

/* --- helpers ----------------------------------------------------------- */

static void path_in(char *out, size_t n, const char *dir, const char *rel) {
  int len = snprintf(out, n, "%s/%s", dir, rel);

  ck_assert(len > 0 && (size_t)len < n);
}

static void write_at(const char *dir, const char *rel, const char *data) {
  char p[PATH_MAX];
  int fd;

  path_in(p, sizeof(p), dir, rel);
  fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
  close(fd);
}

static void mkdir_at(const char *dir, const char *rel) {
  char p[PATH_MAX];

  path_in(p, sizeof(p), dir, rel);
  ck_assert_int_eq(mkdir(p, 0755), 0);
}

static void symlink_at(const char *dir, const char *rel, const char *target) {
  char p[PATH_MAX];

  path_in(p, sizeof(p), dir, rel);
  ck_assert_int_eq(symlink(target, p), 0);
}

static void unlink_at(const char *dir, const char *rel) {
  char p[PATH_MAX];

  path_in(p, sizeof(p), dir, rel);
  ck_assert_int_eq(unlink(p), 0);
}

static int exists_at(const char *dir, const char *rel) {
  char p[PATH_MAX];
  struct stat st;

  path_in(p, sizeof(p), dir, rel);
  return lstat(p, &st) == 0;
}

static mode_t mode_at(const char *dir, const char *rel) {
  char p[PATH_MAX];
  struct stat st;

  path_in(p, sizeof(p), dir, rel);
  ck_assert_int_eq(lstat(p, &st), 0);
  return st.st_mode & 07777;
}

/* Read a whole descriptor into buf (NUL-terminated). */
static void read_all(int fd, char *buf, size_t n) {
  ssize_t got;
  size_t off = 0;

  while (off + 1 < n && (got = read(fd, buf + off, n - 1 - off)) > 0)
    off += (size_t)got;
  buf[off] = '\0';
}

/* The outside directory holds the marker, unchanged, and nothing else. */
static void assert_outside_intact(void) {
  char p[PATH_MAX], buf[256];
  struct stat st;
  struct dirent *de;
  DIR *d;
  int fd, entries = 0;

  path_in(p, sizeof(p), outside, "marker");
  ck_assert_int_eq(lstat(p, &st), 0);
  ck_assert(S_ISREG(st.st_mode));
  ck_assert_int_eq(st.st_mode & 07777, 0644);
  ck_assert_int_eq(st.st_mtime, MARKER_MTIME);
  fd = open(p, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(fd, 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, MARKER);
  ck_assert_int_eq(lstat(outside, &st), 0);
  ck_assert_int_eq(st.st_mode & 07777, 0755);
  d = opendir(outside);
  ck_assert_ptr_nonnull(d);
  while ((de = readdir(d)) != NULL)
    if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
      entries++;
  closedir(d);
  ck_assert_int_eq(entries, 1);
}

static int rm_entry(const char *p, const struct stat *st, int flag,
                    struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  return remove(p);
}

static void remove_tree(const char *dir) {
  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- fixture ----------------------------------------------------------- */

static void setup(void) {
  struct timespec ts[2];
  char p[PATH_MAX];

  umask(022);
  path_in(tmp, sizeof(tmp), run_dir, "t.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  path_in(root, sizeof(root), tmp, "root");
  path_in(outside, sizeof(outside), tmp, "outside");
  ck_assert_int_eq(mkdir(root, 0755), 0);
  ck_assert_int_eq(mkdir(outside, 0755), 0);
  write_at(outside, "marker", MARKER);
  path_in(p, sizeof(p), outside, "marker");
  ts[0].tv_sec = ts[1].tv_sec = MARKER_MTIME;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, 0), 0);

  /* The tree inside the root. */
  write_at(root, "file", "hello world\n");
  mkdir_at(root, "sub");
  write_at(root, "sub/inner", "inner\n");
  /* Escapes, relative and absolute, to a file and to a directory. */
  symlink_at(root, "out", "../outside");
  symlink_at(root, "abs", outside);
  path_in(p, sizeof(p), outside, "marker");
  symlink_at(root, "mlink", p);
  symlink_at(root, "rmlink", "../outside/marker");
  symlink_at(root, "etc", "/etc");
  /* Links that stay inside. */
  symlink_at(root, "in", "sub");
  symlink_at(root, "flink", "file");
  symlink_at(root, "slashfile", "/file");
  ck_assert_int_eq(ftp_fs_init(&fs, root, 022, 0), 0);
}

static void teardown(void) {
  ftp_fs_close(&fs);
  assert_outside_intact();
  remove_tree(tmp);
}

/* --- virtual paths ----------------------------------------------------- */

static const struct {
  const char *cwd;
  const char *arg;
  const char *want;
} vpath_cases[] = {
    {"/", "", "/"},
    {"/", ".", "/"},
    {"/", "..", "/"},
    {"/", "../", "/"},
    {"/", "//", "/"},
    {"/", "/", "/"},
    {"/", "../../etc/passwd", "/etc/passwd"},
    {"/", "/etc/passwd", "/etc/passwd"},
    {"/", "/../../etc", "/etc"},
    {"/", "a//b/./c/", "/a/b/c"},
    {"/", "a/b/../../..", "/"},
    {"/a/b", "", "/a/b"},
    {"/a/b", "..", "/a"},
    {"/a/b", "../..", "/"},
    {"/a/b", "../../../../x", "/x"},
    {"/a/b", "dir/../../x", "/a/x"},
    {"/a/b", "/c", "/c"},
    {"/a/b", "c d ", "/a/b/c d "},
    {"/", "caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac", "/caf\xc3\xa9/\xe6\x97\xa5\xe6\x9c\xac"},
    {"/", "*.txt", "/*.txt"},
    {"/", "...", "/..."},
    {"/", "..a/.b", "/..a/.b"},
};

START_TEST(test_vpath_table) {
  char out[FTP_PATH_MAX];

  snprintf(fs.cwd, sizeof(fs.cwd), "%s", vpath_cases[_i].cwd);
  ck_assert_int_eq(ftp_fs_vpath(&fs, vpath_cases[_i].arg, out, sizeof(out)),
                   0);
  ck_assert_str_eq(out, vpath_cases[_i].want);
}
END_TEST

START_TEST(test_vpath_too_long) {
  char arg[FTP_PATH_MAX + 100], out[FTP_PATH_MAX], small[8];
  size_t i;

  /* An argument longer than any path. */
  memset(arg, 'a', sizeof(arg) - 1);
  arg[sizeof(arg) - 1] = '\0';
  ck_assert_int_eq(ftp_fs_vpath(&fs, arg, out, sizeof(out)), UV_ENAMETOOLONG);
  /* Fits as given, but not after the cwd is prepended. */
  memset(arg, 'b', FTP_PATH_MAX - 2);
  arg[FTP_PATH_MAX - 2] = '\0';
  snprintf(fs.cwd, sizeof(fs.cwd), "/dir");
  ck_assert_int_eq(ftp_fs_vpath(&fs, arg, out, sizeof(out)), UV_ENAMETOOLONG);
  /* Many short components. */
  for (i = 0; i + 2 < FTP_PATH_MAX - 1; i += 2) {
    arg[i] = 'x';
    arg[i + 1] = '/';
  }
  arg[i] = '\0';
  snprintf(fs.cwd, sizeof(fs.cwd), "/deep/er");
  ck_assert_int_eq(ftp_fs_vpath(&fs, arg, out, sizeof(out)), UV_ENAMETOOLONG);
  /* The caller's buffer is the limit. */
  ck_assert_int_eq(ftp_fs_vpath(&fs, "/abcdefgh", small, sizeof(small)),
                   UV_ENAMETOOLONG);
  ck_assert_int_eq(ftp_fs_vpath(&fs, "/abcdef", small, sizeof(small)), 0);
  ck_assert_str_eq(small, "/abcdef");
  ck_assert_int_eq(ftp_fs_vpath(&fs, "/", small, 1), UV_ENAMETOOLONG);
}
END_TEST

START_TEST(test_long_paths_refused_by_every_call) {
  char arg[FTP_PATH_MAX + 16], name[300];
  struct stat st;
  int fd = -1;

  memset(arg, 'a', sizeof(arg) - 1);
  arg[sizeof(arg) - 1] = '\0';
  ck_assert_int_eq(ftp_fs_open(&fs, arg, O_RDONLY, &fd), UV_ENAMETOOLONG);
  ck_assert_int_eq(fd, -1);
  ck_assert_int_eq(ftp_fs_open(&fs, arg, O_WRONLY | O_CREAT, &fd),
                   UV_ENAMETOOLONG);
  ck_assert_int_eq(ftp_fs_stat(&fs, arg, &st), UV_ENAMETOOLONG);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, arg, NULL, 0), UV_ENAMETOOLONG);
  ck_assert_int_eq(ftp_fs_chdir(&fs, arg), UV_ENAMETOOLONG);
  ck_assert_str_eq(fs.cwd, "/");
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", arg), UV_ENAMETOOLONG);
  ck_assert(exists_at(root, "file"));
  /* One component longer than NAME_MAX: the kernel's limit. */
  memset(name, 'n', sizeof(name) - 1);
  name[sizeof(name) - 1] = '\0';
  ck_assert_int_eq(ftp_fs_open(&fs, name, O_WRONLY | O_CREAT, &fd),
                   UV_ENAMETOOLONG);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, name, NULL, 0), UV_ENAMETOOLONG);
}
END_TEST

/* --- basics ------------------------------------------------------------ */

START_TEST(test_supported_and_init) {
  struct ftp_fs other;
  char p[PATH_MAX];

  ck_assert_int_eq(ftp_fs_supported(), 1);
  ck_assert_str_eq(fs.cwd, "/");
  ck_assert_int_eq(ftp_fs_init(&other, "/nonexistent/ftp/root", 022, 0),
                   UV_ENOENT);
  ck_assert_int_eq(other.root_fd, -1);
  ftp_fs_close(&other);
  path_in(p, sizeof(p), root, "file");
  ck_assert_int_eq(ftp_fs_init(&other, p, 022, 0), UV_ENOTDIR);
  ftp_fs_close(&other);
  ftp_fs_close(NULL);
}
END_TEST

START_TEST(test_read_write_inside) {
  char buf[128];
  int fd = -1;

  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_RDONLY, &fd), 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, "hello world\n");
  /* STOR of an existing file: no truncation here (the caller does it). */
  ck_assert_int_eq(ftp_fs_open(&fs, "/file", O_WRONLY | O_CREAT, &fd), 0);
  ck_assert_int_eq(write(fd, "HELLO", 5), 5);
  ck_assert_int_eq(fcntl(fd, F_GETFL) & O_NONBLOCK, 0);
  close(fd);
  /* APPE. */
  ck_assert_int_eq(
      ftp_fs_open(&fs, "sub/../file", O_WRONLY | O_CREAT | O_APPEND, &fd), 0);
  ck_assert_int_eq(write(fd, "+", 1), 1);
  close(fd);
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_RDONLY, &fd), 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, "HELLO world\n+");
  /* Write without O_CREAT needs the file. */
  ck_assert_int_eq(ftp_fs_open(&fs, "nope", O_WRONLY, &fd), UV_ENOENT);
  ck_assert(!exists_at(root, "nope"));
  /* O_EXCL refuses an existing file. */
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_WRONLY | O_CREAT | O_EXCL, &fd),
                   UV_EEXIST);
  /* A read through a symlink that stays inside. */
  ck_assert_int_eq(ftp_fs_open(&fs, "in/inner", O_RDONLY, &fd), 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, "inner\n");
}
END_TEST

START_TEST(test_open_flags_checked) {
  int fd = -1;

  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_RDWR, &fd), UV_EINVAL);
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_WRONLY | O_TRUNC, &fd),
                   UV_EINVAL);
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_RDONLY | O_CREAT, &fd),
                   UV_EINVAL);
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_WRONLY | O_EXCL, &fd),
                   UV_EINVAL);
  ck_assert_int_eq(ftp_fs_open(&fs, "file", O_RDONLY | O_DIRECTORY, &fd),
                   UV_EINVAL);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_directories_never_opened_for_data) {
  int fd = -1;

  ck_assert_int_eq(ftp_fs_open(&fs, "sub", O_RDONLY, &fd), UV_EISDIR);
  ck_assert_int_eq(ftp_fs_open(&fs, "sub", O_WRONLY | O_CREAT, &fd),
                   UV_EISDIR);
  ck_assert_int_eq(ftp_fs_open(&fs, "/", O_WRONLY | O_CREAT | O_APPEND, &fd),
                   UV_EISDIR);
  ck_assert_int_eq(ftp_fs_open(&fs, "in", O_RDONLY, &fd), UV_EISDIR);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_fifo_refused_without_blocking) {
  char p[PATH_MAX];
  int fd = -1;

  path_in(p, sizeof(p), root, "fifo");
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  symlink_at(root, "fifolink", "fifo");
  /* With no writer, a plain open(O_RDONLY) would block for ever; the
   * test's timeout would catch it. */
  ck_assert_int_eq(ftp_fs_open(&fs, "fifo", O_RDONLY, &fd), UV_EPERM);
  ck_assert_int_eq(ftp_fs_open(&fs, "fifolink", O_RDONLY, &fd), UV_EPERM);
  ck_assert_int_eq(ftp_fs_open(&fs, "fifo", O_WRONLY | O_CREAT, &fd),
                   UV_EPERM);
  ck_assert_int_eq(ftp_fs_open(&fs, "fifo", O_WRONLY | O_APPEND, &fd),
                   UV_EPERM);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_stat_follows_inside) {
  struct stat st, want;
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, "file");
  ck_assert_int_eq(stat(p, &want), 0);
  ck_assert_int_eq(ftp_fs_stat(&fs, "file", &st), 0);
  ck_assert_int_eq(st.st_ino, want.st_ino);
  /* A symlink is followed, inside the root: SIZE of a link is the size of
   * what RETR would send. */
  ck_assert_int_eq(ftp_fs_stat(&fs, "flink", &st), 0);
  ck_assert_int_eq(st.st_ino, want.st_ino);
  ck_assert_int_eq(st.st_size, 12);
  /* An absolute target is taken relative to the root. */
  ck_assert_int_eq(ftp_fs_stat(&fs, "slashfile", &st), 0);
  ck_assert_int_eq(st.st_ino, want.st_ino);
  ck_assert_int_eq(ftp_fs_stat(&fs, "/", &st), 0);
  ck_assert(S_ISDIR(st.st_mode));
  ck_assert_int_eq(ftp_fs_stat(&fs, "missing", &st), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_stat(&fs, "file/x", &st), UV_ENOTDIR);
}
END_TEST

START_TEST(test_chdir) {
  ck_assert_int_eq(ftp_fs_chdir(&fs, "sub"), 0);
  ck_assert_str_eq(fs.cwd, "/sub");
  ck_assert_int_eq(ftp_fs_chdir(&fs, ".."), 0);
  ck_assert_str_eq(fs.cwd, "/");
  ck_assert_int_eq(ftp_fs_chdir(&fs, ".."), 0);
  ck_assert_str_eq(fs.cwd, "/");
  ck_assert_int_eq(ftp_fs_chdir(&fs, "in"), 0);
  ck_assert_str_eq(fs.cwd, "/in");
  ck_assert_int_eq(ftp_fs_chdir(&fs, "../../../sub/"), 0);
  ck_assert_str_eq(fs.cwd, "/sub");
  ck_assert_int_eq(ftp_fs_chdir(&fs, "/file"), UV_ENOTDIR);
  ck_assert_int_eq(ftp_fs_chdir(&fs, "/missing"), UV_ENOENT);
  ck_assert_str_eq(fs.cwd, "/sub");
  /* Relative to the new cwd. */
  ck_assert_int_eq(ftp_fs_stat(&fs, "inner", &(struct stat){0}), 0);
}
END_TEST

START_TEST(test_open_parent) {
  char name[NAME_MAX + 1];
  struct stat st;
  int dfd = -1;

  ck_assert_int_eq(ftp_fs_open_parent(&fs, "sub/inner", &dfd, name,
                                      sizeof(name)),
                   0);
  ck_assert_str_eq(name, "inner");
  ck_assert_int_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
  close(dfd);
  ck_assert_int_eq(
      ftp_fs_open_parent(&fs, "mlink", &dfd, name, sizeof(name)), 0);
  ck_assert_str_eq(name, "mlink");
  ck_assert_int_eq(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
  ck_assert(S_ISLNK(st.st_mode));
  close(dfd);
  ck_assert_int_eq(ftp_fs_open_parent(&fs, "/", &dfd, name, sizeof(name)),
                   UV_EPERM);
  ck_assert_int_eq(ftp_fs_open_parent(&fs, "sub/..", &dfd, name,
                                      sizeof(name)),
                   UV_EPERM);
  ck_assert_int_eq(ftp_fs_open_parent(&fs, "sub/inner", &dfd, name, 3),
                   UV_ENAMETOOLONG);
  ck_assert_int_eq(dfd, -1);
}
END_TEST

/* --- namespace changes inside the root --------------------------------- */

START_TEST(test_mkdir_rmdir_unlink_rename) {
  char vp[FTP_PATH_MAX];

  ck_assert_int_eq(ftp_fs_mkdir(&fs, "new", vp, sizeof(vp)), 0);
  ck_assert_str_eq(vp, "/new");
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "new", vp, sizeof(vp)), UV_EEXIST);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "/", vp, sizeof(vp)), UV_EEXIST);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "x/y", vp, sizeof(vp)), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "new2", vp, 3), UV_ENAMETOOLONG);
  ck_assert(!exists_at(root, "new2"));
  /* MKD of an existing symlink does not follow it. */
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "out", vp, sizeof(vp)), UV_EEXIST);
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", "new/moved"), 0);
  ck_assert(exists_at(root, "new/moved"));
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "new"), UV_ENOTEMPTY);
  ck_assert_int_eq(ftp_fs_unlink(&fs, "new"), UV_EISDIR);
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "new/moved"), UV_ENOTDIR);
  ck_assert_int_eq(ftp_fs_unlink(&fs, "new/moved"), 0);
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "new"), 0);
  ck_assert(!exists_at(root, "new"));
  ck_assert_int_eq(ftp_fs_unlink(&fs, "new"), UV_ENOENT);
  /* RMD of a symlink to a directory does not follow it. */
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "in"), UV_ENOTDIR);
  ck_assert(exists_at(root, "sub/inner"));
  /* The root itself cannot be removed or renamed. */
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "/"), UV_EPERM);
  ck_assert_int_eq(ftp_fs_unlink(&fs, ".."), UV_EPERM);
  ck_assert_int_eq(ftp_fs_rename(&fs, "/", "x"), UV_EPERM);
  ck_assert_int_eq(ftp_fs_rename(&fs, "sub", "/"), UV_EPERM);
  /* A directory into itself. */
  ck_assert_int_eq(ftp_fs_rename(&fs, "sub", "sub/deeper"), UV_EINVAL);
}
END_TEST

START_TEST(test_umask_applied_exactly) {
  struct ftp_fs f2;
  char vp[FTP_PATH_MAX];
  int fd = -1;

  /* The process umask (022) must not leak into the session's modes. */
  umask(022);
  ck_assert_int_eq(ftp_fs_init(&f2, root, 002, 0), 0);
  ck_assert_int_eq(ftp_fs_open(&f2, "g", O_WRONLY | O_CREAT, &fd), 0);
  close(fd);
  ck_assert_int_eq(mode_at(root, "g"), 0664);
  ck_assert_int_eq(ftp_fs_mkdir(&f2, "gd", vp, sizeof(vp)), 0);
  ck_assert_int_eq(mode_at(root, "gd"), 0775);
  ftp_fs_close(&f2);

  ck_assert_int_eq(ftp_fs_init(&f2, root, 027, 0), 0);
  ck_assert_int_eq(ftp_fs_open(&f2, "p", O_WRONLY | O_CREAT | O_APPEND, &fd),
                   0);
  close(fd);
  ck_assert_int_eq(mode_at(root, "p"), 0640);
  ck_assert_int_eq(ftp_fs_mkdir(&f2, "pd", vp, sizeof(vp)), 0);
  ck_assert_int_eq(mode_at(root, "pd"), 0750);
  /* An existing file keeps its mode. */
  ck_assert_int_eq(chmod(root, 0755), 0);
  ck_assert_int_eq(ftp_fs_open(&f2, "g", O_WRONLY | O_CREAT, &fd), 0);
  close(fd);
  ck_assert_int_eq(mode_at(root, "g"), 0664);
  ftp_fs_close(&f2);
}
END_TEST

START_TEST(test_chmod_and_mtime) {
  struct timespec t = {.tv_sec = 1234567890, .tv_nsec = 0};
  struct stat st;

  ck_assert_int_eq(ftp_fs_chmod(&fs, "file", 0600), 0);
  ck_assert_int_eq(mode_at(root, "file"), 0600);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "sub", 01777), 0);
  ck_assert_int_eq(mode_at(root, "sub"), 01777);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "/", 0711), 0);
  ck_assert_int_eq(mode_at(tmp, "root"), 0711);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "file", 04755), UV_EPERM);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "file", 02755), UV_EPERM);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "file", 010000), UV_EINVAL);
  ck_assert_int_eq(mode_at(root, "file"), 0600);
  /* A symlink is never followed, even one that stays inside. */
  ck_assert_int_eq(ftp_fs_chmod(&fs, "flink", 0777), UV_EPERM);
  ck_assert_int_eq(mode_at(root, "file"), 0600);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "missing", 0644), UV_ENOENT);

  ck_assert_int_eq(ftp_fs_set_mtime(&fs, "file", &t), 0);
  ck_assert_int_eq(ftp_fs_stat(&fs, "file", &st), 0);
  ck_assert_int_eq(st.st_mtime, 1234567890);
  ck_assert_int_eq(ftp_fs_set_mtime(&fs, "sub", &t), 0);
  ck_assert_int_eq(ftp_fs_set_mtime(&fs, "flink", &t), UV_EPERM);
  t.tv_nsec = 1000000000;
  ck_assert_int_eq(ftp_fs_set_mtime(&fs, "file", &t), UV_EINVAL);
}
END_TEST

START_TEST(test_unique_names) {
  char vp[FTP_PATH_MAX], vp2[FTP_PATH_MAX];
  struct stat st;
  int fd = -1, fd2 = -1;

  write_at(root, "up.txt", "existing\n");
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "up.txt", &fd, vp, sizeof(vp)), 0);
  ck_assert_str_eq(vp, "/up.txt.1");
  ck_assert_int_eq(write(fd, "one", 3), 3);
  close(fd);
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "up.txt", &fd, vp, sizeof(vp)), 0);
  ck_assert_str_eq(vp, "/up.txt.2");
  close(fd);
  /* A free base is used as it is, beside its directory. */
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "sub/fresh", &fd, vp, sizeof(vp)),
                   0);
  ck_assert_str_eq(vp, "/sub/fresh");
  close(fd);
  /* No base: a random name in the cwd, different each time. */
  ck_assert_int_eq(ftp_fs_chdir(&fs, "sub"), 0);
  ck_assert_int_eq(ftp_fs_unique_name(&fs, NULL, &fd, vp, sizeof(vp)), 0);
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "", &fd2, vp2, sizeof(vp2)), 0);
  ck_assert_str_ne(vp, vp2);
  ck_assert_int_eq(strncmp(vp, "/sub/stou.", 10), 0);
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert_int_eq(st.st_size, 0);
  ck_assert_int_eq(st.st_mode & 07777, 0644);
  close(fd);
  close(fd2);
  /* The original is untouched. */
  ck_assert_int_eq(ftp_fs_open(&fs, "/up.txt", O_RDONLY, &fd), 0);
  ck_assert_int_eq(fstat(fd, &st), 0);
  ck_assert_int_eq(st.st_size, 9);
  close(fd);
  /* A dangling symlink used as base is not written through. */
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "/abs", &fd, vp, sizeof(vp)), 0);
  ck_assert_str_eq(vp, "/abs.1");
  close(fd);
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "/", &fd, vp, sizeof(vp)),
                   UV_EPERM);
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "x", &fd, vp, 2), UV_ENAMETOOLONG);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_odd_names) {
  static const char *names[] = {"with space", "trailing ", " leading",
                                "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac",
                                "semi;colon", "star*", "-dash"};
  char vp[FTP_PATH_MAX], buf[64], to[64];
  struct stat st;
  size_t i;
  int fd = -1;

  for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
    ck_assert_int_eq(ftp_fs_open(&fs, names[i], O_WRONLY | O_CREAT, &fd), 0);
    ck_assert_int_eq(write(fd, names[i], strlen(names[i])),
                     (ssize_t)strlen(names[i]));
    close(fd);
    ck_assert(exists_at(root, names[i]));
    ck_assert_int_eq(ftp_fs_stat(&fs, names[i], &st), 0);
    ck_assert_int_eq(st.st_size, (off_t)strlen(names[i]));
    ck_assert_int_eq(ftp_fs_open(&fs, names[i], O_RDONLY, &fd), 0);
    read_all(fd, buf, sizeof(buf));
    close(fd);
    ck_assert_str_eq(buf, names[i]);
    snprintf(to, sizeof(to), "sub/%s", names[i]);
    ck_assert_int_eq(ftp_fs_rename(&fs, names[i], to), 0);
    ck_assert(exists_at(root, to));
    ck_assert_int_eq(ftp_fs_mkdir(&fs, names[i], vp, sizeof(vp)), 0);
    ck_assert_int_eq(ftp_fs_rmdir(&fs, names[i]), 0);
  }
  /* "trailing " and "trailing" are different names. */
  ck_assert_int_eq(ftp_fs_stat(&fs, "sub/trailing", &st), UV_ENOENT);
}
END_TEST

/* --- hostile ----------------------------------------------------------- */

START_TEST(test_etc_passwd_never_opened) {
  static const char *args[] = {"etc/passwd",     "/etc/passwd",
                               "../../etc/passwd", "/../../etc/passwd",
                               "sub/../../etc/passwd", "abs/../../etc/passwd"};
  struct stat real, st;
  char buf[256];
  size_t i;
  int fd = -1, r;

  ck_assert_int_eq(stat("/etc/passwd", &real), 0);
  /* Without a decoy: "etc" -> "/etc" resolves to itself inside the root. */
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    r = ftp_fs_open(&fs, args[i], O_RDONLY, &fd);
    ck_assert_int_ne(r, 0);
    ck_assert_int_eq(fd, -1);
  }
  /* With a decoy directory at the root's /etc, every path lands on it. */
  unlink_at(root, "etc");
  mkdir_at(root, "etc");
  write_at(root, "etc/passwd", DECOY);
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    if (strncmp(args[i], "abs/", 4) == 0)
      continue;
    ck_assert_int_eq(ftp_fs_open(&fs, args[i], O_RDONLY, &fd), 0);
    ck_assert_int_eq(fstat(fd, &st), 0);
    ck_assert(st.st_ino != real.st_ino || st.st_dev != real.st_dev);
    read_all(fd, buf, sizeof(buf));
    close(fd);
    ck_assert_str_eq(buf, DECOY);
  }
  /* A link to "/etc" made after login lands on the decoy too. */
  symlink_at(root, "late", "/etc");
  ck_assert_int_eq(ftp_fs_open(&fs, "late/passwd", O_RDONLY, &fd), 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, DECOY);
}
END_TEST

/* Paths that name the outside marker or directory, one way or another. */
static const char *escape_files[] = {
    "out/marker",        "abs/marker",         "mlink",
    "rmlink",            "../outside/marker",  "/../outside/marker",
    "sub/../../outside/marker", "in/../../../outside/marker",
};

START_TEST(test_escape_not_read) {
  struct stat st;
  size_t i;
  int fd = -1;

  for (i = 0; i < sizeof(escape_files) / sizeof(escape_files[0]); i++) {
    ck_assert_int_eq(ftp_fs_open(&fs, escape_files[i], O_RDONLY, &fd),
                     UV_ENOENT);
    ck_assert_int_eq(fd, -1);
    ck_assert_int_eq(ftp_fs_stat(&fs, escape_files[i], &st), UV_ENOENT);
  }
  ck_assert_int_eq(ftp_fs_opendir(&fs, "out", &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_opendir(&fs, "abs", &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_opendir(&fs, "../outside", &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_chdir(&fs, "out"), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_chdir(&fs, "abs"), UV_ENOENT);
  ck_assert_str_eq(fs.cwd, "/");
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_escape_not_written) {
  static const char *args[] = {"out/new",  "abs/new", "mlink", "rmlink",
                               "dangle",   "rdangle", "../outside/new",
                               "out/marker"};
  char p[PATH_MAX];
  size_t i;
  int fd = -1;

  path_in(p, sizeof(p), outside, "new-abs");
  symlink_at(root, "dangle", p);
  symlink_at(root, "rdangle", "../outside/new-rel");
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    ck_assert_int_ne(ftp_fs_open(&fs, args[i], O_WRONLY | O_CREAT, &fd), 0);
    ck_assert_int_ne(
        ftp_fs_open(&fs, args[i], O_WRONLY | O_CREAT | O_APPEND, &fd), 0);
    ck_assert_int_ne(ftp_fs_open(&fs, args[i], O_WRONLY, &fd), 0);
    ck_assert_int_ne(
        ftp_fs_open(&fs, args[i], O_WRONLY | O_CREAT | O_EXCL, &fd), 0);
    ck_assert_int_eq(fd, -1);
  }
  /* STOR to a dangling link is refused rather than written through. */
  ck_assert_int_eq(ftp_fs_open(&fs, "dangle", O_WRONLY | O_CREAT, &fd),
                   UV_EEXIST);
  ck_assert_int_eq(ftp_fs_open(&fs, "mlink", O_WRONLY | O_CREAT, &fd),
                   UV_EEXIST);
  /* Nothing was created inside the root on the way either. */
  ck_assert(!exists_at(root, "outside"));
  ck_assert(!exists_at(root, "tmp"));
  assert_outside_intact();
}
END_TEST

START_TEST(test_escape_namespace_untouched) {
  char vp[FTP_PATH_MAX];
  struct timespec t = {.tv_sec = 42, .tv_nsec = 0};
  size_t i;
  int fd = -1;

  ck_assert_int_eq(ftp_fs_mkdir(&fs, "out/d", vp, sizeof(vp)), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "abs/d", vp, sizeof(vp)), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "../outside/d", vp, sizeof(vp)),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "out"), UV_ENOTDIR);
  ck_assert_int_eq(ftp_fs_rmdir(&fs, "abs"), UV_ENOTDIR);
  for (i = 0; i < sizeof(escape_files) / sizeof(escape_files[0]); i++) {
    const char *a = escape_files[i];
    int is_link = strchr(a, '/') == NULL;

    if (!is_link) {
      ck_assert_int_eq(ftp_fs_unlink(&fs, a), UV_ENOENT);
      ck_assert_int_eq(ftp_fs_rename(&fs, a, "stolen"), UV_ENOENT);
    }
    ck_assert_int_eq(ftp_fs_chmod(&fs, a, 0777), is_link ? UV_EPERM : UV_ENOENT);
    ck_assert_int_eq(ftp_fs_set_mtime(&fs, a, &t),
                     is_link ? UV_EPERM : UV_ENOENT);
  }
  ck_assert_int_eq(ftp_fs_chmod(&fs, "out", 0700), UV_EPERM);
  ck_assert_int_eq(ftp_fs_chmod(&fs, "abs", 0700), UV_EPERM);
  ck_assert_int_eq(ftp_fs_set_mtime(&fs, "out", &t), UV_EPERM);
  /* A rename whose target is outside. */
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", "out/stolen"), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", "abs/stolen"), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", "../outside/stolen"),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_fs_rename(&fs, "file", "/../../outside/marker"),
                   UV_ENOENT);
  ck_assert(exists_at(root, "file"));
  ck_assert_int_eq(ftp_fs_unique_name(&fs, "out/x", &fd, vp, sizeof(vp)),
                   UV_ENOENT);
  /* Links themselves may be moved and removed; their targets stay. */
  ck_assert_int_eq(ftp_fs_rename(&fs, "rmlink", "sub/moved"), 0);
  ck_assert(exists_at(root, "sub/moved"));
  ck_assert_int_eq(ftp_fs_unlink(&fs, "mlink"), 0);
  ck_assert_int_eq(ftp_fs_unlink(&fs, "abs"), 0);
  ck_assert(!exists_at(root, "abs"));
  assert_outside_intact();
}
END_TEST

START_TEST(test_links_made_after_login) {
  char p[PATH_MAX], vp[FTP_PATH_MAX];
  int fd = -1;

  /* fs was initialised in the fixture; these links are newer. */
  symlink_at(root, "late", outside);
  mkdir_at(root, "d");
  symlink_at(root, "d/up", "../../outside");
  symlink_at(root, "d/deep", "../../../../../../../../outside/marker");
  path_in(p, sizeof(p), root, "sub/late-intermediate");
  ck_assert_int_eq(symlink("/../../..", p), 0);
  ck_assert_int_eq(ftp_fs_open(&fs, "late/marker", O_RDONLY, &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_open(&fs, "d/up/marker", O_RDONLY, &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_open(&fs, "d/deep", O_RDONLY, &fd), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_open(&fs, "d/up/new", O_WRONLY | O_CREAT, &fd),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "late/x", vp, sizeof(vp)), UV_ENOENT);
  ck_assert_int_eq(ftp_fs_unlink(&fs, "d/up/marker"), UV_ENOENT);
  /* A link to "/" made of ".." lands on the root, and stays there. */
  ck_assert_int_eq(ftp_fs_open(&fs, "sub/late-intermediate/file", O_RDONLY,
                               &fd),
                   0);
  close(fd);
  ck_assert_int_eq(ftp_fs_open(&fs,
                               "sub/late-intermediate/../outside/marker",
                               O_RDONLY, &fd),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_fs_chdir(&fs, "sub/late-intermediate"), 0);
  ck_assert_str_eq(fs.cwd, "/sub/late-intermediate");
  ck_assert_int_eq(ftp_fs_open(&fs, "../../outside/marker", O_RDONLY, &fd),
                   UV_ENOENT);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_readonly_refuses_every_change) {
  struct ftp_fs ro;
  struct timespec t = {.tv_sec = 42, .tv_nsec = 0};
  char vp[FTP_PATH_MAX], buf[64];
  struct stat before, after;
  int fd = -1;

  ck_assert_int_eq(lstat(root, &before), 0);
  ck_assert_int_eq(ftp_fs_init(&ro, root, 0, 1), 0);
  ck_assert_int_eq(ftp_fs_open(&ro, "file", O_WRONLY | O_CREAT, &fd),
                   UV_EACCES);
  ck_assert_int_eq(ftp_fs_open(&ro, "new", O_WRONLY | O_CREAT, &fd),
                   UV_EACCES);
  ck_assert_int_eq(
      ftp_fs_open(&ro, "file", O_WRONLY | O_CREAT | O_APPEND, &fd), UV_EACCES);
  ck_assert_int_eq(ftp_fs_open(&ro, "file", O_WRONLY, &fd), UV_EACCES);
  ck_assert_int_eq(ftp_fs_mkdir(&ro, "d", vp, sizeof(vp)), UV_EACCES);
  ck_assert_int_eq(ftp_fs_rmdir(&ro, "sub"), UV_EACCES);
  ck_assert_int_eq(ftp_fs_unlink(&ro, "file"), UV_EACCES);
  ck_assert_int_eq(ftp_fs_rename(&ro, "file", "x"), UV_EACCES);
  ck_assert_int_eq(ftp_fs_chmod(&ro, "file", 0777), UV_EACCES);
  ck_assert_int_eq(ftp_fs_set_mtime(&ro, "file", &t), UV_EACCES);
  ck_assert_int_eq(ftp_fs_unique_name(&ro, "file", &fd, vp, sizeof(vp)),
                   UV_EACCES);
  ck_assert_int_eq(ftp_fs_unique_name(&ro, NULL, &fd, vp, sizeof(vp)),
                   UV_EACCES);
  ck_assert_int_eq(fd, -1);
  /* Reading still works. */
  ck_assert_int_eq(ftp_fs_open(&ro, "file", O_RDONLY, &fd), 0);
  read_all(fd, buf, sizeof(buf));
  close(fd);
  ck_assert_str_eq(buf, "hello world\n");
  ck_assert_int_eq(ftp_fs_chdir(&ro, "sub"), 0);
  ftp_fs_close(&ro);
  /* Nothing changed. */
  ck_assert_int_eq(lstat(root, &after), 0);
  ck_assert_int_eq(after.st_mtim.tv_sec, before.st_mtim.tv_sec);
  ck_assert_int_eq(after.st_mtim.tv_nsec, before.st_mtim.tv_nsec);
  ck_assert_int_eq(mode_at(root, "file"), 0644);
  ck_assert(exists_at(root, "sub"));
  ck_assert(!exists_at(root, "new"));
}
END_TEST

START_TEST(test_magic_links_refused) {
  struct ftp_fs whole;
  char p[PATH_MAX], arg[64];
  int mfd, fd = -1;

  /* ftpd needs Linux (openat2), where /proc is the attack surface this
   * test is about: without it the test fails rather than pass unseen. */
  ck_assert_msg(access("/proc/self/fd", F_OK) == 0, "no /proc/self/fd on this machine");
  /* Even a session rooted at "/" cannot use /proc/<pid>/fd links to reach
   * a descriptor the daemon holds. */
  path_in(p, sizeof(p), outside, "marker");
  mfd = open(p, O_RDONLY | O_CLOEXEC);
  ck_assert_int_ge(mfd, 0);
  ck_assert_int_eq(ftp_fs_init(&whole, "/", 022, 0), 0);
  snprintf(arg, sizeof(arg), "/proc/self/fd/%d", mfd);
  ck_assert_int_eq(ftp_fs_open(&whole, arg, O_RDONLY, &fd), UV_ELOOP);
  ck_assert_int_eq(ftp_fs_open(&whole, arg, O_WRONLY | O_CREAT, &fd),
                   UV_ELOOP);
  ck_assert_int_eq(ftp_fs_open(&whole, "/proc/self/root/etc/passwd",
                               O_RDONLY, &fd),
                   UV_ELOOP);
  ck_assert_int_eq(fd, -1);
  ftp_fs_close(&whole);
  close(mfd);
}
END_TEST

static Suite *fs_suite(void) {
  Suite *s = suite_create("fs");
  TCase *vpath = tcase_create("vpath");
  TCase *basic = tcase_create("basic");
  TCase *ns = tcase_create("namespace");
  TCase *hostile = tcase_create("hostile");

  tcase_add_checked_fixture(vpath, setup, teardown);
  tcase_add_loop_test(vpath, test_vpath_table, 0,
                      sizeof(vpath_cases) / sizeof(vpath_cases[0]));
  tcase_add_test(vpath, test_vpath_too_long);
  tcase_add_test(vpath, test_long_paths_refused_by_every_call);
  suite_add_tcase(s, vpath);

  tcase_add_checked_fixture(basic, setup, teardown);
  /* A FIFO opened the blocking way would hang: keep timeouts short. */
  tcase_set_timeout(basic, 5);
  tcase_add_test(basic, test_supported_and_init);
  tcase_add_test(basic, test_read_write_inside);
  tcase_add_test(basic, test_open_flags_checked);
  tcase_add_test(basic, test_directories_never_opened_for_data);
  tcase_add_test(basic, test_fifo_refused_without_blocking);
  tcase_add_test(basic, test_stat_follows_inside);
  tcase_add_test(basic, test_chdir);
  tcase_add_test(basic, test_open_parent);
  suite_add_tcase(s, basic);

  tcase_add_checked_fixture(ns, setup, teardown);
  tcase_add_test(ns, test_mkdir_rmdir_unlink_rename);
  tcase_add_test(ns, test_umask_applied_exactly);
  tcase_add_test(ns, test_chmod_and_mtime);
  tcase_add_test(ns, test_unique_names);
  tcase_add_test(ns, test_odd_names);
  suite_add_tcase(s, ns);

  tcase_add_checked_fixture(hostile, setup, teardown);
  tcase_set_timeout(hostile, 5);
  tcase_add_test(hostile, test_etc_passwd_never_opened);
  tcase_add_test(hostile, test_escape_not_read);
  tcase_add_test(hostile, test_escape_not_written);
  tcase_add_test(hostile, test_escape_namespace_untouched);
  tcase_add_test(hostile, test_links_made_after_login);
  tcase_add_test(hostile, test_readonly_refuses_every_change);
  tcase_add_test(hostile, test_magic_links_refused);
  suite_add_tcase(s, hostile);
  return s;
}

int main(void) {
  const char *t = getenv("TMPDIR");
  SRunner *sr;
  int failed;

  snprintf(run_dir, sizeof(run_dir), "%s/check_fs.XXXXXX",
           t != NULL && t[0] != '\0' ? t : "/tmp");
  if (mkdtemp(run_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  sr = srunner_create(fs_suite());
  srunner_run_all(sr, CK_NORMAL);
  remove_tree(run_dir);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
