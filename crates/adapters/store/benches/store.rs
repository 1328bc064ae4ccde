//! Store benchmark: consumes per second through the store (group commit, idempotency keys,
//! ledger) beside the raw conditional UPDATE through sqlx on the same database, in the same run,
//! at 1, 16 and 64 concurrent tasks, on SQLite and PostgreSQL. Prints figures; asserts nothing.
//!
//! `make bench` runs it; PostgreSQL is measured when `TOLLGATE_TEST_POSTGRES_URL` is set.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use sea_orm::sqlx;
use time::OffsetDateTime;
use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, Quantity, WindowKey};
use tollgate_ports::{Account, AccountRepository, UsageCommand, UsageRepository};
use tollgate_store::testing::TestDatabase;
use tollgate_store::{Store, StoreConfig};

const ROWS: u64 = 1000;
const SECONDS: u64 = 3;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).map(str::to_owned))
        .and_then(|l| l.split_whitespace().nth(1).and_then(|kb| kb.parse::<f64>().ok()))
        .map_or(0.0, |kb| kb / 1024.0)
}

/// Runs `tasks` loops of `op` for the measuring time; returns operations per second.
async fn measure<F, Fut>(tasks: usize, op: F) -> f64
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send,
{
    let op = Arc::new(op);
    let count = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(SECONDS);
    let started = Instant::now();
    let handles: Vec<_> = (0..tasks)
        .map(|t| {
            let (op, count) = (op.clone(), count.clone());
            tokio::spawn(async move {
                let mut i = t as u64 * 7919;
                while Instant::now() < deadline {
                    op(i).await;
                    i += 1;
                    count.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for h in handles {
        h.await.expect("task");
    }
    count.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
}

/// The baseline: a plain sqlx pool with the same SQLite settings as the store.
#[derive(Clone)]
enum Raw {
    Sqlite(sqlx::SqlitePool),
    Postgres(sqlx::PgPool),
}

impl Raw {
    async fn connect(url: &str) -> Self {
        if url.starts_with("sqlite:") {
            let options = url
                .parse::<sqlx::sqlite::SqliteConnectOptions>()
                .expect("sqlite url")
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
                .synchronous(sqlx::sqlite::SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(5));
            let pool = sqlx::pool::PoolOptions::new().max_connections(4).test_before_acquire(false);
            Raw::Sqlite(pool.connect_with(options).await.expect("raw pool"))
        } else {
            let pool = sqlx::pool::PoolOptions::new().max_connections(16).test_before_acquire(false);
            Raw::Postgres(pool.connect(url).await.expect("raw pool"))
        }
    }

    async fn execute(&self, sql: &str) {
        match self {
            Raw::Sqlite(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(p).await.map(drop),
            Raw::Postgres(p) => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned())).execute(p).await.map(drop),
        }
        .expect("raw statement");
    }

    /// The conditional statement of ../shared/PERFORMANCE.md, one per transaction.
    async fn consume(&self, id: i64) {
        match self {
            Raw::Sqlite(p) => sqlx::query(
                "UPDATE bench_counters SET used = used + 1 WHERE id = ?1 AND used + 1 <= lim RETURNING used",
            )
            .bind(id)
            .fetch_optional(p)
            .await
            .map(drop),
            Raw::Postgres(p) => sqlx::query(
                "UPDATE bench_counters SET used = used + 1 WHERE id = $1 AND used + 1 <= lim RETURNING used",
            )
            .bind(id)
            .fetch_optional(p)
            .await
            .map(drop),
        }
        .expect("raw update");
    }

    async fn close(&self) {
        match self {
            Raw::Sqlite(p) => p.close().await,
            Raw::Postgres(p) => p.close().await,
        }
    }
}

async fn bench_backend(name: &str, database: TestDatabase) {
    let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
    store.migrate().await.expect("migrate");
    let now = OffsetDateTime::now_utc();
    for i in 0..ROWS {
        let account = Account {
            key: AccountKey::parse(format!("acct{i}")).unwrap(),
            name: "A".into(),
            email: None,
            created_at: now,
        };
        store.create(&account, None).await.expect("account");
    }
    let raw = Raw::connect(&database.url).await;
    raw.execute(
        "CREATE TABLE bench_counters (id BIGINT PRIMARY KEY, used BIGINT NOT NULL, lim BIGINT NOT NULL)",
    )
    .await;
    let rows: Vec<String> = (0..ROWS).map(|id| format!("({id}, 0, {})", i64::MAX / 2)).collect();
    raw.execute(&format!("INSERT INTO bench_counters (id, used, lim) VALUES {}", rows.join(", "))).await;
    let metric = MetricName::parse("api_calls").unwrap();
    let run = AtomicU64::new(0);
    println!("\n{name}: consumes/s over {ROWS} rows, {SECONDS} s each");
    println!("{:>6} {:>12} {:>12} {:>7}", "tasks", "raw sql", "store", "ratio");
    for tasks in [1, 16, 64] {
        let pool = raw.clone();
        let raw_rate = measure(tasks, move |i| {
            let pool = pool.clone();
            async move { pool.consume((i % ROWS) as i64).await }
        })
        .await;
        let (s, m) = (store.clone(), metric.clone());
        let round = run.fetch_add(1, Ordering::Relaxed);
        let store_rate = measure(tasks, move |i| {
            let (s, m) = (s.clone(), m.clone());
            async move {
                let command = UsageCommand {
                    account: AccountKey::parse(format!("acct{}", i % ROWS)).unwrap(),
                    metric: m,
                    window: WindowKey::day(now.date()),
                    quantity: Quantity::new(1).unwrap(),
                    cap: Some(i64::MAX as u64 / 2),
                    idempotency_key: Some(IdempotencyKey::parse(format!("r{round}-{i}")).unwrap()),
                    // As the app sends it: checked against the account's state in the statement.
                    state_version: Some(0),
                    at: now,
                };
                let outcome = s.consume(&command).await.expect("consume");
                assert!(outcome.applied);
            }
        })
        .await;
        println!("{tasks:>6} {raw_rate:>12.0} {store_rate:>12.0} {:>6.2}x", store_rate / raw_rate);
    }
    raw.close().await;
    store.close().await;
    database.drop_database().await;
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    if std::env::var_os("BENCH_ONLY_PG").is_none() {
        bench_backend("SQLite (WAL, synchronous=NORMAL)", TestDatabase::sqlite()).await;
    }
    match TestDatabase::postgres().await {
        Some(database) => bench_backend("PostgreSQL", database).await,
        None => println!("\nPostgreSQL: skipped (set TOLLGATE_TEST_POSTGRES_URL)"),
    }
    println!("\npeak RSS of the benchmark process: {:.1} MB", peak_rss_mb());
}
