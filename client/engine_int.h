/*
 * engine_int.h: the engine's insides, shared by engine.c (connection,
 * replies, states, commands), login.c (AUTH, USER, PASS, PBSZ, PROT, CCC)
 * and data.c (EPSV, PASV, EPRT, PORT, REST and the transfer).  Nothing
 * outside those three files includes it.
 *
 * The state machine: every state names what the engine waits for.  A
 * complete reply goes to the state's on_<state>_reply function (a table in
 * engine.c); that function sends the next command and moves to the next
 * state with ftpc__set_state(), which logs "old -> new" at -v, or ends the
 * operation with ftpc__op_end().  Events that are not replies (connect, TLS
 * handshake, data connection ready and done, timers, Ctrl-C) call small
 * functions of the same files.
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

/* What the current operation continues with once PBSZ/PROT are done. */
enum ftpc_after_prot { AFTER_PROT_END = 0, AFTER_PROT_XFER };

struct ftpc {
  uv_loop_t loop;
  struct ftpc_settings set;
  struct ftp_tls_ctx *tls_ctx;      /* made on first use */
  uv_timer_t timer;                 /* the operation's deadline */
  uv_timer_t tick;                  /* progress during a transfer */
  uv_signal_t sigint;
  int handles_open;

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
  int after_prot;                   /* enum ftpc_after_prot */

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

/* engine.c */
void ftpc__set_state(struct ftpc *c, enum ftpc_state st);
const char *ftpc__state_name(enum ftpc_state st);
int ftpc__send(struct ftpc *c, const char *verb, const char *arg);
int ftpc__send_abor(struct ftpc *c);
void ftpc__op_begin(struct ftpc *c, enum ftpc_state st, unsigned timeout_s);
void ftpc__op_end(struct ftpc *c, int status);
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
int ftpc__tls_ctx(struct ftpc *c);
void ftpc__say(struct ftpc *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* login.c: the handlers and what starts them */
void ftpc__start_auth(struct ftpc *c);
void ftpc__start_tls(struct ftpc *c, int implicit);
void ftpc__start_prot(struct ftpc *c, int after);
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

/* data.c */
void ftpc__xfer_continue(struct ftpc *c);
void ftpc__xfer_interrupt(struct ftpc *c);
void ftpc__xfer_timeout(struct ftpc *c);
void ftpc__xfer_release(struct ftpc *c);
ftpc_reply_fn ftpc__on_type_reply;
ftpc_reply_fn ftpc__on_epsv_reply;
ftpc_reply_fn ftpc__on_pasv_reply;
ftpc_reply_fn ftpc__on_eprt_reply;
ftpc_reply_fn ftpc__on_port_reply;
ftpc_reply_fn ftpc__on_rest_reply;
ftpc_reply_fn ftpc__on_xfer_cmd_reply;
ftpc_reply_fn ftpc__on_xfer_reply;
ftpc_reply_fn ftpc__on_abor_reply;

/* Reply classes (RFC 959 section 4.2.1). */
#define FTPC_PRELIM(code) ((code) >= 100 && (code) < 200)
#define FTPC_OK(code) ((code) >= 200 && (code) < 300)
#define FTPC_MORE(code) ((code) >= 300 && (code) < 400)
#define FTPC_NEG(code) ((code) >= 400)

#endif
