/*
 * show.c: describe a certificate.
 */
#include "show.h"

#include <arpa/inet.h>
#include <gnutls/pkcs12.h>
#include <string.h>
#include <time.h>

#include "files.h"
#include "secret.h"

int ftpcert_print_userfile(FILE *f, gnutls_x509_crt_t crt) {
  unsigned char sha[32];
  size_t len = sizeof(sha), i;
  gnutls_datum_t dn = {NULL, 0};
  int g;

  if ((g = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, sha, &len)) < 0 ||
      (g = gnutls_x509_crt_get_dn3(crt, &dn, 0)) < 0)
    return g;
  fprintf(f, "cert-sha256=");
  for (i = 0; i < len; i++)
    fprintf(f, "%02x", sha[i]);
  fprintf(f, "\ncert-dn=%.*s\n", (int)dn.size, (const char *)dn.data);
  gnutls_free(dn.data);
  return 0;
}

static void print_time(const char *label, time_t t) {
  char buf[64];
  struct tm tm;

  gmtime_r(&t, &tm);
  strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M:%S UTC", &tm);
  printf("%-11s %s\n", label, buf);
}

static void print_names(gnutls_x509_crt_t crt) {
  char name[256];
  unsigned i;
  int first = 1;

  printf("%-11s", "names:");
  for (i = 0;; i++) {
    size_t len = sizeof(name) - 1;
    int type = gnutls_x509_crt_get_subject_alt_name(crt, i, name, &len, NULL);
    char ip[64];

    if (type < 0)
      break;
    if (type == GNUTLS_SAN_DNSNAME)
      printf("%s DNS:%.*s", first ? "" : ",", (int)len, name);
    else if (type == GNUTLS_SAN_IPADDRESS &&
             inet_ntop(len == 4 ? AF_INET : AF_INET6, name, ip, sizeof(ip)) != NULL)
      printf("%s IP:%s", first ? "" : ",", ip);
    else
      continue;
    first = 0;
  }
  printf("%s\n", first ? " (none)" : "");
}

static void print_dn(const char *label, int (*get)(gnutls_x509_crt_t, gnutls_datum_t *,
                                                   unsigned),
                     gnutls_x509_crt_t crt) {
  gnutls_datum_t d = {NULL, 0};

  if (get(crt, &d, 0) >= 0)
    printf("%-11s %.*s\n", label, (int)d.size, (const char *)d.data);
  gnutls_free(d.data);
}

static int describe(const char *path, gnutls_x509_crt_t crt) {
  unsigned char serial[64];
  size_t len = sizeof(serial), i;
  unsigned ca = 0;
  time_t until = gnutls_x509_crt_get_expiration_time(crt), now = time(NULL);

  printf("%-11s %s\n", "file:", path);
  print_dn("subject:", gnutls_x509_crt_get_dn3, crt);
  print_dn("issuer:", gnutls_x509_crt_get_issuer_dn3, crt);
  if (gnutls_x509_crt_get_serial(crt, serial, &len) >= 0) {
    printf("%-11s ", "serial:");
    for (i = 0; i < len; i++)
      printf("%02x", serial[i]);
    printf("\n");
  }
  print_time("not before:", gnutls_x509_crt_get_activation_time(crt));
  print_time("not after:", until);
  printf("%-11s %s\n", "status:",
         until < now ? "EXPIRED"
         : gnutls_x509_crt_get_activation_time(crt) > now ? "not valid yet"
                                                          : "valid");
  gnutls_x509_crt_get_basic_constraints(crt, NULL, &ca, NULL);
  printf("%-11s %s\n", "CA:", ca ? "yes" : "no");
  print_names(crt);
  printf("USERFILE options (ftpd(8)) for a login with this certificate:\n");
  return ftpcert_print_userfile(stdout, crt) < 0 ? FTPCERT_EXIT_ERROR : FTPCERT_EXIT_OK;
}

/* A PKCS#12 file: try no password, then the one given or asked for. */
static int from_pkcs12(const char *path, const gnutls_datum_t *der, const char *pwfile,
                       gnutls_x509_crt_t *crt) {
  gnutls_pkcs12_t p12;
  gnutls_x509_privkey_t key = NULL;
  gnutls_x509_crt_t *chain = NULL;
  unsigned nchain = 0, i;
  char pw[FTPCERT_PASSWORD_MAX + 2] = "";
  int g, r = FTPCERT_EXIT_ERROR;

  if (gnutls_pkcs12_init(&p12) < 0 || gnutls_pkcs12_import(p12, der, GNUTLS_X509_FMT_DER, 0) < 0) {
    fprintf(stderr, "ftpcert: %s: neither a certificate (PEM or DER) nor PKCS#12\n", path);
    gnutls_pkcs12_deinit(p12);
    return FTPCERT_EXIT_ERROR;
  }
  g = gnutls_pkcs12_simple_parse(p12, "", &key, &chain, &nchain, NULL, NULL, NULL, 0);
  if (g < 0 && (r = ftpcert_password(pwfile, "PKCS#12 password: ", 0, pw, sizeof(pw))) == 0)
    g = gnutls_pkcs12_simple_parse(p12, pw, &key, &chain, &nchain, NULL, NULL, NULL, 0);
  explicit_bzero(pw, sizeof(pw));
  if (g >= 0 && nchain > 0) {
    *crt = chain[0];
    r = FTPCERT_EXIT_OK;
  } else if (g < 0) {
    fprintf(stderr, "ftpcert: %s: %s\n", path, gnutls_strerror(g));
    r = FTPCERT_EXIT_ERROR;
  }
  for (i = 1; i < nchain; i++)
    gnutls_x509_crt_deinit(chain[i]);
  gnutls_free(chain);
  if (key != NULL)
    gnutls_x509_privkey_deinit(key);
  gnutls_pkcs12_deinit(p12);
  return r;
}

int ftpcert_show(const char *path, const char *password_file) {
  gnutls_datum_t data = {NULL, 0};
  gnutls_x509_crt_t *list = NULL, crt = NULL;
  unsigned n = 0, i;
  int r;

  if ((r = ftpcert_read(path, &data)) != 0)
    return r;
  if (strstr((const char *)data.data, "-----BEGIN ") != NULL) {
    /* A KEYRING holds the key first: take the first certificate. */
    if (gnutls_x509_crt_list_import2(&list, &n, &data, GNUTLS_X509_FMT_PEM, 0) < 0 ||
        n == 0) {
      fprintf(stderr, "ftpcert: %s: no certificate in this PEM file\n", path);
      r = FTPCERT_EXIT_ERROR;
    } else
      crt = list[0];
    for (i = 1; i < n; i++)
      gnutls_x509_crt_deinit(list[i]);
    gnutls_free(list);
  } else if (gnutls_x509_crt_init(&crt) < 0 ||
             gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_DER) < 0) {
    gnutls_x509_crt_deinit(crt);
    crt = NULL;
    r = from_pkcs12(path, &data, password_file, &crt);
  }
  ftpcert_datum_free(&data);
  if (r == 0)
    r = describe(path, crt);
  if (crt != NULL)
    gnutls_x509_crt_deinit(crt);
  return r;
}
