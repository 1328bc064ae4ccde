//! The invoice state machine: issuing, every transition from every status, retries.

use time::macros::datetime;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::billing::fixtures::money;

const ISSUED: OffsetDateTime = datetime!(2026-05-01 0:00 UTC);

fn number(sequence: u32) -> InvoiceNumber {
    InvoiceNumber::new(2026, sequence).unwrap()
}

fn usd() -> Currency {
    Currency::parse("USD").unwrap()
}

fn issue(amounts: &[&str]) -> Result<Invoice, BillingError> {
    let lines = amounts.iter().map(|a| InvoiceLine::new(format!("line {a}"), money(a), None)).collect();
    Invoice::issue(number(1), InvoiceReason::Subscription, usd(), lines, None, None, ISSUED)
}

/// An invoice of 45.00 USD in `status`, as an adapter would read it back.
fn stored(status: InvoiceStatus) -> Invoice {
    let mut parts = issue(&["45 USD"]).unwrap().to_parts();
    parts.status = status;
    Invoice::from_parts(parts)
}

#[test]
fn an_invoice_is_issued_open_due_at_once_and_totals_its_lines() {
    let period = Period { start: ISSUED, end: datetime!(2026-06-01 0:00 UTC) };
    let pro = PlanCode::parse("pro").unwrap();
    let lines = vec![
        InvoiceLine::new("Pro", money("45 USD"), Some(period)),
        InvoiceLine::new("Extra sites × 2", money("20 USD"), Some(period)),
        InvoiceLine::new("Credit", money("-0.335 USD"), None),
    ];
    let invoice = Invoice::issue(
        number(123),
        InvoiceReason::Subscription,
        usd(),
        lines,
        Some(period),
        Some(pro.clone()),
        ISSUED,
    )
    .unwrap();
    assert_eq!(invoice.status(), InvoiceStatus::Open);
    // 45.00 + 20.00 - 0.34 (the line rounded half to even, once): 64.66.
    assert_eq!((invoice.subtotal(), invoice.total()), (money("64.66 USD"), money("64.66 USD")));
    assert_eq!((invoice.issued_at(), invoice.due_at(), invoice.paid_at()), (ISSUED, ISSUED, None));
    assert_eq!((invoice.attempts(), invoice.next_attempt_at()), (0, None));
    assert_eq!((invoice.period(), invoice.plan()), (Some(period), Some(&pro)));
    assert_eq!(
        (invoice.reason(), invoice.currency(), invoice.lines().len()),
        (InvoiceReason::Subscription, usd(), 3)
    );
    assert!(invoice.is_payable());
    assert_eq!(Invoice::from_parts(invoice.to_parts()), invoice);
    let json = serde_json::to_value(&invoice).unwrap();
    assert_eq!(json["number"], "TG-2026-000123");
    assert_eq!(json["status"], "open");
    assert_eq!(json["total"], serde_json::json!({"amount": "64.66", "currency": "USD"}));
    assert_eq!(json["currency"], "USD");
    assert_eq!(json["due_at"], "2026-05-01T00:00:00Z");
    assert_eq!(json["paid_at"], serde_json::Value::Null);
    assert_eq!(json["attempts"], 0);
    assert_eq!(json["lines"][1]["description"], "Extra sites × 2");
    assert_eq!(json["period_end"], "2026-06-01T00:00:00Z");
}

#[test]
fn an_invoice_with_nothing_to_charge_is_issued_paid() {
    for amounts in [&[][..], &["0 USD"], &["10 USD", "-10 USD"], &["-23.70 USD"]] {
        let invoice = issue(amounts).unwrap();
        assert_eq!(invoice.status(), InvoiceStatus::Paid, "{amounts:?}");
        assert_eq!(invoice.paid_at(), Some(ISSUED));
        assert!(!invoice.is_payable());
    }
}

#[test]
fn every_line_must_be_in_the_invoice_currency() {
    assert_eq!(
        issue(&["10 USD", "5000 XOF"]),
        Err(BillingError::Money(MoneyError::CurrencyMismatch {
            left: usd(),
            right: Currency::parse("XOF").unwrap()
        }))
    );
}

type Action = fn(&mut Invoice) -> Result<(), BillingError>;

const ACTIONS: [(&str, Action); 5] = [
    ("finalize", |i| i.finalize(ISSUED)),
    ("pay", |i| i.pay(ISSUED)),
    ("payment_failed", |i| i.payment_failed(&DunningPolicy::default(), ISSUED)),
    ("void", |i| i.void(ISSUED)),
    ("mark_uncollectible", |i| i.mark_uncollectible(ISSUED)),
];

#[test]
fn every_transition_from_every_status_is_allowed_or_refused_by_name() {
    use InvoiceStatus::{Draft, Open, Paid, Uncollectible, Void};
    let legal = [
        (Draft, "finalize", Open),
        (Open, "pay", Paid),
        (Open, "payment_failed", Open),
        (Open, "void", Void),
        (Open, "mark_uncollectible", Uncollectible),
        (Uncollectible, "pay", Paid),
        (Uncollectible, "payment_failed", Uncollectible),
        (Uncollectible, "void", Void),
    ];
    for from in InvoiceStatus::ALL {
        for (name, action) in ACTIONS {
            let mut invoice = stored(from);
            let result = action(&mut invoice);
            match legal.iter().find(|(f, n, _)| *f == from && *n == name) {
                Some(&(_, _, to)) => {
                    assert_eq!(result, Ok(()), "{name} from {from:?}");
                    assert_eq!(invoice.status(), to, "{name} from {from:?}");
                }
                None => {
                    assert_eq!(result, Err(BillingError::IllegalTransition { from, action: name }));
                    assert_eq!(invoice, stored(from), "a refused {name} changes nothing");
                }
            }
        }
    }
    let refused = stored(Paid).void(ISSUED).unwrap_err();
    assert_eq!(refused.to_string(), "cannot void an invoice that is paid");
}

#[test]
fn paying_counts_the_attempt_and_clears_the_retry() {
    let mut invoice = stored(InvoiceStatus::Open);
    invoice.payment_failed(&DunningPolicy::default(), ISSUED).unwrap();
    assert!(invoice.next_attempt_at().is_some());
    let paid_at = ISSUED + Duration::days(1);
    invoice.pay(paid_at).unwrap();
    assert_eq!((invoice.attempts(), invoice.paid_at(), invoice.next_attempt_at()), (2, Some(paid_at), None));
    assert!(!invoice.is_payable());
}

#[test]
fn a_draft_finalized_later_is_due_when_finalized() {
    let mut parts = issue(&["45 USD"]).unwrap().to_parts();
    parts.status = InvoiceStatus::Draft;
    let mut draft = Invoice::from_parts(parts.clone());
    assert!(!draft.is_payable());
    let later = ISSUED + Duration::hours(5);
    draft.finalize(later).unwrap();
    assert_eq!((draft.status(), draft.issued_at(), draft.due_at()), (InvoiceStatus::Open, later, later));
    parts.total = money("0 USD");
    let mut free = Invoice::from_parts(parts);
    free.finalize(later).unwrap();
    assert_eq!((free.status(), free.paid_at()), (InvoiceStatus::Paid, Some(later)));
}

#[test]
fn failed_charges_are_retried_on_days_1_3_and_7_then_no_more() {
    let policy = DunningPolicy::default();
    let mut invoice = issue(&["45 USD"]).unwrap();
    let day = |n: i64| ISSUED + Duration::days(n);
    // The charge at issue fails, then each retry fails when it is due.
    let mut now = ISSUED;
    let mut scheduled = Vec::new();
    while invoice.attempts() < 10 {
        invoice.payment_failed(&policy, now).unwrap();
        match invoice.next_attempt_at() {
            Some(at) => {
                scheduled.push(at);
                now = at;
            }
            None => break,
        }
    }
    assert_eq!(scheduled, [day(1), day(3), day(7)]);
    assert_eq!(invoice.attempts(), 4, "the charge at issue and three retries");
    assert_eq!(invoice.status(), InvoiceStatus::Open, "giving up is the caller's decision");
    // A payment tried by hand after a retry's day is retried at once, not in the past.
    let mut late = issue(&["45 USD"]).unwrap();
    late.payment_failed(&policy, ISSUED).unwrap();
    late.payment_failed(&policy, day(5)).unwrap();
    assert_eq!(late.next_attempt_at(), Some(day(5)));
    // An uncollectible invoice is no longer retried, though a failed payment still counts.
    late.mark_uncollectible(day(8)).unwrap();
    late.payment_failed(&policy, day(9)).unwrap();
    assert_eq!((late.attempts(), late.next_attempt_at()), (3, None));
}
