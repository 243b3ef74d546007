/*
 * files.h: ftpcert's files: written whole or not at all, with their mode
 * set before any byte of a key goes in, never over an existing file unless
 * --force.
 */
#ifndef FTPCERT_FILES_H
#define FTPCERT_FILES_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <sys/types.h>

/* How files are written (from the command line). */
struct ftpcert_out {
  int force;         /* replace existing files */
  int chown;         /* give them to uid:gid (--owner) */
  uid_t uid;
  gid_t gid;
};

/* Exit statuses of ftpcert. */
enum ftpcert_exit {
  FTPCERT_EXIT_OK = 0,
  FTPCERT_EXIT_ERROR = 1,   /* a file could not be read or written, ... */
  FTPCERT_EXIT_USAGE = 2,   /* bad command line */
  FTPCERT_EXIT_EXISTS = 3   /* a file exists and --force was not given */
};

/*
 * ftpcert_path: dir "/" name into out (outlen bytes).
 * RETURNS: 0, or -1 (with a message on stderr) when it does not fit.
 */
int ftpcert_path(char *out, size_t outlen, const char *dir, const char *name);

/*
 * ftpcert_mkdir: create dir (mode 0755) unless it exists.
 * RETURNS: an enum ftpcert_exit; the error is on stderr.
 */
int ftpcert_mkdir(const char *dir);

/*
 * ftpcert_check_absent: before anything is made: is path free to write?
 * RETURNS: FTPCERT_EXIT_OK when it does not exist or o->force;
 * FTPCERT_EXIT_EXISTS (message on stderr) otherwise.
 */
int ftpcert_check_absent(const struct ftpcert_out *o, const char *path);

/*
 * ftpcert_write: write data to path with mode (0600 for anything holding a
 * key): into a temporary file beside it, made with that mode (and owner,
 * o->chown) before the data, synced, then linked into place (which fails
 * if path appeared meanwhile) or, with o->force, renamed over it.
 * RETURNS: an enum ftpcert_exit; the error is on stderr.
 */
int ftpcert_write(const struct ftpcert_out *o, const char *path, const void *data,
                  size_t len, int mode);

/*
 * ftpcert_read: the whole file at path (at most 1 MiB) into *out, which the
 * caller frees with ftpcert_datum_free (it is wiped: it may hold a key).
 * RETURNS: an enum ftpcert_exit; the error is on stderr.
 */
int ftpcert_read(const char *path, gnutls_datum_t *out);
void ftpcert_datum_free(gnutls_datum_t *d);

#endif
