"""test_interop: the interop matrix of interop.py as one integration test.

`make check` reaches the matrix this way, in the default and the sanitizer
build: run.py discovers this module like any other, so the matrix shares its
temporary directory, its global timeout and its check that no process is
left running.  `make interop` runs interop.py directly and prints the same
matrix.  The rows run in parallel threads inside this one test.
"""

import io
import sys
import unittest

import interop


class InteropMatrix(unittest.TestCase):
    def test_matrix(self):
        out = io.StringIO()
        rows = interop.run_matrix(out=out)
        text = out.getvalue()
        sys.stdout.write("\n" + text)
        sys.stdout.flush()
        bad = [r for r in rows if not interop.row_ok(r)]
        self.assertFalse(bad, f"{len(bad)} interop rows failed:\n{text}")


if __name__ == "__main__":
    unittest.main()
