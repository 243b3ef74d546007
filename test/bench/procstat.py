"""procstat: CPU time and memory of a server's process tree, from /proc.

A server that forks per session (vsftpd, ProFTPD, Pure-FTPd) spreads its
work over many processes, some of which have already exited.  The CPU time
of a tree is the sum, over its live processes, of utime + stime (the
process's own threads) + cutime + cstime (its children that exited and were
waited for, with their own reaped descendants): every process is counted
once, whether it is alive or was reaped by a live ancestor.  A process that
has exited but not been reaped yet is a zombie still listed under its
parent, with its times: settle() waits until none is left.

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
    """CPU seconds used so far by the tree of `root` (see the module doc)."""
    return sum(t for _, t in tree(root).values()) / CLK_TCK


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
