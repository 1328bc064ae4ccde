//! API keys: creation, listing, revocation, the operator's key, and authenticating callers.

use std::sync::Arc;

use tollgate_domain::{ApiKeyId, Caller, Role};
use tollgate_memory::{ManualClock, MemoryApiKeys, MemoryStore};
use tollgate_ports::{ApiKeyStore, MockPaymentGateway, Secret, StoreError};

use super::{ports, quiet_notifier, settings};
use crate::{AppError, OPERATOR_KEY_ID, OperatorKey, Tollgate};

/// Tollgate with its API keys in `keys`, so a test can look behind the use cases.
fn tollgate(keys: &Arc<MemoryApiKeys>) -> Tollgate {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let mut ports = ports(&store, store.clone(), clock, MockPaymentGateway::new(), quiet_notifier());
    ports.api_keys = keys.clone();
    Tollgate::new(ports, settings())
}

fn id(id: &str) -> ApiKeyId {
    ApiKeyId::parse(id).unwrap()
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
    let (key, secret) = app.create_api_key("  billing backend ", Role::Service).await.unwrap();
    assert!(key.id.as_str().starts_with("key_"));
    assert_eq!((key.name.as_str(), key.role, key.revoked_at), ("billing backend", Role::Service, None));
    assert!(secret.expose().starts_with("tg_") && secret.expose().len() == 67);
    assert_eq!(key.prefix, secret.expose()[..11]);
    assert_ne!(key.secret_hash, secret.expose());
    assert!(!format!("{key:?}").contains(&key.secret_hash));
    assert_eq!(keys.find_by_hash(&key.secret_hash).await.unwrap(), Some(key.clone()));
    assert_eq!(keys.insert(&key).await, Err(StoreError::Conflict("api key")));
    let caller = app.authenticate(secret.expose()).await.unwrap().unwrap();
    assert_eq!(caller, Caller::PlatformKey { id: key.id, role: Role::Service });
}

#[tokio::test]
async fn a_key_name_must_be_a_name() {
    let app = tollgate(&Arc::default());
    for name in ["", "   ", "bad\u{7}name"] {
        let refused = app.create_api_key(name, Role::Admin).await.unwrap_err();
        assert!(matches!(refused, AppError::Invalid(ref invalid) if invalid.field == "name"), "{name:?}");
    }
    assert!(app.list_api_keys(None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn keys_are_listed_in_id_order_page_by_page() {
    let app = tollgate(&Arc::default());
    for name in ["a", "b", "c"] {
        app.create_api_key(name, Role::Service).await.unwrap();
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
    let (key, secret) = app.create_api_key("ci", Role::Service).await.unwrap();
    assert_eq!(
        app.authenticate(secret.expose()).await.unwrap().unwrap(),
        Caller::PlatformKey { id: key.id.clone(), role: Role::Service }
    );
    let revoked = app.revoke_api_key(&key.id).await.unwrap();
    assert!(revoked.revoked_at.is_some());
    assert_eq!(app.authenticate(secret.expose()).await.unwrap(), None);
    assert_eq!(app.revoke_api_key(&key.id).await.unwrap().revoked_at, revoked.revoked_at, "once");
    assert_eq!(app.revoke_api_key(&id("key_nope")).await, Err(AppError::ApiKeyNotFound));
}

#[tokio::test]
async fn a_key_revoked_here_is_refused_even_by_a_store_read_that_raced_the_revocation() {
    let app = tollgate(&Arc::default());
    let (key, secret) = app.create_api_key("ci", Role::Service).await.unwrap();
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
    app.revoke_api_key(&id(OPERATOR_KEY_ID)).await.unwrap();
    assert_eq!(app.bootstrap_operator_key(Some(&env)).await.unwrap(), OperatorKey::Revoked);
    // A fresh instance (a restart) refuses it too: the store says it is revoked.
    let restarted = tollgate(&keys);
    assert_eq!(restarted.authenticate(env.expose()).await.unwrap(), None);
}
