//! Identity: users (an e-mail unique among users not deleted), memberships of accounts,
//! sessions and their refresh tokens, one-time tokens, the append-only audit log and failed
//! logins. Secrets are stored only as fingerprints or hashes.
//!
//! Written as SQL, because the partial unique index and the audit log's triggers are not in
//! sea-query's vocabulary; the tables are the same on both databases, the triggers differ.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, DbBackend};

#[derive(DeriveMigrationName)]
pub struct Migration;

/// The tables and indexes; `{serial}` is the database's auto-numbered key.
const TABLES: &[&str] = &[
    "CREATE TABLE users (
        id TEXT PRIMARY KEY,
        email TEXT NOT NULL,
        name TEXT NOT NULL,
        name_folded TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        email_verified BOOLEAN NOT NULL,
        totp_secret TEXT NULL,
        totp_confirmed BOOLEAN NOT NULL,
        totp_last_step BIGINT NULL,
        totp_recovery_codes TEXT NULL,
        platform_admin BOOLEAN NOT NULL,
        version BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        deleted_at BIGINT NULL
    )",
    "CREATE UNIQUE INDEX users_live_email ON users (email) WHERE deleted_at IS NULL",
    "CREATE TABLE memberships (
        account_id BIGINT NOT NULL REFERENCES accounts (id),
        user_id TEXT NOT NULL REFERENCES users (id),
        role TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (account_id, user_id)
    )",
    "CREATE INDEX memberships_user ON memberships (user_id)",
    "CREATE TABLE sessions (
        id TEXT PRIMARY KEY,
        user_id TEXT NOT NULL REFERENCES users (id),
        impersonator TEXT NULL,
        created_at BIGINT NOT NULL,
        refreshed_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        revoked_at BIGINT NULL,
        ip TEXT NULL
    )",
    "CREATE INDEX sessions_user ON sessions (user_id, created_at)",
    "CREATE TABLE refresh_tokens (
        fingerprint TEXT PRIMARY KEY,
        session_id TEXT NOT NULL REFERENCES sessions (id),
        created_at BIGINT NOT NULL,
        spent_at BIGINT NULL
    )",
    "CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id)",
    "CREATE TABLE one_time_tokens (
        fingerprint TEXT PRIMARY KEY,
        purpose TEXT NOT NULL,
        email TEXT NOT NULL,
        user_id TEXT NULL,
        account_key TEXT NULL,
        role TEXT NULL,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL,
        used_at BIGINT NULL
    )",
    "CREATE INDEX one_time_tokens_account ON one_time_tokens (account_key, purpose)",
    "CREATE TABLE audit_events (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL,
        action TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor_id TEXT NOT NULL,
        impersonator TEXT NULL,
        target_type TEXT NOT NULL,
        target_id TEXT NOT NULL,
        ip TEXT NULL,
        request_id TEXT NULL
    )",
    "CREATE INDEX audit_events_at ON audit_events (at, id)",
    "CREATE INDEX audit_events_actor ON audit_events (actor_id, at)",
    "CREATE INDEX audit_events_target ON audit_events (target_id, at)",
    "CREATE TABLE login_failures (
        id {serial},
        email TEXT NOT NULL,
        ip TEXT NOT NULL,
        at BIGINT NOT NULL
    )",
    "CREATE INDEX login_failures_email ON login_failures (email, at)",
    "CREATE INDEX login_failures_ip ON login_failures (ip, at)",
    "CREATE INDEX login_failures_at ON login_failures (at)",
];

/// The audit log refuses changes and deletions, so a compromised or buggy caller can add
/// events but not rewrite history.
const SQLITE_TRIGGERS: &[&str] = &[
    "CREATE TRIGGER audit_events_no_update BEFORE UPDATE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
    "CREATE TRIGGER audit_events_no_delete BEFORE DELETE ON audit_events
     BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END",
];

const POSTGRES_TRIGGERS: &[&str] = &[
    "CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN RAISE EXCEPTION 'audit_events is append-only'; END $$",
    "CREATE TRIGGER audit_events_no_change BEFORE UPDATE OR DELETE ON audit_events
     FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
     FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()",
];

const TABLE_NAMES: [&str; 7] = [
    "login_failures",
    "audit_events",
    "one_time_tokens",
    "refresh_tokens",
    "sessions",
    "memberships",
    "users",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let (serial, triggers) = match manager.get_database_backend() {
            DbBackend::Postgres => ("BIGSERIAL PRIMARY KEY", POSTGRES_TRIGGERS),
            _ => ("INTEGER PRIMARY KEY AUTOINCREMENT", SQLITE_TRIGGERS),
        };
        for sql in TABLES {
            db.execute_unprepared(&sql.replace("{serial}", serial)).await?;
        }
        for sql in triggers {
            db.execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        for table in TABLE_NAMES {
            db.execute_unprepared(&format!("DROP TABLE {table}")).await?;
        }
        if manager.get_database_backend() == DbBackend::Postgres {
            db.execute_unprepared("DROP FUNCTION audit_events_append_only()").await?;
        }
        Ok(())
    }
}
