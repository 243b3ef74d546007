/*
 * check_conf.c: the "conf" suite: FTPDATA member parsing, the keyword
 * table, the cross-keyword rules, printing, finding and loading members.
 *
 * Run one test with CK_RUN_CASE=<tcase> (e.g. CK_RUN_CASE=hostile); slow
 * machines can stretch timeouts with CK_TIMEOUT_MULTIPLIER.  The man page
 * and sample members are read from $FTP_SRCDIR (default ".").
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "alloc_fail.h"
#include "buf.h"
#include "ciphers.h"
#include "conf.h"
#include "conf_int.h"
#include "err.h"
#include "ftp_limits.h"

#define S FTP_CONF_SERVER
#define C FTP_CONF_CLIENT
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Diagnostics collector and helpers.
 */
#define DIAG_MAX 64
#define DIAG_LEN 512

struct diags {
  char line[DIAG_MAX][DIAG_LEN];
  int sev[DIAG_MAX];
  int n;       /* stored */
  int total;   /* received */
  int errors, warnings;
};

static struct diags dg;
static struct ftp_conf cf;

static void collect(void *arg, int severity, const char *line) {
  struct diags *d = arg;

  d->total++;
  if (severity == FTP_CONF_ERROR)
    d->errors++;
  else
    d->warnings++;
  if (d->n < DIAG_MAX) {
    snprintf(d->line[d->n], DIAG_LEN, "%s", line);
    d->sev[d->n] = severity;
    d->n++;
  }
}

/* Parse text as member "t.data" into the global cf, collecting into dg. */
static int parse_side(int side, const char *text) {
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, side);
  return ftp_conf_parse(&cf, "t.data", text, strlen(text), collect, &dg);
}

static int has_diag(const char *want) {
  int i;

  for (i = 0; i < dg.n; i++)
    if (strcmp(dg.line[i], want) == 0)
      return 1;
  return 0;
}

static void dump_diags(void) {
  int i;

  for (i = 0; i < dg.n; i++)
    fprintf(stderr, "  diag[%d] %s\n", i, dg.line[i]);
}

#define ck_diag(want)                                                         \
  do {                                                                        \
    if (!has_diag(want))                                                      \
      dump_diags();                                                           \
    ck_assert_msg(has_diag(want), "missing diagnostic: %s", want);            \
  } while (0)

/* The effective configuration as text (static buffer). */
static const char *printed(const struct ftp_conf *c) {
  static struct ftp_buf b;
  const char *s;

  ftp_buf_free(&b);
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(ftp_conf_print(c, &b), 0);
  s = ftp_buf_cstr(&b, NULL);
  ck_assert_ptr_nonnull(s);
  return s;
}

/* Does the printed configuration hold this exact line? */
static int has_line(const char *text, const char *line) {
  size_t n = strlen(line);
  const char *p = text;

  while ((p = strstr(p, line)) != NULL) {
    if ((p == text || p[-1] == '\n') && p[n] == '\n')
      return 1;
    p += n;
  }
  return 0;
}

#define ck_printed(c, line)                                                   \
  do {                                                                        \
    const char *txt_ = printed(c);                                            \
    ck_assert_msg(has_line(txt_, line), "no line \"%s\" in:\n%s", line, txt_); \
  } while (0)

static void teardown(void) { ftp_conf_free(&cf); }

#define TLSPRE "EXTENSIONS AUTH_TLS\nKEYRING /etc/ftpd/keyring.pem\n"

/* ------------------------------------------------------------------------
 * Every keyword with a good value: the value is accepted with no
 * diagnostic and printed with its origin.
 */
struct good {
  int side;
  const char *text;
  const char *line; /* expected ftp_conf_print line */
};

static const struct good goods[] = {
  {S, "EXTENSIONS AUTH_TLS", "EXTENSIONS (AUTH_TLS,SIZE,MDTM,UTF8,REST_STREAM) ; t.data:1"},
  {C, "EXTENSIONS UTF8", "EXTENSIONS (SIZE,MDTM,UTF8,REST_STREAM) ; t.data:1"},
  {C, "SECURE_MECHANISM TLS", "SECURE_MECHANISM TLS ; t.data:1"},
  {S, TLSPRE "SECURE_FTP REQUIRED", "SECURE_FTP REQUIRED ; t.data:3"},
  {C, "SECURE_FTP REQUIRED", "SECURE_FTP REQUIRED ; t.data:1"},
  {S, TLSPRE "CAFILE /etc/ftpd/ca.pem\nSECURE_LOGIN VERIFY_USER", "SECURE_LOGIN VERIFY_USER ; t.data:4"},
  {S, TLSPRE "CAFILE /c.pem\nSECURE_LOGIN REQUIRED\nSECURE_PASSWORD OPTIONAL", "SECURE_PASSWORD OPTIONAL ; t.data:5"},
  {S, "SECURE_PASSWORD REQUIRED", "SECURE_PASSWORD REQUIRED ; t.data:1"},
  {C, "SECURE_CTRLCONN PRIVATE", "SECURE_CTRLCONN PRIVATE ; t.data:1"},
  {S, "SECURE_CTRLCONN SAFE", "SECURE_CTRLCONN SAFE ; t.data:1"},
  {C, "SECURE_DATACONN SAFE", "SECURE_DATACONN SAFE ; t.data:1"},
  {S, TLSPRE "SECURE_DATACONN PRIVATE", "SECURE_DATACONN PRIVATE ; t.data:3"},
  {S, "SECURE_DATACONN NEVER", "SECURE_DATACONN NEVER ; t.data:1"},
  {C, "SECURE_HOSTNAME OPTIONAL", "SECURE_HOSTNAME OPTIONAL ; t.data:1"},
  {C, "SECURE_SESSION_REUSE NONE", "SECURE_SESSION_REUSE NONE ; t.data:1"},
  {S, "SECURE_SESSION_REUSE ALLOWED", "SECURE_SESSION_REUSE ALLOWED ; t.data:1"},
  {S, "SECURE_PBSZ 512", "SECURE_PBSZ 512 ; t.data:1"},
  {C, "SECURE_PBSZ 32768", "SECURE_PBSZ 32768 ; t.data:1"},
  {C, "TLSRFCLEVEL CCCNONOTIFY", "TLSRFCLEVEL CCCNONOTIFY ; t.data:1"},
  {S, "TLSRFCLEVEL DRAFT", "TLSRFCLEVEL DRAFT ; t.data:1"},
  {S, "TLSMECHANISM FTP", "TLSMECHANISM FTP ; t.data:1"},
  {C, "TLSPORT 2990", "TLSPORT 2990 ; t.data:1"},
  {S, TLSPRE "TLSPORT 990", "TLSPORT 990 ; t.data:3"},
  {S, "TLSPORT 0", "TLSPORT 0 ; t.data:1"},
  {S, "SECUREIMPLICITZOS TRUE", "SECUREIMPLICITZOS TRUE ; t.data:1"},
  {C, "KEYRING /home/u/Cert.p12", "KEYRING /home/u/Cert.p12 ; t.data:1"},
  {C, "CAFILE /etc/ssl/CA.pem", "CAFILE /etc/ssl/CA.pem ; t.data:1"},
  {S, "CIPHERSUITE TLS_AES_256_GCM_SHA384", "CIPHERSUITE (TLS_AES_256_GCM_SHA384) ; t.data:1"},
  {C, "CIPHERSUITE ssl_aes_128_sha", "CIPHERSUITE (SSL_AES_128_SHA) ; t.data:1"},
  {S, "TLSTIMEOUT 1", "TLSTIMEOUT 1 ; t.data:1"},
  {S, "TLSCERTCROSSCHECK FALSE", "TLSCERTCROSSCHECK FALSE ; t.data:1"},
  {S, "TLSCLOSENOTIFY OPTIONAL", "TLSCLOSENOTIFY OPTIONAL ; t.data:1"},
  {C, "EPSV4 FALSE", "EPSV4 FALSE ; t.data:1"},
  {C, "FWFRIENDLY FALSE", "FWFRIENDLY FALSE ; t.data:1"},
  {C, "PASSIVEIGNOREADDR TRUE", "PASSIVEIGNOREADDR TRUE ; t.data:1"},
  {S, "PASSIVEDATAPORTS (1024,65535)", "PASSIVEDATAPORTS (1024,65535) ; t.data:1"},
  {S, "PASSIVEDATAPORTS\t(\t50000 ,50000 )  ", "PASSIVEDATAPORTS (50000,50000) ; t.data:1"},
  {S, "PASSIVEDATACONN UNRESTRICTED", "PASSIVEDATACONN UNRESTRICTED ; t.data:1"},
  {S, "PASSIVEADDRESS 203.0.113.7", "PASSIVEADDRESS 203.0.113.7 ; t.data:1"},
  {S, "PORTCOMMAND REJECT", "PORTCOMMAND REJECT ; t.data:1"},
  {S, "PORTCOMMANDIPADDR UNRESTRICTED", "PORTCOMMANDIPADDR UNRESTRICTED ; t.data:1"},
  {S, "PORTCOMMANDPORT UNRESTRICTED", "PORTCOMMANDPORT UNRESTRICTED ; t.data:1"},
  {S, "INACTIVE 0", "INACTIVE 0 ; t.data:1"},
  {S, "DATATIMEOUT 86400", "DATATIMEOUT 86400 ; t.data:1"},
  {C, "INACTTIME 15", "INACTTIME 15 ; t.data:1"},
  {C, "INACTTIME 0", "INACTTIME 0 ; t.data:1"},
  {C, "DATACTTIME 0", "DATACTTIME 0 ; t.data:1"},
  {C, "CCONNTIME 0", "CCONNTIME 0 ; t.data:1"},
  {C, "MYOPENTIME 86400", "MYOPENTIME 86400 ; t.data:1"},
  {S, "FTPKEEPALIVE 60", "FTPKEEPALIVE 60 ; t.data:1"},
  {C, "DATAKEEPALIVE 60", "DATAKEEPALIVE 60 ; t.data:1"},
  {S, "DATAKEEPALIVE 0", "DATAKEEPALIVE 0 ; t.data:1"},
  {S, "PORT 2121", "PORT 2121 ; t.data:1"},
  {S, "LISTENADDRESS ::1", "LISTENADDRESS (::1) ; t.data:1"},
  {S, "LISTENADDRESS ( 127.0.0.1 , ::1 )", "LISTENADDRESS (127.0.0.1,::1) ; t.data:1"},
  {S, "RUNAS ftpd", "RUNAS ftpd ; t.data:1"},
  {S, "USERFILE /etc/ftpd/Users", "USERFILE /etc/ftpd/Users ; t.data:1"},
  {S, "XFERLOG /var/log/xferlog", "XFERLOG /var/log/xferlog ; t.data:1"},
  {S, "PIDFILE /run/x.pid", "PIDFILE /run/x.pid ; t.data:1"},
  {S, "LOGINATTEMPTS 100", "LOGINATTEMPTS 100 ; t.data:1"},
  {S, "MAXSESSIONS 1", "MAXSESSIONS 1 ; t.data:1"},
  {S, "MAXSESSIONSPERIP 1000000", "MAXSESSIONSPERIP 1000000 ; t.data:1"},
  {S, "BANFAILURES 0", "BANFAILURES 0 ; t.data:1"},
  {S, "BANFAILURES 20", "BANFAILURES 20 ; t.data:1"},
  {S, "BANWINDOW 86400", "BANWINDOW 86400 ; t.data:1"},
  {S, "BANTIME 604800", "BANTIME 604800 ; t.data:1"},
  {S, "BANEXEMPT 127.0.0.1", "BANEXEMPT (127.0.0.1) ; t.data:1"},
  {S, "BANEXEMPT (10.0.0.0/8, 2001:db8::/32,::1)", "BANEXEMPT (10.0.0.0/8,2001:db8::/32,::1) ; t.data:1"},
  {S, "PAMSERVICE ftpd", "PAMSERVICE ftpd ; t.data:1"},
  {S, "PAMROOT /srv/ftp", "PAMROOT /srv/ftp ; t.data:1"},
  {S, "FTPUSERS /etc/ftpd/denied", "FTPUSERS /etc/ftpd/denied ; t.data:1"},
  {S, "BANNER /etc/ftpd/banner", "BANNER /etc/ftpd/banner ; t.data:1"},
  {S, "LOGINMSG /etc/ftpd/motd", "LOGINMSG /etc/ftpd/motd ; t.data:1"},
  {S, "ANONYMOUS", "ANONYMOUS ftp ; t.data:1"},
  {S, "ANONYMOUS Anon_1", "ANONYMOUS Anon_1 ; t.data:1"},
  {S, "STARTDIRECTORY HFS", "STARTDIRECTORY HFS ; t.data:1"},
  {S, "REPLYSECURITYLEVEL 1", "REPLYSECURITYLEVEL 1 ; t.data:1"},
  {S, "PROXYPROTOCOL 192.0.2.4", "PROXYPROTOCOL (192.0.2.4) ; t.data:1"},
  {S, "PROXYPROTOCOL ( 10.0.0.0/8 , 2001:db8::/32,192.0.2.4/32 )",
   "PROXYPROTOCOL (10.0.0.0/8,2001:db8::/32,192.0.2.4/32) ; t.data:1"},
  {S, "PROXYPROTOCOL 10.1.0.0/16\nPROXYPROTOCOLDATA TRUE",
   "PROXYPROTOCOLDATA TRUE ; t.data:2"},
  {S, "TLSTICKETKEY /etc/ftpd/ticket.key", "TLSTICKETKEY /etc/ftpd/ticket.key ; t.data:1"},
  {S, "METRICSPORT 9273", "METRICSPORT 9273 ; t.data:1"},
  {S, "METRICSPORT 0", "METRICSPORT 0 ; t.data:1"},
  {S, "METRICSADDRESS ::1", "METRICSADDRESS ::1 ; t.data:1"},
  {S, "METRICSADDRESS 0.0.0.0", "METRICSADDRESS 0.0.0.0 ; t.data:1"},
  {S, "DRAINTIMEOUT 0", "DRAINTIMEOUT 0 ; t.data:1"},
  {S, "DRAINTIMEOUT 600", "DRAINTIMEOUT 600 ; t.data:1"},
  {S, "UMASK 077", "UMASK 077 ; t.data:1"},
  {C, "UMASK 7", "UMASK 007 ; t.data:1"},
  {S, "UMASK 0022", "UMASK 022 ; t.data:1"},
  {S, "LISTSUBDIR FALSE", "LISTSUBDIR FALSE ; t.data:1"},
  {C, "SUPPRESSIGNOREWARNINGS TRUE", "SUPPRESSIGNOREWARNINGS TRUE ; t.data:1"},
  {S, "ANONYMOUSLEVEL 3", "ANONYMOUSLEVEL 3 ; t.data:1"},
  {S, "VERIFYUSER FALSE", "VERIFYUSER FALSE ; t.data:1"},
  {S, "PASSPHRASE TRUE", "PASSPHRASE TRUE ; t.data:1"},
  {S, "ANONYMOUSFILETYPESEQ TRUE", "ANONYMOUSFILETYPESEQ TRUE ; t.data:1"},
  {S, "EMAILADDRCHECK FALSE", "EMAILADDRCHECK FALSE ; t.data:1"},
};

START_TEST(test_good_value) {
  const struct good *g = &goods[_i];
  int r = parse_side(g->side, g->text);

  if (r != 0 || dg.total != 0)
    dump_diags();
  ck_assert_msg(r == 0, "%s: r=%d", g->text, r);
  ck_assert_int_eq(dg.total, 0);
  ck_printed(&cf, g->line);
}
END_TEST

/* Accepted with one warning. */
struct warned {
  int side;
  const char *text;
  const char *diag;
  const char *line;
};

static const struct warned warneds[] = {
  {S, "TLSMECHANISM ATTLS",
   "t.data:1: TLSMECHANISM: warning: ATTLS: AT-TLS has no meaning here; TLS is done by the program itself, as FTP",
   "TLSMECHANISM FTP ; t.data:1"},
  {S, "STARTDIRECTORY mvs",
   "t.data:1: STARTDIRECTORY: warning: MVS: there are no MVS data sets here; HFS (the home directory) is used",
   "STARTDIRECTORY HFS ; t.data:1"},
  {S, "ANONYMOUS guest/secret",
   "t.data:1: ANONYMOUS: warning: the part after \"/\" (password or SURROGATE) has no meaning here; ignored",
   "ANONYMOUS guest ; t.data:1"},
  {S, "ANONYMOUS guest/SURROGATE",
   "t.data:1: ANONYMOUS: warning: the part after \"/\" (password or SURROGATE) has no meaning here; ignored",
   "ANONYMOUS guest ; t.data:1"},
  {S, "PASSPHRASE FALSE",
   "t.data:1: PASSPHRASE: warning: FALSE: passwords are never truncated to 8 characters here; TRUE is used",
   "PASSPHRASE TRUE ; t.data:1"},
  {S, "BLKSIZE 6233", "t.data:1: BLKSIZE: warning: has no meaning here; ignored", NULL},
  {C, "JESINTERFACELEVEL", "t.data:1: JESINTERFACELEVEL: warning: has no meaning here; ignored", NULL},
  {C, "PORT 21", "t.data:1: PORT: warning: ignored by the client (server statement)", "TLSPORT 990 ; default"},
  {S, "EPSV4 FALSE", "t.data:1: EPSV4: warning: ignored by the server (client statement)", "PORT 21 ; default"},
  {S, TLSPRE "SECURE_PASSWORD OPTIONAL",
   "t.data:3: SECURE_PASSWORD: warning: OPTIONAL needs SECURE_LOGIN REQUIRED or VERIFY_USER; REQUIRED is used",
   "SECURE_PASSWORD REQUIRED ; t.data:3"},
};

START_TEST(test_warned_value) {
  const struct warned *w = &warneds[_i];
  int r = parse_side(w->side, w->text);

  ck_assert_msg(r == 0, "%s: r=%d", w->text, r);
  ck_assert_int_eq(dg.total, 1);
  ck_assert_int_eq(dg.sev[0], FTP_CONF_WARNING);
  ck_assert_str_eq(dg.line[0], w->diag);
  if (w->line != NULL)
    ck_printed(&cf, w->line);
  /* Security: the password after "/" is never repeated. */
  ck_assert_ptr_null(strstr(dg.line[0], "secret"));
}
END_TEST

/* ------------------------------------------------------------------------
 * Every keyword with a bad value: exactly one error naming file, line,
 * keyword and what was expected, and the default kept.
 */
struct bad {
  int side;
  const char *text;
  const char *diag;
};

static const struct bad bads[] = {
  {S, "EXTENSIONS AUTH_SSL", "t.data:1: EXTENSIONS: \"AUTH_SSL\" is not valid; expected AUTH_TLS, SIZE, MDTM, UTF8 or REST_STREAM"},
  {S, "EXTENSIONS AUTH_GSSAPI", "t.data:1: EXTENSIONS: AUTH_GSSAPI: Kerberos is not supported"},
  {S, "EXTENSIONS SIZE MDTM", "t.data:1: EXTENSIONS: unexpected \"MDTM\" after the value (one value per statement)"},
  {C, "SECURE_MECHANISM GSSAPI", "t.data:1: SECURE_MECHANISM: GSSAPI: Kerberos is not supported"},
  {C, "SECURE_MECHANISM SSL", "t.data:1: SECURE_MECHANISM: \"SSL\" is not valid; expected TLS"},
  {S, "SECURE_FTP PRIVATE", "t.data:1: SECURE_FTP: \"PRIVATE\" is not valid; expected ALLOWED or REQUIRED"},
  {S, "SECURE_LOGIN YES", "t.data:1: SECURE_LOGIN: \"YES\" is not valid; expected NO_CLIENT_AUTH, REQUIRED or VERIFY_USER"},
  {S, "SECURE_PASSWORD NO", "t.data:1: SECURE_PASSWORD: \"NO\" is not valid; expected REQUIRED or OPTIONAL"},
  {S, "SECURE_CTRLCONN NEVER", "t.data:1: SECURE_CTRLCONN: \"NEVER\" is not valid; expected CLEAR, PRIVATE or SAFE"},
  {C, "SECURE_DATACONN P", "t.data:1: SECURE_DATACONN: \"P\" is not valid; expected CLEAR, NEVER, PRIVATE or SAFE"},
  {C, "SECURE_HOSTNAME YES", "t.data:1: SECURE_HOSTNAME: \"YES\" is not valid; expected OPTIONAL or REQUIRED"},
  {S, "SECURE_SESSION_REUSE NONE", "t.data:1: SECURE_SESSION_REUSE: \"NONE\" is not valid for the server; expected ALLOWED or REQUIRED"},
  {C, "SECURE_SESSION_REUSE NEVER", "t.data:1: SECURE_SESSION_REUSE: \"NEVER\" is not valid; expected ALLOWED, REQUIRED or NONE"},
  {S, "SECURE_PBSZ 511", "t.data:1: SECURE_PBSZ: \"511\" is not valid; expected a number from 512 to 32768 (bytes)"},
  {S, "TLSRFCLEVEL 4217", "t.data:1: TLSRFCLEVEL: \"4217\" is not valid; expected DRAFT, RFC4217 or CCCNONOTIFY"},
  {S, "TLSMECHANISM SSL", "t.data:1: TLSMECHANISM: \"SSL\" is not valid; expected FTP or ATTLS"},
  {S, "TLSPORT 65536", "t.data:1: TLSPORT: \"65536\" is not valid; expected 0 or a number from 1 to 65535 (port)"},
  {C, "TLSPORT 0", "t.data:1: TLSPORT: \"0\" is not valid; expected a number from 1 to 65535 (port)"},
  {S, "SECUREIMPLICITZOS YES", "t.data:1: SECUREIMPLICITZOS: \"YES\" is not valid; expected TRUE or FALSE"},
  {S, "KEYRING keyring.pem", "t.data:1: KEYRING: \"keyring.pem\" is not valid; expected an absolute path"},
  {C, "KEYRING *AUTH*/*", "t.data:1: KEYRING: \"*AUTH*/*\" is not valid; expected an absolute path"},
  {S, "CAFILE", "t.data:1: CAFILE: missing value; expected an absolute path"},
  {S, "CIPHERSUITE SSL_RC4_SHA", "t.data:1: CIPHERSUITE: SSL_RC4_SHA: RC4 is insecure and refused"},
  {C, "CIPHERSUITE ssl_3des_sha", "t.data:1: CIPHERSUITE: SSL_3DES_SHA: 3DES (64-bit blocks, Sweet32) is insecure and refused"},
  {S, "CIPHERSUITE TLS_RSA_EXPORT_WITH_RC4_40_MD5", "t.data:1: CIPHERSUITE: TLS_RSA_EXPORT_WITH_RC4_40_MD5: EXPORT ciphers are insecure and refused"},
  {S, "CIPHERSUITE AES128", "t.data:1: CIPHERSUITE: \"AES128\" is not a known cipher suite (see ftp.data(5))"},
  {S, "CIPHERSUITE TLS_AES_128_GCM_SHA", "t.data:1: CIPHERSUITE: \"TLS_AES_128_GCM_SHA\" is not a known cipher suite; did you mean TLS_AES_128_GCM_SHA256?"},
  {S, "TLSTIMEOUT 0", "t.data:1: TLSTIMEOUT: \"0\" is not valid; expected a number from 1 to 86400 (seconds)"},
  {S, "TLSCERTCROSSCHECK 1", "t.data:1: TLSCERTCROSSCHECK: \"1\" is not valid; expected TRUE or FALSE"},
  {S, "TLSCLOSENOTIFY NEVER", "t.data:1: TLSCLOSENOTIFY: \"NEVER\" is not valid; expected REQUIRED or OPTIONAL"},
  {C, "EPSV4 YES", "t.data:1: EPSV4: \"YES\" is not valid; expected TRUE or FALSE"},
  {C, "FWFRIENDLY ON", "t.data:1: FWFRIENDLY: \"ON\" is not valid; expected TRUE or FALSE"},
  {C, "PASSIVEIGNOREADDR", "t.data:1: PASSIVEIGNOREADDR: missing value; expected TRUE or FALSE"},
  {S, "PASSIVEDATAPORTS (1023,2000)", "t.data:1: PASSIVEDATAPORTS: \"(1023,2000)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS (3000,2000)", "t.data:1: PASSIVEDATAPORTS: \"(3000,2000)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS (3000,65536)", "t.data:1: PASSIVEDATAPORTS: \"(3000,65536)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS 50000", "t.data:1: PASSIVEDATAPORTS: \"50000\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS (50000,50001,50002)", "t.data:1: PASSIVEDATAPORTS: \"(50000,50001,50002)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS (50000 50001)", "t.data:1: PASSIVEDATAPORTS: \"(50000 50001)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATAPORTS (,50001)", "t.data:1: PASSIVEDATAPORTS: \"(,50001)\" is not valid; expected (low,high) with 1024 <= low <= high <= 65535"},
  {S, "PASSIVEDATACONN NO", "t.data:1: PASSIVEDATACONN: \"NO\" is not valid; expected UNRESTRICTED or NOREDIRECT"},
  {S, "PASSIVEADDRESS 2001:db8::1", "t.data:1: PASSIVEADDRESS: \"2001:db8::1\" is not valid; expected an IPv4 address such as 192.0.2.10"},
  {S, "PASSIVEADDRESS 10.0.0.256", "t.data:1: PASSIVEADDRESS: \"10.0.0.256\" is not valid; expected an IPv4 address such as 192.0.2.10"},
  {S, "PORTCOMMAND DENY", "t.data:1: PORTCOMMAND: \"DENY\" is not valid; expected ACCEPT or REJECT"},
  {S, "PORTCOMMANDIPADDR X", "t.data:1: PORTCOMMANDIPADDR: \"X\" is not valid; expected UNRESTRICTED or NOREDIRECT"},
  {S, "PORTCOMMANDPORT LOW", "t.data:1: PORTCOMMANDPORT: \"LOW\" is not valid; expected UNRESTRICTED or NOLOWPORTS"},
  {S, "INACTIVE -1", "t.data:1: INACTIVE: \"-1\" is not valid; expected a number from 0 to 86400 (seconds)"},
  {S, "DATATIMEOUT 86401", "t.data:1: DATATIMEOUT: \"86401\" is not valid; expected a number from 0 to 86400 (seconds)"},
  {C, "INACTTIME 14", "t.data:1: INACTTIME: \"14\" is not valid; expected 0 or a number from 15 to 86400 (seconds)"},
  {C, "DATACTTIME 1", "t.data:1: DATACTTIME: \"1\" is not valid; expected 0 or a number from 15 to 86400 (seconds)"},
  {C, "CCONNTIME x", "t.data:1: CCONNTIME: \"x\" is not valid; expected a number from 0 to 86400 (seconds)"},
  {C, "MYOPENTIME 99999999999", "t.data:1: MYOPENTIME: \"99999999999\" is not valid; expected a number from 0 to 86400 (seconds)"},
  {S, "FTPKEEPALIVE 86401", "t.data:1: FTPKEEPALIVE: \"86401\" is not valid; expected a number from 0 to 86400 (seconds)"},
  {C, "DATAKEEPALIVE 59", "t.data:1: DATAKEEPALIVE: \"59\" is not valid; expected 0 or a number from 60 to 86400 (seconds)"},
  {S, "PORT 0", "t.data:1: PORT: \"0\" is not valid; expected a number from 1 to 65535 (port)"},
  {S, "PORT 0x15", "t.data:1: PORT: \"0x15\" is not valid; expected a number from 1 to 65535 (port)"},
  {S, "LISTENADDRESS localhost", "t.data:1: LISTENADDRESS: \"localhost\" is not valid; expected an IPv4 or IPv6 address, or a list (addr,addr,...)"},
  {S, "LISTENADDRESS (::1, ::1)", "t.data:1: LISTENADDRESS: \"::1\" is listed twice"},
  {S, "LISTENADDRESS ()", "t.data:1: LISTENADDRESS: \"()\" is not valid; expected an IPv4 or IPv6 address, or a list (addr,addr,...)"},
  {S, "LISTENADDRESS (127.0.0.1,fe80::1%eth0)", "t.data:1: LISTENADDRESS: \"fe80::1%eth0\" is not valid; expected an IPv4 or IPv6 address, or a list (addr,addr,...)"},
  {S, "RUNAS -x", "t.data:1: RUNAS: \"-x\" is not valid; expected an account name (letters, digits, '.', '_', '-')"},
  {S, "RUNAS ro/ot", "t.data:1: RUNAS: \"ro/ot\" is not valid; expected an account name (letters, digits, '.', '_', '-')"},
  {S, "USERFILE users", "t.data:1: USERFILE: \"users\" is not valid; expected an absolute path"},
  {S, "XFERLOG", "t.data:1: XFERLOG: missing value; expected an absolute path"},
  {S, "PIDFILE run.pid", "t.data:1: PIDFILE: \"run.pid\" is not valid; expected an absolute path"},
  {S, "LOGINATTEMPTS 0", "t.data:1: LOGINATTEMPTS: \"0\" is not valid; expected a number from 1 to 100"},
  {S, "MAXSESSIONS 0", "t.data:1: MAXSESSIONS: \"0\" is not valid; expected a number from 1 to 1000000"},
  {S, "MAXSESSIONSPERIP 1000001", "t.data:1: MAXSESSIONSPERIP: \"1000001\" is not valid; expected a number from 1 to 1000000"},
  {S, "BANFAILURES 21", "t.data:1: BANFAILURES: \"21\" is not valid; expected 0 or a number from 1 to 20"},
  {S, "BANWINDOW 0", "t.data:1: BANWINDOW: \"0\" is not valid; expected a number from 1 to 86400 (seconds)"},
  {S, "BANTIME 604801", "t.data:1: BANTIME: \"604801\" is not valid; expected a number from 1 to 604800 (seconds)"},
  {S, "BANEXEMPT 10.0.0.0/33", "t.data:1: BANEXEMPT: \"10.0.0.0/33\" is not valid; expected an address or network such as 192.0.2.10 or 10.0.0.0/24, or a list (net,net,...)"},
  {S, "BANEXEMPT (::1,::1)", "t.data:1: BANEXEMPT: \"::1\" is listed twice"},
  {S, "BANEXEMPT localhost", "t.data:1: BANEXEMPT: \"localhost\" is not valid; expected an address or network such as 192.0.2.10 or 10.0.0.0/24, or a list (net,net,...)"},
  {S, "PAMSERVICE pam.d/ftpd", "t.data:1: PAMSERVICE: \"pam.d/ftpd\" is not valid; expected an account name (letters, digits, '.', '_', '-')"},
  {S, "PAMROOT srv", "t.data:1: PAMROOT: \"srv\" is not valid; expected an absolute path"},
  {S, "FTPUSERS ftpusers", "t.data:1: FTPUSERS: \"ftpusers\" is not valid; expected an absolute path"},
  {S, "PROXYPROTOCOL 10.0.0.1/8", "t.data:1: PROXYPROTOCOL: \"10.0.0.1/8\" is not valid; expected an address or network such as 192.0.2.10 or 10.0.0.0/24, or a list (net,net,...)"},
  {S, "PROXYPROTOCOL (lb.example.org)", "t.data:1: PROXYPROTOCOL: \"lb.example.org\" is not valid; expected an address or network such as 192.0.2.10 or 10.0.0.0/24, or a list (net,net,...)"},
  {S, "PROXYPROTOCOLDATA YES", "t.data:1: PROXYPROTOCOLDATA: \"YES\" is not valid; expected TRUE or FALSE"},
  {S, "TLSTICKETKEY ticket.key", "t.data:1: TLSTICKETKEY: \"ticket.key\" is not valid; expected an absolute path"},
  {S, "METRICSPORT 65536", "t.data:1: METRICSPORT: \"65536\" is not valid; expected 0 or a number from 1 to 65535 (port)"},
  {S, "METRICSADDRESS localhost", "t.data:1: METRICSADDRESS: \"localhost\" is not valid; expected an IPv4 or IPv6 address such as 127.0.0.1"},
  {S, "DRAINTIMEOUT 86401", "t.data:1: DRAINTIMEOUT: \"86401\" is not valid; expected 0 or a number from 1 to 86400 (seconds)"},
  {S, "BANNER banner.txt", "t.data:1: BANNER: \"banner.txt\" is not valid; expected an absolute path"},
  {S, "LOGINMSG 'USER.MOTD'", "t.data:1: LOGINMSG: \"'USER.MOTD'\" is not valid; expected an absolute path"},
  {S, "ANONYMOUS bad$user", "t.data:1: ANONYMOUS: \"bad$user\" is not valid; expected nothing or an account name"},
  {S, "ANONYMOUS /secret", "t.data:1: ANONYMOUS: \"\" is not valid; expected nothing or an account name"},
  {S, "ANONYMOUS a b", "t.data:1: ANONYMOUS: unexpected \"b\" after the value (one value per statement)"},
  {S, "STARTDIRECTORY ROOT", "t.data:1: STARTDIRECTORY: \"ROOT\" is not valid; expected HFS or MVS"},
  {S, "REPLYSECURITYLEVEL 2", "t.data:1: REPLYSECURITYLEVEL: \"2\" is not valid; expected 0 or 1"},
  {S, "UMASK 800", "t.data:1: UMASK: \"800\" is not valid; expected an octal mask from 000 to 777"},
  {C, "UMASK 1777", "t.data:1: UMASK: \"1777\" is not valid; expected an octal mask from 000 to 777"},
  {S, "UMASK 00000", "t.data:1: UMASK: \"00000\" is not valid; expected an octal mask from 000 to 777"},
  {S, "LISTSUBDIR maybe", "t.data:1: LISTSUBDIR: \"maybe\" is not valid; expected TRUE or FALSE"},
  {C, "SUPPRESSIGNOREWARNINGS YES", "t.data:1: SUPPRESSIGNOREWARNINGS: \"YES\" is not valid; expected TRUE or FALSE"},
  {S, "ANONYMOUSLEVEL 2", "t.data:1: ANONYMOUSLEVEL: 2: only ANONYMOUSLEVEL 3 is implemented (confined to the anonymous root, read-only)"},
  {S, "ANONYMOUSLEVEL 4", "t.data:1: ANONYMOUSLEVEL: \"4\" is not valid; expected 3"},
  {S, "VERIFYUSER TRUE", "t.data:1: VERIFYUSER: TRUE: SERVAUTH port profiles do not exist here; VERIFYUSER TRUE is not supported"},
  {S, "PASSPHRASE 8", "t.data:1: PASSPHRASE: \"8\" is not valid; expected TRUE or FALSE"},
  {S, "ANONYMOUSFILETYPESEQ FALSE", "t.data:1: ANONYMOUSFILETYPESEQ: FALSE: anonymous users can always read files here; remove ANONYMOUS to disable anonymous login"},
  {S, "EMAILADDRCHECK FAIL", "t.data:1: EMAILADDRCHECK: FAIL: the anonymous password is not checked for an e-mail address here"},
  {S, "SECURE_PASSWORD_KERBEROS OPTIONAL", "t.data:1: SECURE_PASSWORD_KERBEROS: Kerberos is not supported"},
  {C, "SECURE_PASSWORD_KERBEROS", "t.data:1: SECURE_PASSWORD_KERBEROS: Kerberos is not supported"},
};

START_TEST(test_bad_value) {
  const struct bad *b = &bads[_i];
  struct ftp_conf def;
  char *got;
  int r = parse_side(b->side, b->text);

  if (dg.total != 1)
    dump_diags();
  ck_assert_msg(r == FTP_E_CONF, "%s: r=%d", b->text, r);
  ck_assert_int_eq(dg.total, 1);
  ck_assert_int_eq(dg.sev[0], FTP_CONF_ERROR);
  ck_assert_str_eq(dg.line[0], b->diag);
  /* The keyword keeps its default: nothing of a bad statement is applied,
   * and its origin stays "default". */
  ftp_conf_init(&def, b->side);
  got = strdup(printed(&cf));
  ck_assert_str_eq(got, printed(&def));
  free(got);
  ck_assert_ptr_null(strstr(dg.line[0], "secret"));
}
END_TEST

/* The tables above name every keyword: every row has a good and a bad
 * case (a refused statement has no good one, an ignored one no bad one). */
static int mentioned(const char *text, const char *kw) {
  size_t n = strlen(kw);
  const char *p = text;

  for (; p != NULL; p = strchr(p, '\n'), p = p != NULL ? p + 1 : NULL)
    if (strncasecmp(p, kw, n) == 0 && (p[n] == ' ' || p[n] == '\0' || p[n] == '\n'))
      return 1;
  return 0;
}

START_TEST(test_cases_cover_table) {
  size_t i, j;
  int good, bad;

  for (i = 0; i < ftp__conf_ntable; i++) {
    const struct ftp__conf_kw *kw = &ftp__conf_table[i];
    good = bad = 0;
    for (j = 0; j < NELEM(goods); j++)
      good |= mentioned(goods[j].text, kw->name);
    for (j = 0; j < NELEM(warneds); j++)
      good |= mentioned(warneds[j].text, kw->name);
    for (j = 0; j < NELEM(bads); j++)
      bad |= mentioned(bads[j].text, kw->name);
    if (kw->type != FTP__CONF_T_REFUSED && kw->type != FTP__CONF_T_IGNORED)
      ck_assert_msg(good, "%s has no good-value case", kw->name);
    if (kw->type != FTP__CONF_T_IGNORED)
      ck_assert_msg(bad, "%s has no bad-value case", kw->name);
    ck_assert_msg(kw->desc != NULL && kw->desc[0] != '\0', "%s: no description", kw->name);
  }
}
END_TEST

/* Every field is where its row says: one member sets each keyword to a
 * value other than its default and the fields are read directly. */
START_TEST(test_fields) {
  static const char server[] =
      "EXTENSIONS AUTH_TLS\nKEYRING /k.pem\nCAFILE /ca.pem\n"
      "SECURE_FTP REQUIRED\nSECURE_LOGIN VERIFY_USER\nSECURE_PASSWORD OPTIONAL\n"
      "SECURE_CTRLCONN PRIVATE\nSECURE_DATACONN SAFE\nSECURE_SESSION_REUSE ALLOWED\n"
      "SECURE_PBSZ 1024\nTLSRFCLEVEL CCCNONOTIFY\nTLSPORT 10990\nSECUREIMPLICITZOS TRUE\n"
      "CIPHERSUITE TLS_CHACHA20_POLY1305_SHA256\nTLSTIMEOUT 600\nTLSCERTCROSSCHECK FALSE\n"
      "TLSCLOSENOTIFY OPTIONAL\nPASSIVEDATAPORTS (50000,50099)\nPASSIVEDATACONN UNRESTRICTED\n"
      "PASSIVEADDRESS 198.51.100.1\nPORTCOMMAND REJECT\nPORTCOMMANDIPADDR UNRESTRICTED\n"
      "PORTCOMMANDPORT UNRESTRICTED\nINACTIVE 11\nDATATIMEOUT 12\nFTPKEEPALIVE 13\n"
      "DATAKEEPALIVE 64\nPORT 2121\nLISTENADDRESS (192.0.2.1,2001:db8::1)\nRUNAS ftpd\n"
      "USERFILE /u\nXFERLOG /x\nPIDFILE /p\nLOGINATTEMPTS 5\nMAXSESSIONS 7\n"
      "MAXSESSIONSPERIP 6\nBANNER /b\nLOGINMSG /l\nANONYMOUS anon\nREPLYSECURITYLEVEL 1\n"
      "UMASK 002\nLISTSUBDIR FALSE\nSUPPRESSIGNOREWARNINGS TRUE\n"
      "PROXYPROTOCOL (192.0.2.4,10.0.0.0/8)\nPROXYPROTOCOLDATA TRUE\nTLSTICKETKEY /t\n"
      "METRICSPORT 9273\nMETRICSADDRESS ::1\nDRAINTIMEOUT 45\n";
  static const char client[] =
      "SECURE_MECHANISM TLS\nSECURE_HOSTNAME OPTIONAL\nSECURE_SESSION_REUSE NONE\n"
      "TLSPORT 4990\nEPSV4 FALSE\nFWFRIENDLY FALSE\nPASSIVEIGNOREADDR TRUE\n"
      "INACTTIME 21\nDATACTTIME 22\nCCONNTIME 23\nMYOPENTIME 24\nTLSRFCLEVEL DRAFT\n";

  ck_assert_int_eq(parse_side(S, server), 0);
  ck_assert_int_eq(dg.total, 0);
  ck_assert_uint_eq(cf.extensions, FTP_EXT_AUTH_TLS | FTP_EXT_SIZE | FTP_EXT_MDTM |
                                       FTP_EXT_UTF8 | FTP_EXT_REST_STREAM);
  ck_assert_str_eq(cf.keyring, "/k.pem");
  ck_assert_str_eq(cf.cafile, "/ca.pem");
  ck_assert_int_eq(cf.secure_ftp, FTP_SECURE_FTP_REQUIRED);
  ck_assert_int_eq(cf.secure_login, FTP_SECURE_LOGIN_VERIFY_USER);
  ck_assert_int_eq(cf.secure_password, FTP_SECURE_PASSWORD_OPTIONAL);
  ck_assert_int_eq(cf.secure_ctrlconn, FTP_SECURE_CTRLCONN_PRIVATE);
  ck_assert_int_eq(cf.secure_dataconn, FTP_SECURE_DATACONN_SAFE);
  ck_assert_int_eq(cf.secure_session_reuse, FTP_SECURE_SESSION_REUSE_ALLOWED);
  ck_assert_uint_eq(cf.secure_pbsz, 1024);
  ck_assert_int_eq(cf.tlsrfclevel, FTP_TLSRFCLEVEL_CCCNONOTIFY);
  ck_assert_uint_eq(cf.tlsport, 10990);
  ck_assert_int_eq(cf.secureimplicitzos, 1);
  ck_assert_uint_eq(cf.ciphersuite.n, 1);
  ck_assert_str_eq(cf.ciphersuite.v[0], "TLS_CHACHA20_POLY1305_SHA256");
  ck_assert_uint_eq(cf.tlstimeout, 600);
  ck_assert_int_eq(cf.tlscertcrosscheck, 0);
  ck_assert_int_eq(cf.tlsclosenotify, FTP_TLSCLOSENOTIFY_OPTIONAL);
  ck_assert_int_eq(cf.passivedataports.set, 1);
  ck_assert_uint_eq(cf.passivedataports.low, 50000);
  ck_assert_uint_eq(cf.passivedataports.high, 50099);
  ck_assert_int_eq(cf.passivedataconn, FTP_PASSIVEDATACONN_UNRESTRICTED);
  ck_assert_str_eq(cf.passiveaddress, "198.51.100.1");
  ck_assert_int_eq(cf.portcommand, FTP_PORTCOMMAND_REJECT);
  ck_assert_int_eq(cf.portcommandipaddr, FTP_PORTCOMMANDIPADDR_UNRESTRICTED);
  ck_assert_int_eq(cf.portcommandport, FTP_PORTCOMMANDPORT_UNRESTRICTED);
  ck_assert_uint_eq(cf.inactive, 11);
  ck_assert_uint_eq(cf.datatimeout, 12);
  ck_assert_uint_eq(cf.ftpkeepalive, 13);
  ck_assert_uint_eq(cf.datakeepalive, 64);
  ck_assert_uint_eq(cf.port, 2121);
  ck_assert_uint_eq(cf.listenaddress.n, 2);
  ck_assert_str_eq(cf.listenaddress.v[0], "192.0.2.1");
  ck_assert_str_eq(cf.listenaddress.v[1], "2001:db8::1");
  ck_assert_str_eq(cf.runas, "ftpd");
  ck_assert_str_eq(cf.userfile, "/u");
  ck_assert_str_eq(cf.xferlog, "/x");
  ck_assert_str_eq(cf.pidfile, "/p");
  ck_assert_uint_eq(cf.loginattempts, 5);
  ck_assert_uint_eq(cf.proxyprotocol.n, 2);
  ck_assert_str_eq(cf.proxyprotocol.v[1], "10.0.0.0/8");
  ck_assert_int_eq(cf.proxyprotocoldata, 1);
  ck_assert_str_eq(cf.tlsticketkey, "/t");
  ck_assert_uint_eq(cf.metricsport, 9273);
  ck_assert_str_eq(cf.metricsaddress, "::1");
  ck_assert_uint_eq(cf.draintimeout, 45);
  ck_assert_uint_eq(cf.maxsessions, 7);
  ck_assert_uint_eq(cf.maxsessionsperip, 6);
  ck_assert_str_eq(cf.banner, "/b");
  ck_assert_str_eq(cf.loginmsg, "/l");
  ck_assert_int_eq(cf.anonymous, 1);
  ck_assert_str_eq(cf.anonymous_user, "anon");
  ck_assert_int_eq(cf.startdirectory, FTP_STARTDIRECTORY_HFS);
  ck_assert_int_eq(cf.replysecuritylevel, 1);
  ck_assert_uint_eq(cf.umask, 02);
  ck_assert_int_eq(cf.listsubdir, 0);
  ck_assert_int_eq(cf.suppressignorewarnings, 1);
  ck_assert_str_eq(cf.member, "t.data");
  ck_assert_uint_eq(ftp_conf_line(&cf, "port"), 28);
  ck_assert_uint_eq(ftp_conf_line(&cf, "EPSV4"), 0);
  ck_assert_uint_eq(ftp_conf_line(&cf, "NOSUCH"), 0);
  ftp_conf_free(&cf);

  ck_assert_int_eq(parse_side(C, client), 0);
  ck_assert_int_eq(dg.total, 0);
  ck_assert_int_eq(cf.secure_mechanism, FTP_SECURE_MECHANISM_TLS);
  ck_assert_int_eq(cf.secure_hostname, FTP_SECURE_HOSTNAME_OPTIONAL);
  ck_assert_int_eq(cf.secure_session_reuse, FTP_SECURE_SESSION_REUSE_NONE);
  ck_assert_uint_eq(cf.tlsport, 4990);
  ck_assert_int_eq(cf.epsv4, 0);
  ck_assert_int_eq(cf.fwfriendly, 0);
  ck_assert_int_eq(cf.passiveignoreaddr, 1);
  ck_assert_uint_eq(cf.inacttime, 21);
  ck_assert_uint_eq(cf.datacttime, 22);
  ck_assert_uint_eq(cf.cconntime, 23);
  ck_assert_uint_eq(cf.myopentime, 24);
  ck_assert_int_eq(cf.tlsrfclevel, FTP_TLSRFCLEVEL_DRAFT);
}
END_TEST

/* The defaults of both sides, as documented in ftp.data(5). */
START_TEST(test_defaults) {
  ftp_conf_init(&cf, S);
  ck_assert_uint_eq(cf.extensions, FTP_EXT_SIZE | FTP_EXT_MDTM | FTP_EXT_UTF8 | FTP_EXT_REST_STREAM);
  ck_assert_int_eq(cf.secure_ftp, FTP_SECURE_FTP_ALLOWED);
  ck_assert_int_eq(cf.secure_login, FTP_SECURE_LOGIN_NO_CLIENT_AUTH);
  ck_assert_int_eq(cf.secure_password, FTP_SECURE_PASSWORD_REQUIRED);
  ck_assert_int_eq(cf.secure_session_reuse, FTP_SECURE_SESSION_REUSE_REQUIRED);
  ck_assert_uint_eq(cf.secure_pbsz, 16384);
  ck_assert_int_eq(cf.tlsrfclevel, FTP_TLSRFCLEVEL_RFC4217);
  ck_assert_uint_eq(cf.tlsport, 0);
  ck_assert_int_eq(cf.secureimplicitzos, 0);
  ck_assert_ptr_null(cf.keyring);
  ck_assert_ptr_null(cf.cafile);
  ck_assert_uint_eq(cf.ciphersuite.n, 0);
  ck_assert_uint_eq(cf.tlstimeout, 86400);
  ck_assert_int_eq(cf.tlscertcrosscheck, 1);
  ck_assert_int_eq(cf.tlsclosenotify, FTP_TLSCLOSENOTIFY_REQUIRED);
  ck_assert_int_eq(cf.passivedataports.set, 0);
  ck_assert_int_eq(cf.passivedataconn, FTP_PASSIVEDATACONN_NOREDIRECT);
  ck_assert_ptr_null(cf.passiveaddress);
  ck_assert_int_eq(cf.portcommand, FTP_PORTCOMMAND_ACCEPT);
  ck_assert_int_eq(cf.portcommandipaddr, FTP_PORTCOMMANDIPADDR_NOREDIRECT);
  ck_assert_int_eq(cf.portcommandport, FTP_PORTCOMMANDPORT_NOLOWPORTS);
  ck_assert_uint_eq(cf.inactive, 300);
  ck_assert_uint_eq(cf.datatimeout, 300);
  ck_assert_uint_eq(cf.ftpkeepalive, 0);
  ck_assert_uint_eq(cf.datakeepalive, 0);
  ck_assert_uint_eq(cf.port, 21);
  ck_assert_uint_eq(cf.listenaddress.n, 2);
  ck_assert_str_eq(cf.listenaddress.v[0], "0.0.0.0");
  ck_assert_str_eq(cf.listenaddress.v[1], "::");
  ck_assert_str_eq(cf.runas, "nobody");
  ck_assert_str_eq(cf.userfile, "/etc/ftpd/users");
  ck_assert_ptr_null(cf.xferlog);
  ck_assert_str_eq(cf.pidfile, "/run/ftpd.pid");
  ck_assert_uint_eq(cf.loginattempts, 3);
  ck_assert_uint_eq(cf.maxsessions, 10000);
  ck_assert_uint_eq(cf.maxsessionsperip, 50);
  ck_assert_int_eq(cf.anonymous, 0);
  ck_assert_ptr_null(cf.anonymous_user);
  ck_assert_uint_eq(cf.umask, 027);
  ck_assert_int_eq(cf.listsubdir, 1);
  ck_assert_ptr_null(cf.member);
  ftp_conf_free(&cf);

  ftp_conf_init(&cf, C);
  ck_assert_int_eq(cf.secure_mechanism, FTP_SECURE_MECHANISM_NONE);
  ck_assert_int_eq(cf.secure_hostname, FTP_SECURE_HOSTNAME_REQUIRED);
  ck_assert_int_eq(cf.secure_session_reuse, FTP_SECURE_SESSION_REUSE_ALLOWED);
  ck_assert_uint_eq(cf.tlsport, 990);
  ck_assert_int_eq(cf.epsv4, 1);
  ck_assert_int_eq(cf.fwfriendly, 1);
  ck_assert_int_eq(cf.passiveignoreaddr, 0);
  ck_assert_uint_eq(cf.inacttime, 120);
  ck_assert_uint_eq(cf.datacttime, 120);
  ck_assert_uint_eq(cf.cconntime, 30);
  ck_assert_uint_eq(cf.myopentime, 60);
}
END_TEST

/* ------------------------------------------------------------------------
 * Syntax: comments, case, line ends, repetition.
 */
START_TEST(test_typo_line3) {
  int r = parse_side(S, "; a member\nPORT 21\nSECURE_FTP REQUIRD\n");

  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.total, 1);
  ck_assert_str_eq(dg.line[0],
                   "t.data:3: SECURE_FTP: \"REQUIRD\" is not valid; expected ALLOWED or REQUIRED");
  /* Security: a typo never leaves the insecure default looking accepted. */
  ck_assert_int_eq(cf.secure_ftp, FTP_SECURE_FTP_ALLOWED);
}
END_TEST

START_TEST(test_unknown_keyword) {
  int r = parse_side(S, "SECURE_FPT REQUIRED\nsecure-ftp REQUIRED\nFROBNICATE 1\nPASIVEDATAPORTS (50000,50010)\nPROT 21\n");

  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.total, 5);
  ck_diag("t.data:1: SECURE_FPT: unknown keyword; did you mean SECURE_FTP?");
  ck_diag("t.data:2: secure-ftp: unknown keyword; did you mean SECURE_FTP?");
  ck_diag("t.data:3: FROBNICATE: unknown keyword");
  ck_diag("t.data:4: PASIVEDATAPORTS: unknown keyword; did you mean PASSIVEDATAPORTS?");
  ck_diag("t.data:5: PROT: unknown keyword; did you mean PORT?");
}
END_TEST

/* All errors of a member in one run, warnings among them, in line order. */
START_TEST(test_all_errors_reported) {
  int r = parse_side(S, "SECURE_FTP X\nPORT 1\nBLKSIZE 1\nPORT y\nUMASK 9\nNOPE\n");

  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.errors, 4);
  ck_assert_int_eq(dg.warnings, 1);
  ck_assert_ptr_nonnull(strstr(dg.line[0], "t.data:1: SECURE_FTP"));
  ck_assert_ptr_nonnull(strstr(dg.line[1], "t.data:3: BLKSIZE"));
  ck_assert_ptr_nonnull(strstr(dg.line[2], "t.data:4: PORT"));
  ck_assert_ptr_nonnull(strstr(dg.line[3], "t.data:5: UMASK"));
  ck_assert_ptr_nonnull(strstr(dg.line[4], "t.data:6: NOPE"));
  ck_assert_uint_eq(cf.port, 1); /* the good statement still applied */
}
END_TEST

struct syntax_case {
  const char *text;
  int r;
  const char *diag; /* NULL: no diagnostic */
  const char *line; /* NULL: not checked */
};

static const struct syntax_case syntax_cases[] = {
  /* comments in odd places */
  {"; only a comment\n", 0, NULL, NULL},
  {";\n;;;\n   ; indented\n\t\n\n", 0, NULL, NULL},
  {"PORT ; comment\n", FTP_E_CONF, "t.data:1: PORT: missing value; expected a number from 1 to 65535 (port)", NULL},
  {"PORT 2121;comment\n", 0, NULL, "PORT 2121 ; t.data:1"},
  {"PORT 2121;\n", 0, NULL, "PORT 2121 ; t.data:1"},
  {"PORT;2121\n", FTP_E_CONF, "t.data:1: PORT: missing value; expected a number from 1 to 65535 (port)", NULL},
  {"LISTENADDRESS (127.0.0.1,;c\n", FTP_E_CONF, "t.data:1: LISTENADDRESS: \"(127.0.0.1,\": the list does not end with \")\"", NULL},
  {"PASSIVEDATAPORTS (50000,50100) ; (1,2)\n", 0, NULL, "PASSIVEDATAPORTS (50000,50100) ; t.data:1"},
  {"BANNER /etc/ftpd/banner;not part of the path\n", 0, NULL, "BANNER /etc/ftpd/banner ; t.data:1"},
  /* blanks and tabs */
  {"  \t PORT \t 2121 \t \n", 0, NULL, "PORT 2121 ; t.data:1"},
  {"PORT 2121   ", 0, NULL, "PORT 2121 ; t.data:1"},
  {"PASSIVEDATAPORTS(50000,50100)\n", 0, NULL, "PASSIVEDATAPORTS (50000,50100) ; t.data:1"},
  {"LISTENADDRESS (127.0.0.1 ,\t::1)\n", 0, NULL, "LISTENADDRESS (127.0.0.1,::1) ; t.data:1"},
  /* case: keywords and values fold, paths and names keep theirs */
  {"extensions auth_tls\nkeyring /k.pem\nsecure_ftp required\n", 0, NULL, "SECURE_FTP REQUIRED ; t.data:3"},
  {"Secure_DataConn Never\n", 0, NULL, "SECURE_DATACONN NEVER ; t.data:1"},
  {"extensions auth_tls\nKeyRing /Etc/FTPD/Key.PEM\n", 0, NULL, "KEYRING /Etc/FTPD/Key.PEM ; t.data:2"},
  {"runas FtpUser\n", 0, NULL, "RUNAS FtpUser ; t.data:1"},
  /* CRLF, a CR alone, a last line without LF, a byte order mark */
  {"PORT 2121\r\nUMASK 022\r\n", 0, NULL, "UMASK 022 ; t.data:2"},
  {"PORT 2121 ; c\r\nINACTIVE 5\r\n", 0, NULL, "INACTIVE 5 ; t.data:2"},
  {"PORT 21\r21\n", FTP_E_CONF, "t.data:1: control character 0x0d in line", NULL},
  {"UMASK 022", 0, NULL, "UMASK 022 ; t.data:1"},
  {"\xef\xbb\xbfPORT 2121\n", 0, NULL, "PORT 2121 ; t.data:1"},
  /* control characters never reach a message */
  {"PORT \x1b[31m21\n", FTP_E_CONF, "t.data:1: control character 0x1b in line", NULL},
  {"PORT 21\x7f\n", FTP_E_CONF, "t.data:1: control character 0x7f in line", NULL},
  {"; \x1b in a comment is harmless\n", 0, NULL, NULL},
  /* repeated scalar: the last value and its line */
  {"PORT 2121\nPORT 2222\n", 0, NULL, "PORT 2222 ; t.data:2"},
  {"KEYRING /a\nKEYRING /b\nKEYRING c\n", FTP_E_CONF, "t.data:3: KEYRING: \"c\" is not valid; expected an absolute path", "KEYRING /b ; t.data:2"},
  {"LISTENADDRESS (::1,127.0.0.1)\nLISTENADDRESS 192.0.2.1\n", 0, NULL, "LISTENADDRESS (192.0.2.1) ; t.data:2"},
  {"ANONYMOUS a\nANONYMOUS\n", 0, NULL, "ANONYMOUS ftp ; t.data:2"},
  /* repeated lists: order kept, duplicates ignored, origin the last line */
  {"CIPHERSUITE TLS_CHACHA20_POLY1305_SHA256\nCIPHERSUITE TLS_AES_128_GCM_SHA256\n"
   "CIPHERSUITE tls_chacha20_poly1305_sha256\nCIPHERSUITE TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
   0, NULL,
   "CIPHERSUITE (TLS_CHACHA20_POLY1305_SHA256,TLS_AES_128_GCM_SHA256,TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384) ; t.data:4"},
  {"EXTENSIONS UTF8\nEXTENSIONS AUTH_TLS\nEXTENSIONS utf8\n", 0, NULL,
   "EXTENSIONS (AUTH_TLS,SIZE,MDTM,UTF8,REST_STREAM) ; t.data:3"},
  /* lines that are not statements */
  {"(50000,50100)\n", FTP_E_CONF, "t.data:1: (50000,50100): unknown keyword", NULL},
};

START_TEST(test_syntax) {
  const struct syntax_case *s = &syntax_cases[_i];
  int r = parse_side(S, s->text);

  if ((s->diag == NULL) != (dg.total == 0))
    dump_diags();
  ck_assert_msg(r == s->r, "case %d: r=%d", _i, r);
  if (s->diag == NULL)
    ck_assert_int_eq(dg.total, 0);
  else
    ck_diag(s->diag);
  if (s->line != NULL)
    ck_printed(&cf, s->line);
}
END_TEST

START_TEST(test_nul_and_long_lines) {
  static char text[4 * FTP_CONF_LINE_MAX];
  size_t n = 0;
  int r;

  n += (size_t)snprintf(text + n, sizeof(text) - n, "PORT 2121\n");
  memcpy(text + n, "PORT 21\0 22\n", 12);
  n += 12;
  n += (size_t)snprintf(text + n, sizeof(text) - n, "BANNER /");
  memset(text + n, 'a', FTP_CONF_LINE_MAX);
  n += FTP_CONF_LINE_MAX;
  n += (size_t)snprintf(text + n, sizeof(text) - n, "\nUMASK 077\n");
  /* exactly FTP_CONF_LINE_MAX bytes, then CRLF: accepted */
  n += (size_t)snprintf(text + n, sizeof(text) - n, "XFERLOG /");
  memset(text + n, 'b', FTP_CONF_LINE_MAX - 9);
  n += FTP_CONF_LINE_MAX - 9;
  n += (size_t)snprintf(text + n, sizeof(text) - n, "\r\n");

  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  r = ftp_conf_parse(&cf, "t.data", text, n, collect, &dg);
  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.total, 2);
  ck_diag("t.data:2: NUL byte in line");
  ck_diag("t.data:3: line too long (more than 1024 bytes)");
  /* the lines around them still count */
  ck_assert_uint_eq(cf.port, 2121);
  ck_assert_uint_eq(cf.umask, 077);
  ck_assert_ptr_null(cf.banner);
  ck_assert_uint_eq(strlen(cf.xferlog), FTP_CONF_LINE_MAX - 8);
}
END_TEST

START_TEST(test_member_too_large) {
  size_t n = FTP_CONF_MEMBER_MAX + 1;
  char *text = malloc(n);
  int r;

  ck_assert_ptr_nonnull(text);
  memset(text, '\n', n);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  r = ftp_conf_parse(&cf, "t.data", text, n, collect, &dg);
  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.total, 1);
  ck_assert_str_eq(dg.line[0], "t.data: member is larger than 1048576 bytes");
  ftp_conf_free(&cf);
  /* exactly the cap is fine */
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  r = ftp_conf_parse(&cf, "t.data", text, n - 1, collect, &dg);
  ck_assert_int_eq(r, 0);
  free(text);
}
END_TEST

START_TEST(test_parse_once) {
  ck_assert_int_eq(parse_side(S, "PORT 2121\n"), 0);
  ck_assert_int_eq(ftp_conf_parse(&cf, "u.data", "PORT 1\n", 7, collect, &dg), FTP_E_BAD_ARG);
  ck_assert_uint_eq(cf.port, 2121);
  /* diag may be NULL */
  ftp_conf_free(&cf);
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_parse(&cf, "t", "PORT x\n", 7, NULL, NULL), FTP_E_CONF);
}
END_TEST

/* ------------------------------------------------------------------------
 * Sides: warnings for the other program's statements and their
 * suppression anywhere in the member.
 */
START_TEST(test_side_warnings) {
  static const char both[] =
      "PORT 2121\nEPSV4 FALSE\nSECURE_LOGIN NO_CLIENT_AUTH\nINACTTIME 60\nBLKSIZE 80\nUMASK 022\n";
  int r;

  r = parse_side(C, both);
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(dg.total, 3);
  ck_diag("t.data:1: PORT: warning: ignored by the client (server statement)");
  ck_diag("t.data:3: SECURE_LOGIN: warning: ignored by the client (server statement)");
  ck_diag("t.data:5: BLKSIZE: warning: has no meaning here; ignored");
  ck_assert_int_eq(cf.epsv4, 0);
  ck_assert_uint_eq(cf.port, 21); /* not applied on the client */
  ck_assert_uint_eq(ftp_conf_line(&cf, "PORT"), 0);
  ftp_conf_free(&cf);

  r = parse_side(S, both);
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(dg.total, 3);
  ck_diag("t.data:2: EPSV4: warning: ignored by the server (client statement)");
  ck_diag("t.data:4: INACTTIME: warning: ignored by the server (client statement)");
  ck_assert_uint_eq(cf.port, 2121);
  ck_assert_int_eq(cf.epsv4, 1);
}
END_TEST

START_TEST(test_side_suppressed) {
  /* SUPPRESSIGNOREWARNINGS on the last line covers the lines before it. */
  static const char text[] =
      "PORT 2121\nEPSV4 FALSE\nBLKSIZE 80\nsuppressignorewarnings true ; at the end\n";
  int r;

  r = parse_side(C, text);
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(dg.total, 0);
  ftp_conf_free(&cf);
  r = parse_side(S, text);
  ck_assert_int_eq(r, 0);
  ck_assert_int_eq(dg.total, 0);
  ftp_conf_free(&cf);
  /* the last statement wins */
  r = parse_side(S, "SUPPRESSIGNOREWARNINGS TRUE\nEPSV4 TRUE\nSUPPRESSIGNOREWARNINGS FALSE\n");
  ck_assert_int_eq(dg.total, 1);
  ftp_conf_free(&cf);
  /* errors are never suppressed, nor are value warnings */
  r = parse_side(C, "SUPPRESSIGNOREWARNINGS TRUE\nPORT x\nTLSMECHANISM ATTLS\n");
  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.errors, 1);
  ck_assert_int_eq(dg.warnings, 1);
  ck_diag("t.data:2: PORT: \"x\" is not valid; expected a number from 1 to 65535 (port)");
}
END_TEST

/* ------------------------------------------------------------------------
 * Cross-keyword rules.
 */
static const struct bad rule_cases[] = {
  {S, "SECURE_FTP REQUIRED\n",
   "t.data:1: SECURE_FTP: REQUIRED needs TLS, but EXTENSIONS AUTH_TLS and KEYRING are not coded"},
  {S, "EXTENSIONS AUTH_TLS\nSECURE_FTP REQUIRED\n",
   "t.data:2: SECURE_FTP: REQUIRED needs TLS, but KEYRING is not coded"},
  {S, "KEYRING /k.pem\nSECURE_DATACONN PRIVATE\n",
   "t.data:2: SECURE_DATACONN: PRIVATE needs TLS, but EXTENSIONS AUTH_TLS is not coded"},
  {S, "SECURE_DATACONN SAFE\nKEYRING /k.pem\n",
   "t.data:1: SECURE_DATACONN: SAFE needs TLS, but EXTENSIONS AUTH_TLS is not coded"},
  {S, "CAFILE /ca.pem\nSECURE_LOGIN REQUIRED\n",
   "t.data:2: SECURE_LOGIN: REQUIRED needs TLS, but EXTENSIONS AUTH_TLS and KEYRING are not coded"},
  {S, "TLSPORT 990\n",
   "t.data:1: TLSPORT: 990 needs TLS, but EXTENSIONS AUTH_TLS and KEYRING are not coded"},
  {S, "SECURE_FTP REQUIRED\nPORT 21\nSECURE_DATACONN PRIVATE\n",
   "t.data:SECURE_FTP: TLS is required (SECURE_FTP REQUIRED on line 1, SECURE_DATACONN PRIVATE on line 3) "
   "but EXTENSIONS AUTH_TLS and KEYRING are not coded"},
  {S, TLSPRE "SECURE_LOGIN VERIFY_USER\n",
   "t.data:3: SECURE_LOGIN: VERIFY_USER needs CAFILE: client certificates cannot be verified without trusted CA certificates"},
  {S, TLSPRE "TLSPORT 21\n",
   "t.data:3: TLSPORT: 21 is also the PORT; implicit TLS needs a port of its own"},
  {S, TLSPRE "PORT 990\nTLSPORT 990\n",
   "t.data:4: TLSPORT: 990 is also the PORT; implicit TLS needs a port of its own"},
  {S, "PORT 2121\nPROXYPROTOCOLDATA TRUE\n",
   "t.data:2: PROXYPROTOCOLDATA: TRUE needs PROXYPROTOCOL, the balancers to read headers from"},
};

START_TEST(test_rules) {
  const struct bad *b = &rule_cases[_i];
  int r = parse_side(b->side, b->text);

  if (dg.total != 1)
    dump_diags();
  ck_assert_int_eq(r, FTP_E_CONF);
  ck_assert_int_eq(dg.total, 1);
  ck_assert_str_eq(dg.line[0], b->diag);
}
END_TEST

START_TEST(test_rules_quiet) {
  /* Rules are the server's: the client takes the same member silently. */
  ck_assert_int_eq(parse_side(C, "SECURE_FTP REQUIRED\nSECURE_DATACONN PRIVATE\nTLSPORT 21\n"), 0);
  ck_assert_int_eq(dg.total, 0);
  ftp_conf_free(&cf);
  /* A bad KEYRING is reported once, not again as "not coded". */
  ck_assert_int_eq(parse_side(S, "EXTENSIONS AUTH_TLS\nKEYRING ring\nSECURE_FTP REQUIRED\n"), FTP_E_CONF);
  ck_assert_int_eq(dg.total, 1);
  ck_diag("t.data:2: KEYRING: \"ring\" is not valid; expected an absolute path");
  ftp_conf_free(&cf);
  /* A complete TLS member. */
  ck_assert_int_eq(parse_side(S, TLSPRE "CAFILE /ca\nSECURE_FTP REQUIRED\nSECURE_DATACONN PRIVATE\n"
                                       "SECURE_LOGIN REQUIRED\nSECURE_PASSWORD OPTIONAL\nTLSPORT 990\n"), 0);
  ck_assert_int_eq(dg.total, 0);
  ck_assert_int_eq(cf.secure_password, FTP_SECURE_PASSWORD_OPTIONAL);
}
END_TEST

/* ------------------------------------------------------------------------
 * Printing.
 */
START_TEST(test_print_client_defaults) {
  static const char want[] =
      "EXTENSIONS (SIZE,MDTM,UTF8,REST_STREAM) ; default\n"
      "SECURE_MECHANISM (none) ; default\n"
      "SECURE_FTP ALLOWED ; default\n"
      "SECURE_CTRLCONN CLEAR ; default\n"
      "SECURE_DATACONN CLEAR ; default\n"
      "SECURE_HOSTNAME REQUIRED ; default\n"
      "SECURE_SESSION_REUSE ALLOWED ; default\n"
      "SECURE_PBSZ 16384 ; default\n"
      "TLSRFCLEVEL RFC4217 ; default\n"
      "TLSMECHANISM FTP ; default\n"
      "TLSPORT 990 ; default\n"
      "SECUREIMPLICITZOS FALSE ; default\n"
      "KEYRING (none) ; default\n"
      "CAFILE (none) ; default\n"
      "CIPHERSUITE (none) ; default\n"
      "TLSTIMEOUT 86400 ; default\n"
      "TLSCERTCROSSCHECK TRUE ; default\n"
      "EPSV4 TRUE ; default\n"
      "FWFRIENDLY TRUE ; default\n"
      "PASSIVEIGNOREADDR FALSE ; default\n"
      "INACTTIME 120 ; default\n"
      "DATACTTIME 120 ; default\n"
      "CCONNTIME 30 ; default\n"
      "MYOPENTIME 60 ; default\n"
      "FTPKEEPALIVE 0 ; default\n"
      "DATAKEEPALIVE 0 ; default\n"
      "UMASK 027 ; default\n"
      "LISTSUBDIR TRUE ; default\n"
      "SUPPRESSIGNOREWARNINGS FALSE ; default\n";

  ftp_conf_init(&cf, C);
  ck_assert_str_eq(printed(&cf), want);
}
END_TEST

/* Every server keyword once, in table order, with the defaults. */
START_TEST(test_print_server_defaults) {
  const char *txt, *p;
  size_t i, lines = 0, want = 0;

  ftp_conf_init(&cf, S);
  txt = printed(&cf);
  for (p = txt; *p != '\0'; p++)
    lines += *p == '\n';
  for (i = 0; i < ftp__conf_ntable; i++) {
    const struct ftp__conf_kw *kw = &ftp__conf_table[i];
    if ((kw->sides & S) && kw->type != FTP__CONF_T_IGNORED && kw->type != FTP__CONF_T_REFUSED)
      want++;
  }
  ck_assert_uint_eq(lines, want);
  ck_assert(has_line(txt, "SECURE_SESSION_REUSE REQUIRED ; default"));
  ck_assert(has_line(txt, "TLSPORT 0 ; default"));
  ck_assert(has_line(txt, "PASSIVEDATAPORTS (none) ; default"));
  ck_assert(has_line(txt, "LISTENADDRESS (0.0.0.0,::) ; default"));
  ck_assert(has_line(txt, "USERFILE /etc/ftpd/users ; default"));
  ck_assert(has_line(txt, "XFERLOG (none) ; default"));
  ck_assert(has_line(txt, "ANONYMOUS (none) ; default"));
  ck_assert(has_line(txt, "ANONYMOUSLEVEL 3 ; default"));
  ck_assert(!has_line(txt, "EPSV4 TRUE ; default"));
  ck_assert_ptr_null(strstr(txt, "BLKSIZE"));
  ck_assert_ptr_null(strstr(txt, "KERBEROS"));
}
END_TEST

START_TEST(test_print_parsed) {
  static const char text[] = "; x\nPORT 2121\n\nUMASK 2\nBLKSIZE 1\n";
  const char *txt;

  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_parse(&cf, "/etc/ftp.data", text, strlen(text), collect, &dg), 0);
  txt = printed(&cf);
  ck_assert(has_line(txt, "PORT 2121 ; /etc/ftp.data:2"));
  ck_assert(has_line(txt, "UMASK 002 ; /etc/ftp.data:4"));
  ck_assert(has_line(txt, "INACTIVE 300 ; default"));
  ck_diag("/etc/ftp.data:5: BLKSIZE: warning: has no meaning here; ignored");
}
END_TEST

START_TEST(test_print_small_buffer) {
  struct ftp_buf b;

  ftp_conf_init(&cf, S);
  ftp_buf_init(&b, 100);
  ck_assert_int_eq(ftp_conf_print(&cf, &b), FTP_E_TOOBIG);
  ftp_buf_free(&b);
}
END_TEST

/* ------------------------------------------------------------------------
 * Finding and loading members.
 */
static char tmpdir[64];

static void make_tmpdir(void) {
  snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_conf.XXXXXX");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void write_file(const char *path, const char *text, size_t n) {
  FILE *f = fopen(path, "wb");

  ck_assert_ptr_nonnull(f);
  ck_assert_uint_eq(fwrite(text, 1, n, f), n);
  ck_assert_int_eq(fclose(f), 0);
}

static void rm_tmpdir(void) {
  char cmd[128];

  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
  ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_find_member) {
  char out[FTP_PATH_MAX], want[FTP_PATH_MAX];
  struct stat st;
  int etc = stat("/etc/ftp.data", &st) == 0;
  int r;

  make_tmpdir();
  ck_assert_int_eq(setenv("HOME", tmpdir, 1), 0);
  /* an explicit path is returned as is, existing or not */
  ck_assert_int_eq(ftp_conf_find_member(C, "/no/such/member", out, sizeof(out)), 0);
  ck_assert_str_eq(out, "/no/such/member");
  ck_assert_int_eq(ftp_conf_find_member(S, "rel.data", out, sizeof(out)), 0);
  ck_assert_str_eq(out, "rel.data");
  ck_assert_int_eq(ftp_conf_find_member(S, "/a/long/path", out, 5), FTP_E_TOOBIG);
  /* nothing in HOME: /etc/ftp.data if this machine has one */
  r = ftp_conf_find_member(C, NULL, out, sizeof(out));
  if (etc) {
    ck_assert_int_eq(r, 0);
    ck_assert_str_eq(out, "/etc/ftp.data");
  } else {
    ck_assert_int_eq(r, UV_ENOENT);
  }
  /* $HOME/ftp.data wins for the client, never for the server */
  snprintf(want, sizeof(want), "%s/ftp.data", tmpdir);
  write_file(want, "PORT 2121\n", 10);
  ck_assert_int_eq(ftp_conf_find_member(C, NULL, out, sizeof(out)), 0);
  ck_assert_str_eq(out, want);
  r = ftp_conf_find_member(S, NULL, out, sizeof(out));
  ck_assert_int_eq(r, etc ? 0 : UV_ENOENT);
  if (etc)
    ck_assert_str_eq(out, "/etc/ftp.data");
  /* an explicit path still wins */
  ck_assert_int_eq(ftp_conf_find_member(C, "/x.data", out, sizeof(out)), 0);
  ck_assert_str_eq(out, "/x.data");
  /* a HOME too long for out */
  ck_assert_int_eq(ftp_conf_find_member(C, NULL, out, strlen(tmpdir) + 3), FTP_E_TOOBIG);
  /* HOME unset or empty: skipped */
  ck_assert_int_eq(setenv("HOME", "", 1), 0);
  r = ftp_conf_find_member(C, NULL, out, sizeof(out));
  ck_assert_int_eq(r, etc ? 0 : UV_ENOENT);
  ck_assert_int_eq(unsetenv("HOME"), 0);
  r = ftp_conf_find_member(C, NULL, out, sizeof(out));
  ck_assert_int_eq(r, etc ? 0 : UV_ENOENT);
  rm_tmpdir();
}
END_TEST

START_TEST(test_load) {
  char path[FTP_PATH_MAX], want[FTP_PATH_MAX + 256];
  char *big;
  int r;

  make_tmpdir();
  /* a good member, CRLF */
  snprintf(path, sizeof(path), "%s/ftpd.data", tmpdir);
  write_file(path, "PORT 2121\r\nUMASK 022\r\n", 22);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, path, collect, &dg), 0);
  ck_assert_int_eq(dg.total, 0);
  ck_assert_uint_eq(cf.port, 2121);
  snprintf(want, sizeof(want), "PORT 2121 ; %s:1", path);
  ck_printed(&cf, want);
  ftp_conf_free(&cf);

  /* a bad one: errors carry the path */
  write_file(path, "PORT 2121\nSECURE_FTP REQUIRD\n", 29);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, path, collect, &dg), FTP_E_CONF);
  snprintf(want, sizeof(want), "%s:2: SECURE_FTP: \"REQUIRD\" is not valid; expected ALLOWED or REQUIRED", path);
  ck_diag(want);
  ftp_conf_free(&cf);

  /* missing */
  snprintf(path, sizeof(path), "%s/none.data", tmpdir);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, path, collect, &dg), UV_ENOENT);
  snprintf(want, sizeof(want), "%s: no such file or directory", path);
  ck_assert_int_eq(dg.total, 1);
  ck_diag(want);
  ftp_conf_free(&cf);

  /* a directory */
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, tmpdir, collect, &dg), FTP_E_CONF);
  snprintf(want, sizeof(want), "%s: not a regular file", tmpdir);
  ck_diag(want);
  ftp_conf_free(&cf);

  /* a FIFO must not hang start-up */
  snprintf(path, sizeof(path), "%s/fifo", tmpdir);
  ck_assert_int_eq(mkfifo(path, 0600), 0);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, path, collect, &dg), FTP_E_CONF);
  snprintf(want, sizeof(want), "%s: not a regular file", path);
  ck_diag(want);
  ftp_conf_free(&cf);

  /* one byte over the cap */
  big = malloc(FTP_CONF_MEMBER_MAX + 1);
  ck_assert_ptr_nonnull(big);
  memset(big, '\n', FTP_CONF_MEMBER_MAX + 1);
  snprintf(path, sizeof(path), "%s/big.data", tmpdir);
  write_file(path, big, FTP_CONF_MEMBER_MAX + 1);
  free(big);
  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_load(&cf, path, collect, &dg), FTP_E_CONF);
  snprintf(want, sizeof(want), "%s: member is larger than 1048576 bytes", path);
  ck_diag(want);
  ftp_conf_free(&cf);

  /* unreadable (skipped as root, who reads anything) */
  if (geteuid() != 0) {
    snprintf(path, sizeof(path), "%s/secret.data", tmpdir);
    write_file(path, "PORT 1\n", 7);
    ck_assert_int_eq(chmod(path, 0), 0);
    memset(&dg, 0, sizeof(dg));
    ftp_conf_init(&cf, S);
    r = ftp_conf_load(&cf, path, collect, &dg);
    ck_assert_int_eq(r, UV_EACCES);
    snprintf(want, sizeof(want), "%s: permission denied", path);
    ck_diag(want);
  }
  rm_tmpdir();
}
END_TEST

/* ------------------------------------------------------------------------
 * Allocation failures: fail the n-th allocation, for every n, while
 * parsing a realistic member; the result is a clean FTP_E_NOMEM and
 * ftp_conf_free releases everything (the ASan build checks for leaks).
 */
static const char realistic[] =
    "; ftpd.data\n"
    "EXTENSIONS AUTH_TLS\nEXTENSIONS UTF8\n"
    "KEYRING /etc/ftpd/keyring.pem\nCAFILE /etc/ftpd/ca.pem\n"
    "SECURE_FTP REQUIRED\nSECURE_DATACONN PRIVATE\n"
    "CIPHERSUITE TLS_AES_128_GCM_SHA256\nCIPHERSUITE TLS_AES_256_GCM_SHA384\n"
    "CIPHERSUITE TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
    "LISTENADDRESS (127.0.0.1,::1)\nLISTENADDRESS (192.0.2.1, 2001:db8::2, 0.0.0.0)\n"
    "PASSIVEDATAPORTS (50000,50099)\nPASSIVEADDRESS 203.0.113.5\n"
    "RUNAS ftp\nUSERFILE /etc/ftpd/users\nXFERLOG /var/log/xferlog\nPIDFILE /run/ftpd.pid\n"
    "BANNER /etc/ftpd/banner\nLOGINMSG /etc/ftpd/motd\nBANNER /etc/ftpd/banner2\n"
    "ANONYMOUS guest/pw\nANONYMOUS\nEPSV4 TRUE\nBLKSIZE 80\nUNKNOWNKW 1\n";

START_TEST(test_alloc_fail_parse) {
  long n;
  int r, r0;

  memset(&dg, 0, sizeof(dg));
  ftp_conf_init(&cf, S);
  r0 = ftp_conf_parse(&cf, "t.data", realistic, strlen(realistic), collect, &dg);
  ck_assert_int_eq(r0, FTP_E_CONF); /* UNKNOWNKW */
  ftp_conf_free(&cf);
  for (n = 0;; n++) {
    memset(&dg, 0, sizeof(dg));
    ftp_conf_init(&cf, S);
    alloc_fail_after(n);
    r = ftp_conf_parse(&cf, "t.data", realistic, strlen(realistic), collect, &dg);
    alloc_fail_off();
    ftp_conf_free(&cf);
    if (alloc_fail_count() == 0) {
      ck_assert_int_eq(r, r0);
      break;
    }
    ck_assert_msg(r == FTP_E_NOMEM || r == FTP_E_CONF, "n=%ld r=%d", n, r);
  }
  ck_assert_int_gt(n, 20);
}
END_TEST

START_TEST(test_alloc_fail_print_load) {
  char path[FTP_PATH_MAX];
  struct ftp_buf b;
  long n;
  int r;

  ftp_conf_init(&cf, S);
  ck_assert_int_eq(ftp_conf_parse(&cf, "t.data", "PORT 2121\n", 10, NULL, NULL), 0);
  for (n = 0;; n++) {
    ftp_buf_init(&b, 1 << 20);
    alloc_fail_after(n);
    r = ftp_conf_print(&cf, &b);
    alloc_fail_off();
    ftp_buf_free(&b);
    if (alloc_fail_count() == 0) {
      ck_assert_int_eq(r, 0);
      break;
    }
    ck_assert_int_eq(r, FTP_E_NOMEM);
  }
  ftp_conf_free(&cf);

  make_tmpdir();
  snprintf(path, sizeof(path), "%s/m.data", tmpdir);
  write_file(path, realistic, strlen(realistic) - strlen("UNKNOWNKW 1\n"));
  for (n = 0;; n++) {
    ftp_conf_init(&cf, S);
    alloc_fail_after(n);
    r = ftp_conf_load(&cf, path, NULL, NULL);
    alloc_fail_off();
    ftp_conf_free(&cf);
    if (alloc_fail_count() == 0) {
      ck_assert_int_eq(r, 0);
      break;
    }
    ck_assert_msg(r == FTP_E_NOMEM, "n=%ld r=%d", n, r);
  }
  rm_tmpdir();
}
END_TEST

/* ------------------------------------------------------------------------
 * Randomised mutations of a valid member, with a fixed seed: parsing never
 * crashes, returns 0 or FTP_E_CONF, and no diagnostic carries a control
 * character.
 */
static uint32_t rng_state = 0x2545f491u;

static uint32_t rng(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 17;
  rng_state ^= rng_state << 5;
  return rng_state;
}

static int clean_lines = 1;

static void check_clean(void *arg, int severity, const char *line) {
  const unsigned char *p;

  (void)arg;
  if (severity != FTP_CONF_ERROR && severity != FTP_CONF_WARNING)
    clean_lines = 0;
  for (p = (const unsigned char *)line; *p != '\0'; p++)
    if (*p < 0x20 || *p == 0x7f)
      clean_lines = 0;
}

START_TEST(test_mutations) {
  static const char alphabet[] = "();,/ \t\r\n\0AZaz09_SECURE";
  char text[sizeof(realistic) + 64];
  struct ftp_buf b;
  size_t n, k, pos;
  int i, m, r;

  for (i = 0; i < 4000; i++) {
    n = sizeof(realistic) - 1;
    memcpy(text, realistic, n);
    for (m = 1 + (int)(rng() % 8); m > 0; m--) {
      pos = n > 0 ? rng() % n : 0;
      switch (rng() % 4) {
      case 0: /* flip a bit */
        if (n > 0)
          text[pos] ^= (char)(1u << (rng() % 8));
        break;
      case 1: /* insert a byte, often a syntactically interesting one */
        if (n < sizeof(text)) {
          memmove(text + pos + 1, text + pos, n - pos);
          text[pos] = (rng() % 2) ? alphabet[rng() % (sizeof(alphabet) - 1)] : (char)rng();
          n++;
        }
        break;
      case 2: /* delete a run */
        k = 1 + rng() % 8;
        if (pos + k <= n) {
          memmove(text + pos, text + pos + k, n - pos - k);
          n -= k;
        }
        break;
      default: /* overwrite with a random byte */
        if (n > 0)
          text[pos] = (char)rng();
        break;
      }
    }
    ftp_conf_init(&cf, (rng() % 2) ? S : C);
    r = ftp_conf_parse(&cf, "t.data", text, n, check_clean, NULL);
    ck_assert_msg(r == 0 || r == FTP_E_CONF, "iteration %d: r=%d", i, r);
    ftp_buf_init(&b, 1 << 20);
    ck_assert_int_eq(ftp_conf_print(&cf, &b), 0);
    ftp_buf_free(&b);
    ftp_conf_free(&cf);
  }
  ck_assert_msg(clean_lines, "a diagnostic carried a control character");
}
END_TEST

/* ------------------------------------------------------------------------
 * Documentation: ftp.data(5) names every keyword and every cipher suite;
 * the commented samples show every keyword of their side; every sample
 * member parses cleanly for the side(s) it is meant for.
 */
static char *read_src(const char *rel, size_t *len) {
  const char *dir = getenv("FTP_SRCDIR");
  char path[FTP_PATH_MAX];
  FILE *f;
  char *text;
  long n;

  snprintf(path, sizeof(path), "%s/%s", dir != NULL ? dir : ".", rel);
  f = fopen(path, "rb");
  ck_assert_msg(f != NULL, "%s: %s (set FTP_SRCDIR to the source tree)", path, strerror(errno));
  ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
  n = ftell(f);
  ck_assert_int_ge(n, 0);
  rewind(f);
  text = malloc((size_t)n + 1);
  ck_assert_ptr_nonnull(text);
  ck_assert_uint_eq(fread(text, 1, (size_t)n, f), (size_t)n);
  text[n] = '\0';
  fclose(f);
  if (len != NULL)
    *len = (size_t)n;
  return text;
}

/* name appears as a whole word (not inside a longer keyword). */
static int has_word(const char *text, const char *name) {
  size_t n = strlen(name);
  const char *p = text;

  while ((p = strstr(p, name)) != NULL) {
    int before = p > text && (p[-1] == '_' || (p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= '0' && p[-1] <= '9'));
    int after = p[n] == '_' || (p[n] >= 'A' && p[n] <= 'Z') || (p[n] >= '0' && p[n] <= '9');
    if (!before && !after)
      return 1;
    p += n;
  }
  return 0;
}

START_TEST(test_man_page_names_everything) {
  char *man = read_src("ftpdata/ftp.data.5", NULL);
  const struct ftp_cipher *e;
  size_t i;

  for (i = 0; i < ftp__conf_ntable; i++)
    ck_assert_msg(has_word(man, ftp__conf_table[i].name), "ftp.data.5 lacks %s", ftp__conf_table[i].name);
  for (i = 0; (e = ftp_cipher_at(i)) != NULL; i++)
    ck_assert_msg(has_word(man, e->name), "ftp.data.5 lacks cipher %s", e->name);
  free(man);
}
END_TEST

static const struct {
  const char *file;
  int sides;
} samples[] = {
  {"ftpdata/ftpd.data", S},
  {"ftpdata/ftp.data", C},
  {"ftpdata/tls-required.data", S},
  {"ftpdata/tls-allowed.data", S},
  {"ftpdata/implicit-tls.data", S},
  {"ftpdata/nat.data", S},
  {"ftpdata/both-sides.data", S | C},
};

START_TEST(test_samples_parse) {
  size_t len;
  char *text = read_src(samples[_i].file, &len);
  int side;

  for (side = S; side <= C; side <<= 1) {
    if (!(samples[_i].sides & side))
      continue;
    memset(&dg, 0, sizeof(dg));
    ftp_conf_init(&cf, side);
    if (ftp_conf_parse(&cf, samples[_i].file, text, len, collect, &dg) != 0 || dg.total != 0)
      dump_diags();
    ck_assert_int_eq(dg.total, 0);
    ftp_conf_free(&cf);
  }
  free(text);
}
END_TEST

/* The commented samples show every keyword of their side. */
START_TEST(test_samples_complete) {
  char *srv = read_src("ftpdata/ftpd.data", NULL);
  char *cli = read_src("ftpdata/ftp.data", NULL);
  size_t i;

  for (i = 0; i < ftp__conf_ntable; i++) {
    const struct ftp__conf_kw *kw = &ftp__conf_table[i];
    if (kw->type == FTP__CONF_T_IGNORED || kw->type == FTP__CONF_T_REFUSED)
      continue;
    if (kw->sides & S)
      ck_assert_msg(has_word(srv, kw->name), "ftpd.data lacks %s", kw->name);
    if (kw->sides & C)
      ck_assert_msg(has_word(cli, kw->name), "ftp.data lacks %s", kw->name);
  }
  free(srv);
  free(cli);
}
END_TEST

static Suite *conf_suite(void) {
  Suite *s = suite_create("conf");
  TCase *tc;

  tc = tcase_create("keywords");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_loop_test(tc, test_good_value, 0, NELEM(goods));
  tcase_add_loop_test(tc, test_warned_value, 0, NELEM(warneds));
  tcase_add_loop_test(tc, test_bad_value, 0, NELEM(bads));
  tcase_add_test(tc, test_cases_cover_table);
  tcase_add_test(tc, test_fields);
  tcase_add_test(tc, test_defaults);
  suite_add_tcase(s, tc);

  tc = tcase_create("syntax");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_typo_line3);
  tcase_add_test(tc, test_unknown_keyword);
  tcase_add_test(tc, test_all_errors_reported);
  tcase_add_loop_test(tc, test_syntax, 0, NELEM(syntax_cases));
  tcase_add_test(tc, test_nul_and_long_lines);
  tcase_add_test(tc, test_member_too_large);
  tcase_add_test(tc, test_parse_once);
  suite_add_tcase(s, tc);

  tc = tcase_create("sides");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_side_warnings);
  tcase_add_test(tc, test_side_suppressed);
  suite_add_tcase(s, tc);

  tc = tcase_create("rules");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_loop_test(tc, test_rules, 0, NELEM(rule_cases));
  tcase_add_test(tc, test_rules_quiet);
  suite_add_tcase(s, tc);

  tc = tcase_create("print");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_print_client_defaults);
  tcase_add_test(tc, test_print_server_defaults);
  tcase_add_test(tc, test_print_parsed);
  tcase_add_test(tc, test_print_small_buffer);
  suite_add_tcase(s, tc);

  tc = tcase_create("files");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_find_member);
  tcase_add_test(tc, test_load);
  suite_add_tcase(s, tc);

  tc = tcase_create("hostile");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_alloc_fail_parse);
  tcase_add_test(tc, test_alloc_fail_print_load);
  tcase_add_test(tc, test_mutations);
  tcase_set_timeout(tc, 60);
  suite_add_tcase(s, tc);

  tc = tcase_create("docs");
  tcase_add_checked_fixture(tc, NULL, teardown);
  tcase_add_test(tc, test_man_page_names_everything);
  tcase_add_loop_test(tc, test_samples_parse, 0, NELEM(samples));
  tcase_add_test(tc, test_samples_complete);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(conf_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? 0 : 1;
}
