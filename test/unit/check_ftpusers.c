/*
 * check_ftpusers.c: the FTPUSERS deny list (server/ftpusers.h): names,
 * comments, blanks, CRLF, partial names; a missing file denies nobody, an
 * unreadable one is an error, never "not listed".
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "ftpusers.h"

static const char list[] =
    "# /etc/ftpusers: accounts that may not use FTP\n"
    "root\n"
    "  daemon  \n"
    "\tbin\r\n"
    "#alice\n"
    "\n"
    "sys";

START_TEST(test_match) {
  ck_assert(ftpd_ftpusers_match(list, strlen(list), "root"));
  ck_assert(ftpd_ftpusers_match(list, strlen(list), "daemon"));
  ck_assert(ftpd_ftpusers_match(list, strlen(list), "bin"));
  ck_assert(ftpd_ftpusers_match(list, strlen(list), "sys")); /* no final newline */
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), "alice")); /* commented out */
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), "roo"));
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), "rootx"));
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), "Root")); /* names are case-sensitive */
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), ""));
  ck_assert(!ftpd_ftpusers_match(list, strlen(list), "#alice"));
  ck_assert(!ftpd_ftpusers_match("", 0, "root"));
  /* Only len bytes are read. */
  ck_assert(!ftpd_ftpusers_match("root", 3, "root"));
}
END_TEST

START_TEST(test_check_files) {
  char dir[] = "/tmp/check_ftpusers.XXXXXX", path[128];
  FILE *f;

  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/ftpusers", dir);
  ck_assert_int_eq(ftpd_ftpusers_check(path, "root"), 0); /* missing: nobody */
  ck_assert_ptr_nonnull(f = fopen(path, "w"));
  fputs(list, f);
  fclose(f);
  ck_assert_int_eq(ftpd_ftpusers_check(path, "root"), FTP_E_REFUSED);
  ck_assert_int_eq(ftpd_ftpusers_check(path, "alice"), 0);
  /* A directory in its place is an error, not an empty list. */
  ck_assert_int_eq(unlink(path), 0);
  ck_assert_int_eq(mkdir(path, 0700), 0);
  ck_assert_int_lt(ftpd_ftpusers_check(path, "alice"), 0);
  ck_assert_int_ne(ftpd_ftpusers_check(path, "alice"), FTP_E_REFUSED);
  rmdir(path);
  rmdir(dir);
}
END_TEST

static Suite *ftpusers_suite(void) {
  Suite *s = suite_create("ftpusers");
  TCase *tc = tcase_create("list");

  tcase_add_test(tc, test_match);
  tcase_add_test(tc, test_check_files);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ftpusers_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
