/*
 * check_log.c: the log line format (level, function, message, error name)
 * and BUG, which must abort.
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "log.h"

/* Run fn with stderr going to a temporary file; return what it wrote. */
static char *capture(void (*fn)(void)) {
  static char out[4096];
  FILE *f = tmpfile();
  int saved = dup(STDERR_FILENO);
  size_t n;

  ck_assert_ptr_nonnull(f);
  fflush(stderr);
  dup2(fileno(f), STDERR_FILENO);
  fn();
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  rewind(f);
  n = fread(out, 1, sizeof(out) - 1, f);
  out[n] = 0;
  fclose(f);
  return out;
}

static void log_some(void) {
  ftp_log_init("ftptest", FTP_LOG_INFO);
  log_info("hello %d", 42);
  log_err_r(UV_ECONNRESET, "data accept");
  log_debug("not shown at info level");
}

START_TEST(test_line_format) {
  const char *out = capture(log_some);

  ck_assert_ptr_nonnull(strstr(out, "ftptest["));
  ck_assert_ptr_nonnull(strstr(out, "info: log_some: hello 42\n"));
  ck_assert_ptr_nonnull(strstr(out, "error: log_some: data accept: ECONNRESET ("));
  ck_assert_ptr_null(strstr(out, "not shown"));
}
END_TEST

static void log_debug_level(void) {
  ftp_log_init("ftptest", FTP_LOG_DEBUG);
  ck_assert(ftp_log_enabled(FTP_LOG_DEBUG));
  log_debug_r(FTP_E_TLS_TRUNCATED, "upload");
}

START_TEST(test_our_error_names) {
  const char *out = capture(log_debug_level);

  ck_assert_ptr_nonnull(strstr(out, "debug: log_debug_level: upload: FTP_E_TLS_TRUNCATED"));
}
END_TEST

START_TEST(test_bug_aborts) {
  ftp_log_init("ftptest", FTP_LOG_ERR);
  BUG("impossible state %d", 3);
}
END_TEST

static Suite *log_suite(void) {
  Suite *s = suite_create("log");
  TCase *tc = tcase_create("format");

  tcase_add_test(tc, test_line_format);
  tcase_add_test(tc, test_our_error_names);
  tcase_add_test_raise_signal(tc, test_bug_aborts, SIGABRT);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(log_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
