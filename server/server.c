/*
 * server.c: listeners, admission (after a balancer's PROXY header), the
 * session list, signals, the drain and the graceful stop.
 */
#include "server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "control.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"
#include "metrics.h"
#include "metrics_http.h"
#include "notify.h"
#include "proxywait.h"
#include "reply.h"
#include "replycodes.h"
#include "seclog.h"
#include "session.h"
#include "ticketkey.h"

/* TLSTICKETKEY: the master key every instance shares, read once at start
 * (root may own it): a new key takes effect at the next start, so that a
 * rolling restart moves the fleet over one instance at a time. */
static int use_ticket_key(struct ftpd_server *srv) {
  const struct ftp_conf *c = &srv->cfg->conf;
  unsigned char key[FTP_TICKETKEY_LEN];
  char err[256];
  int r;

  if (c->tlsticketkey == NULL)
    return 0;
  if ((r = ftp_ticketkey_read(c->tlsticketkey, key, err, sizeof(err))) == 0)
    r = ftp_tls_issuer_set_key(srv->tls_issuer, key, sizeof(key));
  explicit_bzero(key, sizeof(key));
  if (r != 0) {
    log_err("%s:%u: TLSTICKETKEY %s: %s", c->member != NULL ? c->member : "(defaults)",
            ftp_conf_line(c, "TLSTICKETKEY"), c->tlsticketkey, err);
    return r;
  }
  log_info("TLS session tickets: master key from %s", c->tlsticketkey);
  return 0;
}

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
  ftpd_metrics_init();
  if ((r = ftp_tls_issuer_new(&srv->tls_issuer)) == 0 && (r = use_ticket_key(srv)) == 0 &&
      (r = ftpd_bans_new(FTPD_BANS_MAX, &srv->bans)) == 0)
    return 0;
  ftp_tls_issuer_free(srv->tls_issuer);
  srv->tls_issuer = NULL;
  ftpd_config_unref(srv->cfg);
  srv->cfg = NULL;
  return r;
}

/* --- bans ----------------------------------------------------------------- */

static int banned(struct ftpd_server *srv, const struct sockaddr_storage *peer) {
  return ftpd_bans_check(srv->bans, &srv->cfg->ban, peer, uv_now(srv->loop), NULL);
}

/* --- sessions ------------------------------------------------------------- */

static void add_session(struct ftpd_server *srv, struct ftpd_session *s) {
  s->prev = NULL;
  s->next = srv->sessions;
  if (srv->sessions != NULL)
    srv->sessions->prev = s;
  srv->sessions = s;
  srv->nsessions++;
  ftpd_metrics_count(FTPD_M_SESSIONS);
  ftpd_metrics_set(FTPD_G_SESSIONS_ACTIVE, srv->nsessions);
}

static void maybe_finish_stop(struct ftpd_server *srv);

static void remove_session(struct ftpd_server *srv, struct ftpd_session *s) {
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    srv->sessions = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  srv->nsessions--;
  ftpd_metrics_set(FTPD_G_SESSIONS_ACTIVE, srv->nsessions);
  if (srv->draining)
    maybe_finish_stop(srv);
}

/* session.c's on_free hook: the session leaves the list as it is freed. */
static void session_freed(struct ftpd_session *s) { remove_session(s->srv, s); }

void ftpd_server_start_session(struct ftpd_listener *l, struct ftp_chan *ch,
                               const struct ftpd_client *c) {
  struct ftpd_session *s = ftpd_session_new(l, ch, c, session_freed);

  if (s == NULL)
    return;
  add_session(l->srv, s);
  ftpd_session_begin(s, l, c);
}

/* --- admission ------------------------------------------------------------ */

static unsigned sessions_from(struct ftpd_server *srv,
                              const struct sockaddr_storage *addr) {
  const struct ftpd_session *s;
  unsigned n = 0;

  for (s = srv->sessions; s != NULL; s = s->next)
    if (!s->closing && ftp_addr_same_host(&s->peer, addr))
      n++;
  return n;
}

/* Refuse a connection with 421, in clear: an implicit-TLS client would not
 * understand it, so it is just closed there. */
static void refuse_cb(struct ftp_chan *ch) { (void)ch; }
static void refuse_written(struct ftp_chan *ch, int status) {
  (void)status;
  ftp_chan_close(ch, refuse_cb);
}

static void refuse(struct ftp_chan *ch, int implicit, const char *text) {
  struct ftp_buf out;

  ftp_buf_init(&out, 512);
  if (!implicit && ftp_reply_format(&out, FTP_R_UNAVAILABLE, text) == 0 &&
      ftp_chan_write(ch, ftp_buf_ptr(&out), ftp_buf_len(&out)) == 0 &&
      ftp_chan_shutdown(ch, refuse_written) == 0) {
    ftp_buf_free(&out);
    return;
  }
  ftp_buf_free(&out);
  ftp_chan_close(ch, refuse_cb);
}

/* A limit refuses the connection: logged, a security event, counted. */
static void refuse_limit(struct ftpd_listener *l, struct ftp_chan *ch, const char *who,
                         enum ftpd_metric m, const char *why, const char *text) {
  struct ftpd_sec_line e = {FTPD_SEC_CONNECTION_REFUSED, 0, who, NULL, FTPD_SEC_M_NONE,
                            NULL, why};

  log_notice("connection from %s refused: %s", who, why);
  ftpd_seclog_write(&e);
  ftpd_metrics_count(m);
  refuse(ch, l->implicit, text);
}

void ftpd_server_admit(struct ftpd_listener *l, struct ftp_chan *ch,
                       const struct ftpd_client *c) {
  struct ftpd_server *srv = l->srv;
  const struct ftp_conf *conf = &srv->cfg->conf;
  char who[FTP_ADDR_STRLEN] = "?", why[64];

  ftp_addr_to_string(&c->addr, who, sizeof(who));
  if (srv->draining) {
    log_info("connection from %s refused: service shutting down", who);
    ftpd_metrics_count(FTPD_M_REFUSED_DRAINING);
    refuse(ch, l->implicit, "Service shutting down");
    return;
  }
  /* Security: a banned address costs no TLS handshake; on the implicit
   * port it gets no byte at all.  Each refusal is not a security event of
   * its own (the ban was one), or a guesser would fill the log. */
  if (banned(srv, &c->addr)) {
    log_debug("connection from %s refused: banned", who);
    ftpd_metrics_count(FTPD_M_REFUSED_BANNED);
    refuse(ch, l->implicit, "Too many failed logins from your address: try again later");
    return;
  }
  if (srv->nsessions >= conf->maxsessions) {
    snprintf(why, sizeof(why), "MAXSESSIONS %u reached", conf->maxsessions);
    refuse_limit(l, ch, who, FTPD_M_REFUSED_MAXSESSIONS, why,
                 "Too many users, try again later");
    return;
  }
  /* Security: the client's address, also behind a balancer. */
  if (sessions_from(srv, &c->addr) >= conf->maxsessionsperip) {
    snprintf(why, sizeof(why), "MAXSESSIONSPERIP %u reached", conf->maxsessionsperip);
    refuse_limit(l, ch, who, FTPD_M_REFUSED_MAXSESSIONSPERIP, why,
                 "Too many connections from your address");
    return;
  }
  ftpd_server_start_session(l, ch, c);
}

/* --- listening ------------------------------------------------------------ */

/* Accept one connection into a new control channel. */
static int accept_chan(struct ftpd_listener *l, struct ftp_chan **out,
                       struct sockaddr_storage *peer) {
  struct ftp_chan_opts co = {0};
  struct ftp_chan *ch;
  int r;

  co.in_max = FTP_CTRL_IN_MAX;
  co.out_max = FTP_CTRL_OUT_MAX_SERVER;
  co.release_idle = 1;
  if ((r = ftp_chan_new(l->srv->loop, &co, &ch)) != 0)
    return r;
  if ((r = ftp_chan_accept(ch, (uv_stream_t *)&l->tcp)) != 0 ||
      (r = ftp_chan_peer(ch, peer)) != 0) {
    /* A peer gone before we looked (a balancer's connect-only health
     * check) is no news. */
    if (r == UV_ENOTCONN || r == UV_ECONNRESET)
      log_debug_r(r, "accept on %s", l->name);
    else
      log_warn_r(r, "accept on %s", l->name);
    ftp_chan_close(ch, refuse_cb);
    return r;
  }
  *out = ch;
  return 0;
}

static void listener_unref(struct ftpd_listener *l);

/* A balancer's connection sent its header (c), or was closed (NULL). */
static void header_done(struct ftpd_listener *l, struct ftp_chan *ch,
                        const struct ftpd_client *c) {
  struct ftpd_server *srv = l->srv;

  srv->nwaiting--;
  if (ch != NULL)
    ftpd_server_admit(l, ch, c);
  listener_unref(l);
  if (srv->draining)
    maybe_finish_stop(srv);
}

static void connection_cb(uv_stream_t *stream, int status) {
  struct ftpd_listener *l = (struct ftpd_listener *)stream;
  struct ftpd_server *srv = l->srv;
  struct ftpd_client c;
  struct ftp_chan *ch;

  if (status < 0) {
    log_warn_r(status, "listener %s", l->name);
    return;
  }
  memset(&c, 0, sizeof(c));
  if (accept_chan(l, &ch, &c.addr) != 0)
    return;
  /* Security: a listed balancer's connection starts with a PROXY header,
   * and nothing happens before it; anyone else's never has one. */
  if (ftpd_config_is_balancer(srv->cfg, &c.addr)) {
    if (srv->nwaiting >= srv->cfg->conf.maxsessions) {
      log_warn("connection from balancer on %s closed: MAXSESSIONS connections "
               "already wait for their PROXY header", l->name);
      ftp_chan_close(ch, refuse_cb);
      return;
    }
    if (ftpd_proxywait_start(l, ch, &c.addr, header_done) == 0) {
      srv->nwaiting++;
      l->refs++;
    }
    return;
  }
  ftp_chan_local(ch, &c.local);
  c.front = c.local;
  ftpd_server_admit(l, ch, &c);
}

static void listener_unref(struct ftpd_listener *l) {
  if (--l->refs == 0)
    free(l);
}

static void listener_closed(uv_handle_t *h) {
  listener_unref((struct ftpd_listener *)h);
}

static struct ftpd_listener *listener_new(struct ftpd_server *srv, int implicit) {
  struct ftpd_listener *l = calloc(1, sizeof(*l));

  if (l == NULL)
    return NULL;
  l->srv = srv;
  l->implicit = implicit;
  l->refs = 1;
  uv_tcp_init(srv->loop, &l->tcp);
  return l;
}

/* Listen on l (bound or adopted), or close it and return the error. */
static int listener_start(struct ftpd_server *srv, struct ftpd_listener *l, int r) {
  if (r == 0)
    r = uv_listen((uv_stream_t *)&l->tcp, 511, connection_cb);
  if (r != 0) {
    log_err_r(r, "cannot listen on %s", l->name);
    uv_close((uv_handle_t *)&l->tcp, listener_closed);
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

static int listen_all(struct ftpd_server *srv, const struct ftpd_listenfd *fds,
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

int ftpd_server_listen(struct ftpd_server *srv, const struct ftpd_listenfd *fds,
                       unsigned nfds) {
  const struct ftp_conf *c = &srv->cfg->conf;
  int r;

  if ((r = listen_all(srv, fds, nfds)) != 0)
    return r;
  if (c->metricsport != 0)
    return ftpd_metrics_http_start(srv->loop, c->metricsaddress, c->metricsport,
                                   &srv->metrics);
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
    log_err_r(r, "XFERLOG %s", path);
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
      log_err_r(uv_translate_sys_error(errno), "transfer log: dup3");
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
  if (cfg->conf.metricsport != old->metricsport ||
      strcmp(cfg->conf.metricsaddress, old->metricsaddress) != 0)
    log_warn("METRICSPORT and METRICSADDRESS changes take effect at restart");
  if ((cfg->conf.tlsticketkey == NULL) != (old->tlsticketkey == NULL) ||
      (cfg->conf.tlsticketkey != NULL &&
       strcmp(cfg->conf.tlsticketkey, old->tlsticketkey) != 0))
    log_warn("TLSTICKETKEY changes take effect at restart: the ticket key in use "
             "is kept");
  ftpd_config_unref(srv->cfg);
  srv->cfg = cfg;
  log_info("new configuration in effect for new sessions");
  ftpd_server_reopen_logs(srv);
}

/* A listener's accept queue holds a connection libuv has not taken yet. */
static int has_queued(struct ftpd_listener *l) {
  struct pollfd p = {.events = POLLIN};
  uv_os_fd_t fd;

  if (uv_fileno((uv_handle_t *)&l->tcp, &fd) != 0)
    return 0;
  p.fd = fd;
  return poll(&p, 1, 0) > 0;
}

/*
 * After each loop iteration while draining: close every listener whose
 * accept queue is empty.  Security of service: connections that were
 * already queued when the drain began are accepted and answered 421 (they
 * reached us); after that, a closed port makes a balancer's next connection
 * fail at once, which HAProxy retries on another server (option redispatch)
 * and its health check sees, where an open port answering 421 would still
 * look healthy.  Under socket activation the socket is systemd's: new
 * connections wait in its queue for the next ftpd.
 */
static void quiet_cb(uv_check_t *h) {
  struct ftpd_server *srv = h->data;
  struct ftpd_listener **pl = &srv->listeners, *l;

  while ((l = *pl) != NULL) {
    if (has_queued(l)) {
      pl = &l->next;
      continue;
    }
    log_info("listener %s closed", l->name);
    *pl = l->next;
    uv_close((uv_handle_t *)&l->tcp, listener_closed);
  }
  if (srv->listeners == NULL)
    uv_check_stop(h);
}

static void close_handle(uv_handle_t *h) {
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

/* Everything is done: close the remaining handles; uv_run then returns. */
static void maybe_finish_stop(struct ftpd_server *srv) {
  if (srv->nsessions > 0 || srv->nwaiting > 0 || srv->listeners != NULL)
    return;
  log_info("no session left: exiting");
  ftpd_metrics_http_stop(srv->metrics);
  srv->metrics = NULL;
  close_handle((uv_handle_t *)&srv->quiet);
  close_handle((uv_handle_t *)&srv->grace);
  close_handle((uv_handle_t *)&srv->sig_hup);
  close_handle((uv_handle_t *)&srv->sig_usr1);
  close_handle((uv_handle_t *)&srv->sig_usr2);
  close_handle((uv_handle_t *)&srv->sig_term);
  close_handle((uv_handle_t *)&srv->sig_int);
}

static void quiet_then_finish(uv_check_t *h) {
  quiet_cb(h);
  maybe_finish_stop(h->data);
}

/* SIGUSR2 (and the start of SIGTERM): no new sessions from now on; status
 * is what the service manager shows. */
static void drain(struct ftpd_server *srv, const char *why, const char *status) {
  if (srv->draining)
    return;
  srv->draining = 1;
  ftpd_metrics_set(FTPD_G_DRAINING, 1);
  ftpd_notify(FTPD_NOTIFY_STOPPING, status);
  log_info("%s: draining: listeners close, %u sessions go on", why, srv->nsessions);
  uv_check_start(&srv->quiet, quiet_then_finish);
}

static void grace_expired(uv_timer_t *t) {
  struct ftpd_server *srv = t->data;
  struct ftpd_session *s, *next;

  log_info("DRAINTIMEOUT over: closing %u remaining sessions", srv->nsessions);
  for (s = srv->sessions; s != NULL; s = next) {
    next = s->next;
    ftpd_session_close(s, "server stopping");
  }
}

/* SIGTERM, SIGINT: drain, end idle sessions with 421, let running transfers
 * finish within DRAINTIMEOUT. */
static void stop(struct ftpd_server *srv, const char *why) {
  struct ftpd_session *s, *next;
  unsigned bound = srv->cfg->conf.draintimeout;

  if (srv->stopping)
    return;
  if (srv->draining)
    ftpd_notify(FTPD_NOTIFY_STOPPING, "stopping: running transfers may finish");
  drain(srv, why, "stopping: running transfers may finish");
  srv->stopping = 1;
  log_info("%s: stopping (running transfers get %u s to finish)", why, bound);
  for (s = srv->sessions; s != NULL; s = next) {
    next = s->next;
    ftpd_session_shutdown(s);
  }
  uv_timer_start(&srv->grace, grace_expired, (uint64_t)bound * 1000, 0);
  uv_unref((uv_handle_t *)&srv->grace);
}

/* SIGHUP: a reload, announced to the service manager around it; SIGUSR1:
 * reopen the transfer log (logrotate); SIGUSR2: drain (no new sessions,
 * exit when the last one ends); SIGTERM, SIGINT: stop gracefully. */
static void signal_cb(uv_signal_t *h, int signum) {
  struct ftpd_server *srv = h->data;

  if (signum == SIGHUP) {
    ftpd_notify(FTPD_NOTIFY_RELOADING, "reloading the member");
    reload(srv);
    ftpd_notify(srv->draining ? FTPD_NOTIFY_STOPPING : FTPD_NOTIFY_READY,
                srv->draining ? "draining" : "serving");
  } else if (signum == SIGUSR1) {
    log_info("SIGUSR1: reopening the transfer log");
    ftpd_server_reopen_logs(srv);
  } else if (signum == SIGUSR2) {
    drain(srv, "SIGUSR2", "draining: running sessions may finish");
  } else
    stop(srv, signum == SIGTERM ? "SIGTERM" : "SIGINT");
}

int ftpd_server_run(struct ftpd_server *srv) {
  uv_signal_t *sigs[] = {&srv->sig_hup, &srv->sig_usr1, &srv->sig_usr2, &srv->sig_term,
                         &srv->sig_int};
  int nums[] = {SIGHUP, SIGUSR1, SIGUSR2, SIGTERM, SIGINT};
  size_t i;

  for (i = 0; i < 5; i++) {
    uv_signal_init(srv->loop, sigs[i]);
    sigs[i]->data = srv;
    uv_signal_start(sigs[i], signal_cb, nums[i]);
  }
  uv_timer_init(srv->loop, &srv->grace);
  srv->grace.data = srv;
  uv_check_init(srv->loop, &srv->quiet);
  srv->quiet.data = srv;
  uv_run(srv->loop, UV_RUN_DEFAULT);
  ftpd_server_free(srv);
  log_info("stopped");
  return 0;
}

void ftpd_server_free(struct ftpd_server *srv) {
  if (srv->xferlog >= 0) {
    uv_fs_t req;
    uv_fs_close(srv->loop, &req, srv->xferlog, NULL);
    uv_fs_req_cleanup(&req);
    srv->xferlog = -1;
  }
  ftpd_config_unref(srv->cfg);
  srv->cfg = NULL;
  ftp_tls_issuer_free(srv->tls_issuer);
  srv->tls_issuer = NULL;
  ftpd_bans_free(srv->bans);
  srv->bans = NULL;
}
