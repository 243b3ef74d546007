/*
 * shell.h: the command loop: interactive on a terminal (libedit line
 * editing, history, completion of command names and of remote and local
 * paths), batch otherwise (commands from stdin; the first failure ends the
 * run with one line naming the command and the reason, unless -k).
 *
 * Ctrl-C at the prompt abandons the line and never ends the program; during
 * a transfer it aborts the transfer (the engine sends ABOR); while a batch
 * run reads its next command it ends the program as usual.
 */
#ifndef FTPC_SHELL_H
#define FTPC_SHELL_H

#include <stddef.h>

#include "cmdtab.h"

/*
 * ftpc_line_split: split a command line into words, as a shell would,
 * without any expansion: blanks separate words; '...' keeps everything
 * literally; "..." keeps everything but \" and \\, which stand for " and
 * \; outside quotes a backslash keeps the next character literally.  ""
 * is an empty word.
 * RETURNS: 0 with a NULL-terminated, malloc'ed *argv of *argc words (free
 * with ftpc_line_free); -1 with a message in err (an unterminated quote);
 * FTP_E_NOMEM.
 */
int ftpc_line_split(const char *line, char ***argv, int *argc, char *err,
                    size_t errlen);

/* ftpc_line_free: wipe (a word may be a password) and free. */
void ftpc_line_free(char **argv, int argc);

/* ftpc_shell_init: the shell's state from the options and member. */
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

/* ftpc_shell_report: print a failure of what (the command as typed). */
void ftpc_shell_report(struct ftpc_shell *sh, const char *what, int status);

#endif
