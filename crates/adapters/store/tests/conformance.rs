//! The port conformance suite on SQLite (a temp file) and PostgreSQL (a fresh database per test,
//! when `TOLLGATE_TEST_POSTGRES_URL` is set), plus the store's own tests.

use async_trait::async_trait;
use tollgate_ports::conformance::{Backend, Fixture};
use tollgate_store::testing::TestDatabase;
use tollgate_store::{Store, StoreConfig};

struct Db {
    store: Store,
    database: TestDatabase,
}

#[async_trait]
impl Fixture for Db {
    fn backend(&self) -> Backend {
        let store = std::sync::Arc::new(self.store.clone());
        Backend {
            accounts: store.clone(),
            subscriptions: store.clone(),
            plans: store.clone(),
            addons: store.clone(),
            usage: store.clone(),
            retention: store.clone(),
            billing: store,
            identity: std::sync::Arc::new(self.store.identity()),
            login_attempts: std::sync::Arc::new(self.store.login_attempts()),
            api_keys: std::sync::Arc::new(self.store.api_keys()),
        }
    }

    async fn teardown(self: Box<Self>) {
        self.store.close().await;
        self.database.drop_database().await;
    }
}

async fn open(database: TestDatabase) -> Db {
    let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
    store.migrate().await.expect("migrate");
    Db { store, database }
}

mod sqlite {
    use super::*;

    async fn fixture() -> Option<Box<dyn Fixture>> {
        Some(Box::new(open(TestDatabase::sqlite()).await))
    }

    tollgate_ports::conformance_suite!(fixture());
}

mod postgres {
    use super::*;

    async fn fixture() -> Option<Box<dyn Fixture>> {
        Some(Box::new(open(TestDatabase::postgres().await?).await))
    }

    tollgate_ports::conformance_suite!(fixture());
}

mod store {
    use std::time::Duration;

    use sea_orm::ConnectionTrait;
    use time::macros::datetime;
    use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, Quantity, WindowKey};
    use tollgate_ports::{
        Account, AccountRepository, ApiKeyStore, IdempotencyStore, StoreError, UsageCommand, UsageRepository,
    };

    use super::*;

    const MIGRATIONS: [&str; 9] = [
        "m20261123_000001_core",
        "m20261123_000002_api_keys",
        "m20261124_000001_state_version",
        "m20261202_000101_idempotency_owner",
        "m20261202_000201_identity",
        "m20261202_000301_account_keys",
        "m20261202_000401_addons",
        "m20261202_000501_billing",
        "m20261202_000601_identity_gaps",
    ];

    #[tokio::test]
    async fn api_keys_and_idempotency_records_keep_their_contracts() {
        for database in [Some(TestDatabase::sqlite()), TestDatabase::postgres().await].into_iter().flatten() {
            let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
            store.migrate().await.expect("migrate");
            tollgate_ports::conformance::access::api_key_store_contract(&store.api_keys()).await;
            tollgate_ports::conformance::access::idempotency_store_contract(&store.idempotency()).await;
            store.close().await;
            database.drop_database().await;
        }
    }

    #[tokio::test]
    async fn account_keys_keep_their_contract() {
        for database in [Some(TestDatabase::sqlite()), TestDatabase::postgres().await].into_iter().flatten() {
            let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
            store.migrate().await.expect("migrate");
            tollgate_ports::conformance::access::account_key_contract(&store.api_keys()).await;
            store.close().await;
            database.drop_database().await;
        }
    }

    #[tokio::test]
    async fn api_key_last_use_keeps_its_contract() {
        for database in [Some(TestDatabase::sqlite()), TestDatabase::postgres().await].into_iter().flatten() {
            let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
            store.migrate().await.expect("migrate");
            tollgate_ports::conformance::access::api_key_touch_contract(&store.api_keys()).await;
            store.close().await;
            database.drop_database().await;
        }
    }

    #[tokio::test]
    async fn api_keys_and_idempotency_records_are_unavailable_while_the_database_is_busy() {
        let (database, store) = TestDatabase::impatient_sqlite_store().await;
        // Another process holds SQLite's write lock past the busy timeout.
        let blocker = database.hold_write_lock().await;
        let at = datetime!(2026-01-01 0:00 UTC);
        let key = tollgate_domain::ApiKey {
            id: tollgate_domain::ApiKeyId::parse("key_busy").unwrap(),
            name: "busy".into(),
            role: tollgate_domain::Role::Service,
            account: None,
            scopes: Vec::new(),
            prefix: "tg_busy".into(),
            secret_hash: "busy".into(),
            created_at: at,
            expires_at: None,
            revoked_at: None,
            last_used_at: None,
        };
        let inserted = store.api_keys().insert(&key, &[]).await;
        assert!(matches!(inserted, Err(StoreError::Unavailable(_))), "{inserted:?}");
        let begun = store.idempotency().begin("s", "k", "o", "f", at, at).await;
        assert!(matches!(begun, Err(StoreError::Unavailable(_))), "{begun:?}");
        blocker.execute_unprepared("ROLLBACK").await.expect("unlock");
        let _ = blocker.close().await;
        store.close().await;
        database.drop_database().await;
    }

    #[tokio::test]
    async fn migrations_apply_once_and_report_their_status() {
        for database in [Some(TestDatabase::sqlite()), TestDatabase::postgres().await].into_iter().flatten() {
            let store = Store::connect(&StoreConfig::new(database.url.clone())).await.expect("connect");
            let before = store.migration_status().await.expect("status");
            assert!(before.applied.is_empty());
            assert_eq!(before.pending, MIGRATIONS);
            store.migrate().await.expect("migrate");
            store.migrate().await.expect("a second run is a no-op");
            let after = store.migration_status().await.expect("status");
            assert_eq!(after.applied, MIGRATIONS);
            assert!(after.pending.is_empty());
            store.close().await;
            database.drop_database().await;
        }
    }

    #[tokio::test]
    async fn an_unreachable_database_is_unavailable() {
        let mut config = StoreConfig::new("postgres://postgres@127.0.0.1:1/none");
        config.timeout = Duration::from_millis(500);
        assert!(matches!(Store::connect(&config).await, Err(StoreError::Unavailable(_))));
    }

    #[tokio::test]
    async fn a_consume_that_times_out_leaves_no_trace_and_its_retry_counts_once() {
        let (database, store) = TestDatabase::impatient_sqlite_store().await;
        let key = AccountKey::parse("acme").unwrap();
        let account = Account {
            key: key.clone(),
            name: "Acme".into(),
            email: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
        };
        store.create(&account, None).await.expect("create");
        let command = UsageCommand {
            account: key.clone(),
            metric: MetricName::parse("tickets").unwrap(),
            window: WindowKey::parse("m:2026-01").unwrap(),
            quantity: Quantity::new(1).unwrap(),
            cap: Some(10),
            idempotency_key: Some(IdempotencyKey::parse("once").unwrap()),
            state_version: None,
            at: datetime!(2026-01-01 0:00 UTC),
        };

        // Another process holds SQLite's write lock past the busy timeout.
        let blocker = database.hold_write_lock().await;
        let failed = store.consume(&command).await;
        assert!(matches!(failed, Err(StoreError::Unavailable(_))), "{failed:?}");
        blocker.execute_unprepared("ROLLBACK").await.expect("unlock");

        assert!(store.ledger(&key, 10).await.expect("ledger").is_empty(), "no trace of the failed consume");
        let retried = store.consume(&command).await.expect("retry");
        assert!(retried.applied && !retried.replayed, "the retry is applied, not replayed");
        assert!(store.consume(&command).await.expect("replay").replayed);
        let used =
            store.current(&key, &[(command.metric.clone(), command.window.clone())]).await.expect("current");
        assert_eq!(used, [1]);
        let _ = blocker.close().await;
        store.close().await;
        database.drop_database().await;
    }
}

mod races;
