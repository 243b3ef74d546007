/*
 * check_ascii.c: TYPE A streaming conversion (common/ascii.c).
 *
 * Run one case with CK_RUN_CASE=table (or chunks, outbuf, random).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ascii.h"

enum dir { NET, LOCAL };

typedef size_t conv_fn(struct ftp_ascii *, const unsigned char *, size_t,
                       unsigned char *, size_t, size_t *);

static conv_fn *conv_of(enum dir d) {
  return d == NET ? ftp_ascii_to_net : ftp_ascii_to_local;
}

#define RES_MAX 8192

struct res {
  unsigned char b[RES_MAX];
  size_t n;
};

/*
 * Feed one chunk through conv with an output buffer of outcap bytes, calling
 * again until the chunk is consumed, and append the output to r.
 */
static void feed(enum dir d, struct ftp_ascii *st, const unsigned char *in,
                 size_t n, size_t outcap, struct res *r) {
  unsigned char out[RES_MAX];
  size_t used, w;

  ck_assert_uint_le(outcap, sizeof(out));
  while (n > 0) {
    w = conv_of(d)(st, in, n, out, outcap, &used);
    ck_assert_uint_le(w, outcap);
    ck_assert_uint_le(used, n);
    ck_assert_uint_le(r->n + w, sizeof(r->b));
    memcpy(r->b + r->n, out, w);
    r->n += w;
    in += used;
    n -= used;
    /* Progress is promised for outcap >= 2 (and to_local needs only 1). */
    ck_assert_msg(w > 0 || used > 0, "no progress with outcap %zu", outcap);
  }
}

static void finish(struct ftp_ascii *st, struct res *r) {
  unsigned char out[1];

  if (ftp_ascii_flush(st, out, 1) == 1)
    r->b[r->n++] = out[0];
  ck_assert(!ftp_ascii_pending(st));
}

/* Convert a whole buffer in one go (with ample output space). */
static void whole(enum dir d, const unsigned char *in, size_t n,
                  struct res *r) {
  struct ftp_ascii st;

  ftp_ascii_init(&st);
  r->n = 0;
  feed(d, &st, in, n, n == 0 ? 1 : FTP_ASCII_OUT_MAX(n), r);
  finish(&st, r);
}

#define S(x) x, sizeof(x) - 1

static const struct {
  const char *in;
  size_t in_len;
  const char *net;
  size_t net_len;
  const char *local;
  size_t local_len;
} table[] = {
    {S(""), S(""), S("")},
    {S("abc"), S("abc"), S("abc")},
    {S("a\n"), S("a\r\n"), S("a\n")},
    {S("a\r\n"), S("a\r\n"), S("a\n")},     /* CRLF never becomes CRCRLF */
    {S("a\rb"), S("a\rb"), S("a\rb")},      /* lone CR kept both ways */
    {S("\r"), S("\r"), S("\r")},            /* lone CR at end of stream */
    {S("\n"), S("\r\n"), S("\n")},
    {S("\r\r\n"), S("\r\r\n"), S("\r\n")},  /* CR, then a CRLF */
    {S("\r\r\r"), S("\r\r\r"), S("\r\r\r")},
    {S("\n\n"), S("\r\n\r\n"), S("\n\n")},
    {S("\r\n\n"), S("\r\n\r\n"), S("\n\n")},
    {S("\n\r"), S("\r\n\r"), S("\n\r")},
    {S("\n\r\n\r"), S("\r\n\r\n\r"), S("\n\n\r")},
    {S("a\0b\n\0"), S("a\0b\r\n\0"), S("a\0b\n\0")}, /* NUL is data */
    {S("\xff\r\xfe\n"), S("\xff\r\xfe\r\n"), S("\xff\r\xfe\n")},
    {S("line1\nline2\r\nline3\rx\n"), S("line1\r\nline2\r\nline3\rx\r\n"),
     S("line1\nline2\nline3\rx\n")},
};

START_TEST(test_table) {
  struct res r;

  whole(NET, (const unsigned char *)table[_i].in, table[_i].in_len, &r);
  ck_assert_uint_eq(r.n, table[_i].net_len);
  ck_assert_mem_eq(r.b, table[_i].net, r.n);
  whole(LOCAL, (const unsigned char *)table[_i].in, table[_i].in_len, &r);
  ck_assert_uint_eq(r.n, table[_i].local_len);
  ck_assert_mem_eq(r.b, table[_i].local, r.n);
}
END_TEST

static const unsigned char sample[] =
    "one\r\ntwo\nthree\r\r\nfour\rfive\n\n\r\n\r\r\n\rsix\r";

/* Every way to cut the sample into three chunks gives the same output. */
static void every_split(enum dir d) {
  size_t n = sizeof(sample) - 1, i, j;
  struct res want, got;
  struct ftp_ascii st;

  whole(d, sample, n, &want);
  for (i = 0; i <= n; i++) {
    for (j = i; j <= n; j++) {
      ftp_ascii_init(&st);
      got.n = 0;
      feed(d, &st, sample, i, 64, &got);
      feed(d, &st, sample + i, j - i, 64, &got);
      feed(d, &st, sample + j, n - j, 64, &got);
      finish(&st, &got);
      ck_assert_msg(got.n == want.n && memcmp(got.b, want.b, got.n) == 0,
                    "split at %zu,%zu differs", i, j);
    }
  }
}

START_TEST(test_every_split_net) { every_split(NET); }
END_TEST

START_TEST(test_every_split_local) { every_split(LOCAL); }
END_TEST

/* Byte by byte, and every fixed chunk size. */
START_TEST(test_every_chunk_size) {
  size_t n = sizeof(sample) - 1, size, off;
  struct res want, got;
  struct ftp_ascii st;
  enum dir d;

  for (d = NET; d <= LOCAL; d++) {
    whole(d, sample, n, &want);
    for (size = 1; size <= n; size++) {
      ftp_ascii_init(&st);
      got.n = 0;
      for (off = 0; off < n; off += size)
        feed(d, &st, sample + off, off + size > n ? n - off : size, 64, &got);
      finish(&st, &got);
      ck_assert_uint_eq(got.n, want.n);
      ck_assert_mem_eq(got.b, want.b, got.n);
    }
  }
}
END_TEST

START_TEST(test_crlf_across_chunks) {
  struct ftp_ascii st;
  unsigned char out[8];
  size_t used, w;

  /* to_local: the CR at the end of one chunk is held back... */
  ftp_ascii_init(&st);
  w = ftp_ascii_to_local(&st, (const unsigned char *)"a\r", 2, out, 8, &used);
  ck_assert_uint_eq(used, 2);
  ck_assert_uint_eq(w, 1);
  ck_assert(ftp_ascii_pending(&st));
  /* ...and with the LF that starts the next one becomes one LF. */
  w = ftp_ascii_to_local(&st, (const unsigned char *)"\nb", 2, out, 8, &used);
  ck_assert_uint_eq(used, 2);
  ck_assert_uint_eq(w, 2);
  ck_assert_mem_eq(out, "\nb", 2);
  ck_assert(!ftp_ascii_pending(&st));

  /* Not followed by LF: the CR comes out as it was. */
  ftp_ascii_init(&st);
  ftp_ascii_to_local(&st, (const unsigned char *)"a\r", 2, out, 8, &used);
  w = ftp_ascii_to_local(&st, (const unsigned char *)"b", 1, out, 8, &used);
  ck_assert_uint_eq(w, 2);
  ck_assert_mem_eq(out, "\rb", 2);

  /* to_net: CR | LF across chunks is one CRLF, not CRCRLF. */
  ftp_ascii_init(&st);
  w = ftp_ascii_to_net(&st, (const unsigned char *)"a\r", 2, out, 8, &used);
  ck_assert_uint_eq(w, 1);
  w = ftp_ascii_to_net(&st, (const unsigned char *)"\n", 1, out, 8, &used);
  ck_assert_uint_eq(w, 2);
  ck_assert_mem_eq(out, "\r\n", 2);

  /* An empty chunk keeps the CR pending. */
  ftp_ascii_init(&st);
  ftp_ascii_to_net(&st, (const unsigned char *)"\r", 1, out, 8, &used);
  w = ftp_ascii_to_net(&st, out, 0, out, 8, &used);
  ck_assert_uint_eq(w, 0);
  ck_assert_uint_eq(used, 0);
  ck_assert(ftp_ascii_pending(&st));
  /* The end of the stream writes it; flushing twice writes nothing more. */
  ck_assert_uint_eq(ftp_ascii_flush(&st, out, 0), 0);
  ck_assert(ftp_ascii_pending(&st));
  ck_assert_uint_eq(ftp_ascii_flush(&st, out, 8), 1);
  ck_assert_uint_eq(out[0], '\r');
  ck_assert_uint_eq(ftp_ascii_flush(&st, out, 8), 0);
}
END_TEST

START_TEST(test_output_exactly_full) {
  struct ftp_ascii st;
  unsigned char out[16];
  size_t used, w;

  /* "abc\n" is exactly 5 bytes on the wire: a 5-byte buffer takes it all. */
  ftp_ascii_init(&st);
  memset(out, 0xAA, sizeof(out));
  w = ftp_ascii_to_net(&st, (const unsigned char *)"abc\n", 4, out, 5, &used);
  ck_assert_uint_eq(w, 5);
  ck_assert_uint_eq(used, 4);
  ck_assert_mem_eq(out, "abc\r\n", 5);
  ck_assert_uint_eq(out[5], 0xAA); /* nothing written past outcap */

  /* One byte short: the CRLF is not split, the LF waits. */
  ftp_ascii_init(&st);
  w = ftp_ascii_to_net(&st, (const unsigned char *)"abc\n", 4, out, 4, &used);
  ck_assert_uint_eq(w, 3);
  ck_assert_uint_eq(used, 3);
  w = ftp_ascii_to_net(&st, (const unsigned char *)"\n", 1, out, 4, &used);
  ck_assert_uint_eq(w, 2);
  ck_assert_uint_eq(used, 1);

  /* A pending CR plus a non-LF byte needs two: with one, only the CR. */
  ftp_ascii_init(&st);
  ftp_ascii_to_local(&st, (const unsigned char *)"\r", 1, out, 4, &used);
  w = ftp_ascii_to_local(&st, (const unsigned char *)"x", 1, out, 1, &used);
  ck_assert_uint_eq(w, 1);
  ck_assert_uint_eq(used, 0);
  ck_assert_uint_eq(out[0], '\r');
  ck_assert(!ftp_ascii_pending(&st));
  w = ftp_ascii_to_local(&st, (const unsigned char *)"x", 1, out, 1, &used);
  ck_assert_uint_eq(w, 1);
  ck_assert_uint_eq(used, 1);

  /* to_local: "ab\r\n" is "ab\n": three bytes fill a 3-byte buffer. */
  ftp_ascii_init(&st);
  w = ftp_ascii_to_local(&st, (const unsigned char *)"ab\r\n", 4, out, 3,
                         &used);
  ck_assert_uint_eq(w, 3);
  ck_assert_uint_eq(used, 4);
  ck_assert_mem_eq(out, "ab\n", 3);

  /* No room at all: nothing happens. */
  ftp_ascii_init(&st);
  w = ftp_ascii_to_net(&st, (const unsigned char *)"a", 1, out, 0, &used);
  ck_assert_uint_eq(w, 0);
  ck_assert_uint_eq(used, 0);
}
END_TEST

/* Every output buffer size gives the same result. */
START_TEST(test_every_outcap) {
  size_t n = sizeof(sample) - 1, cap;
  struct res want, got;
  struct ftp_ascii st;
  enum dir d;

  for (d = NET; d <= LOCAL; d++) {
    whole(d, sample, n, &want);
    for (cap = 2; cap <= FTP_ASCII_OUT_MAX(n); cap++) {
      ftp_ascii_init(&st);
      got.n = 0;
      feed(d, &st, sample, n, cap, &got);
      finish(&st, &got);
      ck_assert_uint_eq(got.n, want.n);
      ck_assert_mem_eq(got.b, want.b, got.n);
    }
  }
}
END_TEST

/* A small deterministic generator, so that a failure reproduces. */
static unsigned long long rng_state;

static unsigned int rng(void) {
  rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned int)(rng_state >> 33);
}

START_TEST(test_random_round_trip) {
  static unsigned char x[2048], net[FTP_ASCII_OUT_MAX(2048)];
  struct res mid, back;
  struct ftp_ascii st;
  size_t n, i, off, chunk;
  int iter;

  rng_state = 20240607;
  for (iter = 0; iter < 200; iter++) {
    n = rng() % sizeof(x);
    for (i = 0; i < n; i++) {
      /* Binary data, LF-heavy, and no CR. */
      x[i] = (unsigned char)(rng() % 8 == 0 ? '\n' : rng() % 256);
      if (x[i] == '\r')
        x[i] = '\n';
    }
    /* to_net in random chunks through random small buffers. */
    ftp_ascii_init(&st);
    mid.n = 0;
    for (off = 0; off < n; off += chunk) {
      chunk = 1 + rng() % 300;
      if (chunk > n - off)
        chunk = n - off;
      feed(NET, &st, x + off, chunk, 2 + rng() % 64, &mid);
    }
    finish(&st, &mid);
    /* Every LF on the wire follows a CR. */
    for (i = 0; i < mid.n; i++)
      if (mid.b[i] == '\n')
        ck_assert(i > 0 && mid.b[i - 1] == '\r');
    memcpy(net, mid.b, mid.n);
    /* Back to local in other random chunks. */
    ftp_ascii_init(&st);
    back.n = 0;
    for (off = 0; off < mid.n; off += chunk) {
      chunk = 1 + rng() % 300;
      if (chunk > mid.n - off)
        chunk = mid.n - off;
      feed(LOCAL, &st, net + off, chunk, 1 + rng() % 64, &back);
    }
    finish(&st, &back);
    ck_assert_uint_eq(back.n, n);
    ck_assert_mem_eq(back.b, x, n);
  }
}
END_TEST

START_TEST(test_random_any_bytes_out_max) {
  static unsigned char x[1024];
  unsigned char out[FTP_ASCII_OUT_MAX(1024)];
  struct ftp_ascii st;
  size_t n, i, used, w;
  int iter;

  /* With FTP_ASCII_OUT_MAX(n) of room, the whole input is always taken,
   * including with a CR pending from before.  CR-heavy on purpose. */
  rng_state = 7;
  for (iter = 0; iter < 500; iter++) {
    n = 1 + rng() % sizeof(x);
    for (i = 0; i < n; i++)
      x[i] = (unsigned char)"\r\n\r\na\xff"[rng() % 6];
    ftp_ascii_init(&st);
    st.pending_cr = (int)(rng() % 2);
    w = ftp_ascii_to_net(&st, x, n, out, FTP_ASCII_OUT_MAX(n), &used);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_le(w, FTP_ASCII_OUT_MAX(n));
    ftp_ascii_init(&st);
    st.pending_cr = (int)(rng() % 2);
    w = ftp_ascii_to_local(&st, x, n, out, n + 1, &used);
    ck_assert_uint_eq(used, n);
    ck_assert_uint_le(w, n + 1);
  }
}
END_TEST

static Suite *ascii_suite(void) {
  Suite *s = suite_create("ascii");
  TCase *tc;

  tc = tcase_create("table");
  tcase_add_loop_test(tc, test_table, 0, (int)(sizeof(table) / sizeof(table[0])));
  tcase_add_test(tc, test_crlf_across_chunks);
  tcase_add_test(tc, test_output_exactly_full);
  suite_add_tcase(s, tc);

  tc = tcase_create("chunks");
  tcase_add_test(tc, test_every_split_net);
  tcase_add_test(tc, test_every_split_local);
  tcase_add_test(tc, test_every_chunk_size);
  suite_add_tcase(s, tc);

  tc = tcase_create("outbuf");
  tcase_add_test(tc, test_every_outcap);
  suite_add_tcase(s, tc);

  tc = tcase_create("random");
  tcase_add_test(tc, test_random_round_trip);
  tcase_add_test(tc, test_random_any_bytes_out_max);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(ascii_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
