//! The quickstart: provision, consume until denied, upgrade, trials, cancellation, gauges.

use serde_json::json;

use crate::helpers::TestApp;

async fn a_free_account_is_denied_at_its_limit_and_an_upgrade_lifts_it_at_once(app: &TestApp) {
    let account = app.create_account("acme", "free").await;
    assert_eq!(account["subscription"]["plan"], "free");
    assert_eq!(account["subscription"]["status"], "active");

    // Free allows 100 tickets a month: 25 at a time, the fifth request is denied.
    let mut allowed = 0;
    let denied = loop {
        let decision = app.consume("acme", "tickets", 25).await;
        if decision["allowed"] == false {
            break decision;
        }
        assert_eq!(decision["code"], "ok");
        allowed += 1;
        assert!(allowed <= 4, "the limit is enforced");
    };
    assert_eq!(allowed, 4);
    assert_eq!(denied["code"], "limit_reached");
    assert_eq!(
        (denied["used"].as_u64(), denied["limit"].as_u64(), denied["remaining"].as_u64()),
        (Some(100), Some(100), Some(0))
    );
    // The cheapest plan that allows it, by monthly price (today pro-yearly, at 37.50 a month).
    let upgrade = denied["upgrade"]["plan"].as_str().unwrap_or("");
    assert!(["pro", "pro-yearly"].contains(&upgrade), "{denied}");
    assert_eq!(denied["upgrade"]["limit"], 2000);
    assert!(denied["resets_at"].is_string());
    assert!(denied["message"].as_str().unwrap().contains("100/100"), "{denied}");

    let (status, check) =
        app.post("/v1/accounts/acme/check", json!({"metric": "tickets", "quantity": 1}), None).await;
    assert_eq!((status, check["code"].as_str()), (200, Some("limit_reached")));

    let (status, subscription) =
        app.put_json("/v1/accounts/acme/subscription", json!({"plan": "pro"}), None).await;
    assert_eq!(status, 200, "{subscription}");
    assert_eq!(subscription["plan"], "pro");

    let decision = app.consume("acme", "tickets", 1).await;
    assert_eq!(
        (decision["allowed"].as_bool(), decision["code"].as_str()),
        (Some(true), Some("ok")),
        "{decision}"
    );
    assert_eq!((decision["used"].as_u64(), decision["limit"].as_u64()), (Some(101), Some(2000)));

    let (status, usage) = app.get("/v1/accounts/acme/usage").await;
    assert_eq!(status, 200);
    let tickets = &usage["metrics"]["tickets"];
    assert_eq!(
        (tickets["current"].as_u64(), tickets["max"].as_u64(), tickets["available"].as_u64()),
        (Some(101), Some(2000), Some(1899))
    );
    assert_eq!(tickets["percentage"].as_f64(), Some(5.05));
    assert!(usage["period"]["start"].is_string());
}

async fn a_plan_with_a_trial_starts_trialing(app: &TestApp) {
    let account = app.create_account("trial-co", "pro").await;
    let subscription = &account["subscription"];
    assert_eq!(subscription["status"], "trialing");
    let started = time::OffsetDateTime::parse(
        subscription["started_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let ends = time::OffsetDateTime::parse(
        subscription["trial_ends_at"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!((ends - started).whole_days(), 14);

    let (status, fetched) = app.get("/v1/accounts/trial-co").await;
    assert_eq!((status, fetched["subscription"]["status"].as_str()), (200, Some("trialing")));
    let (status, sub) = app.get("/v1/accounts/trial-co/subscription").await;
    assert_eq!((status, sub["plan"].as_str()), (200, Some("pro")));

    let (_, feature) = app.post("/v1/accounts/trial-co/check", json!({"feature": "api_access"}), None).await;
    assert_eq!(
        (feature["allowed"].as_bool(), feature["code"].as_str()),
        (Some(true), Some("ok")),
        "{feature}"
    );
    let (_, sso) = app.post("/v1/accounts/trial-co/check", json!({"feature": "sso"}), None).await;
    assert_eq!((sso["allowed"].as_bool(), sso["code"].as_str()), (Some(false), Some("not_in_plan")), "{sso}");
    assert!(sso["upgrade"]["plan"].as_str().unwrap_or("").starts_with("enterprise"), "{sso}");

    // Omitting the plan gives the default plan, free: no trial.
    let (status, default) = app.post("/v1/accounts", json!({"key": "plain", "name": "Plain"}), None).await;
    assert_eq!(status, 201, "{default}");
    assert_eq!(
        (default["subscription"]["plan"].as_str(), default["subscription"]["status"].as_str()),
        (Some("free"), Some("active"))
    );
}

async fn a_subscription_is_cancelled_resumed_and_ended(app: &TestApp) {
    app.create_account("churn", "free").await;
    let cancel = |at_period_end: bool| json!({"at_period_end": at_period_end});
    let (status, sub) = app.post("/v1/accounts/churn/subscription/cancel", cancel(true), None).await;
    assert_eq!((status, sub["cancel_at_period_end"].as_bool()), (200, Some(true)), "{sub}");
    let (status, sub) = app.post("/v1/accounts/churn/subscription/resume", json!({}), None).await;
    assert_eq!((status, sub["cancel_at_period_end"].as_bool()), (200, Some(false)), "{sub}");
    let (status, problem) = app.post("/v1/accounts/churn/subscription/resume", json!({}), None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("invalid_transition")), "{problem}");

    let (status, sub) = app.post("/v1/accounts/churn/subscription/cancel", cancel(false), None).await;
    assert_eq!((status, sub["status"].as_str()), (200, Some("cancelled")), "{sub}");
    let decision = app.consume("churn", "tickets", 1).await;
    assert_eq!(
        (decision["allowed"].as_bool(), decision["code"].as_str()),
        (Some(false), Some("subscription_cancelled"))
    );
    let (status, problem) =
        app.put_json("/v1/accounts/churn/subscription", json!({"plan": "pro"}), None).await;
    assert_eq!((status, problem["code"].as_str()), (409, Some("invalid_transition")), "{problem}");
}

async fn gauges_are_given_back_by_release(app: &TestApp) {
    app.create_account("sites-co", "free").await;
    assert_eq!(app.consume("sites-co", "sites", 1).await["code"], "ok");
    let denied = app.consume("sites-co", "sites", 1).await;
    assert_eq!(denied["code"], "limit_reached");
    assert!(denied["resets_at"].is_null(), "a gauge never resets: {denied}");
    let key = crate::helpers::fresh_key();
    let (status, released) = app
        .post("/v1/accounts/sites-co/release", json!({"metric": "sites", "quantity": 5}), Some(&key))
        .await;
    assert_eq!((status, released["used"].as_u64()), (200, Some(0)), "never below zero: {released}");
    assert_eq!(app.consume("sites-co", "sites", 1).await["code"], "ok");
}

async fn seats_change_and_are_validated(app: &TestApp) {
    app.create_account("seats-co", "pro").await;
    let (status, sub) = app.put_json("/v1/accounts/seats-co/subscription", json!({"seats": 5}), None).await;
    assert_eq!((status, sub["seats"].as_u64()), (200, Some(5)), "{sub}");
    let (status, problem) =
        app.put_json("/v1/accounts/seats-co/subscription", json!({"seats": 0}), None).await;
    assert_eq!(
        (status, problem["code"].as_str(), problem["param"].as_str()),
        (422, Some("validation_failed"), Some("seats")),
        "{problem}"
    );
}

crate::on_every_backend!(
    a_free_account_is_denied_at_its_limit_and_an_upgrade_lifts_it_at_once,
    a_plan_with_a_trial_starts_trialing,
    a_subscription_is_cancelled_resumed_and_ended,
    gauges_are_given_back_by_release,
    seats_change_and_are_validated,
);
