/*
 * localfs.c: safe local names, .part files, local patterns.
 */
#include "localfs.h"

#include <fcntl.h>
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "err.h"

#define NAME_MAX_BYTES 255

static int is_sep(char ch) { return ch == '/' || ch == '\\'; }

int ftpc_safe_name(const char *remote, char *out, size_t n) {
  size_t end = strlen(remote), start, len, i;

  while (end > 0 && is_sep(remote[end - 1]))
    end--;
  start = end;
  while (start > 0 && !is_sep(remote[start - 1]))
    start--;
  len = end - start;
  if (len == 0 || len > NAME_MAX_BYTES || len >= n)
    return FTP_E_BAD_ARG;
  if ((len == 1 && remote[start] == '.') ||
      (len == 2 && remote[start] == '.' && remote[start + 1] == '.'))
    return FTP_E_BAD_ARG;
  for (i = 0; i < len; i++) {
    unsigned char ch = (unsigned char)remote[start + i];
    out[i] = ch < 0x20 || ch == 0x7f ? '_' : (char)ch;
  }
  out[len] = 0;
  return 0;
}

int ftpc_part_name(const char *local, char *out, size_t n) {
  int w = snprintf(out, n, "%s%s", local, FTPC_PART_SUFFIX);
  return w < 0 || (size_t)w >= n ? FTP_E_TOOBIG : 0;
}

/* The size from a finished stat request r of req: a regular file's only. */
static int regular_size(uv_fs_t *req, int r, int64_t *size) {
  if (r == 0) {
    if (!S_ISREG(req->statbuf.st_mode))
      r = UV_EISDIR;
    else
      *size = (int64_t)req->statbuf.st_size;
  }
  uv_fs_req_cleanup(req);
  return r;
}

static int fstat_size(uv_loop_t *loop, uv_file fd, int64_t *size) {
  uv_fs_t req;
  return regular_size(&req, uv_fs_fstat(loop, &req, fd, NULL), size);
}

static void close_fd(uv_loop_t *loop, uv_file fd) {
  uv_fs_t req;
  uv_fs_close(loop, &req, fd, NULL);
  uv_fs_req_cleanup(&req);
}

int ftpc_part_open(uv_loop_t *loop, const char *local, int resume, uv_file *fd,
                   int64_t *offset) {
  char part[4096 + 8];
  uv_fs_t req;
  int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (resume ? 0 : O_TRUNC);
  int r, f;

  *fd = -1;
  *offset = 0;
  if ((r = ftpc_part_name(local, part, sizeof(part))) != 0)
    return r;
  f = uv_fs_open(loop, &req, part, flags, 0666, NULL);
  uv_fs_req_cleanup(&req);
  if (f < 0)
    return f;
  if (resume && (r = fstat_size(loop, f, offset)) != 0) {
    close_fd(loop, f);
    return r;
  }
  *fd = f;
  return 0;
}

int ftpc_part_commit(uv_loop_t *loop, const char *local) {
  char part[4096 + 8];
  uv_fs_t req;
  int r;

  if ((r = ftpc_part_name(local, part, sizeof(part))) != 0)
    return r;
  r = uv_fs_rename(loop, &req, part, local, NULL);
  uv_fs_req_cleanup(&req);
  return r;
}

int ftpc_local_size(uv_loop_t *loop, const char *path, int64_t *size) {
  uv_fs_t req;
  return regular_size(&req, uv_fs_stat(loop, &req, path, NULL), size);
}

int ftpc_local_open_read(uv_loop_t *loop, const char *path, uv_file *fd,
                         int64_t *size) {
  uv_fs_t req;
  int r, f;

  *fd = -1;
  f = uv_fs_open(loop, &req, path, O_RDONLY | O_CLOEXEC, 0, NULL);
  uv_fs_req_cleanup(&req);
  if (f < 0)
    return f;
  if ((r = fstat_size(loop, f, size)) != 0) {
    close_fd(loop, f);
    return r;
  }
  *fd = f;
  return 0;
}

int ftpc_has_glob(const char *s) { return strpbrk(s, "*?[") != NULL; }

const char *ftpc_base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash != NULL ? slash + 1 : path;
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

int ftpc_local_glob(const char *pattern, char ***paths, size_t *n) {
  glob_t g;
  struct stat st;
  char **v;
  size_t i, k = 0;
  int r;

  *paths = NULL;
  *n = 0;
  r = glob(pattern, GLOB_TILDE, NULL, &g);
  if (r == GLOB_NOMATCH)
    return 0;
  if (r != 0)
    return r == GLOB_NOSPACE ? FTP_E_NOMEM : UV_EIO;
  if ((v = calloc(g.gl_pathc + 1, sizeof(*v))) == NULL) {
    globfree(&g);
    return FTP_E_NOMEM;
  }
  for (i = 0; i < g.gl_pathc; i++) {
    if (stat(g.gl_pathv[i], &st) != 0 || !S_ISREG(st.st_mode))
      continue;
    if ((v[k] = strdup(g.gl_pathv[i])) == NULL) {
      globfree(&g);
      ftpc_local_glob_free(v, k);
      return FTP_E_NOMEM;
    }
    k++;
  }
  globfree(&g);
  qsort(v, k, sizeof(*v), cmp_str);
  *paths = v;
  *n = k;
  return 0;
}

void ftpc_local_glob_free(char **paths, size_t n) {
  size_t i;

  if (paths == NULL)
    return;
  for (i = 0; i < n; i++)
    free(paths[i]);
  free(paths);
}
