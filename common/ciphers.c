/*
 * ciphers.c: the table of CIPHERSUITE names and the GnuTLS priority string
 * built from a list of them.
 */
#include "ciphers.h"

#include <stddef.h>

#include "err.h"

#define TLS12 FTP_CIPHER_TLS12
#define TLS13 FTP_CIPHER_TLS13

/* Security: each refused name says why, so that an administrator who copied
 * a z/OS member learns what to replace rather than just "invalid". */
#define R_NULL "the NULL cipher does not encrypt and is refused"
#define R_RC4 "RC4 is insecure and refused"
#define R_RC2 "RC2 (40-bit EXPORT) is insecure and refused"
#define R_DES "DES (56-bit key) is insecure and refused"
#define R_3DES "3DES (64-bit blocks, Sweet32) is insecure and refused"
#define R_EXPORT "EXPORT ciphers are insecure and refused"

#define OK12(name, cipher, mac, kx) {name, TLS12, cipher, mac, kx, NULL}
#define OK13(name, cipher) {name, TLS13, cipher, "AEAD", NULL, NULL}
#define BAD(name, why) {name, TLS12, NULL, NULL, NULL, why}

static const struct ftp_cipher cipher_table[] = {
  /* z/OS System SSL names (RSA key exchange). */
  BAD("SSL_NULL_MD5", R_NULL),
  BAD("SSL_NULL_SHA", R_NULL),
  BAD("SSL_RC4_MD5_EX", R_RC4),
  BAD("SSL_RC4_MD5", R_RC4),
  BAD("SSL_RC4_SHA", R_RC4),
  BAD("SSL_RC2_MD5_EX", R_RC2),
  BAD("SSL_DES_SHA", R_DES),
  BAD("SSL_3DES_SHA", R_3DES),
  OK12("SSL_AES_128_SHA", "AES-128-CBC", "SHA1", "RSA"),
  OK12("SSL_AES_256_SHA", "AES-256-CBC", "SHA1", "RSA"),

  /* TLS 1.3 (RFC 8446): the key exchange is negotiated separately. */
  OK13("TLS_AES_128_GCM_SHA256", "AES-128-GCM"),
  OK13("TLS_AES_256_GCM_SHA384", "AES-256-GCM"),
  OK13("TLS_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305"),

  /* TLS 1.2 with forward secrecy. */
  OK12("TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM", "AEAD",
       "ECDHE-ECDSA"),
  OK12("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM", "AEAD",
       "ECDHE-ECDSA"),
  OK12("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305",
       "AEAD", "ECDHE-ECDSA"),
  OK12("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "AES-128-GCM", "AEAD",
       "ECDHE-RSA"),
  OK12("TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "AES-256-GCM", "AEAD",
       "ECDHE-RSA"),
  OK12("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256", "CHACHA20-POLY1305",
       "AEAD", "ECDHE-RSA"),
  OK12("TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", "SHA1",
       "ECDHE-ECDSA"),
  OK12("TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", "SHA1",
       "ECDHE-ECDSA"),
  OK12("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", "SHA1",
       "ECDHE-RSA"),
  OK12("TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", "SHA1",
       "ECDHE-RSA"),
  /* The IANA names of SSL_AES_128_SHA and SSL_AES_256_SHA. */
  OK12("TLS_RSA_WITH_AES_128_CBC_SHA", "AES-128-CBC", "SHA1", "RSA"),
  OK12("TLS_RSA_WITH_AES_256_CBC_SHA", "AES-256-CBC", "SHA1", "RSA"),

  /* IANA names of insecure suites, refused. */
  BAD("TLS_NULL_WITH_NULL_NULL", R_NULL),
  BAD("TLS_RSA_WITH_NULL_MD5", R_NULL),
  BAD("TLS_RSA_WITH_NULL_SHA", R_NULL),
  BAD("TLS_RSA_WITH_NULL_SHA256", R_NULL),
  BAD("TLS_ECDHE_ECDSA_WITH_NULL_SHA", R_NULL),
  BAD("TLS_ECDHE_RSA_WITH_NULL_SHA", R_NULL),
  BAD("TLS_RSA_WITH_RC4_128_MD5", R_RC4),
  BAD("TLS_RSA_WITH_RC4_128_SHA", R_RC4),
  BAD("TLS_ECDHE_ECDSA_WITH_RC4_128_SHA", R_RC4),
  BAD("TLS_ECDHE_RSA_WITH_RC4_128_SHA", R_RC4),
  BAD("TLS_RSA_WITH_DES_CBC_SHA", R_DES),
  BAD("TLS_DHE_RSA_WITH_DES_CBC_SHA", R_DES),
  BAD("TLS_RSA_WITH_3DES_EDE_CBC_SHA", R_3DES),
  BAD("TLS_DHE_RSA_WITH_3DES_EDE_CBC_SHA", R_3DES),
  BAD("TLS_ECDHE_ECDSA_WITH_3DES_EDE_CBC_SHA", R_3DES),
  BAD("TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA", R_3DES),
  BAD("TLS_RSA_EXPORT_WITH_RC4_40_MD5", R_EXPORT),
  BAD("TLS_RSA_EXPORT_WITH_RC2_CBC_40_MD5", R_EXPORT),
  BAD("TLS_RSA_EXPORT_WITH_DES40_CBC_SHA", R_EXPORT),
  BAD("TLS_DHE_RSA_EXPORT_WITH_DES40_CBC_SHA", R_EXPORT),
};

#define NCIPHERS (sizeof(cipher_table) / sizeof(cipher_table[0]))

/* ASCII-only case folding: a locale (the client may set one for UTF-8 file
 * names) must not change which names match. */
static int ascii_lower(int c) {
  return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int name_eq(const char *a, const char *b) {
  while (*a != '\0' && ascii_lower((unsigned char)*a) ==
                           ascii_lower((unsigned char)*b)) {
    a++;
    b++;
  }
  return *a == '\0' && *b == '\0';
}

const struct ftp_cipher *ftp_cipher_find(const char *name) {
  size_t i;

  for (i = 0; i < NCIPHERS; i++)
    if (name_eq(name, cipher_table[i].name))
      return &cipher_table[i];
  return NULL;
}

const struct ftp_cipher *ftp_cipher_at(size_t i) {
  return i < NCIPHERS ? &cipher_table[i] : NULL;
}

/* A set of priority names in first-seen order; never more than there are
 * table rows. */
struct name_set {
  const char *v[NCIPHERS];
  size_t n;
};

static void set_add(struct name_set *s, const char *name) {
  size_t i;

  if (name == NULL)
    return;
  for (i = 0; i < s->n; i++)
    if (s->v[i] == name || name_eq(s->v[i], name))
      return;
  s->v[s->n++] = name;
}

static int put_set(struct ftp_buf *out, const struct name_set *s) {
  size_t i;
  int r;

  for (i = 0; i < s->n; i++)
    if ((r = ftp_buf_putf(out, ":+%s", s->v[i])) != 0)
      return r;
  return 0;
}

/* Why these parts: SIGN-ALL leaves the signature choice to GnuTLS's own
 * (current) defaults; COMP-NULL because TLS compression leaks plaintext
 * (CRIME); %SERVER_PRECEDENCE so that the server's order, which is the
 * administrator's CIPHERSUITE order, wins.
 * Groups: X25519 first, then GROUP-ALL (GnuTLS's own order, duplicates
 * dropped: P-256, P-384, P-521, X448, FFDHE).  GnuTLS 3.7 applies
 * %SERVER_PRECEDENCE to groups too: it picks the first of our groups that
 * the client lists in supported_groups, and answers with a
 * HelloRetryRequest when the client sent no key share for it.  OpenSSL 3
 * (curl, Python, Node) and Go send one key share, X25519; GnuTLS clients
 * (lftp, gnutls-cli) send P-256 and X25519.  With X25519 first none of them
 * costs a round trip, and Go 1.19/1.20 never meet their PSK binder bug after
 * a HelloRetryRequest (golang/go#59424). */
#define PRIORITY_TAIL                                                         \
  ":+SIGN-ALL:+GROUP-X25519:+GROUP-ALL:+COMP-NULL:+CTYPE-X509"                \
  ":%SERVER_PRECEDENCE"

/* AES-GCM before ChaCha20: with AES-NI, AES-GCM is several times faster, and
 * ChaCha20 stays available for peers without it.  ECDHE only, for forward
 * secrecy; no CBC (padding-oracle history) and no RSA key exchange. */
#define PRIORITY_DEFAULT                                                      \
  "NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-128-GCM:+AES-256-GCM"                  \
  ":+CHACHA20-POLY1305:+AEAD:+ECDHE-ECDSA:+ECDHE-RSA" PRIORITY_TAIL

int ftp_ciphers_priority(const char *const *names, size_t n,
                         struct ftp_buf *out) {
  struct name_set ciphers = {{0}, 0}, macs = {{0}, 0}, kxs = {{0}, 0};
  const struct ftp_cipher *e;
  int versions = 0, r;
  size_t i;

  if (n == 0)
    return ftp_buf_puts(out, PRIORITY_DEFAULT);
  /* Check every name before writing anything. */
  for (i = 0; i < n; i++) {
    e = ftp_cipher_find(names[i]);
    if (e == NULL || e->refused != NULL)
      return FTP_E_BAD_ARG;
    versions |= e->version;
    set_add(&ciphers, e->cipher);
    set_add(&macs, e->mac);
    set_add(&kxs, e->kx);
  }
  if ((r = ftp_buf_puts(out, "NONE")) != 0 ||
      ((versions & TLS13) && (r = ftp_buf_puts(out, ":+VERS-TLS1.3")) != 0) ||
      ((versions & TLS12) && (r = ftp_buf_puts(out, ":+VERS-TLS1.2")) != 0) ||
      (r = put_set(out, &ciphers)) != 0 || (r = put_set(out, &macs)) != 0 ||
      (r = put_set(out, &kxs)) != 0 ||
      (r = ftp_buf_puts(out, PRIORITY_TAIL)) != 0)
    return r;
  return 0;
}
