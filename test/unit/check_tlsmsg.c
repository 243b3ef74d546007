/*
 * check_tlsmsg.c: the ClientHello and NewSessionTicket parsers
 * (common/tlsmsg).
 *
 * Messages are built field by field (a small writer below), taken from a
 * real GnuTLS client (its first flight, captured by a push function), and
 * then broken: cut at every length, every byte changed, lengths blown up,
 * extensions repeated or misplaced, random bytes with a fixed seed.  A
 * message parses whole or is refused; nothing is read outside it (the
 * sanitizer build runs this suite too).
 *
 * Run one case:
 *   CK_RUN_SUITE=tlsmsg CK_RUN_CASE=hostile build/obj/test/unit/check_tlsmsg
 */
#include <check.h>
#include <errno.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "tlsmsg.h"

#define REQUIRE(c)                                                            \
  do {                                                                        \
    if (!(c))                                                                 \
      ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #c);                      \
  } while (0)

/* --- a message writer ------------------------------------------------------ */

struct w {
  unsigned char b[8192];
  size_t n;
};

static void put(struct w *w, const void *p, size_t n) {
  REQUIRE(w->n + n <= sizeof(w->b));
  memcpy(w->b + w->n, p, n);
  w->n += n;
}

static void put_uint(struct w *w, size_t width, size_t v) {
  size_t i;

  for (i = 0; i < width; i++)
    w->b[w->n + i] = (unsigned char)(v >> (8 * (width - 1 - i)));
  w->n += width;
}

/* A vector: its length prefix is patched by vec_end. */
static size_t vec_begin(struct w *w, size_t width) {
  size_t at = w->n;
  put_uint(w, width, 0);
  return at;
}

static void vec_end(struct w *w, size_t at, size_t width) {
  size_t len = w->n - at - width, save = w->n;

  w->n = at;
  put_uint(w, width, len);
  w->n = save;
}

static void put_ext(struct w *w, unsigned type, const void *p, size_t n) {
  put_uint(w, 2, type);
  put_uint(w, 2, n);
  put(w, p, n);
}

/* pre_shared_key with identities ids[0..n-1] ("id0", "id1"...) */
static void put_psk(struct w *w, size_t nids) {
  size_t ext, ids, id, i;
  char name[32];

  put_uint(w, 2, FTP_TLSMSG_EXT_PRE_SHARED_KEY);
  ext = vec_begin(w, 2);
  ids = vec_begin(w, 2);
  for (i = 0; i < nids; i++) {
    snprintf(name, sizeof(name), "id%zu", i);
    id = vec_begin(w, 2);
    put(w, name, strlen(name));
    vec_end(w, id, 2);
    put_uint(w, 4, 1000 + i);
  }
  vec_end(w, ids, 2);
  id = vec_begin(w, 2);
  for (i = 0; i < nids; i++) {
    put_uint(w, 1, 32);
    memset(w->b + w->n, 0xb1, 32);
    w->n += 32;
  }
  vec_end(w, id, 2);
  vec_end(w, ext, 2);
}

enum { WITH_TICKET = 1, EMPTY_TICKET = 2, NO_EXTENSIONS = 4, PSK_FIRST = 8 };

/* A ClientHello with session ID sid (may be ""), nids PSK identities. */
static void hello(struct w *w, const char *sid, size_t nids, int flags) {
  static const unsigned char suites[] = {0x13, 0x01, 0xc0, 0x2b};
  size_t exts;

  memset(w, 0, sizeof(*w));
  put_uint(w, 2, 0x0303);
  memset(w->b + w->n, 0x42, 32);
  w->n += 32;
  put_uint(w, 1, strlen(sid));
  put(w, sid, strlen(sid));
  put_uint(w, 2, sizeof(suites));
  put(w, suites, sizeof(suites));
  put_uint(w, 1, 1);
  put_uint(w, 1, 0);
  if (flags & NO_EXTENSIONS)
    return;
  exts = vec_begin(w, 2);
  put_ext(w, 0, "\0\0", 2); /* server_name, contents irrelevant here */
  if (flags & PSK_FIRST)
    put_psk(w, nids > 0 ? nids : 1);
  if (flags & WITH_TICKET)
    put_ext(w, FTP_TLSMSG_EXT_SESSION_TICKET, "TICKET-BYTES", 12);
  if (flags & EMPTY_TICKET)
    put_ext(w, FTP_TLSMSG_EXT_SESSION_TICKET, "", 0);
  put_ext(w, 43, "\x02\x03\x04", 3); /* supported_versions */
  if (nids > 0 && !(flags & PSK_FIRST))
    put_psk(w, nids);
  vec_end(w, exts, 2);
}

static int span_is(const struct ftp_tlsmsg_span *s, const char *want) {
  return s->n == strlen(want) && memcmp(s->p, want, s->n) == 0;
}

/* --- ClientHello ---------------------------------------------------------- */

START_TEST(test_hello_fields) {
  struct ftp_tlsmsg_hello h;
  struct w w;

  hello(&w, "0123456789abcdef0123456789abcdef", 2, WITH_TICKET);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), 0);
  ck_assert(span_is(&h.session_id, "0123456789abcdef0123456789abcdef"));
  ck_assert(h.has_ticket_ext);
  ck_assert(span_is(&h.ticket, "TICKET-BYTES"));
  ck_assert(h.has_psk_ext);
  ck_assert_uint_eq(h.npsk, 2);
  ck_assert(span_is(&h.psk[0], "id0"));
  ck_assert(span_is(&h.psk[1], "id1"));
  ck_assert_uint_eq(h.psk_more, 0);
  /* Spans point into the message, never at a copy. */
  ck_assert(h.psk[1].p > w.b && h.psk[1].p + h.psk[1].n <= w.b + w.n);

  hello(&w, "", 0, EMPTY_TICKET);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), 0);
  ck_assert_uint_eq(h.session_id.n, 0);
  ck_assert(h.has_ticket_ext);
  ck_assert_uint_eq(h.ticket.n, 0);
  ck_assert(!h.has_psk_ext);
  ck_assert_uint_eq(h.npsk, 0);

  /* TLS 1.2 allows a ClientHello without any extension. */
  hello(&w, "sid", 0, NO_EXTENSIONS);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), 0);
  ck_assert(span_is(&h.session_id, "sid"));
  ck_assert(!h.has_ticket_ext && !h.has_psk_ext);
}
END_TEST

START_TEST(test_hello_many_identities) {
  struct ftp_tlsmsg_hello h;
  struct w w;

  hello(&w, "", FTP_TLS_PSK_IDS_MAX, 0);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), 0);
  ck_assert_uint_eq(h.npsk, FTP_TLS_PSK_IDS_MAX);
  ck_assert_uint_eq(h.psk_more, 0);
  hello(&w, "", FTP_TLS_PSK_IDS_MAX + 5, 0);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), 0);
  ck_assert_uint_eq(h.npsk, FTP_TLS_PSK_IDS_MAX);
  ck_assert_uint_eq(h.psk_more, 5);
  ck_assert(span_is(&h.psk[FTP_TLS_PSK_IDS_MAX - 1], "id7"));
}
END_TEST

/* Shapes GnuTLS refuses too: a ClientHello that has them resumes nothing. */
START_TEST(test_hello_refused_shapes) {
  struct ftp_tlsmsg_hello h;
  struct w w, x;
  size_t exts;

  /* pre_shared_key not last (RFC 8446 section 4.2.11). */
  hello(&w, "", 1, PSK_FIRST);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), FTP_E_PROTO);
  ck_assert_uint_eq(h.npsk, 0); /* zeroed on refusal */
  /* A session ticket extension twice. */
  memset(&x, 0, sizeof(x));
  put_uint(&x, 2, 0x0303);
  memset(x.b + x.n, 0, 32);
  x.n += 32;
  put_uint(&x, 1, 0);
  put_uint(&x, 2, 2);
  put_uint(&x, 2, 0x1301);
  put_uint(&x, 1, 1);
  put_uint(&x, 1, 0);
  exts = vec_begin(&x, 2);
  put_ext(&x, FTP_TLSMSG_EXT_SESSION_TICKET, "a", 1);
  put_ext(&x, FTP_TLSMSG_EXT_SESSION_TICKET, "b", 1);
  vec_end(&x, exts, 2);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(x.b, x.n, &h), FTP_E_PROTO);
  /* A session ID longer than 32 bytes. */
  hello(&w, "0123456789abcdef0123456789abcdefX", 0, 0);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), FTP_E_PROTO);
  /* Bytes after the extensions. */
  hello(&w, "", 1, 0);
  w.b[w.n++] = 0;
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, w.n, &h), FTP_E_PROTO);
  /* Nothing at all, and NULL with length 0. */
  ck_assert_int_eq(ftp_tlsmsg_client_hello(w.b, 0, &h), FTP_E_PROTO);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(NULL, 0, &h), FTP_E_PROTO);
}
END_TEST

/* Cut at every length: refused, except right before the extensions (a
 * valid ClientHello without any), which then offers nothing. */
START_TEST(test_hello_truncated) {
  struct ftp_tlsmsg_hello h;
  struct w w;
  size_t cut, no_ext_len;
  unsigned char *copy;

  hello(&w, "sid", 0, NO_EXTENSIONS);
  no_ext_len = w.n;
  hello(&w, "sid", 3, WITH_TICKET);
  for (cut = 0; cut < w.n; cut++) {
    /* An exact-size heap copy: the sanitizer sees any read past it. */
    copy = malloc(cut > 0 ? cut : 1);
    REQUIRE(copy != NULL);
    memcpy(copy, w.b, cut);
    if (cut == no_ext_len) {
      REQUIRE(ftp_tlsmsg_client_hello(copy, cut, &h) == 0);
      REQUIRE(h.npsk == 0 && !h.has_ticket_ext);
    } else {
      REQUIRE(ftp_tlsmsg_client_hello(copy, cut, &h) == FTP_E_PROTO);
    }
    free(copy);
  }
}
END_TEST

/* Every byte set to every interesting value: never a read outside the
 * message, and an accepted result always lies inside it. */
START_TEST(test_hello_hostile) {
  static const unsigned char vals[] = {0x00, 0x01, 0x20, 0x21, 0x7f, 0x80, 0xff};
  struct ftp_tlsmsg_hello h;
  struct w w;
  unsigned char *copy;
  size_t i, v, k;

  hello(&w, "0123", 3, WITH_TICKET);
  copy = malloc(w.n);
  REQUIRE(copy != NULL);
  for (i = 0; i < w.n; i++) {
    for (v = 0; v < sizeof(vals); v++) {
      memcpy(copy, w.b, w.n);
      copy[i] = vals[v];
      if (ftp_tlsmsg_client_hello(copy, w.n, &h) != 0)
        continue;
      REQUIRE(h.session_id.n <= 32);
      REQUIRE(h.npsk <= FTP_TLS_PSK_IDS_MAX);
      for (k = 0; k < h.npsk; k++)
        REQUIRE(h.psk[k].n > 0 && h.psk[k].p >= copy &&
                h.psk[k].p + h.psk[k].n <= copy + w.n);
      REQUIRE(h.ticket.n == 0 ||
              (h.ticket.p >= copy && h.ticket.p + h.ticket.n <= copy + w.n));
    }
  }
  free(copy);
}
END_TEST

/* Random bytes and random lengths, fixed seed. */
START_TEST(test_hello_random) {
  struct ftp_tlsmsg_hello h;
  struct ftp_tlsmsg_span t;
  unsigned seed = 20240;
  unsigned char *buf;
  size_t round, n, i;

  for (round = 0; round < 20000; round++) {
    n = (size_t)rand_r(&seed) % 300;
    buf = malloc(n > 0 ? n : 1);
    REQUIRE(buf != NULL);
    for (i = 0; i < n; i++)
      buf[i] = (unsigned char)rand_r(&seed);
    /* Plausible headers more often than chance would give them. */
    if (n > 40 && round % 2 == 0) {
      buf[34] = (unsigned char)(rand_r(&seed) % 33);
    }
    (void)ftp_tlsmsg_client_hello(buf, n, &h);
    REQUIRE(h.npsk <= FTP_TLS_PSK_IDS_MAX);
    (void)ftp_tlsmsg_ticket(buf, n, (int)(round & 1), &t);
    REQUIRE(t.n <= n);
    free(buf);
  }
}
END_TEST

/* --- a real ClientHello from GnuTLS ------------------------------------- */

struct capture {
  unsigned char b[16384];
  size_t n;
};

static ssize_t capture_push(gnutls_transport_ptr_t ptr, const void *p, size_t n) {
  struct capture *c = ptr;

  if (n > sizeof(c->b) - c->n)
    n = sizeof(c->b) - c->n;
  memcpy(c->b + c->n, p, n);
  c->n += n;
  return (ssize_t)n;
}

static ssize_t nothing_pull(gnutls_transport_ptr_t ptr, void *p, size_t n) {
  (void)ptr;
  (void)p;
  (void)n;
  errno = EAGAIN; /* GnuTLS's default errno function reads it */
  return -1;
}

START_TEST(test_hello_from_gnutls) {
  gnutls_certificate_credentials_t cred;
  gnutls_session_t s;
  struct capture cap = {{0}, 0};
  struct ftp_tlsmsg_hello h;
  size_t len;

  ck_assert_int_eq(gnutls_certificate_allocate_credentials(&cred), 0);
  ck_assert_int_eq(gnutls_init(&s, GNUTLS_CLIENT | GNUTLS_NONBLOCK), 0);
  ck_assert_int_eq(gnutls_set_default_priority(s), 0);
  ck_assert_int_eq(gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred), 0);
  gnutls_transport_set_ptr(s, &cap);
  gnutls_transport_set_push_function(s, capture_push);
  gnutls_transport_set_pull_function(s, nothing_pull);
  ck_assert_int_eq(gnutls_handshake(s), GNUTLS_E_AGAIN);
  /* One record: type 22, version, length; then the handshake header:
   * type 1 (ClientHello), 24-bit length. */
  ck_assert_uint_ge(cap.n, 9);
  ck_assert_uint_eq(cap.b[0], 22);
  ck_assert_uint_eq(cap.b[5], 1);
  len = ((size_t)cap.b[6] << 16) | ((size_t)cap.b[7] << 8) | cap.b[8];
  ck_assert_uint_eq(len + 9, cap.n);
  ck_assert_int_eq(ftp_tlsmsg_client_hello(cap.b + 9, len, &h), 0);
  /* GnuTLS asks for a TLS 1.2 ticket (empty extension) and, with no
   * session to resume, offers no PSK. */
  ck_assert(h.has_ticket_ext);
  ck_assert_uint_eq(h.ticket.n, 0);
  ck_assert_uint_eq(h.npsk, 0);
  gnutls_deinit(s);
  gnutls_certificate_free_credentials(cred);
}
END_TEST

/* --- NewSessionTicket ----------------------------------------------------- */

START_TEST(test_ticket_tls13) {
  struct ftp_tlsmsg_span t;
  struct w w;
  size_t v;

  memset(&w, 0, sizeof(w));
  put_uint(&w, 4, 7200);
  put_uint(&w, 4, 0x12345678);
  v = vec_begin(&w, 1);
  put(&w, "\x01\x02", 2);
  vec_end(&w, v, 1);
  v = vec_begin(&w, 2);
  put(&w, "the-ticket", 10);
  vec_end(&w, v, 2);
  v = vec_begin(&w, 2);
  put_ext(&w, 42, "\0\0\0\0", 4);
  vec_end(&w, v, 2);
  ck_assert_int_eq(ftp_tlsmsg_ticket(w.b, w.n, 1, &t), 0);
  ck_assert(span_is(&t, "the-ticket"));
  /* As TLS 1.2 it is malformed (bytes left over). */
  ck_assert_int_eq(ftp_tlsmsg_ticket(w.b, w.n, 0, &t), FTP_E_PROTO);
  ck_assert_uint_eq(t.n, 0);
  /* Cut anywhere: refused. */
  for (v = 0; v < w.n; v++)
    REQUIRE(ftp_tlsmsg_ticket(w.b, v, 1, &t) == FTP_E_PROTO);
}
END_TEST

START_TEST(test_ticket_tls12) {
  struct ftp_tlsmsg_span t;
  struct w w;
  size_t v;

  memset(&w, 0, sizeof(w));
  put_uint(&w, 4, 7200);
  v = vec_begin(&w, 2);
  put(&w, "t12", 3);
  vec_end(&w, v, 2);
  ck_assert_int_eq(ftp_tlsmsg_ticket(w.b, w.n, 0, &t), 0);
  ck_assert(span_is(&t, "t12"));
  /* An empty TLS 1.2 ticket is allowed (RFC 5077 3.3); empty in TLS 1.3 not. */
  memset(&w, 0, sizeof(w));
  put_uint(&w, 4, 0);
  put_uint(&w, 2, 0);
  ck_assert_int_eq(ftp_tlsmsg_ticket(w.b, w.n, 0, &t), 0);
  ck_assert_uint_eq(t.n, 0);
  memset(&w, 0, sizeof(w));
  put_uint(&w, 8, 0);
  put_uint(&w, 1, 0);
  put_uint(&w, 2, 0);
  put_uint(&w, 2, 0);
  ck_assert_int_eq(ftp_tlsmsg_ticket(w.b, w.n, 1, &t), FTP_E_PROTO);
}
END_TEST

static Suite *tlsmsg_suite(void) {
  Suite *s = suite_create("tlsmsg");
  TCase *tc;

  tc = tcase_create("hello");
  tcase_add_test(tc, test_hello_fields);
  tcase_add_test(tc, test_hello_many_identities);
  tcase_add_test(tc, test_hello_refused_shapes);
  tcase_add_test(tc, test_hello_from_gnutls);
  suite_add_tcase(s, tc);

  tc = tcase_create("hostile");
  tcase_add_test(tc, test_hello_truncated);
  tcase_add_test(tc, test_hello_hostile);
  tcase_add_test(tc, test_hello_random);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("ticket");
  tcase_add_test(tc, test_ticket_tls13);
  tcase_add_test(tc, test_ticket_tls12);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(tlsmsg_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
