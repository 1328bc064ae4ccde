//! Exactness against concurrent changes, across two server processes on one database: a
//! downgrade or a suspension made through one instance binds every consume sent through the other
//! once the change is answered, however warm the other's cache; racing subscription changes
//! are both kept, or one is refused with a 409, never silently lost.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, fresh_key, plans_file, read, unique_dir};

/// The repository's plans plus `roomy` (100 tickets a month) and `tight` (10), without trials.
fn plans_with_a_tight_plan() -> PathBuf {
    let dir = unique_dir();
    std::fs::create_dir_all(&dir).expect("create the plans directory");
    let mut plans = std::fs::read_to_string(plans_file()).expect("the plans file");
    for (code, tickets) in [("roomy", 100), ("tight", 10)] {
        plans.push_str(&format!(
            "\n[[plans]]\ncode = \"{code}\"\nname = \"{code}\"\ndescription = \"for exactness tests\"\n\
             price = {{ amount = \"0.00\", currency = \"USD\" }}\ninterval = \"month\"\n\
             features = {{ api_access = true }}\nlimits.tickets = {{ max = {tickets}, reset = \"month\" }}\n"
        ));
    }
    let file = dir.join("plans.toml");
    std::fs::write(&file, plans).expect("write the plans file");
    file
}

/// Two server processes on one fresh database (`None` when the backend is not configured).
async fn two_servers(backend: Backend) -> Option<(TestApp, TestApp, PathBuf)> {
    let plans = plans_with_a_tight_plan();
    let env = vec![("TOLLGATE__PLANS__FILE".to_owned(), plans.display().to_string())];
    let app = TestApp::spawn_with(backend, Options { env, ..Options::default() }).await?;
    let peer = app.spawn_peer();
    Some((app, peer, plans))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// `roomy` (100) to `tight` (10).
    Downgrade,
    /// An operator suspension.
    Suspend,
}

/// 20 workers send 10 consumes each, one after the other, mostly through the peer; once 40 are
/// answered, the first server makes `change`. Every consume sent after the change was answered
/// obeys it. Repeated 20 times, each on a fresh account.
async fn a_change_through_one_instance_binds_every_later_consume_through_the_other(
    app: &TestApp,
    peer: &TestApp,
    change: Change,
) {
    let client = reqwest::Client::new();
    let mut checked = 0;
    for repetition in 0..20 {
        let account = format!("exact-{repetition}");
        app.create_account(&account, "roomy").await;
        let changed = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicUsize::new(0));
        let mut workers = Vec::new();
        for w in 0..20 {
            let server = if w % 4 == 0 { app } else { peer };
            let target = Target { base: server.base.clone(), admin_key: server.admin_key.clone() };
            let (client, account, changed, answered) =
                (client.clone(), account.clone(), changed.clone(), answered.clone());
            workers.push(tokio::spawn(async move {
                let mut results = Vec::new();
                for _ in 0..10 {
                    let after = changed.load(Ordering::SeqCst);
                    let decision = target.consume(&client, &account).await;
                    answered.fetch_add(1, Ordering::SeqCst);
                    results.push((after, decision));
                }
                results
            }));
        }
        for _ in 0..10_000 {
            if answered.load(Ordering::SeqCst) >= 40 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        let (status, body) = match change {
            Change::Downgrade => {
                app.put_json(
                    &format!("/v1/accounts/{account}/subscription"),
                    json!({"plan": "tight", "at": "now"}),
                    None,
                )
                .await
            }
            Change::Suspend => {
                let path = format!("/v1/admin/accounts/{account}/suspend");
                read(app.admin(Method::POST, &path).send().await.expect("request")).await
            }
        };
        assert_eq!(status, 200, "{body}");
        changed.store(true, Ordering::SeqCst);
        for worker in workers {
            for (after, decision) in worker.await.expect("worker") {
                if !after {
                    continue;
                }
                checked += 1;
                match change {
                    Change::Downgrade if decision["allowed"] == true => {
                        assert_eq!(decision["limit"], 10, "repetition {repetition}: {decision}");
                        assert!(decision["used"].as_u64().is_some_and(|u| u <= 10), "{decision}");
                    }
                    Change::Downgrade => assert_eq!(decision["code"], "limit_reached", "{decision}"),
                    Change::Suspend => {
                        assert_eq!(
                            (decision["allowed"].as_bool(), decision["code"].as_str()),
                            (Some(false), Some("subscription_suspended")),
                            "repetition {repetition}: {decision}"
                        );
                    }
                }
            }
        }
    }
    assert!(checked > 0, "some consumes were sent after the change was answered");
}

/// A server's address and key, movable into a task.
struct Target {
    base: String,
    admin_key: String,
}

impl Target {
    async fn consume(&self, client: &reqwest::Client, account: &str) -> Value {
        let response = client
            .post(format!("{}/v1/accounts/{account}/consume", self.base))
            .bearer_auth(&self.admin_key)
            .header("Idempotency-Key", fresh_key())
            .json(&json!({"metric": "tickets", "quantity": 1}))
            .send()
            .await
            .expect("request");
        let (status, decision) = read(response).await;
        assert_eq!(status, 200, "{decision}");
        decision
    }
}

/// 50 pairs of a suspension (through one server) racing a seat change (through the other): each
/// answered change is in the final state, and a change not applied answered 409.
async fn a_suspension_racing_a_seat_change_loses_neither(app: &TestApp, peer: &TestApp) {
    app.create_account("racing", "roomy").await;
    for pair in 0..50_u64 {
        let seats = pair + 2;
        let suspend = async {
            read(app.admin(Method::POST, "/v1/admin/accounts/racing/suspend").send().await.expect("request"))
                .await
        };
        let resize = peer.put_json("/v1/accounts/racing/subscription", json!({"seats": seats}), None);
        let ((suspended, s_body), (resized, r_body)) = tokio::join!(suspend, resize);
        for (status, body) in [(suspended, &s_body), (resized, &r_body)] {
            assert!(status == 200 || status == 409, "pair {pair}: {status} {body}");
            if status == 409 {
                assert!(matches!(body["code"].as_str(), Some("invalid_transition" | "conflict")), "{body}");
            }
        }
        let (_, sub) = app.get("/v1/accounts/racing/subscription").await;
        if suspended == 200 {
            assert_eq!(sub["status"], "suspended", "pair {pair}: the suspension was lost: {sub} ({r_body})");
        }
        if resized == 200 {
            assert_eq!(sub["seats"], seats, "pair {pair}: the seat change was lost: {sub} ({s_body})");
        }
        if sub["status"] == "suspended" {
            let (status, body) = read(
                app.admin(Method::POST, "/v1/admin/accounts/racing/activate").send().await.expect("request"),
            )
            .await;
            assert_eq!(status, 200, "{body}");
        }
    }
}

macro_rules! on_both_backends {
    ($($name:ident: $backend:expr),* $(,)?) => {$(
        mod $name {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_downgrade_through_one_instance_binds_every_later_consume_through_the_other() {
                let Some((app, peer, plans)) = two_servers($backend).await else { return };
                super::a_change_through_one_instance_binds_every_later_consume_through_the_other(
                    &app, &peer, Change::Downgrade,
                )
                .await;
                let _ = std::fs::remove_dir_all(plans.parent().expect("the plans directory"));
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_suspension_through_one_instance_binds_every_later_consume_through_the_other() {
                let Some((app, peer, plans)) = two_servers($backend).await else { return };
                super::a_change_through_one_instance_binds_every_later_consume_through_the_other(
                    &app, &peer, Change::Suspend,
                )
                .await;
                let _ = std::fs::remove_dir_all(plans.parent().expect("the plans directory"));
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn a_suspension_racing_a_seat_change_loses_neither() {
                let Some((app, peer, plans)) = two_servers($backend).await else { return };
                super::a_suspension_racing_a_seat_change_loses_neither(&app, &peer).await;
                let _ = std::fs::remove_dir_all(plans.parent().expect("the plans directory"));
            }
        }
    )*};
}

on_both_backends!(sqlite: Backend::Sqlite, postgres: Backend::Postgres);
