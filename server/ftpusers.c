/*
 * ftpusers.c: the FTPUSERS deny list (ftpusers.h).
 */
#include "ftpusers.h"

#include <string.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "file.h"

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

int ftpd_ftpusers_match(const char *text, size_t len, const char *name) {
  size_t nlen = strlen(name), off = 0, end, s, e;
  const char *nl;

  if (nlen == 0)
    return 0;
  while (off < len) {
    nl = memchr(text + off, '\n', len - off);
    end = nl == NULL ? len : (size_t)(nl - text);
    for (s = off; s < end && is_blank(text[s]); s++)
      ;
    for (e = end; e > s && is_blank(text[e - 1]); e--)
      ;
    if (s < e && text[s] != '#' && e - s == nlen && memcmp(text + s, name, nlen) == 0)
      return 1;
    off = end + 1;
  }
  return 0;
}

int ftpd_ftpusers_check(const char *path, const char *name) {
  struct ftp_buf b;
  int r;

  ftp_buf_init(&b, FTPD_FTPUSERS_MAX);
  r = ftp_file_read(path, &b, NULL);
  if (r == UV_ENOENT)
    r = 0;
  else if (r == FTP_E_REFUSED)
    r = UV_EINVAL; /* not a regular file; FTP_E_REFUSED means "listed" */
  else if (r == 0 && ftpd_ftpusers_match((const char *)ftp_buf_ptr(&b), ftp_buf_len(&b), name))
    r = FTP_E_REFUSED;
  ftp_buf_free(&b);
  return r;
}
