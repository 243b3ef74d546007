/*
 * term.c: libedit glue: prompt, history, completion.
 */
#include "term.h"

#include <editline/readline.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmdctx.h"
#include "cmdline.h"
#include "cmdtab.h"
#include "rnames.h"

/* libedit's callbacks take no argument: the shell being completed for, and
 * the remote matches being handed out. */
static struct ftpc_shell *completing;
static char **matches;
static size_t nmatches, next_match;

static void forget_matches(void) {
  ftpc_rnames_free(matches, nmatches);
  matches = NULL;
  nmatches = next_match = 0;
}

/* --- generators: libedit asks for match state = 0, 1, 2... until NULL ----- */

static char *command_generator(const char *text, int state) {
  static size_t i, len;
  struct ftpc_shell *sh = completing;

  if (state == 0) {
    i = 0;
    len = strlen(text);
  }
  while (i < sh->ncmds) {
    const char *name = sh->cmds[i++].name;
    if (strncmp(name, text, len) == 0)
      return strdup(name);
  }
  return NULL;
}

static char *remote_generator(const char *text, int state) {
  if (state == 0) {
    forget_matches();
    if (ftpc_rnames_complete(completing, text, &matches, &nmatches) != 0)
      return NULL;
  }
  return next_match < nmatches ? strdup(matches[next_match++]) : NULL;
}

/* Which word of the line is being completed, and for which command. */
static char **complete(const char *text, int start, int end) {
  const struct ftpc_cmd *cmd;
  char word[64];
  int i = 0, amb, argn = 0;
  const char *p = rl_line_buffer;

  (void)end;
  rl_attempted_completion_over = 1;
  while (p[i] == ' ')
    i++;
  if (i >= start)
    return rl_completion_matches(text, command_generator);
  snprintf(word, sizeof(word), "%.*s", (int)strcspn(p + i, " "), p + i);
  for (; i < start; i++)
    if (p[i] == ' ' && (i == 0 || p[i - 1] != ' '))
      argn++;
  if ((cmd = ftpc_cmd_lookup(completing->cmds, completing->ncmds, word, &amb)) == NULL)
    return NULL;
  if ((cmd->flags & CMD_REMOTE) || ((cmd->flags & CMD_MIXED) && argn <= 1))
    return rl_completion_matches(text, remote_generator);
  if (cmd->flags & (CMD_LOCAL | CMD_MIXED))
    rl_attempted_completion_over = 0; /* libedit's file name completion */
  return NULL;
}

/* --- the terminal --------------------------------------------------------- */

void ftpc_term_open(struct ftpc_shell *sh) {
  completing = sh;
  rl_catch_signals = 0;
  rl_readline_name = "ftp";
  rl_attempted_completion_function = complete;
  using_history();
}

char *ftpc_term_read(const char *prompt) {
  char *line = readline(prompt);

  if (line != NULL && line[strspn(line, " \t")] != 0)
    add_history(line);
  return line;
}

void ftpc_term_close(void) {
  forget_matches();
  completing = NULL;
}
