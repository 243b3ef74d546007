/*
 * cmds_misc.c: talking to the server directly (quote, site, stat, feat)
 * and about the client (status, help).
 */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cmdctx.h"
#include "cmdline.h"
#include "cmdtab.h"
#include "err.h"
#include "text.h"

/* Join argv[from..] with single blanks. */
static int join(int argc, char **argv, int from, struct ftp_buf *out) {
  int i, r = 0;

  for (i = from; i < argc && r == 0; i++)
    r = (i > from ? ftp_buf_putc(out, ' ') : 0) || ftp_buf_puts(out, argv[i]) ? FTP_E_TOOBIG : 0;
  return r;
}

/* Show a reply the user asked for (unless replies are shown anyway). */
static void show(struct ftpc_shell *sh, const struct ftp_reply *rep) {
  const char *text = ftp_reply_text((struct ftp_reply *)rep);

  if (ftpc_settings(sh->c)->show_replies || rep->code == 0)
    return;
  printf("%d ", rep->code);
  ftpc_text_print(stdout, text, strlen(text), 1);
  putchar('\n');
}

static int send_show(struct ftpc_shell *sh, const char *verb, const char *arg) {
  struct ftp_reply rep;
  int r;

  ftp_reply_init(&rep);
  r = ftpc_command(sh->c, verb, arg, &rep);
  if (r == 0 || r == FTP_E_REFUSED)
    show(sh, &rep);
  ftp_reply_free(&rep);
  if (r != 0) {
    r = ftpc_sh_engine_fail(sh, r);
    sh->err_shown = 1;
    if (!ftpc_connected(sh->c) || sh->err[0] == 0)
      sh->err_shown = 0;
  }
  return r;
}

int ftpc_cmd_quote(struct ftpc_shell *sh, int argc, char **argv) {
  struct ftp_buf arg;
  int r;

  ftp_buf_init(&arg, 8192);
  ftp_buf_set_secret(&arg); /* "quote PASS x" */
  if (join(argc, argv, 2, &arg) != 0)
    r = ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "command too long");
  else
    r = send_show(sh, argv[1], argc > 2 ? ftp_buf_cstr(&arg, NULL) : NULL);
  ftp_buf_free(&arg);
  return r;
}

int ftpc_cmd_site(struct ftpc_shell *sh, int argc, char **argv) {
  struct ftp_buf arg;
  int r;

  ftp_buf_init(&arg, 8192);
  if (join(argc, argv, 1, &arg) != 0)
    r = ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "command too long");
  else
    r = send_show(sh, "SITE", ftp_buf_cstr(&arg, NULL));
  ftp_buf_free(&arg);
  return r;
}

int ftpc_cmd_stat(struct ftpc_shell *sh, int argc, char **argv) {
  return send_show(sh, "STAT", argc > 1 ? argv[1] : NULL);
}

int ftpc_cmd_feat(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  return send_show(sh, "FEAT", NULL);
}

static const char *prot_text(int prot) {
  static const char *const names[] = {"automatic (private under TLS)", "clear",
                                      "private", "never (SECURE_DATACONN NEVER)"};
  return prot >= 0 && prot <= FTPC_PROT_NEVER ? names[prot] : "?";
}

int ftpc_cmd_status(struct ftpc_shell *sh, int argc, char **argv) {
  const struct ftpc_settings *s = ftpc_settings(sh->c);
  char host[300];

  (void)argc;
  (void)argv;
  if (ftpc_connected(sh->c)) {
    ftpc_text_clean(ftpc_host(sh->c), strlen(ftpc_host(sh->c)), host, sizeof(host), 0);
    printf("Connected to %s, control connection %s, %s.\n", host,
           ftpc_tls(sh->c) ? "under TLS" : "in clear",
           ftpc_logged_in(sh->c) ? "logged in" : "not logged in");
  } else {
    printf("Not connected.\n");
  }
  printf("Mode: %s; EPSV/EPRT on IPv4: %s; type: %s.\n",
         s->passive ? "passive" : "active", s->epsv4 ? "on" : "off",
         sh->ascii ? "ascii" : "binary");
  printf("Data protection: %s.\n", prot_text(s->prot));
  printf("Verbose: %s; hash: %s (%zu bytes); progress: %s; prompt: %s.\n",
         s->verbosity >= FTPC_VERBOSE ? "on" : "off", sh->prog.hash ? "on" : "off",
         sh->prog.hash_size, sh->prog.bar ? "on" : "off", sh->prompt ? "on" : "off");
  printf("Certificates: %s.\n", s->verify ? "verified" : "NOT verified (--insecure)");
  return 0;
}

/* The table help describes is the one the shell runs (sh->cmds). */
int ftpc_cmd_help(struct ftpc_shell *sh, int argc, char **argv) {
  const struct ftpc_cmd *cmd;
  size_t i;
  int amb;

  if (argc > 1) {
    if ((cmd = ftpc_cmd_lookup(sh->cmds, sh->ncmds, argv[1], &amb)) == NULL)
      return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: %s command", argv[1],
                          amb ? "ambiguous" : "unknown");
    printf("%-32s %s\n", cmd->usage, cmd->help);
    return 0;
  }
  printf("Commands (an unambiguous prefix is enough; help COMMAND for one):\n");
  for (i = 0; i < sh->ncmds; i++)
    printf("  %-36s %s\n", sh->cmds[i].usage, sh->cmds[i].help);
  return 0;
}
