/*
 * fuzz_users.c: libFuzzer entry point for the USERFILE parser
 * (server/users).
 *
 * The input is parsed as a USERFILE.  Beyond not crashing or leaking, the
 * result must keep users.h's contract: 0 exactly when no diagnostic was
 * reported, every diagnostic one printable "file:line: message", and every
 * user of an accepted file findable by its name with fields inside the
 * documented ranges.  The input is parsed again with the secret part of
 * every hash changed: the diagnostics must be the same, byte for byte (a
 * hash is never logged, nor judged by more than its method and settings).
 * Passwords are not checked: a hash from the input could ask for any cost.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "users.h"
#include "fuzz_check.h"

#define FNAME "fuzz.users"

/* What a parse reported. */
struct tally {
  struct ftp_buf diags; /* every message, one a line */
  unsigned ndiag;
};

static void diag_cb(void *arg, const char *msg) {
  struct tally *t = arg;
  const unsigned char *p;

  t->ndiag++;
  CHECK(strncmp(msg, FNAME ":", sizeof(FNAME)) == 0);
  /* Security: the message goes to a log or a terminal. */
  for (p = (const unsigned char *)msg; *p != '\0'; p++)
    CHECK(*p >= 0x20 && *p != 0x7f);
  CHECK(ftp_buf_puts(&t->diags, msg) == 0 && ftp_buf_putc(&t->diags, '\n') == 0);
}

/* The next character of crypt(3)'s alphabet, cyclically; others as is. */
static char rotate(char c) {
  static const char abc[] =
      "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  const char *p = c != '\0' ? strchr(abc, c) : NULL;

  return p == NULL ? c : p[1] != '\0' ? p[1] : abc[0];
}

/* Does the hash field [h, end) (after a '!' or '*') use a method we accept? */
static int accepted_method(const char *h, const char *end) {
  static const char *const methods[] = {"$y$", "$gy$", "$7$", "$2b$",
                                        "$2y$", "$6$", "$5$"};
  size_t i, n;

  for (i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
    n = strlen(methods[i]);
    if ((size_t)(end - h) >= n && memcmp(h, methods[i], n) == 0)
      return 1;
  }
  return 0;
}

/*
 * A copy of the text in which the secret part (after the last '$', and
 * after bcrypt's salt) of every hash of a method we accept is changed, and
 * nothing else.  Security:
 * a parser that never shows a hash, nor decides anything from its secret
 * part, reports exactly the same for both.
 */
static char *other_hashes(const char *text, size_t len) {
  char *o = malloc(len + 1), *line, *end, *nl, *c1, *c2, *h, *last;

  CHECK(o != NULL);
  if (len > 0)
    memcpy(o, text, len);
  o[len] = '\0';
  for (line = o, end = o + len; line < end; line = nl + 1) {
    nl = memchr(line, '\n', (size_t)(end - line));
    if (nl == NULL)
      nl = end;
    if ((c1 = memchr(line, ':', (size_t)(nl - line))) == NULL ||
        (c2 = memchr(c1 + 1, ':', (size_t)(nl - c1 - 1))) == NULL)
      continue;
    h = c1 + 1;
    if (*h == '!' || *h == '*')
      h++;
    if (!accepted_method(h, c2))
      continue;
    for (last = c2 - 1; *last != '$'; last--)
      ;
    /* bcrypt has no '$' between its 22-character salt and the hash. */
    if (h[1] == '2' && c2 - (last + 1) >= 22)
      last += 22;
    for (h = last + 1; h < c2; h++)
      *h = rotate(*h);
  }
  return o;
}

/* Every named line of an accepted file is a user that lookups find. */
static void check_users(const struct ftp_users *u, const char *text,
                        size_t len) {
  const char *line = text, *end = text + len, *nl, *colon;
  const struct ftp_user *e;
  char name[FTP_USER_MAX + 1];
  size_t n, lineno = 0, named = 0;

  while (line < end) {
    nl = memchr(line, '\n', (size_t)(end - line));
    if (nl == NULL)
      nl = end;
    lineno++;
    colon = memchr(line, ':', (size_t)(nl - line));
    if (colon != NULL && line[0] != '#' && line[0] != ' ' && line[0] != '\t') {
      n = (size_t)(colon - line);
      CHECK(n >= 1 && n <= FTP_USER_MAX);
      memcpy(name, line, n);
      name[n] = '\0';
      e = ftp_users_find(u, name);
      CHECK(e != NULL && strcmp(e->name, name) == 0 && e->line == lineno);
      CHECK(e->home != NULL && e->home[0] == '/');
      CHECK(strlen(e->home) <= FTP_PATH_MAX && strchr(e->home, ':') == NULL);
      CHECK(e->umask >= -1 && e->umask <= 0777);
      CHECK(e->readonly == 0 || e->readonly == 1);
      CHECK(e->hash == NULL || e->hash[0] == '$');
      CHECK((e->ncert_sha256 == 0) == (e->cert_sha256 == NULL));
      CHECK(e->cert_dn == NULL || e->cert_dn[0] != '\0');
      named++;
    }
    line = nl + 1;
  }
  CHECK(ftp_users_count(u) == named);
}

static int parse(const char *text, size_t len, struct tally *t,
                 struct ftp_users **u) {
  int r;

  t->ndiag = 0;
  ftp_buf_init(&t->diags, 1 << 20);
  *u = NULL;
  r = ftp_users_parse(FNAME, text, len, diag_cb, t, u);
  CHECK(r == 0 || r == FTP_E_CONF);
  CHECK((r == 0) == (t->ndiag == 0));
  CHECK((r == 0) == (*u != NULL));
  return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const unsigned char fp[FTP_USERS_SHA256_LEN] = {0xab, 0xcd};
  struct tally t, t2;
  struct ftp_users *u, *u2;
  const struct ftp_user *e;
  char *other;
  int r, r2;

  if (size > FTP_USERFILE_MAX)
    return 0;
  r = parse((const char *)data, size, &t, &u);
  other = other_hashes((const char *)data, size);
  r2 = parse(other, size, &t2, &u2);
  CHECK(r == r2 && ftp_buf_len(&t.diags) == ftp_buf_len(&t2.diags));
  CHECK(ftp_buf_len(&t.diags) == 0 ||
        memcmp(ftp_buf_ptr(&t.diags), ftp_buf_ptr(&t2.diags),
               ftp_buf_len(&t.diags)) == 0);
  free(other);
  ftp_users_unref(u2);
  ftp_buf_free(&t.diags);
  ftp_buf_free(&t2.diags);
  if (r != 0)
    return 0;
  check_users(u, (const char *)data, size);
  CHECK(ftp_users_find(u, "") == NULL);
  r = ftp_users_find_by_cert(u, fp, "CN=alice,O=Example", &e);
  CHECK(r == 0 || r == UV_ENOENT || r == FTP_E_REFUSED);
  if (r == 0)
    CHECK(ftp_user_check_cert(e, fp, "CN=alice,O=Example") == 0);
  CHECK(ftp_users_ref(u) == u);
  ftp_users_unref(u);
  ftp_users_unref(u);
  return 0;
}
