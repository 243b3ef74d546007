/*
 * proxywait.h: a control connection from a balancer (PROXYPROTOCOL),
 * waiting for its PROXY protocol header before anything else happens.
 *
 * HAProxy's specification (section 2): the receiver "MUST NOT start
 * processing the connection before it receives a complete and valid PROXY
 * protocol header"; for FTP, whose server speaks first, that means no 220
 * and, on the implicit-TLS port, no TLS byte before it.  The wait is bounded
 * by FTP_PROXY_WAIT_MS, 5 s (the specification asks for at least 3 seconds,
 * to cover a TCP retransmission).  Then:
 *   - PROXY (v1 TCP4/TCP6, v2 over IPv4/IPv6): the header's source is the
 *     client, its destination the address the client connected to; the
 *     connection goes to admission (server.c) as that client's;
 *   - v1 UNKNOWN, v2 UNSPEC/UNIX/UDP: the connection's own endpoints are
 *     used, as the specification says: the balancer is the client;
 *   - v2 LOCAL (a health check): closed, with a debug line only;
 *   - a missing or malformed header: closed, with a warning naming the
 *     balancer.
 * Only the header's bytes are read: a ClientHello or a command after it
 * stays in the socket for the session.
 */
#ifndef FTPD_PROXYWAIT_H
#define FTPD_PROXYWAIT_H

#include <sys/socket.h>

#include "chan.h"

struct ftpd_listener;
struct ftpd_client;

/*
 * The end of a wait, called exactly once: with ch and c when the header
 * named the connection's client (ch is then the callee's), with both NULL
 * when the connection was closed here (a health check, no or a bad header).
 */
typedef void ftpd_proxywait_cb(struct ftpd_listener *l, struct ftp_chan *ch,
                               const struct ftpd_client *c);

/*
 * ftpd_proxywait_start: wait for the header on ch, just accepted on l from
 * the balancer at peer, then call done (never from inside this call).  ch
 * is ours from now on, whatever happens.
 * RETURNS: 0; or FTP_E_NOMEM: ch is closed and done will not be called.
 */
int ftpd_proxywait_start(struct ftpd_listener *l, struct ftp_chan *ch,
                          const struct sockaddr_storage *peer, ftpd_proxywait_cb *done);

#endif
