use std::path::PathBuf;
use std::sync::Arc;

use serde_json::{Value, json};
use time::macros::datetime;
use tollgate_domain::{AccountKey, Email, TokenPurpose};
use tollgate_memory::ManualClock;
use tollgate_ports::{Mail, Mailer, Message, Secret};

use super::OutboxMailer;

/// A fresh directory under the system's temp dir, removed when dropped.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).unwrap();
        Self(std::env::temp_dir().join(format!("tollgate-outbox-{name}-{:016x}", u64::from_be_bytes(nonce))))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mail(to: &str, template: TokenPurpose, token: &str) -> Mail {
    Mail {
        to: Email::parse(to).unwrap(),
        message: Message::Token { purpose: template, token: Secret::new(token) },
        name: None,
        account: None,
    }
}

/// The outbox's files, in name order, parsed.
fn messages(dir: &std::path::Path) -> Vec<(String, Value)> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let value = serde_json::from_slice(&std::fs::read(dir.join(&name)).unwrap()).unwrap();
            (name, value)
        })
        .collect()
}

#[tokio::test]
async fn each_message_is_one_json_file_with_the_contract_fields() {
    let dir = TempDir::new("fields");
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-01 12:00:00.5 UTC)));
    let outbox = OutboxMailer::new(dir.0.join("outbox"), clock).unwrap();
    let mut invitation = mail("bob@acme.test", TokenPurpose::Invitation, "tok_invite");
    invitation.account = Some(AccountKey::parse("acme").unwrap());
    invitation.name = Some("Bob".into());
    outbox.send(&invitation).await.unwrap();

    let files = messages(outbox.dir());
    assert_eq!(files.len(), 1);
    let (name, message) = &files[0];
    assert!(name.starts_with("20260301T120000.500000000Z-000000-"), "{name}");
    assert!(name.ends_with(".json"), "{name}");
    let keys: Vec<&String> = message.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 5, "{message}");
    assert_eq!(message["to"], "bob@acme.test");
    assert_eq!(message["template"], "invitation");
    assert_eq!(message["data"], json!({"token": "tok_invite", "account": "acme", "name": "Bob"}));
    assert_eq!(message["subject"], "You are invited to join acme on Tollgate");
    assert!(message["text"].as_str().unwrap().contains("tok_invite"));
}

#[tokio::test]
async fn data_holds_only_the_token_when_there_is_no_name_or_account() {
    let dir = TempDir::new("token-only");
    let outbox =
        OutboxMailer::new(&dir.0, Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)))).unwrap();
    outbox.send(&mail("ada@acme.test", TokenPurpose::PasswordReset, "tok_reset")).await.unwrap();
    let files = messages(&dir.0);
    assert_eq!(files[0].1["template"], "password_reset");
    assert_eq!(files[0].1["data"], json!({"token": "tok_reset"}));
}

#[tokio::test]
async fn names_sort_in_sending_order_even_within_one_instant() {
    let dir = TempDir::new("order");
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)));
    let outbox = OutboxMailer::new(&dir.0, clock.clone()).unwrap();
    for i in 0..12 {
        outbox
            .send(&mail("ada@acme.test", TokenPurpose::EmailVerification, &format!("tok_{i:02}")))
            .await
            .unwrap();
    }
    clock.advance(time::Duration::milliseconds(1));
    outbox.send(&mail("ada@acme.test", TokenPurpose::EmailVerification, "tok_later")).await.unwrap();
    let tokens: Vec<String> =
        messages(&dir.0).into_iter().map(|(_, m)| m["data"]["token"].as_str().unwrap().to_owned()).collect();
    let mut expected: Vec<String> = (0..12).map(|i| format!("tok_{i:02}")).collect();
    expected.push("tok_later".into());
    assert_eq!(tokens, expected);
}

#[tokio::test]
async fn two_mailers_on_one_directory_never_overwrite_each_other() {
    let dir = TempDir::new("shared");
    let at = datetime!(2026-03-01 0:00 UTC);
    let a = OutboxMailer::new(&dir.0, Arc::new(ManualClock::new(at))).unwrap();
    let b = OutboxMailer::new(&dir.0, Arc::new(ManualClock::new(at))).unwrap();
    for i in 0..5 {
        a.send(&mail("ada@acme.test", TokenPurpose::EmailVerification, &format!("tok_a{i}"))).await.unwrap();
        b.send(&mail("ada@acme.test", TokenPurpose::EmailVerification, &format!("tok_b{i}"))).await.unwrap();
    }
    assert_eq!(messages(&dir.0).len(), 10);
}

#[tokio::test]
async fn no_temporary_file_is_left_behind() {
    let dir = TempDir::new("temp");
    let outbox =
        OutboxMailer::new(&dir.0, Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)))).unwrap();
    outbox.send(&mail("ada@acme.test", TokenPurpose::PasswordReset, "tok_x")).await.unwrap();
    for entry in std::fs::read_dir(&dir.0).unwrap() {
        let name = entry.unwrap().file_name().into_string().unwrap();
        assert!(!name.starts_with('.') && name.ends_with(".json"), "{name}");
    }
}

#[tokio::test]
async fn a_vanished_directory_is_a_delivery_error() {
    let dir = TempDir::new("vanished");
    let outbox =
        OutboxMailer::new(&dir.0, Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)))).unwrap();
    std::fs::remove_dir_all(&dir.0).unwrap();
    let err =
        outbox.send(&mail("ada@acme.test", TokenPurpose::PasswordReset, "tok_secret")).await.unwrap_err();
    assert!(!err.to_string().contains("tok_secret"), "{err}");
}

#[test]
fn a_directory_that_cannot_be_created_is_a_setup_error() {
    let dir = TempDir::new("blocked");
    std::fs::write(&dir.0, b"a file, not a directory").unwrap();
    let clock = Arc::new(ManualClock::new(datetime!(2026-03-01 0:00 UTC)));
    assert!(matches!(OutboxMailer::new(dir.0.join("outbox"), clock), Err(crate::EmailError::Outbox { .. })));
    let _ = std::fs::remove_file(&dir.0);
}
