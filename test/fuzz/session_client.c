/*
 * session_client.c: fuzz_session's client: sending, TLS, and the reply
 * oracle (see session_client.h).
 */
#include "session_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "cmd.h"
#include "replycodes.h"
#include "session_tree.h"

/* Pipelined trickle: piece size, small enough to split verbs and CRLFs. */
#define TRICKLE 7

static void fail(const struct client *c, const char *why, int code,
                 const char *text) {
  fprintf(stderr, "fuzz_session: reply %u (%d %.300s): %s\n", c->replies, code,
          text != NULL ? text : "", why);
  abort();
}

/* --- TLS ------------------------------------------------------------------ */

static ssize_t push_cb(gnutls_transport_ptr_t p, const void *data, size_t n) {
  struct client *c = p;
  ssize_t r = send(c->fd, data, n, MSG_NOSIGNAL);

  if (r < 0) {
    gnutls_transport_set_errno(c->tls, errno);
    return -1;
  }
  c->moved += (uint64_t)r;
  return r;
}

static ssize_t pull_cb(gnutls_transport_ptr_t p, void *data, size_t n) {
  struct client *c = p;
  ssize_t r = recv(c->fd, data, n, 0);

  if (r < 0) {
    gnutls_transport_set_errno(c->tls, errno);
    return -1;
  }
  c->moved += (uint64_t)r;
  return r;
}

static int pull_timeout_cb(gnutls_transport_ptr_t p, unsigned ms) {
  struct client *c = p;
  struct pollfd pfd = {c->fd, POLLIN, 0};

  (void)ms; /* never wait: the server runs on this thread */
  return poll(&pfd, 1, 0);
}

/* The server's certificate is not verified: the server is what is under
 * test, and a handshake that fails is just a session that ends. */
static void start_tls(struct client *c) {
  if (gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK) != 0 ||
      gnutls_set_default_priority(c->tls) != 0 ||
      gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, c->o.cred) != 0) {
    fprintf(stderr, "fuzz_session: cannot set up a TLS client\n");
    abort();
  }
  gnutls_transport_set_ptr(c->tls, c);
  gnutls_transport_set_push_function(c->tls, push_cb);
  gnutls_transport_set_pull_function(c->tls, pull_cb);
  gnutls_transport_set_pull_timeout_function(c->tls, pull_timeout_cb);
  c->tls_state = CLIENT_HANDSHAKE;
}

static void to_clear(struct client *c) {
  gnutls_deinit(c->tls);
  c->tls = NULL;
  c->tls_state = CLIENT_CLEAR;
  c->ready = 1;
}

static void handshake(struct client *c) {
  int r = gnutls_handshake(c->tls);

  if (r == 0) {
    c->tls_state = CLIENT_TLS;
    /* After AUTH the 234 was the reply: the next line may go.  Implicit
     * TLS waits for the greeting. */
    c->ready = c->replies > 0;
  } else if (gnutls_error_is_fatal(r)) {
    c->dead = 1;
  }
}

/* --- the reply oracle ----------------------------------------------------- */

static int known_code(int code) {
  static const int codes[] = {
      FTP_R_RESTART_MARKER, FTP_R_READY_SOON, FTP_R_DATA_ALREADY_OPEN,
      FTP_R_FILE_OK_OPENING, FTP_R_OK, FTP_R_SUPERFLUOUS,
      FTP_R_SYSTEM_STATUS, FTP_R_DIR_STATUS, FTP_R_FILE_STATUS, FTP_R_HELP,
      FTP_R_SYSTEM_TYPE, FTP_R_READY, FTP_R_CLOSING, FTP_R_DATA_OPEN,
      FTP_R_TRANSFER_OK, FTP_R_PASV, FTP_R_EPSV, FTP_R_LOGGED_IN,
      FTP_R_LOGGED_IN_SECURITY, FTP_R_SECURITY_OK, FTP_R_FILE_ACTION_OK,
      FTP_R_PATH_CREATED, FTP_R_NEED_PASSWORD, FTP_R_NEED_ACCOUNT,
      FTP_R_PENDING, FTP_R_UNAVAILABLE, FTP_R_CANT_OPEN_DATA,
      FTP_R_TRANSFER_ABORTED, FTP_R_NEED_RESOURCE, FTP_R_FILE_BUSY,
      FTP_R_LOCAL_ERROR, FTP_R_NO_SPACE, FTP_R_SYNTAX, FTP_R_SYNTAX_ARG,
      FTP_R_NOT_IMPLEMENTED, FTP_R_BAD_SEQUENCE, FTP_R_NOT_IMPL_PARAM,
      FTP_R_PROT_REFUSED, FTP_R_EXT_UNSUPPORTED, FTP_R_NOT_LOGGED_IN,
      FTP_R_NEED_CLIENT_CERT, FTP_R_NEED_ACCOUNT_STORE,
      FTP_R_CMD_PROT_DENIED, FTP_R_POLICY_DENIED, FTP_R_PROT_UNSUPPORTED,
      FTP_R_FILE_UNAVAILABLE, FTP_R_PAGE_TYPE_UNKNOWN,
      FTP_R_EXCEEDED_STORAGE, FTP_R_BAD_FILENAME};
  size_t i;

  for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
    if (codes[i] == code)
      return 1;
  return 0;
}

/* Replies that only a command of a logged-in session can earn. */
static int needs_login(int code) {
  switch (code) {
  case FTP_R_DATA_ALREADY_OPEN:
  case FTP_R_FILE_OK_OPENING:
  case FTP_R_DIR_STATUS:
  case FTP_R_FILE_STATUS:
  case FTP_R_TRANSFER_OK:
  case FTP_R_PASV:
  case FTP_R_EPSV:
  case FTP_R_FILE_ACTION_OK:
  case FTP_R_PATH_CREATED:
  case FTP_R_PENDING:
    return 1;
  default:
    return 0;
  }
}

/* An MLST fact line (" facts name") that shows the canary's size. */
static int shows_canary(const struct ftp_reply *rep) {
  char pat[32];
  const char *line, *sp, *hit;
  size_t i, len;

  snprintf(pat, sizeof(pat), "size=%d;", FUZZ_CANARY_SIZE);
  for (i = 0; i < rep->nlines; i++) {
    line = ftp_reply_line(rep, i, &len);
    if (len < 2 || line[0] != ' ')
      continue;
    sp = memchr(line + 1, ' ', len - 1);
    hit = memmem(line, sp != NULL ? (size_t)(sp - line) : len, pat, strlen(pat));
    if (hit != NULL)
      return 1;
  }
  return 0;
}

/* Lockstep: does the login this reply announces have a reason? */
static int login_deserved(const struct client *c, int code) {
  static const struct {
    const char *user, *password;
  } accounts[] = {{"alice", "alice-pw"}, {"bob", "bob-pw"}};
  size_t i;

  if (code == FTP_R_LOGGED_IN_SECURITY)
    return strcmp(c->verb, "USER") == 0 && strcmp(c->arg, "alice") == 0 &&
           c->o.has_cert && c->tls_state == CLIENT_TLS;
  if (strcmp(c->verb, "PASS") != 0)
    return 0;
  if (c->o.anonymous && (strcasecmp(c->user, "anonymous") == 0 ||
                         strcasecmp(c->user, "ftp") == 0))
    return 1;
  for (i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++)
    if (strcmp(c->user, accounts[i].user) == 0 &&
        strcmp(c->arg, accounts[i].password) == 0)
      return 1;
  return 0;
}

static void check_reply(struct client *c, struct ftp_reply *rep) {
  const char *text = ftp_reply_text(rep);
  size_t len = ftp_buf_len(&rep->text);
  int code = rep->code;
  char canary[16];

  if (!known_code(code))
    fail(c, "a reply code that replycodes.h does not name", code, text);
  if (memchr(text, '\0', len) != NULL || memchr(text, '\r', len) != NULL)
    fail(c, "NUL or CR in a reply", code, text);
  if (c->ended)
    fail(c, "a reply after 221 or 421", code, text);
  if (c->replies == 0 && code != FTP_R_READY && code != FTP_R_UNAVAILABLE)
    fail(c, "the first reply is not 220 or 421", code, text);
  /* A login (not "Already logged in"), or a user name taken, in clear. */
  if (c->o.tls_required && c->tls_state != CLIENT_TLS && !c->logged_in &&
      (code == FTP_R_LOGGED_IN || code == FTP_R_LOGGED_IN_SECURITY ||
       code == FTP_R_NEED_PASSWORD))
    fail(c, "a login step in clear under SECURE_FTP REQUIRED", code, text);
  if (c->o.lockstep && !c->logged_in &&
      (code == FTP_R_LOGGED_IN || code == FTP_R_LOGGED_IN_SECURITY) &&
      !login_deserved(c, code))
    fail(c, "a login that no password or certificate earned", code, text);
  if (code == FTP_R_LOGGED_IN || code == FTP_R_LOGGED_IN_SECURITY)
    c->logged_in = 1;
  /* The server took this name (a USER it refuses changes nothing, or
   * leaves no user for PASS at all). */
  if (code == FTP_R_NEED_PASSWORD && strcmp(c->verb, "USER") == 0)
    snprintf(c->user, sizeof(c->user), "%s", c->arg);
  else if (code == FTP_R_READY && c->replies > 0)
    c->logged_in = 0; /* REIN */
  if (!c->logged_in && needs_login(code))
    fail(c, "a logged-in reply without a login", code, text);
  snprintf(canary, sizeof(canary), "%d", FUZZ_CANARY_SIZE);
  if ((code == FTP_R_FILE_STATUS && strcmp(text, canary) == 0) ||
      (code == FTP_R_FILE_ACTION_OK && shows_canary(rep)))
    fail(c, "the canary beside the root is visible", code, text);
  if (code == FTP_R_CLOSING || code == FTP_R_UNAVAILABLE)
    c->ended = 1;
  c->replies++;
}

/* The protocol steps of a lockstep client after a final reply. */
static void follow(struct client *c, int code) {
  if (c->o.lockstep && code == FTP_R_SECURITY_OK &&
      strcmp(c->verb, "AUTH") == 0 && c->tls_state == CLIENT_CLEAR) {
    start_tls(c);
  } else if (c->o.lockstep && code == FTP_R_OK && strcmp(c->verb, "CCC") == 0 &&
             c->tls_state == CLIENT_TLS) {
    /* RFC 4217 section 6: our close_notify, then theirs. */
    if (c->o.ccc_no_notify) {
      to_clear(c);
    } else {
      gnutls_bye(c->tls, GNUTLS_SHUT_WR);
      c->tls_state = CLIENT_BYE;
    }
  } else if (code == FTP_R_SECURITY_OK) {
    /* A 234 we do not follow (pipelined): what comes next is the server's
     * side of a TLS handshake with our bytes, not replies. */
    c->dead = 1;
  } else {
    c->ready = 1;
  }
}

/* A final reply that ends a transfer while another line (STAT, ABOR) is
 * the current one: the transfer's, not that line's.  RETURNS: 1 when the
 * reply was the transfer's and the current line still waits for its own. */
static int transfer_final(struct client *c, int code) {
  if (c->xfer_line == 0)
    return 0;
  if (c->xfer_line == c->line_end) {
    c->xfer_line = 0; /* the transfer command's own final reply */
    return 0;
  }
  /* ABOR: the transfer's 426 (or 226) first, then ABOR's own.  STAT: its
   * 211 or 213 may come before or after the transfer's final reply. */
  if (strcmp(c->verb, "ABOR") == 0 || (code != FTP_R_SYSTEM_STATUS &&
                                       code != FTP_R_FILE_STATUS)) {
    c->xfer_line = 0;
    return 1;
  }
  return 0;
}

static void feed(struct client *c, const char *p, size_t n) {
  size_t used;
  int r;

  while (n > 0 && !c->dead) {
    r = ftp_reply_parse(&c->rp, p, n, &used, &c->rep);
    if (r < 0)
      fail(c, "the reply stream does not parse", r, NULL);
    p += used;
    n -= used;
    if (r != FTP_REPLY_COMPLETE)
      break;
    check_reply(c, &c->rep);
    if (c->rep.code < 200)
      c->xfer_line = c->line_end;
    else if (!transfer_final(c, c->rep.code))
      follow(c, c->rep.code);
  }
}

/* --- sending and receiving ------------------------------------------------ */

/* The next line to send, up to its LF, framed as the server will frame it
 * (Telnet IAC stripped, verb upper-cased): c->verb and c->arg, both empty
 * for a line the server refuses. */
static void start_line(struct client *c) {
  const uint8_t *lf = memchr(c->in + c->in_off, '\n', c->in_len - c->in_off);
  struct ftp_cmd_reader rd;
  struct ftp_cmd cmd;

  c->line_end = lf != NULL ? (size_t)(lf - c->in) + 1 : c->in_len;
  c->verb[0] = c->arg[0] = '\0';
  ftp_cmd_reader_init(&rd);
  if (ftp_cmd_reader_feed(&rd, c->in + c->in_off, c->line_end - c->in_off) == 0 &&
      ftp_cmd_reader_next(&rd, &cmd) == 1) {
    snprintf(c->verb, sizeof(c->verb), "%s", cmd.verb);
    snprintf(c->arg, sizeof(c->arg), "%s", cmd.arg);
  }
  ftp_cmd_reader_free(&rd);
  c->ready = 0;
}

static void send_some(struct client *c) {
  size_t end, n;
  ssize_t r;

  while (!c->dead && !c->shut && c->in_off < c->in_len) {
    if (c->tls_state == CLIENT_HANDSHAKE || c->tls_state == CLIENT_BYE)
      return;
    end = c->in_len;
    if (c->o.lockstep) {
      if (c->in_off >= c->line_end) {
        if (!c->ready)
          return;
        start_line(c);
      }
      end = c->line_end;
    } else if (c->o.trickle && end - c->in_off > TRICKLE) {
      end = c->in_off + TRICKLE;
    }
    n = end - c->in_off;
    if (c->tls_state == CLIENT_TLS) {
      r = gnutls_record_send(c->tls, c->in + c->in_off, n > 16384 ? 16384 : n);
      if (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED)
        return;
    } else {
      r = send(c->fd, c->in + c->in_off, n, MSG_NOSIGNAL);
      if (r < 0 && (errno == EAGAIN || errno == EINTR))
        return;
      if (r > 0)
        c->moved += (uint64_t)r;
    }
    if (r <= 0) {
      c->dead = 1; /* the server is gone */
      return;
    }
    c->in_off += (size_t)r;
    if (c->o.trickle)
      return; /* one piece per turn of the loop */
  }
}

/* One read: TLS records or clear bytes.  RETURNS: 1 to read again. */
static int recv_once(struct client *c) {
  char buf[16384];
  ssize_t n;

  if (c->tls_state == CLIENT_HANDSHAKE && !c->dead) {
    handshake(c);
    return c->tls_state != CLIENT_HANDSHAKE;
  }
  if (!c->dead && (c->tls_state == CLIENT_TLS || c->tls_state == CLIENT_BYE)) {
    n = gnutls_record_recv(c->tls, buf, sizeof(buf));
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
      return 0;
    if (n == 0 && c->tls_state == CLIENT_BYE) {
      to_clear(c); /* their close_notify: clear from here on */
      return 1;
    }
    if (n == 0) {
      c->eof = 1;
      return 0;
    }
    if (n < 0) {
      if (gnutls_error_is_fatal((int)n))
        c->dead = 1;
      return 1;
    }
  } else {
    n = recv(c->fd, buf, sizeof(buf), 0);
    if (n < 0)
      return 0;
    c->moved += (uint64_t)n;
    if (n == 0) {
      c->eof = 1;
      return 0;
    }
    if (c->dead)
      return 1; /* drained, not read */
  }
  feed(c, buf, (size_t)n);
  return 1;
}

void client_init(struct client *c, const struct client_opts *o, int fd,
                 const uint8_t *in, size_t len) {
  memset(c, 0, sizeof(*c));
  c->o = *o;
  c->fd = fd;
  c->in = in;
  c->in_len = len;
  ftp_reply_parser_init(&c->rp);
  ftp_reply_init(&c->rep);
  if (o->implicit)
    start_tls(c);
}

int client_io(struct client *c) {
  uint64_t moved = c->moved;
  unsigned replies = c->replies;
  enum client_tls state = c->tls_state;

  send_some(c);
  while (!c->eof && recv_once(c))
    send_some(c);
  return c->moved != moved || c->replies != replies || c->tls_state != state;
}

int client_has_input(const struct client *c) {
  return c->in_off < c->in_len && !c->dead && !c->shut && !c->eof &&
         c->tls_state != CLIENT_HANDSHAKE && c->tls_state != CLIENT_BYE;
}

int client_waiting(const struct client *c) {
  return c->o.lockstep && !c->ready && c->in_off >= c->line_end;
}

void client_push(struct client *c) { c->ready = 1; }

void client_shutdown(struct client *c) {
  shutdown(c->fd, SHUT_WR);
  c->shut = 1;
}

void client_free(struct client *c) {
  if (c->tls != NULL)
    gnutls_deinit(c->tls);
  c->tls = NULL;
  ftp_reply_free(&c->rep);
  ftp_reply_parser_free(&c->rp);
}
