//! What the billing use cases answer.

use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{Invoice, InvoiceLine, Money, PlanCode};

/// An invoice as the API shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InvoiceView {
    /// `TG-2026-000123`.
    pub number: String,
    /// `draft`, `open`, `paid`, `void` or `uncollectible`.
    pub status: &'static str,
    /// Why it was issued.
    pub reason: &'static str,
    /// Its lines, each rounded once.
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines.
    pub subtotal: Money,
    /// What is due.
    pub total: Money,
    /// The ISO 4217 code.
    pub currency: &'static str,
    /// The plan billed.
    pub plan: Option<PlanCode>,
    /// When it was issued.
    #[serde(with = "time::serde::rfc3339")]
    pub issued_at: OffsetDateTime,
    /// When it is due.
    #[serde(with = "time::serde::rfc3339")]
    pub due_at: OffsetDateTime,
    /// When it was paid.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    /// Payment attempts made.
    pub attempts: u32,
    /// When the next automatic attempt is due.
    #[serde(with = "time::serde::rfc3339::option")]
    pub next_attempt_at: Option<OffsetDateTime>,
}

impl From<&Invoice> for InvoiceView {
    fn from(invoice: &Invoice) -> Self {
        Self {
            number: invoice.number().to_string(),
            status: invoice.status().as_str(),
            reason: invoice.reason().as_str(),
            lines: invoice.lines().to_vec(),
            subtotal: invoice.subtotal(),
            total: invoice.total(),
            currency: invoice.currency().code(),
            plan: invoice.plan().cloned(),
            issued_at: invoice.issued_at(),
            due_at: invoice.due_at(),
            paid_at: invoice.paid_at(),
            attempts: invoice.attempts(),
            next_attempt_at: invoice.next_attempt_at(),
        }
    }
}
