//! Idempotent retries: replay, reuse with another body, keys in flight, required keys.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, fresh_key, read};

async fn a_retried_consume_is_replayed_and_counted_once(app: &TestApp) {
    app.create_account("acme", "free").await;
    let key = fresh_key();
    let send = |quantity: u64| {
        app.admin(Method::POST, "/v1/accounts/acme/consume")
            .header("Idempotency-Key", key.clone())
            .json(&json!({"metric": "tickets", "quantity": quantity}))
            .send()
    };
    let first = send(3).await.unwrap();
    assert!(first.headers().get("idempotent-replayed").is_none());
    let (status, first) = read(first).await;
    assert_eq!((status, first["used"].as_u64()), (200, Some(3)), "{first}");
    // The usage ledger answers the replay with the first outcome.
    let (status, again) = read(send(3).await.unwrap()).await;
    assert_eq!((status, &again), (200, &first), "the first response is replayed");

    assert_problem(send(4).await.unwrap(), 422, "idempotency_key_reused").await;

    let (_, usage) = app.get("/v1/accounts/acme/usage").await;
    assert_eq!(usage["metrics"]["tickets"]["current"], 3, "counted once: {usage}");
}

async fn a_retried_creation_is_replayed_not_refused(app: &TestApp) {
    let body = json!({"key": "retry-co", "name": "Retry", "plan": "free"});
    let key = fresh_key();
    let (status, first) = app.post("/v1/accounts", body.clone(), Some(&key)).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = app.post("/v1/accounts", body.clone(), Some(&key)).await;
    assert_eq!((status, &again), (201, &first));
    // Without the key, the same request is a new one: the account exists.
    let response = app.admin(Method::POST, "/v1/accounts").json(&body).send().await.unwrap();
    assert_problem(response, 409, "account_exists").await;
    // A different body under the same key is refused, whatever the route.
    let (status, problem) =
        app.put_json("/v1/accounts/retry-co/subscription", json!({"plan": "pro"}), Some(&key)).await;
    assert_eq!((status, problem["code"].as_str()), (422, Some("idempotency_key_reused")), "{problem}");
}

async fn a_rejected_request_leaves_its_key_free(app: &TestApp) {
    app.create_account("fix-co", "free").await;
    let key = fresh_key();
    let response = app
        .admin(Method::POST, "/v1/accounts/fix-co/consume")
        .header("Idempotency-Key", key.clone())
        .header("Content-Type", "application/json")
        .body(r#"{"metric": "tickets", "quantity": 0}"#)
        .send()
        .await
        .unwrap();
    assert_problem(response, 422, "invalid_body").await;
    let (status, decision) = app
        .post("/v1/accounts/fix-co/consume", json!({"metric": "tickets", "quantity": 2}), Some(&key))
        .await;
    assert_eq!((status, decision["used"].as_u64()), (200, Some(2)), "{decision}");
}

async fn concurrent_requests_with_one_key_count_once(app: &TestApp) {
    app.create_account("race-co", "free").await;
    let key = fresh_key();
    let requests = (0..8).map(|_| {
        app.admin(Method::POST, "/v1/accounts/race-co/consume")
            .header("Idempotency-Key", key.clone())
            .json(&json!({"metric": "tickets", "quantity": 1}))
            .send()
    });
    let mut ok = 0;
    for response in futures_join(requests).await {
        let (status, body) = read(response.unwrap()).await;
        match status {
            200 => {
                assert_eq!(body["used"], 1, "{body}");
                ok += 1;
            }
            409 => assert_eq!(body["code"], "idempotency_key_in_use"),
            other => panic!("unexpected {other}: {body}"),
        }
    }
    assert!(ok >= 1);
    let (_, usage) = app.get("/v1/accounts/race-co/usage").await;
    assert_eq!(usage["metrics"]["tickets"]["current"], 1, "{usage}");
}

/// Runs the futures concurrently on the test's runtime.
async fn futures_join<F, T>(futures: impl Iterator<Item = F>) -> Vec<T>
where
    F: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::with_capacity(handles.len());
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}

async fn consume_and_release_require_a_valid_key(app: &TestApp) {
    app.create_account("keys-co", "free").await;
    for action in ["consume", "release"] {
        let path = format!("/v1/accounts/keys-co/{action}");
        let body = json!({"metric": "sites", "quantity": 1});
        let response = app.admin(Method::POST, &path).json(&body).send().await.unwrap();
        let problem = assert_problem(response, 400, "idempotency_key_required").await;
        assert_eq!(problem["param"], "Idempotency-Key");
        for bad in ["x".repeat(256), "tab\there".to_owned(), "é".to_owned()] {
            let request = app.admin(Method::POST, &path).json(&body);
            let request = match reqwest::header::HeaderValue::from_bytes(bad.as_bytes()) {
                Ok(value) => request.header("Idempotency-Key", value),
                Err(_) => continue,
            };
            assert_problem(request.send().await.unwrap(), 400, "invalid_idempotency_key").await;
        }
    }
    let (_, usage) = app.get("/v1/accounts/keys-co/usage").await;
    assert_eq!(usage["metrics"]["sites"]["current"], 0, "nothing was applied: {usage}");
}

crate::on_every_backend!(
    a_retried_consume_is_replayed_and_counted_once,
    a_retried_creation_is_replayed_not_refused,
    a_rejected_request_leaves_its_key_free,
    concurrent_requests_with_one_key_count_once,
    consume_and_release_require_a_valid_key,
);
