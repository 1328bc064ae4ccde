//! Billing use cases on memory adapters and the scripted gateway: priced plan changes, payments
//! and declines, webhooks applied once and in any order, hosted checkouts.

use std::sync::Arc;

use time::Duration;
use time::macros::datetime;
use tollgate_domain::{ChangeTiming, InvoiceNumber, PaymentToken, PlanCode, Status};
use tollgate_memory::{Behaviour, ManualClock, MemoryStore, ScriptedGateway};
use tollgate_ports::MockPaymentGateway;

use super::{draft, k, m, new_account, operator, ports, q, quiet_notifier, settings};
use crate::{AppError, ChangePlan, Origin, Tollgate};

struct Billing {
    app: Tollgate,
    gateway: Arc<ScriptedGateway>,
    clock: Arc<ManualClock>,
}

/// Free, pro (45/month, no trial here), team (10 per seat) and enterprise, on the scripted gateway.
async fn billing() -> Billing {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-01 0:00 UTC)));
    let gateway = Arc::new(ScriptedGateway::new("whsec"));
    let mut ports = ports(&store, store.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    ports.gateway = gateway.clone();
    let app = Tollgate::new(ports, settings());
    for d in [
        draft("free", "0", 0, Some(3), Some(1)),
        draft("pro", "45", 0, Some(2000), Some(3)),
        draft("team", "10", 0, Some(100), Some(10)),
        draft("enterprise", "450", 0, None, None),
    ] {
        app.publish_plan(d).await.unwrap();
    }
    Billing { app, gateway, clock }
}

fn to(plan: &str) -> ChangePlan {
    ChangePlan { plan: Some(PlanCode::parse(plan).unwrap()), ..ChangePlan::default() }
}

async fn card(b: &Billing, account: &str) {
    let token = PaymentToken::parse("pm_card_visa").unwrap();
    b.app.set_payment_method(&operator(), &Origin::default(), &k(account), token).await.unwrap();
}

#[tokio::test]
async fn an_upgrade_applies_at_once_with_the_invoice_its_preview_showed_and_is_charged() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    card(&b, "acme").await;
    // Ten days into November's 30: 20 days left. Credit 45 × 20/30 = 30.00, charge 450 × 20/30 = 300.00.
    b.clock.advance(Duration::days(10));
    let preview = b.app.preview_change(&k("acme"), &to("enterprise")).await.unwrap();
    assert_eq!((preview.timing, preview.total.amount_string()), (ChangeTiming::Now, "270.00".into()));

    let outcome =
        b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("enterprise")).await.unwrap();
    assert_eq!(outcome.subscription.plan.as_str(), "enterprise");
    let invoice = outcome.invoice.expect("an invoice");
    assert_eq!(invoice.lines, preview.lines, "what the preview showed");
    assert_eq!(
        (invoice.number.as_str(), invoice.status, invoice.total),
        ("TG-2026-000001", "paid", preview.total)
    );
    assert_eq!(b.gateway.charges().len(), 1);
    let d = b.app.consume(&k("acme"), &m("sites"), q(5), None).await.unwrap();
    assert!(d.allowed, "enterprise's limits at once");
}

#[tokio::test]
async fn a_downgrade_waits_for_the_period_end_unless_asked_now() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    b.clock.advance(Duration::days(10));
    let outcome = b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("free")).await.unwrap();
    assert_eq!(outcome.invoice, None, "nothing is paid for a change at period end");
    let scheduled = outcome.subscription.scheduled_change.expect("scheduled");
    assert_eq!((scheduled.plan.as_str(), scheduled.at), ("free", datetime!(2026-12-01 0:00 UTC)));
    assert_eq!(outcome.subscription.plan.as_str(), "pro", "pro until then");
    assert!(b.app.consume(&k("acme"), &m("sites"), q(3), None).await.unwrap().allowed);

    b.clock.advance(Duration::days(21));
    let sub = b.app.subscription(&k("acme")).await.unwrap();
    assert_eq!((sub.plan.as_str(), sub.scheduled_change), ("free", None), "free from 1 December");
    let d = b.app.consume(&k("acme"), &m("sites"), q(1), None).await.unwrap();
    assert_eq!((d.allowed, d.limit), (false, Some(1)), "and free's limits with it");

    let back = b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("pro")).await.unwrap();
    assert_eq!(back.subscription.plan.as_str(), "pro", "an upgrade stores the settled change with it");
    let now = ChangePlan { at: Some(ChangeTiming::Now), ..to("free") };
    let credit = b.app.change_plan(&operator(), &Origin::default(), &k("acme"), now).await.unwrap();
    assert_eq!(credit.subscription.plan.as_str(), "free");
    let invoice = credit.invoice.expect("a credit note");
    assert!(invoice.total.is_negative(), "{invoice:?}");
    assert_eq!(invoice.status, "paid", "a credit is never chased");
}

#[tokio::test]
async fn a_declined_payment_is_recorded_and_paying_later_restores_the_account() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    card(&b, "acme").await;
    b.gateway.script(Behaviour::Decline("card_declined".into()));
    let outcome =
        b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("enterprise")).await.unwrap();
    let invoice = outcome.invoice.expect("invoice");
    assert_eq!((invoice.status, invoice.attempts), ("open", 1));
    assert!(invoice.next_attempt_at.is_some(), "a retry is scheduled");
    assert_eq!(outcome.subscription.status, Status::PastDue);

    let number = InvoiceNumber::parse(&invoice.number).unwrap();
    let refused = b.app.pay_invoice(&operator(), &Origin::default(), &k("acme"), &number).await;
    assert_eq!(refused, Err(AppError::PaymentFailed("card_declined".into())));
    assert_eq!(b.app.invoice(&k("acme"), &number).await.unwrap().attempts, 2);

    b.gateway.script(Behaviour::Succeed);
    let paid = b.app.pay_invoice(&operator(), &Origin::default(), &k("acme"), &number).await.unwrap();
    assert_eq!((paid.status, paid.attempts), ("paid", 3));
    assert_eq!(b.app.subscription(&k("acme")).await.unwrap().status, Status::Active);
    assert_eq!(
        b.app.pay_invoice(&operator(), &Origin::default(), &k("acme"), &number).await,
        Err(AppError::InvoiceNotPayable)
    );
    assert_eq!(
        b.app.invoice(&k("other"), &number).await,
        Err(AppError::NotFound("invoice")),
        "another account never sees it"
    );
}

#[tokio::test]
async fn without_a_payment_method_an_upgrade_leaves_its_invoice_open() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    let outcome =
        b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("enterprise")).await.unwrap();
    assert_eq!(outcome.invoice.as_ref().map(|i| i.status), Some("open"));
    assert_eq!(outcome.subscription.status, Status::Active);
    let number = InvoiceNumber::parse(&outcome.invoice.unwrap().number).unwrap();
    assert_eq!(
        b.app.pay_invoice(&operator(), &Origin::default(), &k("acme"), &number).await,
        Err(AppError::PaymentMethodRequired)
    );
    assert_eq!(b.gateway.calls(), 0, "nothing reached the gateway");
}

#[tokio::test]
async fn webhooks_apply_once_and_tolerate_any_order() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("pro"))).await.unwrap();
    let outcome =
        b.app.change_plan(&operator(), &Origin::default(), &k("acme"), to("enterprise")).await.unwrap();
    let number = outcome.invoice.unwrap().number;
    let event = |id: &str, kind: &str| {
        format!(r#"{{"id":"{id}","type":"{kind}","reference":"{number}","reason":"card_declined"}}"#)
            .into_bytes()
    };
    let app = &b.app;
    let receive = |body: Vec<u8>| async move {
        app.receive_webhook("scripted", "whsec", &body, &Origin::default()).await
    };

    assert_eq!(
        b.app
            .receive_webhook("scripted", "forged", &event("evt_0", "payment_succeeded"), &Origin::default())
            .await,
        Err(AppError::Gateway(tollgate_ports::GatewayError::InvalidSignature))
    );
    assert_eq!(
        b.app
            .receive_webhook("stripe", "whsec", &event("evt_0", "payment_succeeded"), &Origin::default())
            .await,
        Err(AppError::NotFound("gateway"))
    );
    receive(event("evt_1", "payment_succeeded")).await.unwrap();
    let number = InvoiceNumber::parse(&number).unwrap();
    assert_eq!(b.app.invoice(&k("acme"), &number).await.unwrap().status, "paid");
    // The failure of an earlier attempt arrives late: the paid invoice stays paid.
    receive(event("evt_2", "payment_failed")).await.unwrap();
    assert_eq!(b.app.invoice(&k("acme"), &number).await.unwrap().status, "paid");
    assert_eq!(b.app.subscription(&k("acme")).await.unwrap().status, Status::Active);
    // The same event again changes nothing.
    receive(event("evt_1", "payment_succeeded")).await.unwrap();
    receive(br#"{"id":"evt_3","type":"customer.created"}"#.to_vec()).await.unwrap();
}

#[tokio::test]
async fn a_confirmed_checkout_starts_its_plan_once() {
    let b = billing().await;
    b.app.provision(new_account("acme", Some("free"))).await.unwrap();
    let url = |u: &str| tollgate_domain::ReturnUrl::parse("success_url", u).unwrap();
    let team = PlanCode::parse("team").unwrap();
    let session = b
        .app
        .checkout(
            &operator(),
            &Origin::default(),
            &k("acme"),
            &team,
            url("https://a.test/ok"),
            url("https://a.test/ko"),
        )
        .await
        .unwrap();
    assert_eq!(b.app.subscription(&k("acme")).await.unwrap().plan.as_str(), "free", "not before payment");
    let body =
        format!(r#"{{"id":"evt_c","type":"checkout_completed","session":"{}"}}"#, session.id).into_bytes();
    b.app.receive_webhook("scripted", "whsec", &body, &Origin::default()).await.unwrap();
    let sub = b.app.subscription(&k("acme")).await.unwrap();
    assert_eq!((sub.plan.as_str(), sub.status), ("team", Status::Active));
    let invoices = b.app.invoices(&k("acme"), None, 10).await.unwrap();
    assert_eq!(invoices.len(), 1);
    assert_eq!(
        (invoices[0].reason, invoices[0].status, invoices[0].total.amount_string()),
        ("checkout", "paid", "10.00".into())
    );
    // A second event for the same checkout (another id) starts nothing more.
    let again =
        format!(r#"{{"id":"evt_d","type":"checkout_completed","session":"{}"}}"#, session.id).into_bytes();
    b.app.receive_webhook("scripted", "whsec", &again, &Origin::default()).await.unwrap();
    assert_eq!(b.app.invoices(&k("acme"), None, 10).await.unwrap().len(), 1);
}
