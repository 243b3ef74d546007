#!/usr/bin/env python3
"""run.py: the integration test runner (`make check-integration`).

    python3 test/integration/run.py --build DIR [--timeout S] [NAME...]

DIR is the build directory: `.` for the default build, `build/san/` for the
sanitizer build (binaries DIR/server/ftpd and DIR/client/ftp).  Without
NAMEs every test/integration/test_*.py runs; a NAME picks a module
(`test_peers.py`, `test_peers`), a class (`VsftpdIPv4`, or
`test_peers.VsftpdIPv4`) or one test (`VsftpdIPv4.test_curl_tls13`, or with
the module in front).

One line per test (name, ok/FAIL/ERROR/skip, seconds), the failure details,
a summary; exit status 0 only if everything passed.  Exit 1: failures,
2: bad usage or unknown name, 3: the global timeout (--timeout, default
600 s) expired or the run was interrupted.

Each run gets a fresh temporary directory (FTPTEST_TMP), removed at the end
unless KEEP_TMP=1, which also prints its path.  Any process a test left
running is stopped by its process group id, and counts as a failure.
"""

import argparse
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parents[1]


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread by SIGALRM (global timeout), SIGTERM or
    SIGINT.  A KeyboardInterrupt, because unittest lets only that one through
    its per-test exception handling."""


class LineResult(unittest.TestResult):
    """Prints one line per test as it finishes."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream
        self.started = {}
        self.lines = 0
        self.passed = 0

    def startTest(self, test):
        super().startTest(test)
        self.started[test.id()] = time.monotonic()

    def _line(self, test, status, extra=""):
        t0 = self.started.pop(test.id(), None)
        secs = f"{time.monotonic() - t0:7.2f}s" if t0 is not None else "       -"
        # test.id(): "test_peers.VsftpdIPv4.test_x"; a class fixture that
        # failed shows as "setUpClass (test_peers.VsftpdIPv4)".
        self.stream.write(f"{status:<5} {secs}  {test.id()}{extra}\n")
        self.stream.flush()
        self.lines += 1

    def addSuccess(self, test):
        super().addSuccess(test)
        self.passed += 1
        self._line(test, "ok")

    def addFailure(self, test, err):
        super().addFailure(test, err)
        self._line(test, "FAIL")

    def addError(self, test, err):
        super().addError(test, err)
        self._line(test, "ERROR")

    def addSkip(self, test, reason):
        super().addSkip(test, reason)
        self._line(test, "skip", f"  ({reason})")

    def addExpectedFailure(self, test, err):
        super().addExpectedFailure(test, err)
        self._line(test, "xfail")

    def addUnexpectedSuccess(self, test):
        super().addUnexpectedSuccess(test)
        self._line(test, "FAIL", "  (unexpected success)")

    def addSubTest(self, test, subtest, err):
        super().addSubTest(test, subtest, err)
        if err is not None:
            status = "FAIL" if issubclass(err[0], test.failureException) else "ERROR"
            self.stream.write(f"{status:<5}           {subtest.id()}\n")


def flatten(suite):
    for t in suite:
        if isinstance(t, unittest.TestSuite):
            yield from flatten(t)
        else:
            yield t


def matches(test, name):
    """Does test id "module.Class.method" match a NAME from the command line?"""
    tid = test.id()
    name = name.removesuffix(".py")
    if "/" in name:
        name = Path(name).name
    parts = tid.split(".")
    if len(parts) < 3:          # a loader error: "unittest.loader._FailedTest.x"
        return name in tid
    mod, cls, meth = parts[0], parts[1], parts[2]
    return name in (mod, cls, f"{mod}.{cls}", f"{cls}.{meth}", f"{mod}.{cls}.{meth}", tid)


def load(names):
    loader = unittest.TestLoader()
    suite = loader.discover(str(HERE), pattern="test_*.py", top_level_dir=str(HERE))
    tests = list(flatten(suite))
    if not names:
        return unittest.TestSuite(tests), []
    chosen, unknown = [], []
    for n in names:
        hit = [t for t in tests if matches(t, n)]
        if not hit:
            unknown.append(n)
        for t in hit:
            if t not in chosen:
                chosen.append(t)
    # Keep discovery order, so that tests of a class stay together and its
    # setUpClass/tearDownClass run once.
    order = {id(t): i for i, t in enumerate(tests)}
    chosen.sort(key=lambda t: order[id(t)])
    return unittest.TestSuite(chosen), unknown


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", required=True,
                    help="build directory: '.' or 'build/san/'")
    ap.add_argument("--timeout", type=float, default=600,
                    help="global timeout of the whole run in seconds (600)")
    ap.add_argument("names", nargs="*", help="test files, classes or Class.test")
    args = ap.parse_args()

    build = Path(args.build)
    build = (build if build.is_absolute() else Path.cwd() / build).resolve()
    if not build.is_dir():
        print(f"run.py: build directory {build} does not exist", file=sys.stderr)
        return 2

    keep = os.environ.get("KEEP_TMP") == "1"
    tmp = Path(tempfile.mkdtemp(prefix="ftptest-"))
    if keep:
        print(f"run.py: temporary directory {tmp} (KEEP_TMP=1: kept)")
    try:
        return run_tests(args, build, tmp, keep)
    finally:
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)


def run_tests(args, build, tmp, keep):
    os.environ["FTPTEST_BUILD"] = str(build)
    os.environ["FTPTEST_SRC"] = str(SRC)
    os.environ["FTPTEST_TMP"] = str(tmp)
    sys.dont_write_bytecode = True       # no __pycache__ in the source tree
    sys.path.insert(0, str(HERE))

    import ftptest

    # The global timeout: SIGALRM interrupts the main thread wherever it
    # waits (every wait in the harness is a Python-level, interruptible
    # one).  A watchdog thread is the backstop in case the main thread
    # cannot get out: it stops every process and exits hard.
    timed_out = threading.Event()

    def on_signal(signum, frame):
        if signum == signal.SIGALRM:
            timed_out.set()
        raise Interrupted(signal.Signals(signum).name)

    for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT):
        signal.signal(s, on_signal)
    signal.setitimer(signal.ITIMER_REAL, args.timeout)

    def backstop():
        print(f"\nrun.py: still running {args.timeout + 30:.0f}s after start; "
              "stopping everything", file=sys.stderr, flush=True)
        ftptest.stop_all()
        if not keep:
            shutil.rmtree(tmp, ignore_errors=True)
        os._exit(3)

    watchdog = threading.Timer(args.timeout + 30, backstop)
    watchdog.daemon = True
    watchdog.start()

    t0 = time.monotonic()
    result = LineResult(sys.stdout)
    status = 0
    leaked = []
    try:
        suite, unknown = load(args.names)
        if unknown:
            print(f"run.py: no test matches {', '.join(unknown)}", file=sys.stderr)
            return 2
        print(f"run.py: {suite.countTestCases()} tests, build {build}, "
              f"timeout {args.timeout:.0f}s", flush=True)
        suite.run(result)
    except Interrupted as e:
        why = (f"global timeout of {args.timeout:.0f}s expired"
               if timed_out.is_set() else f"interrupted by {e}")
        print(f"\nrun.py: {why}; stopping all processes", flush=True)
        status = 3
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        leaked = ftptest.live_procs()
        ftptest.stop_all()
        watchdog.cancel()

    for kind, items in (("FAIL", result.failures), ("ERROR", result.errors)):
        for test, tb in items:
            print(f"\n{'=' * 70}\n{kind}: {test.id()}\n{'-' * 70}\n{tb}")
    if leaked and not status:
        print(f"\nrun.py: tests left processes running (stopped now): {leaked}")
    elif leaked:
        print(f"\nrun.py: stopped {leaked}")
    elapsed = time.monotonic() - t0
    print(f"\nrun.py: {result.testsRun} run, {result.passed} ok, "
          f"{len(result.failures) + len(result.unexpectedSuccesses)} failed, "
          f"{len(result.errors)} errors, {len(result.skipped)} skipped "
          f"in {elapsed:.1f}s")
    if status:
        return status
    if leaked or not result.wasSuccessful() or result.testsRun == 0:
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
