/*
 * fuzz_tlsmsg.c: libFuzzer entry point for the TLS message parsers
 * (common/tlsmsg): the input is a ClientHello body and a NewSessionTicket
 * body of both versions.  Whatever is accepted must lie inside the input;
 * a refusal must leave nothing behind.  The input is copied to a buffer of
 * its exact size, so ASan sees any read past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tlsmsg.h"
#include "fuzz_check.h"

static int inside(const struct ftp_tlsmsg_span *s, const unsigned char *p, size_t n) {
  return s->n == 0 || (s->p >= p && s->n <= n && s->p + s->n <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  unsigned char *p = malloc(size > 0 ? size : 1);
  struct ftp_tlsmsg_hello h;
  struct ftp_tlsmsg_span t;
  size_t i;
  int tls13;

  if (p == NULL)
    return 0;
  memcpy(p, data, size);
  if (ftp_tlsmsg_client_hello(p, size, &h) == 0) {
    CHECK(h.session_id.n <= 32 && inside(&h.session_id, p, size));
    CHECK(inside(&h.ticket, p, size));
    CHECK(h.npsk <= FTP_TLS_PSK_IDS_MAX);
    CHECK(h.npsk == 0 || h.has_psk_ext);
    for (i = 0; i < h.npsk; i++)
      CHECK(h.psk[i].n > 0 && inside(&h.psk[i], p, size));
  } else {
    CHECK(h.npsk == 0 && h.psk_more == 0 && !h.has_ticket_ext && !h.has_psk_ext);
  }
  for (tls13 = 0; tls13 < 2; tls13++) {
    if (ftp_tlsmsg_ticket(p, size, tls13, &t) == 0)
      CHECK(inside(&t, p, size) && (t.n > 0 || !tls13));
    else
      CHECK(t.n == 0 && t.p == NULL);
  }
  free(p);
  return 0;
}
