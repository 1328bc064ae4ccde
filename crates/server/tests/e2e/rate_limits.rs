//! Rate limits: a plan's `rate_limit` binds its account's users, `server.rate_limit_per_minute`
//! each platform key; past either, 429 `rate_limited` with `Retry-After`, and every answer to a
//! limited caller carries `RateLimit-Limit`, `RateLimit-Remaining` and `RateLimit-Reset`. The
//! count is per instance (the README's "Rate limits" says so): a second instance has its own.

use std::path::PathBuf;
use std::time::Duration;

use reqwest::{Method, Response};
use serde_json::json;

use crate::helpers::{Backend, Options, TestApp, assert_problem, plans_file, read, unique_dir};

/// The repository's plans plus `metered`: free, and 60 requests a minute with a burst of 2
/// (one request back every second).
fn plans_with_a_metered_plan() -> PathBuf {
    let dir = unique_dir();
    std::fs::create_dir_all(&dir).expect("create the plans directory");
    let mut plans = std::fs::read_to_string(plans_file()).expect("the plans file");
    plans.push_str(
        "\n[[plans]]\ncode = \"metered\"\nname = \"Metered\"\ndescription = \"for rate limit tests\"\n\
         price = { amount = \"0.00\", currency = \"USD\" }\ninterval = \"month\"\n\
         features = { api_access = true }\nlimits.tickets = { max = 1000, reset = \"month\" }\n\
         rate_limit = { per_minute = 60, burst = 2 }\n",
    );
    let file = dir.join("plans.toml");
    std::fs::write(&file, plans).expect("write the plans file");
    file
}

async fn spawn(backend: Backend, plans: &std::path::Path, platform_per_minute: u32) -> Option<TestApp> {
    let env = vec![
        ("TOLLGATE__PLANS__FILE".to_owned(), plans.display().to_string()),
        ("TOLLGATE__SERVER__RATE_LIMIT_PER_MINUTE".to_owned(), platform_per_minute.to_string()),
    ];
    TestApp::spawn_with(backend, Options { env, ..Options::default() }).await
}

fn header(response: &Response, name: &str) -> Option<String> {
    response.headers().get(name).map(|v| v.to_str().unwrap_or("").to_owned())
}

/// `RateLimit-Limit`, `RateLimit-Remaining`, `RateLimit-Reset` as numbers.
fn rate_headers(response: &Response) -> Option<(u64, u64, u64)> {
    let number = |name| header(response, name).and_then(|v| v.parse().ok());
    Some((number("ratelimit-limit")?, number("ratelimit-remaining")?, number("ratelimit-reset")?))
}

/// Sends `request()` until it is refused (at most `tries` times); every answer before is a 200
/// carrying the headers. The refusal, and how many went through.
async fn until_refused(
    tries: usize,
    mut request: impl FnMut() -> reqwest::RequestBuilder,
) -> (Response, usize) {
    for sent in 0..tries {
        let response = request().send().await.expect("request");
        if response.status() == 429 {
            return (response, sent);
        }
        assert_eq!(response.status(), 200);
        assert!(rate_headers(&response).is_some(), "a success carries the headers");
    }
    panic!("no 429 after {tries} requests");
}

/// The refusal's headers: `Retry-After` (at least 1 s, at most one request's interval), nothing
/// remaining, the limit, and a reset within the burst's refill time.
async fn assert_refused(response: Response, limit: u64, interval: u64, refill: u64) -> u64 {
    let retry_after: u64 =
        header(&response, "retry-after").and_then(|v| v.parse().ok()).expect("Retry-After");
    assert!((1..=interval).contains(&retry_after), "Retry-After {retry_after}");
    let (limit_header, remaining, reset) = rate_headers(&response).expect("the headers on a 429");
    assert_eq!((limit_header, remaining), (limit, 0));
    assert!((retry_after..=refill).contains(&reset), "RateLimit-Reset {reset}");
    assert_problem(response, 429, "rate_limited").await;
    retry_after
}

async fn a_plan_rate_limit_binds_the_account_users(app: &TestApp) {
    let body = json!({"email": "ada@metered.test", "password": "correct horse battery", "name": "Ada",
                      "account": {"key": "metered-co", "name": "Metered Co"}});
    let (status, registered) =
        read(app.anonymous(Method::POST, "/v1/auth/register").json(&body).send().await.unwrap()).await;
    assert_eq!(status, 201, "{registered}");
    let (status, changed) = app
        .put_json("/v1/accounts/metered-co/subscription", json!({"plan": "metered", "at": "now"}), None)
        .await;
    assert_eq!(status, 200, "{changed}");
    let login = json!({"email": "ada@metered.test", "password": "correct horse battery"});
    let (status, tokens) =
        read(app.anonymous(Method::POST, "/v1/auth/login").json(&login).send().await.unwrap()).await;
    assert_eq!(status, 200, "{tokens}");
    let token = tokens["access_token"].as_str().expect("access token").to_owned();
    let account = || app.with_key(&token, Method::GET, "/v1/accounts/metered-co");

    let first = account().send().await.unwrap();
    assert_eq!(first.status(), 200);
    assert_eq!(rate_headers(&first), Some((60, 1, 1)), "60 a minute, 1 more now, all back in 1 s");
    let (refused, _) = until_refused(10, account).await;
    let retry_after = assert_refused(refused, 60, 1, 2).await;

    // Another account's user is refused before counting (404), so cannot spend this budget;
    // routes of no account, and the operator's key on the account, spend nothing of it either.
    let body = json!({"email": "eve@other.test", "password": "correct horse battery", "name": "Eve",
                      "account": {"key": "other-co", "name": "Other Co"}});
    let (status, _) =
        read(app.anonymous(Method::POST, "/v1/auth/register").json(&body).send().await.unwrap()).await;
    assert_eq!(status, 201);
    let login = json!({"email": "eve@other.test", "password": "correct horse battery"});
    let (_, eve) =
        read(app.anonymous(Method::POST, "/v1/auth/login").json(&login).send().await.unwrap()).await;
    let eve = app.with_key(
        eve["access_token"].as_str().expect("access token"),
        Method::GET,
        "/v1/accounts/metered-co",
    );
    let response = eve.send().await.unwrap();
    assert_eq!(rate_headers(&response), None);
    assert_problem(response, 404, "account_not_found").await;
    let me = app.with_key(&token, Method::GET, "/v1/me").send().await.unwrap();
    assert_eq!((me.status().as_u16(), rate_headers(&me)), (200, None));
    let operator = app.admin(Method::GET, "/v1/accounts/metered-co").send().await.unwrap();
    assert_eq!((operator.status().as_u16(), rate_headers(&operator)), (200, None));

    tokio::time::sleep(Duration::from_secs(retry_after)).await;
    let again = account().send().await.unwrap();
    assert_eq!(again.status(), 200, "let through once Retry-After has passed");
    assert_eq!(rate_headers(&again).map(|(limit, ..)| limit), Some(60));
}

async fn platform_keys_are_limited_by_the_setting_on_each_instance(app: &TestApp) {
    // 30 a minute: one request every 2 s, a burst of 3; the operator's key spends two here.
    app.create_account("acme", "free").await;
    let (status, created) = app.post("/v1/api-keys", json!({"name": "svc", "role": "service"}), None).await;
    assert_eq!(status, 201, "{created}");
    let service = created["secret"].as_str().expect("secret").to_owned();
    let account = |key: &str| app.with_key(key, Method::GET, "/v1/accounts/acme");

    let (refused, sent) = until_refused(10, || account(&app.admin_key)).await;
    assert!(sent <= 2, "no more than the burst went through ({sent} more)");
    assert_refused(refused, 30, 2, 6).await;

    let other = account(&service).send().await.unwrap();
    assert_eq!(other.status(), 200);
    assert_eq!(rate_headers(&other), Some((30, 2, 2)), "each key has its own budget");
    let public = app.anonymous(Method::GET, "/v1/plans").send().await.unwrap();
    assert_eq!((public.status().as_u16(), rate_headers(&public)), (200, None), "no caller, no limit");

    // Per instance: another server on the same database has a budget of its own.
    let peer = app.spawn_peer();
    let response = peer.admin(Method::GET, "/v1/accounts/acme").send().await.unwrap();
    assert_eq!((response.status().as_u16(), rate_headers(&response)), (200, Some((30, 2, 2))));
}

macro_rules! on {
    ($($backend:ident => $module:ident),*) => {$(
        mod $module {
            use super::*;

            #[tokio::test]
            async fn a_plan_rate_limit_binds_the_account_users() {
                let plans = plans_with_a_metered_plan();
                if let Some(app) = spawn(Backend::$backend, &plans, 0).await {
                    super::a_plan_rate_limit_binds_the_account_users(&app).await;
                }
                let _ = std::fs::remove_dir_all(plans.parent().expect("the plans directory"));
            }

            #[tokio::test]
            async fn platform_keys_are_limited_by_the_setting_on_each_instance() {
                let plans = plans_with_a_metered_plan();
                if let Some(app) = spawn(Backend::$backend, &plans, 30).await {
                    super::platform_keys_are_limited_by_the_setting_on_each_instance(&app).await;
                }
                let _ = std::fs::remove_dir_all(plans.parent().expect("the plans directory"));
            }
        }
    )*};
}

on!(Sqlite => sqlite, Postgres => postgres);
