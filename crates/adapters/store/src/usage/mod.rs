//! Usage counters and ledger behind a group-commit writer.
//!
//! Commands are queued to writer tasks. A writer takes every command waiting (up to
//! `batch_max`) and applies them in one transaction, so one commit serves many requests:
//! - on SQLite, the batch is one call on the writer's own connection: `BEGIN IMMEDIATE`, the
//!   commands inserted as one JSON array into a temporary table whose trigger applies each in
//!   turn, the outcomes read back, `COMMIT`;
//! - on PostgreSQL, one statement per round of commands, the commands travelling as arrays
//!   through data-modifying CTEs.
//!
//! Either way, each command is one conditional upsert (`ON CONFLICT DO UPDATE … WHERE used <=
//! cap - q`: check and write in one atomic step, never read-then-write) plus its ledger line, and
//! a key already in the ledger stops both and answers the stored outcome. A consume carrying the
//! account's state version is written only if the account is still at that version, checked in
//! the same statement (no extra round trip); otherwise it writes nothing and answers
//! [`StoreError::Stale`]. If anything fails, the batch is rolled back and each command is retried
//! alone, so every command is all or nothing. Releases (gauges giving units back) are rarer and
//! run statement by statement. Every transaction writes, so on SQLite each begins `IMMEDIATE`.
//!
//! One module per job: [`writer`] queues and batches, [`sqlite`] and [`postgres`] hold each
//! backend's consume path (its SQL in a `.sql` file beside it), [`release`] the releases,
//! [`outcome`] the row decoding; [`job`] is the command they all share.

mod job;
mod outcome;
mod postgres;
mod release;
mod sqlite;
mod writer;

use async_trait::async_trait;
use sea_orm::ConnectionTrait;
use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, WindowKey};
use tollgate_ports::{LedgerEntry, StoreError, UsageCommand, UsageKind, UsageOutcome, UsageRepository};

use self::job::uint;
use self::outcome::{LEDGER_COLUMNS, ledger_entry};
use self::release::COUNTER_SQL;
pub(crate) use self::writer::Writer;
pub use self::writer::WriterConfig;
use crate::Store;
use crate::convert::db_error;

#[async_trait]
impl UsageRepository for Store {
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.within(async {
            let account_id = self.account_id(&command.account).await?;
            self.inner.writer.submit(UsageKind::Consume, account_id, command).await
        })
        .await
    }

    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.within(async {
            let account_id = self.account_id(&command.account).await?;
            self.inner.writer.submit(UsageKind::Release, account_id, command).await
        })
        .await
    }

    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError> {
        self.within(self.read_counters(account, counters)).await
    }

    async fn recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        self.within(self.read_recorded(account, key)).await
    }

    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(Vec::new()),
            Err(e) => return Err(e),
        };
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                &format!("{LEDGER_COLUMNS} WHERE account_id = $1 ORDER BY id LIMIT $2"),
                vec![account_id.into(), i64::from(limit).into()],
            ))
            .await
            .map_err(db_error)?;
        rows.iter().map(ledger_entry).collect()
    }

    async fn totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError> {
        self.usage_totals().await
    }
}

impl Store {
    async fn read_counters(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(vec![0; counters.len()]),
            Err(e) => return Err(e),
        };
        let mut used = Vec::with_capacity(counters.len());
        for (metric, window) in counters {
            let key = vec![account_id.into(), metric.as_str().into(), window.as_str().into()];
            let row =
                self.connection().query_one_raw(self.statement(COUNTER_SQL, key)).await.map_err(db_error)?;
            used.push(match row {
                Some(row) => uint(row.try_get_by_index(0).map_err(db_error)?),
                None => 0,
            });
        }
        Ok(used)
    }

    async fn read_recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        let account_id = match self.account_id(account).await {
            Ok(id) => id,
            Err(StoreError::NotFound(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        let rows = self
            .connection()
            .query_all_raw(self.statement(
                &format!("{LEDGER_COLUMNS} WHERE account_id = $1 AND idempotency_key = $2"),
                vec![account_id.into(), key.as_str().into()],
            ))
            .await
            .map_err(db_error)?;
        Ok(rows.iter().map(ledger_entry).collect::<Result<Vec<_>, _>>()?.pop())
    }
}
