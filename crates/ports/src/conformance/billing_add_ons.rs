//! Add-ons written in a billing batch: a compare-and-set on the account's state version, with
//! the invoice and the audit event that go with them, all or nothing.

use time::Duration;
use tollgate_domain::{AddOn, Currency, FeatureName, InvoiceLine, InvoiceReason, Money, Overrides};

use super::identity::event;
use super::{Backend, T0, account, key, metric};
use crate::{AuditFilter, BillingChange, NewInvoice, StoreError};

fn extra_sites(quantity: u32) -> Vec<AddOn> {
    vec![AddOn {
        code: "extra-sites".into(),
        quantity,
        limits: [(metric("sites"), 5)].into(),
        features: vec![FeatureName::parse("sso").expect("valid")],
    }]
}

/// Add-ons bought with their invoice and audit event land together and move the state version
/// on once; a batch derived from a version that moved writes nothing at all; the overrides stay.
pub async fn add_ons_in_a_batch_are_compare_and_set_with_their_invoice(b: Backend) {
    let k = account(&b, "acme").await;
    let overrides = Overrides {
        limits: Default::default(),
        features: [(FeatureName::parse("sso").expect("valid"), false)].into(),
    };
    b.subscriptions.set_overrides(&k, &overrides).await.expect("overrides");
    let before = b.accounts.state(&k).await.expect("state").expect("exists");
    let batch = |id: &str, quantity, expected| {
        vec![
            BillingChange::AddOns { account: k.clone(), add_ons: extra_sites(quantity), expected },
            BillingChange::Issue(NewInvoice {
                account: k.clone(),
                reason: InvoiceReason::AddOn,
                currency: Currency::parse("USD").expect("valid currency"),
                lines: vec![InvoiceLine::new(
                    "Extra sites × 1",
                    Money::parse("10.00", "USD").expect("money"),
                    None,
                )],
                period: None,
                plan: None,
                issued_at: T0,
                paid_at: None,
            }),
            BillingChange::Audit(event(id, T0, "addon.bought", "system", "acme")),
        ]
    };
    let issued = b.billing.apply(&batch("a", 1, before.version)).await.expect("current version");
    assert_eq!(issued.len(), 1);
    let after = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(after.version, before.version + 1);
    assert_eq!(after.add_ons, extra_sites(1));
    assert_eq!(after.overrides, overrides, "only the add-ons are replaced");
    assert_eq!(after.subscription, before.subscription);

    assert_eq!(b.billing.apply(&batch("b", 2, before.version)).await, Err(StoreError::Stale));
    let unchanged = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!((unchanged.version, unchanged.add_ons), (after.version, extra_sites(1)));
    assert_eq!(
        b.billing.invoices(&k, None, 10).await.expect("invoices").len(),
        1,
        "no invoice of the stale batch"
    );
    let audit = b.identity.audit(&AuditFilter::default(), None, 10).await.expect("audit");
    assert_eq!(audit.len(), 1, "no audit event of the stale batch");

    b.billing
        .apply(&[BillingChange::AddOns { account: k.clone(), add_ons: Vec::new(), expected: after.version }])
        .await
        .expect("removed");
    let cleared = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!((cleared.version, cleared.add_ons.is_empty()), (after.version + 1, true));
    let ghost = BillingChange::AddOns { account: key("ghost"), add_ons: Vec::new(), expected: 0 };
    assert_eq!(b.billing.apply(&[ghost]).await, Err(StoreError::NotFound("account")));
}

/// A subscription and add-ons in one batch each check the version the other left: both derived
/// from one version is stale (nothing written), the add-ons derived from the version after the
/// subscription's write apply with it.
pub async fn a_subscription_and_add_ons_in_one_batch_each_move_the_version(b: Backend) {
    let k = account(&b, "acme").await;
    let state = b.accounts.state(&k).await.expect("state").expect("exists");
    let mut sub = state.subscription.clone().expect("subscription");
    sub.mark_past_due(T0 + Duration::hours(1)).expect("past due");
    let batch = |second| {
        vec![
            BillingChange::Subscription {
                account: k.clone(),
                subscription: sub.clone(),
                expected: state.version,
            },
            BillingChange::AddOns { account: k.clone(), add_ons: extra_sites(3), expected: second },
        ]
    };
    assert_eq!(b.billing.apply(&batch(state.version)).await, Err(StoreError::Stale));
    assert_eq!(b.accounts.state(&k).await.expect("state").expect("exists"), state, "nothing written");
    b.billing.apply(&batch(state.version + 1)).await.expect("in turn");
    let after = b.accounts.state(&k).await.expect("state").expect("exists");
    assert_eq!(after.version, state.version + 2);
    assert_eq!((after.subscription, after.add_ons), (Some(sub), extra_sites(3)));
}
