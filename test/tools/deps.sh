#!/bin/sh
# Install, only when missing, every Debian package that the build and the
# tests need, and the npm modules the tests drive (into build/node).  Quick
# when everything is present (one dpkg-query, one cmp).
#
# vsftpd, proftpd and pure-ftpd all "Provide: ftp-server" and conflict with
# each other, so none is installed as a system service: their runtime
# libraries are installed with apt, and the server packages themselves are
# fetched from the Debian archive and unpacked under build/peers/, where the
# integration tests (vsftpd, ProFTPD) and make bench (all three) run them on
# loopback ports with their own configuration.
set -eu

# clang and libclang-rt-14-dev (its sanitizer and libFuzzer runtimes): make
# check builds the Check suites with clang's ASan+UBSan and smoke-runs the
# fuzz harnesses.
PKGS="build-essential pkg-config libgnutls28-dev libuv1-dev libedit-dev
libcrypt-dev check python3 curl lftp gnutls-bin openssl rclone nodejs
clang libclang-rt-14-dev
libcap2 libpam0g libwrap0 libssl3 libacl1 libhiredis0.14 libidn2-0
libmemcached11 libmemcachedutil2 libncursesw6 libpcre2-8-0 libpcre2-posix3
libsodium23 zlib1g
systemd strace logrotate fail2ban
libpam0g-dev libpam-modules passwd libmicrohttpd-dev haproxy"
PEER_PKGS="vsftpd proftpd-core proftpd-mod-crypto pure-ftpd"
PEER_DIR=${PEER_DIR:-build/peers}

if [ "$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi

missing=
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'install ok installed'; then
        missing="$missing $p"
    fi
done

updated=no
apt_update() {
    if [ $updated = no ]; then
        $SUDO apt-get update -q >/dev/null
        updated=yes
    fi
}

# npm comes with NodeSource's nodejs, in a package of its own with Debian's.
if ! command -v npm >/dev/null 2>&1; then
    missing="$missing npm"
fi

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
        --no-install-recommends $missing >/dev/null
fi

# Unpacked test peers (never installed as services).
PEER_FILES="usr/sbin/vsftpd usr/sbin/proftpd usr/lib/proftpd/mod_tls.so
usr/sbin/pure-ftpd usr/bin/pure-pw"
peers_missing=no
for f in $PEER_FILES; do
    [ -e "$PEER_DIR/$f" ] || peers_missing=yes
done
if [ $peers_missing = yes ]; then
    echo "deps: unpacking $PEER_PKGS into $PEER_DIR"
    apt_update
    mkdir -p "$PEER_DIR/debs"
    # apt-get download writes into the current directory; _apt cannot write
    # everywhere, which only costs a harmless warning.
    (cd "$PEER_DIR/debs" && apt-get download $PEER_PKGS 2>&1 | grep -v '^W:' >/dev/null || true)
    for d in "$PEER_DIR"/debs/*.deb; do
        dpkg-deb -x "$d" "$PEER_DIR"
    done
    rm -rf "$PEER_DIR/debs"
    for f in $PEER_FILES; do
        [ -e "$PEER_DIR/$f" ] || { echo "deps: could not unpack $f from the Debian archive" >&2; exit 1; }
    done
fi

# Node modules the tests drive (basic-ftp), at the versions pinned in
# test/integration/node/package-lock.json, into build/node (npm ci: exactly
# the lock file, or a failure).  Again only when missing or changed.
NODE_SRC=test/integration/node
NODE_DIR=${NODE_DIR:-build/node}
if ! cmp -s "$NODE_SRC/package-lock.json" "$NODE_DIR/package-lock.json" ||
   [ ! -f "$NODE_DIR/node_modules/basic-ftp/package.json" ]; then
    echo "deps: npm ci in $NODE_DIR"
    mkdir -p "$NODE_DIR"
    cp "$NODE_SRC/package.json" "$NODE_SRC/package-lock.json" "$NODE_DIR/"
    (cd "$NODE_DIR" && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || {
        rm -f "$NODE_DIR/package-lock.json"
        echo "deps: npm ci failed in $NODE_DIR" >&2
        exit 1
    }
fi
exit 0
