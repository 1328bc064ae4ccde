//! The account state version: consumes and subscription saves decided on an older state are
//! refused with [`StoreError::Stale`], writing nothing.

use tollgate_domain::{AccountKey, AddOn, Overrides, Subscription};

use super::{Backend, T0, account, command, draft, idem, used};
use crate::StoreError;

async fn version(b: &Backend, k: &AccountKey) -> u64 {
    b.accounts.state(k).await.expect("state").expect("exists").version
}

/// A consume carrying an outdated state version writes nothing (no counter change, no ledger
/// line, no idempotency record) and says so; with the current version it applies; a replayed
/// key is answered first, whatever version it carries.
pub async fn a_consume_on_a_stale_state_version_writes_nothing(b: Backend) {
    let k = account(&b, "acme").await;
    let v0 = version(&b, &k).await;
    let with = |q, key: &str, v: u64| {
        let mut c = command(&k, q, Some(10), idem(key));
        c.state_version = Some(v);
        c
    };
    assert!(b.usage.consume(&with(2, "first", v0)).await.expect("consume").applied);

    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let sub = Subscription::start(&plan, 2, T0).expect("start");
    b.subscriptions.save(&k, &sub, v0, &[]).await.expect("save");
    let v1 = version(&b, &k).await;
    assert_ne!(v1, v0, "a subscription change moves the version");

    assert_eq!(b.usage.consume(&with(1, "late", v0)).await, Err(StoreError::Stale));
    let mut unkeyed = command(&k, 1, Some(10), None);
    unkeyed.state_version = Some(v0);
    assert_eq!(b.usage.consume(&unkeyed).await, Err(StoreError::Stale));
    assert_eq!(used(&b, &k, "never").await, 2, "nothing counted");
    let late = tollgate_domain::IdempotencyKey::parse("late").expect("valid");
    assert_eq!(b.usage.recorded(&k, &late).await.expect("recorded"), None, "no idempotency record");
    assert_eq!(b.usage.ledger(&k, 100).await.expect("ledger").len(), 1, "no ledger line");

    let fresh = b.usage.consume(&with(1, "late", v1)).await.expect("consume");
    assert!(fresh.applied && !fresh.replayed, "the retry on the current version applies");
    let replay = b.usage.consume(&with(1, "late", v0)).await.expect("replay");
    assert!(replay.replayed && replay.applied, "a replay is answered whatever its version");
    let mut unchecked = command(&k, 1, Some(10), None);
    unchecked.state_version = None;
    assert!(b.usage.consume(&unchecked).await.expect("consume").applied, "no version: no check");

    b.subscriptions.set_add_ons(&k, &[] as &[AddOn]).await.expect("add-ons");
    let v2 = version(&b, &k).await;
    assert_ne!(v2, v1, "an add-on change moves the version");
    b.subscriptions.set_overrides(&k, &Overrides::default()).await.expect("overrides");
    assert_ne!(version(&b, &k).await, v2, "an override change moves the version");
    assert_eq!(b.usage.consume(&with(1, "later", v2)).await, Err(StoreError::Stale));
    assert_eq!(used(&b, &k, "never").await, 4);
}

/// Commands sent at once (one batch, where the store batches) on one counter, some on the current
/// version and some on an outdated one: the outdated ones write nothing, the others apply.
pub async fn stale_and_current_commands_in_one_batch_are_told_apart(b: Backend) {
    let k = account(&b, "acme").await;
    let v0 = version(&b, &k).await;
    b.subscriptions.set_overrides(&k, &Overrides::default()).await.expect("overrides");
    let v1 = version(&b, &k).await;
    let commands: Vec<_> = (0..8_u64)
        .map(|i| {
            let mut c = command(&k, 1, Some(100), idem(&format!("b{i}")));
            c.state_version = Some(if i % 2 == 0 { v1 } else { v0 });
            c
        })
        .collect();
    let outcomes = futures_join_all(commands.iter().map(|c| b.usage.consume(c)).collect::<Vec<_>>()).await;
    for (i, outcome) in outcomes.into_iter().enumerate() {
        if i % 2 == 0 {
            assert!(outcome.expect("consume").applied, "command {i} is on the current version");
        } else {
            assert_eq!(outcome, Err(StoreError::Stale), "command {i} is on an outdated version");
        }
    }
    assert_eq!(used(&b, &k, "never").await, 4);
    assert_eq!(b.usage.ledger(&k, 100).await.expect("ledger").len(), 4);
}

/// A save on an outdated version fails with [`StoreError::Stale`] and changes nothing; of saves
/// racing from the same version exactly one is stored.
pub async fn a_save_on_a_stale_state_version_is_refused(b: Backend) {
    let k = account(&b, "acme").await;
    let plan = b.plans.publish(&draft("pro", 3), T0, &[]).await.expect("publish");
    let v0 = version(&b, &k).await;
    let two = Subscription::start(&plan, 2, T0).expect("start");
    let three = Subscription::start(&plan, 3, T0).expect("start");
    b.subscriptions.save(&k, &two, v0, &[]).await.expect("save");
    assert_eq!(b.subscriptions.save(&k, &three, v0, &[]).await, Err(StoreError::Stale));
    assert_eq!(b.subscriptions.save(&k, &three, u64::MAX, &[]).await, Err(StoreError::Stale));
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(
        state.subscription.as_ref().map(Subscription::seats),
        Some(2),
        "the stale save changed nothing"
    );

    let v1 = state.version;
    let mut tasks = Vec::new();
    for seats in 4..12_u32 {
        let (subscriptions, k) = (b.subscriptions.clone(), k.clone());
        let sub = Subscription::start(&plan, seats, T0).expect("start");
        tasks.push(tokio::spawn(async move { subscriptions.save(&k, &sub, v1, &[]).await.map(|()| seats) }));
    }
    let mut stored = Vec::new();
    for task in tasks {
        match task.await.expect("task") {
            Ok(seats) => stored.push(seats),
            Err(error) => assert_eq!(error, StoreError::Stale),
        }
    }
    assert_eq!(stored.len(), 1, "exactly one save from the same version wins: {stored:?}");
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(state.subscription.as_ref().map(Subscription::seats), stored.first().copied());
    assert_ne!(state.version, v1);
}

/// Polls every future to completion, concurrently (the suite has no `futures` dependency).
async fn futures_join_all<F, T>(futures: Vec<F>) -> Vec<T>
where
    F: std::future::Future<Output = T>,
{
    let mut futures: Vec<_> = futures.into_iter().map(Box::pin).collect();
    let mut results: Vec<Option<T>> = futures.iter().map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (future, result) in futures.iter_mut().zip(results.iter_mut()) {
            if result.is_none() {
                match future.as_mut().poll(cx) {
                    std::task::Poll::Ready(value) => *result = Some(value),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending { std::task::Poll::Pending } else { std::task::Poll::Ready(()) }
    })
    .await;
    results.into_iter().flatten().collect()
}
