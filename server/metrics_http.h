/*
 * metrics_http.h: the metrics endpoint: GET /metrics over HTTP on
 * METRICSADDRESS:METRICSPORT (loopback by default), answered with
 * ftpd_metrics_render's text.
 *
 * Why an HTTP endpoint rather than a file for node_exporter's textfile
 * collector: every instance of a fleet is then scraped as itself (its own
 * target and "instance" label, up/down seen by Prometheus), also where no
 * node_exporter runs (containers), with counters read at scrape time, never
 * a file rewritten on a timer.  HTTP is libmicrohttpd's (Debian's
 * libmicrohttpd-dev), not ours: no HTTP parser is written here.
 *
 * It runs inside ftpd's one loop, without threads: libmicrohttpd in its
 * external mode with epoll; a uv_poll watches its epoll descriptor and a
 * uv_timer its MHD_get_timeout, and MHD_run serves whatever is ready.  So
 * the counters are read on the loop thread that changes them.
 *
 * Security: the endpoint answers anyone who can reach it and tells the
 * number of logins and transfers (no user names, no addresses): keep it on
 * loopback or a management network.  At most 16 connections at once, each
 * closed after 10 s of silence.
 */
#ifndef FTPD_METRICS_HTTP_H
#define FTPD_METRICS_HTTP_H

#include <uv.h>

struct ftpd_metrics_http;

/*
 * ftpd_metrics_http_start: listen on addr (an IP literal) and port.
 * RETURNS: 0 with *out, or a negative error (logged): the address cannot
 * be bound, FTP_E_NOMEM.
 */
int ftpd_metrics_http_start(uv_loop_t *loop, const char *addr, unsigned port,
                            struct ftpd_metrics_http **out);

/* ftpd_metrics_http_stop: close the endpoint (its handles close on the
 * loop; memory goes after them).  Accepts NULL. */
void ftpd_metrics_http_stop(struct ftpd_metrics_http *h);

#endif
