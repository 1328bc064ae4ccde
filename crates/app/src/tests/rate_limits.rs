//! Rate limits as the use case applies them: whose budget, which quota, what it reads.

use std::sync::Arc;

use tollgate_domain::{ApiKeyId, Caller, RateLimit, Request, Role, Scope, SessionId, UserId};
use tollgate_memory::{ManualClock, MemoryStore};
use tollgate_ports::{AccountRepository, MockAccountRepository, MockPaymentGateway};

use super::{draft, k, new_account, ports, quiet_notifier, settings};
use crate::{Settings, Tollgate};

fn member() -> Caller {
    Caller::User {
        user: UserId::parse("usr_1").unwrap(),
        session: SessionId::parse("ses_1").unwrap(),
        platform_admin: false,
        impersonator: None,
    }
}

fn account_key() -> Caller {
    Caller::AccountKey {
        id: ApiKeyId::parse("key_k").unwrap(),
        account: k("acme"),
        scopes: vec![Scope::Enforce],
    }
}

fn platform_key() -> Caller {
    Caller::PlatformKey { id: ApiKeyId::parse("key_p").unwrap(), role: Role::Service }
}

/// `acme` on `api` (2 a minute, burst 2) and `globex` on `free` (no rate limit), in `store`.
async fn accounts(store: &Arc<MemoryStore>, platform_per_minute: u32) -> Tollgate {
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let app = Tollgate::new(
        ports(store, store.clone(), clock, MockPaymentGateway::new(), quiet_notifier()),
        Settings { platform_rate_limit_per_minute: platform_per_minute, ..settings() },
    );
    app.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    let mut api = draft("api", "10", 0, Some(100), Some(1));
    api.rate_limit = Some(RateLimit { per_minute: 2, burst: 2 });
    app.publish_plan(api).await.unwrap();
    app.provision(new_account("acme", Some("api"))).await.unwrap();
    app.provision(new_account("globex", Some("free"))).await.unwrap();
    app
}

#[tokio::test]
async fn users_and_account_keys_share_their_account_plan_budget() {
    let app = accounts(&Arc::new(MemoryStore::new()), 0).await;
    let first = app.rate_limit(&member(), Some("acme")).await.unwrap().unwrap();
    assert_eq!((first.allowed, first.limit, first.remaining), (true, 2, 1));
    let second = app.rate_limit(&account_key(), None).await.unwrap().unwrap();
    assert_eq!((second.allowed, second.remaining), (true, 0), "the key's own account, the same budget");
    let refused = app.rate_limit(&member(), Some("acme")).await.unwrap().unwrap();
    assert_eq!((refused.allowed, refused.retry_after), (false, 30), "2 a minute: one every 30 s");
}

#[tokio::test]
async fn nothing_limits_what_no_plan_or_setting_names() {
    let app = accounts(&Arc::new(MemoryStore::new()), 0).await;
    assert_eq!(app.rate_limit(&member(), Some("globex")).await.unwrap(), None, "a plan without rate_limit");
    assert_eq!(app.rate_limit(&member(), None).await.unwrap(), None, "a route of no account");
    assert_eq!(app.rate_limit(&member(), Some("nobody")).await.unwrap(), None, "the route answers 404");
    assert_eq!(app.rate_limit(&member(), Some("not a key!")).await.unwrap(), None);
    assert_eq!(app.rate_limit(&platform_key(), Some("acme")).await.unwrap(), None, "the setting is 0");
}

#[tokio::test]
async fn platform_keys_are_limited_by_the_setting_not_by_the_account_plan() {
    let app = accounts(&Arc::new(MemoryStore::new()), 5).await;
    let status = app.rate_limit(&platform_key(), Some("acme")).await.unwrap().unwrap();
    assert_eq!((status.allowed, status.limit, status.remaining), (true, 5, 0), "burst: a tenth, at least 1");
    let refused = app.rate_limit(&platform_key(), Some("globex")).await.unwrap().unwrap();
    assert_eq!((refused.allowed, refused.retry_after), (false, 12));
    let user = app.rate_limit(&member(), Some("acme")).await.unwrap().unwrap();
    assert_eq!(user.remaining, 1, "the platform key spent nothing of acme's budget");
}

#[tokio::test]
async fn the_plan_comes_from_the_cached_state_decisions_read() {
    let store = Arc::new(MemoryStore::new());
    accounts(&store, 0).await;
    let state = store.state(&k("acme")).await.unwrap();
    let mut reads = MockAccountRepository::new();
    reads.expect_state().times(1).returning(move |_| Ok(state.clone()));
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let mut ports = ports(&store, store.clone(), clock, MockPaymentGateway::new(), quiet_notifier());
    ports.accounts = Arc::new(reads);
    let instance = Tollgate::new(ports, settings());

    assert!(instance.rate_limit(&account_key(), None).await.unwrap().unwrap().allowed);
    let request = Request::metric("tickets", 1).unwrap();
    assert!(instance.check(&k("acme"), &request).await.unwrap().allowed);
    assert!(instance.rate_limit(&member(), Some("acme")).await.unwrap().unwrap().allowed);
    // The mock fails the test on a second read of the account's state.
}
