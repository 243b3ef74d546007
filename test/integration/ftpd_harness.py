"""ftpd_harness: start our ftpd on loopback with a member the test writes.

    from ftpd_harness import Ftpd

    with Ftpd("basic", member={"INACTIVE": 5}) as srv:     # or srv.start()
        f = srv.ftplib()                 # ftplib.FTP, logged in as srv.user
        f.storbinary("STOR x", fp)
        srv.home() / "x"                 # the uploaded file on disk
    # leaving the block stopped ftpd by its PID (SIGTERM, SIGKILL after a
    # grace period) and checked that it exited 0 without a sanitizer report

Everything a server needs is made in a new directory below the run's
temporary directory (ftptest.tmpdir): the member (ftpd.data), a USERFILE
(users), one home directory per user (home/NAME), the transfer log
(xferlog) and the PID file (ftpd.pid).  The member always codes PORT (a free
port), LISTENADDRESS (`hosts`), USERFILE, XFERLOG and PIDFILE; the test's
statements come after them, so a test may override any of them (the last
statement of a keyword wins), and EXTENSIONS statements add to the defaults.

Privileges.  CI runs as root; ftpd started as root binds, then switches to
RUNAS (`nobody` unless the member says otherwise) and serves every session
as that account.  So, when we are root, the harness gives RUNAS what it must
reach after the switch: the homes are chowned to it (uploads must work),
the run's temporary directory gets o+x (mkdtemp makes it 0700, and the homes
are below it), and the member, the USERFILE (mode 0644, owned by root: ftpd
refuses a USERFILE others may write) and a copy of the KEYRING (owned by
RUNAS, 0600) stay readable by it, so that SIGHUP, which re-reads them as
RUNAS, works.  When we are not root, ftpd ignores RUNAS and runs as us.

API (details in each docstring):

    Ftpd(name, member=None, users=None, hosts=("127.0.0.1",), tls=False,
         verbose=True, args=(), user_options=None)
        .start(detach=False, extra_groups=None), .stop(check=True) -> exit
        status, `with`,
        .wait_exit(timeout, check=True) -> exit status (after a signal)
        .port, .host, .hosts, .dir, .member_path, .userfile_path,
        .xferlog_path, .pid_path, .keyring_path, .cafile (tls=True),
        .pid, .alive(), .proc (the ftptest.ServerProc), .user, .password,
        .users, .runas, .run_uid, .run_gid
        .home(user=None) -> Path, .give(path), .url(path, host=None)
        .write_member(member), .signal(sig), .hup()
        .log() -> str (stderr and transfer log), .stderr(), .xferlog(),
        .wait_log(text, timeout), .sanitizer_reports() -> [str]
        .ftplib(host=None, login=True, user=None, password=None, timeout=10)
    runas_account() -> (name, uid, gid): whom ftpd serves sessions as
    ftpd_check(member_path) -> (exit code, stdout, stderr) of `ftpd -t -f`
    stop_pid(pid, timeout): stop a process that is not our child (ftpd -d)

Sanitizers: a sanitizer build (make SAN=address,undefined) reports on
stderr, which the harness keeps; a detached ftpd has no stderr, so its
reports go to files in .dir/sanitizer/ (ASAN_OPTIONS and UBSAN_OPTIONS
log_path).  stop() fails on either.

Python 3.11 standard library only.
"""

import ftplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import ftptest

DEFAULT_USER = "alice"
DEFAULT_PASSWORD = "alice-Secret-1"

# What a sanitizer prints when it finds something; with
# -fno-sanitize-recover=all the process also dies, but a report in the log
# is the clearest evidence.
_SANITIZER_RE = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|"
                           r"SUMMARY: (Address|Undefined|Leak)Sanitizer")

_hash_cache = {}


def _passwd_hash(password):
    # openssl runs once per distinct password and run, not once per server.
    if password not in _hash_cache:
        _hash_cache[password] = ftptest.passwd_hash(password)
    return _hash_cache[password]


def runas_account(member_runas="nobody"):
    """(name, uid, gid) of the account ftpd serves sessions as: RUNAS when
    we are root, else ourselves (ftpd ignores RUNAS when not root)."""
    if os.geteuid() == 0:
        pw = pwd.getpwnam(member_runas)
        return pw.pw_name, pw.pw_uid, pw.pw_gid
    user, _, uid, gid = ftptest.current_user()
    return user, uid, gid


def _give(path, uid, gid):
    """chown -R path to uid:gid when we are root (a no-op otherwise)."""
    if os.geteuid() != 0:
        return
    os.chown(path, uid, gid)
    if path.is_dir():
        for dirpath, dirnames, filenames in os.walk(path):
            for n in dirnames + filenames:
                os.chown(os.path.join(dirpath, n), uid, gid, follow_symlinks=False)


def _member_lines(member):
    """A member given as a dict {KEYWORD: value} (a list or tuple value is
    written as "(a,b)"; None writes the keyword alone), a list of lines, or
    a string."""
    if member is None:
        return []
    if isinstance(member, str):
        return member.splitlines()
    if isinstance(member, dict):
        lines = []
        for k, v in member.items():
            if v is None:
                lines.append(k)
            elif isinstance(v, (list, tuple)):
                lines.append(f"{k} ({','.join(str(x) for x in v)})")
            else:
                lines.append(f"{k} {v}")
        return lines
    return list(member)


def free_port_all(hosts):
    """A TCP port free a moment ago on every address of `hosts`."""
    for _ in range(50):
        port = ftptest.free_port(ftptest.family_of(hosts[0]))
        ok = True
        for h in hosts[1:]:
            with socket.socket(ftptest.family_of(h), socket.SOCK_STREAM) as s:
                try:
                    s.bind((h, port))
                except OSError:
                    ok = False
        if ok:
            return port
    raise AssertionError(f"no port free on all of {hosts}")


class Ftpd:
    """One ftpd with its own member, users and homes.

    name     readable prefix for the directory and messages
    member   the test's statements: dict, list of lines or text (see above)
    users    {name: password}; default {"alice": DEFAULT_PASSWORD}.  The
             first is `user` / `password`.  A password of None writes "*"
             (no password login: e.g. the account ANONYMOUS maps to).
    hosts    addresses to listen on: ("127.0.0.1",), ("::1",) or both
    tls      add EXTENSIONS AUTH_TLS and a KEYRING (the run's CA-signed
             certificate for localhost, 127.0.0.1 and ::1; CA: .cafile)
    verbose  -v: ftpd logs every command and reply (debug level)
    args     more ftpd arguments
    user_options  {name: "readonly,umask=077"}: the options field of those
             users' USERFILE lines
    """

    def __init__(self, name="ftpd", member=None, users=None, hosts=("127.0.0.1",),
                 tls=False, verbose=True, args=(), user_options=None):
        self.name = name
        self.hosts = tuple(hosts)
        self.host = self.hosts[0]
        self.users = dict(users) if users is not None else {DEFAULT_USER: DEFAULT_PASSWORD}
        self.user = next(iter(self.users))
        self.password = self.users[self.user]
        self.tls = tls
        self.verbose = verbose
        self.args = list(args)
        self.user_options = dict(user_options or {})
        self.proc = None
        self.daemon_pid = None
        self.exit_status = None
        self.dir = ftptest.tmpdir(name)
        self.member_path = self.dir / "ftpd.data"
        self.userfile_path = self.dir / "users"
        self.xferlog_path = self.dir / "xferlog"
        self.pid_path = self.dir / "ftpd.pid"
        self.keyring_path = self.dir / "keyring.pem"
        self.cafile = None
        self.port = free_port_all(self.hosts)
        self.runas, self.run_uid, self.run_gid = runas_account()
        self._prepare()
        self.write_member(member)

    def __repr__(self):
        return f"<Ftpd {self.name} {ftptest.url_host(self.host)}:{self.port}>"

    # --- set-up ----------------------------------------------------------

    def _prepare(self):
        if os.geteuid() == 0:
            # The homes are below the run's directory, which mkdtemp made
            # 0700: RUNAS must be able to pass through it.
            root = ftptest.tmp_root()
            os.chmod(root, os.stat(root).st_mode | 0o711)
        lines = []
        for u, pw in self.users.items():
            home = self.home(u)
            home.mkdir(parents=True)
            _give(home, self.run_uid, self.run_gid)
            line = f"{u}:{_passwd_hash(pw) if pw is not None else '*'}:{home}"
            if self.user_options.get(u):
                line += f":{self.user_options[u]}"
            lines.append(line)
        self.userfile_path.write_text("\n".join(lines) + "\n")
        os.chmod(self.userfile_path, 0o644)
        if self.tls:
            c = ftptest.certs()
            shutil.copyfile(c.server.keyring, self.keyring_path)
            os.chmod(self.keyring_path, 0o600)
            _give(self.keyring_path, self.run_uid, self.run_gid)
            self.cafile = c.ca_cert

    def _base_lines(self):
        lines = ["; written by ftpd_harness",
                 f"PORT {self.port}",
                 f"LISTENADDRESS ({','.join(self.hosts)})",
                 f"USERFILE {self.userfile_path}",
                 f"XFERLOG {self.xferlog_path}",
                 f"PIDFILE {self.pid_path}"]
        if self.tls:
            lines += ["EXTENSIONS AUTH_TLS", f"KEYRING {self.keyring_path}"]
        return lines

    def write_member(self, member):
        """(Re)write the member: the harness's statements, then `member`.
        ftpd reads it at start and on SIGHUP."""
        text = "\n".join(self._base_lines() + _member_lines(member)) + "\n"
        self.member_path.write_text(text)
        os.chmod(self.member_path, 0o644)

    def home(self, user=None):
        """The home directory (the FTP root) of `user` (default: .user)."""
        return self.dir / "home" / (user or self.user)

    def give(self, path):
        """Make `path` (a file or tree the test created in a home) belong to
        the account ftpd serves as, so sessions may change it."""
        _give(Path(path), self.run_uid, self.run_gid)

    # --- life --------------------------------------------------------------

    def _cmd(self, detach):
        cmd = [ftptest.ftpd_path(), "-f", self.member_path]
        if self.verbose:
            cmd.append("-v")
        if detach:
            cmd.append("-d")
        return cmd + self.args

    def _sanitizer_env(self):
        """Sanitizer reports of a detached ftpd go to files that RUNAS can
        write; other programs ignore these variables."""
        d = self.dir / "sanitizer"
        d.mkdir(exist_ok=True)
        _give(d, self.run_uid, self.run_gid)
        env = {}
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            old = os.environ.get(var)
            env[var] = (old + ":" if old else "") + f"log_path={d}/{var[:4].lower()}"
        return env

    def start(self, detach=False, extra_groups=None):
        """Start ftpd and wait until every address of `hosts` accepts on
        .port, and the sessions of those probes have ended; fails with
        ftpd's output if it does not within a few seconds.  Returns self.

        detach: run `ftpd -d`: the process we start must exit 0 at once,
        leaving a daemon in a session of its own whose PID is read from
        PIDFILE (.pid); stop() then stops that PID.

        extra_groups: supplementary group ids ftpd starts with (as root),
        to see that the switch to RUNAS drops them."""
        if not detach:
            self.proc = ftptest.ServerProc(self._cmd(False), self.port, host=self.host,
                                           tmp=self.dir, name="ftpd",
                                           logs=[self.xferlog_path],
                                           extra_groups=extra_groups)
            self.proc.start()
        else:
            self._start_detached()
        for h in self.hosts[1:] if not detach else self.hosts:
            ftptest.wait_port(h, self.port, proc=self.proc)
        if not detach:
            # Each address was probed with one connection: wait until ftpd
            # has seen them close, so that session counts (MAXSESSIONS,
            # MAXSESSIONSPERIP) start from zero for the test.
            ftptest.wait_for(lambda: self.stderr().count("session closed:") >= len(self.hosts),
                             ftptest.START_TIMEOUT, f"{self.name}: the probes' sessions to end")
        return self

    def _start_detached(self):
        # Not ftptest.run(): it would signal what is left of the starter's
        # process group, and the daemon belongs to it until it calls setsid.
        starter = subprocess.Popen([str(c) for c in self._cmd(True)],
                                   stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True,
                                   env=ftptest.client_env(self._sanitizer_env()))
        try:
            out, err = starter.communicate(timeout=ftptest.START_TIMEOUT)
        except subprocess.TimeoutExpired:
            starter.kill()
            starter.communicate()
            raise AssertionError(f"{self.name}: ftpd -d did not return") from None
        if starter.returncode != 0:
            raise AssertionError(f"{self.name}: ftpd -d exited {starter.returncode}\n"
                                 f"{out.decode(errors='replace')}{err.decode(errors='replace')}")
        ftptest.wait_for(lambda: self.pid_path.exists() and self.pid_path.read_text().strip(),
                         ftptest.START_TIMEOUT, f"{self.pid_path}")
        self.daemon_pid = int(self.pid_path.read_text())
        self.starter_pid = starter.pid
        _Detached(self)

    @property
    def pid(self):
        if self.daemon_pid is not None:
            return self.daemon_pid
        return self.proc.pid if self.proc else None

    def alive(self):
        if self.daemon_pid is not None:
            return _proc_start_time(self.daemon_pid) is not None
        return self.proc is not None and self.proc.alive()

    def stop(self, check=True):
        """Stop ftpd by its PID (SIGTERM, SIGKILL after a grace period) and
        return its exit status (a detached ftpd is not our child: 0 if it
        exited on SIGTERM, -9 if it had to be killed).  check: fail unless
        it exited 0 (a graceful stop) and reported nothing through a
        sanitizer.  Idempotent: a second call returns the first status and
        checks nothing."""
        if self.exit_status is not None:
            return self.exit_status
        if self.daemon_pid is not None:
            killed = stop_pid(self.daemon_pid)
            _Detached.forget(self)
            self.exit_status = -signal.SIGKILL if killed else 0
        elif self.proc is not None:
            self.exit_status = self.proc.stop()
        else:
            return None
        if check:
            reports = self.sanitizer_reports()
            if self.exit_status != 0 or reports:
                raise AssertionError(f"{self.name}: ftpd exited {self.exit_status} "
                                     f"on SIGTERM\n" + "\n".join(reports) + "\n"
                                     + self.log()[-8000:])
        return self.exit_status

    def wait_exit(self, timeout=ftptest.STOP_TIMEOUT, check=True):
        """Wait until ftpd exits on its own (after a signal the test sent),
        then as stop(): returns the exit status, and with check fails
        unless it is 0 without sanitizer reports."""
        if self.daemon_pid is not None:
            ftptest.wait_for(lambda: not self.alive(), timeout, f"{self.name} to exit")
        elif self.proc is not None:
            try:
                self.proc.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                raise AssertionError(f"{self.name}: ftpd still running after {timeout}s\n"
                                     + self.log()[-8000:]) from None
        return self.stop(check)

    def __enter__(self):
        if self.proc is None:
            self.start()
        return self

    def __exit__(self, exc_type, exc, tb):
        # A failing test's own error is the one to see, not a follow-up.
        self.stop(check=exc_type is None)
        return False

    def signal(self, sig):
        """Send `sig` to ftpd (by PID)."""
        os.kill(self.proc.pid, sig)

    def hup(self):
        self.signal(signal.SIGHUP)

    # --- output ------------------------------------------------------------

    def log(self):
        """What ftpd printed (its log goes to stderr in the foreground),
        then the transfer log."""
        return self.proc.log() if self.proc else ""

    def stderr(self):
        p = self.proc.stderr_path if self.proc else None
        return p.read_text(errors="replace") if p and p.exists() else ""

    def xferlog(self):
        return (self.xferlog_path.read_text(errors="replace")
                if self.xferlog_path.exists() else "")

    def wait_log(self, text, timeout=5):
        """Wait until `text` (a str, or a compiled regex) appears in ftpd's
        stderr; returns the stderr."""
        def seen():
            s = self.stderr()
            if isinstance(text, re.Pattern):
                return s if text.search(s) else None
            return s if text in s else None
        return ftptest.wait_for(seen, timeout, f"{text!r} in the {self.name} log")

    def sanitizer_reports(self):
        """Lines in which a sanitizer reported something (stderr, and the
        log files of a detached ftpd)."""
        text = self.stderr()
        d = self.dir / "sanitizer"
        if d.is_dir():
            for p in sorted(d.iterdir()):
                text += "\n" + p.read_text(errors="replace")
        return [l for l in text.splitlines() if _SANITIZER_RE.search(l)]

    # --- clients -----------------------------------------------------------

    def url(self, path="", host=None, user=None):
        """ftp://host:port/path (host defaults to .host; IPv6 bracketed).
        Paths are relative to the user's root."""
        return ftptest.ftp_url(host or self.host, self.port, path)

    def ftplib(self, host=None, login=True, user=None, password=None, timeout=10):
        """An ftplib.FTP connected to `host` (default .host), logged in as
        `user` (default .user) unless login is False.  The caller closes it
        (ftplib.FTP is a context manager)."""
        f = ftplib.FTP(timeout=timeout)
        f.connect(host or self.host, self.port)
        if login:
            u = user or self.user
            f.login(u, password if password is not None else self.users.get(u, ""))
        return f


class _Detached:
    """A detached ftpd in ftptest's registry of running processes, so that
    run.py's global timeout (or an interrupted run) stops it by PID too."""

    _by_server = {}

    def __init__(self, srv):
        self.srv = srv
        _Detached._by_server[id(srv)] = self
        ftptest._register(self)

    def __repr__(self):
        return f"<ftpd -d {self.srv.name} pid={self.srv.daemon_pid}>"

    def stop(self, timeout=ftptest.STOP_TIMEOUT):
        try:
            stop_pid(self.srv.daemon_pid, timeout)
        finally:
            ftptest._unregister(self)

    @classmethod
    def forget(cls, srv):
        d = cls._by_server.pop(id(srv), None)
        if d is not None:
            ftptest._unregister(d)


def ftpd_check(member_path, timeout=30):
    """`ftpd -t -f member_path`: (exit code, stdout, stderr)."""
    return ftptest.run([ftptest.ftpd_path(), "-t", "-f", member_path], timeout=timeout)


def _proc_start_time(pid):
    try:
        stat = Path("/proc", str(pid), "stat").read_text()
    except OSError:
        return None
    rest = stat[stat.rfind(")") + 2:].split()
    return None if rest[0] == "Z" else rest[19]


def stop_pid(pid, timeout=ftptest.STOP_TIMEOUT, sig=signal.SIGTERM):
    """Stop a process this harness did not start as a child (ftpd -d
    detaches: its parent exits and it leads a session of its own): `sig`,
    then SIGKILL after `timeout`, and wait until it is gone (a zombie counts
    as gone: its new parent reaps it).  Returns True if it had to be
    killed."""
    start = _proc_start_time(pid)
    if start is None:
        return False

    def gone():
        return _proc_start_time(pid) != start
    try:
        os.kill(pid, sig)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if gone():
            return False
        time.sleep(0.02)
    if not gone():
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        ftptest.wait_for(gone, timeout, f"process {pid} to exit after SIGKILL")
    return True
