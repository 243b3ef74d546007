/*
 * cmdline.h: reading a command line of the shell: its words, the command
 * they name, and how the line is shown in messages.  No I/O.
 */
#ifndef FTPC_CMDLINE_H
#define FTPC_CMDLINE_H

#include <stddef.h>

struct ftpc_cmd;

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

/*
 * ftpc_line_describe: the words as shown in messages (n bytes into out),
 * control characters replaced, and the password of "user name password"
 * and of "quote PASS/ACCT ..." replaced by "****".
 */
void ftpc_line_describe(char **argv, int argc, char *out, size_t n);

/*
 * ftpc_cmd_lookup: the row of table (n rows) that name names: an exact
 * match, else the only command that name is a prefix of (BSD ftp allows
 * "by" for bye).  Rows sharing a handler (bye, quit) count as one command.
 * *ambiguous is set when several are.
 * RETURNS: the row, or NULL.
 */
const struct ftpc_cmd *ftpc_cmd_lookup(const struct ftpc_cmd *table, size_t n,
                                       const char *name, int *ambiguous);

#endif
