/*
 * h_info.c: NOOP SYST FEAT OPTS HELP STAT HOST SITE, and the transfer
 * parameters TYPE MODE STRU ALLO REST.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cmdtab.h"
#include "data.h"
#include "err.h"
#include "listfmt.h"
#include "log.h"
#include "replycodes.h"
#include "server.h"
#include "session.h"

/* MLST facts (RFC 3659 section 7), in FEAT order; all on by default.  Bit
 * i of a session's selection is fact i: listfmt's FTP_LISTFMT_FACT_*. */
static const char *const mlst_fact_names[] = {"type", "size", "modify", "perm",
                                              "unix.mode", "unique"};
#define MLST_NFACTS (sizeof(mlst_fact_names) / sizeof(mlst_fact_names[0]))
_Static_assert((1u << MLST_NFACTS) - 1 == FTP_LISTFMT_FACTS_ALL,
               "mlst_fact_names and FTP_LISTFMT_FACT_* disagree");

void handle_noop(struct ftpd_session *s, const char *arg) {
  (void)arg;
  ftpd_reply(s, FTP_R_OK, "NOOP ok.");
}

void handle_syst(struct ftpd_session *s, const char *arg) {
  (void)arg;
  ftpd_reply(s, FTP_R_SYSTEM_TYPE, "UNIX Type: L8");
}

static int ccc_offered(const struct ftpd_session *s) {
  return !s->pol.implicit && s->conf->tlsrfclevel != FTP_TLSRFCLEVEL_DRAFT &&
         s->conf->secure_ctrlconn == FTP_SECURE_CTRLCONN_CLEAR;
}

static unsigned facts_enabled(const struct ftpd_session *s) {
  return s->mlst_set ? s->mlst_facts : (1u << MLST_NFACTS) - 1;
}

/* RFC 2389: FEAT lists exactly what this server supports, as configured. */
void handle_feat(struct ftpd_session *s, const char *arg) {
  const struct ftp_conf *c = s->conf;
  struct ftp_buf b;
  unsigned facts = facts_enabled(s);
  size_t i;

  (void)arg;
  ftp_buf_init(&b, 4096);
  ftp_buf_puts(&b, "Features:\n");
  if (s->pol.tls_available && s->pol.have_cert) {
    if (!s->pol.implicit)
      ftp_buf_puts(&b, " AUTH TLS\n");
    ftp_buf_puts(&b, " PBSZ\n PROT\n");
    if (ccc_offered(s))
      ftp_buf_puts(&b, " CCC\n");
  }
  if (c->portcommand == FTP_PORTCOMMAND_ACCEPT)
    ftp_buf_puts(&b, " EPRT\n");
  ftp_buf_puts(&b, " EPSV\n HOST\n");
  if (c->extensions & FTP_EXT_MDTM)
    ftp_buf_puts(&b, " MDTM\n");
  ftp_buf_puts(&b, " MFMT\n MLST ");
  for (i = 0; i < MLST_NFACTS; i++)
    ftp_buf_putf(&b, "%s%s;", mlst_fact_names[i], (facts & (1u << i)) ? "*" : "");
  ftp_buf_puts(&b, "\n");
  if (c->extensions & FTP_EXT_REST_STREAM)
    ftp_buf_puts(&b, " REST STREAM\n");
  if (c->extensions & FTP_EXT_SIZE)
    ftp_buf_puts(&b, " SIZE\n");
  ftp_buf_puts(&b, " TVFS\n");
  if (c->extensions & FTP_EXT_UTF8)
    ftp_buf_puts(&b, " UTF8\n");
  ftp_buf_puts(&b, "End");
  ftpd_reply(s, FTP_R_SYSTEM_STATUS, "%s", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}

static void opts_mlst(struct ftpd_session *s, const char *list) {
  char names[256], *p, *save = NULL;
  struct ftp_buf b;
  unsigned facts = 0;
  size_t i;

  snprintf(names, sizeof(names), "%s", list);
  for (p = strtok_r(names, ";", &save); p != NULL; p = strtok_r(NULL, ";", &save))
    for (i = 0; i < MLST_NFACTS; i++)
      if (strcasecmp(p, mlst_fact_names[i]) == 0)
        facts |= 1u << i;
  s->mlst_facts = facts;
  s->mlst_set = 1;
  ftp_buf_init(&b, 256);
  for (i = 0; i < MLST_NFACTS; i++)
    if (facts & (1u << i))
      ftp_buf_putf(&b, "%s;", mlst_fact_names[i]);
  /* RFC 3659 7.9: the reply lists the facts now selected. */
  ftpd_reply(s, FTP_R_OK, "MLST OPTS %s", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}

void handle_opts(struct ftpd_session *s, const char *arg) {
  const char *rest = strchr(arg, ' ');
  size_t n = rest != NULL ? (size_t)(rest - arg) : strlen(arg);

  while (rest != NULL && *rest == ' ')
    rest++;
  if (n == 4 && strncasecmp(arg, "UTF8", 4) == 0 && (s->conf->extensions & FTP_EXT_UTF8)) {
    if (rest == NULL || strcasecmp(rest, "ON") == 0)
      ftpd_reply(s, FTP_R_OK, "Always in UTF8 mode.");
    else
      ftpd_reply(s, FTP_R_NOT_IMPL_PARAM, "UTF8 cannot be turned off.");
    return;
  }
  if (n == 4 && strncasecmp(arg, "MLST", 4) == 0) {
    opts_mlst(s, rest != NULL ? rest : "");
    return;
  }
  ftpd_reply(s, FTP_R_SYNTAX_ARG, "Option not understood.");
}

/* --- STAT ----------------------------------------------------------------- */

static void stat_server(struct ftpd_session *s) {
  struct ftp_buf b;
  char desc[96] = "";

  ftp_buf_init(&b, 4096);
  if (s->pol.tls_available)
    ftp_buf_putf(&b, "TLS security is supported at the %s level\n",
                 ftp_policy_level_name(s->conf));
  ftp_buf_puts(&b, "FTP server status:\n");
  if (!s->conf->replysecuritylevel)
    ftp_buf_putf(&b, "     Connected to %s\n", s->peer_str);
  if (ftpd_logged_in(s))
    ftp_buf_putf(&b, "     Logged in as %s\n", s->user);
  ftp_buf_putf(&b, "     TYPE: %s; STRUcture: File; MODE: Stream\n",
               s->type_ascii ? "ASCII" : "BINARY");
  if (s->pol.tls_ctrl)
    ftp_tls_describe(ftp_chan_session(s->ctrl), desc, sizeof(desc));
  ftp_buf_putf(&b, "     Control connection: %s%s%s\n",
               s->pol.tls_ctrl ? "protected by " : s->pol.ccc_done ? "clear (after CCC)" : "clear",
               desc, s->pol.implicit ? " (implicit TLS)" : "");
  ftp_buf_putf(&b, "     Data connections: %s\n",
               s->pol.prot_private ? "protected (PROT P)" : "clear (PROT C)");
  if (ftpd_data_xfer(s) != NULL && ftpd_data_conn(s) != NULL)
    ftp_buf_putf(&b, "     Transfer in progress: %s, %" PRIu64 " bytes so far\n",
                 ftpd_data_xfer(s)->vpath, ftpd_data_bytes(s));
  ftp_buf_puts(&b, "End of status");
  ftpd_reply(s, FTP_R_SYSTEM_STATUS, "%s", ftp_buf_cstr(&b, NULL));
  ftp_buf_free(&b);
}

/* STAT path: a listing for the control connection. */
struct stat_list_job {
  struct ftpd_job job;
  struct ftp_fs fs;              /* the session's, copied */
  struct ftp_listfmt_opts opts;
  char path[FTP_PATH_MAX];
  struct ftp_buf out;            /* the listing */
};

static struct stat_list_job *stat_list_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_STAT_LIST);
}

static void stat_list_release(struct ftpd_job *job) {
  ftp_buf_free(&stat_list_job(job)->out);
}

static void stat_list_work(struct ftpd_job *job) {
  struct stat_list_job *j = stat_list_job(job);
  job->result = ftp_listfmt_list(&j->fs, j->path, &j->opts, &j->out);
}

static void stat_list_after(struct ftpd_job *job) {
  struct ftpd_session *s = job->s;
  struct stat_list_job *j = stat_list_job(job);
  unsigned char *p = (unsigned char *)ftp_buf_ptr(&j->out);
  size_t n = ftp_buf_len(&j->out), i, o = 0;

  if (job->result != 0) {
    ftpd_reply_err(s, job->result, j->path);
    ftpd_command_done(s);
    return;
  }
  /* The listing's CRLFs become the reply's line breaks. */
  for (i = 0; i < n; i++)
    if (p[i] != '\r')
      p[o++] = p[i];
  while (o > 0 && p[o - 1] == '\n')
    o--;
  ftpd_reply(s, FTP_R_FILE_STATUS, "Status of %s:\n%.*s%sEnd of status", j->path,
             (int)o, o > 0 ? (const char *)p : "", o > 0 ? "\n" : "");
  ftpd_command_done(s);
}

void handle_stat(struct ftpd_session *s, const char *arg) {
  struct ftpd_job *job;
  struct stat_list_job *j;

  if (arg[0] == 0 || ftpd_data_xfer(s) != NULL) {
    stat_server(s);
    return;
  }
  /* STAT path: a listing over the control connection (protected under
   * TLS like every reply). */
  if ((job = ftpd_job_new(s, FTPD_JOB_STAT_LIST, sizeof(*j), stat_list_release)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  j = stat_list_job(job);
  j->fs = s->fs;
  j->opts.readonly = s->fs.readonly;
  j->opts.now = time(NULL);
  ftp_buf_init(&j->out, FTP_LISTING_MAX);
  snprintf(j->path, sizeof(j->path), "%s", arg);
  ftpd_job_start(job, stat_list_work, stat_list_after);
}

void handle_host(struct ftpd_session *s, const char *arg) {
  (void)arg;
  /* RFC 7151 3.2: HOST comes before USER.  There are no virtual hosts
   * here: every name is accepted and served alike. */
  if (s->user_given || ftpd_logged_in(s)) {
    ftpd_reply(s, FTP_R_BAD_SEQUENCE, "HOST must precede USER.");
    return;
  }
  ftpd_reply(s, FTP_R_READY, "Host accepted.");
}

/* --- SITE ----------------------------------------------------------------- */

static int parse_octal(const char *p, unsigned max, unsigned *out) {
  char *end;
  unsigned long v;

  if (*p < '0' || *p > '7')
    return FTP_E_SYNTAX;
  errno = 0;
  v = strtoul(p, &end, 8);
  if (errno != 0 || v > max || (*end != 0 && *end != ' '))
    return FTP_E_SYNTAX;
  *out = (unsigned)v;
  return 0;
}

/* SITE CHMOD. */
struct chmod_job {
  struct ftpd_job job;
  struct ftp_fs fs;         /* the session's, copied */
  char path[FTP_PATH_MAX];
  unsigned mode;
};

static struct chmod_job *chmod_job(struct ftpd_job *job) {
  return ftpd_job_payload(job, FTPD_JOB_CHMOD);
}

static void chmod_work(struct ftpd_job *job) {
  struct chmod_job *j = chmod_job(job);
  job->result = ftp_fs_chmod(&j->fs, j->path, j->mode);
}

static void chmod_after(struct ftpd_job *job) {
  if (job->result != 0)
    ftpd_reply_err(job->s, job->result, chmod_job(job)->path);
  else
    ftpd_reply(job->s, FTP_R_OK, "SITE CHMOD command ok.");
  ftpd_command_done(job->s);
}

static void site_chmod(struct ftpd_session *s, const char *args) {
  const char *path = strchr(args, ' ');
  struct ftpd_job *job;
  struct chmod_job *j;
  unsigned mode;

  if (path == NULL || parse_octal(args, 07777, &mode) != 0) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Usage: SITE CHMOD <octal mode> <path>");
    return;
  }
  while (*path == ' ')
    path++;
  if ((job = ftpd_job_new(s, FTPD_JOB_CHMOD, sizeof(*j), NULL)) == NULL) {
    ftpd_reply(s, FTP_R_LOCAL_ERROR, "Out of memory");
    return;
  }
  j = chmod_job(job);
  j->fs = s->fs;
  j->mode = mode;
  snprintf(j->path, sizeof(j->path), "%s", path);
  ftpd_job_start(job, chmod_work, chmod_after);
}

static void site_umask(struct ftpd_session *s, const char *args) {
  unsigned mask;

  if (args[0] == 0) {
    ftpd_reply(s, FTP_R_OK, "Your current UMASK is %03o", s->fs.umask);
    return;
  }
  if (parse_octal(args, 0777, &mask) != 0) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Usage: SITE UMASK <octal mask>");
    return;
  }
  s->fs.umask = mask;
  ftpd_reply(s, FTP_R_OK, "UMASK set to %03o", mask);
}

static void site_idle(struct ftpd_session *s, const char *args) {
  char *end;
  unsigned long v;

  if (args[0] == 0) {
    ftpd_reply(s, FTP_R_OK, "Current idle time limit is %u seconds", s->idle_secs);
    return;
  }
  v = strtoul(args, &end, 10);
  /* A user may shorten the idle limit, never lift the server's. */
  if (*end != 0 || v < 30 || v > 86400 ||
      (s->conf->inactive > 0 && v > s->conf->inactive)) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "SITE IDLE takes 30 to %u seconds",
               s->conf->inactive > 0 ? s->conf->inactive : 86400);
    return;
  }
  s->idle_secs = (unsigned)v;
  ftpd_reply(s, FTP_R_OK, "Maximum idle time set to %lu seconds", v);
}

void handle_site(struct ftpd_session *s, const char *arg) {
  const char *args = strchr(arg, ' ');
  size_t n = args != NULL ? (size_t)(args - arg) : strlen(arg);

  if (args == NULL)
    args = "";
  while (*args == ' ')
    args++;
  if (n == 5 && strncasecmp(arg, "CHMOD", 5) == 0)
    site_chmod(s, args);
  else if (n == 5 && strncasecmp(arg, "UMASK", 5) == 0)
    site_umask(s, args);
  else if (n == 4 && strncasecmp(arg, "IDLE", 4) == 0)
    site_idle(s, args);
  else if (n == 4 && strncasecmp(arg, "HELP", 4) == 0)
    ftpd_reply(s, FTP_R_HELP,
               "The following SITE commands are recognized:\n"
               " CHMOD <octal mode> <path>\n UMASK [<octal mask>]\n"
               " IDLE [<seconds>]\n HELP\nHelp OK.");
  else
    ftpd_reply(s, FTP_R_SYNTAX, "Unknown SITE command.");
}

/* --- transfer parameters -------------------------------------------------- */

void handle_allo(struct ftpd_session *s, const char *arg) {
  (void)arg;
  ftpd_reply(s, FTP_R_SUPERFLUOUS, "ALLO command ignored.");
}

void handle_type(struct ftpd_session *s, const char *arg) {
  char t = (char)toupper((unsigned char)arg[0]);
  const char *rest = arg + 1;

  while (*rest == ' ')
    rest++;
  if (t == 'I' && *rest == 0) {
    s->type_ascii = 0;
    ftpd_reply(s, FTP_R_OK, "Switching to Binary mode.");
  } else if (t == 'A' && (*rest == 0 || strcasecmp(rest, "N") == 0)) {
    s->type_ascii = 1;
    ftpd_reply(s, FTP_R_OK, "Switching to ASCII mode.");
  } else if (t == 'L' && strcmp(rest, "8") == 0) {
    s->type_ascii = 0;
    ftpd_reply(s, FTP_R_OK, "Switching to Binary mode (L 8).");
  } else if ((t == 'A' && (toupper((unsigned char)*rest) == 'T' || toupper((unsigned char)*rest) == 'C')) ||
             t == 'E' || t == 'L') {
    ftpd_reply(s, FTP_R_NOT_IMPL_PARAM, "Type not supported; use A or I.");
  } else {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Unrecognised TYPE command.");
  }
}

static void single_letter(struct ftpd_session *s, const char *arg, char ok,
                          const char *others, const char *what) {
  char c = (char)toupper((unsigned char)arg[0]);

  if (arg[1] != 0)
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Bad %s command.", what);
  else if (c == ok)
    ftpd_reply(s, FTP_R_OK, "%s set to %c.", what, ok);
  else if (strchr(others, c) != NULL)
    ftpd_reply(s, FTP_R_NOT_IMPL_PARAM, "%s %c not supported.", what, c);
  else
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "Bad %s command.", what);
}

void handle_mode(struct ftpd_session *s, const char *arg) {
  single_letter(s, arg, 'S', "BCZ", "Mode");
}

void handle_stru(struct ftpd_session *s, const char *arg) {
  single_letter(s, arg, 'F', "RP", "Structure");
}

void handle_rest(struct ftpd_session *s, const char *arg) {
  char *end;
  long long v;

  if (!(s->conf->extensions & FTP_EXT_REST_STREAM)) {
    ftpd_reply(s, FTP_R_NOT_IMPLEMENTED, "REST not enabled (EXTENSIONS REST_STREAM).");
    return;
  }
  errno = 0;
  v = strtoll(arg, &end, 10);
  if (!isdigit((unsigned char)arg[0]) || *end != 0 || errno != 0 || v < 0) {
    ftpd_reply(s, FTP_R_SYNTAX_ARG, "REST needs a non-negative byte offset.");
    return;
  }
  s->rest = v;
  ftpd_reply(s, FTP_R_PENDING, "Restart position accepted (%lld).", v);
}
