/*
 * machine.c: the workings of the engine's state machine (engine_int.h).
 *
 * It keeps the current state and logs its changes; parses replies as the
 * control connection delivers them and hands each complete one to the
 * state's on_reply; hands the operation's timer and Ctrl-C to the state's
 * on_timeout and on_interrupt; sends commands (ABOR with its Telnet
 * urgent bytes); and runs operations: every facade call begins one
 * (ftpc__op_begin), runs the loop until it ends (ftpc__run) and returns its
 * status.  The state table itself is engine.c's; this file reaches it only
 * through c->states, so that it calls none of the files whose handlers the
 * table names.
 */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cmd.h"
#include "engine_int.h"
#include "err.h"
#include "log.h"
#include "replycodes.h"
#include "text.h"

/* --- states --------------------------------------------------------------- */

const char *ftpc__state_name(const struct ftpc *c, enum ftpc_state st) {
  return st < FTPC_ST__COUNT ? c->states[st].name : "?";
}

void ftpc__set_state(struct ftpc *c, enum ftpc_state st) {
  if (st == c->state)
    return;
  log_debug("%s -> %s", ftpc__state_name(c, c->state), ftpc__state_name(c, st));
  c->state = st;
}

/* --- output --------------------------------------------------------------- */

/* Warnings that matter for security (clear text ahead) are shown even
 * with -q. */
void ftpc__say(struct ftpc *c, const char *fmt, ...) {
  va_list ap;

  (void)c;
  fflush(stdout);
  fputs("ftp: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

static void show_reply(struct ftpc *c, const struct ftp_reply *rep) {
  const char *text = ftp_reply_text((struct ftp_reply *)rep);
  int verbose = c->set.verbosity >= FTPC_VERBOSE;

  if (!verbose && !(c->set.show_replies && c->set.verbosity > FTPC_QUIET))
    return;
  /* Interactive BSD style shows final replies; -v shows every one.  A
   * transfer's final reply waits until its data is out (data.c). */
  if (!verbose && (FTPC_PRELIM(rep->code) || c->state == FTPC_ST_XFER ||
                   c->state == FTPC_ST_ABOR))
    return;
  /* -v output goes to stderr: stdout may be a file being downloaded. */
  FILE *f = verbose ? stderr : stdout;
  fflush(verbose ? stdout : stderr);
  fprintf(f, "%d ", rep->code);
  ftpc_text_print(f, text, strlen(text), 1);
  fputc('\n', f);
  fflush(f);
}

/* --- errors --------------------------------------------------------------- */

static void vset_err(struct ftpc *c, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

static void vset_err(struct ftpc *c, const char *fmt, va_list ap) {
  char raw[sizeof(c->err)];

  vsnprintf(raw, sizeof(raw), fmt, ap);
  ftpc_text_clean(raw, strlen(raw), c->err, sizeof(c->err), 0);
}

/* The operation fails, the connection stays. */
void ftpc__fail(struct ftpc *c, int status, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vset_err(c, fmt, ap);
  va_end(ap);
  ftpc__op_end(c, status);
}

void ftpc__reply_error(struct ftpc *c, int status, const char *what,
                       const struct ftp_reply *rep) {
  char line[512];

  ftpc_text_first_line(ftp_reply_text((struct ftp_reply *)rep), line, sizeof(line));
  if (what != NULL)
    ftpc__fail(c, status, "%s: %d %s", what, rep->code, line);
  else
    ftpc__fail(c, status, "%d %s", rep->code, line);
}

static void reset_session(struct ftpc *c) {
  c->tls_on = c->ccc_done = c->logged_in = c->auth_ssl = 0;
  c->pbsz_done = c->prot_refused = c->epsv_refused = c->eprt_refused = 0;
  c->feat_known = 0;
  c->prot_server = 'C';
  c->type_server = 0;
  ftp_buf_free(&c->feat);
  ftp_reply_parser_reset(&c->parser);
}

void ftpc_disconnect(struct ftpc *c) {
  if (c->ctrl != NULL) {
    ftp_chan_close(c->ctrl, NULL);
    c->ctrl = NULL;
  }
  if (c->ai_list != NULL) {
    uv_freeaddrinfo(c->ai_list);
    c->ai_list = c->ai_next = NULL;
  }
  reset_session(c);
  ftpc__set_state(c, FTPC_ST_DISCONNECTED);
}

/* The connection is unusable: close it and fail the operation. */
void ftpc__fatal(struct ftpc *c, int status, const char *fmt, ...) {
  va_list ap;

  va_start(ap, fmt);
  vset_err(c, fmt, ap);
  va_end(ap);
  c->lost = 1;
  ftpc_disconnect(c);
  ftpc__op_end(c, status);
}

const char *ftpc_error(const struct ftpc *c) { return c->err; }

int ftpc_exit_status(const struct ftpc *c, int err) {
  if (err == 0)
    return FTPC_EXIT_OK;
  if (err == FTP_E_TLS_VERIFY)
    return FTPC_EXIT_VERIFY;
  if (err == FTP_E_LOGIN)
    return FTPC_EXIT_LOGIN;
  if (err == FTP_E_TLS || err == FTP_E_TOOBIG || err == FTP_E_BAD_REPLY ||
      (c != NULL && c->lost))
    return FTPC_EXIT_CONN;
  return FTPC_EXIT_FAIL;
}

/* --- the timer and Ctrl-C: the state decides ------------------------------ */

static void timeout_cb(uv_timer_t *t) {
  struct ftpc *c = t->data;
  ftpc_event_fn *fn = c->states[c->state].on_timeout;

  if (fn != NULL) {
    fn(c);
    return;
  }
  ftpc__fatal(c, UV_ETIMEDOUT, "timed out in state %s: the server did not answer",
              ftpc__state_name(c, c->state));
}

void ftpc__arm_timer(struct ftpc *c, unsigned seconds) {
  if (seconds == 0)
    uv_timer_stop(&c->timer);
  else
    uv_timer_start(&c->timer, timeout_cb, (uint64_t)seconds * 1000, 0);
}

void ftpc__stop_timer(struct ftpc *c) { uv_timer_stop(&c->timer); }

static void sigint_cb(uv_signal_t *h, int signum) {
  struct ftpc *c = h->data;
  ftpc_event_fn *fn;

  (void)signum;
  if (c->op_done)
    return; /* between operations: the shell decides */
  c->interrupts++;
  if ((fn = c->states[c->state].on_interrupt) != NULL) {
    fn(c);
    return;
  }
  if (c->interrupts > 1) {
    ftpc__fatal(c, FTP_E_ABORTED, "interrupted: connection closed");
    return;
  }
  fputs("\nftp: interrupt: waiting for the server's reply "
        "(Ctrl-C again closes the connection)\n", stderr);
}

/* --- operations ----------------------------------------------------------- */

void ftpc__op_begin(struct ftpc *c, enum ftpc_state st, unsigned timeout_s,
                    ftpc_event_fn *release) {
  c->op_done = 0;
  c->op_status = 0;
  c->interrupts = 0;
  c->lost = 0;
  c->err[0] = 0;
  c->op_release = release;
  ftpc__set_state(c, st);
  ftpc__arm_timer(c, timeout_s);
}

void ftpc__op_end(struct ftpc *c, int status) {
  ftpc_event_fn *release = c->op_release;

  if (c->op_done)
    return;
  c->op_done = 1;
  c->op_status = status;
  c->op_release = NULL;
  uv_timer_stop(&c->timer);
  if (release != NULL)
    release(c);
  if (status != 0 && c->err[0] == 0)
    ftpc_text_clean(ftp_strerror(status), strlen(ftp_strerror(status)), c->err,
                    sizeof(c->err), 0);
  ftpc__set_state(c, c->ctrl != NULL ? FTPC_ST_IDLE : FTPC_ST_DISCONNECTED);
}

void ftpc__op_succeed(struct ftpc *c) { ftpc__op_end(c, 0); }

int ftpc__run(struct ftpc *c) {
  while (!c->op_done) {
    if (uv_run(&c->loop, UV_RUN_ONCE) == 0 && !c->op_done) {
      /* Nothing left that could end the operation: a broken invariant,
       * reported rather than spun on. */
      ftpc__fatal(c, FTP_E_PROTO, "internal error: the engine stalled in state %s",
                  ftpc__state_name(c, c->state));
    }
  }
  return c->op_status;
}

/* Replies or a close that came while no operation ran (a 421 timeout,
 * a late reply after an ABOR) are taken before the next command. */
int ftpc__settle(struct ftpc *c) {
  if (c->ctrl == NULL) {
    snprintf(c->err, sizeof(c->err), "not connected");
    return UV_ENOTCONN;
  }
  c->err[0] = 0;
  uv_run(&c->loop, UV_RUN_NOWAIT);
  if (c->ctrl == NULL) {
    /* A 421 or the close itself left the reason in err. */
    c->lost = 1;
    if (c->err[0] == 0)
      snprintf(c->err, sizeof(c->err), "the server closed the connection");
    return UV_ENOTCONN;
  }
  return 0;
}

/* --- sending -------------------------------------------------------------- */

static void show_command(struct ftpc *c, const char *verb, const char *arg) {
  int secret = strcasecmp(verb, "PASS") == 0 || strcasecmp(verb, "ACCT") == 0;
  char clean[512];

  if (c->set.verbosity < FTPC_VERBOSE)
    return;
  if (arg != NULL && !secret)
    ftpc_text_clean(arg, strlen(arg), clean, sizeof(clean), 0);
  fflush(stdout);
  fprintf(stderr, "---> %s%s%s\n", verb, arg != NULL ? " " : "",
          arg == NULL ? "" : secret ? "****" : clean);
}

int ftpc__send(struct ftpc *c, const char *verb, const char *arg) {
  struct ftp_buf out;
  int r;

  if (c->ctrl == NULL)
    return UV_ENOTCONN;
  ftp_buf_init(&out, FTP_CMD_LINE_MAX * 2);
  ftp_buf_set_secret(&out); /* it may hold a password */
  if ((r = ftp_cmd_format(&out, verb, arg)) == 0) {
    show_command(c, verb, arg);
    r = ftp_chan_write(c->ctrl, ftp_buf_ptr(&out), ftp_buf_len(&out));
  }
  ftp_buf_free(&out);
  return r;
}

/*
 * ABOR as BSD ftp sends it (RFC 959 section 4.1.3): Telnet IP, then the
 * Synch (IAC, with the DM byte as TCP urgent data), then the command.  Under
 * TLS urgent data cannot be protected, so the bytes go inline, inside TLS,
 * as lftp does (RFC 4217 section 14 notes the same limit).
 */
int ftpc__send_abor(struct ftpc *c) {
  static const unsigned char ip_synch[] = {0xff, 0xf4, 0xff};
  static const unsigned char dm = 0xf2;
  int r;

  if (c->ctrl == NULL)
    return UV_ENOTCONN;
  show_command(c, "ABOR", NULL);
  if (ftp_chan_send_urgent(c->ctrl, ip_synch, sizeof(ip_synch)) == 0) {
    if ((r = ftp_chan_write(c->ctrl, &dm, 1)) != 0)
      return r;
  } else if ((r = ftp_chan_write(c->ctrl, ip_synch, sizeof(ip_synch))) != 0 ||
             (r = ftp_chan_write(c->ctrl, &dm, 1)) != 0) {
    return r;
  }
  return ftp_chan_write(c->ctrl, "ABOR\r\n", 6);
}

/* --- receiving ------------------------------------------------------------ */

static void dispatch(struct ftpc *c) {
  ftpc_reply_fn *fn = c->states[c->state].on_reply;

  show_reply(c, &c->reply);
  if (fn == NULL) {
    if (c->reply.code == FTP_R_UNAVAILABLE) {
      ftpc__reply_error(c, UV_ECONNRESET, "the server closed the session", &c->reply);
      c->lost = 1;
      ftpc_disconnect(c);
      return;
    }
    log_debug("reply %d in state %s ignored", c->reply.code,
              ftpc__state_name(c, c->state));
    return;
  }
  /* RFC 959 section 4.2: 421 may answer any command when the server is
   * shutting down; nothing else will come. */
  if (c->reply.code == FTP_R_UNAVAILABLE && c->state != FTPC_ST_QUIT) {
    char line[512];
    ftpc_text_first_line(ftp_reply_text(&c->reply), line, sizeof(line));
    ftpc__fatal(c, UV_ECONNRESET, "%d %s", c->reply.code, line);
    return;
  }
  fn(c, &c->reply);
}

static void feed(struct ftpc *c, const char *p, size_t n) {
  size_t used;
  int r;

  while (n > 0 && c->ctrl != NULL) {
    r = ftp_reply_parse(&c->parser, p, n, &used, &c->reply);
    if (r < 0) {
      ftpc__fatal(c, r, r == FTP_E_TOOBIG
                            ? "reply longer than the limit (%d bytes per line, %d per reply)"
                            : "malformed reply from the server (%d, %d)",
                  FTP_REPLY_LINE_MAX, FTP_REPLY_MAX);
      return;
    }
    p += used;
    n -= used;
    if (r != FTP_REPLY_COMPLETE)
      return;
    c->after_reply = n;
    dispatch(c);
  }
}

static void ctrl_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct ftpc *c = ftp_chan_data(ch);
  (void)suggested;
  *buf = uv_buf_init(c->rbuf, sizeof(c->rbuf));
}

static void ctrl_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct ftpc *c = ftp_chan_data(ch);

  if (nread > 0) {
    feed(c, buf->base, (size_t)nread);
    return;
  }
  if (nread == 0)
    return;
  if (c->state == FTPC_ST_QUIT) {
    ftpc_disconnect(c);
    ftpc__op_end(c, 0);
    return;
  }
  if (c->op_done) {
    /* Between operations: the next command learns it. */
    c->lost = 1;
    if (c->err[0] == 0)
      snprintf(c->err, sizeof(c->err), "the server closed the connection");
    ftpc_disconnect(c);
    return;
  }
  ftpc__fatal(c, nread == UV_EOF ? UV_EOF : (int)nread, "%s",
              nread == UV_EOF                ? "connection closed by the server"
              : nread == FTP_E_TLS_TRUNCATED ? "connection closed by the server without TLS close_notify"
                                             : ftp_strerror((int)nread));
}

int ftpc__read_start(struct ftpc *c) {
  return ftp_chan_read_start(c->ctrl, ctrl_alloc, ctrl_read);
}

/* --- life ----------------------------------------------------------------- */

void ftpc__machine_init(struct ftpc *c, const struct ftpc_state_def *states) {
  c->states = states;
  uv_timer_init(&c->loop, &c->timer);
  uv_signal_init(&c->loop, &c->sigint);
  c->timer.data = c->sigint.data = c;
  c->op_done = 1;
  /* Ctrl-C belongs to the engine for its whole life (the shell lends it
   * to the prompt): an interrupt between two transfers of one mget is
   * seen by the next one. */
  uv_signal_start(&c->sigint, sigint_cb, SIGINT);
  ftp_reply_parser_init(&c->parser);
  ftp_reply_init(&c->reply);
  c->state = FTPC_ST_DISCONNECTED;
}

/* After ftpc_disconnect: nothing reads the control connection any more. */
void ftpc__machine_close(struct ftpc *c) {
  uv_signal_stop(&c->sigint);
  uv_close((uv_handle_t *)&c->timer, NULL);
  uv_close((uv_handle_t *)&c->sigint, NULL);
  ftp_reply_parser_free(&c->parser);
  ftp_reply_free(&c->reply);
}
