/*
 * cmdtab.h: ftpd's command table.  One row per verb: the shape of its
 * argument, its security class (common/policy decides from that), flags,
 * the handler, and its HELP text.  The dispatcher checks a row's conditions
 * before it calls the handler, so a handler never re-checks login or
 * protection level.
 */
#ifndef FTPD_CMDTAB_H
#define FTPD_CMDTAB_H

#include <stddef.h>

#include "policy.h"

struct ftpd_session;

enum ftpd_argshape {
  ARG_NONE,      /* the verb alone (trailing blanks tolerated) */
  ARG_REQUIRED,  /* 501 without one */
  ARG_OPTIONAL
};

enum ftpd_cmd_flags {
  CMD_DURING_XFER = 1u << 0, /* answered while a transfer runs */
  CMD_SECRET = 1u << 1,      /* the argument is never logged */
  CMD_KEEPS_RNFR = 1u << 2,  /* does not cancel a pending RNFR */
  CMD_OBSOLETE = 1u << 3     /* RFC 775 X-forms: not listed in HELP */
};

typedef void ftpd_handler_fn(struct ftpd_session *s, const char *arg);

struct ftpd_cmd {
  const char *verb;
  enum ftpd_argshape arg;
  enum ftp_cmd_class cls;
  unsigned flags;
  ftpd_handler_fn *handler;
  const char *help;
};

/* ftpd_cmd_find: the row of an upper-case verb, or NULL (502). */
const struct ftpd_cmd *ftpd_cmd_find(const char *verb);

/* ftpd_cmd_table: every row, for HELP and the tests. */
const struct ftpd_cmd *ftpd_cmd_table(size_t *n);

/* The handlers, one file per group of commands. */
ftpd_handler_fn handle_user, handle_pass, handle_acct, handle_rein, handle_quit;
ftpd_handler_fn handle_noop, handle_syst, handle_feat, handle_opts, handle_help,
    handle_stat, handle_host, handle_site, handle_allo, handle_type,
    handle_mode, handle_stru, handle_rest;
ftpd_handler_fn handle_cwd, handle_cdup, handle_pwd, handle_mkd, handle_rmd,
    handle_dele, handle_rnfr, handle_rnto, handle_size, handle_mdtm,
    handle_mfmt;
ftpd_handler_fn handle_pasv, handle_epsv, handle_port, handle_eprt;
ftpd_handler_fn handle_retr, handle_stor, handle_stou, handle_appe,
    handle_list, handle_nlst, handle_mlsd, handle_mlst, handle_abor;
ftpd_handler_fn handle_auth, handle_pbsz, handle_prot, handle_ccc;

#endif
