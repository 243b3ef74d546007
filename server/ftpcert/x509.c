/*
 * x509.c: make keys and certificates, export them as PEM and PKCS#12.
 */
#include "x509.h"

#include <gnutls/crypto.h>
#include <gnutls/pkcs12.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "files.h"
#include "names.h"

#define SERIAL_BYTES 16
#define BACKDATE_SECS 3600

int ftpcert_key_new(gnutls_x509_privkey_t *key) {
  int g;

  if ((g = gnutls_x509_privkey_init(key)) < 0)
    return g;
  g = gnutls_x509_privkey_generate2(*key, GNUTLS_PK_ECDSA,
                                    GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
                                    0, NULL, 0);
  if (g < 0) {
    gnutls_x509_privkey_deinit(*key);
    *key = NULL;
  }
  return g;
}

static int set_serial(gnutls_x509_crt_t crt) {
  unsigned char serial[SERIAL_BYTES];
  int g;

  if ((g = gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial))) < 0)
    return g;
  /* RFC 5280 section 4.1.2.2: a positive integer, no leading zero byte. */
  serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x40);
  return gnutls_x509_crt_set_serial(crt, serial, sizeof(serial));
}

static int set_names(gnutls_x509_crt_t crt, const struct ftpcert_req *req) {
  unsigned char ip[16];
  size_t iplen;
  unsigned i;
  int g = 0;

  for (i = 0; i < req->nnames && g >= 0; i++) {
    switch (ftpcert_name_classify(req->names[i], ip, &iplen)) {
    case FTPCERT_NAME_IP:
      g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip,
                                               (unsigned)iplen, GNUTLS_FSAN_APPEND);
      break;
    case FTPCERT_NAME_DNS:
      g = gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, req->names[i],
                                               (unsigned)strlen(req->names[i]),
                                               GNUTLS_FSAN_APPEND);
      break;
    default:
      g = GNUTLS_E_INVALID_REQUEST; /* main.c checked every name before */
    }
  }
  return g;
}

/* Basic constraints, key usage and extended key usage of each kind. */
static int set_usage(gnutls_x509_crt_t crt, const struct ftpcert_req *req) {
  int g;

  if (req->kind == FTPCERT_CA) {
    if ((g = gnutls_x509_crt_set_basic_constraints(crt, 1, 0)) < 0)
      return g;
    return gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN |
                                                  GNUTLS_KEY_CRL_SIGN);
  }
  if ((g = gnutls_x509_crt_set_basic_constraints(crt, 0, -1)) < 0 ||
      (g = gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE)) < 0)
    return g;
  if (req->kind == FTPCERT_SERVER) {
    if ((g = gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0)) < 0)
      return g;
    return set_names(crt, req);
  }
  return gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0);
}

static int set_key_id(gnutls_x509_crt_t crt) {
  unsigned char id[64];
  size_t len = sizeof(id);
  int g;

  if ((g = gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA1, id, &len)) < 0)
    return g;
  return gnutls_x509_crt_set_subject_key_id(crt, id, len);
}

int ftpcert_cert_new(const struct ftpcert_req *req, gnutls_x509_privkey_t key,
                     const struct ftpcert_issuer *is, gnutls_x509_crt_t *out) {
  gnutls_x509_crt_t crt;
  time_t now = time(NULL);
  int g;

  *out = NULL;
  if ((g = gnutls_x509_crt_init(&crt)) < 0)
    return g;
  if ((g = gnutls_x509_crt_set_version(crt, 3)) < 0 || (g = set_serial(crt)) < 0 ||
      (g = gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, req->cn,
                                         (unsigned)strlen(req->cn))) < 0 ||
      (g = gnutls_x509_crt_set_key(crt, key)) < 0 ||
      (g = gnutls_x509_crt_set_activation_time(crt, now - BACKDATE_SECS)) < 0 ||
      (g = gnutls_x509_crt_set_expiration_time(crt, now + (time_t)req->days * 86400)) < 0 ||
      (g = set_usage(crt, req)) < 0 || (g = set_key_id(crt)) < 0)
    goto out;
  if (is->crt != NULL)
    g = gnutls_x509_crt_sign2(crt, is->crt, is->key, GNUTLS_DIG_SHA256, 0);
  else
    g = gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0);
out:
  if (g < 0)
    gnutls_x509_crt_deinit(crt);
  else
    *out = crt;
  return g < 0 ? g : 0;
}

int ftpcert_pem_append(gnutls_datum_t *out, gnutls_x509_privkey_t key,
                       gnutls_x509_crt_t crt) {
  gnutls_datum_t pem = {NULL, 0};
  unsigned char *grown;
  int g;

  /* PKCS#8, unencrypted ("BEGIN PRIVATE KEY"): what every TLS library
   * reads; the file's mode protects it. */
  g = key != NULL ? gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL,
                                                      GNUTLS_PKCS_PLAIN, &pem)
                  : gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &pem);
  if (g < 0)
    return g;
  if ((grown = gnutls_realloc(out->data, out->size + pem.size + 1)) == NULL) {
    g = GNUTLS_E_MEMORY_ERROR;
  } else {
    memcpy(grown + out->size, pem.data, pem.size);
    out->data = grown;
    out->size += pem.size;
    out->data[out->size] = 0;
  }
  gnutls_memset(pem.data, 0, pem.size);
  gnutls_free(pem.data);
  return g < 0 ? g : 0;
}

static int cert_bag(gnutls_pkcs12_t p12, gnutls_x509_crt_t crt, gnutls_x509_crt_t ca,
                    const gnutls_datum_t *id, const char *name, const char *password) {
  gnutls_pkcs12_bag_t bag;
  int g, idx;

  if ((g = gnutls_pkcs12_bag_init(&bag)) < 0)
    return g;
  if ((g = idx = gnutls_pkcs12_bag_set_crt(bag, crt)) < 0 ||
      (g = gnutls_pkcs12_bag_set_key_id(bag, (unsigned)idx, id)) < 0 ||
      (g = gnutls_pkcs12_bag_set_friendly_name(bag, (unsigned)idx, name)) < 0 ||
      (ca != NULL && (g = gnutls_pkcs12_bag_set_crt(bag, ca)) < 0) ||
      (g = gnutls_pkcs12_bag_encrypt(bag, password, GNUTLS_PKCS_PBES2_AES_256)) < 0)
    goto out;
  g = gnutls_pkcs12_set_bag(p12, bag);
out:
  gnutls_pkcs12_bag_deinit(bag);
  return g;
}

static int key_bag(gnutls_pkcs12_t p12, gnutls_x509_privkey_t key,
                   const gnutls_datum_t *id, const char *name, const char *password) {
  gnutls_pkcs12_bag_t bag;
  gnutls_datum_t der = {NULL, 0};
  int g, idx;

  if ((g = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_DER, password,
                                             GNUTLS_PKCS_PBES2_AES_256, &der)) < 0)
    return g;
  if ((g = gnutls_pkcs12_bag_init(&bag)) < 0)
    goto out;
  if ((g = idx = gnutls_pkcs12_bag_set_data(bag, GNUTLS_BAG_PKCS8_ENCRYPTED_KEY, &der)) >= 0 &&
      (g = gnutls_pkcs12_bag_set_key_id(bag, (unsigned)idx, id)) >= 0 &&
      (g = gnutls_pkcs12_bag_set_friendly_name(bag, (unsigned)idx, name)) >= 0)
    g = gnutls_pkcs12_set_bag(p12, bag);
  gnutls_pkcs12_bag_deinit(bag);
out:
  gnutls_memset(der.data, 0, der.size);
  gnutls_free(der.data);
  return g;
}

int ftpcert_pkcs12(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt,
                   gnutls_x509_crt_t ca, const char *name, const char *password,
                   gnutls_datum_t *out) {
  gnutls_pkcs12_t p12;
  unsigned char idbuf[64];
  size_t idlen = sizeof(idbuf);
  gnutls_datum_t id;
  int g;

  out->data = NULL;
  out->size = 0;
  /* The key ID ties the key to its certificate inside the file. */
  if ((g = gnutls_x509_crt_get_key_id(crt, 0, idbuf, &idlen)) < 0)
    return g;
  id.data = idbuf;
  id.size = (unsigned)idlen;
  if ((g = gnutls_pkcs12_init(&p12)) < 0)
    return g;
  if ((g = cert_bag(p12, crt, ca, &id, name, password)) >= 0 &&
      (g = key_bag(p12, key, &id, name, password)) >= 0 &&
      (g = gnutls_pkcs12_generate_mac2(p12, GNUTLS_MAC_SHA256, password)) >= 0)
    g = gnutls_pkcs12_export2(p12, GNUTLS_X509_FMT_DER, out);
  gnutls_pkcs12_deinit(p12);
  return g < 0 ? g : 0;
}

int ftpcert_load_ca(const char *dir, struct ftpcert_issuer *is) {
  char crt_path[4096], key_path[4096];
  gnutls_datum_t crt = {NULL, 0}, key = {NULL, 0};
  int r, g = 0;

  is->crt = NULL;
  is->key = NULL;
  if (ftpcert_path(crt_path, sizeof(crt_path), dir, "ca.pem") != 0 ||
      ftpcert_path(key_path, sizeof(key_path), dir, "ca-key.pem") != 0)
    return FTPCERT_EXIT_USAGE;
  if ((r = ftpcert_read(crt_path, &crt)) != 0 || (r = ftpcert_read(key_path, &key)) != 0)
    goto out;
  if ((g = gnutls_x509_crt_init(&is->crt)) < 0 ||
      (g = gnutls_x509_crt_import(is->crt, &crt, GNUTLS_X509_FMT_PEM)) < 0)
    fprintf(stderr, "ftpcert: %s: %s\n", crt_path, gnutls_strerror(g));
  else if ((g = gnutls_x509_privkey_init(&is->key)) < 0 ||
           (g = gnutls_x509_privkey_import2(is->key, &key, GNUTLS_X509_FMT_PEM, NULL,
                                            0)) < 0)
    fprintf(stderr, "ftpcert: %s: %s\n", key_path, gnutls_strerror(g));
  r = g < 0 ? FTPCERT_EXIT_ERROR : FTPCERT_EXIT_OK;
out:
  ftpcert_datum_free(&crt);
  ftpcert_datum_free(&key);
  if (r != 0)
    ftpcert_issuer_free(is);
  return r;
}

void ftpcert_issuer_free(struct ftpcert_issuer *is) {
  if (is->crt != NULL)
    gnutls_x509_crt_deinit(is->crt);
  if (is->key != NULL)
    gnutls_x509_privkey_deinit(is->key);
  is->crt = NULL;
  is->key = NULL;
}
