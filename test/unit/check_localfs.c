/*
 * check_localfs.c: the local side of transfers (client/localfs.c): safe
 * local names for remote files, NAME.part files; and the text cleaning
 * everything shown from the network goes through (client/text.c).
 *
 * Run one case with CK_RUN_CASE=safe_name (or part, text).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "localfs.h"
#include "text.h"

struct name_case {
  const char *remote;
  const char *local; /* NULL: refused */
};

static const struct name_case name_cases[] = {
  {"file.bin", "file.bin"},
  {"dir/file.bin", "file.bin"},
  {"/abs/path/file", "file"},
  {"../../etc/passwd", "passwd"},
  {"..", NULL},
  {".", NULL},
  {"dir/..", NULL},
  {"dir/.", NULL},
  {"", NULL},
  {"/", NULL},
  {"dir/", "dir"},
  {"dir//", "dir"},
  {"a\\b\\c.txt", "c.txt"},       /* Windows servers */
  {"..\\..\\x", "x"},
  {"evil\x1b]0;title\x07.txt", "evil_]0;title_.txt"},
  {"line\nbreak", "line_break"},
  {"tab\there", "tab_here"},
  {"del\x7f", "del_"},
  {".profile", ".profile"},
  {"...", "..."},
  {"-rf", "-rf"},
  {"caf\xc3\xa9", "caf\xc3\xa9"}, /* UTF-8 kept */
};

START_TEST(test_safe_name) {
  const struct name_case *c = &name_cases[_i];
  char out[300];
  int r = ftpc_safe_name(c->remote, out, sizeof(out));

  if (c->local == NULL) {
    ck_assert_msg(r == FTP_E_BAD_ARG, "case %d: '%s' accepted as '%s'", _i, c->remote, out);
    return;
  }
  ck_assert_msg(r == 0, "case %d refused", _i);
  ck_assert_str_eq(out, c->local);
}
END_TEST

START_TEST(test_safe_name_limits) {
  char name[300], out[300], small[4];

  memset(name, 'a', 255);
  name[255] = 0;
  ck_assert_int_eq(ftpc_safe_name(name, out, sizeof(out)), 0);
  ck_assert_uint_eq(strlen(out), 255);
  name[255] = 'a';
  name[256] = 0;
  ck_assert_int_eq(ftpc_safe_name(name, out, sizeof(out)), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftpc_safe_name("abcd", small, sizeof(small)), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftpc_safe_name("abc", small, sizeof(small)), 0);
}
END_TEST

/* --- .part files ---------------------------------------------------------- */

static char dir[256];
static uv_loop_t loop;

static void part_setup(void) {
  snprintf(dir, sizeof(dir), "%s/localfsXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(dir));
  ck_assert_int_eq(chdir(dir), 0);
  ck_assert_int_eq(uv_loop_init(&loop), 0);
}

static void part_teardown(void) {
  unlink("f");
  unlink("f.part");
  unlink("target");
  rmdir(dir);
  uv_loop_close(&loop);
}

/* Downloads write at explicit offsets (the REST offset onwards). */
static void write_all(uv_file fd, const char *s, int64_t at) {
  uv_fs_t req;
  uv_buf_t b = uv_buf_init((char *)s, (unsigned)strlen(s));
  ck_assert_int_eq(uv_fs_write(&loop, &req, fd, &b, 1, at, NULL), (int)strlen(s));
  uv_fs_req_cleanup(&req);
}

static void close_fd(uv_file fd) {
  uv_fs_t req;
  uv_fs_close(&loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

START_TEST(test_part_cycle) {
  uv_file fd;
  int64_t off = -1, size = 0;

  ck_assert_int_eq(ftpc_part_open(&loop, "f", 0, &fd, &off), 0);
  ck_assert_int_eq(off, 0);
  write_all(fd, "hello ", off);
  close_fd(fd);
  ck_assert_int_eq(access("f", F_OK), -1);       /* not in place yet */
  ck_assert_int_eq(ftpc_part_open(&loop, "f", 1, &fd, &off), 0);
  ck_assert_int_eq(off, 6);                      /* reget resumes here */
  write_all(fd, "world", off);
  close_fd(fd);
  ck_assert_int_eq(ftpc_part_commit(&loop, "f"), 0);
  ck_assert_int_eq(access("f.part", F_OK), -1);
  ck_assert_int_eq(ftpc_local_size(&loop, "f", &size), 0);
  ck_assert_int_eq(size, 11);
  /* get (not reget) starts over */
  ck_assert_int_eq(ftpc_part_open(&loop, "f", 0, &fd, &off), 0);
  write_all(fd, "x", off);
  close_fd(fd);
  ck_assert_int_eq(ftpc_part_open(&loop, "f", 0, &fd, &off), 0);
  ck_assert_int_eq(off, 0);
  close_fd(fd);
  ck_assert_int_eq(ftpc_local_size(&loop, "f.part", &size), 0);
  ck_assert_int_eq(size, 0);
}
END_TEST

/* Security: a planted f.part symlink is not followed. */
START_TEST(test_part_refuses_symlink) {
  uv_file fd;
  int64_t off;

  ck_assert_int_eq(symlink("target", "f.part"), 0);
  ck_assert_int_eq(ftpc_part_open(&loop, "f", 0, &fd, &off), UV_ELOOP);
  ck_assert_int_eq(access("target", F_OK), -1);
}
END_TEST

START_TEST(test_local_open_read) {
  uv_file fd;
  int64_t size;

  ck_assert_int_eq(ftpc_local_open_read(&loop, "missing", &fd, &size), UV_ENOENT);
  ck_assert_int_eq(ftpc_local_open_read(&loop, ".", &fd, &size), UV_EISDIR);
}
END_TEST

/* --- text ----------------------------------------------------------------- */

START_TEST(test_text_clean) {
  char out[64];

  ftpc_text_clean("550 a\x1b[2Jb", 10, out, sizeof(out), 0);
  ck_assert_str_eq(out, "550 a?[2Jb");
  ftpc_text_clean("l1\r\nl2\nl3", 9, out, sizeof(out), 1);
  ck_assert_str_eq(out, "l1\nl2\nl3");
  ftpc_text_clean("l1\nl2", 5, out, sizeof(out), 0);
  ck_assert_str_eq(out, "l1?l2");
  ftpc_text_clean("a\tb\x7f", 4, out, sizeof(out), 0);
  ck_assert_str_eq(out, "a\tb?");
  ck_assert_uint_eq(ftpc_text_clean("abcdef", 6, out, 4, 0), 3);
  ck_assert_str_eq(out, "abc");
  ftpc_text_first_line("226 ok\nsecond", out, sizeof(out));
  ck_assert_str_eq(out, "226 ok");
}
END_TEST

START_TEST(test_reply_size) {
  ck_assert_uint_eq(ftpc_text_reply_size("Opening BINARY mode data connection for f (5242880 bytes)."), 5242880);
  ck_assert_uint_eq(ftpc_text_reply_size("Opening BINARY mode data connection for f (1 byte)."), 1);
  ck_assert_uint_eq(ftpc_text_reply_size("Here comes the directory listing."), 0);
  ck_assert_uint_eq(ftpc_text_reply_size("FILE: (x) (12 bytes)"), 12);
  ck_assert_uint_eq(ftpc_text_reply_size("(abc bytes)"), 0);
}
END_TEST

static Suite *localfs_suite(void) {
  Suite *s = suite_create("localfs");
  TCase *tc = tcase_create("safe_name");

  tcase_add_loop_test(tc, test_safe_name, 0, (int)(sizeof(name_cases) / sizeof(name_cases[0])));
  tcase_add_test(tc, test_safe_name_limits);
  suite_add_tcase(s, tc);
  tc = tcase_create("part");
  tcase_add_checked_fixture(tc, part_setup, part_teardown);
  tcase_add_test(tc, test_part_cycle);
  tcase_add_test(tc, test_part_refuses_symlink);
  tcase_add_test(tc, test_local_open_read);
  suite_add_tcase(s, tc);
  tc = tcase_create("text");
  tcase_add_test(tc, test_text_clean);
  tcase_add_test(tc, test_reply_size);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(localfs_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
