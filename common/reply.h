/*
 * reply.h: the reply codec.
 *
 * The server formats single and multi-line replies (RFC 959 section 4.2);
 * the client parses them incrementally from bytes that arrive in any pieces
 * and sees only whole replies (need more / complete / error).  Replies are
 * bounded: one line by FTP_REPLY_LINE_MAX, one whole reply by FTP_REPLY_MAX,
 * so a flood ends in a clean error rather than unbounded memory.  This module
 * does no I/O.
 *
 * Both directions treat the control connection as Telnet (RFC 854): the
 * formatter doubles a 0xFF byte in the text (IAC IAC) and the parser turns
 * IAC IAC back into one 0xFF byte.
 */
#ifndef FTP_REPLY_H
#define FTP_REPLY_H

#include <stddef.h>

#include "buf.h"
#include "ftp_limits.h"

/*
 * ftp_reply_format (server): append one reply to out.
 *
 * code: 100-599.  text: the reply text (NULL is ""); each '\n' starts a new
 * line, and a single '\n' at the very end is ignored.  One line gives
 * "ddd text\r\n"; several give a multi-line reply (RFC 959 section 4.2):
 * "ddd-first\r\n", the inner lines, then "ddd last\r\n".  An inner line that
 * would begin with a digit gets one leading space, so it can never be taken
 * for the end of the reply.  CR bytes in text are dropped; 0xFF is doubled.
 * RETURNS: 0; FTP_E_BAD_ARG for a code out of range; FTP_E_TOOBIG or
 * FTP_E_NOMEM from out.  Either the whole reply is appended or nothing.
 */
int ftp_reply_format(struct ftp_buf *out, int code, const char *text);

/*
 * ftp_reply_formatf: the same, with the text built by printf-style
 * formatting (at most FTP_REPLY_MAX bytes).  A text holding a NUL once
 * formatted is refused with FTP_E_NUL_IN_LINE.
 */
int ftp_reply_formatf(struct ftp_buf *out, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * A parsed reply.  code: the three-digit code.  text: the text of its lines
 * joined with '\n' (no CR, no LF at the end, no NUL), the "ddd " / "ddd-"
 * prefix removed from the first and the last line; inner lines are kept
 * whole, leading spaces included.  nlines: how many lines the reply had (1
 * for a single-line reply).  The struct owns text: ftp_reply_free releases
 * it.
 */
struct ftp_reply {
  int code;
  struct ftp_buf text;
  size_t nlines;
};

/* ftp_reply_init: an empty reply (code 0, no lines).  Allocates nothing. */
void ftp_reply_init(struct ftp_reply *rep);

/* ftp_reply_free: release the text; rep is left empty.  Accepts NULL. */
void ftp_reply_free(struct ftp_reply *rep);

/*
 * ftp_reply_text: the whole text as a NUL-terminated string ("" when empty).
 * The pointer is valid until rep is changed or freed.
 */
const char *ftp_reply_text(struct ftp_reply *rep);

/*
 * ftp_reply_line: line i (0-based) of the text, as the client reads FEAT or
 * a 211 STAT: a pointer to its first byte, its length in *len.  The line is
 * not NUL-terminated.  The first and last lines have their code prefix
 * removed (see struct ftp_reply).
 * RETURNS: the line, or NULL when i >= rep->nlines.
 */
const char *ftp_reply_line(const struct ftp_reply *rep, size_t i, size_t *len);

/* Results of ftp_reply_parse besides errors. */
enum {
  FTP_REPLY_NEED_MORE = 0,
  FTP_REPLY_COMPLETE = 1
};

/* The incremental parser.  Embed it anywhere; fields are private to
 * reply.c. */
struct ftp_reply_parser {
  struct ftp_buf priv_line; /* the line being assembled, raw */
  struct ftp_buf priv_text; /* text of the reply so far */
  size_t priv_total;        /* raw bytes of the reply so far */
  size_t priv_nlines;
  int priv_code;            /* 0: before the first line is complete */
  int priv_err;             /* sticky error, 0 if none */
};

/* ftp_reply_parser_init: ready for the first reply.  Allocates nothing. */
void ftp_reply_parser_init(struct ftp_reply_parser *p);

/*
 * ftp_reply_parser_reset: forget any partial reply and a past error; ready
 * for a new reply.  Releases the parser's memory.
 */
void ftp_reply_parser_reset(struct ftp_reply_parser *p);

/* ftp_reply_parser_free: release everything.  Accepts NULL. */
void ftp_reply_parser_free(struct ftp_reply_parser *p);

/*
 * ftp_reply_parse: feed len bytes of data from the control connection.
 *
 * A reply starts with three digits, the first 1-5, then SP (a single-line
 * reply), '-' (the first line of a multi-line reply) or the end of the line
 * ("220" alone).  A multi-line reply ends only at a line that begins with
 * the same three digits followed by SP or the end of the line; any other line
 * is an inner line, whatever it starts with.  Lines end in CR LF or bare LF.
 *
 * out must have been initialised with ftp_reply_init; its previous text is
 * released when a new reply is stored in it.
 * RETURNS:
 *   FTP_REPLY_NEED_MORE (0): all len bytes were used (*consumed == len) and
 *     the reply is not complete yet; call again with more data.
 *   FTP_REPLY_COMPLETE (1): *out holds a whole reply and *consumed is the
 *     number of bytes of data it took; the caller keeps data + *consumed..
 *     for the next reply.  Security: bytes left over after a 234 reply to
 *     AUTH were sent before TLS started, and must not be parsed as replies
 *     (response injection): a client treats them as an attack.
 *   FTP_E_BAD_REPLY: the bytes are no reply (a bad first line, a NUL);
 *   FTP_E_TOOBIG: a line longer than FTP_REPLY_LINE_MAX bytes (its CR LF
 *     included) or a reply longer than FTP_REPLY_MAX; FTP_E_NOMEM.  An error
 *     is reported as soon as it is seen, is sticky until
 *     ftp_reply_parser_reset, and *out is left unchanged.  *consumed is set
 *     in every case.
 */
int ftp_reply_parse(struct ftp_reply_parser *p, const void *data, size_t len,
                    size_t *consumed, struct ftp_reply *out);

/*
 * ftp_reply_parse_path: the directory name in the text of a 257 reply to
 * PWD or MKD (RFC 959 Appendix II: 257<SP>"<directory-name>"<SP><commentary>).
 * The name starts after the first '"' of text and ends at the next '"' that
 * is not doubled; inside it, a doubled quote ("") stands for one quote.  The
 * name is appended to out, without the quotes, or nothing is.  Whether the
 * reply's code is 257 is the caller's business.
 * RETURNS: 0; FTP_E_BAD_REPLY when text has no quote, the name is empty, is
 * not closed before the end of its line (a name holds no CR or LF) or holds
 * a NUL; FTP_E_TOOBIG or FTP_E_NOMEM from out.
 */
int ftp_reply_parse_path(const char *text, size_t len, struct ftp_buf *out);

#endif
