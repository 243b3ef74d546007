/*
 * err.c: names and messages for the project's error codes, and the one
 * mapping from an error to the FTP reply that reports it.
 */
#include "err.h"

#include <errno.h>
#include <gnutls/gnutls.h>
#include <stddef.h>
#include <uv.h>

#include "replycodes.h"

struct err_entry {
  const char *name;
  const char *msg;
};

static const struct err_entry err_table[] = {
#define FTP_ERR_ENTRY(name, msg) {"FTP_E_" #name, msg},
  FTP_ERR_MAP(FTP_ERR_ENTRY)
#undef FTP_ERR_ENTRY
};

int ftp_err_is_ours(int r) {
  return r > FTP_E__FIRST && r < FTP_E__LAST;
}

static const struct err_entry *lookup(int r) {
  if (!ftp_err_is_ours(r))
    return NULL;
  return &err_table[r - FTP_E__FIRST - 1];
}

int ftp_err_gnutls(int g) {
  if (g == 0)
    return 0;
  if (g < 0 && g > -FTP_E__GNUTLS_SPAN)
    return FTP_E__GNUTLS_BASE + g;
  return FTP_E_TLS;
}

/* The GnuTLS error a code carries, or 0. */
static int gnutls_of(int r) {
  if (r < FTP_E__GNUTLS_BASE && r > FTP_E__GNUTLS_BASE - FTP_E__GNUTLS_SPAN)
    return r - FTP_E__GNUTLS_BASE;
  return 0;
}

const char *ftp_err_name(int r) {
  const struct err_entry *e = lookup(r);
  const char *name;

  if (e != NULL)
    return e->name;
  if (r == 0)
    return "OK";
  if (gnutls_of(r) != 0)
    return (name = gnutls_strerror_name(gnutls_of(r))) != NULL ? name : "GNUTLS_E_?";
  /* libuv formats unknown codes itself but leaks a small buffer for them;
   * its table covers every errno we can meet. */
  return uv_err_name(r);
}

const char *ftp_strerror(int r) {
  const struct err_entry *e = lookup(r);
  if (e != NULL)
    return e->msg;
  if (r == 0)
    return "success";
  if (gnutls_of(r) != 0)
    return gnutls_strerror(gnutls_of(r));
  return uv_strerror(r);
}

struct reply_map {
  int err;
  int code;
  const char *text;
};

/* Filesystem and network errors as the reply a client should see.  The
 * texts never name a path or address: handlers add that context. */
static const struct reply_map reply_table[] = {
  {UV_ENOENT, FTP_R_FILE_UNAVAILABLE, "No such file or directory"},
  {UV_EACCES, FTP_R_FILE_UNAVAILABLE, "Permission denied"},
  {UV_EPERM, FTP_R_FILE_UNAVAILABLE, "Permission denied"},
  {UV_EROFS, FTP_R_FILE_UNAVAILABLE, "Read-only file system"},
  {UV_EEXIST, FTP_R_FILE_UNAVAILABLE, "File exists"},
  {UV_ENOTDIR, FTP_R_FILE_UNAVAILABLE, "Not a directory"},
  {UV_EISDIR, FTP_R_FILE_UNAVAILABLE, "Is a directory"},
  {UV_ENOTEMPTY, FTP_R_FILE_UNAVAILABLE, "Directory not empty"},
  {UV_ELOOP, FTP_R_FILE_UNAVAILABLE, "Too many levels of symbolic links"},
  {UV_EXDEV, FTP_R_FILE_UNAVAILABLE, "Cross-device operation not permitted"},
  {UV_EBUSY, FTP_R_FILE_BUSY, "File busy"},
  {UV_ENOSPC, FTP_R_NO_SPACE, "Insufficient storage space"},
  {-EDQUOT, FTP_R_EXCEEDED_STORAGE, "Disk quota exceeded"},
  {UV_EFBIG, FTP_R_EXCEEDED_STORAGE, "File too large"},
  {UV_ENAMETOOLONG, FTP_R_BAD_FILENAME, "File name too long"},
  {UV_EINVAL, FTP_R_BAD_FILENAME, "File name not allowed"},
  {UV_EIO, FTP_R_LOCAL_ERROR, "Local I/O error"},
  {UV_ETIMEDOUT, FTP_R_TRANSFER_ABORTED, "Data connection timed out"},
  {UV_ECONNRESET, FTP_R_TRANSFER_ABORTED, "Connection reset; transfer aborted"},
  {UV_EPIPE, FTP_R_TRANSFER_ABORTED, "Connection closed; transfer aborted"},
  {UV_ECONNABORTED, FTP_R_TRANSFER_ABORTED, "Connection closed; transfer aborted"},
  {UV_EOF, FTP_R_TRANSFER_ABORTED, "Connection closed; transfer aborted"},
  {UV_ECONNREFUSED, FTP_R_CANT_OPEN_DATA, "Can't open data connection"},
  {UV_EHOSTUNREACH, FTP_R_CANT_OPEN_DATA, "Can't open data connection"},
  {UV_ENETUNREACH, FTP_R_CANT_OPEN_DATA, "Can't open data connection"},
  {UV_EADDRINUSE, FTP_R_CANT_OPEN_DATA, "Can't open data connection"},
  {FTP_E_LINE_TOO_LONG, FTP_R_SYNTAX, "Command line too long"},
  {FTP_E_NUL_IN_LINE, FTP_R_SYNTAX, "NUL byte in command line"},
  {FTP_E_CR_IN_LINE, FTP_R_SYNTAX, "CR inside command line"},
  {FTP_E_BAD_VERB, FTP_R_SYNTAX, "Syntax error, command unrecognized"},
  {FTP_E_SYNTAX, FTP_R_SYNTAX_ARG, "Syntax error in parameters or arguments"},
  {FTP_E_BAD_ARG, FTP_R_SYNTAX_ARG, "Syntax error in parameters or arguments"},
  {FTP_E_AF_UNSUPPORTED, FTP_R_EXT_UNSUPPORTED, "Network protocol not supported, use (1,2)"},
  {FTP_E_REFUSED, FTP_R_NOT_IMPL_PARAM, "Command not allowed for that parameter"},
  {FTP_E_TLS, FTP_R_CANT_OPEN_DATA, "TLS negotiation failed on data connection"},
  {FTP_E_TLS_VERIFY, FTP_R_CANT_OPEN_DATA, "TLS certificate verification failed"},
  {FTP_E_TLS_TRUNCATED, FTP_R_TRANSFER_ABORTED,
   "TLS session not shut down cleanly; upload may be truncated"},
  {FTP_E_TLS_NOT_RESUMED, FTP_R_EXT_UNSUPPORTED,
   "Data connection TLS session not resumed from control connection"},
  {FTP_E_TLS_SESSION_UNKNOWN, FTP_R_EXT_UNSUPPORTED,
   "Data connection TLS session was not issued to a live control connection"},
  {FTP_E_TLS_SESSION_OTHER_USER, FTP_R_EXT_UNSUPPORTED,
   "Data connection TLS session belongs to another user"},
  {FTP_E_TLS_SESSION_OTHER_ADDRESS, FTP_R_EXT_UNSUPPORTED,
   "Data connection TLS session belongs to another client address"},
  {FTP_E_TLS_CERT_MISMATCH, FTP_R_EXT_UNSUPPORTED,
   "Data connection client certificate differs from control connection"},
  {FTP_E_ABORTED, FTP_R_TRANSFER_ABORTED, "Transfer aborted"},
  {FTP_E_ESCAPE, FTP_R_FILE_UNAVAILABLE, "Permission denied"},
  {FTP_E_LOGIN, FTP_R_NOT_LOGGED_IN, "Login incorrect"},
  {FTP_E_TOOBIG, FTP_R_LOCAL_ERROR, "Local limit exceeded"},
};

int ftp_err_reply(int r, const char **text) {
  size_t i;

  for (i = 0; i < sizeof(reply_table) / sizeof(reply_table[0]); i++) {
    if (reply_table[i].err == r) {
      if (text != NULL)
        *text = reply_table[i].text;
      return reply_table[i].code;
    }
  }
  if (text != NULL)
    *text = "Local error in processing";
  return FTP_R_LOCAL_ERROR;
}
