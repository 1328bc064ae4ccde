//! The other subcommands: `migrate` and `plans apply`.

use std::process::Stdio;

use tollgate_store::testing::TestDatabase;

use crate::helpers::{command, plans_file};

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
