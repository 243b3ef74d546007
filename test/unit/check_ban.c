/*
 * check_ban.c: the ban table (server/ban.h): the sliding window, expiry, exempt prefixes, IPv6
 * /64 grouping, IPv4-mapped addresses, policy changes (SIGHUP) and the cap.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "ban.h"
#include "err.h"

#include <uv.h>

#define S 1000 /* one second in ms */
#define T0 (1000 * S) /* the clock does not start at 0 */

static struct sockaddr_storage ip(const char *text) {
  struct sockaddr_storage sa;

  ck_assert_int_eq(ftp_addr_from_string(text, 21, &sa), 0);
  return sa;
}

/* A table of cap entries and a policy: 5 failures in 10 s ban for 60 s. */
static struct ftpd_bans *table(size_t cap, struct ftpd_ban_policy *p,
                               const char *const *exempt, size_t n) {
  struct ftpd_bans *b = NULL;

  ck_assert_int_eq(ftpd_ban_policy_init(p, 5, 10, 60, exempt, n), 0);
  ck_assert_int_eq(ftpd_bans_new(cap, &b), 0);
  return b;
}

/* n failures from addr at t, t + step, ...; the verdict of the last. */
static enum ftpd_ban_verdict fail_n(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                                    const char *addr, int n, uint64_t t, uint64_t step) {
  struct sockaddr_storage sa = ip(addr);
  enum ftpd_ban_verdict v = FTPD_BAN_COUNTED;
  int i;

  for (i = 0; i < n; i++) {
    v = ftpd_bans_fail(b, p, &sa, t + (uint64_t)i * step);
    if (i + 1 < n)
      ck_assert_int_eq(v, FTPD_BAN_COUNTED);
  }
  return v;
}

static int banned(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                  const char *addr, uint64_t t) {
  struct sockaddr_storage sa = ip(addr);
  return ftpd_bans_check(b, p, &sa, t, NULL);
}

START_TEST(test_window_and_expiry) {
  struct ftpd_ban_policy p;
  struct ftpd_bans *b = table(100, &p, NULL, 0);
  struct sockaddr_storage sa = ip("192.0.2.7");
  uint64_t left = 0;

  ck_assert_int_eq(fail_n(b, &p, "192.0.2.7", 4, T0, S), FTPD_BAN_COUNTED);
  ck_assert(!banned(b, &p, "192.0.2.7", T0 + 4 * S));
  ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + 4 * S), FTPD_BAN_NEW);
  ck_assert_int_eq(ftpd_bans_check(b, &p, &sa, T0 + 5 * S, &left), 1);
  ck_assert_uint_eq(left, 59 * S);
  ck_assert(!banned(b, &p, "192.0.2.8", T0 + 5 * S));
  /* A failure during the ban (another session of the address). */
  ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + 6 * S), FTPD_BAN_ACTIVE);
  ck_assert(banned(b, &p, "192.0.2.7", T0 + 64 * S - 1));
  ck_assert(!banned(b, &p, "192.0.2.7", T0 + 64 * S));
  ck_assert_uint_eq(ftpd_bans_size(b), 0); /* the expired ban is gone */
  /* Counting starts again from zero. */
  ck_assert_int_eq(fail_n(b, &p, "192.0.2.7", 4, T0 + 65 * S, S), FTPD_BAN_COUNTED);
  ftpd_bans_free(b);
  ftpd_ban_policy_free(&p);
}
END_TEST

START_TEST(test_sliding_window) {
  struct ftpd_ban_policy p;
  struct ftpd_bans *b = table(100, &p, NULL, 0);
  struct sockaddr_storage sa = ip("198.51.100.1");

  /* 0, 3, 6, 9 s, then 10.5 s: the one at 0 has left the 10 s window. */
  ck_assert_int_eq(fail_n(b, &p, "198.51.100.1", 4, T0, 3 * S), FTPD_BAN_COUNTED);
  ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + 10500), FTPD_BAN_COUNTED);
  /* 3, 6, 9, 10.5, 11: five within 10 s. */
  ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + 11 * S), FTPD_BAN_NEW);
  /* Slow guessing never bans. */
  ck_assert_int_eq(fail_n(b, &p, "198.51.100.2", 20, T0, 3 * S), FTPD_BAN_COUNTED);
  ftpd_bans_free(b);
  ftpd_ban_policy_free(&p);
}
END_TEST

START_TEST(test_exempt) {
  static const char *const exempt[] = {"127.0.0.2", "10.0.0.0/8", "2001:db8:1::/48"};
  struct ftpd_ban_policy p;
  struct ftpd_bans *b = table(100, &p, exempt, 3);
  struct sockaddr_storage sa = ip("10.200.0.1");

  ck_assert_int_eq(fail_n(b, &p, "127.0.0.2", 10, T0, S), FTPD_BAN_COUNTED);
  ck_assert(!banned(b, &p, "127.0.0.2", T0 + 10 * S));
  ck_assert_int_eq(fail_n(b, &p, "127.0.0.1", 5, T0, S), FTPD_BAN_NEW);
  ck_assert_int_eq(fail_n(b, &p, "10.200.0.1", 10, T0, S), FTPD_BAN_COUNTED);
  ck_assert_int_eq(fail_n(b, &p, "2001:db8:1:77::5", 10, T0, S), FTPD_BAN_COUNTED);
  ck_assert_int_eq(fail_n(b, &p, "::ffff:10.1.1.1", 10, T0, S), FTPD_BAN_COUNTED);
  ck_assert(ftpd_ban_exempt(&p, &sa));
  ck_assert_uint_eq(ftpd_bans_size(b), 1); /* exempt addresses take no room */
  ftpd_bans_free(b);
  ftpd_ban_policy_free(&p);
}
END_TEST

START_TEST(test_ipv6_grouping) {
  static const char *const from[] = {"2001:db8:1:2::1", "2001:db8:1:2::2",
                                     "2001:db8:1:2:aaaa::3", "2001:db8:1:2:ffff:ffff:ffff:ffff",
                                     "2001:db8:1:2::5"};
  struct ftpd_ban_policy p;
  struct ftpd_bans *b = table(100, &p, NULL, 0);
  struct sockaddr_storage sa;
  char text[64];
  int i;

  for (i = 0; i < 5; i++) {
    sa = ip(from[i]);
    ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + (uint64_t)i * S),
                     i < 4 ? FTPD_BAN_COUNTED : FTPD_BAN_NEW);
  }
  ck_assert(banned(b, &p, "2001:db8:1:2:1234::9", T0 + 5 * S));
  ck_assert(!banned(b, &p, "2001:db8:1:3::1", T0 + 5 * S));
  ftpd_ban_describe(&sa, text, sizeof(text));
  ck_assert_str_eq(text, "2001:db8:1:2::/64");
  /* IPv4 counts per address, also when it arrives IPv4-mapped. */
  ck_assert_int_eq(fail_n(b, &p, "::ffff:192.0.2.9", 4, T0, S), FTPD_BAN_COUNTED);
  sa = ip("192.0.2.9");
  ck_assert_int_eq(ftpd_bans_fail(b, &p, &sa, T0 + 4 * S), FTPD_BAN_NEW);
  ck_assert(banned(b, &p, "::ffff:192.0.2.9", T0 + 5 * S));
  ck_assert(!banned(b, &p, "192.0.2.10", T0 + 5 * S));
  ftpd_ban_describe(&sa, text, sizeof(text));
  ck_assert_str_eq(text, "192.0.2.9");
  sa = ip("::ffff:192.0.2.9");
  ftpd_ban_describe(&sa, text, sizeof(text));
  ck_assert_str_eq(text, "192.0.2.9");
  ftpd_bans_free(b);
  ftpd_ban_policy_free(&p);
}
END_TEST

START_TEST(test_policy_changes) {
  static const char *const exempt[] = {"192.0.2.0/24"};
  struct ftpd_ban_policy p, off, shorter, exempting;
  struct ftpd_bans *b = table(100, &p, NULL, 0);

  ck_assert_int_eq(fail_n(b, &p, "192.0.2.7", 5, T0, S), FTPD_BAN_NEW);
  /* SIGHUP with BANFAILURES 0: no address is banned any more. */
  ck_assert_int_eq(ftpd_ban_policy_init(&off, 0, 10, 60, NULL, 0), 0);
  ck_assert(!banned(b, &off, "192.0.2.7", T0 + 5 * S));
  ck_assert_int_eq(fail_n(b, &off, "192.0.2.8", 10, T0, S), FTPD_BAN_COUNTED);
  /* A shorter BANTIME applies to the running ban. */
  ck_assert_int_eq(ftpd_ban_policy_init(&shorter, 5, 10, 20, NULL, 0), 0);
  ck_assert(banned(b, &shorter, "192.0.2.7", T0 + 23 * S));
  ck_assert(!banned(b, &shorter, "192.0.2.7", T0 + 24 * S));
  /* A new exemption too. */
  ck_assert_int_eq(fail_n(b, &p, "192.0.2.50", 5, T0, S), FTPD_BAN_NEW);
  ck_assert_int_eq(ftpd_ban_policy_init(&exempting, 5, 10, 60, exempt, 1), 0);
  ck_assert(!banned(b, &exempting, "192.0.2.50", T0 + 5 * S));
  ck_assert(banned(b, &p, "192.0.2.50", T0 + 5 * S));
  ck_assert_int_eq(ftpd_ban_policy_init(&off, FTPD_BAN_FAILURES_MAX + 1, 1, 1, NULL, 0),
                   UV_EINVAL);
  ck_assert_int_eq(ftpd_ban_policy_init(&off, 5, 1, 1, (const char *const[]){"nope"}, 1),
                   UV_EINVAL);
  ftpd_ban_policy_free(&shorter);
  ftpd_ban_policy_free(&exempting);
  ftpd_ban_policy_free(&p);
  ftpd_bans_free(b);
}
END_TEST

START_TEST(test_cap) {
  struct ftpd_ban_policy p;
  struct ftpd_bans *b = table(3, &p, NULL, 0);
  char addr[32];
  int i;

  /* A flood of distinct addresses never grows the table past its cap. */
  for (i = 0; i < 1000; i++) {
    snprintf(addr, sizeof(addr), "203.0.113.%d", i % 250);
    fail_n(b, &p, addr, 1, T0 + (uint64_t)i, 0);
    ck_assert_uint_le(ftpd_bans_size(b), 3);
  }
  ftpd_bans_free(b);
  b = table(3, &p, NULL, 0);
  /* A banned, B counting but long quiet, C counting: D takes B's place. */
  ck_assert_int_eq(fail_n(b, &p, "192.0.2.1", 5, T0, 0), FTPD_BAN_NEW);
  fail_n(b, &p, "192.0.2.2", 2, T0 + S, 0);
  fail_n(b, &p, "192.0.2.3", 2, T0 + 20 * S, 0);
  fail_n(b, &p, "192.0.2.4", 1, T0 + 21 * S, 0);
  ck_assert_uint_eq(ftpd_bans_size(b), 3);
  ck_assert(banned(b, &p, "192.0.2.1", T0 + 21 * S));
  /* Now A banned, C and D counting within the window: E evicts C, the
   * oldest unbanned, and A stays banned. */
  fail_n(b, &p, "192.0.2.5", 1, T0 + 22 * S, 0);
  ck_assert(banned(b, &p, "192.0.2.1", T0 + 22 * S));
  ck_assert_int_eq(fail_n(b, &p, "192.0.2.3", 3, T0 + 23 * S, 0), FTPD_BAN_COUNTED);
  ftpd_bans_free(b);
  /* Every entry banned: the oldest ban gives way. */
  b = table(2, &p, NULL, 0);
  fail_n(b, &p, "192.0.2.1", 5, T0, 0);
  fail_n(b, &p, "192.0.2.2", 5, T0 + S, 0);
  fail_n(b, &p, "192.0.2.3", 1, T0 + 2 * S, 0);
  ck_assert(!banned(b, &p, "192.0.2.1", T0 + 3 * S));
  ck_assert(banned(b, &p, "192.0.2.2", T0 + 3 * S));
  ck_assert_uint_eq(ftpd_bans_size(b), 2);
  ftpd_bans_free(b);
  ftpd_ban_policy_free(&p);
  ck_assert_int_eq(ftpd_bans_new(0, &b), UV_EINVAL);
  ftpd_bans_free(NULL);
}
END_TEST

static Suite *ban_suite(void) {
  Suite *s = suite_create("ban");
  TCase *tt = tcase_create("table");

  tcase_add_test(tt, test_window_and_expiry);
  tcase_add_test(tt, test_sliding_window);
  tcase_add_test(tt, test_exempt);
  tcase_add_test(tt, test_ipv6_grouping);
  tcase_add_test(tt, test_policy_changes);
  tcase_add_test(tt, test_cap);
  suite_add_tcase(s, tt);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ban_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
