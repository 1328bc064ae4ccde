//! Operations: health, metrics, OpenAPI, request ids, unknown routes, graceful shutdown.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, TestApp, assert_problem, read};

async fn health_metrics_and_the_openapi_document_are_served(app: &TestApp) {
    let (status, live) = read(app.anonymous(Method::GET, "/health/live").send().await.unwrap()).await;
    assert_eq!((status, live["status"].as_str()), (200, Some("ok")));
    let (status, ready) = read(app.anonymous(Method::GET, "/health/ready").send().await.unwrap()).await;
    assert_eq!((status, ready["checks"]["database"].as_str()), (200, Some("ok")));

    app.create_account("acme", "free").await;
    app.consume("acme", "tickets", 1).await;
    app.consume("acme", "tickets", 1000).await;
    let metrics = app.anonymous(Method::GET, "/metrics").send().await.unwrap();
    assert!(metrics.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
    let text = metrics.text().await.unwrap();
    for expected in [
        "tollgate_http_requests_total{method=\"POST\",route=\"/v1/accounts/{key}/consume\",status=\"200\"} 2",
        "tollgate_http_requests_total{method=\"POST\",route=\"/v1/accounts\",status=\"201\"} 1",
        "tollgate_http_request_duration_seconds_count{method=\"POST\",route=\"/v1/accounts/{key}/consume\"} 2",
        "tollgate_decisions_total{operation=\"consume\",code=\"ok\"} 1",
        "tollgate_decisions_total{operation=\"consume\",code=\"limit_reached\"} 1",
    ] {
        assert!(text.contains(expected), "{expected} in\n{text}");
    }

    let (status, doc) = read(app.anonymous(Method::GET, "/openapi.json").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    for (method, path) in [
        ("get", "/v1/plans"),
        ("get", "/v1/plans/{code}"),
        ("get", "/v1/addons"),
        ("post", "/v1/accounts"),
        ("get", "/v1/accounts/{key}"),
        ("get", "/v1/accounts/{key}/subscription"),
        ("put", "/v1/accounts/{key}/subscription"),
        ("post", "/v1/accounts/{key}/subscription/cancel"),
        ("post", "/v1/accounts/{key}/subscription/resume"),
        ("post", "/v1/accounts/{key}/check"),
        ("post", "/v1/accounts/{key}/consume"),
        ("post", "/v1/accounts/{key}/release"),
        ("get", "/v1/accounts/{key}/usage"),
        ("post", "/v1/api-keys"),
        ("get", "/v1/api-keys"),
        ("delete", "/v1/api-keys/{id}"),
        ("post", "/v1/accounts/{key}/api-keys"),
        ("get", "/v1/accounts/{key}/api-keys"),
        ("delete", "/v1/accounts/{key}/api-keys/{id}"),
        ("post", "/v1/admin/accounts/{key}/suspend"),
        ("post", "/v1/admin/accounts/{key}/activate"),
        ("post", "/v1/admin/accounts/{key}/past_due"),
        ("get", "/health/live"),
        ("get", "/health/ready"),
        ("get", "/metrics"),
        ("get", "/openapi.json"),
        ("post", "/v1/auth/register"),
        ("post", "/v1/auth/login"),
        ("post", "/v1/auth/refresh"),
        ("post", "/v1/auth/logout"),
        ("post", "/v1/auth/password/forgot"),
        ("post", "/v1/auth/password/reset"),
        ("post", "/v1/auth/email/verify"),
        ("post", "/v1/auth/invitations/accept"),
        ("get", "/v1/me"),
        ("get", "/v1/me/sessions"),
        ("delete", "/v1/me/sessions/{id}"),
        ("post", "/v1/me/email/verification"),
        ("post", "/v1/me/totp"),
        ("post", "/v1/me/totp/confirm"),
        ("delete", "/v1/me/totp"),
        ("get", "/v1/accounts/{key}/members"),
        ("post", "/v1/accounts/{key}/members"),
        ("patch", "/v1/accounts/{key}/members/{user_id}"),
        ("delete", "/v1/accounts/{key}/members/{user_id}"),
        ("get", "/v1/admin/accounts"),
        ("get", "/v1/admin/users"),
        ("post", "/v1/admin/users/{id}/revoke-sessions"),
        ("delete", "/v1/admin/users/{id}"),
        ("post", "/v1/admin/users/{id}/impersonate"),
        ("get", "/v1/admin/stats"),
        ("get", "/v1/admin/audit"),
        ("get", "/v1/admin/limits/over"),
        ("put", "/v1/admin/plans/{code}"),
        ("delete", "/v1/admin/plans/{code}"),
        ("put", "/v1/admin/addons/{code}"),
        ("post", "/v1/accounts/{key}/subscription/preview"),
        ("put", "/v1/accounts/{key}/payment-method"),
        ("get", "/v1/accounts/{key}/invoices"),
        ("get", "/v1/accounts/{key}/invoices/{number}"),
        ("post", "/v1/accounts/{key}/invoices/{number}/pay"),
        ("post", "/v1/accounts/{key}/checkout"),
        ("post", "/v1/webhooks/{gateway}"),
        ("get", "/v1/accounts/{key}/addons"),
        ("post", "/v1/accounts/{key}/addons"),
        ("delete", "/v1/accounts/{key}/addons/{code}"),
    ] {
        assert!(paths[path][method].is_object(), "{method} {path} is documented");
    }
    let operations: usize = paths.values().map(|p| p.as_object().unwrap().len()).sum();
    assert_eq!(operations, 66, "and nothing else is");
}

async fn unknown_routes_are_problems_and_requests_carry_ids(app: &TestApp) {
    assert_problem(app.anonymous(Method::GET, "/nowhere").send().await.unwrap(), 404, "not_found").await;
    assert_problem(app.admin(Method::GET, "/v1/nowhere").send().await.unwrap(), 404, "not_found").await;
    // Under /v1 nothing is public unless its route says so, matched or not: credentials first.
    assert_problem(app.anonymous(Method::GET, "/v1/nowhere").send().await.unwrap(), 401, "unauthorized")
        .await;
    let response = app.anonymous(Method::DELETE, "/v1/plans").send().await.unwrap();
    assert_problem(response, 405, "method_not_allowed").await;

    let response =
        app.anonymous(Method::GET, "/health/live").header("X-Request-Id", "trace-42").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trace-42");
    let response = app.anonymous(Method::GET, "/nowhere").send().await.unwrap();
    assert_eq!(response.headers()["x-request-id"].len(), 32, "generated when absent");
}

async fn plans_are_public_and_serialized_as_the_contract_says(app: &TestApp) {
    let (status, plans) = read(app.anonymous(Method::GET, "/v1/plans").send().await.unwrap()).await;
    assert_eq!(status, 200);
    let codes: Vec<_> =
        plans["data"].as_array().unwrap().iter().map(|p| p["code"].as_str().unwrap()).collect();
    for code in ["free", "pro", "pro-yearly", "enterprise", "enterprise-yearly"] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    let (status, pro) = read(app.anonymous(Method::GET, "/v1/plans/pro").send().await.unwrap()).await;
    assert_eq!(status, 200);
    assert_eq!(pro["price"], json!({"amount": "45.00", "currency": "USD"}));
    assert_eq!((pro["interval"].as_str(), pro["trial_days"].as_u64()), (Some("month"), Some(14)));
    assert_eq!(pro["limits"]["tickets"], json!({"max": 2000, "reset": "month", "enforcement": "hard"}));
    assert_eq!(pro["features"]["api_access"], true);
    assert_eq!(pro["addons"], json!(["extra-sites"]));
    let (_, enterprise) =
        read(app.anonymous(Method::GET, "/v1/plans/enterprise").send().await.unwrap()).await;
    assert!(enterprise["limits"]["tickets"]["max"].is_null(), "unlimited is null: {enterprise}");
}

crate::on_every_backend!(
    health_metrics_and_the_openapi_document_are_served,
    unknown_routes_are_problems_and_requests_carry_ids,
    plans_are_public_and_serialized_as_the_contract_says,
);

async fn graceful_shutdown(backend: Backend, signal: &str) {
    let Some(mut app) = TestApp::spawn(backend).await else {
        return;
    };
    app.create_account("acme", "free").await;
    let status = std::process::Command::new("kill").args([signal, &app.pid().to_string()]).status().unwrap();
    assert!(status.success());
    let exit = app.wait_for_exit(Duration::from_secs(20)).expect("the server stops by itself");
    assert!(exit.success(), "{exit:?}\n{}", app.logs());
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully_on_sqlite() {
    graceful_shutdown(Backend::Sqlite, "-TERM").await;
}

#[tokio::test]
async fn sigint_stops_the_server_gracefully_on_sqlite() {
    graceful_shutdown(Backend::Sqlite, "-INT").await;
}

#[tokio::test]
async fn sigterm_stops_the_server_gracefully_on_postgres() {
    graceful_shutdown(Backend::Postgres, "-TERM").await;
}
