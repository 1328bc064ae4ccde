//! The back office's figures: accounts by plan and status, monthly recurring revenue, usage.

use std::collections::BTreeMap;

use serde::Serialize;
use tollgate_domain::{Caller, Currency, MetricName, Money, PlanCode, Status};

use crate::identity::internal;
use crate::{AppError, Tollgate};

/// The platform's figures now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Stats {
    /// Every account.
    pub accounts: u64,
    /// Accounts by their subscription's plan code (every version together).
    pub by_plan: BTreeMap<PlanCode, u64>,
    /// Accounts by their subscription's status as last stored (a trial that ended without a
    /// change since still counts as `trialing`).
    pub by_status: BTreeMap<String, u64>,
    /// Accounts without a subscription.
    pub without_subscription: u64,
    /// Monthly recurring revenue, one amount per currency: for every `active` or `past_due`
    /// subscription, its plan version's monthly price, times its seats on a per-seat plan;
    /// rounded to the currency's minor unit once, on the sum.
    pub monthly_recurring_revenue: Vec<Money>,
    /// Per metric, the units of every counter of every account summed (held of the gauges,
    /// counted of the metered metrics in all windows kept).
    pub usage: BTreeMap<MetricName, u64>,
}

impl Tollgate {
    /// The platform's figures.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] unless `caller` is a platform admin; storage errors.
    pub async fn stats(&self, caller: &Caller) -> Result<Stats, AppError> {
        self.require_platform_admin(caller)?;
        let mut stats = Stats {
            accounts: 0,
            by_plan: BTreeMap::new(),
            by_status: BTreeMap::new(),
            without_subscription: 0,
            monthly_recurring_revenue: Vec::new(),
            usage: self.ports.usage.totals().await?.into_iter().collect(),
        };
        let mut revenue: BTreeMap<Currency, Money> = BTreeMap::new();
        for group in self.ports.accounts.tally().await? {
            stats.accounts += group.accounts;
            let (Some((code, version)), Some(status)) = (group.plan, group.status) else {
                stats.without_subscription += group.accounts;
                continue;
            };
            *stats.by_plan.entry(code.clone()).or_default() += group.accounts;
            *stats.by_status.entry(status.as_str().to_owned()).or_default() += group.accounts;
            if !matches!(status, Status::Active | Status::PastDue) {
                continue;
            }
            let plan = self.ports.plans.version(&code, version).await?.ok_or(AppError::PlanNotFound(code))?;
            let units = if plan.per_seat() { group.seats } else { group.accounts };
            let monthly = plan.monthly_price();
            let amount = monthly.checked_mul(units.into()).map_err(internal)?;
            let sum = revenue.entry(monthly.currency()).or_insert_with(|| Money::zero(monthly.currency()));
            *sum = sum.checked_add(amount).map_err(internal)?;
        }
        stats.monthly_recurring_revenue = revenue.into_values().map(Money::round).collect();
        Ok(stats)
    }
}
