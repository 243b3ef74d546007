/*
 * server.c: listeners, the session list, signals and the graceful stop.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "err.h"
#include "log.h"
#include "notify.h"
#include "seclog.h"
#include "session.h"

int ftpd_server_init(struct ftpd_server *srv, uv_loop_t *loop,
                     struct ftpd_config *cfg, const char *member,
                     unsigned port_override) {
  int r;

  memset(srv, 0, sizeof(*srv));
  srv->loop = loop;
  srv->cfg = ftpd_config_ref(cfg);
  srv->member = member;
  srv->port_override = port_override;
  srv->xferlog = -1;
  if ((r = ftp_tls_issuer_new(&srv->tls_issuer)) != 0)
    return r;
  return ftpd_bans_new(FTPD_BANS_MAX, &srv->bans);
}

/* --- bans ----------------------------------------------------------------- */

int ftpd_server_banned(struct ftpd_server *srv, const struct sockaddr_storage *peer) {
  return ftpd_bans_check(srv->bans, &srv->cfg->ban, peer, uv_now(srv->loop), NULL);
}

int ftpd_server_login_failed(struct ftpd_server *srv, const struct sockaddr_storage *peer,
                             unsigned long id, const char *who) {
  const struct ftp_conf *c = &srv->cfg->conf;
  enum ftpd_ban_verdict v;
  char what[64], why[160];
  struct ftpd_sec_line l = {FTPD_SEC_BANNED, id, who, NULL, FTPD_SEC_M_NONE, NULL, why};

  v = ftpd_bans_fail(srv->bans, &srv->cfg->ban, peer, uv_now(srv->loop));
  if (v != FTPD_BAN_NEW)
    return v == FTPD_BAN_ACTIVE;
  ftpd_ban_describe(peer, what, sizeof(what));
  snprintf(why, sizeof(why), "%u failed logins within %u s: %s refused for %u s",
           c->banfailures, c->banwindow, what, c->bantime);
  ftpd_seclog_write(&l);
  return 1;
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

static struct ftpd_listener *listener_new(struct ftpd_server *srv, int implicit) {
  struct ftpd_listener *l = calloc(1, sizeof(*l));

  if (l == NULL)
    return NULL;
  l->srv = srv;
  l->implicit = implicit;
  uv_tcp_init(srv->loop, &l->tcp);
  return l;
}

/* Listen on l (bound or adopted), or close it and return the error. */
static int listener_start(struct ftpd_server *srv, struct ftpd_listener *l, int r) {
  if (r == 0)
    r = uv_listen((uv_stream_t *)&l->tcp, 511, connection_cb);
  if (r != 0) {
    log_err("cannot listen on %s: %s", l->name, ftp_strerror(r));
    uv_close((uv_handle_t *)&l->tcp, (uv_close_cb)free);
    return r;
  }
  l->next = srv->listeners;
  srv->listeners = l;
  log_info("listening on %s%s", l->name, l->implicit ? " (implicit TLS)" : "");
  return 0;
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
  if ((l = listener_new(srv, implicit)) == NULL)
    return FTP_E_NOMEM;
  snprintf(l->name, sizeof(l->name), sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
           ip, port);
  /* An IPv6 listener serves IPv6 only: "0.0.0.0" and "::" side by side. */
  r = uv_tcp_bind(&l->tcp, (struct sockaddr *)&sa,
                  sa.ss_family == AF_INET6 ? UV_TCP_IPV6ONLY : 0);
  return listener_start(srv, l, r);
}

/* A socket the service manager bound and handed over (socket activation). */
static int adopt(struct ftpd_server *srv, const struct ftpd_listenfd *fd) {
  struct ftpd_listener *l;
  struct sockaddr_storage sa = {0};
  socklen_t len = sizeof(sa);
  char ip[64] = "?";

  if (fd->implicit && !ftp_tls_ctx_has_cert(srv->cfg->tls)) {
    log_err("an \"ftps\" socket (implicit TLS) was handed over, but the "
            "member codes no KEYRING to serve TLS with");
    return UV_EINVAL;
  }
  if ((l = listener_new(srv, fd->implicit)) == NULL)
    return FTP_E_NOMEM;
  if (getsockname(fd->fd, (struct sockaddr *)&sa, &len) == 0)
    ftp_addr_to_string(&sa, ip, sizeof(ip));
  snprintf(l->name, sizeof(l->name), sa.ss_family == AF_INET6 ? "[%s]:%u" : "%s:%u",
           ip, ftp_addr_port(&sa));
  return listener_start(srv, l, uv_tcp_open(&l->tcp, fd->fd));
}

int ftpd_server_listen(struct ftpd_server *srv, const struct ftpd_listenfd *fds,
                       unsigned nfds) {
  const struct ftp_conf *c = &srv->cfg->conf;
  size_t i;
  int r;

  if (nfds > 0) {
    log_info("%u listening sockets from the service manager: PORT, TLSPORT "
             "and LISTENADDRESS are not used", nfds);
    for (i = 0; i < nfds; i++)
      if ((r = adopt(srv, &fds[i])) != 0)
        return r;
    return 0;
  }
  for (i = 0; i < c->listenaddress.n; i++) {
    if ((r = listen_on(srv, c->listenaddress.v[i], c->port, 0)) != 0)
      return r;
    if (c->tlsport != 0 &&
        (r = listen_on(srv, c->listenaddress.v[i], c->tlsport, 1)) != 0)
      return r;
  }
  return 0;
}

/* Open XFERLOG for appending; a new file gets mode 0640. */
static int open_xferlog(struct ftpd_server *srv, const char *path) {
  uv_fs_t req;
  int r;

  r = uv_fs_open(srv->loop, &req, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
                 0640, NULL);
  uv_fs_req_cleanup(&req);
  if (r < 0)
    log_err("XFERLOG %s: %s", path, ftp_strerror(r));
  return r;
}

int ftpd_server_open_xferlog(struct ftpd_server *srv) {
  const char *path = srv->cfg->conf.xferlog;
  int r;

  if (path == NULL)
    return 0;
  if ((r = open_xferlog(srv, path)) < 0)
    return r;
  srv->xferlog = r;
  return 0;
}

void ftpd_server_reopen_logs(struct ftpd_server *srv) {
  const char *path = srv->cfg->conf.xferlog;
  int fd;

  if (path == NULL) {
    if (srv->xferlog >= 0)
      log_warn("XFERLOG is no longer coded: the transfer log stops at restart");
    return;
  }
  if ((fd = open_xferlog(srv, path)) < 0) {
    log_err("transfer log: still writing to the file open before");
    return;
  }
  if (srv->xferlog < 0) {
    srv->xferlog = fd;
  } else {
    /* Transfer-log writes may be queued on the thread pool with the old
     * descriptor's number: dup3 points that very number at the new file
     * in one step, so a queued write lands in the old file or the new one,
     * never in a descriptor the number was reused for (a socket). */
    if (dup3(fd, srv->xferlog, O_CLOEXEC) < 0)
      log_err("transfer log: dup3: %s", strerror(errno));
    close(fd);
  }
  log_info("transfer log reopened: %s", path);
}

/* --- signals -------------------------------------------------------------- */

static void reload(struct ftpd_server *srv) {
  struct ftpd_config *cfg;
  const struct ftp_conf *old = &srv->cfg->conf;

  log_info("SIGHUP: re-reading %s", srv->member != NULL ? srv->member : "(defaults)");
  if (ftpd_config_load(srv->member, srv->port_override, &cfg) != 0) {
    log_err("the member has errors: keeping the previous configuration");
    ftpd_server_reopen_logs(srv);
    return;
  }
  if (ftpd_config_per_user(cfg) && !srv->per_user) {
    /* ftpd switched to RUNAS for good at start-up and cannot act as each
     * user: the new member would let users in as RUNAS. */
    log_err("PAMSERVICE, or a USERFILE user with user= or uid=, needs a restart "
            "(ftpd runs as RUNAS for good): keeping the previous configuration");
    ftpd_config_unref(cfg);
    ftpd_server_reopen_logs(srv);
    return;
  }
  if (cfg->conf.port != old->port || cfg->conf.tlsport != old->tlsport ||
      cfg->conf.listenaddress.n != old->listenaddress.n)
    log_warn("PORT, TLSPORT and LISTENADDRESS changes take effect at restart");
  if (strcmp(cfg->conf.runas, old->runas) != 0)
    log_warn("RUNAS changes take effect at restart");
  ftpd_config_unref(srv->cfg);
  srv->cfg = cfg;
  log_info("new configuration in effect for new sessions");
  ftpd_server_reopen_logs(srv);
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
  close_handle((uv_handle_t *)&srv->sig_usr1);
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
  ftpd_notify(FTPD_NOTIFY_STOPPING, "stopping: running transfers may finish");
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

/* SIGHUP: a reload, announced to the service manager around it; SIGUSR1:
 * reopen the transfer log (logrotate); SIGTERM, SIGINT: stop gracefully. */
static void signal_cb(uv_signal_t *h, int signum) {
  struct ftpd_server *srv = h->data;

  if (signum == SIGHUP) {
    ftpd_notify(FTPD_NOTIFY_RELOADING, "reloading the member");
    reload(srv);
    ftpd_notify(FTPD_NOTIFY_READY, "serving");
  } else if (signum == SIGUSR1) {
    log_info("SIGUSR1: reopening the transfer log");
    ftpd_server_reopen_logs(srv);
  } else
    stop(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

int ftpd_server_run(struct ftpd_server *srv) {
  uv_signal_t *sigs[] = {&srv->sig_hup, &srv->sig_usr1, &srv->sig_term, &srv->sig_int};
  int nums[] = {SIGHUP, SIGUSR1, SIGTERM, SIGINT};
  size_t i;

  for (i = 0; i < 4; i++) {
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
  ftpd_bans_free(srv->bans);
  srv->bans = NULL;
  log_info("stopped");
  return 0;
}
