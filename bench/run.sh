#!/bin/bash
# `make bench`: meerkat against its peers on this machine, same workloads, same run.
#
# Starts each server with a temporary data dir on loopback ports, runs every workload
# BENCH_RUNS times (median, min, max), and prints the figures and the ratios. Loops are
# bounded in count and time and touch 127.0.0.0/8 only.
#
# The peers are configured as their docs advise for production, each with its archive on:
# ejabberd 23.01 with mod_mam on SQL, once on SQLite and once on PostgreSQL (a private
# instance this script starts), plus once with the archive off as its ceiling; Prosody
# 0.12 with mod_mam on SQL storage (SQLite). Debian's packages, installed when missing.
#
# Environment: BENCH_RUNS (3), BENCH_SECONDS (8), BENCH_PINNED_RUNS (1), BENCH_SESSIONS (10000), BENCH_ONLY
# (meerkat, ejabberd or prosody), BENCH_PEER_IDLE_RUNS (1), BENCH_ARCHIVE (1000000),
# BENCH_OUT (bench/results.md), BENCH_SMOKE=1 for a short run that only checks the
# machinery (meerkat, tiny loads). CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$(pwd)"

runs=${BENCH_RUNS:-3}
seconds=${BENCH_SECONDS:-8}
# A generator-bound workload's rerun with the generator pinned: a check of what bound it,
# once by default (three runs of every such rerun kept `make bench` past 25 minutes).
pinned_runs=${BENCH_PINNED_RUNS:-1}
sessions=${BENCH_SESSIONS:-10000}
archive=${BENCH_ARCHIVE:-1000000}
out=${BENCH_OUT:-bench/results.md}
smoke=${BENCH_SMOKE:-0}
only=${BENCH_ONLY:-}
# Memory per idle session: one run per peer by default, on one configuration each
# (ejabberd-sql-sqlite, prosody), to keep `make bench` within its time: 10,000 logins on
# a fresh server process take one to two minutes on these peers.
peer_idle_runs=${BENCH_PEER_IDLE_RUNS:-1}
users=100
senders=64
pairs=50
# Room fan-out (meerkat only): one room of room_members (at most the server's default
# max_occupants, 100), room_online of them reading over XMPP, room_senders posting.
room_members=100 room_online=50 room_senders=8 room_seconds=$seconds
# Room fan-out over XEP-0045 on every server: one new room of muc_occupants, muc_senders of
# them sending with muc_window of their own messages under way each.
muc_occupants=50 muc_senders=8 muc_window=8
# Growth curves: senders for the REST send, a bigger archive, more idle sessions.
curve_senders="1 4 16 64 256"
archive_big=${BENCH_ARCHIVE_BIG:-10000000}
# Idempotency keys a user holds before the timed keyed sends (against 10 held).
keys_held=${BENCH_KEYS_HELD:-10000}
# Memory per idle session: seconds between the last login and the reading, and the points
# of the curve besides the headline's $sessions (the last one is added below: as many
# sessions as the open-file limit allows).
idle_settle=10
idle_points="1000 5000"
if [ "$smoke" = 1 ]; then
  runs=1 seconds=2 sessions=50 archive=2000 only=meerkat
  room_members=4 room_online=2 room_senders=2 room_seconds=1
  muc_occupants=4 muc_senders=2 muc_window=2
  curve_senders="1 4" archive_big=4000 keys_held=100
  idle_settle=2 idle_points=20
fi
case "$only" in
  "" | meerkat | ejabberd | prosody) ;;
  *) echo "bench: BENCH_ONLY is meerkat, ejabberd or prosody, not $only" >&2; exit 2 ;;
esac
wanted() { [ -z "$only" ] || [ "$only" = "$1" ]; }

# Every connection is a file descriptor, on both sides: take the hard limit.
fd_limit=$(ulimit -Hn)
[ "$fd_limit" = unlimited ] && fd_limit=1048576
ulimit -n "$fd_limit"
if [ "$fd_limit" -lt $(( sessions + 1000 )) ]; then
  echo "bench: the open-file limit ($fd_limit) is too low for $sessions sessions" >&2
  exit 1
fi
# The idle curve's last point: each end of an idle session holds a descriptor in its own
# process (server and generator, each with this limit); keep 1,000 spare in each for
# listeners, the database and the rest. At most twice the headline's sessions.
idle_big=$(( fd_limit - 1000 < 2 * sessions ? fd_limit - 1000 : 2 * sessions ))
idle_points="$idle_points $idle_big"
# An account for every session of every point: a login without one fails, and the point
# would measure fewer sessions than it names (18,000 sessions once had 8,000 failed logins
# with 10,000 accounts).
accounts=$(( sessions > users ? sessions : users ))
accounts=$(( room_members > accounts ? room_members : accounts ))
accounts=$(( muc_occupants > accounts ? muc_occupants : accounts ))
accounts=$(( idle_big > accounts ? idle_big : accounts ))

target_dir=${CARGO_TARGET_DIR:-$root/target}
case "$target_dir" in /*) ;; *) target_dir="$root/$target_dir" ;; esac
source bench/profile.sh
if wanted meerkat; then
  cargo build $build_flag -q -p meerkat -p meerkat-bench
else
  cargo build $build_flag -q -p meerkat-bench
fi

work="$(mktemp -d /tmp/meerkat-bench.XXXXXX)"
chmod 755 "$work"
results="$work/results.jsonl"
: > "$results"
server_pid=""   # meerkat
ej_pid=""       # the ejabberd node's beam process
prosody_pid=""
pg_data=""      # set while the private PostgreSQL runs
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null || true
  if [ -n "$ej_pid" ]; then
    ejctl stop >/dev/null 2>&1 || true
    for _ in $(seq 30); do kill -0 "$ej_pid" 2>/dev/null || break; sleep 1; done
    kill -9 "$ej_pid" 2>/dev/null || true
  fi
  [ -n "$prosody_pid" ] && kill "$prosody_pid" 2>/dev/null || true
  [ -n "$pg_data" ] && pg_stop
  rm -rf "$work"
}
trap cleanup EXIT
# Copies of the binaries: another build into a shared CARGO_TARGET_DIR may replace the
# originals while the bench runs.
mkdir "$work/bin"
load="$work/bin/meerkat-bench"
cp "$target_dir/$profile_dir/meerkat-bench" "$load"
if wanted meerkat; then
  bin="$work/bin/meerkat"
  cp "$target_dir/$profile_dir/meerkat" "$bin"
fi

record() { tee -a "$results"; }
say() { echo "bench: $(date +%T) $*" >&2; }

# A ceiling workload (unpaced) whose server used under 1.5 of the 2 cores while the load
# generator took the rest measured the generator as much as the server (`meerkat-bench
# bound`): it runs again, BENCH_RUNS times, with the generator pinned to one core, as
# LABEL-pinned. The report gives that figure beside the first and keeps the first in its
# tables. `pids`, if given, are waited for to be idle before each run.
pin_core=$(( $(nproc) - 1 ))
rerun_pinned() { # workload label pids meerkat-bench-arguments…
  local workload=$1 label=$2 pids=$3
  shift 3
  [ "$("$load" bound "$results" "$workload" "$label")" = generator ] || return 0
  for r in $(seq "$pinned_runs"); do
    [ -z "$pids" ] || "$load" settle --pid "$pids" --seconds 60
    say "$label: $workload was generator-bound; again with the load generator on core $pin_core only, run $r"
    taskset -c "$pin_core" "$load" "$@" --label "$label-pinned" | record
  done
}

# meerkat's workloads against a started server (the peers' are below). `restart_TARGET` must restart it
# (same ports, same data) and set server_pid: each memory run gets a fresh process, since
# neither allocator gives freed memory back and a second run would measure nothing.
run_common() { # target http c2s
  local target=$1 http=$2 xmpp=$3
  local rest=(rest-send --target "$target" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --archive "$archive" --pid "$server_pid")
  for r in $(seq "$runs"); do
    say "$target: REST send → XMPP, run $r"
    "$load" "${rest[@]}" | record
  done
  rerun_pinned rest-send "$target" "" "${rest[@]}"
  local max
  max=$("$load" median "$results" rest-send "$target" delivered_per_s)
  for r in $(seq "$runs"); do
    say "$target: REST send paced at half of $max/s, run $r"
    "$load" rest-send --target "$target" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --rate $(( max / 2 > 0 ? max / 2 : 1 )) --pid "$server_pid" | record
  done
  local c2s=(c2s --target "$target" --c2s "$xmpp" --prefix u --pairs $pairs --window 16 --seconds "$seconds" --pid "$server_pid")
  for r in $(seq "$runs"); do
    say "$target: c2s → c2s, run $r"
    "$load" "${c2s[@]}" | record
  done
  rerun_pinned c2s "$target" "" "${c2s[@]}"
  max=$("$load" median "$results" c2s "$target" delivered_per_s)
  for r in $(seq "$runs"); do
    say "$target: c2s → c2s paced at half of $max/s, run $r"
    "$load" "${c2s[@]}" --rate $(( max / 2 > 0 ? max / 2 : 1 )) | record
  done
  for r in $(seq "$runs"); do
    "restart_$target"
    sleep 2
    say "$target: $sessions idle sessions, run $r"
    "$load" idle --target "$target" --c2s "$xmpp" --prefix u --sessions "$sessions" --pid "$server_pid" --settle "$idle_settle" | record
  done
}

# Room fan-out over XEP-0045 (a new room per run) on `service`; `pids` as for
# peer_throughput.
run_muc() { # target label c2s pids service
  local target=$1 label=$2 xmpp=$3 pids=$4 service=$5
  local muc=(muc-fanout --target "$target" --label "$label" --c2s "$xmpp" --service "$service" --prefix u
    --occupants $muc_occupants --senders $muc_senders --window $muc_window --seconds "$room_seconds" --pid "$pids")
  for r in $(seq "$runs"); do
    "$load" settle --pid "$pids" --seconds 60
    say "$label: MUC fan-out, $muc_senders senders in a room of $muc_occupants, run $r"
    "$load" "${muc[@]}" | record
  done
  rerun_pinned muc-fanout "$label" "$pids" "${muc[@]}"
}

# ---------------------------------------------------------------- meerkat --------------
m_config=meerkat.toml
start_meerkat() { # [tenths of a second to wait for it: 300]
  : > "$work/meerkat.err"
  "$bin" --config "$work/$m_config" > "$work/meerkat.out" 2> "$work/meerkat.err" &
  server_pid=$!
  for _ in $(seq "${1:-300}"); do grep -q 'meerkat::startup: meerkat ready' "$work/meerkat.err" && return; sleep 0.1; done
  cat "$work/meerkat.err" >&2
  exit 1
}
restart_meerkat() {
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true
  start_meerkat
}

if wanted meerkat; then
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
  # A keyed send's cost with few and with many keys held (a fresh user per run and size,
  # so that each starts with none).
  for r in $(seq "$runs"); do
    for held in 10 "$keys_held"; do
      say "meerkat: keyed send with $held idempotency keys held, run $r"
      "$load" keyed-send --http "127.0.0.1:$m_api" --prefix u --user $(( held == 10 ? 80 + 2 * r : 90 + 2 * r )) --held "$held" --sends 500 | record
    done
  done
  run_common meerkat "127.0.0.1:$m_api" "127.0.0.1:$m_c2s"
  # Room fan-out is meerkat only: ejabberd has no MUC Light (its rooms are XEP-0045 MUC),
  # so the ejabberd side skips it and the figures have no ratio. A new room per run.
  room=(room-fanout --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --members $room_members --online $room_online --senders $room_senders --seconds "$room_seconds" --pid "$server_pid")
  for r in $(seq "$runs"); do
    say "meerkat: room fan-out, $room_senders REST senders → $room_online of $room_members members online, run $r"
    "$load" "${room[@]}" | record
  done
  rerun_pinned room-fanout meerkat "" "${room[@]}"
  # The same rooms as the peers', XEP-0045 over c2s (rooms keep an archive by default).
  run_muc meerkat meerkat "127.0.0.1:$m_c2s" "$server_pid" conference.localhost
  # The ceiling of meerkat's own path: the throughput workloads again with the archive
  # off (every default module but mod_mam; the modules these workloads use are listed).
  cp "$work/meerkat.toml" "$work/meerkat-archive-off.toml"
  printf '\n[modules.%s]' mod_roster mod_offline mod_stream_management mod_csi mod_muc_light \
    mod_pep mod_caps mod_vcard mod_private >> "$work/meerkat-archive-off.toml"
  m_config=meerkat-archive-off.toml
  restart_meerkat
  rest=(rest-send --target meerkat --label meerkat-archive-off --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" --pid "$server_pid")
  for r in $(seq "$runs"); do
    say "meerkat, archive off: REST send → XMPP, run $r"
    "$load" "${rest[@]}" | record
  done
  rerun_pinned rest-send meerkat-archive-off "" "${rest[@]}"
  c2s=(c2s --target meerkat --label meerkat-archive-off --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" --pid "$server_pid")
  for r in $(seq "$runs"); do
    say "meerkat, archive off: c2s → c2s, run $r"
    "$load" "${c2s[@]}" | record
  done
  rerun_pinned c2s meerkat-archive-off "" "${c2s[@]}"
  m_config=meerkat.toml
  restart_meerkat

  # TLS as deployed: REST over HTTPS with keep-alive, c2s over STARTTLS (receivers too).
  for r in $(seq "$runs"); do
    say "meerkat, TLS: REST send over HTTPS → XMPP over STARTTLS, run $r"
    "$load" rest-send --target meerkat --label meerkat-tls --tls 1 --http "https://127.0.0.1:$m_https" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" --pid "$server_pid" | record
  done
  for r in $(seq "$runs"); do
    say "meerkat, TLS: c2s → c2s over STARTTLS, run $r"
    "$load" c2s --target meerkat --label meerkat-tls --tls 1 --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" --pid "$server_pid" | record
  done
  # Growth: REST send by concurrent senders (one run each; the headline is 64).
  for n in $curve_senders; do
    say "meerkat: REST send with $n senders"
    "$load" rest-send --target meerkat --label meerkat-senders --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders "$n" --seconds "$seconds" --pid "$server_pid" | record
  done
  # Growth: memory per idle session over STARTTLS, and plain at the other points of the
  # curve (the headline runs have $sessions), each on a fresh server.
  restart_meerkat
  sleep 2
  say "meerkat, TLS: $sessions idle sessions over STARTTLS"
  "$load" idle --target meerkat --label meerkat-tls --tls 1 --c2s "127.0.0.1:$m_c2s" --prefix u --sessions "$sessions" --pid "$server_pid" --settle "$idle_settle" | record
  for n in $idle_points; do
    [ "$n" != "$sessions" ] || continue
    restart_meerkat
    sleep 2
    say "meerkat: $n idle sessions"
    "$load" idle --target meerkat --label meerkat-idle-curve --c2s "127.0.0.1:$m_c2s" --prefix u --sessions "$n" --pid "$server_pid" --settle "$idle_settle" | record
  done
  # The cost of power-loss durability: an fsync per archive group commit. Last before
  # the 10M archive: the restart there indexes what these runs leave, with the rest.
  cp "$work/meerkat.toml" "$work/meerkat-power.toml"
  printf '\n[modules.%s]' mod_roster mod_offline mod_stream_management mod_csi mod_muc_light \
    mod_pep mod_caps mod_vcard mod_private >> "$work/meerkat-power.toml"
  printf '\n[modules.mod_mam]\ndurability = "power"\n' >> "$work/meerkat-power.toml"
  m_config=meerkat-power.toml
  restart_meerkat
  for r in $(seq "$runs"); do
    say "meerkat, durability = power: REST send → XMPP, run $r"
    "$load" rest-send --target meerkat --label meerkat-power --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" --pid "$server_pid" | record
  done
  for r in $(seq "$runs"); do
    say "meerkat, durability = power: c2s → c2s, run $r"
    "$load" c2s --target meerkat --label meerkat-power --c2s "127.0.0.1:$m_c2s" --prefix u --pairs $pairs --window 16 --seconds "$seconds" --pid "$server_pid" | record
  done
  kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  m_config=meerkat.toml

  # Growth: the archive at $archive_big messages (alice's, filled offline), its page read
  # and the send rate into it. Opening the store indexes what the fill left, first.
  if [ "$archive_big" -gt "$archive" ]; then
    say "meerkat: filling alice's archive up to $archive_big messages"
    "$load" archive-fill --data-dir "$work/meerkat" --from "$archive" --count $(( archive_big - archive )) >&2
    start_meerkat 6000
    for r in $(seq "$runs"); do
      say "meerkat: archive read from $archive_big, and REST send into it, run $r"
      "$load" archive-read --label meerkat-archive-10M --http "127.0.0.1:$m_api" --requests 2000 --archive "$archive_big" | record
      "$load" rest-send --target meerkat --label meerkat-archive-10M --archive "$archive_big" --http "127.0.0.1:$m_api" --c2s "127.0.0.1:$m_c2s" --prefix u --users $users --senders $senders --seconds "$seconds" --pid "$server_pid" | record
    done
    kill "$server_pid"; wait "$server_pid" 2>/dev/null || true; server_pid=""
  fi
fi

# ---------------------------------------------------------------- peers ----------------
# Installs the Debian packages that are missing, without starting their system services:
# a policy-rc.d that denies them for the install, unless the machine already has one.
install_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]} (Debian packages), without starting their system services"
  local policy=0 rc=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy=1
  fi
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null; } || rc=$?
  [ "$policy" = 1 ] && rm -f /usr/sbin/policy-rc.d
  return "$rc"
}

# The peers' throughput workloads for one configuration; with `paced`, also the REST send
# and c2s paced at half their own median rates. `pids` are the server's processes: their CPU time
# gives the per-core figures, and each run starts once they are idle again (a slow server
# still works through the last run's backlog when the load stops).
peer_throughput() { # target label http c2s pids [paced]
  local target=$1 label=$2 http=$3 xmpp=$4 pids=$5 paced=${6:-}
  # A short unrecorded REST send first: a freshly started server fills its caches
  # (accounts, rosters, archive preferences) in its first run.
  say "$label: warm-up (not recorded)"
  "$load" rest-send --target "$target" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds 3 >/dev/null
  local rest=(rest-send --target "$target" --label "$label" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --pid "$pids")
  for r in $(seq "$runs"); do
    "$load" settle --pid "$pids" --seconds 60
    say "$label: REST send → XMPP, run $r"
    "$load" "${rest[@]}" | record
  done
  rerun_pinned rest-send "$label" "$pids" "${rest[@]}"
  if [ -n "$paced" ]; then
    local max
    max=$("$load" median "$results" rest-send "$label" delivered_per_s)
    for r in $(seq "$runs"); do
      "$load" settle --pid "$pids" --seconds 60
      say "$label: REST send paced at half of $max/s, run $r"
      "$load" rest-send --target "$target" --label "$label" --http "$http" --c2s "$xmpp" --prefix u --users $users --senders $senders --seconds "$seconds" --rate $(( max / 2 > 0 ? max / 2 : 1 )) --pid "$pids" | record
    done
  fi
  local c2s=(c2s --target "$target" --label "$label" --c2s "$xmpp" --prefix u --pairs $pairs --window 16 --seconds "$seconds" --pid "$pids")
  for r in $(seq "$runs"); do
    "$load" settle --pid "$pids" --seconds 60
    say "$label: c2s → c2s, run $r"
    "$load" "${c2s[@]}" | record
  done
  rerun_pinned c2s "$label" "$pids" "${c2s[@]}"
  if [ -n "$paced" ]; then
    local max
    max=$("$load" median "$results" c2s "$label" delivered_per_s)
    for r in $(seq "$runs"); do
      "$load" settle --pid "$pids" --seconds 60
      say "$label: c2s → c2s paced at half of $max/s, run $r"
      "$load" "${c2s[@]}" --rate $(( max / 2 > 0 ? max / 2 : 1 )) | record
    done
  fi
}

# ---------------------------------------------------------------- ejabberd -------------
ejctl() {
  # Run as the ejabberd user by us: started by root, ejabberdctl switches user and the
  # node gets 1024 open files, which ruins the figures past ~1,000 sessions.
  su -s /bin/sh -c "ulimit -n $fd_limit && exec \"\$0\" \"\$@\"" ejabberd -- \
    ejabberdctl --ctl-config "$ej/ejabberdctl.cfg" --config "$ej/$ej_config.yml" --spool "$ej/spool" \
    --logs "$ej/logs" --node ejabberd-bench@localhost "$@"
}
start_ejabberd() {
  ejctl start
  for _ in $(seq 120); do
    ej_pid=$(pgrep -f 'beam.*ejabberd-bench@localhost' | head -n1 || true)
    if [ -n "$ej_pid" ] && ejctl status >/dev/null 2>&1; then return; fi
    sleep 1
  done
  cat "$ej/logs/"*.log >&2 || true
  exit 1
}
stop_ejabberd() {
  ejctl stop >/dev/null 2>&1 || true
  for _ in $(seq 60); do kill -0 "$ej_pid" 2>/dev/null || break; sleep 1; done
  if kill -0 "$ej_pid" 2>/dev/null; then
    say "ejabberd: the node did not stop; killing it"
    kill -9 "$ej_pid" || true
  fi
  ej_pid=""
}
restart_ejabberd() { stop_ejabberd; start_ejabberd; }
# $ej/ctl.escript (written below) as the ejabberd user, whose cookie the node has.
ej_rpc() { su -s /bin/sh -c "cd $ej && escript $ej/ctl.escript $*" ejabberd; }
# Writes $ej/NAME.yml: the shared configuration plus configuration NAME's archive.
ej_configure() { # name
  sed "s/@C2S_PORT@/$ej_c2s/; s/@HTTP_PORT@/$ej_http/" bench/ejabberd.yml > "$ej/$1.yml"
  case $1 in
    archive-off) echo "  mod_muc: {}" >> "$ej/$1.yml" ;;
    sql-sqlite)
      # ejabberd creates the SQLite schema itself (its lite.sql) in an empty database.
      cat >> "$ej/$1.yml" <<EOF
  mod_mam:
    db_type: sql
    default: always
  mod_muc:
    default_room_options:
      mam: true
sql_type: sqlite
sql_database: "$ej/archive.sqlite"
EOF
      ;;
    sql-pgsql)
      cat >> "$ej/$1.yml" <<EOF
  mod_mam:
    db_type: sql
    default: always
  # XEP-0045 rooms on conference.localhost, each keeping its archive like meerkat's.
  mod_muc:
    default_room_options:
      mam: true
sql_type: pgsql
sql_server: "127.0.0.1"
sql_port: $pg_port
sql_database: ejabberd
sql_username: ejabberd
sql_password: bench-secret
EOF
      ;;
  esac
  chown ejabberd: "$ej/$1.yml"
}

# A private PostgreSQL for ejabberd's archive: its own data dir, socket dir and loopback
# port, run as the postgres user (initdb refuses root), stopped by the cleanup.
pg_as() { (cd "$work" && setpriv --reuid postgres --regid postgres --init-groups "$@"); }
pg_start() {
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n1)
  local pg="$work/postgres"
  mkdir -p "$pg"
  chown postgres: "$pg"
  pg_port=$("$load" free-port)
  pg_as "$pg_bin/initdb" -D "$pg/data" -U postgres -A trust -E UTF8 >/dev/null
  pg_data="$pg/data"
  pg_as "$pg_bin/pg_ctl" -D "$pg_data" -l "$pg/postgres.log" -w -t 60 \
    -o "-p $pg_port -k $pg -c listen_addresses=127.0.0.1" start >/dev/null
  local psql=("$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$pg_port")
  "${psql[@]}" -U postgres -c "CREATE USER ejabberd PASSWORD 'bench-secret'" -c "CREATE DATABASE ejabberd OWNER ejabberd"
  # ejabberd 23.01 does not create its PostgreSQL schema: the package's pg.sql does
  # (the default schema, `new_sql_schema: false`).
  "${psql[@]}" -U ejabberd -d ejabberd -f /usr/share/ejabberd/sql/pg.sql >/dev/null
}
# The postmaster and its children (ejabberd's connections are backends among them).
pg_pids() {
  local pm
  pm=$(head -n1 "$pg_data/postmaster.pid")
  { echo "$pm"; pgrep -P "$pm"; } | paste -sd, -
}
pg_stop() {
  pg_as "$pg_bin/pg_ctl" -D "$pg_data" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  pg_data=""
}

if wanted ejabberd; then
  install_packages ejabberd erlang-p1-sqlite3 erlang-p1-pgsql postgresql
  ej="$work/ejabberd"
  mkdir -p "$ej/spool" "$ej/logs"
  ej_c2s=$("$load" free-port)
  ej_http=$("$load" free-port)
  # The packaged ctl config names the system config file, which would override ours.
  grep -v '^EJABBERD_CONFIG_PATH=' /etc/ejabberd/ejabberdctl.cfg > "$ej/ejabberdctl.cfg"
  echo 'ERL_MAX_PORTS=250000' >> "$ej/ejabberdctl.cfg"
  # Calls into the node from a hidden node with the ejabberd user's cookie.
  # `gc`: every process of the node collects its garbage (for the idle figure after
  # collection). `register`: one account through ejabberd's own registration, whose
  # password record (SCRAM keys and salt) is then copied to the others: the accounts live
  # in a disc-only (DETS) table and a SCRAM derivation and a transaction each took about
  # three minutes for 10,000 accounts over mod_http_api.
  cat > "$ej/ctl.escript" <<'EOF'
#!/usr/bin/env escript
%%! -sname bench-ctl@localhost -hidden
main(["gc", Node]) ->
    N = list_to_atom(Node),
    Pids = check(rpc:call(N, erlang, processes, [])),
    ok = check(rpc:call(N, lists, foreach, [fun erlang:garbage_collect/1, Pids], 120000));
main(["register", Node, Prefix, Count, Password]) ->
    N = list_to_atom(Node),
    Host = <<"localhost">>,
    User = fun(I) -> list_to_binary(Prefix ++ integer_to_list(I)) end,
    case rpc:call(N, ejabberd_auth, try_register, [User(0), Host, list_to_binary(Password)]) of
        ok -> ok;
        {error, exists} -> ok;
        Error -> check({badrpc, Error})
    end,
    [Record] = check(rpc:call(N, mnesia, dirty_read, [passwd, {User(0), Host}])),
    Copies = [setelement(2, Record, {User(I), Host}) || I <- lists:seq(1, list_to_integer(Count) - 1)],
    ok = check(rpc:call(N, lists, foreach, [fun mnesia:dirty_write/1, Copies], 300000)).

check({badrpc, Reason}) ->
    io:format(standard_error, "~p~n", [Reason]),
    halt(1);
check(Value) ->
    Value.
EOF
  echo "su -s /bin/sh -c 'cd $ej && escript $ej/ctl.escript gc ejabberd-bench@localhost' ejabberd" > "$ej/gc.sh"
  chown -R ejabberd: "$ej"

  # Archive off first: accounts are registered once, into the Mnesia spool the three
  # configurations share.
  ej_config=archive-off
  ej_configure archive-off
  say "ejabberd: starting (archive off)"
  start_ejabberd
  grep 'Max open files' "/proc/$ej_pid/limits" >&2
  say "ejabberd: registering $accounts accounts"
  ej_rpc register ejabberd-bench@localhost u "$accounts" bench-secret
  peer_throughput ejabberd ejabberd-archive-off "127.0.0.1:$ej_http" "127.0.0.1:$ej_c2s" "$ej_pid"

  ej_config=sql-sqlite
  ej_configure sql-sqlite
  say "ejabberd: restarting with mod_mam on SQLite"
  restart_ejabberd
  # Paced runs on the best archive-on configurations only (PostgreSQL, Prosody): the
  # headline compares latencies at half rate with those.
  peer_throughput ejabberd ejabberd-sql-sqlite "127.0.0.1:$ej_http" "127.0.0.1:$ej_c2s" "$ej_pid"
  for r in $(seq "$peer_idle_runs"); do
    restart_ejabberd
    sleep 2
    say "ejabberd-sql-sqlite: $sessions idle sessions, run $r"
    "$load" idle --target ejabberd --label ejabberd-sql-sqlite --c2s "127.0.0.1:$ej_c2s" --prefix u --sessions "$sessions" --pid "$ej_pid" --gc "sh $ej/gc.sh" --sasl scram-sha-1 | record
  done

  say "ejabberd: starting a private PostgreSQL"
  pg_start
  ej_config=sql-pgsql
  ej_configure sql-pgsql
  say "ejabberd: restarting with mod_mam on PostgreSQL"
  restart_ejabberd
  peer_throughput ejabberd ejabberd-sql-pgsql "127.0.0.1:$ej_http" "127.0.0.1:$ej_c2s" "$ej_pid,$(pg_pids)" paced
  run_muc ejabberd ejabberd-sql-pgsql "127.0.0.1:$ej_c2s" "$ej_pid,$(pg_pids)" conference.localhost
  stop_ejabberd
  pg_stop
fi

# ---------------------------------------------------------------- prosody --------------
start_prosody() {
  # setpriv execs (no process in between), so $! is Prosody itself; the open-file limit
  # is this shell's.
  (cd "$pd" && exec setpriv --reuid prosody --regid prosody --init-groups \
    prosody --config "$pd/prosody.cfg.lua" -F > "$pd/prosody.out" 2>&1) &
  prosody_pid=$!
  for _ in $(seq 300); do
    if [ -S "$pd/data/prosody.sock" ] && (exec 3<>"/dev/tcp/127.0.0.1/$pd_c2s") 2>/dev/null; then return; fi
    kill -0 "$prosody_pid" 2>/dev/null || break
    sleep 0.1
  done
  cat "$pd/prosody.out" "$pd/prosody.log" >&2 || true
  exit 1
}
stop_prosody() {
  kill "$prosody_pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$prosody_pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$prosody_pid" 2>/dev/null || true
  wait "$prosody_pid" 2>/dev/null || true
  prosody_pid=""
}
restart_prosody() { stop_prosody; start_prosody; }
prosody_shell() { timeout 300 prosodyctl --config "$pd/prosody.cfg.lua" shell "$1"; }

if wanted prosody; then
  install_packages prosody lua-dbi-sqlite3
  pd="$work/prosody"
  mkdir -p "$pd/data" "$pd/modules" "$pd/certs"
  cp bench/prosody/mod_bench_rest.lua "$pd/modules/"
  pd_c2s=$("$load" free-port)
  pd_http=$("$load" free-port)
  # Plain c2s with PLAIN allowed, like the other servers' bench listeners; passwords stored
  # hashed (SCRAM) with 4096 iterations like meerkat's and ejabberd's; everything in SQL
  # storage on SQLite, the archive (mod_mam, every message) among it.
  cat > "$pd/prosody.cfg.lua" <<EOF
pidfile = "$pd/data/prosody.pid"
data_path = "$pd/data"
plugin_paths = { "$pd/modules" }
certificates = "$pd/certs"
log = { warn = "$pd/prosody.log" }
network_backend = "epoll"
c2s_ports = { $pd_c2s }
c2s_interfaces = { "127.0.0.1" }
http_ports = { $pd_http }
http_interfaces = { "127.0.0.1" }
http_default_host = "localhost"
https_ports = {}
s2s_ports = {}
component_ports = {}
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
default_iteration_count = 4096
storage = "sql"
sql = { driver = "SQLite3", database = "$pd/data/prosody.sqlite" }
default_archive_policy = true
archive_expires_after = "never"
modules_enabled = { "roster", "saslauth", "disco", "ping", "mam", "admin_shell", "http", "bench_rest" }
-- No offline storage, as in ejabberd's configuration: what a run leaves undelivered when
-- its clients leave would otherwise come back at the next run's logins.
modules_disabled = { "s2s", "offline" }
VirtualHost "localhost"
-- XEP-0045 rooms, every one keeping its archive (mod_muc_mam) like meerkat's.
Component "conference.localhost" "muc"
  modules_enabled = { "muc_mam" }
  muc_log_all_rooms = true
EOF
  echo "timeout 120 prosodyctl --config $pd/prosody.cfg.lua shell '>collectgarbage(\"collect\")' >/dev/null" > "$pd/gc.sh"
  chown -R prosody: "$pd"
  say "prosody: starting"
  start_prosody
  grep 'Max open files' "/proc/$prosody_pid/limits" >&2
  # One account made by Prosody (its salt and SCRAM keys), its rows then copied to the
  # others in one transaction: the same password everywhere, and 10,000 accounts in a
  # second instead of a key derivation and a commit each.
  say "prosody: creating $accounts accounts"
  prosody_shell ">assert(require'core.usermanager'.create_user('u0', 'bench-secret', 'localhost'))" >/dev/null
  prosody_shell ">local e = require'util.sql':create_engine({ driver = 'SQLite3', database = '$pd/data/prosody.sqlite' }); assert(e:transaction(function() for i = 1, $accounts - 1 do e:insert([[INSERT INTO prosody (host, user, store, key, type, value) SELECT host, ?, store, key, type, value FROM prosody WHERE host = 'localhost' AND user = 'u0' AND store = 'accounts']], 'u'..i) end end)); e.conn:close()" >/dev/null
  peer_throughput prosody prosody "127.0.0.1:$pd_http" "127.0.0.1:$pd_c2s" "$prosody_pid" paced
  run_muc prosody prosody "127.0.0.1:$pd_c2s" "$prosody_pid" conference.localhost
  for r in $(seq "$peer_idle_runs"); do
    restart_prosody
    sleep 2
    say "prosody: $sessions idle sessions, run $r"
    "$load" idle --target prosody --c2s "127.0.0.1:$pd_c2s" --prefix u --sessions "$sessions" --pid "$prosody_pid" --gc "sh $pd/gc.sh" --sasl scram-sha-1 | record
  done
  stop_prosody
fi

# ---------------------------------------------------------------- report ---------------
mkdir -p "$(dirname "$out")"
{
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ)"
  echo "Runs per figure: $runs (peers' idle sessions: $peer_idle_runs; reruns with the generator pinned: $pinned_runs); window: ${seconds}s; sessions: $sessions; archive: $archive"
  if wanted meerkat; then
    echo "Room fan-out: $room_members members, $room_online online, $room_senders senders, window ${room_seconds}s"
  fi
  if wanted ejabberd; then
    echo "ejabberd $(dpkg-query -W -f='${Version}' ejabberd): archive off; mod_mam on SQLite; mod_mam on PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}')"
  fi
  if wanted prosody; then
    echo "Prosody $(dpkg-query -W -f='${Version}' prosody) on one thread: mod_mam on SQL storage (SQLite); REST send through bench/prosody/mod_bench_rest.lua"
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

# The report shows a failed workload as FAILED instead of its figures; a smoke run, which
# checks the machinery, fails on one.
if ! "$load" failures "$results" > "$work/failed.txt"; then
  say "FAILED workloads:"
  cat "$work/failed.txt" >&2
  [ "$smoke" != 1 ] || exit 1
fi
