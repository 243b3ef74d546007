/*
 * check_tls.c: TLS contexts: KEYRING as PEM and PKCS#12, CAFILE, clear
 * errors naming the file at fault, CIPHERSUITE refusals.  Handshakes,
 * resumption scopes and ALPN are exercised over real sockets in check_chan:
 * that a scope's tickets do not resume in another scope is its
 * test_resumption_is_bound_to_its_scope (a comparison of two scope
 * pointers here proved nothing, and is gone).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "err.h"
#include "tls.h"
#include "tls_fixture.h"

static struct tls_fixture fx;

static void setup(void) { tls_fixture_make(&fx); }
static void teardown(void) { tls_fixture_remove(&fx); }

START_TEST(test_server_pem_keyring) {
  struct ftp_tls_config c = {0};
  struct ftp_tls_ctx *ctx = NULL;
  char err[256] = "";

  c.server = 1;
  c.keyring = fx.server;
  c.cafile = fx.ca;
  c.session_lifetime = 60;
  ck_assert_int_eq(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), 0);
  ck_assert(ftp_tls_ctx_has_cert(ctx));
  ck_assert_ptr_eq(ftp_tls_ctx_ref(ctx), ctx);
  ftp_tls_ctx_unref(ctx);
  ftp_tls_ctx_unref(ctx);
  ftp_tls_ctx_unref(NULL);
  ftp_tls_resume_free(NULL);
}
END_TEST

START_TEST(test_missing_keyring_names_the_file) {
  struct ftp_tls_config c = {0};
  struct ftp_tls_ctx *ctx = NULL;
  char err[256] = "";

  c.server = 1;
  c.keyring = "/nonexistent/keyring.pem";
  ck_assert_int_eq(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), FTP_E_TLS);
  ck_assert_ptr_null(ctx);
  ck_assert_ptr_nonnull(strstr(err, "KEYRING /nonexistent/keyring.pem"));
}
END_TEST

START_TEST(test_cafile_without_certificates) {
  struct ftp_tls_config c = {0};
  struct ftp_tls_ctx *ctx = NULL;
  char err[256] = "";

  c.cafile = fx.client; /* a key and a leaf: not a CA list, but has a cert */
  ck_assert_int_eq(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), 0);
  ftp_tls_ctx_unref(ctx);
  c.cafile = "/dev/null";
  ck_assert_int_eq(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), FTP_E_TLS);
  ck_assert_ptr_nonnull(strstr(err, "CAFILE /dev/null"));
}
END_TEST

START_TEST(test_insecure_cipher_refused) {
  struct ftp_tls_config c = {0};
  struct ftp_tls_ctx *ctx = NULL;
  const char *bad[] = {"SSL_RC4_SHA"};
  const char *good[] = {"TLS_AES_128_GCM_SHA256"};
  char err[256] = "";

  c.ciphers = bad;
  c.nciphers = 1;
  ck_assert_int_ne(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), 0);
  ck_assert_ptr_nonnull(strstr(err, "CIPHERSUITE"));
  c.ciphers = good;
  ck_assert_int_eq(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)), 0);
  ftp_tls_ctx_unref(ctx);
}
END_TEST

/* KEYRING may be a PKCS#12 file (.p12/.pfx), as made by certtool. */
START_TEST(test_pkcs12_keyring) {
  struct ftp_tls_config c = {0};
  struct ftp_tls_ctx *ctx = NULL;
  char p12[400], cmd[1400], err[256] = "";

  snprintf(p12, sizeof(p12), "%s/server.p12", fx.dir);
  snprintf(cmd, sizeof(cmd),
           "certtool --to-p12 --load-privkey '%s' --load-certificate '%s' "
           "--p12-name server --empty-password --outder --outfile '%s' "
           ">/dev/null 2>&1", fx.server, fx.server, p12);
  ck_assert_int_eq(system(cmd), 0);
  c.server = 1;
  c.keyring = p12;
  ck_assert_msg(ftp_tls_ctx_new(&c, &ctx, err, sizeof(err)) == 0, "%s", err);
  ck_assert(ftp_tls_ctx_has_cert(ctx));
  ftp_tls_ctx_unref(ctx);
  unlink(p12);
}
END_TEST

START_TEST(test_resume_scopes_are_distinct) {
  struct ftp_tls_issuer *iss = NULL;
  struct ftp_tls_resume *a = NULL, *b = NULL;

  ck_assert_int_eq(ftp_tls_issuer_new(&iss), 0);
  ck_assert_int_eq(ftp_tls_resume_new(iss, &a, 60), 0);
  ck_assert_int_eq(ftp_tls_resume_new(iss, &b, 60), 0);
  ck_assert_ptr_ne(a, b);
  ck_assert_uint_eq(ftp_tlsbind_scopes(ftp_tls_issuer_record(iss)), 2);
  ftp_tls_resume_free(a);
  ck_assert_uint_eq(ftp_tlsbind_scopes(ftp_tls_issuer_record(iss)), 1);
  /* The issuer may go first: the last scope takes the record with it. */
  ftp_tls_issuer_free(iss);
  ftp_tls_resume_free(b);
  ftp_tls_resume_free(NULL);
  ftp_tls_issuer_free(NULL);
}
END_TEST

static Suite *tls_suite(void) {
  Suite *s = suite_create("tls");
  TCase *tc = tcase_create("contexts");

  tcase_add_unchecked_fixture(tc, setup, teardown);
  tcase_add_test(tc, test_server_pem_keyring);
  tcase_add_test(tc, test_missing_keyring_names_the_file);
  tcase_add_test(tc, test_cafile_without_certificates);
  tcase_add_test(tc, test_insecure_cipher_refused);
  tcase_add_test(tc, test_pkcs12_keyring);
  tcase_add_test(tc, test_resume_scopes_are_distinct);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tls_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
