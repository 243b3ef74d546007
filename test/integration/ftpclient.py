"""ftpclient: helpers for the tests of our ftp client (test_client_*.py).

    ftp(args, ...)          run client/ftp with a member, netrc and CA of the
                            test's choosing; returns (exit code, stdout, stderr)
    write_member(d, text)   a client FTPDATA member
    write_netrc(d, entries) a netrc (mode 0600)
    Relay(...)              a TCP relay that can slow one direction down, or
                            cut it after some bytes, to interrupt a transfer
                            on loopback at a chosen moment
    ReplyFlood(...)         a fake server whose greeting never ends

The client always gets -f MEMBER (so that no $HOME/ftp.data or
/etc/ftp.data of the machine is read) and -N NETRC (so that no ~/.netrc is).
"""

import os
import select
import socket
import threading
import time
from pathlib import Path

import ftptest

# Exit statuses of ftp(1).
EXIT_OK, EXIT_FAIL, EXIT_USAGE, EXIT_CONN, EXIT_VERIFY, EXIT_LOGIN = range(6)

# CIPHERSUITE lines that pin one TLS version (our certificates are ECDSA).
PIN = {
    None: "",
    "1.2": "CIPHERSUITE TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
           "CIPHERSUITE TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n",
    "1.3": "CIPHERSUITE TLS_AES_128_GCM_SHA256\nCIPHERSUITE TLS_AES_256_GCM_SHA384\n",
}


def write_member(d, text="", name="ftp.data"):
    """A client member with `text` in directory d.  Returns its Path."""
    p = Path(d) / name
    p.write_text("; written by the test\n" + text)
    return p


def write_netrc(d, entries, name="netrc"):
    """entries: [(machine, login, password)].  Mode 0600.  Returns the Path."""
    p = Path(d) / name
    p.write_text("".join(f'machine {m} login {l} password "{pw}"\n' for m, l, pw in entries))
    os.chmod(p, 0o600)
    return p


def ftp(args, member, netrc, cafile=None, input=None, cwd=None, timeout=60, env=None):
    """Run our client: ftp -f MEMBER -N NETRC [--ca-file CA] ARGS...
    Returns (exit code, stdout, stderr)."""
    argv = [ftptest.ftp_path(), "-f", member, "-N", netrc]
    if cafile is not None:
        argv += ["--ca-file", cafile]
    return ftptest.run(argv + [str(a) for a in args], timeout=timeout, input=input,
                       cwd=cwd, env=env)


def show(rc, out, err, server=None):
    """A failure message: exit code, output, and the server's log."""
    msg = f"exit {rc}\n--- stdout ---\n{out[-3000:]}\n--- stderr ---\n{err[-5000:]}"
    if server is not None:
        msg += f"\n--- server ---\n{server.log()[-6000:]}"
    return msg


class Relay:
    """Forward TCP connections from listen_host:port to target_host:port for
    each port in `ports`, optionally slowing the target -> client direction
    down to `rate` bytes per second, or cutting each connection (both
    directions closed, as a broken path would) once `cut_after` bytes went
    from the target to the client.

    Used to interrupt a download at a chosen moment on loopback: the client
    connects to listen_host; since EPSV data connections go to the control
    connection's address, data passes through the relay too, even under TLS
    (the relay never reads the bytes).  Both of the relay's connections to
    the server come from the same address, so servers that check the data
    connection's peer (NOREDIRECT, pasv_promiscuous=NO) accept them."""

    CHUNK = 16384

    def __init__(self, listen_host, target_host, ports, rate=None, cut_after=None):
        self.listen_host = listen_host
        self.target_host = target_host
        self.ports = list(ports)
        self.rate = rate
        self.cut_after = cut_after
        self.listeners = []
        self.socks = []
        self.threads = []
        self.stopping = threading.Event()
        self.lock = threading.Lock()

    def start(self):
        fam = ftptest.family_of(self.listen_host)
        for port in self.ports:
            s = socket.socket(fam, socket.SOCK_STREAM)
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((self.listen_host, port))
            s.listen(8)
            self.listeners.append(s)
            self._thread(self._accept, s, port)
        return self

    def _thread(self, fn, *args):
        t = threading.Thread(target=fn, args=args, daemon=True)
        t.start()
        self.threads.append(t)

    def _keep(self, s):
        with self.lock:
            self.socks.append(s)

    def _accept(self, lsock, port):
        while not self.stopping.is_set():
            r, _, _ = select.select([lsock], [], [], 0.1)
            if not r:
                continue
            try:
                client, _ = lsock.accept()
            except OSError:
                return
            try:
                server = socket.create_connection((self.target_host, port), timeout=5)
            except OSError:
                client.close()
                continue
            self._keep(client)
            self._keep(server)
            self._thread(self._pump, server, client, self.rate, self.cut_after)
            self._thread(self._pump, client, server, None)

    def _pump(self, src, dst, rate, cut_after=None):
        src.settimeout(0.2)
        sent = 0
        while not self.stopping.is_set():
            try:
                b = src.recv(self.CHUNK)
            except socket.timeout:
                continue
            except OSError:
                b = None
            if not b:
                # End of stream (or an error): pass the FIN on, as a broken
                # TCP connection would, and stop.
                try:
                    dst.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return
            try:
                dst.sendall(b)
            except OSError:
                # The other end is gone: reset this one too, as a broken
                # path would, so that the sender learns it at once.
                for sock in (src, dst):
                    try:
                        sock.close()
                    except OSError:
                        pass
                return
            sent += len(b)
            if cut_after is not None and sent >= cut_after:
                for sock in (src, dst):
                    try:
                        sock.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass
                return
            if rate:
                time.sleep(len(b) / rate)

    def stop(self):
        self.stopping.set()
        for s in self.listeners:
            s.close()
        with self.lock:
            for s in self.socks:
                try:
                    s.close()
                except OSError:
                    pass
        for t in self.threads:
            t.join(2)


class ReplyFlood:
    """A fake FTP server on 127.0.0.1 whose greeting is a multi-line reply
    that never ends (more than the client's 1 MiB reply limit).  One
    connection; runs in a thread.  `sent` is how many bytes it got out."""

    def __init__(self, total=4 << 20):
        self.total = total
        self.sent = 0
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _serve(self):
        self.sock.settimeout(20)
        try:
            c, _ = self.sock.accept()
        except OSError:
            return
        line = b"220-" + b"x" * 1000 + b"\r\n"
        try:
            while self.sent < self.total:
                c.sendall(line)
                self.sent += len(line)
        except OSError:
            pass
        finally:
            c.close()

    def stop(self):
        self.sock.close()
        self.thread.join(5)
