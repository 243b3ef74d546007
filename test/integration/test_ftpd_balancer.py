"""test_ftpd_balancer: several ftpd instances behind HAProxy (ftpd(8) SEVERAL
INSTANCES, README "Running several instances").

HAProxy (Debian's, `haproxy -db -f CFG`, stopped by PID) runs the shipped
ftpdata/haproxy.cfg with only its addresses and ports replaced, in front of
two ftpd instances that share one home directory and one ticket key.  The
addresses are all loopback, and all different, so that the test can tell
who is who:

    127.0.0.1  the balancer's front (VIP): control ports, both data ranges
    127.0.0.2  instance a          127.0.0.3  instance b
    127.0.0.4  HAProxy's source (PROXYPROTOCOL lists it)
    127.0.0.5  the clients (curl --interface, lftp net:socket-bind-ipv4)

* lftp and curl over TLS (SECURE_SESSION_REUSE REQUIRED, PROT P) upload
  through the balancer, then list and download (byte-compared) through it
  on the other instance; logs, security events and the transfer log name
  127.0.0.5, never 127.0.0.4; PROXY v1 (send-proxy) works as v2 does.
* Raw sockets send the exact bytes: v1 and v2 headers, TLVs, a header and
  what follows it in one segment (explicit and implicit TLS), v1 UNKNOWN,
  v2 LOCAL health checks (no session), malformed headers and none at all
  (closed), a header from an address not listed (refused);
  MAXSESSIONSPERIP counts the header's address.
* A control connection resumes on the other instance through the shared
  ticket key (Python ssl, session=); a ticket from the other instance binds
  no data connection.
* Metrics read after a scripted session show its counts.
* Rolling restarts: one instance stopped, new sessions go to the other; a
  SIGTERM drain lets a running transfer finish and answers 421 to a
  connection that was already queued; SIGUSR2 lets sessions go on.
"""

import hashlib
import os
import re
import signal
import socket
import ssl
import struct
import time
import unittest
import urllib.request
from pathlib import Path

import ftptest
from ftpd_harness import Ftpd, free_port_all
from ftpwire import Ctrl, Tls, client_context

VIP, FTPD1, FTPD2, LB, CLIENT, VIP1 = ("127.0.0.1", "127.0.0.2", "127.0.0.3",
                                       "127.0.0.4", "127.0.0.5", "127.0.0.6")
STRANGER = "127.0.0.7"   # neither a balancer nor the client
USER, PASSWORD = "alice", "alice-Secret-1"
V2SIG = b"\r\n\r\n\x00\r\nQUIT\n"
RANGE = 10     # passive ports per instance


def v1(src, dst="127.0.0.1", sport=40001, dport=21, proto="TCP4"):
    return f"PROXY {proto} {src} {dst} {sport} {dport}\r\n".encode()


def v2(src, dst="127.0.0.1", sport=40002, dport=21, tlvs=b""):
    fam = socket.AF_INET6 if ":" in src else socket.AF_INET
    addrs = (socket.inet_pton(fam, src) + socket.inet_pton(fam, dst)
             + struct.pack("!HH", sport, dport))
    return (V2SIG + bytes([0x21, 0x21 if fam == socket.AF_INET6 else 0x11])
            + struct.pack("!H", len(addrs) + len(tlvs)) + addrs + tlvs)


V2_LOCAL = V2SIG + b"\x20\x00\x00\x00"


def ftpcert():
    return ftptest.build_dir() / "server" / "ftpcert" / "ftpcert"


def sessions(srv):
    """Session numbers and clients of srv's "connected on" lines."""
    return re.findall(r"\[#(\d+) -@(\S+)\] connected on ", srv.stderr())


def raw(host, port, data=b"", source=LB, timeout=10):
    """A connection from `source` that sends `data` at once."""
    s = socket.create_connection((host, port), timeout=timeout, source_address=(source, 0))
    if data:
        s.sendall(data)
    return s


def recv_all(sock, limit=1 << 16):
    """Everything until the peer closes (a reset counts as closed)."""
    out = b""
    try:
        while len(out) < limit:
            b = sock.recv(4096)
            if not b:
                break
            out += b
    except ConnectionResetError:
        pass
    return out


def proxied_ctrl(host, port, header, source=LB):
    """A control connection that starts with `header`; its 220 read."""
    c = Ctrl(host, port, greet=False, source=source)
    c.sock.sendall(header)
    c.greeting = c.reply()
    return c


class Cluster:
    """HAProxy in front of instances a and b: one USERFILE, one home, one
    ticket key, disjoint passive ranges.  member: statements for both."""

    def __init__(self, name, member=()):
        ftptest.require_program("haproxy")
        self.dir = ftptest.tmpdir(name)
        self.key = self.dir / "ticket.key"
        rc, out, err = ftptest.run([ftpcert(), "ticket-key", self.key])
        assert rc == 0, out + err
        lo, _ = ftptest.free_port_range(2 * RANGE)
        self.ranges = ((lo, lo + RANGE - 1), (lo + RANGE, lo + 2 * RANGE - 1))
        self.tlsport = free_port_all((FTPD1, FTPD2))
        common = ["SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE",
                  "SECURE_SESSION_REUSE REQUIRED", f"PROXYPROTOCOL {LB}",
                  "PROXYPROTOCOLDATA TRUE", f"TLSTICKETKEY {self.key}",
                  f"TLSPORT {self.tlsport}", "MAXSESSIONSPERIP 3", "DRAINTIMEOUT 60"]
        common += list(member)
        self.a = Ftpd(f"{name}-a", hosts=(FTPD1,), tls=True,
                      member=common + self._own(0, FTPD1))
        self.b = Ftpd(f"{name}-b", hosts=(FTPD2,), tls=True,
                      member=common + self._own(1, FTPD2)
                      + [f"USERFILE {self.a.userfile_path}"])
        self.vport = ftptest.free_port()
        self.vtlsport = ftptest.free_port()
        self.haproxy = None

    def _own(self, i, addr):
        lo, hi = self.ranges[i]
        port = ftptest.free_port()
        setattr(self, "metrics_a" if i == 0 else "metrics_b", f"http://{addr}:{port}/metrics")
        return [f"PASSIVEDATAPORTS ({lo},{hi})", f"METRICSPORT {port}",
                f"METRICSADDRESS {addr}"]

    @property
    def home(self):
        return self.a.home()

    def config(self, vip=VIP, vport=None, vtlsport=None, version=2):
        """ftpdata/haproxy.cfg with loopback addresses and test ports."""
        text = (ftptest.src_dir() / "ftpdata" / "haproxy.cfg").read_text()
        (a_lo, a_hi), (b_lo, b_hi) = self.ranges
        subst = [
            ("192.0.2.10:21\n", f"{vip}:{vport or self.vport}\n"),
            ("192.0.2.10:990\n", f"{vip}:{vtlsport or self.vtlsport}\n"),
            ("10.0.0.11:21 ", f"{FTPD1}:{self.a.port} "),
            ("10.0.0.12:21 ", f"{FTPD2}:{self.b.port} "),
            ("10.0.0.11:990 ", f"{FTPD1}:{self.tlsport} "),
            ("10.0.0.12:990 ", f"{FTPD2}:{self.tlsport} "),
            ("    source 10.0.0.2\n", f"    source {LB}\n"),
            ("192.0.2.10:50000-50099", f"{vip}:{a_lo}-{a_hi}"),
            ("192.0.2.10:50100-50199", f"{vip}:{b_lo}-{b_hi}"),
            ("dst_port 50000:50099", f"dst_port {a_lo}:{a_hi}"),
            ("dst_port 50100:50199", f"dst_port {b_lo}:{b_hi}"),
            ("server ftpd1 10.0.0.11 ", f"server ftpd1 {FTPD1} "),
            ("server ftpd2 10.0.0.12 ", f"server ftpd2 {FTPD2} "),
        ]
        for old, new in subst:
            assert old in text, f"ftpdata/haproxy.cfg no longer has {old!r}"
            text = text.replace(old, new)
        if version == 1:
            text = text.replace("send-proxy-v2", "send-proxy")
        path = self.dir / f"haproxy-{vip}.cfg"
        path.write_text(text)
        return path

    def start_haproxy(self, **kw):
        cfg = self.config(**kw)
        port = kw.get("vport") or self.vport
        p = ftptest.ServerProc([ftptest.require_program("haproxy"), "-db", "-f", cfg],
                               port, host=kw.get("vip", VIP), tmp=self.dir, name="haproxy")
        return p.start()

    def start(self):
        self.a.start()
        self.b.start()
        self.haproxy = self.start_haproxy()
        return self

    def stop(self):
        if self.haproxy is not None:
            self.haproxy.stop()
        self.a.stop()
        self.b.stop()

    def instance_of_port(self, port):
        return self.a if self.ranges[0][0] <= port <= self.ranges[0][1] else self.b

    def metrics(self, srv):
        url = self.metrics_a if srv is self.a else self.metrics_b
        with urllib.request.urlopen(url, timeout=10) as r:
            self_ct = r.headers.get("Content-Type")
            text = r.read().decode()
        assert self_ct.startswith("text/plain; version=0.0.4"), self_ct
        out = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name] = float(value)
        return out

    # --- clients through the balancer ---------------------------------------

    def lftp(self, commands, port=None, host=VIP):
        return ftptest.lftp(host, port or self.vport, USER, PASSWORD, commands,
                            cafile=self.a.cafile,
                            settings=[f"net:socket-bind-ipv4 {CLIENT}"])

    def curl(self, args, via=None):
        """curl from the clients' address; via (vip, port): reach the
        certificate's name "localhost" there."""
        extra = ["--resolve", f"localhost:{via[1]}:{via[0]}"] if via else []
        return ftptest.curl(["--interface", CLIENT] + extra + args, user=USER,
                            password=PASSWORD, cafile=self.a.cafile)

    def url(self, path="", host=VIP, port=None):
        return f"ftp://{host}:{port or self.vport}/{path}"

    def landing(self, run):
        """Run `run()` (one client session); return the instance it landed
        on, from the new sessions in their logs."""
        before = (len(sessions(self.a)), len(sessions(self.b)))
        result = run()
        after = (len(sessions(self.a)), len(sessions(self.b)))
        grew = [s for s, b, a in ((self.a, before[0], after[0]),
                                  (self.b, before[1], after[1])) if a > b]
        assert len(grew) == 1, f"sessions before {before}, after {after}"
        return grew[0], result

    def on_other(self, first, run, tries=6):
        """Run `run()` until it lands on the instance that is not `first`
        (the balancer spreads sessions; bounded)."""
        for _ in range(tries):
            srv, result = self.landing(run)
            if srv is not first:
                return result
        raise AssertionError(f"{tries} sessions all landed on {first.name}")


class Balanced(unittest.TestCase):
    """One cluster for the tests that leave it running."""

    @classmethod
    def setUpClass(cls):
        cls.c = Cluster("balanced")
        try:
            cls.c.start()
        except BaseException:
            cls.c.stop()
            raise
        cls.ctx = client_context(cls.c.a.cafile)

    @classmethod
    def tearDownClass(cls):
        cls.c.stop()

    def assert_no_balancer_address(self):
        """Sessions, security events and transfer lines never name HAProxy's
        address as the client's."""
        for srv in (self.c.a, self.c.b):
            log = srv.stderr()
            self.assertNotIn(f"@{LB}]", log)
            self.assertNotIn(f"client={LB} ", log)
            self.assertNotIn(f" {LB} ", srv.xferlog())

    # --- peers through HAProxy -------------------------------------------------

    def test_lftp_up_curl_down(self):
        c = self.c
        src = ftptest.make_file(c.dir / "up-lftp.bin", 3 << 20, seed=11)
        first, (rc, out, err) = c.landing(lambda: c.lftp([f"put {src} -o up-lftp.bin"]))
        self.assertEqual(rc, 0, err)
        self.assertEqual(ftptest.sha256(c.home / "up-lftp.bin"), ftptest.sha256(src))
        self.assertRegex(first.xferlog(), rf" {re.escape(CLIENT)} 3145728 /up-lftp\.bin b _ i r alice ")
        got = c.dir / "down-curl.bin"
        rc, out, err = c.on_other(first, lambda: c.curl([c.url("up-lftp.bin"), "-o", got]))
        self.assertEqual(rc, 0, err)
        self.assertEqual(ftptest.sha256(got), ftptest.sha256(src))
        rc, out, err = c.on_other(first, lambda: c.curl([c.url(""), "--list-only"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("up-lftp.bin", out.split())
        self.assert_no_balancer_address()

    def test_curl_up_lftp_down(self):
        c = self.c
        src = ftptest.make_file(c.dir / "up-curl.bin", 2 << 20, seed=12)
        first, (rc, out, err) = c.landing(lambda: c.curl(["-T", src, c.url("up-curl.bin")]))
        self.assertEqual(rc, 0, err)
        got = c.dir / "down-lftp.bin"
        rc, out, err = c.on_other(first, lambda: c.lftp(["cls -1", f"get up-curl.bin -o {got}"]))
        self.assertEqual(rc, 0, err)
        self.assertIn("up-curl.bin", out.split())
        self.assertEqual(ftptest.sha256(got), ftptest.sha256(src))
        for srv in (c.a, c.b):
            self.assertRegex(srv.stderr(), rf"security: login-ok session=\d+ client={re.escape(CLIENT)} ")
            self.assertRegex(srv.stderr(), rf"-@{re.escape(CLIENT)}\] connected on \S+ via balancer {re.escape(LB)}")
        self.assert_no_balancer_address()

    def test_implicit_tls_through_the_balancer(self):
        c = self.c
        url = f"ftps://{VIP}:{c.vtlsport}/"
        rc, out, err = ftptest.curl(["--interface", CLIENT, "--list-only", url], user=USER,
                                    password=PASSWORD, cafile=c.a.cafile)
        self.assertEqual(rc, 0, err)
        self.assert_no_balancer_address()

    def test_proxy_v1_balancer(self):
        """The same file with send-proxy (version 1) on another front.
        Version 1 has no LOCAL command: HAProxy's health checks then name
        the check's own addresses, and are sessions from the balancer."""
        c = self.c
        vport, vtls = ftptest.free_port(), ftptest.free_port()
        hp = c.start_haproxy(vip=VIP1, vport=vport, vtlsport=vtls, version=1)
        try:
            src = ftptest.make_file(c.dir / "v1.bin", 100000, seed=13)
            via = (VIP1, vport)
            rc, out, err = c.curl(["-T", src, c.url("v1.bin", host="localhost", port=vport)],
                                  via=via)
            self.assertEqual(rc, 0, err)
            got = c.dir / "v1-back.bin"
            # PASV, and its address used: it names the front the client
            # connected to (the header's destination).
            rc, out, err = c.curl(["--disable-epsv", "--no-ftp-skip-pasv-ip",
                                   c.url("v1.bin", host="localhost", port=vport), "-o", got],
                                  via=via)
            self.assertEqual(rc, 0, err)
            self.assertEqual(ftptest.sha256(got), ftptest.sha256(src))
            self.assertRegex(err, rf"227 Entering Passive Mode \({VIP1.replace('.', ',')},")
        finally:
            hp.stop()
        for srv in (c.a, c.b):
            self.assertNotIn(f" {LB} ", srv.xferlog())
        log = c.a.stderr() + c.b.stderr()
        self.assertRegex(log, rf"\[#\d+ alice@{re.escape(CLIENT)}\] RETR /v1\.bin: 100000 bytes")

    def test_health_checks_make_no_session(self):
        c = self.c
        before = len(sessions(c.a))
        # HAProxy's checks (every 2 s): connect, LOCAL header, close; when
        # its close overtakes the header, ftpd sees only a vanished peer.
        checks = re.compile(r"debug: [^\n]*(PROXY v2 LOCAL|accept on )")
        ftptest.wait_for(lambda: len(checks.findall(c.a.stderr())) >= 2, 10,
                         "two health checks from HAProxy")
        s = raw(FTPD1, c.a.port, V2_LOCAL)
        self.assertEqual(recv_all(s), b"")
        s.close()
        self.assertEqual(len(sessions(c.a)), before)
        # Checks leave nothing above debug level: no session, no warning.
        self.assertNotRegex(c.a.stderr(), r"(info|warning|notice): .*(health check|"
                                          r"accept on .*not connected)")

    # --- raw headers ----------------------------------------------------------

    def test_v1_and_v2_headers_name_the_client(self):
        c = self.c
        for hdr, client in ((v1("192.0.2.21"), "192.0.2.21"),
                            (v2("192.0.2.22"), "192.0.2.22"),
                            (v2("2001:db8::23", "2001:db8::1"), "2001:db8::23"),
                            (v1("2001:db8::24", "2001:db8::1", proto="TCP6"), "2001:db8::24"),
                            (v2("192.0.2.25", tlvs=b"\x01\x00\x03ftp\x04\x00\x02xx"),
                             "192.0.2.25")):
            ctl = proxied_ctrl(FTPD1, c.a.port, hdr)
            self.assertEqual(ctl.greeting.code, 220)
            ctl.expect("AUTH TLS", 234)
            ctl.starttls(self.ctx)
            ctl.login(USER, PASSWORD)
            ctl.cmd("QUIT")
            ctl.close()
            c.a.wait_log(f"security: login-ok session={sessions(c.a)[-1][0]} client={client} ")
            self.assertEqual(sessions(c.a)[-1][1], client)

    def test_header_and_command_in_one_segment(self):
        """What follows the header is the stream's: a command here."""
        s = raw(FTPD1, self.c.a.port, v2("192.0.2.31") + b"FEAT\r\n")
        data = b""
        while b"211 End" not in data:
            b = s.recv(4096)
            self.assertTrue(b, data)
            data += b
        self.assertTrue(data.startswith(b"220 "), data)
        s.close()

    def test_header_then_client_hello_on_implicit_port(self):
        """No TLS byte before the header; the ClientHello that shares its
        segment is the handshake's."""
        s = raw(FTPD1, self.c.tlsport)
        tls = Tls(s, self.ctx)
        try:
            tls.obj.do_handshake()
        except ssl.SSLWantReadError:
            pass
        s.sendall(v2("192.0.2.32") + tls.outb.read())
        tls.handshake()
        r = b""
        while b"\r\n" not in r:
            r += tls.recv()
        self.assertTrue(r.startswith(b"220 "), r)
        tls.sendall(f"USER {USER}\r\nPASS {PASSWORD}\r\n".encode())
        while b"230 " not in r:
            r += tls.recv()
        s.close()
        self.c.a.wait_log("security: login-ok session=")
        self.assertEqual(sessions(self.c.a)[-1][1], "192.0.2.32")

    def test_v1_unknown_uses_the_balancer_address(self):
        ctl = proxied_ctrl(FTPD1, self.c.a.port, b"PROXY UNKNOWN\r\n")
        self.assertEqual(ctl.greeting.code, 220)
        ctl.close()
        self.assertEqual(sessions(self.c.a)[-1][1], LB)

    def test_malformed_or_missing_header_closes(self):
        c = self.c
        before = len(sessions(c.a))
        for bad in (b"PROXY TCP4 192.0.2.1 192.0.2.2 01 21\r\n",   # leading zero
                    b"PROXY TCP4 192.0.2.1 192.0.2.2 1 21\n",      # lone LF
                    V2SIG + b"\x22\x11\x00\x0c" + bytes(12),       # command 2
                    b"USER alice\r\n"):                            # no header at all
            s = raw(FTPD1, c.a.port, bad)
            self.assertEqual(recv_all(s), b"", bad)
            s.close()
        self.assertEqual(len(sessions(c.a)), before)
        c.a.wait_log(f"connection from balancer {LB} on {FTPD1}:{c.a.port} closed: "
                     "malformed PROXY protocol header")

    def test_header_that_never_comes_times_out(self):
        s = raw(FTPD1, self.c.a.port, b"PROXY TCP4 ", timeout=15)
        t0 = time.monotonic()
        self.assertEqual(recv_all(s), b"")
        self.assertGreaterEqual(time.monotonic() - t0, 3)   # the specification's floor
        s.close()
        self.c.a.wait_log("closed: no PROXY protocol header in time")

    def test_header_from_unlisted_address_is_refused(self):
        c = self.c
        s = raw(FTPD1, c.a.port, source=CLIENT)
        self.assertTrue(s.recv(100).startswith(b"220 "))
        s.sendall(v1("192.0.2.66"))
        self.assertEqual(recv_all(s), b"")
        s.close()
        c.a.wait_log(f"security: policy-refused session={sessions(c.a)[-1][0]} "
                     f"client={CLIENT} command=PROXY")
        self.assertNotIn("192.0.2.66", c.a.stderr())
        # On the implicit port the header is no ClientHello.
        s = raw(FTPD1, c.tlsport, v2("192.0.2.67"), source=CLIENT)
        self.assertNotIn(b"220", recv_all(s))        # the handshake fails
        s.close()
        self.assertNotIn("192.0.2.67", c.a.stderr())

    def test_maxsessionsperip_counts_the_header_address(self):
        c = self.c
        held = [proxied_ctrl(FTPD1, c.a.port, v2("192.0.2.50", sport=41000 + i))
                for i in range(3)]
        try:
            for h in held:
                self.assertEqual(h.greeting.code, 220)
            s = raw(FTPD1, c.a.port, v2("192.0.2.50", sport=41009))
            self.assertTrue(recv_all(s).startswith(b"421 Too many connections from your address"))
            s.close()
            other = proxied_ctrl(FTPD1, c.a.port, v2("192.0.2.51"))
            self.assertEqual(other.greeting.code, 220)
            other.close()
            log = c.a.wait_log("connection from 192.0.2.50 refused: MAXSESSIONSPERIP 3 reached")
            self.assertIn('security: connection-refused session=- client=192.0.2.50 '
                          'reason="MAXSESSIONSPERIP 3 reached"', log)
        finally:
            for h in held:
                h.close()

    def test_data_connection_checks_use_the_client_address(self):
        """PASSIVEDATACONN NOREDIRECT compares the data connection's header
        with the control connection's client; the PORT/EPRT bounce check
        takes the client's address too, not the balancer's."""
        c = self.c
        ctl = proxied_ctrl(FTPD1, c.a.port, v2(CLIENT))
        ctl.secure_login(self.ctx, USER, PASSWORD)
        r = ctl.cmd(f"EPRT |1|{LB}|40000|")
        self.assertEqual(r.code // 100, 5, r.text)
        port = ctl.epsv()
        ctl.send("NLST\r\n")
        # Through the balancer, but for another client: dropped, the wait
        # for the real one goes on.
        thief = raw(FTPD1, port, v2("192.0.2.99", sport=43000))
        self.assertEqual(recv_all(thief), b"")
        thief.close()
        s = raw(FTPD1, port, v2(CLIENT, sport=43001))
        tls = Tls(s, self.ctx, session=ctl.tls.session).handshake()
        self.assertEqual(ctl.reply().code, 150)
        listing = b""
        while True:
            b = tls.recv()
            if not b:
                break
            listing += b
        self.assertEqual(ctl.reply().code, 226)
        s.close()
        ctl.close()
        log = c.a.stderr()
        self.assertIn("data connection from 192.0.2.99 refused: not the control peer", log)
        self.assertRegex(log, rf"security: policy-refused session=\d+ client={re.escape(CLIENT)} "
                              rf"user=\"alice\" command=EPRT")

    def test_data_connection_header_from_non_balancer_not_trusted(self):
        """PROXYPROTOCOLDATA reads a header only from a PROXYPROTOCOL address:
        a data connection from anyone else that starts with a header naming
        the client is a stranger, dropped, and the wait for the real one
        goes on."""
        c = self.c
        ctl = proxied_ctrl(FTPD1, c.a.port, v2(CLIENT))
        ctl.secure_login(self.ctx, USER, PASSWORD)
        port = ctl.epsv()
        ctl.send("NLST\r\n")
        thief = raw(FTPD1, port, v2(CLIENT, sport=43002), source=STRANGER)
        self.assertEqual(recv_all(thief), b"")
        thief.close()
        s = raw(FTPD1, port, v2(CLIENT, sport=43003))
        tls = Tls(s, self.ctx, session=ctl.tls.session).handshake()
        self.assertEqual(ctl.reply().code, 150)
        while tls.recv():
            pass
        self.assertEqual(ctl.reply().code, 226)
        s.close()
        ctl.close()
        log = c.a.stderr()
        self.assertIn(f"data connection from {STRANGER} refused: not the control peer", log)

    # --- the shared ticket key -------------------------------------------------

    def ticket_from(self, srv, client):
        ctl = proxied_ctrl(srv.host, srv.port, v2(client))
        ctl.expect("AUTH TLS", 234)
        ctl.starttls(self.ctx)
        ctl.login(USER, PASSWORD)
        ctl.expect("PBSZ 0", 200)       # TLS 1.3 tickets have arrived by now
        session = ctl.tls.session
        ctl.cmd("QUIT")
        ctl.close()
        return session

    def test_control_connection_resumes_on_the_other_instance(self):
        c = self.c
        session = self.ticket_from(c.a, "192.0.2.40")
        ctl = proxied_ctrl(FTPD2, c.b.port, v2("192.0.2.40"))
        ctl.expect("AUTH TLS", 234)
        ctl.tls = Tls(ctl.sock, self.ctx, session=session).handshake()
        self.assertTrue(ctl.tls.resumed(), "b did not resume a's session")
        ctl.login(USER, PASSWORD)
        ctl.cmd("QUIT")
        ctl.close()
        c.b.wait_log(re.compile(r"-@192\.0\.2\.40\] control connection secured: TLS\S* \S+, resumed"))

    def test_other_instance_ticket_binds_no_data_connection(self):
        """b decrypts a's ticket (shared key) but never issued it: its data
        connections refuse it (522), as SECURE_SESSION_REUSE REQUIRED wants."""
        c = self.c
        foreign = self.ticket_from(c.a, CLIENT)
        ctl = proxied_ctrl(FTPD2, c.b.port, v2(CLIENT))
        ctl.secure_login(self.ctx, USER, PASSWORD)
        port = ctl.epsv()
        ctl.send("NLST\r\n")
        # Straight to b from the client's own address (no balancer, no
        # header): NOREDIRECT is satisfied, the TLS session is not.
        s = raw(FTPD2, port, source=CLIENT)
        Tls(s, self.ctx, session=foreign).handshake()
        r = ctl.reply()
        if r.code == 150:
            r = ctl.reply()
        self.assertEqual(r.code, 522, r.text)
        s.close()
        ctl.close()
        c.b.wait_log("data connection refused (SECURE_SESSION_REUSE REQUIRED)")

    # --- metrics ---------------------------------------------------------------

    def test_metrics_after_a_scripted_session(self):
        c = self.c
        before = c.metrics(c.a)
        data = os.urandom(50000)
        s = raw(FTPD1, c.a.port, V2_LOCAL)      # a health check
        self.assertEqual(recv_all(s), b"")
        s.close()
        ctl = proxied_ctrl(FTPD1, c.a.port, v2(CLIENT))
        ctl.expect("AUTH TLS", 234)
        ctl.starttls(self.ctx)
        self.assertEqual(ctl.cmd("USER alice").code, 331)
        self.assertEqual(ctl.cmd("PASS wrong").code, 530)
        ctl.login(USER, PASSWORD)
        ctl.expect("PBSZ 0", 200)
        ctl.expect("PROT P", 200)
        ctl.expect("TYPE I", 200)
        for verb in ("STOR m.bin", "RETR m.bin"):
            port = ctl.epsv()
            ctl.send(verb + "\r\n")
            # The data connection comes through the balancer's source with
            # its header, as HAProxy sends it.
            s = raw(FTPD1, port, v2(CLIENT, sport=42000))
            tls = Tls(s, self.ctx, session=ctl.tls.session).handshake()
            self.assertEqual(ctl.reply().code, 150)
            if verb.startswith("STOR"):
                tls.sendall(data)
                tls.close_notify()
                s.shutdown(socket.SHUT_WR)
            else:
                got = b""
                while True:
                    b = tls.recv()
                    if not b:
                        break
                    got += b
                self.assertEqual(got, data)
            self.assertEqual(ctl.reply().code, 226)
            s.close()
        ctl.cmd("QUIT")
        ctl.close()
        c.a.wait_log(re.compile(r"RETR /m\.bin: 50000 bytes .*complete"))
        m = c.metrics(c.a)
        d = lambda k: m.get(k, 0) - before.get(k, 0)
        self.assertEqual(d('ftpd_logins_total{method="password",result="accepted"}'), 1)
        self.assertEqual(d('ftpd_logins_total{method="password",result="failed"}'), 1)
        self.assertEqual(d('ftpd_transfers_total{direction="upload",result="ok"}'), 1)
        self.assertEqual(d('ftpd_transfers_total{direction="download",result="ok"}'), 1)
        self.assertEqual(d("ftpd_received_bytes_total"), 50000)
        self.assertEqual(d("ftpd_sent_bytes_total"), 50000)
        self.assertEqual(d("ftpd_sessions_total"), 1)
        self.assertEqual(d('ftpd_tls_handshakes_total{connection="control",kind="full"}'), 1)
        self.assertEqual(d('ftpd_tls_handshakes_total{connection="data",kind="resumed"}'), 2)
        self.assertGreaterEqual(d("ftpd_health_checks_total"), 1)
        self.assertEqual(m["ftpd_draining"], 0)
        self.assertIn('ftpd_data_connections_refused_total{reason="session_unknown"}', m)
        self.assertEqual([v for k, v in m.items() if k.startswith("ftpd_build_info{")], [1])


class RollingRestart(unittest.TestCase):
    """Instances stop under a live balancer: a cluster per test."""

    def setUp(self):
        self.c = Cluster(self.id().rsplit(".", 1)[-1])
        self.addCleanup(self.c.stop)
        self.c.start()
        self.ctx = client_context(self.c.a.cafile)

    def listing_lands_on(self):
        srv, (rc, out, err) = self.c.landing(lambda: self.c.curl([self.c.url(""), "--list-only"]))
        self.assertEqual(rc, 0, err)
        return srv

    def test_stopped_instance_new_sessions_go_to_the_other(self):
        c = self.c
        self.assertEqual(c.b.stop(), 0)
        for _ in range(4):
            self.assertIs(self.listing_lands_on(), c.a)

    def test_sigterm_drain(self):
        """A transfer running through the balancer finishes; a new session
        goes to the other instance; the draining one refuses connections
        and exits 0 once the transfer is over."""
        c = self.c
        big = ftptest.make_file(c.home / "big.bin", 48 << 20, seed=21)
        c.a.give(big)
        ctl = Ctrl(VIP, c.vport, source=CLIENT)
        ctl.secure_login(self.ctx, USER, PASSWORD)
        ctl.expect("TYPE I", 200)
        port = ctl.epsv()
        srv = c.instance_of_port(port)
        other = c.b if srv is c.a else c.a
        ctl.send("RETR big.bin\r\n")
        s = raw(VIP, port, source=CLIENT)
        tls = Tls(s, self.ctx, session=ctl.tls.session).handshake()
        self.assertEqual(ctl.reply().code, 150)
        got = bytearray(tls.recv())
        # The client reads no more until the drain has begun: the transfer
        # is certainly running when SIGTERM comes.
        srv.signal(signal.SIGTERM)
        srv.wait_log("SIGTERM: stopping (running transfers get 60 s to finish)")
        srv.wait_log(f"listener {srv.host}:{srv.port} closed")
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((srv.host, srv.port), timeout=5)
        self.assertIs(self.listing_lands_on(), other)
        while True:
            b = tls.recv()
            if not b:
                break
            got += b
        self.assertEqual(len(got), 48 << 20)
        self.assertEqual(hashlib.sha256(got).hexdigest(), ftptest.sha256(big))
        self.assertEqual(ctl.reply().code, 226)
        self.assertEqual(ctl.reply().code, 221)       # then the session ends
        s.close()
        ctl.close()
        self.assertEqual(srv.wait_exit(timeout=10), 0)
        self.assertRegex(srv.stderr(), r"RETR /big\.bin: 50331648 bytes .*complete")
        self.assertLess(srv.stderr().index("SIGTERM: stopping"),
                        srv.stderr().index("RETR /big.bin: 50331648 bytes"))

    def test_queued_connection_gets_421(self):
        """A connection that was in the accept queue when SIGTERM came gets
        a clear 421 before the listener closes."""
        c = self.c
        os.kill(c.a.pid, signal.SIGSTOP)
        try:
            ftptest.wait_for(lambda: Path(f"/proc/{c.a.pid}/stat").read_text().split()[2] == "T",
                             5, "ftpd stopped")
            s = raw(FTPD1, c.a.port, source=CLIENT)    # queued by the kernel
            os.kill(c.a.pid, signal.SIGTERM)
        finally:
            os.kill(c.a.pid, signal.SIGCONT)
        data = recv_all(s)
        s.close()
        # Accepted as the drain began: 421 at once, or (if accepted just
        # before) a 220 and then the 421 every idle session gets.
        self.assertRegex(data.decode(), r"^(220 [^\r]*\r\n)?421 Service shutting down\r\n$")
        self.assertEqual(c.a.wait_exit(timeout=10), 0)

    def test_header_completed_after_listener_closed(self):
        """A balancer's connection still sending its header when the drain
        closes the listener gets its 421, and ftpd then exits cleanly."""
        c = self.c
        s = raw(FTPD1, c.a.port, b"PROXY TCP4 192.0.2.9 ")
        c.a.signal(signal.SIGTERM)
        c.a.wait_log(f"listener {FTPD1}:{c.a.port} closed")
        s.sendall(b"127.0.0.1 40000 21\r\n")
        self.assertEqual(recv_all(s), b"421 Service shutting down\r\n")
        s.close()
        self.assertEqual(c.a.wait_exit(timeout=10), 0)
        self.assertIn("connection from 192.0.2.9 refused: service shutting down", c.a.stderr())

    def test_sigusr2_lets_sessions_go_on(self):
        c = self.c
        ctl = proxied_ctrl(FTPD1, c.a.port, v2(CLIENT))
        ctl.secure_login(self.ctx, USER, PASSWORD)
        c.a.signal(signal.SIGUSR2)
        c.a.wait_log(f"listener {FTPD1}:{c.a.port} closed")
        self.assertEqual(c.metrics(c.a)["ftpd_draining"], 1)
        with self.assertRaises(ConnectionRefusedError):
            socket.create_connection((FTPD1, c.a.port), timeout=5)
        self.assertEqual(ctl.cmd("NOOP").code, 200)   # still served
        self.assertTrue(c.a.alive())
        ctl.cmd("QUIT")
        ctl.close()
        self.assertEqual(c.a.wait_exit(timeout=10), 0)


if __name__ == "__main__":
    unittest.main()


class TicketKeyFile(unittest.TestCase):
    """TLSTICKETKEY: ftpcert makes the file; ftpd refuses one that is not
    for its owner's eyes only, or of another size."""

    def test_ftpcert_ticket_key(self):
        key = ftptest.tmpdir("ticket-key") / "ticket.key"
        rc, out, err = ftptest.run([ftpcert(), "ticket-key", key])
        self.assertEqual(rc, 0, err)
        self.assertIn(f"TLSTICKETKEY {key}", out)
        self.assertEqual(os.stat(key).st_mode & 0o777, 0o600)
        self.assertEqual(os.stat(key).st_size, 64)
        first = key.read_bytes()
        rc, out, err = ftptest.run([ftpcert(), "ticket-key", key])
        self.assertEqual(rc, 3, err)                     # exists: not replaced
        self.assertEqual(key.read_bytes(), first)

    def refused(self, name, mode, size=64):
        srv = Ftpd(name)
        key = srv.dir / "ticket.key"
        key.write_bytes(os.urandom(size))
        os.chmod(key, mode)
        srv.write_member([f"TLSTICKETKEY {key}"])
        rc, out, err = ftptest.run([ftptest.ftpd_path(), "-f", srv.member_path], timeout=20)
        self.assertEqual(rc, 2, out + err)
        self.assertRegex(err, rf"ftpd\.data:\d+: TLSTICKETKEY {re.escape(str(key))}: ")
        self.assertEqual(len(err.strip().splitlines()), 1, err)   # one clear line
        return err

    def test_readable_by_others_refused(self):
        self.assertIn("readable or writable by group or others", self.refused("key-0644", 0o644))

    def test_wrong_size_refused(self):
        self.assertIn("not 64 bytes", self.refused("key-48", 0o600, size=48))
