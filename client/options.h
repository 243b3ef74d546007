/*
 * options.h: ftp's command line.
 *
 *   ftp [options] [HOST [PORT]]          the shell (interactive or batch)
 *   ftp [options] [-o LOCAL] URL...      download (a URL ending in '/' lists)
 *   ftp [options] -u URL FILE...         upload
 *
 * Parsing is pure: no file is opened and nothing is printed, so that the
 * whole table of options can be unit-tested.  Later checks that need the
 * file system or the member (a readable --ca-file, the URL syntax) belong
 * to main.c.
 */
#ifndef FTPC_OPTIONS_H
#define FTPC_OPTIONS_H

#include <stddef.h>

enum ftpc_mode {
  FTPC_MODE_SHELL = 0,
  FTPC_MODE_GET,   /* URL arguments */
  FTPC_MODE_PUT    /* -u URL FILE... */
};

/* -a / -r: what the command line asks of TLS (0: the member decides). */
enum ftpc_opt_tls { FTPC_OPT_TLS_MEMBER = 0, FTPC_OPT_TLS_ATTEMPT, FTPC_OPT_TLS_REQUIRE };

struct ftpc_opts {
  int mode;               /* enum ftpc_mode */
  const char *member;     /* -f MEMBER */
  int tls;                /* enum ftpc_opt_tls */
  int passive;            /* -1: the member decides (FWFRIENDLY); 1 -p; 0 -A */
  int family;             /* AF_UNSPEC, AF_INET (-4), AF_INET6 (-6) */
  int no_autologin;       /* -n */
  const char *netrc;      /* -N NETRC; NULL: $NETRC, else ~/.netrc */
  int verbose;            /* -v (counted) */
  int quiet;              /* -q */
  int keep_going;         /* -k */
  int progress;           /* --progress: a bar even in batch mode */
  const char *cafile;     /* --ca-file */
  const char *cert;       /* --cert */
  const char *key;        /* --key */
  int insecure;           /* --insecure */
  const char *output;     /* -o LOCAL (GET mode, one URL) */
  const char *upload_url; /* -u URL */
  int help;               /* --help / -h */
  int version;            /* --version */
  int check_config;       /* --check-config */

  /* SHELL: host (NULL: none) and port (0: default); GET: the URLs;
   * PUT: the local files.  Pointers into argv. */
  const char *host;
  unsigned port;
  char **args;
  int nargs;
};

/*
 * ftpc_opts_parse: parse argv (argc entries) into o.
 * RETURNS: 0, or -1 for a usage error, with one line in err (errlen
 * bytes).  --help and --version return 0 with o->help / o->version set and
 * nothing else checked.
 */
int ftpc_opts_parse(int argc, char **argv, struct ftpc_opts *o, char *err,
                    size_t errlen);

/* ftpc_opts_usage: the --help text. */
const char *ftpc_opts_usage(void);

#endif
