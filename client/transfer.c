/*
 * transfer.c: downloads, uploads and listings for the shell and URL mode.
 */
#include "transfer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdctx.h"
#include "dest.h"
#include "err.h"
#include "localfs.h"
#include "replycodes.h"
#include "rnames.h"
#include "text.h"

/* --- progress ------------------------------------------------------------- */

struct view {
  struct ftpc_shell *sh;
  struct ftpc_xfer *x;
  uint64_t base;   /* bytes already there (reget) */
};

static void view_progress(void *arg, uint64_t bytes, int done) {
  struct view *v = arg;
  struct ftpc_progress *p = &v->sh->prog;

  if (!p->bar && !p->hash)
    return;
  if (p->total == 0 && v->x->size_hint > 0)
    p->total = v->x->size_hint >= v->base ? v->x->size_hint : v->base + v->x->size_hint;
  ftpc_progress_update(p, v->base + bytes, done);
}

static void view_start(struct view *v, struct ftpc_shell *sh, struct ftpc_xfer *x,
                       const char *name, uint64_t total, uint64_t base) {
  v->sh = sh;
  v->x = x;
  v->base = base;
  ftpc_progress_start(&sh->prog, ftpc_base_name(name), total, base);
  x->progress = view_progress;
  x->progress_arg = v;
}

static void summary(struct ftpc_shell *sh, const struct ftpc_xfer *x, const char *dir) {
  const struct ftpc_settings *s = ftpc_settings(sh->c);

  if (s->verbosity == FTPC_QUIET)
    return;
  fflush(stdout);
  ftpc_progress_summary(stderr, x->bytes, x->seconds, dir, x->desc,
                        s->verbosity >= FTPC_VERBOSE);
}

/* --- sinks ---------------------------------------------------------------- */

struct out_file {
  FILE *f;
  int clean; /* a terminal: replace control characters */
};

static int file_sink(void *arg, const void *p, size_t n) {
  struct out_file *o = arg;

  if (o->clean)
    ftpc_text_print(o->f, p, n, 1);
  else if (fwrite(p, 1, n, o->f) != n)
    return errno == EPIPE ? UV_EPIPE : UV_EIO;
  return 0;
}

static int raw_sink(void *arg, const void *p, size_t n) {
  struct out_file *o = arg;
  return fwrite(p, 1, n, o->f) == n ? 0 : UV_EIO;
}

/* --- downloads ------------------------------------------------------------ */

static int download_stdout(struct ftpc_shell *sh, const char *remote) {
  struct out_file o = {stdout, 0};
  struct ftpc_xfer x;
  struct view v;
  int r;

  memset(&x, 0, sizeof(x));
  x.kind = FTPC_XFER_RETR;
  x.remote = remote;
  x.ascii = sh->ascii;
  x.fd = -1;
  x.sink = raw_sink;
  x.sink_arg = &o;
  view_start(&v, sh, &x, remote, 0, 0);
  r = ftpc_transfer(sh->c, &x);
  fflush(stdout);
  if (r != 0)
    return ftpc_sh_engine_fail(sh, r);
  summary(sh, &x, "received");
  return 0;
}

/* reget: resume LOCAL.part; or LOCAL itself when it is shorter than the
 * remote file (BSD reget), which then becomes LOCAL.part.
 * RETURNS: 0 to go on, 1 when LOCAL is already complete, or a status. */
static int prepare_resume(struct ftpc_shell *sh, const char *remote, const char *local) {
  uv_loop_t *loop = ftpc_loop(sh->c);
  char part[4096 + 8];
  int64_t have, size = -1;
  struct ftp_reply rep;
  uv_fs_t req;
  int r;

  if (ftpc_part_name(local, part, sizeof(part)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: name too long", local);
  if (ftpc_local_size(loop, part, &have) == 0 || ftpc_local_size(loop, local, &have) != 0)
    return 0;
  ftp_reply_init(&rep);
  if (ftpc_command(sh->c, "SIZE", remote, &rep) == 0 && rep.code == FTP_R_FILE_STATUS)
    size = strtoll(ftp_reply_text(&rep), NULL, 10);
  ftp_reply_free(&rep);
  if (size >= 0 && have >= size)
    return 1;
  r = uv_fs_rename(loop, &req, local, part, NULL);
  uv_fs_req_cleanup(&req);
  if (r != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local, uv_strerror(r));
  return 0;
}

static void drop_empty_part(struct ftpc_shell *sh, const char *local) {
  char part[4096 + 8];
  int64_t size;
  uv_fs_t req;

  if (ftpc_part_name(local, part, sizeof(part)) == 0 &&
      ftpc_local_size(ftpc_loop(sh->c), part, &size) == 0 && size == 0) {
    uv_fs_unlink(ftpc_loop(sh->c), &req, part, NULL);
    uv_fs_req_cleanup(&req);
  }
}

/* A device, FIFO or socket: the data goes to fd in order; nothing to
 * resume and nothing to rename (reget is a plain get here). */
static int download_in_place(struct ftpc_shell *sh, const char *remote, const char *local,
                             uv_file fd) {
  struct ftpc_xfer x;
  struct view v;
  int r;

  memset(&x, 0, sizeof(x));
  x.kind = FTPC_XFER_RETR;
  x.remote = remote;
  x.ascii = sh->ascii;
  x.fd = fd;
  x.in_order = 1;
  view_start(&v, sh, &x, remote, 0, 0);
  r = ftpc_transfer(sh->c, &x);
  if (x.bytes > 0 || r == 0)
    summary(sh, &x, "received");
  if (r != 0) {
    int status = ftpc_sh_engine_fail(sh, r);
    if (x.bytes > 0)
      ftpc_sh_fail(sh, status, "%s (%s got an incomplete copy)", ftpc_error(sh->c), local);
    return status;
  }
  return 0;
}

/* A regular file or a new name: LOCAL.part, renamed to LOCAL. */
static int download_part(struct ftpc_shell *sh, const char *remote, const char *local,
                         int resume) {
  struct ftpc_xfer x;
  struct view v;
  int64_t off = 0;
  int r;

  if (resume && (r = prepare_resume(sh, remote, local)) != 0) {
    if (r == 1 && ftpc_settings(sh->c)->verbosity > FTPC_QUIET)
      fprintf(stderr, "ftp: %s is already complete\n", local);
    return r == 1 ? 0 : r;
  }
  memset(&x, 0, sizeof(x));
  if ((r = ftpc_part_open(ftpc_loop(sh->c), local, resume, &x.fd, &off)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s%s: %s", local, FTPC_PART_SUFFIX,
                        uv_strerror(r));
  x.kind = FTPC_XFER_RETR;
  x.remote = remote;
  x.ascii = sh->ascii;
  x.rest = off;
  view_start(&v, sh, &x, remote, 0, (uint64_t)off);
  r = ftpc_transfer(sh->c, &x);
  if (x.bytes > 0 || r == 0)
    summary(sh, &x, "received");
  if (r != 0) {
    int status = ftpc_sh_engine_fail(sh, r);
    if (x.bytes == 0 && off == 0)
      drop_empty_part(sh, local);
    else
      ftpc_sh_fail(sh, status, "%s (partial file kept: %s%s; reget resumes it)",
                   ftpc_error(sh->c), local, FTPC_PART_SUFFIX);
    return status;
  }
  if ((r = ftpc_part_commit(ftpc_loop(sh->c), local)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "rename %s%s to %s: %s", local,
                        FTPC_PART_SUFFIX, local, uv_strerror(r));
  return 0;
}

int ftpc_sh_download(struct ftpc_shell *sh, const char *remote, const char *local,
                     int resume) {
  struct ftpc_dest dest;
  uv_file fd;
  int r;

  if (strcmp(local, "-") == 0)
    return download_stdout(sh, remote);
  if ((r = ftpc_dest_open(local, &dest, &fd)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local,
                        r == UV_EISDIR    ? "is a directory"
                        : r == UV_ENOTSUP ? "is a socket: nothing can be written to it"
                                          : uv_strerror(r));
  if (dest.in_place)
    return download_in_place(sh, remote, local, fd);
  return download_part(sh, remote, dest.path, resume);
}

/* --- uploads -------------------------------------------------------------- */

int ftpc_sh_upload(struct ftpc_shell *sh, const char *local, const char *remote,
                   int append) {
  struct ftpc_xfer x;
  struct view v;
  int64_t size = 0;
  int r;

  memset(&x, 0, sizeof(x));
  if ((r = ftpc_local_open_read(ftpc_loop(sh->c), local, &x.fd, &size)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local,
                        r == UV_EISDIR ? "not a regular file" : uv_strerror(r));
  x.kind = append ? FTPC_XFER_APPE : FTPC_XFER_STOR;
  x.remote = remote;
  x.ascii = sh->ascii;
  view_start(&v, sh, &x, local, (uint64_t)size, 0);
  ftpc_rnames_forget(sh);
  r = ftpc_transfer(sh->c, &x);
  if (x.bytes > 0 || r == 0)
    summary(sh, &x, "sent");
  if (r != 0)
    return ftpc_sh_engine_fail(sh, r);
  return 0;
}

/* --- listings ------------------------------------------------------------- */

int ftpc_sh_list(struct ftpc_shell *sh, int kind, const char *remote, const char *local,
                 int append_local) {
  struct out_file o = {stdout, 0};
  struct ftpc_xfer x;
  int r;

  if (local != NULL && strcmp(local, "-") != 0) {
    if ((o.f = fopen(local, append_local ? "a" : "w")) == NULL)
      return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local, strerror(errno));
  } else {
    /* Security: names in a listing are the server's; a terminal must not
     * receive its escape sequences. */
    o.clean = isatty(STDOUT_FILENO);
  }
  memset(&x, 0, sizeof(x));
  x.kind = kind;
  x.remote = remote;
  x.ascii = 1;
  x.fd = -1;
  x.sink = file_sink;
  x.sink_arg = &o;
  r = ftpc_transfer(sh->c, &x);
  if (o.f != stdout && fclose(o.f) != 0 && r == 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local, strerror(errno));
  fflush(stdout);
  return r != 0 ? ftpc_sh_engine_fail(sh, r) : 0;
}
