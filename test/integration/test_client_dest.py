"""test_client_dest: where our ftp client writes a download.

A regular file or a new name gets the .part file and the rename; a special
file is written in place and stays what it is: a character device made with
mknod in the test's own directory (never /dev/null itself), a FIFO whose
reader gets exactly the bytes; a symbolic link stays a link and its target
(a regular file, or a name a dangling link points to) gets the whole
content, with no .part file left anywhere.  The same through the shell's
get and reget.  New files get 0666 less the user's umask (two umasks), or
less UMASK when the member codes it.  A download cut in the middle onto a
FIFO exits non-zero with one line that says so, and leaves the FIFO a FIFO.
"""

import hashlib
import os
import re
import stat
import threading
import unittest
from pathlib import Path

import ftpclient as fc
import ftptest
from test_client_ftpd import PASSWORD, USER, ClientTest, sample_ftpd, url

BIG = "big.bin"


def digest(data):
    return hashlib.sha256(data).hexdigest()


class FifoReader:
    """Reads a FIFO to its end in a thread (opening it waits for the
    writer, as the writer's open waits for us)."""

    def __init__(self, path):
        self.path = path
        self.data = None
        self.error = None
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        try:
            with open(self.path, "rb") as f:
                self.data = f.read()
        except OSError as e:
            self.error = e

    def wait(self, timeout=30):
        self.thread.join(timeout)
        if self.thread.is_alive():
            # Unblock the open (or the read) with a writer of our own.
            with open(self.path, "wb"):
                pass
            self.thread.join(5)
            raise AssertionError("the FIFO's reader never finished")
        if self.error is not None:
            raise self.error
        return self.data


def char_device(path):
    """A character device with /dev/null's numbers at path (root), or, for a
    user who cannot mknod (and cannot harm /dev/null), a link to it."""
    rdev = os.stat("/dev/null").st_rdev
    if os.getuid() == 0:
        os.mknod(path, stat.S_IFCHR | 0o666, rdev)
    else:
        os.symlink("/dev/null", path)
    return rdev


def with_umask(mask, argv):
    """argv run under umask `mask` (a shell sets it, then execs argv)."""
    return ["/bin/sh", "-c", f'umask {mask:03o} && exec "$@"', "sh", *map(str, argv)]


class Destinations(ClientTest):
    member = "tls-required.data"

    def get(self, local, remote=BIG, **kw):
        return self.ok(["-o", local, url(self.srv, remote)], **kw)

    def no_part_files(self):
        parts = [p.name for p in self.work.rglob("*.part")]
        self.assertEqual(parts, [], "a .part file was left behind")

    def test_character_device_written_in_place(self):
        dev = self.work / "null"
        rdev = char_device(dev)
        self.get(dev)
        st = os.lstat(dev) if os.getuid() == 0 else os.stat(dev)
        self.assertTrue(stat.S_ISCHR(st.st_mode), "the device is no longer a device")
        self.assertEqual(st.st_rdev, rdev)
        self.no_part_files()

    def test_fifo_reader_gets_exactly_the_bytes(self):
        fifo = self.work / "fifo"
        os.mkfifo(fifo)
        reader = FifoReader(fifo)
        self.get(fifo)
        data = reader.wait()
        self.assertEqual(digest(data), self.srv.hashes[BIG])
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.no_part_files()

    def test_symlink_target_replaced_completely(self):
        target = self.work / "target.bin"
        target.write_bytes(b"old content, longer than the new one " * 1000)
        link = self.work / "link"
        os.symlink("target.bin", link)
        self.get(link, remote="text.txt")
        self.assertTrue(link.is_symlink(), "the link was replaced")
        self.assertEqual(os.readlink(link), "target.bin")
        self.assertEqual(target.read_text(), "first line\nsecond line\n\nlast line\n")
        self.no_part_files()

    def test_symlink_chain_into_another_directory(self):
        other = ftptest.tmpdir("elsewhere")
        (other / "final.bin").write_bytes(b"x")
        os.symlink(other / "final.bin", self.work / "hop")
        os.symlink("hop", self.work / "link")
        self.get(self.work / "link")
        self.assertEqual(ftptest.sha256(other / "final.bin"), self.srv.hashes[BIG])
        self.assertTrue((self.work / "link").is_symlink() and (self.work / "hop").is_symlink())
        self.assertEqual([p.name for p in other.iterdir()], ["final.bin"])
        self.no_part_files()

    def test_dangling_symlink_creates_its_target(self):
        link = self.work / "link"
        os.symlink("new.bin", link)
        self.get(link)
        self.assertTrue(link.is_symlink())
        self.assertEqual(ftptest.sha256(self.work / "new.bin"), self.srv.hashes[BIG])
        self.no_part_files()

    def test_directory_refused(self):
        (self.work / "dir").mkdir()
        rc, out, err = self.ftp(["-o", self.work / "dir", url(self.srv, BIG)])
        self.assertEqual(rc, fc.EXIT_FAIL, fc.show(rc, out, err))
        self.assertIn("is a directory", err)
        self.assertEqual(list((self.work / "dir").iterdir()), [])

    def test_shell_get_and_reget(self):
        # get REMOTE LOCAL and reget onto a device, a FIFO and a link.
        char_device(self.work / "null")
        fifo = self.work / "fifo"
        os.mkfifo(fifo)
        # The link's target holds the first line: reget resumes it there.
        (self.work / "target.txt").write_text("first line\n")
        os.symlink("target.txt", self.work / "link")
        reader = FifoReader(fifo)
        script = "get big.bin null\nreget big.bin null\nget big.bin fifo\nreget text.txt link\n"
        rc, out, err = self.ftp(["-r", "tls", self.srv.host, self.srv.port], input=script)
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        self.assertEqual(digest(reader.wait()), self.srv.hashes[BIG])
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertTrue((self.work / "link").is_symlink())
        self.assertEqual((self.work / "target.txt").read_text(),
                         "first line\nsecond line\n\nlast line\n")
        # Only the link's target was resumed; a device has nothing to resume.
        self.assertEqual(re.findall(r"-> REST \d+", self.new_log()), ["-> REST 11"])
        self.no_part_files()

    def mode_under(self, mask, name, member_text=""):
        member = fc.write_member(self.work, member_text, name=f"{name}.data")
        argv = [ftptest.ftp_path(), "-f", member, "-N", self.netrc, "--ca-file",
                ftptest.certs().ca_cert, "-o", name, url(self.srv, "one.bin")]
        rc, out, err = ftptest.run(with_umask(mask, argv), cwd=self.work)
        self.assertEqual(rc, 0, fc.show(rc, out, err, self.srv))
        return stat.S_IMODE(os.stat(self.work / name).st_mode)

    def test_umask_honoured(self):
        self.assertEqual(self.mode_under(0o022, "u022"), 0o644)
        self.assertEqual(self.mode_under(0o077, "u077"), 0o600)
        self.assertEqual(self.mode_under(0o002, "u002"), 0o664)
        # UMASK coded in the member wins over the user's.
        self.assertEqual(self.mode_under(0o002, "coded", "UMASK 027\n"), 0o640)


class CutOntoFifo(unittest.TestCase):
    """The data connection breaks in the middle of a download onto a FIFO:
    non-zero exit, one clear line, the FIFO still a FIFO, no .part file."""

    def test_truncated_download_onto_fifo(self):
        srv = sample_ftpd("tls-required.data", name="ftpd-cut")
        self.addCleanup(srv.stop)
        srv.start()
        work = ftptest.tmpdir("cut")
        netrc = fc.write_netrc(work, [("127.0.0.2", USER, PASSWORD)])
        # 127.0.0.2 is not in the certificate: check the chain only.
        member = fc.write_member(work, "SECURE_HOSTNAME OPTIONAL\n")
        ctl = fc.Relay("127.0.0.2", "127.0.0.1", [srv.port]).start()
        data = fc.Relay("127.0.0.2", "127.0.0.1", range(srv.passive[0], srv.passive[1] + 1),
                        cut_after=1 << 20).start()
        self.addCleanup(ctl.stop)
        self.addCleanup(data.stop)
        fifo = work / "fifo"
        os.mkfifo(fifo)
        reader = FifoReader(fifo)
        rc, out, err = fc.ftp(["-o", fifo, f"ftpes://{USER}@127.0.0.2:{srv.port}/{BIG}"],
                              member, netrc, cafile=ftptest.certs().ca_cert, cwd=work)
        got = reader.wait()
        self.assertNotEqual(rc, 0, fc.show(rc, out, err, srv))
        errors = [x for x in err.splitlines() if x.startswith("ftp:")]
        self.assertEqual(len(errors), 1, err)
        # The server's 426 or our own "truncated" comes first; either way
        # the line says that the FIFO's reader got part of the file.
        self.assertRegex(errors[0], r"(426|truncated).*fifo got an incomplete copy")
        self.assertLess(len(got), 5 << 20)
        self.assertTrue(stat.S_ISFIFO(os.lstat(fifo).st_mode))
        self.assertEqual([p.name for p in Path(work).glob("*.part")], [])


if __name__ == "__main__":
    unittest.main()
