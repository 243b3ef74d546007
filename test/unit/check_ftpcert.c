/*
 * check_ftpcert.c: the pure parts of ftpcert (server/ftpcert/names.h):
 * which names are DNS names, which IP addresses, which neither; validity
 * periods from the command line.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "names.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const struct {
  const char *name;
  enum ftpcert_name_kind kind;
  size_t iplen;
} names[] = {
    {"localhost", FTPCERT_NAME_DNS, 0},
    {"ftp.example.org", FTPCERT_NAME_DNS, 0},
    {"*.example.org", FTPCERT_NAME_DNS, 0},
    {"xn--bcher-kva.example", FTPCERT_NAME_DNS, 0},
    {"a-b.c0", FTPCERT_NAME_DNS, 0},
    {"127.0.0.1", FTPCERT_NAME_IP, 4},
    {"192.0.2.10", FTPCERT_NAME_IP, 4},
    {"::1", FTPCERT_NAME_IP, 16},
    {"2001:db8::10", FTPCERT_NAME_IP, 16},
    {"", FTPCERT_NAME_BAD, 0},
    {"*", FTPCERT_NAME_BAD, 0},
    {"*.", FTPCERT_NAME_BAD, 0},
    {"a.*.org", FTPCERT_NAME_BAD, 0},
    {"bad_name.org", FTPCERT_NAME_BAD, 0},
    {"-lead.org", FTPCERT_NAME_BAD, 0},
    {"trail-.org", FTPCERT_NAME_BAD, 0},
    {"a..b", FTPCERT_NAME_BAD, 0},
    {".a", FTPCERT_NAME_BAD, 0},
    {"a.", FTPCERT_NAME_BAD, 0},
    {"a b", FTPCERT_NAME_BAD, 0},
    {"[::1]", FTPCERT_NAME_BAD, 0},
    {"1.2.3.4.5", FTPCERT_NAME_DNS, 0}, /* all-digit labels are legal names */
    {"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx.org",
     FTPCERT_NAME_BAD, 0}, /* a 64-byte label */
};

START_TEST(test_classify) {
  unsigned char ip[16];
  size_t iplen = 0;

  ck_assert_msg(ftpcert_name_classify(names[_i].name, ip, &iplen) == names[_i].kind,
                "%s", names[_i].name);
  if (names[_i].kind == FTPCERT_NAME_IP)
    ck_assert_uint_eq(iplen, names[_i].iplen);
}
END_TEST

START_TEST(test_long_name) {
  char name[300];
  unsigned char ip[16];
  size_t iplen, i;

  /* 63-byte labels up to 253 bytes in all are fine; 254 are not. */
  memset(name, 0, sizeof(name));
  for (i = 0; i < 253; i++)
    name[i] = (i % 64 == 63) ? '.' : 'a';
  ck_assert_int_eq(ftpcert_name_classify(name, ip, &iplen), FTPCERT_NAME_DNS);
  name[253] = 'a';
  ck_assert_int_eq(ftpcert_name_classify(name, ip, &iplen), FTPCERT_NAME_BAD);
}
END_TEST

START_TEST(test_days) {
  unsigned d = 0;

  ck_assert_int_eq(ftpcert_parse_days("1", &d), 0);
  ck_assert_uint_eq(d, 1);
  ck_assert_int_eq(ftpcert_parse_days("36500", &d), 0);
  ck_assert_uint_eq(d, 36500);
  ck_assert_int_eq(ftpcert_parse_days("0", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("36501", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("-5", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("+5", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("5d", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("", &d), -1);
  ck_assert_int_eq(ftpcert_parse_days("99999999999999999999", &d), -1);
}
END_TEST

static Suite *ftpcert_suite(void) {
  Suite *s = suite_create("ftpcert");
  TCase *tc = tcase_create("names");

  tcase_add_loop_test(tc, test_classify, 0, NELEM(names));
  tcase_add_test(tc, test_long_name);
  tcase_add_test(tc, test_days);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ftpcert_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
