//! Changes written with the audit events that record them, in one transaction: API keys created
//! and revoked, plan versions published, add-ons put. An event lands with its change or not at
//! all, and a change refused, or one that changes nothing, logs nothing.

use time::Duration;
use tollgate_domain::{
    AddOnCode, AddOnDraft, AddOnLimit, AddOnTerms, ApiKey, ApiKeyId, AuditEvent, Interval, Name, Role,
};

use super::identity::event;
use super::*;
use crate::AuditFilter;

/// The ids of every logged event, sorted.
async fn logged(b: &Backend) -> Vec<String> {
    let events = b.identity.audit(&AuditFilter::default(), None, 100).await.expect("audit");
    let mut ids: Vec<String> = events.into_iter().map(|e| e.id).collect();
    ids.sort();
    ids
}

fn ids(list: &[&str]) -> Vec<String> {
    list.iter().map(|id| format!("aud_{id}")).collect()
}

fn audited(id: &str, minutes: i64, action: &str) -> AuditEvent {
    event(id, T0 + Duration::minutes(minutes), action, "usr_admin", "target")
}

fn api_key(id: &str, hash: &str) -> ApiKey {
    ApiKey {
        id: ApiKeyId::parse(id).expect("valid key id"),
        name: format!("{id} name"),
        role: Role::Service,
        account: None,
        scopes: Vec::new(),
        prefix: "tg_12345678".into(),
        secret_hash: hash.into(),
        created_at: T0,
        expires_at: None,
        revoked_at: None,
        last_used_at: None,
    }
}

/// A key is stored with its creation's events or not at all; a revocation logs its events only
/// when it revoked the key, once whatever the concurrency.
pub async fn api_key_changes_write_their_audit_events_with_them(b: Backend) {
    let keys = &b.api_keys;
    let first = api_key("key_a", "hash-a");
    keys.insert(&first, &[audited("a1", 1, "api_key.created")]).await.expect("insert");
    assert_eq!(logged(&b).await, ids(&["a1"]), "the event is logged with the key");

    let same_id = api_key("key_a", "hash-other");
    let refused = keys.insert(&same_id, &[audited("a2", 2, "api_key.created")]).await;
    assert_eq!(refused, Err(StoreError::Conflict("api key")));
    let reused_event = keys.insert(&api_key("key_b", "hash-b"), &[audited("a1", 3, "api_key.created")]).await;
    assert_eq!(reused_event, Err(StoreError::Conflict("audit")));
    assert_eq!(keys.find_by_hash("hash-b").await.expect("find"), None, "no key without its event");
    assert_eq!(logged(&b).await, ids(&["a1"]), "a refused creation logs nothing");

    let unknown = ApiKeyId::parse("key_missing").expect("valid");
    let none = keys.revoke(&unknown, None, T0, &[audited("r0", 4, "api_key.revoked")]).await;
    assert_eq!(none, Ok(None));
    let held = keys.revoke(&first.id, None, T0, &[audited("a1", 5, "api_key.revoked")]).await;
    assert_eq!(held, Err(StoreError::Conflict("audit")));
    let kept = keys.find_by_hash("hash-a").await.expect("find").expect("kept");
    assert_eq!(kept.revoked_at, None, "no revocation without its event");
    let revoked = keys.revoke(&first.id, None, T0, &[audited("r1", 6, "api_key.revoked")]).await;
    assert_eq!(revoked.expect("revoke").and_then(|k| k.revoked_at), Some(T0));
    let later = T0 + Duration::hours(1);
    let again = keys.revoke(&first.id, None, later, &[audited("r2", 7, "api_key.revoked")]).await;
    assert_eq!(again.expect("revoke").and_then(|k| k.revoked_at), Some(T0), "the first time is kept");
    assert_eq!(logged(&b).await, ids(&["a1", "r1"]), "only the revocation that revoked logs");

    keys.insert(&api_key("key_c", "hash-c"), &[]).await.expect("insert");
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let keys = keys.clone();
            tokio::spawn(async move {
                let id = ApiKeyId::parse("key_c").expect("valid");
                keys.revoke(&id, None, T0, &[audited(&format!("c{i}"), 8, "api_key.revoked")]).await
            })
        })
        .collect();
    for task in tasks {
        assert!(task.await.expect("task").expect("revoke").is_some());
    }
    let concurrent = logged(&b).await.into_iter().filter(|id| id.starts_with("aud_c")).count();
    assert_eq!(concurrent, 1, "of concurrent revocations, one logs");
}

/// A new plan version is stored with its events; identical terms store nothing and log nothing;
/// an event that cannot be logged stores no version.
pub async fn plan_publications_write_their_audit_events_with_them(b: Backend) {
    let v1 = b.plans.publish(&draft("pro", 3), T0, &[audited("p1", 1, "plan.published")]).await;
    assert_eq!(v1.expect("publish").version(), 1);
    let same = b.plans.publish(&draft("pro", 3), T0, &[audited("p2", 2, "plan.published")]).await;
    assert_eq!(same.expect("publish").version(), 1);
    assert_eq!(logged(&b).await, ids(&["p1"]), "identical terms log nothing");

    let refused = b.plans.publish(&draft("pro", 5), T0, &[audited("p1", 3, "plan.published")]).await;
    assert_eq!(refused, Err(StoreError::Conflict("audit")));
    let latest = b.plans.latest(&draft("pro", 5).code).await.expect("latest").expect("exists");
    assert_eq!(latest.version(), 1, "no version without its event");

    let v2 = b.plans.publish(&draft("pro", 5), T0, &[audited("p3", 4, "plan.archived")]).await;
    assert_eq!(v2.expect("publish").version(), 2);
    assert_eq!(logged(&b).await, ids(&["p1", "p3"]));

    // Four publishers: each failed attempt of one is another's success, so none runs out of the
    // store's attempts (five).
    let tasks: Vec<_> = (0..4_u64)
        .map(|i| {
            let plans = b.plans.clone();
            tokio::spawn(async move {
                let event = audited(&format!("q{i}"), 5, "plan.published");
                plans.publish(&draft("pro", 10 + i), T0, &[event]).await.map(|p| p.version())
            })
        })
        .collect();
    let mut versions = Vec::new();
    for task in tasks {
        versions.push(task.await.expect("task").expect("publish"));
    }
    versions.sort_unstable();
    assert_eq!(versions, [3, 4, 5, 6], "each publisher its own version");
    let concurrent = logged(&b).await.into_iter().filter(|id| id.starts_with("aud_q")).count();
    assert_eq!(concurrent, 4, "each version with its event");
}

fn addon(sites: u64) -> AddOnTerms {
    AddOnTerms::new(AddOnDraft {
        code: AddOnCode::parse("extra-sites").expect("valid code"),
        name: Name::parse("Extra sites").expect("valid name"),
        price: Money::parse("10.00", "USD").expect("valid money"),
        interval: Interval::Month,
        limits: [(metric("sites"), AddOnLimit { max: sites })].into(),
        features: BTreeMap::new(),
    })
    .expect("valid add-on")
}

/// An add-on's terms are written with their events; the same terms again write and log nothing;
/// an event that cannot be logged leaves the terms as they were.
pub async fn addon_puts_write_their_audit_events_with_them(b: Backend) {
    let created = b.addons.put(&addon(5), T0, &[audited("d1", 1, "addon.published")]).await;
    assert_eq!(created, Ok(true));
    let same = b.addons.put(&addon(5), T0, &[audited("d2", 2, "addon.published")]).await;
    assert_eq!(same, Ok(false));
    assert_eq!(logged(&b).await, ids(&["d1"]), "the same terms log nothing");

    let refused = b.addons.put(&addon(7), T0, &[audited("d1", 3, "addon.published")]).await;
    assert_eq!(refused, Err(StoreError::Conflict("audit")));
    let code = AddOnCode::parse("extra-sites").expect("valid code");
    assert_eq!(b.addons.get(&code).await.expect("get"), Some(addon(5)), "no change without its event");

    let replaced = b.addons.put(&addon(7), T0, &[audited("d3", 4, "addon.published")]).await;
    assert_eq!(replaced, Ok(false));
    assert_eq!(b.addons.get(&code).await.expect("get"), Some(addon(7)));
    assert_eq!(logged(&b).await, ids(&["d1", "d3"]));
}
