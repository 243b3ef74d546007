/*
 * url.c: parse ftp://, ftpes:// and ftps:// URLs into their decoded parts,
 * and print them back with the password hidden.  No I/O.
 *
 * The parser works left to right on the raw string: scheme, authority (up to
 * the first '/'), path.  Every decoded value is checked for the bytes that
 * could smuggle a second FTP command into the one it is sent in.
 */
#include "url.h"

#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "err.h"

/* The longest host name (RFC 1035: 253 characters plus a trailing dot). */
#define FTP_URL_HOST_MAX 254
/* An IPv6 literal without brackets or zone, and a zone id. */
#define FTP_URL_IP6_MAX 45
#define FTP_URL_ZONE_MAX 64

struct scheme_entry {
  const char *name;
  int scheme;
  unsigned port;
};

static const struct scheme_entry schemes[] = {
    {"ftp", FTP_URL_FTP, FTP_URL_PORT_FTP},
    {"ftpes", FTP_URL_FTPES, FTP_URL_PORT_FTP},
    {"ftps", FTP_URL_FTPS, FTP_URL_PORT_FTPS},
};

#define NSCHEMES (sizeof(schemes) / sizeof(schemes[0]))

/* Fail with FTP_E_SYNTAX and a message, from inside a parsing function. */
#define SYNTAX(m)                                                             \
  do {                                                                        \
    *msg = (m);                                                               \
    return FTP_E_SYNTAX;                                                      \
  } while (0)

unsigned ftp_url_default_port(int scheme) {
  size_t i;

  for (i = 0; i < NSCHEMES; i++)
    if (schemes[i].scheme == scheme)
      return schemes[i].port;
  return FTP_URL_PORT_FTP;
}

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c; }

static int is_digit(int c) { return c >= '0' && c <= '9'; }

static int is_alnum(int c) {
  return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int hexval(int c) {
  if (is_digit(c))
    return c - '0';
  c = lower(c);
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  return -1;
}

/* Security: no byte of the raw URL may be a blank or a control character;
 * the ones that matter after decoding are checked in decode(). */
static int check_raw(const char *s, size_t n, const char **msg) {
  size_t i;
  unsigned char c;

  for (i = 0; i < n; i++) {
    c = (unsigned char)s[i];
    if (c == ' ' || c == '\t')
      SYNTAX("blank in URL (write a space as %20)");
    if (c < 0x20 || c == 0x7f)
      SYNTAX("control character in URL");
  }
  return 0;
}

/*
 * Percent-decode s[0..n) into a new string in *out, at most max bytes long.
 * Security: a decoded NUL would cut the value short in C, and CR or LF would
 * end the FTP command it is sent in and start another: all three are refused.
 */
static int decode(const char *s, size_t n, size_t max, const char *toolong,
                  char **out, const char **msg) {
  char *d;
  size_t i, o = 0;
  int hi, lo, c;

  *out = NULL;
  for (i = 0; i < n; i++) {
    if (s[i] != '%')
      continue;
    if (n - i < 3)
      SYNTAX("truncated percent-encoding in URL (want %XX)");
    hi = hexval((unsigned char)s[i + 1]);
    lo = hexval((unsigned char)s[i + 2]);
    if (hi < 0 || lo < 0)
      SYNTAX("bad percent-encoding in URL (want %XX, X a hex digit)");
    c = hi << 4 | lo;
    if (c == 0 || c == '\r' || c == '\n')
      SYNTAX("encoded NUL, CR or LF in URL");
    i += 2;
  }
  if ((d = malloc(n + 1)) == NULL)
    return FTP_E_NOMEM;
  for (i = 0; i < n; i++) {
    if (s[i] == '%') {
      d[o++] = (char)(hexval((unsigned char)s[i + 1]) << 4 |
                      hexval((unsigned char)s[i + 2]));
      i += 2;
    } else {
      d[o++] = s[i];
    }
  }
  d[o] = 0;
  if (o > max) {
    explicit_bzero(d, o);
    free(d);
    SYNTAX(toolong);
  }
  *out = d;
  return 0;
}

/* scheme "://": sets u->scheme and u->port, and *rest past the "://". */
static int parse_scheme(const char *s, struct ftp_url *u, const char **rest,
                        const char **msg) {
  size_t n, i, k;

  for (n = 0; is_alnum((unsigned char)s[n]) || s[n] == '+' || s[n] == '-' ||
              s[n] == '.';
       n++)
    ;
  if (n == 0 || strncmp(s + n, "://", 3) != 0)
    SYNTAX("not a URL: want ftp://, ftpes:// or ftps://");
  for (i = 0; i < NSCHEMES; i++) {
    if (strlen(schemes[i].name) != n)
      continue;
    for (k = 0; k < n && lower((unsigned char)s[k]) == schemes[i].name[k]; k++)
      ;
    if (k == n)
      break;
  }
  if (i == NSCHEMES)
    SYNTAX("unknown URL scheme: want ftp://, ftpes:// or ftps://");
  u->scheme = schemes[i].scheme;
  u->port = schemes[i].port;
  *rest = s + n + 3;
  return 0;
}

/* [user[:password]@]: sets u->user, u->password and *host. */
static int parse_userinfo(const char *auth, const char *end, struct ftp_url *u,
                          const char **host, const char **msg) {
  const char *at, *colon;
  int r;

  *host = auth;
  at = memchr(auth, '@', (size_t)(end - auth));
  if (at == NULL)
    return 0;
  /* Security: with two '@' the reader and the parser could disagree about
   * which part is the host; the user must encode one as %40. */
  if (memchr(at + 1, '@', (size_t)(end - at - 1)) != NULL)
    SYNTAX("more than one '@' in URL (write an '@' in a user name or "
           "password as %40)");
  colon = memchr(auth, ':', (size_t)(at - auth));
  if ((colon == NULL ? at : colon) == auth)
    SYNTAX("empty user name before '@' in URL");
  if ((r = decode(auth, (size_t)((colon == NULL ? at : colon) - auth),
                  FTP_USER_MAX, "user name in URL too long", &u->user,
                  msg)) != 0)
    return r;
  /* A ':' can only get into the user name encoded; USER would accept it, but
   * "user:password" forms elsewhere (netrc, messages) could not. */
  if (strchr(u->user, ':') != NULL)
    SYNTAX("':' in the user name of a URL");
  if (colon != NULL &&
      (r = decode(colon + 1, (size_t)(at - colon - 1), FTP_PASS_MAX,
                  "password in URL too long", &u->password, msg)) != 0)
    return r;
  *host = at + 1;
  return 0;
}

static int parse_port(const char *p, const char *end, struct ftp_url *u,
                      const char **msg) {
  unsigned long v = 0;

  if (p == end)
    return 0; /* "host:" means the default port (RFC 3986 3.2.3) */
  for (; p < end; p++) {
    if (!is_digit((unsigned char)*p))
      SYNTAX("bad port in URL (want a number from 1 to 65535)");
    v = v * 10 + (unsigned long)(*p - '0');
    if (v > 65535)
      SYNTAX("port in URL out of range (want 1 to 65535)");
  }
  if (v == 0)
    SYNTAX("port in URL out of range (want 1 to 65535)");
  u->port = (unsigned)v;
  return 0;
}

/* [v6addr] or [v6addr%25zone]: *after is set past the ']'. */
static int parse_ip6(const char *h, const char *end, struct ftp_url *u,
                     const char **after, const char **msg) {
  const char *close, *pct, *zone = NULL;
  char addr[FTP_URL_IP6_MAX + 1];
  unsigned char bin[16];
  size_t alen, zlen = 0, i;

  close = memchr(h, ']', (size_t)(end - h));
  if (close == NULL)
    SYNTAX("unterminated '[' in URL host");
  pct = memchr(h + 1, '%', (size_t)(close - h - 1));
  alen = (size_t)((pct == NULL ? close : pct) - h - 1);
  if (pct != NULL) {
    /* RFC 6874: the '%' that introduces a zone id is itself encoded. */
    if (close - pct < 3 || pct[1] != '2' || pct[2] != '5')
      SYNTAX("zone id in an IPv6 URL host must be written %25 "
             "([fe80::1%25eth0])");
    zone = pct + 3;
    zlen = (size_t)(close - zone);
    if (zlen == 0 || zlen > FTP_URL_ZONE_MAX)
      SYNTAX("bad zone id in IPv6 URL host");
    for (i = 0; i < zlen; i++)
      if (!is_alnum((unsigned char)zone[i]) && zone[i] != '.' &&
          zone[i] != '_' && zone[i] != '-' && zone[i] != '~')
        SYNTAX("bad zone id in IPv6 URL host");
  }
  if (alen == 0 || alen > FTP_URL_IP6_MAX)
    SYNTAX("bad IPv6 address in URL");
  memcpy(addr, h + 1, alen);
  addr[alen] = 0;
  if (uv_inet_pton(AF_INET6, addr, bin) != 0)
    SYNTAX("bad IPv6 address in URL");
  if ((u->host = malloc(alen + (zone == NULL ? 0 : zlen + 1) + 1)) == NULL)
    return FTP_E_NOMEM;
  memcpy(u->host, addr, alen);
  if (zone != NULL) {
    u->host[alen] = '%';
    memcpy(u->host + alen + 1, zone, zlen);
    alen += zlen + 1;
  }
  u->host[alen] = 0;
  u->host_is_ip = 1;
  *after = close + 1;
  return 0;
}

/*
 * A name or a dotted quad.  Security: a name whose last label is a number
 * is an address to getaddrinfo() ("127.1", "0x7f.1", "010.1.2.3" in octal);
 * unless it is a plain dotted quad we refuse it rather than let the resolver
 * and host_is_ip disagree.
 */
static int parse_name(const char *h, const char *end, struct ftp_url *u,
                      const char **msg) {
  const char *label;
  unsigned char bin[4];
  size_t n = (size_t)(end - h), i, ln;
  int numeric;

  if (n == 0)
    SYNTAX("empty host in URL");
  if (n > FTP_URL_HOST_MAX)
    SYNTAX("host name in URL too long");
  /* RFC 1123 2.1: a name starts with a letter or digit. */
  if (!is_alnum((unsigned char)h[0]))
    SYNTAX("bad character in URL host (want a name, a dotted quad or "
           "[IPv6])");
  for (i = 0; i < n; i++)
    if (!is_alnum((unsigned char)h[i]) && h[i] != '.' && h[i] != '-' &&
        h[i] != '_')
      SYNTAX("bad character in URL host (want a name, a dotted quad or "
             "[IPv6])");
  if ((u->host = strndup(h, n)) == NULL)
    return FTP_E_NOMEM;
  for (i = 0; i < n; i++)
    u->host[i] = (char)lower((unsigned char)u->host[i]);
  /* The last label, not counting one trailing dot. */
  ln = n > 1 && u->host[n - 1] == '.' ? n - 1 : n;
  label = u->host + ln;
  while (label > u->host && label[-1] != '.')
    label--;
  ln = (size_t)(u->host + ln - label);
  numeric = ln > 0;
  for (i = 0; i < ln; i++)
    if (!is_digit((unsigned char)label[i]))
      numeric = 0;
  if (ln > 1 && label[0] == '0' && label[1] == 'x')
    numeric = 1;
  if (!numeric)
    return 0;
  if (uv_inet_pton(AF_INET, u->host, bin) != 0)
    SYNTAX("numeric URL host that is not a dotted-quad IPv4 address");
  u->host_is_ip = 1;
  return 0;
}

static int parse_hostport(const char *h, const char *end, struct ftp_url *u,
                          const char **msg) {
  const char *colon, *after;
  int r;

  if (h < end && *h == '[') {
    if ((r = parse_ip6(h, end, u, &after, msg)) != 0)
      return r;
    if (after < end && *after != ':')
      SYNTAX("unexpected character after ']' in URL host");
  } else {
    colon = memchr(h, ':', (size_t)(end - h));
    after = colon == NULL ? end : colon;
    if ((r = parse_name(h, after, u, msg)) != 0)
      return r;
  }
  if (after == end)
    return 0;
  return parse_port(after + 1, end, u, msg);
}

/* ";type=X" at the very end of the path: sets u->type, shortens *end. */
static int parse_type(const char *path, const char **end, struct ftp_url *u,
                      const char **msg) {
  const char *semi;
  size_t n = (size_t)(*end - path);

  semi = memrchr(path, ';', n);
  if (semi == NULL)
    return 0;
  if (*end - semi != 7 || strncmp(semi, ";type=", 6) != 0)
    goto bad;
  switch (lower((unsigned char)semi[6])) {
  case 'a':
    u->type = FTP_URL_TYPE_A;
    break;
  case 'i':
    u->type = FTP_URL_TYPE_I;
    break;
  case 'd':
    u->type = FTP_URL_TYPE_D;
    u->is_dir = 1;
    break;
  default:
    goto bad;
  }
  *end = semi;
  if (memchr(path, ';', (size_t)(semi - path)) == NULL)
    return 0;
bad:
  SYNTAX("';' in URL path (write %3B; only ;type=a, ;type=i or ;type=d may "
         "end a URL)");
}

/* Join the components into u->path: "a/b", "/etc/x" for ["/", "etc", "x"]. */
static int build_path(struct ftp_url *u, const char **msg) {
  struct ftp_buf b;
  const char *s;
  size_t i;
  int r = 0;

  ftp_buf_init(&b, FTP_PATH_MAX);
  for (i = 0; i < u->ncomponents && r == 0; i++) {
    if (ftp_buf_len(&b) > 0 && ftp_buf_ptr(&b)[ftp_buf_len(&b) - 1] != '/')
      r = ftp_buf_putc(&b, '/');
    if (r == 0)
      r = ftp_buf_puts(&b, u->components[i]);
  }
  if (r == FTP_E_TOOBIG) {
    *msg = "URL path too long";
    r = FTP_E_SYNTAX;
  }
  if (r == 0) {
    s = ftp_buf_cstr(&b, &r);
    if (s != NULL && (u->path = strndup(s, ftp_buf_len(&b))) == NULL)
      r = FTP_E_NOMEM;
  }
  ftp_buf_free(&b);
  return r;
}

/* "/" path, starting at the separator slash (or at end: no path). */
static int parse_path(const char *p, const char *end, struct ftp_url *u,
                      const char **msg) {
  const char *seg, *slash;
  size_t nseg, k;
  int r;

  if (p == end) {
    u->path = strdup("");
    return u->path == NULL ? FTP_E_NOMEM : 0;
  }
  if (memchr(p, '?', (size_t)(end - p)) != NULL)
    SYNTAX("'?' in URL path (write %3F)");
  if (memchr(p, '#', (size_t)(end - p)) != NULL)
    SYNTAX("'#' in URL path (write %23)");
  if ((r = parse_type(p, &end, u, msg)) != 0)
    return r;
  if (end[-1] == '/')
    u->is_dir = 1;
  p++; /* the separator */
  nseg = 1;
  for (seg = p; seg < end; seg++)
    nseg += *seg == '/';
  if ((u->components = calloc(nseg, sizeof(*u->components))) == NULL)
    return FTP_E_NOMEM;
  for (k = 0, seg = p; k < nseg; k++, seg = slash + 1) {
    slash = memchr(seg, '/', (size_t)(end - seg));
    if (slash == NULL)
      slash = end;
    if (slash == seg) {
      /* "//x": the path starts at the root (RFC 1738 has CWD with an empty
       * argument; curl and we send CWD /).  Other empty segments would be a
       * CWD without argument: dropped. */
      if (k == 0 && nseg > 1) {
        if ((u->components[u->ncomponents] = strdup("/")) == NULL)
          return FTP_E_NOMEM;
        u->ncomponents++;
      }
      continue;
    }
    if ((r = decode(seg, (size_t)(slash - seg), FTP_PATH_MAX,
                    "URL path too long", &u->components[u->ncomponents],
                    msg)) != 0)
      return r;
    u->ncomponents++;
  }
  return build_path(u, msg);
}

int ftp_url_parse(const char *s, struct ftp_url *u, const char **msg) {
  const char *dummy, *p, *auth_end, *host, *end;
  size_t len;
  int r;

  if (msg == NULL)
    msg = &dummy;
  *msg = NULL;
  memset(u, 0, sizeof(*u));
  len = strnlen(s, FTP_URL_MAX + 1);
  if (len > FTP_URL_MAX) {
    *msg = "URL too long";
    r = FTP_E_SYNTAX;
    goto out;
  }
  end = s + len;
  if ((r = check_raw(s, len, msg)) != 0 ||
      (r = parse_scheme(s, u, &p, msg)) != 0)
    goto out;
  auth_end = memchr(p, '/', (size_t)(end - p));
  if (auth_end == NULL)
    auth_end = end;
  if ((r = parse_userinfo(p, auth_end, u, &host, msg)) != 0 ||
      (r = parse_hostport(host, auth_end, u, msg)) != 0 ||
      (r = parse_path(auth_end, end, u, msg)) != 0)
    goto out;
  r = 0;
out:
  if (r != 0) {
    if (r == FTP_E_NOMEM)
      *msg = "out of memory";
    ftp_url_free(u);
  }
  return r;
}

void ftp_url_free(struct ftp_url *u) {
  size_t i;

  if (u == NULL)
    return;
  free(u->user);
  if (u->password != NULL) {
    explicit_bzero(u->password, strlen(u->password));
    free(u->password);
  }
  free(u->host);
  free(u->path);
  if (u->components != NULL)
    for (i = 0; i < u->ncomponents; i++)
      free(u->components[i]);
  free(u->components);
  memset(u, 0, sizeof(*u));
}

/* Append s, percent-encoding every byte outside [A-Za-z0-9-._~] and extra. */
static int put_encoded(struct ftp_buf *b, const char *s, const char *extra) {
  static const char hex[] = "0123456789ABCDEF";
  unsigned char c;
  int r = 0;

  for (; *s != 0 && r == 0; s++) {
    c = (unsigned char)*s;
    if (is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' ||
        (c != 0 && strchr(extra, c) != NULL))
      r = ftp_buf_putc(b, c);
    else
      r = ftp_buf_putf(b, "%%%c%c", hex[c >> 4], hex[c & 15]);
  }
  return r;
}

static const char *scheme_name(int scheme) {
  size_t i;

  for (i = 0; i < NSCHEMES; i++)
    if (schemes[i].scheme == scheme)
      return schemes[i].name;
  return "ftp";
}

/* The characters a path segment may hold unencoded (RFC 3986 pchar), less
 * ';' which would read as a ;type= parameter. */
#define PCHAR_EXTRA "!$&'()*+,=:@"

int ftp_url_format_redacted(const struct ftp_url *u, struct ftp_buf *out) {
  static const char types[] = {0, 'a', 'i', 'd'};
  const char *pct;
  size_t i;
  int r;

  if ((r = ftp_buf_putf(out, "%s://", scheme_name(u->scheme))) != 0)
    return r;
  if (u->user != NULL &&
      ((r = put_encoded(out, u->user, "")) != 0 ||
       (u->password != NULL && (r = ftp_buf_puts(out, ":****")) != 0) ||
       (r = ftp_buf_putc(out, '@')) != 0))
    return r;
  if (u->host != NULL && strchr(u->host, ':') != NULL) {
    /* IPv6: brackets, and the zone's '%' written %25 again. */
    pct = strchr(u->host, '%');
    if ((r = ftp_buf_putc(out, '[')) != 0 ||
        (r = ftp_buf_put(out, u->host,
                         pct == NULL ? strlen(u->host)
                                     : (size_t)(pct - u->host))) != 0 ||
        (pct != NULL && ((r = ftp_buf_puts(out, "%25")) != 0 ||
                         (r = put_encoded(out, pct + 1, "")) != 0)) ||
        (r = ftp_buf_putc(out, ']')) != 0)
      return r;
  } else if (u->host != NULL && (r = put_encoded(out, u->host, "")) != 0) {
    return r;
  }
  if (u->port != ftp_url_default_port(u->scheme) &&
      (r = ftp_buf_putf(out, ":%u", u->port)) != 0)
    return r;
  if ((u->ncomponents > 0 || u->is_dir) && (r = ftp_buf_putc(out, '/')) != 0)
    return r;
  for (i = 0; i < u->ncomponents; i++) {
    if (i > 0 && (r = ftp_buf_putc(out, '/')) != 0)
      return r;
    /* The root component is the empty segment of "//".  Alone, "//" is a
     * directory, so a root that is not one is written "%2F", and a root
     * listed by ;type=d (no trailing slash) gets its second slash here. */
    if (i == 0 && strcmp(u->components[0], "/") == 0) {
      if (u->ncomponents == 1 && !u->is_dir)
        r = ftp_buf_puts(out, "%2F");
      else if (u->ncomponents == 1 && u->type == FTP_URL_TYPE_D)
        r = ftp_buf_putc(out, '/');
      if (r != 0)
        return r;
      continue;
    }
    if ((r = put_encoded(out, u->components[i], PCHAR_EXTRA)) != 0)
      return r;
  }
  if (u->is_dir && u->ncomponents > 0 && u->type != FTP_URL_TYPE_D &&
      (r = ftp_buf_putc(out, '/')) != 0)
    return r;
  if (u->type > FTP_URL_TYPE_NONE && u->type <= FTP_URL_TYPE_D &&
      (r = ftp_buf_putf(out, ";type=%c", types[u->type])) != 0)
    return r;
  return 0;
}
