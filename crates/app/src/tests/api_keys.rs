//! API keys: creation, listing, revocation, the operator's key, and authenticating callers.

mod account;

use std::sync::Arc;

use tollgate_domain::{ApiKey, ApiKeyId, Caller, Role};
use tollgate_memory::{ManualClock, MemoryApiKeys, MemoryStore};
use tollgate_ports::{ApiKeyStore, Clock, MockPaymentGateway, Secret, StoreError};

use super::{ports, quiet_notifier, settings};
use crate::{AppError, NewApiKey, OPERATOR_KEY_ID, OperatorKey, Origin, Tollgate};

/// Tollgate with its API keys in `keys`, so a test can look behind the use cases.
fn tollgate(keys: &Arc<MemoryApiKeys>) -> Tollgate {
    tollgate_at(keys, &Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC))))
}

/// Tollgate with its API keys in `keys`, on `clock`.
fn tollgate_at(keys: &Arc<MemoryApiKeys>, clock: &Arc<ManualClock>) -> Tollgate {
    let store = Arc::new(MemoryStore::new());
    let mut ports = ports(&store, store.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    ports.api_keys = keys.clone();
    Tollgate::new(ports, settings())
}

fn id(id: &str) -> ApiKeyId {
    ApiKeyId::parse(id).unwrap()
}

/// The operator's key as a caller.
fn operator() -> Caller {
    Caller::PlatformKey { id: id(OPERATOR_KEY_ID), role: Role::Admin }
}

fn named(name: &str) -> NewApiKey {
    NewApiKey { name: name.to_owned(), expires_at: None }
}

/// A platform key created by the operator.
async fn create(app: &Tollgate, name: &str, role: Role) -> Result<(ApiKey, Secret), AppError> {
    app.create_api_key(&operator(), named(name), role, &Origin::default()).await
}

async fn revoke(app: &Tollgate, key: &ApiKeyId) -> Result<ApiKey, AppError> {
    app.revoke_api_key(&operator(), key, &Origin::default()).await
}

#[tokio::test]
async fn the_operator_key_is_bootstrapped_once() {
    let app = tollgate(&Arc::default());
    let OperatorKey::Generated(first) = app.bootstrap_operator_key(None).await.unwrap() else {
        panic!("a key is generated on first start");
    };
    assert_eq!(app.bootstrap_operator_key(None).await.unwrap(), OperatorKey::Existing);
    assert!(app.authenticate(first.expose()).await.unwrap().unwrap().is_platform_admin());

    let env = Secret::new("operator-chosen");
    assert_eq!(app.bootstrap_operator_key(Some(&env)).await.unwrap(), OperatorKey::FromEnvironment);
    assert_eq!(app.authenticate(first.expose()).await.unwrap(), None, "the environment key replaces it");
    let operator = app.authenticate("operator-chosen").await.unwrap().unwrap();
    assert!(
        matches!(operator, Caller::PlatformKey { id, role: Role::Admin } if id.as_str() == OPERATOR_KEY_ID)
    );
}

#[tokio::test]
async fn unknown_credentials_are_no_one() {
    let app = tollgate(&Arc::default());
    for credential in ["tg_unknown", "", "Bearer tg_unknown"] {
        assert_eq!(app.authenticate(credential).await.unwrap(), None, "{credential:?}");
    }
}

#[tokio::test]
async fn created_keys_show_their_secret_once_and_store_only_its_fingerprint() {
    let keys = Arc::new(MemoryApiKeys::default());
    let app = tollgate(&keys);
    let (key, secret) = create(&app, "  billing backend ", Role::Service).await.unwrap();
    assert!(key.id.as_str().starts_with("key_"));
    assert_eq!((key.name.as_str(), key.role, key.revoked_at), ("billing backend", Role::Service, None));
    assert!(secret.expose().starts_with("tg_") && secret.expose().len() == 67);
    assert_eq!(key.prefix, secret.expose()[..11]);
    assert_ne!(key.secret_hash, secret.expose());
    assert!(!format!("{key:?}").contains(&key.secret_hash));
    assert_eq!(keys.find_by_hash(&key.secret_hash).await.unwrap(), Some(key.clone()));
    assert_eq!(keys.insert(&key, &[]).await, Err(StoreError::Conflict("api key")));
    let caller = app.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(caller, Caller::PlatformKey { id: key.id, role: Role::Service });
}

#[tokio::test]
async fn a_key_name_must_be_a_name() {
    let app = tollgate(&Arc::default());
    for name in ["", "   ", "bad\u{7}name"] {
        let refused = create(&app, name, Role::Admin).await.unwrap_err();
        assert!(matches!(refused, AppError::Invalid(ref invalid) if invalid.field == "name"), "{name:?}");
    }
    assert!(app.list_api_keys(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn keys_are_listed_in_id_order_page_by_page() {
    let app = tollgate(&Arc::default());
    for name in ["a", "b", "c"] {
        create(&app, name, Role::Service).await.unwrap();
    }
    let all = app.list_api_keys(None, 10).await.unwrap();
    let names: Vec<_> = all.iter().map(|k| k.name.as_str()).collect();
    assert_eq!(names, ["a", "b", "c"]);
    let rest = app.list_api_keys(Some(all[0].id.clone()), 1).await.unwrap();
    assert_eq!(rest, [all[1].clone()]);
}

#[tokio::test]
async fn revoked_keys_stop_working_at_once() {
    let app = tollgate(&Arc::default());
    let (key, secret) = create(&app, "ci", Role::Service).await.unwrap();
    assert_eq!(
        app.authenticate(secret.expose()).await.unwrap().unwrap(),
        Caller::PlatformKey { id: key.id.clone(), role: Role::Service }
    );
    let revoked = revoke(&app, &key.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(app.authenticate(secret.expose()).await.unwrap(), None);
    assert_eq!(revoke(&app, &key.id).await.unwrap().revoked_at, revoked.revoked_at, "once");
    assert_eq!(revoke(&app, &id("key_nope")).await, Err(AppError::ApiKeyNotFound));
}

#[tokio::test]
async fn a_key_revoked_here_is_refused_even_by_a_store_read_that_raced_the_revocation() {
    let app = tollgate(&Arc::default());
    let (key, secret) = create(&app, "ci", Role::Service).await.unwrap();
    // The revocation is marked here before the store says so (a replica's stale read, or a
    // lookup that started before the revocation committed).
    app.access.revoked(&key);
    assert_eq!(app.authenticate(secret.expose()).await.unwrap(), None, "refused at once");
    assert_eq!(app.authenticate(secret.expose()).await.unwrap(), None, "and never cached");
}

#[tokio::test]
async fn a_revoked_operator_key_stays_revoked_when_configured_again() {
    let keys = Arc::new(MemoryApiKeys::default());
    let app = tollgate(&keys);
    let env = Secret::new("tg_operator_chosen_0123456789abcdef");
    assert_eq!(app.bootstrap_operator_key(Some(&env)).await.unwrap(), OperatorKey::FromEnvironment);
    revoke(&app, &id(OPERATOR_KEY_ID)).await.unwrap();
    assert_eq!(app.bootstrap_operator_key(Some(&env)).await.unwrap(), OperatorKey::Revoked);
    // A fresh instance (a restart) refuses it too: the store says it is revoked.
    let restarted = tollgate(&keys);
    assert_eq!(restarted.authenticate(env.expose()).await.unwrap(), None);
}

#[tokio::test]
async fn only_a_platform_admin_creates_or_revokes_platform_keys() {
    let app = tollgate(&Arc::default());
    let (service, secret) = create(&app, "svc", Role::Service).await.unwrap();
    let service_caller = app.authenticate(secret.expose()).await.unwrap().unwrap();
    let refused =
        app.create_api_key(&service_caller, named("escalate"), Role::Admin, &Origin::default()).await;
    assert_eq!(refused.unwrap_err(), AppError::Forbidden);
    let refused = app.revoke_api_key(&service_caller, &service.id, &Origin::default()).await;
    assert_eq!(refused.unwrap_err(), AppError::Forbidden);
    assert_eq!(app.list_api_keys(None, 10).await.unwrap().len(), 1, "nothing created");
}

#[tokio::test]
async fn a_platform_key_may_expire_in_the_future_and_is_refused_from_then_on() {
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let app = tollgate_at(&Arc::default(), &clock);
    for past in [clock.now(), clock.now() - time::Duration::days(1)] {
        let new = NewApiKey { name: "late".into(), expires_at: Some(past) };
        let refused =
            app.create_api_key(&operator(), new, Role::Enforce, &Origin::default()).await.unwrap_err();
        assert!(matches!(refused, AppError::Invalid(ref invalid) if invalid.field == "expires_at"), "{past}");
    }
    let end = clock.now() + time::Duration::hours(1);
    let new = NewApiKey { name: "temporary".into(), expires_at: Some(end) };
    let (key, secret) =
        app.create_api_key(&operator(), new, Role::Enforce, &Origin::default()).await.unwrap();
    assert_eq!((key.role, key.expires_at), (Role::Enforce, Some(end)));
    assert!(app.authenticate(secret.expose()).await.unwrap().is_some());
    clock.advance(time::Duration::minutes(59));
    assert!(app.authenticate(secret.expose()).await.unwrap().is_some());
    clock.advance(time::Duration::minutes(1));
    assert_eq!(app.authenticate(secret.expose()).await.unwrap(), None, "cached, yet expired");
    let restarted = tollgate_at(&Arc::default(), &clock);
    assert_eq!(restarted.authenticate(secret.expose()).await.unwrap(), None);
}

/// The key's `last_used_at` once the background writes that are due have run.
async fn last_used(keys: &MemoryApiKeys, key: &ApiKey) -> Option<time::OffsetDateTime> {
    for _ in 0..20 {
        tokio::task::yield_now().await;
    }
    keys.find_by_hash(&key.secret_hash).await.unwrap().unwrap().last_used_at
}

#[tokio::test]
async fn a_key_s_last_use_is_written_at_most_once_a_minute() {
    let keys = Arc::new(MemoryApiKeys::default());
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let app = tollgate_at(&keys, &clock);
    let (key, secret) = create(&app, "ci", Role::Service).await.unwrap();
    assert_eq!(last_used(&keys, &key).await, None, "never used");
    let first = clock.now();
    app.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(last_used(&keys, &key).await, Some(first));
    clock.advance(time::Duration::seconds(59));
    app.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(last_used(&keys, &key).await, Some(first), "within the minute: no write");
    clock.advance(time::Duration::seconds(1));
    app.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(last_used(&keys, &key).await, Some(clock.now()));
    // Another instance starts from the stored time: no write either within its minute.
    let other = tollgate_at(&keys, &clock);
    let written = clock.now();
    clock.advance(time::Duration::seconds(30));
    other.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(last_used(&keys, &key).await, Some(written));
}
