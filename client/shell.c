/*
 * shell.c: command dispatch, the interactive loop and the batch loop, and
 * who has SIGINT between commands.
 */
#include "shell.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmdtab.h"
#include "rnames.h"
#include "term.h"
#include "text.h"

/* --- dispatch ------------------------------------------------------------- */

static int check_args(struct ftpc_shell *sh, const struct ftpc_cmd *cmd, int argc) {
  if (argc - 1 < cmd->min_args || (cmd->max_args >= 0 && argc - 1 > cmd->max_args))
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "usage: %s", cmd->usage);
  if ((cmd->flags & CMD_CONN) && !ftpc_connected(sh->c))
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "not connected");
  return 0;
}

int ftpc_shell_exec(struct ftpc_shell *sh, const char *line) {
  const struct ftpc_cmd *cmd;
  char **argv = NULL, what[512];
  int argc = 0, amb, status;

  sh->err[0] = 0;
  sh->err_shown = 0;
  if (ftpc_line_split(line, &argv, &argc, sh->err, sizeof(sh->err)) != 0) {
    ftpc_text_clean(line, strlen(line), what, sizeof(what), 0);
    ftpc_shell_report(sh, what, FTPC_EXIT_USAGE);
    return FTPC_EXIT_USAGE;
  }
  if (argc == 0) {
    ftpc_line_free(argv, argc);
    return 0;
  }
  ftpc_line_describe(argv, argc, what, sizeof(what));
  if ((cmd = ftpc_cmd_lookup(sh->cmds, sh->ncmds, argv[0], &amb)) == NULL)
    status = ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s command (help lists them)",
                          amb ? "ambiguous" : "unknown");
  else if ((status = check_args(sh, cmd, argc)) == 0)
    status = cmd->handler(sh, argc, argv);
  ftpc_shell_report(sh, what, status);
  ftpc_line_free(argv, argc);
  return status;
}

/* --- the loops ------------------------------------------------------------ */

static volatile sig_atomic_t prompt_interrupted;

static void prompt_sigint(int signum) {
  (void)signum;
  prompt_interrupted = 1;
}

/* SIGINT while no operation runs: handler (prompt) or SIG_DFL (batch);
 * the engine's own handler is put back afterwards. */
static void own_sigint(void (*handler)(int), struct sigaction *saved) {
  struct sigaction sa;

  memset(&sa, 0, sizeof(sa));
  sa.sa_handler = handler;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0; /* no SA_RESTART: the read returns at once */
  sigaction(SIGINT, &sa, saved);
}

static int run_interactive(struct ftpc_shell *sh) {
  struct sigaction saved;
  char *line;

  ftpc_term_open(sh);
  while (!sh->quit) {
    prompt_interrupted = 0;
    own_sigint(prompt_sigint, &saved);
    line = ftpc_term_read("ftp> ");
    sigaction(SIGINT, &saved, NULL);
    if (line == NULL) {
      putchar('\n');
      if (prompt_interrupted)
        continue;
      break; /* end of input: as quit */
    }
    ftpc_shell_exec(sh, line);
    free(line);
  }
  ftpc_term_close();
  return 0;
}

static int run_batch(struct ftpc_shell *sh) {
  struct sigaction saved;
  char *line = NULL;
  size_t cap = 0;
  ssize_t n;
  int status = 0, r;

  while (!sh->quit) {
    own_sigint(SIG_DFL, &saved);
    n = getline(&line, &cap, stdin);
    sigaction(SIGINT, &saved, NULL);
    if (n < 0)
      break;
    if (line[strspn(line, " \t")] == '#')
      continue; /* a comment */
    r = ftpc_shell_exec(sh, line);
    if (r != 0 && status == 0)
      status = r;
    if (r != 0 && !sh->keep_going)
      break;
  }
  if (line != NULL)
    explicit_bzero(line, cap);
  free(line);
  return status;
}

int ftpc_shell_run(struct ftpc_shell *sh) {
  int status = sh->interactive ? run_interactive(sh) : run_batch(sh);

  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  return status;
}

/* --- life ----------------------------------------------------------------- */

void ftpc_shell_init(struct ftpc_shell *sh, struct ftpc *c, const struct ftpc_opts *o,
                     const struct ftp_conf *conf, int interactive) {
  memset(sh, 0, sizeof(*sh));
  sh->c = c;
  sh->opts = o;
  sh->conf = conf;
  sh->cmds = ftpc_cmd_table(&sh->ncmds);
  sh->interactive = interactive;
  sh->keep_going = o->keep_going;
  sh->prompt = interactive; /* BSD asks per file on a terminal, never in batch */
  sh->autologin = !o->no_autologin;
  sh->prog.hash_size = 1024;
  sh->prog.out = stderr;
  sh->prog.bar = !o->quiet && isatty(STDERR_FILENO) && (interactive || o->progress);
}

void ftpc_shell_free(struct ftpc_shell *sh) { ftpc_rnames_forget(sh); }
