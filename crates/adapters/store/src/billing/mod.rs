//! Invoices, billing profiles, checkouts and applied gateway events (`billing` port), in SQL
//! written once for both databases.
//!
//! A batch runs in one write transaction, its changes taken in a fixed order — the applied-once
//! marker first (a repeat stops the batch before anything else is touched), then the account's
//! state version, invoice updates, new invoices (the year's counter row), the rest — so two
//! batches lock rows in the same order and cannot deadlock each other.

mod rows;

use async_trait::async_trait;
use sea_orm::DatabaseTransaction;
use tollgate_domain::{AccountKey, Invoice, InvoiceNumber};
use tollgate_ports::{BillingChange, BillingProfile, BillingStore, Checkout, StoreError, StoredInvoice};

use self::rows::{INVOICE_SELECT, checkout_from_row, invoice_from_row, invoice_values};
use crate::convert::{is_foreign_key_violation, is_unique_violation, micros};
use crate::identity::append_audit;
use crate::repositories::{upsert_add_ons, upsert_subscription};
use crate::sql::{all, exec, fail, one, retrying};
use crate::{Store, begin_write};

/// The order a batch's changes are written in (see the module's documentation).
fn phase(change: &BillingChange) -> u8 {
    match change {
        BillingChange::Once { .. } => 0,
        BillingChange::Subscription { .. } | BillingChange::AddOns { .. } => 1,
        BillingChange::UpdateInvoice { .. } => 2,
        BillingChange::Issue(_) => 3,
        _ => 4,
    }
}

const NEXT_NUMBER_SQL: &str = "INSERT INTO invoice_counters (year, last) VALUES ($1, 1) \
     ON CONFLICT (year) DO UPDATE SET last = invoice_counters.last + 1 RETURNING last";

const UPDATE_INVOICE_SQL: &str = "UPDATE invoices SET status = $1, paid_at = $2, attempts = $3, \
     next_attempt_at = $4, version = version + 1 \
     WHERE number = $5 AND version = $6 AND account_id = (SELECT id FROM accounts WHERE key = $7)";

impl Store {
    async fn write_change(
        &self,
        txn: &DatabaseTransaction,
        change: &BillingChange,
        issued: &mut Vec<Invoice>,
    ) -> Result<(), StoreError> {
        match change {
            BillingChange::Once { scope, key, at } => {
                let sql = "INSERT INTO applied_once (scope, key, applied_at) VALUES ($1, $2, $3)";
                match exec(txn, sql, vec![scope.clone().into(), key.clone().into(), micros(*at).into()]).await
                {
                    Ok(_) => Ok(()),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("once")),
                    Err(e) => Err(fail(e)),
                }
            }
            BillingChange::Subscription { account, subscription, expected } => {
                let id = self.account_id(account).await?;
                self.bump_state(txn, id, Some(*expected)).await?;
                upsert_subscription(txn, id, subscription).await
            }
            BillingChange::AddOns { account, add_ons, expected } => {
                let id = self.account_id(account).await?;
                self.bump_state(txn, id, Some(*expected)).await?;
                upsert_add_ons(txn, id, add_ons).await
            }
            BillingChange::UpdateInvoice { account, invoice, expected } => {
                let version = i64::try_from(*expected).map_err(|_| StoreError::Stale)?;
                let p = invoice.to_parts();
                let values = vec![
                    p.status.as_str().into(),
                    p.paid_at.map(micros).into(),
                    i64::from(p.attempts).into(),
                    p.next_attempt_at.map(micros).into(),
                    p.number.to_string().into(),
                    version.into(),
                    account.as_str().into(),
                ];
                if exec(txn, UPDATE_INVOICE_SQL, values).await.map_err(fail)? == 1 {
                    return Ok(());
                }
                let sql = "SELECT 1 FROM invoices i JOIN accounts a ON a.id = i.account_id \
                           WHERE i.number = $1 AND a.key = $2";
                let exists =
                    one(txn, sql, vec![p.number.to_string().into(), account.as_str().into()]).await?;
                Err(if exists.is_some() { StoreError::Stale } else { StoreError::NotFound("invoice") })
            }
            BillingChange::Issue(new) => {
                let id = self.account_id(&new.account).await?;
                let year = new.issued_at.year();
                let row = one(txn, NEXT_NUMBER_SQL, vec![year.into()])
                    .await?
                    .ok_or_else(|| StoreError::Internal("the invoice counter returned nothing".into()))?;
                let sequence: i32 = row.try_get_by_index(0).map_err(crate::convert::db_error)?;
                let sequence = u32::try_from(sequence).map_err(crate::convert::corrupt)?;
                let number =
                    InvoiceNumber::new(year, sequence).map_err(|e| StoreError::Internal(e.to_string()))?;
                let invoice = new.numbered(number).map_err(|e| StoreError::Internal(e.to_string()))?;
                let (columns, placeholders, values) = invoice_values(id, &invoice)?;
                let sql = format!("INSERT INTO invoices ({columns}) VALUES ({placeholders})");
                exec(txn, &sql, values).await.map_err(fail)?;
                issued.push(invoice);
                Ok(())
            }
            BillingChange::Profile { account, profile } => {
                let id = self.account_id(account).await?;
                let sql = "INSERT INTO billing_profiles (account_id, customer, payment_method) VALUES ($1, $2, $3) \
                           ON CONFLICT (account_id) DO UPDATE SET customer = $2, payment_method = $3";
                let values =
                    vec![id.into(), profile.customer.clone().into(), profile.payment_method.clone().into()];
                exec(txn, sql, values).await.map_err(fail)?;
                Ok(())
            }
            BillingChange::StartCheckout(checkout) => {
                let id = self.account_id(&checkout.account).await?;
                let amount =
                    checkout.amount.to_minor_units().map_err(|e| StoreError::Internal(e.to_string()))?;
                let sql = "INSERT INTO checkouts (session, account_id, plan_code, seats, amount_minor, currency, \
                           created_at, completed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
                let values = vec![
                    checkout.session.clone().into(),
                    id.into(),
                    checkout.plan.to_string().into(),
                    i64::from(checkout.seats).into(),
                    amount.into(),
                    checkout.amount.currency().code().into(),
                    micros(checkout.created_at).into(),
                    checkout.completed_at.map(micros).into(),
                ];
                match exec(txn, sql, values).await {
                    Ok(_) => Ok(()),
                    Err(e) if is_unique_violation(&e) => Err(StoreError::Conflict("checkout")),
                    Err(e) if is_foreign_key_violation(&e) => Err(StoreError::NotFound("account")),
                    Err(e) => Err(fail(e)),
                }
            }
            BillingChange::CompleteCheckout { session, at } => {
                let sql =
                    "UPDATE checkouts SET completed_at = $1 WHERE session = $2 AND completed_at IS NULL";
                if exec(txn, sql, vec![micros(*at).into(), session.clone().into()]).await.map_err(fail)? == 1
                {
                    return Ok(());
                }
                let exists =
                    one(txn, "SELECT 1 FROM checkouts WHERE session = $1", vec![session.clone().into()])
                        .await?;
                Err(if exists.is_some() {
                    StoreError::Conflict("checkout")
                } else {
                    StoreError::NotFound("checkout")
                })
            }
            BillingChange::Audit(event) => append_audit(txn, event).await,
        }
    }

    async fn apply_once(&self, changes: &[&BillingChange]) -> Result<Vec<Invoice>, StoreError> {
        let txn = begin_write(self.connection()).await.map_err(fail)?;
        let mut issued = Vec::new();
        for change in changes {
            if let Err(error) = self.write_change(&txn, change, &mut issued).await {
                let _ = txn.rollback().await;
                return Err(error);
            }
        }
        txn.commit().await.map_err(fail)?;
        Ok(issued)
    }
}

#[async_trait]
impl BillingStore for Store {
    async fn apply(&self, changes: &[BillingChange]) -> Result<Vec<Invoice>, StoreError> {
        let mut ordered: Vec<&BillingChange> = changes.iter().collect();
        // A stable sort: invoices issued in one batch keep their order (and their numbers).
        ordered.sort_by_key(|change| phase(change));
        retrying(|| self.apply_once(&ordered)).await
    }

    async fn profile(&self, account: &AccountKey) -> Result<BillingProfile, StoreError> {
        let sql = "SELECT p.customer, p.payment_method FROM billing_profiles p \
                   JOIN accounts a ON a.id = p.account_id WHERE a.key = $1";
        let Some(row) = one(self.connection(), sql, vec![account.as_str().into()]).await? else {
            return Ok(BillingProfile::default());
        };
        Ok(BillingProfile {
            customer: row.try_get_by_index(0).map_err(crate::convert::db_error)?,
            payment_method: row.try_get_by_index(1).map_err(crate::convert::db_error)?,
        })
    }

    async fn invoices(
        &self,
        account: &AccountKey,
        before: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        // Numbers sort by (year, sequence); the text of a number does not once a sequence passes
        // six digits, so the columns are compared, not the text.
        let (year, sequence) = before.map_or((i32::MAX, i64::MAX), |n| (n.year(), i64::from(n.sequence())));
        let sql = format!(
            "{INVOICE_SELECT} WHERE a.key = $1 AND (i.year < $2 OR (i.year = $2 AND i.sequence < $3)) \
             ORDER BY i.year DESC, i.sequence DESC LIMIT $4"
        );
        let values = vec![account.as_str().into(), year.into(), sequence.into(), i64::from(limit).into()];
        all(self.connection(), &sql, values).await?.iter().map(invoice_from_row).collect()
    }

    async fn invoice(&self, number: &InvoiceNumber) -> Result<Option<StoredInvoice>, StoreError> {
        let sql = format!("{INVOICE_SELECT} WHERE i.number = $1");
        one(self.connection(), &sql, vec![number.to_string().into()])
            .await?
            .as_ref()
            .map(invoice_from_row)
            .transpose()
    }

    async fn unpaid(
        &self,
        after: Option<InvoiceNumber>,
        limit: u32,
    ) -> Result<Vec<StoredInvoice>, StoreError> {
        let (year, sequence) = after.map_or((i32::MIN, i64::MIN), |n| (n.year(), i64::from(n.sequence())));
        let sql = format!(
            "{INVOICE_SELECT} WHERE i.status = 'open' AND (i.year > $1 OR (i.year = $1 AND i.sequence > $2)) \
             ORDER BY i.year, i.sequence LIMIT $3"
        );
        let values = vec![year.into(), sequence.into(), i64::from(limit).into()];
        all(self.connection(), &sql, values).await?.iter().map(invoice_from_row).collect()
    }

    async fn checkout(&self, session: &str) -> Result<Option<Checkout>, StoreError> {
        let sql = "SELECT c.session, a.key, c.plan_code, c.seats, c.amount_minor, c.currency, c.created_at, \
                   c.completed_at FROM checkouts c JOIN accounts a ON a.id = c.account_id WHERE c.session = $1";
        one(self.connection(), sql, vec![session.into()]).await?.as_ref().map(checkout_from_row).transpose()
    }
}
