"""measure: the client-driven figures of make bench.

Each measurement reads the server tree's CPU time before and after one
client run (procstat), the client's own CPU time from wait4, and checks
what was transferred byte for byte: a transfer that does not compare fails
the bench, however fast it was.
"""

import filecmp
import shutil
import subprocess
import sys
import time

import clients
import procstat
from report import HIGHER, LOWER

GIB = 1 << 30
OPS = (("RETR", "P"), ("STOR", "P"), ("RETR", "C"), ("STOR", "C"))


_T0 = time.monotonic()


def say(msg):
    """A progress line on stderr, with the seconds since the start."""
    print(f"bench: [{time.monotonic() - _T0:5.0f}s] {msg}", file=sys.stderr, flush=True)


def same_file(a, b):
    """Byte comparison of two files (cmp is quicker than Python for GiBs)."""
    r = subprocess.run(["cmp", "-s", str(a), str(b)], timeout=600)
    return r.returncode == 0


def declare(results, env):
    """Create the figures in the order the table shows them."""
    for op, prot in OPS:
        for c in clients.NAMES:
            results.figure(f"{op}{prot}-{c}-mbs", f"{op} PROT {prot}, {c}", "MB/s", HIGHER, 0)
    for op, prot in OPS:
        for c in clients.NAMES:
            results.figure(f"{op}{prot}-{c}-scpu", f"server CPU, {op} PROT {prot}, {c}",
                           "s/GiB", LOWER)
    for op, prot in OPS[:2]:
        for c in clients.NAMES:
            results.figure(f"{op}{prot}-{c}-ccpu", f"client CPU, {op} PROT {prot}, {c}",
                           "s/GiB", LOWER)
    results.figure("protp-protc-curl", "RETR PROT P / PROT C, curl", "ratio", HIGHER)
    results.figure("protp-protc-ftp", "RETR PROT P / PROT C, ftp", "ratio", HIGHER)
    n = env.small_count
    results.figure("small-mget", f"{n} files of 4 KiB, ftp mget, PROT P", "files/s",
                   HIGHER, 0)
    results.figure("small-mirror", f"{env.mirror_count} files of 4 KiB, lftp mirror, "
                   "PROT P", "files/s", HIGHER, 1)
    results.figure("small-mget-cpu", "server CPU per file, ftp mget", "ms", LOWER)


def _cpu_around(srv, fn):
    """(result of fn(), server CPU seconds it cost)."""
    procstat.settle(srv.pid, srv.idle_procs)
    before = srv.cpu.seconds()
    res = fn()
    procstat.settle(srv.pid, srv.idle_procs)
    return res, srv.cpu.seconds() - before


def transfer(results, srv, env, client, op, prot):
    """One RETR or STOR of the big file."""
    size = env.big_size
    name = f"{env.updir}/up-{srv.name}-{client}.bin"
    out = env.outdir / f"retr-{srv.name}-{client}.bin"
    if op == "RETR":
        argv = clients.retr_argv(client, srv, env, prot, env.big_name, out)
    else:
        argv = clients.stor_argv(client, srv, env, prot, env.root / env.big_name, name)
    res, scpu = _cpu_around(srv, lambda: clients.run_timed(argv, env.xfer_timeout))
    res.check(f"{srv.label} {op} PROT {prot} with {client}")
    got = out if op == "RETR" else env.root / name
    if not same_file(got, env.root / env.big_name):
        raise AssertionError(f"{srv.label} {op} PROT {prot} with {client}: the "
                             f"transferred file differs from the original ({got})")
    got.unlink()
    key = f"{op}{prot}-{client}"
    mbs = size / res.wall / 1e6
    results.figures[f"{key}-mbs"].add(srv.name, mbs)
    results.figures[f"{key}-scpu"].add(srv.name, scpu * GIB / size)
    if f"{key}-ccpu" in results.figures:
        results.figures[f"{key}-ccpu"].add(srv.name, res.cpu * GIB / size)
    say(f"{srv.label:9} {op} PROT {prot} {client:4}: {mbs:6.0f} MB/s, server "
        f"{scpu * GIB / size:.2f} s/GiB, client {res.cpu * GIB / size:.2f} s/GiB")
    return mbs


def transfers(results, srv, env):
    """Every client, both directions, both protection levels."""
    mbs = {}
    for op, prot in OPS:
        for c in clients.NAMES:
            mbs[(op, prot, c)] = transfer(results, srv, env, c, op, prot)
    for c in ("curl", "ftp"):
        results.figures[f"protp-protc-{c}"].add(
            srv.name, mbs[("RETR", "P", c)] / mbs[("RETR", "C", c)])


def _fresh(d):
    if d.exists():
        shutil.rmtree(d)
    d.mkdir(parents=True)
    return d


def _compare_tree(got_dir, want_dir, names, what):
    missing = [n for n in names if not (got_dir / n).is_file()]
    if missing:
        raise AssertionError(f"{what}: {len(missing)} files missing, e.g. {missing[:3]}")
    _, bad, errors = filecmp.cmpfiles(want_dir, got_dir, names, shallow=False)
    if bad or errors:
        raise AssertionError(f"{what}: files differ: {(bad + errors)[:5]}")


def small_files(results, srv, env):
    """Many small files in one session: our client's mget and lftp mirror."""
    out = _fresh(env.outdir / f"mget-{srv.name}")
    res, scpu = _cpu_around(srv, lambda: clients.mget_run(
        srv, env, env.small_dir, out, env.small_timeout))
    res.check(f"{srv.label}: ftp mget")
    _compare_tree(out, env.root / env.small_dir, env.small_names, f"{srv.label} mget")
    shutil.rmtree(out)
    n = len(env.small_names)
    results.figures["small-mget"].add(srv.name, n / res.wall)
    results.figures["small-mget-cpu"].add(srv.name, scpu * 1000 / n)
    say(f"{srv.label:9} mget of {n} files: {res.wall:.2f} s, server {scpu * 1000 / n:.2f} ms/file")

    out = _fresh(env.outdir / f"mirror-{srv.name}")
    res = clients.mirror_run(srv, env, env.mirror_dir, out, env.small_timeout)
    res.check(f"{srv.label}: lftp mirror")
    _compare_tree(out, env.root / env.mirror_dir, env.mirror_names,
                  f"{srv.label} lftp mirror")
    shutil.rmtree(out)
    n = len(env.mirror_names)
    results.figures["small-mirror"].add(srv.name, n / res.wall)
    say(f"{srv.label:9} lftp mirror of {n} files: {res.wall:.2f} s")
