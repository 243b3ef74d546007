"""test_install: `make install` and `make uninstall` into a staging root
(DESTDIR), checked file by file and mode by mode; the installed programs
run from there; the installed systemd units pass `systemd-analyze verify`,
the sysusers.d file creates the ftpd account in the staging root, the
logrotate snippet parses, and uninstall leaves exactly the administrator's
files.

make runs in the source tree with the default SYSCONFDIR (/etc), which is
what the tree is built with, so nothing is rebuilt; every file goes below
the test's DESTDIR.
"""

import os
import re
import shutil
import stat
import subprocess
import unittest
from pathlib import Path

import ftptest

PREFIX = "/usr"
ADMIN_MEMBER = "; the administrator's own member\nSUPPRESSIGNOREWARNINGS TRUE\n"

# Every file install writes (relative to DESTDIR) and its mode.
PROGRAMS = {"usr/sbin/ftpd": 0o755, "usr/bin/ftp": 0o755, "usr/bin/ftpcert": 0o755,
            "usr/lib/ftpd/ftpd-certbot-hook": 0o755}
MANUALS = {"usr/share/man/man1/ftp.1": 0o644, "usr/share/man/man1/ftpcert.1": 0o644,
           "usr/share/man/man5/ftp.data.5": 0o644, "usr/share/man/man8/ftpd.8": 0o644}
UNITS = {"usr/lib/systemd/system/ftpd.service": 0o644,
         "usr/lib/systemd/system/ftpd.socket": 0o644,
         "usr/lib/systemd/system/ftpd-implicit.socket": 0o644,
         "usr/lib/sysusers.d/ftpd.conf": 0o644}
# Below SYSCONFDIR: written only when absent.
ETC = {"etc/ftp.data": 0o644, "etc/ftpd/ftpd.data": 0o644, "etc/pam.d/ftpd": 0o644,
       "etc/logrotate.d/ftpd": 0o644, "etc/fail2ban/filter.d/ftpd.conf": 0o644,
       "etc/fail2ban/jail.d/ftpd.conf": 0o644}


def make(*args, timeout=300):
    """make in the source tree; fails the test unless it exits 0."""
    out, err = ftptest.run_ok(["make", "--no-print-directory", "-C", ftptest.src_dir(),
                               *args], timeout=timeout)
    return out + err


def files_below(root):
    """{relative path: mode} of every file and symbolic link below root."""
    found = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            p = Path(dirpath) / n
            found[str(p.relative_to(root))] = stat.S_IMODE(p.lstat().st_mode)
    return found


def samples():
    return {f"usr/share/doc/ftpd/{p.name}": 0o644
            for p in (ftptest.src_dir() / "ftpdata").glob("*.data")} | \
        {"usr/share/doc/ftpd/README": 0o644, "usr/share/doc/ftpd/haproxy.cfg": 0o644}


class Install(unittest.TestCase):
    """One staging root for the class: an administrator's /etc/ftp.data is
    there before install."""

    @classmethod
    def setUpClass(cls):
        cls.root = ftptest.tmpdir("destdir")
        (cls.root / "etc").mkdir()
        (cls.root / "etc/ftp.data").write_text(ADMIN_MEMBER)
        os.chmod(cls.root / "etc/ftp.data", 0o600)
        cls.install_log = make("install", f"DESTDIR={cls.root}", f"PREFIX={PREFIX}")

    def path(self, rel):
        return self.root / rel

    def test_every_file_and_mode(self):
        want = PROGRAMS | MANUALS | UNITS | ETC | samples()
        want["etc/ftp.data"] = 0o600         # the administrator's, untouched
        self.assertEqual(files_below(self.root), want)

    def test_administrators_member_kept(self):
        self.assertEqual(self.path("etc/ftp.data").read_text(), ADMIN_MEMBER)
        self.assertIn(f"{self.root}/etc/ftp.data exists: kept as it is", self.install_log)

    def test_installed_files_are_the_sources(self):
        src = ftptest.src_dir()
        for rel, orig in (("usr/share/man/man8/ftpd.8", "server/ftpd.8"),
                          ("usr/share/man/man1/ftpcert.1", "server/ftpcert/ftpcert.1"),
                          ("etc/pam.d/ftpd", "server/ftpd.pam"),
                          ("etc/ftpd/ftpd.data", "ftpdata/production.data"),
                          ("usr/share/doc/ftpd/nat.data", "ftpdata/nat.data")):
            with self.subTest(file=rel):
                self.assertEqual(self.path(rel).read_bytes(), (src / orig).read_bytes())
        unit = self.path("usr/lib/systemd/system/ftpd.service").read_text()
        self.assertIn(f"ExecStart={PREFIX}/sbin/ftpd\n", unit)
        self.assertNotRegex(unit, r"@[A-Z]+@")
        hook = self.path("usr/lib/ftpd/ftpd-certbot-hook").read_text()
        self.assertIn("keyring=${FTPD_KEYRING:-/etc/ftpd/keyring.pem}", hook)

    def test_pam_file(self):
        """A Debian PAM service for a process that serves every user:
        common-auth and common-account, the /etc/ftpusers deny list, and
        pam_unix's session alone, not common-session (its pam_systemd
        would move ftpd into the user's login session); test_pam.py logs
        system accounts in through this very file."""
        lines = [l.split() for l in self.path("etc/pam.d/ftpd").read_text().splitlines()
                 if l.strip() and not l.startswith("#")]
        self.assertIn(["@include", "common-auth"], lines)
        self.assertIn(["@include", "common-account"], lines)
        self.assertNotIn(["@include", "common-session"], lines)
        self.assertIn(["session", "required", "pam_unix.so"], lines)
        self.assertIn("file=/etc/ftpusers", lines[0])

    def test_installed_programs_run(self):
        ftpd = self.path("usr/sbin/ftpd")
        out, err = ftptest.run_ok([ftpd, "-t", "-f", self.path("etc/ftpd/ftpd.data")])
        self.assertIn("KEYRING /etc/ftpd/keyring.pem", out)
        self.assertIn("RUNAS ftpd", out)
        self.assertEqual(err, "")
        rc, out, err = ftptest.run([ftpd, "-h"])
        self.assertEqual(rc, 0)
        # SYSCONFDIR is compiled in: ftpd's own member first, then the shared one.
        self.assertIn("/etc/ftpd/ftpd.data", out)
        self.assertIn("/etc/ftp.data", out)
        out, _ = ftptest.run_ok([self.path("usr/bin/ftp"), "--version"])
        self.assertTrue(out.startswith("ftp "), out)
        rc, out, _ = ftptest.run([self.path("usr/bin/ftpcert"), "--help"])
        self.assertEqual(rc, 0)
        self.assertIn("ftpcert server", out)

    def test_units_verify(self):
        """systemd-analyze verify accepts the installed units (the service's
        ExecStart pointed at the staged ftpd, since /usr/sbin/ftpd is not on
        this machine), and finds their Documentation= man pages among the
        installed ones."""
        sa = ftptest.require_program("systemd-analyze")
        d = ftptest.tmpdir("units")
        service = self.path("usr/lib/systemd/system/ftpd.service").read_text()
        (d / "ftpd.service").write_text(
            service.replace(f"{PREFIX}/sbin/ftpd", str(self.path("usr/sbin/ftpd"))))
        for u in ("ftpd.socket", "ftpd-implicit.socket"):
            shutil.copy(self.path(f"usr/lib/systemd/system/{u}"), d / u)
        rc, out, err = ftptest.run(
            [sa, "verify", d / "ftpd.service", d / "ftpd.socket", d / "ftpd-implicit.socket"],
            env={"MANPATH": str(self.path("usr/share/man"))})
        self.assertEqual((rc, err), (0, ""), out)
        # The check is real: an unknown directive is reported.
        (d / "ftpd.socket").write_text(
            (d / "ftpd.socket").read_text().replace("[Socket]", "[Socket]\nListenStreem=21"))
        rc, out, err = ftptest.run([sa, "verify", d / "ftpd.socket"],
                                   env={"MANPATH": str(self.path("usr/share/man"))})
        self.assertIn("ListenStreem", err)

    def test_socket_names(self):
        """ftpd tells the roles apart by FileDescriptorName."""
        for unit, name, port in (("ftpd.socket", "ftp", 21), ("ftpd-implicit.socket", "ftps", 990)):
            text = self.path(f"usr/lib/systemd/system/{unit}").read_text()
            self.assertIn(f"FileDescriptorName={name}\n", text)
            self.assertIn(f"ListenStream=0.0.0.0:{port}\n", text)
            self.assertIn(f"ListenStream=[::]:{port}\n", text)
        service = self.path("usr/lib/systemd/system/ftpd.service").read_text()
        self.assertIn("Type=notify\n", service)
        self.assertIn("Sockets=ftpd.socket ftpd-implicit.socket\n", service)
        self.assertIn("CapabilityBoundingSet=CAP_SETUID CAP_SETGID CAP_DAC_READ_SEARCH\n",
                      service)

    def test_sysusers_creates_account(self):
        """The sysusers.d file makes the ftpd account (RUNAS of the
        installed member) in a root of its own."""
        root = ftptest.tmpdir("sysroot")
        (root / "etc").mkdir()
        for f in ("passwd", "group", "shadow", "gshadow"):
            (root / "etc" / f).write_text("")
        ftptest.run_ok([ftptest.require_program("systemd-sysusers"), f"--root={root}",
                        self.path("usr/lib/sysusers.d/ftpd.conf")])
        passwd = (root / "etc/passwd").read_text()
        self.assertRegex(passwd, r"(?m)^ftpd:x:\d+:\d+:[^:]*:/nonexistent:/usr/sbin/nologin$")
        self.assertRegex((root / "etc/group").read_text(), r"(?m)^ftpd:x:\d+:")

    def test_logrotate_snippet_parses(self):
        """logrotate reads the snippet without complaint (debug mode: no
        action), and signals ftpd with SIGUSR1.  The ftpd account does not
        exist on a test machine: the copy names nobody instead, its only
        change.  (test_oplogs rotates a live ftpd's log with it.)"""
        lr = ftptest.require_program("logrotate")
        d = ftptest.tmpdir("logrotate")
        text = self.path("etc/logrotate.d/ftpd").read_text()
        self.assertEqual(text.count("create 0640 ftpd adm"), 1)
        (d / "ftpd").write_text(text.replace("create 0640 ftpd adm", "create 0640 nobody adm"))
        rc, out, err = ftptest.run([lr, "-d", "-s", d / "state", d / "ftpd"])
        self.assertEqual(rc, 0, out + err)
        self.assertNotRegex(out + err, r"(?i)error")
        self.assertIn("/var/log/ftpd/xferlog", out + err)
        self.assertIn("--signal=USR1", self.path("etc/logrotate.d/ftpd").read_text())


class Uninstall(unittest.TestCase):
    """install then uninstall: only the administrator's files stay."""

    def test_uninstall_leaves_administrators_files(self):
        root = ftptest.tmpdir("destdir-un")
        (root / "etc/ftpd").mkdir(parents=True)
        (root / "etc/ftp.data").write_text(ADMIN_MEMBER)
        make("install", f"DESTDIR={root}", f"PREFIX={PREFIX}")
        # The administrator edits an installed file and adds one of theirs.
        with open(root / "etc/logrotate.d/ftpd", "a") as f:
            f.write("# rotate daily here\n")
        (root / "etc/ftpd/users").write_text("alice:*:/srv/ftp/alice\n")
        log = make("uninstall", f"DESTDIR={root}", f"PREFIX={PREFIX}")
        self.assertEqual(set(files_below(root)),
                         {"etc/ftp.data", "etc/logrotate.d/ftpd", "etc/ftpd/users"})
        self.assertEqual((root / "etc/ftp.data").read_text(), ADMIN_MEMBER)
        self.assertIn("etc/logrotate.d/ftpd differs from what install wrote: kept", log)
        # Our own directories are gone.
        self.assertFalse((root / "usr/share/doc/ftpd").exists())
        self.assertFalse((root / "usr/lib/ftpd").exists())


if __name__ == "__main__":
    unittest.main()
