//! Buying add-ons in the middle of a period: the account's add-ons after the purchase, and the
//! charge for the rest of the period, prorated by the second like an upgrade.

use time::OffsetDateTime;

use super::error::BillingError;
use super::line::InvoiceLine;
use super::proration::{add_on_amount, prorate};
use crate::addon::AddOnTerms;
use crate::entitlements::AddOn;
use crate::ids::{AddOnCode, InvalidValue};
use crate::money::MoneyError;
use crate::period::Period;
use crate::plan::Plan;
use crate::rule::Rule;

/// The most units of one add-on an account holds.
pub const MAX_ADD_ON_QUANTITY: u32 = 1000;

/// What buying an add-on does: the account's add-ons after it, and what it is charged now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddOnPurchase {
    /// The account's add-ons once bought, the bought one with its new quantity.
    pub add_ons: Vec<AddOn>,
    /// The quantity held before (0 when the add-on is new to the account).
    pub previous: u32,
    /// The charge for the units added, prorated for the rest of the period; `None` when nothing
    /// is charged (fewer or as many units, a free add-on, a trial).
    pub line: Option<InvoiceLine>,
}

/// Checks the quantity of an add-on bought: 1 to [`MAX_ADD_ON_QUANTITY`].
///
/// # Errors
/// [`InvalidValue`] for `quantity` ([`Rule::AddOnPurchaseQuantity`]).
pub fn check_add_on_quantity(quantity: u32) -> Result<u32, InvalidValue> {
    if (1..=MAX_ADD_ON_QUANTITY).contains(&quantity) {
        Ok(quantity)
    } else {
        Err(InvalidValue::new("quantity", Rule::AddOnPurchaseQuantity))
    }
}

/// The add-on of `catalog` with this code.
///
/// # Errors
/// [`InvalidValue`] for `addon` ([`Rule::NoSuchAddOn`]) when the catalog has none.
pub fn catalog_add_on<'a>(
    catalog: &'a [AddOnTerms],
    code: &AddOnCode,
) -> Result<&'a AddOnTerms, InvalidValue> {
    catalog.iter().find(|terms| terms.code() == code).ok_or(InvalidValue::new("addon", Rule::NoSuchAddOn))
}

/// The account, on `plan`, holding `held`, buys `add_on` until it holds `quantity` units of it,
/// at `now` in `period` (the subscription's current one).
///
/// The add-on is recorded with what its terms grant today (its limits per unit, the features it
/// grants), which is what the account keeps. Units beyond those already held are charged
/// `"<name> × <units>"`: their price for one period of the plan (see
/// [`super::period_lines`]), prorated from `now` to the period's end. Nothing is charged when
/// `charged` is false (a trial: no money changes hands, as for plan changes), when the quantity
/// goes down (no refund) or when the charge rounds to zero.
///
/// # Errors
/// [`BillingError::AddOnNotAllowed`] when `plan` does not list the add-on;
/// [`BillingError::Invalid`] for a quantity out of 1..=[`MAX_ADD_ON_QUANTITY`];
/// [`BillingError::Money`]: [`MoneyError::CurrencyMismatch`] for an add-on priced in another
/// currency than the plan, [`MoneyError::Overflow`] out of range.
pub fn buy_add_on(
    plan: &Plan,
    held: &[AddOn],
    add_on: &AddOnTerms,
    quantity: u32,
    period: Period,
    charged: bool,
    now: OffsetDateTime,
) -> Result<AddOnPurchase, BillingError> {
    if !plan.addons().contains(add_on.code()) {
        return Err(BillingError::AddOnNotAllowed(add_on.code().clone()));
    }
    let quantity = check_add_on_quantity(quantity)?;
    let currency = plan.price().currency();
    if add_on.price().currency() != currency {
        return Err(MoneyError::CurrencyMismatch { left: currency, right: add_on.price().currency() }.into());
    }
    let code = add_on.code().as_str();
    let previous = held.iter().find(|a| a.code == code).map_or(0, |a| a.quantity);
    let bought = AddOn {
        code: code.to_owned(),
        quantity,
        limits: add_on.limits().iter().map(|(metric, limit)| (metric.clone(), limit.max)).collect(),
        features: add_on.features().iter().filter(|&(_, on)| *on).map(|(f, _)| f.clone()).collect(),
    };
    let mut add_ons: Vec<AddOn> = held.iter().filter(|a| a.code != code).cloned().collect();
    add_ons.push(bought);
    add_ons.sort_by(|a, b| a.code.cmp(&b.code));
    let added = quantity.saturating_sub(previous);
    let line = if charged && added > 0 {
        let amount = prorate(add_on_amount(plan, add_on, added)?, period, now)?;
        let rest = Period { start: now.max(period.start), end: period.end };
        Some(InvoiceLine::new(format!("{} × {added}", add_on.name()), amount, Some(rest)))
            .filter(|line| !line.amount.amount().is_zero())
    } else {
        None
    };
    Ok(AddOnPurchase { add_ons, previous, line })
}

#[cfg(test)]
mod tests;
