/*
 * listenfds.h: listening sockets handed over by the service manager
 * (socket activation: systemd's LISTEN_FDS protocol, sd_listen_fds(3)).
 *
 * The protocol: the sockets are file descriptors 3, 4, ... 3+LISTEN_FDS-1;
 * LISTEN_PID names the process they are meant for (a child that inherited
 * the variables must not take them); LISTEN_FDNAMES gives each a name,
 * colon-separated, from FileDescriptorName= of its socket unit (or
 * systemd-socket-activate --fdname).
 *
 * ftpd knows a socket's role by its name:
 *   ftp    explicit FTP (AUTH TLS on request): what PORT would be
 *   ftps   implicit TLS from the first byte: what TLSPORT would be
 * Any other name, a socket that is not a listening TCP socket, or names
 * that do not match the count refuse start-up: serving a port in the wrong
 * role (clear text where TLS was meant) must never happen silently.
 */
#ifndef FTPD_LISTENFDS_H
#define FTPD_LISTENFDS_H

/* The most sockets ftpd takes over (both roles, IPv4 and IPv6, ...). */
#define FTPD_LISTENFDS_MAX 16

struct ftpd_listenfd {
  int fd;
  int implicit;      /* 1: "ftps" */
};

/*
 * ftpd_listenfds_get: the sockets handed to this process, checked, marked
 * close-on-exec; the LISTEN_* variables are removed from the environment.
 * PARAMETERS: out receives up to FTPD_LISTENFDS_MAX entries, *n their
 * number (0: no socket activation; ftpd binds its ports itself).
 * RETURNS: 0, or UV_EINVAL with one line logged naming the problem.
 */
int ftpd_listenfds_get(struct ftpd_listenfd *out, unsigned *n);

#endif
