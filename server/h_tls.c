/*
 * h_tls.c: RFC 4217 on the control connection: AUTH, PBSZ, PROT, CCC.
 * The decisions are common/policy's; this file carries them out.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdtab.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "server.h"
#include "session.h"

static void auth_handshake_cb(struct ftp_chan *ch, int status) {
  struct ftpd_session *s = ftp_chan_data(ch);

  ftpd_ctrl_secured(s, status);
  if (s->closing)
    return;
  ftpd_command_done(s);
}

void handle_auth(struct ftpd_session *s, const char *arg) {
  const unsigned char *rest = NULL;
  gnutls_session_t tls;
  int protect = 0, r;
  size_t n;
  struct ftp_verdict v = ftp_policy_auth(s->conf, &s->pol, arg, &protect);

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  if ((r = ftpd_session_tls_scope(s)) != 0 ||
      (r = ftp_tls_server_session(s->cfg->tls, s->resume, NULL, &tls)) != 0) {
    ftpd_reply(s, FTP_R_NEED_RESOURCE, "TLS not available: %s", ftp_strerror(r));
    return;
  }
  ftpd_reply(s, FTP_R_SECURITY_OK, "Security environment established - ready for negotiation");
  /* Security: whatever followed the AUTH line in the stream is the start
   * of the TLS handshake, never a command (CVE-2011-0411 class). */
  n = ftp_cmd_reader_pending(&s->rd, &rest);
  if (n > 0)
    slog_info(s, "%zu bytes after AUTH go to TLS, not to the command reader", n);
  s->busy = 1;
  r = ftp_chan_tls_start(s->ctrl, tls, rest, n, auth_handshake_cb);
  ftp_cmd_reader_clear(&s->rd);
  if (r != 0) {
    slog_warn_r(s, r, "TLS start");
    ftpd_session_close(s, "TLS start failed");
    return;
  }
  ftpd_session_handshake_timer(s);
  /* AUTH SSL and AUTH TLS-P (the drafts before RFC 4217) protect data
   * without PROT P. */
  if (protect) {
    struct ftp_policy_state next = s->pol;

    next.prot_private = 1;
    ftpd_session_set_security(s, &next);
  }
}

void handle_pbsz(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v = ftp_policy_pbsz(s->conf, &s->pol);
  const char *p;

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  for (p = arg; *p != 0; p++)
    if (!isdigit((unsigned char)*p)) {
      ftpd_reply(s, FTP_R_SYNTAX_ARG, "PBSZ takes a decimal buffer size.");
      return;
    }
  /* RFC 4217 section 8: TLS needs no protection buffer: always 0. */
  ftpd_reply(s, FTP_R_OK, "PBSZ=0");
}

void handle_prot(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v = ftp_policy_prot(s->conf, &s->pol, arg);
  struct ftp_policy_state next;

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  next = s->pol;
  next.prot_private = toupper((unsigned char)arg[0]) == 'P';
  ftpd_session_set_security(s, &next);
  ftpd_reply(s, FTP_R_OK, "Protection level set to %s.",
             s->pol.prot_private ? "Private (P)" : "Clear (C)");
}

void handle_ccc(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v = ftp_policy_ccc(s->conf, &s->pol);
  int notify = s->conf->tlsrfclevel != FTP_TLSRFCLEVEL_CCCNONOTIFY;
  struct ftp_policy_state next;
  int r;

  (void)arg;
  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  /* RFC 4217 section 6: 200 under TLS, then close_notify (unless
   * CCCNONOTIFY); the connection goes on in clear.  Our close_notify
   * answers the client's, or its first cleartext, or follows a settle
   * time (common/chan.h, FTP_CHAN_CCC_ANSWER): lftp fails when it reads
   * ours together with the 200. */
  ftpd_reply(s, FTP_R_OK, "CCC command successful");
  if ((r = ftp_chan_tls_stop(s->ctrl, notify ? FTP_CHAN_CCC_ANSWER : FTP_CHAN_CCC_SILENT,
                             FTP_CHAN_CCC_SETTLE_MS)) != 0) {
    slog_warn_r(s, r, "CCC");
    ftpd_session_close(s, "CCC failed");
    return;
  }
  next = s->pol;
  next.tls_ctrl = 0;
  next.ccc_done = 1;
  ftpd_session_set_security(s, &next);
  slog_info(s, "control connection cleared (CCC, %s)",
            notify ? "close_notify to follow" : "no close_notify");
}
