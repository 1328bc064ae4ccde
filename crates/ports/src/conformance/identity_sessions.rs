//! The contract of the identity store's one-time tokens, sessions and refresh rotation.

use time::Duration;
use tollgate_domain::{OneTimeToken, Session, TokenPurpose};

use super::identity::{session, session_id, token, user, user_id};
use super::*;
use crate::{Change, Rotation};

/// A one-time token is spent once, for its purpose, before it expires.
pub async fn tokens_are_spent_once_and_expire(b: Backend) {
    let verify =
        OneTimeToken { user: Some(user_id("ann")), ..token("fp-v", TokenPurpose::EmailVerification, None) };
    b.identity.apply(&[Change::CreateToken(verify.clone())]).await.expect("token");
    let duplicate = b.identity.apply(&[Change::CreateToken(verify.clone())]).await;
    assert_eq!(duplicate, Err(StoreError::Conflict("token")));
    assert_eq!(b.identity.token("fp-v").await.expect("token"), Some(verify.clone()));
    let spend =
        |fingerprint: &str, purpose, at| Change::SpendToken { fingerprint: fingerprint.into(), purpose, at };
    let gone = Err(StoreError::NotFound("token"));
    assert_eq!(
        b.identity.apply(&[spend("fp-v", TokenPurpose::PasswordReset, T0)]).await,
        gone,
        "another purpose"
    );
    assert_eq!(b.identity.apply(&[spend("fp-none", TokenPurpose::EmailVerification, T0)]).await, gone);
    let at = T0 + Duration::minutes(5);
    b.identity.apply(&[spend("fp-v", TokenPurpose::EmailVerification, at)]).await.expect("spend");
    assert_eq!(b.identity.apply(&[spend("fp-v", TokenPurpose::EmailVerification, at)]).await, gone, "spent");
    let spent = b.identity.token("fp-v").await.expect("token").expect("kept");
    assert_eq!(spent.used_at, Some(at));
    b.identity
        .apply(&[Change::CreateToken(token("fp-r", TokenPurpose::PasswordReset, None))])
        .await
        .expect("reset");
    let late = T0 + Duration::hours(1);
    assert_eq!(b.identity.apply(&[spend("fp-r", TokenPurpose::PasswordReset, late)]).await, gone, "expired");
    assert_eq!(b.identity.token("fp-r").await.expect("token").expect("kept").used_at, None);
}

/// Invitations lists the account's usable invitation tokens, oldest first.
pub async fn invitations_list_the_usable_invitations_of_the_account(b: Backend) {
    let (acme, globex) = (key("acme"), key("globex"));
    let second = OneTimeToken {
        created_at: T0 + Duration::minutes(1),
        ..token("fp-2", TokenPurpose::Invitation, Some(&acme))
    };
    let first = token("fp-1", TokenPurpose::Invitation, Some(&acme));
    let expiring = OneTimeToken {
        created_at: T0 + Duration::minutes(2),
        expires_at: T0 + Duration::minutes(10),
        ..token("fp-3", TokenPurpose::Invitation, Some(&acme))
    };
    let spent = token("fp-4", TokenPurpose::Invitation, Some(&acme));
    let elsewhere = token("fp-5", TokenPurpose::Invitation, Some(&globex));
    let reset =
        OneTimeToken { account: Some(acme.clone()), ..token("fp-6", TokenPurpose::PasswordReset, None) };
    let mut changes: Vec<Change> = [&second, &first, &expiring, &spent, &elsewhere, &reset]
        .into_iter()
        .cloned()
        .map(Change::CreateToken)
        .collect();
    changes.push(Change::SpendToken {
        fingerprint: "fp-4".into(),
        purpose: TokenPurpose::Invitation,
        at: T0,
    });
    b.identity.apply(&changes).await.expect("tokens");
    let fingerprints =
        |tokens: Vec<OneTimeToken>| tokens.into_iter().map(|t| t.fingerprint).collect::<Vec<_>>();
    assert_eq!(
        fingerprints(b.identity.invitations(&acme, T0).await.expect("invitations")),
        ["fp-1", "fp-2", "fp-3"]
    );
    let later = T0 + Duration::minutes(10);
    assert_eq!(
        fingerprints(b.identity.invitations(&acme, later).await.expect("invitations")),
        ["fp-1", "fp-2"]
    );
    assert_eq!(b.identity.invitations(&globex, T0).await.expect("invitations"), [elsewhere]);
}

/// Sessions lists live sessions newest first; revoking one, or all, ends them.
pub async fn sessions_are_listed_live_newest_first_and_revoked(b: Backend) {
    b.identity
        .apply(&[
            Change::CreateUser(user("ann", "ann@acme.test")),
            Change::CreateUser(user("bob", "bob@acme.test")),
        ])
        .await
        .expect("users");
    let start =
        |s: &Session, refresh: &str| Change::CreateSession { session: s.clone(), refresh: refresh.into() };
    let old = session("old", "ann", T0);
    let new = Session {
        impersonator: Some(user_id("bob")),
        ip: None,
        ..session("new", "ann", T0 + Duration::hours(1))
    };
    let short = Session {
        expires_at: T0 + Duration::hours(2),
        ..session("short", "ann", T0 + Duration::minutes(30))
    };
    let bobs = session("bob", "bob", T0);
    b.identity
        .apply(&[start(&old, "r-old"), start(&new, "r-new"), start(&short, "r-short"), start(&bobs, "r-bob")])
        .await
        .expect("sessions");
    let again = b.identity.apply(&[start(&old, "r-other")]).await;
    assert_eq!(again, Err(StoreError::Conflict("session")));
    let now = T0 + Duration::hours(1);
    let listed = b.identity.sessions(&user_id("ann"), now).await.expect("sessions");
    assert_eq!(listed, [new.clone(), short.clone(), old.clone()]);
    let later = T0 + Duration::hours(3);
    assert_eq!(
        b.identity.sessions(&user_id("ann"), later).await.expect("sessions"),
        [new.clone(), old.clone()],
        "expired ones are not live"
    );
    let revoke = |id: &str, u: &str| Change::RevokeSession { id: session_id(id), user: user_id(u), at: now };
    assert_eq!(
        b.identity.apply(&[revoke("old", "bob")]).await,
        Err(StoreError::NotFound("session")),
        "not bob's"
    );
    assert_eq!(b.identity.apply(&[revoke("none", "ann")]).await, Err(StoreError::NotFound("session")));
    b.identity.apply(&[revoke("old", "ann")]).await.expect("revoke");
    b.identity.apply(&[revoke("old", "ann")]).await.expect("revoking again is a no-op");
    assert_eq!(
        b.identity.session(&old.id).await.expect("session"),
        Some(Session { revoked_at: Some(now), ..old })
    );
    assert_eq!(b.identity.sessions(&user_id("ann"), now).await.expect("sessions"), [new.clone(), short]);
    let soon = now + Duration::minutes(1);
    b.identity.apply(&[Change::RevokeSessions { user: user_id("ann"), at: soon }]).await.expect("revoke all");
    assert!(b.identity.sessions(&user_id("ann"), now).await.expect("sessions").is_empty());
    assert_eq!(b.identity.session(&new.id).await.expect("session").expect("kept").revoked_at, Some(soon));
    assert_eq!(
        b.identity.sessions(&user_id("bob"), now).await.expect("sessions"),
        [bobs],
        "other users keep theirs"
    );
    b.identity
        .apply(&[Change::RevokeSessions { user: user_id("ann"), at: later }])
        .await
        .expect("none is fine");
}

/// A refresh token rotates once; presenting it again is a reuse that revokes the session.
pub async fn a_spent_refresh_token_presented_again_revokes_the_session(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("user");
    let started = session("one", "ann", T0);
    b.identity
        .apply(&[Change::CreateSession { session: started.clone(), refresh: "r-1".into() }])
        .await
        .expect("session");
    let at = T0 + Duration::minutes(15);
    let rotated = b.identity.rotate("r-1", "r-2", at).await.expect("rotate");
    let refreshed = Session { refreshed_at: at, ..started.clone() };
    assert_eq!(rotated, Rotation::Rotated(refreshed.clone()));
    assert_eq!(b.identity.session(&started.id).await.expect("session"), Some(refreshed.clone()));
    let replay = T0 + Duration::minutes(20);
    let reused = b.identity.rotate("r-1", "r-3", replay).await.expect("reuse");
    let revoked = Session { revoked_at: Some(replay), ..refreshed };
    assert_eq!(reused, Rotation::Reused(revoked.clone()));
    assert_eq!(b.identity.session(&started.id).await.expect("session"), Some(revoked.clone()));
    assert_eq!(
        b.identity.rotate("r-2", "r-4", replay).await.expect("rotate"),
        Rotation::Invalid,
        "the session is over"
    );
    assert_eq!(
        b.identity.rotate("r-3", "r-5", replay).await.expect("rotate"),
        Rotation::Invalid,
        "r-3 was never issued"
    );
    let later = replay + Duration::minutes(1);
    let again = b.identity.rotate("r-1", "r-6", later).await.expect("reuse");
    assert_eq!(again, Rotation::Reused(revoked), "still a replay; the first revocation stands");
}

/// Rotation of an unknown token, or of one whose session is revoked or expired, is invalid and
/// changes nothing.
pub async fn rotation_after_revocation_or_expiry_is_invalid(b: Backend) {
    b.identity.apply(&[Change::CreateUser(user("ann", "ann@acme.test"))]).await.expect("user");
    let revoked = session("revoked", "ann", T0);
    let expiring = session("expiring", "ann", T0);
    b.identity
        .apply(&[
            Change::CreateSession { session: revoked.clone(), refresh: "r-revoked".into() },
            Change::CreateSession { session: expiring.clone(), refresh: "r-expiring".into() },
            Change::RevokeSession { id: revoked.id.clone(), user: user_id("ann"), at: T0 },
        ])
        .await
        .expect("sessions");
    assert_eq!(b.identity.rotate("r-unknown", "r-x", T0).await.expect("rotate"), Rotation::Invalid);
    assert_eq!(b.identity.rotate("r-revoked", "r-x", T0).await.expect("rotate"), Rotation::Invalid);
    let after = expiring.expires_at;
    assert_eq!(b.identity.rotate("r-expiring", "r-x", after).await.expect("rotate"), Rotation::Invalid);
    assert_eq!(b.identity.session(&expiring.id).await.expect("session"), Some(expiring.clone()), "unchanged");
    let before = after - Duration::seconds(1);
    assert!(
        matches!(b.identity.rotate("r-expiring", "r-x", before).await.expect("rotate"), Rotation::Rotated(_)),
        "the token was never spent"
    );
}
