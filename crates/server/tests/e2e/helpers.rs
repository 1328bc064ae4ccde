//! Spawning the real `tollgate` binary on port 0 against a fresh database, and speaking HTTP to it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

use reqwest::{Method, RequestBuilder, Response};
use serde_json::Value;
use tollgate_store::testing::TestDatabase;

/// The operator key the servers are started with (unless a test wants it generated).
pub const ADMIN_KEY: &str = "tg_e2e_operator_key_0123456789abcdef";

/// The database a test runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// A fresh SQLite file.
    Sqlite,
    /// A fresh PostgreSQL database (when `TOLLGATE_TEST_POSTGRES_URL` is set).
    Postgres,
}

/// How to start the server.
#[derive(Debug, Clone)]
pub struct Options {
    /// `TOLLGATE_ADMIN_API_KEY`; `None` lets the server generate one.
    pub admin_key: Option<String>,
    /// Settings as `TOLLGATE__SECTION__KEY` variables, over the test defaults.
    pub env: Vec<(String, String)>,
}

impl Default for Options {
    fn default() -> Self {
        Self { admin_key: Some(ADMIN_KEY.to_owned()), env: Vec::new() }
    }
}

/// A running server.
pub struct TestApp {
    /// `http://127.0.0.1:PORT`.
    pub base: String,
    /// The operator key in force.
    pub admin_key: String,
    /// The data directory.
    pub data_dir: PathBuf,
    client: reqwest::Client,
    child: Option<Child>,
    database: Option<TestDatabase>,
    logs: Arc<Mutex<String>>,
    env: Vec<(String, String)>,
}

/// The fake gateway's webhook secret every test server runs with.
pub const FAKE_WEBHOOK_SECRET: &str = "whsec_e2e_fake_gateway";

/// A path no test has used, under the system temporary directory (not created).
pub fn unique_dir() -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    std::env::temp_dir().join(format!(
        "tollgate-e2e-{}-{}-{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A new idempotency key.
pub fn fresh_key() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("key-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// The plans file of the repository.
pub fn plans_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/plans.toml")
}

/// A command running the binary with a test's environment (settings through `TOLLGATE__…`).
pub fn command(database_url: &str, data_dir: &PathBuf) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_tollgate"));
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("TOLLGATE_") {
            command.env_remove(name);
        }
    }
    command
        .current_dir(data_dir)
        .env("TOLLGATE__SERVER__BIND", "127.0.0.1:0")
        .env("TOLLGATE__SERVER__WORKERS", "2")
        .env("TOLLGATE__DATABASE__URL", database_url)
        .env("TOLLGATE__DATA_DIR", data_dir)
        .env("TOLLGATE__PLANS__FILE", plans_file())
        .env("TOLLGATE__BILLING__GATEWAYS__FAKE__WEBHOOK_SECRET", FAKE_WEBHOOK_SECRET)
        // Tests run the billing themselves (`tollgate billing run --at`), at the instants they choose.
        .env("TOLLGATE__BILLING__RUN_INTERVAL_SECONDS", "0")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null());
    command
}

/// Starts `tollgate serve` and waits for its `listening on` line: the process, its base URL and
/// its logs, or the logs when it did not start.
pub fn start(
    database_url: &str,
    data_dir: &PathBuf,
    admin_key: Option<&str>,
    env: &[(String, String)],
) -> Result<(Child, String, Arc<Mutex<String>>), String> {
    let mut command = command(database_url, data_dir);
    command.arg("serve").stdout(Stdio::piped()).stderr(Stdio::piped());
    if let Some(key) = admin_key {
        command.env("TOLLGATE_ADMIN_API_KEY", key);
    }
    command.envs(env.iter().map(|(name, value)| (name, value)));
    let mut child = command.spawn().expect("spawn the tollgate binary");

    let logs = Arc::new(Mutex::new(String::new()));
    let stderr = child.stderr.take().expect("stderr");
    let sink = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let mut logs = sink.lock().unwrap_or_else(|p| p.into_inner());
            logs.push_str(&line);
            logs.push('\n');
        }
    });
    let stdout = child.stdout.take().expect("stdout");
    let (sender, receiver) = mpsc::channel();
    let sink = logs.clone();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(stdout).lines();
        for line in lines.by_ref().map_while(Result::ok) {
            if let Some(address) = line.split("listening on ").nth(1) {
                let _ = sender.send(address.trim().to_owned());
                break;
            }
            sink.lock().unwrap_or_else(|p| p.into_inner()).push_str(&line);
        }
        // Keep draining so the server never blocks on a full pipe.
        for _ in lines {}
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(base) => {
            assert!(base.starts_with("http://127.0.0.1:"), "{base}");
            Ok((child, base, logs))
        }
        Err(_) => {
            let _ = child.kill();
            let status = child.wait().ok();
            std::thread::sleep(Duration::from_millis(100));
            let logs = logs.lock().unwrap_or_else(|p| p.into_inner()).clone();
            Err(format!("exit status {status:?}\n{logs}"))
        }
    }
}

impl TestApp {
    /// Starts a server on `backend`, or `None` when that backend is not configured.
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        Self::spawn_with(backend, Options::default()).await
    }

    /// Starts a server on `backend` with `options`.
    pub async fn spawn_with(backend: Backend, options: Options) -> Option<TestApp> {
        let database = match backend {
            Backend::Sqlite => TestDatabase::sqlite(),
            Backend::Postgres => TestDatabase::postgres().await?,
        };
        let data_dir = unique_dir();
        std::fs::create_dir_all(&data_dir).expect("create the data directory");
        let (child, base, logs) =
            match start(&database.url, &data_dir, options.admin_key.as_deref(), &options.env) {
                Ok(started) => started,
                Err(logs) => {
                    database.drop_database().await;
                    panic!("the server did not start:\n{logs}");
                }
            };
        let admin_key = match options.admin_key {
            Some(key) => key,
            None => std::fs::read_to_string(data_dir.join("admin-api-key"))
                .expect("the generated admin key file")
                .trim()
                .to_owned(),
        };
        let client = reqwest::Client::builder().timeout(Duration::from_secs(30)).build().expect("client");
        Some(TestApp {
            base,
            admin_key,
            data_dir,
            client,
            child: Some(child),
            database: Some(database),
            logs,
            env: options.env,
        })
    }

    /// Another server process on the same database (a second instance behind a load balancer).
    pub fn spawn_peer(&self) -> TestApp {
        let url = self.database_url();
        let data_dir = unique_dir();
        std::fs::create_dir_all(&data_dir).expect("create the data directory");
        let (child, base, logs) =
            start(&url, &data_dir, Some(&self.admin_key), &self.env).unwrap_or_else(|logs| {
                panic!("the peer did not start:\n{logs}");
            });
        TestApp {
            base,
            admin_key: self.admin_key.clone(),
            data_dir,
            client: self.client.clone(),
            child: Some(child),
            database: None,
            logs,
            env: self.env.clone(),
        }
    }

    /// The database this server runs on.
    pub fn database_url(&self) -> String {
        self.database.as_ref().map(|d| d.url.clone()).expect("the first server owns the database")
    }

    /// Kills the server with SIGKILL (no shutdown at all) and waits for it to be gone.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts the server again on the same database and data directory.
    pub fn restart(&mut self) {
        self.kill_hard();
        let (child, base, logs) =
            start(&self.database_url(), &self.data_dir, Some(&self.admin_key), &self.env)
                .unwrap_or_else(|logs| panic!("the server did not restart:\n{logs}"));
        self.child = Some(child);
        self.base = base;
        self.logs = logs;
    }

    /// Starts the server again on the same database and data directory with `settings`
    /// (`TOLLGATE__…` variables) replacing the ones it was started with: what an operator does
    /// to change a setting.
    pub fn restart_with(&mut self, settings: &[(&str, &str)]) {
        self.env = settings.iter().map(|(name, value)| ((*name).to_owned(), (*value).to_owned())).collect();
        self.restart();
    }

    /// What the server logged so far.
    pub fn logs(&self) -> String {
        self.logs.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }

    /// Waits for the server to exit by itself (after a signal), at most `timeout`.
    pub fn wait_for_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let child = self.child.as_mut()?;
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = child.try_wait() {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    /// A request without credentials.
    pub fn anonymous(&self, method: Method, path: &str) -> RequestBuilder {
        self.client.request(method, format!("{}{path}", self.base))
    }

    /// A request with the operator's key.
    pub fn admin(&self, method: Method, path: &str) -> RequestBuilder {
        self.with_key(&self.admin_key, method, path)
    }

    /// A request with `key`.
    pub fn with_key(&self, key: &str, method: Method, path: &str) -> RequestBuilder {
        self.anonymous(method, path).bearer_auth(key)
    }

    /// `POST path` as the operator with a JSON body and an idempotency key.
    pub async fn post(&self, path: &str, body: Value, idempotency_key: Option<&str>) -> (u16, Value) {
        let mut request = self.admin(Method::POST, path).json(&body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        read(request.send().await.expect("request")).await
    }

    /// `PUT path` as the operator with a JSON body and an idempotency key.
    pub async fn put_json(&self, path: &str, body: Value, idempotency_key: Option<&str>) -> (u16, Value) {
        let mut request = self.admin(Method::PUT, path).json(&body);
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        read(request.send().await.expect("request")).await
    }

    /// `GET path` as the operator.
    pub async fn get(&self, path: &str) -> (u16, Value) {
        read(self.admin(Method::GET, path).send().await.expect("request")).await
    }

    /// Creates an account on `plan` and checks it was created.
    pub async fn create_account(&self, key: &str, plan: &str) -> Value {
        let body = serde_json::json!({"key": key, "name": key.to_uppercase(), "email": "ops@acme.test", "plan": plan});
        let (status, account) = self.post("/v1/accounts", body, None).await;
        assert_eq!(status, 201, "{account}");
        account
    }

    /// Consumes `quantity` of `metric` with a fresh idempotency key; returns the decision.
    pub async fn consume(&self, account: &str, metric: &str, quantity: u64) -> Value {
        let key = fresh_key();
        let body = serde_json::json!({"metric": metric, "quantity": quantity});
        let (status, decision) =
            self.post(&format!("/v1/accounts/{account}/consume"), body, Some(&key)).await;
        assert_eq!(status, 200, "{decision}");
        decision
    }
}

/// The status and JSON body of a response (`Null` when the body is not JSON).
pub async fn read(response: Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let bytes = response.bytes().await.expect("body");
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null))
}

/// Asserts a problem answer: the status, the content type and the `code`.
pub async fn assert_problem(response: Response, status: u16, code: &str) -> Value {
    let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap_or("").to_owned());
    let (actual, body) = read(response).await;
    assert_eq!((actual, body["code"].as_str()), (status, Some(code)), "{body}");
    assert_eq!(content_type.as_deref(), Some("application/problem+json"));
    for member in ["type", "title", "status", "detail", "code"] {
        assert!(body.get(member).is_some(), "problem member {member} in {body}");
    }
    body
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        if std::thread::panicking() {
            eprintln!("--- server logs ---\n{}", self.logs());
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
        if let Some(database) = self.database.take() {
            // Dropping a PostgreSQL database is async: do it on a runtime of its own thread, so
            // that it also happens when the test panicked.
            let _ = std::thread::spawn(move || {
                if let Ok(runtime) = tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    runtime.block_on(database.drop_database());
                }
            })
            .join();
        }
    }
}

/// Runs each scenario `async fn name(app: &TestApp)` of the calling module on SQLite and, when
/// `TOLLGATE_TEST_POSTGRES_URL` is set, on PostgreSQL, each against its own server and database.
/// Scenarios take `app: &TestApp`, or `app: &mut TestApp` to restart the server.
#[macro_export]
macro_rules! on_every_backend {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    let mut app = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Sqlite)
                        .await
                        .expect("SQLite is always available");
                    super::$name(&mut app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $name() {
                    if let Some(mut app) = $crate::helpers::TestApp::spawn($crate::helpers::Backend::Postgres).await {
                        super::$name(&mut app).await;
                    }
                }
            )*
        }
    };
}
