//! Routing cannot be used to get around authentication: every protected route of the served
//! route table, called without credentials through encoded, doubled, trailing, dot-segment and
//! upper-case spellings of its path, answers 401 or 404 and changes nothing.
//!
//! Requests go out as raw HTTP/1.1 so that the path reaches the server byte for byte (an HTTP
//! client library would normalise dot segments away).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp};

/// The status line's code of a raw request.
fn raw_status(base: &str, method: &str, path: &str, body: &str) -> u16 {
    let address = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(address).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/json\r\n\
         Idempotency-Key: bypass-{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        path.len(),
        body.len()
    );
    stream.write_all(request.as_bytes()).expect("send");
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("no status: {answer}"))
}

/// Other spellings of `path` that a lax router, or a check made on the raw path while the
/// router matches the decoded one, could confuse with it.
fn variants(path: &str) -> Vec<String> {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let join = |parts: &[String]| format!("/{}", parts.join("/"));
    let mut out = Vec::new();
    for (i, segment) in segments.iter().enumerate() {
        let mut parts: Vec<String> = segments.iter().map(|s| (*s).to_owned()).collect();
        // Each letter of the segment percent-encoded in turn, upper and lower hex.
        for (j, c) in segment.char_indices().filter(|(_, c)| c.is_ascii_alphabetic()) {
            for encoded in [format!("%{:02X}", c as u32), format!("%{:02x}", c as u32)] {
                parts[i] = format!("{}{encoded}{}", &segment[..j], &segment[j + 1..]);
                out.push(join(&parts));
            }
        }
        parts[i] = segment.to_uppercase();
        out.push(join(&parts));
        parts[i] = (*segment).to_owned();
        // A doubled slash before the segment, and a dot segment in front of it.
        let mut doubled = parts.clone();
        doubled[i] = format!("/{segment}");
        out.push(join(&doubled));
        let mut dotted = parts.clone();
        dotted[i] = format!("./{segment}");
        out.push(join(&dotted));
        let mut back = parts.clone();
        back[i] = format!("x/../{segment}");
        out.push(join(&back));
    }
    out.push(format!("{path}/"));
    out.push(path.to_uppercase());
    out.push(format!("/{}", path.trim_start_matches('/').replace('/', "%2F")));
    out.push(format!("/{path}"));
    out
}

/// The body a route might act on, so that a bypass would be visible in the state read back.
fn body_for(operation: &str) -> Value {
    match operation {
        "create_account" => json!({"key": "intruder", "name": "Intruder"}),
        "change_subscription" => json!({"plan": "pro"}),
        "cancel_subscription" => json!({"at_period_end": false}),
        "check" | "consume" | "release" => json!({"metric": "sites", "quantity": 1}),
        "create_api_key" => json!({"name": "intruder", "role": "admin"}),
        _ => json!({}),
    }
}

/// What an intruder could have changed, read with the admin key.
async fn state(app: &TestApp) -> Vec<Value> {
    let mut seen = Vec::new();
    for path in ["/v1/accounts/victim", "/v1/accounts/victim/usage", "/v1/api-keys", "/v1/accounts/intruder"]
    {
        let (status, body) = app.get(path).await;
        seen.push(json!({"path": path, "status": status, "body": body}));
    }
    seen
}

async fn no_spelling_of_a_protected_path_reaches_its_handler_without_credentials(backend: Backend) {
    let Some(app) = TestApp::spawn(backend).await else { return };
    app.create_account("victim", "free").await;
    app.consume("victim", "sites", 1).await;
    let before = state(&app).await;
    let (_, document) = app.get("/openapi.json").await;
    let mut protected = 0;
    for (template, operations) in document["paths"].as_object().expect("paths") {
        for (method, operation) in operations.as_object().expect("operations") {
            let public = operation["security"].as_array().is_some_and(Vec::is_empty);
            if public {
                continue;
            }
            protected += 1;
            let path =
                template.replace("{key}", "victim").replace("{id}", "key_operator").replace("{code}", "free");
            let id = operation["operationId"].as_str().unwrap_or_default();
            let body = body_for(id).to_string();
            let method = method.to_uppercase();
            let plain = raw_status(&app.base, &method, &path, &body);
            assert_eq!(plain, 401, "{method} {path} without credentials");
            for variant in variants(&path) {
                let status = raw_status(&app.base, &method, &variant, &body);
                assert!(
                    matches!(status, 401 | 404),
                    "{method} {variant} answered {status} without credentials"
                );
            }
        }
    }
    assert!(protected >= 10, "the table lists the protected routes ({protected})");
    assert_eq!(state(&app).await, before, "nothing changed");
}

#[tokio::test]
async fn no_spelling_of_a_protected_path_reaches_its_handler_without_credentials_on_sqlite() {
    no_spelling_of_a_protected_path_reaches_its_handler_without_credentials(Backend::Sqlite).await;
}

#[tokio::test]
async fn no_spelling_of_a_protected_path_reaches_its_handler_without_credentials_on_postgres() {
    no_spelling_of_a_protected_path_reaches_its_handler_without_credentials(Backend::Postgres).await;
}
