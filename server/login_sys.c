/*
 * login_sys.c: logins that act as a system identity (login_sys.h).
 */
#include "login_sys.h"

#include <stdio.h>
#include <string.h>
#include <uv.h>

#include "err.h"
#include "ftpusers.h"
#include "log.h"

/* Step 1 and 3 of ftpd_sys_login_pam: the deny list, read as root (a
 * 0600 /etc/ftpusers is root's). */
static int check_listed(const char *ftpusers, const char *name, char *why, size_t n) {
  int r = ftpd_ftpusers_check(ftpusers, name);

  if (r == FTP_E_REFUSED)
    snprintf(why, n, "listed in %.200s", ftpusers);
  else if (r != 0)
    snprintf(why, n, "%.150s cannot be read: %s; every system account refused",
             ftpusers, ftp_strerror(r));
  return r == 0 || r == FTP_E_REFUSED ? r : UV_EIO;
}

/* The account as an identity: it exists and is not root. */
static int account_creds(const char *account, struct ftpd_creds **out, char *home,
                         size_t homelen, char *why, size_t n) {
  int r = ftpd_creds_of_account(account, out, home, homelen);

  if (r != 0) {
    snprintf(why, n, "account %.100s: %s", account,
             r == UV_ENOENT ? "not in the passwd database" : ftp_strerror(r));
    return r == UV_ENOENT ? FTP_E_LOGIN : r;
  }
  if ((*out)->uid == 0) {
    /* Security: uid 0 owns every system file; ftpd never acts as root,
     * whatever PAM and the deny list say. */
    snprintf(why, n, "%.100s has uid 0: root never logs in over FTP", account);
    ftpd_creds_unref(*out);
    *out = NULL;
    return FTP_E_REFUSED;
  }
  return 0;
}

int ftpd_sys_open_root(const struct ftpd_creds *c, const char *root, unsigned umask,
                       int readonly, struct ftp_fs *fs) {
  int r;

  if (c != NULL && (r = ftpd_creds_enter(c)) != 0) {
    fs->root_fd = -1;
    return r;
  }
  if ((r = ftp_fs_init(fs, root, umask, readonly)) != 0)
    ftp_fs_close(fs);
  if (c != NULL)
    ftpd_creds_leave();
  return r;
}

int ftpd_sys_identity(const char *ftpusers, const char *account,
                      struct ftpd_creds **out, char *why, size_t n) {
  int r;

  *out = NULL;
  if ((r = ftpd_creds_enter_root()) != 0)
    return r;
  if ((r = check_listed(ftpusers, account, why, n)) == 0)
    r = account_creds(account, out, NULL, 0, why, n);
  ftpd_creds_leave();
  return r == FTP_E_LOGIN ? UV_ENOENT : r;
}

/* Steps 1 to 3, as root. */
static int authenticate(struct ftpd_sys_login *l) {
  int r;

  if ((r = check_listed(l->ftpusers, l->user, l->why, sizeof(l->why))) != 0 ||
      (r = ftpd_pam_login(l->service, NULL, l->user, l->password, l->rhost, &l->pam,
                          l->why, sizeof(l->why))) != 0)
    return r;
  snprintf(l->account, sizeof(l->account), "%s", ftpd_pam_user(l->pam));
  if (strcmp(l->account, l->user) != 0 &&
      (r = check_listed(l->ftpusers, l->account, l->why, sizeof(l->why))) != 0)
    return r;
  return account_creds(l->account, &l->creds, l->home, sizeof(l->home), l->why,
                       sizeof(l->why));
}

/* Step 4: under PAMROOT, start in the home when it lies inside. */
static int open_root(struct ftpd_sys_login *l) {
  const char *root = l->root != NULL ? l->root : l->home;
  size_t n = strlen(root);
  int r;

  while (n > 1 && root[n - 1] == '/')
    n--;
  if ((r = ftpd_sys_open_root(l->creds, root, l->umask, 0, &l->fs)) != 0) {
    snprintf(l->why, sizeof(l->why), "%.200s: %s", root, ftp_strerror(r));
    return r;
  }
  if (l->root != NULL && strncmp(l->home, root, n) == 0 && l->home[n] == '/' &&
      ftpd_creds_enter(l->creds) == 0) {
    /* A home the user cannot enter leaves the session at "/". */
    (void)ftp_fs_chdir(&l->fs, l->home + n);
    ftpd_creds_leave();
  }
  return 0;
}

int ftpd_sys_login_pam(struct ftpd_sys_login *l) {
  int r;

  l->pam = NULL;
  l->creds = NULL;
  l->fs.root_fd = -1;
  l->why[0] = '\0';
  if ((r = ftpd_creds_enter_root()) != 0)
    return r;
  r = authenticate(l);
  ftpd_creds_leave();
  if (r == 0 && (r = open_root(l)) == 0 && (r = ftpd_creds_enter_root()) == 0) {
    if ((r = ftpd_pam_open_session(l->pam, l->why, sizeof(l->why))) != 0)
      ftp_fs_close(&l->fs);
    ftpd_creds_leave();
  }
  if (r == 0)
    return 0;
  /* Nothing stays open: PAM ends here, in this serial job, as root. */
  if (l->pam != NULL && ftpd_creds_enter_root() == 0) {
    ftpd_pam_end(l->pam);
    ftpd_creds_leave();
  } else {
    ftpd_pam_end(l->pam);
  }
  l->pam = NULL;
  ftpd_creds_unref(l->creds);
  l->creds = NULL;
  return r;
}
