#!/bin/sh
# Contract test: runs schemathesis with every check (tests/schemathesis.toml) against
# meerkat's client API, with api/client.yaml as the spec, and fails on any
# non-conformance.
#
#   sh tests/contract.sh SCHEMATHESIS BINARY
#       starts BINARY on an ephemeral port with a temporary data directory, the users
#       and the modules the run needs, and tests it;
#   CONTRACT_URL=https://host/api CONTRACT_USER=alice@host CONTRACT_PASSWORD=... \
#       sh tests/contract.sh SCHEMATHESIS
#       tests a running deployment (see docs/api.md, "Contract testing").
#
# The event stream (never ends) is left out, and so are the operations listed in
# src/http/not_implemented.txt (they answer 501 until their feature lands); nothing else.
# Against a deployment, CONTRACT_PEER and CONTRACT_PEER_PASSWORD name a second user (see
# tests/schemathesis.toml); CONTRACT_CONTACT, optional, a user the run adds to
# CONTRACT_USER's contacts first. CONTRACT_MAX_EXAMPLES (50) and CONTRACT_SEED tune the run;
# CONTRACT_ARGS adds schemathesis options (e.g. `--report junit`).
set -eu
cd "$(dirname "$0")/.."
st="$1"
bin="${2:-}"
work="$(mktemp -d)"
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

if [ -n "$bin" ]; then
  # schemathesis sends wrong credentials on purpose, many times, and expects `401` each
  # time; the login throttle would (correctly) answer `429` after a few. Its limits are
  # raised here so that the run checks the contract, not the throttle
  # (tests/it/hostile_load.rs checks that). Rooms (mod_muc_light) are on, as by default.
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
  [[listen.http.handlers.mongoose_client_api]]
  path = "/api"

[modules.mod_muc_light]
host = "muclight.@HOST@"
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
  addr="$(sed -n 's/.* listening kind=http addr=\([^ ]*\) .*/\1/p' "$work/err" | head -n 1)"
  CONTRACT_URL="http://$addr/api"
  CONTRACT_USER=alice@localhost
  CONTRACT_PASSWORD=contract-secret
  CONTRACT_CONTACT=bob@localhost
  CONTRACT_PEER=carol@localhost
  CONTRACT_PEER_PASSWORD=contract-secret
fi
: "${CONTRACT_URL:?set CONTRACT_URL (the API base URL) or give a binary to start}"
: "${CONTRACT_USER:?set CONTRACT_USER (a bare JID)}"
: "${CONTRACT_PASSWORD:?set CONTRACT_PASSWORD}"
: "${CONTRACT_PEER:?set CONTRACT_PEER (a second user, never in CONTRACT_USER's rooms)}"
: "${CONTRACT_PEER_PASSWORD:?set CONTRACT_PEER_PASSWORD}"
CONTRACT_AUTH_FILE="$work/auth.json"
export CONTRACT_URL CONTRACT_USER CONTRACT_PASSWORD CONTRACT_PEER CONTRACT_PEER_PASSWORD \
  CONTRACT_AUTH_FILE

# The two identities as an auth document (Basic credentials as fixed headers), and a
# contact in the user's roster, so that the contact operations have an item to act on.
"$(dirname "$st")/python" - <<'PY'
import base64, json, os, urllib.request
def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
env = os.environ
user = basic(env["CONTRACT_USER"], env["CONTRACT_PASSWORD"])
peer = basic(env["CONTRACT_PEER"], env["CONTRACT_PEER_PASSWORD"])
with open(env["CONTRACT_AUTH_FILE"], "w") as f:
    json.dump({"auth": [
        {"name": name, "fixedHeaders": [{"name": "Authorization", "value": value}]}
        for name, value in (("user", user), ("peer", peer))
    ]}, f)
contact = env.get("CONTRACT_CONTACT")
if contact:
    request = urllib.request.Request(
        env["CONTRACT_URL"].rstrip("/") + "/contacts", method="POST",
        data=json.dumps({"jid": contact}).encode(),
        headers={"Authorization": user, "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204, response.status
PY

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
  $excludes ${CONTRACT_ARGS:-}
echo "contract: passed in $(( $(date +%s) - start )) s"
