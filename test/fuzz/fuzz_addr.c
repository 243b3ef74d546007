/*
 * fuzz_addr.c: libFuzzer entry point for the data address codec
 * (common/addr).
 *
 * The input, as a string, goes through every parser.  Whatever a parser
 * accepts must format and parse back to the same address and port, and the
 * helpers must agree with each other on it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "fuzz_check.h"

/* Helpers that must hold for any address a parser returned. */
static void check_addr(const struct sockaddr_storage *sa) {
  struct sockaddr_storage n = *sa, back;
  char s[FTP_ADDR_STRLEN];

  CHECK(sa->ss_family == AF_INET || sa->ss_family == AF_INET6);
  CHECK(ftp_addr_same_host(sa, sa));
  ftp_addr_normalize(&n);
  CHECK(ftp_addr_same_host(sa, &n));
  CHECK(ftp_addr_port(&n) == ftp_addr_port(sa));
  CHECK(ftp_addr_is_private(&n) == ftp_addr_is_private(sa));
  CHECK(ftp_addr_to_string(sa, s, sizeof(s)) == 0);
  CHECK(ftp_addr_from_string(s, ftp_addr_port(sa), &back) == 0);
  CHECK(back.ss_family == sa->ss_family && ftp_addr_same_host(sa, &back));
  CHECK(ftp_addr_port(&back) == ftp_addr_port(sa));
}

static void port_roundtrip(const struct sockaddr_storage *sa) {
  struct sockaddr_storage back;
  struct ftp_buf b;

  ftp_buf_init(&b, 64);
  CHECK(ftp_addr_format_port(sa, &b) == 0);
  CHECK(ftp_addr_parse_port(ftp_buf_cstr(&b, NULL), &back) == 0);
  CHECK(ftp_addr_same_host(sa, &back));
  CHECK(ftp_addr_port(&back) == ftp_addr_port(sa));
  ftp_buf_free(&b);
}

static void eprt_roundtrip(const struct sockaddr_storage *sa) {
  struct sockaddr_storage back;
  struct ftp_buf b;

  ftp_buf_init(&b, 128);
  CHECK(ftp_addr_format_eprt(sa, &b) == 0);
  CHECK(ftp_addr_parse_eprt(ftp_buf_cstr(&b, NULL), &back) == 0);
  CHECK(back.ss_family == sa->ss_family && ftp_addr_same_host(sa, &back));
  CHECK(ftp_addr_port(&back) == ftp_addr_port(sa));
  ftp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct sockaddr_storage sa;
  struct ftp_buf b;
  char *s = malloc(size + 1);
  unsigned port;
  int r, fam;

  CHECK(s != NULL);
  memcpy(s, data, size);
  s[size] = '\0';

  r = ftp_addr_parse_port(s, &sa);
  CHECK(r == 0 || r == FTP_E_SYNTAX);
  if (r == 0) {
    CHECK(sa.ss_family == AF_INET && ftp_addr_port(&sa) != 0);
    check_addr(&sa);
    port_roundtrip(&sa);
    eprt_roundtrip(&sa);
  }

  r = ftp_addr_parse_pasv_reply(s, &sa);
  CHECK(r == 0 || r == FTP_E_BAD_REPLY);
  if (r == 0) {
    CHECK(sa.ss_family == AF_INET && ftp_addr_port(&sa) != 0);
    check_addr(&sa);
    port_roundtrip(&sa);
  }

  r = ftp_addr_parse_eprt(s, &sa);
  CHECK(r == 0 || r == FTP_E_SYNTAX || r == FTP_E_AF_UNSUPPORTED);
  if (r == 0) {
    CHECK(ftp_addr_port(&sa) != 0);
    check_addr(&sa);
    eprt_roundtrip(&sa);
  }

  r = ftp_addr_parse_epsv_reply(s, &port);
  CHECK(r == 0 || r == FTP_E_BAD_REPLY);
  if (r == 0) {
    unsigned back;

    CHECK(port >= 1 && port <= 65535);
    ftp_buf_init(&b, 128);
    CHECK(ftp_addr_format_epsv(port, &b) == 0);
    CHECK(ftp_addr_parse_epsv_reply(ftp_buf_cstr(&b, NULL), &back) == 0);
    CHECK(back == port);
    ftp_buf_free(&b);
  }

  r = ftp_addr_parse_epsv_arg(s, &fam);
  CHECK(r == 0 || r == FTP_E_SYNTAX || r == FTP_E_AF_UNSUPPORTED);
  if (r == 0)
    CHECK(fam == FTP_ADDR_EPSV_ANY || fam == FTP_ADDR_EPSV_ALL ||
          fam == AF_INET || fam == AF_INET6);

  r = ftp_addr_from_string(s, size, &sa);
  CHECK(r == 0 || r == FTP_E_BAD_ARG);
  if (r == 0)
    check_addr(&sa);

  free(s);
  return 0;
}
