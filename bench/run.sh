#!/bin/bash
# `make bench`: meerkat against ejabberd on this machine, same workloads, same run.
#
# Starts each server with a temporary data dir on loopback ports, runs every workload
# BENCH_RUNS times (median, min, max), and prints the figures and the meerkat/ejabberd
# ratios. Loops are bounded in count and time and touch 127.0.0.0/8 only.
#
# Environment: BENCH_RUNS (3), BENCH_SECONDS (10), BENCH_SESSIONS (10000), BENCH_ONLY
# (meerkat or ejabberd), BENCH_ARCHIVE (1000000), BENCH_OUT (bench/results.md),
# BENCH_SMOKE=1 for a short run that only checks the machinery (meerkat, tiny loads).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-10}
sessions=${BENCH_SESSIONS:-10000}
archive=${BENCH_ARCHIVE:-1000000}
out=${BENCH_OUT:-bench/results.md}
smoke=${BENCH_SMOKE:-0}
only=${BENCH_ONLY:-}
users=100
senders=64
pairs=50
# Room fan-out (meerkat only): one room of room_members (at most the server's default
# max_occupants, 100), room_online of them reading over XMPP, room_senders posting.
room_members=100 room_online=50 room_senders=8 room_seconds=$seconds
# Growth curves: senders for the REST send, a bigger archive, more idle sessions.
curve_senders="1 4 16 64 256"
archive_big=${BENCH_ARCHIVE_BIG:-10000000}
if [ "$smoke" = 1 ]; then
  runs=1 seconds=2 sessions=50 archive=2000 only=meerkat
  room_members=4 room_online=2 room_senders=2 room_seconds=1
  curve_senders="1 4" archive_big=4000
fi
accounts=$(( sessions > users ? sessions : users ))
accounts=$(( room_members > accounts ? room_members : accounts ))

# Every connection is a file descriptor, on both sides: take the hard limit.
fd_limit=$(ulimit -Hn)
[ "$fd_limit" = unlimited ] && fd_limit=1048576
ulimit -n "$fd_limit"
if [ "$fd_limit" -lt $(( sessions + 1000 )) ]; then
  echo "bench: the open-file limit ($fd_limit) is too low for $sessions sessions" >&2
  exit 1
fi
# Both ends of every idle session hold a descriptor; keep 2,000 spare.
idle_big=$(( fd_limit - 2000 < 2 * sessions ? fd_limit - 2000 : 2 * sessions ))

cargo build --release -q -p meerkat -p meerkat-bench
bin="$root/target/release/meerkat"
load="$root/target/release/meerkat-bench"

work="$(mktemp -d /tmp/meerkat-bench.XXXXXX)"
chmod 755 "$work"
results="$work/results.jsonl"
: > "$results"
server_pid=""
ejabberd_ctl=()
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ ${#ejabberd_ctl[@]} -gt 0 ]; then "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true; fi
  pkill -f "ejabberd-bench@localhost" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

record() { tee -a "$results"; }
say() { echo "bench: $*" >&2; }

# Runs the shared workloads against a started server. `restart_TARGET` must restart it
# (same ports, same data) and set server_pid: each memory run gets a fresh process, since
# neither allocator gives freed memory back and a second run would measure nothing.
run_common() { # target http c2s
  local target=$1 http=$2 xmpp=$3
  for r in $(seq "$runs"); do
    say "$target: REST send → XMPP, run $r"
    "$load" rest-send --target "$target" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --archive "$archive" | record
  done
  local max
  max=$("$load" median "$results" rest-send "$target" delivered_per_s)
  for r in $(seq "$runs"); do
    say "$target: REST send paced at half of $max/s, run $r"
    "$load" rest-send --target "$target" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --rate $(( max / 2 > 0 ? max / 2 : 1 )) | record
  done
  for r in $(seq "$runs"); do
    say "$target: c2s → c2s, run $r"
    "$load" c2s --target "$target" --c2s "$xmpp" --prefix u --pairs $pairs --window 16 --seconds "$seconds" | record
  done
  for r in $(seq "$runs"); do
    "restart_$target"
    sleep 2
    say "$target: $sessions idle sessions, run $r"
    "$load" idle --target "$target" --c2s "$xmpp" --prefix u --sessions "$sessions" --pid "$server_pid" | record
  done
}

# ---------------------------------------------------------------- meerkat --------------
m_config=meerkat.toml
start_meerkat() { # [tenths of a second to wait for it: 300]
  "$bin" --config "$work/$m_config" > "$work/meerkat.out" 2> "$work/meerkat.err" &
  server_pid=$!
  for _ in $(seq "${1:-300}"); do grep -q '^meerkat ready' "$work/meerkat.out" && return; sleep 0.1; done
  cat "$work/meerkat.err" >&2
  exit 1
}
restart_meerkat() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  start_meerkat
}

if [ "$only" != ejabberd ]; then
  m_api=$("$load" free-port); m_admin=$("$load" free-port); m_c2s=$("$load" free-port)
  m_https=$("$load" free-port)
  cat > "$work/meerkat.toml" <<EOF
[general]
hosts = ["localhost"]
data_dir = "$work/meerkat"
loglevel = "warn"
max_session_queue = 10000

[[listen.http]]
port = $m_api
ip_address = "127.0.0.1"
max_connections = 100000
max_connections_per_ip = 100000
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = $m_admin
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"

# The same API over HTTPS (the certificate the server generates for localhost), for the
# figures with TLS as deployed. The c2s listener offers STARTTLS with it too.
[[listen.http]]
port = $m_https
ip_address = "127.0.0.1"
max_connections = 100000
max_connections_per_ip = 100000
tls = {}
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.c2s]]
port = $m_c2s
ip_address = "127.0.0.1"
allow_plain_without_tls = true
max_connections = 100000
# Every client of the load comes from 127.0.0.1; the c2s workload alone opens 100, and
# the next run starts while the server still closes the last one's.
max_connections_per_ip = 100000
EOF
  "$bin" --config "$work/meerkat.toml" register alice@localhost bench-secret >/dev/null
  "$bin" --config "$work/meerkat.toml" register bob@localhost bench-secret >/dev/null
  say "meerkat: filling alice's archive with $archive messages"
  "$load" archive-fill --data-dir "$work/meerkat" --count "$archive" >&2
  say "meerkat: starting (data in $work/meerkat)"
  start_meerkat
  say "meerkat: registering $accounts accounts"
  "$load" register --target meerkat --http "127.0.0.1:$m_admin" --prefix u --users "$accounts" >&2
  for r in $(seq "$runs"); do
    say "meerkat: archive read and auth cost, run $r"
    "$load" archive-read --http "127.0.0.1:$m_api" --requests 2000 --archive "$archive" | record
    "$load" auth-cost | record
  done
  run_common meerkat "127.0.0.1:$m_api" "127.0.0.1:$m_c2s"
  # Room fan-out is meerkat only: ejabberd has no MUC Light (its rooms are XEP-0045 MUC),
  # so the ejabberd side skips it and the figures have no ratio. A new room per run.
  for r in $(seq "$runs"); do
    say "meerkat: room fan-out, $room_senders REST senders → $room_online of $room_members members online, run $r"
    "$load" room-fanout --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --members $room_members --online $room_online --senders $room_senders --seconds "$room_seconds" | record
  done
  # The ceiling of meerkat's own path: the throughput workloads again with the archive
  # off (every default module but mod_mam; the modules these workloads use are listed).
  cp "$work/meerkat.toml" "$work/meerkat-archive-off.toml"
  printf '\n[modules.%s]' mod_roster mod_offline mod_stream_management mod_csi mod_muc_light \
    mod_pep mod_caps mod_vcard mod_private >> "$work/meerkat-archive-off.toml"
  m_config=meerkat-archive-off.toml
  restart_meerkat
  for r in $(seq "$runs"); do
    say "meerkat, archive off: REST send → XMPP, run $r"
    "$load" rest-send --target meerkat --label meerkat-archive-off --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" | record
  done
  for r in $(seq "$runs"); do
    say "meerkat, archive off: c2s → c2s, run $r"
    "$load" c2s --target meerkat --label meerkat-archive-off --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" | record
  done
  # The cost of power-loss durability: an fsync per archive group commit.
  cp "$work/meerkat.toml" "$work/meerkat-power.toml"
  printf '\n[modules.%s]' mod_roster mod_offline mod_stream_management mod_csi mod_muc_light \
    mod_pep mod_caps mod_vcard mod_private >> "$work/meerkat-power.toml"
  printf '\n[modules.mod_mam]\ndurability = "power"\n' >> "$work/meerkat-power.toml"
  m_config=meerkat-power.toml
  restart_meerkat
  for r in $(seq "$runs"); do
    say "meerkat, durability = power: REST send → XMPP, run $r"
    "$load" rest-send --target meerkat --label meerkat-power --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" | record
  done
  for r in $(seq "$runs"); do
    say "meerkat, durability = power: c2s → c2s, run $r"
    "$load" c2s --target meerkat --label meerkat-power --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" | record
  done
  m_config=meerkat.toml
  restart_meerkat

  # TLS as deployed: REST over HTTPS with keep-alive, c2s over STARTTLS (receivers too).
  for r in $(seq "$runs"); do
    say "meerkat, TLS: REST send over HTTPS → XMPP over STARTTLS, run $r"
    "$load" rest-send --target meerkat --label meerkat-tls --tls 1 --http "https://127.0.0.1:$m_https" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" | record
  done
  for r in $(seq "$runs"); do
    say "meerkat, TLS: c2s → c2s over STARTTLS, run $r"
    "$load" c2s --target meerkat --label meerkat-tls --tls 1 --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" | record
  done
  # Growth: REST send by concurrent senders (one run each; the headline is 64).
  for n in $curve_senders; do
    say "meerkat: REST send with $n senders"
    "$load" rest-send --target meerkat --label meerkat-senders --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders "$n" --seconds "$seconds" | record
  done
  # Growth: memory per idle session over STARTTLS, and plain with as many sessions as
  # this machine's open-file limit allows (the headline runs have $sessions).
  restart_meerkat
  sleep 2
  say "meerkat, TLS: $sessions idle sessions over STARTTLS"
  "$load" idle --target meerkat --label meerkat-tls --tls 1 --c2s "127.0.0.1:$m_c2s" --prefix u --sessions "$sessions" --pid "$server_pid" | record
  if [ "$idle_big" -gt "$sessions" ]; then
    restart_meerkat
    sleep 2
    say "meerkat: $idle_big idle sessions"
    "$load" idle --target meerkat --label meerkat-idle-curve --c2s "127.0.0.1:$m_c2s" --prefix u --sessions "$idle_big" --pid "$server_pid" | record
  fi
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""

  # Growth: the archive at $archive_big messages (alice's, filled offline), its page read
  # and the send rate into it. Opening the store indexes what the fill left, first.
  if [ "$archive_big" -gt "$archive" ]; then
    say "meerkat: filling alice's archive up to $archive_big messages"
    "$load" archive-fill --data-dir "$work/meerkat" --from "$archive" --count $(( archive_big - archive )) >&2
    start_meerkat 6000
    for r in $(seq "$runs"); do
      say "meerkat: archive read from $archive_big, and REST send into it, run $r"
      "$load" archive-read --label meerkat-archive-10M --http "127.0.0.1:$m_api" --requests 2000 --archive "$archive_big" | record
      "$load" rest-send --target meerkat --label meerkat-archive-10M --archive "$archive_big" --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" | record
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  fi
fi

# ---------------------------------------------------------------- ejabberd -------------
start_ejabberd() {
  "${ejabberd_ctl[@]}" start
  server_pid=""
  for _ in $(seq 120); do
    server_pid=$(pgrep -f 'beam.*ejabberd-bench@localhost' | head -n1 || true)
    if [ -n "$server_pid" ] && "${ejabberd_ctl[@]}" status >/dev/null 2>&1; then return; fi
    sleep 1
  done
  cat "$ej/logs/"*.log >&2 || true
  exit 1
}
restart_ejabberd() {
  "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true
  for _ in $(seq 60); do pgrep -f 'beam.*ejabberd-bench@localhost' >/dev/null || break; sleep 1; done
  start_ejabberd
}

if [ "$only" != meerkat ]; then
  if ! command -v ejabberdctl >/dev/null 2>&1; then
    say "installing ejabberd (Debian package), without starting the system service"
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ejabberd >/dev/null
    rm -f /usr/sbin/policy-rc.d
  fi
  ej="$work/ejabberd"
  mkdir -p "$ej/spool" "$ej/logs"
  ej_c2s=$("$load" free-port)
  ej_http=$("$load" free-port)
  sed "s/@C2S_PORT@/$ej_c2s/; s/@HTTP_PORT@/$ej_http/" bench/ejabberd.yml > "$ej/ejabberd.yml"
  # The packaged ctl config names the system config file, which would override ours.
  grep -v '^EJABBERD_CONFIG_PATH=' /etc/ejabberd/ejabberdctl.cfg > "$ej/ejabberdctl.cfg"
  echo 'ERL_MAX_PORTS=250000' >> "$ej/ejabberdctl.cfg"
  chown -R ejabberd: "$ej"
  # Run ejabberdctl as the ejabberd user ourselves: started by root it switches user
  # and the node gets 1024 open files, which ruins the figures past ~1,000 sessions.
  ejabberd_ctl=(su -s /bin/sh -c "ulimit -n $fd_limit && exec \"\$0\" \"\$@\"" ejabberd --
    ejabberdctl --ctl-config "$ej/ejabberdctl.cfg" --config "$ej/ejabberd.yml" --spool "$ej/spool"
    --logs "$ej/logs" --node ejabberd-bench@localhost)
  say "ejabberd: starting"
  start_ejabberd
  grep 'Max open files' "/proc/$server_pid/limits" >&2
  say "ejabberd: registering $accounts accounts"
  "$load" register --target ejabberd --http "127.0.0.1:$ej_http" --prefix u --users "$accounts" >&2
  run_common ejabberd "127.0.0.1:$ej_http" "127.0.0.1:$ej_c2s"
  "${ejabberd_ctl[@]}" stop >/dev/null 2>&1 || true
  ejabberd_ctl=()
  server_pid=""
fi

# ---------------------------------------------------------------- report ---------------
{
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Runs per figure: $runs; window: ${seconds}s; sessions: $sessions; archive: $archive"
  if [ "$only" != ejabberd ]; then
    echo "Room fan-out: $room_members members, $room_online online, $room_senders senders, window ${room_seconds}s"
  fi
  echo
  "$load" report "$results"
} | tee "$out"
cp "$results" "${out%.md}.jsonl"

# A full run also rewrites the generated part of docs/performance.md and its charts.
if [ "$smoke" != 1 ] && [ "$out" = bench/results.md ]; then
  {
    echo "Written by \`make bench\` (\`bench/run.sh\`); the raw lines are in \`bench/results.jsonl\`."
    echo
    cat "$out"
    echo
    for chart in $("$load" charts "$results" docs); do
      echo "![$(basename "$chart" .svg)]($(basename "$chart"))"
      echo
    done
  } > "$work/generated.md"
  "$load" splice docs/performance.md "$work/generated.md"
  say "wrote $out, ${out%.md}.jsonl and the generated part of docs/performance.md"
fi
