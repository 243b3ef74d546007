/*
 * control.h: a control connection's commands (control.c): making and
 * starting a session, the dispatcher, the graceful stop.  server.c admits
 * a connection, then makes its session here.
 */
#ifndef FTPD_CONTROL_H
#define FTPD_CONTROL_H

#include "chan.h"
#include "session.h"

struct ftpd_listener;
struct ftpd_client;

/*
 * ftpd_session_new: a session for the control connection ch, admitted on
 * listener l for client c; ch is the session's from now on.  Not started
 * yet: the caller (server.c) enters it in its session list, then calls
 * ftpd_session_begin.  on_free runs when the session is freed, the last
 * thing before it goes.
 * RETURNS: the session, or NULL when out of memory (ch is closed).
 */
struct ftpd_session *ftpd_session_new(struct ftpd_listener *l, struct ftp_chan *ch,
                                     const struct ftpd_client *c, ftpd_session_fn *on_free);

/* ftpd_session_begin: greet the client, or start implicit TLS (l is a
 * TLSPORT listener), and read commands. */
void ftpd_session_begin(struct ftpd_session *s, const struct ftpd_listener *l,
                        const struct ftpd_client *c);

/* ftpd_session_shutdown: graceful stop: idle sessions get 421 and close;
 * a running transfer finishes first. */
void ftpd_session_shutdown(struct ftpd_session *s);

#endif
