/*
 * cmdtab.h: the shell's command table.
 *
 * One row per user command: name, argument counts, whether it needs a
 * connection, how its arguments complete (remote or local paths), the
 * handler, a usage line and one line of help.  The shell looks a command up
 * (exact name, or an unambiguous prefix as BSD ftp allows), checks the
 * argument count and the connection, then calls the handler.  Handlers
 * live in cmds_<group>.c and run in the context of cmdctx.h.
 */
#ifndef FTPC_CMDTAB_H
#define FTPC_CMDTAB_H

#include <stddef.h>

struct ftpc_shell;

enum ftpc_cmd_flags {
  CMD_CONN = 1u << 0,     /* needs a connection */
  CMD_REMOTE = 1u << 1,   /* arguments complete as remote paths */
  CMD_LOCAL = 1u << 2,    /* arguments complete as local paths */
  CMD_MIXED = 1u << 3     /* first remote, then local (get) or reverse */
};

/* A handler: argv[0] is the command as typed.  RETURNS: an exit status
 * class (enum ftpc_exit), with the reason in sh->err when not 0. */
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

/* ftpc_cmd_table: every row (n of them), in help order. */
const struct ftpc_cmd *ftpc_cmd_table(size_t *n);

/*
 * ftpc_cmd_find: the row for name in this table (ftpc_cmd_lookup): an
 * exact match, else the only command that name is a prefix of.
 * *ambiguous is set when several are.  RETURNS: the row, or NULL.
 */
const struct ftpc_cmd *ftpc_cmd_find(const char *name, int *ambiguous);

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
