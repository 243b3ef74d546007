/*
 * cmds_xfer.c: transfers and listings: get, reget, put, append, mget, mput,
 * ls, dir, nlist, mls, mlsd.  The transfers themselves are transfer.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ask.h"
#include "cmdctx.h"
#include "cmdtab.h"
#include "err.h"
#include "localfs.h"
#include "rnames.h"
#include "text.h"
#include "transfer.h"

/* --- the commands --------------------------------------------------------- */

static int get_common(struct ftpc_shell *sh, int argc, char **argv, int resume) {
  char local[256];

  if (argc > 2)
    return ftpc_sh_download(sh, argv[1], argv[2], resume);
  if (ftpc_safe_name(argv[1], local, sizeof(local)) != 0)
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE,
                        "%s: no usable local name in it; give one: get remote local", argv[1]);
  return ftpc_sh_download(sh, argv[1], local, resume);
}

int ftpc_cmd_get(struct ftpc_shell *sh, int argc, char **argv) {
  return get_common(sh, argc, argv, 0);
}

int ftpc_cmd_reget(struct ftpc_shell *sh, int argc, char **argv) {
  return get_common(sh, argc, argv, 1);
}

int ftpc_cmd_put(struct ftpc_shell *sh, int argc, char **argv) {
  return ftpc_sh_upload(sh, argv[1], argc > 2 ? argv[2] : ftpc_base_name(argv[1]), 0);
}

int ftpc_cmd_append(struct ftpc_shell *sh, int argc, char **argv) {
  return ftpc_sh_upload(sh, argv[1], argc > 2 ? argv[2] : ftpc_base_name(argv[1]), 1);
}

static int keep(int worst, int r) { return worst != 0 ? worst : r; }

static void report_one(struct ftpc_shell *sh, const char *verb, const char *name) {
  char clean[512];

  if (sh->err_shown)
    return;
  ftpc_text_clean(name, strlen(name), clean, sizeof(clean), 0);
  fprintf(stderr, "ftp: %s %s: %s\n", verb, clean, sh->err);
}

int ftpc_cmd_mget(struct ftpc_shell *sh, int argc, char **argv) {
  int i, r, worst = 0;

  for (i = 1; i < argc; i++) {
    char **names = NULL, local[256];
    size_t n = 0, k;

    if ((r = ftpc_rnames_expand(sh, argv[i], &names, &n)) != 0) {
      worst = keep(worst, r);
      continue;
    }
    if (n == 0)
      worst = keep(worst, ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: no match", argv[i]));
    for (k = 0; k < n; k++) {
      if (!ftpc_ask_confirm(sh, "mget", names[k]))
        continue;
      if (ftpc_safe_name(names[k], local, sizeof(local)) != 0)
        r = ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "no safe local name");
      else
        r = ftpc_sh_download(sh, names[k], local, 0);
      if (r != 0) {
        report_one(sh, "mget", names[k]);
        worst = keep(worst, r);
        if (!ftpc_connected(sh->c))
          break;
      }
    }
    ftpc_rnames_free(names, n);
  }
  return worst;
}

int ftpc_cmd_mput(struct ftpc_shell *sh, int argc, char **argv) {
  int i, r, worst = 0;

  for (i = 1; i < argc; i++) {
    char **paths = NULL;
    size_t n = 0, k;

    if ((r = ftpc_local_glob(argv[i], &paths, &n)) != 0) {
      worst = keep(worst, ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", argv[i], ftp_strerror(r)));
      continue;
    }
    if (n == 0)
      worst = keep(worst, ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: no match", argv[i]));
    for (k = 0; k < n; k++) {
      if (!ftpc_ask_confirm(sh, "mput", paths[k]))
        continue;
      if ((r = ftpc_sh_upload(sh, paths[k], ftpc_base_name(paths[k]), 0)) != 0) {
        report_one(sh, "mput", paths[k]);
        worst = keep(worst, r);
        if (!ftpc_connected(sh->c))
          break;
      }
    }
    ftpc_local_glob_free(paths, n);
  }
  return worst;
}

int ftpc_cmd_ls(struct ftpc_shell *sh, int argc, char **argv) {
  return ftpc_sh_list(sh, FTPC_XFER_LIST, argc > 1 ? argv[1] : NULL,
                      argc > 2 ? argv[2] : NULL, 0);
}

int ftpc_cmd_nlist(struct ftpc_shell *sh, int argc, char **argv) {
  return ftpc_sh_list(sh, FTPC_XFER_NLST, argc > 1 ? argv[1] : NULL,
                      argc > 2 ? argv[2] : NULL, 0);
}

int ftpc_cmd_mlsd(struct ftpc_shell *sh, int argc, char **argv) {
  return ftpc_sh_list(sh, FTPC_XFER_MLSD, argc > 1 ? argv[1] : NULL,
                      argc > 2 ? argv[2] : NULL, 0);
}

int ftpc_cmd_mls(struct ftpc_shell *sh, int argc, char **argv) {
  const char *local = argv[argc - 1];
  int i, r, worst = 0;

  /* BSD mls: the listings one after the other in local-file. */
  if (strcmp(local, "-") != 0) {
    FILE *f = fopen(local, "w");
    if (f == NULL)
      return ftpc_sh_fail(sh, FTPC_EXIT_FAIL, "%s: %s", local, strerror(errno));
    fclose(f);
  }
  for (i = 1; i < argc - 1; i++)
    if ((r = ftpc_sh_list(sh, FTPC_XFER_NLST, argv[i], local, 1)) != 0)
      worst = keep(worst, r);
  return worst;
}
