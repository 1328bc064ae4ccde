use std::collections::BTreeMap;

use serde::Serialize;
use time::OffsetDateTime;
use tollgate_domain::{
    AccountKey, Email, MetricName, Period, PlanCode, ScheduledChange, Status, Subscription, UsageLine,
};
use tollgate_ports::Account;

/// A subscription as callers see it at an instant: the effective status and current period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SubscriptionView {
    /// The plan's code.
    pub plan: PlanCode,
    /// The plan version whose terms apply.
    pub plan_version: u32,
    /// The status at the instant of the view.
    pub status: Status,
    /// Seats.
    pub seats: u32,
    /// When the subscription started.
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    /// The current period's start.
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_period_start: Option<OffsetDateTime>,
    /// The current period's end.
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_period_end: Option<OffsetDateTime>,
    /// When the trial ends.
    #[serde(with = "time::serde::rfc3339::option")]
    pub trial_ends_at: Option<OffsetDateTime>,
    /// Whether it cancels at period end.
    pub cancel_at_period_end: bool,
    /// When it was cancelled or expired.
    #[serde(with = "time::serde::rfc3339::option")]
    pub ended_at: Option<OffsetDateTime>,
    /// A change waiting for the end of the period (a downgrade), or `None`.
    pub scheduled_change: Option<ScheduledChange>,
}

impl SubscriptionView {
    /// The view of `subscription` at `now`.
    pub fn at(subscription: &Subscription, now: OffsetDateTime) -> Self {
        let period = subscription.period_at(now);
        Self {
            plan: subscription.plan().clone(),
            plan_version: subscription.plan_version(),
            status: subscription.status_at(now),
            seats: subscription.seats(),
            started_at: subscription.started_at(),
            current_period_start: period.map(|p| p.start),
            current_period_end: period.map(|p| p.end),
            trial_ends_at: subscription.trial_ends_at(),
            cancel_at_period_end: subscription.cancel_at_period_end(),
            ended_at: subscription.ended_at().or(subscription.cancel_at().filter(|at| *at <= now)),
            scheduled_change: subscription.scheduled_change().cloned(),
        }
    }
}

/// An account with its subscription.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AccountView {
    /// The integrator's key.
    pub key: AccountKey,
    /// Display name.
    pub name: String,
    /// Billing contact.
    pub email: Option<Email>,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The subscription, if any.
    pub subscription: Option<SubscriptionView>,
}

impl AccountView {
    /// The view of `account` and its subscription at `now`.
    pub fn at(account: Account, subscription: Option<&Subscription>, now: OffsetDateTime) -> Self {
        Self {
            key: account.key,
            name: account.name,
            email: account.email,
            created_at: account.created_at,
            subscription: subscription.map(|s| SubscriptionView::at(s, now)),
        }
    }
}

/// How much of each limit an account has used in its current windows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UsageReport {
    /// The account.
    pub account: AccountKey,
    /// The subscription's current period.
    pub period: Option<Period>,
    /// One line per metric the account's terms include.
    pub metrics: BTreeMap<MetricName, UsageLine>,
}
