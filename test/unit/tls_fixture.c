/*
 * tls_fixture.c: mint a CA, a server and a client certificate with GnuTLS.
 */
#include "tls_fixture.h"

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHECK(x)                                                              \
  do {                                                                        \
    int rc_ = (x);                                                            \
    if (rc_ < 0) {                                                            \
      fprintf(stderr, "tls_fixture: %s: %s\n", #x, gnutls_strerror(rc_));     \
      abort();                                                                \
    }                                                                         \
  } while (0)

static void append_pem(FILE *f, gnutls_x509_crt_t crt) {
  gnutls_datum_t d;
  CHECK(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d));
  fwrite(d.data, 1, d.size, f);
  gnutls_free(d.data);
}

static void append_key(FILE *f, gnutls_x509_privkey_t key) {
  gnutls_datum_t d;
  CHECK(gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &d));
  fwrite(d.data, 1, d.size, f);
  gnutls_free(d.data);
}

static gnutls_x509_privkey_t new_key(void) {
  gnutls_x509_privkey_t key;
  CHECK(gnutls_x509_privkey_init(&key));
  CHECK(gnutls_x509_privkey_generate(key, GNUTLS_PK_ECDSA,
                                     GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0));
  return key;
}

/* org, when not NULL, is an O= RDN ahead of the CN (the order certtool
 * writes), so that the RFC 4514 form reverses them: "CN=alice,O=Example". */
static gnutls_x509_crt_t new_cert(gnutls_x509_privkey_t key, const char *org,
                                  const char *cn, unsigned serial) {
  gnutls_x509_crt_t crt;
  time_t now = time(NULL);

  CHECK(gnutls_x509_crt_init(&crt));
  CHECK(gnutls_x509_crt_set_key(crt, key));
  CHECK(gnutls_x509_crt_set_version(crt, 3));
  CHECK(gnutls_x509_crt_set_serial(crt, &serial, sizeof(serial)));
  CHECK(gnutls_x509_crt_set_activation_time(crt, now - 3600));
  CHECK(gnutls_x509_crt_set_expiration_time(crt, now + 86400));
  if (org != NULL)
    CHECK(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_ORGANIZATION_NAME, 0,
                                        org, (unsigned)strlen(org)));
  CHECK(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                      (unsigned)strlen(cn)));
  return crt;
}

static void make_ca(gnutls_x509_privkey_t *key, gnutls_x509_crt_t *crt,
                    const char *cn, unsigned serial) {
  *key = new_key();
  *crt = new_cert(*key, NULL, cn, serial);
  CHECK(gnutls_x509_crt_set_basic_constraints(*crt, 1, -1));
  CHECK(gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN));
  CHECK(gnutls_x509_crt_sign2(*crt, *crt, *key, GNUTLS_DIG_SHA256, 0));
}

static FILE *open_file(const char *path) {
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    perror(path);
    abort();
  }
  return f;
}

void tls_fixture_make(struct tls_fixture *f) {
  gnutls_x509_privkey_t ca_key, srv_key, cli_key, other_key;
  gnutls_x509_crt_t ca, srv, cli, other;
  const char *tmp = getenv("TMPDIR");
  unsigned char ip[4] = {127, 0, 0, 1};
  FILE *out;

  snprintf(f->dir, sizeof(f->dir), "%s/tlsfixXXXXXX", tmp != NULL ? tmp : "/tmp");
  if (mkdtemp(f->dir) == NULL) {
    perror("mkdtemp");
    abort();
  }
  snprintf(f->ca, sizeof(f->ca), "%s/ca.pem", f->dir);
  snprintf(f->server, sizeof(f->server), "%s/server.pem", f->dir);
  snprintf(f->client, sizeof(f->client), "%s/client.pem", f->dir);
  snprintf(f->other_ca, sizeof(f->other_ca), "%s/other-ca.pem", f->dir);

  make_ca(&ca_key, &ca, "Test CA", 1);
  make_ca(&other_key, &other, "Other CA", 9);

  srv_key = new_key();
  srv = new_cert(srv_key, NULL, "localhost", 2);
  CHECK(gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_DNSNAME, "localhost",
                                             9, GNUTLS_FSAN_SET));
  CHECK(gnutls_x509_crt_set_subject_alt_name(srv, GNUTLS_SAN_IPADDRESS, ip,
                                             sizeof(ip), GNUTLS_FSAN_APPEND));
  CHECK(gnutls_x509_crt_set_key_purpose_oid(srv, GNUTLS_KP_TLS_WWW_SERVER, 0));
  CHECK(gnutls_x509_crt_sign2(srv, ca, ca_key, GNUTLS_DIG_SHA256, 0));

  cli_key = new_key();
  cli = new_cert(cli_key, "Example", "alice", 3);
  CHECK(gnutls_x509_crt_set_key_purpose_oid(cli, GNUTLS_KP_TLS_WWW_CLIENT, 0));
  CHECK(gnutls_x509_crt_sign2(cli, ca, ca_key, GNUTLS_DIG_SHA256, 0));

  out = open_file(f->ca);
  append_pem(out, ca);
  fclose(out);
  out = open_file(f->other_ca);
  append_pem(out, other);
  fclose(out);
  out = open_file(f->server);
  append_key(out, srv_key);
  append_pem(out, srv);
  append_pem(out, ca);
  fclose(out);
  out = open_file(f->client);
  append_key(out, cli_key);
  append_pem(out, cli);
  fclose(out);

  gnutls_x509_crt_deinit(ca);
  gnutls_x509_crt_deinit(other);
  gnutls_x509_crt_deinit(srv);
  gnutls_x509_crt_deinit(cli);
  gnutls_x509_privkey_deinit(ca_key);
  gnutls_x509_privkey_deinit(other_key);
  gnutls_x509_privkey_deinit(srv_key);
  gnutls_x509_privkey_deinit(cli_key);
}

void tls_fixture_remove(struct tls_fixture *f) {
  unlink(f->ca);
  unlink(f->server);
  unlink(f->client);
  unlink(f->other_ca);
  rmdir(f->dir);
}
