/*
 * localfs.h: the local side of transfers: safe local names for remote
 * files, the NAME.part file a download is written to, local patterns.
 *
 * A download never writes a regular file directly: it writes NAME.part and
 * renames it to NAME only when the transfer is known complete (the data
 * stream ended cleanly and the server said 226).  A file called NAME is
 * therefore always complete; a NAME.part is what "reget" resumes.  (Which
 * NAME, and when a special file is written in place instead: dest.h.)
 *
 * File work goes through libuv's synchronous fs calls (a NULL callback) on
 * the engine's loop, which has nothing else to do at that moment.
 */
#ifndef FTPC_LOCALFS_H
#define FTPC_LOCALFS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* The suffix of a download in progress. */
#define FTPC_PART_SUFFIX ".part"

/*
 * ftpc_safe_name: reduce a remote path to a safe local file name: its last
 * component ('/' and '\\' both separate; trailing separators ignored), with
 * control characters replaced by '_'.
 * Security: a server chooses the names NLST returns; "../x", "/etc/x" or a
 * name with an escape sequence must never become a path we write to.
 * RETURNS: 0 with the name in out (n bytes); FTP_E_BAD_ARG when nothing
 * usable is left ("", ".", "..") or the name is longer than 255 bytes.
 */
int ftpc_safe_name(const char *remote, char *out, size_t n);

/*
 * ftpc_part_open: open LOCAL.part for writing, created with mode 0666
 * (less the umask), never through a symbolic link.  resume: keep its
 * contents and set *offset to its size; else truncate it and set 0.
 * RETURNS: 0 with the descriptor in *fd; a libuv error.
 */
int ftpc_part_open(uv_loop_t *loop, const char *local, int resume, uv_file *fd,
                   int64_t *offset);

/* ftpc_part_commit: rename LOCAL.part to LOCAL.  RETURNS: 0 or an error. */
int ftpc_part_commit(uv_loop_t *loop, const char *local);

/* ftpc_part_name: LOCAL.part into out.  RETURNS: 0, FTP_E_TOOBIG. */
int ftpc_part_name(const char *local, char *out, size_t n);

/* ftpc_local_size: the size of a regular file.  RETURNS: 0 with *size; a
 * libuv error (UV_ENOENT); UV_EISDIR for anything but a regular file. */
int ftpc_local_size(uv_loop_t *loop, const char *path, int64_t *size);

/*
 * ftpc_local_open_read: open a local regular file for an upload.
 * RETURNS: 0 with *fd and *size; a libuv error; UV_EISDIR.
 */
int ftpc_local_open_read(uv_loop_t *loop, const char *path, uv_file *fd,
                         int64_t *size);

/*
 * ftpc_local_glob: expand a local pattern (sh rules, ~ expanded) into
 * *paths (count *n), regular files only, sorted.  Free with
 * ftpc_local_glob_free.  RETURNS: 0 (maybe *n == 0), FTP_E_NOMEM.
 */
int ftpc_local_glob(const char *pattern, char ***paths, size_t *n);
void ftpc_local_glob_free(char **paths, size_t n);

/* ftpc_has_glob: the string holds *, ? or [. */
int ftpc_has_glob(const char *s);

/* ftpc_base_name: the last component of a local path (no allocation). */
const char *ftpc_base_name(const char *path);

#endif
