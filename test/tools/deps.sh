#!/bin/sh
# Install, only when missing, every Debian package that the build and the
# tests need.  Quick when everything is present (one dpkg-query).
#
# vsftpd and proftpd both "Provide: ftp-server" and conflict with each other,
# so neither is installed as a system service: their runtime libraries are
# installed with apt, and the two server packages themselves are fetched from
# the Debian archive and unpacked under build/peers/, where the integration
# tests run them on loopback ports with their own configuration.
set -eu

# clang and libclang-rt-14-dev (its sanitizer and libFuzzer runtimes): make
# check builds the Check suites with clang's ASan+UBSan and smoke-runs the
# fuzz harnesses.
PKGS="build-essential pkg-config libgnutls28-dev libuv1-dev libedit-dev
libcrypt-dev check python3 curl lftp gnutls-bin openssl
clang libclang-rt-14-dev
libcap2 libpam0g libwrap0 libssl3 libacl1 libhiredis0.14 libidn2-0
libmemcached11 libmemcachedutil2 libncursesw6 libpcre2-8-0 libpcre2-posix3
libsodium23 zlib1g"
PEER_PKGS="vsftpd proftpd-core proftpd-mod-crypto"
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

if [ -n "$missing" ]; then
    echo "deps: installing$missing"
    apt_update
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q \
        --no-install-recommends $missing >/dev/null
fi

# Unpacked test peers (never installed as services).
if [ ! -x "$PEER_DIR/usr/sbin/vsftpd" ] || [ ! -x "$PEER_DIR/usr/sbin/proftpd" ] ||
   [ ! -f "$PEER_DIR/usr/lib/proftpd/mod_tls.so" ]; then
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
    for f in usr/sbin/vsftpd usr/sbin/proftpd usr/lib/proftpd/mod_tls.so; do
        [ -e "$PEER_DIR/$f" ] || { echo "deps: could not unpack $f from the Debian archive" >&2; exit 1; }
    done
fi
exit 0
