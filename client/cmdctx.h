/*
 * cmdctx.h: the context every command runs in, and how a command reports
 * that it failed.
 *
 * struct ftpc_shell is the state the shell, its command handlers and URL
 * mode share: the engine (which owns the connection and its settings), the
 * options and member, the shell's own settings (type, prompting, progress),
 * the remote names cache (rnames.h), and the reason the last command
 * failed.  Handlers return an exit status class (enum ftpc_exit): 0 on
 * success; otherwise they leave one line in sh->err saying why (a server
 * reply, or what failed), which ftpc_shell_report prints after the command
 * as typed.
 */
#ifndef FTPC_CMDCTX_H
#define FTPC_CMDCTX_H

#include <stddef.h>

#include "conf.h"
#include "engine.h"
#include "options.h"
#include "progress.h"
#include "rnames.h"

struct ftpc_cmd;

struct ftpc_shell {
  struct ftpc *c;
  const struct ftpc_opts *opts;
  const struct ftp_conf *conf;
  const struct ftpc_cmd *cmds; /* the command table (cmdtab.c), for help */
  size_t ncmds;                /* and completion */
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
  struct ftpc_rnames names; /* one remote directory's names (rnames.c) */
};

/*
 * ftpc_sh_fail: record why a command failed: fmt and its arguments, with
 * control characters replaced, in sh->err.
 * RETURNS: status, so that a handler can return ftpc_sh_fail(...).
 */
int ftpc_sh_fail(struct ftpc_shell *sh, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/*
 * ftpc_sh_engine_fail: record an engine failure err: the engine's message
 * (ftpc_error), noting whether the user saw the server's reply already.
 * RETURNS: its exit status class (ftpc_exit_status).
 */
int ftpc_sh_engine_fail(struct ftpc_shell *sh, int err);

/*
 * ftpc_shell_report: show a failure (status non-zero) of what (the command
 * as typed, or a URL): batch "ftp: <what>: <reason>"; interactive
 * "ftp: <reason>" unless the user saw the reply already.
 */
void ftpc_shell_report(struct ftpc_shell *sh, const char *what, int status);

/* ftpc_sh_chatty: settings commands confirm what they did (interactive, or
 * verbose). */
int ftpc_sh_chatty(const struct ftpc_shell *sh);

#endif
