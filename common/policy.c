/*
 * policy.c: the server's security decisions.  Texts follow z/OS where z/OS
 * documents one (reference/zos-ftpdata.md section 5), RFC 4217 otherwise.
 */
#include "policy.h"

#include <strings.h>

#include "addr.h"
#include "replycodes.h"

static const struct ftp_verdict allowed = {0, NULL};

static struct ftp_verdict refuse(int code, const char *text) {
  struct ftp_verdict v = {code, text};
  return v;
}

/* Which PROT levels SECURE_DATACONN accepts. */
static int level_allowed(const struct ftp_conf *c, int private_level) {
  switch (c->secure_dataconn) {
  case FTP_SECURE_DATACONN_NEVER:
    return !private_level;
  case FTP_SECURE_DATACONN_PRIVATE:
  case FTP_SECURE_DATACONN_SAFE: /* for TLS, SAFE is PRIVATE */
    return private_level;
  default:
    return 1;
  }
}

struct ftp_verdict ftp_policy_command(const struct ftp_conf *c,
                                      const struct ftp_policy_state *st,
                                      enum ftp_cmd_class cls) {
  if (cls == FTP_CLASS_ANYTIME)
    return allowed;
  /* Security: SECURE_FTP REQUIRED: not a word of the login in clear. */
  if (c->secure_ftp == FTP_SECURE_FTP_REQUIRED && !st->secured) {
    if (cls == FTP_CLASS_USER)
      return refuse(FTP_R_NOT_LOGGED_IN, "Server requires authentication");
    return refuse(FTP_R_POLICY_DENIED,
                  "Security environment must be established first (use AUTH TLS)");
  }
  /* Security: ... nor after CCC: REIN would otherwise let a new USER and
   * PASS cross the cleared connection.  AUTH cannot be repeated (RFC 4217
   * section 6), so the client must reconnect to log in again. */
  if (c->secure_ftp == FTP_SECURE_FTP_REQUIRED && !st->tls_ctrl &&
      (cls == FTP_CLASS_USER || cls == FTP_CLASS_LOGIN))
    return refuse(FTP_R_NOT_LOGGED_IN,
                  "Login refused on a cleared control connection (CCC): reconnect and use AUTH TLS");
  if ((cls == FTP_CLASS_SESSION || cls == FTP_CLASS_DATA) && !st->logged_in)
    return refuse(FTP_R_NOT_LOGGED_IN, "Please login with USER and PASS");
  if (cls == FTP_CLASS_DATA && !level_allowed(c, st->prot_private))
    return refuse(FTP_R_PROT_REFUSED,
                  st->prot_private
                      ? "Data connection cannot be opened with this PROT setting (server requires clear data; use PROT C)"
                      : "Data connection cannot be opened with this PROT setting (server requires protected data; use PROT P)");
  return allowed;
}

struct ftp_verdict ftp_policy_auth(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const char *mech, int *protect_data) {
  (void)c;
  *protect_data = 0;
  if (st->implicit)
    return refuse(FTP_R_BAD_SEQUENCE,
                  "Server on the TLS secure port does not accept the AUTH command");
  if (st->tls_ctrl || st->secured)
    return refuse(FTP_R_BAD_SEQUENCE, "Authentication already established");
  if (!st->tls_available)
    return refuse(FTP_R_NOT_IMPL_PARAM, "Security mechanism not supported");
  /* RFC 4217 defines TLS; TLS-C, SSL and TLS-P come from its drafts and
   * every server accepts them: SSL and TLS-P protect data by default. */
  if (strcasecmp(mech, "SSL") != 0 && strcasecmp(mech, "TLS-P") != 0 &&
      strcasecmp(mech, "TLS") != 0 && strcasecmp(mech, "TLS-C") != 0)
    return refuse(FTP_R_NOT_IMPL_PARAM,
                  "Server does not understand the specified mechanism (use TLS)");
  if (!st->have_cert)
    return refuse(FTP_R_NEED_RESOURCE, "No server certificate available (KEYRING)");
  /* SSL and TLS-P protect data too; TLS and TLS-C the control only. */
  *protect_data = strcasecmp(mech, "SSL") == 0 || strcasecmp(mech, "TLS-P") == 0;
  return allowed;
}

struct ftp_verdict ftp_policy_pbsz(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st) {
  (void)c;
  if (st->ccc_done)
    return refuse(FTP_R_BAD_SEQUENCE, "Command PBSZ rejected -- PBSZ not allowed after CCC");
  if (!st->tls_ctrl)
    return refuse(FTP_R_BAD_SEQUENCE, "Must first establish authentication (AUTH TLS)");
  return allowed;
}

struct ftp_verdict ftp_policy_prot(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const char *level) {
  if (st->ccc_done)
    return refuse(FTP_R_BAD_SEQUENCE, "Command PROT rejected -- PROT not allowed after CCC");
  if (!st->tls_ctrl)
    return refuse(FTP_R_BAD_SEQUENCE, "Must first establish authentication (AUTH TLS)");
  if (strcasecmp(level, "C") == 0) {
    if (!level_allowed(c, 0))
      return refuse(FTP_R_PROT_UNSUPPORTED,
                    "Data connection protection level not supported (server requires PROT P)");
    return allowed;
  }
  if (strcasecmp(level, "P") == 0) {
    if (!level_allowed(c, 1))
      return refuse(FTP_R_PROT_UNSUPPORTED,
                    "Data connection protection level not supported (server requires PROT C)");
    return allowed;
  }
  if (strcasecmp(level, "S") == 0 || strcasecmp(level, "E") == 0)
    return refuse(FTP_R_PROT_UNSUPPORTED,
                  "Data connection protection level not supported by TLS");
  return refuse(FTP_R_NOT_IMPL_PARAM,
                "Server does not understand the specified protection level");
}

struct ftp_verdict ftp_policy_ccc(const struct ftp_conf *c,
                                  const struct ftp_policy_state *st) {
  if (st->implicit)
    return refuse(FTP_R_POLICY_DENIED,
                  "Command CCC not allowed for connection to secure port");
  if (!st->tls_ctrl)
    return refuse(FTP_R_CMD_PROT_DENIED, "Command channel is not protected");
  if (c->tlsrfclevel == FTP_TLSRFCLEVEL_DRAFT)
    return refuse(FTP_R_POLICY_DENIED, "CCC not supported at TLSRFCLEVEL DRAFT");
  if (c->secure_ctrlconn != FTP_SECURE_CTRLCONN_CLEAR)
    return refuse(FTP_R_POLICY_DENIED, "CCC not supported");
  /* Security: under SECURE_FTP REQUIRED the login must stay protected:
   * clearing the channel before USER/PASS would undo that. */
  if (c->secure_ftp == FTP_SECURE_FTP_REQUIRED && !st->logged_in)
    return refuse(FTP_R_POLICY_DENIED, "CCC not allowed before login");
  return allowed;
}

struct ftp_verdict ftp_policy_login_cert(const struct ftp_conf *c,
                                         const struct ftp_policy_state *st,
                                         int have_cert, int trusted,
                                         int maps_user) {
  if (c->secure_login == FTP_SECURE_LOGIN_NO_CLIENT_AUTH)
    return allowed;
  if (!st->secured || !have_cert)
    return refuse(FTP_R_NEED_CLIENT_CERT,
                  "Server requires client certificate for login processing");
  if (!trusted)
    return refuse(FTP_R_NEED_CLIENT_CERT,
                  "Client certificate is not signed by a trusted CA");
  if (c->secure_login == FTP_SECURE_LOGIN_VERIFY_USER && !maps_user)
    return refuse(FTP_R_NEED_CLIENT_CERT,
                  "Client certificate is not registered for this user");
  return allowed;
}

int ftp_policy_password_needed(const struct ftp_conf *c, int cert_maps_user) {
  if (c->secure_password != FTP_SECURE_PASSWORD_OPTIONAL ||
      c->secure_login == FTP_SECURE_LOGIN_NO_CLIENT_AUTH)
    return 1;
  return !cert_maps_user;
}

struct ftp_verdict ftp_policy_pasv(const struct ftp_policy_state *st, int extended) {
  /* RFC 2428 section 4: after EPSV ALL only EPSV may set up data. */
  if (st->epsv_all && !extended)
    return refuse(FTP_R_BAD_SEQUENCE,
                  "EPSV ALL received - command not allowed after EPSV ALL");
  return allowed;
}

struct ftp_verdict ftp_policy_port(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const struct sockaddr_storage *target,
                                   const struct sockaddr_storage *peer) {
  if (st->epsv_all)
    return refuse(FTP_R_BAD_SEQUENCE,
                  "EPSV ALL received - command not allowed after EPSV ALL");
  if (c->portcommand == FTP_PORTCOMMAND_REJECT)
    return refuse(FTP_R_NOT_IMPL_PARAM, "PORT and EPRT are disabled; use EPSV or PASV");
  /* Security: RFC 2577 section 3, FTP bounce. */
  if (c->portcommandipaddr == FTP_PORTCOMMANDIPADDR_NOREDIRECT &&
      !ftp_addr_same_host(target, peer))
    return refuse(FTP_R_NOT_IMPL_PARAM,
                  "Data connection to a third-party address refused");
  if (c->portcommandport == FTP_PORTCOMMANDPORT_NOLOWPORTS &&
      ftp_addr_port(target) < 1024)
    return refuse(FTP_R_NOT_IMPL_PARAM, "Data connection to a privileged port refused");
  return allowed;
}

const char *ftp_policy_level_name(const struct ftp_conf *c) {
  switch (c->tlsrfclevel) {
  case FTP_TLSRFCLEVEL_DRAFT:
    return "DRAFT";
  case FTP_TLSRFCLEVEL_CCCNONOTIFY:
    return "CCCNONOTIFY";
  default:
    return "RFC4217";
  }
}
