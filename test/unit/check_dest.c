/*
 * check_dest.c: where a download goes (client/dest.c): a new name and a
 * regular file take the .part protocol on their own name; links are
 * followed to their target (dangling or not, chains, loops refused); a
 * FIFO and a socket are special (written in place, or refused); a
 * directory is refused.
 *
 * Each test works in its own temporary directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dest.h"

static char dir[256];

static void up(void) {
  snprintf(dir, sizeof(dir), "/tmp/check_dest.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void down(void) {
  char cmd[300];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
  ck_assert_int_eq(system(cmd), 0);
}

static const char *at(const char *name) {
  static char buf[4][512];
  static int i;
  i = (i + 1) % 4;
  snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
  return buf[i];
}

static void touch(const char *name) {
  FILE *f = fopen(at(name), "w");
  ck_assert_ptr_nonnull(f);
  fputs("x", f);
  fclose(f);
}

START_TEST(test_new_name) {
  struct ftpc_dest d;
  uv_file fd;

  ck_assert_int_eq(ftpc_dest_open(at("new.bin"), &d, &fd), 0);
  ck_assert_str_eq(d.path, at("new.bin"));
  ck_assert_int_eq(d.in_place, 0);
  ck_assert_int_eq(fd, -1);
}
END_TEST

START_TEST(test_regular_file_keeps_its_name) {
  struct ftpc_dest d;
  uv_file fd;

  touch("file.bin");
  ck_assert_int_eq(ftpc_dest_open(at("file.bin"), &d, &fd), 0);
  ck_assert_str_eq(d.path, at("file.bin"));
  ck_assert_int_eq(d.in_place, 0);
}
END_TEST

START_TEST(test_link_leads_to_target) {
  struct ftpc_dest d;
  uv_file fd;
  char *real;

  touch("target.bin");
  ck_assert_int_eq(symlink("target.bin", at("link")), 0);
  ck_assert_int_eq(ftpc_dest_open(at("link"), &d, &fd), 0);
  ck_assert_ptr_nonnull(real = realpath(at("target.bin"), NULL));
  ck_assert_str_eq(d.path, real);
  ck_assert_int_eq(d.in_place, 0);
  free(real);
}
END_TEST

START_TEST(test_dangling_chain_leads_to_new_name) {
  struct ftpc_dest d;
  uv_file fd;

  ck_assert_int_eq(mkdir(at("sub"), 0700), 0);
  /* link -> sub/hop -> ../final (relative to sub/), which does not exist. */
  ck_assert_int_eq(symlink("sub/hop", at("link")), 0);
  ck_assert_int_eq(symlink("../final", at("sub/hop")), 0);
  ck_assert_int_eq(ftpc_dest_open(at("link"), &d, &fd), 0);
  ck_assert_str_eq(d.path, at("sub/../final"));
  ck_assert_int_eq(d.in_place, 0);
}
END_TEST

START_TEST(test_link_loop_refused) {
  struct ftpc_dest d;
  uv_file fd;

  ck_assert_int_eq(symlink("b", at("a")), 0);
  ck_assert_int_eq(symlink("a", at("b")), 0);
  ck_assert_int_eq(ftpc_dest_open(at("a"), &d, &fd), UV_ELOOP);
}
END_TEST

START_TEST(test_directory_refused) {
  struct ftpc_dest d;
  uv_file fd;

  ck_assert_int_eq(mkdir(at("d"), 0700), 0);
  ck_assert_int_eq(ftpc_dest_open(at("d"), &d, &fd), UV_EISDIR);
  ck_assert_int_eq(symlink("d", at("to-d")), 0);
  ck_assert_int_eq(ftpc_dest_open(at("to-d"), &d, &fd), UV_EISDIR);
}
END_TEST

/* A FIFO is written in place, through a descriptor on that very FIFO. */
START_TEST(test_fifo_in_place) {
  struct ftpc_dest d;
  struct stat a, b;
  uv_file fd;
  int reader;
  char got[4] = {0};

  ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
  /* A reader first, so that the writer's open does not wait. */
  reader = open(at("fifo"), O_RDONLY | O_NONBLOCK);
  ck_assert_int_ge(reader, 0);
  ck_assert_int_eq(symlink("fifo", at("link")), 0);
  ck_assert_int_eq(ftpc_dest_open(at("link"), &d, &fd), 0);
  ck_assert_int_eq(d.in_place, 1);
  ck_assert_int_ge(fd, 0);
  ck_assert_int_eq(fstat(fd, &a), 0);
  ck_assert_int_eq(stat(at("fifo"), &b), 0);
  ck_assert(S_ISFIFO(a.st_mode) && a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  ck_assert_int_eq(write(fd, "abc", 3), 3);
  ck_assert_int_eq(read(reader, got, 3), 3);
  ck_assert_str_eq(got, "abc");
  close(fd);
  close(reader);
  ck_assert(lstat(at("fifo"), &b) == 0 && S_ISFIFO(b.st_mode));
}
END_TEST

START_TEST(test_socket_refused) {
  struct sockaddr_un sa;
  struct ftpc_dest d;
  uv_file fd;
  int s = socket(AF_UNIX, SOCK_STREAM, 0);

  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", at("sock"));
  ck_assert_int_eq(bind(s, (struct sockaddr *)&sa, sizeof(sa)), 0);
  ck_assert_int_eq(ftpc_dest_open(at("sock"), &d, &fd), UV_ENOTSUP);
  ck_assert_int_eq(fd, -1);
  close(s);
}
END_TEST

static Suite *dest_suite(void) {
  Suite *s = suite_create("dest");
  TCase *tc = tcase_create("resolve");

  tcase_add_checked_fixture(tc, up, down);
  tcase_add_test(tc, test_new_name);
  tcase_add_test(tc, test_regular_file_keeps_its_name);
  tcase_add_test(tc, test_link_leads_to_target);
  tcase_add_test(tc, test_dangling_chain_leads_to_new_name);
  tcase_add_test(tc, test_link_loop_refused);
  tcase_add_test(tc, test_directory_refused);
  tcase_add_test(tc, test_fifo_in_place);
  tcase_add_test(tc, test_socket_refused);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(dest_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
