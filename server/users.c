/*
 * users.c: parse the USERFILE into an immutable, reference-counted table of
 * users, look users up by name or by client certificate, and check
 * passwords against their crypt(3) hashes.  The only I/O is the thin
 * ftp_users_load() wrapper that reads the file.
 */
#include "users.h"

#include <crypt.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "file.h"

/* A hostile or binary file could produce an error per line; past this many
 * the parser stops, so that the log is not flooded. */
#define FTP_USERS_DIAG_MAX 50

/* How much of a bad value a diagnostic quotes. */
#define FTP_USERS_QUOTE_MAX 48

/* The longest password that can be checked: ours, or libxcrypt's if lower. */
#if FTP_PASS_MAX < CRYPT_MAX_PASSPHRASE_SIZE - 1
#define PASSWORD_MAX FTP_PASS_MAX
#else
#define PASSWORD_MAX (CRYPT_MAX_PASSPHRASE_SIZE - 1)
#endif

struct ftp_users {
  atomic_long refs;
  struct ftp_user *users; /* sorted by name, for bsearch */
  size_t n;
  char *dummy_hash;       /* hashed against for unknown users; NULL: builtin */
};

/* Security: used as the dummy when the file has no password hash at all; then
 * no user can log in with a password and there is nothing to hide, but the
 * unknown-user path must still cost a hash. */
static const char builtin_dummy_hash[] =
    "$y$j9T$F5Jx5fExrKuPp53xLKQ..1$U4SOHmDd8SvW5vCUKSMR6N835VPwFAtgYNhQ9mFFeL5";

/* Hash methods we accept, by prefix.  libxcrypt calls $5$ "legacy" but it is
 * salted, iterated SHA-256 and the brief of this file lists it; DES, MD5 and
 * the like are refused because they are cheap to crack. */
static const char *const hash_prefixes[] = {
    "$y$", "$gy$", "$7$", "$2b$", "$2y$", "$6$", "$5$",
};

struct parse {
  const char *fname;
  size_t line;
  ftp_users_diag_cb *diag;
  void *arg;
  int nerr;
  struct ftp_user *users;
  size_t n;
  size_t cap;
  size_t dummy_line;      /* line of the first password user, 0: none yet */
  const char *dummy_hash; /* that user's hash (owned by users[]) */
};

/* A bounded, printable copy of a bad value for a diagnostic. */
struct quoted {
  char s[FTP_USERS_QUOTE_MAX * 4 + 8];
};

static const char *quote(struct quoted *q, const char *p, size_t n) {
  static const char hex[] = "0123456789abcdef";
  size_t i, o = 0;

  q->s[o++] = '\'';
  for (i = 0; i < n && i < FTP_USERS_QUOTE_MAX; i++) {
    unsigned char c = (unsigned char)p[i];
    /* Security: the value came from a file and goes to a log; escape what
     * a terminal or syslog could misread. */
    if (c >= 0x20 && c < 0x7f && c != '\\') {
      q->s[o++] = (char)c;
    } else {
      q->s[o++] = '\\';
      q->s[o++] = 'x';
      q->s[o++] = hex[c >> 4];
      q->s[o++] = hex[c & 15];
    }
  }
  if (i < n) {
    q->s[o++] = '.';
    q->s[o++] = '.';
    q->s[o++] = '.';
  }
  q->s[o++] = '\'';
  q->s[o] = 0;
  return q->s;
}

static void report(struct parse *p, size_t line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void report(struct parse *p, size_t line, const char *fmt, ...) {
  char msg[FTP_PATH_MAX + FTP_USERS_QUOTE_MAX * 4 + 256];
  int n;
  va_list ap;

  p->nerr++;
  if (p->diag == NULL || p->nerr > FTP_USERS_DIAG_MAX + 1)
    return;
  if (p->nerr == FTP_USERS_DIAG_MAX + 1) {
    snprintf(msg, sizeof(msg), "%s:%zu: too many errors; giving up", p->fname,
             line);
    p->diag(p->arg, msg);
    return;
  }
  n = snprintf(msg, sizeof(msg), "%s:%zu: ", p->fname, line);
  if (n < 0 || (size_t)n >= sizeof(msg))
    n = 0;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
  va_end(ap);
  p->diag(p->arg, msg);
}

static void wipe_str(char *s) {
  if (s != NULL) {
    explicit_bzero(s, strlen(s));
    free(s);
  }
}

static void user_clear(struct ftp_user *u) {
  free(u->name);
  /* Security: a hash is not the password, but it is what an offline
   * dictionary attack needs; do not leave copies in freed memory. */
  wipe_str(u->hash);
  free(u->home);
  free(u->cert_sha256);
  free(u->cert_dn);
  free(u->sysuser);
  memset(u, 0, sizeof(*u));
}

static int name_char_ok(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
         c == '-';
}

static int has_ctl(const char *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] == 0x7f)
      return 1;
  return 0;
}

static int span_eq(const char *s, size_t n, const char *lit) {
  return strlen(lit) == n && memcmp(s, lit, n) == 0;
}

static int span_prefix(const char *s, size_t n, const char *lit) {
  size_t l = strlen(lit);
  return n >= l && memcmp(s, lit, l) == 0;
}

/* Each check_* reports its own error and leaves the field unset; only
 * allocation failure is returned. */
static int check_name(struct parse *p, const char *s, size_t n,
                      struct ftp_user *u) {
  struct quoted q;
  size_t i;

  if (n == 0) {
    report(p, p->line, "empty user name");
    return 0;
  }
  if (n > FTP_USER_MAX) {
    report(p, p->line, "user name %s is longer than %d characters",
           quote(&q, s, n), FTP_USER_MAX);
    return 0;
  }
  for (i = 0; i < n; i++) {
    if (!name_char_ok((unsigned char)s[i])) {
      report(p, p->line,
             "user name %s has a character outside [A-Za-z0-9._@-]",
             quote(&q, s, n));
      return 0;
    }
  }
  if ((u->name = strndup(s, n)) == NULL)
    return FTP_E_NOMEM;
  return 0;
}

static int check_hash(struct parse *p, const char *s, size_t n,
                      struct ftp_user *u) {
  struct quoted q;
  char *h;
  size_t i, m;
  int cs;

  if (n == 0) {
    /* Security: in /etc/shadow an empty field means "no password"; here it
     * is a mistake, never an open door. */
    report(p, p->line,
           "empty password hash (write * to disable password login)");
    return 0;
  }
  for (i = 0; i < n; i++) {
    if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f) {
      report(p, p->line, "password hash contains a blank or control character");
      return 0;
    }
  }
  if (s[0] == '*' || s[0] == '!')
    return 0; /* password login disabled: u->hash stays NULL */
  for (i = 0; i < sizeof(hash_prefixes) / sizeof(hash_prefixes[0]); i++)
    if (span_prefix(s, n, hash_prefixes[i]))
      break;
  if (i == sizeof(hash_prefixes) / sizeof(hash_prefixes[0])) {
    /* Name only the method, not the hash: the message goes to a log. */
    m = 0;
    if (s[0] == '$') {
      const char *e = memchr(s + 1, '$', n - 1);
      m = e == NULL ? n : (size_t)(e - s) + 1;
    }
    report(p, p->line,
           "unsupported or weak password hash method %s (use $y$ from "
           "mkpasswd or $6$ from openssl passwd -6)",
           m == 0 ? "(traditional DES)" : quote(&q, s, m));
    return 0;
  }
  if ((h = strndup(s, n)) == NULL)
    return FTP_E_NOMEM;
  cs = crypt_checksalt(h);
  if (cs == CRYPT_SALT_INVALID || cs == CRYPT_SALT_METHOD_DISABLED) {
    report(p, p->line, "malformed password hash, or a method this system's "
                       "libxcrypt does not support");
    wipe_str(h);
    return 0;
  }
  u->hash = h;
  return 0;
}

static int check_home(struct parse *p, const char *s, size_t n,
                      struct ftp_user *u) {
  struct quoted q;

  if (n == 0) {
    report(p, p->line, "empty home directory");
    return 0;
  }
  if (s[0] != '/') {
    report(p, p->line, "home directory %s is not an absolute path",
           quote(&q, s, n));
    return 0;
  }
  if (n > FTP_PATH_MAX) {
    report(p, p->line, "home directory is longer than %d bytes", FTP_PATH_MAX);
    return 0;
  }
  if (has_ctl(s, n)) {
    report(p, p->line, "home directory %s contains a control character",
           quote(&q, s, n));
    return 0;
  }
  if ((u->home = strndup(s, n)) == NULL)
    return FTP_E_NOMEM;
  return 0;
}

static int hexval(unsigned char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

/*
 * Parse a fingerprint: 64 hex digits, or 32 pairs separated by single colons.
 * Mixed forms ("AB:CDEF...") are refused: a fingerprint that was mangled in
 * copying should be noticed, not guessed at.
 */
static int parse_fingerprint(const char *s, size_t n,
                             unsigned char out[FTP_USERS_SHA256_LEN]) {
  size_t i, step;
  int hi, lo;

  if (n == FTP_USERS_SHA256_LEN * 2)
    step = 2;
  else if (n == FTP_USERS_SHA256_LEN * 3 - 1)
    step = 3;
  else
    return -1;
  for (i = 0; i < FTP_USERS_SHA256_LEN; i++) {
    hi = hexval((unsigned char)s[i * step]);
    lo = hexval((unsigned char)s[i * step + 1]);
    if (hi < 0 || lo < 0)
      return -1;
    if (step == 3 && i + 1 < FTP_USERS_SHA256_LEN && s[i * step + 2] != ':')
      return -1;
    out[i] = (unsigned char)(hi << 4 | lo);
  }
  return 0;
}

static int add_fingerprint(struct ftp_user *u,
                           const unsigned char fp[FTP_USERS_SHA256_LEN]) {
  unsigned char(*v)[FTP_USERS_SHA256_LEN];

  /* The line length bounds the count, so this cannot overflow. */
  v = realloc(u->cert_sha256, (u->ncert_sha256 + 1) * sizeof(*v));
  if (v == NULL)
    return FTP_E_NOMEM;
  memcpy(v[u->ncert_sha256], fp, FTP_USERS_SHA256_LEN);
  u->cert_sha256 = v;
  u->ncert_sha256++;
  return 0;
}

static void parse_umask(struct parse *p, const char *s, size_t n,
                        struct ftp_user *u) {
  struct quoted q;
  size_t i;
  int v = 0;

  if (n == 0 || n > 4)
    goto bad;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '7')
      goto bad;
    v = v * 8 + (s[i] - '0');
  }
  if (v > 0777)
    goto bad;
  u->umask = v;
  return;
bad:
  report(p, p->line, "bad umask %s (want an octal number from 0 to 777)",
         quote(&q, s, n));
}

/* uid=N or gid=N: 1..4294967294; 0 would be root's, -1 is no id. */
static void parse_id(struct parse *p, const char *what, const char *s, size_t n,
                     long *out) {
  struct quoted q;
  unsigned long long v = 0;
  size_t i;

  if (*out != -1) {
    report(p, p->line, "option '%s' given twice", what);
    return;
  }
  for (i = 0; i < n && i < 11; i++) {
    if (s[i] < '0' || s[i] > '9')
      break;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (n == 0 || i != n || v >= 4294967295ull) {
    report(p, p->line, "bad %s %s (want a number)", what, quote(&q, s, n));
  } else if (v == 0) {
    /* Security: the user's files would be root's, and the kernel would
     * check root's ownership of every system file. */
    report(p, p->line, "%s=0 refused: the user would act as root", what);
  } else {
    *out = (long)v;
  }
}

static int parse_sysuser(struct parse *p, const char *s, size_t n, struct ftp_user *u) {
  struct quoted q;
  size_t i;

  if (u->sysuser != NULL) {
    report(p, p->line, "option 'user' given twice");
    return 0;
  }
  for (i = 0; i < n; i++)
    if (!name_char_ok((unsigned char)s[i]) || s[i] == '@')
      break;
  if (n == 0 || n > FTP_USER_MAX || i != n || s[0] == '-') {
    report(p, p->line, "bad user= %s (want an account name)", quote(&q, s, n));
    return 0;
  }
  return (u->sysuser = strndup(s, n)) == NULL ? FTP_E_NOMEM : 0;
}

/* The identity options go together: uid= with gid=, and neither with
 * user=. */
static void check_ids(struct parse *p, const struct ftp_user *u) {
  if ((u->uid == -1) != (u->gid == -1))
    report(p, p->line, "uid= and gid= go together: give both");
  else if (u->uid != -1 && u->sysuser != NULL)
    report(p, p->line, "user= and uid=/gid= exclude each other: give one");
}

static int check_option(struct parse *p, const char *s, size_t n,
                        struct ftp_user *u, int *seen_umask) {
  struct quoted q;
  unsigned char fp[FTP_USERS_SHA256_LEN];

  if (n == 0) {
    report(p, p->line, "empty option (stray comma)");
  } else if (span_eq(s, n, "readonly")) {
    if (u->readonly)
      report(p, p->line, "option 'readonly' given twice");
    u->readonly = 1;
  } else if (span_prefix(s, n, "umask=")) {
    if (*seen_umask)
      report(p, p->line, "option 'umask' given twice");
    *seen_umask = 1;
    parse_umask(p, s + 6, n - 6, u);
  } else if (span_prefix(s, n, "uid=")) {
    parse_id(p, "uid", s + 4, n - 4, &u->uid);
  } else if (span_prefix(s, n, "gid=")) {
    parse_id(p, "gid", s + 4, n - 4, &u->gid);
  } else if (span_prefix(s, n, "user=")) {
    return parse_sysuser(p, s + 5, n - 5, u);
  } else if (span_prefix(s, n, "cert-sha256=")) {
    if (parse_fingerprint(s + 12, n - 12, fp) != 0)
      report(p, p->line,
             "bad certificate fingerprint %s (want 64 hex digits, or 32 "
             "pairs separated by colons)",
             quote(&q, s + 12, n - 12));
    else
      return add_fingerprint(u, fp);
  } else {
    report(p, p->line,
           "unknown option %s (known: readonly, umask=, user=, uid=, gid=, "
           "cert-sha256=, cert-dn= last)",
           quote(&q, s, n));
  }
  return 0;
}

static int check_options(struct parse *p, const char *s, size_t n,
                         struct ftp_user *u) {
  struct quoted q;
  const char *comma;
  size_t len;
  int seen_umask = 0;
  int r;

  if (n == 0)
    return 0; /* "name:hash:home:" has an empty list */
  for (;;) {
    if (span_prefix(s, n, "cert-dn=")) {
      /* The DN takes the rest of the line: RFC 4514 DNs contain commas, and
       * a rule with no escaping cannot be misread. */
      s += 8;
      n -= 8;
      if (n == 0) {
        report(p, p->line, "empty cert-dn");
      } else if (has_ctl(s, n)) {
        report(p, p->line, "cert-dn %s contains a control character",
               quote(&q, s, n));
      } else if ((u->cert_dn = strndup(s, n)) == NULL) {
        return FTP_E_NOMEM;
      }
      return 0;
    }
    comma = memchr(s, ',', n);
    len = comma == NULL ? n : (size_t)(comma - s);
    if ((r = check_option(p, s, len, u, &seen_umask)) != 0)
      return r;
    if (comma == NULL)
      return 0;
    s += len + 1;
    n -= len + 1;
  }
}

static int append_user(struct parse *p, struct ftp_user *u) {
  struct ftp_user *v;
  size_t cap;

  if (p->n == p->cap) {
    cap = p->cap == 0 ? 16 : p->cap * 2;
    if (cap > SIZE_MAX / sizeof(*v))
      return FTP_E_NOMEM;
    if ((v = realloc(p->users, cap * sizeof(*v))) == NULL)
      return FTP_E_NOMEM;
    p->users = v;
    p->cap = cap;
  }
  p->users[p->n++] = *u;
  memset(u, 0, sizeof(*u));
  return 0;
}

static int parse_line(struct parse *p, const char *s, size_t n) {
  struct ftp_user u;
  const char *c1, *c2, *c3, *end;
  size_t i;
  int before = p->nerr;
  int r;

  memset(&u, 0, sizeof(u));
  u.umask = -1;
  u.uid = u.gid = -1;
  u.line = p->line;
  if (n > 0 && s[n - 1] == '\r')
    n--;
  if (n > FTP_USERFILE_LINE_MAX) {
    report(p, p->line, "line longer than %d bytes", FTP_USERFILE_LINE_MAX);
    return 0;
  }
  if (memchr(s, 0, n) != NULL) {
    report(p, p->line, "NUL byte in line");
    return 0;
  }
  for (i = 0; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
    ;
  if (i == n || s[i] == '#')
    return 0;

  end = s + n;
  c1 = memchr(s, ':', n);
  c2 = c1 == NULL ? NULL : memchr(c1 + 1, ':', (size_t)(end - c1 - 1));
  if (c2 == NULL) {
    report(p, p->line, "expected name:hash:home[:options], found %d field%s",
           c1 == NULL ? 1 : 2, c1 == NULL ? "" : "s");
    return 0;
  }
  /* The home ends at the third colon; everything after it is options, so
   * that a cert-dn may contain colons. */
  c3 = memchr(c2 + 1, ':', (size_t)(end - c2 - 1));
  if ((r = check_name(p, s, (size_t)(c1 - s), &u)) != 0 ||
      (r = check_hash(p, c1 + 1, (size_t)(c2 - c1 - 1), &u)) != 0 ||
      (r = check_home(p, c2 + 1,
                      (size_t)((c3 == NULL ? end : c3) - c2 - 1), &u)) != 0)
    goto out;
  if (c3 != NULL &&
      (r = check_options(p, c3 + 1, (size_t)(end - c3 - 1), &u)) != 0)
    goto out;
  if (p->nerr == before)
    check_ids(p, &u);
  if (p->nerr != before)
    goto out; /* r == 0: the errors are reported, the line is dropped */
  if ((r = append_user(p, &u)) != 0)
    goto out;
  if (p->dummy_line == 0 && p->users[p->n - 1].hash != NULL) {
    p->dummy_line = p->line;
    p->dummy_hash = p->users[p->n - 1].hash;
  }
  r = 0;
out:
  user_clear(&u);
  return r;
}

static int cmp_user(const void *a, const void *b) {
  const struct ftp_user *x = a, *y = b;
  int c = strcmp(x->name, y->name);

  if (c != 0)
    return c;
  return x->line < y->line ? -1 : x->line > y->line;
}

/* Sort by name (then line) and report every later definition of a name. */
static void check_duplicates(struct parse *p) {
  size_t i, first = 0;
  struct quoted q;

  if (p->n == 0)
    return;
  qsort(p->users, p->n, sizeof(p->users[0]), cmp_user);
  for (i = 1; i < p->n; i++) {
    if (strcmp(p->users[i].name, p->users[first].name) != 0) {
      first = i;
      continue;
    }
    report(p, p->users[i].line, "duplicate user %s (first defined at line %zu)",
           quote(&q, p->users[i].name, strlen(p->users[i].name)),
           p->users[first].line);
  }
}

static void free_users(struct ftp_user *users, size_t n) {
  size_t i;

  for (i = 0; i < n; i++)
    user_clear(&users[i]);
  free(users);
}

int ftp_users_parse(const char *fname, const char *text, size_t len,
                    ftp_users_diag_cb *diag, void *arg,
                    struct ftp_users **out) {
  struct parse p;
  struct ftp_users *u = NULL;
  const char *nl;
  size_t off = 0, end;
  int r;

  *out = NULL;
  memset(&p, 0, sizeof(p));
  p.fname = fname;
  p.diag = diag;
  p.arg = arg;
  while (off < len && p.nerr <= FTP_USERS_DIAG_MAX) {
    nl = memchr(text + off, '\n', len - off);
    end = nl == NULL ? len : (size_t)(nl - text);
    p.line++;
    if ((r = parse_line(&p, text + off, end - off)) != 0)
      goto out;
    off = nl == NULL ? len : end + 1;
  }
  if (p.nerr <= FTP_USERS_DIAG_MAX)
    check_duplicates(&p);
  if (p.nerr > 0) {
    r = FTP_E_CONF;
    goto out;
  }
  if ((u = calloc(1, sizeof(*u))) == NULL) {
    r = FTP_E_NOMEM;
    goto out;
  }
  if (p.dummy_hash != NULL &&
      (u->dummy_hash = strdup(p.dummy_hash)) == NULL) {
    r = FTP_E_NOMEM;
    goto out;
  }
  atomic_init(&u->refs, 1);
  u->users = p.users;
  u->n = p.n;
  p.users = NULL;
  p.n = 0;
  *out = u;
  u = NULL;
  r = 0;
out:
  free(u);
  free_users(p.users, p.n);
  return r;
}

static void load_report(ftp_users_diag_cb *diag, void *arg, const char *path,
                        const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void load_report(ftp_users_diag_cb *diag, void *arg, const char *path,
                        const char *fmt, ...) {
  char msg[FTP_PATH_MAX + 256];
  va_list ap;
  int n;

  if (diag == NULL)
    return;
  n = snprintf(msg, sizeof(msg), "%s: ", path);
  if (n < 0 || (size_t)n >= sizeof(msg))
    n = 0;
  va_start(ap, fmt);
  vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
  va_end(ap);
  diag(arg, msg);
}

int ftp_users_load(const char *path, ftp_users_diag_cb *diag, void *arg,
                   struct ftp_users **out) {
  struct ftp_buf b;
  uv_stat_t st;
  const char *text;
  uid_t euid;
  int r;

  *out = NULL;
  ftp_buf_init(&b, FTP_USERFILE_MAX);
  /* The hashes are worth wiping, and so is the copy they arrive in. */
  ftp_buf_set_secret(&b);
  if ((r = ftp_file_read(path, &b, &st)) != 0) {
    if (r == FTP_E_TOOBIG)
      load_report(diag, arg, path, "USERFILE larger than %d bytes",
                  FTP_USERFILE_MAX);
    else
      load_report(diag, arg, path, "cannot read USERFILE: %s",
                  r == FTP_E_REFUSED ? "not a regular file" : ftp_strerror(r));
    goto out;
  }
  /* Security: whoever can write the USERFILE can add a user with any home
   * directory, so it must be writable only by its owner, and the owner must
   * be someone the server already trusts (ssh's StrictModes). */
  if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
    load_report(diag, arg, path,
                "USERFILE is writable by group or others (mode %04o); "
                "refused, as ssh's StrictModes would (chmod go-w)",
                (unsigned int)(st.st_mode & 07777));
    r = FTP_E_REFUSED;
    goto out;
  }
  euid = geteuid();
  if (st.st_uid != 0 && st.st_uid != (uint64_t)euid) {
    load_report(diag, arg, path,
                "USERFILE is owned by uid %llu, not by root or the server's "
                "uid %llu; refused",
                (unsigned long long)st.st_uid, (unsigned long long)euid);
    r = FTP_E_REFUSED;
    goto out;
  }
  /* An empty file has no buffer at all; give the parser a valid pointer. */
  text = ftp_buf_len(&b) == 0 ? "" : (const char *)ftp_buf_ptr(&b);
  r = ftp_users_parse(path, text, ftp_buf_len(&b), diag, arg, out);
out:
  ftp_buf_free(&b);
  return r;
}

struct ftp_users *ftp_users_ref(struct ftp_users *u) {
  atomic_fetch_add(&u->refs, 1);
  return u;
}

void ftp_users_unref(struct ftp_users *u) {
  if (u == NULL)
    return;
  if (atomic_fetch_sub(&u->refs, 1) != 1)
    return;
  free_users(u->users, u->n);
  wipe_str(u->dummy_hash);
  free(u);
}

size_t ftp_users_count(const struct ftp_users *u) { return u->n; }

int ftp_users_have_ids(const struct ftp_users *u) {
  size_t i;

  for (i = 0; u != NULL && i < u->n; i++)
    if (u->users[i].sysuser != NULL || u->users[i].uid != -1)
      return 1;
  return 0;
}

static int cmp_name(const void *key, const void *elem) {
  const struct ftp_user *x = elem;
  return strcmp(key, x->name);
}

const struct ftp_user *ftp_users_find(const struct ftp_users *u,
                                      const char *name) {
  if (u == NULL || name == NULL || u->n == 0)
    return NULL;
  return bsearch(name, u->users, u->n, sizeof(u->users[0]), cmp_name);
}

int ftp_user_check_cert(const struct ftp_user *user,
                        const unsigned char *sha256, const char *dn) {
  size_t i;

  if (user == NULL)
    return FTP_E_LOGIN;
  /* A fingerprint is public data, so memcmp's early exit reveals nothing. */
  if (sha256 != NULL)
    for (i = 0; i < user->ncert_sha256; i++)
      if (memcmp(user->cert_sha256[i], sha256, FTP_USERS_SHA256_LEN) == 0)
        return 0;
  if (dn != NULL && user->cert_dn != NULL && strcmp(dn, user->cert_dn) == 0)
    return 0;
  return FTP_E_LOGIN;
}

int ftp_users_find_by_cert(const struct ftp_users *u,
                           const unsigned char *sha256, const char *dn,
                           const struct ftp_user **out) {
  const struct ftp_user *found = NULL;
  size_t i;

  *out = NULL;
  if (u == NULL)
    return UV_ENOENT;
  for (i = 0; i < u->n; i++) {
    if (ftp_user_check_cert(&u->users[i], sha256, dn) != 0)
      continue;
    if (found != NULL)
      return FTP_E_REFUSED;
    found = &u->users[i];
  }
  if (found == NULL)
    return UV_ENOENT;
  *out = found;
  return 0;
}

/*
 * Compare a computed hash with the stored one.  Security: the time depends
 * only on the stored hash's length (public: it follows from the method), not
 * on where the strings first differ.
 */
static int hash_equal(const char *computed, const char *stored) {
  size_t clen = strlen(computed), slen = strlen(stored), i;
  volatile unsigned char diff = clen != slen;

  for (i = 0; i < slen; i++)
    diff |= (unsigned char)((i < clen ? computed[i] : 0) ^ stored[i]);
  return diff == 0;
}

int ftp_users_check_password(const struct ftp_users *u,
                             const struct ftp_user *user,
                             const char *password) {
  struct crypt_data *cd = NULL;
  const char *setting, *h;
  int ok;
  int r;

  ok = user != NULL && user->hash != NULL;
  if (ok)
    setting = user->hash;
  else if (u != NULL && u->dummy_hash != NULL)
    setting = u->dummy_hash;
  else
    setting = builtin_dummy_hash;
  /* Security: a huge password would make the hash slower, which is both a
   * denial of service and a timing difference; hash an empty one instead so
   * that the cost stays that of a normal attempt.  libxcrypt itself refuses
   * a passphrase of CRYPT_MAX_PASSPHRASE_SIZE bytes or more, without
   * hashing, so that is the cap when it is below ours. */
  if (password == NULL || strnlen(password, PASSWORD_MAX + 1) > PASSWORD_MAX) {
    ok = 0;
    password = "";
  }
  /* struct crypt_data is about 32 KiB: too big for a worker thread's stack
   * to take for granted. */
  if ((cd = calloc(1, sizeof(*cd))) == NULL) {
    r = FTP_E_NOMEM;
    goto out;
  }
  h = crypt_rn(password, setting, cd, (int)sizeof(*cd));
  if (h == NULL || !hash_equal(h, setting))
    ok = 0;
  r = ok ? 0 : FTP_E_LOGIN;
out:
  if (cd != NULL) {
    /* Security: crypt's working state is derived from the password. */
    explicit_bzero(cd, sizeof(*cd));
    free(cd);
  }
  return r;
}
