/*
 * check_options.c: ftp's command line (client/options.c), table-driven:
 * each row is an argv and what must come out of it, or the start of the
 * usage error it must give.
 *
 * Run one case with CK_RUN_CASE=table (or usage).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "options.h"

#define MAXARGS 12

struct opt_case {
  const char *argv[MAXARGS]; /* NULL-terminated, argv[0] "ftp" added */
  const char *err;           /* NULL: must parse; else a substring */
  int mode;
  int tls;
  int passive;
  int family;
  const char *host;
  unsigned port;
  int nargs;
  const char *check;         /* extra: "n", "k", "insecure", "o=x", ... */
};

#define OK(m, t, pa, fa, h, po, na, chk, ...) \
  {{__VA_ARGS__, NULL}, NULL, m, t, pa, fa, h, po, na, chk}
#define BAD(msg, ...) {{__VA_ARGS__, NULL}, msg, 0, 0, 0, 0, NULL, 0, 0, NULL}

enum { SH = FTPC_MODE_SHELL, GET = FTPC_MODE_GET, PUT = FTPC_MODE_PUT };
enum { TM = FTPC_OPT_TLS_MEMBER, TA = FTPC_OPT_TLS_ATTEMPT, TR = FTPC_OPT_TLS_REQUIRE };
#define U AF_UNSPEC

static const struct opt_case cases[] = {
  OK(SH, TM, -1, U, NULL, 0, 0, NULL, NULL),
  OK(SH, TM, -1, U, "host", 0, 1, NULL, "host"),
  OK(SH, TM, -1, U, "host", 2121, 2, NULL, "host", "2121"),
  OK(SH, TR, -1, U, "h", 0, 1, NULL, "-r", "tls", "h"),
  OK(SH, TR, -1, U, "h", 0, 1, NULL, "-r", "TLS", "h"),
  OK(SH, TA, -1, U, "h", 0, 1, NULL, "-a", "tls", "h"),
  OK(SH, TM, 1, U, "h", 0, 1, NULL, "-p", "h"),
  OK(SH, TM, 0, U, "h", 0, 1, NULL, "-A", "h"),
  OK(SH, TM, 0, U, "h", 0, 1, NULL, "-p", "-A", "h"),
  OK(SH, TM, -1, AF_INET, "h", 0, 1, NULL, "-4", "h"),
  OK(SH, TM, -1, AF_INET6, "::1", 0, 1, NULL, "-6", "::1"),
  OK(SH, TM, -1, U, "h", 0, 1, "n", "-n", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "k", "-k", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "N=/x/netrc", "-N", "/x/netrc", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "f=m.data", "-f", "m.data", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "v", "-v", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "q", "-q", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "insecure", "--insecure", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "ca=/ca.pem", "--ca-file", "/ca.pem", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "cert=/c.pem", "--cert", "/c.pem", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "key=/k.pem", "--cert", "/c.pem", "--key", "/k.pem", "h"),
  OK(SH, TM, -1, U, "h", 0, 1, "progress", "--progress", "h"),
  /* options after the operands (GNU permutation) */
  OK(SH, TR, -1, U, "h", 21, 2, NULL, "h", "21", "-r", "tls"),
  OK(GET, TM, -1, U, NULL, 0, 1, NULL, "ftp://h/f"),
  OK(GET, TM, -1, U, NULL, 0, 3, NULL, "ftp://h/a", "ftpes://h/b", "ftps://h/c"),
  OK(GET, TM, -1, U, NULL, 0, 1, "o=out.bin", "-o", "out.bin", "ftpes://demo@h:2121/f"),
  OK(GET, TM, -1, U, NULL, 0, 1, "o=-", "-o", "-", "ftp://h/f"),
  OK(GET, TM, -1, U, NULL, 0, 1, "o=x", "ftp://h/f", "-o", "x"),
  OK(GET, TM, -1, U, NULL, 0, 2, "o=-", "-o", "-", "ftp://h/a", "ftp://h/b"),
  OK(PUT, TM, -1, U, NULL, 0, 1, "u=ftp://h/d/", "-u", "ftp://h/d/", "a.bin"),
  OK(PUT, TM, -1, U, NULL, 0, 2, NULL, "-u", "ftp://h/d/", "a.bin", "b.bin"),
  OK(SH, TM, -1, U, NULL, 0, 0, "help", "--help"),
  OK(SH, TM, -1, U, NULL, 0, 0, "help", "-h"),
  OK(SH, TM, -1, U, NULL, 0, 0, "version", "--version"),
  BAD("unknown security mechanism", "-r", "ssl", "h"),
  BAD("Kerberos", "-a", "gssapi", "h"),
  BAD("missing argument", "-r"),
  BAD("unknown option", "-Z", "h"),
  BAD("unknown option", "--frobnicate", "h"),
  BAD("not a port", "h", "0"),
  BAD("not a port", "h", "65536"),
  BAD("not a port", "h", "21x"),
  BAD("not a port", "--", "h", "-5"),
  BAD("too many operands", "h", "21", "x"),
  BAD("cannot be mixed", "ftp://h/f", "host"),
  BAD("cannot be mixed", "host", "ftp://h/f"),
  BAD("exactly one URL", "-o", "x", "ftp://h/a", "ftp://h/b"),
  BAD("goes with a URL", "-o", "x", "host"),
  BAD("at least one local FILE", "-u", "ftp://h/d/"),
  BAD("not a URL", "-u", "host", "f"),
  BAD("does not go with -u", "-u", "ftp://h/d/", "-o", "x", "f"),
  BAD("contradict", "-v", "-q", "h"),
  BAD("--key needs --cert", "--key", "/k.pem", "h"),
};

static int check_extra(const struct ftpc_opts *o, const char *chk) {
  if (chk == NULL)
    return 1;
  if (strcmp(chk, "n") == 0)
    return o->no_autologin;
  if (strcmp(chk, "k") == 0)
    return o->keep_going;
  if (strcmp(chk, "v") == 0)
    return o->verbose == 1 && !o->quiet;
  if (strcmp(chk, "q") == 0)
    return o->quiet && !o->verbose;
  if (strcmp(chk, "insecure") == 0)
    return o->insecure;
  if (strcmp(chk, "progress") == 0)
    return o->progress;
  if (strcmp(chk, "help") == 0)
    return o->help;
  if (strcmp(chk, "version") == 0)
    return o->version;
  if (strncmp(chk, "N=", 2) == 0)
    return o->netrc != NULL && strcmp(o->netrc, chk + 2) == 0;
  if (strncmp(chk, "f=", 2) == 0)
    return o->member != NULL && strcmp(o->member, chk + 2) == 0;
  if (strncmp(chk, "o=", 2) == 0)
    return o->output != NULL && strcmp(o->output, chk + 2) == 0;
  if (strncmp(chk, "u=", 2) == 0)
    return o->upload_url != NULL && strcmp(o->upload_url, chk + 2) == 0;
  if (strncmp(chk, "ca=", 3) == 0)
    return o->cafile != NULL && strcmp(o->cafile, chk + 3) == 0;
  if (strncmp(chk, "cert=", 5) == 0)
    return o->cert != NULL && strcmp(o->cert, chk + 5) == 0;
  if (strncmp(chk, "key=", 4) == 0)
    return o->key != NULL && strcmp(o->key, chk + 4) == 0;
  return 0;
}

START_TEST(test_table) {
  const struct opt_case *c = &cases[_i];
  char *argv[MAXARGS + 2];
  char err[256];
  struct ftpc_opts o;
  int argc = 1, r;

  argv[0] = "ftp";
  while (c->argv[argc - 1] != NULL)
    argv[argc] = (char *)c->argv[argc - 1], argc++;
  argv[argc] = NULL;
  r = ftpc_opts_parse(argc, argv, &o, err, sizeof(err));
  if (c->err != NULL) {
    ck_assert_msg(r == -1, "case %d must fail", _i);
    ck_assert_msg(strstr(err, c->err) != NULL, "case %d: '%s' lacks '%s'", _i, err, c->err);
    return;
  }
  ck_assert_msg(r == 0, "case %d: %s", _i, err);
  ck_assert_msg(check_extra(&o, c->check), "case %d: %s", _i, c->check);
  if (o.help || o.version)
    return;
  ck_assert_int_eq(o.mode, c->mode);
  ck_assert_int_eq(o.tls, c->tls);
  ck_assert_int_eq(o.passive, c->passive);
  ck_assert_int_eq(o.family, c->family);
  ck_assert_int_eq(o.nargs, c->nargs);
  if (c->mode == FTPC_MODE_SHELL) {
    if (c->host == NULL)
      ck_assert_ptr_null(o.host);
    else
      ck_assert_str_eq(o.host, c->host);
    ck_assert_uint_eq(o.port, c->port);
  }
}
END_TEST

/* The usage text names every option and every exit status. */
START_TEST(test_usage_mentions_everything) {
  static const char *const words[] = {
      "-f MEMBER", "-r tls", "-a tls", "-p ", "-A ", "-4", "-6", "-n ", "-N NETRC",
      "-o LOCAL", "-u URL", "-v ", "-q ", "-k ", "--progress", "--ca-file", "--cert",
      "--key", "--insecure", "--help", "--version", "ftpes://", "ftps://",
      "0 success", "1 a command", "2 usage", "3 connection", "4 certificate",
      "5 login"};
  const char *u = ftpc_opts_usage();
  size_t i;

  for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
    ck_assert_msg(strstr(u, words[i]) != NULL, "usage lacks '%s'", words[i]);
}
END_TEST

/* Parsing twice in one process starts afresh (getopt's state). */
START_TEST(test_reparse) {
  char *a1[] = {"ftp", "-A", "-r", "tls", "h", NULL};
  char *a2[] = {"ftp", "h2", NULL};
  struct ftpc_opts o;
  char err[128];

  ck_assert_int_eq(ftpc_opts_parse(5, a1, &o, err, sizeof(err)), 0);
  ck_assert_int_eq(o.passive, 0);
  ck_assert_int_eq(ftpc_opts_parse(2, a2, &o, err, sizeof(err)), 0);
  ck_assert_int_eq(o.passive, -1);
  ck_assert_int_eq(o.tls, FTPC_OPT_TLS_MEMBER);
  ck_assert_str_eq(o.host, "h2");
}
END_TEST

static Suite *options_suite(void) {
  Suite *s = suite_create("options");
  TCase *tc = tcase_create("table");

  tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(cases) / sizeof(cases[0])));
  tcase_add_test(tc, test_reparse);
  suite_add_tcase(s, tc);
  tc = tcase_create("usage");
  tcase_add_test(tc, test_usage_mentions_everything);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(options_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
