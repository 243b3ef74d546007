/*
 * server.h: the daemon's one loop: listeners, the set of sessions, limits,
 * signals.
 *
 * One libuv loop serves every session; there is no process or thread per
 * session.  Blocking filesystem work goes to libuv's thread pool.
 */
#ifndef FTPD_SERVER_H
#define FTPD_SERVER_H

#include <sys/socket.h>
#include <uv.h>

#include "ban.h"
#include "chan.h"
#include "config.h"
#include "listenfds.h"
#include "tls.h"

struct ftpd_session;
struct ftpd_job;
struct ftpd_metrics_http;

struct ftpd_listener {
  uv_tcp_t tcp;
  struct ftpd_server *srv;
  int implicit;                /* TLSPORT: TLS from the first byte */
  char name[80];               /* "127.0.0.1:21" for logs */
  struct ftpd_listener *next;
  int refs;                    /* the handle, plus each connection waiting
                                * for its PROXY header (it outlives a drain
                                * that closes the handle) */
};

struct ftpd_server {
  uv_loop_t *loop;
  struct ftpd_config *cfg;     /* for new sessions */
  const char *member;          /* re-read on SIGHUP; NULL: defaults */
  unsigned port_override;
  struct ftpd_listener *listeners;
  uv_signal_t sig_hup, sig_usr1, sig_usr2, sig_term, sig_int;
  uv_timer_t grace;
  uv_check_t quiet;            /* closes listeners once their queue is empty */
  struct ftpd_session *sessions;
  unsigned nsessions;
  unsigned nwaiting;           /* balancers' connections before their header */
  unsigned long next_id;
  int draining;                /* SIGUSR2 or SIGTERM: no new sessions */
  int stopping;                /* SIGTERM: sessions are being ended */
  struct ftpd_metrics_http *metrics;
  uv_file xferlog;             /* -1: no transfer log */
  /* TLS resumption for every session of the process, across SIGHUP: the
   * ticket master key and who was issued which session. */
  struct ftp_tls_issuer *tls_issuer;
  /* Failed logins and bans per client address: the server's, not the
   * configuration's, so that they survive SIGHUP. */
  struct ftpd_bans *bans;
  /* ftpd_job_start_serial's queue (session.c) and the job running. */
  struct ftpd_job *serial_head, *serial_tail, *serial_running;
  int per_user;                /* acting as each user (creds.h) */
  /* Control-connection reads land here and are framed at once, so idle
   * sessions hold no read buffer of their own. */
  unsigned char scratch[16 * 1024];
};

/*
 * Who is on the other end of a new control connection.  Behind a balancer
 * (PROXYPROTOCOL) that is the PROXY header's source, and everything that
 * judges or records the client (MAXSESSIONSPERIP, bans, logs, the transfer
 * log, the TLS binding principal, the data-connection address checks) uses
 * addr, never the balancer's.
 */
struct ftpd_client {
  struct sockaddr_storage addr;   /* the client */
  struct sockaddr_storage front;  /* the address it connected to: the
                                   * header's destination, else our end */
  struct sockaddr_storage local;  /* our end of this TCP connection */
  struct sockaddr_storage via;    /* the balancer, when proxied */
  int proxied;
};

/*
 * ftpd_server_init: set up (no sockets yet).  Takes a reference on cfg,
 * and reads TLSTICKETKEY.
 * RETURNS: 0; or FTP_E_TLS / FTP_E_NOMEM (the TLS issuer, the ban
 * table), or the error of a TLSTICKETKEY file that cannot be used
 * (logged): nothing is kept.
 */
int ftpd_server_init(struct ftpd_server *srv, uv_loop_t *loop,
                     struct ftpd_config *cfg, const char *member,
                     unsigned port_override);

/*
 * ftpd_server_listen: listen on the nfds sockets in fds, handed over by the
 * service manager (socket activation); when there are none, bind and listen
 * on every LISTENADDRESS at PORT, and at TLSPORT when coded.  Done before
 * privileges are dropped.
 * RETURNS: 0, or the first error (logged with the address).
 */
int ftpd_server_listen(struct ftpd_server *srv, const struct ftpd_listenfd *fds,
                       unsigned nfds);

/* ftpd_server_run: install the signal handlers and run the loop until a
 * graceful stop completes.  RETURNS: 0. */
int ftpd_server_run(struct ftpd_server *srv);

/* ftpd_server_free: what init and open_xferlog made (run calls it once
 * the loop has ended; the fuzz harness after each input). */
void ftpd_server_free(struct ftpd_server *srv);

/* ftpd_server_open_xferlog: open XFERLOG for appending (before dropping
 * privileges, so the log may be root's). */
int ftpd_server_open_xferlog(struct ftpd_server *srv);

/*
 * ftpd_server_reopen_logs: SIGUSR1, and after every SIGHUP: open XFERLOG
 * anew (the file logrotate moved away stays complete; the next line goes to
 * a file of that name), as the account ftpd runs as.  When the new file
 * cannot be opened, the error is logged and lines keep going to the old one:
 * none is lost.
 */
void ftpd_server_reopen_logs(struct ftpd_server *srv);

/*
 * ftpd_server_admit: admission of a new control connection from client c
 * (after its PROXY header, when it came through a balancer): refused with
 * 421 while draining, when banned, beyond MAXSESSIONS or MAXSESSIONSPERIP;
 * otherwise
 * its session starts.  ch is taken over in every case.
 */
void ftpd_server_admit(struct ftpd_listener *l, struct ftp_chan *ch,
                       const struct ftpd_client *c);

/*
 * ftpd_server_start_session: a session for the admitted control connection
 * ch (ftpd_server_admit's last step): made (control.h), entered in the
 * session list, which it leaves when freed, then started.  Besides the
 * admission, only the dispatcher fuzz target (test/fuzz/fuzz_session.c)
 * calls it, with a channel on a socketpair and made-up addresses in c.
 */
void ftpd_server_start_session(struct ftpd_listener *l, struct ftp_chan *ch,
                               const struct ftpd_client *c);

#endif
