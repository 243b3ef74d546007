/*
 * ticketkey.c: read and check a shared ticket master key file.
 */
#include "ticketkey.h"

#include <errno.h>
#include <fcntl.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"

static int fail(int r, char *err, size_t errlen, const char *why) {
  snprintf(err, errlen, "%s", why);
  return r;
}

int ftp_ticketkey_read(const char *path, unsigned char key[FTP_TICKETKEY_LEN], char *err,
                       size_t errlen) {
  struct stat st;
  ssize_t n;
  int fd, r;

  memset(key, 0, FTP_TICKETKEY_LEN);
  if (gnutls_check_version(FTP_TICKETKEY_GNUTLS_MIN) == NULL) {
    snprintf(err, errlen, "GnuTLS %s is too old to share ticket keys (CVE-2020-13777: "
             "%s or later is needed)", gnutls_check_version(NULL), FTP_TICKETKEY_GNUTLS_MIN);
    return FTP_E_REFUSED;
  }
  /* Security: not through a symbolic link someone else could point. */
  if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0)
    return fail(uv_translate_sys_error(errno), err, errlen, strerror(errno));
  r = FTP_E_REFUSED;
  if (fstat(fd, &st) != 0) {
    r = fail(uv_translate_sys_error(errno), err, errlen, strerror(errno));
  } else if (!S_ISREG(st.st_mode)) {
    fail(r, err, errlen, "not a regular file");
  } else if ((st.st_mode & 077) != 0) {
    fail(r, err, errlen,
         "readable or writable by group or others: make it mode 0600 (chmod 600)");
  } else if (st.st_size != FTP_TICKETKEY_LEN) {
    fail(r, err, errlen, "not 64 bytes: make it with \"ftpcert ticket-key FILE\"");
  } else if ((n = read(fd, key, FTP_TICKETKEY_LEN)) != FTP_TICKETKEY_LEN) {
    r = fail(n < 0 ? uv_translate_sys_error(errno) : FTP_E_TOOBIG, err, errlen,
             n < 0 ? strerror(errno) : "short read");
  } else {
    r = 0;
  }
  close(fd);
  if (r != 0)
    memset(key, 0, FTP_TICKETKEY_LEN);
  return r;
}
