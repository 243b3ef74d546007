/*
 * chan.h: a byte channel over a libuv TCP stream that can start TLS (AUTH,
 * implicit TLS), stop it (CCC) and close with close_notify.
 *
 * The same code serves the control connection and every data connection, in
 * the server and in the client.  The read interface mirrors libuv's: the
 * consumer lends a buffer (alloc_cb) and is handed plaintext in it (read_cb),
 * so cleartext data goes from the kernel straight into the consumer's buffer
 * and TLS records are decrypted straight into it.
 *
 * Under TLS, libuv reads ciphertext into the channel's input buffer; GnuTLS's
 * pull function takes from it and reports EAGAIN when it is empty; the push
 * function appends ciphertext to the output queue, which is written with one
 * uv_try_write (then uv_write for the rest) per ftp_chan_write call.  The
 * queue never blocks a writer: writers check ftp_chan_queued() against their
 * own high-water mark and wait for ftp_chan_on_drain().
 *
 * The channel alone owns its uv_tcp_t: connections are accepted or
 * connected, socket options set, urgent data and files sent through the
 * functions below, never on the handle itself.
 *
 * Every callback runs on the loop thread, never from inside the call that
 * armed it.  After ftp_chan_close() no callback but the close callback runs.
 * As with libuv, the program ignores SIGPIPE: a write to a peer that is
 * gone then reports UV_EPIPE.
 */
#ifndef FTP_CHAN_H
#define FTP_CHAN_H

#include <gnutls/gnutls.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

struct ftp_chan;

/* The consumer lends a buffer for plaintext; a zero-length buffer pauses
 * reading (as if ftp_chan_read_stop had been called). */
typedef void ftp_chan_alloc_cb(struct ftp_chan *ch, size_t suggested,
                               uv_buf_t *buf);

/*
 * nread > 0: plaintext in buf.  0: nothing this time (buf is returned).
 * UV_EOF: a clean end: TCP EOF in clear, or close_notify under TLS.
 * FTP_E_TLS_TRUNCATED: TCP EOF under TLS without close_notify.
 * Other negative: an error (FTP_E_TLS for a TLS failure; see
 * ftp_chan_tls_error).  After any negative value no more reads arrive.
 */
typedef void ftp_chan_read_cb(struct ftp_chan *ch, ssize_t nread,
                              const uv_buf_t *buf);

/* Completion of a connect, a handshake, a shutdown, a drain or a sendfile:
 * 0 or an error. */
typedef void ftp_chan_status_cb(struct ftp_chan *ch, int status);

typedef void ftp_chan_close_cb(struct ftp_chan *ch);

/* Progress of ftp_chan_sendfile: n more bytes of the file were sent. */
typedef void ftp_chan_sent_cb(struct ftp_chan *ch, size_t n);

struct ftp_chan_opts {
  size_t in_max;     /* ciphertext read buffer; >= 17 KiB (one TLS record) */
  size_t out_max;    /* hard cap of the write queue */
  int release_idle;  /* free buffers whenever they empty, read in small
                      * pieces (control channels) */
};

/*
 * ftp_chan_new: a channel that is not connected yet: ftp_chan_accept or
 * ftp_chan_connect it, then start reading or TLS.
 * RETURNS: 0, FTP_E_NOMEM, or a libuv error.
 */
int ftp_chan_new(uv_loop_t *loop, const struct ftp_chan_opts *opts,
                 struct ftp_chan **out);
uv_loop_t *ftp_chan_loop(struct ftp_chan *ch);

/*
 * ftp_chan_accept: take the connection waiting on listener (a listening
 * uv_tcp_t, from inside its connection callback) into this new channel.
 * The listener stays its owner's.
 * RETURNS: 0, or libuv's error (the channel is then still unconnected and
 * the caller closes it).
 */
int ftp_chan_accept(struct ftp_chan *ch, uv_stream_t *listener);

/*
 * ftp_chan_open: make this new channel run on sock, a connected stream
 * socket the caller made (a socketpair in the session fuzz harness).
 * ftp_chan_bind: the source address of a channel about to connect (the
 * load generator spreads its connections over 127.0.0.0/8).
 * RETURNS: 0, or libuv's error.
 */
int ftp_chan_open(struct ftp_chan *ch, uv_os_sock_t sock);
int ftp_chan_bind(struct ftp_chan *ch, const struct sockaddr *addr);

/*
 * ftp_chan_connect: connect this new channel to addr; cb(ch, 0) once
 * connected, cb(ch, error) if that fails.  The channel sets no time limit:
 * whoever asks runs its own timer and calls ftp_chan_close when it expires
 * (cb then does not run).
 * RETURNS: 0; or an error, and cb never runs.
 */
int ftp_chan_connect(struct ftp_chan *ch, const struct sockaddr *addr,
                     ftp_chan_status_cb *cb);

/* The consumer's pointer. */
void ftp_chan_set_data(struct ftp_chan *ch, void *data);
void *ftp_chan_data(const struct ftp_chan *ch);

/* Local and peer addresses, IPv4-mapped IPv6 normalised to IPv4. */
int ftp_chan_peer(const struct ftp_chan *ch, struct sockaddr_storage *ss);
int ftp_chan_local(const struct ftp_chan *ch, struct sockaddr_storage *ss);

/*
 * Reading.  Plaintext already buffered (TLS records, bytes left over after
 * CCC) is delivered on a later loop iteration, never inside read_start.
 */
int ftp_chan_read_start(struct ftp_chan *ch, ftp_chan_alloc_cb *alloc_cb,
                        ftp_chan_read_cb *read_cb);
void ftp_chan_read_stop(struct ftp_chan *ch);

/*
 * ftp_chan_write: queue n bytes (encrypted under TLS) and start writing them.
 * The bytes are copied; p may be reused at once.
 * RETURNS: 0; UV_EPIPE after shutdown or close; UV_EBUSY while a file is
 * being sent (ftp_chan_sendfile); a previous write error; FTP_E_TOOBIG past
 * out_max; FTP_E_TLS.
 */
int ftp_chan_write(struct ftp_chan *ch, const void *p, size_t n);

/* Bytes queued and not yet handed to the kernel. */
size_t ftp_chan_queued(const struct ftp_chan *ch);

/*
 * ftp_chan_on_drain: call cb once, as soon as fewer than below bytes are
 * queued (on a later iteration if that is already so).  A second call
 * replaces the first; cb NULL cancels.  cb gets 0, or a write error.
 */
void ftp_chan_on_drain(struct ftp_chan *ch, size_t below,
                       ftp_chan_status_cb *cb);

/*
 * ftp_chan_tls_start: run a TLS handshake on session s, which the channel
 * owns from now on (deinit at close).
 * preread: bytes that already arrived and belong to the TLS stream (after
 * AUTH: whatever followed the AUTH line); they are handed to GnuTLS as
 * ciphertext, never interpreted as commands.
 * done(ch, 0) once the handshake completes, or done(ch, error): UV_EOF,
 * FTP_E_TLS, FTP_E_TLS_VERIFY (client: certificate refused).  Reading for
 * the handshake is the channel's business; the consumer's read state is kept.
 */
int ftp_chan_tls_start(struct ftp_chan *ch, gnutls_session_t s,
                       const void *preread, size_t n, ftp_chan_status_cb *done);

/* How an end leaves TLS at CCC (RFC 4217 section 6). */
enum ftp_chan_ccc {
  /* No close_notify at all (TLSRFCLEVEL CCCNONOTIFY). */
  FTP_CHAN_CCC_SILENT,
  /* Our close_notify goes at once: the client, which has read the 200
   * (lftp, curl --ftp-ssl-ccc-mode active and our ftp do the same). */
  FTP_CHAN_CCC_NOTIFY,
  /* The server, which has just queued its 200: our close_notify goes only
   * once the 200 has been written and then either the peer's close_notify
   * or its first cleartext byte arrived, or settle_ms passed in silence
   * (curl's passive mode sends nothing and waits for ours).  lftp takes a
   * close_notify that it reads together with the 200 for the end of the
   * connection; answering it after its own close_notify never races. */
  FTP_CHAN_CCC_ANSWER
};

/* The server's settle time for FTP_CHAN_CCC_ANSWER: long enough for a
 * client that read the 200 to send its close_notify first, short enough
 * for one that waits for ours (curl waits 10 s, lftp 1 s before CCC). */
#define FTP_CHAN_CCC_SETTLE_MS 500

/*
 * ftp_chan_tls_stop: CCC (RFC 4217 section 6).  After this call, what is
 * written goes in clear, and how is the end's way of leaving TLS (see
 * enum ftp_chan_ccc; settle_ms matters only to FTP_CHAN_CCC_ANSWER).
 * Security: TLS-protected bytes never turn into cleartext.  Incoming bytes
 * that look like a TLS record are consumed as TLS until the peer's
 * close_notify (application data there is discarded, not delivered), the
 * rest is delivered as plaintext; a pending close_notify of ours always
 * leaves before any cleartext we write and before any cleartext the peer
 * sent is delivered, so that both streams end TLS in order.
 * RETURNS: 0; UV_EINVAL when TLS is not open.
 */
int ftp_chan_tls_stop(struct ftp_chan *ch, enum ftp_chan_ccc how,
                      unsigned settle_ms);

/* The TLS session (NULL in clear); 1 while TLS protects the channel. */
gnutls_session_t ftp_chan_session(const struct ftp_chan *ch);
int ftp_chan_is_tls(const struct ftp_chan *ch);

/* The last GnuTLS error on this channel, for logs: as text ("" if none),
 * or as a code for log_*_r (ftp_err_gnutls; 0 if none). */
const char *ftp_chan_tls_error(const struct ftp_chan *ch);
int ftp_chan_tls_err(const struct ftp_chan *ch);

/*
 * ftp_chan_shutdown: end our direction: under TLS, close_notify; then, once
 * everything queued is written, a TCP FIN.  Reading goes on (a peer's
 * close_notify or EOF still arrives through read_cb).  cb(ch, status) once.
 * RETURNS: 0; UV_EPIPE after shutdown or close; UV_EBUSY while a file is
 * being sent.
 */
int ftp_chan_shutdown(struct ftp_chan *ch, ftp_chan_status_cb *cb);

/*
 * ftp_chan_close: close now.  Queued bytes are dropped.  cb (may be NULL)
 * runs once the handles are closed and no sendfile piece runs any more; the
 * channel is freed right after it.
 */
void ftp_chan_close(struct ftp_chan *ch, ftp_chan_close_cb *cb);

/*
 * Socket options, once the channel is connected.  Each returns 0 or the
 * system's error.
 * ftp_chan_set_nodelay: TCP_NODELAY on (1) or off (0): replies and data
 * blocks leave at once rather than waiting for the previous ACK.
 * ftp_chan_set_keepalive: TCP keepalive (FTPKEEPALIVE / DATAKEEPALIVE);
 * seconds 0 turns it off.
 * ftp_chan_set_oobinline: SO_OOBINLINE: urgent data (a Telnet Synch's byte,
 * RFC 854) stays in the stream, where the command reader strips it.
 */
int ftp_chan_set_nodelay(struct ftp_chan *ch, int on);
int ftp_chan_set_keepalive(struct ftp_chan *ch, unsigned seconds);
int ftp_chan_set_oobinline(struct ftp_chan *ch);

/*
 * ftp_chan_send_urgent: send p[0..n) at once as TCP urgent data (MSG_OOB),
 * for the Telnet Synch that precedes ABOR (RFC 959 section 4.1.3).  Only in
 * clear and with nothing queued: urgent bytes must not overtake queued
 * ones, and TLS cannot protect them (RFC 4217 section 14).
 * RETURNS: 0 when all n bytes left; UV_EINVAL under TLS (or while our CCC
 * close_notify is owed); UV_EAGAIN while bytes are queued or a file is being
 * sent, or when the socket took fewer than n; UV_EPIPE after shutdown or
 * close; another system error.  On an error the caller sends the bytes
 * inline with ftp_chan_write.
 */
int ftp_chan_send_urgent(struct ftp_chan *ch, const void *p, size_t n);

/*
 * ftp_chan_sendfile: send the file fd from offset to its end with
 * sendfile(2), the kernel moving the pages straight to the socket.  In
 * clear only, with nothing queued; while it runs, ftp_chan_write and
 * ftp_chan_shutdown return UV_EBUSY.  progress(ch, n) after each piece sent;
 * done(ch, 0) at the end of the file, done(ch, error) on a failure.  The
 * caller keeps fd open until done ran, or until the close callback ran if
 * the channel is closed first: a piece may still run on the thread pool
 * until then.
 * RETURNS: 0; or UV_EINVAL under TLS, UV_EBUSY with bytes queued or a file
 * already being sent, UV_EPIPE after shutdown or close, a system error; the
 * callbacks never run then.
 */
int ftp_chan_sendfile(struct ftp_chan *ch, uv_file fd, int64_t offset,
                      ftp_chan_sent_cb *progress, ftp_chan_status_cb *done);

/* ftp_chan_sendfile_stop: stop sending the file; neither callback runs
 * again.  A piece already on the thread pool completes unseen. */
void ftp_chan_sendfile_stop(struct ftp_chan *ch);

#endif
