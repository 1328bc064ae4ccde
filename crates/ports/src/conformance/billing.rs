//! The billing records: invoices numbered per year without gaps (also under concurrency), a
//! batch written all or nothing, compare-and-set updates, profiles, checkouts and gateway events
//! applied once.

use std::collections::BTreeSet;

use time::macros::datetime;
use time::{Duration, OffsetDateTime};
use tollgate_domain::{
    AccountKey, Currency, DunningPolicy, InvoiceLine, InvoiceNumber, InvoiceReason, InvoiceStatus, Money,
    PlanCode,
};

use super::identity::event;
use super::{Backend, T0, account, key};
use crate::{AuditFilter, BillingChange, BillingProfile, Checkout, NewInvoice, StoreError};

fn new_invoice(k: &AccountKey, amount: &str, at: OffsetDateTime) -> NewInvoice {
    NewInvoice {
        account: k.clone(),
        reason: InvoiceReason::Subscription,
        currency: Currency::parse("USD").expect("valid currency"),
        lines: vec![InvoiceLine::new("Pro", Money::parse(amount, "USD").expect("valid money"), None)],
        period: None,
        plan: Some(PlanCode::parse("pro").expect("valid code")),
        issued_at: at,
        paid_at: None,
    }
}

fn number(n: &str) -> InvoiceNumber {
    InvoiceNumber::parse(n).expect("valid number")
}

async fn issue(b: &Backend, k: &AccountKey, at: OffsetDateTime) -> tollgate_domain::Invoice {
    let issued = b.billing.apply(&[BillingChange::Issue(new_invoice(k, "45.00", at))]).await.expect("issue");
    issued.into_iter().next().expect("one invoice")
}

async fn numbers(b: &Backend, k: &AccountKey, before: Option<InvoiceNumber>, limit: u32) -> Vec<String> {
    let listed = b.billing.invoices(k, before, limit).await.expect("invoices");
    listed.iter().map(|s| s.invoice.number().to_string()).collect()
}

/// Numbers follow each other within a year from 1, start again at 1 in the next, and the
/// account's invoices are listed newest first, a page before a number at a time.
pub async fn invoices_are_numbered_per_year_without_gaps(b: Backend) {
    let acme = account(&b, "acme").await;
    let other = account(&b, "other").await;
    let batch: Vec<_> = (0..3).map(|_| BillingChange::Issue(new_invoice(&acme, "45.00", T0))).collect();
    let issued = b.billing.apply(&batch).await.expect("issue three");
    let issued: Vec<String> = issued.iter().map(|i| i.number().to_string()).collect();
    assert_eq!(issued, ["TG-2026-000001", "TG-2026-000002", "TG-2026-000003"]);
    assert_eq!(issue(&b, &other, T0).await.number().to_string(), "TG-2026-000004");
    let next_year = datetime!(2027-01-01 0:00 UTC);
    let first = issue(&b, &acme, next_year).await;
    assert_eq!(first.number().to_string(), "TG-2027-000001");

    assert_eq!(
        numbers(&b, &acme, None, 10).await,
        ["TG-2027-000001", "TG-2026-000003", "TG-2026-000002", "TG-2026-000001"]
    );
    assert_eq!(
        numbers(&b, &acme, Some(number("TG-2026-000003")), 10).await,
        ["TG-2026-000002", "TG-2026-000001"]
    );
    assert_eq!(numbers(&b, &acme, None, 2).await, ["TG-2027-000001", "TG-2026-000003"]);
    assert_eq!(numbers(&b, &other, None, 10).await, ["TG-2026-000004"]);

    let stored = b.billing.invoice(first.number()).await.expect("read").expect("exists");
    assert_eq!((stored.account, stored.invoice, stored.version), (acme, first, 0));
    assert_eq!(b.billing.invoice(&number("TG-2026-000099")).await.expect("read"), None);
}

/// Sixteen invoices issued at once for two accounts take the numbers 1 to 16, each once.
pub async fn concurrent_issues_take_consecutive_numbers_once(b: Backend) {
    let keys = [account(&b, "acme").await, account(&b, "other").await];
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let (b, k) = (b.clone(), keys[i % 2].clone());
            tokio::spawn(async move { issue(&b, &k, T0).await.number().sequence() })
        })
        .collect();
    let mut sequences = BTreeSet::new();
    for task in tasks {
        assert!(sequences.insert(task.await.expect("task")), "a number was given twice");
    }
    assert_eq!(sequences, (1..=16).collect());
}

/// A batch that fails on one change writes none: no invoice, no spent number, no profile, no
/// audit event; the gateway event it carried can be applied later.
pub async fn a_failing_batch_writes_nothing_and_spends_no_number(b: Backend) {
    let k = account(&b, "acme").await;
    let gateway = |id: &str| BillingChange::Once { scope: "gateway:fake".into(), key: id.into(), at: T0 };
    b.billing.apply(&[gateway("evt_1")]).await.expect("first delivery");
    let profile =
        BillingProfile { customer: Some("cus_1".into()), payment_method: Some("pm_card_visa".into()) };
    let failing = [
        BillingChange::Issue(new_invoice(&k, "45.00", T0)),
        BillingChange::Profile { account: k.clone(), profile: profile.clone() },
        BillingChange::Audit(event("a", T0, "invoice.created", "system", "acme")),
        gateway("evt_1"),
    ];
    assert_eq!(b.billing.apply(&failing).await, Err(StoreError::Conflict("once")));
    assert!(numbers(&b, &k, None, 10).await.is_empty());
    assert_eq!(b.billing.profile(&k).await.expect("profile"), BillingProfile::default());
    assert!(b.identity.audit(&AuditFilter::default(), None, 10).await.expect("audit").is_empty());
    assert_eq!(issue(&b, &k, T0).await.number().to_string(), "TG-2026-000001", "no number was spent");

    let unknown = key("ghost");
    for change in [
        BillingChange::Issue(new_invoice(&unknown, "1.00", T0)),
        BillingChange::Profile { account: unknown.clone(), profile },
    ] {
        assert_eq!(b.billing.apply(&[change]).await, Err(StoreError::NotFound("account")));
    }
    assert_eq!(issue(&b, &k, T0).await.number().to_string(), "TG-2026-000002");
}

/// An invoice update applies only on the version it was derived from, moves the version on,
/// and only on the account's own invoice.
pub async fn invoice_updates_are_compare_and_set(b: Backend) {
    let k = account(&b, "acme").await;
    let other = account(&b, "other").await;
    let mut invoice = issue(&b, &k, T0).await;
    let mut failed = invoice.clone();
    failed.payment_failed(&DunningPolicy::default(), T0 + Duration::hours(1)).expect("fail");
    invoice.pay(T0 + Duration::hours(1)).expect("pay");

    let update = |account: &AccountKey, invoice: &tollgate_domain::Invoice, expected| {
        BillingChange::UpdateInvoice { account: account.clone(), invoice: invoice.clone(), expected }
    };
    b.billing.apply(&[update(&k, &invoice, 0)]).await.expect("paid");
    assert_eq!(b.billing.apply(&[update(&k, &failed, 0)]).await, Err(StoreError::Stale));
    assert_eq!(b.billing.apply(&[update(&other, &invoice, 1)]).await, Err(StoreError::NotFound("invoice")));
    let stored = b.billing.invoice(invoice.number()).await.expect("read").expect("exists");
    assert_eq!(stored.invoice.status(), InvoiceStatus::Paid);
    assert_eq!((stored.invoice, stored.version), (invoice, 1));

    let open = issue(&b, &other, T0).await;
    let third = issue(&b, &k, T0).await;
    let unpaid = b.billing.unpaid(None, 10).await.expect("unpaid");
    let unpaid: Vec<_> = unpaid.iter().map(|s| s.invoice.number().clone()).collect();
    assert_eq!(unpaid, [open.number().clone(), third.number().clone()], "open ones, in number order");
    assert_eq!(b.billing.unpaid(Some(open.number().clone()), 10).await.expect("unpaid").len(), 1);

    let paid_at_issue = NewInvoice { paid_at: Some(T0), ..new_invoice(&k, "10.00", T0) };
    let issued = b.billing.apply(&[BillingChange::Issue(paid_at_issue)]).await.expect("issue paid");
    assert_eq!(issued[0].status(), InvoiceStatus::Paid, "paid at the gateway before it was issued");
}

/// A subscription written in a batch is a compare-and-set on the account's state version: a
/// stale one refuses the whole batch, invoice included.
pub async fn a_batch_with_a_stale_subscription_writes_nothing(b: Backend) {
    let k = account(&b, "acme").await;
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    let mut sub = state.subscription.clone().expect("subscription");
    sub.mark_past_due(T0 + Duration::hours(1)).expect("past due");
    let batch = |expected| {
        vec![
            BillingChange::Subscription { account: k.clone(), subscription: sub.clone(), expected },
            BillingChange::Issue(new_invoice(&k, "45.00", T0)),
        ]
    };
    b.billing.apply(&batch(state.version)).await.expect("current version");
    let after = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(after.version, state.version + 1);
    assert_eq!(after.subscription, Some(sub.clone()));
    assert_eq!(b.billing.apply(&batch(state.version)).await, Err(StoreError::Stale));
    assert_eq!(numbers(&b, &k, None, 10).await, ["TG-2026-000001"]);
}

/// Profiles replace each other; a checkout is recorded once and completed once; work is
/// recorded done once per scope and key.
pub async fn profiles_checkouts_and_gateway_events_are_kept_once(b: Backend) {
    let k = account(&b, "acme").await;
    assert_eq!(b.billing.profile(&k).await.expect("profile"), BillingProfile::default());
    for pm in ["pm_card_visa", "pm_card_mastercard"] {
        let profile = BillingProfile { customer: Some("cus_1".into()), payment_method: Some(pm.into()) };
        b.billing
            .apply(&[BillingChange::Profile { account: k.clone(), profile: profile.clone() }])
            .await
            .expect("set");
        assert_eq!(b.billing.profile(&k).await.expect("profile"), profile);
    }

    let checkout = Checkout {
        session: "cs_test_1".into(),
        account: k.clone(),
        plan: PlanCode::parse("pro").expect("valid code"),
        seats: 3,
        amount: Money::parse("135.00", "USD").expect("valid money"),
        created_at: T0,
        completed_at: None,
    };
    b.billing.apply(&[BillingChange::StartCheckout(checkout.clone())]).await.expect("start");
    assert_eq!(
        b.billing.apply(&[BillingChange::StartCheckout(checkout.clone())]).await,
        Err(StoreError::Conflict("checkout"))
    );
    assert_eq!(b.billing.checkout("cs_test_1").await.expect("read"), Some(checkout.clone()));
    let complete = |session: &str| BillingChange::CompleteCheckout {
        session: session.into(),
        at: T0 + Duration::minutes(5),
    };
    b.billing.apply(&[complete("cs_test_1")]).await.expect("complete");
    assert_eq!(b.billing.apply(&[complete("cs_test_1")]).await, Err(StoreError::Conflict("checkout")));
    assert_eq!(b.billing.apply(&[complete("cs_test_2")]).await, Err(StoreError::NotFound("checkout")));
    let completed = b.billing.checkout("cs_test_1").await.expect("read").expect("exists");
    assert_eq!(completed.completed_at, Some(T0 + Duration::minutes(5)));
    assert_eq!(b.billing.checkout("cs_test_2").await.expect("read"), None);
    let ghost = Checkout { session: "cs_test_3".into(), account: key("ghost"), ..checkout };
    assert_eq!(
        b.billing.apply(&[BillingChange::StartCheckout(ghost)]).await,
        Err(StoreError::NotFound("account"))
    );

    let event = |scope: &str| BillingChange::Once { scope: scope.into(), key: "evt_9".into(), at: T0 };
    b.billing.apply(&[event("gateway:fake")]).await.expect("first");
    assert_eq!(b.billing.apply(&[event("gateway:fake")]).await, Err(StoreError::Conflict("once")));
    b.billing.apply(&[event("gateway:stripe")]).await.expect("keys are per scope");
}
