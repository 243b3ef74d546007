/*
 * ticketkey.h: the file of a TLS session-ticket master key that several
 * ftpd instances share (TLSTICKETKEY), so that a client's next control
 * connection resumes its TLS session on whichever instance a balancer
 * sends it to.
 *
 * The file holds exactly the 64 bytes GnuTLS's
 * gnutls_session_ticket_key_generate makes (ftpcert ticket-key writes one).
 * Since GnuTLS 3.6.4 that is a master key: every instance derives the same
 * rotating ticket keys from it, provided their clocks agree (NTP).
 * Security: whoever reads the file can decrypt every ticket and so every
 * resumed session's secrets: the file must be a regular file readable by
 * its owner only (mode 0600 or 0400); anything else is refused.  GnuTLS
 * 3.6.4 to 3.6.13 ignored the application's key until its first rotation
 * (CVE-2020-13777): older than 3.6.14 is refused too.
 */
#ifndef FTP_TICKETKEY_H
#define FTP_TICKETKEY_H

#include <stddef.h>

/* The size of a GnuTLS ticket master key. */
#define FTP_TICKETKEY_LEN 64

/* The oldest GnuTLS whose ticket keys can be shared (CVE-2020-13777). */
#define FTP_TICKETKEY_GNUTLS_MIN "3.6.14"

/*
 * ftp_ticketkey_read: read the key file at path into key.
 * RETURNS: 0; or a negative error with one line in err (errlen bytes)
 * saying what is wrong: not found, not a regular file, readable by group
 * or others, not 64 bytes, GnuTLS too old.  key is wiped on failure.
 */
int ftp_ticketkey_read(const char *path, unsigned char key[FTP_TICKETKEY_LEN], char *err,
                       size_t errlen);

#endif
