/*
 * check_rnames.c: remote names (client/rnames.c) against the scripted fake
 * server (fake_server.c): the NLST behind them, remote patterns for mget
 * and mdelete, and completion with its cache.  Each test asserts the
 * names and the exact command transcript, so that a second listing where
 * the cache should answer, or a listing that should not happen, shows.
 *
 * Run one case with CK_RUN_CASE=list (or expand, complete).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "conf.h"
#include "engine.h"
#include "err.h"
#include "fake_server.h"
#include "log.h"
#include "rnames.h"
#include "shell.h"

struct env {
  struct ftpc *c;
  struct fake f;
  struct ftp_conf conf;
  struct ftpc_opts o;
  struct ftpc_shell sh;
};

#define N(script) (sizeof(script) / sizeof(script[0]))
#define LOGIN {NULL, "220 fake ready\r\n"}, {"USER a", "230 ok\r\n"}
#define EPSV {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV}

/* Connected and logged in as "a" (unless the script says otherwise). */
static void env_start(struct env *e, const struct fake_step *script, size_t n,
                      int login) {
  struct ftpc_settings s;
  struct ftpc_creds cr = {"a", NULL, NULL, NULL, NULL};

  ftp_conf_init(&e->conf, FTP_CONF_CLIENT);
  memset(&s, 0, sizeof(s));
  s.conf = &e->conf;
  s.family = AF_INET;
  s.verify = 1;
  s.passive = 1;
  s.epsv4 = 1;
  s.verbosity = FTPC_QUIET;
  ck_assert_int_eq(ftpc_new(&s, &e->c), 0);
  fake_start(&e->f, ftpc_loop(e->c), "127.0.0.1", script, n, NULL);
  memset(&e->o, 0, sizeof(e->o));
  ftpc_shell_init(&e->sh, e->c, &e->o, &e->conf, 0);
  ck_assert_int_eq(ftpc_open(e->c, "127.0.0.1", e->f.port, FTPC_TLS_OFF), 0);
  if (login)
    ck_assert_int_eq(ftpc_login(e->c, &cr), 0);
}

static void env_end(struct env *e) {
  ftpc_shell_free(&e->sh);
  fake_stop(&e->f);
  ftpc_free(e->c);
  fake_free(&e->f);
  ftp_conf_free(&e->conf);
}

/* What f writes to stdout, in out (n bytes). */
static void stdout_of(void (*f)(struct env *), struct env *e, char *out, size_t n) {
  FILE *tmp = tmpfile();
  int saved = dup(STDOUT_FILENO);
  size_t got;

  ck_assert(tmp != NULL && saved >= 0);
  fflush(stdout);
  ck_assert_int_ge(dup2(fileno(tmp), STDOUT_FILENO), 0);
  f(e);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  rewind(tmp);
  got = fread(out, 1, n - 1, tmp);
  out[got] = 0;
  fclose(tmp);
}

/* The names joined with '|'. */
static const char *joined(char **v, size_t n) {
  static char out[1024];
  size_t i;

  out[0] = 0;
  for (i = 0; i < n; i++) {
    if (i > 0)
      strncat(out, "|", sizeof(out) - strlen(out) - 1);
    strncat(out, v[i], sizeof(out) - strlen(out) - 1);
  }
  return out;
}

/* --- list ----------------------------------------------------------------- */

/* Security: the server chooses these lines; each becomes its last
 * component, and "." and ".." go. */
START_TEST(test_list_last_components) {
  static const struct fake_step script[] = {
      LOGIN,
      EPSV,
      {"NLST sub", "150 go\r\n", FA_SEND,
       "sub/a.bin\r\n../../etc/passwd\r\n.\r\n..\r\nsub/dir/\r\nplain\n/abs/x\r\n\r\n",
       "226 Done\r\n"},
  };
  struct env e;
  char **v;
  size_t n;

  env_start(&e, script, N(script), 1);
  ck_assert_int_eq(ftpc_rnames_list(&e.sh, "sub", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "a.bin|passwd|dir|plain|x");
  ftpc_rnames_free(v, n);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPSV\nNLST sub\n");
  env_end(&e);
}
END_TEST

/* 450 "no files" is an empty directory; 550 is a failure. */
START_TEST(test_list_empty_and_refused) {
  static const struct fake_step script[] = {
      LOGIN,
      EPSV,
      {"NLST", "450 No files found\r\n"},
      EPSV,
      {"NLST nope", "550 No such directory\r\n"},
  };
  struct env e;
  char **v;
  size_t n;

  env_start(&e, script, N(script), 1);
  ck_assert_int_eq(ftpc_rnames_list(&e.sh, NULL, &v, &n), 0);
  ck_assert_uint_eq(n, 0);
  ftpc_rnames_free(v, n);
  ck_assert_int_eq(ftpc_rnames_list(&e.sh, "nope", &v, &n), FTPC_EXIT_FAIL);
  ck_assert_ptr_null(v);
  ck_assert_str_eq(e.sh.err, "550 No such directory");
  env_end(&e);
}
END_TEST

/* --- expand --------------------------------------------------------------- */

START_TEST(test_expand_literal_lists_nothing) {
  static const struct fake_step script[] = {LOGIN};
  struct env e;
  char **v;
  size_t n;

  env_start(&e, script, N(script), 1);
  ck_assert_int_eq(ftpc_rnames_expand(&e.sh, "dir/a.bin", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "dir/a.bin");
  ftpc_rnames_free(v, n);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\n");
  env_end(&e);
}
END_TEST

START_TEST(test_expand_patterns) {
  static const struct fake_step script[] = {
      LOGIN,
      EPSV,
      {"NLST", "150 go\r\n", FA_SEND, "a.bin\r\nb.txt\r\n.hidden.bin\r\nc.bin\r\n",
       "226 Done\r\n"},
      EPSV,
      {"NLST sub/dir", "150 go\r\n", FA_SEND, "sub/dir/x.txt\r\nsub/dir/y.bin\r\n",
       "226 Done\r\n"},
      EPSV,
      {"NLST /", "150 go\r\n", FA_SEND, "/etc\r\n/tmp\r\n", "226 Done\r\n"},
      EPSV,
      {"NLST", "150 go\r\n", FA_SEND, "a.bin\r\n", "226 Done\r\n"},
  };
  struct env e;
  char **v;
  size_t n;

  env_start(&e, script, N(script), 1);
  /* FNM_PERIOD: a leading dot is matched only by a dot. */
  ck_assert_int_eq(ftpc_rnames_expand(&e.sh, "*.bin", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "a.bin|c.bin");
  ftpc_rnames_free(v, n);
  ck_assert_int_eq(ftpc_rnames_expand(&e.sh, "sub/dir/*.txt", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "sub/dir/x.txt");
  ftpc_rnames_free(v, n);
  ck_assert_int_eq(ftpc_rnames_expand(&e.sh, "/t*", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "/tmp");
  ftpc_rnames_free(v, n);
  /* No match is an empty list, not a failure (mget says "no match"). */
  ck_assert_int_eq(ftpc_rnames_expand(&e.sh, "*.txt", &v, &n), 0);
  ck_assert_uint_eq(n, 0);
  ftpc_rnames_free(v, n);
  ck_assert_str_eq(fake_transcript(&e.f),
                   "USER a\nEPSV\nNLST\nEPSV\nNLST sub/dir\nEPSV\nNLST /\nEPSV\nNLST\n");
  env_end(&e);
}
END_TEST

/* --- complete ------------------------------------------------------------- */

static void complete_fo(struct env *e) {
  char **v;
  size_t n;

  ck_assert_int_eq(ftpc_rnames_complete(&e->sh, "fo", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "foo|fob");
  ftpc_rnames_free(v, n);
}

/* One quiet listing per directory: the next completions come from the
 * cache until a command changes the tree. */
START_TEST(test_complete_cached_until_changed) {
  static const struct fake_step script[] = {
      LOGIN,
      EPSV,
      {"NLST", "150 go\r\n", FA_SEND, "foo\r\nfob\r\nbar\r\n", "226 Done\r\n"},
      EPSV,
      {"NLST sub", "150 go\r\n", FA_SEND, "sub/fa\r\nsub/x\r\n", "226 Done\r\n"},
      {"DELE foo", "250 Deleted\r\n"},
      EPSV,
      {"NLST", "150 go\r\n", FA_SEND, "fob\r\nbar\r\n", "226 Done\r\n"},
  };
  const struct ftpc_settings *s;
  struct env e;
  char **v;
  size_t n;

  char shown[256];

  env_start(&e, script, N(script), 1);
  s = ftpc_settings(e.c);
  /* An interactive user sees replies; the listing behind a completion
   * shows none, and puts the settings back. */
  ftpc_set_show_replies(e.c, 1);
  ftpc_set_verbosity(e.c, FTPC_NORMAL);
  stdout_of(complete_fo, &e, shown, sizeof(shown));
  ck_assert_str_eq(shown, "");
  ck_assert_int_eq(s->show_replies, 1);
  ck_assert_int_eq(s->verbosity, FTPC_NORMAL);
  ftpc_set_show_replies(e.c, 0);
  ftpc_set_verbosity(e.c, FTPC_QUIET);
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "b", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "bar");
  ftpc_rnames_free(v, n);
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "foo|fob|bar");
  ftpc_rnames_free(v, n);
  /* Another directory replaces the cache. */
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "sub/f", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "sub/fa");
  ftpc_rnames_free(v, n);
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "sub/", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "sub/fa|sub/x");
  ftpc_rnames_free(v, n);
  /* delete drops the cache: the working directory is listed again. */
  ck_assert_int_eq(ftpc_shell_exec(&e.sh, "delete foo"), 0);
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "fo", &v, &n), 0);
  ck_assert_str_eq(joined(v, n), "fob");
  ftpc_rnames_free(v, n);
  ck_assert_str_eq(fake_transcript(&e.f),
                   "USER a\nEPSV\nNLST\nEPSV\nNLST sub\nDELE foo\nEPSV\nNLST\n");
  env_end(&e);
}
END_TEST

/* Before login nothing is listed, and nothing completes. */
START_TEST(test_complete_needs_login) {
  static const struct fake_step script[] = {{NULL, "220 fake ready\r\n"}};
  struct env e;
  char **v;
  size_t n;

  env_start(&e, script, N(script), 0);
  ck_assert_int_eq(ftpc_rnames_complete(&e.sh, "f", &v, &n), 0);
  ck_assert_uint_eq(n, 0);
  ftpc_rnames_free(v, n);
  ck_assert_str_eq(fake_transcript(&e.f), "");
  env_end(&e);
}
END_TEST

static Suite *rnames_suite(void) {
  Suite *s = suite_create("rnames");
  TCase *tc = tcase_create("list");

  tcase_add_test(tc, test_list_last_components);
  tcase_add_test(tc, test_list_empty_and_refused);
  suite_add_tcase(s, tc);
  tc = tcase_create("expand");
  tcase_add_test(tc, test_expand_literal_lists_nothing);
  tcase_add_test(tc, test_expand_patterns);
  suite_add_tcase(s, tc);
  tc = tcase_create("complete");
  tcase_add_test(tc, test_complete_cached_until_changed);
  tcase_add_test(tc, test_complete_needs_login);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr;
  int failed;

  ftp_log_init("check_rnames", FTP_LOG_WARN);
  sr = srunner_create(rnames_suite());
  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
