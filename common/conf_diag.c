/*
 * conf_diag.c: the messages of the conf module: building one, reporting it
 * as "member:line: KEYWORD: text" to the caller's diag function, and the
 * typo suggestion ("did you mean ...?").  Shared by conf.c (lines and
 * rules) and conf_types.c (operands); it calls neither.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "ftp_limits.h"

/* ------------------------------------------------------------------------
 * Diagnostics.
 */

void ftp__conf_msg_add(struct ftp__conf_msg *m, const char *fmt, ...) {
  va_list ap;
  int k;

  if (m->n >= sizeof(m->s) - 1)
    return;
  va_start(ap, fmt);
  k = vsnprintf(m->s + m->n, sizeof(m->s) - m->n, fmt, ap);
  va_end(ap);
  if (k > 0)
    m->n =
        (size_t)k < sizeof(m->s) - m->n ? m->n + (size_t)k : sizeof(m->s) - 1;
}

/* Lines reaching the parser hold no control characters but tabs, which are
 * shown as blanks so that a diagnostic is one clean line. */
void ftp__conf_msg_echo(struct ftp__conf_msg *m, struct ftp__conf_slice s) {
  size_t i, n = s.n > FTP_CONF_ECHO_MAX ? FTP_CONF_ECHO_MAX : s.n;

  ftp__conf_msg_add(m, "\"");
  for (i = 0; i < n && m->n < sizeof(m->s) - 1; i++)
    m->s[m->n++] = s.p[i] == '\t' ? ' ' : s.p[i];
  m->s[m->n] = '\0';
  ftp__conf_msg_add(m, "%s\"", s.n > n ? "..." : "");
}

void ftp__conf_report(struct ftp__conf_ctx *p, int sev, const char *kw,
                      const char *text) {
  struct ftp__conf_msg m = {.n = 0};

  if (sev == FTP_CONF_ERROR)
    p->errors++;
  if (p->diag == NULL)
    return;
  ftp__conf_msg_add(&m, "%s:", p->c->member);
  if (p->line != 0)
    ftp__conf_msg_add(&m, "%u:", p->line);
  if (kw != NULL)
    ftp__conf_msg_add(&m, p->line != 0 ? " %s:" : "%s:", kw);
  ftp__conf_msg_add(&m, " %s%s", sev == FTP_CONF_WARNING ? "warning: " : "",
                    text);
  p->diag(p->arg, sev, m.s);
}

void ftp__conf_reportf(struct ftp__conf_ctx *p, int sev, const char *kw,
                       const char *fmt, ...) {
  struct ftp__conf_msg m = {.n = 0};
  va_list ap;
  int k;

  va_start(ap, fmt);
  k = vsnprintf(m.s, sizeof(m.s), fmt, ap);
  va_end(ap);
  if (k >= 0)
    ftp__conf_report(p, sev, kw, m.s);
}

/* Not strdup: the allocation must go through malloc so that the tests'
 * failure injection sees it. */
char *ftp__conf_dup(struct ftp__conf_slice s) {
  char *d = malloc(s.n + 1);

  if (d != NULL) {
    memcpy(d, s.p, s.n);
    d[s.n] = '\0';
  }
  return d;
}

/* ------------------------------------------------------------------------
 * Suggestions: the optimal-string-alignment distance (Levenshtein plus
 * adjacent transpositions), ignoring case.
 */

/* The distance between a and b when it is at most limit, else some value
 * above limit, returned as soon as that is certain: a typo check runs
 * against every keyword for every unknown one, so most candidates must be
 * dismissed early. */
static size_t distance(struct ftp__conf_slice a, const char *b, size_t limit) {
  size_t bn = strlen(b), i, j, best, rowmin, prevmin = 0;
  size_t d[3][FTP_CONF_SUGGEST_LEN_MAX + 1];
  size_t *prev2 = d[0], *prev = d[1], *cur = d[2], *t;

  if (a.n > FTP_CONF_SUGGEST_LEN_MAX || bn > FTP_CONF_SUGGEST_LEN_MAX ||
      (a.n > bn ? a.n - bn : bn - a.n) > limit)
    return limit + 1;
  for (j = 0; j <= bn; j++)
    prev[j] = j;
  for (i = 1; i <= a.n; i++) {
    int ca = ftp__conf_lower((unsigned char)a.p[i - 1]);
    cur[0] = rowmin = i;
    for (j = 1; j <= bn; j++) {
      int cb = ftp__conf_lower((unsigned char)b[j - 1]);
      best = prev[j - 1] + (ca != cb);
      if (prev[j] + 1 < best)
        best = prev[j] + 1;
      if (cur[j - 1] + 1 < best)
        best = cur[j - 1] + 1;
      if (i > 1 && j > 1 && ca == ftp__conf_lower((unsigned char)b[j - 2]) &&
          ftp__conf_lower((unsigned char)a.p[i - 2]) == cb &&
          prev2[j - 2] + 1 < best)
        best = prev2[j - 2] + 1;
      cur[j] = best;
      if (best < rowmin)
        rowmin = best;
    }
    /* A row depends on the two before it (transpositions), so the result
     * can no longer come within limit once two rows in a row exceed it. */
    if (rowmin > limit && prevmin > limit)
      return limit + 1;
    prevmin = rowmin;
    t = prev2;
    prev2 = prev;
    prev = cur;
    cur = t;
  }
  return prev[bn];
}

/* The closest name, if close enough to be a typo: at most one edit per four
 * characters (one for short names, three at most), so that "PORT" does not
 * suggest "UMASK". */
const char *ftp__conf_suggest(struct ftp__conf_slice word,
                              const char *(*name_at)(size_t)) {
  const char *name, *best = NULL;
  size_t i, d, bestd = (size_t)-1, limit;

  for (i = 0; (name = name_at(i)) != NULL; i++) {
    limit = strlen(name) / 4;
    limit = limit < 1 ? 1 : limit > 3 ? 3 : limit;
    d = distance(word, name, limit);
    if (d <= limit && d < bestd) {
      best = name;
      bestd = d;
    }
  }
  return best;
}
