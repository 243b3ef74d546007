/*
 * cmdtab.h: the shell's command table and the state its handlers share.
 *
 * One row per user command: name, argument counts, whether it needs a
 * connection, how its arguments complete (remote or local paths), the
 * handler, a usage line and one line of help.  The shell looks a command up
 * (exact name, or an unambiguous prefix as BSD ftp allows), checks the
 * argument count and the connection, then calls the handler.
 *
 * Handlers return an exit status class (enum ftpc_exit): 0 on success;
 * otherwise they leave one line in sh->err saying why (a server reply, or
 * what failed), which the shell prints after the command as typed.
 */
#ifndef FTPC_CMDTAB_H
#define FTPC_CMDTAB_H

#include <stddef.h>

#include "conf.h"
#include "engine.h"
#include "options.h"
#include "progress.h"

struct ftpc_shell {
  struct ftpc *c;
  const struct ftpc_opts *opts;
  const struct ftp_conf *conf;
  int interactive;     /* commands come from a terminal */
  int keep_going;      /* -k */
  int prompt;          /* mget/mput/mdelete ask per file */
  int ascii;           /* TYPE A for file transfers */
  int autologin;       /* log in at open (not -n) */
  struct ftpc_progress prog;
  int status;          /* the worst status so far */
  int quit;            /* quit was asked for */
  char err[1024];      /* why the last command failed */
  int err_shown;       /* the reason was already printed (a reply) */
  char line[64];       /* the command being run, for messages */

  /* remote path completion: the names of one directory */
  char *cache_dir;
  char **cache_names;
  size_t cache_n;
};

enum ftpc_cmd_flags {
  CMD_CONN = 1u << 0,     /* needs a connection */
  CMD_REMOTE = 1u << 1,   /* arguments complete as remote paths */
  CMD_LOCAL = 1u << 2,    /* arguments complete as local paths */
  CMD_MIXED = 1u << 3     /* first remote, then local (get) or reverse */
};

typedef int ftpc_cmd_fn(struct ftpc_shell *sh, int argc, char **argv);

struct ftpc_cmd {
  const char *name;
  int min_args;        /* not counting the command name */
  int max_args;        /* -1: no limit */
  unsigned flags;
  ftpc_cmd_fn *handler;
  const char *usage;   /* "get remote-file [local-file]" */
  const char *help;    /* one line */
};

/*
 * ftpc_cmd_find: the row for name: an exact match, else the only command
 * that name is a prefix of.  *ambiguous is set when several are.
 * RETURNS: the row, or NULL.
 */
const struct ftpc_cmd *ftpc_cmd_find(const char *name, int *ambiguous);

/* ftpc_cmd_table: every row (n of them), in help order. */
const struct ftpc_cmd *ftpc_cmd_table(size_t *n);

/* Failure helpers for handlers.  Both return the status given. */
int ftpc_sh_fail(struct ftpc_shell *sh, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* From an engine error: its message and exit class. */
int ftpc_sh_engine_fail(struct ftpc_shell *sh, int err);

/* Ask yes/no for one file of mget/mput/mdelete (when prompt is on).
 * RETURNS: 1 yes, 0 no; 'a' answers yes to the rest (prompt off). */
int ftpc_sh_confirm(struct ftpc_shell *sh, const char *what, const char *name);

/*
 * ftpc_sh_connect: open host:port with TLS mode tls and, when autologin,
 * log in with user/password (either may be NULL: netrc, a prompt, or
 * anonymous fill them in).  Used by "open", the command line and URLs.
 */
int ftpc_sh_connect(struct ftpc_shell *sh, const char *host, unsigned port,
                    int tls, const char *user, const char *password, int autologin);

/* ftpc_sh_login: log in on the open connection ("user", and autologin). */
int ftpc_sh_login(struct ftpc_shell *sh, const char *user, const char *password,
                  const char *account);

/* The TLS mode for ftp:// and shell opens, from -a/-r and the member. */
int ftpc_sh_tls_mode(const struct ftpc_shell *sh);

/*
 * ftpc_sh_download: RETR remote into local (via local.part, renamed on
 * success; "-" writes to stdout), resuming local.part with REST when
 * resume.  ftpc_sh_upload: STOR (or APPE when append) local to remote.
 * ftpc_sh_list: LIST/NLST/MLSD of remote (NULL: ".") to local ("-" or
 * NULL: stdout).  All return an exit status class.
 */
int ftpc_sh_download(struct ftpc_shell *sh, const char *remote, const char *local,
                     int resume);
int ftpc_sh_upload(struct ftpc_shell *sh, const char *local, const char *remote,
                   int append);
int ftpc_sh_list(struct ftpc_shell *sh, int kind, const char *remote, const char *local,
                 int append_local);

/*
 * ftpc_sh_remote_names: NLST of dir (NULL: the current directory) into a
 * list of names (each reduced to its last component when base_only), for
 * mget, mdelete and completion.  Free with ftpc_local_glob_free.
 */
int ftpc_sh_remote_names(struct ftpc_shell *sh, const char *dir, char ***names,
                         size_t *n);

/*
 * ftpc__sh_expand_remote: the remote files a pattern names: itself when it
 * has no wildcard, else the matches (fnmatch, FNM_PERIOD) among the names
 * of its directory, with the directory in front.  Free with
 * ftpc_local_glob_free.  RETURNS: an exit status class.
 */
int ftpc__sh_expand_remote(struct ftpc_shell *sh, const char *pattern, char ***out,
                           size_t *n);

/* ftpc__tty_read: one line from /dev/tty, without echo unless echo.
 * RETURNS: 0, or -1 (no terminal). */
int ftpc__tty_read(const char *prompt, char *buf, size_t n, int echo);

/* ftpc__sh_forget_names: drop the completion cache (the tree changed). */
void ftpc__sh_forget_names(struct ftpc_shell *sh);

/* The handlers (cmds_*.c). */
ftpc_cmd_fn ftpc_cmd_open, ftpc_cmd_close, ftpc_cmd_user, ftpc_cmd_quit;
ftpc_cmd_fn ftpc_cmd_cd, ftpc_cmd_cdup, ftpc_cmd_lcd, ftpc_cmd_pwd, ftpc_cmd_delete,
    ftpc_cmd_mdelete, ftpc_cmd_mkdir, ftpc_cmd_rmdir, ftpc_cmd_rename, ftpc_cmd_size,
    ftpc_cmd_modtime, ftpc_cmd_chmod;
ftpc_cmd_fn ftpc_cmd_ls, ftpc_cmd_nlist, ftpc_cmd_mls, ftpc_cmd_mlsd, ftpc_cmd_get,
    ftpc_cmd_put, ftpc_cmd_reget, ftpc_cmd_append, ftpc_cmd_mget, ftpc_cmd_mput;
ftpc_cmd_fn ftpc_cmd_type, ftpc_cmd_binary, ftpc_cmd_ascii, ftpc_cmd_passive,
    ftpc_cmd_active, ftpc_cmd_epsv4, ftpc_cmd_prot, ftpc_cmd_private, ftpc_cmd_clear,
    ftpc_cmd_safe, ftpc_cmd_ccc, ftpc_cmd_hash, ftpc_cmd_progress, ftpc_cmd_prompt,
    ftpc_cmd_verbose;
ftpc_cmd_fn ftpc_cmd_quote, ftpc_cmd_site, ftpc_cmd_stat, ftpc_cmd_status,
    ftpc_cmd_feat, ftpc_cmd_help;

#endif
