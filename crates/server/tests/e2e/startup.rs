//! Instances started at the same moment on a fresh database all come up: the migrations take
//! turns under a database-wide lock.

use std::path::PathBuf;
use std::process::Child;
use std::sync::{Arc, Barrier};

use reqwest::Method;
use tollgate_store::testing::TestDatabase;

use crate::helpers::{ADMIN_KEY, read, start, unique_dir};

const INSTANCES: usize = 4;

/// Starts [`INSTANCES`] servers on `database` at the same moment; each one's child, base URL and
/// data directory, or its logs when it did not come up.
fn start_together(database: &TestDatabase) -> Vec<Result<(Child, String, PathBuf), String>> {
    let barrier = Arc::new(Barrier::new(INSTANCES));
    let threads: Vec<_> = (0..INSTANCES)
        .map(|_| {
            let (url, barrier) = (database.url.clone(), barrier.clone());
            std::thread::spawn(move || {
                let dir = unique_dir();
                std::fs::create_dir_all(&dir).expect("create the data directory");
                barrier.wait();
                start(&url, &dir, Some(ADMIN_KEY), &[]).map(|(child, base, _)| (child, base, dir))
            })
        })
        .collect();
    threads.into_iter().map(|t| t.join().unwrap_or_else(|_| Err("the starter panicked".into()))).collect()
}

async fn instances_started_together_all_come_up(database: TestDatabase) {
    let started = start_together(&database);
    let client = reqwest::Client::new();
    let mut failures = Vec::new();
    for (i, outcome) in started.iter().enumerate() {
        match outcome {
            Ok((_, base, _)) => {
                let response = client.request(Method::GET, format!("{base}/health/ready")).send().await;
                match response {
                    Ok(response) => {
                        let (status, body) = read(response).await;
                        if status != 200 {
                            failures.push(format!("instance {i} not ready: {status} {body}"));
                        }
                    }
                    Err(error) => failures.push(format!("instance {i} unreachable: {error}")),
                }
            }
            Err(logs) => failures.push(format!("instance {i} did not start:\n{logs}")),
        }
    }
    // Every instance serves the same data: an account created through one is seen by the others.
    if failures.is_empty() {
        let bases: Vec<_> = started.iter().flatten().map(|(_, base, _)| base.clone()).collect();
        let created = client
            .post(format!("{}/v1/accounts", bases[0]))
            .bearer_auth(ADMIN_KEY)
            .json(&serde_json::json!({"key": "acme", "name": "Acme", "plan": "free"}))
            .send()
            .await
            .expect("create");
        assert_eq!(created.status().as_u16(), 201);
        for base in &bases[1..] {
            let response = client
                .get(format!("{base}/v1/accounts/acme"))
                .bearer_auth(ADMIN_KEY)
                .send()
                .await
                .expect("get");
            if response.status().as_u16() != 200 {
                failures.push(format!("{base} does not see the account: {}", response.status()));
            }
        }
    }
    for (mut child, _, dir) in started.into_iter().flatten() {
        let _ = child.kill();
        let _ = child.wait();
        let _ = std::fs::remove_dir_all(dir);
    }
    database.drop_database().await;
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_started_together_on_a_fresh_postgres_database_all_come_up() {
    if let Some(database) = TestDatabase::postgres().await {
        instances_started_together_all_come_up(database).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_instances_started_together_on_a_fresh_sqlite_file_all_come_up() {
    instances_started_together_all_come_up(TestDatabase::sqlite()).await;
}
