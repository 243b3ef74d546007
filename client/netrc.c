/*
 * netrc.c: find a host's credentials in a netrc file.  A small lexer turns
 * the text into tokens; a loop over the tokens keeps the entry being read and
 * the first entries that matched.  Only ftp_netrc_load() does I/O.
 */
#include "netrc.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <uv.h>

#include "err.h"
#include "file.h"
#include "ftp_limits.h"

/* The longest token: a password is the longest thing a netrc holds. */
#define FTP_NETRC_TOKEN_MAX FTP_PASS_MAX

struct lexer {
  const char *p;
  const char *end;
  size_t line;
  struct ftp_buf tok; /* the current token; secret, it may be a password */
};

struct entry {
  int active;     /* an entry has started */
  int is_default;
  int host_match; /* "machine" with our host */
  char *login;
  char *password;
  char *account;
};

struct scan {
  struct lexer lx;
  const char *host;
  const char *login;
  struct entry cur;
  struct entry machine; /* the first matching machine entry */
  struct entry deflt;   /* the first matching default entry */
  int saw_password;
  const char *why;      /* the syntax error, when there is one */
};

static void wipe_free(char *s) {
  if (s != NULL) {
    explicit_bzero(s, strlen(s));
    free(s);
  }
}

static void entry_clear(struct entry *e) {
  free(e->login);
  wipe_free(e->password);
  wipe_free(e->account);
  memset(e, 0, sizeof(*e));
}

void ftp_netrc_entry_free(struct ftp_netrc_entry *e) {
  if (e == NULL)
    return;
  free(e->login);
  wipe_free(e->password);
  wipe_free(e->account);
  memset(e, 0, sizeof(*e));
}

static int is_blank(int c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' ||
         c == '\v';
}

static int ascii_casecmp(const char *a, const char *b) {
  int x, y;

  do {
    x = (unsigned char)*a++;
    y = (unsigned char)*b++;
    if (x >= 'A' && x <= 'Z')
      x += 'a' - 'A';
    if (y >= 'A' && y <= 'Z')
      y += 'a' - 'A';
  } while (x == y && x != 0);
  return x - y;
}

/* Append one byte of a token; a token past the cap is a syntax error. */
static int tok_put(struct scan *s, int c) {
  int r = ftp_buf_putc(&s->lx.tok, c);

  if (r == FTP_E_TOOBIG)
    s->why = "token too long";
  return r == FTP_E_TOOBIG ? FTP_E_SYNTAX : r;
}

/* The rest of a token that started with '"' (curl's quoting). */
static int quoted(struct scan *s) {
  struct lexer *lx = &s->lx;
  int c, r;

  lx->p++;
  for (;;) {
    if (lx->p == lx->end || *lx->p == '\n')
      goto unterminated;
    c = (unsigned char)*lx->p++;
    if (c == '"')
      break;
    if (c == '\\') {
      if (lx->p == lx->end || *lx->p == '\n')
        goto unterminated;
      c = (unsigned char)*lx->p++;
      c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
    }
    if ((r = tok_put(s, c)) != 0)
      return r;
  }
  /* "abc"def would be read differently by different programs: refuse it. */
  if (lx->p < lx->end && !is_blank((unsigned char)*lx->p)) {
    s->why = "text right after a closing quote";
    return FTP_E_SYNTAX;
  }
  return 0;
unterminated:
  s->why = "unterminated quote";
  return FTP_E_SYNTAX;
}

/*
 * The next token into s->lx.tok, or *eof set at the end of the text.
 * RETURNS: 0, FTP_E_SYNTAX (s->why set), FTP_E_NOMEM.
 */
static int next_token(struct scan *s, int *eof) {
  struct lexer *lx = &s->lx;
  const unsigned char *t;
  size_t i, n;
  int r;

  *eof = 0;
  ftp_buf_reset(&lx->tok);
  for (;;) {
    while (lx->p < lx->end && is_blank((unsigned char)*lx->p)) {
      if (*lx->p == '\n')
        lx->line++;
      lx->p++;
    }
    if (lx->p == lx->end) {
      *eof = 1;
      return 0;
    }
    if (*lx->p != '#')
      break;
    /* A comment, only at the start of a token. */
    while (lx->p < lx->end && *lx->p != '\n')
      lx->p++;
  }
  if (*lx->p == '"') {
    if ((r = quoted(s)) != 0)
      return r;
  } else {
    while (lx->p < lx->end && !is_blank((unsigned char)*lx->p))
      if ((r = tok_put(s, (unsigned char)*lx->p++)) != 0)
        return r;
  }
  /* Security: a CR or LF (from a quoted "\r" or "\n") would end the USER,
   * PASS or ACCT command the value is sent in, and start another. */
  t = ftp_buf_ptr(&lx->tok);
  n = ftp_buf_len(&lx->tok);
  for (i = 0; i < n; i++) {
    if (t[i] == '\r' || t[i] == '\n') {
      s->why = "CR or LF inside a token";
      return FTP_E_SYNTAX;
    }
  }
  return 0;
}

/* The current token as a string (the text has no NUL: checked up front, so
 * only memory can fail). */
static int tok_str(struct scan *s, const char **out) {
  *out = ftp_buf_cstr(&s->lx.tok, NULL);
  return *out == NULL ? FTP_E_NOMEM : 0;
}

/* Read the word after keyword kw; what names the error if there is none. */
static int need_word(struct scan *s, const char *what) {
  int eof, r;

  if ((r = next_token(s, &eof)) != 0)
    return r;
  if (eof) {
    s->why = what;
    return FTP_E_SYNTAX;
  }
  return 0;
}

/* A field's value: kept only inside an entry, the last one given wins. */
static int set_field(struct scan *s, char **field, const char *what) {
  const char *v;
  int r;

  if ((r = need_word(s, what)) != 0)
    return r;
  if (!s->cur.active)
    return 0;
  if ((r = tok_str(s, &v)) != 0)
    return r;
  wipe_free(*field);
  if ((*field = strdup(v)) == NULL)
    return FTP_E_NOMEM;
  return 0;
}

/* Close the current entry: keep it if it is the first match of its kind. */
static void finish_entry(struct scan *s) {
  struct entry *e = &s->cur;
  struct entry *slot;

  if (!e->active)
    return;
  slot = e->is_default ? &s->deflt : &s->machine;
  if (!slot->active && (e->is_default || e->host_match) &&
      (s->login == NULL ||
       (e->login != NULL && strcmp(e->login, s->login) == 0))) {
    *slot = *e;
    memset(e, 0, sizeof(*e));
    return;
  }
  entry_clear(e);
}

/* macdef NAME: skip the rest of this line, then up to an empty line. */
static void skip_macro(struct lexer *lx) {
  const char *nl;
  int first = 1;

  while (lx->p < lx->end) {
    /* curl ends a macro at a line that starts with CR or LF. */
    if (!first && (*lx->p == '\n' || *lx->p == '\r')) {
      nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
      lx->p = nl == NULL ? lx->end : nl + 1;
      lx->line += nl != NULL;
      return;
    }
    first = 0;
    nl = memchr(lx->p, '\n', (size_t)(lx->end - lx->p));
    if (nl == NULL) {
      lx->p = lx->end;
      return;
    }
    lx->p = nl + 1;
    lx->line++;
  }
}

static int scan_tokens(struct scan *s) {
  const char *t;
  int eof, r;

  for (;;) {
    if ((r = next_token(s, &eof)) != 0)
      return r;
    if (eof)
      break;
    if ((r = tok_str(s, &t)) != 0)
      return r;
    if (strcmp(t, "machine") == 0) {
      finish_entry(s);
      if ((r = need_word(s, "machine without a name")) != 0 ||
          (r = tok_str(s, &t)) != 0)
        return r;
      s->cur.active = 1;
      s->cur.host_match = ascii_casecmp(t, s->host) == 0;
    } else if (strcmp(t, "default") == 0) {
      finish_entry(s);
      s->cur.active = 1;
      s->cur.is_default = 1;
    } else if (strcmp(t, "login") == 0) {
      if ((r = set_field(s, &s->cur.login, "login without a value")) != 0)
        return r;
    } else if (strcmp(t, "password") == 0 || strcmp(t, "passwd") == 0) {
      s->saw_password = 1;
      if ((r = set_field(s, &s->cur.password, "password without a value")) !=
          0)
        return r;
    } else if (strcmp(t, "account") == 0) {
      if ((r = set_field(s, &s->cur.account, "account without a value")) != 0)
        return r;
    } else if (strcmp(t, "macdef") == 0) {
      if ((r = need_word(s, "macdef without a name")) != 0)
        return r;
      skip_macro(&s->lx);
    }
    /* Anything else is a word for some other program: ignored. */
  }
  finish_entry(s);
  return 0;
}

/* The line of the first NUL in text, or 0 when there is none. */
static size_t nul_line(const char *text, size_t len) {
  const char *z = memchr(text, 0, len), *p;
  size_t line = 1;

  if (z == NULL)
    return 0;
  for (p = text; p < z; p++)
    line += *p == '\n';
  return line;
}

static void move_out(struct entry *e, struct ftp_netrc_entry *out) {
  out->login = e->login;
  out->password = e->password;
  out->account = e->account;
  out->is_default = e->is_default;
  memset(e, 0, sizeof(*e));
}

/* The parser behind both entry points; fname names the file in messages. */
static int scan(const char *fname, const char *text, size_t len,
                const char *host, const char *login_or_null,
                struct ftp_netrc_entry *out, struct ftp_buf *msg,
                int *saw_password) {
  struct scan s;
  size_t nl;
  int r;

  memset(out, 0, sizeof(*out));
  memset(&s, 0, sizeof(s));
  s.lx.p = text;
  s.lx.end = text + len;
  s.lx.line = 1;
  ftp_buf_init(&s.lx.tok, FTP_NETRC_TOKEN_MAX);
  ftp_buf_set_secret(&s.lx.tok);
  s.host = host;
  s.login = login_or_null;
  if ((nl = nul_line(text, len)) != 0) {
    s.lx.line = nl;
    s.why = "NUL byte";
    r = FTP_E_SYNTAX;
    goto out;
  }
  if ((r = scan_tokens(&s)) != 0)
    goto out;
  if (s.machine.active)
    move_out(&s.machine, out);
  else if (s.deflt.active)
    move_out(&s.deflt, out);
  else
    r = UV_ENOENT;
out:
  if (r == FTP_E_SYNTAX && msg != NULL) {
    if (fname != NULL)
      ftp_buf_putf(msg, "%s:%zu: %s", fname, s.lx.line, s.why);
    else
      ftp_buf_putf(msg, "line %zu: %s", s.lx.line, s.why);
  }
  *saw_password = s.saw_password;
  entry_clear(&s.cur);
  entry_clear(&s.machine);
  entry_clear(&s.deflt);
  ftp_buf_free(&s.lx.tok);
  return r;
}

int ftp_netrc_parse(const char *text, size_t len, const char *host,
                    const char *login_or_null, struct ftp_netrc_entry *out,
                    struct ftp_buf *msg) {
  int saw_password;

  return scan(NULL, text, len, host, login_or_null, out, msg, &saw_password);
}

int ftp_netrc_load(const char *path, const char *host,
                   const char *login_or_null, struct ftp_netrc_entry *out,
                   struct ftp_buf *msg) {
  struct ftp_buf b;
  uv_stat_t st;
  const char *text;
  int saw_password = 0;
  int r;

  memset(out, 0, sizeof(*out));
  ftp_buf_init(&b, FTP_NETRC_MAX);
  ftp_buf_set_secret(&b);
  if ((r = ftp_file_read(path, &b, &st)) != 0) {
    if (msg == NULL || r == UV_ENOENT)
      goto out;
    if (r == FTP_E_TOOBIG)
      ftp_buf_putf(msg, "%s: netrc larger than %d bytes; refused", path,
                   FTP_NETRC_MAX);
    else if (r == FTP_E_REFUSED)
      ftp_buf_putf(msg, "%s: not a regular file", path);
    else
      ftp_buf_putf(msg, "%s: %s", path, ftp_strerror(r));
    goto out;
  }
  text = ftp_buf_len(&b) == 0 ? "" : (const char *)ftp_buf_ptr(&b);
  r = scan(path, text, ftp_buf_len(&b), host, login_or_null, out, msg,
           &saw_password);
  if (r == FTP_E_SYNTAX || r == FTP_E_NOMEM)
    goto out;
  /* Security: as BSD ftp, refuse to use a password others can read (or
   * replace); the user has to fix the mode, and learns that it leaked. */
  if (saw_password && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    ftp_netrc_entry_free(out);
    if (msg != NULL)
      ftp_buf_putf(msg,
                   "%s: netrc holds a password and is accessible by group or "
                   "others (mode %04o); refused: chmod 600 it",
                   path, (unsigned int)(st.st_mode & 07777));
    r = FTP_E_REFUSED;
    goto out;
  }
out:
  ftp_buf_free(&b);
  return r;
}
