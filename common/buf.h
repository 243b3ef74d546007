/*
 * buf.h: the one bounded byte buffer.
 *
 * A buffer holds a run of readable bytes between a read cursor and its end.
 * Writers append at the end; readers consume from the cursor.  Every buffer
 * has a maximum readable size fixed at init: growth past it fails with
 * FTP_E_TOOBIG, and every size computation is checked for overflow.  Memory
 * is allocated on first use and can be released when the buffer is empty, so
 * an idle session holds no buffer memory.
 *
 * The struct is declared here so that it can be embedded; its fields are
 * private to buf.c.
 */
#ifndef FTP_BUF_H
#define FTP_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct ftp_buf {
  unsigned char *priv_data;
  size_t priv_off;     /* read cursor */
  size_t priv_len;     /* end of data */
  size_t priv_cap;     /* allocated bytes */
  size_t priv_max;     /* limit on readable bytes */
  int priv_secret;     /* wipe memory before freeing or moving it */
};

/*
 * ftp_buf_init: make b an empty buffer that may hold at most max bytes.
 * No memory is allocated until the first write.
 */
void ftp_buf_init(struct ftp_buf *b, size_t max);

/*
 * ftp_buf_set_secret: the buffer holds a secret (a password): its memory is
 * wiped whenever it is freed, moved or reset.
 */
void ftp_buf_set_secret(struct ftp_buf *b);

/*
 * ftp_buf_free: release the memory (wiping it if secret).  The buffer stays
 * valid, empty, with the same maximum.  Accepts NULL.
 */
void ftp_buf_free(struct ftp_buf *b);

/* ftp_buf_reset: drop every byte but keep the memory. */
void ftp_buf_reset(struct ftp_buf *b);

/* ftp_buf_len: readable bytes.  ftp_buf_ptr: the first one (NULL if none
 * were ever written).  The pointer is valid until the next write. */
size_t ftp_buf_len(const struct ftp_buf *b);
const unsigned char *ftp_buf_ptr(const struct ftp_buf *b);
size_t ftp_buf_max(const struct ftp_buf *b);

/* ftp_buf_room: how many more bytes may be appended before the limit. */
size_t ftp_buf_room(const struct ftp_buf *b);

/*
 * ftp_buf_reserve: make room for n more bytes at the end and return a pointer
 * to them in *out; the caller writes there, then calls ftp_buf_commit with the
 * number of bytes actually written (<= n).
 * RETURNS: 0, FTP_E_TOOBIG past the limit, FTP_E_NOMEM.
 */
int ftp_buf_reserve(struct ftp_buf *b, size_t n, unsigned char **out);
void ftp_buf_commit(struct ftp_buf *b, size_t n);

/*
 * Appenders.  Each either appends everything or nothing.
 * RETURNS: 0, FTP_E_TOOBIG, FTP_E_NOMEM.
 */
int ftp_buf_put(struct ftp_buf *b, const void *p, size_t n);
int ftp_buf_putc(struct ftp_buf *b, int c);
int ftp_buf_puts(struct ftp_buf *b, const char *s);
int ftp_buf_putf(struct ftp_buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
int ftp_buf_vputf(struct ftp_buf *b, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

/*
 * Readers move the cursor.
 * ftp_buf_consume: skip n bytes.  ftp_buf_get: copy n bytes out, then skip.
 * RETURNS: 0, or FTP_E_BAD_ARG when fewer than n bytes are readable (the
 * buffer is then unchanged).
 */
int ftp_buf_consume(struct ftp_buf *b, size_t n);
int ftp_buf_get(struct ftp_buf *b, void *out, size_t n);

/*
 * ftp_buf_find: offset from the cursor of the first byte equal to c, or -1.
 */
long ftp_buf_find(const struct ftp_buf *b, int c);

/*
 * ftp_buf_cstr: the readable bytes as a NUL-terminated string (the NUL is
 * stored after the data and not counted).
 * RETURNS: the string, or NULL if the bytes contain a NUL (FTP_E_NUL_IN_LINE
 * is then stored in *err when err is not NULL) or memory ran out.
 */
const char *ftp_buf_cstr(struct ftp_buf *b, int *err);

#endif
