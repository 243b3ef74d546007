/*
 * fuzz_conf.c: libFuzzer entry point for the FTPDATA member parser
 * (common/conf).
 *
 * The input is parsed as a member by the server and by the client.  Beyond
 * not crashing, leaking or invoking undefined behaviour, every result must
 * keep the parser's contract: 0 exactly when no error was reported, every
 * diagnostic one clean line naming the member, every stored value within
 * what the table allows, and the effective configuration printable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ciphers.h"
#include "conf.h"
#include "err.h"
#include "fuzz_check.h"

struct tally {
  unsigned errors, warnings;
};

/* Every diagnostic: a known severity, "fuzz.data:" first, no control
 * character (the parser must never echo one to a terminal or log). */
static void diag_cb(void *arg, int severity, const char *line) {
  struct tally *t = arg;
  const unsigned char *p;

  CHECK(severity == FTP_CONF_ERROR || severity == FTP_CONF_WARNING);
  if (severity == FTP_CONF_ERROR)
    t->errors++;
  else
    t->warnings++;
  CHECK(strncmp(line, "fuzz.data:", 10) == 0);
  for (p = (const unsigned char *)line; *p != '\0'; p++)
    CHECK(*p >= 0x20 && *p != 0x7f);
}

/* What the table promises about the stored values. */
static void check_values(const struct ftp_conf *c) {
  struct ftp_buf b;
  size_t i;

  for (i = 0; i < c->ciphersuite.n; i++) {
    const struct ftp_cipher *e = ftp_cipher_find(c->ciphersuite.v[i]);
    CHECK(e != NULL && e->refused == NULL);
  }
  ftp_buf_init(&b, 4096);
  CHECK(ftp_ciphers_priority(c->ciphersuite.v, c->ciphersuite.n, &b) == 0);
  ftp_buf_free(&b);
  CHECK(c->listenaddress.n >= 1);
  if (c->passivedataports.set)
    CHECK(c->passivedataports.low >= 1024 &&
          c->passivedataports.low <= c->passivedataports.high &&
          c->passivedataports.high <= 65535);
  CHECK(c->port >= 1 && c->port <= 65535);
  CHECK(c->tlsport <= 65535);
  CHECK(c->umask <= 0777);
  CHECK(c->anonymous == (c->anonymous_user != NULL));
  CHECK(c->keyring == NULL || c->keyring[0] == '/');
  CHECK(c->userfile != NULL && c->userfile[0] == '/');
  if (c->side == FTP_CONF_SERVER) {
    CHECK(c->secure_session_reuse != FTP_SECURE_SESSION_REUSE_NONE);
    CHECK(c->tlsport == 0 || c->tlsport != c->port);
  }
}

static void run(enum ftp_conf_side side, const char *text, size_t size) {
  struct ftp_conf c;
  struct tally t = {0, 0};
  struct ftp_buf out;
  int r;

  ftp_conf_init(&c, side);
  r = ftp_conf_parse(&c, "fuzz.data", text, size, diag_cb, &t);
  CHECK(r == 0 || r == FTP_E_CONF);
  CHECK((r == 0) == (t.errors == 0));
  if (r == 0)
    check_values(&c);
  ftp_buf_init(&out, 1 << 20);
  CHECK(ftp_conf_print(&c, &out) == 0);
  ftp_buf_free(&out);
  ftp_conf_free(&c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  run(FTP_CONF_SERVER, (const char *)data, size);
  run(FTP_CONF_CLIENT, (const char *)data, size);
  return 0;
}
