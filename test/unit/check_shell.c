/*
 * check_shell.c: the shell's command-line splitting (quotes, escapes) and
 * the command table lookup (client/cmdline.c, client/cmdtab.c).
 *
 * Run one case with CK_RUN_CASE=split (or table, random).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdtab.h"
#include "shell.h"

struct split_case {
  const char *line;
  const char *words; /* joined with '|'; NULL: must fail */
  int n;
};

static const struct split_case split_cases[] = {
  {"", "", 0},
  {"   \t ", "", 0},
  {"ls", "ls", 1},
  {"get a b", "get|a|b", 3},
  {"  get   a\tb  ", "get|a|b", 3},
  {"get 'my file.txt'", "get|my file.txt", 2},
  {"get \"my file.txt\" local", "get|my file.txt|local", 3},
  {"get my\\ file.txt", "get|my file.txt", 2},
  {"put a\\'b", "put|a'b", 2},
  {"quote \"SITE  CHMOD\"", "quote|SITE  CHMOD", 2},
  {"get \"a\\\"b\"", "get|a\"b", 2},
  {"get \"a\\\\b\"", "get|a\\b", 2},
  {"get \"a\\nb\"", "get|a\\nb", 2},       /* only \" and \\ escape in "" */
  {"get 'a\\b'", "get|a\\b", 2},           /* nothing escapes in '' */
  {"get ''", "get|", 2},                   /* an empty word */
  {"get \"\" x", "get||x", 3},
  {"get a''b", "get|ab", 2},
  {"get a\"b c\"d", "get|ab cd", 2},
  {"ls\n", "ls", 1},
  {"ls -l\r\n", "ls|-l", 2},
  {"cd dir\\", "cd|dir\\", 2},             /* a trailing backslash stays */
  {"get 'unterminated", NULL, 0},
  {"get \"unterminated", NULL, 0},
  {"get \"a\\\"", NULL, 0},
};

static void joined(char **argv, int argc, char *out, size_t n) {
  int i;

  out[0] = 0;
  for (i = 0; i < argc; i++) {
    if (i > 0)
      strncat(out, "|", n - strlen(out) - 1);
    strncat(out, argv[i], n - strlen(out) - 1);
  }
}

START_TEST(test_split) {
  const struct split_case *c = &split_cases[_i];
  char **argv = NULL, err[128], got[512];
  int argc = -1, r;

  r = ftpc_line_split(c->line, &argv, &argc, err, sizeof(err));
  if (c->words == NULL) {
    ck_assert_msg(r == -1, "case %d must fail", _i);
    ck_assert(strstr(err, "unterminated") != NULL);
    ck_assert_ptr_null(argv);
    return;
  }
  ck_assert_msg(r == 0, "case %d: %s", _i, err);
  ck_assert_int_eq(argc, c->n);
  ck_assert_ptr_null(argv[argc]);
  joined(argv, argc, got, sizeof(got));
  ck_assert_msg(strcmp(got, c->words) == 0, "case %d: got '%s' want '%s'", _i, got, c->words);
  ftpc_line_free(argv, argc);
}
END_TEST

/* A fixed-seed random line never crashes the splitter, and whatever it
 * returns is NULL-terminated with argc words. */
START_TEST(test_split_random) {
  unsigned seed = 12345;
  static const char alphabet[] = "ab '\"\\\t\n\r";
  int i, j;

  for (i = 0; i < 20000; i++) {
    char line[40], **argv = NULL, err[64];
    int argc = 0, len = (int)(rand_r(&seed) % (sizeof(line) - 1));
    for (j = 0; j < len; j++)
      line[j] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
    line[len] = 0;
    if (ftpc_line_split(line, &argv, &argc, err, sizeof(err)) == 0) {
      ck_assert_ptr_null(argv[argc]);
      ftpc_line_free(argv, argc);
    }
  }
}
END_TEST

struct find_case {
  const char *name;
  const char *want; /* NULL: not found */
  int ambiguous;
};

static const struct find_case find_cases[] = {
  {"get", "get", 0},
  {"mget", "mget", 0},
  {"by", "bye", 0},
  {"bye", "bye", 0},
  {"quit", "quit", 0},
  {"qui", "quit", 0},
  {"ls", "ls", 0},
  {"dir", "dir", 0},
  {"?", "?", 0},
  {"pw", "pwd", 0},
  {"reg", "reget", 0},
  {"mkd", "mkdir", 0},
  {"g", "get", 0},       /* only get starts with g */
  {"b", NULL, 1},        /* binary, bye */
  {"p", NULL, 1},        /* pwd, put, passive, ... */
  {"m", NULL, 1},
  {"getx", NULL, 0},
  {"", NULL, 0},
  {"GET", NULL, 0},      /* BSD command names are lower case */
};

START_TEST(test_find) {
  const struct find_case *c = &find_cases[_i];
  const struct ftpc_cmd *cmd;
  int amb = -1;

  cmd = ftpc_cmd_find(c->name, &amb);
  if (c->want == NULL) {
    ck_assert_msg(cmd == NULL, "'%s' found", c->name);
    ck_assert_int_eq(amb, c->ambiguous);
    return;
  }
  ck_assert_msg(cmd != NULL, "'%s' not found", c->name);
  ck_assert_str_eq(cmd->name, c->want);
  ck_assert_int_eq(amb, 0);
}
END_TEST

/* Every command the issue lists is in the table, with usage and help. */
START_TEST(test_table_complete) {
  static const char *const required[] = {
      "open", "close", "user", "quit", "bye", "cd", "lcd", "pwd", "ls", "dir",
      "nlist", "mls", "mlsd", "get", "put", "reget", "append", "mget", "mput",
      "delete", "mdelete", "mkdir", "rmdir", "rename", "size", "modtime", "chmod",
      "type", "binary", "ascii", "passive", "active", "epsv4", "prot", "private",
      "clear", "safe", "ccc", "quote", "site", "stat", "status", "feat", "hash",
      "progress", "prompt", "verbose", "help"};
  const struct ftpc_cmd *t;
  size_t n, i, j;

  t = ftpc_cmd_table(&n);
  for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
    for (j = 0; j < n; j++)
      if (strcmp(t[j].name, required[i]) == 0)
        break;
    ck_assert_msg(j < n, "command %s missing", required[i]);
    ck_assert(t[j].handler != NULL && t[j].usage != NULL && t[j].help != NULL);
    ck_assert_msg(strncmp(t[j].usage, t[j].name, strlen(t[j].name)) == 0,
                  "usage of %s does not start with its name", t[j].name);
    ck_assert(t[j].max_args < 0 || t[j].max_args >= t[j].min_args);
  }
}
END_TEST

static Suite *shell_suite(void) {
  Suite *s = suite_create("shell");
  TCase *tc = tcase_create("split");

  tcase_add_loop_test(tc, test_split, 0, (int)(sizeof(split_cases) / sizeof(split_cases[0])));
  suite_add_tcase(s, tc);
  tc = tcase_create("random");
  tcase_add_test(tc, test_split_random);
  suite_add_tcase(s, tc);
  tc = tcase_create("table");
  tcase_add_loop_test(tc, test_find, 0, (int)(sizeof(find_cases) / sizeof(find_cases[0])));
  tcase_add_test(tc, test_table_complete);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(shell_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
