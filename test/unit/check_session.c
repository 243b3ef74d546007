/*
 * check_session.c: ftpd's thread-pool jobs (server/session.c) and how a
 * late job finds its transfer (server/h_xfer.c).
 *
 * A job is a struct of its own kind; using it as another kind is a broken
 * invariant that aborts.  The job that creates an upload's file is the
 * transfer's claim ticket: a job whose transfer ended (ABOR) finds no
 * transfer, whatever runs now, even a new transfer at the very address of
 * the old one.  There is no counter, so nothing wraps: a process-wide
 * serial stored in an int once stopped matching after 2^31 transfers and
 * stalled every upload.
 */
#include <check.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* The old code kept an unsigned long serial in an int job field; the
 * transfer's identity is now the job itself, and stays so. */
_Static_assert(__builtin_types_compatible_p(__typeof__(((struct ftpd_xfer *)0)->opening),
                                            const struct ftpd_job *),
               "a transfer knows its job by the job, not by a number");

struct probe_job {
  struct ftpd_job job;
  char payload[64];
};

static int released;

static void probe_release(struct ftpd_job *job) {
  (void)job;
  released++;
}

static struct ftpd_session *session(void) {
  struct ftpd_session *s = calloc(1, sizeof(*s));
  ck_assert_ptr_nonnull(s);
  return s;
}

static struct ftpd_job *upload_job(struct ftpd_session *s) {
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_UPLOAD_OPEN, sizeof(struct probe_job), NULL);
  ck_assert_ptr_nonnull(job);
  return job;
}

START_TEST(test_job_is_its_kind) {
  struct ftpd_session *s = session();
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_PATH, sizeof(struct probe_job),
                                      probe_release);
  struct probe_job *p;

  ck_assert_ptr_nonnull(job);
  ck_assert_ptr_eq(job->s, s);
  ck_assert_int_eq(job->kind, FTPD_JOB_PATH);
  ck_assert_int_eq(job->result, 0);
  p = ftpd_job_payload(job, FTPD_JOB_PATH);
  ck_assert_ptr_eq(&p->job, job);
  /* Zeroed: no field starts with a stale meaning. */
  for (size_t i = 0; i < sizeof(p->payload); i++)
    ck_assert_int_eq(p->payload[i], 0);
  free(job);
  free(s);
}
END_TEST

/* A job used as another kind: BUG(), which aborts. */
START_TEST(test_job_of_another_kind_aborts) {
  struct ftpd_session *s = session();
  struct ftpd_job *job = ftpd_job_new(s, FTPD_JOB_LOGIN, sizeof(struct probe_job), NULL);

  ftpd_job_payload(job, FTPD_JOB_LISTING);
}
END_TEST

/* ABOR during the file's creation, then a new STOR, its transfer at the
 * same address as the old one: the old job is a stranger to it. */
START_TEST(test_late_job_finds_no_transfer) {
  struct ftpd_session *s = session();
  struct ftpd_xfer *slot = calloc(1, sizeof(*slot));
  struct ftpd_job *old_job, *new_job;

  /* The first STOR waits for its file. */
  ftpd_data_set_xfer(s, slot, NULL);
  old_job = upload_job(s);
  ftpd_xfer_await(slot, old_job);
  /* ABOR: the transfer ends and goes. */
  ftpd_data_take_xfer(s);
  memset(slot, 0, sizeof(*slot));
  ck_assert_ptr_null(ftpd_xfer_claim(s, old_job));
  /* A second STOR, its transfer in the same memory, waits for its own. */
  ftpd_data_set_xfer(s, slot, NULL);
  new_job = upload_job(s);
  ck_assert_ptr_ne(new_job, old_job); /* the old job is alive: a new address */
  ftpd_xfer_await(slot, new_job);
  /* The first job finishes late: not this transfer's. */
  ck_assert_ptr_null(ftpd_xfer_claim(s, old_job));
  /* The second is; and only once. */
  ck_assert_ptr_eq(ftpd_xfer_claim(s, new_job), slot);
  ck_assert_ptr_null(ftpd_xfer_claim(s, new_job));
  free(old_job);
  free(new_job);
  free(slot);
  free(s);
}
END_TEST

/* Transfers past 2^31 and 2^32 of them: nothing counts them, so every
 * upload still finds its job.  (One session here stands for the daemon's
 * life; jobs come and go as in a long run.) */
START_TEST(test_no_serial_to_wrap) {
  struct ftpd_session *s = session();
  struct ftpd_xfer *x = calloc(1, sizeof(*x));
  unsigned i;

  ftpd_data_set_xfer(s, x, NULL);
  for (i = 0; i < 100000; i++) {
    struct ftpd_job *job = upload_job(s);
    ftpd_xfer_await(x, job);
    ck_assert_ptr_eq(ftpd_xfer_claim(s, job), x);
    free(job);
  }
  free(x);
  free(s);
}
END_TEST

static Suite *session_suite(void) {
  Suite *s = suite_create("session");
  TCase *tc = tcase_create("jobs");

  tcase_add_test(tc, test_job_is_its_kind);
  tcase_add_test_raise_signal(tc, test_job_of_another_kind_aborts, SIGABRT);
  tcase_add_test(tc, test_late_job_finds_no_transfer);
  tcase_add_test(tc, test_no_serial_to_wrap);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(session_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
