# Sourced by .ci/run: a throwaway PostgreSQL cluster on 127.0.0.1 for the tests' PostgreSQL half.
# Installs Debian's `postgresql` when `initdb` is missing, starts a cluster in a temporary
# directory at a free port (as the `postgres` user when run as root: initdb refuses root), exports
# TEST_DATABASE_URL, and stops the cluster when the calling shell exits, failed or not.
# fsync is off: this cluster only ever holds test data.

find_initdb() { command -v initdb || ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n1; }
if [ -z "$(find_initdb)" ]; then
  echo "== installing PostgreSQL (Debian's postgresql package)"
  apt-get update -q
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends postgresql >/dev/null
fi
pg_bin=$(dirname "$(find_initdb)")
pg_dir=$(mktemp -d /tmp/jarvis-ci-pg.XXXXXX)
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
[ "$(id -u)" = 0 ] && chown postgres "$pg_dir"
as_owner "$pg_bin/initdb" -D "$pg_dir/data" -U postgres -A trust >/dev/null
pg_port=$(python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])')
as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w start \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >/dev/null
stop_postgres() { as_owner "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$pg_dir"; }
trap stop_postgres EXIT
export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$pg_port/postgres"
echo "== PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port for the tests"
