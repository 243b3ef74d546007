/*
 * login_sys.h: the worker side of a login that acts as a system identity:
 * one of the machine's own accounts, through PAM (PAMSERVICE), or a
 * USERFILE user given one (user=, or uid=,gid=).  h_login.c runs these in
 * its login job, on the thread pool (a serial job when PAM is called:
 * pam.h); each returns with the thread at its base credentials.
 *
 * Security: every refusal here ends as the same "530 Login incorrect."
 * after the same delay; only the log says why.
 */
#ifndef FTPD_LOGIN_SYS_H
#define FTPD_LOGIN_SYS_H

#include <stddef.h>

#include "creds.h"
#include "fs.h"
#include "ftp_limits.h"
#include "pam.h"

/* A system account's login: the inputs, then what it produced. */
struct ftpd_sys_login {
  const char *service;            /* PAMSERVICE */
  const char *ftpusers;           /* FTPUSERS */
  const char *root;               /* PAMROOT, or NULL: the account's home */
  const char *user;               /* the name USER gave */
  const char *password;           /* PASS; not kept */
  const char *rhost;              /* the client's address */
  unsigned umask;
  /* On success, the caller's (ftpd_pam_end in a serial job, unref,
   * ftp_fs_close); on failure nothing is left open. */
  struct ftpd_pam *pam;
  struct ftpd_creds *creds;
  struct ftp_fs fs;
  char account[FTP_USER_MAX + 1]; /* the account PAM logged in */
  char home[FTP_PATH_MAX];        /* its home (passwd), the root or not */
  char why[256];                  /* a failure's reason, for the log */
};

/*
 * ftpd_sys_login_pam: log a system account in:
 *   1. the name given must not be in FTPUSERS (no password is checked for
 *      a listed name);
 *   2. PAM authenticates it and checks the account;
 *   3. the account PAM names (PAM_USER) must exist, must not be root
 *      (uid 0: ftpd never acts as root) and, if a module mapped the name,
 *      must not be in FTPUSERS either; its uid, gid and groups become the
 *      session's identity;
 *   4. the root (PAMROOT, else the home) is opened as that identity; under
 *      PAMROOT the session starts in the home when the home lies inside;
 *   5. PAM's credentials and session are opened.
 * Steps 1 to 3 and 5 run with root's filesystem credentials, 4 with the
 * user's.
 * RETURNS: 0 (l->pam, creds, fs, account, home set); FTP_E_LOGIN (wrong
 * password, unknown or locked account); FTP_E_REFUSED (listed in
 * FTPUSERS, root, an expired account: l->why says which); UV_EIO (PAM or
 * the deny list failed: l->why); or the error opening the root.
 */
int ftpd_sys_login_pam(struct ftpd_sys_login *l);

/*
 * ftpd_sys_identity: the identity of a USERFILE user with user=account:
 * the account must exist, must not be root and must not be in the
 * FTPUSERS list at ftpusers.
 * RETURNS: 0 and *out; FTP_E_REFUSED (why, size n); UV_ENOENT (no such
 * account); another error.
 */
int ftpd_sys_identity(const char *ftpusers, const char *account,
                      struct ftpd_creds **out, char *why, size_t n);

/*
 * ftpd_sys_open_root: open root as the session's filesystem (fs.h), with
 * c's credentials (NULL: the thread's own).
 * RETURNS: as ftp_fs_init; fs is closed on failure.
 */
int ftpd_sys_open_root(const struct ftpd_creds *c, const char *root, unsigned umask,
                       int readonly, struct ftp_fs *fs);

#endif
