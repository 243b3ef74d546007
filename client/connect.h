/*
 * connect.h: connecting and logging in, for the shell's open and user, the
 * HOST of the command line and URLs: the TLS mode from the options and the
 * member, and credentials from the URL, netrc, a prompt, or anonymous.
 *
 * Security: passwords are asked for on /dev/tty without echo (ask.h), live
 * in stack buffers that are wiped after use, and are shown as "****" by
 * the engine.
 */
#ifndef FTPC_CONNECT_H
#define FTPC_CONNECT_H

struct ftpc_shell;

/* ftpc_sh_tls_mode: the TLS mode (enum ftpc_tls) for ftp:// and for the
 * shell's opens, from -a/-r and the member (SECURE_FTP, SECURE_MECHANISM). */
int ftpc_sh_tls_mode(const struct ftpc_shell *sh);

/*
 * ftpc_sh_connect: open host:port with TLS mode tls and, when autologin,
 * log in with user/password (either may be NULL: netrc, a prompt, or
 * anonymous fill them in).
 * RETURNS: an exit status class, with the reason in sh->err.
 */
int ftpc_sh_connect(struct ftpc_shell *sh, const char *host, unsigned port,
                    int tls, const char *user, const char *password, int autologin);

/* ftpc_sh_login: log in on the open connection; a password or account the
 * server asks for and that is NULL here is asked for.  RETURNS: as above. */
int ftpc_sh_login(struct ftpc_shell *sh, const char *user, const char *password,
                  const char *account);

#endif
