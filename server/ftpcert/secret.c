/*
 * secret.c: read a password from a file or the terminal.
 *
 * The terminal is read with plain termios calls: turning echo off and
 * reading one line is all there is to it, and libuv's tty handle is made
 * for an event loop this short-lived program does not run.
 */
#include "secret.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "buf.h"
#include "err.h"
#include "file.h"
#include "files.h"

static void chomp(char *s) {
  size_t n = strlen(s);

  while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
    s[--n] = 0;
}

static int from_file(const char *file, char *out, size_t outlen) {
  struct ftp_buf b;
  const unsigned char *p;
  size_t n;
  int r;

  ftp_buf_init(&b, 64 * 1024);
  ftp_buf_set_secret(&b);
  if ((r = ftp_file_read(file, &b, NULL)) != 0) {
    ftp_buf_free(&b);
    fprintf(stderr, "ftpcert: %s: %s\n", file, ftp_strerror(r));
    return FTPCERT_EXIT_ERROR;
  }
  p = ftp_buf_ptr(&b);
  for (n = 0; n < ftp_buf_len(&b) && p[n] != '\n'; n++)
    ;
  if (n >= outlen || n > FTPCERT_PASSWORD_MAX) {
    ftp_buf_free(&b);
    fprintf(stderr, "ftpcert: %s: password longer than %d bytes\n", file,
            FTPCERT_PASSWORD_MAX);
    return FTPCERT_EXIT_ERROR;
  }
  if (n > 0)
    memcpy(out, p, n);
  out[n] = 0;
  ftp_buf_free(&b);
  chomp(out);
  return FTPCERT_EXIT_OK;
}

/* One line from the terminal fd, echo off. */
static int ask(int fd, const char *prompt, char *out, size_t outlen) {
  struct termios old, quiet;
  ssize_t n;
  int have_tc = tcgetattr(fd, &old) == 0;

  if (have_tc) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(fd, TCSAFLUSH, &quiet);
  }
  if (write(fd, prompt, strlen(prompt)) < 0)
    n = -1;
  else
    n = read(fd, out, outlen - 1);
  if (have_tc)
    tcsetattr(fd, TCSAFLUSH, &old);
  if (write(fd, "\n", 1) < 0 || n < 0)
    return -1;
  out[n] = 0;
  chomp(out);
  return 0;
}

static int from_tty(const char *prompt, int confirm, char *out, size_t outlen) {
  char again[FTPCERT_PASSWORD_MAX + 2];
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY), r = FTPCERT_EXIT_OK;

  if (fd < 0) {
    fprintf(stderr, "ftpcert: no terminal to ask for the password on: use "
                    "--password-file FILE\n");
    return FTPCERT_EXIT_USAGE;
  }
  if (ask(fd, prompt, out, outlen) != 0 ||
      (confirm && ask(fd, "Again: ", again, sizeof(again)) != 0)) {
    fprintf(stderr, "ftpcert: cannot read the password from the terminal\n");
    r = FTPCERT_EXIT_ERROR;
  } else if (confirm && strcmp(out, again) != 0) {
    fprintf(stderr, "ftpcert: the two passwords differ\n");
    r = FTPCERT_EXIT_ERROR;
  }
  explicit_bzero(again, sizeof(again));
  close(fd);
  return r;
}

int ftpcert_password(const char *file, const char *prompt, int confirm, char *out,
                     size_t outlen) {
  int r = file != NULL ? from_file(file, out, outlen)
                       : from_tty(prompt, confirm, out, outlen);

  if (r == FTPCERT_EXIT_OK && out[0] == 0) {
    fprintf(stderr, "ftpcert: empty password refused: it would leave the key "
                    "unprotected\n");
    r = FTPCERT_EXIT_ERROR;
  }
  return r;
}
