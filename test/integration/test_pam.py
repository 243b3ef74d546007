"""test_pam: the machine's own accounts through PAM (PAMSERVICE), each acting
with its own credentials, checked by the kernel.

The test makes throwaway system accounts (useradd, names with a random
prefix) and a PAM service file of its own in /etc/pam.d (the shipped
server/ftpd.pam, its deny list pointed at a file of the test's); both are
removed at the end, also when a test fails: the cleanup is registered
before anything is created.  Needs root (CI runs as root).

* curl and lftp log in over TLS; what each user uploads is owned by that
  user and group on disk; USERFILE users given user= or uid=,gid= act as
  those identities, plain USERFILE users as RUNAS.
* Under one shared root (PAMROOT) the kernel checks each user's
  permissions: A cannot read B's 0600 file (550) nor write into B's 0700
  directory, a supplementary group grants access, each session starts in
  its home.
* A locked account (usermod -L), an expired one (chage -E 0) and denied
  ones (pam_listfile in the PAM file, and ftpd's own FTPUSERS check with a
  PAM file that lacks it) get 530; a wrong password gets 530 after the
  same delay as an unknown user.
* The process keeps uid 0 with CAP_SETUID and CAP_SETGID only, rests at
  RUNAS's filesystem ids, no_new_privs; also when started with the
  capabilities and securebits of the shipped systemd unit (setpriv).
* A server that switched to RUNAS for good refuses a reload that adds
  PAMSERVICE.
"""

import ftplib
import io
import os
import pwd
import re
import secrets
import time
import unittest
from pathlib import Path

import ftptest
from ftpd_harness import Ftpd

PASSWORD = "Pam-Secret-7"
LOGIN_DELAY = 1.0  # session.c LOGIN_DELAY_MS
CAPS_KEPT = 0xc0   # CAP_SETGID (6) and CAP_SETUID (7)


class Accounts:
    """Throwaway accounts and groups named PREFIX + suffix.  A name is
    recorded before the command that creates it runs, so that remove()
    (registered first) removes whatever exists."""

    def __init__(self):
        self.prefix = "fz" + secrets.token_hex(3)
        self.users, self.groups, self.files = [], [], []

    def name(self, suffix):
        return self.prefix + suffix

    def group(self, suffix):
        g = self.name(suffix)
        self.groups.append(g)
        ftptest.run_ok(["groupadd", g])
        return g

    def user(self, suffix, home, groups=()):
        u = self.name(suffix)
        self.users.append(u)
        cmd = ["useradd", "--no-create-home", "--home-dir", str(home), "--shell",
               "/bin/sh", "--user-group"]
        if groups:
            cmd += ["--groups", ",".join(groups)]
        ftptest.run_ok(cmd + [u])
        ftptest.run_ok(["chpasswd"], input=f"{u}:{PASSWORD}\n")
        return u

    def pam_file(self, text):
        path = Path("/etc/pam.d") / self.name("svc")
        self.files.append(path)
        path.write_text(text)
        return path.name

    def remove(self):
        for u in self.users:
            ftptest.run(["userdel", u])
        for g in self.groups:
            ftptest.run(["groupdel", g])
        for f in self.files:
            if f.exists():
                f.unlink()


def mkdir(path, owner, mode, group=None):
    path.mkdir()
    pw = pwd.getpwnam(owner)
    os.chown(path, pw.pw_uid, pw.pw_gid if group is None else group)
    os.chmod(path, mode)
    return path


def put_file(path, text, owner, mode, group=None):
    path.write_text(text)
    pw = pwd.getpwnam(owner)
    os.chown(path, pw.pw_uid, pw.pw_gid if group is None else group)
    os.chmod(path, mode)


def ids(name):
    pw = pwd.getpwnam(name)
    return pw.pw_uid, pw.pw_gid


def owner(path):
    st = os.stat(path)
    return st.st_uid, st.st_gid


def proc_status(pid):
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        out[k] = v.split()
    return out


class SystemAccounts(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root: system accounts and /etc/pam.d (CI is root)")
        acc = cls.acc = Accounts()
        cls.addClassCleanup(acc.remove)
        cls.root = root = ftptest.tmpdir("pamroot")
        os.chmod(root, 0o755)
        shipped = (ftptest.src_dir() / "server/ftpd.pam").read_text()
        cls.pam_list = root.parent / "pam-deny-list"
        cls.ftpusers = root.parent / "ftpusers"
        team = acc.group("g")
        cls.a = acc.user("a", root / "a")
        cls.b = acc.user("b", root / "b")
        cls.c = acc.user("c", root / "c", groups=[team])
        cls.locked = acc.user("l", root / "l")
        cls.expired = acc.user("e", root / "e")
        cls.denied_pam = acc.user("p", root / "p")
        cls.denied_ftpd = acc.user("f", root / "f")
        ftptest.run_ok(["usermod", "-L", cls.locked])
        ftptest.run_ok(["chage", "-E", "0", cls.expired])
        cls.pam_list.write_text(f"# the test's list for pam_listfile\n{cls.denied_pam}\n")
        cls.ftpusers.write_text(f"root\n{cls.denied_ftpd}\n")
        cls.service = acc.pam_file(shipped.replace("file=/etc/ftpusers", f"file={cls.pam_list}"))
        # Homes, all under one directory that also serves as PAMROOT.
        for u in (cls.a, cls.c, cls.locked, cls.expired, cls.denied_pam, cls.denied_ftpd):
            mkdir(root / u[len(acc.prefix):], u, 0o700)
        mkdir(root / "b", cls.b, 0o755)
        put_file(root / "b/secret.txt", "B's secret\n", cls.b, 0o600)
        mkdir(root / "b/private", cls.b, 0o700)
        gid = int(ftptest.run_ok(["getent", "group", team])[0].split(":")[2])
        cls.team_gid = gid
        mkdir(root / "team", "root", 0o770, group=gid)
        put_file(root / "team/plan.txt", "the plan\n", "root", 0o640, group=gid)
        cls.start_servers()

    @classmethod
    def start_servers(cls):
        base = {"PAMSERVICE": cls.service, "FTPUSERS": cls.ftpusers,
                "BANFAILURES": 0}
        # Each account in its own home, over TLS; USERFILE users beside.
        srv = cls.srv = Ftpd("pam", tls=True, member=base)
        b_uid, b_gid = ids(cls.b)
        with open(srv.userfile_path, "a") as f:
            f.write(f"{cls.acc.name('v')}:{ftptest.passwd_hash(PASSWORD)}:{cls.root / 'a'}"
                    f":user={cls.a}\n")
            f.write(f"{cls.acc.name('n')}:{ftptest.passwd_hash(PASSWORD)}:{cls.root / 'b'}"
                    f":uid={b_uid},gid={b_gid}\n")
        cls.addClassCleanup(srv.stop)
        srv.start()
        # Everyone under one root.
        shared = cls.shared = Ftpd("pamroot", member=dict(base, PAMROOT=cls.root))
        cls.addClassCleanup(shared.stop)
        shared.start()

    def login(self, srv, user, password=PASSWORD):
        f = srv.ftplib(login=False)
        self.addCleanup(f.close)
        f.login(user, password)
        return f

    def refused(self, srv, user, password=PASSWORD):
        """PASS's reply and how long after PASS it came."""
        f = srv.ftplib(login=False)
        self.addCleanup(f.close)
        self.assertTrue(f.sendcmd(f"USER {user}").startswith("331"))
        t0 = time.monotonic()
        with self.assertRaises(ftplib.error_perm) as e:
            f.sendcmd(f"PASS {password}")
        return str(e.exception), time.monotonic() - t0

    def upload(self, f, name, data=b"x" * 1000):
        f.storbinary(f"STOR {name}", io.BytesIO(data))

    # --- logins over TLS, ownership ------------------------------------

    def test_curl_and_lftp_upload_as_the_user(self):
        srv = self.srv
        local = ftptest.tmpdir("pam-up") / "up.bin"
        ftptest.make_file(local, 70000)
        rc, out, err = ftptest.curl(["-T", local, srv.url("curl-a.bin")], user=self.a,
                                    password=PASSWORD, cafile=srv.cafile)
        self.assertEqual(rc, 0, err + srv.log()[-3000:])
        rc, out, err = ftptest.lftp(srv.host, srv.port, self.b, PASSWORD,
                                    [f"put {local} -o lftp-b.bin", "cls -1"], cafile=srv.cafile)
        self.assertEqual(rc, 0, err + srv.log()[-3000:])
        self.assertIn("secret.txt", out)
        self.assertEqual(owner(self.root / "a/curl-a.bin"), ids(self.a))
        self.assertEqual(owner(self.root / "b/lftp-b.bin"), ids(self.b))
        self.assertEqual(ftptest.sha256(self.root / "a/curl-a.bin"), ftptest.sha256(local))
        log = srv.wait_log(re.compile(rf'login-ok .*user="{self.b}" method=pam'))
        self.assertRegex(log, rf'login-ok .*user="{self.a}" method=pam')
        # A directory made by the user is the user's too.
        f = self.login(srv, self.a)
        f.mkd("made")
        self.assertEqual(owner(self.root / "a/made"), ids(self.a))

    def test_userfile_identities(self):
        """user=A acts as A; uid=,gid= as those ids; a plain USERFILE user
        as RUNAS, as when no one has an identity."""
        f = self.login(self.srv, self.acc.name("v"))
        self.upload(f, "by-v.bin")
        self.assertEqual(owner(self.root / "a/by-v.bin"), ids(self.a))
        f = self.login(self.srv, self.acc.name("n"))
        self.upload(f, "by-n.bin")
        self.assertEqual(owner(self.root / "b/by-n.bin"), ids(self.b))
        f = self.login(self.srv, self.srv.user, self.srv.password)
        self.upload(f, "by-alice.bin")
        self.assertEqual(owner(self.srv.home() / "by-alice.bin"),
                         (self.srv.run_uid, self.srv.run_gid))
        # The user= identity cannot reach what A cannot either.
        with self.assertRaises(ftplib.error_perm):
            self.login(self.srv, self.acc.name("v")).cwd("/../b")  # stays in A's root

    # --- one shared root: the kernel checks each user ------------------

    def test_shared_root_permissions(self):
        f = self.login(self.shared, self.a)
        self.assertEqual(f.pwd(), "/a")  # the home, inside PAMROOT
        for op in (lambda: f.retrbinary("RETR /b/secret.txt", lambda d: None),
                   lambda: self.upload(f, "/b/private/x.bin"),
                   lambda: self.upload(f, "/b/x.bin"),
                   lambda: f.mkd("/b/private/d")):
            with self.assertRaises(ftplib.error_perm) as e:
                op()
            self.assertTrue(str(e.exception).startswith("550"), str(e.exception))
        self.assertIn("secret.txt", f.nlst("/b"))  # listed, not readable
        self.assertFalse((self.root / "b/private/x.bin").exists())
        g = self.login(self.shared, self.b)
        got = []
        g.retrbinary("RETR /b/secret.txt", got.append)
        self.assertEqual(b"".join(got), b"B's secret\n")
        self.upload(g, "/b/private/mine.bin")
        self.assertEqual(owner(self.root / "b/private/mine.bin"), ids(self.b))

    def test_supplementary_group(self):
        f = self.login(self.shared, self.c)
        got = []
        f.retrbinary("RETR /team/plan.txt", got.append)
        self.assertEqual(b"".join(got), b"the plan\n")
        self.upload(f, "/team/c.bin")
        self.assertEqual(owner(self.root / "team/c.bin"), ids(self.c))
        a = self.login(self.shared, self.a)
        with self.assertRaises(ftplib.error_perm) as e:
            a.retrbinary("RETR /team/plan.txt", lambda d: None)
        self.assertTrue(str(e.exception).startswith("550"))

    # --- refusals ------------------------------------------------------

    def test_refused_accounts(self):
        """Right password, still 530: locked, expired, denied by the PAM
        file's pam_listfile, denied by ftpd's own FTPUSERS check."""
        for user in (self.locked, self.expired, self.denied_pam, self.denied_ftpd):
            with self.subTest(user=user):
                reply, _ = self.refused(self.srv, user)
                self.assertEqual(reply, "530 Login incorrect.")
        log = self.srv.wait_log(re.compile(rf'login-refused .*user="{self.denied_ftpd}" '
                                           r'method=pam reason="listed in '))
        self.assertRegex(log, rf'login-refused .*user="{self.expired}" method=pam')
        self.assertRegex(log, rf'login-failed .*user="{self.locked}" method=pam')
        self.assertRegex(log, rf'login-failed .*user="{self.denied_pam}" method=pam')

    def test_ftpusers_without_pam_listfile(self):
        """A PAM file written without pam_listfile loses nothing: ftpd
        refuses the listed account itself."""
        text = "auth required pam_unix.so\naccount required pam_unix.so\n" \
               "session required pam_unix.so\n"
        path = Path("/etc/pam.d") / self.acc.name("bare")
        self.acc.files.append(path)
        path.write_text(text)
        srv = Ftpd("pam-bare", member={"PAMSERVICE": path.name, "FTPUSERS": self.ftpusers,
                                       "BANFAILURES": 0})
        self.addCleanup(srv.stop)
        srv.start()
        self.login(srv, self.a).quit()
        reply, _ = self.refused(srv, self.denied_ftpd)
        self.assertEqual(reply, "530 Login incorrect.")
        self.login(srv, self.denied_pam).quit()  # only the PAM file listed it

    def test_root_never_logs_in(self):
        """uid 0 is refused even where PAM lets anyone in and no deny list
        names it (pam_permit, an empty FTPUSERS); the same PAM file lets an
        ordinary account in, so the refusal is ftpd's own."""
        text = "auth required pam_permit.so\naccount required pam_permit.so\n" \
               "session required pam_permit.so\n"
        path = Path("/etc/pam.d") / self.acc.name("permit")
        self.acc.files.append(path)
        path.write_text(text)
        empty = self.root.parent / "ftpusers-empty"
        empty.write_text("# nobody listed\n")
        srv = Ftpd("pam-permit", member={"PAMSERVICE": path.name, "FTPUSERS": empty,
                                         "BANFAILURES": 0})
        self.addCleanup(srv.stop)
        srv.start()
        self.login(srv, self.a, "any password").quit()
        reply, _ = self.refused(srv, "root", "any password")
        self.assertEqual(reply, "530 Login incorrect.")
        srv.wait_log("root has uid 0: root never logs in over FTP")

    def test_wrong_password_costs_the_delay(self):
        """A wrong password, an unknown user: the same 530 after the same
        delay, counted from PASS (only lower bounds: no timing flake)."""
        wrong, unknown = [], []
        for _ in range(2):
            reply, t = self.refused(self.shared, self.a, "not-the-password")
            self.assertEqual(reply, "530 Login incorrect.")
            wrong.append(t)
            reply, t = self.refused(self.shared, self.acc.name("nobody"), "whatever")
            self.assertEqual(reply, "530 Login incorrect.")
            unknown.append(t)
        self.assertGreaterEqual(min(wrong), 0.9 * LOGIN_DELAY, wrong)
        self.assertGreaterEqual(min(unknown), 0.9 * LOGIN_DELAY, unknown)
        self.assertGreaterEqual(min(wrong), min(unknown) - 0.5, (wrong, unknown))

    # --- the process ---------------------------------------------------

    def test_process_credentials(self):
        st = proc_status(self.srv.pid)
        runas_uid, runas_gid = self.srv.run_uid, self.srv.run_gid
        self.assertEqual(st["Uid"], ["0", "0", "0", str(runas_uid)])
        self.assertEqual(st["Gid"], ["0", "0", "0", str(runas_gid)])
        self.assertEqual(st.get("Groups", []), [])
        for k in ("CapPrm", "CapEff", "CapBnd"):
            self.assertEqual(int(st[k][0], 16), CAPS_KEPT, k)
        self.assertEqual(int(st["CapInh"][0], 16), 0)
        self.assertEqual(st["NoNewPrivs"], ["1"])
        # SIGHUP re-reads as RUNAS, and logins go on.
        self.srv.hup()
        self.srv.wait_log("new configuration in effect")
        self.login(self.srv, self.a).quit()


class UnitCapabilities(unittest.TestCase):
    """ftpd started with what the shipped systemd unit gives it
    (CapabilityBoundingSet, NoNewPrivileges): it keeps CAP_SETUID and
    CAP_SETGID only, logs a system account in, and every system call it
    makes, PAM's modules' included, is one the unit's SystemCallFilter
    allows (traced with strace, as test_systemd does without PAM)."""

    def test_under_the_unit_capabilities(self):
        if os.geteuid() != 0:
            self.skipTest("needs root")
        from test_systemd import syscall_groups
        unit = (ftptest.src_dir() / "server/ftpd.service").read_text()
        bset = re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split()
        groups = re.search(r"^SystemCallFilter=(.*)$", unit, re.M).group(1).split()
        self.assertIn("NoNewPrivileges=yes", unit)
        expand = syscall_groups()
        allowed = set().union(*(expand(g) if g.startswith("@") else {g} for g in groups))
        acc = Accounts()
        self.addCleanup(acc.remove)
        home = ftptest.tmpdir("pam-unit")
        os.chmod(home, 0o755)
        user = acc.user("u", home / "u")
        mkdir(home / "u", user, 0o700)
        service = acc.pam_file((ftptest.src_dir() / "server/ftpd.pam").read_text())
        srv = Ftpd("pam-unit", member={"PAMSERVICE": service}, verbose=False)
        caps = ",".join("+" + c.lower()[4:] for c in bset)
        trace = srv.dir / "trace"
        # The production build, as in test_systemd: a sanitizer's runtime
        # makes system calls of its own.
        ftpd = ftptest.require_program(ftptest.src_dir() / "server/ftpd")
        wrapper = [ftptest.require_program("setpriv"), "--bounding-set", "-all," + caps,
                   "--inh-caps", "-all", "--no-new-privs",
                   ftptest.require_program("strace"), "-f", "-qq", "-o", trace]
        self.addCleanup(srv.stop)
        srv.start(wrapper=wrapper, binary=ftpd, env={"ASAN_OPTIONS": "", "UBSAN_OPTIONS": ""})
        kids = open(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children").read().split()
        self.assertEqual(len(kids), 1, kids)
        self.assertEqual(srv.pid, int(kids[0]))
        st = proc_status(int(kids[0]))
        self.assertEqual(int(st["CapPrm"][0], 16), CAPS_KEPT, srv.log())
        self.assertEqual(int(st["CapEff"][0], 16), CAPS_KEPT)
        f = ftplib.FTP(timeout=10)
        f.connect(srv.host, srv.port)
        self.addCleanup(f.close)
        f.login(user, PASSWORD)
        f.storbinary("STOR x.bin", io.BytesIO(b"abc"))
        self.assertEqual(f.nlst(), ["x.bin"])
        f.quit()
        self.assertEqual(owner(home / "u/x.bin"), ids(user))
        self.assertIn("new configuration in effect", srv.reload())
        self.assertEqual(srv.stop(), 0, srv.log())
        made = set()
        for line in trace.read_text().splitlines():
            m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if m and m.group(1) not in ("exited", "killed", "resumed"):
                made.add(m.group(1))
        self.assertIn("setfsuid", made)
        self.assertEqual(sorted(made - allowed), [], "system calls the unit's filter refuses")


class ReloadNeedsRestart(unittest.TestCase):
    def test_pamservice_on_sighup(self):
        """A server that switched to RUNAS for good cannot act as each
        user: a reload that adds PAMSERVICE is refused, the old member
        stays in force."""
        if os.geteuid() != 0:
            self.skipTest("needs root: without it ftpd never switches")
        with Ftpd("pam-hup") as srv:
            srv.write_member({"PAMSERVICE": "ftpd"})
            srv.hup()
            srv.wait_log("needs a restart")
            with srv.ftplib() as f:
                f.quit()
            self.assertNotIn("new configuration in effect", srv.stderr())


if __name__ == "__main__":
    unittest.main()
