//! Credentials: the operator's key, API keys, and 401/403 problems.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, Options, TestApp, assert_problem, read};

async fn missing_or_invalid_credentials_are_a_401(app: &TestApp) {
    app.create_account("acme", "free").await;
    let routes = [
        (Method::GET, "/v1/accounts/acme"),
        (Method::GET, "/v1/accounts/acme/usage"),
        (Method::POST, "/v1/accounts/acme/check"),
        (Method::POST, "/v1/accounts/acme/consume"),
        (Method::POST, "/v1/accounts"),
        (Method::GET, "/v1/api-keys"),
        (Method::DELETE, "/v1/api-keys/key_x"),
    ];
    for (method, path) in routes {
        let anonymous = app.anonymous(method.clone(), path).send().await.unwrap();
        assert_eq!(anonymous.headers().get("www-authenticate").map(|v| v.to_str().unwrap()), Some("Bearer"));
        assert_problem(anonymous, 401, "unauthorized").await;
        for credential in ["tg_not_a_key", "", &format!("{}x", app.admin_key)] {
            let response = app.with_key(credential, method.clone(), path).send().await.unwrap();
            assert_problem(response, 401, "unauthorized").await;
        }
        let basic = app.anonymous(method.clone(), path).header("Authorization", "Basic YWRtaW46YWRtaW4=");
        assert_problem(basic.send().await.unwrap(), 401, "unauthorized").await;
    }
    for path in ["/v1/plans", "/v1/plans/free", "/health/live", "/health/ready", "/metrics", "/openapi.json"]
    {
        let (status, _) = read(app.anonymous(Method::GET, path).send().await.unwrap()).await;
        assert_eq!(status, 200, "{path} is public");
    }
}

async fn api_keys_are_created_shown_once_listed_and_revoked(app: &TestApp) {
    let (status, created) = app.post("/v1/api-keys", json!({"name": "billing backend"}), None).await;
    assert_eq!(status, 201, "{created}");
    let secret = created["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("tg_") && secret.len() > 40, "{secret}");
    assert_eq!(created["role"], "service");
    assert!(secret.starts_with(created["prefix"].as_str().unwrap()));
    let id = created["id"].as_str().unwrap().to_owned();

    // The service key runs the API but does not manage keys.
    let response = app
        .with_key(&secret, Method::POST, "/v1/accounts")
        .json(&json!({"key": "svc-co", "name": "Svc"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let response = app.with_key(&secret, Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_problem(response, 403, "forbidden").await;
    let response = app
        .with_key(&secret, Method::POST, "/v1/api-keys")
        .json(&json!({"name": "escalate", "role": "admin"}))
        .send()
        .await
        .unwrap();
    assert_problem(response, 403, "forbidden").await;

    let (status, list) = app.get("/v1/api-keys").await;
    assert_eq!(status, 200);
    let ids: Vec<_> =
        list["data"].as_array().unwrap().iter().map(|k| k["id"].as_str().unwrap().to_owned()).collect();
    assert!(ids.contains(&id) && ids.contains(&"key_operator".to_owned()), "{list}");
    assert!(!list.to_string().contains(&secret), "secrets are never listed");
    assert!(list["data"][0].get("secret_hash").is_none());

    let response = app.admin(Method::DELETE, &format!("/v1/api-keys/{id}")).send().await.unwrap();
    assert_eq!(response.status(), 204);
    let (_, list) = app.get("/v1/api-keys").await;
    let revoked = list["data"].as_array().unwrap().iter().find(|k| k["id"] == id.as_str()).unwrap().clone();
    assert!(revoked["revoked_at"].is_string(), "{revoked}");
    let response = app.with_key(&secret, Method::GET, "/v1/accounts/svc-co").send().await.unwrap();
    assert_problem(response, 401, "unauthorized").await;
    let response = app.admin(Method::DELETE, "/v1/api-keys/key_nope").send().await.unwrap();
    assert_problem(response, 404, "api_key_not_found").await;

    // An admin key can create keys.
    let (status, admin) = app.post("/v1/api-keys", json!({"name": "ops", "role": "admin"}), None).await;
    assert_eq!(status, 201);
    let response =
        app.with_key(admin["secret"].as_str().unwrap(), Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_eq!(response.status(), 200);
}

crate::on_every_backend!(
    missing_or_invalid_credentials_are_a_401,
    api_keys_are_created_shown_once_listed_and_revoked,
    a_revoked_operator_key_stays_revoked_across_restarts
);

async fn generated_key(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, Options { admin_key: None, ..Options::default() }).await
    else {
        return;
    };
    let file = app.data_dir.join("admin-api-key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "only its owner reads the key file");
    }
    assert!(app.admin_key.starts_with("tg_"));
    let (status, _) = app.get("/v1/api-keys").await;
    assert_eq!(status, 200, "the generated key is an admin key");
    let logs = app.logs();
    assert!(logs.contains("admin-api-key"), "the file's path is logged: {logs}");
    assert!(!logs.contains(&app.admin_key), "the key itself never is");
}

#[tokio::test]
async fn without_an_operator_key_one_is_generated_into_a_private_file_on_sqlite() {
    generated_key(Backend::Sqlite).await;
}

#[tokio::test]
async fn without_an_operator_key_one_is_generated_into_a_private_file_on_postgres() {
    generated_key(Backend::Postgres).await;
}

async fn a_revoked_operator_key_stays_revoked_across_restarts(app: &mut TestApp) {
    let (status, other) =
        app.post("/v1/api-keys", json!({"name": "second operator", "role": "admin"}), None).await;
    assert_eq!(status, 201, "{other}");
    let other = other["secret"].as_str().unwrap().to_owned();
    let response = app.with_key(&other, Method::DELETE, "/v1/api-keys/key_operator").send().await.unwrap();
    assert_eq!(response.status(), 204);
    assert_problem(app.admin(Method::GET, "/v1/api-keys").send().await.unwrap(), 401, "unauthorized").await;

    app.restart();
    let response = app.admin(Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_problem(response, 401, "unauthorized").await;
    assert!(app.logs().contains("was revoked and stays so"), "the operator is told");
    let response = app.with_key(&other, Method::GET, "/v1/api-keys").send().await.unwrap();
    assert_eq!(response.status(), 200, "the other admin key still works");
}

#[tokio::test]
async fn an_operator_key_shorter_than_32_characters_is_refused_at_start() {
    let dir = crate::helpers::unique_dir();
    std::fs::create_dir_all(&dir).unwrap();
    let database = tollgate_store::testing::TestDatabase::sqlite();
    let output = crate::helpers::command(&database.url, &dir)
        .arg("serve")
        .env("TOLLGATE_ADMIN_API_KEY", "tg_short_key_0123456789")
        .output()
        .expect("run the tollgate binary");
    assert!(!output.status.success(), "the server refuses to start");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("at least 32 characters"), "{stderr}");
    assert!(!stderr.contains("tg_short_key_0123456789"), "the key itself is never printed");
    database.drop_database().await;
}
