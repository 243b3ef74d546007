/*
 * fs.h: the confined filesystem of one session.
 *
 * A session sees one directory tree, its root (the user's home).  Every path
 * a client names is first made a virtual path: absolute, "/" being the root,
 * with ".", ".." and repeated slashes removed lexically (".." never climbs
 * above "/").  The virtual path is then resolved by the kernel beneath a
 * descriptor of the root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)
 * and the *at() calls.  The kernel treats the root descriptor as "/" for
 * every step, symlink targets included: an absolute symlink, or one full of
 * "..", lands inside the root, never beside it; this holds for symlinks made
 * after login and for symlinked intermediate directories, and does not
 * depend on the daemon's privileges.  There is no string-prefix check and no
 * realpath anywhere.
 *
 * Symlinks therefore work as they would after chroot(root): a link whose
 * target lies inside the root is followed there; a link that names
 * something outside resolves to the same name inside the root (usually:
 * "No such file").
 *
 * Which calls follow a symlink in the LAST component:
 *   follow (inside the root): ftp_fs_open (reading, or writing an existing
 *     file), ftp_fs_stat, ftp_fs_opendir, ftp_fs_chdir;
 *   never: ftp_fs_mkdir, rmdir, unlink, rename (they act on the link
 *     itself), ftp_fs_chmod and ftp_fs_set_mtime (they refuse a symlink with
 *     UV_EPERM), creating a file (a dangling symlink is not written through:
 *     UV_EEXIST).
 *
 * Threading: every function is synchronous and thread-safe (no globals, no
 * non-reentrant libc) and is meant to run on libuv's thread pool.  The
 * functions that take a const struct ftp_fs read fs->cwd; ftp_fs_chdir
 * writes it.  A session runs at most one filesystem job at a time, so no
 * lock is needed.
 *
 * Errors: 0 or a negative code.  System errors come back as -errno, which on
 * Linux is the libuv code UV_E*, so ftp_err_reply() maps them (UV_ENOENT ->
 * 550, UV_ENOSPC -> 452, ...).  Decisions this module makes itself:
 *   UV_EACCES        the session is read-only and the call would change
 *                    something (550);
 *   UV_EPERM         the object is of a kind the call refuses: a FIFO,
 *                    socket or device opened for data, a symlink given to
 *                    chmod or set_mtime, setuid/setgid bits in a chmod, the
 *                    root itself removed or renamed (550);
 *   UV_EISDIR        a directory opened for data (550);
 *   UV_ENAMETOOLONG  a virtual path or name longer than FTP_PATH_MAX or the
 *                    caller's buffer (553);
 *   UV_EINVAL        a flag or mode this API does not accept (a caller bug);
 *   FTP_E_ESCAPE     the kernel reported EXDEV while resolving: resolution
 *                    would have left the root (a race with a rename or a
 *                    mount, or a bind mount inside the root); 550, and the
 *                    caller should log it as a security event;
 *   UV_ELOOP         a symlink loop, or a magic link (/proc/<pid>/fd/...)
 *                    met on the way: RESOLVE_NO_MAGICLINKS makes the kernel
 *                    refuse it with ELOOP, which cannot be told apart from a
 *                    genuine loop; both are 550, and neither ever resolves;
 *   UV_EAGAIN        the tree kept changing under the resolution (451).
 * Nothing here logs: callers do, with the error's name.
 *
 * Permissions: the kernel checks access with the credentials of the thread
 * that calls: the session's user's, when the job carries an identity
 * (creds.h: a system account, a USERFILE user with user= or uid=), else
 * the daemon's (RUNAS).  When ftpd runs as root, the confinement above is
 * the only barrier between a session and the rest of the system, which is
 * why every path, without exception, goes through it.
 */
#ifndef FTP_FS_H
#define FTP_FS_H

#include <stddef.h>
#include <sys/stat.h>
#include <time.h>

#include "ftp_limits.h"

struct ftp_fs {
  int root_fd;             /* O_PATH | O_DIRECTORY descriptor of the root */
  char cwd[FTP_PATH_MAX];  /* virtual, absolute, normalised; "/" = root.
                            * Read it freely; only ftp_fs_chdir writes it. */
  unsigned umask;          /* applied to 0666 (files) and 0777 (dirs) */
  int readonly;            /* refuse every change with UV_EACCES */
};

/*
 * ftp_fs_supported: 1 if this kernel provides openat2() with
 * RESOLVE_IN_ROOT (Linux 5.6 and later, and not hidden by a seccomp
 * filter), else 0.  ftpd refuses to start without it: confinement rests
 * entirely on the kernel resolving every path beneath the root descriptor,
 * and there is no safe user-space fallback (component-by-component walks
 * race with renames and symlinks made by local users).
 */
int ftp_fs_supported(void);

/*
 * ftp_fs_init: open root_dir (O_PATH | O_DIRECTORY | O_CLOEXEC) as the root
 * of a new session filesystem, with cwd "/".
 * PARAMETERS: root_dir, an absolute host path chosen by the administrator
 * (symlinks in it are followed: it is trusted configuration); umask, the
 * file creation mask (only its 0777 bits are used); readonly, non-zero for
 * sessions that may not change anything (anonymous users).
 * RETURNS: 0, or -errno from open (UV_ENOENT, UV_ENOTDIR, ...).  On failure
 * fs->root_fd is -1 and ftp_fs_close is still safe.
 * OWNERSHIP: fs holds the root descriptor until ftp_fs_close.
 */
int ftp_fs_init(struct ftp_fs *fs, const char *root_dir, unsigned umask,
                int readonly);

/* ftp_fs_close: close the root descriptor.  Accepts NULL and a closed fs. */
void ftp_fs_close(struct ftp_fs *fs);

/*
 * ftp_fs_vpath: the virtual path an FTP argument names.
 * arg is taken relative to fs->cwd unless it starts with "/"; an empty arg
 * names the cwd.  Empty components and "." are dropped and ".." removes the
 * previous component, lexically, never going above "/".  The result is
 * absolute, has no trailing slash (except "/" itself) and keeps every other
 * byte as given (spaces, UTF-8, wildcards).
 * PARAMETERS: out receives the NUL-terminated result; n is its size.
 * RETURNS: 0, or UV_ENAMETOOLONG when the result (or arg itself) does not
 * fit in n or in FTP_PATH_MAX.  out is unspecified on failure.
 */
int ftp_fs_vpath(const struct ftp_fs *fs, const char *arg, char *out,
                 size_t n);

/*
 * ftp_fs_chdir: CWD (and CDUP, as arg ".."): make arg the cwd if it resolves
 * to a directory inside the root.  fs->cwd becomes its virtual path.
 * RETURNS: 0, UV_ENOENT, UV_ENOTDIR, ...; fs->cwd is unchanged on failure.
 */
int ftp_fs_chdir(struct ftp_fs *fs, const char *arg);

/*
 * ftp_fs_open: open a regular file for a data transfer.
 * PARAMETERS: flags is exactly one of
 *   O_RDONLY                      RETR
 *   O_WRONLY | O_CREAT            STOR (the caller truncates, with ftruncate,
 *                                 once the data connection is up, so that a
 *                                 failed connection leaves the file intact)
 *   O_WRONLY | O_CREAT | O_APPEND APPE
 * optionally with O_EXCL (create only), or O_WRONLY [| O_APPEND] without
 * O_CREAT (write an existing file).  Anything else is UV_EINVAL.
 * A new file gets mode 0666 & ~fs->umask exactly (the process umask does not
 * apply); an existing file keeps its mode.  The descriptor is blocking and
 * O_CLOEXEC.
 * Security: only regular files are opened.  A directory is refused with
 * UV_EISDIR, and a FIFO, socket or device with UV_EPERM before it is opened
 * for I/O (they are inspected through an O_PATH descriptor first), so that
 * a FIFO cannot block a worker thread and a device open cannot have side
 * effects.  A symlink in the last component is followed inside the root
 * when the file exists; a new file is never created through a symlink.
 * RETURNS: 0 with *fd set, or UV_EACCES (read-only session, for writes),
 * UV_ENOENT, UV_EISDIR, UV_EPERM, UV_EEXIST, ...; *fd is -1 on failure.
 * OWNERSHIP: the caller closes *fd.
 */
int ftp_fs_open(const struct ftp_fs *fs, const char *arg, int flags, int *fd);

/*
 * ftp_fs_stat: stat the object arg names, following a symlink in the last
 * component inside the root (SIZE, MDTM and MLST describe what RETR would
 * send; a dangling link, or one that points outside, gives UV_ENOENT).
 * RETURNS: 0 with *st filled, or -errno.
 */
int ftp_fs_stat(const struct ftp_fs *fs, const char *arg, struct stat *st);

/*
 * ftp_fs_opendir: open the directory arg names (following symlinks inside
 * the root) for reading its entries: O_RDONLY | O_DIRECTORY | O_CLOEXEC.
 * RETURNS: 0 with *dirfd set, or UV_ENOTDIR, UV_ENOENT, ...; *dirfd is -1 on
 * failure.
 * OWNERSHIP: the caller closes *dirfd (fdopendir takes it over if used).
 */
int ftp_fs_opendir(const struct ftp_fs *fs, const char *arg, int *dirfd);

/*
 * ftp_fs_open_parent: resolve the directory that contains the last
 * component of arg, for *at() calls on that one name that must not follow
 * it (fstatat with AT_SYMLINK_NOFOLLOW, readlinkat).
 * PARAMETERS: *dirfd receives an O_PATH directory descriptor (it serves as
 * the dirfd of *at() calls; it cannot be read with getdents); name (size n)
 * receives the last component, never empty, "." or "..", without a slash.
 * RETURNS: 0, or UV_EPERM when arg names the root (it has no parent inside
 * the root), UV_ENAMETOOLONG, UV_ENOENT, UV_ENOTDIR, ...; *dirfd is -1 on
 * failure.
 * OWNERSHIP: the caller closes *dirfd.
 */
int ftp_fs_open_parent(const struct ftp_fs *fs, const char *arg, int *dirfd,
                       char *name, size_t n);

/*
 * ftp_fs_mkdir: MKD.  Create the directory arg names with mode
 * 0777 & ~fs->umask exactly (a setgid bit inherited from the parent stays).
 * PARAMETERS: vpath_out (size n, may be NULL when n is 0) receives the
 * virtual path of the new directory, for the 257 reply.
 * RETURNS: 0, UV_EACCES (read-only), UV_EEXIST (also for "/" and for an
 * existing symlink, which is not followed), UV_ENOENT, UV_ENAMETOOLONG, ...
 */
int ftp_fs_mkdir(const struct ftp_fs *fs, const char *arg, char *vpath_out,
                 size_t n);

/*
 * ftp_fs_rmdir: RMD.  Remove the empty directory arg names; a symlink is not
 * followed (UV_ENOTDIR).
 * RETURNS: 0, UV_EACCES (read-only), UV_EPERM (the root), UV_ENOTEMPTY, ...
 */
int ftp_fs_rmdir(const struct ftp_fs *fs, const char *arg);

/*
 * ftp_fs_unlink: DELE.  Remove the non-directory arg names; a symlink is
 * removed itself, its target is untouched.
 * RETURNS: 0, UV_EACCES (read-only), UV_EISDIR, UV_ENOENT, UV_EPERM (the
 * root), ...
 */
int ftp_fs_unlink(const struct ftp_fs *fs, const char *arg);

/*
 * ftp_fs_rename: RNFR + RNTO.  Rename from to to, both inside the root,
 * replacing an existing to as rename(2) does.  Neither last component is
 * followed: a symlink is moved, not its target.
 * RETURNS: 0, UV_EACCES (read-only), UV_EPERM (either is the root), UV_EXDEV
 * (different filesystems inside the root), UV_EINVAL (a directory into
 * itself), UV_ENOENT, ...
 */
int ftp_fs_rename(const struct ftp_fs *fs, const char *from, const char *to);

/*
 * ftp_fs_chmod: SITE CHMOD.  Set the permission bits of the object arg names
 * (the root itself included).  The last component is not followed: a
 * symlink is refused with UV_EPERM, so a link pointing anywhere cannot lend
 * its name to a chmod.
 * PARAMETERS: mode, at most 07777.
 * Security: setuid and setgid bits are refused (UV_EPERM): files created by
 * ftpd are owned by the daemon's user, possibly root, and a client must not
 * be able to turn an upload into a privileged program.
 * RETURNS: 0, UV_EACCES (read-only), UV_EPERM, UV_EINVAL (mode > 07777),
 * UV_ENOENT, ...
 */
int ftp_fs_chmod(const struct ftp_fs *fs, const char *arg, unsigned mode);

/*
 * ftp_fs_set_mtime: MFMT.  Set the modification time of the object arg
 * names; the access time is left alone.  A symlink in the last component is
 * refused with UV_EPERM, as for ftp_fs_chmod.
 * RETURNS: 0, UV_EACCES (read-only), UV_EPERM, UV_EINVAL (bad tv_nsec), ...
 */
int ftp_fs_set_mtime(const struct ftp_fs *fs, const char *arg,
                     const struct timespec *mtime);

/*
 * ftp_fs_unique_name: STOU.  Create a new, empty file whose name no existing
 * entry has (O_CREAT | O_EXCL, so a race with another creator cannot make
 * it share a file) and open it for writing.
 * PARAMETERS: base, NULL or "" for a name in the cwd ("stou." followed by 8
 * random hex digits), or an FTP path whose last component is the preferred
 * name: base itself if free, else base.1, base.2, ... base.999 beside it;
 * vpath_out (size n) receives the new file's virtual path, for the reply.
 * RETURNS: 0 with *fd set (mode 0666 & ~umask, O_WRONLY | O_CLOEXEC), or
 * UV_EACCES (read-only), UV_EEXIST (every candidate taken), UV_EPERM (base
 * names the root), UV_ENAMETOOLONG, ...; *fd is -1 on failure.
 * OWNERSHIP: the caller closes *fd.
 */
int ftp_fs_unique_name(const struct ftp_fs *fs, const char *base, int *fd,
                       char *vpath_out, size_t n);

#endif
