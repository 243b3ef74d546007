/*
 * check_cmdtab.c: ftpd's command table (server/cmdtab.c).
 *
 * The dispatcher trusts the table: a row's argument shape and class decide
 * 501 and 530 before any handler runs, so a wrong row is a wrong reply (or a
 * command run before login).  The expected rows below are written from the
 * RFCs, not copied from the table: every verb RFC 959, 2228, 2389, 2428,
 * 3659, 4217 and 7151 give the server, with the argument shape and class a
 * server must use for it.
 *
 * Run one case with CK_RUN_CASE=lookup; slow machines can stretch the
 * timeouts with CK_TIMEOUT_MULTIPLIER.
 */
#include <check.h>
#include <ctype.h>
#include <string.h>

#include "cmdtab.h"
#include "ftp_limits.h"
#include "policy.h"

#define ANY FTP_CLASS_ANYTIME
#define USR FTP_CLASS_USER
#define LOG FTP_CLASS_LOGIN
#define SES FTP_CLASS_SESSION
#define DAT FTP_CLASS_DATA

#define XFER CMD_DURING_XFER
#define SECRET CMD_SECRET
#define KEEPS CMD_KEEPS_RNFR
#define OBS CMD_OBSOLETE

static const struct {
  const char *verb;
  enum ftpd_argshape arg;
  enum ftp_cmd_class cls;
  unsigned flags;
  const char *same_handler_as; /* RFC 775 X-forms run their RFC 959 verb */
} expected[] = {
    /* RFC 959 access control: USER alone may start a login; PASS may be
     * empty (anonymous), ACCT is part of logging in; both are secrets. */
    {"USER", ARG_REQUIRED, USR, 0, NULL},
    {"PASS", ARG_OPTIONAL, LOG, SECRET, NULL},
    {"ACCT", ARG_REQUIRED, LOG, SECRET, NULL},
    {"QUIT", ARG_NONE, ANY, XFER, NULL},
    {"REIN", ARG_NONE, ANY, 0, NULL},
    /* Informational commands, answered before login. */
    {"NOOP", ARG_NONE, ANY, 0, NULL},
    {"SYST", ARG_NONE, ANY, 0, NULL},
    {"FEAT", ARG_NONE, ANY, 0, NULL},
    {"OPTS", ARG_REQUIRED, ANY, 0, NULL},
    {"HELP", ARG_OPTIONAL, ANY, 0, NULL},
    {"HOST", ARG_REQUIRED, ANY, 0, NULL},
    /* STAT: 4.1.3, answered during a transfer; needs login (it lists). */
    {"STAT", ARG_OPTIONAL, SES, XFER, NULL},
    /* The namespace. */
    {"CWD", ARG_REQUIRED, SES, 0, NULL},
    {"XCWD", ARG_REQUIRED, SES, OBS, "CWD"},
    {"CDUP", ARG_NONE, SES, 0, NULL},
    {"XCUP", ARG_NONE, SES, OBS, "CDUP"},
    {"PWD", ARG_NONE, SES, 0, NULL},
    {"XPWD", ARG_NONE, SES, OBS, "PWD"},
    {"MKD", ARG_REQUIRED, SES, 0, NULL},
    {"XMKD", ARG_REQUIRED, SES, OBS, "MKD"},
    {"RMD", ARG_REQUIRED, SES, 0, NULL},
    {"XRMD", ARG_REQUIRED, SES, OBS, "RMD"},
    {"DELE", ARG_REQUIRED, SES, 0, NULL},
    /* RNFR must survive until RNTO, and REST between them does no harm. */
    {"RNFR", ARG_REQUIRED, SES, KEEPS, NULL},
    {"RNTO", ARG_REQUIRED, SES, KEEPS, NULL},
    {"SIZE", ARG_REQUIRED, SES, 0, NULL},
    {"MDTM", ARG_REQUIRED, SES, 0, NULL},
    {"MFMT", ARG_REQUIRED, SES, 0, NULL},
    /* Transfer parameters. */
    {"TYPE", ARG_REQUIRED, SES, 0, NULL},
    {"MODE", ARG_REQUIRED, SES, 0, NULL},
    {"STRU", ARG_REQUIRED, SES, 0, NULL},
    {"ALLO", ARG_REQUIRED, SES, 0, NULL},
    {"REST", ARG_REQUIRED, SES, KEEPS, NULL},
    /* Transfers: they open a data connection (DATA: SECURE_DATACONN). */
    {"RETR", ARG_REQUIRED, DAT, 0, NULL},
    {"STOR", ARG_REQUIRED, DAT, 0, NULL},
    {"STOU", ARG_OPTIONAL, DAT, 0, NULL},
    {"APPE", ARG_REQUIRED, DAT, 0, NULL},
    {"LIST", ARG_OPTIONAL, DAT, 0, NULL},
    {"NLST", ARG_OPTIONAL, DAT, 0, NULL},
    {"MLSD", ARG_OPTIONAL, DAT, 0, NULL},
    /* MLST answers on the control connection. */
    {"MLST", ARG_OPTIONAL, SES, 0, NULL},
    /* Data connection set-up (RFC 959, RFC 2428). */
    {"PASV", ARG_NONE, SES, 0, NULL},
    {"EPSV", ARG_OPTIONAL, SES, 0, NULL},
    {"PORT", ARG_REQUIRED, SES, 0, NULL},
    {"EPRT", ARG_REQUIRED, SES, 0, NULL},
    {"ABOR", ARG_NONE, SES, XFER, NULL},
    /* Security: SITE requires login (interop-gotchas 6.5). */
    {"SITE", ARG_REQUIRED, SES, 0, NULL},
    /* RFC 2228 / 4217: before login, since they protect it. */
    {"AUTH", ARG_REQUIRED, ANY, 0, NULL},
    {"PBSZ", ARG_REQUIRED, ANY, 0, NULL},
    {"PROT", ARG_REQUIRED, ANY, 0, NULL},
    {"CCC", ARG_NONE, ANY, 0, NULL},
};

#define N_EXPECTED (sizeof(expected) / sizeof(expected[0]))

/* Verbs that must not be found: unknown, mis-cased, truncated, padded,
 * verbs other servers have that we do not (SITE subcommands as verbs,
 * ProFTPD mod_copy, LANG, CLNT, PRET, hashes). */
static const char *const unknown[] = {
    "", "R", "RET", "RETRX", "retr", "Retr", "RETR ", " RETR", "XYZ",
    "CPFR", "CPTO", "CHMOD", "LANG", "CLNT", "PRET", "HASH", "XMD5",
    "XCRC", "MFF", "MFCT", "AVBL", "SMNT", "LPRT", "LPSV", "ZZZZ",
    "AAAA", "SITE CHMOD", "RETR\n", "ABOR\r",
};

/* --- the table as a whole ---------------------------------------------- */

START_TEST(test_sorted_and_unique) {
  size_t n = 0, i;
  const struct ftpd_cmd *t = ftpd_cmd_table(&n);

  ck_assert_ptr_nonnull(t);
  ck_assert_uint_gt(n, 1);
  /* Binary search needs strictly increasing verbs: no duplicates. */
  for (i = 1; i < n; i++)
    ck_assert_msg(strcmp(t[i - 1].verb, t[i].verb) < 0,
                  "rows %zu and %zu out of order: %s, %s", i - 1, i,
                  t[i - 1].verb, t[i].verb);
}
END_TEST

START_TEST(test_every_row_well_formed) {
  size_t n = 0, i, j, len;
  const struct ftpd_cmd *t = ftpd_cmd_table(&n);

  for (i = 0; i < n; i++) {
    len = strlen(t[i].verb);
    /* cmd.c only ever frames verbs of 1..FTP_CMD_VERB_MAX letters, upper
     * cased: any other row could never be reached. */
    ck_assert_msg(len >= 3 && len <= FTP_CMD_VERB_MAX, "%s: length", t[i].verb);
    for (j = 0; j < len; j++)
      ck_assert_msg(isupper((unsigned char)t[i].verb[j]), "%s: not upper case",
                    t[i].verb);
    ck_assert_msg(t[i].handler != NULL, "%s: no handler", t[i].verb);
    ck_assert_msg(t[i].help != NULL && t[i].help[0] != 0, "%s: no help", t[i].verb);
    /* HELP verb prints the text after "Syntax: ": it names the verb. */
    ck_assert_msg(strncmp(t[i].help, t[i].verb, len) == 0 &&
                      (t[i].help[len] == 0 || t[i].help[len] == ' '),
                  "%s: help text \"%s\" does not start with the verb", t[i].verb,
                  t[i].help);
    /* Help texts go into replies as they are. */
    ck_assert_msg(strpbrk(t[i].help, "\r\n") == NULL, "%s: CR/LF in help", t[i].verb);
    ck_assert_msg(t[i].cls >= FTP_CLASS_ANYTIME && t[i].cls <= FTP_CLASS_DATA,
                  "%s: class %d", t[i].verb, (int)t[i].cls);
    ck_assert_msg(t[i].arg == ARG_NONE || t[i].arg == ARG_REQUIRED ||
                      t[i].arg == ARG_OPTIONAL,
                  "%s: argument shape %d", t[i].verb, (int)t[i].arg);
    ck_assert_msg((t[i].flags & ~(unsigned)(XFER | SECRET | KEEPS | OBS)) == 0,
                  "%s: unknown flags %#x", t[i].verb, t[i].flags);
  }
}
END_TEST

/* Nothing in the table that the list above does not expect: a verb added
 * later must be added here too, with its shape and class checked. */
START_TEST(test_no_unexpected_rows) {
  size_t n = 0, i, k;
  const struct ftpd_cmd *t = ftpd_cmd_table(&n);

  for (i = 0; i < n; i++) {
    for (k = 0; k < N_EXPECTED; k++)
      if (strcmp(t[i].verb, expected[k].verb) == 0)
        break;
    ck_assert_msg(k < N_EXPECTED, "unexpected row %s", t[i].verb);
  }
  ck_assert_uint_eq(n, N_EXPECTED);
}
END_TEST

/* --- one row at a time ------------------------------------------------- */

START_TEST(test_expected_row) {
  const char *verb = expected[_i].verb;
  const struct ftpd_cmd *c = ftpd_cmd_find(verb);
  const struct ftpd_cmd *base;

  ck_assert_msg(c != NULL, "%s not found", verb);
  ck_assert_str_eq(c->verb, verb);
  ck_assert_msg(c->arg == expected[_i].arg, "%s: argument shape %d, expected %d",
                verb, (int)c->arg, (int)expected[_i].arg);
  ck_assert_msg(c->cls == expected[_i].cls, "%s: class %d, expected %d", verb,
                (int)c->cls, (int)expected[_i].cls);
  ck_assert_msg(c->flags == expected[_i].flags, "%s: flags %#x, expected %#x",
                verb, c->flags, expected[_i].flags);
  ck_assert_ptr_nonnull(c->handler);
  ck_assert_ptr_nonnull(c->help);
  if (expected[_i].same_handler_as != NULL) {
    base = ftpd_cmd_find(expected[_i].same_handler_as);
    ck_assert_ptr_nonnull(base);
    ck_assert_msg(c->handler == base->handler, "%s does not run %s's handler",
                  verb, base->verb);
    ck_assert_msg(c->arg == base->arg && c->cls == base->cls,
                  "%s differs from %s", verb, base->verb);
  }
}
END_TEST

/* Distinct verbs have distinct handlers, except the X-forms: a row that
 * points at the wrong handler (a copy-paste slip) would run another
 * command. */
START_TEST(test_handlers_distinct) {
  size_t i, k;
  const struct ftpd_cmd *a, *b;

  for (i = 0; i < N_EXPECTED; i++) {
    if (expected[i].same_handler_as != NULL)
      continue;
    a = ftpd_cmd_find(expected[i].verb);
    ck_assert_ptr_nonnull(a);
    for (k = i + 1; k < N_EXPECTED; k++) {
      if (expected[k].same_handler_as != NULL)
        continue;
      b = ftpd_cmd_find(expected[k].verb);
      ck_assert_ptr_nonnull(b);
      ck_assert_msg(a->handler != b->handler, "%s and %s share a handler",
                    a->verb, b->verb);
    }
  }
}
END_TEST

/* The lookup returns the table's own row (HELP and the dispatcher compare
 * rows by address). */
START_TEST(test_find_returns_table_rows) {
  size_t n = 0, i;
  const struct ftpd_cmd *t = ftpd_cmd_table(&n);

  for (i = 0; i < n; i++)
    ck_assert_ptr_eq(ftpd_cmd_find(t[i].verb), &t[i]);
}
END_TEST

START_TEST(test_unknown_not_found) {
  ck_assert_msg(ftpd_cmd_find(unknown[_i]) == NULL, "\"%s\" was found",
                unknown[_i]);
}
END_TEST

/* Every verb of the issue's list with a byte changed, dropped or added is
 * unknown too: the search does not match prefixes or neighbours. */
START_TEST(test_near_misses_not_found) {
  char v[FTP_CMD_VERB_MAX + 2];
  size_t len = strlen(expected[_i].verb), j;

  for (j = 0; j < len; j++) {
    memcpy(v, expected[_i].verb, len + 1);
    v[j] = v[j] == 'Q' ? 'J' : 'Q';
    if (ftpd_cmd_find(v) != NULL)
      ck_assert_msg(strcmp(ftpd_cmd_find(v)->verb, v) == 0, "%s matched %s", v,
                    ftpd_cmd_find(v)->verb);
    memcpy(v, expected[_i].verb, len + 1);
    v[len - 1] = 0;
    if (ftpd_cmd_find(v) != NULL)
      ck_assert_msg(strcmp(ftpd_cmd_find(v)->verb, v) == 0, "%s matched", v);
  }
  memcpy(v, expected[_i].verb, len);
  v[len] = 'X';
  v[len + 1] = 0;
  ck_assert_msg(ftpd_cmd_find(v) == NULL || strcmp(ftpd_cmd_find(v)->verb, v) == 0,
                "%s matched", v);
}
END_TEST

static Suite *cmdtab_suite(void) {
  Suite *s = suite_create("cmdtab");
  TCase *table = tcase_create("table");
  TCase *rows = tcase_create("rows");
  TCase *lookup = tcase_create("lookup");

  tcase_add_test(table, test_sorted_and_unique);
  tcase_add_test(table, test_every_row_well_formed);
  tcase_add_test(table, test_no_unexpected_rows);
  tcase_add_test(table, test_handlers_distinct);
  suite_add_tcase(s, table);

  tcase_add_loop_test(rows, test_expected_row, 0, N_EXPECTED);
  suite_add_tcase(s, rows);

  tcase_add_test(lookup, test_find_returns_table_rows);
  tcase_add_loop_test(lookup, test_unknown_not_found, 0,
                      sizeof(unknown) / sizeof(unknown[0]));
  tcase_add_loop_test(lookup, test_near_misses_not_found, 0, N_EXPECTED);
  suite_add_tcase(s, lookup);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(cmdtab_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
