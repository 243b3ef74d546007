/*
 * check_creds.c: per-thread filesystem credentials (server/creds.h).
 *
 * As root (CI): a thread that entered a user's credentials creates files
 * owned by that user and group, is refused a 0600 file of root's although
 * the process holds every capability (the kernel clears CAP_DAC_OVERRIDE
 * and friends from the thread when its fsuid leaves 0), reads through a
 * supplementary group, and changes no other thread; leaving restores root.
 * As another user, entering someone else's credentials fails with EPERM
 * and changes nothing.  Each test runs in its own process (CK_FORK).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "creds.h"
#include "err.h"

#define UID_A 4242
#define GID_A 4343
#define GROUP_X 4444

static char dir[64];

static void make_dir(void) {
  snprintf(dir, sizeof(dir), "/tmp/check_creds.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  /* Every test identity may create entries here. */
  ck_assert_int_eq(chmod(dir, 0777), 0);
}

static void remove_dir(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
  if (system(cmd) != 0)
    fprintf(stderr, "check_creds: could not remove %s\n", dir);
}

static struct ftpd_creds *user_a(void) {
  static const gid_t groups[] = {GROUP_X};
  struct ftpd_creds *c = NULL;

  ck_assert_int_eq(ftpd_creds_new(UID_A, GID_A, groups, 1, &c), 0);
  return c;
}

/* Create dir/name and return its owner (uid, gid). */
static void create_owned(const char *name, uid_t *uid, gid_t *gid) {
  char path[128];
  struct stat st;
  int fd;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
  ck_assert_msg(fd >= 0, "create %s: %s", path, strerror(errno));
  ck_assert_int_eq(fstat(fd, &st), 0);
  close(fd);
  *uid = st.st_uid;
  *gid = st.st_gid;
}

static int can_read(const char *name) {
  char path[128];
  int fd;

  snprintf(path, sizeof(path), "%s/%s", dir, name);
  if ((fd = open(path, O_RDONLY)) < 0)
    return -errno;
  close(fd);
  return 0;
}

START_TEST(test_new_ref) {
  static const gid_t groups[] = {7, 8, 9};
  struct ftpd_creds *c = NULL;

  ck_assert_int_eq(ftpd_creds_new(5, 6, groups, 3, &c), 0);
  ck_assert_uint_eq(c->uid, 5);
  ck_assert_uint_eq(c->gid, 6);
  ck_assert_uint_eq(c->ngroups, 3);
  ck_assert_uint_eq(c->groups[2], 9);
  ck_assert_ptr_eq(ftpd_creds_ref(c), c);
  ck_assert_int_eq(c->refs, 2);
  ftpd_creds_unref(c);
  ftpd_creds_unref(c);
  ftpd_creds_unref(NULL);
  ck_assert_int_eq(ftpd_creds_new(5, 6, NULL, FTPD_CREDS_GROUPS_MAX + 1, &c), UV_EINVAL);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(ftpd_creds_new(5, 6, NULL, 0, &c), 0);
  ck_assert_uint_eq(c->ngroups, 0);
  ftpd_creds_unref(c);
}
END_TEST

START_TEST(test_of_account) {
  struct ftpd_creds *c = NULL;
  char home[256], tiny[2];

  ck_assert_int_eq(ftpd_creds_of_account("root", &c, home, sizeof(home)), 0);
  ck_assert_uint_eq(c->uid, 0);
  ck_assert_uint_eq(c->gid, 0);
  ck_assert_str_eq(home, "/root");
  ck_assert_uint_ge(c->ngroups, 1); /* the primary group, as initgroups */
  ftpd_creds_unref(c);
  ck_assert_int_eq(ftpd_creds_of_account("no-such-user-here", &c, home, sizeof(home)),
                   UV_ENOENT);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(ftpd_creds_of_account("root", &c, tiny, sizeof(tiny)), UV_ENAMETOOLONG);
  ck_assert_ptr_null(c);
  ck_assert_int_eq(ftpd_creds_of_account("root", &c, NULL, 0), 0);
  ftpd_creds_unref(c);
}
END_TEST

START_TEST(test_owner_of_new_files) {
  struct ftpd_creds *a;
  uid_t uid;
  gid_t gid;

  if (geteuid() != 0)
    return; /* test_not_root covers this case */
  make_dir();
  ck_assert_int_eq(ftpd_creds_set_base(0, 0), 0);
  a = user_a();
  ck_assert_int_eq(ftpd_creds_enter(a), 0);
  create_owned("by-a", &uid, &gid);
  ftpd_creds_leave();
  ck_assert_uint_eq(uid, UID_A);
  ck_assert_uint_eq(gid, GID_A);
  create_owned("by-root", &uid, &gid);
  ck_assert_uint_eq(uid, 0);
  ck_assert_uint_eq(gid, 0);
  ftpd_creds_unref(a);
  remove_dir();
}
END_TEST

START_TEST(test_kernel_checks_the_user) {
  struct ftpd_creds *a;
  uid_t uid;
  gid_t gid;
  char path[128];

  if (geteuid() != 0)
    return;
  make_dir();
  ck_assert_int_eq(ftpd_creds_set_base(0, 0), 0);
  create_owned("secret", &uid, &gid);            /* root's, 0600 */
  create_owned("group-x", &uid, &gid);
  snprintf(path, sizeof(path), "%s/group-x", dir);
  ck_assert_int_eq(chown(path, 0, GROUP_X), 0);
  ck_assert_int_eq(chmod(path, 0640), 0);
  a = user_a();
  ck_assert_int_eq(ftpd_creds_enter(a), 0);
  /* The process holds CAP_DAC_OVERRIDE; this thread does not any more. */
  ck_assert_int_eq(can_read("secret"), UV_EACCES);
  ck_assert_int_eq(can_read("group-x"), 0);  /* a supplementary group */
  ftpd_creds_leave();
  ck_assert_int_eq(can_read("secret"), 0);  /* root again, capabilities back */
  ftpd_creds_unref(a);
  remove_dir();
}
END_TEST

struct other_thread {
  pthread_barrier_t entered, checked;
  const struct ftpd_creds *c;
  uid_t uid;
  gid_t gid;
};

static void *thread_main(void *arg) {
  struct other_thread *t = arg;

  ck_assert_int_eq(ftpd_creds_enter(t->c), 0);
  pthread_barrier_wait(&t->entered);
  pthread_barrier_wait(&t->checked);
  create_owned("thread", &t->uid, &t->gid);
  ftpd_creds_leave();
  return NULL;
}

START_TEST(test_other_threads_unchanged) {
  struct other_thread t;
  struct ftpd_creds *a;
  pthread_t th;
  uid_t uid;
  gid_t gid;

  if (geteuid() != 0)
    return;
  make_dir();
  ck_assert_int_eq(ftpd_creds_set_base(0, 0), 0);
  a = user_a();
  memset(&t, 0, sizeof(t));
  t.c = a;
  pthread_barrier_init(&t.entered, NULL, 2);
  pthread_barrier_init(&t.checked, NULL, 2);
  ck_assert_int_eq(pthread_create(&th, NULL, thread_main, &t), 0);
  pthread_barrier_wait(&t.entered);
  /* The other thread acts as A now; this one is still root. */
  create_owned("main", &uid, &gid);
  ck_assert_uint_eq(uid, 0);
  ck_assert_int_eq(getgroups(0, NULL), 0);
  pthread_barrier_wait(&t.checked);
  pthread_join(th, NULL);
  ck_assert_uint_eq(t.uid, UID_A);
  ck_assert_uint_eq(t.gid, GID_A);
  ftpd_creds_unref(a);
  remove_dir();
}
END_TEST

START_TEST(test_root_and_back) {
  struct ftpd_creds *a;
  uid_t uid;
  gid_t gid;

  if (geteuid() != 0)
    return;
  make_dir();
  /* The base of a server with per-user credentials: RUNAS, not root. */
  ck_assert_int_eq(ftpd_creds_set_base(UID_A + 1, GID_A + 1), 0);
  create_owned("base", &uid, &gid);
  ck_assert_uint_eq(uid, UID_A + 1);
  ck_assert_int_eq(ftpd_creds_enter_root(), 0);
  create_owned("root", &uid, &gid);
  ck_assert_uint_eq(uid, 0);
  ftpd_creds_leave();
  a = user_a();
  ck_assert_int_eq(ftpd_creds_enter(a), 0);
  ck_assert_int_eq(getgroups(0, NULL), 1);
  ftpd_creds_leave();
  ck_assert_int_eq(getgroups(0, NULL), 0);
  create_owned("base-again", &uid, &gid);
  ck_assert_uint_eq(uid, UID_A + 1);
  ck_assert_uint_eq(gid, GID_A + 1);
  ftpd_creds_unref(a);
  remove_dir();
}
END_TEST

START_TEST(test_not_root) {
  struct ftpd_creds *a;
  uid_t uid;
  gid_t gid;

  if (geteuid() == 0)
    return; /* the tests above cover root */
  make_dir();
  a = user_a();
  ck_assert_int_eq(ftpd_creds_enter(a), UV_EPERM);
  create_owned("mine", &uid, &gid);
  ck_assert_uint_eq(uid, geteuid());
  ck_assert_int_eq(ftpd_creds_process_setup(1, 1), UV_EPERM);
  ftpd_creds_unref(a);
  remove_dir();
}
END_TEST

static Suite *creds_suite(void) {
  Suite *s = suite_create("creds");
  TCase *tc = tcase_create("identities");
  TCase *th = tcase_create("threads");

  tcase_add_test(tc, test_new_ref);
  tcase_add_test(tc, test_of_account);
  tcase_add_test(th, test_owner_of_new_files);
  tcase_add_test(th, test_kernel_checks_the_user);
  tcase_add_test(th, test_other_threads_unchanged);
  tcase_add_test(th, test_root_and_back);
  tcase_add_test(th, test_not_root);
  suite_add_tcase(s, tc);
  suite_add_tcase(s, th);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(creds_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
