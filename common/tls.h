/*
 * tls.h: GnuTLS credentials, priorities and sessions for both programs.
 *
 * A context (struct ftp_tls_ctx) holds what every connection of a program
 * shares: the certificate and key from KEYRING, the trusted CAs from CAFILE
 * (or the system store), and the priority string built from CIPHERSUITE.  It
 * is reference counted so that ftpd can load a new one on SIGHUP while old
 * sessions finish with the old one.
 *
 * Server resumption.  An issuer (struct ftp_tls_issuer, one per server
 * process, kept across SIGHUP) holds the session-ticket master key (GnuTLS
 * derives rotating ticket keys from it) and the record of who was issued
 * what (common/tlsbind): every ticket a server session sends, every TLS 1.2
 * session-cache entry it stores, under the scope (struct ftp_tls_resume) of
 * the control session it belongs to.  Any of our tickets decrypts in any of
 * our sessions; what a resumption proves comes from that record:
 *   - a control connection may resume any session we issued (ordinary TLS
 *     resumption; the identity it resumed is recorded under its own scope
 *     too);
 *   - a data connection is created with a probe (struct ftp_tls_probe): GnuTLS
 *     handshake hooks read the identities its ClientHello offers, and after
 *     the handshake ftp_tls_probe_verdict() says whose they were: its own
 *     control session's, a sibling's (another live control session of the
 *     same user from the same address), or anything else (refused).
 * The hooks also count ServerHello and HelloRetryRequest messages, for the
 * debug log.
 *
 * Sessions come out configured (ALPN "ftp", SNI, verification, tickets) but
 * without a transport: struct ftp_chan drives them over libuv.
 */
#ifndef FTP_TLS_H
#define FTP_TLS_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <sys/socket.h>

#include "tlsbind.h"

struct ftp_tls_ctx;
struct ftp_tls_issuer;
struct ftp_tls_resume;

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
 * ftp_tls_issuer_new: the process-wide issuer: a fresh ticket master key
 * and an empty record.  RETURNS: 0, FTP_E_TLS, FTP_E_NOMEM.
 * ftp_tls_issuer_free: wipe the key, free the record (after every scope and
 * session of it is gone).  Accepts NULL.
 */
int ftp_tls_issuer_new(struct ftp_tls_issuer **out);
void ftp_tls_issuer_free(struct ftp_tls_issuer *iss);

/* The issuer's record, for tests and metrics. */
const struct ftp_tlsbind *ftp_tls_issuer_record(const struct ftp_tls_issuer *iss);

/*
 * ftp_tls_resume_new: a fresh resumption scope for one control session of
 * issuer iss.  lifetime: TLSTIMEOUT, seconds (ticket lifetime, TLS 1.2
 * cache expiry).  RETURNS: 0, FTP_E_NOMEM.
 * ftp_tls_resume_free: the control session ended: from now on nothing it
 * was issued binds a data connection.  The memory goes when the last data
 * connection probe holding it is cleared.  Accepts NULL.
 */
int ftp_tls_resume_new(struct ftp_tls_issuer *iss, struct ftp_tls_resume **out,
                       unsigned lifetime);
void ftp_tls_resume_free(struct ftp_tls_resume *res);

/*
 * ftp_tls_resume_set_principal: the control session logged in as user
 * (anonymous: any anonymous login) from the client address addr.
 * ftp_tls_resume_clear_principal: REIN, a new USER, a failed login.
 * See tlsbind.h.
 */
int ftp_tls_resume_set_principal(struct ftp_tls_resume *res, const char *user,
                                 int anonymous, const struct sockaddr_storage *addr);
void ftp_tls_resume_clear_principal(struct ftp_tls_resume *res);

/*
 * What a server session's handshake hooks saw.  Embedded in its owner (the
 * data connection) and filled by this module only; read it through the
 * functions below.  Zero it before use.
 */
struct ftp_tls_probe {
  struct ftp_tls_resume *res;     /* the control session's scope, referenced */
  int data_conn;
  unsigned server_hellos;         /* ServerHello messages sent, HRR included */
  unsigned hello_retries;         /* HelloRetryRequest messages sent */
  int malformed;                  /* a ClientHello did not parse */
  unsigned psk_offered;           /* TLS 1.3 identities judged */
  enum ftp_tlsbind_verdict psk;   /* the worst of them */
  int ticket_offered;             /* a TLS 1.2 ticket was offered */
  enum ftp_tlsbind_verdict ticket;
  int cache_offered;              /* a TLS 1.2 session ID of ours */
  enum ftp_tlsbind_verdict cache;
  /* Control sessions: what they resumed, recorded once the handshake
   * finished (a control connection holds the session it resumed). */
  struct ftp_tlsbind_key adopt_psk, adopt_ticket, adopt_sid;
  unsigned char has_adopt_psk, has_adopt_ticket, has_adopt_sid;
};

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

/*
 * ftp_tls_probe_verdict: after a data connection's handshake: whose TLS
 * session it resumed (tlsbind.h); FTP_TLSBIND_NOT_RESUMED after a full
 * handshake.  Security: it judges every identity the client offered, not
 * only the one GnuTLS chose, so that the answer never depends on GnuTLS's
 * choice among them.
 */
enum ftp_tlsbind_verdict ftp_tls_probe_verdict(const struct ftp_tls_probe *p,
                                               gnutls_session_t s);

/* ftp_tls_probe_clear: drop the scope reference (after the session is
 * deinitialised).  Accepts a zeroed probe. */
void ftp_tls_probe_clear(struct ftp_tls_probe *p);

/*
 * ftp_tls_control_secured: a control connection's handshake succeeded.  If
 * it resumed one of our sessions, that session's identity is recorded under
 * this control session's scope too: the client holds it, and its data
 * connections will offer it.  A no-op for any other session.
 */
void ftp_tls_control_secured(gnutls_session_t s);

/* ftp_tls_is_resumed: the handshake of s resumed a session (typed; never
 * from a description).  0 for NULL. */
int ftp_tls_is_resumed(gnutls_session_t s);

/*
 * ftp_tls_handshake_summary: "X25519, 1 ServerHello, 0 HelloRetryRequest"
 * for a server session (the counts from its hooks), "X25519" for a client.
 */
void ftp_tls_handshake_summary(gnutls_session_t s, char *buf, size_t n);

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
