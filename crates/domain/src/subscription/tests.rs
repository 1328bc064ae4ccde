//! Subscription lifecycles: starts, trials, transitions, periods.

use time::macros::datetime;

use super::*;
use crate::plan::tests::plan;

fn trial_plan(days: u32) -> Plan {
    let mut terms = plan("pro", "45", &[], &[]).terms().clone();
    terms.trial_days = days;
    Plan::new(terms, 3).unwrap()
}

#[test]
fn a_plan_with_a_trial_starts_trialing_and_bills_from_the_trial_end() {
    let now = datetime!(2026-01-20 9:00 UTC);
    let sub = Subscription::start(&trial_plan(14), 1, now).unwrap();
    assert_eq!(sub.status(), Status::Trialing);
    assert_eq!(sub.plan_version(), 3);
    assert_eq!(sub.trial_ends_at(), Some(datetime!(2026-02-03 9:00 UTC)));
    assert_eq!(sub.period_at(now).unwrap().end, datetime!(2026-02-03 9:00 UTC));
    assert!(!sub.trial_expired_at(now));
    assert!(sub.trial_expired_at(datetime!(2026-02-03 9:00 UTC)));
    let p = sub.period_at(datetime!(2026-02-10 0:00 UTC)).unwrap();
    assert_eq!(p.start, datetime!(2026-02-03 9:00 UTC));
    assert_eq!(p.end, datetime!(2026-03-03 9:00 UTC));
}

#[test]
fn cancel_at_period_end_takes_effect_at_the_boundary_and_can_be_resumed_before() {
    let now = datetime!(2026-01-31 0:00 UTC);
    let mut sub = Subscription::start(&trial_plan(0), 1, now).unwrap();
    sub.cancel(true, datetime!(2026-02-10 0:00 UTC)).unwrap();
    assert_eq!(sub.cancel_at(), Some(datetime!(2026-02-28 0:00 UTC)));
    assert_eq!(sub.status_at(datetime!(2026-02-27 23:59 UTC)), Status::Active);
    assert_eq!(sub.status_at(datetime!(2026-02-28 0:00 UTC)), Status::Expired);
    let mut resumed = sub.clone();
    resumed.resume(datetime!(2026-02-20 0:00 UTC)).unwrap();
    assert!(!resumed.cancel_at_period_end());
    assert!(matches!(
        sub.resume(datetime!(2026-03-01 0:00 UTC)),
        Err(SubscriptionError::IllegalTransition { .. })
    ));
    assert_eq!(
        resumed.resume(datetime!(2026-02-20 0:00 UTC)),
        Err(SubscriptionError::NotScheduledForCancellation)
    );
}

#[test]
fn a_term_cancelled_at_period_end_expires_while_an_immediate_cancellation_is_cancelled() {
    let now = datetime!(2026-01-31 0:00 UTC);
    let mut scheduled = Subscription::start(&trial_plan(0), 1, now).unwrap();
    scheduled.cancel(true, now).unwrap();
    let end = datetime!(2026-02-28 0:00 UTC);
    assert_eq!(scheduled.status_at(end - Duration::seconds(1)), Status::Active);
    assert_eq!(scheduled.status_at(end + Duration::days(10)), Status::Expired);
    assert!(scheduled.cancel(false, end).is_err(), "an ended term cannot be cancelled again");
    assert!(scheduled.change_plan(&trial_plan(0), 1, end).is_err());
    // Recording the expiry later keeps the instant the term ended.
    scheduled.expire(end + Duration::days(10)).unwrap();
    assert_eq!((scheduled.status(), scheduled.ended_at()), (Status::Expired, Some(end)));
    assert!(!scheduled.cancel_at_period_end());

    let mut immediate = Subscription::start(&trial_plan(0), 1, now).unwrap();
    immediate.cancel(false, now).unwrap();
    assert_eq!(immediate.status_at(end + Duration::days(10)), Status::Cancelled);
    // Trialing with a cancellation at the trial's end: the trial runs out, expired.
    let mut trial = Subscription::start(&trial_plan(14), 1, now).unwrap();
    trial.cancel(true, now).unwrap();
    assert_eq!(trial.status_at(now + Duration::days(14)), Status::Expired);
    assert!(Subscription::start(&trial_plan(0), 1, now).unwrap().expire(now).is_err());
}

#[test]
fn illegal_transitions_are_typed_errors() {
    let now = datetime!(2026-05-01 0:00 UTC);
    let mut sub = Subscription::start(&trial_plan(0), 2, now).unwrap();
    assert!(matches!(
        sub.activate(now),
        Err(SubscriptionError::IllegalTransition { from: Status::Active, .. })
    ));
    sub.mark_past_due(now).unwrap();
    assert_eq!(sub.past_due_since(), Some(now));
    sub.suspend(now).unwrap();
    assert!(sub.change_plan(&trial_plan(0), 1, now).is_err());
    sub.activate(now).unwrap();
    sub.cancel(false, now).unwrap();
    assert_eq!(sub.status(), Status::Cancelled);
    assert!(sub.cancel(false, now).is_err());
    assert!(sub.suspend(now).is_err());
    sub.expire(now).unwrap();
    assert_eq!(sub.status(), Status::Expired);
    assert!(sub.activate(now).is_err());
}

#[test]
fn operator_transitions_judge_the_status_at_now_not_the_stored_one() {
    let start = datetime!(2026-01-31 0:00 UTC);
    let mut sub = Subscription::start(&trial_plan(0), 1, start).unwrap();
    sub.cancel(true, start).unwrap();
    let end = datetime!(2026-02-28 0:00 UTC);
    // Stored status active, but the term ran out at `end`: expired, nothing to act on.
    let expired =
        SubscriptionError::IllegalTransition { from: Status::Expired, transition: Transition::Activate };
    assert_eq!(sub.clone().activate(end), Err(expired));
    assert!(matches!(
        sub.clone().suspend(end),
        Err(SubscriptionError::IllegalTransition { from: Status::Expired, transition: Transition::Suspend })
    ));
    assert!(matches!(
        sub.clone().mark_past_due(end + Duration::days(1)),
        Err(SubscriptionError::IllegalTransition { from: Status::Expired, .. })
    ));
    // Before the end, the same subscription is still active and can be suspended.
    let mut before = sub.clone();
    before.suspend(end - Duration::seconds(1)).unwrap();
    assert_eq!(before.status(), Status::Suspended);
    assert!(sub.clone().mark_past_due(end - Duration::seconds(1)).is_ok());
}

#[test]
fn seats_are_bounded() {
    let now = datetime!(2026-05-01 0:00 UTC);
    assert!(matches!(Subscription::start(&trial_plan(0), 0, now), Err(SubscriptionError::Invalid(_))));
    assert!(Subscription::start(&trial_plan(0), MAX_SEATS + 1, now).is_err());
}

#[test]
fn converting_a_trial_early_starts_billing_now() {
    let now = datetime!(2026-01-20 9:00 UTC);
    let mut sub = Subscription::start(&trial_plan(14), 1, now).unwrap();
    let converted = datetime!(2026-01-25 0:00 UTC);
    sub.activate(converted).unwrap();
    assert_eq!(sub.status(), Status::Active);
    assert_eq!(sub.period_at(converted).unwrap().start, converted);
}
