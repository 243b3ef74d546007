/*
 * check_netrc.c: the netrc parser and loader (client/netrc.c).
 *
 * Run one case with CK_RUN_CASE=parse (or load).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "netrc.h"

#define NA ((const char *)1) /* NULL expected */

struct netrc_case {
  const char *text;
  const char *host;
  const char *login;   /* login_or_null */
  int r;
  const char *want_login;
  const char *want_password;
  const char *want_account;
  int is_default;
  const char *msg;     /* for FTP_E_SYNTAX: the exact message */
};

#define OK(t, h, l, wl, wp, wa, d) {t, h, l, 0, wl, wp, wa, d, NULL}
#define NONE(t, h, l) {t, h, l, UV_ENOENT, NA, NA, NA, 0, NULL}
#define ERR(t, m) {t, "h", NULL, FTP_E_SYNTAX, NA, NA, NA, 0, m}

static const struct netrc_case cases[] = {
    /* the basics; host names compare without regard to case */
    OK("machine h login u password p\n", "h", NULL, "u", "p", NA, 0),
    OK("machine Files.Example login u password p", "files.example", NULL, "u",
       "p", NA, 0),
    OK("machine h login u password p account a", "h", NULL, "u", "p", "a", 0),
    OK("machine h\n\tlogin u\n\tpasswd p\n", "h", NULL, "u", "p", NA, 0),
    NONE("machine h login u password p\n", "other", NULL),
    NONE("", "h", NULL),
    NONE("# only a comment\n", "h", NULL),
    /* one line, several machines (curl style) */
    OK("machine a login u password p machine b login v password q", "b", NULL,
       "v", "q", NA, 0),
    /* machine beats default, wherever default stands */
    OK("default login anonymous password me@\n", "x", NULL, "anonymous", "me@",
       NA, 1),
    OK("default login d password dp\nmachine h login u password p\n", "h", NULL,
       "u", "p", NA, 0),
    OK("machine h login u password p\ndefault login d password dp\n", "zz",
       NULL, "d", "dp", NA, 1),
    /* the first matching machine wins */
    OK("machine h login u1 password p1\nmachine h login u2 password p2\n", "h",
       NULL, "u1", "p1", NA, 0),
    /* login-specific selection */
    OK("machine h login u1 password p1\nmachine h login u2 password p2\n", "h",
       "u2", "u2", "p2", NA, 0),
    NONE("machine h login u1 password p1\nmachine h login u2 password p2\n", "h",
         "u3"),
    OK("machine h login u1 password p1\ndefault login u2 password d\n", "h",
       "u2", "u2", "d", NA, 1),
    NONE("machine h password p\n", "h", "x"), /* no login: not "x"'s */
    OK("machine h password p\n", "h", NULL, NA, "p", NA, 0),
    NONE("default password p\n", "h", "x"),
    OK("machine h login U password p\nmachine h login u password q\n", "h",
       "u", "u", "q", NA, 0), /* logins are case-sensitive */
    /* quoted tokens, curl's escapes */
    OK("machine h login \"john doe\" password \"p a\\\"s\\\\s\\tx\"\n", "h",
       NULL, "john doe", "p a\"s\\s\tx", NA, 0),
    OK("machine h login u password \"\\q\\#\"", "h", NULL, "u", "q#", NA, 0),
    OK("machine h login u password \"\"", "h", NULL, "u", "", NA, 0),
    OK("machine \"h\" login u password \"# not a comment\"", "h", NULL, "u",
       "# not a comment", NA, 0),
    OK("machine h login u password back\\slash", "h", NULL, "u", "back\\slash",
       NA, 0),
    OK("machine h login u password pa\"ss", "h", NULL, "u", "pa\"ss", NA, 0),
    /* macdef bodies are skipped up to an empty line */
    OK("machine h login u\nmacdef init\ncd /pub\npassword evil\n\n"
       "machine h2 login v password q\n",
       "h2", NULL, "v", "q", NA, 0),
    OK("machine h login u\nmacdef init\ncd /pub\npassword evil\n\n"
       "machine h2 login v password q\n",
       "h", NULL, "u", NA, NA, 0),
    OK("machine h login u\nmacdef init password evil\nbin\n\r\n"
       "password good\n",
       "h", NULL, "u", "good", NA, 0),
    OK("machine h login u password p\nmacdef m\nmachine x\nlogin y\n", "h",
       NULL, "u", "p", NA, 0), /* body runs to the end of the file */
    /* comments at a token start only */
    OK("# machine h login bad\nmachine h login good # password x\n", "h", NULL,
       "good", NA, NA, 0),
    OK("machine h login u password pa#ss\n", "h", NULL, "u", "pa#ss", NA, 0),
    OK("machine h login u #comment\n password p", "h", NULL, "u", "p", NA, 0),
    /* words for other programs, and fields outside an entry, are ignored */
    OK("machine h port 2121 login u password p\n", "h", NULL, "u", "p", NA, 0),
    OK("login x password y\nmachine h login u\n", "h", NULL, "u", NA, NA, 0),
    /* a later value in the same entry replaces the earlier one */
    OK("machine h login a login b password p", "h", NULL, "b", "p", NA, 0),
    /* CRLF files */
    OK("machine h\r\nlogin u\r\npassword p\r\n", "h", NULL, "u", "p", NA, 0),

    /* errors */
    ERR("machine h password \"abc", "line 1: unterminated quote"),
    ERR("machine h password \"ab\ncd\"", "line 1: unterminated quote"),
    ERR("machine h password \"ab\\", "line 1: unterminated quote"),
    ERR("machine h\npassword \"ab\\\ncd\"", "line 2: unterminated quote"),
    ERR("machine h password \"ab\"cd", "line 1: text right after a closing quote"),
    ERR("machine h\nlogin u\npassword \"x\\nQUIT\"",
        "line 3: CR or LF inside a token"),
    ERR("machine h password \"x\\r\"", "line 1: CR or LF inside a token"),
    ERR("machine", "line 1: machine without a name"),
    ERR("machine\n\n# c\n", "line 4: machine without a name"),
    ERR("machine h login", "line 1: login without a value"),
    ERR("machine h login u password\n", "line 2: password without a value"),
    ERR("machine h account", "line 1: account without a value"),
    ERR("macdef", "line 1: macdef without a name"),
    /* an error after the matching entry still counts */
    ERR("machine h login u password p\nmachine x password \"oops\n",
        "line 2: unterminated quote"),
};

static void check_str(const char *what, const char *got, const char *want,
                      int i) {
  if (want == NA) {
    ck_assert_msg(got == NULL, "case %d: %s: want NULL, got '%s'", i, what,
                  got);
    return;
  }
  ck_assert_msg(got != NULL && strcmp(got, want) == 0,
                "case %d: %s: want '%s', got '%s'", i, what, want,
                got == NULL ? "(null)" : got);
}

START_TEST(test_table) {
  const struct netrc_case *c = &cases[_i];
  struct ftp_netrc_entry e;
  struct ftp_buf msg;
  int r;

  ftp_buf_init(&msg, 1024);
  r = ftp_netrc_parse(c->text, strlen(c->text), c->host, c->login, &e, &msg);
  ck_assert_msg(r == c->r, "case %d: want %d, got %d (%s)", _i, c->r, r,
                ftp_buf_len(&msg) > 0 ? ftp_buf_cstr(&msg, NULL) : "");
  check_str("login", e.login, c->want_login, _i);
  check_str("password", e.password, c->want_password, _i);
  check_str("account", e.account, c->want_account, _i);
  ck_assert_int_eq(e.is_default, c->is_default);
  if (c->msg != NULL)
    check_str("message", ftp_buf_cstr(&msg, NULL), c->msg, _i);
  else
    ck_assert_uint_eq(ftp_buf_len(&msg), 0);
  ftp_netrc_entry_free(&e);
  ftp_buf_free(&msg);
}
END_TEST

START_TEST(test_nul_and_long_token) {
  static const char nul[] = "machine h\nlogin u\0x password p\n";
  struct ftp_netrc_entry e;
  struct ftp_buf msg;
  struct ftp_buf t;
  size_t i;

  ftp_buf_init(&msg, 1024);
  ck_assert_int_eq(ftp_netrc_parse(nul, sizeof(nul) - 1, "h", NULL, &e, &msg),
                   FTP_E_SYNTAX);
  ck_assert_str_eq(ftp_buf_cstr(&msg, NULL), "line 2: NUL byte");
  ftp_buf_reset(&msg);

  /* A password of exactly FTP_PASS_MAX bytes is fine; one more is not. */
  ftp_buf_init(&t, 4096);
  ck_assert_int_eq(ftp_buf_puts(&t, "machine h password "), 0);
  for (i = 0; i < FTP_PASS_MAX; i++)
    ck_assert_int_eq(ftp_buf_putc(&t, 'p'), 0);
  ck_assert_int_eq(ftp_netrc_parse((const char *)ftp_buf_ptr(&t),
                                   ftp_buf_len(&t), "h", NULL, &e, &msg),
                   0);
  ck_assert_uint_eq(strlen(e.password), FTP_PASS_MAX);
  ftp_netrc_entry_free(&e);
  ck_assert_int_eq(ftp_buf_putc(&t, 'p'), 0);
  ck_assert_int_eq(ftp_netrc_parse((const char *)ftp_buf_ptr(&t),
                                   ftp_buf_len(&t), "h", NULL, &e, &msg),
                   FTP_E_SYNTAX);
  ck_assert_str_eq(ftp_buf_cstr(&msg, NULL), "line 1: token too long");
  ck_assert_ptr_null(e.password);
  ftp_buf_free(&t);
  ftp_buf_free(&msg);
}
END_TEST

START_TEST(test_not_nul_terminated) {
  /* The text is bounded by len, not by a NUL: "password p" is cut to "p"
   * by len, and the bytes after it are never read. */
  static const char text[] = "machine h login u password pXXXX";
  struct ftp_netrc_entry e;

  ck_assert_int_eq(
      ftp_netrc_parse(text, sizeof(text) - 1 - 4, "h", NULL, &e, NULL), 0);
  ck_assert_str_eq(e.password, "p");
  ftp_netrc_entry_free(&e);
  ftp_netrc_entry_free(&e); /* twice is safe */
  ftp_netrc_entry_free(NULL);
}
END_TEST

/* ---- load ---- */

static char tmpdir[64];

static void tmp_setup(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_netrc.XXXXXX");
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
  struct ftp_netrc_entry e;
  struct ftp_buf msg;

  snprintf(path, sizeof(path), "%s/netrc", tmpdir);
  write_file(path, "machine h login u password p\n", 0600);
  ftp_buf_init(&msg, 1024);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), 0);
  ck_assert_str_eq(e.login, "u");
  ck_assert_str_eq(e.password, "p");
  ftp_netrc_entry_free(&e);
  ck_assert_int_eq(ftp_netrc_load(path, "x", NULL, &e, &msg), UV_ENOENT);
  ck_assert_uint_eq(ftp_buf_len(&msg), 0);
  /* No password anywhere: the mode does not matter. */
  write_file(path, "machine h login u\n", 0644);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), 0);
  ck_assert_str_eq(e.login, "u");
  ftp_netrc_entry_free(&e);
  /* Owner-only modes other than 0600 are fine. */
  write_file(path, "machine h login u password p\n", 0400);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), 0);
  ftp_netrc_entry_free(&e);
  ftp_buf_free(&msg);
}
END_TEST

START_TEST(test_load_permissions) {
  static const mode_t modes[] = {0644, 0640, 0604, 0620, 0602, 0610, 0666};
  char path[128];
  struct ftp_netrc_entry e;
  struct ftp_buf msg;
  size_t i;

  snprintf(path, sizeof(path), "%s/netrc", tmpdir);
  ftp_buf_init(&msg, 1024);
  for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
    /* The password is refused even when it belongs to another host. */
    write_file(path, "machine h login u\nmachine o login v password p\n",
               modes[i]);
    ftp_buf_reset(&msg);
    ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), FTP_E_REFUSED);
    ck_assert_ptr_null(e.login);
    ck_assert_ptr_null(e.password);
    ck_assert_msg(strstr(ftp_buf_cstr(&msg, NULL),
                         "holds a password and is accessible by group or "
                         "others") != NULL,
                  "%s", ftp_buf_cstr(&msg, NULL));
    ck_assert(strncmp(ftp_buf_cstr(&msg, NULL), path, strlen(path)) == 0);
    ck_assert(strstr(ftp_buf_cstr(&msg, NULL), "chmod 600") != NULL);
  }
  ftp_buf_free(&msg);
}
END_TEST

START_TEST(test_load_errors) {
  char path[128], want[192];
  struct ftp_netrc_entry e;
  struct ftp_buf msg;
  int fd;

  ftp_buf_init(&msg, 1024);
  /* Missing: ENOENT and no message (the caller just has no netrc). */
  snprintf(path, sizeof(path), "%s/none", tmpdir);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), UV_ENOENT);
  ck_assert_uint_eq(ftp_buf_len(&msg), 0);
  /* A syntax error names the file and line. */
  snprintf(path, sizeof(path), "%s/netrc", tmpdir);
  write_file(path, "machine h\nlogin \"u\n", 0600);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), FTP_E_SYNTAX);
  snprintf(want, sizeof(want), "%s:2: unterminated quote", path);
  ck_assert_str_eq(ftp_buf_cstr(&msg, NULL), want);
  /* A directory. */
  ftp_buf_reset(&msg);
  ck_assert_int_eq(ftp_netrc_load(tmpdir, "h", NULL, &e, &msg), FTP_E_REFUSED);
  ck_assert(strstr(ftp_buf_cstr(&msg, NULL), "not a regular file") != NULL);
  /* Over 1 MiB (sparse). */
  snprintf(path, sizeof(path), "%s/big", tmpdir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(ftruncate(fd, FTP_NETRC_MAX + 1), 0);
  close(fd);
  ftp_buf_reset(&msg);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), FTP_E_TOOBIG);
  ck_assert(strstr(ftp_buf_cstr(&msg, NULL), "larger than") != NULL);
  /* Exactly 1 MiB is read (and is all NULs: a syntax error). */
  ck_assert_int_eq(truncate(path, FTP_NETRC_MAX), 0);
  ftp_buf_reset(&msg);
  ck_assert_int_eq(ftp_netrc_load(path, "h", NULL, &e, &msg), FTP_E_SYNTAX);
  ftp_buf_free(&msg);
}
END_TEST

static Suite *netrc_suite(void) {
  Suite *s = suite_create("netrc");
  TCase *tc;

  tc = tcase_create("parse");
  tcase_add_loop_test(tc, test_table, 0,
                      (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_test(tc, test_nul_and_long_token);
  tcase_add_test(tc, test_not_nul_terminated);
  suite_add_tcase(s, tc);

  tc = tcase_create("load");
  tcase_add_checked_fixture(tc, tmp_setup, tmp_teardown);
  tcase_add_test(tc, test_load_good);
  tcase_add_test(tc, test_load_permissions);
  tcase_add_test(tc, test_load_errors);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(netrc_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
