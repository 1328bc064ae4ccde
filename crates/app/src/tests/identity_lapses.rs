//! Seats given back: invitations that expired unaccepted and deleted users' memberships, once
//! each, with two instances sweeping at once and after a sweep that stopped half way.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use async_trait::async_trait;
use time::Duration;
use tollgate_domain::{
    AccountKey, Caller, IdempotencyKey, MemberRole, MetricName, PlanCode, TokenPurpose, WindowKey,
};
use tollgate_memory::{ManualClock, MemoryMailer, MemoryStore};
use tollgate_ports::{
    AuditFilter, LedgerEntry, MockPaymentGateway, Secret, StoreError, UsageCommand, UsageOutcome,
    UsageRepository,
};

use super::identity::{People, origin};
use super::identity_members::seats_plan;
use super::{memory_identity, operator, ports, quiet_notifier, settings};
use crate::{AppError, Invite, SeatSweep, Settings, Tollgate};

/// Usage on the memory store that yields before every release, so that two sweeps run at once
/// interleave there, and fails the next `failing` releases (a database away mid-sweep).
struct Interleaving {
    inner: Arc<MemoryStore>,
    failing: AtomicU32,
}

#[async_trait]
impl UsageRepository for Interleaving {
    async fn consume(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        self.inner.consume(command).await
    }

    async fn release(&self, command: &UsageCommand) -> Result<UsageOutcome, StoreError> {
        tokio::task::yield_now().await;
        if self.failing.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok() {
            return Err(StoreError::Unavailable("injected".into()));
        }
        self.inner.release(command).await
    }

    async fn current(
        &self,
        account: &AccountKey,
        counters: &[(MetricName, WindowKey)],
    ) -> Result<Vec<u64>, StoreError> {
        self.inner.current(account, counters).await
    }

    async fn recorded(
        &self,
        account: &AccountKey,
        key: &IdempotencyKey,
    ) -> Result<Option<LedgerEntry>, StoreError> {
        self.inner.recorded(account, key).await
    }

    async fn ledger(&self, account: &AccountKey, limit: u32) -> Result<Vec<LedgerEntry>, StoreError> {
        self.inner.ledger(account, limit).await
    }

    async fn totals(&self) -> Result<Vec<(MetricName, u64)>, StoreError> {
        self.inner.totals().await
    }
}

/// Two instances on one store whose accounts start on `crew` (3 seats); Ada owns `acme`.
struct Crew {
    p: People,
    second: Tollgate,
    usage: Arc<Interleaving>,
    ada: Caller,
}

async fn crew() -> Crew {
    let store = Arc::new(MemoryStore::new());
    let clock = Arc::new(ManualClock::new(time::macros::datetime!(2026-11-23 10:00 UTC)));
    let mailer = Arc::new(MemoryMailer::default());
    let usage = Arc::new(Interleaving { inner: store.clone(), failing: AtomicU32::new(0) });
    let mut ports = ports(&store, usage.clone(), clock.clone(), MockPaymentGateway::new(), quiet_notifier());
    ports.identity = memory_identity(&store, mailer.clone());
    let settings = Settings { default_plan: Some(PlanCode::parse("crew").unwrap()), ..settings() };
    let users = ports.identity.store.clone();
    let app = Tollgate::new(ports.clone(), settings.clone());
    let second = Tollgate::new(ports, settings);
    app.publish_plan(seats_plan("crew", "5", 3)).await.unwrap();
    let p = People { app, clock, mailer, users };
    p.register("ada@acme.test", "acme").await;
    let ada = p.caller(&p.login("ada@acme.test").await).await.unwrap();
    Crew { p, second, usage, ada }
}

fn acme() -> AccountKey {
    AccountKey::parse("acme").unwrap()
}

async fn seats(app: &Tollgate, account: &str) -> u64 {
    let account = AccountKey::parse(account).unwrap();
    app.usage(&account).await.unwrap().metrics[&MetricName::parse("seats").unwrap()].current
}

async fn invite(c: &Crew, address: &str) {
    let invite = Invite { email: address.to_owned(), role: MemberRole::Member };
    c.p.app.add_member(&c.ada, &acme(), invite, &origin("10.0.0.1")).await.unwrap();
}

async fn logged(app: &Tollgate, action: &str) -> usize {
    let filter = AuditFilter { action: Some(action.into()), ..AuditFilter::default() };
    app.audit_log(&operator(), &filter, None, 100).await.unwrap().len()
}

#[tokio::test]
async fn an_invitation_that_expires_unaccepted_gives_its_seat_back_once() {
    let c = crew().await;
    let app = &c.p.app;
    invite(&c, "carol@acme.test").await;
    invite(&c, "dan@acme.test").await;
    assert_eq!(seats(app, "acme").await, 3, "the owner and two pending invitations");
    let token = c.p.mailed("carol@acme.test", TokenPurpose::Invitation);

    assert_eq!(app.release_lapsed_seats(10).await.unwrap(), SeatSweep::default(), "nothing expired yet");
    c.p.clock.advance(Duration::days(7) + Duration::seconds(1));
    let swept = app.release_lapsed_seats(10).await.unwrap();
    assert_eq!((swept.invitations, swept.failed, swept.more), (2, 0, false));
    assert_eq!(seats(app, "acme").await, 1, "the seats go back down");
    assert_eq!(app.release_lapsed_seats(10).await.unwrap(), SeatSweep::default(), "and only once");
    assert_eq!(seats(app, "acme").await, 1);
    assert_eq!(logged(app, "invitation.expired").await, 2, "one event per invitation");

    let password = Secret::new("carol's own passphrase");
    let late = app.accept_invitation(&token, Some("Carol"), Some(&password), &origin("10.0.0.2")).await;
    assert_eq!(late.err(), Some(AppError::InvalidToken));
    assert!(app.members(&c.ada, &acme()).await.unwrap().iter().all(|m| m.status == "active"));
    invite(&c, "carol@acme.test").await;
    assert_eq!(seats(app, "acme").await, 2, "a new invitation holds a seat again");
}

#[tokio::test]
async fn two_instances_sweeping_at_once_give_each_seat_back_once() {
    let c = crew().await;
    invite(&c, "carol@acme.test").await;
    invite(&c, "dan@acme.test").await;
    c.p.clock.advance(Duration::days(8));
    // Both list the same invitations and interleave at every release.
    let (first, second) = tokio::join!(c.p.app.release_lapsed_seats(10), c.second.release_lapsed_seats(10));
    let (first, second) = (first.unwrap(), second.unwrap());
    assert_eq!(first.invitations + second.invitations, 2, "{first:?} {second:?}");
    assert_eq!(seats(&c.p.app, "acme").await, 1, "the owner's seat only, never fewer");
    assert_eq!(logged(&c.p.app, "invitation.expired").await, 2);
}

#[tokio::test]
async fn a_sweep_that_stopped_half_way_is_finished_by_the_next_without_releasing_twice() {
    let c = crew().await;
    invite(&c, "carol@acme.test").await;
    let token = c.p.mailed("carol@acme.test", TokenPurpose::Invitation);
    c.p.clock.advance(Duration::days(8));
    c.usage.failing.store(1, Ordering::SeqCst);
    let stopped = c.p.app.release_lapsed_seats(10).await.unwrap();
    assert_eq!((stopped.invitations, stopped.failed, stopped.more), (0, 1, false));
    assert_eq!(seats(&c.p.app, "acme").await, 2, "its seat still held");
    // Retired before its seat was touched: nobody accepts it now, on a lagging clock either.
    c.p.clock.set(time::macros::datetime!(2026-11-23 10:00 UTC));
    let password = Secret::new("carol's own passphrase");
    let late = c.p.app.accept_invitation(&token, Some("Carol"), Some(&password), &origin("10.0.0.2")).await;
    assert_eq!(late.err(), Some(AppError::InvalidToken));
    c.p.clock.advance(Duration::days(8));

    let finished = c.second.release_lapsed_seats(10).await.unwrap();
    assert_eq!((finished.invitations, finished.failed), (1, 0));
    assert_eq!(seats(&c.p.app, "acme").await, 1);
}

#[tokio::test]
async fn a_release_a_stopped_sweep_made_is_replayed_by_the_next_not_repeated() {
    let c = crew().await;
    invite(&c, "carol@acme.test").await;
    c.p.clock.advance(Duration::days(8));
    let lapsed = c.p.users.lapsed_invitations(c.p.app.now(), 10).await.unwrap();
    let key = IdempotencyKey::parse(format!("invitation:{}:expired", lapsed[0].fingerprint)).unwrap();
    // What a sweep that released the seat and stopped before recording it leaves behind.
    let (metric, one) = (MetricName::parse("seats").unwrap(), tollgate_domain::Quantity::new(1).unwrap());
    c.p.app.release(&acme(), &metric, one, Some(key)).await.unwrap();
    assert_eq!(seats(&c.p.app, "acme").await, 1);

    let swept = c.second.release_lapsed_seats(10).await.unwrap();
    assert_eq!((swept.invitations, swept.failed), (1, 0), "recorded now");
    assert_eq!(seats(&c.p.app, "acme").await, 1, "the release was replayed, not made again");
    assert!(c.p.users.lapsed_invitations(c.p.app.now(), 10).await.unwrap().is_empty());
}

#[tokio::test]
async fn deleting_a_user_ends_their_memberships_and_gives_their_seats_back_once() {
    let c = crew().await;
    let app = &c.p.app;
    c.p.register("bob@acme.test", "bobco").await;
    let bob = c.p.user("bob@acme.test").await;
    let add = Invite { email: "bob@acme.test".into(), role: MemberRole::Admin };
    app.add_member(&c.ada, &acme(), add, &origin("10.0.0.1")).await.unwrap();
    assert_eq!((seats(app, "acme").await, seats(app, "bobco").await), (2, 1));

    app.delete_user(&operator(), &origin("10.0.0.9"), &bob.id).await.unwrap();
    assert_eq!((seats(app, "acme").await, seats(app, "bobco").await), (1, 0), "both seats back");
    assert!(c.p.users.memberships(&bob.id).await.unwrap().is_empty(), "even bobco's last owner's");
    assert_eq!(logged(app, "member.ended").await, 2);
    app.delete_user(&operator(), &origin("10.0.0.9"), &bob.id).await.unwrap();
    assert_eq!(c.second.release_lapsed_seats(10).await.unwrap(), SeatSweep::default());
    assert_eq!((seats(app, "acme").await, seats(app, "bobco").await), (1, 0), "once");
    assert_eq!(logged(app, "member.ended").await, 2);
}

#[tokio::test]
async fn a_deletion_stopped_before_its_seats_are_back_is_finished_once_by_the_sweep() {
    let c = crew().await;
    let app = &c.p.app;
    c.p.register("bob@acme.test", "bobco").await;
    let bob = c.p.user("bob@acme.test").await;
    let add = Invite { email: "bob@acme.test".into(), role: MemberRole::Member };
    app.add_member(&c.ada, &acme(), add, &origin("10.0.0.1")).await.unwrap();
    c.usage.failing.store(1, Ordering::SeqCst);
    let stopped = app.delete_user(&operator(), &origin("10.0.0.9"), &bob.id).await;
    assert!(matches!(stopped, Err(AppError::Unavailable(_))), "{stopped:?}");
    assert!(!c.p.users.user(&bob.id).await.unwrap().unwrap().active(), "the deletion itself stands");
    // Nobody removes the deleted member meanwhile, which would free the seat a second time.
    let removed = app.remove_member(&c.ada, &acme(), &bob.id, &origin("10.0.0.1")).await;
    assert_eq!(removed.err(), Some(AppError::NotFound("member")));

    let (first, second) = tokio::join!(app.release_lapsed_seats(10), c.second.release_lapsed_seats(10));
    let ended = first.unwrap().memberships + second.unwrap().memberships;
    assert_eq!(ended, 2, "acme's and bobco's, each ended by one of the two");
    assert_eq!((seats(app, "acme").await, seats(app, "bobco").await), (1, 0));
    assert_eq!(logged(app, "member.ended").await, 2);
}
