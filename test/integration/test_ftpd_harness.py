"""test_ftpd_harness: the launcher's own promises (ftpd_harness.Ftpd).

Every test file starts ftpd through Ftpd and relies on what it checks: that
start() returns only once every listener accepts, that stop() fails when
ftpd did not exit 0 or a sanitizer reported something, that signals reach
ftpd's own PID below a wrapper.  A launcher that quietly stopped checking
would let every other test pass on a broken server, so these tests break
each promise on purpose and require the failure.
"""

import signal
import unittest

import ftptest
from ftpd_harness import Ftpd, loopbacks


class Launcher(unittest.TestCase):
    def test_every_listener_probed_before_start_returns(self):
        """Every address, the implicit TLS port too, accepted a probe, and
        the probes' sessions ended before start() returned."""
        srv = Ftpd("probes", hosts=loopbacks(), tls=True, implicit=True)
        self.addCleanup(srv.stop)
        srv.start()
        log = srv.stderr()
        for host, port in srv.listeners():
            self.assertIn(f"connected on {ftptest.url_host(host)}:{port}", log)
        self.assertEqual(log.count("session closed:"), len(srv.listeners()))
        self.assertEqual(srv.stop(), 0)

    def test_refused_start_fails_with_the_log(self):
        srv = Ftpd("refused", member=["SECURE_FTP REQUIRD"])
        with self.assertRaises(AssertionError) as e:
            srv.start()
        self.assertIn(f"{srv.member_path}:", str(e.exception))
        self.assertIn("SECURE_FTP", str(e.exception))
        self.assertFalse(srv.alive())

    def test_unclean_exit_fails_stop(self):
        """ftpd killed behind the launcher's back: stop() says so."""
        srv = Ftpd("unclean")
        srv.start()
        srv.proc.popen.send_signal(signal.SIGKILL)
        srv.proc.popen.wait(ftptest.STOP_TIMEOUT)
        with self.assertRaises(AssertionError) as e:
            srv.stop()
        self.assertIn(f"exited {-signal.SIGKILL}", str(e.exception))

    def test_sanitizer_report_fails_stop(self):
        """A report on ftpd's stderr (here written by a wrapper, as a
        sanitizer's runtime would) fails stop() although ftpd exited 0."""
        srv = Ftpd("sanitizer")
        report = "server/x.c:1:2: runtime error: planted by test_ftpd_harness"
        srv.start(wrapper=["sh", "-c", f'echo "{report}" >&2; exec "$@"', "sh"])
        with self.assertRaises(AssertionError) as e:
            srv.stop()
        self.assertIn(report, str(e.exception))
        self.assertEqual(srv.exit_status, 0)

    def test_signals_reach_ftpd_below_a_wrapper(self):
        """Below a wrapper that forks (not execs), .pid is ftpd's own, and
        reload() and stop() go there: the wrapper reports ftpd's exit 0."""
        srv = Ftpd("wrapped")
        self.addCleanup(srv.stop)
        srv.start(wrapper=["sh", "-c", '"$@"; exit $?', "sh"])
        self.assertNotEqual(srv.pid, srv.proc.pid)
        self.assertIn("new configuration in effect", srv.reload())
        srv.write_member(["SECURE_FTP REQUIRD"])
        self.assertIn("keeping the previous configuration", srv.reload())
        self.assertEqual(srv.stop(), 0)
        self.assertIn("SIGTERM", srv.stderr())


if __name__ == "__main__":
    unittest.main()
