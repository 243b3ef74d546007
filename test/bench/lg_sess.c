/*
 * lg_sess.c: one control session of the load generator.
 *
 * States follow the commands sent: connect, 220, AUTH TLS, the handshake,
 * USER, PASS, PBSZ 0, PROT P, TYPE I, then HELD until the scheduler lets the session
 * go; each step of the script is EPSV, a data connection and its command
 * (done when both the final reply and the data connection have ended); then
 * QUIT.  One small function per reply state, through a table.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "loadgen.h"

enum lg_state {
  ST_CONNECTING, ST_GREETING, ST_AUTH, ST_HANDSHAKE, ST_USER, ST_PASS,
  ST_PBSZ, ST_PROT, ST_TYPE, ST_HELD, ST_EPSV, ST_XFER, ST_QUIT, ST_DONE, ST__COUNT
};

static const char *const state_names[ST__COUNT] = {
  "connect", "greeting", "AUTH TLS", "TLS handshake", "USER", "PASS",
  "PBSZ", "PROT", "TYPE", "held", "EPSV", "transfer", "QUIT", "done"
};

static const char *const action_verbs[] = {
  [LG_ACT_LIST] = "LIST", [LG_ACT_RETR] = "RETR", [LG_ACT_STOR] = "STOR"
};

struct lg_sess {
  struct lg_run *run;
  unsigned id;
  enum lg_state state;
  struct sockaddr_storage src;
  struct ftp_chan *ctrl;
  struct ftp_reply_parser parser;
  struct ftp_reply reply;
  struct lg_data *data;
  unsigned step;           /* the script's next action */
  unsigned xfer_replied : 1;
  unsigned xfer_data_done : 1;
  unsigned logged_in : 1;
  unsigned done : 1;
};

const struct sockaddr_storage *lg__sess_src(const struct lg_sess *s) { return &s->src; }
gnutls_session_t lg__sess_tls(const struct lg_sess *s) { return ftp_chan_session(s->ctrl); }
struct lg_run *lg__sess_run(const struct lg_sess *s) { return s->run; }
unsigned lg__sess_id(const struct lg_sess *s) { return s->id; }

void lg__chan_opts(struct ftp_chan_opts *o, int data) {
  memset(o, 0, sizeof(*o));
  /* Control: one TLS record in, small replies; data: room for the 256 KiB
   * upload and a few records of ciphertext. */
  o->in_max = data ? 64 * 1024 : 20 * 1024;
  o->out_max = data ? 512 * 1024 : 16 * 1024;
  o->release_idle = !data;
}

/* --- ending ----------------------------------------------------------------- */

static void ctrl_closed(struct ftp_chan *ch) {
  struct lg_sess *s = ftp_chan_data(ch);

  ftp_reply_parser_free(&s->parser);
  ftp_reply_free(&s->reply);
  s->run->sess[s->id] = NULL;
  free(s);
}

static void finish(struct lg_sess *s, int ok) {
  int was_logged_in = s->logged_in;

  if (s->done)
    return;
  s->done = 1;
  s->state = ST_DONE;
  lg_data_close(s->data);
  s->data = NULL;
  ftp_chan_close(s->ctrl, ctrl_closed);
  lg__run_session_done(s->run, s, ok, was_logged_in);
}

static void fail(struct lg_sess *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void fail(struct lg_sess *s, const char *fmt, ...) {
  char msg[512];
  va_list ap;

  if (s->done)
    return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  lg__run_error(s->run, s->id, "%s: %s", state_names[s->state], msg);
  finish(s, 0);
}

void lg_sess_abort(struct lg_sess *s) { fail(s, "the run's time limit passed"); }

/* --- sending ---------------------------------------------------------------- */

static void send_cmd(struct lg_sess *s, enum lg_state next, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void send_cmd(struct lg_sess *s, enum lg_state next, const char *fmt, ...) {
  char line[512];
  va_list ap;
  int n, r;

  va_start(ap, fmt);
  n = vsnprintf(line, sizeof(line) - 2, fmt, ap);
  va_end(ap);
  if (n < 0 || (size_t)n >= sizeof(line) - 2) {
    fail(s, "command too long");
    return;
  }
  memcpy(line + n, "\r\n", 2);
  s->state = next;
  if ((r = ftp_chan_write(s->ctrl, line, (size_t)n + 2)) != 0)
    fail(s, "write: %s", ftp_strerror(r));
}

/* The next step of the script, or QUIT after the last. */
static void next_step(struct lg_sess *s) {
  if (s->step < s->run->nscript)
    send_cmd(s, ST_EPSV, "EPSV");
  else
    send_cmd(s, ST_QUIT, "QUIT");
}

void lg_sess_go(struct lg_sess *s) {
  if (!s->done && s->state == ST_HELD)
    next_step(s);
}

/* --- the TLS handshake ------------------------------------------------------ */

static void handshake_cb(struct ftp_chan *ch, int status) {
  struct lg_sess *s = ftp_chan_data(ch);

  if (status == 0)
    status = ftp_tls_check_alpn(ftp_chan_session(ch));
  if (status != 0) {
    fail(s, "%s %s", ftp_strerror(status), ftp_chan_tls_error(ch));
    return;
  }
  send_cmd(s, ST_USER, "USER %s", s->run->cfg.user);
}

static void start_tls(struct lg_sess *s) {
  struct lg_run *run = s->run;
  gnutls_session_t ts;
  int r;

  s->state = ST_HANDSHAKE;
  r = ftp_tls_client_session(run->tls, run->cfg.host, 1, 1, NULL, &ts);
  if (r == 0 && (r = ftp_chan_tls_start(s->ctrl, ts, NULL, 0, handshake_cb)) != 0)
    gnutls_deinit(ts);
  if (r != 0)
    fail(s, "%s", ftp_strerror(r));
}

/* --- replies, one function per state ---------------------------------------- */

typedef void on_reply_fn(struct lg_sess *s, int code, const char *text);

static void unexpected(struct lg_sess *s, int code, const char *text) {
  fail(s, "unexpected reply %d %s", code, text);
}

static void on_greeting(struct lg_sess *s, int code, const char *text) {
  if (code == 220)
    send_cmd(s, ST_AUTH, "AUTH TLS");
  else if (code / 100 != 1)
    unexpected(s, code, text);
}

static void on_auth(struct lg_sess *s, int code, const char *text) {
  if (code == 234)
    start_tls(s);
  else
    unexpected(s, code, text);
}

static void on_user(struct lg_sess *s, int code, const char *text) {
  if (code == 331)
    send_cmd(s, ST_PASS, "PASS %s", s->run->cfg.pass);
  else if (code == 230)
    send_cmd(s, ST_PBSZ, "PBSZ 0");
  else
    unexpected(s, code, text);
}

static void on_pass(struct lg_sess *s, int code, const char *text) {
  if (code == 230)
    send_cmd(s, ST_PBSZ, "PBSZ 0");
  else
    unexpected(s, code, text);
}

static void on_pbsz(struct lg_sess *s, int code, const char *text) {
  if (code == 200)
    send_cmd(s, ST_PROT, "PROT P");
  else
    unexpected(s, code, text);
}

static void on_prot(struct lg_sess *s, int code, const char *text) {
  if (code == 200)
    send_cmd(s, ST_TYPE, "TYPE I");
  else
    unexpected(s, code, text);
}

static void on_type(struct lg_sess *s, int code, const char *text) {
  if (code != 200) {
    unexpected(s, code, text);
    return;
  }
  s->state = ST_HELD;
  s->logged_in = 1;
  lg__run_logged_in(s->run, s);
}

static void start_command(struct lg_sess *s) {
  enum lg_action act = s->run->script[s->step];
  const struct lg_config *cfg = &s->run->cfg;

  s->xfer_replied = s->xfer_data_done = 0;
  if (act == LG_ACT_LIST)
    send_cmd(s, ST_XFER, "LIST");
  else if (act == LG_ACT_RETR)
    send_cmd(s, ST_XFER, "RETR %s", cfg->retr_name);
  else
    send_cmd(s, ST_XFER, "STOR %s%u.bin", cfg->stor_prefix, s->id);
}

static void on_epsv(struct lg_sess *s, int code, const char *text) {
  unsigned port;
  int r;

  if (code != 229) {
    unexpected(s, code, text);
    return;
  }
  if (ftp_addr_parse_epsv_reply(text, &port) != 0) {
    fail(s, "no port in %d %s", code, text);
    return;
  }
  if ((r = lg_data_open(s, s->run->script[s->step], port, &s->data)) != 0) {
    fail(s, "data connection: %s", ftp_strerror(r));
    return;
  }
  start_command(s);
}

static void step_done_if_complete(struct lg_sess *s) {
  if (!s->xfer_replied || !s->xfer_data_done)
    return;
  lg_data_close(s->data);
  s->data = NULL;
  s->step++;
  next_step(s);
}

static void on_xfer(struct lg_sess *s, int code, const char *text) {
  if (code / 100 == 1)
    return;
  if (code / 100 != 2) {
    fail(s, "%s: %d %s", action_verbs[s->run->script[s->step]], code, text);
    return;
  }
  s->xfer_replied = 1;
  step_done_if_complete(s);
}

static void on_quit(struct lg_sess *s, int code, const char *text) {
  if (code == 221)
    finish(s, 1);
  else
    unexpected(s, code, text);
}

static on_reply_fn *const on_reply[ST__COUNT] = {
  [ST_CONNECTING] = unexpected, [ST_GREETING] = on_greeting,
  [ST_AUTH] = on_auth,          [ST_HANDSHAKE] = unexpected,
  [ST_USER] = on_user,          [ST_PASS] = on_pass,
  [ST_PBSZ] = on_pbsz,          [ST_PROT] = on_prot,
  [ST_TYPE] = on_type,
  [ST_HELD] = unexpected,       [ST_EPSV] = on_epsv,
  [ST_XFER] = on_xfer,          [ST_QUIT] = on_quit,
  [ST_DONE] = unexpected,
};

void lg__sess_data_done(struct lg_sess *s, int status) {
  if (s->done)
    return;
  if (status != 0) {
    fail(s, "%s data connection: %s", action_verbs[s->run->script[s->step]],
         ftp_strerror(status));
    return;
  }
  s->xfer_data_done = 1;
  step_done_if_complete(s);
}

/* --- reading the control connection ----------------------------------------- */

static void ctrl_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  struct lg_sess *s = ftp_chan_data(ch);
  (void)suggested;
  *buf = uv_buf_init((char *)s->run->rbuf, sizeof(s->run->rbuf));
}

static void feed(struct lg_sess *s, const unsigned char *p, size_t n) {
  size_t used;
  int r;

  while (n > 0 && !s->done) {
    r = ftp_reply_parse(&s->parser, p, n, &used, &s->reply);
    if (r < 0) {
      fail(s, "bad reply: %s", ftp_strerror(r));
      return;
    }
    if (r != FTP_REPLY_COMPLETE)
      return;
    p += used;
    n -= used;
    on_reply[s->state](s, s->reply.code, ftp_reply_text(&s->reply));
    /* Security, as in any client: bytes after the 234 came in clear
     * before TLS and must not be taken as replies. */
    if (s->state == ST_HANDSHAKE && n > 0) {
      fail(s, "bytes after the 234 reply to AUTH");
      return;
    }
  }
}

static void ctrl_read(struct ftp_chan *ch, ssize_t nread, const uv_buf_t *buf) {
  struct lg_sess *s = ftp_chan_data(ch);

  if (nread > 0) {
    feed(s, (const unsigned char *)buf->base, (size_t)nread);
    return;
  }
  if (nread == 0)
    return;
  if (s->state == ST_QUIT && nread == UV_EOF)
    finish(s, 1);
  else
    fail(s, "control connection: %s", ftp_strerror((int)nread));
}

/* --- connecting ------------------------------------------------------------- */

static void connect_cb(struct ftp_chan *ch, int status) {
  struct lg_sess *s = ftp_chan_data(ch);
  int r;

  if (s->done)
    return;
  if (status != 0) {
    fail(s, "%s", ftp_strerror(status));
    return;
  }
  ftp_chan_set_nodelay(s->ctrl, 1);
  s->state = ST_GREETING;
  if ((r = ftp_chan_read_start(s->ctrl, ctrl_alloc, ctrl_read)) != 0)
    fail(s, "read: %s", ftp_strerror(r));
}

static void source_address(const struct lg_run *run, unsigned id,
                           struct sockaddr_storage *ss) {
  struct sockaddr_in *sin = (struct sockaddr_in *)ss;

  memset(ss, 0, sizeof(*ss));
  sin->sin_family = AF_INET;
  sin->sin_addr.s_addr = htonl(run->cfg.src_first + id % run->cfg.src_count);
}

int lg_sess_start(struct lg_run *run, unsigned id) {
  struct ftp_chan_opts o;
  struct lg_sess *s;
  int r;

  if ((s = calloc(1, sizeof(*s))) == NULL)
    return FTP_E_NOMEM;
  s->run = run;
  s->id = id;
  s->state = ST_CONNECTING;
  ftp_reply_parser_init(&s->parser);
  ftp_reply_init(&s->reply);
  source_address(run, id, &s->src);
  lg__chan_opts(&o, 0);
  if ((r = ftp_chan_new(run->loop, &o, &s->ctrl)) != 0) {
    free(s);
    return r;
  }
  ftp_chan_set_data(s->ctrl, s);
  run->sess[id] = s;
  if ((r = ftp_chan_bind(s->ctrl, (struct sockaddr *)&s->src)) != 0 ||
      (r = ftp_chan_connect(s->ctrl, (struct sockaddr *)&run->server, connect_cb)) != 0)
    fail(s, "%s", ftp_strerror(r));
  return 0;
}
