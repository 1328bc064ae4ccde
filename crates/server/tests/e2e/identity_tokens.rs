//! The access-token attack set, each answered 401: `alg: none`, HS512 with the server's own
//! secret, another secret, expired, wrong `aud`, wrong `iss`, a revoked session's token, and
//! malformed headers. Forged tokens are signed here with `jsonwebtoken`; one signed exactly as the
//! server signs (HS256, its secret from `<data dir>/jwt-secret`) is accepted, so each refusal is
//! down to the one thing that differs.

use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem};
use crate::people::{PASSWORD, Seen, as_user, login, me, register};

/// The header `{"alg":"none","typ":"JWT"}`, base64url.
const ALG_NONE: &str = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// The server's HS256 key, read where it generated it.
fn server_secret(app: &TestApp, seen: &Seen) -> Vec<u8> {
    let text = std::fs::read_to_string(app.data_dir.join("jwt-secret")).expect("the generated jwt-secret");
    seen.note(text.trim());
    hex::decode(text.trim()).expect("a hex secret")
}

fn sign(algorithm: Algorithm, key: &[u8], claims: &Value) -> String {
    jsonwebtoken::encode(&Header::new(algorithm), claims, &EncodingKey::from_secret(key).expect("a key"))
        .expect("signed")
}

async fn refused(app: &TestApp, token: &str, what: &str) {
    let response = as_user(app, token, Method::GET, "/v1/me").send().await.unwrap();
    assert_eq!(response.status(), 401, "{what}");
    assert_problem(response, 401, "unauthorized").await;
}

pub async fn every_forged_expired_or_revoked_access_token_is_refused(app: &TestApp, seen: &Seen) {
    register(app, seen, "ivy@acme.test", "ivy-co").await;
    let tokens = login(app, seen, "ivy@acme.test", PASSWORD).await;
    let (_, user) = me(app, &tokens.access).await;
    let secret = server_secret(app, seen);
    let claims = |changes: Value| {
        let mut claims = json!({"iss": "tollgate", "aud": "tollgate", "sub": user["id"], "sid": tokens.session,
                                "iat": now(), "exp": now() + 600, "jti": "jti_e2e"});
        for (name, value) in changes.as_object().unwrap() {
            claims[name] = value.clone();
        }
        claims
    };
    let genuine = sign(Algorithm::HS256, &secret, &claims(json!({})));
    assert_eq!(me(app, &genuine).await.0, 200, "signed as the server signs, a token is accepted");

    let payload = genuine.split('.').nth(1).unwrap();
    refused(app, &format!("{ALG_NONE}.{payload}."), "alg: none").await;
    refused(app, &sign(Algorithm::HS512, &secret, &claims(json!({}))), "HS512 with the same secret").await;
    let other_secret = [7u8; 32];
    refused(app, &sign(Algorithm::HS256, &other_secret, &claims(json!({}))), "another secret").await;
    let expired = claims(json!({"iat": now() - 1200, "exp": now() - 300}));
    refused(app, &sign(Algorithm::HS256, &secret, &expired), "expired").await;
    refused(app, &sign(Algorithm::HS256, &secret, &claims(json!({"aud": "someone-else"}))), "wrong aud")
        .await;
    refused(app, &sign(Algorithm::HS256, &secret, &claims(json!({"iss": "someone-else"}))), "wrong iss")
        .await;
    refused(app, &sign(Algorithm::HS256, &secret, &claims(json!({"sid": "ses_unknown"}))), "no such session")
        .await;
    let mut tampered = genuine.clone();
    tampered.push('A');
    refused(app, &tampered, "a bad signature").await;

    // Malformed Authorization headers.
    for header in [
        "Bearer",
        "Bearer ",
        "Bearer a.b",
        "Bearer a.b.c",
        "Bearer ey.ey.ey",
        &format!("Basic {genuine}"),
        &format!("Bearer  {genuine} x"),
    ] {
        let response =
            app.anonymous(Method::GET, "/v1/me").header("Authorization", header).send().await.unwrap();
        assert_problem(response, 401, "unauthorized").await;
    }

    // Logout revokes the session: its tokens, the server's and ours, are refused from then on.
    let out = as_user(app, &tokens.access, Method::POST, "/v1/auth/logout").send().await.unwrap();
    assert_eq!(out.status(), 204);
    refused(app, &tokens.access, "a revoked session's token").await;
    refused(app, &genuine, "a revoked session's token, signed here").await;
}

async fn attack_set(app: &TestApp) {
    every_forged_expired_or_revoked_access_token_is_refused(app, &Seen::default()).await;
}

crate::on_every_backend!(attack_set);
