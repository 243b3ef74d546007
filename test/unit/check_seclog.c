/*
 * check_seclog.c: the security event line (server/seclog.h): field order,
 * quoting and escaping of what clients choose, truncation, the reply codes
 * that count as security refusals.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "replycodes.h"
#include "seclog.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
  struct ftpd_sec_line l;
  const char *want;
} lines[] = {
    {{FTPD_SEC_LOGIN_OK, 7, "192.0.2.1", "alice", FTPD_SEC_M_PASSWORD, NULL, NULL},
     "login-ok session=7 client=192.0.2.1 user=\"alice\" method=password"},
    {{FTPD_SEC_LOGIN_FAILED, 8, "2001:db8::1", "bob", FTPD_SEC_M_CERTIFICATE, NULL,
      "wrong password or unknown user"},
     "login-failed session=8 client=2001:db8::1 user=\"bob\" method=certificate "
     "reason=\"wrong password or unknown user\""},
    {{FTPD_SEC_POLICY_REFUSED, 9, "192.0.2.1", NULL, FTPD_SEC_M_NONE, "PROT", "no"},
     "policy-refused session=9 client=192.0.2.1 command=PROT reason=\"no\""},
    {{FTPD_SEC_CONNECTION_REFUSED, 0, "192.0.2.9", NULL, FTPD_SEC_M_NONE, NULL,
      "MAXSESSIONS reached"},
     "connection-refused session=- client=192.0.2.9 reason=\"MAXSESSIONS reached\""},
    /* A user name crafted to look like fields, with a quote, a backslash,
     * a tab and a byte above ASCII. */
    {{FTPD_SEC_LOGIN_FAILED, 3, "192.0.2.1", "x\" client=10.0.0.1 \\\t\xc3\xa9",
      FTPD_SEC_M_ANONYMOUS, NULL, NULL},
     "login-failed session=3 client=192.0.2.1 "
     "user=\"x\\x22 client=10.0.0.1 \\x5c\\x09\\xc3\\xa9\" method=anonymous"},
    {{FTPD_SEC_TLS_FAILED, 4, NULL, "", FTPD_SEC_M_NONE, "", "a\nb"},
     "tls-failed session=4 client=- reason=\"a\\x0ab\""},
    {{FTPD_SEC_LOGIN_REFUSED, 5, "192.0.2.3", "carol", FTPD_SEC_M_PAM, NULL,
      "listed in /etc/ftpusers"},
     "login-refused session=5 client=192.0.2.3 user=\"carol\" method=pam "
     "reason=\"listed in /etc/ftpusers\""},
    {{FTPD_SEC_BANNED, 6, "2001:db8::7", NULL, FTPD_SEC_M_NONE, NULL,
      "5 failed logins within 600 s: 2001:db8::/64 refused for 900 s"},
     "banned session=6 client=2001:db8::7 reason=\"5 failed logins within 600 s: "
     "2001:db8::/64 refused for 900 s\""},
};

START_TEST(test_format) {
  char out[512];
  size_t n = ftpd_seclog_format(&lines[_i].l, out, sizeof(out));

  ck_assert_str_eq(out, lines[_i].want);
  ck_assert_uint_eq(n, strlen(lines[_i].want));
}
END_TEST

START_TEST(test_truncation) {
  char out[24];
  size_t n = ftpd_seclog_format(&lines[1].l, out, sizeof(out));

  ck_assert_uint_eq(n, sizeof(out) - 1);
  ck_assert_uint_eq(strlen(out), sizeof(out) - 1);
  ck_assert(strncmp(out, lines[1].want, sizeof(out) - 1) == 0);
  ck_assert_uint_eq(ftpd_seclog_format(&lines[1].l, out, 0), 0);
}
END_TEST

START_TEST(test_security_replies) {
  ck_assert(ftpd_seclog_is_security_reply(FTP_R_POLICY_DENIED));
  ck_assert(ftpd_seclog_is_security_reply(FTP_R_PROT_REFUSED));
  ck_assert(ftpd_seclog_is_security_reply(FTP_R_NEED_CLIENT_CERT));
  ck_assert(ftpd_seclog_is_security_reply(FTP_R_CMD_PROT_DENIED));
  ck_assert(ftpd_seclog_is_security_reply(FTP_R_PROT_UNSUPPORTED));
  ck_assert(!ftpd_seclog_is_security_reply(FTP_R_NOT_LOGGED_IN));
  ck_assert(!ftpd_seclog_is_security_reply(FTP_R_BAD_SEQUENCE));
  ck_assert(!ftpd_seclog_is_security_reply(0));
}
END_TEST

static Suite *seclog_suite(void) {
  Suite *s = suite_create("seclog");
  TCase *tc = tcase_create("format");

  tcase_add_loop_test(tc, test_format, 0, NELEM(lines));
  tcase_add_test(tc, test_truncation);
  tcase_add_test(tc, test_security_replies);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(seclog_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
