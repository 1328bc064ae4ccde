//! The retention of the ledger's idempotency keys: old lines keep their history and lose their
//! key, so the unique `(account, key)` index does not grow forever and old keys can be reused.
//!
//! Lines are walked in id order (the primary key, so every batch is a short range scan), from
//! where this process's last batch stopped up to the first line recorded at or after the
//! cut-off. No index on the time is needed, so a consume pays nothing for the retention. Ids
//! follow insertion, so a line older than the cut-off that comes after a younger one (clocks of
//! several instances a little apart) keeps its key until the younger one is old too: keys live
//! a little longer than the retention, never shorter. Each process keeps its own position (from
//! the start after a restart: one walk over the history, a batch at a time); several processes
//! walking at once clear each key once, since the update only touches keys still set.

use std::sync::atomic::Ordering;

use async_trait::async_trait;
use sea_orm::ConnectionTrait;
use time::OffsetDateTime;
use tollgate_ports::{LedgerRetention, RetentionBatch, StoreError};

use crate::Store;
use crate::convert::{db_error, micros};

const WALK_SQL: &str = "SELECT id, created_at FROM usage_ledger WHERE id > $1 ORDER BY id LIMIT $2";
const FORGET_SQL: &str = "UPDATE usage_ledger SET idempotency_key = NULL \
     WHERE id > $1 AND id <= $2 AND idempotency_key IS NOT NULL";

#[async_trait]
impl LedgerRetention for Store {
    async fn forget_idempotency_keys(
        &self,
        before: OffsetDateTime,
        limit: u32,
    ) -> Result<RetentionBatch, StoreError> {
        let db = self.connection();
        let from = self.inner.retention_position.load(Ordering::Relaxed);
        let rows = db
            .query_all_raw(self.statement(WALK_SQL, vec![from.into(), i64::from(limit).into()]))
            .await
            .map_err(db_error)?;
        let cutoff = micros(before);
        let mut last = None;
        let mut old = 0usize;
        for row in &rows {
            let id: i64 = row.try_get_by_index(0).map_err(db_error)?;
            let at: i64 = row.try_get_by_index(1).map_err(db_error)?;
            if at >= cutoff {
                break;
            }
            last = Some(id);
            old += 1;
        }
        let Some(to) = last else {
            return Ok(RetentionBatch { forgotten: 0, more: false });
        };
        let forgotten = db
            .execute_raw(self.statement(FORGET_SQL, vec![from.into(), to.into()]))
            .await
            .map_err(db_error)?
            .rows_affected();
        self.inner.retention_position.fetch_max(to, Ordering::Relaxed);
        // Every line walked was old and the walk was full: lines after it may be old too.
        let more = old == rows.len() && rows.len() == limit as usize;
        Ok(RetentionBatch { forgotten, more })
    }
}
