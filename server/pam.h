/*
 * pam.h: one PAM transaction, for the login of one of the machine's own
 * accounts (PAMSERVICE): authentication, account management, credentials
 * and the session, as Linux-PAM intends them, from USER to the end of
 * the FTP session.
 *
 * BLOCKING.  Every function here blocks (modules read files, hash
 * passwords, may ask a network service) and runs on the thread pool, never
 * on the loop thread, with root's filesystem credentials
 * (ftpd_creds_enter_root: pam_unix reads /etc/shadow as its owner).
 *
 * ONE AT A TIME.  Calls run in serial jobs (ftpd_job_start_serial): one
 * PAM call sequence at a time in the whole process, queued on the loop
 * thread so that no pool thread waits for another.  Linux-PAM promises
 * no thread safety for modules, and Debian's are not all safe: pam_unix's
 * pam_sm_open_session calls pam_modutil_getlogin, which walks utmp with
 * setutent/getutline/endutent (one static cursor and result buffer per
 * process); libpam's own audit code keeps a static errno; and
 * pam_modutil_drop_priv (pam_env with user_readenv, pam_mail, pam_motd,
 * pam_xauth) calls glibc's setgroups, which changes every thread's groups.
 * One transaction's calls may still move from one pool thread to another:
 * PAM handles are not tied to a thread.
 *
 * THE CONVERSATION answers every PAM_PROMPT_ECHO_OFF prompt with the PASS
 * argument, refuses PAM_PROMPT_ECHO_ON (PAM_CONV_ERR, as vsftpd: FTP has
 * one password and no other question), and keeps the first
 * PAM_ERROR_MSG or PAM_TEXT_INFO text for the log.  Nothing a module says
 * reaches the client, which sees "530 Login incorrect." whatever failed.
 *
 * THE FAILURE DELAY.  pam_unix asks for a 2 s delay on failure, which
 * libpam would sleep on the calling thread; PAM_FAIL_DELAY is set to a
 * function of ours that does nothing, so no pool thread sleeps, and
 * ftpd's own timer (the same for every failure, unknown user or wrong
 * password) applies on the loop.
 *
 * No PAM environment is exported and no process state is changed by ftpd
 * here; ftpd(8) SYSTEM ACCOUNTS lists the modules that would change the
 * process's own (shared) state and so do not belong in ftpd's stack.
 */
#ifndef FTPD_PAM_H
#define FTPD_PAM_H

#include <stddef.h>

/* One transaction: the PAM handle and our conversation; opaque. */
struct ftpd_pam;

/*
 * ftpd_pam_login: start a transaction for user, authenticate password
 * (pam_authenticate) and check the account (pam_acct_mgmt), both with
 * PAM_DISALLOW_NULL_AUTHTOK: an account without a password never logs in
 * over FTP.
 * PARAMETERS: service, the PAM service (PAMSERVICE); confdir, NULL for the
 * system's (/etc/pam.d), else a directory of service files
 * (pam_start_confdir, for tests); rhost, the client's address (PAM_RHOST);
 * why (size n), the reason of a failure, for the log (PAM's own words).
 * RETURNS: 0 and *out, the open transaction; FTP_E_LOGIN when
 * authentication failed (wrong password, unknown or locked account);
 * FTP_E_REFUSED when the account was refused (expired, or a password that
 * must be changed first); UV_EIO for a PAM error (a module that fails to
 * load, a conversation error); FTP_E_NOMEM.  On failure the transaction
 * is over and *out is NULL.
 */
int ftpd_pam_login(const char *service, const char *confdir, const char *user,
                   const char *password, const char *rhost,
                   struct ftpd_pam **out, char *why, size_t n);

/*
 * ftpd_pam_user: the account PAM logged in, PAM_USER after
 * authentication: a module may map the name given to another (vsftpd
 * takes it too).  Valid while p is.
 */
const char *ftpd_pam_user(const struct ftpd_pam *p);

/*
 * ftpd_pam_open_session: pam_setcred(PAM_ESTABLISH_CRED), then
 * pam_open_session, once ftpd will serve the user.
 * RETURNS: 0; UV_EIO (why, size n, says what failed): the login must be
 * refused, and ftpd_pam_end still called.
 */
int ftpd_pam_open_session(struct ftpd_pam *p, char *why, size_t n);

/*
 * ftpd_pam_end: close what was opened (pam_close_session,
 * pam_setcred(PAM_DELETE_CRED)) and pam_end; frees p.  Accepts NULL.
 */
void ftpd_pam_end(struct ftpd_pam *p);

#endif
