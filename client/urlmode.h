/*
 * urlmode.h: ftp URL... (download) and ftp -u URL FILE... (upload), as BSD
 * ftp's auto-fetch and curl do it.
 *
 * Each URL is parsed first (a bad one is a usage error before anything is
 * sent).  Consecutive URLs of the same server, scheme and user share one
 * control connection.  The path is walked with one CWD per directory
 * component (RFC 1738 section 3.2.2, so "%2F" is a slash inside a name),
 * then the last component is retrieved; a URL ending in '/' (or ;type=d)
 * lists the directory on stdout.  Without -o a download is written to the
 * safe base name of the remote file in the current directory.
 */
#ifndef FTPC_URLMODE_H
#define FTPC_URLMODE_H

struct ftpc_shell;

/* ftpc_url_get: the URLs of sh->opts (GET mode).  RETURNS: the exit
 * status (that of the first failure; every URL is tried). */
int ftpc_url_get(struct ftpc_shell *sh);

/* ftpc_url_put: the files of sh->opts to its -u URL.  RETURNS: the exit
 * status. */
int ftpc_url_put(struct ftpc_shell *sh);

#endif
