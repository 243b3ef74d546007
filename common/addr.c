/*
 * addr.c: parsing and formatting data connection addresses (PORT, PASV,
 * EPRT, EPSV) and the small address helpers around them.  No I/O and no name
 * resolution happen here.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int is_blank(char c) { return c == ' ' || c == '\t'; }

static const char *skip_blanks(const char *s) {
  while (is_blank(*s))
    s++;
  return s;
}

/*
 * Parse a run of decimal digits at *s, at most max, and move *s past it.
 * Digits only: no sign, no blank, at least one digit.  Security: the value
 * is checked against max after every digit, so no length of input can
 * overflow it (max * 10 + 9 fits an unsigned long).
 * RETURNS: 0, or -1 with *s unchanged.
 */
static int parse_dec(const char **s, unsigned long max, unsigned long *out) {
  const char *p = *s;
  unsigned long v = 0;

  if (!is_digit(*p))
    return -1;
  while (is_digit(*p)) {
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > max)
      return -1;
    p++;
  }
  *s = p;
  *out = v;
  return 0;
}

/* The same for a field of exactly n bytes, which must all be digits; the
 * byte after the field (a delimiter, maybe itself a digit) is not read. */
static int dec_field(const char *s, size_t n, unsigned long max,
                     unsigned long *out) {
  unsigned long v = 0;
  size_t i;

  if (n == 0)
    return -1;
  for (i = 0; i < n; i++) {
    if (!is_digit(s[i]))
      return -1;
    v = v * 10 + (unsigned long)(s[i] - '0');
    if (v > max)
      return -1;
  }
  *out = v;
  return 0;
}

static void set_v4(struct sockaddr_storage *out, const unsigned long v[6]) {
  struct sockaddr_in sin;

  memset(&sin, 0, sizeof(sin));
  sin.sin_family = AF_INET;
  sin.sin_addr.s_addr =
      htonl((uint32_t)(v[0] << 24 | v[1] << 16 | v[2] << 8 | v[3]));
  sin.sin_port = htons((uint16_t)(v[4] << 8 | v[5]));
  memset(out, 0, sizeof(*out));
  memcpy(out, &sin, sizeof(sin));
}

/*
 * Six comma-separated numbers 0-255 at *s; loose allows blanks next to the
 * commas (for 227 texts).  Moves *s past the last number.
 */
static int parse_six(const char **s, int loose, unsigned long v[6]) {
  const char *p = *s;
  int i;

  for (i = 0; i < 6; i++) {
    if (i > 0) {
      if (loose)
        p = skip_blanks(p);
      if (*p++ != ',')
        return -1;
      if (loose)
        p = skip_blanks(p);
    }
    if (parse_dec(&p, 255, &v[i]) != 0)
      return -1;
  }
  *s = p;
  return 0;
}

int ftp_addr_parse_port(const char *arg, struct sockaddr_storage *out) {
  const char *s = skip_blanks(arg);
  unsigned long v[6];

  /* RFC 959 section 4.1.2: "PORT h1,h2,h3,h4,p1,p2", each field "the decimal
   * value of 8 bits".  Anything else is refused outright rather than read
   * leniently: a lenient reading of a bounce target is how servers were
   * tricked into connecting elsewhere (RFC 2577). */
  if (parse_six(&s, 0, v) != 0)
    return FTP_E_SYNTAX;
  s = skip_blanks(s);
  if (*s != '\0' || (v[4] == 0 && v[5] == 0))
    return FTP_E_SYNTAX;
  set_v4(out, v);
  return 0;
}

int ftp_addr_parse_pasv_reply(const char *text, struct sockaddr_storage *out) {
  const char *s;
  unsigned long v[6];

  /* RFC 1123 section 4.1.2.6: the format of the 227 text is not well
   * standardized, so "the User-FTP program should scan the reply for the
   * first digit of the host and port numbers".  Try every run of digits
   * until six numbers follow it. */
  for (s = text; *s != '\0'; s++) {
    const char *p = s;

    if (!is_digit(*s) || (s > text && is_digit(s[-1])))
      continue;
    if (parse_six(&p, 1, v) != 0)
      continue;
    if (v[4] == 0 && v[5] == 0)
      return FTP_E_BAD_REPLY;
    set_v4(out, v);
    return 0;
  }
  return FTP_E_BAD_REPLY;
}

int ftp_addr_format_port(const struct sockaddr_storage *sa,
                         struct ftp_buf *out) {
  struct sockaddr_storage n = *sa;
  const struct sockaddr_in *sin = (const struct sockaddr_in *)&n;
  uint32_t a;
  unsigned port;

  ftp_addr_normalize(&n);
  if (n.ss_family != AF_INET)
    return FTP_E_AF_UNSUPPORTED; /* PORT and 227 carry IPv4 only */
  if ((port = ntohs(sin->sin_port)) == 0)
    return FTP_E_BAD_ARG;
  a = ntohl(sin->sin_addr.s_addr);
  return ftp_buf_putf(out, "%u,%u,%u,%u,%u,%u", (unsigned)(a >> 24),
                      (unsigned)(a >> 16 & 0xff), (unsigned)(a >> 8 & 0xff),
                      (unsigned)(a & 0xff), port >> 8, port & 0xff);
}

int ftp_addr_parse_eprt(const char *arg, struct sockaddr_storage *out) {
  const char *field[3], *s;
  size_t len[3];
  char d, text[INET6_ADDRSTRLEN];
  unsigned long af, port;
  int i, family;
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } u;

  /* RFC 2428 section 2: "EPRT<space><d><net-prt><d><net-addr><d><tcp-port><d>"
   * where the delimiter "MUST be one of the ASCII characters in range 33-126
   * inclusive". */
  d = arg[0];
  if (d < 33 || d > 126)
    return FTP_E_SYNTAX;
  s = arg + 1;
  for (i = 0; i < 3; i++) {
    const char *e = strchr(s, d);
    if (e == NULL)
      return FTP_E_SYNTAX;
    field[i] = s;
    len[i] = (size_t)(e - s);
    s = e + 1;
  }
  if (*s != '\0')
    return FTP_E_SYNTAX;

  /* The protocol number: 1 and 2 are the only ones we know (RFC 2428
   * section 2 names them); another well-formed number gets 522 so that the
   * client can retry with one we support. */
  if (len[0] == 0)
    return FTP_E_SYNTAX;
  for (i = 0; (size_t)i < len[0]; i++)
    if (!is_digit(field[0][i]))
      return FTP_E_SYNTAX;
  if (dec_field(field[0], len[0], 1000000, &af) != 0)
    return FTP_E_AF_UNSUPPORTED; /* a number too long to read */
  if (af == 1)
    family = AF_INET;
  else if (af == 2)
    family = AF_INET6;
  else
    return FTP_E_AF_UNSUPPORTED;

  /* The address, in the textual form of its own family only. */
  if (len[1] == 0 || len[1] >= sizeof(text))
    return FTP_E_SYNTAX;
  memcpy(text, field[1], len[1]);
  text[len[1]] = '\0';
  memset(&u, 0, sizeof(u));
  if (inet_pton(family, text,
                family == AF_INET ? (void *)&u.v4.sin_addr
                                  : (void *)&u.v6.sin6_addr) != 1)
    return FTP_E_SYNTAX;

  if (dec_field(field[2], len[2], 65535, &port) != 0 || port == 0)
    return FTP_E_SYNTAX;

  memset(out, 0, sizeof(*out));
  if (family == AF_INET) {
    u.v4.sin_family = AF_INET;
    u.v4.sin_port = htons((uint16_t)port);
    memcpy(out, &u.v4, sizeof(u.v4));
  } else {
    u.v6.sin6_family = AF_INET6;
    u.v6.sin6_port = htons((uint16_t)port);
    memcpy(out, &u.v6, sizeof(u.v6));
  }
  return 0;
}

int ftp_addr_format_eprt(const struct sockaddr_storage *sa,
                         struct ftp_buf *out) {
  char text[FTP_ADDR_STRLEN];
  unsigned port = ftp_addr_port(sa);
  int r;

  if ((r = ftp_addr_to_string(sa, text, sizeof(text))) != 0)
    return r;
  if (port == 0)
    return FTP_E_BAD_ARG;
  /* RFC 2428 section 2: address family numbers 1 (IPv4) and 2 (IPv6). */
  return ftp_buf_putf(out, "|%d|%s|%u|", sa->ss_family == AF_INET ? 1 : 2,
                      text, port);
}

int ftp_addr_parse_epsv_reply(const char *text, unsigned *port) {
  const char *s;
  unsigned long v;

  /* RFC 2428 section 3: "229 Entering Extended Passive Mode (|||6446|)":
   * the family and address fields are empty, the delimiters all equal.  A
   * digit as delimiter could not be told from the port, so none is taken. */
  for (s = strchr(text, '('); s != NULL; s = strchr(s + 1, '(')) {
    const char *p = s + 4;
    char d = s[1];

    if (d < 33 || d > 126 || is_digit(d) || s[2] != d || s[3] != d)
      continue;
    if (parse_dec(&p, 65535, &v) != 0 || p[0] != d || p[1] != ')' || v == 0)
      continue;
    *port = (unsigned)v;
    return 0;
  }
  return FTP_E_BAD_REPLY;
}

int ftp_addr_format_epsv(unsigned port, struct ftp_buf *out) {
  if (port == 0 || port > 65535)
    return FTP_E_BAD_ARG;
  return ftp_buf_putf(out, "Entering Extended Passive Mode (|||%u|)", port);
}

int ftp_addr_parse_epsv_arg(const char *arg, int *family_or_all) {
  const char *s, *e, *p;
  unsigned long v;
  size_t n;

  if (arg == NULL) {
    *family_or_all = FTP_ADDR_EPSV_ANY;
    return 0;
  }
  s = skip_blanks(arg);
  e = s + strlen(s);
  while (e > s && is_blank(e[-1]))
    e--;
  n = (size_t)(e - s);
  if (n == 0) {
    *family_or_all = FTP_ADDR_EPSV_ANY;
    return 0;
  }
  /* RFC 2428 section 3: "EPSV ALL" (commands are case-insensitive, RFC 959
   * section 5.3.1, and so, in practice, is this keyword). */
  if (n == 3 && (s[0] | 0x20) == 'a' && (s[1] | 0x20) == 'l' &&
      (s[2] | 0x20) == 'l') {
    *family_or_all = FTP_ADDR_EPSV_ALL;
    return 0;
  }
  for (p = s; p < e && is_digit(*p); p++)
    ;
  if (p != e)
    return FTP_E_SYNTAX;
  /* RFC 2428 section 3: "EPSV<space><net-prt>"; a protocol we do not
   * support gets 522.  A number too long to read is no protocol either. */
  p = s;
  if (parse_dec(&p, 1000000, &v) != 0 || p != e)
    return FTP_E_AF_UNSUPPORTED;
  if (v == 1)
    *family_or_all = AF_INET;
  else if (v == 2)
    *family_or_all = AF_INET6;
  else
    return FTP_E_AF_UNSUPPORTED;
  return 0;
}

void ftp_addr_normalize(struct sockaddr_storage *sa) {
  struct sockaddr_in6 v6;
  struct sockaddr_in v4;

  if (sa->ss_family != AF_INET6)
    return;
  memcpy(&v6, sa, sizeof(v6));
  if (!IN6_IS_ADDR_V4MAPPED(&v6.sin6_addr))
    return;
  memset(&v4, 0, sizeof(v4));
  v4.sin_family = AF_INET;
  v4.sin_port = v6.sin6_port;
  memcpy(&v4.sin_addr, &v6.sin6_addr.s6_addr[12], 4);
  memset(sa, 0, sizeof(*sa));
  memcpy(sa, &v4, sizeof(v4));
}

int ftp_addr_same_host(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b) {
  struct sockaddr_storage x = *a, y = *b;

  /* A dual-stack listener reports an IPv4 peer as ::ffff:a.b.c.d while
   * PORT gives a.b.c.d: compare them as the same host. */
  ftp_addr_normalize(&x);
  ftp_addr_normalize(&y);
  if (x.ss_family != y.ss_family)
    return 0;
  if (x.ss_family == AF_INET)
    return ((struct sockaddr_in *)&x)->sin_addr.s_addr ==
           ((struct sockaddr_in *)&y)->sin_addr.s_addr;
  if (x.ss_family == AF_INET6)
    return memcmp(&((struct sockaddr_in6 *)&x)->sin6_addr,
                  &((struct sockaddr_in6 *)&y)->sin6_addr,
                  sizeof(struct in6_addr)) == 0;
  return 0;
}

int ftp_addr_is_private(const struct sockaddr_storage *sa) {
  struct sockaddr_storage n = *sa;

  ftp_addr_normalize(&n);
  if (n.ss_family == AF_INET) {
    uint32_t a = ntohl(((struct sockaddr_in *)&n)->sin_addr.s_addr);

    return (a & 0xff000000u) == 0x0a000000u ||  /* 10/8, RFC 1918 */
           (a & 0xfff00000u) == 0xac100000u ||  /* 172.16/12, RFC 1918 */
           (a & 0xffff0000u) == 0xc0a80000u ||  /* 192.168/16, RFC 1918 */
           (a & 0xff000000u) == 0x7f000000u ||  /* 127/8, loopback */
           (a & 0xffff0000u) == 0xa9fe0000u ||  /* 169.254/16, RFC 3927 */
           (a & 0xffc00000u) == 0x64400000u;    /* 100.64/10, RFC 6598 */
  }
  if (n.ss_family == AF_INET6) {
    const struct in6_addr *a = &((struct sockaddr_in6 *)&n)->sin6_addr;

    return (a->s6_addr[0] & 0xfe) == 0xfc ||    /* fc00::/7, RFC 4193 */
           IN6_IS_ADDR_LINKLOCAL(a) ||          /* fe80::/10 */
           IN6_IS_ADDR_LOOPBACK(a);             /* ::1 */
  }
  return 0;
}

unsigned ftp_addr_port(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET)
    return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  if (sa->ss_family == AF_INET6)
    return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
  return 0;
}

void ftp_addr_set_port(struct sockaddr_storage *sa, unsigned port) {
  if (port > 65535)
    return;
  if (sa->ss_family == AF_INET)
    ((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
  else if (sa->ss_family == AF_INET6)
    ((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
}

int ftp_addr_to_string(const struct sockaddr_storage *sa, char *out,
                       size_t n) {
  const void *a;

  if (sa->ss_family == AF_INET)
    a = &((const struct sockaddr_in *)sa)->sin_addr;
  else if (sa->ss_family == AF_INET6)
    a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
  else
    return FTP_E_AF_UNSUPPORTED;
  if (n > FTP_ADDR_STRLEN)
    n = FTP_ADDR_STRLEN; /* inet_ntop takes a socklen_t */
  if (n == 0 || inet_ntop(sa->ss_family, a, out, (socklen_t)n) == NULL)
    return FTP_E_TOOBIG;
  return 0;
}

int ftp_addr_from_string(const char *s, unsigned port,
                         struct sockaddr_storage *out) {
  struct sockaddr_in v4;
  struct sockaddr_in6 v6;

  if (port > 65535)
    return FTP_E_BAD_ARG;
  memset(&v4, 0, sizeof(v4));
  memset(&v6, 0, sizeof(v6));
  if (inet_pton(AF_INET, s, &v4.sin_addr) == 1) {
    v4.sin_family = AF_INET;
    v4.sin_port = htons((uint16_t)port);
    memset(out, 0, sizeof(*out));
    memcpy(out, &v4, sizeof(v4));
    return 0;
  }
  if (inet_pton(AF_INET6, s, &v6.sin6_addr) == 1) {
    v6.sin6_family = AF_INET6;
    v6.sin6_port = htons((uint16_t)port);
    memset(out, 0, sizeof(*out));
    memcpy(out, &v6, sizeof(v6));
    return 0;
  }
  return FTP_E_BAD_ARG;
}

/* --- the 16-byte form ---------------------------------------------------- */

static const unsigned char v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

int ftp_addr_as16(const struct sockaddr_storage *sa, unsigned char out[16]) {
  if (sa->ss_family == AF_INET) {
    memcpy(out, v4mapped, sizeof(v4mapped));
    memcpy(out + 12, &((const struct sockaddr_in *)sa)->sin_addr, 4);
    return 0;
  }
  if (sa->ss_family == AF_INET6) {
    memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
    return 0;
  }
  return FTP_E_AF_UNSUPPORTED;
}
