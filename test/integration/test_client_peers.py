"""test_client_peers: our ftp client against real servers from Debian.

vsftpd 3.0.3 (ssl_enable, require_ssl_reuse, force_local_data_ssl and
force_anon_data_ssl) and ProFTPD 1.3.8 with mod_tls (TLSRequired on,
session reuse required), as peers.py configures them, on 127.0.0.1 and
::1.  The same scripted batch session runs against each: login, ls, nlist,
get, put, rename, size, mkdir, cd, mput, mget, delete, mdelete, rmdir,
with TLS 1.2 and TLS 1.3 pinned by the client member, in EPSV, PASV and
active mode; every file is compared by SHA-256 (each upload, put and
mput, on the server's disk).  A download interrupted with Ctrl-C (slowed down by a relay so that
the moment is certain; ABOR is sent) leaves a .part file that reget
completes byte for byte.  Both peers refuse data connections that do not
resume the control session (test_peers.py proves it), so every transfer
here also proves that the client resumes it.
"""

import os
import shutil
import signal
import socket
import unittest
import zlib

import ftpclient as fc
import ftptest
import peers

SCRIPT = """\
ls
nlist
get big.bin
get empty.bin
get one.bin
put up.bin {tag}-a.bin
rename {tag}-a.bin {tag}-b.bin
size {tag}-b.bin
mkdir {tag}-d
cd {tag}-d
mput m*.dat
nlist
cdup
mkdir {tag}-kept
put up.bin {tag}-kept/up.bin
cd {tag}-kept
mput m*.dat
cdup
lcd dl
mget *.bin
lcd ..
delete {tag}-b.bin
mdelete {tag}-d/*.dat
rmdir {tag}-d
quit
"""


class PeerSession:
    """Mixin: cls.make(cls.family) is the peer."""

    make = None
    family = socket.AF_INET

    @classmethod
    def setUpClass(cls):
        if cls.family == socket.AF_INET6:
            ftptest.require_ipv6()
        cls.srv = cls.make(cls.family)
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def setUp(self):
        s = self.srv
        self.work = ftptest.tmpdir(self.id().rsplit(".", 2)[-2] + "-" + self.id().rsplit(".", 1)[-1])
        self.netrc = fc.write_netrc(self.work, [(h, s.user, s.password)
                                                for h in (s.host, "localhost", "127.0.0.2")])

    def ftp(self, args, member_text="", input=None):
        member = fc.write_member(self.work, member_text)
        return fc.ftp(args, member, self.netrc, cafile=self.srv.cafile, input=input,
                      cwd=self.work, timeout=90)

    def session(self, tls, args=(), member_text=""):
        s = self.srv
        tag = f"{s.name}{'6' if self.family == socket.AF_INET6 else '4'}-{tls}-" + \
              "".join(a.strip("-") for a in args) + ("pasv" if "EPSV4" in member_text else "")
        up = ftptest.make_file(self.work / "up.bin", (1 << 20) + 7, seed=zlib.crc32(tag.encode()))
        m1 = ftptest.make_file(self.work / "m1.dat", 1000, seed=1)
        m2 = ftptest.make_file(self.work / "m2.dat", 0, seed=2)
        (self.work / "dl").mkdir()
        rc, out, err = self.ftp([*args, "-r", "tls", s.host, s.port],
                                member_text=fc.PIN[tls] + member_text,
                                input=SCRIPT.format(tag=tag))
        if rc != 0:
            self.fail(fc.show(rc, out, err, s))
        for name, digest in s.files.items():
            self.assertEqual(ftptest.sha256(self.work / name), digest, f"get {name}")
            self.assertEqual(ftptest.sha256(self.work / "dl" / name), digest, f"mget {name}")
        self.assertIn(f"{tag}-b.bin\t{(1 << 20) + 7}", out)       # size
        for name in s.files:
            self.assertIn(name, out)                               # ls, nlist
        self.assertIn("m1.dat", out)                               # nlist in the directory
        # rename, delete, mdelete, rmdir all happened on the server.
        self.assertFalse(s.local(f"{tag}-a.bin").exists())
        self.assertFalse(s.local(f"{tag}-b.bin").exists())
        self.assertFalse(s.local(f"{tag}-d").exists())
        # Every upload, byte for byte on the server's disk: the put and the
        # mput kept in {tag}-kept (the others were renamed and deleted).
        kept = s.local(f"{tag}-kept")
        for name, src in (("up.bin", up), ("m1.dat", m1), ("m2.dat", m2)):
            self.assertEqual(ftptest.sha256(kept / name), ftptest.sha256(src),
                             f"{name} on the server")
        shutil.rmtree(kept)
        # Every transfer resumed the control session with the TLS version
        # asked for: 3 gets, 2 puts, 4 mputs, at least 3 mgets.
        summaries = [l for l in err.splitlines() if " bytes received in " in l or
                     " bytes sent in " in l]
        self.assertGreaterEqual(len(summaries), 12, err)
        for line in summaries:
            self.assertTrue(line.endswith(f"TLS{tls} resumed"), line)
        return out, err

    def test_tls12_epsv(self):
        self.session("1.2")

    def test_tls13_epsv(self):
        self.session("1.3")

    def test_tls13_active(self):
        self.session("1.3", args=["-A"])

    def test_tls12_active(self):
        self.session("1.2", args=["-A"])

    def test_upload_then_download_on_one_connection(self):
        # curl 7.88 fails exactly this against both peers with TLS 1.3 (the
        # data connection after an upload does not resume).
        s = self.srv
        src = ftptest.make_file(self.work / "x.bin", 300001, seed=9)
        ud = f"ud-{self.family}.bin"
        script = f"put x.bin {ud}\nget {ud} back.bin\nput x.bin {ud}\nget one.bin\n"
        rc, out, err = self.ftp(["-r", "tls", s.host, s.port], member_text=fc.PIN["1.3"],
                                input=script)
        self.assertEqual(rc, 0, fc.show(rc, out, err, s))
        self.assertEqual(ftptest.sha256(self.work / "back.bin"), ftptest.sha256(src))
        self.assertEqual(ftptest.sha256(s.local(ud)), ftptest.sha256(src), "upload on the server")
        s.local(ud).unlink()

    def test_reget_of_a_partial_file(self):
        s = self.srv
        whole = s.local("big.bin").read_bytes()
        (self.work / "big.bin.part").write_bytes(whole[:(1 << 20) + 5])
        rc, out, err = self.ftp(["-r", "tls", s.host, s.port], input="reget big.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, s))
        self.assertEqual(ftptest.sha256(self.work / "big.bin"), s.files["big.bin"])
        self.assertFalse((self.work / "big.bin.part").exists())
        self.assertIn(f"{len(whole) - (1 << 20) - 5} bytes received", err)


class PeerSessionIPv4(PeerSession):
    family = socket.AF_INET

    def test_tls13_pasv(self):
        self.session("1.3", member_text="EPSV4 FALSE\n")

    def test_tls12_pasv(self):
        self.session("1.2", member_text="EPSV4 FALSE\n")

    def test_reget_after_ctrl_c(self):
        """Ctrl-C during a download (ABOR), then reget."""
        s = self.srv
        member = fc.write_member(self.work, "SECURE_HOSTNAME OPTIONAL\n")
        ctl = fc.Relay("127.0.0.2", s.host, [s.port]).start()
        # 1 MiB/s: after Ctrl-C the client drains the data connection for up
        # to 2 s (ABOR, RFC 959), so at most ~3 of the 5 MiB can have come;
        # at 2 MiB/s a busy machine let the whole file in (have == 5 MiB).
        data = fc.Relay("127.0.0.2", s.host, range(s.passive[0], s.passive[1] + 1),
                        rate=1 << 20).start()
        self.addCleanup(ctl.stop)
        self.addCleanup(data.stop)
        user = s.user
        client = ftptest.Proc([ftptest.ftp_path(), "-f", member, "-N", self.netrc,
                               "--ca-file", s.cafile, "-o", "big.bin",
                               f"ftpes://{user}@127.0.0.2:{s.port}/big.bin"],
                              name="ftp", cwd=self.work).start()
        self.addCleanup(client.stop)
        part = self.work / "big.bin.part"
        ftptest.wait_for(lambda: part.exists() and part.stat().st_size >= (1 << 20), 20,
                         "1 MiB in big.bin.part")
        os.kill(client.pid, signal.SIGINT)
        rc = client.popen.wait(30)
        log = client.log()
        self.assertEqual(rc, fc.EXIT_FAIL, log + "\n" + s.log()[-6000:])
        self.assertIn("interrupted", log)
        self.assertIn("reget resumes it", log)
        self.assertFalse((self.work / "big.bin").exists())
        have = part.stat().st_size
        self.assertTrue(0 < have < (5 << 20))
        rc, out, err = self.ftp(["-r", "tls", s.host, s.port], input="reget big.bin\n")
        self.assertEqual(rc, 0, fc.show(rc, out, err, s))
        self.assertEqual(ftptest.sha256(self.work / "big.bin"), s.files["big.bin"])
        self.assertIn(f"{(5 << 20) - have} bytes received", err)


class Vsftpd(PeerSessionIPv4, unittest.TestCase):
    make = staticmethod(peers.vsftpd)


class VsftpdIPv6(PeerSession, unittest.TestCase):
    make = staticmethod(peers.vsftpd)
    family = socket.AF_INET6


class Proftpd(PeerSessionIPv4, unittest.TestCase):
    make = staticmethod(peers.proftpd)


class ProftpdIPv6(PeerSession, unittest.TestCase):
    make = staticmethod(peers.proftpd)
    family = socket.AF_INET6


if __name__ == "__main__":
    unittest.main()
