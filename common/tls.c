/*
 * tls.c: GnuTLS credentials, priorities, and session set-up for both roles
 * (the server's resumption bookkeeping is tlsresume.c's).
 */
#include "tls.h"

#include <arpa/inet.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <uv.h>

#include "buf.h"
#include "ciphers.h"
#include "err.h"
#include "log.h"

/* ALPN (RFC 7301): "ftp" is the registered identifier for FTP over TLS. */
static const gnutls_datum_t alpn_ftp = {(unsigned char *)"ftp", 3};

struct ftp_tls_ctx {
  int refs;
  int server;
  int has_cert;
  int request_client_cert;
  unsigned lifetime;
  gnutls_certificate_credentials_t cred;
  gnutls_priority_t prio;
};

static int looks_like_pkcs12(const char *path) {
  const char *dot = strrchr(path, '.');
  return dot != NULL && (strcasecmp(dot, ".p12") == 0 || strcasecmp(dot, ".pfx") == 0);
}

static int load_keyring(struct ftp_tls_ctx *ctx, const struct ftp_tls_config *cfg,
                        char *err, size_t errlen) {
  const char *key = cfg->key_file != NULL ? cfg->key_file : cfg->keyring;
  int g;

  if (looks_like_pkcs12(cfg->keyring)) {
    /* A PKCS#12 file is usually encrypted: its password comes from the
     * environment, never from the member; without one, try none and "". */
    const char *pass = getenv("FTP_KEYRING_PASSWORD");
    g = gnutls_certificate_set_x509_simple_pkcs12_file(
        ctx->cred, cfg->keyring, GNUTLS_X509_FMT_DER, pass);
    if (g < 0 && pass == NULL)
      g = gnutls_certificate_set_x509_simple_pkcs12_file(
          ctx->cred, cfg->keyring, GNUTLS_X509_FMT_DER, "");
  } else
    g = gnutls_certificate_set_x509_key_file2(ctx->cred, cfg->keyring, key,
                                              GNUTLS_X509_FMT_PEM, NULL, 0);
  if (g < 0) {
    snprintf(err, errlen, "KEYRING %s: %s", cfg->keyring, gnutls_strerror(g));
    return FTP_E_TLS;
  }
  ctx->has_cert = 1;
  return 0;
}

static int load_trust(struct ftp_tls_ctx *ctx, const struct ftp_tls_config *cfg,
                      char *err, size_t errlen) {
  int g;

  if (cfg->cafile != NULL) {
    g = gnutls_certificate_set_x509_trust_file(ctx->cred, cfg->cafile,
                                               GNUTLS_X509_FMT_PEM);
    if (g <= 0) {
      snprintf(err, errlen, "CAFILE %s: %s", cfg->cafile,
               g == 0 ? "no certificates found" : gnutls_strerror(g));
      return FTP_E_TLS;
    }
    return 0;
  }
  if (!cfg->server) {
    g = gnutls_certificate_set_x509_system_trust(ctx->cred);
    if (g < 0) {
      snprintf(err, errlen, "system trust store: %s", gnutls_strerror(g));
      return FTP_E_TLS;
    }
  }
  return 0;
}

int ftp_tls_ctx_new(const struct ftp_tls_config *cfg, struct ftp_tls_ctx **out,
                    char *err, size_t errlen) {
  struct ftp_tls_ctx *ctx;
  struct ftp_buf prio;
  const char *errpos = NULL;
  int r, g;

  *out = NULL;
  ftp_buf_init(&prio, FTP_TLS_PRIORITY_MAX);
  if ((ctx = calloc(1, sizeof(*ctx))) == NULL) {
    snprintf(err, errlen, "out of memory");
    return FTP_E_NOMEM;
  }
  ctx->refs = 1;
  ctx->server = cfg->server;
  ctx->request_client_cert = cfg->request_client_cert;
  ctx->lifetime = cfg->session_lifetime;
  if ((g = gnutls_certificate_allocate_credentials(&ctx->cred)) < 0) {
    snprintf(err, errlen, "TLS credentials: %s", gnutls_strerror(g));
    r = FTP_E_TLS;
    goto out;
  }
  if (cfg->keyring != NULL && (r = load_keyring(ctx, cfg, err, errlen)) != 0)
    goto out;
  if ((r = load_trust(ctx, cfg, err, errlen)) != 0)
    goto out;
  if ((r = ftp_ciphers_priority(cfg->ciphers, cfg->nciphers, &prio)) != 0) {
    snprintf(err, errlen, "CIPHERSUITE: %s", ftp_strerror(r));
    goto out;
  }
  g = gnutls_priority_init2(&ctx->prio, ftp_buf_cstr(&prio, NULL), &errpos, 0);
  if (g < 0) {
    snprintf(err, errlen, "CIPHERSUITE: GnuTLS refused the priorities at '%.40s': %s",
             errpos != NULL ? errpos : "?", gnutls_strerror(g));
    r = FTP_E_TLS;
    goto out;
  }
  *out = ctx;
  ctx = NULL;
  r = 0;
out:
  ftp_buf_free(&prio);
  ftp_tls_ctx_unref(ctx);
  return r;
}

struct ftp_tls_ctx *ftp_tls_ctx_ref(struct ftp_tls_ctx *ctx) {
  ctx->refs++;
  return ctx;
}

void ftp_tls_ctx_unref(struct ftp_tls_ctx *ctx) {
  if (ctx == NULL || --ctx->refs > 0)
    return;
  if (ctx->prio != NULL)
    gnutls_priority_deinit(ctx->prio);
  if (ctx->cred != NULL)
    gnutls_certificate_free_credentials(ctx->cred);
  free(ctx);
}

int ftp_tls_ctx_has_cert(const struct ftp_tls_ctx *ctx) {
  return ctx != NULL && ctx->has_cert;
}

/* --- sessions ------------------------------------------------------------- */

static int common_setup(gnutls_session_t s, struct ftp_tls_ctx *ctx) {
  int g;

  if ((g = gnutls_priority_set(s, ctx->prio)) < 0 ||
      (g = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, ctx->cred)) < 0) {
    log_err_r(ftp_err_gnutls(g), "session set-up");
    return FTP_E_TLS;
  }
  /* Timeouts are libuv timers owned by the caller; GnuTLS's own handshake
   * timer would need a blocking pull-timeout function. */
  gnutls_handshake_set_timeout(s, 0);
  return 0;
}

int ftp_tls_server_session(struct ftp_tls_ctx *ctx, struct ftp_tls_resume *res,
                           struct ftp_tls_probe *probe, gnutls_session_t *out) {
  gnutls_session_t s = NULL;
  unsigned flags = GNUTLS_SERVER | GNUTLS_NONBLOCK;
  int g, r;

  *out = NULL;
  if (probe != NULL)
    flags |= GNUTLS_NO_AUTO_SEND_TICKET;
  if ((g = gnutls_init(&s, flags)) < 0) {
    log_err_r(ftp_err_gnutls(g), "gnutls_init");
    return FTP_E_TLS;
  }
  if ((r = common_setup(s, ctx)) != 0)
    goto fail;
  /* Security: ALPACA.  A client that offers ALPN without "ftp" (a browser
   * redirected here) fails the handshake; a client that offers no ALPN at all
   * (curl, lftp) is unaffected. */
  if ((g = gnutls_alpn_set_protocols(s, &alpn_ftp, 1, GNUTLS_ALPN_MANDATORY)) < 0)
    goto gfail;
  if (ctx->request_client_cert)
    gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
  if (res != NULL && (g = ftp__tls_resume_attach(s, res, probe)) < 0)
    goto gfail;
  *out = s;
  return 0;
gfail:
  log_err_r(ftp_err_gnutls(g), "server session");
  r = FTP_E_TLS;
fail:
  gnutls_deinit(s);
  return r;
}

static int is_ip_literal(const char *host) {
  unsigned char tmp[16];
  return inet_pton(AF_INET, host, tmp) == 1 || inet_pton(AF_INET6, host, tmp) == 1;
}

static int set_resume_data(gnutls_session_t s, gnutls_session_t from) {
  gnutls_datum_t d = {NULL, 0};
  int g;

  /* Under TLS 1.3 the control session is resumable only once a ticket has
   * arrived; without one, gnutls_session_get_data2 would wait for it. */
  if (gnutls_protocol_get_version(from) == GNUTLS_TLS1_3 &&
      !(gnutls_session_get_flags(from) & GNUTLS_SFLAGS_SESSION_TICKET)) {
    log_debug("no TLS 1.3 ticket yet: full handshake on the data connection");
    return 0;
  }
  if ((g = gnutls_session_get_data2(from, &d)) < 0) {
    log_debug_r(ftp_err_gnutls(g), "no resumption data");
    return 0;
  }
  g = gnutls_session_set_data(s, d.data, d.size);
  gnutls_free(d.data);
  if (g < 0)
    log_debug_r(ftp_err_gnutls(g), "resumption data refused");
  return 0;
}

int ftp_tls_client_session(struct ftp_tls_ctx *ctx, const char *host,
                           int verify, int verify_host,
                           gnutls_session_t resume_from, gnutls_session_t *out) {
  gnutls_session_t s = NULL;
  int g, r;

  *out = NULL;
  if ((g = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
    log_err_r(ftp_err_gnutls(g), "gnutls_init");
    return FTP_E_TLS;
  }
  if ((r = common_setup(s, ctx)) != 0)
    goto fail;
  /* Security: ALPACA.  MANDATORY makes GnuTLS refuse a server that selects
   * a protocol we did not offer (no_application_protocol); without it,
   * GnuTLS ignores such a selection, and the handshake succeeds.  A server
   * that selects nothing (most FTP servers) is unaffected. */
  if ((g = gnutls_alpn_set_protocols(s, &alpn_ftp, 1, GNUTLS_ALPN_MANDATORY)) < 0)
    goto gfail;
  /* RFC 6066 section 3: SNI carries DNS names only, never an address. */
  if (host != NULL && !is_ip_literal(host) &&
      (g = gnutls_server_name_set(s, GNUTLS_NAME_DNS, host, strlen(host))) < 0)
    goto gfail;
  if (verify)
    gnutls_session_set_verify_cert(s, verify_host ? host : NULL, 0);
  if (resume_from != NULL)
    set_resume_data(s, resume_from);
  *out = s;
  return 0;
gfail:
  log_err_r(ftp_err_gnutls(g), "client session");
  r = FTP_E_TLS;
fail:
  gnutls_deinit(s);
  return r;
}

int ftp_tls_check_alpn(gnutls_session_t s) {
  gnutls_datum_t sel;

  if (gnutls_alpn_get_selected_protocol(s, &sel) < 0)
    return 0; /* the server selected nothing: most FTP servers */
  if (sel.size == alpn_ftp.size && memcmp(sel.data, alpn_ftp.data, sel.size) == 0)
    return 0;
  log_err_r(FTP_E_TLS, "server selected ALPN protocol '%.*s', not 'ftp'",
            (int)sel.size, sel.data);
  return FTP_E_TLS;
}

int ftp_tls_send_ticket(gnutls_session_t s) {
  int g;

  if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3)
    return 0;
  g = gnutls_session_ticket_send(s, 1, 0);
  if (g < 0 && g != GNUTLS_E_AGAIN) {
    log_warn_r(ftp_err_gnutls(g), "session ticket");
    return FTP_E_TLS;
  }
  return 0;
}

int ftp_tls_peer_cert_id(gnutls_session_t s, unsigned char sha256[32],
                         char *dn, size_t dnlen) {
  const gnutls_datum_t *certs;
  unsigned n = 0;
  gnutls_x509_crt_t crt;
  size_t len = 32;
  int g, r = FTP_E_TLS;

  certs = gnutls_certificate_get_peers(s, &n);
  if (certs == NULL || n == 0)
    return UV_ENOENT;
  if (gnutls_x509_crt_init(&crt) < 0)
    return FTP_E_NOMEM;
  if ((g = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER)) < 0)
    goto out;
  if ((g = gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, sha256, &len)) < 0)
    goto out;
  if (dn != NULL && dnlen > 0) {
    gnutls_datum_t d = {NULL, 0};
    /* RFC 4514 form (the last RDN first, "CN=alice,O=Example"), as
     * certtool -i prints it and USERFILE cert-dn entries are written.
     * gnutls_x509_crt_get_dn keeps the certificate's order instead. */
    dn[0] = 0;
    if (gnutls_x509_crt_get_dn3(crt, &d, 0) >= 0 && d.size < dnlen) {
      memcpy(dn, d.data, d.size);
      dn[d.size] = 0;
    }
    gnutls_free(d.data);
  }
  r = 0;
out:
  if (r != 0)
    log_warn_r(ftp_err_gnutls(g), "peer certificate");
  gnutls_x509_crt_deinit(crt);
  return r;
}

int ftp_tls_peer_verified(gnutls_session_t s, const char **why) {
  unsigned status = 0;
  int g;

  if (gnutls_certificate_get_peers(s, &(unsigned){0}) == NULL) {
    if (why != NULL)
      *why = "no client certificate";
    return 0;
  }
  if ((g = gnutls_certificate_verify_peers2(s, &status)) < 0) {
    if (why != NULL)
      *why = gnutls_strerror(g);
    return 0;
  }
  if (status != 0) {
    if (why != NULL)
      *why = (status & GNUTLS_CERT_SIGNER_NOT_FOUND) ? "issuer not trusted"
             : (status & GNUTLS_CERT_EXPIRED)        ? "certificate expired"
             : (status & GNUTLS_CERT_NOT_ACTIVATED)  ? "certificate not yet valid"
                                                     : "certificate not trusted";
    return 0;
  }
  return 1;
}

void ftp_tls_verify_error(gnutls_session_t s, char *buf, size_t n) {
  gnutls_datum_t out = {NULL, 0};
  unsigned status = gnutls_session_get_verify_cert_status(s);

  if (status == 0 ||
      gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &out, 0) < 0) {
    snprintf(buf, n, "certificate verification failed");
    return;
  }
  snprintf(buf, n, "%s", (const char *)out.data);
  gnutls_free(out.data);
}

const char *ftp_tls_version_name(gnutls_session_t s) {
  const char *v = gnutls_protocol_get_name(gnutls_protocol_get_version(s));
  return v != NULL ? v : "TLS";
}

int ftp_tls_is_resumed(gnutls_session_t s) {
  return s != NULL && gnutls_session_is_resumed(s) != 0;
}

void ftp_tls_describe(gnutls_session_t s, char *buf, size_t n) {
  const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(s));

  snprintf(buf, n, "%s %s%s", ftp_tls_version_name(s),
           cipher != NULL ? cipher : "?",
           gnutls_session_is_resumed(s) ? ", resumed" : "");
}
