//! Throwaway databases for tests: a SQLite file in the temp directory, or a uniquely named
//! PostgreSQL database (from `TOLLGATE_TEST_POSTGRES_URL`) that is dropped afterwards.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use sea_orm::{ConnectionTrait, Database, DatabaseConnection};

use crate::{Store, StoreConfig};

/// The environment variable naming the PostgreSQL server for tests.
pub const POSTGRES_URL_VAR: &str = "TOLLGATE_TEST_POSTGRES_URL";

fn unique_name(prefix: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    format!("{prefix}_{}_{}_{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A database that exists until [`TestDatabase::drop_database`] (or, for SQLite, until dropped).
#[derive(Debug)]
pub struct TestDatabase {
    /// The URL to connect to.
    pub url: String,
    kind: Kind,
}

#[derive(Debug)]
enum Kind {
    Sqlite(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDatabase {
    /// A fresh SQLite file.
    pub fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("{}.db", unique_name("tollgate")));
        Self { url: format!("sqlite://{}", path.display()), kind: Kind::Sqlite(path) }
    }

    /// A fresh PostgreSQL database, or `None` when `TOLLGATE_TEST_POSTGRES_URL` is unset.
    ///
    /// # Panics
    /// When the variable is set but the server cannot be reached: a configured backend that is
    /// down is a failure, never a skip.
    pub async fn postgres() -> Option<Self> {
        let base = std::env::var(POSTGRES_URL_VAR).ok().filter(|u| !u.is_empty())?;
        let name = unique_name("tollgate_test");
        let admin_url = with_database(&base, "postgres");
        let admin = Database::connect(admin_url.as_str())
            .await
            .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
        admin.execute_unprepared(&format!("CREATE DATABASE {name}")).await.expect("create test database");
        let _ = admin.close().await;
        Some(Self { url: with_database(&base, &name), kind: Kind::Postgres { admin_url, name } })
    }

    /// A migrated store on a fresh SQLite file that waits at most 300 ms for the database, for
    /// tests of what a busy database does.
    ///
    /// # Panics
    /// When the file cannot be opened or migrated.
    pub async fn impatient_sqlite_store() -> (Self, Store) {
        let database = Self::sqlite();
        let mut config = StoreConfig::new(database.url.clone());
        config.timeout = std::time::Duration::from_millis(300);
        let store = Store::connect(&config).await.expect("connect");
        store.migrate().await.expect("migrate");
        (database, store)
    }

    /// Another connection holding SQLite's write lock (`BEGIN IMMEDIATE`) until it is dropped or
    /// closed, as another process would.
    ///
    /// # Panics
    /// When the lock cannot be taken.
    pub async fn hold_write_lock(&self) -> DatabaseConnection {
        let blocker = Database::connect(self.url.as_str()).await.expect("connect");
        blocker.execute_unprepared("BEGIN IMMEDIATE").await.expect("lock");
        blocker
    }

    /// Removes the database (PostgreSQL: `DROP DATABASE … WITH (FORCE)`).
    pub async fn drop_database(self) {
        match &self.kind {
            Kind::Sqlite(path) => remove_sqlite(path),
            Kind::Postgres { admin_url, name } => {
                if let Ok(admin) = Database::connect(admin_url.as_str()).await {
                    let _ = admin
                        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                    let _ = admin.close().await;
                }
            }
        }
    }
}

fn remove_sqlite(path: &std::path::Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut file = path.as_os_str().to_owned();
        file.push(suffix);
        let _ = std::fs::remove_file(file);
    }
}

/// `base` (`postgres://user@host:port` with or without a database) pointing at `database`.
fn with_database(base: &str, database: &str) -> String {
    let (without_query, query) = base.split_once('?').map_or((base, None), |(b, q)| (b, Some(q)));
    let authority_start = without_query.find("://").map_or(0, |i| i + 3);
    let root = match without_query[authority_start..].find('/') {
        Some(slash) => &without_query[..authority_start + slash],
        None => without_query,
    };
    match query {
        Some(q) => format!("{root}/{database}?{q}"),
        None => format!("{root}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn database_urls_are_rewritten() {
        assert_eq!(
            super::with_database("postgres://postgres@127.0.0.1:5432", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            super::with_database("postgres://p@h/db?sslmode=disable", "x"),
            "postgres://p@h/x?sslmode=disable"
        );
    }
}
