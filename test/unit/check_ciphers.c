/*
 * check_ciphers.c: the "ciphers" suite: the CIPHERSUITE name table and the
 * GnuTLS priority strings built from it.  Every string the module can
 * produce must be accepted by gnutls_priority_init and enable exactly the
 * intended kind of suites.
 *
 * Run one test with CK_RUN_CASE=<tcase>; CK_TIMEOUT_MULTIPLIER stretches
 * timeouts on slow machines.
 */
#include <check.h>
#include <gnutls/gnutls.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ciphers.h"
#include "err.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* The priority string for names (static buffer). */
static const char *priority(const char *const *names, size_t n) {
  static struct ftp_buf b;
  const char *s;

  ftp_buf_free(&b);
  ftp_buf_init(&b, 4096);
  ck_assert_int_eq(ftp_ciphers_priority(names, n, &b), 0);
  s = ftp_buf_cstr(&b, NULL);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* GnuTLS accepts s; returns the cache (caller deinits). */
static gnutls_priority_t accepted(const char *s) {
  gnutls_priority_t prio;
  const char *err = NULL;
  int r = gnutls_priority_init(&prio, s, &err);

  ck_assert_msg(r == 0, "GnuTLS refuses \"%s\" at \"%s\": %s", s,
                err != NULL ? err : "?", gnutls_strerror(r));
  return prio;
}

/* Call fn for every cipher suite the priority enables, in order. */
static void each_suite(gnutls_priority_t prio,
                       void (*fn)(void *, gnutls_kx_algorithm_t,
                                  gnutls_cipher_algorithm_t,
                                  gnutls_mac_algorithm_t),
                       void *arg) {
  unsigned idx, sidx;
  unsigned char id[2];
  gnutls_kx_algorithm_t kx;
  gnutls_cipher_algorithm_t cipher;
  gnutls_mac_algorithm_t mac;
  gnutls_protocol_t minv;
  int r;

  for (idx = 0;; idx++) {
    r = gnutls_priority_get_cipher_suite_index(prio, idx, &sidx);
    if (r == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
      break;
    if (r != 0)
      continue;
    ck_assert_ptr_nonnull(
        gnutls_cipher_suite_info(sidx, id, &kx, &cipher, &mac, &minv));
    fn(arg, kx, cipher, mac);
  }
}

/* ------------------------------------------------------------------------
 * The table.
 */
START_TEST(test_find) {
  const struct ftp_cipher *e;

  e = ftp_cipher_find("TLS_AES_128_GCM_SHA256");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e->name, "TLS_AES_128_GCM_SHA256");
  ck_assert_ptr_eq(ftp_cipher_find("tls_aes_128_gcm_sha256"), e);
  ck_assert_ptr_eq(ftp_cipher_find("Tls_Aes_128_Gcm_Sha256"), e);
  ck_assert_ptr_null(ftp_cipher_find("TLS_AES_128_GCM_SHA25"));
  ck_assert_ptr_null(ftp_cipher_find("TLS_AES_128_GCM_SHA2566"));
  ck_assert_ptr_null(ftp_cipher_find(""));
  ck_assert_ptr_null(ftp_cipher_find("AES-128-GCM"));

  e = ftp_cipher_find("SSL_RC4_SHA");
  ck_assert_ptr_nonnull(e);
  ck_assert_str_eq(e->refused, "RC4 is insecure and refused");
  e = ftp_cipher_find("ssl_aes_256_sha");
  ck_assert_ptr_nonnull(e);
  ck_assert_ptr_null(e->refused);
  ck_assert_str_eq(e->kx, "RSA");
  ck_assert_str_eq(e->cipher, "AES-256-CBC");
  ck_assert_str_eq(e->mac, "SHA1");
}
END_TEST

/* Every z/OS name is known; the insecure ones refused with a reason. */
START_TEST(test_zos_names) {
  static const char *const refused[] = {
      "SSL_NULL_MD5", "SSL_NULL_SHA",   "SSL_RC4_MD5_EX", "SSL_RC4_MD5",
      "SSL_RC4_SHA",  "SSL_RC2_MD5_EX", "SSL_DES_SHA",    "SSL_3DES_SHA"};
  size_t i;

  for (i = 0; i < NELEM(refused); i++) {
    const struct ftp_cipher *e = ftp_cipher_find(refused[i]);
    ck_assert_msg(e != NULL, "%s unknown", refused[i]);
    ck_assert_msg(e->refused != NULL, "%s accepted", refused[i]);
  }
  ck_assert_ptr_null(ftp_cipher_find("SSL_AES_128_SHA")->refused);
  ck_assert_ptr_null(ftp_cipher_find("SSL_AES_256_SHA")->refused);
}
END_TEST

/* The shape of every row: accepted rows name their GnuTLS parts (kx only
 * before TLS 1.3), refused rows none; names are unique and upper case;
 * every NULL/RC4/DES/3DES/EXPORT/MD5 name is refused. */
START_TEST(test_table_shape) {
  const struct ftp_cipher *e, *f;
  size_t i, j;
  const char *p;

  for (i = 0; (e = ftp_cipher_at(i)) != NULL; i++) {
    for (p = e->name; *p != '\0'; p++)
      ck_assert_msg(!(*p >= 'a' && *p <= 'z'), "%s not upper case", e->name);
    ck_assert_ptr_eq(ftp_cipher_find(e->name), e);
    for (j = 0; j < i; j++) {
      f = ftp_cipher_at(j);
      ck_assert_msg(strcmp(e->name, f->name) != 0, "%s twice", e->name);
    }
    ck_assert(e->version == FTP_CIPHER_TLS12 || e->version == FTP_CIPHER_TLS13);
    if (e->refused != NULL) {
      ck_assert(e->refused[0] != '\0');
      ck_assert_ptr_null(e->cipher);
      ck_assert_ptr_null(e->mac);
      ck_assert_ptr_null(e->kx);
      continue;
    }
    ck_assert_ptr_nonnull(e->cipher);
    ck_assert_ptr_nonnull(e->mac);
    if (e->version == FTP_CIPHER_TLS13)
      ck_assert_ptr_null(e->kx);
    else
      ck_assert_ptr_nonnull(e->kx);
    ck_assert_msg(strstr(e->name, "NULL") == NULL && strstr(e->name, "RC4") == NULL &&
                      strstr(e->name, "_DES") == NULL && strstr(e->name, "3DES") == NULL &&
                      strstr(e->name, "EXPORT") == NULL && strstr(e->name, "MD5") == NULL,
                  "%s should be refused", e->name);
  }
  ck_assert_uint_gt(i, 40);
  ck_assert_ptr_null(ftp_cipher_at(i + 1000));
}
END_TEST

/* ------------------------------------------------------------------------
 * Priority strings.
 */
struct seen {
  int n, cbc, rsa_kx, first_aes128gcm;
  gnutls_kx_algorithm_t kx;
  gnutls_cipher_algorithm_t cipher;
  gnutls_mac_algorithm_t mac;
  int found;
};

static void note(void *arg, gnutls_kx_algorithm_t kx,
                 gnutls_cipher_algorithm_t cipher, gnutls_mac_algorithm_t mac) {
  struct seen *s = arg;
  const char *cn = gnutls_cipher_get_name(cipher);

  if (s->n == 0)
    s->first_aes128gcm = cipher == GNUTLS_CIPHER_AES_128_GCM;
  s->n++;
  s->cbc |= strstr(cn, "CBC") != NULL;
  s->rsa_kx |= kx == GNUTLS_KX_RSA;
  s->found |= kx == s->kx && cipher == s->cipher && mac == s->mac;
}

START_TEST(test_default_priority) {
  static const char want[] =
      "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-128-GCM:+AES-256-GCM"
      ":+CHACHA20-POLY1305:+AEAD:+ECDHE-ECDSA:+ECDHE-RSA"
      ":+SIGN-ALL:+GROUP-X25519:+GROUP-ALL:+COMP-NULL:+CTYPE-X509:%SERVER_PRECEDENCE";
  struct seen s = {0};
  gnutls_priority_t prio;
  const unsigned *protos;
  int n;

  ck_assert_str_eq(priority(NULL, 0), want);
  prio = accepted(want);
  each_suite(prio, note, &s);
  ck_assert_int_gt(s.n, 6);
  ck_assert_int_eq(s.cbc, 0);
  ck_assert_int_eq(s.rsa_kx, 0);
  ck_assert_int_eq(s.first_aes128gcm, 1);
  n = gnutls_priority_protocol_list(prio, &protos);
  ck_assert_int_eq(n, 2);
  ck_assert_uint_eq(protos[0], GNUTLS_TLS1_3);
  ck_assert_uint_eq(protos[1], GNUTLS_TLS1_2);
  gnutls_priority_deinit(prio);
}
END_TEST

/* Each accepted name alone: GnuTLS takes the string, enables that suite,
 * and only the protocol version it belongs to. */
START_TEST(test_each_name) {
  const struct ftp_cipher *e;
  gnutls_priority_t prio;
  const unsigned *protos;
  size_t i, checked = 0;
  int n;

  for (i = 0; (e = ftp_cipher_at(i)) != NULL; i++) {
    struct seen s = {0};
    const char *names[1] = {e->name};

    if (e->refused != NULL)
      continue;
    prio = accepted(priority(names, 1));
    s.cipher = gnutls_cipher_get_id(e->cipher);
    s.mac = gnutls_mac_get_id(e->mac);
    s.kx = e->kx != NULL ? gnutls_kx_get_id(e->kx) : GNUTLS_KX_UNKNOWN;
    ck_assert_msg(s.cipher != GNUTLS_CIPHER_UNKNOWN, "%s: cipher %s", e->name, e->cipher);
    each_suite(prio, note, &s);
    ck_assert_msg(s.found, "%s: suite not enabled by %s", e->name, priority(names, 1));
    n = gnutls_priority_protocol_list(prio, &protos);
    ck_assert_int_eq(n, 1);
    ck_assert_uint_eq(protos[0], e->version == FTP_CIPHER_TLS13 ? GNUTLS_TLS1_3 : GNUTLS_TLS1_2);
    gnutls_priority_deinit(prio);
    checked++;
  }
  ck_assert_uint_eq(checked, 17);
}
END_TEST

START_TEST(test_order_and_duplicates) {
  static const char *const names[] = {
      "TLS_CHACHA20_POLY1305_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
      "tls_chacha20_poly1305_sha256", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"};
  static const char want[] =
      "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+CHACHA20-POLY1305:+AES-256-GCM:+AES-128-CBC"
      ":+AEAD:+SHA1:+ECDHE-RSA:+ECDHE-ECDSA"
      ":+SIGN-ALL:+GROUP-X25519:+GROUP-ALL:+COMP-NULL:+CTYPE-X509:%SERVER_PRECEDENCE";

  ck_assert_str_eq(priority(names, NELEM(names)), want);
  gnutls_priority_deinit(accepted(want));
}
END_TEST

/* The groups GnuTLS takes from the priority string, in order: X25519 first
 * (the key share OpenSSL, Go and Node clients send: no HelloRetryRequest
 * under %SERVER_PRECEDENCE), then the rest of GROUP-ALL, nothing twice. */
START_TEST(test_group_order) {
  static const gnutls_group_t want[] = {
      GNUTLS_GROUP_X25519, GNUTLS_GROUP_SECP256R1, GNUTLS_GROUP_SECP384R1,
      GNUTLS_GROUP_SECP521R1, GNUTLS_GROUP_X448};
  static const char *const one[] = {"TLS_AES_256_GCM_SHA384"};
  gnutls_priority_t prio;
  const unsigned *groups;
  int n, i, j, round;

  for (round = 0; round < 2; round++) {
    prio = accepted(round == 0 ? priority(NULL, 0) : priority(one, 1));
    n = gnutls_priority_group_list(prio, &groups);
    ck_assert_int_ge(n, (int)NELEM(want));
    for (i = 0; i < (int)NELEM(want); i++)
      ck_assert_msg(groups[i] == (unsigned)want[i], "group %d is %s, not %s", i,
                    gnutls_group_get_name(groups[i]), gnutls_group_get_name(want[i]));
    for (i = 0; i < n; i++)
      for (j = i + 1; j < n; j++)
        ck_assert_uint_ne(groups[i], groups[j]);
    gnutls_priority_deinit(prio);
  }
}
END_TEST

START_TEST(test_refused_and_unknown) {
  static const char *const bad1[] = {"TLS_AES_128_GCM_SHA256", "SSL_RC4_SHA"};
  static const char *const bad2[] = {"TLS_AES_128_GCM_SHA256", "NOPE"};
  struct ftp_buf b;

  ftp_buf_init(&b, 4096);
  ck_assert_int_eq(ftp_ciphers_priority(bad1, 2, &b), FTP_E_BAD_ARG);
  ck_assert_uint_eq(ftp_buf_len(&b), 0);
  ck_assert_int_eq(ftp_ciphers_priority(bad2, 2, &b), FTP_E_BAD_ARG);
  ck_assert_uint_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
  /* a buffer too small reports it */
  ftp_buf_init(&b, 16);
  ck_assert_int_eq(ftp_ciphers_priority(NULL, 0, &b), FTP_E_TOOBIG);
  ftp_buf_free(&b);
}
END_TEST

/* Random lists of accepted names (fixed seed, any order, repeats): GnuTLS
 * accepts every string, and no list enables RSA key exchange or CBC unless
 * it named such a suite. */
static uint32_t rng_state = 0x9e3779b9u;

static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

START_TEST(test_random_lists) {
  const struct ftp_cipher *ok[64], *e;
  const char *names[12];
  size_t nok = 0, i, n;
  int iter, named_cbc, named_rsa;

  for (i = 0; (e = ftp_cipher_at(i)) != NULL; i++)
    if (e->refused == NULL && nok < NELEM(ok))
      ok[nok++] = e;
  for (iter = 0; iter < 2000; iter++) {
    struct seen s = {0};
    gnutls_priority_t prio;

    n = 1 + rng() % NELEM(names);
    named_cbc = named_rsa = 0;
    for (i = 0; i < n; i++) {
      e = ok[rng() % nok];
      names[i] = e->name;
      named_cbc |= strstr(e->cipher, "CBC") != NULL;
      named_rsa |= e->kx != NULL && strcmp(e->kx, "RSA") == 0;
    }
    prio = accepted(priority(names, n));
    each_suite(prio, note, &s);
    ck_assert_int_gt(s.n, 0);
    ck_assert(!s.cbc || named_cbc);
    ck_assert(!s.rsa_kx || named_rsa);
    gnutls_priority_deinit(prio);
  }
}
END_TEST

static Suite *ciphers_suite(void) {
  Suite *s = suite_create("ciphers");
  TCase *tc;

  tc = tcase_create("table");
  tcase_add_test(tc, test_find);
  tcase_add_test(tc, test_zos_names);
  tcase_add_test(tc, test_table_shape);
  suite_add_tcase(s, tc);

  tc = tcase_create("priority");
  tcase_add_test(tc, test_default_priority);
  tcase_add_test(tc, test_each_name);
  tcase_add_test(tc, test_order_and_duplicates);
  tcase_add_test(tc, test_group_order);
  tcase_add_test(tc, test_refused_and_unknown);
  tcase_add_test(tc, test_random_lists);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ciphers_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
