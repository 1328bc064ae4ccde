//! Account API keys over HTTP: scopes, one account only, expiry, last use, revocation.

use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;

use crate::helpers::{TestApp, assert_problem, fresh_key, read};

/// Creates a key of `account` with `scopes` as the operator; its JSON (with the secret).
async fn account_key(app: &TestApp, account: &str, body: Value) -> Value {
    let (status, created) = app.post(&format!("/v1/accounts/{account}/api-keys"), body, None).await;
    assert_eq!(status, 201, "{created}");
    created
}

fn secret(key: &Value) -> &str {
    key["secret"].as_str().unwrap()
}

async fn consume(app: &TestApp, key: &str, account: &str) -> reqwest::Response {
    app.with_key(key, Method::POST, &format!("/v1/accounts/{account}/consume"))
        .header("Idempotency-Key", fresh_key())
        .json(&json!({"metric": "tickets", "quantity": 1}))
        .send()
        .await
        .unwrap()
}

async fn status(app: &TestApp, key: &str, method: Method, path: &str) -> u16 {
    app.with_key(key, method, path).send().await.unwrap().status().as_u16()
}

async fn account_keys_act_on_their_account_within_their_scopes(app: &TestApp) {
    app.create_account("acme", "free").await;
    app.create_account("globex", "free").await;
    let read_key = account_key(app, "acme", json!({"name": "dashboard", "scopes": ["read"]})).await;
    assert_eq!((read_key["account"].as_str(), &read_key["scopes"]), (Some("acme"), &json!(["read"])));
    assert!(secret(&read_key).starts_with("tg_") && read_key.get("role").is_none(), "{read_key}");
    let enforce = account_key(app, "acme", json!({"name": "backend", "scopes": ["enforce"]})).await;
    let manage = account_key(app, "acme", json!({"name": "ops", "scopes": ["manage", "read"]})).await;
    let (read_key, enforce, manage) = (secret(&read_key), secret(&enforce), secret(&manage));

    assert_eq!(status(app, read_key, Method::GET, "/v1/accounts/acme").await, 200);
    assert_eq!(status(app, read_key, Method::GET, "/v1/accounts/acme/usage").await, 200);
    assert_problem(consume(app, read_key, "acme").await, 403, "forbidden").await;
    let (code, decision) = read(consume(app, enforce, "acme").await).await;
    assert_eq!((code, &decision["allowed"]), (200, &json!(true)), "{decision}");
    let response = app.with_key(enforce, Method::GET, "/v1/accounts/acme/subscription").send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
    let response = app.with_key(read_key, Method::GET, "/v1/accounts/acme/api-keys").send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
    let (code, list) =
        read(app.with_key(manage, Method::GET, "/v1/accounts/acme/api-keys").send().await.unwrap()).await;
    assert_eq!((code, list["data"].as_array().unwrap().len()), (200, 3), "{list}");

    // Another account does not exist for any of them.
    for key in [read_key, enforce, manage] {
        let response = app.with_key(key, Method::GET, "/v1/accounts/globex").send().await.unwrap();
        assert_problem(response, 404, "account_not_found").await;
        assert_problem(consume(app, key, "globex").await, 404, "account_not_found").await;
    }
    let response = app.with_key(manage, Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
}

async fn account_keys_are_listed_with_their_last_use_and_revoked_with_a_204(app: &TestApp) {
    app.create_account("acme", "free").await;
    app.create_account("globex", "free").await;
    let key = account_key(app, "acme", json!({"name": "dashboard", "scopes": ["read"]})).await;
    let other = account_key(app, "globex", json!({"name": "theirs", "scopes": ["read"]})).await;
    let id = key["id"].as_str().unwrap();
    assert!(key["last_used_at"].is_null());
    assert_eq!(status(app, secret(&key), Method::GET, "/v1/accounts/acme").await, 200);
    // The use is written in the background, at once or nearly.
    let mut listed = Value::Null;
    for _ in 0..50 {
        let (_, list) = app.get("/v1/accounts/acme/api-keys").await;
        listed = list["data"][0].clone();
        if listed["last_used_at"].is_string() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(listed["last_used_at"].is_string(), "{listed}");
    assert!(listed.get("secret").is_none() && !listed.to_string().contains(secret(&key)), "{listed}");
    let (_, platform) = app.get("/v1/api-keys").await;
    assert!(!platform.to_string().contains(id), "account keys are not platform keys: {platform}");

    let other_id = other["id"].as_str().unwrap();
    let response =
        app.admin(Method::DELETE, &format!("/v1/accounts/acme/api-keys/{other_id}")).send().await.unwrap();
    assert_problem(response, 404, "api_key_not_found").await;
    assert_eq!(status(app, secret(&other), Method::GET, "/v1/accounts/globex").await, 200, "left alone");
    let response = app.admin(Method::DELETE, &format!("/v1/api-keys/{id}")).send().await.unwrap();
    assert_problem(response, 404, "api_key_not_found").await;

    let response =
        app.admin(Method::DELETE, &format!("/v1/accounts/acme/api-keys/{id}")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let response = app.with_key(secret(&key), Method::GET, "/v1/accounts/acme").send().await.unwrap();
    assert_problem(response, 401, "unauthorized").await;
}

async fn expired_keys_are_refused_and_expiries_must_be_in_the_future(app: &TestApp) {
    app.create_account("acme", "free").await;
    let now = time::OffsetDateTime::now_utc();
    let soon = (now + time::Duration::seconds(2)).format(&Rfc3339).unwrap();
    let key =
        account_key(app, "acme", json!({"name": "brief", "scopes": ["read"], "expires_at": soon})).await;
    assert!(key["expires_at"].is_string(), "{key}");
    let (_, platform) =
        app.post("/v1/api-keys", json!({"name": "brief", "role": "enforce", "expires_at": soon}), None).await;
    assert_eq!(platform["role"], "enforce", "{platform}");
    assert_eq!(status(app, secret(&key), Method::GET, "/v1/accounts/acme").await, 200);
    assert_eq!(status(app, secret(&platform), Method::GET, "/v1/accounts/acme/usage").await, 200);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let response = app.with_key(secret(&key), Method::GET, "/v1/accounts/acme").send().await.unwrap();
    assert_problem(response, 401, "unauthorized").await;
    let response =
        app.with_key(secret(&platform), Method::GET, "/v1/accounts/acme/usage").send().await.unwrap();
    assert_problem(response, 401, "unauthorized").await;

    let past = (now - time::Duration::hours(1)).format(&Rfc3339).unwrap();
    let bad = [
        ("/v1/accounts/acme/api-keys", json!({"name": "old", "scopes": ["read"], "expires_at": past})),
        ("/v1/api-keys", json!({"name": "old", "role": "service", "expires_at": past})),
        ("/v1/accounts/acme/api-keys", json!({"name": "none", "scopes": []})),
    ];
    for (path, body) in bad {
        let response = app.admin(Method::POST, path).json(&body).send().await.unwrap();
        let problem = assert_problem(response, 422, "validation_failed").await;
        assert!(["expires_at", "scopes"].contains(&problem["param"].as_str().unwrap()), "{problem}");
    }
    let response =
        app.admin(Method::POST, "/v1/accounts/acme/api-keys").json(&json!({"name": "x", "scopes": ["root"]}));
    let (code, problem) = read(response.send().await.unwrap()).await;
    assert!(matches!(code, 400 | 422), "{problem}");
}

crate::on_every_backend!(
    account_keys_act_on_their_account_within_their_scopes,
    account_keys_are_listed_with_their_last_use_and_revoked_with_a_204,
    expired_keys_are_refused_and_expiries_must_be_in_the_future
);
