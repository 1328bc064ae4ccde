//! Fault injection between the server and PostgreSQL: a TCP proxy in the test that can cut every
//! connection, stall, or refuse new connections, and PostgreSQL terminating the server's
//! sessions. In every trial: a consume answered `allowed: true` is in the ledger, the counter
//! equals the ledger's sum, replays count once, nothing is allowed while the database is away
//! (503), never a 500, and service resumes by itself.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reqwest::Method;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tollgate_store::testing::TestDatabase;

use crate::helpers::{Backend, Options, TestApp, fresh_key, read};

/// The proxy's controls; the proxy itself runs on a runtime of its own thread, so a test
/// blocked on starting the server never stops it from forwarding.
struct Proxy {
    port: u16,
    refuse: Arc<AtomicBool>,
    stalled_until: Arc<AtomicU64>,
    cut: watch::Sender<u64>,
    epoch: Instant,
}

impl Proxy {
    fn start(upstream: &'static str) -> Proxy {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        listener.set_nonblocking(true).expect("non-blocking");
        let port = listener.local_addr().expect("address").port();
        let (cut, _) = watch::channel(0);
        let proxy = Proxy {
            port,
            refuse: Arc::new(AtomicBool::new(false)),
            stalled_until: Arc::new(AtomicU64::new(0)),
            cut,
            epoch: Instant::now(),
        };
        let (refuse, stalled, cuts, epoch) =
            (proxy.refuse.clone(), proxy.stalled_until.clone(), proxy.cut.subscribe(), proxy.epoch);
        std::thread::spawn(move || {
            let runtime =
                tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).expect("listener");
                while let Ok((client, _)) = listener.accept().await {
                    if refuse.load(Ordering::SeqCst) {
                        drop(client);
                        continue;
                    }
                    let (stalled, mut cuts) = (stalled.clone(), cuts.clone());
                    cuts.mark_unchanged();
                    tokio::spawn(async move {
                        let Ok(server) = TcpStream::connect(upstream).await else { return };
                        let (client_read, client_write) = client.into_split();
                        let (server_read, server_write) = server.into_split();
                        tokio::select! {
                            () = pump(client_read, server_write, stalled.clone(), epoch) => {}
                            () = pump(server_read, client_write, stalled, epoch) => {}
                            _ = cuts.changed() => {}
                        }
                    });
                }
            });
        });
        proxy
    }

    /// Closes every open connection at once.
    fn cut_all(&self) {
        self.cut.send_modify(|n| *n += 1);
    }

    /// Stops forwarding (both ways) for `duration`; connections stay open.
    fn stall(&self, duration: Duration) {
        let until = (self.epoch.elapsed() + duration).as_millis() as u64;
        self.stalled_until.store(until, Ordering::SeqCst);
    }

    /// Refuses (closes at once) every new connection while `on`.
    fn refuse(&self, on: bool) {
        self.refuse.store(on, Ordering::SeqCst);
    }
}

async fn pump(
    mut from: tokio::net::tcp::OwnedReadHalf,
    mut to: tokio::net::tcp::OwnedWriteHalf,
    stalled_until: Arc<AtomicU64>,
    epoch: Instant,
) {
    let mut buffer = vec![0u8; 16 * 1024];
    loop {
        let n = match from.read(&mut buffer).await {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        while (epoch.elapsed().as_millis() as u64) < stalled_until.load(Ordering::SeqCst) {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        if to.write_all(&buffer[..n]).await.is_err() {
            return;
        }
    }
}

/// What the clients were told.
#[derive(Default)]
struct Answers {
    /// Keys answered 200 `allowed: true`.
    allowed: Vec<String>,
    /// Keys answered 503 (or no answer at all): their retry must count once.
    failed: Vec<String>,
    /// Statuses seen.
    statuses: HashMap<u16, u32>,
}

async fn consume(app: &TestApp, key: &str) -> Option<(u16, serde_json::Value)> {
    let request = app
        .admin(Method::POST, "/v1/accounts/acme/consume")
        .header("Idempotency-Key", key)
        .json(&json!({"metric": "tickets", "quantity": 1}));
    match request.send().await {
        Ok(response) => Some(read(response).await),
        Err(_) => None,
    }
}

/// `count` consumes with fresh keys, `parallel` at a time, recorded in `answers`.
async fn load(app: &TestApp, count: usize, answers: &mut Answers) {
    let keys: Vec<String> = (0..count).map(|_| fresh_key()).collect();
    for chunk in keys.chunks(8) {
        let outcomes = futures_join(app, chunk).await;
        for (key, outcome) in chunk.iter().zip(outcomes) {
            match outcome {
                Some((200, decision)) => {
                    *answers.statuses.entry(200).or_default() += 1;
                    if decision["allowed"] == true {
                        answers.allowed.push(key.clone());
                    }
                }
                Some((status, body)) => {
                    *answers.statuses.entry(status).or_default() += 1;
                    assert_eq!(status, 503, "only 200 or 503: {body}");
                    assert_eq!(body["code"], "service_unavailable", "{body}");
                    answers.failed.push(key.clone());
                }
                None => answers.failed.push(key.clone()),
            }
        }
    }
}

async fn futures_join(app: &TestApp, keys: &[String]) -> Vec<Option<(u16, serde_json::Value)>> {
    let mut handles = Vec::new();
    for key in keys {
        let request = app
            .admin(Method::POST, "/v1/accounts/acme/consume")
            .header("Idempotency-Key", key.as_str())
            .json(&json!({"metric": "tickets", "quantity": 1}));
        handles.push(tokio::spawn(async move {
            match request.send().await {
                Ok(response) => Some(read(response).await),
                Err(_) => None,
            }
        }));
    }
    let mut outcomes = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.ok().flatten());
    }
    outcomes
}

/// Waits until a consume succeeds again (the server recovers by itself), at most 20 s.
async fn until_served(app: &TestApp) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some((200, _)) = consume(app, &fresh_key()).await {
            return;
        }
        assert!(Instant::now() < deadline, "the server did not recover by itself:\n{}", app.logs());
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The ledger and the counters agree, and every allowed key is in the ledger, applied.
async fn assert_exact(db: &DatabaseConnection, answers: &Answers) {
    let row = db
        .query_one_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT (SELECT COALESCE(SUM(used), 0) FROM usage_counters)::BIGINT, \
             (SELECT COALESCE(SUM(CASE WHEN kind = 'consume' THEN delta ELSE -delta END), 0) \
              FROM usage_ledger)::BIGINT",
        ))
        .await
        .expect("sums")
        .expect("a row");
    let (counters, ledger): (i64, i64) = (row.try_get_by_index(0).unwrap(), row.try_get_by_index(1).unwrap());
    assert_eq!(counters, ledger, "the counter equals the ledger's sum");
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT idempotency_key FROM usage_ledger WHERE applied AND idempotency_key IS NOT NULL",
        ))
        .await
        .expect("keys");
    let applied: std::collections::HashSet<String> =
        rows.iter().map(|r| r.try_get_by_index::<String>(0).unwrap()).collect();
    for key in &answers.allowed {
        assert!(applied.contains(key), "{key} was answered allowed but is not in the ledger");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_fails_closed_and_recovers_when_postgres_goes_away() {
    let Some(database) = TestDatabase::postgres().await else { return };
    let direct = Database::connect(database.url.as_str()).await.expect("connect");
    let proxy = Proxy::start("127.0.0.1:5432");
    let name = database.url.rsplit('/').next().unwrap_or_default().to_owned();
    let through_proxy = format!("postgres://postgres@127.0.0.1:{}/{name}", proxy.port);
    let options = Options {
        env: vec![
            ("TOLLGATE__DATABASE__URL".into(), through_proxy),
            ("TOLLGATE__DATABASE__TIMEOUT_MS".into(), "1000".into()),
            ("TOLLGATE__CACHE__TTL_MS".into(), "0".into()),
        ],
        ..Options::default()
    };
    let app = TestApp::spawn_with(Backend::Postgres, options).await.expect("PostgreSQL is configured");
    app.create_account("acme", "enterprise").await;
    let mut answers = Answers::default();
    load(&app, 16, &mut answers).await;

    // 1. Every connection cut in the middle of a batch.
    let mut cut = Answers::default();
    tokio::join!(load(&app, 24, &mut cut), async {
        tokio::time::sleep(Duration::from_millis(30)).await;
        proxy.cut_all();
    });
    answers.allowed.append(&mut cut.allowed);
    answers.failed.append(&mut cut.failed);
    until_served(&app).await;

    // 2. PostgreSQL terminates the server's sessions.
    direct
        .execute_unprepared(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}' \
             AND pid <> pg_backend_pid()"
        ))
        .await
        .expect("terminate");
    load(&app, 16, &mut answers).await;
    until_served(&app).await;

    // 3. The database is away: connections cut and new ones refused. Nothing is allowed.
    proxy.refuse(true);
    proxy.cut_all();
    let mut away = Answers::default();
    load(&app, 8, &mut away).await;
    assert!(away.allowed.is_empty(), "nothing is allowed while the database is away");
    assert_eq!(away.statuses.get(&503).copied().unwrap_or(0) as usize, away.failed.len());
    proxy.refuse(false);
    until_served(&app).await;

    // 4. A stall longer than the store's deadline (twice its 1 s timeout): the database answers
    // nothing, and no connection is reset. Consumes fail closed instead of hanging.
    proxy.stall(Duration::from_millis(3500));
    let mut stalled = Answers::default();
    load(&app, 8, &mut stalled).await;
    assert!(stalled.allowed.is_empty(), "nothing is allowed while the database does not answer");
    assert_eq!(stalled.statuses.get(&503).copied(), Some(8), "each answered 503: {:?}", stalled.statuses);
    answers.failed.append(&mut stalled.failed);
    until_served(&app).await;

    // Retries of everything that failed count once; replays of what was allowed count nothing.
    let failed: Vec<String> = answers.failed.iter().chain(&away.failed).cloned().collect();
    for key in &failed {
        let (status, decision) = consume(&app, key).await.expect("answered");
        assert_eq!(status, 200, "{decision}");
    }
    let (_, before) = app.get("/v1/accounts/acme/usage").await;
    for key in answers.allowed.iter().take(10).chain(failed.iter().take(10)) {
        let (status, decision) = consume(&app, key).await.expect("answered");
        assert_eq!(status, 200, "{decision}");
    }
    let (_, after) = app.get("/v1/accounts/acme/usage").await;
    assert_eq!(before, after, "replays count nothing");
    assert_exact(&direct, &answers).await;
    let _ = direct.close().await;
    drop(app);
    database.drop_database().await;
}
