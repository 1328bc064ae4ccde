//! Proration's edges: prorating outside the period, refused changes, period lines, the JSON.

use time::Duration;
use time::macros::datetime;

use super::*;
use crate::Interval::{Month, Year};
use crate::billing::fixtures::{add_on, money, per_seat, plan, subscribe};

fn april() -> Period {
    Period { start: datetime!(2026-04-01 0:00 UTC), end: datetime!(2026-05-01 0:00 UTC) }
}

#[test]
fn prorating_counts_whole_seconds_left_in_the_period() {
    let a = money("30 USD");
    assert_eq!(prorate(a, april(), datetime!(2026-03-01 0:00 UTC)), Ok(a));
    assert_eq!(prorate(a, april(), april().start), Ok(a));
    assert_eq!(prorate(a, april(), april().end), Ok(money("0 USD")));
    assert_eq!(prorate(a, april(), datetime!(2026-06-01 0:00 UTC)), Ok(money("0 USD")));
    // 1 of 30 days left: exactly 1.00; one second later, 86 399 / 2 592 000 of 30.
    assert_eq!(prorate(a, april(), datetime!(2026-04-30 0:00 UTC)), Ok(money("1 USD")));
    let second = prorate(a, april(), datetime!(2026-04-30 0:00:01 UTC)).unwrap();
    assert_eq!(InvoiceLine::new("x", second, None).amount, money("1.00 USD"));
    assert!(second.amount() < money("1 USD").amount());
    // A second already begun is not charged.
    let begun = datetime!(2026-04-30 0:00 UTC) + Duration::milliseconds(400);
    assert_eq!(prorate(a, april(), begun), Ok(second));
}

#[test]
fn recurring_amounts_multiply_seats_only_for_per_seat_plans() {
    let pro = plan("pro", "Pro", "45 USD", Month);
    assert_eq!(recurring_amount(&pro, 7), Ok(money("45 USD")));
    assert_eq!(recurring_amount(&per_seat(pro), 7), Ok(money("315 USD")));
    assert_eq!(plan_line_description(&per_seat(plan("team", "Team", "1 USD", Month)), 1), "Team × 1 seat");
}

#[test]
fn the_same_plan_seats_and_interval_is_not_a_change() {
    let pro = plan("pro", "Pro", "45 USD", Month);
    let sub = subscribe(&pro, 3, datetime!(2026-04-01 0:00 UTC));
    let now = datetime!(2026-04-10 0:00 UTC);
    assert_eq!(quote_change(&pro, &sub, &pro, 3, None, now), Err(BillingError::NotAChange));
    // A new version of the same plan is a change: at the same price, now, and free.
    let v2 = pro.clone().with_version(2);
    let quote = quote_change(&pro, &sub, &v2, 3, None, now).unwrap();
    assert_eq!((quote.timing, quote.lines.len(), quote.total), (ChangeTiming::Now, 0, money("0 USD")));
    // So is another seat count on a flat plan: now, costing nothing, with no line.
    let quote = quote_change(&pro, &sub, &pro, 4, None, now).unwrap();
    assert_eq!(
        (quote.timing, quote.lines.len(), quote.total),
        (ChangeTiming::Now, 0, money("0 USD")),
        "{quote:?}"
    );
}

#[test]
fn plans_in_two_currencies_and_impossible_seat_counts_are_refused() {
    let pro = plan("pro", "Pro", "45 USD", Month);
    let euro = plan("pro-eur", "Pro", "40 EUR", Month);
    let sub = subscribe(&pro, 1, datetime!(2026-04-01 0:00 UTC));
    let now = datetime!(2026-04-10 0:00 UTC);
    assert!(matches!(
        quote_change(&pro, &sub, &euro, 1, None, now),
        Err(BillingError::Money(MoneyError::CurrencyMismatch { .. }))
    ));
    for seats in [0, MAX_SEATS + 1] {
        assert_eq!(
            quote_change(&pro, &sub, &per_seat(pro.clone()), seats, None, now),
            Err(BillingError::Invalid(InvalidValue::new("seats", Rule::Seats)))
        );
    }
}

#[test]
fn a_period_invoice_has_the_plan_line_then_one_line_per_add_on() {
    let team = per_seat(plan("team", "Team", "12 USD", Month));
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    let support = add_on("support", "Priority support", "120 USD", Year);
    let lines = period_lines(&team, 5, &[(&sites, 2), (&support, 1)], april()).unwrap();
    let read: Vec<_> = lines.iter().map(|l| (l.description.as_str(), l.amount.amount_string())).collect();
    // A yearly add-on on a monthly plan costs a twelfth a month: 120 / 12 = 10.00.
    assert_eq!(
        read,
        [
            ("Team × 5 seats", "60.00".into()),
            ("Extra sites × 2", "20.00".into()),
            ("Priority support × 1", "10.00".into())
        ]
    );
    assert!(lines.iter().all(|line| line.period == Some(april())));
    // On a yearly plan a monthly add-on costs twelve months: 10 × 3 × 12 = 360.00.
    let yearly = plan("pro-yearly", "Pro Yearly", "480 USD", Year);
    let lines = period_lines(&yearly, 1, &[(&sites, 3)], april()).unwrap();
    assert_eq!(lines[0].description, "Pro Yearly");
    assert_eq!(lines[1].amount, money("360.00 USD"));
}

#[test]
fn period_lines_refuse_another_currency_no_quantity_and_no_seats() {
    let pro = plan("pro", "Pro", "45 USD", Month);
    let francs = add_on("extra-sites", "Extra sites", "5000 XOF", Month);
    assert!(matches!(
        period_lines(&pro, 1, &[(&francs, 1)], april()),
        Err(BillingError::Money(MoneyError::CurrencyMismatch { .. }))
    ));
    let sites = add_on("extra-sites", "Extra sites", "10 USD", Month);
    assert_eq!(
        period_lines(&pro, 1, &[(&sites, 0)], april()),
        Err(BillingError::Invalid(InvalidValue::new("quantity", Rule::AddOnQuantity)))
    );
    assert!(matches!(period_lines(&pro, 0, &[], april()), Err(BillingError::Invalid(_))));
}

#[test]
fn a_quote_serializes_as_the_preview_answer() {
    let (basic, pro) = (plan("basic", "Basic", "10 USD", Month), plan("pro", "Pro", "40 USD", Month));
    let sub = subscribe(&basic, 1, april().start);
    let quote = quote_change(&basic, &sub, &pro, 1, None, datetime!(2026-04-16 0:00 UTC)).unwrap();
    let json = serde_json::to_value(&quote).unwrap();
    assert_eq!(json["total"], serde_json::json!({"amount": "15.00", "currency": "USD"}));
    assert_eq!(json["effective_at"], "2026-04-16T00:00:00Z");
    assert_eq!(json["at"], "now");
    assert_eq!(json["period_end"], "2026-05-01T00:00:00Z");
    assert_eq!(json["lines"][0]["amount"]["amount"], "-5.00");
    assert_eq!(json["lines"][1]["period_start"], "2026-04-16T00:00:00Z");
    assert_eq!(serde_json::to_value(ChangeTiming::PeriodEnd).unwrap(), "period_end");
}
