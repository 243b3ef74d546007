/*
 * login.c: from the greeting to a logged-in session with its data
 * protection set: AUTH TLS (RFC 4217 section 4), the TLS handshake, USER,
 * PASS, ACCT (RFC 959 section 5.4), PBSZ and PROT (RFC 4217 sections 8 and
 * 9), and CCC (RFC 4217 section 6).
 *
 * Security: when TLS is required, nothing but AUTH (and FEAT, to learn
 * whether AUTH SSL exists) is sent before the handshake succeeds; a TLS
 * failure never falls back to clear text; replies that arrived together
 * with the 234 are an attack (they were sent before TLS started) and end
 * the session.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cmd.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "text.h"

/* --- greeting and AUTH ---------------------------------------------------- */

static void start_auth(struct ftpc *c);

void ftpc__on_greeting_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return; /* 120: ready in a few minutes; MYOPENTIME bounds the wait */
  if (rep->code != FTP_R_READY) {
    ftpc__reply_error(c, FTP_E_REFUSED, "connection refused by the server", rep);
    c->lost = 1;
    ftpc_disconnect(c);
    return;
  }
  if (c->tls_mode == FTPC_TLS_IMPLICIT && !c->tls_on) {
    /* SECUREIMPLICITZOS TRUE: the z/OS order, 220 in clear first. */
    ftpc__start_tls(c, 1);
    return;
  }
  if (c->tls_mode == FTPC_TLS_ATTEMPT || c->tls_mode == FTPC_TLS_REQUIRE) {
    start_auth(c);
    return;
  }
  ftpc__op_end(c, 0);
}

static void start_auth(struct ftpc *c) {
  int r;

  ftpc__set_state(c, FTPC_ST_AUTH);
  ftpc__arm_timer(c, c->set.conf->inacttime);
  if ((r = ftpc__send(c, "AUTH", "TLS")) != 0)
    ftpc__fatal(c, r, "AUTH: %s", ftp_strerror(r));
}

/* The server does not do TLS (or AUTH at all). */
static void tls_unavailable(struct ftpc *c, const struct ftp_reply *rep) {
  char line[512];

  ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), line, sizeof(line));
  if (c->tls_mode == FTPC_TLS_REQUIRE) {
    /* Security: no USER, no password, in clear. */
    ftpc__fatal(c, FTP_E_TLS, "TLS is required but the server refused AUTH: %d %s",
                rep->code, line);
    return;
  }
  ftpc__say(c, "warning: the server does not support TLS (%d %s); "
               "continuing in clear", rep->code, line);
  ftpc__op_end(c, 0);
}

static int auth_unknown(int code) {
  /* 500/502: AUTH unknown; 504: this mechanism unknown (RFC 2228). */
  return code == FTP_R_SYNTAX || code == FTP_R_NOT_IMPLEMENTED ||
         code == FTP_R_NOT_IMPL_PARAM;
}

static void auth_accepted(struct ftpc *c) {
  /* Security: the 234 must be the last thing read in clear.  Bytes behind
   * it in the same read were sent before TLS began, by the server or by
   * someone in the path: never parse them as replies. */
  if (c->after_reply > 0) {
    ftpc__fatal(c, FTP_E_PROTO,
                "%zu bytes followed the 234 reply to AUTH in clear text: "
                "possible injection, session ended", c->after_reply);
    return;
  }
  ftpc__start_tls(c, 0);
}

void ftpc__on_auth_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code == FTP_R_SECURITY_OK) {
    auth_accepted(c);
    return;
  }
  if (rep->code == FTP_R_SYNTAX || rep->code == FTP_R_NOT_IMPL_PARAM) {
    /* AUTH SSL (the pre-RFC 4217 drafts) only if FEAT names it. */
    ftpc__set_state(c, FTPC_ST_FEAT_AUTH);
    if (ftpc__send(c, "FEAT", NULL) != 0)
      ftpc__fatal(c, UV_EPIPE, "FEAT: cannot send");
    return;
  }
  if (auth_unknown(rep->code)) {
    tls_unavailable(c, rep);
    return;
  }
  /* 431, 534, ...: TLS exists but failed; never go on in clear. */
  {
    char line[512];
    ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), line, sizeof(line));
    ftpc__fatal(c, FTP_E_TLS, "AUTH TLS refused: %d %s", rep->code, line);
  }
}

/* Does the FEAT text list "AUTH ... SSL ..."?  RFC 4217 section 6 shows
 * "AUTH TLS"; servers write "AUTH TLS;SSL" or "AUTH SSL" as well. */
static int feat_has_auth_ssl(const struct ftp_reply *rep) {
  size_t i, len;

  for (i = 0; i < rep->nlines; i++) {
    const char *l = ftp_reply_line(rep, i, &len);
    size_t j = 0;
    while (j < len && l[j] == ' ')
      j++;
    if (len - j < 5 || strncasecmp(l + j, "AUTH ", 5) != 0)
      continue;
    for (j += 5; j + 3 <= len; j++)
      if (strncasecmp(l + j, "SSL", 3) == 0 &&
          (j + 3 == len || l[j + 3] == ';' || l[j + 3] == ' ' || l[j + 3] == ',') &&
          (l[j - 1] == ' ' || l[j - 1] == ';' || l[j - 1] == ','))
        return 1;
  }
  return 0;
}

void ftpc__on_feat_auth_reply(struct ftpc *c, const struct ftp_reply *rep) {
  int r;

  if (FTPC_PRELIM(rep->code))
    return;
  if (FTPC_OK(rep->code) && feat_has_auth_ssl(rep)) {
    ftpc__set_state(c, FTPC_ST_AUTH_SSL);
    if ((r = ftpc__send(c, "AUTH", "SSL")) != 0)
      ftpc__fatal(c, r, "AUTH: %s", ftp_strerror(r));
    return;
  }
  if (c->tls_mode == FTPC_TLS_REQUIRE) {
    ftpc__fatal(c, FTP_E_TLS, "TLS is required but the server refused AUTH TLS "
                              "and offers no AUTH SSL");
    return;
  }
  ftpc__say(c, "warning: the server does not support TLS; continuing in clear");
  ftpc__op_end(c, 0);
}

void ftpc__on_auth_ssl_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code == FTP_R_SECURITY_OK) {
    /* AUTH SSL protects data connections without PROT P (the drafts
     * before RFC 4217; vsftpd and ProFTPD do so). */
    c->auth_ssl = 1;
    c->prot_server = 'P';
    auth_accepted(c);
    return;
  }
  if (auth_unknown(rep->code)) {
    tls_unavailable(c, rep);
    return;
  }
  ftpc__fatal(c, FTP_E_TLS, "AUTH SSL refused: %d", rep->code);
}

/* --- the TLS handshake ---------------------------------------------------- */

static void handshake_failed(struct ftpc *c, int status) {
  char why[512];
  gnutls_session_t s = c->ctrl != NULL ? ftp_chan_session(c->ctrl) : NULL;

  if (status == FTP_E_TLS_VERIFY && s != NULL) {
    ftp_tls_verify_error(s, why, sizeof(why));
    ftpc__fatal(c, FTP_E_TLS_VERIFY,
                "the certificate of %s was refused: %s (use --ca-file to trust "
                "its CA; --insecure skips all checks)", c->host, why);
    return;
  }
  if (status == UV_EOF) {
    ftpc__fatal(c, FTP_E_TLS, "TLS handshake failed: the server closed the connection%s",
                c->tls_mode == FTPC_TLS_IMPLICIT ? " (is this an implicit TLS port?)" : "");
    return;
  }
  ftpc__fatal(c, status == FTP_E_TLS || status == UV_EOF ? FTP_E_TLS : status,
              "TLS handshake failed: %s%s%s", ftp_strerror(status),
              c->ctrl != NULL && ftp_chan_tls_error(c->ctrl)[0] ? ": " : "",
              c->ctrl != NULL ? ftp_chan_tls_error(c->ctrl) : "");
}

static void handshake_cb(struct ftp_chan *ch, int status) {
  struct ftpc *c = ftp_chan_data(ch);
  char desc[128];
  int implicit = c->state == FTPC_ST_IMPLICIT_TLS;

  if (status == 0)
    status = ftp_tls_check_alpn(ftp_chan_session(ch));
  if (status != 0) {
    handshake_failed(c, status);
    return;
  }
  c->tls_on = 1;
  /* Servers disagree on the data protection implicit TLS starts with:
   * unknown until PROT is sent. */
  if (implicit)
    c->prot_server = '?';
  ftp_tls_describe(ftp_chan_session(ch), desc, sizeof(desc));
  log_info("control connection secured: %s", desc);
  if (c->set.verbosity >= FTPC_VERBOSE)
    fprintf(stderr, "ftp: control connection: %s\n", desc);
  if (implicit && !c->set.conf->secureimplicitzos) {
    ftpc__set_state(c, FTPC_ST_GREETING);
    return;
  }
  ftpc__op_end(c, 0);
}

void ftpc__start_tls(struct ftpc *c, int implicit) {
  gnutls_session_t s;
  int r;

  ftpc__set_state(c, implicit ? FTPC_ST_IMPLICIT_TLS : FTPC_ST_HANDSHAKE);
  r = ftp_tls_client_session(c->tls_ctx, c->host, c->set.verify,
                             c->set.verify && c->set.conf->secure_hostname ==
                                                  FTP_SECURE_HOSTNAME_REQUIRED,
                             NULL, &s);
  if (r == 0)
    r = ftp_chan_tls_start(c->ctrl, s, NULL, 0, handshake_cb);
  if (r != 0)
    ftpc__fatal(c, FTP_E_TLS, "TLS start: %s", ftp_strerror(r));
}

/* --- USER, PASS, ACCT ----------------------------------------------------- */

static void logged_in(struct ftpc *c) {
  c->logged_in = 1;
  /* RFC 4217 section 9: under TLS, data protection is asked for after
   * login; with AUTO and PRIVATE it is PROT P, so that no data connection
   * ever runs in clear unless the user said "clear". */
  if (c->tls_on)
    ftpc__start_prot(c, ftpc__op_succeed);
  else
    ftpc__op_end(c, 0);
}

static void login_refused(struct ftpc *c, const struct ftp_reply *rep) {
  ftpc__reply_error(c, FTP_E_LOGIN, "login failed", rep);
}

/* Send a secret the server asked for, prompting if we have none. */
static void send_secret(struct ftpc *c, const char *verb, const char *given,
                        const char *prompt, enum ftpc_state next) {
  const char *value = given;
  int r;

  if (value == NULL) {
    const struct ftpc_creds *cr = c->creds;
    ftpc__stop_timer(c); /* the user's typing is not the server's silence */
    if (cr->ask == NULL ||
        cr->ask(cr->ask_arg, prompt, c->secret, sizeof(c->secret)) != 0) {
      ftpc__fail(c, FTP_E_LOGIN, "login failed: the server asks for %s and none was given",
                 strcmp(verb, "PASS") == 0 ? "a password" : "an account");
      return;
    }
    value = c->secret;
    ftpc__arm_timer(c, c->set.conf->inacttime);
  }
  ftpc__set_state(c, next);
  r = ftpc__send(c, verb, value);
  explicit_bzero(c->secret, sizeof(c->secret));
  if (r == FTP_E_BAD_ARG)
    ftpc__fail(c, FTP_E_LOGIN, "login failed: %s holds CR or LF", verb);
  else if (r != 0)
    ftpc__fatal(c, r, "%s: %s", verb, ftp_strerror(r));
}

void ftpc__on_user_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code == FTP_R_LOGGED_IN || rep->code == FTP_R_LOGGED_IN_SECURITY ||
      rep->code == FTP_R_SUPERFLUOUS) {
    logged_in(c);
    return;
  }
  if (rep->code == FTP_R_NEED_PASSWORD) {
    send_secret(c, "PASS", c->creds->password, "Password:", FTPC_ST_PASS);
    return;
  }
  if (rep->code == FTP_R_NEED_ACCOUNT) {
    send_secret(c, "ACCT", c->creds->account, "Account:", FTPC_ST_ACCT);
    return;
  }
  login_refused(c, rep);
}

void ftpc__on_pass_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (rep->code == FTP_R_LOGGED_IN || rep->code == FTP_R_SUPERFLUOUS ||
      rep->code == FTP_R_LOGGED_IN_SECURITY) {
    logged_in(c);
    return;
  }
  if (rep->code == FTP_R_NEED_ACCOUNT) {
    send_secret(c, "ACCT", c->creds->account, "Account:", FTPC_ST_ACCT);
    return;
  }
  login_refused(c, rep);
}

void ftpc__on_acct_reply(struct ftpc *c, const struct ftp_reply *rep) {
  if (FTPC_PRELIM(rep->code))
    return;
  if (FTPC_OK(rep->code)) {
    logged_in(c);
    return;
  }
  login_refused(c, rep);
}

int ftpc_login(struct ftpc *c, const struct ftpc_creds *cr) {
  int r;

  if ((r = ftpc__settle(c)) != 0)
    return r;
  if (cr->user == NULL || !ftp_cmd_arg_is_safe(cr->user)) {
    snprintf(c->err, sizeof(c->err), "bad user name");
    return FTP_E_LOGIN;
  }
  c->logged_in = 0;
  c->creds = cr;
  ftpc__op_begin(c, FTPC_ST_USER, c->set.conf->inacttime, NULL);
  if ((r = ftpc__send(c, "USER", cr->user)) != 0)
    ftpc__fatal(c, r, "USER: %s", ftp_strerror(r));
  r = ftpc__run(c);
  c->creds = NULL;
  return r;
}

/* --- PBSZ and PROT -------------------------------------------------------- */

/* SECURE_DATACONN, "private" and "clear": AUTO and PRIVATE want PROT P. */
char ftpc__prot_wanted(const struct ftpc *c) {
  int p = c->set.prot;
  return p == FTPC_PROT_AUTO || p == FTPC_PROT_PRIVATE ? 'P' : 'C';
}

/*
 * PBSZ 0 (once) then PROT, when the level the server has differs from the
 * one wanted; then the operation goes on with then (a login or a change of
 * protection ends, a transfer takes its next step).  A failure ends the
 * operation instead.
 */
void ftpc__start_prot(struct ftpc *c, ftpc_event_fn *then) {
  char want = ftpc__prot_wanted(c);
  int r;

  c->prot_then = then;
  c->prot_want = want;
  /* A fresh login asks for P explicitly even if the server starts there
   * (implicit TLS, AUTH SSL): servers disagree on that default. */
  if ((want == c->prot_server && c->pbsz_done) ||
      (want == 'C' && c->prot_server == 'C')) {
    then(c);
    return;
  }
  if (c->ccc_done) {
    /* RFC 4217 section 6: no PBSZ or PROT after CCC. */
    ftpc__fail(c, FTP_E_PROTO, "data protection cannot change after CCC");
    return;
  }
  if (c->pbsz_done) {
    char arg[2] = {want, 0};
    ftpc__set_state(c, FTPC_ST_PROT);
    r = ftpc__send(c, "PROT", arg);
  } else {
    ftpc__set_state(c, FTPC_ST_PBSZ);
    r = ftpc__send(c, "PBSZ", "0");
  }
  if (r != 0)
    ftpc__fatal(c, r, "PROT: %s", ftp_strerror(r));
}

void ftpc__on_pbsz_reply(struct ftpc *c, const struct ftp_reply *rep) {
  char arg[2] = {c->prot_want, 0};
  int r;

  if (FTPC_PRELIM(rep->code))
    return;
  /* RFC 4217 section 8: PBSZ 0.  A server that does not need it (or does
   * not know it) may still take PROT: go on either way. */
  c->pbsz_done = 1;
  if (!FTPC_OK(rep->code))
    log_info("PBSZ refused (%d); trying PROT anyway", rep->code);
  ftpc__set_state(c, FTPC_ST_PROT);
  if ((r = ftpc__send(c, "PROT", arg)) != 0)
    ftpc__fatal(c, r, "PROT: %s", ftp_strerror(r));
}

void ftpc__on_prot_reply(struct ftpc *c, const struct ftp_reply *rep) {
  char line[512];

  if (FTPC_PRELIM(rep->code))
    return;
  if (FTPC_OK(rep->code)) {
    c->prot_server = c->prot_want;
    c->prot_refused = 0;
    c->prot_then(c);
    return;
  }
  ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), line, sizeof(line));
  if (c->prot_want == 'P') {
    /* Security: never fall back to clear data on our own. */
    c->prot_refused = 1;
    ftpc__fail(c, FTP_E_TLS,
               "the server refused PROT P (%d %s): data connections would be "
               "in clear; no data will be transferred (\"clear\" allows it)",
               rep->code, line);
    return;
  }
  ftpc__fail(c, FTP_E_REFUSED, "the server refused PROT C: %d %s", rep->code, line);
}

int ftpc_set_prot(struct ftpc *c, int prot) {
  int r;

  if (prot == FTPC_PROT_PRIVATE && c->set.conf->secure_dataconn == FTP_SECURE_DATACONN_NEVER) {
    snprintf(c->err, sizeof(c->err), "SECURE_DATACONN NEVER: data is never protected");
    return FTP_E_PROTO;
  }
  if (c->ccc_done && prot != c->set.prot) {
    snprintf(c->err, sizeof(c->err), "data protection cannot change after CCC (RFC 4217)");
    return FTP_E_PROTO;
  }
  c->set.prot = prot;
  c->prot_refused = 0;
  if (c->ctrl == NULL || !c->logged_in || !c->tls_on)
    return 0;
  ftpc__op_begin(c, FTPC_ST_PROT, c->set.conf->inacttime, NULL);
  ftpc__start_prot(c, ftpc__op_succeed);
  r = ftpc__run(c);
  return r;
}

/* --- CCC ------------------------------------------------------------------ */

void ftpc__on_ccc_reply(struct ftpc *c, const struct ftp_reply *rep) {
  int notify = c->set.conf->tlsrfclevel == FTP_TLSRFCLEVEL_RFC4217;
  int r;

  if (FTPC_PRELIM(rep->code))
    return;
  if (!FTPC_OK(rep->code)) {
    ftpc__reply_error(c, FTP_E_REFUSED, "CCC refused", rep);
    return;
  }
  /* RFC 4217 section 6: the TLS session ends, the TCP connection stays;
   * RFC4217 level exchanges close_notify, CCCNONOTIFY does not. */
  if ((r = ftp_chan_tls_stop(c->ctrl, notify ? FTP_CHAN_CCC_NOTIFY : FTP_CHAN_CCC_SILENT,
                             0)) != 0) {
    ftpc__fatal(c, r, "CCC: %s", ftp_strerror(r));
    return;
  }
  c->tls_on = 0;
  c->ccc_done = 1;
  ftpc__say(c, "warning: the control connection is now in clear text");
  ftpc__op_end(c, 0);
}

int ftpc_ccc(struct ftpc *c) {
  const struct ftp_conf *conf = c->set.conf;
  int r;

  if (c->ctrl == NULL || !c->tls_on) {
    snprintf(c->err, sizeof(c->err), "the control connection is not protected by TLS");
    return FTP_E_PROTO;
  }
  if (conf->tlsrfclevel == FTP_TLSRFCLEVEL_DRAFT) {
    snprintf(c->err, sizeof(c->err), "TLSRFCLEVEL DRAFT: CCC is not supported");
    return FTP_E_PROTO;
  }
  if (conf->secure_ctrlconn != FTP_SECURE_CTRLCONN_CLEAR) {
    snprintf(c->err, sizeof(c->err), "SECURE_CTRLCONN is not CLEAR: CCC refused");
    return FTP_E_PROTO;
  }
  if (c->tls_mode == FTPC_TLS_IMPLICIT) {
    snprintf(c->err, sizeof(c->err), "CCC is not allowed on an implicit TLS connection");
    return FTP_E_PROTO;
  }
  if ((r = ftpc__settle(c)) != 0)
    return r;
  ftpc__op_begin(c, FTPC_ST_CCC, conf->inacttime, NULL);
  if ((r = ftpc__send(c, "CCC", NULL)) != 0)
    ftpc__fatal(c, r, "CCC: %s", ftp_strerror(r));
  return ftpc__run(c);
}
