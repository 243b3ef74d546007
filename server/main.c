/*
 * main.c: ftpd's command line.
 *
 *   ftpd [-f MEMBER] [-p PORT] [-t] [-d] [-v]
 *
 * Exit status: 0 success (or -t with a valid member), 1 a run-time failure
 * (cannot listen, cannot switch user), 2 a bad member or bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "conf.h"
#include "config.h"
#include "creds.h"
#include "err.h"
#include "fs.h"
#include "ftp_limits.h"
#include "ftp_paths.h"
#include "listenfds.h"
#include "log.h"
#include "notify.h"
#include "priv.h"
#include "server.h"

#define EXIT_RUNTIME 1
#define EXIT_CONFIG 2

static void usage(FILE *f) {
  fprintf(f,
          "usage: ftpd [-f MEMBER] [-p PORT] [-t] [-d] [-v]\n"
          "  -f MEMBER  the FTPDATA member (default: the first of " FTP_SERVER_MEMBER "\n"
          "             and " FTP_SYSTEM_MEMBER " that exists)\n"
          "  -p PORT    listen on PORT instead of the member's PORT\n"
          "  -t         check the member, print the effective configuration, exit\n"
          "  -d         detach: run in the background, log to syslog, write PIDFILE\n"
          "  -v         verbose: log every command and reply (debug level)\n"
          "See ftpd(8) and ftp.data(5).\n");
}

/* -t: the member's problems are on stderr already; print what is in effect. */
static int check_config(const char *member) {
  struct ftp_conf c;
  struct ftp_buf out;
  int r;

  ftp_conf_init(&c, FTP_CONF_SERVER);
  if (member != NULL && ftp_conf_load(&c, member, ftp_conf_diag_stderr, NULL) != 0) {
    ftp_conf_free(&c);
    fprintf(stderr, "ftpd: %s: configuration refused\n", member);
    return EXIT_CONFIG;
  }
  ftp_buf_init(&out, 1024 * 1024);
  if ((r = ftp_conf_print(&c, &out)) == 0) {
    printf("; effective configuration of ftpd, from %s\n", member != NULL ? member : "defaults");
    fwrite(ftp_buf_ptr(&out), 1, ftp_buf_len(&out), stdout);
  }
  ftp_buf_free(&out);
  ftp_conf_free(&c);
  return r == 0 ? 0 : EXIT_RUNTIME;
}

/* The identity ftpd serves as: RUNAS for good, or, when the member has
 * it act as each user, uid 0 with only what that needs (creds.h). */
static int become_server(struct ftpd_server *srv) {
  struct ftpd_creds *runas = NULL;
  int r;

  if (!ftpd_config_per_user(srv->cfg))
    return ftpd_drop_privileges(srv->cfg->conf.runas);
  if ((r = ftpd_creds_of_account(srv->cfg->conf.runas, &runas, NULL, 0)) != 0) {
    if (r == UV_ENOENT)
      log_err("RUNAS %s: no such account", srv->cfg->conf.runas);
    else
      log_err_r(r, "RUNAS %s", srv->cfg->conf.runas);
    return r;
  }
  if (runas->uid == 0) {
    log_err("RUNAS %s: refusing to serve as root", srv->cfg->conf.runas);
    r = UV_EPERM;
  } else if ((r = ftpd_creds_process_setup(runas->uid, runas->gid)) == 0) {
    srv->per_user = 1;
  }
  ftpd_creds_unref(runas);
  return r;
}

/* The command line. */
struct options {
  const char *member;   /* -f, or NULL */
  unsigned port;        /* -p, or 0 */
  int test, detach, verbose;
};

/* RETURNS: -1 to go on, or the exit status (-h, bad usage). */
static int parse_options(int argc, char **argv, struct options *o) {
  int opt;

  /* Data blocks go back to the system when a transfer ends: glibc's
   * dynamic mmap threshold would keep a burst's blocks in the heap. */
  mallopt(M_MMAP_THRESHOLD, FTP_DATA_BLOCK_MIN);

  while ((opt = getopt(argc, argv, "f:p:tdvh")) != -1) {
    switch (opt) {
    case 'f':
      o->member = optarg;
      break;
    case 'p': {
      char *end;
      unsigned long v = strtoul(optarg, &end, 10);
      if (*end != 0 || v == 0 || v > 65535) {
        fprintf(stderr, "ftpd: -p %s: not a port number (1-65535)\n", optarg);
        return EXIT_CONFIG;
      }
      o->port = (unsigned)v;
      break;
    }
    case 't':
      o->test = 1;
      break;
    case 'd':
      o->detach = 1;
      break;
    case 'v':
      o->verbose = 1;
      break;
    case 'h':
      usage(stdout);
      return 0;
    default:
      usage(stderr);
      return EXIT_CONFIG;
    }
  }
  if (optind != argc) {
    usage(stderr);
    return EXIT_CONFIG;
  }
  return -1;
}

/* The process set-up before the configuration: logs, signals, the thread
 * pool.  RETURNS: 0, or the exit status. */
/*
 * Each logged-in session holds two descriptors (its control connection and
 * its root directory), a transfer one or two more: the soft limit of 1024
 * that systemd and shells give would refuse sessions from about 500 on.
 * Raise it to the hard limit, as servers that multiplex connections do.
 */
static void raise_descriptor_limit(void) {
  struct rlimit rl;

  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
    return;
  rl.rlim_cur = rl.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &rl) != 0)
    log_warn_r(uv_translate_sys_error(errno), "cannot raise RLIMIT_NOFILE to %llu",
               (unsigned long long)rl.rlim_max);
}

static int prepare_process(int detach) {
  /* Under systemd, stderr goes to the journal: log through syslog instead,
   * so that each line keeps its priority and facility (security events
   * are authpriv) and carries no second timestamp. */
  if (!detach && ftpd_notify_stderr_is_journal())
    ftp_log_use_syslog();
  ftpd_notify_init();

  raise_descriptor_limit();
  /* Writes to a peer that is gone fail with EPIPE, never kill us. */
  signal(SIGPIPE, SIG_IGN);
  /* Blocking file work and password hashing share libuv's thread pool;
   * its default of 4 threads is small for a server.  Read once, at its
   * first use. */
  setenv("UV_THREADPOOL_SIZE", "32", 0);
  if (!ftp_fs_supported()) {
    log_err("this kernel lacks openat2(RESOLVE_IN_ROOT) (Linux 5.6 or later): "
            "users cannot be confined, refusing to start");
    return EXIT_RUNTIME;
  }
  return 0;
}

/* Load member_path, listen, become the serving identity, serve until
 * stopped.  RETURNS: the exit status. */
static int serve(const char *member_path, const struct options *o) {
  /* Static: the server lives as long as the process, and what it holds
   * when an early return ends the process stays reachable (LeakSanitizer
   * reports no leak), as it did when this was main's. */
  static struct ftpd_server srv;
  struct ftpd_config *cfg = NULL;
  struct ftpd_listenfd fds[FTPD_LISTENFDS_MAX];
  unsigned nfds = 0;
  uv_loop_t *loop;
  int r;

  if (ftpd_listenfds_get(fds, &nfds) != 0)
    return EXIT_CONFIG;
  if (ftpd_config_load(member_path, o->port, &cfg) != 0) {
    fprintf(stderr, "ftpd: %s: configuration refused\n",
            member_path != NULL ? member_path : "defaults");
    return EXIT_CONFIG;
  }
  loop = uv_default_loop();
  r = ftpd_server_init(&srv, loop, cfg, member_path, o->port);
  ftpd_config_unref(cfg);
  if (r == FTP_E_TLS || r == FTP_E_NOMEM) {
    log_err_r(r, "server set-up");
    return EXIT_RUNTIME;
  }
  if (r != 0)
    return EXIT_CONFIG; /* TLSTICKETKEY, logged with its member line */
  if (ftpd_server_listen(&srv, fds, nfds) != 0 || ftpd_server_open_xferlog(&srv) != 0)
    return EXIT_RUNTIME;
  if (o->detach && ftpd_detach(loop, srv.cfg->conf.pidfile) != 0)
    return EXIT_RUNTIME;
  if (become_server(&srv) != 0)
    return EXIT_RUNTIME;
  ftpd_config_check_rereadable(srv.cfg);
  log_info("ftpd started%s", member_path != NULL ? "" : " on defaults (no member found)");
  ftpd_notify(FTPD_NOTIFY_READY, "serving");
  ftpd_server_run(&srv);
  uv_loop_close(loop);
  return 0;
}

int main(int argc, char **argv) {
  struct options o = {0};
  char member[4096];
  const char *member_path = NULL;
  int r;

  if ((r = parse_options(argc, argv, &o)) >= 0)
    return r;
  ftp_log_init("ftpd", o.verbose ? FTP_LOG_DEBUG : FTP_LOG_INFO);
  r = ftp_conf_find_member(FTP_CONF_SERVER, o.member, member, sizeof(member));
  if (r == 0)
    member_path = member;
  else if (r != UV_ENOENT) {
    fprintf(stderr, "ftpd: %s: %s\n", o.member, ftp_strerror(r));
    return EXIT_CONFIG;
  }
  if (o.test)
    return check_config(member_path);
  if ((r = prepare_process(o.detach)) != 0)
    return r;
  return serve(member_path, &o);
}
