//! The billing run on the real binary: `tollgate billing run --at` rehearses a month of dunning
//! against the server's database — an unpaid renewal, reminders mailed on days 3, 7 and 15 (once
//! each, also when a run is repeated), suspension on day 30 seen by the server's decisions, and
//! a payment that lifts it at once.

use std::process::Stdio;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::helpers::{Backend, Options, TestApp, command, read};
use crate::people::mails_to;

/// Runs `tollgate billing run --at` on the server's database and data directory; its report.
fn billing_run(app: &TestApp, at: time::OffsetDateTime) -> Value {
    let at = at.format(&Rfc3339).unwrap();
    let output = command(&app.database_url(), &app.data_dir)
        .args(["billing", "run", "--at", &at])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run the tollgate binary");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"))
}

async fn an_unpaid_account_is_chased_then_suspended_and_paying_restores_it(app: &mut TestApp) {
    app.create_account("dunned", "enterprise").await;
    let start = time::OffsetDateTime::now_utc();
    let run = billing_run(app, start);
    assert_eq!(run["invoices_issued"], 1, "{run}");
    assert_eq!(billing_run(app, start)["invoices_issued"], 0, "issued once");
    let (_, sub) = app.get("/v1/accounts/dunned/subscription").await;
    assert_eq!(sub["status"], "past_due", "no payment method: {sub}");

    for day in [1, 3, 4, 7, 7, 15, 29] {
        billing_run(app, start + time::Duration::days(day));
    }
    let days: Vec<Value> = mails_to(app, "ops@acme.test")
        .into_iter()
        .filter(|m| m["template"] == "payment_reminder")
        .map(|m| m["data"]["day"].clone())
        .collect();
    assert_eq!(days, [json!(3), json!(7), json!(15)], "each reminder once");

    let run = billing_run(app, start + time::Duration::days(30));
    assert_eq!(run["suspensions"], 1, "{run}");
    tokio::time::sleep(Duration::from_millis(1100)).await; // the server's state cache
    assert_eq!(app.consume("dunned", "tickets", 1).await["code"], "subscription_suspended");

    let (status, _) =
        app.put_json("/v1/accounts/dunned/payment-method", json!({"token": "pm_card_visa"}), None).await;
    assert_eq!(status, 200);
    let (_, invoices) = app.get("/v1/accounts/dunned/invoices").await;
    let number = invoices["data"][0]["number"].as_str().unwrap().to_owned();
    let pay = app.admin(Method::POST, &format!("/v1/accounts/dunned/invoices/{number}/pay"));
    let (status, paid) = read(pay.send().await.unwrap()).await;
    assert_eq!((status, paid["status"].as_str()), (200, Some("paid")), "{paid}");
    let (_, sub) = app.get("/v1/accounts/dunned/subscription").await;
    assert_eq!(sub["status"], "active", "paying lifts the suspension at once");
    assert_eq!(app.consume("dunned", "tickets", 1).await["code"], "ok");
}

crate::on_every_backend!(an_unpaid_account_is_chased_then_suspended_and_paying_restores_it);

/// Two servers on one database, each with its scheduler every second: the renewal of an account
/// is issued once, by one of them.
async fn schedulers_of_two_instances_issue_each_renewal_once(backend: Backend) {
    let options = Options {
        env: vec![("TOLLGATE__BILLING__RUN_INTERVAL_SECONDS".into(), "1".into())],
        ..Options::default()
    };
    let Some(app) = TestApp::spawn_with(backend, options).await else { return };
    let peer = app.spawn_peer();
    for key in ["scheduled-1", "scheduled-2", "scheduled-3"] {
        app.create_account(key, "enterprise").await;
    }
    let issued = |invoices: &Value| invoices["data"].as_array().map_or(0, Vec::len);
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if issued(&app.get("/v1/accounts/scheduled-3/invoices").await.1) > 0 {
            break;
        }
    }
    tokio::time::sleep(Duration::from_millis(2500)).await; // more runs of both schedulers
    for key in ["scheduled-1", "scheduled-2", "scheduled-3"] {
        let (_, invoices) = peer.get(&format!("/v1/accounts/{key}/invoices")).await;
        assert_eq!(issued(&invoices), 1, "{key}: issued once, by one of them: {invoices}");
    }
    let numbers: std::collections::BTreeSet<String> = {
        let mut all = std::collections::BTreeSet::new();
        for key in ["scheduled-1", "scheduled-2", "scheduled-3"] {
            let (_, invoices) = app.get(&format!("/v1/accounts/{key}/invoices")).await;
            all.insert(invoices["data"][0]["number"].as_str().unwrap_or_default().to_owned());
        }
        all
    };
    let year = time::OffsetDateTime::now_utc().year();
    let expected: std::collections::BTreeSet<String> = (1..=3).map(|n| format!("TG-{year}-{n:06}")).collect();
    assert_eq!(numbers, expected, "numbers gap-free across the two instances");
}

#[tokio::test]
async fn schedulers_issue_each_renewal_once_on_sqlite() {
    schedulers_of_two_instances_issue_each_renewal_once(Backend::Sqlite).await;
}

#[tokio::test]
async fn schedulers_issue_each_renewal_once_on_postgres() {
    schedulers_of_two_instances_issue_each_renewal_once(Backend::Postgres).await;
}
