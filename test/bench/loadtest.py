"""loadtest: the figures that need many sessions at once, driven by the load
generator (test/bench/loadgen.c): full TLS sessions per second, memory per
idle TLS session, memory per active TLS transfer and what stays after.

Memory is the server tree's (procstat.memory): the sum of Pss over its
processes (one process for ftpd; the master and every session process for
the forking servers), and the sum of Rss.  Per session: (with the sessions -
before them) / sessions.
"""

import os
import queue
import subprocess
import threading
import time

import procstat
from measure import say
from report import HIGHER, LOWER

KIB, MIB = 1024, 1 << 20
STOR_PREFIX = "lg-"


def declare(results, env):
    results.figure("sessions-rate", f"full TLS sessions per second (loadgen, "
                   f"{env.session_concurrency} at a time)", "sessions/s", HIGHER, 0)
    results.figure("sessions-cpu", "server CPU per full TLS session", "ms", LOWER)
    for n in env.idle_counts:
        results.figure(f"idle-pss-{n}", f"PSS per idle TLS session, {n:,} sessions",
                       "KiB", LOWER, 0)
        results.figure(f"idle-rss-{n}", f"RSS per idle TLS session, {n:,} sessions "
                       "(sum over processes)", "KiB", LOWER, 0)
    n = env.burst_count
    results.figure("burst-pss", f"peak PSS per active TLS transfer, {n:,} concurrent",
                   "KiB", LOWER, 0)
    results.figure("burst-after", "RSS after the burst minus RSS before", "MiB", LOWER, 1)
    results.figure("burst-seconds", f"{n:,} concurrent transfers (1 MiB down, "
                   "256 KiB up), all done", "s", LOWER, 1)


def argv(env, srv, mode, count, concurrency, extra=()):
    return [env.loadgen, "--mode", mode, "--host", srv.host, "--port", srv.port,
            "--user", srv.user, "--pass", srv.password, "--cafile", env.cafile,
            "--count", count, "--concurrency", concurrency,
            "--timeout", env.loadgen_timeout, *extra]


class Loadgen:
    """A running load generator: its output lines arrive on a queue, so that
    waiting for "ready" is bounded."""

    def __init__(self, args):
        self.args = [str(a) for a in args]
        self.p = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True,
                                  start_new_session=True)
        self.lines = queue.Queue()
        self.err = []
        threading.Thread(target=self._pump, args=(self.p.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._pump, args=(self.p.stderr, self.err.append),
                         daemon=True).start()

    @staticmethod
    def _pump(stream, put):
        for line in stream:
            put(line.rstrip("\n"))
        put(None)

    def expect(self, word, timeout):
        """The next output line, which must start with `word`: its
        key=value fields as a dict."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            line = None
        if line is None or not line.startswith(word + " "):
            self.kill()
            raise AssertionError(f"loadgen: expected '{word}', got {line!r}\n"
                                 f"command: {' '.join(self.args)}\n" + "\n".join(e for e in self.err if e))
        return dict(kv.split("=", 1) for kv in line.split()[1:])

    def finish(self, timeout):
        """Close its input (held sessions QUIT), wait, check success."""
        try:
            self.p.stdin.close()
        except OSError:
            pass
        done = self.expect("done", timeout)
        try:
            rc = self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("loadgen did not exit") from None
        if rc != 0 or done.get("failed") != "0":
            raise AssertionError(f"loadgen failed (exit {rc}): {done}\n"
                                 f"command: {' '.join(self.args)}\n" + "\n".join(e for e in self.err if e))
        return done

    def kill(self):
        try:
            os.killpg(self.p.pid, 9)
        except OSError:
            pass
        self.p.wait()


def sessions(results, srv, env):
    """Full TLS sessions: connect, AUTH TLS, login, PBSZ/PROT, TYPE, EPSV,
    LIST, QUIT, `session_concurrency` at a time."""
    n = env.session_count
    procstat.settle(srv.pid, srv.idle_procs)
    cpu0 = srv.cpu.seconds()
    lg = Loadgen(argv(env, srv, "sessions", n, env.session_concurrency))
    done = lg.finish(env.loadgen_timeout + 30)
    procstat.settle(srv.pid, srv.idle_procs)
    cpu = srv.cpu.seconds() - cpu0
    rate = n / float(done["seconds"])
    results.figures["sessions-rate"].add(srv.name, rate)
    results.figures["sessions-cpu"].add(srv.name, cpu * 1000 / n)
    say(f"{srv.label:9} {n} full TLS sessions: {rate:.0f}/s, server "
        f"{cpu * 1000 / n:.2f} ms each (data connections resumed: {done['resumed']}, "
        f"full handshakes: {done['full']})")


def _budget(env, srv, n):
    """(count, why): how many of `n` idle sessions fit on this machine, and
    why not all, or (0, why).  A forking server needs a process or two per
    session (pid_max bounds them on a machine shared with others) and
    their memory; a single process needs its descriptors per session below
    its RLIMIT_NOFILE.  All are estimated from the smaller count."""
    per = srv.per_session
    if per is None:
        return 0, "the smaller count failed"
    if env.quick and srv.name != "ftpd":
        return 0, "QUICK=1 measures this count for ftpd only"
    procs = per["procs"] * n
    free_pids = int(open("/proc/sys/kernel/pid_max").read()) - len(
        [e for e in os.listdir("/proc") if e.isdigit()])
    if procs > free_pids * 0.5:
        return 0, (f"would need about {procs:,.0f} processes ({per['procs']:.0f} per "
                   f"session); pid_max leaves {free_pids:,} on a shared machine")
    mem = per["pss"] * n * 1.2
    avail = _mem_available()
    if mem > avail * 0.5:
        return 0, (f"would need about {mem / (1 << 30):.1f} GiB; "
                   f"{avail / (1 << 30):.1f} GiB available")
    limit = _nofile(srv.pid)
    if per["fds"] > 0 and per["fds0"] + per["fds"] * n + 64 > limit:
        fit = int((limit - per["fds0"] - 64) / per["fds"]) // 1000 * 1000
        return fit, (f"{fit:,} sessions, not {n:,}: the server holds "
                     f"{per['fds']:.1f} descriptors per session and its RLIMIT_NOFILE "
                     f"is {limit:,} (the hard limit here)")
    return n, None


def _nofile(pid):
    for line in open(f"/proc/{pid}/limits"):
        if line.startswith("Max open files"):
            return int(line.split()[3])
    return 1 << 20


def _mem_available():
    for line in open("/proc/meminfo"):
        if line.startswith("MemAvailable:"):
            return int(line.split()[1]) * 1024
    return 0


def idle(results, srv, env, n):
    """Memory per idle TLS session: `n` sessions logged in under PROT P
    (the larger count: as many as fit, see _budget)."""
    nominal = n
    figs = [results.figures[f"idle-{k}-{nominal}"] for k in ("pss", "rss")]
    if n != env.idle_counts[0]:
        n, why = _budget(env, srv, n)
        if n == 0:
            for f in figs:
                f.skip(srv.name, why)
            say(f"{srv.label:9} {nominal} idle sessions: not measured: {why}")
            return
        if why:
            for f in figs:
                f.explain(srv.name, why)
    procstat.settle(srv.pid, srv.idle_procs)
    pss0, rss0, procs0 = procstat.memory(srv.pid)
    fds0 = len(os.listdir(f"/proc/{srv.pid}/fd"))
    lg = Loadgen(argv(env, srv, "idle", n, env.login_concurrency))
    ready = lg.expect("ready", env.loadgen_timeout + 30)
    time.sleep(1.0)  # let the last sessions' set-up garbage settle
    pss, rss, procs = procstat.memory(srv.pid)
    fds = len(os.listdir(f"/proc/{srv.pid}/fd"))
    lg.finish(env.loadgen_timeout)
    procstat.settle(srv.pid, srv.idle_procs, timeout=120)
    per_pss, per_rss = (pss - pss0) / n, (rss - rss0) / n
    if n == env.idle_counts[0]:
        srv.per_session = {"procs": (procs - procs0) / n, "pss": per_pss,
                           "fds0": fds0, "fds": (fds - fds0) / n}
    figs[0].add(srv.name, per_pss / KIB)
    figs[1].add(srv.name, per_rss / KIB)
    say(f"{srv.label:9} {n} idle sessions (logged in in {ready['seconds']} s): PSS "
        f"{per_pss / KIB:.0f} KiB, RSS {per_rss / KIB:.0f} KiB per session, "
        f"{procs} processes, {fds - fds0} more descriptors in the main process")


class Sampler:
    """Polls the server tree's memory until stopped; keeps the peak Pss."""

    def __init__(self, pid, interval=0.1):
        self.pid = pid
        self.interval = interval
        self.peak = 0
        self.stop_flag = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stop_flag.is_set():
            pss, _, _ = procstat.memory(self.pid)
            self.peak = max(self.peak, pss)
            self.stop_flag.wait(self.interval)

    def stop(self):
        self.stop_flag.set()
        self.thread.join()
        return self.peak


def burst(results, srv, env):
    """`burst_count` sessions log in, then all at once download the 1 MiB
    file (compared in the load generator) and upload 256 KiB each (compared
    here); peak memory during, RSS once every session has ended."""
    n = env.burst_count
    procstat.settle(srv.pid, srv.idle_procs)
    pss0, rss0, _ = procstat.memory(srv.pid)
    sampler = Sampler(srv.pid)
    try:
        lg = Loadgen(argv(env, srv, "xfer", n, env.login_concurrency, [
            "--retr", env.lg_retr_name, "--retr-file", env.root / env.lg_retr_name,
            "--stor-prefix", f"{env.updir}/{STOR_PREFIX}{srv.name}-", "--stor-file", env.lg_stor]))
        lg.expect("ready", env.loadgen_timeout + 30)
        done = lg.finish(env.loadgen_timeout + 30)
    finally:
        peak = sampler.stop()
    _check_uploads(srv, env, n)
    procstat.settle(srv.pid, srv.idle_procs, timeout=120)
    time.sleep(0.5)
    _, rss1, _ = procstat.memory(srv.pid)
    per = (peak - pss0) / n
    results.figures["burst-pss"].add(srv.name, per / KIB)
    results.figures["burst-after"].add(srv.name, (rss1 - rss0) / MIB)
    results.figures["burst-seconds"].add(srv.name, float(done["seconds"]))
    say(f"{srv.label:9} {n} concurrent transfers in {done['seconds']} s: peak PSS "
        f"{per / KIB:.0f} KiB per transfer; RSS {rss0 / MIB:.1f} MiB before, "
        f"{rss1 / MIB:.1f} MiB after")


def _check_uploads(srv, env, n):
    want = env.lg_stor.read_bytes()
    for i in range(n):
        p = env.root / env.updir / f"{STOR_PREFIX}{srv.name}-{i}.bin"
        if not p.is_file() or p.read_bytes() != want:
            raise AssertionError(f"{srv.label}: upload {p.name} of the burst is "
                                 "missing or differs from what was sent")
        p.unlink()


def rlimit_nofile(need):
    """Raise RLIMIT_NOFILE for us and every process we start: the soft
    limit to `need`, raising the hard one too where allowed (root with
    CAP_SYS_RESOURCE), else to the hard limit.  Returns the soft limit."""
    import resource
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= need:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, max(need, hard)))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]
