/*
 * tlsbind.c: the registry of issued TLS sessions: scopes, principals, and
 * a hash table from identity to the scopes that hold it.
 *
 * Records live in fixed rings inside their scope (no allocation per ticket
 * but the TLS 1.2 session data), and are chained into the registry's
 * buckets.  The bucket index comes from the SHA-256 of the identity: keys
 * are uniformly spread, and what a client offers only ever reads the table.
 */
#include "tlsbind.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "addr.h"
#include "err.h"
#include "ftp_limits.h"

#define KEY_LEN FTP_TLSBIND_KEY_LEN

struct rec {
  struct rec *next;               /* bucket chain */
  struct ftp_tlsbind_scope *scope;
  unsigned char key[KEY_LEN];     /* SHA-256 of the identity */
  unsigned char kind;
  unsigned char used;
  unsigned char *data;            /* session-ID records: the session */
  size_t len;
  time_t expires;
};

struct ftp_tlsbind_scope {
  struct ftp_tlsbind *bind;
  struct ftp_tlsbind_scope *prev, *next;
  unsigned long serial;
  int live;
  int logged_in_once;             /* a principal was set at least once */
  int has_principal;
  int anonymous;
  char user[FTP_USER_MAX + 1];
  struct sockaddr_storage addr;   /* the principal's */
  struct sockaddr_storage peer;   /* the control connection's, from the start */
  int has_peer;
  unsigned next_ticket, next_cache;
  struct rec tickets[FTP_TLS_TICKETS_PER_SCOPE];
  struct rec cache[FTP_TLS_CACHE_PER_SCOPE];
};

struct ftp_tlsbind {
  struct rec **buckets;
  size_t nbuckets;                /* a power of two */
  size_t nrecords;
  size_t nscopes;
  unsigned long serial;
  struct ftp_tlsbind_scope *scopes; /* every scope not yet freed */
  int freed;                      /* freed by its owner: goes with the last scope */
  ftp_tlsbind_change_cb *on_change;
  void *on_change_arg;
};

static void changed(struct ftp_tlsbind *b) {
  if (b->on_change != NULL)
    b->on_change(b->on_change_arg);
}

void ftp_tlsbind_on_change(struct ftp_tlsbind *b, ftp_tlsbind_change_cb *cb, void *arg) {
  b->on_change = cb;
  b->on_change_arg = arg;
}

/* --- verdicts ------------------------------------------------------------- */

int ftp_tlsbind_accepts(enum ftp_tlsbind_verdict v) {
  return v == FTP_TLSBIND_OWN || v == FTP_TLSBIND_SIBLING;
}

enum ftp_tlsbind_verdict ftp_tlsbind_worse(enum ftp_tlsbind_verdict a,
                                           enum ftp_tlsbind_verdict b) {
  return a > b ? a : b;
}

const char *ftp_tlsbind_verdict_text(enum ftp_tlsbind_verdict v) {
  switch (v) {
  case FTP_TLSBIND_OWN:
    return "its TLS session was issued to its own control connection";
  case FTP_TLSBIND_SIBLING:
    return "its TLS session was issued to another control connection of the "
           "same user from the same address";
  case FTP_TLSBIND_PENDING:
    return "its TLS session was issued to a control connection that has not "
           "logged in";
  case FTP_TLSBIND_OTHER_ADDRESS:
    return "its TLS session was issued to a control connection from another "
           "address";
  case FTP_TLSBIND_OTHER_USER:
    return "its TLS session was issued to another user's control connection "
           "(or one not logged in)";
  case FTP_TLSBIND_UNKNOWN:
    return "its TLS session was not issued to a live control connection of "
           "this server";
  case FTP_TLSBIND_NOT_RESUMED:
    break;
  }
  return "it resumed no TLS session (full handshake)";
}

int ftp_tlsbind_verdict_error(enum ftp_tlsbind_verdict v) {
  switch (v) {
  case FTP_TLSBIND_OWN:
  case FTP_TLSBIND_SIBLING:
    return 0;
  case FTP_TLSBIND_OTHER_ADDRESS:
    return FTP_E_TLS_SESSION_OTHER_ADDRESS;
  case FTP_TLSBIND_PENDING:
  case FTP_TLSBIND_OTHER_USER:
    return FTP_E_TLS_SESSION_OTHER_USER;
  case FTP_TLSBIND_UNKNOWN:
    return FTP_E_TLS_SESSION_UNKNOWN;
  case FTP_TLSBIND_NOT_RESUMED:
    break;
  }
  return FTP_E_TLS_NOT_RESUMED;
}

/* --- the hash table ------------------------------------------------------- */

int ftp_tlsbind_key_of(const void *id, size_t n, struct ftp_tlsbind_key *key) {
  if (n == 0)
    return UV_EINVAL;
  return gnutls_hash_fast(GNUTLS_DIG_SHA256, id, n, key->b) < 0 ? FTP_E_TLS : 0;
}

static size_t bucket_of(const struct ftp_tlsbind *b, const unsigned char *key) {
  size_t h = 0;
  unsigned i;

  for (i = 0; i < sizeof(h); i++)
    h = (h << 8) | key[i];
  return h & (b->nbuckets - 1);
}

static void link_rec(struct ftp_tlsbind *b, struct rec *r) {
  size_t i = bucket_of(b, r->key);

  r->next = b->buckets[i];
  b->buckets[i] = r;
}

/* Double the table when it holds more records than buckets.  A failed
 * allocation keeps the old table: chains grow longer, nothing is lost. */
static void maybe_grow(struct ftp_tlsbind *b) {
  struct rec **old = b->buckets, *r, *next;
  size_t oldn = b->nbuckets, i;

  if (b->nrecords < b->nbuckets)
    return;
  if ((b->buckets = calloc(oldn * 2, sizeof(*b->buckets))) == NULL) {
    b->buckets = old;
    return;
  }
  b->nbuckets = oldn * 2;
  for (i = 0; i < oldn; i++)
    for (r = old[i]; r != NULL; r = next) {
      next = r->next;
      link_rec(b, r);
    }
  free(old);
}

static void drop_rec(struct rec *r) {
  struct ftp_tlsbind *b;
  struct rec **pp;

  if (!r->used)
    return;
  b = r->scope->bind;
  for (pp = &b->buckets[bucket_of(b, r->key)]; *pp != NULL; pp = &(*pp)->next)
    if (*pp == r) {
      *pp = r->next;
      break;
    }
  if (r->data != NULL) {
    /* Security: TLS 1.2 session data holds the master secret. */
    gnutls_memset(r->data, 0, r->len);
    free(r->data);
  }
  memset(r, 0, sizeof(*r));
  b->nrecords--;
}

/* --- registry and scopes -------------------------------------------------- */

int ftp_tlsbind_new(struct ftp_tlsbind **out) {
  struct ftp_tlsbind *b;

  *out = NULL;
  if ((b = calloc(1, sizeof(*b))) == NULL)
    return FTP_E_NOMEM;
  if ((b->buckets = calloc(FTP_TLSBIND_BUCKETS_MIN, sizeof(*b->buckets))) == NULL) {
    free(b);
    return FTP_E_NOMEM;
  }
  b->nbuckets = FTP_TLSBIND_BUCKETS_MIN;
  *out = b;
  return 0;
}

static void registry_release(struct ftp_tlsbind *b) {
  if (!b->freed || b->scopes != NULL)
    return;
  free(b->buckets);
  free(b);
}

void ftp_tlsbind_free(struct ftp_tlsbind *b) {
  if (b == NULL)
    return;
  b->freed = 1;
  registry_release(b);
}

size_t ftp_tlsbind_scopes(const struct ftp_tlsbind *b) { return b->nscopes; }
size_t ftp_tlsbind_records(const struct ftp_tlsbind *b) { return b->nrecords; }

int ftp_tlsbind_scope_new(struct ftp_tlsbind *b, struct ftp_tlsbind_scope **out) {
  struct ftp_tlsbind_scope *sc;

  *out = NULL;
  if ((sc = calloc(1, sizeof(*sc))) == NULL)
    return FTP_E_NOMEM;
  sc->bind = b;
  sc->serial = ++b->serial;
  sc->live = 1;
  sc->next = b->scopes;
  if (b->scopes != NULL)
    b->scopes->prev = sc;
  b->scopes = sc;
  b->nscopes++;
  *out = sc;
  return 0;
}

void ftp_tlsbind_scope_end(struct ftp_tlsbind_scope *sc) {
  size_t i;

  if (sc == NULL || !sc->live)
    return;
  for (i = 0; i < FTP_TLS_TICKETS_PER_SCOPE; i++)
    drop_rec(&sc->tickets[i]);
  for (i = 0; i < FTP_TLS_CACHE_PER_SCOPE; i++)
    drop_rec(&sc->cache[i]);
  sc->live = 0;
  sc->bind->nscopes--;
  sc->has_principal = 0;
  changed(sc->bind);
}

void ftp_tlsbind_scope_free(struct ftp_tlsbind_scope *sc) {
  struct ftp_tlsbind *b;

  if (sc == NULL)
    return;
  ftp_tlsbind_scope_end(sc);
  b = sc->bind;
  if (sc->prev != NULL)
    sc->prev->next = sc->next;
  else
    b->scopes = sc->next;
  if (sc->next != NULL)
    sc->next->prev = sc->prev;
  free(sc);
  registry_release(b);
}

int ftp_tlsbind_scope_live(const struct ftp_tlsbind_scope *sc) { return sc->live; }

unsigned long ftp_tlsbind_scope_serial(const struct ftp_tlsbind_scope *sc) {
  return sc->serial;
}

struct ftp_tlsbind *ftp_tlsbind_of(const struct ftp_tlsbind_scope *sc) {
  return sc->bind;
}

int ftp_tlsbind_scope_set_principal(struct ftp_tlsbind_scope *sc, const char *user,
                                    int anonymous,
                                    const struct sockaddr_storage *addr) {
  size_t n = strlen(user);

  ftp_tlsbind_scope_clear_principal(sc);
  if (!sc->live)
    return UV_EINVAL;
  if (n > FTP_USER_MAX) {
    /* A login happened: what waited on it is settled (refused). */
    sc->logged_in_once = 1;
    changed(sc->bind);
    return FTP_E_TOOBIG;
  }
  memcpy(sc->user, user, n + 1);
  sc->anonymous = anonymous != 0;
  sc->addr = *addr;
  sc->has_principal = 1;
  sc->logged_in_once = 1;
  changed(sc->bind);
  return 0;
}

void ftp_tlsbind_scope_set_peer(struct ftp_tlsbind_scope *sc,
                                const struct sockaddr_storage *addr) {
  sc->peer = *addr;
  sc->has_peer = 1;
}

void ftp_tlsbind_scope_clear_principal(struct ftp_tlsbind_scope *sc) {
  int had = sc->has_principal;

  sc->has_principal = 0;
  sc->anonymous = 0;
  memset(sc->user, 0, sizeof(sc->user));
  memset(&sc->addr, 0, sizeof(sc->addr));
  if (had)
    changed(sc->bind);
}

/* --- records -------------------------------------------------------------- */

static struct rec *slot_for(struct ftp_tlsbind_scope *sc, enum ftp_tlsbind_kind kind,
                            const unsigned char *key) {
  struct rec *ring = kind == FTP_TLSBIND_TICKET ? sc->tickets : sc->cache;
  size_t n = kind == FTP_TLSBIND_TICKET ? FTP_TLS_TICKETS_PER_SCOPE
                                        : FTP_TLS_CACHE_PER_SCOPE;
  unsigned *next = kind == FTP_TLSBIND_TICKET ? &sc->next_ticket : &sc->next_cache;
  size_t i;

  for (i = 0; i < n; i++)
    if (ring[i].used && memcmp(ring[i].key, key, KEY_LEN) == 0)
      return &ring[i];
  i = *next;
  *next = (unsigned)((i + 1) % n);
  return &ring[i];
}

int ftp_tlsbind_record(struct ftp_tlsbind_scope *sc, enum ftp_tlsbind_kind kind,
                       const struct ftp_tlsbind_key *key, const void *data,
                       size_t len, time_t expires) {
  unsigned char *copy = NULL;
  struct rec *r;

  if (!sc->live)
    return UV_EINVAL;
  if (data != NULL && len > 0) {
    if ((copy = malloc(len)) == NULL)
      return FTP_E_NOMEM;
    memcpy(copy, data, len);
  }
  r = slot_for(sc, kind, key->b);
  drop_rec(r);
  r->scope = sc;
  memcpy(r->key, key->b, KEY_LEN);
  r->kind = (unsigned char)kind;
  r->used = 1;
  r->data = copy;
  r->len = copy != NULL ? len : 0;
  r->expires = expires;
  sc->bind->nrecords++;
  link_rec(sc->bind, r);
  maybe_grow(sc->bind);
  return 0;
}

/* Security: the comparison that makes a sibling's session acceptable. */
static enum ftp_tlsbind_verdict judge_scope(const struct ftp_tlsbind_scope *own,
                                            const struct ftp_tlsbind_scope *issuer) {
  if (issuer == own)
    return FTP_TLSBIND_OWN;
  /* A control connection that has not logged in yet: its first login will
   * say whose it is.  Once logged in and out (REIN), it vouches for no one. */
  if (own->has_principal && !issuer->has_principal && !issuer->logged_in_once)
    return issuer->has_peer && !ftp_addr_same_host(&issuer->peer, &own->addr)
               ? FTP_TLSBIND_OTHER_ADDRESS
               : FTP_TLSBIND_PENDING;
  if (!own->has_principal || !issuer->has_principal ||
      own->anonymous != issuer->anonymous ||
      (!own->anonymous && strcmp(own->user, issuer->user) != 0))
    return FTP_TLSBIND_OTHER_USER;
  if (!ftp_addr_same_host(&own->addr, &issuer->addr))
    return FTP_TLSBIND_OTHER_ADDRESS;
  return FTP_TLSBIND_SIBLING;
}

static int usable(const struct rec *r, time_t now) {
  return r->expires == 0 || now < r->expires;
}

static void set_found(struct ftp_tlsbind_found *found, const struct rec *r) {
  if (found == NULL)
    return;
  found->data = r != NULL ? r->data : NULL;
  found->len = r != NULL ? r->len : 0;
  found->expires = r != NULL ? r->expires : 0;
}

enum ftp_tlsbind_verdict ftp_tlsbind_judge(const struct ftp_tlsbind_scope *own,
                                           enum ftp_tlsbind_kind kind,
                                           const struct ftp_tlsbind_key *key,
                                           time_t now, struct ftp_tlsbind_found *found) {
  enum ftp_tlsbind_verdict best = FTP_TLSBIND_UNKNOWN, v;
  const struct rec *r, *best_rec = NULL;
  const struct ftp_tlsbind *b = own->bind;

  set_found(found, NULL);
  if (!own->live)
    return FTP_TLSBIND_UNKNOWN;
  for (r = b->buckets[bucket_of(b, key->b)]; r != NULL; r = r->next) {
    if (r->kind != kind || memcmp(r->key, key->b, KEY_LEN) != 0 || !usable(r, now))
      continue;
    v = judge_scope(own, r->scope);
    if (v < best) {
      best = v;
      best_rec = r;
    }
  }
  if (ftp_tlsbind_accepts(best))
    set_found(found, best_rec);
  return best;
}

int ftp_tlsbind_lookup(const struct ftp_tlsbind *b, enum ftp_tlsbind_kind kind,
                       const struct ftp_tlsbind_key *key, time_t now,
                       struct ftp_tlsbind_found *found) {
  const struct rec *r;

  set_found(found, NULL);
  for (r = b->buckets[bucket_of(b, key->b)]; r != NULL; r = r->next)
    if (r->kind == kind && memcmp(r->key, key->b, KEY_LEN) == 0 && usable(r, now)) {
      set_found(found, r);
      return 1;
    }
  return 0;
}
