/*
 * shell.h: the command loop: interactive on a terminal (term.h: line
 * editing, history, completion), batch otherwise (commands from stdin; the
 * first failure ends the run with one line naming the command and the
 * reason, unless -k).  Each line is split into words (cmdline.h), its
 * command found in the table (cmdtab.h), its argument count and connection
 * checked, and its handler run in the shell's context (cmdctx.h).
 *
 * Ctrl-C at the prompt abandons the line and never ends the program; during
 * a transfer it aborts the transfer (the engine sends ABOR); while a batch
 * run reads its next command it ends the program as usual.
 */
#ifndef FTPC_SHELL_H
#define FTPC_SHELL_H

#include "cmdctx.h"
#include "cmdline.h"
#include "cmdtab.h"

/* ftpc_shell_init: the shell's state from the options and member, with
 * the command table of cmdtab.c. */
void ftpc_shell_init(struct ftpc_shell *sh, struct ftpc *c, const struct ftpc_opts *o,
                     const struct ftp_conf *conf, int interactive);
void ftpc_shell_free(struct ftpc_shell *sh);

/*
 * ftpc_shell_exec: run one command line.  A failure is reported on stderr
 * (batch: "ftp: <command>: <reason>").
 * RETURNS: an exit status class (0: success).
 */
int ftpc_shell_exec(struct ftpc_shell *sh, const char *line);

/*
 * ftpc_shell_run: read and run commands until quit or end of input; then
 * QUIT if still connected.
 * RETURNS: the exit status: batch: that of the first failed command (all
 * commands run with -k); interactive: 0.
 */
int ftpc_shell_run(struct ftpc_shell *sh);

#endif
