/*
 * policy.h: the server's security decisions, as pure functions.
 *
 * Each function looks at the configuration (SECURE_FTP, SECURE_LOGIN,
 * SECURE_CTRLCONN, SECURE_DATACONN, TLSRFCLEVEL, PORTCOMMAND*, ...) and the
 * session's security state, and answers "allowed" or the reply that refuses
 * the command.  Nothing here does I/O, so every rule is tested table by
 * table (test/unit/check_policy.c).  Reply codes and texts follow RFC 2228,
 * RFC 4217 and z/OS; see ftpd(8) for the list.
 */
#ifndef FTP_POLICY_H
#define FTP_POLICY_H

#include <sys/socket.h>

#include "conf.h"

/* A refusal: code 0 means allowed. */
struct ftp_verdict {
  int code;
  const char *text;
};

/* What the session is, security-wise. */
struct ftp_policy_state {
  int tls_ctrl;      /* the control connection is under TLS now */
  int secured;       /* AUTH or implicit TLS happened (stays set after CCC) */
  int implicit;      /* the session came in on TLSPORT */
  int ccc_done;      /* CCC cleared the control connection */
  int logged_in;
  int prot_private;  /* current data protection level is P */
  int epsv_all;      /* EPSV ALL was accepted */
  int tls_available; /* EXTENSIONS AUTH_TLS coded */
  int have_cert;     /* ftpd has a KEYRING certificate */
};

/* Command classes, from the server's command table. */
enum ftp_cmd_class {
  FTP_CLASS_ANYTIME = 1,  /* FEAT HELP SYST NOOP HOST OPTS AUTH QUIT ... */
  FTP_CLASS_USER,         /* USER */
  FTP_CLASS_LOGIN,        /* PASS ACCT: part of logging in */
  FTP_CLASS_SESSION,      /* needs a logged-in user */
  FTP_CLASS_DATA          /* needs login and opens a data transfer */
};

/*
 * ftp_policy_command: may a command of this class run now?
 *   SECURE_FTP REQUIRED before AUTH: USER 530, other non-ANYTIME 534;
 *   after CCC: USER, PASS and ACCT 530 (a login never crosses in clear).
 *   Not logged in: SESSION and DATA 530.
 *   DATA at a protection level SECURE_DATACONN refuses: 521 (RFC 4217
 *   section 9), answered before any 150 so nothing is sent in clear.
 */
struct ftp_verdict ftp_policy_command(const struct ftp_conf *c,
                                      const struct ftp_policy_state *st,
                                      enum ftp_cmd_class cls);

/*
 * ftp_policy_auth: AUTH with this mechanism argument (case-insensitive).
 * Sets *protect_data when the mechanism implies PROT P (SSL, TLS-P).
 */
struct ftp_verdict ftp_policy_auth(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const char *mech, int *protect_data);

/* ftp_policy_pbsz: PBSZ is accepted once TLS is up (any value; 200 PBSZ=0). */
struct ftp_verdict ftp_policy_pbsz(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st);

/*
 * ftp_policy_prot: PROT with this level argument.  C and P as SECURE_DATACONN
 * allows (536 otherwise, the level unchanged), S and E 536 (TLS has no such
 * levels), anything else 504; before AUTH or after CCC 503.
 */
struct ftp_verdict ftp_policy_prot(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const char *level);

/* ftp_policy_ccc: CCC (RFC 4217 section 6). */
struct ftp_verdict ftp_policy_ccc(const struct ftp_conf *c,
                                  const struct ftp_policy_state *st);

/*
 * ftp_policy_login_cert: at USER, under SECURE_LOGIN REQUIRED/VERIFY_USER:
 * have_cert (the client presented one), trusted (it chains to CAFILE),
 * maps_user (VERIFY_USER: USERFILE maps it to the user named).
 * 531 when any required condition fails.
 */
struct ftp_verdict ftp_policy_login_cert(const struct ftp_conf *c,
                                         const struct ftp_policy_state *st,
                                         int have_cert, int trusted,
                                         int maps_user);

/*
 * ftp_policy_password_needed: 0 when a certificate-mapped user may log in
 * without a password (SECURE_PASSWORD OPTIONAL under SECURE_LOGIN REQUIRED
 * or VERIFY_USER, certificate trusted and mapped): USER then answers 232.
 */
int ftp_policy_password_needed(const struct ftp_conf *c, int cert_maps_user);

/* ftp_policy_pasv: PASV and EPSV (503 after EPSV ALL for PASV only). */
struct ftp_verdict ftp_policy_pasv(const struct ftp_policy_state *st, int extended);

/*
 * ftp_policy_port: PORT/EPRT to target from a control peer.
 * 503 after EPSV ALL; PORTCOMMAND REJECT, PORTCOMMANDIPADDR NOREDIRECT (a
 * third-party address: FTP bounce, RFC 2577) and PORTCOMMANDPORT NOLOWPORTS
 * (port below 1024) answer 504.
 */
struct ftp_verdict ftp_policy_port(const struct ftp_conf *c,
                                   const struct ftp_policy_state *st,
                                   const struct sockaddr_storage *target,
                                   const struct sockaddr_storage *peer);

/* ftp_policy_level_name: "RFC4217", "DRAFT", "CCCNONOTIFY" for STAT. */
const char *ftp_policy_level_name(const struct ftp_conf *c);

#endif
