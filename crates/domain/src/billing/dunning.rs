//! The dunning schedule: payment retries, reminders and suspension, counted in whole days from
//! an unpaid invoice's due date. A pure function of the due date, what was already done, and now.

use time::{Duration, OffsetDateTime};

/// When to retry a payment, remind the account and suspend it. "Day N" is the exact instant
/// `due_at + N × 24 h`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DunningPolicy {
    /// The days a payment reminder is sent on (`[3, 7, 15]`).
    pub reminder_days: Vec<u32>,
    /// The day the account is suspended on (`30`).
    pub suspend_after_days: u32,
    /// How many automatic retries follow the charge at issue (`3`).
    pub retries: u32,
    /// The day of each retry, in order (`[1, 3, 7]`: all within a week).
    pub retry_days: Vec<u32>,
    /// How many days before a trial ends its reminder is sent (`3`).
    pub trial_reminder_days: u32,
}

impl Default for DunningPolicy {
    fn default() -> Self {
        Self {
            reminder_days: vec![3, 7, 15],
            suspend_after_days: 30,
            retries: 3,
            retry_days: vec![1, 3, 7],
            trial_reminder_days: 3,
        }
    }
}

/// Something dunning asks the application to do for an unpaid invoice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DunningAction {
    /// Send the payment reminder of day `day`.
    Remind {
        /// The reminder's day, counted from the due date.
        day: u32,
    },
    /// Suspend the account.
    Suspend,
}

fn day(due_at: OffsetDateTime, days: u32) -> Option<OffsetDateTime> {
    due_at.checked_add(Duration::days(i64::from(days)))
}

impl DunningPolicy {
    /// When the next automatic attempt to charge is due after `attempts` attempts (attempt 1 is
    /// the charge at issue, so 0 attempts means that charge, due at `due_at`): `due_at +
    /// retry_days[attempts - 1]` days, `None` once `retries` retries have been made (or
    /// `retry_days` names no day for the next one).
    pub fn next_retry(&self, due_at: OffsetDateTime, attempts: u32) -> Option<OffsetDateTime> {
        let Some(retries_made) = attempts.checked_sub(1) else {
            return Some(due_at);
        };
        if retries_made >= self.retries {
            return None;
        }
        let days = *self.retry_days.get(usize::try_from(retries_made).ok()?)?;
        day(due_at, days)
    }

    /// What is due at `now` for an unpaid invoice due at `due_at`, given the last reminder day
    /// already sent (`reminders_sent`, 0 for none) and whether the account is already suspended.
    ///
    /// At most one reminder: the latest day reached that is after `reminders_sent`, so days a
    /// late run skipped over are not sent in a burst, and none is sent twice. Then
    /// [`DunningAction::Suspend`] once day `suspend_after_days` is reached, unless suspended.
    pub fn due_actions(
        &self,
        due_at: OffsetDateTime,
        reminders_sent: u32,
        suspended: bool,
        now: OffsetDateTime,
    ) -> Vec<DunningAction> {
        let reached = |days: u32| day(due_at, days).is_some_and(|at| at <= now);
        let reminder = self.reminder_days.iter().copied().filter(|&d| d > reminders_sent && reached(d)).max();
        let mut actions: Vec<DunningAction> =
            reminder.map(|day| DunningAction::Remind { day }).into_iter().collect();
        if !suspended && reached(self.suspend_after_days) {
            actions.push(DunningAction::Suspend);
        }
        actions
    }

    /// The next instant [`DunningPolicy::due_actions`] will have something to do, given the same
    /// state, for a scheduler to wake up at; `None` when nothing is left.
    pub fn next_action_at(
        &self,
        due_at: OffsetDateTime,
        reminders_sent: u32,
        suspended: bool,
    ) -> Option<OffsetDateTime> {
        let reminder = self.reminder_days.iter().copied().filter(|&d| d > reminders_sent).min();
        let suspension = (!suspended).then_some(self.suspend_after_days);
        reminder.into_iter().chain(suspension).filter_map(|days| day(due_at, days)).min()
    }

    /// When the reminder that a trial ends is due: `trial_reminder_days` before `trial_ends_at`,
    /// or `None` when that is not after `started_at` (a trial too short for a reminder).
    pub fn trial_reminder_at(
        &self,
        started_at: OffsetDateTime,
        trial_ends_at: OffsetDateTime,
    ) -> Option<OffsetDateTime> {
        let at = trial_ends_at.checked_sub(Duration::days(i64::from(self.trial_reminder_days)))?;
        (at > started_at).then_some(at)
    }
}

#[cfg(test)]
mod tests;
