/*
 * ciphers.h: the CIPHERSUITE names an FTPDATA member may code, and the
 * GnuTLS priority string built from them.
 *
 * A pure table: the z/OS SSL_* names, the IANA names of the TLS 1.2 and
 * TLS 1.3 suites we support, and the IANA names of well-known insecure suites
 * (NULL, RC4, DES, 3DES, EXPORT), which are known only so that they can be
 * refused with the reason.  No GnuTLS call is made here; the tls module feeds
 * the string to gnutls_priority_init.
 */
#ifndef FTP_CIPHERS_H
#define FTP_CIPHERS_H

#include <stddef.h>

#include "buf.h"

/* The protocol version a suite belongs to. */
enum ftp_cipher_version { FTP_CIPHER_TLS12 = 1, FTP_CIPHER_TLS13 = 2 };

/*
 * One CIPHERSUITE name.  For an accepted suite the GnuTLS priority names of
 * its parts are set (kx is NULL for TLS 1.3, where the key exchange is not
 * part of the suite); for a refused one they are NULL and refused says why.
 */
struct ftp_cipher {
  const char *name;    /* canonical spelling, upper case */
  int version;         /* enum ftp_cipher_version */
  const char *cipher;  /* "AES-128-GCM", "CHACHA20-POLY1305", ... */
  const char *mac;     /* "AEAD", "SHA1" */
  const char *kx;      /* "ECDHE-ECDSA", "ECDHE-RSA", "RSA", NULL */
  const char *refused; /* NULL, or e.g. "RC4 is insecure and refused" */
};

/*
 * ftp_cipher_find: look a name up, ignoring case.
 * RETURNS: the entry (static), or NULL for an unknown name.
 */
const struct ftp_cipher *ftp_cipher_find(const char *name);

/*
 * ftp_cipher_at: the i-th entry of the table, NULL past the end; for
 * listing every name (suggestions, documentation checks).
 */
const struct ftp_cipher *ftp_cipher_at(size_t i);

/*
 * ftp_ciphers_priority: append to out a GnuTLS priority string that enables
 * the n named suites, in that order of preference, and nothing weaker.
 *   NONE:+VERS-TLS1.3:+VERS-TLS1.2:+AES-128-GCM:...:+AEAD:...:+ECDHE-ECDSA:
 *   ...:+SIGN-ALL:+GROUP-X25519:+GROUP-ALL:+COMP-NULL:+CTYPE-X509:
 *   %SERVER_PRECEDENCE
 * Only the versions of the listed suites are enabled.  GnuTLS enables every
 * combination of the listed ciphers, MACs and key exchanges, so the result
 * may also allow a combination that was not named, but only of parts that
 * were (never a refused one).
 * With n == 0 the default is built: TLS 1.3 and 1.2, AES-128-GCM,
 * AES-256-GCM, then CHACHA20-POLY1305, ECDHE key exchange only, no CBC, no
 * RSA key exchange.
 * The string is not NUL-terminated in out; use ftp_buf_cstr.
 *
 * RETURNS: 0; FTP_E_BAD_ARG if a name is unknown or refused (out unchanged);
 * FTP_E_TOOBIG or FTP_E_NOMEM from the buffer (out may hold a prefix).
 */
int ftp_ciphers_priority(const char *const *names, size_t n,
                         struct ftp_buf *out);

#endif
