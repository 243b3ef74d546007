/*
 * rnames.h: the names in remote directories: the NLST that lists them, the
 * expansion of remote patterns for mget and mdelete, and completion of
 * remote paths at the prompt, which keeps one directory's names (the
 * cache) until something changes the remote tree or the working directory.
 *
 * Security: names come from the server.  Each is reduced to its last
 * component ("../x" is "x"); "." and ".." are dropped.  Callers that make
 * local files of them still go through ftpc_safe_name (localfs.h).
 */
#ifndef FTPC_RNAMES_H
#define FTPC_RNAMES_H

#include <stddef.h>

struct ftpc_shell;

/* The cache: the names of dir ("" is the working directory), or dir NULL.
 * It lives in struct ftpc_shell; only rnames.c touches it. */
struct ftpc_rnames {
  char *dir;
  char **names;
  size_t n;
};

/*
 * ftpc_rnames_list: NLST of dir (NULL: the working directory) into *names
 * (*n of them), each reduced to its last component.  A 450 reply (no
 * files, for some servers) is an empty list.  Free with ftpc_rnames_free.
 * RETURNS: an exit status class, with the reason in sh->err.
 */
int ftpc_rnames_list(struct ftpc_shell *sh, const char *dir, char ***names,
                     size_t *n);

/*
 * ftpc_rnames_expand: the remote files a pattern names: itself when it has
 * no wildcard, else the matches (fnmatch, FNM_PERIOD) among the names of
 * its directory, with the directory in front.  Free with ftpc_rnames_free.
 * RETURNS: an exit status class, with the reason in sh->err.
 */
int ftpc_rnames_expand(struct ftpc_shell *sh, const char *pattern, char ***out,
                       size_t *n);

/*
 * ftpc_rnames_complete: the completions of text, a remote path being typed:
 * the names of its directory that start with its last component, with the
 * directory in front.  The directory is listed quietly (no replies shown)
 * once, then taken from the cache; nothing is listed when not logged in.
 * Free with ftpc_rnames_free.  RETURNS: 0, or FTP_E_NOMEM.
 */
int ftpc_rnames_complete(struct ftpc_shell *sh, const char *text, char ***out,
                         size_t *n);

/* ftpc_rnames_forget: drop the cache (cd, put, delete, ... changed what a
 * listing would say). */
void ftpc_rnames_forget(struct ftpc_shell *sh);

/* ftpc_rnames_free: free a list of names.  Accepts NULL. */
void ftpc_rnames_free(char **names, size_t n);

#endif
