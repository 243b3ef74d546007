/*
 * check_reply.c: the reply codec (common/reply).
 *
 * Parsing tables are fed whole and in pieces of several sizes down to one
 * byte at a time; the result must not depend on where the stream was cut.
 * The directory name of a 257 reply is read by one function for the whole
 * tree (ftp_reply_parse_path): a table with hostile input, and a random
 * round trip through the server's quoting and the wire format.
 *
 * Run one test case:
 *   CK_RUN_SUITE=reply CK_RUN_CASE=parse build/obj/test/unit/check_reply
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "reply.h"

/* An assertion for hot loops: Check's ck_assert_* report every passing
 * check to the parent process (CK_FORK), which is slow by the thousand. */
#define REQUIRE(c)                                                            \
  do {                                                                        \
    if (!(c))                                                                 \
      ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                      \
  } while (0)

#define IN(s) s, sizeof(s) - 1

static void assert_buf(const struct ftp_buf *b, const char *want, size_t n) {
  if (ftp_buf_len(b) != n || (n > 0 && memcmp(ftp_buf_ptr(b), want, n) != 0))
    ck_abort_msg("got \"%.*s\" (%zu bytes), want \"%.*s\" (%zu bytes)",
                 (int)ftp_buf_len(b), (const char *)ftp_buf_ptr(b),
                 ftp_buf_len(b), (int)n, want, n);
}

/* ---- formatting ---- */

static const struct {
  int code;
  const char *text;
  const char *want;
  size_t want_len;
} format_cases[] = {
  {220, "Ready", IN("220 Ready\r\n")},
  {200, NULL, IN("200 \r\n")},
  {200, "", IN("200 \r\n")},
  {200, "one\n", IN("200 one\r\n")},
  {211, "Features:\n EPSV\n UTF8\nEnd",
   IN("211-Features:\r\n EPSV\r\n UTF8\r\n211 End\r\n")},
  {214, "a\n220 fake end\n2\nb",
   IN("214-a\r\n 220 fake end\r\n 2\r\n214 b\r\n")},
  {214, "1 first\n9 last", IN("214-1 first\r\n214 9 last\r\n")},
  {211, "a\n\nb", IN("211-a\r\n\r\n211 b\r\n")},
  {211, "a\n\r5\nb", IN("211-a\r\n 5\r\n211 b\r\n")},
  {250, "x\r\ny\r", IN("250-x\r\n250 y\r\n")},
  {257, "\"/a\xff\" created", IN("257 \"/a\xff\xff\" created\r\n")},
  {550, "\r\r", IN("550 \r\n")},
  {599, "x", IN("599 x\r\n")},
  {100, "x", IN("100 x\r\n")},
};

START_TEST(test_format_table) {
  struct ftp_buf out;

  ftp_buf_init(&out, 4096);
  ck_assert_int_eq(ftp_buf_puts(&out, "#"), 0);
  ck_assert_int_eq(ftp_reply_format(&out, format_cases[_i].code,
                                    format_cases[_i].text), 0);
  ck_assert_int_eq(ftp_buf_consume(&out, 1), 0);
  assert_buf(&out, format_cases[_i].want, format_cases[_i].want_len);
  ftp_buf_free(&out);
}
END_TEST

START_TEST(test_format_refuses) {
  static const int bad[] = {0, -1, 99, 600, 1000, 22};
  struct ftp_buf out;
  size_t i;

  ftp_buf_init(&out, 17);
  for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
    ck_assert_int_eq(ftp_reply_format(&out, bad[i], "x"), FTP_E_BAD_ARG);
  ck_assert_uint_eq(ftp_buf_len(&out), 0);
  /* All or nothing: "211-abc\r\n211 def\r\n" is 18 bytes. */
  ck_assert_int_eq(ftp_reply_format(&out, 211, "abc\ndef"), FTP_E_TOOBIG);
  ck_assert_uint_eq(ftp_buf_len(&out), 0);
  ck_assert_int_eq(ftp_reply_format(&out, 211, "abc\nde"), 0);
  ck_assert_uint_eq(ftp_buf_len(&out), 17);
  ftp_buf_free(&out);
}
END_TEST

START_TEST(test_formatf) {
  struct ftp_buf out;

  ftp_buf_init(&out, 4096);
  ck_assert_int_eq(ftp_reply_formatf(&out, 227, "Entering Passive Mode (%s)",
                                     "10,0,0,1,4,1"), 0);
  ck_assert_int_eq(ftp_reply_formatf(&out, 211, "%s\n%d files\n%s", "Status",
                                     3, "End"), 0);
  ck_assert_int_eq(ftp_reply_formatf(&out, 200, "a%cb", 0), FTP_E_NUL_IN_LINE);
  ck_assert_int_eq(ftp_reply_formatf(&out, 42, "x"), FTP_E_BAD_ARG);
  assert_buf(&out, IN("227 Entering Passive Mode (10,0,0,1,4,1)\r\n"
                      "211-Status\r\n 3 files\r\n211 End\r\n"));
  ftp_buf_free(&out);
}
END_TEST

/* ---- parsing ---- */

/* Parse in into successive replies, fed in pieces of piece bytes (0: all at
 * once).  Each complete reply is written to t as "code|nlines|text\n"; an
 * error as "E:<name>\n", after which parsing stops. */
static void run(struct ftp_buf *t, const void *in, size_t n, size_t piece) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  const unsigned char *d = in;
  size_t off = 0, used, k;
  int r;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  if (piece == 0)
    piece = n;
  while (off < n) {
    k = n - off < piece ? n - off : piece;
    r = ftp_reply_parse(&p, d + off, k, &used, &rep);
    REQUIRE(used <= k);
    off += used;
    if (r < 0) {
      REQUIRE(ftp_buf_putf(t, "E:%s\n", ftp_err_name(r)) == 0);
      /* Sticky until reset. */
      REQUIRE(ftp_reply_parse(&p, "220 x\r\n", 7, &used, &rep) == r);
      REQUIRE(used == 0);
      break;
    }
    if (r == FTP_REPLY_NEED_MORE) {
      REQUIRE(used == k);
      continue;
    }
    REQUIRE(r == FTP_REPLY_COMPLETE);
    REQUIRE(rep.nlines >= 1);
    ck_assert_int_eq(ftp_buf_putf(t, "%d|%zu|%s\n", rep.code, rep.nlines,
                                  ftp_reply_text(&rep)), 0);
  }
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}

static const struct {
  const char *in;
  size_t len;
  const char *want;
} parse_cases[] = {
  {IN("220 Ready\r\n"), "220|1|Ready\n"},
  {IN("220\r\n"), "220|1|\n"},
  {IN("220\n"), "220|1|\n"},
  {IN("220 \r\n"), "220|1|\n"},
  {IN("220 Ready\n"), "220|1|Ready\n"},
  {IN("200  two  spaces \r\n"), "200|1| two  spaces \n"},
  {IN("211-Features:\r\n EPSV\r\n211 End\r\n"),
   "211|3|Features:\n EPSV\nEnd\n"},
  {IN("211-Features:\n EPSV\n211 End\n"), "211|3|Features:\n EPSV\nEnd\n"},
  {IN("230-\r\n230 \r\n"), "230|2|\n\n"},
  {IN("230-a\r\n230\r\n"), "230|2|a\n\n"},
  /* Inner lines may start with anything, other codes and this code with
   * '-' included. */
  {IN("211-a\r\n211-b\r\n212 c\r\n123 x\r\n2110 y\r\n 211 z\r\n\r\n211\r\n"),
   "211|8|a\n211-b\n212 c\n123 x\n2110 y\n 211 z\n\n\n"},
  {IN("214-a\r\n220 not the end\r\n214 end\r\n"),
   "214|3|a\n220 not the end\nend\n"},
  /* A mismatched end code is no end. */
  {IN("211-a\r\n212 b\r\n"), ""},
  {IN("211-a\r\n2"), ""},
  {IN("22"), ""},
  {IN("220"), ""},
  {IN("220-"), ""},
  /* Two replies in a row. */
  {IN("331 Password\r\n230 Logged in\r\n"),
   "331|1|Password\n230|1|Logged in\n"},
  {IN("150 Opening\r\n226-Done\r\n226 Bye\r\n"),
   "150|1|Opening\n226|2|Done\nBye\n"},
  /* IAC IAC is one 0xFF; other bytes are kept. */
  {IN("257 \"/a\xff\xff" "b\"\r\n"), "257|1|\"/a\xff" "b\"\n"},
  {IN("257 \xff\xff\xff\r\n"), "257|1|\xff\xff\n"},
  {IN("220 a\rb\x01\r\n"), "220|1|a\rb\x01\n"},
  /* Bad first lines. */
  {IN("\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("abc\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("20 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("20\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("600 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("099 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("2a0 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("22a x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220_x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220\tx\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220\rx\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220\r\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN(" 220 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("0220 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("2200 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("-220 x\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("HTTP/1.1 200 OK\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("H"), "E:FTP_E_BAD_REPLY\n"},             /* refused before any LF */
  {IN("2200"), "E:FTP_E_BAD_REPLY\n"},
  {IN("220 ok\r\nbad\r\n"), "220|1|ok\nE:FTP_E_BAD_REPLY\n"},
  /* NUL, anywhere. */
  {IN("220 a\0b\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("\0"), "E:FTP_E_BAD_REPLY\n"},
  {IN("211-a\r\n\0\r\n211 b\r\n"), "E:FTP_E_BAD_REPLY\n"},
  {IN("211-a\r\n211 b\0\r\n"), "E:FTP_E_BAD_REPLY\n"},
};

static const size_t pieces[] = {0, 1, 2, 3, 5, 7, 64};

START_TEST(test_parse_table) {
  size_t k;

  for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
    struct ftp_buf t;

    ftp_buf_init(&t, 1 << 16);
    run(&t, parse_cases[_i].in, parse_cases[_i].len, pieces[k]);
    assert_buf(&t, parse_cases[_i].want, strlen(parse_cases[_i].want));
    ftp_buf_free(&t);
  }
}
END_TEST

/* Exact consumed counts: the caller keeps what follows a reply, and so can
 * see bytes injected after a 234 (response injection). */
START_TEST(test_consumed_exact) {
  static const char in[] = "234 AUTH TLS OK\r\n220 injected\r\n\x16\x03";
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t used;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  ck_assert_int_eq(ftp_reply_parse(&p, in, sizeof(in) - 1, &used, &rep),
                   FTP_REPLY_COMPLETE);
  ck_assert_int_eq(rep.code, 234);
  ck_assert_uint_eq(used, 17);
  ck_assert_int_eq(ftp_reply_parse(&p, in + 17, sizeof(in) - 1 - 17, &used,
                                   &rep), FTP_REPLY_COMPLETE);
  ck_assert_int_eq(rep.code, 220);
  ck_assert_str_eq(ftp_reply_text(&rep), "injected");
  ck_assert_uint_eq(used, 14);
  /* A TLS record header is no reply. */
  ck_assert_int_eq(ftp_reply_parse(&p, in + 31, 2, &used, &rep),
                   FTP_E_BAD_REPLY);
  ck_assert_int_eq(rep.code, 220); /* untouched by the error */
  ftp_reply_parser_reset(&p);
  ck_assert_int_eq(ftp_reply_parse(&p, "200 ok\r\n", 8, &used, &rep),
                   FTP_REPLY_COMPLETE);
  ck_assert_int_eq(rep.code, 200);
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
  ftp_reply_parser_free(NULL);
  ftp_reply_free(NULL);
}
END_TEST

/* One byte at a time: NEED_MORE until the very last LF. */
START_TEST(test_one_byte_at_a_time) {
  static const char in[] = "211-Features:\r\n EPSV\r\n211 End\r\n";
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t i, used, n = sizeof(in) - 1;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  for (i = 0; i + 1 < n; i++) {
    ck_assert_int_eq(ftp_reply_parse(&p, in + i, 1, &used, &rep),
                     FTP_REPLY_NEED_MORE);
    REQUIRE(used == 1);
  }
  ck_assert_int_eq(ftp_reply_parse(&p, in + i, 1, &used, &rep),
                   FTP_REPLY_COMPLETE);
  REQUIRE(used == 1);
  REQUIRE(rep.code == 211);
  REQUIRE(rep.nlines == 3);
  /* Zero bytes is no error either. */
  ck_assert_int_eq(ftp_reply_parse(&p, in, 0, &used, &rep),
                   FTP_REPLY_NEED_MORE);
  REQUIRE(used == 0);
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

START_TEST(test_lines) {
  static const char in[] = "211-Extensions supported:\r\n EPSV\r\n"
                           " MLST size*;modify*;\r\n211 END\r\n";
  static const char *const want[] = {"Extensions supported:", " EPSV",
                                     " MLST size*;modify*;", "END"};
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t used, i, len;
  const char *line;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  ck_assert_ptr_null(ftp_reply_line(&rep, 0, &len));
  ck_assert_str_eq(ftp_reply_text(&rep), "");
  ck_assert_int_eq(ftp_reply_parse(&p, in, sizeof(in) - 1, &used, &rep),
                   FTP_REPLY_COMPLETE);
  ck_assert_uint_eq(rep.nlines, 4);
  for (i = 0; i < 4; i++) {
    line = ftp_reply_line(&rep, i, &len);
    ck_assert_ptr_nonnull(line);
    ck_assert_uint_eq(len, strlen(want[i]));
    ck_assert_mem_eq(line, want[i], len);
  }
  ck_assert_ptr_null(ftp_reply_line(&rep, 4, &len));
  /* "220" alone: one empty line. */
  ck_assert_int_eq(ftp_reply_parse(&p, "220\r\n", 5, &used, &rep),
                   FTP_REPLY_COMPLETE);
  line = ftp_reply_line(&rep, 0, &len);
  ck_assert_ptr_nonnull(line);
  ck_assert_uint_eq(len, 0);
  ck_assert_ptr_null(ftp_reply_line(&rep, 1, &len));
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

/* ---- limits ---- */

/* A reply whose one line is exactly len bytes, CR LF included. */
static char *line_of(size_t len, size_t *n) {
  char *s = malloc(len + 1);

  ck_assert_ptr_nonnull(s);
  memcpy(s, "220 ", 4);
  memset(s + 4, 'x', len - 6);
  memcpy(s + len - 2, "\r\n", 3);
  *n = len;
  return s;
}

START_TEST(test_line_cap) {
  size_t n, k;
  char *ok = line_of(FTP_REPLY_LINE_MAX, &n);
  char *big = line_of(FTP_REPLY_LINE_MAX + 1, &n);

  for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
    struct ftp_buf t;

    ftp_buf_init(&t, 1 << 16);
    run(&t, ok, FTP_REPLY_LINE_MAX, pieces[k]);
    ck_assert_uint_eq(ftp_buf_len(&t), FTP_REPLY_LINE_MAX - 6 + 7);
    ftp_buf_reset(&t);
    run(&t, big, FTP_REPLY_LINE_MAX + 1, pieces[k]);
    assert_buf(&t, IN("E:FTP_E_TOOBIG\n"));
    ftp_buf_free(&t);
  }
  free(ok);
  free(big);
}
END_TEST

/* The longest 257 reply ftpd can send (PWD in a directory whose path is
 * FTP_PATH_MAX - 1 quotes, each doubled) is read whole: fuzz_session found
 * our client refusing it when the line cap was 8192. */
START_TEST(test_line_cap_fits_a_doubled_path) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  struct ftp_buf text, out;
  size_t used, i;

  ftp_buf_init(&text, 4 * FTP_PATH_MAX);
  ftp_buf_init(&out, 4 * FTP_PATH_MAX);
  ck_assert_int_eq(ftp_buf_puts(&text, "\"/"), 0);
  for (i = 0; i < FTP_PATH_MAX - 2; i++)
    ck_assert_int_eq(ftp_buf_puts(&text, "\"\""), 0);
  ck_assert_int_eq(ftp_buf_puts(&text, "\" is the current directory"), 0);
  ck_assert_int_eq(ftp_reply_format(&out, 257, ftp_buf_cstr(&text, NULL)), 0);
  ck_assert_uint_gt(ftp_buf_len(&out), 2 * FTP_PATH_MAX);
  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  ck_assert_int_eq(ftp_reply_parse(&p, ftp_buf_ptr(&out), ftp_buf_len(&out),
                                   &used, &rep),
                   FTP_REPLY_COMPLETE);
  ck_assert_uint_eq(used, ftp_buf_len(&out));
  ck_assert_int_eq(rep.code, 257);
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
  ftp_buf_free(&text);
  ftp_buf_free(&out);
}
END_TEST

/* An over-long line is refused as soon as it cannot fit, without waiting
 * for its LF; an inner line the same. */
START_TEST(test_line_cap_early) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t n, used;
  char *s = line_of(FTP_REPLY_LINE_MAX + 2, &n);

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  ck_assert_int_eq(ftp_reply_parse(&p, s, FTP_REPLY_LINE_MAX - 1, &used, &rep),
                   FTP_REPLY_NEED_MORE);
  ck_assert_int_eq(ftp_reply_parse(&p, s, 1, &used, &rep), FTP_E_TOOBIG);
  ftp_reply_parser_reset(&p);
  ck_assert_int_eq(ftp_reply_parse(&p, "211-x\r\n ", 8, &used, &rep),
                   FTP_REPLY_NEED_MORE);
  ck_assert_int_eq(ftp_reply_parse(&p, s, FTP_REPLY_LINE_MAX, &used, &rep),
                   FTP_E_TOOBIG);
  ck_assert_int_eq(rep.code, 0);
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
  free(s);
}
END_TEST

/* A multi-line reply of exactly FTP_REPLY_MAX bytes passes; one byte more,
 * or an endless one, ends in FTP_E_TOOBIG after at most FTP_REPLY_MAX
 * bytes. */
static void build_big(struct ftp_buf *b, size_t extra) {
  enum { L = 1024 };
  char line[L + 1];
  size_t i;

  memset(line, 'b', L - 2);
  memcpy(line + L - 2, "\r\n", 3);
  memcpy(line, "211-", 4);
  REQUIRE(ftp_buf_put(b, line, L) == 0);
  memset(line, 'b', 4);
  /* Extra bytes lengthen the first inner line. */
  for (i = 0; i < extra; i++)
    REQUIRE(ftp_buf_putc(b, 'b') == 0);
  for (i = 1; i < FTP_REPLY_MAX / L - 1; i++)
    REQUIRE(ftp_buf_put(b, line, L) == 0);
  memcpy(line, "211 ", 4);
  REQUIRE(ftp_buf_put(b, line, L) == 0);
}

START_TEST(test_reply_cap) {
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  struct ftp_buf b;
  size_t used;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  ftp_buf_init(&b, 2 * FTP_REPLY_MAX);
  build_big(&b, 0);
  ck_assert_uint_eq(ftp_buf_len(&b), FTP_REPLY_MAX);
  ck_assert_int_eq(ftp_reply_parse(&p, ftp_buf_ptr(&b), ftp_buf_len(&b), &used,
                                   &rep), FTP_REPLY_COMPLETE);
  ck_assert_uint_eq(used, FTP_REPLY_MAX);
  ck_assert_uint_eq(rep.nlines, FTP_REPLY_MAX / 1024);
  ftp_buf_reset(&b);
  build_big(&b, 1);
  ck_assert_int_eq(ftp_reply_parse(&p, ftp_buf_ptr(&b), ftp_buf_len(&b), &used,
                                   &rep), FTP_E_TOOBIG);
  ck_assert_uint_le(used, FTP_REPLY_MAX);
  ftp_buf_free(&b);
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

START_TEST(test_flood) {
  static const char line[] = "211-flood flood flood flood flood\r\n";
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  size_t used, total = 0;
  int r;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  while ((r = ftp_reply_parse(&p, line, sizeof(line) - 1, &used, &rep)) ==
         FTP_REPLY_NEED_MORE) {
    total += used;
    REQUIRE(total <= FTP_REPLY_MAX);
  }
  REQUIRE(r == FTP_E_TOOBIG);
  REQUIRE(total + used > FTP_REPLY_MAX - sizeof(line));
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

/* ---- round trip ---- */

static unsigned next_rand(unsigned *seed) {
  *seed = *seed * 1103515245u + 12345u;
  return (*seed >> 16) & 0x7fff;
}

/* What the parser must return for a text the formatter was given. */
static void expected(const char *text, struct ftp_buf *want, size_t *nlines) {
  size_t len = strlen(text), i, start = 0, line = 0, total = 1;

  if (len > 0 && text[len - 1] == '\n')
    len--;
  for (i = 0; i < len; i++)
    total += text[i] == '\n';
  *nlines = total;
  for (i = 0; i <= len; i++) {
    if (i < len && text[i] != '\n')
      continue;
    {
      size_t k;
      int first = 1;

      if (line > 0)
        REQUIRE(ftp_buf_putc(want, '\n') == 0);
      for (k = start; k < i; k++) {
        if (text[k] == '\r')
          continue;
        if (first && line > 0 && line + 1 < total && text[k] >= '0' &&
            text[k] <= '9')
          REQUIRE(ftp_buf_putc(want, ' ') == 0);
        first = 0;
        REQUIRE(ftp_buf_putc(want, text[k]) == 0);
      }
    }
    line++;
    start = i + 1;
  }
}

START_TEST(test_roundtrip) {
  static const char alphabet[] = "\r\n\n\xff\xff 0123456789-abcXYZ\t\x01\x7f";
  unsigned seed = 4242;
  int iter;
  struct ftp_reply_parser p;
  struct ftp_reply rep;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  for (iter = 0; iter < 3000; iter++) {
    char text[400];
    size_t n = next_rand(&seed) % (sizeof(text) - 1), i, used, nlines;
    int code = 100 + (int)(next_rand(&seed) % 500);
    struct ftp_buf wire, want;

    for (i = 0; i < n; i++)
      text[i] = alphabet[next_rand(&seed) % (sizeof(alphabet) - 1)];
    text[n] = '\0';
    ftp_buf_init(&wire, 1 << 16);
    ftp_buf_init(&want, 1 << 16);
    REQUIRE(ftp_reply_format(&wire, code, text) == 0);
    expected(text, &want, &nlines);
    /* Split the wire bytes at a random point as well. */
    i = ftp_buf_len(&wire) == 0 ? 0 : next_rand(&seed) % ftp_buf_len(&wire);
    ck_assert_int_eq(ftp_reply_parse(&p, ftp_buf_ptr(&wire), i, &used, &rep),
                     FTP_REPLY_NEED_MORE);
    ck_assert_int_eq(ftp_reply_parse(&p, ftp_buf_ptr(&wire) + i,
                                     ftp_buf_len(&wire) - i, &used, &rep),
                     FTP_REPLY_COMPLETE);
    REQUIRE(used == ftp_buf_len(&wire) - i);
    REQUIRE(rep.code == code);
    REQUIRE(rep.nlines == nlines);
    assert_buf(&rep.text, (const char *)ftp_buf_ptr(&want), ftp_buf_len(&want));
    ftp_buf_free(&wire);
    ftp_buf_free(&want);
  }
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

/* ---- the 257 reply (RFC 959 Appendix II) ---- */

static const struct {
  const char *text;
  size_t len;
  int want_r;
  const char *want; /* the name, when want_r is 0 */
} path_cases[] = {
  {IN("\"/\" is the current directory"), 0, "/"},
  {IN("\"/home/demo\""), 0, "/home/demo"},
  {IN("\"/a b\" created"), 0, "/a b"},
  /* A doubled quote inside the name is one quote. */
  {IN("\"/say \"\"hi\"\"\" created"), 0, "/say \"hi\""},
  {IN("\"/a\"\"\" x"), 0, "/a\""},
  {IN("\"\"\"\""), 0, "\""},
  {IN("\"\"\"/x\""), 0, "\"/x"},
  /* The name ends at the first single quote; the rest is commentary. */
  {IN("\"/a\"b\" created"), 0, "/a"},
  {IN("\"/a\" \"b\""), 0, "/a"},
  /* Text before the quote (some servers), a multi-line reply. */
  {IN("Current directory is \"/x\"."), 0, "/x"},
  {IN("Created\n\"/new\" here"), 0, "/new"},
  {IN("\"/\xff\xfe\" 8-bit names pass"), 0, "/\xff\xfe"},
  {IN("\"/tab\there\""), 0, "/tab\there"},
  /* Hostile or broken: no name, never a guess. */
  {IN(""), FTP_E_BAD_REPLY, NULL},
  {IN("/no/quotes"), FTP_E_BAD_REPLY, NULL},
  {IN("\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/unterminated"), FTP_E_BAD_REPLY, NULL},
  {IN("\"/ends in a doubled quote\"\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"\" is empty"), FTP_E_BAD_REPLY, NULL},
  {IN("\"\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/a\nb\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/a\r\nb\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/a\rb\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/a\0b\""), FTP_E_BAD_REPLY, NULL},
  {IN("\"/a\"\"\n\""), FTP_E_BAD_REPLY, NULL},
};

START_TEST(test_path_table) {
  struct ftp_buf out;
  int r;

  ftp_buf_init(&out, 4096);
  /* Appended after what out holds, or nothing is. */
  ck_assert_int_eq(ftp_buf_puts(&out, "#"), 0);
  r = ftp_reply_parse_path(path_cases[_i].text, path_cases[_i].len, &out);
  ck_assert_msg(r == path_cases[_i].want_r, "case %d: %d", _i, r);
  ck_assert_int_eq(ftp_buf_consume(&out, 1), 0);
  if (r == 0)
    assert_buf(&out, path_cases[_i].want, strlen(path_cases[_i].want));
  else
    assert_buf(&out, "", 0);
  ftp_buf_free(&out);
}
END_TEST

/* A name longer than the room left: FTP_E_TOOBIG and nothing appended. */
START_TEST(test_path_too_big) {
  struct ftp_buf out;

  ftp_buf_init(&out, 5);
  ck_assert_int_eq(ftp_buf_puts(&out, "ab"), 0);
  ck_assert_int_eq(ftp_reply_parse_path(IN("\"/xyz\" created"), &out), FTP_E_TOOBIG);
  assert_buf(&out, "ab", 2);
  ck_assert_int_eq(ftp_reply_parse_path(IN("\"/\"\"y\" created"), &out), 0);
  assert_buf(&out, "ab/\"y", 5);
  ck_assert_int_eq(ftp_reply_parse_path(NULL, 0, &out), FTP_E_BAD_REPLY);
  ftp_buf_free(&out);
}
END_TEST

/*
 * Any name a server quotes as RFC 959 says (each quote doubled) comes back
 * whole through the wire format, the parser and ftp_reply_parse_path; and
 * random bytes never give a name holding CR, LF or NUL, or longer than the
 * text.  Fixed seed.
 */
START_TEST(test_path_random) {
  static const char alphabet[] = "\"\"\"/ab \r\n\t\xff\x01";
  struct ftp_reply_parser p;
  struct ftp_reply rep;
  unsigned seed = 257;
  int iter;

  ftp_reply_parser_init(&p);
  ftp_reply_init(&rep);
  for (iter = 0; iter < 5000; iter++) {
    char name[64], text[200];
    size_t n = 1 + next_rand(&seed) % (sizeof(name) - 2), i, t = 0, used;
    struct ftp_buf wire, out;
    int r;

    for (i = 0; i < n; i++)
      name[i] = alphabet[next_rand(&seed) % (sizeof(alphabet) - 1)];
    name[n] = 0;
    ftp_buf_init(&out, 1 << 10);
    /* Random bytes as a reply text. */
    r = ftp_reply_parse_path(name, n, &out);
    REQUIRE(r == 0 || r == FTP_E_BAD_REPLY);
    REQUIRE(r != 0 || (ftp_buf_len(&out) > 0 && ftp_buf_len(&out) < n));
    REQUIRE(ftp_buf_len(&out) == 0 ||
            (memchr(ftp_buf_ptr(&out), '\r', ftp_buf_len(&out)) == NULL &&
             memchr(ftp_buf_ptr(&out), '\n', ftp_buf_len(&out)) == NULL));
    ftp_buf_free(&out);
    /* The same bytes as a name, CR and LF aside (a name holds none). */
    for (i = 0; i < n; i++)
      if (name[i] == '\r' || name[i] == '\n')
        name[i] = '_';
    text[t++] = '"';
    for (i = 0; i < n; i++) {
      if (name[i] == '"')
        text[t++] = '"';
      text[t++] = name[i];
    }
    text[t++] = '"';
    text[t] = 0;
    ftp_buf_init(&wire, 1 << 10);
    REQUIRE(ftp_reply_formatf(&wire, 257, "%s created", text) == 0);
    REQUIRE(ftp_reply_parse(&p, ftp_buf_ptr(&wire), ftp_buf_len(&wire), &used, &rep) ==
            FTP_REPLY_COMPLETE);
    REQUIRE(ftp_reply_parse_path(ftp_reply_text(&rep), strlen(ftp_reply_text(&rep)),
                                 &out) == 0);
    assert_buf(&out, name, n);
    ftp_buf_free(&out);
    ftp_buf_free(&wire);
  }
  ftp_reply_free(&rep);
  ftp_reply_parser_free(&p);
}
END_TEST

static Suite *reply_suite(void) {
  Suite *s = suite_create("reply");
  TCase *tc;

  tc = tcase_create("format");
  tcase_add_loop_test(tc, test_format_table, 0,
                      (int)(sizeof(format_cases) / sizeof(format_cases[0])));
  tcase_add_test(tc, test_format_refuses);
  tcase_add_test(tc, test_formatf);
  suite_add_tcase(s, tc);

  tc = tcase_create("parse");
  tcase_add_loop_test(tc, test_parse_table, 0,
                      (int)(sizeof(parse_cases) / sizeof(parse_cases[0])));
  tcase_add_test(tc, test_consumed_exact);
  tcase_add_test(tc, test_one_byte_at_a_time);
  tcase_add_test(tc, test_lines);
  suite_add_tcase(s, tc);

  tc = tcase_create("limits");
  tcase_add_test(tc, test_line_cap);
  tcase_add_test(tc, test_line_cap_early);
  tcase_add_test(tc, test_line_cap_fits_a_doubled_path);
  tcase_add_test(tc, test_reply_cap);
  tcase_add_test(tc, test_flood);
  suite_add_tcase(s, tc);

  tc = tcase_create("roundtrip");
  tcase_add_test(tc, test_roundtrip);
  suite_add_tcase(s, tc);

  tc = tcase_create("path");
  tcase_add_loop_test(tc, test_path_table, 0,
                      (int)(sizeof(path_cases) / sizeof(path_cases[0])));
  tcase_add_test(tc, test_path_too_big);
  tcase_add_test(tc, test_path_random);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(reply_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
