/*
 * proxyproto.h: the PROXY protocol header (HAProxy's doc/proxy-protocol.txt,
 * versions 1 and 2) that a TCP balancer sends before the client's bytes, to
 * tell the server who the client is.
 *
 * This module does no I/O.  ftp_proxy_parse judges a buffer; struct
 * ftp_proxy_reader drives a read loop that takes the header's bytes and not
 * one byte more, so that what follows it (a ClientHello, an FTP command, an
 * upload's first bytes) stays in the socket for whoever reads next:
 *
 *   ftp_proxy_reader_init(&r);
 *   loop: ftp_proxy_reader_want(&r, &p, &n);   read at most n bytes into p
 *         switch (ftp_proxy_reader_got(&r, nread, &h)) ...
 *
 * Version 1 is one line, "PROXY TCP4|TCP6|UNKNOWN ... \r\n", at most 107
 * bytes; version 2 a 16-byte binary prefix, an address block and TLVs, 16 +
 * its length field bytes in all.  TLVs are skipped unread (we act on none);
 * so is a CRC32C TLV, which the specification lets a receiver ignore.
 *
 * Security: whether a header is expected at all is the caller's decision,
 * from the peer's address (only listed balancers send one; from anyone else
 * a header is never accepted); this module never guesses.  Anything that
 * does not match the specification exactly is refused (section 2.1: "must
 * be discarded and cause the receiver to abort the connection").
 */
#ifndef FTP_PROXYPROTO_H
#define FTP_PROXYPROTO_H

#include <stddef.h>
#include <sys/socket.h>

/* The longest version 1 line, CRLF included (section 2.1). */
#define FTP_PROXY_V1_MAX 107
/* The part of a version 2 header that is parsed: the 16-byte prefix and
 * the largest address block (AF_UNIX, 216 bytes); TLVs after it are read
 * into a scratch area and dropped. */
#define FTP_PROXY_KEEP (16 + 216)

/* ftp_proxy_parse and ftp_proxy_reader_got: the header is not complete. */
#define FTP_PROXY_MORE 1

enum ftp_proxy_command {
  /* v1 TCP4/TCP6, v2 PROXY over TCP/IPv4 or IPv6: src is the client, dst
   * the address it connected to (the balancer's front). */
  FTP_PROXY_CMD_PROXY,
  /* v2 LOCAL: the balancer's own connection (a health check). */
  FTP_PROXY_CMD_LOCAL,
  /* v1 UNKNOWN; v2 PROXY for a family or transport other than TCP over
   * IPv4/IPv6 (UNSPEC, UNIX, UDP): the specification says to use the
   * connection's own endpoints, as without a header. */
  FTP_PROXY_CMD_UNKNOWN
};

struct ftp_proxy_hdr {
  int version;                    /* 1 or 2 */
  enum ftp_proxy_command command;
  struct sockaddr_storage src;    /* FTP_PROXY_CMD_PROXY only; with port */
  struct sockaddr_storage dst;    /* FTP_PROXY_CMD_PROXY only; with port */
  size_t len;                     /* the whole header's length on the wire */
};

/*
 * ftp_proxy_parse: the header at the start of p[0..n).
 * RETURNS: 0 with *h filled (h->len bytes are the header; when h->len > n,
 * the rest is a version 2 header's TLVs, not yet seen and not needed);
 * FTP_PROXY_MORE when p is a valid beginning that lacks bytes the decision
 * needs; FTP_E_PROXY_HEADER as soon as p cannot begin a valid header.
 */
int ftp_proxy_parse(const unsigned char *p, size_t n, struct ftp_proxy_hdr *h);

/*
 * The read loop's state.  Embed it in the connection's owner (it holds
 * about 1 KiB) and initialise it; nothing to release.
 */
struct ftp_proxy_reader {
  unsigned char head[FTP_PROXY_KEEP];
  size_t have;                    /* header bytes received so far */
  unsigned char skip[512];        /* TLV bytes past head land here */
};

void ftp_proxy_reader_init(struct ftp_proxy_reader *r);

/*
 * ftp_proxy_reader_want: where the next read goes (*p) and the most bytes
 * it may take (*n, at least 1): never more than the header still surely
 * has, so that no byte after it is consumed.  Version 1 lines, whose end is
 * known only when seen, are therefore read a few bytes at a time.
 */
void ftp_proxy_reader_want(struct ftp_proxy_reader *r, void **p, size_t *n);

/*
 * ftp_proxy_reader_got: n bytes (1 to the *n of the last want) arrived at
 * the last want's *p.
 * RETURNS: 0 with *h filled: the header is complete; FTP_PROXY_MORE; or
 * FTP_E_PROXY_HEADER (the connection must be closed).
 */
int ftp_proxy_reader_got(struct ftp_proxy_reader *r, size_t n,
                         struct ftp_proxy_hdr *h);

#endif
