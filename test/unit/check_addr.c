/*
 * check_addr.c: the data address codec (common/addr).
 *
 * Run one test case:
 *   CK_RUN_SUITE=addr CK_RUN_CASE=eprt build/obj/test/unit/check_addr
 */
#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "buf.h"
#include "err.h"
#include "replycodes.h"

/* "addr port" of sa, e.g. "10.0.0.1 1025", for comparisons. */
static const char *show(const struct sockaddr_storage *sa) {
  static char s[FTP_ADDR_STRLEN + 16];
  char a[FTP_ADDR_STRLEN];

  ck_assert_int_eq(ftp_addr_to_string(sa, a, sizeof(a)), 0);
  snprintf(s, sizeof(s), "%s %u", a, ftp_addr_port(sa));
  return s;
}

static struct sockaddr_storage make(const char *ip, unsigned port) {
  struct sockaddr_storage sa;

  ck_assert_int_eq(ftp_addr_from_string(ip, port, &sa), 0);
  return sa;
}

/* A poisoned address, to see that failing parsers leave *out alone. */
static void poison(struct sockaddr_storage *sa) {
  memset(sa, 0xA5, sizeof(*sa));
}

static int is_poisoned(const struct sockaddr_storage *sa) {
  const unsigned char *p = (const unsigned char *)sa;
  size_t i;

  for (i = 0; i < sizeof(*sa); i++)
    if (p[i] != 0xA5)
      return 0;
  return 1;
}

/* ---- PORT ---- */

static const struct {
  const char *arg;
  const char *want;
} port_ok[] = {
  {"127,0,0,1,4,1", "127.0.0.1 1025"},
  {" 10,0,0,1,0,21 ", "10.0.0.1 21"},
  {"\t1,2,3,4,255,255\t", "1.2.3.4 65535"},
  {"0,0,0,0,0,1", "0.0.0.0 1"},
  {"255,255,255,255,1,0", "255.255.255.255 256"},
  {"001,002,003,004,005,006", "1.2.3.4 1286"},
};

START_TEST(test_port_ok) {
  struct sockaddr_storage sa;

  poison(&sa);
  ck_assert_int_eq(ftp_addr_parse_port(port_ok[_i].arg, &sa), 0);
  ck_assert_int_eq(sa.ss_family, AF_INET);
  ck_assert_str_eq(show(&sa), port_ok[_i].want);
}
END_TEST

static const char *const port_bad[] = {
  "1,2,3,4,5",                       /* 5 fields */
  "1,2,3,4,5,6,7",                   /* 7 fields */
  "256,0,0,1,4,1",
  "1,2,3,4,256,1",
  "1,2,3,4,5,256",
  "1,2,3,4,5,1000",
  "-1,2,3,4,5,6",
  "1,2,3,4,5,-6",
  "+1,2,3,4,5,6",
  "1,2,3,+4,5,6",
  "1,,3,4,5,6",
  ",1,2,3,4,5,6",
  "1,2,3,4,5,6,",
  "1,2,3,4,5,",
  "1,2 ,3,4,5,6",
  "1,2, 3,4,5,6",
  "1,2,3,4,5,1 1",
  "1 ,2,3,4,5,6",
  "a,b,c,d,e,f",
  "1,2,3,4,5,6x",
  "1,2,3,4,5,6 x",
  "0x1,2,3,4,5,6",
  "1.2.3.4.5.6",
  "1;2;3;4;5;6",
  "99999999999999999999,0,0,1,4,1",
  "1,2,3,4,5,99999999999999999999",
  "1,2,3,4,0,0",                     /* port 0 */
  "1,2,3,4,00,000",
  "",
  "  ",
  "(1,2,3,4,5,6)",
};

START_TEST(test_port_bad) {
  struct sockaddr_storage sa;

  poison(&sa);
  ck_assert_int_eq(ftp_addr_parse_port(port_bad[_i], &sa), FTP_E_SYNTAX);
  ck_assert(is_poisoned(&sa));
  ck_assert_int_eq(ftp_err_reply(FTP_E_SYNTAX, NULL), FTP_R_SYNTAX_ARG);
}
END_TEST

START_TEST(test_port_roundtrip) {
  static const char *const ips[] = {"0.0.0.0", "10.0.0.1", "192.168.255.254",
                                    "255.255.255.255", "::ffff:10.1.2.3"};
  static const unsigned ports[] = {1, 255, 256, 1024, 49152, 65535};
  size_t i, j;

  for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
    for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
      struct sockaddr_storage sa = make(ips[i], ports[j]), back;
      struct ftp_buf b;
      const char *s;

      ftp_buf_init(&b, 64);
      ck_assert_int_eq(ftp_addr_format_port(&sa, &b), 0);
      s = ftp_buf_cstr(&b, NULL);
      ck_assert_int_eq(ftp_addr_parse_port(s, &back), 0);
      ck_assert(ftp_addr_same_host(&sa, &back));
      ck_assert_uint_eq(ftp_addr_port(&back), ports[j]);
      ftp_buf_free(&b);
    }
  }
}
END_TEST

START_TEST(test_port_format) {
  struct sockaddr_storage sa = make("192.168.1.2", 1025);
  struct ftp_buf b;

  ftp_buf_init(&b, 64);
  ck_assert_int_eq(ftp_addr_format_port(&sa, &b), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "192,168,1,2,4,1");
  ftp_buf_reset(&b);
  sa = make("2001:db8::1", 21);
  ck_assert_int_eq(ftp_addr_format_port(&sa, &b), FTP_E_AF_UNSUPPORTED);
  sa = make("10.0.0.1", 0);
  ck_assert_int_eq(ftp_addr_format_port(&sa, &b), FTP_E_BAD_ARG);
  memset(&sa, 0, sizeof(sa));
  ck_assert_int_eq(ftp_addr_format_port(&sa, &b), FTP_E_AF_UNSUPPORTED);
  ck_assert_uint_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
}
END_TEST

/* ---- 227 ---- */

static const struct {
  const char *text;
  const char *want; /* NULL: FTP_E_BAD_REPLY */
} pasv_cases[] = {
  {"Entering Passive Mode (192,168,1,2,4,1).", "192.168.1.2 1025"},
  {"Entering Passive Mode (192,168,1,2,4,1)", "192.168.1.2 1025"},
  {"Entering Passive Mode 192,168,1,2,4,1", "192.168.1.2 1025"},
  {"=192,168,1,2,4,1", "192.168.1.2 1025"},
  {"192,168,1,2,4,1", "192.168.1.2 1025"},
  {"Entering Passive Mode (192, 168, 1, 2, 4, 1)", "192.168.1.2 1025"},
  {"Mode 2 now (10,0,0,1,0,21)", "10.0.0.1 21"},
  {"x1,2,3 then 10,0,0,1,0,21", "10.0.0.1 21"},
  {"Entering Passive Mode (1,2,3,4,255,255)", "1.2.3.4 65535"},
  {"Entering Passive Mode", NULL},
  {"", NULL},
  {"(1,2,3,4,5)", NULL},
  {"(256,1,1,1,1,1)", NULL},
  {"(1,2,3,4,1,256)", NULL},
  {"(1,2,3,4,0,0)", NULL},
  {"(1,2,3,4,5,-6)", NULL},
  {"(1;2;3;4;5;6)", NULL},
  {"(99999999999999999999,1,1,1,1,1)", NULL},
  {"garbage 1,2,3", NULL},
};

START_TEST(test_pasv_reply) {
  struct sockaddr_storage sa;
  int r;

  poison(&sa);
  r = ftp_addr_parse_pasv_reply(pasv_cases[_i].text, &sa);
  if (pasv_cases[_i].want == NULL) {
    ck_assert_int_eq(r, FTP_E_BAD_REPLY);
    ck_assert(is_poisoned(&sa));
  } else {
    ck_assert_int_eq(r, 0);
    ck_assert_str_eq(show(&sa), pasv_cases[_i].want);
  }
}
END_TEST

/* ---- EPRT ---- */

static const struct {
  const char *arg;
  int family;
  const char *want;
} eprt_ok[] = {
  {"|1|132.235.1.2|6275|", AF_INET, "132.235.1.2 6275"},
  {"|2|1080::8:800:200C:417A|5282|", AF_INET6, "1080::8:800:200c:417a 5282"},
  {"!1!10.0.0.1!1!", AF_INET, "10.0.0.1 1"},
  {"~2~::1~65535~", AF_INET6, "::1 65535"},
  {"|2|::ffff:10.0.0.1|21|", AF_INET6, "::ffff:10.0.0.1 21"},
  {"7171.2.3.47217", AF_INET, "1.2.3.4 21"}, /* a digit delimiter, 7 */
  {"|01|10.0.0.1|021|", AF_INET, "10.0.0.1 21"},
};

START_TEST(test_eprt_ok) {
  struct sockaddr_storage sa;

  poison(&sa);
  ck_assert_int_eq(ftp_addr_parse_eprt(eprt_ok[_i].arg, &sa), 0);
  ck_assert_int_eq(sa.ss_family, eprt_ok[_i].family);
  ck_assert_str_eq(show(&sa), eprt_ok[_i].want);
}
END_TEST

static const struct {
  const char *arg;
  int err;
} eprt_bad[] = {
  {"", FTP_E_SYNTAX},
  {"|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|21", FTP_E_SYNTAX},         /* missing last delimiter */
  {"|1|10.0.0.1", FTP_E_SYNTAX},
  {"|1", FTP_E_SYNTAX},
  {"1|10.0.0.1|21|", FTP_E_SYNTAX},         /* '1' as delimiter: no af */
  {"|1|10.0.0.1|21|x", FTP_E_SYNTAX},       /* trailing garbage */
  {"|1|10.0.0.1|21||", FTP_E_SYNTAX},
  {"|1|10.0.0.1|21| ", FTP_E_SYNTAX},
  {" |1|10.0.0.1|21|", FTP_E_SYNTAX},       /* space: delimiter 32 */
  {" 1 10.0.0.1 21 ", FTP_E_SYNTAX},
  {"\x7f" "1\x7f" "10.0.0.1\x7f" "21\x7f", FTP_E_SYNTAX}, /* 127 */
  {"\x1f" "1\x1f" "10.0.0.1\x1f" "21\x1f", FTP_E_SYNTAX}, /* 31 */
  {"\xa6" "1\xa6" "10.0.0.1\xa6" "21\xa6", FTP_E_SYNTAX}, /* 166 */
  {"|1!10.0.0.1!21!", FTP_E_SYNTAX},        /* mixed delimiters */
  {"||10.0.0.1|21|", FTP_E_SYNTAX},         /* empty af */
  {"|x|10.0.0.1|21|", FTP_E_SYNTAX},
  {"|1x|10.0.0.1|21|", FTP_E_SYNTAX},
  {"|-1|10.0.0.1|21|", FTP_E_SYNTAX},
  {"|+1|10.0.0.1|21|", FTP_E_SYNTAX},
  {"| 1|10.0.0.1|21|", FTP_E_SYNTAX},
  {"|2|10.0.0.1|21|", FTP_E_SYNTAX},        /* IPv4 under af 2 */
  {"|1|::1|21|", FTP_E_SYNTAX},             /* IPv6 under af 1 */
  {"|1|::ffff:10.0.0.1|21|", FTP_E_SYNTAX},
  {"|1||21|", FTP_E_SYNTAX},
  {"|1|10.0.0|21|", FTP_E_SYNTAX},
  {"|1|10.0.0.256|21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1.5|21|", FTP_E_SYNTAX},
  {"|1| 10.0.0.1|21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1 |21|", FTP_E_SYNTAX},
  {"|1|example.com|21|", FTP_E_SYNTAX},
  {"|2|fe80::1%eth0|21|", FTP_E_SYNTAX},
  {"|2|[::1]|21|", FTP_E_SYNTAX},
  {"|2|1:2:3:4:5:6:7:8:9:10:11:12:13:14:15:16|21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|0|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|65536|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|99999999999999999999|", FTP_E_SYNTAX},
  {"|1|10.0.0.1||", FTP_E_SYNTAX},
  {"|1|10.0.0.1|-21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|+21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1| 21|", FTP_E_SYNTAX},
  {"|1|10.0.0.1|21 |", FTP_E_SYNTAX},
  {"|1|10.0.0.1|0x15|", FTP_E_SYNTAX},
  {"|3|10.0.0.1|21|", FTP_E_AF_UNSUPPORTED},
  {"|0|10.0.0.1|21|", FTP_E_AF_UNSUPPORTED},
  {"|3|anything|x|", FTP_E_AF_UNSUPPORTED},
  {"|99999999999999999999|10.0.0.1|21|", FTP_E_AF_UNSUPPORTED},
  {"|3|10.0.0.1|21", FTP_E_SYNTAX},         /* malformed before af */
};

START_TEST(test_eprt_bad) {
  struct sockaddr_storage sa;

  poison(&sa);
  ck_assert_int_eq(ftp_addr_parse_eprt(eprt_bad[_i].arg, &sa),
                   eprt_bad[_i].err);
  ck_assert(is_poisoned(&sa));
}
END_TEST

START_TEST(test_eprt_replies) {
  const char *text;

  ck_assert_int_eq(ftp_err_reply(FTP_E_AF_UNSUPPORTED, &text),
                   FTP_R_EXT_UNSUPPORTED);
  ck_assert_str_eq(text, "Network protocol not supported, use (1,2)");
  ck_assert_int_eq(ftp_err_reply(FTP_E_SYNTAX, NULL), FTP_R_SYNTAX_ARG);
}
END_TEST

START_TEST(test_eprt_roundtrip) {
  static const char *const ips[] = {"10.0.0.1", "0.0.0.0", "255.255.255.255",
                                    "::1", "2001:db8::8:800:200c:417a",
                                    "fe80::1", "::ffff:10.0.0.1", "::"};
  static const unsigned ports[] = {1, 21, 1024, 65535};
  size_t i, j;

  for (i = 0; i < sizeof(ips) / sizeof(ips[0]); i++) {
    for (j = 0; j < sizeof(ports) / sizeof(ports[0]); j++) {
      struct sockaddr_storage sa = make(ips[i], ports[j]), back;
      struct ftp_buf b;
      char want[64];

      ftp_buf_init(&b, 128);
      ck_assert_int_eq(ftp_addr_format_eprt(&sa, &b), 0);
      snprintf(want, sizeof(want), "|%c|%s|%u|",
               strchr(ips[i], ':') != NULL ? '2' : '1', ips[i], ports[j]);
      ck_assert_str_eq(ftp_buf_cstr(&b, NULL), want);
      ck_assert_int_eq(ftp_addr_parse_eprt(ftp_buf_cstr(&b, NULL), &back), 0);
      ck_assert_int_eq(back.ss_family, sa.ss_family);
      ck_assert_str_eq(show(&back), show(&sa));
      ftp_buf_free(&b);
    }
  }
}
END_TEST

START_TEST(test_eprt_format_bad) {
  struct sockaddr_storage sa = make("10.0.0.1", 0);
  struct ftp_buf b;

  ftp_buf_init(&b, 128);
  ck_assert_int_eq(ftp_addr_format_eprt(&sa, &b), FTP_E_BAD_ARG);
  memset(&sa, 0, sizeof(sa));
  sa.ss_family = AF_UNIX;
  ck_assert_int_eq(ftp_addr_format_eprt(&sa, &b), FTP_E_AF_UNSUPPORTED);
  ck_assert_uint_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
}
END_TEST

/* ---- EPSV ---- */

static const struct {
  const char *text;
  unsigned want; /* 0: FTP_E_BAD_REPLY */
} epsv_reply_cases[] = {
  {"Entering Extended Passive Mode (|||6446|)", 6446},
  {"Entering Extended Passive Mode (|||6446|).", 6446},
  {"(!!!1!)", 1},
  {"ok (~~~65535~) done", 65535},
  {"x (bad) (|||21|)", 21},
  {"((|||21|)", 21},
  {"Entering Extended Passive Mode (|||0|)", 0},
  {"Entering Extended Passive Mode (|||65536|)", 0},
  {"Entering Extended Passive Mode (|||99999999999999999999|)", 0},
  {"(||!6446|)", 0},
  {"(|||6446!)", 0},
  {"(!||6446|)", 0},
  {"|||6446|", 0},
  {"(|||6446|", 0},
  {"(|||6446)", 0},
  {"(||||)", 0},
  {"(|||x|)", 0},
  {"(||| 6446|)", 0},
  {"(|||-6446|)", 0},
  {"(|||+6446|)", 0},
  {"(   6446 )", 0},
  {"(11164461)", 0},
  {"(|1|10.0.0.1|6446|)", 0},
  {"(", 0},
  {"(|", 0},
  {"(||", 0},
  {"(|||", 0},
  {"", 0},
};

START_TEST(test_epsv_reply) {
  unsigned port = 12345;
  int r = ftp_addr_parse_epsv_reply(epsv_reply_cases[_i].text, &port);

  if (epsv_reply_cases[_i].want == 0) {
    ck_assert_int_eq(r, FTP_E_BAD_REPLY);
    ck_assert_uint_eq(port, 12345);
  } else {
    ck_assert_int_eq(r, 0);
    ck_assert_uint_eq(port, epsv_reply_cases[_i].want);
  }
}
END_TEST

START_TEST(test_epsv_format) {
  static const unsigned ports[] = {1, 21, 6446, 65535};
  struct ftp_buf b;
  unsigned port;
  size_t i;

  ftp_buf_init(&b, 128);
  ck_assert_int_eq(ftp_addr_format_epsv(6446, &b), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL),
                   "Entering Extended Passive Mode (|||6446|)");
  for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
    ftp_buf_reset(&b);
    ck_assert_int_eq(ftp_addr_format_epsv(ports[i], &b), 0);
    ck_assert_int_eq(ftp_addr_parse_epsv_reply(ftp_buf_cstr(&b, NULL), &port),
                     0);
    ck_assert_uint_eq(port, ports[i]);
  }
  ftp_buf_reset(&b);
  ck_assert_int_eq(ftp_addr_format_epsv(0, &b), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_format_epsv(65536, &b), FTP_E_BAD_ARG);
  ck_assert_uint_eq(ftp_buf_len(&b), 0);
  ftp_buf_free(&b);
}
END_TEST

static const struct {
  const char *arg;
  int err;
  int want;
} epsv_arg_cases[] = {
  {NULL, 0, FTP_ADDR_EPSV_ANY},
  {"", 0, FTP_ADDR_EPSV_ANY},
  {"  ", 0, FTP_ADDR_EPSV_ANY},
  {"1", 0, AF_INET},
  {"2", 0, AF_INET6},
  {" 2 ", 0, AF_INET6},
  {"ALL", 0, FTP_ADDR_EPSV_ALL},
  {"all", 0, FTP_ADDR_EPSV_ALL},
  {"aLl", 0, FTP_ADDR_EPSV_ALL},
  {"3", FTP_E_AF_UNSUPPORTED, 0},
  {"0", FTP_E_AF_UNSUPPORTED, 0},
  {"01", 0, AF_INET},
  {"99999999999999999999", FTP_E_AF_UNSUPPORTED, 0},
  {"x", FTP_E_SYNTAX, 0},
  {"-1", FTP_E_SYNTAX, 0},
  {"+1", FTP_E_SYNTAX, 0},
  {"1x", FTP_E_SYNTAX, 0},
  {"1 2", FTP_E_SYNTAX, 0},
  {"AL", FTP_E_SYNTAX, 0},
  {"ALLX", FTP_E_SYNTAX, 0},
  {"A L L", FTP_E_SYNTAX, 0},
  {"\x81LL", FTP_E_SYNTAX, 0},
  {"|1|", FTP_E_SYNTAX, 0},
};

START_TEST(test_epsv_arg) {
  int fam = 777;
  int r = ftp_addr_parse_epsv_arg(epsv_arg_cases[_i].arg, &fam);

  ck_assert_int_eq(r, epsv_arg_cases[_i].err);
  ck_assert_int_eq(fam, r == 0 ? epsv_arg_cases[_i].want : 777);
}
END_TEST

/* ---- helpers ---- */

START_TEST(test_normalize) {
  struct sockaddr_storage sa = make("::ffff:10.0.0.1", 21);
  struct sockaddr_storage v6 = make("::1", 22), copy;

  ftp_addr_normalize(&sa);
  ck_assert_int_eq(sa.ss_family, AF_INET);
  ck_assert_str_eq(show(&sa), "10.0.0.1 21");
  copy = v6;
  ftp_addr_normalize(&v6);
  ck_assert_mem_eq(&v6, &copy, sizeof(v6));
  /* ::10.0.0.1 (deprecated IPv4-compatible) is not mapped. */
  sa = make("::10.0.0.1", 1);
  ftp_addr_normalize(&sa);
  ck_assert_int_eq(sa.ss_family, AF_INET6);
  sa = make("10.0.0.1", 3);
  copy = sa;
  ftp_addr_normalize(&sa);
  ck_assert_mem_eq(&sa, &copy, sizeof(sa));
}
END_TEST

static const struct {
  const char *a, *b;
  int same;
} same_cases[] = {
  {"10.0.0.1", "10.0.0.1", 1},
  {"10.0.0.1", "::ffff:10.0.0.1", 1},
  {"::ffff:10.0.0.1", "::ffff:10.0.0.1", 1},
  {"10.0.0.1", "10.0.0.2", 0},
  {"::ffff:10.0.0.1", "10.0.0.2", 0},
  {"::1", "127.0.0.1", 0},
  {"::1", "::1", 1},
  {"2001:db8::1", "2001:db8::2", 0},
  {"::10.0.0.1", "10.0.0.1", 0},
};

START_TEST(test_same_host) {
  struct sockaddr_storage a = make(same_cases[_i].a, 21);
  struct sockaddr_storage b = make(same_cases[_i].b, 50000);

  ck_assert_int_eq(ftp_addr_same_host(&a, &b), same_cases[_i].same);
  ck_assert_int_eq(ftp_addr_same_host(&b, &a), same_cases[_i].same);
}
END_TEST

START_TEST(test_same_host_unknown) {
  struct sockaddr_storage a, b;

  memset(&a, 0, sizeof(a));
  memset(&b, 0, sizeof(b));
  ck_assert_int_eq(ftp_addr_same_host(&a, &b), 0);
  a.ss_family = b.ss_family = AF_UNIX;
  ck_assert_int_eq(ftp_addr_same_host(&a, &b), 0);
}
END_TEST

static const struct {
  const char *ip;
  int priv;
} private_cases[] = {
  {"10.0.0.1", 1},        {"10.255.255.255", 1},  {"9.255.255.255", 0},
  {"11.0.0.0", 0},        {"172.15.255.255", 0},  {"172.16.0.0", 1},
  {"172.31.255.255", 1},  {"172.32.0.0", 0},      {"192.168.0.1", 1},
  {"192.167.255.255", 0}, {"192.169.0.0", 0},     {"127.0.0.1", 1},
  {"127.255.255.255", 1}, {"128.0.0.0", 0},       {"169.254.1.1", 1},
  {"169.253.255.255", 0}, {"169.255.0.0", 0},     {"100.64.0.0", 1},
  {"100.127.255.255", 1}, {"100.63.255.255", 0},  {"100.128.0.0", 0},
  {"8.8.8.8", 0},         {"0.0.0.0", 0},         {"255.255.255.255", 0},
  {"fc00::1", 1},         {"fd12:3456::1", 1},    {"fbff::1", 0},
  {"fe00::1", 0},         {"fe80::1", 1},         {"febf::1", 1},
  {"fec0::1", 0},         {"::1", 1},             {"::2", 0},
  {"::", 0},              {"2001:db8::1", 0},     {"::ffff:192.168.1.1", 1},
  {"::ffff:8.8.8.8", 0},  {"::ffff:127.0.0.1", 1}, {"2606:4700::1111", 0},
};

START_TEST(test_is_private) {
  struct sockaddr_storage sa = make(private_cases[_i].ip, 21);

  ck_assert_msg(ftp_addr_is_private(&sa) == private_cases[_i].priv, "%s",
                private_cases[_i].ip);
}
END_TEST

START_TEST(test_port_helpers) {
  struct sockaddr_storage sa = make("10.0.0.1", 21);

  ck_assert_uint_eq(ftp_addr_port(&sa), 21);
  ftp_addr_set_port(&sa, 65535);
  ck_assert_uint_eq(ftp_addr_port(&sa), 65535);
  ftp_addr_set_port(&sa, 65536);
  ck_assert_uint_eq(ftp_addr_port(&sa), 65535);
  sa = make("2001:db8::1", 0);
  ck_assert_uint_eq(ftp_addr_port(&sa), 0);
  ftp_addr_set_port(&sa, 990);
  ck_assert_uint_eq(ftp_addr_port(&sa), 990);
  memset(&sa, 0, sizeof(sa));
  ftp_addr_set_port(&sa, 21);
  ck_assert_uint_eq(ftp_addr_port(&sa), 0);
}
END_TEST

START_TEST(test_strings) {
  struct sockaddr_storage sa;
  char s[FTP_ADDR_STRLEN];

  poison(&sa);
  ck_assert_int_eq(ftp_addr_from_string("example.com", 21, &sa), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string("[::1]", 21, &sa), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string("10.0.0.1:21", 21, &sa),
                   FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string("fe80::1%lo", 21, &sa), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string(" 10.0.0.1", 21, &sa), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string("", 21, &sa), FTP_E_BAD_ARG);
  ck_assert_int_eq(ftp_addr_from_string("10.0.0.1", 65536, &sa),
                   FTP_E_BAD_ARG);
  ck_assert(is_poisoned(&sa));

  sa = make("2001:DB8::1", 21);
  ck_assert_int_eq(sa.ss_family, AF_INET6);
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, sizeof(s)), 0);
  ck_assert_str_eq(s, "2001:db8::1");
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, 5), FTP_E_TOOBIG);
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, 0), FTP_E_TOOBIG);
  sa = make("10.0.0.1", 0);
  ck_assert_int_eq(sa.ss_family, AF_INET);
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, sizeof(s)), 0);
  ck_assert_str_eq(s, "10.0.0.1");
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, 9), 0);
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, 8), FTP_E_TOOBIG);
  memset(&sa, 0, sizeof(sa));
  ck_assert_int_eq(ftp_addr_to_string(&sa, s, sizeof(s)),
                   FTP_E_AF_UNSUPPORTED);
}
END_TEST

/* One loop test over every row of table t. */
#define ADD_ROWS(tc, fn, t)                                                   \
  tcase_add_loop_test(tc, fn, 0, (int)(sizeof(t) / sizeof((t)[0])))

static Suite *addr_suite(void) {
  Suite *s = suite_create("addr");
  TCase *tc;

  tc = tcase_create("port");
  ADD_ROWS(tc, test_port_ok, port_ok);
  ADD_ROWS(tc, test_port_bad, port_bad);
  tcase_add_test(tc, test_port_roundtrip);
  tcase_add_test(tc, test_port_format);
  ADD_ROWS(tc, test_pasv_reply, pasv_cases);
  suite_add_tcase(s, tc);

  tc = tcase_create("eprt");
  ADD_ROWS(tc, test_eprt_ok, eprt_ok);
  ADD_ROWS(tc, test_eprt_bad, eprt_bad);
  tcase_add_test(tc, test_eprt_replies);
  tcase_add_test(tc, test_eprt_roundtrip);
  tcase_add_test(tc, test_eprt_format_bad);
  suite_add_tcase(s, tc);

  tc = tcase_create("epsv");
  ADD_ROWS(tc, test_epsv_reply, epsv_reply_cases);
  tcase_add_test(tc, test_epsv_format);
  ADD_ROWS(tc, test_epsv_arg, epsv_arg_cases);
  suite_add_tcase(s, tc);

  tc = tcase_create("helpers");
  tcase_add_test(tc, test_normalize);
  ADD_ROWS(tc, test_same_host, same_cases);
  tcase_add_test(tc, test_same_host_unknown);
  ADD_ROWS(tc, test_is_private, private_cases);
  tcase_add_test(tc, test_port_helpers);
  tcase_add_test(tc, test_strings);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(addr_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
