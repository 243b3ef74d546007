/*
 * check_policy.c: the "policy" suite: ftpd's security decisions
 * (common/policy), table by table.  Every value of SECURE_FTP,
 * SECURE_DATACONN, SECURE_CTRLCONN, TLSRFCLEVEL, SECURE_LOGIN,
 * SECURE_PASSWORD, PORTCOMMAND, PORTCOMMANDIPADDR and PORTCOMMANDPORT is
 * played against the commands and session states it governs, and each row
 * asserts the exact reply code and a fragment of its text (code 0: allowed).
 * The "commands" case goes through ftpd's real command table, so that the
 * verbs z/OS names (USER 530, PASS/CWD/LIST 534, FEAT/HELP/... allowed
 * before AUTH) are checked with the class the server gives them.
 *
 * Run one case:
 *   CK_RUN_SUITE=policy CK_RUN_CASE=prot build/obj/test/unit/check_policy
 * CK_TIMEOUT_MULTIPLIER stretches the timeouts on slow machines.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "cmdtab.h"
#include "conf.h"
#include "policy.h"
#include "replycodes.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ADD_ROWS(tc, fn, t) tcase_add_loop_test(tc, fn, 0, (int)NELEM(t))

/* Session states, as bit sets of the rows below. */
enum {
  TLS = 1u << 0,      /* AUTH done, control connection under TLS */
  LOGGED = 1u << 1,   /* logged in */
  PRIV = 1u << 2,     /* PROT P in force */
  IMPL = 1u << 3,     /* implicit TLS (TLSPORT): also TLS */
  CCC = 1u << 4,      /* after CCC: secured, no longer TLS */
  EALL = 1u << 5,     /* EPSV ALL accepted */
  NOCERT = 1u << 6    /* no KEYRING certificate */
};

static struct ftp_policy_state state(unsigned f) {
  struct ftp_policy_state st;

  memset(&st, 0, sizeof(st));
  st.tls_ctrl = (f & (TLS | IMPL)) != 0 && !(f & CCC);
  st.secured = (f & (TLS | IMPL | CCC)) != 0;
  st.implicit = (f & IMPL) != 0;
  st.ccc_done = (f & CCC) != 0;
  st.logged_in = (f & LOGGED) != 0;
  st.prot_private = (f & PRIV) != 0;
  st.epsv_all = (f & EALL) != 0;
  st.tls_available = 1;
  st.have_cert = !(f & NOCERT);
  return st;
}

/* Server defaults, then the keywords of a row. */
static struct ftp_conf conf(void) {
  struct ftp_conf c;

  ftp_conf_init(&c, FTP_CONF_SERVER);
  c.extensions |= FTP_EXT_AUTH_TLS;
  return c;
}

static void check_verdict(struct ftp_verdict v, int code, const char *frag,
                          const char *what) {
  ck_assert_msg(v.code == code, "%s: code %d, want %d (%s)", what, v.code, code,
                v.text != NULL ? v.text : "allowed");
  if (code == 0) {
    ck_assert_msg(v.text == NULL, "%s: allowed, with a text", what);
    return;
  }
  ck_assert_msg(v.text != NULL, "%s: a refusal without a text", what);
  if (frag != NULL)
    ck_assert_msg(strstr(v.text, frag) != NULL, "%s: \"%s\" lacks \"%s\"", what,
                  v.text, frag);
}

/* ---- commands by class: SECURE_FTP x SECURE_DATACONN x state ---------- */

static const struct {
  int secure_ftp;
  int dataconn;
  unsigned st;
  enum ftp_cmd_class cls;
  int code;
  const char *frag;
} class_rows[] = {
  /* SECURE_FTP REQUIRED before AUTH: z/OS 530 for USER, 534 for the rest,
   * FEAT and friends (ANYTIME) still answered. */
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_ANYTIME, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_USER, 530,
   "Server requires authentication"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_LOGIN, 534,
   "Security environment must be established first"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_SESSION, 534, "AUTH TLS"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_DATA, 534, "AUTH TLS"},
  /* ... even when the client claims PROT P or login in the state bits:
   * only "secured" counts. */
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_PRIVATE, LOGGED | PRIV, FTP_CLASS_DATA, 534,
   "AUTH TLS"},
  /* After AUTH, implicit TLS, or CCC (the session stays secured). */
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, TLS, FTP_CLASS_USER, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, TLS, FTP_CLASS_LOGIN, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, IMPL, FTP_CLASS_USER, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, CCC | LOGGED, FTP_CLASS_SESSION, 0, NULL},
  /* ... but no login after CCC (REIN, then USER and PASS in clear: found by
   * fuzz_session, test/fuzz/corpus/session/regress-rein-after-ccc). */
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, CCC, FTP_CLASS_USER, 530,
   "cleared control connection"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, CCC, FTP_CLASS_LOGIN, 530,
   "cleared control connection"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, CCC | LOGGED, FTP_CLASS_LOGIN, 530,
   "reconnect"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, CCC, FTP_CLASS_USER, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, CCC, FTP_CLASS_LOGIN, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, TLS, FTP_CLASS_SESSION, 530,
   "Please login"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_CLEAR, TLS, FTP_CLASS_DATA, 530, "login"},
  /* SECURE_FTP ALLOWED: clear logins. */
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_USER, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_LOGIN, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_ANYTIME, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_SESSION, 530, "login"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, 0, FTP_CLASS_DATA, 530, "login"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, LOGGED, FTP_CLASS_SESSION, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, LOGGED, FTP_CLASS_DATA, 0, NULL},
  /* SECURE_DATACONN CLEAR: either level. */
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_CLEAR, TLS | LOGGED | PRIV, FTP_CLASS_DATA, 0, NULL},
  /* NEVER: data in clear only; a protected level is refused with 521. */
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_NEVER, LOGGED, FTP_CLASS_DATA, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_NEVER, TLS | LOGGED | PRIV, FTP_CLASS_DATA, 521,
   "use PROT C"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_NEVER, IMPL | LOGGED | PRIV, FTP_CLASS_DATA, 521,
   "server requires clear data"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_NEVER, TLS | LOGGED | PRIV, FTP_CLASS_SESSION, 0,
   NULL},
  /* PRIVATE and SAFE: clear data refused with 521 before any 150. */
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, TLS | LOGGED, FTP_CLASS_DATA, 521,
   "Data connection cannot be opened with this PROT setting"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, LOGGED, FTP_CLASS_DATA, 521, "use PROT P"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, CCC | LOGGED, FTP_CLASS_DATA, 521,
   "use PROT P"},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, TLS | LOGGED | PRIV, FTP_CLASS_DATA, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, CCC | LOGGED | PRIV, FTP_CLASS_DATA, 0, NULL},
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, TLS | LOGGED, FTP_CLASS_SESSION, 0, NULL},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_SAFE, TLS | LOGGED, FTP_CLASS_DATA, 521,
   "server requires protected data"},
  {FTP_SECURE_FTP_REQUIRED, FTP_SECURE_DATACONN_SAFE, TLS | LOGGED | PRIV, FTP_CLASS_DATA, 0, NULL},
  /* Not logged in comes before the protection level. */
  {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_DATACONN_PRIVATE, TLS, FTP_CLASS_DATA, 530, "login"},
};

START_TEST(test_command_class) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(class_rows[_i].st);
  char what[64];

  c.secure_ftp = class_rows[_i].secure_ftp;
  c.secure_dataconn = class_rows[_i].dataconn;
  snprintf(what, sizeof(what), "class row %d", _i);
  check_verdict(ftp_policy_command(&c, &st, class_rows[_i].cls), class_rows[_i].code,
                class_rows[_i].frag, what);
}
END_TEST

/* Every combination, against the rules restated independently. */
static int expected_class_code(int secure_ftp, int dataconn, unsigned f,
                               enum ftp_cmd_class cls) {
  int secured = (f & (TLS | IMPL | CCC)) != 0;

  if (cls == FTP_CLASS_ANYTIME)
    return 0;
  if (secure_ftp == FTP_SECURE_FTP_REQUIRED && !secured)
    return cls == FTP_CLASS_USER ? 530 : 534;
  if (secure_ftp == FTP_SECURE_FTP_REQUIRED && (f & CCC) &&
      (cls == FTP_CLASS_USER || cls == FTP_CLASS_LOGIN))
    return 530;
  if ((cls == FTP_CLASS_SESSION || cls == FTP_CLASS_DATA) && !(f & LOGGED))
    return 530;
  if (cls != FTP_CLASS_DATA)
    return 0;
  if (dataconn == FTP_SECURE_DATACONN_NEVER)
    return (f & PRIV) ? 521 : 0;
  if (dataconn == FTP_SECURE_DATACONN_PRIVATE || dataconn == FTP_SECURE_DATACONN_SAFE)
    return (f & PRIV) ? 0 : 521;
  return 0;
}

START_TEST(test_command_every_combination) {
  static const int ftps[] = {FTP_SECURE_FTP_ALLOWED, FTP_SECURE_FTP_REQUIRED};
  static const int dcs[] = {FTP_SECURE_DATACONN_CLEAR, FTP_SECURE_DATACONN_NEVER,
                            FTP_SECURE_DATACONN_PRIVATE, FTP_SECURE_DATACONN_SAFE};
  static const unsigned conns[] = {0, TLS, IMPL, CCC};
  size_t a, b, k;
  unsigned extra;
  int cls;
  int n = 0;

  for (a = 0; a < NELEM(ftps); a++)
    for (b = 0; b < NELEM(dcs); b++)
      for (k = 0; k < NELEM(conns); k++)
        for (extra = 0; extra < 4; extra++)
          for (cls = FTP_CLASS_ANYTIME; cls <= FTP_CLASS_DATA; cls++) {
            struct ftp_conf c = conf();
            unsigned f = conns[k] | ((extra & 1) ? LOGGED : 0) | ((extra & 2) ? PRIV : 0);
            struct ftp_policy_state st = state(f);
            struct ftp_verdict v;
            int want = expected_class_code(ftps[a], dcs[b], f, (enum ftp_cmd_class)cls);

            c.secure_ftp = ftps[a];
            c.secure_dataconn = dcs[b];
            v = ftp_policy_command(&c, &st, (enum ftp_cmd_class)cls);
            ck_assert_msg(v.code == want,
                          "SECURE_FTP %d SECURE_DATACONN %d state %#x class %d: %d, want %d",
                          ftps[a], dcs[b], f, cls, v.code, want);
            ck_assert((v.code == 0) == (v.text == NULL));
            n++;
          }
  ck_assert_int_eq(n, 2 * 4 * 4 * 4 * 5);
}
END_TEST

/* ---- real verbs through the server's command table -------------------- */

static const struct {
  const char *verb;
  int code_before_auth; /* SECURE_FTP REQUIRED, nothing done yet */
  int code_after_auth;  /* AUTH done, not logged in */
} verb_rows[] = {
  /* z/OS: these keep working before AUTH. */
  {"FEAT", 0, 0}, {"HELP", 0, 0}, {"SYST", 0, 0}, {"NOOP", 0, 0},
  {"HOST", 0, 0}, {"OPTS", 0, 0}, {"AUTH", 0, 0}, {"QUIT", 0, 0},
  /* PBSZ, PROT, CCC pass the class check; their own functions decide. */
  {"PBSZ", 0, 0}, {"PROT", 0, 0}, {"CCC", 0, 0},
  {"USER", 530, 0},
  {"PASS", 534, 0}, {"ACCT", 534, 0},
  {"CWD", 534, 530}, {"CDUP", 534, 530}, {"PWD", 534, 530}, {"MKD", 534, 530},
  {"RMD", 534, 530}, {"DELE", 534, 530}, {"RNFR", 534, 530}, {"RNTO", 534, 530},
  {"SIZE", 534, 530}, {"MDTM", 534, 530}, {"MLST", 534, 530}, {"STAT", 534, 530},
  {"SITE", 534, 530}, {"TYPE", 534, 530}, {"MODE", 534, 530}, {"STRU", 534, 530},
  {"REST", 534, 530}, {"ALLO", 534, 530}, {"ABOR", 534, 530},
  {"PASV", 534, 530}, {"EPSV", 534, 530}, {"PORT", 534, 530}, {"EPRT", 534, 530},
  {"LIST", 534, 530}, {"NLST", 534, 530}, {"MLSD", 534, 530}, {"RETR", 534, 530},
  {"STOR", 534, 530}, {"APPE", 534, 530}, {"STOU", 534, 530},
};

START_TEST(test_verbs_before_and_after_auth) {
  const struct ftpd_cmd *cmd = ftpd_cmd_find(verb_rows[_i].verb);
  struct ftp_conf c = conf();
  struct ftp_policy_state before = state(0), after = state(TLS);
  char what[64];

  ck_assert_msg(cmd != NULL, "%s not in the command table", verb_rows[_i].verb);
  c.secure_ftp = FTP_SECURE_FTP_REQUIRED;
  snprintf(what, sizeof(what), "%s before AUTH", verb_rows[_i].verb);
  check_verdict(ftp_policy_command(&c, &before, cmd->cls), verb_rows[_i].code_before_auth,
                verb_rows[_i].code_before_auth == 530 ? "requires authentication"
                : verb_rows[_i].code_before_auth == 534 ? "AUTH TLS" : NULL, what);
  snprintf(what, sizeof(what), "%s after AUTH", verb_rows[_i].verb);
  check_verdict(ftp_policy_command(&c, &after, cmd->cls), verb_rows[_i].code_after_auth,
                NULL, what);
  /* SECURE_FTP ALLOWED: nothing is refused for want of AUTH. */
  c.secure_ftp = FTP_SECURE_FTP_ALLOWED;
  ck_assert_int_ne(ftp_policy_command(&c, &before, cmd->cls).code, 534);
}
END_TEST

START_TEST(test_every_data_verb_is_class_data) {
  static const char *const data_verbs[] = {"LIST", "NLST", "MLSD", "RETR",
                                           "STOR", "APPE", "STOU"};
  size_t n, i, data = 0;
  const struct ftpd_cmd *t = ftpd_cmd_table(&n);

  for (i = 0; i < NELEM(data_verbs); i++)
    ck_assert_int_eq(ftpd_cmd_find(data_verbs[i])->cls, FTP_CLASS_DATA);
  /* ...and no other verb opens a data connection unchecked. */
  for (i = 0; i < n; i++)
    data += t[i].cls == FTP_CLASS_DATA;
  ck_assert_uint_eq(data, NELEM(data_verbs));
}
END_TEST

/* ---- AUTH ------------------------------------------------------------- */

static const struct {
  unsigned st;
  int tls_available;
  const char *mech;
  int code;
  int protect;
  const char *frag;
} auth_rows[] = {
  {0, 1, "TLS", 0, 0, NULL},
  {0, 1, "TLS-C", 0, 0, NULL},
  {0, 1, "tls", 0, 0, NULL},
  {0, 1, "tls-c", 0, 0, NULL},
  {0, 1, "SSL", 0, 1, NULL},
  {0, 1, "TLS-P", 0, 1, NULL},
  {0, 1, "ssl", 0, 1, NULL},
  {0, 1, "GSSAPI", 504, 0, "does not understand the specified mechanism"},
  {0, 1, "KERBEROS_V4", 504, 0, "use TLS"},
  {0, 1, "TLSX", 504, 0, "mechanism"},
  {0, 1, "TLS C", 504, 0, "mechanism"},
  {0, 1, "", 504, 0, "mechanism"},
  {NOCERT, 1, "TLS", 431, 0, "KEYRING"},
  {NOCERT, 1, "SSL", 431, 0, "certificate"},
  {NOCERT, 1, "GSSAPI", 504, 0, "mechanism"},
  {0, 0, "TLS", 504, 0, "not supported"},
  {TLS, 1, "TLS", 503, 0, "Authentication already established"},
  {TLS | LOGGED, 1, "SSL", 503, 0, "already"},
  {CCC | LOGGED, 1, "TLS", 503, 0, "already"},
  {IMPL, 1, "TLS", 503, 0, "Server on the TLS secure port does not accept the AUTH command"},
};

START_TEST(test_auth) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(auth_rows[_i].st);
  int protect = -1;
  char what[64];

  st.tls_available = auth_rows[_i].tls_available;
  snprintf(what, sizeof(what), "AUTH \"%s\" (row %d)", auth_rows[_i].mech, _i);
  check_verdict(ftp_policy_auth(&c, &st, auth_rows[_i].mech, &protect), auth_rows[_i].code,
                auth_rows[_i].frag, what);
  /* Only an accepted AUTH sets the protection level (handle_auth ignores
   * protect on a refusal). */
  if (auth_rows[_i].code == 0)
    ck_assert_int_eq(protect, auth_rows[_i].protect);
}
END_TEST

/* ---- PBSZ and PROT: SECURE_DATACONN x level x state ------------------- */

START_TEST(test_pbsz) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st;
  int dc;

  /* SECURE_DATACONN has no say in PBSZ. */
  for (dc = FTP_SECURE_DATACONN_CLEAR; dc <= FTP_SECURE_DATACONN_SAFE; dc++) {
    c.secure_dataconn = dc;
    st = state(0);
    check_verdict(ftp_policy_pbsz(&c, &st), 503, "Must first establish authentication",
                  "PBSZ before AUTH");
    st = state(TLS);
    check_verdict(ftp_policy_pbsz(&c, &st), 0, NULL, "PBSZ after AUTH");
    st = state(TLS | LOGGED);
    check_verdict(ftp_policy_pbsz(&c, &st), 0, NULL, "PBSZ logged in");
    st = state(IMPL);
    check_verdict(ftp_policy_pbsz(&c, &st), 0, NULL, "PBSZ implicit");
    st = state(CCC | LOGGED);
    check_verdict(ftp_policy_pbsz(&c, &st), 503, "PBSZ not allowed after CCC",
                  "PBSZ after CCC");
  }
}
END_TEST

static const struct {
  int dataconn;
  unsigned st;
  const char *level;
  int code;
  const char *frag;
} prot_rows[] = {
  /* CLEAR: the client chooses C or P. */
  {FTP_SECURE_DATACONN_CLEAR, TLS, "C", 0, NULL},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "P", 0, NULL},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "c", 0, NULL},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "p", 0, NULL},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "S", 536, "not supported by TLS"},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "E", 536, "not supported by TLS"},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "X", 504, "does not understand the specified protection level"},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "PP", 504, "protection level"},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "Private", 504, "protection level"},
  {FTP_SECURE_DATACONN_CLEAR, TLS, "", 504, "protection level"},
  /* NEVER: P refused (536), C fine. */
  {FTP_SECURE_DATACONN_NEVER, TLS, "C", 0, NULL},
  {FTP_SECURE_DATACONN_NEVER, TLS, "P", 536, "server requires PROT C"},
  {FTP_SECURE_DATACONN_NEVER, TLS | PRIV, "P", 536, "PROT C"},
  {FTP_SECURE_DATACONN_NEVER, TLS, "S", 536, "TLS"},
  {FTP_SECURE_DATACONN_NEVER, TLS, "E", 536, "TLS"},
  {FTP_SECURE_DATACONN_NEVER, TLS, "Q", 504, "protection level"},
  /* PRIVATE and SAFE: C refused (536), P fine. */
  {FTP_SECURE_DATACONN_PRIVATE, TLS, "C", 536, "server requires PROT P"},
  {FTP_SECURE_DATACONN_PRIVATE, TLS | LOGGED | PRIV, "C", 536, "PROT P"},
  {FTP_SECURE_DATACONN_PRIVATE, TLS, "P", 0, NULL},
  {FTP_SECURE_DATACONN_PRIVATE, TLS, "S", 536, "TLS"},
  {FTP_SECURE_DATACONN_PRIVATE, TLS, "E", 536, "TLS"},
  {FTP_SECURE_DATACONN_SAFE, TLS, "C", 536, "server requires PROT P"},
  {FTP_SECURE_DATACONN_SAFE, TLS, "P", 0, NULL},
  {FTP_SECURE_DATACONN_SAFE, TLS, "S", 536, "TLS"},
  {FTP_SECURE_DATACONN_SAFE, TLS, "X", 504, "protection level"},
  /* Implicit TLS: PROT still accepted. */
  {FTP_SECURE_DATACONN_CLEAR, IMPL, "C", 0, NULL},
  {FTP_SECURE_DATACONN_PRIVATE, IMPL | PRIV, "P", 0, NULL},
  /* Before AUTH: 503 whatever the level, even an unknown one. */
  {FTP_SECURE_DATACONN_CLEAR, 0, "P", 503, "Must first establish authentication"},
  {FTP_SECURE_DATACONN_PRIVATE, 0, "P", 503, "AUTH TLS"},
  {FTP_SECURE_DATACONN_NEVER, LOGGED, "C", 503, "AUTH TLS"},
  {FTP_SECURE_DATACONN_CLEAR, 0, "X", 503, "AUTH TLS"},
  /* After CCC: 503 (RFC 4217 section 6, z/OS text). */
  {FTP_SECURE_DATACONN_CLEAR, CCC | LOGGED, "C", 503, "Command PROT rejected -- PROT not allowed after CCC"},
  {FTP_SECURE_DATACONN_PRIVATE, CCC | LOGGED | PRIV, "P", 503, "after CCC"},
};

START_TEST(test_prot) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(prot_rows[_i].st);
  char what[64];

  c.secure_dataconn = prot_rows[_i].dataconn;
  snprintf(what, sizeof(what), "PROT \"%s\" (row %d)", prot_rows[_i].level, _i);
  check_verdict(ftp_policy_prot(&c, &st, prot_rows[_i].level), prot_rows[_i].code,
                prot_rows[_i].frag, what);
}
END_TEST

/* ---- CCC: TLSRFCLEVEL x SECURE_CTRLCONN x state ----------------------- */

static const struct {
  int level;
  int ctrlconn;
  int secure_ftp;
  unsigned st;
  int code;
  const char *frag;
} ccc_rows[] = {
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 0, NULL},
  {FTP_TLSRFCLEVEL_CCCNONOTIFY, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 0, NULL},
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_REQUIRED, TLS | LOGGED, 0, NULL},
  /* SECURE_FTP ALLOWED: CCC before login is the client's business. */
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, TLS, 0, NULL},
  /* SECURE_FTP REQUIRED: not before login. */
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_REQUIRED, TLS, 534,
   "CCC not allowed before login"},
  {FTP_TLSRFCLEVEL_CCCNONOTIFY, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_REQUIRED, TLS, 534,
   "before login"},
  /* DRAFT refuses CCC. */
  {FTP_TLSRFCLEVEL_DRAFT, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 534,
   "CCC not supported at TLSRFCLEVEL DRAFT"},
  {FTP_TLSRFCLEVEL_DRAFT, FTP_SECURE_CTRLCONN_PRIVATE, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 534,
   "DRAFT"},
  /* SECURE_CTRLCONN PRIVATE and SAFE: z/OS "CCC not supported". */
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_PRIVATE, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 534,
   "CCC not supported"},
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_SAFE, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 534,
   "CCC not supported"},
  {FTP_TLSRFCLEVEL_CCCNONOTIFY, FTP_SECURE_CTRLCONN_PRIVATE, FTP_SECURE_FTP_REQUIRED, TLS | LOGGED,
   534, "CCC not supported"},
  {FTP_TLSRFCLEVEL_CCCNONOTIFY, FTP_SECURE_CTRLCONN_SAFE, FTP_SECURE_FTP_ALLOWED, TLS | LOGGED, 534,
   "CCC not supported"},
  /* Not protected: 533 (RFC 4217 section 6), before or after CCC. */
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, 0, 533,
   "Command channel is not protected"},
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, LOGGED, 533, "not protected"},
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, CCC | LOGGED, 533,
   "not protected"},
  {FTP_TLSRFCLEVEL_DRAFT, FTP_SECURE_CTRLCONN_PRIVATE, FTP_SECURE_FTP_ALLOWED, 0, 533, "not protected"},
  /* TLSPORT: never, whatever the level (z/OS text). */
  {FTP_TLSRFCLEVEL_RFC4217, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, IMPL | LOGGED, 534,
   "Command CCC not allowed for connection to secure port"},
  {FTP_TLSRFCLEVEL_CCCNONOTIFY, FTP_SECURE_CTRLCONN_CLEAR, FTP_SECURE_FTP_ALLOWED, IMPL | LOGGED, 534,
   "secure port"},
  {FTP_TLSRFCLEVEL_DRAFT, FTP_SECURE_CTRLCONN_PRIVATE, FTP_SECURE_FTP_REQUIRED, IMPL, 534, "secure port"},
};

START_TEST(test_ccc) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(ccc_rows[_i].st);
  char what[64];

  c.tlsrfclevel = ccc_rows[_i].level;
  c.secure_ctrlconn = ccc_rows[_i].ctrlconn;
  c.secure_ftp = ccc_rows[_i].secure_ftp;
  snprintf(what, sizeof(what), "CCC row %d", _i);
  check_verdict(ftp_policy_ccc(&c, &st), ccc_rows[_i].code, ccc_rows[_i].frag, what);
}
END_TEST

START_TEST(test_level_names) {
  struct ftp_conf c = conf();

  ck_assert_str_eq(ftp_policy_level_name(&c), "RFC4217"); /* our default */
  c.tlsrfclevel = FTP_TLSRFCLEVEL_DRAFT;
  ck_assert_str_eq(ftp_policy_level_name(&c), "DRAFT");
  c.tlsrfclevel = FTP_TLSRFCLEVEL_RFC4217;
  ck_assert_str_eq(ftp_policy_level_name(&c), "RFC4217");
  c.tlsrfclevel = FTP_TLSRFCLEVEL_CCCNONOTIFY;
  ck_assert_str_eq(ftp_policy_level_name(&c), "CCCNONOTIFY");
}
END_TEST

/* ---- SECURE_LOGIN and SECURE_PASSWORD at USER ------------------------- */

static const struct {
  int login;
  unsigned st;
  int have_cert, trusted, maps;
  int code;
  const char *frag;
} cert_rows[] = {
  /* NO_CLIENT_AUTH: certificates play no part. */
  {FTP_SECURE_LOGIN_NO_CLIENT_AUTH, 0, 0, 0, 0, 0, NULL},
  {FTP_SECURE_LOGIN_NO_CLIENT_AUTH, TLS, 0, 0, 0, 0, NULL},
  {FTP_SECURE_LOGIN_NO_CLIENT_AUTH, TLS, 1, 0, 0, 0, NULL},
  /* REQUIRED: a certificate from a CAFILE CA; the user need not map. */
  {FTP_SECURE_LOGIN_REQUIRED, TLS, 0, 0, 0, 531,
   "Server requires client certificate for login processing"},
  {FTP_SECURE_LOGIN_REQUIRED, 0, 0, 0, 0, 531, "requires client certificate"},
  {FTP_SECURE_LOGIN_REQUIRED, 0, 1, 1, 1, 531, "requires client certificate"}, /* no TLS */
  {FTP_SECURE_LOGIN_REQUIRED, TLS, 1, 0, 0, 531, "not signed by a trusted CA"},
  {FTP_SECURE_LOGIN_REQUIRED, TLS, 1, 0, 1, 531, "trusted CA"},
  {FTP_SECURE_LOGIN_REQUIRED, TLS, 1, 1, 0, 0, NULL},
  {FTP_SECURE_LOGIN_REQUIRED, TLS, 1, 1, 1, 0, NULL},
  {FTP_SECURE_LOGIN_REQUIRED, IMPL, 1, 1, 0, 0, NULL},
  {FTP_SECURE_LOGIN_REQUIRED, CCC, 1, 1, 0, 0, NULL},
  /* VERIFY_USER: the certificate must also map to the user named. */
  {FTP_SECURE_LOGIN_VERIFY_USER, TLS, 0, 0, 0, 531, "requires client certificate"},
  {FTP_SECURE_LOGIN_VERIFY_USER, TLS, 1, 0, 1, 531, "trusted CA"},
  {FTP_SECURE_LOGIN_VERIFY_USER, TLS, 1, 1, 0, 531, "not registered for this user"},
  {FTP_SECURE_LOGIN_VERIFY_USER, TLS, 1, 1, 1, 0, NULL},
  {FTP_SECURE_LOGIN_VERIFY_USER, IMPL, 1, 1, 1, 0, NULL},
};

START_TEST(test_login_cert) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(cert_rows[_i].st);
  char what[64];

  c.secure_login = cert_rows[_i].login;
  snprintf(what, sizeof(what), "USER, certificate row %d", _i);
  check_verdict(ftp_policy_login_cert(&c, &st, cert_rows[_i].have_cert, cert_rows[_i].trusted,
                                      cert_rows[_i].maps),
                cert_rows[_i].code, cert_rows[_i].frag, what);
}
END_TEST

START_TEST(test_password_needed) {
  static const struct {
    int password, login, maps, needed;
  } rows[] = {
    {FTP_SECURE_PASSWORD_REQUIRED, FTP_SECURE_LOGIN_NO_CLIENT_AUTH, 0, 1},
    {FTP_SECURE_PASSWORD_REQUIRED, FTP_SECURE_LOGIN_NO_CLIENT_AUTH, 1, 1},
    {FTP_SECURE_PASSWORD_REQUIRED, FTP_SECURE_LOGIN_REQUIRED, 1, 1},
    {FTP_SECURE_PASSWORD_REQUIRED, FTP_SECURE_LOGIN_VERIFY_USER, 1, 1},
    /* OPTIONAL: a mapped certificate replaces the password (232). */
    {FTP_SECURE_PASSWORD_OPTIONAL, FTP_SECURE_LOGIN_REQUIRED, 1, 0},
    {FTP_SECURE_PASSWORD_OPTIONAL, FTP_SECURE_LOGIN_VERIFY_USER, 1, 0},
    {FTP_SECURE_PASSWORD_OPTIONAL, FTP_SECURE_LOGIN_REQUIRED, 0, 1},
    {FTP_SECURE_PASSWORD_OPTIONAL, FTP_SECURE_LOGIN_VERIFY_USER, 0, 1},
    /* Without client authentication there is no certificate to trust
     * (conf forces REQUIRED back with a warning; policy agrees). */
    {FTP_SECURE_PASSWORD_OPTIONAL, FTP_SECURE_LOGIN_NO_CLIENT_AUTH, 1, 1},
  };
  size_t i;

  for (i = 0; i < NELEM(rows); i++) {
    struct ftp_conf c = conf();
    c.secure_password = rows[i].password;
    c.secure_login = rows[i].login;
    ck_assert_msg(ftp_policy_password_needed(&c, rows[i].maps) == rows[i].needed,
                  "row %zu", i);
  }
}
END_TEST

/* ---- PASV, EPSV, PORT, EPRT ------------------------------------------- */

START_TEST(test_pasv_epsv) {
  struct ftp_policy_state st = state(TLS | LOGGED);

  check_verdict(ftp_policy_pasv(&st, 0), 0, NULL, "PASV");
  check_verdict(ftp_policy_pasv(&st, 1), 0, NULL, "EPSV");
  st = state(TLS | LOGGED | EALL);
  /* RFC 2428 section 4: after EPSV ALL only EPSV. */
  check_verdict(ftp_policy_pasv(&st, 0), 503, "EPSV ALL received", "PASV after EPSV ALL");
  check_verdict(ftp_policy_pasv(&st, 1), 0, NULL, "EPSV after EPSV ALL");
}
END_TEST

static const struct {
  int portcommand, ipaddr, portport;
  const char *target;
  unsigned port;
  unsigned st;
  int code;
  const char *frag;
} port_rows[] = {
  /* The peer is 192.0.2.10, or 2001:db8::10 for an IPv6 target. */
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "192.0.2.10", 40000, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "::ffff:192.0.2.10", 40000, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "192.0.2.10", 1024, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "192.0.2.10", 1023, 0, 504, "privileged port"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "192.0.2.10", 21, 0, 504, "privileged port"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "198.51.100.7", 40000, 0, 504, "third-party address"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "2001:db8::99", 40000, 0, 504, "third-party"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "2001:db8::10", 40000, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "2001:db8::10", 1000, 0, 504, "privileged port"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_UNRESTRICTED,
   "192.0.2.10", 21, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_UNRESTRICTED,
   "198.51.100.7", 21, 0, 504, "third-party"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_UNRESTRICTED, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "198.51.100.7", 40000, 0, 0, NULL},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_UNRESTRICTED, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "198.51.100.7", 80, 0, 504, "privileged port"},
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_UNRESTRICTED, FTP_PORTCOMMANDPORT_UNRESTRICTED,
   "198.51.100.7", 25, 0, 0, NULL},
  /* REJECT: active mode off, wherever it points. */
  {FTP_PORTCOMMAND_REJECT, FTP_PORTCOMMANDIPADDR_UNRESTRICTED, FTP_PORTCOMMANDPORT_UNRESTRICTED,
   "192.0.2.10", 40000, 0, 504, "PORT and EPRT are disabled"},
  {FTP_PORTCOMMAND_REJECT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "198.51.100.7", 21, 0, 504, "disabled"},
  /* EPSV ALL first: 503, before any other rule. */
  {FTP_PORTCOMMAND_ACCEPT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "192.0.2.10", 40000, EALL, 503, "EPSV ALL"},
  {FTP_PORTCOMMAND_REJECT, FTP_PORTCOMMANDIPADDR_NOREDIRECT, FTP_PORTCOMMANDPORT_NOLOWPORTS,
   "198.51.100.7", 21, EALL, 503, "EPSV ALL"},
};

START_TEST(test_port) {
  struct ftp_conf c = conf();
  struct ftp_policy_state st = state(TLS | LOGGED | port_rows[_i].st);
  struct sockaddr_storage target, peer;
  char what[96];
  int v6 = strchr(port_rows[_i].target, ':') != NULL &&
           strncmp(port_rows[_i].target, "::ffff:", 7) != 0;

  c.portcommand = port_rows[_i].portcommand;
  c.portcommandipaddr = port_rows[_i].ipaddr;
  c.portcommandport = port_rows[_i].portport;
  ck_assert_int_eq(ftp_addr_from_string(port_rows[_i].target, port_rows[_i].port, &target), 0);
  ck_assert_int_eq(ftp_addr_from_string(v6 ? "2001:db8::10" : "192.0.2.10", 21, &peer), 0);
  snprintf(what, sizeof(what), "PORT %s %u (row %d)", port_rows[_i].target,
           port_rows[_i].port, _i);
  check_verdict(ftp_policy_port(&c, &st, &target, &peer), port_rows[_i].code,
                port_rows[_i].frag, what);
}
END_TEST

START_TEST(test_server_defaults) {
  /* What a member that codes none of these keywords gets (ftp.data.5). */
  struct ftp_conf c;

  ftp_conf_init(&c, FTP_CONF_SERVER);
  ck_assert_int_eq(c.secure_ftp, FTP_SECURE_FTP_ALLOWED);
  ck_assert_int_eq(c.secure_dataconn, FTP_SECURE_DATACONN_CLEAR);
  ck_assert_int_eq(c.secure_ctrlconn, FTP_SECURE_CTRLCONN_CLEAR);
  ck_assert_int_eq(c.tlsrfclevel, FTP_TLSRFCLEVEL_RFC4217);
  ck_assert_int_eq(c.secure_login, FTP_SECURE_LOGIN_NO_CLIENT_AUTH);
  ck_assert_int_eq(c.secure_password, FTP_SECURE_PASSWORD_REQUIRED);
  ck_assert_int_eq(c.secure_session_reuse, FTP_SECURE_SESSION_REUSE_REQUIRED);
  ck_assert_int_eq(c.portcommand, FTP_PORTCOMMAND_ACCEPT);
  ck_assert_int_eq(c.portcommandipaddr, FTP_PORTCOMMANDIPADDR_NOREDIRECT);
  ck_assert_int_eq(c.portcommandport, FTP_PORTCOMMANDPORT_NOLOWPORTS);
  ftp_conf_free(&c);
}
END_TEST

static Suite *policy_suite(void) {
  Suite *s = suite_create("policy");
  TCase *tc;

  tc = tcase_create("commands");
  ADD_ROWS(tc, test_command_class, class_rows);
  tcase_add_test(tc, test_command_every_combination);
  ADD_ROWS(tc, test_verbs_before_and_after_auth, verb_rows);
  tcase_add_test(tc, test_every_data_verb_is_class_data);
  suite_add_tcase(s, tc);

  tc = tcase_create("auth");
  ADD_ROWS(tc, test_auth, auth_rows);
  suite_add_tcase(s, tc);

  tc = tcase_create("prot");
  tcase_add_test(tc, test_pbsz);
  ADD_ROWS(tc, test_prot, prot_rows);
  suite_add_tcase(s, tc);

  tc = tcase_create("ccc");
  ADD_ROWS(tc, test_ccc, ccc_rows);
  tcase_add_test(tc, test_level_names);
  suite_add_tcase(s, tc);

  tc = tcase_create("login");
  ADD_ROWS(tc, test_login_cert, cert_rows);
  tcase_add_test(tc, test_password_needed);
  suite_add_tcase(s, tc);

  tc = tcase_create("port");
  tcase_add_test(tc, test_pasv_epsv);
  ADD_ROWS(tc, test_port, port_rows);
  tcase_add_test(tc, test_server_defaults);
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr = srunner_create(policy_suite());
  int failed;

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
