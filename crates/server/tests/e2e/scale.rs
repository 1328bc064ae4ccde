//! Exactness across processes: two instances sharing one database, and a server killed with
//! SIGKILL in the middle of a stream of consumes.

use std::collections::HashSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use serde_json::{Value, json};
use tollgate_domain::AccountKey;
use tollgate_ports::{UsageKind, UsageRepository};
use tollgate_store::{Store, StoreConfig};

use crate::helpers::{Backend, TestApp, fresh_key};

async fn consume(
    client: &reqwest::Client,
    base: &str,
    admin_key: &str,
    account: &str,
    key: &str,
) -> Result<Value, String> {
    let response = client
        .post(format!("{base}/v1/accounts/{account}/consume"))
        .bearer_auth(admin_key)
        .header("Idempotency-Key", key)
        .json(&json!({"metric": "tickets", "quantity": 1}))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != 200 {
        return Err(format!("status {}", response.status()));
    }
    response.json().await.map_err(|e| e.to_string())
}

/// 200 concurrent consumes of 1, spread over two server processes, against a limit of 100.
async fn two_instances_share_one_limit_exactly(app: &TestApp) {
    let peer = app.spawn_peer();
    app.create_account("shared", "free").await; // tickets: 100 a month
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for i in 0..200 {
        let base = if i % 2 == 0 { app.base.clone() } else { peer.base.clone() };
        let (client, admin_key, key) =
            (client.clone(), app.admin_key.clone(), format!("scale-{i}-{}", fresh_key()));
        tasks.push(tokio::spawn(async move { consume(&client, &base, &admin_key, "shared", &key).await }));
    }
    let mut allowed = 0;
    for task in tasks {
        let decision = task.await.expect("task").expect("every consume is answered");
        if decision["allowed"] == true {
            allowed += 1;
        } else {
            assert_eq!(decision["code"], "limit_reached", "{decision}");
        }
    }
    assert_eq!(allowed, 100, "exactly the limit is allowed across both instances");
    for server in [app, &peer] {
        let (_, usage) = server.get("/v1/accounts/shared/usage").await;
        assert_eq!(usage["metrics"]["tickets"]["current"], 100, "{usage}");
    }
}

/// A client consumes in a loop while the server is killed with SIGKILL and restarted: every
/// consume answered `allowed: true` is in the ledger, the counter equals the ledger, and replaying
/// every key (answered or lost in flight) counts nothing twice.
async fn a_killed_server_loses_no_answered_consume(mut app: TestApp) {
    app.create_account("crash", "enterprise").await; // tickets: unlimited
    let client = reqwest::Client::builder().timeout(Duration::from_secs(5)).build().expect("client");
    let stop = Arc::new(AtomicBool::new(false));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (client, base, admin_key, stop) =
            (client.clone(), app.base.clone(), app.admin_key.clone(), stop.clone());
        tasks.push(tokio::spawn(async move {
            let (mut answered, mut lost) = (Vec::new(), Vec::new());
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let key = format!("crash-{t}-{n}");
                match consume(&client, &base, &admin_key, "crash", &key).await {
                    Ok(decision) => {
                        assert_eq!(decision["allowed"], true, "{decision}");
                        answered.push(key);
                    }
                    Err(_) => {
                        lost.push(key);
                        break;
                    }
                }
            }
            (answered, lost)
        }));
    }
    tokio::time::sleep(Duration::from_millis(600)).await;
    app.kill_hard();
    stop.store(true, Ordering::Relaxed);
    let (mut answered, mut lost) = (Vec::new(), Vec::new());
    for task in tasks {
        let (a, l) = task.await.expect("task");
        answered.extend(a);
        lost.extend(l);
    }
    assert!(answered.len() > 10, "the client consumed before the kill ({} answered)", answered.len());
    app.restart();

    let store = Store::connect(&StoreConfig::new(app.database_url())).await.expect("connect");
    let account = AccountKey::parse("crash").unwrap();
    let ledger_sum = |ledger: &[tollgate_ports::LedgerEntry]| -> i64 {
        ledger
            .iter()
            .map(|e| match e.kind {
                UsageKind::Consume => e.outcome.delta as i64,
                UsageKind::Release => -(e.outcome.delta as i64),
            })
            .sum()
    };
    let ledger = store.ledger(&account, 1_000_000).await.expect("ledger");
    let recorded: HashSet<String> =
        ledger.iter().filter_map(|e| e.idempotency_key.as_ref().map(|k| k.to_string())).collect();
    for key in &answered {
        assert!(recorded.contains(key), "answered consume {key} is in the ledger");
    }
    let (_, usage) = app.get("/v1/accounts/crash/usage").await;
    assert_eq!(usage["metrics"]["tickets"]["current"].as_i64(), Some(ledger_sum(&ledger)), "{usage}");

    // Retrying every key: the answered ones and the ones lost in flight are each counted once.
    for key in answered.iter().chain(&lost) {
        let decision = consume(&client, &app.base, &app.admin_key, "crash", key).await.expect("replay");
        assert_eq!(decision["allowed"], true, "{decision}");
    }
    let ledger = store.ledger(&account, 1_000_000).await.expect("ledger");
    let keys: Vec<_> = ledger.iter().filter_map(|e| e.idempotency_key.clone()).collect();
    assert_eq!(keys.len(), keys.iter().collect::<HashSet<_>>().len(), "no key twice in the ledger");
    assert_eq!(ledger_sum(&ledger) as usize, answered.len() + lost.len(), "every key counted exactly once");
    let (_, usage) = app.get("/v1/accounts/crash/usage").await;
    assert_eq!(usage["metrics"]["tickets"]["current"].as_i64(), Some(ledger_sum(&ledger)), "{usage}");
    store.close().await;
}

mod sqlite {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_share_one_limit_exactly() {
        let app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite");
        super::two_instances_share_one_limit_exactly(&app).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_killed_server_loses_no_answered_consume() {
        super::a_killed_server_loses_no_answered_consume(
            TestApp::spawn(Backend::Sqlite).await.expect("SQLite"),
        )
        .await;
    }
}

mod postgres {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_instances_share_one_limit_exactly() {
        if let Some(app) = TestApp::spawn(Backend::Postgres).await {
            super::two_instances_share_one_limit_exactly(&app).await;
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_killed_server_loses_no_answered_consume() {
        if let Some(app) = TestApp::spawn(Backend::Postgres).await {
            super::a_killed_server_loses_no_answered_consume(app).await;
        }
    }
}
