//! The other subcommands: `migrate` and `plans apply`.

use std::process::Stdio;

use tollgate_store::testing::TestDatabase;

use crate::helpers::{command, plans_file, unique_dir};

fn run(database_url: &str, args: &[&str]) -> (bool, String, String) {
    let dir = std::env::temp_dir();
    let output = command(database_url, &dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run the tollgate binary");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

async fn migrate_then_apply_plans_idempotently(database: TestDatabase) {
    let url = database.url.clone();
    let (ok, out, err) = run(&url, &["migrate", "--status"]);
    assert!(ok, "{err}");
    assert!(out.contains("pending  m20261123_000001_core"), "{out}");
    let (ok, out, err) = run(&url, &["migrate"]);
    assert!(ok, "{err}");
    assert!(out.contains("applied  m20261123_000001_core") && out.contains("up to date"), "{out}");

    let file = plans_file();
    let file = file.to_str().unwrap();
    let (ok, out, err) = run(&url, &["plans", "apply", file]);
    assert!(ok, "{err}");
    assert_eq!(out.matches("published").count(), 5, "{out}");
    let (ok, out, err) = run(&url, &["plans", "apply", file]);
    assert!(ok, "{err}");
    assert_eq!(out.matches("unchanged").count(), 5, "applying twice changes nothing: {out}");

    let (ok, _, err) = run(&url, &["plans", "apply", "/nonexistent/plans.toml"]);
    assert!(!ok && err.contains("plans.toml"), "{err}");
    database.drop_database().await;
}

#[tokio::test]
async fn migrate_and_plans_apply_work_on_sqlite() {
    migrate_then_apply_plans_idempotently(TestDatabase::sqlite()).await;
}

#[tokio::test]
async fn migrate_and_plans_apply_work_on_postgres() {
    if let Some(database) = TestDatabase::postgres().await {
        migrate_then_apply_plans_idempotently(database).await;
    }
}

#[test]
fn unknown_settings_are_refused() {
    let dir = std::env::temp_dir();
    let output = command("sqlite::memory:", &dir)
        .env("TOLLGATE__SERVER__BINDD", "typo")
        .args(["migrate", "--status"])
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("bindd"));
}

/// A generated operator key whose file cannot be written is revoked: the next start, with the
/// directory fixed, generates one again instead of locking the operator out.
#[test]
fn an_operator_key_that_cannot_be_written_is_not_kept() {
    let database = TestDatabase::sqlite();
    let dir = unique_dir();
    let file = dir.join("admin-api-key");
    std::fs::create_dir_all(&file).expect("a directory where the key file goes");
    let output = command(&database.url, &dir).arg("serve").output().expect("run");
    assert!(!output.status.success(), "the server does not run without a way in");
    assert!(String::from_utf8_lossy(&output.stderr).contains("admin-api-key"));

    std::fs::remove_dir(&file).expect("fix the directory");
    let mut server = command(&database.url, &dir)
        .arg("serve")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("run");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !file.is_file() && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let _ = server.kill();
    let _ = server.wait();
    let key = std::fs::read_to_string(&file).unwrap_or_default();
    assert!(key.trim().starts_with("tg_"), "a new key was generated and written");
}
