/*
 * priv.h: process-level set-up of ftpd: detaching (-d) with a PID file, and
 * switching from root to the RUNAS account once the ports are bound.
 *
 * Security: ftpd needs root only to bind port 21 (and 990) and to read a
 * KEYRING only root may read.  Everything after that runs as RUNAS; each
 * session is further confined to its user's root directory by openat2
 * (server/fs.c), which does not need root.
 */
#ifndef FTPD_PRIV_H
#define FTPD_PRIV_H

#include <uv.h>

/*
 * ftpd_detach: fork into the background, start a new session, point stdio
 * at /dev/null, log to syslog, and write pidfile (NULL: none).  loop is
 * re-armed in the child (uv_loop_fork).  Only the child returns.
 * RETURNS: 0 or an error (logged).
 */
int ftpd_detach(uv_loop_t *loop, const char *pidfile);

/*
 * ftpd_drop_privileges: when running as root, switch to account (groups,
 * gid, uid) and verify that root cannot be regained.  A no-op for a normal
 * user.  RETURNS: 0, UV_ENOENT (no such account), or the failed call's
 * error; the caller must then exit.
 */
int ftpd_drop_privileges(const char *account);

#endif
