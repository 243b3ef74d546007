/*
 * fuzz_url.c: libFuzzer entry point for the client's URL parser
 * (client/url).
 *
 * The input, as a string, is parsed as a URL.  A refusal must say why and
 * leave nothing behind; an accepted URL must keep every promise of url.h
 * (port range, lower-case names, no CR, LF or NUL in anything that goes
 * into an FTP command, a path that is its components joined), and its
 * redacted form must hide the password and parse back to the same URL.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "url.h"
#include "fuzz_check.h"

/* Security: a decoded value goes into USER, PASS, CWD or RETR. */
static void check_safe(const char *s) {
  if (s != NULL)
    CHECK(strpbrk(s, "\r\n") == NULL);
}

static int same_str(const char *a, const char *b) {
  if (a == NULL || b == NULL)
    return a == b;
  return strcmp(a, b) == 0;
}

/* The path is the components joined by '/', the root one ("/") first. */
static void check_path(const struct ftp_url *u) {
  struct ftp_buf b;
  size_t i, len;

  ftp_buf_init(&b, 2 * FTP_URL_MAX);
  for (i = 0; i < u->ncomponents; i++) {
    CHECK(u->components[i] != NULL && u->components[i][0] != '\0');
    check_safe(u->components[i]);
    len = ftp_buf_len(&b);
    if (len > 0 && ftp_buf_ptr(&b)[len - 1] != '/')
      CHECK(ftp_buf_putc(&b, '/') == 0);
    CHECK(ftp_buf_puts(&b, u->components[i]) == 0);
  }
  CHECK(strlen(u->path) == ftp_buf_len(&b));
  CHECK(ftp_buf_len(&b) == 0 ||
        memcmp(u->path, ftp_buf_ptr(&b), ftp_buf_len(&b)) == 0);
  ftp_buf_free(&b);
}

static void check_url(const struct ftp_url *u) {
  const char *p;

  CHECK(u->scheme == FTP_URL_FTP || u->scheme == FTP_URL_FTPES ||
        u->scheme == FTP_URL_FTPS);
  CHECK(u->port >= 1 && u->port <= 65535);
  CHECK(u->host != NULL && u->host[0] != '\0');
  check_safe(u->host);
  if (!u->host_is_ip)
    for (p = u->host; *p != '\0'; p++)
      CHECK(!(*p >= 'A' && *p <= 'Z'));
  CHECK(u->user != NULL || u->password == NULL);
  if (u->user != NULL) {
    CHECK(u->user[0] != '\0' && strchr(u->user, ':') == NULL);
    CHECK(strlen(u->user) <= FTP_USER_MAX);
  }
  if (u->password != NULL)
    CHECK(strlen(u->password) <= FTP_PASS_MAX);
  check_safe(u->user);
  check_safe(u->password);
  CHECK(u->path != NULL);
  check_path(u);
  CHECK(u->type >= FTP_URL_TYPE_NONE && u->type <= FTP_URL_TYPE_D);
  if (u->type == FTP_URL_TYPE_D)
    CHECK(u->is_dir);
}

/* The redacted form hides the password and parses back to u. */
static void check_redacted(const struct ftp_url *u) {
  struct ftp_url back;
  struct ftp_buf b;
  const char *msg = NULL, *s;
  size_t i;
  int r;

  ftp_buf_init(&b, 4 * FTP_URL_MAX);
  CHECK(ftp_url_format_redacted(u, &b) == 0);
  s = ftp_buf_cstr(&b, NULL);
  CHECK(s != NULL);
  r = ftp_url_parse(s, &back, &msg);
  CHECK(r == 0);
  CHECK(back.scheme == u->scheme && back.port == u->port);
  CHECK(same_str(back.user, u->user) && same_str(back.host, u->host));
  CHECK((back.password == NULL) == (u->password == NULL));
  if (back.password != NULL)
    CHECK(strcmp(back.password, "****") == 0);
  CHECK(strcmp(back.path, u->path) == 0);
  CHECK(back.ncomponents == u->ncomponents);
  for (i = 0; i < u->ncomponents; i++)
    CHECK(strcmp(back.components[i], u->components[i]) == 0);
  CHECK(back.is_dir == u->is_dir && back.type == u->type);
  CHECK(back.host_is_ip == u->host_is_ip);
  ftp_url_free(&back);
  ftp_buf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct ftp_url u;
  const char *msg = NULL;
  char *s;
  int r;

  if (size > FTP_URL_MAX + 16)
    return 0;
  if ((s = malloc(size + 1)) == NULL)
    return 0;
  memcpy(s, data, size);
  s[size] = '\0';
  r = ftp_url_parse(s, &u, &msg);
  CHECK(r == 0 || r == FTP_E_SYNTAX);
  if (r != 0) {
    /* A refusal names the rule broken and leaves u empty. */
    CHECK(msg != NULL && msg[0] != '\0');
    CHECK(u.user == NULL && u.password == NULL && u.host == NULL &&
          u.path == NULL && u.components == NULL && u.ncomponents == 0);
  } else {
    CHECK(msg == NULL);
    check_url(&u);
    check_redacted(&u);
  }
  ftp_url_free(&u);
  ftp_url_free(&u); /* idempotent: u is left empty */
  free(s);
  return 0;
}
