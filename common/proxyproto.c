/*
 * proxyproto.c: parse PROXY protocol headers, versions 1 and 2, and read
 * them without reading past them.
 */
#include "proxyproto.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "addr.h"
#include "err.h"

/* Section 2.2: the version 2 signature; section 2.1: the version 1 one. */
static const unsigned char v2_sig[12] = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                         0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
static const char v1_sig[] = "PROXY ";
#define V1_SIG_LEN 6
#define V2_PREFIX 16

/* The shortest complete headers: "PROXY UNKNOWN\r\n" and the 16 bytes of
 * version 2.  Reading this much never reads past a header. */
#define FIRST_READ 15

/* --- version 2 ------------------------------------------------------------ */

/* Section 2.2: the address block's length for each valid family and
 * transport byte; -1 for a byte the specification does not define. */
static int v2_addr_len(unsigned char fam) {
  switch (fam) {
  case 0x00: return 0;
  case 0x11: case 0x12: return 12;
  case 0x21: case 0x22: return 36;
  case 0x31: case 0x32: return 216;
  default: return -1;
  }
}

static void set_in(struct sockaddr_storage *ss, const unsigned char *a,
                   const unsigned char *port) {
  struct sockaddr_in *in = (struct sockaddr_in *)ss;

  memset(ss, 0, sizeof(*ss));
  in->sin_family = AF_INET;
  memcpy(&in->sin_addr, a, 4);
  memcpy(&in->sin_port, port, 2);
}

static void set_in6(struct sockaddr_storage *ss, const unsigned char *a,
                    const unsigned char *port) {
  struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;

  memset(ss, 0, sizeof(*ss));
  in6->sin6_family = AF_INET6;
  memcpy(&in6->sin6_addr, a, 16);
  memcpy(&in6->sin6_port, port, 2);
  ftp_addr_normalize(ss);
}

static int parse_v2(const unsigned char *p, size_t n, struct ftp_proxy_hdr *h) {
  size_t len, cmp = n < sizeof(v2_sig) ? n : sizeof(v2_sig);
  int alen;

  if (memcmp(p, v2_sig, cmp) != 0)
    return FTP_E_PROXY_HEADER;
  /* Byte 13: version 2 only; command LOCAL (0) or PROXY (1) only. */
  if (n > 12 && (p[12] >> 4 != 2 || (p[12] & 0x0f) > 1))
    return FTP_E_PROXY_HEADER;
  if (n > 13 && v2_addr_len(p[13]) < 0)
    return FTP_E_PROXY_HEADER;
  if (n < V2_PREFIX)
    return FTP_PROXY_MORE;
  len = (size_t)p[14] << 8 | p[15];
  alen = v2_addr_len(p[13]);
  memset(h, 0, sizeof(*h));
  h->version = 2;
  h->len = V2_PREFIX + len;
  if ((p[12] & 0x0f) == 0) {
    /* LOCAL: the real endpoints; the block is skipped whatever it says. */
    h->command = FTP_PROXY_CMD_LOCAL;
    return 0;
  }
  if (len < (size_t)alen)
    return FTP_E_PROXY_HEADER;
  if (p[13] != 0x11 && p[13] != 0x21) {
    /* UNSPEC, UNIX, UDP: not a TCP/IP client; the real endpoints. */
    h->command = FTP_PROXY_CMD_UNKNOWN;
    return 0;
  }
  if (n < V2_PREFIX + (size_t)alen)
    return FTP_PROXY_MORE;
  h->command = FTP_PROXY_CMD_PROXY;
  p += V2_PREFIX;
  if (alen == 12) {
    set_in(&h->src, p, p + 8);
    set_in(&h->dst, p + 4, p + 10);
  } else {
    set_in6(&h->src, p, p + 32);
    set_in6(&h->dst, p + 16, p + 34);
  }
  return 0;
}

/* --- version 1 ------------------------------------------------------------ */

/* One field of the line, between single spaces. */
struct field {
  const char *p;
  size_t n;
};

/* Section 2.1: decimal 0-255 each, exactly four, no leading zero. */
static int v1_addr4(struct field f, unsigned char out[4]) {
  unsigned v = 0, k = 0, digits = 0;
  size_t i;

  for (i = 0; i <= f.n; i++) {
    if (i == f.n || f.p[i] == '.') {
      if (digits == 0 || k == 4)
        return -1;
      out[k++] = (unsigned char)v;
      v = digits = 0;
    } else if (f.p[i] >= '0' && f.p[i] <= '9') {
      if ((digits > 0 && v == 0) || ++digits > 3 ||
          (v = v * 10 + (unsigned)(f.p[i] - '0')) > 255)
        return -1;
    } else {
      return -1;
    }
  }
  return k == 4 ? 0 : -1;
}

static int v1_addr6(struct field f, unsigned char out[16]) {
  char text[INET6_ADDRSTRLEN];

  if (f.n == 0 || f.n >= sizeof(text) || memchr(f.p, '.', f.n) != NULL)
    return -1;
  memcpy(text, f.p, f.n);
  text[f.n] = 0;
  return inet_pton(AF_INET6, text, out) == 1 ? 0 : -1;
}

/* Section 2.1: decimal 0-65535, no leading zero; network order out. */
static int v1_port(struct field f, unsigned char out[2]) {
  unsigned v = 0;
  size_t i;

  if (f.n == 0 || f.n > 5 || (f.n > 1 && f.p[0] == '0'))
    return -1;
  for (i = 0; i < f.n; i++) {
    if (f.p[i] < '0' || f.p[i] > '9')
      return -1;
    v = v * 10 + (unsigned)(f.p[i] - '0');
  }
  if (v > 65535)
    return -1;
  out[0] = (unsigned char)(v >> 8);
  out[1] = (unsigned char)v;
  return 0;
}

/* Split line[0..n) at single spaces into exactly nf fields. */
static int split(const char *line, size_t n, struct field *f, size_t nf) {
  size_t k = 0, start = 0, i;

  for (i = 0; i <= n; i++) {
    if (i < n && line[i] != ' ')
      continue;
    if (i == start || k == nf)
      return -1; /* an empty field: two spaces, or a leading/trailing one */
    f[k].p = line + start;
    f[k].n = i - start;
    k++;
    start = i + 1;
  }
  return k == nf ? 0 : -1;
}

/* A complete line, CRLF excluded, "PROXY " included. */
static int parse_v1_line(const char *line, size_t n, struct ftp_proxy_hdr *h) {
  struct field f[5];
  unsigned char a[2][16], port[2][2];
  const char *rest = line + V1_SIG_LEN;
  size_t rn = n - V1_SIG_LEN;
  int six, i;

  if (rn >= 7 && memcmp(rest, "UNKNOWN", 7) == 0 && (rn == 7 || rest[7] == ' ')) {
    /* Section 2.1: "the receiver must ignore anything presented before
     * the CRLF is found". */
    h->command = FTP_PROXY_CMD_UNKNOWN;
    return 0;
  }
  if (split(rest, rn, f, 5) != 0 || f[0].n != 4 ||
      (memcmp(f[0].p, "TCP4", 4) != 0 && memcmp(f[0].p, "TCP6", 4) != 0))
    return FTP_E_PROXY_HEADER;
  six = f[0].p[3] == '6';
  for (i = 0; i < 2; i++) {
    if ((six ? v1_addr6(f[1 + i], a[i]) : v1_addr4(f[1 + i], a[i])) != 0 ||
        v1_port(f[3 + i], port[i]) != 0)
      return FTP_E_PROXY_HEADER;
  }
  h->command = FTP_PROXY_CMD_PROXY;
  if (six) {
    set_in6(&h->src, a[0], port[0]);
    set_in6(&h->dst, a[1], port[1]);
  } else {
    set_in(&h->src, a[0], port[0]);
    set_in(&h->dst, a[1], port[1]);
  }
  return 0;
}

static int parse_v1(const unsigned char *p, size_t n, struct ftp_proxy_hdr *h) {
  size_t cmp = n < V1_SIG_LEN ? n : V1_SIG_LEN, i;

  if (memcmp(p, v1_sig, cmp) != 0)
    return FTP_E_PROXY_HEADER;
  for (i = 0; i < n && i < FTP_PROXY_V1_MAX; i++) {
    if (p[i] == '\n')
      return FTP_E_PROXY_HEADER; /* a lone LF never ends the line */
    if (p[i] != '\r')
      continue;
    if (i + 2 > FTP_PROXY_V1_MAX)
      return FTP_E_PROXY_HEADER; /* the CRLF would end past 107 bytes */
    if (i + 1 == n)
      return FTP_PROXY_MORE;
    if (p[i + 1] != '\n')
      return FTP_E_PROXY_HEADER; /* nor does a lone CR */
    memset(h, 0, sizeof(*h));
    h->version = 1;
    h->len = i + 2;
    return parse_v1_line((const char *)p, i, h);
  }
  return n >= FTP_PROXY_V1_MAX ? FTP_E_PROXY_HEADER : FTP_PROXY_MORE;
}

int ftp_proxy_parse(const unsigned char *p, size_t n, struct ftp_proxy_hdr *h) {
  if (n == 0)
    return FTP_PROXY_MORE;
  if (p[0] == v2_sig[0])
    return parse_v2(p, n, h);
  if (p[0] == (unsigned char)v1_sig[0])
    return parse_v1(p, n, h);
  return FTP_E_PROXY_HEADER;
}

/* --- reading -------------------------------------------------------------- */

void ftp_proxy_reader_init(struct ftp_proxy_reader *r) {
  memset(r, 0, sizeof(*r));
}

/*
 * The fewest bytes that can still complete a version 1 line of which have
 * bytes (at least FIRST_READ) arrived without its CRLF: the fields not yet
 * begun at their shortest ("0.0.0.0", "::", "0"), the spaces between them
 * and the CRLF.
 */
static size_t v1_min_rest(const unsigned char *p, size_t have) {
  static const size_t tcp4[] = {4, 7, 7, 1, 1}, tcp6[] = {4, 2, 2, 1, 1};
  const size_t *min;
  size_t spaces = 0, rest = 2, i;

  if (p[have - 1] == '\r')
    return 1;
  if (have >= 11 && memcmp(p + V1_SIG_LEN, "TCP4 ", 5) == 0)
    min = tcp4;
  else if (have >= 11 && memcmp(p + V1_SIG_LEN, "TCP6 ", 5) == 0)
    min = tcp6;
  else
    return rest; /* UNKNOWN and anything after it: at least the CRLF */
  for (i = V1_SIG_LEN; i < have; i++)
    spaces += p[i] == ' ';
  if (spaces >= 5)
    return 1; /* malformed; the parser says so once the line ends */
  /* Field number spaces is being read; it may be empty so far. */
  if (p[have - 1] == ' ')
    rest += min[spaces];
  for (i = spaces + 1; i < 5; i++)
    rest += 1 + min[i];
  return rest;
}

void ftp_proxy_reader_want(struct ftp_proxy_reader *r, void **p, size_t *n) {
  struct ftp_proxy_hdr h;
  size_t want, total;

  if (r->have < FIRST_READ) {
    *p = r->head + r->have;
    *n = FIRST_READ - r->have;
    return;
  }
  if (r->head[0] == v2_sig[0]) {
    if (r->have < V2_PREFIX) {
      want = V2_PREFIX - r->have;
    } else {
      /* The prefix was judged valid when it arrived. */
      ftp_proxy_parse(r->head, V2_PREFIX, &h);
      total = h.len;
      if (r->have >= FTP_PROXY_KEEP) {
        want = total - r->have;
        *p = r->skip;
        *n = want < sizeof(r->skip) ? want : sizeof(r->skip);
        return;
      }
      want = (total < FTP_PROXY_KEEP ? total : FTP_PROXY_KEEP) - r->have;
    }
  } else {
    want = v1_min_rest(r->head, r->have);
    if (r->have + want > FTP_PROXY_V1_MAX)
      want = FTP_PROXY_V1_MAX - r->have;
  }
  *p = r->head + r->have;
  *n = want > 0 ? want : 1;
}

int ftp_proxy_reader_got(struct ftp_proxy_reader *r, size_t n,
                         struct ftp_proxy_hdr *h) {
  size_t kept;
  int rc;

  r->have += n;
  kept = r->have < FTP_PROXY_KEEP ? r->have : FTP_PROXY_KEEP;
  rc = ftp_proxy_parse(r->head, kept, h);
  if (rc != 0)
    return rc;
  /* Decided; a version 2 header is complete once its TLVs are read too. */
  return r->have < h->len ? FTP_PROXY_MORE : 0;
}
