//! Buying add-ons: what the account holds after, and the prorated charge.

use time::macros::datetime;

use super::*;
use crate::Interval::{Month, Year};
use crate::billing::fixtures::{add_on, money, plan};
use crate::{MetricName, PlanDraft};

fn april() -> Period {
    Period { start: datetime!(2026-04-01 0:00 UTC), end: datetime!(2026-05-01 0:00 UTC) }
}

/// `plan` allowing the add-on `extra-sites`.
fn allowing(plan: Plan) -> Plan {
    let mut terms: PlanDraft = plan.terms().clone();
    terms.addons.push(AddOnCode::parse("extra-sites").unwrap());
    Plan::new(terms, plan.version()).unwrap()
}

#[test]
fn an_add_on_bought_mid_period_is_charged_for_the_rest_of_it() {
    let pro = allowing(plan("pro", "Pro", "45 USD", Month));
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    // Twenty of April's thirty days are left: two thirds of 2 × 10 USD.
    let bought = buy_add_on(&pro, &[], &sites, 2, april(), true, datetime!(2026-04-11 0:00 UTC)).unwrap();
    assert_eq!(bought.previous, 0);
    let line = bought.line.expect("charged");
    assert_eq!(line.description, "Extra sites × 2");
    assert_eq!(line.amount, money("13.33 USD"));
    assert_eq!(line.period, Some(Period { start: datetime!(2026-04-11 0:00 UTC), end: april().end }));
    assert_eq!(bought.add_ons.len(), 1);
    assert_eq!((bought.add_ons[0].code.as_str(), bought.add_ons[0].quantity), ("extra-sites", 2));
    assert_eq!(
        bought.add_ons[0].limits[&MetricName::parse("sites").unwrap()],
        5,
        "per unit, as the terms say"
    );
}

#[test]
fn more_units_charge_only_the_units_added_and_fewer_charge_nothing() {
    let pro = allowing(plan("pro", "Pro", "45 USD", Month));
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    let start = april().start;
    let one = buy_add_on(&pro, &[], &sites, 1, april(), true, start).unwrap();
    assert_eq!(one.line.as_ref().map(|l| l.amount), Some(money("10.00 USD")), "the whole period");
    let three =
        buy_add_on(&pro, &one.add_ons, &sites, 3, april(), true, datetime!(2026-04-16 0:00 UTC)).unwrap();
    assert_eq!(three.previous, 1);
    assert_eq!(three.add_ons.len(), 1, "the quantity is replaced, not added as another add-on");
    assert_eq!(three.add_ons[0].quantity, 3);
    let line = three.line.expect("two more units");
    assert_eq!((line.description.as_str(), line.amount), ("Extra sites × 2", money("10.00 USD")));
    let fewer = buy_add_on(&pro, &three.add_ons, &sites, 2, april(), true, start).unwrap();
    assert_eq!((fewer.previous, fewer.add_ons[0].quantity, fewer.line), (3, 2, None), "no refund");
}

#[test]
fn a_trial_or_a_yearly_plan_prices_the_add_on_as_plan_changes_do() {
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    let pro = allowing(plan("pro", "Pro", "45 USD", Month));
    let trial = buy_add_on(&pro, &[], &sites, 1, april(), false, april().start).unwrap();
    assert_eq!((trial.line, trial.add_ons.len()), (None, 1), "granted, not charged, during a trial");
    let yearly = allowing(plan("pro-yearly", "Pro yearly", "450 USD", Year));
    let year = Period { start: datetime!(2026-01-01 0:00 UTC), end: datetime!(2027-01-01 0:00 UTC) };
    let bought = buy_add_on(&yearly, &[], &sites, 1, year, true, datetime!(2026-07-02 12:00 UTC)).unwrap();
    // 12 × 10 USD for the year, half of it (182.5 of 365 days) left.
    assert_eq!(bought.line.map(|l| l.amount), Some(money("60.00 USD")));
}

#[test]
fn an_add_on_the_plan_does_not_allow_or_a_bad_quantity_is_refused() {
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    let free = plan("free", "Free", "0 USD", Month);
    assert_eq!(
        buy_add_on(&free, &[], &sites, 1, april(), true, april().start),
        Err(BillingError::AddOnNotAllowed(sites.code().clone()))
    );
    let pro = allowing(plan("pro", "Pro", "45 USD", Month));
    for quantity in [0, MAX_ADD_ON_QUANTITY + 1] {
        assert_eq!(
            buy_add_on(&pro, &[], &sites, quantity, april(), true, april().start),
            Err(BillingError::Invalid(InvalidValue::new("quantity", Rule::AddOnPurchaseQuantity)))
        );
    }
    assert!(buy_add_on(&pro, &[], &sites, MAX_ADD_ON_QUANTITY, april(), true, april().start).is_ok());
    let francs = add_on("extra-sites", "Extra sites", "5000 XOF", Month);
    assert!(matches!(
        buy_add_on(&pro, &[], &francs, 1, april(), true, april().start),
        Err(BillingError::Money(MoneyError::CurrencyMismatch { .. }))
    ));
}

#[test]
fn the_catalog_finds_an_add_on_by_code_or_names_the_field() {
    let catalog = [add_on("extra-sites", "Extra sites", "10 USD", Month)];
    assert!(catalog_add_on(&catalog, &AddOnCode::parse("extra-sites").unwrap()).is_ok());
    assert_eq!(
        catalog_add_on(&catalog, &AddOnCode::parse("more-seats").unwrap()),
        Err(InvalidValue::new("addon", Rule::NoSuchAddOn))
    );
}
