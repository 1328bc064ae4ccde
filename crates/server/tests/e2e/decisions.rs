//! The decision codes of the contract, as the real binary answers them.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, read};

/// Seconds in a day, for `TOLLGATE__CLOCK__OFFSET_SECONDS`.
const DAY: u64 = 24 * 3600;

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

fn assert_decision(decision: &Value, allowed: bool, code: &str) {
    assert_eq!(
        (decision["allowed"].as_bool(), decision["code"].as_str()),
        (Some(allowed), Some(code)),
        "{decision}"
    );
    assert!(decision["message"].as_str().is_some_and(|m| !m.is_empty()), "{decision}");
}

async fn an_account_without_a_subscription_answers_no_subscription_until_it_chooses_a_plan(
    app: &mut TestApp,
) {
    app.restart_with(&[("TOLLGATE__PLANS__DEFAULT_PLAN", "")]);
    let (status, account) = app.post("/v1/accounts", json!({"key": "bare", "name": "Bare"}), None).await;
    assert_eq!(status, 201, "{account}");
    assert_eq!(account["subscription"], Value::Null, "{account}");
    let (status, account) = app.get("/v1/accounts/bare").await;
    assert_eq!((status, &account["subscription"]), (200, &Value::Null), "{account}");
    let response = app.admin(Method::GET, "/v1/accounts/bare/subscription").send().await.unwrap();
    assert_problem(response, 404, "subscription_not_found").await;
    let response = app.admin(Method::GET, "/v1/accounts/bare/usage").send().await.unwrap();
    assert_problem(response, 404, "subscription_not_found").await;

    let tickets = json!({"metric": "tickets", "quantity": 1});
    assert_decision(&check(app, "bare", tickets.clone()).await, false, "no_subscription");
    assert_decision(&check(app, "bare", json!({"feature": "api_access"})).await, false, "no_subscription");
    assert_decision(&app.consume("bare", "tickets", 1).await, false, "no_subscription");

    // A plan chosen later starts the subscription; seats alone cannot.
    let (status, problem) = app.put_json("/v1/accounts/bare/subscription", json!({"seats": 2}), None).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["param"].as_str()),
        (422, Some("validation_failed"), Some("plan")),
        "{problem}"
    );
    let (status, sub) = app.put_json("/v1/accounts/bare/subscription", json!({"plan": "free"}), None).await;
    assert_eq!(
        (status, sub["plan"].as_str(), sub["status"].as_str()),
        (200, Some("free"), Some("active")),
        "{sub}"
    );
    assert_decision(&check(app, "bare", tickets).await, true, "ok");
    let (_, account) = app.get("/v1/accounts/bare").await;
    assert_eq!(account["subscription"]["plan"], "free", "{account}");

    // Naming a plan at creation still subscribes.
    let named = app.create_account("named", "pro").await;
    assert_eq!(named["subscription"]["status"], "trialing", "{named}");
}

async fn a_payment_failed_outside_the_gateway_requires_payment_after_the_grace(app: &mut TestApp) {
    app.create_account("late", "free").await;
    let tickets = json!({"metric": "tickets", "quantity": 1});
    let (status, sub) = admin_post(app, "/v1/admin/accounts/late/past_due").await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("past_due")), "{sub}");
    assert_decision(&check(app, "late", tickets.clone()).await, true, "ok");
    assert_decision(&app.consume("late", "tickets", 1).await, true, "ok");
    let (status, problem) = admin_post(app, "/v1/admin/accounts/late/past_due").await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("invalid_transition")), "{problem}");

    // No grace at all: payment is required at once.
    app.restart_with(&[("TOLLGATE__BILLING__PAST_DUE_GRACE_DAYS", "0")]);
    assert_decision(&check(app, "late", tickets.clone()).await, false, "payment_required");
    assert_decision(&app.consume("late", "tickets", 1).await, false, "payment_required");
    let (status, sub) = admin_post(app, "/v1/admin/accounts/late/activate").await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("active")), "{sub}");
    assert_decision(&check(app, "late", tickets).await, true, "ok");
    let (_, usage) = app.get("/v1/accounts/late/usage").await;
    assert_eq!(
        usage["metrics"]["tickets"]["current"], 1,
        "nothing counted while payment was required: {usage}"
    );
}

async fn trials_end_and_terms_cancelled_at_period_end_expire_as_time_passes(app: &mut TestApp) {
    let trial = app.create_account("trial", "pro").await; // a 14-day trial
    assert_eq!(trial["subscription"]["status"], "trialing", "{trial}");
    app.create_account("leaving", "free").await; // monthly: the period ends in 28 to 31 days
    let (status, sub) =
        app.post("/v1/accounts/leaving/subscription/cancel", json!({"at_period_end": true}), None).await;
    assert_eq!((status, sub["cancel_at_period_end"].as_bool()), (200, Some(true)), "{sub}");
    let tickets = json!({"metric": "tickets", "quantity": 1});
    assert_decision(&check(app, "trial", tickets.clone()).await, true, "ok");

    app.restart_with(&[("TOLLGATE__CLOCK__OFFSET_SECONDS", &(15 * DAY).to_string())]);
    assert!(app.logs().contains("clock is shifted"), "a shifted clock is announced:\n{}", app.logs());
    assert_decision(&check(app, "trial", tickets.clone()).await, false, "trial_expired");
    assert_decision(&app.consume("trial", "tickets", 1).await, false, "trial_expired");
    assert_decision(&check(app, "leaving", tickets.clone()).await, true, "ok");

    app.restart_with(&[("TOLLGATE__CLOCK__OFFSET_SECONDS", &(40 * DAY).to_string())]);
    assert_decision(&check(app, "leaving", tickets.clone()).await, false, "subscription_expired");
    assert_decision(&app.consume("leaving", "tickets", 1).await, false, "subscription_expired");
    let (_, sub) = app.get("/v1/accounts/leaving/subscription").await;
    assert_eq!(sub["status"], "expired", "{sub}");
    assert!(sub["ended_at"].is_string(), "{sub}");
    assert_decision(&check(app, "trial", tickets.clone()).await, false, "trial_expired");
    // Converting the trial lets it through again.
    let (status, sub) = admin_post(app, "/v1/admin/accounts/trial/activate").await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("active")), "{sub}");
    assert_decision(&check(app, "trial", tickets).await, true, "ok");
}

async fn admin_routes_need_the_operator(app: &TestApp) {
    app.create_account("guarded", "free").await;
    let (status, key) = app.post("/v1/api-keys", json!({"name": "svc", "role": "service"}), None).await;
    assert_eq!(status, 201, "{key}");
    let secret = key["secret"].as_str().expect("secret").to_owned();
    for action in ["suspend", "activate", "past_due"] {
        let path = format!("/v1/admin/accounts/guarded/{action}");
        let response = app.with_key(&secret, Method::POST, &path).send().await.unwrap();
        assert_eq!(response.status(), 403, "{action}");
        let (status, problem) = admin_post(app, &format!("/v1/admin/accounts/nobody/{action}")).await;
        assert_eq!((status, problem["code"].as_str()), (404, Some("account_not_found")), "{action}");
    }
}

crate::on_every_backend!(
    every_decision_code_an_operator_can_cause_is_answered,
    an_account_without_a_subscription_answers_no_subscription_until_it_chooses_a_plan,
    a_payment_failed_outside_the_gateway_requires_payment_after_the_grace,
    trials_end_and_terms_cancelled_at_period_end_expire_as_time_passes,
    admin_routes_need_the_operator
);
