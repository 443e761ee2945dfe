#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#   scripts/with-postgres.sh COMMAND [ARGS...]
# Installs Debian's PostgreSQL when it is missing, starts a cluster in a temporary folder that
# listens on a Unix socket there and on a free loopback port (on 127.0.0.1, and on ::1 where the
# machine has IPv6), creates a database "tally" and a role "tally" with a password, runs the
# command with
#   TALLY_TEST_POSTGRES=postgres://tally@127.0.0.1:PORT/tally   (password in PGPASSWORD)
#   TALLY_TEST_POSTGRES_ADMIN=postgres://postgres@/postgres?host=SOCKETDIR (trust, for createdb)
#   TALLY_TEST_POSTGRES_TLS=postgres://tally_tls@127.0.0.1:PORT/tally_tls   (TLS only: the server
#     refuses this role without it; its certificate, for 127.0.0.1 and localhost, is signed by
#     TALLY_TEST_POSTGRES_CA; TALLY_TEST_POSTGRES_OTHER_CA is an authority that did not sign it)
# and stops and removes the cluster however the command ends. Its exit status is the command's.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
fi
if ! command -v openssl >/dev/null; then
  apt-get update -qq && apt-get install -y -qq openssl >/dev/null
fi

dir=$(mktemp -d /tmp/tally-pg.XXXXXX)
chmod 755 "$dir"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
as_postgres=()
if [ "$(id -u)" = "0" ]; then
  chown postgres "$dir"
  as_postgres=(runuser -u postgres --)
fi

cleanup() {
  "${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT

"${as_postgres[@]}" "$bin/initdb" -D "$dir/data" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
  --locale=C.UTF-8 --encoding=UTF8 >/dev/null
# TLS: a throwaway certificate authority signs the server's certificate; another one does not.
tls="$dir/tls"
mkdir -p "$tls"
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Tally test CA" -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=Other CA" -keyout "$tls/other.key" -out "$tls/other-ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout "$tls/server.key" -out "$tls/server.csr" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' > "$tls/ext"
openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" -CAcreateserial -days 2 \
  -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
chmod 600 "$tls/server.key"
[ "$(id -u)" = "0" ] && chown postgres "$tls/server.key" "$tls/server.pem"
chmod 644 "$tls/ca.pem" "$tls/other-ca.pem"
# The role tally_tls may connect over TCP only with TLS (the rules before initdb's).
{ printf 'hostnossl all tally_tls 127.0.0.1/32 reject\nhostssl all tally_tls 127.0.0.1/32 scram-sha-256\n'; cat "$dir/data/pg_hba.conf"; } > "$dir/hba"
"${as_postgres[@]}" cp "$dir/hba" "$dir/data/pg_hba.conf"

"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1,::1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=100 -c ssl=on -c ssl_cert_file=$tls/server.pem -c ssl_key_file=$tls/server.key" start >/dev/null
"${as_postgres[@]}" "$bin/psql" -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE tally LOGIN PASSWORD 'tally-test-secret' CREATEDB" -c "CREATE DATABASE tally OWNER tally" \
  -c "CREATE ROLE tally_tls LOGIN PASSWORD 'tally-test-secret'" -c "CREATE DATABASE tally_tls OWNER tally_tls" >/dev/null

export TALLY_TEST_POSTGRES="postgres://tally@127.0.0.1:$port/tally"
export TALLY_TEST_POSTGRES_ADMIN="postgres://postgres@/postgres?host=$dir"
export TALLY_TEST_POSTGRES_SOCKET="$dir"
export TALLY_TEST_POSTGRES_PORT="$port"
export TALLY_TEST_POSTGRES_TLS="postgres://tally_tls@127.0.0.1:$port/tally_tls"
export TALLY_TEST_POSTGRES_CA="$tls/ca.pem"
export TALLY_TEST_POSTGRES_OTHER_CA="$tls/other-ca.pem"
export PGPASSWORD=tally-test-secret
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (socket $dir)"
set +e
"$@"
status=$?
set -e
exit $status
