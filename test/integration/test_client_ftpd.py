"""test_client_ftpd: our ftp client against our ftpd.

Every ready member of ftpdata/ is served by ftpd (with the test's port,
addresses, USERFILE, KEYRING and passive ports appended; the last
statement wins) and used by the client: URL download with the password
from netrc, URL listing and upload, a batch session with every transfer
and file command, exit statuses in batch mode and -k, TLS 1.2 and 1.3
pinned by the client member's CIPHERSUITE, EPSV, PASV and active mode,
IPv6, implicit TLS, CCC, TYPE A.  Failures: a self-signed server
certificate, a wrong host name (both refused before USER, exit 4),
--insecure (works, with a warning), PROT P refused by the server (nothing
transferred), data connections that do not resume the control session, a
server killed mid-download (the .part file stays, the exit status is
non-zero, reget completes it byte for byte), a reply flood.
"""

import os
import pwd
import re
import signal
import socket
import time
import unittest
import zlib
from pathlib import Path

import ftpclient as fc
import ftptest

USER = "demo"
PASSWORD = "demo-Secret-1"
TEXT = "first line\nsecond line\n\nlast line\n"

_hash = None


def password_hash():
    global _hash
    if _hash is None:
        _hash = ftptest.passwd_hash(PASSWORD)
    return _hash


def codes(text, keyword):
    """Is keyword coded (not commented out) in member text?"""
    return re.search(rf"^\s*{keyword}\b", text, re.M | re.I) is not None


class Ftpd:
    """ftpd serving member `member` of ftpdata/ (plus `extra` lines) for
    USER, with ftptest.STANDARD_FILES and text.txt in its home."""

    def __init__(self, member, family=socket.AF_INET, keyring=None, extra="", name="ftpd"):
        c = ftptest.certs()
        self.d = ftptest.tmpdir(name)
        self.home = self.d / "home"
        self.files = ftptest.make_tree(self.home)
        (self.home / "text.txt").write_text(TEXT)
        self.host = ftptest.loopback(family)
        self.family = family
        self.port = ftptest.free_port(family)
        self.text = (ftptest.src_dir() / "ftpdata" / member).read_text()
        self.tlsport = ftptest.free_port(family) if codes(self.text, "TLSPORT") else None
        self.passive = ftptest.free_port_range(16, family)
        users = self.d / "users"
        users.write_text(f"{USER}:{password_hash()}:{self.home}\n")
        os.chmod(users, 0o600)
        lines = [f"PORT {self.port}", f"LISTENADDRESS ({self.host})", f"USERFILE {users}",
                 "PASSIVEDATAPORTS (%d,%d)" % self.passive]
        if keyring is not None or codes(self.text, "KEYRING"):
            lines.append(f"KEYRING {keyring or c.server.keyring}")
        if self.tlsport:
            lines.append(f"TLSPORT {self.tlsport}")
        if os.getuid() == 0:
            # ftpd refuses to serve as root: it switches to RUNAS, which
            # must reach the home (below the run's 0700 temp directory).
            lines.append("RUNAS nobody")
            os.chmod(ftptest.tmp_root(), 0o711)
            nobody = pwd.getpwnam("nobody")
            for p in [self.home, *self.home.rglob("*")]:
                os.chown(p, nobody.pw_uid, nobody.pw_gid)
        self.member = self.d / "ftpd.data"
        self.member.write_text(f"{self.text}\n; the test's\n" + "\n".join(lines) + "\n" + extra)
        self.proc = None

    def start(self):
        self.proc = ftptest.ServerProc([ftptest.ftpd_path(), "-f", self.member, "-v"],
                                       self.port, host=self.host, tmp=self.d, name="ftpd")
        self.proc.start()
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()

    def kill(self):
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.stop()

    def log(self):
        return self.proc.log() if self.proc is not None else ""

    def url(self, path="", scheme="ftpes", user=USER, port=None):
        return f"{scheme}://{user}@{ftptest.url_host(self.host)}:{port or self.port}/{path}"


class ClientTest(unittest.TestCase):
    """One ftpd per class (cls.member, cls.extra), a netrc for it, helpers."""

    member = "tls-required.data"
    extra = ""
    family = socket.AF_INET

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd(cls.member, family=cls.family, extra=cls.extra)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()
        cls.cdir = ftptest.tmpdir("client")
        names = {cls.srv.host, "localhost"}
        cls.netrc = fc.write_netrc(cls.cdir, [(n, USER, PASSWORD) for n in names])

    def setUp(self):
        self.work = ftptest.tmpdir(self.id().rsplit(".", 1)[-1])
        self.mark = len(self.srv.log())

    def new_log(self):
        """What the server logged since this test began."""
        return self.srv.log()[self.mark:]

    def ftp(self, args, member_text="", input=None, cafile=True, timeout=60):
        member = fc.write_member(self.work, member_text)
        ca = ftptest.certs().ca_cert if cafile is True else cafile
        return fc.ftp(args, member, self.netrc, cafile=ca, input=input, cwd=self.work,
                      timeout=timeout)

    def ok(self, args, **kw):
        rc, out, err = self.ftp(args, **kw)
        if rc != 0:
            self.fail(fc.show(rc, out, err, self.srv))
        return out, err

    def batch(self, script, args=(), **kw):
        return self.ftp([*args, "-r", "tls", self.srv.host, self.srv.port], input=script, **kw)

    def same(self, local, name):
        self.assertEqual(ftptest.sha256(local), self.srv.files[name], f"{name} differs")

    def server_file(self, name):
        return self.srv.home / name


class TlsRequired(ClientTest):
    """tls-required.data: AUTH TLS before USER, PROT P, reuse required."""

    def test_url_download_password_from_netrc(self):
        out, err = self.ok(["-o", "out.bin", self.srv.url("big.bin")])
        self.same(self.work / "out.bin", "big.bin")
        self.assertFalse((self.work / "out.bin.part").exists())
        self.assertRegex(err, r"5242880 bytes received in [\d.]+ secs .*TLS1\.3 resumed")
        self.assertNotIn(PASSWORD, out + err)

    def test_url_default_name_listing_and_stdout(self):
        self.ok([self.srv.url("one.bin")])
        self.same(self.work / "one.bin", "one.bin")
        out, _ = self.ok([self.srv.url("")])
        for name in self.srv.files:
            self.assertIn(name, out)
        out, _ = self.ok(["-o", "-", self.srv.url("text.txt") + ";type=a"])
        self.assertEqual(out, TEXT)

    def test_url_upload(self):
        a = ftptest.make_file(self.work / "up-a.bin", 100000, seed=1)
        b = ftptest.make_file(self.work / "up-b.bin", 3, seed=2)
        self.ok(["-u", self.srv.url(""), a, b])
        self.assertEqual(ftptest.sha256(self.server_file("up-a.bin")), ftptest.sha256(a))
        self.assertEqual(ftptest.sha256(self.server_file("up-b.bin")), ftptest.sha256(b))
        self.ok(["-u", self.srv.url("renamed.bin"), a])
        self.assertEqual(ftptest.sha256(self.server_file("renamed.bin")), ftptest.sha256(a))

    def test_batch_session(self):
        src = ftptest.make_file(self.work / "mine.bin", 200001, seed=3)
        ftptest.make_file(self.work / "m1.dat", 10, seed=4)
        ftptest.make_file(self.work / "m2.dat", 20, seed=5)
        script = "\n".join([
            "pwd", "ls", "nlist", "mlsd",
            "get big.bin", "put mine.bin put1.bin", "rename put1.bin put2.bin",
            "size put2.bin", "modtime put2.bin",
            "mkdir sub", "cd sub", "mput *.dat", "nlist", "cdup",
            "mkdir kept", "put mine.bin kept/mine.bin", "cd kept", "mput *.dat", "cdup",
            "lcd " + str(self.work / "dl"), "mget *.bin", "lcd " + str(self.work),
            "delete put2.bin", "mdelete sub/*.dat", "rmdir sub",
            "stat", "feat", "quote NOOP", "status", "quit", ""])
        (self.work / "dl").mkdir()
        rc, out, err = self.batch(script)
        if rc != 0:
            self.fail(fc.show(rc, out, err, self.srv))
        self.assertIn("Remote directory: /", out)
        self.assertIn("put2.bin\t200001", out)
        self.assertIn("m1.dat", out)
        self.same(self.work / "big.bin", "big.bin")
        for name in self.srv.files:
            self.same(self.work / "dl" / name, name)
        self.assertFalse(self.server_file("put2.bin").exists())
        self.assertFalse(self.server_file("sub").exists())
        self.assertIn("200 ", out)      # quote NOOP
        log = self.new_log()
        for cmd in ("RNFR put1.bin", "RNTO put2.bin", "MKD sub", "RMD sub", "DELE put2.bin",
                    "STOR m1.dat", "MLSD", "SIZE put2.bin", "MDTM put2.bin"):
            self.assertIn(f"-> {cmd}", log)
        # The uploads, byte for byte on the server's disk (put2.bin and
        # sub/ were deleted; their twins in kept/ were not).
        for name in ("mine.bin", "m1.dat", "m2.dat"):
            self.assertEqual(ftptest.sha256(self.server_file("kept") / name),
                             ftptest.sha256(self.work / name), f"{name} on the server")

    def test_batch_stops_at_first_failure(self):
        rc, out, err = self.batch("get missing.bin\nget one.bin\n")
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err))
        lines = [l for l in err.splitlines() if l.startswith("ftp: ")]
        self.assertEqual(len(lines), 1, err)
        self.assertRegex(lines[0], r"^ftp: get missing\.bin: 550 ")
        self.assertFalse((self.work / "one.bin").exists())
        self.assertFalse((self.work / "missing.bin.part").exists())

    def test_keep_going(self):
        rc, out, err = self.batch("cd nowhere\nget one.bin\nfrobnicate\n", args=["-k"])
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err))
        self.same(self.work / "one.bin", "one.bin")
        self.assertIn("ftp: cd nowhere: 550", err)
        self.assertIn("ftp: frobnicate: unknown command", err)

    def test_usage_error_in_batch(self):
        rc, out, err = self.batch("get\n")
        self.assertEqual(rc, fc.EXIT_USAGE, fc.show(rc, out, err))
        self.assertIn("usage: get remote-file", err)

    def test_login_failure(self):
        rc, out, err = self.ftp(["-o", "x", self.srv.url("one.bin", user=f"{USER}:wrong")])
        self.assertEqual(rc, fc.EXIT_LOGIN, fc.show(rc, out, err, self.srv))
        self.assertIn("530", err)
        self.assertNotIn("wrong", err)   # the URL is shown redacted

    def test_plain_ftp_refused_by_server(self):
        rc, out, err = self.ftp(["-o", "x", self.srv.url("one.bin", scheme="ftp")])
        self.assertEqual(rc, fc.EXIT_LOGIN, fc.show(rc, out, err, self.srv))

    def test_tls_versions_pinned_by_member(self):
        for ver in ("1.2", "1.3"):
            with self.subTest(ver=ver):
                rc, out, err = self.batch("get big.bin\nput big.bin b2.bin\nls\n",
                                          member_text=fc.PIN[ver])
                self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
                self.assertEqual(err.count(f"TLS{ver} resumed"), 2, err)
                self.same(self.work / "big.bin", "big.bin")
                self.same(self.server_file("b2.bin"), "big.bin")
                self.server_file("b2.bin").unlink()

    def test_pasv_when_epsv4_false(self):
        rc, out, err = self.batch("ls\n", member_text="EPSV4 FALSE\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("-> PASV", self.new_log())

    def test_active_mode(self):
        rc, out, err = self.batch("get big.bin\nls\n", args=["-A"])
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.same(self.work / "big.bin", "big.bin")
        self.assertIn("-> EPRT |1|127.0.0.1|", self.new_log())
        rc, out, err = self.batch("put big.bin act.bin\n", args=["-A"],
                                  member_text="EPSV4 FALSE\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertRegex(self.srv.log(), r"-> PORT 127,0,0,1,\d+,\d+")
        self.assertEqual(ftptest.sha256(self.server_file("act.bin")), self.srv.files["big.bin"])

    def test_ascii_both_ways(self):
        rc, out, err = self.batch("ascii\nget text.txt t.txt\nput t.txt back.txt\n"
                                  "binary\nget back.txt raw.txt\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertEqual((self.work / "t.txt").read_text(), TEXT)
        self.assertEqual((self.work / "raw.txt").read_text(), TEXT)
        self.assertEqual(self.server_file("back.txt").read_bytes(), TEXT.encode())
        self.assertIn("-> TYPE A", self.new_log())

    def test_ccc_refused_by_server_policy(self):
        rc, out, err = self.batch("ccc\n")
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err, self.srv))
        self.assertIn("534", err)

    def test_session_reuse_none_is_refused(self):
        rc, out, err = self.batch("ls\n", member_text="SECURE_SESSION_REUSE NONE\n")
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err, self.srv))

    def test_verbose_never_shows_the_password(self):
        rc, out, err = self.batch("pwd\n", args=["-v"])
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("---> PASS ****", err)
        self.assertIn("---> AUTH TLS", err)
        self.assertIn("HANDSHAKE -> IDLE", err)
        self.assertNotIn(PASSWORD, out + err)

    def test_no_password_and_no_terminal(self):
        netrc = fc.write_netrc(self.work, [])
        member = fc.write_member(self.work)
        rc, out, err = fc.ftp(["-o", "x", self.srv.url("one.bin")], member, netrc,
                              cafile=ftptest.certs().ca_cert, cwd=self.work)
        self.assertEqual(rc, fc.EXIT_LOGIN, fc.show(rc, out, err))

    def test_group_readable_netrc_refused(self):
        netrc = fc.write_netrc(self.work, [("localhost", USER, PASSWORD)])
        os.chmod(netrc, 0o640)
        member = fc.write_member(self.work)
        rc, out, err = fc.ftp(["-o", "x", self.srv.url("one.bin")], member, netrc,
                              cafile=ftptest.certs().ca_cert, cwd=self.work)
        self.assertEqual(rc, fc.EXIT_USAGE, fc.show(rc, out, err))
        self.assertIn("netrc", err)


class TlsRequiredIPv6(ClientTest):
    family = socket.AF_INET6

    @classmethod
    def setUpClass(cls):
        ftptest.require_ipv6()
        super().setUpClass()

    def test_session_over_ipv6(self):
        rc, out, err = self.batch("ls\nget big.bin\nput big.bin v6.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.same(self.work / "big.bin", "big.bin")
        self.same(self.server_file("v6.bin"), "big.bin")
        self.assertIn("-> EPSV", self.new_log())
        rc, out, err = self.batch("get one.bin\n", args=["-A"])
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("-> EPRT |2|::1|", self.new_log())

    def test_url_with_brackets(self):
        self.ok(["-o", "o.bin", self.srv.url("one.bin")])
        self.same(self.work / "o.bin", "one.bin")


class TlsAllowed(ClientTest):
    """tls-allowed.data: TLS optional, the client chooses PROT, CCC allowed."""

    member = "tls-allowed.data"

    def test_ccc_then_transfers(self):
        rc, out, err = self.batch("ccc\nls\nget big.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.same(self.work / "big.bin", "big.bin")
        self.assertIn("control connection cleared", self.new_log())
        self.assertIn("TLS1.3 resumed", err)   # data stays protected

    def test_ccc_without_notify(self):
        # CCCNONOTIFY: we send no close_notify; the server's is still
        # consumed, and what follows is clear text either way.
        rc, out, err = self.batch("ccc\nls\n", member_text="TLSRFCLEVEL CCCNONOTIFY\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        rc, out, err = self.batch("ccc\n", member_text="TLSRFCLEVEL DRAFT\n")
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err))
        self.assertIn("DRAFT", err)

    def test_clear_data_when_member_says_clear(self):
        rc, out, err = self.batch("get big.bin\n", member_text="SECURE_DATACONN CLEAR\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("bytes received", err)
        self.assertRegex(err, r"secs \([^)]*\), clear")
        self.assertNotIn("-> PROT", self.new_log())

    def test_clear_command(self):
        rc, out, err = self.batch("clear\nget one.bin\nprivate\nget big.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("-> PROT C", self.new_log())
        self.assertRegex(err, r"1 bytes received .*, clear")
        self.assertIn("5242880 bytes received", err)

    def test_plain_url_and_attempt(self):
        out, err = self.ok(["-o", "p.bin", self.srv.url("one.bin", scheme="ftp")])
        self.assertIn(", clear", err)
        out, err = self.ok(["-a", "tls", "-o", "a.bin", self.srv.url("one.bin", scheme="ftp")])
        self.assertIn("TLS1.3 resumed", err)


class ProtRefused(ClientTest):
    """A server that never protects data (SECURE_DATACONN NEVER)."""

    member = "tls-allowed.data"
    extra = "SECURE_DATACONN NEVER\n"

    def test_nothing_transferred_in_clear(self):
        rc, out, err = self.batch("get big.bin\n", args=["-k"])
        self.assertEqual(rc, fc.EXIT_CONN, fc.show(rc, out, err, self.srv))
        self.assertIn("refused PROT P", err)
        self.assertFalse((self.work / "big.bin").exists())
        self.assertFalse((self.work / "big.bin.part").exists())
        log = self.new_log()
        self.assertIn("-> PROT P", log)
        self.assertNotIn("-> RETR", log)
        self.assertNotIn("-> EPSV", log)

    def test_clear_when_asked(self):
        rc, out, err = self.batch("clear\nget one.bin\n", args=["-k"])
        self.assertEqual(rc, fc.EXIT_CONN, fc.show(rc, out, err, self.srv))  # login's PROT P
        self.same(self.work / "one.bin", "one.bin")


class Implicit(ClientTest):
    member = "implicit-tls.data"

    def test_ftps_url(self):
        url = self.srv.url("big.bin", scheme="ftps", port=self.srv.tlsport)
        out, err = self.ok(["-o", "b.bin", url])
        self.same(self.work / "b.bin", "big.bin")
        self.assertIn("TLS1.3 resumed", err)

    def test_explicit_port_too(self):
        self.ok(["-o", "o.bin", self.srv.url("one.bin")])


class Nat(ClientTest):
    """nat.data: PASV replies carry 203.0.113.10."""

    member = "nat.data"
    extra = "EXTENSIONS AUTH_TLS\n"

    @classmethod
    def setUpClass(cls):
        cls.extra += f"KEYRING {ftptest.certs().server.keyring}\n"
        super().setUpClass()

    def test_epsv_needs_no_address(self):
        rc, out, err = self.batch("get big.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.same(self.work / "big.bin", "big.bin")

    def test_pasv_address_ignored(self):
        rc, out, err = self.batch("get one.bin\n", args=["-v"],
                                  member_text="EPSV4 FALSE\nPASSIVEIGNOREADDR TRUE\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertIn("(203,0,113,10,", err)   # what the server advertised
        self.same(self.work / "one.bin", "one.bin")


class PlainMembers(unittest.TestCase):
    """ftpd.data (every statement commented out: no TLS) and both-sides.data
    (one member for both programs) as served, and as the client's."""

    def run_with(self, member, args, input=None, client_member=None):
        srv = Ftpd(member)
        self.addCleanup(srv.stop)
        srv.start()
        work = ftptest.tmpdir("plain")
        netrc = fc.write_netrc(work, [(srv.host, USER, PASSWORD)])
        cm = (ftptest.src_dir() / "ftpdata" / client_member) if client_member else \
            fc.write_member(work)
        return srv, work, fc.ftp([*args, srv.host, srv.port], cm, netrc, input=input, cwd=work)

    def test_ftpd_data_defaults(self):
        srv, work, (rc, out, err) = self.run_with("ftpd.data", [], input="get big.bin\nls\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, srv))
        self.assertEqual(ftptest.sha256(work / "big.bin"), srv.files["big.bin"])
        self.assertIn(", clear", err)
        # TLS required: the server does not offer it, so no USER at all.
        srv, work, (rc, out, err) = self.run_with("ftpd.data", ["-r", "tls"], input="ls\n")
        self.assertEqual(rc, fc.EXIT_CONN, fc.show(rc, out, err, srv))
        self.assertIn("TLS is required", err)
        self.assertNotIn("-> USER", srv.log())

    def test_both_sides_member(self):
        # Its client part asks for TLS (attempt); the server it configures
        # has none: the client goes on in clear, saying so.
        srv, work, (rc, out, err) = self.run_with("both-sides.data", [], input="get one.bin\n",
                                                  client_member="both-sides.data")
        self.assertEqual(rc, 0, fc.show(rc, out, err, srv))
        self.assertIn("does not support TLS", err)
        self.assertEqual(ftptest.sha256(work / "one.bin"), srv.files["one.bin"])


class ClientCertificate(ClientTest):
    """SECURE_LOGIN REQUIRED: the server asks for a certificate from its CA
    and checks that each data connection shows the control connection's
    (TLSCERTCROSSCHECK)."""

    @classmethod
    def setUpClass(cls):
        cls.extra = f"SECURE_LOGIN REQUIRED\nCAFILE {ftptest.certs().ca_cert}\n"
        super().setUpClass()

    def test_cert_from_command_line(self):
        alice = ftptest.certs().alice
        rc, out, err = self.batch("get big.bin\nput big.bin c.bin\n", args=["--cert", alice.pem])
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.same(self.work / "big.bin", "big.bin")
        self.same(self.server_file("c.bin"), "big.bin")
        rc, out, err = self.batch("ls\n", args=["--cert", alice.cert, "--key", alice.key])
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))

    def test_cert_from_keyring(self):
        rc, out, err = self.batch("get one.bin\n",
                                  member_text=f"KEYRING {ftptest.certs().alice.pem}\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))

    def test_no_cert_no_login(self):
        rc, out, err = self.batch("ls\n")
        self.assertEqual(rc, fc.EXIT_LOGIN, fc.show(rc, out, err, self.srv))
        self.assertIn("531", err)


class Certificates(unittest.TestCase):
    """Refused server certificates: nothing is sent after AUTH TLS."""

    def serve(self, keyring):
        srv = Ftpd("tls-required.data", keyring=keyring, name="ftpd-cert")
        self.addCleanup(srv.stop)
        srv.start()
        self.work = ftptest.tmpdir("cert")
        self.netrc = fc.write_netrc(self.work, [("localhost", USER, PASSWORD)])
        self.member = fc.write_member(self.work)
        return srv

    def client(self, srv, *args, cafile=None):
        return fc.ftp([*args, "-o", "x", srv.url("one.bin").replace(srv.host, "localhost")],
                      self.member, self.netrc, cafile=cafile, cwd=self.work)

    def test_self_signed(self):
        srv = self.serve(ftptest.certs().self_signed.keyring)
        for ca in (None, ftptest.certs().ca_cert):
            rc, out, err = self.client(srv, cafile=ca)
            self.assertEqual(rc, fc.EXIT_VERIFY, fc.show(rc, out, err, srv))
            self.assertIn("certificate of localhost was refused", err)
        self.assertNotIn("-> USER", srv.log())

    def test_wrong_host_name_then_insecure(self):
        srv = self.serve(ftptest.certs().wrong_name.keyring)
        rc, out, err = self.client(srv, cafile=ftptest.certs().ca_cert)
        self.assertEqual(rc, fc.EXIT_VERIFY, fc.show(rc, out, err, srv))
        self.assertIn("name in the certificate does not match", err)
        self.assertNotIn("-> USER", srv.log())
        rc, out, err = self.client(srv, "--insecure", cafile=ftptest.certs().ca_cert)
        self.assertEqual(rc, 0, fc.show(rc, out, err, srv))
        self.assertIn("WARNING: --insecure", err)


class KilledMidDownload(unittest.TestCase):
    """The server dies while a download runs: the client fails, leaves only
    big.bin.part, and reget completes it byte for byte."""

    def test_kill_then_reget(self):
        srv = Ftpd("tls-required.data", name="ftpd-kill")
        self.addCleanup(srv.stop)
        srv.start()
        work = ftptest.tmpdir("kill")
        netrc = fc.write_netrc(work, [("127.0.0.2", USER, PASSWORD), ("localhost", USER, PASSWORD)])
        # 127.0.0.2 is not in the certificate: check the chain only.
        member = fc.write_member(work, "SECURE_HOSTNAME OPTIONAL\n")
        ctl = fc.Relay("127.0.0.2", "127.0.0.1", [srv.port]).start()
        data = fc.Relay("127.0.0.2", "127.0.0.1", range(srv.passive[0], srv.passive[1] + 1),
                        rate=2 << 20).start()
        self.addCleanup(ctl.stop)
        self.addCleanup(data.stop)
        url = f"ftpes://{USER}@127.0.0.2:{srv.port}/big.bin"
        client = ftptest.Proc([ftptest.ftp_path(), "-f", member, "-N", netrc, "--ca-file",
                               ftptest.certs().ca_cert, "-o", "big.bin", url],
                              name="ftp", cwd=work).start()
        self.addCleanup(client.stop)
        part = work / "big.bin.part"
        ftptest.wait_for(lambda: part.exists() and part.stat().st_size >= (1 << 20), 20,
                         "1 MiB in big.bin.part")
        srv.kill()
        rc = client.popen.wait(30)
        self.assertNotEqual(rc, 0, client.log())
        self.assertFalse((work / "big.bin").exists(), "a cut download looks complete")
        self.assertTrue(part.exists(), client.log())
        have = part.stat().st_size
        self.assertGreater(have, 0)
        self.assertLess(have, 5 << 20)
        # The server is back: reget resumes from the .part file.
        srv.start()
        rc, out, err = fc.ftp(["-r", "tls", "localhost", srv.port], member, netrc,
                              cafile=ftptest.certs().ca_cert, input="reget big.bin\n", cwd=work)
        self.assertEqual(rc, 0, fc.show(rc, out, err, srv))
        self.assertIn(f"-> REST {have}", srv.log())
        self.assertEqual(ftptest.sha256(work / "big.bin"), srv.files["big.bin"])
        self.assertFalse(part.exists())


class ReplyFloodTest(unittest.TestCase):
    def test_reply_longer_than_the_cap(self):
        flood = fc.ReplyFlood().start()
        self.addCleanup(flood.stop)
        work = ftptest.tmpdir("flood")
        t0 = time.monotonic()
        rc, out, err = fc.ftp(["127.0.0.1", flood.port], fc.write_member(work),
                              fc.write_netrc(work, []), input="ls\n", cwd=work, timeout=30)
        self.assertEqual(rc, fc.EXIT_CONN, fc.show(rc, out, err))
        self.assertIn("longer than the limit", err)
        self.assertLess(time.monotonic() - t0, 10)


if __name__ == "__main__":
    unittest.main()


class CheckConfig(unittest.TestCase):
    """ftp --check-config: the client's member, checked and printed."""

    def check(self, args, home):
        env = ftptest.client_env({"HOME": str(home)})
        return ftptest.run([str(ftptest.ftp_path()), "--check-config", *args],
                           timeout=20, env=env)

    def test_sample_member(self):
        home = ftptest.tmpdir("checkcfg-sample")
        member = ftptest.src_dir() / "ftpdata" / "ftp.data"
        rc, out, err = self.check(["-f", str(member)], home)
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(lines[0], f"; effective configuration of ftp, from {member}")
        shown = {l.split()[0] for l in lines[1:]}
        # Client keywords are shown, server-only ones are not.
        for kw in ("SECURE_HOSTNAME", "EPSV4", "FWFRIENDLY", "INACTTIME", "MYOPENTIME"):
            self.assertIn(kw, shown)
        for kw in ("PORT", "USERFILE", "PASSIVEDATAPORTS"):
            self.assertNotIn(kw, shown)

    def test_bad_value_names_file_line_keyword_and_values(self):
        home = ftptest.tmpdir("checkcfg-bad")
        member = home / "bad.data"
        member.write_text("EPSV4 TRUE\n; a comment\nSECURE_FTP REQUIRD\n")
        rc, out, err = self.check(["-f", str(member)], home)
        self.assertEqual(rc, 2, out)
        self.assertIn(f"{member}:3: SECURE_FTP:", err)
        self.assertIn("ALLOWED or REQUIRED", err)

    def test_lookup_order_home_first(self):
        home = ftptest.tmpdir("checkcfg-home")
        (home / "ftp.data").write_text("INACTTIME 60\n")
        rc, out, err = self.check([], home)
        self.assertEqual(rc, 0, err)
        self.assertIn(f"from {home}/ftp.data", out.splitlines()[0])
        self.assertIn(f"INACTTIME 60 ; {home}/ftp.data:1", out)
