/*
 * fuzz_cmd.c: libFuzzer entry point for the control line codec (common/cmd).
 *
 * The input is framed twice, once fed whole and once in pieces whose sizes
 * come from a generator seeded by the input, and both transcripts must be
 * identical.  Every command handed out must keep the reader's contract, and
 * the pending bytes must always be exactly the unframed tail of the input.
 * Finally, the input used as an argument must survive ftp_cmd_format and
 * framing unchanged.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cmd.h"
#include "err.h"
#include "ftp_limits.h"
#include "fuzz_check.h"

/* Check one result of next() and record it in t. */
static void note(struct ftp_buf *t, int rc, const struct ftp_cmd *cmd) {
  size_t i, vlen;

  if (rc < 0) {
    CHECK(rc == FTP_E_LINE_TOO_LONG || rc == FTP_E_CR_IN_LINE ||
          rc == FTP_E_NUL_IN_LINE || rc == FTP_E_BAD_VERB);
    CHECK(ftp_buf_putf(t, "E%d\n", rc) == 0);
    return;
  }
  CHECK(rc == 1);
  vlen = strlen(cmd->verb);
  CHECK(vlen >= 1 && vlen <= FTP_CMD_VERB_MAX);
  for (i = 0; i < vlen; i++)
    CHECK(cmd->verb[i] >= 'A' && cmd->verb[i] <= 'Z');
  CHECK(strlen(cmd->arg) == cmd->arg_len);
  CHECK(cmd->arg_len < FTP_CMD_LINE_MAX);
  CHECK(memchr(cmd->arg, '\r', cmd->arg_len) == NULL);
  CHECK(memchr(cmd->arg, '\n', cmd->arg_len) == NULL);
  CHECK(cmd->has_arg || cmd->arg_len == 0);
  CHECK(ftp_buf_putf(t, "%s %d ", cmd->verb, cmd->has_arg) == 0);
  CHECK(ftp_buf_put(t, cmd->arg, cmd->arg_len) == 0);
  CHECK(ftp_buf_putc(t, '\n') == 0);
}

/* Frame everything buffered; the pending bytes must be the input's tail. */
static void drain(struct ftp_cmd_reader *r, struct ftp_buf *t,
                  const uint8_t *data, size_t fed) {
  struct ftp_cmd cmd;
  const unsigned char *p;
  size_t n;
  int rc;

  while ((rc = ftp_cmd_reader_next(r, &cmd)) != 0) {
    note(t, rc, &cmd);
    n = ftp_cmd_reader_pending(r, &p);
    CHECK(n <= fed);
    CHECK(n == 0 || memcmp(p, data + fed - n, n) == 0);
    /* A returned command always ends right after an LF. */
    if (rc == 1)
      CHECK(fed - n > 0 && data[fed - n - 1] == '\n');
  }
  n = ftp_cmd_reader_pending(r, &p);
  CHECK(n == 0 || memcmp(p, data + fed - n, n) == 0);
  CHECK(ftp_cmd_reader_room(r) + n == FTP_CMD_BACKLOG_MAX);
}

static void frame(struct ftp_buf *t, const uint8_t *data, size_t size,
                  unsigned seed) {
  struct ftp_cmd_reader r;
  size_t off = 0, k;

  ftp_cmd_reader_init(&r);
  while (off < size) {
    if (seed == 0) {
      k = size - off;
    } else {
      seed = seed * 1103515245u + 12345u;
      k = 1 + (seed >> 16) % 64;
      if (k > size - off)
        k = size - off;
    }
    CHECK(ftp_cmd_reader_feed(&r, data + off, k) == 0);
    off += k;
    drain(&r, t, data, off);
  }
  ftp_cmd_reader_free(&r);
}

/* The input, cut at its first NUL and with CR and LF replaced, as an
 * argument: formatting then framing must give it back. */
static void roundtrip(const uint8_t *data, size_t size) {
  struct ftp_cmd_reader r;
  struct ftp_cmd cmd;
  struct ftp_buf out;
  char *arg = malloc(size + 1);
  size_t i, n;

  CHECK(arg != NULL);
  for (n = 0; n < size && data[n] != 0; n++)
    arg[n] = data[n] == '\r' || data[n] == '\n' ? '_' : (char)data[n];
  arg[n] = '\0';
  CHECK(ftp_cmd_arg_is_safe(arg));
  ftp_buf_init(&out, 4 * FTP_CMD_LINE_MAX);
  ftp_cmd_reader_init(&r);
  CHECK(ftp_cmd_format(&out, "retr", arg) == 0);
  if (ftp_buf_len(&out) <= FTP_CMD_LINE_MAX) {
    CHECK(ftp_cmd_reader_feed(&r, ftp_buf_ptr(&out), ftp_buf_len(&out)) == 0);
    CHECK(ftp_cmd_reader_next(&r, &cmd) == 1);
    CHECK(strcmp(cmd.verb, "RETR") == 0);
    CHECK(cmd.has_arg && cmd.arg_len == n && memcmp(cmd.arg, arg, n) == 0);
    CHECK(ftp_cmd_reader_next(&r, &cmd) == 0);
  }
  /* A CR or LF anywhere is refused and appends nothing. */
  if (n > 0) {
    i = data[0] % n;
    arg[i] = data[0] & 1 ? '\r' : '\n';
    ftp_buf_reset(&out);
    CHECK(ftp_cmd_format(&out, "RETR", arg) == FTP_E_BAD_ARG);
    CHECK(ftp_buf_len(&out) == 0);
  }
  ftp_cmd_reader_free(&r);
  ftp_buf_free(&out);
  free(arg);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  struct ftp_buf whole, pieces;
  unsigned seed = 1;

  if (size > FTP_CMD_BACKLOG_MAX)
    return 0;
  if (size > 0)
    seed += data[0];
  ftp_buf_init(&whole, 1 << 20);
  ftp_buf_init(&pieces, 1 << 20);
  frame(&whole, data, size, 0);
  frame(&pieces, data, size, seed);
  CHECK(ftp_buf_len(&whole) == ftp_buf_len(&pieces));
  CHECK(ftp_buf_len(&whole) == 0 ||
        memcmp(ftp_buf_ptr(&whole), ftp_buf_ptr(&pieces),
               ftp_buf_len(&whole)) == 0);
  ftp_buf_free(&whole);
  ftp_buf_free(&pieces);
  roundtrip(data, size);
  return 0;
}
