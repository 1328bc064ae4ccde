//! Exactness against concurrent changes: consumes decided on a cached state that another
//! instance changed, subscription changes racing each other, transitions judged at `now`.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use async_trait::async_trait;
use time::Duration;
use time::macros::datetime;
use tollgate_domain::{
    AddOn, ChangeTiming, DecisionCode, Invoice, Overrides, PlanCode, Request, Status, Subscription,
};
use tollgate_memory::{ManualClock, MemoryBilling, MemoryStore};
use tollgate_ports::{
    AccountRepository, BillingChange, BillingProfile, BillingStore, Checkout, MockPaymentGateway, StoreError,
    StoredInvoice, SubscriptionRepository,
};

use super::{draft, k, m, new_account, operator, ports, q, quiet_notifier, settings, two_instances, world};
use crate::{AppError, ChangePlan, Origin, Tollgate};

fn plan(code: &str) -> ChangePlan {
    // At once, whatever the direction: the tests are about the limits that follow.
    ChangePlan {
        plan: Some(PlanCode::parse(code).unwrap()),
        at: Some(ChangeTiming::Now),
        ..ChangePlan::default()
    }
}

#[tokio::test]
async fn a_downgrade_through_one_instance_is_honoured_by_the_next_consume_through_another() {
    let (a, b, _clock) = two_instances().await;
    a.publish_plan(draft("pro", "45", 14, Some(2000), Some(3))).await.unwrap();
    a.change_plan(&operator(), &Origin::default(), &k("acme"), plan("pro")).await.unwrap();
    for _ in 0..5 {
        let d = b.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
        assert_eq!((d.allowed, d.limit), (true, Some(2000)), "b's cache now holds pro");
    }
    let request = Request::metric("tickets", 1).unwrap();
    assert!(b.check(&k("acme"), &request).await.unwrap().allowed, "b's cache is warm");

    a.change_plan(&operator(), &Origin::default(), &k("acme"), plan("free")).await.unwrap(); // tickets: 3
    let d = b.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!(
        (d.allowed, d.code, d.used, d.limit),
        (false, DecisionCode::LimitReached, Some(5), Some(3)),
        "the very next consume through b applies free's limit"
    );

    a.change_plan(&operator(), &Origin::default(), &k("acme"), plan("pro")).await.unwrap();
    assert!(b.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap().allowed);
    a.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    let d = b.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!((d.allowed, d.code), (false, DecisionCode::SubscriptionSuspended), "and a suspension");
    assert_eq!(a.usage(&k("acme")).await.unwrap().metrics[&m("tickets")].current, 6);
}

/// Subscriptions that, before each of the first `races` saves, let a concurrent change commit
/// first (made with the version the save was decided on, as another instance would).
struct Racing {
    store: Arc<MemoryStore>,
    billing: MemoryBilling,
    races: usize,
    saves: AtomicUsize,
    concurrent: fn(&mut Subscription),
}

#[async_trait]
impl SubscriptionRepository for Racing {
    async fn save(
        &self,
        key: &tollgate_domain::AccountKey,
        s: &Subscription,
        expected: u64,
        audit: &[tollgate_domain::AuditEvent],
    ) -> Result<(), StoreError> {
        self.race(key).await?;
        self.store.save(key, s, expected, audit).await
    }

    async fn set_add_ons(
        &self,
        key: &tollgate_domain::AccountKey,
        add_ons: &[AddOn],
    ) -> Result<(), StoreError> {
        self.store.set_add_ons(key, add_ons).await
    }

    async fn set_overrides(
        &self,
        key: &tollgate_domain::AccountKey,
        o: &Overrides,
    ) -> Result<(), StoreError> {
        self.store.set_overrides(key, o).await
    }
}

impl Racing {
    /// Commits the concurrent change first, `races` times.
    async fn race(&self, key: &tollgate_domain::AccountKey) -> Result<(), StoreError> {
        if self.saves.fetch_add(1, Ordering::SeqCst) < self.races {
            let state = self.store.state(key).await?.expect("account");
            let mut other = state.subscription.expect("subscription");
            (self.concurrent)(&mut other);
            self.store.save(key, &other, state.version, &[]).await?;
        }
        Ok(())
    }
}

/// Plan changes are billing batches: a batch that stores a subscription races the same way.
#[async_trait]
impl BillingStore for Racing {
    async fn apply(&self, changes: &[BillingChange]) -> Result<Vec<Invoice>, StoreError> {
        for change in changes {
            if let BillingChange::Subscription { account, .. } = change {
                self.race(account).await?;
            }
        }
        self.billing.apply(changes).await
    }

    async fn profile(&self, account: &tollgate_domain::AccountKey) -> Result<BillingProfile, StoreError> {
        self.billing.profile(account).await
    }

    async fn invoices(
        &self,
        account: &tollgate_domain::AccountKey,
        before: Option<tollgate_domain::InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        self.billing.invoices(account, before, limit).await
    }

    async fn invoice(
        &self,
        number: &tollgate_domain::InvoiceNumber,
    ) -> Result<Option<StoredInvoice>, StoreError> {
        self.billing.invoice(number).await
    }

    async fn unpaid(
        &self,
        after: Option<tollgate_domain::InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        self.billing.unpaid(after, limit).await
    }

    async fn checkout(&self, session: &str) -> Result<Option<Checkout>, StoreError> {
        self.billing.checkout(session).await
    }
}

async fn racing(races: usize, concurrent: fn(&mut Subscription)) -> (Tollgate, Arc<MemoryStore>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let mut ports = ports(&store, store.clone(), clock, MockPaymentGateway::new(), quiet_notifier());
    let racing = Arc::new(Racing {
        store: store.clone(),
        billing: MemoryBilling::new(store.clone()),
        races,
        saves: AtomicUsize::new(0),
        concurrent,
    });
    ports.subscriptions = racing.clone();
    ports.billing = racing;
    let app = Tollgate::new(ports, settings());
    app.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    app.provision(new_account("acme", None)).await.unwrap();
    (app, store)
}

#[tokio::test]
async fn a_seat_change_racing_a_suspension_never_undoes_it() {
    let (app, store) = racing(1, |s| s.suspend(datetime!(2026-11-23 10:00 UTC)).unwrap()).await;
    let change = ChangePlan { plan: None, seats: Some(4), ..ChangePlan::default() };
    // Decided on the active subscription, then found the suspension committed: decided again on
    // the suspended one, which refuses a change.
    let refused = app.change_plan(&operator(), &Origin::default(), &k("acme"), change).await;
    assert!(
        matches!(
            refused,
            Err(AppError::Subscription(tollgate_domain::SubscriptionError::IllegalTransition {
                from: Status::Suspended,
                ..
            }))
        ),
        "{refused:?}"
    );
    let sub = store.state(&k("acme")).await.unwrap().unwrap().subscription.unwrap();
    assert_eq!((sub.status(), sub.seats()), (Status::Suspended, 1), "the suspension stands");
}

#[tokio::test]
async fn a_suspension_racing_a_seat_change_keeps_both() {
    let (app, store) = racing(1, |s| {
        let plan = tollgate_domain::Plan::new(draft("free", "0", 0, Some(3), Some(1)), 1).unwrap();
        s.change_plan(&plan, 7, datetime!(2026-11-23 10:00 UTC)).unwrap();
    })
    .await;
    assert_eq!(
        app.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap().status,
        Status::Suspended
    );
    let sub = store.state(&k("acme")).await.unwrap().unwrap().subscription.unwrap();
    assert_eq!((sub.status(), sub.seats()), (Status::Suspended, 7), "both changes are kept");
}

#[tokio::test]
async fn an_account_that_keeps_changing_answers_conflict_and_nothing_is_lost() {
    let (app, store) = racing(usize::MAX, |s| {
        let plan = tollgate_domain::Plan::new(draft("free", "0", 0, Some(3), Some(1)), 1).unwrap();
        s.change_plan(&plan, s.seats() + 1, datetime!(2026-11-23 10:00 UTC)).unwrap();
    })
    .await;
    assert_eq!(app.suspend(&operator(), &Origin::default(), &k("acme")).await, Err(AppError::Conflict));
    let sub = store.state(&k("acme")).await.unwrap().unwrap().subscription.unwrap();
    assert_eq!(sub.status(), Status::Active, "the suspension was not stored");
    assert!(sub.seats() > 1, "and every concurrent change was kept");
}

#[tokio::test]
async fn operator_transitions_are_refused_once_a_cancelled_term_has_run_out() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    w.app.cancel(&k("acme"), true).await.unwrap();
    w.clock.advance(Duration::days(40));
    let expired = |r: Result<_, AppError>| {
        matches!(
            r,
            Err(AppError::Subscription(tollgate_domain::SubscriptionError::IllegalTransition {
                from: Status::Expired,
                ..
            }))
        )
    };
    assert!(
        expired(w.app.suspend(&operator(), &Origin::default(), &k("acme")).await),
        "an expired term is not suspended"
    );
    assert!(
        expired(w.app.mark_past_due(&operator(), &Origin::default(), &k("acme")).await),
        "nor marked past due"
    );
    assert!(expired(w.app.activate(&operator(), &Origin::default(), &k("acme")).await), "nor activated");
    assert_eq!(w.app.subscription(&k("acme")).await.unwrap().status, Status::Expired);
}
