//! Invoices, billing profiles, checkouts and applied gateway events in memory, with the
//! semantics of the database store: one all-or-nothing batch, gap-free numbers per year.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use tollgate_domain::{AccountKey, AddOn, AuditEvent, Invoice, InvoiceNumber, InvoiceStatus, Subscription};
use tollgate_ports::{BillingChange, BillingProfile, BillingStore, Checkout, StoreError, StoredInvoice};

use crate::store::MemoryStore;

#[derive(Debug, Clone, Default)]
struct Records {
    invoices: BTreeMap<InvoiceNumber, StoredInvoice>,
    counters: HashMap<i32, u32>,
    profiles: HashMap<AccountKey, BillingProfile>,
    checkouts: HashMap<String, Checkout>,
    done: HashSet<(String, String)>,
}

/// The billing records in memory. The subscriptions and audit events a batch writes go to the
/// [`MemoryStore`] it was built on, in the same all-or-nothing step.
#[derive(Debug)]
pub struct MemoryBilling {
    accounts: Arc<MemoryStore>,
    records: Mutex<Records>,
}

impl MemoryBilling {
    /// Empty records whose accounts are those of `accounts`.
    pub fn new(accounts: Arc<MemoryStore>) -> Self {
        Self { accounts, records: Mutex::default() }
    }

    fn lock(&self) -> MutexGuard<'_, Records> {
        // Records are replaced whole, only after every change succeeded.
        self.records.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn known(&self, account: &AccountKey) -> Result<(), StoreError> {
        if self.accounts.has_account(account) { Ok(()) } else { Err(StoreError::NotFound("account")) }
    }
}

impl Records {
    fn apply(
        &mut self,
        change: &BillingChange,
        billing: &MemoryBilling,
        subscription: &mut Option<(AccountKey, Subscription, u64)>,
        add_ons: &mut Option<(AccountKey, Vec<AddOn>, u64)>,
        events: &mut Vec<AuditEvent>,
        issued: &mut Vec<Invoice>,
    ) -> Result<(), StoreError> {
        match change {
            BillingChange::Issue(new) => {
                billing.known(&new.account)?;
                let year = new.issued_at.year();
                let sequence = self.counters.get(&year).copied().unwrap_or(0) + 1;
                let number =
                    InvoiceNumber::new(year, sequence).map_err(|e| StoreError::Internal(e.to_string()))?;
                let invoice =
                    new.numbered(number.clone()).map_err(|e| StoreError::Internal(e.to_string()))?;
                self.counters.insert(year, sequence);
                self.invoices.insert(
                    number,
                    StoredInvoice { account: new.account.clone(), invoice: invoice.clone(), version: 0 },
                );
                issued.push(invoice);
            }
            BillingChange::UpdateInvoice { account, invoice, expected } => {
                let stored = self
                    .invoices
                    .get_mut(invoice.number())
                    .filter(|s| &s.account == account)
                    .ok_or(StoreError::NotFound("invoice"))?;
                if stored.version != *expected {
                    return Err(StoreError::Stale);
                }
                stored.invoice = invoice.clone();
                stored.version += 1;
            }
            BillingChange::Subscription { account, subscription: s, expected } => {
                // One subscription per batch is all a use case writes; a second replaces the first.
                *subscription = Some((account.clone(), s.clone(), *expected));
            }
            BillingChange::AddOns { account, add_ons: bought, expected } => {
                // One set of add-ons per batch, like the subscription.
                *add_ons = Some((account.clone(), bought.clone(), *expected));
            }
            BillingChange::Profile { account, profile } => {
                billing.known(account)?;
                self.profiles.insert(account.clone(), profile.clone());
            }
            BillingChange::StartCheckout(checkout) => {
                billing.known(&checkout.account)?;
                if self.checkouts.contains_key(&checkout.session) {
                    return Err(StoreError::Conflict("checkout"));
                }
                self.checkouts.insert(checkout.session.clone(), checkout.clone());
            }
            BillingChange::CompleteCheckout { session, at } => {
                let checkout = self.checkouts.get_mut(session).ok_or(StoreError::NotFound("checkout"))?;
                if checkout.completed_at.is_some() {
                    return Err(StoreError::Conflict("checkout"));
                }
                checkout.completed_at = Some(*at);
            }
            BillingChange::Once { scope, key, .. } => {
                if !self.done.insert((scope.clone(), key.clone())) {
                    return Err(StoreError::Conflict("once"));
                }
            }
            BillingChange::Audit(event) => events.push(event.clone()),
        }
        Ok(())
    }
}

#[async_trait]
impl BillingStore for MemoryBilling {
    async fn apply(&self, changes: &[BillingChange]) -> Result<Vec<Invoice>, StoreError> {
        let mut records = self.lock();
        let mut next = records.clone();
        let (mut subscription, mut add_ons, mut events, mut issued) = (None, None, Vec::new(), Vec::new());
        for change in changes {
            next.apply(change, self, &mut subscription, &mut add_ons, &mut events, &mut issued)?;
        }
        let subscription = subscription.as_ref().map(|(key, s, expected)| (key, s, *expected));
        let add_ons = add_ons.as_ref().map(|(key, a, expected)| (key, a.as_slice(), *expected));
        self.accounts.commit(subscription, add_ons, &events)?;
        *records = next;
        Ok(issued)
    }

    async fn profile(&self, account: &AccountKey) -> Result<BillingProfile, StoreError> {
        Ok(self.lock().profiles.get(account).cloned().unwrap_or_default())
    }

    async fn invoices(
        &self,
        account: &AccountKey,
        before: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        let records = self.lock();
        Ok(records
            .invoices
            .values()
            .rev()
            .filter(|s| &s.account == account && before.as_ref().is_none_or(|b| s.invoice.number() < b))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn invoice(&self, number: &InvoiceNumber) -> Result<Option<StoredInvoice>, StoreError> {
        Ok(self.lock().invoices.get(number).cloned())
    }

    async fn unpaid(
        &self,
        after: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        let records = self.lock();
        Ok(records
            .invoices
            .values()
            .filter(|s| s.invoice.status() == InvoiceStatus::Open)
            .filter(|s| after.as_ref().is_none_or(|a| s.invoice.number() > a))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect())
    }

    async fn checkout(&self, session: &str) -> Result<Option<Checkout>, StoreError> {
        Ok(self.lock().checkouts.get(session).cloned())
    }
}
