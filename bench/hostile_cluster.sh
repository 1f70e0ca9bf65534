#!/bin/bash
# `make hostile-cluster`: the hostile attacks once against three meerkat nodes sharing one
# PostgreSQL and one nats-server on this machine (bench/hostile_cluster.py: stalled
# request bodies on every node, password guessing spread over the nodes, readers that
# never read). Each node has max_connections 1,000, request_timeout 10 s and
# send_timeout 5 s, so that every attack ends within a minute; the rest is the default.
# Loopback only; results in docs/security.md.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { echo "hostile-cluster: $(date +%T) $*" >&2; }

target_dir=${CARGO_TARGET_DIR:-target}
source bench/profile.sh
cargo build $build_flag -q -p meerkat -p meerkat-bench
work="$(mktemp -d /tmp/meerkat-hostile.XXXXXX)"
bin="$work/meerkat" load="$work/meerkat-bench"
cp "$target_dir/$profile_dir/meerkat" "$bin"
cp "$target_dir/$profile_dir/meerkat-bench" "$load"
node_pids=("" "" "") nats_pid=""

source bench/postgres.sh

cleanup() {
  for p in "${node_pids[@]}" "$nats_pid"; do
    if [ -n "$p" ]; then kill "$p" 2>/dev/null; wait "$p" 2>/dev/null || true; fi
  done
  pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
pg_start

if ! command -v nats-server >/dev/null; then
  say "installing nats-server"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nats-server >/dev/null
fi
nats_port=$("$load" free-port)
nats-server -a 127.0.0.1 -p "$nats_port" > "$work/nats.log" 2>&1 &
nats_pid=$!

api=() admin=()
for i in 0 1 2; do
  api[i]=$("$load" free-port) admin[i]=$("$load" free-port)
  cat > "$work/node$i.toml" <<CONF
[general]
hosts = ["localhost"]
data_dir = "$work/data$i"
loglevel = "warn"
storage = "postgres"

[storage.postgres]
url = "postgres://postgres@127.0.0.1:$pg_port/meerkat"
node_id = $i

[cluster]
nats_url = "nats://127.0.0.1:$nats_port"
node = "node$i"

[[listen.http]]
port = ${api[i]}
ip_address = "127.0.0.1"
max_connections = 1000
request_timeout = 10
send_timeout = 5
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = ${admin[i]}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"
CONF
  "$bin" --config "$work/node$i.toml" > "$work/node$i.out" 2> "$work/node$i.err" &
  node_pids[i]=$!
  for _ in $(seq 300); do grep -q 'meerkat::startup: meerkat ready' "$work/node$i.err" && break; sleep 0.1; done
  grep -q 'meerkat::startup: meerkat ready' "$work/node$i.err" || { cat "$work/node$i.err" >&2; exit 1; }
done
sleep 3 # heartbeats: every node hears the others
say "three nodes up; attacking"
status=0
python3 bench/hostile_cluster.py "${api[0]},${api[1]},${api[2]}" "${admin[0]}" \
  "${node_pids[0]},${node_pids[1]},${node_pids[2]}" 10 5 || status=$?
for i in 0 1 2; do
  echo "## node$i's log: WARN and ERROR lines by message"
  grep -E ' (WARN|ERROR) ' "$work/node$i.err" | sed -E 's/^[^ ]+ +//; s/[0-9a-f]{8,}//g' | cut -c1-160 | sort | uniq -c | sort -rn | head -8 || true
done
exit "$status"
