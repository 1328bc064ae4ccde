//! Changes decided now that take effect later: a downgrade at the end of the period already
//! paid for. The change is kept on the subscription and applied the first time the subscription
//! is looked at on or after its instant ([`Subscription::settle`]), so nothing needs to run at
//! that instant for the limits to follow it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Subscription, SubscriptionError, Transition, check_seats};
use crate::ids::PlanCode;
use crate::period::Interval;
use crate::plan::Plan;
use crate::subscription::Status;

/// A change of plan or seats waiting for its instant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ScheduledChange {
    /// The plan it moves to.
    pub plan: PlanCode,
    /// That plan's version.
    pub plan_version: u32,
    /// The plan's billing interval.
    pub interval: Interval,
    /// The seats.
    pub seats: u32,
    /// When it takes effect.
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl Subscription {
    /// The change waiting for its instant, if any.
    pub fn scheduled_change(&self) -> Option<&ScheduledChange> {
        self.scheduled.as_ref()
    }

    /// Schedules a move to `plan` with `seats` at `at` (a downgrade at period end), replacing any
    /// change scheduled before. Nothing changes until then. Judged on the stored status.
    ///
    /// # Errors
    /// [`SubscriptionError::IllegalTransition`] when suspended or ended;
    /// [`SubscriptionError::Invalid`] for seats out of range.
    pub fn schedule_change(
        &mut self,
        plan: &Plan,
        seats: u32,
        at: OffsetDateTime,
    ) -> Result<(), SubscriptionError> {
        let seats = check_seats(seats)?;
        match self.status {
            Status::Trialing | Status::Active | Status::PastDue => {}
            from => {
                return Err(SubscriptionError::IllegalTransition {
                    from,
                    transition: Transition::ChangePlan,
                });
            }
        }
        self.scheduled = Some(ScheduledChange {
            plan: plan.code().clone(),
            plan_version: plan.version(),
            interval: plan.interval(),
            seats,
            at,
        });
        Ok(())
    }

    /// Applies the scheduled change when its instant has come at `now`: the plan, version and
    /// seats it names, a new interval anchored at its instant. Returns whether it applied.
    pub fn settle(&mut self, now: OffsetDateTime) -> bool {
        let Some(change) = self.scheduled.take_if(|change| change.at <= now) else { return false };
        if change.interval != self.interval {
            self.anchor = change.at;
            self.interval = change.interval;
        }
        self.plan = change.plan;
        self.plan_version = change.plan_version;
        self.seats = change.seats;
        true
    }

    /// Whether a scheduled change is due at `now` (what [`Subscription::settle`] would apply).
    pub fn has_due_change(&self, now: OffsetDateTime) -> bool {
        self.scheduled.as_ref().is_some_and(|change| change.at <= now)
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::plan::tests::plan;

    #[test]
    fn a_downgrade_scheduled_at_period_end_applies_from_that_instant() {
        let pro = plan("pro", "45", &[], &[]);
        let free = plan("free", "0", &[], &[]);
        let start = datetime!(2026-01-31 0:00 UTC);
        let mut sub = Subscription::start(&pro, 3, start).unwrap();
        let end = sub.period_at(datetime!(2026-02-10 0:00 UTC)).unwrap().end;
        sub.schedule_change(&free, 1, end).unwrap();
        assert_eq!(sub.scheduled_change().map(|c| c.at), Some(datetime!(2026-02-28 0:00 UTC)));

        let mut before = sub.clone();
        assert!(!before.settle(datetime!(2026-02-27 23:59:59 UTC)));
        assert_eq!((before.plan().as_str(), before.seats()), ("pro", 3));

        let mut after = sub.clone();
        assert!(after.has_due_change(end));
        assert!(after.settle(end));
        assert_eq!((after.plan().as_str(), after.seats(), after.anchor()), ("free", 1, start));
        assert_eq!(after.scheduled_change(), None);
        assert!(!after.settle(end), "applied once");
    }

    #[test]
    fn a_change_made_now_withdraws_the_scheduled_one_and_ended_subscriptions_refuse() {
        let pro = plan("pro", "45", &[], &[]);
        let free = plan("free", "0", &[], &[]);
        let now = datetime!(2026-03-01 0:00 UTC);
        let mut sub = Subscription::start(&pro, 1, now).unwrap();
        sub.schedule_change(&free, 1, datetime!(2026-04-01 0:00 UTC)).unwrap();
        sub.change_plan(&pro, 2, now).unwrap();
        assert_eq!(sub.scheduled_change(), None);
        assert!(sub.schedule_change(&free, 0, datetime!(2026-04-01 0:00 UTC)).is_err());
        sub.cancel(false, now).unwrap();
        assert!(matches!(
            sub.schedule_change(&free, 1, datetime!(2026-04-01 0:00 UTC)),
            Err(SubscriptionError::IllegalTransition { .. })
        ));
    }
}
