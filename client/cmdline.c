/*
 * cmdline.c: splitting a command line into words, finding the command
 * they name, describing the line for messages.
 */
#include "cmdline.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdtab.h"
#include "err.h"
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

/* --- the command ---------------------------------------------------------- */

const struct ftpc_cmd *ftpc_cmd_lookup(const struct ftpc_cmd *table, size_t n,
                                       const char *name, int *ambiguous) {
  const struct ftpc_cmd *hit = NULL;
  size_t i, len = strlen(name);
  int hits = 0;

  *ambiguous = 0;
  if (len == 0)
    return NULL;
  for (i = 0; i < n; i++) {
    if (strcmp(table[i].name, name) == 0)
      return &table[i];
    if (strncmp(table[i].name, name, len) == 0) {
      /* bye and quit, dir and ls: one handler is one command */
      if (hit == NULL || hit->handler != table[i].handler)
        hits++;
      hit = &table[i];
    }
  }
  if (hits == 1)
    return hit;
  *ambiguous = hits > 1;
  return NULL;
}

/* --- messages ------------------------------------------------------------- */

/* The command as shown in messages: passwords replaced by "****". */
void ftpc_line_describe(char **argv, int argc, char *out, size_t n) {
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
