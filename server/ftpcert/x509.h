/*
 * x509.h: keys and certificates for ftpcert, on GnuTLS's x509 API.
 *
 * Every key is ECDSA on P-256: small, fast, accepted by every TLS peer of
 * FTP (curl, lftp, FileZilla, OpenSSL and GnuTLS clients).  Certificates
 * are X.509 v3 with a 128-bit random serial, valid from an hour ago (a
 * client whose clock is a little behind still accepts them) for the given
 * number of days, signed with SHA-256.
 */
#ifndef FTPCERT_X509_H
#define FTPCERT_X509_H

#include <gnutls/x509.h>

/* What a certificate is for. */
enum ftpcert_kind {
  FTPCERT_CA,       /* CA:TRUE, path length 0, signs certificates */
  FTPCERT_SERVER,   /* TLS server (serverAuth), names as SANs */
  FTPCERT_CLIENT    /* TLS client (clientAuth) */
};

/* A certificate to make. */
struct ftpcert_req {
  enum ftpcert_kind kind;
  const char *cn;                 /* subject CN */
  const char *const *names;       /* FTPCERT_SERVER: DNS names and IPs */
  unsigned nnames;
  unsigned days;
};

/* An issuer: the CA's certificate and key (NULL, NULL: self-signed). */
struct ftpcert_issuer {
  gnutls_x509_crt_t crt;
  gnutls_x509_privkey_t key;
};

/*
 * ftpcert_key_new: a fresh ECDSA P-256 key.  RETURNS: 0 or a GnuTLS error.
 */
int ftpcert_key_new(gnutls_x509_privkey_t *key);

/*
 * ftpcert_cert_new: make and sign the certificate req describes for key,
 * issued by is (or self-signed when is->crt is NULL).
 * RETURNS: 0 or a GnuTLS error; *out is the caller's (gnutls_x509_crt_deinit).
 */
int ftpcert_cert_new(const struct ftpcert_req *req, gnutls_x509_privkey_t key,
                     const struct ftpcert_issuer *is, gnutls_x509_crt_t *out);

/*
 * ftpcert_pem: append the PEM of a key (crt NULL) or certificate (key NULL)
 * to *out (a gnutls_malloc'd buffer, grown; start with {NULL, 0}).
 * RETURNS: 0 or a GnuTLS error.
 */
int ftpcert_pem_append(gnutls_datum_t *out, gnutls_x509_privkey_t key,
                       gnutls_x509_crt_t crt);

/*
 * ftpcert_pkcs12: a PKCS#12 file (DER) holding key, crt and the CA
 * certificate ca (may be NULL), encrypted with password (AES-256, PBES2)
 * and MACed with SHA-256; friendly name: name.
 * RETURNS: 0 or a GnuTLS error; *out is gnutls_malloc'd.
 */
int ftpcert_pkcs12(gnutls_x509_privkey_t key, gnutls_x509_crt_t crt,
                   gnutls_x509_crt_t ca, const char *name, const char *password,
                   gnutls_datum_t *out);

/*
 * ftpcert_load_ca: read DIR/ca.pem and DIR/ca-key.pem (ftpcert ca).
 * RETURNS: an enum ftpcert_exit (files.h); the error is on stderr.
 */
int ftpcert_load_ca(const char *dir, struct ftpcert_issuer *is);
void ftpcert_issuer_free(struct ftpcert_issuer *is);

#endif
