#!/bin/bash
# `make bench-storage`: one meerkat node on SQLite against the same node on PostgreSQL,
# same workloads, runs alternating between them so the machine's drift hits each: SQLite
# as by default (a commit survives the process being killed), SQLite with
# `durability = "power"` (a commit is on disk: PostgreSQL's default), and PostgreSQL.
#
# PostgreSQL is a private instance this script starts (Debian's package, installed when
# missing): its own data dir and loopback port, default durability settings (fsync and
# synchronous_commit on: an acknowledged message is on disk at both ends). CPU figures
# count PostgreSQL's processes with meerkat's: the cost of one node. Loads are
# bounded in count and time and touch 127.0.0.1 only.
#
# Environment: BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_ARCHIVE (1000000, the archive
# whose newest page is read), BENCH_OUT (target/bench-storage.md),
# BENCH_SMOKE=1 for a short run that only checks the machinery.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-10}
out=${BENCH_OUT:-target/bench-storage.md}
archive=${BENCH_ARCHIVE:-1000000}
users=100 senders=64 pairs=50 occupants=50 room_senders=8 window=8 requests=2000
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  runs=1 seconds=2 users=10 senders=4 pairs=4 occupants=4 room_senders=2 window=2 requests=50 archive=2000
fi
say() { echo "bench-storage: $(date +%T) $*" >&2; }

target_dir=${CARGO_TARGET_DIR:-target}
source bench/profile.sh
cargo build $build_flag -q -p meerkat -p meerkat-bench
work="$(mktemp -d /tmp/meerkat-storage.XXXXXX)"
bin="$work/meerkat" load="$work/meerkat-bench"
cp "$target_dir/$profile_dir/meerkat" "$bin"
cp "$target_dir/$profile_dir/meerkat-bench" "$load"
results="$work/results.jsonl"
server_pid=""

source bench/postgres.sh

cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
pg_start

api=$("$load" free-port) admin=$("$load" free-port) c2s=$("$load" free-port)
config() { # configuration → config file
  local file="$work/$1.toml" backend=${1%-power} durability=process
  [ "$1" = sqlite-power ] && durability=power
  cat > "$file" <<EOF
[general]
hosts = ["localhost"]
data_dir = "$work/data-$backend"
loglevel = "warn"
max_session_queue = 10000
storage = "$backend"

[storage.postgres]
url = "postgres://postgres@127.0.0.1:$pg_port/meerkat"
pool_size = 16

[[listen.http]]
port = $api
ip_address = "127.0.0.1"
max_connections = 100000
max_connections_per_ip = 100000
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = $admin
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[[listen.c2s]]
port = $c2s
ip_address = "127.0.0.1"
allow_plain_without_tls = true
max_connections = 100000
max_connections_per_ip = 100000

# The default modules, listed so that the archive's durability can be set.
[modules.mod_roster]
[modules.mod_offline]
[modules.mod_stream_management]
[modules.mod_csi]
[modules.mod_muc_light]
[modules.mod_muc]
[modules.mod_pep]
[modules.mod_caps]
[modules.mod_vcard]
[modules.mod_private]
[modules.mod_mam]
durability = "$durability"
EOF
  echo "$file"
}

start() { # storage
  : > "$work/meerkat.err"
  "$bin" --config "$(config "$1")" > "$work/meerkat.out" 2> "$work/meerkat.err" &
  server_pid=$!
  for _ in $(seq 300); do grep -q 'meerkat::startup: meerkat ready' "$work/meerkat.err" && return; sleep 0.1; done
  cat "$work/meerkat.err" >&2
  exit 1
}
stop() { kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""; }
# The processes whose CPU a run counts: meerkat, and on PostgreSQL the postmaster and its
# children (the node's connections are backends among them; a warm-up run opens them all
# first, so none starts uncounted during a measured run).
pids() { # storage
  if [ "$1" = postgres ]; then
    echo "$server_pid,$(pg_pids)"
  else
    echo "$server_pid"
  fi
}
warm_up() {
  "$load" rest-send --target meerkat --http "127.0.0.1:$api" --c2s "127.0.0.1:$c2s" --prefix u --users "$users" \
    --senders "$senders" --seconds 1 > /dev/null
}

for storage in sqlite postgres; do
  for u in alice bob; do "$bin" --config "$(config "$storage")" register "$u@localhost" bench-secret >/dev/null; done
  start "$storage"
  "$load" register --target meerkat --http "127.0.0.1:$admin" --prefix u --users "$users" >&2
  stop
done

# A big archive: alice's, $archive messages with bob, filled before the measured runs
# (SQLite through the store, before any message gives the store newer ids; PostgreSQL with
# one INSERT … SELECT of the same rows). Its newest page is read after the other workloads.
say "filling alice's archive with $archive messages on each storage"
"$load" archive-fill --data-dir "$work/data-sqlite" --count "$archive" >&2
"$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port" -U postgres -d meerkat -c "
  INSERT INTO archive (id, owner, with_jid, ts, stanza)
  SELECT ((1764000000000 + i) << 16) | (i & 65535), 'alice@localhost', 'bob@localhost', 1764000000000 + i,
         format('<message xmlns=''jabber:client'' from=''%s@localhost'' to=''%s@localhost'' type=''chat'' id=''m%s''><body>archived message number %s</body></message>',
                CASE WHEN i % 2 = 0 THEN 'alice' ELSE 'bob' END, CASE WHEN i % 2 = 0 THEN 'bob' ELSE 'alice' END, i, i)
  FROM generate_series(0, $archive - 1) AS i" -c "VACUUM ANALYZE archive"

for r in $(seq "$runs"); do
  for storage in sqlite sqlite-power postgres; do
    start "$storage"
    warm_up
    counted=$(pids "$storage")
    say "$storage: REST send → XMPP, run $r"
    "$load" rest-send --target meerkat --label "meerkat-$storage" --http "127.0.0.1:$api" --c2s "127.0.0.1:$c2s" \
      --prefix u --users "$users" --senders "$senders" --seconds "$seconds" --pid "$counted" >> "$results"
    say "$storage: c2s → c2s, run $r"
    "$load" c2s --target meerkat --label "meerkat-$storage" --c2s "127.0.0.1:$c2s" --prefix u --pairs "$pairs" \
      --window 16 --seconds "$seconds" --pid "$counted" >> "$results"
    say "$storage: XEP-0045 room fan-out, run $r"
    "$load" muc-fanout --target meerkat --label "meerkat-$storage" --c2s "127.0.0.1:$c2s" --service conference.localhost \
      --prefix u --occupants "$occupants" --senders "$room_senders" --window "$window" --seconds "$seconds" \
      --pid "$counted" >> "$results"
    stop
  done
done

# `GET /api/messages/bob@localhost?limit=50` as alice, sequentially, $requests times.
for r in $(seq "$runs"); do
  for storage in sqlite postgres; do
    start "$storage"
    say "$storage: newest page of $archive, run $r"
    "$load" archive-read --http "127.0.0.1:$api" --requests "$requests" --archive "$archive" \
      | sed "s/\"target\":\"meerkat\"/\"target\":\"meerkat-$storage\"/" >> "$results"
    stop
  done
done

mkdir -p "$(dirname "$out")"
{
  echo "# meerkat on SQLite and on PostgreSQL, one node ($(date -u +%F), $runs runs of ${seconds}s)"
  echo
  echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), private instance, default durability."
  echo
  "$load" report "$results" | sed -n '/^| workload | figure | target |/,/^$/p'
} > "$out"
cat "$out"

# The report shows a failed workload as FAILED instead of its figures; a smoke run, which
# checks the machinery, fails on one.
if [ "${BENCH_SMOKE:-0}" = 1 ] && ! "$load" failures "$results" >&2; then
  exit 1
fi
