//! Limits: how much of a metric a plan allows, when the count starts again, whether it may be
//! passed, and how fast an account may call the API.

use serde::{Deserialize, Serialize};

use crate::ids::InvalidValue;
use crate::rule::Rule;

/// When a metric's count starts again from zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Reset {
    /// Never: a gauge of things that exist (sites, seats); `release` gives units back.
    Never,
    /// Every UTC calendar day.
    Day,
    /// Every UTC calendar month.
    Month,
    /// Every billing period of the subscription.
    BillingPeriod,
}

/// What happens when a request would pass a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Enforcement {
    /// Never exceed the limit.
    #[default]
    Hard,
    /// Allow past the limit and report the excess as overage.
    Soft,
}

/// A limit on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// The most units allowed in a window; `None` is unlimited.
    pub max: Option<u64>,
    /// When the count starts again from zero.
    pub reset: Reset,
    /// Whether the limit may be passed.
    #[serde(default)]
    pub enforcement: Enforcement,
}

impl Limit {
    /// A hard limit of `max` units per `reset` window.
    pub fn hard(max: u64, reset: Reset) -> Self {
        Self { max: Some(max), reset, enforcement: Enforcement::Hard }
    }

    /// No limit; usage is still counted per `reset` window.
    pub fn unlimited(reset: Reset) -> Self {
        Self { max: None, reset, enforcement: Enforcement::Hard }
    }

    /// The ceiling an atomic consume must not pass: the max of a hard limit, `None` otherwise.
    pub fn cap(&self) -> Option<u64> {
        match self.enforcement {
            Enforcement::Hard => self.max,
            Enforcement::Soft => None,
        }
    }

    /// Whether `quantity` more units fit after `used`, under this limit's enforcement.
    pub fn admits(&self, used: u64, quantity: u64) -> bool {
        match (self.max, self.enforcement) {
            (None, _) | (_, Enforcement::Soft) => true,
            (Some(max), Enforcement::Hard) => used.checked_add(quantity).is_some_and(|t| t <= max),
        }
    }
}

/// How fast an account's users and keys may call the API: a GCRA quota of `per_minute` requests
/// per minute, of which up to `burst` may arrive at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests per minute, sustained.
    pub per_minute: u32,
    /// Requests that may arrive at once (the bucket's size).
    pub burst: u32,
}

/// The largest `per_minute` and `burst` a rate limit may declare: past it a limiter's arithmetic
/// in nanoseconds could overflow, and no API is called faster.
pub const MAX_RATE: u32 = 1_000_000;

impl RateLimit {
    /// Checks both numbers are within 1..=[`MAX_RATE`].
    ///
    /// # Errors
    /// [`InvalidValue`] naming `rate_limit.per_minute` or `rate_limit.burst`.
    pub fn validate(&self) -> Result<(), InvalidValue> {
        if !(1..=MAX_RATE).contains(&self.per_minute) {
            return Err(InvalidValue::new("rate_limit.per_minute", Rule::RateLimit));
        }
        if !(1..=MAX_RATE).contains(&self.burst) {
            return Err(InvalidValue::new("rate_limit.burst", Rule::RateLimit));
        }
        Ok(())
    }
}
