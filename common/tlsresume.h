/*
 * tlsresume.h: the server's TLS resumption: one issuer per process, one
 * scope per control session, one probe per data connection.
 *
 * The issuer (struct ftp_tls_issuer, kept across SIGHUP) holds the
 * session-ticket master key (GnuTLS derives rotating ticket keys from it)
 * and the record of who was issued what (tlsbind.h): every ticket a server
 * session sends and every TLS 1.2 session-cache entry it stores, under the
 * scope (struct ftp_tls_resume) of the control session it belongs to.  Any
 * of our tickets decrypts in any of our sessions; what a resumption proves
 * comes from that record:
 *   - a control connection may resume any session we issued (ordinary TLS
 *     resumption); once its handshake succeeded, the identity it resumed is
 *     recorded under its own scope too (ftp_tls_control_secured);
 *   - a data connection's handshake is watched by a probe: GnuTLS handshake
 *     hooks read the identities its ClientHello offers, and after the
 *     handshake ftp_tls_probe_verdict() judges every one of them.
 * A verdict may be PENDING: the session was issued to a control connection
 * that has not logged in yet (a client with one session cache for all its
 * connections, rclone, resumes the newest ticket it holds, which may come
 * from a connection still sending its password).  The data connection then
 * waits (ftp_tls_probe_wait) until that connection logs in, ends or fails:
 * only its login can make the session a sibling's.
 *
 * The hooks also count ServerHello and HelloRetryRequest messages, for the
 * debug log.  All of it runs on the loop thread.
 */
#ifndef FTP_TLSRESUME_H
#define FTP_TLSRESUME_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <sys/socket.h>

#include "ftp_limits.h"
#include "tlsbind.h"

struct ftp_tls_issuer;
struct ftp_tls_resume;
struct ftp_tls_probe;

/*
 * ftp_tls_issuer_new: the process-wide issuer: a fresh ticket master key
 * and an empty record.  RETURNS: 0, FTP_E_TLS, FTP_E_NOMEM.
 * ftp_tls_issuer_free: wipe the key; the record goes with its last scope.
 * No session may be created from its scopes afterwards.  Accepts NULL.
 */
int ftp_tls_issuer_new(struct ftp_tls_issuer **out);
void ftp_tls_issuer_free(struct ftp_tls_issuer *iss);

/*
 * ftp_tls_issuer_set_key: use key (len bytes, a GnuTLS master key of 64:
 * TLSTICKETKEY, shared by several instances) instead of the issuer's own
 * fresh one, before any session is made.  The previous key is wiped.
 * RETURNS: 0, FTP_E_BAD_ARG for another length, FTP_E_NOMEM.
 */
int ftp_tls_issuer_set_key(struct ftp_tls_issuer *iss, const unsigned char *key,
                           size_t len);

/* The issuer's record, for tests and metrics. */
const struct ftp_tlsbind *ftp_tls_issuer_record(const struct ftp_tls_issuer *iss);

/*
 * ftp_tls_resume_new: a fresh scope for one control session of issuer iss.
 * lifetime: TLSTIMEOUT, seconds (ticket lifetime, TLS 1.2 cache expiry).
 * RETURNS: 0, FTP_E_NOMEM.
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
 * Both may settle data connections that wait (ftp_tls_probe_wait); their
 * callbacks run from inside these calls.  See tlsbind.h.
 */
int ftp_tls_resume_set_principal(struct ftp_tls_resume *res, const char *user,
                                 int anonymous, const struct sockaddr_storage *addr);
void ftp_tls_resume_clear_principal(struct ftp_tls_resume *res);

/* ftp_tls_resume_set_peer: the control connection's client address, known
 * at once (tlsbind.h: ftp_tlsbind_scope_set_peer). */
void ftp_tls_resume_set_peer(struct ftp_tls_resume *res,
                             const struct sockaddr_storage *addr);

/*
 * ftp__tls_resume_attach: for tls.c's ftp_tls_server_session: tickets, the
 * process-wide cache and the hooks on session s, watched into probe (NULL:
 * a control connection, the scope's own).  RETURNS: 0 or a GnuTLS error.
 */
int ftp__tls_resume_attach(gnutls_session_t s, struct ftp_tls_resume *res,
                           struct ftp_tls_probe *probe);

/* --- data connections ----------------------------------------------------- */

typedef void ftp_tls_probe_cb(struct ftp_tls_probe *p, enum ftp_tlsbind_verdict v);

/*
 * What a data connection's handshake offered.  Embedded in its owner, filled
 * by this module only; zero it before ftp_tls_server_session, release it
 * with ftp_tls_probe_clear once the session is deinitialised.
 */
struct ftp_tls_probe {
  struct ftp_tls_resume *res;     /* the control session's scope, referenced */
  int data_conn;
  unsigned server_hellos;         /* ServerHello messages sent, HRR included */
  unsigned hello_retries;         /* HelloRetryRequest messages sent */
  int malformed;                  /* a ClientHello did not parse */
  /* The identities offered (SHA-256 keys), kept to judge them again. */
  struct ftp_tlsbind_key psk[FTP_TLS_PSK_IDS_MAX];
  unsigned npsk;
  int psk_more;                   /* more than we keep: judged UNKNOWN */
  struct ftp_tlsbind_key ticket;  /* TLS 1.2 ticket */
  int has_ticket;
  struct ftp_tlsbind_key sid;     /* TLS 1.2 session ID handed to GnuTLS */
  int has_sid;
  int sid_refused;                /* one of ours, refused (then: why) */
  enum ftp_tlsbind_verdict sid_verdict;
  /* After the handshake (ftp_tls_probe_verdict). */
  int judged, resumed, tls13;
  /* Waiting for a login (ftp_tls_probe_wait). */
  ftp_tls_probe_cb *wait_cb;
  struct ftp_tls_probe *wait_prev, *wait_next;
  /* Control sessions: what they resumed, recorded once the handshake
   * succeeded. */
  struct ftp_tlsbind_key adopt_psk, adopt_ticket, adopt_sid;
  unsigned char has_adopt_psk, has_adopt_ticket, has_adopt_sid;
};

/*
 * ftp_tls_probe_verdict: after a data connection's handshake: whose TLS
 * session it resumed; FTP_TLSBIND_NOT_RESUMED after a full handshake;
 * FTP_TLSBIND_PENDING while an issuer has not logged in yet.
 * Security: every identity the client offered is judged, not only the one
 * GnuTLS chose, so that the answer never depends on GnuTLS's choice.
 */
enum ftp_tlsbind_verdict ftp_tls_probe_verdict(struct ftp_tls_probe *p,
                                               gnutls_session_t s);

/*
 * ftp_tls_probe_wait: after a PENDING verdict: cb(p, verdict) once, when a
 * login, logout or end of a control session settles it (never from inside
 * this call).  The owner bounds the wait with its own timer; clearing the
 * probe cancels it.
 */
void ftp_tls_probe_wait(struct ftp_tls_probe *p, ftp_tls_probe_cb *cb);

/* ftp_tls_probe_clear: cancel a wait, drop the scope reference (after the
 * session is deinitialised).  Accepts a zeroed probe. */
void ftp_tls_probe_clear(struct ftp_tls_probe *p);

/*
 * ftp_tls_control_secured: a control connection's handshake succeeded.  If
 * it resumed one of our sessions, that session's identity is recorded under
 * this control session's scope too: the client holds it, and its data
 * connections will offer it.  A no-op for any other session.
 */
void ftp_tls_control_secured(gnutls_session_t s);

/*
 * ftp_tls_handshake_summary: "X25519, 1 ServerHello, 0 HelloRetryRequest"
 * for a server session with resumption (the counts from its hooks); the
 * group alone for any other.
 */
void ftp_tls_handshake_summary(gnutls_session_t s, char *buf, size_t n);

#endif
