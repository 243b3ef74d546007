/*
 * cmdtab.c: the command table (RFC 959, 2228, 2389, 2428, 3659, 4217, 7151).
 * Sorted by verb: lookups are a binary search.  HELP, which answers from
 * the table alone, is here too: the handlers below it never read the table
 * (CONTRIBUTING: the layer order).
 */
#include "cmdtab.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "replycodes.h"
#include "session.h"

#define ANY FTP_CLASS_ANYTIME
#define LOG FTP_CLASS_LOGIN
#define SES FTP_CLASS_SESSION
#define DAT FTP_CLASS_DATA

static const struct ftpd_cmd table[] = {
  {"ABOR", ARG_NONE, SES, CMD_DURING_XFER, handle_abor, "ABOR (abort the transfer)"},
  {"ACCT", ARG_REQUIRED, LOG, CMD_SECRET, handle_acct, "ACCT <sp> account"},
  {"ALLO", ARG_REQUIRED, SES, 0, handle_allo, "ALLO <sp> size"},
  {"APPE", ARG_REQUIRED, DAT, 0, handle_appe, "APPE <sp> file-name"},
  {"AUTH", ARG_REQUIRED, ANY, 0, handle_auth, "AUTH <sp> TLS"},
  {"CCC", ARG_NONE, ANY, 0, handle_ccc, "CCC (clear the command channel)"},
  {"CDUP", ARG_NONE, SES, 0, handle_cdup, "CDUP (go to the parent directory)"},
  {"CWD", ARG_REQUIRED, SES, 0, handle_cwd, "CWD <sp> directory-name"},
  {"DELE", ARG_REQUIRED, SES, 0, handle_dele, "DELE <sp> file-name"},
  {"EPRT", ARG_REQUIRED, SES, 0, handle_eprt, "EPRT <sp> |af|address|port|"},
  {"EPSV", ARG_OPTIONAL, SES, 0, handle_epsv, "EPSV [<sp> 1 | 2 | ALL]"},
  {"FEAT", ARG_NONE, ANY, 0, handle_feat, "FEAT (list the extensions)"},
  {"HELP", ARG_OPTIONAL, ANY, 0, handle_help, "HELP [<sp> command]"},
  {"HOST", ARG_REQUIRED, ANY, 0, handle_host, "HOST <sp> host-name"},
  {"LIST", ARG_OPTIONAL, DAT, 0, handle_list, "LIST [<sp> [-a] path-name]"},
  {"MDTM", ARG_REQUIRED, SES, 0, handle_mdtm, "MDTM <sp> file-name"},
  {"MFMT", ARG_REQUIRED, SES, 0, handle_mfmt, "MFMT <sp> YYYYMMDDHHMMSS <sp> file-name"},
  {"MKD", ARG_REQUIRED, SES, 0, handle_mkd, "MKD <sp> directory-name"},
  {"MLSD", ARG_OPTIONAL, DAT, 0, handle_mlsd, "MLSD [<sp> directory-name]"},
  {"MLST", ARG_OPTIONAL, SES, 0, handle_mlst, "MLST [<sp> path-name]"},
  {"MODE", ARG_REQUIRED, SES, 0, handle_mode, "MODE <sp> S"},
  {"NLST", ARG_OPTIONAL, DAT, 0, handle_nlst, "NLST [<sp> path-name or pattern]"},
  {"NOOP", ARG_NONE, ANY, 0, handle_noop, "NOOP"},
  {"OPTS", ARG_REQUIRED, ANY, 0, handle_opts, "OPTS <sp> UTF8 ON | MLST facts"},
  {"PASS", ARG_OPTIONAL, LOG, CMD_SECRET, handle_pass, "PASS <sp> password"},
  {"PASV", ARG_NONE, SES, 0, handle_pasv, "PASV (passive mode, IPv4)"},
  {"PBSZ", ARG_REQUIRED, ANY, 0, handle_pbsz, "PBSZ <sp> 0"},
  {"PORT", ARG_REQUIRED, SES, 0, handle_port, "PORT <sp> h1,h2,h3,h4,p1,p2"},
  {"PROT", ARG_REQUIRED, ANY, 0, handle_prot, "PROT <sp> C | P"},
  {"PWD", ARG_NONE, SES, 0, handle_pwd, "PWD (print the working directory)"},
  {"QUIT", ARG_NONE, ANY, CMD_DURING_XFER, handle_quit, "QUIT (end the session)"},
  {"REIN", ARG_NONE, ANY, 0, handle_rein, "REIN (log out, keep the connection)"},
  {"REST", ARG_REQUIRED, SES, CMD_KEEPS_RNFR, handle_rest, "REST <sp> offset"},
  {"RETR", ARG_REQUIRED, DAT, 0, handle_retr, "RETR <sp> file-name"},
  {"RMD", ARG_REQUIRED, SES, 0, handle_rmd, "RMD <sp> directory-name"},
  {"RNFR", ARG_REQUIRED, SES, CMD_KEEPS_RNFR, handle_rnfr, "RNFR <sp> file-name"},
  {"RNTO", ARG_REQUIRED, SES, CMD_KEEPS_RNFR, handle_rnto, "RNTO <sp> file-name"},
  {"SITE", ARG_REQUIRED, SES, 0, handle_site, "SITE <sp> HELP | CHMOD | UMASK | IDLE"},
  {"SIZE", ARG_REQUIRED, SES, 0, handle_size, "SIZE <sp> file-name"},
  {"STAT", ARG_OPTIONAL, SES, CMD_DURING_XFER, handle_stat, "STAT [<sp> path-name]"},
  {"STOR", ARG_REQUIRED, DAT, 0, handle_stor, "STOR <sp> file-name"},
  {"STOU", ARG_OPTIONAL, DAT, 0, handle_stou, "STOU [<sp> file-name]"},
  {"STRU", ARG_REQUIRED, SES, 0, handle_stru, "STRU <sp> F"},
  {"SYST", ARG_NONE, ANY, 0, handle_syst, "SYST"},
  {"TYPE", ARG_REQUIRED, SES, 0, handle_type, "TYPE <sp> A | I | L 8"},
  {"USER", ARG_REQUIRED, FTP_CLASS_USER, 0, handle_user, "USER <sp> username"},
  {"XCUP", ARG_NONE, SES, CMD_OBSOLETE, handle_cdup, "XCUP (as CDUP)"},
  {"XCWD", ARG_REQUIRED, SES, CMD_OBSOLETE, handle_cwd, "XCWD <sp> directory-name (as CWD)"},
  {"XMKD", ARG_REQUIRED, SES, CMD_OBSOLETE, handle_mkd, "XMKD <sp> directory-name (as MKD)"},
  {"XPWD", ARG_NONE, SES, CMD_OBSOLETE, handle_pwd, "XPWD (as PWD)"},
  {"XRMD", ARG_REQUIRED, SES, CMD_OBSOLETE, handle_rmd, "XRMD <sp> directory-name (as RMD)"},
};

static int by_verb(const void *key, const void *row) {
  return strcmp(key, ((const struct ftpd_cmd *)row)->verb);
}

const struct ftpd_cmd *ftpd_cmd_find(const char *verb) {
  return bsearch(verb, table, sizeof(table) / sizeof(table[0]), sizeof(table[0]),
                 by_verb);
}

const struct ftpd_cmd *ftpd_cmd_table(size_t *n) {
  *n = sizeof(table) / sizeof(table[0]);
  return table;
}

/* --- HELP (RFC 959) -------------------------------------------------------- */

void handle_help(struct ftpd_session *s, const char *arg) {
  const struct ftpd_cmd *t, *c;
  struct ftp_buf b;
  size_t n, i, col = 0;
  char verb[FTP_CMD_VERB_MAX + 1];

  if (arg[0] != 0) {
    for (i = 0; i < sizeof(verb) - 1 && arg[i] != 0 && arg[i] != ' '; i++)
      verb[i] = (char)toupper((unsigned char)arg[i]);
    verb[i] = 0;
    if ((c = ftpd_cmd_find(verb)) == NULL) {
      ftpd_reply(s, FTP_R_NOT_IMPLEMENTED, "Unknown command.");
      return;
    }
    ftpd_reply(s, FTP_R_HELP, "Syntax: %s", c->help);
    return;
  }
  t = ftpd_cmd_table(&n);
  ftp_buf_init(&b, 8192);
  ftp_buf_puts(&b, "The following commands are recognized:\n");
  for (i = 0; i < n; i++) {
    if (t[i].flags & CMD_OBSOLETE)
      continue;
    ftp_buf_putf(&b, " %-5s", t[i].verb);
    if (++col % 10 == 0)
      ftp_buf_puts(&b, "\n");
  }
  if (col % 10 != 0)
    ftp_buf_puts(&b, "\n");
  ftp_buf_puts(&b, "Help OK.");
  ftpd_reply(s, FTP_R_HELP, "%s", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}
