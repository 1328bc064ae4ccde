//! People on the real server: registering, signing in, the outbox the server mails into, and a
//! record of every secret a test handled, so that the logs can be searched for them afterwards.

use std::path::PathBuf;
use std::sync::Mutex;

use reqwest::{Method, RequestBuilder};
use serde_json::{Value, json};

use crate::helpers::{TestApp, read};

/// Every password in these tests: long enough, and unlike anything a server would log.
pub const PASSWORD: &str = "correct horse battery staple";

/// The secrets a test has handled: passwords, tokens, keys, codes.
#[derive(Debug, Default)]
pub struct Seen(Mutex<Vec<String>>);

impl Seen {
    /// Remembers `secret` and gives it back.
    pub fn note(&self, secret: &str) -> String {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(secret.to_owned());
        secret.to_owned()
    }

    /// Everything remembered so far.
    pub fn all(&self) -> Vec<String> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// A session's tokens as `POST /v1/auth/login` answered them.
#[derive(Debug, Clone)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
    pub session: String,
}

impl Tokens {
    /// Reads a token pair, noting both tokens.
    pub fn from_body(body: &Value, seen: &Seen) -> Tokens {
        assert_eq!(body["token_type"], "Bearer", "{body}");
        assert_eq!(body["expires_in"], 900, "{body}");
        Tokens {
            access: seen.note(body["access_token"].as_str().expect("an access token")),
            refresh: seen.note(body["refresh_token"].as_str().expect("a refresh token")),
            session: body["session_id"].as_str().expect("a session id").to_owned(),
        }
    }
}

/// The outbox directory of the server (the default: under its data directory).
pub fn outbox(app: &TestApp) -> PathBuf {
    app.data_dir.join("outbox")
}

/// Every message in the outbox sent to `address`, oldest first (file names sort in send order).
pub fn mails_to(app: &TestApp, address: &str) -> Vec<Value> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(outbox(app)) {
        Ok(entries) => entries.map_while(Result::ok).map(|e| e.path()).collect(),
        Err(_) => Vec::new(),
    };
    files.retain(|p| {
        p.extension().is_some_and(|e| e == "json")
            && !p.file_name().is_some_and(|n| n.to_string_lossy().starts_with('.'))
    });
    files.sort();
    files
        .iter()
        .map(|p| serde_json::from_slice::<Value>(&std::fs::read(p).expect("an outbox file")).expect("JSON"))
        .filter(|m| m["to"] == address)
        .collect()
}

/// The newest message to `address`, which must be of `template`; its token is noted.
pub fn newest_mail(app: &TestApp, seen: &Seen, address: &str, template: &str) -> Value {
    let mail = mails_to(app, address).pop().unwrap_or_else(|| panic!("no mail to {address}"));
    assert_eq!(mail["template"], template, "{mail}");
    for member in ["subject", "text"] {
        assert!(mail[member].as_str().is_some_and(|s| !s.is_empty()), "{member} of {mail}");
    }
    seen.note(mail["data"]["token"].as_str().expect("a token in the mail"));
    mail
}

/// The token of the newest message of `template` to `address`.
pub fn mailed_token(app: &TestApp, seen: &Seen, address: &str, template: &str) -> String {
    newest_mail(app, seen, address, template)["data"]["token"].as_str().unwrap_or_default().to_owned()
}

/// A request with a user's access token.
pub fn as_user(app: &TestApp, access: &str, method: Method, path: &str) -> RequestBuilder {
    app.with_key(access, method, path)
}

/// `POST path` without credentials.
pub async fn post_public(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    read(app.anonymous(Method::POST, path).json(&body).send().await.expect("request")).await
}

/// Registers `address` (password [`PASSWORD`]) as owner of a new account `account`.
pub async fn register(app: &TestApp, seen: &Seen, address: &str, account: &str) -> Value {
    seen.note(PASSWORD);
    let body = json!({"email": address, "password": PASSWORD, "name": "Ada Lovelace",
                      "account": {"key": account, "name": account.to_uppercase()}});
    let (status, registered) = post_public(app, "/v1/auth/register", body).await;
    assert_eq!(status, 201, "{registered}");
    registered
}

/// `POST /v1/auth/login`, as answered.
pub async fn try_login(
    app: &TestApp,
    seen: &Seen,
    address: &str,
    password: &str,
    totp: Option<&str>,
) -> reqwest::Response {
    seen.note(password);
    let mut body = json!({"email": address, "password": password});
    if let Some(code) = totp {
        body["totp"] = json!(seen.note(code));
    }
    app.anonymous(Method::POST, "/v1/auth/login").json(&body).send().await.expect("request")
}

/// Signs `address` in with `password`: the session's tokens.
pub async fn login(app: &TestApp, seen: &Seen, address: &str, password: &str) -> Tokens {
    let (status, body) = read(try_login(app, seen, address, password, None).await).await;
    assert_eq!(status, 200, "{body}");
    Tokens::from_body(&body, seen)
}

/// `GET /v1/me` with `access`: the status and the user.
pub async fn me(app: &TestApp, access: &str) -> (u16, Value) {
    read(as_user(app, access, Method::GET, "/v1/me").send().await.expect("request")).await
}
