//! Add-ons an account buys: granted at once and billed with the subscription, the add-ons, the
//! invoice of the rest of the period and the audit event in one write.

use std::collections::BTreeMap;

use serde::Serialize;
use tollgate_domain::{
    AccountKey, AddOn, AddOnCode, AuditEvent, Caller, FeatureName, InvoiceReason, MetricName, Status,
    SubscriptionError, Transition, buy_add_on, catalog_add_on, check_add_on_quantity,
};
use tollgate_ports::{BillingChange, NewInvoice, StoreError};

use crate::billing::InvoiceView;
use crate::identity::target;
use crate::tollgate::STATE_ATTEMPTS;
use crate::{AppError, Origin, Tollgate};

/// An add-on the account holds, as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountAddOnView {
    /// The add-on's code.
    pub addon: String,
    /// Units held.
    pub quantity: u32,
    /// What each unit adds to a metric's limit (as the terms said when it was bought).
    pub limits: BTreeMap<MetricName, u64>,
    /// The features it grants.
    pub features: Vec<FeatureName>,
}

impl From<&AddOn> for AccountAddOnView {
    fn from(add_on: &AddOn) -> Self {
        Self {
            addon: add_on.code.clone(),
            quantity: add_on.quantity,
            limits: add_on.limits.clone(),
            features: add_on.features.clone(),
        }
    }
}

/// What buying an add-on did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AddOnOutcome {
    /// The account's add-ons after it.
    pub add_ons: Vec<AccountAddOnView>,
    /// The invoice of the rest of the period (charged when a payment method is on file), or
    /// `None` when nothing was charged.
    pub invoice: Option<InvoiceView>,
    /// Whether the account did not hold the add-on before (`false`: its quantity changed).
    #[serde(skip)]
    pub created: bool,
}

impl Tollgate {
    /// The account's add-ons, by code.
    ///
    /// # Errors
    /// [`AppError::AccountNotFound`]; storage errors.
    pub async fn account_addons(&self, key: &AccountKey) -> Result<Vec<AccountAddOnView>, AppError> {
        Ok(self.state(key).await?.add_ons.iter().map(AccountAddOnView::from).collect())
    }

    /// Sets the account's quantity of the add-on `code` (buying it when new): its limits and
    /// features apply at once, and the units added are invoiced for the rest of the current
    /// period (reason `add_on`, see [`buy_add_on`]) in the same write as the add-ons and the
    /// audit event `addon.bought`, then charged like an upgrade's invoice. Nothing is refunded
    /// when the quantity goes down; nothing is charged during a trial.
    ///
    /// # Errors
    /// [`AppError::Invalid`] for `quantity` out of 1..=1000 or for `addon` when the catalog has
    /// no such add-on; [`AppError::Billing`] with [`tollgate_domain::BillingError::AddOnNotAllowed`]
    /// when the account's plan does not allow it; [`AppError::NoSubscription`];
    /// [`AppError::Subscription`] when the subscription is suspended or ended;
    /// [`AppError::Conflict`] when the account kept changing.
    pub async fn buy_addon(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        code: &AddOnCode,
        quantity: u32,
    ) -> Result<AddOnOutcome, AppError> {
        check_add_on_quantity(quantity)?;
        let catalog: Vec<_> = self.ports.addons.get(code).await?.into_iter().collect();
        let terms = catalog_add_on(&catalog, code)?;
        for _ in 0..STATE_ATTEMPTS {
            let (state, subscription) = self.subscribed(key).await?;
            let now = self.now();
            let status = subscription.status_at(now);
            if !matches!(status, Status::Trialing | Status::Active | Status::PastDue) {
                let refused =
                    SubscriptionError::IllegalTransition { from: status, transition: Transition::ChangePlan };
                return Err(refused.into());
            }
            let plan = self
                .catalog
                .version(self.ports.plans.as_ref(), subscription.plan(), subscription.plan_version())
                .await?;
            // `None` only past year 9999, where nothing is charged.
            let period =
                subscription.period_at(now).unwrap_or(tollgate_domain::Period { start: now, end: now });
            let charged = status != Status::Trialing;
            let purchase = buy_add_on(&plan, &state.add_ons, terms, quantity, period, charged, now)?;
            let mut changes = vec![BillingChange::AddOns {
                account: key.clone(),
                add_ons: purchase.add_ons.clone(),
                expected: state.version,
            }];
            if let Some(line) = purchase.line {
                changes.push(BillingChange::Issue(NewInvoice {
                    account: key.clone(),
                    reason: InvoiceReason::AddOn,
                    currency: line.amount.currency(),
                    lines: vec![line],
                    period: Some(period),
                    plan: Some(plan.code().clone()),
                    issued_at: now,
                    paid_at: None,
                }));
            }
            let audit = self.audit_by(caller, "addon.bought", target("account", key.as_str()), origin);
            changes.push(BillingChange::Audit(audit));
            let issued = match self.ports.billing.apply(&changes).await {
                Ok(issued) => issued,
                Err(StoreError::Stale) => continue,
                Err(error) => return Err(error.into()),
            };
            self.cache.forget(key, self.now());
            let invoice = match issued.into_iter().next() {
                Some(invoice) if invoice.is_payable() => Some(self.collect_quietly(key, invoice).await?),
                other => other,
            };
            return Ok(AddOnOutcome {
                add_ons: purchase.add_ons.iter().map(AccountAddOnView::from).collect(),
                invoice: invoice.as_ref().map(InvoiceView::from),
                created: purchase.previous == 0,
            });
        }
        Err(AppError::Conflict)
    }

    /// Removes the add-on `code` from the account at once (its limits and features with it),
    /// audited `addon.removed`. What was paid for the current period is not refunded or credited.
    ///
    /// # Errors
    /// [`AppError::NotFound`]`("addon")` when the account does not hold it;
    /// [`AppError::AccountNotFound`]; [`AppError::Conflict`] when the account kept changing.
    pub async fn remove_addon(
        &self,
        caller: &Caller,
        origin: &Origin,
        key: &AccountKey,
        code: &AddOnCode,
    ) -> Result<(), AppError> {
        for _ in 0..STATE_ATTEMPTS {
            let state = self.state(key).await?;
            if !state.add_ons.iter().any(|a| a.code == code.as_str()) {
                return Err(AppError::NotFound("addon"));
            }
            let add_ons: Vec<AddOn> = state.add_ons.into_iter().filter(|a| a.code != code.as_str()).collect();
            let audit: AuditEvent =
                self.audit_by(caller, "addon.removed", target("account", key.as_str()), origin);
            let changes = [
                BillingChange::AddOns { account: key.clone(), add_ons, expected: state.version },
                BillingChange::Audit(audit),
            ];
            match self.ports.billing.apply(&changes).await {
                Ok(_) => {
                    self.cache.forget(key, self.now());
                    return Ok(());
                }
                Err(StoreError::Stale) => continue,
                Err(error) => return Err(error.into()),
            }
        }
        Err(AppError::Conflict)
    }
}
