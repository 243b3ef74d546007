/*
 * check_metrics.c: ftpd's counters and their Prometheus text (server/
 * metrics.h): the exposition format's lines, one HELP and TYPE per name,
 * counts by label, login events by method and result, data-connection
 * refusals by reason.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "metrics.h"

static char *render(void) {
  struct ftp_buf b;
  char *text;

  ftp_buf_init(&b, 1024 * 1024);
  ck_assert_int_eq(ftpd_metrics_render(&b), 0);
  text = strdup(ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
  return text;
}

/* The line that starts with prefix (a sample's name and labels). */
static const char *line(const char *text, const char *prefix) {
  const char *p = text;
  size_t n = strlen(prefix);

  for (; p != NULL && *p; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
    if (strncmp(p, prefix, n) == 0 && p[n] == ' ')
      return p + n + 1;
  return NULL;
}

static void expect(const char *text, const char *sample, const char *value) {
  const char *v = line(text, sample);

  ck_assert_msg(v != NULL, "no sample %s", sample);
  ck_assert_msg(strncmp(v, value, strlen(value)) == 0 && v[strlen(value)] == '\n',
                "%s: %.20s, not %s", sample, v, value);
}

START_TEST(test_counts) {
  char *t;

  ftpd_metrics_init();
  ftpd_metrics_count(FTPD_M_SESSIONS);
  ftpd_metrics_count(FTPD_M_SESSIONS);
  ftpd_metrics_add(FTPD_M_SENT_BYTES, 12345678901ull);
  ftpd_metrics_set(FTPD_G_SESSIONS_ACTIVE, 3);
  ftpd_metrics_login(FTPD_SEC_LOGIN_OK, FTPD_SEC_M_PASSWORD);
  ftpd_metrics_login(FTPD_SEC_LOGIN_FAILED, FTPD_SEC_M_PASSWORD);
  ftpd_metrics_login(FTPD_SEC_LOGIN_FAILED, FTPD_SEC_M_PASSWORD);
  ftpd_metrics_login(FTPD_SEC_LOGIN_REFUSED, FTPD_SEC_M_CERTIFICATE);
  ftpd_metrics_login(FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_PASSWORD); /* not a login */
  ftpd_metrics_data_refusal(FTP_E_TLS_SESSION_UNKNOWN);
  ftpd_metrics_data_refusal(UV_ETIMEDOUT);
  ftpd_metrics_data_refusal(UV_ECONNRESET); /* not a refusal */
  t = render();
  expect(t, "ftpd_sessions_total", "2");
  expect(t, "ftpd_sent_bytes_total", "12345678901");
  expect(t, "ftpd_sessions_active", "3");
  expect(t, "ftpd_logins_total{method=\"password\",result=\"accepted\"}", "1");
  expect(t, "ftpd_logins_total{method=\"password\",result=\"failed\"}", "2");
  expect(t, "ftpd_logins_total{method=\"password\",result=\"refused\"}", "0");
  expect(t, "ftpd_logins_total{method=\"certificate\",result=\"refused\"}", "1");
  expect(t, "ftpd_data_connections_refused_total{reason=\"session_unknown\"}", "1");
  expect(t, "ftpd_data_connections_refused_total{reason=\"timeout\"}", "1");
  expect(t, "ftpd_data_connections_refused_total{reason=\"address\"}", "0");
  expect(t, "ftpd_draining", "0");
  ck_assert_uint_eq(ftpd_metrics_get(FTPD_M_SESSIONS), 2);
  free(t);
}
END_TEST

/* The exposition format: every line ends in \n, one HELP and TYPE per
 * name, before its samples; names are ftpd_*, counters end in _total. */
START_TEST(test_format) {
  char *t, *p, *save = NULL, name[128], last[128] = "";
  int helps = 0;

  ftpd_metrics_init();
  t = render();
  ck_assert(t[strlen(t) - 1] == '\n');
  for (p = strtok_r(t, "\n", &save); p != NULL; p = strtok_r(NULL, "\n", &save)) {
    if (strncmp(p, "# HELP ", 7) == 0) {
      ck_assert(sscanf(p + 7, "%127s", name) == 1);
      ck_assert_msg(strcmp(name, last) != 0, "second HELP for %s", name);
      snprintf(last, sizeof(last), "%s", name);
      helps++;
      continue;
    }
    if (strncmp(p, "# TYPE ", 7) == 0) {
      char type[32];
      ck_assert(sscanf(p + 7, "%127s %31s", name, type) == 2);
      ck_assert_str_eq(name, last);
      if (strcmp(type, "counter") == 0)
        ck_assert_msg(strlen(name) > 6 && strcmp(name + strlen(name) - 6, "_total") == 0,
                      "counter %s lacks _total", name);
      else
        ck_assert_str_eq(type, "gauge");
      continue;
    }
    ck_assert_msg(strncmp(p, last, strlen(last)) == 0 &&
                      (p[strlen(last)] == ' ' || p[strlen(last)] == '{'),
                  "sample %s outside its family %s", p, last);
    ck_assert(strncmp(p, "ftpd_", 5) == 0);
  }
  ck_assert_int_ge(helps, 15);
  free(t);
}
END_TEST

static Suite *metrics_suite(void) {
  Suite *s = suite_create("metrics");
  TCase *tc = tcase_create("render");

  tcase_add_test(tc, test_counts);
  tcase_add_test(tc, test_format);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(metrics_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
