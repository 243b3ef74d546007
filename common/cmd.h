/*
 * cmd.h: the control line codec.
 *
 * The server side frames command lines out of the raw control stream: Telnet
 * (RFC 854) sequences are removed, the line ends at LF, its length is capped,
 * CR and NUL inside it are refused, and the verb is split from the argument.
 * The client side formats one command line and refuses anything that could
 * smuggle a second command into it.  This module does no I/O: it takes bytes
 * and returns decisions.
 *
 * Security: the reader never looks at, copies or rewrites a byte beyond the
 * line it returns.  After AUTH TLS (and CCC) the caller takes the untouched
 * rest with ftp_cmd_reader_pending() and hands it to TLS, so plaintext that
 * was pipelined behind AUTH can never be executed as if it had arrived
 * encrypted (CVE-2011-0411 class, STARTTLS command injection).
 */
#ifndef FTP_CMD_H
#define FTP_CMD_H

#include <stddef.h>

#include "buf.h"
#include "ftp_limits.h"

/*
 * One framed command.
 *
 * verb: the text before the first space, upper-cased, 1 to FTP_CMD_VERB_MAX
 * letters.  arg: everything after the first space, byte for byte (a filename
 * may begin or end with spaces), NUL-terminated, "" when there is none; it
 * never contains CR, LF or NUL.  arg_len: strlen(arg).  has_arg: 1 when the
 * verb was followed by a space, even if nothing came after it ("PASS "), so a
 * handler can tell "no argument" from "empty argument".
 *
 * arg points into the reader and stays valid until the next call to
 * ftp_cmd_reader_next, ftp_cmd_reader_clear or ftp_cmd_reader_free.
 */
struct ftp_cmd {
  char verb[FTP_CMD_VERB_MAX + 1];
  const char *arg;
  size_t arg_len;
  int has_arg;
};

/*
 * The reader.  Embed it anywhere; its fields are private to cmd.c.  An idle
 * reader (no pending bytes, no command handed out) holds no heap memory: both
 * buffers are allocated on first use and released as soon as they are empty.
 * Both are marked secret (a line may carry a password) and wiped on release.
 */
struct ftp_cmd_reader {
  struct ftp_buf priv_in;   /* raw bytes fed and not yet framed */
  struct ftp_buf priv_line; /* the decoded line of the last command */
  size_t priv_scanned;      /* bytes of priv_in known to hold no LF */
  int priv_discard;         /* skipping the rest of an over-long line */
};

/* ftp_cmd_reader_init: an empty reader.  Allocates nothing. */
void ftp_cmd_reader_init(struct ftp_cmd_reader *r);

/*
 * ftp_cmd_reader_free: release (and wipe) everything the reader holds.  The
 * reader is left empty and may be used again.  Accepts NULL.
 */
void ftp_cmd_reader_free(struct ftp_cmd_reader *r);

/*
 * ftp_cmd_reader_feed: append n raw bytes read from the control connection.
 * Bytes may arrive in pieces of any size; nothing is framed until
 * ftp_cmd_reader_next.
 * RETURNS: 0; FTP_E_TOOBIG when the backlog would pass FTP_CMD_BACKLOG_MAX
 * (nothing is appended: feed at most ftp_cmd_reader_room bytes);
 * FTP_E_NOMEM.
 */
int ftp_cmd_reader_feed(struct ftp_cmd_reader *r, const void *p, size_t n);

/*
 * ftp_cmd_reader_room: how many more bytes may be fed.  At 0 the caller stops
 * reading the socket until ftp_cmd_reader_next has consumed some: the backlog
 * is larger than FTP_CMD_LINE_MAX, so a full backlog always holds a whole
 * line or an over-long one, and next() always makes progress.
 */
size_t ftp_cmd_reader_room(const struct ftp_cmd_reader *r);

/*
 * ftp_cmd_reader_next: frame the next command.
 *
 * Lines end at LF; a CR just before the LF is dropped (bare LF is accepted).
 * Telnet sequences are removed from the line: IAC IAC stands for one 0xFF
 * byte; IAC followed by a command byte (0xF0-0xFA) is removed; IAC WILL, WONT,
 * DO or DONT and its option byte are removed; IAC before any other byte is
 * removed alone.  Lines that are empty after that are skipped.
 *
 * RETURNS:
 *   1  a command is in *cmd (see struct ftp_cmd for its lifetime);
 *   0  no whole line is buffered: feed more bytes;
 *  <0  a bad line was consumed; the caller replies with ftp_err_reply(r) and
 *      calls next() again.  FTP_E_LINE_TOO_LONG: the line passed
 *      FTP_CMD_LINE_MAX bytes (counting its CR LF); it is reported as soon as
 *      the cap is crossed, and the rest of it, up to and including its LF, is
 *      then discarded silently whatever pieces it arrives in.
 *      FTP_E_CR_IN_LINE, FTP_E_NUL_IN_LINE: a CR (other than before the LF)
 *      or a NUL in the line.  FTP_E_BAD_VERB: the verb is empty, too long or
 *      holds a non-letter (reply 500, command unrecognized).  FTP_E_NOMEM.
 * A command's argument is not checked here: that is the handler's business.
 */
int ftp_cmd_reader_next(struct ftp_cmd_reader *r, struct ftp_cmd *cmd);

/*
 * ftp_cmd_reader_pending: the raw bytes fed but not yet framed, exactly as
 * they arrived (after AUTH TLS: ciphertext for TLS).  *p is set to them (NULL
 * when there are none) and stays valid until the next call on the reader.
 * RETURNS: their number.
 */
size_t ftp_cmd_reader_pending(const struct ftp_cmd_reader *r,
                              const unsigned char **p);

/*
 * ftp_cmd_reader_clear: drop (and wipe) the pending bytes and any partial or
 * over-long line in progress, as after handing them to TLS.  The reader is
 * then empty and holds no memory.
 */
void ftp_cmd_reader_clear(struct ftp_cmd_reader *r);

/*
 * ftp_cmd_format (client): append the command line "VERB arg\r\n" to out, or
 * "VERB\r\n" when arg is NULL ("" gives "VERB \r\n", an empty argument).  Every
 * 0xFF byte in arg is doubled (IAC IAC), as RFC 854 requires of data on a
 * Telnet connection and RFC 959 and RFC 3659 section 2.2 ask of pathnames.
 * RETURNS: 0; FTP_E_BAD_ARG when verb is empty or holds CR, LF or 0xFF, or arg
 * holds CR or LF (nothing appended: no command injection); FTP_E_TOOBIG or
 * FTP_E_NOMEM from out (nothing appended).
 */
int ftp_cmd_format(struct ftp_buf *out, const char *verb, const char *arg);

/*
 * ftp_cmd_arg_is_safe (client): 1 when arg (a C string, so without NUL) holds
 * no CR and no LF and may therefore go into a command line; else 0.  NULL is
 * safe (no argument).  Check every user-supplied value with it early, to give
 * a clear error before anything is sent.
 */
int ftp_cmd_arg_is_safe(const char *arg);

#endif
