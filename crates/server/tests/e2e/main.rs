//! Black-box tests of the `tollgate` binary: each test starts the real server on port 0 against a
//! fresh database (SQLite always; PostgreSQL too when `TOLLGATE_TEST_POSTGRES_URL` is set) and
//! speaks HTTP to it. One test binary, modules by theme, to keep link times down.
//!
//! These live in the server crate (not a separate `tests/` crate) because Cargo only tells the
//! binary's path (`CARGO_BIN_EXE_tollgate`) to the package that defines the binary.

mod helpers;
mod people;

mod account_keys;
mod addons;
mod admin;
mod auth;
mod bad_input;
mod billing;
mod billing_addons;
mod cli;
mod decisions;
mod dunning;
mod exactness;
mod faults;
mod idempotency;
mod identity;
mod identity_logs;
mod identity_members;
mod identity_seats;
mod identity_tokens;
mod languages;
mod operations;
mod quickstart;
mod rate_limits;
mod routing;
mod scale;
mod startup;
mod text_input;
