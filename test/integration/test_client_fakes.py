"""test_client_fakes: our ftp client against a scripted FTPS server
(fakeftps.py) that breaks the protocol where ftpd, vsftpd and ProFTPD never
would, to prove the client's promises (ftp(1)) that no real server can
exercise:

  * a PROT P download whose data stream ends without close_notify is a
    failure even when the server answers 226: the .part file stays, nothing
    is renamed into place, the exit status says so;
  * an upload ends with the client's close_notify;
  * a broken download stream whose final reply does not come is ended by
    ABOR, not by waiting for INACTTIME;
  * a download's data connection is closed as soon as its stream ended,
    before the final reply (ProFTPD waits for that close), and the .part
    is renamed only after the 226;
  * a 451 after a clean transfer fails it (download: .part kept);
  * SECURE_SESSION_REUSE REQUIRED fails a data connection that did not
    resume the control connection's TLS session (and ALLOWED accepts it);
  * ALPN "ftp" is offered, and a server that selects another protocol is
    refused during the handshake (ALPACA), before USER;
  * in active mode only the server's address may connect to the client's
    port: a connection from another address is closed without a byte.

Each test also runs the same server without the fault (or the client
without the option), so that the fault, and nothing else, is what the
client refuses.
"""

import re
import unittest

import fakeftps
import ftpclient as fc
import ftptest
from fakeftps import FakeFtps

USER, PASSWORD = "fake", "fake-Secret-1"


class FakeCase(unittest.TestCase):
    def setUp(self):
        self.work = ftptest.tmpdir(self._testMethodName)
        self.netrc = fc.write_netrc(self.work, [("127.0.0.1", USER, PASSWORD)])

    def serve(self, **kw):
        srv = FakeFtps(**kw).start()
        self.addCleanup(srv.stop)
        return srv

    def ftp(self, srv, script, member_text="", tls="1.3"):
        member = fc.write_member(self.work, fc.PIN[tls] + member_text)
        return fc.ftp(["-r", "tls", srv.host, srv.port], member, self.netrc,
                      cafile=srv.cafile, input=script, cwd=self.work, timeout=60)

    def show(self, rc, out, err, srv):
        return fc.show(rc, out, err) + "\n--- fake server ---\n" + srv.text()


class Truncation(FakeCase):
    """ftp(1): a download is renamed from .part only when the data stream
    ended cleanly (close_notify under TLS) and the reply was 2xx."""

    BODY = ftptest.random.Random(13).randbytes(200003)

    def test_cut_without_close_notify_fails_despite_226(self):
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                srv = self.serve(files={"cut.bin": self.BODY}, cut=True)
                rc, out, err = self.ftp(srv, "get cut.bin\n", tls=tls)
                msg = self.show(rc, out, err, srv)
                self.assertIn("<- 226 Transfer complete", srv.log, msg)
                self.assertEqual(rc, fc.EXIT_FAIL, msg)
                self.assertIn("ended without TLS close_notify", err, msg)
                self.assertFalse((self.work / "cut.bin").exists(), "a cut download looks complete")
                # Everything that arrived is kept for reget.
                part = self.work / "cut.bin.part"
                self.assertEqual(part.read_bytes(), self.BODY, msg)
                part.unlink()

    def test_cut_and_no_reply_ends_with_abor(self):
        srv = self.serve(files={"cut.bin": self.BODY}, cut="silent")
        rc, out, err = self.ftp(srv, "get cut.bin\n")
        msg = self.show(rc, out, err, srv)
        self.assertEqual(rc, fc.EXIT_FAIL, msg)
        log = srv.text()
        self.assertIn("data: cut without close_notify", log, msg)
        # ABOR, after the Telnet IP and Synch bytes, once the stream broke.
        abor = re.search(r"-> \S*ABOR\n<- 426", log)
        self.assertIsNotNone(abor, msg)
        self.assertLess(log.index("data: cut without close_notify"), abor.start(), msg)
        self.assertIn("426", err, msg)
        self.assertFalse((self.work / "cut.bin").exists(), "a cut download looks complete")
        self.assertEqual((self.work / "cut.bin.part").read_bytes(), self.BODY, msg)

    def test_same_server_with_close_notify_succeeds(self):
        srv = self.serve(files={"whole.bin": self.BODY})
        rc, out, err = self.ftp(srv, "get whole.bin\n")
        self.assertEqual(rc, 0, self.show(rc, out, err, srv))
        self.assertEqual((self.work / "whole.bin").read_bytes(), self.BODY)
        self.assertFalse((self.work / "whole.bin.part").exists())

    def test_upload_ends_with_close_notify(self):
        src = ftptest.make_file(self.work / "up.bin", 70001, seed=5)
        srv = self.serve()
        rc, out, err = self.ftp(srv, "put up.bin\n")
        self.assertEqual(rc, 0, self.show(rc, out, err, srv))
        self.assertEqual(srv.stored.get("up.bin"), src.read_bytes())
        self.assertTrue(srv.close_notify["up.bin"], "the upload ended without close_notify")


class NegativeReply(FakeCase):
    """ftp(1): success needs both ends to be good: a transfer whose data
    ended cleanly (close_notify both ways) but whose final reply is 451
    fails; the download stays a .part file."""

    BODY = b"all of it\n" * 3000

    def test_download_then_451(self):
        srv = self.serve(files={"f.bin": self.BODY}, final="451 Local error in processing")
        rc, out, err = self.ftp(srv, "get f.bin\n")
        msg = self.show(rc, out, err, srv)
        self.assertEqual(rc, fc.EXIT_FAIL, msg)
        self.assertIn("451 Local error in processing", err, msg)
        self.assertFalse((self.work / "f.bin").exists(), "renamed despite 451")
        self.assertEqual((self.work / "f.bin.part").read_bytes(), self.BODY)

    def test_upload_then_451(self):
        src = ftptest.make_file(self.work / "up.bin", 30001, seed=6)
        srv = self.serve(final="451 Local error in processing")
        rc, out, err = self.ftp(srv, "put up.bin\n")
        msg = self.show(rc, out, err, srv)
        self.assertTrue(srv.close_notify.get("up.bin"), msg)     # the data side was clean
        self.assertEqual(rc, fc.EXIT_FAIL, msg)
        self.assertIn("451 Local error in processing", err, msg)


class CloseBeforeReply(FakeCase):
    """ftp(1): once a download's data stream has ended cleanly (EOF in
    clear, close_notify under TLS) the client closes its data connection
    at once, without waiting for the final reply: ProFTPD sends its 226
    only after the client closed, and a client that waits for the 226
    first stalls until a timeout.  The file is still renamed from .part
    only once the 226 arrived.  The fake server, like ProFTPD, waits
    (up to fakeftps.CLOSE_WAIT s) for the client's close before the 226;
    the test asserts the order of those events, not how long they took."""

    BODY = ftptest.random.Random(17).randbytes(300007)

    def get_awaiting_close(self, prot, final="226 Transfer complete"):
        for name in ("f.bin", "f.bin.part"):
            (self.work / name).unlink(missing_ok=True)
        srv = self.serve(files={"f.bin": self.BODY}, await_close=True, final=final)
        srv.on_client_close = lambda: ((self.work / "f.bin").exists(),
                                       (self.work / "f.bin.part").exists())
        rc, out, err = self.ftp(srv, f"{prot}\nget f.bin\n")
        return srv, rc, self.show(rc, out, err, srv)

    def test_download_closes_before_226(self):
        # In clear only the close tells the server; under TLS our answering
        # close_notify and FIN already did, and still must.
        for prot, seen in (("clear", "data connection: clear"),
                           ("private", "data connection: TLSv1.3, resumed")):
            with self.subTest(prot=prot):
                srv, rc, msg = self.get_awaiting_close(prot)
                self.assertIn(seen, srv.log, msg)
                self.assertEqual(srv.data_events, ["client closed", "final reply sent"], msg)
                # When the client closed, the 226 had not come: still a .part.
                self.assertEqual(srv.close_probe, (False, True), msg)
                self.assertEqual(rc, 0, msg)
                self.assertEqual((self.work / "f.bin").read_bytes(), self.BODY)
                self.assertFalse((self.work / "f.bin.part").exists())

    def test_closed_then_451_keeps_the_part(self):
        srv, rc, msg = self.get_awaiting_close("clear", final="451 Local error in processing")
        self.assertEqual(srv.data_events, ["client closed", "final reply sent"], msg)
        self.assertEqual(rc, fc.EXIT_FAIL, msg)
        self.assertFalse((self.work / "f.bin").exists(), "renamed despite 451")
        self.assertEqual((self.work / "f.bin.part").read_bytes(), self.BODY)


class SessionReuse(FakeCase):
    """ftp(1): SECURE_SESSION_REUSE REQUIRED fails a data connection that
    did not resume the control connection's TLS session."""

    BODY = b"resumed or not\n" * 1000

    def test_required_refuses_a_full_handshake(self):
        for tls in ("1.2", "1.3"):
            with self.subTest(tls=tls):
                srv = self.serve(files={"f.bin": self.BODY}, resume=False)
                rc, out, err = self.ftp(srv, "get f.bin\n", tls=tls,
                                        member_text="SECURE_SESSION_REUSE REQUIRED\n")
                msg = self.show(rc, out, err, srv)
                self.assertIn("data connection: TLSv" + tls + ", full handshake", srv.log, msg)
                self.assertEqual(rc, fc.EXIT_FAIL, msg)
                self.assertIn("SECURE_SESSION_REUSE REQUIRED", err, msg)
                self.assertFalse((self.work / "f.bin").exists())

    def test_allowed_accepts_a_full_handshake(self):
        srv = self.serve(files={"f.bin": self.BODY}, resume=False)
        rc, out, err = self.ftp(srv, "get f.bin\n")
        self.assertEqual(rc, 0, self.show(rc, out, err, srv))
        self.assertIn("data connection: TLSv1.3, full handshake", srv.log)
        self.assertEqual((self.work / "f.bin").read_bytes(), self.BODY)

    def test_required_accepts_a_resumed_session(self):
        srv = self.serve(files={"f.bin": self.BODY})
        rc, out, err = self.ftp(srv, "get f.bin\n", member_text="SECURE_SESSION_REUSE REQUIRED\n")
        self.assertEqual(rc, 0, self.show(rc, out, err, srv))
        self.assertIn("data connection: TLSv1.3, resumed", srv.log)
        self.assertEqual((self.work / "f.bin").read_bytes(), self.BODY)


class Alpn(FakeCase):
    """ftp(1) SECURITY: ALPN ftp is offered, and a server that selects
    another protocol is refused (ALPACA)."""

    def test_ftp_offered_and_accepted(self):
        srv = self.serve(files={"one.bin": b"1"}, alpn=["ftp"])
        rc, out, err = self.ftp(srv, "get one.bin\n")
        self.assertEqual(rc, 0, self.show(rc, out, err, srv))
        self.assertEqual(srv.alpn_offered, "ftp")

    def test_other_protocol_refused_before_user(self):
        for proto in ("http/1.1", "imap"):
            with self.subTest(proto=proto):
                srv = self.serve(foreign_alpn=proto)
                rc, out, err = self.ftp(srv, "ls\n", tls="1.2")
                msg = self.show(rc, out, err, srv)
                self.assertEqual(rc, fc.EXIT_CONN, msg)
                self.assertIn("No common application protocol", err, msg)
                self.assertNotIn("-> USER", "\n".join(srv.log), msg)
                # no_application_protocol (RFC 7301 section 3.2), fatal.
                self.assertIn((2, 120), fakeftps.alerts(srv.client_answer or b""), msg)


class Active(FakeCase):
    """ftp(1) SECURITY, Passive addresses: in active mode only the server's
    address may connect to the port the client opens."""

    BODY = b"active\n" * 5000

    def test_stranger_on_the_active_port_dropped(self):
        for extra, verb in (("", "EPRT |1|127.0.0.1|"), ("EPSV4 FALSE\n", "PORT 127,0,0,1,")):
            with self.subTest(verb=verb.split()[0]):
                srv = self.serve(files={"a.bin": self.BODY}, thief=True)
                rc, out, err = self.ftp(srv, "get a.bin\n",
                                        member_text="FWFRIENDLY FALSE\n" + extra)
                msg = self.show(rc, out, err, srv)
                self.assertTrue(any(l.startswith("-> " + verb) for l in srv.log), msg)
                self.assertEqual(srv.thief, "closed", msg)
                self.assertEqual(rc, 0, msg)
                self.assertEqual((self.work / "a.bin").read_bytes(), self.BODY)
                (self.work / "a.bin").unlink()


if __name__ == "__main__":
    unittest.main()
