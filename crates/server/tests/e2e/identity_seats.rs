//! Seats and the people holding them, end to end: a deleted user's seats and an expired
//! invitation's seat come back (the latter swept by the server at start, after a restart a week
//! later), an invitation accepted by someone who has signed up meanwhile takes no name nor
//! password, and behind a trusted proxy the audit log records the forwarded client.

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, assert_problem, read};
use crate::identity_members::plans_with_seats;
use crate::people::{PASSWORD, Seen, as_user, login, mailed_token, me, post_public, register};

/// A server whose accounts start on `crew` (2 seats), with `settings` besides.
async fn spawn(backend: Backend, plans: &str, settings: &[(&str, &str)]) -> Option<TestApp> {
    let mut env = vec![
        ("TOLLGATE__PLANS__FILE".to_owned(), plans.to_owned()),
        ("TOLLGATE__PLANS__DEFAULT_PLAN".to_owned(), "crew".to_owned()),
    ];
    env.extend(settings.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())));
    TestApp::spawn_with(backend, Options { env, ..Options::default() }).await
}

async fn seats(app: &TestApp, account: &str) -> Value {
    let (status, usage) = app.get(&format!("/v1/accounts/{account}/usage")).await;
    assert_eq!(status, 200, "{usage}");
    usage["metrics"]["seats"]["current"].clone()
}

async fn add(app: &TestApp, access: &str, account: &str, email: &str) -> u16 {
    let path = format!("/v1/accounts/{account}/members");
    let request = as_user(app, access, Method::POST, &path).json(&json!({"email": email, "role": "member"}));
    request.send().await.unwrap().status().as_u16()
}

async fn logged(app: &TestApp, action: &str) -> usize {
    let (status, log) = app.get(&format!("/v1/admin/audit?action={action}")).await;
    assert_eq!(status, 200, "{log}");
    log["data"].as_array().map_or(0, Vec::len)
}

async fn seats_come_back(backend: Backend) {
    let plans = plans_with_seats().display().to_string();
    let Some(mut app) = spawn(backend, &plans, &[]).await else { return };
    let seen = Seen::default();
    register(&app, &seen, "frank@acme.test", "seated").await;
    register(&app, &seen, "gail@acme.test", "gail-co").await;
    let frank = login(&app, &seen, "frank@acme.test", PASSWORD).await;
    assert_eq!(add(&app, &frank.access, "seated", "gail@acme.test").await, 201);
    assert_eq!((seats(&app, "seated").await, seats(&app, "gail-co").await), (json!(2), json!(1)));

    let gail = login(&app, &seen, "gail@acme.test", PASSWORD).await;
    let gail_id = me(&app, &gail.access).await.1["id"].as_str().unwrap().to_owned();
    let deleted = app.admin(Method::DELETE, &format!("/v1/admin/users/{gail_id}")).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    assert_eq!(
        (seats(&app, "seated").await, seats(&app, "gail-co").await),
        (json!(1), json!(0)),
        "a deleted user's memberships end and give their seats back"
    );
    assert_eq!(logged(&app, "member.ended").await, 2);

    assert_eq!(add(&app, &frank.access, "seated", "hal@acme.test").await, 201);
    assert_eq!(seats(&app, "seated").await, json!(2), "a pending invitation holds a seat");
    let token = mailed_token(&app, &seen, "hal@acme.test", "invitation");

    // A week and a day later: the invitation expired unaccepted. Two instances start and sweep.
    let later = ("TOLLGATE__CLOCK__OFFSET_SECONDS", "691200");
    app.restart_with(&[("TOLLGATE__PLANS__FILE", &plans), ("TOLLGATE__PLANS__DEFAULT_PLAN", "crew"), later]);
    let peer = app.spawn_peer();
    let deadline = Instant::now() + Duration::from_secs(20);
    while seats(&app, "seated").await != json!(1) && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seats(&app, "seated").await, json!(1), "the expired invitation's seat came back");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(seats(&peer, "seated").await, json!(1), "once, whichever instance swept");
    assert_eq!(logged(&app, "invitation.expired").await, 1);
    let body = json!({"token": token, "name": "Hal", "password": seen.note("hal's own passphrase")});
    let late = app.anonymous(Method::POST, "/v1/auth/invitations/accept").json(&body);
    assert_problem(late.send().await.unwrap(), 400, "invalid_token").await;
}

#[tokio::test]
async fn seats_come_back_on_sqlite() {
    seats_come_back(Backend::Sqlite).await;
}

#[tokio::test]
async fn seats_come_back_on_postgres() {
    seats_come_back(Backend::Postgres).await;
}

async fn an_invitation_to_someone_who_signed_up_meanwhile_takes_no_name_nor_password(app: &mut TestApp) {
    let seen = Seen::default();
    register(app, &seen, "owner@acme.test", "joined").await;
    let owner = login(app, &seen, "owner@acme.test", PASSWORD).await;
    assert_eq!(add(app, &owner.access, "joined", "ivy@acme.test").await, 201);
    let token = mailed_token(app, &seen, "ivy@acme.test", "invitation");
    register(app, &seen, "ivy@acme.test", "ivy-co").await;

    let takeover = seen.note("chosen by whoever holds the token");
    let body = json!({"token": token, "name": "Mallory", "password": takeover});
    let refused = app.anonymous(Method::POST, "/v1/auth/invitations/accept").json(&body);
    let problem = assert_problem(refused.send().await.unwrap(), 422, "validation_failed").await;
    assert_eq!(problem["param"], "password", "{problem}");
    let body = json!({"token": token, "name": "Mallory"});
    let (status, problem) = post_public(app, "/v1/auth/invitations/accept", body).await;
    assert_eq!((status, &problem["param"]), (422, &json!("name")), "{problem}");

    let (status, joined) = post_public(app, "/v1/auth/invitations/accept", json!({"token": token})).await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["user"]["name"], "Ada Lovelace", "her own name: {joined}");
    let ivy = login(app, &seen, "ivy@acme.test", PASSWORD).await;
    let memberships = &me(app, &ivy.access).await.1["memberships"];
    assert_eq!(memberships.as_array().map(Vec::len), Some(2), "{memberships}");
}

crate::on_every_backend!(an_invitation_to_someone_who_signed_up_meanwhile_takes_no_name_nor_password);

/// The `ip` of the newest `user.login` event.
async fn login_ip(app: &TestApp, forwarded_for: &str) -> Value {
    let seen = Seen::default();
    register(app, &seen, "kim@acme.test", "kim-co").await;
    let login = app
        .anonymous(Method::POST, "/v1/auth/login")
        .header("X-Forwarded-For", forwarded_for)
        .json(&json!({"email": "kim@acme.test", "password": PASSWORD}));
    let (status, body) = read(login.send().await.unwrap()).await;
    assert_eq!(status, 200, "{body}");
    let (_, log) = app.get("/v1/admin/audit?action=user.login").await;
    log["data"][0]["ip"].clone()
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_audit_log_records_the_forwarded_client() {
    let settings = [("TOLLGATE__SERVER__TRUSTED_PROXIES".to_owned(), "10.9.9.9,127.0.0.1".to_owned())];
    let options = Options { env: settings.to_vec(), ..Options::default() };
    let app = TestApp::spawn_with(Backend::Sqlite, options).await.expect("SQLite is always available");
    assert_eq!(login_ip(&app, "192.0.2.1, 198.51.100.7").await, json!("198.51.100.7"));
    let direct = TestApp::spawn(Backend::Sqlite).await.expect("SQLite is always available");
    assert_eq!(login_ip(&direct, "198.51.100.7").await, json!("127.0.0.1"), "no trusted proxy: the peer");
}
