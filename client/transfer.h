/*
 * transfer.h: the transfers the shell's commands and URL mode run, with
 * what the user sees of them (progress, the summary line) and the local
 * file each one reads or writes.
 *
 * A download is written to LOCAL.part and renamed to LOCAL only when
 * ftpc_transfer succeeded, which means the data stream ended cleanly (with
 * close_notify under TLS) and the server said 2xx.  Any failure keeps the
 * .part file (reget resumes it with REST) and fails the command.  Where
 * LOCAL is a symbolic link, that happens beside its target; a device, FIFO
 * or socket is written in place (dest.h), and a failure there is said so.
 *
 * Each function returns an exit status class (enum ftpc_exit), with the
 * reason in sh->err when not 0.
 */
#ifndef FTPC_TRANSFER_H
#define FTPC_TRANSFER_H

struct ftpc_shell;

/*
 * ftpc_sh_download: RETR remote into local (via local.part, renamed on
 * success; "-" writes to stdout), resuming local.part with REST when
 * resume.
 */
int ftpc_sh_download(struct ftpc_shell *sh, const char *remote, const char *local,
                     int resume);

/* ftpc_sh_upload: STOR (or APPE when append) local to remote. */
int ftpc_sh_upload(struct ftpc_shell *sh, const char *local, const char *remote,
                   int append);

/*
 * ftpc_sh_list: LIST, NLST or MLSD (kind: enum ftpc_xfer_kind) of remote
 * (NULL: ".") to local ("-" or NULL: stdout, where a terminal gets control
 * characters replaced; append_local: append to local).
 */
int ftpc_sh_list(struct ftpc_shell *sh, int kind, const char *remote, const char *local,
                 int append_local);

#endif
