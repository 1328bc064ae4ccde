//! Races the store must survive: an idempotency key committed by another instance while a
//! PostgreSQL consume statement runs, and two processes writing one SQLite file at once.

use std::time::Duration;

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, TransactionTrait};
use time::macros::datetime;
use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, Quantity, WindowKey};
use tollgate_ports::{Account, AccountRepository, UsageCommand, UsageKind, UsageRepository};
use tollgate_store::testing::TestDatabase;
use tollgate_store::{Store, StoreConfig};

fn command(key: Option<&str>, metric: &str, window: &str, cap: Option<u64>) -> UsageCommand {
    UsageCommand {
        account: AccountKey::parse("acme").unwrap(),
        metric: MetricName::parse(metric).unwrap(),
        window: WindowKey::parse(window).unwrap(),
        quantity: Quantity::new(1).unwrap(),
        cap,
        idempotency_key: key.map(|k| IdempotencyKey::parse(k).unwrap()),
        state_version: None,
        at: datetime!(2026-01-01 0:00 UTC),
    }
}

async fn store_with_account(url: &str, timeout: Duration) -> Store {
    let mut config = StoreConfig::new(url.to_owned());
    config.timeout = timeout;
    let store = Store::connect(&config).await.expect("connect");
    store.migrate().await.expect("migrate");
    let account = Account {
        key: AccountKey::parse("acme").unwrap(),
        name: "Acme".into(),
        email: None,
        created_at: datetime!(2026-01-01 0:00 UTC),
    };
    match store.create(&account, None).await {
        Ok(()) | Err(tollgate_ports::StoreError::Conflict(_)) => {}
        Err(error) => panic!("create: {error}"),
    }
    store
}

fn ledger_sum(ledger: &[tollgate_ports::LedgerEntry]) -> i128 {
    ledger
        .iter()
        .map(|e| match e.kind {
            UsageKind::Consume => i128::from(e.outcome.delta),
            UsageKind::Release => -i128::from(e.outcome.delta),
        })
        .sum()
}

/// Backends of this database waiting on a lock.
async fn lock_waiters(admin: &DatabaseConnection) -> i64 {
    let row = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        ))
        .await
        .expect("pg_stat_activity")
        .expect("a row");
    row.try_get_by_index(0).expect("count")
}

/// Polls `done` (bounded: a broken setup fails instead of hanging; nothing is timed).
async fn until(mut done: impl AsyncFnMut() -> bool) {
    for _ in 0..3000 {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the expected lock wait never happened");
}

/// The fast path commits a batch in one statement. Here the key of its consume is committed by
/// another transaction (T1, as another instance would) while the statement waits on it, and a
/// third (T2) then holds the counter row: the statement must not commit a count of the key it
/// cannot record (the key counted twice), to be given back by a later transaction that T2 can
/// hold off. The consume is answered with the first outcome (T1's), not an error, the counter
/// equals its ledger afterwards, and its retry replays the first outcome too.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_key_committed_by_another_instance_mid_statement_is_never_counted_twice() {
    let Some(database) = TestDatabase::postgres().await else { return };
    let store = store_with_account(&database.url, Duration::from_secs(3)).await;
    let warm = command(Some("warm"), "tickets", "m:2026-01", Some(10));
    assert!(store.consume(&warm).await.expect("consume").applied, "the counter row exists");
    let admin = Database::connect(database.url.as_str()).await.expect("connect");
    let id: i64 = admin
        .query_one_raw(sea_orm::Statement::from_string(
            sea_orm::DbBackend::Postgres,
            "SELECT id FROM accounts WHERE key = 'acme'",
        ))
        .await
        .expect("id")
        .expect("row")
        .try_get_by_index(0)
        .expect("id");

    // T1: another instance's consume of the same key, refused there, not committed yet.
    let t1 = admin.begin().await.expect("begin");
    t1.execute_unprepared(&format!(
        "INSERT INTO usage_ledger (account_id, metric, period, kind, quantity, delta, applied, used_after, \
         idempotency_key, created_at) VALUES ({id}, 'tickets', 'm:2026-01', 'consume', 1, 0, false, 1, 'raced', 0)"
    ))
    .await
    .expect("ledger line");
    let consuming = {
        let store = store.clone();
        tokio::spawn(
            async move { store.consume(&command(Some("raced"), "tickets", "m:2026-01", Some(10))).await },
        )
    };
    until(async || lock_waiters(&admin).await >= 1).await;
    // T2: waits for the counter row the statement holds, and then holds it.
    let t2 = admin.begin().await.expect("begin");
    let holding = tokio::spawn(async move {
        t2.execute_unprepared(&format!("SELECT used FROM usage_counters WHERE account_id = {id} FOR UPDATE"))
            .await
            .expect("lock");
        t2
    });
    until(async || holding.is_finished() || lock_waiters(&admin).await >= 2).await;
    t1.commit().await.expect("commit");

    let answered = consuming.await.expect("task");
    holding.await.expect("task").rollback().await.expect("rollback");
    let first = answered.clone().expect("a raced consume is answered, not failed");
    assert!(first.replayed && !first.applied, "T1's outcome: {first:?}");
    let account = AccountKey::parse("acme").unwrap();
    let counter = store
        .current(&account, &[(MetricName::parse("tickets").unwrap(), WindowKey::parse("m:2026-01").unwrap())])
        .await
        .expect("current")[0];
    let ledger = store.ledger(&account, 100).await.expect("ledger");
    assert_eq!(
        i128::from(counter),
        ledger_sum(&ledger),
        "counter {counter} against {ledger:?} (answered {answered:?})"
    );
    assert_eq!(
        ledger.iter().filter(|e| e.idempotency_key.as_ref().is_some_and(|k| k.as_str() == "raced")).count(),
        1
    );
    let retry =
        store.consume(&command(Some("raced"), "tickets", "m:2026-01", Some(10))).await.expect("retry");
    assert!(retry.replayed && !retry.applied, "the first outcome (T1's refusal) is replayed: {retry:?}");
    let _ = admin.close().await;
    store.close().await;
    database.drop_database().await;
}

/// Two processes (two stores) on one SQLite file, each sending consumes and releases at once, so
/// that their batches mix both: every command is answered, none with "unavailable" (a deferred
/// transaction that read before another process committed could not write), and the counter
/// equals the ledger.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mixed_batches_of_two_processes_on_one_sqlite_file_are_never_busy() {
    let database = TestDatabase::sqlite();
    let first = store_with_account(&database.url, Duration::from_secs(5)).await;
    let second = store_with_account(&database.url, Duration::from_secs(5)).await;
    let mut tasks = Vec::new();
    for t in 0..16 {
        let store = if t % 2 == 0 { first.clone() } else { second.clone() };
        tasks.push(tokio::spawn(async move {
            let mut failures = Vec::new();
            for i in 0..40 {
                let consume = command(Some(&format!("c{t}-{i}")), "sites", "never", None);
                if let Err(error) = store.consume(&consume).await {
                    failures.push(error);
                }
                let release = command(Some(&format!("r{t}-{i}")), "sites", "never", None);
                if let Err(error) = store.release(&release).await {
                    failures.push(error);
                }
            }
            failures
        }));
    }
    let mut failures = Vec::new();
    for task in tasks {
        failures.extend(task.await.expect("task"));
    }
    assert!(failures.is_empty(), "{} commands failed, first: {:?}", failures.len(), failures.first());
    let account = AccountKey::parse("acme").unwrap();
    let counter = first
        .current(&account, &[(MetricName::parse("sites").unwrap(), WindowKey::never())])
        .await
        .expect("current")[0];
    let ledger = first.ledger(&account, 10_000).await.expect("ledger");
    assert_eq!(i128::from(counter), ledger_sum(&ledger));
    first.close().await;
    second.close().await;
    database.drop_database().await;
}
