//! The contract of the usage repository: caps, floors, windows, idempotency, concurrency, the
//! ledger.

use super::*;

/// The conditional write: applied within the cap, refused past it with the counter as found.
pub async fn consume_applies_only_within_the_cap(b: Backend) {
    let k = account(&b, "acme").await;
    let first = b.usage.consume(&command(&k, 2, Some(3), None)).await.expect("consume");
    assert!(first.applied && first.used == 2 && first.delta == 2 && !first.replayed);
    let refused = b.usage.consume(&command(&k, 2, Some(3), None)).await.expect("consume");
    assert!(!refused.applied && refused.used == 2 && refused.delta == 0);
    let fits = b.usage.consume(&command(&k, 1, Some(3), None)).await.expect("consume");
    assert!(fits.applied && fits.used == 3);
    let zero_cap = b.usage.consume(&command(&k, 1, Some(0), None)).await.expect("consume");
    assert!(!zero_cap.applied && zero_cap.used == 3);
    assert_eq!(used(&b, &k, "never").await, 3);
}

/// Without a cap every consume is recorded.
pub async fn unlimited_consumes_always_apply(b: Backend) {
    let k = account(&b, "acme").await;
    for _ in 0..3 {
        let outcome = b.usage.consume(&command(&k, 1_000_000_000_000, None, None)).await.expect("consume");
        assert!(outcome.applied);
    }
    assert_eq!(used(&b, &k, "never").await, 3_000_000_000_000);
}

/// Releases floor at zero and report what they removed.
pub async fn release_never_goes_below_zero(b: Backend) {
    let k = account(&b, "acme").await;
    let nothing = b.usage.release(&command(&k, 5, None, None)).await.expect("release");
    assert_eq!((nothing.applied, nothing.delta, nothing.used), (true, 0, 0));
    b.usage.consume(&command(&k, 3, Some(10), None)).await.expect("consume");
    let partial = b.usage.release(&command(&k, 5, None, None)).await.expect("release");
    assert_eq!((partial.delta, partial.used), (3, 0));
    assert_eq!(used(&b, &k, "never").await, 0);
}

/// Each window key has its own counter: a new period starts from zero.
pub async fn windows_count_separately(b: Backend) {
    let k = account(&b, "acme").await;
    let mut november = command(&k, 2, Some(2), None);
    november.window = window("m:2026-11");
    let mut december = november.clone();
    december.window = window("m:2026-12");
    assert!(b.usage.consume(&november).await.expect("consume").applied);
    assert!(!b.usage.consume(&november).await.expect("consume").applied);
    assert!(b.usage.consume(&december).await.expect("consume").applied);
    let counters = b
        .usage
        .current(&k, &[(metric("sites"), window("m:2026-12")), (metric("sites"), window("m:2027-01"))])
        .await
        .expect("current");
    assert_eq!(counters, [2, 0]);
}

/// A replay returns the first outcome (applied or refused) and changes nothing, in any window.
pub async fn replayed_keys_return_the_first_outcome(b: Backend) {
    let k = account(&b, "acme").await;
    let first = b.usage.consume(&command(&k, 2, Some(3), idem("a"))).await.expect("consume");
    let mut later = command(&k, 2, Some(3), idem("a"));
    later.window = window("m:2026-12");
    let replay = b.usage.consume(&later).await.expect("replay");
    assert_eq!(replay, crate::UsageOutcome { replayed: true, ..first });
    assert_eq!(used(&b, &k, "never").await, 2);
    let recorded = b.usage.recorded(&k, &IdempotencyKey::parse("a").expect("valid")).await.expect("recorded");
    let recorded = recorded.expect("the key is in the ledger");
    assert_eq!((recorded.kind, recorded.quantity.get(), recorded.outcome.used), (UsageKind::Consume, 2, 2));
    let unknown =
        b.usage.recorded(&k, &IdempotencyKey::parse("nope").expect("valid")).await.expect("recorded");
    assert!(unknown.is_none());

    let refused = b.usage.consume(&command(&k, 2, Some(3), idem("b"))).await.expect("consume");
    assert!(!refused.applied);
    b.usage.release(&command(&k, 2, None, None)).await.expect("release");
    let replay = b.usage.consume(&command(&k, 2, Some(3), idem("b"))).await.expect("replay");
    assert!(!replay.applied && replay.replayed, "a refused consume replays as refused");
    assert_eq!(used(&b, &k, "never").await, 0);

    let released = b.usage.release(&command(&k, 1, None, idem("c"))).await.expect("release");
    b.usage.consume(&command(&k, 1, Some(3), None)).await.expect("consume");
    let replay = b.usage.release(&command(&k, 1, None, idem("c"))).await.expect("replay");
    assert_eq!(replay, crate::UsageOutcome { replayed: true, ..released });
    assert_eq!(used(&b, &k, "never").await, 1);
}

/// A key reused for a different request is refused without effect.
pub async fn reused_keys_with_another_request_are_refused(b: Backend) {
    let k = account(&b, "acme").await;
    b.usage.consume(&command(&k, 1, Some(10), idem("k"))).await.expect("consume");
    let other_quantity = b.usage.consume(&command(&k, 2, Some(10), idem("k"))).await;
    assert_eq!(other_quantity, Err(StoreError::IdempotencyMismatch));
    let other_kind = b.usage.release(&command(&k, 1, None, idem("k"))).await;
    assert_eq!(other_kind, Err(StoreError::IdempotencyMismatch));
    let mut other_metric = command(&k, 1, Some(10), idem("k"));
    other_metric.metric = metric("tickets");
    assert_eq!(b.usage.consume(&other_metric).await, Err(StoreError::IdempotencyMismatch));
    assert_eq!(used(&b, &k, "never").await, 1);
}

/// The same key on two accounts is two commands.
pub async fn keys_are_scoped_per_account(b: Backend) {
    let a = account(&b, "a").await;
    let c = account(&b, "c").await;
    assert!(!b.usage.consume(&command(&a, 1, Some(5), idem("same"))).await.expect("consume").replayed);
    assert!(!b.usage.consume(&command(&c, 1, Some(5), idem("same"))).await.expect("consume").replayed);
    assert_eq!(used(&b, &a, "never").await, 1);
    assert_eq!(used(&b, &c, "never").await, 1);
}

/// 32 tasks × 100 consumes of 1 against a cap of 1000: exactly 1000 recorded.
pub async fn concurrent_consumes_never_pass_the_cap(b: Backend) {
    let k = account(&b, "acme").await;
    let mut tasks = Vec::new();
    for t in 0..32 {
        let (usage, k) = (b.usage.clone(), k.clone());
        tasks.push(tokio::spawn(async move {
            let mut allowed = 0_u64;
            for i in 0..100 {
                let cmd = command(&k, 1, Some(1000), idem(&format!("t{t}-{i}")));
                if usage.consume(&cmd).await.expect("consume").applied {
                    allowed += 1;
                }
            }
            allowed
        }));
    }
    let mut allowed = 0;
    for task in tasks {
        allowed += task.await.expect("task");
    }
    assert_eq!(allowed, 1000);
    assert_eq!(used(&b, &k, "never").await, 1000);
    assert_ledger_matches(&b, &k).await;
}

/// Every key sent three times at once is counted once.
pub async fn concurrent_replays_count_once(b: Backend) {
    let k = account(&b, "acme").await;
    let mut tasks = Vec::new();
    for copy in 0..3 {
        let (usage, k) = (b.usage.clone(), k.clone());
        tasks.push(tokio::spawn(async move {
            let mut fresh = 0_u64;
            for i in 0..100 {
                // Each copy walks the keys in another order so the copies really race.
                let i = (i + copy * 33) % 100;
                let outcome =
                    usage.consume(&command(&k, 1, None, idem(&format!("k{i}")))).await.expect("consume");
                assert!(outcome.applied);
                if !outcome.replayed {
                    fresh += 1;
                }
            }
            fresh
        }));
    }
    let mut fresh = 0;
    for task in tasks {
        fresh += task.await.expect("task");
    }
    assert_eq!(fresh, 100);
    assert_eq!(used(&b, &k, "never").await, 100);
    assert_ledger_matches(&b, &k).await;
}

/// Commands of different sizes racing on one counter, with a demand just over the cap: the cap
/// holds, and every refusal is true (the counter only grows, so a command refused while it fit
/// would still fit at the end).
pub async fn concurrent_mixed_quantities_refuse_only_what_cannot_fit(b: Backend) {
    const CAP: u64 = 500;
    let k = account(&b, "acme").await;
    let mut tasks = Vec::new();
    for t in 0..32_u64 {
        let (usage, k) = (b.usage.clone(), k.clone());
        tasks.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            for i in 0..8_u64 {
                let quantity = 1 + (t * 8 + i) % 3;
                let cmd = command(&k, quantity, Some(CAP), idem(&format!("t{t}-{i}")));
                let outcome = usage.consume(&cmd).await.expect("consume");
                if !outcome.applied {
                    assert!(outcome.used + quantity > CAP, "refused {quantity} at {}", outcome.used);
                    refused.push(quantity);
                }
            }
            refused
        }));
    }
    let mut refused = Vec::new();
    for task in tasks {
        refused.extend(task.await.expect("task"));
    }
    let total = used(&b, &k, "never").await;
    assert!(total <= CAP);
    assert!(!refused.is_empty(), "the demand (512) exceeds the cap");
    for quantity in refused {
        assert!(total + quantity > CAP, "{quantity} was refused, yet the counter ended at {total}");
    }
    assert_ledger_matches(&b, &k).await;
}

/// Commands sent at once (one batch, where the store batches) near the cap: in any order, the
/// 3 cannot fit and both 1s do.
pub async fn simultaneous_commands_near_the_cap_admit_what_fits(b: Backend) {
    let k = account(&b, "acme").await;
    assert!(b.usage.consume(&command(&k, 8, Some(10), idem("fill"))).await.expect("consume").applied);
    let commands = [(3, "a"), (1, "b"), (1, "c")].map(|(q, id)| command(&k, q, Some(10), idem(id)));
    let (three, one, other) = tokio::join!(
        b.usage.consume(&commands[0]),
        b.usage.consume(&commands[1]),
        b.usage.consume(&commands[2])
    );
    assert!(!three.expect("consume").applied);
    assert!(one.expect("consume").applied);
    assert!(other.expect("consume").applied);
    assert_eq!(used(&b, &k, "never").await, 10);
    assert_ledger_matches(&b, &k).await;
}

/// After mixed commands, consumed minus released deltas equal the counter.
pub async fn the_ledger_sums_to_the_counter(b: Backend) {
    let k = account(&b, "acme").await;
    for i in 0..20_u64 {
        b.usage.consume(&command(&k, i % 4 + 1, Some(12), idem(&format!("c{i}")))).await.expect("consume");
        if i % 3 == 0 {
            b.usage.release(&command(&k, 2, None, None)).await.expect("release");
        }
    }
    assert_ledger_matches(&b, &k).await;
    let ledger = b.usage.ledger(&k, 1000).await.expect("ledger");
    assert!(ledger.iter().any(|e| !e.outcome.applied), "refused keyed consumes are in the ledger");
    assert!(ledger.iter().all(|e| e.outcome.applied || e.idempotency_key.is_some()));
}
