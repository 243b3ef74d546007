/*
 * text.c: cleaning text from the network before it reaches a terminal.
 */
#include "text.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is_control(unsigned char ch) { return ch < 0x20 || ch == 0x7f; }

size_t ftpc_text_clean(const char *in, size_t n, char *out, size_t outn,
                       int keep_newlines) {
  size_t i, o = 0;

  if (outn == 0)
    return 0;
  for (i = 0; i < n && o + 1 < outn; i++) {
    unsigned char ch = (unsigned char)in[i];
    if (keep_newlines && ch == '\r' && i + 1 < n && in[i + 1] == '\n')
      continue;
    if ((keep_newlines && ch == '\n') || ch == '\t')
      out[o++] = (char)ch;
    else
      out[o++] = is_control(ch) ? '?' : (char)ch;
  }
  out[o] = 0;
  return o;
}

void ftpc_text_print(FILE *f, const char *in, size_t n, int keep_newlines) {
  char chunk[4096];
  size_t done = 0;

  while (done < n) {
    size_t take = n - done;
    if (take > sizeof(chunk) - 1)
      take = sizeof(chunk) - 1;
    /* A CR LF split across two chunks leaves its CR as '?': keep the pair
     * together. */
    if (keep_newlines && take < n - done && in[done + take - 1] == '\r' && take > 1)
      take--;
    fwrite(chunk, 1, ftpc_text_clean(in + done, take, chunk, sizeof(chunk),
                                     keep_newlines), f);
    done += take;
  }
}

void ftpc_text_first_line(const char *s, char *out, size_t outn) {
  const char *nl = strchr(s, '\n');
  ftpc_text_clean(s, nl != NULL ? (size_t)(nl - s) : strlen(s), out, outn, 0);
}

unsigned long long ftpc_text_reply_size(const char *text) {
  const char *p = text;

  /* The last "(digits bytes" wins: a file name could hold the pattern. */
  unsigned long long found = 0;
  while ((p = strchr(p, '(')) != NULL) {
    char *end;
    unsigned long long v;
    p++;
    if (!isdigit((unsigned char)*p))
      continue;
    v = strtoull(p, &end, 10);
    if (strncmp(end, " bytes", 6) == 0 || strncmp(end, " byte", 5) == 0)
      found = v;
  }
  return found;
}
