//! Text a client sends with control characters is refused naming the field, never a 500; and
//! idempotency keys past their 24 hours are forgotten by the purge.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{assert_problem, fresh_key};

async fn control_characters_in_names_and_cursors_are_refused(app: &crate::helpers::TestApp) {
    let body = json!({"key": "acme", "name": "x\u{0}y", "plan": "free"});
    let response = app.admin(Method::POST, "/v1/accounts").json(&body).send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["param"], "name", "{problem}");
    let (status, _) = app.get("/v1/accounts/acme").await;
    assert_eq!(status, 404, "nothing was created");

    let body = json!({"name": "ci\u{0}", "role": "service"});
    let response = app.admin(Method::POST, "/v1/api-keys").json(&body).send().await.unwrap();
    let problem = assert_problem(response, 422, "validation_failed").await;
    assert_eq!(problem["param"], "name", "{problem}");

    for path in ["/v1/plans?cursor=%00", "/v1/api-keys?cursor=%00", "/v1/api-keys?cursor=a%1Bb"] {
        let response = app.admin(Method::GET, path).send().await.unwrap();
        let problem = assert_problem(response, 400, "invalid_parameter").await;
        assert_eq!(problem["param"], "cursor", "{path}: {problem}");
    }
}

/// Before the retention a replayed consume replays; once the clock is a day past it and the
/// purge has run, the same key is applied as new (and the first line's units still count).
async fn idempotency_keys_replay_for_a_day_then_are_forgotten(app: &mut crate::helpers::TestApp) {
    app.create_account("acme", "pro").await;
    let key = fresh_key();
    let consume = |app: &crate::helpers::TestApp, key: String| {
        let app_request = app
            .admin(Method::POST, "/v1/accounts/acme/consume")
            .header("Idempotency-Key", key)
            .json(&json!({"metric": "sites", "quantity": 1}));
        async move { crate::helpers::read(app_request.send().await.unwrap()).await }
    };
    let (status, first) = consume(app, key.clone()).await;
    assert_eq!((status, first["used"].as_u64()), (200, Some(1)), "{first}");
    app.restart();
    let (status, replay) = consume(app, key.clone()).await;
    assert_eq!((status, replay["used"].as_u64()), (200, Some(1)), "a restart keeps the key: {replay}");

    // 25 hours later; the purge runs at start and then every second.
    app.restart_with(&[
        ("TOLLGATE__CLOCK__OFFSET_SECONDS", "90000"),
        ("TOLLGATE__RETENTION__INTERVAL_SECONDS", "1"),
    ]);
    let mut used = None;
    for _ in 0..100 {
        let (status, decision) = consume(app, key.clone()).await;
        assert_eq!(status, 200, "{decision}");
        if decision["used"].as_u64() == Some(2) {
            used = Some(2);
            break;
        }
        assert_eq!(decision["used"].as_u64(), Some(1), "until purged, the key replays: {decision}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(used, Some(2), "after the purge the key is applied as new, once");
    let (status, replay) = consume(app, key).await;
    assert_eq!((status, replay["used"].as_u64()), (200, Some(2)), "and replays again: {replay}");
}

crate::on_every_backend!(
    control_characters_in_names_and_cursors_are_refused,
    idempotency_keys_replay_for_a_day_then_are_forgotten
);
