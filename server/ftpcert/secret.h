/*
 * secret.h: the password of a PKCS#12 file, from --password-file or typed
 * at the terminal (without echo, twice when making a file).
 */
#ifndef FTPCERT_SECRET_H
#define FTPCERT_SECRET_H

#include <stddef.h>

/* Longest password accepted (bytes). */
#define FTPCERT_PASSWORD_MAX 256

/*
 * ftpcert_password: read a password into out (outlen >= FTPCERT_PASSWORD_MAX
 * + 1).  file: its first line (a final CR LF or LF dropped) is the password;
 * NULL: ask on /dev/tty with prompt, and when confirm ask again and compare.
 * An empty password is refused: it would leave the key unprotected.
 * RETURNS: an enum ftpcert_exit (files.h); the error is on stderr.  The
 * caller wipes out (explicit_bzero) after use.
 */
int ftpcert_password(const char *file, const char *prompt, int confirm, char *out,
                     size_t outlen);

#endif
