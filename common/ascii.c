/*
 * ascii.c: TYPE A line-end conversion, one chunk at a time.
 *
 * Both directions share one shape: ordinary bytes are copied in runs; a CR is
 * held back in the state until the next byte tells whether it starts a line
 * end; that decision is made exactly once per CR, whichever chunk the next
 * byte arrives in.
 */
#include "ascii.h"

#include <string.h>

void ftp_ascii_init(struct ftp_ascii *st) { st->pending_cr = 0; }

int ftp_ascii_pending(const struct ftp_ascii *st) { return st->pending_cr; }

enum direction { TO_NET, TO_LOCAL };

/*
 * The common loop.  A line end (a CRLF, or on the way out a bare LF) becomes
 * "\r\n" on the way to the network and "\n" on the way to the file.  On the
 * way to the file a bare LF is an ordinary byte: it already is the local line
 * end.
 */
static size_t convert(enum direction dir, struct ftp_ascii *st,
                      const unsigned char *in, size_t n, unsigned char *out,
                      size_t outcap, size_t *consumed) {
  const char *eol = dir == TO_NET ? "\r\n" : "\n";
  size_t eol_len = dir == TO_NET ? 2 : 1;
  size_t i = 0, o = 0, run;
  unsigned char c;

  while (i < n) {
    c = in[i];
    if (st->pending_cr) {
      if (c == '\n') {
        /* The held CR and this LF are one line end (never CRCRLF). */
        if (outcap - o < eol_len)
          break;
        memcpy(out + o, eol, eol_len);
        o += eol_len;
        i++;
        st->pending_cr = 0;
        continue;
      }
      /* A lone CR: write it as it was, then look at c afresh. */
      if (outcap - o < 1)
        break;
      out[o++] = '\r';
      st->pending_cr = 0;
      continue;
    }
    if (c == '\r') {
      st->pending_cr = 1;
      i++;
      continue;
    }
    if (c == '\n' && dir == TO_NET) {
      /* A bare LF, the local line end. */
      if (outcap - o < 2)
        break;
      out[o++] = '\r';
      out[o++] = '\n';
      i++;
      continue;
    }
    /* A run of bytes that need no thought: copy it whole. */
    run = 1;
    while (i + run < n && in[i + run] != '\r' &&
           (dir == TO_LOCAL || in[i + run] != '\n'))
      run++;
    if (run > outcap - o)
      run = outcap - o;
    if (run == 0)
      break;
    memcpy(out + o, in + i, run);
    o += run;
    i += run;
  }
  *consumed = i;
  return o;
}

size_t ftp_ascii_to_net(struct ftp_ascii *st, const unsigned char *in,
                        size_t n, unsigned char *out, size_t outcap,
                        size_t *consumed) {
  return convert(TO_NET, st, in, n, out, outcap, consumed);
}

size_t ftp_ascii_to_local(struct ftp_ascii *st, const unsigned char *in,
                          size_t n, unsigned char *out, size_t outcap,
                          size_t *consumed) {
  return convert(TO_LOCAL, st, in, n, out, outcap, consumed);
}

size_t ftp_ascii_flush(struct ftp_ascii *st, unsigned char *out,
                       size_t outcap) {
  if (!st->pending_cr || outcap < 1)
    return 0;
  out[0] = '\r';
  st->pending_cr = 0;
  return 1;
}
