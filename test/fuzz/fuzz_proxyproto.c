/*
 * fuzz_proxyproto.c: libFuzzer entry point for the PROXY protocol header
 * parser and reader (common/proxyproto).  The first input byte picks how
 * the reader's reads are cut (as TCP may deliver them); the rest is what
 * the balancer sent.  Invariants:
 *   - the reader never takes a byte past the header it accepts
 *     (used == h.len);
 *   - the reader and the one-shot parser agree on what they accept;
 *   - an accepted PROXY command carries an IPv4 or IPv6 source.
 * The input is copied to a buffer of its exact size, so ASan sees any read
 * past it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "proxyproto.h"
#include "fuzz_check.h"

static int read_in_pieces(const unsigned char *in, size_t n, size_t cut,
                          struct ftp_proxy_hdr *h, size_t *used) {
  struct ftp_proxy_reader r;
  size_t off = 0, want;
  void *p;
  int rc = FTP_PROXY_MORE;

  ftp_proxy_reader_init(&r);
  while (rc == FTP_PROXY_MORE && off < n) {
    ftp_proxy_reader_want(&r, &p, &want);
    CHECK(want >= 1);
    if (cut != 0 && want > cut)
      want = cut;
    if (want > n - off)
      want = n - off;
    memcpy(p, in + off, want);
    off += want;
    rc = ftp_proxy_reader_got(&r, want, h);
  }
  *used = off;
  return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct ftp_proxy_hdr h, h2;
  unsigned char *p;
  size_t used, cut;
  int rc, rc2;

  if (size < 1)
    return 0;
  cut = data[0] % 8;
  size--;
  if ((p = malloc(size > 0 ? size : 1)) == NULL)
    return 0;
  memcpy(p, data + 1, size);
  rc = read_in_pieces(p, size, cut, &h, &used);
  CHECK(rc == 0 || rc == FTP_PROXY_MORE || rc == FTP_E_PROXY_HEADER);
  if (rc == 0) {
    CHECK(used == h.len);
    CHECK(h.version == 1 || h.version == 2);
    CHECK(h.version != 1 || h.len <= FTP_PROXY_V1_MAX);
    CHECK(h.command != FTP_PROXY_CMD_PROXY || h.src.ss_family == AF_INET ||
          h.src.ss_family == AF_INET6);
    rc2 = ftp_proxy_parse(p, used, &h2);
    CHECK(rc2 == 0 && h2.len == h.len && h2.command == h.command);
  } else if (rc == FTP_E_PROXY_HEADER) {
    CHECK(ftp_proxy_parse(p, used, &h2) == FTP_E_PROXY_HEADER);
  }
  free(p);
  return 0;
}
