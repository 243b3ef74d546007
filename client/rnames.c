/*
 * rnames.c: remote names: NLST into a list, remote patterns, completion and
 * its cache.
 */
#include "rnames.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmdctx.h"
#include "err.h"
#include "localfs.h"
#include "replycodes.h"

/* NLST output kept in memory for mget, mdelete and completion. */
#define NAMES_MAX (64 * 1024 * 1024)

void ftpc_rnames_free(char **names, size_t n) {
  size_t i;

  if (names == NULL)
    return;
  for (i = 0; i < n; i++)
    free(names[i]);
  free(names);
}

/* --- listing -------------------------------------------------------------- */

static int mem_sink(void *arg, const void *p, size_t n) {
  return ftp_buf_put(arg, p, n);
}

/* Split NLST output into the last components of its lines. */
static int split_names(struct ftp_buf *b, char ***out, size_t *count) {
  const char *p = (const char *)ftp_buf_ptr(b), *end;
  size_t cap = 0, n = 0;
  char **v = NULL;

  /* An empty buffer has no storage: NULL + 0 is undefined behaviour. */
  end = p != NULL ? p + ftp_buf_len(b) : NULL;
  while (p != NULL && p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *e = nl != NULL ? nl : end, *s;
    char **grown;

    while (e > p && (e[-1] == '\r' || e[-1] == '/'))
      e--;
    for (s = e; s > p && s[-1] != '/'; s--)
      ;
    p = nl != NULL ? nl + 1 : end;
    if (e == s || (e - s == 1 && s[0] == '.') || (e - s == 2 && s[0] == '.' && s[1] == '.'))
      continue;
    if (n + 1 >= cap) {
      cap = cap ? cap * 2 : 64;
      if ((grown = realloc(v, cap * sizeof(*v))) == NULL)
        goto nomem;
      v = grown;
    }
    if ((v[n] = strndup(s, (size_t)(e - s))) == NULL)
      goto nomem;
    n++;
  }
  *out = v;
  *count = n;
  return 0;
nomem:
  ftpc_rnames_free(v, n);
  return FTP_E_NOMEM;
}

int ftpc_rnames_list(struct ftpc_shell *sh, const char *dir, char ***names,
                     size_t *n) {
  struct ftpc_xfer x;
  struct ftp_buf b;
  int r;

  *names = NULL;
  *n = 0;
  ftp_buf_init(&b, NAMES_MAX);
  memset(&x, 0, sizeof(x));
  x.kind = FTPC_XFER_NLST;
  x.remote = dir;
  x.ascii = 1;
  x.fd = -1;
  x.sink = mem_sink;
  x.sink_arg = &b;
  r = ftpc_transfer(sh->c, &x);
  /* 450 and 550 "no files": an empty directory, for some servers. */
  if (r == FTP_E_REFUSED && ftpc_reply(sh->c)->code == FTP_R_FILE_BUSY)
    r = 0;
  if (r == 0 && (r = split_names(&b, names, n)) != 0)
    r = ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "out of memory");
  else if (r != 0)
    r = ftpc_sh_engine_fail(sh, r);
  ftp_buf_free(&b);
  return r;
}

/* --- patterns ------------------------------------------------------------- */

/* A pattern without wildcards names itself. */
static int expand_literal(struct ftpc_shell *sh, const char *pattern, char ***out,
                          size_t *n) {
  char **v;

  if ((v = calloc(2, sizeof(*v))) == NULL || (v[0] = strdup(pattern)) == NULL) {
    free(v);
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "out of memory");
  }
  *out = v;
  *n = 1;
  return 0;
}

int ftpc_rnames_expand(struct ftpc_shell *sh, const char *pattern, char ***out,
                       size_t *n) {
  const char *slash = strrchr(pattern, '/');
  const char *base = slash != NULL ? slash + 1 : pattern;
  char dir[4096], **names = NULL, **v;
  size_t count = 0, i, k = 0;
  int r;

  *out = NULL;
  *n = 0;
  if (!ftpc_has_glob(pattern))
    return expand_literal(sh, pattern, out, n);
  snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - pattern) : 0, pattern);
  if (slash == pattern)
    snprintf(dir, sizeof(dir), "/");
  if ((r = ftpc_rnames_list(sh, slash != NULL ? dir : NULL, &names, &count)) != 0)
    return r;
  if ((v = calloc(count + 1, sizeof(*v))) == NULL) {
    ftpc_rnames_free(names, count);
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "out of memory");
  }
  for (i = 0; i < count; i++) {
    char full[8192];
    if (fnmatch(base, names[i], FNM_PERIOD) != 0)
      continue;
    if (slash != NULL)
      snprintf(full, sizeof(full), "%s%s%s", dir, strcmp(dir, "/") == 0 ? "" : "/", names[i]);
    else
      snprintf(full, sizeof(full), "%s", names[i]);
    if ((v[k] = strdup(full)) != NULL)
      k++;
  }
  ftpc_rnames_free(names, count);
  *out = v;
  *n = k;
  return 0;
}

/* --- completion ----------------------------------------------------------- */

void ftpc_rnames_forget(struct ftpc_shell *sh) {
  struct ftpc_rnames *c = &sh->names;

  ftpc_rnames_free(c->names, c->n);
  free(c->dir);
  c->names = NULL;
  c->dir = NULL;
  c->n = 0;
}

/* The names of dir in the cache, listed without showing replies if they
 * are not there yet.  A failed listing leaves the cache empty. */
static void load(struct ftpc_shell *sh, const char *dir) {
  struct ftpc_rnames *c = &sh->names;
  const struct ftpc_settings *s = ftpc_settings(sh->c);
  int show = s->show_replies, verbosity = s->verbosity;

  if (c->dir != NULL && strcmp(c->dir, dir) == 0)
    return;
  ftpc_rnames_forget(sh);
  if (!ftpc_logged_in(sh->c))
    return;
  ftpc_set_show_replies(sh->c, 0);
  ftpc_set_verbosity(sh->c, FTPC_QUIET);
  if (ftpc_rnames_list(sh, dir[0] ? dir : NULL, &c->names, &c->n) == 0)
    c->dir = strdup(dir);
  ftpc_set_show_replies(sh->c, show);
  ftpc_set_verbosity(sh->c, verbosity);
}

int ftpc_rnames_complete(struct ftpc_shell *sh, const char *text, char ***out,
                         size_t *n) {
  const char *slash = strrchr(text, '/');
  size_t dirlen = slash != NULL ? (size_t)(slash - text) + 1 : 0, i, k = 0;
  const char *base = text + dirlen;
  char dir[4096], full[8192], **v;

  *out = NULL;
  *n = 0;
  /* "a/b" lists "a", "/b" lists "/", "b" the working directory. */
  snprintf(dir, sizeof(dir), "%.*s", (int)(dirlen > 1 ? dirlen - 1 : dirlen), text);
  load(sh, dir);
  if ((v = calloc(sh->names.n + 1, sizeof(*v))) == NULL)
    return FTP_E_NOMEM;
  for (i = 0; i < sh->names.n; i++) {
    const char *name = sh->names.names[i];
    if (strncmp(name, base, strlen(base)) != 0)
      continue;
    snprintf(full, sizeof(full), "%.*s%s", (int)dirlen, text, name);
    if ((v[k] = strdup(full)) == NULL) {
      ftpc_rnames_free(v, k);
      return FTP_E_NOMEM;
    }
    k++;
  }
  *out = v;
  *n = k;
  return 0;
}
