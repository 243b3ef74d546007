/*
 * check_pam.c: a PAM transaction (server/pam.h) against service files of
 * the test's own (pam_start_confdir, so no file of /etc/pam.d is touched
 * and no root is needed): success, the password reaching a module through
 * the conversation, authentication and account refusals, a session that
 * fails to open, a service that does not exist.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "pam.h"

static char dir[64];

static void put(const char *name, const char *text, mode_t mode) {
  char path[128];
  FILE *f;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  ck_assert_ptr_nonnull(f = fopen(path, "w"));
  fputs(text, f);
  fclose(f);
  ck_assert_int_eq(chmod(path, mode), 0);
}

static void setup(void) {
  char line[512];

  snprintf(dir, sizeof(dir), "/tmp/check_pam.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  put("permit", "auth required pam_permit.so\naccount required pam_permit.so\n"
                "session required pam_permit.so\n", 0644);
  put("deny", "auth required pam_deny.so\naccount required pam_permit.so\n", 0644);
  /* The password arrives on the helper's standard input, without a newline. */
  put("check.sh", "#!/bin/sh\nIFS= read -r pw\ntest \"$pw\" = 'right password'\n", 0755);
  snprintf(line, sizeof(line),
           "auth required pam_exec.so expose_authtok quiet %s/check.sh\n"
           "account required pam_permit.so\nsession required pam_permit.so\n", dir);
  put("password", line, 0644);
  put("access.conf", "-:ALL:ALL\n", 0644);
  snprintf(line, sizeof(line),
           "auth required pam_permit.so\naccount required pam_access.so accessfile=%s/access.conf\n",
           dir);
  put("expired", line, 0644);
  put("nosession", "auth required pam_permit.so\naccount required pam_permit.so\n"
                   "session required pam_deny.so\n", 0644);
}

static void teardown(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "check_pam: could not remove %s\n", dir);
}

START_TEST(test_permit_and_session) {
  struct ftpd_pam *p = NULL;
  char why[256];

  ck_assert_int_eq(ftpd_pam_login("permit", dir, "alice", "x", "192.0.2.1", &p, why,
                                  sizeof(why)), 0);
  ck_assert_ptr_nonnull(p);
  ck_assert_str_eq(ftpd_pam_user(p), "alice");
  ck_assert_int_eq(ftpd_pam_open_session(p, why, sizeof(why)), 0);
  ftpd_pam_end(p);
  ftpd_pam_end(NULL);
}
END_TEST

START_TEST(test_password_through_conversation) {
  struct ftpd_pam *p = NULL;
  char why[256];

  ck_assert_int_eq(ftpd_pam_login("password", dir, "alice", "right password", "::1", &p,
                                  why, sizeof(why)), 0);
  ftpd_pam_end(p);
  ck_assert_int_ne(ftpd_pam_login("password", dir, "alice", "wrong", "::1", &p, why,
                                  sizeof(why)), 0);
  ck_assert_ptr_null(p);
  ck_assert(why[0] != '\0');
}
END_TEST

START_TEST(test_refusals) {
  struct ftpd_pam *p = (struct ftpd_pam *)1;
  char why[256];

  ck_assert_int_eq(ftpd_pam_login("deny", dir, "alice", "x", "192.0.2.1", &p, why,
                                  sizeof(why)), FTP_E_LOGIN);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(why, "uthentication failure") != NULL, "%s", why);
  /* pam_access wants an account that exists: root does. */
  ck_assert_int_eq(ftpd_pam_login("expired", dir, "root", "x", "192.0.2.1", &p, why,
                                  sizeof(why)), FTP_E_REFUSED);
  ck_assert_ptr_null(p);
  ck_assert_msg(strstr(why, "ermission denied") != NULL, "%s", why);
}
END_TEST

START_TEST(test_session_refused) {
  struct ftpd_pam *p = NULL;
  char why[256];

  ck_assert_int_eq(ftpd_pam_login("nosession", dir, "alice", "x", "192.0.2.1", &p, why,
                                  sizeof(why)), 0);
  ck_assert_int_eq(ftpd_pam_open_session(p, why, sizeof(why)), UV_EIO);
  ck_assert(why[0] != '\0');
  ftpd_pam_end(p);
}
END_TEST

START_TEST(test_no_such_service) {
  struct ftpd_pam *p = NULL;
  char why[256];

  /* Linux-PAM falls back to the service "other", which denies, as
   * Debian's /etc/pam.d/other does.  (Without any "other", pam_start
   * fails, and libpam 1.5.2 leaks 96 bytes on that path.) */
  put("other", "auth required pam_deny.so\naccount required pam_deny.so\n", 0644);
  ck_assert_int_eq(ftpd_pam_login("no-such-service", dir, "alice", "x", "192.0.2.1", &p,
                                  why, sizeof(why)), FTP_E_LOGIN);
  ck_assert_ptr_null(p);
}
END_TEST

static Suite *pam_suite(void) {
  Suite *s = suite_create("pam");
  TCase *tc = tcase_create("transaction");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_permit_and_session);
  tcase_add_test(tc, test_password_through_conversation);
  tcase_add_test(tc, test_refusals);
  tcase_add_test(tc, test_session_refused);
  tcase_add_test(tc, test_no_such_service);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(pam_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
