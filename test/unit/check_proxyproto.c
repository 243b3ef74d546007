/*
 * check_proxyproto.c: the PROXY protocol header (common/proxyproto.h):
 * versions 1 and 2 as the specification writes them, every malformation it
 * names, and the reader, which takes a header's bytes in any pieces and
 * never one byte past it.
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cidr.h"
#include "err.h"
#include "proxyproto.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

#define V2SIG "\r\n\r\n\0\r\nQUIT\n"
/* A byte string and its length, NULs included. */
#define B(s) s, sizeof(s) - 1

struct good {
  const char *what;
  const char *bytes;
  size_t n;
  int version;
  enum ftp_proxy_command cmd;
  const char *src, *dst;       /* NULL unless PROXY */
  unsigned sport, dport;
};

static const struct good goods[] = {
  {"v1 TCP4", B("PROXY TCP4 192.0.2.7 198.51.100.1 56324 21\r\n"), 1,
   FTP_PROXY_CMD_PROXY, "192.0.2.7", "198.51.100.1", 56324, 21},
  {"v1 TCP4 zeros and extremes", B("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"), 1,
   FTP_PROXY_CMD_PROXY, "0.0.0.0", "255.255.255.255", 0, 65535},
  {"v1 TCP6", B("PROXY TCP6 2001:db8::7 2001:db8::1 4000 990\r\n"), 1,
   FTP_PROXY_CMD_PROXY, "2001:db8::7", "2001:db8::1", 4000, 990},
  {"v1 TCP6 mapped", B("PROXY TCP6 ::ffff:c000:207 ::1 1 2\r\n"), 1,
   FTP_PROXY_CMD_PROXY, "192.0.2.7", "::1", 1, 2},
  {"v1 UNKNOWN short", B("PROXY UNKNOWN\r\n"), 1, FTP_PROXY_CMD_UNKNOWN, NULL, NULL,
   0, 0},
  {"v1 UNKNOWN long", B("PROXY UNKNOWN ffff::1 ffff::2 65535 65535\r\n"), 1,
   FTP_PROXY_CMD_UNKNOWN, NULL, NULL, 0, 0},
  /* The specification's longest line: 107 bytes, CRLF included. */
  {"v1 UNKNOWN of 107 bytes",
   B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n"), 1, FTP_PROXY_CMD_UNKNOWN, NULL, NULL, 0, 0},
  {"v2 TCP4", B(V2SIG "\x21\x11\x00\x0c" "\xc0\x00\x02\x07" "\xc6\x33\x64\x01"
   "\xdb\xc4" "\x00\x15"), 2, FTP_PROXY_CMD_PROXY, "192.0.2.7", "198.51.100.1",
   56260, 21},
  {"v2 TCP6", B(V2SIG "\x21\x21\x00\x24"
   "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x07"
   "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01" "\x0f\xa0\x03\xde"), 2,
   FTP_PROXY_CMD_PROXY, "2001:db8::7", "2001:db8::1", 4000, 990},
  {"v2 TCP4 with TLVs", B(V2SIG "\x21\x11\x00\x16" "\x0a\x00\x00\x01" "\x0a\x00\x00\x02"
   "\x00\x01\x00\x02" "\x01\x00\x03" "ftp" "\x04\x00\x01" "x"), 2,
   FTP_PROXY_CMD_PROXY, "10.0.0.1", "10.0.0.2", 1, 2},
  {"v2 LOCAL", B(V2SIG "\x20\x00\x00\x00"), 2, FTP_PROXY_CMD_LOCAL, NULL, NULL, 0, 0},
  {"v2 LOCAL with a block it ignores", B(V2SIG "\x20\x11\x00\x0c" "12345678abcd"), 2,
   FTP_PROXY_CMD_LOCAL, NULL, NULL, 0, 0},
  {"v2 PROXY UNSPEC", B(V2SIG "\x21\x00\x00\x00"), 2, FTP_PROXY_CMD_UNKNOWN, NULL, NULL,
   0, 0},
  {"v2 PROXY UDP4", B(V2SIG "\x21\x12\x00\x0c" "123456789012"), 2,
   FTP_PROXY_CMD_UNKNOWN, NULL, NULL, 0, 0},
};

struct bad {
  const char *what;
  const char *bytes;
  size_t n;
};

static const struct bad bads[] = {
  {"FTP command", B("USER anonymous\r\n")},
  {"HTTP", B("GET / HTTP/1.1\r\n\r\n")},
  {"TLS ClientHello", B("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03xxxxxxxx")},
  {"lower case", B("proxy TCP4 1.2.3.4 1.2.3.4 1 2\r\n")},
  {"lone LF", B("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\n")},
  {"lone CR", B("PROXY TCP4 1.2.3.4 1.2.3.4 1 2\rX")},
  {"two spaces", B("PROXY TCP4  1.2.3.4 1.2.3.4 1 2\r\n")},
  {"trailing space", B("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 \r\n")},
  {"leading zero in address", B("PROXY TCP4 1.2.3.04 1.2.3.4 1 2\r\n")},
  {"leading zero in port", B("PROXY TCP4 1.2.3.4 1.2.3.4 01 2\r\n")},
  {"octet past 255", B("PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n")},
  {"port past 65535", B("PROXY TCP4 1.2.3.4 1.2.3.4 65536 2\r\n")},
  {"three octets", B("PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n")},
  {"IPv6 under TCP4", B("PROXY TCP4 ::1 ::1 1 2\r\n")},
  {"IPv4 under TCP6", B("PROXY TCP6 1.2.3.4 1.2.3.4 1 2\r\n")},
  {"missing port", B("PROXY TCP4 1.2.3.4 1.2.3.4 1\r\n")},
  {"extra field", B("PROXY TCP4 1.2.3.4 1.2.3.4 1 2 3\r\n")},
  {"TCP5", B("PROXY TCP5 1.2.3.4 1.2.3.4 1 2\r\n")},
  {"UNKNOWNX", B("PROXY UNKNOWNX\r\n")},
  /* Found by fuzz_proxyproto: a CR at byte 107 made a 108-byte line. */
  {"CRLF ending at byte 108",
   B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n")},
  {"no CRLF in 107 bytes",
   B("PROXY UNKNOWN xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx")},
  {"v2 version 1", B(V2SIG "\x11\x11\x00\x0c" "123456789012")},
  {"v2 version 3", B(V2SIG "\x31\x11\x00\x0c" "123456789012")},
  {"v2 command 2", B(V2SIG "\x22\x11\x00\x0c" "123456789012")},
  {"v2 family 4", B(V2SIG "\x21\x41\x00\x0c" "123456789012")},
  {"v2 transport 3", B(V2SIG "\x21\x13\x00\x0c" "123456789012")},
  {"v2 block too short for TCP4", B(V2SIG "\x21\x11\x00\x0b" "12345678901")},
  {"v2 block too short for TCP6", B(V2SIG "\x21\x21\x00\x0c" "123456789012")},
  {"v2 bad signature", B("\r\n\r\n\0\r\nQUIX\n\x21\x11\x00\x0c" "123456789012")},
};

static void check_addr(const struct sockaddr_storage *ss, const char *want,
                       unsigned port) {
  char got[FTP_ADDR_STRLEN];

  ck_assert_int_eq(ftp_addr_to_string(ss, got, sizeof(got)), 0);
  ck_assert_str_eq(got, want);
  ck_assert_uint_eq(ftp_addr_port(ss), port);
}

static void check_good(const struct good *g, const struct ftp_proxy_hdr *h) {
  ck_assert_int_eq(h->version, g->version);
  ck_assert_int_eq(h->command, g->cmd);
  ck_assert_uint_eq(h->len, g->n);
  if (g->src != NULL) {
    check_addr(&h->src, g->src, g->sport);
    check_addr(&h->dst, g->dst, g->dport);
  }
}

START_TEST(test_good_whole) {
  const struct good *g = &goods[_i];
  struct ftp_proxy_hdr h;
  size_t k;

  ck_assert_msg(ftp_proxy_parse((const unsigned char *)g->bytes, g->n, &h) == 0, "%s",
                g->what);
  check_good(g, &h);
  /* Every shorter prefix is "more", never an error: a header may arrive
   * in pieces. */
  for (k = 0; k < g->n && k < 16 + 36; k++) {
    int r = ftp_proxy_parse((const unsigned char *)g->bytes, k, &h);
    ck_assert_msg(r == FTP_PROXY_MORE || (r == 0 && g->version == 2), "%s at %zu: %d",
                  g->what, k, r);
  }
}
END_TEST

START_TEST(test_bad_whole) {
  const struct bad *b = &bads[_i];
  struct ftp_proxy_hdr h;

  ck_assert_msg(ftp_proxy_parse((const unsigned char *)b->bytes, b->n, &h) ==
                    FTP_E_PROXY_HEADER, "%s", b->what);
}
END_TEST

/*
 * Feed bytes to a reader in the pieces it asks for, cut to at most chunk
 * bytes (0: as asked).  RETURNS: its verdict, and in *used the bytes taken.
 */
static int read_all(const unsigned char *in, size_t n, size_t chunk,
                    struct ftp_proxy_hdr *h, size_t *used) {
  struct ftp_proxy_reader r;
  size_t off = 0, want;
  void *p;
  int rc = FTP_PROXY_MORE;

  ftp_proxy_reader_init(&r);
  while (rc == FTP_PROXY_MORE && off < n) {
    ftp_proxy_reader_want(&r, &p, &want);
    ck_assert_uint_ge(want, 1);
    if (chunk != 0 && want > chunk)
      want = chunk;
    if (want > n - off)
      want = n - off;
    memcpy(p, in + off, want);
    off += want;
    rc = ftp_proxy_reader_got(&r, want, h);
  }
  *used = off;
  return rc;
}

START_TEST(test_reader_exact) {
  const struct good *g = &goods[_i];
  static const char after[] = "\x16\x03\x01 the ClientHello or USER that follows";
  unsigned char in[1024];
  struct ftp_proxy_hdr h;
  size_t chunk, used;

  memcpy(in, g->bytes, g->n);
  memcpy(in + g->n, after, sizeof(after));
  for (chunk = 0; chunk < 8; chunk++) {
    ck_assert_int_eq(read_all(in, g->n + sizeof(after), chunk, &h, &used), 0);
    /* Not one byte of what follows was taken. */
    ck_assert_msg(used == g->n, "%s, chunk %zu: took %zu of %zu", g->what, chunk, used,
                  g->n);
    check_good(g, &h);
  }
}
END_TEST

START_TEST(test_reader_bad) {
  const struct bad *b = &bads[_i];
  struct ftp_proxy_hdr h;
  size_t used;

  ck_assert_msg(read_all((const unsigned char *)b->bytes, b->n, 0, &h, &used) ==
                    FTP_E_PROXY_HEADER, "%s", b->what);
}
END_TEST

/* A version 2 header with 60000 bytes of TLVs: skipped, not kept. */
START_TEST(test_reader_long_tlvs) {
  size_t tlv = 60000, n = 16 + 12 + tlv, used, i;
  unsigned char *in = calloc(1, n + 10);
  struct ftp_proxy_hdr h;

  memcpy(in, V2SIG "\x21\x11", 14);
  in[14] = (unsigned char)((12 + tlv) >> 8);
  in[15] = (unsigned char)(12 + tlv);
  memcpy(in + 16, "\x0a\x00\x00\x05\x0a\x00\x00\x01\x12\x34\x00\x15", 12);
  for (i = 0; i + 3 <= tlv;) {
    size_t len = tlv - i - 3 > 1000 ? 1000 : tlv - i - 3;
    in[16 + 12 + i] = 0x04; /* NOOP */
    in[16 + 12 + i + 1] = (unsigned char)(len >> 8);
    in[16 + 12 + i + 2] = (unsigned char)len;
    i += 3 + len;
  }
  ck_assert_int_eq(read_all(in, n + 10, 0, &h, &used), 0);
  ck_assert_uint_eq(used, n);
  ck_assert_uint_eq(h.len, n);
  check_addr(&h.src, "10.0.0.5", 0x1234);
  free(in);
}
END_TEST

/* The truncated prefixes of good headers are never complete; a fixed seed
 * of random inputs never makes the reader take more than it reports. */
START_TEST(test_reader_random) {
  unsigned char in[300];
  struct ftp_proxy_hdr h;
  size_t used, i, k;
  unsigned seed = 12345;
  int rc;

  for (k = 0; k < 20000; k++) {
    for (i = 0; i < sizeof(in); i++) {
      seed = seed * 1103515245u + 12345u;
      in[i] = (unsigned char)(seed >> 16);
    }
    /* Start most inputs with a signature, to get past the first check. */
    if (k % 3 == 0)
      memcpy(in, "PROXY TCP4 ", 11);
    else if (k % 3 == 1)
      memcpy(in, V2SIG, 12);
    rc = read_all(in, sizeof(in), k % 5, &h, &used);
    if (rc == 0)
      ck_assert_uint_eq(used, h.len);
    else
      ck_assert(rc == FTP_E_PROXY_HEADER || rc == FTP_PROXY_MORE);
  }
}
END_TEST

static Suite *proxyproto_suite(void) {
  Suite *s = suite_create("proxyproto");
  TCase *tc = tcase_create("parse");
  TCase *rd = tcase_create("reader");

  tcase_add_loop_test(tc, test_good_whole, 0, NELEM(goods));
  tcase_add_loop_test(tc, test_bad_whole, 0, NELEM(bads));
  suite_add_tcase(s, tc);
  tcase_add_loop_test(rd, test_reader_exact, 0, NELEM(goods));
  tcase_add_loop_test(rd, test_reader_bad, 0, NELEM(bads));
  tcase_add_test(rd, test_reader_long_tlvs);
  tcase_add_test(rd, test_reader_random);
  suite_add_tcase(s, rd);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(proxyproto_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
