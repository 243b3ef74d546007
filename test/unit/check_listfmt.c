/*
 * check_listfmt.c: LIST, NLST, MLSD, MLST output for a known tree.
 *
 * Every test gets a fresh temporary directory with root/ (a tree with fixed
 * modes and mtimes) and outside/ (a sibling holding a marker that no
 * listing may describe).  "now" is fixed, so the expected lines are exact;
 * only the owner columns (the test's user) and directory sizes (the
 * filesystem's) are filled in at run time.
 *
 * Run one case with CK_RUN_CASE=mlsd; slow machines can stretch the
 * timeouts with CK_TIMEOUT_MULTIPLIER.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "fs.h"
#include "ftp_limits.h"
#include "listfmt.h"

#define NOW ((time_t)1700000000)      /* 2023-11-14 22:13:20 UTC */
#define RECENT ((time_t)1699913600)   /* Nov 13 22:13 2023 */
#define RECENT2 ((time_t)1699000000)  /* Nov  3 08:26 2023 */
#define OLD ((time_t)1577934245)      /* Jan  2 03:04:05 2020 */
#define FUTURE ((time_t)1702592000)   /* Dec 14 22:13 2023 */
#define SIX_MONTHS ((time_t)15778476)

static char run_dir[PATH_MAX];
static char tmp[PATH_MAX];
static char root[PATH_MAX];
static char outside[PATH_MAX];
static struct ftp_fs fs;
static struct ftp_buf out;
static struct ftp_listfmt_opts opts;

/* --- helpers ----------------------------------------------------------- */

static void path_in(char *p, size_t n, const char *dir, const char *rel) {
  int len = snprintf(p, n, "%s/%s", dir, rel);

  ck_assert(len > 0 && (size_t)len < n);
}

static void set_mtime(const char *rel, time_t t) {
  struct timespec ts[2];
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, rel);
  ts[0].tv_sec = ts[1].tv_sec = t;
  ts[0].tv_nsec = ts[1].tv_nsec = 0;
  ck_assert_int_eq(utimensat(AT_FDCWD, p, ts, AT_SYMLINK_NOFOLLOW), 0);
}

static void mkfile(const char *rel, const char *data, mode_t mode, time_t t) {
  char p[PATH_MAX];
  int fd;

  path_in(p, sizeof(p), root, rel);
  fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, data, strlen(data)), (ssize_t)strlen(data));
  ck_assert_int_eq(fchmod(fd, mode), 0);
  close(fd);
  set_mtime(rel, t);
}

static void mkdirm(const char *rel, mode_t mode) {
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, rel);
  ck_assert_int_eq(mkdir(p, 0700), 0);
  ck_assert_int_eq(chmod(p, mode), 0);
}

static void mklink(const char *rel, const char *target, time_t t) {
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, rel);
  ck_assert_int_eq(symlink(target, p), 0);
  set_mtime(rel, t);
}

/* "dev:ino" in hex, of the entry itself (follow = 0) or its target. */
static const char *uniq(const char *rel, int follow) {
  static char u[64];
  struct stat st;
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, rel);
  ck_assert_int_eq(follow ? stat(p, &st) : lstat(p, &st), 0);
  snprintf(u, sizeof(u), "%llx:%llx", (unsigned long long)st.st_dev,
           (unsigned long long)st.st_ino);
  return u;
}

static long long size_of(const char *rel) {
  struct stat st;
  char p[PATH_MAX];

  path_in(p, sizeof(p), root, rel);
  ck_assert_int_eq(lstat(p, &st), 0);
  return (long long)st.st_size;
}

/* The owner and group columns of the test's own files: "%-8s %-8s". */
static const char *owner_cols(void) {
  static char cols[64];
  struct passwd *pw = getpwuid(getuid());
  struct group *gr = getgrgid(getgid());
  char u[32], g[32];

  if (pw != NULL)
    snprintf(u, sizeof(u), "%s", pw->pw_name);
  else
    snprintf(u, sizeof(u), "%u", (unsigned)getuid());
  if (gr != NULL)
    snprintf(g, sizeof(g), "%s", gr->gr_name);
  else
    snprintf(g, sizeof(g), "%u", (unsigned)getgid());
  snprintf(cols, sizeof(cols), "%-8s %-8s", u, g);
  return cols;
}

/* Expand a template line: "@" is the owner columns, "#" the size column of
 * directory rel (sizes of directories depend on the filesystem). */
static void expand(char *dst, size_t n, const char *tmpl, const char *rel) {
  size_t len = 0;
  const char *t;
  int w;

  for (t = tmpl; *t != '\0'; t++) {
    if (*t == '@')
      w = snprintf(dst + len, n - len, "%s", owner_cols());
    else if (*t == '#')
      w = snprintf(dst + len, n - len, "%8lld", size_of(rel));
    else
      w = snprintf(dst + len, n - len, "%c", *t);
    ck_assert(w > 0 && (size_t)w < n - len);
    len += (size_t)w;
  }
}

/* The buffer as a C string (it never holds a NUL in these tests). */
static const char *text(void) {
  const char *s = ftp_buf_cstr(&out, NULL);

  ck_assert_ptr_nonnull(s);
  return s;
}

static int count_lines(const char *s) {
  int n = 0;

  for (; (s = strstr(s, "\r\n")) != NULL; s += 2)
    n++;
  return n;
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
  char p[PATH_MAX];

  umask(022);
  path_in(tmp, sizeof(tmp), run_dir, "t.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmp));
  path_in(root, sizeof(root), tmp, "root");
  path_in(outside, sizeof(outside), tmp, "outside");
  ck_assert_int_eq(mkdir(root, 0755), 0);
  ck_assert_int_eq(mkdir(outside, 0755), 0);
  path_in(p, sizeof(p), outside, "marker");
  ck_assert_int_eq(close(open(p, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)), 0);
  ck_assert_int_eq(truncate(p, 123456), 0);

  mkfile("Zebra", "z", 0644, RECENT2);
  mkfile("a.txt", "hello", 0644, RECENT);
  mkfile("b.txt", "", 0600, OLD);
  mkfile(".hidden", "h", 0644, RECENT);
  mkfile("caf\xc3\xa9", "x", 0644, OLD);
  mkfile("future", "f", 0644, FUTURE);
  mkfile("space name ", "sp", 0644, RECENT);
  mkfile("suid", "s", 04755, RECENT);
  mkfile("bad\r\nname", "crlf", 0644, RECENT);
  mkfile("bad\nname", "lf", 0644, RECENT);
  mklink("dangling", "nowhere", RECENT);
  mklink("esc", "../outside/marker", RECENT);
  mklink("link", "a.txt", RECENT);
  mklink("outlink", "../outside", RECENT);
  path_in(p, sizeof(p), root, "fifo");
  ck_assert_int_eq(mkfifo(p, 0644), 0);
  set_mtime("fifo", RECENT);
  mkdirm("dir", 0755);
  mkfile("dir/x.txt", "x", 0644, RECENT);
  mkfile("dir/y.dat", "yy", 0644, RECENT);
  mkfile("dir/.dot", "", 0644, RECENT);
  mkdirm("dir/deeper", 0700);
  set_mtime("dir/deeper", RECENT);
  set_mtime("dir", RECENT);
  mkdirm("empty", 0755);
  set_mtime("empty", RECENT);
  mkdirm("sticky", 01777);
  set_mtime("sticky", OLD);

  ck_assert_int_eq(ftp_fs_init(&fs, root, 022, 0), 0);
  ftp_buf_init(&out, FTP_LISTING_MAX);
  memset(&opts, 0, sizeof(opts));
  opts.now = NOW;
}

static void teardown(void) {
  ftp_buf_free(&out);
  ftp_fs_close(&fs);
  remove_tree(tmp);
}

/* --- pure helpers ------------------------------------------------------ */

static const struct {
  mode_t mode;
  const char *want;
} mode_cases[] = {
    {S_IFREG | 0644, "-rw-r--r--"},  {S_IFDIR | 0755, "drwxr-xr-x"},
    {S_IFLNK | 0777, "lrwxrwxrwx"},  {S_IFIFO | 0644, "prw-r--r--"},
    {S_IFSOCK | 0755, "srwxr-xr-x"}, {S_IFCHR | 0660, "crw-rw----"},
    {S_IFBLK | 0660, "brw-rw----"},  {S_IFREG | 04755, "-rwsr-xr-x"},
    {S_IFREG | 04644, "-rwSr--r--"}, {S_IFREG | 02755, "-rwxr-sr-x"},
    {S_IFREG | 02745, "-rwxr-Sr-x"}, {S_IFDIR | 01777, "drwxrwxrwt"},
    {S_IFDIR | 01776, "drwxrwxrwT"}, {S_IFREG | 07777, "-rwsrwsrwt"},
    {S_IFREG | 07000, "---S--S--T"}, {S_IFREG | 0, "----------"},
};

START_TEST(test_mode_strings) {
  char m[11];

  ftp_listfmt_mode(mode_cases[_i].mode, m);
  ck_assert_str_eq(m, mode_cases[_i].want);
}
END_TEST

static const struct {
  time_t t;
  const char *want;
} date_cases[] = {
    {RECENT, "Nov 13 22:13"},
    {RECENT2, "Nov  3 08:26"},
    {NOW, "Nov 14 22:13"},                    /* now itself is recent */
    {NOW + 1, "Nov 14  2023"},                /* the future is not */
    {FUTURE, "Dec 14  2023"},
    {NOW - SIX_MONTHS + 1, "May 16 07:18"},   /* just inside six months */
    {NOW - SIX_MONTHS, "May 16  2023"},       /* just outside */
    {OLD, "Jan  2  2020"},
    {0, "Jan  1  1970"},
};

START_TEST(test_dates) {
  char d[32];

  ck_assert_int_eq(ftp_listfmt_date(date_cases[_i].t, NOW, d, sizeof(d)), 0);
  ck_assert_str_eq(d, date_cases[_i].want);
  ck_assert_int_eq(ftp_listfmt_date(date_cases[_i].t, NOW, d, 12),
                   FTP_E_TOOBIG);
}
END_TEST

static const struct {
  const char *arg;
  int all;
  const char *path;
} opt_cases[] = {
    {"", 0, ""},
    {"-l", 0, ""},
    {"-a", 1, ""},
    {"-la", 1, ""},
    {"-al", 1, ""},
    {"-A", 1, ""},
    {"-lR", 0, ""},
    {"-al dir", 1, "dir"},
    {"-l -a  dir x", 1, "dir x"},
    {"  -a x", 1, "x"},
    {"dir", 0, "dir"},
    {"file ", 0, "file "},
    {" lead", 0, " lead"},
    {"-", 0, "-"},
    {"- x", 0, "- x"},
    {"-- -a", 0, "-a"},
    {"-l -- -la", 0, "-la"},
    {"--all", 1, ""},
    {"./-a", 0, "./-a"},
};

START_TEST(test_parse_opts) {
  const char *path = NULL;
  int all = 0;

  ftp_listfmt_parse_opts(opt_cases[_i].arg, &all, &path);
  ck_assert_int_eq(all, opt_cases[_i].all);
  ck_assert_str_eq(path, opt_cases[_i].path);
}
END_TEST

/* --- LIST -------------------------------------------------------------- */

/* The root listing without dot files, in byte order ("Z" < "a"). */
static const struct {
  const char *tmpl;
  const char *dir;
} root_listing[] = {
    {"-rw-r--r--    1 @        1 Nov  3 08:26 Zebra", NULL},
    {"-rw-r--r--    1 @        5 Nov 13 22:13 a.txt", NULL},
    {"-rw-------    1 @        0 Jan  2  2020 b.txt", NULL},
    {"-rw-r--r--    1 @        1 Jan  2  2020 caf\xc3\xa9", NULL},
    {"lrwxrwxrwx    1 @        7 Nov 13 22:13 dangling -> nowhere", NULL},
    {"drwxr-xr-x    3 @ # Nov 13 22:13 dir", "dir"},
    {"drwxr-xr-x    2 @ # Nov 13 22:13 empty", "empty"},
    {"lrwxrwxrwx    1 @       17 Nov 13 22:13 esc -> ../outside/marker", NULL},
    {"prw-r--r--    1 @        0 Nov 13 22:13 fifo", NULL},
    {"-rw-r--r--    1 @        1 Dec 14  2023 future", NULL},
    {"lrwxrwxrwx    1 @        5 Nov 13 22:13 link -> a.txt", NULL},
    {"lrwxrwxrwx    1 @       10 Nov 13 22:13 outlink -> ../outside", NULL},
    {"-rw-r--r--    1 @        2 Nov 13 22:13 space name ", NULL},
    {"drwxrwxrwt    2 @ # Jan  2  2020 sticky", "sticky"},
    {"-rwsr-xr-x    1 @        1 Nov 13 22:13 suid", NULL},
};

static void build_root_listing(char *want, size_t n, int with_hidden) {
  char line[512];
  size_t i, len = 0;

  want[0] = '\0';
  for (i = 0; i < sizeof(root_listing) / sizeof(root_listing[0]); i++) {
    if (with_hidden && i == 0) {
      expand(line, sizeof(line),
             "-rw-r--r--    1 @        1 Nov 13 22:13 .hidden", NULL);
      len += (size_t)snprintf(want + len, n - len, "%s\r\n", line);
    }
    expand(line, sizeof(line), root_listing[i].tmpl, root_listing[i].dir);
    len += (size_t)snprintf(want + len, n - len, "%s\r\n", line);
    ck_assert(len < n);
  }
}

START_TEST(test_list_exact) {
  char want[8192];

  build_root_listing(want, sizeof(want), 0);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "", &opts, &out), 0);
  ck_assert_str_eq(text(), want);
  /* "-l" changes nothing; a path to the cwd neither. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-l /", &opts, &out), 0);
  ck_assert_str_eq(text(), want);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-l dir/..", &opts, &out), 0);
  ck_assert_str_eq(text(), want);
}
END_TEST

START_TEST(test_list_dot_files_with_a) {
  static const char *args[] = {"-a", "-la", "-al", "-l -a", "-a /"};
  char want[8192];
  size_t i;

  build_root_listing(want, sizeof(want), 1);
  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    ftp_buf_reset(&out);
    ck_assert_int_eq(ftp_listfmt_list(&fs, args[i], &opts, &out), 0);
    ck_assert_str_eq(text(), want);
  }
  /* opts.all does the same (the caller's default). */
  opts.all = 1;
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-l", &opts, &out), 0);
  ck_assert_str_eq(text(), want);
}
END_TEST

START_TEST(test_list_paths) {
  char want[1024], line[512];

  /* A directory: its entries, with -a its dot files ("." never). */
  ck_assert_int_eq(ftp_listfmt_list(&fs, "dir", &opts, &out), 0);
  expand(line, sizeof(line), "drwx------    2 @ # Nov 13 22:13 deeper",
         "dir/deeper");
  snprintf(want, sizeof(want),
           "%s\r\n-rw-r--r--    1 %s        1 Nov 13 22:13 x.txt\r\n"
           "-rw-r--r--    1 %s        2 Nov 13 22:13 y.dat\r\n",
           line, owner_cols(), owner_cols());
  ck_assert_str_eq(text(), want);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-la dir", &opts, &out), 0);
  ck_assert_int_eq(count_lines(text()), 4);
  ck_assert_ptr_nonnull(strstr(text(), " .dot\r\n"));
  /* One file: its line, named as given. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "dir/x.txt", &opts, &out), 0);
  expand(want, sizeof(want),
         "-rw-r--r--    1 @        1 Nov 13 22:13 dir/x.txt\r\n", NULL);
  ck_assert_str_eq(text(), want);
  /* A symlink to a file shows the link; a dangling one too. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "/link", &opts, &out), 0);
  expand(want, sizeof(want),
         "lrwxrwxrwx    1 @        5 Nov 13 22:13 /link -> a.txt\r\n", NULL);
  ck_assert_str_eq(text(), want);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "dangling", &opts, &out), 0);
  ck_assert_int_eq(count_lines(text()), 1);
  /* Names with blanks and UTF-8 pass as they are. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "space name ", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), " 2 Nov 13 22:13 space name \r\n"));
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-l caf\xc3\xa9", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), " caf\xc3\xa9\r\n"));
  /* Errors. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "missing", &opts, &out), UV_ENOENT);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "a.txt/x", &opts, &out),
                   UV_ENOTDIR);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "nodir/*.txt", &opts, &out),
                   UV_ENOENT);
  /* A wildcard lists the matches, named with the directory as written. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "dir/*.txt", &opts, &out), 0);
  expand(want, sizeof(want),
         "-rw-r--r--    1 @        1 Nov 13 22:13 dir/x.txt\r\n", NULL);
  ck_assert_str_eq(text(), want);
}
END_TEST

START_TEST(test_list_never_describes_outside) {
  static const char *args[] = {"../outside", "/../outside", "outlink/marker",
                               "outlink/x/", "../outside/marker",
                               "dir/../../outside", "/../../outside/*"};
  size_t i;
  int r;

  for (i = 0; i < sizeof(args) / sizeof(args[0]); i++) {
    ftp_buf_reset(&out);
    r = ftp_listfmt_list(&fs, args[i], &opts, &out);
    ck_assert_int_lt(r, 0);
    r = ftp_listfmt_nlst(&fs, args[i], &opts, &out);
    ck_assert_int_lt(r, 0);
    r = ftp_listfmt_mlsd(&fs, args[i], &opts, &out);
    ck_assert_int_lt(r, 0);
    r = ftp_listfmt_mlst(&fs, args[i], &opts, &out);
    ck_assert_int_lt(r, 0);
  }
  ck_assert_int_eq(ftp_buf_len(&out), 0);
  /* The escaping links themselves are listed as links, nothing more: the
   * marker's size (123456) and name never appear. */
  ck_assert_int_eq(ftp_listfmt_list(&fs, "outlink", &opts, &out), 0);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "esc", &opts, &out), 0);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "", &opts, &out), 0);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "esc", &opts, &out), 0);
  ck_assert_ptr_null(strstr(text(), "123456"));
  ck_assert_ptr_null(strstr(text(), " marker"));
}
END_TEST

/* The owner column: the account's name, or its number when the uid has no
 * name.  Only root can give a file to a uid without a name, so as another
 * user the test checks the named case on a file of its own. */
START_TEST(test_list_owner_fallback_numeric) {
  char p[PATH_MAX], want[128];
  struct passwd *pw;
  struct group *gr;

  path_in(p, sizeof(p), root, "a.txt");
  if (geteuid() == 0) {
    ck_assert_int_eq(lchown(p, 54321, 54322), 0);
    ck_assert_int_eq(ftp_listfmt_list(&fs, "a.txt", &opts, &out), 0);
    ck_assert_str_eq(text(), "-rw-r--r--    1 54321    54322           5 "
                             "Nov 13 22:13 a.txt\r\n");
    return;
  }
  pw = getpwuid(geteuid());
  gr = getgrgid(getegid());
  snprintf(want, sizeof(want), " %s ", pw != NULL ? pw->pw_name : "");
  ck_assert_int_eq(ftp_listfmt_list(&fs, "a.txt", &opts, &out), 0);
  ck_assert_msg(pw != NULL && gr != NULL, "uid %u or gid %u has no name: run as root",
                (unsigned)geteuid(), (unsigned)getegid());
  ck_assert_msg(strstr(text(), want) != NULL, "%s lacks%s", text(), want);
}
END_TEST

START_TEST(test_list_socket_and_crlf_names) {
  struct sockaddr_un sa;
  int s, cwd;

  /* Bound by a relative name, so that a deep TMPDIR cannot make the path
   * too long for sun_path. */
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "sock");
  cwd = open(".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(cwd, 0);
  ck_assert_int_eq(chdir(root), 0);
  s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  ck_assert_int_ge(s, 0);
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
  close(s);
  ck_assert_int_eq(fchdir(cwd), 0);
  close(cwd);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "-a", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), "\r\nsrwxr-xr-x    1 "));
  ck_assert_ptr_null(strstr(text(), "bad"));
  ck_assert_ptr_null(strstr(text(), "name\r\n\r\n"));
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "-a", &opts, &out), 0);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "", &opts, &out), 0);
  ck_assert_ptr_null(strstr(text(), "bad"));
  /* A CR or LF inside a line would be a bare line end. */
  ck_assert_ptr_null(strstr(text(), "\r\r"));
  ck_assert_ptr_null(strstr(text(), "\n\n"));
}
END_TEST

/* --- NLST -------------------------------------------------------------- */

static const struct {
  const char *arg;
  int listsubdir;
  const char *want;
} nlst_cases[] = {
    {"", 0,
     "Zebra\r\na.txt\r\nb.txt\r\ncaf\xc3\xa9\r\ndangling\r\ndir\r\nempty\r\n"
     "esc\r\nfifo\r\nfuture\r\nlink\r\noutlink\r\nspace name \r\nsticky\r\n"
     "suid\r\n"},
    {"-a dir", 0, ".dot\r\ndeeper\r\nx.txt\r\ny.dat\r\n"},
    {"dir", 0, "deeper\r\nx.txt\r\ny.dat\r\n"},
    {"dir/", 0, "deeper\r\nx.txt\r\ny.dat\r\n"},
    {"empty", 0, ""},
    {"a.txt", 0, "a.txt\r\n"},
    {"dir/x.txt", 0, "dir/x.txt\r\n"},
    {"dangling", 0, "dangling\r\n"},
    {"*.txt", 0, "a.txt\r\nb.txt\r\n"},
    {"?.txt", 0, "a.txt\r\nb.txt\r\n"},
    {"[ab]*", 0, "a.txt\r\nb.txt\r\n"},
    {"[!a-z]*", 0, "Zebra\r\n"},
    {"dir/*.txt", 0, "dir/x.txt\r\n"},
    {"/dir/*", 0, "/dir/deeper\r\n/dir/x.txt\r\n/dir/y.dat\r\n"},
    {"dir/../*.txt", 0, "dir/../a.txt\r\ndir/../b.txt\r\n"},
    {"nomatch*", 0, ""},
    {"empty/*", 0, ""},
    /* FNM_PERIOD: "*" never matches a dot file, even with -a... */
    {"-a *.dat", 0, ""},
    {"-a dir/*", 0, "dir/deeper\r\ndir/x.txt\r\ndir/y.dat\r\n"},
    /* ...an explicit dot does ("." and ".." are never listed). */
    {".*", 0, ".hidden\r\n"},
    {"dir/.*", 0, "dir/.dot\r\n"},
    /* LISTSUBDIR: the files of matched subdirectories, one level. */
    {"*", 1,
     "Zebra\r\na.txt\r\nb.txt\r\ncaf\xc3\xa9\r\ndangling\r\ndir/x.txt\r\n"
     "dir/y.dat\r\nesc\r\nfifo\r\nfuture\r\nlink\r\noutlink\r\n"
     "space name \r\nsuid\r\n"},
    {"d*", 1, "dangling\r\ndir/x.txt\r\ndir/y.dat\r\n"},
    {"-a d*", 1, "dangling\r\ndir/.dot\r\ndir/x.txt\r\ndir/y.dat\r\n"},
    {"d*", 0, "dangling\r\ndir\r\n"},
    /* No wildcard: LISTSUBDIR does not apply. */
    {"dir", 1, "deeper\r\nx.txt\r\ny.dat\r\n"},
};

START_TEST(test_nlst) {
  opts.listsubdir = nlst_cases[_i].listsubdir;
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, nlst_cases[_i].arg, &opts, &out), 0);
  ck_assert_str_eq(text(), nlst_cases[_i].want);
}
END_TEST

START_TEST(test_nlst_errors_and_subdir_links) {
  char vp[FTP_PATH_MAX];

  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "missing", &opts, &out), UV_ENOENT);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "nodir/*", &opts, &out), UV_ENOENT);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "a.txt/*", &opts, &out),
                   UV_ENOTDIR);
  /* A symlink to a directory is not entered by LISTSUBDIR. */
  mklink("lndir", "dir", RECENT);
  opts.listsubdir = 1;
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "l*", &opts, &out), 0);
  ck_assert_str_eq(text(), "link\r\nlndir\r\n");
  /* Relative to the cwd. */
  ck_assert_int_eq(ftp_fs_chdir(&fs, "dir"), 0);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "*.dat", &opts, &out), 0);
  ck_assert_str_eq(text(), "y.dat\r\n");
  ck_assert_int_eq(ftp_fs_mkdir(&fs, "/empty/inner", vp, sizeof(vp)), 0);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "../empty", &opts, &out), 0);
  ck_assert_str_eq(text(), "inner\r\n");
}
END_TEST

/* --- MLSD and MLST ----------------------------------------------------- */

START_TEST(test_mlsd_exact) {
  char want[4096];
  size_t len = 0;

  ck_assert_int_eq(chmod(root, 0755), 0);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "dir", &opts, &out), 0);
  len += (size_t)snprintf(want + len, sizeof(want) - len,
                          "type=cdir;modify=20231113221320;perm=cdeflmp;"
                          "unix.mode=0755;unique=%s; .\r\n",
                          uniq("dir", 0));
  len += (size_t)snprintf(want + len, sizeof(want) - len,
                          "type=file;size=0;modify=20231113221320;"
                          "perm=adfrw;unix.mode=0644;unique=%s; .dot\r\n",
                          uniq("dir/.dot", 0));
  len += (size_t)snprintf(want + len, sizeof(want) - len,
                          "type=dir;modify=20231113221320;perm=cdeflmp;"
                          "unix.mode=0700;unique=%s; deeper\r\n",
                          uniq("dir/deeper", 0));
  len += (size_t)snprintf(want + len, sizeof(want) - len,
                          "type=file;size=1;modify=20231113221320;"
                          "perm=adfrw;unix.mode=0644;unique=%s; x.txt\r\n",
                          uniq("dir/x.txt", 0));
  snprintf(want + len, sizeof(want) - len,
           "type=file;size=2;modify=20231113221320;perm=adfrw;"
           "unix.mode=0644;unique=%s; y.dat\r\n",
           uniq("dir/y.dat", 0));
  ck_assert_str_eq(text(), want);
}
END_TEST

/* Individual MLSD lines of the root listing. */
static const struct {
  const char *name;
  int follow;
  const char *facts;
} mlsd_root_lines[] = {
    {"a.txt", 0,
     "type=file;size=5;modify=20231113221320;perm=adfrw;unix.mode=0644"},
    {"b.txt", 0,
     "type=file;size=0;modify=20200102030405;perm=adfrw;unix.mode=0600"},
    {"caf\xc3\xa9", 0,
     "type=file;size=1;modify=20200102030405;perm=adfrw;unix.mode=0644"},
    {".hidden", 0,
     "type=file;size=1;modify=20231113221320;perm=adfrw;unix.mode=0644"},
    /* A link that resolves inside the root is its target. */
    {"link", 1,
     "type=file;size=5;modify=20231113221320;perm=adfrw;unix.mode=0644"},
    /* One that does not is a link. */
    {"dangling", 0,
     "type=OS.unix=symlink;modify=20231113221320;perm=df;unix.mode=0777"},
    {"esc", 0,
     "type=OS.unix=symlink;modify=20231113221320;perm=df;unix.mode=0777"},
    {"fifo", 0,
     "type=OS.unix=fifo;modify=20231113221320;perm=df;unix.mode=0644"},
    {"sticky", 0,
     "type=dir;modify=20200102030405;perm=cdeflmp;unix.mode=01777"},
    {"suid", 0,
     "type=file;size=1;modify=20231113221320;perm=adfrw;unix.mode=04755"},
};

START_TEST(test_mlsd_root_facts) {
  char want[512];
  const char *s;

  ck_assert_int_eq(chmod(root, 0755), 0);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "", &opts, &out), 0);
  s = text();
  /* cdir first; the root has no parent inside the root: no d or f. */
  ck_assert_int_eq(strncmp(s, "type=cdir;modify=", 17), 0);
  ck_assert_ptr_nonnull(strstr(s, ";perm=celmp;unix.mode=0755;"));
  ck_assert_ptr_nonnull(strstr(s, "; .\r\n"));
  ck_assert_ptr_null(strstr(s, "; /\r\n"));
  snprintf(want, sizeof(want), "%s;unique=%s; %s\r\n",
           mlsd_root_lines[_i].facts,
           uniq(mlsd_root_lines[_i].name, mlsd_root_lines[_i].follow),
           mlsd_root_lines[_i].name);
  ck_assert_msg(strstr(s, want) != NULL, "missing %s", want);
  /* Every entry, dot files included, CR/LF names not: 16 + .hidden + cdir. */
  ck_assert_int_eq(count_lines(s), 17);
  /* Sorted: ".hidden" < "Zebra" < "a.txt". */
  ck_assert(strstr(s, " .hidden\r\n") < strstr(s, " Zebra\r\n"));
  ck_assert(strstr(s, " Zebra\r\n") < strstr(s, " a.txt\r\n"));
}
END_TEST

START_TEST(test_mlsd_perm_letters) {
  struct ftp_fs ro;
  const char *s;

  mkfile("dir/ro.txt", "r", 0444, RECENT);
  mkdirm("dir/rodir", 0555);
  set_mtime("dir", RECENT);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "dir", &opts, &out), 0);
  s = text();
  ck_assert_ptr_nonnull(strstr(s, ";perm=dfr;unix.mode=0444;"));
  ck_assert_ptr_nonnull(strstr(s, ";perm=defl;unix.mode=0555;"));
  /* A directory the owner cannot write: nothing in it may change. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "dir/rodir", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), "type=cdir;modify="));
  ck_assert_ptr_nonnull(strstr(text(), ";perm=defl;unix.mode=0555;"));
  /* A read-only session: only r, e, l. */
  ck_assert_int_eq(ftp_fs_init(&ro, root, 022, 1), 0);
  opts.readonly = 1;
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlsd(&ro, "dir", &opts, &out), 0);
  s = text();
  ck_assert_ptr_nonnull(strstr(s, "type=cdir;modify=20231113221320;perm=el;"));
  ck_assert_ptr_nonnull(strstr(s, ";perm=r;unix.mode=0644;"));
  ck_assert_ptr_nonnull(strstr(s, ";perm=el;unix.mode=0700;"));
  ck_assert_ptr_null(strstr(s, "perm=a"));
  ck_assert_ptr_null(strstr(s, "w;"));
  ftp_fs_close(&ro);
}
END_TEST

START_TEST(test_mlsd_errors) {
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "a.txt", &opts, &out), UV_ENOTDIR);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "missing", &opts, &out), UV_ENOENT);
  /* MLSD takes a pathname, not ls options. */
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "-a", &opts, &out), UV_ENOENT);
  ck_assert_int_eq(ftp_buf_len(&out), 0);
}
END_TEST

START_TEST(test_mlst) {
  char want[512];

  ck_assert_int_eq(chmod(root, 0755), 0);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "a.txt", &opts, &out), 0);
  snprintf(want, sizeof(want),
           " type=file;size=5;modify=20231113221320;perm=adfrw;"
           "unix.mode=0644;unique=%s; /a.txt",
           uniq("a.txt", 0));
  ck_assert_str_eq(text(), want);
  /* The full virtual path, from the cwd. */
  ck_assert_int_eq(ftp_fs_chdir(&fs, "dir"), 0);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "deeper/", &opts, &out), 0);
  snprintf(want, sizeof(want),
           " type=dir;modify=20231113221320;perm=cdeflmp;unix.mode=0700;"
           "unique=%s; /dir/deeper",
           uniq("dir/deeper", 0));
  ck_assert_str_eq(text(), want);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), "; /dir"));
  ck_assert_int_eq(strncmp(text(), " type=dir;", 10), 0);
  /* The root: no d or f. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "/", &opts, &out), 0);
  ck_assert_ptr_nonnull(strstr(text(), ";perm=celmp;"));
  ck_assert_ptr_nonnull(strstr(text(), "; /"));
  /* A link: its target inside the root; a dangling one: itself. */
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "/link", &opts, &out), 0);
  snprintf(want, sizeof(want), ";unique=%s; /link", uniq("a.txt", 0));
  ck_assert_ptr_nonnull(strstr(text(), want));
  ck_assert_int_eq(strncmp(text(), " type=file;size=5;", 18), 0);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "/dangling", &opts, &out), 0);
  ck_assert_int_eq(strncmp(text(), " type=OS.unix=symlink;", 22), 0);
  ck_assert_ptr_null(strstr(text(), "\r\n"));
  ck_assert_int_eq(ftp_listfmt_mlst(&fs, "/missing", &opts, &out), UV_ENOENT);
}
END_TEST

/* --- size -------------------------------------------------------------- */

START_TEST(test_ten_thousand_entries) {
  char p[PATH_MAX], name[32];
  const char *s, *prev, *line;
  struct ftp_buf small;
  int dfd, fd, i;

  mkdirm("big", 0755);
  path_in(p, sizeof(p), root, "big");
  dfd = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  ck_assert_int_ge(dfd, 0);
  /* Hard links to one file: 10,000 directory entries without 10,000 new
   * inodes, which some filesystems create slowly (seconds).  Made in
   * reverse order, so that sorting has work to do. */
  fd = openat(dfd, "f10000", O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  ck_assert_int_ge(fd, 0);
  close(fd);
  for (i = 9999; i >= 0; i--) {
    snprintf(name, sizeof(name), "f%05d", i);
    ck_assert_int_eq(linkat(dfd, "f10000", dfd, name, 0), 0);
  }
  ck_assert_int_eq(unlinkat(dfd, "f10000", 0), 0);
  close(dfd);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "big", &opts, &out), 0);
  s = text();
  ck_assert_int_eq(count_lines(s), 10000);
  /* Sorted. */
  for (prev = NULL, line = s; *line != '\0';
       line = strstr(line, "\r\n") + 2) {
    if (prev != NULL)
      ck_assert_int_lt(strcmp(prev, line), 0);
    prev = line;
  }
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "big", &opts, &out), 0);
  ck_assert_int_eq(ftp_buf_len(&out), 10000 * 8);
  ck_assert_int_eq(strncmp(text(), "f00000\r\nf00001\r\n", 16), 0);
  ftp_buf_reset(&out);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "big", &opts, &out), 0);
  ck_assert_int_eq(count_lines(text()), 10001);
  /* Bounded: a buffer too small fails cleanly, for every format. */
  ftp_buf_init(&small, 4096);
  ck_assert_int_eq(ftp_listfmt_list(&fs, "big", &opts, &small), FTP_E_TOOBIG);
  ftp_buf_reset(&small);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "big", &opts, &small), FTP_E_TOOBIG);
  ftp_buf_reset(&small);
  ck_assert_int_eq(ftp_listfmt_nlst(&fs, "big/*", &opts, &small),
                   FTP_E_TOOBIG);
  ftp_buf_reset(&small);
  ck_assert_int_eq(ftp_listfmt_mlsd(&fs, "big", &opts, &small), FTP_E_TOOBIG);
  ck_assert_int_le(ftp_buf_len(&small), 4096);
  ftp_buf_free(&small);
}
END_TEST

static Suite *listfmt_suite(void) {
  Suite *s = suite_create("listfmt");
  TCase *pure = tcase_create("pure");
  TCase *list = tcase_create("list");
  TCase *nlst = tcase_create("nlst");
  TCase *mlsd = tcase_create("mlsd");
  TCase *big = tcase_create("big");

  tcase_add_loop_test(pure, test_mode_strings, 0,
                      sizeof(mode_cases) / sizeof(mode_cases[0]));
  tcase_add_loop_test(pure, test_dates, 0,
                      sizeof(date_cases) / sizeof(date_cases[0]));
  tcase_add_loop_test(pure, test_parse_opts, 0,
                      sizeof(opt_cases) / sizeof(opt_cases[0]));
  suite_add_tcase(s, pure);

  tcase_add_checked_fixture(list, setup, teardown);
  tcase_add_test(list, test_list_exact);
  tcase_add_test(list, test_list_dot_files_with_a);
  tcase_add_test(list, test_list_paths);
  tcase_add_test(list, test_list_never_describes_outside);
  tcase_add_test(list, test_list_owner_fallback_numeric);
  tcase_add_test(list, test_list_socket_and_crlf_names);
  suite_add_tcase(s, list);

  tcase_add_checked_fixture(nlst, setup, teardown);
  tcase_add_loop_test(nlst, test_nlst, 0,
                      sizeof(nlst_cases) / sizeof(nlst_cases[0]));
  tcase_add_test(nlst, test_nlst_errors_and_subdir_links);
  suite_add_tcase(s, nlst);

  tcase_add_checked_fixture(mlsd, setup, teardown);
  tcase_add_test(mlsd, test_mlsd_exact);
  tcase_add_loop_test(mlsd, test_mlsd_root_facts, 0,
                      sizeof(mlsd_root_lines) / sizeof(mlsd_root_lines[0]));
  tcase_add_test(mlsd, test_mlsd_perm_letters);
  tcase_add_test(mlsd, test_mlsd_errors);
  tcase_add_test(mlsd, test_mlst);
  suite_add_tcase(s, mlsd);

  tcase_add_checked_fixture(big, setup, teardown);
  /* 10,000 files are made and listed three times; generous under ASan. */
  tcase_set_timeout(big, 60);
  tcase_add_test(big, test_ten_thousand_entries);
  suite_add_tcase(s, big);
  return s;
}

int main(void) {
  const char *t = getenv("TMPDIR");
  SRunner *sr;
  int failed;

  /* Made before the run and removed after it: a failed assertion ends a
   * forked test with _exit(), skipping its teardown. */
  snprintf(run_dir, sizeof(run_dir), "%s/check_listfmt.XXXXXX",
           t != NULL && t[0] != '\0' ? t : "/tmp");
  if (mkdtemp(run_dir) == NULL) {
    perror("mkdtemp");
    return 1;
  }
  sr = srunner_create(listfmt_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  remove_tree(run_dir);
  return failed == 0 ? 0 : 1;
}
