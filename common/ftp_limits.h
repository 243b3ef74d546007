/*
 * ftp_limits.h: every hard cap of the project in one place.
 *
 * Input from the network or from a member file is bounded by one of these
 * numbers at the moment it is read, never later.  A value that exceeds its cap
 * is refused with a clear error; nothing is silently truncated.
 */
#ifndef FTP_FTP_LIMITS_H
#define FTP_FTP_LIMITS_H

/* A control line (verb, argument, CRLF).  RFC 959 sets no limit; 4 KiB holds
 * any real path command while a 10 KiB line is refused as a whole. */
#define FTP_CMD_LINE_MAX 4096

/* Longest verb we accept; real verbs are 3 or 4 letters. */
#define FTP_CMD_VERB_MAX 8

/* Pipelined control input waiting to be processed; past this, the server
 * stops reading from the socket until the backlog is consumed. */
#define FTP_CMD_BACKLOG_MAX (64 * 1024)

/* A path name as given on the wire, and after resolution. */
#define FTP_PATH_MAX 4096

/* One reply line, and one whole (possibly multi-line) reply as the client
 * parses it.  A STAT listing can be long, a flood cannot be endless.  The
 * longest legitimate line is a 257 reply (PWD, MKD): it doubles every '"'
 * of a path (RFC 959 Appendix II), so a path of FTP_PATH_MAX quotes takes
 * twice that, plus the text around it. */
#define FTP_REPLY_LINE_MAX (2 * FTP_PATH_MAX + 1024)
#define FTP_REPLY_MAX (1024 * 1024)

#define FTP_USER_MAX 256
#define FTP_PASS_MAX 1024

/* FTPDATA members: a member larger than this is refused, as is a line longer
 * than FTP_CONF_LINE_MAX or a parenthesised list with too many items. */
#define FTP_CONF_MEMBER_MAX (1024 * 1024)
#define FTP_CONF_LINE_MAX 1024
#define FTP_CONF_LIST_MAX 64

/* BANNER and LOGINMSG files: z/OS shows at most 100 lines. */
#define FTP_MSG_LINES_MAX 100
#define FTP_MSG_FILE_MAX (64 * 1024)

/* USERFILE: size of the file and of one line. */
#define FTP_USERFILE_MAX (16 * 1024 * 1024)
#define FTP_USERFILE_LINE_MAX 4096

/* The data path: one file read or write, and the ceiling on ciphertext or
 * cleartext queued for the socket before the pump waits for it to drain. */
#define FTP_DATA_BLOCK (1024 * 1024)
#define FTP_DATA_QUEUE_MAX (4 * 1024 * 1024)

/* A directory listing generated in memory before it is sent. */
#define FTP_LISTING_MAX (256 * 1024 * 1024)

/* TLS resumption records (common/tlsbind): per control session, the newest
 * session tickets and TLS 1.2 session-cache entries remembered (older ones
 * no longer resume a data connection); and the PSK identities of one
 * ClientHello that are looked at (a ClientHello offering more resumes no
 * data connection). */
#define FTP_TLS_TICKETS_PER_SCOPE 16
#define FTP_TLS_CACHE_PER_SCOPE 4
#define FTP_TLS_PSK_IDS_MAX 8

/* How long a data connection waits for the login of the control connection
 * its TLS session came from (DATATIMEOUT when shorter): a login takes
 * milliseconds, a slow PAM module seconds. */
#define FTP_TLS_LOGIN_WAIT_MS 30000

/* How long a balancer's connection may take to send its PROXY protocol
 * header (HAProxy's specification: at least 3 s, to cover a TCP
 * retransmission; balancers send it at once). */
#define FTP_PROXY_WAIT_MS 5000

#endif
