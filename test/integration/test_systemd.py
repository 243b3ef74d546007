"""test_systemd: ftpd as systemd runs it, without systemd as PID 1.

* Socket activation: systemd-socket-activate (Debian's systemd package)
  binds two loopback ports and hands them over exactly as a socket unit
  does (LISTEN_FDS, LISTEN_PID, LISTEN_FDNAMES from --fdname), named "ftp"
  and "ftps" as ftpd.socket and ftpd-implicit.socket name them; a login and
  a byte-compared download go through each.
* Type=notify: the test owns the NOTIFY_SOCKET and reads READY=1 when ftpd
  serves, RELOADING=1 (with MONOTONIC_USEC) then READY=1 around SIGHUP,
  STOPPING=1 at SIGTERM.
* A socket with a name ftpd does not know refuses start-up.
* SystemCallFilter=@system-service in ftpd.service: every system call
  ftpd makes while serving TLS sessions (traced with strace) is in that
  set, so the filter cannot kill ftpd in production.
"""

import os
import re
import signal
import socket
import subprocess
import time
import unittest

import ftptest
from ftpd_harness import Ftpd, _SANITIZER_RE

FILES = {"one.bin": 1, "big.bin": 3 << 20}


def notify_socket(d):
    """A datagram socket bound in d that ftpd (after it switched to RUNAS)
    may send to."""
    path = d / "notify"
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(str(path))
    os.chmod(path, 0o777)
    s.settimeout(ftptest.START_TIMEOUT)
    return s, path


def read_notify(s):
    """One notification as {VAR: value}."""
    msg = s.recv(4096).decode()
    return dict(line.split("=", 1) for line in msg.splitlines() if line)


def sanitizer_env():
    return {k: os.environ[k] for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS") if k in os.environ}


def activate_cmd(srv, ports, names, notify_path, extra=()):
    """systemd-socket-activate listening on 127.0.0.1 at `ports`, named
    `names`, running ftpd with srv's member."""
    cmd = [ftptest.require_program("systemd-socket-activate")]
    for p in ports:
        cmd += ["-l", f"127.0.0.1:{p}"]
    cmd += [f"--fdname={':'.join(names)}", "-E", f"NOTIFY_SOCKET={notify_path}"]
    for k in sanitizer_env():
        cmd += ["-E", k]
    return cmd + list(extra) + [ftptest.ftpd_path(), "-f", srv.member_path, "-v"]


class SocketActivation(unittest.TestCase):
    """One activated ftpd: explicit TLS on one handed-over socket, implicit
    TLS on the other.  The member's own PORT is another free port, which
    ftpd must not bind."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("activated", member={"TLSPORT": 0}, tls=True)
        cls.sums = ftptest.make_tree(cls.srv.home(), FILES)
        cls.srv.give(cls.srv.home())
        cls.ports = (ftptest.free_port(), ftptest.free_port())
        cls.notify, path = notify_socket(cls.srv.dir)
        cls.addClassCleanup(cls.notify.close)
        cls.proc = ftptest.Proc(activate_cmd(cls.srv, cls.ports, ("ftp", "ftps"), path),
                                name="activate", tmp=cls.srv.dir)
        cls.proc.start()
        cls.addClassCleanup(cls.proc.stop)
        # systemd-socket-activate starts ftpd at the first connection, as
        # systemd does for a socket unit.
        ftptest.wait_port("127.0.0.1", cls.ports[0], proc=cls.proc)
        cls.ready = read_notify(cls.notify)

    def log(self):
        return self.proc.output()

    def test_ready_after_listeners(self):
        self.assertEqual(self.ready.get("READY"), "1", self.ready)
        text = self.log()
        self.assertIn("2 listening sockets from the service manager", text)
        self.assertIn(f"listening on 127.0.0.1:{self.ports[1]} (implicit TLS)", text)
        # The member's PORT was not bound.
        self.assertNotIn(f":{self.srv.port}", text)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection(("127.0.0.1", self.srv.port), 2).close()

    def test_explicit_socket(self):
        """The "ftp" socket: clear 220 greeting, then lftp's AUTH TLS,
        login and download."""
        with socket.create_connection(("127.0.0.1", self.ports[0]), 10) as c:
            self.assertTrue(c.recv(512).startswith(b"220 "))
        out = ftptest.tmpdir("explicit") / "big.bin"
        rc, _, err = ftptest.lftp("127.0.0.1", self.ports[0], self.srv.user,
                                  self.srv.password, ["get big.bin -o " + str(out)],
                                  cafile=self.srv.cafile)
        self.assertEqual(rc, 0, err)
        self.assertEqual(ftptest.sha256(out), self.sums["big.bin"])

    def test_implicit_socket(self):
        """The "ftps" socket: TLS from the first byte (curl ftps://)."""
        out = ftptest.tmpdir("implicit") / "big.bin"
        rc, _, err = ftptest.curl(["-o", out, f"ftps://127.0.0.1:{self.ports[1]}/big.bin"],
                                  user=self.srv.user, password=self.srv.password,
                                  cafile=self.srv.cafile)
        self.assertEqual(rc, 0, err)
        self.assertEqual(ftptest.sha256(out), self.sums["big.bin"])

    def test_zz_reload_and_stop_notifications(self):
        """SIGHUP: RELOADING=1 with MONOTONIC_USEC, then READY=1; SIGTERM:
        STOPPING=1, and a clean exit.  (Runs last: it stops the server.)"""
        os.kill(self.proc.pid, signal.SIGHUP)
        reloading = read_notify(self.notify)
        self.assertEqual(reloading.get("RELOADING"), "1", reloading)
        usec = int(reloading["MONOTONIC_USEC"])
        self.assertLessEqual(usec, time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)
        self.assertGreater(usec, 0)
        self.assertEqual(read_notify(self.notify).get("READY"), "1")
        self.assertEqual(self.proc.stop(), 0, self.log())
        self.assertEqual(read_notify(self.notify).get("STOPPING"), "1")
        self.assertEqual([l for l in self.log().splitlines() if _SANITIZER_RE.search(l)], [])


class BadSocketName(unittest.TestCase):
    def test_unknown_name_refused(self):
        """A socket named neither ftp nor ftps: ftpd refuses to start (exit
        2) rather than guess its role."""
        srv = Ftpd("badname", tls=True)
        port = ftptest.free_port()
        notify, path = notify_socket(srv.dir)
        self.addCleanup(notify.close)
        proc = ftptest.Proc(activate_cmd(srv, (port,), ("ftpd.socket",), path),
                            name="activate", tmp=srv.dir).start()
        self.addCleanup(proc.stop)
        ftptest.wait_port("127.0.0.1", port, proc=proc)
        proc.popen.wait(ftptest.START_TIMEOUT)
        self.assertEqual(proc.returncode, 2, proc.output())
        self.assertIn('descriptor 3 is named "ftpd.socket"', proc.output())
        notify.settimeout(0.2)
        with self.assertRaises(socket.timeout):
            notify.recv(4096)          # never READY


def syscall_groups():
    """{"@group": {names}} from systemd-analyze syscall-filter, groups
    expanded."""
    out, _ = ftptest.run_ok([ftptest.require_program("systemd-analyze"), "syscall-filter"])
    groups, cur = {}, None
    for line in out.splitlines():
        if line.startswith("@"):
            cur = groups.setdefault(line.strip(), set())
        elif cur is not None and line.strip() and not line.strip().startswith("#"):
            cur.add(line.strip())

    def expand(g, seen=()):
        names = set()
        for n in groups.get(g, ()):
            names |= expand(n, seen + (g,)) if n.startswith("@") and n not in seen else {n}
        return names
    return expand


class SyscallFilter(unittest.TestCase):
    def test_system_service_covers_ftpd(self):
        """Trace ftpd (strace -f) through start-up, the switch to RUNAS, TLS
        logins, uploads, downloads, listings, SIGHUP and SIGTERM: every
        system call it made is in @system-service."""
        strace = ftptest.require_program("strace")
        allowed = syscall_groups()("@system-service")
        self.assertIn("openat2", allowed)
        srv = Ftpd("strace", tls=True, member={"SECURE_FTP": "REQUIRED"})
        ftptest.make_tree(srv.home(), FILES)
        srv.give(srv.home())
        trace = srv.dir / "trace"
        # The production build, also in the sanitizer run (make check builds
        # it first): a sanitizer's runtime makes system calls of its own, and
        # LeakSanitizer cannot ptrace a process strace already traces.
        ftpd = ftptest.require_program(ftptest.src_dir() / "server/ftpd")
        cmd = [strace, "-f", "-qq", "-o", trace, ftpd, "-f", srv.member_path]
        proc = ftptest.ServerProc(cmd, srv.port, tmp=srv.dir, name="strace",
                                  env={"ASAN_OPTIONS": "", "UBSAN_OPTIONS": ""}).start()
        self.addCleanup(proc.stop)
        out = ftptest.tmpdir("strace-out")
        rc, _, err = ftptest.lftp(
            srv.host, srv.port, srv.user, srv.password,
            ["ls", "get big.bin -o " + str(out / "big.bin"), "put " + str(out / "big.bin")
             + " -o up.bin", "rm up.bin"], cafile=srv.cafile)
        self.assertEqual(rc, 0, err)
        # Signals go to ftpd itself, strace's child, which strace then
        # follows to its exit (and exits with its status).
        kids = open(f"/proc/{proc.pid}/task/{proc.pid}/children").read().split()
        self.assertEqual(len(kids), 1, kids)
        os.kill(int(kids[0]), signal.SIGHUP)
        ftptest.wait_for(lambda: "new configuration in effect" in proc.output(), 10, "reload")
        os.kill(int(kids[0]), signal.SIGTERM)
        proc.popen.wait(ftptest.STOP_TIMEOUT * 2)
        self.assertEqual(proc.stop(), 0, proc.output())
        made = set()
        for line in trace.read_text().splitlines():
            m = re.match(r"\d+\s+(?:<\.\.\. )?([a-z0-9_]+)[( ]", line)
            if m and m.group(1) not in ("exited", "killed", "resumed"):
                made.add(m.group(1))
        self.assertIn("openat2", made)
        self.assertIn("setuid", made)
        self.assertEqual(sorted(made - allowed), [], "system calls outside @system-service")


if __name__ == "__main__":
    unittest.main()
