/*
 * check_cmd.c: the control line codec (common/cmd).
 *
 * Most tests run a byte stream through a reader, fed in pieces of several
 * sizes, and compare a transcript of what next() returned: one line per
 * result, "VERB|arg|has_arg" for a command or "E:<error name>" for a bad line.
 * The framing must not depend on where the stream was cut.
 *
 * Run one test case:
 *   CK_RUN_SUITE=cmd CK_RUN_CASE=reader build/obj/test/unit/check_cmd
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "ftp_limits.h"
#include "replycodes.h"

/* An assertion for hot loops: Check's ck_assert_* report every passing
 * check to the parent process (CK_FORK), which is slow by the thousand. */
#define REQUIRE(c)                                                            \
  do {                                                                        \
    if (!(c))                                                                 \
      ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                      \
  } while (0)

/* Append one result of ftp_cmd_reader_next to the transcript t. */
static void note(struct ftp_buf *t, int rc, const struct ftp_cmd *cmd) {
  REQUIRE(rc != 0);
  if (rc < 0) {
    REQUIRE(ftp_buf_putf(t, "E:%s\n", ftp_err_name(rc)) == 0);
    return;
  }
  REQUIRE(rc == 1);
  /* The contract on every command handed out. */
  REQUIRE(strlen(cmd->arg) == cmd->arg_len);
  REQUIRE(strpbrk(cmd->arg, "\r\n") == NULL);
  REQUIRE(cmd->has_arg || cmd->arg_len == 0);
  REQUIRE(ftp_buf_putf(t, "%s|", cmd->verb) == 0);
  REQUIRE(ftp_buf_put(t, cmd->arg, cmd->arg_len) == 0);
  REQUIRE(ftp_buf_putf(t, "|%d\n", cmd->has_arg) == 0);
}

/* Frame every whole line buffered in r into t. */
static void drain(struct ftp_cmd_reader *r, struct ftp_buf *t) {
  struct ftp_cmd cmd;
  int rc;

  while ((rc = ftp_cmd_reader_next(r, &cmd)) != 0)
    note(t, rc, &cmd);
}

/* Feed data in pieces of piece bytes (0: all at once), draining after each
 * piece, and leave the transcript in t. */
static void run(struct ftp_buf *t, const void *data, size_t n, size_t piece) {
  struct ftp_cmd_reader r;
  const unsigned char *p = data;
  size_t off = 0, k;

  ftp_cmd_reader_init(&r);
  if (piece == 0)
    piece = n;
  while (off < n) {
    k = n - off < piece ? n - off : piece;
    REQUIRE(ftp_cmd_reader_feed(&r, p + off, k) == 0);
    drain(&r, t);
    off += k;
  }
  drain(&r, t);
  ftp_cmd_reader_free(&r);
}

static void assert_transcript(struct ftp_buf *t, const char *want) {
  size_t n = strlen(want);

  if (ftp_buf_len(t) != n || (n > 0 && memcmp(ftp_buf_ptr(t), want, n) != 0))
    ck_abort_msg("transcript:\n%.*s\nwant:\n%s", (int)ftp_buf_len(t),
                 (const char *)ftp_buf_ptr(t), want);
}

/* ---- table: whole streams and what they frame into ---- */

struct frame_case {
  const char *in;
  size_t len; /* the input may hold NUL bytes */
  const char *want;
};

#define IN(s) s, sizeof(s) - 1

static const struct frame_case frame_cases[] = {
  {IN("USER alice\r\n"), "USER|alice|1\n"},
  {IN("user alice\r\n"), "USER|alice|1\n"},
  {IN("NoOp\r\n"), "NOOP||0\n"},
  {IN("PASS \r\n"), "PASS||1\n"},
  {IN("LIST\n"), "LIST||0\n"},                      /* bare LF */
  {IN("RETR a\nRETR b\r\n"), "RETR|a|1\nRETR|b|1\n"},
  {IN("STOR name with  spaces  \r\n"), "STOR|name with  spaces  |1\n"},
  {IN("CWD  lead\r\n"), "CWD| lead|1\n"},
  {IN("\r\n\n\r\nNOOP\r\n"), "NOOP||0\n"},          /* empty lines skipped */
  {IN("ABCDEFGH x\r\n"), "ABCDEFGH|x|1\n"},         /* FTP_CMD_VERB_MAX */
  {IN("USER alice"), ""},                           /* no LF yet */
  /* CR and NUL */
  {IN("US\rER x\r\nNOOP\r\n"), "E:FTP_E_CR_IN_LINE\nNOOP||0\n"},
  {IN("USER a\rb\r\n"), "E:FTP_E_CR_IN_LINE\n"},
  {IN("USER x\r\r\n"), "E:FTP_E_CR_IN_LINE\n"},
  {IN("\r\r\nNOOP\r\n"), "E:FTP_E_CR_IN_LINE\nNOOP||0\n"},
  {IN("US\0ER x\r\nNOOP\r\n"), "E:FTP_E_NUL_IN_LINE\nNOOP||0\n"},
  {IN("USER a\0b\r\n"), "E:FTP_E_NUL_IN_LINE\n"},
  {IN("\0\n"), "E:FTP_E_NUL_IN_LINE\n"},
  /* verbs */
  {IN("ABCDEFGHI x\r\nNOOP\r\n"), "E:FTP_E_BAD_VERB\nNOOP||0\n"},
  {IN("US3R x\r\n"), "E:FTP_E_BAD_VERB\n"},
  {IN(" USER x\r\n"), "E:FTP_E_BAD_VERB\n"},
  {IN("USER\tx\r\n"), "E:FTP_E_BAD_VERB\n"},
  {IN("X-FOO\r\n"), "E:FTP_E_BAD_VERB\n"},
  {IN("GET / HTTP/1.1\r\n"), "GET|/ HTTP/1.1|1\n"}, /* the server's business */
  {IN("\xc3\xa9TAT\r\n"), "E:FTP_E_BAD_VERB\n"},    /* no locale letters */
  {IN("\xff\xff\r\n"), "E:FTP_E_BAD_VERB\n"},
  /* Telnet */
  {IN("\xff\xf4\xff\xf2" "ABOR\r\n"), "ABOR||0\n"}, /* IAC IP IAC DM */
  {IN("\xff\xf4\xff" "ABOR\r\n"), "ABOR||0\n"},     /* DM taken as urgent */
  {IN("\xff\xf4\xff\xf2" "STAT\r\n"), "STAT||0\n"},
  {IN("STOR a\xff\xff" "b\r\n"), "STOR|a\xff" "b|1\n"},
  {IN("STOR \xff\xff\xff\xff\r\n"), "STOR|\xff\xff|1\n"},
  {IN("\xff\xfb\x01NOOP\r\n"), "NOOP||0\n"},        /* IAC WILL ECHO */
  {IN("\xff\xfe\x00NOOP\r\n"), "NOOP||0\n"},        /* IAC DONT 0: no NUL */
  {IN("USER \xff\xfd\r" "x\r\n"), "USER|x|1\n"},    /* IAC DO CR: no CR */
  {IN("NO\xff\xf1OP\r\n"), "NOOP||0\n"},            /* IAC NOP mid-word */
  {IN("NOOP\xff\r\n"), "NOOP||0\n"},                /* lone IAC at the end */
  {IN("NOOP\xff\xfb\r\n"), "NOOP||0\n"},            /* cut-short IAC WILL */
  {IN("\xff\xf4\xff\xf2\r\n" "NOOP\r\n"), "NOOP||0\n"}, /* empty once decoded */
  /* SB and SE go as two-byte commands; their payload stays, here making a
   * bad verb. */
  {IN("\xff\xfa\x18\x01\xff\xf0NOOP\r\n"), "E:FTP_E_BAD_VERB\n"},
};

static const size_t pieces[] = {0, 1, 2, 3, 5, 7, 64};

START_TEST(test_frame_table) {
  const struct frame_case *c = &frame_cases[_i];
  size_t k;

  for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
    struct ftp_buf t;

    ftp_buf_init(&t, 1 << 20);
    run(&t, c->in, c->len, pieces[k]);
    assert_transcript(&t, c->want);
    ftp_buf_free(&t);
  }
}
END_TEST

/* ---- splits at every position ---- */

static const char split_stream[] =
    "\xff\xf4\xff\xf2" "ABOR\r\n"
    "STOR a\xff\xff" "b\r\n"
    "\xff\xf4\xff" "STAT\r\n"
    "\xff\xfd\x01" "USER \xff\xff\r\n"
    "PASS x\r\n";
static const char split_want[] =
    "ABOR||0\nSTOR|a\xff" "b|1\nSTAT||0\nUSER|\xff|1\nPASS|x|1\n";

/* Feed the stream in two or three pieces cut at every pair of positions:
 * every IAC sequence and every CR LF is cut somewhere. */
START_TEST(test_split_everywhere) {
  size_t n = sizeof(split_stream) - 1, i, j;

  for (i = 0; i <= n; i++) {
    for (j = i; j <= n; j++) {
      struct ftp_cmd_reader r;
      struct ftp_buf t;

      ftp_buf_init(&t, 1 << 16);
      ftp_cmd_reader_init(&r);
      REQUIRE(ftp_cmd_reader_feed(&r, split_stream, i) == 0);
      drain(&r, &t);
      REQUIRE(ftp_cmd_reader_feed(&r, split_stream + i, j - i) == 0);
      drain(&r, &t);
      REQUIRE(ftp_cmd_reader_feed(&r, split_stream + j, n - j) == 0);
      drain(&r, &t);
      assert_transcript(&t, split_want);
      ftp_cmd_reader_free(&r);
      ftp_buf_free(&t);
    }
  }
}
END_TEST

START_TEST(test_crlf_split) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;

  ftp_cmd_reader_init(&r);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "USER x\r", 7), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "\n", 1), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 1);
  ck_assert_str_eq(cmd.verb, "USER");
  ck_assert_str_eq(cmd.arg, "x");
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ftp_cmd_reader_free(&r);
}
END_TEST

/* ---- long lines ---- */

/* A buffer of n bytes of c followed by tail. */
static char *filled(size_t n, int c, const char *tail, size_t *len) {
  size_t tl = strlen(tail);
  char *p = malloc(n + tl + 1);

  ck_assert_ptr_nonnull(p);
  memset(p, c, n);
  memcpy(p + n, tail, tl + 1);
  *len = n + tl;
  return p;
}

START_TEST(test_long_line_pieces) {
  static const size_t sizes[] = {0, 1, 7, 100, 1000, 4095, 4096, 4097};
  size_t len, k;
  char *p = filled(10 * 1024, 'A', "\r\nNOOP\r\n", &len);

  for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
    struct ftp_buf t;

    ftp_buf_init(&t, 1 << 16);
    run(&t, p, len, sizes[k]);
    assert_transcript(&t, "E:FTP_E_LINE_TOO_LONG\nNOOP||0\n");
    ftp_buf_free(&t);
  }
  free(p);
}
END_TEST

/* Earlier lines come first, the error comes the moment the cap is crossed,
 * and the rest of the line is discarded whatever pieces it comes in. */
START_TEST(test_long_line_immediate) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  size_t len;
  char *p = filled(FTP_CMD_LINE_MAX, 'B', "", &len);

  ftp_cmd_reader_init(&r);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "NOOP\r\nSTOR ", 11), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 1);
  ck_assert_str_eq(cmd.verb, "NOOP");
  /* "STOR " + FTP_CMD_LINE_MAX - 6 bytes: one byte short of crossing. */
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, p, FTP_CMD_LINE_MAX - 6), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, p, 1), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), FTP_E_LINE_TOO_LONG);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, p, 3000), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "BB\r", 3), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "\nPWD\r", 5), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, "\n", 1), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 1);
  ck_assert_str_eq(cmd.verb, "PWD");
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ftp_cmd_reader_free(&r);
  free(p);
}
END_TEST

/* A line of exactly FTP_CMD_LINE_MAX bytes, CR LF included, passes whole; one
 * byte more is refused.  Row: terminator, extra bytes. */
static const struct {
  const char *eol;
  size_t extra;
  int ok;
} cap_cases[] = {
  {"\r\n", 0, 1}, {"\r\n", 1, 0}, {"\n", 0, 1}, {"\n", 1, 0},
};

START_TEST(test_line_cap) {
  size_t eol = strlen(cap_cases[_i].eol);
  size_t alen = FTP_CMD_LINE_MAX - 5 - eol + cap_cases[_i].extra;
  size_t len, k;
  char *arg = filled(alen, 'x', "", &len);
  struct ftp_buf in;

  ftp_buf_init(&in, 2 * FTP_CMD_LINE_MAX);
  ck_assert_int_eq(ftp_buf_putf(&in, "STOR %s%sNOOP\r\n", arg,
                                cap_cases[_i].eol), 0);
  ck_assert_uint_eq(ftp_buf_len(&in),
                    FTP_CMD_LINE_MAX + cap_cases[_i].extra + 6);
  for (k = 0; k < sizeof(pieces) / sizeof(pieces[0]); k++) {
    struct ftp_buf t, want;

    ftp_buf_init(&t, 1 << 16);
    ftp_buf_init(&want, 1 << 16);
    if (cap_cases[_i].ok)
      ck_assert_int_eq(ftp_buf_putf(&want, "STOR|%s|1\nNOOP||0\n", arg), 0);
    else
      ck_assert_int_eq(ftp_buf_puts(&want, "E:FTP_E_LINE_TOO_LONG\nNOOP||0\n"),
                       0);
    run(&t, ftp_buf_ptr(&in), ftp_buf_len(&in), pieces[k]);
    assert_transcript(&t, ftp_buf_cstr(&want, NULL));
    ftp_buf_free(&t);
    ftp_buf_free(&want);
  }
  ftp_buf_free(&in);
  free(arg);
}
END_TEST

/* ---- pending bytes after AUTH (STARTTLS injection) ---- */

START_TEST(test_pending_after_auth) {
  static const char in[] = "AUTH TLS\r\nUSER x\r\n";
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  const unsigned char *p;
  size_t n;

  ftp_cmd_reader_init(&r);
  ck_assert_uint_eq(ftp_cmd_reader_pending(&r, &p), 0);
  ck_assert_ptr_null(p);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, in, sizeof(in) - 1), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 1);
  ck_assert_str_eq(cmd.verb, "AUTH");
  ck_assert_str_eq(cmd.arg, "TLS");
  n = ftp_cmd_reader_pending(&r, &p);
  ck_assert_uint_eq(n, 8);
  ck_assert_mem_eq(p, "USER x\r\n", 8);
  ftp_cmd_reader_clear(&r);
  ck_assert_uint_eq(ftp_cmd_reader_pending(&r, &p), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ftp_cmd_reader_free(&r);
}
END_TEST

/* Bytes after the AUTH line are handed back exactly, whatever they are
 * (here a TLS record header, NUL, IAC, CR, partial lines), and in whatever
 * pieces the AUTH line itself came. */
START_TEST(test_pending_untouched) {
  static const unsigned char in[] =
      "AUTH TLS\r\n\x16\x03\x01\x00\xff\xff\xf4\r\r\n\xff" "ABOR\r\nUSE";
  size_t n = sizeof(in) - 1, cut, auth = 10;

  for (cut = 0; cut <= n; cut++) {
    struct ftp_cmd_reader r;
    struct ftp_cmd cmd;
    const unsigned char *p;
    int rc;

    ftp_cmd_reader_init(&r);
    REQUIRE(ftp_cmd_reader_feed(&r, in, cut) == 0);
    rc = ftp_cmd_reader_next(&r, &cmd);
    if (cut < auth) {
      REQUIRE(rc == 0);
      REQUIRE(ftp_cmd_reader_feed(&r, in + cut, n - cut) == 0);
      rc = ftp_cmd_reader_next(&r, &cmd);
    } else {
      REQUIRE(ftp_cmd_reader_feed(&r, in + cut, n - cut) == 0);
    }
    REQUIRE(rc == 1);
    REQUIRE(strcmp(cmd.verb, "AUTH") == 0);
    REQUIRE(ftp_cmd_reader_pending(&r, &p) == n - auth);
    ck_assert_mem_eq(p, in + auth, n - auth);
    ftp_cmd_reader_free(&r);
  }
}
END_TEST

/* ---- backlog ---- */

START_TEST(test_backlog) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  const unsigned char *p;
  size_t len, lines = 0;
  char *line = filled(1000, 'x', "\r\n", &len);
  int rc;

  ftp_cmd_reader_init(&r);
  REQUIRE(ftp_cmd_reader_room(&r) == FTP_CMD_BACKLOG_MAX);
  REQUIRE(ftp_cmd_reader_feed(&r, "STOR ", 5) == 0);
  while (ftp_cmd_reader_room(&r) >= len + 5) {
    REQUIRE(ftp_cmd_reader_feed(&r, line, len) == 0);
    REQUIRE(ftp_cmd_reader_feed(&r, "STOR ", 5) == 0);
  }
  REQUIRE(ftp_cmd_reader_feed(&r, line, ftp_cmd_reader_room(&r)) == 0);
  REQUIRE(ftp_cmd_reader_room(&r) == 0);
  REQUIRE(ftp_cmd_reader_feed(&r, "x", 1) == FTP_E_TOOBIG);
  REQUIRE(ftp_cmd_reader_pending(&r, &p) == FTP_CMD_BACKLOG_MAX);
  /* A full backlog always lets next() make progress. */
  while ((rc = ftp_cmd_reader_next(&r, &cmd)) == 1) {
    REQUIRE(strcmp(cmd.verb, "STOR") == 0);
    REQUIRE(cmd.arg_len == 1000);
    lines++;
  }
  REQUIRE(rc == 0);
  REQUIRE(lines == FTP_CMD_BACKLOG_MAX / (len + 5));
  REQUIRE(ftp_cmd_reader_room(&r) > 0);
  ftp_cmd_reader_free(&r);
  free(line);
}
END_TEST

/* ---- memory ---- */

/* White box: an idle reader holds no heap memory.  10,000 idle sessions
 * must not hold kilobytes each. */
START_TEST(test_idle_memory) {
  enum { N = 10000 };
  struct ftp_cmd_reader *rs = calloc(N, sizeof(*rs));
  struct ftp_cmd cmd;
  size_t i;

  ck_assert_ptr_nonnull(rs);
  for (i = 0; i < N; i++) {
    ftp_cmd_reader_init(&rs[i]);
    REQUIRE(ftp_buf_ptr(&rs[i].priv_in) == NULL);
    REQUIRE(ftp_cmd_reader_feed(&rs[i], "PASS secret\r\nNO", 15) == 0);
    REQUIRE(ftp_cmd_reader_next(&rs[i], &cmd) == 1);
    REQUIRE(ftp_cmd_reader_next(&rs[i], &cmd) == 0);
    /* "NO" is pending; the line buffer is gone. */
    REQUIRE(ftp_buf_ptr(&rs[i].priv_line) == NULL);
    REQUIRE(ftp_cmd_reader_feed(&rs[i], "OP\r\n", 4) == 0);
    REQUIRE(ftp_cmd_reader_next(&rs[i], &cmd) == 1);
    REQUIRE(ftp_cmd_reader_next(&rs[i], &cmd) == 0);
    REQUIRE(ftp_buf_ptr(&rs[i].priv_in) == NULL);
    REQUIRE(ftp_buf_ptr(&rs[i].priv_line) == NULL);
  }
  for (i = 0; i < N; i++)
    ftp_cmd_reader_free(&rs[i]);
  free(rs);
}
END_TEST

START_TEST(test_idle_after_error) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  size_t len;
  char *p = filled(5000, 'Z', "", &len);

  ftp_cmd_reader_init(&r);
  ck_assert_int_eq(ftp_cmd_reader_feed(&r, p, len), 0);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), FTP_E_LINE_TOO_LONG);
  ck_assert_int_eq(ftp_cmd_reader_next(&r, &cmd), 0);
  ck_assert_ptr_null(ftp_buf_ptr(&r.priv_in));
  ck_assert_ptr_null(ftp_buf_ptr(&r.priv_line));
  ftp_cmd_reader_free(&r);
  ftp_cmd_reader_free(NULL);
  free(p);
}
END_TEST

/* ---- errors map to the replies RFC 959 section 4.2 names ---- */

START_TEST(test_error_replies) {
  ck_assert_int_eq(ftp_err_reply(FTP_E_LINE_TOO_LONG, NULL), FTP_R_SYNTAX);
  ck_assert_int_eq(ftp_err_reply(FTP_E_CR_IN_LINE, NULL), FTP_R_SYNTAX);
  ck_assert_int_eq(ftp_err_reply(FTP_E_NUL_IN_LINE, NULL), FTP_R_SYNTAX);
  ck_assert_str_eq(ftp_err_name(FTP_E_BAD_VERB), "FTP_E_BAD_VERB");
}
END_TEST

/* ---- client side: ftp_cmd_format ---- */

static const struct {
  const char *verb, *arg;
  const char *want;
  size_t want_len;
} format_cases[] = {
  {"USER", "alice", IN("USER alice\r\n")},
  {"PASV", NULL, IN("PASV\r\n")},
  {"PASS", "", IN("PASS \r\n")},
  {"STOR", "a\xff" "b\xff", IN("STOR a\xff\xff" "b\xff\xff\r\n")},
  {"STOR", "\xff\xff", IN("STOR \xff\xff\xff\xff\r\n")},
  {"STOR", " trailing  ", IN("STOR  trailing  \r\n")},
  {"SITE", "CHMOD 644 x", IN("SITE CHMOD 644 x\r\n")},
};

START_TEST(test_format_table) {
  struct ftp_buf out;

  ftp_buf_init(&out, 1024);
  ck_assert_int_eq(ftp_buf_puts(&out, "X"), 0);
  ck_assert_int_eq(ftp_cmd_format(&out, format_cases[_i].verb,
                                  format_cases[_i].arg), 0);
  ck_assert_uint_eq(ftp_buf_len(&out), 1 + format_cases[_i].want_len);
  ck_assert_mem_eq(ftp_buf_ptr(&out) + 1, format_cases[_i].want,
                   format_cases[_i].want_len);
  ftp_buf_free(&out);
}
END_TEST

static const struct {
  const char *verb, *arg;
} refuse_cases[] = {
  {"PASS", "pw\r\nDELE x"}, {"PASS", "pw\nDELE x"}, {"PASS", "pw\r"},
  {"USER", "\n"},           {"US\rER", "x"},        {"US\nER", NULL},
  {"", "x"},                {NULL, "x"},            {"ST\xff", "x"},
};

START_TEST(test_format_refuses) {
  struct ftp_buf out;

  ftp_buf_init(&out, 1024);
  ck_assert_int_eq(ftp_buf_puts(&out, "before"), 0);
  ck_assert_int_eq(ftp_cmd_format(&out, refuse_cases[_i].verb,
                                  refuse_cases[_i].arg), FTP_E_BAD_ARG);
  ck_assert_uint_eq(ftp_buf_len(&out), 6);
  ck_assert_mem_eq(ftp_buf_ptr(&out), "before", 6);
  ftp_buf_free(&out);
}
END_TEST

START_TEST(test_format_full) {
  struct ftp_buf out;

  ftp_buf_init(&out, 12);
  ck_assert_int_eq(ftp_buf_puts(&out, "ab"), 0);
  /* "USER alice\r\n" is 12 bytes: 2 too many. */
  ck_assert_int_eq(ftp_cmd_format(&out, "USER", "alice"), FTP_E_TOOBIG);
  ck_assert_uint_eq(ftp_buf_len(&out), 2);
  ck_assert_int_eq(ftp_cmd_format(&out, "USER", "ali"), 0);
  ck_assert_uint_eq(ftp_buf_len(&out), 12);
  ftp_buf_free(&out);
}
END_TEST

START_TEST(test_arg_is_safe) {
  ck_assert_int_eq(ftp_cmd_arg_is_safe("plain name.txt"), 1);
  ck_assert_int_eq(ftp_cmd_arg_is_safe(""), 1);
  ck_assert_int_eq(ftp_cmd_arg_is_safe(NULL), 1);
  ck_assert_int_eq(ftp_cmd_arg_is_safe("\xff\t\x01"), 1);
  ck_assert_int_eq(ftp_cmd_arg_is_safe("a\r\nDELE x"), 0);
  ck_assert_int_eq(ftp_cmd_arg_is_safe("a\n"), 0);
  ck_assert_int_eq(ftp_cmd_arg_is_safe("\ra"), 0);
}
END_TEST

/* Whatever the client formats, the server frames back exactly: random
 * arguments (every byte but NUL, CR and LF; 0xFF often) with a fixed seed. */
START_TEST(test_format_roundtrip) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  unsigned seed = 12345;
  int iter;

  ftp_cmd_reader_init(&r);
  for (iter = 0; iter < 2000; iter++) {
    char arg[300];
    size_t n, i;
    struct ftp_buf out;
    int with_arg;

    seed = seed * 1103515245u + 12345u;
    n = (seed >> 8) % sizeof(arg);
    with_arg = (seed >> 20) % 4 != 0;
    for (i = 0; i < n; i++) {
      unsigned c;
      seed = seed * 1103515245u + 12345u;
      c = (seed >> 16) % 260;
      if (c >= 256)
        c = 0xFF;
      if (c == 0 || c == '\r' || c == '\n')
        c = ' ';
      arg[i] = (char)c;
    }
    arg[n] = '\0';
    ftp_buf_init(&out, 1 << 16);
    REQUIRE(ftp_cmd_format(&out, "stor", with_arg ? arg : NULL) == 0);
    ck_assert_int_eq(ftp_cmd_reader_feed(&r, ftp_buf_ptr(&out),
                                         ftp_buf_len(&out)), 0);
    REQUIRE(ftp_cmd_reader_next(&r, &cmd) == 1);
    REQUIRE(strcmp(cmd.verb, "STOR") == 0);
    REQUIRE(cmd.has_arg == with_arg);
    REQUIRE(cmd.arg_len == (with_arg ? n : 0));
    ck_assert_mem_eq(cmd.arg, with_arg ? arg : "", cmd.arg_len);
    REQUIRE(ftp_cmd_reader_next(&r, &cmd) == 0);
    ftp_buf_free(&out);
  }
  ftp_cmd_reader_free(&r);
}
END_TEST

static Suite *cmd_suite(void) {
  Suite *s = suite_create("cmd");
  TCase *tc;

  tc = tcase_create("reader");
  tcase_add_loop_test(tc, test_frame_table, 0,
                      (int)(sizeof(frame_cases) / sizeof(frame_cases[0])));
  tcase_add_test(tc, test_split_everywhere);
  tcase_add_test(tc, test_crlf_split);
  tcase_add_test(tc, test_error_replies);
  suite_add_tcase(s, tc);

  tc = tcase_create("long");
  tcase_add_test(tc, test_long_line_pieces);
  tcase_add_test(tc, test_long_line_immediate);
  tcase_add_loop_test(tc, test_line_cap, 0,
                      (int)(sizeof(cap_cases) / sizeof(cap_cases[0])));
  tcase_add_test(tc, test_backlog);
  suite_add_tcase(s, tc);

  tc = tcase_create("pending");
  tcase_add_test(tc, test_pending_after_auth);
  tcase_add_test(tc, test_pending_untouched);
  suite_add_tcase(s, tc);

  tc = tcase_create("memory");
  tcase_add_test(tc, test_idle_memory);
  tcase_add_test(tc, test_idle_after_error);
  suite_add_tcase(s, tc);

  tc = tcase_create("format");
  tcase_add_loop_test(tc, test_format_table, 0,
                      (int)(sizeof(format_cases) / sizeof(format_cases[0])));
  tcase_add_loop_test(tc, test_format_refuses, 0,
                      (int)(sizeof(refuse_cases) / sizeof(refuse_cases[0])));
  tcase_add_test(tc, test_format_full);
  tcase_add_test(tc, test_arg_is_safe);
  tcase_add_test(tc, test_format_roundtrip);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(cmd_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
