/*
 * engine_int.h: the engine's insides, shared by its four files and by
 * nothing outside them:
 *   machine.c  the state machine's workings: the current state and its
 *              changes, complete replies, timeouts and Ctrl-C handed to the
 *              state's handlers, sending commands, and how an operation
 *              begins, runs and ends;
 *   login.c    from the greeting to a logged-in session: AUTH, the TLS
 *              handshake, USER, PASS, ACCT, PBSZ, PROT, CCC;
 *   data.c     one transfer: TYPE, EPSV, PASV, EPRT, PORT, REST, the
 *              command, the data, ABOR;
 *   engine.c   the state table (states[]), connecting, plain commands,
 *              QUIT, and the engine's life and settings.
 * Each file calls only the files listed above it; the state table reaches
 * the handlers of login.c and data.c, and machine.c reaches the table
 * through c->states, so no two files call each other.
 *
 * The state machine: every state names what the engine waits for.  Its row
 * in the table says what happens when a reply completes (on_reply), when
 * the operation's timer fires (on_timeout) and on Ctrl-C (on_interrupt).
 * A handler sends the next command and moves to the next state with
 * ftpc__set_state(), which logs "old -> new" at -v, or ends the operation
 * with ftpc__op_end().  A step that other operations share takes the step
 * that follows it as a callback (ftpc__start_prot).
 */
#ifndef FTPC_ENGINE_INT_H
#define FTPC_ENGINE_INT_H

#include <netdb.h>

#include "buf.h"
#include "chan.h"
#include "dataconn.h"
#include "engine.h"
#include "reply.h"
#include "tls.h"

enum ftpc_state {
  FTPC_ST_DISCONNECTED = 0, /* no control connection */
  FTPC_ST_RESOLVING,        /* getaddrinfo */
  FTPC_ST_CONNECTING,       /* TCP connect */
  FTPC_ST_IMPLICIT_TLS,     /* implicit TLS handshake */
  FTPC_ST_GREETING,         /* waiting for 220 */
  FTPC_ST_IDLE,             /* connected, no operation */
  FTPC_ST_AUTH,             /* AUTH TLS sent */
  FTPC_ST_FEAT_AUTH,        /* FEAT sent after AUTH TLS was refused */
  FTPC_ST_AUTH_SSL,         /* AUTH SSL sent */
  FTPC_ST_HANDSHAKE,        /* TLS handshake after AUTH */
  FTPC_ST_USER,
  FTPC_ST_PASS,
  FTPC_ST_ACCT,
  FTPC_ST_PBSZ,
  FTPC_ST_PROT,
  FTPC_ST_COMMAND,          /* one command, its final reply ends it */
  FTPC_ST_FEAT,             /* FEAT for ftpc_server_has_feature */
  FTPC_ST_CCC,
  FTPC_ST_TYPE,
  FTPC_ST_EPSV,
  FTPC_ST_PASV,
  FTPC_ST_EPRT,
  FTPC_ST_PORT,
  FTPC_ST_REST,
  FTPC_ST_XFER_CMD,         /* RETR/STOR/... sent, waiting for 1xx */
  FTPC_ST_XFER,             /* data flowing; waiting for its end and 2xx */
  FTPC_ST_ABOR,             /* ABOR sent */
  FTPC_ST_QUIT,             /* QUIT sent */
  FTPC_ST__COUNT
};

typedef void ftpc_reply_fn(struct ftpc *c, const struct ftp_reply *rep);
typedef void ftpc_event_fn(struct ftpc *c);

/* One row of the state table (engine.c), indexed by enum ftpc_state. */
struct ftpc_state_def {
  const char *name;            /* for logs */
  ftpc_reply_fn *on_reply;     /* a complete reply; NULL: none is expected
                                * (a 421 ends the session, others are
                                * ignored) */
  ftpc_event_fn *on_timeout;   /* the operation's timer fired; NULL: the
                                * server did not answer, the connection is
                                * closed */
  ftpc_event_fn *on_interrupt; /* Ctrl-C (c->interrupts already counts it);
                                * NULL: the first waits for the reply, the
                                * second closes the connection */
};

struct ftpc {
  uv_loop_t loop;
  struct ftpc_settings set;
  struct ftp_tls_ctx *tls_ctx;      /* made on first use */
  const struct ftpc_state_def *states; /* the state table (engine.c) */
  uv_timer_t timer;                 /* the operation's deadline (machine.c) */
  uv_signal_t sigint;               /* Ctrl-C (machine.c) */
  uv_timer_t tick;                  /* progress during a transfer (data.c) */
  uv_timer_t drain;                 /* how long an aborted download drains
                                     * (data.c) */

  /* the control connection */
  struct ftp_chan *ctrl;
  char host[256];
  unsigned port;
  int tls_mode;                     /* enum ftpc_tls */
  uv_getaddrinfo_t gai;
  struct addrinfo *ai_list, *ai_next;
  int connect_err;
  struct sockaddr_storage peer, local;
  struct ftp_reply_parser parser;
  struct ftp_reply reply;           /* the last reply */
  size_t after_reply;               /* bytes that followed it in its read */
  char rbuf[16384];                 /* plaintext from the control channel */

  enum ftpc_state state;

  /* the operation the facade waits for */
  int op_done;
  int op_status;
  int interrupts;
  ftpc_event_fn *op_release;        /* frees what the operation holds, once,
                                     * when it ends (NULL: nothing) */
  char err[1024];

  /* session facts */
  unsigned tls_on : 1;              /* control connection under TLS */
  unsigned ccc_done : 1;
  unsigned logged_in : 1;
  unsigned auth_ssl : 1;            /* AUTH SSL: server starts at PROT P */
  unsigned pbsz_done : 1;
  unsigned prot_refused : 1;        /* PROT P refused: no data */
  unsigned epsv_refused : 1;
  unsigned eprt_refused : 1;
  unsigned feat_known : 1;
  unsigned lost : 1;                /* the last failure lost the connection */
  char prot_server;                 /* 'C' or 'P' as the server has it */
  char type_server;                 /* 'A', 'I', or 0 unknown */
  struct ftp_buf feat;              /* the FEAT reply text */

  /* login */
  const struct ftpc_creds *creds;
  char secret[1024];                /* a prompted password, wiped */

  /* PBSZ/PROT */
  char prot_want;                   /* 'C' or 'P' being set */
  ftpc_event_fn *prot_then;         /* the step after PROT succeeded */

  /* ftpc_command */
  struct ftp_reply *cmd_out;

  /* the transfer */
  struct ftpc_xfer *xfer;
  struct ftp_dataconn *dc;
  uint64_t xfer_start;              /* uv_hrtime at the command */
  int data_done;                    /* the data side ended */
  int data_status;
  int final_code;                   /* the transfer's final reply, 0 yet */
  char final_text[512];
  unsigned active_port;             /* our listening port (active mode) */
  int pump_running;                 /* the data is flowing (or has) */
};

/* machine.c: the state machine's workings */
void ftpc__machine_init(struct ftpc *c, const struct ftpc_state_def *states);
void ftpc__machine_close(struct ftpc *c);
void ftpc__set_state(struct ftpc *c, enum ftpc_state st);
const char *ftpc__state_name(const struct ftpc *c, enum ftpc_state st);
int ftpc__read_start(struct ftpc *c);
int ftpc__send(struct ftpc *c, const char *verb, const char *arg);
int ftpc__send_abor(struct ftpc *c);
/* An operation: st is its first state, timeout_s its timer (0: none),
 * release what frees its resources when it ends (NULL: nothing). */
void ftpc__op_begin(struct ftpc *c, enum ftpc_state st, unsigned timeout_s,
                    ftpc_event_fn *release);
void ftpc__op_end(struct ftpc *c, int status);
ftpc_event_fn ftpc__op_succeed; /* ftpc__op_end(c, 0), as a next step */
int ftpc__run(struct ftpc *c);
int ftpc__settle(struct ftpc *c);
void ftpc__fail(struct ftpc *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ftpc__fatal(struct ftpc *c, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void ftpc__arm_timer(struct ftpc *c, unsigned seconds);
void ftpc__stop_timer(struct ftpc *c);
void ftpc__reply_error(struct ftpc *c, int status, const char *what,
                       const struct ftp_reply *rep);
void ftpc__say(struct ftpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* login.c: the handlers and what starts them */
void ftpc__start_tls(struct ftpc *c, int implicit);
/* PBSZ 0 (once) and PROT when the level the server has is not the one
 * wanted; then, on success, the step then. */
void ftpc__start_prot(struct ftpc *c, ftpc_event_fn *then);
/* The PROT level the settings want: 'P' or 'C'. */
char ftpc__prot_wanted(const struct ftpc *c);
ftpc_reply_fn ftpc__on_greeting_reply;
ftpc_reply_fn ftpc__on_auth_reply;
ftpc_reply_fn ftpc__on_feat_auth_reply;
ftpc_reply_fn ftpc__on_auth_ssl_reply;
ftpc_reply_fn ftpc__on_user_reply;
ftpc_reply_fn ftpc__on_pass_reply;
ftpc_reply_fn ftpc__on_acct_reply;
ftpc_reply_fn ftpc__on_pbsz_reply;
ftpc_reply_fn ftpc__on_prot_reply;
ftpc_reply_fn ftpc__on_ccc_reply;

/* data.c: the handlers, and the transfer's two timers */
void ftpc__xfer_init(struct ftpc *c);
void ftpc__xfer_close(struct ftpc *c);
ftpc_reply_fn ftpc__on_type_reply;
ftpc_reply_fn ftpc__on_epsv_reply;
ftpc_reply_fn ftpc__on_pasv_reply;
ftpc_reply_fn ftpc__on_eprt_reply;
ftpc_reply_fn ftpc__on_port_reply;
ftpc_reply_fn ftpc__on_rest_reply;
ftpc_reply_fn ftpc__on_xfer_cmd_reply;
ftpc_reply_fn ftpc__on_xfer_reply;
ftpc_reply_fn ftpc__on_abor_reply;
ftpc_event_fn ftpc__on_setup_interrupt;
ftpc_event_fn ftpc__on_xfer_interrupt;
ftpc_event_fn ftpc__on_xfer_timeout;
ftpc_event_fn ftpc__on_abor_interrupt;
ftpc_event_fn ftpc__on_abor_timeout;

/* Reply classes (RFC 959 section 4.2.1). */
#define FTPC_PRELIM(code) ((code) >= 100 && (code) < 200)
#define FTPC_OK(code) ((code) >= 200 && (code) < 300)
#define FTPC_MORE(code) ((code) >= 300 && (code) < 400)
#define FTPC_NEG(code) ((code) >= 400)

#endif
