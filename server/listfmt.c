/*
 * listfmt.c: directory listings (LIST, NLST, MLSD, MLST, STAT) built from a
 * directory descriptor that fs.c resolved inside the session's root.
 * Entry names are collected from a private DIR*, sorted, then formatted one
 * line each into the caller's bounded buffer.
 */
#include "listfmt.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "ftp_limits.h"

/* Half of a mean Gregorian year (365.2425 days), as GNU ls uses. */
#define FTP_LISTFMT_SIX_MONTHS ((time_t)(31556952 / 2))

/* Owner and group names remembered during one listing: a directory of
 * thousands of files usually has one or two owners, and each lookup may
 * read /etc/passwd or ask a directory service. */
#define FTP_LISTFMT_IDCACHE 16
#define FTP_LISTFMT_IDNAME 64
/* getpwuid_r/getgrgid_r scratch space: groups with many members need more
 * than the usual 1 KiB; past this size the number is shown instead. */
#define FTP_LISTFMT_PWBUF_START 1024
#define FTP_LISTFMT_PWBUF_MAX (1024 * 1024)

/* A display name is a path prefix as the client gave it plus one entry
 * name (at most NAME_MAX, 255) and a slash. */
#define FTP_LISTFMT_DISPLAY_MAX (FTP_PATH_MAX + 512)

enum list_kind { KIND_LIST, KIND_NLST };

struct idname {
  unsigned id;
  int valid;
  char name[FTP_LISTFMT_IDNAME];
};

struct idcache {
  struct idname e[FTP_LISTFMT_IDCACHE];
  unsigned next;
};

/* One listing in progress. */
struct ctx {
  const struct ftp_fs *fs;
  const struct ftp_listfmt_opts *o;
  int all;
  enum list_kind kind;
  struct ftp_buf *out;
  struct idcache users, groups;
};

/* The names of one directory, sorted.  The bytes live in a bounded arena,
 * so that a huge directory fails with FTP_E_TOOBIG instead of exhausting
 * memory: every name kept would appear in the output, so the arena never
 * needs more room than the output buffer has left. */
struct names {
  struct ftp_buf arena;
  size_t *off;
  size_t count, cap;
  const char **v;
};

static const char month_names[12][4] = {"Jan", "Feb", "Mar", "Apr",
                                        "May", "Jun", "Jul", "Aug",
                                        "Sep", "Oct", "Nov", "Dec"};

/* --- small pure helpers ------------------------------------------------ */

static char exec_char(mode_t m, mode_t xbit, mode_t special, char set,
                      char unset) {
  if ((m & special) != 0)
    return (m & xbit) != 0 ? set : unset;
  return (m & xbit) != 0 ? 'x' : '-';
}

static char type_char(mode_t m) {
  if (S_ISDIR(m))
    return 'd';
  if (S_ISLNK(m))
    return 'l';
  if (S_ISFIFO(m))
    return 'p';
  if (S_ISSOCK(m))
    return 's';
  if (S_ISCHR(m))
    return 'c';
  if (S_ISBLK(m))
    return 'b';
  return '-';
}

void ftp_listfmt_mode(mode_t m, char out[11]) {
  out[0] = type_char(m);
  out[1] = (m & S_IRUSR) != 0 ? 'r' : '-';
  out[2] = (m & S_IWUSR) != 0 ? 'w' : '-';
  out[3] = exec_char(m, S_IXUSR, S_ISUID, 's', 'S');
  out[4] = (m & S_IRGRP) != 0 ? 'r' : '-';
  out[5] = (m & S_IWGRP) != 0 ? 'w' : '-';
  out[6] = exec_char(m, S_IXGRP, S_ISGID, 's', 'S');
  out[7] = (m & S_IROTH) != 0 ? 'r' : '-';
  out[8] = (m & S_IWOTH) != 0 ? 'w' : '-';
  out[9] = exec_char(m, S_IXOTH, S_ISVTX, 't', 'T');
  out[10] = '\0';
}

int ftp_listfmt_date(time_t mtime, time_t now, char *out, size_t n) {
  struct tm tm;
  int recent, len;

  /* gmtime_r, not localtime: listings are UTC, and localtime is neither
   * reentrant nor free of the process's TZ. */
  if (gmtime_r(&mtime, &tm) == NULL) {
    mtime = 0;
    gmtime_r(&mtime, &tm);
  }
  recent = mtime <= now && mtime > now - FTP_LISTFMT_SIX_MONTHS;
  if (recent)
    len = snprintf(out, n, "%s %2d %02d:%02d", month_names[tm.tm_mon],
                   tm.tm_mday, tm.tm_hour, tm.tm_min);
  else
    len = snprintf(out, n, "%s %2d %5lld", month_names[tm.tm_mon],
                   tm.tm_mday, (long long)tm.tm_year + 1900);
  if (len < 0 || (size_t)len >= n)
    return FTP_E_TOOBIG;
  return 0;
}

void ftp_listfmt_parse_opts(const char *arg, int *all, const char **path) {
  const char *p = arg, *w;

  for (;;) {
    w = p;
    while (*w == ' ')
      w++;
    /* An option word is "-" followed by at least one non-blank. */
    if (w[0] != '-' || w[1] == '\0' || w[1] == ' ')
      break;
    if (w[1] == '-' && (w[2] == '\0' || w[2] == ' ')) {
      p = w + 2;
      while (*p == ' ')
        p++;
      break;
    }
    for (p = w + 1; *p != '\0' && *p != ' '; p++)
      if (*p == 'a' || *p == 'A')
        *all = 1;
    while (*p == ' ')
      p++;
  }
  *path = p;
}

static int has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

static int has_wildcard(const char *s) { return strpbrk(s, "*?[") != NULL; }

/* --- owner and group names --------------------------------------------- */

/* Look a uid or gid up with the reentrant calls, growing the scratch
 * buffer on ERANGE.  A name that is unknown, too long for the cache or
 * holds a blank (which would shift ls columns) is not used. */
static int lookup_id(unsigned id, int user, char *name, size_t n) {
  struct passwd pw, *pwr = NULL;
  struct group gr, *grr = NULL;
  const char *found = NULL;
  size_t sz = FTP_LISTFMT_PWBUF_START;
  char *buf = NULL;
  int rc;

  for (;;) {
    if ((buf = malloc(sz)) == NULL)
      return FTP_E_NOMEM;
    if (user) {
      rc = getpwuid_r((uid_t)id, &pw, buf, sz, &pwr);
      found = rc == 0 && pwr != NULL ? pwr->pw_name : NULL;
    } else {
      rc = getgrgid_r((gid_t)id, &gr, buf, sz, &grr);
      found = rc == 0 && grr != NULL ? grr->gr_name : NULL;
    }
    if (rc != ERANGE || sz >= FTP_LISTFMT_PWBUF_MAX)
      break;
    free(buf);
    sz *= 4;
  }
  rc = UV_ENOENT;
  if (found != NULL && found[0] != '\0' && strlen(found) < n &&
      strpbrk(found, " \t\r\n") == NULL) {
    memcpy(name, found, strlen(found) + 1);
    rc = 0;
  }
  free(buf);
  return rc;
}

static const char *id_name(struct idcache *c, unsigned id, int user) {
  struct idname *e;
  unsigned i;

  for (i = 0; i < FTP_LISTFMT_IDCACHE; i++)
    if (c->e[i].valid && c->e[i].id == id)
      return c->e[i].name;
  e = &c->e[c->next++ % FTP_LISTFMT_IDCACHE];
  e->valid = 1;
  e->id = id;
  if (lookup_id(id, user, e->name, sizeof(e->name)) != 0)
    snprintf(e->name, sizeof(e->name), "%u", id);
  return e->name;
}

/* --- reading a directory ----------------------------------------------- */

static void names_free(struct names *nm) {
  ftp_buf_free(&nm->arena);
  free(nm->off);
  free(nm->v);
  memset(nm, 0, sizeof(*nm));
}

static int names_push(struct names *nm, const char *name) {
  size_t len = strlen(name), off = ftp_buf_len(&nm->arena), ncap;
  size_t *p;
  int r;

  if (nm->count == nm->cap) {
    ncap = nm->cap == 0 ? 64 : nm->cap * 2;
    if (ncap > SIZE_MAX / sizeof(*nm->off))
      return FTP_E_TOOBIG;
    if ((p = realloc(nm->off, ncap * sizeof(*nm->off))) == NULL)
      return FTP_E_NOMEM;
    nm->off = p;
    nm->cap = ncap;
  }
  if ((r = ftp_buf_put(&nm->arena, name, len + 1)) != 0)
    return r;
  nm->off[nm->count++] = off;
  return 0;
}

static int cmp_names(const void *a, const void *b) {
  return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Which directory entries a listing keeps.  "." and ".." never; a name
 * with CR or LF never (see the header); with a pattern, exactly the names
 * it matches (FNM_PERIOD: a leading dot must be matched by a dot, as in
 * the shell); without one, dot files only when asked for. */
static int keep_name(const char *name, const char *pattern, int all) {
  if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || has_crlf(name))
    return 0;
  if (pattern != NULL)
    return fnmatch(pattern, name, FNM_PERIOD) == 0;
  return all || name[0] != '.';
}

/* Collect and sort the kept names of dirfd, which stays the caller's.
 * readdir runs on a private DIR* over a duplicate of the descriptor, so it
 * is safe on a worker thread; the duplicate shares the file offset, hence
 * the rewind. */
static int read_names(int dirfd, const char *pattern, int all, size_t max,
                      struct names *nm) {
  const unsigned char *base;
  struct dirent *de;
  DIR *d = NULL;
  size_t i;
  int dfd, r = 0;

  memset(nm, 0, sizeof(*nm));
  ftp_buf_init(&nm->arena, max);
  if ((dfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) < 0)
    return -errno;
  if ((d = fdopendir(dfd)) == NULL) {
    r = -errno;
    close(dfd);
    return r;
  }
  rewinddir(d);
  for (;;) {
    errno = 0;
    if ((de = readdir(d)) == NULL) {
      r = -errno;
      break;
    }
    if (keep_name(de->d_name, pattern, all) &&
        (r = names_push(nm, de->d_name)) != 0)
      break;
  }
  closedir(d);
  if (r != 0)
    goto out;
  if (nm->count > 0) {
    if ((nm->v = calloc(nm->count, sizeof(*nm->v))) == NULL) {
      r = FTP_E_NOMEM;
      goto out;
    }
    base = ftp_buf_ptr(&nm->arena);
    for (i = 0; i < nm->count; i++)
      nm->v[i] = (const char *)base + nm->off[i];
    qsort(nm->v, nm->count, sizeof(*nm->v), cmp_names);
  }
  r = 0;
out:
  if (r != 0)
    names_free(nm);
  return r;
}

/* --- LIST and NLST lines ----------------------------------------------- */

static int put_name_line(struct ctx *c, const char *display) {
  int r;

  if (has_crlf(display))
    return 0;
  if ((r = ftp_buf_puts(c->out, display)) != 0 ||
      (r = ftp_buf_puts(c->out, "\r\n")) != 0)
    return r;
  return 0;
}

/* One ls -l line.  st is the entry itself (AT_SYMLINK_NOFOLLOW). */
static int put_list_line(struct ctx *c, int dirfd, const char *name,
                         const char *display, const struct stat *st) {
  char mode[11], date[32], target[FTP_PATH_MAX + 1];
  const char *owner, *group;
  ssize_t tlen = -1;
  int r;

  if (has_crlf(display))
    return 0;
  if (S_ISLNK(st->st_mode)) {
    tlen = readlinkat(dirfd, name, target, sizeof(target) - 1);
    if (tlen >= 0) {
      target[tlen] = '\0';
      if (has_crlf(target))
        return 0;
    }
  }
  ftp_listfmt_mode(st->st_mode, mode);
  if ((r = ftp_listfmt_date(st->st_mtime, c->o->now, date, sizeof(date))) !=
      0)
    return r;
  owner = id_name(&c->users, (unsigned)st->st_uid, 1);
  group = id_name(&c->groups, (unsigned)st->st_gid, 0);
  if ((r = ftp_buf_putf(c->out, "%s %4lu %-8s %-8s %8lld %s %s", mode,
                        (unsigned long)st->st_nlink, owner, group,
                        (long long)st->st_size, date, display)) != 0)
    return r;
  if (tlen >= 0 && (r = ftp_buf_putf(c->out, " -> %s", target)) != 0)
    return r;
  return ftp_buf_puts(c->out, "\r\n");
}

static int join(char *out, size_t n, const char *a, const char *sep,
                const char *b) {
  int len = snprintf(out, n, "%s%s%s", a, sep, b);

  return len < 0 || (size_t)len >= n ? FTP_E_TOOBIG : 0;
}

/* LISTSUBDIR: the files (not directories) of one matched subdirectory, as
 * "display/name".  Security: name is one entry of dirfd, opened with
 * O_NOFOLLOW, so a symlink is never entered and the directory is inside
 * the root. */
static int put_subdir(struct ctx *c, int dirfd, const char *name,
                      const char *display) {
  char line[FTP_LISTFMT_DISPLAY_MAX];
  struct names nm;
  struct stat st;
  size_t i;
  int sfd, r;

  if ((sfd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
                                     O_CLOEXEC)) < 0)
    return 0;
  if ((r = read_names(sfd, NULL, c->all, ftp_buf_room(c->out), &nm)) != 0)
    goto out;
  for (i = 0; i < nm.count && r == 0; i++) {
    if (fstatat(sfd, nm.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0 ||
        S_ISDIR(st.st_mode))
      continue;
    if ((r = join(line, sizeof(line), display, "/", nm.v[i])) == 0)
      r = put_name_line(c, line);
  }
  names_free(&nm);
out:
  close(sfd);
  return r;
}

/* The entries of dirfd.  prefix (NULL for none) is what the client wrote
 * before the pattern, put in front of every name; pattern (NULL for none)
 * selects the names. */
static int put_dir(struct ctx *c, int dirfd, const char *prefix,
                   const char *pattern) {
  char display[FTP_LISTFMT_DISPLAY_MAX];
  int subdirs = c->kind == KIND_NLST && pattern != NULL && c->o->listsubdir;
  struct names nm;
  struct stat st;
  size_t i;
  int r;

  if ((r = read_names(dirfd, pattern, c->all, ftp_buf_room(c->out), &nm)) !=
      0)
    return r;
  for (i = 0; i < nm.count && r == 0; i++) {
    if ((r = join(display, sizeof(display), prefix != NULL ? prefix : "", "",
                  nm.v[i])) != 0)
      break;
    if (c->kind == KIND_NLST && !subdirs) {
      r = put_name_line(c, display);
      continue;
    }
    /* An entry removed since readdir is simply not listed. */
    if (fstatat(dirfd, nm.v[i], &st, AT_SYMLINK_NOFOLLOW) != 0)
      continue;
    if (c->kind == KIND_LIST)
      r = put_list_line(c, dirfd, nm.v[i], display, &st);
    else if (S_ISDIR(st.st_mode))
      r = put_subdir(c, dirfd, nm.v[i], display);
    else
      r = put_name_line(c, display);
  }
  names_free(&nm);
  return r;
}

/* A wildcard in the last component of path: list the matching entries of
 * its directory.  Each name gets the directory part the client wrote, so
 * that every line is a path relative to the cwd just as the argument was
 * (mget, mdelete); when the written path does not end in the pattern
 * ("*.c/."), the absolute virtual directory is used instead. */
static int put_glob(struct ctx *c, const char *path, const char *pattern) {
  char vpath[FTP_PATH_MAX], prefix[FTP_PATH_MAX];
  size_t plen = strlen(path), llen = strlen(pattern);
  int dfd = -1, r;

  /* fs normalised the last component of path to pattern: the directory is
   * the virtual path minus it. */
  if ((r = ftp_fs_vpath(c->fs, path, vpath, sizeof(vpath))) != 0)
    return r;
  *strrchr(vpath, '/') = '\0';
  while (plen > 0 && path[plen - 1] == '/')
    plen--;
  if (plen >= llen && memcmp(path + plen - llen, pattern, llen) == 0 &&
      (plen == llen || path[plen - llen - 1] == '/')) {
    plen -= llen;
    memcpy(prefix, path, plen);
    prefix[plen] = '\0';
  } else if ((r = join(prefix, sizeof(prefix), vpath, "/", "")) != 0) {
    return r;
  }
  if ((r = ftp_fs_opendir(c->fs, vpath[0] == '\0' ? "/" : vpath, &dfd)) != 0)
    return r;
  r = put_dir(c, dfd, prefix, pattern);
  close(dfd);
  return r;
}

/* path is not a directory: one entry as named, or a wildcard.  err is why
 * it could not be opened as a directory, returned when neither applies. */
static int put_path(struct ctx *c, const char *path, int err) {
  char name[FTP_PATH_MAX];
  struct stat st;
  int pfd = -1, r;

  if ((r = ftp_fs_open_parent(c->fs, path, &pfd, name, sizeof(name))) != 0)
    return r;
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0) {
    if (c->kind == KIND_LIST)
      r = put_list_line(c, pfd, name, path, &st);
    else
      r = put_name_line(c, path);
  } else if (errno == ENOENT && has_wildcard(name)) {
    r = put_glob(c, path, name);
  } else {
    r = err;
  }
  close(pfd);
  return r;
}

static int list_or_nlst(const struct ftp_fs *fs, const char *arg,
                        const struct ftp_listfmt_opts *o, struct ftp_buf *out,
                        enum list_kind kind) {
  struct ctx *c;
  const char *path;
  int dfd = -1, r;

  /* The context holds the name caches (a few KiB): keep it off the
   * worker's stack. */
  if ((c = calloc(1, sizeof(*c))) == NULL)
    return FTP_E_NOMEM;
  c->fs = fs;
  c->o = o;
  c->all = o->all;
  c->kind = kind;
  c->out = out;
  ftp_listfmt_parse_opts(arg, &c->all, &path);
  r = ftp_fs_opendir(fs, path, &dfd);
  if (r == 0) {
    r = put_dir(c, dfd, NULL, NULL);
    close(dfd);
  } else if (r == UV_ENOTDIR || r == UV_ENOENT || r == UV_ELOOP) {
    r = put_path(c, path, r);
  }
  free(c);
  return r;
}

int ftp_listfmt_list(const struct ftp_fs *fs, const char *arg,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out) {
  return list_or_nlst(fs, arg, o, out, KIND_LIST);
}

int ftp_listfmt_nlst(const struct ftp_fs *fs, const char *arg,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out) {
  return list_or_nlst(fs, arg, o, out, KIND_NLST);
}

/* --- MLSD and MLST ----------------------------------------------------- */

/* RFC 3659 7.5.1: file, dir, cdir; anything else is an OS-specific type. */
static const char *mlsx_type(mode_t m, int cdir) {
  if (S_ISDIR(m))
    return cdir ? "cdir" : "dir";
  if (S_ISREG(m))
    return "file";
  if (S_ISLNK(m))
    return "OS.unix=symlink";
  if (S_ISFIFO(m))
    return "OS.unix=fifo";
  if (S_ISSOCK(m))
    return "OS.unix=socket";
  if (S_ISCHR(m))
    return "OS.unix=chardev";
  if (S_ISBLK(m))
    return "OS.unix=blockdev";
  return "OS.unix=unknown";
}

/* RFC 3659 7.5.5 perm letters, from the owner's bits of the object and
 * whether its parent lets the owner change entries (d, f). */
static void perm_letters(const struct stat *st, int parent_w, int readonly,
                         char *p) {
  mode_t m = st->st_mode;
  int w = !readonly && (m & S_IWUSR) != 0;
  int x = (m & S_IXUSR) != 0;

  parent_w = parent_w && !readonly;
  if (S_ISREG(m)) {
    if (w)
      *p++ = 'a';
    if (parent_w) {
      *p++ = 'd';
      *p++ = 'f';
    }
    if ((m & S_IRUSR) != 0)
      *p++ = 'r';
    if (w)
      *p++ = 'w';
  } else if (S_ISDIR(m)) {
    if (w && x)
      *p++ = 'c';
    if (parent_w)
      *p++ = 'd';
    if (x)
      *p++ = 'e';
    if (parent_w)
      *p++ = 'f';
    if ((m & S_IRUSR) != 0 && x)
      *p++ = 'l';
    if (w && x) {
      *p++ = 'm';
      *p++ = 'p';
    }
  } else if (parent_w) {
    *p++ = 'd';
    *p++ = 'f';
  }
  *p = '\0';
}

/* Whether the owner may add and remove entries of a directory. */
static int dir_writable(const struct stat *st) {
  return S_ISDIR(st->st_mode) && (st->st_mode & S_IWUSR) != 0 &&
         (st->st_mode & S_IXUSR) != 0;
}

/* Whether the directory containing vpath lets the owner change entries;
 * the root has no parent inside the root: no. */
static int parent_writable(const struct ftp_fs *fs, const char *vpath) {
  char parent[FTP_PATH_MAX];
  struct stat st;
  size_t len = strlen(vpath);

  if (vpath[1] == '\0' || len >= sizeof(parent))
    return 0;
  memcpy(parent, vpath, len + 1);
  *strrchr(parent, '/') = '\0';
  if (ftp_fs_stat(fs, parent[0] == '\0' ? "/" : parent, &st) != 0)
    return 0;
  return dir_writable(&st);
}

/* "fact=value;..." for one object, without the name: the facts of
 * o->hide_facts are left out (RFC 3659 section 7.9, OPTS MLST). */
static int put_facts(struct ftp_buf *out, const struct stat *st, int cdir,
                     int parent_w, const struct ftp_listfmt_opts *o) {
  unsigned hide = o->hide_facts;
  char perm[16];
  struct tm tm;
  int r;

  if (!(hide & FTP_LISTFMT_FACT_TYPE) &&
      (r = ftp_buf_putf(out, "type=%s;", mlsx_type(st->st_mode, cdir))) != 0)
    return r;
  if (!(hide & FTP_LISTFMT_FACT_SIZE) && S_ISREG(st->st_mode) &&
      (r = ftp_buf_putf(out, "size=%lld;", (long long)st->st_size)) != 0)
    return r;
  if (!(hide & FTP_LISTFMT_FACT_MODIFY) && gmtime_r(&st->st_mtime, &tm) != NULL &&
      (r = ftp_buf_putf(out, "modify=%04lld%02d%02d%02d%02d%02d;",
                        (long long)tm.tm_year + 1900, tm.tm_mon + 1,
                        tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec)) != 0)
    return r;
  perm_letters(st, parent_w, o->readonly, perm);
  if (!(hide & FTP_LISTFMT_FACT_PERM) &&
      (r = ftp_buf_putf(out, "perm=%s;", perm)) != 0)
    return r;
  if (!(hide & FTP_LISTFMT_FACT_UNIX_MODE) &&
      (r = ftp_buf_putf(out, "unix.mode=0%03o;",
                        (unsigned)(st->st_mode & 07777))) != 0)
    return r;
  if (!(hide & FTP_LISTFMT_FACT_UNIQUE) &&
      (r = ftp_buf_putf(out, "unique=%llx:%llx;", (unsigned long long)st->st_dev,
                        (unsigned long long)st->st_ino)) != 0)
    return r;
  return 0;
}

/* One MLSD entry.  A symlink is described by its target, resolved by fs
 * inside the root (never by a plain stat, which would describe whatever
 * the link names outside); a link that does not resolve there is shown
 * as a link. */
static int put_mlsd_entry(const struct ftp_fs *fs, struct ftp_buf *out,
                          int dirfd, const char *dir_vpath, const char *name,
                          int parent_w, const struct ftp_listfmt_opts *o) {
  char vpath[FTP_PATH_MAX];
  struct stat st, target;
  int r;

  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
    return 0;
  if (S_ISLNK(st.st_mode) &&
      join(vpath, sizeof(vpath), dir_vpath[1] == '\0' ? "" : dir_vpath, "/",
           name) == 0 &&
      ftp_fs_stat(fs, vpath, &target) == 0)
    st = target;
  if ((r = put_facts(out, &st, 0, parent_w, o)) != 0 ||
      (r = ftp_buf_putf(out, " %s\r\n", name)) != 0)
    return r;
  return 0;
}

int ftp_listfmt_mlsd(const struct ftp_fs *fs, const char *path,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out) {
  char vpath[FTP_PATH_MAX];
  struct names nm;
  struct stat dst;
  int dfd = -1, dir_w, r;
  size_t i;

  memset(&nm, 0, sizeof(nm));
  if ((r = ftp_fs_vpath(fs, path, vpath, sizeof(vpath))) != 0 ||
      (r = ftp_fs_opendir(fs, vpath, &dfd)) != 0)
    goto out;
  if (fstat(dfd, &dst) != 0) {
    r = -errno;
    goto out;
  }
  /* RFC 3659 7.5.1.1: the cdir line describes the listed directory; its
   * name may be any name for it.  "." as ProFTPD and Pure-FTPd send: a
   * client that joins every name to the directory it listed (rclone's
   * recursive ls and check) takes an absolute path for a subdirectory. */
  if ((r = put_facts(out, &dst, 1, parent_writable(fs, vpath), o)) != 0 ||
      (r = ftp_buf_puts(out, " .\r\n")) != 0)
    goto out;
  if ((r = read_names(dfd, NULL, 1, ftp_buf_room(out), &nm)) != 0)
    goto out;
  dir_w = dir_writable(&dst);
  for (i = 0; i < nm.count; i++)
    if ((r = put_mlsd_entry(fs, out, dfd, vpath, nm.v[i], dir_w, o)) != 0)
      goto out;
  r = 0;
out:
  names_free(&nm);
  if (dfd >= 0)
    close(dfd);
  return r;
}

/* MLST of a path that does not resolve: a dangling (or escaping) symlink
 * is still an object the client can see in MLSD and delete. */
static int lstat_last(const struct ftp_fs *fs, const char *vpath,
                      struct stat *st) {
  char name[FTP_PATH_MAX];
  int pfd = -1, r;

  if ((r = ftp_fs_open_parent(fs, vpath, &pfd, name, sizeof(name))) != 0)
    return r;
  r = fstatat(pfd, name, st, AT_SYMLINK_NOFOLLOW) == 0 ? 0 : -errno;
  close(pfd);
  return r;
}

int ftp_listfmt_mlst(const struct ftp_fs *fs, const char *path,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out) {
  char vpath[FTP_PATH_MAX];
  struct stat st;
  int r, r2;

  if ((r = ftp_fs_vpath(fs, path, vpath, sizeof(vpath))) != 0)
    return r;
  if (has_crlf(vpath))
    return UV_EINVAL;
  if ((r = ftp_fs_stat(fs, vpath, &st)) != 0) {
    if (r != UV_ENOENT && r != UV_ELOOP)
      return r;
    if ((r2 = lstat_last(fs, vpath, &st)) != 0 || !S_ISLNK(st.st_mode))
      return r;
  }
  if ((r = ftp_buf_puts(out, " ")) != 0 ||
      (r = put_facts(out, &st, 0, parent_writable(fs, vpath), o)) != 0 ||
      (r = ftp_buf_putf(out, " %s", vpath)) != 0)
    return r;
  return 0;
}
