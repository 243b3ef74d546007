/*
 * cmds_set.c: the settings commands: type, binary, ascii, passive, active,
 * epsv4, prot, private, safe, clear, ccc, hash, progress, prompt, verbose.
 * Most only change the client's state; TYPE and PROT reach the server at
 * the next transfer (PROT at once when logged in under TLS).  The engine's
 * settings change through its setters (engine.h); the rest are the shell's.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cmdctx.h"
#include "cmdtab.h"
#include "err.h"
#include "log.h"

/* "on", "off", or nothing (toggle).  RETURNS: the new value, or -1. */
static int on_off(int argc, char **argv, int now) {
  if (argc < 2)
    return !now;
  if (strcasecmp(argv[1], "on") == 0)
    return 1;
  if (strcasecmp(argv[1], "off") == 0)
    return 0;
  return -1;
}

/*
 * The new value of a setting that is now: "on", "off", or a toggle; said
 * when chatty.  RETURNS: 0 or 1, or -1 (a usage error, in sh->err).
 */
static int toggled(struct ftpc_shell *sh, int argc, char **argv, int now,
                   const char *what) {
  int v = on_off(argc, argv, now);

  if (v < 0)
    return ftpc_sh_fail(sh, -1, "%s: say on or off", argv[1]);
  if (ftpc_sh_chatty(sh))
    printf("%s %s.\n", what, v ? "on" : "off");
  return v;
}

/* A setting of the shell's own. */
static int toggle(struct ftpc_shell *sh, int argc, char **argv, int *flag,
                  const char *what) {
  int v = toggled(sh, argc, argv, *flag, what);

  if (v < 0)
    return FTPC_EXIT_USAGE;
  *flag = v;
  return 0;
}

int ftpc_cmd_type(struct ftpc_shell *sh, int argc, char **argv) {
  if (argc < 2) {
    printf("Using %s mode to transfer files.\n", sh->ascii ? "ascii" : "binary");
    return 0;
  }
  if (strcasecmp(argv[1], "ascii") == 0 || strcasecmp(argv[1], "a") == 0)
    sh->ascii = 1;
  else if (strcasecmp(argv[1], "binary") == 0 || strcasecmp(argv[1], "image") == 0 ||
           strcasecmp(argv[1], "i") == 0)
    sh->ascii = 0;
  else
    return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: unknown type (ascii or binary)", argv[1]);
  if (ftpc_sh_chatty(sh))
    printf("Using %s mode to transfer files.\n", sh->ascii ? "ascii" : "binary");
  return 0;
}

int ftpc_cmd_binary(struct ftpc_shell *sh, int argc, char **argv) {
  char *args[] = {argv[0], "binary", NULL};
  (void)argc;
  return ftpc_cmd_type(sh, 2, args);
}

int ftpc_cmd_ascii(struct ftpc_shell *sh, int argc, char **argv) {
  char *args[] = {argv[0], "ascii", NULL};
  (void)argc;
  return ftpc_cmd_type(sh, 2, args);
}

int ftpc_cmd_passive(struct ftpc_shell *sh, int argc, char **argv) {
  int v = toggled(sh, argc, argv, ftpc_settings(sh->c)->passive, "Passive mode");

  if (v < 0)
    return FTPC_EXIT_USAGE;
  ftpc_set_passive(sh->c, v);
  return 0;
}

int ftpc_cmd_active(struct ftpc_shell *sh, int argc, char **argv) {
  char *args[] = {argv[0], "off", NULL};
  (void)argc;
  return ftpc_cmd_passive(sh, 2, args);
}

int ftpc_cmd_epsv4(struct ftpc_shell *sh, int argc, char **argv) {
  int v = toggled(sh, argc, argv, ftpc_settings(sh->c)->epsv4, "EPSV/EPRT on IPv4");

  if (v < 0)
    return FTPC_EXIT_USAGE;
  ftpc_set_epsv4(sh->c, v);
  return 0;
}

static const char *prot_name(int prot, int tls) {
  switch (prot) {
  case FTPC_PROT_CLEAR: return "clear";
  case FTPC_PROT_PRIVATE: return "private";
  case FTPC_PROT_NEVER: return "clear (SECURE_DATACONN NEVER)";
  default: return tls ? "private (automatic under TLS)" : "clear (no TLS)";
  }
}

static int set_prot(struct ftpc_shell *sh, int prot) {
  int r = ftpc_set_prot(sh->c, prot);

  if (r != 0)
    return ftpc_sh_engine_fail(sh, r);
  if (ftpc_sh_chatty(sh))
    printf("Data channel protection level: %s.\n", prot_name(prot, ftpc_tls(sh->c)));
  return 0;
}

int ftpc_cmd_prot(struct ftpc_shell *sh, int argc, char **argv) {
  if (argc < 2) {
    printf("Data channel protection level: %s.\n",
           prot_name(ftpc_settings(sh->c)->prot, ftpc_tls(sh->c)));
    return 0;
  }
  if (strcasecmp(argv[1], "clear") == 0 || strcasecmp(argv[1], "c") == 0)
    return set_prot(sh, FTPC_PROT_CLEAR);
  if (strcasecmp(argv[1], "private") == 0 || strcasecmp(argv[1], "p") == 0 ||
      strcasecmp(argv[1], "safe") == 0 || strcasecmp(argv[1], "s") == 0)
    return set_prot(sh, FTPC_PROT_PRIVATE);
  return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: unknown level (clear, private, safe)",
                      argv[1]);
}

int ftpc_cmd_private(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  return set_prot(sh, FTPC_PROT_PRIVATE);
}

int ftpc_cmd_safe(struct ftpc_shell *sh, int argc, char **argv) {
  /* RFC 4217 section 9: TLS has no integrity-only level; S is P. */
  return ftpc_cmd_private(sh, argc, argv);
}

int ftpc_cmd_clear(struct ftpc_shell *sh, int argc, char **argv) {
  (void)argc;
  (void)argv;
  return set_prot(sh, FTPC_PROT_CLEAR);
}

int ftpc_cmd_ccc(struct ftpc_shell *sh, int argc, char **argv) {
  int r;

  (void)argc;
  (void)argv;
  if ((r = ftpc_ccc(sh->c)) != 0)
    return ftpc_sh_engine_fail(sh, r);
  return 0;
}

int ftpc_cmd_hash(struct ftpc_shell *sh, int argc, char **argv) {
  char *end;
  unsigned long v;

  if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9') {
    v = strtoul(argv[1], &end, 10);
    if (*end != 0 || v == 0 || v > (1ul << 30))
      return ftpc_sh_fail(sh, FTPC_EXIT_USAGE, "%s: not a size in bytes", argv[1]);
    sh->prog.hash_size = v;
    sh->prog.hash = 1;
  } else if (toggle(sh, argc, argv, &sh->prog.hash, "Hash mark printing") != 0) {
    return FTPC_EXIT_USAGE;
  } else {
    return 0;
  }
  if (ftpc_sh_chatty(sh))
    printf("Hash mark printing on (%zu bytes/hash mark).\n", sh->prog.hash_size);
  return 0;
}

int ftpc_cmd_progress(struct ftpc_shell *sh, int argc, char **argv) {
  return toggle(sh, argc, argv, &sh->prog.bar, "Progress bar");
}

int ftpc_cmd_prompt(struct ftpc_shell *sh, int argc, char **argv) {
  return toggle(sh, argc, argv, &sh->prompt, "Interactive mode");
}

int ftpc_cmd_verbose(struct ftpc_shell *sh, int argc, char **argv) {
  int v = toggled(sh, argc, argv, ftpc_settings(sh->c)->verbosity >= FTPC_VERBOSE,
                  "Verbose mode");

  if (v < 0)
    return FTPC_EXIT_USAGE;
  ftpc_set_verbosity(sh->c, v ? FTPC_VERBOSE : FTPC_NORMAL);
  ftp_log_init("ftp", v ? FTP_LOG_DEBUG : FTP_LOG_WARN);
  return 0;
}
