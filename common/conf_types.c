/*
 * conf_types.c: the operand types of FTPDATA statements.
 *
 * Each type (enum ftp__conf_type) has a parser that checks an operand and
 * stores it in the field its table row names, an "expected ..." text for
 * messages, a printer, a default setter and a release function.  A parser
 * returns 0 (value stored, or only checked when dst is NULL because the
 * keyword belongs to the other program), FTP_E_CONF after reporting the
 * problem, or FTP_E_NOMEM.  Nothing here names a keyword: what differs
 * between keywords of one type is in their rows.
 */
#include "conf_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cidr.h"
#include "ciphers.h"
#include "err.h"
#include "ftp_limits.h"
#include "log.h"

#define AT(c, off, type) ((type *)(void *)((char *)(c) + (off)))
#define CAT(c, off, type)                                                      \
  ((const type *)(const void *)((const char *)(c) + (off)))

/* Longest cipher suite name looked up (longer ones are unknown). */

static const char *cipher_name_at(size_t i) {
  const struct ftp_cipher *e = ftp_cipher_at(i);
  return e == NULL ? NULL : e->name;
}

static void expected(const struct ftp__conf_ctx *p,
                     const struct ftp__conf_kw *kw, struct ftp__conf_msg *m) {
  ftp__conf_type_ops[kw->type].expect(kw, p->c->side, m);
}

static int bad_value(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                     struct ftp__conf_slice v) {
  struct ftp__conf_msg m = {.n = 0};

  ftp__conf_msg_echo(&m, v);
  ftp__conf_msg_add(&m, " is not valid; ");
  expected(p, kw, &m);
  ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
  return FTP_E_CONF;
}

static int missing_value(struct ftp__conf_ctx *p,
                         const struct ftp__conf_kw *kw) {
  struct ftp__conf_msg m = {.n = 0};

  ftp__conf_msg_add(&m, "missing value; ");
  expected(p, kw, &m);
  ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
  return FTP_E_CONF;
}

/* The operand as exactly one blank-free token. */
static int one_token(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                     struct ftp__conf_slice op, struct ftp__conf_slice *tok) {
  struct ftp__conf_msg m = {.n = 0};
  size_t i;

  if (op.n == 0)
    return missing_value(p, kw);
  for (i = 0; i < op.n && !ftp__conf_is_blank((unsigned char)op.p[i]); i++)
    ;
  if (i < op.n) {
    ftp__conf_msg_add(&m, "unexpected ");
    ftp__conf_msg_echo(
        &m, ftp__conf_trim((struct ftp__conf_slice){op.p + i, op.n - i}));
    ftp__conf_msg_add(&m, " after the value (one value per statement)");
    ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
    return FTP_E_CONF;
  }
  *tok = op;
  return 0;
}

/*
 * The operand as list items: "(a, b ,c)", or a single token when paren is
 * 0.  Blanks are allowed around items and commas, not inside an item.
 */
static int get_items(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                     struct ftp__conf_slice op, int paren,
                     struct ftp__conf_slice *items, size_t *n) {
  struct ftp__conf_slice in, item;
  const char *comma;
  size_t i;

  *n = 0;
  if (op.n == 0)
    return missing_value(p, kw);
  if (op.p[0] != '(') {
    if (paren)
      return bad_value(p, kw, op);
    *n = 1;
    return one_token(p, kw, op, &items[0]);
  }
  if (op.n < 2 || op.p[op.n - 1] != ')') {
    struct ftp__conf_msg m = {.n = 0};
    ftp__conf_msg_echo(&m, op);
    ftp__conf_msg_add(&m, ": the list does not end with \")\"");
    ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
    return FTP_E_CONF;
  }
  in = (struct ftp__conf_slice){op.p + 1, op.n - 2};
  for (;;) {
    comma = memchr(in.p, ',', in.n);
    item = ftp__conf_trim((struct ftp__conf_slice){
        in.p, comma != NULL ? (size_t)(comma - in.p) : in.n});
    for (i = 0; i < item.n && !ftp__conf_is_blank((unsigned char)item.p[i]);
         i++)
      ;
    if (item.n == 0 || i < item.n)
      return bad_value(p, kw, op);
    if (*n == FTP_CONF_LIST_MAX) {
      ftp__conf_reportf(p, FTP_CONF_ERROR, kw->name,
                        "more than %d items in the list", FTP_CONF_LIST_MAX);
      return FTP_E_CONF;
    }
    items[(*n)++] = item;
    if (comma == NULL)
      return 0;
    in.n -= (size_t)(comma + 1 - in.p);
    in.p = comma + 1;
  }
}

/* A decimal number, no sign.  Security: checked for overflow, so that a
 * huge value can never wrap around into the allowed range. */
static int get_number(struct ftp__conf_slice s, unsigned long *v) {
  size_t i;

  if (s.n == 0)
    return -1;
  *v = 0;
  for (i = 0; i < s.n; i++) {
    if (s.p[i] < '0' || s.p[i] > '9' || *v > ((unsigned long)-1 - 9) / 10)
      return -1;
    *v = *v * 10 + (unsigned long)(s.p[i] - '0');
  }
  return 0;
}

/* Replace a string field, freeing the old value unless it is the table's
 * static default. */
static int set_string(const struct ftp__conf_kw *kw, const char **field,
                      struct ftp__conf_slice v) {
  char *copy = ftp__conf_dup(v);

  if (copy == NULL)
    return FTP_E_NOMEM;
  if (*field != NULL && *field != kw->def_str)
    free((void *)*field);
  *field = copy;
  return 0;
}

/* ENUM and BOOL ---------------------------------------------------------- */

static int val_usable(const struct ftp__conf_val *v, enum ftp_conf_side side) {
  return v->refused == NULL && (v->sides == 0 || (v->sides & side));
}

static void expect_enum(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                        struct ftp__conf_msg *m) {
  size_t i, total = 0, k = 0;
  const char *sep;

  for (i = 0; i < kw->nvals; i++)
    total += val_usable(&kw->vals[i], side);
  ftp__conf_msg_add(m, "expected ");
  for (i = 0; i < kw->nvals; i++) {
    if (!val_usable(&kw->vals[i], side))
      continue;
    k++;
    sep = k == 1 ? "" : k == total ? " or " : ", ";
    ftp__conf_msg_add(m, "%s%s", sep, kw->vals[i].name);
  }
}

/* Find the value token among kw's values; report what is wrong with it. */
static int get_val(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                   struct ftp__conf_slice op, int checking_only,
                   const struct ftp__conf_val **out) {
  const struct ftp__conf_val *v = NULL;
  struct ftp__conf_slice t;
  size_t i;
  int r;

  if ((r = one_token(p, kw, op, &t)) != 0)
    return r;
  for (i = 0; i < kw->nvals && v == NULL; i++)
    if (ftp__conf_ieq(t, kw->vals[i].name))
      v = &kw->vals[i];
  if (v == NULL)
    return bad_value(p, kw, t);
  if (v->refused != NULL) {
    ftp__conf_reportf(p, FTP_CONF_ERROR, kw->name, "%s: %s", v->name,
                      v->refused);
    return FTP_E_CONF;
  }
  if (v->sides != 0 && !(v->sides & p->c->side)) {
    struct ftp__conf_msg m = {.n = 0};
    ftp__conf_msg_echo(&m, t);
    ftp__conf_msg_add(&m, " is not valid for the %s; ",
                      ftp__conf_side_name(p->c->side));
    expected(p, kw, &m);
    ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
    return FTP_E_CONF;
  }
  if (v->warning != NULL && !checking_only)
    ftp__conf_reportf(p, FTP_CONF_WARNING, kw->name, "%s: %s", v->name,
                      v->warning);
  *out = v;
  return 0;
}

static int parse_enum(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                      struct ftp__conf_slice op, struct ftp_conf *dst) {
  const struct ftp__conf_val *v;
  int r;

  if ((r = get_val(p, kw, op, dst == NULL, &v)) != 0)
    return r;
  if (dst != NULL && kw->off != FTP__CONF_NOFIELD)
    *AT(dst, kw->off, int) = v->value;
  return 0;
}

static const char *val_name(const struct ftp__conf_kw *kw, int value) {
  size_t i;

  for (i = 0; i < kw->nvals; i++)
    if (kw->vals[i].value == value && kw->vals[i].refused == NULL)
      return kw->vals[i].name;
  return "(none)";
}

static int print_enum(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                      struct ftp_buf *out) {
  int v = kw->off == FTP__CONF_NOFIELD
              ? (int)kw->def[ftp__conf_side_index(c->side)]
              : *CAT(c, kw->off, int);
  return ftp_buf_puts(out, val_name(kw, v));
}

static void init_int(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  if (kw->off != FTP__CONF_NOFIELD)
    *AT(c, kw->off, int) = (int)kw->def[ftp__conf_side_index(c->side)];
}

static void init_unsigned(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  *AT(c, kw->off, unsigned) = (unsigned)kw->def[ftp__conf_side_index(c->side)];
}

static void release_none(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  (void)c;
  (void)kw;
}

/* INT -------------------------------------------------------------------- */

static void expect_int(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                       struct ftp__conf_msg *m) {
  ftp__conf_msg_add(m, "expected %sa number from %lu to %lu",
                    (kw->zero & side) ? "0 or " : "", kw->min, kw->max);
  if (kw->unit != NULL)
    ftp__conf_msg_add(m, " (%s)", kw->unit);
}

static int parse_int(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                     struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice t;
  unsigned long v;
  int r;

  if ((r = one_token(p, kw, op, &t)) != 0)
    return r;
  if (get_number(t, &v) != 0 ||
      !((v >= kw->min && v <= kw->max) || (v == 0 && (kw->zero & p->c->side))))
    return bad_value(p, kw, t);
  if (dst != NULL)
    *AT(dst, kw->off, unsigned) = (unsigned)v;
  return 0;
}

static int print_unsigned(const struct ftp_conf *c,
                          const struct ftp__conf_kw *kw, struct ftp_buf *out) {
  return ftp_buf_putf(out, "%u", *CAT(c, kw->off, unsigned));
}

/* OCTAL ------------------------------------------------------------------ */

static void expect_octal(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                         struct ftp__conf_msg *m) {
  (void)side;
  ftp__conf_msg_add(m, "expected an octal mask from 000 to %03lo", kw->max);
}

static int parse_octal(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                       struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice t;
  unsigned long v = 0;
  size_t i;
  int r;

  if ((r = one_token(p, kw, op, &t)) != 0)
    return r;
  /* Up to four digits so that "0027" (a leading 0 as in C) is accepted. */
  if (t.n > 4)
    return bad_value(p, kw, t);
  for (i = 0; i < t.n; i++) {
    if (t.p[i] < '0' || t.p[i] > '7')
      return bad_value(p, kw, t);
    v = v * 8 + (unsigned long)(t.p[i] - '0');
  }
  if (v > kw->max)
    return bad_value(p, kw, t);
  if (dst != NULL)
    *AT(dst, kw->off, unsigned) = (unsigned)v;
  return 0;
}

static int print_octal(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                       struct ftp_buf *out) {
  return ftp_buf_putf(out, "%03o", *CAT(c, kw->off, unsigned));
}

/* Strings: PATH, NAME, ADDR4 -------------------------------------------- */

static void expect_path(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                        struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected an absolute path");
}

static void expect_name(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                        struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(
      m, "expected an account name (letters, digits, '.', '_', '-')");
}

static void expect_addr4(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                         struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected an IPv4 address such as 192.0.2.10");
}

static void expect_addr(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                        struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected an IPv4 or IPv6 address such as 127.0.0.1");
}

/* Account names as useradd(8) accepts them, so that no shell or path
 * metacharacter reaches getpwnam() or a log line. */
static int valid_name(struct ftp__conf_slice s) {
  size_t i;

  if (s.n == 0 || s.n >= FTP_USER_MAX || s.p[0] == '-')
    return 0;
  for (i = 0; i < s.n; i++) {
    unsigned char ch = (unsigned char)s.p[i];
    if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
          (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' || ch == '-'))
      return 0;
  }
  return 1;
}

/* af: AF_INET or AF_INET6; a literal longer than any valid one is invalid
 * without being copied. */
static int valid_addr(struct ftp__conf_slice s, int af) {
  char tmp[INET6_ADDRSTRLEN + 1];
  unsigned char bin[16];

  if (s.n >= sizeof(tmp))
    return 0;
  memcpy(tmp, s.p, s.n);
  tmp[s.n] = '\0';
  return inet_pton(af, tmp, bin) == 1;
}

static int parse_string(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                        struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice t;
  int r, ok;

  if ((r = one_token(p, kw, op, &t)) != 0)
    return r;
  switch (kw->type) {
  case FTP__CONF_T_PATH:
    /* On z/OS a name without "/" is an MVS data set or a RACF key ring;
     * here only files exist, and a relative path would depend on the
     * directory the program happens to start in. */
    ok = t.p[0] == '/' && t.n < FTP_PATH_MAX;
    break;
  case FTP__CONF_T_NAME:
    ok = valid_name(t);
    break;
  case FTP__CONF_T_ADDR4:
    ok = valid_addr(t, AF_INET);
    break;
  case FTP__CONF_T_ADDR:
    ok = valid_addr(t, AF_INET) || valid_addr(t, AF_INET6);
    break;
  default:
    BUG("%s: not a string type", kw->name);
  }
  if (!ok)
    return bad_value(p, kw, t);
  if (dst == NULL)
    return 0;
  return set_string(kw, AT(dst, kw->off, const char *), t);
}

static int print_string(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                        struct ftp_buf *out) {
  const char *s = *CAT(c, kw->off, char *);
  return ftp_buf_puts(out, s != NULL ? s : "(none)");
}

static void init_string(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  *AT(c, kw->off, const char *) = kw->def_str;
}

static void release_string(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  const char **f = AT(c, kw->off, const char *);

  if (*f != NULL && *f != kw->def_str)
    free((void *)*f);
  *f = NULL;
}

/* Lists: ADDRLIST, CIPHERS ---------------------------------------------- */

static int print_list(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                      struct ftp_buf *out) {
  const struct ftp_conf_list *l = CAT(c, kw->off, struct ftp_conf_list);
  size_t i;
  int r;

  if (l->n == 0)
    return ftp_buf_puts(out, "(none)");
  for (i = 0; i < l->n; i++)
    if ((r = ftp_buf_putf(out, "%s%s", i == 0 ? "(" : ",", l->v[i])) != 0)
      return r;
  return ftp_buf_putc(out, ')');
}

static void expect_addrlist(const struct ftp__conf_kw *kw,
                            enum ftp_conf_side side, struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(
      m, "expected an IPv4 or IPv6 address, or a list (addr,addr,...)");
}

static void expect_netlist(const struct ftp__conf_kw *kw,
                           enum ftp_conf_side side, struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected an address or network such as 192.0.2.10 or "
                       "10.0.0.0/24, or a list (net,net,...)");
}

/* An item of an address list (LISTENADDRESS) or a network list
 * (PROXYPROTOCOL). */
static int valid_item(const struct ftp__conf_kw *kw, struct ftp__conf_slice s) {
  struct ftp_cidr net;

  if (kw->type == FTP__CONF_T_NETLIST)
    return ftp_cidr_parse(s.p, s.n, &net) == 0;
  return valid_addr(s, AF_INET) || valid_addr(s, AF_INET6);
}

/* Free the strings and the array of an owned address list. */
static void free_addrlist(const struct ftp__conf_kw *kw,
                          struct ftp_conf_list *l) {
  size_t i;

  if (l->v != NULL && (kw->def_list == NULL || l->v != kw->def_list->v)) {
    for (i = 0; i < l->n; i++)
      free((void *)l->v[i]);
    free((void *)l->v);
  }
  l->v = NULL;
  l->n = 0;
}

static int parse_addrlist(struct ftp__conf_ctx *p,
                          const struct ftp__conf_kw *kw,
                          struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice items[FTP_CONF_LIST_MAX];
  struct ftp_conf_list nl = {NULL, 0};
  const char **v;
  size_t n, i, j;
  int r;

  if ((r = get_items(p, kw, op, 0, items, &n)) != 0)
    return r;
  for (i = 0; i < n; i++) {
    if (!valid_item(kw, items[i]))
      return bad_value(p, kw, items[i]);
    /* Security: a duplicate would fail to bind only at start, after the
     * member was accepted; say so now. */
    for (j = 0; j < i; j++) {
      if (items[j].n == items[i].n &&
          memcmp(items[j].p, items[i].p, items[i].n) == 0) {
        struct ftp__conf_msg m = {.n = 0};
        ftp__conf_msg_echo(&m, items[i]);
        ftp__conf_msg_add(&m, " is listed twice");
        ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
        return FTP_E_CONF;
      }
    }
  }
  if (dst == NULL)
    return 0;
  if ((v = malloc(n * sizeof(*v))) == NULL)
    return FTP_E_NOMEM;
  nl.v = v;
  for (i = 0; i < n; i++) {
    if ((v[i] = ftp__conf_dup(items[i])) == NULL) {
      free_addrlist(kw, &nl);
      return FTP_E_NOMEM;
    }
    nl.n++;
  }
  free_addrlist(kw, AT(dst, kw->off, struct ftp_conf_list));
  *AT(dst, kw->off, struct ftp_conf_list) = nl;
  return 0;
}

static void init_addrlist(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  static const struct ftp_conf_list empty = {NULL, 0};
  *AT(c, kw->off, struct ftp_conf_list) =
      kw->def_list != NULL ? *kw->def_list : empty;
}

static void release_addrlist(struct ftp_conf *c,
                             const struct ftp__conf_kw *kw) {
  free_addrlist(kw, AT(c, kw->off, struct ftp_conf_list));
}

static void expect_ciphers(const struct ftp__conf_kw *kw,
                           enum ftp_conf_side side, struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected a cipher suite name (see ftp.data(5))");
}

/* Each statement adds one name; the list keeps the table's canonical (static)
 * names, so only the array is allocated. */
static int parse_ciphers(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                         struct ftp__conf_slice op, struct ftp_conf *dst) {
  char name[FTP_CONF_CIPHER_NAME_MAX + 1];
  const struct ftp_cipher *e = NULL;
  struct ftp_conf_list *l;
  const char **v;
  const char *hint;
  struct ftp__conf_slice t;
  size_t i;
  int r;

  if ((r = one_token(p, kw, op, &t)) != 0)
    return r;
  if (t.n < sizeof(name)) {
    memcpy(name, t.p, t.n);
    name[t.n] = '\0';
    e = ftp_cipher_find(name);
  }
  if (e == NULL) {
    struct ftp__conf_msg m = {.n = 0};
    ftp__conf_msg_echo(&m, t);
    ftp__conf_msg_add(&m, " is not a known cipher suite");
    if ((hint = ftp__conf_suggest(t, cipher_name_at)) != NULL)
      ftp__conf_msg_add(&m, "; did you mean %s?", hint);
    else
      ftp__conf_msg_add(&m, " (see ftp.data(5))");
    ftp__conf_report(p, FTP_CONF_ERROR, kw->name, m.s);
    return FTP_E_CONF;
  }
  if (e->refused != NULL) {
    ftp__conf_reportf(p, FTP_CONF_ERROR, kw->name, "%s: %s", e->name,
                      e->refused);
    return FTP_E_CONF;
  }
  if (dst == NULL)
    return 0;
  l = AT(dst, kw->off, struct ftp_conf_list);
  for (i = 0; i < l->n; i++)
    if (l->v[i] == e->name)
      return 0;
  if ((v = realloc((void *)l->v, (l->n + 1) * sizeof(*v))) == NULL)
    return FTP_E_NOMEM;
  v[l->n] = e->name;
  l->v = v;
  l->n++;
  return 0;
}

static void init_list_empty(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  AT(c, kw->off, struct ftp_conf_list)->v = NULL;
  AT(c, kw->off, struct ftp_conf_list)->n = 0;
}

static void release_ciphers(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  struct ftp_conf_list *l = AT(c, kw->off, struct ftp_conf_list);

  free((void *)l->v);
  l->v = NULL;
  l->n = 0;
}

/* PORTRANGE -------------------------------------------------------------- */

static void expect_ports(const struct ftp__conf_kw *kw, enum ftp_conf_side side,
                         struct ftp__conf_msg *m) {
  (void)side;
  ftp__conf_msg_add(m, "expected (low,high) with %lu <= low <= high <= %lu",
                    kw->min, kw->max);
}

static int parse_ports(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                       struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice items[FTP_CONF_LIST_MAX];
  struct ftp_conf_ports *pr;
  unsigned long lo, hi;
  size_t n;
  int r;

  if ((r = get_items(p, kw, op, 1, items, &n)) != 0)
    return r;
  if (n != 2 || get_number(items[0], &lo) != 0 ||
      get_number(items[1], &hi) != 0 || lo < kw->min || hi > kw->max || lo > hi)
    return bad_value(p, kw, op);
  if (dst != NULL) {
    pr = AT(dst, kw->off, struct ftp_conf_ports);
    pr->low = (unsigned)lo;
    pr->high = (unsigned)hi;
    pr->set = 1;
  }
  return 0;
}

static int print_ports(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                       struct ftp_buf *out) {
  const struct ftp_conf_ports *pr = CAT(c, kw->off, struct ftp_conf_ports);

  if (!pr->set)
    return ftp_buf_puts(out, "(none)");
  return ftp_buf_putf(out, "(%u,%u)", pr->low, pr->high);
}

static void init_ports(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  struct ftp_conf_ports *pr = AT(c, kw->off, struct ftp_conf_ports);

  pr->low = pr->high = 0;
  pr->set = 0;
}

/* EXTS ------------------------------------------------------------------- */

static int parse_exts(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                      struct ftp__conf_slice op, struct ftp_conf *dst) {
  const struct ftp__conf_val *v;
  int r;

  if ((r = get_val(p, kw, op, dst == NULL, &v)) != 0)
    return r;
  if (dst != NULL)
    *AT(dst, kw->off, unsigned) |= (unsigned)v->value;
  return 0;
}

static int print_exts(const struct ftp_conf *c, const struct ftp__conf_kw *kw,
                      struct ftp_buf *out) {
  unsigned mask = *CAT(c, kw->off, unsigned);
  size_t i, k = 0;
  int r;

  for (i = 0; i < kw->nvals; i++) {
    if (kw->vals[i].value == 0 || !(mask & (unsigned)kw->vals[i].value))
      continue;
    if ((r = ftp_buf_putf(out, "%s%s", k++ == 0 ? "(" : ",",
                          kw->vals[i].name)) != 0)
      return r;
  }
  return ftp_buf_puts(out, k == 0 ? "(none)" : ")");
}

/* ANONYMOUS -------------------------------------------------------------- */

static void expect_anonymous(const struct ftp__conf_kw *kw,
                             enum ftp_conf_side side, struct ftp__conf_msg *m) {
  (void)kw;
  (void)side;
  ftp__conf_msg_add(m, "expected nothing or an account name");
}

/* z/OS forms: ANONYMOUS, ANONYMOUS user, ANONYMOUS user/password and
 * ANONYMOUS user/SURROGATE.  Security: the part after "/" may be a password,
 * so no message ever repeats it. */
static int parse_anonymous(struct ftp__conf_ctx *p,
                           const struct ftp__conf_kw *kw,
                           struct ftp__conf_slice op, struct ftp_conf *dst) {
  struct ftp__conf_slice t, user;
  const char *slash;
  int r;

  if (op.n == 0) {
    user = (struct ftp__conf_slice){kw->def_str, strlen(kw->def_str)};
    slash = NULL;
  } else {
    if ((r = one_token(p, kw, op, &t)) != 0)
      return r;
    slash = memchr(t.p, '/', t.n);
    user = (struct ftp__conf_slice){t.p, slash != NULL ? (size_t)(slash - t.p)
                                                       : t.n};
    if (!valid_name(user))
      return bad_value(p, kw, user);
  }
  if (dst == NULL)
    return 0;
  if (slash != NULL)
    ftp__conf_report(
        p, FTP_CONF_WARNING, kw->name,
        "the part after \"/\" (password or SURROGATE) has no meaning "
        "here; ignored");
  if ((r = set_string(kw, AT(dst, kw->off2, const char *), user)) != 0)
    return r;
  *AT(dst, kw->off, int) = 1;
  return 0;
}

static int print_anonymous(const struct ftp_conf *c,
                           const struct ftp__conf_kw *kw, struct ftp_buf *out) {
  const char *user = *CAT(c, kw->off2, char *);

  return ftp_buf_puts(out,
                      *CAT(c, kw->off, int) && user != NULL ? user : "(none)");
}

static void init_anonymous(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  *AT(c, kw->off, int) = 0;
  *AT(c, kw->off2, const char *) = NULL;
}

static void release_anonymous(struct ftp_conf *c,
                              const struct ftp__conf_kw *kw) {
  const char **f = AT(c, kw->off2, const char *);

  free((void *)*f);
  *f = NULL;
}

/* IGNORED and REFUSED ---------------------------------------------------- */

static int parse_ignored(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                         struct ftp__conf_slice op, struct ftp_conf *dst) {
  (void)op;
  (void)dst;
  if (!p->suppress)
    ftp__conf_report(p, FTP_CONF_WARNING, kw->name,
                     "has no meaning here; ignored");
  return 0;
}

static int parse_refused(struct ftp__conf_ctx *p, const struct ftp__conf_kw *kw,
                         struct ftp__conf_slice op, struct ftp_conf *dst) {
  (void)op;
  (void)dst;
  ftp__conf_report(p, FTP_CONF_ERROR, kw->name, kw->why);
  return FTP_E_CONF;
}

static void init_none(struct ftp_conf *c, const struct ftp__conf_kw *kw) {
  (void)c;
  (void)kw;
}

const struct ftp__conf_ops ftp__conf_type_ops[FTP__CONF_T_COUNT] = {
  [FTP__CONF_T_ENUM] = {parse_enum, expect_enum, print_enum, init_int,
                        release_none},
  [FTP__CONF_T_BOOL] = {parse_enum, expect_enum, print_enum, init_int,
                        release_none},
  [FTP__CONF_T_INT] = {parse_int, expect_int, print_unsigned, init_unsigned,
                       release_none},
  [FTP__CONF_T_OCTAL] = {parse_octal, expect_octal, print_octal,
                         init_unsigned, release_none},
  [FTP__CONF_T_PATH] = {parse_string, expect_path, print_string, init_string,
                        release_string},
  [FTP__CONF_T_NAME] = {parse_string, expect_name, print_string, init_string,
                        release_string},
  [FTP__CONF_T_ADDR4] = {parse_string, expect_addr4, print_string,
                         init_string, release_string},
  [FTP__CONF_T_ADDR] = {parse_string, expect_addr, print_string,
                        init_string, release_string},
  [FTP__CONF_T_ADDRLIST] = {parse_addrlist, expect_addrlist, print_list,
                            init_addrlist, release_addrlist},
  [FTP__CONF_T_NETLIST] = {parse_addrlist, expect_netlist, print_list,
                           init_addrlist, release_addrlist},
  [FTP__CONF_T_PORTRANGE] = {parse_ports, expect_ports, print_ports,
                             init_ports, release_none},
  [FTP__CONF_T_CIPHERS] = {parse_ciphers, expect_ciphers, print_list,
                           init_list_empty, release_ciphers},
  [FTP__CONF_T_EXTS] = {parse_exts, expect_enum, print_exts, init_unsigned,
                        release_none},
  [FTP__CONF_T_ANONYMOUS] = {parse_anonymous, expect_anonymous,
                             print_anonymous, init_anonymous,
                             release_anonymous},
  [FTP__CONF_T_IGNORED] = {parse_ignored, NULL, NULL, init_none,
                           release_none},
  [FTP__CONF_T_REFUSED] = {parse_refused, NULL, NULL, init_none,
                           release_none},
};
