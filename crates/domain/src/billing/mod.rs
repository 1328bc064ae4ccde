//! Billing rules: invoice numbers, lines and their one rounding, the invoice state machine,
//! proration of plan changes by the second, and the dunning schedule.
//!
//! Everything here is a pure function of its arguments and `now`: the application decides when
//! to call it, stores what it returns and talks to the payment gateway.
//!
//! ```
//! use tollgate_domain::{ChangeTiming, Plan, PlanDraft, Subscription, quote_change};
//! use time::macros::datetime;
//!
//! let plan = |code: &str, price: &str| -> Plan {
//!     let draft: PlanDraft = serde_json::from_str(&format!(
//!         r#"{{"code": "{code}", "name": "{code}", "interval": "month",
//!             "price": {{"amount": "{price}", "currency": "USD"}}}}"#
//!     ))
//!     .unwrap();
//!     Plan::new(draft, 1).unwrap()
//! };
//! let (basic, pro) = (plan("basic", "10"), plan("pro", "40"));
//! let subscription = Subscription::start(&basic, 1, datetime!(2026-04-01 0:00 UTC))?;
//!
//! // Half of April is left: half of Basic comes back, half of Pro is charged, at once.
//! let quote = quote_change(&basic, &subscription, &pro, 1, None, datetime!(2026-04-16 0:00 UTC))?;
//! assert_eq!(quote.timing, ChangeTiming::Now);
//! assert_eq!(quote.lines[0].description, "Unused time on basic");
//! assert_eq!(quote.lines[0].amount.amount_string(), "-5.00");
//! assert_eq!(quote.lines[1].amount.amount_string(), "20.00");
//! assert_eq!(quote.total.amount_string(), "15.00");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod add_on;
mod dunning;
mod error;
mod invoice;
mod line;
mod number;
mod proration;
mod status;

pub use self::add_on::{
    AddOnPurchase, MAX_ADD_ON_QUANTITY, buy_add_on, catalog_add_on, check_add_on_quantity,
};
pub use self::dunning::{DunningAction, DunningPolicy};
pub use self::error::BillingError;
pub use self::invoice::{Invoice, InvoiceParts};
pub use self::line::InvoiceLine;
pub use self::number::InvoiceNumber;
pub use self::proration::{
    ChangeQuote, ChangeTiming, period_lines, plan_line_description, prorate, quote_change, recurring_amount,
};
pub use self::status::{InvoiceReason, InvoiceStatus};

#[cfg(test)]
pub(crate) mod fixtures;
