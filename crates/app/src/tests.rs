//! Use-case tests: memory adapters for storage, mockall mocks for the gateway and notifier.

use std::sync::Arc;

use time::Duration;
use time::macros::datetime;
use tollgate_domain::{
    AccountKey, DecisionCode, IdempotencyKey, Interval, Limit, Locale, MetricName, Money, Overrides,
    PlanCode, PlanDraft, Policy, Quantity, Request, Reset, Status,
};
use tollgate_memory::{
    FakePasswordHasher, FakeTotp, ManualClock, MemoryApiKeys, MemoryIdentity, MemoryLoginAttempts,
    MemoryMailer, MemoryStore, MemoryTokenCodec, SequentialIds, SequentialSecrets,
};
use tollgate_ports::{
    CheckoutSession, GatewayError, MockNotifier, MockPaymentGateway, MockUsageRepository, Notification,
    NotifyError, StoreError,
};

use crate::{
    AppError, ChangePlan, IdentityPorts, IdentitySettings, NewAccount, Origin, Ports, Settings, Tollgate,
};

struct World {
    app: Tollgate,
    clock: Arc<ManualClock>,
}

fn draft(code: &str, price: &str, trial_days: u32, tickets: Option<u64>, sites: Option<u64>) -> PlanDraft {
    PlanDraft {
        code: PlanCode::parse(code).unwrap(),
        name: code[..1].to_uppercase() + &code[1..],
        description: String::new(),
        price: Money::parse(price, "USD").unwrap(),
        interval: Interval::Month,
        trial_days,
        per_seat: code == "team",
        active: true,
        features: [(tollgate_domain::FeatureName::parse("api_access").unwrap(), code != "free")].into(),
        limits: [
            (m("tickets"), Limit { max: tickets, reset: Reset::Month, enforcement: Default::default() }),
            (m("sites"), Limit { max: sites, reset: Reset::Never, enforcement: Default::default() }),
        ]
        .into(),
        rate_limit: None,
        addons: Vec::new(),
    }
}

/// The operator's API key, as the admin routes' caller.
pub(crate) fn operator() -> tollgate_domain::Caller {
    tollgate_domain::Caller::PlatformKey {
        id: tollgate_domain::ApiKeyId::parse("key_operator").unwrap(),
        role: tollgate_domain::Role::Admin,
    }
}

fn m(name: &str) -> MetricName {
    MetricName::parse(name).unwrap()
}

fn k(key: &str) -> AccountKey {
    AccountKey::parse(key).unwrap()
}

fn q(n: u64) -> Quantity {
    Quantity::new(n).unwrap()
}

fn quiet_notifier() -> MockNotifier {
    let mut notifier = MockNotifier::new();
    notifier.expect_notify().returning(|_| Ok(()));
    notifier
}

/// Tollgate on `store` (and `usage` for counters), with the given clock, gateway and notifier.
fn tollgate(
    store: &Arc<MemoryStore>,
    usage: Arc<dyn tollgate_ports::UsageRepository>,
    clock: Arc<ManualClock>,
    gateway: MockPaymentGateway,
    notifier: MockNotifier,
) -> Tollgate {
    Tollgate::new(ports(store, usage, clock, gateway, notifier), settings())
}

fn ports(
    store: &Arc<MemoryStore>,
    usage: Arc<dyn tollgate_ports::UsageRepository>,
    clock: Arc<ManualClock>,
    gateway: MockPaymentGateway,
    notifier: MockNotifier,
) -> Ports {
    Ports {
        accounts: store.clone(),
        subscriptions: store.clone(),
        plans: store.clone(),
        addons: Arc::new(tollgate_memory::MemoryAddOns::new(store.clone())),
        usage,
        api_keys: Arc::new(MemoryApiKeys::new(store.clone())),
        secrets: Arc::new(SequentialSecrets::default()),
        clock,
        ids: Arc::new(SequentialIds::default()),
        gateway: Arc::new(gateway),
        notifier: Arc::new(notifier),
        billing: Arc::new(tollgate_memory::MemoryBilling::new(store.clone())),
        identity: memory_identity(store, Arc::new(MemoryMailer::default())),
    }
}

/// Identity on memory adapters, mailing into `mailer`.
pub(crate) fn memory_identity(store: &Arc<MemoryStore>, mailer: Arc<MemoryMailer>) -> IdentityPorts {
    IdentityPorts {
        store: Arc::new(MemoryIdentity::new(store.clone())),
        attempts: Arc::new(MemoryLoginAttempts::default()),
        hasher: Arc::new(FakePasswordHasher::default()),
        tokens: Arc::new(MemoryTokenCodec::default()),
        totp: Arc::new(FakeTotp::default()),
        mailer,
    }
}

fn settings() -> Settings {
    Settings {
        default_plan: Some(PlanCode::parse("free").unwrap()),
        policy: Policy::default(),
        cache_ttl: time::Duration::seconds(1),
        identity: IdentitySettings::default(),
        billing: crate::BillingSettings::default(),
        platform_rate_limit_per_minute: 0,
    }
}

async fn world_with(gateway: MockPaymentGateway, notifier: MockNotifier) -> World {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let app = tollgate(&store, store.clone(), clock.clone(), gateway, notifier);
    for d in [
        draft("free", "0", 0, Some(3), Some(1)),
        draft("pro", "45", 14, Some(2000), Some(3)),
        draft("team", "10", 0, Some(100), Some(10)),
        draft("enterprise", "450", 0, None, None),
    ] {
        app.publish_plan(d).await.unwrap();
    }
    World { app, clock }
}

async fn world() -> World {
    world_with(MockPaymentGateway::new(), quiet_notifier()).await
}

fn new_account(key: &str, plan: Option<&str>) -> NewAccount {
    NewAccount {
        key: k(key),
        name: key.to_uppercase(),
        email: None,
        plan: plan.map(|p| PlanCode::parse(p).unwrap()),
        seats: None,
    }
}

#[tokio::test]
async fn provisioning_uses_the_default_plan_and_notifies_once() {
    let mut notifier = MockNotifier::new();
    notifier
        .expect_notify()
        .withf(
            |n| matches!(n, Notification::AccountCreated { plan: Some(plan), .. } if plan.as_str() == "free"),
        )
        .times(1)
        .returning(|_| Ok(()));
    let w = world_with(MockPaymentGateway::new(), notifier).await;
    let view = w.app.provision(new_account("acme", None)).await.unwrap();
    let sub = view.subscription.unwrap();
    assert_eq!((sub.plan.as_str(), sub.status), ("free", Status::Active));
    assert_eq!(sub.current_period_start, Some(datetime!(2026-11-23 10:00 UTC)));
}

#[tokio::test]
async fn without_a_default_plan_an_account_has_no_subscription_until_it_names_a_plan() {
    let mut notifier = MockNotifier::new();
    notifier
        .expect_notify()
        .withf(|n| matches!(n, Notification::AccountCreated { plan: None, .. }))
        .times(1)
        .returning(|_| Ok(()));
    notifier
        .expect_notify()
        .withf(|n| matches!(n, Notification::AccountCreated { plan: Some(_), .. }))
        .times(1)
        .returning(|_| Ok(()));
    notifier
        .expect_notify()
        .withf(|n| matches!(n, Notification::SubscriptionStarted { plan, .. } if plan.as_str() == "pro"))
        .times(1)
        .returning(|_| Ok(()));
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let ports = ports(&store, store.clone(), clock, MockPaymentGateway::new(), notifier);
    let app = Tollgate::new(ports, Settings { default_plan: None, ..settings() });
    app.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    app.publish_plan(draft("pro", "45", 14, Some(2000), Some(3))).await.unwrap();

    let view = app.provision(new_account("acme", None)).await.unwrap();
    assert_eq!(view.subscription, None);
    assert_eq!(app.subscription(&k("acme")).await, Err(AppError::NoSubscription));
    assert_eq!(app.usage(&k("acme")).await.map(|_| ()), Err(AppError::NoSubscription));
    let request = Request::metric("tickets", 1).unwrap();
    let d = app.check(&k("acme"), &request).await.unwrap();
    assert_eq!((d.allowed, d.code), (false, DecisionCode::NoSubscription));
    let d = app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!((d.allowed, d.code), (false, DecisionCode::NoSubscription));
    let named = app.provision(new_account("named", Some("free"))).await.unwrap();
    assert_eq!(named.subscription.map(|s| s.plan.as_str().to_owned()).as_deref(), Some("free"));

    let seats_only = ChangePlan { plan: None, seats: Some(2), ..ChangePlan::default() };
    assert!(matches!(
        app.change_plan(&operator(), &Origin::default(), &k("acme"), seats_only).await,
        Err(AppError::PlanRequired)
    ));
    let ghost =
        ChangePlan { plan: Some(PlanCode::parse("ghost").unwrap()), seats: None, ..ChangePlan::default() };
    assert!(matches!(
        app.change_plan(&operator(), &Origin::default(), &k("acme"), ghost).await,
        Err(AppError::PlanNotFound(_))
    ));
    let pro =
        ChangePlan { plan: Some(PlanCode::parse("pro").unwrap()), seats: Some(2), ..ChangePlan::default() };
    let started = app.change_plan(&operator(), &Origin::default(), &k("acme"), pro).await.unwrap();
    let started = started.subscription;
    assert_eq!((started.plan.as_str(), started.status, started.seats), ("pro", Status::Trialing, 2));
    assert!(app.check(&k("acme"), &request).await.unwrap().allowed, "at once on this instance");
    let change = ChangePlan { plan: None, seats: Some(3), ..ChangePlan::default() };
    assert_eq!(
        app.change_plan(&operator(), &Origin::default(), &k("acme"), change)
            .await
            .unwrap()
            .subscription
            .seats,
        3,
        "then it is a change"
    );
}

#[tokio::test]
async fn a_plan_with_a_trial_starts_trialing_and_expires_without_payment() {
    let w = world().await;
    let view = w.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    let sub = view.subscription.unwrap();
    assert_eq!(sub.status, Status::Trialing);
    assert_eq!(sub.trial_ends_at, Some(datetime!(2026-12-07 10:00 UTC)));
    let request = Request::metric("tickets", 1).unwrap();
    assert!(w.app.check(&k("acme"), &request).await.unwrap().allowed);
    w.clock.advance(Duration::days(14));
    let d = w.app.check(&k("acme"), &request).await.unwrap();
    assert_eq!((d.allowed, d.code), (false, DecisionCode::TrialExpired));
    w.app.activate(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    assert!(w.app.check(&k("acme"), &request).await.unwrap().allowed);
}

#[tokio::test]
async fn provisioning_rejects_bad_requests_with_typed_errors() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    assert_eq!(w.app.provision(new_account("acme", None)).await, Err(AppError::AccountExists));
    let ghost = PlanCode::parse("ghost").unwrap();
    assert_eq!(w.app.provision(new_account("b", Some("ghost"))).await, Err(AppError::PlanNotFound(ghost)));
    let mut archived = draft("legacy", "5", 0, Some(1), None);
    archived.active = false;
    w.app.publish_plan(archived).await.unwrap();
    assert!(matches!(
        w.app.provision(new_account("c", Some("legacy"))).await,
        Err(AppError::PlanInactive(_))
    ));
    let mut blank = new_account("d", None);
    blank.name = "   ".into();
    assert!(matches!(w.app.provision(blank).await, Err(AppError::Invalid(e)) if e.field == "name"));
    let mut seats = new_account("e", None);
    seats.seats = Some(0);
    assert!(matches!(w.app.provision(seats).await, Err(AppError::Subscription(_))));
    assert!(matches!(w.app.account(&k("e")).await, Err(AppError::AccountNotFound)));
}

#[tokio::test]
async fn consume_stops_at_the_limit_and_suggests_the_cheapest_upgrade() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    for i in 1..=3 {
        let d = w.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
        assert_eq!((d.allowed, d.used, d.remaining), (true, Some(i), Some(3 - i)));
    }
    let d = w.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!((d.allowed, d.code, d.used), (false, DecisionCode::LimitReached, Some(3)));
    assert_eq!(
        d.message(Locale::En),
        "Monthly tickets limit reached (3/3). Upgrade to Team or wait until 2026-12-01."
    );
    let upgrade = d.upgrade.unwrap();
    assert_eq!((upgrade.plan.as_str(), upgrade.limit), ("team", Some(100)));
    let fr = w.app.check(&k("acme"), &Request::metric("tickets", 1).unwrap()).await.unwrap();
    assert!(fr.message(Locale::Fr).starts_with("Limite mensuelle de tickets atteinte (3/3)."));
}

#[tokio::test]
async fn a_replayed_key_is_counted_once_and_a_reused_key_is_refused() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    let key = || Some(IdempotencyKey::parse("req-1").unwrap());
    let first = w.app.consume(&k("acme"), &m("tickets"), q(2), key()).await.unwrap();
    let again = w.app.consume(&k("acme"), &m("tickets"), q(2), key()).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(w.app.usage(&k("acme")).await.unwrap().metrics[&m("tickets")].current, 2);
    let reused = w.app.consume(&k("acme"), &m("tickets"), q(1), key()).await;
    assert_eq!(reused, Err(AppError::IdempotencyMismatch));
}

#[tokio::test]
async fn a_plan_change_raises_the_limit_at_once() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    w.app.consume(&k("acme"), &m("sites"), q(1), None).await.unwrap();
    let denied = w.app.consume(&k("acme"), &m("sites"), q(1), None).await.unwrap();
    assert_eq!(denied.code, DecisionCode::LimitReached);
    let change = ChangePlan {
        plan: Some(PlanCode::parse("enterprise").unwrap()),
        seats: None,
        ..ChangePlan::default()
    };
    let sub = w.app.change_plan(&operator(), &Origin::default(), &k("acme"), change).await.unwrap();
    assert_eq!(sub.subscription.plan.as_str(), "enterprise");
    let allowed = w.app.consume(&k("acme"), &m("sites"), q(1), None).await.unwrap();
    assert_eq!((allowed.allowed, allowed.used, allowed.limit), (true, Some(2), None));
}

#[tokio::test]
async fn gauges_are_released_but_never_below_zero() {
    let w = world().await;
    w.app.provision(new_account("acme", Some("enterprise"))).await.unwrap();
    w.app.consume(&k("acme"), &m("sites"), q(2), None).await.unwrap();
    let d = w.app.release(&k("acme"), &m("sites"), q(5), None).await.unwrap();
    assert_eq!((d.allowed, d.used), (true, Some(0)));
}

#[tokio::test]
async fn unknown_metrics_and_features_are_errors_not_decisions() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    let r = w.app.consume(&k("acme"), &m("rockets"), q(1), None).await;
    assert_eq!(r, Err(AppError::UnknownMetric(m("rockets"))));
    let r = w.app.check(&k("acme"), &Request::feature("teleport").unwrap()).await;
    assert!(matches!(r, Err(AppError::UnknownFeature(_))));
    let not_in_plan = w.app.check(&k("acme"), &Request::feature("api_access").unwrap()).await.unwrap();
    assert_eq!(not_in_plan.code, DecisionCode::NotInPlan);
    assert_eq!(not_in_plan.upgrade.unwrap().plan.as_str(), "team");
    let overrides =
        Overrides { limits: [(m("rockets"), Limit::hard(1, Reset::Day))].into(), ..Default::default() };
    w.app.set_overrides(&k("acme"), overrides).await.unwrap();
    let custom = w.app.consume(&k("acme"), &m("rockets"), q(1), None).await.unwrap();
    assert!(custom.allowed, "an override defines a metric for one account");
    assert!(matches!(
        w.app.consume(&k("ghost"), &m("tickets"), q(1), None).await,
        Err(AppError::AccountNotFound)
    ));
}

#[tokio::test]
async fn cancellation_at_period_end_keeps_access_until_then_and_can_be_resumed_then_expires() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    let sub = w.app.cancel(&k("acme"), true).await.unwrap();
    assert!(sub.cancel_at_period_end);
    assert_eq!(sub.status, Status::Active);
    let resumed = w.app.resume(&k("acme")).await.unwrap();
    assert!(!resumed.cancel_at_period_end);
    w.app.cancel(&k("acme"), true).await.unwrap();
    w.clock.set(datetime!(2026-12-23 10:00 UTC));
    let d = w.app.check(&k("acme"), &Request::metric("tickets", 1).unwrap()).await.unwrap();
    assert_eq!(d.code, DecisionCode::SubscriptionExpired);
    let sub = w.app.subscription(&k("acme")).await.unwrap();
    assert_eq!((sub.status, sub.ended_at), (Status::Expired, Some(datetime!(2026-12-23 10:00 UTC))));
    assert!(matches!(w.app.resume(&k("acme")).await, Err(AppError::Subscription(_))));
}

#[tokio::test]
async fn a_failing_notifier_never_fails_the_use_case() {
    let mut notifier = MockNotifier::new();
    notifier.expect_notify().times(2).returning(|_| Err(NotifyError("smtp down".into())));
    let w = world_with(MockPaymentGateway::new(), notifier).await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    w.app.cancel(&k("acme"), false).await.unwrap();
}

#[tokio::test]
async fn past_due_accounts_keep_working_through_the_grace_period() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    w.app.mark_past_due(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    let request = Request::metric("tickets", 1).unwrap();
    w.clock.advance(Duration::days(6));
    assert!(w.app.check(&k("acme"), &request).await.unwrap().allowed);
    w.clock.advance(Duration::days(1));
    let d = w.app.check(&k("acme"), &request).await.unwrap();
    assert_eq!(d.code, DecisionCode::PaymentRequired);
    w.app.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    assert_eq!(w.app.check(&k("acme"), &request).await.unwrap().code, DecisionCode::SubscriptionSuspended);
}

#[tokio::test]
async fn subscribers_keep_their_plan_version_when_terms_change() {
    let w = world().await;
    w.app.provision(new_account("early", None)).await.unwrap();
    let v2 = w.app.publish_plan(draft("free", "0", 0, Some(1), Some(1))).await.unwrap();
    assert_eq!(v2.version(), 2);
    w.app.provision(new_account("late", None)).await.unwrap();
    let early = w.app.usage(&k("early")).await.unwrap();
    let late = w.app.usage(&k("late")).await.unwrap();
    assert_eq!(early.metrics[&m("tickets")].max, Some(3));
    assert_eq!(late.metrics[&m("tickets")].max, Some(1));
    assert_eq!(late.period.unwrap().end, datetime!(2026-12-23 10:00 UTC));
}

#[tokio::test]
async fn checkout_charges_per_seat_through_the_gateway() {
    let mut gateway = MockPaymentGateway::new();
    gateway
        .expect_checkout()
        .withf(|r| r.amount == Money::parse("30.00", "USD").unwrap() && r.plan.as_str() == "team")
        .times(1)
        .returning(|r| {
            Ok(CheckoutSession { id: r.idempotency_key.clone(), url: "https://pay.test/x".into() })
        });
    gateway.expect_checkout().returning(|_| Err(GatewayError::Unavailable("down".into())));
    let w = world_with(gateway, quiet_notifier()).await;
    let mut acme = new_account("acme", Some("team"));
    acme.seats = Some(3);
    w.app.provision(acme).await.unwrap();
    let team = PlanCode::parse("team").unwrap();
    let url = |u: &str| tollgate_domain::ReturnUrl::parse("success_url", u).unwrap();
    let (caller, origin) = (operator(), Origin::default());
    let session = w
        .app
        .checkout(&caller, &origin, &k("acme"), &team, url("https://ok.test"), url("https://ko.test"))
        .await
        .unwrap();
    assert_eq!(session.id, "chk_1");
    let failed = w
        .app
        .checkout(&caller, &origin, &k("acme"), &team, url("https://ok.test"), url("https://ko.test"))
        .await;
    assert!(matches!(failed, Err(AppError::Gateway(GatewayError::Unavailable(_)))));
}

#[tokio::test]
async fn an_unreachable_store_fails_closed() {
    let store = Arc::new(MemoryStore::new());
    let mut usage = MockUsageRepository::new();
    usage.expect_consume().returning(|_| Err(StoreError::Unavailable("timeout".into())));
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let app = tollgate(&store, Arc::new(usage), clock, MockPaymentGateway::new(), quiet_notifier());
    app.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    app.provision(new_account("acme", None)).await.unwrap();
    let r = app.consume(&k("acme"), &m("tickets"), q(1), None).await;
    assert_eq!(r, Err(AppError::Unavailable("timeout".into())));
}

/// Two instances on one store (as two servers on one database), with account `acme` on `free`.
async fn two_instances() -> (Tollgate, Tollgate, Arc<ManualClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)));
    let instance =
        || tollgate(&store, store.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    let (a, b) = (instance(), instance());
    a.publish_plan(draft("free", "0", 0, Some(3), Some(1))).await.unwrap();
    a.provision(new_account("acme", None)).await.unwrap();
    (a, b, clock)
}

#[tokio::test]
async fn another_instance_sees_changes_within_the_cache_ttl_and_this_one_at_once() {
    let (a, b, clock) = two_instances().await;
    let request = Request::metric("tickets", 1).unwrap();
    assert!(b.check(&k("acme"), &request).await.unwrap().allowed, "b caches the active state");
    a.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    let on_a = a.check(&k("acme"), &request).await.unwrap();
    assert_eq!(
        on_a.code,
        DecisionCode::SubscriptionSuspended,
        "the instance that changed it sees it at once"
    );
    assert!(b.check(&k("acme"), &request).await.unwrap().allowed, "b still within its TTL");
    clock.advance(Duration::seconds(1));
    let on_b = b.check(&k("acme"), &request).await.unwrap();
    assert_eq!(on_b.code, DecisionCode::SubscriptionSuspended, "b sees it once the TTL is over");
    // Counters: consume on b is exact, and check on b reflects b's own consume at once.
    a.activate(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    clock.advance(Duration::seconds(1));
    for _ in 0..3 {
        assert!(b.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap().allowed);
    }
    assert!(!a.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap().allowed, "consume is exact");
    assert!(!b.check(&k("acme"), &request).await.unwrap().allowed);
}

#[tokio::test]
async fn a_retry_after_a_suspension_gets_its_first_outcome_not_a_refusal() {
    let w = world().await;
    w.app.provision(new_account("acme", None)).await.unwrap();
    let key = || Some(IdempotencyKey::parse("req-9").unwrap());
    let first = w.app.consume(&k("acme"), &m("tickets"), q(1), key()).await.unwrap();
    assert!(first.allowed);
    w.app.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    let retry = w.app.consume(&k("acme"), &m("tickets"), q(1), key()).await.unwrap();
    assert_eq!(
        (retry.allowed, retry.code, retry.used),
        (true, DecisionCode::Ok, Some(1)),
        "the first outcome"
    );
    let other = w.app.consume(&k("acme"), &m("tickets"), q(2), key()).await;
    assert_eq!(other, Err(AppError::IdempotencyMismatch));
    let fresh = w.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!(fresh.code, DecisionCode::SubscriptionSuspended);
    assert_eq!(w.app.usage(&k("acme")).await.unwrap().metrics[&m("tickets")].current, 1);
}

#[tokio::test]
async fn a_busy_account_is_refreshed_in_the_background_within_its_ttl() {
    let (a, b, clock) = two_instances().await;
    let request = Request::metric("tickets", 1).unwrap();
    assert!(b.check(&k("acme"), &request).await.unwrap().allowed, "b caches the active state");
    a.suspend(&operator(), &Origin::default(), &k("acme")).await.unwrap();
    // Past half its life, b still answers from its cache, and reloads it in the background.
    clock.advance(Duration::milliseconds(600));
    assert!(b.check(&k("acme"), &request).await.unwrap().allowed, "b within its TTL");
    let mut code = DecisionCode::Ok;
    for _ in 0..100 {
        tokio::task::yield_now().await;
        code = b.check(&k("acme"), &request).await.unwrap().code;
        if code == DecisionCode::SubscriptionSuspended {
            break;
        }
    }
    assert_eq!(code, DecisionCode::SubscriptionSuspended, "the refresh landed before the TTL ran out");
}

mod addons;
mod admin;
mod api_keys;
mod billing;
mod billing_addons;
mod billing_run;
mod exactness;
mod identity;
mod identity_lapses;
mod identity_members;
mod identity_totp;
mod rate_limits;
