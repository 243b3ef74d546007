#!/usr/bin/env python3
"""interop.py: the interop matrix of ftpd against real FTPS clients.

    python3 test/integration/interop.py --build DIR [--jobs N] [FILTER...]

`make interop` runs it on the default build (`make SAN=address,undefined
interop` on the sanitizer build); `make check` runs it in both builds through test_interop.py, which
the integration runner (run.py) picks up like any other test module.

One row per client and mode, printed as a table: PASS or FAIL with the
reason; XFAIL marks a known problem of a peer (Known): the row counts as
XFAIL only if it failed, the client's log (and the server's) shows the
problem's known cause, and the peer's version is one known to have it.  A
failure without that evidence is a FAIL; so is the same failure from a
version not known to have the bug (a fixed peer, a regression of ours);
and a row that passes is an XPASS, which fails the matrix so that the mark
is removed.
Clients: lftp (GnuTLS), curl (OpenSSL), Python's ftplib.FTP_TLS,
gnutls-cli --starttls-proto=ftp, rclone (Go; many connections sharing one
TLS session cache) and Node's basic-ftp (multiconn.py).  Modes: explicit
(AUTH TLS) and implicit
(ftps://, TLSPORT) TLS; TLS 1.2 and 1.3 pinned by the client; PROT P and
PROT C; PASV, EPSV, PORT, EPRT; IPv4 and IPv6; SECURE_SESSION_REUSE REQUIRED
(the default; rows marked "reuse-req") with the clients that resume, and the
refusal of those that cannot (ftplib, gnutls-cli: expected 522); CCC where
the client supports it.  Every transfer is compared byte for byte (downloads
on the client's side, uploads on the server's disk), and the server's log of
the row's own session (each row logs in as its own user) must show the mode
the row claims: the data command used, TLS or clear data, resumed, implicit
port, CCC.

One server per configuration (CONFIGS), rows in parallel threads.  Every
process is stopped by its process-group id, also on failure or interrupt.
Exit status 0 only if every row passed; 1 otherwise; 2 bad usage.

Known problems, as XFAIL rows: lftp sends the IP literal "::1" as SNI
(GnuTLS refuses it as a server name, in a parser an application cannot
override); curl 7.87-7.88 starts no TLS on active data connections
(curl#10666; its active rows use PROT C).

CCC at TLSRFCLEVEL RFC4217 covers the three ways a client leaves TLS: lftp
and curl --ftp-ssl-ccc-mode active send their close_notify after the 200
and wait for ours; curl's passive mode sends none and waits for ours.  lftp
4.9.2 takes a close_notify read together with the 200 for the end of the
connection ("Peer closed connection"), which is why ftpd answers the
client's close_notify rather than sending its own with the 200.
"""

import argparse
import concurrent.futures
import dataclasses
import ftplib
import io
import os
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True          # no __pycache__ in the source tree

import ftpd_tls_harness as H            # noqa: E402  (after sys.path)
import ftptest                          # noqa: E402

# Small files: the matrix is about modes, test_ftpd_tls.py about sizes.
FILES = {"empty.bin": 0, "one.bin": 1, "mid.bin": 100_003}
UPLOAD_SIZE = 70_001
ROW_TIMEOUT = 45
V4, V6 = socket.AF_INET, socket.AF_INET6

CONFIGS = {
    # The policy make run uses, plus implicit TLS: every row that can
    # resume runs here.
    "strict": dict(keywords=("SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE",
                             "SECURE_CTRLCONN PRIVATE",
                             "SECURE_SESSION_REUSE REQUIRED",
                             "SECUREIMPLICITZOS FALSE"), implicit=True),
    # Clear logins and data allowed, CCC allowed, full handshakes allowed.
    "open": dict(keywords=("SECURE_FTP ALLOWED", "SECURE_DATACONN CLEAR",
                           "SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL RFC4217",
                           "SECURE_SESSION_REUSE ALLOWED"), implicit=False),
    "cccnonotify": dict(keywords=("SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL CCCNONOTIFY",
                                  "SECURE_SESSION_REUSE ALLOWED"), implicit=False),
    # strict, with the workaround ftpd(8) BUGS gives for Node's basic-ftp,
    # which now and then ends an empty upload without close_notify.
    "strict-notify-optional": dict(keywords=("SECURE_FTP REQUIRED", "SECURE_DATACONN PRIVATE",
                                             "SECURE_CTRLCONN PRIVATE",
                                             "SECURE_SESSION_REUSE REQUIRED",
                                             "SECUREIMPLICITZOS FALSE",
                                             "TLSCLOSENOTIFY OPTIONAL"), implicit=True),
    # CCC with the default SECURE_SESSION_REUSE REQUIRED: after CCC a full
    # handshake is accepted on data connections.
    "ccc-reuse-req": dict(keywords=("SECURE_CTRLCONN CLEAR", "TLSRFCLEVEL RFC4217",
                                    "SECURE_SESSION_REUSE REQUIRED"), implicit=False),
}


class RowFailure(Exception):
    """A row failed; the message is the reason printed in the matrix."""


@dataclasses.dataclass
class Row:
    client: str
    mode: str
    config: str
    run: object                  # fn(row, server) -> None, raises RowFailure
    family: int = socket.AF_INET
    tls: str = "1.3"
    verb: str = "EPSV"           # the data command the session must use
    prot: str = "P"
    implicit: bool = False
    ccc: bool = False
    resumed: bool = True         # every data connection must have resumed
    refused: bool = False        # the row expects the data connection refused
    opts: dict = dataclasses.field(default_factory=dict)
    # A known problem of the peer (Known), or None.
    xfail: object = None
    user: str = ""
    status: str = "-"
    reason: str = ""
    log: str = ""                # the client's own log (stderr), for Known
    seconds: float = 0.0

    @property
    def host(self):
        return "::1" if self.family == socket.AF_INET6 else "127.0.0.1"

    def label(self):
        fam = "IPv6" if self.family == socket.AF_INET6 else "IPv4"
        parts = ["implicit" if self.implicit else "explicit", f"TLS{self.tls}",
                 f"PROT {self.prot}", self.verb, fam]
        if self.ccc:
            parts.append("CCC")
        parts.append("reuse-req" if self.config == "strict" else f"[{self.config}]")
        if self.mode:
            parts.append(f"({self.mode})")
        return " ".join(parts)


# ---------------------------------------------------------------------------
# Servers

class Servers:
    """One ftpd per configuration, every row logging in as its own user."""

    def __init__(self, rows):
        self.hash = ftptest.passwd_hash(H.PASSWORD)
        self.srv = {}
        for i, row in enumerate(rows):
            row.user = f"row{i + 1:02d}"
        for name, cfg in CONFIGS.items():
            users = [f"{r.user}:{self.hash}:{{home}}" for r in rows if r.config == name]
            if not users:
                continue
            self.srv[name] = H.Ftpd(f"interop-{name}", cfg["keywords"], files=FILES,
                                    implicit=cfg["implicit"], users=users)

    def start(self):
        for s in self.srv.values():
            s.start()

    def stop(self):
        """Stop every server; then fail with the first sanitizer report or
        unclean exit (Ftpd.stop)."""
        errors = []
        for s in self.srv.values():
            try:
                s.stop()
            except AssertionError as e:
                errors.append(str(e))
        if errors:
            raise AssertionError("\n".join(errors))

    def __getitem__(self, name):
        return self.srv[name]


def session_log(srv, user):
    """The log lines of every session in which `user` logged in."""
    log = srv.stderr()
    ids = set(re.findall(r"\[#(\d+) " + re.escape(user) + "@", log))
    return [line for line in log.splitlines()
            if any(f"[#{i} " in line for i in ids)], ids


def check_server_side(row, srv, uploads=()):
    """The row's sessions in the server log show the claimed mode; the
    uploads are on the server's disk, byte for byte."""
    deadline = time.monotonic() + 5
    while True:
        lines, ids = session_log(srv, row.user)
        text = "\n".join(lines)
        closed = sum(1 for i in ids if f"[#{i} {row.user}@" in text and
                     re.search(rf"\[#{i} [^\]]*\] session closed", text))
        if ids and closed == len(ids):
            break
        if time.monotonic() > deadline:
            if not ids:
                raise RowFailure(f"no session of {row.user} in the server log")
            break
        time.sleep(0.05)
    want = [f"-> {row.verb}", f"[#{min(ids, key=int)} {row.user}@{row.host}]"]
    want.append(f"control connection secured: TLS{row.tls}")
    if row.implicit:
        lhost = "[::1]" if row.family == V6 else row.host
        want.append(f"connected on {lhost}:{srv.tlsport}")
    if row.ccc:
        want.append("control connection cleared (CCC")
    for w in want:
        if w not in text:
            raise RowFailure(f"server log of the session lacks {w!r}")
    xfers = re.findall(r"(RETR|STOR|LIST|NLST|MLSD) (\S*): (\d+) bytes in [\d.]+ s, (.*): (.*)$",
                       text, re.M)
    if not xfers:
        raise RowFailure("no transfer in the server log")
    for verb, path, n, desc, result in xfers:
        if row.refused:
            continue
        if result != "complete":
            raise RowFailure(f"server: {verb} {path}: {result}")
        if row.prot == "C" and desc != "clear":
            raise RowFailure(f"server: {verb} {path} over {desc}, not clear")
        if row.prot == "P":
            if not desc.startswith(f"TLS{row.tls} "):
                raise RowFailure(f"server: {verb} {path} over {desc}")
            if row.resumed and not desc.endswith(", resumed"):
                raise RowFailure(f"server: {verb} {path} not resumed ({desc})")
    for src, name in uploads:
        dst = srv.path(name)
        if not dst.exists():
            raise RowFailure(f"upload {name} not on the server")
        if ftptest.sha256(dst) != ftptest.sha256(src):
            raise RowFailure(f"upload {name} differs on the server")


def check_downloads(d, srv, names=None):
    for name in names or FILES:
        got = Path(d) / name
        if not got.exists():
            raise RowFailure(f"{name} not downloaded")
        if ftptest.sha256(got) != srv.hashes[name]:
            raise RowFailure(f"{name} differs")


def last_error(text, n=2):
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    interesting = [x for x in lines if re.search(r"(?i)error|fail|denied|refused|\b[45]\d\d\b", x)]
    return " | ".join((interesting or lines)[-n:])[:200]


def workdir(row):
    d = ftptest.tmpdir(row.user)
    src = ftptest.make_file(d / "upload.src", UPLOAD_SIZE, seed=int(row.user[3:]))
    return d, src


# ---------------------------------------------------------------------------
# Clients

def run_lftp(row, srv):
    d, src = workdir(row)
    up = f"up-{row.user}.bin"
    settings = []
    if row.verb in ("PORT", "EPRT"):
        settings.append("ftp:passive-mode false")
    if row.verb == "EPSV":
        settings.append("ftp:prefer-epsv true")
    if row.verb == "PASV":
        settings.append("ftp:prefer-epsv false")
    if row.prot == "C":
        settings += ["ftp:ssl-protect-data false", "ftp:ssl-protect-list false"]
    if row.ccc:
        settings.append("ftp:ssl-use-ccc true")
    cmds = ["cls -1"]
    cmds += [f"get {n} -o {ftptest.lftp_quote(d / n)}" for n in FILES]
    cmds.append(f"put {ftptest.lftp_quote(src)} -o {up}")
    cmds.append("get mid.bin -o " + ftptest.lftp_quote(d / "mid-again.bin"))
    host = row.host
    argv = ftptest.lftp_cmd(host, srv.port, row.user, srv.password, cmds,
                            cafile=srv.cafile, tls=row.tls, settings=settings)
    if row.implicit:
        url = ftptest.ftp_url(host, srv.port)
        argv[-1] = argv[-1].replace(url, url.replace(f"ftp://", "ftps://", 1)
                                    .replace(f":{srv.port}/", f":{srv.tlsport}/"))
    if row.xfail:
        # GnuTLS's handshake log (lftp's debug 13) shows what was sent.
        argv[-1] = "debug 13; " + argv[-1]
    rc, out, err = ftptest.run(argv, timeout=ROW_TIMEOUT)
    row.log = err
    if rc != 0:
        raise RowFailure(f"lftp exit {rc}: {last_error(err)}")
    for n in FILES:
        if n not in out.split():
            raise RowFailure(f"listing lacks {n}")
    check_downloads(d, srv)
    if ftptest.sha256(d / "mid-again.bin") != srv.hashes["mid.bin"]:
        raise RowFailure("mid.bin after the upload differs")
    check_server_side(row, srv, [(src, up)])


def run_curl(row, srv):
    d, src = workdir(row)
    up = f"up-{row.user}.bin"
    host, port, scheme = row.host, srv.port, "ftp"
    if row.implicit:
        port, scheme = srv.tlsport, "ftps"

    def url(p):
        return ftptest.ftp_url(host, port, p).replace("ftp://", f"{scheme}://", 1)

    extra = []
    if row.verb == "PASV":
        extra.append("--disable-epsv")
    elif row.verb == "PORT":
        extra += ["--ftp-port", host, "--disable-eprt"]
    elif row.verb == "EPRT":
        extra += ["--ftp-port", host]
    if row.prot == "C":
        extra.append("--ftp-ssl-control")
    if row.ccc:
        extra += ["--ftp-ssl-ccc", "--ftp-ssl-ccc-mode", row.opts["ccc_mode"]]
    # One control connection: the upload first, then the listing and the
    # downloads (curl pairs the n-th -o with the n-th URL, uploads included).
    args = extra + ["-T", src, url(up), "-o", os.devnull, url(""), "-o", d / "listing.txt"]
    for n in FILES:
        args += [url(n), "-o", d / n]
    if row.xfail:
        # One transfer: --max-time applies to each URL.
        args = extra + [url("one.bin"), "-o", d / "one.bin"]
    rc, out, err = ftptest.curl(args, user=row.user, password=srv.password,
                                cafile=srv.cafile, tls=row.tls, ssl_reqd=row.prot == "P",
                                max_time=row.opts.get("max_time", ROW_TIMEOUT - 10))
    row.log = err
    if rc != 0:
        raise RowFailure(f"curl exit {rc}: {last_error(err)}")
    listing = (d / "listing.txt").read_text()
    for n in FILES:
        if n not in listing:
            raise RowFailure(f"listing lacks {n}")
    check_downloads(d, srv)
    check_server_side(row, srv, [(src, up)])


def ftplib_context(srv, tls):
    ctx = ssl.create_default_context(cafile=str(srv.cafile))
    v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tls]
    ctx.minimum_version = ctx.maximum_version = v
    return ctx


def run_ftplib(row, srv):
    d, src = workdir(row)
    up = f"up-{row.user}.bin"
    f = ftplib.FTP_TLS(context=ftplib_context(srv, row.tls), timeout=15)
    try:
        f.connect(row.host, srv.port)
        f.auth()
        f.login(row.user, srv.password)
        if row.prot == "P":
            f.prot_p()
        else:
            f.prot_c()
        f.set_pasv(row.verb in ("PASV", "EPSV"))
        names = f.nlst()
        for n in FILES:
            if n not in names:
                raise RowFailure(f"NLST lacks {n}")
            buf = io.BytesIO()
            f.retrbinary(f"RETR {n}", buf.write)
            (d / n).write_bytes(buf.getvalue())
        with open(src, "rb") as fp:
            f.storbinary(f"STOR {up}", fp)
        f.quit()
    except (ftplib.all_errors) as e:
        raise RowFailure(f"ftplib: {e!r}"[:200]) from None
    finally:
        f.close()
    check_downloads(d, srv)
    check_server_side(row, srv, [(src, up)])


def run_ftplib_refused(row, srv):
    try:
        reply = ftptest.ftplib_no_resume_probe(row.host, srv.port, row.user,
                                               srv.password, srv.cafile, tls=row.tls)
    except AssertionError as e:
        raise RowFailure(str(e)[:200]) from None
    if not reply.startswith("522 "):
        raise RowFailure(f"expected 522, got {reply!r}")
    check_server_side(row, srv)


class GnutlsCli:
    """gnutls-cli with its stdin and stdout on pipes (stdout to a file for
    a data connection), in its own process group, stopped by its id."""

    def __init__(self, argv, out=None):
        self.out_path = out
        self.stdout = open(out, "wb") if out else subprocess.PIPE
        self.p = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=self.stdout,
                                  stderr=subprocess.DEVNULL, start_new_session=True)
        self.buf = b""

    def line(self, line):
        self.p.stdin.write(line.encode() + b"\n")
        self.p.stdin.flush()

    def _whole_reply(self):
        """(code, text) of the first complete reply in buf, or None."""
        lines = self.buf.split(b"\r\n")[:-1]
        if not lines:
            return None
        m = re.match(rb"^(\d{3})([ -])", lines[0])
        if not m:
            raise RowFailure(f"gnutls-cli: not a reply: {lines[0][:80]!r}")
        for i, line in enumerate(lines):
            if line.startswith(m.group(1) + b" ") or (i == 0 and m.group(2) == b" "):
                n = sum(len(x) + 2 for x in lines[:i + 1])
                text, self.buf = self.buf[:n], self.buf[n:]
                return int(m.group(1)), text.decode(errors="replace")
        return None

    def reply(self, timeout=10):
        """One whole reply from the server (multi-line form handled)."""
        deadline = time.monotonic() + timeout
        while True:
            got = self._whole_reply()
            if got:
                return got
            left = deadline - time.monotonic()
            if left <= 0:
                raise RowFailure(f"gnutls-cli: no reply (got {self.buf[-200:]!r})")
            r, _, _ = select.select([self.p.stdout], [], [], left)
            if r:
                b = os.read(self.p.stdout.fileno(), 65536)
                if not b:
                    raise RowFailure(f"gnutls-cli exited (got {self.buf[-200:]!r})")
                self.buf += b

    def expect(self, line, code):
        self.line(line)
        got, text = self.reply()
        if got != code:
            raise RowFailure(f"gnutls-cli: {line.split()[0]}: {text.strip()!r}")
        return text

    def wait(self, timeout):
        try:
            return self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.p.poll() is None:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.p.wait(5)
        for f in (self.p.stdin, self.p.stdout if self.out_path is None else None):
            if f:
                f.close()
        if self.out_path:
            self.stdout.close()


def run_gnutls_cli(row, srv):
    d, _ = workdir(row)
    prio = {"1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2", "1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}[row.tls]
    base = [ftptest.require_program("gnutls-cli"), f"--x509cafile={srv.cafile}",
            f"--priority={prio}"]
    ctrl = GnutlsCli(base + ["--starttls-proto=ftp", "--crlf",
                             f"--logfile={d / 'ctrl.log'}", "-p", str(srv.port), row.host])
    data = None
    try:
        ctrl.expect(f"USER {row.user}", 331)
        ctrl.expect(f"PASS {srv.password}", 230)
        ctrl.expect("PBSZ 0", 200)
        ctrl.expect("PROT P", 200)
        stat = ctrl.expect("STAT", 211)
        if "Control connection: protected by TLS" not in stat:
            raise RowFailure("STAT does not show a protected control connection")
        ctrl.expect("TYPE I", 200)
        text = ctrl.expect("EPSV", 229)
        port = int(re.search(r"\|\|\|(\d+)\|", text).group(1))
        # The server waits for the data connection after its 150: no need
        # to wait for this handshake (gnutls-cli's log is written at exit).
        log = d / "data.log"
        data = GnutlsCli(base + [f"--logfile={log}", "-p", str(port), row.host],
                         out=d / "mid.bin")
        ctrl.line("RETR mid.bin")
        code, text = ctrl.reply()
        if code == 150:
            code, text = ctrl.reply()
        if row.refused:
            if code != 522:
                raise RowFailure(f"expected 522, got {text.strip()!r}")
        else:
            if code != 226:
                raise RowFailure(f"RETR: {text.strip()!r}")
            if data.wait(10) is None:
                raise RowFailure("data gnutls-cli did not end after close_notify")
            if "Peer has closed the GnuTLS connection" not in log.read_text():
                raise RowFailure("no close_notify on the data connection")
            check_downloads(d, srv, ["mid.bin"])
        ctrl.expect("QUIT", 221)
    finally:
        if data:
            data.stop()
        ctrl.stop()
    check_server_side(row, srv)


# ---------------------------------------------------------------------------
# Known problems of peers

@dataclasses.dataclass(frozen=True)
class Known:
    """A known problem of a peer.  A failing row is XFAIL only when
    evidence(row, server) finds the problem's cause in the client's log
    (row.log) and the server's, and the peer's version is within
    `versions` (first, last; inclusive): a fixed peer turns the row red
    (XPASS if it passes, FAIL if it fails otherwise)."""
    what: str
    program: str
    versions: tuple
    evidence: object


def server_logged(what, timeout=5):
    """Poll what() until it is true: ftpd logs the end of a session the
    client has just left a moment later.  True or False."""
    try:
        ftptest.wait_for(what, timeout, "the server's log line")
        return True
    except AssertionError:
        return False


def lftp_sends_ipv6_literal_as_sni(row, srv):
    """lftp put the literal "::1" in the server_name extension (GnuTLS's
    handshake log, debug 13), GnuTLS on our side refused it, and lftp got
    that fatal alert."""
    return (re.search(r"sent server name: '::1'", row.log) is not None
            and "gnutls_handshake: A TLS fatal alert has been received" in row.log
            and server_logged(lambda: re.search(
                r"\[#\d+ -@::1\] TLS handshake failed: TLS error: "
                r"A disallowed SNI server name has been received", srv.stderr())))


def curl_no_tls_on_active_data(row, srv):
    """curl#10666: curl accepted the server's active data connection and
    never began a TLS handshake on it (no Client hello after the accept),
    so it ran into --max-time (exit 28) while ftpd waited for the
    handshake: the RETR ended with TLS not established (curl closed the
    data connection first) or was abandoned (it closed the control
    connection first)."""
    at = row.log.find("* Connection accepted from server")
    return (at >= 0 and "TLS handshake, Client hello" not in row.log[at:]
            and "curl: (28)" in row.log
            and server_logged(lambda: any(
                re.search(r"RETR /one\.bin(: 0 bytes in .*TLS not established"
                          r"| abandoned: the session ended)", l)
                for l in session_log(srv, row.user)[0])))


LFTP_SNI = Known("lftp sends the IP literal ::1 as SNI; GnuTLS refuses it",
                 "lftp", ((4, 9, 2), (4, 9, 2)), lftp_sends_ipv6_literal_as_sni)
CURL_10666 = Known("curl 7.87-7.88 starts no TLS on active data connections (curl#10666)",
                   "curl", ((7, 87, 0), (7, 88, 1)), curl_no_tls_on_active_data)


_version_cache = {}


def program_version(prog):
    """The version of lftp or curl as a tuple of ints, e.g. (4, 9, 2)."""
    if prog not in _version_cache:
        rc, out, _ = ftptest.run([ftptest.require_program(prog), "--version"], timeout=10)
        m = re.search(r"(?:Version |curl )(\d+)\.(\d+)\.(\d+)", out)
        if rc != 0 or not m:
            raise AssertionError(f"cannot read the version of {prog}: {out[:200]!r}")
        _version_cache[prog] = tuple(int(x) for x in m.groups())
    return _version_cache[prog]


def judge_known(row, srv):
    """Turn a row with a Known problem into XFAIL, XPASS or FAIL."""
    k = row.xfail
    version = program_version(k.program)
    shown = ".".join(map(str, version))
    if row.status == "PASS":
        row.status, row.reason = "XPASS", f"known problem gone? ({k.what})"
    elif not k.versions[0] <= version <= k.versions[1]:
        row.status = "FAIL"
        row.reason = f"{k.program} {shown} is not known to have: {k.what}: {row.reason}"
    elif not k.evidence(row, srv):
        row.status = "FAIL"
        row.reason = f"not the known problem ({k.what}): no evidence in the logs: {row.reason}"
    else:
        row.status, row.reason = "XFAIL", f"{k.what} ({k.program} {shown}): {row.reason}"


# Clients that open many connections: rclone, Node basic-ftp (multiconn.py)

RCLONE_TREE = {"empty.bin": 0, "one.bin": 1, "mid.bin": 100_003, "big.bin": 1 << 20,
               "sub/a.bin": 70_001, "sub/b.bin": 2, "sub/deeper/c.bin": 4097}
RCLONE_TREE.update({f"many/f{i:02d}.bin": 1000 + i for i in range(12)})


def run_rclone(row, srv):
    """rclone with its defaults (--transfers 4 --checkers 8, one TLS session
    cache for all its connections) against the default policy: copy up,
    ls and lsf -R, check --download, copy back, moveto, delete, rmdir;
    byte-compared on both sides."""
    import multiconn
    d = ftptest.tmpdir(row.user)
    src, back, remote = d / "src", d / "back", f"ftpd:{row.user}"
    for name in RCLONE_TREE:
        (src / name).parent.mkdir(parents=True, exist_ok=True)
    want = ftptest.make_tree(src, RCLONE_TREE)
    env = multiconn.rclone_env(srv, row.user, row.implicit, row.tls, d)

    def rc(*args):
        code, out, err = multiconn.rclone(srv, args, row.user, env=env)
        if code != 0:
            raise RowFailure(f"rclone {args[0]}: exit {code}: {last_error(err)}")
        return out

    rc("copy", src, remote)
    dirs = {str(p.parent) + "/" for p in map(Path, RCLONE_TREE) if str(p.parent) != "."}
    dirs |= {"sub/"}
    listed = sorted(rc("lsf", "-R", remote).split())
    if listed != sorted(set(RCLONE_TREE) | dirs):
        raise RowFailure(f"lsf -R: {listed}")
    sizes = dict(reversed(line.split(None, 1)) for line in rc("ls", remote).splitlines())
    if {k: int(v) for k, v in sizes.items()} != RCLONE_TREE:
        raise RowFailure(f"ls: {sizes}")
    rc("check", "--download", src, remote)
    rc("copy", remote, back)
    for name, digest in want.items():
        if ftptest.sha256(back / name) != digest:
            raise RowFailure(f"{name} differs after the round trip")
    rc("moveto", f"{remote}/one.bin", f"{remote}/sub/moved.bin")
    home = srv.path(row.user)
    if (home / "one.bin").exists() or ftptest.sha256(home / "sub/moved.bin") != want["one.bin"]:
        raise RowFailure("moveto: one.bin not moved to sub/moved.bin")
    rc("delete", f"{remote}/sub")
    if any(p.is_file() for p in (home / "sub").rglob("*")):
        raise RowFailure("delete left files in sub/")
    rc("rmdir", f"{remote}/sub/deeper")
    rc("rmdir", f"{remote}/sub")
    if (home / "sub").exists():
        raise RowFailure("rmdir left sub/")
    check_server_side(row, srv, [(src / "big.bin", f"{row.user}/big.bin")])


def run_basic_ftp(row, srv):
    """Node basic-ftp: uploads of 0 B, 1 B and 1 MiB, list, downloads
    byte-compared, rename, delete."""
    import multiconn
    d = ftptest.tmpdir(row.user)
    sizes = {"zero.bin": 0, "one.bin": 1, "mib.bin": 1 << 20}
    want = ftptest.make_tree(d / "up", sizes)
    remote = {n: f"{row.user}-{n}" for n in sizes}
    spec = {"user": row.user, "secure": "implicit" if row.implicit else "explicit",
            "tls": row.tls,
            "uploads": [[str(d / "up" / n), remote[n]] for n in sizes],
            "downloads": [[remote[n], str(d / n)] for n in sizes],
            "rename": [remote["one.bin"], f"{row.user}-renamed.bin"],
            "remove": [remote["zero.bin"], f"{row.user}-renamed.bin", remote["mib.bin"]]}
    res = multiconn.basic_ftp(srv, spec, d)
    if not res["ok"]:
        raise RowFailure(f"basic-ftp {res.get('step')}: {res.get('error')}")
    listed = {name: size for name, size in res["list"]}
    for n, size in sizes.items():
        if listed.get(remote[n]) != size:
            raise RowFailure(f"list: {remote[n]} is {listed.get(remote[n])}, not {size}")
        if ftptest.sha256(d / n) != want[n]:
            raise RowFailure(f"{n} differs after the round trip")
    left = [name for name, _ in res["list_after"] if name.startswith(row.user + "-")]
    if left:
        raise RowFailure(f"still there after rename and delete: {left}")
    check_server_side(row, srv)


# ---------------------------------------------------------------------------
# The matrix


def rows():
    r = []
    add = r.append
    # lftp (GnuTLS): copies the control session into every data session.
    add(Row("lftp", "", "strict", run_lftp, tls="1.2", verb="PASV"))
    add(Row("lftp", "", "strict", run_lftp, tls="1.3", verb="PASV"))
    add(Row("lftp", "", "strict", run_lftp, tls="1.3", verb="EPSV"))
    add(Row("lftp", "", "strict", run_lftp, tls="1.2", verb="PORT"))
    add(Row("lftp", "", "strict", run_lftp, tls="1.3", verb="PORT"))
    # lftp sends the IP literal "::1" as SNI (RFC 6066 forbids literals);
    # GnuTLS refuses it as a server name and fails the handshake, and
    # GnuTLS lets no server override its server_name parser.  A host name
    # works, but this machine has none for ::1.
    add(Row("lftp", "", "strict", run_lftp, tls="1.2", verb="EPSV", family=V6,
            xfail=LFTP_SNI))
    add(Row("lftp", "", "strict", run_lftp, tls="1.3", verb="EPRT", family=V6,
            xfail=LFTP_SNI))
    add(Row("lftp", "ftps://", "strict", run_lftp, tls="1.2", verb="PASV", implicit=True))
    add(Row("lftp", "ftps://", "strict", run_lftp, tls="1.3", verb="EPSV", implicit=True,
            family=V6, xfail=LFTP_SNI))
    add(Row("lftp", "", "open", run_lftp, tls="1.3", verb="PASV", prot="C"))
    # CCC at RFC4217: lftp's close_notify first, then ftpd's (the listing
    # and the gets run in clear control after it).
    add(Row("lftp", "ftp:ssl-use-ccc", "open", run_lftp, tls="1.3", verb="PASV",
            ccc=True, resumed=False))
    add(Row("lftp", "ftp:ssl-use-ccc", "open", run_lftp, tls="1.2", verb="EPSV",
            ccc=True, resumed=False))
    add(Row("lftp", "ftp:ssl-use-ccc", "cccnonotify", run_lftp, tls="1.3", verb="PASV",
            ccc=True, resumed=False))
    # CCC under SECURE_SESSION_REUSE REQUIRED (the default): lftp drops the
    # TLS session with the control TLS, so no data connection can resume;
    # after CCC ftpd accepts a full handshake (as ProFTPD does).
    add(Row("lftp", "ftp:ssl-use-ccc", "ccc-reuse-req", run_lftp, tls="1.3", verb="PASV",
            ccc=True, resumed=False))
    # curl (OpenSSL): new-session callback, one ticket per data connection.
    add(Row("curl", "", "strict", run_curl, tls="1.2", verb="EPSV"))
    add(Row("curl", "", "strict", run_curl, tls="1.3", verb="EPSV"))
    add(Row("curl", "--disable-epsv", "strict", run_curl, tls="1.3", verb="PASV"))
    # curl 7.87-7.88 lost TLS on active data connections (curl#10666, fixed
    # in 8.0): it accepts the server's connection and never starts the
    # handshake.  Its active rows use PROT C; one shows the bug.
    add(Row("curl", "-P --disable-eprt", "strict", run_curl, tls="1.3", verb="PORT",
            opts={"max_time": 4}, xfail=CURL_10666))
    add(Row("curl", "-P --disable-eprt --ftp-ssl-control", "open", run_curl, tls="1.2",
            verb="PORT", prot="C"))
    add(Row("curl", "-P --ftp-ssl-control", "open", run_curl, tls="1.3", verb="EPRT",
            prot="C"))
    add(Row("curl", "", "strict", run_curl, tls="1.3", verb="EPSV", family=V6))
    add(Row("curl", "-P --ftp-ssl-control", "open", run_curl, tls="1.2", verb="EPRT",
            prot="C", family=V6))
    add(Row("curl", "ftps://", "strict", run_curl, tls="1.3", verb="EPSV", implicit=True))
    add(Row("curl", "ftps://", "strict", run_curl, tls="1.2", verb="EPSV", implicit=True,
            family=V6))
    add(Row("curl", "--ftp-ssl-ccc passive", "open", run_curl, tls="1.3", verb="EPSV",
            ccc=True, resumed=False, opts={"ccc_mode": "passive"}))
    add(Row("curl", "--ftp-ssl-ccc active", "open", run_curl, tls="1.2", verb="EPSV",
            ccc=True, resumed=False, opts={"ccc_mode": "active"}))
    # ftplib.FTP_TLS: never resumes (cpython#63699): full handshakes.
    add(Row("ftplib", "", "open", run_ftplib, tls="1.3", verb="PASV", resumed=False))
    add(Row("ftplib", "", "open", run_ftplib, tls="1.2", verb="PORT", resumed=False))
    add(Row("ftplib", "", "open", run_ftplib, tls="1.3", verb="EPRT", resumed=False,
            family=V6))
    add(Row("ftplib", "", "open", run_ftplib, tls="1.2", verb="EPSV", prot="C",
            resumed=False, family=V6))
    add(Row("ftplib", "no resumption: 522 expected", "strict", run_ftplib_refused,
            tls="1.3", verb="PASV", resumed=False, refused=True))
    add(Row("ftplib", "no resumption: 522 expected", "strict", run_ftplib_refused,
            tls="1.2", verb="EPSV", resumed=False, refused=True, family=V6))
    # gnutls-cli: STARTTLS on the control connection; a second gnutls-cli
    # for the data connection (a full handshake).
    add(Row("gnutls-cli", "", "open", run_gnutls_cli, tls="1.3", resumed=False))
    add(Row("gnutls-cli", "", "open", run_gnutls_cli, tls="1.2", resumed=False,
            family=V6))
    add(Row("gnutls-cli", "no resumption: 522 expected", "strict", run_gnutls_cli,
            tls="1.2", resumed=False, refused=True))
    # rclone (Go): one TLS session cache for all of its connections, so a
    # data connection often resumes a session another control connection
    # received: accepted for the same user from the same address.
    for implicit in (False, True):
        for tls in ("1.3", "1.2"):
            add(Row("rclone", "ftps://" if implicit else "", "strict", run_rclone,
                    tls=tls, verb="EPSV", implicit=implicit))
    # Node basic-ftp: resumes the control session's TLS session.  Its
    # empty uploads may end without close_notify (ftpd(8) BUGS): these rows
    # run with the documented workaround, TLSCLOSENOTIFY OPTIONAL.
    for implicit in (False, True):
        for tls in ("1.3", "1.2"):
            add(Row("basic-ftp", "ftps://" if implicit else "", "strict-notify-optional",
                    run_basic_ftp, tls=tls, verb="EPSV", implicit=implicit))
    return r


def versions():
    out = []
    for prog, args in (("lftp", ["--version"]), ("curl", ["--version"]),
                       ("gnutls-cli", ["--version"])):
        try:
            rc, o, _ = ftptest.run([ftptest.require_program(prog), *args], timeout=10)
            first = o.splitlines()[0] if o else "?"
        except AssertionError as e:
            first = f"MISSING ({e})"
        out.append(f"{prog}: {first.strip()[:90]}")
    out.append(f"python: {sys.version.split()[0]} ssl {ssl.OPENSSL_VERSION}")
    try:
        import multiconn
        out.extend(multiconn.versions())
    except AssertionError as e:
        out.append(f"rclone/node: MISSING ({e})")
    return out


def run_row(row, servers):
    t0 = time.monotonic()
    try:
        if row.family == V6 and not servers[row.config].ipv6:
            raise RowFailure("::1 not available on this machine")
        row.run(row, servers[row.config])
        row.status = "PASS"
    except RowFailure as e:
        row.status, row.reason = "FAIL", str(e)
    except Exception as e:  # a bug in a row must not hide the others
        row.status, row.reason = "FAIL", f"{type(e).__name__}: {e}"[:200]
    if row.xfail:
        try:
            judge_known(row, servers[row.config])
        except Exception as e:  # as above: one row's problem, not the matrix's
            row.status, row.reason = "FAIL", f"judging the known problem: {e}"[:200]
    row.seconds = time.monotonic() - t0
    return row


def row_ok(row):
    return row.status in ("PASS", "XFAIL")


def print_matrix(rows, out):
    w = max(len(r.label()) for r in rows)
    out.write(f"{'client':<10}  {'mode':<{w}}  result  time   reason\n")
    for r in rows:
        out.write(f"{r.client:<10}  {r.label():<{w}}  {r.status:<6}  {r.seconds:4.1f}s"
                  f"  {r.reason}\n")
    failed = sum(not row_ok(r) for r in rows)
    xfail = sum(r.status == "XFAIL" for r in rows)
    out.write(f"{len(rows)} rows, {len(rows) - failed - xfail} passed, "
              f"{xfail} known problems (XFAIL), {failed} failed\n")
    out.flush()


def run_matrix(jobs=8, filters=(), out=sys.stdout):
    """Start the servers, run the rows, print the matrix.  Returns the rows.
    Needs FTPTEST_* set (main() or run.py does it)."""
    chosen = [r for r in rows()
              if not filters or any(re.search(f, f"{r.client} {r.label()}") for f in filters)]
    if not chosen:
        raise SystemExit("interop.py: no row matches")
    for prog in ("lftp", "curl", "gnutls-cli", "rclone", "node"):
        ftptest.require_program(prog)
    servers = Servers(chosen)
    try:
        servers.start()
        for line in versions():
            out.write(line + "\n")
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as ex:
            list(ex.map(lambda r: run_row(r, servers), chosen))
    finally:
        servers.stop()
    print_matrix(chosen, out)
    return chosen


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True, help="build directory: '.' or 'build/san/'")
    ap.add_argument("--jobs", type=int, default=8, help="rows run at once (8)")
    ap.add_argument("filters", nargs="*", help="regular expressions on 'client mode'")
    args = ap.parse_args()
    build = Path(args.build)
    build = (build if build.is_absolute() else Path.cwd() / build).resolve()
    if not (build / "server" / "ftpd").is_file():
        print(f"interop.py: {build}/server/ftpd does not exist", file=sys.stderr)
        return 2
    keep = os.environ.get("KEEP_TMP") == "1"
    tmp = Path(tempfile.mkdtemp(prefix="interop-"))
    os.environ.update(FTPTEST_BUILD=str(build), FTPTEST_SRC=str(SRC), FTPTEST_TMP=str(tmp))

    def on_signal(signum, frame):
        raise KeyboardInterrupt(signal.Signals(signum).name)

    signal.signal(signal.SIGTERM, on_signal)
    t0 = time.monotonic()
    try:
        print(f"interop matrix: ftpd {build / 'server' / 'ftpd'}")
        chosen = run_matrix(args.jobs, args.filters)
    except KeyboardInterrupt as e:
        print(f"interop.py: interrupted ({e}); stopping everything", file=sys.stderr)
        return 3
    except AssertionError as e:       # a server failed (sanitizer report, crash)
        print(f"interop.py: {e}", file=sys.stderr)
        return 1
    finally:
        left = ftptest.live_procs()
        ftptest.stop_all()
        if left:
            print(f"interop.py: stopped processes left running: {left}", file=sys.stderr)
        if keep:
            print(f"interop.py: kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(f"interop.py: {time.monotonic() - t0:.1f}s")
    return 0 if all(row_ok(r) for r in chosen) and not left else 1


if __name__ == "__main__":
    sys.exit(main())
