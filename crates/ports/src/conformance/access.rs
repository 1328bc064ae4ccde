//! The contracts of [`ApiKeyStore`] and [`IdempotencyStore`], run by every adapter on its own
//! backend (memory, SQLite, PostgreSQL).

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tollgate_domain::{AccountKey, ApiKey, ApiKeyId, Role, Scope};

use crate::{ApiKeyStore, Begin, IdempotencyStore, StoreError};

const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);
const LEASE: Duration = Duration::seconds(60);
const RETENTION: Duration = Duration::hours(24);

fn id(id: &str) -> ApiKeyId {
    ApiKeyId::parse(id).expect("a valid key id")
}

fn key(key_id: &str, role: Role, hash: &str) -> ApiKey {
    ApiKey {
        id: id(key_id),
        name: format!("{key_id} name"),
        role,
        account: None,
        scopes: Vec::new(),
        prefix: "tg_12345678".into(),
        secret_hash: hash.into(),
        created_at: NOW,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

fn account(key: &str) -> AccountKey {
    AccountKey::parse(key).expect("a valid account key")
}

fn account_key(key_id: &str, owner: &str, scopes: &[Scope], hash: &str) -> ApiKey {
    ApiKey { account: Some(account(owner)), scopes: scopes.to_vec(), ..key(key_id, Role::Enforce, hash) }
}

/// Insert, look up, page, revoke, replace: what the authenticator and the key routes rely on.
///
/// # Panics
/// When the store breaks the contract.
pub async fn api_key_store_contract(store: &dyn ApiKeyStore) {
    assert!(!store.has_active_admin(NOW).await.unwrap(), "a new store has no admin");
    let service = key("key_a", Role::Service, "hash-a");
    store.insert(&service, &[]).await.unwrap();
    assert_eq!(store.insert(&service, &[]).await, Err(StoreError::Conflict("api key")), "same id");
    let same_hash = key("key_b", Role::Service, "hash-a");
    assert_eq!(store.insert(&same_hash, &[]).await, Err(StoreError::Conflict("api key")), "same hash");
    assert_eq!(store.find_by_hash("hash-a").await.unwrap(), Some(service.clone()));
    assert_eq!(store.find_by_hash("hash-none").await.unwrap(), None);
    assert!(!store.has_active_admin(NOW).await.unwrap(), "a service key is no admin");

    let operator = key("key_operator", Role::Admin, "hash-op");
    store.upsert(&operator).await.unwrap();
    assert!(store.has_active_admin(NOW).await.unwrap());
    let replaced = ApiKey { secret_hash: "hash-op2".into(), ..operator.clone() };
    store.upsert(&replaced).await.unwrap();
    assert_eq!(store.find_by_hash("hash-op").await.unwrap(), None, "the replaced secret is gone");
    assert_eq!(store.find_by_hash("hash-op2").await.unwrap(), Some(replaced));

    let ids = |keys: Vec<ApiKey>| keys.into_iter().map(|k| k.id.to_string()).collect::<Vec<_>>();
    assert_eq!(ids(store.list(None, None, 10).await.unwrap()), ["key_a", "key_operator"]);
    assert_eq!(ids(store.list(None, None, 1).await.unwrap()), ["key_a"]);
    assert_eq!(ids(store.list(None, Some(id("key_a")), 10).await.unwrap()), ["key_operator"]);

    let later = NOW + Duration::hours(1);
    let revoked = store.revoke(&id("key_operator"), None, NOW, &[]).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(NOW));
    let again = store.revoke(&id("key_operator"), None, later, &[]).await.unwrap().unwrap();
    assert_eq!(again.revoked_at, Some(NOW), "a revocation keeps its first time");
    assert_eq!(store.revoke(&id("key_missing"), None, NOW, &[]).await.unwrap(), None);
    assert!(!store.has_active_admin(NOW).await.unwrap(), "the only admin is revoked");
    let found = store.find_by_hash("hash-op2").await.unwrap().unwrap();
    assert_eq!(found.revoked_at, Some(NOW), "revoked keys are still found, as revoked");
}

/// Account keys: stored whole, listed and revoked only through their account, never an admin.
///
/// # Panics
/// When the store breaks the contract.
pub async fn account_key_contract(store: &dyn ApiKeyStore) {
    let platform = key("key_p", Role::Admin, "hash-p");
    let expiring =
        ApiKey { expires_at: Some(NOW + Duration::days(30)), ..key("key_q", Role::Enforce, "hash-q") };
    let read = account_key("key_a1", "acme", &[Scope::Read], "hash-a1");
    let both = ApiKey {
        expires_at: Some(NOW + LEASE),
        ..account_key("key_a2", "acme", &[Scope::Enforce, Scope::Manage], "hash-a2")
    };
    let other = ApiKey { role: Role::Admin, ..account_key("key_g1", "globex", &[Scope::Manage], "hash-g1") };
    for key in [&platform, &expiring, &read, &both, &other] {
        store.insert(key, &[]).await.unwrap();
    }
    assert_eq!(store.find_by_hash("hash-a2").await.unwrap(), Some(both.clone()), "every field kept");
    assert_eq!(store.find_by_hash("hash-q").await.unwrap(), Some(expiring.clone()));

    let ids = |keys: Vec<ApiKey>| keys.into_iter().map(|k| k.id.to_string()).collect::<Vec<_>>();
    let acme = account("acme");
    assert_eq!(ids(store.list(None, None, 10).await.unwrap()), ["key_p", "key_q"], "platform keys only");
    assert_eq!(ids(store.list(Some(&acme), None, 10).await.unwrap()), ["key_a1", "key_a2"]);
    assert_eq!(ids(store.list(Some(&acme), Some(id("key_a1")), 10).await.unwrap()), ["key_a2"]);
    assert_eq!(ids(store.list(Some(&acme), None, 1).await.unwrap()), ["key_a1"]);
    assert_eq!(ids(store.list(Some(&account("initech")), None, 10).await.unwrap()), Vec::<String>::new());

    // Another owner's key is neither revoked nor confirmed.
    assert_eq!(store.revoke(&id("key_g1"), Some(&acme), NOW, &[]).await.unwrap(), None);
    assert_eq!(store.revoke(&id("key_g1"), None, NOW, &[]).await.unwrap(), None, "not through the platform");
    assert_eq!(store.revoke(&id("key_p"), Some(&acme), NOW, &[]).await.unwrap(), None);
    assert_eq!(store.find_by_hash("hash-g1").await.unwrap().unwrap().revoked_at, None);
    assert_eq!(store.find_by_hash("hash-p").await.unwrap().unwrap().revoked_at, None);
    let revoked = store.revoke(&id("key_g1"), Some(&account("globex")), NOW, &[]).await.unwrap().unwrap();
    assert_eq!(revoked, ApiKey { revoked_at: Some(NOW), ..other });

    // Only live platform admin keys count as an admin.
    assert!(store.has_active_admin(NOW).await.unwrap());
    store.revoke(&id("key_p"), None, NOW, &[]).await.unwrap();
    assert!(!store.has_active_admin(NOW).await.unwrap(), "an account key is never a platform admin");
    let temporary = ApiKey { expires_at: Some(NOW + LEASE), ..key("key_t", Role::Admin, "hash-t") };
    store.insert(&temporary, &[]).await.unwrap();
    assert!(store.has_active_admin(NOW).await.unwrap());
    assert!(!store.has_active_admin(NOW + LEASE).await.unwrap(), "an expired admin key is none");
}

/// Last use: recorded, never moved back, harmless for an unknown key.
///
/// # Panics
/// When the store breaks the contract.
pub async fn api_key_touch_contract(store: &dyn ApiKeyStore) {
    let used = account_key("key_u", "acme", &[Scope::Enforce], "hash-u");
    store.insert(&used, &[]).await.unwrap();
    store.insert(&key("key_v", Role::Service, "hash-v"), &[]).await.unwrap();
    let later = NOW + Duration::minutes(5);
    store.touch(&id("key_u"), later).await.unwrap();
    assert_eq!(store.find_by_hash("hash-u").await.unwrap().unwrap().last_used_at, Some(later));
    store.touch(&id("key_u"), NOW).await.unwrap();
    let found = store.find_by_hash("hash-u").await.unwrap().unwrap();
    assert_eq!(found, ApiKey { last_used_at: Some(later), ..used }, "a late report of an earlier use");
    assert_eq!(store.find_by_hash("hash-v").await.unwrap().unwrap().last_used_at, None, "only that key");
    store.touch(&id("key_missing"), NOW).await.unwrap();
    let listed = store.list(Some(&account("acme")), None, 10).await.unwrap();
    assert_eq!(listed[0].last_used_at, Some(later), "lists show the last use");
}

/// Claims, owners, replays, leases and retention.
///
/// # Panics
/// When the store breaks the contract.
pub async fn idempotency_store_contract(store: &dyn IdempotencyStore) {
    let lease = NOW + LEASE;
    assert_eq!(store.begin("s", "k", "a", "f1", NOW, lease).await.unwrap(), Begin::Started);
    assert_eq!(store.begin("s", "k", "b", "f1", NOW, lease).await.unwrap(), Begin::InProgress);
    assert_eq!(store.begin("s", "k", "b", "f2", NOW, lease).await.unwrap(), Begin::Mismatch);
    assert_eq!(store.begin("other", "k", "c", "f2", NOW, lease).await.unwrap(), Begin::Started);
    // Only the claim's owner completes or abandons it.
    assert!(!store.complete("s", "k", "b", 200, "{}", NOW + RETENTION).await.unwrap());
    store.abandon("s", "k", "b").await.unwrap();
    assert_eq!(store.begin("s", "k", "b", "f1", NOW, lease).await.unwrap(), Begin::InProgress);
    assert!(store.complete("s", "k", "a", 201, "{\"a\":1}", NOW + RETENTION).await.unwrap());
    let replay = Begin::Replay { status: 201, body: "{\"a\":1}".into() };
    assert_eq!(store.begin("s", "k", "d", "f1", NOW, lease).await.unwrap(), replay);
    // A completed record is never completed again nor abandoned, even by its owner.
    assert!(!store.complete("s", "k", "a", 500, "{}", NOW + RETENTION).await.unwrap());
    store.abandon("s", "k", "a").await.unwrap();
    assert_eq!(store.begin("s", "k", "d", "f1", NOW, lease).await.unwrap(), replay);
    // An abandoned claim frees the key.
    store.abandon("other", "k", "c").await.unwrap();
    assert_eq!(store.begin("other", "k", "e", "f3", NOW, lease).await.unwrap(), Begin::Started);
    // A stale claim (the process died) frees the key when its lease ends; the request that
    // outlived its lease can then neither complete nor abandon the retry's claim.
    let later = lease + Duration::seconds(1);
    assert_eq!(store.begin("other", "k", "f", "f4", later, later + LEASE).await.unwrap(), Begin::Started);
    store.abandon("other", "k", "e").await.unwrap();
    assert!(!store.complete("other", "k", "e", 200, "{}", later + RETENTION).await.unwrap());
    assert_eq!(store.begin("other", "k", "g", "f4", later, later + LEASE).await.unwrap(), Begin::InProgress);
    // Completed records expire after the retention.
    let expired = NOW + RETENTION + Duration::seconds(1);
    assert_eq!(store.begin("s", "k", "h", "f9", expired, expired + LEASE).await.unwrap(), Begin::Started);
    assert_eq!(store.purge_expired(expired + RETENTION, 1).await.unwrap(), 1, "a bounded batch");
    assert_eq!(store.purge_expired(expired + RETENTION, 10).await.unwrap(), 1);
    assert_eq!(store.purge_expired(expired + RETENTION, 10).await.unwrap(), 0);
}
