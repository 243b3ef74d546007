/*
 * ask.h: questions the client asks on the controlling terminal, whatever
 * its commands come from: a user name, a password without echo, and the
 * per-file confirmation of mget, mput and mdelete.
 *
 * Security: passwords are read from /dev/tty with echo off, never from the
 * command stream of a batch run.
 */
#ifndef FTPC_ASK_H
#define FTPC_ASK_H

#include <stddef.h>

struct ftpc_shell;

/*
 * ftpc_ask_line: write prompt to /dev/tty and read one line (n bytes into
 * buf, without its newline), without echo unless echo.
 * RETURNS: 0, or -1 when there is no terminal or the read failed.
 */
int ftpc_ask_line(const char *prompt, char *buf, size_t n, int echo);

/*
 * ftpc_ask_confirm: when sh->prompt is on, ask "what name? [y]es, [n]o,
 * [a]ll"; 'a' answers yes and turns sh->prompt off.
 * RETURNS: 1 yes (also without prompting or without a terminal), 0 no.
 */
int ftpc_ask_confirm(struct ftpc_shell *sh, const char *what, const char *name);

#endif
