#!/bin/sh
# Generates the SDKs with the pinned openapi-generator: the client SDKs from
# api/client.yaml, and a Python SDK of the admin API from api/admin.yaml:
#
#   sdk/python        package meerkat_client   (generator `python`, urllib3)
#   sdk/typescript    package @meerkat/client  (generator `typescript-fetch`, ES2015+, fetch)
#   sdk/python-admin  package meerkat_admin    (generator `python`, urllib3)
#
#   sh api/sdk.sh [OUTPUT_DIR]      (default: sdk; the three folders are replaced)
#
# The event stream (`GET /api/sse`) is not something OpenAPI can describe as a stream, so
# each SDK also gets a small hand-written helper from sdk/helpers/ that opens it through
# the generated client and yields the generated event models: meerkat_client.events and
# src/events.ts (see docs/api.md, "Generating SDKs").
#
# Every generator warning fails the run, except the one known defect of the python
# generator listed below (KNOWN_WARNINGS), which no change of the spec can avoid.
# The generator comes from `make tools` (.tools/venv); it needs Java 17+.
set -eu
cd "$(dirname "$0")/.."
out="${1:-sdk}"
gen="${OPENAPI_GENERATOR:-.tools/venv/bin/openapi-generator-cli}"
if [ ! -x "$gen" ]; then
  echo "openapi-generator is not installed; run: make sdk" >&2
  exit 1
fi

# openapi-generator 7.26.0's python generator (AbstractPythonCodegen.toDefaultValue)
# asks for the `$ref` name of every operation parameter's schema, including inline ones,
# and logs this when there is none. It changes nothing in the output; the only way to
# silence it from the spec would be to turn every parameter's schema into a named
# component, which would change the Rust server's generated signatures too.
KNOWN_WARNINGS='WARN  o.o.codegen.utils.ModelUtils - Failed to get the schema name: null'

mkdir -p "$out"
log="$out/.generate.log"
generate() {
  spec="$1"
  name="$2"
  shift 2
  rm -rf "${out:?}/$name"
  if ! "$gen" generate --input-spec "api/$spec.yaml" --output "$out/$name" "$@" >"$log" 2>&1; then
    cat "$log" >&2
    exit 1
  fi
  warnings="$(grep -E 'WARN|ERROR' "$log" | grep -vF "$KNOWN_WARNINGS" || true)"
  if [ -n "$warnings" ]; then
    printf 'the generator warned while generating %s:\n%s\n' "$name" "$warnings" >&2
    exit 1
  fi
  if grep -qF "$KNOWN_WARNINGS" "$log"; then
    echo "sdk: $name: one known generator defect logged (see KNOWN_WARNINGS in api/sdk.sh)"
  fi
  rm -f "$log"
}

# `from` is a Python keyword: the field is `from_` in Python, "from" on the wire.
generate client python --generator-name python \
  --additional-properties "packageName=meerkat_client,projectName=meerkat-client,hideGenerationTimestamp=true" \
  --name-mappings "from=from_"
cp sdk/helpers/events.py "$out/python/meerkat_client/events.py"

generate client typescript --generator-name typescript-fetch \
  --additional-properties "npmName=@meerkat/client,supportsES6=true,hideGenerationTimestamp=true"
cp sdk/helpers/events.ts "$out/typescript/src/events.ts"
echo "export * from './events';" >>"$out/typescript/src/index.ts"

# The admin API's Python SDK. `from` is `from_` as above; `with` (the archive's peer in
# `GET /messages/{owner}/{with}`) is a Python keyword too, so the parameter is `with_`.
# The python generator of 7.26.0 also asks for a model name for that parameter, logs that
# it renames the keyword, and makes no model of it; the model name mapping answers the
# question without changing a byte of the output (checked), so no warning is left.
generate admin python-admin --generator-name python \
  --additional-properties "packageName=meerkat_admin,projectName=meerkat-admin,hideGenerationTimestamp=true" \
  --name-mappings "from=from_" --parameter-name-mappings "with=with_" --model-name-mappings "with=WithParameter"

echo "sdk: generated $out/python (meerkat_client), $out/typescript (@meerkat/client) and $out/python-admin (meerkat_admin)"
