#!/bin/sh
# Regenerates generated/ from api/*.yaml with the pinned openapi-generator, then records
# the hash of each spec in generated/spec-hashes.txt (build.rs compares against it).
#
#   sh api/generate.sh [OUTPUT_DIR]      (default: generated)
#
# The generator comes from `make tools` (.tools/venv); it needs Java 17+.
set -eu
cd "$(dirname "$0")/.."
out="${1:-generated}"
gen="${OPENAPI_GENERATOR:-.tools/venv/bin/openapi-generator-cli}"
if [ ! -x "$gen" ]; then
  echo "openapi-generator is not installed; run: make generate" >&2
  exit 1
fi
# The log of each run goes into the output folder, which need not exist yet.
mkdir -p "$out"
for spec in client admin; do
  rm -rf "$out/$spec"
  "$gen" generate --generator-name rust-server \
    --input-spec "api/$spec.yaml" \
    --output "$out/$spec" \
    --additional-properties "packageName=meerkat_${spec}_api,hideGenerationTimestamp=true" \
    > "$out/.generate-$spec.log" 2>&1 || { cat "$out/.generate-$spec.log" >&2; exit 1; }
  rm -f "$out/.generate-$spec.log"
done
sh api/spec-hashes.sh > "$out/spec-hashes.txt"
