//! The billing records: invoices with their per-year numbering, each account's payment profile,
//! hosted checkouts and the gateway events already applied.
//!
//! Changes that belong together (an invoice and the plan change it bills; a payment, the invoice
//! it settles and the subscription it reactivates; a gateway event or a scheduled job and its
//! effect) are written by one [`BillingStore::apply`] call, all or nothing, so an event or a job
//! is applied once (see [`BillingChange::Once`]) and an invoice number is never spent without its
//! invoice.

use async_trait::async_trait;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, AddOn, AuditEvent, BillingError, Currency, Invoice, InvoiceLine, InvoiceNumber,
    InvoiceReason, Money, Period, PlanCode, Subscription,
};

use crate::StoreError;

/// What the gateway keeps for an account: its customer and the payment method to charge.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BillingProfile {
    /// The gateway's customer, once created.
    pub customer: Option<String>,
    /// The saved payment method charged for invoices.
    pub payment_method: Option<String>,
}

/// A hosted checkout started for an account: the plan it starts once the gateway confirms payment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkout {
    /// The gateway's checkout session id.
    pub session: String,
    /// The account paying.
    pub account: AccountKey,
    /// The plan bought.
    pub plan: PlanCode,
    /// Seats bought.
    pub seats: u32,
    /// What the payer was asked to pay.
    pub amount: Money,
    /// When it was started.
    pub created_at: OffsetDateTime,
    /// When the gateway confirmed payment.
    pub completed_at: Option<OffsetDateTime>,
}

/// An invoice to issue; the store gives it the next number of its year (the year of `issued_at`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInvoice {
    /// The account billed.
    pub account: AccountKey,
    /// Why it is issued.
    pub reason: InvoiceReason,
    /// Its currency (every line is in it).
    pub currency: Currency,
    /// Its lines, each rounded once.
    pub lines: Vec<InvoiceLine>,
    /// The service period billed, if any.
    pub period: Option<Period>,
    /// The plan billed, if any.
    pub plan: Option<PlanCode>,
    /// When it is issued (and due).
    pub issued_at: OffsetDateTime,
    /// When it was already paid at the gateway (a hosted checkout): issued paid.
    pub paid_at: Option<OffsetDateTime>,
}

impl NewInvoice {
    /// The invoice under `number` (the store's next number of the year of
    /// [`NewInvoice::issued_at`]): open, or paid already when [`NewInvoice::paid_at`] says so.
    /// Both stores number invoices through this, so they issue the same invoice.
    ///
    /// # Errors
    /// [`BillingError`] when the lines are not in the invoice's currency.
    pub fn numbered(&self, number: InvoiceNumber) -> Result<Invoice, BillingError> {
        let mut invoice = Invoice::issue(
            number,
            self.reason,
            self.currency,
            self.lines.clone(),
            self.period,
            self.plan.clone(),
            self.issued_at,
        )?;
        if let Some(at) = self.paid_at
            && invoice.is_payable()
        {
            invoice.pay(at)?;
        }
        Ok(invoice)
    }
}

/// An invoice as stored, with its owner and its version for compare-and-set updates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredInvoice {
    /// The account billed.
    pub account: AccountKey,
    /// The invoice.
    pub invoice: Invoice,
    /// 0 when issued, moved on by every update.
    pub version: u64,
}

/// One change to the billing records. [`BillingStore::apply`] writes a list of them in one
/// transaction; the first that fails leaves nothing written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BillingChange {
    /// Issues an invoice numbered from its year's counter, in the same transaction, so numbers
    /// are unique and gap-free across instances. Fails with [`StoreError::NotFound`]`("account")`
    /// for an unknown account, [`StoreError::Internal`] when its lines are not in its currency.
    Issue(NewInvoice),
    /// Replaces an invoice (same number) if its stored version is still `expected`, moving the
    /// version on. Fails with [`StoreError::Stale`] when it moved, [`StoreError::NotFound`]`("invoice")`
    /// when the account has no invoice with that number.
    UpdateInvoice {
        /// The account billed.
        account: AccountKey,
        /// The new state of the invoice.
        invoice: Invoice,
        /// The version it was derived from.
        expected: u64,
    },
    /// Stores the account's subscription if its state version is still `expected`, exactly as
    /// [`crate::SubscriptionRepository::save`] does (same errors).
    Subscription {
        /// The account.
        account: AccountKey,
        /// The subscription.
        subscription: Subscription,
        /// The state version it was derived from.
        expected: u64,
    },
    /// Replaces the account's add-ons (the whole set) if its state version is still `expected`,
    /// moving the version on, so the limits they raise and the invoice that bills them are one
    /// write. Fails with [`StoreError::NotFound`]`("account")` for an unknown account,
    /// [`StoreError::Stale`] when the version moved (also when the same batch already moved it,
    /// with a [`BillingChange::Subscription`] derived from the same version).
    AddOns {
        /// The account.
        account: AccountKey,
        /// Its add-ons once changed.
        add_ons: Vec<AddOn>,
        /// The state version they were derived from.
        expected: u64,
    },
    /// Replaces the account's billing profile. Fails with [`StoreError::NotFound`]`("account")`.
    Profile {
        /// The account.
        account: AccountKey,
        /// Its profile.
        profile: BillingProfile,
    },
    /// Records a started checkout. Fails with [`StoreError::Conflict`]`("checkout")` when the
    /// session id exists, [`StoreError::NotFound`]`("account")` for an unknown account.
    StartCheckout(Checkout),
    /// Marks a checkout completed at `at`. Fails with [`StoreError::NotFound`]`("checkout")` for an
    /// unknown session, [`StoreError::Conflict`]`("checkout")` when it was completed already.
    CompleteCheckout {
        /// The session id.
        session: String,
        /// When the gateway confirmed it.
        at: OffsetDateTime,
    },
    /// Records that the work named `key` within `scope` is done: a gateway's event (scope
    /// `gateway:<name>`, its event id), a renewal, a reminder, a suspension. Fails with
    /// [`StoreError::Conflict`]`("once")` when it was recorded before: the effect written in the
    /// same call is then not applied twice, whichever instance tried.
    Once {
        /// What kind of work (`gateway:fake`, `renewal`, `reminder`…).
        scope: String,
        /// Which one.
        key: String,
        /// When it was done.
        at: OffsetDateTime,
    },
    /// Appends an event to the audit log. Fails with [`StoreError::Conflict`]`("audit")` when its
    /// id exists.
    Audit(AuditEvent),
}

/// Invoices, billing profiles, checkouts and applied gateway events.
#[cfg_attr(any(test, feature = "mocks"), mockall::automock)]
#[async_trait]
pub trait BillingStore: Send + Sync {
    /// Applies `changes` in one transaction, all or nothing, and returns the invoices the
    /// [`BillingChange::Issue`] changes created, in order.
    ///
    /// # Errors
    /// The error of the first change that fails (see [`BillingChange`]); nothing is written then.
    async fn apply(&self, changes: &[BillingChange]) -> Result<Vec<Invoice>, StoreError>;

    /// The account's billing profile (empty when none was stored).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn profile(&self, account: &AccountKey) -> Result<BillingProfile, StoreError>;

    /// The account's invoices, newest number first, strictly before `before`, at most `limit`.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn invoices(
        &self,
        account: &AccountKey,
        before: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError>;

    /// The invoice with this number, whoever it bills (gateway events name invoices by number).
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn invoice(&self, number: &InvoiceNumber) -> Result<Option<StoredInvoice>, StoreError>;

    /// Open invoices (issued, not paid, void or uncollectible), in number order, strictly after
    /// `after`, at most `limit`: what retries and dunning work through.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn unpaid(
        &self,
        after: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError>;

    /// The checkout with this session id.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] or [`StoreError::Internal`] only.
    async fn checkout(&self, session: &str) -> Result<Option<Checkout>, StoreError>;
}
