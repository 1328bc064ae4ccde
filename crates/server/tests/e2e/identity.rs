//! Identity end to end, as issue 10 must show it: register → verify the e-mail from the outbox →
//! login → refresh → rotation and reuse detection → logout; password reset from the outbox;
//! two-factor with codes and recovery codes; login throttling. Members and seats are in
//! `identity_members.rs`, the token attack set in `identity_tokens.rs`.
//!
//! Each scenario records the secrets it handled in a [`Seen`], so that `identity_logs.rs` can run
//! them all on one server and search its logs for every one of them.

use reqwest::Method;
use serde_json::json;

use crate::helpers::{TestApp, assert_problem, read};
use crate::people::{
    PASSWORD, Seen, Tokens, as_user, login, mailed_token, me, post_public, register, try_login,
};

async fn refresh(app: &TestApp, refresh: &str) -> reqwest::Response {
    app.anonymous(Method::POST, "/v1/auth/refresh")
        .json(&json!({"refresh_token": refresh}))
        .send()
        .await
        .expect("request")
}

pub async fn a_session_lives_from_registration_to_logout(app: &TestApp, seen: &Seen) {
    let registered = register(app, seen, " Ada@Acme.TEST ", "acme").await;
    assert_eq!(registered["user"]["email"], "ada@acme.test", "{registered}");
    assert_eq!(registered["account"]["key"], "acme");
    assert_eq!(registered["user"]["memberships"], json!([{"account": "acme", "role": "owner"}]));
    let again = post_public(
        app,
        "/v1/auth/register",
        json!({"email": "ADA@acme.test", "password": PASSWORD, "name": "Other"}),
    )
    .await;
    assert_eq!((again.0, again.1["code"].as_str()), (409, Some("email_taken")), "{}", again.1);

    let first = login(app, seen, "ada@acme.test", PASSWORD).await;
    let (status, user) = me(app, &first.access).await;
    assert_eq!((status, &user["email_verified"]), (200, &json!(false)), "{user}");
    let token = mailed_token(app, seen, "ada@acme.test", "email_verification");
    let (status, _) = post_public(app, "/v1/auth/email/verify", json!({"token": token})).await;
    assert_eq!(status, 204);
    assert_eq!(me(app, &first.access).await.1["email_verified"], true);
    let reused = app.anonymous(Method::POST, "/v1/auth/email/verify").json(&json!({"token": token}));
    assert_problem(reused.send().await.unwrap(), 400, "invalid_token").await;

    // Rotation: each refresh token is spent by its use.
    let (status, body) = read(refresh(app, &first.refresh).await).await;
    assert_eq!(status, 200, "{body}");
    let second = Tokens::from_body(&body, seen);
    assert_eq!(second.session, first.session);
    assert_ne!(second.refresh, first.refresh);
    assert_eq!(me(app, &second.access).await.0, 200);
    let (status, body) = read(refresh(app, &second.refresh).await).await;
    assert_eq!(status, 200, "{body}");
    let third = Tokens::from_body(&body, seen);

    // A spent token presented again: the whole session is revoked, its access tokens with it.
    assert_problem(refresh(app, &first.refresh).await, 401, "refresh_token_reused").await;
    for access in [&second.access, &third.access] {
        let refused = as_user(app, access, Method::GET, "/v1/me").send().await.unwrap();
        assert_problem(refused, 401, "unauthorized").await;
    }
    let after = refresh(app, &third.refresh).await;
    assert_eq!(after.status(), 401, "the session is over for the owner too");

    // A new session, listed, then ended by logout.
    let fresh = login(app, seen, "ada@acme.test", PASSWORD).await;
    let (status, sessions) =
        read(as_user(app, &fresh.access, Method::GET, "/v1/me/sessions").send().await.unwrap()).await;
    assert_eq!(status, 200, "{sessions}");
    let ids: Vec<&str> =
        sessions["data"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [fresh.session.as_str()], "the revoked session is not listed");
    assert_eq!(sessions["data"][0]["current"], true);
    let out = as_user(app, &fresh.access, Method::POST, "/v1/auth/logout").send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_problem(
        as_user(app, &fresh.access, Method::GET, "/v1/me").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    assert_problem(refresh(app, &fresh.refresh).await, 401, "invalid_refresh_token").await;
}

pub async fn a_forgotten_password_is_reset_from_the_outbox_message(app: &TestApp, seen: &Seen) {
    register(app, seen, "bea@acme.test", "bea-co").await;
    let before = login(app, seen, "bea@acme.test", PASSWORD).await;
    for address in ["bea@acme.test", "nobody@acme.test"] {
        let (status, _) = post_public(app, "/v1/auth/password/forgot", json!({"email": address})).await;
        assert_eq!(status, 202, "the same answer whether or not {address} has an account");
    }
    assert!(crate::people::mails_to(app, "nobody@acme.test").is_empty());
    let token = mailed_token(app, seen, "bea@acme.test", "password_reset");
    let short = app
        .anonymous(Method::POST, "/v1/auth/password/reset")
        .json(&json!({"token": token, "password": "short"}));
    assert_problem(short.send().await.unwrap(), 422, "password_too_short").await;

    let new_password = seen.note("a brand new passphrase for bea");
    let (status, body) =
        post_public(app, "/v1/auth/password/reset", json!({"token": token, "password": new_password})).await;
    assert_eq!(status, 204, "{body}");
    assert_problem(
        as_user(app, &before.access, Method::GET, "/v1/me").send().await.unwrap(),
        401,
        "unauthorized",
    )
    .await;
    assert_eq!(refresh(app, &before.refresh).await.status(), 401, "every old session is revoked");
    assert_problem(try_login(app, seen, "bea@acme.test", PASSWORD, None).await, 401, "invalid_credentials")
        .await;
    let after = login(app, seen, "bea@acme.test", &new_password).await;
    assert_eq!(me(app, &after.access).await.0, 200);
    let again = app
        .anonymous(Method::POST, "/v1/auth/password/reset")
        .json(&json!({"token": token, "password": "yet another passphrase"}));
    assert_problem(again.send().await.unwrap(), 400, "invalid_token").await;
}

/// The RFC 6238 code of `secret` (base32) for the instant `unix` seconds.
fn totp_code(secret: &str, unix: u64) -> String {
    let bytes = totp_rs::Secret::try_from_base32(secret).expect("a base32 secret");
    totp_rs::Builder::new()
        .with_algorithm(totp_rs::Algorithm::SHA1)
        .with_digits(6)
        .with_step_duration(30)
        .with_secret(bytes)
        .build_noncompliant()
        .generate(unix)
        .to_string()
}

fn unix_now() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).expect("after 1970").as_secs()
}

pub async fn two_factor_takes_a_code_or_a_recovery_code_once(app: &TestApp, seen: &Seen) {
    register(app, seen, "cy@acme.test", "cy-co").await;
    let tokens = login(app, seen, "cy@acme.test", PASSWORD).await;
    let (status, enrolment) =
        read(as_user(app, &tokens.access, Method::POST, "/v1/me/totp").send().await.unwrap()).await;
    assert_eq!(status, 200, "{enrolment}");
    let secret = seen.note(enrolment["secret"].as_str().unwrap());
    let url = enrolment["otpauth_url"].as_str().unwrap();
    assert!(url.starts_with("otpauth://totp/") && url.contains(&secret), "{url}");

    // Ten minutes ahead: far outside the one step of skew.
    let late = totp_code(&secret, unix_now() + 600);
    let wrong =
        as_user(app, &tokens.access, Method::POST, "/v1/me/totp/confirm").json(&json!({"code": late}));
    assert_problem(wrong.send().await.unwrap(), 401, "invalid_totp").await;
    let code = seen.note(&totp_code(&secret, unix_now()));
    let (status, confirmed) = read(
        as_user(app, &tokens.access, Method::POST, "/v1/me/totp/confirm")
            .json(&json!({"code": code}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 200, "{confirmed}");
    let recovery: Vec<String> = confirmed["recovery_codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| seen.note(c.as_str().unwrap()))
        .collect();
    assert_eq!(recovery.len(), 10);
    assert_eq!(me(app, &tokens.access).await.1["totp_enabled"], true);

    assert_problem(try_login(app, seen, "cy@acme.test", PASSWORD, None).await, 401, "totp_required").await;
    // The confirmation spent the current step; the next step's code is accepted (one step of
    // skew) and spent in its turn.
    let next = totp_code(&secret, unix_now() + 30);
    let (status, body) = read(try_login(app, seen, "cy@acme.test", PASSWORD, Some(&next)).await).await;
    assert_eq!(status, 200, "{body}");
    Tokens::from_body(&body, seen);
    assert_problem(try_login(app, seen, "cy@acme.test", PASSWORD, Some(&next)).await, 401, "invalid_totp")
        .await;

    let (status, body) = read(try_login(app, seen, "cy@acme.test", PASSWORD, Some(&recovery[0])).await).await;
    assert_eq!(status, 200, "{body}");
    let with_recovery = Tokens::from_body(&body, seen);
    assert_eq!(me(app, &with_recovery.access).await.0, 200);
    assert_problem(
        try_login(app, seen, "cy@acme.test", PASSWORD, Some(&recovery[0])).await,
        401,
        "invalid_totp",
    )
    .await;

    let off = as_user(app, &with_recovery.access, Method::DELETE, "/v1/me/totp")
        .json(&json!({"code": recovery[1]}));
    assert_eq!(off.send().await.unwrap().status(), 204);
    login(app, seen, "cy@acme.test", PASSWORD).await;
}

pub async fn repeated_failed_logins_are_throttled_with_a_retry_after(app: &TestApp, seen: &Seen) {
    register(app, seen, "dee@acme.test", "dee-co").await;
    let wrong = seen.note("not the password at all");
    for _ in 0..5 {
        assert_problem(try_login(app, seen, "dee@acme.test", &wrong, None).await, 401, "invalid_credentials")
            .await;
    }
    let unknown = try_login(app, seen, "nobody@acme.test", &wrong, None).await;
    assert_problem(unknown, 401, "invalid_credentials").await;
    let throttled = try_login(app, seen, "DEE@acme.test", PASSWORD, None).await;
    let retry_after: u64 = throttled
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("a Retry-After in seconds");
    assert!((1..=900).contains(&retry_after), "{retry_after}");
    assert_problem(throttled, 429, "too_many_attempts").await;
    // The throttle is per address: another person on the same client address signs in.
    register(app, seen, "eve@acme.test", "eve-co").await;
    login(app, seen, "eve@acme.test", PASSWORD).await;
}

async fn session_lifecycle(app: &TestApp) {
    a_session_lives_from_registration_to_logout(app, &Seen::default()).await;
}

async fn password_reset(app: &TestApp) {
    a_forgotten_password_is_reset_from_the_outbox_message(app, &Seen::default()).await;
}

async fn two_factor(app: &TestApp) {
    two_factor_takes_a_code_or_a_recovery_code_once(app, &Seen::default()).await;
}

async fn throttling(app: &TestApp) {
    repeated_failed_logins_are_throttled_with_a_retry_after(app, &Seen::default()).await;
}

crate::on_every_backend!(session_lifecycle, password_reset, two_factor, throttling);
