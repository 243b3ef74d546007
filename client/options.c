/*
 * options.c: the command line of ftp, BSD ftp's letters where they exist
 * (-n -v -p -A -4 -6 -N -o -u), z/OS's -f, -a and -r, curl's long options
 * for certificates.
 */
#include "options.h"

#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "ftp_paths.h"

static const char usage_text[] =
    "usage: ftp [options] [HOST [PORT]]        interactive shell, or batch from stdin\n"
    "       ftp [options] [-o LOCAL] URL...    download (a URL ending in / lists)\n"
    "       ftp [options] -u URL FILE...       upload\n"
    "\n"
    "URLs: ftp://[USER[:PASSWORD]@]HOST[:PORT]/PATH   TLS as the member and -a/-r say\n"
    "      ftpes://...   explicit TLS (AUTH TLS), required\n"
    "      ftps://...    implicit TLS (port 990, TLSPORT)\n"
    "      IPv6 literals in brackets; %XX escapes in paths; ;type=a|i|d\n"
    "\n"
    "options:\n"
    "  -f MEMBER      client FTPDATA member (default: $HOME/ftp.data, " FTP_SYSTEM_MEMBER ")\n"
    "  -r tls         require TLS (AUTH TLS must succeed before USER)\n"
    "  -a tls         attempt TLS (clear only if the server does not support AUTH)\n"
    "  -p             passive mode (default, FWFRIENDLY TRUE)\n"
    "  -A             active mode (EPRT/PORT)\n"
    "  -4, -6         use IPv4 or IPv6 only\n"
    "  -n             no auto-login in the shell (use \"user\")\n"
    "  -N NETRC       netrc file (default: $NETRC, else ~/.netrc)\n"
    "  -o LOCAL       download the one URL to LOCAL (\"-\": every URL to stdout)\n"
    "  -u URL         upload the FILEs to URL (a directory if it ends in /)\n"
    "  -v             verbose: show commands, replies and TLS details\n"
    "  -q             quiet: no progress, summaries or replies\n"
    "  -k             batch: keep going after a failed command (exit status\n"
    "                 still non-zero)\n"
    "  --progress     show the progress bar even in batch mode\n"
    "  --ca-file FILE trusted CA certificates (overrides CAFILE)\n"
    "  --cert FILE    client certificate (PEM with key, or PKCS#12; overrides KEYRING)\n"
    "  --key FILE     the client certificate's key, if apart\n"
    "  --insecure     do not verify the server certificate (DANGEROUS)\n"
    "  --check-config check the member (-f, else the lookup order), print the\n"
    "                 effective configuration, exit 0 (valid) or 2\n"
    "  -h, --help     this text;  --version  the version\n"
    "\n"
    "exit status: 0 success; 1 a command or transfer failed; 2 usage error;\n"
    "3 connection or TLS failure (also timeouts, TLS refused when required);\n"
    "4 certificate verification failure; 5 login failure.\n"
    "See ftp(1) and ftp.data(5).\n";

const char *ftpc_opts_usage(void) { return usage_text; }

enum { OPT_CAFILE = 256, OPT_CERT, OPT_KEY, OPT_INSECURE, OPT_HELP, OPT_VERSION,
       OPT_PROGRESS, OPT_CHECK_CONFIG };

static const struct option long_opts[] = {
  {"ca-file", required_argument, NULL, OPT_CAFILE},
  {"cert", required_argument, NULL, OPT_CERT},
  {"key", required_argument, NULL, OPT_KEY},
  {"insecure", no_argument, NULL, OPT_INSECURE},
  {"help", no_argument, NULL, OPT_HELP},
  {"version", no_argument, NULL, OPT_VERSION},
  {"progress", no_argument, NULL, OPT_PROGRESS},
  {"check-config", no_argument, NULL, OPT_CHECK_CONFIG},
  {NULL, 0, NULL, 0},
};

static int bad(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
  return -1;
}

static int parse_mech(const char *arg, int level, int *out, char *err, size_t errlen) {
  if (strcasecmp(arg, "tls") == 0) {
    *out = level;
    return 0;
  }
  if (strcasecmp(arg, "gssapi") == 0)
    return bad(err, errlen, "-a/-r %s: Kerberos is not supported (use tls)", arg);
  return bad(err, errlen, "-a/-r %s: unknown security mechanism (use tls)", arg);
}

static int parse_port(const char *s, unsigned *out) {
  char *end;
  unsigned long v;

  if (s[0] < '0' || s[0] > '9')
    return -1;
  v = strtoul(s, &end, 10);
  if (*end != 0 || v == 0 || v > 65535)
    return -1;
  *out = (unsigned)v;
  return 0;
}

static int is_url(const char *s) { return strstr(s, "://") != NULL; }

static int one_option(int opt, struct ftpc_opts *o, char *err, size_t errlen) {
  switch (opt) {
  case 'f': o->member = optarg; return 0;
  case 'r': return parse_mech(optarg, FTPC_OPT_TLS_REQUIRE, &o->tls, err, errlen);
  case 'a': return parse_mech(optarg, FTPC_OPT_TLS_ATTEMPT, &o->tls, err, errlen);
  case 'p': o->passive = 1; return 0;
  case 'A': o->passive = 0; return 0;
  case '4': o->family = AF_INET; return 0;
  case '6': o->family = AF_INET6; return 0;
  case 'n': o->no_autologin = 1; return 0;
  case 'N': o->netrc = optarg; return 0;
  case 'v': o->verbose++; return 0;
  case 'q': o->quiet = 1; return 0;
  case 'k': o->keep_going = 1; return 0;
  case 'o': o->output = optarg; return 0;
  case 'u': o->upload_url = optarg; return 0;
  case OPT_CAFILE: o->cafile = optarg; return 0;
  case OPT_CERT: o->cert = optarg; return 0;
  case OPT_KEY: o->key = optarg; return 0;
  case OPT_INSECURE: o->insecure = 1; return 0;
  case OPT_PROGRESS: o->progress = 1; return 0;
  case 'h':
  case OPT_HELP: o->help = 1; return 0;
  case OPT_VERSION: o->version = 1; return 0;
  case OPT_CHECK_CONFIG: o->check_config = 1; return 0;
  default: return bad(err, errlen, "unknown option");
  }
}

/* What the operands mean, once the options are known. */
static int operands(struct ftpc_opts *o, char *err, size_t errlen) {
  int i;

  if (o->upload_url != NULL) {
    o->mode = FTPC_MODE_PUT;
    if (!is_url(o->upload_url))
      return bad(err, errlen, "-u %s: not a URL (ftp://, ftpes://, ftps://)", o->upload_url);
    if (o->nargs == 0)
      return bad(err, errlen, "-u needs at least one local FILE to upload");
    if (o->output != NULL)
      return bad(err, errlen, "-o does not go with -u");
    return 0;
  }
  if (o->nargs > 0 && is_url(o->args[0])) {
    o->mode = FTPC_MODE_GET;
    for (i = 1; i < o->nargs; i++)
      if (!is_url(o->args[i]))
        return bad(err, errlen, "%s: not a URL (URLs and a HOST cannot be mixed)", o->args[i]);
    if (o->output != NULL && o->nargs != 1 && strcmp(o->output, "-") != 0)
      return bad(err, errlen, "-o goes with exactly one URL (or \"-o -\": all to stdout)");
    return 0;
  }
  o->mode = FTPC_MODE_SHELL;
  if (o->output != NULL)
    return bad(err, errlen, "-o goes with a URL");
  if (o->nargs > 2)
    return bad(err, errlen, "too many operands: ftp [options] [HOST [PORT]]");
  for (i = 0; i < o->nargs; i++)
    if (is_url(o->args[i]))
      return bad(err, errlen, "%s: URLs and a HOST cannot be mixed", o->args[i]);
  if (o->nargs >= 1)
    o->host = o->args[0];
  if (o->nargs == 2 && parse_port(o->args[1], &o->port) != 0)
    return bad(err, errlen, "%s: not a port number (1-65535)", o->args[1]);
  return 0;
}

int ftpc_opts_parse(int argc, char **argv, struct ftpc_opts *o, char *err,
                    size_t errlen) {
  int opt;

  memset(o, 0, sizeof(*o));
  o->passive = -1;
  o->family = AF_UNSPEC;
  err[0] = 0;
  optind = 0; /* GNU: start afresh (tests parse several command lines) */
  opterr = 0;
  while ((opt = getopt_long(argc, argv, "f:r:a:pA46nN:vqko:u:h", long_opts, NULL)) != -1) {
    if (opt == '?' || opt == ':') {
      if (optopt != 0 && optopt < 256)
        return bad(err, errlen, "-%c: unknown option or missing argument (see --help)",
                   optopt);
      return bad(err, errlen, "%s: unknown option or missing argument (see --help)",
                 argv[optind - 1]);
    }
    if (one_option(opt, o, err, errlen) != 0)
      return -1;
  }
  if (o->help || o->version)
    return 0;
  if (o->verbose && o->quiet)
    return bad(err, errlen, "-v and -q contradict each other");
  if (o->key != NULL && o->cert == NULL)
    return bad(err, errlen, "--key needs --cert");
  o->args = argv + optind;
  o->nargs = argc - optind;
  return operands(o, err, errlen);
}
