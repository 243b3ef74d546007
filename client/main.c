/*
 * main.c: ftp's entry point: the command line, the member, the engine, then
 * the shell, URL download or URL upload.  ftp.1 documents all of it; the
 * exit statuses are enum ftpc_exit (engine.h).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmdctx.h"
#include "conf.h"
#include "connect.h"
#include "engine.h"
#include "err.h"
#include "log.h"
#include "options.h"
#include "shell.h"
#include "urlmode.h"

#define FTPC_VERSION "ftp 1.0 (libuv, GnuTLS)"

static int load_member(const struct ftpc_opts *o, struct ftp_conf *conf,
                       char *path, size_t pathlen) {
  int r;

  ftp_conf_init(conf, FTP_CONF_CLIENT);
  r = ftp_conf_find_member(FTP_CONF_CLIENT, o->member, path, pathlen);
  if (r == UV_ENOENT) {
    path[0] = 0;
    return 0; /* no member: the defaults */
  }
  if (r != 0) {
    fprintf(stderr, "ftp: %s: %s\n", o->member != NULL ? o->member : "member",
            ftp_strerror(r));
    return -1;
  }
  if (ftp_conf_load(conf, path, ftp_conf_diag_stderr, NULL) != 0) {
    /* A refused member leaves a partial configuration behind: free it. */
    ftp_conf_free(conf);
    fprintf(stderr, "ftp: %s: configuration refused\n", path);
    return -1;
  }
  return 0;
}

/* --check-config: the member's problems went to stderr; print what is in
 * effect, with where each value came from (as ftpd -t). */
static int check_config(const struct ftp_conf *conf, const char *path) {
  struct ftp_buf out;
  int r;

  ftp_buf_init(&out, 1024 * 1024);
  if ((r = ftp_conf_print(conf, &out)) == 0) {
    printf("; effective configuration of ftp, from %s\n", path[0] ? path : "defaults");
    fwrite(ftp_buf_ptr(&out), 1, ftp_buf_len(&out), stdout);
  }
  ftp_buf_free(&out);
  return r == 0 ? 0 : FTPC_EXIT_FAIL;
}

/* SECURE_DATACONN as the member codes it; not coded: automatic (PROT P
 * whenever the control connection is under TLS). */
static int prot_from(const struct ftp_conf *conf) {
  if (ftp_conf_line(conf, "SECURE_DATACONN") == 0)
    return FTPC_PROT_AUTO;
  switch (conf->secure_dataconn) {
  case FTP_SECURE_DATACONN_CLEAR: return FTPC_PROT_CLEAR;
  case FTP_SECURE_DATACONN_NEVER: return FTPC_PROT_NEVER;
  default: return FTPC_PROT_PRIVATE;
  }
}

static int readable(const char *what, const char *path) {
  if (path != NULL && access(path, R_OK) != 0) {
    fprintf(stderr, "ftp: %s %s: cannot be read\n", what, path);
    return 0;
  }
  return 1;
}

static void settings_from(const struct ftpc_opts *o, const struct ftp_conf *conf,
                          int interactive, struct ftpc_settings *s) {
  memset(s, 0, sizeof(*s));
  s->conf = conf;
  s->family = o->family;
  s->verify = !o->insecure;
  s->cafile = o->cafile;
  s->cert = o->cert;
  s->key = o->key;
  s->passive = o->passive >= 0 ? o->passive : conf->fwfriendly;
  s->epsv4 = conf->epsv4;
  s->prot = prot_from(conf);
  s->verbosity = o->quiet ? FTPC_QUIET : o->verbose ? FTPC_VERBOSE : FTPC_NORMAL;
  /* BSD ftp on a terminal shows the server's replies. */
  s->show_replies = interactive && !o->quiet;
}

static void warn_insecure(void) {
  fprintf(stderr,
          "ftp: WARNING: --insecure: the server's certificate is NOT verified.\n"
          "ftp: WARNING: anyone on the network path can pose as the server and read\n"
          "ftp: WARNING: or change everything, passwords included.\n");
}

static int run_shell(struct ftpc_shell *sh, const struct ftpc_opts *o) {
  int r;

  if (o->host != NULL) {
    r = ftpc_sh_connect(sh, o->host, o->port != 0 ? o->port : 21, ftpc_sh_tls_mode(sh),
                        NULL, NULL, sh->autologin);
    if (r != 0) {
      ftpc_shell_report(sh, "open", r);
      /* Batch: the connection was the first command, and it failed. */
      if (!sh->interactive && !sh->keep_going) {
        if (ftpc_connected(sh->c))
          ftpc_quit(sh->c);
        return r;
      }
      sh->status = r;
    }
  }
  r = ftpc_shell_run(sh);
  return sh->status != 0 && !sh->interactive ? sh->status : r;
}

int main(int argc, char **argv) {
  struct ftpc_opts o;
  struct ftp_conf conf;
  struct ftpc_settings s;
  struct ftpc_shell sh;
  struct ftpc *c = NULL;
  char err[512], member[4096];
  int interactive, status, r;

  if (ftpc_opts_parse(argc, argv, &o, err, sizeof(err)) != 0) {
    fprintf(stderr, "ftp: %s\n%s", err, "usage: ftp [options] [HOST [PORT]] | [-o LOCAL] URL... | -u URL FILE... (see --help)\n");
    return FTPC_EXIT_USAGE;
  }
  if (o.help) {
    fputs(ftpc_opts_usage(), stdout);
    return 0;
  }
  if (o.version) {
    printf("%s\n", FTPC_VERSION);
    return 0;
  }
  ftp_log_init("ftp", o.verbose ? FTP_LOG_DEBUG : FTP_LOG_WARN);
  if (load_member(&o, &conf, member, sizeof(member)) != 0)
    return FTPC_EXIT_USAGE;
  if (o.check_config) {
    r = check_config(&conf, member);
    ftp_conf_free(&conf);
    return r;
  }
  if (!readable("--ca-file", o.cafile) || !readable("--cert", o.cert) ||
      !readable("--key", o.key)) {
    ftp_conf_free(&conf);
    return FTPC_EXIT_USAGE;
  }
  if (o.insecure)
    warn_insecure();
  /* Downloads are created 0666 less the umask, as curl and lftp do: the
   * user's own umask, unless the member codes UMASK. */
  if (ftp_conf_line(&conf, "UMASK") != 0)
    umask((mode_t)conf.umask);
  signal(SIGPIPE, SIG_IGN);
  interactive = o.mode == FTPC_MODE_SHELL && isatty(STDIN_FILENO);
  settings_from(&o, &conf, interactive, &s);
  if ((r = ftpc_new(&s, &c)) != 0) {
    fprintf(stderr, "ftp: %s\n", ftp_strerror(r));
    ftp_conf_free(&conf);
    return FTPC_EXIT_FAIL;
  }
  ftpc_shell_init(&sh, c, &o, &conf, interactive);
  if (o.mode == FTPC_MODE_GET)
    status = ftpc_url_get(&sh);
  else if (o.mode == FTPC_MODE_PUT)
    status = ftpc_url_put(&sh);
  else
    status = run_shell(&sh, &o);
  ftpc_shell_free(&sh);
  ftpc_free(c);
  ftp_conf_free(&conf);
  fflush(stdout);
  return status;
}
