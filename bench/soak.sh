#!/bin/bash
# `make soak`: meerkat under mixed load for a long time (10 minutes by default), then
# checks that every acknowledged message is in the archive and that the server's memory,
# file descriptors and threads stayed flat. See docs/performance.md, "Soak".
#
# Starts the binary (release; BENCH_PROFILE=dev for the unoptimized one, as the smoke
# does: bench/profile.sh) with a temporary data dir on free loopback ports (as
# bench/run.sh does), registers the accounts over the admin API, and runs
# `meerkat-bench soak` (bench/src/soak.rs) against it. Every wait is bounded, and the
# server and the load generator are stopped on every way out.
#
# Environment: SOAK_SECONDS (600), SOAK_RATE (400 messages/s), SOAK_SAMPLE_MS (2000, less
# for runs shorter than 32 s),
# SOAK_OUT (target/soak.md; the readings go next to it as .csv),
# SOAK_SMOKE=1 for a short run with a few clients (30 s, 200 messages/s, send_timeout 15 s,
# request_timeout and idle_timeout 5 s; 10 s in the full run, so that the stalled-body and
# idle HTTP/2 clients go through many cycles).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

smoke=${SOAK_SMOKE:-0}
if [ "$smoke" = 1 ]; then
  seconds=${SOAK_SECONDS:-30} rate=${SOAK_RATE:-200} mix=smoke send_timeout=15
  request_timeout=5 idle_timeout=5
  out=${SOAK_OUT:-target/soak-smoke.md}
  command="make soak-smoke"
else
  seconds=${SOAK_SECONDS:-600} rate=${SOAK_RATE:-400} mix=full send_timeout=30
  request_timeout=10 idle_timeout=10
  out=${SOAK_OUT:-target/soak.md}
  command="SOAK_SECONDS=$seconds SOAK_RATE=$rate make soak"
fi
users=64

# The same build as bench/run.sh (and so `make bench-smoke`).
source bench/profile.sh
cargo build $build_flag -q -p meerkat -p meerkat-bench
bin="$root/target/$profile_dir/meerkat"
load="$root/target/$profile_dir/meerkat-bench"

work="$(mktemp -d /tmp/meerkat-soak.XXXXXX)"
server_pid=""
soak_pid=""
cleanup() {
  [ -n "$soak_pid" ] && kill "$soak_pid" 2>/dev/null || true
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$server_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
say() { echo "soak: $*" >&2; }

api=$("$load" free-port); admin=$("$load" free-port); c2s=$("$load" free-port)
cat > "$work/meerkat.toml" <<EOF
[general]
hosts = ["localhost"]
data_dir = "$work/data"
loglevel = "warn"

[[listen.http]]
port = $api
ip_address = "127.0.0.1"
send_timeout = $send_timeout
request_timeout = $request_timeout
idle_timeout = $idle_timeout
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
EOF

say "starting meerkat (data in $work/data)"
"$bin" --config "$work/meerkat.toml" > "$work/meerkat.out" 2> "$work/meerkat.err" &
server_pid=$!
for _ in $(seq 300); do
  grep -q 'meerkat::startup: meerkat ready' "$work/meerkat.err" && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
if ! grep -q 'meerkat::startup: meerkat ready' "$work/meerkat.err"; then
  say "meerkat did not start"
  cat "$work/meerkat.err" >&2
  exit 1
fi

say "registering $users accounts"
"$load" register --target meerkat --http "127.0.0.1:$admin" --prefix soak --users "$users" >/dev/null
sleep 1

# In the background, so that a signal reaches the trap at once rather than after the run.
status=0
"$load" soak --http "127.0.0.1:$api" --c2s "127.0.0.1:$c2s" --pid "$server_pid" \
  --prefix soak --users "$users" --seconds "$seconds" --rate "$rate" --mix "$mix" \
  ${SOAK_SAMPLE_MS:+--sample-ms "$SOAK_SAMPLE_MS"} --send-timeout "$send_timeout" \
  --request-timeout "$request_timeout" --idle-timeout "$idle_timeout" --server-log "$work/meerkat.err" \
  --out "$out" --csv "${out%.md}.csv" --command "$command" \
  --when "$(date -u +%Y-%m-%dT%H:%MZ)" &
soak_pid=$!
wait "$soak_pid" || status=$?
soak_pid=""
if [ "$status" != 0 ]; then
  say "failed; the end of the server's log:"
  tail -n 40 "$work/meerkat.err" >&2 || true
fi
exit "$status"
