//! Proration: what a plan, seat or interval change costs in the middle of a period, counted by
//! the second with exact decimals, and the lines of a period's invoice. Nothing here rounds:
//! amounts are rounded once, by [`InvoiceLine::new`].

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::error::BillingError;
use super::line::InvoiceLine;
use crate::addon::AddOnTerms;
use crate::ids::InvalidValue;
use crate::money::{Money, MoneyError};
use crate::period::{Period, add_months};
use crate::plan::Plan;
use crate::rule::Rule;
use crate::subscription::{MAX_SEATS, Status, Subscription};

/// The price of one period of `plan` for `seats`: the price times the seats when the plan is
/// priced per seat, the price otherwise. Not rounded.
///
/// # Errors
/// [`MoneyError::Overflow`] when the product does not fit.
pub fn recurring_amount(plan: &Plan, seats: u32) -> Result<Money, MoneyError> {
    if plan.per_seat() { plan.price().checked_mul(Decimal::from(seats)) } else { Ok(plan.price()) }
}

/// The part of `amount`, the price of `period`, that pays for `[from, period.end)`: `amount ×
/// remaining seconds / period seconds`, exact (not rounded). Zero from the period's end on, the
/// whole amount up to its start. Seconds are whole: a second already begun is not charged.
///
/// # Errors
/// [`MoneyError::Overflow`] when the product does not fit.
pub fn prorate(amount: Money, period: Period, from: OffsetDateTime) -> Result<Money, MoneyError> {
    if from >= period.end {
        return Ok(Money::zero(amount.currency()));
    }
    let (remaining, length) = ((period.end - from).whole_seconds(), period.length().whole_seconds());
    if from <= period.start || length <= 0 {
        return Ok(amount);
    }
    // Multiplying first keeps the quotient exact to the decimal's 28 digits.
    let exact = amount
        .amount()
        .checked_mul(Decimal::from(remaining))
        .and_then(|product| product.checked_div(Decimal::from(length)))
        .ok_or(MoneyError::Overflow)?;
    Ok(Money::new(exact, amount.currency()))
}

/// How a plan's line reads on an invoice: its name, and the seats when it is priced per seat
/// (`"Pro"`, `"Team × 5 seats"`, `"Team × 1 seat"`).
pub fn plan_line_description(plan: &Plan, seats: u32) -> String {
    match (plan.per_seat(), seats) {
        (false, _) => plan.name().to_owned(),
        (true, 1) => format!("{} × 1 seat", plan.name()),
        (true, seats) => format!("{} × {seats} seats", plan.name()),
    }
}

/// When a change of plan takes effect.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeTiming {
    /// At once, with a credit for the unused time and a charge for the rest of the period.
    Now,
    /// At the end of the current period, at no cost now.
    PeriodEnd,
}

/// What a change of plan costs and when it takes effect, as a preview shows it and as applying
/// it must invoice it.
///
/// It serializes as `{"lines", "total", "effective_at", "at", "period_start", "period_end"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeQuote {
    /// The credit and charge lines, rounded; none when nothing is charged now.
    pub lines: Vec<InvoiceLine>,
    /// The sum of the lines (negative when the credit is larger).
    pub total: Money,
    /// When the change takes effect.
    pub effective_at: OffsetDateTime,
    /// Whether it takes effect now or at the period's end.
    pub timing: ChangeTiming,
    /// The current period once the change is applied now (a new one when the interval changes);
    /// `None` for a change at period end.
    pub period: Option<Period>,
}

impl Serialize for ChangeQuote {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            lines: &'a [InvoiceLine],
            total: Money,
            #[serde(with = "time::serde::rfc3339")]
            effective_at: OffsetDateTime,
            at: ChangeTiming,
            #[serde(with = "time::serde::rfc3339::option")]
            period_start: Option<OffsetDateTime>,
            #[serde(with = "time::serde::rfc3339::option")]
            period_end: Option<OffsetDateTime>,
        }
        View {
            lines: &self.lines,
            total: self.total,
            effective_at: self.effective_at,
            at: self.timing,
            period_start: self.period.map(|p| p.start),
            period_end: self.period.map(|p| p.end),
        }
        .serialize(serializer)
    }
}

fn check_seats(seats: u32) -> Result<(), InvalidValue> {
    if (1..=MAX_SEATS).contains(&seats) { Ok(()) } else { Err(InvalidValue::new("seats", Rule::Seats)) }
}

/// True when `new` a period of `target` costs more per month than `old` a period of `current`
/// (a yearly price counts as a twelfth a month).
/// Whether a change waits for the period's end by default: when it costs less a month, or the
/// same a month on another interval (a year already paid runs out first).
fn waits_for_period_end(old: Money, current: &Plan, new: Money, target: &Plan) -> Result<bool, MoneyError> {
    // Cross-multiplied, so no division rounds the comparison.
    let old = old.checked_mul(Decimal::from(target.interval().months()))?;
    let new = new.checked_mul(Decimal::from(current.interval().months()))?;
    let same_interval = current.interval() == target.interval();
    Ok(new.amount() < old.amount() || (new.amount() == old.amount() && !same_interval))
}

/// What moving `subscription`, on the plan version `current`, to `target` with `seats` costs at
/// `now`, and when it takes effect.
///
/// `timing` `None` chooses: a downgrade (a lower price per month for the new plan and seats, a
/// yearly price counting as a twelfth), or the same price a month on another interval, waits for
/// [`ChangeTiming::PeriodEnd`]; an upgrade, or the same price on the same interval (more seats on
/// a flat-priced plan, a new version of the plan), applies [`ChangeTiming::Now`]. At the same
/// price and interval nothing is charged or credited (no line).
///
/// - Now, same interval: a credit `"Unused time on <current>"` of the old price prorated from
///   `now` to the period's end, and a charge `"Remaining time on <target>"` of the new price
///   prorated alike (per-seat plans name their seats: `"Remaining time on Team × 5 seats"`).
/// - Now, another interval (month ↔ year): the same credit, and the whole first period of the
///   new interval, `[now, now + 1 or 12 months)`, charged; it becomes the current period.
/// - At period end: no line, a zero total, effective at the current period's end.
/// - While trialing: no money changes hands (no line), and the change is effective now unless
///   `timing` asks for the trial's end.
///
/// Lines that round to zero (the credit for a free plan) are left out.
/// The subscription's status is otherwise the caller's concern
/// ([`Subscription::change_plan`] refuses suspended and ended ones).
///
/// # Errors
/// [`BillingError::Money`]: [`MoneyError::CurrencyMismatch`] when the plans are priced in
/// different currencies, [`MoneyError::Overflow`] out of range (or beyond year 9999);
/// [`BillingError::Invalid`] for seats outside 1..=[`MAX_SEATS`];
/// [`BillingError::NotAChange`] for the same plan code and version, seats and interval.
pub fn quote_change(
    current: &Plan,
    subscription: &Subscription,
    target: &Plan,
    seats: u32,
    timing: Option<ChangeTiming>,
    now: OffsetDateTime,
) -> Result<ChangeQuote, BillingError> {
    let currency = current.price().currency();
    if target.price().currency() != currency {
        let right = target.price().currency();
        return Err(MoneyError::CurrencyMismatch { left: currency, right }.into());
    }
    check_seats(seats)?;
    if target.code() == current.code()
        && target.version() == current.version()
        && seats == subscription.seats()
        && target.interval() == subscription.interval()
    {
        return Err(BillingError::NotAChange);
    }
    // `None` only past year 9999, where nothing can be priced.
    let period = subscription.period_at(now).ok_or(MoneyError::Overflow)?;
    let old = recurring_amount(current, subscription.seats())?;
    let new = recurring_amount(target, seats)?;
    let trialing = subscription.status_at(now) == Status::Trialing;
    let timing = match timing {
        Some(timing) => timing,
        None if !trialing && waits_for_period_end(old, current, new, target)? => ChangeTiming::PeriodEnd,
        None => ChangeTiming::Now,
    };
    let nothing = |effective_at, period| ChangeQuote {
        lines: Vec::new(),
        total: Money::zero(currency),
        effective_at,
        timing,
        period,
    };
    match timing {
        ChangeTiming::PeriodEnd => return Ok(nothing(period.end, None)),
        ChangeTiming::Now if trialing => return Ok(nothing(now, Some(period))),
        ChangeTiming::Now if old == new && target.interval() == subscription.interval() => {
            return Ok(nothing(now, Some(period)));
        }
        ChangeTiming::Now => {}
    }
    let rest = Period { start: now, end: period.end };
    let credit = Money::zero(currency).checked_sub(prorate(old, period, now)?)?;
    let unused = format!("Unused time on {}", plan_line_description(current, subscription.seats()));
    let mut lines = vec![InvoiceLine::new(unused, credit, Some(rest))];
    let new_period = if target.interval() == subscription.interval() {
        let remaining = format!("Remaining time on {}", plan_line_description(target, seats));
        lines.push(InvoiceLine::new(remaining, prorate(new, period, now)?, Some(rest)));
        period
    } else {
        let end = add_months(now, i64::from(target.interval().months())).ok_or(MoneyError::Overflow)?;
        let first = Period { start: now, end };
        lines.push(InvoiceLine::new(plan_line_description(target, seats), new, Some(first)));
        first
    };
    lines.retain(|line| !line.amount.amount().is_zero());
    let total = lines.iter().try_fold(Money::zero(currency), |sum, line| sum.checked_add(line.amount))?;
    Ok(ChangeQuote { lines, total, effective_at: now, timing, period: Some(new_period) })
}

/// The lines of a first or renewal invoice for `period`: the plan's (`"Pro"`, `"Team × 5
/// seats"`), then one per add-on, `"<add-on name> × <quantity>"` at its price times the quantity.
/// An add-on billed at another interval than the plan is priced for the plan's: a monthly add-on
/// on a yearly plan costs twelve times its price, a yearly one on a monthly plan a twelfth.
///
/// # Errors
/// [`BillingError::Invalid`] for seats outside 1..=[`MAX_SEATS`] or a quantity of 0;
/// [`BillingError::Money`]: [`MoneyError::CurrencyMismatch`] for an add-on priced in another
/// currency than the plan, [`MoneyError::Overflow`] out of range.
pub fn period_lines(
    plan: &Plan,
    seats: u32,
    add_ons: &[(&AddOnTerms, u32)],
    period: Period,
) -> Result<Vec<InvoiceLine>, BillingError> {
    check_seats(seats)?;
    let currency = plan.price().currency();
    let mut lines = vec![InvoiceLine::new(
        plan_line_description(plan, seats),
        recurring_amount(plan, seats)?,
        Some(period),
    )];
    for &(add_on, quantity) in add_ons {
        if quantity == 0 {
            return Err(InvalidValue::new("quantity", Rule::AddOnQuantity).into());
        }
        if add_on.price().currency() != currency {
            let right = add_on.price().currency();
            return Err(MoneyError::CurrencyMismatch { left: currency, right }.into());
        }
        let per_period = add_on_amount(plan, add_on, quantity)?;
        lines.push(InvoiceLine::new(format!("{} × {quantity}", add_on.name()), per_period, Some(period)));
    }
    Ok(lines)
}

/// The price of `quantity` units of `add_on` for one period of `plan`: a monthly add-on on a
/// yearly plan costs twelve times its price, a yearly one on a monthly plan a twelfth. Not rounded.
///
/// # Errors
/// [`MoneyError::Overflow`] out of range.
pub(crate) fn add_on_amount(plan: &Plan, add_on: &AddOnTerms, quantity: u32) -> Result<Money, MoneyError> {
    let units = Decimal::from(quantity) * Decimal::from(plan.interval().months());
    add_on
        .price()
        .amount()
        .checked_mul(units)
        .and_then(|amount| amount.checked_div(Decimal::from(add_on.interval().months())))
        .map(|amount| Money::new(amount, add_on.price().currency()))
        .ok_or(MoneyError::Overflow)
}

#[cfg(test)]
mod examples;
#[cfg(test)]
mod properties;
#[cfg(test)]
mod tests;
