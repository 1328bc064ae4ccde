//! Members end to end: an existing user added, a new person invited from the outbox, and a plan's
//! seat limit refusing one more with the upgrade that would allow it.

use std::path::PathBuf;

use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, assert_problem, plans_file, read, unique_dir};
use crate::people::{PASSWORD, Seen, as_user, login, mailed_token, newest_mail, post_public, register};

async fn members(app: &TestApp, access: &str, account: &str) -> Value {
    let path = format!("/v1/accounts/{account}/members");
    let (status, list) = read(as_user(app, access, Method::GET, &path).send().await.unwrap()).await;
    assert_eq!(status, 200, "{list}");
    list
}

/// The members and invitations listed, as `(email, role, status)`, sorted (the list is by user id).
fn rows(list: &Value) -> Vec<(String, String, String)> {
    let mut rows: Vec<_> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let text = |k: &str| m[k].as_str().unwrap_or_default().to_owned();
            (text("email"), text("role"), text("status"))
        })
        .collect();
    rows.sort();
    rows
}

async fn add(app: &TestApp, access: &str, account: &str, email: &str, role: &str) -> reqwest::Response {
    let path = format!("/v1/accounts/{account}/members");
    as_user(app, access, Method::POST, &path)
        .json(&json!({"email": email, "role": role}))
        .send()
        .await
        .unwrap()
}

fn row(email: &str, role: &str, status: &str) -> (String, String, String) {
    (email.to_owned(), role.to_owned(), status.to_owned())
}

pub async fn an_invited_person_accepts_and_appears_among_the_members(app: &TestApp, seen: &Seen) {
    register(app, seen, "owner@acme.test", "acme-team").await;
    register(app, seen, "bob@acme.test", "bob-co").await;
    let owner = login(app, seen, "owner@acme.test", PASSWORD).await;
    let bob = login(app, seen, "bob@acme.test", PASSWORD).await;
    let hidden =
        as_user(app, &bob.access, Method::GET, "/v1/accounts/acme-team/members").send().await.unwrap();
    assert_problem(hidden, 404, "account_not_found").await;

    let (status, added) = read(add(app, &owner.access, "acme-team", "bob@acme.test", "member").await).await;
    assert_eq!(
        (status, added["status"].as_str()),
        (201, Some("active")),
        "an existing user joins at once: {added}"
    );
    let (status, invited) =
        read(add(app, &owner.access, "acme-team", "Carol@Acme.test", "admin").await).await;
    assert_eq!((status, invited["status"].as_str()), (201, Some("invited")), "{invited}");
    assert_eq!(
        rows(&members(app, &bob.access, "acme-team").await),
        [
            row("bob@acme.test", "member", "active"),
            row("carol@acme.test", "admin", "invited"),
            row("owner@acme.test", "owner", "active"),
        ]
    );
    let refused = add(app, &bob.access, "acme-team", "dan@acme.test", "member").await;
    assert_problem(refused, 403, "forbidden").await;

    let mail = newest_mail(app, seen, "carol@acme.test", "invitation");
    assert_eq!(mail["data"]["account"], "acme-team", "{mail}");
    let token = mailed_token(app, seen, "carol@acme.test", "invitation");
    let password = seen.note("carol's very own passphrase");
    let body = json!({"token": token, "name": "Carol", "password": password});
    let (status, joined) = post_public(app, "/v1/auth/invitations/accept", body.clone()).await;
    assert_eq!(status, 201, "{joined}");
    assert_eq!(joined["account"], json!({"account": "acme-team", "role": "admin"}));
    assert_eq!(joined["user"]["email_verified"], true, "{joined}");
    let again = app.anonymous(Method::POST, "/v1/auth/invitations/accept").json(&body);
    assert_problem(again.send().await.unwrap(), 400, "invalid_token").await;

    assert_eq!(
        rows(&members(app, &owner.access, "acme-team").await),
        [
            row("bob@acme.test", "member", "active"),
            row("carol@acme.test", "admin", "active"),
            row("owner@acme.test", "owner", "active"),
        ]
    );
    let carol = login(app, seen, "carol@acme.test", &password).await;
    assert_eq!(
        crate::people::me(app, &carol.access).await.1["memberships"],
        json!([{"account": "acme-team", "role": "admin"}])
    );

    let owner_id = crate::people::me(app, &owner.access).await.1["id"].as_str().unwrap().to_owned();
    let leave =
        as_user(app, &owner.access, Method::DELETE, &format!("/v1/accounts/acme-team/members/{owner_id}"));
    assert_problem(leave.send().await.unwrap(), 409, "last_owner").await;
}

/// The repository's plans plus `crew` (2 seats, the default plan here) and `crew-plus` (10).
pub fn plans_with_seats() -> PathBuf {
    let dir = unique_dir();
    std::fs::create_dir_all(&dir).expect("create the plans directory");
    let mut plans = std::fs::read_to_string(plans_file()).expect("the plans file");
    for (code, price, seats) in [("crew", "5.00", 2), ("crew-plus", "20.00", 10)] {
        plans.push_str(&format!(
            "\n[[plans]]\ncode = \"{code}\"\nname = \"{code}\"\ndescription = \"seats for identity tests\"\n\
             price = {{ amount = \"{price}\", currency = \"USD\" }}\ninterval = \"month\"\n\
             features = {{ api_access = true }}\nlimits.seats = {{ max = {seats}, reset = \"never\" }}\n"
        ));
    }
    let file = dir.join("plans.toml");
    std::fs::write(&file, plans).expect("write the plans file");
    file
}

/// A server whose accounts start on `crew` (`None` when the backend is not configured).
pub async fn spawn_with_seats(backend: Backend, mut options: Options) -> Option<TestApp> {
    options.env.push(("TOLLGATE__PLANS__FILE".to_owned(), plans_with_seats().display().to_string()));
    options.env.push(("TOLLGATE__PLANS__DEFAULT_PLAN".to_owned(), "crew".to_owned()));
    TestApp::spawn_with(backend, options).await
}

/// On a server from [`spawn_with_seats`].
pub async fn past_the_seat_limit_a_member_is_refused_with_an_upgrade(app: &TestApp, seen: &Seen) {
    register(app, seen, "frank@acme.test", "seated").await;
    let frank = login(app, seen, "frank@acme.test", PASSWORD).await;
    let (status, usage) = app.get("/v1/accounts/seated/usage").await;
    assert_eq!(
        (status, &usage["metrics"]["seats"]["current"]),
        (200, &json!(1)),
        "the owner holds a seat: {usage}"
    );
    assert_eq!(add(app, &frank.access, "seated", "gail@acme.test", "member").await.status(), 201);

    let in_french = as_user(app, &frank.access, Method::POST, "/v1/accounts/seated/members")
        .header("Accept-Language", "fr")
        .json(&json!({"email": "hal@acme.test", "role": "member"}));
    let problem = assert_problem(in_french.send().await.unwrap(), 409, "seat_limit_reached").await;
    let message = problem["decision"]["message"].as_str().unwrap_or_default().to_owned();
    assert!(message.starts_with("Limite"), "the decision speaks French too: {problem}");
    let full = add(app, &frank.access, "seated", "hal@acme.test", "member").await;
    let problem = assert_problem(full, 409, "seat_limit_reached").await;
    assert_ne!(problem["decision"]["message"].as_str(), Some(message.as_str()), "and English by default");
    let decision = &problem["decision"];
    assert_eq!(
        (&decision["allowed"], &decision["code"]),
        (&json!(false), &json!("limit_reached")),
        "{problem}"
    );
    assert_eq!((&decision["used"], &decision["limit"]), (&json!(2), &json!(2)), "{problem}");
    assert_eq!(decision["upgrade"]["plan"], "crew-plus", "{problem}");
    assert!(crate::people::mails_to(app, "hal@acme.test").is_empty(), "no invitation went out");
    let list = members(app, &frank.access, "seated").await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2, "{list}");

    let (status, sub) =
        app.put_json("/v1/accounts/seated/subscription", json!({"plan": "crew-plus"}), None).await;
    assert_eq!(status, 200, "{sub}");
    assert_eq!(
        add(app, &frank.access, "seated", "hal@acme.test", "member").await.status(),
        201,
        "after the upgrade"
    );
}

async fn invitation(app: &TestApp) {
    an_invited_person_accepts_and_appears_among_the_members(app, &Seen::default()).await;
}

crate::on_every_backend!(invitation);

async fn seat_limit(backend: Backend) {
    if let Some(app) = spawn_with_seats(backend, Options::default()).await {
        past_the_seat_limit_a_member_is_refused_with_an_upgrade(&app, &Seen::default()).await;
    }
}

#[tokio::test]
async fn seat_limit_on_sqlite() {
    seat_limit(Backend::Sqlite).await;
}

#[tokio::test]
async fn seat_limit_on_postgres() {
    seat_limit(Backend::Postgres).await;
}
