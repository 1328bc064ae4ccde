//! Invoices: what an account owes, and the state machine of their payment.

use rust_decimal::Decimal;
use serde::Serialize;
use time::OffsetDateTime;

use super::dunning::DunningPolicy;
use super::error::BillingError;
use super::line::InvoiceLine;
use super::number::InvoiceNumber;
use super::status::{InvoiceReason, InvoiceStatus};
use crate::currency::Currency;
use crate::ids::PlanCode;
use crate::money::{Money, MoneyError};
use crate::period::Period;

/// An invoice and its state machine: draft → open → paid | void | uncollectible, and
/// uncollectible → paid | void. Its amounts are sums of rounded lines; nothing is rounded here.
///
/// It serializes as the API's invoice (`number`, `status`, `lines`, `subtotal`, `total`,
/// `currency`, `due_at`, `paid_at`, `attempts`) plus `reason`, `issued_at`, `next_attempt_at`,
/// `period_start`, `period_end` and `plan`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(into = "InvoiceJson")]
pub struct Invoice {
    number: InvoiceNumber,
    reason: InvoiceReason,
    status: InvoiceStatus,
    currency: Currency,
    lines: Vec<InvoiceLine>,
    subtotal: Money,
    total: Money,
    issued_at: OffsetDateTime,
    due_at: OffsetDateTime,
    paid_at: Option<OffsetDateTime>,
    attempts: u32,
    next_attempt_at: Option<OffsetDateTime>,
    period: Option<Period>,
    plan: Option<PlanCode>,
}

/// Every stored field of an invoice, for adapters that persist it column by column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct InvoiceParts {
    pub number: InvoiceNumber,
    pub reason: InvoiceReason,
    pub status: InvoiceStatus,
    pub currency: Currency,
    pub lines: Vec<InvoiceLine>,
    pub subtotal: Money,
    pub total: Money,
    pub issued_at: OffsetDateTime,
    pub due_at: OffsetDateTime,
    pub paid_at: Option<OffsetDateTime>,
    pub attempts: u32,
    pub next_attempt_at: Option<OffsetDateTime>,
    pub period: Option<Period>,
    pub plan: Option<PlanCode>,
}

impl Invoice {
    /// Issues invoice `number` at `now` for `lines`: open, due at once (it is charged as it is
    /// issued), its subtotal the sum of the lines and its total the subtotal (no tax).
    ///
    /// An invoice with nothing to charge (a total of zero, or a credit: a negative total) is
    /// issued paid at `now`: it is a record, never a debt, so dunning never chases it. A credit
    /// is not carried over to later invoices; refunding it is the caller's decision.
    ///
    /// # Errors
    /// [`BillingError::Money`]: [`MoneyError::CurrencyMismatch`] when a line is not in
    /// `currency`, [`MoneyError::Overflow`] when the sum does not fit.
    pub fn issue(
        number: InvoiceNumber,
        reason: InvoiceReason,
        currency: Currency,
        lines: Vec<InvoiceLine>,
        period: Option<Period>,
        plan: Option<PlanCode>,
        now: OffsetDateTime,
    ) -> Result<Self, BillingError> {
        let subtotal = lines.iter().try_fold(Money::zero(currency), |sum, line| {
            if line.amount.currency() == currency {
                sum.checked_add(line.amount)
            } else {
                Err(MoneyError::CurrencyMismatch { left: currency, right: line.amount.currency() })
            }
        })?;
        let mut invoice = Self {
            number,
            reason,
            status: InvoiceStatus::Draft,
            currency,
            lines,
            subtotal,
            total: subtotal,
            issued_at: now,
            due_at: now,
            paid_at: None,
            attempts: 0,
            next_attempt_at: None,
            period,
            plan,
        };
        invoice.finalize(now)?;
        Ok(invoice)
    }

    /// Rebuilds an invoice from stored parts (adapters only; nothing is checked).
    pub fn from_parts(parts: InvoiceParts) -> Self {
        let InvoiceParts {
            number,
            reason,
            status,
            currency,
            lines,
            subtotal,
            total,
            issued_at,
            due_at,
            paid_at,
            attempts,
            next_attempt_at,
            period,
            plan,
        } = parts;
        Self {
            number,
            reason,
            status,
            currency,
            lines,
            subtotal,
            total,
            issued_at,
            due_at,
            paid_at,
            attempts,
            next_attempt_at,
            period,
            plan,
        }
    }

    /// The stored parts.
    pub fn to_parts(&self) -> InvoiceParts {
        InvoiceParts {
            number: self.number.clone(),
            reason: self.reason,
            status: self.status,
            currency: self.currency,
            lines: self.lines.clone(),
            subtotal: self.subtotal,
            total: self.total,
            issued_at: self.issued_at,
            due_at: self.due_at,
            paid_at: self.paid_at,
            attempts: self.attempts,
            next_attempt_at: self.next_attempt_at,
            period: self.period,
            plan: self.plan.clone(),
        }
    }

    /// The invoice's number.
    pub fn number(&self) -> &InvoiceNumber {
        &self.number
    }
    /// Why it was issued.
    pub fn reason(&self) -> InvoiceReason {
        self.reason
    }
    /// Where it is in its life.
    pub fn status(&self) -> InvoiceStatus {
        self.status
    }
    /// The currency of every amount on it.
    pub fn currency(&self) -> Currency {
        self.currency
    }
    /// The lines, rounded.
    pub fn lines(&self) -> &[InvoiceLine] {
        &self.lines
    }
    /// The sum of the lines.
    pub fn subtotal(&self) -> Money {
        self.subtotal
    }
    /// What is owed: the subtotal (there is no tax).
    pub fn total(&self) -> Money {
        self.total
    }
    /// When it was issued.
    pub fn issued_at(&self) -> OffsetDateTime {
        self.issued_at
    }
    /// When payment is due, which dunning counts its days from.
    pub fn due_at(&self) -> OffsetDateTime {
        self.due_at
    }
    /// When it was paid (or settled with nothing to charge).
    pub fn paid_at(&self) -> Option<OffsetDateTime> {
        self.paid_at
    }
    /// How many times a charge was attempted.
    pub fn attempts(&self) -> u32 {
        self.attempts
    }
    /// When the next automatic charge is due, if one is scheduled.
    pub fn next_attempt_at(&self) -> Option<OffsetDateTime> {
        self.next_attempt_at
    }
    /// The period of service it bills, if any.
    pub fn period(&self) -> Option<Period> {
        self.period
    }
    /// The plan it bills, if any.
    pub fn plan(&self) -> Option<&PlanCode> {
        self.plan.as_ref()
    }

    /// True when there is something to charge: open or uncollectible, with a total above zero.
    pub fn is_payable(&self) -> bool {
        matches!(self.status, InvoiceStatus::Open | InvoiceStatus::Uncollectible)
            && self.total.amount() > Decimal::ZERO
    }

    fn refuse(&self, action: &'static str) -> BillingError {
        BillingError::IllegalTransition { from: self.status, action }
    }

    /// Issues a draft at `now`: open and due at once, or paid at once when there is nothing to
    /// charge (a total of zero or below), as [`Invoice::issue`] does.
    ///
    /// # Errors
    /// [`BillingError::IllegalTransition`] unless draft.
    pub fn finalize(&mut self, now: OffsetDateTime) -> Result<(), BillingError> {
        if self.status != InvoiceStatus::Draft {
            return Err(self.refuse("finalize"));
        }
        self.issued_at = now;
        self.due_at = now;
        if self.total.amount() <= Decimal::ZERO {
            self.status = InvoiceStatus::Paid;
            self.paid_at = Some(now);
        } else {
            self.status = InvoiceStatus::Open;
        }
        Ok(())
    }

    /// A charge succeeded at `now`: paid, the attempt counted, no retry left scheduled.
    ///
    /// # Errors
    /// [`BillingError::IllegalTransition`] unless open or uncollectible.
    pub fn pay(&mut self, now: OffsetDateTime) -> Result<(), BillingError> {
        if !matches!(self.status, InvoiceStatus::Open | InvoiceStatus::Uncollectible) {
            return Err(self.refuse("pay"));
        }
        self.status = InvoiceStatus::Paid;
        self.attempts = self.attempts.saturating_add(1);
        self.paid_at = Some(now);
        self.next_attempt_at = None;
        Ok(())
    }

    /// A charge failed at `now`: the attempt is counted and, while the invoice is open, the next
    /// automatic retry is scheduled by `policy` from the due date (never before `now`: a retry
    /// whose day has passed is due at once), or none once the retries are spent. An
    /// uncollectible invoice is no longer retried automatically.
    ///
    /// # Errors
    /// [`BillingError::IllegalTransition`] unless open or uncollectible.
    pub fn payment_failed(
        &mut self,
        policy: &DunningPolicy,
        now: OffsetDateTime,
    ) -> Result<(), BillingError> {
        if !matches!(self.status, InvoiceStatus::Open | InvoiceStatus::Uncollectible) {
            return Err(self.refuse("payment_failed"));
        }
        self.attempts = self.attempts.saturating_add(1);
        self.next_attempt_at = match self.status {
            InvoiceStatus::Open => policy.next_retry(self.due_at, self.attempts).map(|at| at.max(now)),
            _ => None,
        };
        Ok(())
    }

    /// Cancels the invoice: nothing is owed any more, nothing is retried. `now` is taken so every
    /// transition reads alike; the invoice keeps no void date.
    ///
    /// # Errors
    /// [`BillingError::IllegalTransition`] unless open or uncollectible.
    pub fn void(&mut self, _now: OffsetDateTime) -> Result<(), BillingError> {
        if !matches!(self.status, InvoiceStatus::Open | InvoiceStatus::Uncollectible) {
            return Err(self.refuse("void"));
        }
        self.status = InvoiceStatus::Void;
        self.next_attempt_at = None;
        Ok(())
    }

    /// Gives up chasing the invoice: no more automatic retries, though it can still be paid.
    /// `now` is taken so every transition reads alike; the invoice keeps no date for it.
    ///
    /// # Errors
    /// [`BillingError::IllegalTransition`] unless open.
    pub fn mark_uncollectible(&mut self, _now: OffsetDateTime) -> Result<(), BillingError> {
        if self.status != InvoiceStatus::Open {
            return Err(self.refuse("mark_uncollectible"));
        }
        self.status = InvoiceStatus::Uncollectible;
        self.next_attempt_at = None;
        Ok(())
    }
}

#[derive(Serialize)]
struct InvoiceJson {
    number: InvoiceNumber,
    status: InvoiceStatus,
    reason: InvoiceReason,
    lines: Vec<InvoiceLine>,
    subtotal: Money,
    total: Money,
    currency: &'static str,
    #[serde(with = "time::serde::rfc3339")]
    issued_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    due_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    paid_at: Option<OffsetDateTime>,
    attempts: u32,
    #[serde(with = "time::serde::rfc3339::option")]
    next_attempt_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    period_start: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    period_end: Option<OffsetDateTime>,
    plan: Option<PlanCode>,
}

impl From<Invoice> for InvoiceJson {
    fn from(invoice: Invoice) -> Self {
        InvoiceJson {
            number: invoice.number,
            status: invoice.status,
            reason: invoice.reason,
            lines: invoice.lines,
            subtotal: invoice.subtotal,
            total: invoice.total,
            currency: invoice.currency.code(),
            issued_at: invoice.issued_at,
            due_at: invoice.due_at,
            paid_at: invoice.paid_at,
            attempts: invoice.attempts,
            next_attempt_at: invoice.next_attempt_at,
            period_start: invoice.period.map(|p| p.start),
            period_end: invoice.period.map(|p| p.end),
            plan: invoice.plan,
        }
    }
}

#[cfg(test)]
mod tests;
