//! Secrets never logged: every identity flow of these tests runs against servers logging at
//! `debug`, and not one password, access or refresh token, API key secret, TOTP secret or code,
//! recovery code, e-mailed token or JWT secret they handled appears in what the servers wrote.

use std::time::Duration;

use reqwest::Method;
use serde_json::json;

use crate::helpers::{Backend, Options, TestApp, read};
use crate::identity::{
    a_forgotten_password_is_reset_from_the_outbox_message, a_session_lives_from_registration_to_logout,
    repeated_failed_logins_are_throttled_with_a_retry_after, two_factor_takes_a_code_or_a_recovery_code_once,
};
use crate::identity_members::{
    an_invited_person_accepts_and_appears_among_the_members,
    past_the_seat_limit_a_member_is_refused_with_an_upgrade, spawn_with_seats,
};
use crate::identity_tokens::every_forged_expired_or_revoked_access_token_is_refused;
use crate::people::Seen;

fn debug_logging() -> Options {
    Options { env: vec![("RUST_LOG".to_owned(), "debug".to_owned())], ..Options::default() }
}

/// A platform API key, created and used once.
async fn an_api_key_is_created_and_used(app: &TestApp, seen: &Seen) {
    let (status, created) =
        app.post("/v1/api-keys", json!({"name": "log probe", "role": "service"}), None).await;
    assert_eq!(status, 201, "{created}");
    let secret = seen.note(created["secret"].as_str().unwrap());
    let (status, _) = read(app.with_key(&secret, Method::GET, "/v1/plans").send().await.unwrap()).await;
    assert_eq!(status, 200);
}

/// Stops `app` and gives back everything it logged.
fn final_logs(mut app: TestApp) -> String {
    app.kill_hard();
    // The reader thread appends what was in the pipe when the process died.
    std::thread::sleep(Duration::from_millis(300));
    app.logs()
}

fn assert_no_secret_in(logs: &str, seen: &Seen) {
    assert!(logs.contains("request served"), "the server logged at debug level:\n{logs}");
    let secrets = seen.all();
    assert!(secrets.len() > 40, "the flows handled their secrets: {}", secrets.len());
    for secret in secrets {
        assert!(secret.len() >= 6, "too short to search for: {secret:?}");
        assert!(!logs.contains(&secret), "{secret:?} appears in the logs");
    }
}

async fn secrets_are_never_logged(backend: Backend) {
    let Some(app) = TestApp::spawn_with(backend, debug_logging()).await else { return };
    let seen = Seen::default();
    seen.note(&app.admin_key);
    a_session_lives_from_registration_to_logout(&app, &seen).await;
    a_forgotten_password_is_reset_from_the_outbox_message(&app, &seen).await;
    two_factor_takes_a_code_or_a_recovery_code_once(&app, &seen).await;
    an_invited_person_accepts_and_appears_among_the_members(&app, &seen).await;
    every_forged_expired_or_revoked_access_token_is_refused(&app, &seen).await;
    repeated_failed_logins_are_throttled_with_a_retry_after(&app, &seen).await;
    an_api_key_is_created_and_used(&app, &seen).await;
    let logs = final_logs(app);
    assert_no_secret_in(&logs, &seen);

    let seats = spawn_with_seats(backend, debug_logging()).await.expect("the backend was available above");
    let seen_seats = Seen::default();
    past_the_seat_limit_a_member_is_refused_with_an_upgrade(&seats, &seen_seats).await;
    for secret in seen.all() {
        seen_seats.note(&secret);
    }
    assert_no_secret_in(&final_logs(seats), &seen_seats);
}

#[tokio::test]
async fn secrets_are_never_logged_on_sqlite() {
    secrets_are_never_logged(Backend::Sqlite).await;
}

#[tokio::test]
async fn secrets_are_never_logged_on_postgres() {
    secrets_are_never_logged(Backend::Postgres).await;
}
