/*
 * cmd.c: the control line codec.  The reader frames command lines out of the
 * raw control stream for the server; ftp_cmd_format builds them for the
 * client.  No I/O happens here.
 */
#include "cmd.h"

#include <stdint.h>
#include <string.h>

#include "err.h"

/* Telnet command bytes (RFC 854, "TELNET COMMAND STRUCTURE"). */
enum {
  TELNET_SE = 0xF0,   /* lowest command byte */
  TELNET_SB = 0xFA,   /* highest two-byte command */
  TELNET_WILL = 0xFB, /* WILL, WONT, DO, DONT: followed by an option byte */
  TELNET_DONT = 0xFE,
  TELNET_IAC = 0xFF
};

void ftp_cmd_reader_init(struct ftp_cmd_reader *r) {
  ftp_buf_init(&r->priv_in, FTP_CMD_BACKLOG_MAX);
  ftp_buf_set_secret(&r->priv_in);
  /* A decoded line is never longer than its raw bytes. */
  ftp_buf_init(&r->priv_line, FTP_CMD_LINE_MAX);
  ftp_buf_set_secret(&r->priv_line);
  r->priv_scanned = 0;
  r->priv_discard = 0;
}

void ftp_cmd_reader_free(struct ftp_cmd_reader *r) {
  if (r == NULL)
    return;
  ftp_cmd_reader_clear(r);
}

void ftp_cmd_reader_clear(struct ftp_cmd_reader *r) {
  /* Both buffers are secret: freeing wipes them. */
  ftp_buf_free(&r->priv_in);
  ftp_buf_free(&r->priv_line);
  r->priv_scanned = 0;
  r->priv_discard = 0;
}

int ftp_cmd_reader_feed(struct ftp_cmd_reader *r, const void *p, size_t n) {
  /* ftp_buf_put appends all or nothing and refuses to pass the buffer's
   * maximum, FTP_CMD_BACKLOG_MAX, with FTP_E_TOOBIG. */
  return ftp_buf_put(&r->priv_in, p, n);
}

size_t ftp_cmd_reader_room(const struct ftp_cmd_reader *r) {
  return ftp_buf_room(&r->priv_in);
}

size_t ftp_cmd_reader_pending(const struct ftp_cmd_reader *r,
                              const unsigned char **p) {
  size_t n = ftp_buf_len(&r->priv_in);

  *p = n > 0 ? ftp_buf_ptr(&r->priv_in) : NULL;
  return n;
}

/* Drop n framed bytes; an empty input buffer gives its memory back, so that
 * an idle session holds none. */
static void consume(struct ftp_cmd_reader *r, size_t n) {
  /* Callers never pass more than is buffered, the one failure case.  An
   * empty, released buffer is left alone: ftp_buf_consume would compute
   * NULL + 0 on it. */
  if (n > 0)
    (void)ftp_buf_consume(&r->priv_in, n);
  r->priv_scanned = 0;
  if (ftp_buf_len(&r->priv_in) == 0)
    ftp_buf_free(&r->priv_in);
}

/*
 * Offset of the first LF among the first limit buffered bytes, or -1.  Bytes
 * already known to hold no LF are not scanned again, so a line fed one byte
 * at a time costs linear time, not quadratic.
 */
static long find_lf(struct ftp_cmd_reader *r, size_t limit) {
  const unsigned char *p = ftp_buf_ptr(&r->priv_in);
  const unsigned char *lf;

  if (p == NULL || limit <= r->priv_scanned)
    return -1;
  lf = memchr(p + r->priv_scanned, '\n', limit - r->priv_scanned);
  if (lf == NULL) {
    r->priv_scanned = limit;
    return -1;
  }
  return (long)(lf - p);
}

/*
 * Remove Telnet sequences from the n bytes at src, writing the rest to dst.
 * RETURNS: the number of bytes written (<= n).
 *
 * RFC 959 section 4.1 says the control connection follows the Telnet
 * protocol, and RFC 854 defines what IAC introduces.  Clients really send it:
 * lftp and BSD ftp put IAC IP IAC DM (the Telnet Synch, RFC 959 section 4.1.3
 * on ABOR) before ABOR and STAT, inside TLS too.  When the DM was sent as TCP
 * urgent data and taken out of band, "IAC IP IAC ABOR" is what reaches us;
 * an IAC before an ordinary byte is therefore dropped alone, keeping the
 * byte, so that line still reads "ABOR".  The framing by LF happens first, on
 * raw bytes, so a sequence cut short by the end of the line loses what there
 * is of it and never reaches into the next line.
 */
static size_t telnet_strip(const unsigned char *src, size_t n,
                           unsigned char *dst) {
  size_t i = 0, m = 0;

  while (i < n) {
    if (src[i] != TELNET_IAC) {
      dst[m++] = src[i++];
      continue;
    }
    if (i + 1 >= n) {
      i++; /* a lone IAC at the end of the line */
    } else if (src[i + 1] == TELNET_IAC) {
      dst[m++] = TELNET_IAC; /* IAC IAC is a data byte 255 */
      i += 2;
    } else if (src[i + 1] >= TELNET_WILL) {
      i += 3; /* IAC WILL/WONT/DO/DONT option: option negotiation */
    } else if (src[i + 1] >= TELNET_SE) {
      i += 2; /* IAC IP, DM, AO, AYT, EC, EL, GA, NOP, BRK, SB, SE */
    } else {
      i++; /* IAC before an ordinary byte: drop the IAC only */
    }
  }
  return m;
}

/* Check the decoded line for bytes no command may hold. */
static int check_line(const unsigned char *s, size_t n) {
  size_t i;

  for (i = 0; i < n; i++) {
    /* RFC 959 section 4.1: a command line ends with CR LF, so a CR anywhere
     * else is no part of a command.  Security: refusing it (and NUL, which
     * would cut the argument short in C) keeps the line the server acts on
     * the same as the line a logging proxy or a human reads. */
    if (s[i] == '\r')
      return FTP_E_CR_IN_LINE;
    if (s[i] == '\0')
      return FTP_E_NUL_IN_LINE;
  }
  return 0;
}

static int is_letter(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Split the decoded, NUL-terminated line s of n bytes into *cmd. */
static int split(const char *s, size_t n, struct ftp_cmd *cmd) {
  const char *sp = memchr(s, ' ', n);
  size_t vlen = sp == NULL ? n : (size_t)(sp - s);
  size_t i;

  /* RFC 959 section 5.3.1: a command is an alphabetic code of up to four
   * characters, separated from its argument by one <SP>.  We allow up to
   * FTP_CMD_VERB_MAX letters for extensions; anything else is no command at
   * all (500), unlike a bad argument to a real command (501), which the
   * handler decides. */
  if (vlen == 0 || vlen > FTP_CMD_VERB_MAX)
    return FTP_E_BAD_VERB;
  for (i = 0; i < vlen; i++) {
    unsigned char c = (unsigned char)s[i];
    if (!is_letter(c))
      return FTP_E_BAD_VERB;
    /* Commands are case-insensitive (RFC 959 section 5.3.1). */
    cmd->verb[i] = (char)(c >= 'a' ? c - ('a' - 'A') : c);
  }
  cmd->verb[vlen] = '\0';
  if (sp == NULL) {
    cmd->arg = "";
    cmd->arg_len = 0;
    cmd->has_arg = 0;
  } else {
    /* The argument is kept byte for byte, trailing spaces included: a file
     * name may end with a space. */
    cmd->arg = sp + 1;
    cmd->arg_len = n - vlen - 1;
    cmd->has_arg = 1;
  }
  return 0;
}

/*
 * Decode the raw line of len bytes (its LF excluded) into priv_line and
 * split it.  RETURNS: 1 with *cmd filled, 0 for a line that is empty once
 * decoded, or a negative error.
 */
static int decode(struct ftp_cmd_reader *r, size_t len, struct ftp_cmd *cmd) {
  const unsigned char *raw = ftp_buf_ptr(&r->priv_in);
  unsigned char *dst;
  const char *s;
  size_t n;
  int err = 0;

  /* RFC 959 ends lines with CR LF; like vsftpd we also take a bare LF, which
   * some clients and scripts send.  Only the CR right before the LF goes. */
  if (len > 0 && raw[len - 1] == '\r')
    len--;
  if (len == 0)
    return 0;
  if ((err = ftp_buf_reserve(&r->priv_line, len, &dst)) != 0)
    return err;
  n = telnet_strip(raw, len, dst);
  ftp_buf_commit(&r->priv_line, n);
  if (n == 0)
    return 0;
  if ((err = check_line(dst, n)) != 0)
    return err;
  if ((s = ftp_buf_cstr(&r->priv_line, &err)) == NULL)
    return err;
  if ((err = split(s, n, cmd)) != 0)
    return err;
  return 1;
}

int ftp_cmd_reader_next(struct ftp_cmd_reader *r, struct ftp_cmd *cmd) {
  size_t n;
  long lf;
  int rc;

  /* The previous command's line is no longer needed: wipe it. */
  ftp_buf_reset(&r->priv_line);
  for (;;) {
    n = ftp_buf_len(&r->priv_in);
    if (r->priv_discard) {
      /* The tail of an over-long line, already reported: skip it up to and
       * including its LF, in whatever pieces it comes. */
      lf = find_lf(r, n);
      if (lf < 0) {
        consume(r, n);
        rc = 0;
        break;
      }
      consume(r, (size_t)lf + 1);
      r->priv_discard = 0;
      continue;
    }
    lf = find_lf(r, n < FTP_CMD_LINE_MAX ? n : FTP_CMD_LINE_MAX);
    if (lf < 0) {
      if (n < FTP_CMD_LINE_MAX) {
        rc = 0; /* the line is not complete yet */
        break;
      }
      /* FTP_CMD_LINE_MAX bytes and no LF: the line cannot fit.  Say so now,
       * in order (every earlier line was already returned), and never
       * truncate it into a command the client did not send.  The bytes
       * examined are dropped at once and the rest of the line later. */
      consume(r, FTP_CMD_LINE_MAX);
      r->priv_discard = 1;
      rc = FTP_E_LINE_TOO_LONG;
      break;
    }
    /* Security: only the bytes of this line, up to and including its LF, are
     * read, decoded or consumed.  Whatever follows stays in priv_in exactly
     * as it arrived, for ftp_cmd_reader_pending. */
    rc = decode(r, (size_t)lf, cmd);
    consume(r, (size_t)lf + 1);
    if (rc != 0)
      break;
    ftp_buf_reset(&r->priv_line); /* an empty line: ignored */
  }
  if (rc != 1)
    ftp_buf_free(&r->priv_line);
  return rc;
}

int ftp_cmd_arg_is_safe(const char *arg) {
  /* Security: a CR or LF would end the command early and let the rest of
   * the value run as a second command (CRLF injection). */
  return arg == NULL || strpbrk(arg, "\r\n") == NULL;
}

int ftp_cmd_format(struct ftp_buf *out, const char *verb, const char *arg) {
  unsigned char *dst;
  size_t vlen, alen = 0, iacs = 0, n, i, j;
  int r;

  if (verb == NULL || (vlen = strlen(verb)) == 0 ||
      strpbrk(verb, "\r\n\377") != NULL || !ftp_cmd_arg_is_safe(arg))
    return FTP_E_BAD_ARG;
  n = vlen + 2;
  if (arg != NULL) {
    alen = strlen(arg);
    for (i = 0; i < alen; i++)
      iacs += (unsigned char)arg[i] == TELNET_IAC;
    /* alen + iacs <= 2 * alen, and a string in memory is far shorter than
     * SIZE_MAX / 2; the check documents that. */
    if (alen > (SIZE_MAX - n - 1) / 2)
      return FTP_E_TOOBIG;
    n += 1 + alen + iacs;
  }
  if ((r = ftp_buf_reserve(out, n, &dst)) != 0)
    return r;
  memcpy(dst, verb, vlen);
  j = vlen;
  if (arg != NULL) {
    dst[j++] = ' ';
    for (i = 0; i < alen; i++) {
      /* RFC 854: a data byte 255 must be sent as IAC IAC, or the server
       * takes it as the start of a Telnet command. */
      if ((unsigned char)arg[i] == TELNET_IAC)
        dst[j++] = TELNET_IAC;
      dst[j++] = arg[i];
    }
  }
  dst[j++] = '\r';
  dst[j++] = '\n';
  ftp_buf_commit(out, j);
  return 0;
}
