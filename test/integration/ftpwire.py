"""ftpwire: FTP and FTPS over raw sockets, every byte under the test's
control (Python `ssl` over memory BIOs), and the ftpd such tests talk to.

    srv = ftpwire.ftpd("strict", ["SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE"],
                       files={"one.bin": 1}).start()
    c = Ctrl(srv.host, srv.port)          # reads the 220
    c.cmd("AUTH TLS"); c.starttls(client_context(srv.cafile))
    c.login()                             # USER / PASSWORD
    ...
    srv.stop()

ftpd() configures the one launcher, ftpd_harness.Ftpd; every socket here
has a timeout.
"""

import re
import socket
import ssl

import ftptest
from ftpd_harness import Ftpd, loopbacks

# The account Ctrl.login() uses unless told otherwise, which ftpd() serves.
USER = "tester"
PASSWORD = "t3st-pw"
SOCK_TIMEOUT = 10


def ftpd(name, keywords=(), files=None, implicit=False, users=None, user_options=None,
         keyring=None):
    """An ftpd_harness.Ftpd (not started) for raw-socket and interop tests:
    on 127.0.0.1 and ::1 (when it can be bound), explicit TLS with the run's
    certificate (keyring=False: none, AUTH is then 431), CAFILE the run's CA
    (client certificates), a range of 40 passive ports, DATATIMEOUT 15,
    LOGINATTEMPTS 100, TLSPORT when `implicit`, then `keywords` (member
    statements, last).  Users: USER/PASSWORD, then `users` ({name:
    password}, None for a certificate-only login) with `user_options`
    ({name: "cert-sha256=..."}), all sharing USER's home, in which `files`
    ({name: size}) are made (.hashes, .path(name))."""
    member = [f"CAFILE {ftptest.certs().ca_cert}", "DATATIMEOUT 15", "LOGINATTEMPTS 100",
              *keywords]
    return Ftpd(f"ftpd-{name}", member=member, users={USER: PASSWORD, **(users or {})},
                hosts=loopbacks(), tls=True, user_options=user_options, keyring=keyring,
                implicit=implicit, passive=40, files=files or {}, shared_home=True)


# ---------------------------------------------------------------------------
# Raw connections.  TLS runs over memory BIOs (ssl.SSLObject), so that the
# test sees every byte: what arrives after a 234 or a 200 for CCC, whether a
# close_notify came, and the same TCP socket can go on in clear after CCC.

def client_context(cafile, tls=None, cert=None, tickets=None):
    """An ssl client context trusting `cafile`, host name "localhost"
    checked, TLS pinned to "1.2"/"1.3" when asked ("1.2-sid": TLS 1.2
    without session tickets, so that sessions resume by session ID from the
    server's cache), `cert` (a ClientCert) presented when given.  tickets: a
    list that receives (connection, direction) for every NewSessionTicket
    message seen (OpenSSL's message callback)."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if tls == "1.2-sid":
        ctx.options |= ssl.OP_NO_TICKET
        tls = "1.2"
    if tls:
        v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tls]
        ctx.minimum_version = ctx.maximum_version = v
    if cert is not None:
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
    if tickets is not None:
        def cb(conn, direction, version, content_type, msg_type, data):
            if (content_type == ssl._TLSContentType.HANDSHAKE
                    and msg_type == ssl._TLSMessageType.NEWSESSION_TICKET):
                tickets.append((conn, direction))
        ctx._msg_callback = cb
    return ctx


class Tls:
    """TLS client over a connected socket, driven through memory BIOs.
    preread: bytes that already arrived and belong to the TLS stream."""

    def __init__(self, sock, ctx, hostname="localhost", session=None, preread=b""):
        self.sock = sock
        self.inb, self.outb = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.obj = ctx.wrap_bio(self.inb, self.outb, server_hostname=hostname,
                                session=session)
        if preread:
            self.inb.write(preread)
        self.peer_closed = False     # the peer's close_notify arrived

    def _flush(self):
        d = self.outb.read()
        if d:
            self.sock.sendall(d)

    def _fill(self):
        d = self.sock.recv(1 << 16)
        if d:
            self.inb.write(d)
        else:
            self.inb.write_eof()

    def _io(self, fn, *args):
        while True:
            try:
                r = fn(*args)
                self._flush()
                return r
            except ssl.SSLWantReadError:
                self._flush()
                if self.inb.eof:
                    raise ssl.SSLEOFError("TCP EOF inside the TLS stream")
                self._fill()

    def handshake(self):
        self._io(self.obj.do_handshake)
        return self

    def recv(self, n=1 << 16):
        """Plaintext; b"" once the peer's close_notify came.  A TCP EOF
        without close_notify raises ssl.SSLEOFError (truncation)."""
        if self.peer_closed:
            return b""
        try:
            b = self._io(self.obj.read, n)
        except ssl.SSLZeroReturnError:
            b = b""
        # CPython's read() returns b"" on a close_notify; a TCP EOF without
        # one raises SSLEOFError (no suppress_ragged_eofs on SSLObject).
        if not b:
            self.peer_closed = True
        return b

    def sendall(self, data):
        view = memoryview(data)
        while view:
            n = self._io(self.obj.write, view[:1 << 16])
            view = view[n:]

    def close_notify(self):
        """Send our close_notify (without waiting for the peer's)."""
        try:
            self.obj.unwrap()
        except (ssl.SSLWantReadError, ssl.SSLZeroReturnError):
            pass
        self._flush()

    def leftover(self):
        """Raw bytes received but not consumed by TLS."""
        return self.inb.read()

    @property
    def session(self):
        return self.obj.session

    def resumed(self):
        return self.obj.session_reused

    def version(self):
        return self.obj.version()


class Reply:
    def __init__(self, code, lines):
        self.code = code
        self.lines = lines

    @property
    def text(self):
        return "\n".join(self.lines)

    def __repr__(self):
        return f"<Reply {self.text!r}>"


class Ctrl:
    """A control connection driven byte by byte.  Reads the greeting
    unless greet=False.  After starttls(), everything goes through TLS;
    after ccc(), in clear again on the same socket."""

    def __init__(self, host, port, greet=True, timeout=SOCK_TIMEOUT, source=None):
        self.host = host
        self.sock = socket.create_connection(
            (host, port), timeout=timeout,
            source_address=(source, 0) if source else None)
        self.tls = None
        self.buf = b""
        self.greeting = self.reply() if greet else None

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False

    def send(self, data):
        data = data if isinstance(data, bytes) else data.encode()
        if self.tls:
            self.tls.sendall(data)
        else:
            self.sock.sendall(data)

    def recv(self):
        return self.tls.recv() if self.tls else self.sock.recv(1 << 16)

    def _line(self):
        while b"\r\n" not in self.buf:
            chunk = self.recv()
            if not chunk:
                raise EOFError(f"connection closed; unparsed {self.buf!r}")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line.decode("utf-8", errors="replace")

    def reply(self):
        """One whole reply (RFC 959 multi-line form handled)."""
        first = self._line()
        m = re.match(r"^(\d{3})([ -])", first)
        if not m:
            raise AssertionError(f"not a reply line: {first!r}")
        lines = [first]
        if m.group(2) == "-":
            end = m.group(1) + " "
            while True:
                line = self._line()
                lines.append(line)
                if line.startswith(end):
                    break
        return Reply(int(m.group(1)), lines)

    def cmd(self, line):
        self.send(line + "\r\n")
        return self.reply()

    def expect(self, line, code):
        r = self.cmd(line)
        if r.code != code:
            raise AssertionError(f"{line!r}: expected {code}, got {r.text!r}")
        return r

    def starttls(self, ctx):
        """Handshake now (after 234, or at once for implicit TLS).  Bytes
        after the 234 would be an injection: refuse them."""
        if self.buf:
            raise AssertionError(f"bytes after 234: {self.buf!r}")
        self.tls = Tls(self.sock, ctx).handshake()
        return self.tls

    def login(self, user=USER, password=PASSWORD):
        r = self.cmd(f"USER {user}")
        if r.code == 331:
            r = self.cmd(f"PASS {password}")
        if r.code not in (230, 232):
            raise AssertionError(f"login as {user} failed: {r.text!r}")
        return r

    def secure_login(self, ctx, user=USER, password=PASSWORD, prot="P"):
        self.expect("AUTH TLS", 234)
        self.starttls(ctx)
        self.login(user, password)
        self.expect("PBSZ 0", 200)
        if prot:
            self.expect(f"PROT {prot}", 200)
        return self

    def epsv(self):
        """EPSV: the data port on the control connection's address."""
        r = self.expect("EPSV", 229)
        return int(re.search(r"\|\|\|(\d+)\|", r.text).group(1))

    def pasv(self):
        """PASV: (host, port) from the 227 reply."""
        r = self.expect("PASV", 227)
        h = [int(x) for x in re.search(r"(\d+,\d+,\d+,\d+,\d+,\d+)", r.text).group(1).split(",")]
        return ".".join(map(str, h[:4])), h[4] * 256 + h[5]

    def quiet_for(self, seconds):
        """True if no byte (TLS or clear, buffered or new) arrives for
        `seconds`."""
        if self.buf or (self.tls and self.tls.inb.pending):
            return False
        self.sock.settimeout(seconds)
        try:
            self.sock.recv(1, socket.MSG_PEEK)
            return False
        except socket.timeout:
            return True
        finally:
            self.sock.settimeout(SOCK_TIMEOUT)


class Data:
    """A data connection, in clear (ctx None) or TLS (resuming `session`)."""

    def __init__(self, host, port, ctx=None, session=None, timeout=SOCK_TIMEOUT):
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.tls = Tls(self.sock, ctx, session=session).handshake() if ctx else None

    @classmethod
    def for_ctrl(cls, c, port, ctx=None, resume=True):
        session = c.tls.session if (ctx is not None and resume and c.tls) else None
        return cls(c.host, port, ctx, session)

    def read_all(self, limit=1 << 30):
        """Everything until the end: under TLS the close_notify must come
        (ssl.SSLEOFError otherwise)."""
        out = bytearray()
        while len(out) <= limit:
            b = self.tls.recv() if self.tls else self.sock.recv(1 << 20)
            if not b:
                break
            out += b
        return bytes(out)

    def send(self, data):
        if self.tls:
            self.tls.sendall(data)
        else:
            self.sock.sendall(data)

    def finish(self):
        """A clean end: our close_notify, FIN; wait for the peer's end."""
        if self.tls:
            self.tls.close_notify()
        self.sock.shutdown(socket.SHUT_WR)
        try:
            while (self.tls.recv() if self.tls else self.sock.recv(1 << 16)):
                pass
        except (ssl.SSLError, OSError):
            pass
        self.close()

    def close(self):
        """Close the socket as is (no close_notify: a cut stream)."""
        try:
            self.sock.close()
        except OSError:
            pass
