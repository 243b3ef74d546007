"""peers: real vsftpd and ProFTPD servers for the client's integration tests.

test/tools/deps.sh unpacks the Debian packages of both servers under
build/peers/ (neither is installed as a service).  This module runs them on
a free loopback port, as the current user (root in CI, or a normal user on a
developer machine), each with its own configuration, logs and served
directory in a new directory below the run's temporary directory:

    with peers.vsftpd() as srv:             # or peers.proftpd(), family=AF_INET6
        ftptest.curl([srv.url("big.bin"), "-o", out], user=srv.user,
                     password=srv.password, cafile=srv.cafile, tls="1.3")
        srv.local("big.bin")                # the served file on disk

Both servers: explicit FTPS only (AUTH TLS required before login, PROT P
required for data), TLS 1.2 and 1.3, the run's CA-signed ECDSA P-256
certificate (ftptest.certs().server: localhost, 127.0.0.1, ::1), data
connections must resume the control connection's TLS session, passive mode
on a private port range, active mode allowed.  Each serves
ftptest.STANDARD_FILES (or `files`) in a writable directory, and starts in
well under a second.

What it took to run them unprivileged is written next to each setting below;
the short version:

* vsftpd 3.0.3 has no way to authenticate a local user without PAM and a
  system account, so the tests log in as the ANONYMOUS user, with TLS forced
  for anonymous too.  run_as_launching_user=YES lets it run without root,
  and then it neither chroots nor changes user: the session runs as the
  launching user, starts in anon_root (PWD shows the real absolute path) and
  can reach the whole filesystem by absolute path.  Fine on loopback in a
  test, never anywhere else.
* ProFTPD 1.3.8 authenticates from its own AuthUserFile (no PAM, no system
  account); the user `demo` maps to the current uid/gid, which makes the
  session run as the current user even when the server runs as root.
"""

import os
import socket
import time

import ftptest

VSFTPD_USER = "anonymous"
VSFTPD_PASSWORD = ""          # no_anon_password=YES: vsftpd asks for none
PROFTPD_USER = "demo"
PROFTPD_PASSWORD = "demo-Secret-1"
PASSIVE_PORTS = 16


class PeerServer:
    """A configured peer.  Attributes:

    name        "vsftpd" or "proftpd"
    family      socket.AF_INET or AF_INET6; host: "127.0.0.1" or "::1"
    port        the control port (free at configuration time)
    user, password   the login the server accepts (over TLS only)
    root        local directory served to that user (files, uploads land here)
    prefix      the path of `root` relative to the login directory ("" for both
                peers here; use remote() to build remote paths)
    files       {name: sha256} of the files put in `root`
    cafile      the CA certificate that signed the server's certificate
    certs       ftptest.certs()
    dir         the server's private directory (config, logs)
    config      the configuration file
    logs        log files (shown on failure by log())
    passive     (first, last) passive port range
    proc        the ftptest.ServerProc once started

    start()/stop() or `with`: start waits until the port accepts and fails
    with the logs if it does not within a few seconds.
    """

    def __init__(self, name, family, cmd, port, user, password, root, files,
                 d, config, logs, passive, prefix=""):
        self.name = name
        self.family = family
        self.host = ftptest.loopback(family)
        self.port = port
        self.user = user
        self.password = password
        self.root = root
        self.prefix = prefix
        self.files = files
        self.certs = ftptest.certs()
        self.cafile = self.certs.ca_cert
        self.dir = d
        self.config = config
        self.logs = logs
        self.passive = passive
        self.cmd = cmd
        self.proc = None
        self.start_seconds = None

    def __repr__(self):
        return f"<{self.name} {ftptest.url_host(self.host)}:{self.port}>"

    def remote(self, name):
        """The remote path of file `name` of `root`."""
        return self.prefix + name

    def local(self, name):
        """The local path of file `name` of `root`."""
        return self.root / name

    def url(self, name=""):
        """ftp:// URL of file `name` of `root` (a directory URL if it ends
        in '/' or is empty)."""
        return ftptest.ftp_url(self.host, self.port, self.remote(name))

    def start(self):
        t0 = time.monotonic()
        self.proc = ftptest.ServerProc(self.cmd, self.port, host=self.host,
                                       tmp=self.dir, name=self.name, logs=self.logs)
        self.proc.start()
        self.start_seconds = time.monotonic() - t0
        return self

    def stop(self):
        if self.proc is not None:
            self.proc.stop()

    def log(self):
        """Server output and log files, for failure messages."""
        if self.proc is not None:
            return self.proc.log()
        return "\n".join(p.read_text(errors="replace") for p in self.logs if p.exists())

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
        return False


def _binary(rel):
    return ftptest.require_program(ftptest.peers_dir() / rel)


def _conf_lines(options):
    """vsftpd wants exactly `key=value`, no blanks around '=', no comments
    after a value (a trailing blank is part of the value)."""
    return "".join(f"{k}={v}\n" for k, v in options.items())


def vsftpd(family=socket.AF_INET, files=None, extra=None, keyring=None):
    """A configured (not yet started) vsftpd 3.0.3; use it with `with`.

    Login: anonymous with no password (`user`/`password` attributes), TLS
    required before login and for every data connection, session reuse
    required, uploads allowed.  files: {name: size} to serve instead of
    ftptest.STANDARD_FILES.  extra: {option: value} added to or overriding
    the configuration (e.g. {"require_ssl_reuse": "NO"}).  keyring: a PEM
    with key and certificate (default: ftptest.certs().server.keyring)."""
    binary = _binary("usr/sbin/vsftpd")
    c = ftptest.certs()
    user, _, _, _ = ftptest.current_user()
    d = ftptest.tmpdir("vsftpd")
    root = d / "root"
    # Without a chroot (see run_as_launching_user below) vsftpd does not
    # care whether the anonymous root is writable ("refusing to run with
    # writable root inside chroot()" only applies to chroot'ed sessions), so
    # files and uploads share one directory and remote paths need no "pub/".
    files_sha = ftptest.make_tree(root, files)
    os.chmod(root, 0o755)
    empty = d / "empty"
    empty.mkdir(mode=0o555)
    port = ftptest.free_port(family)
    first, last = ftptest.free_port_range(PASSIVE_PORTS, family)
    log, xferlog = d / "vsftpd.log", d / "xferlog"
    pem = keyring or c.server.keyring
    opts = {
        # Standalone, in the foreground: the listener is the PID we stop,
        # and it forks one process per session into the same process group.
        "listen": "YES" if family == socket.AF_INET else "NO",
        "listen_ipv6": "YES" if family == socket.AF_INET6 else "NO",
        # listen=YES and listen_ipv6=YES are mutually exclusive in one
        # process: the IPv6 variant is a separate server on ::1.
        ("listen_address" if family == socket.AF_INET else "listen_address6"):
            ftptest.loopback(family),
        "listen_port": port,
        "background": "NO",
        # Without root: the session keeps running as whoever started vsftpd.
        # It then neither chroots nor switches to ftp_username, and
        # anon_root is a mere chdir.
        "run_as_launching_user": "YES",
        # vsftpd still looks ftp_username up in the passwd database at
        # login and refuses the session ("500 OOPS: vsftpd: cannot locate
        # user specified in 'ftp_username':ftp") when it does not exist, as
        # in most containers: name the current user instead (root in CI).
        "ftp_username": user,
        "nopriv_user": user,
        # isolate/isolate_network (Debian: sessions in new PID and network
        # namespaces when root) buy nothing here; off, so that behaviour does
        # not depend on whether a container allows namespaces.
        # seccomp_sandbox=YES kills the session during the TLS handshake
        # with this OpenSSL 3 / glibc (the client sees the connection drop:
        # curl "SSL_ERROR_SYSCALL"): it must be NO.
        "isolate": "NO",
        "isolate_network": "NO",
        "seccomp_sandbox": "NO",
        # Unused without a chroot (a missing directory is not even noticed
        # then); an empty directory in case a test turns
        # run_as_launching_user off.
        "secure_chroot_dir": empty,
        # Local users need PAM and a system account: anonymous only.
        "local_enable": "NO",
        "anonymous_enable": "YES",
        "anon_root": root,
        "no_anon_password": "YES",
        "write_enable": "YES",
        "anon_upload_enable": "YES",
        "anon_mkdir_write_enable": "YES",
        "anon_other_write_enable": "YES",
        "anon_umask": "022",
        # anon_world_readable_only=YES (default) only serves files readable
        # by everybody: make_tree() creates them 0644.
        "anon_world_readable_only": "YES",
        # TLS: required for the anonymous login and its data connections.
        "ssl_enable": "YES",
        "allow_anon_ssl": "YES",
        "force_anon_logins_ssl": "YES",
        "force_anon_data_ssl": "YES",
        "force_local_logins_ssl": "YES",
        "force_local_data_ssl": "YES",
        "require_ssl_reuse": "YES",
        # An upload must end with close_notify (3.0.3's compiled-in default
        # is already YES although the man page still says NO).
        "strict_ssl_read_eof": "YES",
        "ssl_ciphers": "HIGH",
        # The "rsa_" options take any key type OpenSSL can load: our ECDSA
        # P-256 key works through them (handshakes use ECDHE-ECDSA on
        # TLS 1.2).  Both read the same file: OpenSSL skips the PEM blocks
        # it is not looking for, so our KEYRING file (key, cert, CA) serves
        # as certificate chain and as key.
        "rsa_cert_file": pem,
        "rsa_private_key_file": pem,
        # TLS 1.2 and 1.3 are always on in this build (SSLv23 method with
        # only SSLv2/SSLv3/TLSv1.0 switchable; OpenSSL 3 gives TLS 1.3).
        # ssl_request_cert=YES (default) asks clients for a certificate
        # without requiring one; require_cert stays NO.
        "pasv_enable": "YES",
        "pasv_min_port": first,
        "pasv_max_port": last,
        "port_enable": "YES",
        # Logs: vsftpd's own log with the protocol transcript, plus xferlog.
        "vsftpd_log_file": log,
        "xferlog_enable": "YES",
        "xferlog_file": xferlog,
        "dual_log_enable": "YES",
        "log_ftp_protocol": "YES",
        "syslog_enable": "NO",
        "use_localtime": "NO",
        "idle_session_timeout": 60,
        "data_connection_timeout": 30,
        "accept_timeout": 15,
        "connect_timeout": 15,
        "max_per_ip": 0,
        "max_clients": 0,
    }
    if extra:
        opts.update(extra)
    config = d / "vsftpd.conf"
    config.write_text(_conf_lines(opts))
    return PeerServer("vsftpd", family, [binary, config], port, VSFTPD_USER,
                      VSFTPD_PASSWORD, root, files_sha, d, config, [log, xferlog],
                      (first, last))


def proftpd(family=socket.AF_INET, files=None, extra=None, keyring=None):
    """A configured (not yet started) ProFTPD 1.3.8 with mod_tls; use it
    with `with`.

    Login: PROFTPD_USER / PROFTPD_PASSWORD from its own AuthUserFile (no
    PAM, no system account), home = `root`.  TLS required before login and
    on every data connection, session reuse required.  files, keyring: as
    for vsftpd().  extra: configuration lines (strings) appended at the end
    of the server context (later directives override earlier ones)."""
    binary = _binary("usr/sbin/proftpd")
    moddir = ftptest.peers_dir() / "usr/lib/proftpd"
    if not (moddir / "mod_tls.so").is_file():
        raise AssertionError(f"{moddir}/mod_tls.so is missing (run `make deps`)")
    c = ftptest.certs()
    user, group, uid, gid = ftptest.current_user()
    d = ftptest.tmpdir("proftpd")
    root = d / "home"
    files_sha = ftptest.make_tree(root, files)
    os.chmod(root, 0o755)
    port = ftptest.free_port(family)
    first, last = ftptest.free_port_range(PASSIVE_PORTS, family)
    pwfile, grfile = d / "passwd", d / "group"
    pwfile.write_text(f"{PROFTPD_USER}:{ftptest.passwd_hash(PROFTPD_PASSWORD)}:"
                      f"{uid}:{gid}:ftptest demo:{root}:/bin/false\n")
    grfile.write_text(f"{PROFTPD_USER}:x:{gid}:{PROFTPD_USER}\n")
    # mod_auth_file refuses to start with a world-READABLE AuthUserFile
    # ("unable to use world-readable AuthUserFile ... (perms 0644)"): 0600.
    os.chmod(pwfile, 0o600)
    os.chmod(grfile, 0o600)
    syslog, tlslog, xferlog = d / "proftpd.log", d / "tls.log", d / "xferlog"
    pem = keyring or c.server.keyring
    addr = ftptest.loopback(family)
    lines = [
        f"# ftptest ProFTPD on {addr} port {port}",
        'ServerName "ftptest ProFTPD"',
        "ServerType standalone",
        # Debian builds everything but the core as DSOs: mod_tls must be
        # loaded by hand from the unpacked package.
        f"ModulePath {moddir}",
        "LoadModule mod_tls.c",
        f"Port {port}",
        # UseIPv6 off makes "DefaultAddress ::1" fatal ("unable to resolve
        # '::1'").
        f"UseIPv6 {'on' if family == socket.AF_INET6 else 'off'}",
        f"DefaultAddress {addr}",
        # Without it ProFTPD binds the wildcard address (every interface);
        # with it, it warns "SocketBindTight in effect, ignoring
        # DefaultServer" if DefaultServer is on, so that is left out.
        "SocketBindTight on",
        # The master runs as whoever starts it; when that is not root it
        # cannot switch users, so User/Group must name the current ones.
        f"User {user}",
        f"Group {group}",
        # Every file ProFTPD writes, in our directory (defaults are in /run
        # and /var/log).  -n keeps it in the foreground, where SIGTERM to
        # the master stops it and its session children.  With -n, ProFTPD
        # ignores SystemLog (it only creates the file) and writes its system
        # log to stderr, which ServerProc captures (proftpd#1612, #1287).
        f"ScoreboardFile {d / 'proftpd.scoreboard'}",
        f"PidFile {d / 'proftpd.pid'}",
        f"DelayTable {d / 'proftpd.delay'}",
        f"SystemLog {syslog}",
        f"TransferLog {xferlog}",
        "WtmpLog off",
        # mod_ctrls (built in) would bind /run/proftpd.sock as root, shared
        # by every instance.  Not avoidable: at start-up the core binds and
        # at once unlinks /run/test.sock when root (a hard-coded probe; it
        # fails harmlessly as a normal user).  As a normal user ProFTPD also
        # logs, harmlessly, that it cannot setuid()/setgid() at login.
        "<IfModule mod_ctrls.c>",
        "  ControlsEngine off",
        "</IfModule>",
        # No DNS lookups of the client (slow or hanging without a network).
        "UseReverseDNS off",
        # mod_delay pads failed and successful logins to hide timing; it
        # only slows tests down.
        "DelayEngine off",
        "MaxInstances 30",
        "TimeoutIdle 60",
        "TimeoutLogin 30",
        "TimeoutNoTransfer 60",
        "TimeoutStalled 30",
        # Authentication from our files only: no PAM, no /etc/passwd, no
        # /etc/shells (the shell in the AuthUserFile is /bin/false).
        "AuthOrder mod_auth_file.c",
        f"AuthUserFile {pwfile}",
        f"AuthGroupFile {grfile}",
        "RequireValidShell off",
        "PassivePorts %d %d" % (first, last),
        "AllowOverwrite on",
        "Umask 022",
        # TLS: required for the control connection before USER and for
        # every data connection.  mod_tls also requires the data
        # connection's session to be resumed from the control connection by
        # default (since 1.3.3rc1; TLS 1.3 checked through the ticket's app
        # data): NoSessionReuseRequired must stay out of TLSOptions.
        "TLSEngine on",
        f"TLSLog {tlslog}",
        "TLSRequired on",
        "TLSProtocol TLSv1.2 TLSv1.3",
        # An ECDSA key belongs in the EC slot (the RSA slot happens to
        # accept it too in 1.3.8).  Like vsftpd, ProFTPD reads certificate
        # and key from the one KEYRING file.
        f"TLSECCertificateFile {pem}",
        f"TLSECCertificateKeyFile {pem}",
        f"TLSCACertificateFile {c.ca_cert}",
        "TLSVerifyClient off",
        "TLSTimeoutHandshake 30",
        "TLSRenegotiate none",
    ]
    if uid == 0:
        # As root (CI) the demo user maps to uid 0, which ProFTPD refuses
        # unless told otherwise (530, and "SECURITY VIOLATION: Root login
        # attempted" in the SystemLog).
        lines.append("RootLogin on")
    lines += list(extra or ())
    config = d / "proftpd.conf"
    config.write_text("\n".join(lines) + "\n")
    return PeerServer("proftpd", family, [binary, "-n", "-c", config], port,
                      PROFTPD_USER, PROFTPD_PASSWORD, root, files_sha, d, config,
                      [syslog, tlslog, xferlog], (first, last))
