/*
 * check_engine.c: the client's protocol engine (client/engine.c,
 * machine.c, login.c, data.c) against a scripted fake server on the
 * engine's own loop
 * (fake_server.c).  Each test asserts the exact transcript of commands the
 * client sent, and what the facade returned: plain and TLS logins, TLS
 * required but refused (no USER), AUTH SSL, a 234 followed by injected
 * bytes, PROT P refused (nothing transferred), EPSV refused then PASV, the
 * PASV address decision, REST for reget, active mode, ABOR on Ctrl-C (and
 * unanswered), PROT asked again inside a transfer, a reply flood, multi-line replies, certificate and host name refusals,
 * CCC, and the shell's .part handling.
 *
 * Run one case with CK_RUN_CASE=clear (or tls, shell, pasv).
 */
#include <check.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "addr.h"
#include "cmdtab.h"
#include "conf.h"
#include "engine.h"
#include "err.h"
#include "fake_server.h"
#include "log.h"
#include "shell.h"
#include "tls_fixture.h"

static struct tls_fixture fx;

static void fixture_up(void) { tls_fixture_make(&fx); }
static void fixture_down(void) { tls_fixture_remove(&fx); }

struct env {
  struct ftpc *c;
  struct fake f;
  struct ftp_conf conf;
  struct ftpc_settings s;
};

#define N(script) (sizeof(script) / sizeof(script[0]))
#define GREET {NULL, "220 fake ready\r\n", FA_NONE, NULL, NULL}

/* The engine's settings are its own once made: a test that needs other
 * construction-time ones (cafile, verify) gives them here. */
static void env_start_as(struct env *e, const struct fake_step *script, size_t n, int tls,
                         const char *listen_on, const char *cafile, int verify) {
  ftp_conf_init(&e->conf, FTP_CONF_CLIENT);
  memset(&e->s, 0, sizeof(e->s));
  e->s.conf = &e->conf;
  e->s.family = AF_INET;
  e->s.verify = verify;
  e->s.cafile = cafile;
  e->s.passive = 1;
  e->s.epsv4 = 1;
  e->s.prot = FTPC_PROT_AUTO;
  e->s.verbosity = FTPC_QUIET;
  ck_assert_int_eq(ftpc_new(&e->s, &e->c), 0);
  fake_start(&e->f, ftpc_loop(e->c), listen_on, script, n, tls ? fx.server : NULL);
}

static void env_start(struct env *e, const struct fake_step *script, size_t n, int tls,
                      const char *listen_on) {
  env_start_as(e, script, n, tls, listen_on, tls ? fx.ca : NULL, 1);
}

static void env_end(struct env *e) {
  fake_stop(&e->f);
  ftpc_free(e->c);
  fake_free(&e->f);
  ftp_conf_free(&e->conf);
}

static int open_fake(struct env *e, const char *host, int tls) {
  return ftpc_open(e->c, host, e->f.port, tls);
}

static int login(struct env *e, const char *user, const char *pass) {
  struct ftpc_creds cr = {user, pass, NULL, NULL, NULL};
  return ftpc_login(e->c, &cr);
}

static int buf_sink(void *arg, const void *p, size_t n) {
  return ftp_buf_put(arg, p, n);
}

/* LIST (or another kind) into b. */
static int list_into(struct env *e, int kind, struct ftp_buf *b, struct ftpc_xfer *x) {
  memset(x, 0, sizeof(*x));
  x->kind = kind;
  x->ascii = 1;
  x->fd = -1;
  x->sink = buf_sink;
  x->sink_arg = b;
  return ftpc_transfer(e->c, x);
}

/* --- clear ---------------------------------------------------------------- */

START_TEST(test_plain_login) {
  static const struct fake_step script[] = {
      GREET,
      {"USER demo", "331 Password please\r\n"},
      {"PASS s3cret", "230 Logged in\r\n"},
      {"QUIT", "221 Bye\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert(ftpc_connected(e.c) && !ftpc_tls(e.c));
  ck_assert_int_eq(login(&e, "demo", "s3cret"), 0);
  ck_assert(ftpc_logged_in(e.c));
  ck_assert_int_eq(ftpc_quit(e.c), 0);
  ck_assert(!ftpc_connected(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "USER demo\nPASS s3cret\nQUIT\n");
  env_end(&e);
}
END_TEST

static int ask_pw(void *arg, const char *prompt, char *buf, size_t n) {
  ck_assert_str_eq(prompt, "Password:");
  snprintf(buf, n, "%s", (const char *)arg);
  return 0;
}

START_TEST(test_login_prompts_and_fails) {
  static const struct fake_step script[] = {
      GREET,
      {"USER demo", "331 Password please\r\n"},
      {"PASS asked", "530 Login incorrect.\r\n"},
  };
  struct env e;
  struct ftpc_creds cr = {"demo", NULL, NULL, ask_pw, "asked"};
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  r = ftpc_login(e.c, &cr);
  ck_assert_int_eq(r, FTP_E_LOGIN);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_LOGIN);
  ck_assert_msg(strstr(ftpc_error(e.c), "530 Login incorrect") != NULL, "%s", ftpc_error(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "USER demo\nPASS asked\n");
  env_end(&e);
}
END_TEST

START_TEST(test_multiline_replies) {
  static const struct fake_step script[] = {
      {NULL, "220-Welcome\r\n220-to the\r\n220 fake server\r\n"},
      {"USER anonymous", "230-Hello\r\n   some text\r\n230 Done\r\n"},
      {"STAT", "211-Status\r\n 211 not the end\r\n second\r\n211 End\r\n"},
  };
  struct env e;
  struct ftp_reply rep;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(ftpc_reply(e.c)->code, 220);
  ck_assert_uint_eq(ftpc_reply(e.c)->nlines, 3);
  ck_assert_int_eq(login(&e, "anonymous", NULL), 0);
  ftp_reply_init(&rep);
  ck_assert_int_eq(ftpc_command(e.c, "STAT", NULL, &rep), 0);
  ck_assert_int_eq(rep.code, 211);
  ck_assert_uint_eq(rep.nlines, 4);
  ck_assert_str_eq(ftp_reply_text(&rep), "Status\n 211 not the end\n second\nEnd");
  ftp_reply_free(&rep);
  ck_assert_str_eq(fake_transcript(&e.f), "USER anonymous\nSTAT\n");
  env_end(&e);
}
END_TEST

START_TEST(test_command_refused_and_arg_injection) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"CWD nope", "550 No such directory.\r\n"},
  };
  struct env e;
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  r = ftpc_command(e.c, "CWD", "nope", NULL);
  ck_assert_int_eq(r, FTP_E_REFUSED);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_FAIL);
  ck_assert_str_eq(ftpc_error(e.c), "550 No such directory.");
  /* Security: CR LF in an argument never reaches the server. */
  ck_assert_int_eq(ftpc_command(e.c, "CWD", "x\r\nDELE y", NULL), FTP_E_BAD_ARG);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nCWD nope\n");
  env_end(&e);
}
END_TEST

START_TEST(test_epsv_refused_then_pasv) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"EPSV", "500 EPSV not understood\r\n"},
      {"PASV", "227 Entering Passive Mode (%s).\r\n", FA_PASV},
      {"LIST", "150 Here it comes\r\n", FA_SEND, "a.bin\r\nb.bin\r\n", "226 Done\r\n"},
      {"PASV", "227 Entering Passive Mode (%s).\r\n", FA_PASV},
      {"NLST", "150 Here it comes\r\n", FA_SEND, "x\r\n", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  ck_assert_int_eq(list_into(&e, FTPC_XFER_LIST, &b, &x), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "a.bin\nb.bin\n");
  ck_assert_str_eq(x.desc, "clear");
  /* EPSV is not tried again in this session. */
  ck_assert_int_eq(list_into(&e, FTPC_XFER_NLST, &b, &x), 0);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPSV\nPASV\nLIST\nPASV\nNLST\n");
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_pasv_zero_address_uses_peer) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"PASV", "227 Entering Passive Mode (%s).\r\n", FA_PASV},
      {"NLST", "150 go\r\n", FA_SEND, "f\r\n", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  e.f.pasv_zero = 1;
  e.s.epsv4 = 0;
  ftpc_set_epsv4(e.c, 0); /* EPSV4 FALSE: PASV first on IPv4 */
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  ck_assert_int_eq(list_into(&e, FTPC_XFER_NLST, &b, &x), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "f\n");
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nPASV\nNLST\n");
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_active_eprt) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"EPRT |1|127.0.0.1|*|", "200 EPRT ok\r\n", FA_ACTIVE},
      {"LIST", "150 go\r\n", FA_SEND, "one\r\n", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftpc_set_passive(e.c, 0);
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  ck_assert_int_eq(list_into(&e, FTPC_XFER_LIST, &b, &x), 0);
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "one\n");
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPRT |1|127.0.0.1|*|\nLIST\n");
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_active_eprt_refused_then_port) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"EPRT |1|127.0.0.1|*|", "502 EPRT not implemented\r\n", FA_ACTIVE},
      {"PORT *", "200 PORT ok\r\n", FA_ACTIVE},
      {"NLST", "150 go\r\n", FA_SEND, "n\r\n", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftpc_set_passive(e.c, 0);
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  ck_assert_int_eq(list_into(&e, FTPC_XFER_NLST, &b, &x), 0);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPRT |1|127.0.0.1|*|\nPORT *\nNLST\n");
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

static char tmpdir[256];

static void tmp_up(void) {
  snprintf(tmpdir, sizeof(tmpdir), "%s/engineXXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
  ck_assert_ptr_nonnull(mkdtemp(tmpdir));
  ck_assert_int_eq(chdir(tmpdir), 0);
}

static void tmp_down(void) {
  unlink("f.bin");
  unlink("f.bin.part");
  unlink("up.bin");
  rmdir(tmpdir);
}

static void write_file(const char *path, const char *s) {
  FILE *f = fopen(path, "w");
  ck_assert_ptr_nonnull(f);
  fputs(s, f);
  fclose(f);
}

static char *read_file(const char *path, char *buf, size_t n) {
  FILE *f = fopen(path, "r");
  size_t got;

  if (f == NULL)
    return NULL;
  got = fread(buf, 1, n - 1, f);
  buf[got] = 0;
  fclose(f);
  return buf;
}

START_TEST(test_rest_for_reget) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"TYPE I", "200 Binary\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"REST 5", "350 Restarting at 5\r\n"},
      {"RETR f.bin", "150 Opening (5 bytes)\r\n", FA_SEND, "56789", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  uv_fs_t req;
  char buf[64];

  tmp_up();
  write_file("f.bin", "01234");
  env_start(&e, script, N(script), 0, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  memset(&x, 0, sizeof(x));
  x.kind = FTPC_XFER_RETR;
  x.remote = "f.bin";
  x.rest = 5;
  x.fd = uv_fs_open(ftpc_loop(e.c), &req, "f.bin", O_WRONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  ck_assert_int_ge(x.fd, 0);
  ck_assert_int_eq(ftpc_transfer(e.c, &x), 0);
  ck_assert_int_eq(x.fd, -1); /* the engine took the descriptor */
  ck_assert_uint_eq(x.bytes, 5);
  ck_assert_uint_eq(x.size_hint, 5);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nTYPE I\nEPSV\nREST 5\nRETR f.bin\n");
  env_end(&e);
  ck_assert_str_eq(read_file("f.bin", buf, sizeof(buf)), "0123456789");
  tmp_down();
}
END_TEST

static void raise_cb(uv_timer_t *t) {
  (void)t;
  raise(SIGINT);
}

START_TEST(test_ctrl_c_sends_abor) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"LIST", "150 go\r\n", FA_HANG},
      {"ABOR", "426 Transfer aborted\r\n226 ABOR ok\r\n"},
      {"NOOP", "200 still here\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;
  uv_timer_t t;
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  uv_timer_init(ftpc_loop(e.c), &t);
  uv_timer_start(&t, raise_cb, 200, 0);
  r = list_into(&e, FTPC_XFER_LIST, &b, &x);
  ck_assert_int_eq(r, FTP_E_ABORTED);
  ck_assert_int_eq(ftpc_interrupted(e.c), 1);
  ck_assert(ftpc_connected(e.c));
  /* ABOR went with Telnet IP and Synch (IAC IP IAC DM). */
  ck_assert(e.f.saw_iac);
  /* Both replies were consumed: the next command gets its own. */
  ck_assert_int_eq(ftpc_command(e.c, "NOOP", NULL, NULL), 0);
  ck_assert_int_eq(ftpc_reply(e.c)->code, 200);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPSV\nLIST\nABOR\nNOOP\n");
  uv_close((uv_handle_t *)&t, NULL);
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

/* No reply to ABOR: the ABOR state's timeout (INACTTIME, at most 15 s)
 * ends the transfer as aborted, the drain of the download stops with it,
 * and the session goes on. */
START_TEST(test_abor_unanswered) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"LIST", "150 go\r\n", FA_HANG},
      {"ABOR", NULL},
      {"NOOP", "200 still here\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;
  uv_timer_t t;
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  e.conf.inacttime = 1;
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  uv_timer_init(ftpc_loop(e.c), &t);
  uv_timer_start(&t, raise_cb, 200, 0);
  r = list_into(&e, FTPC_XFER_LIST, &b, &x);
  ck_assert_int_eq(r, FTP_E_ABORTED);
  ck_assert_str_eq(ftpc_error(e.c), "interrupted: transfer aborted");
  ck_assert(ftpc_connected(e.c));
  ck_assert_int_eq(ftpc_command(e.c, "NOOP", NULL, NULL), 0);
  ck_assert_str_eq(fake_transcript(&e.f), "USER a\nEPSV\nLIST\nABOR\nNOOP\n");
  uv_close((uv_handle_t *)&t, NULL);
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_reply_flood) {
  static const struct fake_step script[] = {
      {NULL, NULL, FA_FLOOD},
  };
  struct env e;
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  r = open_fake(&e, "127.0.0.1", FTPC_TLS_OFF);
  ck_assert_int_eq(r, FTP_E_TOOBIG);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_CONN);
  ck_assert(!ftpc_connected(e.c));
  ck_assert_msg(strstr(ftpc_error(e.c), "longer than the limit") != NULL, "%s", ftpc_error(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "");
  env_end(&e);
}
END_TEST

START_TEST(test_greeting_refused) {
  static const struct fake_step script[] = {
      {NULL, "421 Too many users\r\n"},
  };
  struct env e;
  int r;

  env_start(&e, script, N(script), 0, "127.0.0.1");
  r = open_fake(&e, "127.0.0.1", FTPC_TLS_OFF);
  ck_assert_int_ne(r, 0);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_CONN);
  ck_assert_msg(strstr(ftpc_error(e.c), "421 Too many users") != NULL, "%s", ftpc_error(e.c));
  env_end(&e);
}
END_TEST

static int part_has_five_bytes(void *arg) {
  struct stat st;

  (void)arg;
  return stat("f.bin.part", &st) == 0 && st.st_size == 5;
}

START_TEST(test_server_dies_after_data) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"TYPE I", "200 Binary\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"RETR f.bin", "150 Opening (10 bytes)\r\n", FA_SEND_DIE, "01234", NULL},
  };
  struct env e;
  struct ftpc_opts o;
  struct ftpc_shell sh;
  char buf[64];
  int r;

  tmp_up();
  memset(&o, 0, sizeof(o));
  env_start(&e, script, N(script), 0, "127.0.0.1");
  /* The server dies once the client has written the data, not before. */
  fake_die_when(&e.f, part_has_five_bytes, NULL);
  ftpc_shell_init(&sh, e.c, &o, &e.conf, 0);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  r = ftpc_shell_exec(&sh, "get f.bin");
  /* The stream ended cleanly (in clear, that is all a FIN says), but no
   * 226 came: the download failed and nothing looks complete. */
  ck_assert_int_eq(r, FTPC_EXIT_CONN);
  ck_assert_int_eq(access("f.bin", F_OK), -1);
  /* What arrived before the control connection died is kept for reget. */
  ck_assert_ptr_nonnull(read_file("f.bin.part", buf, sizeof(buf)));
  ck_assert_str_eq(buf, "01234");
  ck_assert(!ftpc_connected(e.c));
  ftpc_shell_free(&sh);
  env_end(&e);
  tmp_down();
}
END_TEST

START_TEST(test_shell_get_refused_then_reget) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"TYPE I", "200 Binary\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"RETR f.bin", "150 Opening\r\n", FA_SEND, "01234", "426 Connection lost\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"REST 5", "350 Restarting at 5\r\n"},
      {"RETR f.bin", "150 Opening\r\n", FA_SEND, "56789", "226 Done\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"RETR missing", "550 No such file\r\n"},
  };
  struct env e;
  struct ftpc_opts o;
  struct ftpc_shell sh;
  char buf[64];

  tmp_up();
  memset(&o, 0, sizeof(o));
  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftpc_shell_init(&sh, e.c, &o, &e.conf, 0);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  /* 426 after the data: never complete, whatever arrived. */
  ck_assert_int_eq(ftpc_shell_exec(&sh, "get f.bin"), FTPC_EXIT_FAIL);
  ck_assert_int_eq(access("f.bin", F_OK), -1);
  ck_assert_str_eq(read_file("f.bin.part", buf, sizeof(buf)), "01234");
  ck_assert_int_eq(ftpc_shell_exec(&sh, "reget f.bin"), 0);
  ck_assert_str_eq(read_file("f.bin", buf, sizeof(buf)), "0123456789");
  ck_assert_int_eq(access("f.bin.part", F_OK), -1);
  /* A refused RETR leaves no empty .part behind. */
  ck_assert_int_eq(ftpc_shell_exec(&sh, "get missing"), FTPC_EXIT_FAIL);
  ck_assert_str_eq(sh.err, "550 No such file");
  ck_assert_int_eq(access("missing.part", F_OK), -1);
  ck_assert_str_eq(fake_transcript(&e.f),
                   "USER a\nTYPE I\nEPSV\nRETR f.bin\nEPSV\nREST 5\nRETR f.bin\n"
                   "EPSV\nRETR missing\n");
  ftpc_shell_free(&sh);
  env_end(&e);
  tmp_down();
}
END_TEST

/* pwd prints the name in the 257 reply, a doubled quote as one
 * (common/reply), and the reply itself when it holds no name. */
START_TEST(test_shell_pwd_quoted) {
  static const struct fake_step script[] = {
      GREET,
      {"USER a", "230 ok\r\n"},
      {"PWD", "257 \"/say \"\"hi\"\"\" is the current directory\r\n"},
      {"PWD", "257 no name here\r\n"},
  };
  struct env e;
  struct ftpc_opts o;
  struct ftpc_shell sh;
  char out[256];
  FILE *tmp = tmpfile();
  int saved = dup(STDOUT_FILENO);
  size_t got;

  ck_assert(tmp != NULL && saved >= 0);
  memset(&o, 0, sizeof(o));
  env_start(&e, script, N(script), 0, "127.0.0.1");
  ftpc_shell_init(&sh, e.c, &o, &e.conf, 0);
  ck_assert_int_eq(open_fake(&e, "127.0.0.1", FTPC_TLS_OFF), 0);
  ck_assert_int_eq(login(&e, "a", NULL), 0);
  fflush(stdout);
  ck_assert_int_ge(dup2(fileno(tmp), STDOUT_FILENO), 0);
  ck_assert_int_eq(ftpc_shell_exec(&sh, "pwd"), 0);
  ck_assert_int_eq(ftpc_shell_exec(&sh, "pwd"), 0);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  rewind(tmp);
  got = fread(out, 1, sizeof(out) - 1, tmp);
  out[got] = 0;
  fclose(tmp);
  ck_assert_str_eq(out, "Remote directory: /say \"hi\"\n257 no name here\n");
  ftpc_shell_free(&sh);
  env_end(&e);
}
END_TEST

/* --- TLS ------------------------------------------------------------------ */

START_TEST(test_require_tls_refused_no_user) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "504 Unknown security mechanism\r\n"},
      {"FEAT", "211-Features:\r\n MDTM\r\n SIZE\r\n211 End\r\n"},
  };
  struct env e;
  int r;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  r = open_fake(&e, "localhost", FTPC_TLS_REQUIRE);
  ck_assert_int_eq(r, FTP_E_TLS);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_CONN);
  ck_assert(!ftpc_connected(e.c));
  /* Security: no USER, no password, ever. */
  ck_assert_int_eq(login(&e, "demo", "secret"), UV_ENOTCONN);
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\nFEAT\n");
  env_end(&e);
}
END_TEST

START_TEST(test_require_tls_502) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "502 Command not implemented\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_REQUIRE), FTP_E_TLS);
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\n");
  env_end(&e);
}
END_TEST

START_TEST(test_attempt_tls_falls_back_to_clear) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "500 Unknown command\r\n"},
      {"FEAT", "500 Unknown command\r\n"},
      {"USER a", "331 pw\r\n"},
      {"PASS b", "230 ok\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_ATTEMPT), 0);
  ck_assert(!ftpc_tls(e.c));
  ck_assert_int_eq(login(&e, "a", "b"), 0);
  /* No TLS: no PBSZ/PROT either. */
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\nFEAT\nUSER a\nPASS b\n");
  env_end(&e);
}
END_TEST

START_TEST(test_attempt_tls_never_after_failure) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "431 No certificate available\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_ATTEMPT), FTP_E_TLS);
  ck_assert(!ftpc_connected(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\n");
  env_end(&e);
}
END_TEST

START_TEST(test_injection_after_234) {
  static const struct fake_step script[] = {
      GREET,
      /* One write: the 234 and a forged reply behind it. */
      {"AUTH TLS", "234 Proceed\r\n230 Logged in (injected)\r\n"},
  };
  struct env e;
  int r;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  r = open_fake(&e, "localhost", FTPC_TLS_REQUIRE);
  ck_assert_int_eq(r, FTP_E_PROTO);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_CONN);
  ck_assert_msg(strstr(ftpc_error(e.c), "injection") != NULL, "%s", ftpc_error(e.c));
  ck_assert(!ftpc_connected(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\n");
  env_end(&e);
}
END_TEST

#define TLS_LOGIN                                       \
  GREET,                                                \
  {"AUTH TLS", "234 Proceed\r\n", FA_TLS},              \
  {"USER demo", "331 Password\r\n"},                    \
  {"PASS pw", "230 Logged in\r\n"},                     \
  {"PBSZ 0", "200 PBSZ=0\r\n"},                         \
  {"PROT P", "200 Protection level Private\r\n"}

#define TLS_LOGIN_TRANSCRIPT "AUTH TLS\nUSER demo\nPASS pw\nPBSZ 0\nPROT P\n"

START_TEST(test_tls_login_list_resumed) {
  static const struct fake_step script[] = {
      TLS_LOGIN,
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"LIST", "150 go\r\n", FA_SEND, "a\r\nb\r\n", "226 Done\r\n"},
      {"TYPE I", "200 Binary\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"STOR up.bin", "150 go\r\n", FA_RECV, NULL, "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;
  uv_fs_t req;

  tmp_up();
  write_file("up.bin", "uploaded bytes\n");
  env_start(&e, script, N(script), 1, "127.0.0.1");
  ftp_buf_init(&b, 1 << 20);
  ck_assert_msg(open_fake(&e, "localhost", FTPC_TLS_REQUIRE) == 0, "%s", ftpc_error(e.c));
  ck_assert(ftpc_tls(e.c));
  ck_assert_int_eq(login(&e, "demo", "pw"), 0);
  ck_assert_msg(list_into(&e, FTPC_XFER_LIST, &b, &x) == 0, "%s", ftpc_error(e.c));
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "a\nb\n");
  /* The fake requires resumption, as vsftpd and ProFTPD do. */
  ck_assert_msg(strstr(x.desc, "resumed") != NULL, "%s", x.desc);
  memset(&x, 0, sizeof(x));
  x.kind = FTPC_XFER_STOR;
  x.remote = "up.bin";
  x.fd = uv_fs_open(ftpc_loop(e.c), &req, "up.bin", O_RDONLY, 0, NULL);
  uv_fs_req_cleanup(&req);
  ck_assert_msg(ftpc_transfer(e.c, &x) == 0, "%s", ftpc_error(e.c));
  ck_assert_str_eq(ftp_buf_cstr(&e.f.got, NULL), "uploaded bytes\n");
  ck_assert_str_eq(fake_transcript(&e.f),
                   TLS_LOGIN_TRANSCRIPT "EPSV\nLIST\nTYPE I\nEPSV\nSTOR up.bin\n");
  ftp_buf_free(&b);
  env_end(&e);
  tmp_down();
}
END_TEST

/* PROT C refused, then a transfer: the transfer asks again (the PROT step
 * continues with the transfer's next step) and runs in clear. */
START_TEST(test_prot_step_inside_transfer) {
  static const struct fake_step script[] = {
      TLS_LOGIN,
      {"PROT C", "536 Not now\r\n"},
      {"PROT C", "200 Protection level Clear\r\n"},
      {"EPSV", "229 Entering Extended Passive Mode (|||%u|)\r\n", FA_EPSV},
      {"LIST", "150 go\r\n", FA_SEND, "a\r\n", "226 Done\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_REQUIRE), 0);
  ck_assert_int_eq(login(&e, "demo", "pw"), 0);
  ck_assert_int_eq(ftpc_set_prot(e.c, FTPC_PROT_CLEAR), FTP_E_REFUSED);
  ck_assert_msg(list_into(&e, FTPC_XFER_LIST, &b, &x) == 0, "%s", ftpc_error(e.c));
  ck_assert_str_eq(ftp_buf_cstr(&b, NULL), "a\n");
  ck_assert_str_eq(x.desc, "clear");
  ck_assert_str_eq(fake_transcript(&e.f),
                   TLS_LOGIN_TRANSCRIPT "PROT C\nPROT C\nEPSV\nLIST\n");
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_prot_refused_nothing_in_clear) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "234 Proceed\r\n", FA_TLS},
      {"USER demo", "331 Password\r\n"},
      {"PASS pw", "230 Logged in\r\n"},
      {"PBSZ 0", "200 PBSZ=0\r\n"},
      {"PROT P", "536 PROT P not supported\r\n"},
  };
  struct env e;
  struct ftpc_xfer x;
  struct ftp_buf b;
  int r;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ftp_buf_init(&b, 1 << 20);
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_REQUIRE), 0);
  r = login(&e, "demo", "pw");
  ck_assert_int_eq(r, FTP_E_TLS);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_CONN);
  ck_assert(ftpc_logged_in(e.c));
  /* No data connection in clear: the transfer is refused before EPSV. */
  ck_assert_int_eq(list_into(&e, FTPC_XFER_LIST, &b, &x), FTP_E_TLS);
  ck_assert_str_eq(fake_transcript(&e.f), TLS_LOGIN_TRANSCRIPT);
  ftp_buf_free(&b);
  env_end(&e);
}
END_TEST

START_TEST(test_auth_ssl_when_feat_lists_it) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "504 Use AUTH SSL\r\n"},
      {"FEAT", "211-Features:\r\n AUTH SSL\r\n PBSZ\r\n211 End\r\n"},
      {"AUTH SSL", "234 Proceed\r\n", FA_TLS},
      {"USER demo", "230 Logged in\r\n"},
      {"PBSZ 0", "200 PBSZ=0\r\n"},
      {"PROT P", "200 Private\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ck_assert_msg(open_fake(&e, "localhost", FTPC_TLS_REQUIRE) == 0, "%s", ftpc_error(e.c));
  ck_assert(ftpc_tls(e.c));
  ck_assert_int_eq(login(&e, "demo", NULL), 0);
  ck_assert_str_eq(fake_transcript(&e.f),
                   "AUTH TLS\nFEAT\nAUTH SSL\nUSER demo\nPBSZ 0\nPROT P\n");
  env_end(&e);
}
END_TEST

START_TEST(test_untrusted_certificate) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "234 Proceed\r\n", FA_TLS},
  };
  struct env e;
  int r;

  env_start_as(&e, script, N(script), 1, "127.0.0.1", fx.other_ca, 1);
  r = open_fake(&e, "localhost", FTPC_TLS_REQUIRE);
  ck_assert_int_eq(r, FTP_E_TLS_VERIFY);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_VERIFY);
  ck_assert_msg(strstr(ftpc_error(e.c), "refused") != NULL, "%s", ftpc_error(e.c));
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\n");
  env_end(&e);
}
END_TEST

START_TEST(test_wrong_host_name) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "234 Proceed\r\n", FA_TLS},
  };
  struct env e;
  int r;

  /* The certificate names localhost and 127.0.0.1, not 127.0.0.2. */
  env_start(&e, script, N(script), 1, "127.0.0.2");
  r = open_fake(&e, "127.0.0.2", FTPC_TLS_REQUIRE);
  ck_assert_int_eq(r, FTP_E_TLS_VERIFY);
  ck_assert_int_eq(ftpc_exit_status(e.c, r), FTPC_EXIT_VERIFY);
  ck_assert_str_eq(fake_transcript(&e.f), "AUTH TLS\n");
  env_end(&e);
}
END_TEST

START_TEST(test_insecure_skips_verification) {
  static const struct fake_step script[] = {
      GREET,
      {"AUTH TLS", "234 Proceed\r\n", FA_TLS},
      {"USER demo", "230 ok\r\n"},
      {"PBSZ 0", "200 PBSZ=0\r\n"},
      {"PROT P", "200 Private\r\n"},
  };
  struct env e;

  env_start_as(&e, script, N(script), 1, "127.0.0.2", fx.other_ca, 0);
  ck_assert_int_eq(open_fake(&e, "127.0.0.2", FTPC_TLS_REQUIRE), 0);
  ck_assert_int_eq(login(&e, "demo", NULL), 0);
  env_end(&e);
}
END_TEST

START_TEST(test_ccc) {
  static const struct fake_step script[] = {
      TLS_LOGIN,
      {"CCC", "200 CCC command successful\r\n", FA_CCC},
      {"NOOP", "200 in clear now\r\n"},
  };
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_REQUIRE), 0);
  ck_assert_int_eq(login(&e, "demo", "pw"), 0);
  ck_assert_msg(ftpc_ccc(e.c) == 0, "%s", ftpc_error(e.c));
  ck_assert(!ftpc_tls(e.c) && ftpc_connected(e.c));
  ck_assert_int_eq(ftpc_command(e.c, "NOOP", NULL, NULL), 0);
  ck_assert_str_eq(ftpc_error(e.c), "");
  /* RFC 4217 section 6: no PROT after CCC. */
  ck_assert_int_eq(ftpc_set_prot(e.c, FTPC_PROT_CLEAR), FTP_E_PROTO);
  ck_assert_str_eq(fake_transcript(&e.f), TLS_LOGIN_TRANSCRIPT "CCC\nNOOP\n");
  env_end(&e);
}
END_TEST

START_TEST(test_ccc_refused_by_member) {
  static const struct fake_step script[] = {TLS_LOGIN};
  struct env e;

  env_start(&e, script, N(script), 1, "127.0.0.1");
  e.conf.tlsrfclevel = FTP_TLSRFCLEVEL_DRAFT;
  ck_assert_int_eq(open_fake(&e, "localhost", FTPC_TLS_REQUIRE), 0);
  ck_assert_int_eq(login(&e, "demo", "pw"), 0);
  ck_assert_int_eq(ftpc_ccc(e.c), FTP_E_PROTO);
  ck_assert_str_eq(fake_transcript(&e.f), TLS_LOGIN_TRANSCRIPT);
  env_end(&e);
}
END_TEST

/* --- the PASV address decision -------------------------------------------- */

struct pasv_case {
  const char *peer, *pasv;
  int ignore;
  const char *want;
  int replaced;
};

static const struct pasv_case pasv_cases[] = {
  {"203.0.113.5", "203.0.113.5", 0, "203.0.113.5", 0},
  {"203.0.113.5", "198.51.100.7", 0, "198.51.100.7", 0},   /* FXP-like: honoured */
  {"203.0.113.5", "10.0.0.5", 0, "203.0.113.5", 1},        /* NAT: private from public */
  {"203.0.113.5", "192.168.1.2", 0, "203.0.113.5", 1},
  {"203.0.113.5", "127.0.0.1", 0, "203.0.113.5", 1},
  {"10.0.0.1", "10.0.0.5", 0, "10.0.0.5", 0},              /* a private network */
  {"192.168.1.1", "203.0.113.9", 0, "203.0.113.9", 0},
  {"203.0.113.5", "0.0.0.0", 0, "203.0.113.5", 1},
  {"203.0.113.5", "198.51.100.7", 1, "203.0.113.5", 1},    /* PASSIVEIGNOREADDR */
  {"10.0.0.1", "10.0.0.5", 1, "10.0.0.1", 1},
};

START_TEST(test_pasv_target) {
  const struct pasv_case *pc = &pasv_cases[_i];
  struct sockaddr_storage peer, pasv, out, want;

  ck_assert_int_eq(ftp_addr_from_string(pc->peer, 21, &peer), 0);
  ck_assert_int_eq(ftp_addr_from_string(pc->pasv, 50001, &pasv), 0);
  ck_assert_int_eq(ftp_addr_from_string(pc->want, 50001, &want), 0);
  ck_assert_int_eq(ftpc_pasv_target(&peer, &pasv, pc->ignore, &out), pc->replaced);
  ck_assert_msg(ftp_addr_same_host(&out, &want), "case %d", _i);
  ck_assert_uint_eq(ftp_addr_port(&out), 50001);
}
END_TEST

static Suite *engine_suite(void) {
  Suite *s = suite_create("engine");
  TCase *tc = tcase_create("clear");

  tcase_add_test(tc, test_plain_login);
  tcase_add_test(tc, test_login_prompts_and_fails);
  tcase_add_test(tc, test_multiline_replies);
  tcase_add_test(tc, test_command_refused_and_arg_injection);
  tcase_add_test(tc, test_epsv_refused_then_pasv);
  tcase_add_test(tc, test_pasv_zero_address_uses_peer);
  tcase_add_test(tc, test_active_eprt);
  tcase_add_test(tc, test_active_eprt_refused_then_port);
  tcase_add_test(tc, test_rest_for_reget);
  tcase_add_test(tc, test_ctrl_c_sends_abor);
  tcase_add_test(tc, test_abor_unanswered);
  tcase_add_test(tc, test_reply_flood);
  tcase_add_test(tc, test_greeting_refused);
  suite_add_tcase(s, tc);

  tc = tcase_create("shell");
  tcase_add_test(tc, test_server_dies_after_data);
  tcase_add_test(tc, test_shell_get_refused_then_reget);
  tcase_add_test(tc, test_shell_pwd_quoted);
  suite_add_tcase(s, tc);

  tc = tcase_create("tls");
  tcase_add_checked_fixture(tc, fixture_up, fixture_down);
  tcase_add_test(tc, test_require_tls_refused_no_user);
  tcase_add_test(tc, test_require_tls_502);
  tcase_add_test(tc, test_attempt_tls_falls_back_to_clear);
  tcase_add_test(tc, test_attempt_tls_never_after_failure);
  tcase_add_test(tc, test_injection_after_234);
  tcase_add_test(tc, test_tls_login_list_resumed);
  tcase_add_test(tc, test_prot_refused_nothing_in_clear);
  tcase_add_test(tc, test_prot_step_inside_transfer);
  tcase_add_test(tc, test_auth_ssl_when_feat_lists_it);
  tcase_add_test(tc, test_untrusted_certificate);
  tcase_add_test(tc, test_wrong_host_name);
  tcase_add_test(tc, test_insecure_skips_verification);
  tcase_add_test(tc, test_ccc);
  tcase_add_test(tc, test_ccc_refused_by_member);
  suite_add_tcase(s, tc);

  tc = tcase_create("pasv");
  tcase_add_loop_test(tc, test_pasv_target, 0, (int)(sizeof(pasv_cases) / sizeof(pasv_cases[0])));
  suite_add_tcase(s, tc);
  return s;
}

int main(void) {
  SRunner *sr;
  int failed;

  ftp_log_init("check_engine", FTP_LOG_WARN);
  sr = srunner_create(engine_suite());

  srunner_run_all(sr, CK_NORMAL);
  failed = srunner_ntests_failed(sr);
  srunner_free(sr);
  return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
