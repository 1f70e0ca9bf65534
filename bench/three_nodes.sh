# Sourced by the scripts that run three meerkat nodes on one PostgreSQL and one
# nats-server (bench/cluster.sh, bench/hostile_cluster.sh): builds the binaries (the
# profile bench/profile.sh picks), copies them into a new temp dir $work ($bin, $load),
# starts PostgreSQL (bench/postgres.sh) and nats-server ($nats_port), and on exit stops
# them and the nodes whose pids the script keeps in $node_pids.
#
# Needs: say(); $1, the temp dir's name prefix. BENCH_MEERKAT names a meerkat binary to run
# instead of the one built (an earlier build, for a before-and-after comparison).

target_dir=${CARGO_TARGET_DIR:-target}
source bench/profile.sh
cargo build $build_flag -q -p meerkat -p meerkat-bench
work="$(mktemp -d "/tmp/$1.XXXXXX")"
bin="$work/meerkat" load="$work/meerkat-bench"
cp "${BENCH_MEERKAT:-$target_dir/$profile_dir/meerkat}" "$bin"
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
