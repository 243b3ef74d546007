/*
 * addr.h: the data address codec.
 *
 * Parses and formats the arguments and replies that carry a data connection's
 * address: PORT and the 227 reply to PASV (RFC 959, "h1,h2,h3,h4,p1,p2"),
 * EPRT and the 229 reply to EPSV (RFC 2428, "|af|addr|port|"), and EPSV's
 * argument.  Helpers compare, classify and convert the addresses, all on
 * struct sockaddr_storage holding AF_INET or AF_INET6.  This module does no
 * I/O and no name resolution: only IP literals.
 *
 * Whether an address may be used (bounce protection: same host as the
 * control peer, port >= 1024) is policy's decision, not this module's; it
 * only guarantees that what it returns is well formed.
 */
#ifndef FTP_ADDR_H
#define FTP_ADDR_H

#include <netinet/in.h>
#include <stddef.h>
#include <sys/socket.h>

#include "buf.h"

/* Room for any string ftp_addr_to_string writes, its NUL included. */
#define FTP_ADDR_STRLEN INET6_ADDRSTRLEN

/* Values of ftp_addr_parse_epsv_arg's result besides AF_INET and AF_INET6. */
enum {
  FTP_ADDR_EPSV_ANY = 0,  /* no argument: the control connection's family */
  FTP_ADDR_EPSV_ALL = -1  /* "EPSV ALL" */
};

/*
 * ftp_addr_parse_port: parse PORT's argument "h1,h2,h3,h4,p1,p2" (RFC 959
 * section 4.1.2): exactly six decimal fields 0-255, digits only (no sign, no
 * blank inside, none empty); blanks before and after the whole argument are
 * tolerated.  A port of 0 is refused.
 * On success *out is an AF_INET address with its port (all other bytes 0).
 * RETURNS: 0; FTP_E_SYNTAX (501) for any malformation, *out then unchanged.
 */
int ftp_addr_parse_port(const char *arg, struct sockaddr_storage *out);

/*
 * ftp_addr_format_port: append "h1,h2,h3,h4,p1,p2" for an IPv4 address (an
 * IPv4-mapped IPv6 address counts as IPv4), as the PORT argument or inside
 * the 227 text.
 * RETURNS: 0; FTP_E_AF_UNSUPPORTED for any other family; FTP_E_BAD_ARG for
 * port 0; FTP_E_TOOBIG or FTP_E_NOMEM from out (nothing appended).
 */
int ftp_addr_format_port(const struct sockaddr_storage *sa,
                         struct ftp_buf *out);

/*
 * ftp_addr_parse_pasv_reply: find the address and port in the text of a 227
 * reply (without its code).  As RFC 1123 section 4.1.2.6 tells clients, the
 * text is scanned for the first run of six comma-separated numbers,
 * whether or not in parentheses; blanks next to the commas are tolerated.
 * RETURNS: 0 with an AF_INET address in *out; FTP_E_BAD_REPLY when there is
 * no such run, a number exceeds 255 or the port is 0 (*out unchanged).
 */
int ftp_addr_parse_pasv_reply(const char *text, struct sockaddr_storage *out);

/*
 * ftp_addr_parse_eprt: parse EPRT's argument <d><af><d><addr><d><port><d>
 * (RFC 2428 section 2): d is the first character, any of ASCII 33-126, and
 * the same throughout; af is 1 (IPv4) or 2 (IPv6); addr is a literal of that
 * family (inet_pton: an IPv4 address under af 2 is malformed, and so is the
 * reverse); port is decimal 1-65535; nothing may follow the last d.
 * An IPv4-mapped address under af 2 is returned as AF_INET6, as given.
 * RETURNS: 0; FTP_E_AF_UNSUPPORTED (522, "use (1,2)") when the argument is
 * well delimited but af is another number; FTP_E_SYNTAX (501) for every
 * other malformation.  *out is unchanged on error.
 */
int ftp_addr_parse_eprt(const char *arg, struct sockaddr_storage *out);

/*
 * ftp_addr_format_eprt: append "|1|a.b.c.d|port|" or "|2|addr|port|".
 * RETURNS: 0; FTP_E_AF_UNSUPPORTED for a family other than AF_INET and
 * AF_INET6; FTP_E_BAD_ARG for port 0; FTP_E_TOOBIG, FTP_E_NOMEM.
 */
int ftp_addr_format_eprt(const struct sockaddr_storage *sa,
                         struct ftp_buf *out);

/*
 * ftp_addr_parse_epsv_reply: find "(<d><d><d><port><d>)" in the text of a
 * 229 reply (RFC 2428 section 3): four equal delimiters from ASCII 33-126
 * (not a digit), an empty family and address, a decimal port 1-65535.  The
 * text is scanned for the first such group.
 * RETURNS: 0 with the port in *port; FTP_E_BAD_REPLY (*port unchanged).
 */
int ftp_addr_parse_epsv_reply(const char *text, unsigned *port);

/*
 * ftp_addr_format_epsv: append "Entering Extended Passive Mode (|||port|)",
 * the text of the 229 reply.
 * RETURNS: 0; FTP_E_BAD_ARG for a port outside 1-65535; FTP_E_TOOBIG,
 * FTP_E_NOMEM.
 */
int ftp_addr_format_epsv(unsigned port, struct ftp_buf *out);

/*
 * ftp_addr_parse_epsv_arg: EPSV's optional argument (RFC 2428 section 3).
 * arg may be NULL; blanks around it are ignored.  *family_or_all is set to
 * FTP_ADDR_EPSV_ANY for no argument, AF_INET for "1", AF_INET6 for "2", or
 * FTP_ADDR_EPSV_ALL for "ALL" (any case).
 * RETURNS: 0; FTP_E_AF_UNSUPPORTED (522) for any other number;
 * FTP_E_SYNTAX (501) for anything else.  *family_or_all unchanged on error.
 */
int ftp_addr_parse_epsv_arg(const char *arg, int *family_or_all);

/*
 * ftp_addr_normalize: turn an IPv4-mapped IPv6 address (::ffff:a.b.c.d, as
 * a dual-stack socket reports an IPv4 peer) into AF_INET, keeping the port.
 * Anything else is left as it is.
 */
void ftp_addr_normalize(struct sockaddr_storage *sa);

/*
 * ftp_addr_same_host: 1 when a and b are the same IP address after
 * normalisation, ports and IPv6 scope ids ignored; 0 otherwise (also for any
 * family other than AF_INET and AF_INET6).
 */
int ftp_addr_same_host(const struct sockaddr_storage *a,
                       const struct sockaddr_storage *b);

/*
 * ftp_addr_is_private: 1 for an address that is not globally routable in the
 * usual sense: RFC 1918 (10/8, 172.16/12, 192.168/16), loopback (127/8,
 * ::1), link-local (169.254/16, fe80::/10), shared CGNAT space (100.64/10,
 * RFC 6598) and unique local IPv6 (fc00::/7); IPv4-mapped addresses are
 * judged as IPv4.  0 otherwise, including the unspecified address and
 * unknown families.
 */
int ftp_addr_is_private(const struct sockaddr_storage *sa);

/* ftp_addr_port: the port in host order; 0 for an unknown family. */
unsigned ftp_addr_port(const struct sockaddr_storage *sa);

/* ftp_addr_set_port: set the port (0-65535; a larger value, or an unknown
 * family, leaves sa unchanged). */
void ftp_addr_set_port(struct sockaddr_storage *sa, unsigned port);

/*
 * ftp_addr_to_string: write the address, without port and without brackets
 * ("10.0.0.1", "2001:db8::1", "::ffff:10.0.0.1" unless normalised), into out
 * (n bytes, FTP_ADDR_STRLEN always suffice), NUL-terminated.
 * RETURNS: 0; FTP_E_AF_UNSUPPORTED; FTP_E_TOOBIG when n is too small.
 */
int ftp_addr_to_string(const struct sockaddr_storage *sa, char *out,
                       size_t n);

/*
 * ftp_addr_from_string: build an address from an IP literal (dotted IPv4 or
 * IPv6, no brackets, no zone, no host name) and a port 0-65535.
 * RETURNS: 0; FTP_E_BAD_ARG for anything else (*out unchanged).
 */
int ftp_addr_from_string(const char *s, unsigned port,
                         struct sockaddr_storage *out);

/*
 * ftp_addr_as16: the 16-byte form of sa's address (IPv4 as IPv4-mapped),
 * one key for both families (the ban table).  RETURNS: 0, or FTP_E_AF_UNSUPPORTED for another family.
 */
int ftp_addr_as16(const struct sockaddr_storage *sa, unsigned char out[16]);

#endif
