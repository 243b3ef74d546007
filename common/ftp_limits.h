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

/* Room for the origin of every keyword in the table (checked at compile
 * time in conf_table.c). */
#define FTP_CONF_KEYWORDS_MAX 192

/* BANNER and LOGINMSG files: z/OS shows at most 100 lines. */
#define FTP_MSG_LINES_MAX 100
#define FTP_MSG_FILE_MAX (64 * 1024)

/* USERFILE: size of the file and of one line. */
#define FTP_USERFILE_MAX (16 * 1024 * 1024)
#define FTP_USERFILE_LINE_MAX 4096

/* FTPDATA diagnostics: how much of a bad value or keyword a message
 * repeats; the longest keyword a typo suggestion is computed for; the
 * longest cipher name read from a CIPHERSUITE statement. */
#define FTP_CONF_ECHO_MAX 60
#define FTP_CONF_SUGGEST_LEN_MAX 64
#define FTP_CONF_CIPHER_NAME_MAX 64

/* A small file read whole (common/file.c) is read in pieces of this size;
 * the caller's buffer limit bounds the total. */
#define FTP_FILE_READ_PIECE (64 * 1024)

/* One log line, before syslog or stderr. */
#define FTP_LOG_LINE_MAX 2048

/* ---------------------------------------------------------------------
 * Channels (common/chan).  Every number below is a tuning knob except
 * FTP_TLS_RECORD_MAX, which TLS fixes.
 */

/* The largest plaintext of one TLS record (RFC 8446 section 5.1: 2^14). */
#define FTP_TLS_RECORD_MAX 16384

/* Under TLS, a channel reads at most this much ciphertext at once. */
#define FTP_CHAN_READ_PIECE (64 * 1024)

/* Channels that release their buffers while idle (control connections)
 * read at most this much at once: commands are short, and a buffer this
 * small comes from the heap rather than from a mapping of its own. */
#define FTP_CHAN_IDLE_READ_PIECE (8 * 1024)

/* After CCC, TLS application data the peer still sends is discarded in
 * pieces of this size. */
#define FTP_CHAN_CCC_DISCARD 512

/* Control channels: ciphertext read and not yet decrypted (in), and bytes
 * queued for the socket (out): the server's long replies (STAT, HELP, a
 * listing over the control connection), the client's commands. */
#define FTP_CTRL_IN_MAX (64 * 1024)
#define FTP_CTRL_OUT_MAX_SERVER (4 * 1024 * 1024)
#define FTP_CTRL_OUT_MAX_CLIENT (1024 * 1024)

/* The GnuTLS priority string built from CIPHERSUITE. */
#define FTP_TLS_PRIORITY_MAX 4096

/* ---------------------------------------------------------------------
 * The data path (common/dataconn*).  DESIGN.md, "Performance by design":
 * large file reads, full TLS records, a bounded write queue.
 */

/* One file read (sending) or write (receiving): the sender reads ahead and
 * the receiver writes behind in two blocks each, allocated when a transfer
 * starts and freed when it ends.  Their size is the budget's share among
 * the transfers holding blocks (common/dataconn_blocks.c): the largest for
 * up to 16 transfers at once, the smallest (four TLS records) from 256 on. */
#define FTP_DATA_BLOCK_MAX (1024 * 1024)
#define FTP_DATA_BLOCK_MIN (4 * FTP_TLS_RECORD_MAX)
#define FTP_DATA_BLOCKS_BUDGET (32 * 1024 * 1024)

/* A data channel's write queue (ciphertext, or cleartext) is never longer
 * than FTP_DATA_QUEUE_MAX.  A sender stops queueing once twice its block
 * size waits and goes on when less than one block does.  Every write is
 * tried on the socket first (uv_try_write), so the queue holds only what
 * the kernel's socket buffer (autotuned to megabytes on loopback and on
 * any fast path) could not take. */
#define FTP_DATA_QUEUE_MAX (4 * 1024 * 1024)

/* Ciphertext read from a data socket and not yet decrypted. */
#define FTP_DATA_TLS_IN_MAX (512 * 1024)

/* TYPE A, and any receiving into a sink: received bytes land in a piece of
 * this size before they are converted or handed on.  (CRLF -> LF shrinks
 * data, but a CR held back from the previous piece can make the output one
 * byte longer than the piece.) */
#define FTP_DATA_NET_PIECE (64 * 1024)

/* In clear, one sendfile run on the thread pool sends at most this much,
 * so that other work in the pool gets its turn. */
#define FTP_DATA_SENDFILE_RUN (64 * 1024 * 1024)

/* A passive listener: how many ports of its range it tries, its backlog,
 * and how many connections from strangers it drops (PASSIVEDATACONN
 * NOREDIRECT) before it gives up. */
#define FTP_DATA_BIND_TRIES 1000
#define FTP_DATA_BACKLOG 4
#define FTP_DATA_STRAYS_MAX 16

/* After a complete send, how long the connection reads (and discards, in
 * pieces of FTP_DATA_LINGER_PIECE) until the peer closes: closing earlier
 * could reset data the peer has not read yet. */
#define FTP_DATA_LINGER_MS 2000
#define FTP_DATA_LINGER_PIECE 4096

/* A host name (SNI, certificate check); DNS names are at most 253 bytes. */
#define FTP_HOST_MAX 256

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

/* The smallest hash table of TLS resumption records (common/tlsbind). */
#define FTP_TLSBIND_BUCKETS_MIN 64

/* How long a data connection waits for the login of the control connection
 * its TLS session came from (DATATIMEOUT when shorter): a login takes
 * milliseconds, a slow PAM module seconds. */
#define FTP_TLS_LOGIN_WAIT_MS 30000

/* How long a balancer's connection may take to send its PROXY protocol
 * header (HAProxy's specification: at least 3 s, to cover a TCP
 * retransmission; balancers send it at once). */
#define FTP_PROXY_WAIT_MS 5000

#endif
