/*
 * fake_server.h: a scripted FTP server for the client's transcript tests.
 *
 * It runs on the engine's own loop (the engine's facade calls uv_run, so
 * the fake answers while the client waits), listens on a loopback address,
 * frames command lines with common/cmd (Telnet IAC sequences stripped, as a
 * real server does), records every line in a transcript ("VERB arg\n"),
 * and answers from a script: each step expects one exact line and sends a
 * reply, with an optional action (start TLS, open a passive data port,
 * serve or swallow data, flood, close).  A line that does not match the
 * script is recorded and answered 500, so the transcript shows it.
 */
#ifndef TEST_FAKE_SERVER_H
#define TEST_FAKE_SERVER_H

#include <stddef.h>
#include <sys/socket.h>
#include <uv.h>

#include "buf.h"
#include "chan.h"
#include "cmd.h"
#include "dataconn.h"
#include "tls.h"

enum fake_action {
  FA_NONE = 0,
  FA_TLS,      /* after the reply: the TLS handshake (server role) */
  FA_EPSV,     /* listen for data; the reply's %u is the port */
  FA_PASV,     /* listen for data; the reply's %s is h1,h2,h3,h4,p1,p2 */
  FA_ACTIVE,   /* EPRT/PORT: remember the target (transcript: port "*") */
  FA_SEND,     /* reply, send data on the data connection, then reply2 */
  FA_SEND_DIE, /* reply, send data, then close the control connection
                * without a final reply (a server killed mid-transfer) */
  FA_RECV,     /* reply, receive the data into got, then reply2 */
  FA_HANG,     /* reply, accept the data connection, send nothing */
  FA_CCC,      /* after the reply: leave TLS with close_notify */
  FA_FLOOD,    /* a multi-line reply larger than FTP_REPLY_MAX */
  FA_CLOSE     /* after the reply: close the control connection */
};

struct fake_step {
  const char *expect;  /* the exact line; NULL for the greeting */
  const char *reply;   /* bytes to send (CR LF included); may be NULL */
  int action;
  const char *data;    /* FA_SEND payload */
  const char *reply2;  /* after the data */
};

struct fake {
  uv_loop_t *loop;
  uv_tcp_t listener;
  struct ftp_chan *ch;
  struct ftp_cmd_reader rd;
  const struct fake_step *script;
  size_t nsteps, pos;
  struct ftp_buf transcript;
  struct ftp_buf got;          /* FA_RECV data */
  struct ftp_dataconn *dc;
  struct sockaddr_storage addr;     /* where we listen */
  struct sockaddr_storage active;   /* FA_ACTIVE target */
  struct ftp_tls_ctx *tls;
  struct ftp_tls_issuer *issuer;
  struct ftp_tls_resume *scope;
  int data_tls;                /* PROT P was accepted */
  int pasv_zero;               /* FA_PASV advertises 0.0.0.0 */
  int saw_iac;                 /* raw bytes held a Telnet IAC */
  int closed;                  /* the client closed the control connection */
  int listener_open, ch_open;
  unsigned port;
  const struct fake_step *pending; /* the step waiting for its data */
  int (*die_when)(void *arg);  /* FA_SEND_DIE: die once this is true */
  void *die_arg;
  uv_timer_t die_timer;
  int die_timer_open;
};

/*
 * fake_start: listen on host (an IPv4 literal) port 0 of loop and serve
 * script (n steps).  keyring/cafile: the server certificate for FA_TLS
 * (NULL: no TLS).
 */
void fake_start(struct fake *f, uv_loop_t *loop, const char *host,
                const struct fake_step *script, size_t n, const char *keyring);

/*
 * fake_die_when: an FA_SEND_DIE step, once its data is sent, waits until
 * cond(arg) is true (polled on the loop) before the server dies, so that a
 * test can make the death come after what the client did with the data
 * (written it to its .part file) instead of racing with it.
 */
void fake_die_when(struct fake *f, int (*cond)(void *arg), void *arg);

/* fake_stop: close every handle (they finish on the loop's next run). */
void fake_stop(struct fake *f);

/* fake_free: release memory and TLS credentials, once the loop has run
 * every close (after ftpc_free). */
void fake_free(struct fake *f);

/* The transcript so far, NUL-terminated. */
const char *fake_transcript(struct fake *f);

#endif
