//! The port conformance suite, plus the memory adapter's own concurrency and property tests.

use std::sync::Arc;

use async_trait::async_trait;
use tollgate_memory::{
    MemoryAddOns, MemoryApiKeys, MemoryBilling, MemoryIdentity, MemoryLoginAttempts, MemoryStore,
};
use tollgate_ports::conformance::{Backend, Fixture};

struct Memory {
    store: Arc<MemoryStore>,
    addons: Arc<MemoryAddOns>,
    identity: Arc<MemoryIdentity>,
    login_attempts: Arc<MemoryLoginAttempts>,
    billing: Arc<MemoryBilling>,
    api_keys: Arc<MemoryApiKeys>,
}

#[async_trait]
impl Fixture for Memory {
    fn backend(&self) -> Backend {
        Backend {
            accounts: self.store.clone(),
            subscriptions: self.store.clone(),
            plans: self.store.clone(),
            addons: self.addons.clone(),
            usage: self.store.clone(),
            retention: self.store.clone(),
            identity: self.identity.clone(),
            login_attempts: self.login_attempts.clone(),
            billing: self.billing.clone(),
            api_keys: self.api_keys.clone(),
        }
    }

    async fn teardown(self: Box<Self>) {}
}

async fn memory() -> Option<Box<dyn Fixture>> {
    let store = Arc::new(MemoryStore::new());
    let identity = Arc::new(MemoryIdentity::new(store.clone()));
    let billing = Arc::new(MemoryBilling::new(store.clone()));
    let addons = Arc::new(MemoryAddOns::new(store.clone()));
    let api_keys = Arc::new(MemoryApiKeys::new(store.clone()));
    Some(Box::new(Memory { store, addons, identity, login_attempts: Arc::default(), billing, api_keys }))
}

tollgate_ports::conformance_suite!(memory());

#[tokio::test]
async fn api_keys_keep_their_contract() {
    tollgate_ports::conformance::access::api_key_store_contract(&tollgate_memory::MemoryApiKeys::default())
        .await;
}

#[tokio::test]
async fn account_keys_keep_their_contract() {
    tollgate_ports::conformance::access::account_key_contract(&tollgate_memory::MemoryApiKeys::default())
        .await;
}

#[tokio::test]
async fn api_key_last_use_keeps_its_contract() {
    tollgate_ports::conformance::access::api_key_touch_contract(&tollgate_memory::MemoryApiKeys::default())
        .await;
}

#[tokio::test]
async fn idempotency_records_keep_their_contract() {
    let store = tollgate_memory::MemoryIdempotency::default();
    tollgate_ports::conformance::access::idempotency_store_contract(&store).await;
}

mod memory_only {
    use std::sync::Arc;

    use proptest::prelude::*;
    use time::macros::datetime;
    use tollgate_domain::{AccountKey, IdempotencyKey, MetricName, Quantity, WindowKey};
    use tollgate_memory::MemoryStore;
    use tollgate_ports::{Account, AccountRepository, UsageCommand, UsageRepository};

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread().build().expect("runtime")
    }

    fn store_with_account() -> (Arc<MemoryStore>, AccountKey) {
        let store = Arc::new(MemoryStore::new());
        let key = AccountKey::parse("acme").unwrap();
        let account = Account {
            key: key.clone(),
            name: "Acme".into(),
            email: None,
            created_at: datetime!(2026-01-01 0:00 UTC),
        };
        runtime().block_on(store.create(&account, None)).unwrap();
        (store, key)
    }

    fn command(key: &AccountKey, quantity: u64, cap: Option<u64>, idem: Option<String>) -> UsageCommand {
        UsageCommand {
            account: key.clone(),
            metric: MetricName::parse("tickets").unwrap(),
            window: WindowKey::parse("m:2026-01").unwrap(),
            quantity: Quantity::new(quantity).unwrap(),
            cap,
            idempotency_key: idem.map(|k| IdempotencyKey::parse(k).unwrap()),
            state_version: None,
            at: datetime!(2026-01-01 0:00 UTC),
        }
    }

    #[test]
    fn sixty_four_threads_of_fifty_consumes_get_exactly_the_limit() {
        let (store, key) = store_with_account();
        let threads: Vec<_> = (0..64)
            .map(|t| {
                let (store, key) = (store.clone(), key.clone());
                std::thread::spawn(move || {
                    let rt = runtime();
                    (0..50)
                        .filter(|i| {
                            let cmd = command(&key, 1, Some(1000), Some(format!("{t}-{i}")));
                            rt.block_on(store.consume(&cmd)).unwrap().applied
                        })
                        .count()
                })
            })
            .collect();
        let allowed: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(allowed, 1000);
        // Every key replayed three times more, from many threads: nothing more is counted.
        let replays: Vec<_> = (0..64)
            .map(|t| {
                let (store, key) = (store.clone(), key.clone());
                std::thread::spawn(move || {
                    let rt = runtime();
                    for _ in 0..3 {
                        for i in 0..50 {
                            let cmd = command(&key, 1, Some(1000), Some(format!("{t}-{i}")));
                            assert!(rt.block_on(store.consume(&cmd)).unwrap().replayed);
                        }
                    }
                })
            })
            .collect();
        replays.into_iter().for_each(|t| t.join().unwrap());
        let used = runtime().block_on(store.current(
            &key,
            &[{
                let cmd = command(&key, 1, None, None);
                (cmd.metric, cmd.window)
            }],
        ));
        assert_eq!(used.unwrap(), [1000]);
    }

    #[derive(Debug, Clone)]
    enum Op {
        Consume(u64, Option<u8>),
        Release(u64, Option<u8>),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            (1..20_u64, proptest::option::of(0..10_u8)).prop_map(|(q, k)| Op::Consume(q, k)),
            (1..20_u64, proptest::option::of(0..10_u8)).prop_map(|(q, k)| Op::Release(q, k)),
        ]
    }

    proptest! {
        #[test]
        fn the_store_matches_the_counter_model(cap in 0..60_u64, ops in prop::collection::vec(op(), 0..120)) {
            let (store, key) = store_with_account();
            let rt = runtime();
            let mut model = 0_u64;
            let mut seen = std::collections::HashMap::new();
            for op in ops {
                let (is_consume, q, k) = match op { Op::Consume(q, k) => (true, q, k), Op::Release(q, k) => (false, q, k) };
                let cmd = command(&key, q, Some(cap), k.map(|k| format!("k{k}")));
                let result = if is_consume { rt.block_on(store.consume(&cmd)) } else { rt.block_on(store.release(&cmd)) };
                match k.and_then(|k| seen.get(&k).cloned()) {
                    Some((same_kind, same_q, first)) => {
                        if same_kind == is_consume && same_q == q {
                            prop_assert_eq!(result.unwrap(), tollgate_ports::UsageOutcome { replayed: true, ..first });
                        } else {
                            prop_assert!(result.is_err());
                        }
                    }
                    None => {
                        let outcome = result.unwrap();
                        if is_consume {
                            if model + q <= cap { model += q; prop_assert!(outcome.applied); } else { prop_assert!(!outcome.applied); }
                        } else {
                            model -= q.min(model);
                        }
                        prop_assert_eq!(outcome.used, model);
                        if let Some(k) = k { seen.insert(k, (is_consume, q, outcome)); }
                    }
                }
                prop_assert!(model <= cap);
            }
        }
    }
}
