/*
 * cmdtab.c: the user command table (BSD ftp names).  Nothing else: lookup
 * is cmdline.c's, the handlers are in cmds_<group>.c.
 */
#include "cmdtab.h"

#include "cmdline.h"

#define R CMD_REMOTE
#define L CMD_LOCAL
#define M CMD_MIXED

static const struct ftpc_cmd table[] = {
  /* connection */
  {"open", 1, 2, 0, ftpc_cmd_open, "open host [port]",
   "connect to an FTP server (and log in unless -n)"},
  {"user", 1, 3, CMD_CONN, ftpc_cmd_user, "user name [password [account]]",
   "log in as name (the password is asked for without echo)"},
  {"close", 0, 0, CMD_CONN, ftpc_cmd_close, "close", "end the session, stay in ftp"},
  {"quit", 0, 0, 0, ftpc_cmd_quit, "quit", "end the session and exit"},
  {"bye", 0, 0, 0, ftpc_cmd_quit, "bye", "the same as quit"},
  /* directories */
  {"cd", 1, 1, CMD_CONN | R, ftpc_cmd_cd, "cd remote-directory",
   "change the remote working directory"},
  {"cdup", 0, 0, CMD_CONN, ftpc_cmd_cdup, "cdup", "go to the remote parent directory"},
  {"lcd", 0, 1, L, ftpc_cmd_lcd, "lcd [local-directory]",
   "change the local working directory (default: home)"},
  {"pwd", 0, 0, CMD_CONN, ftpc_cmd_pwd, "pwd", "print the remote working directory"},
  {"ls", 0, 2, CMD_CONN | M, ftpc_cmd_ls, "ls [remote-path [local-file]]",
   "list a remote directory (LIST)"},
  {"dir", 0, 2, CMD_CONN | M, ftpc_cmd_ls, "dir [remote-path [local-file]]",
   "the same as ls"},
  {"nlist", 0, 2, CMD_CONN | M, ftpc_cmd_nlist, "nlist [remote-path [local-file]]",
   "list names only (NLST)"},
  {"mls", 2, -1, CMD_CONN | M, ftpc_cmd_mls, "mls remote-path... local-file",
   "NLST several remote paths into local-file (\"-\": the screen)"},
  {"mlsd", 0, 2, CMD_CONN | M, ftpc_cmd_mlsd, "mlsd [remote-directory [local-file]]",
   "machine-readable listing (MLSD, RFC 3659)"},
  {"mkdir", 1, 1, CMD_CONN | R, ftpc_cmd_mkdir, "mkdir remote-directory",
   "make a remote directory"},
  {"rmdir", 1, 1, CMD_CONN | R, ftpc_cmd_rmdir, "rmdir remote-directory",
   "remove a remote directory"},
  /* transfers */
  {"get", 1, 2, CMD_CONN | M, ftpc_cmd_get, "get remote-file [local-file]",
   "download (to local-file.part, renamed when complete; \"-\": stdout)"},
  {"reget", 1, 2, CMD_CONN | M, ftpc_cmd_reget, "reget remote-file [local-file]",
   "resume an interrupted download from local-file.part (REST)"},
  {"put", 1, 2, CMD_CONN | L, ftpc_cmd_put, "put local-file [remote-file]",
   "upload a file (STOR)"},
  {"append", 1, 2, CMD_CONN | L, ftpc_cmd_append, "append local-file [remote-file]",
   "append a local file to a remote file (APPE)"},
  {"mget", 1, -1, CMD_CONN | R, ftpc_cmd_mget, "mget remote-pattern...",
   "download every file matching the patterns"},
  {"mput", 1, -1, CMD_CONN | L, ftpc_cmd_mput, "mput local-pattern...",
   "upload every local file matching the patterns"},
  /* files */
  {"delete", 1, 1, CMD_CONN | R, ftpc_cmd_delete, "delete remote-file",
   "delete a remote file"},
  {"mdelete", 1, -1, CMD_CONN | R, ftpc_cmd_mdelete, "mdelete remote-pattern...",
   "delete every remote file matching the patterns"},
  {"rename", 2, 2, CMD_CONN | R, ftpc_cmd_rename, "rename from to",
   "rename a remote file (RNFR, RNTO)"},
  {"size", 1, 1, CMD_CONN | R, ftpc_cmd_size, "size remote-file",
   "show the size of a remote file (SIZE)"},
  {"modtime", 1, 1, CMD_CONN | R, ftpc_cmd_modtime, "modtime remote-file",
   "show the modification time of a remote file (MDTM)"},
  {"chmod", 2, 2, CMD_CONN | R, ftpc_cmd_chmod, "chmod mode remote-file",
   "change the mode of a remote file (SITE CHMOD)"},
  /* settings */
  {"type", 0, 1, 0, ftpc_cmd_type, "type [ascii | binary]",
   "show or set the transfer type"},
  {"binary", 0, 0, 0, ftpc_cmd_binary, "binary", "transfer files as they are (TYPE I)"},
  {"image", 0, 0, 0, ftpc_cmd_binary, "image", "the same as binary"},
  {"ascii", 0, 0, 0, ftpc_cmd_ascii, "ascii",
   "transfer text files, converting line ends (TYPE A)"},
  {"passive", 0, 1, 0, ftpc_cmd_passive, "passive [on | off]",
   "toggle or set passive mode (the client opens data connections)"},
  {"active", 0, 0, 0, ftpc_cmd_active, "active", "use active mode (EPRT/PORT)"},
  {"epsv4", 0, 1, 0, ftpc_cmd_epsv4, "epsv4 [on | off]",
   "toggle or set EPSV/EPRT on IPv4 (EPSV4)"},
  {"prot", 0, 1, 0, ftpc_cmd_prot, "prot [clear | private | safe]",
   "show or set data protection (PROT C or P)"},
  {"private", 0, 0, 0, ftpc_cmd_private, "private", "protect data connections (PROT P)"},
  {"safe", 0, 0, 0, ftpc_cmd_safe, "safe", "the same as private under TLS"},
  {"clear", 0, 0, 0, ftpc_cmd_clear, "clear", "transfer data in clear (PROT C)"},
  {"ccc", 0, 0, CMD_CONN, ftpc_cmd_ccc, "ccc",
   "clear the command channel (RFC 4217 CCC; TLSRFCLEVEL RFC4217)"},
  {"hash", 0, 1, 0, ftpc_cmd_hash, "hash [on | off | size]",
   "toggle hash marks, one '#' per size bytes (1024)"},
  {"progress", 0, 1, 0, ftpc_cmd_progress, "progress [on | off]",
   "toggle the progress bar"},
  {"prompt", 0, 1, 0, ftpc_cmd_prompt, "prompt [on | off]",
   "toggle asking per file in mget, mput and mdelete"},
  {"verbose", 0, 1, 0, ftpc_cmd_verbose, "verbose [on | off]",
   "toggle showing every command and reply"},
  /* the server */
  {"quote", 1, -1, CMD_CONN, ftpc_cmd_quote, "quote command [args...]",
   "send a command as it is and show the reply"},
  {"site", 1, -1, CMD_CONN, ftpc_cmd_site, "site command [args...]",
   "send a SITE command"},
  {"stat", 0, 1, CMD_CONN | R, ftpc_cmd_stat, "stat [remote-path]",
   "the server's status, or a path's (STAT)"},
  {"status", 0, 0, 0, ftpc_cmd_status, "status", "show this client's state"},
  {"feat", 0, 0, CMD_CONN, ftpc_cmd_feat, "feat", "list the server's features (FEAT)"},
  {"help", 0, 1, 0, ftpc_cmd_help, "help [command]", "list commands, or explain one"},
  {"?", 0, 1, 0, ftpc_cmd_help, "? [command]", "the same as help"},
};

#undef R
#undef L
#undef M

const struct ftpc_cmd *ftpc_cmd_table(size_t *n) {
  *n = sizeof(table) / sizeof(table[0]);
  return table;
}

const struct ftpc_cmd *ftpc_cmd_find(const char *name, int *ambiguous) {
  return ftpc_cmd_lookup(table, sizeof(table) / sizeof(table[0]), name, ambiguous);
}
