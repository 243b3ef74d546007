"""test_ftpd_basic: our ftpd in plain FTP (no TLS), against real peers.

Every class starts a real ftpd (ftpd_harness.Ftpd) on 127.0.0.1 and ::1
with a throwaway USERFILE and member, and drives it with curl, lftp and
Python's ftplib, or with a raw control socket where the exact bytes or reply
codes matter.  Files are compared by SHA-256, on the server's disk for
uploads.  Each server is stopped by its PID when its class ends, failing
the class unless it exited 0 without a sanitizer report, so the same file
run against build/san/ checks the server under ASan and UBSan.

    Basic       one server for the protocol: transfers of 0 B, 1 B and tens
                of MiB over IPv4 and IPv6, every data mode, resume, REST, TYPE
                A, the namespace commands, listings, FEAT/OPTS/HELP/SITE,
                reply codes, confinement, bounce, ABOR/STAT/QUIT during a
                transfer, failed logins (same reply and delay for unknown
                users), a STOR answered 425 (the file is kept), a client
                vanishing mid-upload, the transfer log
    Timers      INACTIVE and DATATIMEOUT (a STOR never connected keeps the file)
    Passive     PASSIVEDATAPORTS, PASSIVEADDRESS, data-connection theft
    Anonymous   ANONYMOUS (read-only), BANNER, LOGINMSG
    Accounts    USERFILE options readonly and umask=, UMASK, RUNAS (ftpd's ids,
                owners of uploads); RunasRoot: RUNAS root refused
    ReplySecurity  REPLYSECURITYLEVEL 1
    Limits      MAXSESSIONS, MAXSESSIONSPERIP
    Signals     SIGHUP (a new member, a broken one), SIGTERM during a transfer
    Daemon      ftpd -d
    ConfigCheck ftpd -t on the samples and on a misspelled member
"""

import ftplib
import hashlib
import io
import os
import platform
import random
import re
import select
import signal
import socket
import time
import unittest
import urllib.parse
import zlib
from pathlib import Path

import ftptest
from ftpd_harness import Ftpd, ftpd_check, ftpd_run, runas_account

# One big file ("tens of MiB"), not a multiple of any block or buffer size;
# the transfers of it dominate the run time, so it is made once.
BIG = (24 << 20) + 7
FILES = {"empty.bin": 0, "one.bin": 1, "mid.bin": (1 << 20) + 3, "big.bin": BIG}
TIMEOUT = 10


def hosts():
    """The loopback addresses to test: 127.0.0.1 and ::1 (a machine that
    cannot bind ::1 fails the IPv6 tests, never skips them)."""
    ftptest.require_ipv6()
    return ["127.0.0.1", "::1"]


def reply(f, cmd):
    """Send `cmd` on ftplib session f and return the whole reply text,
    whatever its code (ftplib raises on 4xx/5xx; the text is in the
    exception)."""
    try:
        return f.sendcmd(cmd)
    except ftplib.Error as e:
        return str(e)


def read_reply(sock_file):
    """One whole reply from a raw control connection (a binary file from
    socket.makefile), multi-line replies included; '' at EOF."""
    first = sock_file.readline().decode("utf-8", "replace")
    if not first:
        return ""
    lines = [first]
    if first[3:4] == "-":
        while True:
            line = sock_file.readline().decode("utf-8", "replace")
            if not line:
                break
            lines.append(line)
            if line[:3] == first[:3] and line[3:4] == " ":
                break
    return "".join(lines).rstrip("\r\n")


def read_all(conn):
    chunks = []
    while True:
        b = conn.recv(1 << 20)
        if not b:
            return b"".join(chunks)
        chunks.append(b)


def seeded(size, tag):
    """size pseudo-random bytes, different for every tag."""
    return random.Random(zlib.crc32(tag.encode())).randbytes(size)


class Data:
    """The data connection of one transfer, set up with an explicit mode on
    an ftplib session: PASV or EPSV (we connect at once, as clients do) or
    PORT or EPRT (the server connects to our listener when the transfer
    command comes).  sock() returns the connected socket."""

    def __init__(self, f, mode, timeout=TIMEOUT):
        self.conn = None
        self.listener = None
        self.timeout = timeout
        self.setup_reply = None
        peer = f.sock.getpeername()
        if mode in ("PASV", "EPSV"):
            self.setup_reply = f.sendcmd(mode)
            if mode == "PASV":
                _, port = ftplib.parse227(self.setup_reply)
            else:
                _, port = ftplib.parse229(self.setup_reply, peer)
            # Like ftplib and curl: the control connection's address, not the
            # one in a 227 reply.
            self.conn = socket.create_connection((peer[0], port), timeout)
        else:
            local = f.sock.getsockname()[0]
            self.listener = socket.create_server((local, 0),
                                                 family=ftptest.family_of(local))
            self.listener.settimeout(timeout)
            port = self.listener.getsockname()[1]
            if mode == "PORT":
                arg = ",".join(local.split(".") + [str(port >> 8), str(port & 255)])
            else:
                arg = f"|{2 if ':' in local else 1}|{local}|{port}|"
            self.setup_reply = f.sendcmd(f"{mode} {arg}")

    def sock(self):
        if self.conn is None:
            self.conn, _ = self.listener.accept()
            self.conn.settimeout(self.timeout)
            self.listener.close()
            self.listener = None
        return self.conn

    def close(self):
        for s in (self.conn, self.listener):
            if s is not None:
                s.close()


def retr(f, path, mode="EPSV"):
    """RETR path over a data connection set up with `mode`: (150 reply,
    bytes, final reply)."""
    d = Data(f, mode)
    try:
        prelim = f.sendcmd(f"RETR {path}")
        data = read_all(d.sock())
    finally:
        d.close()
    return prelim, data, f.voidresp()


def stor(f, path, payload, mode="EPSV", cmd="STOR"):
    """STOR (APPE, STOU) path with payload: (150 reply, final reply)."""
    d = Data(f, mode)
    try:
        prelim = f.sendcmd(f"{cmd} {path}".rstrip())
        s = d.sock()
        s.sendall(payload)
    finally:
        d.close()
    return prelim, f.voidresp()


def lftp_plain(srv, host, cmds, timeout=60):
    """lftp in plain FTP (ftptest.lftp forces TLS; these settings come
    last and win)."""
    return ftptest.lftp(host, srv.port, srv.user, srv.password, cmds, timeout=timeout,
                        settings=["ftp:ssl-allow false", "ftp:ssl-force false",
                                  "ftp:ssl-protect-data false",
                                  "ftp:ssl-protect-list false"])


def curl_plain(srv, args, user=None, password=None, max_time=60):
    return ftptest.curl(args, user=user or srv.user,
                        password=password if password is not None else srv.password,
                        ssl_reqd=False, max_time=max_time)


# x86_64 system call numbers of the calls that wait for a peer.
_WAITING_CALLS = {"7": "poll", "271": "ppoll", "1": "write", "20": "writev",
                  "40": "sendfile", "44": "sendto"}


def threads_waiting_on_a_peer(pid):
    """ftpd's threads blocked in a call that waits for a peer (poll, write,
    sendfile, ...): its loop waits in epoll_wait and its idle pool threads
    on a futex, so any of these that lasts means a thread is held by a
    client.  x86_64 numbers; None elsewhere."""
    if platform.machine() != "x86_64":
        return None
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            nr = (task / "syscall").read_text().split()[0]
        except (OSError, IndexError):
            continue
        if nr in _WAITING_CALLS:
            found.append(f"{task.name}:{_WAITING_CALLS[nr]}")
    return found


def assert_no_thread_waits_on_a_peer(test, srv, timeout=2):
    if threads_waiting_on_a_peer(srv.pid) is None:
        return
    last = []

    def none():
        last[:] = threads_waiting_on_a_peer(srv.pid)
        return not last
    try:
        ftptest.wait_for(none, timeout, "no ftpd thread blocked on a peer", interval=0.1)
    except AssertionError:
        test.fail(f"ftpd threads still blocked on a peer: {last}")


class ServerTest(unittest.TestCase):
    """Helpers shared by the classes below; cls.srv is the class's Ftpd."""

    srv = None

    def show(self, *parts):
        tail = self.srv.log()[-6000:] if self.srv else ""
        return "\n".join(str(p) for p in parts) + f"\n--- ftpd ---\n{tail}"

    def assertCode(self, text, code, what=""):
        if not str(text).startswith(str(code)):
            self.fail(self.show(f"{what}: expected {code}, got {text!r}"))

    def assertRun(self, result, what):
        rc, out, err = result
        if rc != 0:
            self.fail(self.show(f"{what}: exit {rc}", out[-3000:], err[-6000:]))
        return out, err

    def assertSameFile(self, got, expected_digest, what):
        self.assertTrue(Path(got).exists(), self.show(f"{what}: {got} missing"))
        self.assertEqual(ftptest.sha256(got), expected_digest, self.show(f"{what} differs"))

    def ftp(self, host=None, **kw):
        f = self.srv.ftplib(host=host, **kw)
        self.addCleanup(f.close)
        return f

    def workdir(self, name=None):
        """A fresh directory in the user's home for this test, owned by the
        account ftpd serves as; returns its remote name."""
        name = name or self._testMethodName
        p = self.srv.home() / name
        p.mkdir()
        self.srv.give(p)
        return name

    def local(self, name=None):
        return ftptest.tmpdir(name or self._testMethodName)

    def start_big_download(self, f, keep=1 << 20):
        """RETR pub/big.bin over EPSV and read the first `keep` bytes; the
        rest waits in the server (24 MiB do not fit in socket buffers).
        Returns (data socket, bytes read)."""
        f.voidcmd("TYPE I")
        d = Data(f, "EPSV")
        self.addCleanup(d.close)
        self.assertCode(f.sendcmd("RETR pub/big.bin"), 150)
        s = d.sock()
        got = bytearray()
        while len(got) < keep:
            b = s.recv(min(1 << 20, keep - len(got)))
            self.assertTrue(b, "data connection closed early")
            got += b
        return s, got


# ---------------------------------------------------------------------------

class Basic(ServerTest):
    """One server, default configuration (LOGINATTEMPTS 2 to keep the
    failed-login test short), on every loopback address."""

    @classmethod
    def setUpClass(cls):
        for prog in ("lftp", "curl"):
            ftptest.require_program(prog)
        cls.hosts = hosts()
        cls.srv = Ftpd("basic", hosts=cls.hosts, member={"LOGINATTEMPTS": 2})
        cls.addClassCleanup(cls.srv.stop)
        cls.digest = ftptest.make_tree(cls.srv.home() / "pub", FILES)
        cls.srv.give(cls.srv.home() / "pub")
        cls.srv.start()

    # --- transfers with real peers ---------------------------------------

    def test_download_curl_lftp_ftplib(self):
        for host in self.hosts:
            with self.subTest(host=host):
                d = self.local(f"down-{host}")
                args = []
                for name in FILES:
                    args += [self.srv.url(f"pub/{name}", host), "-o", d / f"curl-{name}"]
                self.assertRun(curl_plain(self.srv, args), "curl")
                cmds = [f"get pub/{n} -o {ftptest.lftp_quote(d / ('lftp-' + n))}"
                        for n in FILES]
                self.assertRun(lftp_plain(self.srv, host, cmds), "lftp")
                f = self.ftp(host)
                for name in FILES:
                    with open(d / f"ftplib-{name}", "wb") as out:
                        f.retrbinary(f"RETR pub/{name}", out.write)
                for name in FILES:
                    for peer in ("curl", "lftp", "ftplib"):
                        self.assertSameFile(d / f"{peer}-{name}", self.digest[name],
                                            f"{peer} download of {name} over {host}")

    def test_upload_curl_lftp_ftplib(self):
        remote = self.workdir()
        for host in self.hosts:
            with self.subTest(host=host):
                d = self.local(f"up-{host}")
                src = {n: ftptest.make_file(d / n, size, seed=zlib.crc32(f"{host}{n}".encode()))
                       for n, size in FILES.items()}
                args = []
                for n, p in src.items():
                    args += ["-T", p, self.srv.url(f"{remote}/curl-{host}-{n}", host)]
                self.assertRun(curl_plain(self.srv, args), "curl uploads")
                cmds = [f"put {ftptest.lftp_quote(p)} -o {remote}/lftp-{host}-{n}"
                        for n, p in src.items()]
                self.assertRun(lftp_plain(self.srv, host, cmds), "lftp uploads")
                f = self.ftp(host)
                for n, p in src.items():
                    with open(p, "rb") as fp:
                        f.storbinary(f"STOR {remote}/ftplib-{host}-{n}", fp)
                for n, p in src.items():
                    for peer in ("curl", "lftp", "ftplib"):
                        self.assertSameFile(self.srv.home() / remote / f"{peer}-{host}-{n}",
                                            ftptest.sha256(p), f"{peer} upload of {n} over {host}")

    def test_data_modes_ftplib(self):
        """PASV, EPSV, PORT and EPRT by hand, both directions, each address
        family; PASV and PORT cannot carry IPv6: 522."""
        remote = self.workdir()
        for host in self.hosts:
            f = self.ftp(host)
            f.voidcmd("TYPE I")
            for mode in ("PASV", "EPSV", "PORT", "EPRT"):
                with self.subTest(host=host, mode=mode):
                    if ":" in host and mode in ("PASV", "PORT"):
                        arg = "" if mode == "PASV" else " 127,0,0,1,200,10"
                        self.assertCode(reply(f, mode + arg), 522, f"{mode} on IPv6")
                        continue
                    _, data, final = retr(f, "pub/mid.bin", mode)
                    self.assertCode(final, 226)
                    self.assertEqual(len(data), FILES["mid.bin"])
                    self.assertEqual(hashlib.sha256(data).hexdigest(),
                                     self.digest["mid.bin"])
                    payload = seeded(300001, host + mode)
                    _, final = stor(f, f"{remote}/{mode}-{host}", payload, mode)
                    self.assertCode(final, 226)
                    self.assertEqual((self.srv.home() / remote / f"{mode}-{host}").read_bytes(),
                                     payload)
                    d = Data(f, mode)
                    try:
                        f.sendcmd(f"NLST {remote}")
                        names = read_all(d.sock()).decode().split()
                    finally:
                        d.close()
                    self.assertCode(f.voidresp(), 226)
                    self.assertIn(f"{mode}-{host}", names)

    def test_data_modes_curl(self):
        """curl's own choice of data command: EPSV by default, PASV with
        --disable-epsv, EPRT with -P, PORT with -P --disable-eprt; the -v
        transcript shows which one was sent."""
        cases = [("127.0.0.1", [], "EPSV"), ("127.0.0.1", ["--disable-epsv"], "PASV"),
                 ("127.0.0.1", ["-P", "127.0.0.1"], "EPRT"),
                 ("127.0.0.1", ["-P", "127.0.0.1", "--disable-eprt"], "PORT")]
        if "::1" in self.hosts:
            cases += [("::1", [], "EPSV"), ("::1", ["-P", "::1"], "EPRT")]
        for host, opts, cmd in cases:
            with self.subTest(host=host, mode=cmd):
                d = self.local(f"curl-{cmd}")
                rc, out, err = curl_plain(self.srv, opts + [self.srv.url("pub/mid.bin", host),
                                                            "-o", d / "mid.bin"])
                self.assertRun((rc, out, err), f"curl {cmd}")
                self.assertRegex(err, rf"(?m)^> {cmd}\b", "curl did not use " + cmd)
                self.assertSameFile(d / "mid.bin", self.digest["mid.bin"], f"curl {cmd}")

    def test_epsv_all(self):
        """RFC 2428 section 4: after EPSV ALL only EPSV sets up data, for the
        rest of the session: through ABOR, failed transfers and REIN."""
        for host in self.hosts:
            with self.subTest(host=host):
                f = self.ftp(host)
                self.assertCode(reply(f, "EPSV ALL"), 200)
                fam = "2" if ":" in host else "1"

                def refused(when):
                    for cmd in ("PASV", f"EPRT |{fam}|{host}|40000|", "PORT 127,0,0,1,156,64"):
                        self.assertCode(reply(f, cmd), 503, f"{cmd.split()[0]} {when}")
                refused("after EPSV ALL")
                f.voidcmd("TYPE I")
                _, data, final = retr(f, "pub/one.bin", "EPSV")
                self.assertEqual(len(data), 1)
                reply(f, "ABOR")
                self.assertCode(reply(f, "RETR pub/missing"), 425)
                refused("after ABOR and a failed RETR")
                self.assertCode(reply(f, "REIN"), 220)
                f.login(self.srv.user, self.srv.password)
                refused("after REIN")
                self.assertCode(reply(f, "EPSV"), 229)

    # --- resume and REST ----------------------------------------------------

    def interrupted_download(self, path, keep, out):
        """Start RETR path, take `keep` bytes into `out`, then vanish."""
        f = self.srv.ftplib()
        try:
            f.voidcmd("TYPE I")
            conn = f.transfercmd(f"RETR {path}")
            got = b""
            while len(got) < keep:
                got += conn.recv(min(1 << 20, keep - len(got)))
            out.write_bytes(got)
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
            conn.close()
        finally:
            f.sock.close()

    def test_resume_download(self):
        d = self.local()
        partial = d / "big.bin"
        self.interrupted_download("pub/big.bin", 3 << 20, partial)
        rc, out, err = curl_plain(self.srv, ["-C", "-", self.srv.url("pub/big.bin"), "-o", partial])
        self.assertRun((rc, out, err), "curl -C -")
        self.assertIn(f"> REST {3 << 20}", err)
        self.assertSameFile(partial, self.digest["big.bin"], "curl resumed download")
        lpart = d / "lftp-big.bin"
        lpart.write_bytes(partial.read_bytes()[:(5 << 20) + 1])
        out, err = self.assertRun(
            lftp_plain(self.srv, self.hosts[-1], [f"get -c pub/big.bin -o {ftptest.lftp_quote(lpart)}"]),
            "lftp get -c")
        self.assertIn(f"REST {(5 << 20) + 1}", err)
        self.assertSameFile(lpart, self.digest["big.bin"], "lftp resumed download")

    def vanish_mid_upload(self, f_path, payload, at_least):
        """STOR f_path with a raw client, send payload, and once at least
        `at_least` bytes are on the server's disk, reset both connections
        (a client that crashes or loses its network)."""
        disk = self.srv.home() / f_path
        c = socket.create_connection((self.srv.host, self.srv.port), TIMEOUT)
        cf = c.makefile("rb")
        try:
            self.assertCode(read_reply(cf), 220)
            for cmd, code in ((f"USER {self.srv.user}", 331), (f"PASS {self.srv.password}", 230),
                              ("TYPE I", 200)):
                c.sendall(cmd.encode() + b"\r\n")
                self.assertCode(read_reply(cf), code, cmd.split()[0])
            c.sendall(b"EPSV\r\n")
            r = read_reply(cf)
            port = int(re.search(r"\|\|\|(\d+)\|", r).group(1))
            dsock = socket.create_connection((self.srv.host, port), TIMEOUT)
            c.sendall(f"STOR {f_path}\r\n".encode())
            self.assertCode(read_reply(cf), 150)
            dsock.sendall(payload)
            ftptest.wait_for(lambda: disk.exists() and disk.stat().st_size >= at_least,
                             TIMEOUT, f"{at_least} bytes of {f_path} on disk")
            for s in (dsock, c):
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                s.close()
        finally:
            cf.close()
            c.close()

    def stable_size(self, p):
        last = [-1]

        def stable():
            n = p.stat().st_size
            same = n == last[0]
            last[0] = n
            return same
        ftptest.wait_for(stable, TIMEOUT, f"{p} to stop growing", interval=0.3)
        return p.stat().st_size

    def test_client_vanishes_mid_upload_then_resume(self):
        """A client that vanishes mid-upload: the partial file is kept, the
        server still serves a session that was already open and new ones;
        then curl resumes the upload (SIZE + APPE) and lftp (REST + STOR)."""
        remote = self.workdir()
        other = self.ftp()
        src = ftptest.make_file(self.local() / "src.bin", (8 << 20) + 5, seed=77)
        payload = src.read_bytes()
        self.vanish_mid_upload(f"{remote}/partial.bin", payload[:6 << 20], 1 << 20)
        self.srv.wait_log(re.compile(rf"STOR /{remote}/partial\.bin( abandoned|: \d+ bytes)"))
        disk = self.srv.home() / remote / "partial.bin"
        n = self.stable_size(disk)
        self.assertGreater(n, 0)
        self.assertLessEqual(n, 6 << 20)
        self.assertEqual(disk.read_bytes(), payload[:n], "the partial file is not a prefix")
        # The server goes on: the other session, and a new one.
        self.assertCode(reply(other, "NOOP"), 200)
        got = io.BytesIO()
        other.retrbinary("RETR pub/one.bin", got.write)
        self.assertEqual(len(got.getvalue()), 1)
        self.ftp().voidcmd("NOOP")
        rc, out, err = curl_plain(self.srv, ["-C", "-", "-T", src,
                                             self.srv.url(f"{remote}/partial.bin")])
        self.assertRun((rc, out, err), "curl -C - -T")
        self.assertIn("> APPE ", err)
        self.assertSameFile(disk, ftptest.sha256(src), "curl resumed upload")
        # lftp: a second partial copy, resumed with put -c.
        lpart = self.srv.home() / remote / "lftp.bin"
        lpart.write_bytes(payload[:(2 << 20) + 9])
        self.srv.give(lpart)
        out, err = self.assertRun(
            lftp_plain(self.srv, self.hosts[-1],
                       [f"put -c {ftptest.lftp_quote(src)} -o {remote}/lftp.bin"]), "lftp put -c")
        self.assertSameFile(lpart, ftptest.sha256(src), "lftp resumed upload")

    def test_rest_with_retr_stor_appe(self):
        remote = self.workdir()
        f = self.ftp()
        f.voidcmd("TYPE I")
        base = seeded(1000, "rest")
        disk = self.srv.home() / remote / "r.bin"
        _, final = stor(f, f"{remote}/r.bin", base)
        self.assertCode(final, 226)
        # RETR from an offset, and from the end.
        self.assertCode(reply(f, "REST 100"), 350)
        _, data, final = retr(f, f"{remote}/r.bin")
        self.assertEqual(data, base[100:])
        self.assertCode(reply(f, "REST 1000"), 350)
        _, data, final = retr(f, f"{remote}/r.bin")
        self.assertEqual(data, b"")
        self.assertCode(final, 226)
        # The offset is used once: the next RETR is whole.
        _, data, _ = retr(f, f"{remote}/r.bin")
        self.assertEqual(data, base)
        # STOR after REST keeps the first bytes and writes from there.
        self.assertCode(reply(f, "REST 500"), 350)
        _, final = stor(f, f"{remote}/r.bin", b"x" * 300)
        self.assertCode(final, 226)
        self.assertEqual(disk.read_bytes(), base[:500] + b"x" * 300)
        # APPE appends; after REST it writes at the offset (a resume).
        _, final = stor(f, f"{remote}/r.bin", b"y" * 200, cmd="APPE")
        self.assertEqual(disk.read_bytes(), base[:500] + b"x" * 300 + b"y" * 200)
        self.assertCode(reply(f, "REST 100"), 350)
        _, final = stor(f, f"{remote}/r.bin", b"z" * 50, cmd="APPE")
        self.assertEqual(disk.read_bytes(), base[:100] + b"z" * 50)
        # APPE to a new file creates it.
        _, final = stor(f, f"{remote}/new.bin", b"new", cmd="APPE")
        self.assertEqual((self.srv.home() / remote / "new.bin").read_bytes(), b"new")
        # A REST offset belongs to the transfer command that follows it,
        # even when that command fails: it must not shift a later upload.
        self.assertCode(reply(f, "REST 5"), 350)
        d = Data(f, "EPSV")
        self.assertCode(reply(f, f"RETR {remote}/missing"), 550)
        d.close()
        _, final = stor(f, f"{remote}/after-failed-retr.bin", b"abc")
        self.assertEqual((self.srv.home() / remote / "after-failed-retr.bin").read_bytes(), b"abc")
        self.assertCode(reply(f, "REST 7"), 350)
        d = Data(f, "EPSV")
        self.assertCode(reply(f, f"STOR {remote}/nodir/x"), 550)
        d.close()
        _, final = stor(f, f"{remote}/after-failed-stor.bin", b"def")
        self.assertEqual((self.srv.home() / remote / "after-failed-stor.bin").read_bytes(), b"def")
        self.assertCode(reply(f, "REST 9"), 350)
        self.assertCode(reply(f, f"RETR {remote}/r.bin"), 425)   # no PASV/PORT first
        _, data, _ = retr(f, f"{remote}/r.bin")
        self.assertEqual(data, disk.read_bytes())
        self.assertCode(reply(f, "REST -1"), 501)
        self.assertCode(reply(f, "REST x"), 501)

    # --- TYPE A -------------------------------------------------------------

    def test_type_ascii_both_ways(self):
        remote = self.workdir()
        f = self.ftp()
        # Upload: ftplib.storlines sends TYPE A and CRLF line ends; the file
        # gets LF.  A lone CR is data.
        f.storlines(f"STOR {remote}/up.txt", io.BytesIO(b"one\ntwo\rhalf\nthree\n"))
        self.assertEqual((self.srv.home() / remote / "up.txt").read_bytes(),
                         b"one\ntwo\rhalf\nthree\n")
        f.voidcmd("TYPE A")
        _, final = stor(f, f"{remote}/raw.txt", b"a\r\nb\r\n\r\nc")
        self.assertEqual((self.srv.home() / remote / "raw.txt").read_bytes(), b"a\nb\n\nc")
        # Download: LF becomes CRLF on the wire; retrlines sees the lines.
        lf = self.srv.home() / remote / "lf.txt"
        lf.write_bytes(b"x\ny\n\nlast")
        self.srv.give(lf)
        lines = []
        f.retrlines(f"RETR {remote}/lf.txt", lines.append)
        self.assertEqual(lines, ["x", "y", "", "last"])
        f.voidcmd("TYPE A")
        prelim, data, final = retr(f, f"{remote}/lf.txt")
        self.assertEqual(data, b"x\r\ny\r\n\r\nlast")
        self.assertIn("ASCII mode", prelim)
        # TYPE I is byte for byte.
        f.voidcmd("TYPE I")
        _, data, _ = retr(f, f"{remote}/lf.txt")
        self.assertEqual(data, b"x\ny\n\nlast")
        _, final = stor(f, f"{remote}/bin.txt", b"a\r\nb")
        self.assertEqual((self.srv.home() / remote / "bin.txt").read_bytes(), b"a\r\nb")
        self.assertCode(reply(f, "TYPE A N"), 200)
        self.assertCode(reply(f, "TYPE L 8"), 200)
        self.assertCode(reply(f, "TYPE E"), 504)
        self.assertCode(reply(f, "TYPE X"), 501)

    # --- namespace ----------------------------------------------------------

    def test_namespace_commands(self):
        remote = self.workdir()
        home = self.srv.home() / remote
        f = self.ftp()
        self.assertEqual(reply(f, f"MKD {remote}/d"), f'257 "/{remote}/d" created')
        self.assertCode(reply(f, f"XMKD {remote}/d/x"), 257)
        self.assertCode(reply(f, f"MKD {remote}/d"), 550, "MKD of an existing directory")
        self.assertCode(reply(f, f"CWD {remote}/d"), 250)
        self.assertEqual(reply(f, "PWD"), f'257 "/{remote}/d" is the current directory')
        self.assertCode(reply(f, "XCWD x"), 250)
        self.assertEqual(reply(f, "XPWD"), f'257 "/{remote}/d/x" is the current directory')
        self.assertCode(reply(f, "CDUP"), 250)
        self.assertCode(reply(f, "XCUP"), 250)
        self.assertEqual(reply(f, "PWD"), f'257 "/{remote}" is the current directory')
        self.assertCode(reply(f, "CWD nope"), 550)
        self.assertEqual(reply(f, 'MKD q"d'), f'257 "/{remote}/q""d" created')
        self.assertTrue((home / 'q"d').is_dir())
        f.voidcmd("TYPE I")
        _, final = stor(f, "a.txt", b"hello")
        self.assertEqual(reply(f, "SIZE a.txt"), "213 5")
        mdtm = reply(f, "MDTM a.txt")
        self.assertRegex(mdtm, r"^213 \d{14}$")
        self.assertLess(abs(time.mktime(time.strptime(mdtm[4:], "%Y%m%d%H%M%S"))
                            - time.mktime(time.gmtime())), 300)
        self.assertEqual(reply(f, "MFMT 20200102030405 a.txt"), "213 Modify=20200102030405; a.txt")
        self.assertEqual(reply(f, "MDTM a.txt"), "213 20200102030405")
        self.assertEqual(int((home / "a.txt").stat().st_mtime), 1577934245)
        self.assertCode(reply(f, "SIZE d"), 550, "SIZE of a directory")
        self.assertCode(reply(f, "MDTM missing"), 550)
        self.assertCode(reply(f, "MFMT 2020 a.txt"), 501)
        for bad in ("20200230000000", "20210229000000", "20201301000000", "20200101240000"):
            self.assertCode(reply(f, f"MFMT {bad} a.txt"), 501, f"MFMT {bad}")
        self.assertEqual(reply(f, "MFMT 20200229120000 a.txt"), "213 Modify=20200229120000; a.txt")
        self.assertEqual(reply(f, "MFMT 20200102030405 a.txt"), "213 Modify=20200102030405; a.txt")
        # Rename a file and a directory; RNFR is cancelled by anything else.
        self.assertCode(reply(f, "RNFR a.txt"), 350)
        self.assertCode(reply(f, "RNTO b.txt"), 250)
        self.assertFalse((home / "a.txt").exists())
        self.assertEqual((home / "b.txt").read_bytes(), b"hello")
        self.assertCode(reply(f, "RNFR d"), 350)
        self.assertCode(reply(f, "RNTO e"), 250)
        self.assertTrue((home / "e" / "x").is_dir())
        self.assertCode(reply(f, "RNFR b.txt"), 350)
        self.assertCode(reply(f, "NOOP"), 200)
        self.assertCode(reply(f, "RNTO c.txt"), 503, "RNTO after NOOP")
        self.assertCode(reply(f, "RNFR missing"), 550)
        self.assertCode(reply(f, "RNTO c.txt"), 503, "RNTO after a failed RNFR")
        # Delete.
        self.assertCode(reply(f, "DELE b.txt"), 250)
        self.assertCode(reply(f, "DELE b.txt"), 550)
        self.assertCode(reply(f, "DELE e"), 550, "DELE of a directory")
        self.assertCode(reply(f, "RMD e"), 550, "RMD of a non-empty directory")
        self.assertCode(reply(f, "XRMD e/x"), 250)
        self.assertCode(reply(f, "RMD e"), 250)
        self.assertCode(reply(f, 'RMD q"d'), 250)
        self.assertCode(reply(f, "RMD /"), 550, "RMD of the root")
        self.assertEqual(sorted(p.name for p in home.iterdir()), [])

    def test_listings(self):
        remote = self.workdir()
        home = self.srv.home() / remote
        for name, data in (("a.txt", b"a"), ("b.txt", b"bb"), ("c.log", b"ccc"),
                           (".hidden", b""), ("sub/s1.txt", b"s1")):
            (home / name).parent.mkdir(exist_ok=True)
            (home / name).write_bytes(data)
        self.srv.give(home)
        f = self.ftp()
        self.assertEqual(sorted(f.nlst(remote)), ["a.txt", "b.txt", "c.log", "sub"])
        self.assertEqual(sorted(f.nlst(f"{remote}/*.txt")), [f"{remote}/a.txt", f"{remote}/b.txt"])
        self.assertEqual(f.nlst(f"{remote}/?.log"), [f"{remote}/c.log"])
        self.assertEqual(f.nlst(f"{remote}/s*"), [f"{remote}/sub/s1.txt"])
        self.assertEqual(f.nlst(f"{remote}/*.none"), [])
        facts = dict(f.mlsd(remote))
        # The listed directory is "." (as ProFTPD and Pure-FTPd send it):
        # a client joining names to the directory (rclone) must not see an
        # absolute path as a subdirectory.
        self.assertEqual(facts["."]["type"], "cdir")
        self.assertEqual([n for n, x in facts.items() if x["type"] == "cdir"], ["."])
        self.assertFalse([n for n in facts if "/" in n], facts)
        self.assertEqual(facts["a.txt"]["type"], "file")
        self.assertEqual(facts["b.txt"]["size"], "2")
        self.assertEqual(facts["sub"]["type"], "dir")
        self.assertIn(".hidden", facts)
        mlst = reply(f, f"MLST {remote}/c.log")
        lines = mlst.splitlines()
        self.assertEqual(lines[0], f"250-Listing {remote}/c.log")
        self.assertRegex(lines[1], rf"^ type=file;size=3;modify=\d{{14}};perm=\w+;"
                                   rf"unix.mode=0\d{{3}};unique=[0-9a-f]+:[0-9a-f]+; /{remote}/c.log$")
        self.assertEqual(lines[2], "250 End")
        self.assertCode(reply(f, f"MLST {remote}/missing"), 550)
        listing = []
        f.retrlines(f"LIST {remote}", listing.append)
        self.assertEqual(len(listing), 4, listing)
        self.assertRegex(listing[0], r"^-rw-r--r-- +1 \S+ +\S+ +1 \w{3} [ \d]\d [ \d]\d:\d\d a\.txt$")
        listing = []
        f.retrlines(f"LIST -a {remote}", listing.append)
        self.assertTrue(any(l.endswith(" .hidden") for l in listing), listing)
        # Real peers: lftp lists with MLSD when FEAT has MLST; curl with LIST.
        out, err = self.assertRun(lftp_plain(self.srv, self.hosts[-1], [f"cls -1 {remote}/"]), "lftp cls")
        self.assertEqual(sorted(out.split()), [f"{remote}/{n}" for n in
                                               (".hidden", "a.txt", "b.txt", "c.log", "sub/")]
                         if "/.hidden" in out else
                         [f"{remote}/{n}" for n in ("a.txt", "b.txt", "c.log", "sub/")])
        self.assertIn("MLSD", err)
        d = self.local()
        self.assertRun(curl_plain(self.srv, ["--list-only", self.srv.url(f"{remote}/"),
                                             "-o", d / "nlst"]), "curl --list-only")
        self.assertEqual(sorted((d / "nlst").read_text().split()),
                         ["a.txt", "b.txt", "c.log", "sub"])

    def test_stou(self):
        remote = self.workdir()
        f = self.ftp()
        f.voidcmd(f"CWD {remote}")
        f.voidcmd("TYPE I")
        prelim, final = stor(f, "", b"first", cmd="STOU")
        m = re.match(r"^150 FILE: (stou\.[0-9a-f]{8})$", prelim)
        self.assertTrue(m, prelim)
        self.assertEqual(final, f"226 Transfer complete (unique file name: /{remote}/{m.group(1)}).")
        self.assertEqual((self.srv.home() / remote / m.group(1)).read_bytes(), b"first")
        prelim, final = stor(f, "name.txt", b"one", cmd="STOU")
        self.assertEqual(prelim, "150 FILE: name.txt")
        prelim, final = stor(f, "name.txt", b"two", cmd="STOU")
        self.assertEqual(prelim, "150 FILE: name.txt.1")
        self.assertEqual((self.srv.home() / remote / "name.txt").read_bytes(), b"one")
        self.assertEqual((self.srv.home() / remote / "name.txt.1").read_bytes(), b"two")

    def test_site(self):
        remote = self.workdir()
        f = self.ftp()
        text = reply(f, "SITE HELP")
        self.assertCode(text, 214)
        for sub in ("CHMOD", "UMASK", "IDLE", "HELP"):
            self.assertIn(f" {sub}", text)
        self.assertEqual(reply(f, "SITE UMASK"), "200 Your current UMASK is 027")
        self.assertEqual(reply(f, "SITE UMASK 002"), "200 UMASK set to 002")
        f.voidcmd("TYPE I")
        stor(f, f"{remote}/u.txt", b"u")
        self.assertEqual(os.stat(self.srv.home() / remote / "u.txt").st_mode & 0o777, 0o664)
        f.voidcmd(f"MKD {remote}/dir")
        self.assertEqual(os.stat(self.srv.home() / remote / "dir").st_mode & 0o777, 0o775)
        self.assertCode(reply(f, f"SITE CHMOD 600 {remote}/u.txt"), 200)
        self.assertEqual(os.stat(self.srv.home() / remote / "u.txt").st_mode & 0o7777, 0o600)
        self.assertCode(reply(f, f"SITE CHMOD 4755 {remote}/u.txt"), 550, "setuid")
        self.assertEqual(os.stat(self.srv.home() / remote / "u.txt").st_mode & 0o7777, 0o600)
        self.assertCode(reply(f, f"SITE CHMOD 644 {remote}/missing"), 550)
        self.assertCode(reply(f, "SITE CHMOD 999 x"), 501)
        self.assertCode(reply(f, "SITE CHMOD 644"), 501)
        self.assertCode(reply(f, "SITE UMASK 8"), 501)
        self.assertEqual(reply(f, "SITE IDLE"), "200 Current idle time limit is 300 seconds")
        self.assertEqual(reply(f, "SITE IDLE 60"), "200 Maximum idle time set to 60 seconds")
        self.assertEqual(reply(f, "SITE IDLE"), "200 Current idle time limit is 60 seconds")
        self.assertCode(reply(f, "SITE IDLE 10"), 501)
        self.assertCode(reply(f, "SITE IDLE 301"), 501, "above INACTIVE")
        self.assertCode(reply(f, "SITE NOPE"), 500)
        self.assertCode(reply(f, "SITE"), 501)

    def test_help(self):
        f = self.ftp(login=False)
        text = reply(f, "HELP")
        self.assertCode(text, 214)
        lines = text.splitlines()
        self.assertEqual(lines[-1], "214 Help OK.")
        verbs = " ".join(lines[1:-1]).split()
        for v in ("USER", "PASS", "RETR", "STOR", "MLSD", "EPSV", "SITE", "FEAT", "AUTH"):
            self.assertIn(v, verbs)
        for v in ("XCWD", "XPWD", "XMKD"):
            self.assertNotIn(v, verbs, "obsolete X-forms are not listed")
        self.assertEqual(len(verbs), len(set(verbs)))
        self.assertEqual(reply(f, "HELP retr"), "214 Syntax: RETR <sp> file-name")
        self.assertEqual(reply(f, "HELP XCWD"), "214 Syntax: XCWD <sp> directory-name (as CWD)")
        self.assertCode(reply(f, "HELP NOPE"), 502)

    def test_feat_exact(self):
        """RFC 2389: FEAT lists exactly what this server, as configured,
        supports; each listed feature then works."""
        f = self.ftp(login=False)
        text = reply(f, "FEAT")
        lines = text.splitlines()
        self.assertEqual(lines[0], "211-Features:")
        self.assertEqual(lines[-1], "211 End")
        self.assertEqual(lines[1:-1], [
            " EPRT", " EPSV", " HOST", " MDTM", " MFMT",
            " MLST type*;size*;modify*;perm*;unix.mode*;unique*;",
            " REST STREAM", " SIZE", " TVFS", " UTF8"])
        self.assertEqual(reply(f, "HOST localhost"), "220 Host accepted.")
        f.login(self.srv.user, self.srv.password)
        self.assertCode(reply(f, "HOST localhost"), 503, "HOST after login")
        self.assertEqual(reply(f, "SIZE pub/one.bin"), "213 1")
        self.assertCode(reply(f, "MDTM pub/one.bin"), 213)
        self.assertCode(reply(f, "REST 0"), 350)
        self.assertCode(reply(f, "MLST pub"), 250)
        self.assertCode(reply(f, "OPTS UTF8 ON"), 200)
        self.assertCode(reply(f, "EPRT |1|127.0.0.1|40000|"), 200)
        self.assertCode(reply(f, "EPSV"), 229)
        self.assertCode(reply(f, "AUTH TLS"), 504, "AUTH TLS without EXTENSIONS AUTH_TLS")
        self.assertCode(reply(f, "PBSZ 0"), 503)
        self.assertCode(reply(f, "PROT P"), 503)

    def test_opts(self):
        remote = self.workdir()
        (self.srv.home() / remote / "f.txt").write_bytes(b"12345")
        self.srv.give(self.srv.home() / remote)
        f = self.ftp()
        self.assertEqual(reply(f, "OPTS UTF8 ON"), "200 Always in UTF8 mode.")
        self.assertEqual(reply(f, "OPTS utf8 on"), "200 Always in UTF8 mode.")
        self.assertCode(reply(f, "OPTS UTF8 OFF"), 504)
        self.assertCode(reply(f, "OPTS NOPE"), 501)
        # RFC 3659 7.9: the selected facts, and only those, from now on.
        self.assertEqual(reply(f, "OPTS MLST Size;TYPE;nonsense;"), "200 MLST OPTS type;size;")
        self.assertIn(" MLST type*;size*;modify;perm;unix.mode;unique;", reply(f, "FEAT").splitlines())
        self.assertEqual(reply(f, f"MLST {remote}/f.txt").splitlines()[1],
                         f" type=file;size=5; /{remote}/f.txt")
        entries = dict(f.mlsd(remote))
        self.assertEqual(entries["f.txt"], {"type": "file", "size": "5"})
        self.assertEqual(reply(f, "OPTS MLST modify;"), "200 MLST OPTS modify;")
        self.assertRegex(reply(f, f"MLST {remote}/f.txt").splitlines()[1],
                         rf"^ modify=\d{{14}}; /{remote}/f.txt$")
        self.assertEqual(reply(f, "OPTS MLST"), "200 MLST OPTS ")
        self.assertEqual(reply(f, f"MLST {remote}/f.txt").splitlines()[1], f"  /{remote}/f.txt")

    def test_utf8_names(self):
        remote = self.workdir()
        name = "Grüße 日本語-ü.txt"
        payload = seeded(70000, "utf8")
        f = self.ftp()
        f.storbinary(f"STOR {remote}/{name}", io.BytesIO(payload))
        self.assertEqual((self.srv.home() / remote / name).read_bytes(), payload)
        self.assertEqual(os.listdir(os.fsencode(self.srv.home() / remote)), [name.encode("utf-8")])
        self.assertEqual(f.nlst(remote), [name])
        self.assertIn(name, dict(f.mlsd(remote)))
        self.assertEqual(reply(f, f"SIZE {remote}/{name}"), f"213 {len(payload)}")
        d = self.local()
        url = self.srv.url(f"{remote}/{urllib.parse.quote(name)}")
        self.assertRun(curl_plain(self.srv, [url, "-o", d / "curl.txt"]), "curl UTF-8 name")
        self.assertEqual((d / "curl.txt").read_bytes(), payload)
        self.assertRun(lftp_plain(self.srv, self.hosts[-1],
                                  [f"get {ftptest.lftp_quote(remote + '/' + name)} "
                                   f"-o {ftptest.lftp_quote(d / 'lftp.txt')}"]), "lftp UTF-8 name")
        self.assertEqual((d / "lftp.txt").read_bytes(), payload)
        self.assertCode(reply(f, f"RNFR {remote}/{name}"), 350)
        self.assertCode(reply(f, f"RNTO {remote}/ñ"), 250)
        self.assertTrue((self.srv.home() / remote / "ñ").exists())

    # --- commands during a transfer -------------------------------------

    def test_abor_during_download(self):
        for variant in ("ftplib", "telnet"):
            with self.subTest(variant=variant):
                f = self.ftp()
                s, _ = self.start_big_download(f)
                if variant == "ftplib":
                    first = f.abort()      # "ABOR" sent as urgent data
                else:
                    # lftp's form: Telnet IP, then Synch (DM as urgent data).
                    f.sock.sendall(b"\xff\xf4\xff")
                    f.sock.sendall(b"\xf2", socket.MSG_OOB)
                    f.sock.sendall(b"ABOR\r\n")
                    first = f.getmultiline()
                self.assertCode(first, 426, "first reply to ABOR")
                self.assertCode(f.getmultiline(), 226, "second reply to ABOR")
                # We do not read on: ABOR must not leave a thread writing.
                assert_no_thread_waits_on_a_peer(self, self.srv)
                s.settimeout(TIMEOUT)
                try:
                    while s.recv(1 << 20):
                        pass
                except ConnectionResetError:
                    pass
                self.assertCode(reply(f, "NOOP"), 200)
                got = io.BytesIO()
                f.retrbinary("RETR pub/mid.bin", got.write)
                self.assertEqual(len(got.getvalue()), FILES["mid.bin"])
        self.assertCode(reply(self.ftp(), "ABOR"), 225, "ABOR with no transfer")

    def test_stat_during_transfer(self):
        f = self.ftp()
        s, got = self.start_big_download(f)
        text = reply(f, "STAT")
        self.assertCode(text, 211)
        self.assertRegex(text, r"Transfer in progress: /pub/big\.bin, \d+ bytes so far")
        self.assertIn(f"Logged in as {self.srv.user}", text)
        got += read_all(s)
        s.close()
        self.assertCode(f.voidresp(), 226)
        self.assertEqual(len(got), BIG)
        self.assertEqual(hashlib.sha256(got).hexdigest(), self.digest["big.bin"])
        self.assertCode(reply(f, "STAT"), 211)
        text = reply(f, "STAT pub")
        self.assertCode(text, 213)
        self.assertIn("big.bin", text)

    def test_quit_during_transfer(self):
        """RFC 959: QUIT during a transfer: the transfer completes, its 226
        goes, then 221 and the connection closes."""
        f = self.ftp()
        s, got = self.start_big_download(f)
        f.putcmd("QUIT")
        got += read_all(s)
        s.close()
        self.assertEqual(hashlib.sha256(got).hexdigest(), self.digest["big.bin"])
        self.assertCode(f.getmultiline(), 226)
        self.assertCode(f.getmultiline(), 221)
        self.assertEqual(f.file.readline(), "", "connection still open after 221")

    # --- reply codes and hostile input ----------------------------------

    def test_commands_before_login(self):
        f = self.ftp(login=False)
        for cmd in ("PWD", "CWD /", "CDUP", "LIST", "NLST", "MLSD", "MLST", "RETR pub/one.bin",
                    "STOR x", "APPE x", "STOU", "MKD x", "RMD x", "DELE x", "RNFR x", "SIZE x",
                    "MDTM x", "MFMT 20200101000000 x", "TYPE I", "MODE S", "STRU F", "ALLO 1",
                    "REST 0", "PASV", "EPSV", "PORT 127,0,0,1,200,1", "EPRT |1|127.0.0.1|4000|",
                    "STAT", "ABOR", "SITE HELP", "SITE CHMOD 777 /"):
            with self.subTest(cmd=cmd):
                self.assertCode(reply(f, cmd), 530)
        for cmd, code in (("NOOP", 200), ("SYST", 215), ("FEAT", 211), ("HELP", 214),
                          ("OPTS UTF8 ON", 200), ("PASS x", 503), ("ACCT x", 202)):
            with self.subTest(cmd=cmd):
                self.assertCode(reply(f, cmd), code)
        self.assertFalse((self.srv.home() / "x").exists(), "a command ran before login")

    def test_out_of_phase(self):
        f = self.ftp(login=False)
        self.assertCode(reply(f, "PASS x"), 503, "PASS before USER")
        self.assertCode(reply(f, f"USER {self.srv.user}"), 331)
        self.assertCode(reply(f, "PWD"), 530, "PWD between USER and PASS")
        self.assertCode(reply(f, f"PASS {self.srv.password}"), 230)
        self.assertCode(reply(f, "USER other"), 530, "USER after login")
        self.assertCode(reply(f, "HOST localhost"), 503, "HOST after login")
        self.assertCode(reply(f, "RNTO x"), 503, "RNTO without RNFR")
        self.assertCode(reply(f, "RETR pub/one.bin"), 425, "RETR without PASV or PORT")
        self.assertCode(reply(f, "CCC"), 533)
        self.assertCode(reply(f, "REIN"), 220)
        self.assertCode(reply(f, "PWD"), 530, "PWD after REIN")

    def test_unknown_and_bad_arguments(self):
        f = self.ftp()
        for cmd, code in (("XYZZ", 502), ("LPSV", 502), ("CPFR x", 502), ("SITE", 501),
                          ("CWD", 501), ("RETR", 501), ("NOOP x", 501), ("PWD x", 501),
                          ("TYPE X", 501), ("TYPE L 7", 504), ("MODE B", 504), ("MODE X", 501),
                          ("STRU R", 504), ("STRU X", 501), ("PORT 1,2,3", 501),
                          ("PORT 127,0,0,1,300,1", 501), ("PORT 127,0,0,1,0,0", 501),
                          ("EPRT garbage", 501), ("EPRT |3|x|1|", 522), ("EPSV 7", 522),
                          ("EPSV x", 501), ("MFMT x y", 501), ("OPTS XYZ", 501),
                          ("ABCDEFGHIJKL", 500), ("noop", 200), ("Noop", 200)):
            with self.subTest(cmd=cmd):
                self.assertCode(reply(f, cmd), code)

    def test_hostile_lines(self):
        """A 10 KiB command line and a NUL in a command: 500, nothing run,
        the session goes on; before login and after."""
        for login in (False, True):
            with self.subTest(login=login):
                c = socket.create_connection((self.srv.host, self.srv.port), TIMEOUT)
                self.addCleanup(c.close)
                cf = c.makefile("rb")
                self.addCleanup(cf.close)
                self.assertCode(read_reply(cf), 220)
                if login:
                    for cmd, code in ((f"USER {self.srv.user}", 331),
                                      (f"PASS {self.srv.password}", 230)):
                        c.sendall(cmd.encode() + b"\r\n")
                        self.assertCode(read_reply(cf), code)
                c.sendall(b"MKD " + b"a" * 10240 + b"\r\n")
                self.assertEqual(read_reply(cf), "500 Command line too long")
                c.sendall(b"MKD nul\x00dir\r\n")
                self.assertEqual(read_reply(cf), "500 NUL byte in command line")
                c.sendall(b"MK\x00D nul\r\n")
                self.assertEqual(read_reply(cf), "500 NUL byte in command line")
                # Pipelined: the bad line does not swallow the next one.
                c.sendall(b"X" * 5000 + b"\r\nNOOP\r\n")
                self.assertCode(read_reply(cf), 500)
                self.assertCode(read_reply(cf), 200)
                c.sendall(b"NOOP\r\n")
                self.assertCode(read_reply(cf), 200)
        self.assertFalse([p for p in self.srv.home().iterdir() if p.name.startswith("nul")],
                         "a refused line was run")

    def failed_login(self, f, user, password):
        """USER, then a wrong PASS: (USER reply, PASS reply, seconds the PASS
        reply took)."""
        u = reply(f, f"USER {user}")
        t0 = time.monotonic()
        p = reply(f, f"PASS {password}")
        return u, p, time.monotonic() - t0

    def test_failed_logins(self):
        """A failure costs a delay of one second and the same replies
        whether or not the user exists: each order is tested while
        LOGINATTEMPTS (2 here) has not ended the session yet.  The second
        failure ends the session with 421."""
        known = (self.srv.user, "wrong")
        unknown = ("nosuchuser", "x")
        seen = {}
        for first, second in ((unknown, known), (known, unknown)):
            with self.subTest(first=first[0]):
                f = self.ftp(login=False)
                u, p, secs = self.failed_login(f, *first)
                seen[first[0]] = (u, p)
                self.assertEqual(u, "331 Please specify the password.", f"USER {first[0]}")
                self.assertEqual(p, "530 Login incorrect.", f"PASS for {first[0]}")
                self.assertGreater(secs, 0.9, f"no delay after a failed login of {first[0]}")
                u, p, secs = self.failed_login(f, *second)
                self.assertEqual(u, "331 Please specify the password.", f"USER {second[0]}")
                self.assertEqual(p, "421 Too many failed logins: closing control connection")
                self.assertGreater(secs, 0.9, f"no delay after a failed login of {second[0]}")
                self.assertEqual(f.file.readline(), "", "session still open")
        self.assertEqual(seen[known[0]], seen[unknown[0]],
                         "an unknown user is answered differently")
        self.srv.wait_log("2 failed logins: ending the session")
        self.ftp().voidcmd("NOOP")

    def test_stor_425_keeps_the_file(self):
        """A file to be written is created only once the data connection is
        ready: STOR, APPE and REST+STOR whose data connection cannot be made
        (PORT to a port nobody listens on: 425) leave the file they were to
        replace exactly as it was."""
        remote = self.workdir()
        disk = self.srv.home() / remote / "keep.bin"
        content = seeded(100003, "keep")
        disk.write_bytes(content)
        self.srv.give(disk)
        before = disk.stat()
        with socket.socket() as s:          # a port that was free a moment ago:
            s.bind(("127.0.0.1", 0))        # nobody listens on it
            port = s.getsockname()[1]
        f = self.ftp("127.0.0.1")
        f.voidcmd("TYPE I")
        for rest, verb in ((None, "STOR"), (None, "APPE"), ("REST 5", "STOR")):
            with self.subTest(verb=verb, rest=rest):
                self.assertCode(reply(f, f"PORT 127,0,0,1,{port >> 8},{port & 255}"), 200)
                if rest:
                    self.assertCode(reply(f, rest), 350)
                self.assertCode(reply(f, f"{verb} {remote}/keep.bin"), 150)
                self.assertCode(f.getmultiline(), 425)
                self.assertEqual(disk.read_bytes(), content, f"{verb} lost the file's content")
                self.assertEqual(disk.stat().st_mtime_ns, before.st_mtime_ns)
        self.assertEqual(sorted(os.listdir(disk.parent)), ["keep.bin"], "a file was created")

    def test_confinement(self):
        """../, absolute paths, a symlink to /etc, a symlink to a sibling of
        the home whose name shares its prefix, and a relative symlink
        upwards: every command refuses them and nothing outside the home is
        read, written, listed or removed."""
        remote = self.workdir()
        home = self.srv.home()
        outside = home.parent / f"{home.name}_secret"
        outside.mkdir()
        (outside / "marker").write_text("outside the root\n")
        self.srv.give(outside)      # only confinement keeps ftpd out
        before = sorted((p.name, p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes())
                        for p in outside.iterdir())
        links = home / remote
        os.symlink("/etc", links / "etc")
        os.symlink(str(outside), links / "escape")
        os.symlink("../..", links / "up")
        rel = f"../{home.name}_secret"
        f = self.ftp()
        f.voidcmd(f"CWD {remote}")
        f.voidcmd("TYPE I")
        reads = ["/etc/passwd", "../../../../../etc/passwd", "etc/passwd", "escape/marker",
                 f"{rel}/marker", f"../{rel}/marker", f"/{rel}/marker", f"up/{rel}/marker",
                 str(outside / "marker")]
        for p in reads:
            with self.subTest(path=p):
                for verb in ("SIZE", "MDTM", "MLST", "RNFR", "DELE"):
                    self.assertCode(reply(f, f"{verb} {p}"), 550, f"{verb} {p}")
                d = Data(f, "EPSV")
                self.assertCode(reply(f, f"RETR {p}"), 550, f"RETR {p}")
                d.close()
        for p in ("etc", "escape", rel, f"up/{rel}", "/etc", str(outside)):
            with self.subTest(dir=p):
                self.assertCode(reply(f, f"CWD {p}"), 550, f"CWD {p}")
                # A listing may describe the link itself, never its target.
                for verb in ("LIST", "NLST", "MLSD", "STAT"):
                    d = Data(f, "EPSV")
                    try:
                        r = reply(f, f"{verb} {p}")
                        listing = r
                        if r.startswith("150"):
                            listing = read_all(d.sock()).decode("utf-8", "replace")
                            r = f.voidresp()
                    finally:
                        d.close()
                    if not r.startswith(("213", "226", "550")):
                        self.fail(self.show(f"{verb} {p}: {r!r}"))
                    self.assertLessEqual(len(listing.strip().splitlines()), 3, listing)
                    for secret in ("passwd", "marker", "hostname"):
                        self.assertNotIn(secret, listing, f"{verb} {p} listed the outside")
        for p in ("etc/ftpd-test", "escape/new", f"{rel}/new", "escape/marker", f"{rel}/marker",
                  "/etc/ftpd-test", f"up/{rel}/new"):
            with self.subTest(write=p):
                for verb in ("STOR", "APPE"):
                    d = Data(f, "EPSV")
                    self.assertCode(reply(f, f"{verb} {p}"), 550, f"{verb} {p}")
                    d.close()
                self.assertCode(reply(f, f"MKD {p}"), 550, f"MKD {p}")
                self.assertCode(reply(f, f"SITE CHMOD 777 {p}"), 550)
                self.assertCode(reply(f, f"MFMT 20000101000000 {p}"), 550)
        self.assertCode(reply(f, f"RMD {rel}"), 550)
        stor(f, "inside.txt", b"in")
        self.assertCode(reply(f, "RNFR inside.txt"), 350)
        self.assertCode(reply(f, f"RNTO {rel}/moved"), 550)
        # ".." stops at the root.
        self.assertCode(reply(f, "CWD ../../.."), 250)
        self.assertEqual(reply(f, "PWD"), '257 "/" is the current directory')
        self.assertCode(reply(f, f"CWD {remote}/up"), 250)
        self.assertEqual(reply(f, "PWD"), f'257 "/{remote}/up" is the current directory')
        self.assertEqual(sorted(f.nlst()), sorted(os.listdir(home)))
        after = sorted((p.name, p.stat().st_mode, p.stat().st_mtime_ns, p.read_bytes())
                       for p in outside.iterdir())
        self.assertEqual(after, before, "the sibling of the home changed")
        self.assertFalse(Path("/etc/ftpd-test").exists())
        self.assertEqual((links / "inside.txt").read_bytes(), b"in")

    def test_port_bounce_refused(self):
        """PORTCOMMANDIPADDR NOREDIRECT (the default): PORT and EPRT to any
        address but the client's, or to a port below 1024, are refused with
        504 and never connected to."""
        trap = socket.create_server(("127.0.0.2", 0))
        self.addCleanup(trap.close)
        trap.settimeout(0.5)
        tport = trap.getsockname()[1]
        f = self.ftp("127.0.0.1")
        for cmd in (f"PORT 127,0,0,2,{tport >> 8},{tport & 255}", f"EPRT |1|127.0.0.2|{tport}|",
                    "PORT 10,1,2,3,19,136", "EPRT |1|192.0.2.1|5000|", "PORT 127,0,0,1,0,21",
                    "EPRT |1|127.0.0.1|1023|"):
            with self.subTest(cmd=cmd):
                self.assertCode(reply(f, cmd), 504)
        # No data connection was set up by the refused commands.
        self.assertCode(reply(f, "RETR pub/one.bin"), 425)
        with self.assertRaises(socket.timeout):
            trap.accept()
        if "::1" in self.hosts:
            f6 = self.ftp("::1")
            for cmd in ("EPRT |2|2001:db8::1|5000|", "EPRT |2|::1|80|",
                        f"EPRT |1|127.0.0.1|{tport}|"):
                with self.subTest(cmd=cmd):
                    self.assertIn(reply(f6, cmd)[:3], ("504", "522"))
            self.assertCode(reply(f6, "EPRT |2|2001:db8::1|5000|"), 504)

    def test_xferlog(self):
        """XFERLOG: one xferlog(5) line per transfer."""
        remote = self.workdir()
        f = self.ftp()
        f.voidcmd("TYPE I")
        stor(f, f"{remote}/log up.bin", b"z" * 1234)
        f.voidcmd("TYPE A")
        retr(f, f"{remote}/log up.bin")
        pat = (r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) "
               r"[ \d]\d \d\d:\d\d:\d\d \d{4} (\d+) (\S+) (\d+) (\S+) ([ab]) _ ([io]) ([ar]) (\S+) "
               r"ftp 0 \* ([ci])$")
        name = f"/{remote}/log_up.bin"      # blanks would shift the fields

        def two_lines():
            lines = [l for l in self.srv.xferlog().splitlines() if f" {name} " in l]
            return lines if len(lines) >= 2 else None
        lines = ftptest.wait_for(two_lines, 5, "two transfer log lines")
        self.assertEqual(len(lines), 2, lines)
        up, down = (re.match(pat, l) for l in lines)
        self.assertTrue(up and down, lines)
        self.assertEqual(up.groups()[3:], ("127.0.0.1", "1234", name, "b", "i", "r",
                                           self.srv.user, "c"))
        self.assertEqual(down.groups()[3:], ("127.0.0.1", "1234", name, "a", "o", "r",
                                             self.srv.user, "c"))
        self.assertGreaterEqual(int(up.group(3)), 1)


# ---------------------------------------------------------------------------

def pending(f, wait=0.0):
    """Whether the server sent anything unread on ftplib session f (within
    `wait` seconds).  Replies are read whole, so nothing waits in ftplib's
    own buffer."""
    r, _, _ = select.select([f.sock], [], [], wait)
    return bool(r)


class Timers(ServerTest):
    """INACTIVE 2 and DATATIMEOUT 2."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("timers", member={"INACTIVE": 2, "DATATIMEOUT": 2})
        cls.addClassCleanup(cls.srv.stop)
        cls.digest = ftptest.make_tree(cls.srv.home() / "pub", {"big.bin": BIG})
        cls.srv.give(cls.srv.home() / "pub")
        cls.srv.start()

    def test_inactive(self):
        """Idle sessions, logged in or not, get 421 after INACTIVE seconds
        and are closed; a session that sends commands is not idle."""
        t0 = time.monotonic()
        idle = self.ftp()
        fresh = self.ftp(login=False)
        busy = self.ftp()
        while time.monotonic() - t0 < 1.4:
            self.assertCode(reply(busy, "NOOP"), 200)
            time.sleep(0.3)
        self.assertFalse(pending(idle) or pending(fresh), "421 before INACTIVE expired")
        while time.monotonic() - t0 < 3.6:
            self.assertCode(reply(busy, "NOOP"), 200)
            time.sleep(0.3)
        for f in (idle, fresh):
            self.assertEqual(f.getmultiline(), "421 Timeout (2 seconds): closing control connection")
            self.assertEqual(f.file.readline(), "")
        self.assertCode(reply(busy, "NOOP"), 200, "a session sending NOOPs was closed")
        self.assertCode(reply(busy, "SITE IDLE"), 200)

    def test_never_during_a_transfer(self):
        """A download that takes longer than INACTIVE is not idleness (nor
        a stall: data keeps moving); afterwards the idle clock runs again."""
        f = self.ftp()
        s, got = self.start_big_download(f, keep=64 << 10)
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.5:
            got += s.recv(128 << 10)
            time.sleep(0.1)
        if pending(f):
            self.fail(self.show(f"a reply during the transfer: {f.getmultiline()!r}"))
        got += read_all(s)
        s.close()
        self.assertCode(f.voidresp(), 226)
        t1 = time.monotonic()
        # The idle clock starts again at the 226: no 421 follows it at once
        # (it would if INACTIVE had been counting during the transfer).
        self.assertFalse(pending(f), "421 right after the transfer")
        self.assertEqual(hashlib.sha256(got).hexdigest(), self.digest["big.bin"])
        self.assertEqual(f.getmultiline(), "421 Timeout (2 seconds): closing control connection")
        # A loose bound: INACTIVE is 2 s; a busy machine may delay our read
        # of the 226 but never makes the 421 come early.
        self.assertGreater(time.monotonic() - t1, 1.0)

    def test_datatimeout(self):
        """A passive port nobody connects to: 425 within DATATIMEOUT; a
        client that stops reading: 426 within DATATIMEOUT.  The session
        goes on."""
        f = self.ftp()
        f.voidcmd("TYPE I")
        t0 = time.monotonic()
        self.assertCode(reply(f, "PASV"), 227)
        self.assertCode(f.sendcmd("RETR pub/big.bin"), 150)
        self.assertEqual(f.getmultiline(), "425 Can't open data connection: timed out")
        self.assertTrue(1.5 < time.monotonic() - t0 < 6, time.monotonic() - t0)
        self.assertCode(reply(f, "NOOP"), 200)
        s, _ = self.start_big_download(f, keep=1)
        t0 = time.monotonic()
        r = f.getmultiline()
        self.assertEqual(r, "426 Data connection timed out")
        self.assertTrue(1.5 < time.monotonic() - t0 < 6, time.monotonic() - t0)
        # The peer still holds its end, unread: nothing of ftpd waits on it.
        assert_no_thread_waits_on_a_peer(self, self.srv)
        s.close()
        self.assertCode(reply(f, "NOOP"), 200)

    def test_stor_never_connected_keeps_the_file(self):
        """STOR after EPSV, and the client never connects: 425 after
        DATATIMEOUT, and the file it was to replace is untouched."""
        disk = self.srv.home() / "pub" / "keep.txt"
        disk.write_bytes(b"keep me\n" * 100)
        self.srv.give(disk)
        f = self.ftp()
        f.voidcmd("TYPE I")
        self.assertCode(reply(f, "EPSV"), 229)
        self.assertCode(f.sendcmd("STOR pub/keep.txt"), 150)
        self.assertEqual(f.getmultiline(), "425 Can't open data connection: timed out")
        self.assertEqual(disk.read_bytes(), b"keep me\n" * 100)
        self.assertCode(reply(f, "NOOP"), 200)


    def test_commands_pipelined_with_the_transfer(self):
        """ABOR or STAT sent in the same packet as RETR arrive while the
        file is being opened: they are still answered during the transfer,
        not left unread until the data connection times out (found by
        fuzz_session)."""
        for verb, codes in (("ABOR", (426, 226)), ("STAT", (211, 425))):
            with self.subTest(verb=verb):
                f = self.ftp()
                self.assertCode(reply(f, "PASV"), 227)
                f.sock.sendall(f"RETR pub/big.bin\r\n{verb}\r\n".encode())
                self.assertCode(f.getmultiline(), 150)
                first = f.getmultiline()
                self.assertCode(first, codes[0], f"{verb} waited for the transfer's end")
                if verb == "STAT":
                    self.assertRegex(first, r"Transfer in progress: /pub/big\.bin")
                self.assertCode(f.getmultiline(), codes[1])
                self.assertCode(reply(f, "NOOP"), 200)


class Passive(ServerTest):
    """PASSIVEDATAPORTS, PASSIVEADDRESS and PASSIVEDATACONN NOREDIRECT
    (the default); PORTCOMMAND REJECT: passive mode only."""

    @classmethod
    def setUpClass(cls):
        cls.hosts = hosts()
        cls.ports = ftptest.free_port_range(8)
        cls.srv = Ftpd("passive", hosts=cls.hosts,
                       member={"PASSIVEDATAPORTS": cls.ports, "PASSIVEADDRESS": "203.0.113.10",
                               "PORTCOMMAND": "REJECT"})
        cls.addClassCleanup(cls.srv.stop)
        cls.digest = ftptest.make_tree(cls.srv.home() / "pub", {"mid.bin": FILES["mid.bin"]})
        cls.srv.give(cls.srv.home() / "pub")
        cls.srv.start()

    def in_range(self, port):
        lo, hi = self.ports
        self.assertTrue(lo <= port <= hi, f"port {port} outside PASSIVEDATAPORTS {lo}-{hi}")

    def test_passive_ports(self):
        for host in self.hosts:
            with self.subTest(host=host):
                f = self.ftp(host)
                f.voidcmd("TYPE I")
                seen = set()
                modes = ("EPSV",) if ":" in host else ("PASV", "EPSV")
                for _ in range(10):
                    for mode in modes:
                        d = Data(f, mode)
                        port = d.conn.getpeername()[1]
                        d.close()
                        self.in_range(port)
                        seen.add(port)
                self.assertGreater(len(seen), 1, "always the same port")
                for mode in modes:
                    _, data, final = retr(f, "pub/mid.bin", mode)
                    self.assertEqual(hashlib.sha256(data).hexdigest(), self.digest["mid.bin"])

    def test_passive_address(self):
        f = self.ftp("127.0.0.1")
        r = reply(f, "PASV")
        m = re.match(r"^227 Entering Passive Mode \(203,0,113,10,(\d+),(\d+)\)\.$", r)
        self.assertTrue(m, r)
        self.in_range(int(m.group(1)) * 256 + int(m.group(2)))
        self.assertRegex(reply(f, "EPSV"), r"^229 Entering Extended Passive Mode \(\|\|\|\d+\|\)$")
        # ftplib and curl connect to the control address, not the 227 one.
        got = io.BytesIO()
        f.retrbinary("RETR pub/mid.bin", got.write)
        self.assertEqual(hashlib.sha256(got.getvalue()).hexdigest(), self.digest["mid.bin"])
        d = self.local()
        rc, out, err = curl_plain(self.srv, ["--disable-epsv", self.srv.url("pub/mid.bin"),
                                             "-o", d / "mid.bin"])
        self.assertRun((rc, out, err), "curl PASV")
        self.assertIn("227 Entering Passive Mode (203,0,113,10,", err)
        self.assertSameFile(d / "mid.bin", self.digest["mid.bin"], "curl PASV")
        if "::1" in self.hosts:
            self.assertEqual(reply(self.ftp("::1"), "PASV"),
                             "522 No IPv4 address available for PASV. Use EPSV.")

    def test_portcommand_reject(self):
        """FEAT follows the configuration: no EPRT when PORT and EPRT are
        refused (504)."""
        f = self.ftp("127.0.0.1")
        feat = reply(f, "FEAT").splitlines()
        self.assertNotIn(" EPRT", feat)
        self.assertIn(" EPSV", feat)
        for cmd in ("PORT 127,0,0,1,156,64", "EPRT |1|127.0.0.1|40000|"):
            self.assertEqual(reply(f, cmd), "504 PORT and EPRT are disabled; use EPSV or PASV")
        rc, out, err = curl_plain(self.srv, ["-P", "127.0.0.1", self.srv.url("pub/mid.bin"),
                                             "-o", self.local() / "x"])
        self.assertNotEqual(rc, 0, "curl active mode worked with PORTCOMMAND REJECT")

    def thief(self, port):
        """A connection to the passive port from 127.0.0.2: another address
        of this host, so not the control connection's peer."""
        t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(t.close)
        t.bind(("127.0.0.2", 0))
        t.settimeout(TIMEOUT)
        t.connect(("127.0.0.1", port))
        return t

    def test_data_connection_theft(self):
        """PASSIVEDATACONN NOREDIRECT: a connection to the passive port from
        another address (127.0.0.2) is closed at once without a byte, and
        what it sends is never stored, whether it comes before the transfer
        command or after its 150 (while the server waits for its data
        connection); the client's own connection then gets the transfer."""
        for direction in ("RETR", "STOR"):
            for when in ("before", "after 150"):
                with self.subTest(direction=direction, when=when):
                    self.one_theft(direction, when)

    def one_theft(self, direction, when):
        name = f"stolen-{when[0]}.bin"
        f = self.ftp("127.0.0.1")
        f.voidcmd("TYPE I")
        port = ftplib.parse229(f.sendcmd("EPSV"), f.sock.getpeername())[1]
        before = self.srv.stderr().count("data connection from 127.0.0.2 refused")
        cmd = "RETR pub/mid.bin" if direction == "RETR" else f"STOR {name}"
        if when == "after 150":
            self.assertCode(f.sendcmd(cmd), 150)
        thief = self.thief(port)
        if direction == "STOR":
            try:
                thief.sendall(b"thief's data")
            except (BrokenPipeError, ConnectionResetError):
                pass                # already closed: nothing was sent
        ftptest.closed_without_data(lambda: thief.recv(1 << 16), "the thief's connection")
        ftptest.wait_for(lambda: self.srv.stderr().count(
            "data connection from 127.0.0.2 refused: not the control peer") > before,
            5, "the refusal in the log")
        real = socket.create_connection(("127.0.0.1", port), TIMEOUT)
        self.addCleanup(real.close)
        if when == "before":
            self.assertCode(f.sendcmd(cmd), 150)
        if direction == "RETR":
            data = read_all(real)
            real.close()
            self.assertCode(f.voidresp(), 226)
            self.assertEqual(hashlib.sha256(data).hexdigest(), self.digest["mid.bin"])
        else:
            real.sendall(b"the client's data")
            real.close()
            self.assertCode(f.voidresp(), 226)
            self.assertEqual((self.srv.home() / name).read_bytes(), b"the client's data")
        # One connection per listener: a late thief finds it closed.
        late = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(late.close)
        late.bind(("127.0.0.2", 0))
        late.settimeout(TIMEOUT)
        with self.assertRaises(ConnectionRefusedError):
            late.connect(("127.0.0.1", port))


class Anonymous(ServerTest):
    """ANONYMOUS (an account of the USERFILE without a password), BANNER
    and LOGINMSG."""

    BANNER = "Welcome to the ftpd tests\nsecond banner line\n230 not a reply code\n"
    MOTD = "Message of the day\nsecond motd line\n"

    @classmethod
    def setUpClass(cls):
        for prog in ("lftp", "curl"):
            ftptest.require_program(prog)
        cls.srv = Ftpd("anon", users={"alice": "alice-Secret-1", "ftpanon": None})
        cls.addClassCleanup(cls.srv.stop)
        banner, motd = cls.srv.dir / "banner", cls.srv.dir / "motd"
        banner.write_text(cls.BANNER)
        motd.write_text(cls.MOTD)
        cls.srv.write_member({"ANONYMOUS": "ftpanon", "BANNER": banner, "LOGINMSG": motd})
        cls.anon_home = cls.srv.home("ftpanon")
        cls.digest = ftptest.make_tree(cls.anon_home / "pub", {"mid.bin": FILES["mid.bin"]})
        cls.srv.give(cls.anon_home)
        cls.srv.start()

    def snapshot(self):
        return sorted((str(p.relative_to(self.anon_home)), p.stat().st_mode, p.stat().st_mtime_ns)
                      for p in [self.anon_home, *self.anon_home.rglob("*")])

    def test_banner(self):
        c = socket.create_connection((self.srv.host, self.srv.port), TIMEOUT)
        self.addCleanup(c.close)
        cf = c.makefile("rb")
        self.addCleanup(cf.close)
        self.assertEqual(read_reply(cf).split("\r\n"),
                         ["220-Welcome to the ftpd tests", "second banner line",
                          " 230 not a reply code", "220 ftpd ready."])

    def test_loginmsg(self):
        f = self.ftp(login=False)
        self.assertEqual(f.login(self.srv.user, self.srv.password),
                         "230-Message of the day\nsecond motd line\n230 Login successful.")
        f = self.ftp(login=False)
        self.assertEqual(f.login("anonymous", "guest@example.com"), "230 Login successful.")

    def test_anonymous_read_only(self):
        before = self.snapshot()
        for user in ("anonymous", "ftp", "ANONYMOUS"):
            with self.subTest(user=user):
                f = self.ftp(user=user, password="guest@example.com")
                self.assertEqual(reply(f, "PWD"), '257 "/" is the current directory')
                got = io.BytesIO()
                f.retrbinary("RETR pub/mid.bin", got.write)
                self.assertEqual(hashlib.sha256(got.getvalue()).hexdigest(), self.digest["mid.bin"])
                self.assertEqual(f.nlst("pub"), ["mid.bin"])
                for cmd in ("STOR new.bin", "APPE pub/mid.bin", "STOU", "STOR pub/mid.bin"):
                    d = Data(f, "EPSV")
                    self.assertCode(reply(f, cmd), 550, cmd)
                    d.close()
                for cmd in ("MKD newdir", "RMD pub", "DELE pub/mid.bin", "RNFR pub/mid.bin",
                            "SITE CHMOD 777 pub/mid.bin", "MFMT 20000101000000 pub/mid.bin"):
                    self.assertCode(reply(f, cmd), 550, cmd)
                self.assertNotIn("a", dict(f.mlsd("pub"))["mid.bin"]["perm"])
        d = self.local()
        self.assertRun(curl_plain(self.srv, [self.srv.url("pub/mid.bin"), "-o", d / "curl.bin"],
                                  user="anonymous", password="guest@example.com"), "curl anonymous")
        self.assertSameFile(d / "curl.bin", self.digest["mid.bin"], "curl anonymous")
        rc, out, err = ftptest.lftp(self.srv.host, self.srv.port, "anonymous", "guest@example.com",
                                    [f"get pub/mid.bin -o {ftptest.lftp_quote(d / 'lftp.bin')}"],
                                    settings=["ftp:ssl-allow false", "ftp:ssl-force false"])
        self.assertRun((rc, out, err), "lftp anonymous")
        self.assertSameFile(d / "lftp.bin", self.digest["mid.bin"], "lftp anonymous")
        src = ftptest.make_file(d / "up.bin", 1000)
        rc, out, err = curl_plain(self.srv, ["-T", src, self.srv.url("up.bin")],
                                  user="anonymous", password="guest@example.com")
        self.assertNotEqual(rc, 0, "curl uploaded as anonymous")
        self.assertIn("< 550", err)
        self.assertEqual(self.snapshot(), before, "the anonymous tree changed")
        # The transfer log marks anonymous transfers.
        ftptest.wait_for(lambda: re.search(r" /pub/mid\.bin b _ o a anonymous ftp 0 \* c$",
                                           self.srv.xferlog(), re.M), 5, "an anonymous xferlog line")

    def test_named_user_not_anonymous(self):
        """USER ftpanon (the account ANONYMOUS maps to) cannot log in with a
        password: its USERFILE hash is "*"."""
        f = self.ftp(login=False)
        self.assertCode(reply(f, "USER ftpanon"), 331)
        self.assertCode(reply(f, "PASS anything"), 530)


def tree_state(root):
    """What a session could change below root: every path with its mode,
    owner, size, mtime and content."""
    out = []
    for p in sorted([root, *root.rglob("*")]):
        st = p.lstat()
        body = p.read_bytes() if p.is_file() else b""
        out.append((str(p.relative_to(root)), st.st_mode, st.st_uid, st.st_mtime_ns, body))
    return out


def proc_ids(pid):
    """{"Uid": [real, effective, saved, fs], "Gid": [...], "Groups": [...]}
    of a process, from /proc/PID/status."""
    ids = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("Uid", "Gid", "Groups"):
            ids[key] = [int(v) for v in value.split()]
    return ids


class Accounts(ServerTest):
    """USERFILE options (readonly, umask=), UMASK, RUNAS: who may change
    files, with which modes, and whose they are on disk."""

    @classmethod
    def setUpClass(cls):
        ftptest.require_program("curl")
        cls.srv = Ftpd("accounts", users={"alice": "alice-Secret-1", "reader": "reader-Secret-2",
                                          "private": "private-Secret-3"},
                       user_options={"reader": "readonly", "private": "umask=077"})
        cls.addClassCleanup(cls.srv.stop)
        home = cls.srv.home("reader")
        cls.digest = ftptest.make_tree(home / "pub", {"mid.bin": FILES["mid.bin"]})
        (home / "sub").mkdir()
        (home / "sub" / "x.txt").write_text("x\n")
        cls.srv.give(home)
        # Started with supplementary groups (as root): the switch to RUNAS
        # must drop them.
        cls.srv.start(extra_groups=[4, 24] if os.geteuid() == 0 else None)

    def login(self, user):
        f = self.ftp(user=user, password=self.srv.users[user])
        f.voidcmd("TYPE I")
        return f

    def test_readonly_user(self):
        """readonly: every command that changes files is refused with 550,
        before any 150; downloads and listings work; nothing on disk
        changes (ftplib command by command, then curl and lftp uploads)."""
        home = self.srv.home("reader")
        before = tree_state(home)
        f = self.login("reader")
        got = io.BytesIO()
        f.retrbinary("RETR pub/mid.bin", got.write)
        self.assertEqual(hashlib.sha256(got.getvalue()).hexdigest(), self.digest["mid.bin"])
        self.assertEqual(sorted(f.nlst()), ["pub", "sub"])
        for cmd in ("STOR new.bin", "STOR pub/mid.bin", "APPE pub/mid.bin", "STOU",
                    "STOU pub/x"):
            with self.subTest(cmd=cmd):
                d = Data(f, "EPSV")
                self.assertCode(reply(f, cmd), 550, cmd)
                d.close()
        for cmd in ("MKD newdir", "RMD sub", "DELE pub/mid.bin", "DELE sub/x.txt",
                    "RNFR pub/mid.bin", "SITE CHMOD 777 pub/mid.bin",
                    "MFMT 20000101000000 pub/mid.bin"):
            with self.subTest(cmd=cmd):
                self.assertCode(reply(f, cmd), 550, cmd)
        self.assertNotIn("w", dict(f.mlsd("pub"))["mid.bin"]["perm"])
        d = self.local()
        src = ftptest.make_file(d / "up.bin", 1000)
        rc, out, err = curl_plain(self.srv, ["-T", src, self.srv.url("up.bin")],
                                  user="reader", password=self.srv.users["reader"])
        self.assertNotEqual(rc, 0, "curl uploaded as a readonly user")
        self.assertIn("< 550", err)
        rc, out, err = ftptest.lftp(self.srv.host, self.srv.port, "reader", self.srv.users["reader"],
                                    [f"put {ftptest.lftp_quote(src)} -o pub/mid.bin"],
                                    settings=["ftp:ssl-allow false", "ftp:ssl-force false"])
        self.assertNotEqual(rc, 0, "lftp uploaded as a readonly user")
        self.assertEqual(tree_state(home), before, "the readonly user's tree changed")
        # The same server lets a user without the option write.
        w = self.login("alice")
        stor(w, "w.bin", b"written")
        self.assertEqual((self.srv.home("alice") / "w.bin").read_bytes(), b"written")

    def test_umask_per_user_and_default(self):
        """umask=077 gives that user's new files 0600 and directories 0700;
        a user without the option gets UMASK (default 027: 0640, 0750),
        for STOR, APPE, STOU and MKD alike."""
        for user, fmode, dmode in (("private", 0o600, 0o700), ("alice", 0o640, 0o750)):
            with self.subTest(user=user):
                f = self.login(user)
                home = self.srv.home(user)
                stor(f, "s.bin", b"s")
                stor(f, "a.bin", b"a", cmd="APPE")
                _, final = stor(f, "", b"u", cmd="STOU")
                unique = re.search(r"unique file name: /?([^)\s]+)\)", final)
                self.assertTrue(unique, final)
                f.mkd("made")
                for name in ("s.bin", "a.bin", unique.group(1)):
                    self.assertEqual(stat_mode(home / name), fmode, f"{user}: {name}")
                self.assertEqual(stat_mode(home / "made"), dmode, f"{user}: MKD")

    def test_runas_serves_and_owns(self):
        """Started as root, ftpd serves as RUNAS (nobody here): its real,
        effective, saved and file-system ids are RUNAS's, with no
        supplementary groups, and every file or directory a session creates
        belongs to RUNAS.  Started as anyone else, it runs as that user."""
        _, uid, gid = runas_account()
        ids = proc_ids(self.srv.pid)
        self.assertEqual(ids["Uid"], [uid] * 4, f"ftpd's uids: {ids}")
        self.assertEqual(ids["Gid"], [gid] * 4, f"ftpd's gids: {ids}")
        if os.geteuid() == 0:
            self.assertNotEqual(uid, 0)
            self.assertEqual(ids["Groups"], [], "ftpd kept supplementary groups")
        f = self.login("alice")
        stor(f, "owned.bin", b"owned")
        f.mkd("owned.d")
        for name in ("owned.bin", "owned.d"):
            st = (self.srv.home("alice") / name).stat()
            self.assertEqual((st.st_uid, st.st_gid), (uid, gid), f"owner of {name}")


def stat_mode(p):
    return p.stat().st_mode & 0o7777


class RunasRoot(unittest.TestCase):
    def test_root_refused(self):
        """RUNAS root (uid 0): ftpd refuses to serve and exits 1, as root;
        not as root, it ignores RUNAS and serves as its own user."""
        srv = Ftpd("runas-root", member={"RUNAS": "root"})
        if os.geteuid() != 0:
            with srv:
                self.assertEqual(proc_ids(srv.pid)["Uid"][1], os.geteuid())
            return
        rc, out, err = srv.run(timeout=10)
        self.assertEqual(rc, 1, out + err)
        self.assertIn("RUNAS root: refusing to serve as root", err)


class ReplySecurity(ServerTest):
    """REPLYSECURITYLEVEL 1: no address, host name, port or server name in
    the greeting and in STAT; level 0 (the Basic server) shows them."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("replysec", member={"REPLYSECURITYLEVEL": 1})
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def replies(self, srv):
        c = socket.create_connection((srv.host, srv.port), TIMEOUT)
        self.addCleanup(c.close)
        cf = c.makefile("rb")
        self.addCleanup(cf.close)
        texts = [read_reply(cf)]
        for cmd in (f"USER {srv.user}", f"PASS {srv.password}", "STAT", "SYST", "HELP",
                    "FEAT", "PWD"):
            c.sendall(cmd.encode() + b"\r\n")
            texts.append(read_reply(cf))
        return texts, c.getsockname()[1]

    def test_level_1_hides_addresses(self):
        texts, client_port = self.replies(self.srv)
        self.assertEqual(texts[0], "220 Service ready.")
        self.assertCode(texts[3], 211)
        for t in texts:
            for secret in ("127.0.0.1", str(client_port), str(self.srv.port), "ftpd",
                           "Connected to"):
                self.assertNotIn(secret, t)
        # Level 0 shows what level 1 hides: the test can tell them apart.
        with Ftpd("replysec0") as srv0:
            texts0, port0 = self.replies(srv0)
        self.assertEqual(texts0[0], "220 ftpd ready.")
        self.assertIn("Connected to 127.0.0.1", texts0[3])


class Limits(ServerTest):
    """MAXSESSIONS 3, MAXSESSIONSPERIP 2."""

    @classmethod
    def setUpClass(cls):
        cls.srv = Ftpd("limits", member={"MAXSESSIONS": 3, "MAXSESSIONSPERIP": 2})
        cls.addClassCleanup(cls.srv.stop)
        cls.srv.start()

    def connect(self, source):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.addCleanup(s.close)
        s.bind((source, 0))
        s.settimeout(TIMEOUT)
        s.connect(("127.0.0.1", self.srv.port))
        f = s.makefile("rb")
        self.addCleanup(f.close)
        return s, f, read_reply(f)

    def test_limits(self):
        a = self.connect("127.0.0.1")
        b = self.connect("127.0.0.1")
        self.assertCode(a[2], 220)
        self.assertCode(b[2], 220)
        c = self.connect("127.0.0.1")
        self.assertEqual(c[2], "421 Too many connections from your address")
        self.assertEqual(c[1].read(), b"")
        d = self.connect("127.0.0.2")
        self.assertCode(d[2], 220, "another address, below MAXSESSIONS")
        e = self.connect("127.0.0.3")
        self.assertEqual(e[2], "421 Too many users, try again later")
        self.assertEqual(e[1].read(), b"")
        self.srv.wait_log("MAXSESSIONSPERIP 2 reached")
        self.srv.wait_log("MAXSESSIONS 3 reached")
        # The sessions that got in work; when one ends, its place is free.
        for s, f, _ in (a, b, d):
            s.sendall(b"NOOP\r\n")
            self.assertCode(read_reply(f), 200)
        a[0].sendall(b"QUIT\r\n")
        self.assertCode(read_reply(a[1]), 221)
        self.assertEqual(a[1].read(), b"")

        def admitted():
            s, f, r = self.connect("127.0.0.1")
            return r.startswith("220")
        ftptest.wait_for(admitted, 5, "a free place after QUIT", interval=0.1)


class Descriptors(ServerTest):
    """ftpd raises its soft RLIMIT_NOFILE to the hard limit (ftpd(8)
    Limits): started with 256 of 4096, as a service manager might, it must
    serve with 4096."""

    def test_soft_limit_raised_to_hard(self):
        self.srv = Ftpd("nofile")
        self.addCleanup(self.srv.stop)
        self.srv.start(wrapper=["prlimit", "--nofile=256:4096", "--"])
        limits = Path(f"/proc/{self.srv.pid}/limits").read_text()
        line = next(l for l in limits.splitlines() if l.startswith("Max open files"))
        self.assertEqual(line.split()[3:5], ["4096", "4096"], self.show(line))
        f = self.ftp()
        self.assertCode(f.voidcmd("NOOP"), 200)


class Signals(ServerTest):
    """SIGHUP and SIGTERM, each on a server of its own."""

    def server(self, name, member=None, files=None):
        self.srv = Ftpd(name, member=member)
        self.addCleanup(self.srv.stop)
        if files:
            self.digest = ftptest.make_tree(self.srv.home() / "pub", files)
            self.srv.give(self.srv.home() / "pub")
        return self.srv.start()

    def test_sighup(self):
        """A changed member takes effect for new sessions, running ones keep
        theirs; a broken member is refused as a whole, logged with file and
        line, and the previous configuration stays."""
        srv = self.server("hup", member={"INACTIVE": 600})
        old = self.ftp()
        self.assertEqual(old.getwelcome(), "220 ftpd ready.")
        banner = srv.dir / "banner"
        banner.write_text("Reloaded banner\n")
        srv.write_member({"INACTIVE": 500, "BANNER": banner})
        srv.hup()
        srv.wait_log("new configuration in effect for new sessions")
        new = self.ftp()
        self.assertEqual(new.getwelcome(), "220-Reloaded banner\n220 ftpd ready.")
        self.assertEqual(reply(new, "SITE IDLE"), "200 Current idle time limit is 500 seconds")
        self.assertEqual(reply(old, "SITE IDLE"), "200 Current idle time limit is 600 seconds")
        srv.write_member(["INACTIVE 400", "SECURE_FTP REQUIRD"])
        bad_line = srv.member_path.read_text().splitlines().index("SECURE_FTP REQUIRD") + 1
        srv.hup()
        log = srv.wait_log("keeping the previous configuration")
        self.assertIn(f'{srv.member_path}:{bad_line}: SECURE_FTP: "REQUIRD" is not valid; '
                      "expected ALLOWED or REQUIRED", log)
        third = self.ftp()
        self.assertEqual(third.getwelcome(), "220-Reloaded banner\n220 ftpd ready.")
        self.assertEqual(reply(third, "SITE IDLE"), "200 Current idle time limit is 500 seconds")
        self.assertTrue(srv.alive())

    def test_sigterm_during_transfer(self):
        """SIGTERM: idle sessions get 421, no new session is accepted, a
        running download completes (226, then 221), then ftpd exits 0."""
        srv = self.server("term", files={"big.bin": BIG})
        f = self.ftp()
        idle = self.ftp()
        s, got = self.start_big_download(f)
        srv.signal(signal.SIGTERM)
        self.assertEqual(idle.getmultiline(), "421 Service shutting down")
        self.assertEqual(idle.file.readline(), "")
        srv.wait_log("SIGTERM: stopping")
        # The listener closes on the loop's next turn, after that line:
        # wait for its own (under ASan the connect used to win the race).
        srv.wait_log(f"listener {srv.host}:{srv.port} closed")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((srv.host, srv.port), TIMEOUT).close()
        self.assertTrue(srv.alive(), "ftpd exited before the transfer ended")
        got += read_all(s)
        s.close()
        self.assertEqual(hashlib.sha256(got).hexdigest(), self.digest["big.bin"])
        self.assertCode(f.getmultiline(), 226)
        self.assertCode(f.getmultiline(), 221)
        self.assertEqual(srv.wait_exit(10), 0)


class Daemon(ServerTest):
    def test_detach(self):
        """ftpd -d: the command returns 0 at once, the daemon leads a
        session of its own, writes PIDFILE, serves, and stops on SIGTERM."""
        self.srv = Ftpd("daemon")
        self.addCleanup(self.srv.stop)
        self.srv.start(detach=True)
        pid = self.srv.pid
        self.assertNotEqual(pid, self.srv.starter_pid)
        stat = Path(f"/proc/{pid}/stat").read_text()
        fields = stat[stat.rfind(")") + 2:].split()
        self.assertEqual(int(fields[3]), pid, "the daemon is not a session leader")
        self.assertNotEqual(int(fields[1]), os.getpid())
        self.assertEqual(os.path.realpath(f"/proc/{pid}/exe"), str(ftptest.ftpd_path().resolve()))
        self.assertEqual(self.ftp().sendcmd("NOOP"), "200 NOOP ok.")
        self.assertEqual(self.srv.stop(), 0, "SIGTERM did not stop the daemon")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((self.srv.host, self.srv.port), TIMEOUT).close()


class ConfigCheck(unittest.TestCase):
    """ftpd -t."""

    def test_samples(self):
        """Every sample member passes, and the effective configuration shows
        each server statement of the sample with its value and line."""
        samples = sorted((ftptest.src_dir() / "ftpdata").glob("*.data"))
        self.assertGreaterEqual(len(samples), 7)
        for path in samples:
            with self.subTest(member=path.name):
                rc, out, err = ftpd_check(path)
                self.assertEqual(rc, 0, f"{path}: {err}")
                self.assertEqual(err, "")
                lines = out.splitlines()
                self.assertEqual(lines[0], f"; effective configuration of ftpd, from {path}")
                shown = {l.split()[0]: l for l in lines[1:]}
                self.assertIn("SECURE_FTP", shown)
                coded = {}
                for n, line in enumerate(path.read_text().splitlines(), 1):
                    stmt = line.split(";", 1)[0].strip()
                    if stmt:
                        kw, _, value = stmt.partition(" ")
                        coded.setdefault(kw.upper(), []).append((n, value.strip()))
                for kw, uses in coded.items():
                    if kw not in shown:
                        continue            # a client statement
                    n, value = uses[-1]
                    where = {f"; {path}:{m}" for m, _ in uses}
                    self.assertTrue(any(shown[kw].endswith(w) for w in where), shown[kw])
                    if kw not in ("EXTENSIONS", "CIPHERSUITE"):
                        printed = shown[kw].split(" ; ")[0].split(None, 1)[1]
                        self.assertEqual(printed.replace(" ", "").upper(),
                                         value.replace(" ", "").upper(), shown[kw])

    def test_misspelled_value(self):
        d = ftptest.tmpdir("misspelled")
        member = d / "bad.data"
        member.write_text("; a member with a typo on line 3\nPORT 2121\nSECURE_FTP REQUIRD\n")
        rc, out, err = ftpd_check(member)
        self.assertEqual(rc, 2)
        self.assertIn(f'{member}:3: SECURE_FTP: "REQUIRD" is not valid; expected ALLOWED or REQUIRED',
                      err)
        self.assertEqual(out, "")
        # The server refuses to start with it, before listening.
        port = ftptest.free_port()
        rc, out, err = ftpd_run(["-f", member, "-p", port], timeout=10)
        self.assertEqual(rc, 2)
        self.assertIn(f"{member}:3: SECURE_FTP", err)


if __name__ == "__main__":
    unittest.main()
