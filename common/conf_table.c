/*
 * conf_table.c: the FTPDATA keyword table, one row per keyword.
 *
 * Everything conf.c knows about a keyword is in its row: the side that reads
 * it, the operand type, the allowed values or range, the defaults, the field
 * of struct ftp_conf and a one-line description.  ftp.data(5) documents the
 * same rows; a unit test checks that every name here appears there.
 * Defaults that differ from z/OS are marked "deviation" and explained in the
 * man page.
 */
#include "conf_int.h"
#include "ftp_paths.h"

#include <stddef.h>

#define S FTP_CONF_SERVER
#define C FTP_CONF_CLIENT
#define B FTP__CONF_BOTH

#define NV(v) (sizeof(v) / sizeof((v)[0]))

/* The offset of a field, with a compile-time check of its type: comparing
 * pointers to different types is a constraint violation, so a row that names
 * an unsigned field as an int one does not build. */
#define FIELD(f, type)                                                        \
  (offsetof(struct ftp_conf, f) +                                             \
   0 * sizeof(&((struct ftp_conf *)0)->f == (type *)0))

#define KW_ENUM(n, s, f, v, ds, dc, d)                                        \
  {.name = n, .sides = s, .type = FTP__CONF_T_ENUM, .off = FIELD(f, int),     \
   .vals = v, .nvals = NV(v), .def = {ds, dc}, .desc = d}
#define KW_BOOL(n, s, f, dflt, d)                                             \
  {.name = n, .sides = s, .type = FTP__CONF_T_BOOL, .off = FIELD(f, int),     \
   .vals = bool_vals, .nvals = NV(bool_vals), .def = {dflt, dflt}, .desc = d}
#define KW_INT(n, s, f, lo, hi, z, u, ds, dc, d)                              \
  {.name = n, .sides = s, .type = FTP__CONF_T_INT,                            \
   .off = FIELD(f, unsigned), .min = lo, .max = hi, .zero = z, .unit = u,     \
   .def = {ds, dc}, .desc = d}
#define KW_OCTAL(n, s, f, hi, dflt, d)                                        \
  {.name = n, .sides = s, .type = FTP__CONF_T_OCTAL,                          \
   .off = FIELD(f, unsigned), .max = hi, .def = {dflt, dflt}, .desc = d}
#define KW_STR(n, s, t, f, dflt, d)                                           \
  {.name = n, .sides = s, .type = t, .off = FIELD(f, const char *),           \
   .def_str = dflt, .desc = d}
#define KW_ADDRLIST(n, s, f, dflt, d)                                         \
  {.name = n, .sides = s, .type = FTP__CONF_T_ADDRLIST,                       \
   .off = FIELD(f, struct ftp_conf_list), .def_list = dflt, .desc = d}
#define KW_NETLIST(n, s, f, d)                                                \
  {.name = n, .sides = s, .type = FTP__CONF_T_NETLIST,                        \
   .off = FIELD(f, struct ftp_conf_list), .desc = d}
#define KW_PORTS(n, s, f, lo, hi, d)                                          \
  {.name = n, .sides = s, .type = FTP__CONF_T_PORTRANGE,                      \
   .off = FIELD(f, struct ftp_conf_ports), .min = lo, .max = hi, .desc = d}
#define KW_CIPHERS(n, s, f, d)                                                \
  {.name = n, .sides = s, .type = FTP__CONF_T_CIPHERS,                        \
   .off = FIELD(f, struct ftp_conf_list), .desc = d}
#define KW_EXTS(n, s, f, v, dflt, d)                                          \
  {.name = n, .sides = s, .type = FTP__CONF_T_EXTS,                           \
   .off = FIELD(f, unsigned), .vals = v, .nvals = NV(v),                      \
   .def = {dflt, dflt}, .desc = d}
/* ANONYMOUS: def_str is the account used when the statement has no
 * operand; when it is not coded at all, anonymous login is off. */
#define KW_ANON(n, s, f, f2, acct, d)                                         \
  {.name = n, .sides = s, .type = FTP__CONF_T_ANONYMOUS,                      \
   .off = FIELD(f, int), .off2 = FIELD(f2, const char *), .def_str = acct,    \
   .desc = d}
/* A z/OS statement whose only accepted value is what we always do: parsed
 * and checked, nothing stored. */
#define KW_FIXED(n, s, v, dflt, d)                                            \
  {.name = n, .sides = s, .type = FTP__CONF_T_ENUM, .off = FTP__CONF_NOFIELD, \
   .vals = v, .nvals = NV(v), .def = {dflt, dflt}, .desc = d}
#define KW_IGNORED(n)                                                         \
  {.name = n, .sides = B, .type = FTP__CONF_T_IGNORED,                        \
   .off = FTP__CONF_NOFIELD, .desc = "z/OS statement with no meaning here"}
#define KW_REFUSED(n, w, d)                                                   \
  {.name = n, .sides = B, .type = FTP__CONF_T_REFUSED,                        \
   .off = FTP__CONF_NOFIELD, .why = w, .desc = d}

#define KERBEROS "Kerberos is not supported"

static const struct ftp__conf_val bool_vals[] = {
  {"TRUE", 1, 0, NULL, NULL},
  {"FALSE", 0, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_mechanism_vals[] = {
  {"TLS", FTP_SECURE_MECHANISM_TLS, 0, NULL, NULL},
  {"GSSAPI", 0, 0, KERBEROS, NULL},
};

static const struct ftp__conf_val secure_ftp_vals[] = {
  {"ALLOWED", FTP_SECURE_FTP_ALLOWED, 0, NULL, NULL},
  {"REQUIRED", FTP_SECURE_FTP_REQUIRED, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_login_vals[] = {
  {"NO_CLIENT_AUTH", FTP_SECURE_LOGIN_NO_CLIENT_AUTH, 0, NULL, NULL},
  {"REQUIRED", FTP_SECURE_LOGIN_REQUIRED, 0, NULL, NULL},
  {"VERIFY_USER", FTP_SECURE_LOGIN_VERIFY_USER, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_password_vals[] = {
  {"REQUIRED", FTP_SECURE_PASSWORD_REQUIRED, 0, NULL, NULL},
  {"OPTIONAL", FTP_SECURE_PASSWORD_OPTIONAL, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_ctrlconn_vals[] = {
  {"CLEAR", FTP_SECURE_CTRLCONN_CLEAR, 0, NULL, NULL},
  {"PRIVATE", FTP_SECURE_CTRLCONN_PRIVATE, 0, NULL, NULL},
  {"SAFE", FTP_SECURE_CTRLCONN_SAFE, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_dataconn_vals[] = {
  {"CLEAR", FTP_SECURE_DATACONN_CLEAR, 0, NULL, NULL},
  {"NEVER", FTP_SECURE_DATACONN_NEVER, 0, NULL, NULL},
  {"PRIVATE", FTP_SECURE_DATACONN_PRIVATE, 0, NULL, NULL},
  {"SAFE", FTP_SECURE_DATACONN_SAFE, 0, NULL, NULL},
};

static const struct ftp__conf_val secure_hostname_vals[] = {
  {"OPTIONAL", FTP_SECURE_HOSTNAME_OPTIONAL, 0, NULL, NULL},
  {"REQUIRED", FTP_SECURE_HOSTNAME_REQUIRED, 0, NULL, NULL},
};

/* z/OS: the server always reuses sessions, so NONE is a client value and a
 * syntax error in a server member. */
static const struct ftp__conf_val secure_session_reuse_vals[] = {
  {"ALLOWED", FTP_SECURE_SESSION_REUSE_ALLOWED, 0, NULL, NULL},
  {"REQUIRED", FTP_SECURE_SESSION_REUSE_REQUIRED, 0, NULL, NULL},
  {"NONE", FTP_SECURE_SESSION_REUSE_NONE, C, NULL, NULL},
};

static const struct ftp__conf_val tlsrfclevel_vals[] = {
  {"DRAFT", FTP_TLSRFCLEVEL_DRAFT, 0, NULL, NULL},
  {"RFC4217", FTP_TLSRFCLEVEL_RFC4217, 0, NULL, NULL},
  {"CCCNONOTIFY", FTP_TLSRFCLEVEL_CCCNONOTIFY, 0, NULL, NULL},
};

static const struct ftp__conf_val tlsmechanism_vals[] = {
  {"FTP", FTP_TLSMECHANISM_FTP, 0, NULL, NULL},
  {"ATTLS", FTP_TLSMECHANISM_FTP, 0, NULL,
   "AT-TLS has no meaning here; TLS is done by the program itself, as FTP"},
};

static const struct ftp__conf_val tlsclosenotify_vals[] = {
  {"REQUIRED", FTP_TLSCLOSENOTIFY_REQUIRED, 0, NULL, NULL},
  {"OPTIONAL", FTP_TLSCLOSENOTIFY_OPTIONAL, 0, NULL, NULL},
};

static const struct ftp__conf_val passivedataconn_vals[] = {
  {"UNRESTRICTED", FTP_PASSIVEDATACONN_UNRESTRICTED, 0, NULL, NULL},
  {"NOREDIRECT", FTP_PASSIVEDATACONN_NOREDIRECT, 0, NULL, NULL},
};

static const struct ftp__conf_val portcommand_vals[] = {
  {"ACCEPT", FTP_PORTCOMMAND_ACCEPT, 0, NULL, NULL},
  {"REJECT", FTP_PORTCOMMAND_REJECT, 0, NULL, NULL},
};

static const struct ftp__conf_val portcommandipaddr_vals[] = {
  {"UNRESTRICTED", FTP_PORTCOMMANDIPADDR_UNRESTRICTED, 0, NULL, NULL},
  {"NOREDIRECT", FTP_PORTCOMMANDIPADDR_NOREDIRECT, 0, NULL, NULL},
};

static const struct ftp__conf_val portcommandport_vals[] = {
  {"UNRESTRICTED", FTP_PORTCOMMANDPORT_UNRESTRICTED, 0, NULL, NULL},
  {"NOLOWPORTS", FTP_PORTCOMMANDPORT_NOLOWPORTS, 0, NULL, NULL},
};

static const struct ftp__conf_val startdirectory_vals[] = {
  {"HFS", FTP_STARTDIRECTORY_HFS, 0, NULL, NULL},
  {"MVS", FTP_STARTDIRECTORY_HFS, 0, NULL,
   "there are no MVS data sets here; HFS (the home directory) is used"},
};

static const struct ftp__conf_val replysecuritylevel_vals[] = {
  {"0", 0, 0, NULL, NULL},
  {"1", 1, 0, NULL, NULL},
};

static const struct ftp__conf_val extensions_vals[] = {
  {"AUTH_TLS", FTP_EXT_AUTH_TLS, 0, NULL, NULL},
  {"SIZE", FTP_EXT_SIZE, 0, NULL, NULL},
  {"MDTM", FTP_EXT_MDTM, 0, NULL, NULL},
  {"UTF8", FTP_EXT_UTF8, 0, NULL, NULL},
  {"REST_STREAM", FTP_EXT_REST_STREAM, 0, NULL, NULL},
  {"AUTH_GSSAPI", 0, 0, KERBEROS, NULL},
};

/* Security statements whose only accepted values are what we always do.
 * Security: a value asking for a check we do not implement is an error,
 * never silently ignored, so that nobody believes a control is in place. */
static const struct ftp__conf_val anonymouslevel_vals[] = {
  {"1", 1, 0,
   "only ANONYMOUSLEVEL 3 is implemented (confined to the anonymous root, "
   "read-only)", NULL},
  {"2", 2, 0,
   "only ANONYMOUSLEVEL 3 is implemented (confined to the anonymous root, "
   "read-only)", NULL},
  {"3", 3, 0, NULL, NULL},
};

static const struct ftp__conf_val verifyuser_vals[] = {
  {"TRUE", 1, 0,
   "SERVAUTH port profiles do not exist here; VERIFYUSER TRUE is not "
   "supported", NULL},
  {"FALSE", 0, 0, NULL, NULL},
};

static const struct ftp__conf_val passphrase_vals[] = {
  {"TRUE", 1, 0, NULL, NULL},
  {"FALSE", 1, 0, NULL,
   "passwords are never truncated to 8 characters here; TRUE is used"},
};

static const struct ftp__conf_val anonymousfiletypeseq_vals[] = {
  {"TRUE", 1, 0, NULL, NULL},
  {"FALSE", 0, 0,
   "anonymous users can always read files here; remove ANONYMOUS to "
   "disable anonymous login", NULL},
};

static const struct ftp__conf_val emailaddrcheck_vals[] = {
  {"FALSE", 0, 0, NULL, NULL},
  {"WARNING", 1, 0,
   "the anonymous password is not checked for an e-mail address here", NULL},
  {"FAIL", 2, 0,
   "the anonymous password is not checked for an e-mail address here", NULL},
};

static const char *const listen_default_v[] = {"0.0.0.0", "::"};
static const struct ftp_conf_list listen_default = {listen_default_v, 2};

#define EXT_DEFAULT                                                           \
  (FTP_EXT_SIZE | FTP_EXT_MDTM | FTP_EXT_UTF8 | FTP_EXT_REST_STREAM)

const struct ftp__conf_kw ftp__conf_table[] = {
  /* TLS and login security */
  KW_EXTS("EXTENSIONS", B, extensions, extensions_vals, EXT_DEFAULT,
          "FTP extensions enabled beyond RFC 959 (deviation: SIZE MDTM UTF8 "
          "REST_STREAM on by default)"),
  KW_ENUM("SECURE_MECHANISM", C, secure_mechanism, secure_mechanism_vals,
          FTP_SECURE_MECHANISM_NONE, FTP_SECURE_MECHANISM_NONE,
          "security mechanism the client asks for with AUTH"),
  KW_ENUM("SECURE_FTP", B, secure_ftp, secure_ftp_vals,
          FTP_SECURE_FTP_ALLOWED, FTP_SECURE_FTP_ALLOWED,
          "whether a session must be protected by TLS before login"),
  KW_ENUM("SECURE_LOGIN", S, secure_login, secure_login_vals,
          FTP_SECURE_LOGIN_NO_CLIENT_AUTH, FTP_SECURE_LOGIN_NO_CLIENT_AUTH,
          "whether clients must present a certificate"),
  KW_ENUM("SECURE_PASSWORD", S, secure_password, secure_password_vals,
          FTP_SECURE_PASSWORD_REQUIRED, FTP_SECURE_PASSWORD_REQUIRED,
          "whether a verified client certificate can replace the password"),
  KW_ENUM("SECURE_CTRLCONN", B, secure_ctrlconn, secure_ctrlconn_vals,
          FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_CTRLCONN_CLEAR,
          "minimum control connection protection; CLEAR permits CCC"),
  KW_ENUM("SECURE_DATACONN", B, secure_dataconn, secure_dataconn_vals,
          FTP_SECURE_DATACONN_CLEAR, FTP_SECURE_DATACONN_CLEAR,
          "minimum data connection protection (PROT level)"),
  KW_ENUM("SECURE_HOSTNAME", C, secure_hostname, secure_hostname_vals,
          FTP_SECURE_HOSTNAME_REQUIRED, FTP_SECURE_HOSTNAME_REQUIRED,
          "check the server certificate against the host name (deviation: "
          "REQUIRED)"),
  KW_ENUM("SECURE_SESSION_REUSE", B, secure_session_reuse,
          secure_session_reuse_vals, FTP_SECURE_SESSION_REUSE_REQUIRED,
          FTP_SECURE_SESSION_REUSE_ALLOWED,
          "data connections resume a TLS session of the same client "
          "(deviation: server REQUIRED)"),
  KW_INT("SECURE_PBSZ", B, secure_pbsz, 512, 32768, 0, "bytes", 16384, 16384,
         "Kerberos protection buffer size; accepted, TLS always uses PBSZ 0"),
  KW_ENUM("TLSRFCLEVEL", B, tlsrfclevel, tlsrfclevel_vals,
          FTP_TLSRFCLEVEL_RFC4217, FTP_TLSRFCLEVEL_RFC4217,
          "level of RFC 4217 support, chiefly CCC (deviation: RFC4217)"),
  KW_ENUM("TLSMECHANISM", B, tlsmechanism, tlsmechanism_vals,
          FTP_TLSMECHANISM_FTP, FTP_TLSMECHANISM_FTP,
          "who does TLS; always the program itself (FTP)"),
  KW_INT("TLSPORT", B, tlsport, 1, 65535, S, "port", 0, 990,
         "port for implicit TLS (deviation: server off unless coded)"),
  KW_BOOL("SECUREIMPLICITZOS", B, secureimplicitzos, 0,
          "implicit TLS: 220 before the handshake (deviation: FALSE)"),
  KW_STR("KEYRING", B, FTP__CONF_T_PATH, keyring, NULL,
         "PEM or PKCS#12 file with the private key and certificate chain"),
  KW_STR("CAFILE", B, FTP__CONF_T_PATH, cafile, NULL,
         "PEM file of trusted CA certificates (ours)"),
  KW_CIPHERS("CIPHERSUITE", B, ciphersuite,
             "TLS cipher suites in order of preference, one per statement"),
  KW_INT("TLSTIMEOUT", B, tlstimeout, 1, 86400, 0, "seconds", 86400, 86400,
         "how long a TLS session stays resumable"),
  KW_BOOL("TLSCERTCROSSCHECK", B, tlscertcrosscheck, 1,
          "data connections must show the control connection's certificate"),
  KW_ENUM("TLSCLOSENOTIFY", S, tlsclosenotify, tlsclosenotify_vals,
          FTP_TLSCLOSENOTIFY_REQUIRED, FTP_TLSCLOSENOTIFY_REQUIRED,
          "fail an upload that ends without TLS close_notify (ours)"),

  /* data connections, NAT and firewalls */
  KW_BOOL("EPSV4", C, epsv4, 1,
          "try EPSV first on IPv4 sessions (deviation: TRUE)"),
  KW_BOOL("FWFRIENDLY", C, fwfriendly, 1,
          "passive mode: the client opens data connections (deviation: TRUE)"),
  KW_BOOL("PASSIVEIGNOREADDR", C, passiveignoreaddr, 0,
          "use the control connection's address instead of the 227 address"),
  KW_PORTS("PASSIVEDATAPORTS", S, passivedataports, 1024, 65535,
           "port range for passive data connections"),
  KW_ENUM("PASSIVEDATACONN", S, passivedataconn, passivedataconn_vals,
          FTP_PASSIVEDATACONN_NOREDIRECT, FTP_PASSIVEDATACONN_NOREDIRECT,
          "passive data connections only from the client's address "
          "(deviation: NOREDIRECT)"),
  KW_STR("PASSIVEADDRESS", S, FTP__CONF_T_ADDR4, passiveaddress, NULL,
         "IPv4 address advertised in 227 replies behind NAT (ours)"),
  KW_ENUM("PORTCOMMAND", S, portcommand, portcommand_vals,
          FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMAND_ACCEPT,
          "whether PORT and EPRT are accepted"),
  KW_ENUM("PORTCOMMANDIPADDR", S, portcommandipaddr, portcommandipaddr_vals,
          FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDIPADDR_NOREDIRECT,
          "PORT/EPRT only to the client's address (deviation: NOREDIRECT)"),
  KW_ENUM("PORTCOMMANDPORT", S, portcommandport, portcommandport_vals,
          FTP_PORTCOMMANDPORT_NOLOWPORTS, FTP_PORTCOMMANDPORT_NOLOWPORTS,
          "PORT/EPRT never to ports below 1024 (deviation: NOLOWPORTS)"),

  /* timers */
  KW_INT("INACTIVE", S, inactive, 0, 86400, 0, "seconds", 300, 300,
         "close an idle control connection after this time (0: never)"),
  KW_INT("DATATIMEOUT", S, datatimeout, 0, 86400, 0, "seconds", 300, 300,
         "abort a stalled data transfer or unused passive listener"),
  KW_INT("INACTTIME", C, inacttime, 15, 86400, C, "seconds", 120, 120,
         "how long the client waits for a reply (0: forever)"),
  KW_INT("DATACTTIME", C, datacttime, 15, 86400, C, "seconds", 120, 120,
         "how long the client waits for data (0: forever)"),
  KW_INT("CCONNTIME", C, cconntime, 0, 86400, 0, "seconds", 30, 30,
         "how long the client waits for the control connection to close"),
  KW_INT("MYOPENTIME", C, myopentime, 0, 86400, 0, "seconds", 60, 60,
         "how long the client waits for the control connection to open"),
  KW_INT("FTPKEEPALIVE", B, ftpkeepalive, 0, 86400, 0, "seconds", 0, 0,
         "TCP keepalive on the control connection (0: off)"),
  KW_INT("DATAKEEPALIVE", B, datakeepalive, 60, 86400, B, "seconds", 0, 0,
         "TCP keepalive on data connections (0: off)"),

  /* the daemon */
  KW_INT("PORT", S, port, 1, 65535, 0, "port", 21, 21,
         "control connection port (ours)"),
  KW_ADDRLIST("LISTENADDRESS", S, listenaddress, &listen_default,
              "addresses to listen on (ours)"),
  KW_STR("RUNAS", S, FTP__CONF_T_NAME, runas, "nobody",
         "account ftpd switches to when started as root (ours)"),
  KW_STR("USERFILE", S, FTP__CONF_T_PATH, userfile, FTP_DEFAULT_USERFILE,
         "file of FTP users (ours)"),
  KW_STR("XFERLOG", S, FTP__CONF_T_PATH, xferlog, NULL,
         "xferlog-format transfer log (ours)"),
  KW_STR("PIDFILE", S, FTP__CONF_T_PATH, pidfile, "/run/ftpd.pid",
         "process id file written by ftpd -d (ours)"),
  KW_INT("LOGINATTEMPTS", S, loginattempts, 1, 100, 0, NULL, 3, 3,
         "failed logins before the session is ended (ours)"),
  KW_INT("MAXSESSIONS", S, maxsessions, 1, 1000000, 0, NULL, 10000, 10000,
         "most concurrent sessions (ours)"),
  KW_INT("MAXSESSIONSPERIP", S, maxsessionsperip, 1, 1000000, 0, NULL, 50, 50,
         "most concurrent sessions from one client address (ours)"),
  KW_INT("BANFAILURES", S, banfailures, 1, 20, S, NULL, 5, 5,
         "failed logins from one address that ban it (0: no bans) (ours)"),
  KW_INT("BANWINDOW", S, banwindow, 1, 86400, 0, "seconds", 600, 600,
         "the time in which BANFAILURES failures ban an address (ours)"),
  KW_INT("BANTIME", S, bantime, 1, 604800, 0, "seconds", 900, 900,
         "how long a banned address is refused (ours)"),
  KW_NETLIST("BANEXEMPT", S, banexempt,
                "addresses and prefixes never banned (ours)"),
  KW_STR("PAMSERVICE", S, FTP__CONF_T_NAME, pamservice, NULL,
         "PAM service that logs the machine's own accounts in (ours; z/OS "
         "uses SAF)"),
  KW_STR("PAMROOT", S, FTP__CONF_T_PATH, pamroot, NULL,
         "one root for every system account instead of its home (ours)"),
  KW_STR("FTPUSERS", S, FTP__CONF_T_PATH, ftpusers, "/etc/ftpusers",
         "system accounts that may not log in, one a line (ours)"),
  KW_STR("BANNER", S, FTP__CONF_T_PATH, banner, NULL,
         "file shown as 220 lines when a client connects"),
  KW_STR("LOGINMSG", S, FTP__CONF_T_PATH, loginmsg, NULL,
         "file shown as 230 lines after a named user logs in"),
  KW_ANON("ANONYMOUS", S, anonymous, anonymous_user, "ftp",
          "enable anonymous login, mapped to this account"),
  KW_ENUM("STARTDIRECTORY", S, startdirectory, startdirectory_vals,
          FTP_STARTDIRECTORY_HFS, FTP_STARTDIRECTORY_HFS,
          "initial directory: the home directory (deviation: HFS)"),
  KW_ENUM("REPLYSECURITYLEVEL", S, replysecuritylevel,
          replysecuritylevel_vals, 0, 0,
          "1: no addresses, ports or system names in replies"),

  /* several instances behind a balancer */
  KW_NETLIST("PROXYPROTOCOL", S, proxyprotocol,
             "balancers whose control connections start with a PROXY "
             "protocol header (ours)"),
  KW_BOOL("PROXYPROTOCOLDATA", S, proxyprotocoldata, 0,
          "passive data connections from those balancers carry one too (ours)"),
  KW_STR("TLSTICKETKEY", S, FTP__CONF_T_PATH, tlsticketkey, NULL,
         "file of the TLS session-ticket master key all instances share (ours)"),
  KW_INT("METRICSPORT", S, metricsport, 1, 65535, S, "port", 0, 0,
         "Prometheus metrics over HTTP on this port (0: off) (ours)"),
  KW_STR("METRICSADDRESS", S, FTP__CONF_T_ADDR, metricsaddress, "127.0.0.1",
         "address the metrics endpoint listens on (ours)"),
  KW_INT("DRAINTIMEOUT", S, draintimeout, 1, 86400, S, "seconds", 30, 30,
         "how long SIGTERM lets running transfers finish (ours)"),

  /* files and listings */
  KW_OCTAL("UMASK", B, umask, 0777, 027,
           "file mode creation mask for new files"),
  KW_BOOL("LISTSUBDIR", B, listsubdir, 1,
          "wildcard NLST includes files of subdirectories"),
  KW_BOOL("SUPPRESSIGNOREWARNINGS", B, suppressignorewarnings, 0,
          "no warnings for statements of the other side or of z/OS only"),

  /* z/OS security statements accepted only with what we always do */
  KW_FIXED("ANONYMOUSLEVEL", S, anonymouslevel_vals, 3,
           "anonymous users are confined and read-only (level 3 only)"),
  KW_FIXED("VERIFYUSER", S, verifyuser_vals, 0,
           "SERVAUTH port profile check (FALSE only)"),
  KW_FIXED("PASSPHRASE", S, passphrase_vals, 1,
           "passwords longer than 8 characters (always TRUE)"),
  KW_FIXED("ANONYMOUSFILETYPESEQ", S, anonymousfiletypeseq_vals, 1,
           "anonymous users may retrieve files (TRUE only)"),
  KW_FIXED("EMAILADDRCHECK", S, emailaddrcheck_vals, 0,
           "check that the anonymous password is an e-mail address "
           "(FALSE only)"),
  KW_REFUSED("SECURE_PASSWORD_KERBEROS", KERBEROS,
             "Kerberos password policy (refused)"),

  /* z/OS statements with no meaning on Unix: MVS data sets, JES, DB2,
   * code pages, SMF, SOCKS, diagnostics. */
  KW_IGNORED("ACCESSERRORMSGS"),
  KW_IGNORED("ADMINEMAILADDRESS"),
  KW_IGNORED("ANONYMOUSFILEACCESS"),
  KW_IGNORED("ANONYMOUSFILETYPEJES"),
  KW_IGNORED("ANONYMOUSFILETYPESQL"),
  KW_IGNORED("ANONYMOUSFTPLOGGING"),
  KW_IGNORED("ANONYMOUSHFSDIRMODE"),
  KW_IGNORED("ANONYMOUSHFSFILEMODE"),
  KW_IGNORED("ANONYMOUSHFSINFO"),
  KW_IGNORED("ANONYMOUSMVSINFO"),
  KW_IGNORED("ASATRANS"),
  KW_IGNORED("AUTOMOUNT"),
  KW_IGNORED("AUTORECALL"),
  KW_IGNORED("AUTOTAPEMOUNT"),
  KW_IGNORED("BLKSIZE"),
  KW_IGNORED("BLOCKSIZE"),
  KW_IGNORED("BUFNO"),
  KW_IGNORED("CHKPTINT"),
  KW_IGNORED("CHKPTPREFIX"),
  KW_IGNORED("CONDDISP"),
  KW_IGNORED("CTRLCONN"),
  KW_IGNORED("DATACLASS"),
  KW_IGNORED("DATASETMODE"),
  KW_IGNORED("DB2"),
  KW_IGNORED("DB2PLAN"),
  KW_IGNORED("DBSUB"),
  KW_IGNORED("DCBDSN"),
  KW_IGNORED("DCONNTIME"),
  KW_IGNORED("DEBUG"),
  KW_IGNORED("DEBUGONSITE"),
  KW_IGNORED("DEST"),
  KW_IGNORED("DIRECTORY"),
  KW_IGNORED("DIRECTORYMODE"),
  KW_IGNORED("DSNTYPE"),
  KW_IGNORED("DSWAITTIME"),
  KW_IGNORED("DUMP"),
  KW_IGNORED("DUMPONSITE"),
  KW_IGNORED("EATTR"),
  KW_IGNORED("ENCODING"),
  KW_IGNORED("FIFOIOTIME"),
  KW_IGNORED("FIFOOPENTIME"),
  KW_IGNORED("FILETYPE"),
  KW_IGNORED("FTPLOGGING"),
  KW_IGNORED("ISPFSTATS"),
  KW_IGNORED("JESENTRYLIMIT"),
  KW_IGNORED("JESGETBYDSN"),
  KW_IGNORED("JESINTERFACELEVEL"),
  KW_IGNORED("JESLRECL"),
  KW_IGNORED("JESOWNER"),
  KW_IGNORED("JESPUTGETTO"),
  KW_IGNORED("JESRECFM"),
  KW_IGNORED("JESSTATUS"),
  KW_IGNORED("LISTLEVEL"),
  KW_IGNORED("LOGCLIENTERR"),
  KW_IGNORED("LRECL"),
  KW_IGNORED("MBDATACONN"),
  KW_IGNORED("MBREQUIRELASTEOL"),
  KW_IGNORED("MBSENDEOL"),
  KW_IGNORED("MGMTCLASS"),
  KW_IGNORED("MIGRATEVOL"),
  KW_IGNORED("NETRCLEVEL"),
  KW_IGNORED("PDSTYPE"),
  KW_IGNORED("PRIMARY"),
  KW_IGNORED("PROGRESS"),
  KW_IGNORED("QUOTESOVERRIDE"),
  KW_IGNORED("RDW"),
  KW_IGNORED("READTAPEFORMAT"),
  KW_IGNORED("RECFM"),
  KW_IGNORED("REMOVEINBEOF"),
  KW_IGNORED("RESTGET"),
  KW_IGNORED("RETPD"),
  KW_IGNORED("SBDATACONN"),
  KW_IGNORED("SBSENDEOL"),
  KW_IGNORED("SBSUB"),
  KW_IGNORED("SBSUBCHAR"),
  KW_IGNORED("SECONDARY"),
  KW_IGNORED("SMF"),
  KW_IGNORED("SMFAPPE"),
  KW_IGNORED("SMFDCFG"),
  KW_IGNORED("SMFDEL"),
  KW_IGNORED("SMFEXIT"),
  KW_IGNORED("SMFJES"),
  KW_IGNORED("SMFLOGN"),
  KW_IGNORED("SMFREN"),
  KW_IGNORED("SMFRETR"),
  KW_IGNORED("SMFSQL"),
  KW_IGNORED("SMFSTOR"),
  KW_IGNORED("SOCKSCONFIGFILE"),
  KW_IGNORED("SPACETYPE"),
  KW_IGNORED("SQLCOL"),
  KW_IGNORED("STORCLASS"),
  KW_IGNORED("TAPEREADSTREAM"),
  KW_IGNORED("TRACE"),
  KW_IGNORED("TRAILINGBLANKS"),
  KW_IGNORED("TRUNCATE"),
  KW_IGNORED("UCOUNT"),
  KW_IGNORED("UCSHOSTCS"),
  KW_IGNORED("UCSSUB"),
  KW_IGNORED("UCSTRUNC"),
  KW_IGNORED("UNICODEFILESYSTEMBOM"),
  KW_IGNORED("UNITNAME"),
  KW_IGNORED("VCOUNT"),
  KW_IGNORED("VOLUME"),
  KW_IGNORED("WLMCLASS"),
  KW_IGNORED("WRAPRECORD"),
  KW_IGNORED("WRTAPEFASTIO"),
  KW_IGNORED("XLATE"),
};

const size_t ftp__conf_ntable = NV(ftp__conf_table);

_Static_assert(NV(ftp__conf_table) <= FTP_CONF_KEYWORDS_MAX,
               "raise FTP_CONF_KEYWORDS_MAX in ftp_limits.h");

long ftp__conf_lookup(const char *name, size_t n) {
  size_t i, j;
  const char *k;

  for (i = 0; i < NV(ftp__conf_table); i++) {
    k = ftp__conf_table[i].name;
    for (j = 0; j < n && k[j] != '\0'; j++)
      if (ftp__conf_lower((unsigned char)name[j]) !=
          ftp__conf_lower((unsigned char)k[j]))
        break;
    if (j == n && k[j] == '\0')
      return (long)i;
  }
  return -1;
}
