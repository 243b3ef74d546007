#!/bin/sh
# make run: a demo ftpd on localhost with TLS required and one demo user.
#
# Everything lives in build/demo/ (or $FTPD_DEMO_DIR): a throwaway ECDSA CA
# and server certificate, a USERFILE with the user "demo" (password "demo"),
# the user's home, and the FTPDATA member ftpd is started with.  ftpd runs in
# the foreground, logging to the terminal; Ctrl-C stops it.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
dir=${FTPD_DEMO_DIR:-$top/build/demo}
port=${PORT:-2121}
tlsport=${TLSPORT:-2990}
ftpd=${FTPD:-$top/server/ftpd}

mkdir -p "$dir/home/demo"
chmod 755 "$dir" "$dir/home"

# A CA and a server certificate for localhost, 127.0.0.1 and ::1.
if [ ! -f "$dir/keyring.pem" ]; then
    cat > "$dir/ca.tmpl" <<EOF
cn = "ftpd demo CA"
ca
cert_signing_key
expiration_days = 30
EOF
    cat > "$dir/server.tmpl" <<EOF
cn = "localhost"
dns_name = "localhost"
ip_address = "127.0.0.1"
ip_address = "::1"
tls_www_server
signing_key
expiration_days = 30
EOF
    certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
        --outfile "$dir/ca.key" 2>/dev/null
    certtool --generate-self-signed --load-privkey "$dir/ca.key" \
        --template "$dir/ca.tmpl" --outfile "$dir/ca.pem" 2>/dev/null
    certtool --generate-privkey --key-type ecdsa --curve secp256r1 \
        --outfile "$dir/server.key" 2>/dev/null
    certtool --generate-certificate --load-privkey "$dir/server.key" \
        --load-ca-certificate "$dir/ca.pem" --load-ca-privkey "$dir/ca.key" \
        --template "$dir/server.tmpl" --outfile "$dir/server.pem" 2>/dev/null
    # KEYRING: the key, then the chain.
    cat "$dir/server.key" "$dir/server.pem" "$dir/ca.pem" > "$dir/keyring.pem"
    chmod 600 "$dir/keyring.pem" "$dir/ca.key" "$dir/server.key"
fi

# The demo user: name:hash:home (see ftpd(8), USERFILE).
hash=$(openssl passwd -6 demo)
printf 'demo:%s:%s/home/demo\n' "$hash" "$dir" > "$dir/users"
chmod 600 "$dir/users"
[ -f "$dir/home/demo/hello.txt" ] || echo "Hello from ftpd." > "$dir/home/demo/hello.txt"

# Started as root, ftpd serves as RUNAS: give it the demo home.
runas=$(id -un)
if [ "$(id -u)" = 0 ]; then
    runas=nobody
    chown -R nobody "$dir/home/demo"
fi

cat > "$dir/ftpd.data" <<EOF
; The demo member written by make run (server/demo.sh).
PORT            $port
TLSPORT         $tlsport       ; implicit TLS (ftps://) as well
LISTENADDRESS   (127.0.0.1,::1)
EXTENSIONS      AUTH_TLS
KEYRING         $dir/keyring.pem
SECURE_FTP      REQUIRED       ; no login before AUTH TLS
SECURE_DATACONN PRIVATE        ; every data connection under TLS
USERFILE        $dir/users
XFERLOG         $dir/xferlog
RUNAS           $runas
PASSIVEDATAPORTS (50000,50999)
EOF

cat <<EOF

ftpd demo: user "demo", password "demo", files in $dir/home/demo
TLS is required; the throwaway CA is $dir/ca.pem.  Try, in another terminal:

  curl --ssl-reqd --cacert $dir/ca.pem ftp://demo:demo@localhost:$port/
  curl --ssl-reqd -k ftp://demo:demo@localhost:$port/hello.txt
  curl --cacert $dir/ca.pem ftps://demo:demo@localhost:$tlsport/
  lftp -e 'set ftp:ssl-force true; set ssl:ca-file $dir/ca.pem; ls; bye' -u demo,demo localhost:$port
  $top/client/ftp --ca-file $dir/ca.pem ftpes://demo:demo@localhost:$port/hello.txt
  $top/client/ftp -r tls --ca-file $dir/ca.pem localhost $port     (interactive)

Stop with Ctrl-C.

EOF
exec "$ftpd" -f "$dir/ftpd.data"
