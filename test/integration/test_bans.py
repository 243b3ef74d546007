"""test_bans: bans against password guessing (BANFAILURES, BANWINDOW,
BANTIME, BANEXEMPT; ftpd(8) BANS), on a real ftpd on loopback.

* Five failed logins from 127.0.0.1 ban it: the fifth failure is answered
  421 and ends the session; the next connection gets 421 before any TLS
  (explicit port) or is closed without a byte (implicit TLS port).
* 127.0.0.2, in BANEXEMPT, is never banned, however often it fails, also
  while 127.0.0.1 is.
* SIGHUP keeps the ban: the table is the server's, not the member's.
* After BANTIME the address is let in again (a second server, a short
  BANTIME; the test waits for admission, it asserts no upper bound).
* One security line announces the ban; fail2ban-regex with the shipped
  filter counts every failed login and not the ban line.
"""

import ftplib
import os
import re
import socket
import ssl
import unittest

import ftptest
from ftpd_harness import Ftpd

BANNED_TEXT = "421 Too many failed logins from your address"


def connect(srv, port=None, source="127.0.0.1"):
    s = socket.create_connection((srv.host, port or srv.port), 10, (source, 0))
    return s


def first_line(sock):
    """The first reply line, or b"" when the server closed at once."""
    f = sock.makefile("rb")
    try:
        return f.readline()
    finally:
        f.close()


def fail_login(srv, n, source="127.0.0.1"):
    """n wrong passwords in one session; the replies."""
    replies = []
    with connect(srv, source=source) as s:
        f = s.makefile("rwb", buffering=0)
        assert f.readline().startswith(b"220")
        for _ in range(n):
            f.write(b"USER alice\r\n")
            line = f.readline()
            if not line.startswith(b"331"):
                replies.append(line.decode().strip())
                break
            f.write(b"PASS wrong\r\n")
            line = f.readline().decode().strip()
            replies.append(line)
            if not line.startswith("530"):
                break
    return replies


class Bans(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tlsport = ftptest.free_port()
        cls.srv = Ftpd("bans", tls=True, member={
            "TLSPORT": cls.tlsport, "LOGINATTEMPTS": 20, "BANTIME": 600,
            "BANEXEMPT": "(127.0.0.2,2001:db8::/32)"})
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()
        ftptest.wait_port("127.0.0.1", cls.tlsport)
        cls.exempt_replies = fail_login(cls.srv, 7, source="127.0.0.2")
        cls.replies = fail_login(cls.srv, 5)
        cls.srv.wait_log("security: banned")

    def test_fifth_failure_bans(self):
        self.assertEqual(self.replies[:4], ["530 Login incorrect."] * 4)
        self.assertTrue(self.replies[4].startswith(BANNED_TEXT), self.replies)
        log = self.srv.stderr()
        bans = re.findall(r"security: banned .*", log)
        self.assertEqual(len(bans), 1, bans)
        self.assertRegex(bans[0], r'^security: banned session=\d+ client=127\.0\.0\.1 '
                                  r'reason="5 failed logins within 600 s: 127\.0\.0\.1 '
                                  r'refused for 600 s"$')

    def test_banned_connection_gets_421_before_tls(self):
        with connect(self.srv) as s:
            line = first_line(s)
            self.assertTrue(line.decode().startswith(BANNED_TEXT), line)
            # Closed after it: no AUTH TLS, no handshake.
            try:
                s.sendall(b"AUTH TLS\r\n")
                rest = s.recv(4096)
            except (BrokenPipeError, ConnectionResetError):
                rest = b""
            self.assertEqual(rest, b"")

    def test_banned_implicit_port_closes_without_a_byte(self):
        with connect(self.srv, self.tlsport) as s:
            ctx = ssl.create_default_context(cafile=str(self.srv.cafile))
            with self.assertRaises((ssl.SSLError, OSError)):
                ctx.wrap_socket(s, server_hostname="localhost")
        with connect(self.srv, self.tlsport) as s:
            try:
                got = s.recv(4096)
            except ConnectionResetError:
                got = b""
            self.assertEqual(got, b"")

    def test_exempt_address_never_banned(self):
        self.assertEqual(self.exempt_replies, ["530 Login incorrect."] * 7)
        with connect(self.srv, source="127.0.0.2") as s:
            self.assertTrue(first_line(s).startswith(b"220"))
        f = ftplib.FTP(timeout=10, source_address=("127.0.0.2", 0))
        f.connect(self.srv.host, self.srv.port)
        f.login(self.srv.user, self.srv.password)
        f.quit()
        self.assertNotIn("client=127.0.0.2 reason", self.srv.stderr())

    def test_sighup_keeps_the_ban(self):
        self.srv.hup()
        self.srv.wait_log("new configuration in effect")
        with connect(self.srv) as s:
            self.assertTrue(first_line(s).decode().startswith(BANNED_TEXT))

    def test_fail2ban_counts_failed_logins_not_the_ban(self):
        """fail2ban-regex with the shipped filter: every login-failed line
        (the exempt address's too: fail2ban has its own ignoreip), not
        the banned line, whose address ftpd refuses already."""
        f2b = ftptest.require_program("fail2ban-regex")
        d = ftptest.tmpdir("fail2ban-bans")
        filt = d / "ftpd.conf"
        filt.write_text((ftptest.src_dir() / "server/ftpd.fail2ban-filter").read_text())
        os.symlink("/etc/fail2ban/filter.d/common.conf", d / "common.conf")
        sec = [l for l in self.srv.stderr().splitlines() if "security: " in l]
        failed = [l for l in sec if "security: login-failed" in l]
        self.assertEqual(len(failed), 7 + 5)
        self.assertEqual(len([l for l in sec if "security: banned" in l]), 1)
        log = d / "ftpd.log"
        log.write_text("\n".join(sec) + "\n")
        out, _ = ftptest.run_ok([f2b, "--print-all-missed", log, filt], timeout=60)
        m = re.search(r"Failregex: (\d+) total", out)
        self.assertIsNotNone(m, out)
        self.assertEqual(int(m.group(1)), len(failed), out)
        self.assertRegex(out, r"security: banned session=")  # among the missed


class BanExpires(unittest.TestCase):
    def test_let_in_after_bantime(self):
        with Ftpd("ban-expires", member={"BANFAILURES": 2, "BANTIME": 2,
                                         "LOGINATTEMPTS": 5}) as srv:
            replies = fail_login(srv, 2)
            self.assertTrue(replies[-1].startswith(BANNED_TEXT), replies)
            with connect(srv) as s:
                self.assertTrue(first_line(s).decode().startswith(BANNED_TEXT))

            def admitted():
                with connect(srv) as s:
                    return first_line(s).startswith(b"220")
            ftptest.wait_for(admitted, 30, "admission after BANTIME")
            with srv.ftplib() as f:
                f.quit()
            self.assertIn("security: banned", srv.stderr())


if __name__ == "__main__":
    unittest.main()
