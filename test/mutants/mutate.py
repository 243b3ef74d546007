#!/usr/bin/env python3
"""mutate.py: mutation check of the security and data-loss promises (`make mutate`).

    python3 test/mutants/mutate.py [--jobs N] [--all-tests] [--rev REV]
                                   [--keep] [--list] [NAME...]

Each file test/mutants/*.mut breaks one promise of ftpd(8), ftp(1) or
ftp.data(5) with a one-line change to the code (format below).  For each
mutant (or those NAMEd: file names without .mut, or shell patterns), the
runner

  1. copies a base build (the source tree, built once in a scratch
     directory; the real tree is only read) to a directory of its own;
  2. applies the mutant: its Original snippet must occur exactly once in its
     File, else the mutant is STALE (the code moved on; never "killed");
  3. builds the default build there (`make all` and the unit suites the
     mutant names); a build that fails is reported as such, never as killed;
  4. runs the tests its header names (Check suites or cases, integration
     test ids), or, if it names none, every unit suite and every
     integration test of the default build;
  5. prints one line: killed (by which test), survived, stale, unbuildable.

Before the mutants, every test the selected mutants name runs once on the
unmutated base: a test that already fails would "kill" anything, so a
failing baseline stops the run (exit 2).  The last line is

    mutate: N killed, M survived, S stale, U unbuildable (T mutants, Xs)

Exit status 0 only when every selected mutant was killed; 1 otherwise; 2 for
a bad catalogue, bad usage or a failing baseline.

Options:
  --jobs N     mutants built and tested at once (default 1; 2 on a 2-core
               machine of your own halves the time)
  --all-tests  ignore the Tests headers: run the whole default suites for
               every mutant (slow; shows what the full `make check` misses)
  --rev REV    take the source tree from git revision REV instead of the
               working tree (the catalogue still comes from the working
               tree): e.g. to show that old tests let a mutant survive
  --keep       keep the scratch directory (printed) for inspection
  --list       print the catalogue (name, file, promise, tests) and whether
               each mutant still applies to the working tree; exit 1 if any
               is stale (a quick check after a refactoring)

Environment: MUTATE_TMP, where scratch directories go (default: the system's
temporary directory); PEER_DIR, where test/tools/deps.sh unpacked vsftpd and
ProFTPD (default: build/peers of the source tree, which `make deps` fills).

Mutant format (one file per mutant; "#" starts a comment line; a header
value may continue on indented lines):

    Promise: ftpd(8) SECURITY POLICY AND REPLIES, Active mode and NAT:
      PORTCOMMANDIPADDR NOREDIRECT refuses a third-party address (504)
    Change:  the PORT target check no longer compares addresses
    File:    common/policy.c
    Original: if (!ftp_addr_same_host(target, ctrl_peer))
    Mutant:   if (0)
    Tests:   check_policy:port test_ftpd_basic.Basic.test_port_bounce_refused

Original is a snippet (surrounding blanks ignored) that must occur exactly
once in File; Mutant replaces it (empty: delete it).  Where the same line
occurs more than once, After names a snippet that occurs exactly once, and
Original must then occur exactly once in the 40 lines that follow it.  Tests are Check suites
(check_policy), Check cases (check_policy:port, CK_RUN_CASE) and anything
test/integration/run.py accepts (a module, a class, Class.test_x).
"""

import argparse
import concurrent.futures
import fnmatch
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1]
FIELDS = ("Promise", "Change", "File", "After", "Original", "Mutant", "Tests")
# After: Original is looked for in this many lines after the After snippet.
AFTER_LINES = 40
REQUIRED = ("Promise", "File", "Original", "Mutant")
UNIT_DIR = "build/obj/test/unit"
# Bounds, in seconds: one build, one unit suite, one integration run.
BUILD_TIMEOUT = 900
UNIT_TIMEOUT = 300
INTEGRATION_TIMEOUT = 900


class CatalogueError(Exception):
    """A mutant file that cannot be read as a mutant."""


@dataclass
class Mutant:
    name: str
    path: Path
    promise: str
    file: str
    original: str
    mutant: str
    change: str = ""
    after: str = ""
    tests: list = field(default_factory=list)
    status: str = "-"
    detail: str = ""
    seconds: float = 0.0

    def unit_tests(self):
        return [t for t in self.tests if t.startswith("check_")]

    def integration_tests(self):
        return [t for t in self.tests if not t.startswith("check_")]


def parse(path):
    """The Mutant of one .mut file; CatalogueError if it is malformed."""
    values, key = {}, None
    for n, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Za-z]+):(.*)$", line)
        if m and not line[0].isspace():
            key = m.group(1)
            if key not in FIELDS:
                raise CatalogueError(f"{path}:{n}: unknown field {key!r} "
                                     f"(expected one of {', '.join(FIELDS)})")
            if key in values:
                raise CatalogueError(f"{path}:{n}: {key} given twice")
            values[key] = m.group(2).strip()
        elif key is not None and line[0].isspace():
            if key in ("Original", "Mutant", "After"):
                raise CatalogueError(f"{path}:{n}: {key} is one line")
            values[key] = (values[key] + " " + line.strip()).strip()
        else:
            raise CatalogueError(f"{path}:{n}: not 'Field: value': {line!r}")
    for k in REQUIRED:
        if k not in values or (k != "Mutant" and not values[k]):
            raise CatalogueError(f"{path}: {k} is missing")
    if values["Original"] == values["Mutant"]:
        raise CatalogueError(f"{path}: Mutant is the same as Original")
    if not re.match(r"^(ftpd\(8\)|ftp\(1\)|ftp\.data\(5\)) ", values["Promise"]):
        raise CatalogueError(f"{path}: Promise must start with the man page: "
                             "ftpd(8), ftp(1) or ftp.data(5)")
    return Mutant(name=path.stem, path=path, promise=values["Promise"],
                  file=values["File"], original=values["Original"],
                  mutant=values["Mutant"], change=values.get("Change", ""),
                  after=values.get("After", ""),
                  tests=values.get("Tests", "").split())


def catalogue(names):
    paths = sorted(HERE.glob("*.mut"))
    if names:
        chosen = [p for p in paths if any(fnmatch.fnmatch(p.stem, n) for n in names)]
        unknown = [n for n in names if not any(fnmatch.fnmatch(p.stem, n) for p in paths)]
        if unknown:
            raise CatalogueError(f"no mutant matches {', '.join(unknown)}")
        paths = chosen
    return [parse(p) for p in paths]


# ---------------------------------------------------------------------------
# Scratch trees

def run(cmd, cwd, timeout, env=None):
    """(exit status, output) of cmd; a timeout is status None."""
    try:
        p = subprocess.run(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, start_new_session=True)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired as e:
        out = e.stdout.decode("utf-8", "replace") if e.stdout else ""
        return None, out


def source_files():
    """The files of the working tree that git knows or would add (build
    output is ignored by .gitignore); without git, every file outside
    build/ and .git/."""
    rc, out = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                  SRC, 60)
    if rc == 0:
        return [f for f in out.split("\0") if f and (SRC / f).is_file()]
    files = []
    for dirpath, dirnames, filenames in os.walk(SRC):
        rel = Path(dirpath).relative_to(SRC)
        dirnames[:] = [d for d in dirnames if not (rel == Path(".") and d in ("build", ".git"))]
        files += [str(rel / f) for f in filenames]
    return files


def link_deps(base):
    """What `make deps` put under build/ of the source tree and the tests
    find through the tree they run in (build/node: basic-ftp for
    multiconn.py), linked into `base`; read only, like PEER_DIR."""
    for rel in ("build/node",):
        src = SRC / rel
        if src.is_dir():
            (base / rel).parent.mkdir(parents=True, exist_ok=True)
            (base / rel).symlink_to(src)


def make_base(base, rev):
    """The unmutated source tree in `base`, from the working tree or from
    git revision `rev`."""
    base.mkdir(parents=True)
    if rev:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=SRC,
                                 stdout=subprocess.PIPE, check=True).stdout
        subprocess.run(["tar", "-x", "-C", str(base)], input=archive, check=True)
    else:
        for f in source_files():
            dst = base / f
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(SRC / f, dst, follow_symlinks=False)
    link_deps(base)


def build(tree, unit_suites, jobs):
    """make all and the named unit suites in `tree`: None, or the reason it
    failed (the first error lines)."""
    targets = ["all"] + [f"{UNIT_DIR}/{s}" for s in sorted(unit_suites)]
    rc, out = run(["make", f"-j{jobs}", "--no-print-directory", *targets], tree, BUILD_TIMEOUT)
    if rc == 0:
        return None
    errors = [l for l in out.splitlines()
              if re.search(r"\berror:|undefined reference|\*\*\* ", l)] or out.splitlines()[-3:]
    return ("timed out; " if rc is None else "") + " | ".join(errors[:2])[:300]


def locate(m, text):
    """(offset of Original in text, None), or (None, why it is stale)."""
    start, end = 0, len(text)
    if m.after:
        n = text.count(m.after)
        if n != 1:
            return None, f"After occurs {n} times in {m.file}"
        start = text.index(m.after) + len(m.after)
        end = start
        for _ in range(AFTER_LINES):
            nl = text.find("\n", end + 1)
            end = len(text) if nl < 0 else nl
    n = text.count(m.original, start, end)
    if n != 1:
        where = f" in the {AFTER_LINES} lines after After" if m.after else ""
        return None, f"Original occurs {n} times{where} in {m.file}"
    return text.index(m.original, start, end), None


def apply(m, tree):
    """Apply mutant m in `tree`: None, or why it is stale."""
    target = tree / m.file
    if not target.is_file():
        return f"{m.file} does not exist"
    text = target.read_text()
    at, stale = locate(m, text)
    if stale:
        return stale
    # Written now: newer than the base's objects, so make rebuilds it.
    target.write_text(text[:at] + m.mutant + text[at + len(m.original):])
    return None


def stale_in_tree(m):
    """Why mutant m does not apply to the working tree, or None."""
    target = SRC / m.file
    if not target.is_file():
        return f"{m.file} does not exist"
    return locate(m, target.read_text())[1]


# ---------------------------------------------------------------------------
# Tests

def test_env(tree):
    env = dict(os.environ)
    env.setdefault("PEER_DIR", str(SRC / "build" / "peers"))
    env["PEER_DIR"] = str((SRC / env["PEER_DIR"]).resolve()) \
        if not Path(env["PEER_DIR"]).is_absolute() else env["PEER_DIR"]
    env["FTP_SRCDIR"] = str(tree)
    env.setdefault("CK_DEFAULT_TIMEOUT", "20")
    env.pop("CK_RUN_SUITE", None)
    env.pop("CK_RUN_CASE", None)
    env.pop("KEEP_TMP", None)
    return env


def run_unit(tree, spec):
    """Run one Check suite or case: None if it passed, else what failed."""
    suite, _, case = spec.partition(":")
    env = test_env(tree)
    if case:
        env["CK_RUN_CASE"] = case
    rc, out = run([str(tree / UNIT_DIR / suite)], tree, UNIT_TIMEOUT, env)
    if rc == 0 and re.search(r"Checks: [1-9]", out):
        return None
    if rc == 0:
        return f"{spec}: no test ran (unknown case?)"
    failed = re.findall(r"^[^:\n]+:\d+:[EF]:([^:]+):([^:]+):", out, re.M)
    what = shorten(sorted({f"{suite}:{c}:{t}" for c, t in failed})) or spec
    return what + (" (timed out)" if rc is None else "")


def run_integration(tree, names):
    """Run integration tests: None if all passed, else which failed."""
    rc, out = run([sys.executable, "test/integration/run.py", "--build", ".",
                   "--timeout", str(INTEGRATION_TIMEOUT - 60), *names],
                  tree, INTEGRATION_TIMEOUT, test_env(tree))
    if rc == 0:
        return None
    if rc == 2:
        raise CatalogueError(f"run.py refused {' '.join(names)}: {out.strip()[-300:]}")
    # run.py's lines: "FAIL   1.23s  id", "ERROR      -  setUpClass (id)",
    # "FAIL            id (subtest)"; then its "FAIL: id" sections.
    failed = re.findall(r"^(?:FAIL|ERROR) +(?:[\d.]+s|-) +(\S.*?)\s*$", out, re.M)
    failed += re.findall(r"^(?:FAIL |ERROR) {11}(\S.*?)\s*$", out, re.M)
    failed += re.findall(r"^(?:FAIL|ERROR): (\S.*?)\s*$", out, re.M)
    if rc is None or rc == 3:
        failed.append("(global timeout)")
    return shorten(failed) or f"run.py exit {rc}"


def shorten(failed, most=3):
    """The failed tests, each once (subtests folded into their test), at
    most `most` of them named."""
    tests = {}
    for f in dict.fromkeys(failed):     # run.py names a failure twice
        tests.setdefault(f.split(" (")[0], []).append(f)
    names = [t if len(subs) == 1 else f"{t} ({len(subs)} failures)"
             for t, subs in tests.items()]
    more = f" and {len(names) - most} more" if len(names) > most else ""
    return ", ".join(names[:most]) + more


def run_tests(tree, unit, integration):
    """The first failing group of tests (unit first: they are quick), or
    None when everything passed.  integration: test ids, or None for the
    whole integration suite."""
    for spec in unit:
        why = run_unit(tree, spec)
        if why:
            return why
    if integration is None or integration:
        return run_integration(tree, integration or [])
    return None


def all_unit_suites(tree):
    return sorted(p.stem for p in (tree / "test" / "unit").glob("check_*.c"))


# ---------------------------------------------------------------------------
# The run

class Printer:
    """Prints one line per mutant, in catalogue order, as soon as it and
    every mutant before it are done."""

    def __init__(self, mutants):
        self.mutants = mutants
        self.next = 0
        self.lock = threading.Lock()
        self.width = max(len(m.name) for m in mutants)

    def done(self):
        with self.lock:
            while self.next < len(self.mutants) and self.mutants[self.next].status != "-":
                m = self.mutants[self.next]
                print(f"{m.status:<11} {m.name:<{self.width}}  {m.detail}  "
                      f"({m.seconds:.0f}s)", flush=True)
                self.next += 1


def check_one(m, base, scratch, args, printer):
    t0 = time.monotonic()
    tree = scratch / m.name
    try:
        shutil.copytree(base, tree, symlinks=True)
        stale = apply(m, tree)
        if stale:
            m.status, m.detail = "stale", stale
            return
        run_all = args.all_tests or not m.tests
        unit = all_unit_suites(tree) if run_all else m.unit_tests()
        integration = None if run_all else m.integration_tests()
        why = build(tree, {u.partition(":")[0] for u in unit}, 1 if args.jobs > 1 else 2)
        if why:
            m.status, m.detail = "unbuildable", why
            return
        why = run_tests(tree, unit, integration)
        if why:
            m.status, m.detail = "killed", f"by {why}"
        else:
            m.status = "survived"
            m.detail = f"{m.file}: {m.promise[:100]}"
    except CatalogueError as e:
        m.status, m.detail = "error", str(e)
    except Exception as e:  # one broken mutant must not hide the others
        m.status, m.detail = "error", f"{type(e).__name__}: {e}"
    finally:
        m.seconds = time.monotonic() - t0
        if not args.keep:
            shutil.rmtree(tree, ignore_errors=True)
        printer.done()


def baseline(base, mutants, args):
    """Build the base and run, unmutated, every test the mutants name.
    None, or why the baseline is not clean."""
    everything = args.all_tests or any(not m.tests for m in mutants)
    unit = set(all_unit_suites(base)) if everything else set()
    integration = None if everything else []
    for m in mutants:
        unit.update(m.unit_tests())
        if integration is not None:
            integration += [t for t in m.integration_tests() if t not in integration]
    suites = {u.partition(":")[0] for u in unit}
    print(f"mutate: building the base in {base}", flush=True)
    why = build(base, suites, max(2, args.jobs))
    if why:
        return f"the unmutated tree does not build: {why}"
    # A case named by one mutant is part of a suite named by another:
    # run each suite or case once.
    whole = {u for u in unit if ":" not in u}
    unit = sorted(u for u in unit if ":" not in u or u.partition(":")[0] not in whole)
    what = "the whole integration suite" if integration is None else \
        f"{len(integration)} integration tests"
    print(f"mutate: baseline: {len(unit)} unit suites or cases and {what} "
          "on the unmutated tree", flush=True)
    why = run_tests(base, unit, integration)
    return f"tests fail without any mutant: {why}" if why else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--all-tests", action="store_true")
    ap.add_argument("--rev")
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--list", action="store_true")
    ap.add_argument("names", nargs="*")
    args = ap.parse_args()
    try:
        mutants = catalogue(args.names)
    except CatalogueError as e:
        print(f"mutate: {e}", file=sys.stderr)
        return 2
    if not mutants:
        print("mutate: the catalogue is empty", file=sys.stderr)
        return 2
    if args.list:
        stale = 0
        for m in mutants:
            why = stale_in_tree(m)
            stale += why is not None
            print(f"{m.name}{'  STALE: ' + why if why else ''}\n    {m.file}: {m.promise}\n"
                  f"    tests: {' '.join(m.tests) or '(all)'}")
        print(f"mutate: {len(mutants)} mutants, {stale} stale in the working tree")
        return 1 if stale else 0
    t0 = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="mutate-", dir=os.environ.get("MUTATE_TMP")))
    base = scratch / "base"
    try:
        make_base(base, args.rev)
        why = baseline(base, mutants, args)
        if why:
            print(f"mutate: {why}", file=sys.stderr)
            return 2
        print(f"mutate: {len(mutants)} mutants, {args.jobs} at a time", flush=True)
        printer = Printer(mutants)
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as ex:
            list(ex.map(lambda m: check_one(m, base, scratch, args, printer), mutants))
    except KeyboardInterrupt:
        print("mutate: interrupted", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"mutate: kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    count = {s: sum(m.status == s for m in mutants)
             for s in ("killed", "survived", "stale", "unbuildable", "error")}
    extra = f", {count['error']} errors" if count["error"] else ""
    print(f"mutate: {count['killed']} killed, {count['survived']} survived, "
          f"{count['stale']} stale, {count['unbuildable']} unbuildable{extra} "
          f"({len(mutants)} mutants, {time.monotonic() - t0:.0f}s)")
    if count["error"]:
        return 2
    return 0 if count["killed"] == len(mutants) else 1


if __name__ == "__main__":
    sys.exit(main())
