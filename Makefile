# Tollgate — developer entry points. `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test lint fmt doc run bench fuzz

## test: every test of the workspace (the interop tests with PyJWT, argon2-cffi, pyotp and stripe
## from scripts/python-env.sh), then >= 1,000 generated requests (schemathesis) against the
## served OpenAPI document (PostgreSQL tests and runs when TOLLGATE_TEST_POSTGRES_URL is set)
# The venv's python, as scripts/python-env.sh prints it (its first line creates or updates it).
test: export TOLLGATE_TEST_PYTHON = $(abspath $(or $(CARGO_TARGET_DIR),target))/venv/bin/python
test:
	bash scripts/python-env.sh >/dev/null
	$(CARGO) test --workspace --lib --bins --tests
	$(CARGO) test --workspace --doc
	bash scripts/schemathesis.sh 1000

## lint: formatting, clippy with warnings as errors, docs without warnings, no import cycle between
## the modules of a crate
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps
	python3 scripts/module_cycles.py

## fmt: format the code
fmt:
	$(CARGO) fmt --all

## run: build the release binary and serve on SQLite at ./data/tollgate.db (http://127.0.0.1:8080;
## the operator's API key is written to ./data/admin-api-key unless TOLLGATE_ADMIN_API_KEY is set;
## billing on the fake gateway, its webhooks signed with whsec_make_run)
run:
	TOLLGATE__DATABASE__URL=sqlite://data/tollgate.db \
		TOLLGATE__BILLING__GATEWAYS__FAKE__WEBHOOK_SECRET=$${TOLLGATE__BILLING__GATEWAYS__FAKE__WEBHOOK_SECRET:-whsec_make_run} \
		$(CARGO) run --release -p tollgate -- serve

## bench: store benchmark (consumes/s vs the raw statement) and HTTP load benchmark (wrk, installed
## if missing) of check and consume on SQLite and PostgreSQL beside /health/live and pgbench
bench:
	TOLLGATE_TEST_POSTGRES_URL=$${TOLLGATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432} \
		$(CARGO) bench -p tollgate-store --bench store
	bash bench/http.sh

## fuzz: >= 10,000 generated requests (schemathesis, installed into target/venv) against the served
## OpenAPI document on SQLite and PostgreSQL, with a fresh seed (SCHEMATHESIS_SEED=N replays one)
fuzz:
	TOLLGATE_TEST_POSTGRES_URL=$${TOLLGATE_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432} \
		SCHEMATHESIS_SEED=$${SCHEMATHESIS_SEED:-$$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')} \
		bash scripts/schemathesis.sh 10000
