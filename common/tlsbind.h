/*
 * tlsbind.h: who was issued which TLS session: the record that binds a data
 * connection to the control sessions of one client.
 *
 * One registry per server process.  Every control session is a scope in it;
 * everything that lets a client resume a TLS session later (a session
 * ticket, TLS 1.2 or 1.3; a TLS 1.2 session-cache entry) is recorded under
 * the scope that received it, keyed by the SHA-256 of its identity bytes (the
 * ticket, or the session ID).  A scope has a principal once its control
 * session has logged in: the user name and the client's address.
 *
 * A data connection resumes a TLS session; which scope issued it decides
 * whether that proves anything (ftp_tlsbind_judge):
 *   - the data connection's own control session: yes (the classic binding);
 *   - another live scope with an equal principal (same user, same client
 *     address): yes.  The client on the data connection holds the secret of
 *     a TLS session that we gave to a control connection that is logged in,
 *     now, as that user, from that address: it is that user's client.  This
 *     is what multi-connection clients (rclone) need;
 *   - another live scope that has not logged in yet: not yet (PENDING): its
 *     first login decides;
 *   - anything else, or no scope (a session of an ended control connection,
 *     one evicted from the record, one this process never issued): no.
 * When a scope ends its records go with it, at once.
 *
 * Memory: per scope the newest FTP_TLS_TICKETS_PER_SCOPE tickets and
 * FTP_TLS_CACHE_PER_SCOPE cache entries (with their session data); a hash
 * table over all records.  No I/O; the hash is GnuTLS's SHA-256.  Single
 * threaded: the loop thread only.
 */
#ifndef FTP_TLSBIND_H
#define FTP_TLSBIND_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

struct ftp_tlsbind;
struct ftp_tlsbind_scope;

/* What identity bytes are: a ticket or a TLS 1.2 session ID. */
enum ftp_tlsbind_kind { FTP_TLSBIND_TICKET, FTP_TLSBIND_SESSION_ID };

/*
 * The verdict on a data connection's TLS session, for SECURE_SESSION_REUSE
 * REQUIRED.  The first two accept; the others refuse, each for a reason
 * that goes into the log and the 522 reply.  Ordered: when several
 * identities were offered, the highest verdict among them stands.
 */
enum ftp_tlsbind_verdict {
  FTP_TLSBIND_OWN = 0,        /* issued to this control session */
  FTP_TLSBIND_SIBLING,        /* to another live one, same user and address */
  FTP_TLSBIND_PENDING,        /* to one that has not logged in yet */
  FTP_TLSBIND_OTHER_ADDRESS,  /* to a control session from another address */
  FTP_TLSBIND_OTHER_USER,     /* to one of another user, or not logged in */
  FTP_TLSBIND_UNKNOWN,        /* to no live control session of this process */
  FTP_TLSBIND_NOT_RESUMED     /* a full handshake: nothing was resumed */
};

/* 1 for FTP_TLSBIND_OWN and FTP_TLSBIND_SIBLING. */
int ftp_tlsbind_accepts(enum ftp_tlsbind_verdict v);

/* The worse (higher) of two verdicts. */
enum ftp_tlsbind_verdict ftp_tlsbind_worse(enum ftp_tlsbind_verdict a,
                                           enum ftp_tlsbind_verdict b);

/* "its TLS session was issued to another user's control connection", ...
 * (static), for logs. */
const char *ftp_tlsbind_verdict_text(enum ftp_tlsbind_verdict v);

/*
 * ftp_tlsbind_verdict_error: the error a refusal reports (FTP_E_TLS_*,
 * each with its 522 reply text in err.c); 0 for an acceptance.  PENDING,
 * when it must be decided (the wait timed out), is refused as another
 * user's.
 */
int ftp_tlsbind_verdict_error(enum ftp_tlsbind_verdict v);

/* An identity as the registry keys it: the SHA-256 of its bytes. */
#define FTP_TLSBIND_KEY_LEN 32
struct ftp_tlsbind_key {
  unsigned char b[FTP_TLSBIND_KEY_LEN];
};

/* ftp_tlsbind_key_of: the key of identity id (n bytes).
 * RETURNS: 0; UV_EINVAL for an empty identity; FTP_E_TLS if hashing failed. */
int ftp_tlsbind_key_of(const void *id, size_t n, struct ftp_tlsbind_key *key);

/* --- the registry ------------------------------------------------------- */

/* RETURNS: 0 or FTP_E_NOMEM. */
int ftp_tlsbind_new(struct ftp_tlsbind **out);

/* Free the registry; with scopes still in it, the memory goes with the
 * last of them (ftp_tlsbind_scope_free).  Accepts NULL. */
void ftp_tlsbind_free(struct ftp_tlsbind *b);

/*
 * ftp_tlsbind_on_change: cb(arg) after every change that may turn a PENDING
 * verdict into another (a principal set or cleared, a login refused, a
 * scope ended); cb NULL for none.  cb may call anything here but
 * ftp_tlsbind_free.
 */
typedef void ftp_tlsbind_change_cb(void *arg);
void ftp_tlsbind_on_change(struct ftp_tlsbind *b, ftp_tlsbind_change_cb *cb, void *arg);

/* Live scopes and records, for tests and metrics. */
size_t ftp_tlsbind_scopes(const struct ftp_tlsbind *b);
size_t ftp_tlsbind_records(const struct ftp_tlsbind *b);

/* --- scopes ------------------------------------------------------------- */

/*
 * ftp_tlsbind_scope_new: a new live scope without principal.  Its serial
 * (ftp_tlsbind_scope_serial) is unique for the registry's life, for logs.
 * RETURNS: 0 or FTP_E_NOMEM.
 */
int ftp_tlsbind_scope_new(struct ftp_tlsbind *b, struct ftp_tlsbind_scope **out);

/*
 * ftp_tlsbind_scope_end: the control session is over.  Its records are
 * dropped (their identities map to nothing from now on) and it is no longer
 * live; the memory stays until ftp_tlsbind_scope_free, so that a data
 * connection still holding the scope can be judged (UNKNOWN) safely.
 * Idempotent.
 */
void ftp_tlsbind_scope_end(struct ftp_tlsbind_scope *sc);

/* End (if needed) and free.  Accepts NULL. */
void ftp_tlsbind_scope_free(struct ftp_tlsbind_scope *sc);

int ftp_tlsbind_scope_live(const struct ftp_tlsbind_scope *sc);
unsigned long ftp_tlsbind_scope_serial(const struct ftp_tlsbind_scope *sc);

/*
 * ftp_tlsbind_scope_set_principal: the control session logged in: user (the
 * name it logged in with; anonymous sessions compare equal to each other
 * whatever name they gave) from addr (the client's address; its port is
 * ignored).  A name longer than FTP_USER_MAX is refused (FTP_E_TOOBIG) and
 * leaves the scope without principal.
 * ftp_tlsbind_scope_clear_principal: REIN, a new USER: no principal, so
 * that no other scope accepts this one's sessions until it logs in again.
 */
int ftp_tlsbind_scope_set_principal(struct ftp_tlsbind_scope *sc, const char *user,
                                    int anonymous,
                                    const struct sockaddr_storage *addr);
void ftp_tlsbind_scope_clear_principal(struct ftp_tlsbind_scope *sc);

/*
 * ftp_tlsbind_scope_set_peer: the client address of the scope's control
 * connection, known before any login: a scope that has not logged in yet
 * and comes from another address than a data connection's is refused at
 * once (OTHER_ADDRESS) rather than waited for.
 */
void ftp_tlsbind_scope_set_peer(struct ftp_tlsbind_scope *sc,
                                const struct sockaddr_storage *addr);

/* --- records ------------------------------------------------------------ */

/*
 * ftp_tlsbind_record: remember that the scope was issued the identity of
 * key, of kind.  The scope's oldest record of that kind is dropped when
 * its quota is full; a record of the same identity already in this scope
 * is replaced.  data (len bytes, may be NULL): the TLS 1.2 session data of
 * a session-ID record, copied; expires: when it stops resuming (0: never,
 * for tickets, whose lifetime GnuTLS enforces).  An identity may be recorded
 * in several scopes (a control connection that resumed another's session
 * holds it too).
 * RETURNS: 0; UV_EINVAL for a scope that ended; FTP_E_NOMEM (nothing
 * recorded).
 */
int ftp_tlsbind_record(struct ftp_tlsbind_scope *sc, enum ftp_tlsbind_kind kind,
                       const struct ftp_tlsbind_key *key, const void *data,
                       size_t len, time_t expires);

/*
 * ftp_tlsbind_judge: the verdict on the identity of key offered by a data
 * connection of scope own: the best over every live scope holding it (OWN, SIBLING,
 * or why not); UNKNOWN when no live scope holds it or own has ended.
 * found: receives the record's session data (TLS 1.2 cache), valid until
 * the registry changes, or NULL/0; may be NULL.  Only a record whose
 * verdict accepts, and that has not expired at now, yields its data.
 */
struct ftp_tlsbind_found {
  const void *data;
  size_t len;
  time_t expires;
};
enum ftp_tlsbind_verdict ftp_tlsbind_judge(const struct ftp_tlsbind_scope *own,
                                           enum ftp_tlsbind_kind kind,
                                           const struct ftp_tlsbind_key *key,
                                           time_t now, struct ftp_tlsbind_found *found);

/*
 * ftp_tlsbind_lookup: any live record of the identity of key (the control
 * connection may resume whatever this process issued): its data as above,
 * when not expired at now.  RETURNS: 1 found, 0 not.
 */
int ftp_tlsbind_lookup(const struct ftp_tlsbind *b, enum ftp_tlsbind_kind kind,
                       const struct ftp_tlsbind_key *key, time_t now,
                       struct ftp_tlsbind_found *found);

/* The registry a scope belongs to. */
struct ftp_tlsbind *ftp_tlsbind_of(const struct ftp_tlsbind_scope *sc);

#endif
