/*
 * check_ticketkey.c: the shared ticket master key file (common/ticketkey.h):
 * 64 bytes, a regular file, for its owner's eyes only; everything else is
 * refused with a reason.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ticketkey.h"

static char dir[] = "/tmp/check_ticketkey.XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(dir)); }

static void teardown(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *make(const char *name, size_t len, int mode) {
  static char path[256];
  unsigned char b[200];
  size_t i;
  int fd;

  for (i = 0; i < sizeof(b); i++)
    b[i] = (unsigned char)(i * 7 + 1);
  snprintf(path, sizeof(path), "%s/%s", dir, name);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, b, len), (ssize_t)len);
  ck_assert_int_eq(fchmod(fd, (mode_t)mode), 0);
  close(fd);
  return path;
}

START_TEST(test_good) {
  unsigned char key[FTP_TICKETKEY_LEN];
  char err[256] = "";

  ck_assert_int_eq(ftp_ticketkey_read(make("k", 64, 0600), key, err, sizeof(err)), 0);
  ck_assert_uint_eq(key[0], 1);
  ck_assert_uint_eq(key[63], (unsigned char)(63 * 7 + 1));
  ck_assert_int_eq(ftp_ticketkey_read(make("r", 64, 0400), key, err, sizeof(err)), 0);
}
END_TEST

START_TEST(test_refused) {
  unsigned char key[FTP_TICKETKEY_LEN];
  char err[256], link[300];

  ck_assert_int_ne(ftp_ticketkey_read(make("g", 64, 0640), key, err, sizeof(err)), 0);
  ck_assert_ptr_nonnull(strstr(err, "group or others"));
  ck_assert_uint_eq(key[0], 0); /* wiped */
  ck_assert_int_ne(ftp_ticketkey_read(make("o", 64, 0604), key, err, sizeof(err)), 0);
  ck_assert_int_ne(ftp_ticketkey_read(make("s", 63, 0600), key, err, sizeof(err)), 0);
  ck_assert_ptr_nonnull(strstr(err, "not 64 bytes"));
  ck_assert_int_ne(ftp_ticketkey_read(make("l", 80, 0600), key, err, sizeof(err)), 0);
  snprintf(link, sizeof(link), "%s/link", dir);
  ck_assert_int_eq(symlink(make("t", 64, 0600), link), 0);
  ck_assert_int_ne(ftp_ticketkey_read(link, key, err, sizeof(err)), 0);
  ck_assert_int_ne(ftp_ticketkey_read(dir, key, err, sizeof(err)), 0);
  snprintf(link, sizeof(link), "%s/none", dir);
  ck_assert_int_ne(ftp_ticketkey_read(link, key, err, sizeof(err)), 0);
}
END_TEST

static Suite *ticketkey_suite(void) {
  Suite *s = suite_create("ticketkey");
  TCase *tc = tcase_create("file");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_good);
  tcase_add_test(tc, test_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ticketkey_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
