"""test_oplogs: the logs an operator keeps.

* SIGUSR1 reopens XFERLOG: the file moved away keeps what was written
  before, the next transfer goes to a new file of the XFERLOG name, both
  when the administrator (or logrotate's `create`) made the new file and
  when ftpd creates it; the installed logrotate snippet itself rotates a
  live ftpd's log.
* Security events: one line each, in the documented format (ftpd(8)
  LOGGING, server/seclog.h), with the session id and client address; the
  shipped fail2ban filter matches the failed-login lines and nothing else
  (fail2ban-regex from Debian's fail2ban).
"""

import os
import re
import signal
import socket
import ssl
import unittest

import ftptest
from ftpd_harness import Ftpd

EVENT_RE = re.compile(r'security: (?P<event>[a-z-]+) session=(?P<session>\d+|-) '
                      r'client=(?P<client>\S+)(?P<rest>.*)$')


def events(text):
    """[(event, session, client, rest)] of the security lines in text."""
    out = []
    for line in text.splitlines():
        m = EVENT_RE.search(line)
        if m:
            out.append((m["event"], m["session"], m["client"], m["rest"]))
    return out


def transfer_lines(path):
    return path.read_text().splitlines() if path.exists() else []


class LogReopen(unittest.TestCase):
    def setUp(self):
        self.srv = Ftpd(self.id().rsplit(".", 1)[-1])
        ftptest.make_tree(self.srv.home(), {"one.bin": 1})
        self.srv.give(self.srv.home())
        self.srv.start()
        self.addCleanup(self.srv.stop)

    def fetch(self):
        with self.srv.ftplib() as f:
            f.retrbinary("RETR one.bin", lambda b: None)
            f.quit()

    def rotated(self):
        return self.srv.xferlog_path.with_name("xferlog.1")

    def test_usr1_after_logrotate_create(self):
        """As logrotate's `create`: move, make an empty file RUNAS may
        write, signal."""
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "line 1")
        os.rename(self.srv.xferlog_path, self.rotated())
        self.srv.xferlog_path.touch(mode=0o640)
        self.srv.give(self.srv.xferlog_path)
        self.srv.signal(signal.SIGUSR1)
        self.srv.wait_log("transfer log reopened")
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "new line")
        self.assertEqual(len(transfer_lines(self.rotated())), 1)
        self.assertRegex(transfer_lines(self.srv.xferlog_path)[0], r" /one\.bin b _ o r alice ftp 0 \* c$")

    def test_usr1_creates_the_file(self):
        """Without a new file ready, ftpd creates it (the directory is
        writable by RUNAS here)."""
        self.srv.give(self.srv.dir)
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "line 1")
        os.rename(self.srv.xferlog_path, self.rotated())
        self.srv.signal(signal.SIGUSR1)
        self.srv.wait_log("transfer log reopened")
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "new file")
        self.assertEqual(len(transfer_lines(self.rotated())), 1)
        self.assertEqual(self.srv.alive(), True)

    def test_reopen_failure_loses_nothing(self):
        """A new file ftpd cannot open: the error is logged and lines go on
        to the old file, none lost."""
        if os.geteuid() != 0:
            self.skipTest("needs root: RUNAS must be unable to create the file")
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "line 1")
        os.rename(self.srv.xferlog_path, self.rotated())
        self.srv.signal(signal.SIGUSR1)
        self.srv.wait_log("still writing to the file open before")
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.rotated())) == 2, 5, "line 2, old file")
        self.assertFalse(self.srv.xferlog_path.exists())

    def test_installed_logrotate_snippet(self):
        """logrotate, with the snippet ftpd ships (its path, account and
        postrotate command pointed at this ftpd), rotates the live log:
        the next transfer lands in the new file."""
        lr = ftptest.require_program("logrotate")
        text = (ftptest.src_dir() / "server/ftpd.logrotate").read_text()
        post = re.search(r"(?s)\tpostrotate\n(.*?)\tendscript", text).group(1)
        conf = (text.replace("/var/log/ftpd/xferlog", str(self.srv.xferlog_path))
                .replace("create 0640 ftpd adm", f"create 0640 {self.srv.runas} root")
                .replace(post, f"\t\tkill -USR1 {self.srv.pid}\n"))
        d = ftptest.tmpdir("logrotate")
        (d / "ftpd").write_text(conf)
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "line 1")
        ftptest.run_ok([lr, "-f", "-s", d / "state", d / "ftpd"])
        self.srv.wait_log("transfer log reopened")
        self.fetch()
        ftptest.wait_for(lambda: len(transfer_lines(self.srv.xferlog_path)) == 1, 5, "new line")
        self.assertEqual(len(transfer_lines(self.rotated())), 1)


class SecurityEvents(unittest.TestCase):
    """Security events of a TLS-required server, from real sessions."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("secevents", tls=True, member={
            "SECURE_FTP": "REQUIRED", "SECURE_DATACONN": "PRIVATE",
            "PORTCOMMANDIPADDR": "NOREDIRECT", "LOGINATTEMPTS": 10})
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()
        srv = cls.srv
        # login-ok and login-failed (lftp over TLS), a user name that tries
        # to smuggle a field.
        ftptest.lftp(srv.host, srv.port, srv.user, srv.password, ["ls"], cafile=srv.cafile)
        ftptest.lftp(srv.host, srv.port, srv.user, "wrong", ["ls"], cafile=srv.cafile)
        ftptest.lftp(srv.host, srv.port, 'eve client=10.9.9.9"', "x", ["ls"],
                     cafile=srv.cafile)
        # policy-refused: USER in clear under SECURE_FTP REQUIRED.
        with socket.create_connection((srv.host, srv.port), 10) as c:
            f = c.makefile("rb")
            f.readline()
            c.sendall(b"USER alice\r\n")
            cls.clear_user_reply = f.readline()
        # tls-failed: a client that does not trust the certificate aborts
        # the handshake with an alert.
        with socket.create_connection((srv.host, srv.port), 10) as c:
            f = c.makefile("rb")
            f.readline()
            c.sendall(b"AUTH TLS\r\n")
            f.readline()
            with cls.assertRaises(cls, ssl.SSLError):
                ssl.create_default_context().wrap_socket(c, server_hostname="localhost")
        srv.wait_log("tls-failed")
        srv.wait_log(re.compile(r"login-failed .*user=\"eve"))
        cls.log = srv.stderr()

    def test_format(self):
        ev = events(self.log)
        kinds = [e[0] for e in ev]
        for k in ("login-ok", "login-failed", "policy-refused", "tls-failed"):
            self.assertIn(k, kinds)
        tls = [e for e in ev if e[0] == "tls-failed"][0]
        self.assertRegex(tls[3], r'^ reason=".+"$')
        for event, session, client, rest in ev:
            self.assertEqual(client, "127.0.0.1")
            self.assertRegex(session, r"^\d+$")
            self.assertRegex(rest, r'^( user="[^"]*")?( method=[a-z]+)?( command=[A-Z]+)?'
                                   r'( reason="[^"]*")?$')
        ok = [e for e in ev if e[0] == "login-ok"][0]
        self.assertEqual(ok[3], ' user="alice" method=password')
        failed = [e for e in ev if e[0] == "login-failed" and 'user="alice"' in e[3]][0]
        self.assertIn("method=password", failed[3])
        refused = [e for e in ev if e[0] == "policy-refused"][0]
        self.assertIn("command=USER", refused[3])
        self.assertTrue(self.clear_user_reply.startswith(b"530"))

    def test_one_line_per_event_and_session_ids(self):
        """Each event is one line whose session id is the one of the
        session's other lines."""
        for line in self.log.splitlines():
            m = EVENT_RE.search(line)
            if m and m["event"] == "login-ok":
                self.assertIn(f"[#{m['session']} alice@127.0.0.1] logged in", self.log)
        self.assertEqual(self.log.count("security: login-ok"), 1)

    def test_smuggled_field_escaped(self):
        line = [l for l in self.log.splitlines() if 'user="eve' in l][0]
        self.assertIn(r'user="eve client=10.9.9.9\x22"', line)
        self.assertEqual(EVENT_RE.search(line)["client"], "127.0.0.1")

    def test_fail2ban_filter(self):
        """fail2ban-regex with the shipped filter: it finds the failed
        logins (also the crafted one) at 127.0.0.1 and nothing else, in
        ftpd's stderr lines and in syslog's form of them."""
        f2b = ftptest.require_program("fail2ban-regex")
        d = ftptest.tmpdir("fail2ban")
        filt = d / "ftpd.conf"
        filt.write_text((ftptest.src_dir() / "server/ftpd.fail2ban-filter").read_text())
        # The filter includes common.conf from its own directory, as it will
        # in /etc/fail2ban/filter.d.
        os.symlink("/etc/fail2ban/filter.d/common.conf", d / "common.conf")
        sec = [l for l in self.log.splitlines() if "security: " in l]
        failed = [l for l in sec if "security: login-failed" in l]
        self.assertEqual(len(failed), 2)
        # syslog's form: "Dec  5 01:02:03 host ftpd[12]: security: ..."
        syslog = [re.sub(r"^\S+ (ftpd\[\d+\]): \w+: ", r"Dec  5 01:02:03 host \1: ", l)
                  for l in sec]
        for name, lines in (("stderr", sec), ("syslog", syslog)):
            with self.subTest(form=name):
                log = d / f"{name}.log"
                log.write_text("\n".join(lines) + "\n")
                out, err = ftptest.run_ok([f2b, "--print-all-matched", log, filt], timeout=60)
                m = re.search(r"Failregex: (\d+) total", out)
                self.assertIsNotNone(m, out)
                self.assertEqual(int(m.group(1)), 2, out)
                self.assertNotIn("10.9.9.9", re.sub(r"(?m)^.*eve client=.*$", "", out))
                self.assertIn("127.0.0.1", out)


if __name__ == "__main__":
    unittest.main()
