# Sourced by the benchmark scripts that need PostgreSQL: a private instance (Debian's
# package, installed when missing) with its own data dir and loopback port, and default
# durability settings (fsync and synchronous_commit on).
#
# Needs: $work (a temp dir the script owns), $load (meerkat-bench, for a free port), say().
# pg_start sets $pg_port and $pg_data; pg_stop stops the instance (safe to call twice).

if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  say "installing PostgreSQL"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
pg_data=""

# PostgreSQL refuses to run as root: as root, its programs run as the postgres user.
pg_as() {
  if [ "$(id -u)" = 0 ]; then (cd "$work" && setpriv --reuid postgres --regid postgres --init-groups "$@")
  else (cd "$work" && "$@"); fi
}

pg_start() {
  chmod 755 "$work" # the postgres user reaches its data dir inside
  local pg="$work/postgres"
  mkdir -p "$pg"
  [ "$(id -u)" = 0 ] && chown postgres: "$pg"
  pg_port=$("$load" free-port)
  pg_as "$pg_bin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 >/dev/null
  pg_data="$pg/data"
  pg_as "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $pg -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
  "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -c "CREATE DATABASE meerkat"
}

pg_stop() {
  [ -n "$pg_data" ] && pg_as "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 30 stop >/dev/null 2>&1
  pg_data=""
}

# The postmaster and its children (the nodes' connections are backends among them).
pg_pids() {
  local pm
  pm=$(head -n1 "$pg_data/postmaster.pid")
  { echo "$pm"; pgrep -P "$pm"; } | paste -sd, -
}
