/*
 * fuzz_reply.c: libFuzzer entry point for the reply codec (common/reply).
 *
 * The input is parsed as a stream of replies twice, fed whole and in pieces
 * whose sizes come from a generator seeded by the input; both transcripts
 * must be identical, every parsed reply must keep the codec's contract, and
 * the input used as a reply text must survive ftp_reply_format and parsing.
 * The input is also read as the text of a 257 reply: a directory name found
 * in it is never empty and holds no CR, LF or NUL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "reply.h"
#include "fuzz_check.h"

/* Check a parsed reply and record it in t. */
static void note(struct ftp_buf *t, struct ftp_reply *rep) {
  const char *text = ftp_reply_text(rep);
  size_t len = ftp_buf_len(&rep->text), i, sum = 0, ll;
  const char *line;

  CHECK(rep->code >= 100 && rep->code <= 599);
  CHECK(rep->nlines >= 1);
  CHECK(strlen(text) == len);
  CHECK(len <= FTP_REPLY_MAX);
  for (i = 0; i < rep->nlines; i++) {
    line = ftp_reply_line(rep, i, &ll);
    CHECK(line != NULL);
    CHECK(memchr(line, '\n', ll) == NULL);
    sum += ll;
  }
  CHECK(ftp_reply_line(rep, rep->nlines, &ll) == NULL);
  CHECK(sum + rep->nlines - 1 == len);
  CHECK(ftp_buf_putf(t, "%d %zu ", rep->code, rep->nlines) == 0);
  CHECK(ftp_buf_put(t, text, len) == 0);
  CHECK(ftp_buf_putc(t, '\n') == 0);
}

static void parse(struct ftp_buf *t, const uint8_t *data, size_t size,
                  unsigned seed) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t off = 0, k, used;
  int r;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  while (off < size) {
    if (seed == 0) {
      k = size - off;
    } else {
      seed = seed * 1103515245u + 12345u;
      k = 1 + (seed >> 16) % 32;
      if (k > size - off)
        k = size - off;
    }
    r = ftp_reply_parse(&p, data + off, k, &used, &rep);
    CHECK(used <= k);
    off += used;
    if (r < 0) {
      CHECK(r == FTP_E_BAD_REPLY || r == FTP_E_TOOBIG);
      /* Which error it is must not depend on the pieces; where it is seen
       * may (an over-long line is refused as soon as it cannot fit). */
      CHECK(ftp_buf_putf(t, "E%d\n", r) == 0);
      break;
    }
    if (r == FTP_REPLY_NEED_MORE) {
      CHECK(used == k);
      continue;
    }
    CHECK(r == FTP_REPLY_COMPLETE);
    CHECK(used > 0 && data[off - 1] == '\n');
    CHECK(ftp_buf_putf(t, "@%zu ", off) == 0);
    note(t, &rep);
  }
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}

/* The input, cut at its first NUL, as the text of a reply. */
static void roundtrip(const uint8_t *data, size_t size) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  struct ftp_buf out;
  char *text = malloc(size + 1);
  size_t n, used;
  int code = 100 + (size > 0 ? data[0] : 0) * 499 / 255;

  CHECK(text != NULL);
  for (n = 0; n < size && data[n] != 0; n++)
    text[n] = (char)data[n];
  text[n] = '\0';
  ftp_buf_init(&out, FTP_REPLY_MAX);
  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  CHECK(ftp_reply_format(&out, code, text) == 0);
  if (ftp_reply_parse(&p, ftp_buf_ptr(&out), ftp_buf_len(&out), &used, &rep) !=
      FTP_E_TOOBIG) { /* a line may pass FTP_REPLY_LINE_MAX */
    CHECK(used == ftp_buf_len(&out));
    CHECK(rep.code == code);
  }
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
  ftp_buf_free(&out);
  free(text);
}

/* The input as the text of a 257 reply (ftp_reply_parse_path). */
static void path257(const uint8_t *data, size_t size) {
  struct ftp_buf out;
  size_t n;
  int r;

  ftp_buf_init(&out, FTP_REPLY_MAX);
  r = ftp_reply_parse_path((const char *)data, size, &out);
  n = ftp_buf_len(&out);
  CHECK(r == 0 || r == FTP_E_BAD_REPLY);
  CHECK(r == 0 ? n > 0 && n + 2 <= size : n == 0);
  CHECK(n == 0 || (memchr(ftp_buf_ptr(&out), '\r', n) == NULL &&
                   memchr(ftp_buf_ptr(&out), '\n', n) == NULL &&
                   memchr(ftp_buf_ptr(&out), 0, n) == NULL));
  ftp_buf_free(&out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct ftp_buf whole, pieces;
  unsigned seed = 1;

  if (size > 0)
    seed += data[size - 1];
  ftp_buf_init(&whole, 1 << 24);
  ftp_buf_init(&pieces, 1 << 24);
  parse(&whole, data, size, 0);
  parse(&pieces, data, size, seed);
  CHECK(ftp_buf_len(&whole) == ftp_buf_len(&pieces));
  CHECK(ftp_buf_len(&whole) == 0 ||
        memcmp(ftp_buf_ptr(&whole), ftp_buf_ptr(&pieces),
               ftp_buf_len(&whole)) == 0);
  ftp_buf_free(&whole);
  ftp_buf_free(&pieces);
  roundtrip(data, size);
  path257(data, size);
  return 0;
}
