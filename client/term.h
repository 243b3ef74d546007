/*
 * term.h: the interactive terminal, through libedit: the prompt, line
 * editing and history, and completion of command names, remote paths (from
 * rnames.h) and local paths (libedit's own).  One terminal at a time: the
 * shell opens it for an interactive run and closes it after.
 */
#ifndef FTPC_TERM_H
#define FTPC_TERM_H

struct ftpc_shell;

/* ftpc_term_open: set libedit up for sh's commands (sh->cmds) and remote
 * names.  Signals stay the caller's (libedit catches none). */
void ftpc_term_open(struct ftpc_shell *sh);

/*
 * ftpc_term_read: show prompt and read one edited line; a line that is not
 * blank goes into the history.
 * RETURNS: the line (free it), or NULL at the end of input or when the
 * read was interrupted by a signal.
 */
char *ftpc_term_read(const char *prompt);

/* ftpc_term_close: completion no longer reaches sh. */
void ftpc_term_close(void);

#endif
