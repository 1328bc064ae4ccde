//! The port conformance suite: one set of tests every repository adapter runs against its own
//! backend (memory, SQLite, PostgreSQL), so adapters cannot drift apart.
//!
//! An adapter crate implements [`Fixture`] and invokes [`conformance_suite!`](crate::conformance_suite)
//! with an expression that builds a fresh fixture:
//!
//! ```text
//! tollgate_ports::conformance_suite!(async { Some(Box::new(MyFixture::new().await) as Box<dyn Fixture>) });
//! ```

pub mod access;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;

use async_trait::async_trait;
use time::OffsetDateTime;
use time::macros::datetime;
use tollgate_domain::{
    AccountKey, AddOn, Currency, Email, Enforcement, FeatureName, IdempotencyKey, Interval, Limit,
    MetricName, Money, Overrides, PlanCode, PlanDraft, Reset, Subscription,
};

use crate::{
    Account, AccountRepository, LedgerRetention, PlanRepository, StoreError, SubscriptionRepository,
    UsageCommand, UsageKind, UsageRepository,
};

mod retention;
pub use retention::*;
mod versions;
pub use versions::*;

/// The repositories of one backend.
#[derive(Clone)]
#[allow(missing_debug_implementations)]
pub struct Backend {
    /// Accounts.
    pub accounts: Arc<dyn AccountRepository>,
    /// Subscriptions.
    pub subscriptions: Arc<dyn SubscriptionRepository>,
    /// Plans.
    pub plans: Arc<dyn PlanRepository>,
    /// Usage.
    pub usage: Arc<dyn UsageRepository>,
    /// The retention of the ledger's idempotency keys.
    pub retention: Arc<dyn LedgerRetention>,
}

/// A fresh, empty backend for one test, torn down after it (a PostgreSQL fixture drops its
/// database there).
#[async_trait]
pub trait Fixture: Send + Sync {
    /// The repositories.
    fn backend(&self) -> Backend;
    /// Releases what the fixture created; runs even when the test failed.
    async fn teardown(self: Box<Self>);
}

/// Runs one suite test on a fixture, tearing it down whatever the outcome. `None` means the
/// backend is not configured here (PostgreSQL without its URL): the test says so and passes.
///
/// # Panics
/// When the test panics (after teardown), so the test harness reports it.
pub async fn run<F>(fixture: Option<Box<dyn Fixture>>, test: fn(Backend) -> F)
where
    F: Future<Output = ()> + Send + 'static,
{
    let Some(fixture) = fixture else {
        eprintln!("backend not configured: conformance test skipped");
        return;
    };
    let outcome = tokio::spawn(test(fixture.backend())).await;
    fixture.teardown().await;
    if let Err(error) = outcome {
        match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("conformance test did not finish: {error}"),
        }
    }
}

/// Expands to one `#[tokio::test]` per conformance test, each on a fresh fixture built by the
/// given expression (a future of `Option<Box<dyn Fixture>>`, `None` when the backend is not
/// configured).
#[macro_export]
macro_rules! conformance_suite {
    ($setup:expr) => {
        $crate::conformance_suite!(@tests $setup;
            accounts_are_created_once_and_listed_in_key_order,
            subscriptions_round_trip_with_add_ons_and_overrides,
            writes_for_an_unknown_account_are_not_found,
            plans_are_versioned_and_old_versions_are_kept,
            consume_applies_only_within_the_cap,
            unlimited_consumes_always_apply,
            release_never_goes_below_zero,
            windows_count_separately,
            replayed_keys_return_the_first_outcome,
            reused_keys_with_another_request_are_refused,
            keys_are_scoped_per_account,
            concurrent_consumes_never_pass_the_cap,
            concurrent_replays_count_once,
            concurrent_mixed_quantities_refuse_only_what_cannot_fit,
            simultaneous_commands_near_the_cap_admit_what_fits,
            the_ledger_sums_to_the_counter,
            old_idempotency_keys_are_forgotten_and_their_lines_kept,
            keys_younger_than_the_cutoff_are_never_forgotten,
            a_consume_on_a_stale_state_version_writes_nothing,
            stale_and_current_commands_in_one_batch_are_told_apart,
            a_save_on_a_stale_state_version_is_refused
        );
    };
    (@tests $setup:expr; $($name:ident),*) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
            async fn $name() {
                $crate::conformance::run($setup.await, $crate::conformance::$name).await;
            }
        )*
    };
}

const T0: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

fn key(k: &str) -> AccountKey {
    AccountKey::parse(k).expect("valid key")
}

fn metric(m: &str) -> MetricName {
    MetricName::parse(m).expect("valid metric")
}

fn idem(k: &str) -> Option<IdempotencyKey> {
    Some(IdempotencyKey::parse(k).expect("valid key"))
}

fn draft(code: &str, sites: u64) -> PlanDraft {
    PlanDraft {
        code: PlanCode::parse(code).expect("valid code"),
        name: code.to_uppercase(),
        description: "for tests".into(),
        price: Money::parse("45.00", "USD").expect("valid money"),
        interval: Interval::Month,
        trial_days: 0,
        per_seat: false,
        active: true,
        features: [(FeatureName::parse("api_access").expect("valid"), true)].into(),
        limits: [
            (metric("sites"), Limit::hard(sites, Reset::Never)),
            (
                metric("tickets"),
                Limit { max: Some(2000), reset: Reset::Month, enforcement: Enforcement::Soft },
            ),
        ]
        .into(),
    }
}

/// Creates account `k` on a fresh plan and returns it.
async fn account(b: &Backend, k: &str) -> AccountKey {
    let plan = b.plans.publish(&draft("pro", 3), T0).await.expect("publish");
    let account = Account { key: key(k), name: k.to_uppercase(), email: None, created_at: T0 };
    let sub = Subscription::start(&plan, 1, T0).expect("start");
    b.accounts.create(&account, Some(sub)).await.expect("create");
    account.key
}

fn command(
    account: &AccountKey,
    quantity: u64,
    cap: Option<u64>,
    key: Option<IdempotencyKey>,
) -> UsageCommand {
    UsageCommand {
        account: account.clone(),
        metric: metric("sites"),
        window: "never".into(),
        quantity,
        cap,
        idempotency_key: key,
        state_version: None,
        at: T0,
    }
}

async fn used(b: &Backend, account: &AccountKey, window: &str) -> u64 {
    b.usage.current(account, &[(metric("sites"), window.to_owned())]).await.expect("current")[0]
}

/// Creation is atomic and unique; listing pages by key.
pub async fn accounts_are_created_once_and_listed_in_key_order(b: Backend) {
    for k in ["carol", "alice", "bob"] {
        account(&b, k).await;
    }
    let again = Account { key: key("alice"), name: "Other".into(), email: None, created_at: T0 };
    assert_eq!(b.accounts.create(&again, None).await, Err(StoreError::Conflict("account")));
    let state = b.accounts.state(&key("alice")).await.expect("state").expect("exists");
    assert_eq!(state.account.name, "ALICE", "a conflicting create changes nothing");
    assert_eq!(state.subscription.expect("subscription").plan().as_str(), "pro");
    assert!(b.accounts.state(&key("nobody")).await.expect("state").is_none());

    let first = b.accounts.list(None, 2).await.expect("list");
    let keys: Vec<_> = first.iter().map(|a| a.key.as_str()).collect();
    assert_eq!(keys, ["alice", "bob"]);
    let rest = b.accounts.list(Some(key("bob")), 2).await.expect("list");
    assert_eq!(rest.iter().map(|a| a.key.as_str()).collect::<Vec<_>>(), ["carol"]);

    let with_email = Account {
        key: key("dave"),
        name: "Dave".into(),
        email: Some(Email::parse("dave@acme.test").expect("valid")),
        created_at: T0,
    };
    b.accounts.create(&with_email, None).await.expect("create without subscription");
    let state = b.accounts.state(&with_email.key).await.expect("state").expect("exists");
    assert_eq!(state.account, with_email);
    assert!(state.subscription.is_none());
}

/// Every field of a subscription survives storage, and add-ons and overrides attach to it.
pub async fn subscriptions_round_trip_with_add_ons_and_overrides(b: Backend) {
    let k = account(&b, "acme").await;
    let plan = b.plans.publish(&draft("pro", 3), T0).await.expect("publish");
    let mut sub = Subscription::start(&plan, 4, T0).expect("start");
    sub.cancel(true, datetime!(2026-11-30 0:00 UTC)).expect("cancel");
    sub.mark_past_due(datetime!(2026-12-01 0:00:01.5 UTC)).expect("past due");
    b.subscriptions.save(&k, &sub, 0).await.expect("save");
    let add_ons = vec![AddOn {
        code: "extra_sites".into(),
        quantity: 2,
        limits: [(metric("sites"), 5)].into(),
        features: vec![FeatureName::parse("sso").expect("valid")],
    }];
    b.subscriptions.set_add_ons(&k, &add_ons).await.expect("add-ons");
    let overrides = Overrides {
        limits: [(metric("tickets"), Limit::unlimited(Reset::Day))].into(),
        features: BTreeMap::from([(FeatureName::parse("api_access").expect("valid"), false)]),
    };
    b.subscriptions.set_overrides(&k, &overrides).await.expect("overrides");
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(state.subscription.as_ref(), Some(&sub));
    assert_eq!(state.add_ons, add_ons);
    assert_eq!(state.overrides, overrides);
    b.subscriptions.set_add_ons(&k, &[]).await.expect("clear");
    assert!(b.accounts.state(&k).await.expect("state").expect("exists").add_ons.is_empty());
}

/// Writes addressed to a missing account say so and create nothing.
pub async fn writes_for_an_unknown_account_are_not_found(b: Backend) {
    let plan = b.plans.publish(&draft("pro", 3), T0).await.expect("publish");
    let ghost = key("ghost");
    let sub = Subscription::start(&plan, 1, T0).expect("start");
    assert_eq!(b.subscriptions.save(&ghost, &sub, 0).await, Err(StoreError::NotFound("account")));
    assert_eq!(b.subscriptions.set_add_ons(&ghost, &[]).await, Err(StoreError::NotFound("account")));
    assert_eq!(
        b.subscriptions.set_overrides(&ghost, &Overrides::default()).await,
        Err(StoreError::NotFound("account"))
    );
    assert_eq!(b.usage.consume(&command(&ghost, 1, None, None)).await, Err(StoreError::NotFound("account")));
    assert_eq!(b.usage.release(&command(&ghost, 1, None, None)).await, Err(StoreError::NotFound("account")));
    assert!(b.accounts.state(&ghost).await.expect("state").is_none());
}

/// Same terms keep the version; new terms make the next one; old versions stay readable.
pub async fn plans_are_versioned_and_old_versions_are_kept(b: Backend) {
    let v1 = b.plans.publish(&draft("pro", 3), T0).await.expect("publish");
    assert_eq!(v1.version(), 1);
    assert_eq!(b.plans.publish(&draft("pro", 3), T0).await.expect("publish").version(), 1);
    let v2 = b.plans.publish(&draft("pro", 5), T0).await.expect("publish");
    assert_eq!(v2.version(), 2);
    let mut yen = draft("basic", 1);
    yen.price = Money::new(5000.into(), Currency::parse("JPY").expect("valid"));
    b.plans.publish(&yen, T0).await.expect("publish");
    assert_eq!(b.plans.latest(&v1.code().clone()).await.expect("latest"), Some(v2.clone()));
    assert_eq!(b.plans.version(v1.code(), 1).await.expect("version"), Some(v1.clone()));
    assert_eq!(b.plans.version(v1.code(), 3).await.expect("version"), None);
    let codes: Vec<_> = b
        .plans
        .list()
        .await
        .expect("list")
        .into_iter()
        .map(|p| (p.code().to_string(), p.version()))
        .collect();
    assert_eq!(codes, [("basic".to_owned(), 1), ("pro".to_owned(), 2)]);
    let basic =
        b.plans.latest(&PlanCode::parse("basic").expect("valid")).await.expect("latest").expect("exists");
    assert_eq!(basic.price().amount_string(), "5000");
    let mut metrics = b.plans.metrics().await.expect("metrics");
    metrics.sort();
    assert_eq!(metrics, [metric("sites"), metric("tickets")]);
}

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
    november.window = "m:2026-11".into();
    let mut december = november.clone();
    december.window = "m:2026-12".into();
    assert!(b.usage.consume(&november).await.expect("consume").applied);
    assert!(!b.usage.consume(&november).await.expect("consume").applied);
    assert!(b.usage.consume(&december).await.expect("consume").applied);
    let counters = b
        .usage
        .current(&k, &[(metric("sites"), "m:2026-12".into()), (metric("sites"), "m:2027-01".into())])
        .await
        .expect("current");
    assert_eq!(counters, [2, 0]);
}

/// A replay returns the first outcome (applied or refused) and changes nothing, in any window.
pub async fn replayed_keys_return_the_first_outcome(b: Backend) {
    let k = account(&b, "acme").await;
    let first = b.usage.consume(&command(&k, 2, Some(3), idem("a"))).await.expect("consume");
    let mut later = command(&k, 2, Some(3), idem("a"));
    later.window = "m:2026-12".into();
    let replay = b.usage.consume(&later).await.expect("replay");
    assert_eq!(replay, crate::UsageOutcome { replayed: true, ..first });
    assert_eq!(used(&b, &k, "never").await, 2);
    let recorded = b.usage.recorded(&k, &IdempotencyKey::parse("a").expect("valid")).await.expect("recorded");
    let recorded = recorded.expect("the key is in the ledger");
    assert_eq!((recorded.kind, recorded.quantity, recorded.outcome.used), (UsageKind::Consume, 2, 2));
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

async fn assert_ledger_matches(b: &Backend, k: &AccountKey) {
    let ledger = b.usage.ledger(k, 100_000).await.expect("ledger");
    let sum = ledger.iter().fold(0_i128, |sum, e| match e.kind {
        UsageKind::Consume => sum + i128::from(e.outcome.delta),
        UsageKind::Release => sum - i128::from(e.outcome.delta),
    });
    assert_eq!(sum, i128::from(used(b, k, "never").await));
}
