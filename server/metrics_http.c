/*
 * metrics_http.c: libmicrohttpd driven by the libuv loop (external epoll
 * mode), serving GET /metrics.
 */
#include "metrics_http.h"

#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "log.h"
#include "metrics.h"

#define MAX_CONNECTIONS 16
#define IDLE_TIMEOUT_S 10
/* The exposition text is a few KiB; this bounds it anyway. */
#define TEXT_MAX (1024 * 1024)

struct ftpd_metrics_http {
  struct MHD_Daemon *mhd;
  uv_poll_t poll;
  uv_timer_t timer;
  int open_handles;
};

static void reply(struct MHD_Connection *c, unsigned status, const char *type,
                  const void *body, size_t len) {
  struct MHD_Response *r =
      MHD_create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);

  if (r == NULL)
    return;
  MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
  MHD_queue_response(c, status, r);
  MHD_destroy_response(r);
}

static enum MHD_Result access_cb(void *cls, struct MHD_Connection *c, const char *url,
                                 const char *method, const char *version,
                                 const char *upload, size_t *upload_size, void **state) {
  static const char text_type[] = "text/plain; charset=utf-8";
  struct ftp_buf out;

  (void)cls;
  (void)version;
  (void)upload;
  (void)state;
  if (*upload_size != 0) {
    *upload_size = 0; /* a body is not for us: dropped */
    return MHD_YES;
  }
  if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
    reply(c, MHD_HTTP_METHOD_NOT_ALLOWED, text_type, "GET only\n", 9);
    return MHD_YES;
  }
  if (strcmp(url, "/metrics") != 0) {
    reply(c, MHD_HTTP_NOT_FOUND, text_type, "see /metrics\n", 13);
    return MHD_YES;
  }
  ftp_buf_init(&out, TEXT_MAX);
  if (ftpd_metrics_render(&out) == 0)
    reply(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", ftp_buf_ptr(&out),
          ftp_buf_len(&out));
  else
    reply(c, MHD_HTTP_INTERNAL_SERVER_ERROR, text_type, "out of memory\n", 14);
  ftp_buf_free(&out);
  return MHD_YES;
}

/* libmicrohttpd's messages: fmt is its own printf format. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap) {
  char line[512];

  (void)cls;
  vsnprintf(line, sizeof(line), fmt, ap);
  line[strcspn(line, "\n")] = 0;
  log_warn("metrics endpoint: %s", line);
}

static void run(struct ftpd_metrics_http *h);

static void timer_cb(uv_timer_t *t) { run(t->data); }

static void poll_cb(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  run(p->data);
}

/* Serve what is ready, then wait for the next event or MHD's timeout. */
static void run(struct ftpd_metrics_http *h) {
  MHD_UNSIGNED_LONG_LONG ms = 0;

  MHD_run(h->mhd);
  if (MHD_get_timeout(h->mhd, &ms) == MHD_YES)
    uv_timer_start(&h->timer, timer_cb, ms, 0);
  else
    uv_timer_stop(&h->timer);
}

int ftpd_metrics_http_start(uv_loop_t *loop, const char *addr, unsigned port,
                            struct ftpd_metrics_http **out) {
  struct ftpd_metrics_http *h;
  struct sockaddr_storage sa;
  const union MHD_DaemonInfo *info;
  int r;

  *out = NULL;
  if ((r = ftp_addr_from_string(addr, port, &sa)) != 0)
    return r;
  if ((h = calloc(1, sizeof(*h))) == NULL)
    return FTP_E_NOMEM;
  h->mhd = MHD_start_daemon(
      MHD_USE_EPOLL | MHD_USE_ERROR_LOG | (sa.ss_family == AF_INET6 ? MHD_USE_IPv6 : 0),
      (uint16_t)port, NULL, NULL, access_cb, NULL, MHD_OPTION_EXTERNAL_LOGGER, mhd_log,
      NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_CONNECTION_LIMIT,
      (unsigned)MAX_CONNECTIONS, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT_S,
      MHD_OPTION_END);
  if (h->mhd == NULL ||
      (info = MHD_get_daemon_info(h->mhd, MHD_DAEMON_INFO_EPOLL_FD)) == NULL) {
    log_err("METRICSPORT: cannot listen on %s port %u", addr, port);
    if (h->mhd != NULL)
      MHD_stop_daemon(h->mhd);
    free(h);
    return UV_EADDRINUSE;
  }
  uv_poll_init(loop, &h->poll, info->epoll_fd);
  uv_timer_init(loop, &h->timer);
  h->poll.data = h->timer.data = h;
  h->open_handles = 2;
  uv_poll_start(&h->poll, UV_READABLE, poll_cb);
  run(h);
  log_info("metrics on http://%s%s%s:%u/metrics", sa.ss_family == AF_INET6 ? "[" : "",
           addr, sa.ss_family == AF_INET6 ? "]" : "", port);
  *out = h;
  return 0;
}

static void closed(uv_handle_t *handle) {
  struct ftpd_metrics_http *h = handle->data;

  if (--h->open_handles > 0)
    return;
  /* Only now: the poll no longer watches MHD's descriptor. */
  MHD_stop_daemon(h->mhd);
  free(h);
}

void ftpd_metrics_http_stop(struct ftpd_metrics_http *h) {
  if (h == NULL)
    return;
  uv_close((uv_handle_t *)&h->poll, closed);
  uv_close((uv_handle_t *)&h->timer, closed);
}
