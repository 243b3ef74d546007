/*
 * notify.h: tell the service manager how ftpd is doing (systemd's
 * sd_notify protocol, Type=notify).
 *
 * The protocol (sd_notify(3), "the notification protocol is stable"): one
 * datagram of newline-separated VAR=value lines, sent to the AF_UNIX socket
 * named by $NOTIFY_SOCKET (a path, or "@name" for the abstract namespace).
 * Without $NOTIFY_SOCKET every call is a no-op, so ftpd behaves the same
 * outside systemd.
 *
 * ftpd sends:
 *   READY=1                      once every listener is up and privileges
 *                                are dropped (systemctl start returns then)
 *   RELOADING=1 + MONOTONIC_USEC when SIGHUP starts a reload
 *   READY=1                      when that reload is over (applied or not)
 *   STOPPING=1                   when SIGTERM starts the graceful stop,
 *                                or SIGUSR2 the drain (and again when a
 *                                SIGTERM follows a drain)
 *   STATUS=...                   with each, one human-readable line that
 *                                `systemctl status` shows
 */
#ifndef FTPD_NOTIFY_H
#define FTPD_NOTIFY_H

enum ftpd_notify_state {
  FTPD_NOTIFY_READY,
  FTPD_NOTIFY_RELOADING,
  FTPD_NOTIFY_STOPPING
};

/*
 * ftpd_notify: send state (and status, a line without newlines, or NULL) to
 * $NOTIFY_SOCKET.  Call ftpd_notify_init() first.
 * RETURNS: 0 when sent or when there is no $NOTIFY_SOCKET; a negative
 * libuv-style error (logged) otherwise.  A failed notification never stops
 * ftpd: systemd then reports the start or reload as failed or timed out.
 */
int ftpd_notify(enum ftpd_notify_state state, const char *status);

/*
 * ftpd_notify_init: read $NOTIFY_SOCKET once and remove it from the
 * environment (nothing ftpd might run must inherit it).  Call before
 * anything else reads the environment from another thread.
 * RETURNS: 0, or UV_EINVAL (logged) for an address that cannot be used.
 */
int ftpd_notify_init(void);

/*
 * ftpd_notify_stderr_is_journal: stderr is the journal stream systemd
 * connected (its device and inode are in $JOURNAL_STREAM, systemd.exec(5)).
 * RETURNS: 1 or 0.
 */
int ftpd_notify_stderr_is_journal(void);

#endif
