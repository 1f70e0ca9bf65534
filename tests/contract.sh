#!/bin/sh
# Contract test: runs schemathesis with every check against meerkat's client API
# (api/client.yaml, tests/schemathesis.toml), then against its admin API (api/admin.yaml,
# tests/schemathesis-admin.toml), and fails on any non-conformance.
#
#   sh tests/contract.sh SCHEMATHESIS BINARY
#       starts BINARY on ephemeral ports with a temporary data directory, the users, the
#       modules and the listeners both runs need (the client API over HTTPS with the
#       self-signed certificate the server makes, trusted with CONTRACT_CA), and tests it;
#   CONTRACT_URL=https://host/api CONTRACT_USER=alice@host CONTRACT_PASSWORD=... \
#   CONTRACT_ADMIN_URL=http://host:8088/api CONTRACT_ADMIN_USER=... CONTRACT_ADMIN_PASSWORD=... \
#       sh tests/contract.sh SCHEMATHESIS
#       tests a running deployment (see docs/api.md and docs/admin-api.md, "Contract
#       testing"): the client API when CONTRACT_URL is set, the admin API when
#       CONTRACT_ADMIN_URL is; a note says which is not tested.
#
# Client API: the event stream (never ends) is left out, and so are the operations listed
# in src/http/not_implemented.txt (they answer 501 until their feature lands); nothing
# else. Against a deployment, CONTRACT_PEER and CONTRACT_PEER_PASSWORD name a second user
# (see tests/schemathesis.toml); CONTRACT_CONTACT, optional, a user the run adds to
# CONTRACT_USER's contacts first.
# Admin API: every operation. CONTRACT_ADMIN_USER and CONTRACT_ADMIN_PASSWORD are the
# handler's username and password (every scope). tests/contract_admin.py seeds the run.
#
# HTTPS: CONTRACT_CA, a PEM file of the certificates to trust (a server's own self-signed
# certificate is data/self-signed-cert.pem in its data directory), or CONTRACT_TLS_VERIFY
# `false`; neither: the system's trusted certificates. Both runs and every request of
# their seeding use it (tests/contract_net.py). Before anything else, one request to each
# API tested (tests/contract_net.py check) stops the run with a line saying what is wrong
# when the URL, the certificate or the credentials are.
#
# CONTRACT_MAX_EXAMPLES (50) and CONTRACT_SEED tune both runs; CONTRACT_ARGS adds
# schemathesis options to each schemathesis invocation (e.g. `--report junit`).
set -eu
case "${CONTRACT_CA:-}" in
  "" | /*) ;;
  *) CONTRACT_CA="$PWD/$CONTRACT_CA" ;;
esac
cd "$(dirname "$0")/.."
st="$1"
bin="${2:-}"
python="$(dirname "$st")/python"
work="$(mktemp -d)"
pid=""
holder=""
xmpp=""
cleanup() {
  [ -n "$holder" ] && kill "$holder" 2>/dev/null || true
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -n "$bin" ]; then
  # The client API is served as a server without a configuration file serves it: over
  # HTTPS with the self-signed certificate it makes in its data directory, which the run
  # trusts as a user would (CONTRACT_CA). The admin API is plain HTTP, as by default.
  # schemathesis sends wrong credentials on purpose, many times, and expects `401` each
  # time; the login throttle would (correctly) answer `429` after a few. Its limits are
  # raised here so that the run checks the contract, not the throttle
  # (tests/it/hostile_load.rs checks that). The modules are those both specs describe:
  # archives, MUC Light rooms, MUC rooms. The admin listener has a username and password
  # (every scope), so that its authentication is tested; the XMPP listener takes PLAIN
  # without TLS from tests/contract_admin.py, which holds two sessions in a MUC room during
  # the admin run.
  cat > "$work/meerkat.toml" <<CONF
[general]
hosts = ["localhost"]
data_dir = "$work/data"

[auth]
max_failures_per_ip = 1000000
max_failures_per_account = 1000000

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
tls = {}
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[[listen.http]]
port = 0
ip_address = "127.0.0.1"
  [[listen.http.handlers.mongoose_admin_api]]
  path = "/api"
  username = "contract-admin"
  password = "contract-admin-secret"

[[listen.c2s]]
port = 0
ip_address = "127.0.0.1"
allow_plain_without_tls = true

[modules.mod_mam]

[modules.mod_muc_light]
host = "muclight.@HOST@"

[modules.mod_muc]
host = "conference.@HOST@"
CONF
  # alice runs the tests; bob is her contact and the user the spec's examples invite;
  # carol is the peer who must not see alice's rooms and history.
  for user in alice bob carol; do
    "$bin" --config "$work/meerkat.toml" register "$user@localhost" contract-secret >/dev/null
  done
  RUST_LOG=warn "$bin" --config "$work/meerkat.toml" > "$work/out" 2> "$work/err" &
  pid=$!
  i=0
  until grep -q 'meerkat::startup: meerkat ready' "$work/err" 2>/dev/null; do
    i=$((i + 1))
    if [ "$i" -gt 300 ] || ! kill -0 "$pid" 2>/dev/null; then
      echo "meerkat did not start:" >&2
      cat "$work/err" >&2
      exit 1
    fi
    sleep 0.1
  done
  listening() {
    sed -n "s/.* listening kind=$1 addr=\([^ ]*\) .*handlers=$2.*/\1/p" "$work/err" | head -n 1
  }
  # The certificate names localhost.
  CONTRACT_URL="https://localhost:$(listening http mongoose_client_api | sed 's/.*://')/api"
  CONTRACT_CA="$work/data/self-signed-cert.pem"
  CONTRACT_TLS_VERIFY=""
  CONTRACT_USER=alice@localhost
  CONTRACT_PASSWORD=contract-secret
  CONTRACT_CONTACT=bob@localhost
  CONTRACT_PEER=carol@localhost
  CONTRACT_PEER_PASSWORD=contract-secret
  CONTRACT_ADMIN_URL="http://$(listening http mongoose_admin_api)/api"
  CONTRACT_ADMIN_USER=contract-admin
  CONTRACT_ADMIN_PASSWORD=contract-admin-secret
  # The users the admin seeding names exist already, with this password.
  CONTRACT_ADMIN_SEED_PASSWORD=contract-secret
  xmpp="$(listening c2s c2s)"
fi
if [ -z "${CONTRACT_URL:-}" ] && [ -z "${CONTRACT_ADMIN_URL:-}" ]; then
  echo "contract: set CONTRACT_URL (the client API) or CONTRACT_ADMIN_URL (the admin API), or give a binary to start" >&2
  exit 1
fi

# The TLS settings of every request of the run: schemathesis' and the seeding's. `tls` is
# what schemathesis' --tls-verify gets (a CA file, or false); empty: the system's CAs.
CONTRACT_CA="${CONTRACT_CA:-}"
CONTRACT_TLS_VERIFY="${CONTRACT_TLS_VERIFY:-}"
export CONTRACT_CA CONTRACT_TLS_VERIFY
case " ${CONTRACT_ARGS:-}" in
  *" --tls-verify"*)
    echo "contract: give CA=<PEM file> or TLS_VERIFY=false (CONTRACT_CA, CONTRACT_TLS_VERIFY) instead of --tls-verify in CONTRACT_ARGS: they apply to the seeding requests too" >&2
    exit 1 ;;
esac
case "$CONTRACT_TLS_VERIFY" in
  "" | true) tls="" ;;
  false) tls=false ;;
  *)
    echo "contract: TLS_VERIFY may only be false (or true, the default); a CA file goes in CA=" >&2
    exit 1 ;;
esac
if [ -n "$CONTRACT_CA" ]; then
  if [ "$CONTRACT_TLS_VERIFY" = false ]; then
    echo "contract: give CA= or TLS_VERIFY=false, not both" >&2
    exit 1
  fi
  tls="$CONTRACT_CA"
fi

# A wrong URL, certificate or password stops the run here, before schemathesis starts,
# with a line that says which (the three are shown to do so in a local run, below).
export CONTRACT_URL CONTRACT_USER CONTRACT_PASSWORD CONTRACT_PEER CONTRACT_PEER_PASSWORD \
  CONTRACT_ADMIN_URL CONTRACT_ADMIN_USER CONTRACT_ADMIN_PASSWORD
[ -z "${CONTRACT_URL:-}" ] || "$python" tests/contract_net.py check client
[ -z "${CONTRACT_ADMIN_URL:-}" ] || "$python" tests/contract_net.py check admin

# The local run first shows that the check above stops a run early, naming the problem:
# the same script against a closed port, then against this server without trusting its
# certificate, then with a wrong password (and TLS_VERIFY=false, so that it gets that far).
# Each must end before schemathesis would start (here a program that does not exist).
early_stop() {
  expected="$1"
  shift
  status=0
  env CONTRACT_ADMIN_URL= CONTRACT_CA= CONTRACT_TLS_VERIFY= CONTRACT_ARGS= "$@" \
    sh tests/contract.sh "$(dirname "$st")/not-reached" > "$work/early" 2>&1 || status=$?
  if [ "$status" = 0 ] || ! grep -qF "$expected" "$work/early" || grep -q 'contract: testing' "$work/early"; then
    echo "contract: a run with $* should have stopped early with \"$expected\"; it said (status $status):" >&2
    cat "$work/early" >&2
    exit 1
  fi
}
if [ -n "$bin" ]; then
  closed="$("$python" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  early_stop "connection refused by localhost:$closed" CONTRACT_URL="https://localhost:$closed/api"
  early_stop "the certificate of ${CONTRACT_URL%/api} is not trusted" CONTRACT_URL="$CONTRACT_URL"
  early_stop "the user $CONTRACT_USER was refused at $CONTRACT_URL/contacts (401" \
    CONTRACT_URL="$CONTRACT_URL" CONTRACT_PASSWORD=wrong CONTRACT_TLS_VERIFY=false
  echo "contract: a wrong port, certificate or password stops the run before schemathesis starts"
fi

client_run() {
  : "${CONTRACT_USER:?set CONTRACT_USER (a bare JID)}"
  : "${CONTRACT_PASSWORD:?set CONTRACT_PASSWORD}"
  : "${CONTRACT_PEER:?set CONTRACT_PEER (a second user, never in CONTRACT_USER's rooms)}"
  : "${CONTRACT_PEER_PASSWORD:?set CONTRACT_PEER_PASSWORD}"
  CONTRACT_AUTH_FILE="$work/auth.json"
  export CONTRACT_URL CONTRACT_USER CONTRACT_PASSWORD CONTRACT_PEER CONTRACT_PEER_PASSWORD \
    CONTRACT_AUTH_FILE

  # The two identities as an auth document (Basic credentials as fixed headers), and a
  # contact in the user's roster, so that the contact operations have an item to act on.
  export CONTRACT_CONTACT="${CONTRACT_CONTACT:-}"
  "$python" tests/contract_net.py seed-client

  excludes=""
  for id in $(grep -v '^#' src/http/not_implemented.txt | grep -v '^[[:space:]]*$'); do
    excludes="$excludes --exclude-operation-id $id"
  done
  # An empty selection would make a green run meaningless.
  ops="$(awk '/^components:/ { exit } /^      operationId:/ { n++ } END { print n }' api/client.yaml)"
  echo "contract: testing $ops operations minus the event stream and $(grep -cv '^#' src/http/not_implemented.txt) not yet implemented, at $CONTRACT_URL"

  start=$(date +%s)
  # shellcheck disable=SC2086
  "$st" --config-file tests/schemathesis.toml run api/client.yaml \
    --checks all \
    --max-examples "${CONTRACT_MAX_EXAMPLES:-50}" \
    --seed "${CONTRACT_SEED:-20261125}" \
    ${tls:+--tls-verify "$tls"} $excludes ${CONTRACT_ARGS:-}
  echo "contract: passed in $(( $(date +%s) - start )) s"
}

# The admin API's operations that take away what the seeding made run after all the
# others, so that every operation that uses a seeded user, room, session or occupant finds
# it: first those that end sessions and occupants, then those that end the rest (a new
# password ends the user's sessions too).
ADMIN_ENDS_SESSIONS="kickMucOccupant kickSession kickUser"
ADMIN_REMOVES="changePassword unregisterUser deleteMucLightRoom"

admin_run() {
  : "${CONTRACT_ADMIN_USER:?set CONTRACT_ADMIN_USER and CONTRACT_ADMIN_PASSWORD (the admin handler's username and password, every scope)}"
  : "${CONTRACT_ADMIN_PASSWORD:?set CONTRACT_ADMIN_PASSWORD}"
  export CONTRACT_ADMIN_URL CONTRACT_ADMIN_USER CONTRACT_ADMIN_PASSWORD
  export CONTRACT_ADMIN_SEED_PASSWORD="${CONTRACT_ADMIN_SEED_PASSWORD:-}"

  # The spec as it is for a handler with credentials: without the `{}` alternative of its
  # top-level `security` (the handler configured without any), with which schemathesis
  # takes authentication for optional and checks none of it.
  if [ "$(grep -c '^  - {}$' api/admin.yaml)" != 1 ]; then
    echo "contract: api/admin.yaml's top-level security no longer has one \`- {}\` line; update tests/contract.sh" >&2
    exit 1
  fi
  sed '/^  - {}$/d' api/admin.yaml > "$work/admin.yaml"

  # Every operation once: the first pass all but the later passes' operations.
  ops="$(awk '/^components:/ { exit } /^      operationId:/ { n++ } END { print n }' api/admin.yaml)"
  first=""
  for id in $ADMIN_ENDS_SESSIONS $ADMIN_REMOVES; do
    grep -q "^      operationId: $id\$" api/admin.yaml || {
      echo "contract: api/admin.yaml has no operation $id; update tests/contract.sh" >&2
      exit 1
    }
    first="$first --exclude-operation-id $id"
  done
  echo "contract: testing the admin API's $ops operations (every one), at $CONTRACT_ADMIN_URL"

  start=$(date +%s)
  if [ -n "$bin" ]; then
    "$python" tests/contract_admin.py seed --strict
    "$python" tests/contract_admin.py hold "$xmpp" > "$work/holder" 2>&1 &
    holder=$!
    i=0
    until grep -q '^ready$' "$work/holder" 2>/dev/null; do
      i=$((i + 1))
      if [ "$i" -gt 100 ] || ! kill -0 "$holder" 2>/dev/null; then
        echo "contract: the XMPP sessions of the admin run did not come up:" >&2
        cat "$work/holder" >&2
        exit 1
      fi
      sleep 0.1
    done
  else
    "$python" tests/contract_admin.py seed
  fi

  admin_pass "$first"
  admin_pass "$(printf ' --include-operation-id %s' $ADMIN_ENDS_SESSIONS)"
  admin_pass "$(printf ' --include-operation-id %s' $ADMIN_REMOVES)"
  echo "contract: admin API passed in $(( $(date +%s) - start )) s"
}

admin_pass() {
  # shellcheck disable=SC2086
  "$st" --config-file tests/schemathesis-admin.toml run "$work/admin.yaml" \
    --checks all \
    --max-examples "${CONTRACT_MAX_EXAMPLES:-50}" \
    --seed "${CONTRACT_SEED:-20261125}" \
    ${tls:+--tls-verify "$tls"} $1 ${CONTRACT_ARGS:-}
}

if [ -n "${CONTRACT_URL:-}" ]; then
  client_run
else
  echo "contract: the client API is not tested: no CONTRACT_URL (make contract URL=... USER=... PASSWORD=... PEER=... PEER_PASSWORD=...)"
fi
if [ -n "${CONTRACT_ADMIN_URL:-}" ]; then
  admin_run
else
  echo "contract: the admin API is not tested: no CONTRACT_ADMIN_URL (make contract ADMIN_URL=... ADMIN_USER=... ADMIN_PASSWORD=...)"
fi
