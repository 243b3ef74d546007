/*
 * ascii.h: TYPE A (ASCII) line-end conversion, streaming.
 *
 * RFC 959 section 3.1.1.1: data of ASCII type travels with CRLF line ends,
 * whatever the hosts use locally.  Locally (Unix) a line ends with LF.
 *
 *   to_net    local -> wire.  A bare LF becomes CRLF.  A CRLF already in the
 *             file stays CRLF (it never becomes CRCRLF).  A lone CR (not
 *             followed by LF) is sent unchanged.  That is what vsftpd and
 *             ProFTPD do; the Telnet rule that would make it CR NUL (RFC 854)
 *             is not used by any FTP peer we know and would corrupt the file
 *             for them.
 *   to_local  wire -> local.  CRLF becomes LF.  A lone CR is kept.
 *
 * Both run over a stream cut into chunks anywhere, even between a CR and its
 * LF: the state carries a CR whose fate depends on the next byte.  Such a CR
 * has been consumed but not yet written; the next call writes it (as CRLF
 * or LF, or as CR if no LF follows), and ftp_ascii_flush() writes it at the
 * end of the stream.  So the output for a stream does not depend on how it
 * was cut into chunks, nor on the size of the output buffers.
 *
 * Neither direction allocates.  Round trip: to_local(to_net(x)) == x for any
 * x without CR.  (A file with CRLF line ends comes back with LF ends.)
 */
#ifndef FTP_ASCII_H
#define FTP_ASCII_H

#include <stddef.h>

/*
 * The state of one direction of one transfer.  Zero it (or call
 * ftp_ascii_init) before the first chunk; use a separate one per direction.
 */
struct ftp_ascii {
  int pending_cr; /* a CR was consumed and is not yet written */
};

/*
 * The most output n input bytes can produce in either direction: every byte
 * may double (LF -> CRLF) and a pending CR from the previous chunk adds one.
 * An output buffer of this size always takes the whole input.
 */
#define FTP_ASCII_OUT_MAX(n) (2 * (n) + 1)

/* ftp_ascii_init: start a new stream. */
void ftp_ascii_init(struct ftp_ascii *st);

/*
 * ftp_ascii_to_net: convert local text to wire format.
 * ftp_ascii_to_local: convert wire format to local text.
 *
 * PARAMETERS: st, the stream's state; in and n, the next input bytes; out and
 * outcap, where to write; consumed, where the number of input bytes used is
 * stored.
 * RETURNS: the number of bytes written to out.  When out fills up, the rest
 * of the input (from in + *consumed) is left for the next call; a CRLF pair
 * is never split across two calls' output, so a call may stop with one byte
 * of out unused.  With outcap >= 2 a call with input always makes progress
 * (consumes or writes something); with outcap < 2 it may not.
 */
size_t ftp_ascii_to_net(struct ftp_ascii *st, const unsigned char *in,
                        size_t n, unsigned char *out, size_t outcap,
                        size_t *consumed);
size_t ftp_ascii_to_local(struct ftp_ascii *st, const unsigned char *in,
                          size_t n, unsigned char *out, size_t outcap,
                          size_t *consumed);

/*
 * ftp_ascii_flush: at the end of the stream, write the CR that is still
 * pending (it was not followed by LF, so it is a lone CR in either
 * direction).  Call it until it returns 0 with ftp_ascii_pending() false;
 * one call with outcap >= 1 is enough.
 * RETURNS: the number of bytes written (0 or 1).
 */
size_t ftp_ascii_flush(struct ftp_ascii *st, unsigned char *out,
                       size_t outcap);

/* ftp_ascii_pending: true when a CR waits to be written. */
int ftp_ascii_pending(const struct ftp_ascii *st);

#endif
