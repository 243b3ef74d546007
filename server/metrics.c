/*
 * metrics.c: the process's counters and their Prometheus text.
 */
#include "metrics.h"

#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "err.h"

struct row {
  const char *name;
  const char *labels;
};

static const struct row rows[FTPD_M__COUNT] = {
#define FTPD_METRIC_ROW(e, n, l) {n, l},
  FTPD_METRICS_COUNTERS(FTPD_METRIC_ROW)
#undef FTPD_METRIC_ROW
};

/* One HELP text per counter name. */
static const struct {
  const char *name;
  const char *help;
} helps[] = {
  {"ftpd_sessions_total", "Control connections admitted as sessions."},
  {"ftpd_connections_refused_total", "Control connections refused before a session."},
  {"ftpd_health_checks_total", "Balancer health checks (PROXY v2 LOCAL) answered."},
  {"ftpd_logins_total", "Logins by method and result (refused: by the security policy)."},
  {"ftpd_received_bytes_total", "Bytes received on data connections (uploads)."},
  {"ftpd_sent_bytes_total", "Bytes sent on data connections (downloads, listings)."},
  {"ftpd_transfers_total", "Transfers by direction and result."},
  {"ftpd_tls_handshakes_total", "Successful TLS handshakes, full or resumed."},
  {"ftpd_tls_handshake_failures_total", "TLS handshakes that failed."},
  {"ftpd_data_connections_refused_total",
   "Data connections refused: TLS session binding, address, timeout, header."},
  {"ftpd_bans_total", "Client addresses banned."},
};

static struct {
  uint64_t counter[FTPD_M__COUNT];
  uint64_t gauge[FTPD_G__COUNT];
  uint64_t start_time;
} m;

void ftpd_metrics_init(void) {
  memset(&m, 0, sizeof(m));
  m.start_time = (uint64_t)time(NULL);
}

void ftpd_metrics_count(enum ftpd_metric e) { m.counter[e]++; }
void ftpd_metrics_add(enum ftpd_metric e, uint64_t n) { m.counter[e] += n; }
void ftpd_metrics_set(enum ftpd_gauge g, uint64_t v) { m.gauge[g] = v; }
uint64_t ftpd_metrics_get(enum ftpd_metric e) { return m.counter[e]; }

void ftpd_metrics_login(enum ftpd_sec_event ev, enum ftpd_sec_method method) {
  int result, base;

  switch (ev) {
  case FTPD_SEC_LOGIN_OK: result = 0; break;
  case FTPD_SEC_LOGIN_FAILED: result = 1; break;
  case FTPD_SEC_LOGIN_REFUSED: result = 2; break;
  default: return;
  }
  switch (method) {
  case FTPD_SEC_M_PASSWORD: base = FTPD_M_LOGIN_PASSWORD_ACCEPTED; break;
  case FTPD_SEC_M_CERTIFICATE: base = FTPD_M_LOGIN_CERTIFICATE_ACCEPTED; break;
  case FTPD_SEC_M_ANONYMOUS: base = FTPD_M_LOGIN_ANONYMOUS_ACCEPTED; break;
  case FTPD_SEC_M_PAM: base = FTPD_M_LOGIN_PAM_ACCEPTED; break;
  default: return;
  }
  m.counter[base + result]++;
}

void ftpd_metrics_data_refusal(int status) {
  switch (status) {
  case FTP_E_TLS_NOT_RESUMED: m.counter[FTPD_M_DATA_NOT_RESUMED]++; break;
  case FTP_E_TLS_SESSION_UNKNOWN: m.counter[FTPD_M_DATA_SESSION_UNKNOWN]++; break;
  case FTP_E_TLS_SESSION_OTHER_USER: m.counter[FTPD_M_DATA_SESSION_OTHER_USER]++; break;
  case FTP_E_TLS_SESSION_OTHER_ADDRESS:
    m.counter[FTPD_M_DATA_SESSION_OTHER_ADDRESS]++;
    break;
  case FTP_E_TLS_CERT_MISMATCH: m.counter[FTPD_M_DATA_CERT_MISMATCH]++; break;
  case UV_ETIMEDOUT: m.counter[FTPD_M_DATA_TIMEOUT]++; break;
  default: break;
  }
}

static const char *help_of(const char *name) {
  size_t i;

  for (i = 0; i < sizeof(helps) / sizeof(helps[0]); i++)
    if (strcmp(helps[i].name, name) == 0)
      return helps[i].help;
  return name;
}

static int gauge(struct ftp_buf *out, const char *name, const char *help,
                 const char *labels, uint64_t v) {
  return ftp_buf_putf(out, "# HELP %s %s\n# TYPE %s gauge\n%s%s%s%s %llu\n", name, help,
                      name, name, labels[0] ? "{" : "", labels, labels[0] ? "}" : "",
                      (unsigned long long)v);
}

static int render_gauges(struct ftp_buf *out) {
  char labels[160];
  const char *mhd = MHD_get_version();
  int r;

  snprintf(labels, sizeof(labels), "gnutls=\"%s\",libuv=\"%s\",microhttpd=\"%s\"",
           gnutls_check_version(NULL), uv_version_string(), mhd != NULL ? mhd : "?");
  if ((r = gauge(out, "ftpd_build_info", "Versions of the libraries ftpd runs on.",
                 labels, 1)) != 0 ||
      (r = gauge(out, "ftpd_start_time_seconds", "When ftpd started, Unix time.", "",
                 m.start_time)) != 0 ||
      (r = gauge(out, "ftpd_draining", "1 while ftpd stops accepting (SIGTERM, SIGUSR2).",
                 "", m.gauge[FTPD_G_DRAINING])) != 0)
    return r;
  return gauge(out, "ftpd_sessions_active", "Sessions now open.", "",
               m.gauge[FTPD_G_SESSIONS_ACTIVE]);
}

int ftpd_metrics_render(struct ftp_buf *out) {
  size_t i;
  int r;

  if ((r = render_gauges(out)) != 0)
    return r;
  for (i = 0; i < FTPD_M__COUNT; i++) {
    const struct row *w = &rows[i];

    if ((i == 0 || strcmp(rows[i - 1].name, w->name) != 0) &&
        (r = ftp_buf_putf(out, "# HELP %s %s\n# TYPE %s counter\n", w->name,
                          help_of(w->name), w->name)) != 0)
      return r;
    if ((r = ftp_buf_putf(out, "%s%s%s%s %llu\n", w->name, w->labels[0] ? "{" : "",
                          w->labels, w->labels[0] ? "}" : "",
                          (unsigned long long)m.counter[i])) != 0)
      return r;
  }
  return 0;
}
