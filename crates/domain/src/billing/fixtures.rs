//! Plans, add-ons and amounts for the billing tests, written as an operator would.

use time::OffsetDateTime;

use crate::{AddOnTerms, Currency, Interval, Money, Plan, PlanDraft, Subscription};

/// `"40.00 USD"` as money.
pub(crate) fn money(text: &str) -> Money {
    let (amount, currency) = text.split_once(' ').unwrap();
    Money::new(amount.parse().unwrap(), Currency::parse(currency).unwrap())
}

/// A plan `code` named `name` at `price` (`"40 USD"`) per `interval`.
pub(crate) fn plan(code: &str, name: &str, price: &str, interval: Interval) -> Plan {
    let (amount, currency) = price.split_once(' ').unwrap();
    let draft: PlanDraft = serde_json::from_value(serde_json::json!({
        "code": code, "name": name, "interval": interval,
        "price": {"amount": amount, "currency": currency},
    }))
    .unwrap();
    Plan::new(draft, 1).unwrap()
}

/// `plan` priced per seat.
pub(crate) fn per_seat(plan: Plan) -> Plan {
    let mut terms = plan.terms().clone();
    terms.per_seat = true;
    Plan::new(terms, plan.version()).unwrap()
}

/// `plan` with a trial of `days`.
pub(crate) fn with_trial(plan: Plan, days: u32) -> Plan {
    let mut terms = plan.terms().clone();
    terms.trial_days = days;
    Plan::new(terms, plan.version()).unwrap()
}

/// An add-on `name` raising `sites` at `price` (`"10 USD"`) per `interval`.
pub(crate) fn add_on(code: &str, name: &str, price: &str, interval: Interval) -> AddOnTerms {
    let (amount, currency) = price.split_once(' ').unwrap();
    AddOnTerms::new(
        serde_json::from_value(serde_json::json!({
            "code": code, "name": name, "interval": interval,
            "price": {"amount": amount, "currency": currency},
            "limits": {"sites": {"max": 5}},
        }))
        .unwrap(),
    )
    .unwrap()
}

/// A subscription to `plan` with `seats`, started at `at`.
pub(crate) fn subscribe(plan: &Plan, seats: u32, at: OffsetDateTime) -> Subscription {
    Subscription::start(plan, seats, at).unwrap()
}
