/*
 * tlsmsg.h: the few fields of TLS handshake messages that binding a data
 * connection to its control session needs.
 *
 * Two messages, as GnuTLS's handshake hooks hand them over (the body, without
 * the 4-byte handshake header):
 *   - a ClientHello (RFC 8446 section 4.1.2, RFC 5246 section 7.4.1.2): the
 *     identities it offers for resumption: the TLS 1.3 pre_shared_key
 *     identities (extension 41), the TLS 1.2 session ticket (extension 35,
 *     RFC 5077) and the legacy session ID;
 *   - a NewSessionTicket (RFC 8446 section 4.6.1; RFC 5077 section 3.3): the
 *     ticket, which is what a client later offers as its identity.
 * The input is hostile (a ClientHello comes from anyone who reaches a
 * passive port): every length is checked against what remains, nothing is
 * copied, nothing is allocated, and a message that does not parse whole is
 * refused.  No I/O, no GnuTLS call: unit-tested and fuzzed on bytes.
 */
#ifndef FTP_TLSMSG_H
#define FTP_TLSMSG_H

#include <stddef.h>

#include "ftp_limits.h"

/* TLS extension numbers (IANA). */
#define FTP_TLSMSG_EXT_SESSION_TICKET 35
#define FTP_TLSMSG_EXT_PRE_SHARED_KEY 41

/* A span of the message: p points into the caller's buffer. */
struct ftp_tlsmsg_span {
  const unsigned char *p;
  size_t n;
};

/* What a ClientHello offers for resumption. */
struct ftp_tlsmsg_hello {
  struct ftp_tlsmsg_span session_id;  /* 0 to 32 bytes */
  int has_ticket_ext;                 /* extension 35 present */
  struct ftp_tlsmsg_span ticket;      /* its content; may be empty */
  int has_psk_ext;                    /* extension 41 present */
  size_t npsk;                        /* identities in psk[] */
  struct ftp_tlsmsg_span psk[FTP_TLS_PSK_IDS_MAX];
  size_t psk_more;                    /* identities beyond FTP_TLS_PSK_IDS_MAX */
};

/*
 * ftp_tlsmsg_client_hello: parse a ClientHello body into *out (spans point
 * into p, valid while p is).  A ClientHello without extensions (allowed
 * before TLS 1.3) has none of them.
 * RETURNS: 0; FTP_E_PROTO when the message is malformed: a length that runs
 * past its container, bytes left over, an empty cipher suite or compression
 * list, an extension 35 or 41 given twice, a PSK identity list that is
 * empty or does not fill its length exactly, a pre_shared_key extension that
 * is not the last one (RFC 8446 section 4.2.11).  *out is then zeroed.
 */
int ftp_tlsmsg_client_hello(const unsigned char *p, size_t n,
                            struct ftp_tlsmsg_hello *out);

/*
 * ftp_tlsmsg_ticket: the ticket of a NewSessionTicket body.
 * tls13: 1 for the TLS 1.3 form (lifetime, age_add, nonce, ticket,
 * extensions), 0 for RFC 5077's (lifetime hint, ticket).
 * RETURNS: 0 with *ticket set (a TLS 1.2 ticket may be empty: "no ticket
 * after all"); FTP_E_PROTO when malformed (*ticket then empty).
 */
int ftp_tlsmsg_ticket(const unsigned char *p, size_t n, int tls13,
                      struct ftp_tlsmsg_span *ticket);

#endif
