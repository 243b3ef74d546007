/*
 * url.h: FTP URLs for the ftp client.
 *
 *   scheme://[user[:password]@]host[:port][/path][;type=a|i|d]
 *
 * SCHEMES (case-insensitive):
 *   ftp://    plain FTP, port 21 by default
 *   ftpes://  explicit TLS (AUTH TLS) required, port 21 by default
 *   ftps://   implicit TLS, port 990 by default
 *
 * HOST: a name from [A-Za-z0-9.-_] (stored in lower case; IDNs must be given
 * in their xn-- form), an IPv4 dotted quad, or an IPv6 literal in brackets,
 * optionally with a zone id written "%25" (RFC 6874: [fe80::1%25eth0]).
 * host_is_ip tells the two kinds apart: an IP literal must never be sent as
 * TLS SNI (RFC 6066 section 3).  A name whose last label is numeric but that
 * is not a dotted quad ("127.1", "0x7f.1", "010.0.0.1") is refused, because
 * the resolver would read it as an address in a form we did not check.
 *
 * PORT: 1 to 65535; an empty port ("host:") means the default (RFC 3986
 * section 3.2.3).
 *
 * PATH (RFC 1738 section 3.2.2): the '/' after the host only separates; the
 * path is relative to the login directory.  It is split at each '/' into
 * components that are percent-decoded one by one, so "%2F" is a slash
 * inside a component: ftp://host/%2Fetc/passwd is CWD /etc, RETR passwd.  A
 * path that starts with "//" starts at the root: its first component is "/".
 * Empty components in the middle ("a//b") are dropped, as curl does, since
 * CWD needs an argument.  A trailing '/' asks for a listing (is_dir).
 * ";type=a", ";type=i" or ";type=d" at the end selects the TYPE (d: a
 * listing); any other raw ';', and any raw '?' or '#', is refused: write
 * %3B, %3F, %23.
 *
 * REFUSED, with FTP_E_SYNTAX and a message: a URL longer than FTP_URL_MAX;
 * blanks or control characters anywhere (write %20); an unknown scheme; an
 * empty host; a bad port; an unterminated '['; a bad IPv6 literal or zone; a
 * malformed percent-encoding ("%G1", "%4"); a decoded NUL, CR or LF anywhere
 * (Security: they would end the FTP command the value is sent in and start
 * another); more than one raw '@' (write %40); an empty user before '@'; a
 * ':' in the decoded user name; a user longer than FTP_USER_MAX or a password
 * longer than FTP_PASS_MAX.
 *
 * Security for users of the result: a component may contain '/', or be "."
 * or "..", or contain bytes a terminal interprets.  Never use one as a local
 * file name without reducing it to a safe base name, and print URLs with
 * ftp_url_format_redacted(), which also hides the password.
 */
#ifndef FTP_URL_H
#define FTP_URL_H

#include <stddef.h>

#include "buf.h"
#include "ftp_limits.h"

/* The longest URL accepted: a maximal path with every byte percent-encoded
 * fits.  (Belongs in limits.h.) */
#define FTP_URL_MAX (3 * FTP_PATH_MAX + 1024)

#define FTP_URL_PORT_FTP 21
#define FTP_URL_PORT_FTPS 990

enum ftp_url_scheme {
  FTP_URL_FTP = 1, /* plain, or TLS if the configuration asks for it */
  FTP_URL_FTPES,   /* AUTH TLS, required */
  FTP_URL_FTPS     /* implicit TLS */
};

enum ftp_url_type {
  FTP_URL_TYPE_NONE = 0, /* no ;type= given */
  FTP_URL_TYPE_A,        /* ;type=a: ASCII */
  FTP_URL_TYPE_I,        /* ;type=i: image (binary) */
  FTP_URL_TYPE_D         /* ;type=d: a directory listing (is_dir is set) */
};

struct ftp_url {
  int scheme;          /* enum ftp_url_scheme */
  char *user;          /* decoded; NULL when the URL has none */
  char *password;      /* decoded; NULL when none; wiped by ftp_url_free */
  char *host;          /* name, dotted quad, or IPv6 without brackets
                        * ("fe80::1%eth0", zone decoded) */
  unsigned port;
  char *path;          /* decoded, "" for none; see PATH above */
  char **components;   /* ncomponents decoded components of the path */
  size_t ncomponents;
  int is_dir;          /* trailing '/' or ;type=d: list, do not retrieve */
  int type;            /* enum ftp_url_type */
  int host_is_ip;      /* host is an IP literal: no SNI */
};

/*
 * ftp_url_parse: parse the NUL-terminated URL s into u.
 *
 * u need not be initialised; on success it owns its strings and must be
 * released with ftp_url_free().  On failure u is left empty (safe to pass to
 * ftp_url_free()).
 * PARAMETERS: msg, where a static message for the user is stored on
 * FTP_E_SYNTAX (may be NULL); it names the rule broken, never the password.
 * RETURNS: 0; FTP_E_SYNTAX; FTP_E_NOMEM.
 */
int ftp_url_parse(const char *s, struct ftp_url *u, const char **msg);

/*
 * ftp_url_free: release u's strings, wiping the password first, and leave u
 * empty.  Accepts NULL.
 */
void ftp_url_free(struct ftp_url *u);

/* ftp_url_default_port: 21 or 990 for a scheme. */
unsigned ftp_url_default_port(int scheme);

/*
 * ftp_url_format_redacted: append u, as a URL safe to print, to out: the
 * password (if any) is "****", the port is shown only when it is not the
 * default, and every byte outside the URL's safe set (including any
 * non-ASCII and control byte) is percent-encoded.  Parsing the result gives
 * back u, except for the password.
 * RETURNS: 0, FTP_E_TOOBIG, FTP_E_NOMEM (out then holds a partial URL).
 */
int ftp_url_format_redacted(const struct ftp_url *u, struct ftp_buf *out);

#endif
