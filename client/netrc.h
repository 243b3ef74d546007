/*
 * netrc.h: credentials from ~/.netrc, as BSD ftp, curl and lftp read them.
 *
 * FORMAT.  Tokens separated by blanks and newlines:
 *   machine NAME     starts the entry for host NAME (compared without regard
 *                    to ASCII case)
 *   default          starts the entry used when no machine entry matches
 *   login L          the entries' fields; outside any entry they are
 *   password P       ignored ("passwd" is read as "password", as BSD
 *   account A        ftp does)
 *   macdef NAME      a macro: the rest of its line and every line up to the
 *                    next empty line are skipped (we do not run macros)
 * Other words are ignored, as curl does, so that files written for other
 * programs still work.  A '#' at the start of a token starts a comment that
 * runs to the end of the line (so a password that starts with '#' must be
 * quoted).  A token that starts with '"' is quoted, as in curl 7.84 and
 * later: it runs to the next unescaped '"' on the same line and may hold
 * blanks; "\"" is a quote, "\\" a backslash, "\n", "\r" and "\t" the control
 * characters, and a backslash before any other character stands for that
 * character.  Outside quotes a backslash is an ordinary character.
 *
 * MATCHING.  The first machine entry for the host wins; when login_or_null
 * is given, only an entry whose login is exactly that counts.  When no
 * machine entry matches, the first default entry that passes the same login
 * test is used, wherever it stands in the file.
 *
 * ERRORS (FTP_E_SYNTAX, and "line N: message" appended to msg): an
 * unterminated quote; "machine", "macdef", "login", "password" or "account"
 * without the word that must follow; a NUL byte; a token longer than
 * FTP_PASS_MAX; a CR or LF inside a token (Security: written with "\n" in
 * quotes, it would end the USER or PASS command and start another).  The
 * whole file is checked, not just up to the match, so that an error is
 * reported the same way whichever host is asked for.
 */
#ifndef FTP_NETRC_H
#define FTP_NETRC_H

#include <stddef.h>

#include "buf.h"

/* The largest netrc file read.  (Belongs in limits.h.) */
#define FTP_NETRC_MAX (1024 * 1024)

struct ftp_netrc_entry {
  char *login;    /* NULL when the entry has none */
  char *password; /* NULL when none; wiped by ftp_netrc_entry_free */
  char *account;  /* NULL when none; wiped by ftp_netrc_entry_free */
  int is_default; /* it came from "default", not from "machine" */
};

/*
 * ftp_netrc_parse: find the credentials for host in a netrc held in memory.
 *
 * PARAMETERS: text and len, the contents (need not be NUL-terminated); host,
 * the server's name as the user gave it; login_or_null, the user name if one
 * was already given (e.g. in the URL), else NULL; out, filled on success;
 * msg, where an error message is appended (may be NULL).
 * RETURNS: 0 and the entry in *out, owned by the caller (release with
 * ftp_netrc_entry_free); UV_ENOENT when no entry matches; FTP_E_SYNTAX;
 * FTP_E_NOMEM.  On failure *out is empty.
 */
int ftp_netrc_parse(const char *text, size_t len, const char *host,
                    const char *login_or_null, struct ftp_netrc_entry *out,
                    struct ftp_buf *msg);

/*
 * ftp_netrc_load: the same, reading the file at path with libuv's
 * synchronous fs calls.
 *
 * Security: like BSD ftp, a netrc that holds a password (in any entry) is
 * refused when group or others have any permission on it: the user must see
 * that the secret is exposed, rather than have it used silently.
 * RETURNS: as ftp_netrc_parse(), and also: UV_ENOENT when the file does not
 * exist (the caller treats both the same: no credentials); another libuv
 * error when it cannot be read; FTP_E_TOOBIG when it is larger than
 * FTP_NETRC_MAX; FTP_E_REFUSED for a file that is not a regular file or that
 * holds a password and is accessible by group or others.  Except for a
 * missing file, a message "path: ..." or "path:N: ..." is appended to msg.
 */
int ftp_netrc_load(const char *path, const char *host,
                   const char *login_or_null, struct ftp_netrc_entry *out,
                   struct ftp_buf *msg);

/* ftp_netrc_entry_free: wipe and free the entry's strings; accepts NULL. */
void ftp_netrc_entry_free(struct ftp_netrc_entry *e);

#endif
