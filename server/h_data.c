/*
 * h_data.c: setting up data connections: PASV, EPSV (RFC 2428), PORT, EPRT.
 *
 * Passive listeners bind to the control connection's local address on a
 * random port of PASSIVEDATAPORTS; PASSIVEADDRESS is what a NATed server
 * advertises in 227.  Active targets are checked by common/policy (bounce,
 * low ports) and connected to when the transfer command comes.
 */
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "cmdtab.h"
#include "data.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "seclog.h"
#include "session.h"

/* Under PROT P, push a fresh TLS 1.3 ticket on the control connection
 * before the client opens its next data connection: clients that use a
 * ticket once (curl, OpenSSL) still resume.  It does not extend TLSTIMEOUT:
 * GnuTLS keeps the control handshake's time in every ticket of the session,
 * so a session older than TLSTIMEOUT resumes no more (test_ftpd_tls.py,
 * ShortTlsTimeout). */
static void refresh_ticket(struct ftpd_session *s) {
  if (s->pol.tls_ctrl && s->pol.prot_private)
    ftp_tls_send_ticket(ftp_chan_session(s->ctrl));
}

static int start_passive(struct ftpd_session *s, unsigned *port) {
  const struct ftp_conf_ports *range = &s->conf->passivedataports;

  return ftpd_data_listen(s, range->set ? range->low : 0, range->set ? range->high : 0, port);
}

void handle_pasv(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v = ftp_policy_pasv(&s->pol, 0);
  struct sockaddr_storage adv;
  struct ftp_buf b;
  unsigned port;

  (void)arg;
  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  /* RFC 2428 section 1: PASV can only carry an IPv4 address. */
  if (s->front.ss_family != AF_INET) {
    ftpd_reply(s, FTP_R_EXT_UNSUPPORTED, "No IPv4 address available for PASV. Use EPSV.");
    return;
  }
  if (start_passive(s, &port) != 0) {
    ftpd_reply(s, FTP_R_CANT_OPEN_DATA, "Can't open passive connection.");
    return;
  }
  /* The address the client connected to: behind a balancer, its front
   * (the PROXY header's destination), where the passive ranges are routed;
   * PASSIVEADDRESS overrides it (an instance's own address, NAT). */
  adv = s->front;
  if (s->conf->passiveaddress != NULL)
    ftp_addr_from_string(s->conf->passiveaddress, 0, &adv);
  ftp_addr_set_port(&adv, port);
  ftp_buf_init(&b, 64);
  ftp_addr_format_port(&adv, &b);
  refresh_ticket(s);
  ftpd_reply(s, FTP_R_PASV, "Entering Passive Mode (%s).", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}

static const char *family_list(const struct ftpd_session *s) {
  return s->front.ss_family == AF_INET6 ? "(2)" : "(1)";
}

/* A bad EPSV/EPRT argument: RFC 2428 names the families we take. */
static void reply_addr_error(struct ftpd_session *s, int r) {
  if (r == FTP_E_AF_UNSUPPORTED)
    ftpd_reply(s, FTP_R_EXT_UNSUPPORTED, "Network protocol not supported, use %s",
               family_list(s));
  else
    ftpd_reply_err(s, r, NULL);
}

void handle_epsv(struct ftpd_session *s, const char *arg) {
  struct ftp_verdict v = ftp_policy_pasv(&s->pol, 1);
  unsigned port;
  int fam, r;

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  if ((r = ftp_addr_parse_epsv_arg(arg, &fam)) != 0) {
    reply_addr_error(s, r);
    return;
  }
  if (fam == FTP_ADDR_EPSV_ALL) {
    /* RFC 2428 section 4: from now on only EPSV sets up data. */
    struct ftp_policy_state next = s->pol;

    next.epsv_all = 1;
    ftpd_session_set_security(s, &next);
    ftpd_data_reset(s);
    ftpd_reply(s, FTP_R_OK, "EPSV ALL ok.");
    return;
  }
  if (fam != FTP_ADDR_EPSV_ANY && fam != s->front.ss_family) {
    reply_addr_error(s, FTP_E_AF_UNSUPPORTED);
    return;
  }
  if (start_passive(s, &port) != 0) {
    ftpd_reply(s, FTP_R_CANT_OPEN_DATA, "Can't open passive connection.");
    return;
  }
  refresh_ticket(s);
  ftpd_reply(s, FTP_R_EPSV, "Entering Extended Passive Mode (|||%u|)", port);
}

static void set_port_target(struct ftpd_session *s, const struct sockaddr_storage *t,
                            const char *verb) {
  struct ftp_verdict v = ftp_policy_port(s->conf, &s->pol, t, &s->peer);
  char who[64];

  if (v.code != 0) {
    ftp_addr_to_string(t, who, sizeof(who));
    slog_info(s, "%s to %s port %u refused: %s", verb, who, ftp_addr_port(t), v.text);
    ftpd_seclog(s, FTPD_SEC_POLICY_REFUSED, FTPD_SEC_M_NONE, verb, v.text);
    ftpd_reply_verdict(s, v);
    return;
  }
  ftpd_data_set_port(s, t);
  refresh_ticket(s);
  ftpd_reply(s, FTP_R_OK, "%s command successful. Consider using EPSV.", verb);
}

void handle_port(struct ftpd_session *s, const char *arg) {
  struct sockaddr_storage t;
  struct ftp_verdict v = ftp_policy_pasv(&s->pol, 0);
  int r;

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  if (s->local.ss_family != AF_INET) {
    ftpd_reply(s, FTP_R_EXT_UNSUPPORTED,
               "PORT not allowed with this session: the protocol is not IPv4. Use EPRT.");
    return;
  }
  if ((r = ftp_addr_parse_port(arg, &t)) != 0) {
    ftpd_reply_err(s, r, NULL);
    return;
  }
  set_port_target(s, &t, "PORT");
}

void handle_eprt(struct ftpd_session *s, const char *arg) {
  struct sockaddr_storage t;
  struct ftp_verdict v = ftp_policy_pasv(&s->pol, 0);
  int r;

  if (v.code != 0) {
    ftpd_reply_verdict(s, v);
    return;
  }
  if ((r = ftp_addr_parse_eprt(arg, &t)) != 0) {
    reply_addr_error(s, r);
    return;
  }
  ftp_addr_normalize(&t);
  if (t.ss_family != s->local.ss_family) {
    reply_addr_error(s, FTP_E_AF_UNSUPPORTED);
    return;
  }
  set_port_target(s, &t, "EPRT");
}
