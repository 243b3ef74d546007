/*
 * users.h: the USERFILE, ftpd's user database.
 *
 * FORMAT.  One user a line:
 *
 *   name:hash:home[:options]
 *
 * A line whose first non-blank character is '#' is a comment; a line of
 * blanks is ignored.  A trailing CR (a file edited on Windows) is dropped.
 * No other white space is trimmed: a blank inside a field is part of it.
 *
 *   name     1 to FTP_USER_MAX characters from [A-Za-z0-9._@-].  Names are
 *            case-sensitive, as on Unix.  A name may appear once.
 *   hash     a crypt(3) hash: $y$ (yescrypt, `mkpasswd`), $gy$, $7$ (scrypt),
 *            $2b$ / $2y$ (bcrypt), $6$ (`openssl passwd -6`), $5$.  Weaker
 *            methods (DES, MD5 $1$, ...) are refused.  An empty hash is
 *            refused: it would mean "no password".  A hash that is or
 *            begins with '*' or '!' ("*", "!", a locked shadow-style "!$6$...")
 *            disables password login: the user can only log in with a
 *            client certificate (see cert-sha256 and cert-dn).
 *   home     an absolute directory path, at most FTP_PATH_MAX bytes, that
 *            becomes the user's root.  It cannot contain ':'.
 *   options  a comma-separated list, possibly empty:
 *     readonly           no command that changes the file system
 *     umask=NNN          octal, 0 to 777, for files and directories the user
 *                        creates (default: the server's)
 *     cert-sha256=HEX    the SHA-256 fingerprint of a client certificate
 *                        that may log in as this user: 64 hex digits, or 32
 *                        colon-separated pairs as `openssl x509 -fingerprint
 *                        -sha256` prints them; case-insensitive.  May repeat.
 *     user=NAME          act as the system account NAME: files are checked
 *                        and created with its uid, gid and supplementary
 *                        groups (looked up at each login)
 *     uid=N,gid=N        act as uid N and gid N (no supplementary group);
 *                        both or neither, never with user=; 0 is refused
 *                        (root's files), as is a second value
 *     cert-dn=DN         a certificate subject DN, as GnuTLS prints it
 *                        (RFC 4514, e.g. CN=alice,O=Example).  A DN contains
 *                        commas, so cert-dn must be the LAST option: it takes
 *                        the rest of the line verbatim, commas, colons and
 *                        blanks included.  It is compared byte for byte.
 *
 * Example:
 *   alice:$y$j9T$...:/srv/ftp/alice:umask=027
 *   backup:*:/srv/backup:readonly,cert-sha256=AB:CD:...:EF
 *   bob:$6$...:/srv/ftp/bob:cert-dn=CN=bob,OU=Ops,O=Example
 *
 * Security: cert-dn only means something when the server verified the
 * client's certificate chain against its CAFILE: any CA it trusts can issue a
 * certificate with that DN.  cert-sha256 pins one certificate and needs no CA.
 *
 * ERRORS.  Every error is reported as "file:line: message" through a
 * diagnostic callback, and a USERFILE with any error is refused as a whole so
 * that the caller keeps the one it had.  Loading also refuses a file that is
 * not a regular file, is larger than FTP_USERFILE_MAX, is writable by group or
 * others, or is owned by someone other than root or the server's user (as
 * ssh's StrictModes does).
 *
 * LIFETIME.  A parsed file (struct ftp_users) is immutable and reference
 * counted.  ftpd holds one reference to the current file; each session takes
 * its own with ftp_users_ref() when it looks a user up, and drops it with
 * ftp_users_unref() when it ends.  On SIGHUP the server loads the new file
 * and drops its reference to the old one; sessions that still use a user of
 * the old file keep it alive until they end.  A `struct ftp_user` pointer is
 * valid as long as a reference to the file that holds it is.  Because the
 * file never changes after parsing, worker threads (libuv's thread pool) may
 * read it, e.g. in ftp_users_check_password(), while the loop thread holds a
 * reference for them.
 */
#ifndef FTP_USERS_H
#define FTP_USERS_H

#include <stddef.h>

#include "ftp_limits.h"

/* The length of a SHA-256 fingerprint in bytes. */
#define FTP_USERS_SHA256_LEN 32

struct ftp_user {
  char *name;
  char *hash;          /* crypt(3) hash; NULL when password login is disabled */
  char *home;          /* absolute path */
  int readonly;        /* 1: refuse every command that writes */
  int umask;           /* 0..0777, or -1: the server's default */
  unsigned char (*cert_sha256)[FTP_USERS_SHA256_LEN]; /* pinned certificates */
  size_t ncert_sha256;
  char *cert_dn;       /* subject DN that maps to this user, or NULL */
  char *sysuser;       /* user=: the system account it acts as, or NULL */
  long uid, gid;       /* uid=, gid=: the ids it acts as, or -1 */
  size_t line;         /* where the user is defined, for log messages */
};

/* The parsed USERFILE; opaque. */
struct ftp_users;

/*
 * ftp_users_diag_cb: receives one diagnostic, "file:line: message" (no
 * newline).  arg is the caller's.  Called zero or more times during a parse or
 * a load, never afterwards.
 */
typedef void ftp_users_diag_cb(void *arg, const char *msg);

/*
 * ftp_users_parse: parse a USERFILE held in memory.
 *
 * PARAMETERS: fname, the name used in diagnostics; text and len, the
 * contents (need not be NUL-terminated; a NUL byte is an error); diag and
 * arg, where each error is reported (diag may be NULL); out, where the result
 * is stored.
 * RETURNS: 0 and a new file with one reference in *out, to be released with
 * ftp_users_unref(); FTP_E_CONF when the text has any error (each one was
 * reported through diag, and *out is NULL); FTP_E_NOMEM.
 */
int ftp_users_parse(const char *fname, const char *text, size_t len,
                    ftp_users_diag_cb *diag, void *arg,
                    struct ftp_users **out);

/*
 * ftp_users_load: read the USERFILE at path and parse it.
 *
 * The file is read with libuv's synchronous fs calls on a private loop, so it
 * blocks the caller for as long as a read of a small local file takes.
 * RETURNS: as ftp_users_parse(), and also: a libuv error when the file cannot
 * be opened or read (UV_ENOENT, UV_EACCES, ...); FTP_E_TOOBIG when it is
 * larger than FTP_USERFILE_MAX; FTP_E_REFUSED when it is not a regular file,
 * is writable by group or others, or has the wrong owner.  Each of these is
 * also reported through diag as "path: message".
 */
int ftp_users_load(const char *path, ftp_users_diag_cb *diag, void *arg,
                   struct ftp_users **out);

/*
 * ftp_users_ref: take one more reference to u; returns u.
 * ftp_users_unref: drop one; the last one frees the file, its users and
 * their hashes (wiped first).  Accepts NULL.
 * Both are atomic, so that either thread may drop the last reference, but a
 * reference must be taken by someone who already holds one.
 */
struct ftp_users *ftp_users_ref(struct ftp_users *u);
void ftp_users_unref(struct ftp_users *u);

/* ftp_users_have_ids: 1 when a user of u has user= or uid= (ftpd must
 * then act as each user: creds.h); accepts NULL. */
int ftp_users_have_ids(const struct ftp_users *u);

/* ftp_users_count: how many users the file defines. */
size_t ftp_users_count(const struct ftp_users *u);

/*
 * ftp_users_find: the user with this exact name, or NULL.  The pointer lives
 * as long as u does.
 */
const struct ftp_user *ftp_users_find(const struct ftp_users *u,
                                      const char *name);

/*
 * ftp_users_find_by_cert: the one user that a client certificate maps to
 * (z/OS SECURE_LOGIN VERIFY_USER without a USER name to check against).
 *
 * PARAMETERS: sha256, the certificate's SHA-256 fingerprint (may be NULL);
 * dn, its subject DN as gnutls_x509_crt_get_dn3() prints it (may be NULL).
 * A user matches as ftp_user_check_cert() says.
 * RETURNS: 0 and the user in *out; UV_ENOENT when no user matches;
 * FTP_E_REFUSED when more than one does (Security: an ambiguous mapping is
 * refused rather than resolved by file order).
 */
int ftp_users_find_by_cert(const struct ftp_users *u,
                           const unsigned char *sha256, const char *dn,
                           const struct ftp_user **out);

/*
 * ftp_user_check_cert: may the certificate with this fingerprint and subject
 * DN log in as user?  It may when the fingerprint is one of the user's
 * cert-sha256 values, or the DN equals the user's cert-dn.  sha256 and dn
 * may be NULL (not known); user may be NULL.
 * RETURNS: 0 when it may, FTP_E_LOGIN when not.
 */
int ftp_user_check_cert(const struct ftp_user *user,
                        const unsigned char *sha256, const char *dn);

/*
 * ftp_users_check_password: is password right for user?
 *
 * PARAMETERS: u, the file the user came from (it supplies the dummy hash);
 * user, a user of u or NULL when the name given is unknown; password, the
 * PASS argument.
 * Thread-safe: it hashes with crypt_rn() into its own memory, and may run on
 * libuv's thread pool.  Slow on purpose: it costs one hash computation.
 * Security: when user is NULL or has password login disabled, the password is
 * still hashed, against the first password hash of the file, so that the
 * time taken does not tell whether the user exists.  The result is compared
 * in constant time, and the working memory is wiped.
 * RETURNS: 0 when the password is right; FTP_E_LOGIN when it is not, the user
 * is NULL, password login is disabled or the password is longer than
 * FTP_PASS_MAX or than libxcrypt accepts (CRYPT_MAX_PASSPHRASE_SIZE - 1,
 * 511 bytes); FTP_E_NOMEM.
 */
int ftp_users_check_password(const struct ftp_users *u,
                             const struct ftp_user *user,
                             const char *password);

#endif
