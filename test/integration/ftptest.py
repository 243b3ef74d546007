"""ftptest: the shared harness of the integration tests (real peers on loopback).

Every test in test/integration/ imports this module.  It knows where the
binaries are, owns the run's temporary directory, makes certificates and test
files, starts and stops processes, and builds the usual lftp and curl command
lines.  Python 3.11 standard library only.

Environment (set by run.py; each has a fallback so that a test module can
also be run with `python3 -m unittest` from this directory):

    FTPTEST_BUILD   build directory: binaries are BUILD/server/ftpd and
                    BUILD/client/ftp (default: the source directory)
    FTPTEST_SRC     source directory (default: two levels above this file)
    FTPTEST_TMP     the run's temporary directory; everything a test writes
                    goes below it (default: a fresh directory, removed at exit)
    PEER_DIR        where test/tools/deps.sh unpacked vsftpd and ProFTPD
                    (default: SRC/build/peers; a relative path is taken
                    relative to SRC, as deps.sh does)

Conventions:

* A missing peer program (lftp, curl, certtool, vsftpd...) is a test
  FAILURE, never a skip: `make check` installs them (require_program()).
* Everything is bounded: every subprocess has a timeout, every poll loop a
  deadline.  A timeout fails the test and shows what the process printed.
* Every process is started in its own session (process group whose id is its
  PID) and stopped by ids only, never by name: first its descendants, found
  by parent PID (vsftpd puts each session in a session of its own, out of
  the group), then the group, SIGTERM and SIGKILL after a grace period.
  Every Proc is also in a registry that run.py (and an atexit hook)
  empties, so a failed assertion never leaks a server; run.py reports what
  a test left running as a failure.
* Nothing is written outside FTPTEST_TMP.  Client programs get HOME and the
  XDG directories inside it, so ~/.lftprc, ~/.curlrc and lftp's history
  files of the developer are neither read nor written, and the *_proxy
  variables are removed so that curl and lftp never talk to a proxy.

API summary (details in each docstring):

    src_dir(), build_dir(), peers_dir(), tmp_root(), tmpdir(name)
    ftpd_path(), ftp_path(), require_program(name), current_user()
    free_port(family), free_port_range(count, family), loopback(family),
    family_of(host), ipv6_available(), require_ipv6(), url_host(host)
    certs() -> Certs (ca_cert, server, wrong_name, self_signed: ServerCert;
                      alice, mallory: ClientCert)
    passwd_hash(password, salt)
    make_file(path, size, seed), sha256(path), make_tree(dir, files),
    STANDARD_FILES
    client_env(extra), run(cmd, ...), run_ok(cmd, ...)
    Proc(cmd, name, ...), ServerProc(cmd, port, ...), stop_all(), live_procs()
    wait_port(host, port, timeout), wait_for(predicate, timeout, what),
    closed_without_data(recv, what)
    lftp_cmd/lftp(...), lftp_quote(s), curl_cmd/curl(...),
    ftp_url(host, port, path)
    ftplib_no_resume_probe(...)
"""

import atexit
import dataclasses
import ftplib
import grp
import hashlib
import os
import pwd
import random
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from pathlib import Path

# Default timeouts, in seconds.  CI machines are slower than laptops; these
# bound a hang, they are not performance assertions.
DEFAULT_TIMEOUT = 60
START_TIMEOUT = 10
STOP_TIMEOUT = 5

# The run's certificates last long enough for any run, but a clock skew
# between certtool and the peer must not make them "not yet valid", hence
# the activation date in the past.
CERT_DAYS = 30


# ---------------------------------------------------------------------------
# Directories

def src_dir():
    """The source tree (the worktree root)."""
    env = os.environ.get("FTPTEST_SRC")
    if env:
        return Path(env).resolve()
    return Path(__file__).resolve().parents[2]


def build_dir():
    """The build directory: `.` for the default build, `build/san/` for the
    sanitizer build.  A relative path is taken relative to src_dir()."""
    env = os.environ.get("FTPTEST_BUILD")
    if not env:
        return src_dir()
    p = Path(env)
    return (p if p.is_absolute() else src_dir() / p).resolve()


def peers_dir():
    """Where test/tools/deps.sh unpacked the vsftpd and proftpd packages."""
    p = Path(os.environ.get("PEER_DIR", "build/peers"))
    return p if p.is_absolute() else src_dir() / p


def ftpd_path():
    """Our server binary in the build directory under test."""
    return build_dir() / "server" / "ftpd"


def ftp_path():
    """Our client binary in the build directory under test."""
    return build_dir() / "client" / "ftp"


_tmp_lock = threading.Lock()
_tmp_root = None


def tmp_root():
    """The run's temporary directory (FTPTEST_TMP).  Outside run.py a fresh
    one is created on first use and removed at interpreter exit unless
    KEEP_TMP=1."""
    global _tmp_root
    with _tmp_lock:
        if _tmp_root is None:
            env = os.environ.get("FTPTEST_TMP")
            if env:
                _tmp_root = Path(env)
                _tmp_root.mkdir(parents=True, exist_ok=True)
            else:
                _tmp_root = Path(tempfile.mkdtemp(prefix="ftptest-"))
                if os.environ.get("KEEP_TMP") == "1":
                    print(f"ftptest: keeping {_tmp_root}")
                else:
                    atexit.register(shutil.rmtree, _tmp_root, True)
        return _tmp_root


_seq_lock = threading.Lock()
_seq = 0


def _next_seq():
    global _seq
    with _seq_lock:
        _seq += 1
        return _seq


def tmpdir(name="t"):
    """A new, empty, uniquely named directory below tmp_root().  `name` is a
    readable prefix (a test or server name); keep it free of '/'."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
    d = tmp_root() / f"{safe}-{_next_seq()}"
    d.mkdir(mode=0o755)
    return d


def require_program(name):
    """The full path of program `name` (looked up in PATH, or taken as a path
    if it contains '/').  A missing program fails the test: peers are
    installed by `make deps`, and a silent skip would hide a lost test."""
    if "/" in str(name):
        p = Path(name)
        if p.is_file() and os.access(p, os.X_OK):
            return str(p)
        raise AssertionError(f"required program {p} is missing "
                             "(run `make deps` / test/tools/deps.sh)")
    found = shutil.which(name)
    if not found:
        raise AssertionError(f"required program {name!r} is not installed "
                             "(run `make deps`)")
    return found


# ---------------------------------------------------------------------------
# Network

def loopback(family=socket.AF_INET):
    """The loopback address of `family`: '127.0.0.1' or '::1'."""
    return "::1" if family == socket.AF_INET6 else "127.0.0.1"


def family_of(host):
    """AF_INET6 if `host` is an IPv6 literal, else AF_INET."""
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def url_host(host):
    """`host` as it goes in a URL: IPv6 literals in brackets."""
    return f"[{host}]" if ":" in host else host


def ipv6_available():
    """True if ::1 can be bound here (some containers have no IPv6)."""
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def require_ipv6():
    """Fail (never skip) when ::1 cannot be bound: the IPv6 tests are part
    of the suite, and a machine without IPv6 loopback cannot pass it."""
    if not ipv6_available():
        raise AssertionError("::1 cannot be bound on this machine: the IPv6 "
                             "tests need IPv6 loopback (never a skip)")


def free_port(family=socket.AF_INET):
    """A TCP port that was free on the loopback address of `family` a moment
    ago (bind to port 0, read it, close).  Another process may take it
    before the caller binds it; that race is accepted."""
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((loopback(family), 0))
        return s.getsockname()[1]


def _ephemeral_range():
    try:
        lo, hi = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(lo), int(hi)
    except (OSError, ValueError):
        return 32768, 60999


def _port_free(family, port):
    with socket.socket(family, socket.SOCK_STREAM) as s:
        try:
            s.bind((loopback(family), port))
            return True
        except OSError:
            return False


def free_port_range(count, family=socket.AF_INET):
    """(first, last): `count` consecutive ports, all free a moment ago, for a
    server's passive port range.  Chosen below the kernel's ephemeral range
    (so that outgoing connections do not take them) at a random place (so
    that concurrent runs in other worktrees rarely collide).  Racy like
    free_port()."""
    eph_lo, _ = _ephemeral_range()
    lo, hi = 20000, max(20000 + 4 * count, eph_lo - 1)
    rng = random.Random()
    for _ in range(200):
        first = rng.randrange(lo, hi - count)
        if all(_port_free(family, p) for p in range(first, first + count)):
            return first, first + count - 1
    raise AssertionError(f"no {count} consecutive free ports in {lo}-{hi}")


def wait_port(host, port, timeout=START_TIMEOUT, proc=None):
    """Poll until a TCP connect to host:port succeeds.  If `proc` (a Proc)
    exits meanwhile, fail at once with its output instead of waiting."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise AssertionError(f"{proc.name} exited with {proc.returncode} "
                                 f"before listening on {host}:{port}\n"
                                 + proc.log())
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as e:
            last = e
        time.sleep(0.05)
    what = proc.name if proc is not None else "server"
    msg = f"{what} did not accept on {host}:{port} within {timeout}s ({last})"
    if proc is not None:
        msg += "\n" + proc.log()
    raise AssertionError(msg)


def closed_without_data(recv, what="the connection"):
    """Call recv() (a socket's or a TLS stream's read, under a timeout)
    once, and require that the peer closed the connection without sending
    a byte: b"" (a FIN, or a close_notify), a TCP EOF inside TLS
    (ssl.SSLEOFError) or a reset all count as closed.  Data fails, and so
    does a timeout: a peer that holds the connection open has not closed
    it."""
    try:
        got = recv()
    except (ssl.SSLEOFError, ConnectionResetError):
        return
    except socket.timeout:
        raise AssertionError(f"{what} was held open (timeout), not closed") from None
    if got:
        raise AssertionError(f"{what} received {len(got)} bytes: {got[:40]!r}")


def wait_for(predicate, timeout=START_TIMEOUT, what="condition", interval=0.05):
    """Poll predicate() until it returns a true value (returned), or fail
    after `timeout` seconds naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        v = predicate()
        if v:
            return v
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


# ---------------------------------------------------------------------------
# Files

def make_file(path, size, seed=0):
    """Create `path` with `size` bytes of deterministic pseudo-random content
    (the same `seed` and size always give the same bytes), mode 0644.  Fast
    enough for tens of MiB.  Returns the Path."""
    path = Path(path)
    rng = random.Random(seed)
    chunk = 1 << 20
    with open(path, "wb") as f:
        left = size
        while left > 0:
            n = min(chunk, left)
            f.write(rng.randbytes(n))
            left -= n
    os.chmod(path, 0o644)
    return path


def sha256(path):
    """Hex SHA-256 of the file at `path`."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(1 << 20)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


# The files every peer serves (name -> size): empty, one byte, and one big
# enough to need many TLS records and several socket buffers.
STANDARD_FILES = {"empty.bin": 0, "one.bin": 1, "big.bin": 5 << 20}


def make_tree(directory, files=None):
    """Fill `directory` with `files` (name -> size; STANDARD_FILES if None),
    seeding each by its size so that equal names have equal content across
    servers.  Returns {name: sha256}."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, size in (STANDARD_FILES if files is None else files).items():
        p = make_file(directory / name, size, seed=size)
        out[name] = sha256(p)
    return out


# ---------------------------------------------------------------------------
# Processes

_live_lock = threading.Lock()
_live = {}


def _register(obj):
    with _live_lock:
        _live[id(obj)] = obj


def _unregister(obj):
    with _live_lock:
        _live.pop(id(obj), None)


def live_procs():
    """Processes started through this module and not stopped yet."""
    with _live_lock:
        return list(_live.values())


def stop_all():
    """Stop every process still registered (by its process group id).
    Called by run.py after the tests and on timeout, and at exit."""
    for p in live_procs():
        try:
            p.stop()
        except Exception as e:  # never let one failure keep others running
            print(f"ftptest: stopping {p!r}: {e}")


atexit.register(stop_all)


def _proc_table():
    """{pid: (ppid, pgid, state, starttime)} of every process, from /proc.
    (pid, starttime) identifies a process even if its PID is reused."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path("/proc", entry, "stat").read_text()
        except OSError:
            continue
        # Fields after the command name, which may contain spaces and ')':
        # state ppid pgrp session tty tpgid flags ... starttime (22nd field).
        rest = stat[stat.rfind(")") + 2:].split()
        if len(rest) > 19:
            table[int(entry)] = (int(rest[1]), int(rest[2]), rest[0], rest[19])
    return table


def _descendants(table, pid):
    """{pid: starttime} of all descendants of `pid` in `table`."""
    kids = {}
    for p, (ppid, _, _, start) in table.items():
        kids.setdefault(ppid, []).append((p, start))
    out, todo = {}, [pid]
    while todo:
        for child, start in kids.get(todo.pop(), ()):
            if child not in out:
                out[child] = start
                todo.append(child)
    return out


def _leftovers(pgid, known, zombies=False):
    """PIDs still there of group `pgid` and of the processes `known`
    ({pid: starttime}); zombies only if asked."""
    left = []
    for p, (_, pg, state, start) in _proc_table().items():
        if state == "Z" and not zombies:
            continue
        if pg == pgid or known.get(p) == start:
            left.append(p)
    return left


def _signal_pids(pids, sig):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except (ProcessLookupError, PermissionError):
            pass


def _kill_group(pgid, sig):
    try:
        os.killpg(pgid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _reap_group(popen, timeout):
    """Stop the process of `popen` and everything it started.  Its process
    group (id = its PID) holds what it forked, except children that made
    themselves session leaders: vsftpd does that for every session.  So
    the leader's descendants are collected first (by parent PID, while the
    leader is alive) and signalled by PID, and the leader waits to reap
    them (otherwise they are orphaned and linger as zombies until init gets
    round to them); then the leader gets SIGTERM, SIGKILL after `timeout`,
    and is reaped; finally, a bounded wait until nothing of the group or of
    those descendants is left, SIGKILL-ing stragglers."""
    pgid = popen.pid
    known = {}
    if popen.poll() is None:
        known = _descendants(_proc_table(), pgid)
        if known:
            _signal_pids(known, signal.SIGTERM)
            end = time.monotonic() + min(timeout, 2.0)
            while (time.monotonic() < end and popen.poll() is None
                   and [p for p in _leftovers(pgid, known, zombies=True) if p != pgid]):
                time.sleep(0.01)
        _kill_group(pgid, signal.SIGTERM)
        try:
            popen.wait(timeout)
        except subprocess.TimeoutExpired:
            _kill_group(pgid, signal.SIGKILL)
            popen.wait(timeout)
    deadline = time.monotonic() + timeout
    sent_term = False
    while True:
        left = _leftovers(pgid, known)
        if not left:
            break
        if not sent_term:
            _kill_group(pgid, signal.SIGTERM)
            _signal_pids(left, signal.SIGTERM)
            sent_term = True
        if time.monotonic() >= deadline:
            _kill_group(pgid, signal.SIGKILL)
            _signal_pids(left, signal.SIGKILL)
            wait_for(lambda: not _leftovers(pgid, known), timeout,
                     f"processes of group {pgid} to exit after SIGKILL")
            break
        time.sleep(0.02)
    return popen.returncode


def _base_env(extra=None):
    env = {k: v for k, v in os.environ.items()
           if not k.lower().endswith("_proxy")}
    home = tmp_root() / "home"
    for d in ("", ".config", ".local/share", ".cache"):
        (home / d).mkdir(parents=True, exist_ok=True)
    env.update({
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "LC_ALL": "C.UTF-8",
        "TZ": "UTC",
    })
    if extra:
        env.update(extra)
    return env


def client_env(extra=None):
    """The environment for a client program: ours minus *_proxy, with HOME
    and XDG_* inside the run's temporary directory, LC_ALL=C.UTF-8, TZ=UTC,
    then `extra` (a dict) on top."""
    return _base_env(extra)


class Proc:
    """A long-running process (typically a server), started in its own
    session, with stdout/stderr in files below the run's temp dir.

        p = Proc(["vsftpd", conf], name="vsftpd").start()
        p.wait_port("127.0.0.1", port)
        ...
        p.stop()            # SIGTERM to its group, SIGKILL after a grace period

    Also a context manager (`with Proc(...) as p:` starts and stops it).
    Every started Proc is registered; stop_all() stops what is left.

    cmd: argv list.  name: label for files and messages.  env: extra
    environment (on top of client_env()).  cwd: working directory.
    tmp: directory for the output files (default: a new tmpdir(name)).
    extra_groups: supplementary group ids to start it with (root only).
    """

    def __init__(self, cmd, name=None, env=None, cwd=None, tmp=None, extra_groups=None):
        self.cmd = [str(c) for c in cmd]
        self.extra_groups = extra_groups
        self.name = name or Path(self.cmd[0]).name
        self.env = env
        self.cwd = cwd
        self.tmp = Path(tmp) if tmp else None
        self.popen = None
        self.stdout_path = None
        self.stderr_path = None

    def __repr__(self):
        pid = self.popen.pid if self.popen else None
        return f"<Proc {self.name} pid={pid}>"

    @property
    def pid(self):
        return self.popen.pid if self.popen else None

    @property
    def returncode(self):
        return self.popen.poll() if self.popen else None

    def alive(self):
        return self.popen is not None and self.popen.poll() is None

    def start(self):
        if self.popen is not None:
            raise RuntimeError(f"{self.name} already started")
        if self.tmp is None:
            self.tmp = tmpdir(self.name)
        self.tmp.mkdir(parents=True, exist_ok=True)
        n = _next_seq()
        self.stdout_path = self.tmp / f"{self.name}-{n}.stdout"
        self.stderr_path = self.tmp / f"{self.name}-{n}.stderr"
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            # start_new_session: the process leads a new process group whose
            # id is its PID, so stop() reaches its forked children too
            # without ever naming a process.
            self.popen = subprocess.Popen(
                self.cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                env=_base_env(self.env), cwd=self.cwd, start_new_session=True,
                extra_groups=self.extra_groups)
        _register(self)
        return self

    def wait_port(self, host, port, timeout=START_TIMEOUT):
        """Poll until host:port accepts; fail early, with the output, if the
        process exits first."""
        wait_port(host, port, timeout, proc=self)

    def stop(self, timeout=STOP_TIMEOUT):
        """Stop the process and every member of its process group (SIGTERM,
        SIGKILL after `timeout`), reap it.  Idempotent.  Returns the exit
        status (negative: killed by that signal)."""
        if self.popen is None:
            return None
        try:
            return _reap_group(self.popen, timeout)
        finally:
            _unregister(self)

    def output(self):
        """What the process wrote to stdout and stderr so far."""
        parts = []
        for label, p in (("stdout", self.stdout_path), ("stderr", self.stderr_path)):
            if p is not None and p.exists():
                text = p.read_text(errors="replace")
                if text:
                    parts.append(f"--- {self.name} {label} ---\n{text}")
        return "\n".join(parts)

    def log(self):
        """Everything the process printed (for failure messages)."""
        return self.output()

    def __enter__(self):
        if self.popen is None:
            self.start()
        return self

    def __exit__(self, *exc):
        self.stop()
        return False


class ServerProc(Proc):
    """A Proc that is ready when `port` on `host` accepts connections.

        srv = ServerProc([ftpd, "-f", conf], port=port, tmp=d,
                         logs=[d / "ftpd.log"]).start()

    start() fails (and stops the process) with the output and the content of
    every file in `logs` if the port does not open within `ready_timeout`.
    log() includes those files too.
    """

    def __init__(self, cmd, port, host="127.0.0.1", tmp=None, name=None,
                 env=None, cwd=None, logs=(), ready_timeout=START_TIMEOUT,
                 extra_groups=None):
        super().__init__(cmd, name=name, env=env, cwd=cwd, tmp=tmp,
                         extra_groups=extra_groups)
        self.host = host
        self.port = port
        self.logs = [Path(p) for p in logs]
        self.ready_timeout = ready_timeout

    def start(self):
        super().start()
        try:
            wait_port(self.host, self.port, self.ready_timeout, proc=self)
        except AssertionError as e:
            self.stop()
            raise AssertionError(f"{e}\n{self.extra_logs()}") from None
        return self

    def extra_logs(self):
        parts = []
        for p in self.logs:
            if p.exists() and p.stat().st_size:
                parts.append(f"--- {p.name} ---\n{p.read_text(errors='replace')}")
        return "\n".join(parts)

    def log(self):
        return "\n".join(x for x in (self.output(), self.extra_logs()) if x)


class _Running:
    """A short-lived process of run(), registered so that a global timeout
    still stops it."""

    def __init__(self, popen, name):
        self.popen = popen
        self.name = name

    def __repr__(self):
        return f"<run {self.name} pid={self.popen.pid}>"

    def stop(self, timeout=STOP_TIMEOUT):
        try:
            return _reap_group(self.popen, timeout)
        finally:
            _unregister(self)


def _decode(b):
    return b.decode("utf-8", errors="replace") if isinstance(b, bytes) else (b or "")


def _show(cmd, rc, out, err):
    return (f"command: {' '.join(str(c) for c in cmd)}\nexit: {rc}\n"
            f"--- stdout ---\n{out}\n--- stderr ---\n{err}")


def run(cmd, timeout=DEFAULT_TIMEOUT, input=None, env=None, cwd=None):
    """Run a client command to completion: returns (exit code, stdout,
    stderr) as text.  stdin is `input` (str or bytes) or /dev/null.  `env`
    is a dict added to client_env().  On timeout the command's whole process
    group is killed and the test fails with what it printed."""
    cmd = [str(c) for c in cmd]
    popen = subprocess.Popen(
        cmd, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=client_env(env),
        cwd=cwd, start_new_session=True)
    running = _Running(popen, Path(cmd[0]).name)
    _register(running)
    if isinstance(input, str):
        input = input.encode()
    try:
        try:
            out, err = popen.communicate(input, timeout=timeout)
        except subprocess.TimeoutExpired:
            _kill_group(popen.pid, signal.SIGKILL)
            out, err = popen.communicate(timeout=STOP_TIMEOUT)
            raise AssertionError(f"timed out after {timeout}s\n"
                                 + _show(cmd, None, _decode(out), _decode(err))) from None
    finally:
        running.stop()
    return popen.returncode, _decode(out), _decode(err)


def run_ok(cmd, timeout=DEFAULT_TIMEOUT, input=None, env=None, cwd=None):
    """run(), and fail the test (showing the output) unless it exits 0.
    Returns (stdout, stderr)."""
    rc, out, err = run(cmd, timeout=timeout, input=input, env=env, cwd=cwd)
    if rc != 0:
        raise AssertionError(_show(cmd, rc, out, err))
    return out, err


# ---------------------------------------------------------------------------
# Certificates (certtool, ECDSA P-256, generated once per run)

@dataclasses.dataclass(frozen=True)
class ServerCert:
    """A server certificate.  keyring: ONE PEM file with the key, then the
    certificate, then the issuing CA (our KEYRING format; also accepted by
    vsftpd and ProFTPD as both certificate and key file)."""
    key: Path
    cert: Path
    keyring: Path


@dataclasses.dataclass(frozen=True)
class ClientCert:
    """A client certificate.  pem: key then certificate in one file.
    sha256_hex: lowercase hex of the SHA-256 of the DER certificate, as
    `certtool -i` prints it ("sha256:..." under Fingerprint).  sha256_colon:
    the same, colon-separated byte pairs (lowercase; .upper() gives the
    `openssl x509 -fingerprint -sha256` form).  dn / issuer_dn: as GnuTLS
    prints them (RFC 4514 order, e.g. "CN=alice,O=ftptest")."""
    key: Path
    cert: Path
    pem: Path
    sha256_hex: str
    sha256_colon: str
    dn: str
    issuer_dn: str


@dataclasses.dataclass(frozen=True)
class Certs:
    """Everything certs() makes:
    ca_cert / ca_key          the throwaway CA that clients and servers trust
    server                    CN=localhost, SAN DNS localhost, IP 127.0.0.1, ::1
    wrong_name                CN=wrong.example (SAN DNS wrong.example), same CA
    self_signed               CN=localhost, same SANs, signed by itself
    alice                     client certificate CN=alice from the CA
    mallory                   client certificate CN=mallory from untrusted_ca_cert
    """
    dir: Path
    ca_cert: Path
    ca_key: Path
    untrusted_ca_cert: Path
    server: ServerCert
    wrong_name: ServerCert
    self_signed: ServerCert
    alice: ClientCert
    mallory: ClientCert


_certs_lock = threading.Lock()
_certs = None


def _certtool(args, what):
    tool = require_program("certtool")
    rc, out, err = run([tool, *args], timeout=30)
    if rc != 0:
        raise AssertionError(f"certtool failed ({what}):\n{out}\n{err}")
    return out


def _genkey(path):
    _certtool(["--generate-privkey", "--key-type", "ecdsa", "--curve", "secp256r1",
               "--no-text", "--outfile", str(path)], f"key {path.name}")
    os.chmod(path, 0o600)


def _template(path, lines):
    path.write_text("\n".join(lines + [f"expiration_days = {CERT_DAYS}",
                                       'activation_date = "2020-01-01 00:00:00 UTC"', ""]))
    return path


def _sign(d, name, cn, lines, ca=None):
    """Key + certificate `name` in `d`; self-signed if ca is None, else
    signed by ca=(cert, key)."""
    key = d / f"{name}.key"
    cert = d / f"{name}.crt"
    _genkey(key)
    tmpl = _template(d / f"{name}.tmpl", [f'cn = "{cn}"'] + lines)
    if ca is None:
        _certtool(["--generate-self-signed", "--load-privkey", str(key),
                   "--template", str(tmpl), "--outfile", str(cert)], name)
    else:
        _certtool(["--generate-certificate", "--load-privkey", str(key),
                   "--load-ca-certificate", str(ca[0]), "--load-ca-privkey", str(ca[1]),
                   "--template", str(tmpl), "--outfile", str(cert)], name)
    # certtool writes the text dump before the PEM; keep the PEM only, so
    # that every consumer (OpenSSL's chain reader included) sees clean PEM.
    text = cert.read_text()
    cert.write_text(text[text.index("-----BEGIN CERTIFICATE-----"):])
    return key, cert


def _keyring(path, *parts):
    path.write_text("".join(Path(p).read_text() for p in parts))
    os.chmod(path, 0o600)
    return path


def _cert_info(cert):
    """(sha256 hex, subject DN, issuer DN) as certtool -i prints them, and
    checked against our own hash of the DER."""
    out = _certtool(["-i", "--infile", str(cert)], f"info {cert.name}")
    subject = issuer = fp = None
    lines = out.splitlines()
    for i, line in enumerate(lines):
        s = line.strip()
        if s.startswith("Subject:") and subject is None:
            subject = s[len("Subject:"):].strip()
        elif s.startswith("Issuer:") and issuer is None:
            issuer = s[len("Issuer:"):].strip()
        elif s == "Fingerprint:":
            for nxt in lines[i + 1:i + 4]:
                if nxt.strip().startswith("sha256:"):
                    fp = nxt.strip()[len("sha256:"):]
    der = ssl.PEM_cert_to_DER_cert(Path(cert).read_text())
    ours = hashlib.sha256(der).hexdigest()
    if fp != ours:
        raise AssertionError(f"certtool fingerprint {fp} != sha256(DER) {ours}")
    return fp, subject, issuer


def _client(d, name, cn, ca):
    key, cert = _sign(d, name, cn, ['organization = "ftptest"', "tls_www_client",
                                    "signing_key"], ca)
    fp, dn, issuer = _cert_info(cert)
    return ClientCert(key=key, cert=cert, pem=_keyring(d / f"{name}.pem", key, cert),
                      sha256_hex=fp,
                      sha256_colon=":".join(fp[i:i + 2] for i in range(0, len(fp), 2)),
                      dn=dn, issuer_dn=issuer)


def _make_certs(d):
    ca_lines = ["ca", "cert_signing_key", "crl_signing_key"]
    ca_key, ca_cert = _sign(d, "ca", "ftptest CA", ca_lines)
    bad_key, bad_ca = _sign(d, "untrusted-ca", "ftptest untrusted CA", ca_lines)
    ca = (ca_cert, ca_key)
    srv_lines = ['dns_name = "localhost"', 'ip_address = "127.0.0.1"',
                 'ip_address = "::1"', "tls_www_server", "signing_key"]

    def server(name, cn, lines, issuer):
        key, cert = _sign(d, name, cn, lines, issuer)
        chain = [key, cert] + ([issuer[0]] if issuer else [])
        return ServerCert(key=key, cert=cert, keyring=_keyring(d / f"{name}.pem", *chain))

    return Certs(
        dir=d, ca_cert=ca_cert, ca_key=ca_key, untrusted_ca_cert=bad_ca,
        server=server("server", "localhost", srv_lines, ca),
        wrong_name=server("wrong", "wrong.example",
                          ['dns_name = "wrong.example"', "tls_www_server", "signing_key"], ca),
        self_signed=server("selfsigned", "localhost", srv_lines, None),
        alice=_client(d, "alice", "alice", ca),
        mallory=_client(d, "mallory", "mallory", (bad_ca, bad_key)))


def certs():
    """The run's certificates (a Certs), generated on first use into
    tmp_root()/certs and cached for the rest of the run."""
    global _certs
    with _certs_lock:
        if _certs is None:
            d = tmp_root() / "certs"
            if d.exists():
                shutil.rmtree(d)
            d.mkdir()
            _certs = _make_certs(d)
        return _certs


def passwd_hash(password, salt="ftptestsalt"):
    """crypt(3) SHA-512 hash ("$6$salt$...") of `password`, for USERFILE and
    AuthUserFile entries, made by `openssl passwd -6`.  A fixed salt keeps
    runs reproducible (salt: up to 16 of [A-Za-z0-9./])."""
    out, _ = run_ok([require_program("openssl"), "passwd", "-6", "-salt", salt,
                     "-stdin"], input=password + "\n", timeout=10)
    return out.strip()


def current_user():
    """(user name, group name, uid, gid) of the process.  Peers run as this
    user; it must have a passwd entry (vsftpd looks its name up)."""
    uid, gid = os.getuid(), os.getgid()
    try:
        user = pwd.getpwuid(uid).pw_name
    except KeyError:
        raise AssertionError(f"uid {uid} has no passwd entry; the peers need one")
    try:
        group = grp.getgrgid(gid).gr_name
    except KeyError:
        raise AssertionError(f"gid {gid} has no group entry; the peers need one")
    return user, group, uid, gid


# ---------------------------------------------------------------------------
# Client command lines

def ftp_url(host, port, path=""):
    """ftp://host:port/path with IPv6 literals in brackets (give curl
    --globoff, which curl_cmd() does)."""
    return f"ftp://{url_host(host)}:{port}/{path.lstrip('/')}"


def lftp_quote(s):
    """`s` quoted for an lftp command line."""
    return '"' + str(s).replace("\\", "\\\\").replace('"', '\\"') + '"'


_GNUTLS_PRIO = {None: "NORMAL",
                "1.2": "NORMAL:-VERS-ALL:+VERS-TLS1.2",
                "1.3": "NORMAL:-VERS-ALL:+VERS-TLS1.3"}
_CURL_TLS = {None: [],
             "1.2": ["--tlsv1.2", "--tls-max", "1.2"],
             "1.3": ["--tlsv1.3", "--tls-max", "1.3"]}


def lftp_cmd(host, port, user, password, commands, cafile=None, tls=None,
             check_hostname=True, cert=None, key=None, settings=(), debug=True):
    """argv for `lftp -c SCRIPT`: explicit FTPS (AUTH TLS, PROT P forced,
    certificate verified against `cafile`, host name checked unless
    check_hostname is False), fail on the first failing command, one try,
    10 s network timeout.  tls: None, "1.2" or "1.3" pins the version through
    the GnuTLS priority string.  cert/key: client certificate files.
    settings: extra "set" commands ("name value" strings), applied last.
    commands: lftp commands (strings) run after `open`, e.g.
    ["cls -1", "get big.bin -o /tmp/x"].  debug: -d (goes to stderr)."""
    sets = [
        "cmd:interactive false",
        "cmd:fail-exit true",
        "net:max-retries 1",
        "net:persist-retries 0",
        "net:reconnect-interval-base 1",
        "net:timeout 10",
        "ftp:passive-mode true",
        "ftp:ssl-allow true",
        "ftp:ssl-force true",
        "ftp:ssl-protect-data true",
        "ftp:ssl-protect-list true",
        # lftp never sends AUTH for anonymous logins unless told to (and
        # ftp:ssl-force then just fails): vsftpd runs anonymous here.
        "ftp:ssl-allow-anonymous true",
        "ssl:verify-certificate true",
        f"ssl:check-hostname {'true' if check_hostname else 'false'}",
        f"ssl:priority {lftp_quote(_GNUTLS_PRIO[tls])}",
        "xfer:clobber true",
        "xfer:log false",
    ]
    if cafile:
        sets.append(f"ssl:ca-file {lftp_quote(cafile)}")
    if cert:
        sets.append(f"ssl:cert-file {lftp_quote(cert)}")
    if key:
        sets.append(f"ssl:key-file {lftp_quote(key)}")
    sets.extend(settings)
    script = [f"set {s}" for s in sets]
    script.append(f"open -u {lftp_quote(user + ',' + password)} "
                  f"{lftp_quote(ftp_url(host, port))}")
    script.extend(commands)
    argv = [require_program("lftp")]
    if debug:
        argv.append("-d")
    return argv + ["-c", "; ".join(script)]


def lftp(host, port, user, password, commands, timeout=DEFAULT_TIMEOUT, **kw):
    """Run lftp_cmd(...): returns (exit code, stdout, stderr)."""
    return run(lftp_cmd(host, port, user, password, commands, **kw), timeout=timeout)


def curl_cmd(args, user=None, password=None, cafile=None, tls=None, max_time=30,
             ssl_reqd=True, cert=None, key=None, verbose=True):
    """argv for curl: `-q` (no ~/.curlrc), --ssl-reqd (explicit FTPS with
    AUTH, and PROT P on data), --cacert `cafile`, --max-time, --globoff
    (IPv6 URLs), --user, then `args` (URLs with -o/-T etc., in curl's own
    pairing order: the n-th -o/-T goes with the n-th URL).  tls: None, "1.2"
    or "1.3" (min and max pinned).  verbose: -v, the protocol transcript on
    stderr for failure messages."""
    argv = [require_program("curl"), "-q", "--silent", "--show-error", "--globoff",
            "--max-time", str(max_time)]
    if verbose:
        argv.append("--verbose")
    if ssl_reqd:
        argv.append("--ssl-reqd")
    if cafile:
        argv += ["--cacert", str(cafile)]
    if user is not None:
        argv += ["--user", f"{user}:{password or ''}"]
    if cert:
        argv += ["--cert", str(cert)]
    if key:
        argv += ["--key", str(key)]
    return argv + _CURL_TLS[tls] + [str(a) for a in args]


def curl(args, timeout=None, **kw):
    """Run curl_cmd(args, ...): returns (exit code, stdout, stderr).  The
    process timeout defaults to max_time + 15 s."""
    argv = curl_cmd(args, **kw)
    if timeout is None:
        timeout = kw.get("max_time", 30) + 15
    return run(argv, timeout=timeout)


def ftplib_no_resume_probe(host, port, user, password, cafile, tls=None, timeout=10):
    """Log in with Python's ftplib.FTP_TLS (explicit TLS, certificate
    checked), PROT P, then NLST.  ftplib never resumes the control
    connection's TLS session on a data connection (cpython#63699), so a
    server that requires session reuse must refuse the listing.

    Returns the final reply line (e.g. "522 SSL connection failed: ...")
    when the server refused with a 4xx/5xx reply; fails the test if the
    listing succeeded or if something else broke first.  Runs in-process,
    bounded by `timeout` per socket operation."""
    ctx = ssl.create_default_context(cafile=str(cafile))
    if tls:
        v = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}[tls]
        ctx.minimum_version = ctx.maximum_version = v
    f = ftplib.FTP_TLS(context=ctx, timeout=timeout)
    try:
        f.connect(host, port)
        f.auth()
        f.login(user, password)
        f.prot_p()
        try:
            names = f.nlst()
        except (ftplib.error_temp, ftplib.error_perm) as e:
            return str(e)
        except (ssl.SSLError, OSError) as e:
            # The server may close the data connection during or right after
            # the handshake; its verdict then still comes on the control
            # connection.
            try:
                f.voidresp()
            except (ftplib.error_temp, ftplib.error_perm) as e2:
                return str(e2)
            raise AssertionError(f"data connection failed ({e!r}) but the "
                                 "server replied success") from None
        raise AssertionError("server accepted a data connection that did not "
                             f"resume the control TLS session (NLST: {names!r})")
    finally:
        try:
            f.close()
        except OSError:
            pass
