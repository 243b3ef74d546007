/*
 * tls.c: GnuTLS credentials, priorities, the server's resumption issuer and
 * scopes, the handshake hooks that record and judge resumption identities,
 * and session set-up for both roles.
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
#include "tlsmsg.h"

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

struct ftp_tls_issuer {
  gnutls_datum_t ticket_key;     /* the master key; GnuTLS rotates from it */
  struct ftp_tlsbind *record;
};

struct ftp_tls_resume {
  struct ftp_tls_issuer *iss;
  struct ftp_tlsbind_scope *scope;
  unsigned lifetime;
  int refs;                      /* the control session, plus data probes */
  struct ftp_tls_probe ctrl;     /* the control connection's hooks */
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
  ftp_buf_init(&prio, 4096);
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

/* --- the issuer and its scopes -------------------------------------------- */

int ftp_tls_issuer_new(struct ftp_tls_issuer **out) {
  struct ftp_tls_issuer *iss;
  int g, r;

  *out = NULL;
  if ((iss = calloc(1, sizeof(*iss))) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp_tlsbind_new(&iss->record)) != 0) {
    free(iss);
    return r;
  }
  if ((g = gnutls_session_ticket_key_generate(&iss->ticket_key)) < 0) {
    log_err("ticket key: %s", gnutls_strerror(g));
    ftp_tls_issuer_free(iss);
    return FTP_E_TLS;
  }
  *out = iss;
  return 0;
}

void ftp_tls_issuer_free(struct ftp_tls_issuer *iss) {
  if (iss == NULL)
    return;
  if (iss->ticket_key.data != NULL) {
    gnutls_memset(iss->ticket_key.data, 0, iss->ticket_key.size);
    gnutls_free(iss->ticket_key.data);
  }
  ftp_tlsbind_free(iss->record);
  free(iss);
}

const struct ftp_tlsbind *ftp_tls_issuer_record(const struct ftp_tls_issuer *iss) {
  return iss->record;
}

int ftp_tls_resume_new(struct ftp_tls_issuer *iss, struct ftp_tls_resume **out,
                       unsigned lifetime) {
  struct ftp_tls_resume *res;
  int r;

  *out = NULL;
  if ((res = calloc(1, sizeof(*res))) == NULL)
    return FTP_E_NOMEM;
  if ((r = ftp_tlsbind_scope_new(iss->record, &res->scope)) != 0) {
    free(res);
    return r;
  }
  res->iss = iss;
  res->lifetime = lifetime;
  res->refs = 1;
  *out = res;
  return 0;
}

static void resume_unref(struct ftp_tls_resume *res) {
  if (--res->refs > 0)
    return;
  ftp_tlsbind_scope_free(res->scope);
  free(res);
}

void ftp_tls_resume_free(struct ftp_tls_resume *res) {
  if (res == NULL)
    return;
  /* Security: at once, not when the last data connection lets go: a
   * session of an ended control connection binds nothing. */
  ftp_tlsbind_scope_end(res->scope);
  resume_unref(res);
}

int ftp_tls_resume_set_principal(struct ftp_tls_resume *res, const char *user,
                                 int anonymous, const struct sockaddr_storage *addr) {
  return ftp_tlsbind_scope_set_principal(res->scope, user, anonymous, addr);
}

void ftp_tls_resume_clear_principal(struct ftp_tls_resume *res) {
  ftp_tlsbind_scope_clear_principal(res->scope);
}

void ftp_tls_probe_clear(struct ftp_tls_probe *p) {
  if (p->res != NULL && p->data_conn)
    resume_unref(p->res);
  memset(p, 0, sizeof(*p));
}

/* --- what the hooks see --------------------------------------------------- */

static void judge_identity(const struct ftp_tls_probe *p, const struct ftp_tlsmsg_span *id,
                           enum ftp_tlsbind_kind kind, time_t now,
                           enum ftp_tlsbind_verdict *worst) {
  struct ftp_tlsbind_key key;
  enum ftp_tlsbind_verdict v = FTP_TLSBIND_UNKNOWN;

  if (ftp_tlsbind_key_of(id->p, id->n, &key) == 0)
    v = ftp_tlsbind_judge(p->res->scope, kind, &key, now, NULL);
  *worst = ftp_tlsbind_worse(*worst, v);
}

/* A data connection's ClientHello (twice after a HelloRetryRequest): judge
 * every identity it offers.  Which one GnuTLS resumes depends on the
 * version it settles on; ftp_tls_probe_verdict picks the right set. */
static void judge_hello(struct ftp_tls_probe *p, const struct ftp_tlsmsg_hello *h) {
  time_t now = time(NULL);
  size_t i;

  for (i = 0; i < h->npsk; i++, p->psk_offered++)
    judge_identity(p, &h->psk[i], FTP_TLSBIND_TICKET, now, &p->psk);
  if (h->psk_more > 0) {
    p->psk_offered++;
    p->psk = FTP_TLSBIND_UNKNOWN; /* identities we did not look at */
  }
  if (h->has_ticket_ext && h->ticket.n > 0) {
    p->ticket_offered = 1;
    judge_identity(p, &h->ticket, FTP_TLSBIND_TICKET, now, &p->ticket);
  }
}

/* A control connection's ClientHello: note what it may resume, to record
 * it under the control session's own scope once the handshake succeeded. */
static void note_hello(struct ftp_tls_probe *p, const struct ftp_tlsmsg_hello *h) {
  p->has_adopt_psk = h->npsk == 1 && h->psk_more == 0 &&
                     ftp_tlsbind_key_of(h->psk[0].p, h->psk[0].n, &p->adopt_psk) == 0;
  p->has_adopt_ticket = h->has_ticket_ext && h->ticket.n > 0 &&
                        ftp_tlsbind_key_of(h->ticket.p, h->ticket.n, &p->adopt_ticket) == 0;
}

static void saw_client_hello(struct ftp_tls_probe *p, const gnutls_datum_t *msg) {
  struct ftp_tlsmsg_hello h;

  if (ftp_tlsmsg_client_hello(msg->data, msg->size, &h) != 0) {
    /* GnuTLS refuses most of what we refuse; whatever it takes anyway
     * resumes no data connection. */
    log_info("TLS ClientHello: malformed resumption extensions");
    p->malformed = 1;
    return;
  }
  if (p->data_conn)
    judge_hello(p, &h);
  else
    note_hello(p, &h);
}

/* Every ticket we send is recorded under the scope it was sent in. */
static void sent_ticket(struct ftp_tls_probe *p, gnutls_session_t s,
                        const gnutls_datum_t *msg) {
  int tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
  struct ftp_tlsmsg_span t;
  struct ftp_tlsbind_key key;
  int r;

  if ((r = ftp_tlsmsg_ticket(msg->data, msg->size, tls13, &t)) != 0 || t.n == 0)
    return;
  if ((r = ftp_tlsbind_key_of(t.p, t.n, &key)) != 0 ||
      (r = ftp_tlsbind_record(p->res->scope, FTP_TLSBIND_TICKET, &key, NULL, 0, 0)) != 0)
    log_warn("session ticket not recorded (it will resume no data connection): %s",
             ftp_strerror(r));
}

static int hook_cb(gnutls_session_t s, unsigned htype, unsigned when,
                   unsigned incoming, const gnutls_datum_t *msg) {
  struct ftp_tls_probe *p = gnutls_session_get_ptr(s);

  if (p == NULL || p->res == NULL)
    return 0;
  if (incoming) {
    if (when == GNUTLS_HOOK_PRE && htype == GNUTLS_HANDSHAKE_CLIENT_HELLO)
      saw_client_hello(p, msg);
    return 0;
  }
  if (when != GNUTLS_HOOK_POST)
    return 0;
  switch (htype) {
  case GNUTLS_HANDSHAKE_HELLO_RETRY_REQUEST:
    p->hello_retries++;
    p->server_hellos++;
    log_debug("TLS HelloRetryRequest sent: no key share for our group");
    break;
  case GNUTLS_HANDSHAKE_SERVER_HELLO:
    p->server_hellos++;
    break;
  case GNUTLS_HANDSHAKE_NEW_SESSION_TICKET:
    sent_ticket(p, s, msg);
    break;
  default:
    break;
  }
  return 0;
}

/* --- the TLS 1.2 session cache (gnutls_db_set_*), process-wide ------------ */

static int cache_store(void *ptr, gnutls_datum_t key, gnutls_datum_t data) {
  struct ftp_tls_probe *p = ptr;
  struct ftp_tlsbind_key k;

  if (ftp_tlsbind_key_of(key.data, key.size, &k) != 0 ||
      ftp_tlsbind_record(p->res->scope, FTP_TLSBIND_SESSION_ID, &k, data.data,
                         data.size, time(NULL) + (time_t)p->res->lifetime) != 0)
    return -1;
  return 0;
}

static gnutls_datum_t copy_out(const struct ftp_tlsbind_found *f) {
  gnutls_datum_t out = {NULL, 0};

  /* GnuTLS frees what we return with gnutls_free. */
  if (f->data == NULL || (out.data = gnutls_malloc(f->len)) == NULL)
    return out;
  memcpy(out.data, f->data, f->len);
  out.size = (unsigned)f->len;
  return out;
}

/* A session ID that no live record holds is no identity of ours (clients
 * that offer a ticket send a random one): it is passed over.  One of ours
 * that does not bind a data connection is refused here, and remembered. */
static gnutls_datum_t cache_retrieve(void *ptr, gnutls_datum_t key) {
  struct ftp_tls_probe *p = ptr;
  const struct ftp_tlsbind *rec = ftp_tlsbind_of(p->res->scope);
  struct ftp_tlsbind_found f = {NULL, 0, 0};
  struct ftp_tlsbind_key k;
  gnutls_datum_t none = {NULL, 0};
  enum ftp_tlsbind_verdict v;
  time_t now = time(NULL);

  if (ftp_tlsbind_key_of(key.data, key.size, &k) != 0 ||
      !ftp_tlsbind_lookup(rec, FTP_TLSBIND_SESSION_ID, &k, now, &f))
    return none;
  if (!p->data_conn) {
    p->adopt_sid = k;
    p->has_adopt_sid = 1;
    return copy_out(&f);
  }
  v = ftp_tlsbind_judge(p->res->scope, FTP_TLSBIND_SESSION_ID, &k, now, &f);
  p->cache = p->cache_offered ? ftp_tlsbind_worse(p->cache, v) : v;
  p->cache_offered = 1;
  return ftp_tlsbind_accepts(v) ? copy_out(&f) : none;
}

static int cache_remove(void *ptr, gnutls_datum_t key) {
  (void)ptr;
  (void)key;
  return 0; /* records age out of their scope's ring */
}

/* --- verdicts ------------------------------------------------------------- */

enum ftp_tlsbind_verdict ftp_tls_probe_verdict(const struct ftp_tls_probe *p,
                                               gnutls_session_t s) {
  enum ftp_tlsbind_verdict v;

  /* A TLS 1.2 session ID of ours that binds nothing was not resumed
   * (cache_retrieve refused it): that is the reason, not the full
   * handshake that followed. */
  if (!ftp_tls_is_resumed(s))
    return p->cache_offered && !ftp_tlsbind_accepts(p->cache) ? p->cache
                                                               : FTP_TLSBIND_NOT_RESUMED;
  if (p->res == NULL || p->malformed)
    return FTP_TLSBIND_UNKNOWN;
  if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3)
    return p->psk_offered > 0 ? p->psk : FTP_TLSBIND_UNKNOWN;
  /* TLS 1.2: GnuTLS tries the session ID first, then the ticket. */
  if (!p->cache_offered && !p->ticket_offered)
    return FTP_TLSBIND_UNKNOWN;
  v = p->cache_offered ? p->cache : FTP_TLSBIND_OWN;
  return p->ticket_offered ? ftp_tlsbind_worse(v, p->ticket) : v;
}

int ftp_tls_is_resumed(gnutls_session_t s) {
  return s != NULL && gnutls_session_is_resumed(s) != 0;
}

void ftp_tls_control_secured(gnutls_session_t s) {
  struct ftp_tls_probe *p = gnutls_session_get_ptr(s);
  struct ftp_tlsbind_found f = {NULL, 0, 0};
  struct ftp_tlsbind_scope *sc;

  if (p == NULL || p->res == NULL || p->data_conn || !ftp_tls_is_resumed(s))
    return;
  sc = p->res->scope;
  if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3) {
    if (p->has_adopt_psk)
      ftp_tlsbind_record(sc, FTP_TLSBIND_TICKET, &p->adopt_psk, NULL, 0, 0);
  } else if (p->has_adopt_sid) {
    if (ftp_tlsbind_lookup(ftp_tlsbind_of(sc), FTP_TLSBIND_SESSION_ID,
                           &p->adopt_sid, time(NULL), &f))
      ftp_tlsbind_record(sc, FTP_TLSBIND_SESSION_ID, &p->adopt_sid, f.data, f.len,
                         f.expires);
  } else if (p->has_adopt_ticket) {
    ftp_tlsbind_record(sc, FTP_TLSBIND_TICKET, &p->adopt_ticket, NULL, 0, 0);
  }
}

void ftp_tls_handshake_summary(gnutls_session_t s, char *buf, size_t n) {
  const struct ftp_tls_probe *p = gnutls_session_get_ptr(s);
  const char *group = gnutls_group_get_name(gnutls_group_get(s));

  if (group == NULL)
    group = "no group";
  if (p == NULL)
    snprintf(buf, n, "%s", group);
  else
    snprintf(buf, n, "%s, %u ServerHello, %u HelloRetryRequest", group,
             p->server_hellos, p->hello_retries);
}

/* --- sessions ------------------------------------------------------------- */

static int common_setup(gnutls_session_t s, struct ftp_tls_ctx *ctx) {
  int g;

  if ((g = gnutls_priority_set(s, ctx->prio)) < 0 ||
      (g = gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, ctx->cred)) < 0) {
    log_err("session set-up: %s", gnutls_strerror(g));
    return FTP_E_TLS;
  }
  /* Timeouts are libuv timers owned by the caller; GnuTLS's own handshake
   * timer would need a blocking pull-timeout function. */
  gnutls_handshake_set_timeout(s, 0);
  return 0;
}

/* Tickets, the process-wide cache, and the hooks that watch the handshake
 * into probe (a control session's: the scope's own). */
static int enable_resumption(gnutls_session_t s, struct ftp_tls_resume *res,
                             struct ftp_tls_probe *probe) {
  int g;

  if ((g = gnutls_session_ticket_enable_server(s, &res->iss->ticket_key)) < 0)
    return g;
  if (probe == NULL) {
    probe = &res->ctrl;
    memset(probe, 0, sizeof(*probe));
  } else {
    memset(probe, 0, sizeof(*probe));
    probe->data_conn = 1;
    res->refs++;
  }
  probe->res = res;
  gnutls_session_set_ptr(s, probe);
  gnutls_handshake_set_hook_function(s, GNUTLS_HANDSHAKE_ANY, GNUTLS_HOOK_BOTH, hook_cb);
  gnutls_db_set_ptr(s, probe);
  gnutls_db_set_store_function(s, cache_store);
  gnutls_db_set_retrieve_function(s, cache_retrieve);
  gnutls_db_set_remove_function(s, cache_remove);
  gnutls_db_set_cache_expiration(s, (int)res->lifetime);
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
    log_err("gnutls_init: %s", gnutls_strerror(g));
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
  if (res != NULL && (g = enable_resumption(s, res, probe)) < 0)
    goto gfail;
  *out = s;
  return 0;
gfail:
  log_err("server session: %s", gnutls_strerror(g));
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
    log_debug("no resumption data: %s", gnutls_strerror(g));
    return 0;
  }
  g = gnutls_session_set_data(s, d.data, d.size);
  gnutls_free(d.data);
  if (g < 0)
    log_debug("resumption data refused: %s", gnutls_strerror(g));
  return 0;
}

int ftp_tls_client_session(struct ftp_tls_ctx *ctx, const char *host,
                           int verify, int verify_host,
                           gnutls_session_t resume_from, gnutls_session_t *out) {
  gnutls_session_t s = NULL;
  int g, r;

  *out = NULL;
  if ((g = gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK)) < 0) {
    log_err("gnutls_init: %s", gnutls_strerror(g));
    return FTP_E_TLS;
  }
  if ((r = common_setup(s, ctx)) != 0)
    goto fail;
  if ((g = gnutls_alpn_set_protocols(s, &alpn_ftp, 1, 0)) < 0)
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
  log_err("client session: %s", gnutls_strerror(g));
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
  log_err("server selected ALPN protocol '%.*s', not 'ftp'", (int)sel.size,
          sel.data);
  return FTP_E_TLS;
}

int ftp_tls_send_ticket(gnutls_session_t s) {
  int g;

  if (gnutls_protocol_get_version(s) != GNUTLS_TLS1_3)
    return 0;
  g = gnutls_session_ticket_send(s, 1, 0);
  if (g < 0 && g != GNUTLS_E_AGAIN) {
    log_warn("session ticket: %s", gnutls_strerror(g));
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
    log_warn("peer certificate: %s", gnutls_strerror(g));
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

void ftp_tls_describe(gnutls_session_t s, char *buf, size_t n) {
  const char *cipher = gnutls_cipher_get_name(gnutls_cipher_get(s));

  snprintf(buf, n, "%s %s%s", ftp_tls_version_name(s),
           cipher != NULL ? cipher : "?",
           gnutls_session_is_resumed(s) ? ", resumed" : "");
}
