/*
 * dest.h: where a download goes, decided on the file itself.
 *
 * A regular file, or a name that does not exist yet, gets the .part
 * protocol (localfs.h): the download is written to NAME.part and renamed
 * over NAME once complete, so that NAME is never a truncated copy.
 * A device, FIFO or socket is written in place, as curl and wget do:
 * renaming over it would replace the special file by a regular one (ftp -o
 * /dev/null, run as root, once did exactly that).  A symbolic link is
 * followed: the link stays a link, its target gets the content, and the
 * .part file goes beside the target.
 *
 * Security: the kernel resolves the links (open with O_PATH), so its
 * protected_symlinks rule applies as it does to curl's open: a link planted
 * in /tmp by another user is not followed.  The file is classified by
 * fstat of the descriptor opened, never by a stat of its name, and a
 * special file is opened for writing through that same descriptor
 * (/proc/self/fd), so a file swapped in meanwhile is never the one written.
 */
#ifndef FTPC_DEST_H
#define FTPC_DEST_H

#include <uv.h>

/* The longest local path the client writes to (PATH_MAX). */
#define FTPC_DEST_PATH_MAX 4096

struct ftpc_dest {
  /* The file that receives the content: LOCAL itself, or the end of its
   * chain of symbolic links. */
  char path[FTPC_DEST_PATH_MAX];
  /* 1: a device, FIFO or socket, written in place through the descriptor
   * ftpc_dest_open returned, in order (no offsets, no .part, no rename). */
  int in_place;
};

/*
 * ftpc_dest_open: decide where a download to local goes.
 * Regular file or new name: d->path is where the .part protocol applies
 * (LOCAL, or the target of LOCAL's links), *fd is -1.  Special file:
 * d->in_place, and *fd is open for writing (for a FIFO, this waits for a
 * reader, as any writer of a FIFO does).
 * RETURNS: 0; UV_EISDIR for a directory; UV_ENOTSUP for a socket; UV_ELOOP
 * past 40 links; UV_ENAMETOOLONG; UV_EACCES (among others, a link the
 * kernel refuses to follow); other errors of open(2) as libuv codes.
 */
int ftpc_dest_open(const char *local, struct ftpc_dest *d, uv_file *fd);

#endif
