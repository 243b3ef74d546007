/*
 * ftpusers.h: the FTPUSERS deny list (default /etc/ftpusers), as ftpd(8)
 * of the BSDs, wu-ftpd, vsftpd and ProFTPD read it: one account name a
 * line; blanks around a name are ignored; a line whose first non-blank
 * character is '#' and a blank line are ignored.  A listed account may not
 * log in over FTP, whatever its password.
 *
 * ftpd applies it itself to every login as a system account (PAMSERVICE,
 * and USERFILE users with user=), before PAM, so that a PAM file written
 * without pam_listfile cannot lose it; the shipped PAM file applies the
 * same file through pam_listfile as well.
 */
#ifndef FTPD_FTPUSERS_H
#define FTPD_FTPUSERS_H

#include <stddef.h>

/* The largest deny list read. */
#define FTPD_FTPUSERS_MAX (1024 * 1024)

/*
 * ftpd_ftpusers_match: is name listed in text[0..len)?  No I/O.
 * RETURNS: 1 or 0.
 */
int ftpd_ftpusers_match(const char *text, size_t len, const char *name);

/*
 * ftpd_ftpusers_check: may name log in, by the list at path?  Reads the
 * file at each call (it is small, and an edit applies at once), with
 * blocking calls: run it on the thread pool.
 * RETURNS: 0 (not listed, or no such file: nobody is denied); FTP_E_REFUSED
 * (listed); another error when the file exists but cannot be read (the
 * caller then refuses the login: a deny list is never skipped in silence).
 */
int ftpd_ftpusers_check(const char *path, const char *name);

#endif
