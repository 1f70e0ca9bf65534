#!/bin/sh
# Prints what generated/ was made from: the generator version and each spec's SHA-256.
# build.rs computes the same text; a difference means generated/ is stale.
set -eu
cd "$(dirname "$0")/.."
echo "openapi-generator 7.26.0 rust-server"
for spec in admin client; do
  printf '%s  api/%s.yaml\n' "$(sha256sum "api/$spec.yaml" | cut -d' ' -f1)" "$spec"
done
