# A throwaway PostgreSQL for the tests (sourced by the test scripts): `start_postgres` makes a
# fresh cluster in a temporary directory on a free loopback port — as the `postgres` user when run
# as root, since PostgreSQL refuses to run as root — and exports SEPAY_TEST_POSTGRES_URL;
# `stop_postgres` stops it and removes the directory. Needs Debian's `postgresql` package
# (`.ci/run` installs it where missing).

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do
    [ -x "$dir/$1" ] && { echo "$dir/$1"; return 0; }
  done
  command -v "$1"
}

start_postgres() {
  local initdb pg_ctl port as_user=()
  initdb="$(pg_bin initdb)" || { echo "PostgreSQL is not installed (apt-get install -y postgresql)" >&2; return 1; }
  pg_ctl="$(pg_bin pg_ctl)"
  PG_DIR="$(mktemp -d /tmp/sepay-pg.XXXXXX)"
  if [ "$(id -u)" = 0 ]; then
    chown postgres:postgres "$PG_DIR"
    as_user=(runuser -u postgres --)
  fi
  port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  "${as_user[@]}" "$initdb" -D "$PG_DIR/data" -U sepay -A trust --no-sync -E UTF8 >"$PG_DIR/initdb.log" 2>&1 \
    || { cat "$PG_DIR/initdb.log" >&2; return 1; }
  # Speed over durability: a test cluster, thrown away afterwards.
  "${as_user[@]}" "$pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 30 \
    -o "-p $port -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=50" \
    start >/dev/null || { cat "$PG_DIR/server.log" >&2; return 1; }
  PG_CTL="$pg_ctl"
  PG_AS_USER="${as_user[*]}"
  export SEPAY_TEST_POSTGRES_URL="postgres://sepay@127.0.0.1:$port/postgres"
}

stop_postgres() {
  [ -n "${PG_DIR:-}" ] || return 0
  # shellcheck disable=SC2086
  $PG_AS_USER "$PG_CTL" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
  PG_DIR=
}
