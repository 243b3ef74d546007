"""test_ftpd_hello: no HelloRetryRequest for the usual TLS client libraries,
on control and data connections.

ftpd's handshake hooks count the ServerHello messages each server session
sends (a HelloRetryRequest is a ServerHello on the wire, and counted as both)
and log, at debug level, one line per handshake:

    control connection handshake: X25519, 1 ServerHello, 0 HelloRetryRequest
    data connection handshake: X25519, 1 ServerHello, 0 HelloRetryRequest

Each test runs one client library against ftpd and requires every handshake
it caused to show exactly one ServerHello, with at least the control and
data connections it must have made.  The count cannot pass by accident:
test_counter_sees_a_retry makes OpenSSL offer a key share for P-384 only,
which must cost a HelloRetryRequest, and checks that the server counts it
and that the client's own trace shows the same two ServerHello messages;
Python's msg_callback counts on the client side too.

Clients: OpenSSL (Python's ssl, openssl s_client), GnuTLS (gnutls-cli, two
processes: the data connection is a full handshake, so that server accepts
one), Go (rclone), Node (basic-ftp).
"""

import re
import ssl
import unittest

import ftptest
import interop
import multiconn
import ftpwire
from ftpwire import Ctrl, Data, USER, client_context

POLICY = ("SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE", "SECURE_CTRLCONN PRIVATE")
LINE = re.compile(r"(control|data) connection handshake: (\S+), (\d+) ServerHello, "
                  r"(\d+) HelloRetryRequest")


class HelloCase(unittest.TestCase):
    keywords = POLICY
    implicit = False

    @classmethod
    def setUpClass(cls):
        cls.srv = ftpwire.ftpd(cls.__name__, cls.keywords,
                               files={"one.bin": 1, "mid.bin": 100_003}, implicit=cls.implicit)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def mark(self):
        return len(self.srv.stderr())

    def handshakes(self, since, control, data):
        """The handshakes logged after `since`, once at least `control`
        control and `data` data handshakes are there: [(kind, group,
        ServerHello count, HelloRetryRequest count)]."""
        def seen():
            got = [(m.group(1), m.group(2), int(m.group(3)), int(m.group(4)))
                   for m in LINE.finditer(self.srv.stderr()[since:])]
            kinds = [g[0] for g in got]
            if kinds.count("control") >= control and kinds.count("data") >= data:
                return got
            return None
        return ftptest.wait_for(seen, 10, f"{control} control and {data} data "
                                          "handshakes in the ftpd log")

    def assert_one_hello_each(self, since, control, data):
        got = self.handshakes(since, control, data)
        bad = [g for g in got if g[2] != 1 or g[3] != 0]
        self.assertFalse(bad, f"handshakes with other than one ServerHello: {bad}")
        return got


class Default(HelloCase):
    """The default policy, explicit and implicit TLS."""
    implicit = True

    def test_openssl_python(self):
        for tls in ("1.3", "1.2"):
            with self.subTest(tls=tls):
                since = self.mark()
                hellos = []
                ctx = client_context(self.srv.cafile, tls)

                def cb(conn, direction, version, content_type, msg_type, data):
                    if (direction == "read" and
                            content_type == ssl._TLSContentType.HANDSHAKE and
                            msg_type == ssl._TLSMessageType.SERVER_HELLO):
                        hellos.append(conn)
                ctx._msg_callback = cb
                c = Ctrl(self.srv.host, self.srv.port)
                self.addCleanup(c.close)
                c.secure_login(ctx)
                c.expect("TYPE I", 200)
                for verb in ("LIST", "RETR mid.bin"):
                    d = Data.for_ctrl(c, c.epsv(), ctx)
                    self.addCleanup(d.close)
                    self.assertTrue(d.tls.resumed())
                    self.assertEqual(c.cmd(verb).code, 150)
                    d.read_all()
                    self.assertEqual(c.reply().code, 226)
                    d.finish()
                    self.assertEqual(hellos.count(d.tls.obj), 1)
                self.assertEqual(hellos.count(c.tls.obj), 1)
                self.assertEqual(len(hellos), 3)
                c.expect("QUIT", 221)
                self.assert_one_hello_each(since, 1, 2)

    def test_counter_sees_a_retry(self):
        # OpenSSL with a key share for P-384 only (it lists X25519 as
        # supported): ftpd prefers X25519 and must ask again.  Without that
        # option: one ServerHello.  Both seen by the client's trace and by
        # the server's count.
        openssl = ftptest.require_program("openssl")
        for groups, want in ((None, 1), ("P-384:X25519", 2)):
            with self.subTest(groups=groups):
                since = self.mark()
                argv = [openssl, "s_client", "-starttls", "ftp", "-connect",
                        f"127.0.0.1:{self.srv.port}", "-servername", "localhost",
                        "-CAfile", self.srv.cafile, "-verify_return_error", "-trace",
                        "-tls1_3"]
                if groups:
                    argv += ["-groups", groups]
                rc, out, err = ftptest.run(argv, input="QUIT\r\n", timeout=30)
                self.assertEqual(rc, 0, err[-2000:])
                self.assertEqual(len(re.findall(r"^\s+ServerHello, Length=", out, re.M)),
                                 want, out[-3000:])
                got = self.handshakes(since, 1, 0)
                self.assertEqual([(g[2], g[3]) for g in got], [(want, want - 1)])
                if want == 2:
                    self.srv.wait_log("TLS HelloRetryRequest sent")

    def test_go_rclone(self):
        d = ftptest.tmpdir("hello-rclone")
        ftptest.make_tree(d / "src", {f"f{i}.bin": 1000 * i for i in range(1, 9)})
        for implicit in (False, True):
            for tls in ("1.3", "1.2"):
                with self.subTest(implicit=implicit, tls=tls):
                    since = self.mark()
                    remote = f"ftpd:rc-{int(implicit)}-{tls}"
                    for args in (["copy", d / "src", remote], ["lsf", "-R", remote],
                                 ["copy", remote, d / f"back-{int(implicit)}-{tls}"]):
                        rc, out, err = multiconn.rclone(self.srv, args, USER,
                                                        implicit=implicit, tls=tls)
                        self.assertEqual(rc, 0, f"rclone {args[0]}: {err[-3000:]}")
                    # 8 uploads, 8 downloads and 3 listings at least.
                    got = self.assert_one_hello_each(since, 3, 19)
                    self.assertTrue(all(g[1] == "X25519" for g in got), got)

    def test_node_basic_ftp(self):
        d = ftptest.tmpdir("hello-node")
        want = ftptest.make_tree(d, {"one.bin": 1, "mib.bin": 1 << 20})
        for secure in ("explicit", "implicit"):
            for tls in ("1.3", "1.2"):
                with self.subTest(secure=secure, tls=tls):
                    since = self.mark()
                    tag = f"{secure}-{tls}"
                    spec = {"user": USER, "secure": secure, "tls": tls,
                            "uploads": [[str(d / n), f"node-{tag}-{n}"] for n in want],
                            "downloads": [[f"node-{tag}-{n}", str(d / f"{tag}-{n}")]
                                          for n in want]}
                    res = multiconn.basic_ftp(self.srv, spec, ftptest.tmpdir("node"))
                    self.assertTrue(res["ok"], f"{res.get('step')}: {res.get('error')}\n"
                                               f"{res['stderr'][-3000:]}")
                    for n, digest in want.items():
                        self.assertEqual(ftptest.sha256(d / f"{tag}-{n}"), digest)
                    # 2 uploads, 1 listing, 2 downloads.
                    self.assert_one_hello_each(since, 1, 5)


class ReuseAllowed(HelloCase):
    """gnutls-cli cannot resume across processes: its data connection is a
    full handshake, which this server accepts."""
    keywords = POLICY + ("SECURE_SESSION_REUSE ALLOWED",)

    def test_gnutls_cli(self):
        cli = ftptest.require_program("gnutls-cli")
        for prio in ("NORMAL:-VERS-ALL:+VERS-TLS1.3", "NORMAL:-VERS-ALL:+VERS-TLS1.2"):
            with self.subTest(priority=prio):
                since = self.mark()
                d = ftptest.tmpdir("hello-gnutls")
                base = [cli, f"--x509cafile={self.srv.cafile}", f"--priority={prio}"]
                ctrl = interop.GnutlsCli(base + ["--starttls-proto=ftp", "--crlf",
                                                 f"--logfile={d / 'ctrl.log'}", "-p",
                                                 str(self.srv.port), "localhost"])
                data = None
                try:
                    ctrl.expect(f"USER {USER}", 331)
                    ctrl.expect(f"PASS {self.srv.password}", 230)
                    ctrl.expect("PBSZ 0", 200)
                    ctrl.expect("PROT P", 200)
                    ctrl.expect("TYPE I", 200)
                    text = ctrl.expect("EPSV", 229)
                    port = int(re.search(r"\|\|\|(\d+)\|", text).group(1))
                    data = interop.GnutlsCli(base + [f"--logfile={d / 'data.log'}", "-p",
                                                     str(port), "localhost"],
                                             out=d / "mid.bin")
                    ctrl.line("RETR mid.bin")
                    code, text = ctrl.reply()
                    if code == 150:
                        code, text = ctrl.reply()
                    self.assertEqual(code, 226, text)
                    self.assertIsNotNone(data.wait(10), "the data gnutls-cli did not end")
                    ctrl.expect("QUIT", 221)
                finally:
                    if data:
                        data.stop()
                    ctrl.stop()
                self.assertEqual(ftptest.sha256(d / "mid.bin"), self.srv.hashes["mid.bin"])
                got = self.assert_one_hello_each(since, 1, 1)
                # GnuTLS sends key shares for P-256 and X25519: ours is taken.
                self.assertTrue(all(g[1] == "X25519" for g in got), got)


if __name__ == "__main__":
    unittest.main()
