/*
 * config.h: everything ftpd loads from one FTPDATA member.
 *
 * A struct ftpd_config is the member parsed and checked, plus what it points
 * at, loaded once: the TLS credentials (KEYRING, CAFILE, CIPHERSUITE), the
 * USERFILE, and the BANNER and LOGINMSG texts.  Sessions hold a reference to
 * the config they started with; SIGHUP builds a new one for new sessions and
 * the old one goes when its last session ends.
 */
#ifndef FTPD_CONFIG_H
#define FTPD_CONFIG_H

#include <sys/socket.h>

#include "ban.h"
#include "cidr.h"
#include "conf.h"
#include "ftp_limits.h"
#include "tls.h"
#include "users.h"

struct ftpd_config {
  int refs;
  struct ftp_conf conf;
  struct ftp_tls_ctx *tls;    /* NULL unless EXTENSIONS AUTH_TLS and KEYRING */
  struct ftp_users *users;    /* NULL when USERFILE does not exist */
  char *banner;               /* text of BANNER, "" when none */
  char *loginmsg;             /* text of LOGINMSG, "" when none */
  char *member;               /* the member's path, NULL when on defaults */
  struct ftpd_ban_policy ban; /* BANFAILURES, BANWINDOW, BANTIME, BANEXEMPT */
  /* PROXYPROTOCOL: the balancers whose connections start with a header. */
  struct ftp_cidr balancers[FTP_CONF_LIST_MAX];
  size_t nbalancers;
};

/*
 * ftpd_config_load: build a config from the member at path (NULL: defaults).
 * Every problem is reported on stderr / the log as "file:line: ..." lines:
 * also a FTPUSERS file coded but missing, and a PAMROOT that is no
 * directory; a PAMSERVICE without a service file is a warning (Linux-PAM
 * then uses the service "other").
 * port_override: -p PORT (0: none).
 * RETURNS: 0 with *out (one reference), FTP_E_CONF for a bad member or a
 * file it names that cannot be used, FTP_E_NOMEM.
 */
int ftpd_config_load(const char *path, unsigned port_override,
                     struct ftpd_config **out);

/*
 * ftpd_config_check_rereadable: after privileges are dropped, warn about
 * each file of cfg (the member, KEYRING, CAFILE, USERFILE, BANNER,
 * LOGINMSG) that the account ftpd now runs as cannot read: SIGHUP re-reads
 * them as that account, and would keep the old configuration.
 */
void ftpd_config_check_rereadable(const struct ftpd_config *cfg);

/*
 * ftpd_config_per_user: 1 when cfg has ftpd act as each user (PAMSERVICE,
 * or a USERFILE user with user= or uid=: creds.h), which it can only do
 * when it did not switch to RUNAS for good at start-up.
 */
int ftpd_config_per_user(const struct ftpd_config *cfg);

/*
 * ftpd_config_is_balancer: addr is one of PROXYPROTOCOL's balancers, whose
 * connections must start with a PROXY protocol header.  Security: from any
 * other address a header is never accepted.  RETURNS: 1 or 0.
 */
int ftpd_config_is_balancer(const struct ftpd_config *cfg,
                            const struct sockaddr_storage *addr);

struct ftpd_config *ftpd_config_ref(struct ftpd_config *cfg);
void ftpd_config_unref(struct ftpd_config *cfg); /* accepts NULL */

#endif
