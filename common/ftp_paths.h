/*
 * ftp_paths.h: the files both programs look for when none is named, all
 * below SYSCONFDIR.
 *
 * The Makefile compiles SYSCONFDIR in (make SYSCONFDIR=/opt/etc ...), so
 * that an installed ftpd and ftp find the members that `make install` put
 * there; the default is /etc.  The fuzz harnesses and other builds that do
 * not pass it get /etc too.
 */
#ifndef FTP_PATHS_H
#define FTP_PATHS_H

#ifndef FTP_SYSCONFDIR
#define FTP_SYSCONFDIR "/etc"
#endif

/* The system member: read by ftp (after $HOME/ftp.data) and by ftpd when
 * its own member below is absent. */
#define FTP_SYSTEM_MEMBER FTP_SYSCONFDIR "/ftp.data"

/* ftpd's own member, read before the system member: it may name the
 * server's KEYRING and CAFILE, which must never become the client's (a
 * shared member would hand every user of ftp the server's key file and
 * its client-certificate CA).  z/OS looks for the server's jobname.FTP.DATA
 * before /etc/ftp.data in the same way. */
#define FTP_SERVER_MEMBER FTP_SYSCONFDIR "/ftpd/ftpd.data"

/* USERFILE when the member does not code it. */
#define FTP_DEFAULT_USERFILE FTP_SYSCONFDIR "/ftpd/users"

#endif
