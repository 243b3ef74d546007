/*
 * tlsmsg.c: bounded parsers for the resumption identities of a ClientHello
 * and the ticket of a NewSessionTicket.
 *
 * Every read goes through a cursor that knows how many bytes remain; a
 * length-prefixed vector becomes a cursor of its own, so a length can never
 * reach past its container.  Readers return 0 or FTP_E_PROTO and chain with
 * ||, as the buffer readers do.
 */
#include "tlsmsg.h"

#include <string.h>

#include "err.h"

struct cur {
  const unsigned char *p;
  size_t left;
};

static int take(struct cur *c, size_t n, struct ftp_tlsmsg_span *out) {
  if (n > c->left)
    return FTP_E_PROTO;
  if (out != NULL) {
    out->p = c->p;
    out->n = n;
  }
  c->p += n;
  c->left -= n;
  return 0;
}

static int get_uint(struct cur *c, size_t width, size_t *v) {
  struct ftp_tlsmsg_span s;
  size_t i;
  int r;

  if ((r = take(c, width, &s)) != 0)
    return r;
  *v = 0;
  for (i = 0; i < width; i++)
    *v = (*v << 8) | s.p[i];
  return 0;
}

/* A vector with a width-byte length prefix, as a span and as a cursor. */
static int get_vec(struct cur *c, size_t width, struct ftp_tlsmsg_span *out) {
  size_t len;
  int r;

  if ((r = get_uint(c, width, &len)) != 0)
    return r;
  return take(c, len, out);
}

static struct cur cur_of(struct ftp_tlsmsg_span s) {
  struct cur c = {s.p, s.n};
  return c;
}

/*
 * RFC 8446 section 4.2.11:
 *   struct { opaque identity<1..2^16-1>; uint32 obfuscated_ticket_age; }
 *   PskIdentity;
 *   struct { PskIdentity identities<7..2^16-1>;
 *            PskBinderEntry binders<33..2^16-1>; } OfferedPsks;
 * The binders are checked by GnuTLS; here they need only be well framed.
 */
static int parse_psk(struct ftp_tlsmsg_span ext, struct ftp_tlsmsg_hello *h) {
  struct ftp_tlsmsg_span ids, binders, id;
  struct cur c = cur_of(ext), ic;
  int r;

  if ((r = get_vec(&c, 2, &ids)) != 0 || (r = get_vec(&c, 2, &binders)) != 0)
    return r;
  if (c.left != 0 || ids.n == 0 || binders.n == 0)
    return FTP_E_PROTO;
  ic = cur_of(ids);
  while (ic.left > 0) {
    if ((r = get_vec(&ic, 2, &id)) != 0 || (r = take(&ic, 4, NULL)) != 0)
      return r;
    if (id.n == 0)
      return FTP_E_PROTO;
    if (h->npsk < FTP_TLS_PSK_IDS_MAX)
      h->psk[h->npsk++] = id;
    else
      h->psk_more++;
  }
  return 0;
}

static int parse_extension(unsigned type, struct ftp_tlsmsg_span body,
                           int last, struct ftp_tlsmsg_hello *h) {
  switch (type) {
  case FTP_TLSMSG_EXT_SESSION_TICKET:
    if (h->has_ticket_ext)
      return FTP_E_PROTO;
    h->has_ticket_ext = 1;
    h->ticket = body;
    return 0;
  case FTP_TLSMSG_EXT_PRE_SHARED_KEY:
    if (h->has_psk_ext || !last)
      return FTP_E_PROTO;
    h->has_psk_ext = 1;
    return parse_psk(body, h);
  default:
    return 0;
  }
}

static int parse_extensions(struct ftp_tlsmsg_span all, struct ftp_tlsmsg_hello *h) {
  struct cur c = cur_of(all);
  struct ftp_tlsmsg_span body;
  size_t type;
  int r;

  while (c.left > 0) {
    if ((r = get_uint(&c, 2, &type)) != 0 || (r = get_vec(&c, 2, &body)) != 0 ||
        (r = parse_extension((unsigned)type, body, c.left == 0, h)) != 0)
      return r;
  }
  return 0;
}

/*
 * struct { ProtocolVersion legacy_version; Random random[32];
 *          opaque legacy_session_id<0..32>;
 *          CipherSuite cipher_suites<2..2^16-2>;
 *          opaque legacy_compression_methods<1..2^8-1>;
 *          Extension extensions<8..2^16-1>; } ClientHello;
 * Before TLS 1.3 the extensions may be absent altogether.
 */
int ftp_tlsmsg_client_hello(const unsigned char *p, size_t n,
                            struct ftp_tlsmsg_hello *out) {
  struct cur c = {p, n};
  struct ftp_tlsmsg_span suites, comp, exts;
  int r;

  memset(out, 0, sizeof(*out));
  if ((r = take(&c, 2 + 32, NULL)) != 0 ||
      (r = get_vec(&c, 1, &out->session_id)) != 0 ||
      (r = get_vec(&c, 2, &suites)) != 0 || (r = get_vec(&c, 1, &comp)) != 0)
    goto fail;
  r = FTP_E_PROTO;
  if (out->session_id.n > 32 || suites.n == 0 || suites.n % 2 != 0 || comp.n == 0)
    goto fail;
  if (c.left > 0) {
    if ((r = get_vec(&c, 2, &exts)) != 0 || (r = parse_extensions(exts, out)) != 0)
      goto fail;
    r = FTP_E_PROTO;
    if (c.left != 0)
      goto fail;
  }
  return 0;
fail:
  memset(out, 0, sizeof(*out));
  return r;
}

int ftp_tlsmsg_ticket(const unsigned char *p, size_t n, int tls13,
                      struct ftp_tlsmsg_span *ticket) {
  struct cur c = {p, n};
  int r;

  memset(ticket, 0, sizeof(*ticket));
  if (tls13) {
    /* ticket_lifetime, ticket_age_add, ticket_nonce<0..255>,
     * ticket<1..2^16-1>, extensions<0..2^16-2> */
    if ((r = take(&c, 8, NULL)) != 0 || (r = get_vec(&c, 1, NULL)) != 0 ||
        (r = get_vec(&c, 2, ticket)) != 0 || (r = get_vec(&c, 2, NULL)) != 0)
      goto fail;
    r = FTP_E_PROTO;
    if (ticket->n == 0)
      goto fail;
  } else {
    /* ticket_lifetime_hint, ticket<0..2^16-1> */
    if ((r = take(&c, 4, NULL)) != 0 || (r = get_vec(&c, 2, ticket)) != 0)
      goto fail;
  }
  r = FTP_E_PROTO;
  if (c.left != 0)
    goto fail;
  return 0;
fail:
  memset(ticket, 0, sizeof(*ticket));
  return r;
}
