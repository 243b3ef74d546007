/*
 * dataconn.h: one FTP data connection, from opening to the last byte.
 *
 * Opening: a passive listener (PASV/EPSV on the server, EPRT/PORT on the
 * client) that accepts exactly one connection from the expected peer, or an
 * active connect.  Under PROT P the TLS handshake starts the moment the TCP
 * connection exists, in the role RFC 4217 section 7 gives: the FTP client is
 * always the TLS client, whoever connected.  Under SECURE_SESSION_REUSE
 * REQUIRED both programs then check, through the same code, that the
 * session resumed: the client, that the server resumed the control
 * connection's session it offered; the server, that the session was issued
 * to this control session or to a sibling (another live control session of
 * the same user from the same client address, tlsbind.h), and nothing else.
 * The server also checks that the client certificate is the control
 * connection's (TLSCERTCROSSCHECK).
 *
 * Transferring: a file or a memory block to the peer (RETR, LIST, client
 * put: dataconn_send.c), or the peer's stream into a file or a sink (STOR,
 * client get/ls: dataconn_recv.c), with REST offsets and TYPE A conversion.
 * Reads and writes of the file go through libuv's thread pool in
 * file blocks (dataconn_blocks.c); in clear, a download from a file is sent with
 * sendfile (ftp_chan_sendfile).  This file (dataconn.c) owns the connection
 * and its timers; the transfer that runs on it owns its buffers and file.
 *
 * Ending: a sender ends with close_notify (under TLS) and a FIN before its
 * done callback; a receiver succeeds only on a clean end of stream:
 * close_notify under TLS (answered with ours), EOF in clear.  A stream cut
 * short reports FTP_E_TLS_TRUNCATED or the network error, after everything
 * that did arrive is written to the file.
 */
#ifndef FTP_DATACONN_H
#define FTP_DATACONN_H

#include <gnutls/gnutls.h>
#include <stdint.h>
#include <sys/socket.h>
#include <uv.h>

#include "buf.h"
#include "cidr.h"
#include "tls.h"

struct ftp_dataconn;

/* Which end of the FTP session we are.  RFC 4217 section 7: the FTP
 * server is the TLS server on every data connection, whoever connected. */
enum ftp_dataconn_role { FTP_DATACONN_SERVER = 1, FTP_DATACONN_CLIENT = 2 };

/* What only the FTP server sets (role FTP_DATACONN_SERVER). */
struct ftp_dataconn_server_opts {
  struct ftp_tls_resume *resume;  /* the control session's resumption scope */
  int cert_crosscheck;            /* TLSCERTCROSSCHECK */
  int have_ctrl_cert;             /* the control session had a certificate */
  unsigned char ctrl_cert_sha256[32]; /* ... and this was its SHA-256 */
  /* Listening, behind a balancer: its addresses (PROXYPROTOCOL; the array
   * must outlive the connection), and whether its connections start with a
   * PROXY protocol header naming the client (PROXYPROTOCOLDATA): only then
   * is expect_peer compared with the header's source.  Security: from any
   * other peer a header is never read. */
  const struct ftp_cidr *balancers;
  size_t nbalancers;
  int proxy_header;
};

/* What only the FTP client sets (role FTP_DATACONN_CLIENT). */
struct ftp_dataconn_client_opts {
  gnutls_session_t ctrl_session;  /* resume this control session, or NULL */
  const char *host;               /* SNI and the name to verify (copied) */
  int verify;                     /* verify the server's certificate */
  int verify_host;                /* ... and its host name */
};

struct ftp_dataconn_opts {
  uv_loop_t *loop;
  enum ftp_dataconn_role role;    /* required */
  unsigned timeout_ms;   /* accept, connect, handshake and stall; 0: none */
  unsigned keepalive;    /* DATAKEEPALIVE seconds; 0: off */
  /* Listening side: accept only a peer on this host, silently dropping
   * others (the server's PASSIVEDATACONN NOREDIRECT; the client's active
   * mode always); NULL accepts any peer.  Copied. */
  const struct sockaddr_storage *expect_peer;
  /* PROT P */
  int tls;
  struct ftp_tls_ctx *tls_ctx;
  /* SECURE_SESSION_REUSE REQUIRED: the TLS session must be resumed from
   * the control session (client), or from one this client holds (server:
   * tlsbind.h). */
  int require_resume;

  struct ftp_dataconn_server_opts server; /* read only in role SERVER */
  struct ftp_dataconn_client_opts client; /* read only in role CLIENT */
};

/* Called once: 0 when the connection (and its TLS) is ready, or the error. */
typedef void ftp_dataconn_cb(struct ftp_dataconn *dc, int status);

/* Received bytes for a sink; return 0 to go on, or an error to stop. */
typedef int ftp_dataconn_sink_cb(struct ftp_dataconn *dc, const void *p,
                                 size_t n);

/*
 * ftp_dataconn_listen: listen on bind_addr (its port is ignored) on a random
 * free port in [port_low, port_high] (0, 0: any port).  *port gets the port.
 * opts is copied.
 * RETURNS: 0, UV_EADDRINUSE when the whole range is taken, UV_EINVAL
 * without a role, or an error.
 */
int ftp_dataconn_listen(const struct ftp_dataconn_opts *opts,
                        const struct sockaddr_storage *bind_addr,
                        unsigned port_low, unsigned port_high,
                        struct ftp_dataconn **out, unsigned *port);

/* ftp_dataconn_connect: connect to target (the server's active mode, the
 * client's passive mode), within opts->timeout_ms.  opts is copied.
 * RETURNS: 0, UV_EINVAL without a role, or an error. */
int ftp_dataconn_connect(const struct ftp_dataconn_opts *opts,
                         const struct sockaddr_storage *target,
                         struct ftp_dataconn **out);

/*
 * ftp_dataconn_when_ready: cb(dc, 0) once the connection exists and its TLS
 * handshake and checks passed; cb(dc, error) if that fails or the timeout
 * expires: UV_ETIMEDOUT, FTP_E_TLS, FTP_E_TLS_VERIFY, a refusal
 * (ftp_dataconn_is_refusal), or a network error.  Deferred to a later loop
 * iteration when already decided.
 */
void ftp_dataconn_when_ready(struct ftp_dataconn *dc, ftp_dataconn_cb *cb);

/*
 * Transfers; each needs a ready connection, and a connection carries at
 * most one.  done is called once with 0 or an error (FTP_E_NOMEM when the
 * transfer's buffers cannot be had).  The file descriptor becomes the
 * connection's, even when the call fails: it is closed once the connection
 * is freed, never while a thread-pool request may still use it.
 * offset: where to start reading (send) or writing (recv); recv with offset
 * -1 appends (APPE: the file is open with O_APPEND).
 * ascii: TYPE A: LF <-> CRLF conversion on the fly.
 * RETURNS: 0; the connection's failure, or UV_EINVAL when it is not ready
 * or already carried a transfer (done never runs then).
 *
 * dataconn_send.c:
 * ftp_dataconn_send_file: the file from offset to its end: read ahead in
 * two file blocks, or with sendfile in clear without TYPE A.
 * ftp_dataconn_send_buf: data's content (a listing); data is left empty.
 *
 * dataconn_recv.c:
 * ftp_dataconn_recv_file: write behind in two file blocks.
 * ftp_dataconn_recv_sink: hand the bytes to sink as they arrive, in pieces
 * of at most FTP_DATA_NET_PIECE (+ 1 under TYPE A).
 */
int ftp_dataconn_send_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done);
int ftp_dataconn_send_buf(struct ftp_dataconn *dc, struct ftp_buf *data,
                          ftp_dataconn_cb *done);
int ftp_dataconn_recv_file(struct ftp_dataconn *dc, uv_file fd, int64_t offset,
                           int ascii, ftp_dataconn_cb *done);
int ftp_dataconn_recv_sink(struct ftp_dataconn *dc, int ascii,
                           ftp_dataconn_sink_cb *sink, ftp_dataconn_cb *done);

/*
 * ftp_dataconn_is_refusal: status is a security check's refusal of a data
 * connection that did open (522 on the server, RFC 4217 section 10), not a
 * failure to open one (425): FTP_E_TLS_NOT_RESUMED, FTP_E_TLS_SESSION_*,
 * FTP_E_TLS_CERT_MISMATCH.
 */
int ftp_dataconn_is_refusal(int status);

/* Bytes moved so far (file side, before TYPE A conversion). */
uint64_t ftp_dataconn_bytes(const struct ftp_dataconn *dc);

/* "TLSv1.3 AES-128-GCM, resumed", "clear", or "TLS not established" (PROT P,
 * but the handshake or its checks failed), for logs. */
void ftp_dataconn_describe(const struct ftp_dataconn *dc, char *buf, size_t n);

/* Connections a listener dropped: from a peer other than expect_peer, or
 * from a balancer whose PROXY header was missing or malformed. */
unsigned ftp_dataconn_strays(const struct ftp_dataconn *dc);

/* The TLS session of a secured connection, NULL in clear or before its
 * handshake and checks passed. */
gnutls_session_t ftp_dataconn_session(const struct ftp_dataconn *dc);

/* The peer's address (after the connection exists). */
int ftp_dataconn_peer(const struct ftp_dataconn *dc, struct sockaddr_storage *ss);

/*
 * ftp_dataconn_abort: stop now (ABOR, QUIT, session end).  A running
 * transfer's done gets FTP_E_ABORTED; a pending when_ready gets it too.
 */
void ftp_dataconn_abort(struct ftp_dataconn *dc);

/*
 * ftp_dataconn_free: release the connection; no callback runs afterwards.
 * After a successful send the connection lingers briefly, reading until the
 * peer closes, so that closing never resets a stream the peer is still
 * reading (its close_notify is consumed too).  Accepts NULL.
 */
void ftp_dataconn_free(struct ftp_dataconn *dc);

void ftp_dataconn_set_data(struct ftp_dataconn *dc, void *data);
void *ftp_dataconn_data(const struct ftp_dataconn *dc);

#endif
