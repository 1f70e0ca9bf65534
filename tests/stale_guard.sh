#!/bin/sh
# Shows that an edited api/client.yaml never compiles silently against a stale generated
# trait. Works on a copy of the tree (the real one is not touched):
#   1. without the generator installed, the build stops and names `make generate`;
#   2. with it, the build regenerates generated/; the Rust code changed, so this build
#      stops and asks to be run again, and the next build compiles the new trait;
#   3. an edit that changes only documentation regenerates and builds in one go.
set -eu
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$root"
tar --exclude=./target --exclude=./.tools --exclude=./.git -cf - . | tar -C "$work" -xf -
# The tree's own target dir: the dependencies `make lint` checked are reused (the copy's
# crates are other packages to cargo, so nothing of the tree's own build is replaced).
export CARGO_TARGET_DIR="$root/target"
cd "$work"

fail() { echo "stale-guard: FAIL: $*" >&2; exit 1; }

# 1. An edited summary (it becomes a doc comment on the trait method), no generator.
sed -i 's/summary: Send a one-to-one chat message$/summary: Send one chat message, edited/' api/client.yaml
grep -q 'summary: Send one chat message, edited' api/client.yaml || fail "the edit did not apply"
if cargo check --lib --quiet 2>"$work/err1"; then fail "built with a stale generated/"; fi
grep -q 'Run:  make generate' "$work/err1" || { cat "$work/err1" >&2; fail "no command given"; }
echo "stale-guard: without the generator the build stops with: Run:  make generate"

# 2. With the generator: regenerate, stop once, then build.
ln -s "$root/.tools" .tools
if cargo check --lib --quiet 2>"$work/err2"; then fail "the first build after regenerating must stop"; fi
grep -q 'run the same build command again' "$work/err2" || { cat "$work/err2" >&2; fail "no rerun message"; }
grep -q 'Send one chat message, edited' generated/client/src/lib.rs || fail "generated/ was not regenerated"
cargo check --lib --quiet || fail "the second build failed"
echo "stale-guard: with the generator, generated/ was regenerated and the next build used it"

# 3. A description-only edit: regenerated, and the build goes on.
sed -i 's/Returns the newest `limit` archived one-to-one chat messages of the authenticated user,$/Returns the newest `limit` archived chat messages (edited) of the authenticated user,/' api/client.yaml
grep -q 'archived chat messages (edited)' api/client.yaml || fail "the description edit did not apply"
cargo check --lib --quiet 2>"$work/err3" || { cat "$work/err3" >&2; fail "a docs-only change stopped the build"; }
grep -rq 'archived chat messages (edited)' generated/client || fail "docs were not regenerated"
sh api/spec-hashes.sh | cmp -s - generated/spec-hashes.txt || fail "hashes not recorded"
echo "stale-guard: a documentation-only edit regenerated generated/ and built in one go"
echo "stale-guard: 3 passed, 0 failed"
