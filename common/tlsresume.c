/*
 * tlsresume.c: the server's resumption issuer, the scopes of its control
 * sessions, and the GnuTLS hooks and cache callbacks that record what each
 * session was issued and judge what each data connection offers.
 */
#include "tlsresume.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "err.h"
#include "log.h"
#include "tlsmsg.h"

struct ftp_tls_issuer {
  gnutls_datum_t ticket_key;     /* the master key; GnuTLS rotates from it */
  struct ftp_tlsbind *record;
  struct ftp_tls_probe *waiting; /* data connections waiting for a login */
};

struct ftp_tls_resume {
  struct ftp_tls_issuer *iss;    /* for new sessions only */
  struct ftp_tlsbind_scope *scope;
  unsigned lifetime;
  int refs;                      /* the control session, plus data probes */
  struct ftp_tls_probe ctrl;     /* the control connection's hooks */
};

static void settle_waiting(void *arg);

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
    log_err_r(ftp_err_gnutls(g), "ticket key");
    ftp_tls_issuer_free(iss);
    return FTP_E_TLS;
  }
  ftp_tlsbind_on_change(iss->record, settle_waiting, iss);
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
  /* Scopes may outlive us: they must not call back into freed memory. */
  ftp_tlsbind_on_change(iss->record, NULL, NULL);
  ftp_tlsbind_free(iss->record);
  free(iss);
}

int ftp_tls_issuer_set_key(struct ftp_tls_issuer *iss, const unsigned char *key,
                           size_t len) {
  unsigned char *copy;

  if (len != iss->ticket_key.size)
    return FTP_E_BAD_ARG;
  if ((copy = gnutls_malloc(len)) == NULL)
    return FTP_E_NOMEM;
  memcpy(copy, key, len);
  gnutls_memset(iss->ticket_key.data, 0, iss->ticket_key.size);
  gnutls_free(iss->ticket_key.data);
  iss->ticket_key.data = copy;
  return 0;
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

void ftp_tls_resume_set_peer(struct ftp_tls_resume *res,
                             const struct sockaddr_storage *addr) {
  ftp_tlsbind_scope_set_peer(res->scope, addr);
}

/* --- what the hooks see --------------------------------------------------- */

static void keep_key(const struct ftp_tlsmsg_span *id, struct ftp_tlsbind_key *k,
                     int *have) {
  *have = ftp_tlsbind_key_of(id->p, id->n, k) == 0;
}

/* A data connection's ClientHello (twice after a HelloRetryRequest): keep
 * every identity it offers, to judge them all once the handshake is over;
 * which of them GnuTLS uses depends on the version it settles on. */
static void keep_offers(struct ftp_tls_probe *p, const struct ftp_tlsmsg_hello *h) {
  size_t i;
  int ok;

  for (i = 0; i < h->npsk; i++) {
    if (p->npsk == FTP_TLS_PSK_IDS_MAX) {
      p->psk_more = 1;
      break;
    }
    keep_key(&h->psk[i], &p->psk[p->npsk], &ok);
    if (ok)
      p->npsk++;
    else
      p->psk_more = 1; /* not looked at: judged UNKNOWN */
  }
  if (h->psk_more > 0)
    p->psk_more = 1;
  if (h->has_ticket_ext && h->ticket.n > 0)
    keep_key(&h->ticket, &p->ticket, &p->has_ticket);
}

/* A control connection's ClientHello: note what it may resume, to record
 * it under the control session's own scope once the handshake succeeded. */
static void note_offers(struct ftp_tls_probe *p, const struct ftp_tlsmsg_hello *h) {
  int ok = 0;

  p->has_adopt_psk = 0;
  if (h->npsk == 1 && h->psk_more == 0) {
    keep_key(&h->psk[0], &p->adopt_psk, &ok);
    p->has_adopt_psk = (unsigned char)ok;
  }
  ok = 0;
  if (h->has_ticket_ext && h->ticket.n > 0)
    keep_key(&h->ticket, &p->adopt_ticket, &ok);
  p->has_adopt_ticket = (unsigned char)ok;
}

static void saw_client_hello(struct ftp_tls_probe *p, const gnutls_datum_t *msg) {
  struct ftp_tlsmsg_hello h;
  int r;

  if ((r = ftp_tlsmsg_client_hello(msg->data, msg->size, &h)) != 0) {
    /* GnuTLS refuses most of what we refuse; whatever it takes anyway
     * resumes no data connection. */
    log_info_r(r, "TLS ClientHello: malformed resumption extensions");
    p->malformed = 1;
    return;
  }
  if (p->data_conn)
    keep_offers(p, &h);
  else
    note_offers(p, &h);
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
    log_warn_r(r, "session ticket not recorded (it will resume no data connection)");
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

/*
 * A session ID that no live record holds is no identity of ours (clients
 * that offer a ticket send a random one): it is passed over.  One of ours
 * that refuses this data connection is not resumed at all, and why is
 * remembered; one that accepts it, or waits for a login, is resumed and
 * judged again after the handshake.
 */
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
  v = ftp_tlsbind_judge(p->res->scope, FTP_TLSBIND_SESSION_ID, &k, now, NULL);
  if (!ftp_tlsbind_accepts(v) && v != FTP_TLSBIND_PENDING) {
    p->sid_verdict = p->sid_refused ? ftp_tlsbind_worse(p->sid_verdict, v) : v;
    p->sid_refused = 1;
    return none;
  }
  p->sid = k;
  p->has_sid = 1;
  return copy_out(&f);
}

static int cache_remove(void *ptr, gnutls_datum_t key) {
  (void)ptr;
  (void)key;
  return 0; /* records age out of their scope's ring */
}

int ftp__tls_resume_attach(gnutls_session_t s, struct ftp_tls_resume *res,
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

/* --- verdicts ------------------------------------------------------------- */

static enum ftp_tlsbind_verdict judge_key(const struct ftp_tls_probe *p,
                                          enum ftp_tlsbind_kind kind,
                                          const struct ftp_tlsbind_key *k) {
  return ftp_tlsbind_judge(p->res->scope, kind, k, time(NULL), NULL);
}

/* The verdict from what the probe kept; again and again while PENDING. */
static enum ftp_tlsbind_verdict judge_probe(const struct ftp_tls_probe *p) {
  enum ftp_tlsbind_verdict v = FTP_TLSBIND_OWN;
  unsigned i;

  if (!p->resumed)
    return p->sid_refused ? p->sid_verdict : FTP_TLSBIND_NOT_RESUMED;
  if (p->res == NULL || p->malformed)
    return FTP_TLSBIND_UNKNOWN;
  if (p->tls13) {
    if (p->npsk == 0 || p->psk_more)
      return FTP_TLSBIND_UNKNOWN;
    for (i = 0; i < p->npsk; i++)
      v = ftp_tlsbind_worse(v, judge_key(p, FTP_TLSBIND_TICKET, &p->psk[i]));
    return v;
  }
  /* TLS 1.2: GnuTLS tries the session ID first, then the ticket. */
  if (!p->has_sid && !p->has_ticket)
    return FTP_TLSBIND_UNKNOWN;
  if (p->sid_refused)
    v = p->sid_verdict;
  if (p->has_sid)
    v = ftp_tlsbind_worse(v, judge_key(p, FTP_TLSBIND_SESSION_ID, &p->sid));
  if (p->has_ticket)
    v = ftp_tlsbind_worse(v, judge_key(p, FTP_TLSBIND_TICKET, &p->ticket));
  return v;
}

enum ftp_tlsbind_verdict ftp_tls_probe_verdict(struct ftp_tls_probe *p,
                                               gnutls_session_t s) {
  p->judged = 1;
  p->resumed = gnutls_session_is_resumed(s) != 0;
  p->tls13 = gnutls_protocol_get_version(s) == GNUTLS_TLS1_3;
  return judge_probe(p);
}

static void unlink_waiting(struct ftp_tls_probe *p) {
  struct ftp_tls_issuer *iss = p->res->iss;

  if (p->wait_prev != NULL)
    p->wait_prev->wait_next = p->wait_next;
  else
    iss->waiting = p->wait_next;
  if (p->wait_next != NULL)
    p->wait_next->wait_prev = p->wait_prev;
  p->wait_prev = p->wait_next = NULL;
  p->wait_cb = NULL;
}

void ftp_tls_probe_wait(struct ftp_tls_probe *p, ftp_tls_probe_cb *cb) {
  struct ftp_tls_issuer *iss = p->res->iss;

  p->wait_cb = cb;
  p->wait_prev = NULL;
  p->wait_next = iss->waiting;
  if (iss->waiting != NULL)
    iss->waiting->wait_prev = p;
  iss->waiting = p;
}

/* A login, a logout or an end: settle every waiting data connection whose
 * verdict it decided.  A callback may clear other probes, so the walk starts
 * over after each one (the list is short: connections mid-login). */
static void settle_waiting(void *arg) {
  struct ftp_tls_issuer *iss = arg;
  struct ftp_tls_probe *p;
  enum ftp_tlsbind_verdict v;
  ftp_tls_probe_cb *cb;

  for (p = iss->waiting; p != NULL;) {
    v = judge_probe(p);
    if (v == FTP_TLSBIND_PENDING) {
      p = p->wait_next;
      continue;
    }
    cb = p->wait_cb;
    unlink_waiting(p);
    cb(p, v);
    p = iss->waiting;
  }
}

void ftp_tls_probe_clear(struct ftp_tls_probe *p) {
  if (p->wait_cb != NULL)
    unlink_waiting(p);
  if (p->res != NULL && p->data_conn)
    resume_unref(p->res);
  memset(p, 0, sizeof(*p));
}

/* --- control connections and logs ---------------------------------------- */

void ftp_tls_control_secured(gnutls_session_t s) {
  struct ftp_tls_probe *p = gnutls_session_get_ptr(s);
  struct ftp_tlsbind_found f = {NULL, 0, 0};
  struct ftp_tlsbind_scope *sc;

  if (p == NULL || p->res == NULL || p->data_conn || !gnutls_session_is_resumed(s))
    return;
  sc = p->res->scope;
  if (gnutls_protocol_get_version(s) == GNUTLS_TLS1_3) {
    if (p->has_adopt_psk)
      ftp_tlsbind_record(sc, FTP_TLSBIND_TICKET, &p->adopt_psk, NULL, 0, 0);
  } else if (p->has_adopt_sid) {
    if (ftp_tlsbind_lookup(ftp_tlsbind_of(sc), FTP_TLSBIND_SESSION_ID, &p->adopt_sid,
                           time(NULL), &f))
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
