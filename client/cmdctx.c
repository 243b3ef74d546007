/*
 * cmdctx.c: recording and showing why a command failed.
 */
#include "cmdctx.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "err.h"
#include "text.h"

int ftpc_sh_fail(struct ftpc_shell *sh, int status, const char *fmt, ...) {
  char raw[sizeof(sh->err)];
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(raw, sizeof(raw), fmt, ap);
  va_end(ap);
  ftpc_text_clean(raw, strlen(raw), sh->err, sizeof(sh->err), 0);
  sh->err_shown = 0;
  return status;
}

int ftpc_sh_engine_fail(struct ftpc_shell *sh, int err) {
  const char *msg = ftpc_error(sh->c);

  snprintf(sh->err, sizeof(sh->err), "%s", msg[0] ? msg : ftp_strerror(err));
  /* An interactive user saw the reply already. */
  sh->err_shown = err == FTP_E_REFUSED && ftpc_settings(sh->c)->show_replies;
  return ftpc_exit_status(sh->c, err);
}

void ftpc_shell_report(struct ftpc_shell *sh, const char *what, int status) {
  if (status == 0)
    return;
  fflush(stdout);
  if (!sh->interactive)
    fprintf(stderr, "ftp: %s: %s\n", what, sh->err[0] ? sh->err : "failed");
  else if (!sh->err_shown)
    fprintf(stderr, "ftp: %s\n", sh->err[0] ? sh->err : "failed");
}

int ftpc_sh_chatty(const struct ftpc_shell *sh) {
  return sh->interactive || ftpc_settings(sh->c)->verbosity >= FTPC_VERBOSE;
}
