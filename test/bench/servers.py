"""servers: the four FTPS servers of make bench, configured from the files in
test/bench/ and started side by side.

Each server listens on its own loopback address (127.0.90.1-4), so that
their passive port ranges may overlap and none of them meets another
worktree's test servers on 127.0.0.1.  All serve the same directory in tmpfs
(the files are the same bytes in the same page cache) with the same
certificate, and run as root as they are deployed: sessions run as nobody
(vsftpd's anonymous sessions as daemon).  The served directory belongs to
root (vsftpd refuses a chroot its session user may write to); uploads go to
its subdirectory up/, writable by all, under names that carry the server's,
so that servers never write the same file.

    srv = start(name, env)           # name: ftpd, vsftpd, proftpd, pure-ftpd
    srv.host, srv.port, srv.user, srv.password, srv.pid, srv.stop()

ftptest (test/integration) starts and stops the processes: each in its own
process group, stopped by its PID, descendants included.
"""

import grp
import gzip
import os
import pwd
import re
import shutil
import socket
import subprocess
from pathlib import Path

import ftptest
import procstat

BENCH_DIR = Path(__file__).resolve().parent

# Servers in the order of the table: ours first, then the peers.
NAMES = ("ftpd", "vsftpd", "proftpd", "pure-ftpd")
LABELS = {"ftpd": "ftpd", "vsftpd": "vsftpd", "proftpd": "ProFTPD",
          "pure-ftpd": "Pure-FTPd"}
HOSTS = {"ftpd": "127.0.90.1", "vsftpd": "127.0.90.2", "proftpd": "127.0.90.3",
         "pure-ftpd": "127.0.90.4"}

USER = "bench"
PASSWORD = "bench-Secret-1"
# Enough for 10,000 idle sessions and 1,000 concurrent transfers with room
# for their passive listeners.
MAX_SESSIONS = 12000
PASV_LO, PASV_HI = 10000, 29999


class Env:
    """What every server shares: the run directory (configs, logs) on
    disk, the served directory in tmpfs, the certificate, the session
    account (nobody)."""

    def __init__(self, rundir, root, keyring, cafile):
        self.rundir = Path(rundir)
        self.root = Path(root)
        self.keyring = Path(keyring)
        self.cafile = Path(cafile)
        pw = pwd.getpwnam("nobody")
        self.uid, self.gid = pw.pw_uid, pw.pw_gid
        self.group = grp.getgrgid(pw.pw_gid).gr_name


class Server:
    """A started server.  pid: the process whose tree is accounted."""

    def __init__(self, name, proc, port, user, password, xferlog):
        self.name = name
        self.label = LABELS[name]
        self.host = HOSTS[name]
        self.port = port
        self.user = user
        self.password = password
        self.proc = proc
        self.xferlog = xferlog
        # The cgroup goes on before any session exists: every process the
        # server forks is counted.
        self.cpu = procstat.CpuMeter(proc.pid, name)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.alive()

    def log(self):
        return self.proc.log()

    def stop(self):
        self.proc.stop()
        self.cpu.close()

    def __repr__(self):
        return f"<{self.label} {self.host}:{self.port} pid {self.pid}>"


def fill(template, fields):
    """The text of test/bench/`template` with each @NAME@ replaced by
    fields[NAME]; a field left unfilled is a bug in this harness."""
    text = (BENCH_DIR / template).read_text()
    for k, v in fields.items():
        text = text.replace(f"@{k}@", str(v))
    left = re.findall(r"@[A-Z_]+@", text)
    if left:
        raise AssertionError(f"{template}: unfilled fields {sorted(set(left))}")
    return text


def _fields(name, env, d, port):
    return {"HOST": HOSTS[name], "PORT": port, "ROOT": env.root, "DIR": d,
            "KEYRING": env.keyring, "XFERLOG": d / "xferlog",
            "PASV_LO": PASV_LO, "PASV_HI": PASV_HI, "MAXSESSIONS": MAX_SESSIONS}


def _free_port(host):
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def _ftpd(env, d, f):
    hash_ = ftptest.passwd_hash(PASSWORD)
    users = d / "users"
    users.write_text(f"{USER}:{hash_}:{env.root}\n")
    os.chmod(users, 0o644)
    # ftpd reads its key after dropping to RUNAS only on SIGHUP; a copy
    # owned by root is what a deployment has.
    member = d / "ftpd.data"
    member.write_text(fill("ftpd.data", {**f, "USERFILE": users}))
    return [ftptest.ftpd_path(), "-f", member], USER, PASSWORD


def _vsftpd(env, d, f):
    (d / "empty").mkdir(mode=0o555)
    conf = d / "vsftpd.conf"
    conf.write_text(fill("vsftpd.conf", f))
    binary = ftptest.require_program(ftptest.peers_dir() / "usr/sbin/vsftpd")
    return [binary, conf], "anonymous", ""


def _proftpd(env, d, f):
    moddir = ftptest.peers_dir() / "usr/lib/proftpd"
    if not (moddir / "mod_tls.so").is_file():
        raise AssertionError(f"{moddir}/mod_tls.so is missing (run `make deps`)")
    hash_ = ftptest.passwd_hash(PASSWORD)
    (d / "passwd").write_text(f"{USER}:{hash_}:{env.uid}:{env.gid}:bench:"
                              f"{env.root}:/bin/false\n")
    (d / "group").write_text(f"{env.group}:x:{env.gid}:{USER}\n")
    # mod_auth_file refuses world-readable password files.
    os.chmod(d / "passwd", 0o600)
    os.chmod(d / "group", 0o600)
    conf = d / "proftpd.conf"
    conf.write_text(fill("proftpd.conf", {**f, "MODDIR": moddir}))
    binary = ftptest.require_program(ftptest.peers_dir() / "usr/sbin/proftpd")
    return [binary, "-n", "-c", conf], USER, PASSWORD


def _pure_ftpd(env, d, f):
    hash_ = ftptest.passwd_hash(PASSWORD)
    # A PureDB source line: user:hash:uid:gid:gecos:home, "/./" marking the
    # chroot, then the unused quota and ratio fields.
    (d / "pureftpd.passwd").write_text(
        f"{USER}:{hash_}:{env.uid}:{env.gid}::{env.root}/./" + ":" * 12 + "\n")
    pure_pw = ftptest.require_program(ftptest.peers_dir() / "usr/bin/pure-pw")
    ftptest.run_ok([pure_pw, "mkdb", d / "pureftpd.pdb", "-f", d / "pureftpd.passwd"],
                   timeout=30)
    args = [line for line in fill("pure-ftpd.args", f).splitlines()
            if line and not line.startswith("#")]
    binary = ftptest.require_program(ftptest.peers_dir() / "usr/sbin/pure-ftpd")
    return [binary, *args], USER, PASSWORD


_MAKERS = {"ftpd": _ftpd, "vsftpd": _vsftpd, "proftpd": _proftpd,
           "pure-ftpd": _pure_ftpd}


def start(name, env):
    """Configure and start server `name`; fails with its logs if it does
    not accept connections within a few seconds."""
    d = env.rundir / name
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    port = _free_port(HOSTS[name])
    f = _fields(name, env, d, port)
    cmd, user, password = _MAKERS[name](env, d, f)
    logs = [p for p in (d / "proftpd.log",) if name == "proftpd"]
    proc = ftptest.ServerProc(cmd, port, host=HOSTS[name], tmp=d, name=name,
                              logs=logs)
    proc.start()
    return Server(name, proc, port, user, password, d / "xferlog")


def version(name):
    """The server's version, as the program says it."""
    if name == "ftpd":
        return "this tree"
    if name == "pure-ftpd":
        binary = ftptest.peers_dir() / "usr/sbin/pure-ftpd"
        out = subprocess.run([binary, "--help"], capture_output=True, text=True,
                             timeout=10).stdout
        m = re.search(r"v(\d[\d.]*)", out)
        return m.group(1) if m else "?"
    pkg = {"vsftpd": "vsftpd", "proftpd": "proftpd-core"}[name]
    deb = list((ftptest.peers_dir()).glob(f"usr/share/doc/{pkg}/changelog.Debian.gz"))
    if deb:
        first = gzip.open(deb[0], "rt").readline()
        m = re.search(r"\(([^)]*)\)", first)
        if m:
            return m.group(1)
    return "?"
