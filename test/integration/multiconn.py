"""multiconn: rclone (Go) and Node's basic-ftp as FTPS clients of ftpd.

Both open several connections on their own: rclone with its defaults
(--transfers 4 --checkers 8) keeps one TLS session cache for all of them,
basic-ftp resumes the control session (or the newest session a data
connection handed it).  The interop matrix (interop.py) and the handshake
test (test_ftpd_hello.py) drive them through this module.

    rc, out, err = rclone(srv, ["copy", src, "ftpd:dir"], implicit=False, tls="1.3")
    result = basic_ftp(srv, spec)      # the JSON line of node/basic_ftp_client.js

`srv` is an ftpd_harness.Ftpd (host, port, tlsport, cafile, password), as
ftpwire.ftpd() makes it.
The server's certificate is always verified against the run's CA: rclone
through SSL_CERT_FILE (Go reads it on Linux; rclone's FTP backend takes no
CA option of its own), basic-ftp through its TLS options.  Nothing turns
verification off.  Both programs are required (make deps installs rclone
from Debian and basic-ftp from npm into build/node): missing is a failure.
"""

import json
import os

import ftptest

NODE_DIR = "build/node"          # where make deps installs the npm modules
RCLONE_TIMEOUT = 60

_obscured = {}


def rclone_path():
    return ftptest.require_program("rclone")


def node_modules():
    """build/node/node_modules of the source tree, with basic-ftp in it."""
    d = ftptest.src_dir() / NODE_DIR / "node_modules"
    if not (d / "basic-ftp" / "package.json").is_file():
        raise AssertionError(f"basic-ftp is not installed in {d} (run `make deps`)")
    return d


def _obscure(password):
    """rclone keeps passwords obscured in its configuration."""
    if password not in _obscured:
        out, _ = ftptest.run_ok([rclone_path(), "obscure", password], timeout=20)
        _obscured[password] = out.strip()
    return _obscured[password]


def rclone_env(srv, user, implicit=False, tls="1.3", tmp=None):
    """The environment that defines the remote "ftpd:" for this server (no
    configuration file of the developer is read)."""
    tmp = tmp or ftptest.tmpdir("rclone")
    conf = tmp / "rclone.conf"
    conf.write_text("")
    env = {
        "RCLONE_CONFIG": str(conf),
        "RCLONE_CACHE_DIR": str(tmp / "cache"),
        "SSL_CERT_FILE": str(srv.cafile),
        "RCLONE_CONFIG_FTPD_TYPE": "ftp",
        "RCLONE_CONFIG_FTPD_HOST": "127.0.0.1",
        "RCLONE_CONFIG_FTPD_PORT": str(srv.tlsport if implicit else srv.port),
        "RCLONE_CONFIG_FTPD_USER": user,
        "RCLONE_CONFIG_FTPD_PASS": _obscure(srv.password),
        "RCLONE_CONFIG_FTPD_TLS": "true" if implicit else "false",
        "RCLONE_CONFIG_FTPD_EXPLICIT_TLS": "false" if implicit else "true",
        "RCLONE_CONFIG_FTPD_DISABLE_TLS13": "true" if tls == "1.2" else "false",
    }
    return env


def rclone(srv, args, user, implicit=False, tls="1.3", timeout=RCLONE_TIMEOUT, env=None):
    """Run `rclone ARGS` against the remote "ftpd:" with rclone's default
    concurrency, one try only (no retry may hide a refused data
    connection), verbose: (exit code, stdout, stderr)."""
    e = dict(env or rclone_env(srv, user, implicit, tls))
    argv = [rclone_path(), *[str(a) for a in args], "-v", "--retries", "1",
            "--low-level-retries", "1", "--timeout", "20s", "--contimeout", "10s"]
    return ftptest.run(argv, timeout=timeout, env=e)


def basic_ftp(srv, spec, tmp=None, timeout=90):
    """Run node/basic_ftp_client.js with `spec` (see that file; host, port,
    user, password, ca are filled in unless given).  Returns its result
    dict, with "stderr" added (basic-ftp's protocol log when verbose)."""
    tmp = tmp or ftptest.tmpdir("basic-ftp")
    full = {"host": "127.0.0.1", "password": srv.password, "ca": str(srv.cafile),
            "tls": None, "uploads": [], "downloads": [], "rename": None,
            "remove": [], "verbose": True}
    full.update(spec)
    if "port" not in spec:
        full["port"] = srv.tlsport if full.get("secure") == "implicit" else srv.port
    path = tmp / "spec.json"
    path.write_text(json.dumps(full))
    script = ftptest.src_dir() / "test" / "integration" / "node" / "basic_ftp_client.js"
    rc, out, err = ftptest.run([ftptest.require_program("node"), script, path],
                               timeout=timeout,
                               env={"NODE_PATH": str(node_modules())})
    lines = [x for x in out.splitlines() if x.startswith("{")]
    if not lines:
        raise AssertionError(f"basic_ftp_client.js printed no result (exit {rc}):\n"
                             f"{out}\n{err[-3000:]}")
    result = json.loads(lines[-1])
    result["stderr"] = err
    result["exit"] = rc
    return result


def versions():
    """One line per program, for the matrix's header."""
    out = []
    for argv in ([rclone_path(), "version"], [ftptest.require_program("node"), "--version"]):
        rc, o, _ = ftptest.run(argv, timeout=20)
        out.append(f"{os.path.basename(argv[0])}: {(o.splitlines() or ['?'])[0].strip()}")
    pkg = node_modules() / "basic-ftp" / "package.json"
    out.append(f"basic-ftp: {json.loads(pkg.read_text())['version']}")
    return out
