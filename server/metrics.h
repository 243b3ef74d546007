/*
 * metrics.h: ftpd's counters, and their text in Prometheus's exposition
 * format (text/plain; version=0.0.4), which metrics_http.c serves.
 *
 * One set of counters per process, changed only on the loop thread (so
 * plain integers, no atomics).  Code that sees an event counts it with one
 * call: ftpd_metrics_count(FTPD_M_...).  Names follow Prometheus's
 * conventions: the prefix ftpd_, counters end in _total, sizes in _bytes;
 * labels have a handful of fixed values each (never a user name or an
 * address: an exporter must not leak who has an account).
 *
 * SERIES (type, labels):
 *   ftpd_build_info                      gauge  gnutls, libuv, microhttpd
 *   ftpd_start_time_seconds              gauge
 *   ftpd_draining                        gauge  1 from SIGTERM or SIGUSR2 on
 *   ftpd_sessions_active                 gauge
 *   ftpd_sessions_total                  counter
 *   ftpd_connections_refused_total       counter reason=maxsessions,
 *                                          maxsessionsperip, draining,
 *                                          proxy_header, banned
 *   ftpd_health_checks_total             counter (PROXY v2 LOCAL)
 *   ftpd_logins_total                    counter method=password,
 *                                          certificate, anonymous, pam;
 *                                          result=accepted, failed, refused
 *   ftpd_received_bytes_total            counter (data connections)
 *   ftpd_sent_bytes_total                counter (data connections)
 *   ftpd_transfers_total                 counter direction=upload, download,
 *                                          listing; result=ok, failed, aborted
 *   ftpd_tls_handshakes_total            counter connection=control, data;
 *                                          kind=full, resumed
 *   ftpd_tls_handshake_failures_total    counter connection=control, data
 *   ftpd_data_connections_refused_total  counter reason=not_resumed,
 *                                          session_unknown, session_other_user,
 *                                          session_other_address,
 *                                          cert_mismatch, address (from
 *                                          another address, or a balancer's
 *                                          bad header), timeout
 *   ftpd_bans_total                      counter (addresses banned)
 */
#ifndef FTPD_METRICS_H
#define FTPD_METRICS_H

#include <stdint.h>

#include "buf.h"
#include "seclog.h"

/* X(ENUM, name, labels): the counters, each series once; rows of one name
 * are consecutive (one HELP and TYPE line per name). */
#define FTPD_METRICS_COUNTERS(X)                                              \
  X(SESSIONS, "ftpd_sessions_total", "")                                     \
  X(REFUSED_MAXSESSIONS, "ftpd_connections_refused_total", "reason=\"maxsessions\"") \
  X(REFUSED_MAXSESSIONSPERIP, "ftpd_connections_refused_total",              \
    "reason=\"maxsessionsperip\"")                                            \
  X(REFUSED_DRAINING, "ftpd_connections_refused_total", "reason=\"draining\"") \
  X(REFUSED_PROXY_HEADER, "ftpd_connections_refused_total",                  \
    "reason=\"proxy_header\"")                                                \
  X(REFUSED_BANNED, "ftpd_connections_refused_total", "reason=\"banned\"")    \
  X(HEALTH_CHECKS, "ftpd_health_checks_total", "")                           \
  X(LOGIN_PASSWORD_ACCEPTED, "ftpd_logins_total",                            \
    "method=\"password\",result=\"accepted\"")                                \
  X(LOGIN_PASSWORD_FAILED, "ftpd_logins_total",                              \
    "method=\"password\",result=\"failed\"")                                  \
  X(LOGIN_PASSWORD_REFUSED, "ftpd_logins_total",                             \
    "method=\"password\",result=\"refused\"")                                 \
  X(LOGIN_CERTIFICATE_ACCEPTED, "ftpd_logins_total",                         \
    "method=\"certificate\",result=\"accepted\"")                             \
  X(LOGIN_CERTIFICATE_FAILED, "ftpd_logins_total",                           \
    "method=\"certificate\",result=\"failed\"")                               \
  X(LOGIN_CERTIFICATE_REFUSED, "ftpd_logins_total",                          \
    "method=\"certificate\",result=\"refused\"")                              \
  X(LOGIN_ANONYMOUS_ACCEPTED, "ftpd_logins_total",                           \
    "method=\"anonymous\",result=\"accepted\"")                               \
  X(LOGIN_ANONYMOUS_FAILED, "ftpd_logins_total",                             \
    "method=\"anonymous\",result=\"failed\"")                                 \
  X(LOGIN_ANONYMOUS_REFUSED, "ftpd_logins_total",                            \
    "method=\"anonymous\",result=\"refused\"")                                \
  X(LOGIN_PAM_ACCEPTED, "ftpd_logins_total", "method=\"pam\",result=\"accepted\"") \
  X(LOGIN_PAM_FAILED, "ftpd_logins_total", "method=\"pam\",result=\"failed\"")   \
  X(LOGIN_PAM_REFUSED, "ftpd_logins_total", "method=\"pam\",result=\"refused\"") \
  X(RECEIVED_BYTES, "ftpd_received_bytes_total", "")                         \
  X(SENT_BYTES, "ftpd_sent_bytes_total", "")                                 \
  X(UPLOAD_OK, "ftpd_transfers_total", "direction=\"upload\",result=\"ok\"")  \
  X(UPLOAD_FAILED, "ftpd_transfers_total",                                   \
    "direction=\"upload\",result=\"failed\"")                                 \
  X(UPLOAD_ABORTED, "ftpd_transfers_total",                                  \
    "direction=\"upload\",result=\"aborted\"")                                \
  X(DOWNLOAD_OK, "ftpd_transfers_total", "direction=\"download\",result=\"ok\"") \
  X(DOWNLOAD_FAILED, "ftpd_transfers_total",                                 \
    "direction=\"download\",result=\"failed\"")                               \
  X(DOWNLOAD_ABORTED, "ftpd_transfers_total",                                \
    "direction=\"download\",result=\"aborted\"")                              \
  X(LISTING_OK, "ftpd_transfers_total", "direction=\"listing\",result=\"ok\"") \
  X(LISTING_FAILED, "ftpd_transfers_total",                                  \
    "direction=\"listing\",result=\"failed\"")                                \
  X(LISTING_ABORTED, "ftpd_transfers_total",                                 \
    "direction=\"listing\",result=\"aborted\"")                               \
  X(TLS_CONTROL_FULL, "ftpd_tls_handshakes_total",                           \
    "connection=\"control\",kind=\"full\"")                                   \
  X(TLS_CONTROL_RESUMED, "ftpd_tls_handshakes_total",                        \
    "connection=\"control\",kind=\"resumed\"")                                \
  X(TLS_DATA_FULL, "ftpd_tls_handshakes_total",                              \
    "connection=\"data\",kind=\"full\"")                                      \
  X(TLS_DATA_RESUMED, "ftpd_tls_handshakes_total",                           \
    "connection=\"data\",kind=\"resumed\"")                                   \
  X(TLS_CONTROL_FAILED, "ftpd_tls_handshake_failures_total",                 \
    "connection=\"control\"")                                                 \
  X(TLS_DATA_FAILED, "ftpd_tls_handshake_failures_total", "connection=\"data\"") \
  X(DATA_NOT_RESUMED, "ftpd_data_connections_refused_total",                 \
    "reason=\"not_resumed\"")                                                 \
  X(DATA_SESSION_UNKNOWN, "ftpd_data_connections_refused_total",             \
    "reason=\"session_unknown\"")                                             \
  X(DATA_SESSION_OTHER_USER, "ftpd_data_connections_refused_total",          \
    "reason=\"session_other_user\"")                                          \
  X(DATA_SESSION_OTHER_ADDRESS, "ftpd_data_connections_refused_total",       \
    "reason=\"session_other_address\"")                                       \
  X(DATA_CERT_MISMATCH, "ftpd_data_connections_refused_total",               \
    "reason=\"cert_mismatch\"")                                               \
  X(DATA_ADDRESS, "ftpd_data_connections_refused_total", "reason=\"address\"") \
  X(DATA_TIMEOUT, "ftpd_data_connections_refused_total", "reason=\"timeout\"") \
  X(BANS, "ftpd_bans_total", "")

enum ftpd_metric {
#define FTPD_METRIC_ENUM(e, name, labels) FTPD_M_##e,
  FTPD_METRICS_COUNTERS(FTPD_METRIC_ENUM)
#undef FTPD_METRIC_ENUM
  FTPD_M__COUNT
};

enum ftpd_gauge { FTPD_G_SESSIONS_ACTIVE, FTPD_G_DRAINING, FTPD_G__COUNT };

/* ftpd_metrics_init: zero everything and note the start time. */
void ftpd_metrics_init(void);

/* ftpd_metrics_count / _add: one event, or n of them (bytes). */
void ftpd_metrics_count(enum ftpd_metric m);
void ftpd_metrics_add(enum ftpd_metric m, uint64_t n);

/* ftpd_metrics_set: a gauge's value now. */
void ftpd_metrics_set(enum ftpd_gauge g, uint64_t v);

/* ftpd_metrics_get: a counter's value (tests, logs). */
uint64_t ftpd_metrics_get(enum ftpd_metric m);

/* ftpd_metrics_login: a login event of seclog (login-ok, -failed,
 * -refused) counted by method and result; other events are ignored. */
void ftpd_metrics_login(enum ftpd_sec_event ev, enum ftpd_sec_method method);

/* ftpd_metrics_data_refusal: a data connection refused with status (a
 * tlsbind verdict's error, a certificate mismatch, UV_ETIMEDOUT, ...):
 * counted under its reason.  Other statuses are ignored. */
void ftpd_metrics_data_refusal(int status);

/*
 * ftpd_metrics_render: append the exposition text of every series to out:
 * "# HELP", "# TYPE" and one sample per line, each line ending in "\n".
 * No I/O.  RETURNS: 0, or the ftp_buf error.
 */
int ftpd_metrics_render(struct ftp_buf *out);

#endif
