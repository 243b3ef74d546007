/*
 * main.c: ftpcert's command line.
 *
 *   ftpcert ca     [options] DIR           a CA: DIR/ca.pem, DIR/ca-key.pem
 *   ftpcert server [options] DIR NAME...   DIR/keyring.pem, for KEYRING
 *   ftpcert client [options] DIR USER      DIR/USER.pem and DIR/USER.p12
 *   ftpcert show   [options] FILE          what a certificate is
 *   ftpcert ticket-key [options] FILE      a shared TLS ticket master key
 *
 * Exit status: enum ftpcert_exit (files.h).  ftpcert(1) documents it all.
 */
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "files.h"
#include "names.h"
#include "secret.h"
#include "show.h"
#include "x509.h"

#define CA_DAYS 3650
#define SERVER_DAYS 397
#define CLIENT_DAYS 365

struct opts {
  struct ftpcert_out out;
  unsigned days;              /* 0: the command's default */
  const char *ca_dir;         /* --ca: NULL: DIR */
  const char *cn;             /* --cn (ca) */
  const char *password_file;
};

static const char usage_text[] =
    "usage: ftpcert ca     [--days N] [--cn NAME] [--force] [--owner USER] DIR\n"
    "       ftpcert server [--days N] [--ca CADIR] [--force] [--owner USER] DIR NAME...\n"
    "       ftpcert client [--days N] [--ca CADIR] [--password-file FILE] [--force]\n"
    "                      [--owner USER] DIR USER\n"
    "       ftpcert show   [--password-file FILE] FILE\n"
    "       ftpcert ticket-key [--force] [--owner USER] FILE\n"
    "  ca      an ECDSA P-256 CA (10 years): DIR/ca.pem, DIR/ca-key.pem\n"
    "  server  a server certificate for the DNS names and IP addresses NAME...\n"
    "          (397 days), signed by the CA in DIR (or --ca): DIR/keyring.pem,\n"
    "          ready for KEYRING\n"
    "  client  a client certificate for USER (365 days): DIR/USER.pem (key and\n"
    "          certificate) and DIR/USER.p12 (PKCS#12, password-protected); prints\n"
    "          the USERFILE options cert-sha256= and cert-dn=\n"
    "  show    subject, issuer, validity, names and the USERFILE options of the\n"
    "          certificate in FILE (PEM, DER or PKCS#12)\n"
    "  ticket-key  a TLS session-ticket master key (64 random bytes, mode 0600)\n"
    "          for TLSTICKETKEY, to copy to every instance of one service\n"
    "See ftpcert(1).\n";

static int usage(const char *msg) {
  if (msg != NULL)
    fprintf(stderr, "ftpcert: %s\n", msg);
  fputs(usage_text, stderr);
  return FTPCERT_EXIT_USAGE;
}

static int gnutls_failed(const char *what, int g) {
  fprintf(stderr, "ftpcert: %s: %s\n", what, gnutls_strerror(g));
  return FTPCERT_EXIT_ERROR;
}

/* --owner USER[:GROUP] */
static int parse_owner(const char *spec, struct ftpcert_out *out) {
  char user[256];
  const char *colon = strchr(spec, ':');
  size_t n = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
  struct passwd *pw;
  struct group *gr;

  if (n == 0 || n >= sizeof(user))
    return -1;
  memcpy(user, spec, n);
  user[n] = 0;
  if ((pw = getpwnam(user)) == NULL) {
    fprintf(stderr, "ftpcert: --owner %s: no such user\n", user);
    return -1;
  }
  out->uid = pw->pw_uid;
  out->gid = pw->pw_gid;
  if (colon != NULL) {
    if ((gr = getgrnam(colon + 1)) == NULL) {
      fprintf(stderr, "ftpcert: --owner %s: no such group\n", spec);
      return -1;
    }
    out->gid = gr->gr_gid;
  }
  out->chown = 1;
  return 0;
}

/* Write a key with its certificate(s) as one PEM file, mode 0600. */
static int write_pem(const struct opts *o, const char *path, gnutls_x509_privkey_t key,
                     gnutls_x509_crt_t crt, gnutls_x509_crt_t ca) {
  gnutls_datum_t pem = {NULL, 0};
  int g, r;

  if ((key != NULL && (g = ftpcert_pem_append(&pem, key, NULL)) < 0) ||
      (crt != NULL && (g = ftpcert_pem_append(&pem, NULL, crt)) < 0) ||
      (ca != NULL && (g = ftpcert_pem_append(&pem, NULL, ca)) < 0)) {
    ftpcert_datum_free(&pem);
    return gnutls_failed(path, g);
  }
  r = ftpcert_write(&o->out, path, pem.data, pem.size, key != NULL ? 0600 : 0644);
  ftpcert_datum_free(&pem);
  return r;
}

static int cmd_ca(const struct opts *o, const char *dir) {
  char crt_path[4096], key_path[4096], host[256], cn[512];
  struct ftpcert_issuer self = {NULL, NULL};
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  struct ftpcert_req req = {FTPCERT_CA, NULL, NULL, 0, o->days ? o->days : CA_DAYS};
  int g, r;

  if (gethostname(host, sizeof(host)) != 0)
    snprintf(host, sizeof(host), "localhost");
  host[sizeof(host) - 1] = 0;
  snprintf(cn, sizeof(cn), "ftpd CA %s", host);
  req.cn = o->cn != NULL ? o->cn : cn;
  if (ftpcert_path(crt_path, sizeof(crt_path), dir, "ca.pem") != 0 ||
      ftpcert_path(key_path, sizeof(key_path), dir, "ca-key.pem") != 0)
    return FTPCERT_EXIT_USAGE;
  if ((r = ftpcert_mkdir(dir)) != 0 || (r = ftpcert_check_absent(&o->out, crt_path)) != 0 ||
      (r = ftpcert_check_absent(&o->out, key_path)) != 0)
    return r;
  if ((g = ftpcert_key_new(&key)) < 0)
    return gnutls_failed("key", g);
  if ((g = ftpcert_cert_new(&req, key, &self, &crt)) < 0)
    r = gnutls_failed("CA certificate", g);
  else if ((r = write_pem(o, key_path, key, NULL, NULL)) == 0 &&
           (r = write_pem(o, crt_path, NULL, crt, NULL)) == 0)
    printf("CA \"%s\" made, valid %u days.\n  certificate: %s  (CAFILE, and "
           "clients' --ca-file)\n  key:         %s  (keep it secret)\n",
           req.cn, req.days, crt_path, key_path);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
  return r;
}

static int check_names(char **names, int n) {
  unsigned char ip[16];
  size_t iplen;
  int i;

  for (i = 0; i < n; i++)
    if (ftpcert_name_classify(names[i], ip, &iplen) == FTPCERT_NAME_BAD) {
      fprintf(stderr, "ftpcert: \"%s\" is neither a DNS name nor an IP address\n",
              names[i]);
      return FTPCERT_EXIT_USAGE;
    }
  return FTPCERT_EXIT_OK;
}

static int cmd_server(const struct opts *o, const char *dir, char **names, int n) {
  char path[4096];
  struct ftpcert_issuer ca;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  struct ftpcert_req req = {FTPCERT_SERVER, names[0], (const char *const *)names,
                            (unsigned)n, o->days ? o->days : SERVER_DAYS};
  int g, r;

  if ((r = check_names(names, n)) != 0 ||
      ftpcert_path(path, sizeof(path), dir, "keyring.pem") != 0)
    return r != 0 ? r : FTPCERT_EXIT_USAGE;
  if ((r = ftpcert_mkdir(dir)) != 0 || (r = ftpcert_check_absent(&o->out, path)) != 0 ||
      (r = ftpcert_load_ca(o->ca_dir != NULL ? o->ca_dir : dir, &ca)) != 0)
    return r;
  if ((g = ftpcert_key_new(&key)) < 0 || (g = ftpcert_cert_new(&req, key, &ca, &crt)) < 0)
    r = gnutls_failed("server certificate", g);
  else if ((r = write_pem(o, path, key, crt, ca.crt)) == 0)
    printf("Server certificate for %s made, valid %u days.\nIn the member:\n"
           "  KEYRING %s\n", names[0], req.days, path);
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
  ftpcert_issuer_free(&ca);
  return r;
}

static int write_client(const struct opts *o, const char *pem_path, const char *p12_path,
                        const char *user, gnutls_x509_privkey_t key,
                        gnutls_x509_crt_t crt, gnutls_x509_crt_t ca) {
  char pw[FTPCERT_PASSWORD_MAX + 2];
  gnutls_datum_t p12 = {NULL, 0};
  int g, r;

  if ((r = ftpcert_password(o->password_file, "PKCS#12 password: ", 1, pw, sizeof(pw))) != 0)
    return r;
  g = ftpcert_pkcs12(key, crt, ca, user, pw, &p12);
  explicit_bzero(pw, sizeof(pw));
  if (g < 0)
    return gnutls_failed(p12_path, g);
  if ((r = write_pem(o, pem_path, key, crt, NULL)) == 0)
    r = ftpcert_write(&o->out, p12_path, p12.data, p12.size, 0600);
  ftpcert_datum_free(&p12);
  return r;
}

static int cmd_client(const struct opts *o, const char *dir, const char *user) {
  char pem_path[4096], p12_path[4096], name[300];
  struct ftpcert_issuer ca;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t crt = NULL;
  struct ftpcert_req req = {FTPCERT_CLIENT, user, NULL, 0, o->days ? o->days : CLIENT_DAYS};
  int g, r;

  if (user[0] == 0 || strchr(user, '/') != NULL || user[0] == '.' || strlen(user) > 255)
    return usage("USER must be a plain name (no '/', not starting with '.')");
  snprintf(name, sizeof(name), "%s.pem", user);
  if (ftpcert_path(pem_path, sizeof(pem_path), dir, name) != 0)
    return FTPCERT_EXIT_USAGE;
  snprintf(name, sizeof(name), "%s.p12", user);
  if (ftpcert_path(p12_path, sizeof(p12_path), dir, name) != 0)
    return FTPCERT_EXIT_USAGE;
  if ((r = ftpcert_mkdir(dir)) != 0 || (r = ftpcert_check_absent(&o->out, pem_path)) != 0 ||
      (r = ftpcert_check_absent(&o->out, p12_path)) != 0 ||
      (r = ftpcert_load_ca(o->ca_dir != NULL ? o->ca_dir : dir, &ca)) != 0)
    return r;
  if ((g = ftpcert_key_new(&key)) < 0 || (g = ftpcert_cert_new(&req, key, &ca, &crt)) < 0)
    r = gnutls_failed("client certificate", g);
  else if ((r = write_client(o, pem_path, p12_path, user, key, crt, ca.crt)) == 0) {
    printf("Client certificate for %s made, valid %u days:\n  %s  (ftp --cert)\n"
           "  %s  (PKCS#12, for other clients)\nUSERFILE options:\n",
           user, req.days, pem_path, p12_path);
    ftpcert_print_userfile(stdout, crt);
  }
  gnutls_x509_crt_deinit(crt);
  gnutls_x509_privkey_deinit(key);
  ftpcert_issuer_free(&ca);
  return r;
}

/* A TLS session-ticket master key for TLSTICKETKEY: GnuTLS's own
 * generator, written whole with mode 0600 before a byte of it goes in. */
static int cmd_ticket_key(const struct opts *o, const char *path) {
  gnutls_datum_t key = {NULL, 0};
  int g, r;

  if ((r = ftpcert_check_absent(&o->out, path)) != 0)
    return r;
  if ((g = gnutls_session_ticket_key_generate(&key)) < 0)
    return gnutls_failed("ticket key", g);
  r = ftpcert_write(&o->out, path, key.data, key.size, 0600);
  gnutls_memset(key.data, 0, key.size);
  gnutls_free(key.data);
  if (r == 0)
    printf("Ticket key made: %s (keep it secret; copy it to every instance, "
           "mode 0600).\nIn the member:\n  TLSTICKETKEY %s\n", path, path);
  return r;
}

enum { OPT_DAYS = 256, OPT_CA, OPT_CN, OPT_FORCE, OPT_OWNER, OPT_PASSWORD_FILE, OPT_HELP };

static int parse(int argc, char **argv, struct opts *o) {
  static const struct option longs[] = {
      {"days", required_argument, NULL, OPT_DAYS},
      {"ca", required_argument, NULL, OPT_CA},
      {"cn", required_argument, NULL, OPT_CN},
      {"force", no_argument, NULL, OPT_FORCE},
      {"owner", required_argument, NULL, OPT_OWNER},
      {"password-file", required_argument, NULL, OPT_PASSWORD_FILE},
      {"help", no_argument, NULL, OPT_HELP},
      {NULL, 0, NULL, 0}};
  int c;

  while ((c = getopt_long(argc, argv, "h", longs, NULL)) != -1) {
    if (c == OPT_DAYS && ftpcert_parse_days(optarg, &o->days) != 0)
      return usage("--days: a number of days from 1 to 36500");
    else if (c == OPT_CA)
      o->ca_dir = optarg;
    else if (c == OPT_CN)
      o->cn = optarg;
    else if (c == OPT_FORCE)
      o->out.force = 1;
    else if (c == OPT_OWNER && parse_owner(optarg, &o->out) != 0)
      return usage("--owner USER[:GROUP]: an existing user (and group)");
    else if (c == OPT_PASSWORD_FILE)
      o->password_file = optarg;
    else if (c == OPT_HELP || c == 'h') {
      fputs(usage_text, stdout);
      exit(FTPCERT_EXIT_OK);
    } else if (c == '?')
      return usage(NULL);
  }
  return FTPCERT_EXIT_OK;
}

int main(int argc, char **argv) {
  struct opts o;
  const char *cmd;
  int r, n;

  memset(&o, 0, sizeof(o));
  if (argc < 2)
    return usage(NULL);
  cmd = argv[1];
  /* Options follow the command: parse argv[1..] as if argv[1] were argv[0]. */
  if ((r = parse(argc - 1, argv + 1, &o)) != 0)
    return r;
  n = argc - 1 - optind;
  argv += 1 + optind;
  if (gnutls_global_init() < 0)
    return FTPCERT_EXIT_ERROR;
  if (strcmp(cmd, "ca") == 0 && n == 1)
    r = cmd_ca(&o, argv[0]);
  else if (strcmp(cmd, "server") == 0 && n >= 2)
    r = cmd_server(&o, argv[0], argv + 1, n - 1);
  else if (strcmp(cmd, "client") == 0 && n == 2)
    r = cmd_client(&o, argv[0], argv[1]);
  else if (strcmp(cmd, "ticket-key") == 0 && n == 1)
    r = cmd_ticket_key(&o, argv[0]);
  else if (strcmp(cmd, "show") == 0 && n == 1)
    r = ftpcert_show(argv[0], o.password_file);
  else if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    r = FTPCERT_EXIT_OK;
  } else
    r = usage("unknown command or wrong number of arguments");
  gnutls_global_deinit();
  return r;
}
