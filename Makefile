# meerkat developer commands. `make help` lists them.
#
# Everything a target needs is installed by the project itself: Python tools go into
# .tools/venv (git-ignored), Java (only for generating code from the specs: generated/ and
# the SDKs of `make sdk`, which `make test` builds) comes from Debian.

SHELL := /bin/sh
CARGO ?= cargo
PYTHON ?= python3
VENV := .tools/venv
GENERATOR_VERSION := 7.26.0
SCHEMATHESIS_VERSION := 4.32.5
GENERATOR := $(VENV)/bin/openapi-generator-cli
# xmpp.js, the WebSocket client of the integration tests (Node.js and npm).
WS_CLIENT := tests/ws-client/node_modules/.package-lock.json
# Strophe.js, the BOSH client of the integration tests (Node.js and npm).
BOSH_CLIENT := tests/bosh-client/node_modules/.package-lock.json
# Redocly CLI, the spec linter (Node.js 20.19 or later, and npm); see api/lint/.
SPEC_LINT := api/lint/node_modules/.package-lock.json
SCHEMATHESIS := $(VENV)/bin/schemathesis
# slixmpp, the Python XMPP client of the XEP scenarios (tests/slixmpp).
SLIXMPP := $(VENV)/.slixmpp-installed
# The client SDKs generated from api/client.yaml and the admin API's Python SDK from
# api/admin.yaml (api/sdk.sh; git-ignored), each installed the way a project installs it,
# for their consumer tests (see docs/api.md, "Generating SDKs", and docs/admin-api.md,
# "A Python SDK"): the Python SDKs with pip into a fresh venv, .tools/sdk-python, from
# the wheels of tests/sdk-python/requirements.txt (downloaded once into .tools/wheels);
# the TypeScript SDK with `npm install ./sdk/typescript` in tests/sdk-ts, a project that
# holds a copy of it and lists no TypeScript of its own; the Go SDK through a `replace`
# in tests/sdk-go/go.mod, built by Debian's Go (installed when missing) with its cache in
# .tools/go.
SDK_STAMP := sdk/.stamp
SDK_WHEELS := .tools/wheels/.downloaded
SDK_PYTHON_CONSUMER := .tools/sdk-python/.installed
SDK_TS_CONSUMER := tests/sdk-ts/node_modules/.package-lock.json
SDK_CONSUMERS := $(SDK_PYTHON_CONSUMER) $(SDK_TS_CONSUMER) go
# The browser test of the API docs page (tests/swagger-ui/browser.test.mjs): Playwright's
# library from npm (no browser of its own) and Debian's Chromium (see `chromium` below).
SWAGGER_UI_TEST := tests/swagger-ui/node_modules/.package-lock.json
# cargo-fuzz, for the fuzz targets in fuzz/ (see docs/security.md, "Fuzzing").
CARGO_FUZZ_VERSION := 0.13.2
CARGO_FUZZ := .tools/cargo/bin/cargo-fuzz
FUZZ_TARGETS ?= xml_stream sasl_scram jid json_contract config
FUZZ_SECONDS ?= 300
FUZZ_SMOKE_SECONDS ?= 25

# The hand-written crates; generated/ is the generator's and is never formatted or linted.
OWN_CRATES := -p meerkat -p meerkat-bench

.PHONY: help run build test unit integration services interop-deps contract tools java go generate sdk sdk-test check-generated \
        check-stale-guard chromium swagger-ui-test-deps ci clean bench bench-smoke bench-storage bench-cluster soak soak-smoke stalled-flood hostile-cluster fmt lint lint-spec fuzz fuzz-smoke fuzz-build

help:
	@echo "make run                build and run meerkat with its defaults (no config file)"
	@echo "make test               unit + integration + contract tests"
	@echo "make contract           schemathesis, every check, client and admin API of a local server (or URL=.../ADMIN_URL=..., CA=.../TLS_VERIFY=false)"
	@echo "make generate           regenerate generated/ from api/*.yaml (installs the generator)"
	@echo "make sdk                generate the SDKs into sdk/: Python, TypeScript and Go (client), Python (admin)"
	@echo "make sdk-test           the SDK consumer tests alone (Python, TypeScript, Go, Python admin, against the server)"
	@echo "make check-generated    fail if generated/ differs from what api/*.yaml produce"
	@echo "make check-stale-guard  show that an edited yaml never builds against a stale trait"
	@echo "make bench              meerkat against ejabberd (installs ejabberd; ~15 min)"
	@echo "make bench-storage      one node on SQLite and on PostgreSQL, same workloads (~8 min)"
	@echo "make bench-cluster      three nodes on one PostgreSQL and NATS: throughput, cross-node latency (~5 min)"
	@echo "make soak               10 min of mixed load: nothing acknowledged lost, server stays flat"
	@echo "make stalled-flood      10,100 stalled request bodies from 101 addresses; a legitimate client still served"
	@echo "make hostile-cluster    stalled bodies, spread password guessing and slow readers against three nodes"
	@echo "make fuzz               run every fuzz target for FUZZ_SECONDS (default 300) each"
	@echo "make fuzz-smoke         every fuzz target for FUZZ_SMOKE_SECONDS (default 25) each"
	@echo "make services           install PostgreSQL and nats-server (the storage and cluster tests start their own)"
	@echo "make interop-deps       install Prosody and ejabberd (the federation tests start their own)"
	@echo "make fmt                format the hand-written crates (never generated/)"
	@echo "make lint               module cycles and layers, rustfmt --check, clippy -D warnings, rustdoc -D warnings, lint-spec"
	@echo "make lint-spec          Redocly's recommended rules on api/*.yaml, warnings as errors"
	@echo "make ci                 everything CI runs"

run:
	$(CARGO) run --release --bin meerkat -- $(ARGS)

build:
	$(CARGO) build --release --bin meerkat

test: unit integration contract bench-smoke soak-smoke

unit: services
	$(CARGO) test --lib
	$(CARGO) test -p meerkat-bench

integration: services interop-deps $(WS_CLIENT) $(BOSH_CLIENT) $(SLIXMPP) $(SDK_STAMP) $(SDK_CONSUMERS) swagger-ui-test-deps
	$(CARGO) test --test it -- $(PEER_SKIPS)
	@# Prosody and ejabberd take seconds of CPU to start: their suites run on their own, two
	@# tests at a time, so that starting them never starves the timing-sensitive tests.
	$(CARGO) test --test it -- federation_interop:: federation_peers:: --test-threads=2
	@# The same suites with the server on a private PostgreSQL (tests/it/common/postgres.rs).
	MEERKAT_TEST_STORAGE=postgres $(CARGO) test --test it -- $(STORAGE_SKIPS)
	@# The acceptance suites against three nodes of a cluster, each request to the next node.
	MEERKAT_TEST_CLUSTER=3 $(CARGO) test --test it -- $(CLUSTER_SUITES) $(CLUSTER_SKIPS)

# The integration tests are one binary, tests/it/main.rs, with a module per suite; a
# filter `<module>::` selects a suite (libtest takes several filters and `--skip`s).
#
# Left out of the PostgreSQL pass: the suites whose servers never read
# MEERKAT_TEST_STORAGE (tests/it/common/mod.rs, on_chosen_storage), so they would only
# run the same again: cluster (its nodes name their PostgreSQL and nats-server),
# postgres_storage (each test starts its own PostgreSQL) and federation_peers (Prosody
# and ejabberd alone, no meerkat). Nor federation_interop: its meerkat is the one of the
# federation suite, which runs on PostgreSQL here, and its peers are heavy to start.
PEER_SKIPS := --skip federation_interop:: --skip federation_peers::
STORAGE_SKIPS := --skip cluster:: --skip postgres_storage:: $(PEER_SKIPS)

# The suites that run against a cluster (tests/it/common/mod.rs, MEERKAT_TEST_CLUSTER). Left
# out: what is per node by design (BOSH sessions and stream resumption need the node that
# holds them; metrics and limits count per node; a server restarted or run from the command
# line by the test is one node), the server's disco#items right after a component
# connects to another node (it is listed there a few milliseconds later), and the MUC
# service's disco#items, which lists the rooms of the node asked (docs/cluster.md).
CLUSTER_SUITES := messaging:: contacts_rest:: rooms_rest:: rooms_xmpp:: roster_presence:: \
  sse_resume:: tokens:: account_lifecycle:: xmpp_core:: im_extensions:: pep:: idempotency:: \
  push:: muc:: xmpp_websocket:: http_upload:: stream_management:: xmpp_clients:: admin_api:: domains::
CLUSTER_SKIPS := --skip the_service_lists_public_rooms

# The SDK consumer tests alone; `make test` runs them within `integration`.
sdk-test: $(SDK_STAMP) $(SDK_CONSUMERS)
	$(CARGO) test --test it -- sdk_consumers::

# The contract test (tests/contract.sh): the client API (tests/schemathesis.toml), then the
# admin API (tests/schemathesis-admin.toml), against a server it starts, or against a
# deployment with
#   make contract URL=https://host/api USER=alice@host PASSWORD=... PEER=bob@host PEER_PASSWORD=...
# (CONTACT=carol@host optional) for the client API and
#   ADMIN_URL=http://host:8088/api ADMIN_USER=... ADMIN_PASSWORD=...
# for the admin API, either or both; over HTTPS with a certificate the system does not
# trust (a self-signed one), add CA=path/to/cert.pem (data/self-signed-cert.pem of the
# server's data directory) or TLS_VERIFY=false. The first request to each API stops the
# run with a clear line if the URL, the certificate or the credentials are wrong. See
# docs/api.md and docs/admin-api.md, "Contract testing". Without URL or ADMIN_URL: a local
# server it starts, its client API on HTTPS with its own self-signed certificate.
contract: $(SCHEMATHESIS)
ifneq ($(URL)$(ADMIN_URL),)
	@[ -z "$(URL)" ] || [ "$(origin USER)" = "command line" ] || { echo "contract: give USER=<bare JID> with URL" >&2; exit 1; }
	@[ -z "$(ADMIN_URL)" ] || [ -n "$(ADMIN_USER)" ] || { echo "contract: give ADMIN_USER and ADMIN_PASSWORD with ADMIN_URL" >&2; exit 1; }
	@# Not echoed: the line holds the passwords.
	@CONTRACT_URL='$(URL)' CONTRACT_USER='$(if $(URL),$(USER))' CONTRACT_PASSWORD='$(PASSWORD)' \
	CONTRACT_PEER='$(PEER)' CONTRACT_PEER_PASSWORD='$(PEER_PASSWORD)' CONTRACT_CONTACT='$(CONTACT)' \
	CONTRACT_ADMIN_URL='$(ADMIN_URL)' CONTRACT_ADMIN_USER='$(ADMIN_USER)' CONTRACT_ADMIN_PASSWORD='$(ADMIN_PASSWORD)' \
	CONTRACT_CA='$(CA)' CONTRACT_TLS_VERIFY='$(TLS_VERIFY)' \
	  sh tests/contract.sh $(SCHEMATHESIS)
else
	$(CARGO) build --bin meerkat
	sh tests/contract.sh $(SCHEMATHESIS) target/debug/meerkat
endif

# The full comparison; see docs/performance.md. Not part of `make test`.
bench:
	bash bench/run.sh

# The same machinery with tiny loads, meerkat only, so the benchmark cannot rot. On the
# unoptimized build the tests use (BENCH_PROFILE=dev, bench/profile.sh): a smoke checks
# that every workload runs and nothing fails, not how fast.
bench-smoke:
	BENCH_PROFILE=dev BENCH_SMOKE=1 BENCH_OUT=target/bench-smoke.md bash bench/run.sh
	BENCH_PROFILE=dev BENCH_SMOKE=1 BENCH_OUT=target/bench-storage-smoke.md bash bench/storage.sh
	BENCH_PROFILE=dev BENCH_SMOKE=1 BENCH_OUT=target/bench-cluster-smoke.md bash bench/cluster.sh

# One node on SQLite (both durabilities) and on PostgreSQL, same workloads (~8 min);
# report in target/bench-storage.md, see docs/performance.md. Not part of `make test`.
bench-storage:
	bash bench/storage.sh

# Three nodes of a cluster on this machine (bench/cluster.sh): REST throughput and CPU per
# message alone and in the cluster, same-node and cross-node delivery latency; report in
# target/bench-cluster.md, see docs/performance.md. Not part of `make test`.
bench-cluster: services
	bash bench/cluster.sh

# Mixed load for SOAK_SECONDS (600), then: every acknowledged message is in the archive,
# the server's RSS, fds and threads stayed flat, its slow-reader defences worked. Report
# in target/soak.md; see docs/performance.md. Not part of `make test`.
soak:
	bash bench/soak.sh

# 10,100 request bodies that never arrive from 101 loopback addresses against the release
# binary's default HTTP limits, while a legitimate client keeps asking (about 50 s; see
# docs/security.md). Not part of `make test`.
stalled-flood:
	cargo build --release -q -p meerkat
	MEERKAT_BIN=target/release/meerkat python3 bench/stalled_flood.py

# The hostile attacks once against three nodes on PostgreSQL and NATS (about 2 min; see
# docs/security.md). Not part of `make test`.
hostile-cluster:
	bash bench/hostile_cluster.sh

# The same with a few clients for 30 s (about 35 s), on the unoptimized build as bench-smoke.
soak-smoke:
	BENCH_PROFILE=dev SOAK_SMOKE=1 bash bench/soak.sh

# The fuzz targets (fuzz/, their own workspace): each for FUZZ_SECONDS, or briefly. Both
# build with cargo fuzz on the stable toolchain (no sanitizer) into fuzz/target.
fuzz: $(CARGO_FUZZ)
	sh fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke: $(CARGO_FUZZ)
	FUZZ_DEV=1 FUZZ_PARALLEL=1 sh fuzz/run.sh $(FUZZ_SMOKE_SECONDS) $(FUZZ_TARGETS)

# The fuzz smoke's build alone (CI starts it early, in the background: .ci/run).
fuzz-build: $(CARGO_FUZZ)
	FUZZ_DEV=1 sh fuzz/run.sh 0 build

fmt:
	$(CARGO) fmt $(OWN_CRATES)
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml

# The gates CI runs before the tests: formatting, module imports (no cycle between files
# of src/, and the layers of docs/architecture.md: tests/lint/modules.py), lints (every
# target, warnings are errors) and the API docs with broken or private links refused.
lint: lint-spec
	$(PYTHON) tests/lint/modules.py --self-test
	$(CARGO) fmt $(OWN_CRATES) --check
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	$(CARGO) clippy $(OWN_CRATES) --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps -p meerkat
	@echo "lint: passed"

# The specs against Redocly's recommended rules with warnings as errors (api/lint/redocly.yaml;
# the one ignored problem is in api/lint/.redocly.lint-ignore.yaml, with its reason).
lint-spec: $(SPEC_LINT)
	REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true \
	  api/lint/node_modules/.bin/redocly lint --config api/lint/redocly.yaml api/client.yaml api/admin.yaml

# --- tools -----------------------------------------------------------------------------

# PostgreSQL (initdb, pg_ctl, psql), nats-server and Go, installed from Debian when missing.
services:
	@if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && command -v psql >/dev/null && command -v nats-server >/dev/null; then :; else \
	  echo "installing PostgreSQL and nats-server (needed by the storage and cluster tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql nats-server >/dev/null; \
	fi
	@# Go, from Debian when missing: the webhook suite checks sdk/helpers/webhooks.go.
	@command -v go >/dev/null 2>&1 || { \
	  echo "installing Go (needed by the SDK webhook helper test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null; }

# Prosody and ejabberd from Debian, when missing: the federation tests start private
# instances of them (tests/it/common/peers.rs, tests/interop/README.md). Installed without
# starting their system services (a policy-rc.d that denies them for the install, unless
# the machine has one), and a system service running after all is stopped: the tests
# never use it, and it would hold the default ports 5222, 5269 and 5280. By its pid when
# `service` leaves it running: Debian 12's init script for Prosody looks for a lua5.2
# process, and Prosody runs on lua5.4.
INTEROP_PACKAGES := prosody lua-sec ejabberd
interop-deps:
	@missing=; for p in $(INTEROP_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing$$missing (needed by the federation tests), without starting their services"; \
	  policy=; \
	  if [ ! -e /usr/sbin/policy-rc.d ]; then \
	    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy=1; \
	  fi; \
	  rc=0; \
	  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; } || rc=$$?; \
	  [ -z "$$policy" ] || rm -f /usr/sbin/policy-rc.d; \
	  [ $$rc -eq 0 ] || exit $$rc; \
	fi; \
	for service in prosody:/run/prosody/prosody.pid ejabberd:/run/ejabberd/ejabberd.pid; do \
	  name=$${service%%:*}; pid=$$(cat "$${service#*:}" 2>/dev/null); \
	  if [ -n "$$pid" ] && kill -0 "$$pid" 2>/dev/null; then \
	    echo "stopping the system's $$name service (the tests start their own)"; \
	    service "$$name" stop >/dev/null 2>&1 || true; \
	    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$$pid" 2>/dev/null || break; sleep 0.5; done; \
	    ! kill -0 "$$pid" 2>/dev/null || kill "$$pid"; \
	  fi; \
	done

$(VENV)/bin/pip:
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip

$(SLIXMPP): $(VENV)/bin/pip tests/slixmpp/requirements.txt
	$(VENV)/bin/pip install -q -r tests/slixmpp/requirements.txt
	@touch $@

$(SDK_WHEELS): $(VENV)/bin/pip tests/sdk-python/requirements.txt
	rm -rf .tools/wheels
	$(VENV)/bin/python -m pip download -q -d .tools/wheels -r tests/sdk-python/requirements.txt
	@touch $@

# A fresh venv with the two Python SDKs installed from their folders, offline.
$(SDK_PYTHON_CONSUMER): $(SDK_STAMP) $(SDK_WHEELS)
	rm -rf .tools/sdk-python
	$(PYTHON) -m venv .tools/sdk-python
	.tools/sdk-python/bin/python -m pip install -q --no-index --find-links .tools/wheels \
	  ./sdk/python ./sdk/python-admin -r tests/sdk-python/requirements.txt
	@touch $@

# A fresh copy of the SDK in the consumer project, installed as its README says.
$(SDK_TS_CONSUMER): $(SDK_STAMP) tests/sdk-ts/package.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (needed by the TypeScript SDK test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	rm -rf tests/sdk-ts/node_modules tests/sdk-ts/sdk
	mkdir -p tests/sdk-ts/sdk && cp -R sdk/typescript tests/sdk-ts/sdk/typescript
	cd tests/sdk-ts && npm install --no-save --no-package-lock --no-audit --no-fund ./sdk/typescript
	@test -f tests/sdk-ts/sdk/typescript/dist/index.js || { echo "npm install did not build the TypeScript SDK" >&2; exit 1; }
	@touch $@

# Debian's Chromium, when missing: the browser test of the API docs page drives it headless
# (tests/it/api_docs.rs), on loopback only.
chromium:
	@[ -x /usr/bin/chromium ] || { \
	  echo "installing Chromium (needed by the browser test of the API docs page)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

swagger-ui-test-deps: chromium $(SWAGGER_UI_TEST)

$(SWAGGER_UI_TEST): tests/swagger-ui/package.json tests/swagger-ui/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (needed by the browser test of the API docs page)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/swagger-ui && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund
	@touch $@

# Debian's Go, for the Go SDK's consumer test (tests/sdk-go); the module proxy is never
# used (the SDK needs only the standard library).
go:
	@command -v go >/dev/null 2>&1 || { \
	  echo "installing Go (needed by the Go SDK test)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go >/dev/null; }

$(SCHEMATHESIS): $(VENV)/bin/pip
	$(VENV)/bin/python -m pip install -q "schemathesis==$(SCHEMATHESIS_VERSION)"
	@test -x $@ || { echo "schemathesis did not install $@" >&2; exit 1; }

$(GENERATOR): $(VENV)/bin/pip
	$(VENV)/bin/pip install -q "openapi-generator-cli==$(GENERATOR_VERSION)"
	@touch $@

$(CARGO_FUZZ):
	$(CARGO) install cargo-fuzz --locked --version $(CARGO_FUZZ_VERSION) --root .tools/cargo

$(WS_CLIENT): tests/ws-client/package.json tests/ws-client/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (needed by the WebSocket tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/ws-client && npm ci --no-audit --no-fund
	@touch $@

$(SPEC_LINT): api/lint/package.json api/lint/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (needed by the spec linter)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' || { \
	  echo "the spec linter (Redocly CLI) needs Node.js 20.19 or later; this is $$(node --version)" >&2; exit 1; }
	cd api/lint && npm ci --no-audit --no-fund
	@touch $@

$(BOSH_CLIENT): tests/bosh-client/package.json tests/bosh-client/package-lock.json
	@command -v npm >/dev/null 2>&1 || { \
	  echo "installing Node.js and npm (needed by the BOSH tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	cd tests/bosh-client && npm ci --no-audit --no-fund
	@touch $@

# The generator is a Java program; Debian's JRE is enough.
java:
	@command -v java >/dev/null 2>&1 || { \
	  echo "installing a Java runtime (needed to generate code from api/*.yaml: generated/, the SDKs)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-17-jre-headless >/dev/null; }

tools: $(GENERATOR) $(SCHEMATHESIS) java

# --- the spec-first pipeline ----------------------------------------------------------

generate: $(GENERATOR) java
	sh api/generate.sh

# The SDKs; `make sdk` always regenerates, the integration tests only when an input changed.
sdk: $(GENERATOR) java
	sh api/sdk.sh
	@touch $(SDK_STAMP)

$(SDK_STAMP): api/client.yaml api/admin.yaml api/sdk.sh $(wildcard sdk/helpers/* sdk/templates/*/*) | $(GENERATOR) java
	sh api/sdk.sh
	@touch $@

check-generated: $(GENERATOR) java
	@tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	sh api/generate.sh "$$tmp" && \
	if diff -r generated "$$tmp" >"$$tmp.diff" 2>&1; then \
	  echo "generated/ is exactly what api/*.yaml produce"; rm -f "$$tmp.diff"; \
	else \
	  cat "$$tmp.diff"; rm -f "$$tmp.diff"; \
	  echo "generated/ differs from what api/*.yaml produce; run: make generate" >&2; exit 1; \
	fi

check-stale-guard: $(GENERATOR) java
	sh tests/stale_guard.sh

# --- CI ----------------------------------------------------------------------------------

ci: lint test fuzz-smoke check-generated check-stale-guard

clean:
	$(CARGO) clean
	rm -rf .tools fuzz/target fuzz/artifacts
