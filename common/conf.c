/*
 * conf.c: turn an FTPDATA member into a struct ftp_conf.
 *
 * A member is read line by line; each statement's keyword is looked up in
 * the table (conf_table.c) and its operand handed to the parser of the
 * row's type (conf_types.c).  After the last line, apply_rules() checks the
 * rules that involve several keywords: it is the only code that names
 * keywords.  This file also prints the effective configuration and holds
 * the public entry points; diagnostics are formatted by conf_diag.c.
 * Nothing here does I/O; reading a member from disk is conf_file.c.
 */
#include "conf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf_int.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"

static const char *keyword_at(size_t i) {
  return i < ftp__conf_ntable ? ftp__conf_table[i].name : NULL;
}

/* ------------------------------------------------------------------------
 * Lines.
 */

enum lex_result {
  LEX_STATEMENT,
  LEX_EMPTY,
  LEX_TOO_LONG,
  LEX_NUL,
  LEX_CONTROL
};

/*
 * lex: split one line (without its LF) into keyword and operand.  A CR
 * before the LF is dropped; a comment runs from ";" to the end of the line;
 * the keyword ends at a blank, a tab or "(".  *bad receives the offending
 * byte for LEX_CONTROL.
 */
static enum lex_result lex(struct ftp__conf_slice line,
                           struct ftp__conf_slice *kw,
                           struct ftp__conf_slice *op, unsigned char *bad) {
  const char *semi;
  size_t i;

  if (line.n > 0 && line.p[line.n - 1] == '\r')
    line.n--;
  if (line.n > FTP_CONF_LINE_MAX)
    return LEX_TOO_LONG;
  if (memchr(line.p, '\0', line.n) != NULL)
    return LEX_NUL;
  if ((semi = memchr(line.p, ';', line.n)) != NULL)
    line.n = (size_t)(semi - line.p);
  /* Security: control characters (ESC, a stray CR) would otherwise reach
   * the terminal or log through a message that echoes the value. */
  for (i = 0; i < line.n; i++) {
    unsigned char ch = (unsigned char)line.p[i];
    if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
      *bad = ch;
      return LEX_CONTROL;
    }
  }
  line = ftp__conf_trim(line);
  if (line.n == 0)
    return LEX_EMPTY;
  /* "KEYWORD(a,b)" is split before the list, but a line that starts with
   * "(" is all keyword (and unknown), never an empty one. */
  for (i = 0; i < line.n && !ftp__conf_is_blank((unsigned char)line.p[i]) &&
              !(line.p[i] == '(' && i > 0);
       i++)
    ;
  *kw = (struct ftp__conf_slice){line.p, i};
  *op = ftp__conf_trim((struct ftp__conf_slice){line.p + i, line.n - i});
  return LEX_STATEMENT;
}

/* The next line of text[*off..len), without its LF; 0 at the end. */
static int next_line(const char *text, size_t len, size_t *off,
                     struct ftp__conf_slice *line) {
  const char *nl;

  if (*off >= len)
    return 0;
  line->p = text + *off;
  nl = memchr(line->p, '\n', len - *off);
  line->n = nl != NULL ? (size_t)(nl - line->p) : len - *off;
  *off += line->n + (nl != NULL);
  return 1;
}

/* SUPPRESSIGNOREWARNINGS applies to the whole member wherever it is coded
 * (the last statement wins, like any scalar), so it is found first. */
static int find_suppress(const char *text, size_t len) {
  struct ftp__conf_slice line, kw, op;
  unsigned char bad;
  size_t off = 0;
  int suppress = 0;

  while (next_line(text, len, &off, &line)) {
    if (lex(line, &kw, &op, &bad) != LEX_STATEMENT ||
        !ftp__conf_ieq(kw, "SUPPRESSIGNOREWARNINGS"))
      continue;
    if (ftp__conf_ieq(op, "TRUE"))
      suppress = 1;
    else if (ftp__conf_ieq(op, "FALSE"))
      suppress = 0;
  }
  return suppress;
}

static int unknown_keyword(struct ftp__conf_ctx *p,
                           struct ftp__conf_slice word) {
  struct ftp__conf_msg kwm = {.n = 0}, m = {.n = 0};
  const char *hint = ftp__conf_suggest(word, keyword_at);

  if (word.n > FTP_CONF_ECHO_MAX)
    ftp__conf_msg_add(&kwm, "%.*s...", FTP_CONF_ECHO_MAX, word.p);
  else
    ftp__conf_msg_add(&kwm, "%.*s", (int)word.n, word.p);
  ftp__conf_msg_add(&m, "unknown keyword");
  if (hint != NULL)
    ftp__conf_msg_add(&m, "; did you mean %s?", hint);
  ftp__conf_report(p, FTP_CONF_ERROR, kwm.s, m.s);
  return 0;
}

/* One statement.  Returns 0 (even after reporting an error) or FTP_E_NOMEM. */
static int do_line(struct ftp__conf_ctx *p, struct ftp__conf_slice line) {
  const struct ftp__conf_kw *kw;
  struct ftp_conf *dst;
  struct ftp__conf_slice word, op;
  unsigned char bad = 0;
  long idx;
  int r;

  switch (lex(line, &word, &op, &bad)) {
  case LEX_EMPTY:
    return 0;
  case LEX_TOO_LONG:
    ftp__conf_reportf(p, FTP_CONF_ERROR, NULL,
                      "line too long (more than %d bytes)", FTP_CONF_LINE_MAX);
    return 0;
  case LEX_NUL:
    ftp__conf_report(p, FTP_CONF_ERROR, NULL, "NUL byte in line");
    return 0;
  case LEX_CONTROL:
    ftp__conf_reportf(p, FTP_CONF_ERROR, NULL,
                      "control character 0x%02x in line", bad);
    return 0;
  case LEX_STATEMENT:
    break;
  }
  if ((idx = ftp__conf_lookup(word.p, word.n)) < 0)
    return unknown_keyword(p, word);
  kw = &ftp__conf_table[idx];
  /* A statement for the other program is still checked, so that a member
   * shared by both is found broken by whichever starts first, but it changes
   * nothing here. */
  dst = (kw->sides & p->c->side) ? p->c : NULL;
  if (dst == NULL && !p->suppress)
    ftp__conf_reportf(
        p, FTP_CONF_WARNING, kw->name, "ignored by the %s (%s statement)",
        ftp__conf_side_name(p->c->side),
        ftp__conf_side_name(p->c->side == FTP_CONF_SERVER ? FTP_CONF_CLIENT
                                                          : FTP_CONF_SERVER));
  r = ftp__conf_type_ops[kw->type].parse(p, kw, op, dst);
  if (r == FTP_E_NOMEM)
    return r;
  if (r != 0)
    p->bad[idx] = 1;
  else if (dst != NULL)
    p->c->priv_origin[idx] = p->line;
  return 0;
}

/* ------------------------------------------------------------------------
 * Cross-keyword rules.
 */

static long row(const char *name) {
  long idx = ftp__conf_lookup(name, strlen(name));

  if (idx < 0)
    BUG("keyword %s missing from the table", name);
  return idx;
}

/* Coded, whether or not its value was good. */
static int coded(const struct ftp__conf_ctx *p, long idx) {
  return p->c->priv_origin[idx] != 0 || p->bad[idx];
}

/* A TLS requirement that needs EXTENSIONS AUTH_TLS and a KEYRING. */
struct tls_trigger {
  const char *kw;
  const char *value;
  unsigned line;
};

static void rule_tls_needs_keyring(struct ftp__conf_ctx *p) {
  const struct ftp_conf *c = p->c;
  struct tls_trigger t[4];
  struct ftp__conf_msg what = {.n = 0}, m = {.n = 0};
  char port[16];
  size_t n = 0, i;
  int no_ext, no_key;

  snprintf(port, sizeof(port), "%u", c->tlsport);
  if (c->secure_ftp == FTP_SECURE_FTP_REQUIRED)
    t[n++] = (struct tls_trigger){"SECURE_FTP", "REQUIRED",
                                  c->priv_origin[row("SECURE_FTP")]};
  if (c->secure_dataconn == FTP_SECURE_DATACONN_PRIVATE ||
      c->secure_dataconn == FTP_SECURE_DATACONN_SAFE)
    t[n++] = (struct tls_trigger){
        "SECURE_DATACONN",
        c->secure_dataconn == FTP_SECURE_DATACONN_SAFE ? "SAFE" : "PRIVATE",
        c->priv_origin[row("SECURE_DATACONN")]};
  if (c->secure_login != FTP_SECURE_LOGIN_NO_CLIENT_AUTH)
    t[n++] = (struct tls_trigger){"SECURE_LOGIN",
                                  c->secure_login == FTP_SECURE_LOGIN_REQUIRED
                                      ? "REQUIRED"
                                      : "VERIFY_USER",
                                  c->priv_origin[row("SECURE_LOGIN")]};
  if (c->tlsport != 0 && c->priv_origin[row("TLSPORT")] != 0)
    t[n++] =
        (struct tls_trigger){"TLSPORT", port, c->priv_origin[row("TLSPORT")]};
  no_ext = !(c->extensions & FTP_EXT_AUTH_TLS) && !p->bad[row("EXTENSIONS")];
  no_key = c->keyring == NULL && !coded(p, row("KEYRING"));
  if (n == 0 || (!no_ext && !no_key))
    return;
  ftp__conf_msg_add(&what, "%s%s%s %s not coded",
                    no_ext ? "EXTENSIONS AUTH_TLS" : "",
                    no_ext && no_key ? " and " : "", no_key ? "KEYRING" : "",
                    no_ext && no_key ? "are" : "is");
  if (n == 1) {
    p->line = t[0].line;
    ftp__conf_msg_add(&m, "%s needs TLS, but %s", t[0].value, what.s);
  } else {
    /* Several statements ask for TLS; no single line is at fault. */
    p->line = 0;
    ftp__conf_msg_add(&m, "TLS is required (");
    for (i = 0; i < n; i++)
      ftp__conf_msg_add(&m, "%s%s %s on line %u", i == 0 ? "" : ", ", t[i].kw,
                        t[i].value, t[i].line);
    ftp__conf_msg_add(&m, ") but %s", what.s);
  }
  ftp__conf_report(p, FTP_CONF_ERROR, t[0].kw, m.s);
}

/*
 * apply_rules: the rules that involve more than one keyword, after the whole
 * member is read.  An error refuses start-up like any other.  (SECURE_SESSION
 * _REUSE NONE in a server member is refused by the table: the value is marked
 * client-only.)
 */
static void apply_rules(struct ftp__conf_ctx *p) {
  struct ftp_conf *c = p->c;

  if (c->side != FTP_CONF_SERVER)
    return;
  /* As z/OS EZYFS16I: a password can only be waived for a verified client
   * certificate, and without client authentication there is none. */
  if (c->secure_password == FTP_SECURE_PASSWORD_OPTIONAL &&
      c->secure_login == FTP_SECURE_LOGIN_NO_CLIENT_AUTH) {
    p->line = c->priv_origin[row("SECURE_PASSWORD")];
    ftp__conf_report(
        p, FTP_CONF_WARNING, "SECURE_PASSWORD",
        "OPTIONAL needs SECURE_LOGIN REQUIRED or VERIFY_USER; REQUIRED is "
        "used");
    c->secure_password = FTP_SECURE_PASSWORD_REQUIRED;
  }
  rule_tls_needs_keyring(p);
  /* Security: a header on data connections is read only from the
   * balancers PROXYPROTOCOL names; without them there is none to trust. */
  if (c->proxyprotocoldata && c->proxyprotocol.n == 0 &&
      !coded(p, row("PROXYPROTOCOL"))) {
    p->line = c->priv_origin[row("PROXYPROTOCOLDATA")];
    ftp__conf_report(p, FTP_CONF_ERROR, "PROXYPROTOCOLDATA",
                     "TRUE needs PROXYPROTOCOL, the balancers to read headers from");
  }
  if (c->secure_login != FTP_SECURE_LOGIN_NO_CLIENT_AUTH && c->cafile == NULL &&
      !coded(p, row("CAFILE"))) {
    p->line = c->priv_origin[row("SECURE_LOGIN")];
    ftp__conf_reportf(
        p, FTP_CONF_ERROR, "SECURE_LOGIN",
        "%s needs CAFILE: client certificates cannot be verified without "
        "trusted CA certificates",
        c->secure_login == FTP_SECURE_LOGIN_REQUIRED ? "REQUIRED"
                                                     : "VERIFY_USER");
  }
  if (c->tlsport != 0 && c->tlsport == c->port) {
    p->line = c->priv_origin[row("TLSPORT")];
    ftp__conf_reportf(
        p, FTP_CONF_ERROR, "TLSPORT",
        "%u is also the PORT; implicit TLS needs a port of its own",
        c->tlsport);
  }
}

/* ------------------------------------------------------------------------
 * Public functions.
 */

void ftp_conf_diag_stderr(void *arg, int severity, const char *line) {
  (void)arg;
  (void)severity;
  fprintf(stderr, "%s\n", line);
}

void ftp_conf_init(struct ftp_conf *c, enum ftp_conf_side side) {
  size_t i;

  memset(c, 0, sizeof(*c));
  c->side = side;
  for (i = 0; i < ftp__conf_ntable; i++)
    ftp__conf_type_ops[ftp__conf_table[i].type].init(c, &ftp__conf_table[i]);
}

int ftp_conf_parse(struct ftp_conf *c, const char *name, const char *text,
                   size_t len, ftp_conf_diag_fn *diag, void *arg) {
  struct ftp__conf_ctx p;
  struct ftp__conf_slice line;
  size_t off = 0;
  int r;

  if (c->member != NULL)
    return FTP_E_BAD_ARG;
  if ((c->member =
           ftp__conf_dup((struct ftp__conf_slice){name, strlen(name)})) == NULL)
    return FTP_E_NOMEM;
  memset(&p, 0, sizeof(p));
  p.c = c;
  p.diag = diag;
  p.arg = arg;
  if (len > FTP_CONF_MEMBER_MAX) {
    ftp__conf_reportf(&p, FTP_CONF_ERROR, NULL,
                      "member is larger than %d bytes", FTP_CONF_MEMBER_MAX);
    return FTP_E_CONF;
  }
  if (len == 0)
    text = ""; /* an empty member may come as NULL */
  /* A UTF-8 byte order mark, as some editors write, is not a keyword. */
  if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
    off = 3;
  p.suppress = find_suppress(text + off, len - off);
  while (next_line(text, len, &off, &line)) {
    p.line++;
    if ((r = do_line(&p, line)) != 0)
      return r;
  }
  p.line = 0;
  apply_rules(&p);
  return p.errors != 0 ? FTP_E_CONF : 0;
}

int ftp_conf_print(const struct ftp_conf *c, struct ftp_buf *out) {
  const struct ftp__conf_kw *kw;
  unsigned line;
  size_t i;
  int r;

  for (i = 0; i < ftp__conf_ntable; i++) {
    kw = &ftp__conf_table[i];
    if (!(kw->sides & c->side) || ftp__conf_type_ops[kw->type].print == NULL)
      continue;
    line = c->priv_origin[i];
    if ((r = ftp_buf_putf(out, "%s ", kw->name)) != 0 ||
        (r = ftp__conf_type_ops[kw->type].print(c, kw, out)) != 0 ||
        (r = line != 0 ? ftp_buf_putf(out, " ; %s:%u\n", c->member, line)
                       : ftp_buf_puts(out, " ; default\n")) != 0)
      return r;
  }
  return 0;
}

unsigned ftp_conf_line(const struct ftp_conf *c, const char *keyword) {
  long idx = ftp__conf_lookup(keyword, strlen(keyword));

  return idx < 0 ? 0 : c->priv_origin[idx];
}

void ftp_conf_free(struct ftp_conf *c) {
  size_t i;

  if (c == NULL)
    return;
  for (i = 0; i < ftp__conf_ntable; i++)
    ftp__conf_type_ops[ftp__conf_table[i].type].release(c, &ftp__conf_table[i]);
  free((void *)c->member);
  c->member = NULL;
}
