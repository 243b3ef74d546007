/*
 * loadgen.c: the load generator's command line and scheduler.
 *
 *   loadgen --mode sessions|idle|xfer --host ADDR --port N --user U
 *           --pass P --cafile CA --count N [--concurrency N]
 *           [--src FIRST-ADDR] [--src-count N] [--timeout S]
 *           [--retr NAME --retr-file LOCAL] [--stor-prefix P --stor-file LOCAL]
 *           [--cipher NAME]
 *
 * It prints, on standard output, one line when every session has logged in
 * ("ready sessions=N seconds=S", idle and xfer modes) and one at the end
 * ("done ok=N failed=N seconds=S ..."); errors go to standard error.  In
 * idle mode the sessions are held until standard input ends (or a line
 * arrives), then each sends QUIT.  Exit status: 0 when every session did
 * all it was asked, 1 when any failed, 2 for a usage error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "err.h"
#include "loadgen.h"
#include "log.h"

#define ERRORS_SHOWN_MAX 10

static double seconds_since(uint64_t t0) { return (double)(uv_hrtime() - t0) / 1e9; }

void lg__run_error(struct lg_run *run, unsigned id, const char *fmt, ...) {
  va_list ap;

  if (run->errors_shown >= ERRORS_SHOWN_MAX)
    return;
  if (++run->errors_shown == ERRORS_SHOWN_MAX)
    fprintf(stderr, "loadgen: (further errors are counted, not shown)\n");
  fprintf(stderr, "loadgen: session %u: ", id);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* --- the scheduler ---------------------------------------------------------- */

/* Start sessions while the mode's limit allows: in sessions mode at most
 * `concurrency` running; otherwise at most `concurrency` logging in.  A
 * session that fails inside lg_sess_start calls back in here: the flags
 * turn that into one more pass of the loop instead of a recursion. */
static void fill(struct lg_run *run) {
  unsigned busy;

  if (run->filling) {
    run->refill = 1;
    return;
  }
  run->filling = 1;
  do {
    run->refill = 0;
    for (;;) {
      busy = run->cfg.mode == LG_MODE_SESSIONS ? run->active : run->logging_in;
      if (run->stopping || run->started >= run->cfg.count ||
          busy >= run->cfg.concurrency)
        break;
      if (run->t0 == 0)
        run->t0 = uv_hrtime();
      run->started++;
      run->active++;
      run->logging_in++;
      if (lg_sess_start(run, run->started - 1) != 0) {
        lg__run_error(run, run->started - 1, "cannot create the session");
        lg__run_session_done(run, NULL, 0, 0);
      }
    }
  } while (run->refill);
  run->filling = 0;
}

static void stop_watching(struct lg_run *run) {
  if (run->t_end == 0)
    run->t_end = uv_hrtime();
  uv_timer_stop(&run->deadline);
  if (run->input_open) {
    uv_read_stop((uv_stream_t *)&run->input);
    run->input_open = 0;
  }
}

static void release_held(struct lg_run *run) {
  unsigned i;

  run->released = 1;
  for (i = 0; i < run->cfg.count; i++)
    if (run->sess[i] != NULL)
      lg_sess_go(run->sess[i]);
}

/* Every session has logged in (or failed): announce it, and in xfer mode
 * start every transfer at once. */
static void check_all_logged_in(struct lg_run *run) {
  if (run->cfg.mode == LG_MODE_SESSIONS || run->released || run->stopping ||
      run->started < run->cfg.count || run->logging_in > 0)
    return;
  printf("ready sessions=%u failed=%u seconds=%.3f\n", run->logged_in,
         run->failed, seconds_since(run->t0));
  fflush(stdout);
  if (run->cfg.mode == LG_MODE_XFER) {
    run->t0 = uv_hrtime();
    release_held(run);
  }
}

void lg__run_logged_in(struct lg_run *run, struct lg_sess *s) {
  run->logging_in--;
  run->logged_in++;
  if (run->cfg.mode == LG_MODE_SESSIONS || run->released)
    lg_sess_go(s);
  fill(run);
  check_all_logged_in(run);
}

void lg__run_session_done(struct lg_run *run, struct lg_sess *s, int ok,
                          int logged_in) {
  (void)s;
  run->active--;
  if (!logged_in)
    run->logging_in--;
  if (ok)
    run->ok++;
  else
    run->failed++;
  fill(run);
  check_all_logged_in(run);
  if (run->active == 0 && (run->started == run->cfg.count || run->stopping))
    stop_watching(run);
}

static void deadline_cb(uv_timer_t *t) {
  struct lg_run *run = t->data;
  unsigned i;

  fprintf(stderr, "loadgen: the run took longer than %u s: stopping\n",
          run->cfg.timeout_s);
  run->stopping = 1;
  for (i = 0; i < run->cfg.count; i++)
    if (run->sess[i] != NULL)
      lg_sess_abort(run->sess[i]);
  stop_watching(run);
}

/* --- standard input (idle mode): its end lets the sessions go --------------- */

static void input_alloc(uv_handle_t *h, size_t suggested, uv_buf_t *buf) {
  static char scratch[256];
  (void)h;
  (void)suggested;
  *buf = uv_buf_init(scratch, sizeof(scratch));
}

static void input_read(uv_stream_t *st, ssize_t nread, const uv_buf_t *buf) {
  struct lg_run *run = st->data;
  (void)buf;

  if (nread == 0)
    return;
  uv_read_stop(st);
  run->input_open = 0;
  release_held(run);
}

static int watch_input(struct lg_run *run) {
  int r;

  if ((r = uv_pipe_init(run->loop, &run->input, 0)) != 0)
    return r;
  run->input.data = run;
  if ((r = uv_pipe_open(&run->input, 0)) != 0 ||
      (r = uv_read_start((uv_stream_t *)&run->input, input_alloc, input_read)) != 0)
    return r;
  run->input_open = 1;
  return 0;
}

/* --- set-up ----------------------------------------------------------------- */

static int load_file(const char *path, struct lg_blob *b) {
  uv_fs_t req;
  uv_buf_t ub;
  uv_file fd;
  ssize_t n;
  int r;

  if ((r = uv_fs_open(NULL, &req, path, UV_FS_O_RDONLY, 0, NULL)) < 0)
    goto out;
  fd = (uv_file)req.result;
  uv_fs_req_cleanup(&req);
  if ((r = uv_fs_fstat(NULL, &req, fd, NULL)) == 0) {
    b->n = (size_t)req.statbuf.st_size;
    uv_fs_req_cleanup(&req);
    if ((b->p = malloc(b->n > 0 ? b->n : 1)) == NULL)
      r = FTP_E_NOMEM;
  }
  for (size_t got = 0; r == 0 && got < b->n; got += (size_t)n) {
    ub = uv_buf_init((char *)b->p + got, (unsigned)(b->n - got));
    n = uv_fs_read(NULL, &req, fd, &ub, 1, (int64_t)got, NULL);
    uv_fs_req_cleanup(&req);
    if (n <= 0)
      r = n < 0 ? (int)n : FTP_E_PROTO;
  }
  uv_fs_close(NULL, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
out:
  if (r != 0)
    fprintf(stderr, "loadgen: %s: %s\n", path, ftp_strerror(r));
  return r;
}

static int tls_setup(struct lg_run *run, const char *cipher) {
  struct ftp_tls_config tc;
  const char *ciphers[1] = {cipher};
  char msg[512];

  memset(&tc, 0, sizeof(tc));
  tc.server = 0;
  tc.cafile = run->cfg.cafile;
  tc.ciphers = ciphers;
  tc.nciphers = 1;
  tc.session_lifetime = 86400;
  if (ftp_tls_ctx_new(&tc, &run->tls, msg, sizeof(msg)) != 0) {
    fprintf(stderr, "loadgen: TLS: %s\n", msg);
    return FTP_E_TLS;
  }
  return 0;
}

static void set_script(struct lg_run *run) {
  run->nscript = 0;
  if (run->cfg.mode == LG_MODE_SESSIONS) {
    run->script[run->nscript++] = LG_ACT_LIST;
  } else if (run->cfg.mode == LG_MODE_XFER) {
    run->script[run->nscript++] = LG_ACT_RETR;
    run->script[run->nscript++] = LG_ACT_STOR;
  }
}

/* --- the command line ------------------------------------------------------- */

static void usage(void) {
  fprintf(stderr,
          "usage: loadgen --mode sessions|idle|xfer --host ADDR --port N "
          "--user U --pass P\n"
          "               --cafile CA --count N [--concurrency N] [--src ADDR] "
          "[--src-count N]\n"
          "               [--timeout S] [--retr NAME --retr-file FILE] "
          "[--stor-prefix P --stor-file FILE]\n"
          "               [--cipher NAME]\n");
  exit(2);
}

static unsigned number(const char *s, unsigned lo, unsigned hi) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);

  if (*s == '\0' || *end != '\0' || v < lo || v > hi) {
    fprintf(stderr, "loadgen: %s: not a number from %u to %u\n", s, lo, hi);
    exit(2);
  }
  return (unsigned)v;
}

static uint32_t ipv4(const char *s) {
  struct sockaddr_storage ss;

  if (ftp_addr_from_string(s, 0, &ss) != 0 || ss.ss_family != AF_INET) {
    fprintf(stderr, "loadgen: %s: not an IPv4 address\n", s);
    exit(2);
  }
  return ntohl(((struct sockaddr_in *)&ss)->sin_addr.s_addr);
}

static enum lg_mode mode_of(const char *s) {
  if (strcmp(s, "sessions") == 0)
    return LG_MODE_SESSIONS;
  if (strcmp(s, "idle") == 0)
    return LG_MODE_IDLE;
  if (strcmp(s, "xfer") == 0)
    return LG_MODE_XFER;
  usage();
  return LG_MODE_SESSIONS;
}

static const struct option long_opts[] = {
  {"mode", required_argument, NULL, 'm'},     {"host", required_argument, NULL, 'H'},
  {"port", required_argument, NULL, 'p'},     {"user", required_argument, NULL, 'u'},
  {"pass", required_argument, NULL, 'P'},     {"cafile", required_argument, NULL, 'C'},
  {"count", required_argument, NULL, 'n'},    {"concurrency", required_argument, NULL, 'c'},
  {"src", required_argument, NULL, 's'},      {"src-count", required_argument, NULL, 'S'},
  {"timeout", required_argument, NULL, 't'},  {"retr", required_argument, NULL, 'r'},
  {"retr-file", required_argument, NULL, 'R'}, {"stor-prefix", required_argument, NULL, 'w'},
  {"stor-file", required_argument, NULL, 'W'}, {"cipher", required_argument, NULL, 'x'},
  {NULL, 0, NULL, 0}};

static void parse_options(int argc, char **argv, struct lg_config *c,
                          const char **cipher) {
  int o;

  c->concurrency = 32;
  c->src_first = ipv4("127.1.0.1");
  c->src_count = 1024;
  c->timeout_s = 300;
  *cipher = "TLS_AES_128_GCM_SHA256";
  while ((o = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
    switch (o) {
    case 'm': c->mode = mode_of(optarg); break;
    case 'H': c->host = optarg; break;
    case 'p': c->port = number(optarg, 1, 65535); break;
    case 'u': c->user = optarg; break;
    case 'P': c->pass = optarg; break;
    case 'C': c->cafile = optarg; break;
    case 'n': c->count = number(optarg, 1, 1000000); break;
    case 'c': c->concurrency = number(optarg, 1, 100000); break;
    case 's': c->src_first = ipv4(optarg); break;
    case 'S': c->src_count = number(optarg, 1, 1 << 20); break;
    case 't': c->timeout_s = number(optarg, 1, 86400); break;
    case 'r': c->retr_name = optarg; break;
    case 'R': c->retr_file = optarg; break;
    case 'w': c->stor_prefix = optarg; break;
    case 'W': c->stor_file = optarg; break;
    case 'x': *cipher = optarg; break;
    default: usage();
    }
  }
  if (optind != argc || c->host == NULL || c->port == 0 || c->user == NULL ||
      c->pass == NULL || c->cafile == NULL || c->count == 0 ||
      (c->mode == LG_MODE_XFER && (c->retr_name == NULL || c->retr_file == NULL ||
                                   c->stor_prefix == NULL || c->stor_file == NULL)))
    usage();
}

/* --- main ------------------------------------------------------------------- */

static int setup(struct lg_run *run, const char *cipher) {
  int r;

  if ((r = ftp_addr_from_string(run->cfg.host, run->cfg.port, &run->server)) != 0 ||
      run->server.ss_family != AF_INET) {
    fprintf(stderr, "loadgen: %s: not an IPv4 address\n", run->cfg.host);
    return FTP_E_BAD_ARG;
  }
  if (run->cfg.mode == LG_MODE_XFER &&
      ((r = load_file(run->cfg.retr_file, &run->retr)) != 0 ||
       (r = load_file(run->cfg.stor_file, &run->stor)) != 0))
    return r;
  if ((r = tls_setup(run, cipher)) != 0)
    return r;
  if ((run->sess = calloc(run->cfg.count, sizeof(*run->sess))) == NULL)
    return FTP_E_NOMEM;
  set_script(run);
  uv_timer_init(run->loop, &run->deadline);
  run->deadline.data = run;
  uv_timer_start(&run->deadline, deadline_cb, (uint64_t)run->cfg.timeout_s * 1000, 0);
  if (run->cfg.mode == LG_MODE_IDLE && (r = watch_input(run)) != 0) {
    fprintf(stderr, "loadgen: standard input: %s\n", ftp_strerror(r));
    return r;
  }
  return 0;
}

static void close_walk_cb(uv_handle_t *h, void *arg) {
  (void)arg;
  if (!uv_is_closing(h))
    uv_close(h, NULL);
}

int main(int argc, char **argv) {
  static struct lg_run run;
  const char *cipher;
  uv_loop_t loop;
  int r;

  parse_options(argc, argv, &run.cfg, &cipher);
  ftp_log_init("loadgen", FTP_LOG_WARN);
  if (uv_loop_init(&loop) != 0)
    return 1;
  run.loop = &loop;
  if ((r = setup(&run, cipher)) == 0) {
    fill(&run);
    uv_run(&loop, UV_RUN_DEFAULT);
  }
  uv_walk(&loop, close_walk_cb, NULL);
  uv_run(&loop, UV_RUN_DEFAULT);
  if (r == 0)
    printf("done ok=%u failed=%u seconds=%.3f resumed=%u full=%u bytes_down=%" PRIu64
           " bytes_up=%" PRIu64 "\n",
           run.ok, run.failed,
           run.t_end > run.t0 ? (double)(run.t_end - run.t0) / 1e9 : 0.0,
           run.data_resumed,
           run.data_full, run.bytes_down, run.bytes_up);
  ftp_tls_ctx_unref(run.tls);
  free(run.sess);
  free(run.retr.p);
  free(run.stor.p);
  uv_loop_close(&loop);
  return r != 0 || run.failed > 0 || run.ok != run.cfg.count ? 1 : 0;
}
