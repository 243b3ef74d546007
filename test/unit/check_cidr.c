/*
 * check_cidr.c: common/cidr: networks written "addr" or "addr/bits"
 * (PROXYPROTOCOL's balancers, BANEXEMPT) and matching addresses against
 * them, IPv4-mapped IPv6 addresses included.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr.h"
#include "cidr.h"
#include "err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static struct sockaddr_storage ip(const char *s) {
  struct sockaddr_storage ss;

  ck_assert_int_eq(ftp_addr_from_string(s, 0, &ss), 0);
  return ss;
}

START_TEST(test_cidr) {
  struct ftp_cidr c;
  struct sockaddr_storage mapped;

  ck_assert_int_eq(ftp_cidr_parse("10.1.0.0/16", 11, &c), 0);
  ck_assert(ftp_cidr_match(&c, &(struct sockaddr_storage){0}) == 0);
  mapped = ip("10.1.200.3");
  ck_assert(ftp_cidr_match(&c, &mapped));
  mapped = ip("10.2.0.1");
  ck_assert(!ftp_cidr_match(&c, &mapped));
  mapped = ip("::ffff:10.1.0.9");
  ck_assert(ftp_cidr_match(&c, &mapped));
  ck_assert_int_eq(ftp_cidr_parse("192.0.2.1", 9, &c), 0);
  ck_assert_uint_eq(c.bits, 32);
  mapped = ip("192.0.2.1");
  ck_assert(ftp_cidr_match(&c, &mapped));
  mapped = ip("192.0.2.2");
  ck_assert(!ftp_cidr_match(&c, &mapped));
  ck_assert_int_eq(ftp_cidr_parse("2001:db8::/33", 13, &c), 0);
  mapped = ip("2001:db8:7fff::1");
  ck_assert(ftp_cidr_match(&c, &mapped));
  mapped = ip("2001:db8:8000::1");
  ck_assert(!ftp_cidr_match(&c, &mapped));
  ck_assert_int_eq(ftp_cidr_parse("0.0.0.0/0", 9, &c), 0);
  mapped = ip("203.0.113.9");
  ck_assert(ftp_cidr_match(&c, &mapped));
  mapped = ip("::1");
  ck_assert(!ftp_cidr_match(&c, &mapped));
}
END_TEST

START_TEST(test_cidr_bad) {
  static const char *const bad[] = {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/08",
                                    "10.0.0.1/24", "::/129", "host.example",
                                    "10.0.0.0/-1", "10.0.0.0/8/8", "10.0.0.0 /8"};
  struct ftp_cidr c;
  size_t i;

  for (i = 0; i < NELEM(bad); i++)
    ck_assert_msg(ftp_cidr_parse(bad[i], strlen(bad[i]), &c) == FTP_E_BAD_ARG, "%s",
                  bad[i]);
}
END_TEST


/* The networks BANEXEMPT lists: a whole address, a prefix, both families;
 * an IPv4 client that a dual-stack socket reports IPv4-mapped matches its
 * IPv4 network; another family matches nothing. */
START_TEST(test_cidr_exempt_lists) {
  static const char *const nets[] = {"127.0.0.2", "10.0.0.0/8", "2001:db8:1::/48"};
  struct ftp_cidr v[3];
  struct sockaddr_storage sa;
  size_t i;

  for (i = 0; i < NELEM(nets); i++)
    ck_assert_int_eq(ftp_cidr_parse(nets[i], strlen(nets[i]), &v[i]), 0);
  sa = ip("10.200.0.1");
  ck_assert(ftp_cidr_match_any(v, 3, &sa));
  sa = ip("::ffff:10.1.1.1");
  ck_assert(ftp_cidr_match_any(v, 3, &sa));
  sa = ip("2001:db8:1:77::5");
  ck_assert(ftp_cidr_match_any(v, 3, &sa));
  sa = ip("2001:db8:2::5");
  ck_assert(!ftp_cidr_match_any(v, 3, &sa));
  sa = ip("127.0.0.1");
  ck_assert(!ftp_cidr_match_any(v, 3, &sa));
  ck_assert(!ftp_cidr_match_any(v, 0, &sa));
  memset(&sa, 0, sizeof(sa));
  sa.ss_family = AF_UNIX;
  ck_assert(!ftp_cidr_match_any(v, 3, &sa));
}
END_TEST

/* Only n bytes are read: a list item is not NUL-terminated. */
START_TEST(test_cidr_reads_n_bytes) {
  struct ftp_cidr c;

  ck_assert_int_eq(ftp_cidr_parse("10.0.0.0/8junk", 10, &c), 0);
  ck_assert_int_eq(c.family, AF_INET);
  ck_assert_uint_eq(c.bits, 8);
  ck_assert_uint_eq(c.net[0], 10);
  ck_assert_int_eq(ftp_cidr_parse("10.0.0.0/8junk", 14, &c), FTP_E_BAD_ARG);
}
END_TEST

static Suite *cidr_suite(void) {
  Suite *s = suite_create("cidr");
  TCase *tc = tcase_create("cidr");

  tcase_add_test(tc, test_cidr);
  tcase_add_test(tc, test_cidr_bad);
  tcase_add_test(tc, test_cidr_exempt_lists);
  tcase_add_test(tc, test_cidr_reads_n_bytes);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(cidr_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
