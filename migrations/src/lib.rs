//! # tollgate-migration
//!
//! Tollgate's schema, one migration per change, applied in order by [`Migrator`]. The schema
//! itself enforces the invariants the code relies on: one counter per (account, metric, period),
//! one idempotency key per account, counters never negative, foreign keys everywhere. Times are
//! stored as Unix microseconds (`BIGINT`), money as minor units or the plan's JSON text.
#![warn(missing_docs)]

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_core;
mod m20261123_000002_api_keys;
mod m20261124_000001_state_version;
mod m20261202_000101_idempotency_owner;
mod m20261202_000201_identity;
mod m20261202_000301_account_keys;
mod m20261202_000401_addons;
mod m20261202_000501_billing;
mod m20261202_000601_identity_gaps;

/// Applies Tollgate's migrations.
#[derive(Debug)]
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_core::Migration),
            Box::new(m20261123_000002_api_keys::Migration),
            Box::new(m20261124_000001_state_version::Migration),
            Box::new(m20261202_000101_idempotency_owner::Migration),
            Box::new(m20261202_000201_identity::Migration),
            Box::new(m20261202_000301_account_keys::Migration),
            Box::new(m20261202_000401_addons::Migration),
            Box::new(m20261202_000501_billing::Migration),
            Box::new(m20261202_000601_identity_gaps::Migration),
        ]
    }
}
