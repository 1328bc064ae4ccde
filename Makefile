# Tollgate — developer entry points. `make test` is what CI runs.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: test lint fmt doc

## test: every test of the workspace (PostgreSQL tests run when TOLLGATE_TEST_POSTGRES_URL is set)
test:
	$(CARGO) test --workspace --all-targets
	$(CARGO) test --workspace --doc

## lint: formatting, clippy with warnings as errors, docs without warnings
lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --workspace --no-deps

## fmt: format the code
fmt:
	$(CARGO) fmt --all
