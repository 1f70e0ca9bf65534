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

source bench/three_nodes.sh meerkat-hostile

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
