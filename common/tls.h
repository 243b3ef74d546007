/*
 * tls.h: GnuTLS credentials, priorities and sessions for both programs.
 *
 * A context (struct ftp_tls_ctx) holds what every connection of a program
 * shares: the certificate and key from KEYRING, the trusted CAs from CAFILE
 * (or the system store), and the priority string built from CIPHERSUITE.  It
 * is reference counted so that ftpd can load a new one on SIGHUP while old
 * sessions finish with the old one.
 *
 * Server resumption (the issuer, one scope per control session, one probe
 * per data connection, and whose sessions a data connection may resume) is
 * tlsresume.h's; this module only attaches it to the sessions it makes.
 *
 * Sessions come out configured (ALPN "ftp", SNI, verification, tickets) but
 * without a transport: struct ftp_chan drives them over libuv.
 */
#ifndef FTP_TLS_H
#define FTP_TLS_H

#include <gnutls/gnutls.h>
#include <stddef.h>

#include "tlsresume.h"

struct ftp_tls_ctx;

struct ftp_tls_config {
  int server;                   /* 1: ftpd, 0: ftp */
  const char *keyring;          /* PEM (key and chain) or PKCS#12 (.p12/.pfx,
                                 * password in $FTP_KEYRING_PASSWORD); may be
                                 * NULL */
  const char *key_file;         /* client --key: private key apart from keyring */
  const char *cafile;           /* trusted CAs; NULL: system store (client) */
  const char *const *ciphers;   /* CIPHERSUITE names, preference order */
  size_t nciphers;
  int request_client_cert;      /* server: SECURE_LOGIN is not NO_CLIENT_AUTH */
  unsigned session_lifetime;    /* TLSTIMEOUT, seconds */
};

/*
 * ftp_tls_ctx_new: load credentials and priorities.
 * PARAMETERS: cfg; out receives the context (one reference); err/errlen
 * receive one human-readable line on failure, naming the file at fault.
 * RETURNS: 0, FTP_E_TLS (credentials or priorities refused), FTP_E_NOMEM.
 */
int ftp_tls_ctx_new(const struct ftp_tls_config *cfg, struct ftp_tls_ctx **out,
                    char *err, size_t errlen);
struct ftp_tls_ctx *ftp_tls_ctx_ref(struct ftp_tls_ctx *ctx);
void ftp_tls_ctx_unref(struct ftp_tls_ctx *ctx); /* accepts NULL */

/* ftp_tls_ctx_has_cert: a certificate was loaded (AUTH without one is 431). */
int ftp_tls_ctx_has_cert(const struct ftp_tls_ctx *ctx);

/*
 * ftp_tls_server_session: a server-side session in scope res (NULL: no
 * resumption at all).
 * probe NULL: a control connection.  It sends TLS 1.3 tickets after its
 * handshake and may resume any session of the issuer.
 * probe non-NULL: a data connection.  It never sends TLS 1.3 tickets (a
 * ticket written on an upload connection that the client never reads makes
 * the client's close reset the connection and lose the upload's tail); its
 * handshake is watched into *probe, which must stay in place until the
 * session is deinitialised, and then be released with ftp_tls_probe_clear.
 * RETURNS: 0 or FTP_E_TLS / FTP_E_NOMEM; the session is the caller's.
 */
int ftp_tls_server_session(struct ftp_tls_ctx *ctx, struct ftp_tls_resume *res,
                           struct ftp_tls_probe *probe, gnutls_session_t *out);

/* ftp_tls_is_resumed: the handshake of s resumed a session (typed; never
 * from a description).  0 for NULL. */
int ftp_tls_is_resumed(gnutls_session_t s);

/*
 * ftp_tls_client_session: a client-side session.
 * host: the name the user connected to: SNI (never an IP literal, RFC 6066)
 * and the name checked against the certificate when verify_host.
 * verify: 0 skips certificate verification entirely (--insecure).
 * resume_from: the control session whose TLS session a data connection
 * resumes, or NULL.  Under TLS 1.3 its data is used only once a ticket has
 * arrived (GNUTLS_SFLAGS_SESSION_TICKET), so this never blocks.
 */
int ftp_tls_client_session(struct ftp_tls_ctx *ctx, const char *host,
                           int verify, int verify_host,
                           gnutls_session_t resume_from, gnutls_session_t *out);

/*
 * ftp_tls_check_alpn: client side, after the handshake: a server that
 * selected an ALPN protocol other than "ftp" is refused (ALPACA).
 * RETURNS: 0 or FTP_E_TLS.
 */
int ftp_tls_check_alpn(gnutls_session_t s);

/*
 * ftp_tls_send_ticket: server, TLS 1.3 only: send one fresh session ticket on
 * the control connection, so that the client's next data connection can
 * resume even when it uses tickets once only or the first one expired.
 * A no-op under TLS 1.2.  RETURNS: 0 or FTP_E_TLS.
 */
int ftp_tls_send_ticket(gnutls_session_t s);

/*
 * ftp_tls_peer_cert_id: SHA-256 fingerprint and subject DN of the peer's
 * certificate.  dn may be NULL.
 * RETURNS: 0, UV_ENOENT when the peer sent none, FTP_E_TLS.
 */
int ftp_tls_peer_cert_id(gnutls_session_t s, unsigned char sha256[32],
                         char *dn, size_t dnlen);

/*
 * ftp_tls_peer_verified: server side: the peer's certificate chains to a
 * CAFILE CA (and is in date).  RETURNS: 1, 0 (no certificate or not
 * trusted); why in *why when not NULL.
 */
int ftp_tls_peer_verified(gnutls_session_t s, const char **why);

/*
 * ftp_tls_verify_error: client side, after a failed handshake: one line
 * saying why the server's certificate was refused, into buf.
 */
void ftp_tls_verify_error(gnutls_session_t s, char *buf, size_t n);

/*
 * ftp_tls_describe: "TLSv1.3 AES-128-GCM, resumed" for logs.
 */
void ftp_tls_describe(gnutls_session_t s, char *buf, size_t n);

/* ftp_tls_version_name: "TLS1.3" etc. */
const char *ftp_tls_version_name(gnutls_session_t s);

#endif
