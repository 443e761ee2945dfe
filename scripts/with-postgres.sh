#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL server:
#   scripts/with-postgres.sh COMMAND [ARGS...]
# Installs Debian's PostgreSQL when it is missing, starts a cluster in a temporary folder that
# listens on a Unix socket there and on a free loopback port, creates a database "tally" and a
# role "tally" with a password, runs the command with
#   TALLY_TEST_POSTGRES=postgres://tally@127.0.0.1:PORT/tally   (password in PGPASSWORD)
#   TALLY_TEST_POSTGRES_ADMIN=postgres://postgres@/postgres?host=SOCKETDIR (trust, for createdb)
# and stops and removes the cluster however the command ends. Its exit status is the command's.
set -euo pipefail

bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$bin" ]; then
  apt-get update -qq && apt-get install -y -qq postgresql >/dev/null
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
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
"${as_postgres[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c fsync=off -c max_connections=100" start >/dev/null
"${as_postgres[@]}" "$bin/psql" -h "$dir" -p "$port" -U postgres -q -v ON_ERROR_STOP=1 \
  -c "CREATE ROLE tally LOGIN PASSWORD 'tally-test-secret' CREATEDB" -c "CREATE DATABASE tally OWNER tally" >/dev/null

export TALLY_TEST_POSTGRES="postgres://tally@127.0.0.1:$port/tally"
export TALLY_TEST_POSTGRES_ADMIN="postgres://postgres@/postgres?host=$dir"
export TALLY_TEST_POSTGRES_SOCKET="$dir"
export TALLY_TEST_POSTGRES_PORT="$port"
export PGPASSWORD=tally-test-secret
echo "with-postgres: PostgreSQL $("$bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$port (socket $dir)"
set +e
"$@"
status=$?
set -e
exit $status
