/*
 * fuzz_session.c: libFuzzer entry point for a whole control connection of
 * ftpd: framing, the dispatcher, the command table's preconditions, every
 * handler, login, AUTH/CCC, the thread-pool jobs and the session's end.
 *
 * Each input is one client.  Its first byte chooses how the session is set
 * up (below); the rest is what the client sends.  The session is real
 * (server/control.c and session.c, via ftpd_server_start_session) and
 * runs on its own libuv loop over a socketpair: no network.  Its users log
 * in to a throwaway tree (session_tree.h) that is rebuilt for every input;
 * session_client.h says how the client sends and what it checks in every
 * reply.
 *
 * Time: the harness runs the loop until nothing more can happen without
 * time passing (no thread-pool job or write in flight, nothing readable,
 * no timer due).  Then it lets time pass by firing the loop's earliest
 * timer at once: the login delay, a data connection's timeout, the
 * handshake bound, INACTIVE.  So every input ends, deterministically and
 * fast, with the session closed; the loop must then close with no handle
 * left, no descriptor leaked, and the tree beside the root untouched.
 *
 * Data connections: PASV/EPSV listen on the loopback address for real (no
 * one connects; the transfer waits until its timeout fires); PORT/EPRT
 * never connect: ftp_dataconn_connect is replaced at link time
 * (-Wl,--wrap) by a peer that refuses.
 *
 * The first byte:
 *   bits 0-1  configuration: 0 TLS allowed, anonymous, XFERLOG; 1 SECURE_FTP
 *             REQUIRED, PROT P, CCC allowed after login; 2 client
 *             certificates (SECURE_LOGIN VERIFY_USER); 3 strict network
 *             (PORTCOMMAND REJECT, NOREDIRECT, PASSIVEADDRESS, CCCNONOTIFY,
 *             INACTIVE 0, DATATIMEOUT 0, XFERLOG)
 *   bit 2     lockstep (else pipelined)
 *   bit 3     implicit TLS (as on TLSPORT)
 *   bit 4     the client has a certificate (CN=alice,O=Example)
 *   bit 5     IPv6 addresses (::1) instead of 127.0.0.1
 *   bit 6     pipelined input sent in pieces of a few bytes
 * Users (USERFILE): alice / alice-pw (also by certificate), bob / bob-pw
 * (readonly), carol (certificate only, unknown fingerprint), fuzzanon (the
 * ANONYMOUS account), nohome / nohome-pw (a home that does not exist).
 *
 * Set FUZZ_SESSION_LOG=7 to see ftpd's log (debug) on stderr.
 */
#include <crypt.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include "addr.h"
#include "chan.h"
#include "config.h"
#include "fuzz_check.h"
#include "data.h"
#include "dataconn.h"
#include "err.h"
#include "log.h"
#include "server.h"
#include "session.h"
#include "session_client.h"
#include "session_tree.h"
#include "tls_fixture.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int __wrap_ftp_dataconn_connect(const struct ftp_dataconn_opts *opts,
                                const struct sockaddr_storage *target,
                                struct ftp_dataconn **out);

/* The longest input worth running: a few hundred commands. */
#define INPUT_MAX (64 * 1024)

/* Bound on loop turns for one input; reaching it is a hang. */
#define STEPS_MAX 1000000

#define NCONFIGS 4

static struct ftpd_config *configs[NCONFIGS];
static struct tls_fixture fixture;
static gnutls_certificate_credentials_t cred_cert, cred_anon;
static size_t fds_baseline;
static const char *topdir;     /* D of session_tree.h */

static void die(const char *what) {
  fprintf(stderr, "fuzz_session: %s\n", what);
  abort();
}

/* Active mode never reaches the network: every peer refuses. */
int __wrap_ftp_dataconn_connect(const struct ftp_dataconn_opts *opts,
                                const struct sockaddr_storage *target,
                                struct ftp_dataconn **out) {
  (void)opts;
  (void)target;
  *out = NULL;
  return UV_ECONNREFUSED;
}

/* ASan keeps 256 MB of freed memory in quarantine by default, so every
 * allocation of a run lands on fresh pages, and page faults took a third of
 * the time.  An input frees a few MB at most: 16 MB still catches any use
 * after free within an input and across the next few. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "quarantine_size_mb=16"; }

/* --- set-up, once --------------------------------------------------------- */

static void write_text(const char *path, const char *text, unsigned mode) {
  FILE *f = fopen(path, "w");

  if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0 || chmod(path, mode) != 0)
    die("cannot write a set-up file");
}

static const char *hash(const char *setting, const char *pw) {
  static struct crypt_data cd;
  const char *h = crypt_r(pw, setting, &cd);

  if (h == NULL || h[0] == '*')
    die("crypt failed");
  return h;
}

static void write_users(const char *dir, const char *path) {
  char text[4096];
  int n;

  /* Cheap hashes: a password check per PASS must not dominate a run. */
  n = snprintf(text, sizeof(text),
               "# fuzz_session users\n"
               "alice:%s:%s/root:umask=022,cert-dn=CN=alice,O=Example\n",
               hash("$5$rounds=1000$fuzzsaltfuzzsalt", "alice-pw"), dir);
  n += snprintf(text + n, sizeof(text) - (size_t)n, "bob:%s:%s/root:readonly\n",
                hash("$6$rounds=1000$fuzzsalt", "bob-pw"), dir);
  n += snprintf(text + n, sizeof(text) - (size_t)n,
                "carol:!:%s/root:cert-sha256=%064d\n"
                "fuzzanon:*:%s/root:readonly\n",
                dir, 0, dir);
  snprintf(text + n, sizeof(text) - (size_t)n, "nohome:%s:%s/missing\n",
           hash("$5$rounds=1000$nohomesalt", "nohome-pw"), dir);
  write_text(path, text, 0600);
}

static void write_members(const char *dir) {
  static const char *const variant[NCONFIGS] = {
      "SECURE_FTP ALLOWED\nSECURE_DATACONN CLEAR\nSECURE_CTRLCONN CLEAR\n"
      "ANONYMOUS fuzzanon\nUMASK 027\nLISTSUBDIR TRUE\nXFERLOG /dev/null\n",
      "SECURE_FTP REQUIRED\nSECURE_DATACONN PRIVATE\nSECURE_CTRLCONN CLEAR\n"
      "SECURE_SESSION_REUSE REQUIRED\nTLSCLOSENOTIFY REQUIRED\n"
      "TLSRFCLEVEL RFC4217\n",
      "SECURE_FTP REQUIRED\nSECURE_LOGIN VERIFY_USER\n"
      "SECURE_PASSWORD OPTIONAL\nSECURE_DATACONN PRIVATE\n"
      "SECURE_CTRLCONN PRIVATE\nTLSCERTCROSSCHECK TRUE\n"
      "REPLYSECURITYLEVEL 1\n",
      "SECURE_FTP ALLOWED\nSECURE_CTRLCONN CLEAR\nTLSRFCLEVEL CCCNONOTIFY\n"
      "PORTCOMMAND REJECT\nPASSIVEDATACONN NOREDIRECT\n"
      "PASSIVEADDRESS 192.0.2.10\nINACTIVE 0\nDATATIMEOUT 0\n"
      "XFERLOG /dev/null\n"};
  char path[512], text[4096];
  int i;

  snprintf(path, sizeof(path), "%s/banner.txt", dir);
  write_text(path, "fuzz_session\nwelcome\n", 0644);
  snprintf(path, sizeof(path), "%s/loginmsg.txt", dir);
  write_text(path, "Files here are rebuilt for every input.\n", 0644);
  snprintf(path, sizeof(path), "%s/users", dir);
  write_users(dir, path);
  for (i = 0; i < NCONFIGS; i++) {
    snprintf(text, sizeof(text),
             "EXTENSIONS AUTH_TLS\nEXTENSIONS SIZE\nEXTENSIONS MDTM\n"
             "EXTENSIONS UTF8\nEXTENSIONS REST_STREAM\n"
             "KEYRING %s\nCAFILE %s\nUSERFILE %s/users\n"
             "BANNER %s/banner.txt\nLOGINMSG %s/loginmsg.txt\n"
             "INACTIVE 300\nDATATIMEOUT 60\nLOGINATTEMPTS 3\n%s",
             fixture.server, fixture.ca, dir, dir, dir, variant[i]);
    snprintf(path, sizeof(path), "%s/member%d.data", dir, i);
    write_text(path, text, 0644);
    if (ftpd_config_load(path, 0, &configs[i]) != 0)
      die("a member does not load (FUZZ_SESSION_LOG=7 says why)");
  }
}

/* Descriptors of the kinds a session opens: sockets, loop descriptors
 * (epoll, eventfd) and files of the tree.  Libraries may open a file of
 * their own once, lazily (time zones, GnuTLS's configuration): not counted. */
static size_t count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  char path[300], target[300];
  size_t n = 0;
  ssize_t len;

  if (d == NULL)
    die("cannot read /proc/self/fd");
  while ((e = readdir(d)) != NULL) {
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    if ((len = readlink(path, target, sizeof(target) - 1)) <= 0)
      continue;
    target[len] = '\0';
    if (strncmp(target, "socket:", 7) == 0 ||
        strncmp(target, "anon_inode:", 11) == 0 ||
        strncmp(target, topdir, strlen(topdir)) == 0)
      n++;
  }
  closedir(d);
  return n;
}

/* For a report: every open descriptor and what it is. */
static void list_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;
  char path[300], target[300];
  ssize_t n;

  while (d != NULL && (e = readdir(d)) != NULL) {
    snprintf(path, sizeof(path), "/proc/self/fd/%s", e->d_name);
    n = readlink(path, target, sizeof(target) - 1);
    target[n > 0 ? n : 0] = '\0';
    fprintf(stderr, "  fd %s -> %s\n", e->d_name, target);
  }
  if (d != NULL)
    closedir(d);
}

static void cleanup(void) {
  int i;

  for (i = 0; i < NCONFIGS; i++)
    ftpd_config_unref(configs[i]);
  gnutls_certificate_free_credentials(cred_cert);
  gnutls_certificate_free_credentials(cred_anon);
  tls_fixture_remove(&fixture);
  tree_remove();
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  const char *lvl = getenv("FUZZ_SESSION_LOG");
  const char *dir;
  static const uint8_t warmup[] = "\x04QUIT\r\n";

  (void)argc;
  (void)argv;
  /* Below FTP_LOG_ERR: silent unless asked. */
  ftp_log_init("fuzz_session", lvl != NULL ? atoi(lvl) : 0);
  signal(SIGPIPE, SIG_IGN);
  tls_fixture_make(&fixture);
  dir = topdir = tree_setup();
  write_members(dir);
  if (gnutls_certificate_allocate_credentials(&cred_cert) != 0 ||
      gnutls_certificate_allocate_credentials(&cred_anon) != 0 ||
      gnutls_certificate_set_x509_key_file(cred_cert, fixture.client,
                                           fixture.client,
                                           GNUTLS_X509_FMT_PEM) < 0)
    die("cannot load the client certificate");
  tree_seal();
  atexit(cleanup);
  /* After one run (the thread pool, libuv's signal pipe are made once),
   * every run must end with the descriptors it started with. */
  fds_baseline = (size_t)-1;
  LLVMFuzzerTestOneInput(warmup, sizeof(warmup) - 1);
  fds_baseline = count_fds();
  return 0;
}

/* --- one input ------------------------------------------------------------ */

struct run {
  uv_loop_t loop;
  struct ftpd_server srv;
  struct ftpd_listener listener; /* what the session was admitted on */
  struct client cl;
  int server_fd;
};

struct earliest {
  uv_timer_t *t;
  uint64_t due;
};

static void find_timer(uv_handle_t *h, void *arg) {
  struct earliest *e = arg;
  uv_timer_t *t = (uv_timer_t *)h;
  uint64_t due;

  if (h->type != UV_TIMER || !uv_is_active(h) || uv_is_closing(h))
    return;
  due = uv_timer_get_due_in(t);
  if (e->t == NULL || due < e->due) {
    e->t = t;
    e->due = due;
  }
}

/* Let time pass until the earliest timer is due: fire it now.  (libuv has
 * no call for that; timer_cb is the field uv_timer_start sets.) */
static int fire_earliest_timer(uv_loop_t *loop) {
  struct earliest e = {NULL, 0};

  uv_walk(loop, find_timer, &e);
  if (e.t == NULL)
    return 0;
  uv_timer_start(e.t, e.t->timer_cb, 0, uv_timer_get_repeat(e.t));
  return 1;
}

static int readable(int fd) {
  int n = 0;

  return ioctl(fd, FIONREAD, &n) == 0 ? n : 0;
}

/* RFC 959 4.1.3: during a transfer, ABOR and STAT are answered at once, so
 * a session that waits for its data connection (or anything else) must not
 * sit on a whole line it has not looked at. */
static void check_lines_looked_at(const struct ftpd_session *s) {
  const unsigned char *p;
  size_t n = ftp_cmd_reader_pending(&s->rd, &p);

  if (ftpd_data_xfer(s) != NULL && !s->have_held && n > 0 && memchr(p, '\n', n) != NULL)
    die("a transfer waits while a command line lies unread");
}

/* Nothing more happens without time passing: what now?
 * RETURNS: 0 when the run is over. */
static int advance(struct run *r) {
  const struct ftpd_session *s = r->srv.sessions;

  if (s != NULL && !s->closing)
    check_lines_looked_at(s);
  if (s == NULL) {
    if (!uv_loop_alive(&r->loop))
      return 0;
    if (fire_earliest_timer(&r->loop))
      return 1;
    uv_print_all_handles(&r->loop, stderr);
    die("handles are left after the session ended");
  }
  /* A lockstep client whose last line got no reply (a blank line) sends
   * the next one when the server waits for input: no time passes. */
  if (r->cl.o.lockstep && client_has_input(&r->cl) && !s->busy &&
      !s->have_held) {
    client_push(&r->cl);
    return 1;
  }
  if (fire_earliest_timer(&r->loop))
    return 1;
  if (r->cl.o.lockstep && client_has_input(&r->cl)) {
    client_push(&r->cl);
    return 1;
  }
  if (!r->cl.shut) {
    client_shutdown(&r->cl);
    return 1;
  }
  uv_print_all_handles(&r->loop, stderr);
  die("the session waits for nothing: it would never end");
  return 0;
}

/* The loop is quiet: nothing moved, nothing in flight, no timer due.  Make
 * sure: a reply written in the last turn, or bytes the server has not read
 * yet although it reads, are movement too. */
static int really_quiet(struct run *r) {
  int before;

  if (client_io(&r->cl))
    return 0;
  if (r->srv.nsessions == 0 || (before = readable(r->server_fd)) == 0)
    return 1;
  uv_run(&r->loop, UV_RUN_NOWAIT);
  return !client_io(&r->cl) && readable(r->server_fd) == before &&
         r->loop.active_reqs.count == 0;
}

static void drive(struct run *r) {
  unsigned steps;
  int moved;

  for (steps = 0; steps < STEPS_MAX; steps++) {
    moved = client_io(&r->cl);
    /* Block only for what will certainly come: a job or a write. */
    uv_run(&r->loop, !moved && r->loop.active_reqs.count > 0 ? UV_RUN_ONCE
                                                            : UV_RUN_NOWAIT);
    /* (uv_backend_timeout is also 0 for a loop with nothing left.) */
    if (moved || r->loop.active_reqs.count > 0 ||
        (uv_loop_alive(&r->loop) && uv_backend_timeout(&r->loop) == 0) ||
        !really_quiet(r))
      continue;
    if (!advance(r))
      return;
  }
  die("no end after STEPS_MAX turns of the loop");
}

static void set_addr(struct sockaddr_storage *ss, int v6, unsigned port) {
  if (ftp_addr_from_string(v6 ? "::1" : "127.0.0.1", port, ss) != 0)
    die("bad address");
}

static void start(struct run *r, unsigned sel) {
  struct ftp_chan_opts co = {0};
  struct ftpd_client c = {0};
  struct ftp_chan *ch;
  int sv[2];

  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
    die("socketpair");
  co.in_max = 64 * 1024;
  co.out_max = 4 * 1024 * 1024;
  co.release_idle = 1;
  if (ftp_chan_new(&r->loop, &co, &ch) != 0 ||
      ftp_chan_open(ch, sv[1]) != 0)
    die("cannot make the server's channel");
  r->server_fd = sv[1];
  set_addr(&c.addr, sel & 0x20, 50021);
  set_addr(&c.local, sel & 0x20, 21);
  c.front = c.local;
  r->listener.srv = &r->srv;
  r->listener.implicit = (sel & 0x08) != 0;
  r->listener.refs = 1;
  snprintf(r->listener.name, sizeof(r->listener.name), "fuzz");
  ftpd_server_start_session(&r->listener, ch, &c);
  r->cl.fd = sv[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct client_opts o = {0};
  struct run r;
  unsigned sel;
  int v;

  if (size < 1 || size > INPUT_MAX)
    return 0;
  sel = data[0];
  v = sel & 3;
  memset(&r, 0, sizeof(r));
  tree_reset();
  if (uv_loop_init(&r.loop) != 0 ||
      ftpd_server_init(&r.srv, &r.loop, configs[v], NULL, 0) != 0 ||
      ftpd_server_open_xferlog(&r.srv) != 0)
    die("cannot make a loop");
  o.lockstep = (sel & 0x04) != 0;
  o.implicit = (sel & 0x08) != 0;
  o.trickle = (sel & 0x40) != 0;
  o.tls_required = v == 1 || v == 2;
  o.ccc_no_notify = v == 3;
  o.anonymous = v == 0;
  o.has_cert = (sel & 0x10) != 0;
  o.cred = o.has_cert ? cred_cert : cred_anon;
  start(&r, sel);
  client_init(&r.cl, &o, r.cl.fd, data + 1, size - 1);
  drive(&r);
  client_free(&r.cl);
  close(r.cl.fd);
  if (uv_loop_close(&r.loop) != 0) {
    uv_print_all_handles(&r.loop, stderr);
    die("the loop does not close");
  }
  ftpd_server_free(&r.srv);
  tree_check();
  if (fds_baseline != (size_t)-1 && count_fds() != fds_baseline) {
    list_fds();
    die("a descriptor leaked");
  }
  return 0;
}
