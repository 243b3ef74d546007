/*
 * creds.h: whose permissions the kernel checks when a session touches the
 * filesystem.
 *
 * Without per-user identities ftpd switches to RUNAS for good at start-up,
 * and every session acts as RUNAS.  With them (PAMSERVICE: the machine's
 * own accounts; or USERFILE users given user= or uid=,gid=), one event loop
 * still serves every session, and each thread-pool job of such a session
 * switches the credentials of its own thread, and of no other, for the
 * length of the job: its filesystem uid and gid and its supplementary
 * groups, with the raw per-thread system calls (SYS_setfsuid,
 * SYS_setfsgid, SYS_setgroups; glibc's setgroups() would change every
 * thread of the process), as Samba does on Linux.  The kernel then checks
 * that user's permissions on every path, and what the job creates belongs
 * to that user and group.
 *
 * THE PROCESS in that mode (ftpd_creds_process_setup) keeps uid 0, because
 * pam_unix reads /etc/shadow only as root, and only two capabilities,
 * CAP_SETUID and CAP_SETGID, which the per-thread switch needs; every
 * other capability leaves the bounding set.  Its threads rest at the BASE
 * credentials, RUNAS's uid and gid with no supplementary group: the loop
 * thread re-reads the member as RUNAS, and a job without credentials of
 * its own (anonymous, plain USERFILE users) acts as RUNAS, as without
 * per-user identities.  A PAM job switches to root's (fsuid 0) for the
 * PAM calls alone.  See ftpd(8) SECURITY.
 *
 * Security: a thread must never carry a user's credentials into work that
 * is not that user's.  ftpd_creds_leave() therefore aborts the process
 * when it cannot restore the base credentials, and ftpd_creds_enter()
 * restores them itself before it reports a failure.
 *
 * Threading: a struct ftpd_creds is immutable once made.  Its reference
 * count belongs to the loop thread (ref and unref there only, once the
 * struct is shared; the worker that made one may drop it before); a
 * worker reads the struct while a job holds a reference for it.
 */
#ifndef FTPD_CREDS_H
#define FTPD_CREDS_H

#include <stddef.h>
#include <sys/types.h>

/* Supplementary groups kept per identity; the kernel's own limit. */
#define FTPD_CREDS_GROUPS_MAX 65536

struct ftpd_creds {
  int refs;
  uid_t uid;
  gid_t gid;
  size_t ngroups;
  gid_t groups[];      /* supplementary groups, ngroups of them */
};

/*
 * ftpd_creds_new: an identity with one reference.
 * PARAMETERS: groups (n of them, n <= FTPD_CREDS_GROUPS_MAX; NULL when n
 * is 0) are copied.
 * RETURNS: 0 and *out; UV_EINVAL for too many groups; FTP_E_NOMEM.
 */
int ftpd_creds_new(uid_t uid, gid_t gid, const gid_t *groups, size_t n,
                   struct ftpd_creds **out);

/*
 * ftpd_creds_of_account: the identity of a system account: its uid and
 * primary gid from the passwd database, its supplementary groups from the
 * group database (getgrouplist), and its home directory.
 * Blocking (NSS): run it on the thread pool.
 * PARAMETERS: home (size n) receives pw_dir; may be NULL when n is 0.
 * RETURNS: 0 and *out (one reference); UV_ENOENT when there is no such
 * account; UV_ENAMETOOLONG when the home does not fit; UV_EIO when the
 * databases cannot be read; FTP_E_NOMEM.
 */
int ftpd_creds_of_account(const char *name, struct ftpd_creds **out,
                          char *home, size_t n);

/* ftpd_creds_ref: one more reference (loop thread); returns c.
 * ftpd_creds_unref: drop one; accepts NULL. */
struct ftpd_creds *ftpd_creds_ref(struct ftpd_creds *c);
void ftpd_creds_unref(struct ftpd_creds *c);

/*
 * ftpd_creds_set_base: the credentials every thread rests at (fsuid,
 * fsgid, no supplementary group), applied to the calling thread at once.
 * ftpd_creds_process_setup() calls it; a test may, before it starts any
 * thread.  RETURNS: 0, or the failed call's error.
 */
int ftpd_creds_set_base(uid_t uid, gid_t gid);

/*
 * ftpd_creds_enter: give the calling thread c's credentials.
 * ftpd_creds_enter_root: give it root's (fsuid and fsgid 0, no group), for
 * the PAM calls of a job.
 * Each is undone by ftpd_creds_leave() before the job ends.
 * RETURNS: 0; or the error of the call that failed (UV_EPERM without
 * CAP_SETUID/CAP_SETGID), the thread being back at the base credentials
 * (or unchanged, when the first call failed).
 */
int ftpd_creds_enter(const struct ftpd_creds *c);
int ftpd_creds_enter_root(void);

/*
 * ftpd_creds_leave: back to the base credentials.  Aborts the process if
 * the kernel does not take them (see the Security note above); BUG() when
 * no base was set.
 */
void ftpd_creds_leave(void);

/*
 * ftpd_creds_process_setup: switch the process to per-user identities, as
 * described above: verify that it runs as root and has one thread, drop
 * the supplementary groups, set no_new_privs, drop every capability but
 * CAP_SETUID and CAP_SETGID from the permitted, effective, inheritable and
 * ambient sets, and from the bounding set where CAP_SETPCAP allows (by
 * hand as root; the systemd unit's bounding set is set by systemd), then
 * rest at base_uid, base_gid.
 * Call it once, before the first thread starts (libuv's pool starts at
 * the first job).
 * RETURNS: 0, or an error after logging what failed (UV_EPERM: not root).
 */
int ftpd_creds_process_setup(uid_t base_uid, gid_t base_gid);

#endif
