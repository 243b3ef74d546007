/*
 * fake_server.c: the scripted FTP server of the client's transcript tests.
 */
#include "fake_server.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "ftp_limits.h"

static void serve_next(struct fake *f);

static void say(struct fake *f, const char *text) {
  if (text != NULL && f->ch != NULL)
    ftp_chan_write(f->ch, text, strlen(text));
}

static void record(struct fake *f, const char *line) {
  ftp_buf_puts(&f->transcript, line);
  ftp_buf_putc(&f->transcript, '\n');
}

const char *fake_transcript(struct fake *f) {
  const char *s = ftp_buf_cstr(&f->transcript, NULL);
  return s != NULL ? s : "";
}

/* --- data ----------------------------------------------------------------- */

static void data_opts(struct fake *f, struct ftp_dataconn_opts *o) {
  memset(o, 0, sizeof(*o));
  o->loop = f->loop;
  o->role = FTP_DATACONN_SERVER;
  o->timeout_ms = 5000;
  o->tls = f->data_tls;
  o->tls_ctx = f->tls;
  o->server.resume = f->scope;
  /* Like vsftpd and ProFTPD: the data connection must resume the control
   * connection's session. */
  o->require_resume = 1;
}

static void die_poll(uv_timer_t *t) {
  struct fake *f = t->data;

  if (f->die_when(f->die_arg)) {
    uv_timer_stop(t);
    fake_stop(f);
  }
}

void fake_die_when(struct fake *f, int (*cond)(void *arg), void *arg) {
  f->die_when = cond;
  f->die_arg = arg;
}

static void data_done(struct ftp_dataconn *dc, int status) {
  struct fake *f = ftp_dataconn_data(dc);
  const struct fake_step *st = f->pending;

  f->pending = NULL;
  if (st->action == FA_SEND_DIE) {
    /* The server dies after the data: no final reply, ever. */
    if (f->die_when != NULL)
      uv_timer_start(&f->die_timer, die_poll, 1, 5);
    else
      fake_stop(f);
    return;
  }
  say(f, status == 0 ? st->reply2 : "426 data failed\r\n");
}

static int got_sink(struct ftp_dataconn *dc, const void *p, size_t n) {
  struct fake *f = ftp_dataconn_data(dc);
  return ftp_buf_put(&f->got, p, n);
}

static void data_ready(struct ftp_dataconn *dc, int status) {
  struct fake *f = ftp_dataconn_data(dc);
  const struct fake_step *st = f->pending;
  struct ftp_buf b;
  int r = 0;

  if (status != 0) {
    f->pending = NULL;
    say(f, status == FTP_E_TLS_NOT_RESUMED ? "522 session reuse required\r\n"
                                           : "425 no data connection\r\n");
    return;
  }
  switch (st->action) {
  case FA_SEND:
  case FA_SEND_DIE:
    ftp_buf_init(&b, 1 << 20);
    ftp_buf_puts(&b, st->data);
    r = ftp_dataconn_send_buf(dc, &b, data_done);
    ftp_buf_free(&b);
    break;
  case FA_RECV:
    r = ftp_dataconn_recv_sink(dc, 0, got_sink, data_done);
    break;
  default: /* FA_HANG */
    break;
  }
  ck_assert_int_eq(r, 0);
}

static void start_data(struct fake *f, const struct fake_step *st) {
  struct ftp_dataconn_opts o;

  if (f->dc == NULL) {
    data_opts(f, &o);
    ck_assert_int_eq(ftp_dataconn_connect(&o, &f->active, &f->dc), 0);
    ftp_dataconn_set_data(f->dc, f);
  }
  f->pending = st;
  ftp_dataconn_when_ready(f->dc, data_ready);
}

static void listen_data(struct fake *f) {
  struct ftp_dataconn_opts o;

  ftp_dataconn_free(f->dc);
  data_opts(f, &o);
  ck_assert_int_eq(ftp_dataconn_listen(&o, &f->addr, 0, 0, &f->dc, &f->port), 0);
  ftp_dataconn_set_data(f->dc, f);
}

/* --- steps ---------------------------------------------------------------- */

static void tls_done(struct ftp_chan *ch, int status) {
  struct fake *f = ftp_chan_data(ch);
  (void)f;
  (void)status;
}

static void start_tls(struct fake *f) {
  const unsigned char *rest = NULL;
  gnutls_session_t s;
  size_t n = ftp_cmd_reader_pending(&f->rd, &rest);

  if (f->issuer == NULL)
    ck_assert_int_eq(ftp_tls_issuer_new(&f->issuer), 0);
  if (f->scope == NULL)
    ck_assert_int_eq(ftp_tls_resume_new(f->issuer, &f->scope, 3600), 0);
  ck_assert_int_eq(ftp_tls_server_session(f->tls, f->scope, NULL, &s), 0);
  ck_assert_int_eq(ftp_chan_tls_start(f->ch, s, rest, n, tls_done), 0);
  ftp_cmd_reader_clear(&f->rd);
}

/* The reply with its first "%u" or "%s" replaced by val. */
static void subst(const char *tmpl, const char *val, char *out, size_t n) {
  const char *at = strstr(tmpl, "%u");

  if (at == NULL)
    at = strstr(tmpl, "%s");
  if (at == NULL) {
    snprintf(out, n, "%s", tmpl);
    return;
  }
  snprintf(out, n, "%.*s%s%s", (int)(at - tmpl), tmpl, val, at + 2);
}

static void flood(struct fake *f) {
  char line[1002];
  size_t i;

  memset(line, 'x', sizeof(line));
  memcpy(line, "220-", 4);
  line[1000] = '\r';
  line[1001] = '\n';
  for (i = 0; i < (FTP_REPLY_MAX / 1000) + 50; i++)
    ftp_chan_write(f->ch, line, sizeof(line));
}

static void do_reply(struct fake *f, const struct fake_step *st) {
  char text[512], hp[64];
  struct sockaddr_storage adv;
  struct ftp_buf b;

  switch (st->action) {
  case FA_EPSV:
    listen_data(f);
    snprintf(hp, sizeof(hp), "%u", f->port);
    subst(st->reply, hp, text, sizeof(text));
    say(f, text);
    return;
  case FA_PASV:
    listen_data(f);
    adv = f->addr;
    if (f->pasv_zero)
      ftp_addr_from_string("0.0.0.0", 0, &adv);
    ftp_addr_set_port(&adv, f->port);
    ftp_buf_init(&b, 64);
    ftp_addr_format_port(&adv, &b);
    snprintf(hp, sizeof(hp), "%s", ftp_buf_cstr(&b, NULL));
    ftp_buf_free(&b);
    subst(st->reply, hp, text, sizeof(text));
    say(f, text);
    return;
  case FA_FLOOD:
    flood(f);
    return;
  default:
    break;
  }
  say(f, st->reply);
  switch (st->action) {
  case FA_TLS:
    start_tls(f);
    break;
  case FA_CCC:
    ck_assert_int_eq(ftp_chan_tls_stop(f->ch, FTP_CHAN_CCC_NOTIFY, 0), 0);
    break;
  case FA_SEND:
  case FA_SEND_DIE:
  case FA_RECV:
  case FA_HANG:
    start_data(f, st);
    break;
  case FA_CLOSE:
    fake_stop(f);
    break;
  default:
    break;
  }
}

/* The line as the transcript shows it: ports of EPRT/PORT are '*'. */
static void transcript_line(const struct ftp_cmd *cmd, int active, char *out, size_t n) {
  if (active && strcmp(cmd->verb, "EPRT") == 0) {
    const char *last = strrchr(cmd->arg, '|');
    const char *prev = last;
    while (prev > cmd->arg && prev[-1] != '|')
      prev--;
    snprintf(out, n, "EPRT %.*s*|", (int)(prev - cmd->arg), cmd->arg);
    return;
  }
  if (active && strcmp(cmd->verb, "PORT") == 0) {
    snprintf(out, n, "PORT *");
    return;
  }
  snprintf(out, n, "%s%s%s", cmd->verb, cmd->has_arg ? " " : "", cmd->arg);
}

static void on_command(struct fake *f, const struct ftp_cmd *cmd) {
  const struct fake_step *st = f->pos < f->nsteps ? &f->script[f->pos] : NULL;
  int active = st != NULL && st->action == FA_ACTIVE;
  char line[FTP_CMD_LINE_MAX + 16];

  transcript_line(cmd, active, line, sizeof(line));
  record(f, line);
  if (st == NULL || strcmp(line, st->expect) != 0) {
    say(f, "500 not in the script\r\n");
    return;
  }
  f->pos++;
  if (active) {
    if (strcmp(cmd->verb, "EPRT") == 0)
      ck_assert_int_eq(ftp_addr_parse_eprt(cmd->arg, &f->active), 0);
    else
      ck_assert_int_eq(ftp_addr_parse_port(cmd->arg, &f->active), 0);
    ftp_dataconn_free(f->dc);
    f->dc = NULL;
  }
  if (strcmp(cmd->verb, "PROT") == 0 && st->reply != NULL && st->reply[0] == '2')
    f->data_tls = strcmp(cmd->arg, "P") == 0;
  do_reply(f, st);
}

static void serve_next(struct fake *f) {
  struct ftp_cmd cmd;
  int r;

  while (f->ch != NULL) {
    r = ftp_cmd_reader_next(&f->rd, &cmd);
    if (r == 0)
      break;
    if (r < 0) {
      record(f, "(bad line)");
      say(f, "500 bad line\r\n");
      continue;
    }
    on_command(f, &cmd);
    if (f->pos > 0 && f->script[f->pos - 1].action == FA_TLS)
      break; /* the rest is TLS */
  }
}

/* --- the control connection ----------------------------------------------- */

static char scratch[65536];

static void ctl_alloc(struct ftp_chan *ch, size_t suggested, uv_buf_t *buf) {
  (void)ch;
  (void)suggested;
  *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void ctl_read(struct ftp_chan *ch, ssize_t n, const uv_buf_t *buf) {
  struct fake *f = ftp_chan_data(ch);

  if (n > 0) {
    if (memchr(buf->base, 0xff, (size_t)n) != NULL)
      f->saw_iac = 1;
    ck_assert_int_eq(ftp_cmd_reader_feed(&f->rd, buf->base, (size_t)n), 0);
    serve_next(f);
  } else if (n < 0) {
    f->closed = 1;
  }
}

static void ch_closed(struct ftp_chan *ch) {
  struct fake *f = ftp_chan_data(ch);
  f->ch_open = 0;
}

static void accept_cb(uv_stream_t *server, int status) {
  struct fake *f = server->data;
  struct ftp_chan_opts co = {64 * 1024, 8 * 1024 * 1024, 0};

  ck_assert_int_eq(status, 0);
  ck_assert_ptr_null(f->ch);
  ck_assert_int_eq(ftp_chan_new(f->loop, &co, &f->ch), 0);
  ftp_chan_set_data(f->ch, f);
  f->ch_open = 1;
  ck_assert_int_eq(ftp_chan_accept(f->ch, server), 0);
  /* As ftpd: the Telnet Synch's urgent byte stays in the stream. */
  ftp_chan_set_oobinline(f->ch);
  ck_assert_int_eq(ftp_chan_read_start(f->ch, ctl_alloc, ctl_read), 0);
  if (f->nsteps > 0 && f->script[0].expect == NULL) {
    f->pos = 1;
    do_reply(f, &f->script[0]);
  }
}

void fake_start(struct fake *f, uv_loop_t *loop, const char *host,
                const struct fake_step *script, size_t n, const char *keyring) {
  struct ftp_tls_config tc;
  char err[256];
  int len = sizeof(f->addr);

  memset(f, 0, sizeof(*f));
  f->loop = loop;
  f->script = script;
  f->nsteps = n;
  ftp_buf_init(&f->transcript, 1 << 20);
  ftp_buf_init(&f->got, 64 << 20);
  ftp_cmd_reader_init(&f->rd);
  if (keyring != NULL) {
    memset(&tc, 0, sizeof(tc));
    tc.server = 1;
    tc.keyring = keyring;
    tc.session_lifetime = 3600;
    ck_assert_msg(ftp_tls_ctx_new(&tc, &f->tls, err, sizeof(err)) == 0, "%s", err);
  }
  ck_assert_int_eq(ftp_addr_from_string(host, 0, &f->addr), 0);
  ck_assert_int_eq(uv_timer_init(loop, &f->die_timer), 0);
  f->die_timer.data = f;
  f->die_timer_open = 1;
  ck_assert_int_eq(uv_tcp_init(loop, &f->listener), 0);
  f->listener.data = f;
  f->listener_open = 1;
  ck_assert_int_eq(uv_tcp_bind(&f->listener, (struct sockaddr *)&f->addr, 0), 0);
  ck_assert_int_eq(uv_listen((uv_stream_t *)&f->listener, 4, accept_cb), 0);
  ck_assert_int_eq(uv_tcp_getsockname(&f->listener, (struct sockaddr *)&f->addr, &len), 0);
  f->port = ftp_addr_port(&f->addr);
}

static void listener_closed(uv_handle_t *h) {
  struct fake *f = h->data;
  f->listener_open = 0;
}

static void die_timer_closed(uv_handle_t *h) {
  struct fake *f = h->data;
  f->die_timer_open = 0;
}

void fake_stop(struct fake *f) {
  if (f->die_timer_open && !uv_is_closing((uv_handle_t *)&f->die_timer))
    uv_close((uv_handle_t *)&f->die_timer, die_timer_closed);
  if (f->listener_open && !uv_is_closing((uv_handle_t *)&f->listener))
    uv_close((uv_handle_t *)&f->listener, listener_closed);
  if (f->ch != NULL) {
    ftp_chan_close(f->ch, ch_closed);
    f->ch = NULL;
  }
  ftp_dataconn_free(f->dc);
  f->dc = NULL;
  ftp_cmd_reader_free(&f->rd);
}

void fake_free(struct fake *f) {
  ftp_buf_free(&f->transcript);
  ftp_buf_free(&f->got);
  ftp_tls_ctx_unref(f->tls);
  ftp_tls_resume_free(f->scope);
  ftp_tls_issuer_free(f->issuer);
  f->tls = NULL;
  f->scope = NULL;
  f->issuer = NULL;
}
