/*
 * conf_int.h: the inside of the conf module, shared by its files and not
 * for the programs (they read struct ftp_conf):
 *   conf_table.c  the keyword table declared here;
 *   conf_types.c  one parser, printer, default and release per operand type;
 *   conf.c        lines and statements, the cross-keyword rules, the API;
 *   conf_diag.c   messages, diagnostics and typo suggestions (below);
 *   conf_file.c   finding and reading a member on disk.
 */
#ifndef FTP_CONF_INT_H
#define FTP_CONF_INT_H

#include <stddef.h>

#include "buf.h"
#include "conf.h"
#include "ftp_limits.h"

#define FTP__CONF_BOTH (FTP_CONF_SERVER | FTP_CONF_CLIENT)

/* A row's field offset when the keyword stores nothing. */
#define FTP__CONF_NOFIELD ((size_t)-1)

/* What a keyword's operand is, and so which parser, printer and default
 * handler serve the row. */
enum ftp__conf_type {
  FTP__CONF_T_ENUM,      /* one of vals; int field */
  FTP__CONF_T_BOOL,      /* TRUE or FALSE (vals may override); int field */
  FTP__CONF_T_INT,       /* min..max, or 0 on the sides in zero; unsigned */
  FTP__CONF_T_OCTAL,     /* 000..max in octal; unsigned */
  FTP__CONF_T_PATH,      /* an absolute path; const char * */
  FTP__CONF_T_NAME,      /* an account name; const char * */
  FTP__CONF_T_ADDR4,     /* an IPv4 literal; const char * */
  FTP__CONF_T_ADDR,      /* an IPv4 or IPv6 literal; const char * */
  FTP__CONF_T_ADDRLIST,  /* IP literals, one or (a,b,...); ftp_conf_list */
  FTP__CONF_T_NETLIST,   /* addr or addr/bits, one or a list; ftp_conf_list */
  FTP__CONF_T_PORTRANGE, /* (low,high) within min..max; ftp_conf_ports */
  FTP__CONF_T_CIPHERS,   /* repeatable, names from ciphers.h; list */
  FTP__CONF_T_EXTS,      /* repeatable, one of vals per statement; mask */
  FTP__CONF_T_ANONYMOUS, /* [user[/anything]]; int field + string field2 */
  FTP__CONF_T_IGNORED,   /* a z/OS statement with no meaning here: warn */
  FTP__CONF_T_REFUSED,   /* a z/OS statement we refuse: error (why) */
  FTP__CONF_T_COUNT
};

/*
 * One allowed value of an enumerated keyword.  A value restricted to some
 * sides (sides != 0) is an error on the others; a refused value is an error
 * that says why; a value with a warning is accepted and stored as value,
 * which may be another value's constant (ATTLS is stored as FTP).
 */
struct ftp__conf_val {
  const char *name;
  int value;
  unsigned sides;      /* 0: both sides */
  const char *refused; /* NULL, or why the value is an error */
  const char *warning; /* NULL, or the warning when it is coded */
};

/* One keyword. */
struct ftp__conf_kw {
  const char *name; /* upper case, as documented */
  unsigned sides;   /* FTP_CONF_SERVER and/or FTP_CONF_CLIENT */
  enum ftp__conf_type type;
  size_t off;                       /* field in struct ftp_conf, or NOFIELD */
  size_t off2;                      /* ANONYMOUS: the user name field */
  const struct ftp__conf_val *vals; /* ENUM, BOOL (NULL: TRUE/FALSE), EXTS */
  size_t nvals;
  unsigned long min, max; /* INT, OCTAL (max only), PORTRANGE */
  unsigned zero;          /* INT: sides on which 0 is also valid */
  const char *unit;       /* INT: "seconds", ... or NULL */
  long def[2];            /* numeric default: [0] server, [1] client */
  const char *def_str;    /* string default (static), or NULL */
  const struct ftp_conf_list *def_list; /* ADDRLIST default, or NULL */
  const char *why;                      /* REFUSED: the reason */
  const char *desc;                     /* one line: what the keyword does */
};

/* The table, in the order ftp_conf_print shows it. */
extern const struct ftp__conf_kw ftp__conf_table[];
extern const size_t ftp__conf_ntable;

/*
 * ftp__conf_lookup: the row named name[0..n), ignoring case.
 * RETURNS: the row's index, or -1.
 */
long ftp__conf_lookup(const char *name, size_t n);

/* ------------------------------------------------------------------------
 * Parsing, shared by conf.c and conf_types.c; the message functions are
 * conf_diag.c's, so that neither of those two files calls the other back.
 */

/* A run of bytes inside the member; never NUL-terminated. */
struct ftp__conf_slice {
  const char *p;
  size_t n;
};

/* The state of one ftp_conf_parse call. */
struct ftp__conf_ctx {
  struct ftp_conf *c;
  ftp_conf_diag_fn *diag;
  void *arg;
  unsigned line; /* current line; 0 while applying a rule no line breaks */
  int suppress;  /* SUPPRESSIGNOREWARNINGS TRUE is coded in the member */
  unsigned errors;
  /* Rows coded with a bad value: the rules treat them as present, so that
   * one mistake is not reported a second time as "not coded". */
  unsigned char bad[FTP_CONF_KEYWORDS_MAX];
};

/* A message under construction, truncated (never overflowed) when long. */
struct ftp__conf_msg {
  char s[FTP_PATH_MAX + 1024];
  size_t n;
};

/* ftp__conf_msg_add: append printf-style text to m. */
void ftp__conf_msg_add(struct ftp__conf_msg *m, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ftp__conf_msg_echo: append a value from the member, quoted, cut after 60
 * bytes, tabs shown as blanks. */
void ftp__conf_msg_echo(struct ftp__conf_msg *m, struct ftp__conf_slice s);

/*
 * ftp__conf_report: send one diagnostic to the caller's diag function,
 * formatted "member:line: KEYWORD: [warning: ]text" (see ftp_conf_diag_fn;
 * the line is left out when p->line is 0, the keyword when kw is NULL).
 * An error is counted in p->errors.
 */
void ftp__conf_report(struct ftp__conf_ctx *p, int sev, const char *kw,
                      const char *text);
void ftp__conf_reportf(struct ftp__conf_ctx *p, int sev, const char *kw,
                       const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ftp__conf_dup: a malloc'ed NUL-terminated copy of s, or NULL. */
char *ftp__conf_dup(struct ftp__conf_slice s);

/*
 * ftp__conf_suggest: the name closest to word among name_at(0),
 * name_at(1), ... (NULL ends the list), if it is close enough to be a typo.
 * RETURNS: the name, or NULL.
 */
const char *ftp__conf_suggest(struct ftp__conf_slice word,
                              const char *(*name_at)(size_t));

/*
 * One operand type.  parse checks a statement's operand op and stores it in
 * dst (NULL when the keyword belongs to the other program: check only); it
 * returns 0, FTP_E_CONF after reporting the problem, or FTP_E_NOMEM.  expect
 * appends "expected ..." for messages; print appends the value; init sets
 * the default; release frees what parse allocated.  A NULL print means the
 * type is never printed.
 */
struct ftp__conf_ops {
  int (*parse)(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
               struct ftp__conf_slice op, struct ftp_conf *dst);
  void (*expect)(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                 struct ftp__conf_msg *m);
  int (*print)(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
               struct ftp_buf *out);
  void (*init)(struct ftp_conf *c, const struct ftp__conf_kw *kw);
  void (*release)(struct ftp_conf *c, const struct ftp__conf_kw *kw);
};

/* Indexed by enum ftp__conf_type. */
extern const struct ftp__conf_ops ftp__conf_type_ops[FTP__CONF_T_COUNT];

/* Small helpers.  ASCII only: the client may set a locale, which must not
 * change which keywords match. */
static inline int ftp__conf_lower(int ch) {
  return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch;
}

static inline int ftp__conf_is_blank(int ch) { return ch == ' ' || ch == '\t'; }

/* Does s equal word, ignoring case? */
static inline int ftp__conf_ieq(struct ftp__conf_slice s, const char *word) {
  size_t i;

  for (i = 0; i < s.n; i++)
    if (word[i] == '\0' || ftp__conf_lower((unsigned char)s.p[i]) !=
                               ftp__conf_lower((unsigned char)word[i]))
      return 0;
  return word[i] == '\0';
}

/* s without leading and trailing blanks and tabs. */
static inline struct ftp__conf_slice ftp__conf_trim(struct ftp__conf_slice s) {
  while (s.n > 0 && ftp__conf_is_blank((unsigned char)s.p[0])) {
    s.p++;
    s.n--;
  }
  while (s.n > 0 && ftp__conf_is_blank((unsigned char)s.p[s.n - 1]))
    s.n--;
  return s;
}

/* The index into ftp__conf_kw.def for a side. */
static inline int ftp__conf_side_index(enum ftp_conf_side side) {
  return side == FTP_CONF_CLIENT ? 1 : 0;
}

static inline const char *ftp__conf_side_name(enum ftp_conf_side side) {
  return side == FTP_CONF_CLIENT ? "client" : "server";
}

#endif
