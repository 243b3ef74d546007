/*
 * fuzz_netrc.c: libFuzzer entry point for the netrc parser (client/netrc).
 *
 * Input: a first line naming the host to look up, optionally followed by a
 * blank and the login the user already gave; the rest is the netrc file.
 * Beyond not crashing or leaking, the result must keep netrc.h's contract:
 * a failure leaves the entry empty, a syntax error is one "line N: ..."
 * message, the whole file is checked (so the same file gives the same
 * verdict for any host), a given login is honoured, and no credential can
 * carry a CR or LF into a USER or PASS command.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "buf.h"
#include "err.h"
#include "ftp_limits.h"
#include "netrc.h"
#include "fuzz_check.h"

/* The longest host and login the header line may give. */
#define NAME_MAX_LEN 255

static void check_field(const char *s) {
  if (s == NULL)
    return;
  CHECK(strlen(s) <= FTP_PASS_MAX);
  CHECK(strpbrk(s, "\r\n") == NULL);
}

static int is_empty(const struct ftp_netrc_entry *e) {
  return e->login == NULL && e->password == NULL && e->account == NULL &&
         e->is_default == 0;
}

/* A message is "line N: text", printable and on one line. */
static void check_msg(struct ftp_buf *msg) {
  const char *s = ftp_buf_cstr(msg, NULL);
  const unsigned char *p;

  CHECK(s != NULL && strncmp(s, "line ", 5) == 0);
  for (p = (const unsigned char *)s; *p != '\0'; p++)
    CHECK(*p != '\n' && *p != '\r');
}

static int lookup(const char *text, size_t len, const char *host,
                  const char *login, struct ftp_buf *msg) {
  struct ftp_netrc_entry e;
  int r;

  memset(&e, 0x5a, sizeof(e)); /* the parser must set every field */
  ftp_buf_reset(msg);
  r = ftp_netrc_parse(text, len, host, login, &e, msg);
  CHECK(r == 0 || r == UV_ENOENT || r == FTP_E_SYNTAX);
  if (r != 0) {
    CHECK(is_empty(&e));
    if (r == FTP_E_SYNTAX)
      check_msg(msg);
    else
      CHECK(ftp_buf_len(msg) == 0);
    return r;
  }
  CHECK(e.is_default == 0 || e.is_default == 1);
  check_field(e.login);
  check_field(e.password);
  check_field(e.account);
  if (login != NULL)
    CHECK(e.login != NULL && strcmp(e.login, login) == 0);
  ftp_netrc_entry_free(&e);
  return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *nl = memchr(data, '\n', size);
  char host[NAME_MAX_LEN + 1], *login = NULL, *blank;
  struct ftp_buf msg, msg2;
  const char *text;
  size_t hlen, tlen;
  int r, r2;

  if (nl == NULL || size > FTP_NETRC_MAX)
    return 0;
  hlen = (size_t)(nl - (const char *)data);
  if (hlen > NAME_MAX_LEN || memchr(data, '\0', hlen) != NULL)
    return 0;
  memcpy(host, data, hlen);
  host[hlen] = '\0';
  if ((blank = strchr(host, ' ')) != NULL) {
    *blank = '\0';
    login = blank + 1;
  }
  text = nl + 1;
  tlen = size - hlen - 1;
  ftp_buf_init(&msg, 4096);
  ftp_buf_init(&msg2, 4096);
  r = lookup(text, tlen, host, login, &msg);
  /* The whole file is checked: another host gets the same syntax verdict,
   * with the same message. */
  r2 = lookup(text, tlen, "host.that.is.not.in.the.file.invalid", NULL, &msg2);
  CHECK((r == FTP_E_SYNTAX) == (r2 == FTP_E_SYNTAX));
  if (r == FTP_E_SYNTAX)
    CHECK(strcmp(ftp_buf_cstr(&msg, NULL), ftp_buf_cstr(&msg2, NULL)) == 0);
  ftp_buf_free(&msg);
  ftp_buf_free(&msg2);
  return 0;
}
