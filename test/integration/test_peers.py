"""test_peers: the vsftpd and ProFTPD of peers.py are what the client's tests
need.

For each peer, on 127.0.0.1 and ::1, with TLS 1.2 and TLS 1.3 pinned by the
client: lftp (GnuTLS) and curl (OpenSSL) log in over explicit TLS with the
certificate verified against the run's CA (host name included), list the
directory, download a 0-byte, a 1-byte and a 5 MiB file and upload a file,
all under PROT P, every file compared by SHA-256 (uploads on the server's
disk).  Then the negative probe: Python's ftplib.FTP_TLS never resumes the
control session on a data connection (cpython#63699), so both peers must
refuse its listing with a 4xx/5xx reply, which proves that they really
require session reuse, and so that a client passing these tests resumes.

One server per class (started in setUpClass, stopped by the class cleanup
even when a test fails).
"""

import socket
import unittest
import zlib

import ftptest
import peers

UPLOAD_SIZE = (5 << 20) + 3     # not a multiple of any record or buffer size


class PeerChecks:
    """Mixin: the checks, run against cls.make(cls.family)."""

    make = None
    family = socket.AF_INET
    # The refusal of a data connection that did not resume the session:
    # the reply's text, and a line in the server's logs.
    refusal_reply = None
    refusal_log = None

    @classmethod
    def setUpClass(cls):
        if cls.family == socket.AF_INET6:
            ftptest.require_ipv6()
        for prog in ("lftp", "curl"):
            ftptest.require_program(prog)
        cls.srv = cls.make(cls.family)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def fail_with(self, what, rc, out, err):
        self.fail(f"{what}: exit {rc}\n--- stdout ---\n{out[-4000:]}\n"
                  f"--- stderr ---\n{err[-8000:]}\n--- server ---\n"
                  f"{self.srv.log()[-8000:]}")

    def check_downloads(self, d):
        for name, digest in self.srv.files.items():
            got = d / name
            self.assertTrue(got.exists(), f"{name} was not downloaded")
            self.assertEqual(ftptest.sha256(got), digest, f"{name} differs")

    def check_upload(self, src, name):
        on_server = self.srv.local(name)
        self.assertTrue(on_server.exists(), f"{name} is not on the server")
        self.assertEqual(ftptest.sha256(on_server), ftptest.sha256(src),
                         f"uploaded {name} differs on the server")

    def upload_source(self, tag):
        d = ftptest.tmpdir(f"src-{tag}")
        return ftptest.make_file(d / "upload.bin", UPLOAD_SIZE, seed=zlib.crc32(tag.encode()))

    def lftp(self, tls):
        s = self.srv
        d = ftptest.tmpdir(f"lftp-{s.name}-{tls}")
        tag = f"lftp-{s.name}-{s.family}-{tls}"
        src = self.upload_source(tag)
        up = f"up-{tag}.bin"
        cmds = ["cls -1 " + ftptest.lftp_quote(s.remote(""))]
        cmds += [f"get {ftptest.lftp_quote(s.remote(n))} -o {ftptest.lftp_quote(d / n)}"
                 for n in s.files]
        cmds.append(f"put {ftptest.lftp_quote(src)} -o {ftptest.lftp_quote(s.remote(up))}")
        rc, out, err = ftptest.lftp(s.host, s.port, s.user, s.password, cmds,
                                    cafile=s.cafile, tls=tls, timeout=60)
        if rc != 0:
            self.fail_with("lftp", rc, out, err)
        for name in s.files:
            self.assertIn(name, out.split(), "listing")
        self.check_downloads(d)
        self.check_upload(src, up)

    def curl(self, tls):
        s = self.srv
        d = ftptest.tmpdir(f"curl-{s.name}-{tls}")
        tag = f"curl-{s.name}-{s.family}-{tls}"
        kw = dict(user=s.user, password=s.password, cafile=s.cafile, tls=tls,
                  max_time=45)
        # One control connection: LIST, then the downloads.
        args = [s.url(""), "-o", d / "listing.txt"]
        for name in s.files:
            args += [s.url(name), "-o", d / name]
        rc, out, err = ftptest.curl(args, **kw)
        if rc != 0:
            self.fail_with("curl downloads", rc, out, err)
        listing = (d / "listing.txt").read_text()
        for name in s.files:
            self.assertIn(name, listing, "listing")
        self.check_downloads(d)
        # The upload on a control connection of its own: with TLS 1.3,
        # curl 7.88 does not resume the session on the data connection that
        # FOLLOWS an upload on the same control connection, and both peers
        # refuse it (vsftpd 522, ProFTPD 425; curl exits 18).  Every time
        # here, against both.  Uploads and downloads alone are fine.
        src = self.upload_source(tag)
        up = f"up-{tag}.bin"
        rc, out, err = ftptest.curl(["-T", src, s.url(up)], **kw)
        if rc != 0:
            self.fail_with("curl upload", rc, out, err)
        self.check_upload(src, up)

    def ftplib_refused(self, tls):
        s = self.srv
        reply = ftptest.ftplib_no_resume_probe(s.host, s.port, s.user, s.password,
                                               s.cafile, tls=tls)
        self.assertRegex(reply, r"^[45]\d\d ")
        self.assertEqual(reply, self.refusal_reply)
        ftptest.wait_for(lambda: self.refusal_log in s.log(), 5,
                         f"{self.refusal_log!r} in the {s.name} logs")

    def test_lftp_tls12(self):
        self.lftp("1.2")

    def test_lftp_tls13(self):
        self.lftp("1.3")

    def test_curl_tls12(self):
        self.curl("1.2")

    def test_curl_tls13(self):
        self.curl("1.3")

    def test_ftplib_refused_tls12(self):
        self.ftplib_refused("1.2")

    def test_ftplib_refused_tls13(self):
        self.ftplib_refused("1.3")


class VsftpdChecks(PeerChecks):
    make = staticmethod(peers.vsftpd)
    # vsftpd answers after the data handshake: session not reused.
    refusal_reply = "522 SSL connection failed: session reuse required"
    refusal_log = '"522 SSL connection failed: session reuse required"'


class ProftpdChecks(PeerChecks):
    make = staticmethod(peers.proftpd)
    # ProFTPD's reply does not say why; its TLSLog does.
    refusal_reply = "425 Unable to build data connection: Operation not permitted"
    refusal_log = "client did not reuse TLS session, rejecting data connection"


class VsftpdIPv4(VsftpdChecks, unittest.TestCase):
    family = socket.AF_INET


class VsftpdIPv6(VsftpdChecks, unittest.TestCase):
    family = socket.AF_INET6


class ProftpdIPv4(ProftpdChecks, unittest.TestCase):
    family = socket.AF_INET


class ProftpdIPv6(ProftpdChecks, unittest.TestCase):
    family = socket.AF_INET6


if __name__ == "__main__":
    unittest.main()
