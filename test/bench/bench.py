#!/usr/bin/env python3
"""make bench: ftpd side by side with vsftpd, ProFTPD and Pure-FTPd.

    python3 test/bench/bench.py --loadgen build/obj/test/bench/loadgen [--quick]

Starts the four servers (test/bench/servers.py) on the same files in tmpfs
with the same ECDSA P-256 certificate, then measures, interleaving the
servers so that a drift of the machine's speed touches all of them alike:

  transfers      RETR and STOR of one big file (1 GiB; QUICK: 64 MiB) under
                 PROT P and PROT C with curl, lftp and our client: MB/s,
                 server CPU s/GiB (every process of the server), client CPU
  small files    1,000 files of 4 KiB in one session: our client's mget and
                 lftp mirror, PROT P
  sessions       full TLS sessions per second and server CPU per session,
                 from the load generator
  memory         per idle TLS session (1,000 and 10,000 sessions), peak per
                 active TLS transfer (1,000 concurrent), RSS after the burst

The full mode reports the median of three runs of the first three; QUICK=1
one run, with smaller sizes and counts.  It prints one table (figures by
server, the best peer, ftpd's ratio to it), writes build/bench/results.tsv
and build/bench/runs.tsv, and fails only when something does not work (a
server that does not start, a client that fails, a transfer that does not
compare); never on timing.
"""

import argparse
import os
import shutil
import sys
import time
from pathlib import Path

SRC = Path(__file__).resolve().parents[2]
BUILD = SRC / "build" / "bench"
sys.path.insert(0, str(SRC / "test" / "integration"))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ["FTPTEST_TMP"] = str(BUILD / "tmp")
os.environ.setdefault("FTPTEST_SRC", str(SRC))

import ftptest  # noqa: E402
import clients  # noqa: E402
import loadtest  # noqa: E402
import measure  # noqa: E402
import report  # noqa: E402
import servers  # noqa: E402
from measure import say  # noqa: E402

SMALL_SIZE = 4096
SHM = Path("/dev/shm")


def _is_tmpfs(path):
    best, fstype = "", None
    for line in open("/proc/mounts"):
        fields = line.split()
        mnt = fields[1]
        if str(path).startswith(mnt.rstrip("/") + "/") or str(path) == mnt:
            if len(mnt) >= len(best):
                best, fstype = mnt, fields[2]
    return fstype == "tmpfs"


def make_certs(d):
    """A throwaway CA and an ECDSA P-256 server certificate for every
    server address; returns (keyring: key + certificate + CA, CA file)."""
    d.mkdir(parents=True, exist_ok=True)
    tool = ftptest.require_program("certtool")

    def certtool(*args):
        ftptest.run_ok([tool, *map(str, args)], timeout=30)

    def key(name):
        certtool("--generate-privkey", "--key-type", "ecdsa", "--curve", "secp256r1",
                 "--no-text", "--outfile", d / f"{name}.key")
        return d / f"{name}.key"

    days = ['expiration_days = 30', 'activation_date = "2020-01-01 00:00:00 UTC"']
    (d / "ca.tmpl").write_text("\n".join(['cn = "bench CA"', "ca", "cert_signing_key",
                                          *days]) + "\n")
    ips = ["127.0.0.1", *servers.HOSTS.values()]
    (d / "srv.tmpl").write_text("\n".join(
        ['cn = "localhost"', 'dns_name = "localhost"',
         *[f'ip_address = "{ip}"' for ip in ips], "tls_www_server", "signing_key",
         *days]) + "\n")
    ca_key, srv_key = key("ca"), key("server")
    certtool("--generate-self-signed", "--load-privkey", ca_key, "--template",
             d / "ca.tmpl", "--outfile", d / "ca.pem")
    certtool("--generate-certificate", "--load-privkey", srv_key, "--load-ca-certificate",
             d / "ca.pem", "--load-ca-privkey", ca_key, "--template", d / "srv.tmpl",
             "--outfile", d / "server.pem")

    def pem(p):
        t = p.read_text()
        return t[t.index("-----BEGIN"):]
    keyring = d / "keyring.pem"
    keyring.write_text(pem(srv_key) + pem(d / "server.pem") + pem(d / "ca.pem"))
    os.chmod(keyring, 0o600)
    (d / "ca-only.pem").write_text(pem(d / "ca.pem"))
    return keyring, d / "ca-only.pem"


def make_files(env):
    """The served files, root's and readable by all; up/ for uploads,
    writable by all."""
    root = env.root
    root.mkdir(parents=True)
    os.chmod(root, 0o755)
    with open(root / env.big_name, "wb") as f:
        left = env.big_size
        while left > 0:
            n = min(left, 16 << 20)
            f.write(os.urandom(n))
            left -= n
    (root / env.lg_retr_name).write_bytes(os.urandom(1 << 20))
    env.lg_stor.write_bytes(os.urandom(256 << 10))
    for d, names in ((env.small_dir, env.small_names), (env.mirror_dir, env.mirror_names)):
        (root / d).mkdir(exist_ok=True)
        for n in names:
            (root / d / n).write_bytes(os.urandom(SMALL_SIZE))
    for dirpath, dirnames, filenames in os.walk(root):
        os.chmod(dirpath, 0o755)
        for n in filenames:
            os.chmod(os.path.join(dirpath, n), 0o644)
    (root / env.updir).mkdir()
    os.chmod(root / env.updir, 0o777)


def configure(args):
    shm = SHM / f"ftpd-bench-{os.getpid()}"
    if not _is_tmpfs(SHM):
        raise AssertionError(f"{SHM} is not a tmpfs: the bench serves its files from one")
    keyring, cafile = make_certs(BUILD / "certs")
    # Everything a measurement needs: the servers' shared environment, the
    # files, the sizes and counts of this mode, the client members.
    env = servers.Env(BUILD / "run", shm / "root", keyring, cafile)
    env.shm = shm
    env.quick = args.quick
    env.loadgen = Path(args.loadgen).resolve()
    env.outdir = shm / "out"
    env.big_name = "big.bin"
    env.updir = "up"
    env.big_size = (64 << 20) if args.quick else (1 << 30)
    env.xfer_timeout = 300
    env.small_dir, env.mirror_dir = "small", "small-mirror"
    env.small_count = 500 if args.quick else 1000
    # lftp mirror spends some 47 ms per file whatever the server: a
    # shorter mirror keeps QUICK=1 quick.
    env.mirror_count = 50 if args.quick else 1000
    env.small_names = [f"f{i:04d}.bin" for i in range(env.small_count)]
    env.mirror_names = [f"m{i:04d}.bin" for i in range(env.mirror_count)]
    env.small_timeout = 600
    env.lg_retr_name = "lg-1m.bin"
    env.lg_stor = shm / "lg-256k.bin"
    # QUICK=1 keeps the whole run within about three minutes on a 2-core
    # machine: ProFTPD spends some 40 ms of CPU on each login, and ftpd's
    # large idle count alone takes half a minute at 10,000 on a busy machine.
    env.session_count = 60 if args.quick else 1000
    env.session_concurrency = 8
    env.login_concurrency = 32
    env.idle_counts = (100, 2000) if args.quick else (1000, 10000)
    env.burst_count = args.burst or (100 if args.quick else 1000)
    env.loadgen_timeout = 600
    env.runs = 1 if args.quick else 3
    env.members = {p: clients.ftp_member(BUILD / f"ftp-prot-{p}.data", p) for p in "PC"}
    return env


def check_tls(srv, env):
    """The session really is TLS 1.3 with AES-128-GCM: curl says so."""
    res = clients.run_timed(clients.curl_argv(srv, env.cafile, "P", [
        "--verbose", "--list-only", ftptest.ftp_url(srv.host, srv.port, "")]), 60)
    res.check(f"{srv.label}: first listing")
    for line in res.err.splitlines():
        if "SSL connection using" in line:
            return line.split("using", 1)[1].strip()
    return "?"


def start_server(env, name):
    srv = servers.start(name, env)
    time.sleep(0.2)
    srv.idle_procs = loadtest.procstat.count(srv.pid)
    srv.per_session = None
    srv.tls = check_tls(srv, env)
    say(f"{srv.label} {servers.version(name)} on {srv.host}:{srv.port}, pid {srv.pid}, "
        f"{srv.tls}, CPU from {srv.cpu.method}")
    return srv


def start_servers(env, names):
    started = []
    for name in names:
        started.append(start_server(env, name))
    return started


def machine_line():
    load = open("/proc/loadavg").read().split()[:3]
    return f"load average {' '.join(load)}, {os.cpu_count()} CPUs"


SECTIONS = ("transfers", "small", "sessions", "memory")


def run_all(env, srvs, results, sections):
    timed = [("transfers", measure.transfers), ("small", measure.small_files),
             ("sessions", loadtest.sessions)]
    for i in range(env.runs):
        for name, fn in timed:
            if name in sections:
                say(f"--- run {i + 1} of {env.runs}: {name} ({machine_line()})")
                for srv in srvs:
                    fn(results, srv, env)
    if "memory" not in sections:
        return
    # Memory, one server at a time, restarted before the idle sessions and
    # again before the burst: each starts from a fresh server, not from one
    # whose allocator kept what thousands of sessions left a moment ago.
    for i, srv in enumerate(srvs):
        say(f"--- memory: {srv.label} ({machine_line()})")
        srv.stop()
        srv = srvs[i] = start_server(env, srv.name)
        for n in env.idle_counts:
            loadtest.idle(results, srv, env, n)
        per_session = srv.per_session
        srv.stop()
        srv = srvs[i] = start_server(env, srv.name)
        srv.per_session = per_session
        loadtest.burst(results, srv, env)


def header(env, srvs, started, load_before):
    size = "1 GiB" if env.big_size == 1 << 30 else f"{env.big_size >> 20} MiB"
    lines = [f"make bench{' QUICK=1' if env.quick else ''}: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(started))}, "
             f"{'one run' if env.runs == 1 else f'medians of {env.runs} runs'}, "
             f"{size} file in tmpfs, loopback",
             f"machine: {os.cpu_count()} CPUs; load average {load_before} before, "
             f"{' '.join(open('/proc/loadavg').read().split()[:3])} after; "
             f"{time.time() - started:.0f} s",
             "servers: " + ", ".join(f"{s.label} {servers.version(s.name)} ({s.tls})"
                                     for s in srvs),
             "clients: curl, lftp, ftp (this tree); TLS 1.3 AES-128-GCM, ECDSA P-256 "
             "certificate; MB = 10^6 bytes",
             "server CPU: " + ", ".join(sorted({
                 "every process of the server (cgroup v2 cpu.stat)" if s.cpu.method == "cgroup"
                 else "the live process tree and what it reaped (/proc)" for s in srvs})),
             ""]
    return lines


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--loadgen", required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--servers", default=",".join(servers.NAMES),
                    help="a subset of " + ",".join(servers.NAMES) + " (to debug)")
    ap.add_argument("--only", default=",".join(SECTIONS),
                    help="a subset of " + ",".join(SECTIONS) + " (to debug)")
    ap.add_argument("--burst", type=int, default=0,
                    help="concurrent transfers of the memory burst (default: 1000; "
                         "QUICK: 100)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("bench: run it as root: the servers start as root, as deployed, "
                 "and serve their sessions as nobody")
    started = time.time()
    load_before = " ".join(open("/proc/loadavg").read().split()[:3])
    if BUILD.exists():
        for sub in ("tmp", "run"):
            shutil.rmtree(BUILD / sub, ignore_errors=True)
    BUILD.mkdir(parents=True, exist_ok=True)
    nofile = loadtest.rlimit_nofile(65536)
    env = configure(args)
    results = report.Results()
    measure.declare(results, env)
    loadtest.declare(results, env)
    srvs = []
    try:
        make_files(env)
        env.outdir.mkdir()
        say(f"files in {env.shm}; RLIMIT_NOFILE raised to {nofile}")
        srvs = start_servers(env, [n for n in servers.NAMES if n in args.servers.split(",")])
        run_all(env, srvs, results, args.only.split(","))
    except AssertionError as e:
        print(f"bench: FAILED: {e}", file=sys.stderr)
        for s in srvs:
            if not s.alive():
                print(s.log(), file=sys.stderr)
        return 1
    finally:
        for s in srvs:
            s.stop()
        ftptest.stop_all()
        shutil.rmtree(env.shm, ignore_errors=True)
    text = report.table(results, header(env, srvs, started, load_before))
    print(text)
    (BUILD / "results.txt").write_text(text + "\n")
    report.write_tsv(results, BUILD / "results.tsv", BUILD / "runs.tsv")
    print(f"\nbench: wrote {BUILD / 'results.tsv'} and {BUILD / 'runs.tsv'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
