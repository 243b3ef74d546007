"""test_ftpcert: certificates made by ftpcert, used by real peers.

A CA, a server certificate (KEYRING) and client certificates from
ftpcert; ftpd serves with them; curl verifies the server against the CA;
a client certificate logs in under SECURE_LOGIN VERIFY_USER with the
cert-sha256= option ftpcert printed (PEM with our client, PKCS#12 too);
a renewal through the certbot deploy hook plus SIGHUP gives new sessions
the new certificate while a session that started before keeps
transferring (byte-compared).  Also ftpcert's own promises: modes, no
overwrite without --force, exit statuses, clear errors.
"""

import ftplib
import hashlib
import os
import socket
import ssl
import stat
import unittest

import ftptest
from ftpd_harness import Ftpd, runas_account

PASSWORD = "p12-Secret-9"


def ftpcert(*args, rc=0, input=None):
    """Run ftpcert; fail unless it exits rc.  Returns (stdout, stderr)."""
    code, out, err = ftptest.run([ftptest.build_dir() / "server/ftpcert/ftpcert",
                                  *[str(a) for a in args]], input=input)
    if code != rc:
        raise AssertionError(f"ftpcert {' '.join(map(str, args))}: exit {code}, "
                             f"wanted {rc}\n{out}{err}")
    return out, err


def options(out):
    """The cert-sha256= and cert-dn= lines ftpcert printed."""
    got = {}
    for line in out.splitlines():
        for k in ("cert-sha256=", "cert-dn="):
            if line.startswith(k):
                got[k[:-1]] = line[len(k):]
    return got


def serial_of(host, port, cafile):
    """The serial number of the certificate ftpd presents after AUTH TLS."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    with socket.create_connection((host, port), 10) as raw:
        f = raw.makefile("rb")
        assert f.readline().startswith(b"220")
        raw.sendall(b"AUTH TLS\r\n")
        assert f.readline().startswith(b"234")
        with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.getpeercert()["serialNumber"].lower()


class Certificates(unittest.TestCase):
    """One CA and one ftpd for the class, under TLS with client
    certificates verified against the CA."""

    @classmethod
    def setUpClass(cls):
        cls.d = ftptest.tmpdir("ftpcert")
        runas, uid, gid = runas_account()
        cls.ca_out, _ = ftpcert("ca", "--cn", "ftptest CA", cls.d)
        # --owner: RUNAS re-reads the KEYRING on SIGHUP.
        owner = ["--owner", runas] if os.geteuid() == 0 else []
        cls.server_out, _ = ftpcert("server", *owner, cls.d, "localhost", "127.0.0.1", "::1")
        (cls.d / "pw").write_text(PASSWORD + "\n")
        cls.bob_out, _ = ftpcert("client", "--password-file", cls.d / "pw", cls.d, "bob")
        cls.alice_out, _ = ftpcert("client", "--password-file", cls.d / "pw", cls.d, "alice")
        cls.srv = Ftpd("ftpcert", users={"alice": "alice-Pw-1", "bob": None}, member={
            "EXTENSIONS": "AUTH_TLS", "KEYRING": cls.d / "keyring.pem",
            "CAFILE": cls.d / "ca.pem", "SECURE_FTP": "REQUIRED",
            "SECURE_LOGIN": "VERIFY_USER", "SECURE_PASSWORD": "OPTIONAL",
            "SECURE_DATACONN": "PRIVATE"})
        # VERIFY_USER: every login needs a certificate mapped to its user.
        # bob has no password: his certificate alone logs him in; alice
        # gives her password too.  The options are the ones ftpcert printed.
        text = cls.srv.userfile_path.read_text()
        for user, out in (("bob", cls.bob_out), ("alice", cls.alice_out)):
            text = text.replace(f":{cls.srv.home(user)}\n",
                                f":{cls.srv.home(user)}:cert-sha256="
                                f"{options(out)['cert-sha256']}\n")
        cls.srv.userfile_path.write_text(text)
        cls.sums = ftptest.make_tree(cls.srv.home("alice"), {"big.bin": 48 << 20})
        ftptest.make_tree(cls.srv.home("bob"), {"one.bin": 1})
        cls.srv.give(cls.srv.home("alice"))
        cls.srv.give(cls.srv.home("bob"))
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def test_files_and_modes(self):
        want = {"ca.pem": 0o644, "ca-key.pem": 0o600, "keyring.pem": 0o600,
                "bob.pem": 0o600, "bob.p12": 0o600, "alice.pem": 0o600,
                "alice.p12": 0o600, "pw": None}
        self.assertEqual({p.name for p in self.d.iterdir()}, set(want))
        for name, mode in want.items():
            if mode is not None:
                self.assertEqual(stat.S_IMODE((self.d / name).stat().st_mode), mode, name)
        if os.geteuid() == 0:
            self.assertEqual((self.d / "keyring.pem").stat().st_uid, self.srv.run_uid)
        self.assertIn(f"KEYRING {self.d}/keyring.pem", self.server_out)
        keyring = (self.d / "keyring.pem").read_text()
        self.assertTrue(keyring.startswith("-----BEGIN PRIVATE KEY-----"))
        self.assertEqual(keyring.count("BEGIN CERTIFICATE"), 2)   # server, CA

    def test_show_matches_certtool(self):
        """show: names, CA flag, and the cert-sha256 that certtool computes."""
        out, _ = ftpcert("show", self.d / "keyring.pem")
        self.assertIn("subject:    CN=localhost", out)
        self.assertIn("issuer:     CN=ftptest CA", out)
        self.assertIn("names:      DNS:localhost, IP:127.0.0.1, IP:::1", out)
        self.assertIn("status:     valid", out)
        info, _ = ftptest.run_ok([ftptest.require_program("certtool"), "-i", "--infile",
                                  self.d / "bob.pem"])
        bob = options(self.bob_out)
        self.assertIn(f"sha256:{bob['cert-sha256']}", info)
        self.assertEqual(bob["cert-dn"], "CN=bob")
        p12, _ = ftpcert("show", "--password-file", self.d / "pw", self.d / "bob.p12")
        self.assertEqual(options(p12), bob)
        ca, _ = ftpcert("show", self.d / "ca.pem")
        self.assertIn("CA:         yes", ca)

    def test_curl_verifies_server(self):
        out = ftptest.tmpdir("curl-ftpcert") / "big.bin"
        rc, _, err = ftptest.curl(["-o", out, self.srv.url("big.bin", host="localhost")],
                                  user="alice", password="alice-Pw-1",
                                  cafile=self.d / "ca.pem", cert=self.d / "alice.pem")
        self.assertEqual(rc, 0, err)
        self.assertEqual(ftptest.sha256(out), self.sums["big.bin"])
        # And refuses it against another CA.
        other = ftptest.tmpdir("otherca")
        ftpcert("ca", other)
        rc, _, err = ftptest.curl([self.srv.url("", host="localhost")], user="alice",
                                  password="alice-Pw-1", cafile=other / "ca.pem",
                                  cert=self.d / "alice.pem")
        self.assertEqual(rc, 60, err)        # peer certificate cannot be authenticated

    def test_login_by_client_certificate(self):
        """bob has no password: the certificate ftpcert made (PEM, then the
        PKCS#12) logs him in with 232 under VERIFY_USER."""
        for cert, env in ((self.d / "bob.pem", {}),
                          (self.d / "bob.p12", {"FTP_KEYRING_PASSWORD": PASSWORD})):
            with self.subTest(cert=cert.name):
                out = ftptest.tmpdir("bob") / "one.bin"
                url = f"ftpes://bob@localhost:{self.srv.port}/one.bin"
                rc, so, err = ftptest.run([ftptest.ftp_path(), "-v", "--cert", cert,
                                           "--ca-file", self.d / "ca.pem", "-o", out, url],
                                          env=env)
                self.assertEqual(rc, 0, so + err)
                self.assertIn("232", so + err)
                self.assertEqual(out.stat().st_size, 1)
        self.assertIn('security: login-ok session=', self.srv.stderr())
        self.assertRegex(self.srv.stderr(),
                         r'security: login-ok session=\d+ client=127\.0\.0\.1 user="bob" '
                         r'method=certificate')

    def test_zz_renewal_and_reload(self):
        """Renew through the certbot deploy hook, SIGHUP: a new session sees
        the new serial; a transfer that started before goes on with the old
        session and arrives whole, and that session's next transfer works
        too.  (Runs last: it replaces the keyring.)"""
        old = serial_of("127.0.0.1", self.srv.port, self.d / "ca.pem")
        ctx = ssl.create_default_context(cafile=str(self.d / "ca.pem"))
        ctx.load_cert_chain(self.d / "alice.pem")
        f = ftplib.FTP_TLS(context=ctx, timeout=20)
        self.addCleanup(f.close)
        f.connect("localhost", self.srv.port)
        f.auth()
        f.login("alice", "alice-Pw-1")
        f.prot_p()
        f.voidcmd("TYPE I")
        # ftplib does not resume the control session's TLS session on its
        # data connections, which SECURE_SESSION_REUSE REQUIRED demands:
        # open the data connection here, resuming it.
        host, port = f.makepasv()
        raw = socket.create_connection((host, port), 20)
        f.putcmd("RETR big.bin")
        data = ctx.wrap_socket(raw, server_hostname="localhost", session=f.sock.session)
        self.assertTrue(f.getresp().startswith("150"))
        got = bytearray(data.recv(64 * 1024))
        # certbot's layout: privkey.pem and fullchain.pem in the lineage.
        live = ftptest.tmpdir("live")
        ftpcert("server", "--ca", self.d, live, "localhost", "127.0.0.1")
        pem = (live / "keyring.pem").read_text()
        cut = pem.index("-----BEGIN CERTIFICATE-----")
        (live / "privkey.pem").write_text(pem[:cut])
        (live / "fullchain.pem").write_text(pem[cut:])
        owner = {"FTPD_OWNER": self.srv.runas} if os.geteuid() == 0 else {}
        out, err = ftptest.run_ok(
            ["sh", ftptest.src_dir() / "server/ftpd-certbot-hook"],
            env={"RENEWED_LINEAGE": str(live), "FTPD_KEYRING": str(self.d / "keyring.pem"),
                 "FTPD_RELOAD": f"kill -HUP {self.srv.pid}", **owner})
        self.assertIn("ftpd reloaded", out)
        self.srv.wait_log("new configuration in effect for new sessions")
        self.assertEqual(stat.S_IMODE((self.d / "keyring.pem").stat().st_mode), 0o600)
        new = serial_of("127.0.0.1", self.srv.port, self.d / "ca.pem")
        self.assertNotEqual(new, old)
        shown, _ = ftpcert("show", self.d / "keyring.pem")
        self.assertIn(f"serial:     {new}", shown)
        # The old session's transfer goes on, whole.
        while True:
            b = data.recv(1 << 20)
            if not b:
                break
            got += b
        data.unwrap()
        data.close()
        self.assertTrue(f.voidresp().startswith("226"))
        self.assertEqual(hashlib.sha256(bytes(got)).hexdigest(), self.sums["big.bin"])
        self.assertEqual(f.sock.getpeercert()["serialNumber"].lower(), old)
        # ftpd was still sending when it reloaded: its log says the transfer
        # ended after the reload.
        log = self.srv.stderr()
        self.assertLess(log.index("new configuration in effect"),
                        log.rindex("RETR /big.bin: 50331648 bytes"))
        # The old session's next transfer still works, under the old context.
        host, port = f.makepasv()
        raw = socket.create_connection((host, port), 20)
        f.putcmd("RETR big.bin")
        data = ctx.wrap_socket(raw, server_hostname="localhost", session=f.sock.session)
        self.assertTrue(f.getresp().startswith("150"))
        h = hashlib.sha256()
        while b := data.recv(1 << 20):
            h.update(b)
        data.unwrap()
        data.close()
        self.assertTrue(f.voidresp().startswith("226"))
        self.assertEqual(h.hexdigest(), self.sums["big.bin"])


class Refusals(unittest.TestCase):
    """ftpcert's errors: one clear line, a distinct exit status, nothing
    overwritten."""

    def test_no_overwrite_without_force(self):
        d = ftptest.tmpdir("force")
        ftpcert("ca", d)
        before = (d / "ca-key.pem").read_bytes()
        _, err = ftpcert("ca", d, rc=3)
        self.assertEqual(err, f"ftpcert: {d}/ca.pem exists: not replaced (use --force)\n")
        self.assertEqual((d / "ca-key.pem").read_bytes(), before)
        ftpcert("ca", "--force", d)
        self.assertNotEqual((d / "ca-key.pem").read_bytes(), before)
        self.assertEqual(sorted(p.name for p in d.iterdir()), ["ca-key.pem", "ca.pem"])

    def test_bad_names_and_usage(self):
        d = ftptest.tmpdir("bad")
        ftpcert("ca", d)
        for name in ("bad_name.example", "trail-.example", "a..b", "*", "x" * 64 + ".org"):
            with self.subTest(name=name):
                _, err = ftpcert("server", d, name, rc=2)
                self.assertIn("is neither a DNS name nor an IP address", err)
        self.assertFalse((d / "keyring.pem").exists())
        _, err = ftpcert("server", "--days", "0", d, "x.example", rc=2)
        self.assertIn("--days", err)
        ftpcert("frobnicate", d, rc=2)
        _, err = ftpcert("server", ftptest.tmpdir("noca"), "x.example", rc=1)
        self.assertIn("ca.pem", err)
        ftpcert("server", "--days", "30", d, "*.example.org", "192.0.2.1")
        out, _ = ftpcert("show", d / "keyring.pem")
        self.assertIn("names:      DNS:*.example.org, IP:192.0.2.1", out)

    def test_password_refusals(self):
        d = ftptest.tmpdir("pw")
        ftpcert("ca", d)
        (d / "empty").write_text("\n")
        _, err = ftpcert("client", "--password-file", d / "empty", d, "carol", rc=1)
        self.assertIn("empty password refused", err)
        # No terminal and no --password-file: a usage error, not a hang.
        _, err = ftpcert("client", d, "carol", rc=2)
        self.assertIn("--password-file", err)
        self.assertFalse((d / "carol.pem").exists())


if __name__ == "__main__":
    unittest.main()
