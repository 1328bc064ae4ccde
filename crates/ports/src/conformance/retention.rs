//! Conformance of [`LedgerRetention`](crate::LedgerRetention): old keys are forgotten in bounded
//! batches, young keys replay, lines stay.

use time::Duration;
use tollgate_domain::IdempotencyKey;

use super::{Backend, T0, account, assert_ledger_matches, command, idem, used};

/// Keys older than the cut-off are forgotten in batches of at most the limit; the lines stay,
/// a forgotten key is applied as new, and a young key still replays.
pub async fn old_idempotency_keys_are_forgotten_and_their_lines_kept(b: Backend) {
    let k = account(&b, "acme").await;
    for i in 0..3_i64 {
        let mut old = command(&k, 1, None, idem(&format!("old-{i}")));
        old.at = T0 + Duration::minutes(i);
        b.usage.consume(&old).await.expect("consume");
    }
    let mut young = command(&k, 1, None, idem("young"));
    young.at = T0 + Duration::hours(2);
    b.usage.consume(&young).await.expect("consume");
    let cutoff = T0 + Duration::hours(1);

    let first = b.retention.forget_idempotency_keys(cutoff, 2).await.expect("forget");
    assert_eq!((first.forgotten, first.more), (2, true), "a batch is bounded by its limit");
    let mut forgotten = first.forgotten;
    for _ in 0..10 {
        let batch = b.retention.forget_idempotency_keys(cutoff, 2).await.expect("forget");
        assert!(batch.forgotten <= 2);
        forgotten += batch.forgotten;
        if !batch.more {
            break;
        }
    }
    assert_eq!(forgotten, 3, "every old key, and only those");
    let again = b.retention.forget_idempotency_keys(cutoff, 2).await.expect("forget");
    assert_eq!((again.forgotten, again.more), (0, false), "nothing is left to forget");

    let replay = b.usage.consume(&young).await.expect("replay");
    assert!(replay.replayed, "a young key still replays");
    let old = b.usage.recorded(&k, &IdempotencyKey::parse("old-0").expect("valid")).await.expect("recorded");
    assert!(old.is_none(), "a forgotten key is no longer recorded");
    let mut retried = command(&k, 1, None, idem("old-0"));
    retried.at = T0 + Duration::hours(3);
    let retried = b.usage.consume(&retried).await.expect("consume");
    assert!(retried.applied && !retried.replayed, "a forgotten key is applied as new");
    assert_eq!(used(&b, &k, "never").await, 5);

    let ledger = b.usage.ledger(&k, 100).await.expect("ledger");
    let keys: Vec<_> =
        ledger.iter().map(|e| e.idempotency_key.as_ref().map(IdempotencyKey::as_str)).collect();
    assert_eq!(keys, [None, None, None, Some("young"), Some("old-0")], "every line is kept");
    assert_ledger_matches(&b, &k).await;
}

/// A cut-off before every line forgets nothing.
pub async fn keys_younger_than_the_cutoff_are_never_forgotten(b: Backend) {
    let k = account(&b, "acme").await;
    b.usage.consume(&command(&k, 1, None, idem("a"))).await.expect("consume");
    let batch = b.retention.forget_idempotency_keys(T0, 100).await.expect("forget");
    assert_eq!((batch.forgotten, batch.more), (0, false));
    assert!(b.usage.consume(&command(&k, 1, None, idem("a"))).await.expect("replay").replayed);
}
