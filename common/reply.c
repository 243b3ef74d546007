/*
 * reply.c: formatting replies (server) and parsing them incrementally
 * (client), per RFC 959 section 4.2, and reading the directory name of a 257
 * reply (RFC 959 Appendix II).  No I/O happens here.
 */
#include "reply.h"

#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "err.h"

#define TELNET_IAC 0xFF

/* ---- formatting ---- */

static int is_digit(unsigned char c) { return c >= '0' && c <= '9'; }

/*
 * Render the reply for the tlen bytes of text into dst, or only count its
 * bytes when dst is NULL.  RETURNS: the size of the rendered reply.
 */
static size_t render(int code, const char *text, size_t tlen,
                     unsigned char *dst) {
  size_t nlines = 1, line = 0, i = 0, n = 0;

  for (i = 0; i < tlen; i++)
    nlines += text[i] == '\n';
  i = 0;
  for (line = 0; line < nlines; line++) {
    size_t end = i;
    char sep;

    while (end < tlen && text[end] != '\n')
      end++;
    /* RFC 959 section 4.2: "ddd-" opens a multi-line reply, "ddd " is its
     * last line or the only one. */
    sep = nlines > 1 && line == 0 ? '-' : ' ';
    if (line == 0 || line == nlines - 1) {
      if (dst != NULL) {
        dst[n] = (unsigned char)('0' + code / 100);
        dst[n + 1] = (unsigned char)('0' + code / 10 % 10);
        dst[n + 2] = (unsigned char)('0' + code % 10);
        dst[n + 3] = (unsigned char)sep;
      }
      n += 4;
    } else {
      /* RFC 959 section 4.2: "If an intermediary line begins with a 3-digit
       * number, the Server must pad the front to avoid confusion."  We pad
       * any inner line that begins with a digit (after CRs are dropped). */
      size_t k = i;
      while (k < end && text[k] == '\r')
        k++;
      if (k < end && is_digit((unsigned char)text[k])) {
        if (dst != NULL)
          dst[n] = ' ';
        n++;
      }
    }
    for (; i < end; i++) {
      unsigned char c = (unsigned char)text[i];
      if (c == '\r')
        continue; /* only we end lines */
      /* RFC 854 (and RFC 1123 section 3.2.6): a data byte 255 on a Telnet
       * connection MUST be doubled. */
      if (c == TELNET_IAC) {
        if (dst != NULL)
          dst[n] = c;
        n++;
      }
      if (dst != NULL)
        dst[n] = c;
      n++;
    }
    if (dst != NULL) {
      dst[n] = '\r';
      dst[n + 1] = '\n';
    }
    n += 2;
    i = end + 1;
  }
  return n;
}

int ftp_reply_format(struct ftp_buf *out, int code, const char *text) {
  unsigned char *dst;
  size_t tlen, n;
  int r;

  if (code < 100 || code > 599)
    return FTP_E_BAD_ARG;
  if (text == NULL)
    text = "";
  tlen = strlen(text);
  if (tlen > 0 && text[tlen - 1] == '\n')
    tlen--; /* "a\nb\n" is two lines, not three */
  /* Each byte renders to at most 2 bytes, each line adds at most 7: the
   * total stays below 9 * (tlen + 1).  Refuse what could overflow that. */
  if (tlen > SIZE_MAX / 16)
    return FTP_E_TOOBIG;
  /* Measure first, then write into one reservation: all or nothing. */
  n = render(code, text, tlen, NULL);
  if ((r = ftp_buf_reserve(out, n, &dst)) != 0)
    return r;
  render(code, text, tlen, dst);
  ftp_buf_commit(out, n);
  return 0;
}

int ftp_reply_formatf(struct ftp_buf *out, int code, const char *fmt, ...) {
  struct ftp_buf text;
  const char *s;
  va_list ap;
  int r;

  ftp_buf_init(&text, FTP_REPLY_MAX);
  va_start(ap, fmt);
  r = ftp_buf_vputf(&text, fmt, ap);
  va_end(ap);
  if (r != 0)
    goto out;
  if ((s = ftp_buf_cstr(&text, &r)) == NULL)
    goto out;
  r = ftp_reply_format(out, code, s);
out:
  ftp_buf_free(&text);
  return r;
}

/* ---- parsed replies ---- */

void ftp_reply_init(struct ftp_reply *rep) {
  rep->code = 0;
  rep->nlines = 0;
  ftp_buf_init(&rep->text, FTP_REPLY_MAX);
}

void ftp_reply_free(struct ftp_reply *rep) {
  if (rep == NULL)
    return;
  ftp_buf_free(&rep->text);
  rep->code = 0;
  rep->nlines = 0;
}

const char *ftp_reply_text(struct ftp_reply *rep) {
  const char *s;

  if (ftp_buf_len(&rep->text) == 0)
    return "";
  /* The parser stores no NUL and leaves the spare byte for the terminator,
   * so this neither fails nor allocates for a parsed reply. */
  s = ftp_buf_cstr(&rep->text, NULL);
  return s != NULL ? s : "";
}

const char *ftp_reply_line(const struct ftp_reply *rep, size_t i,
                           size_t *len) {
  const char *s = (const char *)ftp_buf_ptr(&rep->text);
  const char *end, *nl;

  if (i >= rep->nlines)
    return NULL;
  if (s == NULL) {
    *len = 0;
    return "";
  }
  end = s + ftp_buf_len(&rep->text);
  for (; i > 0; i--) {
    nl = memchr(s, '\n', (size_t)(end - s));
    if (nl == NULL)
      return NULL; /* fewer lines than nlines: not a parsed reply */
    s = nl + 1;
  }
  nl = memchr(s, '\n', (size_t)(end - s));
  *len = (size_t)((nl != NULL ? nl : end) - s);
  return s;
}

/* ---- parsing ---- */

void ftp_reply_parser_init(struct ftp_reply_parser *p) {
  ftp_buf_init(&p->priv_line, FTP_REPLY_LINE_MAX);
  ftp_buf_init(&p->priv_text, FTP_REPLY_MAX);
  p->priv_total = 0;
  p->priv_nlines = 0;
  p->priv_code = 0;
  p->priv_err = 0;
}

void ftp_reply_parser_reset(struct ftp_reply_parser *p) {
  ftp_buf_free(&p->priv_line);
  ftp_buf_free(&p->priv_text);
  p->priv_total = 0;
  p->priv_nlines = 0;
  p->priv_code = 0;
  p->priv_err = 0;
}

void ftp_reply_parser_free(struct ftp_reply_parser *p) {
  if (p == NULL)
    return;
  ftp_reply_parser_reset(p);
}

/* Parse the three digits of a reply code.  RETURNS: the code, or 0. */
static int code_of(const unsigned char *s, size_t n) {
  /* RFC 959 section 4.2: the first digit is 1 to 5. */
  if (n < 3 || s[0] < '1' || s[0] > '5' || !is_digit(s[1]) || !is_digit(s[2]))
    return 0;
  return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/*
 * Can the n bytes of a partial first line still begin a reply?  Checking as
 * bytes arrive refuses a peer that is not an FTP server at once, instead of
 * waiting for a line that may never end.
 */
static int start_ok(const unsigned char *s, size_t n) {
  if (n > 0 && (s[0] < '1' || s[0] > '5'))
    return 0;
  if ((n > 1 && !is_digit(s[1])) || (n > 2 && !is_digit(s[2])))
    return 0;
  return n < 4 || s[3] == ' ' || s[3] == '-' || s[3] == '\r';
}

/* Append the n bytes at s to the text, after a '\n' unless it is the first
 * line.  IAC IAC stands for one 0xFF byte (RFC 854). */
static int add_text(struct ftp_reply_parser *p, const unsigned char *s,
                    size_t n) {
  unsigned char *dst;
  size_t i, m = 0;
  int r;

  if ((r = ftp_buf_reserve(&p->priv_text, n + 1, &dst)) != 0)
    return r;
  if (p->priv_nlines > 0)
    dst[m++] = '\n';
  for (i = 0; i < n; i++) {
    dst[m++] = s[i];
    if (s[i] == TELNET_IAC && i + 1 < n && s[i + 1] == TELNET_IAC)
      i++;
  }
  ftp_buf_commit(&p->priv_text, m);
  p->priv_nlines++;
  return 0;
}

/*
 * A whole line (its LF removed) is in priv_line.
 * RETURNS: 1 when it ends the reply, 0 when more lines follow, or an error.
 */
static int end_line(struct ftp_reply_parser *p) {
  const unsigned char *s = ftp_buf_ptr(&p->priv_line);
  size_t n = ftp_buf_len(&p->priv_line);
  int code, r;

  if (n > 0 && s[n - 1] == '\r')
    n--; /* CR LF, or a bare LF as some servers send */
  if (p->priv_code == 0) {
    /* The first line: "ddd text", "ddd-text" or "ddd" alone. */
    if ((code = code_of(s, n)) == 0 || (n > 3 && s[3] != ' ' && s[3] != '-'))
      return FTP_E_BAD_REPLY;
    if ((r = add_text(p, s + (n > 3 ? 4 : 3), n > 3 ? n - 4 : 0)) != 0)
      return r;
    p->priv_code = code;
    return n == 3 || s[3] == ' ';
  }
  /* RFC 959 section 4.2: the last line "will begin with the same code,
   * followed immediately by Space".  A line with another code, or with the
   * same code and '-', is an inner line. */
  if (code_of(s, n) == p->priv_code && (n == 3 || s[3] == ' ')) {
    if ((r = add_text(p, s + (n > 3 ? 4 : 3), n > 3 ? n - 4 : 0)) != 0)
      return r;
    return 1;
  }
  if ((r = add_text(p, s, n)) != 0)
    return r;
  return 0;
}

/* Hand the finished reply to out and get ready for the next one. */
static void complete(struct ftp_reply_parser *p, struct ftp_reply *out) {
  ftp_buf_free(&out->text);
  /* Move the text: the parser's buffer becomes out's, and the parser
   * starts a fresh, empty one. */
  out->text = p->priv_text;
  out->code = p->priv_code;
  out->nlines = p->priv_nlines;
  ftp_buf_init(&p->priv_text, FTP_REPLY_MAX);
  ftp_buf_reset(&p->priv_line);
  p->priv_total = 0;
  p->priv_nlines = 0;
  p->priv_code = 0;
}

int ftp_reply_parse(struct ftp_reply_parser *p, const void *data, size_t len,
                    size_t *consumed, struct ftp_reply *out) {
  const unsigned char *d = data;
  const unsigned char *lf;
  size_t off = 0, chunk;
  int r = 0;

  *consumed = 0;
  if (p->priv_err != 0)
    return p->priv_err;
  while (off < len) {
    lf = memchr(d + off, '\n', len - off);
    chunk = lf != NULL ? (size_t)(lf - (d + off)) : len - off;
    /* The LF still to come counts against both caps, so a line or reply
     * that cannot fit is refused as soon as it is sure not to. */
    if (chunk >= FTP_REPLY_LINE_MAX - ftp_buf_len(&p->priv_line) ||
        chunk >= FTP_REPLY_MAX - p->priv_total) {
      r = FTP_E_TOOBIG;
      break;
    }
    /* A NUL in a reply is no text, and would cut the string short. */
    if (memchr(d + off, '\0', chunk) != NULL) {
      r = FTP_E_BAD_REPLY;
      break;
    }
    if ((r = ftp_buf_put(&p->priv_line, d + off, chunk)) != 0)
      break;
    off += chunk;
    p->priv_total += chunk;
    if (p->priv_code == 0 &&
        !start_ok(ftp_buf_ptr(&p->priv_line), ftp_buf_len(&p->priv_line))) {
      r = FTP_E_BAD_REPLY;
      break;
    }
    if (lf == NULL)
      break;
    off++; /* the LF */
    p->priv_total++;
    if ((r = end_line(p)) < 0)
      break;
    ftp_buf_reset(&p->priv_line);
    if (r == 1) {
      complete(p, out);
      *consumed = off;
      return FTP_REPLY_COMPLETE;
    }
  }
  *consumed = off;
  if (r < 0) {
    p->priv_err = r;
    return r;
  }
  return FTP_REPLY_NEED_MORE;
}

/* ---- the 257 reply ---- */

/*
 * The length of the name that starts at text[start] (just after the opening
 * quote), with doubled quotes counted once, and in *end where its closing
 * quote is.  RETURNS: the length, or -1 when the name is not closed on its
 * line or holds a NUL.
 */
static long quoted_length(const char *text, size_t len, size_t start, size_t *end) {
  size_t i = start;
  long n = 0;

  while (i < len) {
    char ch = text[i];
    if (ch == '\0' || ch == '\r' || ch == '\n')
      return -1;
    if (ch == '"') {
      if (i + 1 >= len || text[i + 1] != '"') {
        *end = i;
        return n;
      }
      i++; /* "" is one quote */
    }
    n++;
    i++;
  }
  return -1;
}

int ftp_reply_parse_path(const char *text, size_t len, struct ftp_buf *out) {
  const char *quote = text != NULL ? memchr(text, '"', len) : NULL;
  unsigned char *dst;
  size_t start, end = 0, i, o = 0;
  long n;
  int r;

  if (quote == NULL)
    return FTP_E_BAD_REPLY;
  start = (size_t)(quote - text) + 1;
  if ((n = quoted_length(text, len, start, &end)) <= 0)
    return FTP_E_BAD_REPLY;
  /* The first pass checked the whole name: append it in one piece. */
  if ((r = ftp_buf_reserve(out, (size_t)n, &dst)) != 0)
    return r;
  for (i = start; i < end; i++, o++) {
    dst[o] = (unsigned char)text[i];
    if (text[i] == '"')
      i++;
  }
  ftp_buf_commit(out, o);
  return 0;
}
