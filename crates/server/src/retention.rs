//! The periodic retention task: idempotency keys replay for 24 hours (API.md), then the
//! ledger forgets them (its lines stay, for usage history) and the HTTP idempotency records
//! are deleted. Every instance runs it; the ports make that safe, so no instance is special.

use std::sync::Arc;
use std::time::Duration;

use tollgate_ports::{Clock, IDEMPOTENCY_RETENTION, IdempotencyStore, LedgerRetention};

use crate::settings::RetentionSettings;

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    /// Ledger keys forgotten.
    pub ledger_keys: u64,
    /// HTTP idempotency records deleted.
    pub http_records: u64,
}

/// Forgets everything past the retention at the clock's `now`, a bounded batch at a time, until
/// nothing is left. A failing batch ends the run (the next run starts over): the database may be
/// away, and the retention can wait for it.
pub async fn run_once(
    ledger: &dyn LedgerRetention,
    http: &dyn IdempotencyStore,
    clock: &dyn Clock,
    batch: u32,
) -> Purged {
    let now = clock.now();
    let mut purged = Purged::default();
    loop {
        match ledger.forget_idempotency_keys(now - IDEMPOTENCY_RETENTION, batch).await {
            Ok(done) => {
                purged.ledger_keys += done.forgotten;
                if !done.more {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "ledger idempotency keys not purged");
                break;
            }
        }
    }
    loop {
        match http.purge_expired(now, batch).await {
            Ok(deleted) => {
                purged.http_records += deleted;
                if deleted < u64::from(batch) {
                    break;
                }
            }
            Err(error) => {
                tracing::warn!(%error, "expired idempotency records not purged");
                break;
            }
        }
    }
    purged
}

/// Runs [`run_once`] at start and then every `settings.interval_seconds`, until aborted.
pub fn spawn(
    ledger: Arc<dyn LedgerRetention>,
    http: Arc<dyn IdempotencyStore>,
    clock: Arc<dyn Clock>,
    settings: &RetentionSettings,
) -> actix_web::rt::task::JoinHandle<()> {
    let period = Duration::from_secs(settings.interval_seconds.max(1));
    let batch = settings.batch.max(1);
    actix_web::rt::spawn(async move {
        let mut every = tokio::time::interval(period);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let purged = run_once(ledger.as_ref(), http.as_ref(), clock.as_ref(), batch).await;
            if purged != Purged::default() {
                tracing::info!(
                    ledger_keys = purged.ledger_keys,
                    http_records = purged.http_records,
                    "idempotency keys past the 24 h retention purged"
                );
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;
    use tollgate_domain::{AccountKey, IdempotencyKey, MetricName};
    use tollgate_memory::MemoryIdempotency;
    use tollgate_memory::{ManualClock, MemoryStore};
    use tollgate_ports::{Account, AccountRepository, UsageCommand, UsageRepository};

    use super::*;

    #[tokio::test]
    async fn a_run_forgets_old_ledger_keys_and_http_records_in_batches() {
        let t0 = datetime!(2026-11-23 10:00 UTC);
        let store = MemoryStore::new();
        let key = AccountKey::parse("acme").unwrap();
        let account = Account { key: key.clone(), name: "Acme".into(), email: None, created_at: t0 };
        store.create(&account, None).await.unwrap();
        for i in 0..5 {
            let command = UsageCommand {
                account: key.clone(),
                metric: MetricName::parse("tickets").unwrap(),
                window: tollgate_domain::WindowKey::never(),
                quantity: tollgate_domain::Quantity::new(1).unwrap(),
                cap: None,
                idempotency_key: Some(IdempotencyKey::parse(format!("k{i}")).unwrap()),
                state_version: None,
                at: t0,
            };
            store.consume(&command).await.unwrap();
        }
        let http = MemoryIdempotency::default();
        for i in 0..3 {
            let scope = format!("s{i}");
            http.begin(&scope, "k", "o", "f", t0, t0 + time::Duration::minutes(1)).await.unwrap();
            http.complete(&scope, "k", "o", 200, "{}", t0 + IDEMPOTENCY_RETENTION).await.unwrap();
        }

        let clock = ManualClock::new(t0 + time::Duration::hours(23));
        assert_eq!(run_once(&store, &http, &clock, 2).await, Purged::default(), "nothing is 24 h old yet");
        clock.set(t0 + time::Duration::hours(25));
        let purged = run_once(&store, &http, &clock, 2).await;
        assert_eq!(purged, Purged { ledger_keys: 5, http_records: 3 });
        assert_eq!(store.ledger(&key, 10).await.unwrap().len(), 5, "the lines stay");
    }
}
