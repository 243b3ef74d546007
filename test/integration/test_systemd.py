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
import socket
import time
import unittest

import ftptest
from ftpd_harness import Ftpd

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


def activate_cmd(ports, names, notify_path):
    """systemd-socket-activate listening on 127.0.0.1 at `ports`, named
    `names`: the wrapper that runs ftpd (Ftpd.start(wrapper=...))."""
    cmd = [ftptest.require_program("systemd-socket-activate")]
    for p in ports:
        cmd += ["-l", f"127.0.0.1:{p}"]
    cmd += [f"--fdname={':'.join(names)}", "-E", f"NOTIFY_SOCKET={notify_path}"]
    for k in sanitizer_env():
        cmd += ["-E", k]
    return cmd


class SocketActivation(unittest.TestCase):
    """One activated ftpd: explicit TLS on one handed-over socket, implicit
    TLS on the other.  The member's own PORT is another free port, which
    ftpd must not bind."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("activated", member={"TLSPORT": 0}, tls=True, files=FILES)
        cls.sums = cls.srv.hashes
        cls.ports = (ftptest.free_port(), ftptest.free_port())
        cls.notify, path = notify_socket(cls.srv.dir)
        cls.addClassCleanup(cls.notify.close)
        cls.addClassCleanup(cls.srv.stop)
        # systemd-socket-activate starts ftpd at the first connection (the
        # launcher's probe), as systemd does for a socket unit.
        cls.srv.start(wrapper=activate_cmd(cls.ports, ("ftp", "ftps"), path),
                      wait_on=[("127.0.0.1", cls.ports[0])])
        cls.ready = read_notify(cls.notify)

    def log(self):
        return self.srv.log()

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
        self.srv.hup()
        reloading = read_notify(self.notify)
        self.assertEqual(reloading.get("RELOADING"), "1", reloading)
        usec = int(reloading["MONOTONIC_USEC"])
        self.assertLessEqual(usec, time.clock_gettime_ns(time.CLOCK_MONOTONIC) // 1000)
        self.assertGreater(usec, 0)
        self.assertEqual(read_notify(self.notify).get("READY"), "1")
        self.assertEqual(self.srv.stop(), 0, self.log())
        self.assertEqual(read_notify(self.notify).get("STOPPING"), "1")
        self.assertEqual(self.srv.sanitizer_reports(), [])


class BadSocketName(unittest.TestCase):
    def test_unknown_name_refused(self):
        """A socket named neither ftp nor ftps: ftpd refuses to start (exit
        2) rather than guess its role."""
        srv = Ftpd("badname", tls=True)
        port = ftptest.free_port()
        notify, path = notify_socket(srv.dir)
        self.addCleanup(notify.close)
        self.addCleanup(srv.stop)
        srv.start(wrapper=activate_cmd((port,), ("ftpd.socket",), path), wait_on=())
        ftptest.wait_port("127.0.0.1", port, proc=srv.proc)
        self.assertEqual(srv.wait_exit(ftptest.START_TIMEOUT, status=2), 2, srv.log())
        self.assertIn('descriptor 3 is named "ftpd.socket"', srv.log())
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
        srv = Ftpd("strace", tls=True, member={"SECURE_FTP": "REQUIRED"}, files=FILES,
                   verbose=False)
        trace = srv.dir / "trace"
        # The production build, also in the sanitizer run (make check builds
        # it first): a sanitizer's runtime makes system calls of its own, and
        # LeakSanitizer cannot ptrace a process strace already traces.
        ftpd = ftptest.require_program(ftptest.src_dir() / "server/ftpd")
        self.addCleanup(srv.stop)
        srv.start(wrapper=[strace, "-f", "-qq", "-o", trace], binary=ftpd,
                  env={"ASAN_OPTIONS": "", "UBSAN_OPTIONS": ""})
        out = ftptest.tmpdir("strace-out")
        rc, _, err = ftptest.lftp(
            srv.host, srv.port, srv.user, srv.password,
            ["ls", "get big.bin -o " + str(out / "big.bin"), "put " + str(out / "big.bin")
             + " -o up.bin", "rm up.bin"], cafile=srv.cafile)
        self.assertEqual(rc, 0, err)
        # Signals go to ftpd itself, strace's child, which strace then
        # follows to its exit (and exits with its status).
        kids = open(f"/proc/{srv.proc.pid}/task/{srv.proc.pid}/children").read().split()
        self.assertEqual(len(kids), 1, kids)
        self.assertEqual(srv.pid, int(kids[0]))
        self.assertIn("new configuration in effect", srv.reload())
        self.assertEqual(srv.stop(), 0, srv.log())
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
