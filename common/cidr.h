/*
 * cidr.h: IP networks written "addr" or "addr/prefix", and whether an
 * address lies in one (PROXYPROTOCOL's list of balancers).
 *
 * No I/O, no name resolution: only IPv4 and IPv6 literals.  An IPv4-mapped
 * IPv6 address (::ffff:a.b.c.d, as a dual-stack socket reports an IPv4 peer)
 * is matched as the IPv4 address it carries.
 */
#ifndef FTP_CIDR_H
#define FTP_CIDR_H

#include <stddef.h>
#include <sys/socket.h>

/* One network: family AF_INET or AF_INET6, its bytes with the host bits
 * zeroed, and the prefix length (32 or 128 for one address). */
struct ftp_cidr {
  int family;
  unsigned char net[16];
  unsigned bits;
};

/*
 * ftp_cidr_parse: s[0..n) as "addr" or "addr/bits" (bits 0-32 for IPv4,
 * 0-128 for IPv6, decimal, no sign, no leading zero).  Host bits set in
 * addr ("192.0.2.1/24") are refused: such a typo would otherwise trust a
 * network nobody meant.
 * RETURNS: 0 with *out filled; FTP_E_BAD_ARG (*out unchanged).
 */
int ftp_cidr_parse(const char *s, size_t n, struct ftp_cidr *out);

/* ftp_cidr_match: 1 when addr (AF_INET or AF_INET6) lies in c, else 0. */
int ftp_cidr_match(const struct ftp_cidr *c, const struct sockaddr_storage *addr);

/* ftp_cidr_match_any: 1 when addr lies in one of the n networks of v. */
int ftp_cidr_match_any(const struct ftp_cidr *v, size_t n,
                       const struct sockaddr_storage *addr);

#endif
