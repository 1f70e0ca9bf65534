#!/bin/bash
# `make bench-cluster`: three meerkat nodes sharing one PostgreSQL and one nats-server, on
# this machine (2 cores shared by every process: the figures are per-node costs, not
# scaling).
#
# - REST send → XMPP delivery, closed loop: node0 alone (no [cluster]); then the cluster
#   with all traffic on node0; then the cluster with senders and receivers spread over the
#   three nodes (each sender posts to one node, each receiver is on one node, so two
#   deliveries in three cross nodes). CPU counts every meerkat, PostgreSQL and nats-server.
# - Delivery latency at a fixed rate (REST accepted → XMPP received), sender and
#   receiver on the same node and on two different nodes.
# - The CPU a delivery across nodes costs more than one on the same node: the same paced
#   load (BENCH_COST_RATE) with the receivers on node0 and then on node1, counting only
#   the three nodes (and, separately, nats-server): PostgreSQL's share is the same in
#   both, and the closed-loop runs above carry its noise and the load's.
#
# Environment: BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_RATE (600 messages/s for the
# latency runs), BENCH_OUT (target/bench-cluster.md), BENCH_SMOKE=1 for a short run that
# only checks the machinery. Loads are bounded and touch 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-10}
rate=${BENCH_RATE:-600}
cost_rate=${BENCH_COST_RATE:-3000}
out=${BENCH_OUT:-target/bench-cluster.md}
users=99 senders=63
if [ "${BENCH_SMOKE:-0}" = 1 ]; then
  runs=1 seconds=2 users=9 senders=6 rate=100 cost_rate=100
fi
say() { echo "bench-cluster: $(date +%T) $*" >&2; }

source bench/three_nodes.sh meerkat-cluster
results="$work/results.jsonl"

api=() admin=() c2s=()
for i in 0 1 2; do
  api[i]=$("$load" free-port) admin[i]=$("$load" free-port) c2s[i]=$("$load" free-port)
done

config() { # node, cluster (1/0) → config file
  local i=$1 file="$work/node$1-$2.toml"
  cat > "$file" <<CONF
[general]
hosts = ["localhost"]
data_dir = "$work/data$i"
loglevel = "warn"
max_session_queue = 10000
storage = "postgres"

[storage.postgres]
url = "postgres://postgres@127.0.0.1:$pg_port/meerkat"
pool_size = 16
node_id = $i

[[listen.http]]
port = ${api[i]}
ip_address = "127.0.0.1"
max_connections = 100000
max_connections_per_ip = 100000
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = ${admin[i]}
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

[[listen.c2s]]
port = ${c2s[i]}
ip_address = "127.0.0.1"
allow_plain_without_tls = true
max_connections = 100000
max_connections_per_ip = 100000
CONF
  if [ "$2" = 1 ]; then
    printf '\n[cluster]\nnats_url = "nats://127.0.0.1:%s"\nnode = "node%s"\n' "$nats_port" "$i" >> "$file"
  fi
  echo "$file"
}

start() { # node, cluster
  local i=$1
  : > "$work/node$i.err"
  "$bin" --config "$(config "$i" "$2")" > "$work/node$i.out" 2> "$work/node$i.err" &
  node_pids[i]=$!
  for _ in $(seq 300); do grep -q 'meerkat::startup: meerkat ready' "$work/node$i.err" && return; sleep 0.1; done
  cat "$work/node$i.err" >&2
  exit 1
}
stop() { # node
  local i=$1
  kill "${node_pids[i]}"; wait "${node_pids[i]}" 2>/dev/null || true; node_pids[i]=""
}
pids() { # the processes a run counts: every running node, PostgreSQL, nats-server
  local list
  list=$(printf '%s\n' "${node_pids[@]}" | grep . | paste -sd, -)
  echo "$list,$(pg_pids),$nats_pid"
}
rest() { # label, http list, c2s list, extra args…
  local label=$1 http=$2 c2s_list=$3
  shift 3
  "$load" rest-send --target meerkat --label "$label" --http "$http" --c2s "$c2s_list" --prefix u \
    --users "$users" --senders "$senders" --seconds "$seconds" --pid "$(pids)" "$@"
}

start 0 0
"$load" register --target meerkat --http "127.0.0.1:${admin[0]}" --prefix u --users "$users" >&2
all_http="127.0.0.1:${api[0]},127.0.0.1:${api[1]},127.0.0.1:${api[2]}"
all_c2s="127.0.0.1:${c2s[0]},127.0.0.1:${c2s[1]},127.0.0.1:${c2s[2]}"
one_http="127.0.0.1:${api[0]}" one_c2s="127.0.0.1:${c2s[0]}"

for r in $(seq "$runs"); do
  say "node0 alone, run $r"
  rest node-alone "$one_http" "$one_c2s" --seconds 1 > /dev/null # warm-up
  rest node-alone "$one_http" "$one_c2s" >> "$results"
  stop 0
  start 0 1; start 1 1; start 2 1
  sleep 3 # heartbeats: every node hears the others and has their sessions
  say "cluster, all on node0, run $r"
  rest cluster-one-node "$one_http" "$one_c2s" --seconds 1 > /dev/null
  rest cluster-one-node "$one_http" "$one_c2s" >> "$results"
  say "cluster, spread over three nodes, run $r"
  rest cluster-spread "$all_http" "$all_c2s" >> "$results"
  say "latency at $rate/s, same node and across nodes, run $r"
  rest same-node "$one_http" "$one_c2s" --rate "$rate" >> "$results"
  rest cross-node "$one_http" "127.0.0.1:${c2s[1]}" --rate "$rate" >> "$results"
  say "CPU per delivery at $cost_rate/s, same node and across nodes, run $r"
  nodes=$(printf '%s\n' "${node_pids[@]}" | grep . | paste -sd, -)
  for where in same:0 cross:1; do
    rest "cost-${where%:*}" "$one_http" "127.0.0.1:${c2s[${where#*:}]}" --rate "$cost_rate" --pid "$nodes" >> "$results"
    rest "cost-${where%:*}-nats" "$one_http" "127.0.0.1:${c2s[${where#*:}]}" --rate "$cost_rate" --pid "$nats_pid" >> "$results"
  done
  stop 2; stop 1; stop 0
  [ "$r" = "$runs" ] || start 0 0
done

mkdir -p "$(dirname "$out")"
{
  echo "# Three meerkat nodes on one machine ($(date -u +%F), $runs runs of ${seconds}s)"
  echo
  echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}'), $(nats-server --version), all on the same 2 cores."
  echo
  "$load" report "$results" | sed -n '/^| workload | figure | target |/,/^$/p'
  echo
  python3 bench/cross_node_cost.py "$results"
} > "$out"
cat "$out"

# The report shows a failed workload as FAILED instead of its figures; a smoke run, which
# checks the machinery, fails on one.
if [ "${BENCH_SMOKE:-0}" = 1 ] && ! "$load" failures "$results" >&2; then
  exit 1
fi
