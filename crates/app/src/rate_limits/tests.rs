//! The limiters on a manual clock.

use std::sync::Arc;

use time::macros::datetime;
use tollgate_domain::{Role, Scope, SessionId, UserId};
use tollgate_memory::ManualClock;

use super::*;

fn clock() -> Arc<ManualClock> {
    Arc::new(ManualClock::new(datetime!(2026-11-23 10:00 UTC)))
}

fn acme() -> AccountKey {
    AccountKey::parse("acme").unwrap()
}

fn key(id: &str) -> ApiKeyId {
    ApiKeyId::parse(id).unwrap()
}

/// 60 a minute (one a second) with a burst of 3.
const QUOTA: RateLimit = RateLimit { per_minute: 60, burst: 3 };

#[test]
fn a_burst_is_let_through_then_refused_with_the_wait_until_the_next_request() {
    let clock = clock();
    let limits = RateLimits::new(clock.clone(), 0);
    let statuses: Vec<_> = (0..3).map(|_| limits.account(&acme(), QUOTA)).collect();
    let remaining: Vec<_> = statuses.iter().map(|s| (s.allowed, s.remaining, s.reset)).collect();
    assert_eq!(remaining, [(true, 2, 1), (true, 1, 2), (true, 0, 3)]);
    assert!(statuses.iter().all(|s| s.limit == 60 && s.retry_after == 0));

    let refused = limits.account(&acme(), QUOTA);
    assert_eq!(
        refused,
        RateStatus { allowed: false, limit: 60, remaining: 0, reset: 3, retry_after: 1 },
        "one request back in a second, the whole burst in three"
    );
    clock.advance(time::Duration::milliseconds(400));
    let refused = limits.account(&acme(), QUOTA);
    assert_eq!((refused.allowed, refused.retry_after, refused.reset), (false, 1, 3), "0.6 s rounds up");
    clock.advance(time::Duration::milliseconds(600));
    assert!(limits.account(&acme(), QUOTA).allowed, "a cell came back");
    assert!(!limits.account(&acme(), QUOTA).allowed);
}

#[test]
fn an_idle_caller_gets_its_whole_burst_back() {
    let clock = clock();
    let limits = RateLimits::new(clock.clone(), 0);
    for _ in 0..3 {
        limits.account(&acme(), QUOTA);
    }
    assert!(!limits.account(&acme(), QUOTA).allowed);
    clock.advance(time::Duration::seconds(3));
    let back = limits.account(&acme(), QUOTA);
    assert_eq!((back.allowed, back.remaining), (true, 2));
}

#[test]
fn accounts_and_quotas_are_counted_apart() {
    let limits = RateLimits::new(clock(), 0);
    let other = AccountKey::parse("globex").unwrap();
    for _ in 0..3 {
        limits.account(&acme(), QUOTA);
    }
    assert!(!limits.account(&acme(), QUOTA).allowed);
    assert_eq!(limits.account(&other, QUOTA).remaining, 2, "another account has its own budget");
    let bigger = RateLimit { per_minute: 600, burst: 10 };
    let after_upgrade = limits.account(&acme(), bigger);
    assert_eq!((after_upgrade.allowed, after_upgrade.limit, after_upgrade.remaining), (true, 600, 9));
}

#[test]
fn platform_keys_are_not_counted_while_the_setting_is_zero() {
    let limits = RateLimits::new(clock(), 0);
    assert!(limits.platform.is_none(), "no limiter, so no lock and no lookup");
    assert_eq!(limits.platform_key(&key("key_a")), None);
}

#[test]
fn platform_keys_get_the_setting_with_a_tenth_of_it_as_burst() {
    assert_eq!((platform_burst(600), platform_burst(9), platform_burst(1)), (60, 1, 1));
    let clock = clock();
    let limits = RateLimits::new(clock.clone(), 20);
    let statuses: Vec<_> = (0..3).map(|_| limits.platform_key(&key("key_a")).unwrap()).collect();
    assert_eq!(
        statuses.iter().map(|s| (s.allowed, s.limit, s.remaining)).collect::<Vec<_>>(),
        [(true, 20, 1), (true, 20, 0), (false, 20, 0)]
    );
    assert_eq!(statuses[2].retry_after, 3, "20 a minute: one every 3 s");
    assert!(limits.platform_key(&key("key_b")).unwrap().allowed, "each key has its own budget");
    clock.advance(time::Duration::seconds(3));
    assert!(limits.platform_key(&key("key_a")).unwrap().allowed);
}

#[test]
fn a_clock_set_back_delays_refills_without_failing() {
    let clock = clock();
    let limits = RateLimits::new(clock.clone(), 0);
    for _ in 0..3 {
        limits.account(&acme(), QUOTA);
    }
    clock.set(datetime!(2026-11-23 09:00 UTC));
    let refused = limits.account(&acme(), QUOTA);
    assert!(!refused.allowed && refused.retry_after >= 1);
}

#[test]
fn idle_keys_are_dropped_once_a_limiter_grows_past_its_bound() {
    let clock = clock();
    let limiter = Limiter::new(
        RateLimit { per_minute: 60, burst: 1 },
        PortClock { origin: clock.now(), clock: clock.clone() },
    );
    for i in 0..=MAX_KEYS {
        limiter.check(&i);
    }
    assert_eq!(limiter.governor.len(), MAX_KEYS + 1);
    clock.advance(time::Duration::seconds(2));
    limiter.checks.store(0, Ordering::Relaxed);
    assert!(!limiter.overfull(), "every key is idle again, so all go");
    assert_eq!(limiter.governor.len(), 0);
}

#[test]
fn only_users_and_account_keys_spend_an_account_budget() {
    let user = |platform_admin| Caller::User {
        user: UserId::parse("usr_1").unwrap(),
        session: SessionId::parse("ses_1").unwrap(),
        platform_admin,
        impersonator: None,
    };
    let account_key = Caller::AccountKey { id: key("key_k"), account: acme(), scopes: vec![Scope::Enforce] };
    let platform = Caller::PlatformKey { id: key("key_p"), role: Role::Service };

    assert!(matches!(counted_account(&user(false), Some("acme")), Some(Counted::Path("acme"))));
    assert!(counted_account(&user(false), None).is_none(), "a route of no account, such as /v1/me");
    assert!(counted_account(&user(true), Some("acme")).is_none(), "the operator");
    assert!(
        matches!(counted_account(&account_key, Some("globex")), Some(Counted::Key(a)) if *a == acme()),
        "an account key spends its own account's budget"
    );
    assert!(counted_account(&platform, Some("acme")).is_none());
}
