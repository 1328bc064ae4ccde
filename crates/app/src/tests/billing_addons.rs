//! Add-ons bought on memory adapters and the scripted gateway: granted at once, the rest of the
//! period invoiced with them in one write and charged; refused when the plan does not allow
//! them; removed at once without a refund.

use std::sync::Arc;

use time::Duration;
use time::macros::datetime;
use tollgate_domain::{AddOnCode, AddOnDraft, AddOnLimit, BillingError, Interval, Money, Name, PaymentToken};
use tollgate_memory::{ManualClock, MemoryStore, ScriptedGateway};
use tollgate_ports::{AuditFilter, MockPaymentGateway};

use super::{draft, k, m, new_account, operator, ports, q, quiet_notifier, settings};
use crate::{AppError, Origin, Tollgate};

fn code(text: &str) -> AddOnCode {
    AddOnCode::parse(text).unwrap()
}

/// Free (1 site) and pro (3 sites, allowing `extra-sites`: +5 sites a unit at 10 USD a month).
async fn app() -> (Tollgate, Arc<ScriptedGateway>, Arc<ManualClock>) {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(datetime!(2026-11-01 0:00 UTC)));
    let gateway = Arc::new(ScriptedGateway::new("whsec"));
    let mut ports = ports(&store, store.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    ports.gateway = gateway.clone();
    let app = Tollgate::new(ports, settings());
    let extra = AddOnDraft {
        code: code("extra-sites"),
        name: Name::parse("Extra sites").unwrap(),
        price: Money::parse("10.00", "USD").unwrap(),
        interval: Interval::Month,
        limits: [(m("sites"), AddOnLimit { max: 5 })].into(),
        features: Default::default(),
    };
    app.put_addon(&operator(), &Origin::default(), &code("extra-sites"), extra).await.unwrap();
    let mut pro = draft("pro", "45", 0, Some(2000), Some(3));
    pro.addons.push(code("extra-sites"));
    for d in [draft("free", "0", 0, Some(3), Some(1)), pro] {
        app.publish_plan(d).await.unwrap();
    }
    (app, gateway, clock)
}

#[tokio::test]
async fn an_add_on_raises_the_limit_at_once_and_the_rest_of_the_period_is_invoiced_and_charged() {
    let (app, gateway, clock) = app().await;
    app.provision(new_account("acme", Some("pro"))).await.unwrap();
    let token = PaymentToken::parse("pm_card_visa").unwrap();
    app.set_payment_method(&operator(), &Origin::default(), &k("acme"), token).await.unwrap();
    assert!(!app.consume(&k("acme"), &m("sites"), q(4), None).await.unwrap().allowed, "3 sites on pro");
    // Ten days into November's 30: two thirds of 10 USD.
    clock.advance(Duration::days(10));
    let version = app.state(&k("acme")).await.unwrap().version;
    let bought =
        app.buy_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites"), 1).await.unwrap();
    assert!(bought.created);
    assert_eq!((bought.add_ons.len(), bought.add_ons[0].quantity), (1, 1));
    let invoice = bought.invoice.expect("an invoice");
    assert_eq!(
        (invoice.reason, invoice.status, invoice.total.amount_string()),
        ("add_on", "paid", "6.67".into())
    );
    assert_eq!(invoice.lines.len(), 1);
    assert_eq!(invoice.lines[0].description, "Extra sites × 1");
    let rest = invoice.lines[0].period.expect("a period");
    assert_eq!((rest.start, rest.end), (datetime!(2026-11-11 0:00 UTC), datetime!(2026-12-01 0:00 UTC)));
    assert_eq!(gateway.charges().len(), 1, "charged like an upgrade");
    let state = app.state(&k("acme")).await.unwrap();
    assert!(state.version > version, "the add-ons moved the state version");
    let d = app.consume(&k("acme"), &m("sites"), q(8), None).await.unwrap();
    assert_eq!((d.allowed, d.limit), (true, Some(8)), "3 + 5 at once");

    let more =
        app.buy_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites"), 3).await.unwrap();
    assert!(!more.created, "a quantity changed");
    assert_eq!(more.add_ons[0].quantity, 3);
    assert_eq!(more.invoice.expect("the two units added").lines[0].description, "Extra sites × 2");
    let fewer =
        app.buy_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites"), 2).await.unwrap();
    assert_eq!((fewer.add_ons[0].quantity, fewer.invoice), (2, None), "no refund, no invoice");

    let on = AuditFilter { action: Some("addon.bought".into()), ..AuditFilter::default() };
    assert_eq!(app.audit_log(&operator(), &on, None, 10).await.unwrap().len(), 3);
}

#[tokio::test]
async fn an_add_on_is_refused_when_the_plan_does_not_allow_it_the_catalog_lacks_it_or_too_many() {
    let (app, _, _) = app().await;
    app.provision(new_account("acme", Some("free"))).await.unwrap();
    app.provision(new_account("globex", Some("pro"))).await.unwrap();
    let buy = |key: &'static str, addon: &'static str, quantity| {
        let app = &app;
        async move { app.buy_addon(&operator(), &Origin::default(), &k(key), &code(addon), quantity).await }
    };
    assert_eq!(
        buy("acme", "extra-sites", 1).await,
        Err(AppError::Billing(BillingError::AddOnNotAllowed(code("extra-sites"))))
    );
    assert!(matches!(buy("globex", "more-seats", 1).await, Err(AppError::Invalid(e)) if e.field == "addon"));
    for quantity in [0, 1001] {
        assert!(
            matches!(buy("globex", "extra-sites", quantity).await, Err(AppError::Invalid(e)) if e.field == "quantity")
        );
    }
    assert!(app.state(&k("acme")).await.unwrap().add_ons.is_empty(), "nothing written");
    assert!(app.invoices(&k("acme"), None, 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_trial_gets_the_add_on_without_an_invoice_and_removing_it_lowers_the_limit_at_once() {
    let (app, gateway, _) = app().await;
    let mut trial = draft("pro", "45", 14, Some(2000), Some(3));
    trial.addons.push(code("extra-sites"));
    app.publish_plan(trial).await.unwrap();
    app.provision(new_account("acme", Some("pro"))).await.unwrap();
    let bought =
        app.buy_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites"), 1).await.unwrap();
    assert_eq!(bought.invoice, None, "no money changes hands during a trial");
    assert!(gateway.charges().is_empty());
    assert_eq!(app.consume(&k("acme"), &m("sites"), q(8), None).await.unwrap().limit, Some(8));

    app.remove_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites")).await.unwrap();
    assert!(app.account_addons(&k("acme")).await.unwrap().is_empty());
    let d = app.consume(&k("acme"), &m("sites"), q(1), None).await.unwrap();
    assert_eq!((d.allowed, d.limit), (false, Some(3)), "back to the plan's 3 at once");
    assert_eq!(
        app.remove_addon(&operator(), &Origin::default(), &k("acme"), &code("extra-sites")).await,
        Err(AppError::NotFound("addon"))
    );
    let on = AuditFilter { action: Some("addon.removed".into()), ..AuditFilter::default() };
    assert_eq!(app.audit_log(&operator(), &on, None, 10).await.unwrap().len(), 1);
}
