//! The dunning schedule, run hour by hour as a scheduler would, and jumped over.

use time::macros::datetime;

use super::*;

const DUE: OffsetDateTime = datetime!(2026-03-31 14:30 UTC);

fn day(n: i64) -> OffsetDateTime {
    DUE + Duration::days(n)
}

/// Runs the policy every `step` from the due date to day 40, doing what it asks; answers what was
/// done and when.
fn run(policy: &DunningPolicy, step: Duration) -> Vec<(OffsetDateTime, DunningAction)> {
    let (mut reminders_sent, mut suspended, mut done) = (0, false, Vec::new());
    let mut now = DUE;
    while now <= day(40) {
        for action in policy.due_actions(DUE, reminders_sent, suspended, now) {
            match action {
                DunningAction::Remind { day } => reminders_sent = day,
                DunningAction::Suspend => suspended = true,
            }
            done.push((now, action));
        }
        now += step;
    }
    done
}

#[test]
fn reminders_go_out_on_days_3_7_and_15_once_each_and_suspension_on_day_30() {
    let done = run(&DunningPolicy::default(), Duration::minutes(30));
    assert_eq!(
        done,
        [
            (day(3), DunningAction::Remind { day: 3 }),
            (day(7), DunningAction::Remind { day: 7 }),
            (day(15), DunningAction::Remind { day: 15 }),
            (day(30), DunningAction::Suspend),
        ]
    );
}

#[test]
fn nothing_is_due_a_second_before_its_day() {
    let policy = DunningPolicy::default();
    assert!(policy.due_actions(DUE, 0, false, day(3) - Duration::SECOND).is_empty());
    assert_eq!(policy.due_actions(DUE, 0, false, day(3)), [DunningAction::Remind { day: 3 }]);
    assert!(policy.due_actions(DUE, 15, false, day(30) - Duration::SECOND).is_empty());
    assert_eq!(policy.due_actions(DUE, 15, false, day(30)), [DunningAction::Suspend]);
    assert!(policy.due_actions(DUE, 15, true, day(60)).is_empty(), "suspended once");
}

#[test]
fn a_late_run_sends_the_latest_reminder_only_and_never_one_twice() {
    let policy = DunningPolicy::default();
    assert_eq!(policy.due_actions(DUE, 0, false, day(10)), [DunningAction::Remind { day: 7 }]);
    assert_eq!(policy.due_actions(DUE, 3, false, day(20)), [DunningAction::Remind { day: 15 }]);
    assert_eq!(
        policy.due_actions(DUE, 0, false, day(31)),
        [DunningAction::Remind { day: 15 }, DunningAction::Suspend]
    );
    assert!(policy.due_actions(DUE, 7, false, day(14)).is_empty());
    // Stepping a day at a time after a jump still does each thing once.
    let done = run(&policy, Duration::days(4));
    let reminders: Vec<_> = done.iter().map(|(_, action)| *action).collect();
    assert_eq!(
        reminders,
        [
            DunningAction::Remind { day: 3 },
            DunningAction::Remind { day: 7 },
            DunningAction::Remind { day: 15 },
            DunningAction::Suspend
        ]
    );
}

#[test]
fn the_next_action_is_the_next_instant_something_becomes_due() {
    let policy = DunningPolicy::default();
    assert_eq!(policy.next_action_at(DUE, 0, false), Some(day(3)));
    assert_eq!(policy.next_action_at(DUE, 3, false), Some(day(7)));
    assert_eq!(policy.next_action_at(DUE, 15, false), Some(day(30)));
    assert_eq!(policy.next_action_at(DUE, 15, true), None);
    assert_eq!(policy.next_action_at(DUE, 0, true), Some(day(3)));
    // Waking at each next instant finds exactly what the half-hourly run found.
    let (mut reminders_sent, mut suspended, mut woken) = (0, false, Vec::new());
    while let Some(at) = policy.next_action_at(DUE, reminders_sent, suspended) {
        for action in policy.due_actions(DUE, reminders_sent, suspended, at) {
            match action {
                DunningAction::Remind { day } => reminders_sent = day,
                DunningAction::Suspend => suspended = true,
            }
            woken.push((at, action));
        }
    }
    assert_eq!(woken, run(&policy, Duration::minutes(30)));
}

#[test]
fn retries_follow_the_charge_at_issue_on_days_1_3_and_7() {
    let policy = DunningPolicy::default();
    assert_eq!(policy.next_retry(DUE, 0), Some(DUE), "nothing tried yet: the charge at issue");
    assert_eq!(policy.next_retry(DUE, 1), Some(day(1)));
    assert_eq!(policy.next_retry(DUE, 2), Some(day(3)));
    assert_eq!(policy.next_retry(DUE, 3), Some(day(7)));
    assert_eq!(policy.next_retry(DUE, 4), None);
    assert_eq!(policy.next_retry(DUE, u32::MAX), None);
    let short = DunningPolicy { retry_days: vec![2], ..DunningPolicy::default() };
    assert_eq!((short.next_retry(DUE, 1), short.next_retry(DUE, 2)), (Some(day(2)), None));
    let none = DunningPolicy { retries: 0, ..DunningPolicy::default() };
    assert_eq!(none.next_retry(DUE, 1), None);
}

#[test]
fn the_trial_reminder_is_three_days_before_the_end_when_the_trial_is_longer() {
    let policy = DunningPolicy::default();
    let started = datetime!(2026-05-01 9:00 UTC);
    let ends = datetime!(2026-05-15 9:00 UTC);
    assert_eq!(policy.trial_reminder_at(started, ends), Some(datetime!(2026-05-12 9:00 UTC)));
    assert_eq!(policy.trial_reminder_at(started, started + Duration::days(3)), None);
    assert_eq!(
        policy.trial_reminder_at(started, started + Duration::days(3) + Duration::SECOND),
        Some(started + Duration::SECOND)
    );
}

#[test]
fn far_dates_answer_none_rather_than_overflow() {
    let policy = DunningPolicy { reminder_days: vec![u32::MAX], ..DunningPolicy::default() };
    let end_of_time = datetime!(9999-12-31 0:00 UTC);
    assert!(policy.due_actions(end_of_time, 0, true, end_of_time + Duration::hours(23)).is_empty());
    assert_eq!(policy.next_action_at(end_of_time, 0, true), None);
    assert_eq!(policy.next_retry(end_of_time, 3), None);
}
