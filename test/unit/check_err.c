/*
 * check_err.c: error names, messages, and the error-to-reply mapping.
 */
#include <check.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <string.h>
#include <uv.h>

#include "err.h"
#include "replycodes.h"

START_TEST(test_every_code_has_name_and_message) {
  int r;

  for (r = FTP_E__FIRST + 1; r < FTP_E__LAST; r++) {
    ck_assert(ftp_err_is_ours(r));
    ck_assert_int_eq(strncmp(ftp_err_name(r), "FTP_E_", 6), 0);
    ck_assert(strlen(ftp_strerror(r)) > 0);
  }
  ck_assert(!ftp_err_is_ours(FTP_E__FIRST));
  ck_assert(!ftp_err_is_ours(FTP_E__LAST));
  ck_assert(!ftp_err_is_ours(UV_ENOENT));
  ck_assert_str_eq(ftp_err_name(FTP_E_NOMEM), "FTP_E_NOMEM");
  ck_assert_str_eq(ftp_err_name(0), "OK");
}
END_TEST

START_TEST(test_libuv_codes_pass_through) {
  ck_assert_str_eq(ftp_err_name(UV_ENOENT), "ENOENT");
  ck_assert_str_eq(ftp_strerror(UV_ECONNRESET), uv_strerror(UV_ECONNRESET));
  /* Our range does not collide with libuv's getaddrinfo range. */
  ck_assert((int)UV_EAI_ADDRFAMILY > (int)FTP_E__LAST);
}
END_TEST

/* GnuTLS's codes overlap errno's: they travel in a range of their own and
 * keep GnuTLS's names, so that a log line names them right. */
START_TEST(test_gnutls_codes_carried) {
  int r = ftp_err_gnutls(GNUTLS_E_AGAIN);

  ck_assert_int_ne(r, GNUTLS_E_AGAIN);
  ck_assert(!ftp_err_is_ours(r));
  ck_assert_str_eq(ftp_err_name(r), "GNUTLS_E_AGAIN");
  ck_assert_str_eq(ftp_strerror(r), gnutls_strerror(GNUTLS_E_AGAIN));
  ck_assert_str_eq(ftp_err_name(ftp_err_gnutls(GNUTLS_E_UNEXPECTED_PACKET_LENGTH)),
                   "GNUTLS_E_UNEXPECTED_PACKET_LENGTH");
  ck_assert_int_eq(ftp_err_gnutls(0), 0);
  ck_assert_int_eq(ftp_err_gnutls(-5000), FTP_E_TLS);
  /* Not mistaken for ours, libuv's or errno's. */
  ck_assert((int)UV_EAI_ADDRFAMILY > r);
  ck_assert(r < (int)FTP_E__LAST);
  ck_assert_int_eq(ftp_err_reply(r, NULL), FTP_R_LOCAL_ERROR);
}
END_TEST

static const struct {
  int err;
  int code;
} reply_cases[] = {
    {UV_ENOENT, FTP_R_FILE_UNAVAILABLE},
    {UV_EACCES, FTP_R_FILE_UNAVAILABLE},
    {UV_ENOSPC, FTP_R_NO_SPACE},
    {-EDQUOT, FTP_R_EXCEEDED_STORAGE},
    {UV_ENAMETOOLONG, FTP_R_BAD_FILENAME},
    {UV_ECONNRESET, FTP_R_TRANSFER_ABORTED},
    {FTP_E_LINE_TOO_LONG, FTP_R_SYNTAX},
    {FTP_E_NUL_IN_LINE, FTP_R_SYNTAX},
    {FTP_E_SYNTAX, FTP_R_SYNTAX_ARG},
    {FTP_E_BAD_VERB, FTP_R_SYNTAX},
    {FTP_E_AF_UNSUPPORTED, FTP_R_EXT_UNSUPPORTED},
    {FTP_E_TLS_NOT_RESUMED, FTP_R_EXT_UNSUPPORTED},
    {FTP_E_TLS_TRUNCATED, FTP_R_TRANSFER_ABORTED},
    {FTP_E_ESCAPE, FTP_R_FILE_UNAVAILABLE},
    {FTP_E_LOGIN, FTP_R_NOT_LOGGED_IN},
    {UV_EMFILE, FTP_R_LOCAL_ERROR}, /* unmapped: local error */
};

START_TEST(test_reply_mapping) {
  const char *text = NULL;

  ck_assert_int_eq(ftp_err_reply(reply_cases[_i].err, &text),
                   reply_cases[_i].code);
  ck_assert_ptr_nonnull(text);
  /* Reply texts never carry CR or LF: they go on the wire as they are. */
  ck_assert_ptr_null(strpbrk(text, "\r\n"));
  ck_assert_int_eq(ftp_err_reply(reply_cases[_i].err, NULL),
                   reply_cases[_i].code);
}
END_TEST

static Suite *err_suite(void) {
  Suite *s = suite_create("err");
  TCase *tc = tcase_create("table");

  tcase_add_test(tc, test_every_code_has_name_and_message);
  tcase_add_test(tc, test_libuv_codes_pass_through);
  tcase_add_test(tc, test_gnutls_codes_carried);
  tcase_add_loop_test(tc, test_reply_mapping, 0,
                      sizeof(reply_cases) / sizeof(reply_cases[0]));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(err_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
