/*
 * ask.c: questions on the controlling terminal (/dev/tty).
 */
#include "ask.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "cmdctx.h"
#include "text.h"

int ftpc_ask_line(const char *prompt, char *buf, size_t n, int echo) {
  struct termios old, t;
  size_t len = 0;
  int fd, restored = 0;
  char ch;
  ssize_t r;

  if (n == 0 || (fd = open("/dev/tty", O_RDWR | O_CLOEXEC | O_NOCTTY)) < 0)
    return -1;
  if (tcgetattr(fd, &old) == 0 && !echo) {
    t = old;
    t.c_lflag &= ~(tcflag_t)ECHO;
    t.c_lflag |= ECHONL;
    restored = tcsetattr(fd, TCSAFLUSH, &t) == 0;
  }
  if (write(fd, prompt, strlen(prompt)) < 0) {
    /* the read below still works */
  }
  while ((r = read(fd, &ch, 1)) == 1 || (r < 0 && errno == EINTR)) {
    if (r < 0)
      continue;
    if (ch == '\n' || ch == '\r')
      break;
    if (len + 1 < n)
      buf[len++] = ch;
  }
  buf[len] = 0;
  if (restored)
    tcsetattr(fd, TCSAFLUSH, &old);
  close(fd);
  explicit_bzero(&ch, sizeof(ch));
  return r < 0 ? -1 : 0;
}

int ftpc_ask_confirm(struct ftpc_shell *sh, const char *what, const char *name) {
  char prompt[600], clean[400], answer[16];

  if (!sh->prompt)
    return 1;
  ftpc_text_clean(name, strlen(name), clean, sizeof(clean), 0);
  snprintf(prompt, sizeof(prompt), "%s %s? [y]es, [n]o, [a]ll: ", what, clean);
  if (ftpc_ask_line(prompt, answer, sizeof(answer), 1) != 0)
    return 1;
  if (answer[0] == 'a' || answer[0] == 'A') {
    sh->prompt = 0;
    return 1;
  }
  return answer[0] != 'n' && answer[0] != 'N';
}
