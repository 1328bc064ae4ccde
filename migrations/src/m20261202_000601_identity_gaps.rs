//! Seats given back: an invitation that expired unaccepted is retired (it can no longer be
//! accepted) and then has its seat released, each step recorded on its row so that every
//! instance's sweep finds what is left to do and none does it twice; deleted users' memberships
//! are found by an index on the deleted users.
//!
//! Written as SQL, because partial indexes are not in sea-query's vocabulary; the statements are
//! the same on both databases (SQLite alters a table one column at a time).

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::ConnectionTrait;

#[derive(DeriveMigrationName)]
pub struct Migration;

const UP: &[&str] = &[
    "ALTER TABLE one_time_tokens ADD COLUMN retired_at BIGINT NULL",
    "ALTER TABLE one_time_tokens ADD COLUMN seat_released_at BIGINT NULL",
    // The sweep's work list: invitations never accepted whose seat is still held, by expiry.
    "CREATE INDEX one_time_tokens_lapsing ON one_time_tokens (expires_at, fingerprint) \
     WHERE purpose = 'invitation' AND used_at IS NULL AND seat_released_at IS NULL",
    "CREATE INDEX users_deleted ON users (id) WHERE deleted_at IS NOT NULL",
];

const DOWN: &[&str] = &[
    "DROP INDEX users_deleted",
    "DROP INDEX one_time_tokens_lapsing",
    "ALTER TABLE one_time_tokens DROP COLUMN seat_released_at",
    "ALTER TABLE one_time_tokens DROP COLUMN retired_at",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in UP {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for sql in DOWN {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
