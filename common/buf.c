/*
 * buf.c: the bounded byte buffer.  All growth goes through grow(), which
 * checks the limit and every size computation for overflow.
 */
#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"

/* A broken invariant means memory is already inconsistent: stop loudly. */
#define BUF_CHECK(b)                                                          \
  do {                                                                        \
    if ((b)->priv_off > (b)->priv_len || (b)->priv_len > (b)->priv_cap) {     \
      fprintf(stderr, "BUG: %s: inconsistent buffer\n", __func__);            \
      abort();                                                                \
    }                                                                         \
  } while (0)

static void wipe(void *p, size_t n) {
  /* explicit_bzero is not optimised away as a dead store. */
  if (p != NULL && n > 0)
    explicit_bzero(p, n);
}

void ftp_buf_init(struct ftp_buf *b, size_t max) {
  memset(b, 0, sizeof(*b));
  b->priv_max = max;
}

void ftp_buf_set_secret(struct ftp_buf *b) { b->priv_secret = 1; }

void ftp_buf_free(struct ftp_buf *b) {
  if (b == NULL)
    return;
  if (b->priv_secret)
    wipe(b->priv_data, b->priv_cap);
  free(b->priv_data);
  b->priv_data = NULL;
  b->priv_off = b->priv_len = b->priv_cap = 0;
}

void ftp_buf_reset(struct ftp_buf *b) {
  BUF_CHECK(b);
  if (b->priv_secret)
    wipe(b->priv_data, b->priv_cap);
  b->priv_off = b->priv_len = 0;
}

size_t ftp_buf_len(const struct ftp_buf *b) { return b->priv_len - b->priv_off; }

const unsigned char *ftp_buf_ptr(const struct ftp_buf *b) {
  return b->priv_data == NULL ? NULL : b->priv_data + b->priv_off;
}

size_t ftp_buf_max(const struct ftp_buf *b) { return b->priv_max; }

size_t ftp_buf_room(const struct ftp_buf *b) {
  return b->priv_max - ftp_buf_len(b);
}

/* Make room for n more bytes (plus one spare byte for ftp_buf_cstr). */
static int grow(struct ftp_buf *b, size_t n) {
  size_t used, need, cap;
  unsigned char *p;

  BUF_CHECK(b);
  used = ftp_buf_len(b);
  if (n > b->priv_max - used)
    return FTP_E_TOOBIG;
  need = used + n + 1;
  if (b->priv_len + n + 1 <= b->priv_cap)
    return 0;
  /* Slide the data down first when that alone makes room. */
  if (need <= b->priv_cap) {
    memmove(b->priv_data, b->priv_data + b->priv_off, used);
    if (b->priv_secret)
      wipe(b->priv_data + used, b->priv_cap - used);
    b->priv_len = used;
    b->priv_off = 0;
    return 0;
  }
  cap = b->priv_cap < 256 ? 256 : b->priv_cap;
  while (cap < need)
    cap = cap > SIZE_MAX / 2 ? need : cap * 2;
  if (cap > b->priv_max + 1)
    cap = b->priv_max + 1 >= need ? b->priv_max + 1 : need;
  if (b->priv_secret) {
    /* realloc could leave a copy of the secret behind. */
    p = malloc(cap);
    if (p == NULL)
      return FTP_E_NOMEM;
    if (used > 0)
      memcpy(p, b->priv_data + b->priv_off, used);
    wipe(b->priv_data, b->priv_cap);
    free(b->priv_data);
  } else {
    if (b->priv_off > 0) {
      memmove(b->priv_data, b->priv_data + b->priv_off, used);
    }
    p = realloc(b->priv_data, cap);
    if (p == NULL) {
      /* The data stays valid, now at offset 0. */
      b->priv_len = used;
      b->priv_off = 0;
      return FTP_E_NOMEM;
    }
  }
  b->priv_data = p;
  b->priv_cap = cap;
  b->priv_len = used;
  b->priv_off = 0;
  return 0;
}

int ftp_buf_reserve(struct ftp_buf *b, size_t n, unsigned char **out) {
  int r;

  if ((r = grow(b, n)) != 0)
    return r;
  *out = b->priv_data + b->priv_len;
  return 0;
}

void ftp_buf_commit(struct ftp_buf *b, size_t n) {
  if (n > b->priv_cap - b->priv_len || n > ftp_buf_room(b)) {
    fprintf(stderr, "BUG: %s: commit past reservation\n", __func__);
    abort();
  }
  b->priv_len += n;
}

int ftp_buf_put(struct ftp_buf *b, const void *p, size_t n) {
  unsigned char *dst;
  int r;

  if (n == 0)
    return 0;
  if ((r = ftp_buf_reserve(b, n, &dst)) != 0)
    return r;
  memcpy(dst, p, n);
  b->priv_len += n;
  return 0;
}

int ftp_buf_putc(struct ftp_buf *b, int c) {
  unsigned char ch = (unsigned char)c;
  return ftp_buf_put(b, &ch, 1);
}

int ftp_buf_puts(struct ftp_buf *b, const char *s) {
  return ftp_buf_put(b, s, strlen(s));
}

int ftp_buf_vputf(struct ftp_buf *b, const char *fmt, va_list ap) {
  va_list ap2;
  unsigned char *dst;
  int n, r;

  va_copy(ap2, ap);
  n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0)
    return FTP_E_BAD_ARG;
  /* grow() keeps one spare byte, which holds vsnprintf's NUL. */
  if ((r = ftp_buf_reserve(b, (size_t)n, &dst)) != 0)
    return r;
  vsnprintf((char *)dst, (size_t)n + 1, fmt, ap);
  b->priv_len += (size_t)n;
  return 0;
}

int ftp_buf_putf(struct ftp_buf *b, const char *fmt, ...) {
  va_list ap;
  int r;

  va_start(ap, fmt);
  r = ftp_buf_vputf(b, fmt, ap);
  va_end(ap);
  return r;
}

int ftp_buf_consume(struct ftp_buf *b, size_t n) {
  BUF_CHECK(b);
  if (n > ftp_buf_len(b))
    return FTP_E_BAD_ARG;
  if (n == 0)
    return 0; /* priv_data may be NULL: no pointer arithmetic on it */
  if (b->priv_secret)
    wipe(b->priv_data + b->priv_off, n);
  b->priv_off += n;
  if (b->priv_off == b->priv_len)
    b->priv_off = b->priv_len = 0;
  return 0;
}

int ftp_buf_get(struct ftp_buf *b, void *out, size_t n) {
  if (n > ftp_buf_len(b))
    return FTP_E_BAD_ARG;
  if (n > 0)
    memcpy(out, b->priv_data + b->priv_off, n);
  return ftp_buf_consume(b, n);
}

long ftp_buf_find(const struct ftp_buf *b, int c) {
  const unsigned char *p;
  size_t n = ftp_buf_len(b);

  if (n == 0)
    return -1;
  p = memchr(b->priv_data + b->priv_off, c, n);
  return p == NULL ? -1 : (long)(p - (b->priv_data + b->priv_off));
}

const char *ftp_buf_cstr(struct ftp_buf *b, int *err) {
  size_t n = ftp_buf_len(b);
  int r;

  /* grow(b, 0) guarantees the spare byte after the data. */
  if ((r = grow(b, 0)) != 0) {
    if (err != NULL)
      *err = r;
    return NULL;
  }
  if (n > 0 && memchr(b->priv_data + b->priv_off, 0, n) != NULL) {
    if (err != NULL)
      *err = FTP_E_NUL_IN_LINE;
    return NULL;
  }
  b->priv_data[b->priv_len] = 0;
  return (const char *)b->priv_data + b->priv_off;
}
