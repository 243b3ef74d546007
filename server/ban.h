/*
 * ban.h: bans against password guessing.
 *
 * Per client address, BANFAILURES failed logins within BANWINDOW seconds
 * ban the address for BANTIME seconds: while banned, each connection from
 * it is refused at accept (421, or closed without a byte on the implicit
 * TLS port), before any TLS work.
 *
 * ADDRESSES.  An IPv4 address counts alone (/32).  An IPv6 address counts
 * with its whole /64: a /64 is what one subscriber, one cloud instance or
 * one LAN gets, and an attacker who has one can use any of its 2^64
 * addresses; counting single IPv6 addresses would let every guess come
 * from a fresh one.  An IPv4-mapped IPv6 address (a dual-stack socket's
 * view of an IPv4 client) counts as the IPv4 address.  An address in one
 * of the BANEXEMPT prefixes is never counted or banned.
 *
 * SLIDING WINDOW.  The times of the last BANFAILURES failures are kept; the
 * failure that makes BANFAILURES of them fall within BANWINDOW starts the
 * ban, and forgets them: after the ban, counting starts again from zero.
 * The policy is read at every decision, so a SIGHUP that changes BANTIME,
 * BANWINDOW, BANFAILURES or BANEXEMPT applies to bans already running
 * (BANFAILURES 0 lifts them all); the table itself belongs to the server
 * and survives the reload.
 *
 * BOUNDS.  The table holds at most cap addresses (FTPD_BANS_MAX in ftpd,
 * about 250 bytes each).  A new address at the cap takes the place of the
 * least recently failed address whose failures have left the window; if
 * there is none, of the least recently failed address that is not banned
 * (its count is forgotten); and only when every entry is an active ban,
 * of the oldest ban, which ends early.  So a flood from many addresses can
 * make ftpd forget partial counts, never grow without bound, and lifts a
 * ban only when cap addresses are banned at once.
 *
 * This module does no I/O and reads no clock: the caller passes the time,
 * in milliseconds of a monotonic clock.  Loop thread only.
 */
#ifndef FTPD_BAN_H
#define FTPD_BAN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "addr.h"
#include "cidr.h"

/* The most failures BANFAILURES may ask for (the ring of times per entry). */
#define FTPD_BAN_FAILURES_MAX 20

/* ftpd's table size. */
#define FTPD_BANS_MAX 10000

/* The rules, from the member (BANFAILURES, BANWINDOW, BANTIME, BANEXEMPT). */
struct ftpd_ban_policy {
  unsigned failures;              /* 0: no bans; at most FTPD_BAN_FAILURES_MAX */
  uint64_t window_ms;
  uint64_t ban_ms;
  struct ftp_cidr *exempt;        /* owned */
  size_t nexempt;
};

/*
 * ftpd_ban_policy_init: the policy from the member's values; exempt holds n
 * networks as ftp_cidr_parse() reads them (conf checked them).
 * RETURNS: 0; UV_EINVAL for a bad prefix or failures above the maximum;
 * FTP_E_NOMEM.  ftpd_ban_policy_free releases it (accepts a zeroed one).
 */
int ftpd_ban_policy_init(struct ftpd_ban_policy *p, unsigned failures,
                         unsigned window_s, unsigned ban_s,
                         const char *const *exempt, size_t n);
void ftpd_ban_policy_free(struct ftpd_ban_policy *p);

/* ftpd_ban_exempt: 1 when peer lies in one of p's BANEXEMPT prefixes. */
int ftpd_ban_exempt(const struct ftpd_ban_policy *p,
                    const struct sockaddr_storage *peer);

/* The table; opaque. */
struct ftpd_bans;

/*
 * ftpd_bans_new: an empty table of at most cap (>= 1) addresses.
 * RETURNS: 0 and *out; FTP_E_NOMEM.  ftpd_bans_free accepts NULL.
 */
int ftpd_bans_new(size_t cap, struct ftpd_bans **out);
void ftpd_bans_free(struct ftpd_bans *b);

/*
 * ftpd_bans_check: is peer banned at now_ms under policy p?
 * RETURNS: 1 (and *left_ms, when not NULL, the time until the ban ends) or
 * 0.  An expired ban is removed here.
 */
int ftpd_bans_check(struct ftpd_bans *b, const struct ftpd_ban_policy *p,
                    const struct sockaddr_storage *peer, uint64_t now_ms,
                    uint64_t *left_ms);

enum ftpd_ban_verdict {
  FTPD_BAN_COUNTED,   /* counted (or exempt, or bans off): no ban */
  FTPD_BAN_NEW,       /* this failure banned the address: log it */
  FTPD_BAN_ACTIVE     /* the address was banned already */
};

/*
 * ftpd_bans_fail: a failed login from peer at now_ms.
 * RETURNS: the verdict.  Without memory for a new entry the failure is not
 * counted (FTPD_BAN_COUNTED).
 */
enum ftpd_ban_verdict ftpd_bans_fail(struct ftpd_bans *b,
                                     const struct ftpd_ban_policy *p,
                                     const struct sockaddr_storage *peer,
                                     uint64_t now_ms);

/* ftpd_bans_size: how many addresses the table holds. */
size_t ftpd_bans_size(const struct ftpd_bans *b);

/*
 * ftpd_ban_describe: what a ban of peer covers, for the log:
 * "192.0.2.7" or "2001:db8:1:2::/64".  out (size n) always terminated.
 */
void ftpd_ban_describe(const struct sockaddr_storage *peer, char *out, size_t n);

#endif
