/*
 * listfmt.h: directory listings for LIST, NLST, MLSD, MLST and STAT.
 *
 * Each function resolves its path through the session's confined
 * filesystem (fs.h), reads the directory on a private DIR*, and appends the
 * whole listing to a bounded buffer; the caller sends the buffer on the data
 * connection (LIST, NLST, MLSD) or wraps it in a reply on the control
 * connection (STAT, MLST).  All functions are synchronous and thread-safe
 * (getpwuid_r, gmtime_r, no locale), meant for libuv's thread pool.
 *
 * Common rules:
 *   - Entries are sorted by name in byte order (strcmp), so output does not
 *     depend on the filesystem or the locale.
 *   - "." and ".." are never listed as entries (MLSD describes the listed
 *     directory itself with one type=cdir line).
 *   - Names are raw bytes: UTF-8 or not, they pass through untouched.
 *   - A name (or a symlink target, for LIST) that contains CR or LF cannot be
 *     represented on a line and is skipped.  Security: STAT and MLST go over
 *     the control connection, where such a name would forge reply lines.
 *   - Lines end with CRLF, except the one MLST line (see there).
 *   - Symlinks inside a listed directory are never followed with a plain
 *     stat(): LIST shows the link itself, MLSD resolves it through fs (inside
 *     the root), so nothing outside the root is ever described.
 *   - Dates are UTC with English month names, whatever the locale.
 *
 * Errors: 0, or the fs error that stopped the listing (UV_ENOENT,
 * UV_ENOTDIR, UV_EACCES, ...), FTP_E_TOOBIG when the listing does not fit in
 * the buffer (or in FTP_LISTING_MAX), FTP_E_NOMEM.  On error the buffer may
 * hold a partial listing: the caller discards it.  Nothing here logs.
 */
#ifndef FTP_LISTFMT_H
#define FTP_LISTFMT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "buf.h"
#include "fs.h"

/* The MLSD and MLST facts (RFC 3659 section 7.5), in the order they are
 * written, which is also the order FEAT lists them in. */
enum ftp_listfmt_fact {
  FTP_LISTFMT_FACT_TYPE = 1u << 0,
  FTP_LISTFMT_FACT_SIZE = 1u << 1,
  FTP_LISTFMT_FACT_MODIFY = 1u << 2,
  FTP_LISTFMT_FACT_PERM = 1u << 3,
  FTP_LISTFMT_FACT_UNIX_MODE = 1u << 4,
  FTP_LISTFMT_FACT_UNIQUE = 1u << 5
};
#define FTP_LISTFMT_FACTS_ALL 0x3fu

struct ftp_listfmt_opts {
  int all;        /* show dot files (LIST -a); option words in the
                   * argument can only add to this */
  int readonly;   /* the session is read-only: MLSD perm drops the letters
                   * for changes (a c d f m p w) */
  int listsubdir; /* LISTSUBDIR: a wildcard NLST also lists the files of
                   * the subdirectories it matches, one level deep */
  unsigned hide_facts; /* MLSD, MLST: the facts OPTS MLST did not select
                        * (FTP_LISTFMT_FACT_*); 0 writes them all */
  time_t now;     /* "now" for the LIST date format; tests fix it */
};

/*
 * ftp_listfmt_parse_opts: split a LIST/NLST/STAT argument into ls-style
 * option words and a path, as vsftpd and ProFTPD do.  Leading words that
 * start with "-" (and are longer than "-") are options; "a" or "A" in any of
 * them sets *all (other letters, "l" included, change nothing); "--" ends
 * the options.  Blanks before and between option words are skipped; the
 * path is the rest, kept byte for byte (trailing blanks included).
 * A file whose name starts with "-" is reached as "./-name".
 * PARAMETERS: *all is set to 1 when asked for and otherwise left alone;
 * *path points into arg ("" for none).
 */
void ftp_listfmt_parse_opts(const char *arg, int *all, const char **path);

/*
 * ftp_listfmt_list: LIST (and STAT with a path, whose lines the caller puts
 * in a multi-line 213 or 211 reply).  arg is the raw argument: option words
 * first (ftp_listfmt_parse_opts), then a path, empty for the cwd.
 * One ls -l line per entry:
 *   drwxr-xr-x    2 owner    group        4096 Nov 21 18:31 name
 * type (- d l p s c b), permissions with s/S/t/T, link count, owner and group
 * names (numeric when unknown), size, date ("Mon dd HH:MM" if less than six
 * months old and not in the future, else "Mon dd  YYYY"), name, and
 * " -> target" for a symlink.  No "total" line.
 * Which entries: a directory (symlinks to one followed inside the root)
 * lists its entries, dot files only with -a; any other existing path lists
 * that one entry under the name as given; a path that does not exist but
 * whose last component holds a wildcard (* ? [) lists the matching entries
 * of its directory (fnmatch with FNM_PERIOD), named with the directory part
 * as given ("sub/a.txt").
 */
int ftp_listfmt_list(const struct ftp_fs *fs, const char *arg,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out);

/*
 * ftp_listfmt_nlst: NLST.  The same selection as ftp_listfmt_list, names
 * only, one per line: a directory gives its entry names (bare: "a.txt"); a
 * single path is echoed as given; a wildcard gives the matching names with
 * the directory part as given, so that each line is a path RETR and DELE
 * accept (mget, mdelete).  With o->listsubdir, a wildcard that matches a
 * subdirectory (a real one, never a symlink) lists the files in it instead,
 * as "sub/name" (dot files only with -a; directories inside it are not
 * listed: one level only, as z/OS does).  An empty directory, or a wildcard
 * that matches nothing, gives an empty listing, not an error.
 */
int ftp_listfmt_nlst(const struct ftp_fs *fs, const char *arg,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out);

/*
 * ftp_listfmt_mlsd: MLSD (RFC 3659 section 7).  path is a pathname, never
 * options ("" for the cwd); it must be a directory (else UV_ENOTDIR).
 * First a line for the directory itself, named "." (as ProFTPD and
 * Pure-FTPd name it; no pdir line), then one per entry, dot files included
 * (RFC 3659 lists everything; -a does not apply):
 *   type=cdir;modify=...;perm=...;unix.mode=0755;unique=803:2a; .
 *   type=file;size=12;modify=20201121183100;perm=adfrw;unix.mode=0644;
 *     unique=803:2b; name                                (one line)
 * Facts, in this order: type (file, dir, cdir, or OS.unix=symlink for a
 * link that does not resolve inside the root), size (files only), modify
 * (YYYYMMDDHHMMSS, UTC), perm (RFC 3659 7.5.5), unix.mode, unique (device
 * and inode in hex).  A symlink that resolves inside the root is described
 * by its target, as RETR and CWD would see it.  perm letters come from the
 * owner's permission bits (ftpd acts for the owner of the home it confines
 * to) and the parent directory's: files "a d f r w", directories
 * "c d e f l m p", each only if allowed and, for changes, only when the
 * session is not read-only.
 */
int ftp_listfmt_mlsd(const struct ftp_fs *fs, const char *path,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out);

/*
 * ftp_listfmt_mlst: the one fact line of MLST (RFC 3659 7.2) for path, with
 * the same facts as MLSD and the full virtual path as its name:
 *   " type=file;size=12;...;unique=803:2b; /dir/name"
 * The line starts with the single space RFC 3659 requires in the reply and
 * has no CRLF: the caller puts it between "250-..." and "250 End".
 * A symlink is followed inside the root; a dangling one is described as
 * type=OS.unix=symlink.
 * RETURNS: as above; UV_EINVAL if the virtual path holds CR or LF.
 */
int ftp_listfmt_mlst(const struct ftp_fs *fs, const char *path,
                     const struct ftp_listfmt_opts *o, struct ftp_buf *out);

/*
 * ftp_listfmt_mode: the ten-character ls mode string of mode ("drwxr-sr-t"),
 * NUL-terminated, into out (11 bytes).
 */
void ftp_listfmt_mode(mode_t mode, char out[11]);

/*
 * ftp_listfmt_date: the ls date column for mtime as seen at now, UTC:
 * "Nov 21 18:31" when now - 6 months < mtime <= now (six months being half
 * a mean Gregorian year, as GNU ls has it), else "Nov 21  2020".  A time
 * gmtime_r cannot represent prints as the epoch.
 * PARAMETERS: out (size n, at least 13 for four-digit years) receives the
 * NUL-terminated text.
 * RETURNS: 0, or FTP_E_TOOBIG when n is too small.
 */
int ftp_listfmt_date(time_t mtime, time_t now, char *out, size_t n);

#endif
