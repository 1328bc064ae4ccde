//! Decision tests across modules: every code of the contract, upgrades, and properties.

use proptest::prelude::*;
use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use crate::plan::tests::plan;
use crate::*;

fn m(name: &str) -> MetricName {
    MetricName::parse(name).unwrap()
}

fn catalog() -> Vec<Plan> {
    vec![
        plan("free", "0", &[("sites", Some(1), Reset::Never), ("tickets", Some(100), Reset::Month)], &[]),
        plan(
            "pro",
            "45",
            &[("sites", Some(3), Reset::Never), ("tickets", Some(2000), Reset::Month)],
            &["api_access"],
        ),
        plan(
            "enterprise",
            "450",
            &[("sites", None, Reset::Never), ("tickets", None, Reset::Month)],
            &["api_access", "sso"],
        ),
    ]
}

struct Fixture {
    catalog: Vec<Plan>,
    entitlements: Entitlements,
    subscription: Subscription,
    policy: Policy,
}

impl Fixture {
    fn on(code: &str, now: OffsetDateTime) -> Self {
        let catalog = catalog();
        let plan = catalog.iter().find(|p| p.code().as_str() == code).unwrap().clone();
        Self {
            entitlements: Entitlements::of_plan(&plan),
            subscription: Subscription::start(&plan, 1, now).unwrap(),
            catalog,
            policy: Policy::default(),
        }
    }

    fn eval(&self, now: OffsetDateTime) -> Evaluation<'_> {
        Evaluation {
            entitlements: &self.entitlements,
            subscription: Some(&self.subscription),
            now,
            policy: &self.policy,
            catalog: &self.catalog,
            current_plan: self.catalog.iter().find(|p| p.code() == self.subscription.plan()),
        }
    }
}

const NOW: OffsetDateTime = datetime!(2026-11-23 10:00 UTC);

#[test]
fn a_monthly_limit_denies_with_the_contract_message_and_an_upgrade() {
    let f = Fixture::on("pro", NOW);
    let d = f.eval(NOW).check(&Request::metric("tickets", 1).unwrap(), 2000);
    assert!(!d.allowed);
    assert_eq!(d.code, DecisionCode::LimitReached);
    assert_eq!((d.used, d.limit, d.remaining), (Some(2000), Some(2000), Some(0)));
    assert_eq!(d.resets_at, Some(datetime!(2026-12-01 0:00 UTC)));
    assert_eq!(
        d.message(Locale::En),
        "Monthly tickets limit reached (2000/2000). Upgrade to ENTERPRISE or wait until 2026-12-01."
    );
    assert_eq!(
        d.upgrade,
        Some(Upgrade {
            plan: PlanCode::parse("enterprise").unwrap(),
            name: "ENTERPRISE".into(),
            limit: None
        })
    );
    let fr = f.eval(NOW).check(&Request::metric("tickets", 1).unwrap(), 2000);
    assert_eq!(
        fr.message(Locale::Fr),
        "Limite mensuelle de tickets atteinte (2000/2000). Passez à ENTERPRISE ou attendez le 2026-12-01."
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["code"], "limit_reached");
    assert_eq!(json["resets_at"], "2026-12-01T00:00:00Z");
    assert_eq!(json["upgrade"]["limit"], serde_json::Value::Null);
}

#[test]
fn allowed_requests_report_what_remains() {
    let f = Fixture::on("pro", NOW);
    let d = f.eval(NOW).check(&Request::metric("tickets", 5).unwrap(), 10);
    assert_eq!((d.allowed, d.code, d.used, d.remaining), (true, DecisionCode::Ok, Some(10), Some(1990)));
    let sites = f.eval(NOW).check(&Request::metric("sites", 1).unwrap(), 3);
    assert_eq!(sites.resets_at, None);
    assert_eq!(
        sites.message(Locale::En),
        "Sites limit reached (3/3). Upgrade to ENTERPRISE or release some sites."
    );
    let feature = f.eval(NOW).check(&Request::feature("api_access").unwrap(), 0);
    assert_eq!((feature.allowed, feature.code), (true, DecisionCode::Ok));
}

#[test]
fn features_and_metrics_outside_the_plan_suggest_the_cheapest_plan_that_has_them() {
    let f = Fixture::on("free", NOW);
    let d = f.eval(NOW).check(&Request::feature("api_access").unwrap(), 0);
    assert_eq!(d.code, DecisionCode::NotInPlan);
    assert_eq!(d.upgrade.unwrap().plan.as_str(), "pro");
    let d = f.eval(NOW).check(&Request::metric("queues", 1).unwrap(), 0);
    assert_eq!((d.code, d.upgrade), (DecisionCode::NotInPlan, None));
    let d = f.eval(NOW).check(&Request::metric("sites", 5).unwrap(), 0);
    assert_eq!(d.upgrade.unwrap().plan.as_str(), "enterprise", "pro's 3 sites do not fit 5");
}

#[test]
fn soft_limits_allow_overage() {
    let mut f = Fixture::on("pro", NOW);
    f.entitlements = Entitlements::resolve(
        &f.catalog[1],
        &[],
        &Overrides {
            limits: [(
                m("tickets"),
                Limit { max: Some(10), reset: Reset::Month, enforcement: Enforcement::Soft },
            )]
            .into(),
            features: Default::default(),
        },
    );
    let eval = f.eval(NOW);
    let d = eval.check(&Request::metric("tickets", 5).unwrap(), 8);
    assert_eq!((d.allowed, d.code), (true, DecisionCode::Overage));
    let intent = eval.intent(&m("tickets"), Quantity::new(5).unwrap()).unwrap();
    assert_eq!(intent.cap(), None);
    assert_eq!(eval.consumed(&intent, true, 13).code, DecisionCode::Overage);
    assert_eq!(eval.consumed(&intent, true, 10).code, DecisionCode::Ok);
}

#[test]
fn status_gates_come_before_limits() {
    let mut f = Fixture::on("pro", NOW);
    let request = Request::metric("tickets", 1).unwrap();
    let code = |f: &Fixture, at| f.eval(at).check(&request, 0).code;

    f.subscription.mark_past_due(NOW).unwrap();
    assert_eq!(code(&f, NOW + Duration::days(6)), DecisionCode::Ok, "within grace");
    assert_eq!(code(&f, NOW + Duration::days(7)), DecisionCode::PaymentRequired);
    f.subscription.suspend(NOW).unwrap();
    assert_eq!(code(&f, NOW), DecisionCode::SubscriptionSuspended);
    f.subscription.activate(NOW).unwrap();
    f.subscription.cancel(true, NOW).unwrap();
    assert_eq!(code(&f, NOW), DecisionCode::Ok);
    assert_eq!(code(&f, datetime!(2026-12-23 10:00 UTC)), DecisionCode::SubscriptionExpired);
    let mut g = Fixture::on("pro", NOW);
    g.subscription.cancel(false, NOW).unwrap();
    assert_eq!(code(&g, NOW), DecisionCode::SubscriptionCancelled);
    g.subscription.expire(NOW).unwrap();
    assert_eq!(code(&g, NOW), DecisionCode::SubscriptionExpired);

    let mut terms = catalog()[1].terms().clone();
    terms.trial_days = 14;
    let trial = Plan::new(terms, 1).unwrap();
    let mut h = Fixture::on("pro", NOW);
    h.subscription = Subscription::start(&trial, 1, NOW).unwrap();
    assert_eq!(code(&h, NOW + Duration::days(13)), DecisionCode::Ok);
    assert_eq!(code(&h, NOW + Duration::days(14)), DecisionCode::TrialExpired);

    let none = Evaluation { subscription: None, ..f.eval(NOW) };
    assert_eq!(none.check(&request, 0).code, DecisionCode::NoSubscription);
}

#[test]
fn every_code_renders_in_both_languages() {
    let f = Fixture::on("pro", NOW);
    let eval = f.eval(NOW);
    for code in DecisionCode::ALL {
        for locale in [Locale::En, Locale::Fr] {
            let mut d = eval.check(&Request::metric("tickets", 1).unwrap(), 0);
            d.code = code;
            let text = d.message(locale);
            assert!(!text.is_empty() && !text.contains("{"), "{code:?} {locale:?}: {text}");
        }
    }
}

#[test]
fn windows_key_counters_by_period() {
    let f = Fixture::on("pro", datetime!(2026-01-31 12:00 UTC));
    let sub = &f.subscription;
    assert_eq!(Window::of(Reset::Never, sub, NOW).key.as_str(), "never");
    assert_eq!(Window::of(Reset::Day, sub, NOW).key.as_str(), "d:2026-11-23");
    assert_eq!(Window::of(Reset::Month, sub, NOW).key.as_str(), "m:2026-11");
    let billing = Window::of(Reset::BillingPeriod, sub, datetime!(2026-03-01 0:00 UTC));
    assert_eq!(billing.key.as_str(), format!("p:{}", datetime!(2026-02-28 12:00 UTC).unix_timestamp()));
    assert_eq!(billing.resets_at, Some(datetime!(2026-03-31 12:00 UTC)));
}

#[test]
fn quantities_are_bounded() {
    assert!(Quantity::new(0).is_err());
    assert!(Quantity::new(MAX_QUANTITY).is_ok());
    assert!(Quantity::new(MAX_QUANTITY + 1).is_err());
    assert!(serde_json::from_str::<Quantity>("-1").is_err());
    assert!(serde_json::from_str::<Quantity>("1.5").is_err());
    assert_eq!(serde_json::from_str::<Quantity>("7").unwrap().get(), 7);
}

/// A store's conditional write, as the port contract describes it, for properties.
fn apply(used: u64, cap: Option<u64>, quantity: u64) -> (bool, u64) {
    match used.checked_add(quantity) {
        Some(total) if cap.is_none_or(|c| total <= c) => (true, total),
        _ => (false, used),
    }
}

#[derive(Debug, Clone)]
enum Op {
    Consume(u64),
    Release(u64),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![(1..50_u64).prop_map(Op::Consume), (1..50_u64).prop_map(Op::Release)]
}

fn instant() -> impl Strategy<Value = OffsetDateTime> {
    (0_i64..7_258_118_400).prop_map(|s| OffsetDateTime::from_unix_timestamp(s).unwrap())
}

proptest! {
    #[test]
    fn no_sequence_of_consumes_and_releases_passes_a_hard_limit_or_zero(max in 0..200_u64, ops in prop::collection::vec(op(), 0..200)) {
        let mut f = Fixture::on("pro", NOW);
        f.entitlements = Entitlements::resolve(&f.catalog[1], &[], &Overrides {
            limits: [(m("sites"), Limit::hard(max, Reset::Never))].into(),
            features: Default::default(),
        });
        let eval = f.eval(NOW);
        let mut used = 0_u64;
        for op in ops {
            match op {
                Op::Consume(q) => {
                    let quantity = Quantity::new(q).unwrap();
                    let predicted = eval.check(&Request::Metric { metric: m("sites"), quantity }, used);
                    let intent = eval.intent(&m("sites"), quantity).unwrap();
                    let (applied, after) = apply(used, intent.cap(), q);
                    let decision = eval.consumed(&intent, applied, after);
                    prop_assert_eq!(predicted.allowed, decision.allowed, "check predicts consume");
                    used = after;
                }
                Op::Release(q) => used = used.saturating_sub(q),
            }
            prop_assert!(used <= max);
        }
    }

    #[test]
    fn evaluation_is_deterministic_and_total(used in any::<u64>(), q in 1..=MAX_QUANTITY, max in proptest::option::of(any::<u64>()), at in instant(), soft in any::<bool>()) {
        let mut f = Fixture::on("pro", NOW);
        let enforcement = if soft { Enforcement::Soft } else { Enforcement::Hard };
        f.entitlements = Entitlements::resolve(&f.catalog[1], &[], &Overrides {
            limits: [(m("tickets"), Limit { max, reset: Reset::BillingPeriod, enforcement })].into(),
            features: Default::default(),
        });
        let request = Request::metric("tickets", q).unwrap();
        let a = f.eval(at).check(&request, used);
        let b = f.eval(at).check(&request, used);
        prop_assert_eq!(&a, &b);
        prop_assert_eq!(a.message(Locale::Fr), b.message(Locale::Fr));
        if a.code == DecisionCode::Ok {
            prop_assert!(max.is_none_or(|max| used.checked_add(q).is_some_and(|t| t <= max)));
        }
        prop_assert_eq!(a.allowed, a.code.allows());
    }

    #[test]
    fn arbitrary_input_never_panics(text in "\\PC{0,300}", n in any::<u64>(), secs in any::<i64>(), days in any::<u32>(), seats in any::<u32>()) {
        let _ = AccountKey::parse(text.clone());
        let _ = PlanCode::parse(text.clone());
        let _ = Email::parse(text.clone());
        let _ = IdempotencyKey::parse(text.clone());
        let _ = Currency::parse(&text);
        let _ = Money::parse(&text, "USD");
        let _ = serde_json::from_str::<PlanDraft>(&text);
        let _ = Request::metric(&text, n);
        let at = OffsetDateTime::from_unix_timestamp(secs.clamp(-377_705_116_800, 253_402_300_799)).unwrap();
        let mut terms = catalog()[1].terms().clone();
        terms.trial_days = days;
        if let Ok(plan) = Plan::new(terms, 1)
            && let Ok(mut sub) = Subscription::start(&plan, seats, at)
        {
            let _ = sub.period_at(at);
            let _ = Window::of(Reset::BillingPeriod, &sub, at);
            let _ = plan.evaluate(&sub, &Request::metric("tickets", 1).unwrap(), n, at);
            let _ = sub.cancel(true, at);
            let _ = sub.change_plan(&plan, seats, at);
        }
    }
}

#[test]
fn upgrades_prefer_the_current_billing_interval() {
    let mut yearly = catalog()[1].terms().clone();
    yearly.code = PlanCode::parse("pro-yearly").unwrap();
    yearly.interval = Interval::Year;
    yearly.price = Money::parse("450", "USD").unwrap();
    let mut plans = catalog();
    plans.push(Plan::new(yearly, 1).unwrap());
    let free = plans[0].clone();
    let request = Request::feature("api_access").unwrap();
    let upgrade = suggest_upgrade(&plans, Some(&free), &request, 0).unwrap();
    assert_eq!(upgrade.plan.as_str(), "pro", "monthly pro, though pro-yearly costs less per month");
}
