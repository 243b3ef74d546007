/*
 * cmds_conn.c: open, user, close, quit.  Connecting and logging in are
 * connect.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "cmdctx.h"
#include "cmdtab.h"
#include "connect.h"

/* --- the commands --------------------------------------------------------- */

int ftpc_cmd_open(struct ftpc_shell *sh, int argc, char **argv) {
  unsigned port = 21;
  char *end;

  if (ftpc_connected(sh->c))
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "already connected to %s; use close first",
                        ftpc_host(sh->c));
  if (argc > 2) {
    unsigned long v = strtoul(argv[2], &end, 10);
    if (*end != 0 || v == 0 || v > 65535)
      return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: not a port number", argv[2]);
    port = (unsigned)v;
  }
  return ftpc_sh_connect(sh, argv[1], port, ftpc_sh_tls_mode(sh), NULL, NULL,
                         sh->autologin);
}

int ftpc_cmd_user(struct ftpc_shell *sh, int argc, char **argv) {
  int r = ftpc_sh_login(sh, argv[1], argc > 2 ? argv[2] : NULL, argc > 3 ? argv[3] : NULL);

  /* The password was typed on the command line: do not keep it. */
  if (argc > 2)
    explicit_bzero(argv[2], strlen(argv[2]));
  return r;
}

int ftpc_cmd_close(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  ftpc_quit(sh->c);
  return 0;
}

int ftpc_cmd_quit(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  if (ftpc_connected(sh->c))
    ftpc_quit(sh->c);
  sh->quit = 1;
  return 0;
}
