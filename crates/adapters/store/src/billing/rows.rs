//! The billing tables' rows to and from domain values: money as integer minor units in the
//! invoice's currency, lines as the API's JSON.

use sea_orm::{QueryResult, TryGetable, Value};
use tollgate_domain::{
    AccountKey, Currency, Invoice, InvoiceNumber, InvoiceParts, InvoiceReason, InvoiceStatus, Money, Period,
    PlanCode,
};
use tollgate_ports::{Checkout, StoreError, StoredInvoice};

use crate::convert::{corrupt, instant, micros};

const INVOICE_COLUMNS: [&str; 19] = [
    "account_id",
    "number",
    "year",
    "sequence",
    "reason",
    "status",
    "currency",
    "lines",
    "subtotal_minor",
    "total_minor",
    "issued_at",
    "due_at",
    "paid_at",
    "attempts",
    "next_attempt_at",
    "period_start",
    "period_end",
    "plan_code",
    "version",
];

/// Every invoice column after the account's key (`i` is the invoice, `a` its account), in the
/// order [`invoice_from_row`] reads them.
pub(super) const INVOICE_SELECT: &str = "SELECT a.key, i.number, i.reason, i.status, i.currency, i.lines, \
     i.subtotal_minor, i.total_minor, i.issued_at, i.due_at, i.paid_at, i.attempts, i.next_attempt_at, \
     i.period_start, i.period_end, i.plan_code, i.version \
     FROM invoices i JOIN accounts a ON a.id = i.account_id";

fn get<T: TryGetable>(row: &QueryResult, index: usize) -> Result<T, StoreError> {
    row.try_get_by_index(index).map_err(|e| corrupt(format!("{e:?}")))
}

fn at(row: &QueryResult, index: usize) -> Result<time::OffsetDateTime, StoreError> {
    instant(get(row, index)?)
}

fn optional_at(row: &QueryResult, index: usize) -> Result<Option<time::OffsetDateTime>, StoreError> {
    get::<Option<i64>>(row, index)?.map(instant).transpose()
}

fn minor(money: Money) -> Result<i64, StoreError> {
    money.to_minor_units().map_err(|e| StoreError::Internal(e.to_string()))
}

/// The columns, placeholders and values of an invoice's row for account `account_id`.
pub(super) fn invoice_values(
    account_id: i64,
    invoice: &Invoice,
) -> Result<(String, String, Vec<Value>), StoreError> {
    let p = invoice.to_parts();
    let lines = serde_json::to_string(&p.lines).map_err(|e| StoreError::Internal(e.to_string()))?;
    let values: Vec<Value> = vec![
        account_id.into(),
        p.number.to_string().into(),
        p.number.year().into(),
        i64::from(p.number.sequence()).into(),
        p.reason.as_str().into(),
        p.status.as_str().into(),
        p.currency.code().into(),
        lines.into(),
        minor(p.subtotal)?.into(),
        minor(p.total)?.into(),
        micros(p.issued_at).into(),
        micros(p.due_at).into(),
        p.paid_at.map(micros).into(),
        i64::from(p.attempts).into(),
        p.next_attempt_at.map(micros).into(),
        p.period.map(|period| micros(period.start)).into(),
        p.period.map(|period| micros(period.end)).into(),
        p.plan.as_ref().map(ToString::to_string).into(),
        0_i64.into(),
    ];
    let placeholders: Vec<String> = (1..=values.len()).map(|i| format!("${i}")).collect();
    Ok((INVOICE_COLUMNS.join(", "), placeholders.join(", "), values))
}

/// An invoice from a row of [`INVOICE_SELECT`].
pub(super) fn invoice_from_row(row: &QueryResult) -> Result<StoredInvoice, StoreError> {
    let account = AccountKey::parse(get::<String>(row, 0)?).map_err(corrupt)?;
    let currency = Currency::parse(&get::<String>(row, 4)?).map_err(corrupt)?;
    let money =
        |index| -> Result<Money, StoreError> { Ok(Money::from_minor_units(get(row, index)?, currency)) };
    let period = match (optional_at(row, 13)?, optional_at(row, 14)?) {
        (Some(start), Some(end)) => Some(Period { start, end }),
        (None, None) => None,
        _ => return Err(corrupt("an invoice period with one end")),
    };
    let attempts = u32::try_from(get::<i64>(row, 11)?).map_err(corrupt)?;
    let invoice = Invoice::from_parts(InvoiceParts {
        number: InvoiceNumber::parse(&get::<String>(row, 1)?).map_err(corrupt)?,
        reason: InvoiceReason::parse(&get::<String>(row, 2)?).ok_or_else(|| corrupt("invoice reason"))?,
        status: InvoiceStatus::parse(&get::<String>(row, 3)?).ok_or_else(|| corrupt("invoice status"))?,
        currency,
        lines: serde_json::from_str(&get::<String>(row, 5)?).map_err(corrupt)?,
        subtotal: money(6)?,
        total: money(7)?,
        issued_at: at(row, 8)?,
        due_at: at(row, 9)?,
        paid_at: optional_at(row, 10)?,
        attempts,
        next_attempt_at: optional_at(row, 12)?,
        period,
        plan: get::<Option<String>>(row, 15)?.map(PlanCode::parse).transpose().map_err(corrupt)?,
    });
    let version = u64::try_from(get::<i64>(row, 16)?).map_err(corrupt)?;
    Ok(StoredInvoice { account, invoice, version })
}

/// A checkout from its row (session, account key, plan, seats, amount, currency, created, completed).
pub(super) fn checkout_from_row(row: &QueryResult) -> Result<Checkout, StoreError> {
    let currency = Currency::parse(&get::<String>(row, 5)?).map_err(corrupt)?;
    Ok(Checkout {
        session: get(row, 0)?,
        account: AccountKey::parse(get::<String>(row, 1)?).map_err(corrupt)?,
        plan: PlanCode::parse(get::<String>(row, 2)?).map_err(corrupt)?,
        seats: u32::try_from(get::<i64>(row, 3)?).map_err(corrupt)?,
        amount: Money::from_minor_units(get(row, 4)?, currency),
        created_at: at(row, 6)?,
        completed_at: optional_at(row, 7)?,
    })
}
