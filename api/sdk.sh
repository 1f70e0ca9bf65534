#!/bin/sh
# Generates the SDKs with the pinned openapi-generator: the client SDKs from
# api/client.yaml, and a Python SDK of the admin API from api/admin.yaml:
#
#   sdk/python        package meerkat_client          (generator `python`, urllib3)
#   sdk/typescript    package @meerkat/client         (generator `typescript-fetch`, ES2018, fetch)
#   sdk/go            module meerkat.example/sdk/meerkat, package meerkat  (generator `go`)
#   sdk/python-admin  package meerkat_admin           (generator `python`, urllib3)
#
#   sh api/sdk.sh [OUTPUT_DIR]      (default: sdk; the four folders are replaced)
#
# The event stream (`GET /api/sse`) is not something OpenAPI can describe as a stream, so
# each client SDK also gets a small hand-written helper from sdk/helpers/ that opens it
# through the generated client and yields the generated event models:
# meerkat_client.events, src/events.ts and events.go. The Python and TypeScript SDKs also
# get a Configuration that sends Basic credentials as UTF-8 (credentials.py and .ts; the
# generated ones encode Latin-1 only; Go's generated client already sends UTF-8), and
# Go gets errors.go: the error answers' texts, which its generated client leaves
# JSON-quoted. Each also gets the webhook signature check (webhooks.py, webhooks.ts, and
# the Go package `webhooks`; see docs/webhooks.md). See docs/api.md, "Generating SDKs".
#
# sdk/templates/<language>/ replaces a few of the generator's templates: the header of
# every generated file (the API's long description stays in each SDK's README, not in
# every file), and TypeScript's package.json and tsconfig.json (`npm install` builds the
# package with its own TypeScript, for ES2018, which has async iterators), Go's go.mod
# (the Go release the consumer test builds with, Debian's).
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

# The package's Configuration becomes the helper's, which sends UTF-8 Basic credentials.
python_credentials() {
  cp sdk/helpers/credentials.py "$out/$2/$1/credentials.py"
  echo "from $1.credentials import Configuration as Configuration" >>"$out/$2/$1/__init__.py"
}

# `from` is a Python keyword: the field is `from_` in Python, "from" on the wire.
generate client python --generator-name python --template-dir sdk/templates/python \
  --additional-properties "packageName=meerkat_client,projectName=meerkat-client,hideGenerationTimestamp=true" \
  --name-mappings "from=from_"
cp sdk/helpers/events.py "$out/python/meerkat_client/events.py"
cp sdk/helpers/webhooks.py "$out/python/meerkat_client/webhooks.py"
python_credentials meerkat_client python

generate client typescript --generator-name typescript-fetch --template-dir sdk/templates/typescript \
  --additional-properties "npmName=@meerkat/client,supportsES6=true,hideGenerationTimestamp=true"
cp sdk/helpers/events.ts "$out/typescript/src/events.ts"
cp sdk/helpers/credentials.ts "$out/typescript/src/credentials.ts"
cp sdk/helpers/webhooks.ts "$out/typescript/src/webhooks.ts"
{
  echo "export * from './events';"
  echo "export * from './webhooks';"
  echo "export { Configuration, basicAuthorization } from './credentials';"
} >>"$out/typescript/src/index.ts"

# Go: every enum's values are prefixed with its type (AFFILIATION_OWNER, ROOMROLE_OWNER:
# several enums share values), the module path is meerkat.example/sdk/meerkat (a consumer
# points it at the folder with a `replace`), and no generated tests (they need testify).
generate client go --generator-name go --template-dir sdk/templates/go \
  --git-host meerkat.example --git-user-id sdk --git-repo-id meerkat \
  --global-property apiTests=false,modelTests=false \
  --additional-properties "packageName=meerkat,enumClassPrefix=true,hideGenerationTimestamp=true,withGoMod=true"
cp sdk/helpers/events.go "$out/go/events.go"
cp sdk/helpers/errors.go "$out/go/errors.go"
# The webhook signature check is a package of its own, meerkat.example/sdk/meerkat/webhooks
# (standard library only), so a receiver needs nothing else of the SDK.
mkdir -p "$out/go/webhooks"
cp sdk/helpers/webhooks.go "$out/go/webhooks/webhooks.go"

# The admin API's Python SDK. `from` is `from_` as above; `with` (the archive's peer in
# `GET /messages/{owner}/{with}`) is a Python keyword too, so the parameter is `with_`.
# The python generator of 7.26.0 also asks for a model name for that parameter, logs that
# it renames the keyword, and makes no model of it; the model name mapping answers the
# question without changing a byte of the output (checked), so no warning is left.
generate admin python-admin --generator-name python --template-dir sdk/templates/python \
  --additional-properties "packageName=meerkat_admin,projectName=meerkat-admin,hideGenerationTimestamp=true" \
  --name-mappings "from=from_" --parameter-name-mappings "with=with_" --model-name-mappings "with=WithParameter"
python_credentials meerkat_admin python-admin

echo "sdk: generated $out/python (meerkat_client), $out/typescript (@meerkat/client), $out/go (meerkat.example/sdk/meerkat) and $out/python-admin (meerkat_admin)"
