/*
 * check_buf.c: the bounded buffer.  Limits, cursor reads, secrets, and
 * allocation failure at every step.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alloc_fail.h"
#include "buf.h"
#include "err.h"

START_TEST(test_put_get_roundtrip) {
  struct ftp_buf b;
  char out[6];

  ftp_buf_init(&b, 64);
  ck_assert_int_eq(ftp_buf_len(&b), 0);
  ck_assert_ptr_null(ftp_buf_ptr(&b));
  ck_assert_int_eq(ftp_buf_puts(&b, "hello"), 0);
  ck_assert_int_eq(ftp_buf_putc(&b, '!'), 0);
  ck_assert_int_eq(ftp_buf_len(&b), 6);
  ck_assert_int_eq(ftp_buf_get(&b, out, 5), 0);
  ck_assert_int_eq(memcmp(out, "hello", 5), 0);
  ck_assert_int_eq(ftp_buf_len(&b), 1);
  ck_assert_int_eq(*ftp_buf_ptr(&b), '!');
  /* Reading past the end fails and changes nothing. */
  ck_assert_int_eq(ftp_buf_get(&b, out, 2), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_buf_len(&b), 1);
  ck_assert_int_eq(ftp_buf_consume(&b, 1), 0);
  ck_assert_int_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
  ftp_buf_free(NULL);
}
END_TEST

START_TEST(test_limit_is_exact) {
  struct ftp_buf b;
  char block[100];

  memset(block, 'x', sizeof(block));
  ftp_buf_init(&b, 100);
  ck_assert_int_eq(ftp_buf_put(&b, block, 100), 0);
  ck_assert_int_eq(ftp_buf_room(&b), 0);
  /* One byte over is refused, and the buffer keeps its content. */
  ck_assert_int_eq(ftp_buf_putc(&b, 'y'), FTP_E_TOOBIG);
  ck_assert_int_eq(ftp_buf_len(&b), 100);
  /* Consuming makes room again: the limit is on readable bytes. */
  ck_assert_int_eq(ftp_buf_consume(&b, 10), 0);
  ck_assert_int_eq(ftp_buf_put(&b, block, 10), 0);
  ck_assert_int_eq(ftp_buf_put(&b, block, 1), FTP_E_TOOBIG);
  ck_assert_int_eq(ftp_buf_put(&b, block, SIZE_MAX), FTP_E_TOOBIG);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_putf_and_cstr) {
  struct ftp_buf b;
  const char *s;
  int err = 0;

  ftp_buf_init(&b, 32);
  ck_assert_int_eq(ftp_buf_putf(&b, "%d %s", 227, "ok"), 0);
  s = ftp_buf_cstr(&b, &err);
  ck_assert_str_eq(s, "227 ok");
  ck_assert_int_eq(ftp_buf_len(&b), 6);
  /* A formatted string longer than the limit is refused whole. */
  ck_assert_int_eq(ftp_buf_putf(&b, "%040d", 1), FTP_E_TOOBIG);
  ck_assert_int_eq(ftp_buf_len(&b), 6);
  ck_assert_int_eq(ftp_buf_putc(&b, 0), 0);
  ck_assert_ptr_null(ftp_buf_cstr(&b, &err));
  ck_assert_int_eq(err, FTP_E_NUL_IN_LINE);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_cstr_of_empty_buffer) {
  struct ftp_buf b;

  ftp_buf_init(&b, 8);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "");
  /* A buffer filled to its limit still has room for the terminator. */
  ck_assert_int_eq(ftp_buf_puts(&b, "12345678"), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "12345678");
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_find_and_reserve) {
  struct ftp_buf b;
  unsigned char *p;

  ftp_buf_init(&b, 1024);
  ck_assert_int_eq(ftp_buf_find(&b, '\n'), -1);
  ck_assert_int_eq(ftp_buf_puts(&b, "USER a\r\nPASS b\r\n"), 0);
  ck_assert_int_eq(ftp_buf_find(&b, '\n'), 7);
  ck_assert_int_eq(ftp_buf_consume(&b, 8), 0);
  ck_assert_int_eq(ftp_buf_find(&b, '\n'), 7);
  ck_assert_int_eq(ftp_buf_reserve(&b, 4, &p), 0);
  memcpy(p, "NOOP", 4);
  ftp_buf_commit(&b, 2);
  ck_assert_int_eq(ftp_buf_len(&b), 10);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&b) + 8, "NO", 2), 0);
  ck_assert_int_eq(ftp_buf_reserve(&b, 2000, &p), FTP_E_TOOBIG);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_commit_past_reservation_aborts) {
  struct ftp_buf b;
  unsigned char *p;

  ftp_buf_init(&b, 16);
  ck_assert_int_eq(ftp_buf_reserve(&b, 4, &p), 0);
  ftp_buf_commit(&b, 17); /* a broken invariant: BUG, abort */
}
END_TEST

START_TEST(test_compaction_keeps_data) {
  struct ftp_buf b;
  unsigned i, next = 0;
  unsigned char c[150];
  size_t k;

  /* Writes and reads interleave so that the cursor moves and the data has
   * to slide down many times; every byte must come out in order. */
  ftp_buf_init(&b, 300);
  for (i = 0; i < 100000; i++) {
    ck_assert_int_eq(ftp_buf_putc(&b, (int)(i % 251)), 0);
    if (ftp_buf_len(&b) > 250) {
      ck_assert_int_eq(ftp_buf_get(&b, c, sizeof(c)), 0);
      for (k = 0; k < sizeof(c); k++, next++)
        ck_assert_int_eq(c[k], next % 251);
    }
  }
  while (ftp_buf_len(&b) > 0) {
    ck_assert_int_eq(ftp_buf_get(&b, c, 1), 0);
    ck_assert_int_eq(c[0], next++ % 251);
  }
  ck_assert_int_eq(next, 100000);
  ftp_buf_free(&b);
}
END_TEST

START_TEST(test_secret_buffer_survives_growth) {
  struct ftp_buf b;
  char big[5000];

  memset(big, 's', sizeof(big));
  ftp_buf_init(&b, 10000);
  ftp_buf_set_secret(&b);
  ck_assert_int_eq(ftp_buf_puts(&b, "hunter2"), 0);
  ck_assert_int_eq(ftp_buf_put(&b, big, sizeof(big)), 0);
  ck_assert_int_eq(memcmp(ftp_buf_ptr(&b), "hunter2", 7), 0);
  ck_assert_int_eq(ftp_buf_consume(&b, 7), 0);
  ck_assert_int_eq(ftp_buf_len(&b), sizeof(big));
  ftp_buf_reset(&b);
  ck_assert_int_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
}
END_TEST

/* Fail the n-th allocation for every n: the call reports FTP_E_NOMEM, the
 * buffer keeps what it had, and nothing leaks (checked under ASan). */
START_TEST(test_allocation_failure_at_every_step) {
  long n;

  for (n = 0; n < 20; n++) {
    struct ftp_buf b;
    int i, r = 0, secret = (n % 2);

    ftp_buf_init(&b, 1 << 20);
    if (secret)
      ftp_buf_set_secret(&b);
    alloc_fail_after(n);
    for (i = 0; i < 200 && r == 0; i++)
      r = ftp_buf_putf(&b, "line %04d of a growing buffer\n", i);
    alloc_fail_off();
    if (r != 0) {
      ck_assert_int_eq(r, FTP_E_NOMEM);
      ck_assert_int_eq(ftp_buf_len(&b), (size_t)(i - 1) * 30);
    }
    /* Still usable after the failure. */
    ck_assert_int_eq(ftp_buf_puts(&b, "x"), 0);
    ftp_buf_free(&b);
  }
}
END_TEST

/* A fixed-seed random mix of operations checked against a simple model. */
START_TEST(test_random_against_model) {
  static unsigned char model[4096];
  size_t mlen = 0;
  struct ftp_buf b;
  unsigned seed = 12345;
  int i;

  ftp_buf_init(&b, sizeof(model));
  for (i = 0; i < 200000; i++) {
    unsigned op = (unsigned)rand_r(&seed) % 3;
    size_t n = (size_t)rand_r(&seed) % 300;
    unsigned char tmp[300];
    size_t k;

    for (k = 0; k < n; k++)
      tmp[k] = (unsigned char)rand_r(&seed);
    if (op < 2) {
      int r = ftp_buf_put(&b, tmp, n);
      if (mlen + n > sizeof(model)) {
        ck_assert_int_eq(r, FTP_E_TOOBIG);
      } else {
        ck_assert_int_eq(r, 0);
        memcpy(model + mlen, tmp, n);
        mlen += n;
      }
    } else {
      size_t take = n > mlen ? mlen : n;
      ck_assert_int_eq(ftp_buf_get(&b, tmp, take), 0);
      ck_assert_int_eq(memcmp(tmp, model, take), 0);
      memmove(model, model + take, mlen - take);
      mlen -= take;
    }
    ck_assert_int_eq(ftp_buf_len(&b), mlen);
  }
  ftp_buf_free(&b);
}
END_TEST

static Suite *buf_suite(void) {
  Suite *s = suite_create("buf");
  TCase *tc = tcase_create("basic");
  TCase *hostile = tcase_create("hostile");

  tcase_add_test(tc, test_put_get_roundtrip);
  tcase_add_test(tc, test_limit_is_exact);
  tcase_add_test(tc, test_putf_and_cstr);
  tcase_add_test(tc, test_cstr_of_empty_buffer);
  tcase_add_test(tc, test_find_and_reserve);
  tcase_add_test(tc, test_compaction_keeps_data);
  tcase_add_test(tc, test_secret_buffer_survives_growth);
  suite_add_tcase(s, tc);
  tcase_add_test_raise_signal(hostile, test_commit_past_reservation_aborts,
                              SIGABRT);
  tcase_add_test(hostile, test_allocation_failure_at_every_step);
  tcase_add_test(hostile, test_random_against_model);
  suite_add_tcase(s, hostile);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(buf_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
