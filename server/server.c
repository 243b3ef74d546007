/*
 * server.c: listeners, the session list, signals and the graceful stop.
 */
#include "server.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "log.h"
#include "session.h"

int ftpd_server_init(struct ftpd_server *srv, uv_loop_t *loop,
                     struct ftpd_config *cfg, const char *member,
                     unsigned port_override) {
  memset(srv, 0, sizeof(*srv));
  srv->loop = loop;
  srv->cfg = ftpd_config_ref(cfg);
  srv->member = member;
  srv->port_override = port_override;
  srv->xferlog = -1;
  return ftp_tls_issuer_new(&srv->tls_issuer);
}

/* --- sessions ------------------------------------------------------------- */

void ftpd_server_add_session(struct ftpd_server *srv, struct ftpd_session *s) {
  s->prev = NULL;
  s->next = srv->sessions;
  if (srv->sessions != NULL)
    srv->sessions->prev = s;
  srv->sessions = s;
  srv->nsessions++;
}

static void maybe_finish_stop(struct ftpd_server *srv);

void ftpd_server_remove_session(struct ftpd_server *srv, struct ftpd_session *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    srv->sessions = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  srv->nsessions--;
  if (srv->stopping)
    maybe_finish_stop(srv);
}

/* --- listening ------------------------------------------------------------ */

static void connection_cb(uv_stream_t *stream, int status) {
  struct ftpd_listener *l = (struct ftpd_listener *)stream;

  if (status < 0) {
    log_warn("listener %s: %s", l->name, ftp_strerror(status));
    return;
  }
  ftpd_session_accept(l);
}

static int listen_on(struct ftpd_server *srv, const char *ip, unsigned port,
                     int implicit) {
  struct ftpd_listener *l;
  struct sockaddr_storage sa;
  int r;

  if ((r = ftp_addr_from_string(ip, port, &sa)) != 0) {
    log_err("LISTENADDRESS %s: not an IP address", ip);
    return r;
  }
  if ((l = calloc(1, sizeof(*l))) == NULL)
    return FTP_E_NOMEM;
  l->srv = srv;
  l->implicit = implicit;
  snprintf(l->name, sizeof(l->name), sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
           ip, port);
  uv_tcp_init(srv->loop, &l->tcp);
  /* An IPv6 listener serves IPv6 only: "0.0.0.0" and "::" side by side. */
  r = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa,
                  sa.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
  if (r == 0)
    r = uv_listen((uv_stream_t *)&l->tcp, 511, connection_cb);
  if (r != 0) {
    log_err("cannot listen on %s: %s", l->name, ftp_strerror(r));
    uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free);
    return r;
  }
  l->next = srv->listeners;
  srv->listeners = l;
  log_info("listening on %s%s", l->name, implicit ? " (implicit TLS)" : "");
  return 0;
}

int ftpd_server_listen(struct ftpd_server *srv) {
  const struct ftp_conf *c = &srv->cfg->conf;
  size_t i;
  int r;

  for (i = 0; i < c->listenaddress.n; i++) {
    if ((r = listen_on(srv, c->listenaddress.v[i], c->port, 0)) != 0)
      return r;
    if (c->tlsport != 0 &&
        (r = listen_on(srv, c->listenaddress.v[i], c->tlsport, 1)) != 0)
      return r;
  }
  return 0;
}

int ftpd_server_open_xferlog(struct ftpd_server *srv) {
  const char *path = srv->cfg->conf.xferlog;
  uv_fs_t req;
  int r;

  if (path == NULL)
    return 0;
  r = uv_fs_open(srv->loop, &req, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                 0640, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0) {
    log_err("XFERLOG %s: %s", path, ftp_strerror(r));
    return r;
  }
  srv->xferlog = r;
  return 0;
}

/* --- signals -------------------------------------------------------------- */

static void reload(struct ftpd_server *srv) {
  struct ftpd_config *cfg;
  const struct ftp_conf *old = &srv->cfg->conf;

  log_info("SIGHUP: re-reading %s", srv->member != NULL ? srv->member : "(defaults)");
  if (ftpd_config_load(srv->member, srv->port_override, &cfg) != 0) {
    log_err("the member has errors: keeping the previous configuration");
    return;
  }
  if (cfg->conf.port != old->port || cfg->conf.tlsport != old->tlsport ||
      cfg->conf.listenaddress.n != old->listenaddress.n)
    log_warn("PORT, TLSPORT and LISTENADDRESS changes take effect at restart");
  ftpd_config_unref(srv->cfg);
  srv->cfg = cfg;
  log_info("new configuration in effect for new sessions");
}

static void close_listeners(struct ftpd_server *srv) {
  struct ftpd_listener *l, *next;

  for (l = srv->listeners; l != NULL; l = next) {
    next = l->next;
    uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free);
  }
  srv->listeners = NULL;
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Everything is done: close the remaining handles; uv_run then returns. */
static void maybe_finish_stop(struct ftpd_server *srv) {
  if (srv->nsessions > 0)
    return;
  close_handle((uv_handle_t *)&srv->grace);
  close_handle((uv_handle_t *)&srv->sig_hup);
  close_handle((uv_handle_t *)&srv->sig_term);
  close_handle((uv_handle_t *)&srv->sig_int);
}

static void grace_expired(uv_timer_t *t) {
  struct ftpd_server *srv = t->data;
  struct ftpd_session *s, *next;

  log_info("grace period over: closing %u remaining sessions", srv->nsessions);
  for (s = srv->sessions; s != NULL; s = next) {
    next = s->next;
    ftpd_session_close(s, "server stopping");
  }
}

static void stop(struct ftpd_server *srv, const char *why) {
  struct ftpd_session *s, *next;

  if (srv->stopping)
    return;
  srv->stopping = 1;
  log_info("%s: stopping (running transfers get %d s to finish)", why,
           FTPD_GRACE_MS / 1000);
  close_listeners(srv);
  for (s = srv->sessions; s != NULL; s = next) {
    next = s->next;
    ftpd_session_shutdown(s);
  }
  uv_timer_start(&srv->grace, grace_expired, FTPD_GRACE_MS, 0);
  uv_unref((uv_handle_t *)&srv->grace);
  maybe_finish_stop(srv);
}

static void signal_cb(uv_signal_t *h, int signum) {
  struct ftpd_server *srv = h->data;

  if (signum == SIGHUP)
    reload(srv);
  else
    stop(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

int ftpd_server_run(struct ftpd_server *srv) {
  uv_signal_t *sigs[] = {&srv->sig_hup, &srv->sig_term, &srv->sig_int};
  int nums[] = {SIGHUP, SIGTERM, SIGINT};
  size_t i;

  for (i = 0; i < 3; i++) {
    uv_signal_init(srv->loop, sigs[i]);
    sigs[i]->data = srv;
    uv_signal_start(sigs[i], signal_cb, nums[i]);
  }
  uv_timer_init(srv->loop, &srv->grace);
  srv->grace.data = srv;
  uv_run(srv->loop, UV_RUN_DEFAULT);
  if (srv->xferlog >= 0) {
    uv_fs_t req;
    uv_fs_close(srv->loop, &req, srv->xferlog, NULL);
    uv_fs_req_cleanup(&req);
  }
  ftpd_config_unref(srv->cfg);
  srv->cfg = NULL;
  ftp_tls_issuer_free(srv->tls_issuer);
  srv->tls_issuer = NULL;
  log_info("stopped");
  return 0;
}
