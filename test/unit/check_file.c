/*
 * check_file.c: reading a small file whole: content, limits, and refusing
 * what is not a regular file without blocking on it.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "file.h"

static char dir[256];
static char path[300];

static void setup(void) {
  const char *tmp = getenv("TMPDIR");
  snprintf(dir, sizeof(dir), "%s/chkfileXXXXXX", tmp != NULL ? tmp : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  snprintf(path, sizeof(path), "%s/f", dir);
}

static void teardown(void) {
  unlink(path);
  rmdir(dir);
}

static void write_file(const char *text, size_t n, mode_t mode) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(write(fd, text, n), (ssize_t)n);
  close(fd);
  chmod(path, mode);
}

START_TEST(test_reads_whole_file_and_status) {
  struct ftp_buf b;
  uv_stat_t st;

  write_file("PORT 21\nUMASK 022\n", 18, 0640);
  ftp_buf_init(&b, 1024);
  ck_assert_int_eq(ftp_file_read(path, &b, &st), 0);
  ck_assert_int_eq(ftp_buf_len(&b), 18);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&b), "PORT 21\nUMASK 022\n", 18), 0);
  ck_assert_int_eq(st.st_mode & 0777, 0640);
  ck_assert_int_eq(st.st_size, 18);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_empty_file) {
  struct ftp_buf b;

  write_file("", 0, 0600);
  ftp_buf_init(&b, 16);
  ck_assert_int_eq(ftp_file_read(path, &b, NULL), 0);
  ck_assert_int_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_limit_is_exact) {
  struct ftp_buf b;
  static char big[70000];

  memset(big, 'a', sizeof(big));
  write_file(big, sizeof(big), 0600);
  ftp_buf_init(&b, sizeof(big));
  ck_assert_int_eq(ftp_file_read(path, &b, NULL), 0);
  ck_assert_int_eq(ftp_buf_len(&b), sizeof(big));
  ftp_buf_free(&b);
  ftp_buf_init(&b, sizeof(big) - 1);
  ck_assert_int_eq(ftp_file_read(path, &b, NULL), FTP_E_TOOBIG);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_missing_and_directory) {
  struct ftp_buf b;

  ftp_buf_init(&b, 16);
  ck_assert_int_eq(ftp_file_read(path, &b, NULL), UV_ENOENT);
  ck_assert_int_eq(ftp_file_read(dir, &b, NULL), FTP_E_REFUSED);
  ftp_buf_free(&b);
}
END_TEST

/* A FIFO in place of the file, with no writer: refused at once (the test
 * times out if the open blocks). */
START_TEST(test_fifo_refused_without_blocking) {
  struct ftp_buf b;

  ck_assert_int_eq(mkfifo(path, 0600), 0);
  ftp_buf_init(&b, 16);
  ck_assert_int_eq(ftp_file_read(path, &b, NULL), FTP_E_REFUSED);
  ftp_buf_free(&b);
}
END_TEST

static Suite *file_suite(void) {
  Suite *s = suite_create("file");
  TCase *tc = tcase_create("read");

  tcase_add_checked_fixture(tc, setup, teardown);
  tcase_set_timeout(tc, 5);
  tcase_add_test(tc, test_reads_whole_file_and_status);
  tcase_add_test(tc, test_empty_file);
  tcase_add_test(tc, test_limit_is_exact);
  tcase_add_test(tc, test_missing_and_directory);
  tcase_add_test(tc, test_fifo_refused_without_blocking);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(file_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
