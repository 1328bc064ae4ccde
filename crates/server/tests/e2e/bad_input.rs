//! Bad input is answered with a problem naming what is wrong, never a 500.

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, fresh_key};

async fn send_raw(app: &TestApp, method: Method, path: &str, body: &str) -> reqwest::Response {
    app.admin(method, path)
        .header("Content-Type", "application/json")
        .header("Idempotency-Key", fresh_key())
        .body(body.to_owned())
        .send()
        .await
        .expect("request")
}

async fn malformed_json_is_a_400(app: &TestApp) {
    app.create_account("acme", "free").await;
    for body in ["{", "{\"metric\": \"tickets\", \"quantity\": 1", "not json", "", "{} {}"] {
        for path in ["/v1/accounts", "/v1/accounts/acme/consume", "/v1/accounts/acme/check"] {
            let response = send_raw(app, Method::POST, path, body).await;
            assert_problem(response, 400, "malformed_json").await;
        }
    }
}

async fn wrong_types_unknown_and_missing_fields_name_the_field(app: &TestApp) {
    app.create_account("acme", "free").await;
    let cases: &[(&str, Value, &str)] = &[
        ("/v1/accounts/acme/consume", json!({"metric": "tickets", "quantity": "1"}), "quantity"),
        ("/v1/accounts/acme/consume", json!({"metric": 7, "quantity": 1}), "metric"),
        ("/v1/accounts/acme/consume", json!({"metric": "tickets"}), "quantity"),
        ("/v1/accounts/acme/consume", json!({"quantity": 1}), "metric"),
        ("/v1/accounts/acme/consume", json!({"metric": "tickets", "quantity": 1, "colour": "red"}), "colour"),
        ("/v1/accounts/acme/consume", json!({"metric": "Bad Metric", "quantity": 1}), "metric"),
        ("/v1/accounts/acme/check", json!({"metric": "tickets"}), "quantity"),
        ("/v1/accounts/acme/check", json!({"feature": "sso", "metric": "tickets", "quantity": 1}), "feature"),
        ("/v1/accounts", json!({"key": "has space", "name": "X"}), "key"),
        ("/v1/accounts", json!({"key": "ok", "name": "X", "email": "nope"}), "email"),
        ("/v1/accounts", json!({"key": "ok", "name": "X", "plan": 3}), "plan"),
        ("/v1/accounts", json!({"name": "X"}), "key"),
        ("/v1/accounts", json!({"key": "ok", "name": "X", "admin": true}), "admin"),
        ("/v1/accounts/acme/subscription/cancel", json!({"at_period_end": "yes"}), "at_period_end"),
        ("/v1/accounts/acme/subscription/cancel", json!({}), "at_period_end"),
    ];
    for (path, body, param) in cases {
        let response = send_raw(app, Method::POST, path, &body.to_string()).await;
        let problem = assert_problem(response, 422, "invalid_body").await;
        assert_eq!(problem["param"].as_str(), Some(*param), "{path} {body}: {problem}");
    }
    let response = send_raw(app, Method::PUT, "/v1/accounts/acme/subscription", r#"{"seats": -1}"#).await;
    let problem = assert_problem(response, 422, "invalid_body").await;
    assert_eq!(problem["param"], "seats");
    let response = send_raw(app, Method::POST, "/v1/accounts/acme/consume", "[1, 2]").await;
    assert_problem(response, 422, "invalid_body").await;
}

async fn quantities_are_positive_integers_up_to_a_trillion(app: &TestApp) {
    app.create_account("acme", "free").await;
    for quantity in [
        "0",
        "-1",
        "1.5",
        "1e3",
        "\"1\"",
        "null",
        "1000000000001",
        "10000000000000",
        "99999999999999999999999",
    ] {
        for action in ["consume", "release", "check"] {
            let body = format!(r#"{{"metric": "tickets", "quantity": {quantity}}}"#);
            let response = send_raw(app, Method::POST, &format!("/v1/accounts/acme/{action}"), &body).await;
            let problem = assert_problem(response, 422, "invalid_body").await;
            assert_eq!(problem["param"], "quantity", "{action} {quantity}: {problem}");
        }
    }
    let body = r#"{"metric": "tickets", "quantity": 1000000000000}"#;
    let response = send_raw(app, Method::POST, "/v1/accounts/acme/consume", body).await;
    let (status, decision) = crate::helpers::read(response).await;
    assert_eq!((status, decision["code"].as_str()), (200, Some("limit_reached")), "{decision}");
}

async fn a_body_over_64_kib_is_a_413(app: &TestApp) {
    app.create_account("acme", "free").await;
    let padding = "x".repeat(1024 * 1024);
    let body = format!(r#"{{"key": "big", "name": "{padding}"}}"#);
    for path in ["/v1/accounts", "/v1/accounts/acme/consume"] {
        let response = send_raw(app, Method::POST, path, &body).await;
        assert_problem(response, 413, "payload_too_large").await;
    }
    // Just over the limit.
    let body = format!(r#"{{"key": "big", "name": "{}"}}"#, "y".repeat(64 * 1024));
    assert_problem(send_raw(app, Method::POST, "/v1/accounts", &body).await, 413, "payload_too_large").await;
    let response = app
        .admin(Method::POST, "/v1/accounts")
        .header("Content-Type", "text/plain")
        .body(r#"{"key": "t", "name": "T"}"#)
        .send()
        .await
        .unwrap();
    assert_problem(response, 415, "unsupported_media_type").await;
}

async fn unknown_accounts_metrics_features_and_plans_are_named(app: &TestApp) {
    app.create_account("acme", "free").await;
    let usage = json!({"metric": "tickets", "quantity": 1}).to_string();
    for (method, path) in [
        (Method::GET, "/v1/accounts/ghost"),
        (Method::GET, "/v1/accounts/ghost/subscription"),
        (Method::GET, "/v1/accounts/ghost/usage"),
        (Method::POST, "/v1/accounts/ghost/consume"),
        (Method::POST, "/v1/accounts/ghost/check"),
        (Method::POST, "/v1/accounts/ghost/release"),
        (Method::GET, "/v1/accounts/not%20a%20key"),
    ] {
        let response = send_raw(app, method.clone(), path, &usage).await;
        assert_problem(response, 404, "account_not_found").await;
    }
    let response =
        send_raw(app, Method::POST, "/v1/accounts/acme/consume", r#"{"metric": "rockets", "quantity": 1}"#)
            .await;
    assert_eq!(assert_problem(response, 422, "unknown_metric").await["param"], "metric");
    let response = send_raw(app, Method::POST, "/v1/accounts/acme/check", r#"{"feature": "teleport"}"#).await;
    assert_eq!(assert_problem(response, 422, "unknown_feature").await["param"], "feature");
    let response =
        send_raw(app, Method::POST, "/v1/accounts", r#"{"key": "x", "name": "X", "plan": "platinum"}"#).await;
    assert_eq!(assert_problem(response, 422, "plan_not_found").await["param"], "plan");
    let response =
        send_raw(app, Method::PUT, "/v1/accounts/acme/subscription", r#"{"plan": "platinum"}"#).await;
    assert_eq!(assert_problem(response, 422, "plan_not_found").await["param"], "plan");
    assert_problem(
        app.anonymous(Method::GET, "/v1/plans/platinum").send().await.unwrap(),
        404,
        "plan_not_found",
    )
    .await;
    let response = send_raw(app, Method::POST, "/v1/accounts", r#"{"key": "acme", "name": "Again"}"#).await;
    assert_problem(response, 409, "account_exists").await;
    let response = send_raw(app, Method::POST, "/v1/accounts", r#"{"key": "blank", "name": "   "}"#).await;
    assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "name");
}

/// Found by schemathesis: a NUL in an account's name was a 500 on PostgreSQL (text cannot hold
/// NUL). Text fields refuse every control character with a 422 naming the field.
async fn names_with_control_characters_are_a_422_not_a_500(app: &TestApp) {
    // JSON escapes, so the body carries the characters themselves.
    for name in [r"nul\u0000here", r"bell\u0007", r"tab\there", r"del\u007f", r"c1\u0085in"] {
        let body = format!(r#"{{"key": "ctl", "name": "{name}"}}"#);
        let response = send_raw(app, Method::POST, "/v1/accounts", &body).await;
        assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "name", "{name}");
        let body = format!(r#"{{"name": "{name}"}}"#);
        let response = send_raw(app, Method::POST, "/v1/api-keys", &body).await;
        assert_eq!(assert_problem(response, 422, "validation_failed").await["param"], "name", "{name}");
    }
    let response = send_raw(app, Method::GET, "/v1/accounts/ctl", "").await;
    assert_problem(response, 404, "account_not_found").await;
}

/// Found by schemathesis: a NUL in a list's cursor was a 500 on PostgreSQL. A cursor that no
/// page could have answered is a 400 naming it.
async fn cursors_no_page_answered_are_a_400_not_a_500(app: &TestApp) {
    for cursor in ["nul%00here", "%C3%A9t%C3%A9", "with%20space", &"x".repeat(256)] {
        for path in ["/v1/api-keys", "/v1/plans"] {
            let response = send_raw(app, Method::GET, &format!("{path}?cursor={cursor}"), "").await;
            let problem = assert_problem(response, 400, "invalid_parameter").await;
            assert_eq!(problem["param"], "cursor", "{path} {cursor}");
        }
    }
    let (status, _) =
        crate::helpers::read(send_raw(app, Method::GET, "/v1/api-keys?cursor=key_a", "").await).await;
    assert_eq!(status, 200);
}

crate::on_every_backend!(
    cursors_no_page_answered_are_a_400_not_a_500,
    names_with_control_characters_are_a_422_not_a_500,
    malformed_json_is_a_400,
    wrong_types_unknown_and_missing_fields_name_the_field,
    quantities_are_positive_integers_up_to_a_trillion,
    a_body_over_64_kib_is_a_413,
    unknown_accounts_metrics_features_and_plans_are_named,
);
