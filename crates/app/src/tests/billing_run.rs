//! The billing run on memory adapters and the scripted gateway: a year of renewals, a trial that
//! converts and is paid on a retry, and an account chased by dunning to its suspension and back.

use std::sync::Arc;

use time::Duration;
use time::macros::datetime;
use tollgate_domain::{DecisionCode, Email, PaymentToken, Status};
use tollgate_memory::{Behaviour, ManualClock, MemoryMailer, MemoryStore, ScriptedGateway};
use tollgate_ports::{Message, MockPaymentGateway};

use super::{draft, k, m, memory_identity, new_account, operator, ports, q, quiet_notifier, settings};
use crate::{NewAccount, Origin, Tollgate};

struct Run {
    app: Tollgate,
    gateway: Arc<ScriptedGateway>,
    clock: Arc<ManualClock>,
    mailer: Arc<MemoryMailer>,
}

async fn world() -> Run {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-01-31 9:00 UTC)));
    let gateway = Arc::new(ScriptedGateway::new("whsec"));
    let mailer = Arc::new(MemoryMailer::default());
    let mut ports = ports(&store, store.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    ports.gateway = gateway.clone();
    ports.identity = memory_identity(&store, mailer.clone());
    let app = Tollgate::new(ports, settings());
    for d in [
        draft("free", "0", 0, Some(3), Some(1)),
        draft("pro", "45", 0, Some(2000), Some(3)),
        draft("trial", "45", 14, Some(2000), Some(3)),
    ] {
        app.publish_plan(d).await.unwrap();
    }
    Run { app, gateway, clock, mailer }
}

fn account(key: &str, plan: &str) -> NewAccount {
    NewAccount {
        email: Some(Email::parse(format!("billing@{key}.test")).unwrap()),
        ..new_account(key, Some(plan))
    }
}

async fn card(r: &Run, key: &str) {
    let token = PaymentToken::parse("pm_card_visa").unwrap();
    r.app.set_payment_method(&operator(), &Origin::default(), &k(key), token).await.unwrap();
}

fn reminders(r: &Run) -> Vec<u32> {
    r.mailer
        .sent()
        .iter()
        .filter_map(|mail| match mail.message {
            Message::PaymentReminder { day, .. } => Some(day),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn a_year_of_renewals_issues_twelve_invoices_in_order_each_once() {
    let r = world().await;
    r.app.provision(account("acme", "pro")).await.unwrap();
    card(&r, "acme").await;
    for month in 0..12 {
        let run = r.app.run_billing().await.unwrap();
        assert_eq!((run.invoices_issued, run.payments), (1, 1), "month {month}: {run:?}");
        assert_eq!(r.app.run_billing().await.unwrap().invoices_issued, 0, "a second run finds it done");
        let next = r.app.subscription(&k("acme")).await.unwrap().current_period_end.unwrap();
        r.clock.set(next);
    }
    let invoices = r.app.invoices(&k("acme"), None, 100).await.unwrap();
    let numbers: Vec<&str> = invoices.iter().rev().map(|i| i.number.as_str()).collect();
    let expected: Vec<String> = (1..=12).map(|n| format!("TG-2026-{n:06}")).collect();
    assert_eq!(numbers, expected, "gap-free, in order");
    assert!(invoices.iter().all(|i| i.status == "paid" && i.total.amount_string() == "45.00"));
    // Anchored on 31 January: February's period ends on 28 February, March's on the 31st again.
    let period = |i: usize| invoices[11 - i].lines[0].period.map(|p| (p.start, p.end));
    assert_eq!(period(0), Some((datetime!(2026-01-31 9:00 UTC), datetime!(2026-02-28 9:00 UTC))));
    assert_eq!(period(1), Some((datetime!(2026-02-28 9:00 UTC), datetime!(2026-03-31 9:00 UTC))));
    assert_eq!(r.gateway.charges().len(), 12);
}

#[tokio::test]
async fn a_trial_converts_and_is_paid_on_the_third_attempt() {
    let r = world().await;
    r.app.provision(account("acme", "trial")).await.unwrap();
    card(&r, "acme").await;
    r.clock.advance(Duration::days(11));
    let run = r.app.run_billing().await.unwrap();
    assert_eq!(run.trial_reminders, 1, "three days before the end: {run:?}");
    assert!(r.mailer.sent().iter().any(|m| m.template() == "trial_ending"));
    assert_eq!(r.app.run_billing().await.unwrap().trial_reminders, 0, "once");

    r.gateway.script(Behaviour::Decline("card_declined".into()));
    r.clock.advance(Duration::days(3));
    let run = r.app.run_billing().await.unwrap();
    assert_eq!((run.trials_converted, run.invoices_issued, run.declines), (1, 1, 1), "{run:?}");
    assert_eq!(r.app.subscription(&k("acme")).await.unwrap().status, Status::PastDue);
    r.clock.advance(Duration::days(1));
    assert_eq!(r.app.run_billing().await.unwrap().declines, 1, "the first retry, a day later");
    r.gateway.script(Behaviour::Succeed);
    r.clock.advance(Duration::days(1));
    assert_eq!(r.app.run_billing().await.unwrap().payments, 0, "the next retry is on day 3");
    r.clock.advance(Duration::days(1));
    assert_eq!(r.app.run_billing().await.unwrap().payments, 1);
    let invoice = &r.app.invoices(&k("acme"), None, 10).await.unwrap()[0];
    assert_eq!((invoice.status, invoice.attempts), ("paid", 3));
    assert_eq!(r.app.subscription(&k("acme")).await.unwrap().status, Status::Active);
}

#[tokio::test]
async fn an_unpaid_account_is_reminded_on_days_3_7_15_and_suspended_on_day_30() {
    let r = world().await;
    r.app.provision(account("acme", "pro")).await.unwrap();
    let issued = r.app.run_billing().await.unwrap();
    assert_eq!(issued.invoices_issued, 1);
    assert_eq!(r.app.subscription(&k("acme")).await.unwrap().status, Status::PastDue, "no payment method");
    for day in 1..=31 {
        r.clock.advance(Duration::days(1));
        r.app.run_billing().await.unwrap();
        if day == 29 {
            let d = r.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
            assert_ne!(d.code, DecisionCode::SubscriptionSuspended, "not before day 30");
        }
    }
    assert_eq!(reminders(&r), [3, 7, 15], "each reminder once");
    assert_eq!(r.app.subscription(&k("acme")).await.unwrap().status, Status::Suspended);
    let d = r.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap();
    assert_eq!(d.code, DecisionCode::SubscriptionSuspended);

    card(&r, "acme").await;
    let number = r.app.invoices(&k("acme"), None, 10).await.unwrap().last().unwrap().number.clone();
    let number = tollgate_domain::InvoiceNumber::parse(&number).unwrap();
    r.app.pay_invoice(&operator(), &Origin::default(), &k("acme"), &number).await.unwrap();
    assert_eq!(
        r.app.subscription(&k("acme")).await.unwrap().status,
        Status::Active,
        "paying lifts it at once"
    );
    assert!(r.app.consume(&k("acme"), &m("tickets"), q(1), None).await.unwrap().allowed);
}
