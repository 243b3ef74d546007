"""test_ftpd_tls: ftpd's TLS and security policy (RFC 4217, z/OS SECURE_*),
proved with raw sockets and Python's ssl (every byte under the test's
control) against a real ftpd on loopback.

Each class starts one ftpd with its own member (ftpd_tls_harness.Ftpd) and
stops it by PID in its class cleanup, even when a test fails.  The client
side of TLS runs over memory BIOs (ftpd_tls_harness.Tls), so a test sees
what arrives after a 234 or a CCC, whether a close_notify came, and which
connection carried a TLS 1.3 session ticket.  The interop matrix with lftp,
curl, ftplib and gnutls-cli is test_interop.py / interop.py.
"""

import hashlib
import os
import re
import shlex
import socket
import ssl
import time
import unittest

import ftptest
from ftpd_tls_harness import Ctrl, Data, Ftpd, Tls, USER, client_context

KIB = 1024
SIZES = {"empty.bin": 0, "one.bin": 1, "16k-1.bin": 16 * KIB - 1,
         "16k.bin": 16 * KIB, "16k+1.bin": 16 * KIB + 1}
DATA_VERBS = ("LIST", "NLST", "MLSD", "RETR one.bin", "STOR new.bin",
              "APPE new.bin", "STOU")


class ServerCase(unittest.TestCase):
    """One ftpd per class, with the member statements in `keywords`."""

    keywords = ()
    files = {"one.bin": 1}
    implicit = False
    users = ()

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd(cls.__name__, cls.keywords, files=cls.files,
                       implicit=cls.implicit, users=cls.users)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def ctx(self, tls=None, cert=None, tickets=None):
        return client_context(self.srv.cafile, tls, cert, tickets)

    def ctrl(self, greet=True, port=None):
        c = Ctrl(self.srv.host, port or self.srv.port, greet=greet)
        self.addCleanup(c.close)
        return c

    def secure(self, tls=None, prot="P", cert=None, user=USER, tickets=None):
        """A logged-in control connection after AUTH TLS, PBSZ, PROT."""
        ctx = self.ctx(tls, cert, tickets)
        c = self.ctrl()
        c.secure_login(ctx, user=user, prot=prot)
        return c, ctx

    def assertReply(self, r, code, fragment=None):
        self.assertEqual(r.code, code, f"{r.text!r}\n--- ftpd ---\n"
                         f"{self.srv.stderr()[-4000:]}")
        if fragment is not None:
            self.assertIn(fragment, r.text)

    def data(self, c, ctx=None, resume=True):
        d = Data.for_ctrl(c, c.epsv(), ctx, resume)
        self.addCleanup(d.close)
        return d


# ---------------------------------------------------------------------------
# Explicit TLS, SECURE_FTP REQUIRED, SECURE_DATACONN PRIVATE

class ExplicitRequired(ServerCase):
    keywords = ("SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE",
                "SECURE_CTRLCONN PRIVATE", "TLSRFCLEVEL RFC4217")
    files = dict(SIZES, **{"64m.bin": 64 << 20})

    def test_feat_before_auth(self):
        c = self.ctrl()
        r = c.cmd("FEAT")
        self.assertReply(r, 211)
        feats = [line.strip() for line in r.lines[1:-1]]
        for f in ("AUTH TLS", "PBSZ", "PROT"):
            self.assertIn(f, feats)
        self.assertNotIn("CCC", feats, "CCC is offered but SECURE_CTRLCONN PRIVATE refuses it")

    def test_before_auth_only_anytime_commands(self):
        c = self.ctrl()
        for line, code in (("FEAT", 211), ("HELP", 214), ("SYST", 215),
                           ("NOOP", 200), ("HOST localhost", 220),
                           ("OPTS UTF8 ON", 200)):
            self.assertReply(c.cmd(line), code)
        # z/OS: USER 530 "Server requires authentication", the rest 534.
        self.assertReply(c.cmd(f"USER {USER}"), 530, "requires authentication")
        for line in ("PASS x", "ACCT x", "CWD /", "PWD", "LIST", "NLST", "MLSD",
                     "RETR one.bin", "STOR x", "SIZE one.bin", "EPSV", "PASV",
                     "PORT 127,0,0,1,200,1", "STAT", "MKD d", "DELE one.bin"):
            self.assertReply(c.cmd(line), 534, "AUTH TLS")
        self.assertReply(c.cmd("PBSZ 0"), 503)
        self.assertReply(c.cmd("PROT P"), 503)
        self.assertReply(c.cmd("CCC"), 533)
        self.assertReply(c.cmd("QUIT"), 221)

    def test_auth_then_login_and_stat(self):
        c, _ = self.secure()
        r = c.cmd("STAT")
        self.assertReply(r, 211, "TLS security is supported at the RFC4217 level")
        self.assertTrue(r.lines[0].startswith("211-TLS security is supported at the RFC4217 level"))
        self.assertIn("Control connection: protected by TLS", r.text)
        self.assertIn("Data connections: protected (PROT P)", r.text)

    def test_auth_mechanisms_and_default_protection(self):
        # TLS and TLS-C: data clear until PROT P; SSL and TLS-P: protected.
        ctx = self.ctx()
        for mech, private in (("TLS", False), ("TLS-C", False), ("tls", False),
                              ("SSL", True), ("TLS-P", True)):
            with self.subTest(mech=mech):
                c = self.ctrl()
                self.assertReply(c.cmd(f"AUTH {mech}"), 234)
                c.starttls(ctx)
                c.login()
                r = c.cmd("STAT")
                want = "protected (PROT P)" if private else "clear (PROT C)"
                self.assertIn(f"Data connections: {want}", r.text)
                if private:
                    # Protected by default: a listing over TLS works.
                    d = self.data(c, ctx)
                    self.assertReply(c.cmd("NLST"), 150)
                    self.assertIn("one.bin", d.read_all().decode())
                    self.assertReply(c.reply(), 226)
                    d.finish()
                else:
                    self.assertReply(c.cmd("NLST"), 521, "PROT P")
                c.cmd("QUIT")

    def test_auth_unknown_second_and_pbsz_prot(self):
        c = self.ctrl()
        self.assertReply(c.cmd("AUTH GSSAPI"), 504)
        self.assertReply(c.cmd("AUTH KERBEROS_V4"), 504)
        self.assertReply(c.cmd("AUTH TLS"), 234)
        c.starttls(self.ctx())
        self.assertReply(c.cmd("AUTH TLS"), 503, "already")
        self.assertReply(c.cmd("AUTH SSL"), 503)
        # PROT without PBSZ is allowed (RFC 2228 asks PBSZ first; clients
        # skip it).  PBSZ: any value, always 200 PBSZ=0.
        self.assertReply(c.cmd("PROT P"), 200)
        for v in ("0", "16384", "4294967296"):
            r = c.cmd(f"PBSZ {v}")
            self.assertReply(r, 200)
            self.assertEqual(r.text, "200 PBSZ=0")
        self.assertReply(c.cmd("PBSZ abc"), 501)
        self.assertReply(c.cmd("PROT S"), 536)
        self.assertReply(c.cmd("PROT E"), 536)
        self.assertReply(c.cmd("PROT X"), 504)
        self.assertReply(c.cmd("PROT Private"), 504)
        # SECURE_DATACONN PRIVATE: PROT C refused, the level stays P.
        self.assertReply(c.cmd("PROT C"), 536)
        c.login()
        self.assertIn("Data connections: protected (PROT P)", c.cmd("STAT").text)

    def test_ccc_refused_by_ctrlconn_private(self):
        c, _ = self.secure()
        self.assertReply(c.cmd("CCC"), 534)
        # Still under TLS.
        self.assertReply(c.cmd("NOOP"), 200)

    def test_pipelined_commands_after_auth_never_run(self):
        # CVE-2011-0411 class: "AUTH TLS\r\nUSER x\r\n" in one segment.  The
        # bytes after the AUTH line must go to TLS as (bogus) handshake
        # input, never to the command reader: neither USER nor NOOP (which
        # the policy allows before AUTH) is answered, in clear or at all.
        for payload, verb in ((b"USER injected\r\n", "USER injected"),
                              (b"NOOP\r\nSYST\r\n", "NOOP")):
            with self.subTest(verb=verb):
                before = self.srv.stderr().count("bytes after AUTH go to TLS")
                s = socket.create_connection((self.srv.host, self.srv.port), timeout=5)
                self.addCleanup(s.close)
                f = s.makefile("rb")
                self.assertTrue(f.readline().startswith(b"220 "))
                s.sendall(b"AUTH TLS\r\n" + payload)
                self.assertTrue(f.readline().startswith(b"234 "))
                rest = b""
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    try:
                        b = s.recv(4096)
                    except (ConnectionResetError, socket.timeout):
                        break
                    if not b:
                        break
                    rest += b
                # At most a TLS alert record (content type 21, version 3.x);
                # never a reply line.
                self.assertTrue(rest == b"" or (rest[0] == 21 and rest[1] == 3), repr(rest))
                ftptest.wait_for(lambda: self.srv.stderr().count(
                    "bytes after AUTH go to TLS, not to the command reader") > before, 5,
                    "the log line of the pipelined bytes")
                log = self.srv.stderr()
                sid = re.findall(rf"\[#(\d+) [^\]]*\] {len(payload)} bytes after AUTH go to TLS",
                                 log)[-1]
                commands = re.findall(rf"\[#{sid} [^\]]*\] -> (.*)", log)
                self.assertEqual(commands, ["AUTH TLS"])
                self.assertNotIn("injected@", log)

    def test_client_hello_pipelined_after_auth_is_tls(self):
        # The other half of the rule above: bytes after the AUTH line are
        # the handshake's.  A ClientHello sent in the same segment as
        # "AUTH TLS" is taken as such: the handshake completes and the
        # session works.
        c = self.ctrl()
        tls = Tls(c.sock, self.ctx())
        try:
            tls.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        hello = tls.outb.read()
        self.assertTrue(hello.startswith(b"\x16\x03"), hello[:8])
        c.sock.sendall(b"AUTH TLS\r\n" + hello)
        self.assertReply(c.reply(), 234)
        tls.inb.write(c.buf)            # the server's reply to the ClientHello
        c.buf = b""
        c.tls = tls.handshake()
        c.login()
        self.assertReply(c.cmd("PWD"), 257)
        self.srv.wait_log(f"{len(hello)} bytes after AUTH go to TLS")

    def test_clear_data_refused_with_521_before_150(self):
        # AUTH TLS, no PROT P: every transfer and listing command is
        # answered 521 at once: no 150, nothing on the data connection.
        c = self.ctrl()
        c.expect("AUTH TLS", 234)
        c.starttls(self.ctx())
        c.login()
        for verb in DATA_VERBS:
            with self.subTest(verb=verb):
                port = c.epsv()
                d = Data(c.host, port)   # a clear data connection waits
                self.addCleanup(d.close)
                r = c.cmd(verb)
                self.assertReply(r, 521, "PROT P")
                self.assertTrue(c.quiet_for(0.1), "a reply followed the 521")
                d.sock.settimeout(0.1)
                try:
                    got = d.sock.recv(100)
                except socket.timeout:
                    got = None
                self.assertIn(got, (None, b""), "bytes sent on a clear data connection")
        self.assertFalse(self.srv.path("new.bin").exists())

    def test_downloads_sizes_close_notify_before_226(self):
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        for name in SIZES:
            with self.subTest(name=name):
                d = self.data(c, ctx)
                self.assertTrue(d.tls.resumed(), "data connection did not resume")
                self.assertReply(c.cmd(f"RETR {name}"), 150)
                # 226 only after the data and close_notify were sent:
                # read the reply first, then everything must be there.
                self.assertReply(c.reply(), 226)
                got = d.read_all()     # raises SSLEOFError without close_notify
                self.assertTrue(d.tls.peer_closed)
                self.assertEqual(len(got), SIZES[name])
                self.assertEqual(got, self.srv.path(name).read_bytes())
                d.finish()

    def test_listings_under_prot_p(self):
        c, ctx = self.secure()
        for verb in ("LIST", "NLST", "MLSD"):
            with self.subTest(verb=verb):
                d = self.data(c, ctx)
                self.assertReply(c.cmd(verb), 150)
                got = d.read_all().decode()
                self.assertTrue(d.tls.peer_closed)
                self.assertReply(c.reply(), 226)
                self.assertIn("16k+1.bin", got)
                d.finish()

    def test_upload_clean_end_then_226(self):
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        for size in (0, 1, 16 * KIB - 1, 16 * KIB + 1, 300 * KIB):
            with self.subTest(size=size):
                body = os.urandom(size)
                name = f"up-{size}.bin"
                d = self.data(c, ctx)
                self.assertReply(c.cmd(f"STOR {name}"), 150)
                d.send(body)
                d.tls.close_notify()
                # The server answers our close_notify with its own...
                self.assertEqual(d.tls.recv(), b"")
                self.assertTrue(d.tls.peer_closed)
                # ...and says 226 once the file is written.
                self.assertReply(c.reply(), 226)
                self.assertEqual(self.srv.path(name).read_bytes(), body)
                d.close()

    def test_upload_cut_without_close_notify_is_426(self):
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("STOR cut.bin"), 150)
        body = os.urandom(100 * KIB)
        d.send(body)
        d.sock.shutdown(socket.SHUT_WR)    # a FIN, no close_notify
        r = c.reply()
        self.assertReply(r, 426)
        # A failed upload keeps what arrived (the client may resume it).
        self.assertEqual(self.srv.path("cut.bin").read_bytes(), body)
        self.srv.wait_log("STOR /cut.bin: upload ended without TLS close_notify: truncated?")
        self.srv.wait_log(re.compile(r"STOR /cut\.bin: 102400 bytes in .*: "
                                     r"TLS stream ended without close_notify"))
        # The transfer log says incomplete (the last field, "i").
        ftptest.wait_for(
            lambda: re.search(r" 102400 /cut\.bin b _ i r tester ftp 0 \* i$",
                              self.srv.xferlog.read_text(), re.M), 5,
            "an incomplete STOR in the xferlog")
        c.expect("NOOP", 200)

    def test_empty_upload_without_close_notify_is_426(self):
        # What Node's basic-ftp does now and then (ftpd(8) BUGS): the
        # handshake ends, then a FIN without close_notify, no byte sent.
        # An empty file is as truncatable as any other: 426, not 226.
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("STOR empty-cut.bin"), 150)
        d.sock.shutdown(socket.SHUT_WR)
        self.assertReply(c.reply(), 426, "not shut down cleanly")
        self.srv.wait_log("STOR /empty-cut.bin: upload ended without TLS close_notify")
        c.expect("NOOP", 200)

    def test_download_64mib(self):
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("RETR 64m.bin"), 150)
        h = hashlib.sha256()
        n = 0
        while True:
            b = d.tls.recv(1 << 20)
            if not b:
                break
            h.update(b)
            n += len(b)
        self.assertTrue(d.tls.peer_closed)
        self.assertReply(c.reply(), 226)
        self.assertEqual(n, 64 << 20)
        self.assertEqual(h.hexdigest(), self.srv.hashes["64m.bin"])

    def test_tls13_tickets_on_control_only(self):
        # A fresh ticket on the control connection before each EPSV reply;
        # none, ever, on a data connection (a ticket on an upload's data
        # connection that the client never reads costs the upload's tail).
        tickets = []
        c, ctx = self.secure(tls="1.3", tickets=tickets)
        c.expect("TYPE I", 200)

        def count(conn):
            return sum(1 for who, d in tickets if who is conn and d == "read")

        self.assertGreaterEqual(count(c.tls.obj), 1, "no ticket after the handshake")
        for verb in ("RETR one.bin", "STOR t.bin", "STOR t2.bin", "LIST", "RETR 16k.bin"):
            with self.subTest(verb=verb):
                before = count(c.tls.obj)
                port = c.epsv()
                self.assertEqual(count(c.tls.obj), before + 1,
                                 "no fresh ticket came with the EPSV reply")
                d = Data.for_ctrl(c, port, ctx)
                self.addCleanup(d.close)
                self.assertTrue(d.tls.resumed(), f"{verb}: data connection not resumed")
                self.assertReply(c.cmd(verb), 150)
                if verb.startswith("STOR"):
                    d.send(b"x" * 5000)
                    d.tls.close_notify()
                    d.tls.recv()
                else:
                    d.read_all()
                self.assertReply(c.reply(), 226)
                d.finish()
                self.assertEqual(count(d.tls.obj), 0, "a ticket on a data connection")
        self.assertEqual(sum(1 for who, _ in tickets
                             if who is not c.tls.obj), 0)

    def test_active_mode_client_is_tls_client_fresh_ticket(self):
        # PORT and EPRT: ftpd connects, yet the FTP client is the TLS client
        # (RFC 4217 section 7); a fresh ticket comes with the 200 as with
        # EPSV, and the data connection resumes it.
        tickets = []
        c, ctx = self.secure(tls="1.3", tickets=tickets)
        c.expect("TYPE I", 200)
        for verb in ("PORT", "EPRT"):
            with self.subTest(verb=verb):
                lsock = socket.socket()
                self.addCleanup(lsock.close)
                lsock.bind(("127.0.0.1", 0))
                lsock.listen(1)
                lsock.settimeout(5)
                port = lsock.getsockname()[1]
                arg = (f"127,0,0,1,{port >> 8},{port & 255}" if verb == "PORT"
                       else f"|1|127.0.0.1|{port}|")
                before = sum(1 for who, _ in tickets if who is c.tls.obj)
                self.assertReply(c.cmd(f"{verb} {arg}"), 200)
                self.assertEqual(sum(1 for who, _ in tickets if who is c.tls.obj),
                                 before + 1, "no fresh ticket with the 200")
                self.assertReply(c.cmd("RETR 16k.bin"), 150)
                conn, _ = lsock.accept()
                self.addCleanup(conn.close)
                t = Tls(conn, ctx, session=c.tls.session).handshake()
                self.assertTrue(t.resumed())
                got = b""
                while True:
                    b = t.recv()
                    if not b:
                        break
                    got += b
                self.assertEqual(got, self.srv.path("16k.bin").read_bytes())
                self.assertReply(c.reply(), 226)

    def test_ipv6(self):
        ftptest.require_ipv6()
        self.assertTrue(self.srv.ipv6, "ftpd does not listen on ::1")
        ctx = self.ctx()
        c = Ctrl("::1", self.srv.port)
        self.addCleanup(c.close)
        c.secure_login(ctx)
        self.assertReply(c.cmd("PASV"), 522, "EPSV")
        self.assertReply(c.cmd("PORT 127,0,0,1,200,1"), 522)
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertTrue(d.tls.resumed())
        self.assertReply(c.cmd("RETR 16k-1.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("16k-1.bin").read_bytes())
        self.assertReply(c.reply(), 226)

    def test_stranger_first_on_passive_port_gets_nothing(self):
        # SECURE_SESSION_REUSE REQUIRED (the default): an unrelated TLS
        # client that reaches the passive port first, before the transfer
        # command or after its 150, completes a handshake that does not
        # resume, then is closed without a byte of the file; the transfer
        # is refused (522), not given away.
        for when in ("before", "after 150"):
            with self.subTest(when=when):
                c, ctx = self.secure()
                c.expect("TYPE I", 200)
                port = c.epsv()
                if when == "after 150":
                    self.assertReply(c.cmd("RETR 16k.bin"), 150)
                s = socket.create_connection((c.host, port), timeout=5)
                self.addCleanup(s.close)
                stranger = Tls(s, self.ctx()).handshake()
                self.assertFalse(stranger.resumed())
                ftptest.closed_without_data(stranger.recv, "the stranger's connection")
                r = c.cmd("RETR 16k.bin") if when == "before" else c.reply()
                if r.code == 150:
                    r = c.reply()
                self.assertReply(r, 522, "not resumed")
                c.expect("NOOP", 200)
        # The log never calls the refused PROT P connection "clear".
        self.srv.wait_log(re.compile(r"RETR /16k\.bin: 0 bytes in [\d.]+ s, "
                                     r"TLS not established: TLS session not resumed"))

    def test_data_connection_from_another_address_dropped(self):
        # PASSIVEDATACONN NOREDIRECT (the default): a connection from
        # another address (127.0.0.2 is loopback too), before the transfer
        # command or after its 150, is closed at once without a byte, and
        # the listener keeps waiting for the client, who still gets its file.
        for when in ("before", "after 150"):
            with self.subTest(when=when):
                c, ctx = self.secure()
                c.expect("TYPE I", 200)
                port = c.epsv()
                if when == "after 150":
                    self.assertReply(c.cmd("RETR 16k.bin"), 150)
                before = self.srv.stderr().count("data connection from 127.0.0.2 refused")
                s = socket.socket()
                self.addCleanup(s.close)
                s.bind(("127.0.0.2", 0))
                s.settimeout(5)
                s.connect((self.srv.host, port))
                ftptest.closed_without_data(lambda: s.recv(100), "the thief's connection")
                ftptest.wait_for(lambda: self.srv.stderr().count(
                    "data connection from 127.0.0.2 refused: not the control peer") > before,
                    5, "the refusal in the log")
                d = Data.for_ctrl(c, port, ctx)
                self.addCleanup(d.close)
                if when == "before":
                    self.assertReply(c.cmd("RETR 16k.bin"), 150)
                self.assertEqual(d.read_all(), self.srv.path("16k.bin").read_bytes())
                self.assertReply(c.reply(), 226)

    def test_tls12_data_connections_resume(self):
        c, ctx = self.secure(tls="1.2")
        for _ in range(3):
            d = self.data(c, ctx)
            self.assertTrue(d.tls.resumed())
            self.assertEqual(d.tls.version(), "TLSv1.2")
            self.assertReply(c.cmd("NLST"), 150)
            d.read_all()
            self.assertReply(c.reply(), 226)
            d.finish()

    def test_full_handshake_on_data_refused(self):
        # A client that does not resume (ftplib's behaviour) is refused,
        # under TLS 1.2 and 1.3.
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                c, ctx = self.secure(tls=tls)
                d = self.data(c, ctx, resume=False)
                self.assertFalse(d.tls.resumed())
                r = c.cmd("NLST")
                if r.code == 150:
                    r = c.reply()
                self.assertReply(r, 522, "not resumed")



# ---------------------------------------------------------------------------
# Implicit TLS on TLSPORT

def http_probe(host, port, expect_greeting):
    """Send an HTTP request to the implicit port; return what came back
    before the connection closed (bounded)."""
    s = socket.create_connection((host, port), timeout=5)
    got = b""
    try:
        if expect_greeting:
            f = s.makefile("rb")
            got = f.readline()
        s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\nCookie: secret=1\r\n\r\n")
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                b = s.recv(4096)
            except ConnectionResetError:
                break
            if not b:
                return got, True
            got += b
        return got, False
    finally:
        s.close()


class ImplicitHandshakeFirst(ServerCase):
    """TLSPORT with SECUREIMPLICITZOS FALSE: what curl's and lftp's ftps://
    expect.  The explicit port of the same server requires AUTH."""
    implicit = True
    keywords = ("SECUREIMPLICITZOS FALSE", "SECURE_FTP REQUIRED",
                "SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL RFC4217")

    def implicit_ctrl(self, ctx):
        c = self.ctrl(greet=False, port=self.srv.tlsport)
        c.starttls(ctx)
        return c

    def test_handshake_then_greeting_data_protected(self):
        ctx = self.ctx()
        c = self.implicit_ctrl(ctx)
        self.assertReply(c.reply(), 220)
        c.login()
        r = c.cmd("STAT")
        self.assertIn("(implicit TLS)", r.text)
        self.assertIn("Data connections: protected (PROT P)", r.text)
        # No PBSZ/PROT needed: data protected by default.
        d = self.data(c, ctx)
        self.assertTrue(d.tls.resumed())
        self.assertReply(c.cmd("RETR one.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
        self.assertReply(c.reply(), 226)
        # PBSZ/PROT still accepted; AUTH 503; CCC 534 (never on TLSPORT).
        self.assertReply(c.cmd("PBSZ 0"), 200)
        self.assertReply(c.cmd("PROT P"), 200)
        self.assertReply(c.cmd("AUTH TLS"), 503, "secure port")
        self.assertReply(c.cmd("CCC"), 534, "secure port")
        feats = [x.strip() for x in c.cmd("FEAT").lines]
        self.assertNotIn("AUTH TLS", feats)
        self.assertNotIn("CCC", feats)
        self.assertIn("PROT", feats)

    def test_plaintext_on_implicit_port_gets_no_greeting(self):
        s = socket.create_connection((self.srv.host, self.srv.tlsport), timeout=5)
        self.addCleanup(s.close)
        s.settimeout(0.5)
        with self.assertRaises(socket.timeout):
            s.recv(10)     # the server waits for a ClientHello, says nothing

    def test_http_request_dropped_nothing_echoed(self):
        got, closed = http_probe(self.srv.host, self.srv.tlsport, False)
        self.assertTrue(closed, "connection not dropped")
        self.assertNotIn(b"GET", got)
        self.assertNotIn(b"HTTP", got)
        self.assertNotIn(b"secret", got)
        # At most a TLS alert record.
        self.assertTrue(got == b"" or (got[0] == 21 and got[1] == 3), repr(got))
        self.srv.wait_log("TLS handshake failed")

    def test_explicit_port_alongside(self):
        c = self.ctrl()
        self.assertReply(c.cmd(f"USER {USER}"), 530)
        c.secure_login(self.ctx())
        self.assertReply(c.cmd("AUTH TLS"), 503)


class ImplicitGreetingFirst(ServerCase):
    """SECUREIMPLICITZOS TRUE (z/OS style): 220 in clear, then the handshake."""
    implicit = True
    keywords = ("SECUREIMPLICITZOS TRUE",)

    def test_greeting_then_handshake(self):
        ctx = self.ctx()
        c = self.ctrl(greet=True, port=self.srv.tlsport)
        self.assertEqual(c.greeting.code, 220)
        c.starttls(ctx)
        c.login()
        self.assertIn("Data connections: protected (PROT P)", c.cmd("STAT").text)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("NLST"), 150)
        self.assertIn("one.bin", d.read_all().decode())
        self.assertReply(c.reply(), 226)
        self.assertReply(c.cmd("AUTH TLS"), 503)
        self.assertReply(c.cmd("CCC"), 534)

    def test_http_request_dropped_nothing_echoed(self):
        got, closed = http_probe(self.srv.host, self.srv.tlsport, True)
        self.assertTrue(closed, "connection not dropped")
        self.assertTrue(got.startswith(b"220 "), repr(got))
        rest = got[got.index(b"\r\n") + 2:]
        self.assertNotIn(b"GET", rest)
        self.assertNotIn(b"HTTP", rest)
        self.assertTrue(rest == b"" or (rest[0] == 21 and rest[1] == 3), repr(rest))


class HandshakeTimeout(ServerCase):
    """A control-connection handshake that never finishes (AUTH then
    silence, nothing or half a ClientHello on TLSPORT) ends after INACTIVE,
    like an idle session; it must not hold its session for ever."""
    implicit = True
    keywords = ("INACTIVE 1",)

    def test_unfinished_handshakes_end(self):
        socks = {}
        for name in ("auth", "implicit silent", "implicit partial hello", "idle"):
            port = self.srv.tlsport if name.startswith("implicit") else self.srv.port
            s = socket.create_connection((self.srv.host, port), timeout=10)
            self.addCleanup(s.close)
            socks[name] = s
        for name in ("auth", "idle"):
            self.assertTrue(socks[name].recv(100).startswith(b"220 "))
        socks["auth"].sendall(b"AUTH TLS\r\n")
        self.assertTrue(socks["auth"].recv(100).startswith(b"234 "))
        socks["implicit partial hello"].sendall(b"\x16\x03\x01\x00\x40\x01\x00")
        for name, s in socks.items():
            with self.subTest(name=name):
                s.settimeout(4)
                got = b""
                t0 = time.monotonic()
                try:
                    while True:
                        b = s.recv(4096)
                        if not b:
                            break
                        got += b
                except ConnectionResetError:
                    pass
                except socket.timeout:
                    self.fail(f"{name}: still open after {time.monotonic() - t0:.1f} s")
                if name == "idle":
                    self.assertIn(b"421 Timeout", got)
        self.srv.wait_log("session closed: TLS handshake timed out")


# ---------------------------------------------------------------------------
# CCC (RFC 4217 section 6), SECURE_FTP ALLOWED

class CccRfc4217(ServerCase):
    keywords = ("SECURE_FTP ALLOWED", "SECURE_DATACONN CLEAR",
                "SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL RFC4217",
                "SECURE_SESSION_REUSE ALLOWED")

    def test_feat_lists_ccc(self):
        c = self.ctrl()
        feats = [x.strip() for x in c.cmd("FEAT").lines]
        for f in ("AUTH TLS", "PBSZ", "PROT", "CCC"):
            self.assertIn(f, feats)

    def test_plain_login_allowed(self):
        c = self.ctrl()
        c.login()
        self.assertReply(c.cmd("PROT P"), 503)
        self.assertReply(c.cmd("CCC"), 533)
        d = self.data(c)
        self.assertReply(c.cmd("RETR one.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
        self.assertReply(c.reply(), 226)

    def ccc(self, c, answer_close_notify):
        """CCC under RFC4217: 200 under TLS, then the server's close_notify;
        the client answers with its own or goes straight to clear text."""
        self.assertReply(c.cmd("CCC"), 200)
        self.assertEqual(c.tls.recv(), b"", "no close_notify after 200")
        self.assertTrue(c.tls.peer_closed)
        if answer_close_notify:
            c.tls.close_notify()
        c.buf += c.tls.leftover()
        c.tls = None

    def after_ccc(self, c, ctx):
        # In clear now; PROT, PBSZ and AUTH refused (RFC 4217 section 6).
        self.assertReply(c.cmd("PWD"), 257)
        self.assertReply(c.cmd("PROT C"), 503, "after CCC")
        self.assertReply(c.cmd("PBSZ 0"), 503, "after CCC")
        self.assertReply(c.cmd("AUTH TLS"), 503)
        r = c.cmd("STAT")
        self.assertIn("Control connection: clear (after CCC)", r.text)
        self.assertIn("Data connections: protected (PROT P)", r.text)
        # Data keeps PROT P.
        d = self.data(c, ctx)
        self.assertReply(c.cmd("RETR one.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
        self.assertReply(c.reply(), 226)

    def test_ccc_client_answers_close_notify(self):
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                c, ctx = self.secure(tls=tls)
                self.ccc(c, True)
                self.after_ccc(c, ctx)

    def test_ccc_client_close_notify_first(self):
        # lftp and curl --ftp-ssl-ccc-mode active: the client's close_notify
        # follows the 200 at once; the server's answers it.
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                c, ctx = self.secure(tls=tls)
                self.assertReply(c.cmd("CCC"), 200)
                c.tls.close_notify()
                self.assertEqual(c.tls.recv(), b"", "no close_notify answered ours")
                self.assertTrue(c.tls.peer_closed)
                c.buf += c.tls.leftover()
                c.tls = None
                self.after_ccc(c, ctx)

    def test_ccc_client_goes_straight_to_clear(self):
        # curl --ftp-ssl-ccc-mode passive: no close_notify from the client.
        c, ctx = self.secure()
        self.ccc(c, False)
        self.after_ccc(c, ctx)

    def test_ccc_before_auth_533(self):
        c = self.ctrl()
        self.assertReply(c.cmd("CCC"), 533)

    def test_stat_level(self):
        c, _ = self.secure()
        self.assertIn("211-TLS security is supported at the RFC4217 level", c.cmd("STAT").text)


class CccNoNotify(ServerCase):
    keywords = ("SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL CCCNONOTIFY",
                "SECURE_SESSION_REUSE ALLOWED")

    def test_no_close_notify_then_clear(self):
        c, ctx = self.secure()
        self.assertReply(c.cmd("CCC"), 200)
        # CCCNONOTIFY: nothing follows the 200.
        self.assertTrue(c.quiet_for(0.3), "bytes after 200 (a close_notify?)")
        c.tls = None
        self.assertReply(c.cmd("PWD"), 257)
        self.assertReply(c.cmd("PROT P"), 503)
        self.assertReply(c.cmd("AUTH TLS"), 503)
        self.assertIn("CCCNONOTIFY level", c.cmd("STAT").text)

    def test_client_close_notify_consumed(self):
        # A client that sends close_notify anyway (lftp, curl active mode):
        # the server consumes it, then reads the clear command.
        c, ctx = self.secure(tls="1.3")
        self.assertReply(c.cmd("CCC"), 200)
        c.tls.close_notify()
        c.tls = None
        self.assertReply(c.cmd("NOOP"), 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("NLST"), 150)
        self.assertIn("one.bin", d.read_all().decode())
        self.assertReply(c.reply(), 226)


class CccDraft(ServerCase):
    keywords = ("SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL DRAFT")

    def test_ccc_refused_at_draft(self):
        c = self.ctrl()
        self.assertNotIn(" CCC", c.cmd("FEAT").lines)
        c.secure_login(self.ctx())
        self.assertReply(c.cmd("CCC"), 534, "DRAFT")
        r = c.cmd("STAT")
        self.assertTrue(r.lines[0].startswith("211-TLS security is supported at the DRAFT level"))
        self.assertReply(c.cmd("NOOP"), 200)


class CccRequiredBeforeLogin(ServerCase):
    """SECURE_FTP REQUIRED keeps the login protected: CCC before it 534."""
    keywords = ("SECURE_FTP REQUIRED", "SECURE_CTRLCONN CLEAR",
                "TLSRFCLEVEL RFC4217")

    def test_ccc_before_login_refused(self):
        c = self.ctrl()
        c.expect("AUTH TLS", 234)
        c.starttls(self.ctx())
        self.assertReply(c.cmd("CCC"), 534, "before login")
        c.login()
        self.assertReply(c.cmd("CCC"), 200)


class CtrlconnSafe(ServerCase):
    keywords = ("SECURE_CTRLCONN SAFE", "TLSRFCLEVEL RFC4217")

    def test_ccc_refused(self):
        c = self.ctrl()
        self.assertNotIn(" CCC", c.cmd("FEAT").lines)
        c.secure_login(self.ctx())
        self.assertReply(c.cmd("CCC"), 534, "CCC not supported")


# ---------------------------------------------------------------------------
# SECURE_DATACONN

class DataconnNever(ServerCase):
    keywords = ("SECURE_DATACONN NEVER",)

    def test_prot_p_refused_clear_data_works(self):
        c, _ = self.secure(prot=None)
        self.assertReply(c.cmd("PROT P"), 536)
        self.assertIn("Data connections: clear (PROT C)", c.cmd("STAT").text)
        self.assertReply(c.cmd("PROT C"), 200)
        d = self.data(c)
        self.assertReply(c.cmd("RETR one.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
        self.assertReply(c.reply(), 226)

    def test_auth_ssl_protected_by_default_then_521(self):
        # AUTH SSL makes the level P, which NEVER refuses: 521 until PROT C.
        c = self.ctrl()
        c.expect("AUTH SSL", 234)
        c.starttls(self.ctx())
        c.login()
        for verb in DATA_VERBS:
            self.assertReply(c.cmd(verb), 521, "PROT C")
        c.expect("PROT C", 200)
        self.assertReply(c.cmd("NLST"), 425)   # passes the policy: no EPSV yet


class DataconnSafe(ServerCase):
    keywords = ("SECURE_DATACONN SAFE",)

    def test_safe_is_private(self):
        c, _ = self.secure(prot=None)
        self.assertReply(c.cmd("PROT C"), 536)
        for verb in DATA_VERBS:
            self.assertReply(c.cmd(verb), 521, "PROT P")
        self.assertReply(c.cmd("PROT P"), 200)
        self.assertReply(c.cmd("PROT C"), 536)
        self.assertIn("protected (PROT P)", c.cmd("STAT").text)


class DataconnClear(ServerCase):
    keywords = ("SECURE_DATACONN CLEAR",)

    def test_client_chooses(self):
        c, ctx = self.secure(prot=None)
        for prot, dctx in (("C", None), ("P", ctx), ("C", None)):
            c.expect(f"PROT {prot}", 200)
            d = self.data(c, dctx)
            self.assertReply(c.cmd("RETR one.bin"), 150)
            self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
            self.assertReply(c.reply(), 226)


class NoKeyring(ServerCase):
    """EXTENSIONS AUTH_TLS but no KEYRING: AUTH 431, FEAT says nothing."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd(cls.__name__, (), files=cls.files, keyring=False)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def test_auth_431(self):
        c = self.ctrl()
        feats = [x.strip() for x in c.cmd("FEAT").lines]
        self.assertNotIn("AUTH TLS", feats)
        self.assertNotIn("PBSZ", feats)
        self.assertReply(c.cmd("AUTH TLS"), 431)
        self.assertReply(c.cmd("NOOP"), 200)
        c.login()



# ---------------------------------------------------------------------------
# Client certificates: SECURE_LOGIN, SECURE_PASSWORD, TLSCERTCROSSCHECK

def cert_users():
    """USERFILE lines: alice (certificate only, mapped by fingerprint), bob
    (password, mapped by alice's subject DN: cert-dn goes last), mal
    (mapped to mallory's certificate, from an untrusted CA)."""
    c = ftptest.certs()
    return (f"alice:*:{{home}}:cert-sha256={c.alice.sha256_colon.upper()}",
            f"bob:{ftptest.passwd_hash('bob-pw')}:{{home}}:cert-dn={c.alice.dn}",
            f"mal:*:{{home}}:cert-sha256={c.mallory.sha256_hex}")


class CertCase(ServerCase):
    @classmethod
    def setUpClass(cls):
        cls.users = cert_users()
        super().setUpClass()

    def tls_ctrl(self, cert=None, tls=None):
        ctx = self.ctx(tls, cert)
        c = self.ctrl()
        c.expect("AUTH TLS", 234)
        c.starttls(ctx)
        return c, ctx


class LoginRequired(CertCase):
    keywords = ("SECURE_LOGIN REQUIRED", "SECURE_PASSWORD OPTIONAL")

    def test_no_certificate_531_at_user(self):
        # The handshake succeeds without one; USER says why.
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                c, _ = self.tls_ctrl(tls=tls)
                r = c.cmd(f"USER {USER}")
                self.assertReply(r, 531, "requires client certificate")
                self.assertReply(c.cmd("PASS x"), 503)
                self.assertReply(c.cmd("NOOP"), 200)

    def test_untrusted_ca_refused(self):
        c, _ = self.tls_ctrl(ftptest.certs().mallory)
        # Even the user its fingerprint is registered for.
        self.assertReply(c.cmd("USER mal"), 531, "not signed by a trusted CA")
        self.assertReply(c.cmd(f"USER {USER}"), 531, "trusted CA")
        self.srv.wait_log("issuer not trusted")

    def test_trusted_unmapped_user_gives_password(self):
        c, _ = self.tls_ctrl(ftptest.certs().alice)
        self.assertReply(c.cmd(f"USER {USER}"), 331)
        self.assertReply(c.cmd("PASS t3st-pw"), 230)

    def test_mapped_user_logs_in_without_password(self):
        for user in ("alice", "bob"):      # by fingerprint, by subject DN
            with self.subTest(user=user):
                c, ctx = self.tls_ctrl(ftptest.certs().alice)
                self.assertReply(c.cmd(f"USER {user}"), 232)
                c.expect("PBSZ 0", 200)
                c.expect("PROT P", 200)
                d = self.data(c, ctx)
                self.assertReply(c.cmd("RETR one.bin"), 150)
                self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
                self.assertReply(c.reply(), 226)
        self.srv.wait_log("logged in by client certificate")


class LoginVerifyUser(CertCase):
    keywords = ("SECURE_LOGIN VERIFY_USER",)

    def test_certificate_must_map_to_user(self):
        c, _ = self.tls_ctrl(ftptest.certs().alice)
        self.assertReply(c.cmd(f"USER {USER}"), 531, "not registered for this user")
        # Mapped (by DN) and SECURE_PASSWORD REQUIRED: the password too.
        self.assertReply(c.cmd("USER bob"), 331)
        self.assertReply(c.cmd("PASS wrong"), 530)
        self.assertReply(c.cmd("USER bob"), 331)
        self.assertReply(c.cmd("PASS bob-pw"), 230)

    def test_no_or_untrusted_certificate(self):
        c, _ = self.tls_ctrl()
        self.assertReply(c.cmd("USER alice"), 531, "requires client certificate")
        c, _ = self.tls_ctrl(ftptest.certs().mallory)
        self.assertReply(c.cmd("USER mal"), 531, "trusted CA")


class LoginVerifyUserOptional(CertCase):
    keywords = ("SECURE_LOGIN VERIFY_USER", "SECURE_PASSWORD OPTIONAL")

    def test_232_for_mapped_531_for_others(self):
        c, _ = self.tls_ctrl(ftptest.certs().alice, tls="1.2")
        self.assertReply(c.cmd("USER alice"), 232)
        c, _ = self.tls_ctrl(ftptest.certs().alice)
        self.assertReply(c.cmd(f"USER {USER}"), 531)


class CrossCheck(CertCase):
    """TLSCERTCROSSCHECK TRUE; SECURE_SESSION_REUSE ALLOWED so that a data
    connection can do a full handshake with another certificate."""
    keywords = ("SECURE_LOGIN REQUIRED", "SECURE_SESSION_REUSE ALLOWED",
                "TLSCERTCROSSCHECK TRUE")

    def data_with(self, c, cert, tls):
        """A data connection with its own (full) handshake and `cert`."""
        d = Data(c.host, c.epsv(), self.ctx(tls, cert))
        self.addCleanup(d.close)
        self.assertFalse(d.tls.resumed())
        r = c.cmd("RETR one.bin")
        if r.code == 150:
            try:
                got = d.read_all()
            except (ssl.SSLError, OSError):
                got = None
            return c.reply(), got
        return r, None

    def test_data_certificate_must_be_the_control_one(self):
        certs = ftptest.certs()
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                c, ctx = self.tls_ctrl(certs.alice, tls=tls)
                c.login()
                c.expect("PROT P", 200)
                r, got = self.data_with(c, certs.mallory, tls)
                self.assertReply(r, 522, "certificate differs")
                self.assertIn(got, (None, b""))
                r, got = self.data_with(c, None, tls)
                self.assertReply(r, 522, "certificate differs")
                r, got = self.data_with(c, certs.alice, tls)
                self.assertReply(r, 226)
                self.assertEqual(got, self.srv.path("one.bin").read_bytes())
                # Resumed: the certificate is not sent again; fine.
                d = self.data(c, ctx)
                self.assertTrue(d.tls.resumed())
                self.assertReply(c.cmd("RETR one.bin"), 150)
                d.read_all()
                self.assertReply(c.reply(), 226)


class CrossCheckOff(CertCase):
    keywords = ("SECURE_LOGIN REQUIRED", "SECURE_SESSION_REUSE ALLOWED",
                "TLSCERTCROSSCHECK FALSE")

    def test_other_certificate_accepted(self):
        certs = ftptest.certs()
        c, _ = self.tls_ctrl(certs.alice)
        c.login()
        c.expect("PROT P", 200)
        d = Data(c.host, c.epsv(), self.ctx(None, certs.mallory))
        self.addCleanup(d.close)
        self.assertReply(c.cmd("RETR one.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("one.bin").read_bytes())
        self.assertReply(c.reply(), 226)


# ---------------------------------------------------------------------------
# TLSTIMEOUT, TLSCLOSENOTIFY

class ShortTlsTimeout(ServerCase):
    keywords = ("TLSTIMEOUT 1", "SECURE_DATACONN PRIVATE")

    def test_tls12_session_expires(self):
        c, ctx = self.secure(tls="1.2")
        d = self.data(c, ctx)
        self.assertTrue(d.tls.resumed(), "fresh session not resumed")
        self.assertReply(c.cmd("NLST"), 150)
        d.read_all()
        self.assertReply(c.reply(), 226)
        time.sleep(2.1)     # GnuTLS counts whole seconds
        d = self.data(c, ctx)
        self.assertFalse(d.tls.resumed(), "an expired session resumed")
        r = c.cmd("NLST")
        if r.code == 150:
            r = c.reply()
        self.assertReply(r, 522, "not resumed")

    def test_tls13_bound_is_the_control_handshake_age(self):
        # Within TLSTIMEOUT the fresh ticket of each EPSV resumes.  Past
        # TLSTIMEOUT since the control connection's handshake, no ticket
        # does, not even one issued a moment ago: GnuTLS keeps the first
        # handshake's time in every ticket of the session.  So TLSTIMEOUT
        # bounds how long a control session can transfer under
        # SECURE_SESSION_REUSE REQUIRED (24 h by default).
        c, ctx = self.secure(tls="1.3")
        old = c.tls.session
        d = self.data(c, ctx)
        self.assertTrue(d.tls.resumed())
        self.assertIsNot(c.tls.session, old, "no fresh ticket with EPSV")
        self.assertReply(c.cmd("NLST"), 150)
        d.read_all()
        self.assertReply(c.reply(), 226)
        time.sleep(2.1)     # GnuTLS counts whole seconds
        for label in ("the first ticket", "a fresh ticket"):
            with self.subTest(ticket=label):
                port = c.epsv()
                session = old if label == "the first ticket" else c.tls.session
                d = Data(c.host, port, ctx, session)
                self.addCleanup(d.close)
                self.assertFalse(d.tls.resumed(), f"{label} resumed after TLSTIMEOUT")
                r = c.cmd("NLST")
                if r.code == 150:
                    r = c.reply()
                self.assertReply(r, 522)


class CloseNotifyOptional(ServerCase):
    keywords = ("TLSCLOSENOTIFY OPTIONAL",)

    def test_cut_upload_accepted_and_logged(self):
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("STOR cut.bin"), 150)
        body = os.urandom(50 * KIB)
        d.send(body)
        d.sock.shutdown(socket.SHUT_WR)
        self.assertReply(c.reply(), 226)
        self.assertEqual(self.srv.path("cut.bin").read_bytes(), body)
        self.srv.wait_log("accepted (TLSCLOSENOTIFY OPTIONAL)")

    def test_empty_upload_without_close_notify_accepted(self):
        # The workaround for basic-ftp's empty uploads (ftpd(8) BUGS).
        c, ctx = self.secure()
        c.expect("TYPE I", 200)
        d = self.data(c, ctx)
        self.assertReply(c.cmd("STOR empty-cut.bin"), 150)
        d.sock.shutdown(socket.SHUT_WR)
        self.assertReply(c.reply(), 226)
        self.assertEqual(self.srv.path("empty-cut.bin").read_bytes(), b"")
        self.srv.wait_log("STOR /empty-cut.bin: upload ended without TLS close_notify; "
                          "accepted (TLSCLOSENOTIFY OPTIONAL)")



# ---------------------------------------------------------------------------
# make run (server/demo.sh): its policy, and the commands it prints

class MakeRunDemo(unittest.TestCase):
    """demo.sh starts ftpd with SECURE_FTP REQUIRED and SECURE_DATACONN
    PRIVATE and prints curl and lftp commands: each must work as printed."""

    def test_printed_commands_work(self):
        d = ftptest.tmpdir("demo")
        if os.getuid() == 0:
            os.chmod(ftptest.tmp_root(), 0o711)   # RUNAS nobody reaches the home
        port, tlsport = ftptest.free_port(), ftptest.free_port()
        demo = ftptest.ServerProc(
            ["sh", ftptest.src_dir() / "server" / "demo.sh"], port=port, name="demo",
            env={"FTPD_DEMO_DIR": str(d), "PORT": str(port), "TLSPORT": str(tlsport),
                 "FTPD": str(ftptest.ftpd_path())})
        self.addCleanup(demo.stop)
        demo.start()
        out, _ = ftptest.run_ok([ftptest.ftpd_path(), "-t", "-f", d / "ftpd.data"])
        self.assertRegex(out, r"(?m)^SECURE_FTP REQUIRED ")
        self.assertRegex(out, r"(?m)^SECURE_DATACONN PRIVATE ")
        printed = ftptest.wait_for(
            lambda: [line.strip() for line in demo.stdout_path.read_text().splitlines()
                     if line.startswith(("  curl ", "  lftp "))], 5, "the printed commands")
        self.assertGreaterEqual(sum(c.startswith("curl") for c in printed), 2)
        self.assertGreaterEqual(sum(c.startswith("lftp") for c in printed), 1)
        for line in printed:
            with self.subTest(command=line):
                rc, out, err = ftptest.run(shlex.split(line), timeout=30)
                self.assertEqual(rc, 0, f"{line}\n{out}\n{err}\n{demo.log()[-3000:]}")
                if line.endswith("hello.txt"):
                    self.assertEqual(out, "Hello from ftpd.\n")
                else:
                    self.assertIn("hello.txt", out, f"{line}\n{err}")


if __name__ == "__main__":
    unittest.main()
