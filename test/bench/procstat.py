"""procstat: CPU time and memory of a server's process tree.

A server that forks per session (vsftpd, ProFTPD, Pure-FTPd) spreads its
work over many processes, most of which have exited by the time anyone
looks.  CpuMeter puts the server in a cgroup (v2) of its own as soon as it
has started, before any session: the kernel then adds up the CPU time of
every process of the server, exited ones included, in cpu.stat.  Where no
cgroup can be made, it falls back to /proc: the sum over the live tree of
utime + stime + cutime + cstime, which counts a process that exited only if
an ancestor in the tree waited for it (vsftpd's session helper exits
without waiting for its worker, so that worker's CPU is lost; the report
then says so).

Memory: the sum of Pss (proportional set size, shared pages divided among
their sharers) and of Rss over the tree, from /proc/PID/smaps_rollup.  For a
single process Pss is close to Rss; for a forked server only the Pss sum
means anything (the Rss sum counts each shared library once per process).
"""

import os
import time
from pathlib import Path

CLK_TCK = os.sysconf("SC_CLK_TCK")


def _stat(pid):
    """(ppid, state, utime+stime+cutime+cstime in ticks) or None."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    rest = text[text.rfind(")") + 2:].split()
    # state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based
    # fields of the whole line; rest starts at field 3.
    ticks = sum(int(x) for x in rest[11:15])
    return int(rest[1]), rest[0], ticks


def tree(root):
    """{pid: (state, ticks)} of `root` and all its descendants."""
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _stat(int(entry))
            if st is not None:
                table[int(entry)] = st
    kids = {}
    for pid, (ppid, _, _) in table.items():
        kids.setdefault(ppid, []).append(pid)
    out, todo = {}, [root]
    while todo:
        pid = todo.pop()
        if pid in table and pid not in out:
            out[pid] = (table[pid][1], table[pid][2])
            todo.extend(kids.get(pid, ()))
    return out


def cpu_seconds(root):
    """CPU seconds used so far by the live tree of `root`, with what its
    members reaped (see the module doc)."""
    return sum(t for _, t in tree(root).values()) / CLK_TCK


def _cgroup2_base():
    """The directory of our own cgroup in the cgroup v2 hierarchy, or
    None."""
    mount = None
    for line in open("/proc/mounts"):
        f = line.split()
        if f[2] == "cgroup2":
            mount = f[1]
    if mount is None:
        return None
    for line in open("/proc/self/cgroup"):
        if line.startswith("0::"):
            return Path(mount + line[3:].strip().rstrip("/"))
    return None


class CpuMeter:
    """CPU seconds of a server, every process it ever forked included.

    method: "cgroup" (cpu.stat of a cgroup v2 holding the server) or
    "proc" (the /proc fallback).  close() removes the cgroup once the
    server has stopped."""

    def __init__(self, pid, name):
        self.pid = pid
        self.dir = None
        self.method = "proc"
        base = _cgroup2_base()
        if base is None:
            return
        d = base / f"ftpd-bench-{os.getpid()}-{name}-{pid}"
        try:
            d.mkdir()
            (d / "cgroup.procs").write_text(f"{pid}\n")
            (d / "cpu.stat").read_text()
        except OSError:
            self.close(d)
            return
        self.dir = d
        self.method = "cgroup"

    def seconds(self):
        if self.dir is None:
            return cpu_seconds(self.pid)
        for line in (self.dir / "cpu.stat").read_text().splitlines():
            if line.startswith("usage_usec "):
                return int(line.split()[1]) / 1e6
        raise AssertionError(f"{self.dir}/cpu.stat has no usage_usec")

    def close(self, d=None):
        d = d or self.dir
        if d is None:
            return
        deadline = time.monotonic() + 5
        while True:
            try:
                d.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() > deadline:
                    break
                time.sleep(0.05)
        self.dir = None


def count(root):
    """Processes in the tree of `root`, zombies included."""
    return len(tree(root))


def settle(root, expected, timeout=30.0):
    """Wait until the tree of `root` has at most `expected` processes (the
    sessions of a forked server have exited and been reaped).  Returns
    the count reached; never fails (a slow server only makes the reading
    later)."""
    deadline = time.monotonic() + timeout
    n = count(root)
    while n > expected and time.monotonic() < deadline:
        time.sleep(0.02)
        n = count(root)
    return n


def fds(root):
    """Open file descriptors summed over the tree of `root`."""
    n = 0
    for pid in tree(root):
        try:
            n += len(os.listdir(f"/proc/{pid}/fd"))
        except OSError:
            pass
    return n


def memory(root):
    """(pss_bytes, rss_bytes, processes) summed over the tree of `root`."""
    pss = rss = n = 0
    for pid in tree(root):
        try:
            text = Path(f"/proc/{pid}/smaps_rollup").read_text()
        except OSError:
            continue
        n += 1
        for line in text.splitlines():
            if line.startswith("Pss:"):
                pss += int(line.split()[1]) * 1024
            elif line.startswith("Rss:"):
                rss += int(line.split()[1]) * 1024
    return pss, rss, n
