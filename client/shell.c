/*
 * shell.c: line splitting, command dispatch, the interactive loop (libedit)
 * and the batch loop.
 */
#include "shell.h"

#include <editline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "err.h"
#include "localfs.h"
#include "text.h"

/* --- splitting ------------------------------------------------------------ */

struct words {
  char **v;
  int n, cap;
  char *cur;
  size_t len, curcap;
  int in_word;
};

static int put_char(struct words *w, char ch) {
  if (w->len + 1 >= w->curcap) {
    size_t cap = w->curcap ? w->curcap * 2 : 64;
    char *p = realloc(w->cur, cap);
    if (p == NULL)
      return FTP_E_NOMEM;
    w->cur = p;
    w->curcap = cap;
  }
  w->cur[w->len++] = ch;
  w->in_word = 1;
  return 0;
}

static int end_word(struct words *w) {
  char **v;

  if (!w->in_word)
    return 0;
  if (w->n + 2 > w->cap) {
    int cap = w->cap ? w->cap * 2 : 8;
    if ((v = realloc(w->v, (size_t)cap * sizeof(*v))) == NULL)
      return FTP_E_NOMEM;
    w->v = v;
    w->cap = cap;
  }
  if ((w->v[w->n] = strndup(w->cur != NULL ? w->cur : "", w->len)) == NULL)
    return FTP_E_NOMEM;
  w->n++;
  w->v[w->n] = NULL;
  if (w->cur != NULL)
    explicit_bzero(w->cur, w->curcap);
  w->len = 0;
  w->in_word = 0;
  return 0;
}

/* One character outside quotes; *q becomes the quote it opens. */
static int plain_char(struct words *w, const char **pp, char *q) {
  const char *p = *pp;

  if (*p == ' ' || *p == '\t')
    return end_word(w);
  if (*p == '\'' || *p == '"') {
    *q = *p;
    w->in_word = 1;
    return 0;
  }
  if (*p == '\\' && p[1] != 0) {
    *pp = p + 1;
    return put_char(w, p[1]);
  }
  return put_char(w, *p);
}

static int quoted_char(struct words *w, const char **pp, char *q) {
  const char *p = *pp;

  if (*p == *q) {
    *q = 0;
    return 0;
  }
  if (*q == '"' && *p == '\\' && (p[1] == '"' || p[1] == '\\')) {
    *pp = p + 1;
    return put_char(w, p[1]);
  }
  return put_char(w, *p);
}

int ftpc_line_split(const char *line, char ***argv, int *argc, char *err,
                    size_t errlen) {
  struct words w;
  const char *p;
  char q = 0;
  int r = 0;

  memset(&w, 0, sizeof(w));
  *argv = NULL;
  *argc = 0;
  for (p = line; *p != 0 && *p != '\n' && r == 0; p++) {
    if (*p == '\r' && (p[1] == '\n' || p[1] == 0))
      break;
    r = q ? quoted_char(&w, &p, &q) : plain_char(&w, &p, &q);
  }
  if (r == 0 && q != 0) {
    snprintf(err, errlen, "unterminated %s quote", q == '"' ? "double" : "single");
    r = -1;
  }
  if (r == 0)
    r = end_word(&w);
  if (w.cur != NULL)
    explicit_bzero(w.cur, w.curcap);
  free(w.cur);
  if (r != 0) {
    ftpc_line_free(w.v, w.n);
    if (r == FTP_E_NOMEM)
      snprintf(err, errlen, "out of memory");
    return r;
  }
  if (w.v == NULL && (w.v = calloc(1, sizeof(*w.v))) == NULL)
    return FTP_E_NOMEM;
  *argv = w.v;
  *argc = w.n;
  return 0;
}

void ftpc_line_free(char **argv, int argc) {
  int i;

  if (argv == NULL)
    return;
  for (i = 0; i < argc; i++) {
    explicit_bzero(argv[i], strlen(argv[i]));
    free(argv[i]);
  }
  free(argv);
}

/* --- dispatch ------------------------------------------------------------- */

/* The command as shown in messages: passwords replaced by "****". */
static void describe(char **argv, int argc, char *out, size_t n) {
  size_t o = 0;
  int i, secret_from = argc;

  if (strcmp(argv[0], "user") == 0)
    secret_from = 2;
  else if (strcmp(argv[0], "quote") == 0 && argc > 1 &&
           (strcasecmp(argv[1], "PASS") == 0 || strcasecmp(argv[1], "ACCT") == 0))
    secret_from = 2;
  out[0] = 0;
  for (i = 0; i < argc && o + 1 < n; i++) {
    const char *word = i >= secret_from ? "****" : argv[i];
    if (i > 0)
      out[o++] = ' ';
    o += ftpc_text_clean(word, strlen(word), out + o, n - o, 0);
  }
}

void ftpc_shell_report(struct ftpc_shell *sh, const char *what, int status) {
  if (status == 0)
    return;
  fflush(stdout);
  if (!sh->interactive)
    fprintf(stderr, "ftp: %s: %s\n", what, sh->err[0] ? sh->err : "failed");
  else if (!sh->err_shown)
    fprintf(stderr, "ftp: %s\n", sh->err[0] ? sh->err : "failed");
}

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
  describe(argv, argc, what, sizeof(what));
  if ((cmd = ftpc_cmd_find(argv[0], &amb)) == NULL)
    status = ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s command (help lists them)",
                          amb ? "ambiguous" : "unknown");
  else if ((status = check_args(sh, cmd, argc)) == 0)
    status = cmd->handler(sh, argc, argv);
  ftpc_shell_report(sh, what, status);
  ftpc_line_free(argv, argc);
  return status;
}

/* --- confirmation --------------------------------------------------------- */

int ftpc_sh_confirm(struct ftpc_shell *sh, const char *what, const char *name) {
  char prompt[600], clean[400], answer[16];

  if (!sh->prompt)
    return 1;
  ftpc_text_clean(name, strlen(name), clean, sizeof(clean), 0);
  snprintf(prompt, sizeof(prompt), "%s %s? [y]es, [n]o, [a]ll: ", what, clean);
  if (ftpc__tty_read(prompt, answer, sizeof(answer), 1) != 0)
    return 1;
  if (answer[0] == 'a' || answer[0] == 'A') {
    sh->prompt = 0;
    return 1;
  }
  return answer[0] != 'n' && answer[0] != 'N';
}

/* --- completion ----------------------------------------------------------- */

static struct ftpc_shell *completing; /* libedit's callbacks take no argument */

static char *command_generator(const char *text, int state) {
  static size_t i, len;
  const struct ftpc_cmd *t;
  size_t n;

  t = ftpc_cmd_table(&n);
  if (state == 0) {
    i = 0;
    len = strlen(text);
  }
  while (i < n) {
    const char *name = t[i++].name;
    if (strncmp(name, text, len) == 0)
      return strdup(name);
  }
  return NULL;
}

/* Names of a remote directory, cached until cd, put, delete... */
static void load_names(struct ftpc_shell *sh, const char *dir) {
  const struct ftpc_settings *s = ftpc_settings(sh->c);
  int show = s->show_replies, verbosity = s->verbosity;

  if (sh->cache_dir != NULL && strcmp(sh->cache_dir, dir) == 0)
    return;
  ftpc__sh_forget_names(sh);
  if (!ftpc_logged_in(sh->c))
    return;
  ftpc_set_show_replies(sh->c, 0);
  ftpc_set_verbosity(sh->c, FTPC_QUIET);
  if (ftpc_sh_remote_names(sh, dir[0] ? dir : NULL, &sh->cache_names, &sh->cache_n) == 0)
    sh->cache_dir = strdup(dir);
  ftpc_set_show_replies(sh->c, show);
  ftpc_set_verbosity(sh->c, verbosity);
}

static char *remote_generator(const char *text, int state) {
  static size_t i, dirlen;
  static const char *base;
  struct ftpc_shell *sh = completing;
  char dir[4096], full[8192];

  if (state == 0) {
    const char *slash = strrchr(text, '/');
    dirlen = slash != NULL ? (size_t)(slash - text) + 1 : 0;
    base = text + dirlen;
    snprintf(dir, sizeof(dir), "%.*s", (int)(dirlen > 1 ? dirlen - 1 : dirlen), text);
    load_names(sh, dir);
    i = 0;
  }
  while (sh->cache_names != NULL && i < sh->cache_n) {
    const char *name = sh->cache_names[i++];
    if (strncmp(name, base, strlen(base)) == 0) {
      snprintf(full, sizeof(full), "%.*s%s", (int)dirlen, text, name);
      return strdup(full);
    }
  }
  return NULL;
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
  if ((cmd = ftpc_cmd_find(word, &amb)) == NULL)
    return NULL;
  if ((cmd->flags & CMD_REMOTE) || ((cmd->flags & CMD_MIXED) && argn <= 1))
    return rl_completion_matches(text, remote_generator);
  if (cmd->flags & (CMD_LOCAL | CMD_MIXED)) {
    rl_attempted_completion_over = 0; /* libedit's file name completion */
    return NULL;
  }
  return NULL;
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

  completing = sh;
  rl_catch_signals = 0;
  rl_readline_name = "ftp";
  rl_attempted_completion_function = complete;
  using_history();
  while (!sh->quit) {
    prompt_interrupted = 0;
    own_sigint(prompt_sigint, &saved);
    line = readline("ftp> ");
    sigaction(SIGINT, &saved, NULL);
    if (line == NULL) {
      putchar('\n');
      if (prompt_interrupted)
        continue;
      break; /* end of input: as quit */
    }
    if (line[strspn(line, " \t")] != 0)
      add_history(line);
    ftpc_shell_exec(sh, line);
    free(line);
  }
  completing = NULL;
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

void ftpc_shell_init(struct ftpc_shell *sh, struct ftpc *c, const struct ftpc_opts *o,
                     const struct ftp_conf *conf, int interactive) {
  memset(sh, 0, sizeof(*sh));
  sh->c = c;
  sh->opts = o;
  sh->conf = conf;
  sh->interactive = interactive;
  sh->keep_going = o->keep_going;
  sh->prompt = interactive; /* BSD asks per file on a terminal, never in batch */
  sh->autologin = !o->no_autologin;
  sh->prog.hash_size = 1024;
  sh->prog.out = stderr;
  sh->prog.bar = !o->quiet && isatty(STDERR_FILENO) && (interactive || o->progress);
}

void ftpc_shell_free(struct ftpc_shell *sh) { ftpc__sh_forget_names(sh); }
