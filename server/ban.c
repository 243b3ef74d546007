/*
 * ban.c: the table of failed logins and bans per client address (ban.h): a
 * hash table for lookups at every accept, and a list in order of the last
 * failure, which chooses what leaves the table at its cap.
 */
#include "ban.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uv.h>

#include "err.h"

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

struct entry {
  unsigned char key[16];          /* the address, IPv6 cut to its /64 */
  struct entry *hnext;            /* hash chain */
  struct entry *newer, *older;    /* the list by last failure */
  int banned;
  uint64_t banned_at;
  uint64_t fail[FTPD_BAN_FAILURES_MAX]; /* ring of failure times */
  unsigned nfail, next;           /* how many are in it; where the next goes */
};

struct ftpd_bans {
  struct entry **buckets;
  size_t nbuckets;                /* a power of two */
  size_t n, cap;
  struct entry *newest, *oldest;
  uint64_t seed[2];               /* keys the hash: addresses are chosen by
                                   * clients, bucket positions are not */
};

int ftpd_ban_policy_init(struct ftpd_ban_policy *p, unsigned failures,
                         unsigned window_s, unsigned ban_s,
                         const char *const *exempt, size_t n) {
  size_t i;

  memset(p, 0, sizeof(*p));
  if (failures > FTPD_BAN_FAILURES_MAX)
    return UV_EINVAL;
  p->failures = failures;
  p->window_ms = (uint64_t)window_s * 1000;
  p->ban_ms = (uint64_t)ban_s * 1000;
  if (n == 0)
    return 0;
  if ((p->exempt = calloc(n, sizeof(*p->exempt))) == NULL)
    return FTP_E_NOMEM;
  for (i = 0; i < n; i++) {
    if (ftp_cidr_parse(exempt[i], strlen(exempt[i]), &p->exempt[i]) != 0) {
      ftpd_ban_policy_free(p);
      return UV_EINVAL;
    }
  }
  p->nexempt = n;
  return 0;
}

void ftpd_ban_policy_free(struct ftpd_ban_policy *p) {
  free(p->exempt);
  p->exempt = NULL;
  p->nexempt = 0;
}

int ftpd_ban_exempt(const struct ftpd_ban_policy *p,
                    const struct sockaddr_storage *peer) {
  return ftp_cidr_match_any(p->exempt, p->nexempt, peer);
}

static int is_v4(const unsigned char a[16]) {
  return memcmp(a, v4mapped, sizeof(v4mapped)) == 0;
}

/* The table key of an address: IPv4 (mapped) whole, IPv6 its /64. */
static void make_key(const unsigned char a[16], unsigned char key[16]) {
  memcpy(key, a, 16);
  if (!is_v4(a))
    memset(key + 8, 0, 8);
}

int ftpd_bans_new(size_t cap, struct ftpd_bans **out) {
  struct ftpd_bans *b;
  size_t nb = 16;

  *out = NULL;
  if (cap == 0)
    return UV_EINVAL;
  while (nb < cap && nb < ((size_t)1 << 30))
    nb *= 2;
  if ((b = calloc(1, sizeof(*b))) == NULL ||
      (b->buckets = calloc(nb, sizeof(*b->buckets))) == NULL) {
    free(b);
    return FTP_E_NOMEM;
  }
  b->nbuckets = nb;
  b->cap = cap;
  /* Without randomness the table still works; only its spread is then
   * predictable. */
  if (getrandom(b->seed, sizeof(b->seed), GRND_NONBLOCK) != (ssize_t)sizeof(b->seed)) {
    b->seed[0] = (uint64_t)(uintptr_t)b;
    b->seed[1] = 0x9e3779b97f4a7c15ull;
  }
  *out = b;
  return 0;
}

void ftpd_bans_free(struct ftpd_bans *b) {
  struct entry *e, *next;

  if (b == NULL)
    return;
  for (e = b->newest; e != NULL; e = next) {
    next = e->older;
    free(e);
  }
  free(b->buckets);
  free(b);
}

size_t ftpd_bans_size(const struct ftpd_bans *b) { return b->n; }

static uint64_t mix(uint64_t x) {
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  x *= 0xc4ceb9fe1a85ec53ull;
  x ^= x >> 33;
  return x;
}

static size_t bucket_of(const struct ftpd_bans *b, const unsigned char key[16]) {
  uint64_t hi, lo;

  memcpy(&hi, key, 8);
  memcpy(&lo, key + 8, 8);
  return (size_t)(mix(mix(hi ^ b->seed[0]) ^ lo ^ b->seed[1]) & (b->nbuckets - 1));
}

static struct entry *find(const struct ftpd_bans *b, const unsigned char key[16]) {
  struct entry *e;

  for (e = b->buckets[bucket_of(b, key)]; e != NULL; e = e->hnext)
    if (memcmp(e->key, key, 16) == 0)
      return e;
  return NULL;
}

/* --- the list by last failure -------------------------------------------- */

static void list_unlink(struct ftpd_bans *b, struct entry *e) {
  if (e->newer != NULL)
    e->newer->older = e->older;
  else
    b->newest = e->older;
  if (e->older != NULL)
    e->older->newer = e->newer;
  else
    b->oldest = e->newer;
  e->newer = e->older = NULL;
}

static void list_push(struct ftpd_bans *b, struct entry *e) {
  e->newer = NULL;
  e->older = b->newest;
  if (b->newest != NULL)
    b->newest->newer = e;
  b->newest = e;
  if (b->oldest == NULL)
    b->oldest = e;
}

static void remove_entry(struct ftpd_bans *b, struct entry *e) {
  struct entry **pp = &b->buckets[bucket_of(b, e->key)];

  while (*pp != e)
    pp = &(*pp)->hnext;
  *pp = e->hnext;
  list_unlink(b, e);
  b->n--;
  free(e);
}

/* --- time ----------------------------------------------------------------- */

static int ban_active(const struct entry *e, const struct ftpd_ban_policy *p,
                      uint64_t now) {
  return e->banned && now - e->banned_at < p->ban_ms;
}

static uint64_t newest_failure(const struct entry *e) {
  return e->fail[(e->next + FTPD_BAN_FAILURES_MAX - 1) % FTPD_BAN_FAILURES_MAX];
}

/* Nothing to remember: no active ban and no failure within the window. */
static int forgettable(const struct entry *e, const struct ftpd_ban_policy *p,
                       uint64_t now) {
  if (ban_active(e, p, now))
    return 0;
  return e->nfail == 0 || now - newest_failure(e) > p->window_ms;
}

/* Make room at the cap (ban.h BOUNDS): the oldest forgettable entry, else
 * the oldest that is not banned, else the oldest. */
static void evict_one(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                      uint64_t now) {
  struct entry *e, *unbanned = NULL;

  for (e = b->oldest; e != NULL; e = e->newer) {
    if (forgettable(e, p, now)) {
      remove_entry(b, e);
      return;
    }
    if (unbanned == NULL && !ban_active(e, p, now))
      unbanned = e;
  }
  remove_entry(b, unbanned != NULL ? unbanned : b->oldest);
}

static struct entry *insert(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                            const unsigned char key[16], uint64_t now) {
  struct entry *e;
  size_t i;

  if (b->n >= b->cap)
    evict_one(b, p, now);
  if ((e = calloc(1, sizeof(*e))) == NULL)
    return NULL;
  memcpy(e->key, key, 16);
  i = bucket_of(b, key);
  e->hnext = b->buckets[i];
  b->buckets[i] = e;
  list_push(b, e);
  b->n++;
  return e;
}

/* --- the decisions -------------------------------------------------------- */

/* The key of peer, unless it is exempt, bans are off or it is no IP. */
static int key_of(const struct ftpd_ban_policy *p, const struct sockaddr_storage *peer,
                  unsigned char key[16]) {
  unsigned char a[16];

  if (p->failures == 0 || ftp_addr_as16(peer, a) != 0 || ftpd_ban_exempt(p, peer))
    return -1;
  make_key(a, key);
  return 0;
}

int ftpd_bans_check(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                    const struct sockaddr_storage *peer, uint64_t now_ms,
                    uint64_t *left_ms) {
  unsigned char key[16];
  struct entry *e;

  if (key_of(p, peer, key) != 0 || (e = find(b, key)) == NULL || !e->banned)
    return 0;
  if (!ban_active(e, p, now_ms)) {
    remove_entry(b, e);
    return 0;
  }
  if (left_ms != NULL)
    *left_ms = p->ban_ms - (now_ms - e->banned_at);
  return 1;
}

/* How many of e's failures fall within the window ending at now. */
static unsigned recent(const struct entry *e, const struct ftpd_ban_policy *p,
                       uint64_t now) {
  unsigned i, n = 0;

  for (i = 0; i < e->nfail; i++)
    if (now - e->fail[i] <= p->window_ms)
      n++;
  return n;
}

enum ftpd_ban_verdict ftpd_bans_fail(struct ftpd_bans *b,
                                     const struct ftpd_ban_policy *p,
                                     const struct sockaddr_storage *peer,
                                     uint64_t now_ms) {
  unsigned char key[16];
  struct entry *e;

  if (key_of(p, peer, key) != 0)
    return FTPD_BAN_COUNTED;
  if ((e = find(b, key)) == NULL && (e = insert(b, p, key, now_ms)) == NULL)
    return FTPD_BAN_COUNTED;
  list_unlink(b, e);
  list_push(b, e);
  if (ban_active(e, p, now_ms))
    return FTPD_BAN_ACTIVE;
  e->banned = 0;
  e->fail[e->next] = now_ms;
  e->next = (e->next + 1) % FTPD_BAN_FAILURES_MAX;
  if (e->nfail < FTPD_BAN_FAILURES_MAX)
    e->nfail++;
  if (recent(e, p, now_ms) < p->failures)
    return FTPD_BAN_COUNTED;
  e->banned = 1;
  e->banned_at = now_ms;
  e->nfail = 0;
  e->next = 0;
  return FTPD_BAN_NEW;
}

void ftpd_ban_describe(const struct sockaddr_storage *peer, char *out, size_t n) {
  unsigned char a[16], key[16];
  char text[INET6_ADDRSTRLEN];

  if (n == 0)
    return;
  if (ftp_addr_as16(peer, a) != 0) {
    snprintf(out, n, "?");
    return;
  }
  if (is_v4(a)) {
    inet_ntop(AF_INET, a + 12, text, sizeof(text));
    snprintf(out, n, "%s", text);
    return;
  }
  make_key(a, key);
  inet_ntop(AF_INET6, key, text, sizeof(text));
  snprintf(out, n, "%s/64", text);
}
