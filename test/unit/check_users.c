/*
 * check_users.c: the USERFILE parser, loader, lookups and password checks
 * (server/users.c).
 *
 * Run one case with CK_RUN_CASE=parse (or load, password, cert); slow CI can
 * stretch every timeout with CK_TIMEOUT_MULTIPLIER.
 */
#include <check.h>
#include <crypt.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "users.h"

/* Diagnostics collected from the parser. */
#define DIAG_MAX 64
struct diags {
  int n;
  char msg[DIAG_MAX][512];
};

static void diag_cb(void *arg, const char *msg) {
  struct diags *d = arg;

  if (d->n < DIAG_MAX)
    snprintf(d->msg[d->n], sizeof(d->msg[0]), "%s", msg);
  d->n++;
}

static int parse_str(const char *text, struct diags *d, struct ftp_users **u) {
  memset(d, 0, sizeof(*d));
  return ftp_users_parse("t", text, strlen(text), diag_cb, d, u);
}

/* A crypt(3) hash of password made with a fixed salt, so runs repeat. */
static void make_hash(const char *prefix, const char *password, char *out,
                      size_t outlen) {
  static const char rbytes[16] = "0123456789abcdef";
  char setting[CRYPT_GENSALT_OUTPUT_SIZE];
  struct crypt_data *cd = calloc(1, sizeof(*cd));
  const char *h;

  ck_assert_ptr_nonnull(cd);
  ck_assert_ptr_nonnull(crypt_gensalt_rn(prefix, 0, rbytes, sizeof(rbytes),
                                         setting, sizeof(setting)));
  h = crypt_rn(password, setting, cd, sizeof(*cd));
  ck_assert_ptr_nonnull(h);
  ck_assert_uint_lt(strlen(h), outlen);
  snprintf(out, outlen, "%s", h);
  free(cd);
}

/* ---- parse: good files ---- */

START_TEST(test_parse_good) {
  static const char text[] =
      "# ftpd users\n"
      "\n"
      "   \t\n"
      "  # an indented comment\n"
      "alice:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/"
      "jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/:/srv/ftp/alice\n"
      "bob:*:/srv/ftp/bob:readonly,umask=027\r\n"
      "carol:!:/srv/c:\n"
      "d.e_f@g-h:!$6$x$y:/srv/d:umask=0,cert-dn=CN=d,O=Ex: ample, Inc.\n"
      "last:*:/srv/with space/and#hash";
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;

  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  ck_assert_int_eq(d.n, 0);
  ck_assert_uint_eq(ftp_users_count(u), 5);

  x = ftp_users_find(u, "alice");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->home, "/srv/ftp/alice");
  ck_assert_ptr_nonnull(x->hash);
  ck_assert_int_eq(x->readonly, 0);
  ck_assert_int_eq(x->umask, -1);
  ck_assert_uint_eq(x->line, 5);

  x = ftp_users_find(u, "bob");
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_null(x->hash);
  ck_assert_int_eq(x->readonly, 1);
  ck_assert_int_eq(x->umask, 027);
  ck_assert_str_eq(x->home, "/srv/ftp/bob"); /* the CR is gone */

  x = ftp_users_find(u, "carol");
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_null(x->hash);
  ck_assert_ptr_null(x->cert_dn);

  x = ftp_users_find(u, "d.e_f@g-h");
  ck_assert_ptr_nonnull(x);
  ck_assert_ptr_null(x->hash); /* locked with '!' */
  ck_assert_int_eq(x->umask, 0);
  ck_assert_str_eq(x->cert_dn, "CN=d,O=Ex: ample, Inc.");

  x = ftp_users_find(u, "last");
  ck_assert_ptr_nonnull(x);
  ck_assert_str_eq(x->home, "/srv/with space/and#hash");

  ck_assert_ptr_null(ftp_users_find(u, "Alice")); /* case-sensitive */
  ck_assert_ptr_null(ftp_users_find(u, "nobody"));
  ck_assert_ptr_null(ftp_users_find(u, ""));
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_parse_empty) {
  struct diags d;
  struct ftp_users *u;

  ck_assert_int_eq(ftp_users_parse("t", "", 0, diag_cb, &d, &u), 0);
  ck_assert_uint_eq(ftp_users_count(u), 0);
  ck_assert_ptr_null(ftp_users_find(u, "alice"));
  ftp_users_unref(u);
  ck_assert_int_eq(parse_str("# nobody\n\n", &d, &u), 0);
  ck_assert_uint_eq(ftp_users_count(u), 0);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_parse_many_sorted_lookup) {
  char text[64 * 40];
  size_t off = 0;
  struct diags d;
  struct ftp_users *u;
  char name[16];
  int i;

  /* Out of order on purpose: lookups must not depend on file order. */
  for (i = 39; i >= 0; i--)
    off += (size_t)snprintf(text + off, sizeof(text) - off,
                            "user%02d:*:/home/u%d\n", i, i);
  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  ck_assert_uint_eq(ftp_users_count(u), 40);
  for (i = 0; i < 40; i++) {
    const struct ftp_user *x;
    char home[32];

    snprintf(name, sizeof(name), "user%02d", i);
    snprintf(home, sizeof(home), "/home/u%d", i);
    x = ftp_users_find(u, name);
    ck_assert_ptr_nonnull(x);
    ck_assert_str_eq(x->home, home);
  }
  ftp_users_unref(u);
}
END_TEST

/* ---- parse: identities (user=, uid=, gid=) ---- */

START_TEST(test_parse_ids) {
  struct diags d;
  struct ftp_users *u = NULL;
  const struct ftp_user *e;

  ck_assert_int_eq(parse_str("plain:*:/h\n", &d, &u), 0);
  ck_assert(!ftp_users_have_ids(u));
  e = ftp_users_find(u, "plain");
  ck_assert_ptr_null(e->sysuser);
  ck_assert_int_eq(e->uid, -1);
  ck_assert_int_eq(e->gid, -1);
  ftp_users_unref(u);
  ck_assert_int_eq(parse_str("a:*:/h:uid=1001,gid=1002,readonly\n"
                             "b:*:/h:user=web-data\nc:*:/h\n", &d, &u), 0);
  ck_assert(ftp_users_have_ids(u));
  e = ftp_users_find(u, "a");
  ck_assert_int_eq(e->uid, 1001);
  ck_assert_int_eq(e->gid, 1002);
  ck_assert(e->readonly);
  e = ftp_users_find(u, "b");
  ck_assert_str_eq(e->sysuser, "web-data");
  ck_assert_int_eq(e->uid, -1);
  ftp_users_unref(u);
  ck_assert(!ftp_users_have_ids(NULL));
}
END_TEST

/* ---- parse: every kind of bad line ---- */

#define HEX64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static const struct {
  const char *line;
  const char *msg; /* expected prefix of the one diagnostic */
} bad_lines[] = {
    {"alice", "t:1: expected name:hash:home[:options], found 1 field"},
    {"alice:*", "t:1: expected name:hash:home[:options], found 2 fields"},
    {":*:/home", "t:1: empty user name"},
    {"al ice:*:/h", "t:1: user name 'al ice' has a character outside"},
    {"al/ice:*:/h", "t:1: user name 'al/ice' has a character outside"},
    {" alice:*:/h", "t:1: user name ' alice' has a character outside"},
    {"al\x01ice:*:/h", "t:1: user name 'al\\x01ice' has a character outside"},
    {"\xc3\xa9t\xc3\xa9:*:/h", "t:1: user name '\\xc3\\xa9t\\xc3\\xa9' has"},
    {"alice::/home", "t:1: empty password hash (write * to disable"},
    {"alice:$1$abc$def:/h",
     "t:1: unsupported or weak password hash method '$1$'"},
    {"alice:abDEFghij1234:/h",
     "t:1: unsupported or weak password hash method (traditional DES)"},
    {"alice:$md5$x$y:/h", "t:1: unsupported or weak password hash method"},
    {"alice:$6$a b:/h", "t:1: password hash contains a blank or control"},
    {"alice:*:", "t:1: empty home directory"},
    {"alice:*:home/alice", "t:1: home directory 'home/alice' is not an abs"},
    {"alice:*:~alice", "t:1: home directory '~alice' is not an absolute"},
    {"alice:*:/h\tx", "t:1: home directory '/h\\x09x' contains a control"},
    {"alice:*:/h:bogus", "t:1: unknown option 'bogus'"},
    {"alice:*:/h:readonly=1", "t:1: unknown option 'readonly=1'"},
    {"alice:*:/h:READONLY", "t:1: unknown option 'READONLY'"},
    {"alice:*:/h: readonly", "t:1: unknown option ' readonly'"},
    {"alice:*:/h:readonly,readonly", "t:1: option 'readonly' given twice"},
    {"alice:*:/h:umask=999", "t:1: bad umask '999' (want an octal"},
    {"alice:*:/h:umask=", "t:1: bad umask '' (want an octal"},
    {"alice:*:/h:umask=07777", "t:1: bad umask '07777'"},
    {"alice:*:/h:umask=1000", "t:1: bad umask '1000'"},
    {"alice:*:/h:umask=-22", "t:1: bad umask '-22'"},
    {"alice:*:/h:umask=0x1f", "t:1: bad umask '0x1f'"},
    {"alice:*:/h:umask=022,umask=027", "t:1: option 'umask' given twice"},
    {"alice:*:/h:readonly,,umask=022", "t:1: empty option (stray comma)"},
    {"alice:*:/h:readonly,", "t:1: empty option (stray comma)"},
    {"alice:*:/h:,readonly", "t:1: empty option (stray comma)"},
    {"alice:*:/h:cert-sha256=abc", "t:1: bad certificate fingerprint 'abc'"},
    {"alice:*:/h:cert-sha256=", "t:1: bad certificate fingerprint ''"},
    {"alice:*:/h:cert-sha256=" HEX64 "0",
     "t:1: bad certificate fingerprint"},
    {"alice:*:/h:cert-sha256=g123456789abcdef0123456789abcdef0123456789abcdef"
     "0123456789abcdef",
     "t:1: bad certificate fingerprint"},
    /* colons in the wrong places */
    {"alice:*:/h:cert-sha256=0:123:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:"
     "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:",
     "t:1: bad certificate fingerprint"},
    {"alice:*:/h:cert-sha256=01;23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef:"
     "01:23:45:67:89:ab:cd:ef:01:23:45:67:89:ab:cd:ef",
     "t:1: bad certificate fingerprint"},
    {"alice:*:/h:cert-dn=", "t:1: empty cert-dn"},
    {"alice:*:/h:cert-dn=CN=a\tb", "t:1: cert-dn 'CN=a\\x09b' contains a con"},
    {"alice:*:/h:readonly,cert-dn=", "t:1: empty cert-dn"},
    {"alice:*:/h:uid=0,gid=100", "t:1: uid=0 refused: the user would act as root"},
    {"alice:*:/h:uid=100,gid=0", "t:1: gid=0 refused"},
    {"alice:*:/h:uid=100", "t:1: uid= and gid= go together"},
    {"alice:*:/h:gid=100", "t:1: uid= and gid= go together"},
    {"alice:*:/h:uid=1x,gid=1", "t:1: bad uid '1x' (want a number)"},
    {"alice:*:/h:uid=,gid=1", "t:1: bad uid '' (want a number)"},
    {"alice:*:/h:uid=-1,gid=1", "t:1: bad uid '-1'"},
    {"alice:*:/h:uid=4294967295,gid=1", "t:1: bad uid '4294967295'"},
    {"alice:*:/h:uid=99999999999999,gid=1", "t:1: bad uid"},
    {"alice:*:/h:uid=1,uid=2,gid=1", "t:1: option 'uid' given twice"},
    {"alice:*:/h:user=bob,uid=5,gid=5", "t:1: user= and uid=/gid= exclude"},
    {"alice:*:/h:user=", "t:1: bad user= '' (want an account name)"},
    {"alice:*:/h:user=-bob", "t:1: bad user= '-bob'"},
    {"alice:*:/h:user=b@b", "t:1: bad user= 'b@b'"},
    {"alice:*:/h:user=a,user=b", "t:1: option 'user' given twice"},
};

START_TEST(test_parse_bad_line) {
  struct diags d;
  struct ftp_users *u = (struct ftp_users *)1;

  ck_assert_int_eq(parse_str(bad_lines[_i].line, &d, &u), FTP_E_CONF);
  ck_assert_ptr_null(u);
  ck_assert_msg(d.n == 1, "line %d: %d diagnostics, first '%s'", _i, d.n,
                d.msg[0]);
  ck_assert_msg(strncmp(d.msg[0], bad_lines[_i].msg,
                        strlen(bad_lines[_i].msg)) == 0,
                "line %d: got '%s', want '%s...'", _i, d.msg[0],
                bad_lines[_i].msg);
}
END_TEST

START_TEST(test_parse_line_numbers_and_all_errors) {
  static const char text[] = "# header\n"
                             "\n"
                             "ok:*:/h\n"
                             "bad\n"
                             "  # comment\r\n"
                             "ok2:*:rel\n"
                             "ok3:*:/h:nope\n";
  struct diags d;
  struct ftp_users *u;

  /* Every error is reported, each with its own line, and the file is
   * refused as a whole even though some lines were fine. */
  ck_assert_int_eq(parse_str(text, &d, &u), FTP_E_CONF);
  ck_assert_ptr_null(u);
  ck_assert_int_eq(d.n, 3);
  ck_assert(strncmp(d.msg[0], "t:4: expected", 13) == 0);
  ck_assert(strncmp(d.msg[1], "t:6: home directory 'rel'", 25) == 0);
  ck_assert(strncmp(d.msg[2], "t:7: unknown option 'nope'", 26) == 0);
}
END_TEST

START_TEST(test_parse_nul_and_long_line) {
  static const char nul[] = "ok:*:/h\nal\0ice:*:/h\n";
  char *big;
  struct diags d;
  struct ftp_users *u;
  size_t n = FTP_USERFILE_LINE_MAX + 1;

  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_parse("t", nul, sizeof(nul) - 1, diag_cb, &d, &u),
                   FTP_E_CONF);
  ck_assert_int_eq(d.n, 1);
  ck_assert_str_eq(d.msg[0], "t:2: NUL byte in line");

  /* A line one byte over the cap, valid in every other way. */
  big = malloc(n + 1);
  ck_assert_ptr_nonnull(big);
  memcpy(big, "x:*:/", 5);
  memset(big + 5, 'a', n - 5);
  big[n] = 0;
  ck_assert_int_eq(parse_str(big, &d, &u), FTP_E_CONF);
  ck_assert_int_eq(d.n, 1);
  ck_assert(strstr(d.msg[0], "t:1: line longer than") == d.msg[0]);
  /* At the cap exactly, it is fine. */
  big[n - 1] = 0;
  ck_assert_int_eq(parse_str(big, &d, &u), 0);
  ck_assert_uint_eq(ftp_users_count(u), 1);
  ftp_users_unref(u);
  free(big);
}
END_TEST

START_TEST(test_parse_long_name) {
  char line[FTP_USER_MAX + 32];
  struct diags d;
  struct ftp_users *u;

  memset(line, 'n', FTP_USER_MAX);
  snprintf(line + FTP_USER_MAX, sizeof(line) - FTP_USER_MAX, ":*:/h");
  ck_assert_int_eq(parse_str(line, &d, &u), 0); /* exactly the cap: fine */
  ck_assert_uint_eq(ftp_users_count(u), 1);
  ftp_users_unref(u);
  memset(line, 'n', FTP_USER_MAX + 1);
  snprintf(line + FTP_USER_MAX + 1, sizeof(line) - FTP_USER_MAX - 1, ":*:/h");
  ck_assert_int_eq(parse_str(line, &d, &u), FTP_E_CONF);
  ck_assert_int_eq(d.n, 1);
  ck_assert(strstr(d.msg[0], "is longer than 256 characters") != NULL);
  /* The quoted name is cut short, never the whole 257 bytes. */
  ck_assert(strstr(d.msg[0], "...'") != NULL);
}
END_TEST

START_TEST(test_parse_duplicates) {
  static const char text[] = "alice:*:/a\n"
                             "bob:*:/b\n"
                             "alice:*:/c\n"
                             "carol:*:/c\n"
                             "alice:*:/d\n";
  struct diags d;
  struct ftp_users *u;

  ck_assert_int_eq(parse_str(text, &d, &u), FTP_E_CONF);
  ck_assert_ptr_null(u);
  ck_assert_int_eq(d.n, 2);
  ck_assert_str_eq(d.msg[0],
                   "t:3: duplicate user 'alice' (first defined at line 1)");
  ck_assert_str_eq(d.msg[1],
                   "t:5: duplicate user 'alice' (first defined at line 1)");
  /* Names differing only in case are different users. */
  ck_assert_int_eq(parse_str("alice:*:/a\nAlice:*:/b\n", &d, &u), 0);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_parse_too_many_errors) {
  char text[100 * 8];
  size_t off = 0;
  struct diags d;
  struct ftp_users *u;
  int i;

  for (i = 0; i < 100; i++)
    off += (size_t)snprintf(text + off, sizeof(text) - off, "bad\n");
  ck_assert_int_eq(parse_str(text, &d, &u), FTP_E_CONF);
  ck_assert_int_lt(d.n, 60);
  ck_assert(strstr(d.msg[d.n - 1], "too many errors") != NULL);
}
END_TEST

START_TEST(test_parse_no_diag) {
  struct ftp_users *u;

  /* diag may be NULL: the verdict is the same. */
  ck_assert_int_eq(ftp_users_parse("t", "x", 1, NULL, NULL, &u), FTP_E_CONF);
  ck_assert_ptr_null(u);
}
END_TEST

/* ---- passwords ---- */

static void check_method(const char *prefix) {
  char hash[CRYPT_OUTPUT_SIZE];
  char text[CRYPT_OUTPUT_SIZE + 128];
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;

  make_hash(prefix, "s3cret pass", hash, sizeof(hash));
  ck_assert(strncmp(hash, prefix, strlen(prefix)) == 0);
  snprintf(text, sizeof(text), "alice:%s:/srv/alice\nbob:*:/srv/bob\n", hash);
  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  x = ftp_users_find(u, "alice");
  ck_assert_ptr_nonnull(x);
  ck_assert_int_eq(ftp_users_check_password(u, x, "s3cret pass"), 0);
  ck_assert_int_eq(ftp_users_check_password(u, x, "s3cret pasS"), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(u, x, "s3cret pas"), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(u, x, ""), FTP_E_LOGIN);
  /* Unknown user: hashed against the dummy, always refused. */
  ck_assert_int_eq(ftp_users_check_password(u, NULL, "s3cret pass"),
                   FTP_E_LOGIN);
  /* Password login disabled: refused even with alice's password. */
  x = ftp_users_find(u, "bob");
  ck_assert_int_eq(ftp_users_check_password(u, x, "s3cret pass"), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(u, x, ""), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(u, x, "*"), FTP_E_LOGIN);
  ftp_users_unref(u);
}

START_TEST(test_password_sha512) { check_method("$6$"); }
END_TEST

START_TEST(test_password_yescrypt) { check_method("$y$"); }
END_TEST

START_TEST(test_password_openssl_vector) {
  /* `openssl passwd -6 -salt saltsalt password`, as an admin would run it. */
  static const char text[] =
      "alice:$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/"
      "jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/:/srv/alice\n";
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;

  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  x = ftp_users_find(u, "alice");
  ck_assert_int_eq(ftp_users_check_password(u, x, "password"), 0);
  ck_assert_int_eq(ftp_users_check_password(u, x, "Password"), FTP_E_LOGIN);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_password_disabled_only_file) {
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;

  /* No password hash anywhere: the builtin dummy is used. */
  ck_assert_int_eq(parse_str("a:*:/a\nb:!:/b\n", &d, &u), 0);
  x = ftp_users_find(u, "a");
  ck_assert_int_eq(ftp_users_check_password(u, x, ""), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(u, NULL, "pw"), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_users_check_password(NULL, NULL, "pw"), FTP_E_LOGIN);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_password_too_long) {
  char hash[CRYPT_OUTPUT_SIZE];
  char text[CRYPT_OUTPUT_SIZE + 64];
  char *pw;
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;
  size_t longest = CRYPT_MAX_PASSPHRASE_SIZE - 1;

  /* libxcrypt hashes at most 511 bytes; FTP_PASS_MAX is larger. */
  ck_assert_uint_lt(longest, FTP_PASS_MAX);
  pw = malloc(FTP_PASS_MAX + 2);
  ck_assert_ptr_nonnull(pw);
  memset(pw, 'p', longest);
  pw[longest] = 0;
  make_hash("$6$", pw, hash, sizeof(hash));
  snprintf(text, sizeof(text), "alice:%s:/a\n", hash);
  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  x = ftp_users_find(u, "alice");
  ck_assert_int_eq(ftp_users_check_password(u, x, pw), 0);
  /* One more byte, and past FTP_PASS_MAX: refused, never truncated. */
  memset(pw, 'p', FTP_PASS_MAX + 1);
  pw[longest + 1] = 0;
  ck_assert_int_eq(ftp_users_check_password(u, x, pw), FTP_E_LOGIN);
  pw[FTP_PASS_MAX + 1] = 0;
  ck_assert_int_eq(ftp_users_check_password(u, x, pw), FTP_E_LOGIN);
  ftp_users_unref(u);
  free(pw);
}
END_TEST

static double elapsed(const struct ftp_users *u, const struct ftp_user *x) {
  struct timespec a, b;
  double best = 1e9, t;
  int i;

  /* The fastest of three runs: scheduling noise only ever adds time. */
  for (i = 0; i < 3; i++) {
    clock_gettime(CLOCK_MONOTONIC, &a);
    ck_assert_int_eq(ftp_users_check_password(u, x, "wrong"), FTP_E_LOGIN);
    clock_gettime(CLOCK_MONOTONIC, &b);
    t = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    if (t < best)
      best = t;
  }
  return best;
}

START_TEST(test_password_unknown_user_timing) {
  char hash[CRYPT_OUTPUT_SIZE];
  char text[CRYPT_OUTPUT_SIZE + 64];
  struct diags d;
  struct ftp_users *u;
  double known, unknown, disabled;

  make_hash("$y$", "pw", hash, sizeof(hash));
  snprintf(text, sizeof(text), "alice:%s:/a\ncert:*:/c\n", hash);
  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  known = elapsed(u, ftp_users_find(u, "alice"));
  unknown = elapsed(u, NULL);
  disabled = elapsed(u, ftp_users_find(u, "cert"));
  /* The unknown and disabled paths hash against alice's own setting, so they
   * cost about the same; a loose bound keeps this stable on a busy host
   * while still catching a path that skips the hash (100x faster). */
  ck_assert_msg(unknown > known / 4 && unknown < known * 4,
                "known %.4fs unknown %.4fs", known, unknown);
  ck_assert_msg(disabled > known / 4 && disabled < known * 4,
                "known %.4fs disabled %.4fs", known, disabled);
  ftp_users_unref(u);
}
END_TEST

/* ---- certificates ---- */

static const unsigned char fp_a[32] = {
    0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45,
    0x67, 0x89, 0xab, 0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
    0xcd, 0xef, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
static const unsigned char fp_b[32] = {0xff, 0xee, 0xdd, 0xcc, [31] = 0x11};
static const unsigned char fp_c[32] = {[0] = 0x42};

START_TEST(test_cert_fingerprint_forms) {
  static const char text[] =
      /* lower case, no colons */
      "a:*:/a:cert-sha256=" HEX64 "\n"
      /* upper case with colons, as openssl prints it; and a second one */
      "b:*:/b:readonly,cert-sha256=01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:"
      "CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF,cert-sha256="
      "FFEEDDCC00000000000000000000000000000000000000000000000000000011\n";
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *a, *b, *x;

  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  a = ftp_users_find(u, "a");
  b = ftp_users_find(u, "b");
  ck_assert_uint_eq(a->ncert_sha256, 1);
  ck_assert_mem_eq(a->cert_sha256[0], fp_a, 32);
  ck_assert_uint_eq(b->ncert_sha256, 2);
  ck_assert_int_eq(b->readonly, 1);
  ck_assert_mem_eq(b->cert_sha256[0], fp_a, 32);
  ck_assert_mem_eq(b->cert_sha256[1], fp_b, 32);

  ck_assert_int_eq(ftp_user_check_cert(a, fp_a, NULL), 0);
  ck_assert_int_eq(ftp_user_check_cert(a, fp_b, NULL), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_user_check_cert(b, fp_b, "CN=x"), 0);
  ck_assert_int_eq(ftp_user_check_cert(b, fp_c, NULL), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_user_check_cert(b, NULL, NULL), FTP_E_LOGIN);
  ck_assert_int_eq(ftp_user_check_cert(NULL, fp_a, NULL), FTP_E_LOGIN);

  /* fp_a maps to both users: ambiguous, refused. */
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_a, NULL, &x), FTP_E_REFUSED);
  ck_assert_ptr_null(x);
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_b, NULL, &x), 0);
  ck_assert_ptr_eq(x, b);
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_c, NULL, &x), UV_ENOENT);
  ck_assert_ptr_null(x);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_cert_dn) {
  static const char text[] =
      "alice:*:/a:cert-dn=CN=alice,O=Example\n"
      "bob:*:/b:umask=022,cert-dn=CN=bob\\, jr,OU=Ops:1,O=Example\n"
      "carol:*:/c:cert-sha256=" HEX64 ",cert-dn=CN=carol\n"
      "dave:*:/d\n";
  struct diags d;
  struct ftp_users *u;
  const struct ftp_user *x;

  ck_assert_int_eq(parse_str(text, &d, &u), 0);
  x = ftp_users_find(u, "bob");
  ck_assert_str_eq(x->cert_dn, "CN=bob\\, jr,OU=Ops:1,O=Example");
  ck_assert_int_eq(x->umask, 022);

  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, "CN=alice,O=Example", &x),
                   0);
  ck_assert_str_eq(x->name, "alice");
  ck_assert_int_eq(
      ftp_users_find_by_cert(u, fp_b, "CN=bob\\, jr,OU=Ops:1,O=Example", &x), 0);
  ck_assert_str_eq(x->name, "bob");
  /* Exact match only: no prefix, no case folding, no trailing blank. */
  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, "CN=alice", &x), UV_ENOENT);
  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, "cn=alice,o=example", &x),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, "CN=alice,O=Example ", &x),
                   UV_ENOENT);
  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, "", &x), UV_ENOENT);
  ck_assert_int_eq(ftp_users_find_by_cert(u, NULL, NULL, &x), UV_ENOENT);
  /* carol: either her fingerprint or her DN. */
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_a, NULL, &x), 0);
  ck_assert_str_eq(x->name, "carol");
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_c, "CN=carol", &x), 0);
  ck_assert_str_eq(x->name, "carol");
  /* A certificate matching two users by different rules is ambiguous. */
  ck_assert_int_eq(ftp_users_find_by_cert(u, fp_a, "CN=alice,O=Example", &x),
                   FTP_E_REFUSED);
  ck_assert_int_eq(ftp_user_check_cert(ftp_users_find(u, "dave"), fp_a,
                                       "CN=dave"),
                   FTP_E_LOGIN);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_refcount) {
  struct diags d;
  struct ftp_users *u, *v;
  const struct ftp_user *x;

  ck_assert_int_eq(parse_str("alice:*:/a\n", &d, &u), 0);
  v = ftp_users_ref(u);
  ck_assert_ptr_eq(u, v);
  x = ftp_users_find(u, "alice");
  ftp_users_unref(u);
  /* The session's reference keeps the user alive (ASan would catch it). */
  ck_assert_str_eq(x->home, "/a");
  ftp_users_unref(v);
  ftp_users_unref(NULL);
}
END_TEST

/* ---- load ---- */

static char tmpdir[64];

static void tmp_setup(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_users.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void tmp_teardown(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *path, const char *text, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);

  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  ck_assert_int_eq(fchmod(fd, mode), 0);
  ck_assert_int_eq(close(fd), 0);
}

START_TEST(test_load_good) {
  char path[128];
  struct diags d;
  struct ftp_users *u;

  snprintf(path, sizeof(path), "%s/users", tmpdir);
  write_file(path, "alice:*:/a\nbob:*:/b:readonly\n", 0600);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), 0);
  ck_assert_int_eq(d.n, 0);
  ck_assert_uint_eq(ftp_users_count(u), 2);
  ftp_users_unref(u);
  /* Readable by everyone is fine: the file holds hashes, not passwords, and
   * /etc/passwd-style files often are. */
  ck_assert_int_eq(chmod(path, 0644), 0);
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), 0);
  ftp_users_unref(u);
  /* An empty file is a valid file with no users. */
  write_file(path, "", 0600);
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), 0);
  ck_assert_uint_eq(ftp_users_count(u), 0);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_load_errors_named_by_path) {
  char path[128], want[192];
  struct diags d;
  struct ftp_users *u;

  snprintf(path, sizeof(path), "%s/users", tmpdir);
  write_file(path, "alice:*:/a\nbob:*:b\n", 0600);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), FTP_E_CONF);
  ck_assert_ptr_null(u);
  ck_assert_int_eq(d.n, 1);
  snprintf(want, sizeof(want), "%s:2: home directory 'b' is not an", path);
  ck_assert_msg(strncmp(d.msg[0], want, strlen(want)) == 0, "%s", d.msg[0]);
}
END_TEST

START_TEST(test_load_group_writable) {
  static const mode_t modes[] = {0660, 0602, 0666, 0620};
  char path[128];
  struct diags d;
  struct ftp_users *u;
  size_t i;

  snprintf(path, sizeof(path), "%s/users", tmpdir);
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    write_file(path, "alice:*:/a\n", modes[i]);
    memset(&d, 0, sizeof(d));
    ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), FTP_E_REFUSED);
    ck_assert_ptr_null(u);
    ck_assert_int_eq(d.n, 1);
    ck_assert_msg(strstr(d.msg[0], "writable by group or others") != NULL,
                  "%s", d.msg[0]);
    ck_assert(strstr(d.msg[0], "StrictModes") != NULL);
    ck_assert(strncmp(d.msg[0], path, strlen(path)) == 0);
  }
}
END_TEST

/* Owned by root or by the server's own uid, or refused: whoever owns the
 * USERFILE can add users.  Only root can make a file someone else's, so as
 * another user the test checks the accepted owners only (CI runs as root). */
START_TEST(test_load_owner) {
  char path[128];
  struct diags d;
  struct ftp_users *u;

  snprintf(path, sizeof(path), "%s/users", tmpdir);
  write_file(path, "alice:*:/a\n", 0644);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), 0); /* ours */
  ftp_users_unref(u);
  if (geteuid() != 0)
    return;
  ck_assert_int_eq(chown(path, 12345, 0), 0);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), FTP_E_REFUSED);
  ck_assert_ptr_null(u);
  ck_assert_int_eq(d.n, 1);
  ck_assert_msg(strstr(d.msg[0], "owned by uid 12345, not by root") != NULL, "%s", d.msg[0]);
  ck_assert(strncmp(d.msg[0], path, strlen(path)) == 0);
  /* Group and mode do not matter beyond go-w: root's file, any group. */
  ck_assert_int_eq(chown(path, 0, 12345), 0);
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), 0);
  ftp_users_unref(u);
}
END_TEST

START_TEST(test_load_missing_and_not_regular) {
  char path[128];
  struct diags d;
  struct ftp_users *u;

  snprintf(path, sizeof(path), "%s/nope", tmpdir);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), UV_ENOENT);
  ck_assert_ptr_null(u);
  ck_assert_int_eq(d.n, 1);
  ck_assert(strstr(d.msg[0], "cannot read USERFILE") != NULL);

  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(tmpdir, diag_cb, &d, &u), FTP_E_REFUSED);
  ck_assert(strstr(d.msg[0], "not a regular file") != NULL);

  /* A FIFO must be refused, not waited on. */
  snprintf(path, sizeof(path), "%s/fifo", tmpdir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), FTP_E_REFUSED);
  ck_assert(strstr(d.msg[0], "not a regular file") != NULL);
}
END_TEST

START_TEST(test_load_too_big) {
  char path[128];
  struct diags d;
  struct ftp_users *u;
  int fd;

  snprintf(path, sizeof(path), "%s/big", tmpdir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  /* Sparse: costs no disk space. */
  ck_assert_int_eq(ftruncate(fd, FTP_USERFILE_MAX + 1), 0);
  close(fd);
  memset(&d, 0, sizeof(d));
  ck_assert_int_eq(ftp_users_load(path, diag_cb, &d, &u), FTP_E_TOOBIG);
  ck_assert_ptr_null(u);
  ck_assert(strstr(d.msg[0], "larger than") != NULL);
}
END_TEST

static Suite *users_suite(void) {
  Suite *s = suite_create("users");
  TCase *tc;

  tc = tcase_create("parse");
  tcase_add_test(tc, test_parse_good);
  tcase_add_test(tc, test_parse_empty);
  tcase_add_test(tc, test_parse_ids);
  tcase_add_test(tc, test_parse_many_sorted_lookup);
  tcase_add_loop_test(tc, test_parse_bad_line, 0,
                      (int)(sizeof(bad_lines) / sizeof(bad_lines[0])));
  tcase_add_test(tc, test_parse_line_numbers_and_all_errors);
  tcase_add_test(tc, test_parse_nul_and_long_line);
  tcase_add_test(tc, test_parse_long_name);
  tcase_add_test(tc, test_parse_duplicates);
  tcase_add_test(tc, test_parse_too_many_errors);
  tcase_add_test(tc, test_parse_no_diag);
  tcase_add_test(tc, test_refcount);
  suite_add_tcase(s, tc);

  tc = tcase_create("password");
  /* yescrypt at its default cost is slow under sanitizers. */
  tcase_set_timeout(tc, 60);
  tcase_add_test(tc, test_password_sha512);
  tcase_add_test(tc, test_password_yescrypt);
  tcase_add_test(tc, test_password_openssl_vector);
  tcase_add_test(tc, test_password_disabled_only_file);
  tcase_add_test(tc, test_password_too_long);
  tcase_add_test(tc, test_password_unknown_user_timing);
  suite_add_tcase(s, tc);

  tc = tcase_create("cert");
  tcase_add_test(tc, test_cert_fingerprint_forms);
  tcase_add_test(tc, test_cert_dn);
  suite_add_tcase(s, tc);

  tc = tcase_create("load");
  tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
  tcase_add_test(tc, test_load_good);
  tcase_add_test(tc, test_load_errors_named_by_path);
  tcase_add_test(tc, test_load_group_writable);
  tcase_add_test(tc, test_load_owner);
  tcase_add_test(tc, test_load_missing_and_not_regular);
  tcase_add_test(tc, test_load_too_big);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(users_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
