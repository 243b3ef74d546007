"""fakeftps: a scripted FTPS server (Python ssl) that breaks the protocol
where ftpd, vsftpd and ProFTPD never would, for the tests of our client.

    with FakeFtps(cut=True) as srv:        # serves one session in a thread
        ... run client/ftp against srv.host, srv.port (CA: srv.cafile) ...
    srv.log                                # what happened, line by line

One control connection: 220, AUTH TLS (234, then a TLS handshake with the
run's certificate for 127.0.0.1), USER/PASS (any), PBSZ, PROT (C: data
connections in clear, otherwise under TLS), TYPE, EPSV,
PWD, SIZE, EPRT, PORT, RETR and STOR of `files` (name -> bytes), QUIT;
anything else is 502.  Misbehaviours, chosen per server:

  cut=True        RETR sends the whole file, then ends the TCP stream
                  WITHOUT a TLS close_notify, then still answers 226
  cut="silent"    the same cut, then no final reply at all until the client
                  sends ABOR (426, then 226), as a server whose end of a
                  broken path never learnt of the break
  final="451 ..." the final reply of RETR and STOR after a clean transfer
                  (close_notify both ways) instead of 226
  resume=False    every data connection gets a TLS context of its own, whose
                  ticket key no control session shares: no data connection
                  can resume the control connection's TLS session
  alpn=["x"]      the ALPN protocols the server accepts (OpenSSL selects one
                  the client offered, or none); .alpn_offered records whether
                  the client offered "ftp" on the control connection
  thief=True      active mode (EPRT/PORT): before connecting to the client,
                  connect from 127.0.0.2, another address of this host;
                  .thief holds what became of that connection: "closed"
                  (without a byte) or why not
  await_close=True  RETR, as ProFTPD does: after the whole file (and the
                  close_notify under PROT P), wait for the client to close
                  the data connection (EOF, up to CLOSE_WAIT s) before the
                  226; .data_events records the order ("client closed" or
                  "client still open", then "final reply sent"); .on_client_close,
                  if set, is called when the client closed, its result kept
                  in .close_probe
  foreign_alpn="http/1.1"   instead of a TLS handshake after AUTH TLS, a
                  hand-made TLS 1.2 ServerHello that selects this ALPN
                  protocol, which the client never offered; .client_answer
                  holds the bytes the client sent back (its alert), read
                  until it closed or ANSWER_TIMEOUT passed

Every socket has a timeout; stop() (or leaving the `with` block) closes
them and joins the thread.  Python 3.11 standard library only.
"""

import os
import re
import socket
import ssl
import struct
import threading

import ftptest

SOCK_TIMEOUT = 10
ANSWER_TIMEOUT = 5
# await_close: how long RETR waits for the client's close.  Generous: a
# client that closes does so within milliseconds; one that waits for the
# 226 first never does.
CLOSE_WAIT = 20


class FakeFtps:
    def __init__(self, files=None, cut=False, resume=True, alpn=None, foreign_alpn=None,
                 thief=False, final="226 Transfer complete", await_close=False):
        self.files = dict(files or {})
        self.final = final
        self.thief_first = thief
        self.thief = None
        self.cut = cut
        self.held_reply = False  # cut="silent": RETR's reply waits for ABOR
        self.await_close = await_close
        self.data_events = []
        self.on_client_close = None
        self.close_probe = None
        self.prot = "P"            # until PROT C: every test so far is PROT P
        self.resume = resume
        self.alpn = alpn
        self.foreign_alpn = foreign_alpn
        self.host = "127.0.0.1"
        self.cafile = ftptest.certs().ca_cert
        self.stored = {}            # name -> bytes received by STOR
        self.close_notify = {}      # STOR name -> did the client send close_notify?
        self.alpn_offered = None
        self.client_answer = None
        self.log = []
        self.error = None
        self._ctx = self._context()
        self._socks = []
        self._listener = socket.create_server((self.host, 0))
        self._listener.settimeout(SOCK_TIMEOUT)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._serve, daemon=True)

    # --- life --------------------------------------------------------------

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        for s in [self._listener, *self._socks]:
            # shutdown() wakes a thread blocked in accept() or recv() on it.
            for op in (lambda: s.shutdown(socket.SHUT_RDWR), s.close):
                try:
                    op()
                except OSError:
                    pass
        self._thread.join(SOCK_TIMEOUT + 5)
        if self._thread.is_alive():
            raise AssertionError("fakeftps: the server thread did not end")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False

    def text(self):
        """The session as the server saw it (for failure messages)."""
        return "\n".join(self.log) + (f"\nserver error: {self.error}" if self.error else "")

    # --- TLS -----------------------------------------------------------------

    def _context(self):
        c = ftptest.certs()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(str(c.server.cert), str(c.server.key))
        if self.alpn is not None:
            ctx.set_alpn_protocols(self.alpn)
        return ctx

    def _wrap(self, sock, data):
        ctx = self._ctx if (self.resume or not data) else self._context()
        t = ctx.wrap_socket(sock, server_side=True)
        t.settimeout(SOCK_TIMEOUT)
        self._socks.append(t)
        return t

    # --- the session -----------------------------------------------------------

    def _serve(self):
        try:
            conn, _ = self._listener.accept()
            conn.settimeout(SOCK_TIMEOUT)
            self._socks.append(conn)
            self._session(conn)
        except Exception as e:     # the test reads .error; the client saw the rest
            self.error = f"{type(e).__name__}: {e}"

    def _session(self, conn):
        ctrl = conn
        rfile = ctrl.makefile("rb")
        self._say(ctrl, "220 fake FTPS ready")
        data_listener = None
        self.active = None
        while True:
            line = rfile.readline()
            if not line:
                return
            line = line.decode("utf-8", "replace").rstrip("\r\n")
            verb, _, arg = line.partition(" ")
            # ABOR comes after Telnet IP and Synch (bytes that are no UTF-8).
            verb = verb.upper().lstrip("\ufffd")
            self.log.append(f"-> {'PASS ****' if verb == 'PASS' else line}")
            if verb == "AUTH":
                self._say(ctrl, "234 Proceed")
                if self.foreign_alpn:
                    self._foreign_server_hello(conn)
                    return
                ctrl = self._wrap(conn, data=False)
                self.alpn_offered = ctrl.selected_alpn_protocol()
                rfile = ctrl.makefile("rb")
            elif verb == "USER":
                self._say(ctrl, "331 Password please")
            elif verb == "PASS":
                self._say(ctrl, "230 Logged in")
            elif verb == "PBSZ":
                self._say(ctrl, "200 PBSZ=0")
            elif verb in ("PROT", "TYPE"):
                if verb == "PROT":
                    self.prot = arg.upper()
                self._say(ctrl, "200 OK")
            elif verb == "PWD":
                self._say(ctrl, '257 "/" is the current directory')
            elif verb == "SIZE" and arg in self.files:
                self._say(ctrl, f"213 {len(self.files[arg])}")
            elif verb == "EPSV":
                data_listener = socket.create_server((self.host, 0))
                data_listener.settimeout(SOCK_TIMEOUT)
                self._socks.append(data_listener)
                self._say(ctrl, f"229 Entering Extended Passive Mode "
                                f"(|||{data_listener.getsockname()[1]}|)")
            elif verb in ("EPRT", "PORT"):
                self.active = parse_active(verb, arg)
                data_listener = None
                self._say(ctrl, f"200 {verb} command successful")
            elif verb == "RETR" and arg in self.files and (data_listener or self.active):
                self._retr(ctrl, data_listener, arg)
                data_listener = None
                self.active = None
            elif verb == "STOR" and data_listener:
                self._stor(ctrl, data_listener, arg)
                data_listener = None
            elif verb == "ABOR" and self.held_reply:
                self.held_reply = False
                self._say(ctrl, "426 Connection closed; transfer aborted")
                self._say(ctrl, "226 ABOR successful")
            elif verb == "QUIT":
                self._say(ctrl, "221 Bye")
                return
            else:
                self._say(ctrl, "502 Not here")

    def _say(self, ctrl, text):
        self.log.append(f"<- {text}")
        ctrl.sendall(text.encode() + b"\r\n")

    def _accept_data(self, listener):
        if listener is None:
            # Active mode: the server connects, and is the TLS server still
            # (RFC 4217 section 7).
            if self.thief_first:
                self._thief()
            sock = socket.create_connection(self.active, SOCK_TIMEOUT,
                                            source_address=(self.host, 0))
        else:
            sock, _ = listener.accept()
        sock.settimeout(SOCK_TIMEOUT)
        self._socks.append(sock)
        if self.prot == "C":
            self.log.append("data connection: clear")
            return sock
        d = self._wrap(sock, data=True)
        self.log.append(f"data connection: {d.version()}, "
                        f"{'resumed' if d.session_reused else 'full handshake'}")
        return d

    def _retr(self, ctrl, listener, name):
        body = self.files[name]
        self._say(ctrl, f"150 Opening BINARY mode data connection for {name} "
                        f"({len(body)} bytes)")
        try:
            d = self._accept_data(listener)
        except (ssl.SSLError, OSError) as e:
            # A client that refuses the data connection (verification,
            # SECURE_SESSION_REUSE REQUIRED) ends its handshake.
            self.log.append(f"data connection failed: {e}")
            self._say(ctrl, "425 Data connection failed")
            return
        try:
            d.sendall(body)
            if self.cut:
                # A FIN without close_notify: what a man in the middle can
                # forge, or a connection cut by accident.
                d.shutdown(socket.SHUT_RDWR)
                self.log.append("data: cut without close_notify")
            elif isinstance(d, ssl.SSLSocket):
                d = d.unwrap()
            else:
                d.shutdown(socket.SHUT_WR)
            if self.await_close:
                self._await_close(d)
        except (ssl.SSLError, OSError) as e:
            # The client gave up on this data connection.
            self.log.append(f"data: {type(e).__name__}: {e}")
            d.close()
            self._say(ctrl, "426 Data connection closed")
            return
        d.close()
        if self.cut == "silent":
            self.held_reply = True
            return
        self._say(ctrl, "226 Transfer complete" if self.cut else self.final)
        self.data_events.append("final reply sent")

    def _await_close(self, d):
        """ProFTPD's order: the 226 only once the client closed its end."""
        d.settimeout(CLOSE_WAIT)
        try:
            while d.recv(4096):
                pass
            event = "client closed"
        except socket.timeout:
            event = "client still open"
        except OSError as e:
            event = f"client closed ({type(e).__name__})"
        d.settimeout(SOCK_TIMEOUT)
        if event != "client still open" and self.on_client_close is not None:
            self.close_probe = self.on_client_close()
        self.data_events.append(event)
        self.log.append(f"data: {event}")

    def _thief(self):
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._socks.append(t)
        t.settimeout(SOCK_TIMEOUT)
        t.bind(("127.0.0.2", 0))
        t.connect(self.active)
        try:
            ftptest.closed_without_data(lambda: t.recv(4096), "the thief's connection")
            self.thief = "closed"
        except AssertionError as e:
            self.thief = str(e)
        t.close()
        self.log.append(f"thief from 127.0.0.2: {self.thief}")

    def _stor(self, ctrl, listener, name):
        self._say(ctrl, "150 Ok to send data")
        d = self._accept_data(listener)
        got = bytearray()
        notify = False
        while True:
            try:
                b = d.recv(1 << 16)
            except ssl.SSLEOFError:
                break
            if not b:
                notify = True
                break
            got += b
        if notify:
            d.unwrap()
        d.close()
        self.stored[name] = bytes(got)
        self.close_notify[name] = notify
        self._say(ctrl, self.final if notify else "426 Truncated upload")

    # --- a ServerHello that selects a protocol the client did not offer -------

    def _foreign_server_hello(self, sock):
        """Read the ClientHello, answer with a TLS 1.2 ServerHello whose ALPN
        extension names self.foreign_alpn, and keep what the client sends
        back until it closes (or ANSWER_TIMEOUT)."""
        hello = self._record(sock)
        suites = client_hello_suites(hello)
        self.log.append(f"ClientHello: {len(suites)} cipher suites")
        # ECDHE with AES-GCM or ChaCha20 (what our client offers first).
        for suite in (0xC02B, 0xC02F, 0xC02C, 0xC030, 0xCCA9, 0xCCA8):
            if suite in suites:
                break
        else:
            raise AssertionError("fakeftps: the client offers no ECDHE AEAD suite")
        proto = self.foreign_alpn.encode()
        alpn = struct.pack("!HHHB", 0x0010, len(proto) + 3, len(proto) + 1, len(proto)) + proto
        exts = alpn + struct.pack("!HHB", 0xFF01, 1, 0) + struct.pack("!HH", 0x0017, 0)
        body = (b"\x03\x03" + os.urandom(32) + b"\x00" + struct.pack("!HB", suite, 0)
                + struct.pack("!H", len(exts)) + exts)
        hs = b"\x02" + struct.pack("!I", len(body))[1:] + body
        sock.sendall(b"\x16\x03\x03" + struct.pack("!H", len(hs)) + hs)
        self.log.append(f"<- ServerHello selecting ALPN {self.foreign_alpn!r}")
        sock.settimeout(ANSWER_TIMEOUT)
        answer = b""
        try:
            while True:
                b = sock.recv(4096)
                if not b:
                    break
                answer += b
        except (socket.timeout, ConnectionResetError):
            pass
        self.client_answer = answer
        self.log.append(f"client answered {answer.hex()}")
        sock.close()

    def _record(self, sock):
        head = _recv_exact(sock, 5)
        if head[0] != 0x16:
            raise AssertionError(f"fakeftps: not a TLS handshake record: {head!r}")
        return _recv_exact(sock, struct.unpack("!H", head[3:5])[0])


def parse_active(verb, arg):
    """(host, port) of an EPRT |1|h|p| or PORT h1,h2,h3,h4,p1,p2 argument."""
    if verb == "EPRT":
        _, _, host, port, _ = arg.split(arg[0])
        return host, int(port)
    n = [int(x) for x in arg.split(",")]
    return ".".join(map(str, n[:4])), n[4] * 256 + n[5]


def _recv_exact(sock, n):
    out = b""
    while len(out) < n:
        b = sock.recv(n - len(out))
        if not b:
            raise AssertionError("fakeftps: the client closed mid-record")
        out += b
    return out


def client_hello_suites(hs):
    """The cipher suites of a ClientHello handshake message."""
    if hs[0] != 0x01:
        raise AssertionError(f"fakeftps: not a ClientHello (type {hs[0]})")
    p = 4 + 2 + 32                      # header, legacy_version, random
    p += 1 + hs[p]                      # legacy_session_id
    n = struct.unpack("!H", hs[p:p + 2])[0]
    return {struct.unpack("!H", hs[i:i + 2])[0] for i in range(p + 2, p + 2 + n, 2)}


def alerts(data):
    """(level, description) of every TLS alert record in data."""
    out = []
    for m in re.finditer(rb"\x15\x03[\x01-\x04]\x00\x02(.)(.)", data, re.S):
        out.append((m.group(1)[0], m.group(2)[0]))
    return out
