//! The identity store under concurrent callers: single-use tokens, refresh rotation, the
//! last-owner rule, e-mail uniqueness and user compare-and-set each hold when many tasks race.

use time::Duration;
use tollgate_domain::{MemberRole, Name, TokenPurpose, User};

use super::identity::{event, member, session, token, user, user_id};
use super::*;
use crate::{AuditFilter, Change, Rotation};

const RACERS: usize = 16;

/// Runs `RACERS` copies of `task` at once and returns their results.
async fn race<T, F, Fut>(task: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let tasks: Vec<_> = (0..RACERS).map(|i| tokio::spawn(task(i))).collect();
    let mut results = Vec::with_capacity(RACERS);
    for task in tasks {
        results.push(task.await.expect("racer"));
    }
    results
}

/// Of many concurrent uses of one token, exactly one spends it.
pub async fn a_token_spent_concurrently_is_spent_once(b: Backend) {
    b.identity
        .apply(&[Change::CreateToken(token("fp", TokenPurpose::PasswordReset, None))])
        .await
        .expect("token");
    let results = race(|i| {
        let identity = b.identity.clone();
        async move {
            let at = T0 + Duration::seconds(i64::try_from(i).expect("small"));
            identity
                .apply(&[Change::SpendToken {
                    fingerprint: "fp".into(),
                    purpose: TokenPurpose::PasswordReset,
                    at,
                }])
                .await
        }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::NotFound("token"))), "{results:?}");
    assert!(b.identity.token("fp").await.expect("token").expect("kept").used_at.is_some());
}

/// Of many concurrent presentations of one refresh token, exactly one rotates; the others are
/// reuses, and the session ends.
pub async fn a_refresh_token_rotated_concurrently_rotates_once(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("user");
    let started = session("one", "ann", T0);
    b.identity
        .apply(&[Change::CreateSession { session: started.clone(), refresh: "r-0".into() }])
        .await
        .expect("session");
    let at = T0 + Duration::minutes(1);
    let results = race(|i| {
        let identity = b.identity.clone();
        async move { identity.rotate("r-0", &format!("r-{}", i + 1), at).await.expect("rotate") }
    })
    .await;
    let rotated = results.iter().filter(|r| matches!(r, Rotation::Rotated(_))).count();
    let reused = results.iter().filter(|r| matches!(r, Rotation::Reused(_))).count();
    assert_eq!((rotated, reused), (1, RACERS - 1), "{results:?}");
    let ended = b.identity.session(&started.id).await.expect("session").expect("kept");
    assert_eq!(ended.revoked_at, Some(at));
    assert!(b.identity.sessions(&user_id("ann"), at).await.expect("sessions").is_empty());
}

/// Two owners removing each other at once: one removal wins, an owner always remains.
pub async fn two_owners_removing_each_other_concurrently_leave_one_owner(b: Backend) {
    let accounts: Vec<AccountKey> = (0..RACERS / 2).map(|a| key(&format!("acct{a}"))).collect();
    let mut setup = vec![
        Change::CreateUser(user("ann", "ann@acme.test")),
        Change::CreateUser(user("bob", "bob@acme.test")),
    ];
    for k in &accounts {
        let plan = Account { key: k.clone(), name: k.to_string(), email: None, created_at: T0 };
        setup.extend([
            Change::CreateAccount(plan, None),
            member(k, "ann", MemberRole::Owner),
            member(k, "bob", MemberRole::Owner),
        ]);
    }
    b.identity.apply(&setup).await.expect("setup");
    let results = race(|i| {
        let identity = b.identity.clone();
        let account = accounts[i / 2].clone();
        let other = if i % 2 == 0 { "bob" } else { "ann" };
        async move { identity.apply(&[Change::RemoveMember { account, user: user_id(other) }]).await }
    })
    .await;
    for (a, k) in accounts.iter().enumerate() {
        let pair = [&results[2 * a], &results[2 * a + 1]];
        assert_eq!(pair.iter().filter(|r| r.is_ok()).count(), 1, "{k}: {pair:?}");
        assert!(pair.contains(&&Err(StoreError::Conflict("last_owner"))), "{k}: {pair:?}");
        let members = b.identity.members(k).await.expect("members");
        assert_eq!(members.len(), 1, "{k}: {members:?}");
        assert_eq!(members[0].role, MemberRole::Owner);
    }
}

/// Many owners each removing the next one at once: all removals but one win, one owner remains.
pub async fn owners_removing_one_another_concurrently_keep_exactly_one(b: Backend) {
    let acme = key("acme");
    let mut setup = vec![Change::CreateAccount(
        Account { key: acme.clone(), name: "Acme".into(), email: None, created_at: T0 },
        None,
    )];
    for i in 0..RACERS {
        setup.push(Change::CreateUser(user(&format!("o{i}"), &format!("o{i}@acme.test"))));
        setup.push(member(&acme, &format!("o{i}"), MemberRole::Owner));
    }
    b.identity.apply(&setup).await.expect("setup");
    let results = race(|i| {
        let identity = b.identity.clone();
        let account = acme.clone();
        async move {
            let next = user_id(&format!("o{}", (i + 1) % RACERS));
            identity.apply(&[Change::RemoveMember { account, user: next }]).await
        }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), RACERS - 1, "{results:?}");
    assert!(results.contains(&Err(StoreError::Conflict("last_owner"))), "{results:?}");
    let members = b.identity.members(&acme).await.expect("members");
    assert_eq!(members.len(), 1, "{members:?}");
}

/// Of many concurrent registrations with one e-mail address, exactly one makes a user, and only
/// its audit event is written.
pub async fn one_email_registered_concurrently_makes_one_user(b: Backend) {
    let results = race(|i| {
        let identity = b.identity.clone();
        async move {
            let id = format!("u{i}");
            let registered = event(&id, T0, "user.registered", &format!("usr_{id}"), "none");
            identity
                .apply(&[Change::CreateUser(user(&id, "same@acme.test")), Change::Audit(registered)])
                .await
        }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::Conflict("email"))), "{results:?}");
    let users = b.identity.users(None, None, 100).await.expect("users");
    assert_eq!(users.len(), 1, "{users:?}");
    let events = b.identity.audit(&AuditFilter::default(), None, 100).await.expect("audit");
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0].actor.id, users[0].id.to_string(), "the winner's event");
}

/// Of many concurrent updates from one version, exactly one applies.
pub async fn concurrent_user_updates_from_one_version_apply_once(b: Backend) {
    let ann = user("ann", "ann@acme.test");
    b.identity.apply(&[Change::CreateUser(ann.clone())]).await.expect("user");
    let results = race(|i| {
        let identity = b.identity.clone();
        let renamed = User { name: Name::parse(format!("Ann {i}")).expect("name"), ..ann.clone() };
        async move { identity.apply(&[Change::UpdateUser(renamed)]).await }
    })
    .await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().all(|r| r.is_ok() || *r == Err(StoreError::Stale)), "{results:?}");
    assert_eq!(b.identity.user(&ann.id).await.expect("user").expect("ann").version, 1);
}
