//! Seats given back by the identity store's records: invitations that expired unaccepted are
//! listed, retired (never accepted after) and recorded released once; deleted users'
//! memberships are listed and ended once, whatever their role.

use time::Duration;
use tollgate_domain::{MemberRole, OneTimeToken, TokenPurpose, User};

use super::identity::{event, member, token, user, user_id};
use super::*;
use crate::{AuditFilter, Change};

fn invitation(fingerprint: &str, account: &AccountKey, expires_in: Duration) -> OneTimeToken {
    OneTimeToken {
        expires_at: T0 + expires_in,
        ..token(fingerprint, TokenPurpose::Invitation, Some(account))
    }
}

fn retire(fingerprint: &str, at: OffsetDateTime) -> Change {
    Change::RetireInvitation { fingerprint: fingerprint.into(), at }
}

fn released(fingerprint: &str, at: OffsetDateTime) -> Change {
    Change::InvitationSeatReleased { fingerprint: fingerprint.into(), at }
}

async fn lapsed(b: &Backend, at: OffsetDateTime, limit: u32) -> Vec<String> {
    let found = b.identity.lapsed_invitations(at, limit).await.expect("lapsed invitations");
    found.into_iter().map(|t| t.fingerprint).collect()
}

/// Invitations that expired unaccepted are listed by expiry until their seat is recorded
/// released; a retired one is never accepted, even at an instant before its expiry; the seat is
/// recorded released once, with its event, whatever the concurrency.
pub async fn lapsed_invitations_are_retired_and_released_once(b: Backend) {
    let acme = key("acme");
    let hours = Duration::hours;
    let reset = OneTimeToken { expires_at: T0, ..token("fp-reset", TokenPurpose::PasswordReset, None) };
    let tokens = [
        invitation("fp-b", &acme, hours(2)),
        invitation("fp-a", &acme, hours(1)),
        invitation("fp-accepted", &acme, hours(3)),
        invitation("fp-later", &acme, hours(48)),
        reset,
    ];
    let mut changes: Vec<Change> = tokens.into_iter().map(Change::CreateToken).collect();
    changes.push(Change::SpendToken {
        fingerprint: "fp-accepted".into(),
        purpose: TokenPurpose::Invitation,
        at: T0 + Duration::minutes(10),
    });
    b.identity.apply(&changes).await.expect("tokens");

    assert_eq!(lapsed(&b, T0 + Duration::minutes(90), 10).await, ["fp-a"], "only what expired");
    let now = T0 + hours(4);
    assert_eq!(lapsed(&b, now, 10).await, ["fp-a", "fp-b"], "by expiry; never an accepted one");
    assert_eq!(lapsed(&b, now, 1).await, ["fp-a"]);

    let gone = Err(StoreError::NotFound("token"));
    assert_eq!(b.identity.apply(&[retire("fp-later", now)]).await, gone, "not expired yet");
    assert_eq!(b.identity.apply(&[retire("fp-accepted", now)]).await, gone, "accepted");
    assert_eq!(b.identity.apply(&[retire("fp-reset", now)]).await, gone, "not an invitation");
    assert_eq!(b.identity.apply(&[released("fp-b", now)]).await, gone, "not retired");
    b.identity.apply(&[retire("fp-a", now)]).await.expect("retire");
    b.identity.apply(&[retire("fp-a", now + hours(1))]).await.expect("retiring again is no error");
    b.identity.apply(&[retire("fp-b", now)]).await.expect("retire");
    assert_eq!(lapsed(&b, now, 10).await, ["fp-a", "fp-b"], "listed until the seat is released");

    // An instance whose clock lags (or that read the invitation a moment before it expired)
    // cannot accept it any more, nor list it as pending.
    let lagging = T0 + Duration::minutes(30);
    let accept =
        Change::SpendToken { fingerprint: "fp-a".into(), purpose: TokenPurpose::Invitation, at: lagging };
    assert_eq!(b.identity.apply(&[accept]).await, gone, "a retired invitation is never accepted");
    let pending = b.identity.invitations(&acme, lagging).await.expect("invitations");
    let pending: Vec<_> = pending.into_iter().map(|t| t.fingerprint).collect();
    assert_eq!(pending, ["fp-later"], "retired invitations are not pending");

    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let identity = b.identity.clone();
            tokio::spawn(async move {
                let logged = event(&format!("x{i}"), now, "invitation.expired", "system", "acme");
                identity.apply(&[released("fp-a", now), Change::Audit(logged)]).await
            })
        })
        .collect();
    let mut recorded = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => recorded += 1,
            Err(error) => assert_eq!(error, StoreError::NotFound("token")),
        }
    }
    assert_eq!(recorded, 1, "of concurrent sweeps, one records the release");
    let events = b.identity.audit(&AuditFilter::default(), None, 100).await.expect("audit");
    assert_eq!(events.len(), 1, "with its one event");
    assert_eq!(lapsed(&b, now, 10).await, ["fp-b"]);
    assert_eq!(b.identity.apply(&[retire("fp-a", now)]).await, gone, "released: done with");
    assert_eq!(b.identity.apply(&[released("fp-a", now)]).await, gone);
}

/// A deleted user's memberships are listed and end through `EndMembership` only, once, even the
/// last owner's; a live member's cannot be ended that way.
pub async fn deleted_users_memberships_are_listed_and_ended_once(b: Backend) {
    let (acme, globex) = (account(&b, "acme").await, account(&b, "globex").await);
    let ann = user("ann", "ann@acme.test");
    b.identity
        .apply(&[
            Change::CreateUser(ann.clone()),
            Change::CreateUser(user("bob", "bob@acme.test")),
            member(&acme, "ann", MemberRole::Owner),
            member(&globex, "ann", MemberRole::Member),
            member(&globex, "bob", MemberRole::Owner),
        ])
        .await
        .expect("members");
    let end = |account: &AccountKey, who: &str| Change::EndMembership {
        account: account.clone(),
        user: user_id(who),
    };
    let not_member = Err(StoreError::NotFound("member"));
    assert_eq!(b.identity.apply(&[end(&globex, "bob")]).await, not_member, "bob is not deleted");
    assert!(b.identity.deleted_members(10).await.expect("deleted members").is_empty());

    let deleted = User { deleted_at: Some(T0), ..ann };
    b.identity.apply(&[Change::UpdateUser(deleted)]).await.expect("delete ann");
    let listed = b.identity.deleted_members(10).await.expect("deleted members");
    let listed: Vec<_> = listed.iter().map(|m| (m.account.as_str(), m.user.as_str(), m.role)).collect();
    assert_eq!(listed, [("acme", "usr_ann", MemberRole::Owner), ("globex", "usr_ann", MemberRole::Member)]);
    assert_eq!(b.identity.deleted_members(1).await.expect("deleted members").len(), 1);

    let remove = Change::RemoveMember { account: globex.clone(), user: user_id("ann") };
    assert_eq!(b.identity.apply(&[remove]).await, not_member, "ended only by EndMembership");
    let demote = Change::SetRole { account: globex.clone(), user: user_id("ann"), role: MemberRole::Admin };
    assert_eq!(b.identity.apply(&[demote]).await, not_member);

    b.identity.apply(&[end(&acme, "ann")]).await.expect("even the last owner's");
    assert_eq!(b.identity.role(&acme, &user_id("ann")).await.expect("role"), None);
    let tasks: Vec<_> = (0..8)
        .map(|i| {
            let (identity, globex) = (b.identity.clone(), globex.clone());
            tokio::spawn(async move {
                let logged = event(&format!("m{i}"), T0, "member.ended", "system", "globex");
                let ended = Change::EndMembership { account: globex, user: user_id("ann") };
                identity.apply(&[ended, Change::Audit(logged)]).await
            })
        })
        .collect();
    let mut ended = 0;
    for task in tasks {
        match task.await.expect("task") {
            Ok(()) => ended += 1,
            Err(error) => assert_eq!(error, StoreError::NotFound("member")),
        }
    }
    assert_eq!(ended, 1, "of concurrent ends, one ends it");
    assert_eq!(b.identity.audit(&AuditFilter::default(), None, 10).await.expect("audit").len(), 1);
    assert!(b.identity.deleted_members(10).await.expect("deleted members").is_empty());
    assert_eq!(b.identity.role(&globex, &user_id("bob")).await.expect("role"), Some(MemberRole::Owner));
}
