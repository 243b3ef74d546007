/*
 * cmds_fs.c: remote and local directories and files: cd, cdup, lcd, pwd,
 * mkdir, rmdir, delete, mdelete, rename, size, modtime, chmod.  Whatever
 * changes the remote tree or the working directory drops the remote names
 * cache (rnames.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "ask.h"
#include "buf.h"
#include "cmdctx.h"
#include "cmdtab.h"
#include "err.h"
#include "reply.h"
#include "replycodes.h"
#include "rnames.h"
#include "text.h"

static int simple(struct ftpc_shell *sh, const char *verb, const char *arg) {
  int r = ftpc_command(sh->c, verb, arg, NULL);

  if (r != 0)
    return ftpc_sh_engine_fail(sh, r);
  return 0;
}

int ftpc_cmd_cd(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  ftpc_rnames_forget(sh);
  return simple(sh, "CWD", argv[1]);
}

int ftpc_cmd_cdup(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  ftpc_rnames_forget(sh);
  return simple(sh, "CDUP", NULL);
}

int ftpc_cmd_lcd(struct ftpc_shell *sh, int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : getenv("HOME");
  char now[4096];
  size_t n = sizeof(now);
  int r;

  if (dir == NULL)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "no home directory");
  if ((r = uv_chdir(dir)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", dir, uv_strerror(r));
  if (uv_cwd(now, &n) == 0 && ftpc_sh_chatty(sh))
    printf("Local directory now %s\n", now);
  return 0;
}

/* PWD: the name in its 257 reply (common/reply), else the reply. */
int ftpc_cmd_pwd(struct ftpc_shell *sh, int argc, char **argv) {
  struct ftp_reply rep;
  struct ftp_buf path;
  char clean[4096];
  int r;

  (void)argc;
  (void)argv;
  ftp_reply_init(&rep);
  ftp_buf_init(&path, sizeof(clean) - 1);
  r = ftpc_command(sh->c, "PWD", NULL, &rep);
  if (r == 0 && !ftpc_settings(sh->c)->show_replies) {
    if (ftp_reply_parse_path(ftp_reply_text(&rep), ftp_buf_len(&rep.text), &path) == 0) {
      ftpc_text_clean((const char *)ftp_buf_ptr(&path), ftp_buf_len(&path), clean,
                      sizeof(clean), 0);
      printf("Remote directory: %s\n", clean);
    } else {
      ftpc_text_first_line(ftp_reply_text(&rep), clean, sizeof(clean));
      printf("%d %s\n", rep.code, clean);
    }
  }
  ftp_buf_free(&path);
  ftp_reply_free(&rep);
  return r != 0 ? ftpc_sh_engine_fail(sh, r) : 0;
}

int ftpc_cmd_mkdir(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  ftpc_rnames_forget(sh);
  return simple(sh, "MKD", argv[1]);
}

int ftpc_cmd_rmdir(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  ftpc_rnames_forget(sh);
  return simple(sh, "RMD", argv[1]);
}

int ftpc_cmd_delete(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  ftpc_rnames_forget(sh);
  return simple(sh, "DELE", argv[1]);
}

int ftpc_cmd_mdelete(struct ftpc_shell *sh, int argc, char **argv) {
  int i, worst = 0, r;

  ftpc_rnames_forget(sh);
  for (i = 1; i < argc; i++) {
    char **names = NULL;
    size_t n = 0, k;

    if ((r = ftpc_rnames_expand(sh, argv[i], &names, &n)) != 0) {
      worst = worst ? worst : r;
      continue;
    }
    if (n == 0)
      worst = worst ? worst : ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: no match", argv[i]);
    for (k = 0; k < n; k++) {
      if (!ftpc_ask_confirm(sh, "mdelete", names[k]))
        continue;
      if ((r = simple(sh, "DELE", names[k])) != 0) {
        if (!sh->interactive)
          fprintf(stderr, "ftp: mdelete %s: %s\n", names[k], sh->err);
        worst = worst ? worst : r;
      }
    }
    ftpc_rnames_free(names, n);
  }
  return worst;
}

int ftpc_cmd_rename(struct ftpc_shell *sh, int argc, char **argv) {
  const struct ftp_reply *rep;
  int r;

  (void)argc;
  ftpc_rnames_forget(sh);
  if ((r = ftpc_command(sh->c, "RNFR", argv[1], NULL)) != 0)
    return ftpc_sh_engine_fail(sh, r);
  rep = ftpc_reply(sh->c);
  if (rep->code != FTP_R_PENDING)
    return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "RNFR: unexpected reply %d", rep->code);
  return simple(sh, "RNTO", argv[2]);
}

static int one_value(struct ftpc_shell *sh, const char *verb, const char *arg,
                     char *out, size_t n) {
  struct ftp_reply rep;
  int r;

  ftp_reply_init(&rep);
  r = ftpc_command(sh->c, verb, arg, &rep);
  if (r == 0 && rep.code != FTP_R_FILE_STATUS)
    r = ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: unexpected reply %d", verb, rep.code);
  else if (r != 0)
    r = ftpc_sh_engine_fail(sh, r);
  else
    ftpc_text_first_line(ftp_reply_text(&rep), out, n);
  ftp_reply_free(&rep);
  return r;
}

int ftpc_cmd_size(struct ftpc_shell *sh, int argc, char **argv) {
  char value[256], name[1024];
  int r;

  (void)argc;
  if ((r = one_value(sh, "SIZE", argv[1], value, sizeof(value))) != 0)
    return r;
  if (!ftpc_settings(sh->c)->show_replies) {
    ftpc_text_clean(argv[1], strlen(argv[1]), name, sizeof(name), 0);
    printf("%s\t%s\n", name, value);
  }
  return 0;
}

int ftpc_cmd_modtime(struct ftpc_shell *sh, int argc, char **argv) {
  char value[256], name[1024];
  struct tm tm;
  int r;

  (void)argc;
  if ((r = one_value(sh, "MDTM", argv[1], value, sizeof(value))) != 0)
    return r;
  if (ftpc_settings(sh->c)->show_replies)
    return 0;
  ftpc_text_clean(argv[1], strlen(argv[1]), name, sizeof(name), 0);
  /* RFC 3659 section 3: YYYYMMDDHHMMSS[.sss], always UTC. */
  memset(&tm, 0, sizeof(tm));
  if (strlen(value) >= 14 && strptime(value, "%Y%m%d%H%M%S", &tm) != NULL)
    printf("%s\t%02d/%02d/%04d %02d:%02d:%02d GMT\n", name, tm.tm_mon + 1, tm.tm_mday,
           tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  else
    printf("%s\t%s\n", name, value);
  return 0;
}

int ftpc_cmd_chmod(struct ftpc_shell *sh, int argc, char **argv) {
  char arg[4096 + 64];

  (void)argc;
  if ((size_t)snprintf(arg, sizeof(arg), "CHMOD %s %s", argv[1], argv[2]) >= sizeof(arg))
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "name too long");
  return simple(sh, "SITE", arg);
}
