/*
 * cidr.c: parse "addr[/bits]" and match addresses against it.
 */
#include "cidr.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "err.h"

static int parse_bits(const char *s, size_t n, unsigned max, unsigned *bits) {
  unsigned v = 0;
  size_t i;

  if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
    return FTP_E_BAD_ARG;
  for (i = 0; i < n; i++) {
    if (s[i] < '0' || s[i] > '9')
      return FTP_E_BAD_ARG;
    v = v * 10 + (unsigned)(s[i] - '0');
  }
  if (v > max)
    return FTP_E_BAD_ARG;
  *bits = v;
  return 0;
}

/* Are the bits of net past the prefix all zero? */
static int host_bits_clear(const unsigned char *net, size_t len, unsigned bits) {
  size_t i;

  for (i = 0; i < len; i++) {
    unsigned keep = bits >= 8 * (i + 1) ? 8 : bits > 8 * i ? bits - 8 * (unsigned)i : 0;
    unsigned char mask = (unsigned char)(keep == 0 ? 0 : 0xff << (8 - keep));
    if ((net[i] & (unsigned char)~mask) != 0)
      return 0;
  }
  return 1;
}

int ftp_cidr_parse(const char *s, size_t n, struct ftp_cidr *out) {
  char text[INET6_ADDRSTRLEN + 1];
  const char *slash = memchr(s, '/', n);
  size_t alen = slash != NULL ? (size_t)(slash - s) : n;
  struct ftp_cidr c;
  size_t len;

  memset(&c, 0, sizeof(c));
  if (alen == 0 || alen >= sizeof(text))
    return FTP_E_BAD_ARG;
  memcpy(text, s, alen);
  text[alen] = 0;
  if (inet_pton(AF_INET, text, c.net) == 1) {
    c.family = AF_INET;
    len = 4;
  } else if (inet_pton(AF_INET6, text, c.net) == 1) {
    c.family = AF_INET6;
    len = 16;
  } else {
    return FTP_E_BAD_ARG;
  }
  c.bits = (unsigned)len * 8;
  if (slash != NULL &&
      parse_bits(slash + 1, n - alen - 1, (unsigned)len * 8, &c.bits) != 0)
    return FTP_E_BAD_ARG;
  if (!host_bits_clear(c.net, len, c.bits))
    return FTP_E_BAD_ARG;
  *out = c;
  return 0;
}

int ftp_cidr_match(const struct ftp_cidr *c, const struct sockaddr_storage *addr) {
  struct sockaddr_storage a = *addr;
  const unsigned char *p;
  unsigned full, rest;

  ftp_addr_normalize(&a);
  if (a.ss_family != c->family)
    return 0;
  p = a.ss_family == AF_INET
          ? (const unsigned char *)&((const struct sockaddr_in *)&a)->sin_addr
          : (const unsigned char *)&((const struct sockaddr_in6 *)&a)->sin6_addr;
  full = c->bits / 8;
  rest = c->bits % 8;
  if (memcmp(p, c->net, full) != 0)
    return 0;
  return rest == 0 ||
         ((p[full] ^ c->net[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

int ftp_cidr_match_any(const struct ftp_cidr *v, size_t n,
                       const struct sockaddr_storage *addr) {
  size_t i;

  for (i = 0; i < n; i++)
    if (ftp_cidr_match(&v[i], addr))
      return 1;
  return 0;
}
