"""test_ftpd_binding: which TLS sessions a data connection may resume under
SECURE_SESSION_REUSE REQUIRED (the default), row by row.

A data connection of control session A resumes the TLS session that control
session B (or nothing) received.  Accepted: B is A itself, or another live
control session of the same user from the same client address (what rclone
does: one TLS session cache for all its connections).  Refused with 522 and
the reason: B belongs to another user, another address, has ended, logged
out, or was never ours (another ftpd process), or nothing was resumed.

Every row runs under TLS 1.3 (PSK identities), TLS 1.2 with tickets, and TLS
1.2 without tickets ("1.2-sid": the session ID and the server's session
cache).  Python's ssl reuses B's session on A's data connection
(`session=`), over raw sockets (ftpwire), so every byte is the
test's.  An accepted row transfers a file both ways, byte-compared; a
refused row must get no byte of the file, a 522 naming the reason, and the
server's log line saying why.
"""

import re
import ssl
import unittest

import ftpwire
from ftpwire import Ctrl, Data, PASSWORD, Tls, USER, client_context

VERSIONS = ("1.3", "1.2", "1.2-sid")
OTHER = "bob"
POLICY = ("SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE", "SECURE_CTRLCONN PRIVATE")


class Binding(unittest.TestCase):
    files = {"one.bin": 1, "mid.bin": 100_003}

    @classmethod
    def setUpClass(cls):
        cls.srv = ftpwire.ftpd("binding", POLICY, files=cls.files,
                               users={OTHER: PASSWORD})
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    # --- helpers ------------------------------------------------------------

    def ctx(self, tls):
        return client_context(self.srv.cafile, tls)

    def login(self, ctx, user=USER, host="127.0.0.1", source=None):
        """A logged-in control connection with PROT P whose TLS session (and
        TLS 1.3 tickets, read by a NOOP) the client holds."""
        c = Ctrl(host, self.srv.port, source=source)
        self.addCleanup(c.close)
        c.secure_login(ctx, user=user)
        c.expect("NOOP", 200)
        return c

    def resume_on(self, c, ctx, session):
        """A data connection of control connection c resuming `session`:
        (Data, resumed by the client's account)."""
        c.expect("TYPE I", 200)
        port = c.epsv()
        d = Data(c.host, port, ctx, session=session)
        self.addCleanup(d.close)
        return d, d.tls.resumed()

    def assert_accepted(self, c, d, ctx, session, tag):
        """RETR over d, then STOR over a second data connection resuming the
        same session: both complete, byte for byte."""
        self.assertReply(c.cmd("RETR mid.bin"), 150)
        self.assertEqual(d.read_all(), self.srv.path("mid.bin").read_bytes())
        self.assertReply(c.reply(), 226)
        d.finish()
        port = c.epsv()
        up = f"up-{tag}.bin"
        payload = bytes(range(256)) * 300 + tag.encode()
        d2 = Data(c.host, port, ctx, session=session)
        self.addCleanup(d2.close)
        self.assertTrue(d2.tls.resumed())
        self.assertReply(c.cmd(f"STOR {up}"), 150)
        d2.send(payload)
        d2.tls.close_notify()
        d2.tls.recv()
        self.assertReply(c.reply(), 226)
        self.assertEqual(self.srv.path(up).read_bytes(), payload)

    def assert_refused(self, c, d, reason, log, after_150=False):
        """The transfer is refused with 522 and `reason`, no byte of the
        file comes, and the log says `log`.  after_150: RETR was sent and
        its 150 read already."""
        got = b""
        try:
            got = d.tls.recv()
        except (ssl.SSLError, OSError):
            pass
        r = c.reply() if after_150 else c.cmd("RETR mid.bin")
        if r.code == 150:
            r = c.reply()
        self.assertReply(r, 522, reason)
        self.assertEqual(got, b"")
        self.srv.wait_log(log)
        c.expect("NOOP", 200)

    def assertReply(self, r, code, fragment=None):
        self.assertEqual(r.code, code, f"{r.text!r}\n--- ftpd ---\n"
                         f"{self.srv.stderr()[-3000:]}")
        if fragment is not None:
            self.assertIn(fragment, r.text)

    def wait_closed(self, c):
        """Wait until the server logged the end of control connection c."""
        local = c.sock.getsockname()
        c.close()
        port = local[1]
        self.srv.wait_log(re.compile(rf"\[#\d+ [^\]]*@{re.escape(local[0])}\] "
                                     rf"session closed"), timeout=5)
        return port

    # --- the rows -----------------------------------------------------------

    def test_own_control_session_accepted(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                d, resumed = self.resume_on(a, ctx, a.tls.session)
                self.assertTrue(resumed)
                self.assert_accepted(a, d, ctx, a.tls.session, f"own-{tls}")

    def test_same_user_same_address_accepted(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.login(ctx)
                d, resumed = self.resume_on(a, ctx, b.tls.session)
                self.assertTrue(resumed, "the client did not resume B's session")
                self.assert_accepted(a, d, ctx, b.tls.session, f"sibling-{tls}")
                self.srv.wait_log("data connection accepted: its TLS session was "
                                  "issued to another control connection of the "
                                  "same user from the same address")
                # B is still usable on its own.
                d2, resumed = self.resume_on(b, ctx, b.tls.session)
                self.assertTrue(resumed)
                self.assert_accepted(b, d2, ctx, b.tls.session, f"sibling-b-{tls}")

    def test_another_user_refused(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.login(ctx, user=OTHER)
                d, _ = self.resume_on(a, ctx, b.tls.session)
                self.assert_refused(a, d, "belongs to another user",
                                    "data connection refused (SECURE_SESSION_REUSE "
                                    "REQUIRED): its TLS session was issued to "
                                    "another user's control connection")

    def test_another_address_refused(self):
        sources = [("127.0.0.1", "127.0.0.2", "127.0.0.1")]
        if self.srv.ipv6:
            sources.append(("::1", None, "127.0.0.1"))
        for tls in VERSIONS:
            for b_host, b_source, a_host in sources:
                with self.subTest(tls=tls, b=b_source or b_host):
                    ctx = self.ctx(tls)
                    a = self.login(ctx, host=a_host)
                    b = self.login(ctx, host=b_host, source=b_source)
                    d, _ = self.resume_on(a, ctx, b.tls.session)
                    self.assert_refused(a, d, "belongs to another client address",
                                        "its TLS session was issued to a control "
                                        "connection from another address")

    def test_ended_control_session_refused(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.login(ctx)
                session = b.tls.session
                b.expect("QUIT", 221)
                self.wait_closed(b)
                d, _ = self.resume_on(a, ctx, session)
                if tls == "1.2-sid":
                    # The session ID went with B's records: to the server it
                    # is any client's random ID, and the handshake is full.
                    self.assert_refused(a, d, "not resumed",
                                        "it resumed no TLS session (full handshake)")
                else:
                    self.assert_refused(a, d, "not issued to a live control connection",
                                        "its TLS session was not issued to a live "
                                        "control connection of this server")

    def test_logged_out_control_session_refused(self):
        # REIN: the other control connection is live but logged in as
        # nobody: it vouches for no one.
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.login(ctx)
                b.expect("REIN", 220)
                d, _ = self.resume_on(a, ctx, b.tls.session)
                self.assert_refused(a, d, "belongs to another user",
                                    "its TLS session was issued to another user's "
                                    "control connection (or one not logged in)")

    def test_session_of_another_process_refused(self):
        # Another ftpd with the same certificate and users: its tickets are
        # sealed with its own key and its session IDs are in its own cache.
        other = ftpwire.ftpd("binding-other", POLICY, files={"one.bin": 1},
                             users={OTHER: PASSWORD})
        self.addCleanup(other.stop)
        other.start()
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = Ctrl("127.0.0.1", other.port)
                self.addCleanup(b.close)
                b.secure_login(ctx)
                b.expect("NOOP", 200)
                d, resumed = self.resume_on(a, ctx, b.tls.session)
                self.assertFalse(resumed)
                self.assert_refused(a, d, "not resumed",
                                    "it resumed no TLS session (full handshake)")

    def test_full_handshake_refused(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                d, resumed = self.resume_on(a, ctx, None)
                self.assertFalse(resumed)
                self.assert_refused(a, d, "not resumed",
                                    "it resumed no TLS session (full handshake)")

    # --- an issuer that has not logged in yet --------------------------------

    def fresh(self, ctx, source=None):
        """A control connection after AUTH TLS and its handshake, not logged
        in; a NOOP makes the client read its TLS 1.3 tickets."""
        b = Ctrl("127.0.0.1", self.srv.port, source=source)
        self.addCleanup(b.close)
        b.expect("AUTH TLS", 234)
        b.starttls(ctx)
        b.expect("NOOP", 200)
        return b

    def test_issuer_logs_in_later_accepted(self):
        # rclone's case: the newest ticket in its shared cache comes from a
        # connection still logging in.  The data connection waits for that
        # login; the same user from the same address: accepted.
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.fresh(ctx)
                d, resumed = self.resume_on(a, ctx, b.tls.session)
                self.assertTrue(resumed)
                self.assertReply(a.cmd("RETR mid.bin"), 150)
                self.assertTrue(a.quiet_for(0.3), "the transfer did not wait")
                b.login()
                self.assertEqual(d.read_all(), self.srv.path("mid.bin").read_bytes())
                self.assertReply(a.reply(), 226)

    def test_issuer_logs_in_as_another_user_refused(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.fresh(ctx)
                d, _ = self.resume_on(a, ctx, b.tls.session)
                self.assertReply(a.cmd("RETR mid.bin"), 150)
                b.login(user=OTHER)
                self.assert_refused(a, d, "belongs to another user",
                                    "its TLS session was issued to another user's "
                                    "control connection", after_150=True)

    def test_issuer_not_logged_in_from_another_address_refused(self):
        # No login can make it a sibling: refused at once, no wait.
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.fresh(ctx, source="127.0.0.2")
                d, _ = self.resume_on(a, ctx, b.tls.session)
                self.assert_refused(a, d, "belongs to another client address",
                                    "its TLS session was issued to a control "
                                    "connection from another address")

    def test_issuer_never_logs_in_refused(self):
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                a = self.login(ctx)
                b = self.fresh(ctx)
                d, _ = self.resume_on(a, ctx, b.tls.session)
                self.assertReply(a.cmd("RETR mid.bin"), 150)
                b.expect("QUIT", 221)
                self.assert_refused(a, d, "not issued to a live control connection",
                                    "its TLS session was not issued to a live "
                                    "control connection of this server",
                                    after_150=True)

    # --- control connections that resume -----------------------------------

    def test_control_connection_resumes_then_binds_its_data(self):
        # A control connection may resume any session of ours (ordinary TLS
        # resumption).  Its data connections then offer that session: it is
        # theirs too, even after the session's first holder has gone.
        for tls in VERSIONS:
            with self.subTest(tls=tls):
                ctx = self.ctx(tls)
                b = self.login(ctx, user=OTHER)
                a = Ctrl("127.0.0.1", self.srv.port)
                self.addCleanup(a.close)
                a.expect("AUTH TLS", 234)
                a.tls = Tls(a.sock, ctx, session=b.tls.session).handshake()
                self.assertTrue(a.tls.resumed(), "the control connection did not resume")
                a.login()
                a.expect("PBSZ 0", 200)
                a.expect("PROT P", 200)
                a.expect("NOOP", 200)
                b.expect("QUIT", 221)
                self.wait_closed(b)
                # The session bob's connection received now belongs to a
                # live control session of alice's too: a's own.
                d, resumed = self.resume_on(a, ctx, b.tls.session)
                self.assertTrue(resumed)
                self.assert_accepted(a, d, ctx, b.tls.session, f"adopted-{tls}")


if __name__ == "__main__":
    unittest.main()
