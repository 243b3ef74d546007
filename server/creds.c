/*
 * creds.c: per-thread filesystem credentials, and the process set-up that
 * allows them (creds.h).  The only file that changes credentials after
 * start-up.
 */
#include "creds.h"

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <uv.h>

#include "err.h"
#include "log.h"

/* getpwnam_r scratch space: start small, grow on ERANGE up to this. */
#define PW_BUF_START 4096
#define PW_BUF_MAX (1024 * 1024)

/* The capabilities the process keeps: the per-thread switch needs them. */
#define KEPT_CAPS ((1u << CAP_SETUID) | (1u << CAP_SETGID))

/* Set once, before any thread starts (ftpd_creds_set_base), then only
 * read: the credentials every thread returns to. */
static int base_set;
static uid_t base_uid;
static gid_t base_gid;

int ftpd_creds_new(uid_t uid, gid_t gid, const gid_t *groups, size_t n,
                   struct ftpd_creds **out) {
  struct ftpd_creds *c;

  *out = NULL;
  if (n > FTPD_CREDS_GROUPS_MAX)
    return UV_EINVAL;
  if ((c = malloc(sizeof(*c) + n * sizeof(gid_t))) == NULL)
    return FTP_E_NOMEM;
  c->refs = 1;
  c->uid = uid;
  c->gid = gid;
  c->ngroups = n;
  if (n > 0)
    memcpy(c->groups, groups, n * sizeof(gid_t));
  *out = c;
  return 0;
}

struct ftpd_creds *ftpd_creds_ref(struct ftpd_creds *c) {
  c->refs++;
  return c;
}

void ftpd_creds_unref(struct ftpd_creds *c) {
  if (c != NULL && --c->refs == 0)
    free(c);
}

/* getpwnam_r with a buffer that grows: 0, UV_ENOENT, UV_EIO, FTP_E_NOMEM.
 * *buf is the caller's to free. */
static int lookup_passwd(const char *name, struct passwd *pw, char **buf) {
  struct passwd *res = NULL;
  size_t sz = PW_BUF_START;
  char *b;
  int rc;

  *buf = NULL;
  for (;;) {
    if ((b = realloc(*buf, sz)) == NULL)
      return FTP_E_NOMEM;
    *buf = b;
    rc = getpwnam_r(name, pw, b, sz, &res);
    if (rc != ERANGE || sz >= PW_BUF_MAX)
      break;
    sz *= 2;
  }
  if (rc != 0)
    return UV_EIO;
  return res == NULL ? UV_ENOENT : 0;
}

/* The supplementary groups of name (primary gid included, as
 * initgroups(3) does), in a malloc'ed array. */
static int lookup_groups(const char *name, gid_t gid, gid_t **out, size_t *n) {
  gid_t *g = NULL, *ng;
  int want = 32, got;

  *out = NULL;
  *n = 0;
  for (;;) {
    if ((ng = realloc(g, (size_t)want * sizeof(gid_t))) == NULL) {
      free(g);
      return FTP_E_NOMEM;
    }
    g = ng;
    got = want;
    if (getgrouplist(name, gid, g, &got) >= 0)
      break;
    /* got is now the number needed; it only grows past the cap when the
     * group database is absurd. */
    if (got <= want || got > FTPD_CREDS_GROUPS_MAX) {
      free(g);
      return UV_EIO;
    }
    want = got;
  }
  *out = g;
  *n = (size_t)got;
  return 0;
}

int ftpd_creds_of_account(const char *name, struct ftpd_creds **out,
                          char *home, size_t n) {
  struct passwd pw;
  char *buf = NULL;
  gid_t *groups = NULL;
  size_t ngroups = 0;
  int r;

  *out = NULL;
  if ((r = lookup_passwd(name, &pw, &buf)) != 0 ||
      (r = lookup_groups(pw.pw_name, pw.pw_gid, &groups, &ngroups)) != 0)
    goto out;
  if (n > 0) {
    if (strlen(pw.pw_dir) >= n) {
      r = UV_ENAMETOOLONG;
      goto out;
    }
    memcpy(home, pw.pw_dir, strlen(pw.pw_dir) + 1);
  }
  r = ftpd_creds_new(pw.pw_uid, pw.pw_gid, groups, ngroups, out);
out:
  free(groups);
  free(buf);
  return r;
}

/* --- the calling thread's credentials ------------------------------------ */

/* setfsuid and setfsgid report no error: they return the previous value.
 * Asking again with an invalid id (-1) returns the current one, which
 * tells whether the change took. */
static int set_fsuid(uid_t uid) {
  syscall(SYS_setfsuid, uid);
  return (uid_t)syscall(SYS_setfsuid, (uid_t)-1) == uid ? 0 : UV_EPERM;
}

static int set_fsgid(gid_t gid) {
  syscall(SYS_setfsgid, gid);
  return (gid_t)syscall(SYS_setfsgid, (gid_t)-1) == gid ? 0 : UV_EPERM;
}

/* The raw system call: glibc's setgroups() would apply it to every thread
 * of the process. */
static int set_groups(const gid_t *groups, size_t n) {
  return syscall(SYS_setgroups, n, groups) == 0 ? 0 : -errno;
}

/* Groups first, then the gid, then the uid: the order of Samba's
 * set_effective_credentials, and each step only needs CAP_SETGID or
 * CAP_SETUID, which no fsuid change removes.  *changed: whether any step
 * took effect before one failed. */
static int apply(uid_t uid, gid_t gid, const gid_t *groups, size_t n, int *changed) {
  int r;

  *changed = 0;
  if ((r = set_groups(groups, n)) != 0)
    return r;
  *changed = 1;
  if ((r = set_fsgid(gid)) != 0 || (r = set_fsuid(uid)) != 0)
    return r;
  return 0;
}

void ftpd_creds_leave(void) {
  int r = 0;

  if (!base_set)
    BUG("no base credentials");
  /* The base has no supplementary group. */
  if (getgroups(0, NULL) != 0)
    r = set_groups(NULL, 0);
  if (r == 0 && (r = set_fsgid(base_gid)) == 0)
    r = set_fsuid(base_uid);
  if (r != 0) {
    /* Security: see creds.h; the next job on this thread would run with
     * someone else's permissions. */
    log_err_r(r, "cannot restore the base credentials of a thread");
    abort();
  }
}

/* Enter, or undo what a failed attempt changed. */
static int enter(uid_t uid, gid_t gid, const gid_t *groups, size_t n) {
  int changed, r = apply(uid, gid, groups, n, &changed);

  if (r != 0 && changed)
    ftpd_creds_leave();
  return r;
}

int ftpd_creds_enter(const struct ftpd_creds *c) {
  return enter(c->uid, c->gid, c->groups, c->ngroups);
}

int ftpd_creds_enter_root(void) { return enter(0, 0, NULL, 0); }

int ftpd_creds_set_base(uid_t uid, gid_t gid) {
  base_uid = uid;
  base_gid = gid;
  base_set = 1;
  if (getgroups(0, NULL) != 0 && set_groups(NULL, 0) != 0)
    return UV_EPERM;
  if (set_fsgid(gid) != 0)
    return UV_EPERM;
  return set_fsuid(uid);
}

/* --- the process ---------------------------------------------------------- */

/* How many threads the process has, from /proc; -1 when unknown. */
static int thread_count(void) {
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  int n = 0;

  if (d == NULL)
    return -1;
  while ((e = readdir(d)) != NULL)
    if (e->d_name[0] != '.')
      n++;
  closedir(d);
  return n;
}

/* Drop every capability but KEPT_CAPS from the bounding set, where
 * CAP_SETPCAP allows (started by hand as root).  Under the systemd unit it
 * does not, and what the unit grants for start-up (CAP_DAC_READ_SEARCH)
 * stays in the bounding set: out of the permitted set (set_caps), and out
 * of reach of any program run later: under no_new_privs, execve never
 * grants more than the permitted set. */
static void drop_bounding(void) {
  int cap, in, kept = 0;

  for (cap = 0; cap < 64; cap++) {
    if ((in = prctl(PR_CAPBSET_READ, cap)) < 0)
      break; /* EINVAL: past the kernel's last capability */
    if (in == 0 || (cap < 32 && (KEPT_CAPS & (1u << cap)) != 0))
      continue;
    if (prctl(PR_CAPBSET_DROP, cap) != 0)
      kept++;
  }
  if (kept > 0)
    log_info("%d capabilities stay in the bounding set (no CAP_SETPCAP to drop "
             "them), none in the permitted set", kept);
}

/* Permitted and effective: KEPT_CAPS; inheritable: none.  No capset call
 * when that is already so. */
static int set_caps(void) {
  struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];

  memset(data, 0, sizeof(data));
  if (syscall(SYS_capget, &hdr, data) != 0)
    return uv_translate_sys_error(errno);
  if (data[0].permitted == KEPT_CAPS && data[0].effective == KEPT_CAPS &&
      data[0].inheritable == 0 && data[1].permitted == 0 &&
      data[1].effective == 0 && data[1].inheritable == 0)
    return 0;
  if ((data[0].permitted & KEPT_CAPS) != KEPT_CAPS) {
    log_err("CAP_SETUID and CAP_SETGID are needed to act as each user");
    return UV_EPERM;
  }
  memset(data, 0, sizeof(data));
  data[0].permitted = data[0].effective = KEPT_CAPS;
  if (syscall(SYS_capset, &hdr, data) != 0) {
    int r = uv_translate_sys_error(errno);

    log_err_r(r, "capset");
    return r;
  }
  return 0;
}

int ftpd_creds_process_setup(uid_t base_uid_, gid_t base_gid_) {
  uid_t ruid, euid, suid;
  int n, r;

  if (getresuid(&ruid, &euid, &suid) != 0 || ruid != 0 || euid != 0 || suid != 0) {
    log_err("PAMSERVICE, and USERFILE users with user= or uid=, need ftpd "
            "started as root: it acts as each user in turn");
    return UV_EPERM;
  }
  /* Capabilities and groups set below are per thread: every thread must
   * be created afterwards, from this one. */
  if ((n = thread_count()) != 1 && n != -1) {
    log_err("per-user credentials: %d threads already run", n);
    return UV_EINVAL;
  }
  if (setgroups(0, NULL) != 0) {
    r = uv_translate_sys_error(errno);
    log_err_r(r, "setgroups");
    return r;
  }
  /* Nothing a PAM module runs may gain privileges: no set-user-ID file,
   * no file capability, and uid 0 gets no more than this process keeps. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    r = uv_translate_sys_error(errno);
    log_err_r(r, "no_new_privs");
    return r;
  }
  drop_bounding();
  (void)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  if ((r = set_caps()) != 0)
    return r;
  if ((r = ftpd_creds_set_base(base_uid_, base_gid_)) != 0) {
    log_err_r(r, "resting at uid %ld gid %ld", (long)base_uid_, (long)base_gid_);
    return r;
  }
  log_info("per-user credentials: uid 0 with CAP_SETUID and CAP_SETGID only; "
           "files are touched as RUNAS (uid %ld) or as each user",
           (long)base_uid_);
  return 0;
}
