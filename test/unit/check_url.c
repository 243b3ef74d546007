/*
 * check_url.c: FTP URL parsing and redacted printing (client/url.c).
 *
 * Run one case with CK_RUN_CASE=table (or limits, format).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "url.h"

#define NA ((const char *)1) /* "no value expected": NULL */

struct url_case {
  const char *in;
  const char *err;      /* NULL: must parse; else a substring of the message */
  int scheme;
  const char *user;     /* NA: NULL expected */
  const char *password; /* NA: NULL expected */
  const char *host;
  unsigned port;
  const char *path;
  const char *comps;    /* components joined with '|' */
  int is_dir;
  int type;
  int ip;
  const char *redacted; /* NULL: same as in */
};

#define GOOD(in_, sch, us, pw, ho, po, pa, co, dir, ty, ip_, red)             \
  {in_, NULL, sch, us, pw, ho, po, pa, co, dir, ty, ip_, red}
#define BAD(in_, msg) {in_, msg, 0, NA, NA, NULL, 0, NULL, NULL, 0, 0, 0, NULL}

enum { NONE = FTP_URL_TYPE_NONE, TA = FTP_URL_TYPE_A, TI = FTP_URL_TYPE_I,
       TD = FTP_URL_TYPE_D };
enum { FTP = FTP_URL_FTP, FTPES = FTP_URL_FTPES, FTPS = FTP_URL_FTPS };

static const struct url_case cases[] = {
    /* no path, a listing, a directory listing */
    GOOD("ftp://host", FTP, NA, NA, "host", 21, "", "", 0, NONE, 0, NULL),
    GOOD("ftp://host/", FTP, NA, NA, "host", 21, "", "", 1, NONE, 0, NULL),
    GOOD("ftp://host/dir/", FTP, NA, NA, "host", 21, "dir", "dir", 1, NONE, 0,
         NULL),
    GOOD("ftp://host/pub/sub/file.txt", FTP, NA, NA, "host", 21,
         "pub/sub/file.txt", "pub|sub|file.txt", 0, NONE, 0, NULL),
    /* %2F is a slash inside one component */
    GOOD("ftp://host/a%2Fb", FTP, NA, NA, "host", 21, "a/b", "a/b", 0, NONE, 0,
         "ftp://host/a%2Fb"),
    GOOD("ftp://host/%2Fetc/passwd", FTP, NA, NA, "host", 21, "/etc/passwd",
         "/etc|passwd", 0, NONE, 0, NULL),
    /* "//" starts at the root; empty middle segments are dropped */
    GOOD("ftp://host//etc/passwd", FTP, NA, NA, "host", 21, "/etc/passwd",
         "/|etc|passwd", 0, NONE, 0, NULL),
    GOOD("ftp://host//", FTP, NA, NA, "host", 21, "/", "/", 1, NONE, 0, NULL),
    /* The root alone, not as a directory, and listed by ;type=d: printed
     * so that they parse back the same (fuzz_url found both). */
    GOOD("ftp://host/%2F", FTP, NA, NA, "host", 21, "/", "/", 0, NONE, 0, NULL),
    GOOD("ftp://host//;type=d", FTP, NA, NA, "host", 21, "/", "/", 1, TD, 0,
         NULL),
    GOOD("ftp://host/%2F;type=d", FTP, NA, NA, "host", 21, "/", "/", 1, TD, 0,
         "ftp://host//;type=d"),
    GOOD("ftp://host/a//b/", FTP, NA, NA, "host", 21, "a/b", "a|b", 1, NONE, 0,
         "ftp://host/a/b/"),
    /* ;type= */
    GOOD("ftp://host/file;type=a", FTP, NA, NA, "host", 21, "file", "file", 0,
         TA, 0, NULL),
    GOOD("ftp://host/file;type=I", FTP, NA, NA, "host", 21, "file", "file", 0,
         TI, 0, "ftp://host/file;type=i"),
    GOOD("ftp://host/dir;type=d", FTP, NA, NA, "host", 21, "dir", "dir", 1, TD,
         0, NULL),
    GOOD("ftp://host/;type=i", FTP, NA, NA, "host", 21, "", "", 1, TI, 0, NULL),
    GOOD("ftp://host/d/;type=a", FTP, NA, NA, "host", 21, "d", "d", 1, TA, 0,
         NULL),
    /* schemes are case-insensitive; host names are folded */
    GOOD("FTP://Host.Example.COM/X", FTP, NA, NA, "host.example.com", 21, "X",
         "X", 0, NONE, 0, "ftp://host.example.com/X"),
    GOOD("FtPeS://host", FTPES, NA, NA, "host", 21, "", "", 0, NONE, 0,
         "ftpes://host"),
    GOOD("ftps://host", FTPS, NA, NA, "host", 990, "", "", 0, NONE, 0, NULL),
    GOOD("ftps://host:2990/x", FTPS, NA, NA, "host", 2990, "x", "x", 0, NONE, 0,
         NULL),
    GOOD("ftps://host:21/", FTPS, NA, NA, "host", 21, "", "", 1, NONE, 0,
         NULL),
    GOOD("ftp://host:21/", FTP, NA, NA, "host", 21, "", "", 1, NONE, 0,
         "ftp://host/"),
    GOOD("ftp://host:/x", FTP, NA, NA, "host", 21, "x", "x", 0, NONE, 0,
         "ftp://host/x"),
    GOOD("ftp://host:65535", FTP, NA, NA, "host", 65535, "", "", 0, NONE, 0,
         NULL),
    GOOD("ftp://host:00021/", FTP, NA, NA, "host", 21, "", "", 1, NONE, 0,
         "ftp://host/"),
    /* IP literals */
    GOOD("ftp://[::1]", FTP, NA, NA, "::1", 21, "", "", 0, NONE, 1, NULL),
    GOOD("ftp://[::1]:2121/x", FTP, NA, NA, "::1", 2121, "x", "x", 0, NONE, 1,
         NULL),
    GOOD("ftp://[2001:db8::1]/dir/", FTP, NA, NA, "2001:db8::1", 21, "dir",
         "dir", 1, NONE, 1, NULL),
    GOOD("ftp://[fe80::1%25eth0]:21/", FTP, NA, NA, "fe80::1%eth0", 21, "", "",
         1, NONE, 1, "ftp://[fe80::1%25eth0]/"),
    GOOD("ftp://[::ffff:192.0.2.1]/", FTP, NA, NA, "::ffff:192.0.2.1", 21, "",
         "", 1, NONE, 1, NULL),
    GOOD("ftp://192.0.2.1/x", FTP, NA, NA, "192.0.2.1", 21, "x", "x", 0, NONE,
         1, NULL),
    GOOD("ftp://my-host_1.example./", FTP, NA, NA, "my-host_1.example.", 21, "",
         "", 1, NONE, 0, NULL),
    GOOD("ftp://v6host1/", FTP, NA, NA, "v6host1", 21, "", "", 1, NONE, 0,
         NULL),
    /* credentials */
    GOOD("ftp://user@host/", FTP, "user", NA, "host", 21, "", "", 1, NONE, 0,
         NULL),
    GOOD("ftp://user:pw@host", FTP, "user", "pw", "host", 21, "", "", 0, NONE,
         0, "ftp://user:****@host"),
    GOOD("ftp://user:p%40ss%3Aw%2Fd@host/", FTP, "user", "p@ss:w/d", "host", 21,
         "", "", 1, NONE, 0, "ftp://user:****@host/"),
    GOOD("ftp://user:@host", FTP, "user", "", "host", 21, "", "", 0, NONE, 0,
         "ftp://user:****@host"),
    GOOD("ftp://me%40example.com:x@[::1]:2121/f", FTP, "me@example.com", "x",
         "::1", 2121, "f", "f", 0, NONE, 1,
         "ftp://me%40example.com:****@[::1]:2121/f"),
    GOOD("ftp://u:a:b@host", FTP, "u", "a:b", "host", 21, "", "", 0, NONE, 0,
         "ftp://u:****@host"),
    /* path bytes */
    GOOD("ftp://host/caf%C3%A9", FTP, NA, NA, "host", 21, "caf\xc3\xa9",
         "caf\xc3\xa9", 0, NONE, 0, NULL),
    GOOD("ftp://host/caf\xc3\xa9", FTP, NA, NA, "host", 21, "caf\xc3\xa9",
         "caf\xc3\xa9", 0, NONE, 0, "ftp://host/caf%C3%A9"),
    GOOD("ftp://host/a%20b", FTP, NA, NA, "host", 21, "a b", "a b", 0, NONE, 0,
         NULL),
    GOOD("ftp://host/%25", FTP, NA, NA, "host", 21, "%", "%", 0, NONE, 0, NULL),
    GOOD("ftp://host/x%3By", FTP, NA, NA, "host", 21, "x;y", "x;y", 0, NONE, 0,
         NULL),
    GOOD("ftp://host/x@y:z", FTP, NA, NA, "host", 21, "x@y:z", "x@y:z", 0, NONE,
         0, NULL),
    GOOD("ftp://host/../..", FTP, NA, NA, "host", 21, "../..", "..|..", 0, NONE,
         0, NULL),
    GOOD("ftp://host/%01%FF", FTP, NA, NA, "host", 21, "\x01\xff", "\x01\xff",
         0, NONE, 0, NULL),

    /* schemes */
    BAD("http://host/", "unknown URL scheme"),
    BAD("sftp://host/", "unknown URL scheme"),
    BAD("ftpx://host/", "unknown URL scheme"),
    BAD("host/path", "not a URL"),
    BAD("ftp:/host", "not a URL"),
    BAD("ftps//host", "not a URL"),
    BAD("://host", "not a URL"),
    BAD("", "not a URL"),
    /* hosts */
    BAD("ftp://", "empty host"),
    BAD("ftp:///path", "empty host"),
    BAD("ftp://user@/x", "empty host"),
    BAD("ftp://:21/", "empty host"),
    BAD("ftp://ho%73t/", "bad character in URL host"),
    BAD("ftp://-host/", "bad character in URL host"),
    BAD("ftp://.host/", "bad character in URL host"),
    BAD("ftp://h\xc3\xa9/", "bad character in URL host"),
    BAD("ftp://host?x", "bad character in URL host"),
    BAD("ftp://127.1/", "numeric URL host"),
    BAD("ftp://0x7f.0.0.1/", "numeric URL host"),
    BAD("ftp://a.0x7f/", "numeric URL host"),
    BAD("ftp://010.0.0.1/", "numeric URL host"),
    BAD("ftp://1.2.3.4./", "numeric URL host"),
    BAD("ftp://1.2.3.256/", "numeric URL host"),
    BAD("ftp://4294967295/", "numeric URL host"),
    /* ports */
    BAD("ftp://host:0/", "out of range"),
    BAD("ftp://host:65536/", "out of range"),
    BAD("ftp://host:99999999999999999999999/", "out of range"),
    BAD("ftp://host:21a/", "bad port"),
    BAD("ftp://host:-1/", "bad port"),
    BAD("ftp://host:+21/", "bad port"),
    BAD("ftp://host:21:22/", "bad port"),
    BAD("ftp://user:pa/ss@host/", "bad port"),
    /* IPv6 */
    BAD("ftp://[::1/x", "unterminated '['"),
    BAD("ftp://[::1", "unterminated '['"),
    BAD("ftp://[::1]x/", "after ']'"),
    BAD("ftp://[::g]/", "bad IPv6 address"),
    BAD("ftp://[]/", "bad IPv6 address"),
    BAD("ftp://[127.0.0.1]/", "bad IPv6 address"),
    BAD("ftp://[v1.x]/", "bad IPv6 address"),
    BAD("ftp://::1/", "empty host"),
    BAD("ftp://[fe80::1%eth0]/", "%25"),
    BAD("ftp://[fe80::1%25]/", "bad zone id"),
    BAD("ftp://[fe80::1%25et/h0]/", "unterminated '['"),
    BAD("ftp://[fe80::1%25e%h0]/", "bad zone id"),
    /* percent-encoding */
    BAD("ftp://host/%G1", "bad percent-encoding"),
    BAD("ftp://host/%1G", "bad percent-encoding"),
    BAD("ftp://host/%4", "truncated percent-encoding"),
    BAD("ftp://host/%", "truncated percent-encoding"),
    BAD("ftp://u%4:p@host/", "truncated percent-encoding"),
    BAD("ftp://u:p%zz@host/", "bad percent-encoding"),
    /* injection: decoded NUL, CR, LF anywhere; raw control characters */
    BAD("ftp://host/a%00b", "encoded NUL, CR or LF"),
    BAD("ftp://host/a%0d%0aDELE%20x", "encoded NUL, CR or LF"),
    BAD("ftp://host/a%0Ab", "encoded NUL, CR or LF"),
    BAD("ftp://user%0a:pw@host", "encoded NUL, CR or LF"),
    BAD("ftp://u:p%0D%0AQUIT@host", "encoded NUL, CR or LF"),
    BAD("ftp://u:p%00@host", "encoded NUL, CR or LF"),
    BAD("ftp://host/dir%0D/;type=a", "encoded NUL, CR or LF"),
    BAD("ftp://host/a\r\nDELE x", "control character"),
    BAD("ftp://ho\nst/", "control character"),
    BAD("ftp://host/a\x7f", "control character"),
    BAD("ftp://host/a b", "blank"),
    BAD("ftp://host/a\tb", "blank"),
    BAD(" ftp://host/", "blank"),
    /* credentials */
    BAD("ftp://a%3Ab@host", "':' in the user name"),
    BAD("ftp://:pw@host", "empty user name"),
    BAD("ftp://@host", "empty user name"),
    BAD("ftp://u:p@ss@host", "more than one '@'"),
    BAD("ftp://good.example@evil.example@host/", "more than one '@'"),
    /* path punctuation */
    BAD("ftp://host/x;type=z", "';' in URL path"),
    BAD("ftp://host/x;type=", "';' in URL path"),
    BAD("ftp://host/x;type=aa", "';' in URL path"),
    BAD("ftp://host/x;mode=a", "';' in URL path"),
    BAD("ftp://host/a;b/c", "';' in URL path"),
    BAD("ftp://host/a;b;type=a", "';' in URL path"),
    BAD("ftp://host/x?y", "'?' in URL path"),
    BAD("ftp://host/x#frag", "'#' in URL path"),
};

static void join_components(const struct ftp_url *u, char *out, size_t cap) {
  size_t i, off = 0;

  out[0] = 0;
  for (i = 0; i < u->ncomponents; i++)
    off += (size_t)snprintf(out + off, cap - off, "%s%s", i > 0 ? "|" : "",
                            u->components[i]);
}

static void check_str(const char *what, const char *got, const char *want,
                      const char *in) {
  if (want == NA) {
    ck_assert_msg(got == NULL, "%s: %s: want NULL, got '%s'", in, what, got);
    return;
  }
  ck_assert_msg(got != NULL, "%s: %s: want '%s', got NULL", in, what, want);
  ck_assert_msg(strcmp(got, want) == 0, "%s: %s: want '%s', got '%s'", in,
                what, want, got);
}

static void check_fields(const struct url_case *c, const struct ftp_url *u,
                         int with_password) {
  char comps[1024];

  ck_assert_int_eq(u->scheme, c->scheme);
  check_str("user", u->user, c->user, c->in);
  if (with_password)
    check_str("password", u->password, c->password, c->in);
  check_str("host", u->host, c->host, c->in);
  ck_assert_uint_eq(u->port, c->port);
  check_str("path", u->path, c->path, c->in);
  join_components(u, comps, sizeof(comps));
  check_str("components", comps, c->comps, c->in);
  ck_assert_msg(u->is_dir == c->is_dir, "%s: is_dir", c->in);
  ck_assert_msg(u->type == c->type, "%s: type", c->in);
  ck_assert_msg(u->host_is_ip == c->ip, "%s: host_is_ip", c->in);
}

START_TEST(test_table) {
  const struct url_case *c = &cases[_i];
  struct ftp_url u, v;
  struct ftp_buf b;
  const char *msg = NULL, *red, *want;
  int r;

  r = ftp_url_parse(c->in, &u, &msg);
  if (c->err != NULL) {
    ck_assert_msg(r == FTP_E_SYNTAX, "%s: want FTP_E_SYNTAX, got %d", c->in, r);
    ck_assert_msg(msg != NULL && strstr(msg, c->err) != NULL,
                  "%s: want message with '%s', got '%s'", c->in, c->err, msg);
    /* A failed parse leaves nothing behind. */
    ck_assert_ptr_null(u.user);
    ck_assert_ptr_null(u.password);
    ck_assert_ptr_null(u.host);
    ck_assert_ptr_null(u.path);
    ck_assert_ptr_null(u.components);
    ftp_url_free(&u);
    return;
  }
  ck_assert_msg(r == 0, "%s: failed: %s", c->in, msg);
  check_fields(c, &u, 1);

  /* Printed back: the expected text, and it parses to the same URL. */
  ftp_buf_init(&b, 4096);
  ck_assert_int_eq(ftp_url_format_redacted(&u, &b), 0);
  red = ftp_buf_cstr(&b, NULL);
  want = c->redacted != NULL ? c->redacted : c->in;
  ck_assert_msg(strcmp(red, want) == 0, "%s: redacted '%s', want '%s'", c->in,
                red, want);
  ck_assert_int_eq(ftp_url_parse(red, &v, &msg), 0);
  check_fields(c, &v, 0);
  if (c->password != NA)
    check_str("redacted password", v.password, "****", c->in);
  ftp_url_free(&v);
  ftp_buf_free(&b);
  ftp_url_free(&u);
}
END_TEST

START_TEST(test_empty_port_after_ip6) {
  struct ftp_url u;

  /* "[::1]:" is an empty port: the default. */
  ck_assert_int_eq(ftp_url_parse("ftps://[::1]:/x", &u, NULL), 0);
  ck_assert_uint_eq(u.port, 990);
  ck_assert_str_eq(u.host, "::1");
  ftp_url_free(&u);
}
END_TEST

START_TEST(test_redacted_hides_password) {
  struct ftp_url u;
  struct ftp_buf b;
  const char *s;

  ck_assert_int_eq(
      ftp_url_parse("ftpes://alice:hunter2%21@files.example/in/", &u, NULL), 0);
  ck_assert_str_eq(u.password, "hunter2!");
  ftp_buf_init(&b, 4096);
  ck_assert_int_eq(ftp_url_format_redacted(&u, &b), 0);
  s = ftp_buf_cstr(&b, NULL);
  ck_assert_str_eq(s, "ftpes://alice:****@files.example/in/");
  ck_assert_ptr_null(strstr(s, "hunter2"));
  ftp_buf_free(&b);
  ftp_url_free(&u);
  /* Safe to call again, and on NULL. */
  ftp_url_free(&u);
  ftp_url_free(NULL);
}
END_TEST

START_TEST(test_redacted_buffer_limit) {
  struct ftp_url u;
  struct ftp_buf b;

  ck_assert_int_eq(ftp_url_parse("ftp://host/a/long/path", &u, NULL), 0);
  ftp_buf_init(&b, 8);
  ck_assert_int_eq(ftp_url_format_redacted(&u, &b), FTP_E_TOOBIG);
  ftp_buf_free(&b);
  ftp_url_free(&u);
}
END_TEST

static char *repeat(const char *prefix, const char *unit, size_t count,
                    const char *suffix) {
  size_t n = strlen(prefix) + strlen(unit) * count + strlen(suffix) + 1, i;
  struct ftp_buf b;
  char *s;

  ftp_buf_init(&b, n);
  ck_assert_int_eq(ftp_buf_puts(&b, prefix), 0);
  for (i = 0; i < count; i++)
    ck_assert_int_eq(ftp_buf_puts(&b, unit), 0);
  ck_assert_int_eq(ftp_buf_puts(&b, suffix), 0);
  s = strdup(ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
  ck_assert_ptr_nonnull(s);
  return s;
}

START_TEST(test_limits) {
  struct ftp_url u;
  const char *msg;
  char *s;

  /* The whole URL. */
  s = repeat("ftp://host/", "a", FTP_URL_MAX, "");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), FTP_E_SYNTAX);
  ck_assert_str_eq(msg, "URL too long");
  free(s);
  /* A path of exactly FTP_PATH_MAX decoded bytes, encoded three to one. */
  s = repeat("ftp://host/", "%41", FTP_PATH_MAX, "");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), 0);
  ck_assert_uint_eq(strlen(u.path), FTP_PATH_MAX);
  ftp_url_free(&u);
  free(s);
  /* One more byte, as a second component. */
  s = repeat("ftp://host/", "a", FTP_PATH_MAX - 1, "/b");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), FTP_E_SYNTAX);
  ck_assert_str_eq(msg, "URL path too long");
  free(s);
  /* User and password. */
  s = repeat("ftp://", "u", FTP_USER_MAX, "@host/");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), 0);
  ftp_url_free(&u);
  free(s);
  s = repeat("ftp://", "u", FTP_USER_MAX + 1, "@host/");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), FTP_E_SYNTAX);
  ck_assert_str_eq(msg, "user name in URL too long");
  free(s);
  s = repeat("ftp://u:", "%70", FTP_PASS_MAX + 1, "@host/");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), FTP_E_SYNTAX);
  ck_assert_str_eq(msg, "password in URL too long");
  free(s);
  /* Host name. */
  s = repeat("ftp://", "a", 255, "/");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), FTP_E_SYNTAX);
  ck_assert_str_eq(msg, "host name in URL too long");
  free(s);
  /* Many components. */
  s = repeat("ftp://host", "/x", 2000, "/");
  ck_assert_int_eq(ftp_url_parse(s, &u, &msg), 0);
  ck_assert_uint_eq(u.ncomponents, 2000);
  ck_assert_int_eq(u.is_dir, 1);
  ftp_url_free(&u);
  free(s);
}
END_TEST

START_TEST(test_default_port) {
  ck_assert_uint_eq(ftp_url_default_port(FTP_URL_FTP), 21);
  ck_assert_uint_eq(ftp_url_default_port(FTP_URL_FTPES), 21);
  ck_assert_uint_eq(ftp_url_default_port(FTP_URL_FTPS), 990);
}
END_TEST

START_TEST(test_table_size) {
  size_t i, good = 0, bad = 0;

  for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
    if (cases[i].err == NULL)
      good++;
    else
      bad++;
  }
  ck_assert_uint_ge(good, 40);
  ck_assert_uint_ge(bad, 40);
}
END_TEST

static Suite *url_suite(void) {
  Suite *s = suite_create("url");
  TCase *tc;
  int n = (int)(sizeof(cases) / sizeof(cases[0]));

  tc = tcase_create("table");
  tcase_add_loop_test(tc, test_table, 0, n);
  tcase_add_test(tc, test_table_size);
  tcase_add_test(tc, test_empty_port_after_ip6);
  tcase_add_test(tc, test_default_port);
  suite_add_tcase(s, tc);

  tc = tcase_create("limits");
  tcase_add_test(tc, test_limits);
  suite_add_tcase(s, tc);

  tc = tcase_create("format");
  tcase_add_test(tc, test_redacted_hides_password);
  tcase_add_test(tc, test_redacted_buffer_limit);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(url_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
