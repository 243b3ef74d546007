"""clients: command lines of curl, lftp and our client for the bench, and a
timed run that reads the client's own CPU time from the kernel (wait4).

Every client does explicit FTPS (AUTH TLS) with the certificate verified,
TLS 1.3 with AES-128-GCM only (so that every server negotiates the same
cipher whatever its own preference), passive mode (EPSV), binary type, and
data protection P or C as asked.
"""

import os
import signal
import subprocess
import threading
import time

import ftptest

CIPHER_OPENSSL = "TLS_AES_128_GCM_SHA256"
GNUTLS_PRIORITY = "NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+AES-128-GCM"
NAMES = ("curl", "lftp", "ftp")


class Result:
    """A finished client run: wall seconds, client CPU seconds (user +
    system, its children included), exit status and output."""

    def __init__(self, argv, wall, cpu, rc, out, err):
        self.argv = argv
        self.wall = wall
        self.cpu = cpu
        self.rc = rc
        self.out = out
        self.err = err

    def check(self, what):
        if self.rc != 0:
            raise AssertionError(
                f"{what}: exit {self.rc}\ncommand: {' '.join(map(str, self.argv))}\n"
                f"--- stdout ---\n{self.out[-3000:]}\n--- stderr ---\n{self.err[-3000:]}")
        return self


def run_timed(argv, timeout, stdin_text=None, cwd=None):
    """Run argv to completion in its own process group; wall time from
    start to exit, CPU from wait4's rusage.  On timeout the group is
    killed and the run fails."""
    argv = [str(a) for a in argv]
    tmp = ftptest.tmpdir("client")
    out_path, err_path = tmp / "stdout", tmp / "stderr"
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdin=subprocess.PIPE if stdin_text is not None
                             else subprocess.DEVNULL, stdout=out, stderr=err,
                             env=ftptest.client_env(), cwd=cwd, start_new_session=True)
        killer = threading.Timer(timeout, lambda: _kill(p.pid))
        killer.start()
        try:
            if stdin_text is not None:
                p.stdin.write(stdin_text.encode())
                p.stdin.close()
            _, status, ru = os.wait4(p.pid, 0)
        finally:
            killer.cancel()
        wall = time.monotonic() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    res = Result(argv, wall, ru.ru_utime + ru.ru_stime, p.returncode,
                 out_path.read_text(errors="replace"), err_path.read_text(errors="replace"))
    if wall >= timeout:
        raise AssertionError(f"timed out after {timeout}s: {' '.join(argv)}\n{res.err[-2000:]}")
    return res


def _kill(pgid):
    try:
        os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass


def curl_argv(srv, cafile, prot, args):
    """curl: --ssl-reqd asks for PROT P; --ftp-ssl-control protects the
    login only (PROT C)."""
    argv = [ftptest.require_program("curl"), "-q", "--silent", "--show-error",
            "--globoff", "--tlsv1.3", "--tls-max", "1.3",
            "--tls13-ciphers", CIPHER_OPENSSL, "--cacert", cafile,
            "--user", f"{srv.user}:{srv.password}",
            "--ssl-reqd" if prot == "P" else "--ftp-ssl-control"]
    return argv + list(args)


def lftp_argv(srv, cafile, prot, commands):
    settings = [f"ssl:priority {ftptest.lftp_quote(GNUTLS_PRIORITY)}",
                f"ftp:ssl-protect-data {'true' if prot == 'P' else 'false'}",
                f"ftp:ssl-protect-list {'true' if prot == 'P' else 'false'}",
                "net:timeout 60"]
    return ftptest.lftp_cmd(srv.host, srv.port, srv.user, srv.password, commands,
                            cafile=cafile, settings=settings, debug=False)


def ftp_member(path, prot):
    """Our client's member: AES-128-GCM under TLS 1.3, and the data
    protection (PRIVATE sends PROT P; CLEAR sends PROT C)."""
    path.write_text("CIPHERSUITE TLS_AES_128_GCM_SHA256\n"
                    f"SECURE_DATACONN {'PRIVATE' if prot == 'P' else 'CLEAR'}\n")
    return path


def ftp_url(srv, name):
    from urllib.parse import quote
    return (f"ftpes://{quote(srv.user, safe='')}:{quote(srv.password, safe='')}"
            f"@{srv.host}:{srv.port}/{name}")


def ftp_argv(member, cafile, args):
    return [ftptest.ftp_path(), "-q", "-f", member, "--ca-file", cafile] + list(args)


def retr_argv(client, srv, env, prot, name, out):
    """Download `name` into `out`."""
    if client == "curl":
        return curl_argv(srv, env.cafile, prot, ["-o", out, ftptest.ftp_url(
            srv.host, srv.port, name)])
    if client == "lftp":
        return lftp_argv(srv, env.cafile, prot, [f"get {ftptest.lftp_quote(name)} -o "
                                                 f"{ftptest.lftp_quote(out)}"])
    return ftp_argv(env.members[prot], env.cafile, ["-o", out, ftp_url(srv, name)])


def stor_argv(client, srv, env, prot, src, name):
    """Upload local `src` as `name`."""
    if client == "curl":
        return curl_argv(srv, env.cafile, prot, ["-T", src, ftptest.ftp_url(
            srv.host, srv.port, name)])
    if client == "lftp":
        return lftp_argv(srv, env.cafile, prot, [f"put {ftptest.lftp_quote(src)} -o "
                                                 f"{ftptest.lftp_quote(name)}"])
    return ftp_argv(env.members[prot], env.cafile, ["-u", ftp_url(srv, name), src])


def mget_run(srv, env, directory, outdir, timeout):
    """Our client in batch mode: cd, mget *, under PROT P."""
    script = (f"user {srv.user} {srv.password or 'x'}\n"
              f"cd {directory}\nmget *\nquit\n")
    argv = [ftptest.ftp_path(), "-q", "-n", "-f", env.members["P"], "-r", "tls",
            "--ca-file", env.cafile, srv.host, str(srv.port)]
    return run_timed(argv, timeout, stdin_text=script, cwd=outdir)


def mirror_run(srv, env, directory, outdir, timeout):
    """lftp mirror of a directory, under PROT P."""
    argv = lftp_argv(srv, env.cafile, "P", [
        f"mirror {ftptest.lftp_quote(directory)} {ftptest.lftp_quote(outdir)}"])
    return run_timed(argv, timeout)
