/*
 * loadgen.h: the load generator of `make bench`: many FTPS client sessions
 * in one process, on one libuv loop, over common/'s chan, tls and reply code.
 *
 * One run (struct lg_run) drives `count` sessions against one server.  A
 * session (struct lg_sess) connects from its own 127.x.y.z source address
 * (so the ephemeral port range and per-address limits of the server are no
 * limit), does AUTH TLS, USER/PASS, PBSZ 0, PROT P and TYPE I, then runs the run's
 * script of actions, each on a data connection of its own (struct lg_data):
 *
 *   sessions   LIST, then QUIT; `concurrency` sessions at a time until
 *              `count` have run (full TLS sessions per second)
 *   idle       log in `count` sessions and hold them until standard input
 *              ends (memory per idle session)
 *   xfer       log in `count` sessions, then all at once RETR a file
 *              (compared byte for byte with the local copy) and STOR a
 *              file under a name of its own; the caller compares the
 *              uploads (memory per active transfer)
 *
 * Every data connection is TLS, resumes the control connection's session,
 * and must end with close_notify.  Any failure is counted and reported on
 * standard error; the exit status is non-zero when any session failed.
 */
#ifndef LG_LOADGEN_H
#define LG_LOADGEN_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "chan.h"
#include "reply.h"
#include "tls.h"

enum lg_mode { LG_MODE_SESSIONS, LG_MODE_IDLE, LG_MODE_XFER };

/* One step of a session's script: a data command on a data connection. */
enum lg_action { LG_ACT_LIST, LG_ACT_RETR, LG_ACT_STOR };

#define LG_SCRIPT_MAX 4

struct lg_config {
  enum lg_mode mode;
  const char *host;            /* the server's IPv4 literal */
  unsigned port;
  const char *user;
  const char *pass;
  const char *cafile;
  unsigned count;              /* sessions in all */
  unsigned concurrency;        /* sessions being set up at once */
  uint32_t src_first;          /* first source address, host order */
  unsigned src_count;          /* source addresses to rotate over */
  unsigned timeout_s;          /* bound on the whole run */
  const char *retr_name;       /* xfer: the remote file to download */
  const char *retr_file;       /* xfer: its local copy */
  const char *stor_prefix;     /* xfer: uploads are <prefix><id>.bin */
  const char *stor_file;       /* xfer: the local file to upload */
};

/* Bytes held in memory: the expected download and the upload. */
struct lg_blob {
  unsigned char *p;
  size_t n;
};

struct lg_sess;

struct lg_run {
  uv_loop_t *loop;
  struct lg_config cfg;
  struct ftp_tls_ctx *tls;
  struct sockaddr_storage server;
  struct lg_blob retr;
  struct lg_blob stor;
  enum lg_action script[LG_SCRIPT_MAX];
  unsigned nscript;

  struct lg_sess **sess;       /* count slots; NULL once freed */
  unsigned started;            /* sessions begun */
  unsigned active;             /* begun and not finished */
  unsigned logging_in;         /* begun and not logged in yet */
  unsigned logged_in;          /* reached the end of login, in all */
  unsigned ok;
  unsigned failed;
  unsigned errors_shown;
  unsigned data_resumed;       /* data handshakes that resumed the control
                                * session, and those that did not */
  unsigned data_full;
  int released;                /* held sessions were let go */
  int filling;                 /* fill() is running; refill: run it again */
  int refill;
  int stopping;                /* the deadline passed */
  uint64_t t0;                 /* uv_hrtime at the first connect, or at the
                                * start of the transfers (xfer mode) */
  uint64_t t_end;              /* when the last session ended */
  uint64_t bytes_down;
  uint64_t bytes_up;

  uv_timer_t deadline;
  uv_pipe_t input;             /* standard input (idle mode) */
  int input_open;

  /* One plaintext buffer for every channel: each read callback consumes
   * what it is lent before returning. */
  unsigned char rbuf[64 * 1024];
};

/* --- scheduler (loadgen.c), called by sessions --------------------------- */

/* The session finished its login (PBSZ/PROT accepted). */
void lg__run_logged_in(struct lg_run *run, struct lg_sess *s);

/* The session ended: ok 1 after QUIT was answered, 0 on any failure;
 * logged_in: it had got that far.  The session frees itself once its
 * channels are closed, and then clears its slot in run->sess. */
void lg__run_session_done(struct lg_run *run, struct lg_sess *s, int ok,
                          int logged_in);

/* Report a failure (the first few are printed; all are counted by
 * lg__run_session_done). */
void lg__run_error(struct lg_run *run, unsigned id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* --- one control session (lg_sess.c) -------------------------------------- */

/*
 * lg_sess_start: connect session `id` and log it in; run->sess[id] holds it
 * until it frees itself.  RETURNS: 0 when the session exists: it is running,
 * or it already failed and reported done (possibly inside this call);
 * FTP_E_NOMEM or a libuv error when it could not be made (no callback).
 */
int lg_sess_start(struct lg_run *run, unsigned id);

/* lg_sess_go: a held session (logged in) runs its script, then QUIT. */
void lg_sess_go(struct lg_sess *s);

/* lg_sess_abort: end the session now (deadline); it reports done(0). */
void lg_sess_abort(struct lg_sess *s);

/* The session's source address and its control TLS session. */
const struct sockaddr_storage *lg__sess_src(const struct lg_sess *s);
gnutls_session_t lg__sess_tls(const struct lg_sess *s);
struct lg_run *lg__sess_run(const struct lg_sess *s);
unsigned lg__sess_id(const struct lg_sess *s);

/* The data connection ended: 0 after a clean end (and, for a download, all
 * bytes matched), or an error. */
void lg__sess_data_done(struct lg_sess *s, int status);

/* --- one data connection (lg_data.c) -------------------------------------- */

struct lg_data;

/*
 * lg_data_open: connect from the session's source address to the server's
 * port, then do a TLS handshake that resumes the control session, then move
 * the action's bytes: LIST and RETR read to close_notify (RETR compares with
 * run->retr), STOR sends run->stor and ends with close_notify.  When it ends,
 * lg__sess_data_done(s, status) is called once (never from inside this
 * call).  RETURNS: 0, or an error (then no callback).
 */
int lg_data_open(struct lg_sess *s, enum lg_action act, unsigned port,
                 struct lg_data **out);

/* lg_data_close: close now; no callback after it.  Accepts NULL. */
void lg_data_close(struct lg_data *d);

/* The channel options every connection of the load generator uses. */
void lg__chan_opts(struct ftp_chan_opts *o, int data);

#endif
