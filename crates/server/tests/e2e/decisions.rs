//! The decision codes of the contract, as the real binary answers them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, read};

async fn check(app: &TestApp, account: &str, body: Value) -> Value {
    let (status, decision) = app.post(&format!("/v1/accounts/{account}/check"), body, None).await;
    assert_eq!(status, 200, "{decision}");
    decision
}

async fn admin_post(app: &TestApp, path: &str) -> (u16, Value) {
    read(app.admin(Method::POST, path).send().await.expect("request")).await
}

async fn every_decision_code_an_operator_can_cause_is_answered(app: &TestApp) {
    app.create_account("codes", "free").await;
    let tickets = json!({"metric": "tickets", "quantity": 1});
    let ok = app.consume("codes", "tickets", 1).await;
    assert_eq!((ok["allowed"].as_bool(), ok["code"].as_str()), (Some(true), Some("ok")), "{ok}");

    let feature = check(app, "codes", json!({"feature": "api_access"})).await;
    assert_eq!(feature["code"], "not_in_plan", "{feature}");
    assert_eq!(feature["upgrade"]["plan"], "pro", "{feature}");

    app.consume("codes", "sites", 1).await;
    let full = app.consume("codes", "sites", 1).await;
    assert_eq!((full["allowed"].as_bool(), full["code"].as_str()), (Some(false), Some("limit_reached")));

    app.create_account("big", "enterprise").await; // api_calls: soft limit of 1,000,000 a day
    let overage = app.consume("big", "api_calls", 1_000_001).await;
    assert_eq!((overage["allowed"].as_bool(), overage["code"].as_str()), (Some(true), Some("overage")));

    let (status, sub) = admin_post(app, "/v1/admin/accounts/codes/suspend").await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("suspended")), "{sub}");
    let suspended = check(app, "codes", tickets.clone()).await;
    assert_eq!(
        (suspended["allowed"].as_bool(), suspended["code"].as_str()),
        (Some(false), Some("subscription_suspended"))
    );
    let (status, _) = admin_post(app, "/v1/admin/accounts/codes/suspend").await;
    assert_eq!(status, 409, "suspending twice is an invalid transition");
    let (status, sub) = admin_post(app, "/v1/admin/accounts/codes/activate").await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("active")), "{sub}");
    assert_eq!(check(app, "codes", tickets.clone()).await["code"], "ok");

    let (status, _) =
        app.post("/v1/accounts/codes/subscription/cancel", json!({"at_period_end": false}), None).await;
    assert_eq!(status, 200);
    let cancelled = check(app, "codes", tickets).await;
    assert_eq!(
        (cancelled["allowed"].as_bool(), cancelled["code"].as_str()),
        (Some(false), Some("subscription_cancelled"))
    );
}

async fn admin_routes_need_the_operator(app: &TestApp) {
    app.create_account("guarded", "free").await;
    let (status, key) = app.post("/v1/api-keys", json!({"name": "svc", "role": "service"}), None).await;
    assert_eq!(status, 201, "{key}");
    let secret = key["secret"].as_str().expect("secret").to_owned();
    let response =
        app.with_key(&secret, Method::POST, "/v1/admin/accounts/guarded/suspend").send().await.unwrap();
    assert_eq!(response.status(), 403);
    let (status, problem) = admin_post(app, "/v1/admin/accounts/nobody/suspend").await;
    assert_eq!((status, problem["code"].as_str()), (404, Some("account_not_found")));
}

crate::on_every_backend!(
    every_decision_code_an_operator_can_cause_is_answered,
    admin_routes_need_the_operator
);
