/*
 * session_client.h: the client end of fuzz_session's control connection.
 *
 * It sends the fuzzer's bytes on its end of a socketpair and reads every
 * reply, checking each one as it arrives (the reply oracle below).  Two
 * ways to send:
 *   pipelined  everything at once (optionally in small pieces), as a
 *              hostile or pipelining client would: after AUTH, the bytes
 *              that follow are what the server must take as TLS;
 *   lockstep   one line (up to its LF) at a time, the next only after a
 *              final reply to the last (or when the harness says time has
 *              passed), as lftp and curl do; the client then follows the
 *              protocol: after 234 to AUTH it runs a real TLS handshake
 *              (GnuTLS, optionally with a client certificate) and sends the
 *              rest under TLS; after 200 to CCC it ends TLS (close_notify,
 *              unless the server is at TLSRFCLEVEL CCCNONOTIFY) and goes on
 *              in clear.  Implicit TLS starts with a handshake.
 *
 * THE REPLY ORACLE (abort() on any breach):
 *   - every reply parses with common/reply (as our own client would read
 *     it), has a code from replycodes.h, and holds no NUL or CR;
 *   - the first reply is 220 (or 421);
 *   - nothing follows 221 or 421;
 *   - before a login (230/232) and after REIN (220): no reply that only a
 *     logged-in command can earn (125 150 212 213 226 227 229 250 257 350);
 *   - under SECURE_FTP REQUIRED: no 230, 232 or 331 while the control
 *     connection is in clear (Security: not a word of the login in clear);
 *   - lockstep: a login (230, 232) only for what deserves one: 230 to PASS
 *     with the right password of the user the last 331 accepted (or any
 *     password for the anonymous names where ANONYMOUS is on), 232 to USER
 *     alice from a client with alice's certificate under TLS; the lines
 *     are framed by common/cmd as the server frames them;
 *   - nothing shows the canary beside the root: no "213 31337", no MLST
 *     fact "size=31337".
 * (fuzz_session.c adds one about the session itself: while a transfer
 * waits, no whole command line lies unread.)
 */
#ifndef FUZZ_SESSION_CLIENT_H
#define FUZZ_SESSION_CLIENT_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>

#include "ftp_limits.h"
#include "reply.h"

enum client_tls {
  CLIENT_CLEAR,     /* no TLS */
  CLIENT_HANDSHAKE, /* our handshake is running */
  CLIENT_TLS,       /* under TLS */
  CLIENT_BYE        /* after CCC: our close_notify sent, waiting for theirs */
};

struct client_opts {
  int lockstep;
  int implicit;         /* TLS from the first byte */
  int trickle;          /* pipelined: send in pieces of a few bytes */
  int tls_required;     /* SECURE_FTP REQUIRED */
  int ccc_no_notify;    /* TLSRFCLEVEL CCCNONOTIFY */
  int anonymous;        /* ANONYMOUS is on */
  int has_cert;         /* cred holds alice's certificate */
  gnutls_certificate_credentials_t cred;
};

struct client {
  struct client_opts o;
  int fd;
  const uint8_t *in;
  size_t in_len, in_off;
  size_t line_end;        /* lockstep: end of the line being sent */
  int ready;              /* lockstep: the next line may start */
  char verb[FTP_CMD_VERB_MAX + 1]; /* lockstep: the last line sent, */
  char arg[FTP_CMD_LINE_MAX];      /* as the server frames it */
  char user[FTP_CMD_LINE_MAX];     /* lockstep: the name 331 accepted */
  enum client_tls tls_state;
  gnutls_session_t tls;
  int dead;               /* TLS failed, or the server speaks TLS we did
                           * not start: drain and discard from now on */
  int eof;                /* the server closed */
  int shut;               /* we sent our EOF */
  uint64_t moved;         /* bytes moved either way: progress */
  struct ftp_reply_parser rp;
  struct ftp_reply rep;
  unsigned replies;
  /* lockstep: a transfer's 1xx came and its final reply has not; set to
   * the end of the line that started it.  RFC 959: that final reply comes
   * besides the replies of STAT or ABOR sent meanwhile (426, then ABOR's
   * 226), and must not count as theirs. */
  size_t xfer_line;
  int logged_in;
  int ended;              /* 221 or 421 seen */
};

/* client_init: a client on fd (non-blocking) that will send in[0..len). */
void client_init(struct client *c, const struct client_opts *o, int fd,
                 const uint8_t *in, size_t len);

/* client_io: send what may be sent, read and check what arrived.
 * RETURNS: 1 if anything moved. */
int client_io(struct client *c);

/* client_has_input: bytes are left to send (and could be sent: not while a
 * handshake or a CCC runs, nor after a failure). */
int client_has_input(const struct client *c);

/* client_waiting: lockstep, and the last line has no final reply yet. */
int client_waiting(const struct client *c);

/* client_push: time passed without a reply: send the next line anyway. */
void client_push(struct client *c);

/* client_shutdown: send our EOF (the user closed the client). */
void client_shutdown(struct client *c);

/* client_free: release TLS state and the parser (not fd). */
void client_free(struct client *c);

#endif
