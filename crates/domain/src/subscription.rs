//! Subscriptions: which plan an account is on, and the state machine of its life.

use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};

use crate::ids::{InvalidValue, PlanCode};
use crate::period::{Interval, Period, billing_period};
use crate::plan::Plan;
use crate::rule::Rule;

mod scheduled;
mod status;

pub use self::scheduled::ScheduledChange;
pub use self::status::{Status, SubscriptionError, Transition};

/// Most seats one subscription can hold.
pub const MAX_SEATS: u32 = 1_000_000;

/// A subscription of one account to one plan version.
///
/// Billing periods are derived from the anchor (`period_at`), so nothing needs a cron job to roll
/// them over. All transitions take `now` explicitly.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Subscription {
    plan: PlanCode,
    plan_version: u32,
    interval: Interval,
    status: Status,
    seats: u32,
    #[serde(with = "time::serde::rfc3339")]
    started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    anchor: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339::option")]
    trial_ends_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    cancel_at: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    past_due_since: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    ended_at: Option<OffsetDateTime>,
    #[serde(default)]
    scheduled: Option<ScheduledChange>,
}

fn check_seats(seats: u32) -> Result<u32, SubscriptionError> {
    if (1..=MAX_SEATS).contains(&seats) {
        Ok(seats)
    } else {
        Err(InvalidValue::new("seats", Rule::Seats).into())
    }
}

/// Every stored field of a subscription, for adapters that persist it column by column.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)]
pub struct SubscriptionParts {
    pub plan: PlanCode,
    pub plan_version: u32,
    pub interval: Interval,
    pub status: Status,
    pub seats: u32,
    pub started_at: OffsetDateTime,
    pub anchor: OffsetDateTime,
    pub trial_ends_at: Option<OffsetDateTime>,
    pub cancel_at: Option<OffsetDateTime>,
    pub past_due_since: Option<OffsetDateTime>,
    pub ended_at: Option<OffsetDateTime>,
    pub scheduled: Option<ScheduledChange>,
}

impl Subscription {
    /// Starts a subscription to `plan` at `now`: trialing for `trial_days` when the plan has a
    /// trial, active otherwise. The billing anchor is the trial's end (or `now`).
    ///
    /// # Errors
    /// [`SubscriptionError::Invalid`] when `seats` is outside 1..=[`MAX_SEATS`].
    pub fn start(plan: &Plan, seats: u32, now: OffsetDateTime) -> Result<Self, SubscriptionError> {
        let seats = check_seats(seats)?;
        let trial_ends_at = (plan.trial_days() > 0)
            .then(|| now.checked_add(Duration::days(i64::from(plan.trial_days()))))
            .flatten();
        Ok(Self {
            plan: plan.code().clone(),
            plan_version: plan.version(),
            interval: plan.interval(),
            status: if trial_ends_at.is_some() { Status::Trialing } else { Status::Active },
            seats,
            started_at: now,
            anchor: trial_ends_at.unwrap_or(now),
            trial_ends_at,
            cancel_at: None,
            past_due_since: None,
            ended_at: None,
            scheduled: None,
        })
    }

    /// Rebuilds a subscription from stored parts (adapters only; no transition is checked).
    pub fn from_parts(parts: SubscriptionParts) -> Self {
        let SubscriptionParts {
            plan,
            plan_version,
            interval,
            status,
            seats,
            started_at,
            anchor,
            trial_ends_at,
            cancel_at,
            past_due_since,
            ended_at,
            scheduled,
        } = parts;
        Self {
            plan,
            plan_version,
            interval,
            status,
            seats,
            started_at,
            anchor,
            trial_ends_at,
            cancel_at,
            past_due_since,
            ended_at,
            scheduled,
        }
    }

    /// The stored parts.
    pub fn to_parts(&self) -> SubscriptionParts {
        SubscriptionParts {
            plan: self.plan.clone(),
            plan_version: self.plan_version,
            interval: self.interval,
            status: self.status,
            seats: self.seats,
            started_at: self.started_at,
            anchor: self.anchor,
            trial_ends_at: self.trial_ends_at,
            cancel_at: self.cancel_at,
            past_due_since: self.past_due_since,
            ended_at: self.ended_at,
            scheduled: self.scheduled.clone(),
        }
    }

    /// The plan's code.
    pub fn plan(&self) -> &PlanCode {
        &self.plan
    }
    /// The plan version whose terms apply.
    pub fn plan_version(&self) -> u32 {
        self.plan_version
    }
    /// The stored status (see [`Subscription::status_at`] for the status at an instant).
    pub fn status(&self) -> Status {
        self.status
    }
    /// The billing interval periods are counted in (the plan's, since the last change of plan).
    pub fn interval(&self) -> Interval {
        self.interval
    }
    /// Seats bought.
    pub fn seats(&self) -> u32 {
        self.seats
    }
    /// When the subscription started.
    pub fn started_at(&self) -> OffsetDateTime {
        self.started_at
    }
    /// The instant billing periods are counted from.
    pub fn anchor(&self) -> OffsetDateTime {
        self.anchor
    }
    /// When the trial ends, if there is one.
    pub fn trial_ends_at(&self) -> Option<OffsetDateTime> {
        self.trial_ends_at
    }
    /// When a cancellation scheduled at period end takes effect.
    pub fn cancel_at(&self) -> Option<OffsetDateTime> {
        self.cancel_at
    }
    /// True when the subscription cancels at the end of its period.
    pub fn cancel_at_period_end(&self) -> bool {
        self.cancel_at.is_some()
    }
    /// Since when a payment has been due.
    pub fn past_due_since(&self) -> Option<OffsetDateTime> {
        self.past_due_since
    }
    /// When the subscription was cancelled or expired.
    pub fn ended_at(&self) -> Option<OffsetDateTime> {
        self.ended_at
    }

    /// The status at `now`. A cancellation scheduled at period end lets the paid term run out
    /// rather than cutting it short: once its instant has passed the subscription is expired, as
    /// a term that was not renewed, while a cancellation with immediate effect is cancelled.
    pub fn status_at(&self, now: OffsetDateTime) -> Status {
        match self.cancel_at {
            Some(at) if now >= at && !self.status.is_ended() => Status::Expired,
            _ => self.status,
        }
    }

    /// True when a trial is running out or ran out at `now` without being converted.
    pub fn trial_expired_at(&self, now: OffsetDateTime) -> bool {
        self.status == Status::Trialing && self.trial_ends_at.is_some_and(|end| now >= end)
    }

    /// The current period at `now`: the trial while trialing, then billing periods from the anchor.
    /// `None` only beyond the supported calendar (years past 9999).
    pub fn period_at(&self, now: OffsetDateTime) -> Option<Period> {
        match self.trial_ends_at {
            Some(end) if now < end && self.status == Status::Trialing => {
                Some(Period { start: self.started_at, end })
            }
            _ => billing_period(self.anchor, self.interval, now),
        }
    }

    fn refuse(&self, transition: Transition) -> SubscriptionError {
        SubscriptionError::IllegalTransition { from: self.status, transition }
    }

    /// Refuses `transition` from the status at `now` (a term cancelled at period end that ran
    /// out is expired, whatever its stored status says).
    fn refuse_at(&self, transition: Transition, now: OffsetDateTime) -> SubscriptionError {
        SubscriptionError::IllegalTransition { from: self.status_at(now), transition }
    }

    /// Trial converted (billing starts now if the trial had not ended; a trial that ran out is
    /// converted too), payment recovered, or suspension lifted. Judged on the status at `now`.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] from active, cancelled or expired, including a
    /// term cancelled at period end whose end has passed.
    pub fn activate(&mut self, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        match self.status_at(now) {
            Status::Trialing => {
                if self.trial_ends_at.is_some_and(|end| now < end) {
                    self.anchor = now;
                    self.trial_ends_at = Some(now);
                }
            }
            Status::PastDue | Status::Suspended => {}
            _ => return Err(self.refuse_at(Transition::Activate, now)),
        }
        self.status = Status::Active;
        self.past_due_since = None;
        Ok(())
    }

    /// A payment failed at `now`. Judged on the status at `now`.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] unless trialing or active at `now` (a term
    /// cancelled at period end whose end has passed is expired).
    pub fn mark_past_due(&mut self, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        match self.status_at(now) {
            Status::Trialing | Status::Active => {
                self.status = Status::PastDue;
                self.past_due_since = Some(now);
                Ok(())
            }
            _ => Err(self.refuse_at(Transition::MarkPastDue, now)),
        }
    }

    /// Suspends the subscription at `now`: nothing is allowed until it is activated again.
    /// Judged on the status at `now`.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] when already suspended or ended at `now`
    /// (including a term cancelled at period end whose end has passed).
    pub fn suspend(&mut self, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        match self.status_at(now) {
            Status::Trialing | Status::Active | Status::PastDue => {
                self.status = Status::Suspended;
                Ok(())
            }
            _ => Err(self.refuse_at(Transition::Suspend, now)),
        }
    }

    /// Cancels now, or at the end of the current period when `at_period_end`.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] when already cancelled or expired (including a
    /// scheduled cancellation that has taken effect).
    pub fn cancel(&mut self, at_period_end: bool, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        if self.status_at(now).is_ended() {
            return Err(SubscriptionError::IllegalTransition {
                from: self.status_at(now),
                transition: Transition::Cancel,
            });
        }
        let period_end = self.period_at(now).map(|p| p.end);
        match (at_period_end, period_end) {
            (true, Some(end)) if self.status != Status::Suspended => self.cancel_at = Some(end),
            _ => {
                self.status = Status::Cancelled;
                self.cancel_at = None;
                self.ended_at = Some(now);
            }
        }
        Ok(())
    }

    /// Withdraws a cancellation scheduled at period end, before it takes effect.
    ///
    /// # Errors
    /// [`SubscriptionError::NotScheduledForCancellation`] when none is scheduled;
    /// [`SubscriptionError::IllegalTransition`] once it has taken effect.
    pub fn resume(&mut self, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        if self.status_at(now).is_ended() {
            return Err(SubscriptionError::IllegalTransition {
                from: self.status_at(now),
                transition: Transition::Resume,
            });
        }
        if self.cancel_at.take().is_none() {
            return Err(SubscriptionError::NotScheduledForCancellation);
        }
        Ok(())
    }

    /// Ends a trial that was not converted, closes a cancelled subscription, or records that a
    /// term cancelled at period end ran out (ended at that instant, not at `now`).
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] unless trialing, cancelled, or past a scheduled
    /// cancellation.
    pub fn expire(&mut self, now: OffsetDateTime) -> Result<(), SubscriptionError> {
        let ended_at = match (self.status, self.cancel_at) {
            (status, Some(at)) if now >= at && !status.is_ended() => at,
            (Status::Trialing | Status::Cancelled, _) => now,
            _ => return Err(self.refuse(Transition::Expire)),
        };
        self.status = Status::Expired;
        self.cancel_at = None;
        self.ended_at.get_or_insert(ended_at);
        Ok(())
    }

    /// Moves to `plan` with `seats`, withdrawing any change scheduled for later. The billing
    /// anchor stays; limits change at once. A trial continues when moving between plans during it.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] when suspended or ended;
    /// [`SubscriptionError::Invalid`] for seats out of range.
    pub fn change_plan(
        &mut self,
        plan: &Plan,
        seats: u32,
        now: OffsetDateTime,
    ) -> Result<(), SubscriptionError> {
        let seats = check_seats(seats)?;
        match self.status_at(now) {
            Status::Trialing | Status::Active | Status::PastDue => {}
            _ => return Err(self.refuse(Transition::ChangePlan)),
        }
        if plan.interval() != self.interval {
            // A new interval re-anchors billing at the change.
            self.anchor = now;
            self.interval = plan.interval();
        }
        self.plan = plan.code().clone();
        self.plan_version = plan.version();
        self.seats = seats;
        // A change made now replaces one that was waiting for the period's end.
        self.scheduled = None;
        Ok(())
    }
}

#[cfg(test)]
mod tests;
